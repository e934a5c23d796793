/* Refuses to run on this host by returning no descriptor. */
#include <ferry/ferry_plugin.h>
#include <stddef.h>
FERRY_EXPORT const ferry_plugin* ferry_plugin_entry(const ferry_host_api* host) {
    (void)host;
    return NULL;
}
