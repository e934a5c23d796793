#include "engine/engine.hpp"

#include "engine/backoff.hpp"
#include "engine/circuit_breaker.hpp"
#include "engine/key_queue.hpp"
#include "plugin/instance.hpp"
#include "plugin/registry.hpp"
#include "services/logging.hpp"

#include <net/url.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <thread>

#include <pthread.h>

namespace ferry::host {

namespace json = boost::json;

struct connection_runtime {
    std::string name;
    uint32_t max_concurrency = 0;  // 0: no limit
    uint32_t in_flight = 0;
    int64_t throttled_until_ms = 0;
    circuit_breaker breaker;
};

struct pipeline_runtime {
    const pipeline_spec* spec = nullptr;
    std::unique_ptr<component_instance> source;  // null when the pipeline follows another
    std::vector<std::unique_ptr<component_instance>> transforms;
    std::unique_ptr<component_instance> sink;
    connection_runtime* sink_connection = nullptr;
    std::vector<pipeline_runtime*> followers;
    key_queue queue;
    // Pending records left out of the queue when it held max_queued: they wait in the store only.
    struct left_in_store {
        bool active = false;
        int64_t low_id = 0;   // every pending record below it is in memory (or done)
        int64_t high_id = 0;  // the newest left out
        uint64_t count = 0;
        bool reading = false;    // a worker is reading some back
        int64_t next_read_ms = 0;  // after a failed read
        std::set<int64_t> held;  // ids from low_id on that memory holds: not read back twice
    } spilled;
    bool stopped = false;
    std::string stop_reason;
    metric_labels labels;
};

struct engine::worker_state {
    std::vector<call_context> transform_calls;  // one per step, reused
    call_context sink_call;
};

// What became of one delivery attempt.
struct engine::outcome {
    // committing: the delivery succeeded and the store's thread finishes the record.
    enum class kind { done, retry, dead, skipped, fatal, throttled, committing } what = kind::done;
    uint32_t attempts = 0;
    int64_t next_attempt_ms = 0;
    std::string error;
    bool sink_transient_failure = false;  // feeds the circuit breaker
    bool sink_succeeded = false;
    std::vector<std::pair<pipeline_runtime*, journal_entry>> follow_ups;
    bool target_answered = false;  // the sink failed, but the target answered all its calls: it is up
};

// --------------------------------------------------------------------------------------------
// engine_services

namespace {

// A response handed to a plugin: the C struct first, so the plugin's pointer is the object's.
struct owned_http_response {
    ferry_http_response c{};
    std::vector<std::pair<std::string, std::string>> header_text;
    std::vector<ferry_header> headers;
    std::string body;
    std::string error;
};

void replace_all(std::string& text, const std::string& needle, std::string_view with) {
    if (needle.empty()) return;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + with.size())) {
        text.replace(at, needle.size(), with);
    }
}

constexpr size_t api_log_body_limit = 4096;
// Held back beyond a request's own cost, as a share of the bucket: absorbs the drift between the
// remote's clock and ours.
constexpr double governor_margin = 0.02;

}  // namespace

struct engine_services::rate_budget {
    double available = 0;
    double capacity = 0;
    double restore_per_second = 0;
    int64_t updated_ms = 0;
    double in_flight_cost = 0;  // spent by requests sent and not yet answered
    uint64_t newest_answer = 0;  // sequence of the answer whose report set `available`
    double largest_cost = 0;     // of one request so far: the margin kept unspent
};

engine_services::engine_services(metrics_registry& metrics, size_t api_log_keep)
    : metrics_(metrics), api_log_keep_(api_log_keep), client_(std::make_unique<http_client>()) {}

engine_services::~engine_services() = default;

void engine_services::attach(store& durable, const manifest& m) {
    store_ = &durable;
    for (const auto& c : m.connections) secrets_[c.name] = c.secret_values;
}

std::string engine_services::redact(const std::string& connection, std::string text) const {
    auto found = secrets_.find(connection);
    if (found == secrets_.end()) return text;
    for (const auto& secret : found->second) {
        replace_all(text, secret, "********");
        replace_all(text, net::url_encode(secret), "********");
    }
    return text;
}

namespace {

// The HTTP calls a sink made through the host during its current call, on this thread. A sink that
// asks for a retry although the target answered every call (an order waiting for another record,
// say) says nothing about the target's health, so that retry does not count against the circuit
// breaker; one whose calls went unanswered (transport errors, 5xx), or that made none, does.
struct sink_http_tally {
    uint32_t calls = 0;
    uint32_t unanswered = 0;
};
thread_local sink_http_tally sink_http;

// The cost of this thread's last answered request, still counted in flight until the plugin reports
// the budget that answer carried (it does so right after, on the same thread). Releasing it at the
// answer would let a budget reported meanwhile from an older answer, which does not reflect this
// request yet, count its cost as available again.
struct awaiting_report {
    const void* services = nullptr;
    std::string connection;
    double cost = 0;
    uint64_t answer = 0;  // the order in which answers arrived: a report from an older answer is stale
};
thread_local awaiting_report awaiting;
std::atomic<uint64_t> answers_seen{0};

}  // namespace

void engine_services::release_awaiting_report() {
    if (awaiting.services != this || awaiting.cost == 0) return;
    budgets_[awaiting.connection].in_flight_cost -= awaiting.cost;
    awaiting.cost = 0;
}

