// A JSON Schema validator for configuration: the subset of draft 2020-12 that plugin config
// schemas use. Problems never quote the offending value, so a secret cannot leak through them.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ferry::host {

struct schema_problem {
    std::string pointer;  // of the instance value concerned
    std::string message;
    std::string hint;
    bool at_key = false;  // the problem is the member name itself (an unknown key)
};

// Validates `instance` against `schema`. Supported keywords: type, enum, const, properties,
// required, additionalProperties, minProperties, maxProperties, items, minItems, maxItems,
// minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, anyOf,
// oneOf, allOf. Annotations (description, default, title, examples, secret) are not checked.
void validate_schema(const boost::json::value& instance, const boost::json::value& schema,
                     const std::string& pointer, std::vector<schema_problem>& problems);

// The pointers (relative to `instance`) of every value the schema marks "secret": true.
std::vector<std::string> secret_pointers(const boost::json::value& instance, const boost::json::value& schema);

// A copy of `instance` with every secret value replaced by "********".
boost::json::value redact_secrets(const boost::json::value& instance, const boost::json::value& schema);

// The name among `candidates` closest to `name` (edit distance at most 2, or a prefix), or empty.
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace ferry::host
