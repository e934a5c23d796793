// Shopify payloads to ferry's canonical model (docs/canonical-model.md). Two inputs: the REST
// resource a webhook carries (snake_case), and the GraphQL nodes a poll reads (camelCase). Both
// produce the same shapes; fields the model lacks ride under ext.shopify.
#pragma once

#include "util.hpp"

#include <string>
#include <vector>

namespace ferry::shopify {

// The GraphQL selections the mappers below read. Queries embed them so both stay in step.
extern const char* const order_selection;
extern const char* const order_lines_selection;  // lineItems(...) page, for orders with more lines
extern const char* const customer_selection;
extern const char* const product_selection;
extern const char* const fulfillment_selection;   // on Order
extern const char* const refund_selection;        // on Order
extern const char* const transaction_selection;   // on Order
extern const char* const inventory_item_selection;

// REST (webhook) payloads.
json::object order_from_rest(const json::object& o);
json::object customer_from_rest(const json::object& c);
json::object product_from_rest(const json::object& p);
// `order_name` is the order's name when known (refund and transaction payloads lack it).
json::object fulfillment_from_rest(const json::object& f, const std::string& order_name);
json::object refund_from_rest(const json::object& r, const std::string& order_name, const std::string& currency);
json::object payment_from_rest(const json::object& t, const std::string& order_id, const std::string& order_name,
                               const std::string& email);
// True for a transaction that moved money in: a successful sale or capture.
bool is_payment(std::string_view kind, std::string_view status);

// GraphQL nodes.
json::object order_from_graphql(const json::object& o);
json::object customer_from_graphql(const json::object& c);
json::object product_from_graphql(const json::object& p);
json::object fulfillment_from_graphql(const json::object& f, const json::object& order);
json::object refund_from_graphql(const json::object& r, const json::object& order);
json::object payment_from_graphql(const json::object& t, const json::object& order);
// One record per level of an inventory item node.
std::vector<json::object> inventory_levels_from_graphql(const json::object& item);

}  // namespace ferry::shopify
