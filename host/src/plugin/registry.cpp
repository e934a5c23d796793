#include "plugin/registry.hpp"

#include "services/host_api.hpp"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace ferry::host {

namespace fs = std::filesystem;

namespace {

// The 1.0 layouts: the least a plugin may declare in struct_size.
constexpr size_t plugin_size_v1_0 = offsetof(ferry_plugin, shutdown) + sizeof(void (*)(void));
constexpr size_t component_size_v1_0 = offsetof(ferry_component, write_batch) + sizeof(void*);
// struct_size, abi_major and abi_minor_min keep their place in every major version.
constexpr size_t plugin_version_fields = offsetof(ferry_plugin, abi_minor_min) + sizeof(uint32_t);

bool valid_identifier(const char* text) {
    if (!text || !(*text >= 'a' && *text <= 'z')) return false;
    for (const char* p = text; *p; ++p) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return false;
    }
    return true;
}

std::string text_or_empty(const char* text) { return text ? std::string(text) : std::string(); }

// Checks that a schema text is a JSON object. Returns the problem, or empty.
std::string check_schema_text(const char* text) {
    boost::system::error_code ec;
    boost::json::value schema = boost::json::parse(text, ec);
    if (ec) return "is not valid JSON (" + ec.message() + ")";
    if (!schema.is_object()) return "is not a JSON object";
    return {};
}

// Checks one component descriptor; fills `out` or returns the reason it is malformed.
std::string read_component(const ferry_component* raw, const std::string& plugin, component_info& out) {
    if (!raw) return "component pointer is NULL";
    ferry_component c;
    if (!read_sized(raw, component_size_v1_0, c)) {
        return "malformed descriptor: ferry_component struct_size " + std::to_string(raw->struct_size) +
               " is smaller than the ABI 1.0 size " + std::to_string(component_size_v1_0);
    }
    if (!valid_identifier(c.name)) {
        return "malformed descriptor: component name '" + text_or_empty(c.name) +
               "' is not of the form [a-z][a-z0-9_]*";
    }
    std::string who = "component '" + std::string(c.name) + "'";
    std::string_view kind = kind_name(c.kind);
    if (kind.empty()) return "malformed descriptor: " + who + " has unknown kind " + std::to_string(c.kind);
    if (!c.create || !c.destroy) return "malformed descriptor: " + who + " lacks the create or destroy hook";

    auto need = [&](bool present, const char* hook, const char* why) -> std::string {
        if (present) return {};
        return "malformed descriptor: " + std::string(kind) + " " + who + " lacks the " + hook + " hook" + why;
    };
    std::string problem;
    if (c.kind == FERRY_KIND_SOURCE) {
        if (!(c.capabilities & (FERRY_CAP_WEBHOOK | FERRY_CAP_POLL))) {
            return "malformed descriptor: source " + who + " declares neither the webhook nor the poll capability";
        }
        if (c.capabilities & FERRY_CAP_WEBHOOK) problem = need(c.webhook, "webhook", " its capabilities promise");
        if (problem.empty() && (c.capabilities & FERRY_CAP_POLL)) problem = need(c.poll, "poll", " its capabilities promise");
    } else if (c.kind == FERRY_KIND_TRANSFORM) {
        problem = need(c.transform, "transform", "");
    } else {
        problem = need(c.write, "write", "");
        if (problem.empty() && (c.capabilities & FERRY_CAP_LOOKUP)) problem = need(c.lookup, "lookup", " its capabilities promise");
        if (problem.empty() && (c.capabilities & FERRY_CAP_BATCH)) problem = need(c.write_batch, "write_batch", " its capabilities promise");
    }
    if (!problem.empty()) return problem;

    if (c.stream_count == 0 || !c.streams) return "malformed descriptor: " + who + " declares no stream";
    out = component_info{};
    for (size_t i = 0; i < c.stream_count; ++i) {
        if (!c.streams[i] || !*c.streams[i]) return "malformed descriptor: " + who + " has an empty stream name";
        out.streams.emplace_back(c.streams[i]);
    }
    if (c.config_schema) {
        std::string schema_problem = check_schema_text(c.config_schema);
        if (!schema_problem.empty()) return "malformed descriptor: config schema of " + who + " " + schema_problem;
        out.config_schema = c.config_schema;
    }
    out.plugin = plugin;
    out.name = c.name;
    out.kind = c.kind;
    out.description = text_or_empty(c.description);
    out.capabilities = c.capabilities;
    out.hooks = c;
    return {};
}

}  // namespace

