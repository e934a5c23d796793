#include "manifest/manifest.hpp"

#include "manifest/json_source.hpp"
#include "manifest/schema.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <tuple>
#include <fstream>
#include <set>
#include <sstream>

namespace ferry::host {

namespace json = boost::json;
namespace fs = std::filesystem;

std::optional<duration> parse_duration(std::string_view text) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 12) return std::nullopt;
    int64_t n = std::stoll(std::string(text.substr(0, digits)));
    std::string_view unit = text.substr(digits);
    if (unit == "ms") return duration(n);
    if (unit == "s") return std::chrono::seconds(n);
    if (unit == "m") return std::chrono::minutes(n);
    if (unit == "h") return std::chrono::hours(n);
    if (unit == "d") return std::chrono::hours(24 * n);
    return std::nullopt;
}

const connection_spec* manifest::find_connection(std::string_view name) const {
    for (const auto& c : connections) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

namespace {

const json::value& manifest_schema() {
    static const json::value schema = json::parse(manifest_schema_text());
    return schema;
}

std::string read_file(const fs::path& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot read " + path.string();
        return {};
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

bool valid_name(std::string_view name) {
    if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) return false;
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    }
    return true;
}

std::string string_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object* object_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_object() ? &v->get_object() : nullptr;
}

std::string config_text(const json::object& o) {
    const json::object* config = object_at(o, "config");
    return config ? json::serialize(*config) : std::string("{}");
}

class manifest_checker {
public:
    // `registry` may be null when only interpolation is wanted.
    manifest_checker(const json_source& source, plugin_registry* registry, std::vector<diagnostic>& problems)
        : source_(source), registry_(registry), problems_(problems) {}

    // Replaces ${env:NAME} and ${file:PATH} in every string; "$${" stands for a literal "${".
    json::value interpolate(const json::value& v, const std::string& ptr, const fs::path& base) {
        if (v.is_string()) return json::value(resolve(v.get_string(), ptr, base));
        if (v.is_array()) {
            json::array out;
            const json::array& a = v.get_array();
            for (size_t i = 0; i < a.size(); ++i) out.push_back(interpolate(a[i], ptr + "/" + std::to_string(i), base));
            return out;
        }
        if (v.is_object()) {
            json::object out;
            for (const auto& member : v.get_object()) {
                out[member.key()] = interpolate(member.value(), pointer_append(ptr, member.key()), base);
            }
            return out;
        }
        return v;
    }

    void problem(const std::string& ptr, std::string message, std::string hint = {}, bool at_key = false) {
        problems_.push_back(source_.at(ptr, std::move(message), std::move(hint), at_key));
    }

    // Schema problems, less those at values whose ${...} could not be resolved (already reported).
    void report(const std::vector<schema_problem>& found) {
        for (const auto& p : found) {
            if (unresolved_.count(p.pointer) == 0) problem(p.pointer, p.message, p.hint, p.at_key);
        }
    }

    // Validates one config object against a plugin's schema, refuses secrets written inline, then
    // lets the component check what a schema cannot (an expression that must compile).
    void check_config(const json::object& raw_owner, const json::object& owner, const std::string& owner_ptr,
                      const std::string& schema_text, const std::string& what, const component_info* component = nullptr) {
        std::string ptr = owner_ptr + "/config";
        const json::value* config = owner.if_contains("config");
        json::value empty = json::object();
        if (schema_text.empty()) {
            if (config && config->is_object() && !config->get_object().empty()) {
                problem(ptr, what + " takes no config");
            }
            return;
        }
        json::value schema = json::parse(schema_text);
        std::vector<schema_problem> found;
        validate_schema(config ? *config : empty, schema, ptr, found);
        report(found);
        if (found.empty() && component && component->hooks.check_config) {
            std::string text = json::serialize(config ? *config : empty);
            ferry_create_args args{};
            args.struct_size = sizeof(args);
            args.config = c_str(text);
            args.connection_config = c_str("{}");
            call_context call(call_kind::check);
            if (component->hooks.check_config(&args, call.handle()) != FERRY_OK) {
                std::string message = call.error().empty() ? what + ": the config cannot work" : call.error();
                if (const auto& at = call.error_location()) {
                    problems_.push_back(source_.at_string_offset(ptr + at->pointer, at->offset, message));
                } else {
                    problem(ptr, message);
                }
            }
        }
        if (const json::value* raw = raw_owner.if_contains("config")) {
            for (const auto& secret : secret_pointers(*raw, schema)) {
                boost::system::error_code ec;
                const json::value* literal = raw->find_pointer(secret, ec);
                if (literal && literal->is_string() && literal->get_string().find("${") == json::string::npos) {
                    problem(ptr + secret, "a secret is written in the manifest",
                            "use \"${env:NAME}\" or \"${file:/path/to/secret}\" instead");
                }
            }
        }
    }

