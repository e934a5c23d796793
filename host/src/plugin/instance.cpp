#include "plugin/instance.hpp"

namespace ferry::host {

std::string_view status_name(ferry_status status) {
    switch (status) {
        case FERRY_OK: return "ok";
        case FERRY_RETRY: return "retry";
        case FERRY_THROTTLED: return "throttled";
        case FERRY_REJECT: return "reject";
        case FERRY_FATAL: return "fatal";
        case FERRY_UNAUTHORIZED: return "unauthorized";
        default: return "unknown status";
    }
}

component_instance::component_instance(const component_info& component, host_services& services,
                                       const instance_settings& settings)
    : component_(component) {
    scope_.services = &services;
    scope_.plugin = component.plugin;
    scope_.component = component.name;
    scope_.connection = settings.connection;
    scope_.pipeline = settings.pipeline;
}

std::unique_ptr<component_instance> component_instance::create(const component_info& component, host_services& services,
                                                               const instance_settings& settings, std::string& error) {
    std::unique_ptr<component_instance> out(new component_instance(component, services, settings));
    ferry_create_args args{};
    args.struct_size = sizeof(args);
    args.scope = out->scope_.handle();
    args.connection = c_str(settings.connection);
    args.connection_config = c_str(settings.connection_config);
    args.config = c_str(settings.config);
    args.pipeline = c_str(settings.pipeline);
    call_context call(call_kind::create);
    ferry_status status = component.hooks.create(&args, call.handle(), &out->instance_);
    if (status != FERRY_OK) {
        error = component.qualified_name() + ": create failed (" + std::string(status_name(status)) + "): " +
                (call.error().empty() ? "no message" : call.error());
        out->instance_ = nullptr;
        return nullptr;
    }
    return out;
}

component_instance::~component_instance() {
    if (instance_) component_.hooks.destroy(instance_);
}

template <class Hook>
ferry_status component_instance::invoke(Hook&& hook) {
    if (component_.has(FERRY_CAP_SINGLE_THREADED)) {
        std::lock_guard lock(serial_);
        return hook();
    }
    return hook();
}

ferry_status component_instance::transform(const ferry_record& record, call_context& call) {
    call.reset(call_kind::transform, &record);
    return invoke([&] { return component_.hooks.transform(instance_, &record, call.handle()); });
}

ferry_status component_instance::write(const ferry_delivery& delivery, call_context& call) {
    call.reset(call_kind::write);
    return invoke([&] { return component_.hooks.write(instance_, &delivery, call.handle()); });
}

ferry_status component_instance::lookup(const ferry_delivery& delivery, call_context& call) {
    call.reset(call_kind::lookup);
    if (!component_.hooks.lookup) return FERRY_OK;  // no lookup: nothing found
    return invoke([&] { return component_.hooks.lookup(instance_, &delivery, call.handle()); });
}

ferry_status component_instance::write_batch(const ferry_delivery* const* deliveries, size_t count,
                                              call_context& call) {
    call.reset(call_kind::write_batch, nullptr, count);
    if (!component_.hooks.write_batch) {
        call.set_error(component_.qualified_name() + " has no write_batch hook");
        return FERRY_FATAL;
    }
    return invoke([&] { return component_.hooks.write_batch(instance_, deliveries, count, call.handle()); });
}

ferry_status component_instance::webhook(const ferry_webhook& request, call_context& call) {
    call.reset(call_kind::webhook);
    return invoke([&] { return component_.hooks.webhook(instance_, &request, call.handle()); });
}

ferry_status component_instance::poll(std::string_view cursor, call_context& call) {
    call.reset(call_kind::poll);
    return invoke([&] { return component_.hooks.poll(instance_, c_str(cursor), call.handle()); });
}

}  // namespace ferry::host
