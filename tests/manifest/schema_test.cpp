#include "manifest/schema.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace ferry::host;
namespace json = boost::json;

namespace {

std::vector<schema_problem> check(const char* instance, const char* schema) {
    std::vector<schema_problem> problems;
    validate_schema(json::parse(instance), json::parse(schema), "", problems);
    return problems;
}

std::string only_message(const char* instance, const char* schema) {
    auto problems = check(instance, schema);
    EXPECT_EQ(problems.size(), 1u) << instance;
    return problems.empty() ? "" : problems[0].pointer + ": " + problems[0].message;
}

TEST(schema, accepts_what_matches) {
    EXPECT_TRUE(check(R"({"a": 1, "b": "x", "c": [true]})", R"({
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "array", "items": {"type": "boolean"}}},
        "required": ["a"], "additionalProperties": false})").empty());
    EXPECT_TRUE(check("2.0", R"({"type": "integer"})").empty()) << "2.0 is an integer in JSON Schema";
    EXPECT_TRUE(check("2", R"({"type": "number"})").empty());
}

TEST(schema, reports_each_keyword) {
    EXPECT_EQ(only_message(R"("x")", R"({"type": "integer"})"), ": expected integer, found string");
    EXPECT_EQ(only_message("1.5", R"({"type": ["integer", "null"]})"), ": expected integer or null, found number");
    EXPECT_EQ(only_message(R"("c")", R"({"enum": ["a", "b"]})"), ": value is not one of the allowed values");
    EXPECT_EQ(only_message("3", R"({"const": 1})"), ": value must be 1");
    EXPECT_EQ(only_message("0", R"({"minimum": 1})"), ": must be at least 1");
    EXPECT_EQ(only_message("11", R"({"maximum": 10})"), ": must be at most 10");
    EXPECT_EQ(only_message("0", R"({"exclusiveMinimum": 0})"), ": must be greater than 0");
    EXPECT_EQ(only_message("5", R"({"exclusiveMaximum": 5})"), ": must be less than 5");
    EXPECT_EQ(only_message(R"("ab")", R"({"minLength": 3})"), ": must be at least 3 character(s) long");
    EXPECT_EQ(only_message(R"("abcd")", R"({"maxLength": 3})"), ": must be at most 3 character(s) long");
    EXPECT_EQ(only_message(R"("ftp://x")", R"({"pattern": "^https?://"})"), ": does not match the pattern ^https?://");
    EXPECT_EQ(only_message("[]", R"({"minItems": 1})"), ": needs at least 1 item(s)");
    EXPECT_EQ(only_message("[1,2]", R"({"maxItems": 1})"), ": takes at most 1 item(s)");
    EXPECT_EQ(only_message("{}", R"({"minProperties": 1})"), ": needs at least 1 key(s)");
    EXPECT_EQ(only_message("{}", R"({"required": ["token"]})"), ": missing required key \"token\"");
    EXPECT_EQ(only_message(R"({"tokn": 1})", R"({"properties": {"token": {}}, "additionalProperties": false})"),
              "/tokn: unknown key \"tokn\"");
    EXPECT_EQ(only_message(R"({"x": "1"})", R"({"additionalProperties": {"type": "integer"}})"), "/x: expected integer, found string");
}

TEST(schema, counts_characters_not_bytes) {
    EXPECT_TRUE(check(R"("é")", R"({"maxLength": 1, "minLength": 1})").empty());
}

TEST(schema, nests_through_objects_and_arrays) {
    auto problems = check(R"({"lines": [{"sku": "A", "qty": 1}, {"sku": 5, "qty": 0}]})", R"({
        "properties": {"lines": {"type": "array", "items": {
            "type": "object",
            "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
            "required": ["sku", "qty"]}}}})");
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].pointer, "/lines/1/sku");
    EXPECT_EQ(problems[1].pointer, "/lines/1/qty");
}

TEST(schema, combinators) {
    const char* either = R"({"anyOf": [{"type": "string"}, {"type": "integer"}]})";
    EXPECT_TRUE(check("1", either).empty());
    EXPECT_EQ(only_message("true", either), ": matches none of the allowed forms");
    const char* exactly_one = R"({"oneOf": [{"type": "integer"}, {"type": "number"}]})";
    EXPECT_EQ(only_message("1", exactly_one), ": matches more than one of the allowed forms");
    EXPECT_TRUE(check("1.5", exactly_one).empty());
    EXPECT_EQ(check("0", R"({"allOf": [{"minimum": 1}, {"maximum": -1}]})").size(), 2u);
}

TEST(schema, unknown_keys_get_a_suggestion) {
    auto problems = check(R"({"acess_token": "x"})",
                          R"({"properties": {"access_token": {}, "shop": {}}, "additionalProperties": false})");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(problems[0].at_key);
    EXPECT_EQ(problems[0].hint, "did you mean \"access_token\"?");
}

TEST(schema, messages_never_quote_the_value) {
    const char* secret = "hunter2-super-secret";
    std::string instance = std::string(R"({"token": ")") + secret + R"("})";
    auto problems = check(instance.c_str(), R"({"properties": {"token": {"type": "integer", "secret": true,
        "enum": [1], "pattern": "^x", "maxLength": 2}}})");
    ASSERT_FALSE(problems.empty());
    for (const auto& p : problems) {
        EXPECT_EQ(p.message.find(secret), std::string::npos);
        EXPECT_EQ(p.hint.find(secret), std::string::npos);
    }
}

TEST(schema, finds_and_redacts_secrets) {
    json::value schema = json::parse(R"({"properties": {
        "token": {"type": "string", "secret": true},
        "nested": {"properties": {"password": {"secret": true}}},
        "keys": {"type": "array", "items": {"secret": true}}}})");
    json::value config = json::parse(R"({"token": "t", "nested": {"password": "p", "user": "u"}, "keys": ["a", "b"], "shop": "s"})");
    auto pointers = secret_pointers(config, schema);
    EXPECT_EQ(pointers, (std::vector<std::string>{"/token", "/nested/password", "/keys/0", "/keys/1"}));
    json::value redacted = redact_secrets(config, schema);
    EXPECT_EQ(json::serialize(redacted),
              R"({"token":"********","nested":{"password":"********","user":"u"},"keys":["********","********"],"shop":"s"})");
}

TEST(closest_name, suggests_near_misses_only) {
    std::vector<std::string> names{"pipelines", "connections", "plugins"};
    EXPECT_EQ(closest_name("pipeline", names), "pipelines");
    EXPECT_EQ(closest_name("conections", names), "connections");
    EXPECT_EQ(closest_name("zzz", names), "");
}

}  // namespace
