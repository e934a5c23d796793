// The ferry subcommands. Each writes to the given streams and returns the process exit code:
// 0 success, 1 failure at run time, 2 invalid input (a bad manifest, bad arguments).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ferry::host {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_invalid = 2;

std::string version_text();

int command_plugins(const std::vector<std::filesystem::path>& plugin_paths, bool as_json, std::ostream& out);

// Markdown tables of every key, from the schemas: "manifest" (the manifest's own) or "plugins"
// (the connection and component configs of the named plugins, or of every loaded one).
int command_docs(const std::string& what, const std::vector<std::string>& plugin_names,
                 const std::vector<std::filesystem::path>& plugin_paths, std::ostream& out, std::ostream& err);

int command_validate(const std::filesystem::path& manifest, const std::vector<std::filesystem::path>& plugin_paths,
                     std::ostream& out, std::ostream& err);

struct run_options {
    std::filesystem::path manifest;
    bool once = false;            // poll once, deliver what is due, exit
    int64_t drain_wait_ms = 5000;  // with once: also wait for retries due this soon
    size_t workers = 4;
};
// Runs until SIGTERM or SIGINT, then stops intake, finishes what is in flight and exits 0.
int command_run(const run_options& options, const std::vector<std::filesystem::path>& plugin_paths, std::ostream& out,
                std::ostream& err);

// Per-pipeline counts, queue depth, dead letters and circuit states: from the running ferry when it
// answers, else from the store.
int command_status(const std::filesystem::path& manifest, std::ostream& out, std::ostream& err);

struct dlq_options {
    std::filesystem::path manifest;
    std::string action;  // list, show, edit, retry, discard
    int64_t id = 0;
    std::string pipeline;  // list: only this pipeline
    size_t limit = 50;
    std::optional<std::filesystem::path> file;  // edit: the new payload ("-" reads standard input)
    bool file_from_stdin = false;
};
int command_dlq(const dlq_options& options, std::istream& in, std::ostream& out, std::ostream& err);

struct replay_options {
    std::filesystem::path manifest;
    std::string pipeline;
    std::string since;  // RFC 3339, or a duration ago ("2h")
    std::string until;  // empty: now
};
int command_replay(const replay_options& options, std::ostream& out, std::ostream& err);

// "2026-11-23T10:00:00Z", "2026-11-23T12:00:00+02:00", or a duration before `now_ms` ("2h").
std::optional<int64_t> parse_time_ms(std::string_view text, int64_t now_ms);

struct transform_options {
    std::string component;  // "plugin.component"
    std::string config_json = "{}";
    std::optional<std::filesystem::path> input;  // standard input when empty
    std::string stream;                          // defaults to the component's first stream
    std::string key = "cli:1";
};
int command_transform(const transform_options& options, const std::vector<std::filesystem::path>& plugin_paths,
                      std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace ferry::host
