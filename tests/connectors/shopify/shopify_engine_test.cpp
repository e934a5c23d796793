// The plugin inside the engine: a signed orders/create webhook from the emulator is journalled
// once (its event id drops the redelivery), mapped, and the ERP number it stands for is written
// back to the order by the order_annotations sink.
#include "engine_harness.hpp"
#include "shopify_world.hpp"

namespace ferry::test {
namespace {

class shopify_connector_engine : public ::testing::Test, public shopify_emulator, protected engine_harness {
protected:
    void SetUp() override {
        start_emulator();
        ::setenv("FERRY_SHOPIFY_TEST_TOKEN", sandbox_token().c_str(), 1);
        ::setenv("FERRY_SHOPIFY_TEST_SECRET", sandbox_webhook_secret().c_str(), 1);
        ::unsetenv("FERRY_PLUGIN_PATH");
    }
    void TearDown() override {
        if (eng) eng->stop();
    }

    host::webhook_outcome send(const webhook_receiver::delivery& d) {
        host::webhook_input in;
        in.path = "/webhooks/shop";
        in.headers = d.headers;
        in.body = d.body;
        return eng->accept_webhook("shop", in);
    }
};

TEST_F(shopify_connector_engine, an_order_webhook_flows_through_the_engine_once_and_its_number_comes_back) {
    load(R"({
      "ferry": 1,
      "store": "sqlite://ferry.db",
      "connections": {"shop": {"plugin": "shopify", "config": {
          "shop": ")" + base_ + R"(", "api_version": "2025-10",
          "access_token": "${env:FERRY_SHOPIFY_TEST_TOKEN}", "webhook_secret": "${env:FERRY_SHOPIFY_TEST_SECRET}"}}},
      "pipelines": {
        "numbers": {
          "source": {"connection": "shop", "stream": "order", "webhooks": ["orders/create"]},
          "transforms": [{"use": "mapping.jsonata", "config": {"expr":
              "{'order_id': id, 'order_number': number, 'erp': 'acme', 'erp_order': 'SO-' & $substringAfter(number, '#')}"}}],
          "sink": {"connection": "shop", "stream": "erp_order"},
          "retry": {"max_attempts": 3, "backoff": "5ms..20ms"}
        }
      }
    })");
    ASSERT_TRUE(eng);
    eng->start(false);
    webhook_receiver receiver;
    subscribe("ORDERS_CREATE", receiver.url());
    subscribe("ORDERS_PAID", receiver.url());
    json::value created = control("/_sandbox/orders", json::object{{"count", 1}, {"lines", json::array{json::object{{"sku", "ROPE-10"}, {"quantity", 1}}}}});
    std::string name(created.at("orders").as_array().at(0).at("name").as_string());

    auto create = receiver.wait_for("orders/create");
    auto paid = receiver.wait_for("orders/paid");
    ASSERT_TRUE(create && paid);
    host::webhook_outcome first = send(*create);
    EXPECT_EQ(first.http_status, 200) << first.message;
    EXPECT_EQ(first.accepted, 1u);
    // The same delivery again: same X-Shopify-Event-Id, dropped.
    host::webhook_outcome again = send(*create);
    EXPECT_EQ(again.http_status, 200) << again.message;
    EXPECT_EQ(again.accepted, 0u);
    EXPECT_EQ(again.duplicates, 1u);
    // A topic no pipeline takes is answered 200 and kept nowhere.
    host::webhook_outcome other = send(*paid);
    EXPECT_EQ(other.http_status, 200) << other.message;
    EXPECT_EQ(other.accepted, 0u);
    // A forged body is refused.
    webhook_receiver::delivery forged = *create;
    forged.body.back() = ' ';
    EXPECT_EQ(send(forged).http_status, 401);

    ASSERT_TRUE(settle());
    json::object order = order_readback(name);
    std::string number = "SO-" + name.substr(1);
    bool tagged = false;
    for (const auto& t : order.at("tag_list").as_array()) tagged |= t.as_string() == "acme:" + number;
    EXPECT_TRUE(tagged) << json::serialize(order.at("tag_list"));
    bool metafield = false;
    for (const auto& m : order.at("metafields").as_array()) metafield |= m.at("value").as_string() == number;
    EXPECT_TRUE(metafield) << json::serialize(order.at("metafields"));
    std::vector<host::pipeline_status> status = eng->status();
    ASSERT_EQ(status.size(), 1u);
    EXPECT_EQ(status[0].counts.done, 1u);
    EXPECT_EQ(status[0].counts.dead, 0u);
}

}  // namespace
}  // namespace ferry::test
