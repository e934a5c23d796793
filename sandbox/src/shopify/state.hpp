// The emulated shop's data: locations, products and variants, inventory, customers, orders with
// their fulfillment orders, fulfillments, refunds and metafields. Not thread-safe: the service
// guards it with its mutex. Money is kept in cents of the shop currency.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::sandbox::shopify {

// The sandbox's notion of "now": the wall clock plus an offset a test can advance
// (/_sandbox/clock), shared by timestamps and the throttling buckets.
struct sandbox_clock {
    int64_t offset_ms = 0;
    int64_t now_ms() const;  // Unix milliseconds
};

std::string iso_time(int64_t unix_ms);                  // 2025-01-01T00:00:00Z
std::optional<int64_t> parse_iso_time(const std::string& text);  // Unix ms; date-only means midnight UTC
std::string money_text(int64_t cents);                  // "12.50"
std::optional<int64_t> parse_money(const std::string& text);  // "12.5" -> 1250
std::string gid(const std::string& type, int64_t id);
// A card-network style approval code (six characters) for the transaction with this id: stable,
// so a replayed payload carries the same reference.
std::string authorization_code(int64_t transaction_id);
// The numeric id of a GID of the given type ("gid://shopify/Order/5" -> 5); nullopt otherwise.
std::optional<int64_t> parse_gid(const std::string& text, const std::string& type);

struct address {
    std::string first_name, last_name, company, address1, address2, city, province, province_code,
        country, country_code, zip, phone;
    bool empty() const { return address1.empty() && city.empty() && country_code.empty() && first_name.empty(); }
};

struct location {
    int64_t id = 0;
    std::string name;
    bool active = true;
    address addr;
    int64_t created_at = 0, updated_at = 0;
};

struct variant {
    int64_t id = 0, product_id = 0, inventory_item_id = 0;
    std::string sku, title = "Default Title", barcode;
    int64_t price_cents = 0;
    int64_t created_at = 0, updated_at = 0;
};

struct product {
    int64_t id = 0;
    std::string title, handle, vendor, product_type, status = "ACTIVE";
    std::vector<std::string> tags;
    std::vector<int64_t> variant_ids;
    int64_t created_at = 0, updated_at = 0;
};

struct inventory_item {
    int64_t id = 0, variant_id = 0;
    bool tracked = true;
    int64_t created_at = 0, updated_at = 0;
};

// The quantity names of Shopify's inventory states. on_hand = available + committed + reserved +
// damaged + safety_stock + quality_control; incoming is outside on_hand.
extern const std::vector<std::string> quantity_names;

struct inventory_level {
    int64_t item_id = 0, location_id = 0;
    std::map<std::string, int64_t> quantities;  // every name in quantity_names
    int64_t created_at = 0, updated_at = 0;
    int64_t get(const std::string& name) const;
};

struct customer {
    int64_t id = 0;
    std::string email, first_name, last_name, phone, note;
    std::vector<std::string> tags;
    bool tax_exempt = false;
    address default_address;
    int64_t created_at = 0, updated_at = 0;
};

struct tax_line {
    std::string title;
    double rate = 0;
    int64_t price_cents = 0;
};

struct line_item {
    int64_t id = 0, variant_id = 0, product_id = 0;  // 0: not a product of this shop
    std::string sku, title, variant_title, vendor;
    int64_t quantity = 0, price_cents = 0, discount_cents = 0;
    bool requires_shipping = true, taxable = true;
    std::vector<tax_line> tax_lines;
    int64_t fulfilled = 0, refunded = 0;
};

struct shipping_line {
    int64_t id = 0;
    std::string title, code, source = "shopify";
    int64_t price_cents = 0;
    std::vector<tax_line> tax_lines;
};

struct transaction {
    int64_t id = 0;
    std::string kind = "sale", status = "success", gateway = "manual";
    std::string authorization;  // the gateway's reference; empty for manual payments
    int64_t amount_cents = 0;
    int64_t created_at = 0;
};

struct discount_code {
    std::string code, type = "fixed_amount";  // fixed_amount, percentage, shipping
    int64_t amount_cents = 0;
};

struct metafield {
    int64_t id = 0;
    std::string ns, key, value, type = "single_line_text_field";
    int64_t created_at = 0, updated_at = 0;
};

struct fulfillment_order_line {
    int64_t id = 0, line_item_id = 0, total = 0, remaining = 0;
};

