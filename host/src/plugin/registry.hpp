// Finds plugin libraries, negotiates the ABI, checks descriptors and registers components as
// "plugin.component". A plugin that fails any check is refused with one line naming the file and
// the reason; the host goes on without it.
#pragma once

#include <ferry/ferry_plugin.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::host {

class host_services;

std::string_view kind_name(int32_t kind);
// The capability flags as words: "webhook", "poll", "lookup", ...
std::vector<std::string> capability_names(uint32_t capabilities);

struct component_info {
    std::string plugin;
    std::string name;
    int32_t kind = 0;
    std::string description;
    std::vector<std::string> streams;
    std::string config_schema;  // JSON text; empty when the component takes no config
    uint32_t capabilities = 0;
    ferry_component hooks{};  // the descriptor as this host reads it, zero-filled past struct_size

    std::string qualified_name() const { return plugin + "." + name; }
    bool has(uint32_t capability) const { return (capabilities & capability) != 0; }
    // True when `stream` is among the component's streams, or it declares "*".
    bool handles_stream(std::string_view stream) const;
};

struct plugin_info {
    std::filesystem::path path;
    std::string name;
    std::string version;
    std::string description;
    uint32_t abi_major = 0;
    uint32_t abi_minor_min = 0;
    std::string connection_schema;  // JSON text; empty when the plugin offers no connections
    std::vector<component_info> components;

    const component_info* find_component(std::string_view name) const;
};

struct load_failure {
    std::filesystem::path path;
    std::string reason;
    // "<path>: <reason>"
    std::string line() const;
};

// The ordered plugin search path: the manifest's entries, --plugin-path, FERRY_PLUGIN_PATH, then
// the plugins/ folder beside the executable's bin/ (the build tree or an installation).
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::filesystem::path>& manifest_dirs,
                                                      const std::vector<std::filesystem::path>& cli_dirs);

class plugin_registry {
public:
    explicit plugin_registry(host_services& services);
    ~plugin_registry();  // shuts every plugin down and unloads it
    plugin_registry(const plugin_registry&) = delete;
    plugin_registry& operator=(const plugin_registry&) = delete;

    // Loads every *.so in a directory (sorted by name), or the file itself when given a file.
    // A path that does not exist is recorded as a failure.
    void load_path(const std::filesystem::path& path);
    // Loads one library; returns false and records a failure when it is refused.
    bool load_file(const std::filesystem::path& path);

    const std::vector<plugin_info>& plugins() const { return plugins_; }
    const std::vector<load_failure>& failures() const { return failures_; }
    const plugin_info* find_plugin(std::string_view name) const;
    // "plugin.component"
    const component_info* find_component(std::string_view qualified_name) const;
    // The failure recorded for a plugin library whose file stem is `name`, if any: lets a manifest
    // error say why a plugin it names is missing.
    const load_failure* failure_for(std::string_view name) const;

    host_services& services() { return services_; }

private:
    struct library;
    host_services& services_;
    std::vector<plugin_info> plugins_;
    std::vector<std::unique_ptr<library>> libraries_;  // parallel to plugins_
    std::vector<load_failure> failures_;
    std::vector<std::filesystem::path> seen_;  // canonical paths already tried
};

}  // namespace ferry::host
