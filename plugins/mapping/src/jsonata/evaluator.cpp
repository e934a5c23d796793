// JSONata evaluation: paths over sequences, predicates, operators, constructors, lambdas with
// tail calls, partial application, function chaining, sorting, grouping and transforms.
#include "jsonata/evaluator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace ferry::mapping::jsonata {

namespace {

// The items of an array, or the value alone, without copying them.
class item_view {
public:
    // With `undefined_is_an_item`, an undefined value is one item (a path's first step runs once).
    explicit item_view(const value& v, bool undefined_is_an_item = false) {
        if (v.is_array()) {
            begin_ = v.as_array().items.data();
            size_ = v.as_array().items.size();
        } else if (!v.is_undefined() || undefined_is_an_item) {
            begin_ = &v;
            size_ = 1;
        }
    }
    const value* begin() const { return begin_; }
    const value* end() const { return begin_ + size_; }
    size_t size() const { return size_; }
    const value& operator[](size_t i) const { return begin_[i]; }

private:
    const value* begin_ = nullptr;
    size_t size_ = 0;
};

value tuple_get(const value& tuple, const std::string& key) {
    const value* v = tuple.as_object().find(key);
    return v ? *v : value();
}

frame_ptr frame_from_tuple(const frame_ptr& env, const value& tuple) {
    auto f = std::make_shared<frame>();
    f->parent = env;
    for (const auto& [k, v] : tuple.as_object().entries) f->vars[k] = v;
    return f;
}

bool is_numeric(const value& v) {
    if (!v.is_number()) return false;
    if (std::isnan(v.as_number())) return false;
    if (!std::isfinite(v.as_number())) throw error("D1001", 0, "Number out of range");
    return true;
}

bool is_array_of_numbers(const value& v) {
    if (!v.is_array()) return false;
    for (const auto& item : v.as_array().items) {
        if (!item.is_number()) return false;
    }
    return true;
}

// fn.append: concatenates, wrapping single values.
value append(const value& a, const value& b) {
    if (a.is_undefined()) return b;
    if (b.is_undefined()) return a;
    auto out = std::make_shared<array_value>();
    out->sequence = true;
    if (a.is_array()) {
        out->items = a.as_array().items;
        out->keep_singleton = a.as_array().keep_singleton;
    } else {
        out->items.push_back(a);
    }
    if (b.is_array()) {
        out->items.insert(out->items.end(), b.as_array().items.begin(), b.as_array().items.end());
    } else {
        out->items.push_back(b);
    }
    return value::array(out);
}

void flatten_into(const value& v, std::vector<value>& out) {
    if (v.is_array()) {
        for (const auto& item : v.as_array().items) flatten_into(item, out);
    } else {
        out.push_back(v);
    }
}

value lookup_field(const value& input, const std::string& key) {
    if (input.is_array()) {
        auto out = std::make_shared<array_value>();
        out->sequence = true;
        for (const auto& item : input.as_array().items) {
            value res = lookup_field(item, key);
            if (res.is_undefined()) continue;
            if (res.is_array()) {
                out->items.insert(out->items.end(), res.as_array().items.begin(), res.as_array().items.end());
            } else {
                out->items.push_back(res);
            }
        }
        return value::array(out);
    }
    if (input.is_object()) {
        const value* found = input.as_object().find(key);
        return found ? *found : value();
    }
    return value();
}

value deep_clone(const value& v) {
    if (v.is_array()) {
        auto out = std::make_shared<array_value>(*v.array_ptr());
        for (auto& item : out->items) item = deep_clone(item);
        return value::array(out);
    }
    if (v.is_object()) {
        auto out = std::make_shared<object_value>(v.as_object());
        for (auto& [k, item] : out->entries) item = deep_clone(item);
        return value::object(out);
    }
    return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// helpers

bool is_sequence(const value& v) { return v.is_array() && v.as_array().sequence; }

bool truthy(const value& v) {
    switch (v.kind()) {
        case value::type::undefined:
        case value::type::null: return false;
        case value::type::boolean: return v.as_boolean();
        case value::type::number: return v.as_number() != 0;
        case value::type::string: return !v.as_string().empty();
        case value::type::object: return !v.as_object().entries.empty();
        case value::type::function: return false;
        case value::type::array: {
            const auto& items = v.as_array().items;
            if (items.size() == 1) return truthy(items[0]);
            return std::any_of(items.begin(), items.end(), [](const value& i) { return truthy(i); });
        }
    }
    return false;
}

bool deep_equal(const value& a, const value& b) {
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case value::type::undefined:
        case value::type::null: return true;
        case value::type::boolean: return a.as_boolean() == b.as_boolean();
        case value::type::number: return a.as_number() == b.as_number();
        case value::type::string: return a.as_string() == b.as_string();
        case value::type::function: return a.identity() == b.identity();
        case value::type::array: {
            const auto& x = a.as_array().items;
            const auto& y = b.as_array().items;
            if (x.size() != y.size()) return false;
            for (size_t i = 0; i < x.size(); ++i) {
                if (!deep_equal(x[i], y[i])) return false;
            }
            return true;
        }
        case value::type::object: {
            const auto& x = a.as_object().entries;
            const auto& y = b.as_object();
            if (x.size() != y.entries.size()) return false;
            for (const auto& [k, v] : x) {
                const value* other = y.find(k);
                if (!other || !deep_equal(v, *other)) return false;
            }
            return true;
        }
    }
    return false;
}

std::string number_to_string(double n) {
    if (std::isnan(n)) return "NaN";
    if (std::isinf(n)) return n > 0 ? "Infinity" : "-Infinity";
    if (n == 0) return "0";
    // Shortest round-trip digits, then JavaScript's choice between fixed and exponent notation.
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), n, std::chars_format::scientific);
    std::string sci(buffer, result.ptr);
    bool negative = sci[0] == '-';
    if (negative) sci.erase(0, 1);
    size_t e = sci.find('e');
    std::string mantissa = sci.substr(0, e);
    int exponent = std::stoi(sci.substr(e + 1));
    std::string digits;
    for (char c : mantissa) {
        if (c != '.') digits += c;
    }
    std::string out;
    int k = static_cast<int>(digits.size());
    int point = exponent + 1;  // digits before the decimal point
    if (point > 21 || point < -5) {
        out = digits.substr(0, 1);
        if (k > 1) out += "." + digits.substr(1);
        out += "e" + std::string(exponent >= 0 ? "+" : "-") + std::to_string(std::abs(exponent));
    } else if (point <= 0) {
        out = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (point >= k) {
        out = digits + std::string(static_cast<size_t>(point - k), '0');
    } else {
        out = digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
    }
    return negative ? "-" + out : out;
}

