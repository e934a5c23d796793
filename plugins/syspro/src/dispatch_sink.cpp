#include "dispatch_sink.hpp"

#include "fields.hpp"
#include "decimal.hpp"
#include "queries.hpp"
#include "xml.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <map>

namespace ferry::syspro {

namespace json = boost::json;

namespace {

// The part of a shop ID that fits a SYSPRO user field: the number at the end of a GID.
std::string reference_of(const std::string& id) {
    size_t slash = id.rfind('/');
    std::string tail = slash == std::string::npos ? id : id.substr(slash + 1);
    return tail.substr(0, tail.find('?'));
}

std::string quantity_text(double q) {
    std::optional<decimal> d = decimal::parse(std::to_string(q));
    return d ? d->format(std::fabs(q - std::round(q)) < 1e-9 ? 0 : 6) : std::to_string(q);
}

}  // namespace

dispatch_sink::dispatch_sink(const sdk::create_args& args)
    : ctx_(args.context), pool_(std::string(args.connection), args.connection_config) {
    pool_.bind(ctx_);
    json::value config = json::parse(args.config);
    if (auto* v = config.as_object().if_contains("invoice")) invoice_ = v->as_bool();
}

std::optional<std::string> dispatch_sink::find_note(const std::string& fulfillment_ref) {
    table_query q;
    q.table = "MdnMaster";
    q.columns = {"DispatchNote", "UserDefined2"};
    q.where = {{"UserDefined2", "EQ", fulfillment_ref}};
    q.order_by = "DispatchNote";
    q.return_rows = 5;
    for (const row& r : find_rows(*pool_, ctx_, q)) {
        if (r.at("UserDefined2") == fulfillment_ref && !r.at("DispatchNote").empty()) return r.at("DispatchNote");
    }
    return std::nullopt;
}

void dispatch_sink::lookup(const sdk::delivery& d, sdk::call& out) {
    json::value payload = json::parse(d.rec.payload);
    if (auto note = find_note(reference_of(string_in(payload.as_object(), "id")))) out.set_target_id(*note);
}

void dispatch_sink::write(const sdk::delivery& d, sdk::call& out) {
    json::error_code ec;
    json::value payload = json::parse(d.rec.payload, ec);
    if (ec || !payload.is_object()) throw sdk::reject_error("syspro.dispatch: the payload is not a JSON object");
    const json::object& f = payload.as_object();
    std::string po = string_in(f, "order_number");
    std::string ref = reference_of(string_in(f, "id"));
    std::string label = "fulfillment " + ref + " of order " + po;
    if (ref.empty()) throw sdk::reject_error("syspro.dispatch: the fulfillment has no id");
    if (string_in(f, "status") == "cancelled") {
        ctx_.info(label + ": a cancelled fulfillment is not dispatched");
        return;
    }
    if (auto note = find_note(ref)) {
        out.set_target_id(*note);
        return;
    }

    std::string sales_order = string_in(f, "erp_order");
    if (sales_order.empty()) {
        if (std::optional<sales_order_ref> found = find_sales_order(*pool_, ctx_, po)) sales_order = found->sales_order;
    }
    if (sales_order.empty()) throw sdk::retry_error(label + ": the order is not in SYSPRO yet", 30000);

    // Which order lines the shipped SKUs are: each SKU's quantity goes to its lines in order, up to
    // what each line still has to ship.
    table_query lines_query;
    lines_query.table = "SorDetail";
    lines_query.columns = {"SalesOrder", "SalesOrderLine", "MStockCode", "MShipQty"};
    lines_query.where = {{"SalesOrder", "EQ", sales_order}};
    lines_query.order_by = "SalesOrderLine";
    lines_query.return_rows = 1000;
    std::vector<row> order_lines = find_rows(*pool_, ctx_, lines_query);
    std::map<std::string, double> remaining;  // by SalesOrderLine
    for (const row& r : order_lines) remaining[whole_number(r.at("SalesOrderLine"))] = std::strtod(r.at("MShipQty").c_str(), nullptr);

    pugi::xml_document document;
    pugi::xml_node note = document.append_child("PostDispatchNotes").append_child("DispatchNote");
    pugi::xml_node header = note.append_child("DispatchHeader");
    add_text(header, "SalesOrder", sales_order);
    const json::value* tracking = f.if_contains("tracking");
    if (tracking && tracking->is_object()) {
        std::string company = string_in(tracking->as_object(), "company");
        if (!company.empty()) add_text(header, "ShippingInstrs", fit(ctx_, company, 50, "ShippingInstrs", label));
    }
    std::string created = string_in(f, "created_at").substr(0, 10);
    if (!created.empty()) add_text(header, "PlannedDispatchDate", created);
    if (tracking && tracking->is_object()) {
        std::string number = string_in(tracking->as_object(), "number");
        if (!number.empty()) add_text(header, "UserDefined1", fit(ctx_, number, 30, "UserDefined1", label));
    }
    add_text(header, "UserDefined2", ref);
    pugi::xml_node details = note.append_child("DispatchDetails");
    const json::value* lines = f.if_contains("lines");
    if (lines && lines->is_array()) {
        for (const json::value& item : lines->as_array()) {
            const json::object& l = item.as_object();
            std::string sku = string_in(l, "sku");
            double quantity = l.contains("quantity") && l.at("quantity").is_number() ? l.at("quantity").to_number<double>() : 0;
            for (const row& r : order_lines) {
                if (quantity <= 1e-9) break;
                if (r.at("MStockCode") != sku) continue;
                double& open = remaining[whole_number(r.at("SalesOrderLine"))];
                double take = std::min(open, quantity);
                if (take <= 1e-9) continue;
                pugi::xml_node m = details.append_child("MerchandiseLine");
                add_text(m, "SalesOrderLine", whole_number(r.at("SalesOrderLine")));
                add_text(m, "DispatchQty", quantity_text(take));
                open -= take;
                quantity -= take;
            }
            if (quantity > 1e-9) {
                throw sdk::reject_error(label + ": " + quantity_text(quantity) + " of SKU '" + sku + "' shipped in the shop are not open to ship on SYSPRO sales order " +
                                        sales_order);
            }
        }
    }
    pugi::xml_document parameters;
    pugi::xml_node p = parameters.append_child("PostDispatchNotes").append_child("Parameters");
    add_text(p, "ValidateOnly", "N");
    add_text(p, "IgnoreWarnings", "W");
    pugi::xml_document answer;
    post(*pool_, ctx_, "Transaction/Post", "SORTDN", compact(parameters), compact(document), answer);
    if (std::vector<enet_message> errors = errors_in(answer); !errors.empty()) {
        throw sdk::reject_error(label + ": SYSPRO refused the dispatch of sales order " + sales_order + ": " + describe(errors));
    }
    std::string dispatch_note = text_of(child(answer.document_element(), "Key", true), "DispatchNote");
    if (dispatch_note.empty()) dispatch_note = find_note(ref).value_or("");
    if (dispatch_note.empty()) throw sdk::retry_error(label + ": SYSPRO took the dispatch but returned no note number yet");
    ctx_.counter_add("dispatches_posted");

    if (invoice_) {
        pugi::xml_document invoice_parameters;
        pugi::xml_node ip = invoice_parameters.append_child("PostSalesOrderInvoice").append_child("Parameters");
        if (!created.empty()) add_text(ip, "InvoiceDate", created);
        add_text(ip, "IgnoreWarnings", "W");
        add_text(ip, "ValidateOnly", "N");
        pugi::xml_document invoice_document;
        add_text(invoice_document.append_child("PostSalesOrderInvoice").append_child("Item"), "SalesOrder", sales_order);
        pugi::xml_document invoice_answer;
        post(*pool_, ctx_, "Transaction/Post", "SORTIC", compact(invoice_parameters), compact(invoice_document), invoice_answer);
        // The dispatch stands even if invoicing fails: say so, and leave the invoice to a person.
        if (std::vector<enet_message> errors = errors_in(invoice_answer); !errors.empty()) {
            ctx_.warn(label + ": dispatched as note " + dispatch_note + ", but SYSPRO refused the invoice: " + describe(errors));
        } else {
            ctx_.counter_add("invoices_posted");
        }
    }
    out.set_target_id(dispatch_note);
}

}  // namespace ferry::syspro
