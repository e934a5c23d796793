// A GraphQL executable-document parser (operations, variables, fragments, aliases, directives):
// the part of the October 2021 GraphQL specification a client sends. Type-system definitions are
// not accepted, as Shopify's Admin API does not accept them either.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ferry::sandbox::shopify::graphql {

struct location {
    int line = 1;
    int column = 1;
};

// Thrown by parse(); message() is Shopify's (graphql-ruby's) wording, e.g.
// `Parse error on ")" (RPAREN) at [1, 28]`.
class syntax_error : public std::runtime_error {
public:
    syntax_error(const std::string& message, location where) : std::runtime_error(message), where_(where) {}
    location where() const { return where_; }

private:
    location where_;
};

struct value;
using value_ptr = std::shared_ptr<value>;

struct value {
    enum class kind { variable, integer, floating, string, boolean, null, enumeration, list, object };
    kind type = kind::null;
    std::string text;  // variable name, number literal, string contents, enum name
    bool flag = false;  // boolean
    std::vector<value_ptr> items;                                 // list
    std::vector<std::pair<std::string, value_ptr>> fields;        // object, in source order
    location where;
};

struct argument {
    std::string name;
    value_ptr val;
    location where;
};

struct directive {
    std::string name;
    std::vector<argument> arguments;
    location where;
};

struct selection;
using selection_set = std::vector<selection>;

struct selection {
    enum class kind { field, fragment_spread, inline_fragment };
    kind type = kind::field;
    // field
    std::string alias;  // empty when none
    std::string name;   // field name, or fragment name for a spread
    std::vector<argument> arguments;
    // inline fragment: the type condition, empty when none
    std::string type_condition;
    std::vector<directive> directives;
    std::shared_ptr<selection_set> children;  // may be null for a leaf field or a spread
    location where;

    const std::string& response_key() const { return alias.empty() ? name : alias; }
};

struct type_ref {
    std::string name;  // named type, or empty for a list
    std::shared_ptr<type_ref> of;  // list element
    bool non_null = false;

    std::string to_string() const;
};

struct variable_definition {
    std::string name;
    type_ref type;
    value_ptr default_value;  // null when none
    location where;
};

struct operation {
    std::string type = "query";  // query, mutation, subscription
    std::string name;             // empty for an anonymous operation
    std::vector<variable_definition> variables;
    std::vector<directive> directives;
    selection_set selections;
    location where;
};

struct fragment {
    std::string name;
    std::string type_condition;
    std::vector<directive> directives;
    selection_set selections;
    location where;
};

struct document {
    std::vector<operation> operations;
    std::map<std::string, fragment> fragments;
};

// Parses an executable document; throws syntax_error.
document parse(const std::string& source);

}  // namespace ferry::sandbox::shopify::graphql
