#include "sinks.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace ferry::shopify {

namespace {

json::object parse_object(std::string_view text, const char* what) {
    json::error_code ec;
    json::value v = json::parse(text.empty() ? std::string_view("{}") : text, ec);
    if (ec || !v.is_object()) throw sdk::reject_error(std::string(what) + " is not a JSON object");
    return v.as_object();
}

std::string user_errors_text(const json::value* errors) {
    std::string out;
    if (!errors || !errors->is_array()) return out;
    for (const auto& e : errors->get_array()) {
        if (!out.empty()) out += "; ";
        out += describe_user_error(e);
    }
    return out;
}

bool has_user_errors(const json::value* errors) { return errors && errors->is_array() && !errors->get_array().empty(); }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    return text;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// inventory
// ---------------------------------------------------------------------------------------------

inventory_sink::inventory_sink(const sdk::create_args& args)
    : context_(args.context), client_(args.context, shop_settings::parse(args.connection_config)), cache_(args.context) {
    json::object config = json::parse(args.config.empty() ? std::string_view("{}") : args.config).as_object();
    if (auto n = text_of(config, "quantity_name")) quantity_name_ = *n;
    if (auto r = text_of(config, "reason")) reason_ = *r;
}

void inventory_sink::write(const sdk::delivery& d, sdk::call& out) {
    std::vector<outcome> outcomes(1);
    run({d}, outcomes);
    const outcome& o = outcomes[0];
    if (o.status == FERRY_OK) {
        out.set_target_id(o.target);
        return;
    }
    throw sdk::error(o.status, o.text);
}

void inventory_sink::write_batch(const std::vector<sdk::delivery>& batch, sdk::call& out) {
    std::vector<outcome> outcomes(batch.size());
    auto report = [&] {
        for (size_t i = 0; i < outcomes.size(); ++i) {
            if (outcomes[i].done) out.set_item_result(i, outcomes[i].status, outcomes[i].text, outcomes[i].target);
        }
    };
    try {
        run(batch, outcomes);
    } catch (...) {
        report();  // items settled before the failure keep their outcome; the rest take its status
        throw;
    }
    report();
}

void inventory_sink::run(const std::vector<sdk::delivery>& batch, std::vector<outcome>& outcomes) {
    auto settle = [&](size_t i, ferry_status status, std::string text, std::string target = "") {
        outcomes[i] = outcome{status, std::move(text), std::move(target), true};
    };
    // 1. Read every record.
    std::vector<row> rows;
    for (size_t i = 0; i < batch.size(); ++i) {
        json::error_code ec;
        json::value v = json::parse(batch[i].rec.payload, ec);
        if (ec || !v.is_object()) {
            settle(i, FERRY_REJECT, "inventory_level record " + std::string(batch[i].rec.key) + " is not a JSON object");
            continue;
        }
        const json::object& p = v.get_object();
        row r;
        r.item = i;
        r.sku = text_or_empty(p, "sku");
        r.location = text_or_empty(p, "location");
        const json::value* q = p.if_contains(quantity_name_ == "on_hand" ? "on_hand" : "available");
        if (r.sku.empty() || r.location.empty()) {
            settle(i, FERRY_REJECT, "inventory_level record " + std::string(batch[i].rec.key) + " lacks sku or location");
            continue;
        }
        if (!q || !q->is_number() || (q->is_double() && std::floor(q->get_double()) != q->get_double())) {
            settle(i, FERRY_REJECT, "SKU " + r.sku + " at " + r.location + ": " + quantity_name_ + " is not a whole number");
            continue;
        }
        r.quantity = q->is_double() ? static_cast<int64_t>(q->get_double()) : q->to_number<int64_t>();
        rows.push_back(std::move(r));
    }
    // 2. Resolve locations and SKUs (cached per connection; misses read from Shopify).
    std::map<std::string, std::optional<std::string>> locations;
    std::map<std::string, shop_cache::sku_entry> found;
    {
        std::lock_guard lock(resolve_mutex_);
        for (const auto& r : rows) locations.emplace(r.location, std::nullopt);
        for (auto& [name, id] : locations) id = resolve_location(client_, cache_, name);
        std::vector<std::string> skus;
        for (const auto& r : rows) skus.push_back(r.sku);
        found = resolve_skus(client_, cache_, skus);
    }
    std::vector<row> resolved;
    for (auto& r : rows) {
        if (!locations[r.location]) {
            settle(r.item, FERRY_REJECT, "unknown location \"" + r.location + "\" in Shopify (SKU " + r.sku + ")");
            continue;
        }
        auto sku = found.find(r.sku);
        if (sku == found.end()) {
            settle(r.item, FERRY_REJECT, "unknown SKU " + r.sku + " in Shopify (location " + r.location + ")");
            continue;
        }
        r.item_id = sku->second.inventory_item_id;
        r.location_id = *locations[r.location];
        resolved.push_back(std::move(r));
    }
    // 3. One row per (item, location): the last record of the batch wins.
    std::map<std::pair<std::string, std::string>, size_t> last;
    for (size_t i = 0; i < resolved.size(); ++i) last[{resolved[i].item_id, resolved[i].location_id}] = i;
    std::vector<row> compared, blind;
    for (size_t i = 0; i < resolved.size(); ++i) {
        row& r = resolved[i];
        if (last[{r.item_id, r.location_id}] != i) {
            settle(r.item, FERRY_OK, "", r.item_id + "@" + r.location_id);  // a later record of the batch sets it
            continue;
        }
        r.known = cache_.quantity(r.item_id, r.location_id, quantity_name_);
        // 4. Only changes are pushed.
        if (r.known && *r.known == r.quantity) {
            settle(r.item, FERRY_OK, "", r.item_id + "@" + r.location_id);
            continue;
        }
        (r.known ? compared : blind).push_back(r);
    }
    std::string reference = "gid://ferry/InventorySync/" +
                            sha256_hex(batch.empty() ? std::string_view() : batch.front().idempotency_key).substr(0, 24);
    push(compared, outcomes, true, reference);
    push(blind, outcomes, false, reference);
    context_.counter_add("inventory_rows_pushed", double(compared.size() + blind.size()));
}

void inventory_sink::push(std::vector<row>& rows, std::vector<outcome>& outcomes, bool compare, const std::string& reference) {
    static const std::string mutation = R"(mutation SetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
})";
    // compareQuantity/ignoreCompareQuantity up to 2025-10; changeFromQuantity from 2026-01 (and
    // required on every row from 2026-04, null opting out).
    const bool change_from = client_.settings().version_at_least("2026-01");
    for (size_t at = 0; at < rows.size(); at += 250) {
        size_t n = std::min<size_t>(250, rows.size() - at);
        json::array quantities;
        for (size_t i = at; i < at + n; ++i) {
            const row& r = rows[i];
            json::object q{{"inventoryItemId", r.item_id}, {"locationId", r.location_id}, {"quantity", r.quantity}};
            if (change_from) q["changeFromQuantity"] = compare ? json::value(*r.known) : json::value(nullptr);
            else if (compare) q["compareQuantity"] = *r.known;
            quantities.push_back(std::move(q));
        }
        json::object input{{"name", quantity_name_}, {"reason", reason_}, {"referenceDocumentUri", reference},
                           {"quantities", std::move(quantities)}};
        if (!change_from && !compare) input["ignoreCompareQuantity"] = true;
        json::object data = client_.run("inventorySetQuantities", mutation, json::object{{"input", std::move(input)}}, 12);
        const json::value* payload = path(data, {"inventorySetQuantities"});
        const json::value* errors = payload ? path(*payload, {"userErrors"}) : nullptr;
        std::string group = payload ? path_text(*payload, {"inventoryAdjustmentGroup", "id"}) : "";
        auto describe = [&](const row& r) { return "SKU " + r.sku + " at " + r.location; };
        if (!has_user_errors(errors)) {
            for (size_t i = at; i < at + n; ++i) {
                cache_.put_quantity(rows[i].item_id, rows[i].location_id, quantity_name_, rows[i].quantity);
                outcomes[rows[i].item] = outcome{FERRY_OK, "", group.empty() ? rows[i].item_id + "@" + rows[i].location_id : group, true};
            }
            continue;
        }
        // Map each error to its row (field ["input", "quantities", "<i>", ...]).
        std::map<size_t, std::string> row_errors;
        std::vector<row> stale;
        std::string general;
        for (const auto& e : errors->get_array()) {
            std::string code = path_text(e, {"code"});
            if (code == "INVALID_REASON" || code == "INVALID_NAME") {
                throw sdk::fatal_error("Shopify inventorySetQuantities refused the configuration: " + describe_user_error(e));
            }
            const json::value* field = path(e, {"field"});
            std::optional<size_t> index;
            if (field && field->is_array() && field->get_array().size() >= 3) {
                const json::value& idx = field->get_array()[2];
                if (idx.is_string()) {
                    try { index = std::stoul(std::string(idx.get_string())); } catch (...) {}
                } else if (idx.is_int64()) {
                    index = size_t(idx.get_int64());
                }
            }
            if (!index || *index >= n) {
                general += (general.empty() ? "" : "; ") + describe_user_error(e);
                continue;
            }
            const row& r = rows[at + *index];
            if (code == "COMPARE_QUANTITY_STALE" || code == "CHANGE_FROM_QUANTITY_STALE") {
                stale.push_back(r);
                row_errors[*index] = "stale";
                continue;
            }
            row_errors[*index] = describe(r) + ": " + path_text(e, {"message"}) + (code.empty() ? "" : " (" + code + ")");
        }
        refresh(stale);  // the next attempt compares with what Shopify holds now
        std::vector<row> again;
        for (size_t i = 0; i < n; ++i) {
            const row& r = rows[at + i];
            auto err = row_errors.find(i);
            if (err != row_errors.end() && err->second != "stale") {
                outcomes[r.item] = outcome{FERRY_REJECT, err->second, "", true};
            } else if (err != row_errors.end()) {
                outcomes[r.item] = outcome{FERRY_RETRY, describe(r) + ": the quantity in Shopify changed since it was read; retrying with the current value", "", true};
            } else if (!general.empty()) {
                outcomes[r.item] = outcome{FERRY_REJECT, describe(r) + ": Shopify refused the batch: " + general, "", true};
            } else {
                again.push_back(r);
            }
        }
        // Shopify applies a call all or nothing: the rows that were not at fault go again, at
        // once, without the ones that were (each round drops at least one row).
        if (!again.empty() && again.size() < n) push(again, outcomes, compare, reference);
    }
}

