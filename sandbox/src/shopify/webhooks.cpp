#include "shopify/webhooks.hpp"

#include <boost/json.hpp>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace ferry::sandbox::shopify {

namespace json = boost::json;

namespace {

const size_t max_log = 2000;

// "8 times over 4 hours using an exponential backoff schedule": doubling delays whose sum over
// eight retries is four hours (the exact intervals are not published).
std::chrono::milliseconds retry_delay(int retry, double scale) {
    double first_ms = 4.0 * 3600 * 1000 / 255.0;  // 1 + 2 + ... + 128 = 255 parts
    return std::chrono::milliseconds(static_cast<int64_t>(first_ms * std::pow(2.0, retry - 1) * scale));
}

std::string rfc3339_nanos() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    std::tm tm{};
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", static_cast<long>(ts.tv_nsec));
    return buf;
}

std::string serialize_body(const json::object& payload, const std::vector<std::string>& include_fields, bool escape) {
    json::object shown;
    if (include_fields.empty()) {
        shown = payload;
    } else {
        for (const auto& f : include_fields) {
            auto it = payload.find(f);
            if (it != payload.end()) shown[f] = it->value();
        }
    }
    std::string body = json::serialize(shown);
    if (!escape) return body;
    // Outside strings Boost.JSON writes no '/', so every slash is inside a string.
    std::string out;
    out.reserve(body.size() + 16);
    for (char c : body) {
        if (c == '/') out += '\\';
        out += c;
    }
    return out;
}

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

std::string webhook_hmac(const std::string& secret, const std::string& body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
         body.size(), digest, &len);
    std::string out(4 * ((len + 2) / 3) + 1, '\0');
    int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(len));
    out.resize(static_cast<size_t>(written));
    return out;
}

webhook_dispatcher::webhook_dispatcher() { curl_global_init(CURL_GLOBAL_DEFAULT); }

webhook_dispatcher::~webhook_dispatcher() { stop(); }

void webhook_dispatcher::start() {
    std::lock_guard lock(mutex_);
    if (running_) return;
    running_ = true;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void webhook_dispatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!running_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    running_ = false;
}

void webhook_dispatcher::configure(const webhook_settings& s) {
    std::lock_guard lock(mutex_);
    if (s.random_seed != settings_.random_seed) random_.seed(s.random_seed);
    settings_ = s;
}

webhook_settings webhook_dispatcher::settings() const {
    std::lock_guard lock(mutex_);
    return settings_;
}

std::string webhook_dispatcher::uuid() {
    uint64_t a = random_(), b = random_();
    a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
    b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 1
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(a >> 32),
                  static_cast<unsigned long long>((a >> 16) & 0xFFFF), static_cast<unsigned long long>(a & 0xFFFF),
                  static_cast<unsigned long long>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    return buf;
}

void webhook_dispatcher::emit(std::vector<webhook_event> events) {
    if (events.empty()) return;
    {
        std::lock_guard lock(mutex_);
        std::uniform_real_distribution<double> chance(0.0, 1.0);
        std::string event_id = uuid();
        std::string triggered_at = rfc3339_nanos();
        // Out of order: events held in one window share its end, so they leave as one batch.
        auto due = clock::now();
        if (settings_.out_of_order) {
            if (reorder_until_ <= due) reorder_until_ = due + std::chrono::milliseconds(settings_.reorder_window_ms);
            due = reorder_until_;
        }
        for (auto& e : events) {
            job j;
            j.event_id = event_id;
            j.webhook_id = uuid();
            j.triggered_at = triggered_at;
            j.body = serialize_body(e.payload, e.include_fields, settings_.escape_slashes);
            j.event = std::move(e);
            j.sequence = ++sequence_;
            if (settings_.drop_rate > 0 && chance(random_) < settings_.drop_rate) {
                log_.push_back(json::object{{"topic", j.event.topic}, {"url", j.event.callback_url},
                                            {"event_id", j.event_id}, {"webhook_id", j.webhook_id},
                                            {"attempt", 0}, {"result", "dropped"}, {"body", j.body}});
                continue;
            }
            bool twice = settings_.duplicate_rate > 0 && chance(random_) < settings_.duplicate_rate;
            if (twice) {
                job copy = j;
                copy.webhook_id = uuid();
                copy.sequence = ++sequence_;
                queue_.emplace(due, std::move(copy));
            }
            queue_.emplace(due, std::move(j));
        }
        while (log_.size() > max_log) log_.pop_front();
    }
    wake_.notify_all();
}

