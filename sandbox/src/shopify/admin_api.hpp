// Execution of validated Admin API operations over the shop state: the queries and mutations a
// connector uses (see sandbox/shopify.md for the list). Mutations record webhook events in the
// state's outbox.
#pragma once

#include "shopify/schema.hpp"
#include "shopify/state.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace ferry::sandbox::shopify {

struct api_options {
    std::string api_version = "2025-10";
    std::string base_url;
    std::string plan_display = "Basic";       // Shop.plan.displayName                     // where bulk results are downloaded
    bool bulk = false;                        // bulk query: connections return every node
    bool idempotency_required = false;        // inventorySetQuantities needs @idempotent from 2026-04
    bool inventory_partial_apply = false;     // apply the valid rows of inventorySetQuantities
    int64_t idempotency_retention_ms = 24LL * 3600 * 1000;
};

// Runs the operation; returns `data` (an object, or null when nothing could run) and appends
// field errors to `errors`.
boost::json::value execute(const prepared_operation& p, shop_state& state, const api_options& options,
                           boost::json::array& errors);

// The slash form of a WebhookSubscriptionTopic ("ORDERS_CREATE" -> "orders/create"); empty when unknown.
std::string topic_from_enum(const std::string& value);
std::string topic_to_enum(const std::string& topic);

}  // namespace ferry::sandbox::shopify