struct fulfillment_order {
    int64_t id = 0, order_id = 0, location_id = 0;
    std::string status = "OPEN";  // OPEN, IN_PROGRESS, CLOSED, CANCELLED
    std::vector<fulfillment_order_line> lines;
    int64_t created_at = 0, updated_at = 0;
};

struct fulfillment {
    int64_t id = 0, order_id = 0, location_id = 0;
    std::string name, status = "success", tracking_company, tracking_number, tracking_url;
    std::vector<std::pair<int64_t, int64_t>> lines;  // line item id, quantity
    int64_t created_at = 0, updated_at = 0;
};

// Shopify's RefundLineItemRestockType in REST spelling.
extern const std::vector<std::string> restock_types;  // no_restock, cancel, return, legacy_restock

struct refund_line {
    int64_t id = 0, line_item_id = 0, quantity = 0, location_id = 0;  // location: where stock went back
    std::string restock_type = "no_restock";
    int64_t subtotal_cents = 0, tax_cents = 0;  // the line's share after discounts; its tax
};

// What a refund takes back: a line item, how many, and what happens to the stock.
struct refund_request_line {
    int64_t line_item_id = 0, quantity = 0;
    std::string restock_type = "no_restock";
};

struct refund {
    int64_t id = 0, order_id = 0;
    std::string note;
    std::vector<refund_line> lines;
    std::vector<int64_t> transaction_ids;
    int64_t amount_cents = 0;
    int64_t created_at = 0, updated_at = 0;
};

struct order {
    int64_t id = 0, number = 0, customer_id = 0;
    std::string name, email, phone, note, currency = "USD", source_name = "web", po_number;
    std::string financial_status = "pending";   // REST spelling: pending, paid, refunded, ...
    std::string fulfillment_status;             // "", partial, fulfilled
    std::string cancel_reason;
    bool taxes_included = false, test = false;
    address shipping_address, billing_address;
    std::vector<line_item> line_items;
    std::vector<shipping_line> shipping_lines;
    std::vector<discount_code> discount_codes;
    std::vector<transaction> transactions;
    std::vector<int64_t> fulfillment_order_ids, fulfillment_ids, refund_ids;
    std::vector<std::string> tags;
    std::vector<metafield> metafields;
    std::vector<std::pair<std::string, std::string>> custom_attributes;
    int64_t created_at = 0, updated_at = 0, processed_at = 0, cancelled_at = 0, closed_at = 0;

    int64_t subtotal_cents() const;   // lines after line discounts
    int64_t shipping_cents() const;
    int64_t tax_cents() const;
    int64_t discount_cents() const;
    int64_t total_cents() const;
    int64_t received_cents() const;   // successful sale/capture minus refunds
    int64_t refunded_cents() const;
};

struct webhook_subscription {
    int64_t id = 0;
    std::string topic;         // orders/create
    std::string callback_url;
    std::string name;          // X-Shopify-Name, optional
    std::string format = "JSON";
    std::string api_version;   // payload version; empty: the webhook_api_version setting
    std::vector<std::string> include_fields;
    int consecutive_failures = 0;
    int64_t created_at = 0, updated_at = 0;
};

struct bulk_operation {
    int64_t id = 0;
    std::string status = "CREATED", type = "QUERY", query, error_code;
    std::string jsonl;
    int64_t object_count = 0, root_object_count = 0;
    int64_t created_at = 0, completed_at = 0;
};

// A merchant action that webhooks report: the topic, the REST-shaped payload and the topic's
// resource header (X-Shopify-Order-Id ...). The service turns it into deliveries.
struct shop_event {
    std::string topic;
    boost::json::object payload;
    std::vector<std::pair<std::string, std::string>> headers;
};

// A stored @idempotent result: the parameters it was made with and what was answered.
struct idempotent_result {
    std::string parameters;
    boost::json::value result;
    int64_t at_ms = 0;
};

// What a new order is made of, from the control API or from orderCreate.
struct order_line_spec {
    std::string sku, title;
    int64_t variant_id = 0, quantity = 1;
    std::optional<int64_t> price_cents;
    std::vector<tax_line> tax_lines;
    bool requires_shipping = true;
};

