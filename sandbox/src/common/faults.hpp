// Faults a test or a person can switch on for one emulated system through its control routes
// (POST /_sandbox/faults). They apply to the emulated API only, never to the control routes.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <mutex>
#include <random>

namespace ferry::sandbox {

struct fault_settings {
    bool down = false;            // every API request answered 503, as a load balancer in front of a dead host
    double error_rate = 0;        // share of requests answered with error_status, at random
    uint32_t fail_next = 0;       // the next N requests answered with error_status (deterministic)
    int error_status = 500;
    uint32_t latency_ms = 0;      // every answer delayed this long
    double hang_rate = 0;         // share of requests never answered: the client's timeout fires
    uint32_t hang_next = 0;       // the next N requests never answered
    uint32_t hang_ms = 60000;     // how long a hung request holds its connection before it is closed
    uint64_t random_seed = 1;     // the random faults repeat from run to run
};

// What to do with one request.
struct fault_decision {
    int fail_status = 0;          // non-zero: answer with the service's error reply of this status
    bool hang = false;
    uint32_t delay_ms = 0;
};

class faults {
public:
    // Replaces the settings from JSON (keys as in fault_settings; absent keys take their defaults).
    // Throws std::invalid_argument naming an unknown key or a wrong type.
    void set(const boost::json::value& settings);
    boost::json::value get() const;
    fault_decision decide();

private:
    mutable std::mutex mutex_;
    fault_settings settings_;
    std::mt19937_64 random_{1};
};

}  // namespace ferry::sandbox
