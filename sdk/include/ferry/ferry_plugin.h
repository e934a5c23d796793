/*
 * ferry_plugin.h: the C ABI between the ferry host and its plugins.
 *
 * This header is a promise to plugin authors: it is plain C99, depends only on <stdint.h>,
 * <stddef.h> and <stdbool.h>, and grows only by appending. docs/plugin-abi.md explains it in prose.
 *
 * Naming:
 *   ferry_<type>            a type that crosses the boundary
 *   ferry_host_api.<fn>     a service the host implements and the plugin calls
 *   ferry_component.<hook>  a hook the plugin implements and the host calls
 *
 * Rules that hold for every declaration below:
 *   - Every struct that crosses starts with `uint32_t struct_size`, set by whoever fills the struct
 *     to sizeof() of the struct as that side was compiled. The reader uses only the fields that fit
 *     in struct_size and treats the rest as zero. New fields are only ever appended.
 *     Two frozen value types, ferry_str and ferry_header, are exempt: they will never change.
 *   - Every hook that appears after ABI 1.0 is optional: NULL means "not supported".
 *   - OWNERSHIP is stated on every type. "Borrowed" means valid only for the duration of the call
 *     it was passed to; copy what you need to keep. Whatever a side allocates, that side frees.
 *   - No C++ types, exceptions or allocators cross. Strings are UTF-8 (ptr, len) views and are NOT
 *     NUL-terminated unless a field says so.
 */
#ifndef FERRY_PLUGIN_H
#define FERRY_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------------------------- */

/* The ABI this header describes. A host runs a plugin when the majors are equal and the host's
 * minor is at least the plugin's ferry_plugin.abi_minor_min. */
#define FERRY_ABI_MAJOR 1
#define FERRY_ABI_MINOR 0

/* The one symbol the host looks up in a plugin library. */
#define FERRY_ENTRY_SYMBOL "ferry_plugin_entry"

#if defined(_WIN32)
#define FERRY_EXPORT __declspec(dllexport)
#else
#define FERRY_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------
 * Status codes: the return value of every hook and of the host services that can fail.
 * The text that explains a status other than FERRY_OK goes through ferry_host_api.set_error.
 * ------------------------------------------------------------------------------------------- */

typedef int32_t ferry_status;

/* Done. */
#define FERRY_OK 0
/* Transient failure (network, 5xx, lock): try the same record again later. An optional delay in
 * milliseconds may be given with ferry_host_api.set_delay_ms; otherwise the pipeline's backoff
 * applies. */
#define FERRY_RETRY 1
/* The remote quota is spent. Set the wait with ferry_host_api.set_delay_ms (Retry-After). The
 * host holds back every call to the same connection until then. */
#define FERRY_THROTTLED 2
/* Permanent for this record (unknown SKU, validation failure): the record goes to the dead-letter
 * queue with the error text; other records go on. */
#define FERRY_REJECT 3
/* Configuration or credentials are wrong: nothing will succeed until a person acts. The pipeline
 * stops and reports the error text. */
#define FERRY_FATAL 4
/* Webhook hook only: the request's signature or credentials are wrong (the host answers 401 and
 * keeps no trace of the body). */
#define FERRY_UNAUTHORIZED 5

/* ---------------------------------------------------------------------------------------------
 * Frozen value types (no struct_size: they will never change)
 * ------------------------------------------------------------------------------------------- */

/* A UTF-8 or byte view. OWNERSHIP: borrowed from whoever passed it; not NUL-terminated. */
typedef struct ferry_str {
    const char* ptr;
    size_t len;
} ferry_str;

/* One HTTP header. OWNERSHIP: borrowed, like the ferry_str fields it holds. */
typedef struct ferry_header {
    ferry_str name;
    ferry_str value;
} ferry_header;

/* ---------------------------------------------------------------------------------------------
 * Opaque host handles
 * ------------------------------------------------------------------------------------------- */

/* One invocation of a hook. Outputs of the call (records, error text, delay, target id, cursor)
 * are handed to the host through it.
 * OWNERSHIP: host-owned; valid only until the hook it was passed to returns. */
typedef struct ferry_call ferry_call;

/* Who is calling a service: the plugin itself (passed to ferry_plugin.init) or one component
 * instance (passed to ferry_component.create). Logging, HTTP, state and metrics are attributed and
 * scoped by it; state is per connection.
 * OWNERSHIP: host-owned; valid until ferry_plugin.shutdown / ferry_component.destroy returns. */
typedef struct ferry_scope ferry_scope;

/* ---------------------------------------------------------------------------------------------
 * Records: everything that moves through a pipeline
 * ------------------------------------------------------------------------------------------- */

