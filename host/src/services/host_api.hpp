// The host side of ferry_host_api: the objects behind the opaque ferry_call and ferry_scope
// handles, and the service backends the C function table forwards to.
#pragma once

#include <ferry/ferry_plugin.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::host {

inline std::string_view view(ferry_str text) {
    return text.ptr ? std::string_view(text.ptr, text.len) : std::string_view();
}
inline ferry_str c_str(std::string_view text) { return ferry_str{text.data(), text.size()}; }

// Reads a struct a plugin filled: copies the bytes it declared (at most what the host knows),
// zero-fills the rest. Returns false if it declared fewer than `minimum` bytes.
template <class T>
bool read_sized(const T* in, size_t minimum, T& out) {
    out = T{};
    if (!in || in->struct_size < minimum) return false;
    size_t n = in->struct_size < sizeof(T) ? in->struct_size : sizeof(T);
    __builtin_memcpy(static_cast<void*>(&out), in, n);
    out.struct_size = static_cast<uint32_t>(sizeof(T));
    return true;
}

// The size of the 1.0 layout of ferry_record: the least a plugin may pass.
constexpr size_t record_size_v1_0 = offsetof(ferry_record, event_id) + sizeof(ferry_str);

struct owned_record {
    std::string stream;
    std::string key;
    int64_t version = 0;
    std::string payload;
    std::string meta;
    std::string event_id;

    // A view valid while this record is alive and unchanged.
    ferry_record view() const;
};

enum class call_kind { init, create, check, webhook, poll, transform, write, lookup, write_batch };

// Where in a component's config an error is (set_error_location).
struct config_location {
    std::string pointer;
    uint32_t offset = 0;
};

struct item_result {
    ferry_status status = FERRY_OK;
    std::string text;
    std::string target_id;
    bool set = false;  // the plugin reported this item (set_item_result)
};

// What a plugin hands back through one ferry_call. Reused across calls to keep the record path free
// of allocations: reset() keeps the capacity of every buffer.
class call_context {
public:
    explicit call_context(call_kind kind = call_kind::transform) : kind_(kind) {}

    // Starts a new call. `input` is the record being transformed (empty fields of emitted records
    // inherit from it), or null.
    void reset(call_kind kind, const ferry_record* input = nullptr, size_t batch_size = 0);

    ferry_call* handle() { return reinterpret_cast<ferry_call*>(this); }
    static call_context& from(ferry_call* call) { return *reinterpret_cast<call_context*>(call); }

    call_kind kind() const { return kind_; }
    // The records emitted in this call: the first emitted_count() of records().
    size_t emitted_count() const { return emitted_; }
    const std::vector<owned_record>& records() const { return records_; }
    const std::string& error() const { return error_; }
    uint64_t delay_ms() const { return delay_ms_; }
    const std::optional<std::string>& target_id() const { return target_id_; }
    const std::optional<std::string>& cursor() const { return cursor_; }
    const std::vector<item_result>& items() const { return items_; }

    // The ferry_host_api entries that write into a call.
    ferry_status emit(const ferry_record* record);
    void set_error(std::string_view text) { error_.assign(text); }
    void set_delay_ms(uint64_t delay) { delay_ms_ = delay; }
    void set_target_id(std::string_view id);
    void set_cursor(std::string_view cursor);
    void set_item_result(size_t index, ferry_status status, std::string_view text, std::string_view target);
    void set_error_location(std::string_view pointer, uint32_t offset) { location_ = config_location{std::string(pointer), offset}; }
    const std::optional<config_location>& error_location() const { return location_; }

private:
    call_kind kind_;
    const ferry_record* input_ = nullptr;
    std::vector<owned_record> records_;
    size_t emitted_ = 0;
    std::string error_;
    uint64_t delay_ms_ = 0;
    std::optional<std::string> target_id_;
    std::optional<std::string> cursor_;
    std::vector<item_result> items_;
    std::optional<config_location> location_;
};

class host_services;

// Who is calling: a plugin (init) or one component instance. Behind ferry_scope.
struct scope_context {
    host_services* services = nullptr;
    std::string plugin;
    std::string component;   // empty for the plugin itself
    std::string connection;  // empty for transforms and for the plugin itself
    std::string pipeline;

    ferry_scope* handle() { return reinterpret_cast<ferry_scope*>(this); }
    static scope_context& from(ferry_scope* scope) { return *reinterpret_cast<scope_context*>(scope); }
    // "plugin.component[connection]" for logs.
    std::string label() const;
};

// The services plugins reach through ferry_host_api. This base class implements what the host can
// offer without an engine: logging, an in-memory state, a metrics tally and the real clock. The
// engine derives from it to add HTTP and durable state.
class host_services {
public:
    host_services();
    virtual ~host_services() = default;
    host_services(const host_services&) = delete;
    host_services& operator=(const host_services&) = delete;

    // The C table bound to these services. Valid as long as this object.
    const ferry_host_api* api() const { return &api_; }

    virtual void log(scope_context& scope, int32_t level, std::string_view message);
    virtual bool log_enabled(scope_context& scope, int32_t level);
    virtual ferry_status http_send(scope_context& scope, const ferry_http_request& request,
                                   const ferry_http_response** response);
    virtual void http_release(scope_context& scope, const ferry_http_response* response);
    virtual void rate_report(scope_context& scope, double available, double capacity, double restore);
    virtual std::optional<std::string> state_get(scope_context& scope, std::string_view key);
    virtual ferry_status state_put(scope_context& scope, std::string_view key, std::string_view value);
    virtual ferry_status state_delete(scope_context& scope, std::string_view key);
    virtual void metric(scope_context& scope, int32_t kind, std::string_view name, double value);
    virtual int64_t now_unix_ms();
    virtual int64_t monotonic_ns();
    // Removes the secrets of `connection` from a text that came from a plugin (an error, a log
    // line) before it is kept or shown. The base class knows no secrets.
    virtual std::string redact(const std::string& connection, std::string text) const;

    // The tally of plugin metrics, "name{connection}" to value (histograms: the sum).
    std::map<std::string, double> metrics_snapshot() const;

private:
    ferry_host_api api_{};
    mutable std::mutex mutex_;
    std::map<std::string, std::string, std::less<>> state_;  // "connection\x1fkey" to value
    std::map<std::string, double> metrics_;
};

}  // namespace ferry::host
