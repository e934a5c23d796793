#include "manifest/manifest.hpp"
#include "plugin/registry.hpp"
#include "services/host_api.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace ferry::host;
using ferry::test::temp_dir;

namespace {

const std::filesystem::path testkit_dir = FERRY_TEST_PLUGIN_DIR;

// A valid manifest using the testkit plugin; tests break one thing at a time.
const char* valid_manifest = R"({
  // comments and trailing commas are fine
  "ferry": 1,
  "store": "sqlite://ferry.db",
  "server": {"listen": "127.0.0.1:8088", "max_body_bytes": 65536},
  "connections": {
    "svc": {"plugin": "testkit", "config": {"endpoint": "https://svc.example", "token": "${env:FERRY_TEST_TOKEN}",
            "tags": ["a"],}},
  },
  "pipelines": {
    "orders": {
      "source": {"connection": "svc", "stream": "order", "poll": "5m", "webhooks": ["orders/create"], "config": {"count": 2}},
      "transforms": [{"use": "testkit.split", "config": {"copies": 2}}, {"use": "testkit.echo"}],
      "sink": {"connection": "svc", "stream": "order", "component": "memory"},
      "retry": {"max_attempts": 5, "max_age": "2h", "backoff": "500ms..1m"},
      "concurrency": 8
    }
  }
})";

class manifest_test : public ::testing::Test {
protected:
    void SetUp() override {
        ::unsetenv("FERRY_PLUGIN_PATH");
        ::setenv("FERRY_TEST_TOKEN", "tok-0123456789", 1);
    }

    manifest_result load(const std::string& text, std::vector<std::filesystem::path> plugin_paths = {testkit_dir}) {
        auto file = dir.write("ferry.json", text);
        return load_manifest(file, registry, plugin_paths);
    }

    // "line:column: message" of each problem, for compact assertions.
    static std::vector<std::string> summary(const manifest_result& result) {
        std::vector<std::string> out;
        for (const auto& d : result.problems) {
            out.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + " " + d.pointer + " " + d.message);
        }
        return out;
    }

    static std::string replace(std::string text, const std::string& from, const std::string& to) {
        size_t at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) text.replace(at, from.size(), to);
        return text;
    }

    temp_dir dir;
    host_services services;
    plugin_registry registry{services};
};

TEST_F(manifest_test, loads_a_valid_manifest_into_its_model) {
    manifest_result result = load(valid_manifest);
    ASSERT_TRUE(result.value) << (result.problems.empty() ? "" : result.problems[0].format());
    const manifest& m = *result.value;
    EXPECT_EQ(m.store, "sqlite://ferry.db");
    EXPECT_EQ(m.server.listen, "127.0.0.1:8088");
    EXPECT_EQ(m.server.max_body_bytes, 65536u);
    ASSERT_EQ(m.connections.size(), 1u);
    EXPECT_NE(m.connections[0].config_json.find("tok-0123456789"), std::string::npos);
    EXPECT_EQ(m.connections[0].redacted_config_json.find("tok-0123456789"), std::string::npos);
    EXPECT_NE(m.connections[0].redacted_config_json.find("\"token\":\"********\""), std::string::npos);
    ASSERT_EQ(m.pipelines.size(), 1u);
    const pipeline_spec& p = m.pipelines[0];
    EXPECT_EQ(p.source.component, "testkit.ticker");
    EXPECT_EQ(p.source.poll, std::chrono::minutes(5));
    EXPECT_EQ(p.source.webhooks, std::vector<std::string>{"orders/create"});
    EXPECT_EQ(p.source.config_json, R"({"count":2})");
    ASSERT_EQ(p.transforms.size(), 2u);
    EXPECT_EQ(p.transforms[0].component, "testkit.split");
    EXPECT_EQ(p.transforms[1].config_json, "{}");
    EXPECT_EQ(p.sink.component, "testkit.memory");
    EXPECT_EQ(p.retry.max_attempts, 5u);
    EXPECT_EQ(p.retry.max_age, std::chrono::hours(2));
    EXPECT_EQ(p.retry.backoff_initial, std::chrono::milliseconds(500));
    EXPECT_EQ(p.retry.backoff_max, std::chrono::minutes(1));
    EXPECT_EQ(p.concurrency, 8u);
}

TEST_F(manifest_test, a_syntax_error_has_its_position) {
    auto result = load("{\n  \"ferry\": 1,\n  \"pipelines\": {\n    \"a\": {\"source\" {}}\n  }\n}\n");
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].line, 4u);
    EXPECT_EQ(result.problems[0].column, 20u);
    EXPECT_NE(result.problems[0].message.find("not valid JSON"), std::string::npos);
}

