// Fields a connector reads beside the order itself: transaction authorisation codes, customers'
// tax exemption, refunds with their lines and restocking, and search with OR and parentheses.
#include "shopify_test_support.hpp"

#include <gtest/gtest.h>

using namespace shopify_test;

namespace {

const std::string json_of(const json::value& v) { return json::serialize(v); }

// Creates orders through the control API and answers their REST shapes.
json::array make_orders(shop& s, json::object body) {
    return s.control("POST", "orders", body).at("orders").as_array();
}

std::string gql_id(const json::value& rest_order) { return std::string(rest_order.at("admin_graphql_api_id").as_string()); }

json::array order_names(shop& s, const std::string& collection, const std::string& query, const std::string& field = "name") {
    json::value j = s.gql("query($q: String) { " + collection + "(first: 20, query: $q) { nodes { " + field + " } } }", {{"q", query}}).json();
    EXPECT_FALSE(j.as_object().contains("errors")) << json_of(j);
    json::array out;
    for (const auto& n : j.at("data").at(collection).at("nodes").as_array()) out.push_back(n.at(field));
    return out;
}

}  // namespace

TEST(shopify_records, transactions_carry_the_gateway_authorization_code) {
    shop s;
    json::value paid = make_orders(s, json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 2}}}}}).at(0);
    json::value j = s.gql(R"(query($id: ID!) { order(id: $id) { transactions { kind gateway authorizationCode } } })",
                          {{"id", gql_id(paid)}}).json();
    const json::value& sale = j.at("data").at("order").at("transactions").at(0);
    EXPECT_EQ(sale.at("gateway").as_string(), "shopify_payments");
    std::string code(sale.at("authorizationCode").as_string());
    EXPECT_EQ(code.size(), 6u);
    EXPECT_EQ(code.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), std::string::npos);
    // Stored, not made up per read.
    json::value again = s.gql(R"(query($id: ID!) { order(id: $id) { transactions { authorizationCode } } })", {{"id", gql_id(paid)}}).json();
    EXPECT_EQ(again.at("data").at("order").at("transactions").at(0).at("authorizationCode").as_string(), code);

    // orderCreate keeps the code it is given; a manual payment has none.
    json::value created = s.gql(R"(mutation($order: OrderCreateOrderInput!) {
        orderCreate(order: $order) { order { id transactions { gateway authorizationCode } } userErrors { message } } })",
        {{"order", json::object{{"lineItems", json::array{json::object{{"variantId", std::string(s.gql(R"({ productVariants(first: 1, query: "sku:TS-S") { nodes { id } } })").json()
                                                                                                       .at("data").at("productVariants").at("nodes").at(0).at("id").as_string())},
                                                                        {"quantity", 1}}}},
                                 {"transactions", json::array{
                                     json::object{{"amountSet", json::object{{"shopMoney", json::object{{"amount", "10.00"}, {"currencyCode", "EUR"}}}}},
                                                  {"gateway", "stripe"}, {"authorizationCode", "ch_3PqX9f2eZvKYlo2C"}},
                                     json::object{{"amountSet", json::object{{"shopMoney", json::object{{"amount", "10.00"}, {"currencyCode", "EUR"}}}}},
                                                  {"gateway", "cash"}}}}}}}).json();
    EXPECT_EQ(json_of(created.at("data").at("orderCreate").at("order").at("transactions")),
              R"([{"gateway":"stripe","authorizationCode":"ch_3PqX9f2eZvKYlo2C"},{"gateway":"cash","authorizationCode":null}])");

    json::value unpaid = make_orders(s, json::object{{"paid", false}}).at(0);
    s.control("POST", "orders/" + std::to_string(unpaid.at("id").as_int64()) + "/pay");
    json::value manual = s.gql(R"(query($id: ID!) { order(id: $id) { transactions { gateway authorizationCode } } })", {{"id", gql_id(unpaid)}}).json();
    EXPECT_EQ(json_of(manual.at("data").at("order").at("transactions")), R"([{"gateway":"manual","authorizationCode":null}])");

    // The refund goes back through the gateway that took the money, with its own reference, and
    // the REST refund (refunds/create payload) carries it as `authorization`.
    std::string ref = std::to_string(paid.at("id").as_int64());
    s.control("POST", "orders/" + ref + "/refund", json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 1}}}}});
    json::value rest = s.control("GET", "orders/" + ref);
    const json::value& tx = rest.at("order").at("refunds").at(0).at("transactions").at(0);
    EXPECT_EQ(tx.at("gateway").as_string(), "shopify_payments");
    ASSERT_TRUE(tx.at("authorization").is_string());
    EXPECT_EQ(tx.at("authorization").as_string().size(), 6u);
    EXPECT_NE(tx.at("authorization").as_string(), code);
    json::value graph = s.gql(R"(query($id: ID!) { order(id: $id) { transactions { kind authorizationCode } } })", {{"id", gql_id(paid)}}).json();
    EXPECT_EQ(graph.at("data").at("order").at("transactions").at(1).at("authorizationCode"), tx.at("authorization"));
}

