// Webhook delivery as Shopify does it (reference section 3): HMAC-SHA256 over the exact body
// bytes, base64 in X-Shopify-Hmac-Sha256, the official headers, retries with exponential backoff,
// and switches for the misbehaviour a receiver must survive (duplicates, reordering, loss).
// Deliveries run on the dispatcher's own thread with libcurl, never on the server's I/O threads.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace ferry::sandbox::shopify {

// Base64 of HMAC-SHA256(secret, body): the value of X-Shopify-Hmac-Sha256.
std::string webhook_hmac(const std::string& secret, const std::string& body);

struct webhook_settings {
    std::string secret = "sandbox-webhook-secret";
    double time_scale = 1.0;           // multiplies retry delays; 0.001 turns minutes into tens of ms
    int max_retries = 8;               // "8 times over 4 hours"
    int connect_timeout_ms = 1000;
    int total_timeout_ms = 5000;
    int delete_after_failures = 8;     // consecutive failed attempts; 0 never deletes
    double duplicate_rate = 0;         // share of events delivered twice (same X-Shopify-Event-Id)
    double drop_rate = 0;              // share of events never delivered
    bool out_of_order = false;         // hold events for reorder_window_ms and send them newest first
    int reorder_window_ms = 200;
    bool stable_webhook_id = true;     // retries keep X-Shopify-Webhook-Id
    bool escape_slashes = true;        // "gid:\/\/shopify\/..." as Shopify serializes
    uint64_t random_seed = 1;
};

// One event for one subscription, captured when it is triggered.
struct webhook_event {
    int64_t subscription_id = 0;
    std::string subscription_name;
    std::string topic;
    std::string callback_url;
    std::string api_version;
    std::string shop_domain;
    std::vector<std::pair<std::string, std::string>> extra_headers;  // X-Shopify-Order-Id ...
    boost::json::object payload;
    std::vector<std::string> include_fields;
};

class webhook_dispatcher {
public:
    webhook_dispatcher();
    ~webhook_dispatcher();  // stops
    webhook_dispatcher(const webhook_dispatcher&) = delete;
    webhook_dispatcher& operator=(const webhook_dispatcher&) = delete;

    void start();
    void stop();

    void configure(const webhook_settings& s);
    webhook_settings settings() const;

    // Queues the deliveries of one merchant action: one event per subscription, sharing
    // X-Shopify-Event-Id.
    void emit(std::vector<webhook_event> events);

    // Every attempt made so far (newest last), with its headers, body and result.
    boost::json::array deliveries() const;
    void clear_deliveries();
    size_t pending() const;

    // Told after each attempt: (subscription id, succeeded). Called on the delivery thread with no
    // dispatcher lock held.
    std::function<void(int64_t, bool)> on_attempt;

private:
    struct job {
        webhook_event event;
        std::string event_id, webhook_id, triggered_at, body;
        int attempt = 0;
        uint64_t sequence = 0;  // order of emission, for out-of-order delivery
    };
    using clock = std::chrono::steady_clock;

    void loop();
    void deliver(job& j);
    std::string uuid();

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::multimap<clock::time_point, job> queue_;
    std::deque<boost::json::object> log_;
    webhook_settings settings_;
    std::mt19937_64 random_{1};
    uint64_t sequence_ = 0;
    clock::time_point reorder_until_{};  // end of the current out-of-order window
    size_t in_flight_ = 0;
    bool running_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ferry::sandbox::shopify
