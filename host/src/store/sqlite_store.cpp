// The SQLite engine of the store: one file in WAL mode, fsync at every commit
// (synchronous=FULL), and group commit: concurrent writers queue their work and whichever finds no
// commit under way runs the whole queue in one transaction, each piece in its own savepoint.
#include "store/store.hpp"

#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace ferry::host {

std::string_view origin_name(record_origin origin) {
    switch (origin) {
        case record_origin::webhook: return "webhook";
        case record_origin::poll: return "poll";
        case record_origin::follow_up: return "follow-up";
        case record_origin::replay: return "replay";
        case record_origin::dead_letter_retry: return "dead-letter retry";
    }
    return "unknown";
}

std::string_view state_name(record_state state) {
    switch (state) {
        case record_state::pending: return "pending";
        case record_state::done: return "done";
        case record_state::dead: return "dead";
        case record_state::skipped: return "skipped";
    }
    return "unknown";
}

namespace {

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Each migration moves the schema from version N to N+1; they only ever get appended.
const char* const migrations[] = {
    R"sql(
    CREATE TABLE journal (
        id INTEGER PRIMARY KEY,
        pipeline TEXT NOT NULL,
        stream TEXT NOT NULL,
        key TEXT NOT NULL,
        version INTEGER NOT NULL,
        payload BLOB NOT NULL,
        meta TEXT NOT NULL,
        event_id TEXT NOT NULL,
        origin INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        state INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        target_id TEXT NOT NULL DEFAULT '',
        trace TEXT NOT NULL DEFAULT '',
        finished_ms INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX journal_pending ON journal (pipeline, id) WHERE state = 0;
    CREATE INDEX journal_received ON journal (pipeline, received_ms);
    CREATE TABLE seen_events (
        pipeline TEXT NOT NULL, event_id TEXT NOT NULL, journal_id INTEGER NOT NULL,
        PRIMARY KEY (pipeline, event_id)) WITHOUT ROWID;
    CREATE TABLE id_map (
        idempotency_key TEXT PRIMARY KEY, target_id TEXT NOT NULL, journal_id INTEGER NOT NULL,
        created_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE key_versions (
        pipeline TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,
        PRIMARY KEY (pipeline, key)) WITHOUT ROWID;
    CREATE TABLE state (
        connection TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, updated_ms INTEGER NOT NULL,
        PRIMARY KEY (connection, key)) WITHOUT ROWID;
    CREATE TABLE dead_letters (
        journal_id INTEGER PRIMARY KEY, pipeline TEXT NOT NULL, reason TEXT NOT NULL, step TEXT NOT NULL,
        trace TEXT NOT NULL, created_ms INTEGER NOT NULL, edited_payload BLOB);
    CREATE TABLE api_calls (
        id INTEGER PRIMARY KEY, connection TEXT NOT NULL, method TEXT NOT NULL, url TEXT NOT NULL,
        status INTEGER NOT NULL, latency_ms REAL NOT NULL, request_body TEXT NOT NULL,
        response_body TEXT NOT NULL, error TEXT NOT NULL, at_ms INTEGER NOT NULL);
    CREATE INDEX api_calls_connection ON api_calls (connection, id);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY, manifest TEXT NOT NULL, pid INTEGER NOT NULL, started_ms INTEGER NOT NULL,
        ended_ms INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL DEFAULT 'running', address TEXT NOT NULL DEFAULT '');
    )sql",
    // 2: versions of keys that went to the dead-letter queue, so that the same version arriving
    // again (a poll sweep, a resent webhook) waits there with it instead of failing once more.
    R"sql(
    CREATE TABLE dead_versions (
        pipeline TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,
        PRIMARY KEY (pipeline, key, version)) WITHOUT ROWID;
    INSERT OR IGNORE INTO dead_versions (pipeline, key, version)
        SELECT j.pipeline, j.key, j.version FROM dead_letters d JOIN journal j ON j.id = d.journal_id;
    )sql",
};

