// Webhook delivery of the Shopify emulator: signing (test vector A of the reference), headers,
// payload shape, retries, and the duplicate / out-of-order / drop switches.
#include "shopify_test_support.hpp"

#include "net/http_server.hpp"
#include "shopify/webhooks.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

using namespace shopify_test;

namespace {

// A webhook endpoint on a free loopback port that records what arrives and answers with the
// status `answer` picks; 0 means never answer (the connection stays open until the test ends).
class receiver {
public:
    explicit receiver(std::function<int(size_t)> answer = [](size_t) { return 200; }) : answer_(std::move(answer)) {
        net_options.port = 0;
        server_ = std::make_unique<ferry::net::http_server>(net_options, [this](ferry::net::http_request_in r, ferry::net::http_responder respond) {
            int status;
            {
                std::lock_guard lock(mutex_);
                received_.push_back(r);
                status = answer_(received_.size());
            }
            changed_.notify_all();
            if (status == 0) {
                std::lock_guard lock(mutex_);
                held_.push_back(std::move(respond));
                return;
            }
            respond({status, "text/plain", "ok", {}});
        });
        server_->start();
    }

    // Held connections are dropped while their server still runs.
    ~receiver() {
        {
            std::lock_guard lock(mutex_);
            held_.clear();
        }
        server_->stop();
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hooks"; }

    // Waits until `count` requests arrived (or 5 s passed) and returns what arrived.
    std::vector<ferry::net::http_request_in> wait_for(size_t count) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(5), [&] { return received_.size() >= count; });
        return received_;
    }

private:
    ferry::net::http_server_options net_options;
    std::function<int(size_t)> answer_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<ferry::net::http_request_in> received_;
    std::vector<ferry::net::http_responder> held_;
    std::unique_ptr<ferry::net::http_server> server_;
};

std::string header(const ferry::net::http_request_in& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
        if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) return v;
    }
    return "";
}

// The control API's view of webhooks once `done` holds for it (or after 5 s): the dispatcher logs
// an attempt only after the receiver has answered it.
json::value webhooks_when(shop& s, const std::function<bool(const json::value&)>& done) {
    json::value v;
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5); std::chrono::steady_clock::now() < until;) {
        v = s.control("GET", "webhooks");
        if (done(v)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return v;
}

void subscribe(shop& s, const receiver& r, const std::string& topic, const std::string& name = "") {
    json::object body{{"topic", topic}, {"address", r.url()}};
    if (!name.empty()) body["name"] = name;
    s.control("POST", "webhooks", body);
}

}  // namespace

TEST(shopify_webhooks, signature_matches_the_reference_test_vector) {
    EXPECT_EQ(ferry::sandbox::shopify::webhook_hmac("test_secret_key", R"({"foo": "bar"})"), "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=");
}

TEST(shopify_webhooks, order_create_delivery_carries_every_header_and_the_rest_payload) {
    shop s;
    receiver r;
    subscribe(s, r, "orders/create", "erp-orders");
    s.control("POST", "orders", json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 1}}}}});
    auto got = r.wait_for(1);
    ASSERT_EQ(got.size(), 1u);
    const auto& d = got[0];
    EXPECT_EQ(header(d, "X-Shopify-Topic"), "orders/create");
    EXPECT_EQ(header(d, "X-Shopify-Hmac-Sha256"), ferry::sandbox::shopify::webhook_hmac("test_secret_key", d.body));
    EXPECT_EQ(header(d, "X-Shopify-Shop-Domain"), "test-shop.myshopify.com");
    EXPECT_EQ(header(d, "X-Shopify-API-Version"), "2025-10");
    EXPECT_EQ(header(d, "X-Shopify-Webhook-Id").size(), 36u);  // a UUID
    EXPECT_EQ(header(d, "X-Shopify-Event-Id").size(), 36u);
    EXPECT_EQ(header(d, "X-Shopify-Name"), "erp-orders");
    EXPECT_EQ(header(d, "Content-Type"), "application/json");
    EXPECT_EQ(header(d, "X-Shopify-Triggered-At").size(), std::string("2024-05-06T10:45:17.912552336Z").size());
    // Slashes escaped as Shopify serializes them; ids as int64 beyond 2^53.
    EXPECT_NE(d.body.find(R"("admin_graphql_api_id":"gid:\/\/shopify\/Order\/)"), std::string::npos);
    json::value order = json::parse(d.body);
    EXPECT_EQ(header(d, "X-Shopify-Order-Id"), std::to_string(order.at("id").as_int64()));
    EXPECT_GT(order.at("id").as_int64(), int64_t(1) << 53);
    EXPECT_EQ(order.at("name"), "#1001");
    EXPECT_EQ(order.at("email"), "ann@example.com");
    EXPECT_EQ(order.at("line_items").at(0).at("sku"), "MUG-BLUE");
    EXPECT_EQ(order.at("customer").at("email"), "ann@example.com");
    EXPECT_EQ(order.at("shipping_address").at("city"), "Berlin");
    EXPECT_EQ(order.at("shipping_lines").at(0).at("title"), "Standard Shipping");
    EXPECT_EQ(order.at("financial_status"), "paid");
}

