// The GraphQL parser of the Shopify emulator: documents a connector sends, and the errors Shopify
// answers for documents it cannot parse.
#include "shopify/graphql.hpp"

#include <gtest/gtest.h>

namespace gql = ferry::sandbox::shopify::graphql;

TEST(shopify_parser, operations_variables_fragments_aliases_directives) {
    gql::document d = gql::parse(R"(
        # a comment, and commas are insignificant
        query Orders($since: String = "2025-01-01", $first: Int!, $skipIt: Boolean!) {
          recent: orders(first: $first, query: $since, sortKey: UPDATED_AT) @skip(if: $skipIt) {
            nodes { ...orderFields, id }
          }
        }
        fragment orderFields on Order { name tags lineItems(first: 5) { nodes { sku quantity } } }
        mutation { orderUpdate(input: {id: "gid://shopify/Order/1", tags: ["a", "b"], note: null}) { userErrors { field message } } }
    )");
    ASSERT_EQ(d.operations.size(), 2u);
    const gql::operation& q = d.operations[0];
    EXPECT_EQ(q.type, "query");
    EXPECT_EQ(q.name, "Orders");
    ASSERT_EQ(q.variables.size(), 3u);
    EXPECT_EQ(q.variables[0].type.to_string(), "String");
    ASSERT_TRUE(q.variables[0].default_value);
    EXPECT_EQ(q.variables[0].default_value->text, "2025-01-01");
    EXPECT_EQ(q.variables[1].type.to_string(), "Int!");
    const gql::selection& recent = q.selections.at(0);
    EXPECT_EQ(recent.alias, "recent");
    EXPECT_EQ(recent.name, "orders");
    EXPECT_EQ(recent.response_key(), "recent");
    ASSERT_EQ(recent.arguments.size(), 3u);
    EXPECT_EQ(recent.arguments[0].val->type, gql::value::kind::variable);
    EXPECT_EQ(recent.arguments[2].val->type, gql::value::kind::enumeration);
    ASSERT_EQ(recent.directives.size(), 1u);
    EXPECT_EQ(recent.directives[0].name, "skip");
    const gql::selection& nodes = recent.children->at(0);
    EXPECT_EQ(nodes.children->at(0).type, gql::selection::kind::fragment_spread);
    EXPECT_EQ(nodes.children->at(0).name, "orderFields");
    ASSERT_EQ(d.fragments.count("orderFields"), 1u);
    EXPECT_EQ(d.fragments.at("orderFields").type_condition, "Order");
    const gql::operation& m = d.operations[1];
    EXPECT_EQ(m.type, "mutation");
    const auto& input = m.selections.at(0).arguments.at(0).val;
    ASSERT_EQ(input->type, gql::value::kind::object);
    EXPECT_EQ(input->fields[1].second->items.size(), 2u);
    EXPECT_EQ(input->fields[2].second->type, gql::value::kind::null);
}

TEST(shopify_parser, inline_fragments_strings_and_numbers) {
    gql::document d = gql::parse("{ a(s: \"x\\u00e9\\n\", b: \"\"\"\n    block\n      text\n    \"\"\", f: -1.5e3, i: 42) { ... on T { x } ... @include(if: true) { y } } }");
    const gql::selection& a = d.operations[0].selections[0];
    EXPECT_EQ(a.arguments[0].val->text, "x\xC3\xA9\n");
    EXPECT_EQ(a.arguments[1].val->text, "block\n  text");
    EXPECT_EQ(a.arguments[2].val->type, gql::value::kind::floating);
    EXPECT_EQ(a.arguments[3].val->text, "42");
    EXPECT_EQ(a.children->at(0).type_condition, "T");
    EXPECT_EQ(a.children->at(1).type, gql::selection::kind::inline_fragment);
    EXPECT_TRUE(a.children->at(1).type_condition.empty());
}

TEST(shopify_parser, syntax_errors_name_the_token_and_position_as_shopify_does) {
    try {
        gql::parse("{ publicApiVersions() { handle } }");
        FAIL() << "no error";
    } catch (const gql::syntax_error& e) {
        EXPECT_STREQ(e.what(), "Parse error on \")\" (RPAREN) at [1, 21]");
        EXPECT_EQ(e.where().line, 1);
        EXPECT_EQ(e.where().column, 21);
    }
    try {
        gql::parse("query {\n  shop {\n    name\n  }\n");
        FAIL() << "no error";
    } catch (const gql::syntax_error& e) {
        EXPECT_STREQ(e.what(), "Unexpected end of document");
    }
    try {
        gql::parse("shop { name }");
        FAIL() << "no error";
    } catch (const gql::syntax_error& e) {
        EXPECT_STREQ(e.what(), "Parse error on \"shop\" (IDENTIFIER) at [1, 1]");
    }
    EXPECT_THROW(gql::parse("{ a(s: \"open) }"), gql::syntax_error);
    EXPECT_THROW(gql::parse("{ a % }"), gql::syntax_error);
    EXPECT_THROW(gql::parse(""), gql::syntax_error);
}
