// The Shopify connection: webhook signatures (the reference's public test vector), and how the
// plugin turns Shopify's answers (THROTTLED at HTTP 200, 429, 401, 5xx) into ferry statuses.
#include "shopify_world.hpp"

#include <chrono>

namespace ferry::test {

std::string shopify_emulator::sandbox_token() { return "shpat_sandbox"; }
std::string shopify_emulator::sandbox_webhook_secret() { return "sandbox-webhook-secret"; }

namespace {

using shopify_connector = shopify_world;

// A fake Shopify that answers every request with one canned reply: for the exact arithmetic of
// error mapping, independent of the emulator's bucket state.
class canned_shopify {
public:
    explicit canned_shopify(net::http_reply reply)
        : reply_(std::move(reply)),
          server_(net::http_server_options{"127.0.0.1", 0}, net::immediate([this](const net::http_request_in& r) {
              std::lock_guard lock(mutex_);
              requests_.push_back(r);
              return reply_;
          })) {
        server_.start();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
    std::vector<net::http_request_in> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    net::http_reply reply_;
    mutable std::mutex mutex_;
    std::vector<net::http_request_in> requests_;
    net::http_server server_;
};

std::vector<std::pair<std::string, std::string>> shopify_headers(const std::string& topic, const std::string& hmac) {
    return {{"X-Shopify-Topic", topic},
            {"X-Shopify-Hmac-Sha256", hmac},
            {"X-Shopify-Shop-Domain", "shop1.myshopify.io"},
            {"X-Shopify-API-Version", "2023-01"},
            {"X-Shopify-Webhook-Id", "123456789"},
            {"X-Shopify-Event-Id", "a2533945-511e-45bb-a0fa-1dba0ad9ecb1"}};
}

// Test vector A of the reference (Shopify/shopify-api-js): secret test_secret_key, body
// {"foo": "bar"} (14 bytes), X-Shopify-Hmac-Sha256 B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=.
TEST_F(shopify_connector, accepts_the_public_webhook_test_vector_and_refuses_any_other_byte) {
    const host::component_info* info = registry_.find_component("shopify.products");
    ASSERT_TRUE(info);
    std::string config = json::serialize(json::object{{"shop", base_}, {"api_version", "2025-10"},
                                                      {"access_token", "x"}, {"webhook_secret", "test_secret_key"}});
    plugin_component products(*info, services_, "shop", config, "{}");
    ASSERT_TRUE(products.ok()) << products.create_error();
    const std::string body = R"({"foo": "bar"})";
    ASSERT_EQ(body.size(), 14u);
    const std::string hmac = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=";

    // The signature holds; the body is no product, so it is refused as malformed, not as forged.
    EXPECT_EQ(products.webhook(shopify_headers("products/create", hmac), body, call_), FERRY_REJECT) << call_.error();
    EXPECT_NE(call_.error().find("without an id"), std::string::npos) << call_.error();

    EXPECT_EQ(products.webhook(shopify_headers("products/create", hmac), R"({"foo":"bar"})", call_), FERRY_UNAUTHORIZED);
    EXPECT_EQ(products.webhook(shopify_headers("products/create", "C23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="), body, call_),
              FERRY_UNAUTHORIZED);
    EXPECT_EQ(products.webhook(shopify_headers("products/create", ""), body, call_), FERRY_UNAUTHORIZED);
    auto no_header = shopify_headers("products/create", hmac);
    no_header.erase(no_header.begin() + 1);
    EXPECT_EQ(products.webhook(no_header, body, call_), FERRY_UNAUTHORIZED);
    EXPECT_EQ(call_.error().find("test_secret_key"), std::string::npos);

    // Another source's topic, correctly signed: nothing to do here, and no failure.
    EXPECT_EQ(products.webhook(shopify_headers("orders/create", hmac), body, call_), FERRY_OK) << call_.error();
    EXPECT_EQ(call_.emitted_count(), 0u);
}

TEST_F(shopify_connector, refuses_webhooks_when_no_webhook_secret_is_configured) {
    const host::component_info* info = registry_.find_component("shopify.orders");
    ASSERT_TRUE(info);
    std::string config = json::serialize(json::object{{"shop", base_}, {"api_version", "2025-10"}, {"access_token", "x"}});
    plugin_component orders(*info, services_, "shop", config, "{}");
    ASSERT_TRUE(orders.ok()) << orders.create_error();
    EXPECT_EQ(orders.webhook(shopify_headers("orders/create", "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="), R"({"foo": "bar"})", call_),
              FERRY_UNAUTHORIZED);
    EXPECT_NE(call_.error().find("webhook_secret"), std::string::npos) << call_.error();
}

TEST_F(shopify_connector, rejects_a_shop_that_is_neither_a_subdomain_nor_a_url) {
    const host::component_info* info = registry_.find_component("shopify.orders");
    ASSERT_TRUE(info);
    std::string config = json::serialize(json::object{{"shop", "not a shop!"}, {"api_version", "2025-10"}, {"access_token", "x"}});
    plugin_component orders(*info, services_, "shop", config, "{}");
    EXPECT_FALSE(orders.ok());
    EXPECT_EQ(orders.create_status(), FERRY_FATAL);
    EXPECT_NE(orders.create_error().find("shop must be"), std::string::npos) << orders.create_error();
}

// The captured THROTTLED answer of the reference (HTTP 200): requested 70, 66 available, restore
// 50/s, so Shopify can take the query after (70 - 66) / 50 s = 80 ms.
TEST_F(shopify_connector, maps_throttled_at_http_200_to_the_throttled_status_with_the_deficit_delay) {
    canned_shopify fake(net::http_reply{200, "application/json",
                                        R"({"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],
                                            "extensions":{"cost":{"requestedQueryCost":70,"actualQueryCost":null,
                                            "throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":66,"restoreRate":50}}}})",
                                        {}});
    base_ = fake.url();
    auto inventory = make("inventory");
    ASSERT_TRUE(inventory);
    ferry_status status = inventory->write(record("inventory_level", "erp:ROPE-10@Main", json::object{{"sku", "ROPE-10"}, {"location", "Main Warehouse"}, {"available", 3}}),
                                           "p:k:1", call_);
    EXPECT_EQ(status, FERRY_THROTTLED) << call_.error();
    EXPECT_EQ(call_.delay_ms(), 80u);
    EXPECT_NE(call_.error().find("THROTTLED"), std::string::npos) << call_.error();
    // The request carried the token in its header, and never in the message.
    std::vector<net::http_request_in> sent = fake.requests();
    ASSERT_FALSE(sent.empty());
    bool token_header = false;
    for (const auto& [n, v] : sent[0].headers) {
        if (strcasecmp(n.c_str(), "X-Shopify-Access-Token") == 0 && v == sandbox_token()) token_header = true;
    }
    EXPECT_TRUE(token_header);
    EXPECT_EQ(call_.error().find(sandbox_token()), std::string::npos);
}

