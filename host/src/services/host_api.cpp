#include "services/host_api.hpp"

#include "services/logging.hpp"

#include <chrono>

namespace ferry::host {

namespace {

// A value handed to a plugin: the C struct first, so that the pointer the plugin returns to
// value_release is the pointer of the whole object.
struct owned_value {
    ferry_value c{};
    std::string data;
};

struct owned_response {
    ferry_http_response c{};
    std::vector<ferry_header> headers;
    std::string body;
    std::string error;
};

constexpr char state_separator = '\x1f';

// The C table's entries: each forwards to the call or to the scope's services.
ferry_status api_emit(ferry_call* call, const ferry_record* record) { return call_context::from(call).emit(record); }
void api_set_error(ferry_call* call, ferry_str text) { call_context::from(call).set_error(view(text)); }
void api_set_delay_ms(ferry_call* call, uint64_t delay) { call_context::from(call).set_delay_ms(delay); }
void api_set_target_id(ferry_call* call, ferry_str id) { call_context::from(call).set_target_id(view(id)); }
void api_set_cursor(ferry_call* call, ferry_str cursor) { call_context::from(call).set_cursor(view(cursor)); }
void api_set_item_result(ferry_call* call, size_t index, ferry_status status, ferry_str text, ferry_str target) {
    call_context::from(call).set_item_result(index, status, view(text), view(target));
}

void api_set_error_location(ferry_call* call, ferry_str pointer, uint32_t offset) {
    call_context::from(call).set_error_location(view(pointer), offset);
}

host_services& services_of(ferry_scope* scope) { return *scope_context::from(scope).services; }

void api_log(ferry_scope* scope, int32_t level, ferry_str message) {
    services_of(scope).log(scope_context::from(scope), level, view(message));
}
bool api_log_enabled(ferry_scope* scope, int32_t level) {
    return services_of(scope).log_enabled(scope_context::from(scope), level);
}
ferry_status api_http_send(ferry_scope* scope, const ferry_http_request* request,
                           const ferry_http_response** response) {
    ferry_http_request in;
    if (!read_sized(request, sizeof(ferry_http_request), in)) {
        auto* out = new owned_response;
        out->error = "http_send: request struct_size too small";
        out->c.struct_size = sizeof(ferry_http_response);
        out->c.error = c_str(out->error);
        *response = &out->c;
        return FERRY_FATAL;
    }
    return services_of(scope).http_send(scope_context::from(scope), in, response);
}
void api_http_release(ferry_scope* scope, const ferry_http_response* response) {
    services_of(scope).http_release(scope_context::from(scope), response);
}
void api_rate_report(ferry_scope* scope, double available, double capacity, double restore) {
    services_of(scope).rate_report(scope_context::from(scope), available, capacity, restore);
}
ferry_status api_state_get(ferry_scope* scope, ferry_str key, const ferry_value** value) {
    *value = nullptr;
    std::optional<std::string> found = services_of(scope).state_get(scope_context::from(scope), view(key));
    if (found) {
        auto* out = new owned_value;
        out->data = std::move(*found);
        out->c.struct_size = sizeof(ferry_value);
        out->c.data = c_str(out->data);
        *value = &out->c;
    }
    return FERRY_OK;
}
ferry_status api_state_put(ferry_scope* scope, ferry_str key, ferry_str value) {
    return services_of(scope).state_put(scope_context::from(scope), view(key), view(value));
}
ferry_status api_state_delete(ferry_scope* scope, ferry_str key) {
    return services_of(scope).state_delete(scope_context::from(scope), view(key));
}
void api_value_release(ferry_scope*, const ferry_value* value) {
    delete reinterpret_cast<const owned_value*>(value);
}
void api_metric(ferry_scope* scope, int32_t kind, ferry_str name, double value) {
    services_of(scope).metric(scope_context::from(scope), kind, view(name), value);
}
int64_t api_now_unix_ms(ferry_scope* scope) { return services_of(scope).now_unix_ms(); }
int64_t api_monotonic_ns(ferry_scope* scope) { return services_of(scope).monotonic_ns(); }

}  // namespace

ferry_record owned_record::view() const {
    ferry_record out{};
    out.struct_size = sizeof(ferry_record);
    out.stream = c_str(stream);
    out.key = c_str(key);
    out.version = version;
    out.payload = c_str(payload);
    out.meta = c_str(meta);
    out.event_id = c_str(event_id);
    return out;
}

void call_context::reset(call_kind kind, const ferry_record* input, size_t batch_size) {
    kind_ = kind;
    input_ = input;
    emitted_ = 0;
    error_.clear();
    delay_ms_ = 0;
    target_id_.reset();
    cursor_.reset();
    items_.clear();
    items_.resize(batch_size);
    location_.reset();
}

ferry_status call_context::emit(const ferry_record* record) {
    if (kind_ == call_kind::init || kind_ == call_kind::create || kind_ == call_kind::check) {
        error_ = "emit is not allowed during init, create or check_config";
        return FERRY_REJECT;
    }
    if (!record || record->struct_size < record_size_v1_0) {
        error_ = "emitted record has struct_size smaller than the ABI 1.0 ferry_record";
        return FERRY_REJECT;
    }
    // The 1.0 layout is complete; fields appended later would be read here only when
    // record->struct_size covers them.
    if (emitted_ == records_.size()) records_.emplace_back();
    owned_record& out = records_[emitted_];
    // A transform's output inherits what it leaves empty from its input.
    const bool inherit = kind_ == call_kind::transform && input_;
    auto pick = [&](ferry_str own, ferry_str inherited) {
        return (own.len == 0 && inherit) ? view(inherited) : view(own);
    };
    out.stream.assign(pick(record->stream, inherit ? input_->stream : ferry_str{}));
    out.key.assign(pick(record->key, inherit ? input_->key : ferry_str{}));
    out.version = (record->version == 0 && inherit) ? input_->version : record->version;
    out.payload.assign(view(record->payload));
    out.meta.assign(pick(record->meta, inherit ? input_->meta : ferry_str{}));
    out.event_id.assign(pick(record->event_id, inherit ? input_->event_id : ferry_str{}));
    if (out.stream.empty() || out.key.empty()) {
        error_ = "emitted record has no stream or key";
        return FERRY_REJECT;
    }
    ++emitted_;
    return FERRY_OK;
}

void call_context::set_target_id(std::string_view id) { target_id_.emplace(id); }
void call_context::set_cursor(std::string_view cursor) { cursor_.emplace(cursor); }

void call_context::set_item_result(size_t index, ferry_status status, std::string_view text,
                                   std::string_view target) {
    if (index >= items_.size()) return;  // out of range: ignored, the batch status applies
    items_[index] = item_result{status, std::string(text), std::string(target), true};
}

std::string scope_context::label() const {
    std::string out = plugin;
    if (!component.empty()) out += "." + component;
    if (!connection.empty()) out += "[" + connection + "]";
    return out;
}

host_services::host_services() {
    api_.struct_size = sizeof(ferry_host_api);
    api_.abi_major = FERRY_ABI_MAJOR;
    api_.abi_minor = FERRY_ABI_MINOR;
    api_.host_version = FERRY_VERSION;
    api_.emit = api_emit;
    api_.set_error = api_set_error;
    api_.set_delay_ms = api_set_delay_ms;
    api_.set_target_id = api_set_target_id;
    api_.set_cursor = api_set_cursor;
    api_.set_item_result = api_set_item_result;
    api_.set_error_location = api_set_error_location;
    api_.log = api_log;
    api_.log_enabled = api_log_enabled;
    api_.http_send = api_http_send;
    api_.http_release = api_http_release;
    api_.rate_report = api_rate_report;
    api_.state_get = api_state_get;
    api_.state_put = api_state_put;
    api_.state_delete = api_state_delete;
    api_.value_release = api_value_release;
    api_.metric = api_metric;
    api_.now_unix_ms = api_now_unix_ms;
    api_.monotonic_ns = api_monotonic_ns;
}

void host_services::log(scope_context& scope, int32_t level, std::string_view message) {
    log_plugin_message(scope.label(), level, redact(scope.connection, std::string(message)));
}

bool host_services::log_enabled(scope_context&, int32_t level) { return plugin_log_enabled(level); }

ferry_status host_services::http_send(scope_context&, const ferry_http_request&,
                                      const ferry_http_response** response) {
    auto* out = new owned_response;
    out->error = "HTTP is not available in this host: it is provided by the engine";
    out->c.struct_size = sizeof(ferry_http_response);
    out->c.error = c_str(out->error);
    *response = &out->c;
    return FERRY_FATAL;
}

void host_services::http_release(scope_context&, const ferry_http_response* response) {
    delete reinterpret_cast<const owned_response*>(response);
}

void host_services::rate_report(scope_context&, double, double, double) {}

std::optional<std::string> host_services::state_get(scope_context& scope, std::string_view key) {
    std::string full = scope.connection + state_separator + std::string(key);
    std::lock_guard lock(mutex_);
    auto it = state_.find(full);
    if (it == state_.end()) return std::nullopt;
    return it->second;
}

ferry_status host_services::state_put(scope_context& scope, std::string_view key, std::string_view value) {
    std::string full = scope.connection + state_separator + std::string(key);
    std::lock_guard lock(mutex_);
    state_[full] = std::string(value);
    return FERRY_OK;
}

ferry_status host_services::state_delete(scope_context& scope, std::string_view key) {
    std::string full = scope.connection + state_separator + std::string(key);
    std::lock_guard lock(mutex_);
    state_.erase(full);
    return FERRY_OK;
}

void host_services::metric(scope_context& scope, int32_t kind, std::string_view name, double value) {
    std::string full = std::string(name) + "{" + scope.connection + "}";
    std::lock_guard lock(mutex_);
    if (kind == FERRY_METRIC_GAUGE) {
        metrics_[full] = value;
    } else {
        metrics_[full] += value;
    }
}

std::map<std::string, double> host_services::metrics_snapshot() const {
    std::lock_guard lock(mutex_);
    return metrics_;
}

int64_t host_services::now_unix_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string host_services::redact(const std::string&, std::string text) const { return text; }

int64_t host_services::monotonic_ns() {
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace ferry::host
