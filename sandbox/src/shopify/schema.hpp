// The subset of Shopify's Admin GraphQL schema the emulator serves, and what is checked against
// it before execution: field and argument names, selections, fragments, variables, directives
// (graphql-ruby's messages and codes, as Shopify answers), and the calculated query cost.
#pragma once

#include "shopify/graphql.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <vector>

namespace ferry::sandbox::shopify {

struct arg_def {
    std::string name;
    bool required = false;
};

struct field_def {
    std::string type;  // named type of the value or of the list elements
    bool list = false;
    std::vector<arg_def> args;
    bool connection() const;
};

struct type_def {
    enum class kind { scalar, enumeration, object, abstract };
    std::string name;
    kind type = kind::object;
    std::map<std::string, field_def> fields;
    std::vector<std::string> possible;  // abstract: the object types it may be
    bool leaf() const { return type == kind::scalar || type == kind::enumeration; }
};

const std::map<std::string, type_def>& admin_schema();
const type_def* find_type(const std::string& name);
// Whether an object of `concrete` type matches a fragment on `condition`.
bool type_matches(const std::string& condition, const std::string& concrete);

// A validated operation with coerced variables.
struct prepared_operation {
    graphql::document doc;
    const graphql::operation* op = nullptr;
    boost::json::object variables;
    std::string path_root;  // "query", "query Name", "mutation Name": the first element of error paths
    std::string root_type() const { return op->type == "mutation" ? "Mutation" : "QueryRoot"; }
};

// Parses, selects the operation, validates and coerces variables. Returns Shopify-shaped errors
// (empty when `out` is ready). `api_version` decides which directives exist.
boost::json::array prepare(const std::string& query, const boost::json::value& variables,
                           const std::string& operation_name, const std::string& api_version,
                           prepared_operation& out);

// Calculated cost (reference section 4.1): scalars and enums 0, objects 1, connections
// 2 + size x (1 + node cost), mutations 10. Without `data`, sizes come from first/last (the
// requested cost); with it, from the nodes actually returned (the actual cost).
double query_cost(const prepared_operation& p, const boost::json::value* data);

// An argument or value converted to JSON with variables substituted (enums become strings).
boost::json::value to_json(const graphql::value_ptr& v, const boost::json::object& variables);
boost::json::object arguments_json(const graphql::selection& field, const boost::json::object& variables);

// The error object Shopify (graphql-ruby) answers with.
boost::json::object gql_error(const std::string& message, const graphql::location* where,
                              const boost::json::array* path, boost::json::object extensions);

// Compares API versions: "2025-10" < "2026-01" < "unstable".
int compare_versions(const std::string& a, const std::string& b);

}  // namespace ferry::sandbox::shopify
