// Calls through the C ABI into the testkit plugin and checks what comes back.
#include "plugin/instance.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ferry::host;

namespace {

class through_the_abi : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(registry.load_file(std::filesystem::path(FERRY_TEST_PLUGIN_DIR) / "testkit.so"));
    }

    std::unique_ptr<component_instance> make(const std::string& name, const std::string& config = "{}",
                                             const std::string& connection = "") {
        instance_settings settings;
        settings.config = config;
        settings.connection = connection;
        settings.pipeline = "test";
        std::string error;
        auto instance = component_instance::create(*registry.find_component(name), services, settings, error);
        EXPECT_TRUE(instance) << error;
        return instance;
    }

    static owned_record order(const std::string& key = "shop:1") {
        owned_record r;
        r.stream = "order";
        r.key = key;
        r.version = 42;
        r.payload = R"({"id":1})";
        r.meta = R"({"topic":"orders/create"})";
        r.event_id = "evt-1";
        return r;
    }

    host_services services;
    plugin_registry registry{services};
    call_context call;
};

TEST_F(through_the_abi, a_transform_emits_a_copy_of_the_record) {
    auto echo = make("testkit.echo");
    owned_record in = order();
    ferry_record view = in.view();
    ASSERT_EQ(echo->transform(view, call), FERRY_OK);
    ASSERT_EQ(call.emitted_count(), 1u);
    const owned_record& out = call.records()[0];
    EXPECT_EQ(out.stream, "order");
    EXPECT_EQ(out.key, "shop:1");
    EXPECT_EQ(out.version, 42);
    EXPECT_EQ(out.payload, in.payload);
    EXPECT_EQ(out.meta, in.meta);
    EXPECT_EQ(out.event_id, "evt-1");
}

