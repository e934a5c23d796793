// The engine: runs the pipelines of a manifest. Records come in (webhook, poll, follow-up), are
// journalled, then delivered by workers through the transforms to the sink, with per-key order,
// retries, dead letters, a circuit breaker per sink connection and an exactly-once effect through
// the ID map and the sinks' lookups.
#pragma once

#include "engine/metrics.hpp"
#include "http/client.hpp"
#include "manifest/manifest.hpp"
#include "services/host_api.hpp"
#include "store/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ferry::host {

class plugin_registry;
struct pipeline_runtime;
struct connection_runtime;

// A pipeline or component could not be started; the message names it.
class engine_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct webhook_input {
    std::string method = "POST";
    std::string path;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct webhook_outcome {
    int http_status = 200;
    std::string message;  // one line for the sender; never the body
    size_t accepted = 0;
    size_t duplicates = 0;
};

struct pipeline_status {
    std::string name;
    bool running = true;
    std::string stop_reason;
    pipeline_counts counts;
    size_t in_flight = 0;
    std::string sink_connection;
    std::string circuit;  // closed, open, half_open
};

// What the engine offers plugins: HTTP through the host's client with the connection's rate
// governor, the API call log (secrets redacted) and metrics; durable per-connection state in the
// store; and what host_services already does.
class engine_services : public host_services {
public:
    engine_services(metrics_registry& metrics, size_t api_log_keep = 10000);
    ~engine_services() override;
    // Attaches the store once the manifest has named it; until then state is kept in memory.
    void attach(store& durable, const manifest& m);

    ferry_status http_send(scope_context& scope, const ferry_http_request& request,
                           const ferry_http_response** response) override;
    void http_release(scope_context& scope, const ferry_http_response* response) override;
    void rate_report(scope_context& scope, double available, double capacity, double restore) override;
    std::optional<std::string> state_get(scope_context& scope, std::string_view key) override;
    ferry_status state_put(scope_context& scope, std::string_view key, std::string_view value) override;
    ferry_status state_delete(scope_context& scope, std::string_view key) override;
    void metric(scope_context& scope, int32_t kind, std::string_view name, double value) override;

    // Replaces every secret of `connection` (raw and URL-encoded) in `text` by "********".
    std::string redact(const std::string& connection, std::string text) const override;

private:
    struct rate_budget;
    // Stops counting this thread's last answered request in flight; under rate_mutex_.
    void release_awaiting_report();

    store* store_ = nullptr;
    metrics_registry& metrics_;
    size_t api_log_keep_;
    std::unique_ptr<http_client> client_;
    std::map<std::string, std::vector<std::string>> secrets_;  // by connection
    std::mutex rate_mutex_;
    std::condition_variable budget_reported_;  // a rate report arrived: waiting requests look again
    std::map<std::string, rate_budget> budgets_;  // by connection
    std::atomic<uint64_t> api_calls_logged_{0};
};

class engine {
public:
    struct options {
        size_t workers = 4;
        int64_t idle_wait_ms = 1000;    // longest sleep of an idle worker
        int64_t requeue_scan_ms = 500;  // how often to look for records requeued from the CLI
        // Pending records of one pipeline held in memory; a larger backlog waits in the store and
        // is read back, oldest first, as the queue drains.
        size_t max_queued = 4096;
    };

    // Creates every component instance. Throws engine_error naming what failed.
    engine(const manifest& m, plugin_registry& registry, store& durable, host_services& services,
           metrics_registry& metrics, options opts);
    engine(const manifest& m, plugin_registry& registry, store& durable, host_services& services,
           metrics_registry& metrics)
        : engine(m, registry, durable, services, metrics, options{}) {}
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    // Loads pending records from the store and starts the workers and pollers.
    void start(bool with_pollers = true);
    // Stops taking new work, lets in-flight records finish, joins every thread. Pending records
    // stay in the store for the next start.
    void stop();

    // Polls every polling pipeline once (for run --once and tests); returns records accepted.
    size_t poll_all_once();
    // Waits until no record is in flight and none is due before `horizon_ms` from now, or the
    // timeout passes. Returns true when idle.
    bool wait_idle(std::chrono::milliseconds timeout, int64_t horizon_ms = 0);

    // Intake: hands a webhook request to every pipeline whose source reads `connection`,
    // journals what they emit, and calls `done` with what to answer once it is durable (from the
    // store's thread) or at once when there is nothing to journal. Never blocks.
    void accept_webhook_async(const std::string& connection, const webhook_input& request,
                              std::function<void(webhook_outcome)> done);
    // The same, waiting for the answer.
    webhook_outcome accept_webhook(const std::string& connection, const webhook_input& request);
    // Waits until every commit handed to the store (webhooks taken, deliveries made) has completed
    // and been acted on: every webhook taken has had its answer.
    void wait_for_commits();
    // Schedules records that another process requeued (dead-letter retries, replays) since the
    // last look; the engine looks by itself every `requeue_scan_ms`. Returns how many it found.
    size_t pick_up_requeued();

