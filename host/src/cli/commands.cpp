#include "cli/commands.hpp"

#include "manifest/manifest.hpp"
#include "manifest/schema.hpp"
#include "plugin/instance.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"
#include "services/logging.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

namespace ferry::host {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string version_text() {
    return std::string("ferry ") + FERRY_VERSION + " (plugin ABI " + std::to_string(FERRY_ABI_MAJOR) + "." +
           std::to_string(FERRY_ABI_MINOR) + ")";
}

namespace {

void load_search_path(plugin_registry& registry, const std::vector<fs::path>& plugin_paths) {
    for (const auto& dir : plugin_search_path({}, plugin_paths)) registry.load_path(dir);
}

json::value schema_value(const std::string& text) { return text.empty() ? json::value(nullptr) : json::parse(text); }

json::array string_array(const std::vector<std::string>& words) {
    json::array out;
    for (const auto& w : words) out.emplace_back(w);
    return out;
}

// One line per config key: "name: type, required - description".
void print_schema_keys(const std::string& schema_text, const std::string& indent, std::ostream& out) {
    if (schema_text.empty()) {
        out << indent << "(no config)\n";
        return;
    }
    json::value schema = json::parse(schema_text);
    const json::value* properties = schema.as_object().if_contains("properties");
    if (!properties || !properties->is_object() || properties->get_object().empty()) {
        out << indent << "(any object)\n";
        return;
    }
    std::vector<std::string> required;
    if (const json::value* r = schema.as_object().if_contains("required"); r && r->is_array()) {
        for (const auto& name : r->get_array()) {
            if (name.is_string()) required.emplace_back(name.get_string());
        }
    }
    for (const auto& p : properties->get_object()) {
        out << indent << p.key();
        if (p.value().is_object()) {
            const json::object& s = p.value().get_object();
            if (const json::value* type = s.if_contains("type")) out << ": " << (type->is_string() ? std::string(type->get_string()) : json::serialize(*type));
            if (std::find(required.begin(), required.end(), std::string(p.key())) != required.end()) out << ", required";
            if (const json::value* secret = s.if_contains("secret"); secret && secret->is_bool() && secret->get_bool()) out << ", secret";
            if (const json::value* d = s.if_contains("description"); d && d->is_string()) out << " - " << std::string_view(d->get_string());
        }
        out << "\n";
    }
}

}  // namespace

int command_plugins(const std::vector<fs::path>& plugin_paths, bool as_json, std::ostream& out) {
    host_services services;
    plugin_registry registry(services);
    load_search_path(registry, plugin_paths);

    if (as_json) {
        json::object doc;
        doc["ferry_version"] = FERRY_VERSION;
        doc["abi"] = std::to_string(FERRY_ABI_MAJOR) + "." + std::to_string(FERRY_ABI_MINOR);
        json::array plugins;
        for (const auto& p : registry.plugins()) {
            json::object entry;
            entry["name"] = p.name;
            entry["version"] = p.version;
            entry["description"] = p.description;
            entry["path"] = p.path.string();
            entry["abi"] = std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor_min);
            entry["connection_schema"] = schema_value(p.connection_schema);
            json::array components;
            for (const auto& c : p.components) {
                json::object comp;
                comp["name"] = c.qualified_name();
                comp["kind"] = std::string(kind_name(c.kind));
                comp["description"] = c.description;
                comp["streams"] = string_array(c.streams);
                comp["capabilities"] = string_array(capability_names(c.capabilities));
                comp["config_schema"] = schema_value(c.config_schema);
                components.push_back(std::move(comp));
            }
            entry["components"] = std::move(components);
            plugins.push_back(std::move(entry));
        }
        doc["plugins"] = std::move(plugins);
        json::array failures;
        for (const auto& f : registry.failures()) failures.push_back(json::object{{"path", f.path.string()}, {"reason", f.reason}});
        doc["failures"] = std::move(failures);
        out << json::serialize(doc) << "\n";
        return exit_ok;
    }

    if (registry.plugins().empty()) out << "No plugin loaded.\n";
    for (const auto& p : registry.plugins()) {
        out << p.name << " " << p.version << "  (ABI " << p.abi_major << "." << p.abi_minor_min << "+)  " << p.path.string() << "\n";
        if (!p.description.empty()) out << "  " << p.description << "\n";
        if (!p.connection_schema.empty()) {
            out << "  connection config:\n";
            print_schema_keys(p.connection_schema, "    ", out);
        }
        for (const auto& c : p.components) {
            out << "  " << c.qualified_name() << "  " << kind_name(c.kind) << "  streams: ";
            for (size_t i = 0; i < c.streams.size(); ++i) out << (i ? ", " : "") << c.streams[i];
            auto caps = capability_names(c.capabilities);
            if (!caps.empty()) {
                out << "  capabilities: ";
                for (size_t i = 0; i < caps.size(); ++i) out << (i ? ", " : "") << caps[i];
            }
            out << "\n";
            if (!c.description.empty()) out << "    " << c.description << "\n";
            out << "    config:\n";
            print_schema_keys(c.config_schema, "      ", out);
        }
    }
    if (!registry.failures().empty()) {
        out << "\nNot loaded:\n";
        for (const auto& f : registry.failures()) out << "  " << f.line() << "\n";
    }
    return exit_ok;
}

