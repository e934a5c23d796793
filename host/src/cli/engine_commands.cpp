// The subcommands that run the engine or work on its store: run, status, dlq, replay.
#include "cli/commands.hpp"

#include "engine/engine.hpp"
#include "engine/routes.hpp"
#include "http/client.hpp"
#include "net/http_server.hpp"
#include "manifest/manifest.hpp"
#include "plugin/registry.hpp"
#include "services/logging.hpp"
#include "store/store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <pthread.h>
#include <unistd.h>

namespace ferry::host {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

int64_t wall_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_time(int64_t unix_ms) {
    if (unix_ms <= 0) return "-";
    std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

std::string format_age(int64_t since_ms, int64_t now_ms) {
    if (since_ms <= 0) return "-";
    int64_t seconds = std::max<int64_t>(0, (now_ms - since_ms) / 1000);
    if (seconds < 120) return std::to_string(seconds) + "s";
    if (seconds < 7200) return std::to_string(seconds / 60) + "m";
    return std::to_string(seconds / 3600) + "h";
}

// Reads a manifest's outline and opens its store, for the commands that only need the store.
std::unique_ptr<store> open_manifest_store(const fs::path& manifest_path, manifest_outline& outline, std::ostream& err) {
    diagnostic problem;
    std::optional<manifest_outline> read = read_manifest_outline(manifest_path, problem);
    if (!read) {
        err << problem.format() << "\n";
        return nullptr;
    }
    outline = std::move(*read);
    try {
        return open_store(outline.store_url, outline.base, false);
    } catch (const store_error& e) {
        err << "ferry: " << e.what() << "\n";
        return nullptr;
    }
}

void print_status_table(const json::array& pipelines, std::ostream& out) {
    int64_t now = wall_clock_ms();
    out << std::left << std::setw(24) << "PIPELINE" << std::setw(10) << "STATE" << std::setw(9) << "PENDING"
        << std::setw(10) << "IN FLIGHT" << std::setw(9) << "DONE" << std::setw(7) << "DEAD" << std::setw(9) << "SKIPPED"
        << std::setw(9) << "OLDEST" << "SINK CIRCUIT\n";
    for (const auto& value : pipelines) {
        const json::object& p = value.as_object();
        std::string state = p.at("running").as_bool() ? "running" : "stopped";
        std::string circuit = p.at("circuit").as_string().empty()
                                  ? "unknown (not running)"
                                  : std::string(p.at("sink_connection").as_string()) + ": " + std::string(p.at("circuit").as_string());
        auto count = [&](const char* name) { return p.at(name).to_number<int64_t>(); };
        out << std::left << std::setw(24) << std::string(p.at("name").as_string()) << std::setw(10) << state << std::setw(9)
            << count("pending") << std::setw(10) << count("in_flight") << std::setw(9) << count("done") << std::setw(7)
            << count("dead") << std::setw(9) << count("skipped") << std::setw(9) << format_age(count("oldest_pending_ms"), now)
            << circuit << "\n";
        if (!p.at("stop_reason").as_string().empty()) out << "  stopped: " << std::string(p.at("stop_reason").as_string()) << "\n";
    }
}

// Blocks SIGINT and SIGTERM in this thread and every thread started after, so that one thread
// can wait for them with sigwait.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

}  // namespace

std::optional<int64_t> parse_time_ms(std::string_view text, int64_t now_ms) {
    if (auto ago = parse_duration(text)) return now_ms - ago->count();
    std::tm tm{};
    std::istringstream in{std::string(text)};
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    if (in.fail()) return std::nullopt;
    int64_t seconds = static_cast<int64_t>(timegm(&tm));
    std::string zone;
    in >> zone;
    if (zone.empty() || zone == "Z") return seconds * 1000;
    if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        int offset = std::stoi(zone.substr(1, 2)) * 3600 + std::stoi(zone.substr(4, 2)) * 60;
        return (seconds - (zone[0] == '+' ? offset : -offset)) * 1000;
    }
    return std::nullopt;
}

