// The SYSPRO plugin through the plugin ABI, against the SYSPRO emulator on loopback.
#include "engine/engine.hpp"
#include "engine/metrics.hpp"
#include "plugin/instance.hpp"
#include "plugin/registry.hpp"

#include "common/sandbox.hpp"
#include "syspro/syspro_service.hpp"

#include "http_test_client.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

namespace json = boost::json;
using namespace ferry;
using host::component_instance;

const char* const seed = R"json({
  "company": {"id": "EDU1", "name": "Outdoors Company"},
  "operators": [{"operator": "WEB", "password": "s3cret+pw&", "name": "Web shop"}],
  "warehouses": [{"warehouse": "WEBS"}, {"warehouse": "FG"}],
  "stock": [
    {"stock_code": "A-1", "description": "Tent", "price": 120, "warehouses": {"WEBS": {"on_hand": 10}}},
    {"stock_code": "B-2", "description": "Stove", "price": 45, "warehouses": {"WEBS": {"on_hand": 5}, "FG": {"on_hand": 3}}},
    {"stock_code": "HELD", "description": "Recalled lamp", "on_hold": true, "warehouses": {"WEBS": {"on_hand": 4}}}
  ],
  "customers": [
    {"customer": "CASH01", "name": "Web cash sales"},
    {"customer": "C0001", "name": "Ada Lovelace", "email": "ada@example.com"},
    {"customer": "HOLD1", "name": "Stopped account", "email": "held@example.com", "on_hold": true},
    {"customer": "TIGHT", "name": "Small credit", "email": "tight@example.com", "credit_limit": 50}
  ]
})json";

struct outcome {
    ferry_status status = FERRY_OK;
    std::string error;
    std::string target;
    std::vector<host::owned_record> emitted;
    std::string cursor;
};

class syspro_connector : public ::testing::Test {
protected:
    void SetUp() override {
        box.add(sandbox::syspro::make_service(box.timers()));
        box.seed(json::object{{"syspro", json::parse(seed)}});
        box.start();
        base = box.url("syspro");
        ASSERT_TRUE(registry.load_file(std::filesystem::path(FERRY_PLUGIN_DIR) / "syspro.so"));
    }

    json::object connection(std::string password = "s3cret+pw&") const {
        return {{"base_url", base}, {"operator", "WEB"}, {"operator_password", password}, {"company", "EDU1"}};
    }

    std::unique_ptr<component_instance> make(const std::string& component, const json::object& config,
                                             const json::object& conn) {
        host::instance_settings settings;
        settings.connection = "erp";
        settings.connection_config = json::serialize(conn);
        settings.config = json::serialize(config);
        settings.pipeline = "test";
        std::string error;
        auto instance = component_instance::create(*registry.find_component("syspro." + component), services, settings, error);
        EXPECT_TRUE(instance) << error;
        return instance;
    }
    std::unique_ptr<component_instance> make(const std::string& component, const json::object& config) {
        return make(component, config, connection());
    }

    static outcome result(ferry_status status, const host::call_context& call) {
        outcome o;
        o.status = status;
        o.error = call.error();
        o.target = call.target_id().value_or("");
        o.emitted.assign(call.records().begin(), call.records().begin() + call.emitted_count());
        o.cursor = call.cursor().value_or("");
        return o;
    }

    outcome deliver(component_instance& sink, const json::value& payload, const std::string& key = "shopify:1",
                    bool lookup_first = false) {
        host::owned_record record;
        record.stream = "order";
        record.key = key;
        record.version = 1;
        record.payload = json::serialize(payload);
        ferry_record view = record.view();
        std::string idempotency = "test/" + key + "/1";
        ferry_delivery d{};
        d.struct_size = sizeof d;
        d.record = &view;
        d.idempotency_key = {idempotency.data(), idempotency.size()};
        d.attempt = 1;
        host::call_context call;
        if (lookup_first) return result(sink.lookup(d, call), call);
        return result(sink.write(d, call), call);
    }

    outcome poll(component_instance& source, const std::string& cursor = "") {
        host::call_context call;
        return result(source.poll(cursor, call), call);
    }

    json::value control(const std::string& method, const std::string& path, const json::value& body = json::object{}) {
        test::http_answer a = test::http_call(method, base + "/_sandbox/" + path, json::serialize(body));
        EXPECT_EQ(a.status, 200) << method << " " << path << ": " << a.body;
        return json::parse(a.body);
    }

