// The in-memory schedule of one pipeline's pending records: records of one key are handed out one
// at a time in version order; a key whose record is waiting for a retry holds back only itself.
// The store holds the durable copy; this is rebuilt from it at start-up.
#pragma once

#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

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
    size_t in_flight() const { return in_flight_; }
    // When the earliest record not in flight falls due; nothing if there is none.
    std::optional<int64_t> next_due_ms() const;
    // The oldest received time of the records held, 0 if none.
    int64_t oldest_received_ms() const;

private:
    struct per_key {
        std::map<std::pair<int64_t, int64_t>, journal_entry> records;  // (version, id): version order
        std::optional<int64_t> in_flight_id;
        std::optional<std::pair<int64_t, int64_t>> ready_slot;  // its (due, id) in ready_, when not in flight
    };
    void refresh_ready(const std::string& key, per_key& k);

    std::map<std::string, per_key> keys_;
    // Keys not in flight, by (due, head's journal id): what is due first, then what came first.
    std::map<std::pair<int64_t, int64_t>, std::string> ready_;
    size_t size_ = 0;
    size_t in_flight_ = 0;
};

}  // namespace ferry::host
