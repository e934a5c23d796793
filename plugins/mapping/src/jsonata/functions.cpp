// The JSONata function library and function signatures.
#include "jsonata/evaluator.hpp"
#include "jsonata/text.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <random>

namespace ferry::mapping::jsonata {

namespace {

char type_char(const value& v) {
    switch (v.kind()) {
        case value::type::undefined: return 'm';
        case value::type::null: return 'l';
        case value::type::boolean: return 'b';
        case value::type::number: return 'n';
        case value::type::string: return 's';
        case value::type::array: return 'a';
        case value::type::object: return 'o';
        case value::type::function: return 'f';
    }
    return '?';
}

bool accepts(const std::string& types, const value& v) {
    if (types.empty()) return true;
    char c = type_char(v);
    for (char t : types) {
        if (t == c || t == 'x') return true;
        if (t == 'j' && c != 'f') return true;
        if (t == 'u' && (c == 'b' || c == 'n' || c == 's' || c == 'l')) return true;
    }
    return false;
}

const value& arg(const std::vector<value>& args, size_t i) {
    static const value missing;
    return i < args.size() ? args[i] : missing;
}

value number_result(double n, size_t position) {
    if (!std::isfinite(n)) throw error("D1001", position, "Number out of range");
    return value::number(n);
}

// Calls a user function with as many of (value, index, array) as it takes.
value call_with(evaluator& ev, const value& f, const value& item, size_t index, const value& all, const value& input,
                size_t position) {
    size_t arity = f.as_function().arity();
    std::vector<value> args{item};
    if (arity >= 2 || f.as_function().type == function_value::kind::native) args.push_back(value::number(double(index)));
    if (arity >= 3 || f.as_function().type == function_value::kind::native) args.push_back(all);
    if (f.as_function().type == function_value::kind::native) args.resize(std::max<size_t>(1, std::min(arity, args.size())));
    return ev.apply(f, std::move(args), input, position);
}

}  // namespace

double round_half_even(double n, int precision) {
    double factor = std::pow(10.0, precision);
    double scaled = n * factor;
    // A tie within binary noise (2.675 is stored as 2.67499...) is decided as the decimal text means it.
    double rounded = std::round(scaled);
    double diff = std::fabs(scaled - std::trunc(scaled));
    if (std::fabs(diff - 0.5) < 1e-9 * std::max(1.0, std::fabs(scaled))) {
        double down = std::floor(scaled);
        rounded = std::fmod(down, 2.0) == 0 ? down : down + 1;
    }
    return rounded / factor;
}

signature signature::parse(const std::string& text) {
    signature sig;
    sig.text = text;
    size_t i = text.find('<');
    if (i == std::string::npos) return sig;
    ++i;
    // The parameters end at the ':' of the return type, at nesting depth 0.
    int depth = 0;
    size_t end = text.size();
    for (size_t k = i; k < text.size(); ++k) {
        if (text[k] == '<' || text[k] == '(') ++depth;
        if (text[k] == '>' || text[k] == ')') --depth;
        if (text[k] == ':' && depth == 0) {
            end = k;
            break;
        }
        if (depth < 0) {
            end = k;
            break;
        }
    }
    while (i < end) {
        char c = text[i];
        if (c == '?' || c == '+' || c == '-') {
            if (!sig.params.empty()) {
                if (c == '?') sig.params.back().optional = true;
                if (c == '+') sig.params.back().variadic = true;
                if (c == '-') sig.params.back().context = true;
            }
            ++i;
            continue;
        }
        param p;
        if (c == '(') {
            size_t close = text.find(')', i);
            p.types = text.substr(i + 1, close - i - 1);
            i = close + 1;
        } else {
            p.types = std::string(1, c);
            ++i;
        }
        if (i < end && text[i] == '<') {
            int d = 1;
            size_t k = i + 1;
            while (k < text.size() && d > 0) {
                if (text[k] == '<') ++d;
                if (text[k] == '>') --d;
                ++k;
            }
            p.item_type = text.substr(i + 1, k - i - 2);
            i = k;
        }
        sig.params.push_back(p);
    }
    return sig;
}

namespace {

// Does a parameter take this argument? An 'a' parameter takes anything (a single value becomes an
// array of one); every parameter takes undefined.
bool param_takes(const signature::param& p, const value& v) {
    return v.is_undefined() || p.types.find('a') != std::string::npos || accepts(p.types, v);
}

// Assigns arguments to parameters the way a regular expression over their types would: each
// parameter takes one argument, an optional or '-' parameter may take none, a '+' parameter one or
// more. Fills `counts` and returns true when the whole list fits.
bool assign(const std::vector<signature::param>& params, const std::vector<value>& args, size_t p, size_t i,
            std::vector<size_t>& counts) {
    if (p == params.size()) return i == args.size();
    const signature::param& prm = params[p];
    if (prm.variadic) {
        size_t most = i;
        while (most < args.size() && param_takes(prm, args[most])) ++most;
        for (size_t end = most; end >= i + (prm.optional ? 0 : 1) && end != size_t(-1); --end) {
            counts[p] = end - i;
            if (assign(params, args, p + 1, end, counts)) return true;
            if (end == 0) break;
        }
        return false;
    }
    if (i < args.size() && param_takes(prm, args[i])) {
        counts[p] = 1;
        if (assign(params, args, p + 1, i + 1, counts)) return true;
    }
    if (prm.optional || prm.context) {
        counts[p] = 0;
        return assign(params, args, p + 1, i, counts);
    }
    return false;
}

}  // namespace

std::vector<value> signature::validate(std::vector<value> args, const value& input, const std::string& function_name,
                                       size_t position) const {
    // The usual call: one argument per parameter, each of a type the parameter takes as it is.
    if (args.size() == params.size()) {
        bool direct = true;
        for (size_t p = 0; p < params.size() && direct; ++p) {
            const param& prm = params[p];
            const value& a = args[p];
            direct = !prm.variadic && (a.is_undefined() || accepts(prm.types, a)) && (prm.item_type.empty() || !a.is_array());
        }
        if (direct) return args;
    }
    std::vector<size_t> counts(params.size(), 0);
    if (!assign(params, args, 0, 0, counts)) {
        // Name the first argument that cannot be placed.
        size_t bad = 0;
        while (bad < args.size() && bad < params.size() && param_takes(params[bad], args[bad])) ++bad;
        throw error("T0410", position,
                    "Argument " + std::to_string(bad + 1) + " of function " + function_name + " does not match function signature");
    }
    std::vector<value> out;
    size_t next = 0;
    for (size_t p = 0; p < params.size(); ++p) {
        const param& prm = params[p];
        if (counts[p] == 0) {
            if (prm.context) {
                value context = input;
                if (context.is_array() && context.as_array().outer_wrapper && !context.as_array().items.empty()) {
                    context = context.as_array().items[0];
                }
                if (!context.is_undefined() && !accepts(prm.types, context)) {
                    throw error("T0411", position,
                                "Context value is not a compatible type with argument " + std::to_string(p + 1) + " of function " +
                                    function_name);
                }
                out.push_back(context);
            } else if (!prm.variadic) {
                out.push_back(value());
            }
            continue;
        }
        for (size_t k = 0; k < counts[p]; ++k, ++next) {
            value a = args[next];
            if (!a.is_undefined() && !accepts(prm.types, a)) a = make_array({a});  // an 'a' parameter
            if (a.is_array() && !prm.item_type.empty()) {
                for (const auto& item : a.as_array().items) {
                    if (!accepts(prm.item_type, item)) {
                        throw error("T0412", position,
                                    "Argument " + std::to_string(next + 1) + " of function " + function_name + " must be an array of " +
                                        prm.item_type);
                    }
                }
            }
            out.push_back(a);
        }
    }
    return out;
}

value make_native(const std::string& name, const std::string& sig, native_function impl) {
    auto f = std::make_shared<function_value>();
    f->type = function_value::kind::native;
    f->name = name;
    f->impl = std::move(impl);
    if (!sig.empty()) {
        f->sig = signature::parse(sig);
        f->native_arity = f->sig->params.size();
    }
    return value::function(f);
}

value regex_match_at(evaluator& ev, const function_value& re, const std::string& text, size_t start) {
    std::smatch m;
    auto begin = text.begin() + static_cast<std::ptrdiff_t>(std::min(start, text.size()));
    if (!std::regex_search(begin, text.end(), m, *re.pattern)) return value();
    if (m.length(0) == 0) throw error("D1004", 0, "Regular expression matches zero length string");
    size_t match_start = static_cast<size_t>(m.position(0)) + start;
    size_t match_end = match_start + static_cast<size_t>(m.length(0));
    value result = make_object();
    auto& o = result.as_object();
    o.set("match", value::string(m.str(0)));
    o.set("start", value::number(double(match_start)));
    o.set("end", value::number(double(match_end)));
    std::vector<value> groups;
    for (size_t g = 1; g < m.size(); ++g) groups.push_back(value::string(m[g].matched ? m.str(g) : ""));
    o.set("groups", make_array(std::move(groups)));
    auto holder = std::make_shared<function_value>(re);
    o.set("next", make_native("next", "", [holder, text, match_end](evaluator& e, std::vector<value>&, const value&, size_t) {
              return regex_match_at(e, *holder, text, match_end);
          }));
    (void)ev;
    return result;
}

void install_functions(frame& g) {
    auto def = [&](const std::string& name, const std::string& sig, native_function impl) {
        g.vars[name] = make_native(name, sig, std::move(impl));
    };
    using args_t = std::vector<value>;

    // -- aggregation
    def("sum", "<a<n>:n>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        double total = 0;
        for (const auto& v : items_of(a[0])) total += v.as_number();
        return number_result(total, pos);
    });
    def("count", "<a:n>", [](evaluator&, args_t& a, const value&, size_t) {
        return value::number(double(items_of(arg(a, 0)).size()));
    });
    def("max", "<a<n>:n>", [](evaluator&, args_t& a, const value&, size_t) {
        auto items = items_of(arg(a, 0));
        if (items.empty()) return value();
        double best = items[0].as_number();
        for (const auto& v : items) best = std::max(best, v.as_number());
        return value::number(best);
    });
    def("min", "<a<n>:n>", [](evaluator&, args_t& a, const value&, size_t) {
        auto items = items_of(arg(a, 0));
        if (items.empty()) return value();
        double best = items[0].as_number();
        for (const auto& v : items) best = std::min(best, v.as_number());
        return value::number(best);
    });
    def("average", "<a<n>:n>", [](evaluator&, args_t& a, const value&, size_t) {
        auto items = items_of(arg(a, 0));
        if (items.empty()) return value();
        double total = 0;
        for (const auto& v : items) total += v.as_number();
        return value::number(total / double(items.size()));
    });