TEST(shopify_records, customers_are_tax_exempt_as_seeded) {
    shop s;
    s.control("POST", "seed", json::object{{"customers", json::array{json::object{{"email", "exempt@example.org"}, {"first_name", "Ngo"}, {"tax_exempt", true}}}}});
    EXPECT_EQ(json_of(order_names(s, "customers", "email:exempt@example.org OR email:ann@example.com", "taxExempt")), "[false,true]");

    json::value order = make_orders(s, json::object{{"customer", "exempt@example.org"}}).at(0);
    EXPECT_TRUE(order.at("customer").at("tax_exempt").as_bool());
    json::value ann = make_orders(s, json::object{{"customer", "ann@example.com"}}).at(0);
    EXPECT_FALSE(ann.at("customer").at("tax_exempt").as_bool());

    json::value upserted = s.gql(R"(mutation($order: OrderCreateOrderInput!) {
        orderCreate(order: $order) { order { customer { email taxExempt } } userErrors { message } } })",
        {{"order", json::object{{"lineItems", json::array{json::object{{"title", "Service"}, {"quantity", 1},
                                                                        {"priceSet", json::object{{"shopMoney", json::object{{"amount", "5.00"}, {"currencyCode", "EUR"}}}}}}}},
                                 {"customer", json::object{{"toUpsert", json::object{{"email", "school@example.org"}, {"taxExempt", true}}}}}}}}).json();
    EXPECT_EQ(json_of(upserted.at("data").at("orderCreate").at("order").at("customer")), R"({"email":"school@example.org","taxExempt":true})");

    EXPECT_EQ(s.control("POST", "seed", json::object{{"customers", json::array{json::object{{"email", "x@example.org"}, {"tax_exempt", "yes"}}}}}).at("error").as_string(),
              "shopify.customers: 'tax_exempt' of customer 'x@example.org' must be true or false");
}

TEST(shopify_records, refunds_list_their_lines_with_amounts_and_restocking) {
    shop s;
    // 2 mugs at 12.50 and one shirt at 20.00, 10% tax, stock committed at Main Warehouse.
    json::value o = make_orders(s, json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 2}},
                                                                      json::object{{"sku", "TS-S"}, {"quantity", 1}}}}}).at(0);
    std::string ref = std::to_string(o.at("id").as_int64());
    auto level = [&](const std::string& sku) {
        json::value lv = s.control("GET", "inventory?sku=" + sku);
        for (const auto& l : lv.at("levels").as_array()) {
            if (l.at("location").as_string() == "Main Warehouse") return l.at("quantities");
        }
        return json::value();
    };
    EXPECT_EQ(level("TS-S").at("committed").as_int64(), 1);
    EXPECT_EQ(level("TS-S").at("available").as_int64(), 9);

    // The shirt is cancelled before shipping: its committed unit is free again.
    s.control("POST", "clock", json::object{{"advance_ms", 60000}});
    s.control("POST", "orders/" + ref + "/refund",
              json::object{{"lines", json::array{json::object{{"sku", "TS-S"}, {"quantity", 1}, {"restock_type", "cancel"}}}}, {"note", "out of size"}});
    EXPECT_EQ(level("TS-S").at("committed").as_int64(), 0);
    EXPECT_EQ(level("TS-S").at("available").as_int64(), 10);

    // A mug cannot be returned before it was shipped; after shipping one comes back.
    json::value early = s.control("POST", "orders/" + ref + "/refund",
                                  json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 1}, {"restock_type", "return"}}}}});
    EXPECT_NE(early.at("error").as_string().find("can take back 0 with restock_type return"), std::string::npos) << json_of(early);
    s.control("POST", "orders/" + ref + "/fulfil", json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 2}}}}});
    int64_t mugs = level("MUG-BLUE").at("available").as_int64();
    s.control("POST", "clock", json::object{{"advance_ms", 60000}});
    s.control("POST", "orders/" + ref + "/refund",
              json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 1}, {"restock_type", "return"}}}}});
    EXPECT_EQ(level("MUG-BLUE").at("available").as_int64(), mugs + 1);
    json::value legacy = s.control("POST", "orders/" + ref + "/refund",
                                   json::object{{"lines", json::array{json::object{{"sku", "MUG-BLUE"}, {"quantity", 1}, {"restock_type", "legacy_restock"}}}}});
    EXPECT_TRUE(legacy.as_object().contains("error"));

    const char* query = R"(query($id: ID!) { order(id: $id) { refunds { note createdAt updatedAt
        totalRefundedSet { shopMoney { amount } }
        refundLineItems(first: 5) { pageInfo { hasNextPage } nodes { quantity restockType restocked lineItem { sku }
          location { name } subtotalSet { shopMoney { amount currencyCode } } totalTaxSet { shopMoney { amount } } } } } } })";
    json::value j = s.gql(query, {{"id", gql_id(o)}}).json();
    ASSERT_FALSE(j.as_object().contains("errors")) << json_of(j);
    const json::array& refunds = j.at("data").at("order").at("refunds").as_array();
    ASSERT_EQ(refunds.size(), 2u);
    EXPECT_EQ(refunds[0].at("note").as_string(), "out of size");
    EXPECT_EQ(refunds[0].at("updatedAt"), refunds[0].at("createdAt"));
    EXPECT_NE(refunds[0].at("createdAt"), refunds[1].at("createdAt"));
    EXPECT_EQ(json_of(refunds[0].at("refundLineItems")),
              R"({"pageInfo":{"hasNextPage":false},"nodes":[{"quantity":1,"restockType":"CANCEL","restocked":true,"lineItem":{"sku":"TS-S"},)"
              R"("location":{"name":"Main Warehouse"},"subtotalSet":{"shopMoney":{"amount":"20.00","currencyCode":"EUR"}},"totalTaxSet":{"shopMoney":{"amount":"2.00"}}}]})");
    EXPECT_EQ(refunds[0].at("totalRefundedSet").at("shopMoney").at("amount").as_string(), "22.00");
    EXPECT_EQ(json_of(refunds[1].at("refundLineItems").at("nodes").at(0)),
              R"({"quantity":1,"restockType":"RETURN","restocked":true,"lineItem":{"sku":"MUG-BLUE"},)"
              R"("location":{"name":"Main Warehouse"},"subtotalSet":{"shopMoney":{"amount":"12.50","currencyCode":"EUR"}},"totalTaxSet":{"shopMoney":{"amount":"1.25"}}})");

    // Costed as a connection: order 1 + refunds (a list, one object) 1 + 2 + first × (1 + 0 for scalars).
    json::value cost = s.gql(R"(query($id: ID!) { order(id: $id) { refunds { refundLineItems(first: 5) { nodes { quantity } } } } })",
                             {{"id", gql_id(o)}}).json();
    EXPECT_EQ(cost.at("extensions").at("cost").at("requestedQueryCost").as_int64(), 1 + 1 + 2 + 5 * 1);
    json::value unbounded = s.gql(R"(query($id: ID!) { order(id: $id) { refunds { refundLineItems { nodes { quantity } } } } })",
                                  {{"id", gql_id(o)}}).json();
    EXPECT_EQ(unbounded.at("errors").at(0).at("message").as_string(), "you must provide one of first or last");

    // REST (refunds/create payload): the lines with their amounts and restock type.
    json::value rest = s.control("GET", "orders/" + ref);
    const json::value& line = rest.at("order").at("refunds").at(0).at("refund_line_items").at(0);
    EXPECT_EQ(line.at("restock_type").as_string(), "cancel");
    EXPECT_EQ(line.at("subtotal").as_string(), "20.00");
    EXPECT_EQ(line.at("total_tax").as_string(), "2.00");
    EXPECT_TRUE(line.at("location_id").is_int64());
}

