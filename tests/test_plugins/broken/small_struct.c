/* A component descriptor whose struct_size is smaller than the 1.0 layout. */
#include "common.h"
static ferry_component transform = VALID_TRANSFORM("noop");
static const ferry_component* const components[] = {&transform};
static const ferry_plugin plugin = VALID_PLUGIN("small_struct", components, 1);
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    (void)host;
    transform.struct_size = 16;
    return &plugin;
}
