/* A sink without the write hook. */
#include "common.h"
static const char* const order_stream[] = {"order"};
static const ferry_component sink = {
    .struct_size = sizeof(ferry_component), .kind = FERRY_KIND_SINK, .name = "orders",
    .description = "test", .streams = order_stream, .stream_count = 1,
    .create = ok_create, .destroy = ok_destroy,
};
static const ferry_component* const components[] = {&sink};
static const ferry_plugin plugin = VALID_PLUGIN("missing_hook", components, 1);
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    (void)host;
    return &plugin;
}
