// SORTOI, Sales Order Import (reference section 6): parameters, the business rules of 4.4, and
// the three output shapes of 6.5. Lenient where SYSPRO is: unknown parameters are ignored.
#include "syspro/business_objects.hpp"
#include "syspro/text.hpp"

#include <algorithm>
#include <map>

namespace ferry::sandbox::syspro {

namespace {

struct issue {
    std::string number, text;
    bool warning = false;
};

struct sortoi_params {
    bool import = false;
    std::string customer_to_use;
    std::vector<std::string> warehouse_list;
    std::string order_status = "1";
    char allow_non_stock = 'N';
    bool accept_if_no_credit = false;
    std::string credit_fail_message;
    char allow_duplicates = 'N';
    char check_po = 'Y';
    char allocation = 'F';
    char ignore_warnings = 'N';
    bool warn_if_on_hold = false;
};

// SYSPRO's codes mapped onto the emulator's three behaviours: F (full or nothing), B (back
// order), A (what is available). RECT's S/R/B read as Ship = A, Reserve = F, Back-order = B.
char allocation_behaviour(char code, const settings& s) {
    if (s.allocation_codes == "SRB") return code == 'S' ? 'A' : code == 'R' ? 'F' : 'B';
    return code;
}

char flag(const pugi::xml_node& p, const char* name, char otherwise) {
    std::string v = upper(child_text(p, name));
    return v.empty() ? otherwise : v[0];
}

sortoi_params read_params(const std::string& xml, const settings& s) {
    sortoi_params p;
    p.allocation = s.allocation_default[0];
    if (trim(xml).empty()) return p;
    pugi::xml_document doc = parse_xml(xml, "XmlParameters");
    pugi::xml_node n = doc.document_element().child("Parameters");
    std::string process = lower(child_text(n, "Process"));
    if (process == "import") p.import = true;
    else if (!process.empty() && process != "validate") throw bo_exception(s.message("invalid_value", {child_text(n, "Process"), "Process"}));
    p.customer_to_use = child_text(n, "CustomerToUse");
    std::string list = child_text(n, "WarehouseListToUse");
    for (size_t start = 0; start < list.size();) {
        size_t comma = list.find(',', start);
        std::string w = trim(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!w.empty()) p.warehouse_list.push_back(w);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    std::string status = upper(child_text(n, "OrderStatus"));
    if (!status.empty()) {
        if (status != "1" && status != "4" && status != "8" && status != "S") throw bo_exception(s.message("invalid_value", {status, "OrderStatus"}));
        p.order_status = status;
    }
    if (upper(child_text(n, "TypeOfOrder")) == "BIL") p.order_status = "8";
    p.allow_non_stock = flag(n, "AllowNonStockItems", 'N');
    p.accept_if_no_credit = flag(n, "AcceptOrdersIfNoCredit", 'N') == 'Y';
    p.credit_fail_message = child_text(n, "CreditFailMessage");
    p.allow_duplicates = flag(n, "AllowDuplicateOrderNumbers", 'N');
    p.check_po = flag(n, "CheckForCustomerPoNumbers", 'Y');
    char allocation = flag(n, "AllocationAction", s.allocation_default[0]);
    if (s.allocation_codes.find(allocation) == std::string::npos) throw bo_exception(s.message("invalid_value", {std::string(1, allocation), "AllocationAction"}));
    p.allocation = allocation;
    p.ignore_warnings = flag(n, "IgnoreWarnings", 'N');
    p.warn_if_on_hold = flag(n, "WarnIfCustomerOnHold", 'N') == 'Y';
    return p;
}

// Maximum lengths (reference 6.3 and 6.4) and numeric sizes (integer digits, decimals).
const std::map<std::string, size_t> header_lengths{
    {"CustomerPoNumber", 30}, {"NewCustomerPoNumber", 30}, {"Customer", 7}, {"InvoiceTerms", 2}, {"ShippingInstrs", 50},
    {"CustomerName", 50}, {"ShipAddress1", 40}, {"ShipAddress2", 40}, {"ShipAddress3", 40}, {"ShipAddress3Locality", 40},
    {"ShipAddress4", 40}, {"ShipAddress5", 40}, {"ShipPostalCode", 10}, {"Email", 255}, {"SpecialInstrs", 50},
    {"SalesOrder", 20}, {"MultiShipCode", 5}, {"OrderComments", 400}};
const std::map<std::string, size_t> line_lengths{{"StockCode", 30}, {"UserDefined", 4}, {"StockTaxCode", 3}, {"Comment", 100}, {"MiscDescription", 100}};
const std::map<std::string, std::pair<int, int>> numeric_sizes{
    {"OrderQty", {12, 6}}, {"Price", {10, 5}}, {"MiscChargeValue", {12, 2}}, {"MiscChargeCost", {12, 2}}, {"MiscQuantity", {12, 6}},
    {"FreightValue", {12, 2}}, {"FreightCost", {12, 2}}, {"LineDiscPercent1", {3, 2}}, {"LineDiscPercent2", {3, 2}},
    {"LineDiscPercent3", {3, 2}}, {"OrderDiscPercent1", {3, 2}}, {"OrderDiscPercent2", {3, 2}}, {"OrderDiscPercent3", {3, 2}},
    {"NsUnitCost", {10, 5}}, {"UnitMass", {10, 6}}, {"UnitVolume", {10, 6}}, {"LineDiscValue", {12, 2}}, {"Units", {12, 6}},
    {"Pieces", {12, 6}}};

const std::vector<std::string> header_elements{
    "CustomerPoNumber", "OrderActionType", "NewCustomerPoNumber", "Supplier", "Customer", "OrderDate", "InvoiceTerms", "Currency",
    "ShippingInstrs", "ShippingInstrsCode", "CustomerName", "ShipAddress1", "ShipAddress2", "ShipAddress3", "ShipAddress3Locality",
    "ShipAddress4", "ShipAddress5", "ShipPostalCode", "ShipGpsLat", "ShipGpsLong", "LanguageCode", "Email", "OrderDiscPercent1",
    "OrderDiscPercent2", "OrderDiscPercent3", "Warehouse", "SpecialInstrs", "SalesOrder", "OrderType", "MultiShipCode",
    "ShipAddressPerLine", "AlternateReference", "Salesperson", "Branch", "Area", "RequestedShipDate", "InvoiceNumberEntered",
    "InvoiceDateEntered", "OrderComments", "Nationality", "DeliveryTerms", "ShippingLocation", "TransactionNature", "TransportMode",
    "ProcessFlag", "TaxExemptNumber", "TaxExemptionStatus", "GstExemptNumber", "GstExemptionStatus", "CompanyTaxNumber",
    "ShipAddressPerLineTax", "CancelReasonCode", "DocumentFormat", "State", "CountyZip", "City", "DeliveryRouteAction",
    "DeliveryRoute", "InvoiceWholeOrderOnly", "SalesOrderPromoQualifyAction", "SalesOrderPromoSelectAction",
    "GlobalTradePromotionCodes", "POSSalesOrder", "IncludeInMrp", "eSignature"};
const std::vector<std::string> stock_line_elements{
    "CustomerPoLine", "LineActionType", "LineCancelCode", "StockCode", "StockDescription", "CustomersPartNumber", "Warehouse",
    "OrderQty", "OrderUom", "Price", "PriceUom", "PriceCode", "AlwaysUsePriceEntered", "Units", "Pieces", "ProductClass",
    "LineDiscPercent1", "LineDiscPercent2", "LineDiscPercent3", "AlwaysUseDiscountEntered", "CustRequestDate", "CommissionCode",
    "LineShipDate", "LineDiscValue", "LineDiscValFlag", "OverrideCalculatedDiscount", "UserDefined", "NonStockedLine",
    "NsProductClass", "NsUnitCost", "UnitMass", "UnitVolume", "StockTaxCode", "StockNotTaxable", "StockFstCode",
    "StockNotFstTaxable", "AllocationAction", "ConfigPrintInv", "ConfigPrintDel", "ConfigPrintAck", "TariffCode",
    "LineMultiShipCode", "SupplementaryUnitsFactor", "ReserveStock", "ReserveStockRequestAllocs", "TradePromotionCodes",
    "IncludeInMrp", "DeliveryLoad"};
const std::vector<std::string> comment_line_elements{"CustomerPoLine", "LineActionType", "Comment", "AttachedLineNumber", "CommentType"};
const std::vector<std::string> misc_line_elements{
    "CustomerPoLine", "LineActionType", "LineCancelCode", "MiscChargeValue", "MiscChargeCost", "MiscQuantity", "MiscProductClass",
    "MiscTaxCode", "MiscNotTaxable", "MiscFstCode", "MiscNotFstTaxable", "MiscDescription", "MiscChargeCode", "MiscTariffCode",
    "MiscSvcChargePrice", "ConfigPrintInv", "ConfigPrintDel", "ConfigPrintAck"};
const std::vector<std::string> freight_line_elements{
    "CustomerPoLine", "LineActionType", "LineCancelCode", "FreightValue", "FreightCost", "FreightTaxCode", "FreightNotTaxable",
    "FreightFstCode", "FreightNotFstTaxable"};

bool is_closed(const std::string& status) { return status == "9" || status == "\\" || status == "*"; }

// Validates one <Orders> element and, when asked, applies it. Issues are kept per section node.
class order_import {
public:
    order_import(company_data& data, const settings& s, const sortoi_params& p, const std::string& operator_code)
        : data_(data), s_(s), p_(p), operator_(operator_code) {}

    void validate(const pugi::xml_node& orders);
    bool has_errors() const { return errors_ > 0; }
    bool has_warnings() const { return warnings_ > 0; }
    // Creates, changes or cancels the order; returns its number.
    std::string apply();

    const std::vector<issue>& issues_of(const pugi::xml_node& n) const {
        static const std::vector<issue> none;
        auto it = issues_.find(n.internal_object());
        return it == issues_.end() ? none : it->second;
    }
    std::vector<issue> all_issues() const {
        std::vector<issue> out;
        for (const auto& key : order_) {
            for (const auto& i : issues_.at(key)) out.push_back(i);
        }
        return out;
    }
    std::string action() const { return action_; }
    std::string customer_po() const { return customer_po_; }
    std::string existing_number() const { return target_ ? target_->number : std::string{}; }

private:
    void error(const pugi::xml_node& section, const std::string& text, const std::string& number = {}) { add(section, {number, text, false}); }
    // IgnoreWarnings decides: N turns warnings into errors, Y drops them, W returns them.
    void warning(const pugi::xml_node& section, const std::string& text) {
        if (p_.ignore_warnings == 'Y') return;
        add(section, {"", text, p_.ignore_warnings == 'W'});
    }
    void add(const pugi::xml_node& section, issue i) {
        auto key = section.internal_object();
        if (!issues_.count(key)) order_.push_back(key);
        (i.warning ? warnings_ : errors_)++;
        issues_[key].push_back(std::move(i));
    }

    // Lengths (in characters, as stored in Windows-1252), numbers and (when switched on) unknown
    // elements of one section.
    void check_fields(const pugi::xml_node& section, const std::vector<std::string>& known, const std::map<std::string, size_t>& lengths) {
        for (const pugi::xml_node& f : section.children()) {
            if (f.type() != pugi::node_element) continue;
            std::string name = f.name();
            if (s_.unknown_document_elements == "error" && std::find(known.begin(), known.end(), name) == known.end()) {
                error(section, s_.message("unknown_element", {name, section.name()}));
                continue;
            }
            std::string value = f.text().get();
            auto len = lengths.find(name);
            if (len != lengths.end() && to_windows_1252(value).size() > len->second) error(section, s_.message("too_long", {name, std::to_string(len->second)}));
            auto size = numeric_sizes.find(name);
            if (size != numeric_sizes.end() && !parse_number(value, size->second.first, size->second.second)) {
                error(section, s_.message("not_numeric", {name}), "100031");
            }
        }
    }

    double number(const pugi::xml_node& n, const char* name) {
        auto size = numeric_sizes.at(name);
        return parse_number(n.child(name).text().get(), size.first, size.second).value_or(0);
    }

    void validate_header(const pugi::xml_node& header);
    void validate_lines(const pugi::xml_node& details);
    void validate_stock_line(const pugi::xml_node& line, order_line& l);
    std::string resolve_warehouse(const pugi::xml_node& line, const stock_item& item);

    company_data& data_;
    const settings& s_;
    const sortoi_params& p_;
    std::string operator_;
    std::map<const void*, std::vector<issue>> issues_;
    std::vector<const void*> order_;  // sections in the order their first issue came
    int errors_ = 0, warnings_ = 0;

    std::string action_ = "A", customer_po_;
    sales_order draft_;                // the order as it will be after apply()
    sales_order* target_ = nullptr;    // the existing order for C and D
    std::string header_warehouse_;
    std::map<int, char> line_allocation_;  // per-line AllocationAction overrides
};

void order_import::validate(const pugi::xml_node& orders) {
    pugi::xml_node header = orders.child("OrderHeader");
    if (!header) {
        error(orders, s_.message("required", {"OrderHeader"}));
        return;
    }
    validate_header(header);
    if (action_ != "D") validate_lines(orders.child("OrderDetails"));
    if (action_ == "A" && !has_errors()) {
        // Credit check on the whole order (reference 4.4): balance + open orders + this order.
        auto cit = data_.customers.find(draft_.customer);
        if (cit != data_.customers.end()) {
            if (auto limit = cit->second.credit_limit()) {
                double exposure = cit->second.balance + draft_.open_value();
                for (const auto& [n, o] : data_.orders) {
                    if (o.customer == draft_.customer) exposure += o.open_value();
                }
                if (exposure > *limit && !p_.accept_if_no_credit) {
                    error(header, p_.credit_fail_message.empty() ? s_.message("credit_limit", {draft_.customer}) : p_.credit_fail_message);
                }
            }
        }
    }
}

void order_import::validate_header(const pugi::xml_node& h) {
    check_fields(h, header_elements, header_lengths);
    action_ = upper(child_text(h, "OrderActionType"));
    if (action_.empty()) action_ = "A";
    customer_po_ = child_text(h, "CustomerPoNumber");
    if (action_ != "A" && action_ != "C" && action_ != "D") {
        error(h, s_.message("invalid_value", {action_, "OrderActionType"}));
        return;
    }
    header_warehouse_ = child_text(h, "Warehouse");
    if (!header_warehouse_.empty() && !data_.warehouses.count(header_warehouse_)) error(h, s_.message("invalid_warehouse", {header_warehouse_}));

    if (action_ == "A") {
        std::string code = child_text(h, "Customer");
        if (code.empty()) code = p_.customer_to_use;
        auto cit = data_.customers.find(code);
        if (code.empty()) {
            error(h, s_.message("customer_required", {}));
        } else if (cit == data_.customers.end()) {
            error(h, s_.message("customer_not_found", {code}));
        } else if (cit->second.on_hold()) {
            if (p_.warn_if_on_hold) warning(h, s_.message("customer_on_hold", {code}));
            else error(h, s_.message("customer_on_hold", {code}));
        }
        bool po_required = p_.check_po == 'Y' || (p_.check_po == 'C' && cit != data_.customers.end() && cit->second.field("PoNumberMandatory") == "Y");
        if (customer_po_.empty() && po_required) error(h, s_.message("missing_po", {}));
        if (!customer_po_.empty() && p_.allow_duplicates != 'A') {
            bool duplicate = std::any_of(data_.orders.begin(), data_.orders.end(), [&](const auto& entry) {
                const sales_order& o = entry.second;
                return o.customer == code && o.customer_po == customer_po_ && o.status != "\\" && o.status != "*";
            });
            if (duplicate) {
                if (p_.allow_duplicates == 'Y') warning(h, s_.message("duplicate_po", {customer_po_}));
                else error(h, s_.message("duplicate_po", {customer_po_}));
            }
        }
        draft_.customer = code;
        draft_.customer_po = customer_po_;
        draft_.status = p_.order_status;
        draft_.order_date = child_text(h, "OrderDate").empty() ? today() : child_text(h, "OrderDate");
        draft_.order_type = child_text(h, "OrderType");
    } else {
        std::string number = child_text(h, "SalesOrder");
        if (!number.empty()) {
            target_ = data_.find_order(number);
        } else if (!customer_po_.empty()) {
            std::string code = child_text(h, "Customer");
            for (auto& [n, o] : data_.orders) {
                if (o.customer_po == customer_po_ && (code.empty() || o.customer == code) && !is_closed(o.status)) target_ = &o;
            }
            number = customer_po_;
        }
        if (!target_) {
            error(h, s_.message("sales_order_not_found", {number}));
            return;
        }
        if (is_closed(target_->status) || target_->status == "4" ||
            std::any_of(target_->lines.begin(), target_->lines.end(), [](const order_line& l) { return l.dispatched_qty > 0 || l.invoiced_qty > 0; })) {
            error(h, s_.message("order_not_maintainable", {target_->number, target_->status}));
            return;
        }
        draft_ = *target_;
        if (action_ == "C") {
            std::string new_po = child_text(h, "NewCustomerPoNumber");
            if (!new_po.empty()) draft_.customer_po = new_po;
        }
    }
    // Header fields given on add or change.
    auto set = [&](const char* name, std::string& field) {
        pugi::xml_node n = h.child(name);
        if (!n) return;
        std::string v = n.text().get();
        field = v == "{blank}" ? std::string{} : v;
    };
    set("CustomerName", draft_.customer_name);
    set("Email", draft_.email);
    set("ShippingInstrs", draft_.shipping_instrs);
    set("ShippingInstrsCode", draft_.shipping_instrs_code);
    set("SpecialInstrs", draft_.special_instrs);
    set("ShipPostalCode", draft_.ship_postal);
    set("RequestedShipDate", draft_.req_ship_date);
    set("ShipAddress1", draft_.ship_address[0]);
    set("ShipAddress2", draft_.ship_address[1]);
    set("ShipAddress3", draft_.ship_address[2]);
    set("ShipAddress4", draft_.ship_address[3]);
    set("ShipAddress5", draft_.ship_address[4]);
    set("ShipAddress3Locality", draft_.ship_address[5]);
    if (action_ == "A") {
        auto cit = data_.customers.find(draft_.customer);
        if (cit != data_.customers.end()) {
            const customer& c = cit->second;
            draft_.currency = c.field("Currency");
            if (draft_.customer_name.empty()) draft_.customer_name = c.field("Name");
            bool no_address = std::all_of(std::begin(draft_.ship_address), std::end(draft_.ship_address), [](const std::string& a) { return a.empty(); });
            if (no_address) {
                for (int i = 0; i < 5; ++i) draft_.ship_address[i] = c.field("ShipToAddr" + std::to_string(i + 1));
                if (draft_.ship_postal.empty()) draft_.ship_postal = c.field("ShipPostalCode");
            }
        }
    }
    draft_.last_operator = operator_;
}

std::string order_import::resolve_warehouse(const pugi::xml_node& line, const stock_item& item) {
    std::string w = child_text(line, "Warehouse");
    if (w.empty()) w = header_warehouse_;
    if (w.empty()) {
        for (const auto& candidate : p_.warehouse_list) {
            if (item.warehouses.count(candidate)) {
                w = candidate;
                break;
            }
        }
    }
    if (w.empty()) w = item.warehouse_to_use;
    if (w.empty()) {
        error(line, s_.message("required", {"Warehouse"}));
    } else if (!data_.warehouses.count(w)) {
        error(line, s_.message("invalid_warehouse", {w}));
    } else if (!item.warehouses.count(w)) {
        error(line, s_.message("not_stocked", {item.code, w}));
    }
    return w;
}

void order_import::validate_stock_line(const pugi::xml_node& line, order_line& l) {
    check_fields(line, stock_line_elements, line_lengths);
    std::string code = child_text(line, "StockCode");
    const stock_item* item = nullptr;
    auto it = data_.stock.find(code);
    if (it == data_.stock.end() && !child_text(line, "CustomersPartNumber").empty()) it = data_.stock.find(child_text(line, "CustomersPartNumber"));
    if (it != data_.stock.end()) {
        item = &it->second;
        code = item->code;
    }
    if (code.empty()) {
        error(line, s_.message("required", {"StockCode"}));
    } else if (!item) {
        bool non_stocked = p_.allow_non_stock == 'Y' || (p_.allow_non_stock == 'S' && upper(child_text(line, "NonStockedLine")) == "Y");
        if (non_stocked) l.non_stocked = true;
        else error(line, s_.message("stock_not_found", {code}), "240004");
    } else if (item->on_hold) {
        error(line, s_.message("stock_on_hold", {code}));
    }
    l.kind = line_kind::stock;
    l.stock_code = code;
    l.description = child_text(line, "StockDescription");
    if (item && l.description.empty()) l.description = item->description;
    l.product_class = item ? item->product_class : child_text(line, "NsProductClass");
    if (item) {
        l.warehouse = resolve_warehouse(line, *item);
    } else {
        // Non-stocked (or unknown) items need no warehouse, but one that is given must exist.
        l.warehouse = child_text(line, "Warehouse").empty() ? header_warehouse_ : child_text(line, "Warehouse");
        if (!l.warehouse.empty() && !data_.warehouses.count(l.warehouse)) error(line, s_.message("invalid_warehouse", {l.warehouse}));
    }
    if (!line.child("OrderQty") || trim(line.child("OrderQty").text().get()).empty()) error(line, s_.message("required", {"OrderQty"}));
    if (child_text(line, "OrderUom").empty()) error(line, s_.message("required", {"OrderUom"}));
    l.order_qty = number(line, "OrderQty");
    if (l.order_qty <= 0 && line.child("OrderQty")) error(line, s_.message("invalid_value", {child_text(line, "OrderQty"), "OrderQty"}));
    l.uom = child_text(line, "OrderUom");
    if (line.child("Price")) {
        l.price = number(line, "Price");
        if (child_text(line, "PriceUom").empty()) error(line, s_.message("required", {"PriceUom"}));
        l.price_uom = child_text(line, "PriceUom");
    } else {
        l.price = item ? item->selling_price : 0;
        l.price_uom = l.uom;
    }
    if (s_.stock_tax_code_honoured) l.tax_code = child_text(line, "StockTaxCode");
    std::string allocation = upper(child_text(line, "AllocationAction"));
    if (!allocation.empty()) {
        if (s_.allocation_codes.find(allocation[0]) == std::string::npos) error(line, s_.message("invalid_value", {allocation, "AllocationAction"}));
        else line_allocation_[l.number] = allocation[0];
    }
}

void order_import::validate_lines(const pugi::xml_node& details) {
    int next = 1;
    for (const auto& l : draft_.lines) next = std::max(next, l.number + 1);
    for (const pugi::xml_node& line : details.children()) {
        if (line.type() != pugi::node_element) continue;
        std::string kind = line.name();
        std::string line_action = upper(child_text(line, "LineActionType"));
        if (line_action.empty()) line_action = "A";
        if (action_ == "A" && line_action != "A") {
            error(line, s_.message("invalid_value", {line_action, "LineActionType"}));
            continue;
        }
        std::string po_line = child_text(line, "CustomerPoLine");
        if (!po_line.empty()) {
            auto n = parse_number(po_line, 4, 0);
            if (!n) error(line, s_.message("not_numeric", {"CustomerPoLine"}), "100031");
            else if (*n < 1 || *n > 9999) error(line, s_.message("invalid_value", {po_line, "CustomerPoLine"}));
        }
        if (line_action == "C" || line_action == "D") {
            if (po_line.empty()) {
                error(line, s_.message("required", {"CustomerPoLine"}));
                continue;
            }
            auto existing = std::find_if(draft_.lines.begin(), draft_.lines.end(),
                                         [&](const order_line& l) { return !l.cancelled && l.customer_po_line == po_line; });
            if (existing == draft_.lines.end()) {
                error(line, s_.message("line_not_found", {po_line}));
                continue;
            }
            if (line_action == "D") {
                existing->cancelled = true;
                continue;
            }
            if (kind == "StockLine") {
                check_fields(line, stock_line_elements, line_lengths);
                if (line.child("OrderQty")) existing->order_qty = number(line, "OrderQty");
                if (line.child("Price")) existing->price = number(line, "Price");
            } else if (kind == "MiscChargeLine" && line.child("MiscChargeValue")) {
                existing->value = number(line, "MiscChargeValue");
            } else if (kind == "FreightLine" && line.child("FreightValue")) {
                existing->value = number(line, "FreightValue");
            } else if (kind == "CommentLine" && line.child("Comment")) {
                existing->comment = child_text(line, "Comment");
            }
            continue;
        }
        if (line_action != "A") {
            error(line, s_.message("invalid_value", {line_action, "LineActionType"}));
            continue;
        }
        order_line l;
        l.number = next++;
        l.customer_po_line = po_line;
        if (kind == "StockLine") {
            validate_stock_line(line, l);
        } else if (kind == "CommentLine") {
            check_fields(line, comment_line_elements, line_lengths);
            l.kind = line_kind::comment;
            l.comment = child_text(line, "Comment");
        } else if (kind == "MiscChargeLine") {
            check_fields(line, misc_line_elements, line_lengths);
            l.kind = line_kind::misc;
            l.value = number(line, "MiscChargeValue");
            l.comment = child_text(line, "MiscDescription");
            l.product_class = child_text(line, "MiscProductClass");
            if (l.product_class.empty() && child_text(line, "MiscChargeCode").empty()) error(line, s_.message("required", {"MiscProductClass"}));
        } else if (kind == "FreightLine") {
            check_fields(line, freight_line_elements, line_lengths);
            l.kind = line_kind::freight;
            l.value = number(line, "FreightValue");
            l.comment = "Freight";
        } else {
            if (s_.unknown_document_elements == "error") error(details, s_.message("unknown_element", {kind, "OrderDetails"}));
            --next;
            continue;
        }
        draft_.lines.push_back(std::move(l));
    }
}

std::string order_import::apply() {
    if (action_ == "A") {
        draft_.number = data_.new_order_number(s_);
        for (auto& l : draft_.lines) {
            auto it = line_allocation_.find(l.number);
            data_.allocate(l, allocation_behaviour(it == line_allocation_.end() ? p_.allocation : it->second, s_), s_);
        }
        std::string number = draft_.number;
        data_.orders[number] = std::move(draft_);
        return number;
    }
    if (action_ == "D") {
        data_.cancel(*target_);
        return target_->number;
    }
    // Change: give back what the order held, then allocate the changed order afresh.
    for (auto& l : target_->lines) data_.release(l);
    for (auto& l : draft_.lines) {
        auto it = line_allocation_.find(l.number);
        data_.allocate(l, allocation_behaviour(it == line_allocation_.end() ? p_.allocation : it->second, s_), s_);
    }
    *target_ = std::move(draft_);
    return target_->number;
}

void write_issues(xml_out& out, const std::vector<issue>& issues, const settings& s) {
    for (const auto& i : issues) {
        if (i.warning) {
            if (!i.number.empty()) out.leaf(s.warning_number_element, i.number);
            out.leaf(s.warning_description_element, i.text);
        } else {
            if (!i.number.empty()) out.leaf("ErrorNumber", i.number);
            out.leaf("ErrorDescription", i.text);
        }
    }
}

}  // namespace

std::string run_sortoi(company_data& data, const settings& s, const bo_call& call) {
    sortoi_params p = read_params(call.xml_parameters, s);
    pugi::xml_document doc = parse_xml(call.xml_in, "XmlIn");
    pugi::xml_node root = doc.document_element();
    xml_out out("SalesOrders", s.root);
    long processed = 0, invalid = 0, rejected = 0, with_warnings = 0;
    for (const pugi::xml_node& orders : root.children("Orders")) {
        order_import order(data, s, p, call.operator_code);
        order.validate(orders);
        if (!p.import) {
            ++processed;
            if (order.has_errors()) ++invalid;
            out.open("Orders");
            if (order.has_errors() || order.has_warnings()) {
                // "the whole document is returned with all errors found", each at the end of its section.
                auto after = [&](const pugi::xml_node& section) { write_issues(out, order.issues_of(section), s); };
                auto annotated = [&](const pugi::xml_node& section) { return !order.issues_of(section).empty(); };
                out.echo_children(orders, annotated, after);
                after(orders);
            } else {
                out.open("OrderHeader");
                out.leaf("CustomerPoNumber", order.customer_po());
                out.leaf("OrderActionType", order.action());
                out.leaf("SalesOrder", order.existing_number());
                out.leaf("OrderType", child_text(orders.child("OrderHeader"), "OrderType"));
                out.close();
            }
            out.close();
            continue;
        }
        std::string number;
        if (order.has_errors()) {
            ++rejected;
        } else {
            number = order.apply();
            ++processed;
            if (order.has_warnings()) ++with_warnings;
        }
        if (order.has_errors() || order.has_warnings() || s.clean_import_returns_order) {
            out.open("Order");
            out.leaf("CustomerPoNumber", order.customer_po());
            out.leaf("OrderActionType", order.action());
            out.leaf("SalesOrder", number);
            write_issues(out, order.all_issues(), s);
            out.close();
        }
    }
    if (!p.import) {
        out.open("ValidationStatus");
        out.leaf("Status", invalid > 0 ? "Failed" : "Successful");
        out.close();
        out.open("StatusOfItems");
        out.leaf("ItemsProcessed", counter(processed));
        out.leaf("ItemsInvalid", counter(invalid));
        out.close();
    } else {
        out.open("StatusOfItems");
        out.leaf("ItemsProcessed", counter(processed));
        out.leaf("ItemsRejectedWithWarnings", counter(rejected));
        out.leaf("ItemsProcessedWithWarnings", counter(with_warnings));
        out.close();
    }
    return out.finish();
}

}  // namespace ferry::sandbox::syspro