ferry_status engine_services::http_send(scope_context& scope, const ferry_http_request& request,
                                        const ferry_http_response** response) {
    const std::string& connection = scope.connection;
    if (awaiting.services == this && awaiting.cost != 0) {
        // A plugin that did not report after its last costed request: stop counting it.
        std::lock_guard lock(rate_mutex_);
        release_awaiting_report();
    }
    // The rate governor: wait until the connection's budget covers the request's cost. The cost is
    // spent at once, so that concurrent callers queue behind each other, and counted in flight
    // until the answer comes, so that a budget reported meanwhile is not counted twice.
    if (request.cost > 0) {
        std::unique_lock lock(rate_mutex_);
        rate_budget& b = budgets_[connection];
        b.largest_cost = std::max(b.largest_cost, request.cost);
        bool counted_wait = false;
        while (b.restore_per_second > 0) {
            int64_t now = now_unix_ms();
            double current = std::min(b.capacity, b.available + b.restore_per_second * (now - b.updated_ms) / 1000.0);
            // Kept unspent: a share of the bucket, or one request's cost if larger, because two
            // answers can reach their reports in either order and the one applied last may not
            // yet count the other request. In steady state it costs no throughput: the bucket
            // keeps the margin and the restore rate paces the requests.
            // A full bucket is the most there can be: a request and its margin beyond it go once
            // the bucket is full.
            double needed = std::min(b.capacity, request.cost + std::max(b.capacity * governor_margin, b.largest_cost));
            if (current >= needed) {
                // Spent at once, so that concurrent callers queue behind each other.
                b.available = current - request.cost;
                b.updated_ms = now;
                break;
            }
            if (!counted_wait) {
                metrics_.add("ferry_rate_governor_waits_total", {{"connection", connection}});
                counted_wait = true;
            }
            // Until the bucket has restored enough, or sooner when a report says more is there
            // (a large query in flight, once answered, usually gives most of its estimate back).
            int64_t wait_ms = static_cast<int64_t>((needed - current) / b.restore_per_second * 1000.0) + 1;
            budget_reported_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(wait_ms, 60000)));
        }
        b.in_flight_cost += request.cost;
    }
    http_call call;
    call.method = std::string(view(request.method));
    call.url = std::string(view(request.url));
    for (size_t i = 0; i < request.header_count; ++i) {
        call.headers.emplace_back(std::string(view(request.headers[i].name)), std::string(view(request.headers[i].value)));
    }
    call.body = std::string(view(request.body));
    if (request.timeout_ms) call.timeout_ms = static_cast<long>(request.timeout_ms);
    http_result result = client_->send(connection, call);
    ++sink_http.calls;
    if (result.status == 0 || result.status >= 500) ++sink_http.unanswered;
    if (request.cost > 0) {
        std::lock_guard lock(rate_mutex_);
        if (result.status == 0) {
            budgets_[connection].in_flight_cost -= request.cost;  // no answer, so no budget to report
        } else {
            awaiting = awaiting_report{this, connection, request.cost, ++answers_seen};
        }
    }

    metric_labels labels{{"connection", connection}};
    metrics_.add("ferry_api_calls_total", {{"connection", connection}, {"status", std::to_string(result.status)}});
    if (result.status == 0 || result.status >= 500) metrics_.add("ferry_api_errors_total", labels);
    metrics_.observe("ferry_api_latency_seconds", labels, result.seconds);
    if (store_) {
        api_call logged;
        logged.connection = connection;
        logged.method = call.method;
        logged.url = redact(connection, call.url);
        logged.status = result.status;
        logged.latency_ms = result.seconds * 1000.0;
        logged.request_body = redact(connection, call.body.substr(0, api_log_body_limit));
        logged.response_body = redact(connection, result.body.substr(0, api_log_body_limit));
        logged.error = result.error;
        logged.at_ms = now_unix_ms();
        try {
            store_->log_api_call(logged);
            // Pruned often, so that no single commit carries a large delete.
            if (++api_calls_logged_ % 100 == 0) store_->prune_api_calls(api_log_keep_);
        } catch (const store_error& e) {
            log_warn(std::string("API call log: ") + e.what());
        }
    }

    auto* out = new owned_http_response;
    out->header_text = std::move(result.headers);
    for (const auto& [name, value] : out->header_text) out->headers.push_back({c_str(name), c_str(value)});
    out->body = std::move(result.body);
    out->error = redact(connection, result.error);
    out->c.struct_size = sizeof(ferry_http_response);
    out->c.status = result.status;
    out->c.headers = out->headers.data();
    out->c.header_count = out->headers.size();
    out->c.body = c_str(out->body);
    out->c.error = c_str(out->error);
    *response = &out->c;
    if (result.status != 0) return FERRY_OK;
    return result.fatal ? FERRY_FATAL : FERRY_RETRY;
}

void engine_services::http_release(scope_context&, const ferry_http_response* response) {
    delete reinterpret_cast<const owned_http_response*>(response);
}

void engine_services::rate_report(scope_context& scope, double available, double capacity, double restore) {
    std::lock_guard lock(rate_mutex_);
    rate_budget& b = budgets_[scope.connection];
    if (awaiting.services == this && awaiting.connection == scope.connection) {
        uint64_t answer = awaiting.answer;
        release_awaiting_report();
        // Reports reach here in whatever order their threads run: one from an answer older than
        // the one already applied does not yet count the requests answered in between.
        if (answer < b.newest_answer) return;
        b.newest_answer = answer;
    }
    b.available = available - b.in_flight_cost;
    b.capacity = capacity;
    b.restore_per_second = restore;
    b.updated_ms = now_unix_ms();
    budget_reported_.notify_all();
}

std::optional<std::string> engine_services::state_get(scope_context& scope, std::string_view key) {
    if (!store_) return host_services::state_get(scope, key);
    return store_->state_get(scope.connection, std::string(key));
}

ferry_status engine_services::state_put(scope_context& scope, std::string_view key, std::string_view value) {
    if (!store_) return host_services::state_put(scope, key, value);
    try {
        store_->state_put(scope.connection, std::string(key), std::string(value));
        return FERRY_OK;
    } catch (const store_error& e) {
        log_error(std::string("state_put for ") + scope.label() + ": " + e.what());
        return FERRY_RETRY;
    }
}

ferry_status engine_services::state_delete(scope_context& scope, std::string_view key) {
    if (!store_) return host_services::state_delete(scope, key);
    try {
        store_->state_delete(scope.connection, std::string(key));
        return FERRY_OK;
    } catch (const store_error& e) {
        log_error(std::string("state_delete for ") + scope.label() + ": " + e.what());
        return FERRY_RETRY;
    }
}

void engine_services::metric(scope_context& scope, int32_t kind, std::string_view name, double value) {
    std::string full = "ferry_plugin_" + scope.plugin + "_" + std::string(name);
    metric_labels labels{{"connection", scope.connection}};
    if (kind == FERRY_METRIC_GAUGE) {
        metrics_.set(full, labels, value);
    } else if (kind == FERRY_METRIC_HISTOGRAM) {
        metrics_.observe(full, labels, value);
    } else {
        metrics_.add(full, labels, value);
    }
}

// --------------------------------------------------------------------------------------------
// construction

namespace {

// The most records one write_batch call carries: what Shopify's inventorySetQuantities takes, the
// largest batch of any sink ferry ships (the ABI states no maximum).
constexpr size_t max_batch = 250;

// The part of a delivery's idempotency key shared by all outputs of one record.
std::string idempotency_base(const std::string& pipeline, const journal_entry& entry) {
    std::string key = pipeline + ":" + entry.record.key + ":" + std::to_string(entry.record.version);
    if (entry.origin == record_origin::replay) key += ":replay-" + std::to_string(entry.id);
    return key;
}

std::string status_line(int64_t attempt, std::string_view status, const std::string& step, const std::string& error) {
    return "attempt " + std::to_string(attempt) + ": " + std::string(status) + " at " + step + ": " + error;
}

std::unique_ptr<component_instance> make_instance(plugin_registry& registry, host_services& services,
                                                  const std::string& qualified, const connection_spec* connection,
                                                  const std::string& config, const std::string& pipeline) {
    const component_info* component = registry.find_component(qualified);
    if (!component) throw engine_error("pipeline " + pipeline + ": component " + qualified + " is not loaded");
    instance_settings settings;
    if (connection) {
        settings.connection = connection->name;
        settings.connection_config = connection->config_json;
    }
    settings.config = config;
    settings.pipeline = pipeline;
    std::string error;
    auto instance = component_instance::create(*component, services, settings, error);
    if (!instance) throw engine_error("pipeline " + pipeline + ": " + error);
    return instance;
}

// Reads meta.topic of a record, for the pipeline's webhook topic filter.
std::string topic_of(const std::string& meta) {
    json::error_code ec;
    json::value v = json::parse(meta, ec);
    if (ec || !v.is_object()) return {};
    const json::value* topic = v.as_object().if_contains("topic");
    return topic && topic->is_string() ? std::string(topic->get_string()) : std::string();
}

}  // namespace

