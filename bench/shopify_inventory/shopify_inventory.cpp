// Pushes N SKUs at 2 locations (default 10,000 x 2) through the shopify plugin's inventory sink
// (write_batch, 250 records a call) into the Shopify emulator at the standard plan's GraphQL limits
// (bucket 2000 points, 100 restored per second), with the host's rate governor in between. Prints
// the wall time, the least time the bucket arithmetic allows for the points the run spent, and the
// THROTTLED answers. Cold start: the plugin knows no SKU, location or quantity beforehand.
//
//   build/bench/shopify_inventory [--skus N] [--workers W]
#include "common/sandbox.hpp"
#include "engine/engine.hpp"
#include "engine/metrics.hpp"
#include "http/client.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"
#include "shopify/shopify_service.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
using namespace ferry;

namespace {

json::value control(host::http_client& client, const std::string& url, const std::string& method, const json::value& body) {
    host::http_call call;
    call.method = method;
    call.url = url;
    call.headers = {{"Content-Type", "application/json"}};
    if (method != "GET") call.body = json::serialize(body);
    host::http_result r = client.send("bench", call);
    if (r.status >= 300 || r.status == 0) {
        std::fprintf(stderr, "%s %s: %d %s %s\n", method.c_str(), url.c_str(), r.status, r.error.c_str(), r.body.c_str());
        std::exit(1);
    }
    return json::parse(r.body);
}

std::string sku_of(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "SKU-%05d", i);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    int skus = 10000, workers = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--skus")) skus = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--workers")) workers = std::atoi(argv[i + 1]);
    }
    const char* locations[] = {"Main Warehouse", "Outlet"};

    // The shop: N single-variant products stocked at both locations.
    sandbox::sandbox box;
    box.add(sandbox::shopify::make_service(box.timers()));
    json::array products;
    for (int i = 0; i < skus; ++i) {
        products.push_back(json::object{{"title", "Item " + std::to_string(i)}, {"sku", sku_of(i)}, {"price", "9.99"},
                                        {"stock", json::object{{locations[0], 10}, {locations[1], 10}}}});
    }
    box.seed(json::object{{"shopify", json::object{{"locations", json::array{json::object{{"name", locations[0]}}, json::object{{"name", locations[1]}}}},
                                                  {"products", std::move(products)}}}});
    box.start();
    const std::string base = box.url("shopify");
    host::http_client client;
    json::value settings = control(client, base + "/_sandbox/settings", "POST", json::object{{"plan", "standard"}});
    double capacity = settings.at("graphql_bucket_size").to_number<double>();
    double restore = settings.at("graphql_restore_rate").to_number<double>();

    host::metrics_registry metrics;
    host::engine_services services(metrics);  // the HTTP service with the rate governor
    host::plugin_registry registry(services);
    if (!registry.load_file(std::filesystem::path(FERRY_PLUGIN_DIR) / "shopify.so")) {
        std::fprintf(stderr, "cannot load shopify.so: %s\n", registry.failures().back().line().c_str());
        return 1;
    }
    const host::component_info* info = registry.find_component("shopify.inventory");
    host::scope_context scope;
    scope.services = &services;
    scope.plugin = "shopify";
    scope.component = "inventory";
    scope.connection = "shop";
    scope.pipeline = "bench";
    std::string connection = json::serialize(json::object{{"shop", base}, {"api_version", "2025-10"}, {"access_token", "shpat_sandbox"}});
    ferry_create_args args{};
    args.struct_size = sizeof(args);
    args.scope = scope.handle();
    args.connection = host::c_str(scope.connection);
    args.connection_config = host::c_str(connection);
    args.config = host::c_str("{}");
    args.pipeline = host::c_str(scope.pipeline);
    host::call_context create_call(host::call_kind::create);
    void* instance = nullptr;
    if (info->hooks.create(&args, create_call.handle(), &instance) != FERRY_OK) {
        std::fprintf(stderr, "create failed: %s\n", create_call.error().c_str());
        return 1;
    }

    auto counter_of = [&](const json::value& counters, const char* name) {
        const json::value* v = counters.as_object().if_contains(name);
        return v ? v->to_number<double>() : 0.0;
    };
    // Pass 1 starts cold (no SKU, location or quantity known); pass 2 changes every level again
    // with everything cached, so it costs only the mutations. Each starts with a full bucket.
    for (int pass = 1; pass <= 2; ++pass) {
        if (pass == 2) std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(capacity / restore * 1000) + 500));
        control(client, base + "/_sandbox/requests", "DELETE", nullptr);
        std::vector<host::owned_record> records;
        for (int i = 0; i < skus; ++i) {
            for (int l = 0; l < 2; ++l) {
                host::owned_record r;
                r.stream = "inventory_level";
                r.key = "erp:" + sku_of(i) + "@" + locations[l];
                r.version = pass;
                r.payload = json::serialize(json::object{{"sku", sku_of(i)}, {"location", locations[l]}, {"available", 20 * pass + (i + l) % 50}});
                records.push_back(std::move(r));
            }
        }
        const size_t batch_size = 250;
        std::atomic<size_t> next{0};
        std::atomic<int> throttled{0}, retried{0}, rejected{0};
        auto started = std::chrono::steady_clock::now();
        std::vector<std::thread> threads;
        for (int w = 0; w < workers; ++w) {
            threads.emplace_back([&] {
                host::call_context call;
                for (size_t at = next.fetch_add(batch_size); at < records.size(); at = next.fetch_add(batch_size)) {
                    size_t n = std::min(batch_size, records.size() - at);
                    std::vector<ferry_record> views;
                    std::vector<std::string> keys;
                    for (size_t i = 0; i < n; ++i) {
                        views.push_back(records[at + i].view());
                        keys.push_back("bench:" + std::to_string(pass) + ":" + std::to_string(at + i));
                    }
                    std::vector<ferry_delivery> ds(n);
                    std::vector<const ferry_delivery*> ptrs;
                    for (size_t i = 0; i < n; ++i) {
                        ds[i] = ferry_delivery{sizeof(ferry_delivery), &views[i], host::c_str(keys[i]), 1};
                        ptrs.push_back(&ds[i]);
                    }
                    for (;;) {
                        call.reset(host::call_kind::write_batch, nullptr, n);
                        ferry_status s = info->hooks.write_batch(instance, ptrs.data(), n, call.handle());
                        if (s == FERRY_THROTTLED) {
                            ++throttled;
                            std::this_thread::sleep_for(std::chrono::milliseconds(call.delay_ms()));
                            continue;
                        }
                        if (s == FERRY_RETRY) {
                            ++retried;
                            continue;
                        }
                        if (s != FERRY_OK) {
                            std::fprintf(stderr, "batch at %zu: status %d: %s\n", at, int(s), call.error().c_str());
                            std::exit(1);
                        }
                        for (const auto& item : call.items()) rejected += item.status == FERRY_REJECT;
                        break;
                    }
                }
            });
        }
        for (auto& t : threads) t.join();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        json::value counters = control(client, base + "/_sandbox/requests", "GET", nullptr);
        double points = counter_of(counters, "points_spent");
        // The bucket starts full and refills at the restore rate: spending P points takes at least
        // (P - capacity) / restore seconds.
        double minimum = std::max(0.0, (points - capacity) / restore);
        std::printf("pass %d (%s)\n", pass, pass == 1 ? "cold: SKUs and locations resolved" : "warm: everything cached");
        std::printf("  levels pushed            %zu (%d SKUs x 2 locations), %d workers\n", records.size(), skus, workers);
        std::printf("  GraphQL requests         %.0f (inventorySetQuantities %.0f, productVariants %.0f, locations %.0f)\n",
                    counter_of(counters, "graphql_requests"), counter_of(counters, "mutation:inventorySetQuantities"),
                    counter_of(counters, "query:productVariants"), counter_of(counters, "query:locations"));
        std::printf("  points spent             %.0f (bucket %.0f, restore %.0f/s)\n", points, capacity, restore);
        std::printf("  wall time                %.1f s\n", seconds);
        std::printf("  bucket minimum           %.1f s\n", minimum);
        if (minimum > 0) std::printf("  over the minimum         %.1f %%\n", (seconds / minimum - 1) * 100);
        std::printf("  levels per second        %.0f\n", double(records.size()) / seconds);
        std::printf("  THROTTLED answers        %.0f (plugin saw %d throttled, %d retried, %d rejected items)\n",
                    counter_of(counters, "graphql_throttled"), throttled.load(), retried.load(), rejected.load());
        // Spot check: the last SKU holds its new quantities.
        json::value levels = control(client, base + "/_sandbox/inventory?sku=" + sku_of(skus - 1), "GET", nullptr);
        for (const auto& l : levels.at("levels").as_array()) {
            std::printf("  check %s @ %s = %lld\n", sku_of(skus - 1).c_str(), std::string(l.at("location").as_string()).c_str(),
                        static_cast<long long>(l.at("quantities").at("available").as_int64()));
        }
    }
    info->hooks.destroy(instance);

    box.stop();
    return 0;
}