int command_run(const run_options& options, const std::vector<fs::path>& plugin_paths, std::ostream& out, std::ostream& err) {
    metrics_registry metrics;
    engine_services services(metrics);
    plugin_registry registry(services);
    manifest_result loaded = load_manifest(options.manifest, registry, plugin_paths);
    for (const auto& failure : registry.failures()) log_warn("plugin not loaded: " + failure.line());
    if (!loaded.value) {
        for (const auto& d : loaded.problems) err << d.format() << "\n";
        return exit_invalid;
    }
    const manifest& m = *loaded.value;
    std::error_code ec;
    std::unique_ptr<store> db;
    try {
        db = open_store(m.store, fs::absolute(options.manifest, ec).parent_path());
    } catch (const store_error& e) {
        err << "ferry run: " << e.what() << "\n";
        return exit_failure;
    }
    services.attach(*db, m);
    sigset_t stop_signals = block_stop_signals();

    std::unique_ptr<engine> eng;
    try {
        eng = std::make_unique<engine>(m, registry, *db, services, metrics, engine::options{options.workers, 1000, 500});
    } catch (const engine_error& e) {
        err << "ferry run: " << e.what() << "\n";
        return exit_failure;
    }
    int64_t run = db->begin_run(fs::absolute(options.manifest, ec).string());

    if (options.once) {
        eng->start(false);
        size_t polled = eng->poll_all_once();
        eng->pick_up_requeued();
        eng->wait_idle(std::chrono::hours(1), options.drain_wait_ms);
        eng->stop();
        json::array pipelines = json::parse(status_json(*eng)).at("pipelines").as_array();
        out << "ferry run --once: polled " << polled << " record" << (polled == 1 ? "" : "s") << "\n";
        print_status_table(pipelines, out);
        bool stopped = eng->any_stopped();
        db->end_run(run, stopped ? "a pipeline stopped" : "drained");
        return stopped ? exit_failure : exit_ok;
    }

    std::string host;
    uint16_t port = 0;
    net::split_listen_address(m.server.listen, host, port);
    std::atomic<bool> draining{false};
    net::http_server_options server_options;
    server_options.host = host;
    server_options.port = port;
    server_options.max_body_bytes = m.server.max_body_bytes;
    engine& running = *eng;
    net::http_server server(server_options, [&](http_request_in request, http_responder respond) {
        route_request(running, request, draining, std::move(respond));
    });
    try {
        server.start();
    } catch (const std::exception& e) {
        err << "ferry run: " << e.what() << "\n";
        db->end_run(run, std::string("could not listen: ") + e.what());
        return exit_failure;
    }
    eng->start(true);
    db->set_run_address(run, host + ":" + std::to_string(server.port()));
    log_info("ferry " FERRY_VERSION " is running " + std::to_string(m.pipelines.size()) + " pipeline(s); listening on " +
             host + ":" + std::to_string(server.port()) + "; stop with Ctrl-C or SIGTERM");

    int signal = 0;
    sigwait(&stop_signals, &signal);
    log_info(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") +
             ": refusing new webhooks, finishing the records in flight");
    draining = true;
    eng->wait_for_commits();  // every webhook already taken gets its answer
    server.stop();
    eng->stop();
    db->end_run(run, signal == SIGTERM ? "stopped by SIGTERM" : "stopped by SIGINT");
    log_info("ferry stopped; pending records stay journalled for the next start");
    return exit_ok;
}

