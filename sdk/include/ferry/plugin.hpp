// plugin.hpp: the C++ layer over ferry_plugin.h. Header-only, C++17.
//
// A partner writes each component as a plain class and exports the plugin with one macro:
//
//   struct upper : ferry::sdk::transform {
//       static constexpr const char* name = "upper";
//       static constexpr const char* description = "Upper-cases the payload";
//       static constexpr const char* streams[] = {"*"};
//       explicit upper(const ferry::sdk::create_args& args);
//       void process(const ferry::sdk::record& in, ferry::sdk::call& out);
//   };
//   struct my_plugin {
//       static constexpr const char* name = "example";
//       static constexpr const char* version = "1.0.0";
//       static constexpr const char* description = "An example";
//       using components = ferry::sdk::components<upper>;
//   };
//   FERRY_PLUGIN(my_plugin)
//
// Hooks report failure by throwing ferry::sdk::error (or retry_error, throttled_error,
// reject_error, fatal_error, unauthorized_error). Every exception is caught at the boundary and
// becomes a status plus text; nothing of the C++ standard library crosses the ABI.
//
// Build plugins with hidden symbol visibility (the ferry_add_plugin() CMake helper does) so that
// two plugins never share this header's inline state.
#ifndef FERRY_PLUGIN_HPP
#define FERRY_PLUGIN_HPP

#include <ferry/ferry_plugin.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace ferry::sdk {

inline ferry_str to_c(std::string_view text) { return ferry_str{text.data(), text.size()}; }
inline std::string_view to_view(ferry_str text) {
    return text.ptr ? std::string_view(text.ptr, text.len) : std::string_view();
}

// ---------------------------------------------------------------------------------------------
// Errors: throw one of these from a hook; the boundary turns it into the status and text.
// ---------------------------------------------------------------------------------------------

class error : public std::runtime_error {
public:
    error(ferry_status status, const std::string& message, uint64_t delay_ms = 0)
        : std::runtime_error(message), status_(status), delay_ms_(delay_ms) {}
    ferry_status status() const noexcept { return status_; }
    uint64_t delay_ms() const noexcept { return delay_ms_; }

private:
    ferry_status status_;
    uint64_t delay_ms_;
};

struct retry_error : error {
    explicit retry_error(const std::string& message, uint64_t delay_ms = 0)
        : error(FERRY_RETRY, message, delay_ms) {}
};
struct throttled_error : error {
    throttled_error(const std::string& message, uint64_t retry_after_ms)
        : error(FERRY_THROTTLED, message, retry_after_ms) {}
};
struct reject_error : error {
    explicit reject_error(const std::string& message) : error(FERRY_REJECT, message) {}
};
struct fatal_error : error {
    explicit fatal_error(const std::string& message) : error(FERRY_FATAL, message) {}
};
struct unauthorized_error : error {
    explicit unauthorized_error(const std::string& message) : error(FERRY_UNAUTHORIZED, message) {}
};
// A config that its schema allows but that cannot work; `pointer` names the value ("/expr") and
// `offset` the byte inside it, so that `ferry validate` shows the line:column in the manifest.
struct config_error : error {
    config_error(const std::string& message, std::string pointer, uint32_t offset = 0)
        : error(FERRY_FATAL, message), pointer(std::move(pointer)), offset(offset) {}
    std::string pointer;
    uint32_t offset;
};

namespace detail {
// The host's service table, kept from ferry_plugin_entry until unload.
inline const ferry_host_api* host = nullptr;
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

// A record as views: borrowed when the host passes it in, copied by the host when emitted.
struct record {
    std::string_view stream;
    std::string_view key;
    int64_t version = 0;
    std::string_view payload;
    std::string_view meta;
    std::string_view event_id;

