// Writes documents the way e.net does: Windows-1252 prolog, the fixed root attributes in their
// order and single-quoted, one element per line, self-closing empty elements, numbers padded
// with spaces and followed by their "Edited_" twin, and the trailing "\n " after the root.
#pragma once

#include <pugixml.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::sandbox::syspro {

// The attributes every output root carries; Version and OperatorPrimaryRole differ per install.
struct root_attributes {
    std::string version = "8.0.161";
    std::string operator_primary_role = "   ";
};

class xml_out {
public:
    // `extra` is written verbatim after the fixed attributes (SORQRY's namespace declarations).
    xml_out(std::string root, const root_attributes& attributes, std::string_view extra = {});

    void open(std::string_view name);
    void close();  // the innermost open element
    // <name>text</name>, or <name/> when text is empty.
    void leaf(std::string_view name, std::string_view text);

    // Raw padded numbers with an Edited_ twin, as recorded: quantities (12.6) in 20 characters,
    // prices and costs (10.5) in 17, values (12.2) in 16.
    void quantity(std::string_view name, double value);
    void price(std::string_view name, double value);
    void money(std::string_view name, double value);
    // A padded number without a twin (RowsReturned, table columns).
    void number(std::string_view name, double value, int decimals, int width);

    // Copies `node`'s children. An element with child elements, or one `annotated` says has
    // messages, is a section: `after(section)` runs before it closes, so that messages can be
    // appended at the end of the section they concern.
    void echo_children(const pugi::xml_node& node, const std::function<bool(const pugi::xml_node&)>& annotated,
                       const std::function<void(const pugi::xml_node&)>& after);

    // Closes every open element and the root; the body in Windows-1252.
    std::string finish();

private:
    std::string text_;
    std::string root_;
    std::vector<std::string> open_;
};

}  // namespace ferry::sandbox::syspro