int command_status(const fs::path& manifest_path, std::ostream& out, std::ostream& err) {
    manifest_outline outline;
    std::unique_ptr<store> db = open_manifest_store(manifest_path, outline, err);
    if (!db) return exit_failure;
    std::string address = db->running_address().value_or(outline.listen);
    http_client client;
    http_call call;
    call.url = "http://" + address + "/status";
    call.timeout_ms = 2000;
    http_result answer = client.send("status", call);
    if (answer.status == 200) {
        json::error_code ec;
        json::value doc = json::parse(answer.body, ec);
        if (!ec && doc.is_object()) {
            out << "ferry is running (" << address << ")\n";
            print_status_table(doc.at("pipelines").as_array(), out);
            return exit_ok;
        }
    }
    json::array pipelines;
    for (const auto& name : outline.pipelines) {
        pipeline_counts c = db->counts(name);
        pipelines.push_back(json::object{{"name", name}, {"running", false}, {"stop_reason", ""}, {"pending", c.pending},
                                         {"in_flight", 0}, {"done", c.done}, {"dead", c.dead}, {"skipped", c.skipped},
                                         {"oldest_pending_ms", c.oldest_pending_ms}, {"sink_connection", ""}, {"circuit", ""}});
    }
    out << "ferry is not running (no answer on " << address << "); counts from the store:\n";
    print_status_table(pipelines, out);
    return exit_ok;
}

int command_dlq(const dlq_options& options, std::istream& in, std::ostream& out, std::ostream& err) {
    manifest_outline outline;
    std::unique_ptr<store> db = open_manifest_store(options.manifest, outline, err);
    if (!db) return exit_failure;
    try {
        if (options.action == "list") {
            auto letters = db->dead_letters(options.pipeline, options.limit);
            if (letters.empty()) {
                out << "The dead-letter queue is empty.\n";
                return exit_ok;
            }
            // Columns as wide as their longest value: keys such as Shopify GIDs are long.
            size_t pipeline_width = 10, key_width = 5;
            for (const auto& d : letters) {
                pipeline_width = std::max(pipeline_width, d.entry.pipeline.size() + 2);
                key_width = std::max(key_width, d.entry.record.key.size() + 2);
            }
            out << std::left << std::setw(8) << "ID" << std::setw(int(pipeline_width)) << "PIPELINE" << std::setw(int(key_width))
                << "KEY" << std::setw(10) << "ATTEMPTS" << std::setw(22) << "WHEN" << "REASON\n";
            for (const auto& d : letters) {
                out << std::left << std::setw(8) << d.entry.id << std::setw(int(pipeline_width)) << d.entry.pipeline
                    << std::setw(int(key_width)) << d.entry.record.key << std::setw(10) << d.entry.attempts << std::setw(22)
                    << format_time(d.created_ms)
                    << d.reason << (d.edited_payload ? " (edited)" : "") << "\n";
            }
            return exit_ok;
        }
        std::optional<dead_letter> letter = db->find_dead_letter(options.id);
        if (!letter) {
            err << "ferry dlq: no dead letter " << options.id << " (`ferry dlq list` shows them)\n";
            return exit_invalid;
        }
        if (options.action == "show") {
            const journal_entry& e = letter->entry;
            out << "id:        " << e.id << "\npipeline:  " << e.pipeline << "\nstream:    " << e.record.stream
                << "\nkey:       " << e.record.key << "\nversion:   " << e.record.version << "\norigin:    "
                << origin_name(e.origin) << "\nreceived:  " << format_time(e.received_ms) << "\nfailed at: "
                << format_time(letter->created_ms) << "\nstep:      " << letter->step << "\nattempts:  " << e.attempts
                << "\nreason:    " << letter->reason << "\ntrace:\n";
            std::istringstream trace(letter->trace);
            for (std::string line; std::getline(trace, line);) out << "  " << line << "\n";
            out << "payload:\n  " << e.record.payload << "\n";
            if (letter->edited_payload) out << "edited payload (sent on retry):\n  " << *letter->edited_payload << "\n";
            return exit_ok;
        }
        if (options.action == "edit") {
            std::string edited;
            std::string current = letter->edited_payload.value_or(letter->entry.record.payload);
            if (options.file) {
                std::ifstream file(*options.file, std::ios::binary);
                if (!file) {
                    err << "ferry dlq edit: cannot read " << options.file->string() << "\n";
                    return exit_invalid;
                }
                edited.assign(std::istreambuf_iterator<char>(file), {});
            } else if (options.file_from_stdin) {
                edited.assign(std::istreambuf_iterator<char>(in), {});
            } else {
                const char* editor = std::getenv("EDITOR");
                fs::path temp = fs::temp_directory_path() / ("ferry-dlq-" + std::to_string(options.id) + "-" +
                                                             std::to_string(::getpid()) + ".json");
                {
                    json::error_code ec;
                    json::value parsed = json::parse(current, ec);
                    std::ofstream(temp, std::ios::binary) << (ec ? current : json::serialize(parsed)) << "\n";
                }
                std::string command = std::string(editor && *editor ? editor : "vi") + " '" + temp.string() + "'";
                int status = std::system(command.c_str());
                std::ifstream file(temp, std::ios::binary);
                edited.assign(std::istreambuf_iterator<char>(file), {});
                fs::remove(temp);
                if (status != 0) {
                    err << "ferry dlq edit: the editor exited with status " << status << "; nothing changed\n";
                    return exit_failure;
                }
            }
            json::error_code ec;
            json::value parsed = json::parse(edited, ec);
            if (ec) {
                err << "ferry dlq edit: the edited payload is not valid JSON (" << ec.message() << "); nothing changed\n";
                return exit_invalid;
            }
            db->edit_dead_letter(options.id, json::serialize(parsed));
            out << "Dead letter " << options.id << " edited; `ferry dlq retry " << options.id << "` sends the edited payload.\n";
            return exit_ok;
        }
        if (options.action == "retry") {
            int64_t id = db->retry_dead_letter(options.id);
            out << "Dead letter " << options.id << " requeued as journal entry " << id
                << "; a running ferry delivers it within a second, otherwise the next start does.\n";
            return exit_ok;
        }
        if (options.action == "discard") {
            db->discard_dead_letter(options.id);
            out << "Dead letter " << options.id << " discarded.\n";
            return exit_ok;
        }
    } catch (const store_error& e) {
        err << "ferry dlq: " << e.what() << "\n";
        return exit_failure;
    }
    err << "ferry dlq: unknown action " << options.action << "\n";
    return exit_invalid;
}