    json::array orders_with_po(const std::string& po) {
        std::string encoded;
        for (char c : po) encoded += c == '#' ? std::string("%23") : std::string(1, c);
        return control("GET", "orders?customer_po_number=" + encoded).as_array();
    }

    long calls_of(const std::string& counter) {
        json::value r = control("GET", "requests");
        const json::value* c = r.as_object().at("counters").as_object().if_contains(counter);
        return c ? c->as_object().at("calls").to_number<long>() : 0;
    }

    static json::object order(const std::string& number, json::array lines) {
        return json::object{
            {"id", "gid://shopify/Order/" + number.substr(1)},
            {"number", number},
            {"created_at", "2026-11-23T10:15:00Z"},
            {"currency", "USD"},
            {"email", "ada@example.com"},
            {"customer", json::object{{"email", "ada@example.com"}, {"first_name", "Ada"}, {"last_name", "Lovelace"}}},
            {"shipping_address", json::object{{"first_name", "Ada"}, {"last_name", "Lovelace"}, {"address1", "12 St James's Square"},
                                              {"city", "London"}, {"province", "London"}, {"country", "United Kingdom"},
                                              {"zip", "SW1Y 4JH"}}},
            {"lines", std::move(lines)},
            {"shipping_lines", json::array{json::object{{"title", "Standard"}, {"code", "STD"}, {"price", "5.00"}}}},
            {"taxes_included", false},
            {"total", "0.00"}};
    }
    static json::object line(const std::string& sku, int quantity, const std::string& price) {
        return {{"sku", sku}, {"title", sku}, {"quantity", quantity}, {"unit_price", price}};
    }

    json::object order_config(json::object customer = {{"policy", "fixed"}, {"code", "CASH01"}}) {
        return {{"warehouse", "WEBS"}, {"customer", std::move(customer)}};
    }

    sandbox::sandbox box;
    std::string base;
    host::metrics_registry metrics;
    host::engine_services services{metrics};
    host::plugin_registry registry{services};
};

TEST_F(syspro_connector, an_order_is_imported_with_its_lines_freight_and_note_and_reports_the_number) {
    auto sink = make("order", order_config());
    json::object o = order("#1001", {line("A-1", 2, "120.00"), line("B-2", 1, "45.00")});
    o["note"] = "Leave at the door";
    outcome r = deliver(*sink, o);
    ASSERT_EQ(r.status, FERRY_OK) << r.error;
    json::array found = orders_with_po("#1001");
    ASSERT_EQ(found.size(), 1u);
    const json::object& so = found[0].as_object();
    EXPECT_EQ(r.target, so.at("sales_order").as_string());
    EXPECT_EQ(so.at("customer").as_string(), "CASH01");
    EXPECT_EQ(so.at("ship_address").as_array()[0].as_string(), "12 St James's Square");
    EXPECT_EQ(so.at("shipping_instrs").as_string(), "Standard");
    const json::array& lines = so.at("lines").as_array();
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0].at("stock_code").as_string(), "A-1");
    EXPECT_DOUBLE_EQ(lines[0].at("order_qty").to_number<double>(), 2);
    EXPECT_DOUBLE_EQ(lines[0].at("price").to_number<double>(), 120);
    EXPECT_EQ(lines[2].at("type").as_string(), "freight");
    EXPECT_DOUBLE_EQ(lines[2].at("value").to_number<double>(), 5);
    EXPECT_EQ(lines[3].at("comment").as_string(), "Leave at the door");
    // The follow-up that lets another pipeline write the number back to the shop.
    ASSERT_EQ(r.emitted.size(), 1u);
    EXPECT_EQ(r.emitted[0].stream, "erp_order");
    json::value follow = json::parse(r.emitted[0].payload);
    EXPECT_EQ(follow.at("erp_order").as_string(), r.target);
    EXPECT_EQ(follow.at("order_number").as_string(), "#1001");
    EXPECT_EQ(follow.at("status").as_string(), "created");
}