int command_validate(const fs::path& manifest_path, const std::vector<fs::path>& plugin_paths, std::ostream& out,
                     std::ostream& err) {
    host_services services;
    plugin_registry registry(services);
    manifest_result result = load_manifest(manifest_path, registry, plugin_paths);
    for (const auto& failure : registry.failures()) log_warn("plugin not loaded: " + failure.line());
    if (!result.value) {
        for (const auto& d : result.problems) err << d.format() << "\n";
        err << manifest_path.string() << ": " << result.problems.size() << " problem"
            << (result.problems.size() == 1 ? "" : "s") << "\n";
        return exit_invalid;
    }
    out << manifest_path.string() << ": valid (" << result.value->connections.size() << " connections, "
        << result.value->pipelines.size() << " pipelines)\n";
    return exit_ok;
}

int command_transform(const transform_options& options, const std::vector<fs::path>& plugin_paths, std::istream& in,
                      std::ostream& out, std::ostream& err) {
    host_services services;
    plugin_registry registry(services);
    load_search_path(registry, plugin_paths);
    const component_info* component = registry.find_component(options.component);
    if (!component) {
        err << "ferry transform: component " << options.component << " is not loaded (`ferry plugins` lists what is)\n";
        return exit_invalid;
    }
    if (component->kind != FERRY_KIND_TRANSFORM) {
        err << "ferry transform: " << options.component << " is a " << kind_name(component->kind) << ", not a transform\n";
        return exit_invalid;
    }
    boost::system::error_code ec;
    json::value config = json::parse(options.config_json, ec);
    if (ec || !config.is_object()) {
        err << "ferry transform: --config is not a JSON object\n";
        return exit_invalid;
    }
    if (!component->config_schema.empty()) {
        std::vector<schema_problem> problems;
        validate_schema(config, json::parse(component->config_schema), "", problems);
        for (const auto& p : problems) {
            err << "ferry transform: --config " << (p.pointer.empty() ? "/" : p.pointer) << ": " << p.message
                << (p.hint.empty() ? "" : " (hint: " + p.hint + ")") << "\n";
        }
        if (!problems.empty()) return exit_invalid;
    }

    std::string payload;
    if (options.input) {
        std::ifstream file(*options.input, std::ios::binary);
        if (!file) {
            err << "ferry transform: cannot read " << options.input->string() << "\n";
            return exit_invalid;
        }
        payload.assign(std::istreambuf_iterator<char>(file), {});
    } else {
        payload.assign(std::istreambuf_iterator<char>(in), {});
    }
    json::value parsed_payload = json::parse(payload, ec);
    if (ec) {
        err << "ferry transform: the input is not valid JSON: " << ec.message() << "\n";
        return exit_invalid;
    }
    payload = json::serialize(parsed_payload);

    instance_settings settings;
    settings.config = json::serialize(config);
    settings.pipeline = "cli";
    std::string error;
    auto instance = component_instance::create(*component, services, settings, error);
    if (!instance) {
        err << "ferry transform: " << error << "\n";
        return exit_failure;
    }
    owned_record record;
    record.stream = options.stream;
    if (record.stream.empty()) record.stream = component->streams.front() == "*" ? "record" : component->streams.front();
    record.key = options.key;
    record.version = 1;
    record.payload = payload;
    ferry_record view = record.view();
    call_context call;
    ferry_status status = instance->transform(view, call);
    if (status != FERRY_OK) {
        err << "ferry transform: " << status_name(status) << ": " << (call.error().empty() ? "no message" : call.error()) << "\n";
        return exit_failure;
    }
    for (size_t i = 0; i < call.emitted_count(); ++i) {
        const owned_record& r = call.records()[i];
        json::object line;
        line["stream"] = r.stream;
        line["key"] = r.key;
        line["version"] = r.version;
        json::value emitted = json::parse(r.payload, ec);
        line["payload"] = ec ? json::value(r.payload) : emitted;
        out << json::serialize(line) << "\n";
    }
    err << "ferry transform: " << call.emitted_count() << " record" << (call.emitted_count() == 1 ? "" : "s") << " emitted\n";
    return exit_ok;
}

}  // namespace ferry::host