int command_replay(const replay_options& options, std::ostream& out, std::ostream& err) {
    int64_t now = wall_clock_ms();
    std::optional<int64_t> since = parse_time_ms(options.since, now);
    std::optional<int64_t> until = options.until.empty() ? std::optional<int64_t>(now + 1) : parse_time_ms(options.until, now);
    if (!since || !until) {
        err << "ferry replay: times are RFC 3339 (2026-11-23T10:00:00Z) or a duration ago (2h)\n";
        return exit_invalid;
    }
    manifest_outline outline;
    std::unique_ptr<store> db = open_manifest_store(options.manifest, outline, err);
    if (!db) return exit_failure;
    if (std::find(outline.pipelines.begin(), outline.pipelines.end(), options.pipeline) == outline.pipelines.end()) {
        err << "ferry replay: the manifest has no pipeline \"" << options.pipeline << "\"\n";
        return exit_invalid;
    }
    std::vector<append_item> items;
    for (auto& e : db->journal_window(options.pipeline, *since, *until)) {
        items.push_back({options.pipeline, std::move(e.record), record_origin::replay});
    }
    if (!items.empty()) db->append(items);
    out << "Replaying " << items.size() << " record" << (items.size() == 1 ? "" : "s") << " of " << options.pipeline
        << " received from " << format_time(*since) << " to " << format_time(*until)
        << "; a running ferry picks them up within a second, otherwise the next start does.\n";
    return exit_ok;
}

}  // namespace ferry::host