// A cached statement in use: reset when it goes out of scope, so that no statement keeps a read
// transaction (and with it an old WAL snapshot) open between uses.
class statement {
public:
    explicit statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~statement() {
        if (stmt_) sqlite3_reset(stmt_);
    }
    statement(statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    operator sqlite3_stmt*() const& { return stmt_; }
    operator sqlite3_stmt*() && = delete;  // a temporary would be reset before use

private:
    sqlite3_stmt* stmt_;
};

// SQLite answered "busy" without waiting (it does when two connections race to set up a new file).
class store_busy : public store_error {
public:
    using store_error::store_error;
};

class database {
public:
    database(const std::string& path, bool create) {
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw store_error("cannot open the store " + path + ": " + message);
        }
        sqlite3_busy_timeout(db_, 10000);
    }
    ~database() {
        for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
        sqlite3_close(db_);
    }
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    void exec(const char* sql) {
        char* error = nullptr;
        int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
        if (rc != SQLITE_OK) {
            std::string message = error ? error : sqlite3_errmsg(db_);
            sqlite3_free(error);
            if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) throw store_busy("store: " + message);
            throw store_error("store: " + message);
        }
    }

    // A cached prepared statement, ready to bind.
    statement prepare(const char* sql) {
        auto it = statements_.find(sql);
        if (it != statements_.end()) {
            sqlite3_clear_bindings(it->second);
            return statement(it->second);
        }
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
            throw store_error(std::string("store: cannot prepare statement: ") + sqlite3_errmsg(db_));
        }
        statements_.emplace(sql, stmt);
        return statement(stmt);
    }

    // Steps a statement; returns true while it yields a row.
    bool step(sqlite3_stmt* stmt) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        std::string message = std::string("store: ") + sqlite3_errmsg(db_);
        if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) throw store_busy(message);
        throw store_error(message);
    }

    // Runs one statement without results through the statement cache: for the transaction
    // control of every commit, which sqlite3_exec would parse each time.
    void run(const char* sql) {
        auto s = prepare(sql);
        step(s);
    }

    int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
    int changes() const { return sqlite3_changes(db_); }

private:
    sqlite3* db_ = nullptr;
    std::map<const char*, sqlite3_stmt*> statements_;  // keyed by the literal's address
};

void bind_value(sqlite3_stmt* stmt, int index, std::string_view text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}
void bind_value(sqlite3_stmt* stmt, int index, int64_t value) { sqlite3_bind_int64(stmt, index, value); }
void bind_value(sqlite3_stmt* stmt, int index, double value) { sqlite3_bind_double(stmt, index, value); }

// Binds the values to the statement's parameters in order.
template <class... Values>
void bind_all(sqlite3_stmt* stmt, const Values&... values) {
    int index = 0;
    (bind_value(stmt, ++index, values), ...);
}

std::string column_text(sqlite3_stmt* stmt, int column) {
    const void* data = sqlite3_column_blob(stmt, column);
    int size = sqlite3_column_bytes(stmt, column);
    return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size)) : std::string();
}

constexpr const char* entry_columns =
    "id, pipeline, stream, key, version, payload, meta, event_id, origin, received_ms, state, attempts, "
    "next_attempt_ms, last_error, target_id";

journal_entry read_entry(sqlite3_stmt* s, int first = 0) {
    journal_entry e;
    e.id = sqlite3_column_int64(s, first + 0);
    e.pipeline = column_text(s, first + 1);
    e.record.stream = column_text(s, first + 2);
    e.record.key = column_text(s, first + 3);
    e.record.version = sqlite3_column_int64(s, first + 4);
    e.record.payload = column_text(s, first + 5);
    e.record.meta = column_text(s, first + 6);
    e.record.event_id = column_text(s, first + 7);
    e.origin = static_cast<record_origin>(sqlite3_column_int(s, first + 8));
    e.received_ms = sqlite3_column_int64(s, first + 9);
    e.state = static_cast<record_state>(sqlite3_column_int(s, first + 10));
    e.attempts = static_cast<uint32_t>(sqlite3_column_int64(s, first + 11));
    e.next_attempt_ms = sqlite3_column_int64(s, first + 12);
    e.last_error = column_text(s, first + 13);
    e.target_id = column_text(s, first + 14);
    return e;
}

class sqlite_store final : public store {
public:
    sqlite_store(const std::string& path, bool create) : writer_(path, create) {
        // Setting up a new file can meet another process doing the same: SQLite then answers busy
        // at once instead of waiting, so try again for a while.
        for (int attempt = 1;; ++attempt) {
            try {
                writer_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;");
                migrate();
                break;
            } catch (const store_busy&) {
                if (attempt == 200) throw;
                std::this_thread::sleep_for(std::chrono::milliseconds(5 + attempt % 20));
            }
        }
        for (size_t i = 0; i < reader_count; ++i) {
            readers_.push_back(std::make_unique<database>(path, false));
            readers_.back()->exec("PRAGMA query_only=ON;");
            idle_readers_.push_back(readers_.back().get());
        }
        committer_ = std::thread([this] {
            pthread_setname_np(pthread_self(), "ferry-store");
            commit_loop();
        });
    }

    ~sqlite_store() override {
        {
            std::lock_guard lock(commit_mutex_);
            stopping_ = true;
        }
        work_queued_.notify_one();
        committer_.join();  // commits what is queued, API calls included, first
    }

