#include "common/sandbox.hpp"

#include "common/faults.hpp"

#include <boost/json.hpp>

#include <stdexcept>

namespace ferry::sandbox {

namespace json = boost::json;

namespace {

const std::string_view faults_path = "/_sandbox/faults";

net::http_reply json_reply(int status, const json::value& body) {
    return {status, "application/json", json::serialize(body) + "\n", {}};
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

}  // namespace

struct sandbox::hosted {
    std::unique_ptr<service> emulated;
    net::http_server_options options;
    std::unique_ptr<net::http_server> server;
    faults injected;
    scheduler& timers;

    hosted(std::unique_ptr<service> s, net::http_server_options o, scheduler& t)
        : emulated(std::move(s)), options(std::move(o)), timers(t) {}

    void handle(net::http_request_in request, net::http_responder respond) {
        std::string path = path_of(request.target);
        if (path == faults_path) {
            respond(answer_faults(request));
            return;
        }
        if (path.rfind("/_sandbox/", 0) == 0) {
            emulated->handle(std::move(request), std::move(respond));
            return;
        }
        fault_decision decision = injected.decide();
        if (decision.hang) {
            // Holding the responder keeps the connection open; dropping it later closes it unanswered.
            timers.run_after(std::chrono::milliseconds(decision.delay_ms), [held = std::move(respond)] {});
            return;
        }
        if (decision.fail_status != 0) {
            net::http_reply reply = emulated->failure_reply(decision.fail_status);
            if (decision.delay_ms == 0) {
                respond(std::move(reply));
            } else {
                timers.run_after(std::chrono::milliseconds(decision.delay_ms),
                                 [respond = std::move(respond), reply = std::move(reply)]() mutable { respond(std::move(reply)); });
            }
            return;
        }
        if (decision.delay_ms == 0) {
            emulated->handle(std::move(request), std::move(respond));
            return;
        }
        timers.run_after(std::chrono::milliseconds(decision.delay_ms),
                         [this, request = std::move(request), respond = std::move(respond)]() mutable {
                             emulated->handle(std::move(request), std::move(respond));
                         });
    }

    net::http_reply answer_faults(const net::http_request_in& request) {
        if (request.method == "GET") return json_reply(200, injected.get());
        if (request.method == "DELETE") {
            injected.set(json::object{});
            return json_reply(200, injected.get());
        }
        if (request.method != "POST" && request.method != "PUT") {
            return json_reply(405, json::object{{"error", "use GET, POST or DELETE on " + std::string(faults_path)}});
        }
        json::error_code ec;
        json::value settings = json::parse(request.body, ec);
        if (ec) return json_reply(400, json::object{{"error", "faults body is not JSON: " + ec.message()}});
        try {
            injected.set(settings);
        } catch (const std::invalid_argument& e) {
            return json_reply(400, json::object{{"error", e.what()}});
        }
        return json_reply(200, injected.get());
    }
};

sandbox::sandbox() = default;

sandbox::~sandbox() { stop(); }

void sandbox::add(std::unique_ptr<service> s, std::string host, uint16_t port) {
    if (started_) throw std::logic_error("sandbox: services are added before start()");
    net::http_server_options options;
    options.host = std::move(host);
    options.port = port;
    options.max_body_bytes = 16 * 1024 * 1024;
    options.max_header_bytes = 1024 * 1024;  // SYSPRO's documents travel in the query string
    services_.push_back(std::make_unique<hosted>(std::move(s), std::move(options), timers_));
}

void sandbox::seed(const json::value& document) {
    if (!document.is_object()) throw std::invalid_argument("a seed document must be a JSON object of service sections");
    for (const auto& [section, data] : document.as_object()) {
        if (section == "$comment") continue;
        find(section).seed(data);
    }
}

void sandbox::start() {
    if (started_) return;
    for (auto& h : services_) {
        hosted* target = h.get();
        h->server = std::make_unique<net::http_server>(
            h->options, [target](net::http_request_in request, net::http_responder respond) {
                target->handle(std::move(request), std::move(respond));
            });
        h->server->start();
    }
    started_ = true;
    for (auto& h : services_) h->emulated->start(url(h->emulated->name()));
}

void sandbox::stop() {
    if (!started_) return;
    started_ = false;
    for (auto& h : services_) h->emulated->stop();
    for (auto& h : services_) h->server->stop();
    timers_.stop();
}

std::string sandbox::url(std::string_view name) const {
    for (const auto& h : services_) {
        if (h->emulated->name() == name) {
            if (!h->server) throw std::out_of_range("sandbox: service '" + std::string(name) + "' is not started");
            return "http://" + h->options.host + ":" + std::to_string(h->server->port());
        }
    }
    throw std::out_of_range("sandbox: no service '" + std::string(name) + "'");
}

service& sandbox::find(std::string_view name) const {
    for (const auto& h : services_) {
        if (h->emulated->name() == name) return *h->emulated;
    }
    throw std::invalid_argument("sandbox: no service '" + std::string(name) + "' in this sandbox");
}

}  // namespace ferry::sandbox