/* OWNERSHIP: as an input (transform, sink) borrowed from the host for the call; as an output
 * (ferry_host_api.emit) borrowed from the plugin, which the host copies before emit returns. */
typedef struct ferry_record {
    uint32_t struct_size;
    ferry_str stream;   /* what it is: "order", "customer", "inventory_level", ... */
    ferry_str key;      /* business identity, e.g. "shopify:gid://shopify/Order/82098291" */
    int64_t version;    /* grows with each change of one key (e.g. updated_at in ms) */
    ferry_str payload;  /* UTF-8 JSON, the canonical model of the stream */
    ferry_str meta;     /* UTF-8 JSON object (source topic, headers, trace id) or empty */
    ferry_str event_id; /* the source's event id, used to drop duplicate deliveries; may be empty */
} ferry_record;

/* One attempt to deliver a record to a sink.
 * OWNERSHIP: borrowed from the host for the call. */
typedef struct ferry_delivery {
    uint32_t struct_size;
    const ferry_record* record;
    /* Stable across every attempt of the same pipeline, key and version. A sink that stores it in
     * the target (or finds the target's own natural key from it) can tell a retry from a new
     * record. */
    ferry_str idempotency_key;
    uint32_t attempt; /* 1 for the first attempt */
} ferry_delivery;

/* An inbound webhook request, given to a source component.
 * OWNERSHIP: borrowed from the host for the call. */
typedef struct ferry_webhook {
    uint32_t struct_size;
    ferry_str method;
    ferry_str path; /* e.g. "/webhooks/shop" */
    const ferry_header* headers;
    size_t header_count;
    ferry_str body; /* the exact bytes received, for signature checks */
} ferry_webhook;

/* ---------------------------------------------------------------------------------------------
 * Host services
 * ------------------------------------------------------------------------------------------- */

#define FERRY_LOG_TRACE 0
#define FERRY_LOG_DEBUG 1
#define FERRY_LOG_INFO 2
#define FERRY_LOG_WARN 3
#define FERRY_LOG_ERROR 4

#define FERRY_METRIC_COUNTER 0   /* value is added */
#define FERRY_METRIC_GAUGE 1     /* value replaces */
#define FERRY_METRIC_HISTOGRAM 2 /* value is observed */

/* An outbound HTTP request made through the host's client.
 * OWNERSHIP: borrowed from the plugin for the duration of ferry_host_api.http_send. */
typedef struct ferry_http_request {
    uint32_t struct_size;
    ferry_str method; /* "GET", "POST", ... */
    ferry_str url;
    const ferry_header* headers;
    size_t header_count;
    ferry_str body;
    uint32_t timeout_ms; /* 0: the connection's default */
    /* What the request will spend of the connection's rate budget, in the units of rate_report
     * (e.g. Shopify's requested query cost). The host holds the request back until the budget
     * allows it. 0: the budget is not consulted. */
    double cost;
} ferry_http_request;

/* The answer to an HTTP request, or why there is none.
 * OWNERSHIP: host-owned; valid until the plugin passes it to ferry_host_api.http_release. */
typedef struct ferry_http_response {
    uint32_t struct_size;
    int32_t status; /* the HTTP status code; 0 when the request failed in transport */
    const ferry_header* headers;
    size_t header_count;
    ferry_str body;
    ferry_str error; /* when status is 0: what failed (timeout, refused, TLS), never a secret */
} ferry_http_response;

/* A value read from the host's store.
 * OWNERSHIP: host-owned; valid until the plugin passes it to ferry_host_api.value_release. */
typedef struct ferry_value {
    uint32_t struct_size;
    ferry_str data;
} ferry_value;

/* The services the host offers, handed to ferry_plugin_entry.
 * OWNERSHIP: host-owned; valid from ferry_plugin_entry until the library is unloaded.
 * THREADING: every service may be called from any thread, concurrently. */
