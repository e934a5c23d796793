#include "engine/routes.hpp"

#include "engine/engine.hpp"

#include <boost/json.hpp>

namespace ferry::host {

namespace json = boost::json;

namespace {

http_reply json_reply(int status, json::object body) { return {status, "application/json", json::serialize(body) + "\n", {}}; }

}  // namespace

std::string status_json(engine& eng) {
    json::array pipelines;
    for (const auto& s : eng.status()) {
        pipelines.push_back(json::object{
            {"name", s.name},
            {"running", s.running},
            {"stop_reason", s.stop_reason},
            {"pending", s.counts.pending},
            {"in_flight", s.in_flight},
            {"done", s.counts.done},
            {"dead", s.counts.dead},
            {"skipped", s.counts.skipped},
            {"oldest_pending_ms", s.counts.oldest_pending_ms},
            {"sink_connection", s.sink_connection},
            {"circuit", s.circuit},
        });
    }
    return json::serialize(json::object{{"running", true}, {"pipelines", std::move(pipelines)}});
}

namespace {

http_reply answer_get(engine& eng, const std::string& path, const std::atomic<bool>& draining);

}  // namespace

void route_request(engine& eng, const http_request_in& request, const std::atomic<bool>& draining, http_responder respond) {
    std::string path = request.target.substr(0, request.target.find('?'));
    constexpr std::string_view webhooks = "/webhooks/";
    if (path.rfind(webhooks, 0) == 0) {
        if (request.method != "POST") return respond(json_reply(405, {{"error", "webhooks are POSTed"}}));
        if (draining) return respond(json_reply(503, {{"error", "ferry is shutting down; retry later"}}));
        webhook_input in{request.method, path, request.headers, request.body};
        eng.accept_webhook_async(path.substr(webhooks.size()), in, [respond = std::move(respond)](webhook_outcome out) {
            json::object body{{"message", out.message}};
            if (out.http_status == 200) {
                body["accepted"] = out.accepted;
                body["duplicates"] = out.duplicates;
            }
            respond(json_reply(out.http_status, std::move(body)));
        });
        return;
    }
    if (request.method != "GET") return respond(json_reply(405, {{"error", "only GET here"}}));
    respond(answer_get(eng, path, draining));
}

namespace {

http_reply answer_get(engine& eng, const std::string& path, const std::atomic<bool>& draining) {
    if (path == "/healthz") return json_reply(200, {{"status", "ok"}});
    if (path == "/readyz") {
        if (draining) return json_reply(503, {{"status", "shutting down"}});
        json::array stopped;
        for (const auto& s : eng.status()) {
            if (!s.running) stopped.push_back(json::object{{"pipeline", s.name}, {"reason", s.stop_reason}});
        }
        if (!stopped.empty()) return json_reply(503, {{"status", "degraded"}, {"stopped", std::move(stopped)}});
        return json_reply(200, {{"status", "ready"}});
    }
    if (path == "/metrics") return {200, "text/plain; version=0.0.4", eng.render_metrics(), {}};
    if (path == "/status") return {200, "application/json", status_json(eng) + "\n", {}};
    return json_reply(404, {{"error", "no such endpoint"}});
}

}  // namespace

}  // namespace ferry::host
