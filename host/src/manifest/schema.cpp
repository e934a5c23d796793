#include "manifest/schema.hpp"

#include "manifest/json_source.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <regex>

namespace ferry::host {

namespace json = boost::json;

namespace {

std::string type_of(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "boolean";
        case json::kind::int64:
        case json::kind::uint64: return "integer";
        case json::kind::double_: return std::trunc(v.get_double()) == v.get_double() ? "integer" : "number";
        case json::kind::string: return "string";
        case json::kind::array: return "array";
        case json::kind::object: return "object";
    }
    return "unknown";
}

bool matches_type(const json::value& v, std::string_view type) {
    std::string actual = type_of(v);
    return actual == type || (type == "number" && actual == "integer");
}

double as_number(const json::value& v) {
    if (v.is_int64()) return double(v.get_int64());
    if (v.is_uint64()) return double(v.get_uint64());
    return v.is_double() ? v.get_double() : 0.0;
}

std::string list_of(const json::array& values) {
    std::string out;
    for (const auto& v : values) {
        if (!out.empty()) out += ", ";
        out += json::serialize(v);
    }
    return out;
}

size_t utf8_length(std::string_view s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xc0) != 0x80; }));
}

std::string number_text(double d) {
    if (std::trunc(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    return json::serialize(json::value(d));
}

class validator {
public:
    explicit validator(std::vector<schema_problem>& problems) : problems_(problems) {}

    void check(const json::value& v, const json::value& schema_value, const std::string& ptr) {
        if (schema_value.is_bool()) {
            if (!schema_value.get_bool()) add(ptr, "no value is allowed here");
            return;
        }
        if (!schema_value.is_object()) return;
        const json::object& s = schema_value.get_object();

        if (const json::value* type = s.if_contains("type")) {
            std::vector<std::string> allowed;
            if (type->is_string()) allowed.emplace_back(type->get_string());
            if (type->is_array()) {
                for (const auto& t : type->get_array()) {
                    if (t.is_string()) allowed.emplace_back(t.get_string());
                }
            }
            bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& t) { return matches_type(v, t); });
            if (!ok) {
                std::string expected;
                for (const auto& t : allowed) expected += (expected.empty() ? "" : " or ") + t;
                add(ptr, "expected " + expected + ", found " + type_of(v), description(s));
                return;  // the other keywords would only repeat the same mistake
            }
        }
        if (const json::value* e = s.if_contains("enum"); e && e->is_array()) {
            const json::array& values = e->get_array();
            if (std::find(values.begin(), values.end(), v) == values.end()) {
                add(ptr, "value is not one of the allowed values", "one of: " + list_of(values));
            }
        }
        if (const json::value* c = s.if_contains("const"); c && *c != v) {
            add(ptr, "value must be " + json::serialize(*c));
        }
        if (v.is_object()) check_object(v.get_object(), s, ptr);
        if (v.is_array()) check_array(v.get_array(), s, ptr);
        if (v.is_number()) check_number(as_number(v), s, ptr);
        if (v.is_string()) check_string(v.get_string(), s, ptr);
        check_combinators(v, s, ptr);
    }

private:
    static std::string description(const json::object& s) {
        const json::value* d = s.if_contains("description");
        return d && d->is_string() ? std::string(d->get_string()) : std::string();
    }

    void add(const std::string& ptr, std::string message, std::string hint = {}, bool at_key = false) {
        problems_.push_back({ptr, std::move(message), std::move(hint), at_key});
    }

    void check_object(const json::object& o, const json::object& s, const std::string& ptr) {
        const json::object* properties = nullptr;
        if (const json::value* p = s.if_contains("properties"); p && p->is_object()) properties = &p->get_object();
        if (const json::value* r = s.if_contains("required"); r && r->is_array()) {
            for (const auto& name : r->get_array()) {
                if (!name.is_string() || o.contains(name.get_string())) continue;
                std::string hint;
                if (properties) {
                    if (const json::value* p = properties->if_contains(name.get_string()); p && p->is_object()) {
                        hint = description(p->get_object());
                    }
                }
                add(ptr, "missing required key \"" + std::string(name.get_string()) + "\"", hint);
            }
        }
        const json::value* additional = s.if_contains("additionalProperties");
        for (const auto& member : o) {
            std::string child = pointer_append(ptr, member.key());
            if (properties) {
                if (const json::value* p = properties->if_contains(member.key())) {
                    check(member.value(), *p, child);
                    continue;
                }
            }
            if (!additional) continue;
            if (additional->is_bool() && !additional->get_bool()) {
                std::vector<std::string> known;
                if (properties) {
                    for (const auto& p : *properties) known.emplace_back(p.key());
                }
                std::string suggestion = closest_name(member.key(), known);
                std::string hint = suggestion.empty() ? (known.empty() ? "this object takes no keys"
                                                                       : "known keys: " + join(known))
                                                      : "did you mean \"" + suggestion + "\"?";
                add(child, "unknown key \"" + std::string(member.key()) + "\"", hint, true);
            } else {
                check(member.value(), *additional, child);
            }
        }
        if (const json::value* n = s.if_contains("minProperties"); n && n->is_number() && double(o.size()) < as_number(*n)) {
            add(ptr, "needs at least " + number_text(as_number(*n)) + " key(s)", description(s));
        }
        if (const json::value* n = s.if_contains("maxProperties"); n && n->is_number() && double(o.size()) > as_number(*n)) {
            add(ptr, "takes at most " + number_text(as_number(*n)) + " key(s)");
        }
    }

    void check_array(const json::array& a, const json::object& s, const std::string& ptr) {
        if (const json::value* items = s.if_contains("items")) {
            for (size_t i = 0; i < a.size(); ++i) check(a[i], *items, ptr + "/" + std::to_string(i));
        }
        if (const json::value* n = s.if_contains("minItems"); n && n->is_number() && double(a.size()) < as_number(*n)) {
            add(ptr, "needs at least " + number_text(as_number(*n)) + " item(s)", description(s));
        }
        if (const json::value* n = s.if_contains("maxItems"); n && n->is_number() && double(a.size()) > as_number(*n)) {
            add(ptr, "takes at most " + number_text(as_number(*n)) + " item(s)");
        }
    }

    void check_number(double d, const json::object& s, const std::string& ptr) {
        auto bound = [&](const char* key) -> const json::value* {
            const json::value* b = s.if_contains(key);
            return b && b->is_number() ? b : nullptr;
        };
        if (auto b = bound("minimum"); b && d < as_number(*b)) add(ptr, "must be at least " + number_text(as_number(*b)));
        if (auto b = bound("maximum"); b && d > as_number(*b)) add(ptr, "must be at most " + number_text(as_number(*b)));
        if (auto b = bound("exclusiveMinimum"); b && d <= as_number(*b)) add(ptr, "must be greater than " + number_text(as_number(*b)));
        if (auto b = bound("exclusiveMaximum"); b && d >= as_number(*b)) add(ptr, "must be less than " + number_text(as_number(*b)));
    }

    void check_string(std::string_view text, const json::object& s, const std::string& ptr) {
        size_t length = utf8_length(text);
        if (const json::value* n = s.if_contains("minLength"); n && n->is_number() && double(length) < as_number(*n)) {
            add(ptr, "must be at least " + number_text(as_number(*n)) + " character(s) long", description(s));
        }
        if (const json::value* n = s.if_contains("maxLength"); n && n->is_number() && double(length) > as_number(*n)) {
            add(ptr, "must be at most " + number_text(as_number(*n)) + " character(s) long");
        }
        if (const json::value* p = s.if_contains("pattern"); p && p->is_string()) {
            try {
                std::regex pattern(std::string(p->get_string()), std::regex::ECMAScript);
                if (!std::regex_search(text.begin(), text.end(), pattern)) {
                    add(ptr, "does not match the pattern " + std::string(p->get_string()), description(s));
                }
            } catch (const std::regex_error&) {
                add(ptr, "the schema's pattern " + std::string(p->get_string()) + " is not a valid regular expression");
            }
        }
    }

    void check_combinators(const json::value& v, const json::object& s, const std::string& ptr) {
        auto passes = [&](const json::value& sub) {
            std::vector<schema_problem> scratch;
            validator(scratch).check(v, sub, ptr);
            return scratch.empty();
        };
        if (const json::value* all = s.if_contains("allOf"); all && all->is_array()) {
            for (const auto& sub : all->get_array()) check(v, sub, ptr);
        }
        if (const json::value* any = s.if_contains("anyOf"); any && any->is_array()) {
            const json::array& subs = any->get_array();
            if (std::none_of(subs.begin(), subs.end(), passes)) add(ptr, "matches none of the allowed forms", description(s));
        }
        if (const json::value* one = s.if_contains("oneOf"); one && one->is_array()) {
            const json::array& subs = one->get_array();
            auto count = std::count_if(subs.begin(), subs.end(), passes);
            if (count == 0) add(ptr, "matches none of the allowed forms", description(s));
            if (count > 1) add(ptr, "matches more than one of the allowed forms", description(s));
        }
    }

    static std::string join(const std::vector<std::string>& names) {
        std::string out;
        for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
        return out;
    }

    std::vector<schema_problem>& problems_;
};