TEST(shopify_webhooks, failed_deliveries_are_retried_with_the_same_ids) {
    shop s;
    s.control("POST", "settings", json::object{{"webhook_time_scale", 0.0001}});  // minutes become milliseconds
    receiver r([](size_t n) { return n <= 2 ? 500 : 200; });
    subscribe(s, r, "orders/paid");
    s.control("POST", "orders", json::object{{"count", 1}, {"paid", false}});
    s.control("POST", "orders/1001/pay");
    auto got = r.wait_for(3);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(header(got[0], "X-Shopify-Webhook-Id"), header(got[2], "X-Shopify-Webhook-Id"));
    EXPECT_EQ(header(got[0], "X-Shopify-Event-Id"), header(got[2], "X-Shopify-Event-Id"));
    EXPECT_EQ(got[0].body, got[2].body);  // retried with the original payload
    json::value log = webhooks_when(s, [](const json::value& v) { return v.at("deliveries").as_array().size() >= 3; });
    EXPECT_EQ(log.at("deliveries").at(2).at("attempt").as_int64(), 3);
    EXPECT_EQ(log.at("deliveries").at(2).at("result"), "delivered");
}

TEST(shopify_webhooks, a_receiver_that_does_not_answer_in_time_is_retried) {
    shop s;
    s.control("POST", "settings", json::object{{"webhook_time_scale", 0.0001}, {"webhook_timeout_ms", 200}, {"webhook_max_retries", 1}});
    receiver r([](size_t) { return 0; });
    subscribe(s, r, "orders/create");
    s.control("POST", "orders", json::object{{"count", 1}});
    ASSERT_EQ(r.wait_for(2).size(), 2u);
    json::value log = webhooks_when(s, [](const json::value& v) { return v.at("deliveries").as_array().size() >= 2; });
    std::string result(log.at("deliveries").at(0).at("result").as_string());
    EXPECT_NE(result.find("Timeout"), std::string::npos) << result;
    EXPECT_TRUE(log.at("deliveries").at(0).at("will_retry").as_bool());
    EXPECT_FALSE(log.at("deliveries").at(1).at("will_retry").as_bool());
}

TEST(shopify_webhooks, subscription_is_removed_after_consecutive_failures) {
    shop s;
    s.control("POST", "settings", json::object{{"webhook_time_scale", 0.0001}, {"webhook_delete_after_failures", 3}, {"webhook_max_retries", 2}});
    receiver r([](size_t) { return 503; });
    subscribe(s, r, "orders/create");
    s.control("POST", "orders", json::object{{"count", 1}});
    ASSERT_EQ(r.wait_for(3).size(), 3u);
    json::value after = webhooks_when(s, [](const json::value& v) { return v.at("subscriptions").as_array().empty(); });
    EXPECT_TRUE(after.at("subscriptions").as_array().empty());
}