namespace {

void json_string(std::string& out, const std::string& s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof(buf), "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

void stringify_into(std::string& out, const value& v, bool pretty, int indent) {
    auto newline = [&](int level) {
        if (!pretty) return;
        out += '\n';
        out.append(static_cast<size_t>(level * 2), ' ');
    };
    switch (v.kind()) {
        case value::type::undefined:
        case value::type::null: out += "null"; break;
        case value::type::boolean: out += v.as_boolean() ? "true" : "false"; break;
        case value::type::number: {
            double n = v.as_number();
            if (!std::isfinite(n)) throw error("D1001", 0, "Number out of range");
            // An integer of at most 15 digits prints as it is.
            if (std::fabs(n) < 1e15 && std::trunc(n) == n) {
                out += std::to_string(static_cast<long long>(n));
                break;
            }
            // $string prints numbers with 15 significant digits, as JSONata does.
            char buffer[40];
            std::snprintf(buffer, sizeof(buffer), "%.14e", v.as_number());
            out += number_to_string(std::strtod(buffer, nullptr));
            break;
        }
        case value::type::string: json_string(out, v.as_string()); break;
        case value::type::function: out += "\"\""; break;
        case value::type::array: {
            out += '[';
            bool first = true;
            for (const auto& item : v.as_array().items) {
                if (item.is_undefined()) continue;
                if (!first) out += ',';
                first = false;
                newline(indent + 1);
                stringify_into(out, item, pretty, indent + 1);
            }
            if (!first) newline(indent);
            out += ']';
            break;
        }
        case value::type::object: {
            out += '{';
            bool first = true;
            for (const auto& [k, item] : v.as_object().entries) {
                if (item.is_undefined()) continue;
                if (!first) out += ',';
                first = false;
                newline(indent + 1);
                json_string(out, k);
                out += pretty ? ": " : ":";
                stringify_into(out, item, pretty, indent + 1);
            }
            if (!first) newline(indent);
            out += '}';
            break;
        }
    }
}

}  // namespace

std::string stringify(const value& v, bool pretty) {
    std::string out;
    stringify_into(out, v, pretty, 0);
    return out;
}

std::string string_of(const value& v) {
    if (v.is_string()) return v.as_string();
    if (v.is_function()) return "";
    if (v.is_number() && !std::isfinite(v.as_number())) {
        throw error("D3001", 0, "Attempting to invoke string function on Infinity or NaN");
    }
    return stringify(v, false);
}

value flatten_sequence(const value& v) {
    if (!is_sequence(v) || v.as_array().tuple_stream) return v;
    const auto& items = v.as_array().items;
    if (items.empty()) return value();
    if (items.size() == 1 && !v.as_array().keep_singleton) return items[0];
    return v;
}

std::vector<value> items_of(const value& v) {
    if (v.is_undefined()) return {};
    if (v.is_array()) return v.as_array().items;
    return {v};
}

size_t function_value::arity() const {
    switch (type) {
        case kind::lambda: return definition->params.size();
        case kind::native: return native_arity;
        case kind::partial: return static_cast<size_t>(std::count(placeholder.begin(), placeholder.end(), true));
        case kind::regex: return 1;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// evaluator

evaluator::evaluator(limits lim, value root) : limits_(lim), root_(std::move(root)) {
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.timeout_ms);
}

void evaluator::check_limits(size_t position) {
    if (depth_ > limits_.max_depth) throw error("U1001", position, "Stack overflow error: check for non-terminating recursive function");
    // Reading the clock costs more than evaluating a small node: look every 1024 evaluations.
    if ((++evaluations_ & 1023) == 0 && std::chrono::steady_clock::now() > deadline_) {
        throw error("U1002", position, "Expression evaluation timeout");
    }
}

value evaluator::evaluate(const node_ptr& expr, const value& input, const frame_ptr& env) {
    ++depth_;
    struct depth_guard {
        size_t& d;
        ~depth_guard() { --d; }
    } guard{depth_};
    check_limits(expr->position);
    value result = evaluate_node(expr, input, env);
    for (const auto& predicate : expr->predicates) result = evaluate_filter(predicate, result, env);
    if (expr->type != node::kind::path && expr->group) result = evaluate_group(expr->group, result, env);
    if (is_sequence(result) && !result.as_array().tuple_stream) {
        if (expr->keep_array) result.as_array().keep_singleton = true;
        result = flatten_sequence(result);
    }
    return result;
}

value evaluator::evaluate_node(const node_ptr& expr, const value& input, const frame_ptr& env) {
    switch (expr->type) {
        case node::kind::path: return evaluate_path(expr, input, env);
        case node::kind::binary: return evaluate_binary(expr, input, env);
        case node::kind::name: return lookup_field(input, expr->text);
        case node::kind::string: return expr->literal;
        case node::kind::number: return value::number(expr->number);
        case node::kind::literal: return expr->literal;
        case node::kind::parent: {
            // The step the parent resolved to bound its input under the slot's label.
            const value* v = env->lookup(expr->slot->label);
            return v ? *v : value();
        }
        case node::kind::wildcard: {
            value in = input;
            if (in.is_array() && in.as_array().outer_wrapper && !in.as_array().items.empty()) in = in.as_array().items[0];
            value results = make_sequence();
            if (in.is_array()) {
                std::vector<value> flat;
                flatten_into(in, flat);
                results = append(results, make_sequence(std::move(flat)));
            } else if (in.is_object()) {
                for (const auto& [k, v] : in.as_object().entries) {
                    if (v.is_array()) {
                        std::vector<value> flat;
                        flatten_into(v, flat);
                        results = append(results, make_sequence(std::move(flat)));
                    } else {
                        results.as_array().items.push_back(v);
                    }
                }
            }
            return results;
        }
        case node::kind::descendant: return evaluate_descendants(input);
        case node::kind::negate: {
            value v = evaluate(expr->lhs, input, env);
            if (v.is_undefined()) return v;
            if (!is_numeric(v)) throw error("D1002", expr->position, "Cannot negate a non-numeric value", expr->text);
            return value::number(-v.as_number());
        }
        case node::kind::array: {
            auto out = std::make_shared<array_value>();
            value result = value::array(out);
            for (const auto& item : expr->items) {
                value v = evaluate(item, input, env);
                if (v.is_undefined()) continue;
                if (item->type == node::kind::array) {
                    out->items.push_back(v);
                } else if (v.is_array()) {
                    out->items.insert(out->items.end(), v.as_array().items.begin(), v.as_array().items.end());
                } else {
                    out->items.push_back(v);
                }
            }
            if (expr->consarray) out->cons = true;
            return result;
        }
        case node::kind::object: return evaluate_group(expr, input, env);
        case node::kind::block: {
            // Only a block that binds variables needs a frame of its own.
            frame_ptr scope = env;
            if (expr->binds) {
                scope = std::make_shared<frame>();
                scope->parent = env;
            }
            value result;
            for (const auto& item : expr->items) result = evaluate(item, input, scope);
            return result;
        }
        case node::kind::condition: {
            value condition = evaluate(expr->lhs, input, env);
            if (truthy(condition)) return evaluate(expr->rhs, input, env);
            if (expr->third) return evaluate(expr->third, input, env);
            return value();
        }
        case node::kind::bind: {
            value v = evaluate(expr->rhs, input, env);
            env->vars[expr->lhs->text] = v;
            return v;
        }
        case node::kind::variable: {
            if (expr->text.empty()) {
                if (input.is_array() && input.as_array().outer_wrapper && !input.as_array().items.empty()) {
                    return input.as_array().items[0];
                }
                return input;
            }
            const value* v = env->lookup(expr->text);
            return v ? *v : value();
        }
        case node::kind::regex: {
            auto f = std::make_shared<function_value>();
            f->type = function_value::kind::regex;
            f->source = expr->text;
            auto flags = std::regex::ECMAScript;
            if (expr->literal.is_string() && expr->literal.as_string().find('i') != std::string::npos) flags |= std::regex::icase;
            try {
                f->pattern = std::make_shared<std::regex>(expr->text, flags);
            } catch (const std::regex_error&) {
                throw error("S0301", expr->position, "Invalid regular expression: /" + expr->text + "/");
            }
            return value::function(f);
        }
        case node::kind::lambda: {
            auto f = std::make_shared<function_value>();
            f->type = function_value::kind::lambda;
            f->definition = expr;
            f->closure = env;
            f->captured_input = input;
            if (!expr->signature.empty()) f->sig = signature::parse(expr->signature);
            return value::function(f);
        }
        case node::kind::call: return evaluate_call(expr, input, env);
        case node::kind::partial: return evaluate_partial(expr, input, env);
        case node::kind::apply: return evaluate_apply(expr, input, env);
        case node::kind::transform: return evaluate_transform(expr, input, env);
        case node::kind::sort: return evaluate_sort(expr, input, env);
        case node::kind::placeholder:
            throw error("S0201", expr->position, "Syntax error: \"?\"", "?");
        default:
            throw error("S0206", expr->position, "Unknown expression type");
    }
}

value evaluator::evaluate_descendants(const value& input) {
    if (input.is_undefined()) return value();
    std::vector<value> out;
    std::function<void(const value&)> walk = [&](const value& v) {
        if (v.is_array()) {
            for (const auto& item : v.as_array().items) walk(item);
            return;
        }
        out.push_back(v);
        if (v.is_object()) {
            for (const auto& [k, item] : v.as_object().entries) walk(item);
        }
    };
    walk(input);
    if (out.size() == 1) return out[0];
    return make_sequence(std::move(out));
}

value evaluator::evaluate_path(const node_ptr& expr, const value& input, const frame_ptr& env) {
    // The most common paths, plain field names through single objects ("sku", "line_item.sku"),
    // need none of the sequence work; the moment an array appears the general rules take over.
    if (!input.is_array() && !expr->keep_singleton_array && !expr->group && !expr->tuple) {
        auto plain = [](const node& step) {
            return step.type == node::kind::name && step.stages.empty() && step.predicates.empty() && !step.group &&
                   step.focus.empty() && step.index.empty() && !step.tuple && !step.keep_array;
        };
        if (std::all_of(expr->items.begin(), expr->items.end(), [&](const node_ptr& s) { return plain(*s); })) {
            value current = input;
            size_t i = 0;
            for (; i < expr->items.size() && !current.is_array(); ++i) {
                current = lookup_field(current, expr->items[i]->text);
                if (current.is_undefined()) return current;
            }
            if (i == expr->items.size()) return current;
        }
    }
    // A path starting at a variable starts from that value, even when the context is an array.
    value sequence = input.is_array() && expr->items[0]->type == node::kind::variable ? make_sequence({input}) : input;
    value result;
    value tuples;
    bool tuple_stream = false;
    for (size_t i = 0; i < expr->items.size(); ++i) {
        const node_ptr& step = expr->items[i];
        if (step->tuple) tuple_stream = true;
        if (i == 0 && step->consarray) {
            result = evaluate(step, sequence, env);
        } else if (tuple_stream) {
            tuples = evaluate_tuple_step(step, sequence, tuples, env);
        } else {
            result = evaluate_step(step, sequence, env, i + 1 == expr->items.size());
        }
        if (!tuple_stream && (result.is_undefined() || (result.is_array() && result.as_array().items.empty()))) break;
        if (step->focus.empty()) sequence = result;
    }
    if (tuple_stream) {
        if (expr->tuple) {
            // A path that binds a parent for an enclosing step hands it its tuples.
            result = tuples.is_array() ? tuples : make_sequence();
            result.as_array().tuple_stream = true;
        } else {
            result = make_sequence();
            if (tuples.is_array()) {
                for (const auto& t : tuples.as_array().items) result.as_array().items.push_back(tuple_get(t, "@"));
            }
        }
    }
    if (expr->keep_singleton_array) {
        if (result.is_array() && result.as_array().cons && !result.as_array().sequence) result = make_sequence({result});
        if (result.is_array()) {
            auto copy = std::make_shared<array_value>(*result.array_ptr());
            copy->keep_singleton = true;
            result = value::array(copy);
        }
    }
    if (expr->group) result = evaluate_group(expr->group, tuple_stream ? tuples : result, env);
    return result;
}

value evaluator::evaluate_step(const node_ptr& step, const value& input_sequence, const frame_ptr& env, bool last_step) {
    if (step->type == node::kind::sort) {
        value sorted = evaluate_sort(step, input_sequence, env);
        return evaluate_stages(step->stages, sorted, env);
    }
    // Results are flattened into one sequence as they come; a last step with a single array result
    // that is not a sequence returns that array itself.
    auto out = std::make_shared<array_value>();
    out->sequence = true;
    item_view items(input_sequence, true);
    out->items.reserve(items.size());
    value first;
    size_t count = 0;
    for (const auto& item : items) {
        value res = evaluate(step, item, env);
        for (const auto& s : step->stages) {
            if (s.what == stage::kind::filter) res = evaluate_filter(s.expression, res, env);
        }
        if (res.is_undefined()) continue;
        if (++count == 1) first = res;
        if (!res.is_array() || res.as_array().cons) {
            out->items.push_back(std::move(res));
        } else {
            const auto& inner = res.as_array().items;
            out->items.insert(out->items.end(), inner.begin(), inner.end());
        }
    }
    if (last_step && count == 1 && first.is_array() && !is_sequence(first)) return first;
    return value::array(out);
}

value evaluator::evaluate_tuple_step(const node_ptr& step, const value& input_sequence, const value& tuples, const frame_ptr& env) {
    if (step->type == node::kind::sort) {
        value result;
        if (!tuples.is_undefined()) {
            result = evaluate_sort(step, tuples, env);
        } else {
            value sorted = evaluate_sort(step, input_sequence, env);
            result = make_sequence();
            result.as_array().tuple_stream = true;
            size_t i = 0;
            for (const auto& item : items_of(sorted)) {
                value t = make_object();
                t.as_object().set("@", item);
                if (!step->index.empty()) t.as_object().set(step->index, value::number(double(i)));
                result.as_array().items.push_back(t);
                ++i;
            }
        }
        return evaluate_stages(step->stages, result, env);
    }
    std::vector<value> bindings;
    if (tuples.is_undefined()) {
        for (const auto& item : items_of(input_sequence)) {
            value t = make_object();
            t.as_object().set("@", item);
            bindings.push_back(t);
        }
    } else {
        bindings = tuples.as_array().items;
    }
    value result = make_sequence();
    result.as_array().tuple_stream = true;
    for (const auto& binding : bindings) {
        frame_ptr step_env = frame_from_tuple(env, binding);
        value res = evaluate(step, tuple_get(binding, "@"), step_env);
        if (res.is_undefined()) continue;
        bool res_tuples = res.is_array() && res.as_array().tuple_stream;
        std::vector<value> items = res.is_array() ? res.as_array().items : std::vector<value>{res};
        for (size_t b = 0; b < items.size(); ++b) {
            auto t = std::make_shared<object_value>(binding.as_object());
            if (res_tuples) {
                for (const auto& [k, v] : items[b].as_object().entries) t->set(k, v);
            } else {
                if (!step->focus.empty()) {
                    t->set(step->focus, items[b]);
                    t->set("@", tuple_get(binding, "@"));
                } else {
                    t->set("@", items[b]);
                }
                if (!step->index.empty()) t->set(step->index, value::number(double(b)));
                for (const auto& label : step->ancestor_labels) t->set(label, tuple_get(binding, "@"));
            }
            result.as_array().items.push_back(value::object(t));
        }
    }
    return evaluate_stages(step->stages, result, env);
}

value evaluator::evaluate_stages(const std::vector<stage>& stages, value input, const frame_ptr& env) {
    for (const auto& s : stages) {
        if (s.what == stage::kind::filter) {
            input = evaluate_filter(s.expression, input, env);
        } else if (input.is_array()) {
            auto copy = std::make_shared<array_value>(*input.array_ptr());
            for (size_t i = 0; i < copy->items.size(); ++i) {
                auto t = std::make_shared<object_value>(copy->items[i].as_object());
                t->set(s.variable, value::number(double(i)));
                copy->items[i] = value::object(t);
            }
            input = value::array(copy);
        }
    }
    return input;
}

value evaluator::evaluate_filter(const node_ptr& predicate, const value& input, const frame_ptr& env) {
    auto out = std::make_shared<array_value>();
    out->sequence = true;
    bool tuples = input.is_array() && input.as_array().tuple_stream;
    out->tuple_stream = tuples;
    item_view items(input);
    if (predicate->type == node::kind::number) {
        auto index = static_cast<long long>(std::floor(predicate->number));
        if (index < 0) index += static_cast<long long>(items.size());
        if (index >= 0 && index < static_cast<long long>(items.size())) {
            const value& item = items[static_cast<size_t>(index)];
            if (item.is_array()) return item;
            out->items.push_back(item);
        }
        return value::array(out);
    }
    for (size_t i = 0; i < items.size(); ++i) {
        const value& item = items[i];
        value context = tuples ? tuple_get(item, "@") : item;
        frame_ptr scope = tuples ? frame_from_tuple(env, item) : env;
        value res = evaluate(predicate, context, scope);
        if (res.is_number() && is_numeric(res)) res = make_array({res});
        if (is_array_of_numbers(res) && !res.as_array().items.empty()) {
            for (const auto& n : res.as_array().items) {
                auto index = static_cast<long long>(std::floor(n.as_number()));
                if (index < 0) index += static_cast<long long>(items.size());
                if (index == static_cast<long long>(i)) out->items.push_back(item);
            }
        } else if (truthy(res)) {
            out->items.push_back(item);
        }
    }
    return value::array(out);
}

value evaluator::evaluate_binary(const node_ptr& expr, const value& input, const frame_ptr& env) {
    const std::string& op = expr->text;
    if (op == "and" || op == "or") {
        bool left = truthy(evaluate(expr->lhs, input, env));
        if (op == "and") return value::boolean(left && truthy(evaluate(expr->rhs, input, env)));
        return value::boolean(left || truthy(evaluate(expr->rhs, input, env)));
    }
    value lhs = evaluate(expr->lhs, input, env);
    if (op == "??") return lhs.is_undefined() ? evaluate(expr->rhs, input, env) : lhs;
    if (op == "?:") return truthy(lhs) ? lhs : evaluate(expr->rhs, input, env);
    value rhs = evaluate(expr->rhs, input, env);
    if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") {
        if (!lhs.is_undefined() && !is_numeric(lhs)) {
            throw error("T2001", expr->position, "The left side of the " + op + " operator must evaluate to a number", op);
        }
        if (!rhs.is_undefined() && !is_numeric(rhs)) {
            throw error("T2002", expr->position, "The right side of the " + op + " operator must evaluate to a number", op);
        }
        if (lhs.is_undefined() || rhs.is_undefined()) return value();
        double a = lhs.as_number(), b = rhs.as_number();
        double r = op == "+" ? a + b : op == "-" ? a - b : op == "*" ? a * b : op == "/" ? a / b : std::fmod(a, b);
        return value::number(r);
    }
    if (op == "=" || op == "!=") {
        if (lhs.is_undefined() || rhs.is_undefined()) return value::boolean(false);
        bool equal = deep_equal(lhs, rhs);
        return value::boolean(op == "=" ? equal : !equal);
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
        auto comparable = [](const value& v) { return v.is_undefined() || v.is_string() || v.is_number(); };
        if (!comparable(lhs) || !comparable(rhs)) {
            throw error("T2010", expr->position, "The expressions either side of operator \"" + op + "\" must evaluate to numeric or string values", op);
        }
        if (lhs.is_undefined() || rhs.is_undefined()) return value();
        if (lhs.kind() != rhs.kind()) {
            throw error("T2009", expr->position, "The values either side of operator \"" + op + "\" must be of the same data type", op);
        }
        int c = lhs.is_number() ? (lhs.as_number() < rhs.as_number() ? -1 : lhs.as_number() > rhs.as_number() ? 1 : 0)
                                : lhs.as_string().compare(rhs.as_string());
        if (c < 0) c = -1;
        if (c > 0) c = 1;
        bool r = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
        return value::boolean(r);
    }
    if (op == "&") {
        std::string a = lhs.is_undefined() ? "" : string_of(lhs);
        std::string b = rhs.is_undefined() ? "" : string_of(rhs);
        return value::string(a + b);
    }
    if (op == "..") {
        if (!lhs.is_undefined() && (!lhs.is_number() || std::floor(lhs.as_number()) != lhs.as_number())) {
            throw error("T2003", expr->position, "The left side of the range operator (..) must evaluate to an integer");
        }
        if (!rhs.is_undefined() && (!rhs.is_number() || std::floor(rhs.as_number()) != rhs.as_number())) {
            throw error("T2004", expr->position, "The right side of the range operator (..) must evaluate to an integer");
        }
        if (lhs.is_undefined() || rhs.is_undefined()) return value();
        double from = lhs.as_number(), to = rhs.as_number();
        if (from > to) return value();
        if (to - from + 1 > 1e7) {
            throw error("D2014", expr->position, "The size of the sequence allocated by the range operator (..) must not exceed 1e7");
        }
        std::vector<value> items;
        items.reserve(static_cast<size_t>(to - from + 1));
        for (double i = from; i <= to; ++i) items.push_back(value::number(i));
        return make_array(std::move(items));
    }
    if (op == "in") {
        if (lhs.is_undefined() || rhs.is_undefined()) return value::boolean(false);
        for (const auto& item : items_of(rhs)) {
            if (deep_equal(item, lhs)) return value::boolean(true);
        }
        return value::boolean(false);
    }
    throw error("S0204", expr->position, "Unknown operator: " + op, op);
}

value evaluator::evaluate_group(const node_ptr& group, const value& input, const frame_ptr& env) {
    bool tuples = input.is_array() && input.as_array().tuple_stream;
    std::vector<value> items = input.is_array() ? input.as_array().items : std::vector<value>{input};
    if (items.empty()) items.push_back(value());
    struct slot {
        value data;
        size_t pair_index;
    };
    std::vector<std::pair<std::string, slot>> groups;
    for (const auto& item : items) {
        frame_ptr scope = tuples ? frame_from_tuple(env, item) : env;
        value context = tuples ? tuple_get(item, "@") : item;
        for (size_t p = 0; p < group->pairs.size(); ++p) {
            value key = evaluate(group->pairs[p].first, context, scope);
            if (key.is_undefined()) continue;
            if (!key.is_string()) {
                throw error("T1003", group->position, "Key in object structure must evaluate to a string; got: " + string_of(key));
            }
            auto found = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key.as_string(); });
            if (found == groups.end()) {
                groups.push_back({key.as_string(), slot{item, p}});
            } else {
                if (found->second.pair_index != p) {
                    throw error("D1009", group->position, "Multiple key definitions evaluate to same key: " + key.as_string());
                }
                found->second.data = append(found->second.data, item);
            }
        }
    }
    value result = make_object();
    result.as_object().entries.reserve(groups.size());
    for (auto& [key, s] : groups) {
        value context = s.data;
        frame_ptr scope = env;
        if (tuples) {
            // Reduce the group's tuples: each variable takes the sequence of its values.
            auto reduced = std::make_shared<object_value>();
            for (const auto& t : items_of(s.data)) {
                for (const auto& [k, v] : t.as_object().entries) {
                    const value* existing = reduced->find(k);
                    reduced->set(k, existing ? append(*existing, v) : v);
                }
            }
            const value* focus = reduced->find("@");
            context = focus ? *focus : value();
            reduced->erase("@");
            scope = frame_from_tuple(env, value::object(reduced));
        }
        value v = evaluate(group->pairs[s.pair_index].second, context, scope);
        if (!v.is_undefined()) result.as_object().entries.emplace_back(key, std::move(v));  // keys are unique here
    }
    return result;
}

