// Query-class BOs (INVQRY, SORQRY, ARSQRY, COMFND) and COMFCH / COMBRW. Query BOs are strict:
// an element they do not know raises an e.net exception, as SYSPRO does (reference 4.1).
#include "syspro/business_objects.hpp"
#include "syspro/text.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

namespace ferry::sandbox::syspro {

pugi::xml_document parse_xml(const std::string& text, const std::string& what) {
    pugi::xml_document doc;
    pugi::xml_parse_result result = doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!result) {
        throw bo_exception(what + " is not valid XML: " + result.description() + " at offset " + std::to_string(result.offset));
    }
    if (!doc.document_element()) throw bo_exception(what + " is empty");
    return doc;
}

void expect_children(const pugi::xml_node& node, std::initializer_list<std::string_view> allowed, const settings& s) {
    for (const pugi::xml_node& child : node.children()) {
        if (child.type() != pugi::node_element) continue;
        if (std::find(allowed.begin(), allowed.end(), std::string_view(child.name())) == allowed.end()) {
            throw bo_exception(s.message("unknown_element", {child.name(), node.name()}));
        }
    }
}

std::string child_text(const pugi::xml_node& node, const char* name) { return trim(node.child(name).text().get()); }

bool yes(const pugi::xml_node& node, const char* name, bool otherwise) {
    std::string v = upper(child_text(node, name));
    if (v.empty()) return otherwise;
    return v == "Y";
}