    void append_async(std::shared_ptr<const std::vector<append_item>> items, std::optional<cursor_update> cursor,
                      std::function<void(std::vector<int64_t>, std::exception_ptr)> done) override {
        auto ids = std::make_shared<std::vector<int64_t>>();
        auto op = std::make_unique<write_op>();
        op->work = [ids, items, cursor](database& db) { *ids = insert_records(db, *items, cursor); };
        op->on_done = [ids, done = std::move(done)](std::exception_ptr error) { done(std::move(*ids), error); };
        enqueue(op.release());
    }

    std::vector<int64_t> append(const std::vector<append_item>& items, const std::optional<cursor_update>& cursor) override {
        std::vector<int64_t> ids;
        write([&](database& db) { ids = insert_records(db, items, cursor); });
        return ids;
    }

    using store::pending;
    std::vector<journal_entry> pending(const std::string& pipeline, int64_t from_id, int64_t to_id, size_t limit) override {
        reader_lease reader_(*this);
        static const std::string sql = std::string("SELECT ") + entry_columns +
                                       " FROM journal WHERE pipeline = ? AND state = 0 AND id BETWEEN ? AND ? ORDER BY id LIMIT ?";
        auto s = reader_->prepare(sql.c_str());
        bind_all(s, pipeline, from_id, to_id, static_cast<int64_t>(std::min<size_t>(limit, std::numeric_limits<int64_t>::max())));
        std::vector<journal_entry> out;
        while (reader_->step(s)) out.push_back(read_entry(s));
        return out;
    }

    std::vector<journal_entry> requeued_since(int64_t after_id) override {
        reader_lease reader_(*this);
        static const std::string sql = std::string("SELECT ") + entry_columns +
                                       " FROM journal WHERE id > ? AND state = 0 AND origin IN (?, ?) ORDER BY id";
        auto s = reader_->prepare(sql.c_str());
        bind_all(s, after_id, static_cast<int64_t>(record_origin::replay), static_cast<int64_t>(record_origin::dead_letter_retry));
        std::vector<journal_entry> out;
        while (reader_->step(s)) out.push_back(read_entry(s));
        return out;
    }

    int64_t last_id() override {
        reader_lease reader_(*this);
        auto s = reader_->prepare("SELECT coalesce(max(id), 0) FROM journal");
        reader_->step(s);
        return sqlite3_column_int64(s, 0);
    }

    std::optional<journal_entry> entry(int64_t id) override {
        reader_lease reader_(*this);
        static const std::string sql = std::string("SELECT ") + entry_columns + " FROM journal WHERE id = ?";
        auto s = reader_->prepare(sql.c_str());
        bind_all(s, id);
        if (!reader_->step(s)) return std::nullopt;
        return read_entry(s);
    }

    std::vector<int64_t> mark_done(int64_t id, const std::vector<std::pair<std::string, std::string>>& targets,
                                   const std::vector<append_item>& follow_ups) override {
        std::vector<int64_t> follow_up_ids;
        write([&](database& db) { follow_up_ids = record_delivery(db, id, targets, follow_ups); });
        return follow_up_ids;
    }

    void mark_done_async(int64_t id, std::vector<std::pair<std::string, std::string>> targets,
                         std::shared_ptr<const std::vector<append_item>> follow_ups,
                         std::function<void(std::vector<int64_t>, std::exception_ptr)> done) override {
        auto ids = std::make_shared<std::vector<int64_t>>();
        auto op = std::make_unique<write_op>();
        op->work = [ids, id, targets = std::move(targets), follow_ups](database& db) {
            *ids = record_delivery(db, id, targets, *follow_ups);
        };
        op->on_done = [ids, done = std::move(done)](std::exception_ptr error) { done(std::move(*ids), error); };
        enqueue(op.release());
    }

    void mark_retry(int64_t id, uint32_t attempts, int64_t next_attempt_ms, const std::string& error,
                    const std::string& trace_line) override {
        write([&](database& db) {
            auto s = db.prepare(
                "UPDATE journal SET attempts = ?, next_attempt_ms = ?, last_error = ?, trace = trace || ? || char(10)"
                " WHERE id = ? AND state = 0");
            bind_all(s, static_cast<int64_t>(attempts), next_attempt_ms, error, trace_line, id);
            db.step(s);
        });
    }

