#include "syspro/xml_out.hpp"

#include "syspro/text.hpp"

namespace ferry::sandbox::syspro {

namespace {

std::string attribute_value(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\'') out += "&apos;";
        else if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else out += c;
    }
    return out;
}

}  // namespace

xml_out::xml_out(std::string root, const root_attributes& attributes, std::string_view extra) : root_(std::move(root)) {
    text_ = "<?xml version=\"1.0\" encoding=\"Windows-1252\"?>\n<" + root_ +
            " Language='05' Language2='EN' CssStyle='' DecFormat='1' DateFormat='01' Role='01' Version='" +
            attribute_value(attributes.version) + "' OperatorPrimaryRole='" + attribute_value(attributes.operator_primary_role) + "'";
    if (!extra.empty()) text_ += std::string("   ") + std::string(extra) + " ";
    text_ += ">\n";
}

void xml_out::open(std::string_view name) {
    text_ += "<" + std::string(name) + ">\n";
    open_.emplace_back(name);
}

void xml_out::close() {
    text_ += "</" + open_.back() + ">\n";
    open_.pop_back();
}

void xml_out::leaf(std::string_view name, std::string_view text) {
    if (text.empty()) {
        text_ += "<" + std::string(name) + "/>\n";
    } else {
        text_ += "<" + std::string(name) + ">" + xml_escape(text) + "</" + std::string(name) + ">\n";
    }
}

void xml_out::quantity(std::string_view name, double value) {
    leaf(name, padded(value, 6, 20));
    leaf("Edited_" + std::string(name), edited(value, 3));
}

void xml_out::price(std::string_view name, double value) {
    leaf(name, padded(value, 5, 17));
    leaf("Edited_" + std::string(name), edited(value, 3));
}

void xml_out::money(std::string_view name, double value) {
    leaf(name, padded(value, 2, 16));
    leaf("Edited_" + std::string(name), edited(value, 2));
}

void xml_out::number(std::string_view name, double value, int decimals, int width) { leaf(name, padded(value, decimals, width)); }

void xml_out::echo_children(const pugi::xml_node& node, const std::function<bool(const pugi::xml_node&)>& annotated,
                            const std::function<void(const pugi::xml_node&)>& after) {
    for (const pugi::xml_node& child : node.children()) {
        if (child.type() != pugi::node_element) continue;
        bool has_elements = false;
        for (const pugi::xml_node& grandchild : child.children()) has_elements |= grandchild.type() == pugi::node_element;
        if (!has_elements && !annotated(child)) {
            leaf(child.name(), child.text().get());
            continue;
        }
        open(child.name());
        echo_children(child, annotated, after);
        after(child);
        close();
    }
}

std::string xml_out::finish() {
    while (!open_.empty()) close();
    text_ += "</" + root_ + ">\n ";
    return to_windows_1252(text_);
}

}  // namespace ferry::sandbox::syspro
