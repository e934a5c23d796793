// One Shopify connection as a component sees it: where the shop is, which API version, the
// credentials, and the GraphQL Admin client that turns Shopify's answers (cost, throttling,
// errors) into ferry statuses. Every request goes through the host's HTTP service.
#pragma once

#include "util.hpp"

#include <ferry/plugin.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ferry::shopify {

namespace sdk = ferry::sdk;

// The connection config (connection_schema in plugin.cpp), parsed.
struct shop_settings {
    std::string base_url;      // "https://acme.myshopify.com" or the sandbox's base URL
    std::string shop_label;    // what messages call the shop
    std::string api_version;   // "2025-10"
    std::string access_token;  // secret
    std::string webhook_secret;  // secret; empty: webhooks are refused
    double restore_rate = 100;   // points per second of the plan, until Shopify reports its own
    uint32_t timeout_ms = 0;

    // Throws sdk::config_error naming the config value.
    static shop_settings parse(std::string_view connection_config);
    std::string graphql_url() const { return base_url + "/admin/api/" + api_version + "/graphql.json"; }

    // API version order: "2026-04" >= "2026-01"; "unstable" is newer than every dated version.
    bool version_at_least(std::string_view version) const;
};

// The last throttle status Shopify reported.
struct throttle_status {
    double available = 0, capacity = 0, restore = 0;
};

class graphql_client {
public:
    graphql_client(sdk::context context, shop_settings settings);

    // Runs one operation; returns its `data`. `label` names it in messages and keys its learned
    // cost; `estimate` is the requested cost assumed until Shopify has reported the real one.
    // Throws: throttled_error (THROTTLED, 429), fatal_error (401/403, ACCESS_DENIED, 404),
    // retry_error (5xx, transport, unreadable answer), reject_error (a query Shopify refuses).
    json::object run(const std::string& label, const std::string& query, json::object variables, double estimate);

    const shop_settings& settings() const { return settings_; }
    sdk::context& context() { return context_; }
    std::optional<throttle_status> last_throttle() const;

private:
    double cost_for(const std::string& label, double estimate) const;
    void learn(const std::string& label, const json::object& extensions);

    sdk::context context_;
    shop_settings settings_;
    mutable std::mutex mutex_;
    std::map<std::string, double> requested_cost_;  // by label: the last requestedQueryCost
    std::optional<throttle_status> throttle_;
};

// A reason a userErrors entry gives, as "field.path: message".
std::string describe_user_error(const json::value& user_error);

// Per-connection caches kept in the host's state service, shared by every component of the
// connection: SKU -> variant and inventory item, location name -> id, order id -> name, and the
// last quantity known to be in Shopify per (item, location).
class shop_cache {
public:
    explicit shop_cache(sdk::context context) : context_(context) {}

    struct sku_entry {
        std::string variant_id, inventory_item_id;
    };
    std::optional<sku_entry> sku(const std::string& sku) const;
    void put_sku(const std::string& sku, const sku_entry& e) const;
    std::optional<std::string> location(const std::string& name) const;
    void put_location(const std::string& name, const std::string& id) const;
    std::optional<std::string> location_name(const std::string& id) const;
    std::optional<std::string> item_sku(const std::string& inventory_item_id) const;
    std::optional<std::string> order_name(const std::string& order_id) const;
    void put_order_name(const std::string& order_id, const std::string& name) const;
    std::optional<std::string> order_id(const std::string& name) const;
    std::optional<int64_t> quantity(const std::string& item, const std::string& location, const std::string& name) const;
    void put_quantity(const std::string& item, const std::string& location, const std::string& name, int64_t q) const;
    void forget_quantity(const std::string& item, const std::string& location, const std::string& name) const;

private:
    std::optional<std::string> get(const std::string& key) const { return context_.state_get(key); }
    void put(const std::string& key, const std::string& value) const { context_.state_put(key, value); }
    sdk::context context_;
};

// Looks a set of SKUs up in Shopify (productVariants, 250 per query) and caches what it finds.
// Returns SKU -> entry for those found; SKUs absent from the result do not exist in the shop.
std::map<std::string, shop_cache::sku_entry> resolve_skus(graphql_client& client, const shop_cache& cache,
                                                          const std::vector<std::string>& skus);
// Location name -> id, from the cache or by reading every location once.
std::optional<std::string> resolve_location(graphql_client& client, const shop_cache& cache, const std::string& name);
// The order with this id (a GID) or name ("#1001"); nullopt when the shop has none.
struct order_ref {
    std::string id, name;
};
std::optional<order_ref> find_order(graphql_client& client, const shop_cache& cache, const std::string& id,
                                    const std::string& name);

}  // namespace ferry::shopify
