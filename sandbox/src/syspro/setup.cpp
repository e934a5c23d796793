// ARSSCS, AR customer maintenance (reference 9.1), answering in the setup-BO pattern of 4.2:
// lower-case elements, each item echoing its key, one block per failing field, and
// <StatusOfItems> with RecordsRead / RecordsInvalid.
#include "syspro/business_objects.hpp"
#include "syspro/text.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace ferry::sandbox::syspro {

namespace {

const std::map<std::string, size_t> customer_lengths{
    {"Name", 30}, {"ShortName", 10}, {"Salesperson", 3}, {"CustomerClass", 2}, {"Branch", 2}, {"TermsCode", 2}, {"Telephone", 20},
    {"Contact", 30}, {"Currency", 3}, {"Email", 50}, {"SoldToAddr1", 40}, {"SoldToAddr2", 40}, {"SoldToAddr3", 40}, {"SoldToAddr4", 40},
    {"SoldToAddr5", 40}, {"SoldPostalCode", 9}, {"ShipToAddr1", 40}, {"ShipToAddr2", 40}, {"ShipToAddr3", 40}, {"ShipToAddr4", 40},
    {"ShipToAddr5", 40}, {"ShipPostalCode", 9}};
const std::vector<std::string> yes_no_fields{"CustomerOnHold", "ExemptFinChg", "StatementReqd", "BackOrdReqd", "PoNumberMandatory"};

struct field_error {
    std::string field, value, number, text;
};

}  // namespace

std::string run_setup(company_data& data, const settings& s, const std::string& action, const bo_call& call) {
    if (call.business_object != "ARSSCS") {
        throw bo_exception("Business object '" + call.business_object + "' is not a setup business object available in the ferry sandbox");
    }
    bool validate_only = false, entire_document = false;
    if (!trim(call.xml_parameters).empty()) {
        pugi::xml_document params = parse_xml(call.xml_parameters, "XmlParameters");
        pugi::xml_node p = params.document_element().child("Parameters");
        validate_only = yes(p, "ValidateOnly");
        entire_document = yes(p, "ApplyIfEntireDocumentValid");
    }
    pugi::xml_document doc = parse_xml(call.xml_in, "XmlIn");
    pugi::xml_node root = doc.document_element();

    struct checked {
        std::string code;
        std::vector<field_error> errors;
    };
    std::vector<std::pair<pugi::xml_node, checked>> items;
    long next_customer = data.next_customer;
    for (const pugi::xml_node& item : root.children("Item")) {
        checked c;
        c.code = child_text(item.child("Key"), "Customer");
        if (c.code.empty()) {
            if (action == "add" && s.arsscs_empty_customer == "auto_number") {
                char buf[16];
                do {
                    std::snprintf(buf, sizeof buf, "%07ld", next_customer++);
                } while (data.customers.count(buf));
                c.code = buf;
            } else {
                c.errors.push_back({"Customer", "", "", s.message("required", {"Customer"})});
            }
        } else if (to_windows_1252(c.code).size() > 7) {
            c.errors.push_back({"Customer", c.code, "", s.message("too_long", {"Customer", "7"})});
        } else if (action == "add" && data.customers.count(c.code)) {
            c.errors.push_back({"Customer", c.code, "", s.message("customer_exists", {c.code})});
        } else if (action != "add" && !data.customers.count(c.code)) {
            c.errors.push_back({"Customer", c.code, "", s.message("customer_not_found", {c.code})});
        }
        if (action == "delete" && c.errors.empty() &&
            std::any_of(data.orders.begin(), data.orders.end(), [&](const auto& o) { return o.second.customer == c.code; })) {
            c.errors.push_back({"Customer", c.code, "", s.message("customer_in_use", {c.code})});
        }
        for (const pugi::xml_node& f : item.children()) {
            if (f.type() != pugi::node_element || std::string_view(f.name()) == "Key") continue;
            std::string name = f.name(), value = f.text().get();
            auto len = customer_lengths.find(name);
            if (len != customer_lengths.end() && to_windows_1252(value).size() > len->second) {
                c.errors.push_back({name, value, "", s.message("too_long", {name, std::to_string(len->second)})});
            }
            if (name == "CreditLimit" && !parse_number(value, 12, 2)) c.errors.push_back({name, value, "100031", s.message("not_numeric", {lower(name)})});
            if (std::find(yes_no_fields.begin(), yes_no_fields.end(), name) != yes_no_fields.end() && !value.empty() && upper(value) != "Y" && upper(value) != "N") {
                c.errors.push_back({name, value, "", s.message("invalid_value", {value, name})});
            }
        }
        items.emplace_back(item, std::move(c));
    }
    bool any_invalid = std::any_of(items.begin(), items.end(), [](const auto& i) { return !i.second.errors.empty(); });
    bool apply = !validate_only && !(entire_document && any_invalid);

    xml_out out(s.arsscs_root == "lower" ? "setuparcustomer" : root.name(), s.root);
    long invalid = 0;
    for (auto& [item, c] : items) {
        if (!c.errors.empty()) ++invalid;
        if (apply && c.errors.empty()) {
            if (action == "delete") {
                data.customers.erase(c.code);
            } else {
                customer& target = data.customers[c.code];
                if (action == "add") {
                    target.code = c.code;
                    target.fields["Currency"] = "$";
                    target.fields["CustomerOnHold"] = "N";
                    target.fields["DateCustAdded"] = today();
                }
                for (const pugi::xml_node& f : item.children()) {
                    if (f.type() != pugi::node_element || std::string_view(f.name()) == "Key") continue;
                    std::string value = f.text().get();
                    if (std::find(yes_no_fields.begin(), yes_no_fields.end(), f.name()) != yes_no_fields.end()) value = upper(value);
                    target.fields[f.name()] = value;
                }
            }
        }
        out.open("item");
        out.open("key");
        out.leaf("customer", c.code);
        out.close();
        for (const auto& e : c.errors) {
            out.open(lower(e.field));
            out.leaf("Value", e.value);
            if (!e.number.empty()) out.leaf("ErrorNumber", e.number);
            out.leaf("ErrorDescription", e.text);
            out.close();
        }
        out.close();
    }
    if (apply) data.next_customer = next_customer;
    out.open("StatusOfItems");
    out.leaf("RecordsRead", std::to_string(items.size()));
    out.leaf("RecordsInvalid", std::to_string(invalid));
    out.close();
    return out.finish();
}

}  // namespace ferry::sandbox::syspro
