#include "order_sink.hpp"

#include "fields.hpp"
#include "decimal.hpp"
#include "queries.hpp"
#include "xml.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace ferry::syspro {

namespace json = boost::json;

namespace {

// OrderHeader elements in schema order, with their lengths (0: none enforced here).
const std::pair<const char*, size_t> header_fields[] = {
    {"CustomerPoNumber", 30}, {"OrderActionType", 1}, {"NewCustomerPoNumber", 30}, {"Supplier", 0},
    {"Customer", 7},          {"OrderDate", 10},      {"InvoiceTerms", 2},         {"Currency", 3},
    {"ShippingInstrs", 50},   {"ShippingInstrsCode", 0}, {"CustomerName", 50},     {"ShipAddress1", 40},
    {"ShipAddress2", 40},     {"ShipAddress3", 40},   {"ShipAddress3Locality", 40}, {"ShipAddress4", 40},
    {"ShipAddress5", 40},     {"ShipPostalCode", 10}, {"ShipGpsLat", 0},           {"ShipGpsLong", 0},
    {"LanguageCode", 0},      {"Email", 255},         {"OrderDiscPercent1", 0},    {"OrderDiscPercent2", 0},
    {"OrderDiscPercent3", 0}, {"Warehouse", 0},       {"SpecialInstrs", 50},       {"SalesOrder", 20},
    {"OrderType", 0},         {"MultiShipCode", 5},   {"ShipAddressPerLine", 0},   {"AlternateReference", 0},
    {"Salesperson", 0},       {"Branch", 0},          {"Area", 0},                 {"RequestedShipDate", 10},
    {"InvoiceNumberEntered", 0}, {"InvoiceDateEntered", 0}, {"OrderComments", 0},  {"Nationality", 0},
    {"DeliveryTerms", 0},     {"ShippingLocation", 0}, {"TransactionNature", 0},   {"TransportMode", 0},
    {"ProcessFlag", 0},       {"TaxExemptNumber", 0}, {"TaxExemptionStatus", 0},   {"GstExemptNumber", 0},
    {"GstExemptionStatus", 0}, {"CompanyTaxNumber", 0}, {"ShipAddressPerLineTax", 0}, {"CancelReasonCode", 0},
    {"DocumentFormat", 0},    {"State", 0},           {"CountyZip", 0},            {"City", 0},
    {"DeliveryRouteAction", 0}, {"DeliveryRoute", 0}, {"InvoiceWholeOrderOnly", 0},
};

// SORTOI parameters in schema order.
const char* const parameter_names[] = {
    "InBoxMsgReqd", "Process", "CustomerToUse", "WarehouseListToUse", "UseCustomerSalesWarehouse", "TypeOfOrder",
    "OrderStatus", "MinimumDaysToShip", "AllowNonStockItems", "AcceptOrdersIfNoCredit", "AcceptEarlierShipDate",
    "OperatorToInform", "CreditFailMessage", "ValidProductClassList", "ShipFromDefaultBin",
    "AllowDuplicateOrderNumbers", "CheckForCustomerPoNumbers", "AllowInvoiceInformationEntry", "AlwaysUsePriceEntered",
    "AllowZeroPrice", "AllowChangeToZeroPrice", "AddStockSalesOrderText", "AddDangerousGoodsText",
    "UseStockDescSupplied", "ValidateShippingInstrs", "AllocationAction", "IgnoreWarnings", "AddAttachedServiceCharges",
    "StatusInProcess", "StatusInProcessResponse", "WarnIfCustomerOnHold", "AcceptKitOptional",
    "AllowBackOrderForPartialHold", "AllowBackOrderForSuperseded", "OverrideCustomerBackOrder",
    "UseMasterAccountForCustomerPartNo", "ApplyLeadTimeCalculation", "ApplyParentDiscountToComponents",
    "AllowManualOrderNumberToBeUsed", "ReserveStock", "ReserveStockRequestAllocs",
    "AllowBackOrderForNegativeMerchLine", "PutEntireQuantityOnNewLoadWhenChanged",
};

// What ferry sends unless the manifest says otherwise: import, warnings returned as warnings,
// the prices the shop charged, and SYSPRO's own duplicate check as a second guard.
const std::pair<const char*, const char*> default_parameters[] = {
    {"Process", "Import"},          {"OrderStatus", "1"},           {"AcceptOrdersIfNoCredit", "N"},
    {"AcceptEarlierShipDate", "Y"}, {"ShipFromDefaultBin", "Y"},     {"AllowDuplicateOrderNumbers", "N"},
    {"CheckForCustomerPoNumbers", "Y"}, {"AlwaysUsePriceEntered", "Y"}, {"AllowZeroPrice", "Y"},
    {"IgnoreWarnings", "W"},        {"StatusInProcess", "N"},        {"WarnIfCustomerOnHold", "N"},
};

size_t header_index(std::string_view name) {
    for (size_t i = 0; i < std::size(header_fields); ++i) {
        if (name == header_fields[i].first) return i;
    }
    return std::size(header_fields);
}

size_t parameter_index(std::string_view name) {
    for (size_t i = 0; i < std::size(parameter_names); ++i) {
        if (name == parameter_names[i]) return i;
    }
    return std::size(parameter_names);
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

decimal money_in(const json::object& o, const char* key, const std::string& label) {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) return decimal();
    std::optional<decimal> d;
    if (v->is_string()) d = decimal::parse(v->as_string());
    if (v->is_int64()) d = decimal::units(v->as_int64());
    if (!d) throw sdk::reject_error(label + ": '" + key + "' is not a decimal amount: " + json::serialize(*v));
    return *d;
}

std::vector<std::pair<std::string, std::string>> string_pairs(const json::value* v) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!v) return out;
    for (const auto& [key, value] : v->as_object()) out.emplace_back(std::string(key), std::string(value.as_string()));
    return out;
}