TEST_F(manifest_test, reports_every_mistake_with_position_pointer_and_hint) {
    std::string text = valid_manifest;
    text = replace(text, "\"store\"", "\"stroe\"");                                    // unknown key
    text = replace(text, "\"https://svc.example\"", "\"ftp://svc.example\"");           // pattern
    text = replace(text, "\"tags\": [\"a\"]", "\"tags\": [\"a\", \"b\", \"c\", \"d\"]");  // maxItems
    text = replace(text, "{\"copies\": 2}", "{\"copies\": \"2\"}");                     // type
    text = replace(text, "\"sink\": {\"connection\": \"svc\"", "\"sink\": {\"connection\": \"svx\"");  // reference
    text = replace(text, "\"max_attempts\": 5", "\"max_attempts\": 0");                // minimum
    auto result = load(text);
    ASSERT_FALSE(result.value);
    auto lines = summary(result);
    std::vector<std::string> expected{
        "4:3 /stroe unknown key \"stroe\"",
        "7:57 /connections/svc/config/endpoint does not match the pattern ^https?://",
        "8:21 /connections/svc/config/tags takes at most 3 item(s)",
        "13:68 /pipelines/orders/transforms/0/config/copies expected integer, found string",
        "14:30 /pipelines/orders/sink/connection connection \"svx\" is not defined",
        "15:33 /pipelines/orders/retry/max_attempts must be at least 1",
    };
    EXPECT_EQ(lines, expected);
    auto hint_of = [&](const std::string& pointer) {
        for (const auto& d : result.problems) {
            if (d.pointer == pointer) return d.hint;
        }
        return std::string("(none)");
    };
    EXPECT_EQ(hint_of("/stroe"), "did you mean \"store\"?");
    EXPECT_EQ(hint_of("/pipelines/orders/sink/connection"), "did you mean \"svc\"?");
    EXPECT_EQ(hint_of("/connections/svc/config/endpoint"), "base URL of the service");
    EXPECT_EQ(result.problems[0].format().rfind((dir.path() / "ferry.json").string() + ":4:3: /stroe: ", 0), 0u);
}

TEST_F(manifest_test, requires_the_version_and_pipelines) {
    auto result = load(R"({"ferry": 2})");
    auto lines = summary(result);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "1:1 / missing required key \"pipelines\"");
    EXPECT_EQ(lines[1], "1:11 /ferry value must be 1");
}

TEST_F(manifest_test, a_missing_environment_variable_is_named) {
    ::unsetenv("FERRY_TEST_TOKEN");
    auto result = load(valid_manifest);
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].message, "environment variable FERRY_TEST_TOKEN is not set");
    EXPECT_EQ(result.problems[0].pointer, "/connections/svc/config/token");
    EXPECT_EQ(result.problems[0].line, 7u);
}

TEST_F(manifest_test, secrets_come_from_files_too) {
    dir.write("token.txt", "file-token-123\n");
    auto result = load(replace(valid_manifest, "${env:FERRY_TEST_TOKEN}", "${file:token.txt}"));
    ASSERT_TRUE(result.value) << result.problems[0].format();
    EXPECT_NE(result.value->connections[0].config_json.find("\"file-token-123\""), std::string::npos);

    auto missing = load(replace(valid_manifest, "${env:FERRY_TEST_TOKEN}", "${file:/nonexistent/secret}"));
    ASSERT_EQ(missing.problems.size(), 1u);
    EXPECT_EQ(missing.problems[0].message, "secret file /nonexistent/secret cannot be read");
}

TEST_F(manifest_test, refuses_secrets_written_in_the_manifest) {
    auto result = load(replace(valid_manifest, "${env:FERRY_TEST_TOKEN}", "plain-text-token"));
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].message, "a secret is written in the manifest");
    EXPECT_EQ(result.problems[0].pointer, "/connections/svc/config/token");
    EXPECT_EQ(result.problems[0].format().find("plain-text-token"), std::string::npos);
}

TEST_F(manifest_test, no_problem_reveals_a_secret_value) {
    ::setenv("FERRY_TEST_TOKEN", "short", 1);  // too short, and used where a number belongs
    std::string text = replace(valid_manifest, "\"tags\": [\"a\"]", "\"retries\": \"${env:FERRY_TEST_TOKEN}\"");
    auto result = load(text);
    ASSERT_EQ(result.problems.size(), 2u);
    for (const auto& d : result.problems) EXPECT_EQ(d.format().find("short"), std::string::npos) << d.format();
}

TEST_F(manifest_test, unknown_references_are_explained) {
    std::string text = valid_manifest;
    text = replace(text, "\"plugin\": \"testkit\"", "\"plugin\": \"testkti\"");
    auto result = load(text);
    ASSERT_FALSE(result.value);
    EXPECT_EQ(result.problems[0].message, "plugin \"testkti\" is not loaded");
    EXPECT_EQ(result.problems[0].hint, "did you mean \"testkit\"?");
}

