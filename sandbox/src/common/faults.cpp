#include "common/faults.hpp"

#include <boost/json.hpp>

#include <stdexcept>
#include <string>

namespace ferry::sandbox {

namespace json = boost::json;

namespace {

double number_of(const json::value& v, const char* key) {
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    if (v.is_double()) return v.as_double();
    throw std::invalid_argument(std::string("fault '") + key + "' must be a number");
}

uint32_t count_of(const json::value& v, const char* key) {
    double n = number_of(v, key);
    if (n < 0 || n > 4294967295.0 || n != static_cast<double>(static_cast<uint64_t>(n))) {
        throw std::invalid_argument(std::string("fault '") + key + "' must be a whole number from 0");
    }
    return static_cast<uint32_t>(n);
}

double share_of(const json::value& v, const char* key) {
    double n = number_of(v, key);
    if (n < 0 || n > 1) throw std::invalid_argument(std::string("fault '") + key + "' must be between 0 and 1");
    return n;
}

}  // namespace

void faults::set(const json::value& settings) {
    if (!settings.is_object()) throw std::invalid_argument("faults must be a JSON object");
    fault_settings next;
    for (const auto& [key, value] : settings.as_object()) {
        if (key == "down") {
            if (!value.is_bool()) throw std::invalid_argument("fault 'down' must be true or false");
            next.down = value.as_bool();
        } else if (key == "error_rate") {
            next.error_rate = share_of(value, "error_rate");
        } else if (key == "fail_next") {
            next.fail_next = count_of(value, "fail_next");
        } else if (key == "error_status") {
            uint32_t status = count_of(value, "error_status");
            if (status < 400 || status > 599) throw std::invalid_argument("fault 'error_status' must be 400 to 599");
            next.error_status = static_cast<int>(status);
        } else if (key == "latency_ms") {
            next.latency_ms = count_of(value, "latency_ms");
        } else if (key == "hang_rate") {
            next.hang_rate = share_of(value, "hang_rate");
        } else if (key == "hang_next") {
            next.hang_next = count_of(value, "hang_next");
        } else if (key == "hang_ms") {
            next.hang_ms = count_of(value, "hang_ms");
        } else if (key == "random_seed") {
            next.random_seed = count_of(value, "random_seed");
        } else {
            throw std::invalid_argument("unknown fault '" + std::string(key) +
                                        "' (known: down, error_rate, fail_next, error_status, latency_ms, hang_rate, "
                                        "hang_next, hang_ms, random_seed)");
        }
    }
    std::lock_guard lock(mutex_);
    settings_ = next;
    random_.seed(next.random_seed);
}

json::value faults::get() const {
    std::lock_guard lock(mutex_);
    const fault_settings& s = settings_;
    return json::object{{"down", s.down},           {"error_rate", s.error_rate}, {"fail_next", s.fail_next},
                        {"error_status", s.error_status}, {"latency_ms", s.latency_ms}, {"hang_rate", s.hang_rate},
                        {"hang_next", s.hang_next}, {"hang_ms", s.hang_ms},       {"random_seed", s.random_seed}};
}

fault_decision faults::decide() {
    std::lock_guard lock(mutex_);
    fault_settings& s = settings_;
    fault_decision d;
    d.delay_ms = s.latency_ms;
    std::uniform_real_distribution<double> dice(0.0, 1.0);
    if (s.down) {
        d.fail_status = 503;
    } else if (s.hang_next > 0) {
        --s.hang_next;
        d.hang = true;
    } else if (s.fail_next > 0) {
        --s.fail_next;
        d.fail_status = s.error_status;
    } else if (s.hang_rate > 0 && dice(random_) < s.hang_rate) {
        d.hang = true;
    } else if (s.error_rate > 0 && dice(random_) < s.error_rate) {
        d.fail_status = s.error_status;
    }
    if (d.hang) d.delay_ms = s.hang_ms;
    return d;
}

}  // namespace ferry::sandbox
