// The sandbox: a set of emulated systems, each served on its own loopback port, each with the
// common fault routes (/_sandbox/faults). Used by the ferry-sandbox executable, and in-process by
// tests and benchmarks.
#pragma once

#include "common/scheduler.hpp"
#include "common/service.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::sandbox {

class sandbox {
public:
    sandbox();
    ~sandbox();  // stops
    sandbox(const sandbox&) = delete;
    sandbox& operator=(const sandbox&) = delete;

    // The timer thread services share for delayed work (latency, webhook retries).
    scheduler& timers() { return timers_; }

    // Serves `s` on host:port once started; port 0 picks a free one.
    void add(std::unique_ptr<service> s, std::string host = "127.0.0.1", uint16_t port = 0);

    // Seeds each service from its section of a seed document ({"shopify": {...}, "syspro": {...}}).
    // Throws std::invalid_argument for a section no service claims, or for bad data in one.
    void seed(const boost::json::value& document);

    // Binds every port and starts every service. Throws std::runtime_error naming an address that
    // cannot be bound.
    void start();
    void stop();

    // "http://127.0.0.1:PORT" of a started service; throws std::out_of_range for an unknown name.
    std::string url(std::string_view name) const;
    service& find(std::string_view name) const;

    struct hosted;  // one service with its server and faults; defined in sandbox.cpp

private:
    scheduler timers_;
    std::vector<std::unique_ptr<hosted>> services_;
    bool started_ = false;
};

}  // namespace ferry::sandbox
