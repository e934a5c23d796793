// Money and quantities as exact decimals (millionths), so that a price never picks up the binary
// noise that SYSPRO rejects as "not numeric" (too many decimals).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::syspro {

class decimal {
public:
    static constexpr int64_t scale = 1000000;

    decimal() = default;
    static decimal units(int64_t whole) { return decimal(whole * scale); }

    // "12", "-3.5", "0.125"; at most 6 decimals, no exponent. nullopt otherwise.
    static std::optional<decimal> parse(std::string_view text);

    decimal operator+(decimal o) const { return decimal(millionths_ + o.millionths_); }
    decimal operator-(decimal o) const { return decimal(millionths_ - o.millionths_); }
    decimal& operator+=(decimal o) { millionths_ += o.millionths_; return *this; }
    // Divides and rounds half away from zero to millionths.
    decimal divided_by(int64_t divisor) const;
    decimal times(int64_t factor) const { return decimal(millionths_ * factor); }
    // this * rate, for a rate such as 0.2 given as a decimal too; rounded to millionths.
    decimal times(decimal rate) const;

    bool is_zero() const { return millionths_ == 0; }
    bool negative() const { return millionths_ < 0; }
    bool operator==(const decimal& o) const { return millionths_ == o.millionths_; }

    // Rounded half away from zero to `places` decimals (0 to 6), written with exactly that many.
    std::string format(int places) const;

private:
    explicit decimal(int64_t millionths) : millionths_(millionths) {}
    int64_t millionths_ = 0;
};

}  // namespace ferry::syspro
