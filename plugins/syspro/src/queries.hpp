// Calls to SYSPRO's business objects, shared by the components: the generic table query
// (COMFND), and posting a setup or transaction document.
#pragma once

#include "enet.hpp"

#include <boost/json/object.hpp>
#include <pugixml.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::syspro {

struct condition {
    std::string column;
    std::string op;  // EQ, NE, GT, GE, LT, LE
    std::string value;
};

using row = std::map<std::string, std::string>;

struct table_query {
    std::string table;                // SorMaster, ArCustomer, InvWarehouse, ...
    std::vector<std::string> columns;
    std::vector<condition> where;     // joined with And
    std::string order_by;
    int return_rows = 100;
};

// COMFND: the rows of a table that match, with the asked columns (trimmed text).
std::vector<row> find_rows(session_pool& pool, const sdk::context& ctx, const table_query& query);

// The sales order a shop order became: SorMaster by CustomerPoNumber (the shop's order name),
// a live one rather than one cancelled during entry; nothing when SYSPRO has none.
struct sales_order_ref {
    std::string sales_order;
    std::string customer;
    std::string status;  // OrderStatus
};
std::optional<sales_order_ref> find_sales_order(session_pool& pool, const sdk::context& ctx, const std::string& po_number);
// OrderStatus backslash (cancelled) or "*" (cancelled during entry).
bool is_cancelled_status(const std::string& status);

// Posts a document to Transaction/Post or Setup/Add|Update; returns the parsed answer.
void post(session_pool& pool, const sdk::context& ctx, const std::string& operation, const std::string& business_object,
          const std::string& parameters, const std::string& document, pugi::xml_document& answer);

// A query BO (Query/Query): the parsed answer.
void query(session_pool& pool, const sdk::context& ctx, const std::string& business_object, const std::string& document,
           pugi::xml_document& answer);

// Appends <name>value</name> under `parent`.
void add_text(pugi::xml_node parent, const char* name, const std::string& value);

// Sources that emit only changes keep what they emitted in their cursor, which the host commits
// with the records, and copy it into the state at the next poll: a state write never runs ahead
// of the journal. These read the previous cursor into the state, and write the next one.
void catch_up_state(const sdk::context& ctx, std::string_view previous_cursor);
std::string cursor_of_emitted(int64_t polled_at_ms, boost::json::object emitted);

// A whole number as SYSPRO may pad it ("     1.000000") written plainly ("1"); other text as is.
std::string whole_number(const std::string& text);

// RFC 3339 in UTC with milliseconds: "2026-11-23T10:15:00.123Z".
std::string utc_text(int64_t unix_ms);

// How many bytes the first `characters` UTF-8 characters of `value` take.
size_t prefix_bytes(std::string_view value, size_t characters);

// `value` cut to `limit` characters (UTF-8 aware); logs a warning naming the field when it cuts.
std::string fit(const sdk::context& ctx, const std::string& value, size_t limit, const std::string& field,
                const std::string& record);

}  // namespace ferry::syspro
