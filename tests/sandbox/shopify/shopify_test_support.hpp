// A small libcurl client and a sandbox with a seeded shop, shared by the emulator's tests.
#pragma once

#include "common/sandbox.hpp"
#include "shopify/shopify_service.hpp"

#include <boost/json.hpp>
#include "http_test_client.hpp"

#include <map>
#include <string>
#include <vector>

namespace shopify_test {

namespace json = boost::json;

struct http_result : ferry::test::http_answer {
    json::value json() const { return json::parse(body); }
};

// `headers` as "Name: value" lines; every request says its body is JSON.
inline http_result http(const std::string& method, const std::string& url, const std::string& body = "",
                        const std::vector<std::string>& headers = {}) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const std::string& h : headers) {
        size_t colon = h.find(':');
        pairs.emplace_back(h.substr(0, colon), colon == std::string::npos ? "" : h.substr(h.find_first_not_of(' ', colon + 1)));
    }
    pairs.emplace_back("Content-Type", "application/json");
    return {ferry::test::http_call(method, url, body, pairs, 10000)};
}

inline const char* test_seed = R"({"shopify": {
  "shop": {"name": "Test Shop", "domain": "test-shop.myshopify.com", "currency": "EUR"},
  "settings": {"access_tokens": ["shpat_test"], "webhook_secret": "test_secret_key"},
  "locations": [{"name": "Main Warehouse", "address": {"address1": "1 Dock Road", "city": "Berlin", "country_code": "DE", "zip": "10115"}},
                {"name": "Overflow"}],
  "products": [
    {"title": "Blue Mug", "variants": [{"sku": "MUG-BLUE", "price": "12.50", "stock": {"Main Warehouse": 40, "Overflow": 5}}]},
    {"title": "T-Shirt", "variants": [{"sku": "TS-S", "title": "S", "price": "20.00", "stock": {"Main Warehouse": 10}},
                                      {"sku": "TS-M", "title": "M", "price": "20.00", "stock": {"Main Warehouse": 0}}]}],
  "customers": [{"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee",
                 "address": {"address1": "2 Elm St", "city": "Berlin", "country_code": "DE", "zip": "10117"}}]
}})";

// A started sandbox with the test shop.
class shop {
public:
    shop() {
        box.add(ferry::sandbox::shopify::make_service(box.timers()));
        box.seed(json::parse(test_seed));
        box.start();
        base = box.url("shopify");
    }

    http_result gql(const std::string& query, const json::object& variables = {}, const std::string& version = "2025-10",
                    const std::string& token = "shpat_test") {
        json::object body{{"query", query}, {"variables", variables}};
        return http("POST", base + "/admin/api/" + version + "/graphql.json", json::serialize(body),
                    {"X-Shopify-Access-Token: " + token});
    }

    json::value control(const std::string& method, const std::string& route, const json::value& body = json::object{}) {
        return http(method, base + "/_sandbox/" + route, json::serialize(body)).json();
    }

    ferry::sandbox::sandbox box;
    std::string base;
};

}  // namespace shopify_test