    void mark_dead(int64_t id, uint32_t attempts, const std::string& reason, const std::string& step,
                   const std::string& trace_line) override {
        write([&](database& db) {
            int64_t now = now_ms();
            auto s = db.prepare(
                "UPDATE journal SET state = 2, attempts = ?, last_error = ?, finished_ms = ?,"
                " trace = trace || ? || char(10) WHERE id = ? RETURNING pipeline, trace, key, version");
            bind_all(s, static_cast<int64_t>(attempts), reason, now, trace_line, id);
            if (!db.step(s)) throw store_error("store: journal entry " + std::to_string(id) + " does not exist");
            std::string pipeline = column_text(s, 0);
            std::string trace = column_text(s, 1);
            std::string key = column_text(s, 2);
            int64_t version = sqlite3_column_int64(s, 3);
            auto dead_version = db.prepare("INSERT OR IGNORE INTO dead_versions (pipeline, key, version) VALUES (?, ?, ?)");
            bind_all(dead_version, pipeline, key, version);
            db.step(dead_version);
            auto letter = db.prepare(
                "INSERT INTO dead_letters (journal_id, pipeline, reason, step, trace, created_ms) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (journal_id) DO UPDATE SET reason = excluded.reason, step = excluded.step,"
                " trace = excluded.trace, created_ms = excluded.created_ms");
            bind_all(letter, id, pipeline, reason, step, trace, now);
            db.step(letter);
        });
    }

    void remember_target(int64_t id, const std::string& idempotency_key, const std::string& target_id) override {
        write([&](database& db) {
            auto map = db.prepare(
                "INSERT INTO id_map (idempotency_key, target_id, journal_id, created_ms) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (idempotency_key) DO UPDATE SET target_id = excluded.target_id");
            bind_all(map, idempotency_key, target_id, id, now_ms());
            db.step(map);
        });
    }

    void mark_skipped(int64_t id, const std::string& reason) override {
        write([&](database& db) {
            // Only while pending: a record that reached the engine twice (read back from the store
            // and picked up as requeued) keeps the state its first delivery gave it.
            auto s = db.prepare("UPDATE journal SET state = 3, last_error = ?, finished_ms = ? WHERE id = ? AND state = 0");
            bind_all(s, reason, now_ms(), id);
            db.step(s);
        });
    }

    std::optional<std::string> target_for(const std::string& idempotency_key) override {
        reader_lease reader_(*this);
        auto s = reader_->prepare("SELECT target_id FROM id_map WHERE idempotency_key = ?");
        bind_all(s, idempotency_key);
        if (!reader_->step(s)) return std::nullopt;
        return column_text(s, 0);
    }

    key_history history_of(const std::string& pipeline, const std::string& key, int64_t version) override {
        reader_lease reader_(*this);
        auto s = reader_->prepare(
            "SELECT (SELECT version FROM key_versions WHERE pipeline = ?1 AND key = ?2),"
            " EXISTS (SELECT 1 FROM dead_versions WHERE pipeline = ?1 AND key = ?2 AND version = ?3)");
        bind_all(s, pipeline, key, version);
        key_history history;
        if (!reader_->step(s)) return history;
        if (sqlite3_column_type(s, 0) != SQLITE_NULL) history.delivered_version = sqlite3_column_int64(s, 0);
        history.version_dead_lettered = sqlite3_column_int64(s, 1) != 0;
        return history;
    }

    std::optional<std::string> state_get(const std::string& connection, const std::string& key) override {
        reader_lease reader_(*this);
        auto s = reader_->prepare("SELECT value FROM state WHERE connection = ? AND key = ?");
        bind_all(s, connection, key);
        if (!reader_->step(s)) return std::nullopt;
        return column_text(s, 0);
    }

    void state_put(const std::string& connection, const std::string& key, const std::string& value) override {
        write([&](database& db) { put_state(db, connection, key, value); });
    }

    void state_delete(const std::string& connection, const std::string& key) override {
        write([&](database& db) {
            auto s = db.prepare("DELETE FROM state WHERE connection = ? AND key = ?");
            bind_all(s, connection, key);
            db.step(s);
        });
    }

    std::vector<dead_letter> dead_letters(const std::string& pipeline, size_t limit) override {
        reader_lease reader_(*this);
        static const std::string sql = std::string("SELECT ") + prefixed_entry_columns() +
                                       ", d.reason, d.step, d.trace, d.created_ms, d.edited_payload"
                                       " FROM dead_letters d JOIN journal j ON j.id = d.journal_id"
                                       " WHERE (? = '' OR d.pipeline = ?) ORDER BY d.journal_id DESC LIMIT ?";
        auto s = reader_->prepare(sql.c_str());
        bind_all(s, pipeline, pipeline, static_cast<int64_t>(limit));
        std::vector<dead_letter> out;
        while (reader_->step(s)) out.push_back(read_dead_letter(s));
        return out;
    }