void set_pair(std::vector<std::pair<std::string, std::string>>& pairs, const std::string& key, const std::string& value) {
    for (auto& [k, v] : pairs) {
        if (k == key) {
            v = value;
            return;
        }
    }
    pairs.emplace_back(key, value);
}

enum class failure { unknown_stock, hold_or_credit, duplicate_po, other };

failure classify(const std::vector<enet_message>& errors) {
    for (const enet_message& e : errors) {
        std::string t = lower(e.description);
        if (t.find("stock code") != std::string::npos && t.find("not found") != std::string::npos) return failure::unknown_stock;
    }
    for (const enet_message& e : errors) {
        std::string t = lower(e.description);
        if (t.find("purchase order") != std::string::npos &&
            (t.find("exist") != std::string::npos || t.find("duplicate") != std::string::npos)) {
            return failure::duplicate_po;
        }
        if (t.find("on hold") != std::string::npos || t.find("credit") != std::string::npos) return failure::hold_or_credit;
    }
    return failure::other;
}

}  // namespace

namespace {

std::string order_schema() {
    std::string schema = R"json({
    "type": "object",
    "required": ["warehouse"],
    "properties": {
        "warehouse": {"type": "string", "minLength": 1, "description": "the warehouse every stock line ships from"},
        "customer": )json" + std::string(customer_policy_schema) + R"json(,
        "header": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "OrderHeader fields every order gets: OrderType, Salesperson, Branch, Area, InvoiceTerms, SpecialInstrs, DocumentFormat, ..."},
        "parameters": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "SORTOI parameters over ferry's defaults: AllocationAction, OrderStatus, IgnoreWarnings, ..."},
        "on_hold": {"enum": ["reject", "suspense"],
                    "description": "a customer on hold or over its credit limit: reject the order to the dead-letter queue, or import it in suspense (status S) for review"},
        "freight": {"enum": ["freight_line", "misc_charge", "none"], "description": "shipping charged to the buyer: a FreightLine (default), a misc charge line, or left out"},
        "freight_product_class": {"type": "string", "description": "MiscProductClass of freight sent as a misc charge"},
        "discounts": {"enum": ["net_price", "misc_charge"],
                      "description": "net_price: line discounts reduce each line's price; misc_charge: one negative misc charge line"},
        "discount_product_class": {"type": "string", "description": "MiscProductClass of the discount line"},
        "tax_codes": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3},
                      "description": "tax rate (\"0.2\") to StockTaxCode"},
        "shipping_codes": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "shop shipping code or title to ShippingInstrsCode"},
        "uom": {"type": "string", "minLength": 1, "description": "OrderUom and PriceUom of stock lines (default EA)"},
        "price_decimals": {"type": "integer", "minimum": 0, "maximum": 5},
        "note_as_comment": {"type": "boolean", "description": "the order note as comment lines (default true)"}
    },
    "additionalProperties": false
})json";
    return schema;
}

}  // namespace

