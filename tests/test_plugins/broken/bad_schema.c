/* Declares a config schema that is not JSON. */
#include "common.h"
static ferry_component transform = VALID_TRANSFORM("noop");
static const ferry_component* const components[] = {&transform};
static const ferry_plugin plugin = VALID_PLUGIN("bad_schema", components, 1);
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    (void)host;
    transform.config_schema = "{\"type\": \"object\",";
    return &plugin;
}
