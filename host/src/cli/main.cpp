// The ferry command line.
#include "cli/commands.hpp"
#include "services/logging.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    using namespace ferry::host;
    CLI::App app{"ferry: an integration runtime that keeps a shop and an ERP in sync"};
    app.require_subcommand(0, 1);
    std::vector<std::filesystem::path> plugin_paths;
    std::string log_format = "text";
    std::string log_level = "info";
    bool show_version = false;
    app.add_flag("--version", show_version, "print the ferry and plugin ABI versions");
    app.add_option("--plugin-path", plugin_paths, "a directory or .so to load plugins from (repeatable)");
    app.add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
    app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

    auto* plugins = app.add_subcommand("plugins", "list loaded plugins, their components and schemas, and load failures");
    bool plugins_json = false;
    plugins->add_flag("--json", plugins_json, "print JSON");

    std::filesystem::path manifest;
    auto* validate = app.add_subcommand("validate", "check a manifest; exit 0 when valid, 2 when not");
    validate->add_option("manifest", manifest, "the manifest file")->required();

    auto* run = app.add_subcommand("run", "run the pipelines of a manifest");
    run->add_option("manifest", manifest, "the manifest file")->required();

    transform_options transform;
    auto* transform_cmd = app.add_subcommand("transform", "run a transform component on one record and print what it emits");
    transform_cmd->add_option("component", transform.component, "plugin.component")->required();
    transform_cmd->add_option("--config", transform.config_json, "the component's config, a JSON object");
    transform_cmd->add_option("--input", transform.input, "a file holding the record's JSON payload (default: standard input)");
    transform_cmd->add_option("--stream", transform.stream, "the record's stream");
    transform_cmd->add_option("--key", transform.key, "the record's key");

    for (auto* sub : {plugins, validate, run, transform_cmd}) {
        sub->add_option("--plugin-path", plugin_paths, "a directory or .so to load plugins from (repeatable)");
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? exit_ok : exit_invalid;
    }

    setup_logging(log_format == "json" ? log_format::json : log_format::text, log_level);

    if (show_version) {
        std::cout << version_text() << "\n";
        return exit_ok;
    }
    if (*plugins) return command_plugins(plugin_paths, plugins_json, std::cout);
    if (*validate) return command_validate(manifest, plugin_paths, std::cout, std::cerr);
    if (*run) return command_run(manifest, plugin_paths, std::cout, std::cerr);
    if (*transform_cmd) return command_transform(transform, plugin_paths, std::cin, std::cout, std::cerr);
    std::cout << app.help();
    return exit_invalid;
}