engine::engine(const manifest& m, plugin_registry& registry, store& durable, host_services& services,
               metrics_registry& metrics, options opts)
    : manifest_(m), store_(durable), services_(services), metrics_(metrics), options_(opts) {
    options_.max_queued = std::max<size_t>(1, options_.max_queued);
    for (const auto& c : m.connections) {
        auto runtime = std::make_unique<connection_runtime>();
        runtime->name = c.name;
        runtime->max_concurrency = c.max_concurrency;
        connections_.push_back(std::move(runtime));
    }
    for (const auto& spec : m.pipelines) {
        if (!spec.enabled) continue;
        auto p = std::make_unique<pipeline_runtime>();
        p->spec = &spec;
        p->labels = {{"pipeline", spec.name}};
        if (spec.source.follows.empty()) {
            p->source = make_instance(registry, services, spec.source.component, m.find_connection(spec.source.connection),
                                      spec.source.config_json, spec.name);
        }
        for (const auto& step : spec.transforms) {
            p->transforms.push_back(make_instance(registry, services, step.component, nullptr, step.config_json, spec.name));
        }
        const connection_spec* sink_connection = m.find_connection(spec.sink.connection);
        p->sink = make_instance(registry, services, spec.sink.component, sink_connection, spec.sink.config_json, spec.name);
        for (auto& c : connections_) {
            if (c->name == spec.sink.connection) p->sink_connection = c.get();
        }
        pipelines_.push_back(std::move(p));
    }
    for (auto& p : pipelines_) {
        if (p->spec->source.follows.empty()) continue;
        if (pipeline_runtime* followed = find_pipeline(p->spec->source.follows)) followed->followers.push_back(p.get());
    }
}

engine::~engine() { stop(); }

pipeline_runtime* engine::find_pipeline(const std::string& name) {
    for (auto& p : pipelines_) {
        if (p->spec->name == name) return p.get();
    }
    return nullptr;
}

int64_t engine::now_ms() const { return services_.now_unix_ms(); }

// --------------------------------------------------------------------------------------------
// lifecycle

void engine::start(bool with_pollers) {
    // Read outside the lock: webhooks may already be arriving.
    int64_t resumed = store_.last_id();
    std::vector<std::vector<journal_entry>> found(pipelines_.size());
    std::vector<uint64_t> pending(pipelines_.size(), 0);
    for (size_t i = 0; i < pipelines_.size(); ++i) {
        found[i] = store_.pending(pipelines_[i]->spec->name, 0, resumed, options_.max_queued);
        if (found[i].size() == options_.max_queued) pending[i] = store_.counts(pipelines_[i]->spec->name).pending;
    }
    {
        std::lock_guard lock(mutex_);
        requeue_watermark_ = resumed;
        resumed_up_to_id_ = resumed;
        for (size_t i = 0; i < pipelines_.size(); ++i) {
            pipeline_runtime& p = *pipelines_[i];
            for (auto& entry : found[i]) {
                entry.maybe_written = may_have_been_written(entry);
                p.queue.add(std::move(entry));
            }
            if (found[i].empty() || found[i].size() < options_.max_queued) continue;
            // The rest of the backlog stays in the store, joining what webhooks taken before
            // start() may have left there.
            auto& s = p.spilled;
            int64_t low = found[i].back().id + 1;
            s.low_id = s.active ? std::min(s.low_id, low) : low;
            s.high_id = s.active ? std::max(s.high_id, resumed) : resumed;
            s.active = true;
            for (int64_t id : p.queue.ids_from(s.low_id)) s.held.insert(id);
            uint64_t left = pending[i] > found[i].size() ? pending[i] - found[i].size() : 0;
            s.count += left;
            metrics_.add("ferry_records_left_in_store_total", p.labels, double(left));
        }
    }
    stopping_ = false;
    size_t count = std::max<size_t>(1, options_.workers);
    for (size_t i = 0; i < count; ++i) workers_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "ferry-worker");
        worker_loop();
    });
    pollers_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "ferry-requeue");
        requeue_loop();
    });
    if (!with_pollers) return;
    for (auto& p : pipelines_) {
        if (p->source && p->spec->source.poll) pollers_.emplace_back([this, raw = p.get()] {
            pthread_setname_np(pthread_self(), "ferry-poll");
            poller_loop(raw);
        });
    }
}

void engine::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && workers_.empty() && pollers_.empty()) return;
        stopping_ = true;
    }
    work_changed_.notify_all();
    idle_changed_.notify_all();
    stop_requested_.notify_all();
    for (auto& t : pollers_) t.join();
    for (auto& t : workers_) t.join();
    pollers_.clear();
    workers_.clear();
    wait_for_commits();  // deliveries and webhooks already handed to the store finish their work
}

bool engine::wait_idle(std::chrono::milliseconds timeout, int64_t horizon_ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        int64_t limit = now_ms() + horizon_ms;
        bool idle = std::all_of(pipelines_.begin(), pipelines_.end(), [&](const auto& p) {
            if (p->queue.in_flight() > 0) return false;
            if (p->stopped) return true;
            if (p->spilled.active) return false;
            auto due = p->queue.next_due_ms();
            return !due || *due > limit;
        });
        if (idle) return true;
        // Records that fall due later wake nobody: look again at least every 10 ms.
        auto wake = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
        ++idle_waiters_;
        idle_changed_.wait_until(lock, wake);
        --idle_waiters_;
        if (std::chrono::steady_clock::now() >= deadline) return false;
    }
}

// --------------------------------------------------------------------------------------------
// intake

void engine::schedule(pipeline_runtime& p, journal_entry entry) {
    if (p.spilled.active || p.queue.size() >= options_.max_queued) return leave_in_store(p, entry.id);
    p.queue.add(std::move(entry));
}

void engine::leave_in_store(pipeline_runtime& p, int64_t id) {
    auto& s = p.spilled;
    if (!s.active || id < s.low_id) {
        for (int64_t held : p.queue.ids_from(id)) s.held.insert(held);
        s.low_id = s.active ? std::min(s.low_id, id) : id;
        s.high_id = s.active ? s.high_id : id;
        s.active = true;
    }
    s.high_id = std::max(s.high_id, id);
    ++s.count;
    metrics_.add("ferry_records_left_in_store_total", p.labels);
}

