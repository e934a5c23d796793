// ferry's JSONata 2.x engine: compile an expression once, evaluate it many times.
#pragma once

#include "jsonata/ast.hpp"
#include "jsonata/value.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <utility>
#include <vector>

namespace ferry::mapping::jsonata {

struct evaluation_limits {
    size_t max_depth = 1000;     // nested evaluation depth before error U1001
    int64_t timeout_ms = 10000;  // evaluation time before error U1002
};

class expression {
public:
    // Parses; throws jsonata::error (S0xxx) with the position of the mistake.
    static expression compile(const std::string& text);

    // Evaluates against `input`; `bindings` become $variables. Throws jsonata::error.
    value evaluate(const value& input, const std::vector<std::pair<std::string, value>>& bindings = {},
                   evaluation_limits limits = {}) const;

    const std::string& text() const { return text_; }

private:
    std::string text_;
    node_ptr tree_;
};

// JSON to JSONata value and back. An undefined result has no JSON form: to_json gives null for
// it, so check is_undefined() first. Sequences become arrays; functions become "".
value from_json(const boost::json::value& json);
boost::json::value to_json(const value& v);

// JSONata's $boolean of a value: how a predicate's result is judged.
bool truthy(const value& v);

}  // namespace ferry::mapping::jsonata
