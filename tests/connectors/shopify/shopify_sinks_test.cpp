// The Shopify sinks against the emulator: stock levels in batches, fulfilments through
// fulfillment orders, the ERP order number written back, and orders imported with orderCreate.
#include "shopify_world.hpp"

namespace ferry::test {
namespace {

class shopify_connector_sinks : public shopify_world {
protected:
    static host::owned_record level(const std::string& sku, const std::string& location, int64_t available) {
        return record("inventory_level", "erp:" + sku + "@" + location,
                      json::object{{"sku", sku}, {"location", location}, {"available", available}});
    }
    int64_t counter(const std::string& name) {
        json::value counters = control("/_sandbox/requests", nullptr, "GET");
        const json::value* v = counters.as_object().if_contains(name);
        return v ? v->to_number<int64_t>() : 0;
    }
};

TEST_F(shopify_connector_sinks, a_batch_sets_stock_at_two_locations_in_one_call_and_skips_what_did_not_change) {
    auto inventory = make("inventory");
    ASSERT_TRUE(inventory);
    std::vector<host::owned_record> batch{level("ROPE-10", "Main Warehouse", 33), level("ROPE-10", "Outlet", 7),
                                          level("CLEAT-2", "Main Warehouse", 0), level("BAG-S", "Main Warehouse", 4)};
    ASSERT_EQ(inventory->write_batch(batch, "inv:", call_), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.items().size(), batch.size());
    for (const auto& item : call_.items()) EXPECT_EQ(item.status, FERRY_OK) << item.text;
    EXPECT_EQ(available("ROPE-10", "Main Warehouse"), 33);
    EXPECT_EQ(available("ROPE-10", "Outlet"), 7);
    EXPECT_EQ(available("CLEAT-2", "Main Warehouse"), 0);
    EXPECT_EQ(available("BAG-S", "Main Warehouse"), 4);
    EXPECT_EQ(counter("mutation:inventorySetQuantities"), 1);

    // The same levels again: nothing changed, nothing is sent.
    ASSERT_EQ(inventory->write_batch(batch, "inv2:", call_), FERRY_OK) << call_.error();
    for (const auto& item : call_.items()) EXPECT_EQ(item.status, FERRY_OK) << item.text;
    EXPECT_EQ(counter("mutation:inventorySetQuantities"), 1);

    // One change: one call with one row, compared against the quantity pushed before.
    std::vector<host::owned_record> next{level("ROPE-10", "Main Warehouse", 30), level("ROPE-10", "Outlet", 7)};
    ASSERT_EQ(inventory->write_batch(next, "inv3:", call_), FERRY_OK) << call_.error();
    EXPECT_EQ(counter("mutation:inventorySetQuantities"), 2);
    EXPECT_EQ(available("ROPE-10", "Main Warehouse"), 30);
}

TEST_F(shopify_connector_sinks, an_unknown_sku_or_location_is_rejected_by_name_and_the_rest_of_the_batch_goes_through) {
    auto inventory = make("inventory");
    ASSERT_TRUE(inventory);
    std::vector<host::owned_record> batch{level("ROPE-10", "Main Warehouse", 21), level("NO-SUCH-SKU", "Main Warehouse", 4),
                                          level("CLEAT-2", "Atlantis", 4)};
    ASSERT_EQ(inventory->write_batch(batch, "inv:", call_), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.items().size(), 3u);
    EXPECT_EQ(call_.items()[0].status, FERRY_OK) << call_.items()[0].text;
    EXPECT_EQ(call_.items()[1].status, FERRY_REJECT);
    EXPECT_NE(call_.items()[1].text.find("unknown SKU NO-SUCH-SKU"), std::string::npos) << call_.items()[1].text;
    EXPECT_EQ(call_.items()[2].status, FERRY_REJECT);
    EXPECT_NE(call_.items()[2].text.find("unknown location \"Atlantis\""), std::string::npos) << call_.items()[2].text;
    EXPECT_EQ(available("ROPE-10", "Main Warehouse"), 21);

    // write() of one record reports the same way.
    EXPECT_EQ(inventory->write(level("NO-SUCH-SKU", "Outlet", 1), "one", call_), FERRY_REJECT);
    EXPECT_NE(call_.error().find("NO-SUCH-SKU"), std::string::npos) << call_.error();
}

// compareQuantity answers COMPARE_QUANTITY_STALE (2025-10), changeFromQuantity
// CHANGE_FROM_QUANTITY_STALE (2026-04): either way the record is retried against a fresh read.
TEST_F(shopify_connector_sinks, a_quantity_changed_in_shopify_meanwhile_is_retried_against_the_current_value) {
    const host::component_info* info = registry_.find_component("shopify.inventory");
    ASSERT_TRUE(info);
    int64_t base = 10;
    for (const char* version : {"2025-10", "2026-04"}) {
        SCOPED_TRACE(version);
        plugin_component inventory(*info, services_, std::string("shop-") + version, connection_config(version), "{}");
        ASSERT_TRUE(inventory.ok()) << inventory.create_error();
        ASSERT_EQ(inventory.write(level("CLEAT-2", "Main Warehouse", base), "a", call_), FERRY_OK) << call_.error();
        // A sale in the shop moves the quantity the plugin last pushed.
        control("/_sandbox/inventory", json::object{{"sku", "CLEAT-2"}, {"location", "Main Warehouse"}, {"available", base - 2}});
        ASSERT_EQ(inventory.write(level("CLEAT-2", "Main Warehouse", base + 5), "b", call_), FERRY_RETRY) << call_.error();
        EXPECT_NE(call_.error().find("SKU CLEAT-2 at Main Warehouse"), std::string::npos) << call_.error();
        EXPECT_EQ(available("CLEAT-2", "Main Warehouse"), base - 2);
        ASSERT_EQ(inventory.write(level("CLEAT-2", "Main Warehouse", base + 5), "b", call_), FERRY_OK) << call_.error();
        EXPECT_EQ(available("CLEAT-2", "Main Warehouse"), base + 5);
        base += 10;
    }
}

TEST_F(shopify_connector_sinks, a_row_shopify_refuses_is_rejected_and_the_other_rows_are_sent_again_at_once) {
    auto inventory = make("inventory");
    ASSERT_TRUE(inventory);
    // BAG-S is not stocked at the Outlet: Shopify refuses that row, and the whole call with it.
    std::vector<host::owned_record> batch{level("ROPE-10", "Main Warehouse", 31), level("BAG-S", "Outlet", 4),
                                          level("CLEAT-2", "Main Warehouse", 6)};
    ASSERT_EQ(inventory->write_batch(batch, "inv:", call_), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.items().size(), 3u);
    EXPECT_EQ(call_.items()[0].status, FERRY_OK) << call_.items()[0].text;
    EXPECT_EQ(call_.items()[1].status, FERRY_REJECT);
    EXPECT_NE(call_.items()[1].text.find("SKU BAG-S at Outlet"), std::string::npos) << call_.items()[1].text;
    EXPECT_EQ(call_.items()[2].status, FERRY_OK) << call_.items()[2].text;
    EXPECT_EQ(available("ROPE-10", "Main Warehouse"), 31);
    EXPECT_EQ(available("CLEAT-2", "Main Warehouse"), 6);
}

// 2026-04 requires changeFromQuantity on every row (null opts out) and removed compareQuantity.
TEST_F(shopify_connector_sinks, speaks_the_compare_semantics_of_the_configured_api_version) {
    for (const char* version : {"2025-10", "2026-01", "2026-04"}) {
        SCOPED_TRACE(version);
        const host::component_info* info = registry_.find_component("shopify.inventory");
        ASSERT_TRUE(info);
        // A fresh connection (no cached quantities): the first push opts out of the comparison,
        // the second compares with what the first pushed.
        plugin_component inventory(*info, services_, std::string("shop-") + version, connection_config(version), "{}");
        ASSERT_TRUE(inventory.ok()) << inventory.create_error();
        ASSERT_EQ(inventory.write(level("BAG-L", "Main Warehouse", 11), std::string("a") + version, call_), FERRY_OK) << call_.error();
        ASSERT_EQ(inventory.write(level("BAG-L", "Main Warehouse", 12), std::string("b") + version, call_), FERRY_OK) << call_.error();
        EXPECT_EQ(available("BAG-L", "Main Warehouse"), 12);
    }
}

TEST_F(shopify_connector_sinks, records_of_one_level_in_a_batch_collapse_to_the_last) {
    // 600 records for 5 levels: the last record of each level wins, in one call.
    auto inventory = make("inventory");
    ASSERT_TRUE(inventory);
    std::vector<host::owned_record> batch;
    for (int i = 0; i < 300; ++i) {
        const char* skus[] = {"ROPE-10", "CLEAT-2", "BAG-S", "BAG-L"};
        batch.push_back(level(skus[i % 4], "Main Warehouse", i));
    }
    for (int i = 0; i < 300; ++i) batch.push_back(level("ROPE-10", "Outlet", 1000 + i));
    ASSERT_EQ(inventory->write_batch(batch, "big:", call_), FERRY_OK) << call_.error();
    for (const auto& item : call_.items()) EXPECT_EQ(item.status, FERRY_OK) << item.text;
    EXPECT_EQ(available("ROPE-10", "Main Warehouse"), 296);
    EXPECT_EQ(available("BAG-L", "Main Warehouse"), 299);
    EXPECT_EQ(available("ROPE-10", "Outlet"), 1299);
    EXPECT_EQ(counter("mutation:inventorySetQuantities"), 1);
}

TEST_F(shopify_connector_sinks, fulfils_partially_then_the_rest_with_tracking) {
    auto fulfillments = make("fulfillment_create");
    ASSERT_TRUE(fulfillments);
    json::value created = control("/_sandbox/orders", json::object{{"count", 1}, {"lines", json::array{
        json::object{{"sku", "ROPE-10"}, {"quantity", 3}}, json::object{{"sku", "CLEAT-2"}, {"quantity", 1}}}}});
    std::string name(created.at("orders").as_array().at(0).at("name").as_string());

    json::object first{{"id", "DN-1"}, {"order_number", name},
                       {"tracking", json::object{{"company", "UPS"}, {"number", "1Z001"}, {"url", "https://ups.example/1Z001"}}},
                       {"lines", json::array{json::object{{"sku", "ROPE-10"}, {"quantity", 2}}}}};
    ASSERT_EQ(fulfillments->write(record("fulfillment", "syspro:DN-1", first), "f:1", call_), FERRY_OK) << call_.error();
    ASSERT_TRUE(call_.target_id());
    std::string fulfilment_id = *call_.target_id();
    EXPECT_TRUE(fulfilment_id.starts_with("gid://shopify/Fulfillment/")) << fulfilment_id;
    json::object o = order_readback(name);
    EXPECT_EQ(o.at("fulfillment_status").as_string(), "partial");

    // The lookup finds it again by its tracking number: a retry after a crash writes nothing.
    ASSERT_EQ(fulfillments->write(record("fulfillment", "syspro:DN-1", first), "f:1", call_, true), FERRY_OK) << call_.error();
    ASSERT_TRUE(call_.target_id());
    EXPECT_EQ(*call_.target_id(), fulfilment_id);

    // Too many: refused, naming the SKU and the order.
    json::object too_many{{"id", "DN-2"}, {"order_number", name}, {"lines", json::array{json::object{{"sku", "ROPE-10"}, {"quantity", 5}}}}};
    EXPECT_EQ(fulfillments->write(record("fulfillment", "syspro:DN-2", too_many), "f:2", call_), FERRY_REJECT);
    EXPECT_NE(call_.error().find("ROPE-10"), std::string::npos) << call_.error();
    EXPECT_NE(call_.error().find(name), std::string::npos) << call_.error();

    // The rest: an empty line list means everything still open.
    json::object rest{{"id", "DN-3"}, {"order_number", name}, {"tracking", json::object{{"company", "UPS"}, {"number", "1Z002"}}},
                      {"lines", json::array{}}};
    ASSERT_EQ(fulfillments->write(record("fulfillment", "syspro:DN-3", rest), "f:3", call_), FERRY_OK) << call_.error();
    EXPECT_EQ(order_readback(name).at("fulfillment_status").as_string(), "fulfilled");

    json::object unknown{{"id", "DN-4"}, {"order_number", "#999999"}, {"lines", json::array{}}};
    EXPECT_EQ(fulfillments->write(record("fulfillment", "syspro:DN-4", unknown), "f:4", call_), FERRY_REJECT);
    EXPECT_NE(call_.error().find("#999999 not found"), std::string::npos) << call_.error();
}

TEST_F(shopify_connector_sinks, writes_the_erp_order_number_back_once) {
    auto annotations = make("order_annotations");
    ASSERT_TRUE(annotations);
    json::value created = control("/_sandbox/orders", json::object{{"count", 1}, {"note", "leave at the door"},
                                                                   {"lines", json::array{json::object{{"sku", "ROPE-10"}, {"quantity", 1}}}}});
    std::string name(created.at("orders").as_array().at(0).at("name").as_string());
    json::object erp{{"order_number", name}, {"erp", "syspro"}, {"erp_order", "000451"}, {"status", "created"}};
    ASSERT_EQ(annotations->write(record("erp_order", "syspro:000451", erp), "a:1", call_), FERRY_OK) << call_.error();
    json::object o = order_readback(name);
    bool tagged = false;
    for (const auto& t : o.at("tag_list").as_array()) tagged |= t.as_string() == "syspro:000451";
    EXPECT_TRUE(tagged) << json::serialize(o.at("tag_list"));
    EXPECT_EQ(o.at("note").as_string(), "leave at the door\nsyspro order 000451");
    bool metafield = false;
    for (const auto& m : o.at("metafields").as_array()) {
        metafield |= m.at("namespace").as_string() == "ferry" && m.at("key").as_string() == "erp_order_number" && m.at("value").as_string() == "000451";
    }
    EXPECT_TRUE(metafield) << json::serialize(o.at("metafields"));

    // Again (a retry or a replay): no mutation at all.
    int64_t before = counter("mutation:orderUpdate") + counter("mutation:tagsAdd");
    ASSERT_EQ(annotations->write(record("erp_order", "syspro:000451", erp), "a:2", call_), FERRY_OK) << call_.error();
    EXPECT_EQ(counter("mutation:orderUpdate") + counter("mutation:tagsAdd"), before);
    EXPECT_EQ(order_readback(name).at("note").as_string(), "leave at the door\nsyspro order 000451");
}

TEST_F(shopify_connector_sinks, imports_an_order_once_and_finds_it_again) {
    auto import = make("order_import");
    ASSERT_TRUE(import);
    json::object order{{"id", "pos:7781"}, {"number", "POS-7781"}, {"created_at", "2026-11-20T09:30:00Z"}, {"currency", "USD"},
                       {"email", "ada@example.com"}, {"financial_status", "paid"}, {"payment_gateways", json::array{"cash"}},
                       {"customer", json::object{{"email", "ada@example.com"}, {"first_name", "Ada"}, {"last_name", "Lovelace"}}},
                       {"lines", json::array{json::object{{"sku", "ROPE-10"}, {"title", "Anchor Rope"}, {"quantity", 2}, {"unit_price", "12.50"}}}},
                       {"total", "25.00"}, {"tags", json::array{"pos"}}};
    host::owned_record r = record("order", "pos:7781", order);
    ASSERT_EQ(import->write(r, "import:1", call_, true), FERRY_OK) << call_.error();
    EXPECT_FALSE(call_.target_id());
    ASSERT_EQ(import->write(r, "import:1", call_), FERRY_OK) << call_.error();
    ASSERT_TRUE(call_.target_id());
    std::string id = *call_.target_id();
    EXPECT_TRUE(id.starts_with("gid://shopify/Order/")) << id;
    json::object data = graphql(R"(query($id: ID!) { order(id: $id) { name tags displayFinancialStatus
        lineItems(first: 5) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } } } } } })",
                                json::object{{"id", id}});
    const json::object& o = data.at("order").as_object();
    EXPECT_EQ(o.at("lineItems").at("nodes").as_array().at(0).at("sku").as_string(), "ROPE-10");
    EXPECT_EQ(o.at("lineItems").at("nodes").as_array().at(0).at("quantity").as_int64(), 2);
    EXPECT_EQ(o.at("displayFinancialStatus").as_string(), "PAID");

    // A retry looks first and finds the order it made.
    ASSERT_EQ(import->write(r, "import:1", call_, true), FERRY_OK) << call_.error();
    ASSERT_TRUE(call_.target_id());
    EXPECT_EQ(*call_.target_id(), id);

    json::object unknown = order;
    unknown["lines"] = json::array{json::object{{"sku", "GHOST-1"}, {"title", "Gift wrap"}, {"quantity", 1}, {"unit_price", "1.00"}}};
    EXPECT_EQ(import->write(record("order", "pos:7782", unknown), "import:2", call_), FERRY_REJECT);
    EXPECT_NE(call_.error().find("unknown SKU GHOST-1"), std::string::npos) << call_.error();

    // Configured to keep such lines, it imports them as custom lines.
    auto lenient = make("order_import", R"({"unknown_sku": "custom_line"})");
    ASSERT_TRUE(lenient);
    ASSERT_EQ(lenient->write(record("order", "pos:7782", unknown), "import:3", call_), FERRY_OK) << call_.error();
    ASSERT_TRUE(call_.target_id());
    json::object custom = graphql(R"(query($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes { title sku quantity } } } })",
                                  json::object{{"id", *call_.target_id()}});
    EXPECT_EQ(custom.at("order").at("lineItems").at("nodes").as_array().at(0).at("title").as_string(), "Gift wrap");
}

}  // namespace
}  // namespace ferry::test
