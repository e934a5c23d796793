// Transaction BOs after the order exists (reference section 10): SORTDN dispatch notes, SORTIC
// invoicing, SORTOS status change, SORTBO back-order release, SORTOX cancellation, and ARSTPY
// payments. They answer in the item pattern of other transaction BOs: <Item><Key>...</Key>
// [errors]<ItemNumber>000001</ItemNumber></Item> and a <StatusOfItems> block.
#include "syspro/business_objects.hpp"
#include "syspro/text.hpp"

#include <algorithm>
#include <functional>

namespace ferry::sandbox::syspro {

namespace {

struct item_outcome {
    std::vector<std::pair<std::string, std::string>> key;
    std::vector<std::pair<std::string, std::string>> errors;  // number (may be empty), text
    void error(std::string text, std::string number = {}) { errors.emplace_back(std::move(number), std::move(text)); }
};

// Checks one item against the current state and, when `apply`, carries it out.
using item_handler = std::function<void(const pugi::xml_node& item, bool apply, item_outcome& outcome)>;

struct common_params {
    bool validate_only = false;
    bool entire_document = false;
};

common_params read_common(const std::string& xml) {
    common_params p;
    if (trim(xml).empty()) return p;
    pugi::xml_document doc = parse_xml(xml, "XmlParameters");
    pugi::xml_node n = doc.document_element().child("Parameters");
    p.validate_only = yes(n, "ValidateOnly");
    p.entire_document = yes(n, "ApplyIfEntireDocumentValid");
    return p;
}

std::string run_items(const settings& s, const bo_call& call, const char* root_name, const char* item_name, const item_handler& handle,
                      bool status_only = false) {
    common_params p = read_common(call.xml_parameters);
    pugi::xml_document doc = parse_xml(call.xml_in, "XmlIn");
    pugi::xml_node root = doc.document_element();
    std::vector<pugi::xml_node> items;
    for (const pugi::xml_node& item : root.children(item_name)) items.push_back(item);

    bool apply = !p.validate_only;
    if (apply && p.entire_document) {
        for (const auto& item : items) {
            item_outcome dry;
            handle(item, false, dry);
            if (!dry.errors.empty()) apply = false;
        }
    }
    xml_out out(root_name, s.root);
    long processed = 0, invalid = 0;
    long index = 0;
    for (const auto& item : items) {
        item_outcome outcome;
        handle(item, false, outcome);
        if (outcome.errors.empty() && apply) {
            outcome = {};
            handle(item, true, outcome);
        }
        ++processed;
        if (!outcome.errors.empty()) ++invalid;
        ++index;
        if (status_only) continue;
        out.open("Item");
        out.open("Key");
        for (const auto& [name, value] : outcome.key) out.leaf(name, value);
        out.close();
        for (const auto& [number, text] : outcome.errors) {
            if (!number.empty()) out.leaf("ErrorNumber", number);
            out.leaf("ErrorDescription", text);
        }
        out.leaf("ItemNumber", counter(index));
        out.close();
    }
    out.open("StatusOfItems");
    out.leaf("ItemsProcessed", counter(processed));
    out.leaf("ItemsInvalid", counter(invalid));
    out.close();
    return out.finish();
}

sales_order* order_for(company_data& data, const settings& s, const pugi::xml_node& node, item_outcome& outcome) {
    std::string number = child_text(node, "SalesOrder");
    outcome.key.emplace_back("SalesOrder", number);
    if (number.empty()) {
        outcome.error(s.message("required", {"SalesOrder"}));
        return nullptr;
    }
    sales_order* o = data.find_order(number);
    if (!o) outcome.error(s.message("sales_order_not_found", {number}));
    return o;
}

bool closed(const sales_order& o) { return o.status == "9" || o.status == "\\" || o.status == "*"; }

order_line* line_for(sales_order& o, const std::string& text) {
    auto n = parse_number(text, 6, 0);
    if (!n) return nullptr;
    for (auto& l : o.lines) {
        if (l.number == static_cast<int>(*n)) return &l;
    }
    return nullptr;
}

// ---- SORTDN ----

std::string sortdn(company_data& data, const settings& s, const bo_call& call) {
    return run_items(s, call, "PostDispatchNotes", "DispatchNote", [&](const pugi::xml_node& note, bool apply, item_outcome& outcome) {
        pugi::xml_node header = note.child("DispatchHeader");
        sales_order* o = order_for(data, s, header, outcome);
        if (!o) return;
        if (closed(*o) || o->status == "S") {
            outcome.error(s.message("order_not_maintainable", {o->number, o->status}));
            return;
        }
        std::vector<dispatch_line> lines;
        for (const pugi::xml_node& m : note.child("DispatchDetails").children("MerchandiseLine")) {
            std::string line_text = child_text(m, "SalesOrderLine");
            order_line* l = line_for(*o, line_text);
            if (!l || l->kind != line_kind::stock || l->cancelled) {
                outcome.error(s.message("line_not_found", {line_text}));
                continue;
            }
            auto qty = parse_number(m.child("DispatchQty").text().get(), 12, 6);
            if (!qty) {
                outcome.error(s.message("not_numeric", {"DispatchQty"}), "100031");
                continue;
            }
            if (*qty > l->ship_qty + 1e-9) {
                outcome.error(s.message("dispatch_too_much", {line_text}));
                continue;
            }
            if (*qty > 0) lines.push_back({l->number, *qty});
        }
        bool anything = !lines.empty() || (note.child("DispatchDetails").children("MerchandiseLine").begin() ==
                                               note.child("DispatchDetails").children("MerchandiseLine").end() &&
                                           std::any_of(o->lines.begin(), o->lines.end(), [](const order_line& l) {
                                               return l.kind == line_kind::stock && !l.cancelled && l.ship_qty > 0;
                                           }));
        if (outcome.errors.empty() && !anything) outcome.error(s.message("nothing_to_dispatch", {o->number}));
        if (!outcome.errors.empty() || !apply) return;
        std::string date = child_text(header, "PlannedDispatchDate");
        dispatch_note& d = data.dispatch(*o, lines, date.empty() ? today() : date);
        d.carrier = child_text(header, "ShippingInstrs");
        d.tracking = child_text(header, "UserDefined1");
        d.user_defined2 = child_text(header, "UserDefined2");
        for (const pugi::xml_node& c : header.children("DispatchComments")) {
            d.comments += (d.comments.empty() ? "" : "\n") + trim(c.text().get());
        }
        if (!d.carrier.empty()) o->shipping_instrs = d.carrier;
        outcome.key.emplace_back("DispatchNote", d.number);
    });
}

// ---- SORTIC ----

std::string sortic(company_data& data, const settings& s, const bo_call& call) {
    std::string date;
    if (!trim(call.xml_parameters).empty()) {
        pugi::xml_document params = parse_xml(call.xml_parameters, "XmlParameters");
        date = child_text(params.document_element().child("Parameters"), "InvoiceDate");
    }
    if (date.empty()) date = today();
    return run_items(s, call, "PostSalesOrderInvoice", "Item", [&](const pugi::xml_node& item, bool apply, item_outcome& outcome) {
        sales_order* o = order_for(data, s, item, outcome);
        if (!o) return;
        if (closed(*o) || o->status == "S") {
            outcome.error(s.message("order_not_maintainable", {o->number, o->status}));
            return;
        }
        bool anything = std::any_of(o->lines.begin(), o->lines.end(), [](const order_line& l) {
            return l.kind == line_kind::stock && !l.cancelled && (l.ship_qty > 0 || l.dispatched_qty > 0);
        });
        if (!anything) {
            outcome.error(s.message("nothing_to_invoice", {o->number}));
            return;
        }
        if (!apply) return;
        invoice* inv = data.make_invoice(*o, date);
        outcome.key.emplace_back("Invoice", inv->number);
    });
}

// ---- SORTOS ----

std::string sortos(company_data& data, const settings& s, const bo_call& call) {
    return run_items(s, call, "PostSorOrderStatus", "Item", [&](const pugi::xml_node& item, bool apply, item_outcome& outcome) {
        sales_order* o = order_for(data, s, item, outcome);
        std::string wanted = upper(child_text(item, "NewOrderStatus"));
        outcome.key.emplace_back("NewOrderStatus", wanted);
        if (!o) return;
        static const std::vector<std::string> allowed{"1", "2", "3", "4", "8", "9", "S"};
        if (wanted.empty()) {
            outcome.error(s.message("required", {"NewOrderStatus"}));
        } else if (std::find(allowed.begin(), allowed.end(), wanted) == allowed.end()) {
            outcome.error(s.message("invalid_status", {wanted}));
        }
        std::string current = upper(child_text(item, "OrderStatus"));
        if (!current.empty() && current != o->status) outcome.error(s.message("invalid_value", {current, "OrderStatus"}));
        if (o->status == "\\" || o->status == "*" || o->status == "9") outcome.error(s.message("order_not_maintainable", {o->number, o->status}));
        if (!outcome.errors.empty() || !apply) return;
        o->status = wanted;
    });
}

// ---- SORTBO ----

std::string sortbo(company_data& data, const settings& s, const bo_call& call) {
    return run_items(s, call, "PostSorBackOrderRelease", "Item", [&](const pugi::xml_node& item, bool apply, item_outcome& outcome) {
        sales_order* o = order_for(data, s, item, outcome);
        std::string line_text = child_text(item, "SalesOrderLine");
        outcome.key.emplace_back("SalesOrderLine", line_text);
        if (!o) return;
        std::string new_status = upper(child_text(item, "OrderStatus"));
        if (new_status.empty()) outcome.error(s.message("required", {"OrderStatus"}));
        else if (new_status != "3" && new_status != "8" && new_status != "N") outcome.error(s.message("invalid_value", {new_status, "OrderStatus"}));
        if (closed(*o)) outcome.error(s.message("order_not_maintainable", {o->number, o->status}));
        order_line* l = line_for(*o, line_text);
        if (!l || l->kind != line_kind::stock || l->cancelled) {
            outcome.error(s.message("line_not_found", {line_text}));
            return;
        }
        auto qty = parse_number(item.child("Quantity").text().get(), 12, 6);
        if (!qty) {
            outcome.error(s.message("not_numeric", {"Quantity"}), "100031");
            return;
        }
        double q = item.child("Quantity") ? *qty : l->back_order_qty;
        if (q > l->back_order_qty + 1e-9) outcome.error(s.message("back_order_too_much", {line_text}));
        warehouse_stock* w = nullptr;
        if (!l->non_stocked) {
            w = &data.stock.at(l->stock_code).warehouses.at(l->warehouse);
            if (data.available(*w, s) < q - 1e-9) outcome.error(s.message("insufficient_stock", {l->stock_code}));
        }
        if (!outcome.errors.empty() || !apply) return;
        l->back_order_qty -= q;
        l->ship_qty += q;
        if (w) {
            w->back_order -= q;
            w->allocated += q;
        }
        if (new_status != "N") o->status = new_status;
    });
}

// ---- SORTOX ----

std::string sortox(company_data& data, const settings& s, const bo_call& call) {
    return run_items(s, call, "PostSalesOrderCancel", "Item", [&](const pugi::xml_node& item, bool apply, item_outcome& outcome) {
        sales_order* o = order_for(data, s, item, outcome);
        std::string line_text = child_text(item, "SalesOrderLine");
        if (!line_text.empty()) outcome.key.emplace_back("SalesOrderLine", line_text);
        if (!o) return;
        bool dispatched = std::any_of(o->lines.begin(), o->lines.end(), [](const order_line& l) { return l.dispatched_qty > 0; });
        if (closed(*o) || dispatched) {
            outcome.error(s.message("order_not_maintainable", {o->number, o->status}));
            return;
        }
        order_line* l = nullptr;
        if (!line_text.empty()) {
            l = line_for(*o, line_text);
            if (!l || l->cancelled) {
                outcome.error(s.message("line_not_found", {line_text}));
                return;
            }
        }
        if (!apply) return;
        if (l) {
            data.release(*l);
            l->cancelled = true;
            bool open = std::any_of(o->lines.begin(), o->lines.end(), [](const order_line& x) { return !x.cancelled; });
            if (!open) o->status = "\\";
        } else {
            data.cancel(*o);
        }
    });
}

// ---- ARSTPY ----

std::string arstpy(company_data& data, const settings& s, const bo_call& call) {
    return run_items(
        s, call, "PostArPayment", "Item",
        [&](const pugi::xml_node& item, bool apply, item_outcome& outcome) {
            pugi::xml_node pay = item.child("Payment");
            if (!pay) {
                const char* kind = item.child("Adjustments") ? "Adjustments" : item.child("MiscellaneousReceipt") ? "MiscellaneousReceipt" : "Payment";
                outcome.error(kind == std::string("Payment") ? s.message("required", {"Payment"})
                                                             : std::string(kind) + " are not modelled by the ferry sandbox; post a Payment");
                return;
            }
            std::string code = child_text(pay, "Customer");
            outcome.key.emplace_back("Customer", code);
            outcome.key.emplace_back("Reference", child_text(pay, "Reference"));
            auto cit = data.customers.find(code);
            if (code.empty()) outcome.error(s.message("required", {"Customer"}));
            else if (cit == data.customers.end()) outcome.error(s.message("customer_not_found", {code}));
            if (child_text(pay, "JournalNotation").empty()) outcome.error(s.message("required", {"JournalNotation"}));
            auto value = parse_number(pay.child("PaymentValue").text().get(), 12, 2);
            if (!value) outcome.error(s.message("not_numeric", {"PaymentValue"}), "100031");
            std::string type = upper(child_text(pay, "PaymentType"));
            if (!type.empty() && type != "C" && type != "S" && type != "O") outcome.error(s.message("invalid_value", {type, "PaymentType"}));
            std::vector<std::pair<invoice*, double>> applied;
            for (const pugi::xml_node& inv : pay.children("InvoiceToPay")) {
                std::string number = child_text(inv, "Invoice");
                auto gross = parse_number(inv.child("GrossPaymentValue").text().get(), 12, 2);
                auto discount = parse_number(inv.child("DiscountValue").text().get(), 12, 2);
                if (!gross || !discount) {
                    outcome.error(s.message("not_numeric", {gross ? "DiscountValue" : "GrossPaymentValue"}), "100031");
                    continue;
                }
                invoice* found = nullptr;
                for (auto& [n, o] : data.orders) {
                    if (o.customer != code) continue;
                    for (auto& i : o.invoices) {
                        if (i.number == number) found = &i;
                    }
                }
                if (!found) outcome.error(s.message("invoice_not_found", {number}));
                else applied.emplace_back(found, *gross + *discount);
            }
            for (const pugi::xml_node& un : pay.children("UnappliedPayment")) {
                if (!parse_number(un.child("GrossPaymentValue").text().get(), 12, 2)) outcome.error(s.message("not_numeric", {"GrossPaymentValue"}), "100031");
            }
            if (!outcome.errors.empty() || !apply) return;
            payment p;
            p.journal = std::to_string(data.next_journal++);
            p.customer = code;
            p.reference = child_text(pay, "Reference");
            p.date = child_text(pay, "PaymentDate").empty() ? today() : child_text(pay, "PaymentDate");
            p.type = type.empty() ? "C" : type;
            p.bank = child_text(pay, "Bank");
            p.narration = child_text(pay, "PaymentNarration");
            p.notation = child_text(pay, "JournalNotation");
            p.value = *value;
            for (auto& [inv, amount] : applied) {
                inv->balance -= amount;
                p.applied.emplace_back(inv->number, amount);
            }
            cit->second.balance -= p.value;
            data.payments.push_back(std::move(p));
        },
        s.arstpy_output == "status_only");
}

}  // namespace

std::string run_transaction(company_data& data, const settings& s, const bo_call& call) {
    const std::string& bo = call.business_object;
    if (bo == "SORTOI") return run_sortoi(data, s, call);
    if (bo == "SORTDN") return sortdn(data, s, call);
    if (bo == "SORTIC") return sortic(data, s, call);
    if (bo == "SORTOS") return sortos(data, s, call);
    if (bo == "SORTBO") return sortbo(data, s, call);
    if (bo == "SORTOX") return sortox(data, s, call);
    if (bo == "ARSTPY") return arstpy(data, s, call);
    throw bo_exception("Business object '" + bo + "' is not a transaction business object available in the ferry sandbox");
}

}  // namespace ferry::sandbox::syspro