void inventory_sink::refresh(const std::vector<row>& rows) {
    for (size_t at = 0; at < rows.size(); at += 100) {
        size_t n = std::min<size_t>(100, rows.size() - at);
        std::string query = "query CurrentQuantities {\n";
        for (size_t i = at; i < at + n; ++i) {
            query += "  q" + std::to_string(i - at) + ": inventoryItem(id: " + json::serialize(json::value(rows[i].item_id)) +
                     ") { inventoryLevel(locationId: " + json::serialize(json::value(rows[i].location_id)) +
                     ") { quantities(names: [" + json::serialize(json::value(quantity_name_)) + "]) { name quantity } } }\n";
        }
        query += "}";
        json::object data = client_.run("current quantities", query, {}, 3.0 * double(n));
        for (size_t i = at; i < at + n; ++i) {
            const row& r = rows[i];
            cache_.forget_quantity(r.item_id, r.location_id, quantity_name_);
            const json::value* qs = path(data, {"q" + std::to_string(i - at), "inventoryLevel", "quantities"});
            if (!qs || !qs->is_array()) continue;
            for (const auto& q : qs->get_array()) {
                if (!q.is_object() || path_text(q, {"name"}) != quantity_name_) continue;
                if (auto v = int_of(q.get_object(), "quantity")) cache_.put_quantity(r.item_id, r.location_id, quantity_name_, *v);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// fulfillment
// ---------------------------------------------------------------------------------------------

fulfillment_sink::fulfillment_sink(const sdk::create_args& args)
    : context_(args.context), client_(args.context, shop_settings::parse(args.connection_config)), cache_(args.context) {
    json::object config = json::parse(args.config.empty() ? std::string_view("{}") : args.config).as_object();
    if (const json::value* n = config.if_contains("notify_customer"); n && n->is_bool()) notify_ = n->get_bool();
}

namespace {

std::string order_label(const json::object& p) {
    std::string n = text_or_empty(p, "order_number");
    return n.empty() ? text_or_empty(p, "order_id") : n;
}

}  // namespace

void fulfillment_sink::lookup(const sdk::delivery& d, sdk::call& out) {
    json::object p = parse_object(d.rec.payload, "fulfillment record");
    std::string number = path_text(p, {"tracking", "number"});
    if (number.empty()) return;  // nothing identifies an earlier fulfilment of this record
    auto order = find_order(client_, cache_, text_or_empty(p, "order_id"), text_or_empty(p, "order_number"));
    if (!order) return;
    static const std::string query = R"(query OrderFulfillments($id: ID!) {
  order(id: $id) { id fulfillments(first: 50) { id status trackingInfo(first: 5) { number } } }
})";
    json::object data = client_.run("order fulfillments", query, json::object{{"id", order->id}}, 52);
    const json::value* list = path(data, {"order", "fulfillments"});
    if (!list || !list->is_array()) return;
    for (const auto& f : list->get_array()) {
        if (path_text(f, {"status"}) == "CANCELLED") continue;
        const json::value* infos = path(f, {"trackingInfo"});
        if (!infos || !infos->is_array()) continue;
        for (const auto& t : infos->get_array()) {
            if (path_text(t, {"number"}) == number) {
                out.set_target_id(path_text(f, {"id"}));
                return;
            }
        }
    }
}

void fulfillment_sink::write(const sdk::delivery& d, sdk::call& out) {
    json::object p = parse_object(d.rec.payload, "fulfillment record");
    const std::string label = "order " + order_label(p);
    auto order = find_order(client_, cache_, text_or_empty(p, "order_id"), text_or_empty(p, "order_number"));
    if (!order) throw sdk::reject_error(label + " not found in Shopify");

    static const std::string query = R"(query FulfillmentOrders($id: ID!) {
  order(id: $id) { id name fulfillmentOrders(first: 5) { nodes { id status
    assignedLocation { location { id name } }
    lineItems(first: 50) { nodes { id sku remainingQuantity totalQuantity lineItem { id sku } } } } } }
})";
    json::object data = client_.run("fulfillment orders", query, json::object{{"id", order->id}}, 540);
    const json::value* nodes = path(data, {"order", "fulfillmentOrders", "nodes"});
    if (!nodes || !nodes->is_array()) throw sdk::retry_error(label + ": Shopify returned no fulfillment orders");

    struct fo_line {
        std::string fo_id, id, sku, line_id;
        int64_t remaining = 0;
    };
    std::vector<fo_line> open;
    std::map<std::string, std::string> location_of;  // fulfillment order -> location id
    for (const auto& fo : nodes->get_array()) {
        std::string status = path_text(fo, {"status"});
        if (status != "OPEN" && status != "IN_PROGRESS") continue;
        std::string fo_id = path_text(fo, {"id"});
        location_of[fo_id] = path_text(fo, {"assignedLocation", "location", "id"});
        const json::value* lines = path(fo, {"lineItems", "nodes"});
        if (!lines || !lines->is_array()) continue;
        for (const auto& l : lines->get_array()) {
            int64_t remaining = l.is_object() ? int_of(l.get_object(), "remainingQuantity").value_or(0) : 0;
            if (remaining <= 0) continue;
            std::string sku = path_text(l, {"sku"});
            if (sku.empty()) sku = path_text(l, {"lineItem", "sku"});
            open.push_back({fo_id, path_text(l, {"id"}), sku, path_text(l, {"lineItem", "id"}), remaining});
        }
    }
    if (open.empty()) throw sdk::reject_error(label + ": nothing left to fulfil in Shopify");

    // (fulfillment order -> [(fo line id, quantity)]); an empty list fulfils the whole order.
    std::map<std::string, std::vector<std::pair<std::string, int64_t>>> plan;
    const json::array* lines = array_at(p, "lines");
    if (!lines || lines->empty()) {
        for (const auto& l : open) plan[l.fo_id];
    } else {
        for (const auto& v : *lines) {
            if (!v.is_object()) continue;
            const json::object& want = v.get_object();
            std::string sku = text_or_empty(want, "sku"), line_id = text_or_empty(want, "line_id");
            auto qty = int_of(want, "quantity");
            if (!qty || *qty < 0) throw sdk::reject_error(label + ": line " + sku + " has no whole quantity");
            int64_t left = *qty;
            bool known = false;
            for (auto& l : open) {
                bool match = !line_id.empty() && is_gid(line_id, "LineItem") ? l.line_id == line_id : (!sku.empty() && l.sku == sku);
                if (!match) continue;
                known = true;
                int64_t take = std::min(left, l.remaining);
                if (take <= 0) continue;
                plan[l.fo_id].push_back({l.id, take});
                l.remaining -= take;
                left -= take;
            }
            std::string what = sku.empty() ? "line " + line_id : "SKU " + sku;
            if (!known) throw sdk::reject_error(label + " has no open line with " + what);
            if (left > 0) {
                throw sdk::reject_error(label + ": " + what + ": " + std::to_string(*qty) + " to fulfil but only " +
                                        std::to_string(*qty - left) + " left open in Shopify");
            }
        }
    }
    // One fulfillmentCreate per location: Shopify requires its fulfillment orders to share one.
    std::map<std::string, json::array> by_location;
    for (const auto& [fo, items] : plan) {
        json::object entry{{"fulfillmentOrderId", fo}};
        if (!items.empty()) {
            json::array li;
            for (const auto& [id, qty] : items) li.push_back(json::object{{"id", id}, {"quantity", qty}});
            entry["fulfillmentOrderLineItems"] = std::move(li);
        }
        by_location[location_of[fo]].push_back(std::move(entry));
    }
    json::object tracking;
    if (const json::object* t = object_at(p, "tracking")) {
        for (const char* f : {"company", "number", "url"}) {
            if (auto v = text_of(*t, f); v && !v->empty()) tracking[f] = *v;
        }
    }
    bool notify = notify_.value_or(bool_of(p, "notify_customer"));
    static const std::string mutation = R"(mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id status } userErrors { field message } }
})";
    std::string targets;
    for (auto& [location, groups] : by_location) {
        json::object input{{"lineItemsByFulfillmentOrder", std::move(groups)}, {"notifyCustomer", notify}};
        if (!tracking.empty()) input["trackingInfo"] = tracking;
        json::object result = client_.run("fulfillmentCreate", mutation, json::object{{"fulfillment", std::move(input)}}, 12);
        const json::value* payload = path(result, {"fulfillmentCreate"});
        const json::value* errors = payload ? path(*payload, {"userErrors"}) : nullptr;
        if (has_user_errors(errors)) throw sdk::reject_error(label + ": Shopify refused the fulfilment: " + user_errors_text(errors));
        std::string id = payload ? path_text(*payload, {"fulfillment", "id"}) : "";
        if (id.empty()) throw sdk::retry_error(label + ": fulfillmentCreate returned no fulfilment");
        targets += (targets.empty() ? "" : ",") + id;
    }
    out.set_target_id(targets);
}