value evaluator::evaluate_sort(const node_ptr& sort, const value& input, const frame_ptr& env) {
    if (input.is_undefined()) return value();
    bool tuples = input.is_array() && input.as_array().tuple_stream;
    std::vector<value> items = items_of(input);
    struct keyed {
        value item;
        std::vector<value> keys;
    };
    std::vector<keyed> rows;
    for (const auto& item : items) {
        keyed row{item, {}};
        frame_ptr scope = tuples ? frame_from_tuple(env, item) : env;
        value context = tuples ? tuple_get(item, "@") : item;
        for (const auto& term : sort->terms) row.keys.push_back(evaluate(term.expression, context, scope));
        rows.push_back(std::move(row));
    }
    auto less = [&](const keyed& a, const keyed& b) {
        for (size_t t = 0; t < sort->terms.size(); ++t) {
            const value& x = a.keys[t];
            const value& y = b.keys[t];
            if (x.is_undefined() && y.is_undefined()) continue;
            if (x.is_undefined()) return false;  // undefined sorts last
            if (y.is_undefined()) return true;
            if (!(x.is_number() || x.is_string()) || !(y.is_number() || y.is_string())) {
                throw error("T2008", sort->position, "The expressions within an order-by clause must evaluate to numeric or string values");
            }
            if (x.kind() != y.kind()) {
                throw error("T2007", sort->position, "Type mismatch when comparing values in order-by clause");
            }
            int c = x.is_number() ? (x.as_number() < y.as_number() ? -1 : x.as_number() > y.as_number() ? 1 : 0)
                                  : x.as_string().compare(y.as_string());
            if (c == 0) continue;
            return sort->terms[t].descending ? c > 0 : c < 0;
        }
        return false;
    };
    std::stable_sort(rows.begin(), rows.end(), less);
    auto out = std::make_shared<array_value>();
    out->sequence = true;
    out->tuple_stream = tuples;
    for (auto& row : rows) out->items.push_back(std::move(row.item));
    return value::array(out);
}

