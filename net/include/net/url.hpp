// Percent-encoding for URLs and query strings, header-only: the host, the sandbox and the in-tree
// plugins build and read URLs the same way (the `ferry_url` target carries only this header).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace ferry::net {

// Every byte but the unreserved ones (RFC 3986: letters, digits, - _ . ~) as %XX.
inline std::string url_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3 / 2);
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// %XX and '+' (a space in a form or query) decoded; a '%' not followed by two hex digits is kept.
inline std::string url_decode(std::string_view text) {
    auto hex_value = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

// The name=value pairs of a query string (without the '?'), decoded, into `Map`: the last of a
// repeated name wins, empty pairs are skipped.
template <class Map>
Map parse_query(std::string_view query) {
    Map out;
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        out[url_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? std::string{} : url_decode(pair.substr(eq + 1));
    }
    return out;
}

}  // namespace ferry::net