// ---------------------------------------------------------------------------------------------
// order annotations
// ---------------------------------------------------------------------------------------------

order_annotation_sink::order_annotation_sink(const sdk::create_args& args)
    : context_(args.context), client_(args.context, shop_settings::parse(args.connection_config)), cache_(args.context) {
    json::object config = json::parse(args.config.empty() ? std::string_view("{}") : args.config).as_object();
    if (auto t = text_of(config, "tag")) tag_ = *t;
    if (auto n = text_of(config, "note")) note_ = *n;
    if (auto ns = text_of(config, "metafield_namespace")) namespace_ = *ns;
    if (auto k = text_of(config, "metafield_key")) key_ = *k;
}

void order_annotation_sink::write(const sdk::delivery& d, sdk::call& out) {
    json::object p = parse_object(d.rec.payload, "erp_order record");
    std::string erp = text_or_empty(p, "erp"), erp_order = text_or_empty(p, "erp_order");
    const std::string label = "order " + order_label(p);
    if (erp_order.empty()) throw sdk::reject_error(label + ": the erp_order record has no erp_order number");
    auto order = find_order(client_, cache_, text_or_empty(p, "order_id"), text_or_empty(p, "order_number"));
    if (!order) throw sdk::reject_error(label + " not found in Shopify");
    auto fill = [&](const std::string& text) { return replace_all(replace_all(text, "{erp_order}", erp_order), "{erp}", erp); };
    std::string tag = fill(tag_), line = fill(note_);

    std::string read = "query OrderAnnotations($id: ID!" + std::string(key_.empty() ? "" : ", $ns: String!, $key: String!") +
                       ") {\n  order(id: $id) { id note tags" +
                       (key_.empty() ? "" : " metafield(namespace: $ns, key: $key) { value }") + " }\n}";
    json::object vars{{"id", order->id}};
    if (!key_.empty()) vars["ns"] = namespace_, vars["key"] = key_;
    json::object data = client_.run("order annotations", read, vars, 2);
    const json::value* o = path(data, {"order"});
    if (!o || !o->is_object()) throw sdk::reject_error(label + " not found in Shopify");
    std::string note = path_text(*o, {"note"});
    bool need_tag = !tag.empty();
    if (const json::value* tags = path(*o, {"tags"}); tags && tags->is_array()) {
        for (const auto& t : tags->get_array()) {
            if (t.is_string() && t.get_string() == tag) need_tag = false;
        }
    }
    bool need_note = !line.empty() && note.find(line) == std::string::npos;
    bool need_metafield = !key_.empty() && path_text(*o, {"metafield", "value"}) != erp_order;
    if (!need_tag && !need_note && !need_metafield) {
        out.set_target_id(order->id);  // already written: a retry or a replay
        return;
    }
    std::string params = "$id: ID!", body;
    json::object mvars{{"id", order->id}};
    if (need_note || need_metafield) {
        json::object input{{"id", order->id}};
        if (need_note) input["note"] = note.empty() ? line : note + "\n" + line;
        if (need_metafield) {
            input["metafields"] = json::array{json::object{{"namespace", namespace_}, {"key", key_},
                                                           {"type", "single_line_text_field"}, {"value", erp_order}}};
        }
        params += ", $input: OrderInput!";
        mvars["input"] = std::move(input);
        body += "  orderUpdate(input: $input) { order { id } userErrors { field message } }\n";
    }
    if (need_tag) {
        params += ", $tags: [String!]!";
        mvars["tags"] = json::array{json::value(tag)};
        body += "  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }\n";
    }
    std::string mutation = "mutation Annotate(" + params + ") {\n" + body + "}";
    json::object result = client_.run("order annotation", mutation, mvars, 22);
    for (const char* field : {"orderUpdate", "tagsAdd"}) {
        const json::value* errors = path(result, {field, "userErrors"});
        if (has_user_errors(errors)) throw sdk::reject_error(label + ": Shopify refused " + field + ": " + user_errors_text(errors));
    }
    out.set_target_id(order->id);
}

