// $formatNumber: decimal pictures of XPath F&O 3.1 (format-number) with JSONata's decimal format
// properties (decimal-separator, grouping-separator, zero-digit, ...).
#include "jsonata/evaluator.hpp"
#include "jsonata/text.hpp"

#include <cmath>

namespace ferry::mapping::jsonata {

namespace {

struct decimal_format {
    char32_t decimal = '.', grouping = ',', exponent = 'e', percent = '%', per_mille = 0x2030, zero = '0', digit = '#',
             pattern = ';', minus = '-';
    std::u32string infinity = U"Infinity", nan = U"NaN";
};

struct sub_picture {
    std::u32string prefix, suffix, integer, fraction, exponent_part;
    bool has_exponent = false;
    bool percent = false, per_mille = false;
    // analysed
    std::vector<size_t> integer_groups;  // separator positions counted from the right
    size_t regular = 0;
    std::vector<size_t> fraction_groups;  // separator positions counted from the left
    size_t min_integer = 0, scaling = 0, min_fraction = 0, max_fraction = 0, min_exponent = 0;
};

bool is_digit(const decimal_format& f, char32_t c) { return c >= f.zero && c <= f.zero + 9; }

bool is_active(const decimal_format& f, char32_t c) {
    return is_digit(f, c) || c == f.decimal || c == f.exponent || c == f.grouping || c == f.digit || c == f.pattern;
}

size_t count(const std::u32string& s, char32_t c) { return size_t(std::count(s.begin(), s.end(), c)); }

sub_picture split(const decimal_format& f, const std::u32string& pic, size_t position) {
    sub_picture p;
    size_t first = pic.size(), last = pic.size();
    for (size_t i = 0; i < pic.size(); ++i) {
        if (is_active(f, pic[i]) && pic[i] != f.exponent) {
            first = i;
            break;
        }
    }
    for (size_t i = pic.size(); i-- > 0;) {
        if (is_active(f, pic[i]) && pic[i] != f.exponent) {
            last = i;
            break;
        }
    }
    p.prefix = pic.substr(0, first);
    p.suffix = last == pic.size() ? std::u32string() : pic.substr(last + 1);
    std::u32string active = first == pic.size() ? std::u32string() : pic.substr(first, last - first + 1);
    std::u32string mantissa = active;
    size_t e = active.find(f.exponent);
    if (e != std::u32string::npos) {
        mantissa = active.substr(0, e);
        p.exponent_part = active.substr(e + 1);
        p.has_exponent = true;
    }
    size_t dot = mantissa.find(f.decimal);
    if (dot == std::u32string::npos) {
        p.integer = mantissa;
    } else {
        p.integer = mantissa.substr(0, dot);
        p.fraction = mantissa.substr(dot + 1);
    }

    // The picture's rules, each with its code.
    if (count(pic, f.decimal) > 1) throw error("D3081", position, "A sub-picture must not contain more than one decimal-separator");
    if (count(pic, f.percent) > 1) throw error("D3082", position, "A sub-picture must not contain more than one percent character");
    if (count(pic, f.per_mille) > 1) throw error("D3083", position, "A sub-picture must not contain more than one per-mille character");
    p.percent = count(pic, f.percent) == 1;
    p.per_mille = count(pic, f.per_mille) == 1;
    if (p.percent && p.per_mille) throw error("D3084", position, "A sub-picture cannot contain both a percent and a per-mille character");
    bool mantissa_digit = std::any_of(mantissa.begin(), mantissa.end(), [&](char32_t c) { return is_digit(f, c) || c == f.digit; });
    if (!mantissa_digit) throw error("D3085", position, "The mantissa part of a sub-picture must contain at least one digit");
    for (char32_t c : active) {
        if (!is_active(f, c)) throw error("D3086", position, "A sub-picture cannot contain a passive character between two active characters");
    }
    if (dot != std::u32string::npos &&
        ((dot > 0 && mantissa[dot - 1] == f.grouping) || (dot + 1 < mantissa.size() && mantissa[dot + 1] == f.grouping))) {
        throw error("D3087", position, "A group separator cannot be adjacent to a decimal separator");
    }
    if (!p.integer.empty() && p.integer.back() == f.grouping) {
        throw error("D3088", position, "The integer part of a sub-picture must not end with a grouping-separator");
    }
    for (size_t i = 1; i < mantissa.size(); ++i) {
        if (mantissa[i] == f.grouping && mantissa[i - 1] == f.grouping) {
            throw error("D3089", position, "A sub-picture must not contain two adjacent grouping-separators");
        }
    }
    bool seen_mandatory = false;
    for (char32_t c : p.integer) {
        if (is_digit(f, c)) seen_mandatory = true;
        if (c == f.digit && seen_mandatory) {
            throw error("D3090", position, "The integer part of a sub-picture cannot contain an optional digit after a mandatory digit");
        }
    }
    bool seen_optional = false;
    for (char32_t c : p.fraction) {
        if (c == f.digit) seen_optional = true;
        if (is_digit(f, c) && seen_optional) {
            throw error("D3091", position, "The fractional part of a sub-picture cannot contain a mandatory digit after an optional digit");
        }
    }
    if (p.has_exponent && (p.percent || p.per_mille)) {
        throw error("D3092", position, "A sub-picture that contains a percent or per-mille character cannot contain an exponent separator");
    }
    if (p.has_exponent) {
        bool only_digits = !p.exponent_part.empty() &&
                           std::all_of(p.exponent_part.begin(), p.exponent_part.end(), [&](char32_t c) { return is_digit(f, c); });
        if (!only_digits) throw error("D3093", position, "The exponent part of a sub-picture must contain only decimal digits");
    }

    // Analysis.
    size_t digits_right = 0;
    for (size_t i = p.integer.size(); i-- > 0;) {
        if (p.integer[i] == f.grouping) {
            p.integer_groups.push_back(digits_right);
        } else {
            ++digits_right;
        }
    }
    if (!p.integer_groups.empty()) {
        size_t g = p.integer_groups[0];
        bool regular = g > 0;
        for (size_t i = 0; i < p.integer_groups.size() && regular; ++i) regular = p.integer_groups[i] == g * (i + 1);
        if (regular) p.regular = g;
    }
    size_t digits_left = 0;
    for (char32_t c : p.fraction) {
        if (c == f.grouping) {
            p.fraction_groups.push_back(digits_left);
        } else {
            ++digits_left;
        }
    }
    for (char32_t c : p.integer) p.min_integer += is_digit(f, c) ? 1 : 0;
    p.scaling = p.min_integer;
    for (char32_t c : p.fraction) {
        if (is_digit(f, c)) ++p.min_fraction;
        if (is_digit(f, c) || c == f.digit) ++p.max_fraction;
    }
    if (p.min_integer == 0 && p.max_fraction == 0) {
        if (p.has_exponent) {
            p.min_fraction = 1;
            p.max_fraction = 1;
        } else {
            p.min_integer = 1;
        }
    }
    if (p.has_exponent && p.min_integer == 0 && count(p.integer, f.digit) > 0) p.min_integer = 1;
    if (p.min_integer == 0 && p.min_fraction == 0) p.min_fraction = 1;
    for (char32_t c : p.exponent_part) p.min_exponent += is_digit(f, c) ? 1 : 0;
    return p;
}

std::u32string to_family(const std::string& ascii_digits, char32_t zero) {
    std::u32string out;
    for (char c : ascii_digits) out += char32_t(zero + char32_t(c - '0'));
    return out;
}

std::u32string option(const value& options, const char* name, const std::u32string& fallback) {
    if (!options.is_object()) return fallback;
    const value* v = options.as_object().find(name);
    return v && v->is_string() ? to_u32(v->as_string()) : fallback;
}

}  // namespace

std::string format_number(double number, const std::string& picture, const value& options, size_t position) {
    decimal_format f;
    auto single = [&](const char* name, char32_t& field) {
        std::u32string v = option(options, name, std::u32string(1, field));
        if (!v.empty()) field = v[0];
    };
    single("decimal-separator", f.decimal);
    single("grouping-separator", f.grouping);
    single("exponent-separator", f.exponent);
    single("percent", f.percent);
    single("per-mille", f.per_mille);
    single("zero-digit", f.zero);
    single("digit", f.digit);
    single("pattern-separator", f.pattern);
    single("minus-sign", f.minus);
    f.infinity = option(options, "infinity", f.infinity);
    f.nan = option(options, "NaN", f.nan);

    std::u32string pic = to_u32(picture);
    std::vector<std::u32string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= pic.size(); ++i) {
        if (i == pic.size() || pic[i] == f.pattern) {
            parts.push_back(pic.substr(start, i - start));
            start = i + 1;
        }
    }
    if (parts.size() > 2) throw error("D3080", position, "The picture string must only contain a maximum of two sub-pictures");
    std::vector<sub_picture> subs;
    for (const auto& part : parts) subs.push_back(split(f, part, position));