namespace {

const char* order_status_desc(const std::string& status) {
    if (status == "1") return "Open order";
    if (status == "2") return "Open back order";
    if (status == "3") return "Released back order";
    if (status == "4") return "In warehouse";
    if (status == "8") return "To invoice";
    if (status == "9") return "Complete";
    if (status == "S") return "In suspense";
    if (status == "0") return "In process";
    if (status == "F") return "Forward order";
    if (status == "*") return "Cancelled during entry";
    if (status == "\\") return "Cancelled";
    return "";
}

void check_root(const pugi::xml_node& root, const char* expected, const settings& s) {
    if (std::string_view(root.name()) != expected) throw bo_exception(s.message("unknown_element", {root.name(), "XmlIn"}));
}

// ---- INVQRY ----

// Warehouse filter: L = comma list, R = range "from,to" (inclusive), A or blank = all.
std::function<bool(const std::string&)> warehouse_filter(const pugi::xml_node& filter, const settings& s) {
    pugi::xml_node wh = filter.child("Warehouse");
    std::string type = upper(trim(wh.attribute("FilterType").value()));
    std::string value = trim(wh.attribute("FilterValue").value());
    if (type.empty() || type == "A" || (!wh)) return [](const std::string&) { return true; };
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= value.size()) {
        size_t comma = value.find(',', start);
        parts.push_back(trim(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (type == "L") {
        return [parts](const std::string& w) { return std::find(parts.begin(), parts.end(), w) != parts.end(); };
    }
    if (type == "R") {
        std::string from = parts.empty() ? "" : parts[0];
        std::string to = parts.size() > 1 ? parts[1] : from;
        return [from, to](const std::string& w) { return w >= from && (to.empty() || w <= to); };
    }
    throw bo_exception(s.message("invalid_value", {type, "FilterType"}));
}

std::string invqry(company_data& data, const settings& s, const pugi::xml_node& q) {
    check_root(q, "Query", s);
    expect_children(q, {"Key", "Option", "Filter"}, s);
    expect_children(q.child("Key"), {"StockCode"}, s);
    expect_children(q.child("Option"),
                    {"MultiMediaImageType", "IncludeHistory", "IncludeBins", "IncludeLots", "IncludeSerials", "IncludeMovements",
                     "MovementDateSequence", "MovementStartDate", "MaxNumberMovements", "IncludeCustomForms", "IncludeMovementIssues",
                     "IncludeMovementTransfers", "IncludeMovementReceipts", "IncludeMovementPhysical", "IncludeMovementAdjustments",
                     "IncludeMovementCostChanges", "IncludeMovementCostMods", "IncludeMovementBinTransfers", "IncludeMovementInvoices",
                     "IncludeMovementCreditNotes", "IncludeMovementDebitNotes", "IncludeMovementDispatchNotes", "IncludeEcc",
                     "IncludeApprovedManuf", "XslStylesheet"},
                    s);
    expect_children(q.child("Filter"), {"Warehouse"}, s);
    std::string code = child_text(q.child("Key"), "StockCode");
    auto it = data.stock.find(code);
    if (it == data.stock.end()) throw bo_exception(s.message("stock_not_found", {code}));
    const stock_item& item = it->second;
    auto wanted = warehouse_filter(q.child("Filter"), s);

    xml_out out("InvQuery", s.root);
    out.open("StockItem");
    out.leaf("StockCode", item.code);
    out.leaf("Description", item.description);
    out.leaf("LongDesc", item.long_desc);
    out.leaf("AlternateKey1", "");
    out.leaf("AlternateKey2", "");
    out.leaf("StockUom", item.uom);
    out.leaf("AlternateUom", "");
    out.leaf("PartCategory", "B");
    out.leaf("Supplier", "");
    out.leaf("ProductClass", item.product_class);
    out.leaf("ProductClassDesc", "");
    out.leaf("WarehouseToUse", item.warehouse_to_use);
    out.leaf("WarehouseToUseDesc", item.warehouse_to_use.empty() ? "" : data.warehouses[item.warehouse_to_use]);
    out.leaf("TaxCode", item.tax_code);
    out.leaf("ListPriceCode", "A");
    out.price("SellingPrice", item.selling_price);
    out.number("Mass", item.mass, 6, 20);
    out.number("Volume", 0, 6, 20);
    out.leaf("StockOnHold", item.on_hold ? "Y" : "");
    out.leaf("StockOnHoldReason", item.on_hold ? item.on_hold_reason : "");
    out.close();

    warehouse_stock totals;
    double total_available = 0;
    for (const auto& [wcode, w] : item.warehouses) {
        if (!wanted(wcode)) continue;
        double avail = data.available(w, s);
        out.open("WarehouseItem");
        out.leaf("Warehouse", wcode);
        out.leaf("Description", data.warehouses[wcode]);
        out.quantity("QtyOnHand", w.on_hand);
        out.quantity("AvailableQty", avail);
        out.quantity("QtyOnOrder", w.on_order);
        out.quantity("QtyInInspection", w.in_inspection);
        out.quantity("MinimumQty", 0);
        out.quantity("MaximumQty", 0);
        out.quantity("QtyOnBackOrder", w.back_order);
        out.quantity("QtyAllocated", w.allocated);
        out.quantity("MtdQtyReceived", 0);
        out.quantity("MtdQtyAdjusted", 0);
        out.quantity("MtdQtyIssued", 0);
        out.quantity("YtdQtySold", 0);
        out.quantity("PrevYearQtySold", 0);
        out.quantity("QtyInTransit", 0);
        out.quantity("QtyAllocatedWip", 0);
        out.quantity("MtdQtySold", 0);
        out.quantity("MtdQtyTrf", 0);
        out.leaf("UserField1", "");
        out.leaf("UserField2", "");
        out.leaf("UserField3", "");
        out.leaf("DefaultBin", wcode);
        out.number("UnitCost", w.unit_cost, 5, 17);
        out.quantity("FutureFree", avail + w.on_order);
        out.quantity("QuantityDispatchNotInvoiced", w.dispatch_not_invoiced);
        out.close();
        totals.on_hand += w.on_hand;
        totals.on_order += w.on_order;
        totals.in_inspection += w.in_inspection;
        totals.back_order += w.back_order;
        totals.allocated += w.allocated;
        totals.dispatch_not_invoiced += w.dispatch_not_invoiced;
        total_available += avail;
    }
    out.open("WarehouseTotals");
    out.quantity("QtyOnHand", totals.on_hand);
    out.quantity("AvailableQty", total_available);
    out.quantity("QtyOnOrder", totals.on_order);
    out.quantity("QtyInInspection", totals.in_inspection);
    out.quantity("QtyOnBackOrder", totals.back_order);
    out.quantity("QtyAllocated", totals.allocated);
    out.quantity("FutureFree", total_available + totals.on_order);
    out.quantity("QuantityDispatchNotInvoiced", totals.dispatch_not_invoiced);
    out.close();
    return out.finish();
}

// ---- SORQRY ----

void sorqry_lines(xml_out& out, const sales_order& o, const pugi::xml_node& option) {
    bool stocked = yes(option, "IncludeStockedLines"), non_stocked = yes(option, "IncludeNonStockedLines");
    bool freight = yes(option, "IncludeFreightLines"), misc = yes(option, "IncludeMiscLines"), comments = yes(option, "IncludeCommentLines");
    bool completed = yes(option, "IncludeCompletedLines");
    for (const auto& l : o.lines) {
        bool complete = l.cancelled || (l.kind == line_kind::stock && l.invoiced_qty >= l.order_qty && l.order_qty > 0);
        if (complete && !completed) continue;
        if (l.kind == line_kind::stock && !(l.non_stocked ? non_stocked : stocked)) continue;
        if ((l.kind == line_kind::freight && !freight) || (l.kind == line_kind::misc && !misc) || (l.kind == line_kind::comment && !comments)) continue;
        out.open("SalesOrderLine");
        switch (l.kind) {
            case line_kind::stock: {
                out.open("Merchandise");
                out.leaf("SalesOrderLine", std::to_string(l.number));
                out.leaf("LineType", l.non_stocked ? "7" : "1");
                out.leaf("MStockCode", l.stock_code);
                out.leaf("MStockDes", l.description);
                out.leaf("MWarehouse", l.warehouse);
                out.quantity("MOrderQty", l.order_qty);
                out.quantity("MShipQty", l.ship_qty);
                out.quantity("MBackOrderQty", l.back_order_qty);
                out.quantity("MQtyDispatched", l.dispatched_qty);
                out.quantity("MQtyInvoiced", l.invoiced_qty);
                out.leaf("MOrderUom", l.uom);
                out.leaf("MStockingUom", l.uom);
                out.price("MPrice", l.price);
                out.leaf("MPriceUom", l.price_uom);
                out.leaf("MProductClass", l.product_class);
                out.leaf("MLineShipDate", o.req_ship_date);
                out.leaf("MCustRequestDat", o.req_ship_date);
                out.leaf("MStockQtyToShp", padded(l.ship_qty, 6, 20));
                out.money("OrderLineValue", (l.order_qty - l.invoiced_qty) * l.price);
                out.leaf("CustomerPoLine", l.customer_po_line);
                out.leaf("LineCancelled", l.cancelled ? "Y" : "N");
                out.close();
                break;
            }
            case line_kind::freight:
            case line_kind::misc:
                out.open(l.kind == line_kind::freight ? "Freight" : "MiscCharge");
                out.leaf("SalesOrderLine", std::to_string(l.number));
                out.leaf("NComment", l.comment);
                out.leaf("NCommentFromLin", "");
                out.money("NMscChargeValue", l.value);
                out.close();
                break;
            case line_kind::comment:
                out.open("CommentLine");
                out.leaf("SalesOrderLine", std::to_string(l.number));
                out.leaf("NComment", l.comment);
                out.close();
                break;
        }
        out.close();
    }
}

std::string sorqry(company_data& data, const settings& s, const pugi::xml_node& q) {
    check_root(q, "Query", s);
    expect_children(q, {"Key", "Option"}, s);
    expect_children(q.child("Key"), {"SalesOrder", "Invoice"}, s);
    pugi::xml_node option = q.child("Option");
    expect_children(option,
                    {"IncludeStockedLines", "IncludeNonStockedLines", "IncludeFreightLines", "IncludeMiscLines", "IncludeCommentLines",
                     "IncludeCompletedLines", "IncludeSerials", "IncludeLots", "IncludeBins", "IncludeAttachedItems", "IncludeCustomForms",
                     "IncludeDetailLineCustomForms", "IncludeValues", "ReturnLineShipDate", "XslStylesheet"},
                    s);
    std::string number = child_text(q.child("Key"), "SalesOrder");
    std::string invoice_number = child_text(q.child("Key"), "Invoice");
    sales_order* o = number.empty() && !invoice_number.empty() ? data.find_order_by_invoice(invoice_number) : data.find_order(number);
    if (!o) {
        if (number.empty() && !invoice_number.empty()) throw bo_exception(s.message("invoice_not_found", {invoice_number}));
        throw bo_exception(s.message("sales_order_not_found", {number}));
    }
    auto cit = data.customers.find(o->customer);
    const customer* c = cit == data.customers.end() ? nullptr : &cit->second;
    auto cf = [&](const char* name) { return c ? c->field(name) : std::string{}; };

    xml_out out("SorDetail", s.root, "xmlns:SALARE=\"SALARE\" xmlns:SALSLS=\"SALSLS\" xmlns:TBLART=\"TBLART\" xmlns:SALBRN=\"SALBRN\" xmlns:TBLCUR=\"TBLCUR\"");
    out.leaf("SalesOrder", o->number);
    out.leaf("DocumentType", "O");
    out.leaf("DocumentTypeDesc", "Order");
    out.leaf("Customer", o->customer);
    out.leaf("CustomerName", o->customer_name.empty() ? cf("Name") : o->customer_name);
    out.leaf("TaxStatusCode", cf("TaxStatus").empty() ? "N" : cf("TaxStatus"));
    out.leaf("SoldToName", cf("Name"));
    for (int i = 1; i <= 5; ++i) out.leaf("SoldAddr" + std::to_string(i), cf(("SoldToAddr" + std::to_string(i)).c_str()));
    out.leaf("SoldPostalCode", cf("SoldPostalCode"));
    out.leaf("Salesperson", cf("Salesperson"));
    out.leaf("SALSLS:Name", "");
    out.leaf("OrderStatus", o->status);
    out.leaf("OrderStatusDesc", order_status_desc(o->status));
    out.leaf("CustomerPoNumber", o->customer_po);
    out.leaf("OrderDate", o->order_date);
    out.leaf("ReqShipDate", o->req_ship_date);
    out.leaf("ShippingInstrs", o->shipping_instrs);
    out.leaf("ShippingInstrsCod", o->shipping_instrs_code);
    out.leaf("SpecialInstrs", o->special_instrs);
    out.leaf("InvTermsOverride", cf("TermsCode"));
    out.leaf("DeliveryNote", "");
    out.leaf("LastDelNote", o->last_del_note);
    out.leaf("LastInvoice", o->last_invoice);
    out.leaf("DateLastInvPrt", o->date_last_inv);
    out.leaf("Branch", cf("Branch"));
    out.leaf("Area", cf("Area"));
    out.leaf("Currency", cf("Currency"));
    for (int i = 1; i <= 5; ++i) {
        out.leaf("ShipAddress" + std::to_string(i), o->ship_address[i - 1]);
        if (i == 3) out.leaf("ShipAddress3Locality", o->ship_address[5]);
    }
    out.leaf("ShipPostalCode", o->ship_postal);
    out.leaf("ShipComplete", "N");
    out.leaf("Email", o->email);
    out.number("ExchangeRate", 1, 6, 13);
    out.leaf("Edited_ExchangeRate", "1.000000");
    out.leaf("LastOperator", o->last_operator);
    out.leaf("WebCreated", "Y");
    out.leaf("DispatchesMade", o->dispatches.empty() ? "" : "Y");
    bool live = std::any_of(o->dispatches.begin(), o->dispatches.end(), [](const dispatch_note& d) { return !d.invoiced; });
    out.leaf("LiveDispExist", live ? "Y" : "");
    out.leaf("NumDispatches", std::to_string(o->dispatches.size()));
    out.leaf("IncludeInMrp", "Y");
    out.open("HeaderText");
    out.close();
    out.open("HeaderNotes");
    out.close();
    sorqry_lines(out, *o, option);
    return out.finish();
}

// ---- ARSQRY ----

std::string arsqry(company_data& data, const settings& s, const pugi::xml_node& q) {
    check_root(q, "Query", s);
    expect_children(q, {"Key", "Option"}, s);
    expect_children(q.child("Key"), {"Customer"}, s);
    pugi::xml_node option = q.child("Option");
    expect_children(option,
                    {"MultiMediaImageType", "IncludeFutures", "IncludeTransactions", "IncludeCheckPayments", "IncludePostDated",
                     "IncludeZeroBalances", "IncludeCustomForms", "AsOfPeriod", "AgeingOption", "AgeColumn1", "AgeColumn2", "AgeColumn3",
                     "AgeColumn4", "AgeColumn5", "AgeColumn6", "AgeColumn7", "XslStylesheet"},
                    s);
    std::string code = child_text(q.child("Key"), "Customer");
    auto it = data.customers.find(code);
    if (it == data.customers.end()) throw bo_exception(s.message("customer_not_found", {code}));
    const customer& c = it->second;
    double outstanding = 0;
    int open_orders = 0;
    std::string last_sale;
    for (const auto& [n, o] : data.orders) {
        if (o.customer != c.code) continue;
        if (o.open_value() > 0) {
            outstanding += o.open_value();
            ++open_orders;
        }
        for (const auto& i : o.invoices) last_sale = std::max(last_sale, i.date);
    }
    std::string last_pay;
    for (const auto& p : data.payments) {
        if (p.customer == c.code) last_pay = std::max(last_pay, p.date);
    }
    xml_out out("ARStatement", s.root);
    out.open("Header");
    out.leaf("Customer", c.code);
    out.leaf("Name", c.field("Name"));
    for (int i = 1; i <= 5; ++i) out.leaf("SoldToAddr" + std::to_string(i), c.field("SoldToAddr" + std::to_string(i)));
    out.money("CreditLimit", c.credit_limit().value_or(0));
    out.leaf("CreditCheckFlag", c.field("CreditCheckFlag"));
    out.leaf("CreditStatus", c.field("CreditStatus").empty() ? "0" : c.field("CreditStatus"));
    out.leaf("CustomerOnHold", c.on_hold() ? "Y" : "N");
    out.leaf("Currency", c.field("Currency"));
    out.leaf("TermsCode", c.field("TermsCode"));
    out.leaf("Email", c.field("Email"));
    for (int i = 1; i <= 5; ++i) out.leaf("ShipToAddr" + std::to_string(i), c.field("ShipToAddr" + std::to_string(i)));
    out.leaf("Branch", c.field("Branch"));
    out.money("OutstOrdVal", outstanding);
    out.number("NumOutstOrd", open_orders, 0, 6);
    out.leaf("DateLastSale", last_sale);
    out.leaf("DateLastPay", last_pay);
    out.close();
    bool zero = yes(option, "IncludeZeroBalances");
    for (const auto& [n, o] : data.orders) {
        if (o.customer != c.code) continue;
        for (const auto& i : o.invoices) {
            if (i.balance == 0 && !zero) continue;
            out.open("InvoiceDetail");
            out.leaf("DocumentType", "I");
            out.leaf("Invoice", i.number);
            out.leaf("InvoiceDate", i.date);
            out.leaf("DueDate", i.date);
            out.leaf("CustomerPoNumber", o.customer_po);
            out.money("CurrencyValue", i.value);
            out.money("InvoiceBal", i.balance);
            out.leaf("SalesOrder", o.number);
            out.close();
        }
    }
    out.open("TotalSection");
    out.money("CurrentBalance", c.balance);
    out.money("Current", c.balance);
    out.money("Days30", 0);
    out.money("Days60", 0);
    out.money("Days90", 0);
    out.money("Days120", 0);
    out.money("Days150", 0);
    out.money("Days180", 0);
    out.close();
    return out.finish();
}

// ---- tables for COMFND / COMFCH / COMBRW ----

struct cell {
    std::string text;
    bool numeric = false;
    double number = 0;
};

struct table {
    std::string name, title, key;
    std::vector<std::string> columns;
    std::vector<std::vector<cell>> rows;  // in `columns` order

    int column(const std::string& name) const {
        for (size_t i = 0; i < columns.size(); ++i) {
            if (iequals(columns[i], name)) return static_cast<int>(i);
        }
        return -1;
    }
};

cell text_cell(std::string s) { return {std::move(s), false, 0}; }
cell number_cell(double n) { return {plain_number(n), true, n}; }

const std::vector<std::string> customer_columns{
    "Customer", "Name", "ShortName", "CreditStatus", "CreditLimit", "CreditCheckFlag", "Salesperson", "PriceCode", "CustomerClass",
    "Branch", "TermsCode", "Area", "TaxStatus", "Telephone", "Contact", "Currency", "UserField1", "UserField2", "ShippingInstrs",
    "CustomerOnHold", "Email", "SoldToAddr1", "SoldToAddr2", "SoldToAddr3", "SoldToAddr4", "SoldToAddr5", "SoldPostalCode",
    "ShipToAddr1", "ShipToAddr2", "ShipToAddr3", "ShipToAddr4", "ShipToAddr5", "ShipPostalCode", "PoNumberMandatory", "SalesWarehouse"};

table build_table(const company_data& data, const std::string& requested) {
    table t;
    if (iequals(requested, "SorMaster")) {
        t = {"SorMaster", "Sales Orders", "SalesOrder",
             {"SalesOrder", "CustomerPoNumber", "Customer", "CustomerName", "OrderStatus", "OrderDate", "ReqShipDate", "ShippingInstrs",
              "ShippingInstrsCod", "SpecialInstrs", "Email", "ShipAddress1", "ShipAddress2", "ShipAddress3", "ShipAddress4", "ShipAddress5",
              "ShipPostalCode", "LastDelNote", "LastInvoice", "NumDispatches", "LastOperator"},
             {}};
        for (const auto& [n, o] : data.orders) {
            t.rows.push_back({text_cell(o.number), text_cell(o.customer_po), text_cell(o.customer), text_cell(o.customer_name), text_cell(o.status),
                              text_cell(o.order_date), text_cell(o.req_ship_date), text_cell(o.shipping_instrs), text_cell(o.shipping_instrs_code),
                              text_cell(o.special_instrs), text_cell(o.email), text_cell(o.ship_address[0]), text_cell(o.ship_address[1]),
                              text_cell(o.ship_address[2]), text_cell(o.ship_address[3]), text_cell(o.ship_address[4]), text_cell(o.ship_postal),
                              text_cell(o.last_del_note), text_cell(o.last_invoice), number_cell(static_cast<double>(o.dispatches.size())),
                              text_cell(o.last_operator)});
        }
    } else if (iequals(requested, "SorDetail")) {
        t = {"SorDetail", "Sales Order Lines", "SalesOrder",
             {"SalesOrder", "SalesOrderLine", "LineType", "MStockCode", "MStockDes", "MWarehouse", "MOrderQty", "MShipQty", "MBackOrderQty",
              "MQtyDispatched", "MQtyInvoiced", "MPrice", "MOrderUom", "NComment", "NMscChargeValue"},
             {}};
        for (const auto& [n, o] : data.orders) {
            for (const auto& l : o.lines) {
                const char* type = l.kind == line_kind::stock ? (l.non_stocked ? "7" : "1") : l.kind == line_kind::freight ? "4" : l.kind == line_kind::misc ? "5" : "6";
                t.rows.push_back({text_cell(o.number), number_cell(l.number), text_cell(type), text_cell(l.stock_code), text_cell(l.description),
                                  text_cell(l.warehouse), number_cell(l.order_qty), number_cell(l.ship_qty), number_cell(l.back_order_qty),
                                  number_cell(l.dispatched_qty), number_cell(l.invoiced_qty), number_cell(l.price), text_cell(l.uom),
                                  text_cell(l.comment), number_cell(l.value)});
            }
        }
    } else if (iequals(requested, "ArCustomer")) {
        t = {"ArCustomer", "Customers", "Customer", customer_columns, {}};
        for (const auto& [code, c] : data.customers) {
            std::vector<cell> row;
            for (const auto& col : t.columns) {
                if (col == "Customer") row.push_back(text_cell(c.code));
                else if (col == "CreditLimit") row.push_back(number_cell(c.credit_limit().value_or(0)));
                else row.push_back(text_cell(c.field(col)));
            }
            t.rows.push_back(std::move(row));
        }
    } else if (iequals(requested, "InvMaster")) {
        t = {"InvMaster", "Stock Codes", "StockCode",
             {"StockCode", "Description", "LongDesc", "StockUom", "ProductClass", "WarehouseToUse", "TaxCode", "StockOnHold", "Mass"},
             {}};
        for (const auto& [code, i] : data.stock) {
            t.rows.push_back({text_cell(i.code), text_cell(i.description), text_cell(i.long_desc), text_cell(i.uom), text_cell(i.product_class),
                              text_cell(i.warehouse_to_use), text_cell(i.tax_code), text_cell(i.on_hold ? "Y" : ""), number_cell(i.mass)});
        }
    } else if (iequals(requested, "InvWarehouse")) {
        t = {"InvWarehouse", "Stock Warehouses", "StockCode",
             {"StockCode", "Warehouse", "QtyOnHand", "QtyAllocated", "QtyOnOrder", "QtyOnBackOrder", "QtyInInspection", "UnitCost"},
             {}};
        for (const auto& [code, i] : data.stock) {
            for (const auto& [w, q] : i.warehouses) {
                t.rows.push_back({text_cell(i.code), text_cell(w), number_cell(q.on_hand), number_cell(q.allocated), number_cell(q.on_order),
                                  number_cell(q.back_order), number_cell(q.in_inspection), number_cell(q.unit_cost)});
            }
        }
    } else if (iequals(requested, "MdnMaster")) {
        // Dispatch notes. Column names follow SORTDN's DispatchHeader; the carrier is ShippingInstrs
        // and the tracking number UserDefined1 (sandbox/syspro.md, "Dispatch tracking").
        t = {"MdnMaster", "Dispatch Notes", "DispatchNote",
             {"DispatchNote", "SalesOrder", "Customer", "CustomerPoNumber", "DispatchStatus", "PlannedDispatchDate", "ShippingInstrs",
              "UserDefined1", "UserDefined2", "DispatchComments"},
             {}};
        for (const auto& [n, o] : data.orders) {
            for (const auto& d : o.dispatches) {
                t.rows.push_back({text_cell(d.number), text_cell(o.number), text_cell(o.customer), text_cell(o.customer_po),
                                  text_cell(d.invoiced ? "9" : "5"), text_cell(d.date), text_cell(d.carrier), text_cell(d.tracking),
                                  text_cell(d.user_defined2), text_cell(d.comments)});
            }
        }
    } else if (iequals(requested, "MdnDetail")) {
        t = {"MdnDetail", "Dispatch Note Lines", "DispatchNote",
             {"DispatchNote", "SalesOrder", "SalesOrderLine", "MStockCode", "MWarehouse", "DispatchQty"},
             {}};
        for (const auto& [n, o] : data.orders) {
            for (const auto& d : o.dispatches) {
                for (const auto& dl : d.lines) {
                    auto lit = std::find_if(o.lines.begin(), o.lines.end(), [&](const order_line& l) { return l.number == dl.line; });
                    if (lit == o.lines.end()) continue;
                    t.rows.push_back({text_cell(d.number), text_cell(o.number), number_cell(dl.line), text_cell(lit->stock_code),
                                      text_cell(lit->warehouse), number_cell(dl.qty)});
                }
            }
        }
    } else if (iequals(requested, "ArCshJnlDet")) {
        // Posted AR payments (ARSTPY). The real table's column names are not in the reference; these
        // follow ARSTPY's input names (sandbox/syspro.md).
        t = {"ArCshJnlDet", "AR Cash Journal Detail", "Journal",
             {"Journal", "Customer", "Reference", "PaymentDate", "PaymentValue", "PaymentType", "Bank", "PaymentNarration"},
             {}};
        for (const payment& p : data.payments) {
            t.rows.push_back({text_cell(p.journal), text_cell(p.customer), text_cell(p.reference), text_cell(p.date),
                              number_cell(p.value), text_cell(p.type), text_cell(p.bank), text_cell(p.narration)});
        }
    } else {
        throw bo_exception("Table '" + requested + "' is not available (the ferry sandbox models SorMaster, SorDetail, ArCustomer, InvMaster, InvWarehouse, MdnMaster, MdnDetail, ArCshJnlDet)");
    }
    return t;
}

void write_cell(xml_out& out, const std::string& column, const cell& c) {
    if (c.numeric) out.number(column, c.number, 6, 20);
    else out.leaf(column, c.text);
}

// ---- COMFND ----

bool like(std::string_view text, std::string_view pattern) {
    if (pattern.empty()) return text.empty();
    if (pattern[0] == '%') {
        for (size_t i = 0; i <= text.size(); ++i) {
            if (like(text.substr(i), pattern.substr(1))) return true;
        }
        return false;
    }
    if (text.empty()) return false;
    bool same = pattern[0] == '_' || std::tolower(static_cast<unsigned char>(pattern[0])) == std::tolower(static_cast<unsigned char>(text[0]));
    return same && like(text.substr(1), pattern.substr(1));
}

struct condition {
    int column;
    std::string op, value;
};

// One row against a condition. SQL Server's usual case-insensitive collation: strings compare
// without regard to case and trailing spaces; numbers compare as numbers.
bool test(const cell& c, const condition& cond) {
    int cmp;
    if (c.numeric) {
        auto v = parse_number(cond.value, 20, 10);
        if (!v) return cond.op == "NE";
        cmp = c.number < *v ? -1 : c.number > *v ? 1 : 0;
    } else {
        if (cond.op == "LIKE") return like(trim(c.text), cond.value);
        std::string a = lower(trim(c.text)), b = lower(trim(cond.value));
        cmp = a.compare(b);
    }
    if (cond.op == "EQ") return cmp == 0;
    if (cond.op == "NE") return cmp != 0;
    if (cond.op == "LT") return cmp < 0;
    if (cond.op == "LE") return cmp <= 0;
    if (cond.op == "GT") return cmp > 0;
    if (cond.op == "GE") return cmp >= 0;
    return false;
}

// Tokens of a Where clause: '(' ')' '&' '|' and condition indexes, evaluated with AND binding
// tighter than OR.
struct where_clause {
    std::vector<std::string> tokens;
    std::vector<condition> conditions;

    bool eval(const std::vector<cell>& row) const {
        if (tokens.empty()) return true;
        size_t pos = 0;
        bool result = expr(row, pos);
        return result;
    }

    bool expr(const std::vector<cell>& row, size_t& pos) const {
        bool value = term(row, pos);
        while (pos < tokens.size() && tokens[pos] == "|") {
            ++pos;
            bool rhs = term(row, pos);
            value = value || rhs;
        }
        return value;
    }
    bool term(const std::vector<cell>& row, size_t& pos) const {
        bool value = factor(row, pos);
        while (pos < tokens.size() && tokens[pos] == "&") {
            ++pos;
            bool rhs = factor(row, pos);
            value = value && rhs;
        }
        return value;
    }
    bool factor(const std::vector<cell>& row, size_t& pos) const {
        if (pos >= tokens.size()) return true;
        if (tokens[pos] == "(") {
            ++pos;
            bool value = expr(row, pos);
            if (pos < tokens.size() && tokens[pos] == ")") ++pos;
            return value;
        }
        const condition& c = conditions[std::stoul(tokens[pos++])];
        return test(row[c.column], c);
    }
};

where_clause parse_where(const pugi::xml_node& where, const table& t, const settings& s) {
    where_clause w;
    int depth = 0;
    bool first = true;
    for (const pugi::xml_node& e : where.children()) {
        if (e.type() != pugi::node_element) continue;
        if (std::string_view(e.name()) != "Expression") throw bo_exception(s.message("unknown_element", {e.name(), "Where"}));
        expect_children(e, {"OpenBracket", "AndOr", "Column", "Condition", "Value", "CloseBracket"}, s);
        std::string and_or = upper(child_text(e, "AndOr"));
        if (!first) {
            if (and_or == "OR") w.tokens.push_back("|");
            else if (and_or == "AND" || and_or.empty()) w.tokens.push_back("&");
            else throw bo_exception(s.message("invalid_value", {and_or, "AndOr"}));
        }
        first = false;
        for (char b : child_text(e, "OpenBracket")) {
            if (b == '(') {
                w.tokens.push_back("(");
                ++depth;
            }
        }
        std::string column = child_text(e, "Column");
        int index = t.column(column);
        if (index < 0) throw bo_exception("Column '" + column + "' not found in table '" + t.name + "'");
        std::string op = upper(child_text(e, "Condition"));
        static const std::vector<std::string> supported{"EQ", "NE", "LT", "LE", "GT", "GE", "LIKE"};
        if (std::find(supported.begin(), supported.end(), op) == supported.end()) {
            throw bo_exception("Condition '" + op + "' is not supported by the ferry sandbox (supported: EQ, NE, LT, LE, GT, GE, LIKE)");
        }
        w.tokens.push_back(std::to_string(w.conditions.size()));
        w.conditions.push_back({index, op, e.child("Value").text().get()});
        for (char b : child_text(e, "CloseBracket")) {
            if (b == ')') {
                w.tokens.push_back(")");
                --depth;
            }
        }
    }
    if (depth != 0) throw bo_exception("Unbalanced brackets in the Where clause");
    return w;
}

std::string comfnd(company_data& data, const settings& s, const pugi::xml_node& q) {
    check_root(q, "Query", s);
    expect_children(q, {"TableName", "ReturnRows", "Columns", "Where", "OrderBy"}, s);
    expect_children(q.child("Columns"), {"Column"}, s);
    expect_children(q.child("OrderBy"), {"Column"}, s);
    table t = build_table(data, child_text(q, "TableName"));
    std::vector<int> selected;
    std::vector<std::string> selected_names;
    for (const pugi::xml_node& c : q.child("Columns").children("Column")) {
        std::string name = trim(c.text().get());
        int index = t.column(name);
        if (index < 0) throw bo_exception("Column '" + name + "' not found in table '" + t.name + "'");
        selected.push_back(index);
        selected_names.push_back(t.columns[index]);
    }
    if (selected.empty()) {
        for (size_t i = 0; i < t.columns.size(); ++i) selected.push_back(static_cast<int>(i));
        selected_names = t.columns;
    }
    where_clause where = parse_where(q.child("Where"), t, s);
    std::vector<int> order_by;
    std::vector<std::string> order_names;
    for (const pugi::xml_node& c : q.child("OrderBy").children("Column")) {
        std::string name = trim(c.text().get());
        int index = t.column(name);
        if (index < 0) throw bo_exception("Column '" + name + "' not found in table '" + t.name + "'");
        order_by.push_back(index);
        order_names.push_back(t.columns[index]);
    }
    long limit = -1;
    std::string rows_text = child_text(q, "ReturnRows");
    if (!rows_text.empty()) {
        auto n = parse_number(rows_text, 9, 0);
        if (!n) throw bo_exception(s.message("not_numeric", {"ReturnRows"}));
        limit = static_cast<long>(*n);
    }
    std::vector<const std::vector<cell>*> matches;
    for (const auto& row : t.rows) {
        if (where.eval(row)) matches.push_back(&row);
    }
    std::stable_sort(matches.begin(), matches.end(), [&](const std::vector<cell>* a, const std::vector<cell>* b) {
        for (int i : order_by) {
            const cell &x = (*a)[i], &y = (*b)[i];
            if (x.numeric ? x.number != y.number : x.text != y.text) return x.numeric ? x.number < y.number : x.text < y.text;
        }
        return false;
    });
    if (limit > 0 && static_cast<long>(matches.size()) > limit) matches.resize(limit);

    xml_out out(t.name, s.root);
    out.open("HeaderDetails");
    out.leaf("TableName", t.name);
    out.open("Columns");
    for (const auto& n : selected_names) out.leaf("Column", n);
    out.close();
    out.open("OrderBy");
    for (const auto& n : order_names) out.leaf("Column", n);
    out.close();
    out.close();
    for (const auto* row : matches) {
        out.open("Row");
        for (int i : selected) write_cell(out, t.columns[i], (*row)[i]);
        out.close();
    }
    out.number("RowsReturned", static_cast<double>(matches.size()), 0, 8);
    return out.finish();
}

}  // namespace

std::string run_query(company_data& data, const settings& s, const bo_call& call) {
    pugi::xml_document doc = parse_xml(call.xml_in, "XmlIn");
    pugi::xml_node root = doc.document_element();
    if (call.business_object == "INVQRY") return invqry(data, s, root);
    if (call.business_object == "SORQRY") return sorqry(data, s, root);
    if (call.business_object == "ARSQRY") return arsqry(data, s, root);
    if (call.business_object == "COMFND") return comfnd(data, s, root);
    throw bo_exception("Business object '" + call.business_object + "' is not a query business object available in the ferry sandbox");
}

std::string run_fetch(company_data& data, const settings& s, const std::string& xml_in) {
    pugi::xml_document doc = parse_xml(xml_in, "XmlIn");
    pugi::xml_node q = doc.document_element();
    check_root(q, "Fetch", s);
    expect_children(q, {"TableName", "Key", "FullKeyProvided", "DefaultType", "EspressoFetch"}, s);
    table t = build_table(data, child_text(q, "TableName"));
    if (t.name == "SorDetail" || t.name == "InvWarehouse" || t.name == "MdnDetail") {
        throw bo_exception("Fetch on table '" + t.name + "' needs a composite key, which the ferry sandbox does not model; use COMFND");
    }
    std::string key = child_text(q, "Key");
    int key_column = t.column(t.key);
    for (const auto& row : t.rows) {
        if (trim(row[key_column].text) != key) continue;
        xml_out out(t.name, s.root);
        for (size_t i = 0; i < t.columns.size(); ++i) write_cell(out, t.columns[i], row[i]);
        return out.finish();
    }
    throw bo_exception("Key '" + key + "' not found in table '" + t.name + "'");
}

std::string run_browse(company_data& data, const settings& s, const std::string& xml_in) {
    pugi::xml_document doc = parse_xml(xml_in, "XmlIn");
    pugi::xml_node q = doc.document_element();
    check_root(q, "Browse", s);
    expect_children(q, {"BrowseName", "StartAtKey", "StartCondition", "ReturnRows", "FilterName", "FilterValue", "Columns"}, s);
    table t = build_table(data, child_text(q, "BrowseName"));
    std::string start = child_text(q, "StartAtKey");
    long limit = 30;
    std::string rows_text = child_text(q, "ReturnRows");
    if (!rows_text.empty()) {
        auto n = parse_number(rows_text, 9, 0);
        if (!n) throw bo_exception(s.message("not_numeric", {"ReturnRows"}));
        limit = static_cast<long>(*n);
    }
    int key = t.column(t.key);
    // Browses show the key and its first two descriptive columns.
    std::vector<int> shown{key};
    for (size_t i = 0; i < t.columns.size() && shown.size() < 3; ++i) {
        if (static_cast<int>(i) != key) shown.push_back(static_cast<int>(i));
    }
    std::vector<const std::vector<cell>*> rows;
    for (const auto& row : t.rows) {
        if (row[key].text >= start) rows.push_back(&row);
    }
    std::stable_sort(rows.begin(), rows.end(), [&](auto* a, auto* b) { return (*a)[key].text < (*b)[key].text; });
    bool more = static_cast<long>(rows.size()) > limit;
    if (more) rows.resize(limit);
    xml_out out(t.name, s.root);
    out.leaf("Title", t.title);
    for (const auto* row : rows) {
        out.open("Row");
        for (int i : shown) {
            out.open(t.columns[i]);
            out.leaf("Value", (*row)[i].text);
            out.leaf("DataType", (*row)[i].numeric ? "Numeric" : "AlphaNumeric");
            out.close();
        }
        out.close();
    }
    out.open("NextPrevKey");
    out.leaf("PrevKey", rows.empty() ? "" : (*rows.front())[key].text);
    out.leaf("NextKey", rows.empty() ? "" : (*rows.back())[key].text);
    out.leaf("Fwd", more ? "True" : "False");
    out.leaf("Back", start.empty() ? "False" : "True");
    out.close();
    out.open("HeaderDetails");
    for (int i : shown) out.leaf("Header", t.columns[i]);
    out.leaf("Key", t.key);
    out.leaf("KeyDescription", t.key);
    out.leaf("Table", t.name);
    out.close();
    return out.finish();
}

}  // namespace ferry::sandbox::syspro
