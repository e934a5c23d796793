#include "status_source.hpp"

#include "queries.hpp"

#include <boost/json.hpp>

namespace ferry::syspro {

namespace json = boost::json;

std::string status_words(const std::string& code) {
    if (code == "0") return "in_process";
    if (code == "1") return "open";
    if (code == "2") return "open_back_order";
    if (code == "3") return "released_back_order";
    if (code == "4") return "in_warehouse";
    if (code == "8") return "to_invoice";
    if (code == "9") return "complete";
    if (code == "S") return "suspense";
    if (code == "F") return "forward";
    if (code == "*" || code == "\\") return "cancelled";
    return "unknown";
}

status_source::status_source(const sdk::create_args& args)
    : ctx_(args.context), pool_(std::string(args.connection), args.connection_config) {
    pool_.bind(ctx_);
    json::value config = json::parse(args.config);
    const json::object& c = config.as_object();
    if (auto* v = c.if_contains("lookback_days")) lookback_days_ = static_cast<int>(v->as_int64());
    if (auto* v = c.if_contains("page_size")) page_size_ = static_cast<int>(v->as_int64());
}

void status_source::poll(std::string_view cursor, sdk::call& out) {
    catch_up_state(ctx_, cursor);
    int64_t now = ctx_.now_unix_ms();
    std::string since = utc_text(now - int64_t(lookback_days_) * 86400000).substr(0, 10);
    json::object emitted;
    std::string after;
    for (;;) {
        table_query q;
        q.table = "SorMaster";
        q.columns = {"SalesOrder", "CustomerPoNumber", "Customer", "OrderStatus", "OrderDate", "LastDelNote", "LastInvoice"};
        q.where = {{"OrderDate", "GE", since}};
        if (!after.empty()) q.where.push_back({"SalesOrder", "GT", after});
        q.order_by = "SalesOrder";
        q.return_rows = page_size_;
        std::vector<row> rows = find_rows(*pool_, ctx_, q);
        for (const row& r : rows) {
            const std::string& order = r.at("SalesOrder");
            std::string fingerprint = r.at("OrderStatus") + "|" + r.at("LastDelNote") + "|" + r.at("LastInvoice");
            std::string key = "status/" + order;
            std::optional<std::string> last = ctx_.state_get(key);
            if (last && *last == fingerprint) continue;
            auto nullable = [](const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); };
            json::object payload{{"order_number", r.at("CustomerPoNumber")},
                                 {"erp", "syspro"},
                                 {"erp_order", order},
                                 {"customer", r.at("Customer")},
                                 {"status", status_words(r.at("OrderStatus"))},
                                 {"status_code", r.at("OrderStatus")},
                                 {"last_dispatch", nullable(r.at("LastDelNote"))},
                                 {"last_invoice", nullable(r.at("LastInvoice"))},
                                 {"updated_at", utc_text(now)}};
            std::string text = json::serialize(payload);
            std::string record_key = "syspro:order:" + order;
            sdk::record rec;
            rec.stream = "erp_order_status";
            rec.key = record_key;
            rec.version = now;
            rec.payload = text;
            out.emit(rec);
            emitted[key] = fingerprint;
        }
        if (static_cast<int>(rows.size()) < page_size_ || rows.empty()) break;
        after = rows.back().at("SalesOrder");
    }
    out.set_cursor(cursor_of_emitted(now, std::move(emitted)));
}

}  // namespace ferry::syspro
