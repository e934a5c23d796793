#include "sources.hpp"

#include "canonical.hpp"

#include <algorithm>

namespace ferry::shopify {

namespace {

json::object parse_config(std::string_view text) {
    json::value v = json::parse(text.empty() ? std::string_view("{}") : text);
    return v.is_object() ? v.as_object() : json::object();
}

}  // namespace

source_base::source_base(const sdk::create_args& args, std::string stream)
    : context_(args.context),
      client_(args.context, shop_settings::parse(args.connection_config)),
      cache_(args.context),
      stream_(std::move(stream)) {
    json::object config = parse_config(args.config);
    if (auto p = int_of(config, "page_size")) page_size_ = int(*p);
    if (auto m = int_of(config, "max_pages")) max_pages_ = int(*m);
    if (auto s = text_of(config, "since")) {
        if (!parse_time(*s)) throw sdk::config_error("since is not an RFC 3339 time", "/since");
        since_ = *s;
    }
}

int64_t source_base::version_of(const json::object& o, std::initializer_list<std::string_view> fields) const {
    for (std::string_view f : fields) {
        if (auto t = text_of(o, f)) {
            if (auto ms = parse_time(*t)) return *ms;
        }
    }
    return context_.now_unix_ms();
}

void source_base::emit(sdk::call& out, const std::string& stream, const mapped& m, const json::object& meta,
                       const std::string& event_id) {
    std::string payload = json::serialize(m.payload);
    std::string meta_text = json::serialize(meta);
    sdk::record r;
    r.stream = stream;
    r.key = m.key;
    r.version = m.version;
    r.payload = payload;
    r.meta = meta_text;
    r.event_id = event_id;
    out.emit(r);
}

void source_base::take_webhook(const sdk::webhook_request& request, sdk::call& out,
                               const std::vector<std::string>& topics, const webhook_mapper& map) {
    const shop_settings& s = client_.settings();
    if (s.webhook_secret.empty()) {
        throw sdk::unauthorized_error("webhook refused: the connection has no webhook_secret to verify X-Shopify-Hmac-Sha256");
    }
    auto hmac = request.header("X-Shopify-Hmac-Sha256");
    if (!hmac) throw sdk::unauthorized_error("webhook refused: no X-Shopify-Hmac-Sha256 header");
    if (!webhook_signature_valid(s.webhook_secret, request.body(), *hmac)) {
        context_.counter_add("webhook_signature_mismatch");
        throw sdk::unauthorized_error("webhook refused: X-Shopify-Hmac-Sha256 does not match the body");
    }
    std::string topic = lower(request.header("X-Shopify-Topic").value_or(""));
    if (std::find(topics.begin(), topics.end(), topic) == topics.end()) return;  // another source's topic

    json::error_code ec;
    json::value body = json::parse(request.body(), ec);
    if (ec || !body.is_object()) throw sdk::reject_error("the " + topic + " webhook body is not a JSON object");

    auto header = [&](std::string_view name) { return std::string(request.header(name).value_or("")); };
    std::string event = header("X-Shopify-Event-Id");
    if (event.empty()) event = header("X-Shopify-Webhook-Id");
    json::object meta{{"model", 1},
                      {"source", "webhook"},
                      {"topic", topic},
                      {"shop_domain", header("X-Shopify-Shop-Domain")},
                      {"api_version", header("X-Shopify-API-Version")},
                      {"webhook_id", header("X-Shopify-Webhook-Id")},
                      {"event_id", event},
                      {"triggered_at", header("X-Shopify-Triggered-At")},
                      {"received_ms", context_.now_unix_ms()}};
    std::vector<mapped> records = map(topic, body.get_object());
    for (const auto& m : records) {
        if (m.key == "shopify:") throw sdk::reject_error("the " + topic + " webhook carries a resource without an id");
    }
    for (const auto& m : records) {
        // Dedupe per subscription (topic) and event: one merchant action fires several topics
        // with one event id, and each must still reach its pipeline.
        std::string event_id;
        if (!event.empty()) event_id = topic + ":" + event + (records.size() > 1 ? ":" + m.key : "");
        emit(out, stream_, m, meta, event_id);
    }
    context_.counter_add("webhook_records", double(records.size()));
}

void source_base::sweep(std::string_view cursor, sdk::call& out, const sweep_spec& spec, const node_mapper& map) {
    // Cursor: {"since": RFC 3339 lower bound of updated_at, "after": page cursor or null,
    //          "high": the newest updated_at seen in the sweep under way}.
    json::object state;
    if (!cursor.empty()) {
        json::error_code ec;
        json::value v = json::parse(cursor, ec);
        if (!ec && v.is_object()) state = v.as_object();
    }
    if (!state.contains("since")) {
        state["since"] = since_.empty() ? format_time(context_.now_unix_ms() - 86400000) : since_;
    }
    int first = page_size_;
    std::string query = "query Sweep($first: Int!, $after: String" + std::string(spec.by_updated_at ? ", $query: String" : "") +
                        ") {\n  " + spec.field + "(first: $first, after: $after" +
                        (spec.by_updated_at ? ", sortKey: UPDATED_AT, query: $query" : "") + ") {\n    nodes { " +
                        spec.selection + " }\n    pageInfo { hasNextPage endCursor }\n  }\n}";
    json::object meta{{"model", 1}, {"source", "poll"}, {"topic", "poll"}};
    // The nodes of the last sweep whose updatedAt was its newest time: the >= bound reads them
    // again, and they are dropped unless they changed.
    const int64_t since_ms = parse_time(text_or_empty(state, "since")).value_or(0);
    std::vector<std::string> seen;
    if (const json::array* ids = array_at(state, "seen")) {
        for (const auto& v : *ids) if (v.is_string()) seen.emplace_back(v.get_string());
    }
    if (!state.contains("high_ids") || !state.at("high_ids").is_array()) state["high_ids"] = json::array();
    size_t emitted = 0;
    for (int page = 0; page < max_pages_; ++page) {
        json::object vars{{"first", first}};
        std::string after = text_or_empty(state, "after");
        vars["after"] = after.empty() ? json::value(nullptr) : json::value(after);
        std::string since = text_or_empty(state, "since");
        if (spec.by_updated_at) vars["query"] = "updated_at:>='" + since + "'";
        json::object data = client_.run(spec.field + " sweep", query, vars, 2 + first * spec.node_cost);
        const json::value* conn = data.if_contains(spec.field);
        if (!conn || !conn->is_object()) throw sdk::retry_error("Shopify " + spec.field + " sweep: no " + spec.field + " in the answer");
        int64_t high = parse_time(text_or_empty(state, "high")).value_or(0);
        if (const json::value* nodes = path(*conn, {"nodes"}); nodes && nodes->is_array()) {
            for (const auto& n : nodes->get_array()) {
                if (!n.is_object()) continue;
                json::object node = n.get_object();
                int64_t updated = parse_time(text_or_empty(node, "updatedAt")).value_or(0);
                std::string id = text_or_empty(node, "id");
                if (updated > high) {
                    high = updated;
                    state["high_ids"] = json::array();
                }
                if (updated == high && updated > 0) state["high_ids"].as_array().emplace_back(id);
                // Read again because of the >= bound, unchanged since the last sweep: skip.
                if (updated == since_ms && std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
                for (const auto& m : map(node)) {
                    emit(out, stream_, m, meta);
                    ++emitted;
                }
            }
        }
        if (high > 0) state["high"] = format_time(high);
        const json::value* more = path(*conn, {"pageInfo", "hasNextPage"});
        if (more && more->is_bool() && more->get_bool()) {
            state["after"] = path_text(*conn, {"pageInfo", "endCursor"});
            continue;
        }
        // The sweep is complete: the next one starts at the newest change seen (>=, so changes in
        // that same second are read again and dropped by the host as already delivered).
        if (spec.by_updated_at && state.contains("high")) {
            if (state["high"] != state["since"]) state["seen"] = json::array();
            // Nodes at the new bound: the ones seen at it now, plus those seen at it before.
            json::array ids = state["high_ids"].as_array();
            if (state["high"] == state["since"]) {
                for (const auto& id : seen) ids.emplace_back(id);
            }
            state["since"] = state["high"];
            state["seen"] = std::move(ids);
        }
        state.erase("after");
        state.erase("high");
        state.erase("high_ids");
        break;
    }
    context_.counter_add("poll_records", double(emitted));
    out.set_cursor(json::serialize(state));
}

// ---------------------------------------------------------------------------------------------

void order_source::webhook(const sdk::webhook_request& request, sdk::call& out) {
    take_webhook(request, out, {"orders/create", "orders/updated", "orders/cancelled"},
                 [&](const std::string&, const json::object& body) {
                     json::object payload = order_from_rest(body);
                     std::string id = text_or_empty(payload, "id");
                     cache_.put_order_name(id, text_or_empty(payload, "number"));
                     return std::vector<mapped>{{"shopify:" + id, order_version(payload, version_of(body, {"updated_at", "created_at"})), payload}};
                 });
}

// Shopify's updated_at has whole seconds: an order created and cancelled within one second would
// get one version for both, and the cancellation would be skipped as not newer. A cancellation
// is the last word on an order, so it sorts after anything else of its second.
int64_t order_source::order_version(const json::object& order, int64_t updated_ms) {
    return text_or_empty(order, "status") == "cancelled" ? updated_ms + 999 : updated_ms;
}

void order_source::complete_lines(json::object& order) {
    json::value* lines = order.if_contains("lineItems");
    if (!lines || !lines->is_object()) return;
    static const std::string query = std::string("query OrderLines($id: ID!, $after: String) {\n  order(id: $id) { lineItems(first: 100, after: $after) { ") +
                                     order_lines_selection + " } }\n}";
    while (true) {
        const json::value* more = path(*lines, {"pageInfo", "hasNextPage"});
        if (!more || !more->is_bool() || !more->get_bool()) return;
        json::object data = client_.run("order lines", query,
                                        json::object{{"id", text_or_empty(order, "id")},
                                                     {"after", path_text(*lines, {"pageInfo", "endCursor"})}},
                                        402);
        const json::value* page = path(data, {"order", "lineItems"});
        if (!page || !page->is_object()) return;
        json::array& nodes = lines->as_object()["nodes"].as_array();
        if (const json::value* n = path(*page, {"nodes"}); n && n->is_array()) {
            for (const auto& node : n->get_array()) nodes.push_back(node);
        }
        lines->as_object()["pageInfo"] = page->get_object().contains("pageInfo") ? page->get_object().at("pageInfo") : json::value(nullptr);
    }
}

void order_source::poll(std::string_view cursor, sdk::call& out) {
    if (page_size_ == 0) page_size_ = 3;
    sweep(cursor, out, {"orders", order_selection, true, 264}, [&](json::object& node) {
        complete_lines(node);
        json::object payload = order_from_graphql(node);
        std::string id = text_or_empty(payload, "id");
        cache_.put_order_name(id, text_or_empty(payload, "number"));
        return std::vector<mapped>{{"shopify:" + id, order_version(payload, version_of(node, {"updatedAt", "createdAt"})), payload}};
    });
}

void customer_source::webhook(const sdk::webhook_request& request, sdk::call& out) {
    take_webhook(request, out, {"customers/create", "customers/update"}, [&](const std::string&, const json::object& body) {
        json::object payload = customer_from_rest(body);
        return std::vector<mapped>{{"shopify:" + text_or_empty(payload, "id"), version_of(body, {"updated_at", "created_at"}), payload}};
    });
}

void customer_source::poll(std::string_view cursor, sdk::call& out) {
    if (page_size_ == 0) page_size_ = 50;
    sweep(cursor, out, {"customers", customer_selection, true, 14}, [&](json::object& node) {
        json::object payload = customer_from_graphql(node);
        return std::vector<mapped>{{"shopify:" + text_or_empty(payload, "id"), version_of(node, {"updatedAt", "createdAt"}), payload}};
    });
}

void product_source::webhook(const sdk::webhook_request& request, sdk::call& out) {
    take_webhook(request, out, {"products/create", "products/update"}, [&](const std::string&, const json::object& body) {
        json::object payload = product_from_rest(body);
        return std::vector<mapped>{{"shopify:" + text_or_empty(payload, "id"), version_of(body, {"updated_at", "created_at"}), payload}};
    });
}

void product_source::poll(std::string_view cursor, sdk::call& out) {
    if (page_size_ == 0) page_size_ = 4;
    sweep(cursor, out, {"products", product_selection, true, 204}, [&](json::object& node) {
        json::object payload = product_from_graphql(node);
        return std::vector<mapped>{{"shopify:" + text_or_empty(payload, "id"), version_of(node, {"updatedAt", "createdAt"}), payload}};
    });
}

namespace {

// The order's name for payloads that carry only its numeric id: from the cache, else one lookup.
std::string order_name_for(graphql_client& client, const shop_cache& cache, const std::string& order_id) {
    if (order_id.empty()) return "";
    if (auto n = cache.order_name(order_id)) return *n;
    if (auto found = find_order(client, cache, order_id, "")) return found->name;
    return "";
}

const std::string orders_with(const char* field, const char* selection) {
    return std::string("id name email currencyCode updatedAt ") + field + " { " + selection + " }";
}

}  // namespace

void fulfillment_source::webhook(const sdk::webhook_request& request, sdk::call& out) {
    take_webhook(request, out, {"fulfillments/create", "fulfillments/update"}, [&](const std::string&, const json::object& body) {
        std::string order_id = body.contains("order_id") ? make_gid("Order", text_or_empty(body, "order_id")) : "";
        json::object payload = fulfillment_from_rest(body, order_name_for(client_, cache_, order_id));
        return std::vector<mapped>{{"shopify:" + text_or_empty(payload, "id"), version_of(body, {"updated_at", "created_at"}), payload}};
    });
}

void fulfillment_source::poll(std::string_view cursor, sdk::call& out) {
    if (page_size_ == 0) page_size_ = 5;
    sweep(cursor, out, {"orders", orders_with("fulfillments(first: 10)", fulfillment_selection), true, 180}, [&](json::object& order) {
        std::vector<mapped> records;
        if (const json::value* list = order.if_contains("fulfillments"); list && list->is_array()) {
            for (const auto& f : list->get_array()) {
                if (!f.is_object()) continue;
                json::object payload = fulfillment_from_graphql(f.get_object(), order);
                records.push_back({"shopify:" + text_or_empty(payload, "id"), version_of(f.get_object(), {"updatedAt", "createdAt"}), payload});
            }
        }
        return records;
    });
}

void refund_source::webhook(const sdk::webhook_request& request, sdk::call& out) {
    take_webhook(request, out, {"refunds/create"}, [&](const std::string&, const json::object& body) {
        std::string order_id = body.contains("order_id") ? make_gid("Order", text_or_empty(body, "order_id")) : "";
        json::object payload = refund_from_rest(body, order_name_for(client_, cache_, order_id), "");
        return std::vector<mapped>{{"shopify:" + text_or_empty(payload, "id"), version_of(body, {"processed_at", "created_at"}), payload}};
    });
}

void refund_source::poll(std::string_view cursor, sdk::call& out) {
    if (page_size_ == 0) page_size_ = 3;
    sweep(cursor, out, {"orders", orders_with("refunds(first: 10)", refund_selection), true, 110}, [&](json::object& order) {
        std::vector<mapped> records;
        if (const json::value* list = order.if_contains("refunds"); list && list->is_array()) {
            for (const auto& r : list->get_array()) {
                if (!r.is_object()) continue;
                json::object payload = refund_from_graphql(r.get_object(), order);
                records.push_back({"shopify:" + text_or_empty(payload, "id"), version_of(r.get_object(), {"updatedAt", "createdAt"}), payload});
            }
        }
        return records;
    });
}

std::vector<source_base::mapped> payment_source::from_order_graphql(const json::object& order) {
    std::vector<mapped> records;
    if (const json::value* list = order.if_contains("transactions"); list && list->is_array()) {
        for (const auto& t : list->get_array()) {
            if (!t.is_object()) continue;
            const json::object& tx = t.get_object();
            if (!is_payment(text_or_empty(tx, "kind"), text_or_empty(tx, "status"))) continue;
            json::object payload = payment_from_graphql(tx, order);
            records.push_back({"shopify:" + text_or_empty(payload, "id"), version_of(tx, {"processedAt", "createdAt"}), payload});
        }
    }
    return records;
}

void payment_source::webhook(const sdk::webhook_request& request, sdk::call& out) {
    take_webhook(request, out, {"orders/paid", "order_transactions/create"}, [&](const std::string& topic, const json::object& body) {
        std::vector<mapped> records;
        if (topic == "order_transactions/create") {
            if (!is_payment(text_or_empty(body, "kind"), text_or_empty(body, "status"))) return records;
            std::string order_id = body.contains("order_id") ? make_gid("Order", text_or_empty(body, "order_id")) : "";
            json::object payload = payment_from_rest(body, order_id, order_name_for(client_, cache_, order_id), "");
            records.push_back({"shopify:" + text_or_empty(payload, "id"), version_of(body, {"processed_at", "created_at"}), payload});
            return records;
        }
        // orders/paid carries the order; its transactions (gateway, reference) are read from the
        // Admin API unless the payload includes them.
        std::string order_id = gid_of(body, "Order");
        std::string order_name = text_or_empty(body, "name");
        cache_.put_order_name(order_id, order_name);
        if (const json::array* txs = array_at(body, "transactions")) {
            for (const auto& t : *txs) {
                if (!t.is_object() || !is_payment(text_or_empty(t.get_object(), "kind"), text_or_empty(t.get_object(), "status"))) continue;
                json::object payload = payment_from_rest(t.get_object(), order_id, order_name, text_or_empty(body, "email"));
                records.push_back({"shopify:" + text_or_empty(payload, "id"), version_of(t.get_object(), {"processed_at", "created_at"}), payload});
            }
            return records;
        }
        static const std::string query = std::string("query OrderTransactions($id: ID!) {\n  order(id: $id) { id name email currencyCode transactions(first: 20) { ") +
                                         transaction_selection + " } }\n}";
        json::object data = client_.run("order transactions", query, json::object{{"id", order_id}}, 62);
        const json::value* order = path(data, {"order"});
        if (!order || !order->is_object()) throw sdk::retry_error("Shopify order " + order_name + " (" + order_id + ") is not readable yet");
        return from_order_graphql(order->get_object());
    });
}

void payment_source::poll(std::string_view cursor, sdk::call& out) {
    if (page_size_ == 0) page_size_ = 10;
    sweep(cursor, out, {"orders", orders_with("transactions(first: 20)", transaction_selection), true, 62},
          [&](json::object& order) { return from_order_graphql(order); });
}

void inventory_level_source::webhook(const sdk::webhook_request& request, sdk::call& out) {
    take_webhook(request, out, {"inventory_levels/update"}, [&](const std::string&, const json::object& body) {
        std::string item = make_gid("InventoryItem", text_or_empty(body, "inventory_item_id"));
        std::string location = make_gid("Location", text_or_empty(body, "location_id"));
        std::optional<std::string> sku = cache_.item_sku(item);
        std::optional<std::string> location_name = cache_.location_name(location);
        if (!sku || !location_name) {
            static const std::string query = R"(query LevelNames($item: ID!, $location: ID!) {
  inventoryItem(id: $item) { id sku }
  location(id: $location) { id name }
})";
            json::object data = client_.run("inventory level names", query, json::object{{"item", item}, {"location", location}}, 2);
            if (!sku) sku = path_text(data, {"inventoryItem", "sku"});
            if (!location_name) {
                location_name = path_text(data, {"location", "name"});
                if (!location_name->empty()) cache_.put_location(*location_name, location);
            }
        }
        json::value available = body.contains("available") ? body.at("available") : json::value(nullptr);
        if (available.is_int64() && !sku->empty()) cache_.put_quantity(item, location, "available", available.get_int64());
        json::object payload{{"sku", *sku},
                             {"location", *location_name},
                             {"available", available},
                             {"updated_at", text_or_null(body, "updated_at")},
                             {"ext", json::object{{"shopify", json::object{{"inventory_level_id", text_or_empty(body, "admin_graphql_api_id")},
                                                                           {"inventory_item_id", item},
                                                                           {"location_id", location}}}}}};
        std::string key = text_or_empty(body, "admin_graphql_api_id");
        if (key.empty()) key = "gid://shopify/InventoryLevel/" + text_or_empty(body, "location_id") + "?inventory_item_id=" + text_or_empty(body, "inventory_item_id");
        return std::vector<mapped>{{"shopify:" + key, version_of(body, {"updated_at"}), payload}};
    });
}

void inventory_level_source::poll(std::string_view cursor, sdk::call& out) {
    if (page_size_ == 0) page_size_ = 20;
    sweep(cursor, out, {"inventoryItems", inventory_item_selection, false, 45}, [&](json::object& item) {
        std::vector<mapped> records;
        std::string item_id = text_or_empty(item, "id"), sku = text_or_empty(item, "sku");
        for (auto& level : inventory_levels_from_graphql(item)) {
            std::string level_id = path_text(level, {"ext", "shopify", "inventory_level_id"});
            std::string location_id = path_text(level, {"ext", "shopify", "location_id"});
            if (!location_id.empty()) cache_.put_location(text_or_empty(level, "location"), location_id);
            if (auto a = int_of(level, "available"); a && !sku.empty()) cache_.put_quantity(item_id, location_id, "available", *a);
            records.push_back({"shopify:" + level_id, version_of(level, {"updated_at"}), level});
        }
        return records;
    });
}

}  // namespace ferry::shopify