bool evaluator::library_has(const std::string& name) const {
    const value* v = globals ? globals->lookup(name) : nullptr;
    return v && v->is_function();
}

value evaluator::evaluate_call(const node_ptr& expr, const value& input, const frame_ptr& env) {
    value procedure = evaluate(expr->lhs, input, env);
    if (!procedure.is_function()) {
        // A bare name that is not a function was probably meant as a $function.
        if (expr->lhs->type == node::kind::path && expr->lhs->items.size() == 1 && expr->lhs->items[0]->type == node::kind::name &&
            library_has(expr->lhs->items[0]->text)) {
            const std::string& name = expr->lhs->items[0]->text;
            throw error("T1005", expr->position, "Attempted to invoke a non-function. Did you mean ${" + name + "}?", name);
        }
        throw error("T1006", expr->position, "Attempted to invoke a non-function");
    }
    std::vector<value> args;
    for (const auto& a : expr->items) args.push_back(evaluate(a, input, env));
    return apply(procedure, std::move(args), input, expr->position);
}

value evaluator::evaluate_partial(const node_ptr& expr, const value& input, const frame_ptr& env) {
    value procedure = evaluate(expr->lhs, input, env);
    if (!procedure.is_function()) {
        std::string name = expr->lhs->type == node::kind::path && expr->lhs->items.size() == 1 ? expr->lhs->items[0]->text : "";
        if (!name.empty() && library_has(name)) {
            throw error("T1007", expr->position, "Attempted to partially apply a non-function. Did you mean ${" + name + "}?");
        }
        throw error("T1008", expr->position, "Attempted to partially apply a non-function");
    }
    auto f = std::make_shared<function_value>();
    f->type = function_value::kind::partial;
    f->base = procedure;
    for (const auto& a : expr->items) {
        bool hole = a->type == node::kind::placeholder;
        f->placeholder.push_back(hole);
        f->bound.push_back(hole ? value() : evaluate(a, input, env));
    }
    return value::function(f);
}