void engine::read_back(std::unique_lock<std::mutex>& lock, pipeline_runtime& p) {
    auto& s = p.spilled;
    int64_t from = s.low_id;
    int64_t to = s.high_id;
    size_t room = options_.max_queued - p.queue.size();
    if (room == 0) return;
    s.reading = true;
    lock.unlock();
    std::vector<journal_entry> found;
    try {
        found = store_.pending(p.spec->name, from, to, room);
    } catch (const std::exception& e) {
        log_error("pipeline " + p.spec->name + ": reading back queued records (tried again in a second): " + e.what());
        lock.lock();
        s.reading = false;
        s.next_read_ms = now_ms() + 1000;
        return;
    }
    lock.lock();
    s.reading = false;
    size_t added = 0;
    for (auto& entry : found) {
        // Requeued by the CLI and not picked up yet: pick_up_requeued() schedules it.
        bool requeued = entry.origin == record_origin::replay || entry.origin == record_origin::dead_letter_retry;
        if (requeued && entry.id > requeue_watermark_) continue;
        if (!s.held.insert(entry.id).second) continue;  // in memory already
        entry.maybe_written = may_have_been_written(entry);
        p.queue.add(std::move(entry));
        if (s.count > 0) --s.count;
        ++added;
    }
    bool read_all = found.size() < room;
    if (s.low_id == from) {  // unless a record below it was left out meanwhile
        if (read_all && s.high_id == to) {
            s = pipeline_runtime::left_in_store{};
        } else {
            s.low_id = read_all ? to + 1 : found.back().id + 1;
        }
    }
    s.held.erase(s.held.begin(), s.held.lower_bound(s.low_id));
    wake_workers(added);
}

bool engine::may_have_been_written(const journal_entry& entry) const {
    return entry.id <= resumed_up_to_id_ || entry.origin == record_origin::dead_letter_retry;
}

void engine::wake_workers(size_t new_records) {
    if (new_records >= workers_.size()) {
        work_changed_.notify_all();
        return;
    }
    for (size_t i = 0; i < new_records; ++i) work_changed_.notify_one();
}

void engine::accept_webhook_async(const std::string& connection, const webhook_input& request,
                                  std::function<void(webhook_outcome)> done) {
    std::vector<pipeline_runtime*> targets;
    for (auto& p : pipelines_) {
        if (p->source && p->spec->source.connection == connection && p->source->component().has(FERRY_CAP_WEBHOOK)) {
            targets.push_back(p.get());
        }
    }
    if (targets.empty()) return done({404, "no pipeline takes webhooks from connection \"" + connection + "\"", 0, 0});

    std::vector<ferry_header> headers;
    for (const auto& [name, value] : request.headers) headers.push_back({c_str(name), c_str(value)});
    ferry_webhook raw{};
    raw.struct_size = sizeof(raw);
    raw.method = c_str(request.method);
    raw.path = c_str(request.path);
    raw.headers = headers.data();
    raw.header_count = headers.size();
    raw.body = c_str(request.body);

    auto items = std::make_shared<std::vector<append_item>>();
    std::vector<pipeline_runtime*> item_pipelines;
    static thread_local call_context call;
    for (pipeline_runtime* p : targets) {
        ferry_status status = p->source->webhook(raw, call);
        if (status == FERRY_UNAUTHORIZED) {
            metrics_.add("ferry_webhooks_rejected_total", {{"connection", connection}, {"reason", "signature"}});
            return done({401, "signature verification failed", 0, 0});
        }
        if (status == FERRY_REJECT) {
            metrics_.add("ferry_webhooks_rejected_total", {{"connection", connection}, {"reason", "malformed"}});
            return done({400, call.error().empty() ? "malformed webhook" : services_.redact(connection, call.error()), 0, 0});
        }
        if (status != FERRY_OK) {
            log_warn("webhook for " + connection + " failed in " + p->source->component().qualified_name() + ": " +
                     std::string(status_name(status)) + ": " + services_.redact(connection, call.error()));
            return done({503, "the source could not take the webhook now; retry later", 0, 0});
        }
        const auto& topics = p->spec->source.webhooks;
        for (size_t i = 0; i < call.emitted_count(); ++i) {
            const owned_record& r = call.records()[i];
            if (!topics.empty() && std::find(topics.begin(), topics.end(), topic_of(r.meta)) == topics.end()) continue;
            items->push_back({p->spec->name, r, record_origin::webhook});
            item_pipelines.push_back(p);
        }
    }
    if (items->empty()) return done({200, "accepted: no record for these pipelines", 0, 0});

    {
        std::lock_guard lock(mutex_);
        ++pending_commits_;
    }
    store_.append_async(items, std::nullopt,
                        [this, items, item_pipelines = std::move(item_pipelines), done = std::move(done)](
                            std::vector<int64_t> ids, std::exception_ptr error) {
                            webhook_outcome out{200, "", 0, 0};
                            if (error) {
                                try {
                                    std::rethrow_exception(error);
                                } catch (const std::exception& e) {
                                    log_error(std::string("cannot journal a webhook: ") + e.what());
                                }
                                out = {503, "the store cannot accept records now; retry later", 0, 0};
                            } else {
                                std::lock_guard lock(mutex_);
                                int64_t now = now_ms();
                                for (size_t i = 0; i < items->size(); ++i) {
                                    pipeline_runtime* p = item_pipelines[i];
                                    if (ids[i] == 0) {
                                        ++out.duplicates;
                                        metrics_.add("ferry_records_duplicate_total", p->labels);
                                        continue;
                                    }
                                    ++out.accepted;
                                    metrics_.add("ferry_records_in_total", p->labels);
                                    journal_entry entry;
                                    entry.id = ids[i];
                                    entry.pipeline = p->spec->name;
                                    entry.record = std::move((*items)[i].record);  // the store is done with it
                                    entry.origin = record_origin::webhook;
                                    entry.received_ms = now;
                                    schedule(*p, std::move(entry));
                                }
                            }
                            wake_workers(out.accepted);
                            if (out.http_status == 200) {
                                out.message = "accepted " + std::to_string(out.accepted) + ", duplicates " +
                                              std::to_string(out.duplicates);
                            }
                            done(std::move(out));
                            std::lock_guard lock(mutex_);
                            if (--pending_commits_ == 0) commits_done_.notify_all();
                        });
}

webhook_outcome engine::accept_webhook(const std::string& connection, const webhook_input& request) {
    std::mutex answered;
    std::condition_variable ready;
    std::optional<webhook_outcome> outcome;
    accept_webhook_async(connection, request, [&](webhook_outcome o) {
        std::lock_guard lock(answered);
        outcome = std::move(o);
        ready.notify_one();
    });
    std::unique_lock lock(answered);
    ready.wait(lock, [&] { return outcome.has_value(); });
    return std::move(*outcome);
}

void engine::wait_for_commits() {
    std::unique_lock lock(mutex_);
    commits_done_.wait(lock, [&] { return pending_commits_ == 0; });
}

size_t engine::pick_up_requeued() {
    std::vector<journal_entry> found = store_.requeued_since(requeue_watermark_);
    size_t scheduled = 0;
    {
        std::lock_guard lock(mutex_);
        for (auto& entry : found) {
            requeue_watermark_ = std::max(requeue_watermark_, entry.id);
            entry.maybe_written = may_have_been_written(entry);
            if (pipeline_runtime* p = find_pipeline(entry.pipeline)) {
                metrics_.add("ferry_records_in_total", p->labels);
                schedule(*p, std::move(entry));
                ++scheduled;
            }
        }
    }
    wake_workers(scheduled);
    return scheduled;
}