const char* const order_sink::config_schema = [] {
    static const std::string schema = order_schema();
    return schema.c_str();
}();

order_settings order_settings::parse(std::string_view config) {
    json::error_code ec;
    json::value parsed = json::parse(config, ec);
    if (ec || !parsed.is_object()) throw sdk::config_error("syspro.order: the config must be a JSON object", "");
    const json::object& c = parsed.as_object();
    order_settings s;
    s.warehouse = string_in(c, "warehouse");
    if (s.warehouse.empty()) throw sdk::config_error("syspro.order: 'warehouse' is required", "/warehouse");
    s.customer = customer_policy::parse(c.if_contains("customer"), "/customer");
    s.header = string_pairs(c.if_contains("header"));
    for (const auto& [key, value] : s.header) {
        size_t i = header_index(key);
        if (i == std::size(header_fields)) {
            throw sdk::config_error("syspro.order: '" + key + "' is not a SORTOI OrderHeader field", "/header/" + key);
        }
        if (key == "CustomerPoNumber" || key == "OrderActionType" || key == "Customer" || key == "SalesOrder") {
            throw sdk::config_error("syspro.order: '" + key + "' is set by ferry for each order", "/header/" + key);
        }
        if (header_fields[i].second && value.size() > header_fields[i].second) {
            throw sdk::config_error("syspro.order: '" + key + "' has at most " + std::to_string(header_fields[i].second) +
                                        " characters in SYSPRO",
                                    "/header/" + key);
        }
    }
    for (const auto& [key, value] : default_parameters) s.parameters.emplace_back(key, value);
    for (const auto& [key, value] : string_pairs(c.if_contains("parameters"))) {
        if (parameter_index(key) == std::size(parameter_names)) {
            throw sdk::config_error("syspro.order: '" + key + "' is not a SORTOI parameter", "/parameters/" + key);
        }
        set_pair(s.parameters, key, value);
    }
    if (auto* v = c.if_contains("on_hold")) s.on_hold = std::string(v->as_string());
    if (auto* v = c.if_contains("freight")) s.freight = std::string(v->as_string());
    s.freight_product_class = string_in(c, "freight_product_class");
    if (s.freight == "misc_charge" && s.freight_product_class.empty()) {
        throw sdk::config_error("syspro.order: freight as a misc charge needs 'freight_product_class'", "/freight_product_class");
    }
    if (auto* v = c.if_contains("discounts")) s.discounts = std::string(v->as_string());
    s.discount_product_class = string_in(c, "discount_product_class");
    if (s.discounts == "misc_charge" && s.discount_product_class.empty()) {
        throw sdk::config_error("syspro.order: discounts as a misc charge need 'discount_product_class'", "/discount_product_class");
    }
    for (const auto& [rate, code] : string_pairs(c.if_contains("tax_codes"))) {
        std::optional<decimal> r = decimal::parse(rate);
        if (!r) throw sdk::config_error("syspro.order: tax rate '" + rate + "' is not a decimal such as 0.2", "/tax_codes/" + rate);
        s.tax_codes[r->format(6)] = code;
    }
    for (const auto& [from, to] : string_pairs(c.if_contains("shipping_codes"))) s.shipping_codes[from] = to;
    if (auto* v = c.if_contains("uom")) s.uom = std::string(v->as_string());
    if (auto* v = c.if_contains("price_decimals")) s.price_decimals = static_cast<int>(v->as_int64());
    if (auto* v = c.if_contains("note_as_comment")) s.note_as_comment = v->as_bool();
    return s;
}

order_sink::order_sink(const sdk::create_args& args)
    : ctx_(args.context), pool_(std::string(args.connection), args.connection_config), settings_(order_settings::parse(args.config)) {
    pool_.bind(ctx_);
}