    static record from_c(const ferry_record& in) {
        record out;
        out.stream = to_view(in.stream);
        out.key = to_view(in.key);
        out.version = in.version;
        out.payload = to_view(in.payload);
        out.meta = to_view(in.meta);
        // Fields appended after 1.0 must be read only when in.struct_size covers them.
        out.event_id = to_view(in.event_id);
        return out;
    }
    ferry_record to_c() const {
        ferry_record out{};
        out.struct_size = sizeof(ferry_record);
        out.stream = sdk::to_c(stream);
        out.key = sdk::to_c(key);
        out.version = version;
        out.payload = sdk::to_c(payload);
        out.meta = sdk::to_c(meta);
        out.event_id = sdk::to_c(event_id);
        return out;
    }
};

// One attempt to deliver a record to a sink.
struct delivery {
    record rec;
    std::string_view idempotency_key;
    uint32_t attempt = 1;

    static delivery from_c(const ferry_delivery& in) {
        return delivery{record::from_c(*in.record), to_view(in.idempotency_key), in.attempt};
    }
};

// An inbound webhook request.
class webhook_request {
public:
    explicit webhook_request(const ferry_webhook& in) : in_(in) {}
    std::string_view method() const { return to_view(in_.method); }
    std::string_view path() const { return to_view(in_.path); }
    std::string_view body() const { return to_view(in_.body); }
    // The first header of that name, compared without regard to case.
    std::optional<std::string_view> header(std::string_view name) const {
        for (size_t i = 0; i < in_.header_count; ++i) {
            if (iequals(to_view(in_.headers[i].name), name)) return to_view(in_.headers[i].value);
        }
        return std::nullopt;
    }

    static bool iequals(std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i) {
            char x = a[i], y = b[i];
            if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
            if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
            if (x != y) return false;
        }
        return true;
    }

private:
    const ferry_webhook& in_;
};

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

struct http_request {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    uint32_t timeout_ms = 0;
    double cost = 0;  // rate budget units it spends (see context::rate_report)
};

struct http_response {
    int status = 0;  // 0: transport failure, see error
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string error;

    std::optional<std::string_view> header(std::string_view name) const {
        for (const auto& [key, value] : headers) {
            if (webhook_request::iequals(key, name)) return std::string_view(value);
        }
        return std::nullopt;
    }
};

enum class log_level : int32_t {
    trace = FERRY_LOG_TRACE,
    debug = FERRY_LOG_DEBUG,
    info = FERRY_LOG_INFO,
    warn = FERRY_LOG_WARN,
    error = FERRY_LOG_ERROR,
};

// The services of the host, as seen by one component instance (or by the plugin in init).
class context {
public:
    explicit context(ferry_scope* scope) : scope_(scope) {}

    void log(log_level level, std::string_view message) const {
        detail::host->log(scope_, static_cast<int32_t>(level), to_c(message));
    }
    bool log_enabled(log_level level) const {
        return detail::host->log_enabled(scope_, static_cast<int32_t>(level));
    }
    void debug(std::string_view message) const { log(log_level::debug, message); }
    void info(std::string_view message) const { log(log_level::info, message); }
    void warn(std::string_view message) const { log(log_level::warn, message); }

    // Sends a request through the host's client. A transport failure comes back as status 0 with
    // `error` set, unless `throw_on_transport_error`, which throws retry_error or fatal_error.
    http_response http(const http_request& request, bool throw_on_transport_error = true) const {
        std::vector<ferry_header> headers;
        headers.reserve(request.headers.size());
        for (const auto& [name, value] : request.headers) headers.push_back({to_c(name), to_c(value)});
        ferry_http_request in{};
        in.struct_size = sizeof(in);
        in.method = to_c(request.method);
        in.url = to_c(request.url);
        in.headers = headers.data();
        in.header_count = headers.size();
        in.body = to_c(request.body);
        in.timeout_ms = request.timeout_ms;
        in.cost = request.cost;
        const ferry_http_response* raw = nullptr;
        ferry_status status = detail::host->http_send(scope_, &in, &raw);
        http_response out;
        if (raw) {
            out.status = raw->status;
            for (size_t i = 0; i < raw->header_count; ++i) {
                out.headers.emplace_back(to_view(raw->headers[i].name), to_view(raw->headers[i].value));
            }
            out.body = to_view(raw->body);
            out.error = to_view(raw->error);
            detail::host->http_release(scope_, raw);
        }
        if (status != FERRY_OK && throw_on_transport_error) {
            throw error(status == FERRY_FATAL ? FERRY_FATAL : FERRY_RETRY,
                        request.method + " " + request.url + ": " + out.error);
        }
        return out;
    }

