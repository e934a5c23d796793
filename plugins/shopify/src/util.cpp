#include "util.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace ferry::shopify {

std::optional<std::string> text_of(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    if (!v) return std::nullopt;
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64()) return std::to_string(v->get_int64());
    if (v->is_uint64()) return std::to_string(v->get_uint64());
    if (v->is_bool()) return std::string(v->get_bool() ? "true" : "false");
    if (v->is_double()) return json::serialize(*v);  // only for values that are not ids
    return std::nullopt;
}

std::string text_or_empty(const json::object& o, std::string_view name) { return text_of(o, name).value_or(""); }

json::value text_or_null(const json::object& o, std::string_view name) {
    auto t = text_of(o, name);
    return t ? json::value(*t) : json::value(nullptr);
}

const json::object* object_at(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    return v && v->is_object() ? &v->get_object() : nullptr;
}

const json::array* array_at(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    return v && v->is_array() ? &v->get_array() : nullptr;
}

const json::value* path(const json::value& v, std::initializer_list<std::string_view> steps) {
    const json::value* at = &v;
    for (std::string_view step : steps) {
        if (!at->is_object()) return nullptr;
        at = at->get_object().if_contains(step);
        if (!at) return nullptr;
    }
    return at;
}

const json::value* path(const json::object& o, std::initializer_list<std::string_view> steps) {
    if (steps.size() == 0) return nullptr;
    const json::value* first = o.if_contains(*steps.begin());
    if (!first) return nullptr;
    const json::value* at = first;
    for (auto it = steps.begin() + 1; it != steps.end(); ++it) {
        if (!at->is_object()) return nullptr;
        at = at->get_object().if_contains(*it);
        if (!at) return nullptr;
    }
    return at;
}

std::string path_text(const json::object& o, std::initializer_list<std::string_view> steps) {
    const json::value* at = path(o, steps);
    if (!at) return "";
    if (at->is_string()) return std::string(at->get_string());
    if (at->is_int64()) return std::to_string(at->get_int64());
    if (at->is_uint64()) return std::to_string(at->get_uint64());
    return "";
}

std::string path_text(const json::value& v, std::initializer_list<std::string_view> steps) {
    const json::value* at = path(v, steps);
    if (!at) return "";
    if (at->is_string()) return std::string(at->get_string());
    if (at->is_int64()) return std::to_string(at->get_int64());
    if (at->is_uint64()) return std::to_string(at->get_uint64());
    return "";
}

std::optional<int64_t> int_of(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<int64_t>(v->get_double());  // quantities, not ids
    if (v->is_string()) {
        try {
            size_t used = 0;
            std::string s(v->get_string());
            int64_t n = std::stoll(s, &used);
            if (used == s.size()) return n;
        } catch (...) {
        }
    }
    return std::nullopt;
}

bool bool_of(const json::object& o, std::string_view name, bool fallback) {
    const json::value* v = o.if_contains(name);
    return v && v->is_bool() ? v->get_bool() : fallback;
}

namespace {

struct fixed {
    bool negative = false;
    std::string digits;  // integer digits followed by `scale` fraction digits, no sign
    size_t scale = 0;
};

std::optional<fixed> parse_fixed(std::string_view text) {
    fixed f;
    if (text.empty()) {
        f.digits = "0";
        return f;
    }
    size_t i = 0;
    if (text[0] == '-' || text[0] == '+') {
        f.negative = text[0] == '-';
        i = 1;
    }
    bool dot = false, any = false;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (c == '.' && !dot) {
            dot = true;
        } else if (c >= '0' && c <= '9') {
            f.digits += c;
            any = true;
            if (dot) ++f.scale;
        } else {
            return std::nullopt;
        }
    }
    if (!any) return std::nullopt;
    return f;
}

// Magnitude comparison and arithmetic on equal-scale digit strings.
std::string strip(std::string s) {
    size_t nz = s.find_first_not_of('0');
    return nz == std::string::npos ? "0" : s.substr(nz);
}

int compare_mag(const std::string& a, const std::string& b) {
    std::string x = strip(a), y = strip(b);
    if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
    return x.compare(y) < 0 ? -1 : (x == y ? 0 : 1);
}

std::string add_mag(const std::string& a, const std::string& b) {
    std::string out;
    int carry = 0;
    for (size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
        int d = carry;
        if (i < a.size()) d += a[a.size() - 1 - i] - '0';
        if (i < b.size()) d += b[b.size() - 1 - i] - '0';
        out += char('0' + d % 10);
        carry = d / 10;
    }
    std::reverse(out.begin(), out.end());
    return strip(out);
}

std::string sub_mag(const std::string& a, const std::string& b) {  // a >= b
    std::string out;
    int borrow = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        int d = (a[a.size() - 1 - i] - '0') - borrow - (i < b.size() ? b[b.size() - 1 - i] - '0' : 0);
        borrow = d < 0;
        out += char('0' + (d + 10) % 10);
    }
    std::reverse(out.begin(), out.end());
    return strip(out);
}

}  // namespace