void order_sink::lookup(const sdk::delivery& d, sdk::call& out) {
    json::value payload = json::parse(d.rec.payload);
    const json::object& order = payload.as_object();
    std::string po = string_in(order, "number");
    std::optional<sales_order_ref> found = find_sales_order(*pool_, ctx_, po);
    if (!found) return;
    bool wants_cancel = string_in(order, "status") == "cancelled";
    if (wants_cancel && !is_cancelled_status(found->status)) return;  // the cancellation itself is still to do
    out.set_target_id(found->sales_order);
    // The import happened before a crash lost its follow-up: send the number back again.
    if (!wants_cancel) emit_follow_up(d.rec, order, found->sales_order, std::string(), "found", out);
}

void order_sink::write(const sdk::delivery& d, sdk::call& out) {
    json::error_code ec;
    json::value payload = json::parse(d.rec.payload, ec);
    if (ec || !payload.is_object()) throw sdk::reject_error("syspro.order: the payload is not a JSON object");
    const json::object& order = payload.as_object();
    std::string po = string_in(order, "number");
    std::string label = "order " + (po.empty() ? std::string(d.rec.key) : po);
    if (po.empty()) throw sdk::reject_error(label + ": no 'number' (the shop's order name, SYSPRO's CustomerPoNumber)");
    if (po.size() > 30) {
        throw sdk::reject_error(label + ": the order name has " + std::to_string(po.size()) +
                                " characters; SYSPRO's CustomerPoNumber holds 30, and cutting it would lose the key");
    }
    // SORTOI is not idempotent: look first, always (an update of an imported order must not post again).
    std::optional<sales_order_ref> found = find_sales_order(*pool_, ctx_, po);
    if (string_in(order, "status") == "cancelled") {
        if (!found) {
            ctx_.info(label + ": cancelled before it reached SYSPRO; nothing to cancel");
            return;
        }
        if (!is_cancelled_status(found->status)) cancel(*found, label);
        out.set_target_id(found->sales_order);
        return;
    }
    if (found) {
        out.set_target_id(found->sales_order);
        emit_follow_up(d.rec, order, found->sales_order, std::string(), "found", out);
        return;
    }
    import(order, d.rec, out);
}

void order_sink::cancel(const sales_order_ref& found, const std::string& label) {
    pugi::xml_document parameters;
    pugi::xml_node p = parameters.append_child("PostSalesOrderCancel").append_child("Parameters");
    add_text(p, "IgnoreWarnings", "W");
    add_text(p, "ApplyIfEntireDocumentValid", "Y");
    add_text(p, "ValidateOnly", "N");
    pugi::xml_document document;
    add_text(document.append_child("PostSalesOrderCancel").append_child("Item"), "SalesOrder", found.sales_order);
    pugi::xml_document answer;
    post(*pool_, ctx_, "Transaction/Post", "SORTOX", compact(parameters), compact(document), answer);
    std::vector<enet_message> errors = errors_in(answer);
    if (!errors.empty()) {
        throw sdk::reject_error(label + ": SYSPRO refused to cancel sales order " + found.sales_order + ": " + describe(errors));
    }
    ctx_.counter_add("orders_cancelled");
    ctx_.info(label + ": cancelled SYSPRO sales order " + found.sales_order);
}

