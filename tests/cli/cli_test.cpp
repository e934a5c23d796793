// The ferry executable as a user runs it: exit codes and what it prints.
#include "test_support.hpp"

#include <boost/json.hpp>
#include <map>
#include <sstream>
#include <gtest/gtest.h>

using ferry::test::run_ferry;
using ferry::test::temp_dir;
namespace json = boost::json;

namespace {

const std::string broken_dir = FERRY_BROKEN_PLUGIN_DIR;
const std::string testkit_dir = FERRY_TEST_PLUGIN_DIR;

TEST(cli, prints_its_version_and_the_abi) {
    auto result = run_ferry("--version");
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out, "ferry 0.1.0 (plugin ABI 1.0)\n");
}

TEST(cli, an_unknown_command_is_a_usage_error) {
    auto result = run_ferry("frobnicate");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("frobnicate"), std::string::npos);
}

TEST(cli, plugins_json_lists_plugins_schemas_and_every_failure) {
    auto result = run_ferry("plugins --json --plugin-path " + broken_dir);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json::object doc = json::parse(result.out).as_object();
    EXPECT_EQ(doc.at("abi"), "1.0");

    std::vector<std::string> names;
    for (const auto& p : doc.at("plugins").as_array()) names.emplace_back(p.at("name").as_string());
    // The example plugin comes from the build tree's plugins/ folder, searched by default.
    EXPECT_NE(std::find(names.begin(), names.end(), "stamp"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "twin"), names.end());
    for (const auto& p : doc.at("plugins").as_array()) {
        if (p.at("name") != "stamp") continue;
        const json::object& component = p.at("components").as_array().at(0).as_object();
        EXPECT_EQ(component.at("name"), "stamp.fields");
        EXPECT_EQ(component.at("kind"), "transform");
        EXPECT_EQ(component.at("config_schema").at("required").as_array().at(0), "fields");
    }

    const json::array& failures = doc.at("failures").as_array();
    EXPECT_EQ(failures.size(), 11u);
    std::map<std::string, std::string> reasons;
    for (const auto& f : failures) {
        std::string path(f.at("path").as_string());
        reasons[path.substr(path.rfind('/') + 1)] = std::string(f.at("reason").as_string());
    }
    EXPECT_EQ(reasons.at("wrong_major.so"), "built for ABI major 2, this host speaks ABI 1.0");
    EXPECT_EQ(reasons.at("init_fails.so"), "init failed: licence server unreachable");
    EXPECT_EQ(reasons.count("twin_b.so"), 1u);
}

TEST(cli, plugins_text_names_each_failed_file_with_its_reason) {
    auto result = run_ferry("plugins --plugin-path " + broken_dir);
    ASSERT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("stamp.fields  transform  streams: *"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("fields: object, required - field name to value, set on every payload"), std::string::npos);
    EXPECT_NE(result.out.find("Not loaded:\n"), std::string::npos);
    EXPECT_NE(result.out.find(broken_dir + "/no_entry.so: no entry symbol ferry_plugin_entry\n"), std::string::npos);
}

TEST(cli, validate_exits_0_on_a_valid_manifest) {
    temp_dir dir;
    auto file = dir.write("m.json", R"({"ferry": 1, "pipelines": {"p": {
        "source": {"connection": "s", "stream": "order", "poll": "1m"},
        "sink": {"connection": "s", "stream": "order", "component": "memory"}}},
        "connections": {"s": {"plugin": "testkit", "config": {"endpoint": "http://x", "token": "${env:T}"}}}})");
    auto result = run_ferry("validate " + file.string() + " --plugin-path " + testkit_dir);
    // T is unset: that alone is a problem.
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("environment variable T is not set"), std::string::npos) << result.err;

    ::setenv("T", "long-enough-token", 1);
    auto ok = run_ferry("validate " + file.string() + " --plugin-path " + testkit_dir);
    ::unsetenv("T");
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.out, file.string() + ": valid (1 connections, 1 pipelines)\n");
}

TEST(cli, validate_prints_every_problem_and_exits_2) {
    temp_dir dir;
    auto file = dir.write("m.json", "{\n  \"ferry\": 1,\n  \"pipelnes\": {},\n  \"store\": 5,\n}\n");
    auto result = run_ferry("validate " + file.string());
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(file.string() + ":1:1: /: missing required key \"pipelines\""), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(file.string() + ":3:3: /pipelnes: unknown key \"pipelnes\" (hint: did you mean \"pipelines\"?)"),
              std::string::npos) << result.err;
    EXPECT_NE(result.err.find(file.string() + ":4:12: /store: expected string, found integer"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(file.string() + ": 3 problems\n"), std::string::npos) << result.err;
}

TEST(cli, transform_runs_a_component_on_a_record) {
    auto result = run_ferry("transform testkit.split --config '{\"copies\": 2}' --stream order --key k --plugin-path " + testkit_dir,
                            R"({"id": 1})");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out,
              "{\"stream\":\"order\",\"key\":\"k#0\",\"version\":1,\"payload\":{\"id\":1}}\n"
              "{\"stream\":\"order\",\"key\":\"k#1\",\"version\":1,\"payload\":{\"id\":1}}\n");

    auto bad_config = run_ferry("transform testkit.split --config '{\"copies\": -1}' --plugin-path " + testkit_dir, "{}");
    EXPECT_EQ(bad_config.exit_code, 2);
    EXPECT_NE(bad_config.err.find("--config /copies: must be at least 0"), std::string::npos) << bad_config.err;

    auto rejected = run_ferry("transform testkit.fail --config '{\"status\": \"reject\", \"message\": \"no SKU\"}' --plugin-path " +
                                  testkit_dir, "{}");
    EXPECT_EQ(rejected.exit_code, 1);
    EXPECT_NE(rejected.err.find("reject: no SKU"), std::string::npos);

    auto not_transform = run_ferry("transform testkit.memory --plugin-path " + testkit_dir, "{}");
    EXPECT_EQ(not_transform.exit_code, 2);
    EXPECT_NE(not_transform.err.find("is a sink, not a transform"), std::string::npos);
}

}  // namespace

namespace {

TEST(cli, logs_one_json_object_per_line_on_request) {
    temp_dir dir;
    auto file = dir.write("m.json", R"({"ferry": 1, "pipelines": {}})");
    auto result = run_ferry("--log-format json validate " + file.string() + " --plugin-path " + broken_dir);
    EXPECT_EQ(result.exit_code, 2);
    size_t warnings = 0;
    std::istringstream lines(result.err);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] != '{') continue;  // the problem report itself is plain text
        json::object entry = json::parse(line).as_object();
        EXPECT_EQ(entry.at("level"), "warning");
        EXPECT_TRUE(entry.contains("time"));
        EXPECT_EQ(std::string(entry.at("msg").as_string()).rfind("plugin not loaded: " + broken_dir, 0), 0u);
        ++warnings;
    }
    EXPECT_EQ(warnings, 11u) << result.err;
}

}  // namespace