std::string_view kind_name(int32_t kind) {
    switch (kind) {
        case FERRY_KIND_SOURCE: return "source";
        case FERRY_KIND_TRANSFORM: return "transform";
        case FERRY_KIND_SINK: return "sink";
        default: return {};
    }
}

std::vector<std::string> capability_names(uint32_t capabilities) {
    static const std::pair<uint32_t, const char*> names[] = {
        {FERRY_CAP_WEBHOOK, "webhook"}, {FERRY_CAP_POLL, "poll"},
        {FERRY_CAP_LOOKUP, "lookup"},   {FERRY_CAP_BATCH, "batch"},
        {FERRY_CAP_IDEMPOTENT_WRITE, "idempotent_write"}, {FERRY_CAP_SINGLE_THREADED, "single_threaded"},
    };
    std::vector<std::string> out;
    for (const auto& [flag, name] : names) {
        if (capabilities & flag) out.emplace_back(name);
    }
    return out;
}

bool component_info::handles_stream(std::string_view stream) const {
    return std::any_of(streams.begin(), streams.end(),
                       [&](const std::string& s) { return s == "*" || s == stream; });
}

const component_info* plugin_info::find_component(std::string_view component) const {
    for (const auto& c : components) {
        if (c.name == component) return &c;
    }
    return nullptr;
}

std::string load_failure::line() const { return path.string() + ": " + reason; }

std::vector<fs::path> plugin_search_path(const std::vector<fs::path>& manifest_dirs,
                                         const std::vector<fs::path>& cli_dirs) {
    std::vector<fs::path> out = manifest_dirs;
    out.insert(out.end(), cli_dirs.begin(), cli_dirs.end());
    if (const char* env = std::getenv("FERRY_PLUGIN_PATH")) {
        std::string_view rest(env);
        while (!rest.empty()) {
            size_t colon = rest.find(':');
            std::string_view part = rest.substr(0, colon);
            if (!part.empty()) out.emplace_back(part);
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        }
    }
    // Beside the executable: <prefix>/bin/ferry finds <prefix>/plugins (the build tree) and
    // <prefix>/lib/ferry/plugins (an installation).
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        fs::path prefix = exe.parent_path().parent_path();
        for (const fs::path& candidate : {prefix / "plugins", prefix / "lib" / "ferry" / "plugins"}) {
            if (fs::is_directory(candidate, ec)) out.push_back(candidate);
        }
    }
    return out;
}

struct plugin_registry::library {
    boost::dll::shared_library handle;
    ferry_plugin descriptor{};
    scope_context scope;
    bool initialized = false;
};

plugin_registry::plugin_registry(host_services& services) : services_(services) {}

plugin_registry::~plugin_registry() {
    for (auto it = libraries_.rbegin(); it != libraries_.rend(); ++it) {
        if ((*it)->initialized && (*it)->descriptor.shutdown) (*it)->descriptor.shutdown();
    }
}

void plugin_registry::load_path(const fs::path& path) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
        load_file(path);
        return;
    }
    if (!fs::is_directory(path, ec)) {
        failures_.push_back({path, "plugin path does not exist"});
        return;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.path().extension() == ".so" && entry.is_regular_file(ec)) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) load_file(file);
}

