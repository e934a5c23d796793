// The mapping plugin through the plugin ABI, as the engine uses it.
#include "plugin/instance.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "test_support.hpp"

#include <fstream>

using namespace ferry::host;
namespace json = boost::json;

namespace {

class mapping_plugin : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(registry.load_file(std::filesystem::path(FERRY_PLUGIN_DIR) / "mapping.so")); }

    std::unique_ptr<component_instance> make(const std::string& component, const std::string& config, std::string& error) {
        instance_settings settings;
        settings.config = config;
        return component_instance::create(*registry.find_component("mapping." + component), services, settings, error);
    }

    std::unique_ptr<component_instance> jsonata(const std::string& expr, std::string& error) {
        return make("jsonata", json::serialize(json::object{{"expr", expr}}), error);
    }

    // Runs one record through an instance; returns the status.
    ferry_status run(component_instance& instance, owned_record in) {
        ferry_record view = in.view();
        return instance.transform(view, call);
    }

    static owned_record with_payload(const std::string& stream, const std::string& payload) {
        owned_record r;
        r.stream = stream;
        r.key = "k:1";
        r.version = 1;
        r.payload = payload;
        return r;
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

TEST_F(mapping_plugin, a_line_names_its_order_through_the_parent_operator) {
    std::string error;
    // One row per line, each carrying its order's name: % is the object a line sits in.
    auto map = jsonata(R"({"rows": line_items.{"sku": sku, "order": %.name}})", error);
    ASSERT_TRUE(map) << error;
    owned_record in = order();
    ferry_record view = in.view();
    ASSERT_EQ(map->transform(view, call), FERRY_OK) << call.error();
    ASSERT_EQ(call.emitted_count(), 1u);
    EXPECT_EQ(json::parse(call.records()[0].payload),
              json::parse(R"({"rows": [{"sku": "A-1", "order": "#1001"}, {"sku": "B-2", "order": "#1001"}]})"));

    auto orphan = jsonata("%.name", error);
    EXPECT_FALSE(orphan) << "a % with no step above it is refused when the pipeline starts";
    EXPECT_NE(error.find("S0217"), std::string::npos) << error;
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

namespace {

TEST_F(mapping_plugin, filter_passes_only_what_its_predicate_holds_for) {
    std::string error;
    auto paid = make("filter", R"({"expr": "financial_status = 'paid'"})", error);
    ASSERT_TRUE(paid) << error;
    ASSERT_EQ(run(*paid, with_payload("order", R"({"financial_status":"paid"})")), FERRY_OK);
    EXPECT_EQ(call.emitted_count(), 1u);
    ASSERT_EQ(run(*paid, with_payload("order", R"({"financial_status":"pending"})")), FERRY_OK);
    EXPECT_EQ(call.emitted_count(), 0u);
    EXPECT_EQ(services.metrics_snapshot().at("filtered{}"), 1.0);
}

TEST_F(mapping_plugin, filter_judges_a_result_as_jsonatas_boolean_does) {
    std::string error;
    auto flags = make("filter", R"({"expr": "line_items.gift"})", error);
    ASSERT_TRUE(flags) << error;
    // A sequence is true when any of its items is ($boolean), not merely when it is non-empty.
    ASSERT_EQ(run(*flags, with_payload("order", R"({"line_items":[{"gift":false},{"gift":false}]})")), FERRY_OK);
    EXPECT_EQ(call.emitted_count(), 0u);
    ASSERT_EQ(run(*flags, with_payload("order", R"({"line_items":[{"gift":false},{"gift":true}]})")), FERRY_OK);
    EXPECT_EQ(call.emitted_count(), 1u);
}

TEST_F(mapping_plugin, validate_rejects_with_the_failing_assertions_message) {
    std::string error;
    auto check = make("validate", R"({"assertions": [
        {"name": "has lines", "expr": "$count(line_items) > 0"},
        {"name": "known currency", "expr": "currency in ['EUR', 'GBP']", "message": "'currency ' & currency & ' is not sold'"}]})",
                      error);
    ASSERT_TRUE(check) << error;
    EXPECT_EQ(run(*check, with_payload("order", R"({"line_items":[1],"currency":"EUR"})")), FERRY_OK);
    EXPECT_EQ(call.emitted_count(), 1u);
    EXPECT_EQ(run(*check, with_payload("order", R"({"line_items":[1],"currency":"USD"})")), FERRY_REJECT);
    EXPECT_EQ(call.error(), "assertion \"known currency\" failed: currency USD is not sold");
    EXPECT_EQ(run(*check, with_payload("order", R"({"line_items":[],"currency":"EUR"})")), FERRY_REJECT);
    EXPECT_EQ(call.error(), "assertion \"has lines\" failed");
}

TEST_F(mapping_plugin, lookup_translates_through_an_inline_table) {
    std::string error;
    auto ship = make("lookup", R"({"key": "shipping_lines[0].code", "into": "erp_ship_via",
                                  "table": {"Standard": "UPS-GND", "Express": "UPS-AIR"}})", error);
    ASSERT_TRUE(ship) << error;
    ASSERT_EQ(run(*ship, with_payload("order", R"({"shipping_lines":[{"code":"Express"}]})")), FERRY_OK);
    EXPECT_EQ(json::parse(call.records()[0].payload).at("erp_ship_via"), "UPS-AIR");
    EXPECT_EQ(run(*ship, with_payload("order", R"({"shipping_lines":[{"code":"Drone"}]})")), FERRY_REJECT);
    EXPECT_EQ(call.error(), "mapping.lookup: no entry for \"Drone\" (to fill erp_ship_via)");

    auto lenient = make("lookup", R"({"key": "gateway", "into": "pay_code", "table": {}, "missing": "default", "default": "CASH"})", error);
    ASSERT_TRUE(lenient) << error;
    ASSERT_EQ(run(*lenient, with_payload("payment", R"({"gateway":"paypal"})")), FERRY_OK);
    EXPECT_EQ(json::parse(call.records()[0].payload).at("pay_code"), "CASH");
}

TEST_F(mapping_plugin, lookup_reads_a_file_and_notices_when_it_changes) {
    auto dir = std::filesystem::temp_directory_path() / ("ferry-lookup-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto csv = dir / "warehouses.csv";
    std::ofstream(csv) << "from,to\nShop Floor,WH1\n";
    std::string error;
    auto where = make("lookup", json::serialize(json::object{{"key", "location"}, {"into", "warehouse"}, {"file", csv.string()}}), error);
    ASSERT_TRUE(where) << error;
    ASSERT_EQ(run(*where, with_payload("inventory_level", R"({"location":"Shop Floor"})")), FERRY_OK);
    EXPECT_EQ(json::parse(call.records()[0].payload).at("warehouse"), "WH1");
    EXPECT_EQ(run(*where, with_payload("inventory_level", R"({"location":"Back Room"})")), FERRY_REJECT);

    // The merchant adds a row; the next record after the file's time moves on sees it.
    std::ofstream(csv) << "from,to\nShop Floor,WH1\nBack Room,WH2\n";
    std::filesystem::last_write_time(csv, std::filesystem::last_write_time(csv) + std::chrono::seconds(5));
    bool updated = ferry::test::eventually([&] {
        return run(*where, with_payload("inventory_level", R"({"location":"Back Room"})")) == FERRY_OK;
    }, std::chrono::seconds(5));
    EXPECT_TRUE(updated);
    EXPECT_EQ(json::parse(call.records()[0].payload).at("warehouse"), "WH2");
    std::filesystem::remove_all(dir);
}

TEST_F(mapping_plugin, inventory_publishes_what_can_be_sold) {
    std::string error;
    auto stock = make("inventory", R"({"safety_stock": 2, "buffer_percent": 10, "locations": {"Outlet": {"safety_stock": 0, "buffer_percent": 0}}})", error);
    ASSERT_TRUE(stock) << error;
    auto available = [&](const std::string& payload) {
        EXPECT_EQ(run(*stock, with_payload("inventory_level", payload)), FERRY_OK) << call.error();
        return json::parse(call.records()[0].payload).at("available").as_int64();
    };
    EXPECT_EQ(available(R"({"sku":"A","location":"Main","on_hand":25,"allocated":3})"), 18) << "25-3-2 = 20, less 10% = 18";
    EXPECT_EQ(available(R"({"sku":"A","location":"Main","on_hand":3,"allocated":2})"), 0) << "floored at zero";
    EXPECT_EQ(available(R"({"sku":"A","location":"Outlet","on_hand":25,"allocated":3})"), 22) << "the location's own rule";
    EXPECT_EQ(run(*stock, with_payload("inventory_level", R"({"sku":"A"})")), FERRY_REJECT);
}

}  // namespace

#include "manifest/manifest.hpp"

namespace {

TEST(mapping_manifest, validate_points_at_a_broken_expression_inside_the_manifest) {
    ::setenv("FERRY_TEST_TOKEN", "tok-0123456789", 1);
    const std::string text = R"({
  "ferry": 1,
  "connections": {"svc": {"plugin": "testkit", "config": {"endpoint": "http://x", "token": "${env:FERRY_TEST_TOKEN}"}}},
  "pipelines": {"p": {
    "source": {"connection": "svc", "stream": "order", "poll": "1m"},
    "transforms": [{"use": "mapping.jsonata", "config": {"expr": "{\"po\": name, \"sku\": line_items[.sku}"}}],
    "sink": {"connection": "svc", "stream": "order", "component": "memory"}
  }}
})";
    host_services services;
    plugin_registry registry(services);
    manifest_result result = load_manifest_text(text, "m.json", registry, {FERRY_TEST_PLUGIN_DIR, FERRY_PLUGIN_DIR});
    ASSERT_EQ(result.problems.size(), 1u) << (result.problems.empty() ? "" : result.problems[0].format());
    const diagnostic& d = result.problems[0];
    EXPECT_EQ(d.pointer, "/pipelines/p/transforms/0/config/expr");
    EXPECT_EQ(d.line, 6u);
    // The column of the '.' that the expression cannot start with, counted in the raw manifest line.
    std::string line6 = text.substr(text.find("    \"transforms\""));
    EXPECT_EQ(line6[d.column - 1], '.') << d.format();
    EXPECT_NE(d.message.find("S0211 at position 31 of expr"), std::string::npos) << d.message;
}

}  // namespace

namespace {

TEST_F(mapping_plugin, iso_offsets_keep_their_minutes) {
    std::string error;
    auto map = jsonata(R"([$toMillis("2018-02-01T09:42:13.123+0130"), $toMillis("2018-02-01T09:42:13.123+01:30"),
                          $toMillis("2018-02-01T08:12:13.123Z")])", error);
    ASSERT_TRUE(map) << error;
    ASSERT_EQ(run(*map, with_payload("order", "{}")), FERRY_OK) << call.error();
    EXPECT_EQ(json::parse(call.records()[0].payload), json::parse("[1517472733123, 1517472733123, 1517472733123]"));
}

}  // namespace
