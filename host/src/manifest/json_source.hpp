// JSON with comments and trailing commas, parsed by Boost.JSON, plus where each value and key
// starts in the text so that problems can be reported at line:column.
#pragma once

#include "manifest/diagnostic.hpp"

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::host {

// Appends one reference token to a JSON pointer, escaping '~' and '/'.
std::string pointer_append(std::string_view pointer, std::string_view token);

class json_source {
public:
    // Parses `text`; on a syntax error returns nothing and fills `error` with its position.
    static std::optional<json_source> parse(std::string text, const std::string& file, diagnostic& error);

    const boost::json::value& value() const { return value_; }

    // A diagnostic located at the value (or, with at_key, the member name) of `pointer`. An
    // unknown pointer falls back to its nearest known ancestor.
    diagnostic at(const std::string& pointer, std::string message, std::string hint = {}, bool at_key = false) const;

    // A diagnostic at byte `offset` of the decoded string value at `pointer` (an expression's own
    // position), mapped through the literal's escapes to the manifest's line:column.
    diagnostic at_string_offset(const std::string& pointer, size_t offset, std::string message, std::string hint = {}) const;

private:
    json_source() = default;
    void locate(size_t offset, size_t& line, size_t& column) const;
    void index_positions();

    std::string text_;
    std::string file_;
    boost::json::value value_;
    std::map<std::string, size_t> value_offsets_;
    std::map<std::string, size_t> key_offsets_;
    std::vector<size_t> line_starts_;
};

}  // namespace ferry::host
