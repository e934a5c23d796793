// `ferry docs manifest|plugins`: Markdown tables of every key, generated from the JSON Schemas the
// code checks, so that docs/manifest.md and docs/plugin-reference.md cannot drift from them
// (tests/docs/check_generated_docs.sh fails when they do; scripts/update-docs.sh rewrites them).
#include "cli/commands.hpp"

#include "manifest/manifest.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <iostream>

namespace ferry::host {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string cell(std::string text) {
    // A table cell: no line breaks, no column separators.
    for (char& c : text) {
        if (c == '\n') c = ' ';
    }
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else out += c;
    }
    return out;
}

std::string type_text(const json::object& s) {
    std::string text;
    if (const json::value* c = s.if_contains("const")) text = "`" + json::serialize(*c) + "`";
    if (const json::value* e = s.if_contains("enum"); e && e->is_array()) {
        for (const json::value& v : e->as_array()) text += (text.empty() ? "" : ", ") + ("`" + json::serialize(v) + "`");
        text = "one of " + text;
    }
    if (text.empty()) {
        if (const json::value* t = s.if_contains("type")) {
            if (t->is_string()) text = std::string(t->as_string());
            if (t->is_array()) {
                for (const json::value& v : t->as_array()) text += (text.empty() ? "" : " or ") + std::string(v.as_string());
            }
        }
    }
    auto bound = [&](const char* key, const char* word) {
        if (const json::value* v = s.if_contains(key)) text += std::string(" ") + word + " " + json::serialize(*v);
    };
    bound("minimum", "from");
    bound("maximum", "to");
    if (const json::value* v = s.if_contains("maxLength")) text += ", at most " + json::serialize(*v) + " characters";
    if (const json::value* secret = s.if_contains("secret"); secret && secret->is_bool() && secret->as_bool()) text += ", secret";
    return text;
}

// One row per key, depth first: objects open into their properties, maps of objects into
// `<name>`, arrays of objects into `[]`.
void key_rows(const json::object& schema, const std::string& prefix, std::ostream& out) {
    const json::value* properties = schema.if_contains("properties");
    std::vector<std::string> required;
    if (const json::value* r = schema.if_contains("required"); r && r->is_array()) {
        for (const json::value& name : r->as_array()) required.emplace_back(name.as_string());
    }
    if (properties && properties->is_object()) {
        for (const auto& [name, value] : properties->as_object()) {
            if (!value.is_object()) continue;
            const json::object& s = value.as_object();
            std::string path = prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
            bool is_required = std::find(required.begin(), required.end(), std::string(name)) != required.end();
            std::string description;
            if (const json::value* d = s.if_contains("description"); d && d->is_string()) description = std::string(d->as_string());
            out << "| `" << path << "` | " << cell(type_text(s)) << " | " << (is_required ? "yes" : "") << " | " << cell(description)
                << " |\n";
            key_rows(s, path, out);
            if (const json::value* items = s.if_contains("items"); items && items->is_object()) key_rows(items->as_object(), path + "[]", out);
        }
    }
    if (const json::value* each = schema.if_contains("additionalProperties"); each && each->is_object() &&
                                                                              each->as_object().contains("properties")) {
        key_rows(each->as_object(), prefix + ".<name>", out);
    }
}

void key_table(const std::string& schema_text, std::ostream& out) {
    if (schema_text.empty()) {
        out << "No configuration.\n";
        return;
    }
    json::value schema = json::parse(schema_text);
    out << "| key | type | required | meaning |\n|---|---|---|---|\n";
    key_rows(schema.as_object(), "", out);
}

}  // namespace

int command_docs(const std::string& what, const std::vector<std::string>& plugin_names, const std::vector<fs::path>& plugin_paths,
                 std::ostream& out, std::ostream& err) {
    if (what == "manifest") {
        key_table(std::string(manifest_schema_text()), out);
        return exit_ok;
    }
    if (what != "plugins") {
        err << "ferry docs: say `manifest` or `plugins`\n";
        return exit_invalid;
    }
    host_services services;
    plugin_registry registry(services);
    for (const auto& dir : plugin_search_path({}, plugin_paths)) registry.load_path(dir);
    std::vector<const plugin_info*> plugins;
    for (const auto& p : registry.plugins()) {
        if (plugin_names.empty() || std::find(plugin_names.begin(), plugin_names.end(), p.name) != plugin_names.end()) plugins.push_back(&p);
    }
    for (const std::string& name : plugin_names) {
        if (std::none_of(plugins.begin(), plugins.end(), [&](const plugin_info* p) { return p->name == name; })) {
            err << "ferry docs: plugin '" << name << "' is not loaded (see `ferry plugins`)\n";
            return exit_invalid;
        }
    }
    std::sort(plugins.begin(), plugins.end(), [](const plugin_info* a, const plugin_info* b) { return a->name < b->name; });
    for (const plugin_info* p : plugins) {
        out << "## " << p->name << "\n\n" << p->description << "\n\n### Connection config\n\n";
        key_table(p->connection_schema, out);
        for (const auto& c : p->components) {
            out << "\n### " << c.qualified_name() << " (" << kind_name(c.kind) << ")\n\n" << c.description << "\n\nStreams: ";
            for (size_t i = 0; i < c.streams.size(); ++i) out << (i ? ", " : "") << "`" << c.streams[i] << "`";
            auto caps = capability_names(c.capabilities);
            if (!caps.empty()) {
                out << ". Capabilities: ";
                for (size_t i = 0; i < caps.size(); ++i) out << (i ? ", " : "") << caps[i];
            }
            out << ".\n\n";
            key_table(c.config_schema, out);
        }
        out << "\n";
    }
    return exit_ok;
}

}  // namespace ferry::host