value evaluator::evaluate_apply(const node_ptr& expr, const value& input, const frame_ptr& env) {
    value lhs = evaluate(expr->lhs, input, env);
    if (expr->rhs->type == node::kind::call) {
        value procedure = evaluate(expr->rhs->lhs, input, env);
        if (!procedure.is_function()) throw error("T2006", expr->position, "The right side of the function application operator ~> must be a function");
        std::vector<value> args{lhs};
        for (const auto& a : expr->rhs->items) args.push_back(evaluate(a, input, env));
        return apply(procedure, std::move(args), input, expr->position);
    }
    value func = evaluate(expr->rhs, input, env);
    if (!func.is_function()) throw error("T2006", expr->position, "The right side of the function application operator ~> must be a function");
    if (lhs.is_function()) {
        // Function composition: $f ~> $g is λ($x){ $g($f($x)) }.
        auto composed = std::make_shared<function_value>();
        composed->type = function_value::kind::native;
        composed->name = "composition";
        composed->native_arity = 1;
        composed->impl = [first = lhs, second = func](evaluator& ev, std::vector<value>& args, const value& in, size_t pos) {
            value mid = ev.apply(first, args, in, pos);
            return ev.apply(second, {mid}, in, pos);
        };
        return value::function(composed);
    }
    return apply(func, {lhs}, input, expr->position);
}

