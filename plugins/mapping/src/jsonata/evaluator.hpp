// The evaluator's internals, shared by evaluator.cpp and functions.cpp: environments, function
// values, signatures and the evaluation entry points.
#pragma once

#include "jsonata/ast.hpp"
#include "jsonata/jsonata.hpp"
#include "jsonata/value.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

namespace ferry::mapping::jsonata {

class evaluator;

// Variable bindings; a lambda keeps the frame it was defined in.
struct frame {
    std::unordered_map<std::string, value> vars;
    std::shared_ptr<frame> parent;

    const value* lookup(const std::string& name) const {
        for (const frame* f = this; f; f = f->parent.get()) {
            auto found = f->vars.find(name);
            if (found != f->vars.end()) return &found->second;
        }
        return nullptr;
    }
};
using frame_ptr = std::shared_ptr<frame>;

// A function signature such as "<s-n?:s>": what each parameter accepts.
struct signature {
    struct param {
        std::string types;      // of "bnslaofuxj"; empty: anything
        std::string item_type;  // a<n>: what an array's items must be
        bool optional = false;
        bool variadic = false;
        bool context = false;   // '-': take the context value when the argument is missing
    };
    std::vector<param> params;
    std::string text;

    static signature parse(const std::string& text);
    // Checks `args` and fills in context arguments; throws T0410, T0411 or T0412.
    std::vector<value> validate(std::vector<value> args, const value& input, const std::string& function_name,
                                size_t position) const;
};

using native_function = std::function<value(evaluator& ev, std::vector<value>& args, const value& input, size_t position)>;

struct function_value {
    enum class kind { lambda, native, partial, regex } type = kind::native;
    std::string name;
    // lambda
    node_ptr definition;  // the lambda node: params and body
    frame_ptr closure;
    value captured_input;
    // native
    native_function impl;
    std::optional<signature> sig;
    size_t native_arity = 0;
    // partial: the function and its arguments, placeholders left undefined
    value base;
    std::vector<value> bound;
    std::vector<bool> placeholder;
    // regex
    std::shared_ptr<std::regex> pattern;
    std::string source;

    size_t arity() const;
};

struct limits {
    size_t max_depth = 1000;       // nested evaluation depth before U1001
    int64_t timeout_ms = 10000;    // evaluation time before U1002
};

class evaluator {
public:
    evaluator(limits lim, value root);

    value evaluate(const node_ptr& expr, const value& input, const frame_ptr& env);
    // Calls a function value with arguments (the context `input` for '-' parameters).
    value apply(const value& procedure, std::vector<value> args, const value& input, size_t position);

    const value& root() const { return root_; }
    frame_ptr globals;

private:
    value evaluate_node(const node_ptr& expr, const value& input, const frame_ptr& env);
    value evaluate_path(const node_ptr& expr, const value& input, const frame_ptr& env);
    value evaluate_step(const node_ptr& step, const value& input_sequence, const frame_ptr& env, bool last_step);
    value evaluate_tuple_step(const node_ptr& step, const value& input_sequence, const value& tuples, const frame_ptr& env);
    value evaluate_stages(const std::vector<stage>& stages, value input, const frame_ptr& env);
    value evaluate_filter(const node_ptr& predicate, const value& input, const frame_ptr& env);
    value evaluate_binary(const node_ptr& expr, const value& input, const frame_ptr& env);
    value evaluate_group(const node_ptr& group, const value& input, const frame_ptr& env);
    value evaluate_sort(const node_ptr& sort, const value& input, const frame_ptr& env);
    value evaluate_call(const node_ptr& expr, const value& input, const frame_ptr& env);
    value evaluate_partial(const node_ptr& expr, const value& input, const frame_ptr& env);
    value evaluate_apply(const node_ptr& expr, const value& input, const frame_ptr& env);
    value evaluate_transform(const node_ptr& expr, const value& input, const frame_ptr& env);
    value evaluate_descendants(const value& input);
    value apply_lambda(const function_value& f, std::vector<value> args, const value& input, size_t position);
    bool library_has(const std::string& name) const;
    void check_limits(size_t position);

    limits limits_;
    value root_;
    size_t depth_ = 0;
    uint64_t evaluations_ = 0;
    std::chrono::steady_clock::time_point deadline_;
};

// Helpers shared with the function library.
bool is_sequence(const value& v);
bool deep_equal(const value& a, const value& b);
std::string number_to_string(double n);             // as JavaScript prints a number
std::string stringify(const value& v, bool pretty);  // JSON text of a value (functions as "")
std::string string_of(const value& v);              // $string
value flatten_sequence(const value& v);             // a singleton sequence unwrapped, an empty one undefined
std::vector<value> items_of(const value& v);        // the items of an array, or the value alone
double round_half_even(double n, int precision);    // $round's rounding, shared by the pictures
void install_functions(frame& globals);             // the function library
value make_native(const std::string& name, const std::string& sig, native_function impl);
// Integer pictures (XPath format-integer): "0001", "#,##0", "a", "I", "w", "Ww", with ";o" for
// ordinals. Throw D3130 and friends for pictures they do not support.
std::string format_integer(double value, const std::string& picture, size_t position);
std::optional<double> parse_integer(const std::string& text, const std::string& picture, size_t position);

// Decimal pictures (XPath format-number): "#,##0.00", "0.0e0", "00%", with the decimal format
// properties given in `options` (an object, or undefined).
std::string format_number(double number, const std::string& picture, const value& options, size_t position);

// Date-time pictures (XPath format-dateTime): millis to text at a "+hhmm" offset, and back.
std::string format_datetime(double millis, const std::string& picture, const std::string& timezone, size_t position);
std::optional<double> parse_datetime(const std::string& text, const std::string& picture, size_t position);
// An ISO 8601 timestamp ("2018-02-01T09:42:13.123+0000", "2018-02-01") to millis, or nothing.
std::optional<double> parse_iso_datetime(const std::string& text);

// Applies a regex function value to `text` from byte `start`: the match object
// {match, start, end, groups, next} or undefined.
value regex_match_at(evaluator& ev, const function_value& re, const std::string& text, size_t start);

}  // namespace ferry::mapping::jsonata
