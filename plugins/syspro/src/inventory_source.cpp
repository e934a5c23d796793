#include "inventory_source.hpp"

#include "queries.hpp"
#include "xml.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <set>

namespace ferry::syspro {

namespace json = boost::json;

namespace {

std::string state_key(const std::string& warehouse, const std::string& sku) { return "level/" + warehouse + "/" + sku; }

// Quantities as SYSPRO shows them, without binary noise: "12", "2.5".
std::string quantity_text(double q) {
    std::string text = json::serialize(json::value(std::round(q * 1e6) / 1e6));
    return text;
}

json::value quantity_json(double q) {
    double rounded = std::round(q * 1e6) / 1e6;
    if (rounded == std::floor(rounded) && std::fabs(rounded) < 9e15) return json::value(static_cast<int64_t>(rounded));
    return json::value(rounded);
}

}  // namespace

inventory_source::inventory_source(const sdk::create_args& args)
    : ctx_(args.context), pool_(std::string(args.connection), args.connection_config) {
    pool_.bind(ctx_);
    json::value config = json::parse(args.config);
    const json::object& c = config.as_object();
    for (const json::value& w : c.at("warehouses").as_array()) warehouses_.emplace_back(w.as_string());
    if (auto* v = c.if_contains("method")) method_ = std::string(v->as_string());
    if (auto* v = c.if_contains("stock_codes")) {
        for (const json::value& s : v->as_array()) stock_codes_.emplace_back(s.as_string());
    }
    if (auto* v = c.if_contains("page_size")) page_size_ = static_cast<int>(v->as_int64());
}

std::vector<stock_level> inventory_source::read_table(const std::string& warehouse) {
    std::vector<stock_level> levels;
    std::string after;
    for (;;) {
        table_query q;
        q.table = "InvWarehouse";
        q.columns = {"StockCode", "Warehouse", "QtyOnHand", "QtyAllocated", "QtyOnOrder"};
        q.where = {{"Warehouse", "EQ", warehouse}};
        if (!after.empty()) q.where.push_back({"StockCode", "GT", after});
        q.order_by = "StockCode";
        q.return_rows = page_size_;
        std::vector<row> rows = find_rows(*pool_, ctx_, q);
        for (const row& r : rows) {
            stock_level l;
            l.sku = r.at("StockCode");
            l.warehouse = warehouse;
            l.on_hand = std::strtod(r.at("QtyOnHand").c_str(), nullptr);
            l.allocated = std::strtod(r.at("QtyAllocated").c_str(), nullptr);
            l.on_order = std::strtod(r.at("QtyOnOrder").c_str(), nullptr);
            l.available = l.on_hand - l.allocated;  // SYSPRO's AvailableQty (reference section 7)
            if (!l.sku.empty()) levels.push_back(std::move(l));
        }
        if (static_cast<int>(rows.size()) < page_size_ || rows.empty()) break;
        std::string last = rows.back().at("StockCode");
        if (last <= after) {
            throw sdk::retry_error("SYSPRO InvWarehouse paging did not advance past stock code '" + after + "'");
        }
        after = last;
    }
    return levels;
}

std::vector<std::string> inventory_source::all_stock_codes() {
    std::vector<std::string> codes;
    std::string after;
    for (;;) {
        table_query q;
        q.table = "InvMaster";
        q.columns = {"StockCode"};
        if (!after.empty()) q.where.push_back({"StockCode", "GT", after});
        q.order_by = "StockCode";
        q.return_rows = page_size_;
        std::vector<row> rows = find_rows(*pool_, ctx_, q);
        for (const row& r : rows) codes.push_back(r.at("StockCode"));
        if (static_cast<int>(rows.size()) < page_size_ || rows.empty()) break;
        if (rows.back().at("StockCode") <= after) throw sdk::retry_error("SYSPRO InvMaster paging did not advance");
        after = rows.back().at("StockCode");
    }
    return codes;
}

std::vector<stock_level> inventory_source::read_invqry() {
    std::vector<stock_level> levels;
    std::string filter;
    for (const std::string& w : warehouses_) filter += (filter.empty() ? "" : ",") + w;
    for (const std::string& code : stock_codes_.empty() ? all_stock_codes() : stock_codes_) {
        pugi::xml_document doc;
        pugi::xml_node root = doc.append_child("Query");
        add_text(root.append_child("Key"), "StockCode", code);
        pugi::xml_node option = root.append_child("Option");
        add_text(option, "IncludeHistory", "N");
        add_text(option, "IncludeBins", "N");
        add_text(option, "IncludeLots", "N");
        add_text(option, "IncludeSerials", "N");
        pugi::xml_node w = root.append_child("Filter").append_child("Warehouse");
        w.append_attribute("FilterType").set_value("L");
        w.append_attribute("FilterValue").set_value(filter.c_str());
        pugi::xml_document answer;
        try {
            query(*pool_, ctx_, "INVQRY", compact(doc), answer);
        } catch (const enet_error& e) {
            ctx_.warn(std::string("stock code '") + code + "' skipped: " + e.what());
            continue;
        }
        std::set<std::string> seen;
        pugi::xml_node top = answer.document_element();
        for (pugi::xml_node item = top.first_child(); item; item = item.next_sibling()) {
            if (std::string_view(item.name()) != "WarehouseItem") continue;
            stock_level l;
            l.sku = code;
            l.warehouse = text_of(item, "Warehouse");
            l.on_hand = number_of(item, "QtyOnHand");
            l.allocated = number_of(item, "QtyAllocated");
            l.on_order = number_of(item, "QtyOnOrder");
            l.available = number_of(item, "AvailableQty");
            seen.insert(l.warehouse);
            levels.push_back(std::move(l));
        }
        // Not stocked in a warehouse: SYSPRO sends no WarehouseItem, and none can be sold from there.
        for (const std::string& warehouse : warehouses_) {
            if (!seen.count(warehouse)) levels.push_back({code, warehouse, 0, 0, 0, 0});
        }
    }
    return levels;
}

void inventory_source::poll(std::string_view cursor, sdk::call& out) {
    catch_up_state(ctx_, cursor);
    std::vector<stock_level> levels;
    if (method_ == "table") {
        for (const std::string& w : warehouses_) {
            std::vector<stock_level> some = read_table(w);
            levels.insert(levels.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
        }
    } else {
        levels = read_invqry();
    }
    int64_t now = ctx_.now_unix_ms();
    json::object emitted;
    for (const stock_level& l : levels) {
        std::string key = state_key(l.warehouse, l.sku);
        std::string available = quantity_text(l.available);
        std::optional<std::string> last = ctx_.state_get(key);
        if (last && *last == available) continue;
        json::object payload{{"sku", l.sku},
                             {"location", l.warehouse},
                             {"available", quantity_json(l.available)},
                             {"on_hand", quantity_json(l.on_hand)},
                             {"allocated", quantity_json(l.allocated)},
                             {"on_order", quantity_json(l.on_order)},
                             {"updated_at", utc_text(now)}};
        std::string text = json::serialize(payload);
        std::string record_key = "syspro:" + l.warehouse + ":" + l.sku;
        sdk::record r;
        r.stream = "inventory_level";
        r.key = record_key;
        r.version = now;
        r.payload = text;
        out.emit(r);
        emitted[key] = available;
    }
    out.set_cursor(cursor_of_emitted(now, std::move(emitted)));
}

}  // namespace ferry::syspro
