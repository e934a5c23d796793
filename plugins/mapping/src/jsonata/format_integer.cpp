// $formatInteger and $parseInteger: integer pictures of XPath F&O 3.1 (format-integer) as JSONata
// uses them: decimal digit patterns with grouping, letters, Roman numerals and English words,
// cardinal or ordinal.
#include "jsonata/evaluator.hpp"
#include "jsonata/text.hpp"

#include <cmath>

namespace ferry::mapping::jsonata {

namespace {

const char* const small_words[] = {"zero",    "one",     "two",       "three",    "four",     "five",    "six",
                                   "seven",   "eight",   "nine",      "ten",      "eleven",   "twelve",  "thirteen",
                                   "fourteen", "fifteen", "sixteen",  "seventeen", "eighteen", "nineteen"};
const char* const small_ordinals[] = {"zeroth",     "first",      "second",      "third",      "fourth",
                                      "fifth",      "sixth",      "seventh",     "eighth",     "ninth",
                                      "tenth",      "eleventh",   "twelfth",     "thirteenth", "fourteenth",
                                      "fifteenth",  "sixteenth",  "seventeenth", "eighteenth", "nineteenth"};
const char* const tens_words[] = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
const char* const tens_ordinals[] = {"twentieth", "thirtieth", "fortieth", "fiftieth",
                                     "sixtieth",  "seventieth", "eightieth", "ninetieth"};
const char* const magnitudes[] = {"thousand", "million", "billion", "trillion"};

std::string words(double n, bool after, bool ordinal) {
    std::string out;
    if (n <= 19) {
        out = std::string(after ? " and " : "") + (ordinal ? small_ordinals[int(n)] : small_words[int(n)]);
    } else if (n < 100) {
        int tens = int(n / 10), rest = int(std::fmod(n, 10));
        out = std::string(after ? " and " : "") + (ordinal && rest == 0 ? tens_ordinals[tens - 2] : tens_words[tens - 2]);
        if (rest > 0) out += "-" + words(rest, false, ordinal);
    } else if (n < 1000) {
        int hundreds = int(n / 100);
        double rest = std::fmod(n, 100);
        out = std::string(after ? ", " : "") + small_words[hundreds] + " hundred";
        if (rest > 0) {
            out += words(rest, true, ordinal);
        } else if (ordinal) {
            out += "th";
        }
    } else {
        int exponent = int(std::floor(std::log10(n)));
        int magnitude = std::min(exponent / 3, 4);
        double factor = std::pow(10.0, magnitude * 3);
        double mantissa = std::floor(n / factor);
        double rest = n - mantissa * factor;
        out = std::string(after ? ", " : "") + words(mantissa, false, false) + " " + magnitudes[magnitude - 1];
        if (rest > 0) {
            out += words(rest, true, ordinal);
        } else if (ordinal) {
            out += "th";
        }
    }
    return out;
}

int word_value(const std::string& w) {
    for (int i = 0; i < 20; ++i) {
        if (w == small_words[i] || w == small_ordinals[i]) return i;
    }
    for (int i = 0; i < 8; ++i) {
        if (w == tens_words[i] || w == tens_ordinals[i]) return (i + 2) * 10;
    }
    if (w == "hundred" || w == "hundredth") return 100;
    if (w == "thousand" || w == "thousandth") return 1000;
    if (w == "million" || w == "millionth") return 1000000;
    if (w == "billion" || w == "billionth") return 1000000000;
    if (w == "trillion" || w == "trillionth") return -12;  // 10^12 does not fit an int
    return -1;
}

// English words back to a number: sums within a group, multiplies by scale words.
std::optional<double> parse_words(std::string text) {
    for (auto& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::vector<std::string> tokens;
    std::string current;
    for (char c : text) {
        if (c == ' ' || c == ',' || c == '-') {
            if (!current.empty()) tokens.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) tokens.push_back(current);
    // Segments split at scale words, evaluated right to left so that "thousand trillion" works.
    std::vector<double> stack{0};
    double total = 0, group = 0;
    for (const auto& t : tokens) {
        if (t == "and") continue;
        int v = word_value(t);
        if (v == -1) return std::nullopt;
        if (v == 100) {
            group *= 100;
        } else if (v >= 1000 || v == -12) {
            double scale = v == -12 ? 1e12 : double(v);
            if (group == 0) {
                total *= scale;  // "thousand trillion": the scale applies to what came before
            } else {
                total += group * scale;
            }
            group = 0;
        } else {
            group += v;
        }
    }
    return total + group;
}

std::string roman(long long n) {
    static const std::pair<int, const char*> table[] = {{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"},
                                                        {90, "xc"},  {50, "l"},   {40, "xl"}, {10, "x"},   {9, "ix"},
                                                        {5, "v"},    {4, "iv"},   {1, "i"}};
    std::string out;
    for (const auto& [v, s] : table) {
        while (n >= v) {
            out += s;
            n -= v;
        }
    }
    return out;
}

std::optional<double> parse_roman(std::string text) {
    for (auto& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
    auto value_of = [](char c) {
        switch (c) {
            case 'i': return 1;
            case 'v': return 5;
            case 'x': return 10;
            case 'l': return 50;
            case 'c': return 100;
            case 'd': return 500;
            case 'm': return 1000;
            default: return 0;
        }
    };
    double total = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        int v = value_of(text[i]);
        if (!v) return std::nullopt;
        int next = i + 1 < text.size() ? value_of(text[i + 1]) : 0;
        total += v < next ? -v : v;
    }
    return total;
}

std::string letters(long long n, char base) {
    std::string out;
    while (n > 0) {
        --n;
        out.insert(out.begin(), char(base + n % 26));
        n /= 26;
    }
    return out;
}

// The zero of the Unicode decimal digit family `c` belongs to, or 0 if it is no digit.
char32_t digit_zero(char32_t c) {
    static const char32_t zeros[] = {0x30,   0x660,  0x6f0,  0x7c0,  0x966,  0x9e6,  0xa66,  0xae6,  0xb66,  0xbe6,
                                     0xc66,  0xce6,  0xd66,  0xde6,  0xe50,  0xed0,  0xf20,  0x1040, 0x1090, 0x17e0,
                                     0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620,
                                     0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10};
    for (char32_t z : zeros) {
        if (c >= z && c <= z + 9) return z;
    }
    return 0;
}

struct digit_picture {
    char32_t zero = '0';
    size_t mandatory = 0;
    std::vector<std::pair<size_t, char32_t>> separators;  // (digits to the right, separator)
    size_t regular = 0;                                   // a grouping that repeats, or 0
};

digit_picture parse_digit_picture(const std::u32string& picture, size_t position) {
    digit_picture p;
    size_t digits = 0;
    char32_t family = 0;
    std::vector<std::pair<size_t, char32_t>> from_left;
    for (char32_t c : picture) {
        char32_t z = digit_zero(c);
        if (z) {
            if (family && z != family) throw error("D3131", position, "The digits in the picture string of formatInteger must be from one decimal digit family");
            family = z;
            ++digits;
            ++p.mandatory;
        } else if (c == '#') {
            if (p.mandatory > 0) throw error("D3132", position, "An optional digit cannot follow a mandatory digit in the picture string");
            ++digits;
        } else {
            from_left.emplace_back(digits, c);
        }
    }
    if (family) p.zero = family;
    for (const auto& [left, sep] : from_left) p.separators.emplace_back(digits - left, sep);
    // Regular when every separator is the same and at multiples of the first group's size.
    if (!p.separators.empty()) {
        size_t first = p.separators.back().first;
        bool same = first > 0;
        for (size_t i = 0; i < p.separators.size() && same; ++i) {
            const auto& [right, sep] = p.separators[p.separators.size() - 1 - i];
            same = sep == p.separators.back().second && right == first * (i + 1);
        }
        if (same) p.regular = first;
    }
    return p;
}

std::string ordinal_suffix(long long n) {
    long long last_two = n % 100, last = n % 10;
    if (last_two >= 11 && last_two <= 13) return "th";
    if (last == 1) return "st";
    if (last == 2) return "nd";
    if (last == 3) return "rd";
    return "th";
}

struct picture_parts {
    std::string primary;
    bool ordinal = false;
};

picture_parts split_picture(const std::string& picture) {
    picture_parts out;
    size_t semi = picture.rfind(';');
    out.primary = semi == std::string::npos ? picture : picture.substr(0, semi);
    if (semi != std::string::npos) out.ordinal = picture.substr(semi + 1).find('o') != std::string::npos;
    return out;
}

std::string title_case(const std::string& s) {
    std::string out = s;
    bool start = true;
    for (size_t i = 0; i < out.size(); ++i) {
        if (start && out.compare(i, 4, "and ") != 0) out[i] = char(std::toupper(static_cast<unsigned char>(out[i])));
        start = out[i] == ' ' || out[i] == '-';
    }
    return out;
}

}  // namespace

std::string format_integer(double value, const std::string& picture, size_t position) {
    picture_parts parts = split_picture(picture);
    const std::string& p = parts.primary;
    double n = std::trunc(value);
    bool negative = n < 0;
    n = std::fabs(n);
    if (p == "A" || p == "a") return letters(static_cast<long long>(n), p == "A" ? 'A' : 'a');
    if (p == "I" || p == "i") {
        std::string r = roman(static_cast<long long>(n));
        if (p == "I") {
            for (auto& c : r) c = char(std::toupper(static_cast<unsigned char>(c)));
        }
        return r;
    }
    if (p == "w" || p == "W" || p == "Ww") {
        std::string w = words(n, false, parts.ordinal);
        if (p == "W") {
            for (auto& c : w) c = char(std::toupper(static_cast<unsigned char>(c)));
        }
        if (p == "Ww") w = title_case(w);
        return (negative ? "minus " : "") + w;
    }
    std::u32string pic = to_u32(p);
    bool has_digit = false;
    for (char32_t c : pic) has_digit = has_digit || digit_zero(c) || c == '#';
    if (!has_digit) throw error("D3130", position, "Formatting or parsing an integer as a sequence starting with " + p + " is not supported by this implementation");
    digit_picture dp = parse_digit_picture(pic, position);
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.0f", n);
    std::string plain = buffer;
    while (plain.size() < dp.mandatory) plain.insert(plain.begin(), '0');
    std::u32string digits;
    for (char c : plain) digits += char32_t(dp.zero + char32_t(c - '0'));
    // Grouping separators, counted from the right.
    std::u32string grouped;
    size_t count = 0;
    for (size_t i = digits.size(); i-- > 0;) {
        if (count > 0) {
            if (dp.regular) {
                if (count % dp.regular == 0) grouped.insert(grouped.begin(), dp.separators.back().second);
            } else {
                for (const auto& [right, sep] : dp.separators) {
                    if (right == count) grouped.insert(grouped.begin(), sep);
                }
            }
        }
        grouped.insert(grouped.begin(), digits[i]);
        ++count;
    }
    std::string out = to_utf8(grouped);
    if (parts.ordinal) out += ordinal_suffix(static_cast<long long>(n));
    return (negative ? "-" : "") + out;
}

std::optional<double> parse_integer(const std::string& text, const std::string& picture, size_t position) {
    picture_parts parts = split_picture(picture);
    const std::string& p = parts.primary;
    if (p == "A" || p == "a") {
        double n = 0;
        for (char c : text) n = n * 26 + double(std::tolower(static_cast<unsigned char>(c)) - 'a' + 1);
        return n;
    }
    if (p == "I" || p == "i") return parse_roman(text);
    if (p == "w" || p == "W" || p == "Ww") return parse_words(text);
    std::u32string pic = to_u32(p);
    bool has_mandatory = false;
    for (char32_t c : pic) has_mandatory = has_mandatory || digit_zero(c);
    if (!has_mandatory) throw error("D3130", position, "Formatting or parsing an integer as a sequence starting with " + p + " is not supported by this implementation");
    double n = 0;
    for (char32_t c : to_u32(text)) {
        if (char32_t z = digit_zero(c)) n = n * 10 + double(c - z);
    }
    return n;
}

}  // namespace ferry::mapping::jsonata
