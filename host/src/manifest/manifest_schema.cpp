#include "manifest/manifest.hpp"

namespace ferry::host {

// The shape of a manifest. References between its parts and the component configs are checked in
// code (manifest.cpp), against the loaded plugins.
std::string_view manifest_schema_text() {
    return R"json({
  "type": "object",
  "description": "a ferry manifest",
  "properties": {
    "ferry": {"const": 1, "description": "the manifest format version: 1"},
    "plugins": {
      "type": "array",
      "description": "directories or .so files to load plugins from, relative to the manifest, searched first",
      "items": {"type": "string", "minLength": 1}
    },
    "store": {
      "type": "string",
      "pattern": "^(sqlite|postgresql)://.+",
      "description": "where the journal, queue and state live: sqlite://PATH (relative to the manifest; default sqlite://ferry.db); postgresql:// is not built yet"
    },
    "server": {
      "type": "object",
      "description": "the HTTP server for webhooks, /healthz, /readyz and /metrics",
      "properties": {
        "listen": {"type": "string", "pattern": "^[^:]+:[0-9]{1,5}$", "description": "host:port (default 127.0.0.1:8080; port 0 picks a free one)"},
        "max_body_bytes": {"type": "integer", "minimum": 1024, "maximum": 67108864, "description": "largest webhook body accepted, 413 above (default 1 MiB)"}
      },
      "additionalProperties": false
    },
    "connections": {
      "type": "object",
      "description": "named, configured instances of connector plugins",
      "additionalProperties": {
        "type": "object",
        "properties": {
          "plugin": {"type": "string", "minLength": 1, "description": "the plugin's name, as `ferry plugins` lists it"},
          "config": {"type": "object", "description": "checked against the plugin's connection schema"},
          "max_concurrency": {"type": "integer", "minimum": 1, "maximum": 1024, "description": "calls in flight to this connection at most, across pipelines"}
        },
        "required": ["plugin"],
        "additionalProperties": false
      }
    },
    "pipelines": {
      "type": "object",
      "description": "named flows from a source through transforms to a sink",
      "minProperties": 1,
      "additionalProperties": {
        "type": "object",
        "properties": {
          "description": {"type": "string", "description": "what the pipeline is for, for the people reading the manifest"},
          "enabled": {"type": "boolean", "description": "false keeps the pipeline defined but stopped (default true)"},
          "source": {
            "type": "object",
            "description": "where records come from: a connection's source component, or another pipeline's follow-ups",
            "properties": {
              "connection": {"type": "string", "description": "a connection defined under \"connections\""},
              "follows": {"type": "string", "description": "instead of a connection: the pipeline whose sink's follow-up records this pipeline takes"},
              "stream": {"type": "string", "description": "what the source emits: order, customer, inventory_level, ...; with follows, which follow-up stream to take"},
              "component": {"type": "string", "description": "the source component, when the plugin has several for the stream"},
              "webhooks": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "webhook topics to accept, e.g. \"orders/create\"; only for sources with the webhook capability"},
              "poll": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h|d)$", "description": "poll interval, a duration such as \"5m\"; required for poll-only sources"},
              "config": {"type": "object", "description": "checked against the source component's schema"}
            },
            "additionalProperties": false
          },
          "transforms": {
            "type": "array",
            "description": "steps applied in order to each record",
            "items": {
              "type": "object",
              "properties": {
                "use": {"type": "string", "pattern": "^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$", "description": "a transform component, \"plugin.component\""},
                "config": {"type": "object", "description": "checked against the transform's schema"}
              },
              "required": ["use"],
              "additionalProperties": false
            }
          },
          "sink": {
            "type": "object",
            "description": "where records go: a connection's sink component",
            "properties": {
              "connection": {"type": "string", "description": "a connection defined under \"connections\""},
              "stream": {"type": "string", "description": "what the sink writes: order, customer, inventory_level, ..."},
              "component": {"type": "string", "description": "the sink component, when the plugin has several for the stream"},
              "config": {"type": "object", "description": "checked against the sink component's schema"}
            },
            "required": ["connection", "stream"],
            "additionalProperties": false
          },
          "retry": {
            "type": "object",
            "description": "how failures of this pipeline's records are retried",
            "properties": {
              "max_attempts": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "deliveries tried before the record is dead-lettered (default 10)"},
              "max_age": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h|d)$", "description": "dead-letter a record still failing this long after it arrived, a duration (default 24h)"},
              "backoff": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h|d)\\.\\.[0-9]+(ms|s|m|h|d)$", "description": "first..largest wait between attempts, growing with full jitter (default 1s..10m)"}
            },
            "additionalProperties": false
          },
          "concurrency": {"type": "integer", "minimum": 1, "maximum": 256, "description": "records of different keys in flight at once (default 4)"}
        },
        "required": ["source", "sink"],
        "additionalProperties": false
      }
    }
  },
  "required": ["ferry", "pipelines"],
  "additionalProperties": false
})json";
}

}  // namespace ferry::host