void order_sink::import(const json::object& order, const sdk::record& rec, sdk::call& out) {
    std::string po = string_in(order, "number");
    std::string label = "order " + po;
    const json::object* ext = nullptr;
    if (const json::object* all_ext = object_in(order, "ext")) ext = object_in(*all_ext, "syspro");

    const json::value* shipping = order.if_contains("shipping_address");
    const json::value* billing = order.if_contains("billing_address");
    const json::value* address = shipping && shipping->is_object() ? shipping : billing;
    std::string customer = ext ? string_in(*ext, "customer") : std::string();
    if (customer.empty()) {
        customer = resolve_customer(*pool_, ctx_, settings_.customer, order.if_contains("customer"), string_in(order, "email"),
                                    billing && billing->is_object() ? billing : address, label);
    }

    // The header: ferry's fields, the manifest's defaults, then the record's own (ext.syspro.header).
    std::vector<std::pair<std::string, std::string>> header;
    auto put = [&](const std::string& name, const std::string& value) {
        if (!value.empty()) set_pair(header, name, value);
    };
    put("CustomerPoNumber", po);
    put("OrderActionType", "A");
    put("Customer", customer);
    put("OrderDate", string_in(order, "created_at").substr(0, 10));
    if (address && address->is_object()) {
        const json::object& a = address->as_object();
        std::string first = string_in(a, "first_name"), last = string_in(a, "last_name");
        std::string name = first.empty() ? last : last.empty() ? first : first + " " + last;
        put("CustomerName", name.empty() ? string_in(a, "company") : name);
        put("ShipAddress1", string_in(a, "address1"));
        put("ShipAddress2", string_in(a, "address2"));
        put("ShipAddress3", string_in(a, "city"));
        put("ShipAddress4", string_in(a, "province"));
        put("ShipAddress5", string_in(a, "country"));
        put("ShipPostalCode", string_in(a, "zip"));
    }
    put("Email", string_in(order, "email"));
    const json::value* shipping_lines = order.if_contains("shipping_lines");
    if (shipping_lines && shipping_lines->is_array() && !shipping_lines->as_array().empty() &&
        shipping_lines->as_array()[0].is_object()) {
        const json::object& first = shipping_lines->as_array()[0].as_object();
        put("ShippingInstrs", string_in(first, "title"));
        for (const char* key : {"code", "title"}) {
            auto mapped = settings_.shipping_codes.find(string_in(first, key));
            if (mapped != settings_.shipping_codes.end()) {
                put("ShippingInstrsCode", mapped->second);
                break;
            }
        }
    }
    for (const auto& [key, value] : settings_.header) put(key, value);
    if (ext) {
        if (const json::object* h = object_in(*ext, "header")) {
            for (const auto& [key, value] : *h) {
                if (header_index(key) == std::size(header_fields)) {
                    throw sdk::reject_error(label + ": ext.syspro.header." + std::string(key) + " is not a SORTOI OrderHeader field");
                }
                if (value.is_string()) put(std::string(key), std::string(value.as_string()));
            }
        }
    }
    std::stable_sort(header.begin(), header.end(),
                     [](const auto& a, const auto& b) { return header_index(a.first) < header_index(b.first); });

    pugi::xml_document document;
    pugi::xml_node orders = document.append_child("SalesOrders").append_child("Orders");
    pugi::xml_node h = orders.append_child("OrderHeader");
    for (const auto& [name, value] : header) {
        size_t limit = header_fields[header_index(name)].second;
        add_text(h, name.c_str(), limit ? fit(ctx_, value, limit, name, label) : value);
    }

    pugi::xml_node details = orders.append_child("OrderDetails");
    std::string warehouse = ext && !string_in(*ext, "warehouse").empty() ? string_in(*ext, "warehouse") : settings_.warehouse;
    bool taxes_included = order.if_contains("taxes_included") && order.at("taxes_included").is_bool() &&
                          order.at("taxes_included").as_bool();
    int line_number = 0;
    const json::value* lines = order.if_contains("lines");
    if (!lines || !lines->is_array() || lines->as_array().empty()) throw sdk::reject_error(label + ": the order has no lines");
    for (const json::value& item : lines->as_array()) {
        ++line_number;
        const json::object& line = item.as_object();
        std::string sku = string_in(line, "sku");
        std::string line_label = label + " line " + std::to_string(line_number);
        if (sku.empty()) {
            throw sdk::reject_error(line_label + " ('" + string_in(line, "title") + "') has no SKU to use as SYSPRO stock code");
        }
        if (sku.size() > 30) throw sdk::reject_error(line_label + ": SKU '" + sku + "' is longer than SYSPRO's 30-character stock code");
        const json::value* qv = line.if_contains("quantity");
        if (!qv || !qv->is_int64() || qv->as_int64() <= 0) throw sdk::reject_error(line_label + ": quantity must be a positive integer");
        int64_t quantity = qv->as_int64();
        decimal price = money_in(line, "unit_price", line_label);
        if (settings_.discounts == "net_price") price = price - money_in(line, "discount", line_label).divided_by(quantity);
        if (taxes_included) price = price - money_in(line, "tax", line_label).divided_by(quantity);
        pugi::xml_node s = details.append_child("StockLine");
        add_text(s, "CustomerPoLine", std::to_string(line_number));
        add_text(s, "LineActionType", "A");
        add_text(s, "StockCode", sku);
        add_text(s, "Warehouse", warehouse);
        add_text(s, "OrderQty", std::to_string(quantity));
        add_text(s, "OrderUom", settings_.uom);
        add_text(s, "Price", price.format(settings_.price_decimals));
        add_text(s, "PriceUom", settings_.uom);
        if (const json::value* rates = order.if_contains("tax_lines"); rates && rates->is_array() && !rates->as_array().empty()) {
            const json::object& first = rates->as_array()[0].as_object();
            std::optional<decimal> rate;
            if (const json::value* r = first.if_contains("rate")) {
                if (r->is_string()) rate = decimal::parse(r->as_string());
                if (r->is_double()) rate = decimal::parse(json::serialize(*r));
                if (r->is_int64()) rate = decimal::units(r->as_int64());
            }
            if (rate) {
                auto code = settings_.tax_codes.find(rate->format(6));
                if (code != settings_.tax_codes.end()) add_text(s, "StockTaxCode", code->second);
            }
        }
    }

    decimal freight;
    if (shipping_lines && shipping_lines->is_array()) {
        for (const json::value& sl : shipping_lines->as_array()) {
            const json::object& o = sl.as_object();
            freight += money_in(o, "price", label) - money_in(o, "discount", label);
            if (taxes_included) freight = freight - money_in(o, "tax", label);
        }
    }
    if (!freight.is_zero() && settings_.freight != "none") {
        ++line_number;
        if (settings_.freight == "freight_line") {
            pugi::xml_node f = details.append_child("FreightLine");
            add_text(f, "CustomerPoLine", std::to_string(line_number));
            add_text(f, "LineActionType", "A");
            add_text(f, "FreightValue", freight.format(2));
        } else {
            pugi::xml_node m = details.append_child("MiscChargeLine");
            add_text(m, "CustomerPoLine", std::to_string(line_number));
            add_text(m, "LineActionType", "A");
            add_text(m, "MiscChargeValue", freight.format(2));
            add_text(m, "MiscProductClass", settings_.freight_product_class);
            add_text(m, "MiscDescription", "Freight");
        }
    }
    if (settings_.discounts == "misc_charge") {
        decimal discount = money_in(order, "discount_total", label);
        if (!discount.is_zero()) {
            std::string codes;
            if (const json::value* dc = order.if_contains("discount_codes"); dc && dc->is_array()) {
                for (const json::value& c : dc->as_array()) {
                    if (c.is_object()) codes += (codes.empty() ? "" : ", ") + string_in(c.as_object(), "code");
                }
            }
            ++line_number;
            pugi::xml_node m = details.append_child("MiscChargeLine");
            add_text(m, "CustomerPoLine", std::to_string(line_number));
            add_text(m, "LineActionType", "A");
            add_text(m, "MiscChargeValue", (decimal() - discount).format(2));
            add_text(m, "MiscProductClass", settings_.discount_product_class);
            add_text(m, "MiscDescription", fit(ctx_, codes.empty() ? "Discount" : "Discount " + codes, 100, "MiscDescription", label));
        }
    }
    std::string note = string_in(order, "note");
    if (settings_.note_as_comment && !note.empty()) {
        // Comment lines hold 100 characters each; a long note becomes several lines.
        for (size_t at = 0; at < note.size();) {
            size_t bytes = prefix_bytes(std::string_view(note).substr(at), 100);
            ++line_number;
            pugi::xml_node cl = details.append_child("CommentLine");
            add_text(cl, "CustomerPoLine", std::to_string(line_number));
            add_text(cl, "LineActionType", "A");
            add_text(cl, "Comment", note.substr(at, bytes));
            at += bytes;
        }
    }

    auto post_with = [&](const std::vector<std::pair<std::string, std::string>>& params, pugi::xml_document& answer) {
        std::vector<std::pair<std::string, std::string>> ordered = params;
        std::stable_sort(ordered.begin(), ordered.end(),
                         [](const auto& a, const auto& b) { return parameter_index(a.first) < parameter_index(b.first); });
        pugi::xml_document parameters;
        pugi::xml_node p = parameters.append_child("SalesOrders").append_child("Parameters");
        for (const auto& [name, value] : ordered) add_text(p, name.c_str(), value);
        post(*pool_, ctx_, "Transaction/Post", "SORTOI", compact(parameters), compact(document), answer);
    };

    pugi::xml_document answer;
    post_with(settings_.parameters, answer);
    std::vector<enet_message> errors = errors_in(answer);
    bool suspended = false;
    if (!errors.empty() && classify(errors) == failure::hold_or_credit && settings_.on_hold == "suspense") {
        // Held for review: import in suspense, where a person releases or cancels it in SYSPRO.
        ctx_.warn(label + ": " + describe(errors) + "; importing it in suspense for review");
        std::vector<std::pair<std::string, std::string>> params = settings_.parameters;
        set_pair(params, "OrderStatus", "S");
        set_pair(params, "WarnIfCustomerOnHold", "Y");
        set_pair(params, "AcceptOrdersIfNoCredit", "Y");
        set_pair(params, "IgnoreWarnings", "W");
        answer.reset();
        post_with(params, answer);
        errors = errors_in(answer);
        suspended = true;
    }
    if (!errors.empty()) {
        switch (classify(errors)) {
        case failure::duplicate_po:
            // Posted before (by another process, or a person); find it and carry on.
            if (std::optional<sales_order_ref> again = find_sales_order(*pool_, ctx_, po)) {
                out.set_target_id(again->sales_order);
                emit_follow_up(rec, order, again->sales_order, customer, "found", out);
                return;
            }
            throw sdk::retry_error(label + ": SYSPRO says the PO number exists but COMFND does not find it yet: " + describe(errors));
        case failure::unknown_stock:
            throw sdk::reject_error(label + ": unknown SKU: " + describe(errors));
        case failure::hold_or_credit:
            throw sdk::reject_error(label + ": customer " + customer + " cannot take orders: " + describe(errors));
        case failure::other:
            break;
        }
        throw sdk::reject_error(label + ": SYSPRO refused the order: " + describe(errors));
    }
    pugi::xml_node root = answer.document_element();
    if (text_of(child(root, "ValidationStatus"), "Status") == "Failed") {
        throw sdk::reject_error(label + ": SYSPRO validation failed: " + describe(warnings_in(answer)));
    }
    pugi::xml_node counters = child(root, "StatusOfItems");
    if (number_of(counters, "ItemsRejectedWithWarnings") > 0) {
        throw sdk::reject_error(label + ": SYSPRO rejected the order with warnings: " + describe(warnings_in(answer)));
    }
    std::vector<enet_message> warnings = warnings_in(answer);
    if (!warnings.empty()) ctx_.warn(label + ": imported with warnings: " + describe(warnings));

    std::string sales_order = text_of(child(root, "Order", true), "SalesOrder");
    if (sales_order.empty()) {
        // SYSPRO 8.0.161 returns no <Order> block on a clean import: find the number by the PO.
        std::optional<sales_order_ref> created = find_sales_order(*pool_, ctx_, po);
        if (!created) {
            throw sdk::retry_error(label + ": SYSPRO reported the import (ItemsProcessed " +
                                   text_of(counters, "ItemsProcessed") + ") but COMFND does not find the order yet");
        }
        sales_order = created->sales_order;
    }
    ctx_.counter_add("orders_imported");
    ctx_.info(label + ": imported as SYSPRO sales order " + sales_order + (suspended ? " (in suspense)" : ""));
    out.set_target_id(sales_order);
    emit_follow_up(rec, order, sales_order, customer, "created", out);
}

void order_sink::emit_follow_up(const sdk::record& rec, const json::object& order, const std::string& sales_order,
                                const std::string& customer, const char* status, sdk::call& out) {
    json::object payload{{"order_id", string_in(order, "id")},
                         {"order_number", string_in(order, "number")},
                         {"erp", "syspro"},
                         {"erp_order", sales_order},
                         {"status", status}};
    if (!customer.empty()) payload["customer"] = customer;
    std::string text = json::serialize(payload);
    sdk::record r;
    r.stream = "erp_order";
    r.key = rec.key;
    r.version = rec.version;
    r.payload = text;
    out.emit(r);
}

}  // namespace ferry::syspro