TEST(shopify_records, search_takes_or_and_parentheses) {
    shop s;
    make_orders(s, json::object{{"count", 4}, {"paid", false}});
    s.control("POST", "orders/1004/pay");
    EXPECT_EQ(json_of(order_names(s, "orders", "name:#1001 OR name:#1003")), R"(["#1001","#1003"])");
    EXPECT_EQ(json_of(order_names(s, "orders", "(name:#1001 OR name:#1002) AND -name:#1002")), R"(["#1001"])");
    EXPECT_EQ(json_of(order_names(s, "orders", "NOT (name:#1001 OR name:#1002)")), R"(["#1003","#1004"])");
    // AND binds tighter than OR.
    EXPECT_EQ(json_of(order_names(s, "orders", "name:#1001 OR name:#1004 financial_status:paid")), R"(["#1001","#1004"])");
    EXPECT_EQ(json_of(order_names(s, "orders", "(name:#1001 OR name:#1003) financial_status:pending")), R"(["#1001","#1003"])");
    EXPECT_EQ(json_of(order_names(s, "orders", "(name:#1001 OR name:#1004) financial_status:paid")), R"(["#1004"])");
    // An ignored term (unknown field) takes no side: it neither matches everything under OR
    // nor filters anything under AND.
    EXPECT_EQ(json_of(order_names(s, "orders", "name:#1002 OR colour:blue")), R"(["#1002"])");
    EXPECT_EQ(json_of(order_names(s, "orders", "colour:blue")), R"(["#1001","#1002","#1003","#1004"])");
    // A quoted OR is a value, not the operator.
    EXPECT_EQ(json_of(order_names(s, "orders", "name:#1001 'OR' name:#1002")), "[]");

    EXPECT_EQ(json_of(order_names(s, "products", "sku:TS-M OR title:'Blue Mug'", "title")), R"(["Blue Mug","T-Shirt"])");
    EXPECT_EQ(json_of(order_names(s, "productVariants", "sku:TS-S OR sku:MUG-BLUE", "sku")), R"(["MUG-BLUE","TS-S"])");
    EXPECT_EQ(json_of(order_names(s, "customers", "first_name:Ann OR email:nobody@example.com", "email")), R"(["ann@example.com"])");
}