    std::optional<dead_letter> find_dead_letter(int64_t id) override {
        reader_lease reader_(*this);
        static const std::string sql = std::string("SELECT ") + prefixed_entry_columns() +
                                       ", d.reason, d.step, d.trace, d.created_ms, d.edited_payload"
                                       " FROM dead_letters d JOIN journal j ON j.id = d.journal_id WHERE d.journal_id = ?";
        auto s = reader_->prepare(sql.c_str());
        bind_all(s, id);
        if (!reader_->step(s)) return std::nullopt;
        return read_dead_letter(s);
    }

    void edit_dead_letter(int64_t id, const std::string& payload) override {
        write([&](database& db) {
            auto s = db.prepare("UPDATE dead_letters SET edited_payload = ? WHERE journal_id = ?");
            bind_all(s, payload, id);
            db.step(s);
            if (db.changes() == 0) throw store_error("no dead letter " + std::to_string(id));
        });
    }

    int64_t retry_dead_letter(int64_t id) override {
        int64_t new_id = 0;
        write([&](database& db) {
            auto s = db.prepare(
                "INSERT INTO journal (pipeline, stream, key, version, payload, meta, event_id, origin, received_ms)"
                " SELECT j.pipeline, j.stream, j.key, j.version, coalesce(d.edited_payload, j.payload), j.meta,"
                " j.event_id, ?, ? FROM dead_letters d JOIN journal j ON j.id = d.journal_id WHERE d.journal_id = ?");
            bind_all(s, static_cast<int64_t>(record_origin::dead_letter_retry), now_ms(), id);
            db.step(s);
            if (db.changes() == 0) throw store_error("no dead letter " + std::to_string(id));
            new_id = db.last_insert_id();
            auto remove = db.prepare("DELETE FROM dead_letters WHERE journal_id = ?");
            bind_all(remove, id);
            db.step(remove);
        });
        return new_id;
    }

    void discard_dead_letter(int64_t id) override {
        write([&](database& db) {
            auto s = db.prepare("DELETE FROM dead_letters WHERE journal_id = ?");
            bind_all(s, id);
            db.step(s);
            if (db.changes() == 0) throw store_error("no dead letter " + std::to_string(id));
            auto skip = db.prepare("UPDATE journal SET state = 3, last_error = 'discarded from the dead-letter queue' WHERE id = ?");
            bind_all(skip, id);
            db.step(skip);
        });
    }

    std::vector<journal_entry> journal_window(const std::string& pipeline, int64_t since_ms, int64_t until_ms) override {
        reader_lease reader_(*this);
        static const std::string sql = std::string("SELECT ") + entry_columns +
                                       " FROM journal WHERE pipeline = ? AND received_ms >= ? AND received_ms < ?"
                                       " AND origin <> ? ORDER BY id";
        auto s = reader_->prepare(sql.c_str());
        bind_all(s, pipeline, since_ms, until_ms, static_cast<int64_t>(record_origin::replay));
        std::vector<journal_entry> out;
        while (reader_->step(s)) out.push_back(read_entry(s));
        return out;
    }

    // Kept for the next commit, whoever makes it: the log costs no disk sync of its own. Calls not
    // yet committed when the process dies are lost, which the log can afford and the journal not.
    void log_api_call(const api_call& call) override {
        std::lock_guard lock(commit_mutex_);
        api_call_buffer_.push_back(call);
    }

    std::vector<api_call> api_calls(const std::string& connection, size_t limit) override {
        write([](database&) {});  // what is buffered becomes visible
        reader_lease reader_(*this);
        auto s = reader_->prepare(
            "SELECT connection, method, url, status, latency_ms, request_body, response_body, error, at_ms"
            " FROM api_calls WHERE (? = '' OR connection = ?) ORDER BY id DESC LIMIT ?");
        bind_all(s, connection, connection, static_cast<int64_t>(limit));
        std::vector<api_call> out;
        while (reader_->step(s)) {
            api_call c;
            c.connection = column_text(s, 0);
            c.method = column_text(s, 1);
            c.url = column_text(s, 2);
            c.status = sqlite3_column_int(s, 3);
            c.latency_ms = sqlite3_column_double(s, 4);
            c.request_body = column_text(s, 5);
            c.response_body = column_text(s, 6);
            c.error = column_text(s, 7);
            c.at_ms = sqlite3_column_int64(s, 8);
            out.push_back(std::move(c));
        }
        return out;
    }

    // Like the log itself, the pruning rides on the next commit: the caller does not wait.
    void prune_api_calls(size_t keep) override {
        std::lock_guard lock(commit_mutex_);
        api_calls_to_keep_ = keep;
    }

