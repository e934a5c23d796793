// The emulated GraphQL Admin API and REST subset, against the facts of
// shared/reference/shopify.md: auth, error shapes, queries and pagination, mutations, throttling.
#include "shopify_test_support.hpp"

#include <gtest/gtest.h>

using namespace shopify_test;

namespace {

const std::string json_of(const json::value& v) { return json::serialize(v); }

std::string first_order_id(shop& s) {
    json::value r = s.gql("{ orders(first: 1) { nodes { id } } }").json();
    return std::string(r.at("data").at("orders").at("nodes").at(0).at("id").as_string());
}

int64_t numeric(const std::string& gid) { return std::stoll(gid.substr(gid.rfind('/') + 1)); }

}  // namespace

TEST(shopify_api, missing_or_unknown_token_is_401_with_shopifys_body) {
    shop s;
    http_result none = http("POST", s.base + "/admin/api/2025-10/graphql.json", R"({"query":"{ shop { name } }"})");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.body, R"x({"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"})x");
    http_result wrong = s.gql("{ shop { name } }", {}, "2025-10", "shpat_wrong");
    EXPECT_EQ(wrong.status, 401);
    http_result rest = http("GET", s.base + "/admin/api/2025-10/orders.json");
    EXPECT_EQ(rest.status, 401);
    EXPECT_EQ(s.control("GET", "requests").at("unauthorized").as_int64(), 3);
}

TEST(shopify_api, every_response_carries_the_cost_extension) {
    shop s;
    http_result r = s.gql("{ shop { name currencyCode myshopifyDomain plan { displayName } } }");
    ASSERT_EQ(r.status, 200);
    // Shopify writes the bucket numbers as floats.
    EXPECT_NE(r.body.find(R"("throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1998,"restoreRate":100.0})"), std::string::npos) << r.body;
    json::value j = r.json();
    EXPECT_EQ(j.at("data").at("shop").at("name"), "Test Shop");
    EXPECT_EQ(j.at("data").at("shop").at("currencyCode"), "EUR");
    EXPECT_EQ(j.at("data").at("shop").at("plan").at("displayName"), "Basic");
    EXPECT_EQ(j.at("extensions").at("cost").at("requestedQueryCost").as_int64(), 2);  // shop + plan
    EXPECT_EQ(j.at("extensions").at("cost").at("actualQueryCost").as_int64(), 2);
}

TEST(shopify_api, unknown_field_and_syntax_error_are_shaped_as_shopify) {
    shop s;
    json::value j = s.gql("{\n  shop {\n    nmae\n  }\n}").json();
    EXPECT_FALSE(j.as_object().contains("data"));
    const json::value& e = j.at("errors").at(0);
    EXPECT_EQ(e.at("message"), "Field 'nmae' doesn't exist on type 'Shop'");
    EXPECT_EQ(json_of(e.at("locations")), R"([{"line":3,"column":5}])");
    EXPECT_EQ(json_of(e.at("path")), R"(["query","shop","nmae"])");
    EXPECT_EQ(e.at("extensions").at("code"), "undefinedField");
    EXPECT_EQ(e.at("extensions").at("typeName"), "Shop");
    EXPECT_TRUE(j.at("extensions").at("cost").is_object());

    json::value p = s.gql("{ publicApiVersions() { handle } }").json();
    EXPECT_EQ(p.at("errors").at(0).at("message"), "Parse error on \")\" (RPAREN) at [1, 21]");
    EXPECT_EQ(json_of(p.at("errors").at(0).at("locations")), R"([{"line":1,"column":21}])");

    json::value a = s.gql("query Q { orders(frist: 1) { nodes { id } } }").json();
    EXPECT_EQ(a.at("errors").at(0).at("message"), "Field 'orders' doesn't accept argument 'frist'");
    EXPECT_EQ(a.at("errors").at(0).at("extensions").at("code"), "argumentNotAccepted");
    EXPECT_EQ(json_of(a.at("errors").at(0).at("path")), R"(["query Q","orders","frist"])");

    json::value v = s.gql("query Q($id: ID!) { order(id: $id) { id } }").json();
    EXPECT_EQ(v.at("errors").at(0).at("message"), "Variable $id of type ID! was provided invalid value");

    http_result bad = http("POST", s.base + "/admin/api/2025-10/graphql.json", "not json", {"X-Shopify-Access-Token: shpat_test"});
    EXPECT_EQ(bad.status, 400);
}