TEST(shopify_webhooks, duplicate_switch_repeats_the_event_id) {
    shop s;
    s.control("POST", "settings", json::object{{"webhook_duplicate_rate", 1.0}});
    receiver r;
    subscribe(s, r, "orders/create");
    s.control("POST", "orders", json::object{{"count", 1}});
    auto got = r.wait_for(2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(header(got[0], "X-Shopify-Event-Id"), header(got[1], "X-Shopify-Event-Id"));
    EXPECT_NE(header(got[0], "X-Shopify-Webhook-Id"), header(got[1], "X-Shopify-Webhook-Id"));
    EXPECT_EQ(got[0].body, got[1].body);
}

TEST(shopify_webhooks, out_of_order_switch_delivers_newest_first) {
    shop s;
    s.control("POST", "settings", json::object{{"webhook_out_of_order", true}, {"webhook_reorder_window_ms", 300}});
    receiver r;
    subscribe(s, r, "orders/create");
    s.control("POST", "orders", json::object{{"count", 3}});
    auto got = r.wait_for(3);
    ASSERT_EQ(got.size(), 3u);
    std::vector<std::string> names;
    for (const auto& d : got) names.emplace_back(json::parse(d.body).at("name").as_string());
    EXPECT_EQ(names, (std::vector<std::string>{"#1003", "#1002", "#1001"}));
}

TEST(shopify_webhooks, drop_switch_loses_events_and_logs_them) {
    shop s;
    s.control("POST", "settings", json::object{{"webhook_drop_rate", 1.0}});
    receiver r;
    subscribe(s, r, "orders/create");
    s.control("POST", "orders", json::object{{"count", 2}});
    json::value log = s.control("GET", "webhooks");
    ASSERT_EQ(log.at("deliveries").as_array().size(), 2u);
    EXPECT_EQ(log.at("deliveries").at(0).at("result"), "dropped");
    EXPECT_EQ(log.at("pending").as_int64(), 0);
}

TEST(shopify_webhooks, graphql_mutations_fire_their_topics) {
    shop s;
    receiver r;
    subscribe(s, r, "inventory_levels/update");
    subscribe(s, r, "fulfillments/create");
    subscribe(s, r, "orders/fulfilled");
    s.control("POST", "orders", json::object{{"lines", json::array{json::object{{"sku", "TS-S"}, {"quantity", 1}}}}});
    json::value fo = s.gql(R"({ orders(first: 1) { nodes { fulfillmentOrders(first: 1) { nodes { id } } } } })").json();
    std::string fo_id(fo.at("data").at("orders").at("nodes").at(0).at("fulfillmentOrders").at("nodes").at(0).at("id").as_string());
    s.gql(R"(mutation($id: ID!) { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId: $id}], trackingInfo: {number: "Z1", company: "DHL"}}) { userErrors { message } } })",
          {{"id", fo_id}});
    s.control("POST", "inventory", json::object{{"sku", "MUG-BLUE"}, {"location", "Overflow"}, {"available", 3}});
    auto got = r.wait_for(3);
    ASSERT_EQ(got.size(), 3u);
    std::set<std::string> topics;
    for (const auto& d : got) topics.insert(header(d, "X-Shopify-Topic"));
    EXPECT_EQ(topics, (std::set<std::string>{"fulfillments/create", "orders/fulfilled", "inventory_levels/update"}));
    for (const auto& d : got) {
        json::value body = json::parse(d.body);
        if (header(d, "X-Shopify-Topic") == "fulfillments/create") EXPECT_EQ(body.at("tracking_number"), "Z1");
        if (header(d, "X-Shopify-Topic") == "inventory_levels/update") EXPECT_EQ(body.at("available").as_int64(), 3);
    }
}

TEST(shopify_webhooks, a_subscription_made_through_graphql_delivers_in_its_api_version) {
    shop s;
    receiver r;
    json::object vars{{"url", r.url()}};
    s.gql(R"(mutation($url: URL!) { webhookSubscriptionCreate(topic: ORDERS_CANCELLED, webhookSubscription: {callbackUrl: $url}) { userErrors { message } } })",
          vars, "2026-01");
    s.control("POST", "orders", json::object{{"count", 1}});
    s.control("POST", "orders/1001/cancel", json::object{{"reason", "fraud"}});
    auto got = r.wait_for(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(header(got[0], "X-Shopify-API-Version"), "2026-01");
    EXPECT_EQ(json::parse(got[0].body).at("cancel_reason"), "fraud");
}
