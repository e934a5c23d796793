#include "decimal.hpp"

#include <cstdlib>

namespace ferry::syspro {

namespace {

int64_t rounded_quotient(__int128 numerator, int64_t divisor) {
    bool negative = (numerator < 0) != (divisor < 0);
    __int128 n = numerator < 0 ? -numerator : numerator;
    __int128 d = divisor < 0 ? -__int128(divisor) : __int128(divisor);
    __int128 q = (n + d / 2) / d;
    return static_cast<int64_t>(negative ? -q : q);
}

}  // namespace

std::optional<decimal> decimal::parse(std::string_view text) {
    size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    int64_t whole = 0;
    size_t digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
        if (whole > (INT64_MAX / scale) / 10) return std::nullopt;
        whole = whole * 10 + (text[i] - '0');
    }
    int64_t fraction = 0;
    int64_t place = scale;
    if (i < text.size() && text[i] == '.') {
        ++i;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
            place /= 10;
            if (place == 0) return std::nullopt;  // more than six decimals
            fraction += (text[i] - '0') * place;
        }
    }
    if (digits == 0 || i != text.size()) return std::nullopt;
    int64_t value = whole * scale + fraction;
    return decimal(negative ? -value : value);
}

decimal decimal::divided_by(int64_t divisor) const { return decimal(rounded_quotient(millionths_, divisor)); }

decimal decimal::times(decimal rate) const {
    return decimal(rounded_quotient(__int128(millionths_) * rate.millionths_, scale));
}

std::string decimal::format(int places) const {
    int64_t unit = 1;
    for (int k = places; k < 6; ++k) unit *= 10;
    int64_t value = rounded_quotient(millionths_, unit);  // in units of 10^-places
    bool negative = value < 0;
    uint64_t magnitude = negative ? uint64_t(-value) : uint64_t(value);
    uint64_t divisor = 1;
    for (int k = 0; k < places; ++k) divisor *= 10;
    std::string out = (negative ? "-" : "") + std::to_string(magnitude / divisor);
    if (places > 0) {
        std::string fraction = std::to_string(magnitude % divisor);
        out += "." + std::string(places - fraction.size(), '0') + fraction;
    }
    return out;
}

}  // namespace ferry::syspro
