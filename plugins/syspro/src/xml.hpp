// Reading and writing SYSPRO's XML: Windows-1252 bodies, space-padded numbers, namespace-prefixed
// element names, and errors that may sit anywhere in an answer.
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ferry::syspro {

// A body as UTF-8: decoded from Windows-1252 when its prolog says so or when it is not UTF-8.
std::string to_utf8(std::string_view body);

std::string xml_unescape(std::string_view text);

// A document built by the plugin, serialised compactly (no prolog, no indentation): the XML
// travels in the query string, so every byte counts.
std::string compact(const pugi::xml_document& doc);

// Parses an answer; malformed XML throws sdk::retry_error naming the business object.
void parse_answer(pugi::xml_document& doc, const std::string& body, const std::string& business_object);

// The first child (or, with `deep`, descendant) whose name without a namespace prefix is `name`.
pugi::xml_node child(pugi::xml_node parent, std::string_view name, bool deep = false);

// The trimmed text of child `name`, or "" when absent.
std::string text_of(pugi::xml_node parent, std::string_view name);

// A space-padded SYSPRO number ("     747.800000") as a double; 0 when empty or absent.
double number_of(pugi::xml_node parent, std::string_view name);

struct enet_message {
    std::string number;       // ErrorNumber, when given
    std::string description;  // ErrorDescription (or ErrorMessage, Error)
    std::string section;      // the element it sits in, e.g. StockLine
    std::string value;        // the Value element next to it, when given (setup BOs)
};

// Every error in an answer, wherever it sits (the rule every SYSPRO client follows).
std::vector<enet_message> errors_in(const pugi::xml_document& doc);
// Every warning (WarningDescription), likewise.
std::vector<enet_message> warnings_in(const pugi::xml_document& doc);

std::string describe(const std::vector<enet_message>& messages);

}  // namespace ferry::syspro
