// Reading canonical records: the fields components take from a payload, leniently typed.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace ferry::syspro {

// A string field, or an integer written as text; "" when absent or of another type.
inline std::string string_in(const boost::json::object& o, const char* key) {
    const boost::json::value* v = o.if_contains(key);
    if (!v) return {};
    if (v->is_string()) return std::string(v->as_string());
    if (v->is_int64()) return std::to_string(v->as_int64());
    return {};
}

inline const boost::json::object* object_in(const boost::json::object& o, const char* key) {
    const boost::json::value* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

}  // namespace ferry::syspro