json::array webhook_dispatcher::deliveries() const {
    std::lock_guard lock(mutex_);
    json::array out;
    for (const auto& entry : log_) out.push_back(entry);
    return out;
}

void webhook_dispatcher::clear_deliveries() {
    std::lock_guard lock(mutex_);
    log_.clear();
}

size_t webhook_dispatcher::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + in_flight_;
}

void webhook_dispatcher::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (queue_.empty()) {
            wake_.wait(lock);
            continue;
        }
        auto now = clock::now();
        if (queue_.begin()->first > now) {
            wake_.wait_until(lock, queue_.begin()->first);
            continue;
        }
        // Everything due now goes out in one batch: in emission order, or newest first when
        // out-of-order delivery is switched on.
        std::vector<job> batch;
        while (!queue_.empty() && queue_.begin()->first <= now) {
            batch.push_back(std::move(queue_.begin()->second));
            queue_.erase(queue_.begin());
        }
        bool reverse = settings_.out_of_order;
        std::sort(batch.begin(), batch.end(), [reverse](const job& a, const job& b) {
            return reverse ? a.sequence > b.sequence : a.sequence < b.sequence;
        });
        in_flight_ = batch.size();
        for (auto& j : batch) {
            if (stopping_) break;
            lock.unlock();
            deliver(j);
            lock.lock();
            --in_flight_;
        }
        in_flight_ = 0;
    }
}

void webhook_dispatcher::deliver(job& j) {
    webhook_settings s = settings();
    ++j.attempt;
    if (j.attempt > 1 && !s.stable_webhook_id) {
        std::lock_guard lock(mutex_);
        j.webhook_id = uuid();
    }
    std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"},
        {"Accept", "*/*"},
        {"User-Agent", "Shopify-Captain-Hook"},
        {"X-Shopify-Topic", j.event.topic},
        {"X-Shopify-Hmac-Sha256", webhook_hmac(s.secret, j.body)},
        {"X-Shopify-Shop-Domain", j.event.shop_domain},
        {"X-Shopify-API-Version", j.event.api_version},
        {"X-Shopify-Webhook-Id", j.webhook_id},
        {"X-Shopify-Triggered-At", j.triggered_at},
        {"X-Shopify-Event-Id", j.event_id}};
    if (!j.event.subscription_name.empty()) headers.emplace_back("X-Shopify-Name", j.event.subscription_name);
    for (const auto& h : j.event.extra_headers) headers.push_back(h);

    CURL* curl = curl_easy_init();
    curl_slist* list = nullptr;
    for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, j.event.callback_url.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, j.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(j.body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(s.total_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);

    bool ok = rc == CURLE_OK && status >= 200 && status < 300;  // redirects count as failures too
    std::string result = ok ? "delivered" : rc != CURLE_OK ? std::string("error: ") + curl_easy_strerror(rc) : "status " + std::to_string(status);
    json::object header_json;
    for (const auto& [k, v] : headers) header_json[k] = v;
    bool retry = !ok && j.attempt <= s.max_retries;
    {
        std::lock_guard lock(mutex_);
        log_.push_back(json::object{{"topic", j.event.topic}, {"url", j.event.callback_url}, {"event_id", j.event_id},
                                    {"webhook_id", j.webhook_id}, {"attempt", j.attempt}, {"status", status},
                                    {"result", result}, {"will_retry", retry}, {"headers", header_json}, {"body", j.body}});
        while (log_.size() > max_log) log_.pop_front();
        if (retry && !stopping_) queue_.emplace(clock::now() + retry_delay(j.attempt, s.time_scale), j);
    }
    if (on_attempt) on_attempt(j.event.subscription_id, ok);
}

}  // namespace ferry::sandbox::shopify