TEST(shopify_api, variables_fragments_aliases_and_sku_lookup) {
    shop s;
    json::value j = s.gql(R"(
        query Find($q: String!) {
          mug: productVariants(first: 5, query: $q) { edges { cursor node { ...v } } }
          all: productVariants(first: 10) { nodes { sku } }
        }
        fragment v on ProductVariant {
          sku price __typename
          inventoryItem { id inventoryLevels(first: 5) { nodes { location { name } quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } }
        })", {{"q", "sku:MUG-BLUE"}}).json();
    ASSERT_FALSE(j.as_object().contains("errors")) << json_of(j);
    const json::array& edges = j.at("data").at("mug").at("edges").as_array();
    ASSERT_EQ(edges.size(), 1u);
    const json::value& node = edges[0].at("node");
    EXPECT_EQ(node.at("sku"), "MUG-BLUE");
    EXPECT_EQ(node.at("price"), "12.50");
    EXPECT_EQ(node.at("__typename"), "ProductVariant");
    const json::array& levels = node.at("inventoryItem").at("inventoryLevels").at("nodes").as_array();
    ASSERT_EQ(levels.size(), 2u);
    EXPECT_EQ(json_of(levels[0].at("quantities")), R"([{"name":"available","quantity":40},{"name":"on_hand","quantity":40},{"name":"committed","quantity":0}])");
    EXPECT_EQ(j.at("data").at("all").at("nodes").as_array().size(), 3u);
    // IDs are above 2^53 so that a client reading them through a double notices.
    EXPECT_GT(numeric(std::string(node.at("inventoryItem").at("id").as_string())), int64_t(1) << 53);
}

TEST(shopify_api, orders_paginate_with_cursors_and_filter_on_updated_at) {
    shop s;
    s.control("POST", "orders", json::object{{"count", 5}});
    std::vector<std::string> seen;
    std::string after;
    bool more = true;
    while (more) {
        json::object vars{{"after", after.empty() ? json::value(nullptr) : json::value(after)}};
        json::value j = s.gql("query($after: String) { orders(first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name } } }", vars).json();
        const json::value& conn = j.at("data").at("orders");
        for (const auto& n : conn.at("nodes").as_array()) seen.emplace_back(n.at("name").as_string());
        more = conn.at("pageInfo").at("hasNextPage").as_bool();
        after = std::string(conn.at("pageInfo").at("endCursor").as_string());
        EXPECT_EQ(j.at("extensions").at("cost").at("requestedQueryCost").as_int64(), 2 + 2 * 1);
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"#1001", "#1002", "#1003", "#1004", "#1005"}));

    json::value last = s.gql("{ orders(last: 2) { pageInfo { hasPreviousPage } nodes { name } } }").json();
    EXPECT_EQ(json_of(last.at("data").at("orders").at("nodes")), R"([{"name":"#1004"},{"name":"#1005"}])");
    EXPECT_TRUE(last.at("data").at("orders").at("pageInfo").at("hasPreviousPage").as_bool());

    std::string mark = std::string(s.control("POST", "clock", json::object{{"advance_ms", 60000}}).at("now").as_string());
    s.control("POST", "clock", json::object{{"advance_ms", 1000}});
    s.control("POST", "orders/1003/update", json::object{{"note", "changed"}});
    json::value changed = s.gql("query($q: String) { orders(first: 10, query: $q) { nodes { name note } } }",
                                {{"q", "updated_at:>'" + mark + "'"}}).json();
    EXPECT_EQ(json_of(changed.at("data").at("orders").at("nodes")), R"([{"name":"#1003","note":"changed"}])");

    std::string third = std::to_string(numeric(std::string(s.gql("{ orders(first: 1, query: \"name:#1003\") { nodes { id } } }").json()
                                                               .at("data").at("orders").at("nodes").at(0).at("id").as_string())));
    json::value by_id = s.gql("query($q: String) { orders(first: 10, query: $q) { nodes { name } } }", {{"q", "id:>=" + third + " -name:#1005"}}).json();
    EXPECT_EQ(json_of(by_id.at("data").at("orders").at("nodes")), R"([{"name":"#1003"},{"name":"#1004"}])");

    json::value missing = s.gql("{ orders { nodes { id } } }").json();
    EXPECT_EQ(missing.at("errors").at(0).at("message"), "you must provide one of first or last");
}

TEST(shopify_api, order_by_id_with_lines_customer_and_fulfillment_orders) {
    shop s;
    s.control("POST", "orders", json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 2}}}}, {"unknown_sku", true}});
    std::string id = first_order_id(s);
    json::value j = s.gql(R"(query($id: ID!) { order(id: $id) {
        id name email displayFinancialStatus displayFulfillmentStatus
        customer { email firstName } shippingAddress { city countryCodeV2 }
        totalPriceSet { shopMoney { amount currencyCode } }
        shippingLines(first: 5) { nodes { title originalPriceSet { shopMoney { amount } } } }
        lineItems(first: 10) { nodes { sku quantity variant { id } taxLines { rate priceSet { shopMoney { amount } } } } }
        fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 10) { nodes { id sku remainingQuantity totalQuantity } } } }
      } })", {{"id", id}}).json();
    ASSERT_FALSE(j.as_object().contains("errors")) << json_of(j);
    const json::value& o = j.at("data").at("order");
    EXPECT_EQ(o.at("name"), "#1001");
    EXPECT_EQ(o.at("email"), "ann@example.com");
    EXPECT_EQ(o.at("displayFinancialStatus"), "PAID");
    EXPECT_EQ(o.at("displayFulfillmentStatus"), "UNFULFILLED");
    EXPECT_EQ(o.at("customer").at("firstName"), "Ann");
    EXPECT_EQ(o.at("shippingAddress").at("countryCodeV2"), "DE");
    // 2 x 12.50 + 19.99 (unknown SKU) + 4.99 shipping, plus 10 % tax on each.
    EXPECT_EQ(o.at("totalPriceSet").at("shopMoney").at("amount"), "54.98");
    EXPECT_EQ(o.at("totalPriceSet").at("shopMoney").at("currencyCode"), "EUR");
    const json::array& lines = o.at("lineItems").at("nodes").as_array();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].at("sku"), "MUG-BLUE");
    EXPECT_TRUE(lines[1].at("variant").is_null());  // the unknown SKU is a custom line
    EXPECT_EQ(lines[0].at("taxLines").at(0).at("priceSet").at("shopMoney").at("amount"), "2.50");
    const json::value& fo = o.at("fulfillmentOrders").at("nodes").at(0);
    EXPECT_EQ(fo.at("status"), "OPEN");
    EXPECT_EQ(fo.at("lineItems").at("nodes").at(0).at("remainingQuantity").as_int64(), 2);
    // Stock of the mug was committed at the first location.
    json::value levels = s.control("GET", "inventory?sku=MUG-BLUE");
    EXPECT_EQ(levels.at("levels").at(0).at("quantities").at("available").as_int64(), 38);
    EXPECT_EQ(levels.at("levels").at(0).at("quantities").at("committed").as_int64(), 2);
    EXPECT_EQ(levels.at("levels").at(0).at("quantities").at("on_hand").as_int64(), 40);
}

