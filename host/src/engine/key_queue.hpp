// The in-memory schedule of one pipeline's pending records: records of one key are handed out one
// at a time in version order; a key whose record is waiting for a retry holds back only itself.
// Among the keys whose next record is due, the one whose record came first goes first, so that a
// backlog (after an outage, say) drains in arrival order whatever each record's retry schedule was.
// The store holds the durable copy; this is rebuilt from it at start-up.
#pragma once

#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ferry::host {

class key_queue {
public:
    void add(journal_entry entry);

    // A record whose key has nothing in flight and whose next attempt is due, or nothing. The
    // record's key is in flight until finish().
    std::optional<journal_entry> take(int64_t now_ms);

    // The record taken for `key` is finished: removed when `done`, else rescheduled.
    void finish(const std::string& key, int64_t id, bool done, uint32_t attempts = 0, int64_t next_attempt_ms = 0,
                const std::string& error = {});

    size_t size() const { return size_; }
    // The journal ids of the records held (in flight or not) from `first_id` on.
    std::vector<int64_t> ids_from(int64_t first_id) const;
    size_t in_flight() const { return in_flight_; }
    // When the earliest record not in flight falls due (a past time when one is due already);
    // nothing if there is none.
    std::optional<int64_t> next_due_ms() const;
    // The oldest received time of the records held, 0 if none.
    int64_t oldest_received_ms() const;

private:
    struct per_key {
        std::map<std::pair<int64_t, int64_t>, journal_entry> records;  // (version, id): version order
        std::optional<int64_t> in_flight_id;
        std::optional<std::pair<int64_t, int64_t>> waiting_slot;  // its (due, id) in waiting_
        std::optional<int64_t> due_slot;                          // its head's id in due_
        int64_t due_ms = 0;                                       // when its head fell due, while in due_
    };
    void refresh_ready(const std::string& key, per_key& k);
    // Moves the keys whose head is due by `now_ms` from waiting_ to due_.
    void promote(int64_t now_ms);

    std::map<std::string, per_key> keys_;
    // Keys not in flight whose head was not due at the last look, by (due, head's journal id).
    std::map<std::pair<int64_t, int64_t>, std::string> waiting_;
    // Keys not in flight whose head is due, by the head's journal id: what came first goes first.
    std::map<int64_t, std::string> due_;
    size_t size_ = 0;
    size_t in_flight_ = 0;
};

}  // namespace ferry::host
