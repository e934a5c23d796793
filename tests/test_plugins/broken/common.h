/* Shared pieces of the broken test plugins: a valid transform component and a valid descriptor.
 * Each broken_*.c file starts from these and breaks exactly one rule. */
#ifndef FERRY_TEST_BROKEN_COMMON_H
#define FERRY_TEST_BROKEN_COMMON_H

#include <ferry/ferry_plugin.h>

static ferry_status ok_create(const ferry_create_args* args, ferry_call* call, void** instance) {
    (void)args;
    (void)call;
    *instance = (void*)1;
    return FERRY_OK;
}
static void ok_destroy(void* instance) { (void)instance; }
static ferry_status ok_transform(void* instance, const ferry_record* record, ferry_call* call) {
    (void)instance;
    (void)record;
    (void)call;
    return FERRY_OK;
}
static const char* const any_stream[] = {"*"};

#define VALID_TRANSFORM(NAME)                                                              \
    {                                                                                      \
        .struct_size = sizeof(ferry_component), .kind = FERRY_KIND_TRANSFORM, .name = NAME, \
        .description = "test", .streams = any_stream, .stream_count = 1,                   \
        .create = ok_create, .destroy = ok_destroy, .transform = ok_transform              \
    }

#define VALID_PLUGIN(NAME, COMPONENTS, COUNT)                                                    \
    {                                                                                            \
        .struct_size = sizeof(ferry_plugin), .abi_major = FERRY_ABI_MAJOR, .abi_minor_min = 0,   \
        .name = NAME, .version = "0.0.1", .description = "broken on purpose",                    \
        .components = COMPONENTS, .component_count = COUNT                                       \
    }

#endif
