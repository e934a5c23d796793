// Cost of one transform hop through the C ABI: the host calls a plugin's transform hook, the
// plugin (written with the C++ SDK) emits its output, the host copies it. Compared with the same
// transform as a plain C++ function that makes the same copy, and with the copy alone.
#include "plugin/instance.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

using namespace ferry::host;

namespace {

owned_record make_record(size_t payload_bytes) {
    owned_record r;
    r.stream = "order";
    r.key = "shopify:gid://shopify/Order/820982911946154508";
    r.version = 1700000000000;
    r.meta = R"({"topic":"orders/create","trace":"4bf92f3577b34da6"})";
    r.payload = R"({"note":")";
    r.payload.append(payload_bytes - r.payload.size() - 2, 'x');
    r.payload += "\"}";
    return r;
}

// The plain C++ equivalent of testkit.echo: the output record is a copy of the input.
__attribute__((noinline)) void echo_direct(const owned_record& in, owned_record& out) {
    out.stream = in.stream;
    out.key = in.key;
    out.version = in.version;
    out.payload = in.payload;
    out.meta = in.meta;
    out.event_id = in.event_id;
}

void abi_hop(benchmark::State& state) {
    host_services services;
    plugin_registry registry(services);
    if (!registry.load_file(std::filesystem::path(FERRY_TEST_PLUGIN_DIR) / "testkit.so")) {
        state.SkipWithError("testkit.so did not load; build the tests first");
        return;
    }
    std::string error;
    auto echo = component_instance::create(*registry.find_component("testkit.echo"), services, {}, error);
    owned_record in = make_record(static_cast<size_t>(state.range(0)));
    ferry_record view = in.view();
    call_context call;
    for (auto _ : state) {
        ferry_status status = echo->transform(view, call);
        benchmark::DoNotOptimize(status);
        benchmark::DoNotOptimize(call.records()[0].payload.data());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}

void direct_call(benchmark::State& state) {
    owned_record in = make_record(static_cast<size_t>(state.range(0)));
    owned_record out;
    for (auto _ : state) {
        echo_direct(in, out);
        benchmark::DoNotOptimize(out.payload.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}

void copy_only(benchmark::State& state) {
    owned_record in = make_record(static_cast<size_t>(state.range(0)));
    std::string out;
    for (auto _ : state) {
        out = in.payload;
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}

}  // namespace

BENCHMARK(copy_only)->Arg(1024)->Arg(10240);
BENCHMARK(direct_call)->Arg(1024)->Arg(10240);
BENCHMARK(abi_hop)->Arg(1024)->Arg(10240);

BENCHMARK_MAIN();