namespace {

struct ids {
    std::string item, location;
};

ids mug_ids(shop& s) {
    json::value j = s.gql(R"({ inventoryItems(first: 1, query: "sku:MUG-BLUE") { nodes { id } } locations(first: 5, sortKey: NAME) { nodes { id name } } })").json();
    return {std::string(j.at("data").at("inventoryItems").at("nodes").at(0).at("id").as_string()),
            std::string(j.at("data").at("locations").at("nodes").at(0).at("id").as_string())};
}

const char* set_mutation = R"(mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange } }
    userErrors { field message code } } })";

json::object set_input(const ids& i, json::object row, bool ignore = false) {
    row["inventoryItemId"] = i.item;
    row["locationId"] = i.location;
    json::object input{{"name", "available"}, {"reason", "correction"}, {"quantities", json::array{row}}};
    if (ignore) input["ignoreCompareQuantity"] = true;
    return json::object{{"input", input}};
}

int64_t available(shop& s) { return s.control("GET", "inventory?sku=MUG-BLUE").at("levels").at(0).at("quantities").at("available").as_int64(); }

}  // namespace

TEST(shopify_api, inventory_set_quantities_compare_semantics_up_to_2025_10) {
    shop s;
    ids i = mug_ids(s);
    json::value ok = s.gql(set_mutation, set_input(i, {{"quantity", 25}, {"compareQuantity", 40}})).json();
    const json::value& payload = ok.at("data").at("inventorySetQuantities");
    EXPECT_TRUE(payload.at("userErrors").as_array().empty()) << json_of(ok);
    EXPECT_EQ(json_of(payload.at("inventoryAdjustmentGroup").at("changes")),
              R"([{"name":"available","delta":-15,"quantityAfterChange":25},{"name":"on_hand","delta":-15,"quantityAfterChange":25}])");
    EXPECT_EQ(ok.at("extensions").at("cost").at("requestedQueryCost").as_int64(), 10);

    json::value stale = s.gql(set_mutation, set_input(i, {{"quantity", 5}, {"compareQuantity", 40}})).json();
    const json::value& e = stale.at("data").at("inventorySetQuantities").at("userErrors").at(0);
    EXPECT_EQ(e.at("code"), "COMPARE_QUANTITY_STALE");
    EXPECT_EQ(json_of(e.at("field")), R"(["input","quantities","0","compareQuantity"])");
    EXPECT_TRUE(stale.at("data").at("inventorySetQuantities").at("inventoryAdjustmentGroup").is_null());
    EXPECT_EQ(available(s), 25);  // nothing applied

    json::value required = s.gql(set_mutation, set_input(i, {{"quantity", 5}})).json();
    EXPECT_EQ(required.at("data").at("inventorySetQuantities").at("userErrors").at(0).at("code"), "COMPARE_QUANTITY_REQUIRED");
    s.gql(set_mutation, set_input(i, {{"quantity", 7}}, true));
    EXPECT_EQ(available(s), 7);

    json::value new_field = s.gql(set_mutation, set_input(i, {{"quantity", 5}, {"changeFromQuantity", 7}})).json();
    EXPECT_EQ(new_field.at("errors").at(0).at("extensions").at("code"), "argumentNotAccepted");
}