void engine::requeue_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        stop_requested_.wait_for(lock, std::chrono::milliseconds(options_.requeue_scan_ms), [&] { return stopping_.load(); });
        if (stopping_) break;
        lock.unlock();
        try {
            pick_up_requeued();
        } catch (const std::exception& e) {
            log_error(std::string("looking for requeued records: ") + e.what());
        }
        lock.lock();
    }
}

size_t engine::poll_all_once() {
    size_t total = 0;
    for (auto& p : pipelines_) {
        if (p->source && p->source->component().has(FERRY_CAP_POLL) && p->spec->source.poll) total += poll_once(*p);
    }
    return total;
}

size_t engine::poll_once(pipeline_runtime& p) {
    const std::string& connection = p.spec->source.connection;
    std::string cursor_key = "cursor/" + p.spec->name;
    std::string cursor = store_.state_get(connection, cursor_key).value_or("");
    call_context call;
    ferry_status status = p.source->poll(cursor, call);
    if (status != FERRY_OK) {
        metrics_.add("ferry_poll_failures_total", p.labels);
        log_warn("poll of pipeline " + p.spec->name + " failed (" + std::string(status_name(status)) + "): " + call.error());
        if (status == FERRY_FATAL) {
            std::lock_guard lock(mutex_);
            p.stopped = true;
            p.stop_reason = "poll: " + call.error();
        }
        return 0;
    }
    std::vector<append_item> items;
    for (size_t i = 0; i < call.emitted_count(); ++i) items.push_back({p.spec->name, call.records()[i], record_origin::poll});
    std::optional<cursor_update> next;
    if (call.cursor()) next = cursor_update{connection, cursor_key, *call.cursor()};
    if (items.empty() && !next) return 0;
    std::vector<int64_t> ids = store_.append(items, next);
    size_t accepted = 0;
    {
        std::lock_guard lock(mutex_);
        for (size_t i = 0; i < items.size(); ++i) {
            if (ids[i] == 0) {
                metrics_.add("ferry_records_duplicate_total", p.labels);
                continue;
            }
            ++accepted;
            metrics_.add("ferry_records_in_total", p.labels);
            journal_entry entry;
            entry.id = ids[i];
            entry.pipeline = p.spec->name;
            entry.record = std::move(items[i].record);
            entry.origin = record_origin::poll;
            entry.received_ms = now_ms();
            schedule(p, std::move(entry));
        }
    }
    wake_workers(accepted);
    return accepted;
}

void engine::poller_loop(pipeline_runtime* p) {
    auto interval = *p->spec->source.poll;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        try {
            poll_once(*p);
        } catch (const std::exception& e) {
            log_error("poll of pipeline " + p->spec->name + ": " + e.what());
        }
        lock.lock();
        stop_requested_.wait_for(lock, interval, [&] { return stopping_.load(); });
    }
}

// --------------------------------------------------------------------------------------------
// delivery

bool engine::take_work(std::unique_lock<std::mutex>& lock, pipeline_runtime*& pipeline, std::vector<journal_entry>& entries) {
    int64_t now = now_ms();
    size_t n = pipelines_.size();
    for (size_t step = 0; step < n; ++step) {
        pipeline_runtime& p = *pipelines_[(next_pipeline_ + step) % n];
        if (p.spilled.active && !p.spilled.reading && !p.stopped && now >= p.spilled.next_read_ms &&
            p.queue.size() < options_.max_queued) {
            // When the queue has drained to half, or when nothing in it can go now (its records
            // wait for retries): the records in the store may be ready.
            auto due = p.queue.next_due_ms();
            if (p.queue.size() <= options_.max_queued / 2 || !due || *due > now) {
                read_back(lock, p);
                now = now_ms();
            }
        }
        if (p.stopped || p.queue.in_flight() >= p.spec->concurrency) continue;
        auto due = p.queue.next_due_ms();
        if (!due || *due > now) continue;
        connection_runtime* c = p.sink_connection;
        if (c) {
            if (c->throttled_until_ms > now) continue;
            if (c->max_concurrency && c->in_flight >= c->max_concurrency) continue;
            if (!c->breaker.allow(now)) continue;
        }
        std::optional<journal_entry> taken = p.queue.take(now);
        if (!taken) continue;
        if (c) ++c->in_flight;
        pipeline = &p;
        entries.clear();
        entries.push_back(std::move(*taken));
        // A batch sink gets what else of the pipeline is ready (one record per key, as the queue
        // hands out), but a half-open breaker lets only its one probe through.
        if (p.sink->component().has(FERRY_CAP_BATCH) && (!c || c->breaker.current() == circuit_breaker::state::closed)) {
            while (entries.size() < max_batch) {
                std::optional<journal_entry> more = p.queue.take(now);
                if (!more) break;
                if (c) ++c->in_flight;  // per record, as record_outcome gives back per record
                entries.push_back(std::move(*more));
            }
        }
        next_pipeline_ = (next_pipeline_ + step + 1) % n;
        return true;
    }
    return false;
}

void engine::worker_loop() {
    worker_state w;
    std::vector<journal_entry> entries;
    std::vector<outcome> outcomes;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        pipeline_runtime* p = nullptr;
        if (!take_work(lock, p, entries)) {
            // Sleep until the earliest moment something could become due, or new work arrives.
            int64_t now = now_ms();
            int64_t wake = now + options_.idle_wait_ms;
            for (auto& candidate : pipelines_) {
                if (auto due = candidate->queue.next_due_ms()) wake = std::min(wake, std::max(*due, now + 1));
                if (candidate->sink_connection && candidate->sink_connection->throttled_until_ms > now) {
                    wake = std::min(wake, candidate->sink_connection->throttled_until_ms);
                }
                if (candidate->sink_connection &&
                    candidate->sink_connection->breaker.current() == circuit_breaker::state::open) {
                    wake = std::min(wake, std::max(candidate->sink_connection->breaker.reopen_at_ms(), now + 1));
                }
            }
            work_changed_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, wake - now)));
            continue;
        }
        lock.unlock();
        if (entries.size() == 1) {
            outcomes.clear();
            try {
                outcomes.push_back(deliver(*p, entries[0], w));
            } catch (const std::exception& e) {
                outcomes.push_back(store_failed(*p, entries[0], e));
            }
        } else {
            outcomes = deliver_batch(*p, entries, w);
        }
        lock.lock();
        size_t follow_ups = 0;
        for (size_t i = 0; i < entries.size(); ++i) {
            if (outcomes[i].what == outcome::kind::committing) continue;  // the commit's completion finishes it
            record_outcome(*p, entries[i], outcomes[i]);
            follow_ups += outcomes[i].follow_ups.size();
        }
        // This worker goes on taking work itself; others are woken only for follow-ups.
        wake_workers(follow_ups);
        if (idle_waiters_ > 0) idle_changed_.notify_all();
    }
}