TEST_F(shopify_connector, maps_429_with_retry_after_to_throttled) {
    canned_shopify fake(net::http_reply{429, "application/json", R"({"errors":"Exceeded 2 calls per second for api client."})",
                                        {{"Retry-After", "2.0"}}});
    base_ = fake.url();
    auto annotations = make("order_annotations");
    ASSERT_TRUE(annotations);
    json::object erp{{"order_id", "gid://shopify/Order/9007199254741993"}, {"order_number", "#1001"}, {"erp", "syspro"}, {"erp_order", "000123"}};
    EXPECT_EQ(annotations->write(record("erp_order", "syspro:000123", erp), "p:k:1", call_), FERRY_THROTTLED) << call_.error();
    EXPECT_EQ(call_.delay_ms(), 2000u);
}

TEST_F(shopify_connector, maps_401_to_fatal_with_a_clear_message_and_no_secret) {
    const host::component_info* info = registry_.find_component("shopify.inventory");
    ASSERT_TRUE(info);
    plugin_component wrong(*info, services_, "shop", connection_config("2025-10", "shpat_wrong_token_value"), "{}");
    ASSERT_TRUE(wrong.ok());
    ferry_status status = wrong.write(record("inventory_level", "erp:ROPE-10@Main", json::object{{"sku", "ROPE-10"}, {"location", "Main Warehouse"}, {"available", 3}}),
                                      "p:k:1", call_);
    EXPECT_EQ(status, FERRY_FATAL);
    EXPECT_NE(call_.error().find("HTTP 401"), std::string::npos) << call_.error();
    EXPECT_NE(call_.error().find("access_token"), std::string::npos) << call_.error();
    EXPECT_EQ(call_.error().find("shpat_wrong_token_value"), std::string::npos) << call_.error();
    EXPECT_EQ(call_.error().find(sandbox_webhook_secret()), std::string::npos) << call_.error();
}