TEST(shopify_api, inventory_set_quantities_change_from_quantity_from_2026_04) {
    shop s;
    ids i = mug_ids(s);
    json::value removed = s.gql(set_mutation, set_input(i, {{"quantity", 5}, {"compareQuantity", 40}}), "2026-04").json();
    EXPECT_EQ(removed.at("errors").at(0).at("message"), "InputObject 'InventoryQuantityInput' doesn't accept argument 'compareQuantity'");
    json::value omitted = s.gql(set_mutation, set_input(i, {{"quantity", 5}}), "2026-04").json();
    EXPECT_EQ(omitted.at("data").at("inventorySetQuantities").at("userErrors").at(0).at("code"), "CHANGE_FROM_QUANTITY_REQUIRED");
    json::value stale = s.gql(set_mutation, set_input(i, {{"quantity", 5}, {"changeFromQuantity", 39}}), "2026-04").json();
    EXPECT_EQ(stale.at("data").at("inventorySetQuantities").at("userErrors").at(0).at("code"), "CHANGE_FROM_QUANTITY_STALE");
    json::value ok = s.gql(set_mutation, set_input(i, {{"quantity", 5}, {"changeFromQuantity", 40}}), "2026-04").json();
    EXPECT_TRUE(ok.at("data").at("inventorySetQuantities").at("userErrors").as_array().empty());
    json::value opt_out = s.gql(set_mutation, set_input(i, {{"quantity", 9}, {"changeFromQuantity", nullptr}}), "2026-04").json();
    EXPECT_TRUE(opt_out.at("data").at("inventorySetQuantities").at("userErrors").as_array().empty());
    EXPECT_EQ(available(s), 9);
}

TEST(shopify_api, inventory_set_quantities_caps_arrays_and_honours_idempotency_keys) {
    shop s;
    ids i = mug_ids(s);
    json::array rows;
    for (int n = 0; n < 251; ++n) rows.push_back(json::object{{"inventoryItemId", i.item}, {"locationId", i.location}, {"quantity", n}});
    json::object big{{"input", json::object{{"name", "available"}, {"reason", "correction"}, {"ignoreCompareQuantity", true}, {"quantities", rows}}}};
    json::value capped = s.gql(set_mutation, big).json();
    EXPECT_EQ(capped.at("errors").at(0).at("extensions").at("code"), "MAX_INPUT_SIZE_EXCEEDED");
    EXPECT_EQ(capped.at("errors").at(0).at("message"), "The input array size of 251 is greater than the maximum allowed of 250.");

    const char* keyed = R"(mutation($input: InventorySetQuantitiesInput!) {
      inventorySetQuantities(input: $input) @idempotent(key: "k-1") { inventoryAdjustmentGroup { id } userErrors { code } } })";
    json::value first = s.gql(keyed, set_input(i, {{"quantity", 30}, {"changeFromQuantity", 40}}), "2026-01").json();
    json::value again = s.gql(keyed, set_input(i, {{"quantity", 30}, {"changeFromQuantity", 40}}), "2026-01").json();
    EXPECT_EQ(json_of(first.at("data")), json_of(again.at("data")));  // replayed, not stale
    json::value other = s.gql(keyed, set_input(i, {{"quantity", 31}, {"changeFromQuantity", 30}}), "2026-01").json();
    EXPECT_EQ(other.at("data").at("inventorySetQuantities").at("userErrors").at(0).at("code"), "IDEMPOTENCY_KEY_PARAMETER_MISMATCH");
    json::value old_version = s.gql(keyed, set_input(i, {{"quantity", 30}, {"compareQuantity", 30}}), "2025-10").json();
    EXPECT_EQ(old_version.at("errors").at(0).at("extensions").at("code"), "undefinedDirective");
}

