// The "shopify" connector plugin: sources and sinks over the Shopify GraphQL Admin API.
#include "sinks.hpp"
#include "sources.hpp"

namespace {

namespace sdk = ferry::sdk;
using namespace ferry::shopify;

struct shopify_plugin {
    static constexpr const char* name = "shopify";
    static constexpr const char* version = "0.1.0";
    static constexpr const char* description =
        "Shopify Admin API (GraphQL): orders, customers, products, fulfilments, refunds, payments and stock";
    static constexpr const char* connection_schema = R"json({
        "type": "object",
        "properties": {
            "shop": {"type": "string", "minLength": 1, "description": "the myshopify subdomain (\"acme\"), \"acme.myshopify.com\", or a base URL such as the sandbox's http://127.0.0.1:PORT"},
            "api_version": {"type": "string", "pattern": "^([0-9]{4}-(01|04|07|10)|unstable)$", "description": "Admin API version, e.g. 2025-10; it selects the inventory compare semantics"},
            "access_token": {"type": "string", "minLength": 1, "secret": true, "description": "Admin API access token, sent as X-Shopify-Access-Token"},
            "webhook_secret": {"type": "string", "minLength": 1, "secret": true, "description": "the app's client secret, which signs webhooks (X-Shopify-Hmac-Sha256)"},
            "plan": {"enum": ["standard", "advanced", "plus", "enterprise"], "description": "the shop's plan: its GraphQL restore rate until Shopify reports one (default standard)"},
            "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 120000, "description": "per-request timeout (default: the host's)"}
        },
        "required": ["shop", "api_version", "access_token"],
        "additionalProperties": false
    })json";
    using components = sdk::components<order_source, customer_source, product_source, fulfillment_source, refund_source,
                                       payment_source, inventory_level_source, inventory_sink, fulfillment_sink,
                                       order_annotation_sink, order_import_sink>;
};

}  // namespace

FERRY_PLUGIN(shopify_plugin)
