// The manifest: which plugins, connections and pipelines a ferry process runs. Loading it checks
// syntax, shape, references and every component config against its plugin's schema, and reports
// every problem with its position, not only the first.
#pragma once

#include "manifest/diagnostic.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ferry::host {

class plugin_registry;

using duration = std::chrono::milliseconds;

// "250ms", "30s", "5m", "2h", "1d".
std::optional<duration> parse_duration(std::string_view text);

struct retry_policy {
    uint32_t max_attempts = 10;
    duration max_age = std::chrono::hours(24);
    duration backoff_initial = std::chrono::seconds(1);
    duration backoff_max = std::chrono::minutes(10);
};

struct connection_spec {
    std::string name;
    std::string plugin;
    std::string config_json;           // secrets resolved: hand only to the plugin
    std::string redacted_config_json;  // secrets replaced by "********": safe to show
    std::vector<std::string> secret_values;  // resolved secrets, to redact from logs and the API call log
    uint32_t max_concurrency = 0;      // 0: no limit beyond the pipelines'
};

struct step_spec {
    std::string component;  // "plugin.component"
    std::string config_json;
};

struct source_spec {
    std::string connection;  // empty when the pipeline follows another
    std::string follows;     // the pipeline whose follow-up records feed this one
    std::string stream;
    std::string component;  // "plugin.component", resolved from the connection and stream
    std::vector<std::string> webhooks;
    std::optional<duration> poll;
    std::string config_json;
};

struct sink_spec {
    std::string connection;
    std::string stream;
    std::string component;  // "plugin.component", resolved from the connection and stream
    std::string config_json;
};

struct pipeline_spec {
    std::string name;
    std::string description;
    bool enabled = true;
    source_spec source;
    std::vector<step_spec> transforms;
    sink_spec sink;
    retry_policy retry;
    uint32_t concurrency = 4;
};

struct server_spec {
    std::string listen = "127.0.0.1:8080";
    uint64_t max_body_bytes = 1024 * 1024;
};

struct manifest {
    std::filesystem::path path;
    std::vector<std::filesystem::path> plugin_paths;  // absolute, from "plugins"
    std::string store = "sqlite://ferry.db";
    server_spec server;
    std::vector<connection_spec> connections;
    std::vector<pipeline_spec> pipelines;

    const connection_spec* find_connection(std::string_view name) const;
};

struct manifest_result {
    std::optional<ferry::host::manifest> value;  // set only when there is no problem
    std::vector<diagnostic> problems;
};

// What the commands that only look at the store (status, dlq, replay) need of a manifest, read
// without loading any plugin.
struct manifest_outline {
    std::string store_url = "sqlite://ferry.db";
    std::filesystem::path base;  // the folder a relative store path is taken from
    std::string listen = "127.0.0.1:8080";
    std::vector<std::string> pipelines;
};
std::optional<manifest_outline> read_manifest_outline(const std::filesystem::path& path, diagnostic& problem);

// The JSON Schema of the manifest itself (documented in docs/manifest.md).
std::string_view manifest_schema_text();

// Reads and checks a manifest. Loads into `registry` the plugins along the search path: the
// manifest's "plugins", then `cli_plugin_paths` (--plugin-path), FERRY_PLUGIN_PATH and the default.
manifest_result load_manifest(const std::filesystem::path& path, plugin_registry& registry,
                              const std::vector<std::filesystem::path>& cli_plugin_paths);
manifest_result load_manifest_text(std::string text, const std::filesystem::path& path, plugin_registry& registry,
                                   const std::vector<std::filesystem::path>& cli_plugin_paths);

}  // namespace ferry::host
