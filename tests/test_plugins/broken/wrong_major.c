/* Built for a different ABI major. */
#include "common.h"
static const ferry_component transform = VALID_TRANSFORM("noop");
static const ferry_component* const components[] = {&transform};
static ferry_plugin plugin = VALID_PLUGIN("wrong_major", components, 1);
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    (void)host;
    plugin.abi_major = FERRY_ABI_MAJOR + 1;
    return &plugin;
}