TEST_F(syspro_connector, a_second_delivery_finds_the_order_and_never_posts_it_twice) {
    auto sink = make("order", order_config());
    json::object o = order("#1002", {line("A-1", 1, "120.00")});
    outcome first = deliver(*sink, o);
    ASSERT_EQ(first.status, FERRY_OK) << first.error;
    outcome looked = deliver(*sink, o, "shopify:1", true);
    EXPECT_EQ(looked.status, FERRY_OK);
    EXPECT_EQ(looked.target, first.target);
    outcome again = deliver(*sink, o);
    ASSERT_EQ(again.status, FERRY_OK) << again.error;
    EXPECT_EQ(again.target, first.target);
    EXPECT_EQ(json::parse(again.emitted.at(0).payload).at("status").as_string(), "found");
    EXPECT_EQ(orders_with_po("#1002").size(), 1u);
    EXPECT_EQ(calls_of("SORTOI"), 1);
}

TEST_F(syspro_connector, the_number_comes_from_the_order_block_when_syspro_returns_one) {
    control("POST", "settings", json::object{{"clean_import_returns_order", true}});
    auto sink = make("order", order_config());
    outcome r = deliver(*sink, order("#1003", {line("A-1", 1, "120.00")}));
    ASSERT_EQ(r.status, FERRY_OK) << r.error;
    EXPECT_EQ(r.target, orders_with_po("#1003")[0].at("sales_order").as_string());
    EXPECT_EQ(calls_of("COMFND"), 1);  // the look before posting, and no look after
}

TEST_F(syspro_connector, an_unknown_sku_is_rejected_naming_it_and_nothing_is_created) {
    auto sink = make("order", order_config());
    outcome r = deliver(*sink, order("#1004", {line("A-1", 1, "120.00"), line("NOPE-9", 1, "3.00")}));
    EXPECT_EQ(r.status, FERRY_REJECT);
    EXPECT_NE(r.error.find("unknown SKU"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("NOPE-9"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("#1004"), std::string::npos) << r.error;
    EXPECT_TRUE(orders_with_po("#1004").empty());
}

TEST_F(syspro_connector, a_customer_on_hold_is_rejected_or_imported_in_suspense_as_configured) {
    json::object held{{"policy", "by_email"}, {"code", "CASH01"}};
    json::object o = order("#1005", {line("A-1", 1, "120.00")});
    o["email"] = "held@example.com";
    auto reject = make("order", order_config(held));
    outcome r = deliver(*reject, o);
    EXPECT_EQ(r.status, FERRY_REJECT);
    EXPECT_NE(r.error.find("HOLD1"), std::string::npos) << r.error;
    EXPECT_TRUE(orders_with_po("#1005").empty());

    json::object config = order_config(held);
    config["on_hold"] = "suspense";
    auto suspense = make("order", config);
    outcome s = deliver(*suspense, o);
    ASSERT_EQ(s.status, FERRY_OK) << s.error;
    json::array found = orders_with_po("#1005");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].at("status").as_string(), "S");
}