TEST_F(shopify_connector, maps_server_errors_to_retry) {
    control("/_sandbox/faults", json::object{{"fail_next", 1}, {"error_status", 502}});
    auto products = make("products", R"({"since": "2020-01-01T00:00:00Z"})");
    ASSERT_TRUE(products);
    EXPECT_EQ(products->poll("", call_), FERRY_RETRY) << call_.error();
    EXPECT_NE(call_.error().find("HTTP 502"), std::string::npos) << call_.error();
    EXPECT_EQ(products->poll("", call_), FERRY_OK) << call_.error();
}

// The emulator's own bucket: a query that costs more than is left comes back THROTTLED and the
// plugin asks to wait what the restore rate needs to cover the deficit.
TEST_F(shopify_connector, a_throttled_answer_from_the_emulator_names_the_wait_the_bucket_needs) {
    control("/_sandbox/settings", json::object{{"graphql_bucket_size", 30}, {"graphql_restore_rate", 10}});
    auto products = make("products", R"({"since": "2020-01-01T00:00:00Z", "page_size": 1})");
    ASSERT_TRUE(products);
    ferry_status status = products->poll("", call_);
    ASSERT_EQ(status, FERRY_THROTTLED) << call_.error();
    // One product with up to 100 variants: 2 + 1 x (1 + 2 + 100 x 2) = 205 points requested, 30
    // available, 10 restored per second: (205 - 30) / 10 = 17.5 s.
    EXPECT_EQ(call_.delay_ms(), 17500u) << call_.error();
    json::value counters = control("/_sandbox/requests", nullptr, "GET");
    EXPECT_EQ(counters.at("graphql_throttled").to_number<int64_t>(), 1);
}

// With the rate reports feeding the host's governor, a writer that asks for more than the bucket
// restores waits instead of being throttled: 12 annotations of about 30 points each, from three
// writers at once, on a bucket of 100 that restores 50 per second.
TEST_F(shopify_connector, the_governor_fed_by_rate_reports_avoids_throttled_answers) {
    control("/_sandbox/settings", json::object{{"graphql_bucket_size", 100}, {"graphql_restore_rate", 50}});
    auto annotations = make("order_annotations");
    ASSERT_TRUE(annotations);
    json::value created = control("/_sandbox/orders", json::object{{"count", 1}, {"lines", json::array{json::object{{"sku", "ROPE-10"}, {"quantity", 1}}}}});
    std::string name(created.at("orders").as_array().at(0).at("name").as_string());
    auto started = std::chrono::steady_clock::now();
    std::atomic<int> failed{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w) {
        writers.emplace_back([&, w] {
            host::call_context call;
            for (int i = w * 4; i < w * 4 + 4; ++i) {
                json::object p{{"order_number", name}, {"erp", "syspro"}, {"erp_order", "SO-" + std::to_string(i)}};
                if (annotations->write(record("erp_order", "syspro:SO-" + std::to_string(i), p), "p:k:" + std::to_string(i), call) != FERRY_OK) {
                    ++failed;
                }
            }
        });
    }
    for (auto& t : writers) t.join();
    EXPECT_EQ(failed.load(), 0);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    json::value counters = control("/_sandbox/requests", nullptr, "GET");
    const json::value* t = counters.as_object().if_contains("graphql_throttled");
    EXPECT_TRUE(!t || t->to_number<int64_t>() == 0) << json::serialize(counters);
    // It did have to wait: the points spent exceed the bucket.
    double spent = counters.at("points_spent").to_number<double>();
    EXPECT_GT(spent, 150) << json::serialize(counters);
    EXPECT_GT(seconds, (spent - 100) / 50 * 0.8);
}

}  // namespace
}  // namespace ferry::test