// ---------------------------------------------------------------------------------------------
// order import
// ---------------------------------------------------------------------------------------------

order_import_sink::order_import_sink(const sdk::create_args& args)
    : context_(args.context), client_(args.context, shop_settings::parse(args.connection_config)), cache_(args.context) {
    json::object config = json::parse(args.config.empty() ? std::string_view("{}") : args.config).as_object();
    custom_lines_ = text_of(config, "unknown_sku").value_or("reject") == "custom_line";
    if (auto b = text_of(config, "inventory_behaviour")) inventory_behaviour_ = *b;
    send_receipt_ = bool_of(config, "send_receipt");
    keep_number_ = bool_of(config, "keep_number");
}

std::string order_import_sink::import_tag(std::string_view idempotency_key) {
    return "ferry-import-" + sha256_hex(idempotency_key).substr(0, 20);
}

void order_import_sink::lookup(const sdk::delivery& d, sdk::call& out) {
    static const std::string query = R"(query ImportedOrder($query: String!) { orders(first: 1, query: $query) { nodes { id name tags } } })";
    std::string tag = import_tag(d.idempotency_key);
    json::object data = client_.run("orders by import tag", query, json::object{{"query", "tag:" + search_quote(tag)}}, 3);
    const json::value* nodes = path(data, {"orders", "nodes"});
    if (!nodes || !nodes->is_array()) return;
    for (const auto& n : nodes->get_array()) {
        const json::value* tags = path(n, {"tags"});
        if (!tags || !tags->is_array()) continue;
        for (const auto& t : tags->get_array()) {
            if (t.is_string() && t.get_string() == tag) {
                out.set_target_id(path_text(n, {"id"}));
                return;
            }
        }
    }
}

