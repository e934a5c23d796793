#include "engine/key_queue.hpp"

namespace ferry::host {

void key_queue::refresh_ready(const std::string& key, per_key& k) {
    if (k.ready_slot) {
        ready_.erase(*k.ready_slot);
        k.ready_slot.reset();
    }
    if (k.in_flight_id || k.records.empty()) return;
    const journal_entry& head = k.records.begin()->second;
    std::pair<int64_t, int64_t> slot{head.next_attempt_ms, head.id};
    ready_.emplace(slot, key);
    k.ready_slot = slot;
}

void key_queue::add(journal_entry entry) {
    std::string key = entry.record.key;
    per_key& k = keys_[key];
    auto order = std::make_pair(entry.record.version, entry.id);
    if (k.records.emplace(order, std::move(entry)).second) ++size_;
    refresh_ready(key, k);
}

std::optional<journal_entry> key_queue::take(int64_t now_ms) {
    if (ready_.empty() || ready_.begin()->first.first > now_ms) return std::nullopt;
    std::string key = ready_.begin()->second;
    per_key& k = keys_.at(key);
    ready_.erase(ready_.begin());
    k.ready_slot.reset();
    journal_entry& head = k.records.begin()->second;
    k.in_flight_id = head.id;
    ++in_flight_;
    return head;
}

void key_queue::finish(const std::string& key, int64_t id, bool done, uint32_t attempts, int64_t next_attempt_ms,
                       const std::string& error) {
    auto found = keys_.find(key);
    if (found == keys_.end()) return;
    per_key& k = found->second;
    if (k.in_flight_id == id) {
        k.in_flight_id.reset();
        --in_flight_;
    }
    for (auto it = k.records.begin(); it != k.records.end(); ++it) {
        if (it->second.id != id) continue;
        if (done) {
            k.records.erase(it);
            --size_;
        } else {
            it->second.maybe_written = true;  // the attempt may have reached the sink before it failed
            it->second.attempts = attempts;
            it->second.next_attempt_ms = next_attempt_ms;
            it->second.last_error = error;
        }
        break;
    }
    if (k.records.empty() && !k.in_flight_id) {
        if (k.ready_slot) ready_.erase(*k.ready_slot);
        keys_.erase(found);
        return;
    }
    refresh_ready(key, k);
}

std::optional<int64_t> key_queue::next_due_ms() const {
    if (ready_.empty()) return std::nullopt;
    return ready_.begin()->first.first;
}

int64_t key_queue::oldest_received_ms() const {
    int64_t oldest = 0;
    for (const auto& [key, k] : keys_) {
        for (const auto& [order, entry] : k.records) {
            if (oldest == 0 || entry.received_ms < oldest) oldest = entry.received_ms;
        }
    }
    return oldest;
}

}  // namespace ferry::host