TEST(shopify_api, order_update_sets_tags_note_and_metafields) {
    shop s;
    s.control("POST", "orders", json::object{{"count", 1}});
    std::string id = first_order_id(s);
    json::value j = s.gql(R"(mutation($input: OrderInput!) { orderUpdate(input: $input) { order { tags note metafield(namespace: "erp", key: "number") { value } } userErrors { field message } } })",
                          {{"input", json::object{{"id", id}, {"tags", json::array{"erp-synced", "SO-1001"}}, {"note", "ERP order SO-1001"},
                                                  {"metafields", json::array{json::object{{"namespace", "erp"}, {"key", "number"}, {"value", "SO-1001"}, {"type", "single_line_text_field"}}}}}}}).json();
    const json::value& p = j.at("data").at("orderUpdate");
    EXPECT_TRUE(p.at("userErrors").as_array().empty()) << json_of(j);
    EXPECT_EQ(p.at("order").at("metafield").at("value"), "SO-1001");
    json::value back = s.control("GET", "orders/" + std::to_string(numeric(id)));
    EXPECT_EQ(json_of(back.at("order").at("tag_list")), R"(["erp-synced","SO-1001"])");
    EXPECT_EQ(back.at("order").at("note"), "ERP order SO-1001");
    EXPECT_EQ(back.at("order").at("metafields").at(0).at("value"), "SO-1001");

    json::value missing = s.gql(R"(mutation { orderUpdate(input: {id: "gid://shopify/Order/1"}) { order { id } userErrors { field message } } })").json();
    EXPECT_EQ(json_of(missing.at("data").at("orderUpdate").at("userErrors")), R"([{"field":["id"],"message":"Order does not exist"}])");
}

TEST(shopify_api, fulfillment_create_partial_then_complete_with_tracking) {
    shop s;
    s.control("POST", "orders", json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 3}}}}});
    std::string id = first_order_id(s);
    json::value fo = s.gql(R"(query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id lineItems(first: 5) { nodes { id } } } } } })", {{"id", id}}).json();
    std::string fo_id(fo.at("data").at("order").at("fulfillmentOrders").at("nodes").at(0).at("id").as_string());
    std::string line_id(fo.at("data").at("order").at("fulfillmentOrders").at("nodes").at(0).at("lineItems").at("nodes").at(0).at("id").as_string());
    const char* create = R"(mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
        fulfillment { id status trackingInfo { number company url } } userErrors { field message } } })";
    auto input = [&](int qty) {
        return json::object{{"f", json::object{{"lineItemsByFulfillmentOrder", json::array{json::object{{"fulfillmentOrderId", fo_id},
                                                                                              {"fulfillmentOrderLineItems", json::array{json::object{{"id", line_id}, {"quantity", qty}}}}}}},
                                               {"trackingInfo", json::object{{"number", "1Z999"}, {"company", "UPS"}, {"url", "https://ups.example/1Z999"}}}}}};
    };
    json::value too_many = s.gql(create, input(4)).json();
    EXPECT_EQ(too_many.at("data").at("fulfillmentCreate").at("userErrors").as_array().size(), 1u);
    json::value part = s.gql(create, input(1)).json();
    ASSERT_TRUE(part.at("data").at("fulfillmentCreate").at("userErrors").as_array().empty()) << json_of(part);
    EXPECT_EQ(json_of(part.at("data").at("fulfillmentCreate").at("fulfillment").at("trackingInfo")),
              R"([{"number":"1Z999","company":"UPS","url":"https://ups.example/1Z999"}])");
    json::value mid = s.gql(R"(query($id: ID!) { order(id: $id) { displayFulfillmentStatus fulfillmentOrders(first: 1) { nodes { status lineItems(first: 1) { nodes { remainingQuantity } } } } } })", {{"id", id}}).json();
    EXPECT_EQ(mid.at("data").at("order").at("displayFulfillmentStatus"), "PARTIALLY_FULFILLED");
    EXPECT_EQ(mid.at("data").at("order").at("fulfillmentOrders").at("nodes").at(0).at("status"), "IN_PROGRESS");
    EXPECT_EQ(mid.at("data").at("order").at("fulfillmentOrders").at("nodes").at(0).at("lineItems").at("nodes").at(0).at("remainingQuantity").as_int64(), 2);
    s.gql(create, input(2));
    json::value done = s.gql(R"(query($id: ID!) { order(id: $id) { displayFulfillmentStatus fulfillments { trackingInfo { number } } } })", {{"id", id}}).json();
    EXPECT_EQ(done.at("data").at("order").at("displayFulfillmentStatus"), "FULFILLED");
    EXPECT_EQ(done.at("data").at("order").at("fulfillments").as_array().size(), 2u);
    json::value closed = s.gql(create, input(1)).json();
    EXPECT_NE(json_of(closed).find("unfulfillable status= closed"), std::string::npos);
    // Shipped stock left on_hand and committed.
    json::value lv = s.control("GET", "inventory?sku=MUG-BLUE");
    EXPECT_EQ(lv.at("levels").at(0).at("quantities").at("on_hand").as_int64(), 37);
    EXPECT_EQ(lv.at("levels").at(0).at("quantities").at("committed").as_int64(), 0);
}