typedef struct ferry_host_api {
    uint32_t struct_size;
    uint32_t abi_major; /* the host's FERRY_ABI_MAJOR */
    uint32_t abi_minor; /* the host's FERRY_ABI_MINOR */
    const char* host_version; /* NUL-terminated, e.g. "0.1.0" */

    /* -- outputs of a hook call -- */

    /* Hand a record to the host: a source's new record, a transform's output (zero, one or many
     * per input), or a sink's follow-up (e.g. "ERP order created") for other pipelines.
     * Returns FERRY_REJECT (with text on the call) if the record is malformed. */
    ferry_status (*emit)(ferry_call* call, const ferry_record* record);
    /* The text explaining a non-OK status. The host copies it; the last one set wins. */
    void (*set_error)(ferry_call* call, ferry_str text);
    /* The wait before the next attempt, for FERRY_RETRY (optional) and FERRY_THROTTLED. */
    void (*set_delay_ms)(ferry_call* call, uint64_t delay_ms);
    /* Sink write and lookup: the target's document id (e.g. the ERP order number). A lookup that
     * sets none reports "not found". */
    void (*set_target_id)(ferry_call* call, ferry_str target_id);
    /* Source poll: the cursor to resume from next time. The host stores it only once the records
     * emitted in the same call are durable. */
    void (*set_cursor)(ferry_call* call, ferry_str cursor);
    /* Sink write_batch: the outcome of item `index` (0-based) of the batch. Items without an
     * outcome take the status the hook returned. */
    void (*set_item_result)(ferry_call* call, size_t index, ferry_status status, ferry_str text,
                            ferry_str target_id);
    /* The config value an error is about: a JSON pointer into the component's config ("/expr"),
     * and the byte offset inside it when it is a string (0 otherwise). The host turns it into a
     * line:column of the manifest. */
    void (*set_error_location)(ferry_call* call, ferry_str config_pointer, uint32_t offset);

    /* -- logging: secrets must not be passed; the host does not log payloads by default -- */
    void (*log)(ferry_scope* scope, int32_t level, ferry_str message);
    bool (*log_enabled)(ferry_scope* scope, int32_t level);

    /* -- HTTP through the host's client: connection reuse, timeouts, TLS, proxy settings, the API
     *    call log with redaction, metrics and the connection's rate governor in one place.
     *    FERRY_OK means a response arrived, whatever its HTTP status. A transport failure returns
     *    FERRY_RETRY (timeout, refused, reset) or FERRY_FATAL (bad URL, TLS verification) with the
     *    reason in response->error. *response is set in every case and must be released. -- */
    ferry_status (*http_send)(ferry_scope* scope, const ferry_http_request* request,
                              const ferry_http_response** response);
    void (*http_release)(ferry_scope* scope, const ferry_http_response* response);
    /* Tell the rate governor what the remote said of its quota: `available` units now, refilling
     * at `restore_per_second`, out of `capacity`. Later http_send calls to this connection wait
     * instead of being throttled. */
    void (*rate_report)(ferry_scope* scope, double available, double capacity, double restore_per_second);

    /* -- per-connection state (cursors, caches, resolved ids), durable in the host's store -- */
    /* FERRY_OK with *value NULL when the key is absent. */
    ferry_status (*state_get)(ferry_scope* scope, ferry_str key, const ferry_value** value);
    ferry_status (*state_put)(ferry_scope* scope, ferry_str key, ferry_str value);
    ferry_status (*state_delete)(ferry_scope* scope, ferry_str key);
    void (*value_release)(ferry_scope* scope, const ferry_value* value);

    /* -- metrics, exported by the host as ferry_plugin_<name>{connection=...} -- */
    void (*metric)(ferry_scope* scope, int32_t kind, ferry_str name, double value);

    /* -- clock: the host's, so that tests can control time -- */
    int64_t (*now_unix_ms)(ferry_scope* scope);
    int64_t (*monotonic_ns)(ferry_scope* scope);
} ferry_host_api;

/* ---------------------------------------------------------------------------------------------
 * Components
 * ------------------------------------------------------------------------------------------- */

#define FERRY_KIND_SOURCE 1
#define FERRY_KIND_TRANSFORM 2
#define FERRY_KIND_SINK 3

/* Capability flags; each named hook must be present when its flag is set. */
#define FERRY_CAP_WEBHOOK (1u << 0)          /* source: hook `webhook` */
#define FERRY_CAP_POLL (1u << 1)             /* source: hook `poll` */
#define FERRY_CAP_LOOKUP (1u << 2)           /* sink: hook `lookup` finds a delivery already written */
#define FERRY_CAP_BATCH (1u << 3)            /* sink: hook `write_batch` */
#define FERRY_CAP_IDEMPOTENT_WRITE (1u << 4) /* sink: the target itself drops a repeated write */
#define FERRY_CAP_SINGLE_THREADED (1u << 5)  /* the host never calls one instance concurrently */

/* Arguments of ferry_component.create.
 * OWNERSHIP: borrowed from the host for the call; `scope` lives until destroy returns. */
typedef struct ferry_create_args {
    uint32_t struct_size;
    ferry_scope* scope;
    ferry_str connection;        /* the manifest's connection name; empty for transforms */
    ferry_str connection_config; /* JSON object, secrets resolved; "{}" for transforms */
    ferry_str config;            /* JSON object: this component's config, validated by its schema */
    ferry_str pipeline;          /* the pipeline the instance serves */
} ferry_create_args;