    const component_info* resolve_endpoint(const json::object& endpoint, const std::string& ptr, int32_t kind,
                                           const manifest& m, std::string& component_name) {
        std::string connection = string_at(endpoint, "connection");
        std::string stream = string_at(endpoint, "stream");
        const connection_spec* c = m.find_connection(connection);
        if (!c) {
            std::vector<std::string> names;
            for (const auto& known : m.connections) names.push_back(known.name);
            std::string suggestion = closest_name(connection, names);
            problem(ptr + "/connection", "connection \"" + connection + "\" is not defined",
                    suggestion.empty() ? "define it under \"connections\"" : "did you mean \"" + suggestion + "\"?");
            return nullptr;
        }
        const plugin_info* plugin = registry_->find_plugin(c->plugin);
        if (!plugin) return nullptr;  // reported at the connection
        std::string kind_word(kind_name(kind));
        std::string wanted = string_at(endpoint, "component");
        const component_info* found = nullptr;
        std::vector<std::string> offered;
        for (const auto& component : plugin->components) {
            if (component.kind != kind) continue;
            for (const auto& s : component.streams) {
                if (std::find(offered.begin(), offered.end(), s) == offered.end()) offered.push_back(s);
            }
            if (!wanted.empty()) {
                if (component.name == wanted) found = &component;
                continue;
            }
            if (!component.handles_stream(stream)) continue;
            if (found) {
                problem(ptr, "plugin \"" + plugin->name + "\" has several " + kind_word + " components for stream \"" +
                                 stream + "\"",
                        "name one with \"component\": \"" + found->name + "\" or \"" + component.name + "\"");
                return nullptr;
            }
            found = &component;
        }
        if (!wanted.empty() && !found) {
            problem(ptr + "/component", "plugin \"" + plugin->name + "\" has no " + kind_word + " component \"" + wanted + "\"");
            return nullptr;
        }
        if (!found || !found->handles_stream(stream)) {
            std::string hint = offered.empty() ? "it has no " + kind_word + " at all"
                                               : "its " + kind_word + " streams: " + join(offered);
            problem(ptr + "/stream", "plugin \"" + plugin->name + "\" has no " + kind_word + " for stream \"" + stream + "\"", hint);
            return nullptr;
        }
        component_name = found->qualified_name();
        return found;
    }

    static std::string join(const std::vector<std::string>& words) {
        std::string out;
        for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
        return out;
    }

private:
    std::string resolve(std::string_view text, const std::string& ptr, const fs::path& base) {
        size_t problems_before = problems_.size();
        std::string out = substitute(text, ptr, base);
        if (problems_.size() != problems_before) unresolved_.insert(ptr);
        return out;
    }

