// The "syspro" plugin: SYSPRO e.net Solutions over REST.
#include "customer_sink.hpp"
#include "dispatch_sink.hpp"
#include "fulfillment_source.hpp"
#include "inventory_source.hpp"
#include "order_sink.hpp"
#include "payment_sink.hpp"
#include "status_source.hpp"

#include <ferry/plugin.hpp>

namespace {

struct syspro_plugin {
    static constexpr const char* name = "syspro";
    static constexpr const char* version = "0.1.0";
    static constexpr const char* description = "SYSPRO 7 and 8 through e.net Solutions REST: sales orders, customers, payments, stock, dispatches";
    static constexpr const char* connection_schema = R"json({
        "type": "object",
        "required": ["base_url", "operator", "company"],
        "properties": {
            "base_url": {"type": "string", "description": "scheme, host and port of the e.net REST service, e.g. http://erp:20000"},
            "path_prefix": {"type": "string", "description": "default /SYSPROWCFService/Rest"},
            "operator": {"type": "string", "minLength": 1, "description": "the SYSPRO operator ferry logs on as; give ferry its own"},
            "operator_password": {"type": "string", "secret": true, "description": "the operator's password (empty when it has none)"},
            "company": {"type": "string", "minLength": 1, "description": "the company id"},
            "company_password": {"type": "string", "secret": true, "description": "the company password (empty when it has none)"},
            "sessions": {"type": "integer", "minimum": 1, "description": "SYSPRO sessions (licence seats) ferry may hold at once; default 1"},
            "timeout_ms": {"type": "integer", "minimum": 1, "description": "per call; default 30000"}
        },
        "additionalProperties": false
    })json";
    using components = ferry::sdk::components<ferry::syspro::order_sink, ferry::syspro::customer_sink,
                                              ferry::syspro::payment_sink, ferry::syspro::inventory_source,
                                              ferry::syspro::fulfillment_source, ferry::syspro::dispatch_sink,
                                              ferry::syspro::status_source>;
};

}  // namespace

FERRY_PLUGIN(syspro_plugin)
