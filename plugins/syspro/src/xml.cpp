#include "xml.hpp"

#include <ferry/plugin.hpp>

#include <cstdlib>
#include <sstream>

namespace ferry::syspro {

namespace {

// Windows-1252 bytes 0x80 to 0x9F; the rest of the upper half is Latin-1. Undefined bytes map to
// U+FFFD.
const char32_t cp1252_high[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                                  0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                  0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | (c >> 6));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xE0 | (c >> 12));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

bool valid_utf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
        if (extra == 4 || i + extra >= text.size()) return false;
        for (size_t k = 1; k <= extra; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
        }
        i += extra + 1;
    }
    return true;
}

bool declares_windows_1252(std::string_view body) {
    std::string_view head = body.substr(0, std::min<size_t>(body.size(), 100));
    if (head.rfind("<?xml", 0) != 0) return false;
    size_t end = head.find("?>");
    std::string prolog(head.substr(0, end));
    for (char& c : prolog) c = char(std::tolower(static_cast<unsigned char>(c)));
    return prolog.find("windows-1252") != std::string::npos;
}

std::string local_name(const char* name) {
    std::string_view n(name);
    size_t colon = n.find(':');
    return std::string(colon == std::string_view::npos ? n : n.substr(colon + 1));
}

std::string trimmed(std::string_view text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    size_t end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

void collect(pugi::xml_node node, const char* const* names, std::vector<enet_message>& out) {
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        std::string name = local_name(c.name());
        bool match = false;
        for (const char* const* n = names; *n; ++n) match = match || name == *n;
        if (match && !c.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; })) {
            enet_message m;
            m.description = trimmed(c.child_value());
            m.section = local_name(node.name());
            std::string number_name = name.rfind("Warning", 0) == 0 ? "WarningNumber" : "ErrorNumber";
            m.number = text_of(node, number_name);
            m.value = text_of(node, "Value");
            if (!m.description.empty()) out.push_back(std::move(m));
        } else {
            collect(c, names, out);
        }
    }
}

}  // namespace

std::string to_utf8(std::string_view body) {
    if (!declares_windows_1252(body) && valid_utf8(body)) return std::string(body);
    std::string out;
    out.reserve(body.size() + body.size() / 8);
    for (unsigned char c : body) {
        if (c < 0x80) {
            out += char(c);
        } else if (c < 0xA0) {
            append_utf8(out, cp1252_high[c - 0x80]);
        } else {
            append_utf8(out, c);
        }
    }
    return out;
}

std::string xml_unescape(std::string_view text) {
    pugi::xml_document doc;
    std::string wrapped = "<x>" + std::string(text) + "</x>";
    if (!doc.load_buffer(wrapped.data(), wrapped.size(), pugi::parse_default, pugi::encoding_utf8)) return std::string(text);
    return doc.child("x").child_value();
}

std::string compact(const pugi::xml_document& doc) {
    std::ostringstream out;
    doc.save(out, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
    return out.str();
}

void parse_answer(pugi::xml_document& doc, const std::string& body, const std::string& business_object) {
    pugi::xml_parse_result result = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!result) {
        throw sdk::retry_error("SYSPRO " + business_object + " answered something that is not XML (" +
                               result.description() + " at byte " + std::to_string(result.offset) + ")");
    }
}

pugi::xml_node child(pugi::xml_node parent, std::string_view name, bool deep) {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        if (local_name(c.name()) == name) return c;
        if (deep) {
            if (pugi::xml_node found = child(c, name, true)) return found;
        }
    }
    return {};
}

std::string text_of(pugi::xml_node parent, std::string_view name) {
    pugi::xml_node c = child(parent, name);
    return c ? trimmed(c.child_value()) : std::string();
}

double number_of(pugi::xml_node parent, std::string_view name) {
    std::string text = text_of(parent, name);
    if (text.empty()) return 0;
    std::string digits;
    for (char c : text) {
        if (c != ',') digits += c;  // tolerate a display value sent by mistake
    }
    return std::strtod(digits.c_str(), nullptr);
}

std::vector<enet_message> errors_in(const pugi::xml_document& doc) {
    static const char* const names[] = {"ErrorDescription", "ErrorMessage", nullptr};
    std::vector<enet_message> out;
    collect(doc, names, out);
    return out;
}

std::vector<enet_message> warnings_in(const pugi::xml_document& doc) {
    static const char* const names[] = {"WarningDescription", "WarningMessage", nullptr};
    std::vector<enet_message> out;
    collect(doc, names, out);
    return out;
}

std::string describe(const std::vector<enet_message>& messages) {
    std::string out;
    for (const enet_message& m : messages) {
        if (!out.empty()) out += "; ";
        if (!m.number.empty()) out += m.number + " ";
        out += m.description;
        if (!m.section.empty()) out += " (in " + m.section + ")";
    }
    return out;
}

}  // namespace ferry::syspro
