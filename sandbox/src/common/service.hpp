// What every emulated system offers the sandbox: seeding, request handling, and a lifetime. The
// sandbox gives each service its own port, as the real systems live on different hosts, and
// wraps it with the fault injection common to all (common/faults.hpp).
#pragma once

#include "net/http_server.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace ferry::sandbox {

class service {
public:
    virtual ~service() = default;

    // "shopify", "syspro": the key of this service's section in a seed file.
    virtual std::string_view name() const = 0;

    // Loads (adds to) the state from this service's section of a seed file. Throws
    // std::invalid_argument naming the offending field.
    virtual void seed(const boost::json::value& data) = 0;

    // Serves one request: the emulated API and this service's own /_sandbox/ control routes.
    // Must not block; answers through `respond`, from any thread.
    virtual void handle(net::http_request_in request, net::http_responder respond) = 0;

    // How this system answers when a fault makes it fail: its own error shape and headers.
    virtual net::http_reply failure_reply(int status) const = 0;

    // Called once the port is bound (the service may need its own address) and before stopping;
    // services with background work (webhook delivery) start and end it here.
    virtual void start(const std::string& base_url) { (void)base_url; }
    virtual void stop() {}
};

}  // namespace ferry::sandbox