namespace {

json::value mailing_address(const json::value* a) {
    if (!a || !a->is_object()) return nullptr;
    const json::object& o = a->get_object();
    json::object out;
    auto copy = [&](const char* from, const char* to) {
        if (auto v = text_of(o, from); v && !v->empty()) out[to] = *v;
    };
    copy("first_name", "firstName");
    copy("last_name", "lastName");
    copy("company", "company");
    copy("address1", "address1");
    copy("address2", "address2");
    copy("city", "city");
    copy("province_code", "provinceCode");
    copy("zip", "zip");
    copy("country_code", "countryCode");
    copy("phone", "phone");
    return out;
}

json::object money_bag(const std::string& amount, const std::string& currency) {
    return json::object{{"shopMoney", json::object{{"amount", amount}, {"currencyCode", currency}}}};
}

}  // namespace

void order_import_sink::write(const sdk::delivery& d, sdk::call& out) {
    json::object p = parse_object(d.rec.payload, "order record");
    std::string number = text_or_empty(p, "number");
    const std::string label = "order " + (number.empty() ? std::string(d.rec.key) : number);
    std::string currency = text_or_empty(p, "currency");
    if (currency.size() != 3) throw sdk::reject_error(label + ": currency is missing or not an ISO 4217 code");
    const json::array* lines = array_at(p, "lines");
    if (!lines || lines->empty()) throw sdk::reject_error(label + " has no lines");

    std::vector<std::string> skus;
    for (const auto& l : *lines) {
        if (l.is_object()) {
            if (auto s = text_of(l.get_object(), "sku"); s && !s->empty()) skus.push_back(*s);
        }
    }
    auto variants = resolve_skus(client_, cache_, skus);

    json::array line_items;
    for (const auto& v : *lines) {
        if (!v.is_object()) continue;
        const json::object& l = v.get_object();
        std::string sku = text_or_empty(l, "sku");
        auto qty = int_of(l, "quantity");
        if (!qty || *qty <= 0) throw sdk::reject_error(label + ": line " + sku + " has no positive quantity");
        std::string price = text_of(l, "unit_price").value_or("");
        if (!is_decimal(price)) throw sdk::reject_error(label + ": line " + sku + ": unit_price is not a decimal string");
        json::object item{{"quantity", *qty}, {"priceSet", money_bag(price, currency)}};
        auto found = sku.empty() ? variants.end() : variants.find(sku);
        if (found != variants.end()) {
            item["variantId"] = found->second.variant_id;
        } else {
            if (!custom_lines_) throw sdk::reject_error(label + ": unknown SKU " + sku + " in Shopify");
            std::string title = text_or_empty(l, "title");
            item["title"] = title.empty() ? (sku.empty() ? "Item" : sku) : title;
            if (!sku.empty()) item["sku"] = sku;
        }
        if (auto t = text_of(l, "variant_title"); t && !t->empty() && found == variants.end()) item["variantTitle"] = *t;
        item["requiresShipping"] = bool_of(l, "requires_shipping", true);
        item["taxable"] = bool_of(l, "taxable", true);
        line_items.push_back(std::move(item));
    }

    std::string tag = import_tag(d.idempotency_key);
    json::array tags{json::value(tag)};
    if (const json::array* t = array_at(p, "tags")) {
        for (const auto& x : *t) if (x.is_string()) tags.push_back(x);
    }
    json::object order{{"currency", currency}, {"lineItems", std::move(line_items)}, {"tags", std::move(tags)}};
    if (auto e = text_of(p, "email"); e && !e->empty()) order["email"] = *e;
    if (auto ph = text_of(p, "phone"); ph && !ph->empty()) order["phone"] = *ph;
    if (auto n = text_of(p, "note"); n && !n->empty()) order["note"] = *n;
    if (auto c = text_of(p, "created_at"); c && parse_time(*c)) order["processedAt"] = *c;
    if (auto id = text_of(p, "id"); id && !id->empty()) order["sourceIdentifier"] = *id;
    if (keep_number_ && !number.empty()) order["name"] = number;
    if (auto a = mailing_address(p.if_contains("shipping_address")); a.is_object()) order["shippingAddress"] = a;
    if (auto a = mailing_address(p.if_contains("billing_address")); a.is_object()) order["billingAddress"] = a;
    if (const json::object* c = object_at(p, "customer")) {
        json::object upsert;
        if (auto e = text_of(*c, "email"); e && !e->empty()) upsert["email"] = *e;
        if (auto f = text_of(*c, "first_name"); f && !f->empty()) upsert["firstName"] = *f;
        if (auto l = text_of(*c, "last_name"); l && !l->empty()) upsert["lastName"] = *l;
        if (auto ph = text_of(*c, "phone"); ph && !ph->empty()) upsert["phone"] = *ph;
        if (!upsert.empty()) order["customer"] = json::object{{"toUpsert", std::move(upsert)}};
    }
    if (const json::array* ships = array_at(p, "shipping_lines")) {
        json::array out_lines;
        for (const auto& s : *ships) {
            if (!s.is_object()) continue;
            std::string price = text_of(s.get_object(), "price").value_or("0.00");
            json::object sl{{"title", text_of(s.get_object(), "title").value_or("Shipping")}, {"priceSet", money_bag(price, currency)}};
            if (auto code = text_of(s.get_object(), "code"); code && !code->empty()) sl["code"] = *code;
            out_lines.push_back(std::move(sl));
        }
        if (!out_lines.empty()) order["shippingLines"] = std::move(out_lines);
    }
    if (const json::array* taxes = array_at(p, "tax_lines")) {
        json::array out_taxes;
        for (const auto& t : *taxes) {
            if (!t.is_object()) continue;
            const json::object& tx = t.get_object();
            std::string rate = tx.contains("rate") && tx.at("rate").is_number() ? json::serialize(tx.at("rate")) : text_or_empty(tx, "rate");
            if (rate.empty()) continue;
            out_taxes.push_back(json::object{{"title", text_of(tx, "title").value_or("Tax")}, {"rate", rate},
                                             {"priceSet", money_bag(text_of(tx, "amount").value_or("0.00"), currency)}});
        }
        if (!out_taxes.empty()) order["taxLines"] = std::move(out_taxes);
    }
    if (p.contains("taxes_included")) order["taxesIncluded"] = bool_of(p, "taxes_included");
    std::string financial = text_or_empty(p, "financial_status");
    if (financial == "paid" || financial == "partially_paid") {
        std::string gateway = "manual";
        if (const json::array* g = array_at(p, "payment_gateways"); g && !g->empty() && g->front().is_string()) gateway = std::string(g->front().get_string());
        order["transactions"] = json::array{json::object{{"kind", "SALE"}, {"status", "SUCCESS"}, {"gateway", gateway},
                                                         {"amountSet", money_bag(text_of(p, "total").value_or("0.00"), currency)}}};
    } else if (!financial.empty()) {
        std::string upper = financial;
        for (auto& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
        order["financialStatus"] = upper;
    }
    if (const json::array* codes = array_at(p, "discount_codes"); codes && !codes->empty() && codes->front().is_object()) {
        // orderCreate takes one discount code.
        const json::object& dc = codes->front().get_object();
        std::string code = text_or_empty(dc, "code"), type = text_or_empty(dc, "type"), amount = text_or_empty(dc, "amount");
        if (type == "shipping") order["discountCode"] = json::object{{"freeShippingDiscountCode", json::object{{"code", code}}}};
        else if (!amount.empty()) order["discountCode"] = json::object{{"itemFixedDiscountCode", json::object{{"code", code}, {"amountSet", money_bag(amount, currency)}}}};
    }
    json::object options{{"inventoryBehaviour", inventory_behaviour_}, {"sendReceipt", send_receipt_}};
    static const std::string mutation = R"(mutation ImportOrder($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) { order { id name } userErrors { field message code } }
})";
    json::object result = client_.run("orderCreate", mutation, json::object{{"order", std::move(order)}, {"options", std::move(options)}}, 12);
    const json::value* payload = path(result, {"orderCreate"});
    const json::value* errors = payload ? path(*payload, {"userErrors"}) : nullptr;
    if (has_user_errors(errors)) throw sdk::reject_error(label + ": Shopify refused orderCreate: " + user_errors_text(errors));
    std::string id = payload ? path_text(*payload, {"order", "id"}) : "";
    if (id.empty()) throw sdk::retry_error(label + ": orderCreate returned no order");
    cache_.put_order_name(id, payload ? path_text(*payload, {"order", "name"}) : "");
    out.set_target_id(id);
}

}  // namespace ferry::shopify
