// The HTTP routes of a running ferry: webhook intake, health, readiness, metrics and status.
#pragma once

#include "http/server.hpp"

#include <atomic>

namespace ferry::host {

class engine;

// Answers one request. `draining` is set once shutdown began (readiness then fails).
http_reply route_request(engine& eng, const http_request_in& request, const std::atomic<bool>& draining);

// The engine's status as the JSON that GET /status serves.
std::string status_json(engine& eng);

}  // namespace ferry::host
