// What the Shopify connector tests share: the emulator in-process, the shopify plugin loaded
// through the host's registry, component instances driven through the plugin ABI, a GraphQL client
// that talks to the emulator directly (to set up and check state), and a webhook receiver.
#pragma once

#include "common/sandbox.hpp"
#include "engine/engine.hpp"
#include "engine/metrics.hpp"
#include "http/client.hpp"
#include "net/http_server.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"
#include "shopify/shopify_service.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

namespace ferry::test {

namespace json = boost::json;

// One component instance made and called through the raw hooks, so that every hook (write_batch
// included) can be exercised the way the engine calls it.
class plugin_component {
public:
    plugin_component(const host::component_info& info, host::host_services& services, const std::string& connection,
                     const std::string& connection_config, const std::string& config)
        : info_(info) {
        scope_.services = &services;
        scope_.plugin = info.plugin;
        scope_.component = info.name;
        scope_.connection = connection;
        scope_.pipeline = "test";
        ferry_create_args args{};
        args.struct_size = sizeof(args);
        args.scope = scope_.handle();
        args.connection = host::c_str(connection);
        args.connection_config = host::c_str(connection_config);
        args.config = host::c_str(config);
        args.pipeline = host::c_str(scope_.pipeline);
        host::call_context call(host::call_kind::create);
        status_ = info.hooks.create(&args, call.handle(), &instance_);
        error_ = call.error();
        if (status_ != FERRY_OK) instance_ = nullptr;
    }
    ~plugin_component() {
        if (instance_) info_.hooks.destroy(instance_);
    }
    plugin_component(const plugin_component&) = delete;
    plugin_component& operator=(const plugin_component&) = delete;

    bool ok() const { return instance_ != nullptr; }
    ferry_status create_status() const { return status_; }
    const std::string& create_error() const { return error_; }

    ferry_status webhook(const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
                         host::call_context& call) {
        std::vector<ferry_header> hs;
        for (const auto& [n, v] : headers) hs.push_back({host::c_str(n), host::c_str(v)});
        ferry_webhook w{};
        w.struct_size = sizeof(w);
        w.method = host::c_str("POST");
        w.path = host::c_str("/webhooks/shop");
        w.headers = hs.data();
        w.header_count = hs.size();
        w.body = host::c_str(body);
        call.reset(host::call_kind::webhook);
        return info_.hooks.webhook(instance_, &w, call.handle());
    }
    ferry_status poll(const std::string& cursor, host::call_context& call) {
        call.reset(host::call_kind::poll);
        return info_.hooks.poll(instance_, host::c_str(cursor), call.handle());
    }
    ferry_status write(const host::owned_record& r, const std::string& idempotency_key, host::call_context& call,
                       bool lookup_only = false) {
        ferry_record view = r.view();
        ferry_delivery d{};
        d.struct_size = sizeof(d);
        d.record = &view;
        d.idempotency_key = host::c_str(idempotency_key);
        d.attempt = 1;
        call.reset(lookup_only ? host::call_kind::lookup : host::call_kind::write);
        return lookup_only ? info_.hooks.lookup(instance_, &d, call.handle()) : info_.hooks.write(instance_, &d, call.handle());
    }
    ferry_status write_batch(const std::vector<host::owned_record>& records, const std::string& key_prefix,
                             host::call_context& call) {
        std::vector<ferry_record> views;
        std::vector<std::string> keys;
        for (size_t i = 0; i < records.size(); ++i) {
            views.push_back(records[i].view());
            keys.push_back(key_prefix + std::to_string(i));
        }
        std::vector<ferry_delivery> ds(records.size());
        std::vector<const ferry_delivery*> ptrs;
        for (size_t i = 0; i < records.size(); ++i) {
            ds[i].struct_size = sizeof(ferry_delivery);
            ds[i].record = &views[i];
            ds[i].idempotency_key = host::c_str(keys[i]);
            ds[i].attempt = 1;
            ptrs.push_back(&ds[i]);
        }
        call.reset(host::call_kind::write_batch, nullptr, records.size());
        return info_.hooks.write_batch(instance_, ptrs.data(), ptrs.size(), call.handle());
    }

private:
    const host::component_info& info_;
    host::scope_context scope_;
    void* instance_ = nullptr;
    ferry_status status_ = FERRY_FATAL;
    std::string error_;
};

// Records the webhooks the emulator delivers; answers 200.
class webhook_receiver {
public:
    struct delivery {
        std::vector<std::pair<std::string, std::string>> headers;
        std::string body;
        std::string header(const std::string& name) const {
            for (const auto& [n, v] : headers) {
                if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
            }
            return "";
        }
    };

    webhook_receiver()
        : server_(net::http_server_options{"127.0.0.1", 0}, net::immediate([this](const net::http_request_in& r) {
              std::lock_guard lock(mutex_);
              received_.push_back({r.headers, r.body});
              return net::http_reply{200, "application/json", "{}", {}};
          })) {
        server_.start();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/hook"; }
    std::vector<delivery> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    // Waits for a delivery of `topic`; returns it, or nothing after the timeout.
    std::optional<delivery> wait_for(const std::string& topic, size_t nth = 0) const {
        std::optional<delivery> found;
        eventually([&] {
            size_t seen = 0;
            for (const auto& d : received()) {
                if (d.header("X-Shopify-Topic") == topic && seen++ == nth) {
                    found = d;
                    return true;
                }
            }
            return false;
        });
        return found;
    }

private:
    mutable std::mutex mutex_;
    std::vector<delivery> received_;
    net::http_server server_;
};

// The emulator in-process, seeded, and the test's own ways to look at it and drive it.
class shopify_emulator {
public:
    // Two locations, a handful of SKUs, one customer: enough for every stream.
    static std::string seed() {
        return R"({"shopify": {
            "locations": [{"name": "Main Warehouse"}, {"name": "Outlet"}],
            "products": [
                {"title": "Anchor Rope", "sku": "ROPE-10", "price": "12.50", "stock": {"Main Warehouse": 40, "Outlet": 5}},
                {"title": "Brass Cleat", "sku": "CLEAT-2", "price": "7.00", "stock": {"Main Warehouse": 12}},
                {"title": "Canvas Bag", "variants": [
                    {"sku": "BAG-S", "title": "Small", "price": "20.00", "stock": {"Main Warehouse": 3}},
                    {"sku": "BAG-L", "title": "Large", "price": "25.00", "stock": {"Main Warehouse": 8}}]}
            ],
            "customers": [{"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}]
        }})";
    }
    static std::string sandbox_token();
    static std::string sandbox_webhook_secret();