struct order_spec {
    std::vector<order_line_spec> lines;
    int64_t customer_id = 0;
    std::string email, note, name, currency, source_name = "web", financial_status;
    std::vector<std::string> tags;
    std::optional<address> shipping_address, billing_address;
    std::vector<shipping_line> shipping_lines;
    std::vector<discount_code> discount_codes;
    std::vector<transaction> transactions;
    std::vector<metafield> metafields;
    std::vector<tax_line> order_tax_lines;  // spread over the lines when lines carry none
    bool taxes_included = false, test = false;
    std::optional<int64_t> processed_at;
    bool decrement_inventory = false;
};

class shop_state {
public:
    explicit shop_state(const sandbox_clock& clock);

    // Shop settings.
    std::string shop_name = "ferry sandbox", shop_domain = "ferry-sandbox.myshopify.com",
                shop_email = "owner@ferry-sandbox.example", currency = "USD", timezone = "Etc/UTC";
    int64_t shop_id = 0;

    // Seeding; throws std::invalid_argument naming the bad field.
    void seed(const boost::json::object& data);

    int64_t next_id() {
        int64_t id = next_id_;
        next_id_ += 2;
        return id;
    }
    int64_t now() const { return clock_.now_ms(); }

    std::map<int64_t, location> locations;
    std::map<int64_t, product> products;
    std::map<int64_t, variant> variants;
    std::map<int64_t, inventory_item> items;
    std::map<std::pair<int64_t, int64_t>, inventory_level> levels;  // (item, location)
    std::map<int64_t, customer> customers;
    std::map<int64_t, order> orders;
    std::map<int64_t, fulfillment_order> fulfillment_orders;
    std::map<int64_t, fulfillment> fulfillments;
    std::map<int64_t, refund> refunds;
    std::map<int64_t, webhook_subscription> subscriptions;
    std::map<int64_t, bulk_operation> bulk_operations;
    std::map<std::string, idempotent_result> idempotency;  // by key
    std::vector<shop_event> outbox;                         // drained by the service after each request

    void emit_order(const std::string& topic, const order& o);
    void emit_level(const inventory_level& l);

    const variant* variant_by_sku(const std::string& sku) const;
    const location* location_by_name(const std::string& name) const;
    const location* default_location() const;
    inventory_level& level(int64_t item_id, int64_t location_id);  // creates (stocks) when absent

    // Sets one quantity name, keeping on_hand consistent with the states it sums.
    void set_quantity(inventory_level& lvl, const std::string& name, int64_t value);

    order& create_order(const order_spec& spec);
    // Fulfils (line item id, quantity) pairs of one order from one fulfillment order.
    fulfillment& fulfil(order& o, const std::vector<std::pair<int64_t, int64_t>>& fo_lines,  // (fo line id, qty)
                        const std::string& company, const std::string& number, const std::string& url);
    void cancel(order& o, const std::string& reason, bool restock);
    transaction& pay(order& o);
    // Refunds lines (none: everything paid) with a gateway refund transaction; `cancel` puts
    // unfulfilled units back to available, `return` puts fulfilled units back on the shelf.
    // Throws std::invalid_argument for a restock the line cannot take.
    refund& refund_order(order& o, const std::vector<refund_request_line>& lines, const std::string& note);

    // REST-shaped JSON (webhook payloads and the REST subset).
    boost::json::object order_json(const order& o) const;
    boost::json::object customer_json(const customer& c) const;
    boost::json::object fulfillment_json(const fulfillment& f) const;
    boost::json::object fulfillment_order_json(const fulfillment_order& f) const;
    boost::json::object refund_json(const refund& r) const;
    boost::json::object level_json(const inventory_level& l) const;
    boost::json::object product_json(const product& p) const;
    boost::json::object location_json(const location& l) const;

private:
    void seed_location(const boost::json::object& o);
    void seed_product(const boost::json::object& o);
    void seed_customer(const boost::json::object& o);
    void update_fulfillment_status(order& o);
    void restock(order& o, const line_item& li, refund_line& rl);  // moves the stock a refund line takes back

    const sandbox_clock& clock_;
    // Above 2^53 and odd, so that a client reading ids through a double visibly corrupts them.
    int64_t next_id_ = 9007199254741993;
    int64_t next_order_number_ = 1001;
};

address parse_address(const boost::json::value& v);  // REST or GraphQL field names
boost::json::object address_json(const address& a);   // REST field names

}  // namespace ferry::sandbox::shopify
