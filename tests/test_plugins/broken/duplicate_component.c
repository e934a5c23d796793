/* Declares two components of the same name. */
#include "common.h"
static const ferry_component first = VALID_TRANSFORM("same");
static const ferry_component second = VALID_TRANSFORM("same");
static const ferry_component* const components[] = {&first, &second};
static const ferry_plugin plugin = VALID_PLUGIN("duplicate_component", components, 2);
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    (void)host;
    return &plugin;
}