    void start_emulator() {
        box_.add(sandbox::shopify::make_service(box_.timers()));
        box_.seed(json::parse(seed()));
        box_.start();
        base_ = box_.url("shopify");
    }

    // GraphQL straight to the emulator, as the test's own eyes.
    json::object graphql(const std::string& query, json::object variables = {}, const std::string& version = "2025-10") {
        host::http_call call;
        call.method = "POST";
        call.url = base_ + "/admin/api/" + version + "/graphql.json";
        call.headers = {{"X-Shopify-Access-Token", sandbox_token()}, {"Content-Type", "application/json"}};
        call.body = json::serialize(json::object{{"query", query}, {"variables", std::move(variables)}});
        host::http_result r = client_.send("test", call);
        EXPECT_EQ(r.status, 200) << r.body;
        json::value v = json::parse(r.body.empty() ? "{}" : r.body);
        if (v.as_object().contains("errors")) ADD_FAILURE() << r.body;
        return v.as_object().contains("data") && v.at("data").is_object() ? v.at("data").as_object() : json::object();
    }

    // One of the emulator's control routes.
    json::value control(const std::string& path, const json::value& body, const std::string& method = "POST") {
        host::http_call call;
        call.method = method;
        call.url = base_ + path;
        call.headers = {{"Content-Type", "application/json"}};
        if (method != "GET") call.body = json::serialize(body);
        host::http_result r = client_.send("test", call);
        EXPECT_LT(r.status, 300) << path << ": " << r.body;
        json::error_code ec;
        json::value v = json::parse(r.body, ec);
        return ec ? json::value(nullptr) : v;
    }

    int64_t available(const std::string& sku, const std::string& location) {
        json::object data = graphql(R"(query($q: String!) { productVariants(first: 1, query: $q) { nodes {
            inventoryItem { inventoryLevels(first: 10) { nodes { location { name } quantities(names: ["available"]) { quantity } } } } } } })",
                                    json::object{{"q", "sku:" + sku}});
        for (const auto& level : data.at("productVariants").at("nodes").as_array().at(0).at("inventoryItem").at("inventoryLevels").at("nodes").as_array()) {
            if (level.at("location").at("name").as_string() == location) return level.at("quantities").as_array().at(0).at("quantity").as_int64();
        }
        return -1;
    }

    void subscribe(const std::string& topic_enum, const std::string& url) {
        json::object data = graphql(R"(mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
            webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id } userErrors { field message } } })",
                                    json::object{{"topic", topic_enum}, {"sub", json::object{{"callbackUrl", url}, {"format", "JSON"}}}});
        EXPECT_TRUE(data.contains("webhookSubscriptionCreate")) << json::serialize(data);
    }

    // The order as the emulator holds it (REST shape plus tag_list, metafields).
    json::object order_readback(const std::string& name) {
        return control("/_sandbox/orders/" + name.substr(name[0] == '#' ? 1 : 0), nullptr, "GET").at("order").as_object();
    }

    sandbox::sandbox box_;
    std::string base_;
    host::http_client client_;
};

// The emulator plus the shopify plugin loaded through the host's registry, with the engine's
// services (HTTP with the rate governor, in-memory state).
class shopify_world : public ::testing::Test, public shopify_emulator {
protected:
    void SetUp() override {
        start_emulator();
        ASSERT_TRUE(registry_.load_file(std::filesystem::path(FERRY_PLUGIN_DIR) / "shopify.so"))
            << (registry_.failures().empty() ? "" : registry_.failures().back().line());
    }

    std::string connection_config(const std::string& version = "2025-10", const std::string& token = sandbox_token()) const {
        return json::serialize(json::object{{"shop", base_}, {"api_version", version}, {"access_token", token},
                                            {"webhook_secret", sandbox_webhook_secret()}});
    }

    std::unique_ptr<plugin_component> make(const std::string& component, const std::string& config = "{}",
                                           const std::string& version = "2025-10") {
        const host::component_info* info = registry_.find_component("shopify." + component);
        EXPECT_TRUE(info) << "no component shopify." << component;
        if (!info) return nullptr;
        auto c = std::make_unique<plugin_component>(*info, services_, "shop", connection_config(version), config);
        EXPECT_TRUE(c->ok()) << c->create_error();
        return c;
    }

    static host::owned_record record(const std::string& stream, const std::string& key, const json::value& payload) {
        host::owned_record r;
        r.stream = stream;
        r.key = key;
        r.version = 1;
        r.payload = json::serialize(payload);
        return r;
    }

    static json::object payload_of(const host::call_context& call, size_t i = 0) {
        return json::parse(call.records().at(i).payload).as_object();
    }

    host::metrics_registry metrics_;
    host::engine_services services_{metrics_};
    host::plugin_registry registry_{services_};
    host::call_context call_;
};

}  // namespace ferry::test
