// One live instance of a component: created with its config, called through the ABI, destroyed
// when this object goes. Serialises calls when the component declares itself single-threaded.
#pragma once

#include "plugin/registry.hpp"
#include "services/host_api.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace ferry::host {

struct instance_settings {
    std::string connection;
    std::string connection_config = "{}";
    std::string config = "{}";
    std::string pipeline;
};

class component_instance {
public:
    // Creates the instance. On failure returns null and describes why in `error`.
    static std::unique_ptr<component_instance> create(const component_info& component, host_services& services,
                                                      const instance_settings& settings, std::string& error);
    ~component_instance();
    component_instance(const component_instance&) = delete;
    component_instance& operator=(const component_instance&) = delete;

    const component_info& component() const { return component_; }

    // Each runs one hook; outputs land in `call`, which is reset first.
    ferry_status transform(const ferry_record& record, call_context& call);
    ferry_status write(const ferry_delivery& delivery, call_context& call);
    ferry_status lookup(const ferry_delivery& delivery, call_context& call);
    // Needs FERRY_CAP_BATCH. `call` is sized for `count` item results (set_item_result).
    ferry_status write_batch(const ferry_delivery* const* deliveries, size_t count, call_context& call);
    ferry_status webhook(const ferry_webhook& request, call_context& call);
    ferry_status poll(std::string_view cursor, call_context& call);

private:
    component_instance(const component_info& component, host_services& services, const instance_settings& settings);
    template <class Hook>
    ferry_status invoke(Hook&& hook);

    const component_info& component_;
    scope_context scope_;
    void* instance_ = nullptr;
    std::mutex serial_;
};

// "ok", "retry", "throttled", "reject", "fatal", "unauthorized".
std::string_view status_name(ferry_status status);

}  // namespace ferry::host