    std::string substitute(std::string_view text, const std::string& ptr, const fs::path& base) {
        std::string out;
        size_t pos = 0;
        while (pos < text.size()) {
            size_t start = text.find('$', pos);
            if (start == std::string_view::npos) {
                out.append(text.substr(pos));
                break;
            }
            out.append(text.substr(pos, start - pos));
            if (text.substr(start, 3) == "$${") {
                out += "${";
                pos = start + 3;
                continue;
            }
            if (text.substr(start, 2) != "${") {
                out += '$';
                pos = start + 1;
                continue;
            }
            size_t end = text.find('}', start);
            if (end == std::string_view::npos) {
                problem(ptr, "unterminated ${...} reference", "write \"$${\" for a literal \"${\"");
                return out;
            }
            std::string_view reference = text.substr(start + 2, end - start - 2);
            pos = end + 1;
            if (reference.rfind("env:", 0) == 0) {
                std::string name(reference.substr(4));
                const char* value = std::getenv(name.c_str());
                if (!value) {
                    problem(ptr, "environment variable " + name + " is not set", "export it before starting ferry");
                    continue;
                }
                out += value;
            } else if (reference.rfind("file:", 0) == 0) {
                fs::path file(std::string(reference.substr(5)));
                if (file.is_relative()) file = base / file;
                std::string error;
                std::string content = read_file(file, error);
                if (!error.empty()) {
                    problem(ptr, "secret file " + file.string() + " cannot be read", "check that it exists and is readable");
                    continue;
                }
                if (!content.empty() && content.back() == '\n') content.pop_back();
                if (!content.empty() && content.back() == '\r') content.pop_back();
                out += content;
            } else {
                problem(ptr, "unknown reference ${" + std::string(reference) + "}",
                        "use ${env:NAME} or ${file:PATH}; write \"$${\" for a literal \"${\"");
            }
        }
        return out;
    }

    const json_source& source_;
    plugin_registry* registry_;
    std::vector<diagnostic>& problems_;
    std::set<std::string> unresolved_;
};

}  // namespace

std::optional<manifest_outline> read_manifest_outline(const fs::path& path, diagnostic& problem) {
    std::string error;
    std::string text = read_file(path, error);
    if (!error.empty()) {
        problem = diagnostic{path.string(), 0, 0, "", error, "check the path"};
        return std::nullopt;
    }
    std::optional<json_source> source = json_source::parse(std::move(text), path.string(), problem);
    if (!source) return std::nullopt;
    std::error_code ec;
    manifest_outline out;
    out.base = fs::absolute(path, ec).parent_path();
    if (!source->value().is_object()) {
        problem = source->at("", "a manifest is a JSON object");
        return std::nullopt;
    }
    const json::object& root = source->value().get_object();
    std::vector<diagnostic> problems;
    manifest_checker checker(*source, nullptr, problems);
    if (const json::value* store = root.if_contains("store"); store && store->is_string()) {
        json::value resolved = checker.interpolate(*store, "/store", out.base);
        out.store_url = std::string(resolved.get_string());
    }
    if (const json::object* server = object_at(root, "server")) {
        if (std::string listen = string_at(*server, "listen"); !listen.empty()) out.listen = listen;
    }
    if (const json::object* pipelines = object_at(root, "pipelines")) {
        for (const auto& p : *pipelines) out.pipelines.emplace_back(p.key());
    }
    if (!problems.empty()) {
        problem = problems.front();
        return std::nullopt;
    }
    return out;
}

manifest_result load_manifest(const fs::path& path, plugin_registry& registry, const std::vector<fs::path>& cli_plugin_paths) {
    std::string error;
    std::string text = read_file(path, error);
    if (!error.empty()) {
        manifest_result result;
        result.problems.push_back(diagnostic{path.string(), 0, 0, "", error, "check the path"});
        return result;
    }
    return load_manifest_text(std::move(text), path, registry, cli_plugin_paths);
}