    pipeline_counts counts(const std::string& pipeline) override {
        reader_lease reader_(*this);
        auto s = reader_->prepare("SELECT state, count(*) FROM journal WHERE pipeline = ? GROUP BY state");
        bind_all(s, pipeline);
        pipeline_counts out;
        while (reader_->step(s)) {
            uint64_t n = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
            switch (static_cast<record_state>(sqlite3_column_int(s, 0))) {
                case record_state::pending: out.pending = n; break;
                case record_state::done: out.done = n; break;
                case record_state::dead: out.dead = n; break;
                case record_state::skipped: out.skipped = n; break;
            }
        }
        auto oldest = reader_->prepare("SELECT min(received_ms) FROM journal WHERE pipeline = ? AND state = 0");
        bind_all(oldest, pipeline);
        if (reader_->step(oldest)) out.oldest_pending_ms = sqlite3_column_int64(oldest, 0);
        return out;
    }

    int64_t begin_run(const std::string& manifest) override {
        int64_t id = 0;
        write([&](database& db) {
            auto s = db.prepare("INSERT INTO runs (manifest, pid, started_ms) VALUES (?, ?, ?)");
            bind_all(s, manifest, static_cast<int64_t>(::getpid()), now_ms());
            db.step(s);
            id = db.last_insert_id();
        });
        return id;
    }

    void set_run_address(int64_t run, const std::string& address) override {
        write([&](database& db) {
            auto s = db.prepare("UPDATE runs SET address = ? WHERE id = ?");
            bind_all(s, address, run);
            db.step(s);
        });
    }

    std::optional<std::string> running_address() override {
        reader_lease reader_(*this);
        auto s = reader_->prepare(
            "SELECT address FROM runs WHERE outcome = 'running' AND address <> '' ORDER BY id DESC LIMIT 1");
        if (!reader_->step(s)) return std::nullopt;
        return column_text(s, 0);
    }

    void end_run(int64_t run, const std::string& outcome) override {
        write([&](database& db) {
            auto s = db.prepare("UPDATE runs SET ended_ms = ?, outcome = ? WHERE id = ?");
            bind_all(s, now_ms(), outcome, run);
            db.step(s);
        });
    }

private:
    // Borrows one of the read connections for the scope: SQLite's WAL lets them read concurrently.
    class reader_lease {
    public:
        explicit reader_lease(sqlite_store& owner) : owner_(owner) {
            std::unique_lock lock(owner_.reader_mutex_);
            owner_.reader_free_.wait(lock, [&] { return !owner_.idle_readers_.empty(); });
            db_ = owner_.idle_readers_.back();
            owner_.idle_readers_.pop_back();
        }
        ~reader_lease() {
            {
                std::lock_guard lock(owner_.reader_mutex_);
                owner_.idle_readers_.push_back(db_);
            }
            owner_.reader_free_.notify_one();
        }
        reader_lease(const reader_lease&) = delete;
        reader_lease& operator=(const reader_lease&) = delete;
        database* operator->() const { return db_; }

    private:
        sqlite_store& owner_;
        database* db_ = nullptr;
    };

    struct write_op {
        std::function<void(database&)> work;
        std::exception_ptr error;
        bool done = false;
        bool waits = false;  // a write() blocked on `wake`; otherwise on_done is called and the op deleted
        std::condition_variable wake;
        std::function<void(std::exception_ptr)> on_done;
    };

