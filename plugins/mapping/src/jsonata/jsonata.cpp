#include "jsonata/jsonata.hpp"

#include "jsonata/evaluator.hpp"

#include <boost/json.hpp>

namespace ferry::mapping::jsonata {

namespace {

// The function library, built once and shared read-only by every evaluation.
const frame_ptr& library() {
    static const frame_ptr globals = [] {
        auto f = std::make_shared<frame>();
        install_functions(*f);
        return f;
    }();
    return globals;
}

}  // namespace

expression expression::compile(const std::string& text) {
    expression e;
    e.text_ = text;
    e.tree_ = parse(text);
    return e;
}

value expression::evaluate(const value& input, const std::vector<std::pair<std::string, value>>& bindings,
                           evaluation_limits lim) const {
    evaluator ev(limits{lim.max_depth, lim.timeout_ms}, input);
    auto env = std::make_shared<frame>();
    env->parent = library();
    for (const auto& [name, v] : bindings) env->vars[name] = v;
    env->vars["$"] = input;
    ev.globals = env;
    value context = input;
    if (input.is_array() && !is_sequence(input)) {
        // An input array is one input, not a sequence of inputs.
        auto wrapper = std::make_shared<array_value>();
        wrapper->items.push_back(input);
        wrapper->sequence = true;
        wrapper->outer_wrapper = true;
        context = value::array(wrapper);
    }
    return ev.evaluate(tree_, context, env);
}

value from_json(const boost::json::value& json) {
    switch (json.kind()) {
        case boost::json::kind::null: return value::null();
        case boost::json::kind::bool_: return value::boolean(json.get_bool());
        case boost::json::kind::int64: return value::number(double(json.get_int64()));
        case boost::json::kind::uint64: return value::number(double(json.get_uint64()));
        case boost::json::kind::double_: return value::number(json.get_double());
        case boost::json::kind::string: return value::string(std::string(json.get_string()));
        case boost::json::kind::array: {
            auto out = std::make_shared<array_value>();
            out->items.reserve(json.get_array().size());
            for (const auto& item : json.get_array()) out->items.push_back(from_json(item));
            return value::array(out);
        }
        case boost::json::kind::object: {
            auto out = std::make_shared<object_value>();
            out->entries.reserve(json.get_object().size());
            for (const auto& member : json.get_object()) out->entries.emplace_back(std::string(member.key()), from_json(member.value()));
            return value::object(out);
        }
    }
    return value();
}

boost::json::value to_json(const value& v) {
    switch (v.kind()) {
        case value::type::undefined:
        case value::type::null: return nullptr;
        case value::type::boolean: return v.as_boolean();
        case value::type::number: {
            double n = v.as_number();
            if (std::floor(n) == n && std::fabs(n) < 9e15) return static_cast<int64_t>(n);
            return n;
        }
        case value::type::string: return boost::json::string(v.as_string());
        case value::type::function: return "";
        case value::type::array: {
            boost::json::array out;
            for (const auto& item : v.as_array().items) {
                if (!item.is_undefined()) out.push_back(to_json(item));
            }
            return out;
        }
        case value::type::object: {
            boost::json::object out;
            for (const auto& [k, item] : v.as_object().entries) {
                if (!item.is_undefined()) out[k] = to_json(item);
            }
            return out;
        }
    }
    return nullptr;
}

}  // namespace ferry::mapping::jsonata
