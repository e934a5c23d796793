// The Shopify sources against the emulator: webhooks as the emulator signs and sends them, and the
// poll sweeps that recover what webhooks missed, mapped to the canonical model.
#include "shopify_world.hpp"

namespace ferry::test {
namespace {

class shopify_connector_sources : public shopify_world {
protected:
    void SetUp() override {
        shopify_world::SetUp();
        // Webhooks go to our receiver; the test hands each delivery to the source under test.
        for (const char* topic : {"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "ORDERS_PAID", "CUSTOMERS_CREATE",
                                  "PRODUCTS_UPDATE", "FULFILLMENTS_CREATE", "REFUNDS_CREATE", "INVENTORY_LEVELS_UPDATE"}) {
            subscribe(topic, receiver_.url());
        }
    }

    // One order made by the emulator's control route (it fires orders/create and orders/paid).
    json::object new_order(json::object spec = {}) {
        if (!spec.contains("lines")) spec["lines"] = json::array{json::object{{"sku", "ROPE-10"}, {"quantity", 2}}, json::object{{"sku", "BAG-L"}, {"quantity", 1}}};
        spec["count"] = 1;
        json::value created = control("/_sandbox/orders", spec);
        return created.at("orders").as_array().at(0).as_object();
    }

    ferry_status deliver(plugin_component& source, const webhook_receiver::delivery& d) {
        return source.webhook(d.headers, d.body, call_);
    }

