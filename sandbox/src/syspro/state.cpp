#include "syspro/state.hpp"

#include "syspro/text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <stdexcept>

namespace ferry::sandbox::syspro {

namespace json = boost::json;

namespace {

// Texts the reference gives as real ([REC]) or suggests ([UNCONF]); all replaceable (switch 8).
const std::map<std::string, std::string>& default_messages() {
    static const std::map<std::string, std::string> table{
        {"stock_not_found", "Stock code '{}' not found"},
        {"stock_on_hold", "Stock code '{}' is on hold"},
        {"not_stocked", "Stock code '{}' is not stocked in warehouse '{}'"},
        {"customer_on_hold", "Customer '{}' is on hold"},
        {"credit_limit", "Customer '{}' has exceeded credit limit"},
        {"duplicate_po", "Customer purchase order number '{}' already exists"},
        {"missing_po", "Customer purchase order number is required"},
        {"invalid_warehouse", "Warehouse '{}' not found"},
        {"customer_not_found", "Customer '{}' not found"},
        {"customer_required", "Customer is required"},
        {"customer_exists", "Customer '{}' already exists"},
        {"customer_in_use", "Customer '{}' has sales orders and cannot be deleted"},
        {"sales_order_not_found", "Sales order '{}' not found"},
        {"order_not_maintainable", "Sales order '{}' with status '{}' cannot be maintained"},
        {"line_not_found", "Sales order line '{}' not found"},
        {"nothing_to_dispatch", "Sales order '{}' has no quantity to dispatch"},
        {"dispatch_too_much", "Dispatch quantity for line '{}' exceeds the ship quantity"},
        {"nothing_to_invoice", "Sales order '{}' has nothing to invoice"},
        {"back_order_too_much", "Release quantity for line '{}' exceeds the back order quantity"},
        {"insufficient_stock", "Insufficient stock available for stock code '{}'"},
        {"invoice_not_found", "Invoice '{}' not found"},
        {"not_numeric", "XML element '{}' must be numeric"},
        {"too_long", "XML element '{}' is longer than {} characters"},
        {"required", "XML element '{}' is required"},
        {"invalid_value", "Value '{}' is not valid for XML element '{}'"},
        {"unknown_element", "XML element '{}' is not valid in '{}'"},
        {"invalid_company", "ERROR: Company '{}' not found"},
        {"invalid_company_password", "ERROR: Invalid company password"},
        {"invalid_status", "Order status '{}' is not valid"},
    };
    return table;
}

const json::value* member(const json::object& o, std::string_view key) { return o.if_contains(key); }

std::string as_string(const json::value& v, const std::string& where) {
    if (v.is_string()) return std::string(v.as_string());
    if (v.is_int64()) return std::to_string(v.as_int64());
    if (v.is_uint64()) return std::to_string(v.as_uint64());
    if (v.is_double()) return plain_number(v.as_double());
    if (v.is_bool()) return v.as_bool() ? "Y" : "N";
    throw std::invalid_argument("syspro seed: '" + where + "' must be a string");
}

double as_number(const json::value& v, const std::string& where) {
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    if (v.is_double()) return v.as_double();
    throw std::invalid_argument("syspro: '" + where + "' must be a number");
}

bool as_bool(const json::value& v, const std::string& where) {
    if (v.is_bool()) return v.as_bool();
    throw std::invalid_argument("syspro: '" + where + "' must be true or false");
}

const json::object& as_object(const json::value& v, const std::string& where) {
    if (!v.is_object()) throw std::invalid_argument("syspro seed: '" + where + "' must be an object");
    return v.as_object();
}

const json::array& as_array(const json::value& v, const std::string& where) {
    if (!v.is_array()) throw std::invalid_argument("syspro seed: '" + where + "' must be an array");
    return v.as_array();
}

void check_keys(const json::object& o, std::initializer_list<std::string_view> known, const std::string& where) {
    for (const auto& [key, value] : o) {
        if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
            throw std::invalid_argument("syspro seed: unknown field '" + std::string(key) + "' in " + where);
        }
    }
}

std::string one_of(const json::value& v, const std::string& where, std::initializer_list<std::string_view> allowed) {
    std::string s = as_string(v, where);
    if (std::find(allowed.begin(), allowed.end(), std::string_view(s)) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        throw std::invalid_argument("syspro: '" + where + "' must be one of " + list + ", not '" + s + "'");
    }
    return s;
}

}  // namespace

