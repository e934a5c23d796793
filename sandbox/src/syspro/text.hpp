// Small text helpers of the SYSPRO emulator: query strings, case-insensitive names, SYSPRO's
// number layouts (space-padded raw values and their "Edited_" display twins) and Windows-1252.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::sandbox::syspro {

// Query parameters by name, compared without regard to case (WCF binds them that way).
struct iless {
    bool operator()(std::string_view a, std::string_view b) const;
};
using query_params = std::map<std::string, std::string, iless>;

bool iequals(std::string_view a, std::string_view b);
std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string trim(std::string_view s);


// "Stock code '{}' not found" with each "{}" replaced by the next argument.
std::string fill(std::string_view pattern, std::initializer_list<std::string_view> args);

// A number as SYSPRO's XML carries it: right-aligned in `width` characters with `decimals` places.
std::string padded(double value, int decimals, int width);
// The display form: thousands separators, `decimals` places ("1,554.530").
std::string edited(double value, int decimals);
// A counter as "000001".
std::string counter(long value);
// A plain decimal without padding ("12.5", "3").
std::string plain_number(double value);

// Parses a numeric XML value allowing at most `decimals` places and `integer_digits` digits before
// the point. Blank text is zero. Returns nothing when the value is not acceptable.
std::optional<double> parse_number(std::string_view text, int integer_digits, int decimals);

// UTF-8 to Windows-1252, as SYSPRO encodes every document; unmappable characters become '?'.
std::string to_windows_1252(std::string_view utf8);
// Escapes &, < and > for XML text (SYSPRO leaves quotes as they are).
std::string xml_escape(std::string_view s);

}  // namespace ferry::sandbox::syspro