    // -- strings
    def("string", "<x-b?:s>", [](evaluator&, args_t& a, const value&, size_t) {
        const value& v = arg(a, 0);
        if (v.is_undefined()) return value();
        if (v.is_string()) return v;
        if (arg(a, 1).is_boolean() && arg(a, 1).as_boolean()) return value::string(stringify(v, true));
        return value::string(string_of(v));
    });
    def("length", "<s-:n>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        return value::number(double(to_u32(a[0].as_string()).size()));
    });
    def("substring", "<s-nn?:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        std::u32string s = to_u32(a[0].as_string());
        auto len = static_cast<long long>(s.size());
        long long start = static_cast<long long>(arg(a, 1).as_number());
        if (start < 0) start = std::max(0LL, len + start);
        if (start > len) return value::string("");
        long long count = arg(a, 2).is_undefined() ? len - start : static_cast<long long>(a[2].as_number());
        if (count <= 0) return value::string("");
        return value::string(to_utf8(s.substr(static_cast<size_t>(start), static_cast<size_t>(count))));
    });
    def("substringBefore", "<s-s:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        size_t at = a[0].as_string().find(arg(a, 1).is_string() ? a[1].as_string() : "");
        return at == std::string::npos ? a[0] : value::string(a[0].as_string().substr(0, at));
    });
    def("substringAfter", "<s-s:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        const std::string& chars = arg(a, 1).is_string() ? a[1].as_string() : std::string();
        size_t at = a[0].as_string().find(chars);
        return at == std::string::npos ? a[0] : value::string(a[0].as_string().substr(at + chars.size()));
    });
    def("uppercase", "<s-:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        std::string s = a[0].as_string();
        for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return value::string(s);
    });
    def("lowercase", "<s-:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        std::string s = a[0].as_string();
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return value::string(s);
    });
    def("trim", "<s-:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        std::string out;
        bool space = false;
        for (char c : a[0].as_string()) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                space = true;
                continue;
            }
            if (space && !out.empty()) out += ' ';
            space = false;
            out += c;
        }
        return value::string(out);
    });
    def("pad", "<s-ns?:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        std::u32string s = to_u32(a[0].as_string());
        std::u32string fill = to_u32(arg(a, 2).is_string() && !a[2].as_string().empty() ? a[2].as_string() : " ");
        auto width = static_cast<long long>(arg(a, 1).as_number());
        long long missing = std::llabs(width) - static_cast<long long>(s.size());
        if (missing <= 0) return a[0];
        std::u32string padding;
        while (static_cast<long long>(padding.size()) < missing) padding += fill;
        padding.resize(static_cast<size_t>(missing));
        return value::string(to_utf8(width > 0 ? s + padding : padding + s));
    });
    def("contains", "<s-(sf):b>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined() || arg(a, 1).is_undefined()) return value();
        if (arg(a, 1).is_string()) return value::boolean(a[0].as_string().find(a[1].as_string()) != std::string::npos);
        return value::boolean(!ev.apply(a[1], {a[0]}, in, pos).is_undefined());
    });
    def("split", "<s-(sf)n?:a<s>>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        if (!arg(a, 2).is_undefined() && a[2].as_number() < 0) {
            throw error("D3020", pos, "Third argument of split function must evaluate to a positive number");
        }
        size_t limit = arg(a, 2).is_undefined() ? SIZE_MAX : static_cast<size_t>(a[2].as_number());
        const std::string& s = a[0].as_string();
        std::vector<value> parts;
        if (arg(a, 1).is_string()) {
            const std::string& sep = a[1].as_string();
            if (sep.empty()) {
                for (char32_t c : to_u32(s)) parts.push_back(value::string(to_utf8(std::u32string(1, c))));
            } else {
                size_t from = 0;
                for (;;) {
                    size_t at = s.find(sep, from);
                    parts.push_back(value::string(s.substr(from, at == std::string::npos ? std::string::npos : at - from)));
                    if (at == std::string::npos) break;
                    from = at + sep.size();
                }
            }
        } else {
            size_t from = 0;
            value m = ev.apply(a[1], {value::string(s)}, in, pos);
            while (!m.is_undefined()) {
                size_t start = static_cast<size_t>(m.as_object().find("start")->as_number());
                size_t end = static_cast<size_t>(m.as_object().find("end")->as_number());
                parts.push_back(value::string(s.substr(from, start - from)));
                from = end;
                m = ev.apply(*m.as_object().find("next"), {}, in, pos);
            }
            parts.push_back(value::string(s.substr(from)));
        }
        if (parts.size() > limit) parts.resize(limit);
        return make_array(std::move(parts));
    });
    def("join", "<a<s>s?:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        std::string sep = arg(a, 1).is_string() ? a[1].as_string() : "";
        std::string out;
        bool first = true;
        for (const auto& v : items_of(a[0])) {
            if (!first) out += sep;
            first = false;
            out += v.as_string();
        }
        return value::string(out);
    });
    def("match", "<s-f<s:o>n?:a<o>>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        if (!arg(a, 2).is_undefined() && a[2].as_number() < 0) {
            throw error("D3040", pos, "Third argument of match function must evaluate to a positive number");
        }
        size_t limit = arg(a, 2).is_undefined() ? SIZE_MAX : static_cast<size_t>(a[2].as_number());
        std::vector<value> out;
        value m = ev.apply(a[1], {a[0]}, in, pos);
        while (!m.is_undefined() && out.size() < limit) {
            value entry = make_object();
            entry.as_object().set("match", *m.as_object().find("match"));
            entry.as_object().set("index", *m.as_object().find("start"));
            entry.as_object().set("groups", *m.as_object().find("groups"));
            out.push_back(entry);
            m = ev.apply(*m.as_object().find("next"), {}, in, pos);
        }
        return make_sequence(std::move(out));
    });
    def("replace", "<s-(sf)(sf)n?:s>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        if (arg(a, 1).is_string() && a[1].as_string().empty()) {
            throw error("D3010", pos, "Second argument of replace function cannot be an empty string");
        }
        if (!arg(a, 3).is_undefined() && a[3].as_number() < 0) {
            throw error("D3011", pos, "Fourth argument of replace function must evaluate to a positive number");
        }
        size_t limit = arg(a, 3).is_undefined() ? SIZE_MAX : static_cast<size_t>(a[3].as_number());
        const std::string& s = a[0].as_string();
        std::string out;
        size_t from = 0, count = 0;
        if (a[1].is_string()) {
            const std::string& pattern = a[1].as_string();
            for (size_t at = s.find(pattern); at != std::string::npos && count < limit; at = s.find(pattern, from)) {
                out += s.substr(from, at - from);
                out += arg(a, 2).is_string() ? a[2].as_string() : "";
                from = at + pattern.size();
                ++count;
            }
            return value::string(out + s.substr(from));
        }
        value m = ev.apply(a[1], {a[0]}, in, pos);
        while (!m.is_undefined() && count < limit) {
            size_t start = static_cast<size_t>(m.as_object().find("start")->as_number());
            size_t end = static_cast<size_t>(m.as_object().find("end")->as_number());
            out += s.substr(from, start - from);
            if (arg(a, 2).is_string()) {
                // $0 is the match, $1.. the groups, $$ a dollar.
                const std::string& r = a[2].as_string();
                const auto& groups = m.as_object().find("groups")->as_array().items;
                for (size_t i = 0; i < r.size(); ++i) {
                    if (r[i] == '$' && i + 1 < r.size() && r[i + 1] == '$') {
                        out += '$';
                        ++i;
                    } else if (r[i] == '$' && i + 1 < r.size() && std::isdigit(static_cast<unsigned char>(r[i + 1]))) {
                        size_t n = static_cast<size_t>(r[i + 1] - '0');
                        size_t used = 1;
                        if (i + 2 < r.size() && std::isdigit(static_cast<unsigned char>(r[i + 2])) &&
                            n * 10 + size_t(r[i + 2] - '0') <= groups.size()) {
                            n = n * 10 + size_t(r[i + 2] - '0');
                            used = 2;
                        }
                        if (n == 0) {
                            out += m.as_object().find("match")->as_string();
                        } else if (n <= groups.size()) {
                            out += groups[n - 1].as_string();
                        }
                        i += used;
                    } else {
                        out += r[i];
                    }
                }
            } else {
                value replacement = ev.apply(a[2], {m}, in, pos);
                if (!replacement.is_string()) {
                    throw error("D3012", pos, "Attempted to replace a matched string with a non-string value");
                }
                out += replacement.as_string();
            }
            from = end;
            ++count;
            m = ev.apply(*m.as_object().find("next"), {}, in, pos);
        }
        return value::string(out + s.substr(from));
    });

    // -- numbers
    def("number", "<(nsb)-:n>", [](evaluator&, args_t& a, const value&, size_t pos) {
        const value& v = arg(a, 0);
        if (v.is_undefined()) return value();
        if (v.is_number()) return v;
        if (v.is_boolean()) return value::number(v.as_boolean() ? 1 : 0);
        const std::string& s = v.as_string();
        char* end = nullptr;
        double n = 0;
        if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'b' || s[1] == 'B' || s[1] == 'o' || s[1] == 'O')) {
            int base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'b' || s[1] == 'B') ? 2 : 8;
            n = double(std::strtoll(s.c_str() + 2, &end, base));
        } else {
            n = std::strtod(s.c_str(), &end);
        }
        bool prefixed = s.size() > 2 && s[0] == '0' && std::string_view("xXbBoO").find(s[1]) != std::string_view::npos;
        bool json_number = !s.empty() && end && *end == '\0' && s[0] != '+' &&
                           (prefixed || (s.find_first_of("xXnN") == std::string::npos &&
                                         !(s[0] == '.' || (s.size() > 1 && s[0] == '-' && s[1] == '.'))));
        if (!json_number || !std::isfinite(n)) throw error("D3030", pos, "Unable to cast value to a number: " + s);
        return value::number(n);
    });
    def("abs", "<n-:n>", [](evaluator&, args_t& a, const value&, size_t) {
        return arg(a, 0).is_undefined() ? value() : value::number(std::fabs(a[0].as_number()));
    });
    def("floor", "<n-:n>", [](evaluator&, args_t& a, const value&, size_t) {
        return arg(a, 0).is_undefined() ? value() : value::number(std::floor(a[0].as_number()));
    });
    def("ceil", "<n-:n>", [](evaluator&, args_t& a, const value&, size_t) {
        return arg(a, 0).is_undefined() ? value() : value::number(std::ceil(a[0].as_number()));
    });
    def("round", "<n-n?:n>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        int precision = arg(a, 1).is_undefined() ? 0 : static_cast<int>(a[1].as_number());
        return value::number(round_half_even(a[0].as_number(), precision));
    });
    def("power", "<n-n:n>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        double r = std::pow(a[0].as_number(), arg(a, 1).as_number());
        if (!std::isfinite(r)) throw error("D3061", pos, "The power function has resulted in a value that cannot be represented as a JSON number");
        return value::number(r);
    });
    def("sqrt", "<n-:n>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        if (a[0].as_number() < 0) throw error("D3060", pos, "The sqrt function cannot be applied to a negative number");
        return value::number(std::sqrt(a[0].as_number()));
    });
    def("random", "<:n>", [](evaluator&, args_t&, const value&, size_t) {
        static thread_local std::mt19937_64 random(std::random_device{}());
        return value::number(std::uniform_real_distribution<double>(0, 1)(random));
    });
    def("formatBase", "<n-n?:s>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        int radix = arg(a, 1).is_undefined() ? 10 : static_cast<int>(a[1].as_number());
        if (radix < 2 || radix > 36) throw error("D3100", pos, "The radix of the formatBase function must be between 2 and 36");
        double n = round_half_even(a[0].as_number(), 0);
        bool negative = n < 0;
        auto u = static_cast<unsigned long long>(std::fabs(n));
        std::string out;
        do {
            out.insert(out.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[u % unsigned(radix)]);
            u /= unsigned(radix);
        } while (u);
        return value::string(negative ? "-" + out : out);
    });

    def("formatNumber", "<n-so?:s>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        return value::string(format_number(a[0].as_number(), arg(a, 1).as_string(), arg(a, 2), pos));
    });
    def("formatInteger", "<n-s:s>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        return value::string(format_integer(a[0].as_number(), arg(a, 1).as_string(), pos));
    });
    def("parseInteger", "<s-s:n>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        std::optional<double> n = parse_integer(a[0].as_string(), arg(a, 1).as_string(), pos);
        return n ? value::number(*n) : value();
    });

    // -- booleans
    def("boolean", "<x-:b>", [](evaluator&, args_t& a, const value&, size_t) {
        return arg(a, 0).is_undefined() ? value() : value::boolean(truthy(a[0]));
    });
    def("not", "<x-:b>", [](evaluator&, args_t& a, const value&, size_t) {
        return arg(a, 0).is_undefined() ? value() : value::boolean(!truthy(a[0]));
    });
    def("exists", "<x:b>", [](evaluator&, args_t& a, const value&, size_t) { return value::boolean(!arg(a, 0).is_undefined()); });

    // -- arrays
    def("append", "<xx:a>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return arg(a, 1);
        if (arg(a, 1).is_undefined()) return a[0];
        std::vector<value> out = items_of(a[0]);
        auto more = items_of(a[1]);
        out.insert(out.end(), more.begin(), more.end());
        return make_array(std::move(out));
    });
    def("reverse", "<a:a>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        auto items = items_of(a[0]);
        std::reverse(items.begin(), items.end());
        return make_array(std::move(items));
    });
    def("shuffle", "<a:a>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        static thread_local std::mt19937_64 random(std::random_device{}());
        auto items = items_of(a[0]);
        std::shuffle(items.begin(), items.end(), random);
        return make_array(std::move(items));
    });
    def("distinct", "<x:x>", [](evaluator&, args_t& a, const value&, size_t) {
        const value& v = arg(a, 0);
        if (!v.is_array()) return v;
        std::vector<value> out;
        for (const auto& item : v.as_array().items) {
            if (std::none_of(out.begin(), out.end(), [&](const value& o) { return deep_equal(o, item); })) out.push_back(item);
        }
        return is_sequence(v) ? make_sequence(std::move(out)) : make_array(std::move(out));
    });
    def("sort", "<af?:a>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        auto items = items_of(a[0]);
        if (items.size() <= 1) return make_array(std::move(items));
        if (arg(a, 1).is_undefined()) {
            bool numbers = std::all_of(items.begin(), items.end(), [](const value& v) { return v.is_number(); });
            bool strings = std::all_of(items.begin(), items.end(), [](const value& v) { return v.is_string(); });
            if (!numbers && !strings) {
                throw error("D3070", pos, "The single argument form of the sort function can only be applied to an array of strings or an array of numbers");
            }
            std::stable_sort(items.begin(), items.end(), [&](const value& x, const value& y) {
                return numbers ? x.as_number() < y.as_number() : x.as_string() < y.as_string();
            });
        } else {
            // The comparator says whether x goes after y.
            value cmp = a[1];
            std::stable_sort(items.begin(), items.end(),
                             [&](const value& x, const value& y) { return truthy(ev.apply(cmp, {y, x}, in, pos)); });
        }
        return make_array(std::move(items));
    });
    def("zip", "<a+>", [](evaluator&, args_t& a, const value&, size_t) {
        size_t shortest = SIZE_MAX;
        std::vector<std::vector<value>> lists;
        for (const auto& v : a) {
            lists.push_back(items_of(v));
            shortest = std::min(shortest, lists.back().size());
        }
        if (lists.empty()) shortest = 0;
        std::vector<value> out;
        for (size_t i = 0; i < shortest; ++i) {
            std::vector<value> row;
            for (const auto& l : lists) row.push_back(l[i]);
            out.push_back(make_array(std::move(row)));
        }
        return make_array(std::move(out));
    });

    // -- objects
    def("keys", "<x-:a<s>>", [](evaluator&, args_t& a, const value&, size_t) {
        std::vector<value> out;
        for (const auto& v : items_of(arg(a, 0))) {
            if (!v.is_object()) continue;
            for (const auto& [k, item] : v.as_object().entries) {
                if (std::none_of(out.begin(), out.end(), [&](const value& o) { return o.as_string() == k; })) out.push_back(value::string(k));
            }
        }
        return make_sequence(std::move(out));
    });
    def("lookup", "<x-s:x>", [](evaluator&, args_t& a, const value&, size_t) {
        std::vector<value> out;
        for (const auto& v : items_of(arg(a, 0))) {
            if (!v.is_object()) continue;
            if (const value* found = v.as_object().find(arg(a, 1).as_string())) {
                for (const auto& item : items_of(*found)) out.push_back(item);
            }
        }
        return make_sequence(std::move(out));
    });
    def("spread", "<x-:a<o>>", [](evaluator&, args_t& a, const value&, size_t) {
        const value& v = arg(a, 0);
        if (!v.is_object() && !v.is_array()) return v;
        std::vector<value> out;
        for (const auto& item : items_of(v)) {
            if (!item.is_object()) {
                out.push_back(item);
                continue;
            }
            for (const auto& [k, x] : item.as_object().entries) {
                value one = make_object();
                one.as_object().set(k, x);
                out.push_back(one);
            }
        }
        return make_sequence(std::move(out));
    });
    def("merge", "<a<o>:o>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        value out = make_object();
        for (const auto& item : items_of(a[0])) {
            for (const auto& [k, v] : item.as_object().entries) out.as_object().set(k, v);
        }
        return out;
    });
    def("each", "<o-f:a>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        std::vector<value> out;
        for (const auto& [k, v] : a[0].as_object().entries) {
            size_t arity = a[1].as_function().arity();
            std::vector<value> call{v, value::string(k), a[0]};
            call.resize(std::max<size_t>(1, std::min<size_t>(arity ? arity : 3, 3)));
            value r = ev.apply(a[1], std::move(call), in, pos);
            if (!r.is_undefined()) out.push_back(r);
        }
        return make_sequence(std::move(out));
    });
    def("sift", "<o-f?:o>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        value out = make_object();
        for (const auto& [k, v] : a[0].as_object().entries) {
            size_t arity = a[1].as_function().arity();
            std::vector<value> call{v, value::string(k), a[0]};
            call.resize(std::max<size_t>(1, std::min<size_t>(arity ? arity : 3, 3)));
            if (truthy(ev.apply(a[1], std::move(call), in, pos))) out.as_object().set(k, v);
        }
        if (out.as_object().entries.empty()) return value();
        return out;
    });
    def("type", "<x:s>", [](evaluator&, args_t& a, const value&, size_t) {
        const value& v = arg(a, 0);
        switch (v.kind()) {
            case value::type::undefined: return value();
            case value::type::null: return value::string("null");
            case value::type::boolean: return value::string("boolean");
            case value::type::number: return value::string("number");
            case value::type::string: return value::string("string");
            case value::type::array: return value::string("array");
            case value::type::object: return value::string("object");
            case value::type::function: return value::string("function");
        }
        return value();
    });
    def("error", "<s?:x>", [](evaluator&, args_t& a, const value&, size_t pos) -> value {
        throw error("D3137", pos, arg(a, 0).is_string() ? a[0].as_string() : "$error() function evaluated");
    });
    def("assert", "<bs?:x>", [](evaluator&, args_t& a, const value&, size_t pos) -> value {
        if (!arg(a, 0).is_boolean()) throw error("T0410", pos, "Argument 1 of function assert does not match function signature");
        if (!a[0].as_boolean()) throw error("D3141", pos, arg(a, 1).is_string() ? a[1].as_string() : "$assert() statement failed");
        return value();
    });

    // -- higher order
    def("map", "<af>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        auto items = items_of(a[0]);
        std::vector<value> out;
        for (size_t i = 0; i < items.size(); ++i) {
            value r = call_with(ev, a[1], items[i], i, a[0], in, pos);
            if (!r.is_undefined()) out.push_back(r);
        }
        return make_sequence(std::move(out));
    });
    def("filter", "<af>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        auto items = items_of(a[0]);
        std::vector<value> out;
        for (size_t i = 0; i < items.size(); ++i) {
            if (truthy(call_with(ev, a[1], items[i], i, a[0], in, pos))) out.push_back(items[i]);
        }
        return make_sequence(std::move(out));
    });
    def("single", "<af?>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        auto items = items_of(a[0]);
        std::optional<value> found;
        for (size_t i = 0; i < items.size(); ++i) {
            bool match = arg(a, 1).is_undefined() || truthy(call_with(ev, a[1], items[i], i, a[0], in, pos));
            if (!match) continue;
            if (found) throw error("D3138", pos, "The $single() function expected exactly 1 matching result.  Instead it matched more.");
            found = items[i];
        }
        if (!found) throw error("D3139", pos, "The $single() function expected exactly 1 matching result.  Instead it matched 0.");
        return *found;
    });
    def("reduce", "<afj?:j>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        size_t arity = a[1].as_function().arity();
        if (arity < 2 && a[1].as_function().type == function_value::kind::lambda) {
            throw error("D3050", pos, "The second argument of reduce function must be a function with at least two arguments");
        }
        auto items = items_of(a[0]);
        size_t i = 0;
        value acc = arg(a, 2);
        if (acc.is_undefined() && !items.empty()) acc = items[i++];
        for (; i < items.size(); ++i) {
            std::vector<value> call{acc, items[i], value::number(double(i)), a[0]};
            if (arity && arity < 4) call.resize(std::max<size_t>(2, arity));
            acc = ev.apply(a[1], std::move(call), in, pos);
        }
        return acc;
    });

    // -- time
    def("millis", "<:n>", [](evaluator&, args_t&, const value&, size_t) {
        using namespace std::chrono;
        return value::number(double(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()));
    });
    def("now", "<s?s?:s>", [](evaluator&, args_t& a, const value&, size_t pos) {
        using namespace std::chrono;
        double now = double(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
        std::string picture = arg(a, 0).is_string() ? a[0].as_string() : "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";
        return value::string(format_datetime(now, picture, arg(a, 1).is_string() ? a[1].as_string() : "", pos));
    });
    def("fromMillis", "<n-s?s?:s>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        std::string picture = arg(a, 1).is_string() ? a[1].as_string() : "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";
        std::string zone = arg(a, 2).is_string() ? a[2].as_string() : "";
        return value::string(format_datetime(a[0].as_number(), picture, zone, pos));
    });
    def("toMillis", "<s-s?:n>", [](evaluator&, args_t& a, const value&, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        std::optional<double> ms = arg(a, 1).is_string() ? parse_datetime(a[0].as_string(), a[1].as_string(), pos)
                                                         : parse_iso_datetime(a[0].as_string());
        if (!ms) throw error("D3110", pos, "The argument of the toMillis function must be an ISO 8601 formatted timestamp");
        return value::number(*ms);
    });

    // -- encodings
    def("base64encode", "<s-:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const std::string& in = a[0].as_string();
        std::string out;
        for (size_t i = 0; i < in.size(); i += 3) {
            uint32_t chunk = uint32_t(static_cast<unsigned char>(in[i])) << 16;
            if (i + 1 < in.size()) chunk |= uint32_t(static_cast<unsigned char>(in[i + 1])) << 8;
            if (i + 2 < in.size()) chunk |= uint32_t(static_cast<unsigned char>(in[i + 2]));
            out += table[(chunk >> 18) & 63];
            out += table[(chunk >> 12) & 63];
            out += i + 1 < in.size() ? table[(chunk >> 6) & 63] : '=';
            out += i + 2 < in.size() ? table[chunk & 63] : '=';
        }
        return value::string(out);
    });
    def("base64decode", "<s-:s>", [](evaluator&, args_t& a, const value&, size_t) {
        if (arg(a, 0).is_undefined()) return value();
        auto decode = [](char c) -> int {
            if (c >= 'A' && c <= 'Z') return c - 'A';
            if (c >= 'a' && c <= 'z') return c - 'a' + 26;
            if (c >= '0' && c <= '9') return c - '0' + 52;
            if (c == '+') return 62;
            if (c == '/') return 63;
            return -1;
        };
        std::string out;
        uint32_t bits = 0;
        int count = 0;
        for (char c : a[0].as_string()) {
            int d = decode(c);
            if (d < 0) continue;
            bits = (bits << 6) | uint32_t(d);
            count += 6;
            if (count >= 8) {
                count -= 8;
                out += char((bits >> count) & 0xff);
            }
        }
        return value::string(out);
    });
    // encodeURIComponent / encodeURI keep these characters as they are.
    auto encode_url = [](const std::string& in, std::string_view keep, size_t pos) {
        static const char hex[] = "0123456789ABCDEF";
        std::string out;
        for (size_t i = 0; i < in.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(in[i]);
            // A lone surrogate cannot be encoded (UTF-8 of U+D800..U+DFFF).
            if (c == 0xed && i + 1 < in.size() && (static_cast<unsigned char>(in[i + 1]) & 0xe0) == 0xa0) {
                throw error("D3140", pos, "Malformed URL passed to encode function");
            }
            if (std::isalnum(c) || keep.find(char(c)) != std::string_view::npos) {
                out += char(c);
            } else {
                out += '%';
                out += hex[c >> 4];
                out += hex[c & 15];
            }
        }
        return out;
    };
    auto decode_url = [](const std::string& in, std::string_view reserved, size_t pos) {
        std::string out;
        for (size_t i = 0; i < in.size(); ++i) {
            if (in[i] != '%') {
                out += in[i];
                continue;
            }
            if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
                throw error("D3140", pos, "Malformed URL passed to decode function");
            }
            char c = char(std::stoi(in.substr(i + 1, 2), nullptr, 16));
            if (reserved.find(c) != std::string_view::npos) {
                out += in.substr(i, 3);
            } else {
                out += c;
            }
            i += 2;
        }
        // what decodes must be UTF-8
        for (size_t i = 0; i < out.size();) {
            unsigned char c = static_cast<unsigned char>(out[i]);
            size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
            if (len == 0 || i + len > out.size()) throw error("D3140", pos, "Malformed URL passed to decode function");
            for (size_t k = 1; k < len; ++k) {
                if ((static_cast<unsigned char>(out[i + k]) & 0xc0) != 0x80) throw error("D3140", pos, "Malformed URL passed to decode function");
            }
            i += len;
        }
        return out;
    };
    def("encodeUrlComponent", "<s-:s>", [encode_url](evaluator&, args_t& a, const value&, size_t pos) {
        return arg(a, 0).is_undefined() ? value() : value::string(encode_url(a[0].as_string(), "-_.!~*'()", pos));
    });
    def("encodeUrl", "<s-:s>", [encode_url](evaluator&, args_t& a, const value&, size_t pos) {
        return arg(a, 0).is_undefined() ? value() : value::string(encode_url(a[0].as_string(), "-_.!~*'();/?:@&=+$,#", pos));
    });
    def("decodeUrlComponent", "<s-:s>", [decode_url](evaluator&, args_t& a, const value&, size_t pos) {
        return arg(a, 0).is_undefined() ? value() : value::string(decode_url(a[0].as_string(), "", pos));
    });
    def("decodeUrl", "<s-:s>", [decode_url](evaluator&, args_t& a, const value&, size_t pos) {
        return arg(a, 0).is_undefined() ? value() : value::string(decode_url(a[0].as_string(), ";/?:@&=+$,#", pos));
    });

    // -- misc
    def("clone", "<(oa)-:o>", [](evaluator&, args_t& a, const value&, size_t) -> value {
        return arg(a, 0);  // values are never mutated in place except by transforms, which copy first
    });
    def("eval", "<sx?:x>", [](evaluator& ev, args_t& a, const value& in, size_t pos) {
        if (arg(a, 0).is_undefined()) return value();
        node_ptr tree;
        try {
            tree = parse(a[0].as_string());
        } catch (const error& e) {
            throw error("D3120", pos, "Syntax error in expression passed to function eval: " + e.message());
        }
        value context = arg(a, 1).is_undefined() ? in : a[1];
        try {
            return ev.evaluate(tree, context, ev.globals);
        } catch (const error& e) {
            throw error("D3121", pos, "Dynamic error evaluating the expression passed to function eval: " + e.message());
        }
    });
}

}  // namespace ferry::mapping::jsonata
