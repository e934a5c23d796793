// The emulated company: its switches (reference section 14), master data, sales orders and the
// stock they allocate. Plain data guarded by the service's mutex; no locking in here.
#pragma once

#include "syspro/xml_out.hpp"

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ferry::sandbox::syspro {

// Every behaviour the reference leaves open, as a switch (sandbox/syspro.md lists them).
struct settings {
    std::string path_prefix = "/SYSPROWCFService/Rest";
    std::string text_framing = "bare";  // bare | json | string: how plain-text results are framed
    bool single_session_per_operator = true;
    std::string invalid_session_message = "ERROR: The UserId is not logged on or the session has expired";
    int licence_seats = 1;
    std::string licence_exceeded_message = "ERROR: No e.net licence is available: all licensed sessions are in use";
    double session_timeout_seconds = 1200;
    bool clean_import_returns_order = false;
    std::string allocation_codes = "FBA";  // FBA (XSD) | SRB (RECT's comments)
    std::string allocation_default = "F";
    std::string warning_number_element = "WarningNumber";
    std::string warning_description_element = "WarningDescription";
    std::map<std::string, std::string> messages;  // key -> pattern with {} slots; defaults in state.cpp
    std::set<std::string> unlicensed;             // business objects answering unlicensed_message
    std::string unlicensed_message = "ERROR: e.net exception raised: 100000";
    std::string arstpy_output = "echo";           // echo | status_only
    std::string arsscs_root = "lower";            // lower | as_input
    std::string arsscs_empty_customer = "error";  // error | auto_number
    std::string order_number_prefix;
    int order_number_width = 6;
    root_attributes root;                         // Version (8.0.161) and OperatorPrimaryRole
    std::string get_version = "8.0.161";
    bool stock_tax_code_honoured = false;
    std::string available_qty_formula = "on_hand_minus_allocated";  // | on_hand_minus_allocated_and_inspection
    std::string unknown_document_elements = "ignore";                // ignore | error
    std::string query_exception_format = "ERROR: {}";

    // Reads the keys present in `patch` (the others keep their values). Throws
    // std::invalid_argument naming an unknown key or a bad value.
    void apply(const boost::json::value& patch);
    boost::json::value to_json() const;
    // The message for `key`, its slots filled.
    std::string message(const std::string& key, std::initializer_list<std::string_view> args) const;
};

struct warehouse_stock {
    double on_hand = 0, allocated = 0, on_order = 0, back_order = 0, in_inspection = 0, dispatch_not_invoiced = 0;
    double unit_cost = 0;
};

struct stock_item {
    std::string code, description, long_desc, uom = "EA", product_class, warehouse_to_use, tax_code = "A";
    double selling_price = 0, mass = 0;
    bool on_hold = false;
    std::string on_hold_reason;
    std::map<std::string, warehouse_stock> warehouses;  // only where the item is stocked
};

// ARSSCS field names -> values ("Name", "Email", "CreditLimit", "CustomerOnHold", ...).
struct customer {
    std::string code;
    std::map<std::string, std::string> fields;
    double balance = 0;  // outstanding invoices less payments
    std::string field(const std::string& name) const;
    bool on_hold() const { return field("CustomerOnHold") == "Y"; }
    std::optional<double> credit_limit() const;
};

struct operator_account {
    std::string code, password, name, email, group, location;
};

enum class line_kind { stock, comment, misc, freight };

struct order_line {
    int number = 0;  // SalesOrderLine
    line_kind kind = line_kind::stock;
    std::string customer_po_line, stock_code, description, warehouse, uom = "EA", price_uom = "EA", product_class, tax_code;
    bool non_stocked = false;
    double order_qty = 0, ship_qty = 0, back_order_qty = 0, dispatched_qty = 0, invoiced_qty = 0, price = 0;
    std::string comment;  // comment text or misc description
    double value = 0;     // misc and freight
    bool cancelled = false;
    double open_value() const;
};

struct dispatch_line {
    int line = 0;
    double qty = 0;
};

struct dispatch_note {
    std::string number, date, carrier, tracking, user_defined2, comments;
    std::vector<dispatch_line> lines;
    bool invoiced = false;
};

struct invoice {
    std::string number, date;
    double value = 0;
    double balance = 0;
};

struct sales_order {
    std::string number, customer, customer_po, status = "1", order_date, req_ship_date, order_type;
    std::string customer_name, email, shipping_instrs, shipping_instrs_code, special_instrs, ship_postal, currency = "$";
    std::string ship_address[6];  // ShipAddress1..5 and ShipAddress3Locality (index 5)
    std::string last_operator, last_del_note, last_invoice, date_last_inv;
    std::vector<order_line> lines;
    std::vector<dispatch_note> dispatches;
    std::vector<invoice> invoices;
    double open_value() const;
};

struct payment {
    std::string journal, customer, reference, date, type, bank, narration, notation;
    double value = 0;
    std::vector<std::pair<std::string, double>> applied;  // invoice, gross amount
};

struct company_data {
    std::string id, name, password;
    std::map<std::string, std::string> warehouses;  // code -> description
    std::map<std::string, stock_item> stock;
    std::map<std::string, customer> customers;
    std::map<std::string, operator_account> operators;  // by upper-case code
    std::map<std::string, sales_order> orders;          // by number
    std::vector<payment> payments;
    long next_order = 1, next_invoice = 1, next_journal = 1, next_customer = 1;

    // Loads a seed section (see sandbox/syspro.md); throws std::invalid_argument naming the field.
    void seed(const boost::json::value& data, settings& s);
    boost::json::value order_json(const sales_order& o) const;
    boost::json::value customer_json(const customer& c) const;
    boost::json::value stock_json(const stock_item& item, const settings& s) const;

    std::string new_order_number(const settings& s);
    sales_order* find_order(const std::string& number);
    sales_order* find_order_by_invoice(const std::string& invoice);

    double available(const warehouse_stock& w, const settings& s) const;
    // Reserves stock for a new or changed stock line according to allocation action F, B or A.
    void allocate(order_line& line, char action, const settings& s);
    // Gives back what a line holds (cancel, change, delete).
    void release(order_line& line);
    // Ships quantities (all ship quantities when `lines` is empty); returns the note.
    dispatch_note& dispatch(sales_order& o, const std::vector<dispatch_line>& lines, const std::string& date);
    // Invoices everything dispatched or ready to ship; returns nothing when there is nothing to invoice.
    invoice* make_invoice(sales_order& o, const std::string& date);
    void cancel(sales_order& o);
};

std::string today();

}  // namespace ferry::sandbox::syspro