void collect_secrets(const json::value& v, const json::value& schema, const std::string& ptr, std::vector<std::string>& out) {
    if (!schema.is_object()) return;
    const json::object& s = schema.get_object();
    if (const json::value* secret = s.if_contains("secret"); secret && secret->is_bool() && secret->get_bool()) {
        out.push_back(ptr);
        return;
    }
    if (v.is_object()) {
        const json::value* properties = s.if_contains("properties");
        const json::value* additional = s.if_contains("additionalProperties");
        for (const auto& member : v.get_object()) {
            const json::value* sub = nullptr;
            if (properties && properties->is_object()) sub = properties->get_object().if_contains(member.key());
            if (!sub) sub = additional;
            if (sub) collect_secrets(member.value(), *sub, pointer_append(ptr, member.key()), out);
        }
    } else if (v.is_array()) {
        if (const json::value* items = s.if_contains("items")) {
            const json::array& a = v.get_array();
            for (size_t i = 0; i < a.size(); ++i) collect_secrets(a[i], *items, ptr + "/" + std::to_string(i), out);
        }
    }
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

void validate_schema(const json::value& instance, const json::value& schema, const std::string& pointer,
                     std::vector<schema_problem>& problems) {
    validator(problems).check(instance, schema, pointer);
}

std::vector<std::string> secret_pointers(const json::value& instance, const json::value& schema) {
    std::vector<std::string> out;
    collect_secrets(instance, schema, "", out);
    return out;
}

json::value redact_secrets(const json::value& instance, const json::value& schema) {
    json::value copy = instance;
    for (const auto& ptr : secret_pointers(instance, schema)) {
        boost::system::error_code ec;
        if (json::value* target = copy.find_pointer(ptr, ec)) *target = "********";
    }
    return copy;
}

std::string closest_name(std::string_view name, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_distance = 3;
    for (const auto& candidate : candidates) {
        size_t d = edit_distance(name, candidate);
        bool prefix = name.size() >= 3 && candidate.rfind(name, 0) == 0;
        if (prefix) d = std::min<size_t>(d, 1);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

}  // namespace ferry::host