TEST(shopify_api, order_create_with_variant_customer_and_errors) {
    shop s;
    json::value v = s.gql(R"({ productVariants(first: 1, query: "sku:TS-S") { nodes { id } } customers(first: 1) { nodes { id } } })").json();
    std::string variant(v.at("data").at("productVariants").at("nodes").at(0).at("id").as_string());
    std::string customer(v.at("data").at("customers").at("nodes").at(0).at("id").as_string());
    const char* create = R"(mutation($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
        orderCreate(order: $order, options: $options) { order { name customer { email } lineItems(first: 5) { nodes { sku quantity } } totalPriceSet { shopMoney { amount } } }
                                      userErrors { field message code } } })";
    json::object order{{"lineItems", json::array{json::object{{"variantId", variant}, {"quantity", 2}}}},
                       {"customer", json::object{{"toAssociate", json::object{{"id", customer}}}}},
                       {"transactions", json::array{json::object{{"kind", "SALE"}, {"status", "SUCCESS"},
                                                                 {"amountSet", json::object{{"shopMoney", json::object{{"amount", "40.00"}, {"currencyCode", "EUR"}}}}}}}}};
    json::value ok = s.gql(create, {{"order", order}, {"options", json::object{{"inventoryBehaviour", "DECREMENT_OBEYING_POLICY"}}}}).json();
    const json::value& p = ok.at("data").at("orderCreate");
    ASSERT_TRUE(p.at("userErrors").as_array().empty()) << json_of(ok);
    EXPECT_EQ(p.at("order").at("customer").at("email"), "ann@example.com");
    EXPECT_EQ(p.at("order").at("totalPriceSet").at("shopMoney").at("amount"), "40.00");
    EXPECT_EQ(s.control("GET", "inventory?sku=TS-S").at("levels").at(0).at("quantities").at("available").as_int64(), 8);

    json::object bad{{"lineItems", json::array{json::object{{"variantId", "gid://shopify/ProductVariant/1"}, {"quantity", 1}}}}};
    json::value err = s.gql(create, {{"order", bad}}).json();
    EXPECT_EQ(json_of(err.at("data").at("orderCreate").at("userErrors")),
              R"([{"field":["order","lineItems","0","variantId"],"message":"Variant does not exist","code":"INVALID"}])");
    EXPECT_TRUE(err.at("data").at("orderCreate").at("order").is_null());
}

TEST(shopify_api, bulk_query_result_is_jsonl_with_parent_ids) {
    shop s;
    s.control("POST", "orders", json::object{{"count", 2}});
    json::value run = s.gql(R"(mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message } } })",
                            {{"q", "{ orders { edges { node { id name lineItems { edges { node { sku quantity } } } } } } }"}}).json();
    ASSERT_TRUE(run.at("data").at("bulkOperationRunQuery").at("userErrors").as_array().empty()) << json_of(run);
    EXPECT_EQ(run.at("data").at("bulkOperationRunQuery").at("bulkOperation").at("status"), "CREATED");
    json::value cur = s.gql("{ currentBulkOperation { status objectCount rootObjectCount url } }").json();
    const json::value& b = cur.at("data").at("currentBulkOperation");
    EXPECT_EQ(b.at("status"), "COMPLETED");
    EXPECT_EQ(b.at("rootObjectCount"), "2");
    http_result file = http("GET", std::string(b.at("url").as_string()));
    ASSERT_EQ(file.status, 200);
    std::vector<json::value> rows;
    size_t start = 0;
    while (start < file.body.size()) {
        size_t nl = file.body.find('\n', start);
        rows.push_back(json::parse(file.body.substr(start, nl - start)));
        start = nl + 1;
    }
    EXPECT_EQ(std::to_string(rows.size()), std::string(b.at("objectCount").as_string()));
    EXPECT_EQ(rows[0].at("name"), "#1001");
    EXPECT_EQ(rows[1].at("__parentId"), rows[0].at("id"));
    json::value no_connection = s.gql(R"(mutation { bulkOperationRunQuery(query: "{ shop { name } }") { userErrors { code message } } })").json();
    EXPECT_EQ(no_connection.at("data").at("bulkOperationRunQuery").at("userErrors").at(0).at("code"), "INVALID");
}

