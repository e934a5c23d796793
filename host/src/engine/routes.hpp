// The HTTP routes of a running ferry: webhook intake, health, readiness, metrics and status.
#pragma once

#include "net/http_server.hpp"

#include <atomic>

namespace ferry::host {

using net::http_reply;
using net::http_request_in;
using net::http_responder;

class engine;

// Answers one request through `respond`. `draining` is set once shutdown began (readiness then
// fails and webhooks get 503).
void route_request(engine& eng, const http_request_in& request, const std::atomic<bool>& draining,
                   http_responder respond);

// The engine's status as the JSON that GET /status serves.
std::string status_json(engine& eng);

}  // namespace ferry::host