TEST_F(manifest_test, a_plugin_that_failed_to_load_says_why) {
    auto result = load(replace(valid_manifest, "\"plugin\": \"testkit\"", "\"plugin\": \"init_fails\""),
                       {testkit_dir, FERRY_BROKEN_PLUGIN_DIR});
    ASSERT_FALSE(result.value);
    EXPECT_EQ(result.problems[0].message, "plugin \"init_fails\" is not loaded");
    EXPECT_NE(result.problems[0].hint.find("init failed: licence server unreachable"), std::string::npos);
}

TEST_F(manifest_test, checks_component_kinds_and_streams) {
    std::string text = valid_manifest;
    text = replace(text, "{\"use\": \"testkit.echo\"}", "{\"use\": \"testkit.memory\"}");
    text = replace(text, "\"sink\": {\"connection\": \"svc\", \"stream\": \"order\", \"component\": \"memory\"}",
                   "\"sink\": {\"connection\": \"svc\", \"stream\": \"product\"}");
    auto result = load(text);
    auto lines = summary(result);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "13:81 /pipelines/orders/transforms/1/use testkit.memory is a sink, not a transform");
    EXPECT_EQ(lines[1], "14:47 /pipelines/orders/sink/stream plugin \"testkit\" has no sink for stream \"product\"");
    EXPECT_EQ(result.problems[1].hint, "its sink streams: order, customer, order_result");
}

TEST_F(manifest_test, an_ambiguous_component_must_be_named) {
    auto result = load(replace(valid_manifest, ", \"component\": \"memory\"", ""));
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].message, "plugin \"testkit\" has several sink components for stream \"order\"");
    EXPECT_EQ(result.problems[0].hint, "name one with \"component\": \"memory\" or \"file\"");
}

TEST_F(manifest_test, a_pipeline_may_follow_another) {
    std::string follower = R"(,
    "writeback": {"source": {"follows": "orders", "stream": "order_result"},
                  "sink": {"connection": "svc", "stream": "order_result", "config": {"path": "/tmp/x"}}},
    "loop": {"source": {"follows": "loop", "connection": "svc"},
             "sink": {"connection": "svc", "stream": "order_result", "config": {"path": "/tmp/x"}}},
    "lost": {"source": {"follows": "ordres"},
             "sink": {"connection": "svc", "stream": "order_result", "config": {"path": "/tmp/x"}}})";
    auto result = load(replace(valid_manifest, "\"concurrency\": 8\n    }", "\"concurrency\": 8\n    }" + follower));
    std::vector<std::string> messages;
    for (const auto& d : result.problems) messages.push_back(d.message);
    EXPECT_EQ(messages, (std::vector<std::string>{"a pipeline cannot follow itself", "\"connection\" does not go with \"follows\"",
                                                  "pipeline \"ordres\" is not defined"}));
}

TEST_F(manifest_test, a_transform_must_accept_the_stream) {
    std::string text = replace(valid_manifest, "\"stream\": \"order\", \"poll\"", "\"stream\": \"customer\", \"poll\"");
    auto result = load(text);
    // ticker emits only orders: the source itself is the problem.
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].message, "plugin \"testkit\" has no source for stream \"customer\"");
}

TEST_F(manifest_test, validates_component_configs_against_their_schemas) {
    std::string text = valid_manifest;
    text = replace(text, "\"config\": {\"count\": 2}", "\"config\": {\"count\": 0, \"extra\": true}");
    auto result = load(text);
    auto lines = summary(result);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "12:123 /pipelines/orders/source/config/count must be at least 1");
    EXPECT_EQ(lines[1], "12:126 /pipelines/orders/source/config/extra unknown key \"extra\"");
}

TEST_F(manifest_test, parses_durations) {
    EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
    EXPECT_EQ(parse_duration("30s"), std::chrono::seconds(30));
    EXPECT_EQ(parse_duration("5m"), std::chrono::minutes(5));
    EXPECT_EQ(parse_duration("2h"), std::chrono::hours(2));
    EXPECT_EQ(parse_duration("1d"), std::chrono::hours(24));
    EXPECT_FALSE(parse_duration("5"));
    EXPECT_FALSE(parse_duration("m"));
    EXPECT_FALSE(parse_duration("5 m"));
}

TEST_F(manifest_test, a_backoff_must_grow) {
    auto result = load(replace(valid_manifest, "\"500ms..1m\"", "\"1m..500ms\""));
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].message, "the first wait is longer than the largest");
}

TEST_F(manifest_test, a_missing_file_is_an_error) {
    auto result = load_manifest(dir.path() / "nope.json", registry, {});
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_NE(result.problems[0].message.find("cannot read"), std::string::npos);
}

}  // namespace