    if (std::isnan(number)) return to_utf8(f.nan);
    const sub_picture& p = number >= 0 || subs.size() == 1 ? subs[0] : subs[1];
    std::u32string prefix = p.prefix;
    if (number < 0 && subs.size() == 1) prefix = std::u32string(1, f.minus) + prefix;
    double x = std::fabs(number);
    if (std::isinf(x)) return to_utf8(prefix + f.infinity + p.suffix);
    if (p.percent) x *= 100;
    if (p.per_mille) x *= 1000;

    long exponent = 0;
    if (p.has_exponent && x != 0) {
        // Scale the mantissa so that it has as many integer digits as the picture's minimum.
        double magnitude = std::floor(std::log10(x)) + 1;  // digits before the point
        exponent = long(magnitude) - long(p.scaling);
        x = x / std::pow(10.0, double(exponent));
    }
    x = round_half_even(x, int(p.max_fraction));
    if (p.has_exponent && p.scaling > 0 && x >= std::pow(10.0, double(p.scaling))) {
        x /= 10;
        ++exponent;
    }
    char buffer[400];
    std::snprintf(buffer, sizeof(buffer), "%.*f", int(p.max_fraction), x);
    std::string text = buffer;
    size_t dot = text.find('.');
    std::string int_digits = dot == std::string::npos ? text : text.substr(0, dot);
    std::string frac_digits = dot == std::string::npos ? "" : text.substr(dot + 1);
    while (frac_digits.size() > p.min_fraction && !frac_digits.empty() && frac_digits.back() == '0') frac_digits.pop_back();
    if (int_digits == "0" && p.min_integer == 0) int_digits.clear();
    while (int_digits.size() < p.min_integer) int_digits.insert(int_digits.begin(), '0');

