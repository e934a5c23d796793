// The Shopify sink components: stock levels (inventorySetQuantities in batches), fulfilments
// through fulfillment orders, the ERP order number written back to the order, and orders
// imported from elsewhere (orderCreate).
#pragma once

#include "shop.hpp"

#include <mutex>
#include <string>
#include <vector>

namespace ferry::shopify {

class inventory_sink : public sdk::sink {
public:
    static constexpr const char* name = "inventory";
    static constexpr const char* description =
        "Sets stock levels by SKU and location name (inventorySetQuantities, up to 250 per call, changed quantities only)";
    static constexpr const char* streams[] = {"inventory_level"};
    static constexpr uint32_t capabilities = FERRY_CAP_BATCH | FERRY_CAP_IDEMPOTENT_WRITE;
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "quantity_name": {"enum": ["available", "on_hand"], "description": "which Shopify quantity the record's value sets (default available)"},
            "reason": {"type": "string", "minLength": 1, "description": "inventory adjustment reason (default correction)"}
        },
        "additionalProperties": false
    })json";

    explicit inventory_sink(const sdk::create_args& args);
    void write(const sdk::delivery& d, sdk::call& out);
    void write_batch(const std::vector<sdk::delivery>& batch, sdk::call& out);

    struct outcome {
        ferry_status status = FERRY_OK;
        std::string text, target;
        bool done = false;
    };

private:
    struct row {
        size_t item;  // index into the batch
        std::string sku, location, item_id, location_id;
        int64_t quantity = 0;
        std::optional<int64_t> known;  // the quantity Shopify is believed to hold
    };
    // Fills `outcomes` as it goes; throws a status for the whole batch (throttled, fatal...).
    void run(const std::vector<sdk::delivery>& batch, std::vector<outcome>& outcomes);
    void push(std::vector<row>& rows, std::vector<outcome>& outcomes, bool compare, const std::string& reference);
    void refresh(const std::vector<row>& rows);

    sdk::context context_;
    graphql_client client_;
    shop_cache cache_;
    std::string quantity_name_ = "available";
    std::string reason_ = "correction";
    // Concurrent batches resolve one after the other, so that a cold cache is filled once.
    std::mutex resolve_mutex_;
};

class fulfillment_sink : public sdk::sink {
public:
    static constexpr const char* name = "fulfillment_create";
    static constexpr const char* description =
        "Creates fulfilments through the order's fulfillment orders, with tracking; partial fulfilment by SKU or line";
    static constexpr const char* streams[] = {"fulfillment"};
    static constexpr uint32_t capabilities = FERRY_CAP_LOOKUP;
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "notify_customer": {"type": "boolean", "description": "e-mail the customer (default: the record's notify_customer, else false)"}
        },
        "additionalProperties": false
    })json";

    explicit fulfillment_sink(const sdk::create_args& args);
    void write(const sdk::delivery& d, sdk::call& out);
    void lookup(const sdk::delivery& d, sdk::call& out);

private:
    sdk::context context_;
    graphql_client client_;
    shop_cache cache_;
    std::optional<bool> notify_;
};

class order_annotation_sink : public sdk::sink {
public:
    static constexpr const char* name = "order_annotations";
    static constexpr const char* description =
        "Writes the ERP order number back to the Shopify order: a tag, a note line and a metafield (idempotent)";
    static constexpr const char* streams[] = {"erp_order"};
    static constexpr uint32_t capabilities = FERRY_CAP_IDEMPOTENT_WRITE;
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "tag": {"type": "string", "description": "tag to add; {erp} and {erp_order} are replaced (default \"{erp}:{erp_order}\"); empty: no tag"},
            "note": {"type": "string", "description": "line appended to the order note once; {erp} and {erp_order} are replaced (default \"{erp} order {erp_order}\"); empty: no note"},
            "metafield_namespace": {"type": "string", "minLength": 2, "description": "default ferry"},
            "metafield_key": {"type": "string", "description": "default erp_order_number; empty: no metafield"}
        },
        "additionalProperties": false
    })json";

    explicit order_annotation_sink(const sdk::create_args& args);
    void write(const sdk::delivery& d, sdk::call& out);

private:
    sdk::context context_;
    graphql_client client_;
    shop_cache cache_;
    std::string tag_ = "{erp}:{erp_order}", note_ = "{erp} order {erp_order}";
    std::string namespace_ = "ferry", key_ = "erp_order_number";
};

class order_import_sink : public sdk::sink {
public:
    static constexpr const char* name = "order_import";
    static constexpr const char* description =
        "Creates orders taken outside Shopify (orderCreate); finds an earlier import by its ferry tag";
    static constexpr const char* streams[] = {"order"};
    static constexpr uint32_t capabilities = FERRY_CAP_LOOKUP;
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "unknown_sku": {"enum": ["reject", "custom_line"], "description": "a line whose SKU the shop lacks: reject the order (default) or import it as a custom line"},
            "inventory_behaviour": {"enum": ["BYPASS", "DECREMENT_IGNORING_POLICY", "DECREMENT_OBEYING_POLICY"], "description": "default BYPASS"},
            "send_receipt": {"type": "boolean", "description": "e-mail the order confirmation (default false)"},
            "keep_number": {"type": "boolean", "description": "use the record's number as the Shopify order name (default false: Shopify numbers it)"}
        },
        "additionalProperties": false
    })json";

    explicit order_import_sink(const sdk::create_args& args);
    void write(const sdk::delivery& d, sdk::call& out);
    void lookup(const sdk::delivery& d, sdk::call& out);

    // The tag that marks the import of one delivery, so that a retry finds it.
    static std::string import_tag(std::string_view idempotency_key);

private:
    sdk::context context_;
    graphql_client client_;
    shop_cache cache_;
    bool custom_lines_ = false, send_receipt_ = false, keep_number_ = false;
    std::string inventory_behaviour_ = "BYPASS";
};

}  // namespace ferry::shopify
