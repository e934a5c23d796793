#include "shop.hpp"

#include <algorithm>
#include <cmath>
#include <regex>

namespace ferry::shopify {

shop_settings shop_settings::parse(std::string_view connection_config) {
    json::object c = json::parse(connection_config).as_object();
    shop_settings s;
    std::string shop = text_or_empty(c, "shop");
    while (!shop.empty() && shop.back() == '/') shop.pop_back();
    if (shop.rfind("http://", 0) == 0 || shop.rfind("https://", 0) == 0) {
        s.base_url = shop;
    } else if (std::regex_match(shop, std::regex(R"(^[a-zA-Z0-9][a-zA-Z0-9-]*$)"))) {
        s.base_url = "https://" + shop + ".myshopify.com";
    } else if (std::regex_match(shop, std::regex(R"(^[a-zA-Z0-9][a-zA-Z0-9-_]*\.myshopify\.com$)"))) {
        s.base_url = "https://" + shop;
    } else {
        throw sdk::config_error("shop must be the myshopify subdomain (\"acme\"), \"acme.myshopify.com\" or a base URL",
                                "/shop");
    }
    s.shop_label = shop;
    s.api_version = text_of(c, "api_version").value_or("2025-10");
    s.access_token = text_or_empty(c, "access_token");
    s.webhook_secret = text_or_empty(c, "webhook_secret");
    std::string plan = text_of(c, "plan").value_or("standard");
    // Restore rates per plan from shopify.dev's rate-limit table.
    if (plan == "advanced") s.restore_rate = 200;
    else if (plan == "plus") s.restore_rate = 1000;
    else if (plan == "enterprise") s.restore_rate = 2000;
    if (auto t = int_of(c, "timeout_ms")) s.timeout_ms = static_cast<uint32_t>(*t);
    return s;
}

bool shop_settings::version_at_least(std::string_view version) const {
    if (api_version == "unstable") return true;
    return api_version >= version;  // YYYY-MM compares as text
}

graphql_client::graphql_client(sdk::context context, shop_settings settings)
    : context_(context), settings_(std::move(settings)) {}

std::optional<throttle_status> graphql_client::last_throttle() const {
    std::lock_guard lock(mutex_);
    return throttle_;
}

double graphql_client::cost_for(const std::string& label, double estimate) const {
    std::lock_guard lock(mutex_);
    auto it = requested_cost_.find(label);
    return it == requested_cost_.end() ? estimate : it->second;
}

void graphql_client::learn(const std::string& label, const json::object& extensions) {
    const json::value* cost = extensions.if_contains("cost");
    if (!cost || !cost->is_object()) return;
    const json::object& c = cost->get_object();
    auto number = [](const json::value* v) -> std::optional<double> {
        if (!v || !v->is_number()) return std::nullopt;
        return v->to_number<double>();
    };
    std::lock_guard lock(mutex_);
    if (auto requested = number(c.if_contains("requestedQueryCost"))) requested_cost_[label] = *requested;
    if (const json::value* ts = c.if_contains("throttleStatus"); ts && ts->is_object()) {
        auto available = number(ts->get_object().if_contains("currentlyAvailable"));
        auto capacity = number(ts->get_object().if_contains("maximumAvailable"));
        auto restore = number(ts->get_object().if_contains("restoreRate"));
        if (available && capacity && restore) {
            throttle_ = throttle_status{*available, *capacity, *restore};
            context_.rate_report(*available, *capacity, *restore);
        }
    }
}

namespace {

std::string first_error_messages(const json::array& errors) {
    std::string out;
    for (const auto& e : errors) {
        if (!out.empty()) out += "; ";
        out += path_text(e, {"message"});
        if (out.size() > 400) break;
    }
    return out;
}

uint64_t retry_after_ms(const sdk::http_response& response, uint64_t fallback) {
    auto header = response.header("Retry-After");
    if (!header) return fallback;
    try {
        double seconds = std::stod(std::string(*header));  // Shopify sends "2.0"
        if (seconds >= 0) return static_cast<uint64_t>(std::ceil(seconds * 1000));
    } catch (...) {
    }
    return fallback;
}

}  // namespace

json::object graphql_client::run(const std::string& label, const std::string& query, json::object variables,
                                 double estimate) {
    sdk::http_request request;
    request.method = "POST";
    request.url = settings_.graphql_url();
    request.headers = {{"X-Shopify-Access-Token", settings_.access_token},
                       {"Content-Type", "application/json"},
                       {"Accept", "application/json"}};
    json::object body{{"query", query}};
    if (!variables.empty()) body["variables"] = std::move(variables);
    request.body = json::serialize(body);
    request.timeout_ms = settings_.timeout_ms;
    double cost = cost_for(label, estimate);
    // A query above 1,000 points is refused by Shopify before it runs; never send one.
    if (cost > 1000) throw sdk::reject_error("Shopify " + label + ": requested cost " + std::to_string(int(cost)) + " exceeds the 1000-point limit");
    request.cost = cost;

    sdk::http_response response = context_.http(request);  // transport failure: retry_error or fatal_error
    const std::string what = "Shopify " + label + " on " + settings_.shop_label;
    if (response.status == 401 || response.status == 403) {
        throw sdk::fatal_error(what + ": HTTP " + std::to_string(response.status) +
                               (response.status == 401 ? " (the access token is missing, wrong or expired; check access_token)"
                                                       : " (the app lacks the access scope this needs)"));
    }
    if (response.status == 404) {
        throw sdk::fatal_error(what + ": HTTP 404 (no such shop or API version " + settings_.api_version + ")");
    }
    if (response.status == 402) throw sdk::fatal_error(what + ": HTTP 402 (the shop is frozen: unpaid)");
    if (response.status == 429) {
        throw sdk::throttled_error(what + ": HTTP 429 (rate limited)",
                                   retry_after_ms(response, static_cast<uint64_t>(std::ceil(1000.0 * cost / settings_.restore_rate)) + 1));
    }
    if (response.status == 423 || response.status >= 500) {
        throw sdk::retry_error(what + ": HTTP " + std::to_string(response.status), retry_after_ms(response, 0));
    }
    json::error_code ec;
    json::value parsed = json::parse(response.body, ec);
    if (ec || !parsed.is_object()) {
        if (response.status >= 400) throw sdk::reject_error(what + ": HTTP " + std::to_string(response.status));
        throw sdk::retry_error(what + ": the answer is not JSON (HTTP " + std::to_string(response.status) + ")");
    }
    json::object& root = parsed.as_object();
    if (const json::object* ext = object_at(root, "extensions")) learn(label, *ext);

    if (const json::array* errors = array_at(root, "errors"); errors && !errors->empty()) {
        for (const auto& e : *errors) {
            std::string code = path_text(e, {"extensions", "code"});
            if (code == "THROTTLED") {
                // Wait until the bucket holds the requested cost again.
                double requested = cost, available = 0, restore = settings_.restore_rate;
                if (const json::value* c = path(parsed, {"extensions", "cost"})) {
                    if (auto* r = path(*c, {"requestedQueryCost"}); r && r->is_number()) requested = r->to_number<double>();
                    if (auto* a = path(*c, {"throttleStatus", "currentlyAvailable"}); a && a->is_number()) available = a->to_number<double>();
                    if (auto* r = path(*c, {"throttleStatus", "restoreRate"}); r && r->is_number() && r->to_number<double>() > 0) restore = r->to_number<double>();
                }
                double deficit = std::max(0.0, requested - available);
                uint64_t wait = static_cast<uint64_t>(std::ceil(deficit / restore * 1000.0));
                context_.counter_add("throttled");
                throw sdk::throttled_error(what + ": THROTTLED (requested cost " + std::to_string(int(requested)) +
                                               ", " + std::to_string(int(available)) + " available)",
                                           std::max<uint64_t>(wait, 1));
            }
            if (code == "ACCESS_DENIED") throw sdk::fatal_error(what + ": access denied: " + first_error_messages(*errors));
            if (code == "INTERNAL_SERVER_ERROR") throw sdk::retry_error(what + ": Shopify internal error");
        }
        throw sdk::reject_error(what + ": " + first_error_messages(*errors));
    }
    if (response.status >= 400) throw sdk::reject_error(what + ": HTTP " + std::to_string(response.status));
    const json::value* data = root.if_contains("data");
    if (!data || !data->is_object()) throw sdk::retry_error(what + ": the answer has no data");
    return data->get_object();
}

std::string describe_user_error(const json::value& user_error) {
    std::string field;
    if (const json::value* f = path(user_error, {"field"}); f && f->is_array()) {
        for (const auto& part : f->get_array()) {
            if (!field.empty()) field += ".";
            field += part.is_string() ? std::string(part.get_string()) : json::serialize(part);
        }
    }
    std::string message = path_text(user_error, {"message"});
    std::string code = path_text(user_error, {"code"});
    std::string out = field.empty() ? message : field + ": " + message;
    if (!code.empty()) out += " (" + code + ")";
    return out;
}

// ---------------------------------------------------------------------------------------------

std::optional<shop_cache::sku_entry> shop_cache::sku(const std::string& sku) const {
    auto v = get("sku:" + sku);
    if (!v) return std::nullopt;
    size_t bar = v->find('|');
    if (bar == std::string::npos) return std::nullopt;
    return sku_entry{v->substr(0, bar), v->substr(bar + 1)};
}

void shop_cache::put_sku(const std::string& sku, const sku_entry& e) const {
    put("sku:" + sku, e.variant_id + "|" + e.inventory_item_id);
    put("item-sku:" + e.inventory_item_id, sku);
}

std::optional<std::string> shop_cache::location(const std::string& name) const { return get("location:" + name); }

void shop_cache::put_location(const std::string& name, const std::string& id) const {
    put("location:" + name, id);
    put("location-name:" + id, name);
}

std::optional<std::string> shop_cache::location_name(const std::string& id) const { return get("location-name:" + id); }
std::optional<std::string> shop_cache::item_sku(const std::string& item) const { return get("item-sku:" + item); }
std::optional<std::string> shop_cache::order_name(const std::string& id) const { return get("order-name:" + id); }
void shop_cache::put_order_name(const std::string& id, const std::string& name) const {
    if (id.empty() || name.empty()) return;
    put("order-name:" + id, name);
    put("order-id:" + name, id);
}
std::optional<std::string> shop_cache::order_id(const std::string& name) const { return get("order-id:" + name); }

std::optional<int64_t> shop_cache::quantity(const std::string& item, const std::string& location, const std::string& name) const {
    auto v = get("qty:" + name + ":" + item + "@" + location);
    if (!v) return std::nullopt;
    try {
        return std::stoll(*v);
    } catch (...) {
        return std::nullopt;
    }
}

void shop_cache::put_quantity(const std::string& item, const std::string& location, const std::string& name, int64_t q) const {
    put("qty:" + name + ":" + item + "@" + location, std::to_string(q));
}

void shop_cache::forget_quantity(const std::string& item, const std::string& location, const std::string& name) const {
    context_.state_delete("qty:" + name + ":" + item + "@" + location);
}

std::map<std::string, shop_cache::sku_entry> resolve_skus(graphql_client& client, const shop_cache& cache,
                                                          const std::vector<std::string>& skus) {
    std::map<std::string, shop_cache::sku_entry> found;
    std::vector<std::string> missing;
    for (const auto& s : skus) {
        if (found.count(s)) continue;
        if (auto e = cache.sku(s)) found[s] = *e;
        else if (std::find(missing.begin(), missing.end(), s) == missing.end()) missing.push_back(s);
    }
    if (missing.empty()) return found;
    // Many misses (a first sync): read the whole catalogue, 250 variants a page, and cache it.
    // A few misses: ask for each SKU. Either way only exact SKUs count (search matches words).
    auto keep = [&](const json::value& node) {
        std::string sku = path_text(node, {"sku"});
        shop_cache::sku_entry e{path_text(node, {"id"}), path_text(node, {"inventoryItem", "id"})};
        if (sku.empty() || e.inventory_item_id.empty()) return;
        cache.put_sku(sku, e);
        if (std::find(missing.begin(), missing.end(), sku) != missing.end()) found[sku] = e;
    };
    const int64_t now = client.context().now_unix_ms();
    auto last_sweep = client.context().state_get("catalog-swept-at");
    bool swept_recently = last_sweep && now - std::stoll(*last_sweep) < 10 * 60 * 1000;
    if (missing.size() > 20 && !swept_recently) {
        static const std::string sweep = R"(query CatalogSkus($after: String) {
  productVariants(first: 250, after: $after) { nodes { id sku inventoryItem { id } } pageInfo { hasNextPage endCursor } }
})";
        json::object vars{{"after", nullptr}};
        for (;;) {
            json::object data = client.run("productVariants catalogue", sweep, vars, 502);
            const json::value* conn = path(data, {"productVariants"});
            if (!conn) break;
            if (const json::value* nodes = path(*conn, {"nodes"}); nodes && nodes->is_array()) {
                for (const auto& node : nodes->get_array()) keep(node);
            }
            const json::value* more = path(*conn, {"pageInfo", "hasNextPage"});
            if (!more || !more->is_bool() || !more->get_bool()) break;
            vars["after"] = path_text(*conn, {"pageInfo", "endCursor"});
        }
        client.context().state_put("catalog-swept-at", std::to_string(now));
        return found;
    }
    static const std::string query = R"(query VariantBySku($query: String!) {
  productVariants(first: 10, query: $query) { nodes { id sku inventoryItem { id } } }
})";
    for (const auto& sku : missing) {
        json::object data = client.run("productVariants by SKU", query, json::object{{"query", "sku:" + search_quote(sku)}}, 22);
        const json::value* nodes = path(data, {"productVariants", "nodes"});
        if (!nodes || !nodes->is_array()) continue;
        for (const auto& node : nodes->get_array()) keep(node);
    }
    return found;
}