std::string today() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

// ---- settings ----

void settings::apply(const json::value& patch) {
    if (!patch.is_object()) throw std::invalid_argument("syspro settings must be a JSON object");
    for (const auto& [k, v] : patch.as_object()) {
        std::string key(k);
        std::string where = "settings." + key;
        if (key == "path_prefix") {
            path_prefix = as_string(v, where);
            if (path_prefix.empty() || path_prefix[0] != '/') throw std::invalid_argument("syspro: settings.path_prefix must start with '/'");
            while (path_prefix.size() > 1 && path_prefix.back() == '/') path_prefix.pop_back();
        } else if (key == "text_framing") {
            text_framing = one_of(v, where, {"bare", "json", "string"});
        } else if (key == "single_session_per_operator") {
            single_session_per_operator = as_bool(v, where);
        } else if (key == "invalid_session_message") {
            invalid_session_message = as_string(v, where);
        } else if (key == "licence_seats") {
            licence_seats = static_cast<int>(as_number(v, where));
            if (licence_seats < 1) throw std::invalid_argument("syspro: settings.licence_seats must be at least 1");
        } else if (key == "licence_exceeded_message") {
            licence_exceeded_message = as_string(v, where);
        } else if (key == "session_timeout_seconds") {
            session_timeout_seconds = as_number(v, where);
        } else if (key == "clean_import_returns_order") {
            clean_import_returns_order = as_bool(v, where);
        } else if (key == "allocation_codes") {
            allocation_codes = one_of(v, where, {"FBA", "SRB"});
        } else if (key == "allocation_default") {
            allocation_default = one_of(v, where, {"F", "B", "A", "S", "R"});
        } else if (key == "warning_number_element") {
            warning_number_element = as_string(v, where);
        } else if (key == "warning_description_element") {
            warning_description_element = as_string(v, where);
        } else if (key == "messages") {
            for (const auto& [mk, mv] : as_object(v, where)) {
                if (!default_messages().count(std::string(mk))) throw std::invalid_argument("syspro: unknown message '" + std::string(mk) + "' in settings.messages");
                messages[std::string(mk)] = as_string(mv, where + "." + std::string(mk));
            }
        } else if (key == "unlicensed") {
            unlicensed.clear();
            for (const auto& bo : as_array(v, where)) unlicensed.insert(upper(as_string(bo, where)));
        } else if (key == "unlicensed_message") {
            unlicensed_message = as_string(v, where);
        } else if (key == "arstpy_output") {
            arstpy_output = one_of(v, where, {"echo", "status_only"});
        } else if (key == "arsscs_root") {
            arsscs_root = one_of(v, where, {"lower", "as_input"});
        } else if (key == "arsscs_empty_customer") {
            arsscs_empty_customer = one_of(v, where, {"error", "auto_number"});
        } else if (key == "order_number_prefix") {
            order_number_prefix = as_string(v, where);
        } else if (key == "order_number_width") {
            order_number_width = static_cast<int>(as_number(v, where));
            if (order_number_width < 1 || order_number_width > 20) throw std::invalid_argument("syspro: settings.order_number_width must be 1..20");
        } else if (key == "version") {
            root.version = as_string(v, where);
        } else if (key == "operator_primary_role") {
            root.operator_primary_role = as_string(v, where);
        } else if (key == "get_version") {
            get_version = as_string(v, where);
        } else if (key == "stock_tax_code_honoured") {
            stock_tax_code_honoured = as_bool(v, where);
        } else if (key == "available_qty_formula") {
            available_qty_formula = one_of(v, where, {"on_hand_minus_allocated", "on_hand_minus_allocated_and_inspection"});
        } else if (key == "unknown_document_elements") {
            unknown_document_elements = one_of(v, where, {"ignore", "error"});
        } else if (key == "query_exception_format") {
            query_exception_format = as_string(v, where);
        } else {
            throw std::invalid_argument("syspro: unknown setting '" + key + "'");
        }
    }
    if (allocation_codes.find(allocation_default) == std::string::npos) {
        throw std::invalid_argument("syspro: settings.allocation_default '" + allocation_default + "' is not one of allocation_codes '" + allocation_codes + "'");
    }
}

