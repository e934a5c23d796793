#include "shopify/admin_api.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <set>

namespace ferry::sandbox::shopify {

namespace json = boost::json;

namespace {

using sels = std::vector<const graphql::selection*>;
using field_fn = std::function<json::value(const graphql::selection&, const json::object&, const sels&)>;

const std::vector<std::string> known_topics{
    "orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled",
    "orders/partially_fulfilled", "orders/edited", "orders/delete", "customers/create", "customers/update",
    "products/create", "products/update", "products/delete", "inventory_levels/update",
    "inventory_levels/connect", "inventory_levels/disconnect", "inventory_items/create",
    "inventory_items/update", "inventory_items/delete", "fulfillments/create", "fulfillments/update",
    "fulfillment_orders/cancelled", "fulfillment_orders/fulfillment_request_submitted", "refunds/create",
    "bulk_operations/finish", "app/uninstalled"};

// inventorySetQuantities reasons (reference section 7.1; the official list is longer).
const std::set<std::string> inventory_reasons{
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated", "movement_received",
    "movement_canceled", "other", "promotion", "quality_control", "received", "reservation_created",
    "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage"};

std::string base64(const std::string& in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::optional<std::string> unbase64(const std::string& in) {
    if (in.empty() || in.size() % 4 != 0) return std::nullopt;
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    if (n < 0) return std::nullopt;
    size_t pad = std::count(in.end() - 2, in.end(), '=');
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::string padded(int64_t v) {
    std::string s = std::to_string(v);
    return std::string(s.size() < 20 ? 20 - s.size() : 0, '0') + s;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return s;
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
    return s;
}

std::string text(const json::object& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

std::optional<int64_t> number(const json::object& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_int64()) return it->value().as_int64();
    if (it->value().is_uint64()) return static_cast<int64_t>(it->value().as_uint64());
    if (it->value().is_double()) return static_cast<int64_t>(it->value().as_double());
    return std::nullopt;
}

const json::array* array(const json::object& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_array() ? &it->value().as_array() : nullptr;
}

const json::object* object_of(const json::object& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_object() ? &it->value().as_object() : nullptr;
}

// MoneyBagInput -> cents of shopMoney.amount.
std::optional<int64_t> money_bag(const json::object& o, const char* key) {
    const json::object* bag = object_of(o, key);
    if (!bag) return std::nullopt;
    const json::object* shop = object_of(*bag, "shopMoney");
    if (!shop) return std::nullopt;
    auto it = shop->find("amount");
    if (it == shop->end()) return std::nullopt;
    if (it->value().is_string()) return parse_money(std::string(it->value().as_string()));
    if (it->value().is_number()) return std::llround(it->value().to_number<double>() * 100);
    return std::nullopt;
}

json::object user_error(json::array field, const std::string& message, const std::string& code = "") {
    json::object e{{"field", std::move(field)}, {"message", message}};
    if (!code.empty()) e["code"] = code;
    return e;
}

json::array field_path(std::initializer_list<std::string> parts) {
    json::array a;
    for (const auto& p : parts) a.push_back(json::value(p));
    return a;
}

// Shopify search syntax, the part connectors use: `field:value`, `field:>value` (>=, <, <=),
// quoted values, `-field:value` or `NOT` to negate, `AND` (or nothing) and `OR` between terms,
// parentheses to group; OR binds looser than AND. A bare word searches the default fields.
// Unknown fields are ignored, as Shopify ignores them.
struct search_term {
    std::string field, op, value;
    bool negate = false;
};

struct search_node {
    enum class kind { term, all, any, negation } type = kind::all;  // all/any: AND/OR of children
    search_term term;
    std::vector<search_node> children;
};

class search_parser {
public:
    explicit search_parser(const std::string& q) {
        std::string cur;
        bool quoted = false;
        char quote = 0;
        auto flush = [&] {
            if (!cur.empty() || quoted) tokens_.push_back({cur, !quoted});
            cur.clear();
            quoted = false;
        };
        for (char c : q) {
            if (quote) {
                if (c == quote) quote = 0;
                else cur += c;
            } else if (c == '\'' || c == '"') {
                quote = c;
                quoted = true;
            } else if (std::isspace(static_cast<unsigned char>(c))) {
                flush();
            } else if (c == '(' || c == ')') {
                flush();
                tokens_.push_back({std::string(1, c), true});
            } else {
                cur += c;
            }
        }
        flush();
    }

    search_node parse() {
        search_node top;  // a stray ")" ends nothing: what follows is ANDed on
        while (pos_ < tokens_.size()) {
            if (is(")")) {
                ++pos_;
                continue;
            }
            top.children.push_back(any());
        }
        return top;
    }

private:
    struct token {
        std::string text;
        bool plain;  // not quoted, so it may be an operator
    };

    bool is(const char* word) const { return pos_ < tokens_.size() && tokens_[pos_].plain && tokens_[pos_].text == word; }

    search_node any() {
        search_node n;
        n.type = search_node::kind::any;
        n.children.push_back(all());
        while (is("OR")) {
            ++pos_;
            n.children.push_back(all());
        }
        return n.children.size() == 1 ? std::move(n.children.front()) : n;
    }

    search_node all() {
        search_node n;
        while (pos_ < tokens_.size() && !is(")") && !is("OR")) {
            if (is("AND")) {
                ++pos_;
                continue;
            }
            n.children.push_back(unary());
        }
        return n.children.size() == 1 ? std::move(n.children.front()) : n;
    }

    search_node unary() {
        if (is("NOT") || is("-")) {
            ++pos_;
            search_node n;
            n.type = search_node::kind::negation;
            if (pos_ < tokens_.size() && !is(")") && !is("OR")) n.children.push_back(unary());
            return n;
        }
        if (is("(")) {
            ++pos_;
            search_node inner = pos_ < tokens_.size() && !is(")") ? any() : search_node{};
            if (is(")")) ++pos_;
            return inner;
        }
        search_node n;
        n.type = search_node::kind::term;
        n.term = term(tokens_[pos_++].text);
        return n;
    }

    static search_term term(std::string w) {
        search_term t;
        if (w.size() > 1 && w[0] == '-') {
            t.negate = true;
            w = w.substr(1);
        }
        size_t colon = w.find(':');
        if (colon == std::string::npos) {
            t.value = w;
            return t;
        }
        t.field = w.substr(0, colon);
        t.value = w.substr(colon + 1);
        for (const char* op : {">=", "<=", ">", "<"}) {
            if (t.value.rfind(op, 0) == 0) {
                t.op = op;
                t.value = t.value.substr(std::string(op).size());
                break;
            }
        }
        return t;
    }

    std::vector<token> tokens_;
    size_t pos_ = 0;
};

search_node parse_search(const std::string& q) { return search_parser(q).parse(); }

// What a searchable field holds for one item.
struct search_field {
    enum class kind { text, time, number } type = kind::text;
    std::vector<std::string> texts;
    int64_t value = 0;  // time (ms) or number
};

using field_lookup = std::function<std::optional<search_field>(const std::string&)>;

search_field text_field(std::vector<std::string> v) { return {search_field::kind::text, std::move(v), 0}; }
search_field time_field(int64_t ms) { return {search_field::kind::time, {}, ms}; }
search_field number_field(int64_t n) { return {search_field::kind::number, {}, n}; }

// nullopt: the term is ignored (unknown field, unparsable value) and takes no side in AND or OR.
std::optional<bool> term_matches(const search_term& t, const field_lookup& lookup) {
    auto f = lookup(t.field);
    if (!f) return std::nullopt;
    bool ok = false;
    if (f->type != search_field::kind::text) {
        std::optional<int64_t> v;
        if (f->type == search_field::kind::time) {
            v = parse_iso_time(t.value);
        } else {
            // A number, or the number at the end of a GID (id:>gid://shopify/Order/5).
            std::string digits = t.value.substr(t.value.rfind('/') == std::string::npos ? 0 : t.value.rfind('/') + 1);
            if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 20) {
                v = std::stoll(digits);
            }
        }
        if (!v) return std::nullopt;
        int64_t a = f->value, b = *v;
        ok = t.op == ">" ? a > b : t.op == ">=" ? a >= b : t.op == "<" ? a < b : t.op == "<=" ? a <= b : a == b;
    } else {
        std::string want = lower(t.value);
        bool prefix = !want.empty() && want.back() == '*';
        if (prefix) want.pop_back();
        for (const auto& have : f->texts) {
            std::string h = lower(have);
            if (t.field.empty() ? h.find(want) != std::string::npos : prefix ? h.rfind(want, 0) == 0 : h == want) ok = true;
        }
    }
    return ok != t.negate;
}

std::optional<bool> node_matches(const search_node& n, const field_lookup& lookup) {
    switch (n.type) {
        case search_node::kind::term: return term_matches(n.term, lookup);
        case search_node::kind::negation: {
            auto r = n.children.empty() ? std::nullopt : node_matches(n.children.front(), lookup);
            return r ? std::optional<bool>(!*r) : std::nullopt;
        }
        default: break;
    }
    bool any = n.type == search_node::kind::any;
    std::optional<bool> result;
    for (const auto& c : n.children) {
        auto r = node_matches(c, lookup);
        if (!r) continue;
        if (*r == any) return any;  // a true under OR, a false under AND decides
        result = !any;
    }
    return result;
}

bool matches(const search_node& query, const field_lookup& lookup) { return node_matches(query, lookup).value_or(true); }

struct cursor_key {
    std::string value;
    int64_t id = 0;
    bool operator<(const cursor_key& o) const { return value != o.value ? value < o.value : id < o.id; }
};

class executor {
public:
    executor(const prepared_operation& p, shop_state& st, const api_options& opt, json::array& errors)
        : p_(p), st_(st), opt_(opt), errors_(errors) {}

    json::value run() {
        sels roots;
        graphql::selection root;
        root.children = std::make_shared<graphql::selection_set>(p_.op->selections);
        roots.push_back(&root);
        if (p_.op->type == "mutation") return object("Mutation", roots, [this](auto& f, auto& a, auto& s) { return mutation(f, a, s); });
        return object("QueryRoot", roots, [this](auto& f, auto& a, auto& s) { return query(f, a, s); });
    }

private:
    // ---- generic machinery --------------------------------------------------------------------

    bool included(const std::vector<graphql::directive>& ds) {
        for (const auto& d : ds) {
            if (d.name != "skip" && d.name != "include") continue;
            bool flag = false;
            for (const auto& a : d.arguments) {
                if (a.name == "if") {
                    json::value v = to_json(a.val, p_.variables);
                    flag = v.is_bool() && v.as_bool();
                }
            }
            if (d.name == "skip" && flag) return false;
            if (d.name == "include" && !flag) return false;
        }
        return true;
    }

    void collect(const graphql::selection_set& set, const std::string& type, std::vector<std::pair<std::string, sels>>& out,
                 std::set<std::string>& stack) {
        for (const auto& s : set) {
            if (!included(s.directives)) continue;
            if (s.type == graphql::selection::kind::field) {
                auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == s.response_key(); });
                if (it == out.end()) out.push_back({s.response_key(), {&s}});
                else it->second.push_back(&s);
            } else if (s.type == graphql::selection::kind::inline_fragment) {
                if (type_matches(s.type_condition, type)) collect(*s.children, type, out, stack);
            } else {
                auto it = p_.doc.fragments.find(s.name);
                if (it == p_.doc.fragments.end() || stack.count(s.name) || !type_matches(it->second.type_condition, type)) continue;
                stack.insert(s.name);
                collect(it->second.selections, type, out, stack);
                stack.erase(s.name);
            }
        }
    }

    json::value object(const std::string& type, const sels& nodes, const field_fn& fn) {
        std::vector<std::pair<std::string, sels>> groups;
        std::set<std::string> stack;
        for (const auto* n : nodes) {
            if (n->children) collect(*n->children, type, groups, stack);
        }
        json::object out;
        for (const auto& [key, group] : groups) {
            const graphql::selection& f = *group.front();
            if (f.name == "__typename") {
                out[key] = type;
                continue;
            }
            path_.push_back(json::value(key));
            out[key] = fn(f, arguments_json(f, p_.variables), group);
            path_.pop_back();
        }
        return out;
    }

    template <typename T, typename F>
    json::value list(const std::vector<T>& items, F&& each) {
        json::array out;
        for (size_t i = 0; i < items.size(); ++i) {
            path_.push_back(json::value(static_cast<int64_t>(i)));
            out.push_back(each(items[i]));
            path_.pop_back();
        }
        return out;
    }

    json::value fail(const graphql::selection& f, const std::string& message, json::object ext = {}) {
        errors_.push_back(gql_error(message, &f.where, &path_, std::move(ext)));
        return nullptr;
    }

