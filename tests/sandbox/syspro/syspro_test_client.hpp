// A SYSPRO emulator in process, and a small e.net client over libcurl for its tests. The client
// builds its own URLs and XML so that the emulator is checked from the outside.
#pragma once

#include "common/sandbox.hpp"
#include "syspro/syspro_service.hpp"

#include "http_test_client.hpp"

#include <boost/json.hpp>
#include <curl/curl.h>
#include <net/url.hpp>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ferry::sandbox::syspro::test {

using http_result = ferry::test::http_answer;

inline http_result http(const std::string& method, const std::string& url, const std::string& body = {}) {
    return ferry::test::http_call(method, url, body, {}, 5000);
}

using net::url_encode;

using params = std::vector<std::pair<std::string, std::string>>;

// The company most tests start from. FG holds the recorded INVQRY numbers (reference 7).
inline boost::json::value standard_seed() {
    return boost::json::parse(R"({"syspro": {
      "company": {"id": "EDU1", "name": "Outdoors Company", "password": ""},
      "operators": [{"operator": "WEB", "password": "secret", "email": "web@example.com"},
                    {"operator": "ADMIN", "password": "admin"}],
      "warehouses": [{"warehouse": "WEBS", "description": "Web store"}, {"warehouse": "FG", "description": "Finished goods"},
                     {"warehouse": "P0", "description": "Portage"}],
      "stock": [
        {"stock_code": "A100", "description": "Widget", "price": 12.5, "warehouse_to_use": "WEBS",
         "warehouses": {"WEBS": {"on_hand": 10, "on_order": 5}, "FG": {"on_hand": 747.8, "on_order": 806.73}}},
        {"stock_code": "B200", "description": "Held gadget", "on_hold": true, "warehouses": {"WEBS": {"on_hand": 3}}},
        {"stock_code": "C300", "description": "Gizmo", "price": 2, "warehouse_to_use": "WEBS", "warehouses": {"WEBS": {"on_hand": 100, "in_inspection": 4}}}
      ],
      "customers": [
        {"customer": "WEBS01", "name": "Web sales", "email": "Shop@Example.com"},
        {"customer": "HOLD01", "name": "Held account", "on_hold": true},
        {"customer": "CRED01", "name": "Tight credit", "credit_limit": 100}
      ]
    }})");
}

// One stock line of a SORTOI document.
struct line {
    std::string stock_code;
    std::string qty;
    std::string price = "12.50";
    std::string extra;  // more elements, verbatim
};

inline std::string order_doc(const std::string& header, const std::vector<line>& lines, const std::string& more_lines = {}) {
    std::string xml = "<SalesOrders><Orders><OrderHeader>" + header + "</OrderHeader><OrderDetails>";
    int n = 1;
    for (const auto& l : lines) {
        xml += "<StockLine><CustomerPoLine>" + std::to_string(n++) + "</CustomerPoLine><LineActionType>A</LineActionType><StockCode>" +
               l.stock_code + "</StockCode><OrderQty>" + l.qty + "</OrderQty><OrderUom>EA</OrderUom><Price>" + l.price +
               "</Price><PriceUom>EA</PriceUom>" + l.extra + "</StockLine>";
    }
    return xml + more_lines + "</OrderDetails></Orders></SalesOrders>";
}

inline std::string order_params(const std::string& process, const std::string& more = {}) {
    return "<SalesOrders><Parameters><Process>" + process + "</Process>" + more + "</Parameters></SalesOrders>";
}

// The text of the first element named `name` anywhere in `xml` (SYSPRO's bodies are Windows-1252;
// the tests use ASCII except where they look at the bytes themselves).
inline std::string xml_value(const std::string& xml, const std::string& name) {
    pugi::xml_document doc;
    if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_latin1)) return "<unparsable>";
    pugi::xpath_node n = doc.select_node(("//" + name).c_str());
    return n ? n.node().text().get() : "<missing>";
}

inline int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

// A started sandbox with the standard seed and a logged-on session as WEB.
class syspro_base : public ::testing::Test {
protected:
    void SetUp() override {
        box_.add(make_service(box_.timers()));
        box_.seed(seed());
        box_.start();
        base_ = box_.url("syspro");
        if (log_on_first()) user_id_ = logon("WEB", "secret").body;
    }
    void TearDown() override { box_.stop(); }

    virtual boost::json::value seed() { return standard_seed(); }
    virtual bool log_on_first() { return true; }

    http_result get(const std::string& operation, const params& p = {}) {
        std::string url = base_ + "/SYSPROWCFService/Rest/" + operation;
        char sep = '?';
        for (const auto& [k, v] : p) {
            url += sep + k + "=" + url_encode(v);
            sep = '&';
        }
        return http("GET", url);
    }
    http_result logon(const std::string& op, const std::string& password) {
        return get("Logon", {{"Operator", op}, {"OperatorPassword", password}, {"CompanyId", "EDU1"}, {"CompanyPassword", ""}});
    }
    std::string query(const std::string& bo, const std::string& xml) {
        return get("Query/Query", {{"UserId", user_id_}, {"BusinessObject", bo}, {"XmlIn", xml}}).body;
    }
    std::string post(const std::string& bo, const std::string& parameters, const std::string& xml) {
        return get("Transaction/Post", {{"UserId", user_id_}, {"BusinessObject", bo}, {"XmlParameters", parameters}, {"XmlIn", xml}}).body;
    }
    std::string setup(const std::string& action, const std::string& bo, const std::string& parameters, const std::string& xml) {
        return get("Setup/" + action, {{"UserId", user_id_}, {"BusinessObject", bo}, {"XmlParameters", parameters}, {"XmlIn", xml}}).body;
    }
    // Imports one order and returns its number (looked up through the control API).
    std::string import_order(const std::string& po, const std::vector<line>& lines, const std::string& more_params = {},
                             const std::string& customer = "WEBS01") {
        std::string out = post("SORTOI", order_params("Import", more_params),
                               order_doc("<CustomerPoNumber>" + po + "</CustomerPoNumber><Customer>" + customer + "</Customer>", lines));
        EXPECT_EQ(xml_value(out, "ItemsProcessed"), "000001") << out;
        auto orders = control("GET", "orders?customer_po_number=" + url_encode(po));
        if (!orders.is_array() || orders.as_array().empty()) return {};
        return std::string(orders.as_array().back().at("sales_order").as_string());
    }
    boost::json::value control(const std::string& method, const std::string& route, const std::string& body = {}, long expect = 200) {
        http_result r = http(method, base_ + "/_sandbox/" + route, body);
        EXPECT_EQ(r.status, expect) << method << " " << route << ": " << r.body;
        boost::json::error_code ec;
        boost::json::value v = boost::json::parse(r.body, ec);
        return ec ? boost::json::value(r.body) : v;
    }
    void settings(const std::string& json) { control("POST", "settings", json); }
    std::string invqry(const std::string& code, const std::string& filter = {}) {
        return query("INVQRY", "<Query><Key><StockCode>" + code + "</StockCode></Key>" + filter + "</Query>");
    }
    std::string sorqry(const std::string& order, const std::string& options = "<IncludeStockedLines>Y</IncludeStockedLines>") {
        return query("SORQRY", "<Query><Key><SalesOrder>" + order + "</SalesOrder></Key><Option>" + options + "</Option></Query>");
    }

    ferry::sandbox::sandbox box_;
    std::string base_;
    std::string user_id_;
};

}  // namespace ferry::sandbox::syspro::test
