#include "plugin/registry.hpp"
#include "services/host_api.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace ferry::host;

namespace {

const fs::path broken_dir = FERRY_BROKEN_PLUGIN_DIR;
const fs::path testkit_path = fs::path(FERRY_TEST_PLUGIN_DIR) / "testkit.so";

struct refusal_case {
    const char* file;
    const char* reason;
};
void PrintTo(const refusal_case& c, std::ostream* out) { *out << c.file; }

class broken_plugin : public ::testing::TestWithParam<refusal_case> {};

TEST_P(broken_plugin, is_refused_with_its_reason) {
    host_services services;
    plugin_registry registry(services);
    fs::path file = broken_dir / GetParam().file;
    ASSERT_TRUE(fs::exists(file)) << file;
    EXPECT_FALSE(registry.load_file(file));
    EXPECT_TRUE(registry.plugins().empty());
    ASSERT_EQ(registry.failures().size(), 1u);
    const load_failure& failure = registry.failures().front();
    EXPECT_EQ(failure.path, file);
    EXPECT_EQ(failure.reason.find('\n'), std::string::npos) << "one line";
    EXPECT_NE(failure.reason.find(GetParam().reason), std::string::npos) << failure.reason;
    EXPECT_EQ(failure.line().rfind(file.string() + ": ", 0), 0u) << failure.line();
}

INSTANTIATE_TEST_SUITE_P(
    every_rule, broken_plugin,
    ::testing::Values(
        refusal_case{"not_a_library.so", "not a loadable shared library"},
        refusal_case{"no_entry.so", "no entry symbol ferry_plugin_entry"},
        refusal_case{"wrong_major.so", "built for ABI major 2, this host speaks ABI 1.0"},
        refusal_case{"newer_minor.so", "needs ABI 1.7 or newer, this host speaks ABI 1.0"},
        refusal_case{"init_fails.so", "init failed: licence server unreachable"},
        refusal_case{"duplicate_component.so", "duplicate component name 'duplicate_component.same'"},
        refusal_case{"small_struct.so", "malformed descriptor: ferry_component struct_size 16 is smaller than the ABI 1.0 size"},
        refusal_case{"missing_hook.so", "malformed descriptor: sink component 'orders' lacks the write hook"},
        refusal_case{"refuses_host.so", "the plugin refused to run on host ABI 1.0"},
        refusal_case{"bad_schema.so", "config schema of component 'noop' is not valid JSON"}),
    [](const auto& info) { return fs::path(info.param.file).stem().string(); });

TEST(plugin_registry, refuses_a_second_plugin_of_the_same_name) {
    host_services services;
    plugin_registry registry(services);
    EXPECT_TRUE(registry.load_file(broken_dir / "twin_a.so"));
    EXPECT_FALSE(registry.load_file(broken_dir / "twin_b.so"));
    ASSERT_EQ(registry.failures().size(), 1u);
    EXPECT_EQ(registry.failures()[0].reason,
              "duplicate plugin name 'twin', already loaded from " + (broken_dir / "twin_a.so").string());
    ASSERT_EQ(registry.plugins().size(), 1u);
    EXPECT_EQ(registry.plugins()[0].path, broken_dir / "twin_a.so");
}

TEST(plugin_registry, scanning_a_directory_keeps_the_good_and_reports_each_bad_one) {
    host_services services;
    plugin_registry registry(services);
    registry.load_path(broken_dir);
    ASSERT_EQ(registry.plugins().size(), 1u);
    EXPECT_EQ(registry.plugins()[0].name, "twin");
    EXPECT_EQ(registry.failures().size(), 11u);
    for (const auto& f : registry.failures()) EXPECT_EQ(f.path.parent_path(), broken_dir);
}

TEST(plugin_registry, a_file_found_twice_on_the_path_loads_once) {
    host_services services;
    plugin_registry registry(services);
    EXPECT_TRUE(registry.load_file(testkit_path));
    EXPECT_TRUE(registry.load_file(testkit_path.parent_path() / "." / "testkit.so"));
    EXPECT_EQ(registry.plugins().size(), 1u);
    EXPECT_TRUE(registry.failures().empty());
}

TEST(plugin_registry, a_missing_path_is_reported) {
    host_services services;
    plugin_registry registry(services);
    registry.load_path("/nonexistent/ferry/plugins");
    ASSERT_EQ(registry.failures().size(), 1u);
    EXPECT_EQ(registry.failures()[0].reason, "plugin path does not exist");
}

TEST(plugin_registry, registers_components_with_their_metadata) {
    host_services services;
    plugin_registry registry(services);
    ASSERT_TRUE(registry.load_file(testkit_path)) << registry.failures().at(0).line();
    const plugin_info* plugin = registry.find_plugin("testkit");
    ASSERT_NE(plugin, nullptr);
    EXPECT_EQ(plugin->version, "1.0.0");
    EXPECT_EQ(plugin->abi_major, 1u);
    EXPECT_EQ(plugin->abi_minor_min, 0u);
    EXPECT_NE(plugin->connection_schema.find("\"secret\": true"), std::string::npos);
    EXPECT_EQ(plugin->components.size(), 9u);

    const component_info* sink = registry.find_component("testkit.memory");
    ASSERT_NE(sink, nullptr);
    EXPECT_EQ(sink->kind, FERRY_KIND_SINK);
    EXPECT_EQ(capability_names(sink->capabilities), std::vector<std::string>{"lookup"});
    EXPECT_TRUE(sink->handles_stream("customer"));
    EXPECT_FALSE(sink->handles_stream("product"));

    const component_info* source = registry.find_component("testkit.ticker");
    ASSERT_NE(source, nullptr);
    EXPECT_EQ(source->kind, FERRY_KIND_SOURCE);
    EXPECT_EQ(capability_names(source->capabilities), (std::vector<std::string>{"webhook", "poll"}));
    EXPECT_NE(source->hooks.poll, nullptr);
    EXPECT_NE(source->hooks.webhook, nullptr);
    EXPECT_EQ(source->hooks.transform, nullptr);

    const component_info* echo = registry.find_component("testkit.echo");
    ASSERT_NE(echo, nullptr);
    EXPECT_TRUE(echo->handles_stream("anything"));
    EXPECT_TRUE(echo->config_schema.empty());
    EXPECT_EQ(registry.find_component("testkit.nope"), nullptr);
    EXPECT_EQ(registry.find_component("nope.echo"), nullptr);
}

TEST(plugin_search_path, reads_FERRY_PLUGIN_PATH_after_the_manifest_and_command_line) {
    ::setenv("FERRY_PLUGIN_PATH", "/env/one::/env/two", 1);
    auto path = plugin_search_path({"/manifest"}, {"/cli"});
    ::unsetenv("FERRY_PLUGIN_PATH");
    ASSERT_GE(path.size(), 4u);
    EXPECT_EQ(path[0], "/manifest");
    EXPECT_EQ(path[1], "/cli");
    EXPECT_EQ(path[2], "/env/one");
    EXPECT_EQ(path[3], "/env/two");
}

}  // namespace
