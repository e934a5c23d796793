// The ferry command line.
#include "cli/commands.hpp"
#include "services/logging.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include <malloc.h>

int main(int argc, char** argv) {
    using namespace ferry::host;
    // glibc hands freed memory back to the kernel whenever a thread's heap top grows past a small
    // threshold; under load that is a madvise and a TLB shootdown of every core many times a
    // second (about 9% of ferry's CPU in bench/engine_load). Keep up to 32 MiB of it instead.
    mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
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

    std::string docs_what;
    std::vector<std::string> docs_plugins;
    auto* docs = app.add_subcommand("docs", "print Markdown tables of every manifest or plugin config key, from the schemas");
    docs->add_option("what", docs_what, "manifest or plugins")->required()->check(CLI::IsMember({"manifest", "plugins"}));
    docs->add_option("names", docs_plugins, "with plugins: only these plugins (default: every one loaded)");

    std::filesystem::path manifest;
    auto* validate = app.add_subcommand("validate", "check a manifest; exit 0 when valid, 2 when not");
    validate->add_option("manifest", manifest, "the manifest file")->required();

    run_options run_opts;
    auto* run = app.add_subcommand("run", "run the pipelines of a manifest until SIGTERM or SIGINT");
    run->add_option("manifest", run_opts.manifest, "the manifest file")->required();
    run->add_flag("--once", run_opts.once, "poll each source once, deliver what is due, then exit (for cron and tests)");
    run->add_option("--drain-wait-ms", run_opts.drain_wait_ms, "with --once: also wait for retries due within this many ms");
    run->add_option("--workers", run_opts.workers, "delivery threads")->check(CLI::Range(1, 256));

    auto* status = app.add_subcommand("status", "per-pipeline counts, queue depth, dead letters and circuit states");
    status->add_option("manifest", manifest, "the manifest file")->required();

    dlq_options dlq;
    auto* dlq_cmd = app.add_subcommand("dlq", "inspect, edit, retry or discard dead letters");
    dlq_cmd->require_subcommand(1);
    auto* dlq_list = dlq_cmd->add_subcommand("list", "list dead letters, newest first");
    dlq_list->add_option("manifest", dlq.manifest, "the manifest file")->required();
    dlq_list->add_option("--pipeline", dlq.pipeline, "only this pipeline");
    dlq_list->add_option("--limit", dlq.limit, "at most this many");
    auto* dlq_show = dlq_cmd->add_subcommand("show", "one dead letter: record, reason, trace");
    auto* dlq_edit = dlq_cmd->add_subcommand("edit", "replace the payload sent on retry (from --file, or in $EDITOR)");
    auto* dlq_retry = dlq_cmd->add_subcommand("retry", "deliver the dead letter again (its edited payload if any)");
    auto* dlq_discard = dlq_cmd->add_subcommand("discard", "drop the dead letter");
    std::string edit_file;
    for (auto* sub : {dlq_show, dlq_edit, dlq_retry, dlq_discard}) {
        sub->add_option("manifest", dlq.manifest, "the manifest file")->required();
        sub->add_option("id", dlq.id, "the dead letter's id, as `ferry dlq list` shows")->required();
    }
    dlq_edit->add_option("--file", edit_file, "a file holding the new JSON payload; - for standard input");

    replay_options replay;
    auto* replay_cmd = app.add_subcommand("replay", "run journalled records through the current pipeline again");
    replay_cmd->add_option("manifest", replay.manifest, "the manifest file")->required();
    replay_cmd->add_option("--pipeline", replay.pipeline, "the pipeline")->required();
    replay_cmd->add_option("--since", replay.since, "RFC 3339 time or a duration ago, e.g. 2h")->required();
    replay_cmd->add_option("--until", replay.until, "RFC 3339 time or a duration ago (default: now)");

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
    if (*docs) return command_docs(docs_what, docs_plugins, plugin_paths, std::cout, std::cerr);
    if (*validate) return command_validate(manifest, plugin_paths, std::cout, std::cerr);
    if (*run) return command_run(run_opts, plugin_paths, std::cout, std::cerr);
    if (*status) return command_status(manifest, std::cout, std::cerr);
    if (*replay_cmd) return command_replay(replay, std::cout, std::cerr);
    if (*dlq_cmd) {
        for (auto* sub : dlq_cmd->get_subcommands()) dlq.action = sub->get_name();
        if (edit_file == "-") {
            dlq.file_from_stdin = true;
        } else if (!edit_file.empty()) {
            dlq.file = edit_file;
        }
        return command_dlq(dlq, std::cin, std::cout, std::cerr);
    }
    if (*transform_cmd) return command_transform(transform, plugin_paths, std::cin, std::cout, std::cerr);
    std::cout << app.help();
    return exit_invalid;
}
