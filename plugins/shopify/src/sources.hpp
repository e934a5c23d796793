// The Shopify source components: each takes its webhook topics (signature checked, deduplicated
// by the host on the record's event id) and sweeps by updated_at cursor to recover what webhooks
// missed. All emit the canonical model.
#pragma once

#include "shop.hpp"

#include <functional>
#include <string>
#include <vector>

namespace ferry::shopify {

// What a sweep reads: a top-level connection of the Admin API, sorted and filtered by updated_at
// (or read whole, for inventory), and how each node becomes records.
struct sweep_spec {
    std::string field;      // "orders"
    std::string selection;  // the node's fields
    bool by_updated_at = true;
    double node_cost = 1;   // estimated requested cost of one node
};

// The part every source shares: settings, the GraphQL client, the caches, webhook checks.
class source_base : public sdk::source {
public:
    source_base(const sdk::create_args& args, std::string stream);

protected:
    struct mapped {
        std::string key;      // "shopify:<gid>"
        int64_t version = 0;  // updated_at in ms
        json::object payload;
    };
    using webhook_mapper = std::function<std::vector<mapped>(const std::string& topic, const json::object& body)>;
    using node_mapper = std::function<std::vector<mapped>(json::object& node)>;

    // Verifies the signature, keeps only `topics`, parses, maps and emits with meta and event id.
    void take_webhook(const sdk::webhook_request& request, sdk::call& out, const std::vector<std::string>& topics,
                      const webhook_mapper& map);
    // One poll: pages of `spec` after the cursor, up to max_pages, then the new cursor.
    void sweep(std::string_view cursor, sdk::call& out, const sweep_spec& spec, const node_mapper& map);

    // Version of a record: the first of these times present, in ms.
    int64_t version_of(const json::object& o, std::initializer_list<std::string_view> fields) const;
    void emit(sdk::call& out, const std::string& stream, const mapped& m, const json::object& meta,
              const std::string& event_id = "");

    sdk::context context_;
    graphql_client client_;
    shop_cache cache_;
    std::string stream_;
    int page_size_ = 0;     // 0: the stream's default
    int max_pages_ = 20;
    std::string since_;     // RFC 3339: where the first sweep starts
};

// The config schema every source shares.
inline constexpr const char* source_config_schema = R"json({
    "type": "object",
    "properties": {
        "since": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}", "description": "RFC 3339 time the first poll sweep starts from (default: one day before the first poll)"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 250, "description": "nodes per GraphQL page (default per stream, chosen to stay under the 1000-point query limit)"},
        "max_pages": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "pages read per poll before the cursor is saved (default 20)"}
    },
    "additionalProperties": false
})json";

class order_source : public source_base {
public:
    static constexpr const char* name = "orders";
    static constexpr const char* description =
        "Orders: webhooks orders/create, orders/updated, orders/cancelled; poll sweep by updated_at";
    static constexpr const char* streams[] = {"order"};
    static constexpr uint32_t capabilities = FERRY_CAP_WEBHOOK | FERRY_CAP_POLL;
    static constexpr const char* config_schema = source_config_schema;
    explicit order_source(const sdk::create_args& args) : source_base(args, "order") {}
    void webhook(const sdk::webhook_request& request, sdk::call& out);
    void poll(std::string_view cursor, sdk::call& out);

private:
    void complete_lines(json::object& order);
    static int64_t order_version(const json::object& order, int64_t updated_ms);
};

class customer_source : public source_base {
public:
    static constexpr const char* name = "customers";
    static constexpr const char* description = "Customers: webhooks customers/create, customers/update; poll sweep";
    static constexpr const char* streams[] = {"customer"};
    static constexpr uint32_t capabilities = FERRY_CAP_WEBHOOK | FERRY_CAP_POLL;
    static constexpr const char* config_schema = source_config_schema;
    explicit customer_source(const sdk::create_args& args) : source_base(args, "customer") {}
    void webhook(const sdk::webhook_request& request, sdk::call& out);
    void poll(std::string_view cursor, sdk::call& out);
};

class product_source : public source_base {
public:
    static constexpr const char* name = "products";
    static constexpr const char* description = "Products and variants: webhooks products/create, products/update; poll sweep";
    static constexpr const char* streams[] = {"product"};
    static constexpr uint32_t capabilities = FERRY_CAP_WEBHOOK | FERRY_CAP_POLL;
    static constexpr const char* config_schema = source_config_schema;
    explicit product_source(const sdk::create_args& args) : source_base(args, "product") {}
    void webhook(const sdk::webhook_request& request, sdk::call& out);
    void poll(std::string_view cursor, sdk::call& out);
};

class fulfillment_source : public source_base {
public:
    static constexpr const char* name = "fulfillments";
    static constexpr const char* description = "Fulfilments: webhooks fulfillments/create, fulfillments/update; poll via orders";
    static constexpr const char* streams[] = {"fulfillment"};
    static constexpr uint32_t capabilities = FERRY_CAP_WEBHOOK | FERRY_CAP_POLL;
    static constexpr const char* config_schema = source_config_schema;
    explicit fulfillment_source(const sdk::create_args& args) : source_base(args, "fulfillment") {}
    void webhook(const sdk::webhook_request& request, sdk::call& out);
    void poll(std::string_view cursor, sdk::call& out);
};

class refund_source : public source_base {
public:
    static constexpr const char* name = "refunds";
    static constexpr const char* description = "Refunds: webhook refunds/create; poll via orders";
    static constexpr const char* streams[] = {"refund"};
    static constexpr uint32_t capabilities = FERRY_CAP_WEBHOOK | FERRY_CAP_POLL;
    static constexpr const char* config_schema = source_config_schema;
    explicit refund_source(const sdk::create_args& args) : source_base(args, "refund") {}
    void webhook(const sdk::webhook_request& request, sdk::call& out);
    void poll(std::string_view cursor, sdk::call& out);
};

class payment_source : public source_base {
public:
    static constexpr const char* name = "payments";
    static constexpr const char* description =
        "Payments (successful sale/capture transactions): webhooks orders/paid, order_transactions/create; poll via orders";
    static constexpr const char* streams[] = {"payment"};
    static constexpr uint32_t capabilities = FERRY_CAP_WEBHOOK | FERRY_CAP_POLL;
    static constexpr const char* config_schema = source_config_schema;
    explicit payment_source(const sdk::create_args& args) : source_base(args, "payment") {}
    void webhook(const sdk::webhook_request& request, sdk::call& out);
    void poll(std::string_view cursor, sdk::call& out);

private:
    std::vector<mapped> from_order_graphql(const json::object& order);
};

class inventory_level_source : public source_base {
public:
    static constexpr const char* name = "inventory_levels";
    static constexpr const char* description = "Inventory levels: webhook inventory_levels/update; poll sweep of every item";
    static constexpr const char* streams[] = {"inventory_level"};
    static constexpr uint32_t capabilities = FERRY_CAP_WEBHOOK | FERRY_CAP_POLL;
    static constexpr const char* config_schema = source_config_schema;
    explicit inventory_level_source(const sdk::create_args& args) : source_base(args, "inventory_level") {}
    void webhook(const sdk::webhook_request& request, sdk::call& out);
    void poll(std::string_view cursor, sdk::call& out);
};

}  // namespace ferry::shopify
