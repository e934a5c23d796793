// Shopify's two rate limits (reference section 4): the GraphQL calculated-cost bucket, which
// restores points per second, and the REST leaky bucket, which counts requests and leaks them per
// second. Both take "now" from the caller (sandbox_clock), so tests advance time instead of
// sleeping.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace ferry::sandbox::shopify {

class cost_bucket {
public:
    void configure(double maximum, double restore_rate) {
        maximum_ = maximum;
        restore_rate_ = restore_rate;
        available_ = std::min(available_, maximum_);
    }
    void reset(int64_t now_ms) {
        available_ = maximum_;
        last_ms_ = now_ms;
    }

    // Restores points for the time passed since the last call.
    void restore(int64_t now_ms) {
        if (now_ms > last_ms_) available_ = std::min(maximum_, available_ + restore_rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
        last_ms_ = std::max(last_ms_, now_ms);
    }
    // Takes `cost` points when they are available; false (and nothing taken) otherwise.
    bool take(double cost) {
        if (cost > available_) return false;
        available_ -= cost;
        return true;
    }
    void refund(double points) { available_ = std::min(maximum_, available_ + points); }

    double maximum() const { return maximum_; }
    double available() const { return available_; }
    double restore_rate() const { return restore_rate_; }

private:
    double maximum_ = 2000;
    double restore_rate_ = 100;
    double available_ = 2000;
    int64_t last_ms_ = 0;
};

class leaky_bucket {
public:
    void configure(double size, double leak_rate) {
        size_ = size;
        leak_rate_ = leak_rate;
    }
    void reset(int64_t now_ms) {
        level_ = 0;
        last_ms_ = now_ms;
    }
    void leak(int64_t now_ms) {
        if (now_ms > last_ms_) level_ = std::max(0.0, level_ - leak_rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
        last_ms_ = std::max(last_ms_, now_ms);
    }
    // Adds one request when it fits ("pass or fail", no queueing).
    bool add() {
        if (level_ + 1 > size_) return false;
        level_ += 1;
        return true;
    }
    // The request count shown in X-Shopify-Shop-Api-Call-Limit.
    int64_t count() const { return static_cast<int64_t>(std::ceil(level_ - 1e-9)); }
    int64_t size() const { return static_cast<int64_t>(size_); }
    // Seconds until one more request fits.
    double retry_after() const { return std::max(0.0, (level_ + 1 - size_) / leak_rate_); }

private:
    double size_ = 40;
    double leak_rate_ = 2;
    double level_ = 0;
    int64_t last_ms_ = 0;
};

}  // namespace ferry::sandbox::shopify
