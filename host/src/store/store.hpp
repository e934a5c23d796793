// The durable store behind the engine: journal (which is also the queue), ID map, per-connection
// state and cursors, dead letters, the API call log and runs. One interface; SQLite is the engine
// today. Nothing SQLite-specific appears here, so a PostgreSQL engine can follow.
#pragma once

#include "services/host_api.hpp"

#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ferry::host {

// Where a journalled record came from.
enum class record_origin { webhook, poll, follow_up, replay, dead_letter_retry };
std::string_view origin_name(record_origin origin);

enum class record_state { pending = 0, done = 1, dead = 2, skipped = 3 };
std::string_view state_name(record_state state);

struct append_item {
    std::string pipeline;
    owned_record record;
    record_origin origin = record_origin::webhook;
};

// A source cursor stored in the same transaction as the records that advance it.
struct cursor_update {
    std::string connection;
    std::string key;
    std::string value;
};

struct journal_entry {
    int64_t id = 0;
    std::string pipeline;
    owned_record record;
    record_origin origin = record_origin::webhook;
    int64_t received_ms = 0;
    record_state state = record_state::pending;
    uint32_t attempts = 0;
    int64_t next_attempt_ms = 0;
    std::string last_error;
    std::string target_id;
    // Not stored: set by the engine for records that may already have reached the sink (found
    // pending at start-up, requeued, or attempted before), which must be looked up before a write.
    bool maybe_written = false;
};

struct dead_letter {
    journal_entry entry;
    std::string reason;
    std::string step;   // the component that failed, e.g. "syspro.order"
    std::string trace;  // one line per attempt
    int64_t created_ms = 0;
    std::optional<std::string> edited_payload;
};

struct api_call {
    std::string connection;
    std::string method;
    std::string url;  // query secrets already redacted
    int status = 0;
    double latency_ms = 0;
    std::string request_body;   // redacted, truncated
    std::string response_body;  // redacted, truncated
    std::string error;
    int64_t at_ms = 0;
};

struct pipeline_counts {
    uint64_t pending = 0;
    uint64_t done = 0;
    uint64_t dead = 0;
    uint64_t skipped = 0;
    int64_t oldest_pending_ms = 0;  // received time of the oldest pending record; 0 if none
};

// Thrown when the store cannot do what was asked (disk full, corrupt file, locked): the caller
// answers 503 or stops, and nothing is half-written.
class store_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class store {
public:
    virtual ~store() = default;

    // Journals and queues records durably, with an optional cursor update, in one transaction.
    // A record whose (pipeline, event_id) was journalled before is dropped: its id is 0.
    virtual std::vector<int64_t> append(const std::vector<append_item>& items,
                                        const std::optional<cursor_update>& cursor = std::nullopt) = 0;
    // The same without waiting: `done` is called, on the store's thread, once the records are
    // durable (with their ids) or could not be written (with the error). It must not block.
    virtual void append_async(std::shared_ptr<const std::vector<append_item>> items, std::optional<cursor_update> cursor,
                              std::function<void(std::vector<int64_t>, std::exception_ptr)> done) = 0;

    // The pending records of a pipeline with ids from `from_id` to `to_id`, oldest first, at most
    // `limit` of them: what the engine resumes with, and reads back when a backlog did not fit in
    // its memory.
    virtual std::vector<journal_entry> pending(const std::string& pipeline, int64_t from_id, int64_t to_id,
                                               size_t limit) = 0;
    std::vector<journal_entry> pending(const std::string& pipeline) {
        return pending(pipeline, 0, std::numeric_limits<int64_t>::max(), std::numeric_limits<size_t>::max());
    }
    // Pending records journalled after `after_id` by another process (dead-letter retries and
    // replays from the CLI), oldest first: how a running engine learns of them.
    virtual std::vector<journal_entry> requeued_since(int64_t after_id) = 0;
    // The highest journal id so far (0 for an empty journal).
    virtual int64_t last_id() = 0;
    virtual std::optional<journal_entry> entry(int64_t id) = 0;

