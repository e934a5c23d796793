// A circuit breaker per sink connection. Closed: calls flow. After `threshold` transient failures
// in a row it opens: no call is made for a cool-down, while intake keeps journalling. Then one
// probe is let through (half-open): success closes it, failure opens it again for twice as long,
// up to a cap.
#pragma once

#include <cstdint>
#include <string_view>

namespace ferry::host {

class circuit_breaker {
public:
    enum class state { closed, open, half_open };

    explicit circuit_breaker(uint32_t threshold = 5, int64_t cool_down_ms = 5000, int64_t max_cool_down_ms = 300000)
        : threshold_(threshold), base_cool_down_ms_(cool_down_ms), max_cool_down_ms_(max_cool_down_ms),
          cool_down_ms_(cool_down_ms) {}

    // May a call be made now? In half-open state only one probe at a time is allowed.
    bool allow(int64_t now_ms) {
        if (state_ == state::open && now_ms >= reopen_at_ms_) {
            state_ = state::half_open;
            probing_ = false;
        }
        if (state_ == state::closed) return true;
        if (state_ == state::half_open && !probing_) {
            probing_ = true;
            return true;
        }
        return false;
    }

    void on_success() {
        state_ = state::closed;
        failures_ = 0;
        probing_ = false;
        cool_down_ms_ = base_cool_down_ms_;
    }

    // A transient failure (retry status, transport error). Permanent failures (reject) say nothing
    // about the connection and are not reported here.
    void on_failure(int64_t now_ms) {
        if (state_ == state::half_open) {
            cool_down_ms_ = cool_down_ms_ * 2 > max_cool_down_ms_ ? max_cool_down_ms_ : cool_down_ms_ * 2;
            open(now_ms);
            return;
        }
        if (++failures_ >= threshold_ && state_ == state::closed) open(now_ms);
    }

    // A call that was allowed ended without a verdict on the connection (e.g. a reject).
    void on_neutral() {
        if (state_ == state::half_open) probing_ = false;
    }

    state current() const { return state_; }
    int64_t reopen_at_ms() const { return reopen_at_ms_; }

private:
    void open(int64_t now_ms) {
        state_ = state::open;
        reopen_at_ms_ = now_ms + cool_down_ms_;
        probing_ = false;
    }

    uint32_t threshold_;
    int64_t base_cool_down_ms_;
    int64_t max_cool_down_ms_;
    int64_t cool_down_ms_;
    state state_ = state::closed;
    uint32_t failures_ = 0;
    int64_t reopen_at_ms_ = 0;
    bool probing_ = false;
};

inline std::string_view circuit_state_name(circuit_breaker::state s) {
    switch (s) {
        case circuit_breaker::state::closed: return "closed";
        case circuit_breaker::state::open: return "open";
        case circuit_breaker::state::half_open: return "half_open";
    }
    return "unknown";
}

}  // namespace ferry::host