bool is_decimal(std::string_view text) { return !text.empty() && parse_fixed(text).has_value(); }

std::optional<std::string> decimal_add(std::string_view a, std::string_view b) {
    auto x = parse_fixed(a), y = parse_fixed(b);
    if (!x || !y) return std::nullopt;
    size_t scale = std::max<size_t>({x->scale, y->scale, 2});
    x->digits += std::string(scale - x->scale, '0');
    y->digits += std::string(scale - y->scale, '0');
    std::string mag;
    bool negative;
    if (x->negative == y->negative) {
        mag = add_mag(x->digits, y->digits);
        negative = x->negative;
    } else if (compare_mag(x->digits, y->digits) >= 0) {
        mag = sub_mag(strip(x->digits), strip(y->digits));
        negative = x->negative;
    } else {
        mag = sub_mag(strip(y->digits), strip(x->digits));
        negative = y->negative;
    }
    if (mag.size() <= scale) mag = std::string(scale + 1 - mag.size(), '0') + mag;
    std::string out = mag.substr(0, mag.size() - scale) + "." + mag.substr(mag.size() - scale);
    if (negative && strip(mag) != "0") out = "-" + out;
    return out;
}

std::string decimal_sum(const std::vector<std::string>& values) {
    std::string total = "0.00";
    for (const auto& v : values) {
        if (auto sum = decimal_add(total, v)) total = *sum;
    }
    return total;
}

namespace {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<int64_t> parse_time(std::string_view t) {
    auto num = [&](size_t at, size_t len) -> std::optional<int> {
        if (at + len > t.size()) return std::nullopt;
        int n = 0;
        for (size_t i = at; i < at + len; ++i) {
            if (t[i] < '0' || t[i] > '9') return std::nullopt;
            n = n * 10 + (t[i] - '0');
        }
        return n;
    };
    auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
    if (!y || !mo || !d || t.size() < 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
    int64_t ms = days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d)) * 86400000;
    if (t.size() == 10) return ms;
    if (t[10] != 'T' && t[10] != 't' && t[10] != ' ') return std::nullopt;
    auto h = num(11, 2), mi = num(14, 2), s = num(17, 2);
    if (!h || !mi || !s) return std::nullopt;
    ms += (*h * 3600 + *mi * 60 + *s) * 1000LL;
    size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        int64_t frac = 0, digits = 0;
        for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
            if (digits < 3) frac = frac * 10 + (t[i] - '0'), ++digits;
        }
        while (digits < 3) frac *= 10, ++digits;
        ms += frac;
    }
    if (i == t.size()) return ms;  // no offset: taken as UTC
    if (t[i] == 'Z' || t[i] == 'z') return i + 1 == t.size() ? std::optional<int64_t>(ms) : std::nullopt;
    if (t[i] == '+' || t[i] == '-') {
        auto oh = num(i + 1, 2), om = num(i + 4, 2);
        if (!oh || !om) return std::nullopt;
        int64_t offset = (*oh * 60 + *om) * 60000LL;
        return t[i] == '+' ? ms - offset : ms + offset;
    }
    return std::nullopt;
}

std::string format_time(int64_t unix_ms) {
    int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    // civil_from_days
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                  static_cast<long long>(rem % 60));
    return buf;
}

std::string make_gid(std::string_view type, std::string_view id) {
    return "gid://shopify/" + std::string(type) + "/" + std::string(id);
}

std::string gid_of(const json::object& o, std::string_view type, std::string_view id_field) {
    if (auto g = text_of(o, "admin_graphql_api_id"); g && !g->empty()) return *g;
    // A REST id that arrived as a double was already rounded by the sender: refuse to build a GID
    // from it rather than emit a wrong one.
    const json::value* v = o.if_contains(id_field);
    if (!v || !(v->is_int64() || v->is_uint64() || v->is_string())) return "";
    return make_gid(type, text_or_empty(o, id_field));
}

bool is_gid(std::string_view text, std::string_view type) {
    std::string prefix = "gid://shopify/" + std::string(type) + "/";
    return text.size() > prefix.size() && text.substr(0, prefix.size()) == prefix;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> split_tags(std::string_view tags) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= tags.size()) {
        size_t comma = tags.find(',', start);
        if (comma == std::string_view::npos) comma = tags.size();
        std::string_view t = tags.substr(start, comma - start);
        while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
        while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
        if (!t.empty()) out.emplace_back(t);
        start = comma + 1;
    }
    return out;
}

bool webhook_signature_valid(std::string_view secret, std::string_view body, std::string_view given) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length)) {
        return false;
    }
    unsigned char expected[64];
    int written = EVP_EncodeBlock(expected, digest, static_cast<int>(length));
    // The length of a SHA-256 digest in base64 is public; only the content is compared in
    // constant time.
    if (written <= 0 || given.size() != static_cast<size_t>(written)) return false;
    return CRYPTO_memcmp(given.data(), expected, given.size()) == 0;
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : digest) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

std::string search_quote(std::string_view value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace ferry::shopify