value evaluator::evaluate_transform(const node_ptr& expr, const value&, const frame_ptr& env) {
    auto f = std::make_shared<function_value>();
    f->type = function_value::kind::native;
    f->name = "transform";
    f->native_arity = 1;
    f->impl = [expr, env](evaluator& ev, std::vector<value>& args, const value&, size_t) {
        value obj = args.empty() ? value() : args[0];
        if (obj.is_undefined()) return value();
        value result = deep_clone(obj);
        value matches = ev.evaluate(expr->lhs, result, env);
        for (const auto& match : items_of(matches)) {
            if (!match.is_object()) continue;
            value update = ev.evaluate(expr->rhs, match, env);
            if (!update.is_undefined()) {
                if (!update.is_object()) {
                    throw error("T2011", expr->position, "The insert/update clause of the transform expression must evaluate to an object");
                }
                for (const auto& [k, v] : update.as_object().entries) match.as_object().set(k, v);
            }
            if (expr->third) {
                value del = ev.evaluate(expr->third, match, env);
                if (del.is_undefined()) continue;
                for (const auto& key : items_of(del)) {
                    if (!key.is_string()) {
                        throw error("T2012", expr->position, "The delete clause of the transform expression must evaluate to a string or array of strings");
                    }
                    match.as_object().erase(key.as_string());
                }
            }
        }
        return result;
    };
    return value::function(f);
}