json::value settings::to_json() const {
    json::object msgs;
    for (const auto& [k, v] : default_messages()) {
        auto it = messages.find(k);
        msgs[k] = it == messages.end() ? v : it->second;
    }
    json::array bos;
    for (const auto& bo : unlicensed) bos.push_back(json::value(bo));
    return json::object{
        {"path_prefix", path_prefix},
        {"text_framing", text_framing},
        {"single_session_per_operator", single_session_per_operator},
        {"invalid_session_message", invalid_session_message},
        {"licence_seats", licence_seats},
        {"licence_exceeded_message", licence_exceeded_message},
        {"session_timeout_seconds", session_timeout_seconds},
        {"clean_import_returns_order", clean_import_returns_order},
        {"allocation_codes", allocation_codes},
        {"allocation_default", allocation_default},
        {"warning_number_element", warning_number_element},
        {"warning_description_element", warning_description_element},
        {"messages", msgs},
        {"unlicensed", bos},
        {"unlicensed_message", unlicensed_message},
        {"arstpy_output", arstpy_output},
        {"arsscs_root", arsscs_root},
        {"arsscs_empty_customer", arsscs_empty_customer},
        {"order_number_prefix", order_number_prefix},
        {"order_number_width", order_number_width},
        {"version", root.version},
        {"operator_primary_role", root.operator_primary_role},
        {"get_version", get_version},
        {"stock_tax_code_honoured", stock_tax_code_honoured},
        {"available_qty_formula", available_qty_formula},
        {"unknown_document_elements", unknown_document_elements},
        {"query_exception_format", query_exception_format},
    };
}

std::string settings::message(const std::string& key, std::initializer_list<std::string_view> args) const {
    auto it = messages.find(key);
    const std::string& pattern = it != messages.end() ? it->second : default_messages().at(key);
    return fill(pattern, args);
}

// ---- master data ----

std::string customer::field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string{} : it->second;
}

std::optional<double> customer::credit_limit() const {
    std::string v = trim(field("CreditLimit"));
    if (v.empty()) return std::nullopt;
    auto n = parse_number(v, 14, 6);
    return n;
}

double order_line::open_value() const {
    if (cancelled) return 0;
    if (kind == line_kind::stock) return (order_qty - invoiced_qty) * price;
    if (kind == line_kind::misc || kind == line_kind::freight) return invoiced_qty > 0 ? 0 : value;
    return 0;
}

double sales_order::open_value() const {
    if (status == "\\" || status == "9" || status == "*") return 0;
    double total = 0;
    for (const auto& l : lines) total += l.open_value();
    return total;
}

