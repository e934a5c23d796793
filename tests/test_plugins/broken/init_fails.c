/* Its init refuses to start, with a message. */
#include "common.h"
static const ferry_host_api* api;
static ferry_status failing_init(ferry_scope* scope, ferry_call* call) {
    (void)scope;
    static const char message[] = "licence server unreachable";
    ferry_str text = {message, sizeof(message) - 1};
    api->set_error(call, text);
    return FERRY_FATAL;
}
static const ferry_component transform = VALID_TRANSFORM("noop");
static const ferry_component* const components[] = {&transform};
static ferry_plugin plugin = VALID_PLUGIN("init_fails", components, 1);
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    api = host;
    plugin.init = failing_init;
    return &plugin;
}