value evaluator::apply(const value& procedure, std::vector<value> args, const value& input, size_t position) {
    if (!procedure.is_function()) throw error("T1006", position, "Attempted to invoke a non-function");
    function_value& f = procedure.as_function();
    switch (f.type) {
        case function_value::kind::lambda:
            return apply_lambda(f, std::move(args), input, position);
        case function_value::kind::native: {
            if (f.sig) args = f.sig->validate(std::move(args), input, f.name, position);
            return f.impl(*this, args, input, position);
        }
        case function_value::kind::partial: {
            std::vector<value> full;
            size_t next = 0;
            for (size_t i = 0; i < f.bound.size(); ++i) {
                if (f.placeholder[i]) {
                    full.push_back(next < args.size() ? args[next] : value());
                    ++next;
                } else {
                    full.push_back(f.bound[i]);
                }
            }
            return apply(f.base, std::move(full), input, position);
        }
        case function_value::kind::regex: {
            value text = args.empty() ? value() : args[0];
            if (!text.is_string()) return value();
            return regex_match_at(*this, f, text.as_string(), 0);
        }
    }
    return value();
}

value evaluator::apply_lambda(const function_value& f, std::vector<value> args, const value& input, size_t position) {
    const function_value* current = &f;
    value holder;  // keeps the function of a tail call alive while it runs
    std::vector<value> current_args = std::move(args);
    for (;;) {
        if (current->sig) current_args = current->sig->validate(std::move(current_args), input, "", position);
        auto scope = std::make_shared<frame>();
        scope->parent = current->closure;
        const auto& params = current->definition->params;
        for (size_t i = 0; i < params.size(); ++i) scope->vars[params[i]] = i < current_args.size() ? current_args[i] : value();
        const node_ptr& body = current->definition->lhs;
        // A body whose value is a call: evaluate the call's parts here and loop instead of recursing.
        node_ptr tail = body;
        value context = current->captured_input;
        while (tail->type == node::kind::condition) {
            value condition = evaluate(tail->lhs, context, scope);
            node_ptr branch = truthy(condition) ? tail->rhs : tail->third;
            if (!branch) return value();
            tail = branch;
        }
        if (tail->type != node::kind::call || !tail->thunk) return evaluate(tail, context, scope);
        value procedure = evaluate(tail->lhs, context, scope);
        if (!procedure.is_function()) return evaluate(tail, context, scope);  // raises the right error
        std::vector<value> next_args;
        for (const auto& a : tail->items) next_args.push_back(evaluate(a, context, scope));
        if (procedure.as_function().type != function_value::kind::lambda) {
            return apply(procedure, std::move(next_args), context, tail->position);
        }
        check_limits(position);
        holder = procedure;
        current = &holder.as_function();
        current_args = std::move(next_args);
    }
}

}  // namespace ferry::mapping::jsonata