void company_data::seed(const json::value& data, settings& s) {
    const json::object& root = as_object(data, "syspro");
    check_keys(root, {"$comment", "settings", "company", "operators", "warehouses", "stock", "customers", "next_sales_order", "next_invoice"}, "the syspro section");
    if (const json::value* v = member(root, "settings")) s.apply(*v);
    if (const json::value* v = member(root, "company")) {
        const json::object& c = as_object(*v, "company");
        check_keys(c, {"id", "name", "password"}, "company");
        if (auto* f = member(c, "id")) id = as_string(*f, "company.id");
        if (auto* f = member(c, "name")) name = as_string(*f, "company.name");
        if (auto* f = member(c, "password")) password = as_string(*f, "company.password");
    }
    if (const json::value* v = member(root, "operators")) {
        for (const auto& item : as_array(*v, "operators")) {
            const json::object& o = as_object(item, "operators[]");
            check_keys(o, {"operator", "password", "name", "email", "group", "location"}, "operators[]");
            operator_account acc;
            if (!member(o, "operator")) throw std::invalid_argument("syspro seed: operators[] needs 'operator'");
            acc.code = upper(as_string(o.at("operator"), "operators[].operator"));
            if (auto* f = member(o, "password")) acc.password = as_string(*f, "operators[].password");
            if (auto* f = member(o, "name")) acc.name = as_string(*f, "operators[].name");
            if (auto* f = member(o, "email")) acc.email = as_string(*f, "operators[].email");
            if (auto* f = member(o, "group")) acc.group = as_string(*f, "operators[].group");
            if (auto* f = member(o, "location")) acc.location = as_string(*f, "operators[].location");
            operators[acc.code] = acc;
        }
    }
    if (const json::value* v = member(root, "warehouses")) {
        for (const auto& item : as_array(*v, "warehouses")) {
            const json::object& o = as_object(item, "warehouses[]");
            check_keys(o, {"warehouse", "description"}, "warehouses[]");
            if (!member(o, "warehouse")) throw std::invalid_argument("syspro seed: warehouses[] needs 'warehouse'");
            std::string code = as_string(o.at("warehouse"), "warehouses[].warehouse");
            warehouses[code] = member(o, "description") ? as_string(o.at("description"), "warehouses[].description") : code;
        }
    }
    if (const json::value* v = member(root, "stock")) {
        for (const auto& item : as_array(*v, "stock")) {
            const json::object& o = as_object(item, "stock[]");
            check_keys(o, {"stock_code", "description", "long_desc", "uom", "product_class", "warehouse_to_use", "tax_code", "price", "mass", "on_hold", "on_hold_reason", "warehouses"}, "stock[]");
            if (!member(o, "stock_code")) throw std::invalid_argument("syspro seed: stock[] needs 'stock_code'");
            stock_item si;
            si.code = as_string(o.at("stock_code"), "stock[].stock_code");
            std::string where = "stock[" + si.code + "]";
            if (auto* f = member(o, "description")) si.description = as_string(*f, where + ".description");
            if (auto* f = member(o, "long_desc")) si.long_desc = as_string(*f, where + ".long_desc");
            if (auto* f = member(o, "uom")) si.uom = as_string(*f, where + ".uom");
            if (auto* f = member(o, "product_class")) si.product_class = as_string(*f, where + ".product_class");
            if (auto* f = member(o, "warehouse_to_use")) si.warehouse_to_use = as_string(*f, where + ".warehouse_to_use");
            if (auto* f = member(o, "tax_code")) si.tax_code = as_string(*f, where + ".tax_code");
            if (auto* f = member(o, "price")) si.selling_price = as_number(*f, where + ".price");
            if (auto* f = member(o, "mass")) si.mass = as_number(*f, where + ".mass");
            if (auto* f = member(o, "on_hold")) si.on_hold = as_bool(*f, where + ".on_hold");
            if (auto* f = member(o, "on_hold_reason")) si.on_hold_reason = as_string(*f, where + ".on_hold_reason");
            if (auto* f = member(o, "warehouses")) {
                for (const auto& [wh, q] : as_object(*f, where + ".warehouses")) {
                    std::string wcode(wh);
                    std::string wwhere = where + ".warehouses." + wcode;
                    if (!warehouses.count(wcode)) throw std::invalid_argument("syspro seed: " + wwhere + ": warehouse '" + wcode + "' is not in 'warehouses'");
                    const json::object& qo = as_object(q, wwhere);
                    check_keys(qo, {"on_hand", "allocated", "on_order", "back_order", "in_inspection", "unit_cost"}, wwhere);
                    warehouse_stock ws;
                    if (auto* n = member(qo, "on_hand")) ws.on_hand = as_number(*n, wwhere + ".on_hand");
                    if (auto* n = member(qo, "allocated")) ws.allocated = as_number(*n, wwhere + ".allocated");
                    if (auto* n = member(qo, "on_order")) ws.on_order = as_number(*n, wwhere + ".on_order");
                    if (auto* n = member(qo, "back_order")) ws.back_order = as_number(*n, wwhere + ".back_order");
                    if (auto* n = member(qo, "in_inspection")) ws.in_inspection = as_number(*n, wwhere + ".in_inspection");
                    if (auto* n = member(qo, "unit_cost")) ws.unit_cost = as_number(*n, wwhere + ".unit_cost");
                    si.warehouses[wcode] = ws;
                }
            }
            if (!si.warehouse_to_use.empty() && !warehouses.count(si.warehouse_to_use)) {
                throw std::invalid_argument("syspro seed: " + where + ".warehouse_to_use '" + si.warehouse_to_use + "' is not in 'warehouses'");
            }
            stock[si.code] = si;
        }
    }
    if (const json::value* v = member(root, "customers")) {
        for (const auto& item : as_array(*v, "customers")) {
            const json::object& o = as_object(item, "customers[]");
            check_keys(o, {"customer", "name", "email", "credit_limit", "on_hold", "balance", "currency", "fields"}, "customers[]");
            if (!member(o, "customer")) throw std::invalid_argument("syspro seed: customers[] needs 'customer'");
            customer c;
            c.code = as_string(o.at("customer"), "customers[].customer");
            std::string where = "customers[" + c.code + "]";
            c.fields["Currency"] = "$";
            c.fields["CustomerOnHold"] = "N";
            if (auto* f = member(o, "fields")) {
                for (const auto& [fk, fv] : as_object(*f, where + ".fields")) c.fields[std::string(fk)] = as_string(fv, where + ".fields." + std::string(fk));
            }
            if (auto* f = member(o, "name")) c.fields["Name"] = as_string(*f, where + ".name");
            if (auto* f = member(o, "email")) c.fields["Email"] = as_string(*f, where + ".email");
            if (auto* f = member(o, "credit_limit")) c.fields["CreditLimit"] = plain_number(as_number(*f, where + ".credit_limit"));
            if (auto* f = member(o, "on_hold")) c.fields["CustomerOnHold"] = as_bool(*f, where + ".on_hold") ? "Y" : "N";
            if (auto* f = member(o, "currency")) c.fields["Currency"] = as_string(*f, where + ".currency");
            if (auto* f = member(o, "balance")) c.balance = as_number(*f, where + ".balance");
            customers[c.code] = c;
        }
    }
    if (const json::value* v = member(root, "next_sales_order")) next_order = static_cast<long>(as_number(*v, "next_sales_order"));
    if (const json::value* v = member(root, "next_invoice")) next_invoice = static_cast<long>(as_number(*v, "next_invoice"));
}