    webhook_receiver receiver_;
};

TEST_F(shopify_connector_sources, an_orders_create_webhook_becomes_a_canonical_order_with_exact_ids) {
    auto orders = make("orders");
    ASSERT_TRUE(orders);
    json::object created = new_order();
    auto d = receiver_.wait_for("orders/create");
    ASSERT_TRUE(d) << "no orders/create delivery";
    ASSERT_EQ(deliver(*orders, *d), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    const host::owned_record& r = call_.records()[0];
    std::string gid(created.at("admin_graphql_api_id").as_string());
    // Emulator ids are above 2^53: any trip through a double would change the digits.
    EXPECT_EQ(gid, "gid://shopify/Order/" + std::to_string(created.at("id").as_int64()));
    EXPECT_GT(created.at("id").as_int64(), int64_t(1) << 53);
    EXPECT_EQ(r.stream, "order");
    EXPECT_EQ(r.key, "shopify:" + gid);
    EXPECT_EQ(r.event_id, "orders/create:" + d->header("X-Shopify-Event-Id"));
    EXPECT_GT(r.version, 0);
    json::object p = json::parse(r.payload).as_object();
    EXPECT_EQ(p.at("id").as_string(), gid);
    EXPECT_EQ(p.at("number").as_string(), created.at("name").as_string());
    EXPECT_EQ(p.at("status").as_string(), "open");
    EXPECT_EQ(p.at("currency").as_string(), "USD");
    ASSERT_EQ(p.at("lines").as_array().size(), 2u);
    const json::object& line = p.at("lines").as_array()[0].as_object();
    EXPECT_EQ(line.at("sku").as_string(), "ROPE-10");
    EXPECT_EQ(line.at("quantity").as_int64(), 2);
    EXPECT_EQ(line.at("unit_price").as_string(), "12.50");
    EXPECT_TRUE(line.at("id").as_string().starts_with("gid://shopify/LineItem/"));
    EXPECT_TRUE(p.at("total").is_string());
    EXPECT_EQ(p.at("total").as_string(), created.at("total_price").as_string());
    EXPECT_TRUE(p.at("ext").at("shopify").is_object());
    json::object meta = json::parse(r.meta).as_object();
    EXPECT_EQ(meta.at("topic").as_string(), "orders/create");
    EXPECT_EQ(meta.at("model").as_int64(), 1);

    // A repeated delivery carries the same event id, which the host drops.
    ASSERT_EQ(deliver(*orders, *d), FERRY_OK);
    EXPECT_EQ(call_.records()[0].event_id, r.event_id);
}

TEST_F(shopify_connector_sources, cancelled_and_updated_orders_arrive_with_their_status) {
    auto orders = make("orders");
    ASSERT_TRUE(orders);
    json::object created = new_order();
    control("/_sandbox/orders/" + std::to_string(created.at("id").as_int64()) + "/cancel", json::object{{"reason", "fraud"}});
    auto d = receiver_.wait_for("orders/cancelled");
    ASSERT_TRUE(d);
    ASSERT_EQ(deliver(*orders, *d), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    json::object p = payload_of(call_);
    EXPECT_EQ(p.at("status").as_string(), "cancelled");
    EXPECT_EQ(p.at("cancel_reason").as_string(), "fraud");
    EXPECT_TRUE(p.at("cancelled_at").is_string());
    EXPECT_EQ(json::parse(call_.records()[0].meta).at("topic").as_string(), "orders/cancelled");
    // Created and cancelled within the same second of updated_at: the cancellation still sorts later.
    auto created_delivery = receiver_.wait_for("orders/create");
    ASSERT_TRUE(created_delivery);
    int64_t cancelled_version = call_.records()[0].version;
    ASSERT_EQ(deliver(*orders, *created_delivery), FERRY_OK) << call_.error();
    EXPECT_GT(cancelled_version, call_.records()[0].version);
}

TEST_F(shopify_connector_sources, the_order_poll_sweeps_by_updated_at_across_pages_and_resumes_from_its_cursor) {
    auto orders = make("orders", R"({"since": "2020-01-01T00:00:00Z", "page_size": 2})");
    ASSERT_TRUE(orders);
    std::set<std::string> made;
    for (int i = 0; i < 5; ++i) made.insert(std::string(new_order().at("admin_graphql_api_id").as_string()));
    ferry_status status = orders->poll("", call_);
    ASSERT_EQ(status, FERRY_OK) << call_.error();
    std::set<std::string> seen;
    for (size_t i = 0; i < call_.emitted_count(); ++i) seen.insert(std::string(json::parse(call_.records()[i].payload).at("id").as_string()));
    EXPECT_EQ(seen, made);
    ASSERT_TRUE(call_.cursor());
    std::string cursor = *call_.cursor();
    json::object first = payload_of(call_);
    EXPECT_EQ(first.at("lines").as_array().size(), 2u);
    EXPECT_EQ(first.at("lines").as_array()[0].at("unit_price").as_string(), "12.50");
    EXPECT_TRUE(first.at("customer").is_object());

    // Nothing changed: the next sweep emits at most the orders of the last second again.
    control("/_sandbox/clock", json::object{{"advance_ms", 5000}});
    ASSERT_EQ(orders->poll(cursor, call_), FERRY_OK) << call_.error();
    EXPECT_LE(call_.emitted_count(), made.size());
    cursor = *call_.cursor();

    // A change later on is picked up alone.
    control("/_sandbox/clock", json::object{{"advance_ms", 5000}});
    std::string changed = *made.begin();
    std::string numeric = changed.substr(changed.rfind('/') + 1);
    control("/_sandbox/orders/" + numeric + "/update", json::object{{"note", "call before delivery"}});
    ASSERT_EQ(orders->poll(cursor, call_), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    EXPECT_EQ(payload_of(call_).at("id").as_string(), changed);
    EXPECT_EQ(payload_of(call_).at("note").as_string(), "call before delivery");
}

TEST_F(shopify_connector_sources, orders_with_many_lines_are_read_whole) {
    json::array lines;
    for (int i = 0; i < 30; ++i) lines.push_back(json::object{{"sku", i % 2 ? "ROPE-10" : "CLEAT-2"}, {"quantity", 1}});
    json::object created = new_order(json::object{{"lines", lines}});
    auto orders = make("orders", R"({"since": "2020-01-01T00:00:00Z"})");
    ASSERT_TRUE(orders);
    ferry_status status = orders->poll("", call_);
    ASSERT_EQ(status, FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    EXPECT_EQ(payload_of(call_).at("lines").as_array().size(), 30u);
}

TEST_F(shopify_connector_sources, customers_arrive_by_poll) {
    auto customers = make("customers", R"({"since": "2020-01-01T00:00:00Z"})");
    ASSERT_TRUE(customers);
    ferry_status status = customers->poll("", call_);
    ASSERT_EQ(status, FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    json::object p = payload_of(call_);
    EXPECT_EQ(p.at("email").as_string(), "ada@example.com");
    EXPECT_EQ(p.at("first_name").as_string(), "Ada");
    EXPECT_TRUE(p.at("id").as_string().starts_with("gid://shopify/Customer/"));
    EXPECT_EQ(call_.records()[0].key, "shopify:" + std::string(p.at("id").as_string()));
}

TEST_F(shopify_connector_sources, products_poll_with_variants_and_inventory_items) {
    auto products = make("products", R"({"since": "2020-01-01T00:00:00Z", "page_size": 2})");
    ASSERT_TRUE(products);
    ASSERT_EQ(products->poll("", call_), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 3u);
    bool bag = false;
    for (size_t i = 0; i < call_.emitted_count(); ++i) {
        json::object p = payload_of(call_, i);
        if (p.at("title").as_string() != "Canvas Bag") continue;
        bag = true;
        ASSERT_EQ(p.at("variants").as_array().size(), 2u);
        const json::object& v = p.at("variants").as_array()[0].as_object();
        EXPECT_EQ(v.at("sku").as_string(), "BAG-S");
        EXPECT_EQ(v.at("price").as_string(), "20.00");
        EXPECT_TRUE(v.at("inventory_item_id").as_string().starts_with("gid://shopify/InventoryItem/"));
        EXPECT_EQ(p.at("status").as_string(), "active");
    }
    EXPECT_TRUE(bag);
}

TEST_F(shopify_connector_sources, fulfilments_arrive_by_webhook_and_by_poll) {
    auto fulfillments = make("fulfillments", R"({"since": "2020-01-01T00:00:00Z"})");
    ASSERT_TRUE(fulfillments);
    json::object created = new_order();
    control("/_sandbox/orders/" + std::to_string(created.at("id").as_int64()) + "/fulfil",
            json::object{{"tracking_company", "UPS"}, {"tracking_number", "1Z999"}, {"tracking_url", "https://ups.example/1Z999"}});
    auto d = receiver_.wait_for("fulfillments/create");
    ASSERT_TRUE(d);
    ASSERT_EQ(deliver(*fulfillments, *d), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    json::object hooked = payload_of(call_);
    EXPECT_EQ(hooked.at("order_number").as_string(), created.at("name").as_string());
    EXPECT_EQ(hooked.at("order_id").as_string(), created.at("admin_graphql_api_id").as_string());
    EXPECT_EQ(hooked.at("tracking").at("number").as_string(), "1Z999");
    EXPECT_EQ(hooked.at("tracking").at("company").as_string(), "UPS");
    EXPECT_EQ(hooked.at("lines").as_array().size(), 2u);

    ASSERT_EQ(fulfillments->poll("", call_), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    json::object polled = payload_of(call_);
    EXPECT_EQ(polled.at("id").as_string(), hooked.at("id").as_string());
    EXPECT_EQ(polled.at("order_number").as_string(), created.at("name").as_string());
    EXPECT_EQ(polled.at("tracking").at("url").as_string(), "https://ups.example/1Z999");
}

TEST_F(shopify_connector_sources, refunds_arrive_by_webhook_and_by_poll_with_the_order_number) {
    auto refunds = make("refunds", R"({"since": "2020-01-01T00:00:00Z"})");
    ASSERT_TRUE(refunds);
    json::object created = new_order();
    control("/_sandbox/orders/" + std::to_string(created.at("id").as_int64()) + "/refund",
            json::object{{"lines", json::array{json::object{{"sku", "ROPE-10"}, {"quantity", 1}}}}, {"note", "damaged"}});
    auto d = receiver_.wait_for("refunds/create");
    ASSERT_TRUE(d);
    ASSERT_EQ(deliver(*refunds, *d), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    json::object hooked = payload_of(call_);
    EXPECT_EQ(hooked.at("order_number").as_string(), created.at("name").as_string());
    EXPECT_EQ(hooked.at("note").as_string(), "damaged");
    EXPECT_TRUE(hooked.at("total").is_string());

    ferry_status status = refunds->poll("", call_);
    ASSERT_EQ(status, FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    json::object polled = payload_of(call_);
    EXPECT_EQ(polled.at("id").as_string(), hooked.at("id").as_string());
    EXPECT_EQ(polled.at("total").as_string(), hooked.at("total").as_string());
}

TEST_F(shopify_connector_sources, payments_come_from_orders_paid_and_the_orders_transactions) {
    auto payments = make("payments", R"({"since": "2020-01-01T00:00:00Z"})");
    ASSERT_TRUE(payments);
    json::object created = new_order(json::object{{"paid", true}});
    auto d = receiver_.wait_for("orders/paid");
    ASSERT_TRUE(d);
    ferry_status status = deliver(*payments, *d);
    ASSERT_EQ(status, FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    json::object hooked = payload_of(call_);
    EXPECT_EQ(hooked.at("order_number").as_string(), created.at("name").as_string());
    EXPECT_EQ(hooked.at("order_id").as_string(), created.at("admin_graphql_api_id").as_string());
    EXPECT_EQ(hooked.at("amount").as_string(), created.at("total_price").as_string());
    EXPECT_EQ(hooked.at("currency").as_string(), "USD");
    EXPECT_FALSE(hooked.at("gateway").as_string().empty());
    EXPECT_EQ(hooked.at("kind").as_string(), "sale");
    EXPECT_TRUE(hooked.at("id").as_string().starts_with("gid://shopify/OrderTransaction/"));

    ASSERT_EQ(payments->poll("", call_), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    EXPECT_EQ(payload_of(call_).at("id").as_string(), hooked.at("id").as_string());
    EXPECT_EQ(call_.records()[0].key, "shopify:" + std::string(hooked.at("id").as_string()));
}

TEST_F(shopify_connector_sources, inventory_levels_arrive_by_webhook_and_by_poll_named_by_sku_and_location) {
    auto levels = make("inventory_levels");
    ASSERT_TRUE(levels);
    control("/_sandbox/inventory", json::object{{"sku", "CLEAT-2"}, {"location", "Main Warehouse"}, {"available", 9}});
    auto d = receiver_.wait_for("inventory_levels/update");
    ASSERT_TRUE(d);
    ASSERT_EQ(deliver(*levels, *d), FERRY_OK) << call_.error();
    ASSERT_EQ(call_.emitted_count(), 1u);
    json::object hooked = payload_of(call_);
    EXPECT_EQ(hooked.at("sku").as_string(), "CLEAT-2");
    EXPECT_EQ(hooked.at("location").as_string(), "Main Warehouse");
    EXPECT_EQ(hooked.at("available").as_int64(), 9);

    ASSERT_EQ(levels->poll("", call_), FERRY_OK) << call_.error();
    std::map<std::string, int64_t> seen;
    for (size_t i = 0; i < call_.emitted_count(); ++i) {
        json::object p = payload_of(call_, i);
        seen[std::string(p.at("sku").as_string()) + "@" + std::string(p.at("location").as_string())] = p.at("available").as_int64();
    }
    EXPECT_EQ(seen["CLEAT-2@Main Warehouse"], 9);
    EXPECT_EQ(seen["ROPE-10@Outlet"], 5);
    EXPECT_EQ(seen["BAG-L@Main Warehouse"], 8);
}

}  // namespace
}  // namespace ferry::test