    std::u32string integer = to_family(int_digits, f.zero);
    std::u32string grouped;
    for (size_t i = 0; i < integer.size(); ++i) {
        size_t from_right = integer.size() - i;
        bool separate = false;
        if (i > 0) {
            if (p.regular) {
                separate = from_right % p.regular == 0;
            } else {
                separate = std::find(p.integer_groups.begin(), p.integer_groups.end(), from_right) != p.integer_groups.end();
            }
        }
        if (separate) grouped += f.grouping;
        grouped += integer[i];
    }
    std::u32string fraction = to_family(frac_digits, f.zero);
    std::u32string fraction_grouped;
    for (size_t i = 0; i < fraction.size(); ++i) {
        if (i > 0 && std::find(p.fraction_groups.begin(), p.fraction_groups.end(), i) != p.fraction_groups.end()) {
            fraction_grouped += f.grouping;
        }
        fraction_grouped += fraction[i];
    }
    std::u32string out = prefix + grouped;
    if (!fraction_grouped.empty()) out += std::u32string(1, f.decimal) + fraction_grouped;
    if (p.has_exponent) {
        std::string e = std::to_string(std::labs(exponent));
        while (e.size() < p.min_exponent) e.insert(e.begin(), '0');
        out += f.exponent;
        if (exponent < 0) out += f.minus;
        out += to_family(e, f.zero);
    }
    out += p.suffix;
    return to_utf8(out);
}

}  // namespace ferry::mapping::jsonata