// ---- read-back for the control API ----

json::value company_data::order_json(const sales_order& o) const {
    json::array lines;
    for (const auto& l : o.lines) {
        json::object j{{"line", l.number}, {"customer_po_line", l.customer_po_line}, {"cancelled", l.cancelled}};
        switch (l.kind) {
            case line_kind::stock:
                j["type"] = "stock";
                j["stock_code"] = l.stock_code;
                j["description"] = l.description;
                j["warehouse"] = l.warehouse;
                j["non_stocked"] = l.non_stocked;
                j["order_qty"] = l.order_qty;
                j["ship_qty"] = l.ship_qty;
                j["back_order_qty"] = l.back_order_qty;
                j["dispatched_qty"] = l.dispatched_qty;
                j["invoiced_qty"] = l.invoiced_qty;
                j["uom"] = l.uom;
                j["price"] = l.price;
                if (!l.tax_code.empty()) j["tax_code"] = l.tax_code;
                break;
            case line_kind::comment:
                j["type"] = "comment";
                j["comment"] = l.comment;
                break;
            case line_kind::misc:
                j["type"] = "misc";
                j["description"] = l.comment;
                j["value"] = l.value;
                j["product_class"] = l.product_class;
                break;
            case line_kind::freight:
                j["type"] = "freight";
                j["value"] = l.value;
                break;
        }
        lines.push_back(std::move(j));
    }
    json::array dispatches;
    for (const auto& d : o.dispatches) {
        json::array dl;
        for (const auto& l : d.lines) dl.push_back(json::object{{"line", l.line}, {"qty", l.qty}});
        dispatches.push_back(json::object{{"dispatch_note", d.number}, {"date", d.date}, {"carrier", d.carrier}, {"tracking_number", d.tracking},
                                          {"comments", d.comments}, {"invoiced", d.invoiced}, {"lines", dl}});
    }
    json::array invoices;
    for (const auto& i : o.invoices) invoices.push_back(json::object{{"invoice", i.number}, {"date", i.date}, {"value", i.value}, {"balance", i.balance}});
    json::array ship;
    for (int i = 0; i < 5; ++i) ship.push_back(json::value(o.ship_address[i]));
    return json::object{
        {"sales_order", o.number}, {"customer", o.customer}, {"customer_po_number", o.customer_po}, {"status", o.status},
        {"order_date", o.order_date}, {"customer_name", o.customer_name}, {"email", o.email}, {"ship_address", ship},
        {"ship_postal_code", o.ship_postal}, {"shipping_instrs", o.shipping_instrs}, {"shipping_instrs_code", o.shipping_instrs_code},
        {"special_instrs", o.special_instrs}, {"last_del_note", o.last_del_note}, {"last_invoice", o.last_invoice},
        {"num_dispatches", o.dispatches.size()}, {"last_operator", o.last_operator}, {"open_value", o.open_value()},
        {"lines", lines}, {"dispatches", dispatches}, {"invoices", invoices}};
}