TEST(shopify_api, webhook_subscription_create_and_list) {
    shop s;
    json::value ok = s.gql(R"(mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {callbackUrl: "https://erp.example/hooks", format: JSON}) {
        webhookSubscription { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } userErrors { field message } } })").json();
    const json::value& sub = ok.at("data").at("webhookSubscriptionCreate").at("webhookSubscription");
    EXPECT_EQ(sub.at("topic"), "ORDERS_CREATE");
    EXPECT_EQ(sub.at("endpoint").at("__typename"), "WebhookHttpEndpoint");
    EXPECT_EQ(sub.at("endpoint").at("callbackUrl"), "https://erp.example/hooks");
    json::value dup = s.gql(R"(mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {callbackUrl: "https://erp.example/hooks"}) { userErrors { message } } })").json();
    EXPECT_EQ(dup.at("data").at("webhookSubscriptionCreate").at("userErrors").at(0).at("message"), "Address for this topic has already been taken");
    json::value list = s.gql("{ webhookSubscriptions(first: 10, topics: [ORDERS_CREATE]) { nodes { callbackUrl } } }").json();
    EXPECT_EQ(list.at("data").at("webhookSubscriptions").at("nodes").as_array().size(), 1u);
    json::value bad = s.gql(R"(mutation { webhookSubscriptionCreate(topic: ORDERS_EXPLODED, webhookSubscription: {callbackUrl: "https://x"}) { userErrors { message } } })").json();
    EXPECT_EQ(bad.at("errors").at(0).at("extensions").at("code"), "argumentLiteralsIncompatible");
}

TEST(shopify_api, throttling_drains_the_bucket_answers_200_throttled_and_restores_over_time) {
    shop s;
    s.control("POST", "settings", json::object{{"graphql_bucket_size", 30}, {"graphql_restore_rate", 10}});
    const char* mutation = R"(mutation { orderUpdate(input: {id: "gid://shopify/Order/1"}) { userErrors { message } } })";
    for (int expected : {20, 10, 0}) {
        json::value j = s.gql(mutation).json();
        EXPECT_EQ(j.at("extensions").at("cost").at("throttleStatus").at("currentlyAvailable").as_int64(), expected);
    }
    http_result throttled = s.gql(mutation);
    EXPECT_EQ(throttled.status, 200);
    json::value t = throttled.json();
    EXPECT_FALSE(t.as_object().contains("data"));
    EXPECT_EQ(json_of(t.at("errors")), R"([{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}])");
    EXPECT_NE(throttled.body.find(R"("requestedQueryCost":10,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":30.0,"currentlyAvailable":0,"restoreRate":10.0})"), std::string::npos) << throttled.body;
    s.control("POST", "clock", json::object{{"advance_ms", 1000}});  // restores 10 points
    json::value after = s.gql(mutation).json();
    EXPECT_FALSE(after.as_object().contains("errors"));
    EXPECT_EQ(s.control("GET", "requests").at("graphql_throttled").as_int64(), 1);

    // Requested cost above 1000 is refused whatever the bucket holds.
    s.control("POST", "settings", json::object{{"plan", "plus"}, {"graphql_bucket_size", nullptr}, {"graphql_restore_rate", nullptr}});
    json::value big = s.gql("{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }").json();
    EXPECT_EQ(big.at("errors").at(0).at("extensions").at("code"), "MAX_COST_EXCEEDED");
    EXPECT_EQ(big.at("extensions").at("cost").at("requestedQueryCost").as_int64(), 2 + 250 * (1 + 2 + 250));
}

TEST(shopify_api, requested_and_actual_cost_follow_connection_sizes) {
    shop s;
    json::value j = s.gql("{ products(first: 50) { edges { node { title variants(first: 10) { nodes { sku } } } } } }").json();
    // requested: 2 + 50 x (1 + (2 + 10 x 1)); actual: 2 products with 1 and 2 variants.
    EXPECT_EQ(j.at("extensions").at("cost").at("requestedQueryCost").as_int64(), 2 + 50 * 13);
    EXPECT_EQ(j.at("extensions").at("cost").at("actualQueryCost").as_int64(), 2 + (1 + 2 + 1) + (1 + 2 + 2));
    EXPECT_EQ(j.at("extensions").at("cost").at("throttleStatus").at("currentlyAvailable").as_int64(), 2000 - 11);
}

TEST(shopify_api, rest_call_limit_header_and_429_with_retry_after) {
    shop s;
    s.control("POST", "settings", json::object{{"rest_bucket_size", 3}, {"rest_leak_rate", 2}});
    std::vector<std::string> token{"X-Shopify-Access-Token: shpat_test"};
    for (int n = 1; n <= 3; ++n) {
        http_result r = http("GET", s.base + "/admin/api/2025-10/locations.json", "", token);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("x-shopify-shop-api-call-limit"), std::to_string(n) + "/3");
    }
    http_result limited = http("GET", s.base + "/admin/api/2025-10/orders.json", "", token);
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.header("retry-after"), "1.0");
    EXPECT_EQ(limited.body, R"({"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})");
    s.control("POST", "clock", json::object{{"advance_ms", 1000}});  // leaks two requests
    http_result again = http("GET", s.base + "/admin/api/2025-10/orders.json?status=any", "", token);
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.header("x-shopify-shop-api-call-limit"), "2/3");
    EXPECT_EQ(s.control("GET", "requests").at("rest_throttled").as_int64(), 1);
}

TEST(shopify_api, rest_orders_paginate_with_link_headers_and_set_inventory) {
    shop s;
    s.control("POST", "orders", json::object{{"count", 3}});
    std::vector<std::string> token{"X-Shopify-Access-Token: shpat_test"};
    http_result page1 = http("GET", s.base + "/admin/api/2025-10/orders.json?limit=2", "", token);
    ASSERT_EQ(page1.status, 200);
    EXPECT_EQ(page1.json().at("orders").as_array().size(), 2u);
    std::string link = page1.header("link");
    ASSERT_NE(link.find("rel=\"next\""), std::string::npos);
    std::string next = link.substr(1, link.find('>') - 1);
    http_result page2 = http("GET", next, "", token);
    EXPECT_EQ(page2.json().at("orders").as_array().size(), 1u);
    EXPECT_EQ(page2.json().at("orders").at(0).at("name"), "#1003");

    ids i = mug_ids(s);
    json::object body{{"inventory_item_id", numeric(i.item)}, {"location_id", numeric(i.location)}, {"available", 42}};
    http_result set = http("POST", s.base + "/admin/api/2025-10/inventory_levels/set.json", json::serialize(body), token);
    EXPECT_EQ(set.status, 200);
    EXPECT_EQ(set.json().at("inventory_level").at("available").as_int64(), 42);
}

