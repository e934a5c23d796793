#include "fulfillment_source.hpp"

#include "queries.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace ferry::syspro {

namespace json = boost::json;

namespace {

json::value quantity_json(const std::string& text) {
    double q = std::strtod(text.c_str(), nullptr);
    double rounded = std::round(q * 1e6) / 1e6;
    if (rounded == std::floor(rounded)) return json::value(static_cast<int64_t>(rounded));
    return json::value(rounded);
}

}  // namespace

fulfillment_source::fulfillment_source(const sdk::create_args& args)
    : ctx_(args.context), pool_(std::string(args.connection), args.connection_config) {
    pool_.bind(ctx_);
    json::value config = json::parse(args.config);
    const json::object& c = config.as_object();
    if (auto* v = c.if_contains("tracking_number_field")) tracking_field_ = std::string(v->as_string());
    if (auto* v = c.if_contains("carrier_field")) carrier_field_ = std::string(v->as_string());
    if (auto* v = c.if_contains("tracking_urls")) {
        for (const auto& [carrier, url] : v->as_object()) tracking_urls_[std::string(carrier)] = std::string(url.as_string());
    }
    if (auto* v = c.if_contains("start_after")) start_after_ = std::string(v->as_string());
    if (auto* v = c.if_contains("page_size")) page_size_ = static_cast<int>(v->as_int64());
}

void fulfillment_source::poll(std::string_view cursor, sdk::call& out) {
    std::string after = cursor.empty() ? start_after_ : std::string(cursor);
    for (;;) {
        table_query notes;
        notes.table = "MdnMaster";
        notes.columns = {"DispatchNote", "SalesOrder", "CustomerPoNumber", "PlannedDispatchDate", "UserDefined2", carrier_field_,
                         tracking_field_};
        if (!after.empty()) notes.where.push_back({"DispatchNote", "GT", after});
        notes.order_by = "DispatchNote";
        notes.return_rows = page_size_;
        std::vector<row> rows = find_rows(*pool_, ctx_, notes);
        for (const row& note : rows) {
            const std::string& number = note.at("DispatchNote");
            after = number;
            // Notes that carry a shop fulfillment ID came from the shop (syspro.dispatch): sending
            // them back would ship the same parcel twice in the shop.
            if (!note.at("UserDefined2").empty()) continue;
            table_query detail;
            detail.table = "MdnDetail";
            detail.columns = {"DispatchNote", "SalesOrderLine", "MStockCode", "DispatchQty"};
            detail.where = {{"DispatchNote", "EQ", number}};
            detail.order_by = "SalesOrderLine";
            detail.return_rows = 1000;
            json::array lines;
            for (const row& l : find_rows(*pool_, ctx_, detail)) {
                if (l.at("DispatchNote") != number || l.at("MStockCode").empty()) continue;  // freight, comments
                lines.push_back(json::object{{"sku", l.at("MStockCode")},
                                             {"quantity", quantity_json(l.at("DispatchQty"))},
                                             {"line_id", whole_number(l.at("SalesOrderLine"))}});
            }
            std::string carrier = note.at(carrier_field_);
            std::string tracking = note.at(tracking_field_);
            json::value url = nullptr;
            if (auto template_url = tracking_urls_.find(carrier); template_url != tracking_urls_.end() && !tracking.empty()) {
                std::string u = template_url->second;
                if (size_t at = u.find("{number}"); at != std::string::npos) u.replace(at, 8, tracking);
                url = u;
            }
            json::object payload{
                {"id", number},
                {"order_number", note.at("CustomerPoNumber")},
                {"erp_order", note.at("SalesOrder")},
                {"status", "success"},
                {"created_at", note.at("PlannedDispatchDate")},
                {"tracking",
                 json::object{{"company", carrier.empty() ? json::value(nullptr) : json::value(carrier)},
                              {"number", tracking.empty() ? json::value(nullptr) : json::value(tracking)},
                              {"url", url}}},
                {"lines", std::move(lines)},
                {"notify_customer", true}};
            std::string text = json::serialize(payload);
            std::string key = "syspro:dispatch:" + number;
            sdk::record r;
            r.stream = "fulfillment";
            r.key = key;
            r.version = 1;
            r.payload = text;
            r.event_id = key;
            out.emit(r);
        }
        if (static_cast<int>(rows.size()) < page_size_) break;
    }
    if (!after.empty()) out.set_cursor(after);
}

}  // namespace ferry::syspro