    static std::string prefixed_entry_columns() {
        std::string out;
        std::string_view columns = entry_columns;
        size_t start = 0;
        while (start < columns.size()) {
            size_t comma = columns.find(',', start);
            std::string_view name = columns.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
            out += (out.empty() ? "j." : ", j.") + std::string(name);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return out;
    }

    static dead_letter read_dead_letter(sqlite3_stmt* s) {
        dead_letter d;
        d.entry = read_entry(s);
        d.reason = column_text(s, 15);
        d.step = column_text(s, 16);
        d.trace = column_text(s, 17);
        d.created_ms = sqlite3_column_int64(s, 18);
        if (sqlite3_column_type(s, 19) != SQLITE_NULL) d.edited_payload = column_text(s, 19);
        return d;
    }

    static std::vector<int64_t> record_delivery(database& db, int64_t id,
                                                const std::vector<std::pair<std::string, std::string>>& targets,
                                                const std::vector<append_item>& follow_ups) {
        int64_t now = now_ms();
        std::string first_target = targets.empty() ? std::string() : targets.front().second;
        std::string pipeline, key;
        int64_t version = 0;
        {
            auto done = db.prepare(
                "UPDATE journal SET state = 1, target_id = ?, finished_ms = ?, last_error = '' WHERE id = ?"
                " RETURNING pipeline, key, version");
            bind_all(done, first_target, now, id);
            if (!db.step(done)) throw store_error("store: journal entry " + std::to_string(id) + " does not exist");
            pipeline = column_text(done, 0);
            key = column_text(done, 1);
            version = sqlite3_column_int64(done, 2);
        }
        for (const auto& [idempotency_key, target] : targets) {
            auto map = db.prepare(
                "INSERT INTO id_map (idempotency_key, target_id, journal_id, created_ms) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (idempotency_key) DO UPDATE SET target_id = excluded.target_id");
            bind_all(map, idempotency_key, target, id, now);
            db.step(map);
        }
        auto versions = db.prepare(
            "INSERT INTO key_versions (pipeline, key, version) VALUES (?, ?, ?)"
            " ON CONFLICT (pipeline, key) DO UPDATE SET version = max(version, excluded.version)");
        bind_all(versions, pipeline, key, version);
        db.step(versions);
        std::vector<int64_t> follow_up_ids;
        for (const auto& item : follow_ups) {
            auto insert = db.prepare(
                "INSERT INTO journal (pipeline, stream, key, version, payload, meta, event_id, origin, received_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
            const owned_record& r = item.record;
            bind_all(insert, item.pipeline, r.stream, r.key, r.version, r.payload, r.meta, r.event_id,
                     static_cast<int64_t>(item.origin), now);
            db.step(insert);
            follow_up_ids.push_back(db.last_insert_id());
        }
        return follow_up_ids;
    }

    static std::vector<int64_t> insert_records(database& db, const std::vector<append_item>& items,
                                               const std::optional<cursor_update>& cursor) {
        std::vector<int64_t> ids(items.size(), 0);
        int64_t now = now_ms();
        for (size_t i = 0; i < items.size(); ++i) {
            const append_item& item = items[i];
            const owned_record& r = item.record;
            auto insert = db.prepare(
                "INSERT INTO journal (pipeline, stream, key, version, payload, meta, event_id, origin, received_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
            bind_all(insert, item.pipeline, r.stream, r.key, r.version, r.payload, r.meta, r.event_id,
                     static_cast<int64_t>(item.origin), now);
            db.step(insert);
            int64_t id = db.last_insert_id();
            if (!r.event_id.empty() && item.origin != record_origin::replay && item.origin != record_origin::dead_letter_retry) {
                auto seen = db.prepare(
                    "INSERT INTO seen_events (pipeline, event_id, journal_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
                bind_all(seen, item.pipeline, r.event_id, id);
                db.step(seen);
                if (db.changes() == 0) {  // a duplicate delivery: drop what was just inserted
                    auto drop = db.prepare("DELETE FROM journal WHERE id = ?");
                    bind_all(drop, id);
                    db.step(drop);
                    continue;
                }
            }
            ids[i] = id;
        }
        if (cursor) put_state(db, cursor->connection, cursor->key, cursor->value);
        return ids;
    }

    static void put_state(database& db, const std::string& connection, const std::string& key, const std::string& value) {
        auto s = db.prepare(
            "INSERT INTO state (connection, key, value, updated_ms) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (connection, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms");
        bind_all(s, connection, key, value, now_ms());
        db.step(s);
    }

    // Brings the schema up to date in one immediate transaction, so that two processes opening a
    // new store at once (ferry run and ferry status) cannot both migrate it.
    void migrate() {
        writer_.exec("BEGIN IMMEDIATE");
        try {
            writer_.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            int64_t current = 0;
            {
                auto s = writer_.prepare("SELECT coalesce(max(version), 0) FROM schema_version");
                writer_.step(s);
                current = sqlite3_column_int64(s, 0);
            }
            constexpr int64_t latest = sizeof(migrations) / sizeof(migrations[0]);
            if (current > latest) {
                throw store_error("the store was written by a newer ferry (schema " + std::to_string(current) +
                                  ", this build knows " + std::to_string(latest) + ")");
            }
            for (int64_t v = current; v < latest; ++v) {
                writer_.exec(migrations[v]);
                writer_.exec(("INSERT INTO schema_version (version) VALUES (" + std::to_string(v + 1) + ")").c_str());
            }
            writer_.exec("COMMIT");
        } catch (...) {
            writer_.exec("ROLLBACK");
            throw;
        }
    }

    // Group commit: every write is queued for the committer thread, which commits whatever is
    // queued in one transaction, each piece in its own savepoint. write() returns once its work is
    // durable and rethrows what it threw; append_async() calls back from the committer instead.
    void write(std::function<void(database&)> work) {
        write_op op;
        op.work = std::move(work);
        op.waits = true;
        enqueue(&op);
        std::unique_lock lock(commit_mutex_);
        op.wake.wait(lock, [&] { return op.done; });
        if (op.error) std::rethrow_exception(op.error);
    }

    void enqueue(write_op* op) {
        bool was_empty = false;
        {
            std::lock_guard lock(commit_mutex_);
            was_empty = queue_.empty();
            queue_.push_back(op);
        }
        if (was_empty) work_queued_.notify_one();
    }

    void commit_loop() {
        std::unique_lock lock(commit_mutex_);
        for (;;) {
            work_queued_.wait(lock, [&] { return !queue_.empty() || stopping_; });
            if (queue_.empty() && stopping_) {
                if (api_call_buffer_.empty()) return;
            }
            std::vector<write_op*> batch;
            batch.swap(queue_);
            std::vector<api_call> calls;
            calls.swap(api_call_buffer_);
            std::optional<size_t> keep_calls = std::exchange(api_calls_to_keep_, std::nullopt);
            lock.unlock();
            commit(batch, calls, keep_calls);
            lock.lock();
            std::vector<write_op*> finished;
            for (write_op* op : batch) {
                op->done = true;
                if (op->waits) {
                    op->wake.notify_one();
                } else {
                    finished.push_back(op);
                }
            }
            lock.unlock();
            for (write_op* op : finished) {
                op->on_done(op->error);
                delete op;
            }
            lock.lock();
        }
    }

    void commit(const std::vector<write_op*>& batch, const std::vector<api_call>& calls, std::optional<size_t> keep_calls) {
        try {
            writer_.run("BEGIN IMMEDIATE");
        } catch (...) {
            for (write_op* op : batch) op->error = std::current_exception();
            return;
        }
        for (const api_call& call : calls) {
            auto s = writer_.prepare(
                "INSERT INTO api_calls (connection, method, url, status, latency_ms, request_body, response_body, error, at_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
            bind_all(s, call.connection, call.method, call.url, static_cast<int64_t>(call.status), call.latency_ms,
                     call.request_body, call.response_body, call.error, call.at_ms);
            try {
                writer_.step(s);
            } catch (const store_error&) {
                // The call log must never fail a journal commit.
            }
        }
        if (keep_calls) {
            // Ids are consecutive (only the oldest are ever deleted): the cut is found from the
            // newest id instead of by counting rows.
            auto s = writer_.prepare("DELETE FROM api_calls WHERE id <= (SELECT max(id) FROM api_calls) - ?");
            bind_all(s, static_cast<int64_t>(*keep_calls));
            try {
                writer_.step(s);
            } catch (const store_error&) {
                // Nor its pruning: the next one tries again.
            }
        }
        for (write_op* op : batch) {
            writer_.run("SAVEPOINT op");
            try {
                op->work(writer_);
                writer_.run("RELEASE op");
            } catch (...) {
                op->error = std::current_exception();
                writer_.run("ROLLBACK TO op");
                writer_.run("RELEASE op");
            }
        }
        try {
            writer_.run("COMMIT");
        } catch (...) {
            std::exception_ptr failure = std::current_exception();
            try {
                writer_.run("ROLLBACK");
            } catch (...) {
            }
            for (write_op* op : batch) op->error = failure;
        }
    }

    static constexpr size_t reader_count = 4;
    database writer_;
    std::vector<std::unique_ptr<database>> readers_;
    std::vector<database*> idle_readers_;
    std::mutex reader_mutex_;
    std::condition_variable reader_free_;
    std::vector<api_call> api_call_buffer_;  // written with the next commit
    std::optional<size_t> api_calls_to_keep_;  // pruned in the next commit
    std::mutex commit_mutex_;
    std::condition_variable work_queued_;
    std::vector<write_op*> queue_;
    bool stopping_ = false;
    std::thread committer_;
};

}  // namespace

std::unique_ptr<store> open_store(const std::string& url, const std::filesystem::path& base, bool create) {
    constexpr std::string_view sqlite_scheme = "sqlite://";
    if (url.rfind(sqlite_scheme, 0) == 0) {
        std::filesystem::path path(url.substr(sqlite_scheme.size()));
        if (path.is_relative()) path = base / path;
        if (!create && !std::filesystem::exists(path)) {
            throw store_error("there is no store at " + path.string() + " yet: ferry has not run with this manifest");
        }
        return std::make_unique<sqlite_store>(path.string(), create);
    }
    if (url.rfind("postgresql://", 0) == 0) {
        throw store_error("the PostgreSQL store is not built yet; use sqlite://PATH");
    }
    throw store_error("unknown store " + url + "; use sqlite://PATH");
}

}  // namespace ferry::host