    void rate_report(double available, double capacity, double restore_per_second) const {
        detail::host->rate_report(scope_, available, capacity, restore_per_second);
    }

    std::optional<std::string> state_get(std::string_view key) const {
        const ferry_value* value = nullptr;
        check(detail::host->state_get(scope_, to_c(key), &value), "state_get");
        if (!value) return std::nullopt;
        std::string out(to_view(value->data));
        detail::host->value_release(scope_, value);
        return out;
    }
    void state_put(std::string_view key, std::string_view value) const {
        check(detail::host->state_put(scope_, to_c(key), to_c(value)), "state_put");
    }
    void state_delete(std::string_view key) const {
        check(detail::host->state_delete(scope_, to_c(key)), "state_delete");
    }

    void counter_add(std::string_view name, double delta = 1) const {
        detail::host->metric(scope_, FERRY_METRIC_COUNTER, to_c(name), delta);
    }
    void gauge_set(std::string_view name, double value) const {
        detail::host->metric(scope_, FERRY_METRIC_GAUGE, to_c(name), value);
    }
    void observe(std::string_view name, double value) const {
        detail::host->metric(scope_, FERRY_METRIC_HISTOGRAM, to_c(name), value);
    }

    int64_t now_unix_ms() const { return detail::host->now_unix_ms(scope_); }
    int64_t monotonic_ns() const { return detail::host->monotonic_ns(scope_); }

    ferry_scope* raw() const { return scope_; }

private:
    static void check(ferry_status status, const char* what) {
        if (status != FERRY_OK) throw error(status, std::string("host ") + what + " failed");
    }
    ferry_scope* scope_;
};

// The outputs of one hook call.
class call {
public:
    explicit call(ferry_call* raw) : raw_(raw) {}

    void emit(const record& out) {
        ferry_record c = out.to_c();
        ferry_status status = detail::host->emit(raw_, &c);
        if (status != FERRY_OK) throw error(status, "the host refused an emitted record");
    }
    void set_target_id(std::string_view id) { detail::host->set_target_id(raw_, to_c(id)); }
    void set_cursor(std::string_view cursor) { detail::host->set_cursor(raw_, to_c(cursor)); }
    void set_item_result(size_t index, ferry_status status, std::string_view text = {},
                         std::string_view target_id = {}) {
        detail::host->set_item_result(raw_, index, status, to_c(text), to_c(target_id));
    }
    ferry_call* raw() const { return raw_; }

private:
    ferry_call* raw_;
};

// What a component's constructor receives.
struct create_args {
    sdk::context context;
    std::string_view connection;
    std::string_view connection_config;  // JSON object
    std::string_view config;             // JSON object
    std::string_view pipeline;
};

// ---------------------------------------------------------------------------------------------
// Component kinds: derive from one of these.
// ---------------------------------------------------------------------------------------------

// A source implements `void webhook(const webhook_request&, call&)` (capability webhook) and/or
// `void poll(std::string_view cursor, call&)` (capability poll).
struct source {
    static constexpr int32_t kind = FERRY_KIND_SOURCE;
};
// Any component may also implement `static void check_config(std::string_view config)`, throwing
// config_error for a config its schema allows but that cannot work; `ferry validate` calls it.
// A transform implements `void process(const record&, call&)`.
struct transform {
    static constexpr int32_t kind = FERRY_KIND_TRANSFORM;
};
// A sink implements `void write(const delivery&, call&)`, and with the matching capabilities
// `void lookup(const delivery&, call&)` and `void write_batch(const std::vector<delivery>&, call&)`.
struct sink {
    static constexpr int32_t kind = FERRY_KIND_SINK;
};

template <class... Components>
struct components {};

