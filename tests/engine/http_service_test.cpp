// The host's HTTP service as a connector uses it: testkit's http sink delivers to a target served
// on loopback by this test. Covers status mapping, the API call log and its redaction, metrics,
// transport failures and the rate governor.
#include "engine_harness.hpp"
#include "net/http_server.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <mutex>

using namespace ferry::host;
using namespace ferry::net;
namespace json = boost::json;

namespace {

const std::string token = "tok-SECRET-0123456789";

// A target API with a token bucket like Shopify's: each POST costs `cost`, the bucket refills at
// `restore` per second up to `capacity`; over budget it answers 429.
class target_api {
public:
    int fail_5xx = 0;  // answer 503 this many times first
    int hold_ms = 0;   // keep each POST this long, to see how many arrive at once
    std::atomic<int> concurrent{0};
    std::atomic<int> most_concurrent{0};
    int reject_4xx = 0;
    int throttle_429 = 0;
    bool bucket = false;
    double capacity = 20, restore = 100, cost = 10, available = 20;

    http_reply handle(const http_request_in& request) {
        if (request.method == "POST" && hold_ms > 0) {
            int now = ++concurrent;
            for (int seen = most_concurrent; now > seen && !most_concurrent.compare_exchange_weak(seen, now);) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));  // the target's own work
            --concurrent;
        }
        std::lock_guard lock(mutex);
        std::string query = request.target.substr(request.target.find('?') + 1);
        if (request.method == "GET") {
            std::string key = query.substr(query.find("idempotency_key=") + 16);
            auto found = ids.find(key);
            if (found == ids.end()) return {404, "application/json", "{}", {}};
            return {200, "application/json", json::serialize(json::object{{"id", found->second}}), {}};
        }
        ++posts;
        last_query = query;
        if (fail_5xx > 0) {
            --fail_5xx;
            return {503, "application/json", R"({"error":"maintenance"})", {}};
        }
        if (reject_4xx > 0) {
            --reject_4xx;
            return {422, "application/json", R"({"error":"unknown SKU"})", {}};
        }
        if (throttle_429 > 0) {
            --throttle_429;
            return {429, "application/json", R"({"error":"slow down"})", {}};
        }
        if (bucket) {
            auto now = std::chrono::steady_clock::now();
            available = std::min(capacity, available + restore * std::chrono::duration<double>(now - last_refill).count());
            last_refill = now;
            if (available < cost) {
                ++throttled;
                return {429, "application/json", R"({"error":"throttled"})", {{"Retry-After", "1"}}};
            }
            available -= cost;
        }
        std::string key;
        for (const auto& [name, value] : request.headers) {
            if (name == "Idempotency-Key") key = value;
        }
        std::string id = "SO-" + std::to_string(ids.size() + 1);
        ids[key] = id;
        bodies.push_back(request.body);
        http_reply reply{201, "application/json", json::serialize(json::object{{"id", id}}), {}};
        if (bucket) {
            reply.headers = {{"X-Budget-Available", std::to_string(available)},
                             {"X-Budget-Capacity", std::to_string(capacity)},
                             {"X-Budget-Restore", std::to_string(restore)}};
        }
        return reply;
    }

    std::mutex mutex;
    std::map<std::string, std::string> ids;
    std::vector<std::string> bodies;
    int posts = 0;
    int throttled = 0;
    std::string last_query;
    std::chrono::steady_clock::time_point last_refill = std::chrono::steady_clock::now();
};

class http_service_test : public ::testing::Test, protected ferry::test::engine_harness {
protected:
    void SetUp() override {
        ::setenv("FERRY_TEST_TOKEN", token.c_str(), 1);
        http_server_options options;
        options.port = 0;
        server = std::make_unique<http_server>(options, immediate([this](const http_request_in& r) { return target.handle(r); }));
        server->start();
    }
    void TearDown() override {
        if (eng) eng->stop();
        server->stop();
    }

    void load(const std::string& endpoint, const std::string& sink_config, const std::string& retry = R"("max_attempts": 3, "backoff": "5ms..10ms")",
              const std::string& connection_extra = "") {
        std::string text = R"({
          "ferry": 1,
          "connections": {"svc": {"plugin": "testkit", "config": {"endpoint": ")" + endpoint + R"(", "token": "${env:FERRY_TEST_TOKEN}"})" +
                           connection_extra + R"(}},
          "pipelines": {"orders": {
            "source": {"connection": "svc", "stream": "order"},
            "sink": {"connection": "svc", "stream": "order", "component": "http", "config": )" + sink_config + R"(},
            "retry": {)" + retry + R"(},
            "concurrency": 4
          }}
        })";
        engine_harness::load(text);
        eng->start(false);
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

    void send(int id) {
        webhook_input request;
        request.headers = {{"X-Test-Signature", "good"}};
        request.body = R"({"id":)" + std::to_string(id) + "}";
        ASSERT_EQ(eng->accept_webhook("svc", request).http_status, 200);
    }
    target_api target;
    std::unique_ptr<http_server> server;
};

