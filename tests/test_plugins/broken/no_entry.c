/* Exports no ferry_plugin_entry. */
#include <ferry/ferry_plugin.h>
FERRY_EXPORT int some_other_entry(void) { return 1; }
