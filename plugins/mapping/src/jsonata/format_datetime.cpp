// $fromMillis and $toMillis with XPath F&O 3.1 date-time pictures: "[Y0001]-[M01]-[D01]",
// "[FNn], [D1o] [MNn]", "[H01]:[m]:[s].[f001][Z01:01t]", ISO weeks, and a time zone offset.
#include "jsonata/evaluator.hpp"
#include "jsonata/text.hpp"

#include <cmath>
#include <ctime>

namespace ferry::mapping::jsonata {

namespace {

const char* const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
const char* const day_names[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

struct marker {
    char component = 0;
    std::string presentation;  // "01", "Nn", "w", ... (without the ordinal 'o' / 't')
    bool ordinal = false;
    bool traditional = false;  // 't' on a time zone: "Z" for UTC
    int min_width = -1;
    int max_width = -1;
};

struct picture_item {
    std::string literal;
    std::optional<marker> field;
};

int parse_width(const std::string& w) { return w.empty() || w == "*" ? -1 : std::stoi(w); }

std::vector<picture_item> parse_picture(const std::string& picture, size_t position) {
    std::vector<picture_item> items;
    std::string literal;
    for (size_t i = 0; i < picture.size(); ++i) {
        char c = picture[i];
        if (c == '[' && i + 1 < picture.size() && picture[i + 1] == '[') {
            literal += '[';
            ++i;
            continue;
        }
        if (c == ']' && i + 1 < picture.size() && picture[i + 1] == ']') {
            literal += ']';
            ++i;
            continue;
        }
        if (c != '[') {
            literal += c;
            continue;
        }
        size_t close = picture.find(']', i);
        if (close == std::string::npos) throw error("D3135", position, "No matching closing bracket ']' in date/time picture string");
        std::string body;
        for (size_t k = i + 1; k < close; ++k) {
            if (!std::isspace(static_cast<unsigned char>(picture[k]))) body += picture[k];
        }
        if (!literal.empty()) items.push_back({literal, std::nullopt});
        literal.clear();
        marker m;
        m.component = body.empty() ? 0 : body[0];
        std::string rest = body.size() > 1 ? body.substr(1) : "";
        // The width modifier follows the last comma (a comma before it groups digits: "9,999,*").
        size_t comma = rest.rfind(',');
        if (comma != std::string::npos && rest.find_first_not_of("0123456789*-", comma + 1) == std::string::npos) {
            std::string width = rest.substr(comma + 1);
            rest = rest.substr(0, comma);
            size_t dash = width.find('-');
            m.min_width = parse_width(width.substr(0, dash));
            if (dash != std::string::npos) m.max_width = parse_width(width.substr(dash + 1));
        }
        if (!rest.empty() && (rest.back() == 'o' || rest.back() == 't') && rest != "n" && rest != "Nn" &&
            rest.find_first_of("0123456789#wWiIaA") != std::string::npos) {
            if (rest.back() == 'o') m.ordinal = true;
            if (rest.back() == 't') m.traditional = true;
            rest.pop_back();
        }
        m.presentation = rest;
        items.push_back({"", m});
        i = close;
    }
    if (!literal.empty()) items.push_back({literal, std::nullopt});
    return items;
}

struct civil {
    int year, month, day, hour, minute, second, millis, yday, wday;  // wday: 1 Monday .. 7 Sunday
};

civil to_civil(int64_t ms) {
    int64_t seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    civil c{};
    c.year = tm.tm_year + 1900;
    c.month = tm.tm_mon + 1;
    c.day = tm.tm_mday;
    c.hour = tm.tm_hour;
    c.minute = tm.tm_min;
    c.second = tm.tm_sec;
    c.millis = int(ms - seconds * 1000);
    c.yday = tm.tm_yday + 1;
    c.wday = tm.tm_wday == 0 ? 7 : tm.tm_wday;
    return c;
}

int64_t day_start(int64_t ms) { return (ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000) * 86400000; }

std::string apply_case(std::string name, const std::string& presentation, int max_width) {
    if (max_width > 0 && int(name.size()) > max_width) name = name.substr(0, size_t(max_width));
    if (presentation == "N") {
        for (auto& c : name) c = char(std::toupper(static_cast<unsigned char>(c)));
    } else if (presentation == "n") {
        for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    }
    return name;
}

std::string number_with(const marker& m, int64_t v, const std::string& default_presentation, size_t position) {
    std::string pres = m.presentation.empty() ? default_presentation : m.presentation;
    bool decimal = pres.find_first_of("0123456789") != std::string::npos || pres == "#";
    if (decimal && m.min_width > 0) {
        // A minimum width asks for as many mandatory digits.
        size_t mandatory = 0;
        for (char c : pres) mandatory += std::isdigit(static_cast<unsigned char>(c)) ? 1 : 0;
        while (mandatory < size_t(m.min_width)) {
            size_t hash = pres.rfind('#');
            if (hash != std::string::npos) {
                pres[hash] = '0';
            } else {
                pres.insert(pres.begin(), '0');
            }
            ++mandatory;
        }
    }
    if (m.component == 'Y' && decimal) {
        int digits = -1;
        if (m.max_width > 0) {
            digits = m.max_width;
        } else {
            int w = 0;
            for (char c : pres) w += (std::isdigit(static_cast<unsigned char>(c)) || c == '#') ? 1 : 0;
            if (w >= 2) digits = w;
        }
        if (digits > 0) v = v % int64_t(std::pow(10, digits));
        if (m.max_width > 0) pres = std::string(size_t(m.max_width), '0');  // truncated: exactly that many digits
    }
    return format_integer(double(v), pres + (m.ordinal ? ";o" : ""), position);
}

std::string time_zone(const marker& m, int offset_minutes, size_t position) {
    if (m.component == 'z') {
        marker plain = m;
        plain.component = 'Z';
        plain.presentation = "01:01";
        return "GMT" + time_zone(plain, offset_minutes, position);
    }
    if (m.traditional && offset_minutes == 0) return "Z";
    std::string pres = m.presentation.empty() ? "01:01" : m.presentation;
    size_t digits = 0;
    for (char c : pres) digits += std::isdigit(static_cast<unsigned char>(c)) ? 1 : 0;
    if (digits > 4) throw error("D3134", position, "The timezone integer format specifier cannot have more than four digits");
    int hours = std::abs(offset_minutes) / 60, minutes = std::abs(offset_minutes) % 60;
    std::string sign = offset_minutes < 0 ? "-" : "+";
    char buffer[32];
    if (pres.find(':') != std::string::npos || digits > 2) {
        size_t colon = pres.find(':');
        std::string hour_pic = colon == std::string::npos ? pres.substr(0, pres.size() - 2) : pres.substr(0, colon);
        std::snprintf(buffer, sizeof(buffer), hour_pic.size() >= 2 ? "%02d" : "%d", hours);
        std::string out = sign + buffer + (colon == std::string::npos ? "" : ":");
        std::snprintf(buffer, sizeof(buffer), "%02d", minutes);
        return out + buffer;
    }
    std::snprintf(buffer, sizeof(buffer), pres.size() >= 2 ? "%02d" : "%d", hours);
    std::string out = sign + buffer;
    if (minutes) {
        std::snprintf(buffer, sizeof(buffer), ":%02d", minutes);
        out += buffer;
    }
    return out;
}

int64_t utc_seconds(int year, int month, int day, int hour, int minute, int second) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return int64_t(timegm(&tm));
}

int parse_offset(const std::string& tz) {
    if (tz.size() < 5 || (tz[0] != '+' && tz[0] != '-')) return 0;
    int minutes = std::stoi(tz.substr(1, 2)) * 60 + std::stoi(tz.substr(3, 2));
    return tz[0] == '-' ? -minutes : minutes;
}

}  // namespace

std::string format_datetime(double millis, const std::string& picture, const std::string& tz, size_t position) {
    int offset = parse_offset(tz);
    int64_t ms = static_cast<int64_t>(millis) + int64_t(offset) * 60000;
    civil c = to_civil(ms);
    std::string out;
    for (const auto& item : parse_picture(picture, position)) {
        if (!item.field) {
            out += item.literal;
            continue;
        }
        const marker& m = *item.field;
        bool named = m.presentation == "N" || m.presentation == "n" || m.presentation == "Nn";
        switch (m.component) {
            case 'Y':
                if (named) throw error("D3133", position, "The 'name' modifier can only be applied to months and days in the date/time picture string");
                out += number_with(m, c.year, "1", position);
                break;
            case 'M':
                out += named ? apply_case(month_names[c.month - 1], m.presentation, m.max_width) : number_with(m, c.month, "1", position);
                break;
            case 'D': out += number_with(m, c.day, "1", position); break;
            case 'd': out += number_with(m, c.yday, "1", position); break;
            case 'F':
                if (named || m.presentation.empty()) {
                    out += apply_case(day_names[c.wday - 1], m.presentation.empty() ? "n" : m.presentation, m.max_width);
                } else {
                    out += number_with(m, c.wday, "1", position);
                }
                break;
            case 'W':
            case 'X':
            case 'w':
            case 'x': {
                // The ISO week: Monday to Sunday, belonging to the year (or month) of its Thursday.
                int64_t thursday = day_start(ms) + int64_t(4 - c.wday) * 86400000;
                civil t = to_civil(thursday);
                if (m.component == 'W') out += number_with(m, (t.yday - 1) / 7 + 1, "1", position);
                if (m.component == 'X') out += number_with(m, t.year, "1", position);
                if (m.component == 'w') out += number_with(m, (t.day - 1) / 7 + 1, "1", position);
                if (m.component == 'x') {
                    out += named ? apply_case(month_names[t.month - 1], m.presentation, m.max_width) : number_with(m, t.month, "1", position);
                }
                break;
            }
            case 'H': out += number_with(m, c.hour, "1", position); break;
            case 'h': out += number_with(m, c.hour % 12 == 0 ? 12 : c.hour % 12, "1", position); break;
            case 'P': out += apply_case(c.hour < 12 ? "am" : "pm", m.presentation.empty() ? "n" : m.presentation, -1); break;
            case 'm': out += number_with(m, c.minute, "01", position); break;
            case 's': out += number_with(m, c.second, "01", position); break;
            case 'f': {
                std::string pres = m.presentation.empty() ? "1" : m.presentation;
                int digits = 0;
                for (char ch : pres) digits += (std::isdigit(static_cast<unsigned char>(ch)) || ch == '#') ? 1 : 0;
                char buffer[16];
                std::snprintf(buffer, sizeof(buffer), "%03d", c.millis);
                std::string frac = buffer;
                frac.resize(size_t(std::max(digits, 1)), '0');
                out += frac;
                break;
            }
            case 'Z':
            case 'z': out += time_zone(m, offset, position); break;
            case 'C':
            case 'E': out += "ISO"; break;
            default:
                throw error("D3132", position, std::string("Unknown component specifier ") + m.component + " in date/time picture string");
        }
    }
    return out;
}

std::optional<double> parse_datetime(const std::string& text, const std::string& picture, size_t position) {
    int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
    size_t at = 0;
    for (const auto& item : parse_picture(picture, position)) {
        if (!item.field) {
            if (text.compare(at, item.literal.size(), item.literal) != 0) return std::nullopt;
            at += item.literal.size();
            continue;
        }
        const marker& m = *item.field;
        size_t width = 0;
        for (char ch : m.presentation) width += std::isdigit(static_cast<unsigned char>(ch)) ? 1 : 0;
        if (m.max_width > 0) width = size_t(m.max_width);
        if (width < 2) width = text.size();  // take every digit there is
        size_t end = at;
        while (end < text.size() && end - at < width && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
        if (end == at) return std::nullopt;
        int v = std::stoi(text.substr(at, end - at));
        at = end;
        switch (m.component) {
            case 'Y': year = v; break;
            case 'M': month = v; break;
            case 'D': day = v; break;
            case 'H': hour = v; break;
            case 'm': minute = v; break;
            case 's': second = v; break;
            default: return std::nullopt;
        }
    }
    if (at != text.size()) return std::nullopt;
    return double(utc_seconds(year, month, day, hour, minute, second)) * 1000;
}

std::optional<double> parse_iso_datetime(const std::string& text) {
    int year = 0, month = 1, day = 1, hour = 0, minute = 0;
    double second = 0;
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) < 3) {
        if (std::sscanf(text.c_str(), "%4d%n", &year, &consumed) < 1 || consumed != 4) return std::nullopt;
    }
    std::string rest = text.substr(static_cast<size_t>(consumed));
    double offset_minutes = 0;
    if (!rest.empty() && rest[0] == 'T') {
        int used = 0;
        if (std::sscanf(rest.c_str() + 1, "%2d:%2d%n", &hour, &minute, &used) < 2) return std::nullopt;
        rest = rest.substr(static_cast<size_t>(used) + 1);
        if (!rest.empty() && rest[0] == ':') {
            char* end = nullptr;
            second = std::strtod(rest.c_str() + 1, &end);
            rest = end;
        }
        if (!rest.empty() && rest[0] == 'Z') {
            rest = rest.substr(1);
        } else if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
            // "+hh:mm", "+hhmm" or "+hh"
            std::string digits;
            for (char c : rest.substr(1)) {
                if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
            }
            if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
            int oh = std::stoi(digits.substr(0, 2)), om = digits.size() == 4 ? std::stoi(digits.substr(2, 2)) : 0;
            offset_minutes = (rest[0] == '+' ? 1 : -1) * (oh * 60 + om);
            rest.clear();
        }
    }
    if (!rest.empty()) return std::nullopt;
    double seconds = double(utc_seconds(year, month, day, hour, minute, 0)) + second - offset_minutes * 60;
    return std::round(seconds * 1000);
}

}  // namespace ferry::mapping::jsonata
