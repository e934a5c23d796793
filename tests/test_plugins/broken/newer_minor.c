/* Needs a newer minor than any host speaks. */
#include "common.h"
static const ferry_component transform = VALID_TRANSFORM("noop");
static const ferry_component* const components[] = {&transform};
static ferry_plugin plugin = VALID_PLUGIN("newer_minor", components, 1);
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    (void)host;
    plugin.abi_minor_min = FERRY_ABI_MINOR + 7;
    return &plugin;
}
