// The mapping plugin through the plugin ABI, as the engine uses it.
#include "plugin/instance.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace ferry::host;
namespace json = boost::json;

namespace {

class mapping_plugin : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(registry.load_file(std::filesystem::path(FERRY_PLUGIN_DIR) / "mapping.so")); }

    std::unique_ptr<component_instance> jsonata(const std::string& expr, std::string& error) {
        instance_settings settings;
        settings.config = json::serialize(json::object{{"expr", expr}});
        return component_instance::create(*registry.find_component("mapping.jsonata"), services, settings, error);
    }

    owned_record order() {
        owned_record r;
        r.stream = "order";
        r.key = "shopify:1001";
        r.version = 5;
        r.meta = R"({"topic":"orders/create"})";
        r.payload = R"({"name":"#1001","customer":{"first_name":"Ada","last_name":"Lovelace"},
                       "line_items":[{"sku":"A-1","quantity":2,"price":"9.50"},{"sku":"B-2","quantity":1,"price":"20.00"}]})";
        return r;
    }

    host_services services;
    plugin_registry registry{services};
    call_context call;
};

TEST_F(mapping_plugin, maps_a_payload_and_keeps_the_records_identity) {
    std::string error;
    auto map = jsonata(R"({
        "CustomerPoNumber": name,
        "Customer": customer.(first_name & " " & last_name),
        "Lines": line_items.{"StockCode": sku, "Qty": quantity, "Value": $number(price) * quantity},
        "Source": $meta.topic,
        "Ref": $key & "@" & $string($version)
    })", error);
    ASSERT_TRUE(map) << error;
    owned_record in = order();
    ferry_record view = in.view();
    ASSERT_EQ(map->transform(view, call), FERRY_OK) << call.error();
    ASSERT_EQ(call.emitted_count(), 1u);
    const owned_record& out = call.records()[0];
    EXPECT_EQ(out.key, "shopify:1001");
    EXPECT_EQ(out.stream, "order");
    EXPECT_EQ(out.version, 5);
    EXPECT_EQ(json::parse(out.payload), json::parse(R"({
        "CustomerPoNumber": "#1001", "Customer": "Ada Lovelace",
        "Lines": [{"StockCode": "A-1", "Qty": 2, "Value": 19}, {"StockCode": "B-2", "Qty": 1, "Value": 20}],
        "Source": "orders/create", "Ref": "shopify:1001@5"})"));
}

TEST_F(mapping_plugin, an_expression_that_yields_nothing_drops_the_record) {
    std::string error;
    auto filter = jsonata(R"($sum(line_items.quantity) > 5 ? $ : undefined)", error);
    ASSERT_TRUE(filter) << error;
    owned_record in = order();
    ferry_record view = in.view();
    ASSERT_EQ(filter->transform(view, call), FERRY_OK);
    EXPECT_EQ(call.emitted_count(), 0u);
}

TEST_F(mapping_plugin, a_syntax_error_stops_the_pipeline_at_start_with_its_position) {
    std::string error;
    auto broken = jsonata(R"({"a": line_items[}")", error);
    EXPECT_FALSE(broken);
    EXPECT_NE(error.find("create failed (fatal): mapping.jsonata: S0"), std::string::npos) << error;
    EXPECT_NE(error.find("at position"), std::string::npos) << error;
}

TEST_F(mapping_plugin, an_evaluation_error_rejects_the_record_with_its_code) {
    std::string error;
    auto map = jsonata(R"(name + 1)", error);
    ASSERT_TRUE(map) << error;
    owned_record in = order();
    ferry_record view = in.view();
    EXPECT_EQ(map->transform(view, call), FERRY_REJECT);
    EXPECT_NE(call.error().find("T2001"), std::string::npos) << call.error();
}

}  // namespace
