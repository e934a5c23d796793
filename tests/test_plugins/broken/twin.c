/* Built twice (twin_a.so, twin_b.so) under one plugin name: the second is a duplicate. */
#include "common.h"
static const ferry_component transform = VALID_TRANSFORM("noop");
static const ferry_component* const components[] = {&transform};
static const ferry_plugin plugin = VALID_PLUGIN("twin", components, 1);
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    (void)host;
    return &plugin;
}
