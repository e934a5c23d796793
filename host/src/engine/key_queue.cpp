#include "engine/key_queue.hpp"

namespace ferry::host {

void key_queue::refresh_ready(const std::string& key, per_key& k) {
    if (k.waiting_slot) {
        waiting_.erase(*k.waiting_slot);
        k.waiting_slot.reset();
    }
    if (k.due_slot) {
        due_.erase(*k.due_slot);
        k.due_slot.reset();
    }
    if (k.in_flight_id || k.records.empty()) return;
    const journal_entry& head = k.records.begin()->second;
    std::pair<int64_t, int64_t> slot{head.next_attempt_ms, head.id};
    waiting_.emplace(slot, key);
    k.waiting_slot = slot;
}

void key_queue::promote(int64_t now_ms) {
    while (!waiting_.empty() && waiting_.begin()->first.first <= now_ms) {
        auto first = waiting_.begin();
        per_key& k = keys_.at(first->second);
        k.waiting_slot.reset();
        k.due_slot = first->first.second;
        k.due_ms = first->first.first;
        due_.emplace(first->first.second, first->second);
        waiting_.erase(first);
    }
}

std::vector<int64_t> key_queue::ids_from(int64_t first_id) const {
    std::vector<int64_t> ids;
    for (const auto& [key, k] : keys_) {
        for (const auto& [order, entry] : k.records) {
            if (entry.id >= first_id) ids.push_back(entry.id);
        }
    }
    return ids;
}

void key_queue::add(journal_entry entry) {
    std::string key = entry.record.key;
    per_key& k = keys_[key];
    auto order = std::make_pair(entry.record.version, entry.id);
    if (k.records.emplace(order, std::move(entry)).second) ++size_;
    refresh_ready(key, k);
}

std::optional<journal_entry> key_queue::take(int64_t now_ms) {
    promote(now_ms);
    if (due_.empty()) return std::nullopt;
    std::string key = due_.begin()->second;
    per_key& k = keys_.at(key);
    due_.erase(due_.begin());
    k.due_slot.reset();
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
        if (k.waiting_slot) waiting_.erase(*k.waiting_slot);
        if (k.due_slot) due_.erase(*k.due_slot);
        keys_.erase(found);
        return;
    }
    refresh_ready(key, k);
}

std::optional<int64_t> key_queue::next_due_ms() const {
    if (!due_.empty()) return keys_.at(due_.begin()->second).due_ms;
    if (waiting_.empty()) return std::nullopt;
    return waiting_.begin()->first.first;
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