TEST(shopify_api, client_credentials_grant_issues_an_expiring_token) {
    shop s;
    http_result grant = http("POST", s.base + "/admin/oauth/access_token",
                             R"({"grant_type":"client_credentials","client_id":"sandbox-client-id","client_secret":"sandbox-client-secret"})");
    ASSERT_EQ(grant.status, 200);
    std::string token(grant.json().at("access_token").as_string());
    EXPECT_EQ(token.rfind("shpat_", 0), 0u);
    EXPECT_EQ(s.gql("{ shop { name } }", {}, "2025-10", token).status, 200);
    s.control("POST", "clock", json::object{{"advance_ms", 86400LL * 1000}});
    EXPECT_EQ(s.gql("{ shop { name } }", {}, "2025-10", token).status, 401);
}

TEST(shopify_api, control_routes_cancel_pay_refund_fulfil_and_read_back) {
    shop s;
    s.control("POST", "orders", json::object{{"count", 2}, {"paid", false}, {"lines", json::array{json::object{{"sku", "TS-S"}, {"quantity", 2}}}}});
    json::value paid = s.control("POST", "orders/1001/pay");
    EXPECT_EQ(paid.at("order").at("financial_status"), "paid");
    json::value shipped = s.control("POST", "orders/1001/fulfil", json::object{{"lines", json::array{json::object{{"sku", "TS-S"}, {"quantity", 1}}}}, {"tracking_number", "T1"}});
    EXPECT_EQ(shipped.at("order").at("fulfillment_status"), "partial");
    EXPECT_EQ(shipped.at("order").at("fulfillments").at(0).at("tracking_number"), "T1");
    json::value refunded = s.control("POST", "orders/1001/refund", json::object{{"lines", json::array{json::object{{"sku", "TS-S"}, {"quantity", 1}}}}});
    EXPECT_EQ(refunded.at("order").at("financial_status"), "partially_refunded");
    json::value cancelled = s.control("POST", "orders/1002/cancel", json::object{{"reason", "customer"}});
    EXPECT_FALSE(cancelled.at("order").at("cancelled_at").is_null());
    // The cancelled order's committed stock went back to available: 10 - 2 - 2 + 2, minus one shipped.
    json::value lv = s.control("GET", "inventory?sku=TS-S");
    EXPECT_EQ(lv.at("levels").at(0).at("quantities").at("available").as_int64(), 8);
    EXPECT_EQ(lv.at("levels").at(0).at("quantities").at("on_hand").as_int64(), 9);
    EXPECT_EQ(s.control("POST", "orders/999/pay").at("error").as_string().find("no order"), 0u);
}

TEST(shopify_api, seeding_errors_name_the_field_and_customers_are_searchable) {
    ferry::sandbox::sandbox box;
    box.add(ferry::sandbox::shopify::make_service(box.timers()));
    try {
        box.seed(json::parse(R"({"shopify": {"products": [{"title": "X", "sku": "X-1", "stock": {"Nowhere": 3}}]}})"));
        FAIL() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "shopify.products: SKU 'X-1': no seeded location named 'Nowhere'");
    }
    EXPECT_THROW(box.seed(json::parse(R"({"shopify": {"colours": []}})")), std::invalid_argument);

    shop s;
    json::value j = s.gql(R"({ customers(first: 5, query: "email:ann@example.com") { nodes { displayName defaultAddress { city } } } })").json();
    EXPECT_EQ(json_of(j.at("data").at("customers").at("nodes")), R"([{"displayName":"Ann Lee","defaultAddress":{"city":"Berlin"}}])");
    EXPECT_EQ(s.control("POST", "settings", json::object{{"colour", "blue"}}).at("error"), "unknown setting 'colour'");
}

TEST(shopify_api, node_and_nodes_resolve_any_object_by_gid) {
    shop s;
    s.control("POST", "orders", json::object{{"count", 1}});
    std::string id = first_order_id(s);
    json::value j = s.gql(R"(query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Order { name } ... on Customer { email } } })",
                          {{"ids", json::array{json::value(id), json::value("gid://shopify/Order/1")}}}).json();
    const json::array& nodes = j.at("data").at("nodes").as_array();
    ASSERT_EQ(nodes.size(), 2u);
    EXPECT_EQ(json_of(nodes[0]), R"({"__typename":"Order","id":")" + id + R"(","name":"#1001"})");
    EXPECT_TRUE(nodes[1].is_null());
    json::value direct = s.gql(R"({ node(id: "gid://shopify/Order/1") { name } })").json();
    EXPECT_EQ(direct.at("errors").at(0).at("message"), "Field 'name' doesn't exist on type 'Node'");
}
