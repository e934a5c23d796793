#include "queries.hpp"

#include "xml.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace ferry::syspro {

void add_text(pugi::xml_node parent, const char* name, const std::string& value) {
    parent.append_child(name).text().set(value.c_str());
}

void catch_up_state(const sdk::context& ctx, std::string_view previous_cursor) {
    if (previous_cursor.empty()) return;
    boost::json::error_code ec;
    boost::json::value previous = boost::json::parse(previous_cursor, ec);
    if (ec || !previous.is_object()) return;
    const boost::json::value* emitted = previous.as_object().if_contains("emitted");
    if (!emitted || !emitted->is_object()) return;
    for (const auto& [key, value] : emitted->as_object()) {
        if (value.is_string()) ctx.state_put(key, value.as_string());
    }
}

std::string cursor_of_emitted(int64_t polled_at_ms, boost::json::object emitted) {
    return boost::json::serialize(boost::json::object{{"polled_at_ms", polled_at_ms}, {"emitted", std::move(emitted)}});
}

std::string whole_number(const std::string& text) {
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || value != static_cast<double>(static_cast<long long>(value))) return text;
    return std::to_string(static_cast<long long>(value));
}

std::string utc_text(int64_t unix_ms) {
    time_t seconds = static_cast<time_t>(unix_ms / 1000);
    tm parts{};
    gmtime_r(&seconds, &parts);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                  parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<int>(unix_ms % 1000));
    return text;
}

size_t prefix_bytes(std::string_view value, size_t characters) {
    size_t i = 0;
    for (size_t n = 0; n < characters && i < value.size(); ++n) {
        unsigned char c = static_cast<unsigned char>(value[i]);
        i += c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    }
    return std::min(i, value.size());
}

std::string fit(const sdk::context& ctx, const std::string& value, size_t limit, const std::string& field,
                const std::string& record) {
    size_t bytes = prefix_bytes(value, limit);
    if (bytes == value.size()) return value;
    ctx.warn(record + ": " + field + " cut to " + std::to_string(limit) + " characters (SYSPRO's limit): '" + value + "'");
    ctx.counter_add("fields_truncated");
    return value.substr(0, bytes);
}

std::vector<row> find_rows(session_pool& pool, const sdk::context& ctx, const table_query& q) {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("Query");
    add_text(root, "TableName", q.table);
    add_text(root, "ReturnRows", std::to_string(q.return_rows));
    pugi::xml_node columns = root.append_child("Columns");
    for (const std::string& c : q.columns) add_text(columns, "Column", c);
    if (!q.where.empty()) {
        pugi::xml_node where = root.append_child("Where");
        for (const condition& c : q.where) {
            pugi::xml_node e = where.append_child("Expression");
            add_text(e, "OpenBracket", "(");
            add_text(e, "AndOr", "And");
            add_text(e, "Column", c.column);
            add_text(e, "Condition", c.op);
            add_text(e, "Value", c.value);
            add_text(e, "CloseBracket", ")");
        }
    }
    if (!q.order_by.empty()) add_text(root.append_child("OrderBy"), "Column", q.order_by);
    pugi::xml_document answer;
    query(pool, ctx, "COMFND", compact(doc), answer);
    std::vector<row> rows;
    pugi::xml_node table = answer.document_element();
    for (pugi::xml_node r = table.first_child(); r; r = r.next_sibling()) {
        if (std::string_view(r.name()) != "Row") continue;
        row values;
        for (const std::string& c : q.columns) values[c] = text_of(r, c);
        rows.push_back(std::move(values));
    }
    return rows;
}

bool is_cancelled_status(const std::string& status) { return status == "\\" || status == "*"; }

std::optional<sales_order_ref> find_sales_order(session_pool& pool, const sdk::context& ctx, const std::string& po_number) {
    table_query q;
    q.table = "SorMaster";
    q.columns = {"SalesOrder", "Customer", "OrderStatus", "CustomerPoNumber"};
    q.where = {{"CustomerPoNumber", "EQ", po_number}};
    q.order_by = "SalesOrder";
    q.return_rows = 10;
    std::optional<sales_order_ref> found;
    for (const row& r : find_rows(pool, ctx, q)) {
        // COMFND compares as the database collates; the key must match exactly.
        if (r.at("CustomerPoNumber") != po_number || r.at("SalesOrder").empty()) continue;
        sales_order_ref o{r.at("SalesOrder"), r.at("Customer"), r.at("OrderStatus")};
        if (!found || (is_cancelled_status(found->status) && !is_cancelled_status(o.status))) found = o;
    }
    return found;
}

void query(session_pool& pool, const sdk::context& ctx, const std::string& business_object, const std::string& document,
           pugi::xml_document& answer) {
    std::string body = pool.call(ctx, "Query/Query", {{"BusinessObject", business_object}, {"XmlIn", document}});
    parse_answer(answer, body, business_object);
}

void post(session_pool& pool, const sdk::context& ctx, const std::string& operation, const std::string& business_object,
          const std::string& parameters, const std::string& document, pugi::xml_document& answer) {
    std::string body = pool.call(ctx, operation,
                                 {{"BusinessObject", business_object}, {"XmlParameters", parameters}, {"XmlIn", document}});
    parse_answer(answer, body, business_object);
}

}  // namespace ferry::syspro
