// Exponential backoff with full jitter: the wait before attempt n+1 is uniform in
// [0, min(cap, initial * 2^(n-1))], so that clients failing together do not retry together.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace ferry::host {

// The upper bound of the wait after `failures` failed attempts (1 for the first failure).
inline int64_t backoff_ceiling_ms(uint32_t failures, int64_t initial_ms, int64_t cap_ms) {
    if (failures == 0) return 0;
    uint32_t doublings = std::min<uint32_t>(failures - 1, 40);
    double ceiling = static_cast<double>(initial_ms) * static_cast<double>(uint64_t(1) << doublings);
    return static_cast<int64_t>(std::min<double>(ceiling, static_cast<double>(cap_ms)));
}

template <class Random>
int64_t full_jitter_ms(uint32_t failures, int64_t initial_ms, int64_t cap_ms, Random& random) {
    int64_t ceiling = backoff_ceiling_ms(failures, initial_ms, cap_ms);
    if (ceiling <= 0) return 0;
    return std::uniform_int_distribution<int64_t>(0, ceiling)(random);
}

}  // namespace ferry::host