    // A connection over `items` (any order; sorted here by `key`), honouring first/last,
    // after/before and reverse.
    template <typename T>
    json::value connection(const graphql::selection& f, const json::object& args, const sels& sub, const std::string& node_type,
                           std::vector<const T*> items, const std::function<cursor_key(const T&)>& key,
                           const std::function<json::value(const T&, const sels&)>& node) {
        auto first = number(args, "first"), last = number(args, "last");
        if (!opt_.bulk) {
            if (!first && !last) return fail(f, "you must provide one of first or last");
            for (const auto& [name, v] : {std::pair{"first", first}, std::pair{"last", last}}) {
                if (v && (*v < 0 || *v > 250)) {
                    return fail(f, "The maximum page size is 250 (" + std::string(name) + ": " + std::to_string(*v) + ")",
                                {{"code", "BAD_REQUEST"}});
                }
            }
        }
        bool reverse = args.contains("reverse") && args.at("reverse").is_bool() && args.at("reverse").as_bool();
        std::stable_sort(items.begin(), items.end(), [&](const T* a, const T* b) { return reverse ? key(*b) < key(*a) : key(*a) < key(*b); });
        auto decode = [&](const char* name) -> std::optional<std::optional<cursor_key>> {
            std::string c = text(args, name);
            if (c.empty()) return std::optional<cursor_key>{};
            auto raw = unbase64(c);
            json::error_code ec;
            json::value v = raw ? json::parse(*raw, ec) : json::value();
            if (!raw || ec || !v.is_object() || !v.as_object().contains("last_id")) return std::nullopt;
            return std::optional<cursor_key>{cursor_key{text(v.as_object(), "last_value"), number(v.as_object(), "last_id").value_or(0)}};
        };
        auto after = decode("after"), before = decode("before");
        if (!after || !before) return fail(f, "Invalid cursor for current pagination sort.");
        auto beyond = [&](const cursor_key& k, const cursor_key& c) { return reverse ? k < c : c < k; };
        size_t lo = 0, hi = items.size();
        if (*after) {
            while (lo < items.size() && !beyond(key(*items[lo]), **after)) ++lo;
        }
        if (*before) {
            hi = lo;
            while (hi < items.size() && beyond(**before, key(*items[hi]))) ++hi;
        }
        size_t begin = lo, end = hi;
        if (first && static_cast<size_t>(*first) < end - begin) end = begin + static_cast<size_t>(*first);
        if (last && static_cast<size_t>(*last) < end - begin) begin = end - static_cast<size_t>(*last);
        bool has_next = end < hi || (!first && hi < items.size());
        bool has_previous = begin > lo || (!last && lo > 0);
        auto cursor = [&](const T& item) {
            cursor_key k = key(item);
            return base64(json::serialize(json::object{{"last_id", k.id}, {"last_value", k.value}}));
        };
        std::vector<const T*> page(items.begin() + static_cast<std::ptrdiff_t>(begin), items.begin() + static_cast<std::ptrdiff_t>(end));
        return object(node_type + "Connection", sub, [&](const graphql::selection& cf, const json::object&, const sels& cs) -> json::value {
            if (cf.name == "nodes") return list(page, [&](const T* item) { return node(*item, cs); });
            if (cf.name == "edges") {
                return list(page, [&](const T* item) {
                    return object(node_type + "Edge", cs, [&](const graphql::selection& ef, const json::object&, const sels& es) -> json::value {
                        if (ef.name == "cursor") return json::value(cursor(*item));
                        return node(*item, es);
                    });
                });
            }
            return object("PageInfo", cs, [&](const graphql::selection& pf, const json::object&, const sels&) -> json::value {
                if (pf.name == "hasNextPage") return has_next;
                if (pf.name == "hasPreviousPage") return has_previous;
                if (page.empty()) return nullptr;
                return json::value(cursor(pf.name == "startCursor" ? *page.front() : *page.back()));
            });
        });
    }

    // Sort keys shared by most connections: ID, CREATED_AT, UPDATED_AT (and the caller's own).
    template <typename T>
    std::function<cursor_key(const T&)> sort_by(const json::object& args, const std::string& fallback,
                                                const std::function<std::optional<std::string>(const T&, const std::string&)>& custom) {
        std::string k = text(args, "sortKey");
        if (k.empty()) k = fallback;
        return [k, custom](const T& item) {
            if (auto v = custom(item, k)) return cursor_key{*v, item.id};
            if (k == "CREATED_AT") return cursor_key{padded(item.created_at), item.id};
            if (k == "UPDATED_AT") return cursor_key{padded(item.updated_at), item.id};
            return cursor_key{padded(item.id), item.id};
        };
    }

    json::value money(int64_t cents, const std::string& currency, const sels& s) {
        return object("MoneyBag", s, [&](const graphql::selection&, const json::object&, const sels& ms) {
            return object("MoneyV2", ms, [&](const graphql::selection& f, const json::object&, const sels&) -> json::value {
                if (f.name == "amount") return json::value(money_text(cents));
                return json::value(currency);
            });
        });
    }

    std::optional<int64_t> id_arg(const json::object& args, const char* name, const std::string& type) {
        std::string v = text(args, name);
        return parse_gid(v, type);
    }

    // ---- object types ------------------------------------------------------------------------

    json::value shop(const sels& s) {
        return object("Shop", s, [&](const graphql::selection& f, const json::object&, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("Shop", st_.shop_id));
            if (n == "name") return json::value(st_.shop_name);
            if (n == "email") return json::value(st_.shop_email);
            if (n == "myshopifyDomain") return json::value(st_.shop_domain);
            if (n == "currencyCode") return json::value(st_.currency);
            if (n == "ianaTimezone") return json::value(st_.timezone);
            return object("ShopPlan", sub, [&](const graphql::selection& pf, const json::object&, const sels&) -> json::value {
                if (pf.name == "displayName") return json::value(opt_.plan_display);
                if (pf.name == "shopifyPlus") return json::value(opt_.plan_display == "Shopify Plus");
                return json::value(false);
            });
        });
    }

