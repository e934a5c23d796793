// Small helpers the Shopify plugin shares: JSON access, decimal money, RFC 3339 times, GIDs and
// the webhook signature. Numeric ids never pass through a double: Boost.JSON keeps integers as
// int64/uint64, and every id the plugin emits is a GID string.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::shopify {

namespace json = boost::json;

// The member `name` of `o` as text: strings as they are, integers exactly, null/absent as nullopt.
std::optional<std::string> text_of(const json::object& o, std::string_view name);
// Like text_of, but "" for absent or null.
std::string text_or_empty(const json::object& o, std::string_view name);
// A JSON value: the string, or null when absent or null (never a number through a double).
json::value text_or_null(const json::object& o, std::string_view name);
const json::object* object_at(const json::object& o, std::string_view name);
const json::array* array_at(const json::object& o, std::string_view name);
// Follows a path of object members; null when any step is missing or not an object.
const json::value* path(const json::value& v, std::initializer_list<std::string_view> steps);
// The same from an object, without copying it into a temporary value.
const json::value* path(const json::object& o, std::initializer_list<std::string_view> steps);
std::string path_text(const json::value& v, std::initializer_list<std::string_view> steps);
std::string path_text(const json::object& o, std::initializer_list<std::string_view> steps);
// The integer at `name` (int64 or a numeric string), if any.
std::optional<int64_t> int_of(const json::object& o, std::string_view name);
bool bool_of(const json::object& o, std::string_view name, bool fallback = false);

// Decimal strings: "19.99" + "0.01" without floating point. Empty counts as zero.
std::optional<std::string> decimal_add(std::string_view a, std::string_view b);
// Sum of decimal strings; "0.00" when empty.
std::string decimal_sum(const std::vector<std::string>& values);
bool is_decimal(std::string_view text);

// RFC 3339 ("2026-11-23T10:15:00.123-05:00", "...Z") to Unix milliseconds.
std::optional<int64_t> parse_time(std::string_view text);
// Unix milliseconds to "2026-11-23T10:15:00Z" (seconds precision, UTC).
std::string format_time(int64_t unix_ms);

// "gid://shopify/Order/123" from a type and a numeric id as text; the id as text from a GID.
std::string make_gid(std::string_view type, std::string_view id);
// The GID of a REST object: admin_graphql_api_id when present, else built from the numeric id.
std::string gid_of(const json::object& o, std::string_view type, std::string_view id_field = "id");
bool is_gid(std::string_view text, std::string_view type);

// ASCII lower case ("ORDERS_CREATE" -> "orders_create").
std::string lower(std::string_view text);

// Shopify's REST tags: "a, b ,c" -> ["a","b","c"].
std::vector<std::string> split_tags(std::string_view tags);

// base64(HMAC-SHA256(secret, body)) compared with `given` in constant time.
bool webhook_signature_valid(std::string_view secret, std::string_view body, std::string_view given);
// Lower-case hex SHA-256, for deterministic tags and URIs derived from idempotency keys.
std::string sha256_hex(std::string_view data);

// A value for a GraphQL search query: quoted with backslash escapes (sku:"A 1").
std::string search_quote(std::string_view value);

}  // namespace ferry::shopify