json::value company_data::customer_json(const customer& c) const {
    json::object fields;
    for (const auto& [k, v] : c.fields) fields[k] = v;
    json::value limit = nullptr;
    if (auto l = c.credit_limit()) limit = *l;
    return json::object{{"customer", c.code}, {"name", c.field("Name")}, {"email", c.field("Email")}, {"on_hold", c.on_hold()},
                        {"credit_limit", limit}, {"balance", c.balance}, {"fields", fields}};
}

json::value company_data::stock_json(const stock_item& item, const settings& s) const {
    json::object whs;
    for (const auto& [code, w] : item.warehouses) {
        whs[code] = json::object{{"on_hand", w.on_hand}, {"available", available(w, s)}, {"allocated", w.allocated}, {"on_order", w.on_order},
                                 {"back_order", w.back_order}, {"in_inspection", w.in_inspection}, {"dispatch_not_invoiced", w.dispatch_not_invoiced},
                                 {"future_free", available(w, s) + w.on_order}};
    }
    return json::object{{"stock_code", item.code}, {"description", item.description}, {"on_hold", item.on_hold}, {"uom", item.uom},
                        {"price", item.selling_price}, {"warehouse_to_use", item.warehouse_to_use}, {"warehouses", whs}};
}

// ---- orders and stock ----

std::string company_data::new_order_number(const settings& s) {
    for (;;) {
        int digits = std::max(1, s.order_number_width - static_cast<int>(s.order_number_prefix.size()));
        char buf[32];
        std::snprintf(buf, sizeof buf, "%0*ld", digits, next_order++);
        std::string number = s.order_number_prefix + buf;
        if (!orders.count(number)) return number;
    }
}

sales_order* company_data::find_order(const std::string& number) {
    auto it = orders.find(number);
    if (it != orders.end()) return &it->second;
    // Numeric order keys are zero-filled by SYSPRO when typed short ("15562" finds "015562").
    std::string t = trim(number);
    for (auto& [key, o] : orders) {
        std::string stripped = key;
        stripped.erase(0, std::min(stripped.find_first_not_of('0'), stripped.size()));
        std::string wanted = t;
        wanted.erase(0, std::min(wanted.find_first_not_of('0'), wanted.size()));
        if (!wanted.empty() && stripped == wanted) return &o;
    }
    return nullptr;
}

sales_order* company_data::find_order_by_invoice(const std::string& number) {
    for (auto& [key, o] : orders) {
        for (const auto& i : o.invoices) {
            if (i.number == trim(number)) return &o;
        }
    }
    return nullptr;
}

double company_data::available(const warehouse_stock& w, const settings& s) const {
    double a = w.on_hand - w.allocated;
    if (s.available_qty_formula == "on_hand_minus_allocated_and_inspection") a -= w.in_inspection;
    return a;
}

