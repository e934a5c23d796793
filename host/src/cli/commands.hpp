// The ferry subcommands. Each writes to the given streams and returns the process exit code:
// 0 success, 1 failure at run time, 2 invalid input (a bad manifest, bad arguments).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace ferry::host {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_invalid = 2;

std::string version_text();

int command_plugins(const std::vector<std::filesystem::path>& plugin_paths, bool as_json, std::ostream& out);

int command_validate(const std::filesystem::path& manifest, const std::vector<std::filesystem::path>& plugin_paths,
                     std::ostream& out, std::ostream& err);

int command_run(const std::filesystem::path& manifest, const std::vector<std::filesystem::path>& plugin_paths,
                std::ostream& out, std::ostream& err);

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