bool plugin_registry::load_file(const fs::path& path) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    if (ec) canonical = path;
    if (std::find(seen_.begin(), seen_.end(), canonical) != seen_.end()) return true;  // found twice on the path
    seen_.push_back(canonical);

    auto refuse = [&](std::string reason) {
        failures_.push_back({path, std::move(reason)});
        return false;
    };

    auto lib = std::make_unique<library>();
    boost::dll::fs::error_code load_error;
    lib->handle.load(canonical, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_error);
    if (load_error) return refuse("not a loadable shared library (" + load_error.message() + ")");
    if (!lib->handle.has(FERRY_ENTRY_SYMBOL)) return refuse("no entry symbol " FERRY_ENTRY_SYMBOL);

    auto entry = lib->handle.get<const ferry_plugin*(const ferry_host_api*)>(FERRY_ENTRY_SYMBOL);
    const ferry_plugin* raw = entry(services_.api());
    std::string host_abi = std::to_string(FERRY_ABI_MAJOR) + "." + std::to_string(FERRY_ABI_MINOR);
    if (!raw) return refuse("the plugin refused to run on host ABI " + host_abi);
    if (raw->struct_size < plugin_version_fields) {
        return refuse("malformed descriptor: ferry_plugin struct_size " + std::to_string(raw->struct_size) +
                      " is too small to hold the ABI version");
    }
    if (raw->abi_major != FERRY_ABI_MAJOR) {
        return refuse("built for ABI major " + std::to_string(raw->abi_major) + ", this host speaks ABI " + host_abi);
    }
    if (raw->abi_minor_min > FERRY_ABI_MINOR) {
        return refuse("needs ABI " + std::to_string(raw->abi_major) + "." + std::to_string(raw->abi_minor_min) +
                      " or newer, this host speaks ABI " + host_abi);
    }
    ferry_plugin& d = lib->descriptor;
    if (!read_sized(raw, plugin_size_v1_0, d)) {
        return refuse("malformed descriptor: ferry_plugin struct_size " + std::to_string(raw->struct_size) +
                      " is smaller than the ABI 1.0 size " + std::to_string(plugin_size_v1_0));
    }
    if (!valid_identifier(d.name)) {
        return refuse("malformed descriptor: plugin name '" + text_or_empty(d.name) + "' is not of the form [a-z][a-z0-9_]*");
    }
    if (!d.version || !*d.version) return refuse("malformed descriptor: plugin '" + std::string(d.name) + "' has no version");
    if (const plugin_info* other = find_plugin(d.name)) {
        return refuse("duplicate plugin name '" + std::string(d.name) + "', already loaded from " + other->path.string());
    }

    plugin_info info;
    info.path = path;
    info.name = d.name;
    info.version = d.version;
    info.description = text_or_empty(d.description);
    info.abi_major = d.abi_major;
    info.abi_minor_min = d.abi_minor_min;
    if (d.connection_schema) {
        std::string problem = check_schema_text(d.connection_schema);
        if (!problem.empty()) return refuse("malformed descriptor: connection schema " + problem);
        info.connection_schema = d.connection_schema;
    }
    if (d.component_count > 0 && !d.components) return refuse("malformed descriptor: components is NULL");
    std::set<std::string> names;
    for (size_t i = 0; i < d.component_count; ++i) {
        component_info component;
        std::string problem = read_component(d.components[i], info.name, component);
        if (!problem.empty()) return refuse(problem);
        if (!names.insert(component.name).second) {
            return refuse("duplicate component name '" + info.name + "." + component.name + "'");
        }
        info.components.push_back(std::move(component));
    }

    lib->scope.services = &services_;
    lib->scope.plugin = info.name;
    if (d.init) {
        call_context call(call_kind::init);
        ferry_status status = d.init(lib->scope.handle(), call.handle());
        if (status != FERRY_OK) {
            std::string message = call.error().empty() ? "no message" : call.error();
            return refuse("init failed: " + message);
        }
    }
    lib->initialized = true;
    plugins_.push_back(std::move(info));
    libraries_.push_back(std::move(lib));
    return true;
}

const plugin_info* plugin_registry::find_plugin(std::string_view name) const {
    for (const auto& p : plugins_) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

const component_info* plugin_registry::find_component(std::string_view qualified_name) const {
    size_t dot = qualified_name.find('.');
    if (dot == std::string_view::npos) return nullptr;
    const plugin_info* plugin = find_plugin(qualified_name.substr(0, dot));
    return plugin ? plugin->find_component(qualified_name.substr(dot + 1)) : nullptr;
}

const load_failure* plugin_registry::failure_for(std::string_view name) const {
    for (const auto& f : failures_) {
        if (f.path.stem() == name) return &f;
    }
    return nullptr;
}

}  // namespace ferry::host