std::optional<std::string> resolve_location(graphql_client& client, const shop_cache& cache, const std::string& name) {
    if (auto id = cache.location(name)) return id;
    static const std::string query = R"(query Locations($after: String) {
  locations(first: 250, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
})";
    std::optional<std::string> result;
    json::object vars;
    for (;;) {
        json::object data = client.run("locations", query, vars, 252);
        const json::value* conn = path(data, {"locations"});
        if (!conn) break;
        if (const json::value* nodes = path(*conn, {"nodes"}); nodes && nodes->is_array()) {
            for (const auto& node : nodes->get_array()) {
                std::string n = path_text(node, {"name"}), id = path_text(node, {"id"});
                if (n.empty() || id.empty()) continue;
                cache.put_location(n, id);
                if (n == name) result = id;
            }
        }
        const json::value* more = path(*conn, {"pageInfo", "hasNextPage"});
        if (!more || !more->is_bool() || !more->get_bool()) break;
        vars["after"] = path_text(*conn, {"pageInfo", "endCursor"});
    }
    return result;
}

std::optional<order_ref> find_order(graphql_client& client, const shop_cache& cache, const std::string& id,
                                    const std::string& name) {
    if (is_gid(id, "Order")) {
        static const std::string query = R"(query OrderById($id: ID!) { order(id: $id) { id name } })";
        json::object data = client.run("order by id", query, json::object{{"id", id}}, 1);
        const json::value* o = path(data, {"order"});
        if (o && o->is_object()) {
            order_ref r{path_text(*o, {"id"}), path_text(*o, {"name"})};
            cache.put_order_name(r.id, r.name);
            return r;
        }
        if (name.empty()) return std::nullopt;
    }
    if (name.empty()) return std::nullopt;
    if (auto cached = cache.order_id(name)) return order_ref{*cached, name};
    static const std::string query = R"(query OrderByName($query: String!) {
  orders(first: 5, query: $query) { nodes { id name } }
})";
    std::string bare = name[0] == '#' ? name.substr(1) : name;
    json::object data = client.run("orders by name", query, json::object{{"query", "name:" + search_quote(name)}}, 7);
    const json::value* nodes = path(data, {"orders", "nodes"});
    if (!nodes || !nodes->is_array()) return std::nullopt;
    for (const auto& node : nodes->get_array()) {
        std::string n = path_text(node, {"name"});
        if (n == name || n == "#" + bare) {
            order_ref r{path_text(node, {"id"}), n};
            cache.put_order_name(r.id, r.name);
            return r;
        }
    }
    return std::nullopt;
}

}  // namespace ferry::shopify