manifest_result load_manifest_text(std::string text, const fs::path& path, plugin_registry& registry,
                                   const std::vector<fs::path>& cli_plugin_paths) {
    manifest_result result;
    std::vector<diagnostic>& problems = result.problems;
    diagnostic syntax;
    std::optional<json_source> source = json_source::parse(std::move(text), path.string(), syntax);
    if (!source) {
        problems.push_back(syntax);
        return result;
    }
    std::error_code ec;
    fs::path base = fs::absolute(path, ec).parent_path();
    manifest_checker checker(*source, &registry, problems);

    const json::value& raw = source->value();
    json::value resolved = checker.interpolate(raw, "", base);
    std::vector<schema_problem> shape;
    validate_schema(resolved, manifest_schema(), "", shape);
    checker.report(shape);
    if (!resolved.is_object()) return result;
    const json::object& root = resolved.get_object();
    const json::object& raw_root = raw.get_object();

    manifest m;
    m.path = path;
    if (const json::value* plugins = root.if_contains("plugins"); plugins && plugins->is_array()) {
        for (const auto& entry : plugins->get_array()) {
            if (!entry.is_string()) continue;
            fs::path p(std::string(entry.get_string()));
            m.plugin_paths.push_back(p.is_relative() ? base / p : p);
        }
    }
    for (const auto& dir : plugin_search_path(m.plugin_paths, cli_plugin_paths)) registry.load_path(dir);

    if (std::string store = string_at(root, "store"); !store.empty()) m.store = store;
    if (const json::object* server = object_at(root, "server")) {
        if (std::string listen = string_at(*server, "listen"); !listen.empty()) m.server.listen = listen;
        if (const json::value* v = server->if_contains("max_body_bytes"); v && v->is_int64()) {
            m.server.max_body_bytes = static_cast<uint64_t>(v->get_int64());
        }
    }

    const json::object empty_object;
    if (const json::object* connections = object_at(root, "connections")) {
        const json::object* raw_connections = object_at(raw_root, "connections");
        for (const auto& member : *connections) {
            std::string ptr = pointer_append("/connections", member.key());
            std::string name(member.key());
            if (!valid_name(name)) {
                checker.problem(ptr, "connection name \"" + name + "\" is not of the form [a-z0-9][a-z0-9_-]*", "", true);
            }
            if (!member.value().is_object()) continue;
            const json::object& c = member.value().get_object();
            const json::value* raw_c = raw_connections ? raw_connections->if_contains(member.key()) : nullptr;
            connection_spec spec;
            spec.name = name;
            spec.plugin = string_at(c, "plugin");
            spec.config_json = config_text(c);
            spec.redacted_config_json = spec.config_json;
            if (const json::value* v = c.if_contains("max_concurrency"); v && v->is_int64()) {
                spec.max_concurrency = static_cast<uint32_t>(v->get_int64());
            }
            const plugin_info* plugin = registry.find_plugin(spec.plugin);
            if (!plugin && !spec.plugin.empty()) {
                std::vector<std::string> names;
                for (const auto& p : registry.plugins()) names.push_back(p.name);
                std::string hint;
                if (const load_failure* failure = registry.failure_for(spec.plugin)) {
                    hint = "it failed to load: " + failure->line();
                } else if (std::string suggestion = closest_name(spec.plugin, names); !suggestion.empty()) {
                    hint = "did you mean \"" + suggestion + "\"?";
                } else {
                    hint = names.empty() ? "no plugin was found; set --plugin-path or FERRY_PLUGIN_PATH"
                                         : "loaded plugins: " + manifest_checker::join(names);
                }
                checker.problem(ptr + "/plugin", "plugin \"" + spec.plugin + "\" is not loaded", hint);
            } else if (plugin) {
                if (plugin->connection_schema.empty()) {
                    checker.problem(ptr + "/plugin", "plugin \"" + spec.plugin + "\" offers no connections",
                                    "its components are used directly in \"transforms\"");
                } else {
                    checker.check_config(raw_c && raw_c->is_object() ? raw_c->get_object() : empty_object, c, ptr,
                                         plugin->connection_schema, "connection \"" + name + "\"");
                    json::value schema = json::parse(plugin->connection_schema);
                    const json::value* config = c.if_contains("config");
                    if (config) {
                        spec.redacted_config_json = json::serialize(redact_secrets(*config, schema));
                        for (const auto& secret : secret_pointers(*config, schema)) {
                            boost::system::error_code ec;
                            const json::value* v = config->find_pointer(secret, ec);
                            if (v && v->is_string() && !v->get_string().empty()) spec.secret_values.emplace_back(v->get_string());
                        }
                    }
                }
            }
            m.connections.push_back(std::move(spec));
        }
    }

    std::vector<std::pair<std::string, std::string>> follow_refs;  // (pointer, following pipeline)
    if (const json::object* pipelines = object_at(root, "pipelines")) {
        const json::object* raw_pipelines = object_at(raw_root, "pipelines");
        for (const auto& member : *pipelines) {
            std::string ptr = pointer_append("/pipelines", member.key());
            std::string name(member.key());
            if (!valid_name(name)) {
                checker.problem(ptr, "pipeline name \"" + name + "\" is not of the form [a-z0-9][a-z0-9_-]*", "", true);
            }
            if (!member.value().is_object()) continue;
            const json::object& p = member.value().get_object();
            const json::value* raw_p_value = raw_pipelines ? raw_pipelines->if_contains(member.key()) : nullptr;
            const json::object& raw_p = raw_p_value && raw_p_value->is_object() ? raw_p_value->get_object() : empty_object;
            pipeline_spec spec;
            spec.name = name;
            spec.description = string_at(p, "description");
            if (const json::value* v = p.if_contains("enabled"); v && v->is_bool()) spec.enabled = v->get_bool();
            if (const json::value* v = p.if_contains("concurrency"); v && v->is_int64()) {
                spec.concurrency = static_cast<uint32_t>(v->get_int64());
            }

            const json::object* source = object_at(p, "source");
            if (source && source->contains("follows")) {
                std::string sptr = ptr + "/source";
                spec.source.follows = string_at(*source, "follows");
                spec.source.stream = string_at(*source, "stream");
                for (const char* key : {"connection", "component", "webhooks", "poll", "config"}) {
                    if (source->contains(key)) {
                        checker.problem(sptr + "/" + key, "\"" + std::string(key) + "\" does not go with \"follows\"",
                                        "a following pipeline takes its records from the other pipeline's sink", true);
                    }
                }
                follow_refs.emplace_back(sptr + "/follows", name);
            } else if (source) {
                std::string sptr = ptr + "/source";
                for (const char* key : {"connection", "stream"}) {
                    if (!source->contains(key)) {
                        checker.problem(sptr, "missing required key \"" + std::string(key) + "\"",
                                        "a source names a connection and a stream, or \"follows\" a pipeline");
                    }
                }
                spec.source.connection = string_at(*source, "connection");
                spec.source.stream = string_at(*source, "stream");
                spec.source.config_json = config_text(*source);
                if (const json::value* hooks = source->if_contains("webhooks"); hooks && hooks->is_array()) {
                    for (const auto& topic : hooks->get_array()) {
                        if (topic.is_string()) spec.source.webhooks.emplace_back(topic.get_string());
                    }
                }
                if (std::string poll = string_at(*source, "poll"); !poll.empty()) spec.source.poll = parse_duration(poll);
                if (const component_info* c = checker.resolve_endpoint(*source, sptr, FERRY_KIND_SOURCE, m, spec.source.component)) {
                    const json::object* raw_source = object_at(raw_p, "source");
                    checker.check_config(raw_source ? *raw_source : empty_object, *source, sptr, c->config_schema,
                                         "source " + c->qualified_name(), c);
                    if (source->contains("webhooks") && !c->has(FERRY_CAP_WEBHOOK)) {
                        checker.problem(sptr + "/webhooks", "source " + c->qualified_name() + " does not take webhooks",
                                        "remove \"webhooks\" and set \"poll\"");
                    }
                    if (source->contains("poll") && !c->has(FERRY_CAP_POLL)) {
                        checker.problem(sptr + "/poll", "source " + c->qualified_name() + " cannot poll", "remove \"poll\"");
                    }
                    if (!c->has(FERRY_CAP_WEBHOOK) && !source->contains("poll")) {
                        checker.problem(sptr, "source " + c->qualified_name() + " only polls, and no poll interval is set",
                                        "add \"poll\": \"5m\"");
                    }
                }
            }

            std::string stream = spec.source.stream;
            if (const json::value* steps = p.if_contains("transforms"); steps && steps->is_array()) {
                const json::value* raw_steps = raw_p.if_contains("transforms");
                const json::array& list = steps->get_array();
                for (size_t i = 0; i < list.size(); ++i) {
                    if (!list[i].is_object()) continue;
                    std::string tptr = ptr + "/transforms/" + std::to_string(i);
                    const json::object& step = list[i].get_object();
                    step_spec s{string_at(step, "use"), config_text(step)};
                    const component_info* c = registry.find_component(s.component);
                    if (!c) {
                        std::vector<std::string> names;
                        for (const auto& plugin : registry.plugins()) {
                            for (const auto& comp : plugin.components) {
                                if (comp.kind == FERRY_KIND_TRANSFORM) names.push_back(comp.qualified_name());
                            }
                        }
                        std::string suggestion = closest_name(s.component, names);
                        checker.problem(tptr + "/use", "transform \"" + s.component + "\" is not loaded",
                                        suggestion.empty() ? "`ferry plugins` lists what is loaded"
                                                           : "did you mean \"" + suggestion + "\"?");
                    } else if (c->kind != FERRY_KIND_TRANSFORM) {
                        checker.problem(tptr + "/use", s.component + " is a " + std::string(kind_name(c->kind)) + ", not a transform");
                    } else {
                        if (!stream.empty() && !c->handles_stream(stream)) {
                            checker.problem(tptr + "/use", s.component + " does not accept stream \"" + stream + "\"",
                                            "it accepts: " + manifest_checker::join(c->streams));
                        }
                        const json::value* raw_step = raw_steps && raw_steps->is_array() && i < raw_steps->get_array().size()
                                                          ? &raw_steps->get_array()[i]
                                                          : nullptr;
                        checker.check_config(raw_step && raw_step->is_object() ? raw_step->get_object() : empty_object,
                                             step, tptr, c->config_schema, "transform " + s.component, c);
                    }
                    spec.transforms.push_back(std::move(s));
                }
            }

            if (const json::object* sink = object_at(p, "sink")) {
                std::string kptr = ptr + "/sink";
                spec.sink.connection = string_at(*sink, "connection");
                spec.sink.stream = string_at(*sink, "stream");
                spec.sink.config_json = config_text(*sink);
                if (const component_info* c = checker.resolve_endpoint(*sink, kptr, FERRY_KIND_SINK, m, spec.sink.component)) {
                    const json::object* raw_sink = object_at(raw_p, "sink");
                    checker.check_config(raw_sink ? *raw_sink : empty_object, *sink, kptr, c->config_schema,
                                         "sink " + c->qualified_name(), c);
                }
            }

            if (const json::object* retry = object_at(p, "retry")) {
                if (const json::value* v = retry->if_contains("max_attempts"); v && v->is_int64()) {
                    spec.retry.max_attempts = static_cast<uint32_t>(v->get_int64());
                }
                if (auto age = parse_duration(string_at(*retry, "max_age"))) spec.retry.max_age = *age;
                std::string backoff = string_at(*retry, "backoff");
                if (size_t dots = backoff.find(".."); dots != std::string::npos) {
                    auto first = parse_duration(backoff.substr(0, dots));
                    auto last = parse_duration(backoff.substr(dots + 2));
                    if (first && last) {
                        if (*first > *last) {
                            checker.problem(ptr + "/retry/backoff", "the first wait is longer than the largest",
                                            "write it as first..largest, e.g. \"1s..10m\"");
                        }
                        spec.retry.backoff_initial = *first;
                        spec.retry.backoff_max = *last;
                    }
                }
            }
            m.pipelines.push_back(std::move(spec));
        }
    }

    for (const auto& [ptr, follower] : follow_refs) {
        const pipeline_spec* self = nullptr;
        for (const auto& p : m.pipelines) {
            if (p.name == follower) self = &p;
        }
        const std::string& followed = self->source.follows;
        bool exists = std::any_of(m.pipelines.begin(), m.pipelines.end(), [&](const pipeline_spec& p) { return p.name == followed; });
        if (followed == follower) {
            checker.problem(ptr, "a pipeline cannot follow itself");
        } else if (!exists) {
            std::vector<std::string> names;
            for (const auto& p : m.pipelines) names.push_back(p.name);
            std::string suggestion = closest_name(followed, names);
            checker.problem(ptr, "pipeline \"" + followed + "\" is not defined",
                            suggestion.empty() ? "" : "did you mean \"" + suggestion + "\"?");
        }
    }
    std::stable_sort(problems.begin(), problems.end(), [](const diagnostic& a, const diagnostic& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    if (problems.empty()) result.value = std::move(m);
    return result;
}

}  // namespace ferry::host