namespace detail {

inline void set_error(ferry_call* c, std::string_view text) {
    if (c) host->set_error(c, to_c(text));
}

// Runs a hook body, turning every exception into a status with text. `unexpected` is the status
// for exceptions that are not ferry::sdk::error (a bug in the plugin, or bad data it met).
template <class Body>
ferry_status guarded(ferry_call* c, ferry_status unexpected, Body&& body) noexcept {
    try {
        body();
        return FERRY_OK;
    } catch (const config_error& e) {
        set_error(c, e.what());
        if (c) host->set_error_location(c, to_c(e.pointer), e.offset);
        return e.status();
    } catch (const error& e) {
        set_error(c, e.what());
        if (e.delay_ms() && c) host->set_delay_ms(c, e.delay_ms());
        return e.status();
    } catch (const std::exception& e) {
        set_error(c, e.what());
        return unexpected;
    } catch (...) {
        set_error(c, "unknown exception in plugin");
        return unexpected;
    }
}

template <class T, class = void>
struct has_config_schema : std::false_type {};
template <class T>
struct has_config_schema<T, std::void_t<decltype(T::config_schema)>> : std::true_type {};

template <class T, class = void>
struct has_check_config : std::false_type {};
template <class T>
struct has_check_config<T, std::void_t<decltype(T::check_config(std::string_view()))>> : std::true_type {};

template <class T, class = void>
struct has_capabilities : std::false_type {};
template <class T>
struct has_capabilities<T, std::void_t<decltype(T::capabilities)>> : std::true_type {};

template <class T, class = void>
struct has_connection_schema : std::false_type {};
template <class T>
struct has_connection_schema<T, std::void_t<decltype(T::connection_schema)>> : std::true_type {};

template <class T, class = void>
struct has_init : std::false_type {};
template <class T>
struct has_init<T, std::void_t<decltype(T::init(std::declval<context>()))>> : std::true_type {};

template <class T, class = void>
struct has_shutdown : std::false_type {};
template <class T>
struct has_shutdown<T, std::void_t<decltype(T::shutdown())>> : std::true_type {};

template <class T, class = void>
struct has_abi_minor_min : std::false_type {};
template <class T>
struct has_abi_minor_min<T, std::void_t<decltype(T::abi_minor_min)>> : std::true_type {};

template <class T>
constexpr uint32_t capabilities_of() {
    if constexpr (has_capabilities<T>::value) return T::capabilities;
    return 0;
}

template <class T>
ferry_status create(const ferry_create_args* args, ferry_call* c, void** instance) {
    return guarded(c, FERRY_FATAL, [&] {
        create_args in{context(args->scope), to_view(args->connection), to_view(args->connection_config),
                       to_view(args->config), to_view(args->pipeline)};
        *instance = new T(in);
    });
}

template <class T>
ferry_status check_config(const ferry_create_args* args, ferry_call* c) {
    return guarded(c, FERRY_FATAL, [&] { T::check_config(to_view(args->config)); });
}

template <class T>
void destroy(void* instance) {
    delete static_cast<T*>(instance);
}

template <class T>
ferry_status webhook(void* instance, const ferry_webhook* request, ferry_call* c) {
    return guarded(c, FERRY_REJECT, [&] {
        call out(c);
        static_cast<T*>(instance)->webhook(webhook_request(*request), out);
    });
}

template <class T>
ferry_status poll(void* instance, ferry_str cursor, ferry_call* c) {
    return guarded(c, FERRY_RETRY, [&] {
        call out(c);
        static_cast<T*>(instance)->poll(to_view(cursor), out);
    });
}

template <class T>
ferry_status process(void* instance, const ferry_record* in, ferry_call* c) {
    return guarded(c, FERRY_REJECT, [&] {
        call out(c);
        static_cast<T*>(instance)->process(record::from_c(*in), out);
    });
}

template <class T>
ferry_status write(void* instance, const ferry_delivery* in, ferry_call* c) {
    return guarded(c, FERRY_REJECT, [&] {
        call out(c);
        static_cast<T*>(instance)->write(delivery::from_c(*in), out);
    });
}

template <class T>
ferry_status lookup(void* instance, const ferry_delivery* in, ferry_call* c) {
    return guarded(c, FERRY_RETRY, [&] {
        call out(c);
        static_cast<T*>(instance)->lookup(delivery::from_c(*in), out);
    });
}

template <class T>
ferry_status write_batch(void* instance, const ferry_delivery* const* in, size_t count, ferry_call* c) {
    return guarded(c, FERRY_REJECT, [&] {
        std::vector<delivery> batch;
        batch.reserve(count);
        for (size_t i = 0; i < count; ++i) batch.push_back(delivery::from_c(*in[i]));
        call out(c);
        static_cast<T*>(instance)->write_batch(batch, out);
    });
}

template <class T>
const ferry_component* component_descriptor() {
    static const ferry_component descriptor = [] {
        static_assert(std::is_base_of_v<source, T> || std::is_base_of_v<transform, T> ||
                          std::is_base_of_v<sink, T>,
                      "a component derives from ferry::sdk::source, transform or sink");
        constexpr uint32_t caps = capabilities_of<T>();
        ferry_component d{};
        d.struct_size = sizeof(d);
        d.kind = T::kind;
        d.name = T::name;
        d.description = T::description;
        d.streams = T::streams;
        d.stream_count = sizeof(T::streams) / sizeof(T::streams[0]);
        if constexpr (has_config_schema<T>::value) d.config_schema = T::config_schema;
        d.capabilities = caps;
        d.create = &create<T>;
        d.destroy = &destroy<T>;
        if constexpr (has_check_config<T>::value) d.check_config = &check_config<T>;
        if constexpr (std::is_base_of_v<source, T>) {
            if constexpr ((caps & FERRY_CAP_WEBHOOK) != 0) d.webhook = &webhook<T>;
            if constexpr ((caps & FERRY_CAP_POLL) != 0) d.poll = &poll<T>;
        } else if constexpr (std::is_base_of_v<transform, T>) {
            d.transform = &process<T>;
        } else {
            d.write = &write<T>;
            if constexpr ((caps & FERRY_CAP_LOOKUP) != 0) d.lookup = &lookup<T>;
            if constexpr ((caps & FERRY_CAP_BATCH) != 0) d.write_batch = &write_batch<T>;
        }
        return d;
    }();
    return &descriptor;
}

template <class P>
ferry_status plugin_init(ferry_scope* scope, ferry_call* c) {
    return guarded(c, FERRY_FATAL, [&] { P::init(context(scope)); });
}

template <class P>
void plugin_shutdown() {
    try {
        P::shutdown();
    } catch (...) {
        // Nothing may cross the boundary; the host is unloading the plugin anyway.
    }
}

template <class P, class... Cs>
const ferry_plugin* make_plugin(const ferry_host_api* api, components<Cs...>) {
    if (!api || api->abi_major != FERRY_ABI_MAJOR) return nullptr;
    host = api;
    static const ferry_component* const list[] = {component_descriptor<Cs>()...};
    static const ferry_plugin descriptor = [] {
        ferry_plugin d{};
        d.struct_size = sizeof(d);
        d.abi_major = FERRY_ABI_MAJOR;
        if constexpr (has_abi_minor_min<P>::value) d.abi_minor_min = P::abi_minor_min;
        d.name = P::name;
        d.version = P::version;
        d.description = P::description;
        if constexpr (has_connection_schema<P>::value) d.connection_schema = P::connection_schema;
        d.components = list;
        d.component_count = sizeof...(Cs);
        if constexpr (has_init<P>::value) d.init = &plugin_init<P>;
        if constexpr (has_shutdown<P>::value) d.shutdown = &plugin_shutdown<P>;
        return d;
    }();
    return &descriptor;
}

}  // namespace detail
}  // namespace ferry::sdk

// Exports the plugin described by class PLUGIN (name, version, description, components, and
// optionally connection_schema, abi_minor_min, static init(context) and static shutdown()).
#define FERRY_PLUGIN(PLUGIN)                                                                      \
    extern "C" FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) { \
        return ::ferry::sdk::detail::make_plugin<PLUGIN>(host, PLUGIN::components{});    \
    }

#endif  // FERRY_PLUGIN_HPP