TEST_F(http_service_test, delivers_and_logs_the_call_without_the_secret) {
    load(endpoint(), R"({"path": "/orders"})");
    send(1);
    ASSERT_TRUE(settle());
    EXPECT_EQ(target.bodies, std::vector<std::string>{R"({"id":1})"});
    EXPECT_EQ(target.last_query, "api_key=" + token) << "the plugin really sent the secret";
    EXPECT_EQ(db->target_for("orders:ticker:1:1"), "SO-1");

    auto calls = db->api_calls("svc", 10);
    ASSERT_EQ(calls.size(), 1u) << "no lookup for a record never tried before";
    EXPECT_EQ(calls[0].method, "POST");
    EXPECT_EQ(calls[0].status, 201);
    EXPECT_EQ(calls[0].url, endpoint() + "/orders?api_key=********");
    EXPECT_EQ(calls[0].request_body, R"({"id":1})");
    EXPECT_EQ(calls[0].response_body, R"({"id":"SO-1"})");
    for (const auto& c : calls) {
        EXPECT_EQ(c.url.find(token), std::string::npos);
        EXPECT_EQ(c.request_body.find(token), std::string::npos);
    }
    EXPECT_EQ(metrics.value("ferry_api_calls_total", {{"connection", "svc"}, {"status", "201"}}), 1);
    EXPECT_EQ(metrics.value("ferry_api_latency_seconds", {{"connection", "svc"}}), 1);
}

TEST_F(http_service_test, a_5xx_is_retried_and_a_4xx_dead_lettered_with_the_targets_words) {
    target.fail_5xx = 2;
    load(endpoint(), R"({"path": "/orders"})");
    send(1);
    ASSERT_TRUE(settle());
    EXPECT_EQ(target.ids.size(), 1u);
    EXPECT_EQ(metrics.value("ferry_api_errors_total", {{"connection", "svc"}}), 2);

    target.reject_4xx = 1;
    send(2);
    ASSERT_TRUE(settle());
    auto letters = db->dead_letters("orders", 10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].reason, R"(target refused: {"error":"unknown SKU"})");
}

TEST_F(http_service_test, a_429_waits_out_retry_after_without_spending_attempts) {
    target.throttle_429 = 1;
    load(endpoint(), R"({"path": "/orders"})", R"("max_attempts": 1)");
    auto started = std::chrono::steady_clock::now();
    send(1);
    ASSERT_TRUE(settle());
    EXPECT_EQ(target.ids.size(), 1u) << "delivered though max_attempts is 1";
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1000)) << "Retry-After: 1 honoured";
}

TEST_F(http_service_test, a_transport_failure_is_transient_and_named) {
    // A port nothing listens on: bind one, then close it.
    http_server_options options;
    options.port = 0;
    http_server closed(options, immediate([](const http_request_in&) { return http_reply{}; }));
    closed.start();
    std::string dead_endpoint = "http://127.0.0.1:" + std::to_string(closed.port());
    closed.stop();

    load(dead_endpoint, R"({"path": "/orders"})", R"("max_attempts": 2, "backoff": "5ms..10ms")");
    send(1);
    ASSERT_TRUE(settle());
    auto letters = db->dead_letters("orders", 10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_NE(letters[0].reason.find("gave up after 2 attempts; last error: GET " + dead_endpoint), std::string::npos)
        << "the second attempt looks the first up before writing again: "
        << letters[0].reason;
    EXPECT_NE(letters[0].reason.find("Couldn't connect to server"), std::string::npos) << letters[0].reason;
    EXPECT_EQ(letters[0].reason.find(token), std::string::npos) << "the URL's secret is redacted in errors too";
    auto calls = db->api_calls("svc", 10);
    ASSERT_FALSE(calls.empty());
    EXPECT_EQ(calls[0].status, 0);
    EXPECT_EQ(calls[0].error, "Couldn't connect to server");
}

TEST_F(http_service_test, the_rate_governor_holds_back_requests_that_would_be_throttled) {
    target.bucket = true;
    load(endpoint(), R"({"path": "/orders", "cost": 10})");
    // Teach the governor the bucket with a first request, as a connector learns it from a response.
    send(1);
    ASSERT_TRUE(settle());
    for (int id = 2; id <= 12; ++id) send(id);
    ASSERT_TRUE(settle());
    EXPECT_EQ(target.ids.size(), 12u);
    EXPECT_EQ(target.throttled, 0) << "no request was sent into an empty bucket";
    EXPECT_GT(metrics.value("ferry_rate_governor_waits_total", {{"connection", "svc"}}), 0);
}

}  // namespace

namespace {

TEST_F(http_service_test, without_a_cost_the_same_load_is_throttled_and_still_delivered) {
    target.bucket = true;
    load(endpoint(), R"({"path": "/orders"})");
    send(1);
    ASSERT_TRUE(settle());
    for (int id = 2; id <= 12; ++id) send(id);
    ASSERT_TRUE(settle());
    EXPECT_GT(target.throttled, 0) << "the control: the governor test above means something";
    EXPECT_EQ(target.ids.size(), 12u) << "throttled records waited and went through";
}

}  // namespace

namespace {

TEST_F(http_service_test, a_connection_limit_caps_calls_in_flight_across_the_pipeline) {
    target.hold_ms = 20;
    load(endpoint(), R"({"path": "/orders"})", R"("max_attempts": 3)", R"(, "max_concurrency": 1)");
    for (int id = 1; id <= 6; ++id) send(id);
    ASSERT_TRUE(settle());
    EXPECT_EQ(target.ids.size(), 6u);
    EXPECT_EQ(target.most_concurrent, 1);
}

TEST_F(http_service_test, without_a_connection_limit_calls_overlap) {
    target.hold_ms = 20;
    load(endpoint(), R"({"path": "/orders"})");
    for (int id = 1; id <= 6; ++id) send(id);
    ASSERT_TRUE(settle());
    EXPECT_GT(target.most_concurrent, 1) << "the control: the limit above is what serialises";
}

}  // namespace