    // Delivered: keeps the target id in the ID map under each idempotency key, raises the key's
    // delivered version and journals the sink's follow-up records, all in one transaction.
    // Returns the follow-ups' journal ids.
    virtual std::vector<int64_t> mark_done(int64_t id,
                                           const std::vector<std::pair<std::string, std::string>>& idempotency_targets,
                                           const std::vector<append_item>& follow_ups) = 0;
    // The same without waiting: `done` is called on the store's thread once it is durable. It must
    // not block.
    virtual void mark_done_async(int64_t id, std::vector<std::pair<std::string, std::string>> idempotency_targets,
                                 std::shared_ptr<const std::vector<append_item>> follow_ups,
                                 std::function<void(std::vector<int64_t>, std::exception_ptr)> done) = 0;
    // A failed attempt: the record stays pending until next_attempt_ms; `trace_line` is appended to
    // its trace.
    virtual void mark_retry(int64_t id, uint32_t attempts, int64_t next_attempt_ms, const std::string& error,
                            const std::string& trace_line) = 0;
    // Given up: the record becomes a dead letter whose trace is every attempt's line.
    virtual void mark_dead(int64_t id, uint32_t attempts, const std::string& reason, const std::string& step,
                           const std::string& trace_line) = 0;
    // Keeps a target id as soon as a sink reports it, before the whole record is done (a record
    // whose transforms emit several outputs is delivered one output at a time).
    virtual void remember_target(int64_t id, const std::string& idempotency_key, const std::string& target_id) = 0;
    // Not delivered on purpose (filtered, stale version, already delivered).
    virtual void mark_skipped(int64_t id, const std::string& reason) = 0;

    // ID map: the target document written for an idempotency key.
    virtual std::optional<std::string> target_for(const std::string& idempotency_key) = 0;
    // The highest version of a key delivered by a pipeline.
    // What a pipeline has done with a key, asked before each first delivery (one read).
    struct key_history {
        std::optional<int64_t> delivered_version;  // the highest version delivered
        bool version_dead_lettered = false;        // this version went to the dead-letter queue (even if since discarded)
    };
    virtual key_history history_of(const std::string& pipeline, const std::string& key, int64_t version) = 0;

    // Per-connection state and cursors.
    virtual std::optional<std::string> state_get(const std::string& connection, const std::string& key) = 0;
    virtual void state_put(const std::string& connection, const std::string& key, const std::string& value) = 0;
    virtual void state_delete(const std::string& connection, const std::string& key) = 0;

    // Dead letters, newest first; `pipeline` empty for all.
    virtual std::vector<dead_letter> dead_letters(const std::string& pipeline, size_t limit) = 0;
    virtual std::optional<dead_letter> find_dead_letter(int64_t id) = 0;
    virtual void edit_dead_letter(int64_t id, const std::string& payload) = 0;
    // Journals the record again (edited payload if any) as a new pending entry; returns its id.
    virtual int64_t retry_dead_letter(int64_t id) = 0;
    virtual void discard_dead_letter(int64_t id) = 0;

    // Journal entries of a pipeline received in [since_ms, until_ms), oldest first.
    virtual std::vector<journal_entry> journal_window(const std::string& pipeline, int64_t since_ms, int64_t until_ms) = 0;

    virtual void log_api_call(const api_call& call) = 0;
    virtual std::vector<api_call> api_calls(const std::string& connection, size_t limit) = 0;
    // Keeps the newest `keep` API calls, from the next commit on (it does not wait for one).
    virtual void prune_api_calls(size_t keep) = 0;

    virtual pipeline_counts counts(const std::string& pipeline) = 0;

    virtual int64_t begin_run(const std::string& manifest) = 0;
    // Where a running ferry answers (host:port), for `ferry status`.
    virtual void set_run_address(int64_t run, const std::string& address) = 0;
    // The address of the newest run that has not ended (it may have died without ending).
    virtual std::optional<std::string> running_address() = 0;
    virtual void end_run(int64_t run, const std::string& outcome) = 0;
};

// Opens the store a manifest names ("sqlite://path", relative to `base`) and brings its schema up
// to date. With `create` false a store that does not exist yet is an error, not a new file.
std::unique_ptr<store> open_store(const std::string& url, const std::filesystem::path& base, bool create = true);

}  // namespace ferry::host