void company_data::allocate(order_line& line, char action, const settings& s) {
    line.ship_qty = 0;
    line.back_order_qty = 0;
    if (line.kind != line_kind::stock || line.cancelled) return;
    double qty = line.order_qty - line.invoiced_qty - line.dispatched_qty;
    if (line.non_stocked) {
        line.ship_qty = qty;
        return;
    }
    warehouse_stock& w = stock.at(line.stock_code).warehouses.at(line.warehouse);
    double avail = std::max(0.0, available(w, s));
    switch (action) {
        case 'F': line.ship_qty = avail >= qty ? qty : 0; break;
        case 'A': line.ship_qty = std::min(avail, qty); break;
        default: line.ship_qty = 0; break;  // 'B': all to back order
    }
    line.back_order_qty = qty - line.ship_qty;
    w.allocated += line.ship_qty;
    w.back_order += line.back_order_qty;
}

void company_data::release(order_line& line) {
    if (line.kind == line_kind::stock && !line.non_stocked) {
        auto it = stock.find(line.stock_code);
        if (it != stock.end()) {
            auto wit = it->second.warehouses.find(line.warehouse);
            if (wit != it->second.warehouses.end()) {
                wit->second.allocated -= line.ship_qty;
                wit->second.back_order -= line.back_order_qty;
            }
        }
    }
    line.ship_qty = 0;
    line.back_order_qty = 0;
}

dispatch_note& company_data::dispatch(sales_order& o, const std::vector<dispatch_line>& lines, const std::string& date) {
    dispatch_note note;
    char buf[16];
    std::snprintf(buf, sizeof buf, "/%04zu", o.dispatches.size() + 1);
    note.number = o.number + buf;
    note.date = date;
    std::vector<dispatch_line> wanted = lines;
    if (wanted.empty()) {
        for (const auto& l : o.lines) {
            if (l.kind == line_kind::stock && !l.cancelled && l.ship_qty > 0) wanted.push_back({l.number, l.ship_qty});
        }
    }
    for (const auto& d : wanted) {
        for (auto& l : o.lines) {
            if (l.number != d.line) continue;
            l.ship_qty -= d.qty;
            l.dispatched_qty += d.qty;
            if (!l.non_stocked) {
                warehouse_stock& w = stock.at(l.stock_code).warehouses.at(l.warehouse);
                w.allocated -= d.qty;
                w.on_hand -= d.qty;
                w.dispatch_not_invoiced += d.qty;
            }
        }
    }
    note.lines = wanted;
    o.last_del_note = note.number;
    o.status = "4";
    o.dispatches.push_back(note);
    return o.dispatches.back();
}

invoice* company_data::make_invoice(sales_order& o, const std::string& date) {
    double value = 0;
    bool any = false;
    for (auto& l : o.lines) {
        if (l.cancelled) continue;
        if (l.kind == line_kind::stock) {
            double qty = l.dispatched_qty + l.ship_qty;
            if (qty <= 0) continue;
            any = true;
            if (!l.non_stocked) {
                warehouse_stock& w = stock.at(l.stock_code).warehouses.at(l.warehouse);
                w.dispatch_not_invoiced -= l.dispatched_qty;
                w.allocated -= l.ship_qty;
                w.on_hand -= l.ship_qty;
            }
            value += qty * l.price;
            l.invoiced_qty += qty;
            l.dispatched_qty = 0;
            l.ship_qty = 0;
        } else if ((l.kind == line_kind::misc || l.kind == line_kind::freight) && l.invoiced_qty == 0) {
            value += l.value;
            l.invoiced_qty = 1;
        }
    }
    if (!any) return nullptr;
    for (auto& d : o.dispatches) d.invoiced = true;
    invoice inv;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%06ld", next_invoice++);
    inv.number = buf;
    inv.date = date;
    inv.value = value;
    inv.balance = value;
    o.invoices.push_back(inv);
    o.last_invoice = inv.number;
    o.date_last_inv = date;
    bool back_orders = false;
    for (const auto& l : o.lines) back_orders |= !l.cancelled && l.kind == line_kind::stock && l.back_order_qty > 0;
    o.status = back_orders ? "2" : "9";
    auto cit = customers.find(o.customer);
    if (cit != customers.end()) cit->second.balance += value;
    return &o.invoices.back();
}

void company_data::cancel(sales_order& o) {
    for (auto& l : o.lines) {
        if (l.cancelled) continue;
        release(l);
        l.cancelled = true;
    }
    o.status = "\\";
}

}  // namespace ferry::sandbox::syspro