engine::outcome engine::store_failed(pipeline_runtime& p, const journal_entry& entry, const std::exception& e) {
    log_error("pipeline " + p.spec->name + ": " + e.what());
    outcome o;
    o.what = outcome::kind::retry;
    o.attempts = entry.attempts;
    o.next_attempt_ms = now_ms() + 1000;
    o.error = e.what();
    return o;
}

void engine::record_outcome(pipeline_runtime& p, const journal_entry& entry, const outcome& o) {
    connection_runtime* c = p.sink_connection;
    if (c) {
        --c->in_flight;
        if (o.sink_transient_failure) {
            c->breaker.on_failure(now_ms());
        } else if (o.sink_succeeded || o.target_answered) {
            c->breaker.on_success();
        } else {
            c->breaker.on_neutral();
        }
        if (o.what == outcome::kind::throttled) c->throttled_until_ms = std::max(c->throttled_until_ms, o.next_attempt_ms);
    }
    switch (o.what) {
        case outcome::kind::done:
        case outcome::kind::skipped:
        case outcome::kind::dead:
            p.queue.finish(entry.record.key, entry.id, true);
            break;
        case outcome::kind::retry:
        case outcome::kind::throttled:
            p.queue.finish(entry.record.key, entry.id, false, o.attempts, o.next_attempt_ms, o.error);
            break;
        case outcome::kind::committing:
            break;
        case outcome::kind::fatal:
            p.queue.finish(entry.record.key, entry.id, false, entry.attempts, entry.next_attempt_ms, entry.last_error);
            if (!p.stopped) {
                p.stopped = true;
                p.stop_reason = o.error;
                log_error("pipeline " + p.spec->name + " stopped: " + o.error);
            }
            break;
    }
    for (const auto& [follower, follow_entry] : o.follow_ups) schedule(*follower, follow_entry);
}

engine::outcome engine::fail(pipeline_runtime& p, const journal_entry& entry, ferry_status status,
                             const std::string& step, const std::string& error, uint64_t delay_ms, bool at_sink) {
    outcome o;
    // A plugin's text may quote a URL or a request: the connection's secrets never go further.
    o.error = error.empty() ? std::string(status_name(status)) + " without a message"
                            : services_.redact(at_sink ? p.spec->sink.connection : std::string(), error);
    uint32_t attempt = entry.attempts + 1;
    int64_t now = now_ms();
    std::string line = status_line(attempt, status_name(status), step, o.error);
    const retry_policy& retry = p.spec->retry;
    o.target_answered = at_sink && sink_http.calls > 0 && sink_http.unanswered == 0;

    if (status == FERRY_FATAL) {
        o.what = outcome::kind::fatal;
        o.error = step + ": " + o.error;
        return o;
    }
    if (status == FERRY_THROTTLED) {
        // Waiting for quota is not a failed attempt.
        o.what = outcome::kind::throttled;
        o.attempts = entry.attempts;
        o.next_attempt_ms = now + static_cast<int64_t>(delay_ms ? delay_ms : 1000);
        store_.mark_retry(entry.id, o.attempts, o.next_attempt_ms, o.error, line);
        metrics_.add("ferry_records_throttled_total", p.labels);
        return o;
    }
    if (status == FERRY_RETRY) {
        o.sink_transient_failure = at_sink && (sink_http.calls == 0 || sink_http.unanswered > 0);
        bool out_of_attempts = attempt >= retry.max_attempts;
        bool too_old = now - entry.received_ms >= retry.max_age.count();
        if (!out_of_attempts && !too_old) {
            static thread_local std::mt19937_64 random(std::random_device{}());
            int64_t wait = full_jitter_ms(attempt, retry.backoff_initial.count(), retry.backoff_max.count(), random);
            wait = std::max<int64_t>(wait, static_cast<int64_t>(delay_ms));
            o.what = outcome::kind::retry;
            o.attempts = attempt;
            o.next_attempt_ms = now + wait;
            store_.mark_retry(entry.id, attempt, o.next_attempt_ms, o.error, line);
            metrics_.add("ferry_records_retried_total", p.labels);
            return o;
        }
        std::string why = out_of_attempts ? "gave up after " + std::to_string(attempt) + " attempts"
                                          : "gave up: the record is older than retry.max_age";
        o.error = why + "; last error: " + o.error;
    }
    // Reject, or retries exhausted.
    o.what = outcome::kind::dead;
    o.attempts = attempt;
    store_.mark_dead(entry.id, attempt, o.error, step, line);
    metrics_.add("ferry_records_failed_total", p.labels);
    log_warn("pipeline " + p.spec->name + ": record " + std::to_string(entry.id) + " (" + entry.record.key +
             ") dead-lettered: " + o.error);
    return o;
}

std::optional<engine::outcome> engine::prepare(pipeline_runtime& p, const journal_entry& entry, worker_state& w,
                                               std::vector<owned_record>& outputs) {
    const std::string& pipeline = p.spec->name;
    if (entry.origin != record_origin::replay) {
        store::key_history history = store_.history_of(pipeline, entry.record.key, entry.record.version);
        std::string why;
        if (history.delivered_version && *history.delivered_version >= entry.record.version) {
            why = "version " + std::to_string(entry.record.version) + " is not newer than the delivered version " +
                  std::to_string(*history.delivered_version);
        } else if (entry.attempts == 0 && entry.origin != record_origin::dead_letter_retry && history.version_dead_lettered) {
            // The same version arriving again (a poll sweep, a resent webhook) would only fail again:
            // it waits in the dead-letter queue, where `ferry dlq retry` sends it once fixed.
            why = "version " + std::to_string(entry.record.version) + " of this key was dead-lettered";
        }
        if (!why.empty()) {
            store_.mark_skipped(entry.id, why);
            metrics_.add("ferry_records_skipped_total", p.labels);
            return outcome{outcome::kind::skipped, entry.attempts, 0, why, false, false, {}};
        }
    }

    // Transforms: each step maps every record of the previous one to zero or more records.
    if (w.transform_calls.size() < p.transforms.size()) w.transform_calls.resize(p.transforms.size());
    outputs.assign(1, entry.record);
    for (size_t i = 0; i < p.transforms.size(); ++i) {
        std::vector<owned_record> next;
        call_context& call = w.transform_calls[i];
        for (const owned_record& r : outputs) {
            ferry_record view = r.view();
            ferry_status status = p.transforms[i]->transform(view, call);
            if (status != FERRY_OK) {
                return fail(p, entry, status, p.transforms[i]->component().qualified_name(), call.error(), call.delay_ms(), false);
            }
            for (size_t k = 0; k < call.emitted_count(); ++k) next.push_back(call.records()[k]);
        }
        outputs = std::move(next);
    }
    if (outputs.empty()) {
        store_.mark_skipped(entry.id, "filtered out by the transforms");
        metrics_.add("ferry_records_filtered_total", p.labels);
        return outcome{outcome::kind::skipped, entry.attempts, 0, "filtered", false, false, {}};
    }
    return std::nullopt;
}

