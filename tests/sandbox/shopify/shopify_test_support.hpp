// A small libcurl client and a sandbox with a seeded shop, shared by the emulator's tests.
#pragma once

#include "common/sandbox.hpp"
#include "shopify/shopify_service.hpp"

#include <boost/json.hpp>
#include <curl/curl.h>

#include <map>
#include <string>
#include <vector>

namespace shopify_test {

namespace json = boost::json;

struct http_result {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
    json::value json() const { return json::parse(body); }
};

inline size_t collect_body(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

inline size_t collect_header(char* data, size_t size, size_t n, void* out) {
    std::string line(data, size * n);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
        (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
    }
    return size * n;
}

inline http_result http(const std::string& method, const std::string& url, const std::string& body = "",
                        const std::vector<std::string>& headers = {}) {
    http_result r;
    CURL* curl = curl_easy_init();
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || method == "PUT") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return r;
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