    json::value location_value(const location& l, const sels& s) {
        return object("Location", s, [&](const graphql::selection& f, const json::object& args, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("Location", l.id));
            if (n == "legacyResourceId") return json::value(std::to_string(l.id));
            if (n == "name") return json::value(l.name);
            if (n == "isActive") return json::value(l.active);
            if (n == "fulfillsOnlineOrders") return json::value(true);
            if (n == "createdAt") return json::value(iso_time(l.created_at));
            if (n == "updatedAt") return json::value(iso_time(l.updated_at));
            if (n == "address") {
                return object("LocationAddress", sub, [&](const graphql::selection& af, const json::object&, const sels&) -> json::value {
                    const address& a = l.addr;
                    const std::string& an = af.name;
                    if (an == "address1") return json::value(a.address1);
                    if (an == "address2") return json::value(a.address2);
                    if (an == "city") return json::value(a.city);
                    if (an == "province") return json::value(a.province);
                    if (an == "provinceCode") return json::value(a.province_code);
                    if (an == "country") return json::value(a.country);
                    if (an == "countryCode") return json::value(a.country_code);
                    if (an == "zip") return json::value(a.zip);
                    return json::value(a.phone);
                });
            }
            if (n == "inventoryLevel") {
                auto item = id_arg(args, "inventoryItemId", "InventoryItem");
                auto it = item ? st_.levels.find({*item, l.id}) : st_.levels.end();
                return it == st_.levels.end() ? json::value(nullptr) : level_value(it->second, sub);
            }
            std::vector<const inventory_level*> lv;
            for (const auto& [k, v] : st_.levels) {
                if (k.second == l.id) lv.push_back(&v);
            }
            return levels_connection(f, args, sub, lv);
        });
    }

    json::value levels_connection(const graphql::selection& f, const json::object& args, const sels& sub,
                                  std::vector<const inventory_level*> lv) {
        auto terms = parse_search(text(args, "query"));
        std::erase_if(lv, [&](const inventory_level* l) {
            return !matches(terms, [&](const std::string& field) -> std::optional<search_field> {
                if (field == "updated_at") return time_field(l->updated_at);
                if (field == "inventory_item_id") return number_field(l->item_id);
                if (field == "location_id") return number_field(l->location_id);
                return std::nullopt;
            });
        });
        return connection<inventory_level>(
            f, args, sub, "InventoryLevel", lv,
            [](const inventory_level& l) { return cursor_key{padded(l.location_id), l.item_id}; },
            [&](const inventory_level& l, const sels& ns) { return level_value(l, ns); });
    }

    json::value level_value(const inventory_level& l, const sels& s) {
        return object("InventoryLevel", s, [&](const graphql::selection& f, const json::object& args, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("InventoryLevel", l.location_id) + "?inventory_item_id=" + std::to_string(l.item_id));
            if (n == "createdAt") return json::value(iso_time(l.created_at));
            if (n == "updatedAt") return json::value(iso_time(l.updated_at));
            if (n == "location") return location_value(st_.locations.at(l.location_id), sub);
            if (n == "item") return item_value(st_.items.at(l.item_id), sub);
            const json::array* names = array(args, "names");
            std::vector<std::string> wanted;
            if (names) {
                for (const auto& v : *names) {
                    if (!v.is_string()) continue;
                    std::string q(v.as_string());
                    if (std::find(quantity_names.begin(), quantity_names.end(), q) == quantity_names.end()) {
                        return fail(f, "The quantity name '" + q + "' is not valid.", {{"code", "INVALID_QUANTITY_NAME"}});
                    }
                    wanted.push_back(q);
                }
            }
            return list(wanted, [&](const std::string& q) {
                return object("InventoryQuantity", sub, [&](const graphql::selection& qf, const json::object&, const sels&) -> json::value {
                    if (qf.name == "id") return json::value(gid("InventoryQuantity", l.item_id) + "?location_id=" + std::to_string(l.location_id) + "&name=" + q);
                    if (qf.name == "name") return json::value(q);
                    if (qf.name == "quantity") return json::value(l.get(q));
                    return json::value(iso_time(l.updated_at));
                });
            });
        });
    }

    json::value item_value(const inventory_item& item, const sels& s) {
        return object("InventoryItem", s, [&](const graphql::selection& f, const json::object& args, const sels& sub) -> json::value {
            const std::string& n = f.name;
            const variant& v = st_.variants.at(item.variant_id);
            if (n == "id") return json::value(gid("InventoryItem", item.id));
            if (n == "legacyResourceId") return json::value(std::to_string(item.id));
            if (n == "sku") return json::value(v.sku);
            if (n == "tracked") return json::value(item.tracked);
            if (n == "createdAt") return json::value(iso_time(item.created_at));
            if (n == "updatedAt") return json::value(iso_time(item.updated_at));
            if (n == "variant") return variant_value(v, sub);
            if (n == "inventoryLevel") {
                auto loc = id_arg(args, "locationId", "Location");
                auto it = loc ? st_.levels.find({item.id, *loc}) : st_.levels.end();
                return it == st_.levels.end() ? json::value(nullptr) : level_value(it->second, sub);
            }
            std::vector<const inventory_level*> lv;
            for (const auto& [k, l] : st_.levels) {
                if (k.first == item.id) lv.push_back(&l);
            }
            return levels_connection(f, args, sub, lv);
        });
    }

    int64_t available_total(int64_t item_id) {
        int64_t sum = 0;
        for (const auto& [k, l] : st_.levels) {
            if (k.first == item_id) sum += l.get("available");
        }
        return sum;
    }

    json::value variant_value(const variant& v, const sels& s) {
        return object("ProductVariant", s, [&](const graphql::selection& f, const json::object&, const sels& sub) -> json::value {
            const std::string& n = f.name;
            const product& p = st_.products.at(v.product_id);
            if (n == "id") return json::value(gid("ProductVariant", v.id));
            if (n == "legacyResourceId") return json::value(std::to_string(v.id));
            if (n == "sku") return json::value(v.sku);
            if (n == "title") return json::value(v.title);
            if (n == "displayName") return json::value(p.title + " - " + v.title);
            if (n == "price") return json::value(money_text(v.price_cents));
            if (n == "barcode") return v.barcode.empty() ? json::value(nullptr) : json::value(v.barcode);
            if (n == "inventoryQuantity") return json::value(available_total(v.inventory_item_id));
            if (n == "createdAt") return json::value(iso_time(v.created_at));
            if (n == "updatedAt") return json::value(iso_time(v.updated_at));
            if (n == "product") return product_value(p, sub);
            return item_value(st_.items.at(v.inventory_item_id), sub);
        });
    }

    json::value variants_connection(const graphql::selection& f, const json::object& args, const sels& sub,
                                    std::vector<const variant*> vs) {
        auto terms = parse_search(text(args, "query"));
        std::erase_if(vs, [&](const variant* v) {
            return !matches(terms, [&](const std::string& field) -> std::optional<search_field> {
                if (field == "sku") return text_field({v->sku});
                if (field.empty()) return text_field({v->sku, v->title, st_.products.at(v->product_id).title});
                if (field == "barcode") return text_field({v->barcode});
                if (field == "title") return text_field({v->title});
                if (field == "product_id") return number_field(v->product_id);
                if (field == "id") return number_field(v->id);
                if (field == "updated_at") return time_field(v->updated_at);
                return std::nullopt;
            });
        });
        return connection<variant>(f, args, sub, "ProductVariant", vs,
                                   sort_by<variant>(args, "ID", [](const variant& v, const std::string& k) -> std::optional<std::string> {
                                       if (k == "SKU") return v.sku;
                                       if (k == "TITLE") return v.title;
                                       return std::nullopt;
                                   }),
                                   [&](const variant& v, const sels& ns) { return variant_value(v, ns); });
    }

    json::value product_value(const product& p, const sels& s) {
        return object("Product", s, [&](const graphql::selection& f, const json::object& args, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("Product", p.id));
            if (n == "legacyResourceId") return json::value(std::to_string(p.id));
            if (n == "title") return json::value(p.title);
            if (n == "handle") return json::value(p.handle);
            if (n == "vendor") return json::value(p.vendor);
            if (n == "productType") return json::value(p.product_type);
            if (n == "status") return json::value(p.status);
            if (n == "tags") return json::value(json::value_from(p.tags));
            if (n == "createdAt") return json::value(iso_time(p.created_at));
            if (n == "updatedAt") return json::value(iso_time(p.updated_at));
            if (n == "totalInventory") {
                int64_t sum = 0;
                for (int64_t vid : p.variant_ids) sum += available_total(st_.variants.at(vid).inventory_item_id);
                return json::value(sum);
            }
            std::vector<const variant*> vs;
            for (int64_t vid : p.variant_ids) vs.push_back(&st_.variants.at(vid));
            return variants_connection(f, args, sub, vs);
        });
    }

    json::value mailing(const address& a, int64_t id, const sels& s) {
        if (a.empty()) return nullptr;
        return object("MailingAddress", s, [&](const graphql::selection& f, const json::object&, const sels&) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("MailingAddress", id) + "?model_name=Address");
            if (n == "firstName") return json::value(a.first_name);
            if (n == "lastName") return json::value(a.last_name);
            if (n == "name") return json::value(a.first_name + (a.last_name.empty() ? "" : " " + a.last_name));
            if (n == "company") return a.company.empty() ? json::value(nullptr) : json::value(a.company);
            if (n == "address1") return json::value(a.address1);
            if (n == "address2") return json::value(a.address2);
            if (n == "city") return json::value(a.city);
            if (n == "province") return json::value(a.province);
            if (n == "provinceCode") return json::value(a.province_code);
            if (n == "country") return json::value(a.country);
            if (n == "countryCodeV2") return json::value(a.country_code);
            if (n == "zip") return json::value(a.zip);
            return json::value(a.phone);
        });
    }

    json::value customer_value(const customer& c, const sels& s) {
        return object("Customer", s, [&](const graphql::selection& f, const json::object&, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("Customer", c.id));
            if (n == "legacyResourceId") return json::value(std::to_string(c.id));
            if (n == "email") return json::value(c.email);
            if (n == "firstName") return json::value(c.first_name);
            if (n == "lastName") return json::value(c.last_name);
            if (n == "displayName") return json::value(c.first_name + " " + c.last_name);
            if (n == "phone") return c.phone.empty() ? json::value(nullptr) : json::value(c.phone);
            if (n == "note") return c.note.empty() ? json::value(nullptr) : json::value(c.note);
            if (n == "tags") return json::value_from(c.tags);
            if (n == "taxExempt") return json::value(c.tax_exempt);
            if (n == "createdAt") return json::value(iso_time(c.created_at));
            if (n == "updatedAt") return json::value(iso_time(c.updated_at));
            if (n == "numberOfOrders") {
                int64_t count = 0;
                for (const auto& [id, o] : st_.orders) count += o.customer_id == c.id;
                return json::value(std::to_string(count));
            }
            if (n == "defaultAddress") return mailing(c.default_address, c.id + 1, sub);
            std::vector<int> one{0};
            if (c.default_address.empty()) one.clear();
            return list(one, [&](int) { return mailing(c.default_address, c.id + 1, sub); });
        });
    }

    json::value tax_lines_value(const std::vector<tax_line>& lines, const std::string& currency, const sels& s) {
        return list(lines, [&](const tax_line& t) {
            return object("TaxLine", s, [&](const graphql::selection& f, const json::object&, const sels& sub) -> json::value {
                if (f.name == "title") return json::value(t.title);
                if (f.name == "rate") return json::value(t.rate);
                if (f.name == "ratePercentage") return json::value(t.rate * 100);
                return money(t.price_cents, currency, sub);
            });
        });
    }

    json::value line_item_value(const order& o, const line_item& li, const sels& s) {
        return object("LineItem", s, [&](const graphql::selection& f, const json::object&, const sels& sub) -> json::value {
            const std::string& n = f.name;
            int64_t current = li.quantity - li.refunded;
            if (n == "id") return json::value(gid("LineItem", li.id));
            if (n == "sku") return li.sku.empty() ? json::value(nullptr) : json::value(li.sku);
            if (n == "name") return json::value(li.title + (li.variant_title.empty() ? "" : " - " + li.variant_title));
            if (n == "title") return json::value(li.title);
            if (n == "variantTitle") return li.variant_title.empty() ? json::value(nullptr) : json::value(li.variant_title);
            if (n == "vendor") return li.vendor.empty() ? json::value(nullptr) : json::value(li.vendor);
            if (n == "quantity") return json::value(li.quantity);
            if (n == "currentQuantity") return json::value(current);
            if (n == "unfulfilledQuantity") return json::value(std::max<int64_t>(0, current - li.fulfilled));
            if (n == "requiresShipping") return json::value(li.requires_shipping);
            if (n == "taxable") return json::value(li.taxable);
            if (n == "variant") return li.variant_id ? variant_value(st_.variants.at(li.variant_id), sub) : json::value(nullptr);
            if (n == "product") return li.product_id ? product_value(st_.products.at(li.product_id), sub) : json::value(nullptr);
            if (n == "originalUnitPriceSet") return money(li.price_cents, o.currency, sub);
            if (n == "discountedUnitPriceSet") return money(li.price_cents - (li.quantity ? li.discount_cents / li.quantity : 0), o.currency, sub);
            if (n == "originalTotalSet") return money(li.price_cents * li.quantity, o.currency, sub);
            if (n == "totalDiscountSet") return money(li.discount_cents, o.currency, sub);
            if (n == "discountedTotalSet") return money(li.price_cents * li.quantity - li.discount_cents, o.currency, sub);
            return tax_lines_value(li.tax_lines, o.currency, sub);
        });
    }

    json::value shipping_line_value(const order& o, const shipping_line& sl, const sels& s) {
        return object("ShippingLine", s, [&](const graphql::selection& f, const json::object&, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("ShippingLine", sl.id));
            if (n == "title") return json::value(sl.title);
            if (n == "code") return json::value(sl.code);
            if (n == "source") return json::value(sl.source);
            if (n == "carrierIdentifier") return json::value(nullptr);  // set only for carrier-calculated rates
            if (n == "originalPriceSet" || n == "discountedPriceSet") return money(sl.price_cents, o.currency, sub);
            return tax_lines_value(sl.tax_lines, o.currency, sub);
        });
    }

    static std::string financial_enum(const std::string& s) { return upper(s); }

    json::value metafield_value(const metafield& m, const sels& s) {
        return object("Metafield", s, [&](const graphql::selection& f, const json::object&, const sels&) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("Metafield", m.id));
            if (n == "namespace") return json::value(m.ns);
            if (n == "key") return json::value(m.key);
            if (n == "value") return json::value(m.value);
            if (n == "type") return json::value(m.type);
            if (n == "createdAt") return json::value(iso_time(m.created_at));
            return json::value(iso_time(m.updated_at));
        });
    }

    json::value order_value(const order& o, const sels& s) {
        return object("Order", s, [&](const graphql::selection& f, const json::object& args, const sels& sub) -> json::value {
            const std::string& n = f.name;
            auto opt_text = [](const std::string& v) { return v.empty() ? json::value(nullptr) : json::value(v); };
            auto opt_time = [](int64_t t) { return t ? json::value(iso_time(t)) : json::value(nullptr); };
            if (n == "id") return json::value(gid("Order", o.id));
            if (n == "legacyResourceId") return json::value(std::to_string(o.id));
            if (n == "name") return json::value(o.name);
            if (n == "email") return opt_text(o.email);
            if (n == "phone") return opt_text(o.phone);
            if (n == "note") return opt_text(o.note);
            if (n == "tags") return json::value_from(o.tags);
            if (n == "poNumber") return opt_text(o.po_number);
            if (n == "createdAt") return json::value(iso_time(o.created_at));
            if (n == "updatedAt") return json::value(iso_time(o.updated_at));
            if (n == "processedAt") return json::value(iso_time(o.processed_at));
            if (n == "cancelledAt") return opt_time(o.cancelled_at);
            if (n == "cancelReason") return o.cancel_reason.empty() ? json::value(nullptr) : json::value(upper(o.cancel_reason));
            if (n == "closed") return json::value(o.closed_at != 0);
            if (n == "closedAt") return opt_time(o.closed_at);
            if (n == "confirmed") return json::value(true);
            if (n == "test") return json::value(o.test);
            if (n == "currencyCode") return json::value(o.currency);
            if (n == "displayFinancialStatus") return json::value(financial_enum(o.financial_status));
            if (n == "displayFulfillmentStatus") {
                return json::value(o.fulfillment_status.empty() ? "UNFULFILLED" : o.fulfillment_status == "partial" ? "PARTIALLY_FULFILLED" : "FULFILLED");
            }
            if (n == "fullyPaid") return json::value(o.received_cents() >= o.total_cents());
            if (n == "unpaid") return json::value(o.received_cents() == 0 && o.total_cents() > 0);
            if (n == "sourceName") return json::value(o.source_name);
            if (n == "taxesIncluded") return json::value(o.taxes_included);
            if (n == "discountCode") return o.discount_codes.empty() ? json::value(nullptr) : json::value(o.discount_codes.front().code);
            if (n == "paymentGatewayNames") {
                // Each gateway once, in the order the transactions used them.
                json::array names;
                for (const auto& t : o.transactions) {
                    if (std::find(names.begin(), names.end(), json::value(t.gateway)) == names.end()) names.push_back(json::value(t.gateway));
                }
                return names;
            }
            if (n == "discountCodes") {
                json::array codes;
                for (const auto& d : o.discount_codes) codes.push_back(json::value(d.code));
                return codes;
            }
            if (n == "customer") return st_.customers.count(o.customer_id) ? customer_value(st_.customers.at(o.customer_id), sub) : json::value(nullptr);
            if (n == "shippingAddress") return mailing(o.shipping_address, o.id + 3, sub);
            if (n == "billingAddress") return mailing(o.billing_address, o.id + 5, sub);
            if (n == "lineItems") {
                std::vector<const line_item*> lines;
                for (const auto& li : o.line_items) lines.push_back(&li);
                return connection<line_item>(f, args, sub, "LineItem", lines,
                                             [](const line_item& li) { return cursor_key{padded(li.id), li.id}; },
                                             [&](const line_item& li, const sels& ns) { return line_item_value(o, li, ns); });
            }
            if (n == "shippingLines") {
                std::vector<const shipping_line*> lines;
                for (const auto& sl : o.shipping_lines) lines.push_back(&sl);
                return connection<shipping_line>(f, args, sub, "ShippingLine", lines,
                                                 [](const shipping_line& sl) { return cursor_key{padded(sl.id), sl.id}; },
                                                 [&](const shipping_line& sl, const sels& ns) { return shipping_line_value(o, sl, ns); });
            }
            if (n == "shippingLine") return o.shipping_lines.empty() ? json::value(nullptr) : shipping_line_value(o, o.shipping_lines.front(), sub);
            if (n == "taxLines") {
                std::map<std::string, tax_line> sums;
                for (const auto& li : o.line_items) {
                    for (const auto& t : li.tax_lines) {
                        auto& sum = sums[t.title];
                        sum.title = t.title;
                        sum.rate = t.rate;
                        sum.price_cents += t.price_cents;
                    }
                }
                std::vector<tax_line> lines;
                for (const auto& [k, t] : sums) lines.push_back(t);
                return tax_lines_value(lines, o.currency, sub);
            }
            if (n == "subtotalPriceSet") return money(o.subtotal_cents(), o.currency, sub);
            if (n == "totalPriceSet") return money(o.total_cents(), o.currency, sub);
            if (n == "totalTaxSet") return money(o.tax_cents(), o.currency, sub);
            if (n == "totalShippingPriceSet") return money(o.shipping_cents(), o.currency, sub);
            if (n == "totalDiscountsSet") return money(o.discount_cents(), o.currency, sub);
            if (n == "currentTotalPriceSet") return money(o.total_cents() - o.refunded_cents(), o.currency, sub);
            if (n == "totalRefundedSet") return money(o.refunded_cents(), o.currency, sub);
            if (n == "totalReceivedSet") return money(o.received_cents(), o.currency, sub);
            if (n == "transactions") {
                return list(o.transactions, [&](const transaction& t) {
                    return object("OrderTransaction", sub, [&](const graphql::selection& tf, const json::object&, const sels& ts) -> json::value {
                        if (tf.name == "id") return json::value(gid("OrderTransaction", t.id));
                        if (tf.name == "kind") return json::value(upper(t.kind));
                        if (tf.name == "status") return json::value(upper(t.status));
                        if (tf.name == "gateway") return json::value(t.gateway);
                        if (tf.name == "authorizationCode") return t.authorization.empty() ? json::value(nullptr) : json::value(t.authorization);
                        if (tf.name == "amountSet") return money(t.amount_cents, o.currency, ts);
                        return json::value(iso_time(t.created_at));
                    });
                });
            }
            if (n == "fulfillmentOrders") {
                std::vector<const fulfillment_order*> fos;
                for (int64_t id : o.fulfillment_order_ids) fos.push_back(&st_.fulfillment_orders.at(id));
                auto terms = parse_search(text(args, "query"));
                std::erase_if(fos, [&](const fulfillment_order* fo) {
                    return !matches(terms, [&](const std::string& field) -> std::optional<search_field> {
                        if (field == "status") return text_field({fo->status});
                        return std::nullopt;
                    });
                });
                return connection<fulfillment_order>(f, args, sub, "FulfillmentOrder", fos,
                                                     [](const fulfillment_order& fo) { return cursor_key{padded(fo.id), fo.id}; },
                                                     [&](const fulfillment_order& fo, const sels& ns) { return fulfillment_order_value(fo, ns); });
            }
            if (n == "fulfillments") {
                std::vector<const fulfillment*> fs;
                for (int64_t id : o.fulfillment_ids) fs.push_back(&st_.fulfillments.at(id));
                return list(fs, [&](const fulfillment* fl) { return fulfillment_value(*fl, sub); });
            }
            if (n == "refunds") {
                std::vector<const refund*> rs;
                for (int64_t id : o.refund_ids) rs.push_back(&st_.refunds.at(id));
                return list(rs, [&](const refund* r) { return refund_value(o, *r, sub); });
            }
            if (n == "metafields") {
                std::string ns = text(args, "namespace");
                std::vector<const metafield*> ms;
                for (const auto& m : o.metafields) {
                    if (ns.empty() || m.ns == ns) ms.push_back(&m);
                }
                return connection<metafield>(f, args, sub, "Metafield", ms,
                                             [](const metafield& m) { return cursor_key{padded(m.id), m.id}; },
                                             [&](const metafield& m, const sels& ns2) { return metafield_value(m, ns2); });
            }
            if (n == "metafield") {
                std::string ns = text(args, "namespace"), key = text(args, "key");
                if (ns.empty()) ns = "$app";
                for (const auto& m : o.metafields) {
                    if (m.ns == ns && m.key == key) return metafield_value(m, sub);
                }
                return nullptr;
            }
            return list(o.custom_attributes, [&](const std::pair<std::string, std::string>& kv) {
                return object("Attribute", sub, [&](const graphql::selection& af, const json::object&, const sels&) -> json::value {
                    return json::value(af.name == "key" ? kv.first : kv.second);
                });
            });
        });
    }

    json::value refund_value(const order& o, const refund& r, const sels& s) {
        return object("Refund", s, [&](const graphql::selection& f, const json::object& args, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("Refund", r.id));
            if (n == "createdAt") return json::value(iso_time(r.created_at));
            if (n == "updatedAt") return json::value(iso_time(r.updated_at));
            if (n == "note") return r.note.empty() ? json::value(nullptr) : json::value(r.note);
            if (n == "totalRefundedSet") return money(r.amount_cents, o.currency, sub);
            std::vector<const refund_line*> lines;
            for (const auto& l : r.lines) lines.push_back(&l);
            return connection<refund_line>(
                f, args, sub, "RefundLineItem", lines, [](const refund_line& l) { return cursor_key{padded(l.id), l.id}; },
                [&](const refund_line& l, const sels& ns) {
                    const line_item* li = nullptr;
                    for (const auto& x : o.line_items) {
                        if (x.id == l.line_item_id) li = &x;
                    }
                    return object("RefundLineItem", ns, [&](const graphql::selection& lf, const json::object&, const sels& ls) -> json::value {
                        const std::string& ln = lf.name;
                        if (ln == "id") return json::value(gid("RefundLineItem", l.id));
                        if (ln == "quantity") return json::value(l.quantity);
                        if (ln == "restockType") return json::value(upper(l.restock_type));
                        if (ln == "restocked") return json::value(l.restock_type != "no_restock");
                        if (ln == "lineItem") return line_item_value(o, *li, ls);
                        if (ln == "location") {
                            auto it = st_.locations.find(l.location_id);
                            return it == st_.locations.end() ? json::value(nullptr) : location_value(it->second, ls);
                        }
                        if (ln == "priceSet") return money(li->price_cents, o.currency, ls);
                        if (ln == "subtotalSet") return money(l.subtotal_cents, o.currency, ls);
                        return money(l.tax_cents, o.currency, ls);
                    });
                });
        });
    }

    json::value fulfillment_order_value(const fulfillment_order& fo, const sels& s) {
        const order& o = st_.orders.at(fo.order_id);
        return object("FulfillmentOrder", s, [&](const graphql::selection& f, const json::object& args, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("FulfillmentOrder", fo.id));
            if (n == "status") return json::value(fo.status);
            if (n == "requestStatus") return json::value("UNSUBMITTED");
            if (n == "createdAt") return json::value(iso_time(fo.created_at));
            if (n == "updatedAt") return json::value(iso_time(fo.updated_at));
            if (n == "order") return order_value(o, sub);
            if (n == "assignedLocation") {
                const location& l = st_.locations.at(fo.location_id);
                return object("FulfillmentOrderAssignedLocation", sub, [&](const graphql::selection& af, const json::object&, const sels& as) -> json::value {
                    if (af.name == "name") return json::value(l.name);
                    if (af.name == "address1") return json::value(l.addr.address1);
                    if (af.name == "city") return json::value(l.addr.city);
                    if (af.name == "countryCode") return json::value(l.addr.country_code);
                    if (af.name == "zip") return json::value(l.addr.zip);
                    return location_value(l, as);
                });
            }
            std::vector<const fulfillment_order_line*> lines;
            for (const auto& l : fo.lines) lines.push_back(&l);
            return connection<fulfillment_order_line>(
                f, args, sub, "FulfillmentOrderLineItem", lines,
                [](const fulfillment_order_line& l) { return cursor_key{padded(l.id), l.id}; },
                [&](const fulfillment_order_line& l, const sels& ns) {
                    const line_item* li = nullptr;
                    for (const auto& x : o.line_items) {
                        if (x.id == l.line_item_id) li = &x;
                    }
                    return object("FulfillmentOrderLineItem", ns, [&](const graphql::selection& lf, const json::object&, const sels& ls) -> json::value {
                        const std::string& ln = lf.name;
                        if (ln == "id") return json::value(gid("FulfillmentOrderLineItem", l.id));
                        if (ln == "sku") return li->sku.empty() ? json::value(nullptr) : json::value(li->sku);
                        if (ln == "productTitle") return json::value(li->title);
                        if (ln == "variantTitle") return li->variant_title.empty() ? json::value(nullptr) : json::value(li->variant_title);
                        if (ln == "remainingQuantity") return json::value(l.remaining);
                        if (ln == "totalQuantity") return json::value(l.total);
                        if (ln == "requiresShipping") return json::value(li->requires_shipping);
                        if (ln == "inventoryItemId") {
                            return li->variant_id ? json::value(gid("InventoryItem", st_.variants.at(li->variant_id).inventory_item_id)) : json::value(nullptr);
                        }
                        return line_item_value(o, *li, ls);
                    });
                });
        });
    }

    json::value fulfillment_value(const fulfillment& fl, const sels& s) {
        const order& o = st_.orders.at(fl.order_id);
        return object("Fulfillment", s, [&](const graphql::selection& f, const json::object& args, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("Fulfillment", fl.id));
            if (n == "legacyResourceId") return json::value(std::to_string(fl.id));
            if (n == "name") return json::value(fl.name);
            if (n == "status") return json::value(upper(fl.status));
            if (n == "createdAt") return json::value(iso_time(fl.created_at));
            if (n == "updatedAt") return json::value(iso_time(fl.updated_at));
            if (n == "totalQuantity") {
                int64_t sum = 0;
                for (const auto& [id, q] : fl.lines) sum += q;
                return json::value(sum);
            }
            if (n == "location") return st_.locations.count(fl.location_id) ? location_value(st_.locations.at(fl.location_id), sub) : json::value(nullptr);
            if (n == "order") return order_value(o, sub);
            if (n == "trackingInfo") {
                std::vector<int> one;
                if (!fl.tracking_number.empty() || !fl.tracking_company.empty() || !fl.tracking_url.empty()) one.push_back(0);
                return list(one, [&](int) {
                    return object("FulfillmentTrackingInfo", sub, [&](const graphql::selection& tf, const json::object&, const sels&) -> json::value {
                        const std::string& v = tf.name == "number" ? fl.tracking_number : tf.name == "company" ? fl.tracking_company : fl.tracking_url;
                        return v.empty() ? json::value(nullptr) : json::value(v);
                    });
                });
            }
            std::vector<const std::pair<int64_t, int64_t>*> lines;
            for (const auto& l : fl.lines) lines.push_back(&l);
            return connection<std::pair<int64_t, int64_t>>(
                f, args, sub, "FulfillmentLineItem", lines,
                [](const std::pair<int64_t, int64_t>& l) { return cursor_key{padded(l.first), l.first}; },
                [&](const std::pair<int64_t, int64_t>& l, const sels& ns) {
                    return object("FulfillmentLineItem", ns, [&](const graphql::selection& lf, const json::object&, const sels& ls) -> json::value {
                        if (lf.name == "id") return json::value(gid("FulfillmentLineItem", l.first + 1));
                        if (lf.name == "quantity") return json::value(l.second);
                        for (const auto& li : o.line_items) {
                            if (li.id == l.first) return line_item_value(o, li, ls);
                        }
                        return json::value(nullptr);
                    });
                });
        });
    }

    json::value subscription_value(const webhook_subscription& w, const sels& s) {
        return object("WebhookSubscription", s, [&](const graphql::selection& f, const json::object&, const sels& sub) -> json::value {
            const std::string& n = f.name;
            if (n == "id") return json::value(gid("WebhookSubscription", w.id));
            if (n == "topic") return json::value(topic_to_enum(w.topic));
            if (n == "format") return json::value(w.format);
            if (n == "callbackUrl") return json::value(w.callback_url);
            if (n == "includeFields") return json::value_from(w.include_fields);
            if (n == "createdAt") return json::value(iso_time(w.created_at));
            if (n == "updatedAt") return json::value(iso_time(w.updated_at));
            return object("WebhookHttpEndpoint", sub, [&](const graphql::selection&, const json::object&, const sels&) -> json::value {
                return json::value(w.callback_url);
            });
        });
    }

    json::value bulk_value(const bulk_operation& b, const std::string& shown_status, const sels& s) {
        return object("BulkOperation", s, [&](const graphql::selection& f, const json::object&, const sels&) -> json::value {
            const std::string& n = f.name;
            bool done = shown_status == "COMPLETED";
            if (n == "id") return json::value(gid("BulkOperation", b.id));
            if (n == "status") return json::value(shown_status);
            if (n == "type") return json::value(b.type);
            if (n == "query") return json::value(b.query);
            if (n == "createdAt") return json::value(iso_time(b.created_at));
            if (n == "completedAt") return done ? json::value(iso_time(b.completed_at)) : json::value(nullptr);
            if (n == "errorCode") return b.error_code.empty() ? json::value(nullptr) : json::value(b.error_code);
            if (n == "objectCount") return json::value(std::to_string(done ? b.object_count : 0));
            if (n == "rootObjectCount") return json::value(std::to_string(done ? b.root_object_count : 0));
            if (n == "fileSize") return done ? json::value(std::to_string(b.jsonl.size())) : json::value(nullptr);
            if (n == "url") {
                return done && !b.jsonl.empty() ? json::value(opt_.base_url + "/_sandbox/bulk/" + std::to_string(b.id) + ".jsonl") : json::value(nullptr);
            }
            return json::value(nullptr);  // partialDataUrl: operations never fail part-way here
        });
    }

    json::value user_errors(const json::array& errs, const std::string& type, const sels& s) {
        return list(std::vector<json::value>(errs.begin(), errs.end()), [&](const json::value& e) {
            return object(type, s, [&](const graphql::selection& f, const json::object&, const sels&) -> json::value {
                const json::object& o = e.as_object();
                auto it = o.find(f.name);
                return it == o.end() ? json::value(nullptr) : it->value();
            });
        });
    }

    // ---- query root ---------------------------------------------------------------------------

    json::value query(const graphql::selection& f, const json::object& args, const sels& sub) {
        if (auto e = input_too_large(f, args)) return *e;
        const std::string& n = f.name;
        auto terms = parse_search(text(args, "query"));
        if (n == "shop") return shop(sub);
        if (n == "location") {
            if (!args.contains("id")) return st_.default_location() ? location_value(*st_.default_location(), sub) : json::value(nullptr);
            auto id = id_arg(args, "id", "Location");
            return id && st_.locations.count(*id) ? location_value(st_.locations.at(*id), sub) : json::value(nullptr);
        }
        if (n == "locations") {
            bool inactive = args.contains("includeInactive") && args.at("includeInactive").is_bool() && args.at("includeInactive").as_bool();
            std::vector<const location*> ls;
            for (const auto& [id, l] : st_.locations) {
                if (!l.active && !inactive) continue;
                bool ok = matches(terms, [&](const std::string& field) -> std::optional<search_field> {
                    if (field == "name" || field.empty()) return text_field({l.name});
                    if (field == "active") return text_field({l.active ? "true" : "false"});
                    if (field == "id") return number_field(l.id);
                    return std::nullopt;
                });
                if (ok) ls.push_back(&l);
            }
            return connection<location>(f, args, sub, "Location", ls,
                                        sort_by<location>(args, "NAME", [](const location& l, const std::string& k) -> std::optional<std::string> {
                                            if (k == "NAME") return l.name;
                                            return std::nullopt;
                                        }),
                                        [&](const location& l, const sels& ns) { return location_value(l, ns); });
        }
        if (n == "product") {
            auto id = id_arg(args, "id", "Product");
            return id && st_.products.count(*id) ? product_value(st_.products.at(*id), sub) : json::value(nullptr);
        }
        if (n == "products") {
            std::vector<const product*> ps;
            for (const auto& [id, p] : st_.products) {
                bool ok = matches(terms, [&](const std::string& field) -> std::optional<search_field> {
                    if (field == "title") return text_field({p.title});
                    if (field == "vendor") return text_field({p.vendor});
                    if (field == "product_type") return text_field({p.product_type});
                    if (field == "status") return text_field({p.status});
                    if (field == "tag") return text_field(p.tags);
                    if (field == "handle") return text_field({p.handle});
                    if (field == "id") return number_field(p.id);
                    if (field == "updated_at") return time_field(p.updated_at);
                    if (field == "created_at") return time_field(p.created_at);
                    if (field == "sku" || field.empty()) {
                        std::vector<std::string> skus;
                        for (int64_t vid : p.variant_ids) skus.push_back(st_.variants.at(vid).sku);
                        if (field.empty()) skus.push_back(p.title);
                        return text_field(skus);
                    }
                    return std::nullopt;
                });
                if (ok) ps.push_back(&p);
            }
            return connection<product>(f, args, sub, "Product", ps,
                                       sort_by<product>(args, "ID", [](const product& p, const std::string& k) -> std::optional<std::string> {
                                           if (k == "TITLE") return p.title;
                                           return std::nullopt;
                                       }),
                                       [&](const product& p, const sels& ns) { return product_value(p, ns); });
        }
        if (n == "productVariant") {
            auto id = id_arg(args, "id", "ProductVariant");
            return id && st_.variants.count(*id) ? variant_value(st_.variants.at(*id), sub) : json::value(nullptr);
        }
        if (n == "productVariants") {
            std::vector<const variant*> vs;
            for (const auto& [id, v] : st_.variants) vs.push_back(&v);
            return variants_connection(f, args, sub, vs);
        }
        if (n == "inventoryItem") {
            auto id = id_arg(args, "id", "InventoryItem");
            return id && st_.items.count(*id) ? item_value(st_.items.at(*id), sub) : json::value(nullptr);
        }
        if (n == "inventoryItems") {
            std::vector<const inventory_item*> is;
            for (const auto& [id, item] : st_.items) {
                const variant& v = st_.variants.at(item.variant_id);
                bool ok = matches(terms, [&](const std::string& field) -> std::optional<search_field> {
                    if (field == "sku" || field.empty()) return text_field({v.sku});
                    if (field == "id") return number_field(item.id);
                    if (field == "updated_at") return time_field(item.updated_at);
                    if (field == "created_at") return time_field(item.created_at);
                    return std::nullopt;
                });
                if (ok) is.push_back(&item);
            }
            return connection<inventory_item>(f, args, sub, "InventoryItem", is,
                                              sort_by<inventory_item>(args, "ID", [](const inventory_item&, const std::string&) { return std::optional<std::string>(); }),
                                              [&](const inventory_item& item, const sels& ns) { return item_value(item, ns); });
        }
        if (n == "inventoryLevel") {
            std::string id = text(args, "id");
            auto loc = parse_gid(id, "InventoryLevel");
            size_t q = id.find("?inventory_item_id=");
            if (!loc || q == std::string::npos) return nullptr;
            int64_t item = 0;
            try {
                item = std::stoll(id.substr(q + 19));
            } catch (const std::exception&) {
                return nullptr;
            }
            auto it = st_.levels.find({item, *loc});
            return it == st_.levels.end() ? json::value(nullptr) : level_value(it->second, sub);
        }
        if (n == "order") {
            auto id = id_arg(args, "id", "Order");
            return id && st_.orders.count(*id) ? order_value(st_.orders.at(*id), sub) : json::value(nullptr);
        }
        if (n == "orders") return orders_connection(f, args, sub, terms);
        if (n == "customer") {
            auto id = id_arg(args, "id", "Customer");
            return id && st_.customers.count(*id) ? customer_value(st_.customers.at(*id), sub) : json::value(nullptr);
        }
        if (n == "customers") {
            std::vector<const customer*> cs;
            for (const auto& [id, c] : st_.customers) {
                bool ok = matches(terms, [&](const std::string& field) -> std::optional<search_field> {
                    if (field == "email") return text_field({c.email});
                    if (field == "first_name") return text_field({c.first_name});
                    if (field == "last_name") return text_field({c.last_name});
                    if (field == "phone") return text_field({c.phone});
                    if (field == "tag") return text_field(c.tags);
                    if (field.empty()) return text_field({c.email, c.first_name, c.last_name});
                    if (field == "id") return number_field(c.id);
                    if (field == "updated_at") return time_field(c.updated_at);
                    if (field == "created_at") return time_field(c.created_at);
                    return std::nullopt;
                });
                if (ok) cs.push_back(&c);
            }
            return connection<customer>(f, args, sub, "Customer", cs,
                                        sort_by<customer>(args, "ID", [](const customer& c, const std::string& k) -> std::optional<std::string> {
                                            if (k == "NAME") return c.last_name + " " + c.first_name;
                                            return std::nullopt;
                                        }),
                                        [&](const customer& c, const sels& ns) { return customer_value(c, ns); });
        }
        if (n == "fulfillmentOrder") {
            auto id = id_arg(args, "id", "FulfillmentOrder");
            return id && st_.fulfillment_orders.count(*id) ? fulfillment_order_value(st_.fulfillment_orders.at(*id), sub) : json::value(nullptr);
        }
        if (n == "fulfillment") {
            auto id = id_arg(args, "id", "Fulfillment");
            return id && st_.fulfillments.count(*id) ? fulfillment_value(st_.fulfillments.at(*id), sub) : json::value(nullptr);
        }
        if (n == "currentBulkOperation") {
            std::string type = text(args, "type").empty() ? "QUERY" : text(args, "type");
            const bulk_operation* latest = nullptr;
            for (const auto& [id, b] : st_.bulk_operations) {
                if (b.type == type) latest = &b;
            }
            return latest ? bulk_value(*latest, latest->status, sub) : json::value(nullptr);
        }
        if (n == "node") return node_value(text(args, "id"), sub);
        if (n == "nodes") {
            std::vector<std::string> wanted;
            if (const json::array* list_ids = array(args, "ids")) {
                for (const auto& v : *list_ids) wanted.push_back(v.is_string() ? std::string(v.as_string()) : "");
            }
            return list(wanted, [&](const std::string& id) { return node_value(id, sub); });
        }
        if (n == "webhookSubscription") {
            auto id = id_arg(args, "id", "WebhookSubscription");
            return id && st_.subscriptions.count(*id) ? subscription_value(st_.subscriptions.at(*id), sub) : json::value(nullptr);
        }
        // webhookSubscriptions
        std::set<std::string> topics;
        if (const json::array* t = array(args, "topics")) {
            for (const auto& v : *t) {
                if (v.is_string()) topics.insert(topic_from_enum(std::string(v.as_string())));
            }
        }
        std::string url = text(args, "callbackUrl");
        std::vector<const webhook_subscription*> ws;
        for (const auto& [id, w] : st_.subscriptions) {
            if ((topics.empty() || topics.count(w.topic)) && (url.empty() || url == w.callback_url)) ws.push_back(&w);
        }
        return connection<webhook_subscription>(f, args, sub, "WebhookSubscription", ws,
                                                sort_by<webhook_subscription>(args, "ID", [](const webhook_subscription&, const std::string&) { return std::optional<std::string>(); }),
                                                [&](const webhook_subscription& w, const sels& ns) { return subscription_value(w, ns); });
    }

    // Any object by its GID, resolved as its concrete type (null when unknown).
    json::value node_value(const std::string& id, const sels& sub) {
        if (auto n = parse_gid(id, "Order"); n && st_.orders.count(*n)) return order_value(st_.orders.at(*n), sub);
        if (auto n = parse_gid(id, "Customer"); n && st_.customers.count(*n)) return customer_value(st_.customers.at(*n), sub);
        if (auto n = parse_gid(id, "Product"); n && st_.products.count(*n)) return product_value(st_.products.at(*n), sub);
        if (auto n = parse_gid(id, "ProductVariant"); n && st_.variants.count(*n)) return variant_value(st_.variants.at(*n), sub);
        if (auto n = parse_gid(id, "Location"); n && st_.locations.count(*n)) return location_value(st_.locations.at(*n), sub);
        if (auto n = parse_gid(id, "InventoryItem"); n && st_.items.count(*n)) return item_value(st_.items.at(*n), sub);
        if (auto n = parse_gid(id, "FulfillmentOrder"); n && st_.fulfillment_orders.count(*n)) return fulfillment_order_value(st_.fulfillment_orders.at(*n), sub);
        if (auto n = parse_gid(id, "Fulfillment"); n && st_.fulfillments.count(*n)) return fulfillment_value(st_.fulfillments.at(*n), sub);
        return nullptr;
    }

    json::value orders_connection(const graphql::selection& f, const json::object& args, const sels& sub,
                                  const search_node& terms) {
        std::vector<const order*> os;
        for (const auto& [id, o] : st_.orders) {
            bool ok = matches(terms, [&](const std::string& field) -> std::optional<search_field> {
                if (field == "updated_at") return time_field(o.updated_at);
                if (field == "created_at") return time_field(o.created_at);
                if (field == "processed_at") return time_field(o.processed_at);
                if (field == "id") return number_field(o.id);
                if (field == "name") return text_field({o.name, o.name.substr(o.name[0] == '#' ? 1 : 0)});
                if (field == "email") return text_field({o.email});
                if (field == "tag") return text_field(o.tags);
                if (field == "financial_status") return text_field({o.financial_status});
                if (field == "fulfillment_status") {
                    std::string s = o.fulfillment_status.empty() ? "unfulfilled" : o.fulfillment_status == "fulfilled" ? "shipped" : o.fulfillment_status;
                    return text_field({s, s == "unfulfilled" ? "unshipped" : s});
                }
                if (field == "status") {
                    std::string s = o.cancelled_at ? "cancelled" : o.closed_at ? "closed" : "open";
                    return text_field({s, "any"});
                }
                if (field == "customer_id") return number_field(o.customer_id);
                if (field == "sku" || field.empty()) {
                    std::vector<std::string> v;
                    for (const auto& li : o.line_items) v.push_back(li.sku);
                    if (field.empty()) {
                        v.push_back(o.name);
                        v.push_back(o.email);
                    }
                    return text_field(v);
                }
                return std::nullopt;
            });
            if (ok) os.push_back(&o);
        }
        std::string key = text(args, "sortKey");
        if (!key.empty() && key != "PROCESSED_AT" && key != "CREATED_AT" && key != "UPDATED_AT" && key != "ID" && key != "ORDER_NUMBER") {
            return fail(f, "Argument 'sortKey' on Field 'orders' has an invalid value (" + key + "). Expected type 'OrderSortKeys'.",
                        {{"code", "argumentLiteralsIncompatible"}, {"typeName", "Field"}, {"argumentName", "sortKey"}});
        }
        return connection<order>(f, args, sub, "Order", os,
                                 sort_by<order>(args, "PROCESSED_AT", [](const order& o, const std::string& k) -> std::optional<std::string> {
                                     if (k == "PROCESSED_AT") return padded(o.processed_at);
                                     if (k == "ORDER_NUMBER") return padded(o.number);
                                     return std::nullopt;
                                 }),
                                 [&](const order& o, const sels& ns) { return order_value(o, ns); });
    }

    // "Input arguments that accept an array have a maximum size of 250."
    std::optional<json::value> input_too_large(const graphql::selection& f, const json::object& args) {
        std::optional<json::value> result;
        std::function<void(const json::value&, json::array)> walk = [&](const json::value& v, json::array path) {
            if (result) return;
            if (v.is_array()) {
                if (v.as_array().size() > 250) {
                    errors_.push_back(gql_error("The input array size of " + std::to_string(v.as_array().size()) +
                                                    " is greater than the maximum allowed of 250.",
                                                &f.where, &path, {{"code", "MAX_INPUT_SIZE_EXCEEDED"}}));
                    result = json::value(nullptr);
                    return;
                }
                for (size_t i = 0; i < v.as_array().size(); ++i) {
                    json::array p = path;
                    p.push_back(json::value(static_cast<int64_t>(i)));
                    walk(v.as_array()[i], p);
                }
            } else if (v.is_object()) {
                for (const auto& [k, child] : v.as_object()) {
                    json::array p = path;
                    p.push_back(json::value(k));
                    walk(child, p);
                }
            }
        };
        for (const auto& [k, v] : args) walk(v, json::array{json::value(f.name), json::value(k)});
        return result;
    }

    // ---- mutations ----------------------------------------------------------------------------

    json::value mutation(const graphql::selection& f, const json::object& args, const sels& sub) {
        if (auto e = input_too_large(f, args)) return *e;
        std::optional<std::string> key;
        for (const auto& d : f.directives) {
            if (d.name != "idempotent") continue;
            for (const auto& a : d.arguments) {
                if (a.name == "key") {
                    json::value v = to_json(a.val, p_.variables);
                    if (v.is_string()) key = std::string(v.as_string());
                }
            }
            if (!key) return fail(f, "Directive 'idempotent' is missing required arguments: key", {{"code", "missingRequiredArguments"}});
        }
        if (!key && f.name == "inventorySetQuantities" && opt_.idempotency_required && compare_versions(opt_.api_version, "2026-04") >= 0) {
            return fail(f, "The @idempotent directive is required for this mutation.", {{"code", "IDEMPOTENCY_KEY_REQUIRED"}});
        }
        std::string parameters = f.name + json::serialize(args);
        if (key) {
            auto it = st_.idempotency.find(*key);
            if (it != st_.idempotency.end() && st_.now() - it->second.at_ms > opt_.idempotency_retention_ms) {
                st_.idempotency.erase(it);
                it = st_.idempotency.end();
            }
            if (it != st_.idempotency.end()) {
                if (it->second.parameters == parameters) return it->second.result;
                json::array errs{user_error(json::array{}, "The same idempotency key cannot be used with different operation parameters.",
                                            "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")};
                return payload_with_errors(f.name, errs, sub);
            }
        }
        json::value result = run_mutation(f, args, sub);
        if (key) st_.idempotency[*key] = {parameters, result, st_.now()};
        return result;
    }

    // A payload carrying only user errors, for the payload type of `mutation_name`.
    json::value payload_with_errors(const std::string& mutation_name, const json::array& errs, const sels& sub) {
        const field_def& def = find_type("Mutation")->fields.at(mutation_name);
        const type_def* payload = find_type(def.type);
        std::string error_type = payload->fields.at("userErrors").type;
        return object(def.type, sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, error_type, ps);
            return nullptr;
        });
    }

    json::value run_mutation(const graphql::selection& f, const json::object& args, const sels& sub) {
        const std::string& n = f.name;
        if (n == "inventorySetQuantities") return inventory_set_quantities(f, args, sub);
        if (n == "orderUpdate") return order_update(args, sub);
        if (n == "fulfillmentCreate") return fulfillment_create(args, sub);
        if (n == "orderCreate") return order_create(args, sub);
        if (n == "bulkOperationRunQuery") return bulk_run(args, sub);
        if (n == "webhookSubscriptionCreate") return webhook_create(f, args, sub);
        if (n == "webhookSubscriptionDelete") return webhook_delete(args, sub);
        return tags_change(n == "tagsAdd", args, sub);
    }

    json::value inventory_set_quantities(const graphql::selection& f, const json::object& args, const sels& sub) {
        const json::object* input = object_of(args, "input");
        if (!input) return payload_with_errors(f.name, {}, sub);
        bool v2026_01 = compare_versions(opt_.api_version, "2026-01") >= 0;
        bool v2026_04 = compare_versions(opt_.api_version, "2026-04") >= 0;
        const json::array* rows = array(*input, "quantities");
        static const json::array no_rows;
        if (!rows) rows = &no_rows;
        // Fields that do not exist in this API version are schema errors, not user errors.
        auto reject_field = [&](const std::string& type, const std::string& field) {
            return fail(f, "InputObject '" + type + "' doesn't accept argument '" + field + "'",
                        {{"code", "argumentNotAccepted"}, {"name", type}, {"typeName", "InputObject"}, {"argumentName", field}});
        };
        if (v2026_04 && input->contains("ignoreCompareQuantity")) return reject_field("InventorySetQuantitiesInput", "ignoreCompareQuantity");
        for (const auto& r : *rows) {
            if (!r.is_object()) continue;
            if (v2026_04 && r.as_object().contains("compareQuantity")) return reject_field("InventoryQuantityInput", "compareQuantity");
            if (!v2026_01 && r.as_object().contains("changeFromQuantity")) return reject_field("InventoryQuantityInput", "changeFromQuantity");
        }
        std::string name = text(*input, "name"), reason = text(*input, "reason");
        bool ignore_compare = input->contains("ignoreCompareQuantity") && input->at("ignoreCompareQuantity").is_bool() &&
                              input->at("ignoreCompareQuantity").as_bool();
        json::array errs;
        if (name != "available" && name != "on_hand") {
            errs.push_back(user_error(field_path({"input", "name"}), "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME"));
        }
        if (!inventory_reasons.count(reason)) {
            errs.push_back(user_error(field_path({"input", "reason"}), "The specified reason is invalid.", "INVALID_REASON"));
        }
        std::string reference = text(*input, "referenceDocumentUri");
        if (!reference.empty() && reference.find(':') == std::string::npos) {
            errs.push_back(user_error(field_path({"input", "referenceDocumentUri"}), "The reference document URI is invalid.", "INVALID_REFERENCE_DOCUMENT"));
        }
        struct row_plan {
            inventory_level* level = nullptr;
            int64_t quantity = 0;
            bool ok = false;
        };
        std::vector<row_plan> plan;
        std::set<std::pair<int64_t, int64_t>> seen;
        for (size_t i = 0; i < rows->size(); ++i) {
            row_plan rp;
            std::string idx = std::to_string(i);
            if (!(*rows)[i].is_object()) {
                plan.push_back(rp);
                continue;
            }
            const json::object& r = (*rows)[i].as_object();
            size_t before = errs.size();
            auto item = parse_gid(text(r, "inventoryItemId"), "InventoryItem");
            auto loc = parse_gid(text(r, "locationId"), "Location");
            auto qty = number(r, "quantity");
            if (!item || !st_.items.count(*item)) {
                errs.push_back(user_error(field_path({"input", "quantities", idx, "inventoryItemId"}), "The specified inventory item could not be found.", "INVALID_INVENTORY_ITEM"));
            } else if (!loc || !st_.locations.count(*loc)) {
                errs.push_back(user_error(field_path({"input", "quantities", idx, "locationId"}), "The specified location could not be found.", "INVALID_LOCATION"));
            } else if (!st_.levels.count({*item, *loc})) {
                errs.push_back(user_error(field_path({"input", "quantities", idx, "locationId"}), "The specified inventory item is not stocked at the location.", "ITEM_NOT_STOCKED_AT_LOCATION"));
            } else if (!seen.insert({*item, *loc}).second) {
                errs.push_back(user_error(field_path({"input", "quantities", idx}), "The combination of inventoryItemId and locationId must be unique.", "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"));
            }
            if (!qty) {
                errs.push_back(user_error(field_path({"input", "quantities", idx, "quantity"}), "The quantity is required.", "INVALID_QUANTITY_TOO_LOW"));
            } else if (*qty > 1000000000) {
                errs.push_back(user_error(field_path({"input", "quantities", idx, "quantity"}), "The quantity can't be higher than 1,000,000,000.", "INVALID_QUANTITY_TOO_HIGH"));
            } else if (*qty < -1000000000) {
                errs.push_back(user_error(field_path({"input", "quantities", idx, "quantity"}), "The quantity can't be lower than -1,000,000,000.", "INVALID_QUANTITY_TOO_LOW"));
            } else if (*qty < 0 && name == "on_hand") {
                errs.push_back(user_error(field_path({"input", "quantities", idx, "quantity"}), "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE"));
            }
            if (errs.size() == before) {
                inventory_level& lvl = st_.levels.at({*item, *loc});
                int64_t persisted = lvl.get(name);
                // Compare-and-set: changeFromQuantity (2026-01+) wins over the older compareQuantity.
                if (v2026_01 && r.contains("changeFromQuantity")) {
                    auto want = number(r, "changeFromQuantity");
                    if (want && *want != persisted) {
                        errs.push_back(user_error(field_path({"input", "quantities", idx, "changeFromQuantity"}),
                                                  "The specified changeFromQuantity (" + std::to_string(*want) + ") does not match the persisted quantity (" + std::to_string(persisted) + ").",
                                                  "CHANGE_FROM_QUANTITY_STALE"));
                    }
                } else if (v2026_04) {
                    errs.push_back(user_error(field_path({"input", "quantities", idx, "changeFromQuantity"}),
                                              "changeFromQuantity is required; pass null to skip the comparison.", "CHANGE_FROM_QUANTITY_REQUIRED"));
                } else if (!ignore_compare) {
                    auto want = number(r, "compareQuantity");
                    if (!want) {
                        errs.push_back(user_error(field_path({"input", "quantities", idx, "compareQuantity"}),
                                                  "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.",
                                                  "COMPARE_QUANTITY_REQUIRED"));
                    } else if (*want != persisted) {
                        errs.push_back(user_error(field_path({"input", "quantities", idx, "compareQuantity"}),
                                                  "The specified compare quantity does not match the current quantity.", "COMPARE_QUANTITY_STALE"));
                    }
                }
            }
            if (errs.size() == before && item && loc && qty) {
                rp.level = &st_.levels.at({*item, *loc});
                rp.quantity = *qty;
                rp.ok = true;
            }
            plan.push_back(rp);
        }
        bool header_errors = name != "available" && name != "on_hand";
        header_errors = header_errors || !inventory_reasons.count(reason);
        bool apply = errs.empty() || (opt_.inventory_partial_apply && !header_errors);
        struct change {
            std::string name;
            int64_t delta, after, item, location;
        };
        std::vector<change> changes;
        int64_t now = st_.now();
        if (apply) {
            for (auto& rp : plan) {
                if (!rp.ok) continue;
                int64_t before_name = rp.level->get(name);
                int64_t before_other = rp.level->get(name == "available" ? "on_hand" : "available");
                st_.set_quantity(*rp.level, name, rp.quantity);
                std::string other = name == "available" ? "on_hand" : "available";
                changes.push_back({name, rp.quantity - before_name, rp.quantity, rp.level->item_id, rp.level->location_id});
                changes.push_back({other, rp.level->get(other) - before_other, rp.level->get(other), rp.level->item_id, rp.level->location_id});
                st_.emit_level(*rp.level);
            }
        }
        int64_t group_id = apply && !changes.empty() ? st_.next_id() : 0;
        return object("InventorySetQuantitiesPayload", sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, "InventorySetQuantitiesUserError", ps);
            if (!group_id) return nullptr;
            return object("InventoryAdjustmentGroup", ps, [&](const graphql::selection& gf, const json::object& gargs, const sels& gs) -> json::value {
                if (gf.name == "id") return json::value(gid("InventoryAdjustmentGroup", group_id));
                if (gf.name == "createdAt") return json::value(iso_time(now));
                if (gf.name == "reason") return json::value(reason);
                if (gf.name == "referenceDocumentUri") return reference.empty() ? json::value(nullptr) : json::value(reference);
                std::set<std::string> names;
                if (const json::array* q = array(gargs, "quantityNames")) {
                    for (const auto& v : *q) {
                        if (v.is_string()) names.insert(std::string(v.as_string()));
                    }
                }
                std::vector<change> shown;
                for (const auto& c : changes) {
                    if (names.empty() || names.count(c.name)) shown.push_back(c);
                }
                return list(shown, [&](const change& c) {
                    return object("InventoryChange", gs, [&](const graphql::selection& cf, const json::object&, const sels& cs) -> json::value {
                        if (cf.name == "name") return json::value(c.name);
                        if (cf.name == "delta") return json::value(c.delta);
                        if (cf.name == "quantityAfterChange") return json::value(c.after);
                        if (cf.name == "ledgerDocumentUri") return json::value(nullptr);
                        if (cf.name == "item") return item_value(st_.items.at(c.item), cs);
                        return location_value(st_.locations.at(c.location), cs);
                    });
                });
            });
        });
    }

    void apply_metafields(std::vector<metafield>& target, const json::array& input, json::array& errs, const std::string& root) {
        for (size_t i = 0; i < input.size(); ++i) {
            if (!input[i].is_object()) continue;
            const json::object& m = input[i].as_object();
            std::string idx = std::to_string(i);
            auto id = parse_gid(text(m, "id"), "Metafield");
            metafield* existing = nullptr;
            std::string ns = text(m, "namespace").empty() ? "$app" : text(m, "namespace");
            for (auto& t : target) {
                if ((id && t.id == *id) || (!id && t.ns == ns && t.key == text(m, "key"))) existing = &t;
            }
            if (id && !existing) {
                errs.push_back(user_error(field_path({root, "metafields", idx, "id"}), "Metafield does not exist"));
                continue;
            }
            if (!existing) {
                if (text(m, "key").empty()) {
                    errs.push_back(user_error(field_path({root, "metafields", idx, "key"}), "Key can't be blank"));
                    continue;
                }
                if (text(m, "type").empty()) {
                    errs.push_back(user_error(field_path({root, "metafields", idx, "type"}), "Type can't be blank"));
                    continue;
                }
                metafield nm;
                nm.id = st_.next_id();
                nm.ns = ns;
                nm.key = text(m, "key");
                nm.created_at = st_.now();
                target.push_back(nm);
                existing = &target.back();
            }
            if (m.contains("value")) existing->value = text(m, "value");
            if (!text(m, "type").empty()) existing->type = text(m, "type");
            existing->updated_at = st_.now();
        }
    }

    json::value order_update(const json::object& args, const sels& sub) {
        const json::object* input = object_of(args, "input");
        json::array errs;
        auto id = input ? parse_gid(text(*input, "id"), "Order") : std::nullopt;
        order* o = id && st_.orders.count(*id) ? &st_.orders.at(*id) : nullptr;
        if (!o) {
            errs.push_back(user_error(field_path({"id"}), "Order does not exist"));
        } else {
            order updated = *o;
            if (input->contains("email")) updated.email = text(*input, "email");
            if (input->contains("note")) updated.note = text(*input, "note");
            if (input->contains("poNumber")) updated.po_number = text(*input, "poNumber");
            if (const json::array* tags = array(*input, "tags")) {
                updated.tags.clear();
                for (const auto& t : *tags) {
                    if (t.is_string()) updated.tags.emplace_back(t.as_string());
                }
            }
            if (const json::object* a = object_of(*input, "shippingAddress")) updated.shipping_address = parse_address(*a);
            if (const json::array* attrs = array(*input, "customAttributes")) {
                updated.custom_attributes.clear();
                for (const auto& a : *attrs) {
                    if (a.is_object()) updated.custom_attributes.emplace_back(text(a.as_object(), "key"), text(a.as_object(), "value"));
                }
            }
            if (const json::array* ms = array(*input, "metafields")) apply_metafields(updated.metafields, *ms, errs, "metafields");
            if (errs.empty()) {
                updated.updated_at = st_.now();
                *o = std::move(updated);
                st_.emit_order("orders/updated", *o);
            }
        }
        return object("OrderUpdatePayload", sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, "UserError", ps);
            return o && errs.empty() ? order_value(*o, ps) : json::value(nullptr);
        });
    }

    json::value fulfillment_create(const json::object& args, const sels& sub) {
        const json::object* input = object_of(args, "fulfillment");
        json::array errs;
        order* target = nullptr;
        std::vector<std::pair<int64_t, int64_t>> lines;  // (fo line id, qty)
        const json::array* groups = input ? array(*input, "lineItemsByFulfillmentOrder") : nullptr;
        if (!groups || groups->empty()) {
            errs.push_back(user_error(field_path({"fulfillment", "lineItemsByFulfillmentOrder"}), "Line items by fulfillment order can't be blank"));
        } else {
            int64_t location_id = 0;
            for (size_t i = 0; i < groups->size(); ++i) {
                std::string idx = std::to_string(i);
                const json::object* g = (*groups)[i].is_object() ? &(*groups)[i].as_object() : nullptr;
                auto fo_id = g ? parse_gid(text(*g, "fulfillmentOrderId"), "FulfillmentOrder") : std::nullopt;
                if (!fo_id || !st_.fulfillment_orders.count(*fo_id)) {
                    errs.push_back(user_error(field_path({"fulfillment", "lineItemsByFulfillmentOrder", idx, "fulfillmentOrderId"}), "Fulfillment order does not exist."));
                    continue;
                }
                fulfillment_order& fo = st_.fulfillment_orders.at(*fo_id);
                order& o = st_.orders.at(fo.order_id);
                if (target && target != &o) {
                    errs.push_back(user_error(field_path({"fulfillment"}), "All fulfillment orders must belong to the same order."));
                    continue;
                }
                if (location_id && location_id != fo.location_id) {
                    errs.push_back(user_error(field_path({"fulfillment"}), "All fulfillment orders must be assigned to the same location."));
                    continue;
                }
                target = &o;
                location_id = fo.location_id;
                if (fo.status == "CLOSED" || fo.status == "CANCELLED") {
                    errs.push_back(user_error(field_path({"fulfillment"}), "Fulfillment order " + gid("FulfillmentOrder", fo.id) +
                                                                              " has an unfulfillable status= " + lower(fo.status) + "."));
                    continue;
                }
                const json::array* items = array(*g, "fulfillmentOrderLineItems");
                if (!items || items->empty()) {
                    for (const auto& l : fo.lines) {
                        if (l.remaining > 0) lines.emplace_back(l.id, l.remaining);
                    }
                    continue;
                }
                for (size_t j = 0; j < items->size(); ++j) {
                    std::string jdx = std::to_string(j);
                    const json::object* it = (*items)[j].is_object() ? &(*items)[j].as_object() : nullptr;
                    int64_t line_id = it ? parse_gid(text(*it, "id"), "FulfillmentOrderLineItem").value_or(0) : 0;
                    auto qty = it ? number(*it, "quantity") : std::nullopt;
                    auto line = std::find_if(fo.lines.begin(), fo.lines.end(), [&](const auto& l) { return line_id != 0 && l.id == line_id; });
                    if (line == fo.lines.end()) {
                        errs.push_back(user_error(field_path({"fulfillment", "lineItemsByFulfillmentOrder", idx, "fulfillmentOrderLineItems", jdx, "id"}),
                                                  "Fulfillment order line item does not exist."));
                    } else if (!qty || *qty <= 0) {
                        errs.push_back(user_error(field_path({"fulfillment", "lineItemsByFulfillmentOrder", idx, "fulfillmentOrderLineItems", jdx, "quantity"}),
                                                  "Quantity must be greater than 0."));
                    } else if (*qty > line->remaining) {
                        errs.push_back(user_error(field_path({"fulfillment", "lineItemsByFulfillmentOrder", idx, "fulfillmentOrderLineItems", jdx, "quantity"}),
                                                  "Invalid fulfillment order line item quantity requested: " + std::to_string(*qty) +
                                                      " exceeds the remaining quantity " + std::to_string(line->remaining) + "."));
                    } else {
                        lines.emplace_back(line->id, *qty);
                    }
                }
            }
            if (errs.empty() && lines.empty()) errs.push_back(user_error(field_path({"fulfillment"}), "There are no line items left to fulfill."));
        }
        fulfillment* created = nullptr;
        if (errs.empty() && target) {
            std::string number, company, url;
            if (const json::object* t = object_of(*input, "trackingInfo")) {
                number = text(*t, "number");
                company = text(*t, "company");
                url = text(*t, "url");
                if (number.empty()) {
                    if (const json::array* ns = array(*t, "numbers"); ns && !ns->empty() && ns->front().is_string()) number = std::string(ns->front().as_string());
                }
                if (url.empty()) {
                    if (const json::array* us = array(*t, "urls"); us && !us->empty() && us->front().is_string()) url = std::string(us->front().as_string());
                }
            }
            created = &st_.fulfil(*target, lines, company, number, url);
            st_.outbox.push_back({"fulfillments/create", st_.fulfillment_json(*created), {}});
            st_.emit_order(target->fulfillment_status == "fulfilled" ? "orders/fulfilled" : "orders/partially_fulfilled", *target);
            st_.emit_order("orders/updated", *target);
        }
        return object("FulfillmentCreatePayload", sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, "UserError", ps);
            return created ? fulfillment_value(*created, ps) : json::value(nullptr);
        });
    }

    std::vector<tax_line> tax_lines_input(const json::object& o, const char* key) {
        std::vector<tax_line> out;
        if (const json::array* ts = array(o, key)) {
            for (const auto& t : *ts) {
                if (!t.is_object()) continue;
                const json::object& to = t.as_object();
                tax_line tl;
                tl.title = text(to, "title");
                auto rate = to.find("rate");
                if (rate != to.end()) {
                    if (rate->value().is_string()) {
                        // A Decimal that is not a number counts as a missing rate (TAX_LINE_RATE_MISSING).
                        try {
                            tl.rate = std::stod(std::string(rate->value().as_string()));
                        } catch (const std::exception&) {
                            tl.rate = 0;
                        }
                    } else if (rate->value().is_number()) tl.rate = rate->value().to_number<double>();
                }
                tl.price_cents = money_bag(to, "priceSet").value_or(0);
                out.push_back(tl);
            }
        }
        return out;
    }

    json::value order_create(const json::object& args, const sels& sub) {
        json::array errs;
        const json::object* in = object_of(args, "order");
        order_spec spec;
        if (in) {
            spec.email = text(*in, "email");
            spec.note = text(*in, "note");
            spec.name = text(*in, "name");
            spec.currency = text(*in, "currency");
            if (!text(*in, "sourceName").empty()) spec.source_name = text(*in, "sourceName");
            spec.financial_status = lower(text(*in, "financialStatus"));
            spec.taxes_included = in->contains("taxesIncluded") && in->at("taxesIncluded").is_bool() && in->at("taxesIncluded").as_bool();
            spec.test = in->contains("test") && in->at("test").is_bool() && in->at("test").as_bool();
            if (!text(*in, "processedAt").empty()) {
                spec.processed_at = parse_iso_time(text(*in, "processedAt"));
                if (!spec.processed_at) errs.push_back(user_error(field_path({"order", "processedAt"}), "Processed at is invalid", "PROCESSED_AT_INVALID"));
            }
            if (const json::array* tags = array(*in, "tags")) {
                for (const auto& t : *tags) {
                    if (t.is_string()) spec.tags.emplace_back(t.as_string());
                }
            }
            if (const json::object* a = object_of(*in, "shippingAddress")) spec.shipping_address = parse_address(*a);
            if (const json::object* a = object_of(*in, "billingAddress")) spec.billing_address = parse_address(*a);
            const json::array* lines = array(*in, "lineItems");
            for (size_t i = 0; lines && i < lines->size(); ++i) {
                if (!(*lines)[i].is_object()) continue;
                const json::object& l = (*lines)[i].as_object();
                std::string idx = std::to_string(i);
                order_line_spec ls;
                ls.quantity = number(l, "quantity").value_or(0);
                ls.sku = text(l, "sku");
                ls.title = text(l, "title");
                ls.price_cents = money_bag(l, "priceSet");
                ls.tax_lines = tax_lines_input(l, "taxLines");
                ls.requires_shipping = !l.contains("requiresShipping") || !l.at("requiresShipping").is_bool() || l.at("requiresShipping").as_bool();
                if (!text(l, "variantId").empty()) {
                    auto vid = parse_gid(text(l, "variantId"), "ProductVariant");
                    if (!vid || !st_.variants.count(*vid)) {
                        errs.push_back(user_error(field_path({"order", "lineItems", idx, "variantId"}), "Variant does not exist", "INVALID"));
                        continue;
                    }
                    ls.variant_id = *vid;
                    ls.requires_shipping = true;
                } else if (ls.title.empty()) {
                    errs.push_back(user_error(field_path({"order", "lineItems", idx, "title"}), "Title can't be blank", "INVALID"));
                    continue;
                }
                if (ls.quantity <= 0) {
                    errs.push_back(user_error(field_path({"order", "lineItems", idx, "quantity"}), "Quantity must be greater than or equal to 1", "INVALID"));
                    continue;
                }
                spec.lines.push_back(ls);
            }
            if (const json::array* ss = array(*in, "shippingLines")) {
                for (const auto& s : *ss) {
                    if (!s.is_object()) continue;
                    shipping_line sl;
                    sl.title = text(s.as_object(), "title");
                    sl.code = text(s.as_object(), "code");
                    if (!text(s.as_object(), "source").empty()) sl.source = text(s.as_object(), "source");
                    sl.price_cents = money_bag(s.as_object(), "priceSet").value_or(0);
                    sl.tax_lines = tax_lines_input(s.as_object(), "taxLines");
                    spec.shipping_lines.push_back(sl);
                }
            }
            spec.order_tax_lines = tax_lines_input(*in, "taxLines");
            for (const auto& t : spec.order_tax_lines) {
                if (t.rate == 0 && t.price_cents == 0) errs.push_back(user_error(field_path({"order", "taxLines"}), "Tax line rate is missing", "TAX_LINE_RATE_MISSING"));
            }
            if (const json::array* ts = array(*in, "transactions")) {
                for (const auto& t : *ts) {
                    if (!t.is_object()) continue;
                    transaction tx;
                    tx.amount_cents = money_bag(t.as_object(), "amountSet").value_or(0);
                    if (!text(t.as_object(), "kind").empty()) tx.kind = lower(text(t.as_object(), "kind"));
                    if (!text(t.as_object(), "status").empty()) tx.status = lower(text(t.as_object(), "status"));
                    if (!text(t.as_object(), "gateway").empty()) tx.gateway = text(t.as_object(), "gateway");
                    tx.authorization = text(t.as_object(), "authorizationCode");
                    if (auto at = parse_iso_time(text(t.as_object(), "processedAt"))) tx.created_at = *at;
                    spec.transactions.push_back(tx);
                }
            }
            if (const json::object* d = object_of(*in, "discountCode")) {
                discount_code dc;
                if (const json::object* p = object_of(*d, "itemPercentageDiscountCode")) {
                    dc.code = text(*p, "code");
                    dc.type = "percentage";
                    auto it = p->find("percentage");
                    dc.amount_cents = it != p->end() && it->value().is_number() ? std::llround(it->value().to_number<double>() * 100) : 0;
                } else if (const json::object* fx = object_of(*d, "itemFixedDiscountCode")) {
                    dc.code = text(*fx, "code");
                    dc.amount_cents = money_bag(*fx, "amountSet").value_or(0);
                } else if (const json::object* fs = object_of(*d, "freeShippingDiscountCode")) {
                    dc.code = text(*fs, "code");
                    dc.type = "shipping";
                    dc.amount_cents = INT64_MAX / 4;
                }
                if (!dc.code.empty()) spec.discount_codes.push_back(dc);
            }
            if (const json::array* ms = array(*in, "metafields")) {
                std::vector<metafield> m;
                apply_metafields(m, *ms, errs, "order");
                spec.metafields = m;
            }
            if (const json::object* c = object_of(*in, "customer")) {
                const json::object* assoc = object_of(*c, "toAssociate");
                const json::object* upsert = object_of(*c, "toUpsert");
                if (assoc && upsert) {
                    errs.push_back(user_error(field_path({"order", "customer"}), "Only one of toAssociate or toUpsert may be given", "REDUNDANT_CUSTOMER_FIELDS"));
                }
                const json::object* which = assoc ? assoc : upsert;
                if (which) {
                    auto cid = parse_gid(text(*which, "id"), "Customer");
                    std::string email = text(*which, "email");
                    customer* found = nullptr;
                    for (auto& [id, cu] : st_.customers) {
                        if ((cid && cu.id == *cid) || (!cid && !email.empty() && lower(cu.email) == lower(email))) found = &cu;
                    }
                    if (!found && assoc) {
                        errs.push_back(user_error(field_path({"order", "customer", "toAssociate"}), "Customer does not exist", "INVALID"));
                    } else if (!found && upsert && errs.empty()) {
                        customer nc;
                        nc.id = st_.next_id();
                        nc.email = email;
                        nc.first_name = text(*upsert, "firstName");
                        nc.last_name = text(*upsert, "lastName");
                        nc.phone = text(*upsert, "phone");
                        nc.note = text(*upsert, "note");
                        if (const json::value* te = upsert->if_contains("taxExempt"); te && te->is_bool()) nc.tax_exempt = te->as_bool();
                        if (const json::array* addrs = array(*upsert, "addresses"); addrs && !addrs->empty()) nc.default_address = parse_address(addrs->front());
                        nc.created_at = nc.updated_at = st_.now();
                        found = &(st_.customers[nc.id] = nc);
                        st_.outbox.push_back({"customers/create", st_.customer_json(*found), {{"X-Shopify-Customer-Id", std::to_string(nc.id)}}});
                    }
                    if (found) spec.customer_id = found->id;
                }
            }
        }
        if (const json::object* options = object_of(args, "options")) {
            std::string behaviour = text(*options, "inventoryBehaviour");
            spec.decrement_inventory = behaviour == "DECREMENT_IGNORING_POLICY" || behaviour == "DECREMENT_OBEYING_POLICY";
            if (behaviour == "DECREMENT_OBEYING_POLICY" && errs.empty()) {
                const location* loc = st_.default_location();
                for (size_t i = 0; loc && i < spec.lines.size(); ++i) {
                    const auto& ls = spec.lines[i];
                    const variant* v = ls.variant_id ? &st_.variants.at(ls.variant_id) : nullptr;
                    if (!v) continue;
                    auto it = st_.levels.find({v->inventory_item_id, loc->id});
                    if (it == st_.levels.end() || it->second.get("available") < ls.quantity) {
                        errs.push_back(user_error(field_path({"order", "lineItems", std::to_string(i)}), "Unable to reserve inventory for " + v->sku, "INVENTORY_CLAIM_FAILED"));
                    }
                }
            }
        }
        order* created = nullptr;
        if (errs.empty() && in) {
            created = &st_.create_order(spec);
            st_.emit_order("orders/create", *created);
            if (created->financial_status == "paid") st_.emit_order("orders/paid", *created);
        }
        return object("OrderCreatePayload", sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, "OrderCreateUserError", ps);
            return created ? order_value(*created, ps) : json::value(nullptr);
        });
    }

    json::value bulk_run(const json::object& args, const sels& sub) {
        json::array errs;
        std::string inner = text(args, "query");
        prepared_operation bulk_op;
        json::array problems = prepare(inner, json::object{}, "", opt_.api_version, bulk_op);
        for (const auto& e : problems) {
            errs.push_back(user_error(field_path({"query"}), std::string(e.as_object().at("message").as_string()), "INVALID"));
        }
        if (errs.empty()) {
            bool has_connection = false;
            if (bulk_op.op->type != "query") {
                errs.push_back(user_error(field_path({"query"}), "Bulk queries must be a query operation.", "INVALID"));
            }
            for (const auto& s : bulk_op.op->selections) {
                const type_def* root = find_type("QueryRoot");
                if (s.type == graphql::selection::kind::field && root->fields.count(s.name) && root->fields.at(s.name).connection()) has_connection = true;
            }
            if (!has_connection && errs.empty()) {
                errs.push_back(user_error(field_path({"query"}), "Bulk queries must contain at least one connection.", "INVALID"));
            }
        }
        bulk_operation* created = nullptr;
        if (errs.empty()) {
            bulk_operation b;
            b.id = st_.next_id();
            b.query = inner;
            b.created_at = st_.now();
            api_options bulk_opt = opt_;
            bulk_opt.bulk = true;
            json::array run_errors;
            json::value data = execute(bulk_op, st_, bulk_opt, run_errors);
            std::string out;
            int64_t objects = 0, roots = 0;
            std::function<void(const json::object&, const std::string&)> emit = [&](const json::object& node, const std::string& parent) {
                json::object row;
                std::vector<std::pair<std::string, const json::array*>> children;
                for (const auto& [k, v] : node) {
                    const json::array* kids = nullptr;
                    if (v.is_object()) {
                        const json::object& c = v.as_object();
                        if (c.contains("edges") && c.at("edges").is_array()) kids = &c.at("edges").as_array();
                        else if (c.contains("nodes") && c.at("nodes").is_array()) kids = &c.at("nodes").as_array();
                    }
                    if (kids) children.emplace_back(std::string(k), kids);
                    else row[k] = v;
                }
                if (!parent.empty()) row["__parentId"] = parent;
                out += json::serialize(row) + "\n";
                ++objects;
                if (parent.empty()) ++roots;
                std::string my_id = row.contains("id") && row.at("id").is_string() ? std::string(row.at("id").as_string()) : "";
                for (const auto& [k, kids] : children) {
                    for (const auto& kid : *kids) {
                        const json::value& n = kid.is_object() && kid.as_object().contains("node") ? kid.as_object().at("node") : kid;
                        if (n.is_object()) emit(n.as_object(), my_id);
                    }
                }
            };
            if (data.is_object()) {
                for (const auto& [k, v] : data.as_object()) {
                    if (!v.is_object()) continue;
                    const json::object& c = v.as_object();
                    const json::array* nodes = c.contains("edges") && c.at("edges").is_array() ? &c.at("edges").as_array()
                                               : c.contains("nodes") && c.at("nodes").is_array() ? &c.at("nodes").as_array()
                                                                                                  : nullptr;
                    for (size_t i = 0; nodes && i < nodes->size(); ++i) {
                        const json::value& item = (*nodes)[i];
                        const json::value& n = item.is_object() && item.as_object().contains("node") ? item.as_object().at("node") : item;
                        if (n.is_object()) emit(n.as_object(), "");
                    }
                }
            }
            b.jsonl = out;
            b.object_count = objects;
            b.root_object_count = roots;
            b.status = run_errors.empty() ? "COMPLETED" : "FAILED";
            if (!run_errors.empty()) b.error_code = "INTERNAL_SERVER_ERROR";
            b.completed_at = st_.now();
            created = &(st_.bulk_operations[b.id] = b);
            st_.outbox.push_back({"bulk_operations/finish",
                                  json::object{{"admin_graphql_api_id", gid("BulkOperation", b.id)}, {"completed_at", iso_time(b.completed_at)},
                                               {"created_at", iso_time(b.created_at)}, {"error_code", b.error_code.empty() ? json::value(nullptr) : json::value(lower(b.error_code))},
                                               {"status", lower(b.status)}, {"type", "query"}},
                                  {}});
        }
        return object("BulkOperationRunQueryPayload", sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, "BulkOperationUserError", ps);
            // The mutation answers with the operation as just created; polling shows it finished.
            return created ? bulk_value(*created, "CREATED", ps) : json::value(nullptr);
        });
    }

    json::value webhook_create(const graphql::selection& f, const json::object& args, const sels& sub) {
        std::string topic_enum = text(args, "topic");
        std::string topic = topic_from_enum(topic_enum);
        if (topic.empty()) {
            return fail(f, "Argument 'topic' on Field 'webhookSubscriptionCreate' has an invalid value (" + topic_enum +
                               "). Expected type 'WebhookSubscriptionTopic!'.",
                        {{"code", "argumentLiteralsIncompatible"}, {"typeName", "Field"}, {"argumentName", "topic"}});
        }
        json::array errs;
        const json::object* in = object_of(args, "webhookSubscription");
        std::string url = in ? text(*in, "callbackUrl") : "";
        if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
            errs.push_back(user_error(field_path({"webhookSubscription", "callbackUrl"}), "Address is invalid"));
        }
        for (const auto& [id, w] : st_.subscriptions) {
            if (w.topic == topic && w.callback_url == url) {
                errs.push_back(user_error(field_path({"webhookSubscription", "callbackUrl"}), "Address for this topic has already been taken"));
            }
        }
        webhook_subscription* created = nullptr;
        if (errs.empty()) {
            webhook_subscription w;
            w.id = st_.next_id();
            w.topic = topic;
            w.callback_url = url;
            w.api_version = opt_.api_version;
            if (!text(*in, "format").empty()) w.format = text(*in, "format");
            if (const json::array* fields = array(*in, "includeFields")) {
                for (const auto& v : *fields) {
                    if (v.is_string()) w.include_fields.emplace_back(v.as_string());
                }
            }
            w.created_at = w.updated_at = st_.now();
            created = &(st_.subscriptions[w.id] = w);
        }
        return object("WebhookSubscriptionCreatePayload", sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, "UserError", ps);
            return created ? subscription_value(*created, ps) : json::value(nullptr);
        });
    }

    json::value webhook_delete(const json::object& args, const sels& sub) {
        json::array errs;
        auto id = id_arg(args, "id", "WebhookSubscription");
        bool deleted = id && st_.subscriptions.erase(*id) > 0;
        if (!deleted) errs.push_back(user_error(field_path({"id"}), "Webhook subscription does not exist"));
        return object("WebhookSubscriptionDeletePayload", sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, "UserError", ps);
            return deleted ? json::value(gid("WebhookSubscription", *id)) : json::value(nullptr);
        });
    }

    json::value tags_change(bool add, const json::object& args, const sels& sub) {
        json::array errs;
        std::string id = text(args, "id");
        std::vector<std::string> tags;
        if (const json::array* t = array(args, "tags")) {
            for (const auto& v : *t) {
                if (!v.is_string()) continue;
                // A single string may hold several comma-separated tags.
                std::string all(v.as_string()), part;
                for (size_t i = 0; i <= all.size(); ++i) {
                    if (i == all.size() || all[i] == ',') {
                        size_t b = part.find_first_not_of(' '), e = part.find_last_not_of(' ');
                        if (b != std::string::npos) tags.push_back(part.substr(b, e - b + 1));
                        part.clear();
                    } else {
                        part += all[i];
                    }
                }
            }
        }
        auto change = [&](std::vector<std::string>& target) {
            for (const auto& t : tags) {
                auto it = std::find_if(target.begin(), target.end(), [&](const std::string& x) { return lower(x) == lower(t); });
                if (add && it == target.end()) target.push_back(t);
                if (!add && it != target.end()) target.erase(it);
            }
        };
        std::string type;
        const void* node = nullptr;
        if (auto oid = parse_gid(id, "Order"); oid && st_.orders.count(*oid)) {
            order& o = st_.orders.at(*oid);
            change(o.tags);
            o.updated_at = st_.now();
            st_.emit_order("orders/updated", o);
            type = "Order";
            node = &o;
        } else if (auto cid = parse_gid(id, "Customer"); cid && st_.customers.count(*cid)) {
            customer& c = st_.customers.at(*cid);
            change(c.tags);
            c.updated_at = st_.now();
            type = "Customer";
            node = &c;
        } else if (auto pid = parse_gid(id, "Product"); pid && st_.products.count(*pid)) {
            product& p = st_.products.at(*pid);
            change(p.tags);
            p.updated_at = st_.now();
            type = "Product";
            node = &p;
        } else {
            errs.push_back(user_error(field_path({"id"}), "Node not found"));
        }
        return object(add ? "TagsAddPayload" : "TagsRemovePayload", sub, [&](const graphql::selection& pf, const json::object&, const sels& ps) -> json::value {
            if (pf.name == "userErrors") return user_errors(errs, "UserError", ps);
            if (type == "Order") return order_value(*static_cast<const order*>(node), ps);
            if (type == "Customer") return customer_value(*static_cast<const customer*>(node), ps);
            if (type == "Product") return product_value(*static_cast<const product*>(node), ps);
            return nullptr;
        });
    }

    const prepared_operation& p_;
    shop_state& st_;
    const api_options& opt_;
    json::array& errors_;
    json::array path_;
};

}  // namespace

std::string topic_from_enum(const std::string& value) {
    for (const auto& t : known_topics) {
        if (topic_to_enum(t) == value) return t;
    }
    return "";
}

std::string topic_to_enum(const std::string& topic) {
    std::string e = upper(topic);
    std::replace(e.begin(), e.end(), '/', '_');
    return e;
}

json::value execute(const prepared_operation& p, shop_state& state, const api_options& options, json::array& errors) {
    executor x(p, state, options, errors);
    return x.run();
}

}  // namespace ferry::sandbox::shopify