engine::outcome engine::deliver(pipeline_runtime& p, const journal_entry& entry, worker_state& w) {
    std::vector<owned_record> outputs;
    if (std::optional<outcome> ended = prepare(p, entry, w, outputs)) return std::move(*ended);
    return write_each(p, entry, outputs, w);
}

void engine::collect_follow_ups(pipeline_runtime& p, const call_context& call, std::vector<append_item>& follow_ups,
                                std::vector<pipeline_runtime*>& follow_up_pipelines) {
    for (size_t k = 0; k < call.emitted_count(); ++k) {
        const owned_record& r = call.records()[k];
        for (pipeline_runtime* follower : p.followers) {
            const std::string& wanted = follower->spec->source.stream;
            if (!wanted.empty() && wanted != r.stream) continue;
            follow_ups.push_back({follower->spec->name, r, record_origin::follow_up});
            follow_up_pipelines.push_back(follower);
        }
    }
}

engine::outcome engine::write_each(pipeline_runtime& p, const journal_entry& entry, const std::vector<owned_record>& outputs,
                                   worker_state& w) {
    // The sink, once per output, each under its own idempotency key.
    std::string base_key = idempotency_base(p.spec->name, entry);
    std::vector<std::pair<std::string, std::string>> targets;
    std::vector<append_item> follow_ups;
    std::vector<pipeline_runtime*> follow_up_pipelines;
    const std::string sink_name = p.sink->component().qualified_name();
    bool sink_called = false;
    for (size_t i = 0; i < outputs.size(); ++i) {
        std::string idempotency_key = outputs.size() == 1 ? base_key : base_key + "#" + std::to_string(i);
        // A record this process journalled and never tried cannot be in the target nor in the ID
        // map yet: only the others pay for looking.
        bool maybe_written = entry.maybe_written || entry.attempts > 0;
        if (maybe_written) {
            if (std::optional<std::string> known = store_.target_for(idempotency_key)) {
                targets.emplace_back(idempotency_key, *known);
                continue;
            }
        }
        ferry_record view = outputs[i].view();
        ferry_delivery delivery{};
        delivery.struct_size = sizeof(delivery);
        delivery.record = &view;
        delivery.idempotency_key = c_str(idempotency_key);
        delivery.attempt = entry.attempts + 1;
        call_context& call = w.sink_call;
        sink_called = true;
        auto started = std::chrono::steady_clock::now();
        if (maybe_written && p.sink->component().has(FERRY_CAP_LOOKUP)) {
            sink_http = {};
            ferry_status status = p.sink->lookup(delivery, call);
            if (status != FERRY_OK) return fail(p, entry, status, sink_name + " (lookup)", call.error(), call.delay_ms(), true);
            if (call.target_id()) {
                targets.emplace_back(idempotency_key, *call.target_id());
                if (outputs.size() > 1) store_.remember_target(entry.id, idempotency_key, *call.target_id());
                // The write happened before a crash took its follow-ups with it: the lookup gives them again.
                collect_follow_ups(p, call, follow_ups, follow_up_pipelines);
                continue;
            }
        }
        sink_http = {};
        ferry_status status = p.sink->write(delivery, call);
        metrics_.observe("ferry_sink_call_seconds", p.labels,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (status != FERRY_OK) return fail(p, entry, status, sink_name, call.error(), call.delay_ms(), true);
        std::string target = call.target_id().value_or("");
        targets.emplace_back(idempotency_key, target);
        if (outputs.size() > 1) store_.remember_target(entry.id, idempotency_key, target);
        collect_follow_ups(p, call, follow_ups, follow_up_pipelines);
    }
    return commit(p, entry, std::move(targets), std::move(follow_ups), std::move(follow_up_pipelines), sink_called);
}

std::vector<engine::outcome> engine::deliver_batch(pipeline_runtime& p, const std::vector<journal_entry>& entries,
                                                   worker_state& w) {
    std::vector<outcome> outcomes(entries.size());
    // A store failure finishes only the record it happened to.
    auto guarded = [&](size_t i, auto&& step) {
        try {
            outcomes[i] = step();
        } catch (const std::exception& e) {
            outcomes[i] = store_failed(p, entries[i], e);
        }
    };
    struct item {
        size_t entry;
        owned_record output;
        std::string idempotency_key;
    };
    std::vector<item> batch;
    const bool has_lookup = p.sink->component().has(FERRY_CAP_LOOKUP);
    for (size_t i = 0; i < entries.size(); ++i) {
        const journal_entry& entry = entries[i];
        guarded(i, [&]() -> outcome {
            std::vector<owned_record> outputs;
            if (std::optional<outcome> ended = prepare(p, entry, w, outputs)) return std::move(*ended);
            // Several outputs (each with its own key), or a lookup to make before writing: the
            // single path, exactly as without batching.
            bool maybe_written = entry.maybe_written || entry.attempts > 0;
            if (outputs.size() != 1 || (maybe_written && has_lookup)) return write_each(p, entry, outputs, w);
            std::string key = idempotency_base(p.spec->name, entry);
            if (maybe_written) {
                if (std::optional<std::string> known = store_.target_for(key)) {
                    return commit(p, entry, {{key, *known}}, {}, {}, false);
                }
            }
            batch.push_back({i, std::move(outputs[0]), std::move(key)});
            return outcome{outcome::kind::committing, 0, 0, "", false, false, {}};  // replaced below
        });
    }
    if (batch.size() == 1) {
        // A batch of one is an ordinary write.
        size_t i = batch[0].entry;
        guarded(i, [&] { return write_each(p, entries[i], {batch[0].output}, w); });
        return outcomes;
    }
    if (batch.empty()) return outcomes;

    std::vector<ferry_record> views;
    std::vector<ferry_delivery> deliveries(batch.size());
    std::vector<const ferry_delivery*> pointers;
    views.reserve(batch.size());
    pointers.reserve(batch.size());
    for (size_t k = 0; k < batch.size(); ++k) {
        views.push_back(batch[k].output.view());
        ferry_delivery& d = deliveries[k];
        d.struct_size = sizeof(d);
        d.record = &views[k];
        d.idempotency_key = c_str(batch[k].idempotency_key);
        d.attempt = entries[batch[k].entry].attempts + 1;
        pointers.push_back(&d);
    }
    call_context& call = w.sink_call;
    auto started = std::chrono::steady_clock::now();
    sink_http = {};
    ferry_status call_status = p.sink->write_batch(pointers.data(), pointers.size(), call);
    metrics_.observe("ferry_sink_call_seconds", p.labels,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    metrics_.add("ferry_sink_batches_total", p.labels);
    const std::string sink_name = p.sink->component().qualified_name();

    // Each item's status: its own result, else the hook's status (ABI 1.0: "items without an
    // outcome take the status the hook returned").
    std::vector<ferry_status> statuses(batch.size());
    std::vector<std::string> texts(batch.size());
    bool any_ok = false;
    for (size_t k = 0; k < batch.size(); ++k) {
        const item_result& r = call.items()[k];
        if (r.set) {
            statuses[k] = r.status;
            texts[k] = r.text.empty() ? call.error() : r.text;
        } else {
            statuses[k] = call_status;
            texts[k] = call.error();
        }
        any_ok = any_ok || statuses[k] == FERRY_OK;
    }
    // Records the call emitted cannot be told apart by item: they are journalled with the first
    // record it wrote.
    std::vector<append_item> follow_ups;
    std::vector<pipeline_runtime*> follow_up_pipelines;
    if (any_ok) collect_follow_ups(p, call, follow_ups, follow_up_pipelines);
    // The circuit breaker hears one verdict per call: success if anything was written, else one
    // transient failure if any item (or the call) asked for a retry.
    bool verdict_given = false;
    for (size_t k = 0; k < batch.size(); ++k) {
        size_t i = batch[k].entry;
        const journal_entry& entry = entries[i];
        guarded(i, [&]() -> outcome {
            if (statuses[k] == FERRY_OK) {
                std::vector<std::pair<std::string, std::string>> targets{{batch[k].idempotency_key, call.items()[k].target_id}};
                if (verdict_given) return commit(p, entry, std::move(targets), {}, {}, false);
                verdict_given = true;  // the first record written: the verdict and the follow-ups go with it
                return commit(p, entry, std::move(targets), std::move(follow_ups), std::move(follow_up_pipelines), true);
            }
            outcome o = fail(p, entry, statuses[k], sink_name + " (write_batch)", texts[k], call.delay_ms(), true);
            if (any_ok || verdict_given) o.sink_transient_failure = false;
            verdict_given = verdict_given || o.sink_transient_failure;
            return o;
        });
    }
    return outcomes;
}

namespace {

// What finishing a delivery needs of its record: all but the payload and meta.
journal_entry without_body(const journal_entry& entry) {
    journal_entry slim;
    slim.id = entry.id;
    slim.pipeline = entry.pipeline;
    slim.record.stream = entry.record.stream;
    slim.record.key = entry.record.key;
    slim.record.version = entry.record.version;
    slim.origin = entry.origin;
    slim.received_ms = entry.received_ms;
    slim.attempts = entry.attempts;
    slim.next_attempt_ms = entry.next_attempt_ms;
    slim.last_error = entry.last_error;
    return slim;
}

}  // namespace

engine::outcome engine::commit(pipeline_runtime& p, const journal_entry& entry,
                               std::vector<std::pair<std::string, std::string>> targets, std::vector<append_item> follow_ups,
                               std::vector<pipeline_runtime*> follow_up_pipelines, bool sink_succeeded) {
    // Recording the delivery is left to the store's thread: this worker moves on, and the record's
    // key stays in flight (nothing else of that key is delivered) until the commit completes.
    auto follow_up_items = std::make_shared<std::vector<append_item>>(std::move(follow_ups));
    outcome done{outcome::kind::done, entry.attempts + 1, 0, "", false, sink_succeeded, {}};
    {
        std::lock_guard lock(mutex_);
        ++pending_commits_;
    }
    store_.mark_done_async(
        entry.id, std::move(targets), follow_up_items,
        [this, &p, entry = without_body(entry), done, follow_up_items, follow_up_pipelines = std::move(follow_up_pipelines)](
            std::vector<int64_t> ids, std::exception_ptr error) mutable {
            std::lock_guard lock(mutex_);
            int64_t now = now_ms();
            if (error) {
                // The target has the record but the store could not say so: try again, and the
                // lookup (or the ID map) will find it instead of writing twice.
                std::string why = "the store could not record the delivery";
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& e) {
                    why += std::string(": ") + e.what();
                }
                log_error("pipeline " + p.spec->name + ": " + why);
                done = outcome{outcome::kind::retry, entry.attempts, now + 1000, why, false, false, {}};
            } else {
                metrics_.add("ferry_records_out_total", p.labels);
                metrics_.observe("ferry_delivery_latency_seconds", p.labels, std::max<int64_t>(0, now - entry.received_ms) / 1000.0);
                for (size_t i = 0; i < ids.size(); ++i) {
                    journal_entry follow;
                    follow.id = ids[i];
                    follow.pipeline = (*follow_up_items)[i].pipeline;
                    follow.record = std::move((*follow_up_items)[i].record);  // the store is done with it
                    follow.origin = record_origin::follow_up;
                    follow.received_ms = now;
                    metrics_.add("ferry_records_in_total", follow_up_pipelines[i]->labels);
                    done.follow_ups.emplace_back(follow_up_pipelines[i], std::move(follow));
                }
            }
            record_outcome(p, entry, done);
            // The key is free again, and so is a place in the pipeline: one more worker may have work.
            wake_workers(done.follow_ups.size() + 1);
            if (idle_waiters_ > 0) idle_changed_.notify_all();
            if (--pending_commits_ == 0) commits_done_.notify_all();
        });
    return outcome{outcome::kind::committing, 0, 0, "", false, false, {}};
}

// --------------------------------------------------------------------------------------------
// status and metrics

std::vector<pipeline_status> engine::status() {
    std::vector<pipeline_status> out;
    {
        std::lock_guard lock(mutex_);
        for (auto& p : pipelines_) {
            pipeline_status s;
            s.name = p->spec->name;
            s.running = !p->stopped;
            s.stop_reason = p->stop_reason;
            s.in_flight = p->queue.in_flight();
            if (p->sink_connection) {
                s.sink_connection = p->sink_connection->name;
                s.circuit = std::string(circuit_state_name(p->sink_connection->breaker.current()));
            }
            out.push_back(std::move(s));
        }
    }
    // The counts come from the store, read without holding the workers back.
    for (auto& s : out) s.counts = store_.counts(s.name);
    return out;
}

std::string engine::render_metrics() {
    {
        std::lock_guard lock(mutex_);
        int64_t now = now_ms();
        for (auto& p : pipelines_) {
            metrics_.set("ferry_queue_depth", p->labels, double(p->queue.size() + p->spilled.count));
            int64_t oldest = p->queue.oldest_received_ms();
            metrics_.set("ferry_oldest_pending_age_seconds", p->labels, oldest ? (now - oldest) / 1000.0 : 0.0);
            metrics_.set("ferry_pipeline_running", p->labels, p->stopped ? 0 : 1);
        }
        for (auto& c : connections_) {
            double state = c->breaker.current() == circuit_breaker::state::closed      ? 0
                           : c->breaker.current() == circuit_breaker::state::half_open ? 1
                                                                                        : 2;
            metrics_.set("ferry_circuit_state", {{"connection", c->name}}, state);
        }
    }
    return metrics_.render();
}

bool engine::any_stopped() {
    std::lock_guard lock(mutex_);
    return std::any_of(pipelines_.begin(), pipelines_.end(), [](const auto& p) { return p->stopped; });
}

}  // namespace ferry::host