TEST_F(syspro_connector, a_customer_over_its_credit_limit_is_rejected_with_the_reason) {
    auto sink = make("order", order_config({{"policy", "by_email"}, {"code", "CASH01"}}));
    json::object o = order("#1020", {line("A-1", 1, "120.00")});
    o["email"] = "tight@example.com";
    outcome r = deliver(*sink, o);
    EXPECT_EQ(r.status, FERRY_REJECT);
    EXPECT_NE(r.error.find("TIGHT"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("credit"), std::string::npos) << r.error;
    EXPECT_TRUE(orders_with_po("#1020").empty());
}

TEST_F(syspro_connector, discounts_can_go_as_one_misc_charge_line_and_freight_as_a_misc_charge) {
    json::object config = order_config();
    config["discounts"] = "misc_charge";
    config["discount_product_class"] = "_DSC";
    config["freight"] = "misc_charge";
    config["freight_product_class"] = "_FRT";
    auto sink = make("order", config);
    json::object o = order("#1021", {line("A-1", 2, "120.00")});
    o["discount_total"] = "24.00";
    o["discount_codes"] = json::array{json::object{{"code", "WINTER10"}, {"amount", "24.00"}}};
    ASSERT_EQ(deliver(*sink, o).status, FERRY_OK);
    json::array lines = orders_with_po("#1021")[0].at("lines").as_array();
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_DOUBLE_EQ(lines[0].at("price").to_number<double>(), 120);  // the discount is not in the price
    EXPECT_EQ(lines[1].at("product_class").as_string(), "_FRT");
    EXPECT_DOUBLE_EQ(lines[1].at("value").to_number<double>(), 5);
    EXPECT_EQ(lines[2].at("product_class").as_string(), "_DSC");
    EXPECT_DOUBLE_EQ(lines[2].at("value").to_number<double>(), -24);
    EXPECT_NE(std::string(lines[2].at("description").as_string()).find("WINTER10"), std::string::npos);
}

TEST_F(syspro_connector, sessions_are_reused_and_logged_off_when_the_last_component_goes) {
    {
        auto sink = make("order", order_config());
        auto customers = make("customer", json::object{});
        ASSERT_EQ(deliver(*sink, order("#1022", {line("A-1", 1, "1.00")})).status, FERRY_OK);
        ASSERT_EQ(deliver(*customers, json::object{{"id", "c"}, {"email", "ada@example.com"}}).status, FERRY_OK);
        EXPECT_EQ(calls_of("Logon"), 1);  // one session, shared by both components of the connection
        EXPECT_EQ(control("GET", "sessions").at("sessions").as_array().size(), 1u);
    }
    EXPECT_EQ(control("GET", "sessions").at("sessions").as_array().size(), 0u);
    EXPECT_EQ(calls_of("Logoff"), 1);
}

TEST_F(syspro_connector, buyers_are_found_by_email_or_created_once) {
    auto sink = make("order", order_config({{"policy", "by_email_or_create"}, {"new_customer", {{"Branch", "01"}}}}));
    ASSERT_EQ(deliver(*sink, order("#1006", {line("A-1", 1, "120.00")})).status, FERRY_OK);
    EXPECT_EQ(orders_with_po("#1006")[0].at("customer").as_string(), "C0001");  // ada@example.com exists

    json::object newcomer = order("#1007", {line("A-1", 1, "120.00")});
    newcomer["email"] = "grace@example.com";
    newcomer["customer"] = json::object{{"email", "grace@example.com"}, {"first_name", "Grace"}, {"last_name", "Hopper"}};
    outcome first = deliver(*sink, newcomer, "shopify:7");
    ASSERT_EQ(first.status, FERRY_OK) << first.error;
    std::string code = std::string(orders_with_po("#1007")[0].at("customer").as_string());
    EXPECT_EQ(code.size(), 7u);
    EXPECT_EQ(code[0], 'W');
    json::value created = control("GET", "customers/" + code);
    EXPECT_EQ(created.at("name").as_string(), "Grace Hopper");
    EXPECT_EQ(created.at("email").as_string(), "grace@example.com");
    EXPECT_EQ(created.at("fields").at("Branch").as_string(), "01");

    newcomer["number"] = "#1008";
    ASSERT_EQ(deliver(*sink, newcomer, "shopify:8").status, FERRY_OK);
    EXPECT_EQ(orders_with_po("#1008")[0].at("customer").as_string(), code);
    EXPECT_EQ(control("GET", "customers").as_array().size(), 5u);  // four seeded, one created
}

TEST_F(syspro_connector, discounts_make_prices_of_two_decimals_and_long_fields_are_cut) {
    auto sink = make("order", order_config());
    json::object l = line("A-1", 3, "10.00");
    l["discount"] = "1.00";
    json::object o = order("#1009", {l});
    o["shipping_address"].as_object()["address1"] = std::string(60, 'x');
    ASSERT_EQ(deliver(*sink, o).status, FERRY_OK);
    json::object so = orders_with_po("#1009")[0].as_object();
    EXPECT_DOUBLE_EQ(so.at("lines").as_array()[0].at("price").to_number<double>(), 9.67);
    EXPECT_EQ(so.at("ship_address").as_array()[0].as_string().size(), 40u);
}

TEST_F(syspro_connector, an_order_name_too_long_for_the_key_is_rejected_not_cut) {
    auto sink = make("order", order_config());
    outcome r = deliver(*sink, order("#" + std::string(40, '9'), {line("A-1", 1, "1.00")}));
    EXPECT_EQ(r.status, FERRY_REJECT);
    EXPECT_NE(r.error.find("30"), std::string::npos) << r.error;
}

TEST_F(syspro_connector, syspro_down_or_failing_is_retried) {
    auto sink = make("order", order_config());
    control("POST", "faults", json::object{{"down", true}});
    outcome down = deliver(*sink, order("#1010", {line("A-1", 1, "1.00")}));
    EXPECT_EQ(down.status, FERRY_RETRY) << down.error;
    control("POST", "faults", json::object{{"fail_next", 1}});
    EXPECT_EQ(deliver(*sink, order("#1010", {line("A-1", 1, "1.00")})).status, FERRY_RETRY);
    control("DELETE", "faults");
    EXPECT_EQ(deliver(*sink, order("#1010", {line("A-1", 1, "1.00")})).status, FERRY_OK);
    EXPECT_EQ(orders_with_po("#1010").size(), 1u);
}

TEST_F(syspro_connector, an_evicted_session_is_replaced_and_the_call_made_again) {
    auto sink = make("order", order_config());
    ASSERT_EQ(deliver(*sink, order("#1011", {line("A-1", 1, "1.00")})).status, FERRY_OK);
    control("DELETE", "sessions");
    outcome r = deliver(*sink, order("#1012", {line("A-1", 1, "1.00")}));
    ASSERT_EQ(r.status, FERRY_OK) << r.error;
    EXPECT_EQ(calls_of("Logon"), 2);
    EXPECT_EQ(orders_with_po("#1012").size(), 1u);
}

TEST_F(syspro_connector, a_bad_password_stops_the_pipeline_without_showing_the_password) {
    auto sink = make("order", order_config(), connection("wrong-password"));
    outcome r = deliver(*sink, order("#1013", {line("A-1", 1, "1.00")}));
    EXPECT_EQ(r.status, FERRY_FATAL);
    EXPECT_NE(r.error.find("Invalid operator password"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find("wrong-password"), std::string::npos) << r.error;
}

TEST_F(syspro_connector, a_cancelled_order_cancels_its_sales_order_once) {
    auto sink = make("order", order_config());
    json::object o = order("#1014", {line("B-2", 2, "45.00")});
    ASSERT_EQ(deliver(*sink, o).status, FERRY_OK);
    EXPECT_DOUBLE_EQ(control("GET", "stock/B-2").at("warehouses").at("WEBS").at("allocated").to_number<double>(), 2);
    o["status"] = "cancelled";
    outcome looked = deliver(*sink, o, "shopify:1", true);
    EXPECT_TRUE(looked.target.empty());  // not cancelled yet: the write must run
    ASSERT_EQ(deliver(*sink, o).status, FERRY_OK);
    EXPECT_EQ(orders_with_po("#1014")[0].at("status").as_string(), "\\");
    EXPECT_DOUBLE_EQ(control("GET", "stock/B-2").at("warehouses").at("WEBS").at("allocated").to_number<double>(), 0);
    EXPECT_FALSE(deliver(*sink, o, "shopify:1", true).target.empty());
}

TEST_F(syspro_connector, the_customer_sink_creates_new_buyers_and_keeps_known_ones) {
    auto sink = make("customer", json::object{{"new_customer", {{"TermsCode", "CC"}}}});
    json::object known{{"id", "gid://shopify/Customer/1"}, {"email", "ADA@example.com"}, {"first_name", "Someone"}, {"last_name", "Else"}};
    outcome k = deliver(*sink, known);
    ASSERT_EQ(k.status, FERRY_OK) << k.error;
    EXPECT_EQ(k.target, "C0001");
    EXPECT_EQ(control("GET", "customers/C0001").at("name").as_string(), "Ada Lovelace");  // existing: keep
    json::object fresh{{"id", "gid://shopify/Customer/2"}, {"email", "alan@example.com"}, {"first_name", "Alan"},
                       {"last_name", "Turing"},
                       {"default_address", {{"address1", "Bletchley Park"}, {"city", "Milton Keynes"}, {"zip", "MK3 6EB"}}}};
    outcome f = deliver(*sink, fresh);
    ASSERT_EQ(f.status, FERRY_OK) << f.error;
    json::value created = control("GET", "customers/" + f.target);
    EXPECT_EQ(created.at("fields").at("SoldToAddr1").as_string(), "Bletchley Park");
    EXPECT_EQ(created.at("fields").at("TermsCode").as_string(), "CC");
    EXPECT_EQ(deliver(*sink, fresh).target, f.target);
}

TEST_F(syspro_connector, payments_go_on_account_of_the_orders_customer) {
    auto orders = make("order", order_config());
    ASSERT_EQ(deliver(*orders, order("#1015", {line("A-1", 1, "120.00")})).status, FERRY_OK);
    auto sink = make("payment", json::object{{"gateways", {{"shopify_payments", {{"bank", "FNB"}}}}}});
    json::object payment{{"id", "gid://shopify/OrderTransaction/9"}, {"order_number", "#1015"}, {"gateway", "shopify_payments"},
                         {"kind", "sale"}, {"amount", "125.00"}, {"currency", "USD"}, {"reference", "ch_123"},
                         {"processed_at", "2026-11-23T10:16:00Z"}};
    outcome r = deliver(*sink, payment);
    ASSERT_EQ(r.status, FERRY_OK) << r.error;
    json::array posted = control("GET", "payments").as_array();
    ASSERT_EQ(posted.size(), 1u);
    EXPECT_EQ(posted[0].at("customer").as_string(), "CASH01");
    EXPECT_DOUBLE_EQ(posted[0].at("value").to_number<double>(), 125);
    EXPECT_EQ(posted[0].at("bank").as_string(), "FNB");
    EXPECT_EQ(posted[0].at("reference").as_string(), "#1015");
    // A retry, with or without the lookup, finds the payment and posts nothing.
    EXPECT_EQ(deliver(*sink, payment, "shopify:1", true).target, r.target);
    EXPECT_EQ(deliver(*sink, payment).target, r.target);
    EXPECT_EQ(control("GET", "payments").as_array().size(), 1u);

    payment["gateway"] = "bitcoin";
    outcome unknown = deliver(*sink, payment);
    EXPECT_EQ(unknown.status, FERRY_REJECT);
    EXPECT_NE(unknown.error.find("bitcoin"), std::string::npos);

    payment["gateway"] = "shopify_payments";
    payment["order_number"] = "#9999";
    EXPECT_EQ(deliver(*sink, payment).status, FERRY_RETRY);  // its order is not in SYSPRO yet

    control("POST", "settings", json::object{{"unlicensed", json::array{"ARSTPY"}}});
    payment["order_number"] = "#1015";
    payment["id"] = "gid://shopify/OrderTransaction/10";
    outcome unlicensed = deliver(*sink, payment);
    EXPECT_EQ(unlicensed.status, FERRY_FATAL);
    EXPECT_NE(unlicensed.error.find("100000"), std::string::npos) << unlicensed.error;
}

TEST_F(syspro_connector, stock_levels_are_emitted_once_then_only_when_they_change) {
    auto source = make("inventory_level", json::object{{"warehouses", {"WEBS"}}});
    outcome first = poll(*source);
    ASSERT_EQ(first.status, FERRY_OK) << first.error;
    ASSERT_EQ(first.emitted.size(), 3u);
    json::value a1 = json::parse(first.emitted[0].payload);
    EXPECT_EQ(a1.at("sku").as_string(), "A-1");
    EXPECT_EQ(a1.at("location").as_string(), "WEBS");
    EXPECT_EQ(a1.at("available").as_int64(), 10);
    EXPECT_EQ(poll(*source, first.cursor).emitted.size(), 0u);

    auto orders = make("order", order_config());
    ASSERT_EQ(deliver(*orders, order("#1016", {line("A-1", 4, "120.00")})).status, FERRY_OK);
    outcome after = poll(*source, first.cursor);
    ASSERT_EQ(after.emitted.size(), 1u);
    EXPECT_EQ(json::parse(after.emitted[0].payload).at("available").as_int64(), 6);
}

TEST_F(syspro_connector, invqry_gives_syspros_available_quantity_and_zero_where_an_item_is_not_stocked) {
    auto invqry = make("inventory_level", json::object{{"warehouses", {"WEBS", "FG"}}, {"method", "invqry"}});
    outcome by_item = poll(*invqry);
    ASSERT_EQ(by_item.status, FERRY_OK) << by_item.error;
    ASSERT_EQ(by_item.emitted.size(), 6u);  // 3 items x 2 warehouses
    std::map<std::string, int64_t> available;
    for (const auto& r : by_item.emitted) {
        json::value level = json::parse(r.payload);
        available[std::string(level.at("location").as_string()) + "/" + std::string(level.at("sku").as_string())] =
            level.at("available").as_int64();
    }
    EXPECT_EQ(available["WEBS/B-2"], 5);
    EXPECT_EQ(available["FG/B-2"], 3);
    EXPECT_EQ(available["FG/A-1"], 0);  // not stocked there: no WarehouseItem
}

TEST_F(syspro_connector, dispatch_notes_become_fulfillments_with_tracking_and_lines) {
    auto orders = make("order", order_config());
    outcome imported = deliver(*orders, order("#1017", {line("A-1", 1, "120.00"), line("B-2", 2, "45.00")}));
    ASSERT_EQ(imported.status, FERRY_OK);
    auto source = make("fulfillment", json::object{{"tracking_urls", {{"UPS", "https://ups.example/t/{number}"}}}});
    EXPECT_TRUE(poll(*source).emitted.empty());
    control("POST", "orders/" + imported.target + "/dispatch",
            json::object{{"carrier", "UPS"}, {"tracking_number", "1Z999"}, {"lines", json::array{json::object{{"line", 2}, {"qty", 1}}}}});
    outcome r = poll(*source);
    ASSERT_EQ(r.status, FERRY_OK) << r.error;
    ASSERT_EQ(r.emitted.size(), 1u);
    json::value f = json::parse(r.emitted[0].payload);
    EXPECT_EQ(f.at("order_number").as_string(), "#1017");
    EXPECT_EQ(f.at("erp_order").as_string(), imported.target);
    EXPECT_EQ(f.at("tracking").at("number").as_string(), "1Z999");
    EXPECT_EQ(f.at("tracking").at("url").as_string(), "https://ups.example/t/1Z999");
    ASSERT_EQ(f.at("lines").as_array().size(), 1u);
    EXPECT_EQ(f.at("lines").as_array()[0].at("sku").as_string(), "B-2");
    EXPECT_EQ(f.at("lines").as_array()[0].at("quantity").as_int64(), 1);
    EXPECT_TRUE(poll(*source, r.cursor).emitted.empty());
}

TEST_F(syspro_connector, shop_fulfillments_become_one_dispatch_note_and_an_invoice) {
    auto orders = make("order", order_config());
    outcome imported = deliver(*orders, order("#1018", {line("A-1", 1, "120.00"), line("B-2", 2, "45.00")}));
    ASSERT_EQ(imported.status, FERRY_OK);
    auto sink = make("dispatch", json::object{});
    json::object f{{"id", "gid://shopify/Fulfillment/555"}, {"order_number", "#1018"}, {"created_at", "2026-11-24T09:00:00Z"},
                   {"tracking", {{"company", "DHL"}, {"number", "JD0001"}}},
                   {"lines", json::array{json::object{{"sku", "A-1"}, {"quantity", 1}}, json::object{{"sku", "B-2"}, {"quantity", 2}}}}};
    outcome r = deliver(*sink, f);
    ASSERT_EQ(r.status, FERRY_OK) << r.error;
    json::object so = orders_with_po("#1018")[0].as_object();
    ASSERT_EQ(so.at("dispatches").as_array().size(), 1u);
    EXPECT_EQ(so.at("dispatches").as_array()[0].at("tracking_number").as_string(), "JD0001");
    EXPECT_EQ(r.target, so.at("dispatches").as_array()[0].at("dispatch_note").as_string());
    EXPECT_EQ(so.at("invoices").as_array().size(), 1u);
    EXPECT_EQ(deliver(*sink, f, "shopify:1", true).target, r.target);  // a retry finds the note
    EXPECT_EQ(deliver(*sink, f).target, r.target);
    EXPECT_EQ(orders_with_po("#1018")[0].at("dispatches").as_array().size(), 1u);
    // A note that came from the shop is not sent back to it.
    auto source = make("fulfillment", json::object{});
    EXPECT_TRUE(poll(*source).emitted.empty());
}

TEST_F(syspro_connector, order_status_changes_are_emitted_once_each) {
    auto orders = make("order", order_config());
    outcome imported = deliver(*orders, order("#1019", {line("A-1", 1, "120.00")}));
    ASSERT_EQ(imported.status, FERRY_OK);
    auto source = make("order_status", json::object{});
    outcome first = poll(*source);
    ASSERT_EQ(first.emitted.size(), 1u);
    EXPECT_EQ(json::parse(first.emitted[0].payload).at("status").as_string(), "open");
    EXPECT_TRUE(poll(*source, first.cursor).emitted.empty());
    control("POST", "orders/" + imported.target + "/dispatch", json::object{{"tracking_number", "T1"}});
    control("POST", "orders/" + imported.target + "/invoice");
    outcome later = poll(*source, first.cursor);
    ASSERT_EQ(later.emitted.size(), 1u);
    json::value s = json::parse(later.emitted[0].payload);
    EXPECT_EQ(s.at("status").as_string(), "complete");
    EXPECT_FALSE(s.at("last_invoice").is_null());
}

}  // namespace