    std::vector<pipeline_status> status();
    // Refreshes the queue gauges and renders every metric.
    std::string render_metrics();
    // True when any pipeline stopped on a fatal error.
    bool any_stopped();

private:
    struct worker_state;
    struct outcome;

    void worker_loop();
    void poller_loop(pipeline_runtime* p);
    void requeue_loop();
    size_t poll_once(pipeline_runtime& p);
    // Takes a ready record, and with it the other ready records of its pipeline when the sink
    // writes batches (at most max_batch).
    bool take_work(std::unique_lock<std::mutex>& lock, pipeline_runtime*& pipeline, std::vector<journal_entry>& entries);
    outcome deliver(pipeline_runtime& p, const journal_entry& entry, worker_state& w);
    // The records of one batch, each through the same checks and transforms as deliver(); those
    // that reach the sink with one output share one write_batch call. One outcome per entry.
    std::vector<outcome> deliver_batch(pipeline_runtime& p, const std::vector<journal_entry>& entries, worker_state& w);
    // The version checks and the transforms: the outcome when the record ends there, else its
    // outputs for the sink.
    std::optional<outcome> prepare(pipeline_runtime& p, const journal_entry& entry, worker_state& w,
                                   std::vector<owned_record>& outputs);
    // The sink, one write (after the ID map and lookup) per output.
    outcome write_each(pipeline_runtime& p, const journal_entry& entry, const std::vector<owned_record>& outputs,
                       worker_state& w);
    // Hands the finished delivery to the store's thread, which records it and its follow-ups.
    outcome commit(pipeline_runtime& p, const journal_entry& entry, std::vector<std::pair<std::string, std::string>> targets,
                   std::vector<append_item> follow_ups, std::vector<pipeline_runtime*> follow_up_pipelines,
                   bool sink_succeeded);
    // Adds the records `call` emitted to the follow-ups of every follower that takes their stream.
    void collect_follow_ups(pipeline_runtime& p, const call_context& call, std::vector<append_item>& follow_ups,
                            std::vector<pipeline_runtime*>& follow_up_pipelines);
    outcome fail(pipeline_runtime& p, const journal_entry& entry, ferry_status status, const std::string& step,
                 const std::string& error, uint64_t delay_ms, bool at_sink);
    void record_outcome(pipeline_runtime& p, const journal_entry& entry, const outcome& o);
    // The store failed while delivering: the record stays pending in memory and is tried shortly.
    outcome store_failed(pipeline_runtime& p, const journal_entry& entry, const std::exception& e);
    void schedule(pipeline_runtime& p, journal_entry entry);
    // The queue is full: the record (durable already) waits in the store until read back.
    void leave_in_store(pipeline_runtime& p, int64_t id);
    // Reads back the oldest records left in the store, as many as the queue has room for. Unlocks
    // `lock` while it reads.
    void read_back(std::unique_lock<std::mutex>& lock, pipeline_runtime& p);
    // A record found pending at start-up or retried from the dead letters may have reached the
    // sink already: it is looked up before it is written.
    bool may_have_been_written(const journal_entry& entry) const;
    // Wakes as many sleeping workers as there are new records (at most all of them).
    void wake_workers(size_t new_records);
    pipeline_runtime* find_pipeline(const std::string& name);
    int64_t now_ms() const;

    const manifest& manifest_;
    store& store_;
    host_services& services_;
    metrics_registry& metrics_;
    options options_;
    std::vector<std::unique_ptr<connection_runtime>> connections_;
    std::vector<std::unique_ptr<pipeline_runtime>> pipelines_;

    std::mutex mutex_;  // guards the queues, connection runtimes and pipeline run state
    std::condition_variable work_changed_;  // a sleeping worker may find work now
    std::condition_variable idle_changed_;  // a record finished: wait_idle may be done
    size_t idle_waiters_ = 0;
    size_t pending_commits_ = 0;  // webhooks and deliveries waiting for the store's commit
    std::condition_variable commits_done_;
    std::condition_variable stop_requested_;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> workers_;
    std::vector<std::thread> pollers_;
    int64_t requeue_watermark_ = 0;  // journal id up to which requeued records were looked for
    int64_t resumed_up_to_id_ = 0;   // the last journal id when this engine started
    size_t next_pipeline_ = 0;  // round-robin start for fairness
};

}  // namespace ferry::host
