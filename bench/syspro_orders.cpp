// Sales orders per second through the SYSPRO plugin into the SYSPRO emulator, with 1, 2 and 4
// sessions, and what ferry itself spends per order beyond the HTTP calls. See README.md.
#include "engine/engine.hpp"
#include "engine/metrics.hpp"
#include "plugin/instance.hpp"
#include "plugin/registry.hpp"
#include "services/logging.hpp"

#include "common/sandbox.hpp"
#include "syspro/syspro_service.hpp"

#include <boost/json.hpp>
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace {

namespace json = boost::json;
using namespace ferry;
using clock_type = std::chrono::steady_clock;

// The host's services, timing every HTTP call the plugin makes.
class timed_services : public host::engine_services {
public:
    using host::engine_services::engine_services;
    ferry_status http_send(host::scope_context& scope, const ferry_http_request& request,
                           const ferry_http_response** response) override {
        auto start = clock_type::now();
        ferry_status status = host::engine_services::http_send(scope, request, response);
        http_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start).count();
        ++calls;
        return status;
    }
    std::atomic<int64_t> http_ns{0};
    std::atomic<int64_t> calls{0};
};

void post_json(const std::string& url, const std::string& body) {
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
    curl_easy_perform(curl);
    curl_easy_cleanup(curl);
}

struct result {
    double orders_per_second = 0;
    double overhead_us = 0;  // ferry's own time per order, outside HTTP calls
    double http_calls_per_order = 0;
};

result run(size_t sessions, int latency_ms, int orders) {
    sandbox::sandbox box;
    box.add(sandbox::syspro::make_service(box.timers()));
    json::array stock;
    for (int i = 0; i < 50; ++i) {
        stock.push_back(json::object{{"stock_code", "SKU-" + std::to_string(i)},
                                     {"warehouses", {{"WEBS", {{"on_hand", 1000000}}}}}});
    }
    // Several sessions of one operator need a site that allows them (reference section 3).
    box.seed(json::object{{"syspro", {{"settings", {{"licence_seats", sessions}, {"single_session_per_operator", false}}},
                                      {"company", {{"id", "EDU1"}}},
                                      {"operators", json::array{json::object{{"operator", "WEB"}, {"password", "pw"}}}},
                                      {"warehouses", json::array{json::object{{"warehouse", "WEBS"}}}},
                                      {"stock", stock},
                                      {"customers", json::array{json::object{{"customer", "CASH01"}}}}}}});
    box.start();
    std::string base = box.url("syspro");
    if (latency_ms) post_json(base + "/_sandbox/faults", json::serialize(json::object{{"latency_ms", latency_ms}}));

    host::metrics_registry metrics;
    timed_services services(metrics);
    host::plugin_registry registry(services);
    if (!registry.load_file(std::filesystem::path(FERRY_PLUGIN_DIR) / "syspro.so")) std::abort();
    host::instance_settings settings;
    settings.connection = "erp";
    settings.connection_config = json::serialize(json::object{
        {"base_url", base}, {"operator", "WEB"}, {"operator_password", "pw"}, {"company", "EDU1"}, {"sessions", sessions}});
    settings.config = json::serialize(json::object{{"warehouse", "WEBS"}, {"customer", {{"policy", "fixed"}, {"code", "CASH01"}}}});
    std::string error;
    auto sink = host::component_instance::create(*registry.find_component("syspro.order"), services, settings, error);
    if (!sink) {
        std::fprintf(stderr, "%s\n", error.c_str());
        std::abort();
    }

    std::atomic<int> next{0};
    std::atomic<int64_t> write_ns{0};
    std::atomic<int> failed{0};
    auto worker = [&] {
        host::call_context call;
        for (int n = next++; n < orders; n = next++) {
            json::array lines;
            for (int l = 0; l < 3; ++l) {
                lines.push_back(json::object{{"sku", "SKU-" + std::to_string((n + l * 7) % 50)}, {"quantity", 1 + l}, {"unit_price", "19.99"}});
            }
            json::object order{{"id", "gid://shopify/Order/" + std::to_string(n)}, {"number", "#B" + std::to_string(n)},
                               {"created_at", "2026-11-23T10:00:00Z"}, {"email", "buyer@example.com"},
                               {"shipping_address", {{"address1", "1 Main Street"}, {"city", "Springfield"}, {"zip", "12345"}}},
                               {"lines", lines},
                               {"shipping_lines", json::array{json::object{{"title", "Standard"}, {"price", "5.00"}}}}};
            host::owned_record record;
            record.stream = "order";
            record.key = "shopify:" + std::to_string(n);
            record.version = 1;
            record.payload = json::serialize(order);
            ferry_record view = record.view();
            std::string key = "bench/" + record.key;
            ferry_delivery d{};
            d.struct_size = sizeof d;
            d.record = &view;
            d.idempotency_key = {key.data(), key.size()};
            d.attempt = 1;
            auto start = clock_type::now();
            if (sink->write(d, call) != FERRY_OK && failed++ < 3) std::fprintf(stderr, "failed: %s\n", call.error().c_str());
            write_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start).count();
        }
    };
    auto start = clock_type::now();
    std::vector<std::thread> threads;
    for (size_t i = 0; i < sessions; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    if (failed) std::fprintf(stderr, "%d orders failed\n", failed.load());
    result r;
    r.orders_per_second = orders / seconds;
    r.overhead_us = double(write_ns - services.http_ns) / orders / 1000.0;
    r.http_calls_per_order = double(services.calls) / orders;
    sink.reset();  // logs the sessions off, outside the measurement
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    int orders = argc > 1 ? std::atoi(argv[1]) : 2000;
    host::setup_logging(host::log_format::text, "warn");
    std::printf("%-9s %-11s %12s %22s %16s\n", "sessions", "latency_ms", "orders/s", "ferry us/order (own)", "HTTP calls/order");
    for (int latency : {0, 20}) {
        for (size_t sessions : {1, 2, 4}) {
            int n = latency ? std::max(100, orders / 10) : orders;
            result r = run(sessions, latency, n);
            std::printf("%-9zu %-11d %12.0f %22.1f %16.2f\n", sessions, latency, r.orders_per_second, r.overhead_us,
                        r.http_calls_per_order);
            std::fflush(stdout);
        }
    }
}