TEST_F(through_the_abi, emitted_records_inherit_what_they_leave_empty) {
    auto split = make("testkit.split", R"({"copies": 3})");
    owned_record in = order();
    ferry_record view = in.view();
    ASSERT_EQ(split->transform(view, call), FERRY_OK);
    ASSERT_EQ(call.emitted_count(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        const owned_record& out = call.records()[i];
        EXPECT_EQ(out.key, "shop:1#" + std::to_string(i));
        EXPECT_EQ(out.stream, "order");
        EXPECT_EQ(out.version, 42);
        EXPECT_EQ(out.meta, in.meta);
    }
    // The call is reused: a second input starts from nothing.
    ASSERT_EQ(split->transform(view, call), FERRY_OK);
    EXPECT_EQ(call.emitted_count(), 3u);
}

TEST_F(through_the_abi, a_filter_emits_nothing) {
    auto split = make("testkit.split", R"({"copies": 0})");
    owned_record in = order();
    ferry_record view = in.view();
    EXPECT_EQ(split->transform(view, call), FERRY_OK);
    EXPECT_EQ(call.emitted_count(), 0u);
}

struct failure_case {
    const char* name;
    const char* config;
    ferry_status status;
    const char* message;
    uint64_t delay_ms;
};

class failing_transform : public through_the_abi, public ::testing::WithParamInterface<failure_case> {};

TEST_P(failing_transform, exceptions_become_a_status_and_text) {
    auto fail = make("testkit.fail", GetParam().config);
    owned_record in = order();
    ferry_record view = in.view();
    EXPECT_EQ(fail->transform(view, call), GetParam().status);
    EXPECT_EQ(call.error(), GetParam().message);
    EXPECT_EQ(call.delay_ms(), GetParam().delay_ms);
    EXPECT_EQ(call.emitted_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    statuses, failing_transform,
    ::testing::Values(
        failure_case{"retry", R"({"status":"retry","message":"ERP busy","delay_ms":250})", FERRY_RETRY, "ERP busy", 250},
        failure_case{"throttled", R"({"status":"throttled","message":"bucket empty","delay_ms":2000})", FERRY_THROTTLED, "bucket empty", 2000},
        failure_case{"reject", R"({"status":"reject","message":"unknown SKU ABC-1"})", FERRY_REJECT, "unknown SKU ABC-1", 0},
        failure_case{"fatal", R"({"status":"fatal","message":"bad credentials"})", FERRY_FATAL, "bad credentials", 0},
        failure_case{"unexpected", R"({"status":"unexpected","message":"bug"})", FERRY_REJECT, "bug", 0},
        failure_case{"unknown", R"({"status":"unknown"})", FERRY_REJECT, "unknown exception in plugin", 0}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(through_the_abi, a_failing_constructor_is_a_create_error) {
    instance_settings settings;
    settings.config = "{}";  // split needs "copies"
    std::string error;
    auto instance = component_instance::create(*registry.find_component("testkit.split"), services, settings, error);
    EXPECT_FALSE(instance);
    EXPECT_EQ(error.rfind("testkit.split: create failed (fatal): ", 0), 0u) << error;
}

TEST_F(through_the_abi, a_sink_writes_and_finds_its_write_again) {
    auto sink = make("testkit.memory", "{}", "erp");
    owned_record in = order();
    ferry_record view = in.view();
    ferry_delivery delivery{sizeof(ferry_delivery), &view, {"orders:shop:1:42", 16}, 1};

    ASSERT_EQ(sink->lookup(delivery, call), FERRY_OK);
    EXPECT_FALSE(call.target_id());
    ASSERT_EQ(sink->write(delivery, call), FERRY_OK);
    EXPECT_EQ(call.target_id(), "mem-1");
    ASSERT_EQ(sink->lookup(delivery, call), FERRY_OK);
    EXPECT_EQ(call.target_id(), "mem-1");
    EXPECT_EQ(services.metrics_snapshot().at("writes{erp}"), 1.0);
}

TEST_F(through_the_abi, a_batch_sink_reports_each_item) {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("ferry-batch-" + std::to_string(::getpid()) + ".jsonl");
    std::filesystem::remove(path);
    std::string config = R"({"path": ")" + path.string() + R"(", "reject_keys": ["shop:2"], "unreported_keys": ["shop:3"]})";
    auto sink = make("testkit.batch_file", config, "erp");
    std::vector<owned_record> records{order("shop:1"), order("shop:2"), order("shop:3")};
    std::vector<std::string> keys{"k1", "k2", "k3"};
    std::vector<ferry_record> views;
    std::vector<ferry_delivery> deliveries;
    for (size_t i = 0; i < records.size(); ++i) views.push_back(records[i].view());
    for (size_t i = 0; i < records.size(); ++i) deliveries.push_back({sizeof(ferry_delivery), &views[i], c_str(keys[i]), 1});
    std::vector<const ferry_delivery*> pointers{&deliveries[0], &deliveries[1], &deliveries[2]};

    call.set_item_result(0, FERRY_REJECT, "left over", "");  // from an earlier call: reset clears it
    ASSERT_EQ(sink->write_batch(pointers.data(), pointers.size(), call), FERRY_OK) << call.error();
    EXPECT_EQ(call.kind(), call_kind::write_batch);
    ASSERT_EQ(call.items().size(), 3u);
    EXPECT_TRUE(call.items()[0].set);
    EXPECT_EQ(call.items()[0].status, FERRY_OK);
    EXPECT_EQ(call.items()[0].target_id, "B-1");
    EXPECT_TRUE(call.items()[1].set);
    EXPECT_EQ(call.items()[1].status, FERRY_REJECT);
    EXPECT_EQ(call.items()[1].text, "configured rejection of shop:2");
    EXPECT_FALSE(call.items()[2].set) << "no result: the host decides";
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + ".batches");
}

TEST_F(through_the_abi, a_source_polls_from_its_cursor) {
    auto ticker = make("testkit.ticker", R"({"count": 2})");
    ASSERT_EQ(ticker->poll("", call), FERRY_OK);
    ASSERT_EQ(call.emitted_count(), 2u);
    EXPECT_EQ(call.records()[1].key, "ticker:2");
    ASSERT_TRUE(call.cursor());
    std::string cursor = *call.cursor();
    EXPECT_EQ(cursor, "2");
    ASSERT_EQ(ticker->poll(cursor, call), FERRY_OK);
    EXPECT_EQ(call.records()[0].key, "ticker:3");
    EXPECT_EQ(call.cursor(), "4");
}

TEST_F(through_the_abi, a_source_verifies_webhooks) {
    auto ticker = make("testkit.ticker");
    std::string body = R"({"id": 9})";
    ferry_header headers[] = {{{"x-test-signature", 16}, {"good", 4}}, {{"X-Test-Event-Id", 15}, {"e-9", 3}}};
    ferry_webhook request{};
    request.struct_size = sizeof(request);
    request.method = {"POST", 4};
    request.headers = headers;
    request.header_count = 2;
    request.body = {body.data(), body.size()};
    ASSERT_EQ(ticker->webhook(request, call), FERRY_OK);
    ASSERT_EQ(call.emitted_count(), 1u);
    EXPECT_EQ(call.records()[0].key, "ticker:9");
    EXPECT_EQ(call.records()[0].event_id, "e-9");

    headers[0].value = {"bad!", 4};
    EXPECT_EQ(ticker->webhook(request, call), FERRY_UNAUTHORIZED);
    EXPECT_EQ(call.emitted_count(), 0u);

    headers[0].value = {"good", 4};
    request.body = {"[1]", 3};
    EXPECT_EQ(ticker->webhook(request, call), FERRY_REJECT);
    EXPECT_EQ(call.error(), "body is not an order");
}

TEST(call_context, refuses_a_record_smaller_than_the_1_0_layout) {
    call_context call(call_kind::transform);
    ferry_record tiny{};
    tiny.struct_size = 8;
    EXPECT_EQ(call.emit(&tiny), FERRY_REJECT);
    EXPECT_EQ(call.emitted_count(), 0u);
    EXPECT_NE(call.error().find("struct_size"), std::string::npos);
}

TEST(call_context, refuses_emits_outside_record_hooks) {
    call_context call(call_kind::create);
    owned_record r;
    r.stream = "order";
    r.key = "k";
    ferry_record view = r.view();
    EXPECT_EQ(call.emit(&view), FERRY_REJECT);
}

TEST(host_services, state_is_kept_per_connection) {
    host_services services;
    const ferry_host_api* api = services.api();
    scope_context shop{&services, "p", "c", "shop", "pipe"};
    scope_context erp{&services, "p", "c", "erp", "pipe"};
    ASSERT_EQ(api->state_put(shop.handle(), {"cursor", 6}, {"abc", 3}), FERRY_OK);
    const ferry_value* value = nullptr;
    ASSERT_EQ(api->state_get(shop.handle(), {"cursor", 6}, &value), FERRY_OK);
    ASSERT_NE(value, nullptr);
    EXPECT_EQ(view(value->data), "abc");
    api->value_release(shop.handle(), value);
    ASSERT_EQ(api->state_get(erp.handle(), {"cursor", 6}, &value), FERRY_OK);
    EXPECT_EQ(value, nullptr);
    ASSERT_EQ(api->state_delete(shop.handle(), {"cursor", 6}), FERRY_OK);
    ASSERT_EQ(api->state_get(shop.handle(), {"cursor", 6}, &value), FERRY_OK);
    EXPECT_EQ(value, nullptr);
}

TEST(host_services, http_without_an_engine_says_so) {
    host_services services;
    scope_context scope{&services, "p", "c", "shop", ""};
    ferry_http_request request{};
    request.struct_size = sizeof(request);
    const ferry_http_response* response = nullptr;
    EXPECT_EQ(services.api()->http_send(scope.handle(), &request, &response), FERRY_FATAL);
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(response->status, 0);
    EXPECT_NE(view(response->error).find("not available"), std::string_view::npos);
    services.api()->http_release(scope.handle(), response);
}

}  // namespace