/* One component of a plugin: a source, a transform or a sink.
 * OWNERSHIP: plugin-owned, static; valid until the library is unloaded. Strings are
 * NUL-terminated.
 * THREADING: create and destroy are called from one thread at a time. The record hooks (webhook,
 * poll, transform, write, lookup, write_batch) may be called on one instance from several threads
 * at once, unless FERRY_CAP_SINGLE_THREADED is set. */
typedef struct ferry_component {
    uint32_t struct_size;
    int32_t kind;              /* FERRY_KIND_* */
    const char* name;          /* [a-z][a-z0-9_]*, unique within the plugin */
    const char* description;   /* one line */
    const char* const* streams; /* the streams it emits (source), accepts (transform: "*" for any) */
    size_t stream_count;        /* or writes (sink) */
    /* JSON Schema (draft 2020-12 subset, see docs/plugin-abi.md) of the component's config, or
     * NULL if it takes none. Fields with "secret": true are redacted wherever config is shown. */
    const char* config_schema;
    uint32_t capabilities; /* FERRY_CAP_* */

    /* Make an instance. Required. On failure return FERRY_FATAL with text on `call`. */
    ferry_status (*create)(const ferry_create_args* args, ferry_call* call, void** instance);
    /* Free an instance. Required. */
    void (*destroy)(void* instance);

    /* Source: verify and translate a webhook request; emit its records. FERRY_UNAUTHORIZED for a
     * bad signature, FERRY_REJECT for a malformed body. */
    ferry_status (*webhook)(void* instance, const ferry_webhook* request, ferry_call* call);
    /* Source: fetch what changed since `cursor` (empty the first time), emit it, set the new
     * cursor. */
    ferry_status (*poll)(void* instance, ferry_str cursor, ferry_call* call);

    /* Transform: emit zero (filter), one or many records for `record`. */
    ferry_status (*transform)(void* instance, const ferry_record* record, ferry_call* call);

    /* Sink: write one record; set the target id; emit follow-ups if any. */
    ferry_status (*write)(void* instance, const ferry_delivery* delivery, ferry_call* call);
    /* Sink: find a document already written for delivery->idempotency_key (set its target id),
     * so that a retry after a crash never writes twice. */
    ferry_status (*lookup)(void* instance, const ferry_delivery* delivery, ferry_call* call);
    /* Sink: write several records; report each with set_item_result. */
    ferry_status (*write_batch)(void* instance, const ferry_delivery* const* deliveries, size_t count,
                                ferry_call* call);

    /* Optional. Checks a config beyond its JSON Schema (an expression that must compile, a file
     * that must exist) without making an instance; `ferry validate` calls it. Return FERRY_FATAL
     * with text on `call`, and point at the value with set_error_location. */
    ferry_status (*check_config)(const ferry_create_args* args, ferry_call* call);
} ferry_component;

/* ---------------------------------------------------------------------------------------------
 * The plugin
 * ------------------------------------------------------------------------------------------- */

/* OWNERSHIP: plugin-owned, static; valid until the library is unloaded. Strings are
 * NUL-terminated. */
typedef struct ferry_plugin {
    uint32_t struct_size;
    uint32_t abi_major;     /* FERRY_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor_min; /* the oldest host minor it runs on (its hooks' and services' needs) */
    const char* name;       /* [a-z][a-z0-9_]*; components are known as "<name>.<component>" */
    const char* version;    /* the plugin's own version, e.g. "1.2.0" */
    const char* description;
    /* JSON Schema of a connection's config ("shop", "access_token", ...), or NULL if the plugin
     * offers no connections (transforms only). Secret fields carry "secret": true. */
    const char* connection_schema;
    const ferry_component* const* components;
    size_t component_count;

    /* Optional. Called once after the host accepted the descriptor, before any create. Return
     * FERRY_FATAL with text on `call` to refuse to load. */
    ferry_status (*init)(ferry_scope* scope, ferry_call* call);
    /* Optional. Called once after every instance was destroyed, before unloading. */
    void (*shutdown)(void);
} ferry_plugin;

/* The entry point every plugin exports. Called once, on the host's main thread, when the library
 * is loaded. The plugin may keep `host` until it is unloaded. It returns its descriptor, or NULL to
 * refuse the host (for instance because host->abi_minor is older than it needs).
 * OWNERSHIP: `host` is host-owned; the returned descriptor is plugin-owned (static). */
typedef const ferry_plugin* (*ferry_plugin_entry_fn)(const ferry_host_api* host);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_PLUGIN_H */
