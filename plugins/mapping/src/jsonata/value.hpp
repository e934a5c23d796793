// JSONata values: JSON plus `undefined`, functions, and the flags the language keeps on arrays
// (a sequence of results that flattens, a singleton that must stay an array, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::mapping::jsonata {

struct array_value;
struct object_value;
struct function_value;

class value {
public:
    enum class type : uint8_t { undefined, null, boolean, number, string, array, object, function };

    value() = default;
    static value null() { return value(type::null); }
    static value boolean(bool b) {
        value v(type::boolean);
        v.bool_ = b;
        return v;
    }
    static value number(double n) {
        value v(type::number);
        v.number_ = n;
        return v;
    }
    static value string(std::string s) {
        value v(type::string);
        v.ptr_ = std::make_shared<std::string>(std::move(s));
        return v;
    }
    static value array(std::shared_ptr<array_value> a) {
        value v(type::array);
        v.ptr_ = std::move(a);
        return v;
    }
    static value object(std::shared_ptr<object_value> o) {
        value v(type::object);
        v.ptr_ = std::move(o);
        return v;
    }
    static value function(std::shared_ptr<function_value> f) {
        value v(type::function);
        v.ptr_ = std::move(f);
        return v;
    }

    type kind() const { return type_; }
    bool is_undefined() const { return type_ == type::undefined; }
    bool is_null() const { return type_ == type::null; }
    bool is_boolean() const { return type_ == type::boolean; }
    bool is_number() const { return type_ == type::number; }
    bool is_string() const { return type_ == type::string; }
    bool is_array() const { return type_ == type::array; }
    bool is_object() const { return type_ == type::object; }
    bool is_function() const { return type_ == type::function; }

    bool as_boolean() const { return bool_; }
    double as_number() const { return number_; }
    const std::string& as_string() const { return *static_cast<const std::string*>(ptr_.get()); }
    array_value& as_array() const { return *static_cast<array_value*>(ptr_.get()); }
    object_value& as_object() const { return *static_cast<object_value*>(ptr_.get()); }
    function_value& as_function() const { return *static_cast<function_value*>(ptr_.get()); }
    std::shared_ptr<array_value> array_ptr() const { return std::static_pointer_cast<array_value>(ptr_); }
    const void* identity() const { return ptr_.get(); }

private:
    explicit value(type t) : type_(t) {}
    type type_ = type::undefined;
    union {
        bool bool_;
        double number_ = 0;
    };
    std::shared_ptr<void> ptr_;
};

struct array_value {
    std::vector<value> items;
    bool sequence = false;        // a result sequence: flattened into its container, unwrapped if single
    bool keep_singleton = false;  // `[]` in a path: a single result stays an array
    bool cons = false;            // built by an array constructor: not flattened by a path step
    bool outer_wrapper = false;   // the wrapper of a path's results, removed at the end
    bool tuple_stream = false;    // items are tuple objects binding focus/index variables

    array_value() = default;
    explicit array_value(std::vector<value> v) : items(std::move(v)) {}
};

struct object_value {
    std::vector<std::pair<std::string, value>> entries;  // in insertion order

    const value* find(std::string_view key) const {
        for (const auto& [k, v] : entries) {
            if (k == key) return &v;
        }
        return nullptr;
    }
    void set(const std::string& key, value v) {
        for (auto& [k, existing] : entries) {
            if (k == key) {
                existing = std::move(v);
                return;
            }
        }
        entries.emplace_back(key, std::move(v));
    }
    void erase(std::string_view key) {
        for (auto it = entries.begin(); it != entries.end(); ++it) {
            if (it->first == key) {
                entries.erase(it);
                return;
            }
        }
    }
};

inline value make_array(std::vector<value> items = {}) { return value::array(std::make_shared<array_value>(std::move(items))); }
inline value make_sequence(std::vector<value> items = {}) {
    auto a = std::make_shared<array_value>(std::move(items));
    a->sequence = true;
    return value::array(std::move(a));
}
inline value make_object() { return value::object(std::make_shared<object_value>()); }

}  // namespace ferry::mapping::jsonata
