#include "shopify/state.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <stdexcept>

namespace ferry::sandbox::shopify {

namespace json = boost::json;

const std::vector<std::string> quantity_names{"available", "on_hand", "committed", "reserved", "damaged",
                                              "safety_stock", "quality_control", "incoming"};
const std::vector<std::string> restock_types{"no_restock", "cancel", "return", "legacy_restock"};

namespace {

// The states that on_hand sums besides available.
const std::vector<std::string> unavailable_names{"committed", "reserved", "damaged", "safety_stock", "quality_control"};

std::string str(const json::object& o, const char* key, const std::string& fallback = "") {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return fallback;
    if (!it->value().is_string()) throw std::invalid_argument(std::string("'") + key + "' must be a string");
    return std::string(it->value().as_string());
}

int64_t integer(const json::object& o, const char* key, int64_t fallback) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return fallback;
    if (it->value().is_int64()) return it->value().as_int64();
    if (it->value().is_uint64()) return static_cast<int64_t>(it->value().as_uint64());
    throw std::invalid_argument(std::string("'") + key + "' must be an integer");
}

int64_t price(const json::object& o, const char* key, int64_t fallback) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return fallback;
    if (it->value().is_string()) {
        auto p = parse_money(std::string(it->value().as_string()));
        if (!p) throw std::invalid_argument(std::string("'") + key + "' is not a decimal amount");
        return *p;
    }
    if (it->value().is_number()) return std::llround(it->value().to_number<double>() * 100);
    throw std::invalid_argument(std::string("'") + key + "' must be a decimal string");
}

std::string handleize(const std::string& title) {
    std::string h;
    for (char c : title) {
        if (std::isalnum(static_cast<unsigned char>(c))) h += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        else if (!h.empty() && h.back() != '-') h += '-';
    }
    while (!h.empty() && h.back() == '-') h.pop_back();
    return h;
}

std::string join_tags(const std::vector<std::string>& tags) {
    std::string s;
    for (const auto& t : tags) s += (s.empty() ? "" : ", ") + t;
    return s;
}

json::array tax_lines_json(const std::vector<tax_line>& lines, const std::string& currency) {
    json::array out;
    for (const auto& t : lines) {
        json::object money{{"amount", money_text(t.price_cents)}, {"currency_code", currency}};
        out.push_back(json::object{{"title", t.title}, {"rate", t.rate}, {"price", money_text(t.price_cents)},
                                   {"price_set", json::object{{"shop_money", money}, {"presentment_money", money}}}});
    }
    return out;
}

json::object money_set(int64_t cents, const std::string& currency) {
    json::object money{{"amount", money_text(cents)}, {"currency_code", currency}};
    return json::object{{"shop_money", money}, {"presentment_money", money}};
}

}  // namespace

int64_t sandbox_clock::now_ms() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + offset_ms;
}

std::string iso_time(int64_t unix_ms) {
    std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<int64_t> parse_iso_time(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    size_t used = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%zn", &y, &mo, &d, &used) != 3 || used != 10) return std::nullopt;
    std::string rest = text.substr(10);
    int64_t offset_s = 0;
    if (!rest.empty()) {
        if (rest[0] != 'T' && rest[0] != ' ') return std::nullopt;
        int n = 0;
        if (std::sscanf(rest.c_str() + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &n) != 3) return std::nullopt;
        std::string zone = rest.substr(1 + n);
        if (!zone.empty() && zone[0] == '.') {
            size_t end = zone.find_first_not_of("0123456789", 1);
            zone = end == std::string::npos ? "" : zone.substr(end);
        }
        if (!zone.empty() && zone != "Z") {
            int zh = 0, zm = 0;
            if ((zone[0] != '+' && zone[0] != '-') || std::sscanf(zone.c_str() + 1, "%2d:%2d", &zh, &zm) < 1) return std::nullopt;
            offset_s = (zh * 3600 + zm * 60) * (zone[0] == '-' ? -1 : 1);
        }
    }
    // Days from civil (Howard Hinnant's algorithm).
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = static_cast<unsigned>(yy - era * 400);
    unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
    return ((days * 86400 + h * 3600 + mi * 60 + s) - offset_s) * 1000;
}

std::string money_text(int64_t cents) {
    std::string sign = cents < 0 ? "-" : "";
    int64_t a = std::llabs(cents);
    std::string frac = std::to_string(a % 100);
    return sign + std::to_string(a / 100) + "." + (frac.size() == 1 ? "0" : "") + frac;
}

std::optional<int64_t> parse_money(const std::string& text) {
    if (text.empty()) return std::nullopt;
    size_t i = 0;
    bool negative = text[0] == '-';
    if (negative) ++i;
    int64_t whole = 0, frac = 0;
    int frac_digits = 0;
    bool digits = false;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, digits = true) whole = whole * 10 + (text[i] - '0');
    if (i < text.size() && text[i] == '.') {
        for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, digits = true) {
            if (frac_digits < 3) {
                frac = frac * 10 + (text[i] - '0');
                ++frac_digits;
            }
        }
    }
    if (!digits || i != text.size()) return std::nullopt;
    while (frac_digits < 3) {
        frac *= 10;
        ++frac_digits;
    }
    int64_t cents = whole * 100 + (frac + 5) / 10;  // half up at the third decimal
    return negative ? -cents : cents;
}

std::string gid(const std::string& type, int64_t id) { return "gid://shopify/" + type + "/" + std::to_string(id); }

std::string authorization_code(int64_t transaction_id) {
    // splitmix64 of the id: neighbouring ids give unrelated codes, as real approvals look.
    uint64_t x = static_cast<uint64_t>(transaction_id) + 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string code;
    for (int i = 0; i < 6; ++i, x /= 36) code += alphabet[x % 36];
    return code;
}

std::optional<int64_t> parse_gid(const std::string& text, const std::string& type) {
    std::string prefix = "gid://shopify/" + type + "/";
    if (text.rfind(prefix, 0) != 0) return std::nullopt;
    std::string rest = text.substr(prefix.size());
    rest = rest.substr(0, rest.find('?'));
    if (rest.empty() || rest.size() > 19 || rest.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    try {
        return std::stoll(rest);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

int64_t inventory_level::get(const std::string& name) const {
    auto it = quantities.find(name);
    return it == quantities.end() ? 0 : it->second;
}

int64_t order::subtotal_cents() const {
    int64_t sum = 0;
    for (const auto& l : line_items) sum += l.price_cents * l.quantity - l.discount_cents;
    return sum;
}

int64_t order::shipping_cents() const {
    int64_t sum = 0;
    for (const auto& s : shipping_lines) sum += s.price_cents;
    for (const auto& d : discount_codes) {
        if (d.type == "shipping") sum -= std::min(sum, d.amount_cents);
    }
    return sum;
}

int64_t order::tax_cents() const {
    int64_t sum = 0;
    for (const auto& l : line_items) {
        for (const auto& t : l.tax_lines) sum += t.price_cents;
    }
    for (const auto& s : shipping_lines) {
        for (const auto& t : s.tax_lines) sum += t.price_cents;
    }
    return sum;
}

int64_t order::discount_cents() const {
    int64_t sum = 0;
    for (const auto& l : line_items) sum += l.discount_cents;
    return sum;
}

int64_t order::total_cents() const {
    return subtotal_cents() + shipping_cents() + (taxes_included ? 0 : tax_cents());
}

int64_t order::received_cents() const {
    int64_t sum = 0;
    for (const auto& t : transactions) {
        if (t.status != "success") continue;
        if (t.kind == "sale" || t.kind == "capture") sum += t.amount_cents;
        if (t.kind == "refund") sum -= t.amount_cents;
    }
    return sum;
}

int64_t order::refunded_cents() const {
    int64_t sum = 0;
    for (const auto& t : transactions) {
        if (t.status == "success" && t.kind == "refund") sum += t.amount_cents;
    }
    return sum;
}

address parse_address(const json::value& v) {
    if (!v.is_object()) throw std::invalid_argument("an address must be an object");
    const json::object& o = v.as_object();
    auto pick = [&](const char* rest, const char* graphql) {
        std::string s = str(o, rest);
        return s.empty() ? str(o, graphql) : s;
    };
    address a;
    a.first_name = pick("first_name", "firstName");
    a.last_name = pick("last_name", "lastName");
    a.company = str(o, "company");
    a.address1 = str(o, "address1");
    a.address2 = str(o, "address2");
    a.city = str(o, "city");
    a.province = str(o, "province");
    a.province_code = pick("province_code", "provinceCode");
    a.country = str(o, "country");
    a.country_code = pick("country_code", "countryCode");
    a.zip = str(o, "zip");
    a.phone = str(o, "phone");
    return a;
}

json::object address_json(const address& a) {
    return json::object{{"first_name", a.first_name}, {"last_name", a.last_name},
                        {"name", a.first_name + (a.last_name.empty() ? "" : " " + a.last_name)},
                        {"company", a.company.empty() ? json::value(nullptr) : json::value(a.company)},
                        {"address1", a.address1}, {"address2", a.address2}, {"city", a.city},
                        {"province", a.province}, {"province_code", a.province_code}, {"country", a.country},
                        {"country_code", a.country_code}, {"zip", a.zip}, {"phone", a.phone}};
}

shop_state::shop_state(const sandbox_clock& clock) : clock_(clock) { shop_id = next_id(); }

const variant* shop_state::variant_by_sku(const std::string& sku) const {
    for (const auto& [id, v] : variants) {
        if (v.sku == sku) return &v;
    }
    return nullptr;
}

const location* shop_state::location_by_name(const std::string& name) const {
    for (const auto& [id, l] : locations) {
        if (l.name == name) return &l;
    }
    return nullptr;
}

const location* shop_state::default_location() const {
    for (const auto& [id, l] : locations) {
        if (l.active) return &l;
    }
    return nullptr;
}

inventory_level& shop_state::level(int64_t item_id, int64_t location_id) {
    auto key = std::make_pair(item_id, location_id);
    auto it = levels.find(key);
    if (it != levels.end()) return it->second;
    inventory_level l;
    l.item_id = item_id;
    l.location_id = location_id;
    for (const auto& n : quantity_names) l.quantities[n] = 0;
    l.created_at = l.updated_at = now();
    return levels.emplace(key, std::move(l)).first->second;
}

void shop_state::set_quantity(inventory_level& lvl, const std::string& name, int64_t value) {
    int64_t delta = value - lvl.get(name);
    lvl.quantities[name] = value;
    if (name == "on_hand") {
        lvl.quantities["available"] += delta;  // on_hand moves with what is available to sell
    } else if (name == "available" ||
               std::find(unavailable_names.begin(), unavailable_names.end(), name) != unavailable_names.end()) {
        lvl.quantities["on_hand"] += delta;
    }
    lvl.updated_at = now();
}

void shop_state::seed(const json::object& data) {
    for (const auto& [key, v] : data) {
        if (key == "shop") {
            if (!v.is_object()) throw std::invalid_argument("shopify.shop must be an object");
            const auto& o = v.as_object();
            shop_name = str(o, "name", shop_name);
            shop_domain = str(o, "domain", shop_domain);
            shop_email = str(o, "email", shop_email);
            currency = str(o, "currency", currency);
            timezone = str(o, "timezone", timezone);
        } else if (key == "locations" || key == "products" || key == "customers") {
            if (!v.is_array()) throw std::invalid_argument("shopify." + std::string(key) + " must be an array");
            for (const auto& e : v.as_array()) {
                if (!e.is_object()) throw std::invalid_argument("each of shopify." + std::string(key) + " must be an object");
                try {
                    if (key == "locations") seed_location(e.as_object());
                    if (key == "products") seed_product(e.as_object());
                    if (key == "customers") seed_customer(e.as_object());
                } catch (const std::invalid_argument& err) {
                    throw std::invalid_argument("shopify." + std::string(key) + ": " + err.what());
                }
            }
        }
    }
}

void shop_state::seed_location(const json::object& o) {
    location l;
    l.id = integer(o, "id", 0);
    if (l.id == 0) l.id = next_id();
    l.name = str(o, "name");
    if (l.name.empty()) throw std::invalid_argument("a location needs a 'name'");
    l.active = !o.contains("active") || o.at("active").as_bool();
    l.addr = parse_address(o.contains("address") ? o.at("address") : json::value(json::object{}));
    if (l.addr.country_code.empty()) l.addr.country_code = "US";
    l.created_at = l.updated_at = now();
    locations[l.id] = std::move(l);
}

void shop_state::seed_product(const json::object& o) {
    product p;
    p.id = integer(o, "id", 0);
    if (p.id == 0) p.id = next_id();
    p.title = str(o, "title");
    if (p.title.empty()) throw std::invalid_argument("a product needs a 'title'");
    p.handle = str(o, "handle", handleize(p.title));
    p.vendor = str(o, "vendor", shop_name);
    p.product_type = str(o, "product_type");
    p.status = str(o, "status", "ACTIVE");
    if (o.contains("tags")) {
        for (const auto& t : o.at("tags").as_array()) p.tags.emplace_back(t.as_string());
    }
    p.created_at = p.updated_at = now();
    bool single = !o.contains("variants");
    json::array variant_list;
    if (!single) {
        if (!o.at("variants").is_array()) throw std::invalid_argument("'variants' must be an array");
        variant_list = o.at("variants").as_array();
    } else {
        variant_list.push_back(o);  // a single-variant product may give sku, price and stock itself
    }
    for (const auto& vv : variant_list) {
        if (!vv.is_object()) throw std::invalid_argument("each variant must be an object");
        const auto& vo = vv.as_object();
        variant v;
        v.id = integer(vo, single ? "variant_id" : "id", 0);
        if (v.id == 0) v.id = next_id();
        v.product_id = p.id;
        v.sku = str(vo, "sku");
        if (v.sku.empty()) throw std::invalid_argument("each variant of '" + p.title + "' needs a 'sku'");
        if (variant_by_sku(v.sku)) throw std::invalid_argument("SKU '" + v.sku + "' is seeded twice");
        v.title = single ? "Default Title" : str(vo, "title", "Default Title");
        v.barcode = str(vo, "barcode");
        v.price_cents = price(vo, "price", 1000);
        v.created_at = v.updated_at = now();
        inventory_item item;
        item.id = integer(vo, "inventory_item_id", 0);
        if (item.id == 0) item.id = next_id();
        item.variant_id = v.id;
        item.created_at = item.updated_at = now();
        v.inventory_item_id = item.id;
        items[item.id] = item;
        if (vo.contains("stock")) {
            if (!vo.at("stock").is_object()) throw std::invalid_argument("'stock' of SKU '" + v.sku + "' must map location names to quantities");
            for (const auto& [loc_name, qty] : vo.at("stock").as_object()) {
                const location* l = location_by_name(std::string(loc_name));
                if (!l) throw std::invalid_argument("SKU '" + v.sku + "': no seeded location named '" + std::string(loc_name) + "'");
                if (!qty.is_int64()) throw std::invalid_argument("SKU '" + v.sku + "': stock at '" + std::string(loc_name) + "' must be an integer");
                set_quantity(level(item.id, l->id), "available", qty.as_int64());
            }
        }
        p.variant_ids.push_back(v.id);
        variants[v.id] = std::move(v);
    }
    products[p.id] = std::move(p);
}

void shop_state::seed_customer(const json::object& o) {
    customer c;
    c.id = integer(o, "id", 0);
    if (c.id == 0) c.id = next_id();
    c.email = str(o, "email");
    if (c.email.empty()) throw std::invalid_argument("a customer needs an 'email'");
    c.first_name = str(o, "first_name");
    c.last_name = str(o, "last_name");
    c.phone = str(o, "phone");
    c.note = str(o, "note");
    if (o.contains("tax_exempt")) {
        if (!o.at("tax_exempt").is_bool()) throw std::invalid_argument("'tax_exempt' of customer '" + c.email + "' must be true or false");
        c.tax_exempt = o.at("tax_exempt").as_bool();
    }
    if (o.contains("address")) c.default_address = parse_address(o.at("address"));
    if (c.default_address.first_name.empty()) c.default_address.first_name = c.first_name;
    if (c.default_address.last_name.empty()) c.default_address.last_name = c.last_name;
    c.created_at = c.updated_at = now();
    customers[c.id] = std::move(c);
}

order& shop_state::create_order(const order_spec& spec) {
    order o;
    o.id = next_id();
    o.number = next_order_number_++;
    o.name = spec.name.empty() ? "#" + std::to_string(o.number) : spec.name;
    o.customer_id = spec.customer_id;
    const customer* c = customers.count(spec.customer_id) ? &customers.at(spec.customer_id) : nullptr;
    o.email = !spec.email.empty() ? spec.email : c ? c->email : "";
    o.phone = c ? c->phone : "";
    o.note = spec.note;
    o.tags = spec.tags;
    o.currency = spec.currency.empty() ? currency : spec.currency;
    o.source_name = spec.source_name;
    o.taxes_included = spec.taxes_included;
    o.test = spec.test;
    o.created_at = o.updated_at = now();
    o.processed_at = spec.processed_at.value_or(o.created_at);
    if (spec.shipping_address) o.shipping_address = *spec.shipping_address;
    else if (c) o.shipping_address = c->default_address;
    o.billing_address = spec.billing_address ? *spec.billing_address : o.shipping_address;
    for (const auto& ls : spec.lines) {
        line_item li;
        li.id = next_id();
        li.quantity = ls.quantity;
        li.requires_shipping = ls.requires_shipping;
        const variant* v = ls.variant_id ? (variants.count(ls.variant_id) ? &variants.at(ls.variant_id) : nullptr)
                                         : variant_by_sku(ls.sku);
        if (v) {
            const product& p = products.at(v->product_id);
            li.variant_id = v->id;
            li.product_id = p.id;
            li.sku = v->sku;
            li.title = p.title;
            li.variant_title = v->title == "Default Title" ? "" : v->title;
            li.vendor = p.vendor;
            li.price_cents = ls.price_cents.value_or(v->price_cents);
        } else {
            li.sku = ls.sku;
            li.title = ls.title.empty() ? "Custom item " + ls.sku : ls.title;
            li.price_cents = ls.price_cents.value_or(1000);
        }
        if (!ls.title.empty()) li.title = ls.title;
        li.tax_lines = ls.tax_lines;
        o.line_items.push_back(std::move(li));
    }
    // Order-level tax lines are spread over the lines in proportion to their amounts.
    if (!spec.order_tax_lines.empty()) {
        for (auto& li : o.line_items) {
            if (!li.tax_lines.empty()) continue;
            for (const auto& t : spec.order_tax_lines) {
                tax_line share = t;
                share.price_cents = std::llround(static_cast<double>(li.price_cents * li.quantity) * t.rate);
                li.tax_lines.push_back(share);
            }
        }
    }
    o.discount_codes = spec.discount_codes;
    for (const auto& d : o.discount_codes) {
        if (d.type == "shipping" || o.line_items.empty()) continue;
        int64_t gross = 0;
        for (const auto& li : o.line_items) gross += li.price_cents * li.quantity;
        int64_t total = d.type == "percentage" ? gross * d.amount_cents / 10000 : std::min(gross, d.amount_cents);
        int64_t left = total;
        for (size_t i = 0; i < o.line_items.size(); ++i) {
            auto& li = o.line_items[i];
            int64_t share = i + 1 == o.line_items.size() ? left
                                                         : (gross ? total * li.price_cents * li.quantity / gross : 0);
            li.discount_cents += share;
            left -= share;
        }
    }
    for (auto s : spec.shipping_lines) {
        s.id = next_id();
        o.shipping_lines.push_back(std::move(s));
    }
    for (auto t : spec.transactions) {
        t.id = next_id();
        if (t.created_at == 0) t.created_at = o.processed_at;
        o.transactions.push_back(std::move(t));
    }
    for (auto m : spec.metafields) {
        m.id = next_id();
        m.created_at = m.updated_at = o.created_at;
        o.metafields.push_back(std::move(m));
    }
    if (!spec.financial_status.empty()) {
        o.financial_status = spec.financial_status;
    } else {
        int64_t received = o.received_cents();
        bool authorized = std::any_of(o.transactions.begin(), o.transactions.end(),
                                      [](const transaction& t) { return t.kind == "authorization" && t.status == "success"; });
        o.financial_status = received >= o.total_cents() && received > 0 ? "paid"
                             : received > 0                               ? "partially_paid"
                             : authorized                                 ? "authorized"
                                                                          : "pending";
    }
    // One fulfillment order at the first active location holds every line that ships.
    const location* loc = default_location();
    if (loc) {
        fulfillment_order fo;
        fo.id = next_id();
        fo.order_id = o.id;
        fo.location_id = loc->id;
        fo.created_at = fo.updated_at = o.created_at;
        for (const auto& li : o.line_items) {
            if (!li.requires_shipping) continue;
            fo.lines.push_back({next_id(), li.id, li.quantity, li.quantity});
        }
        if (!fo.lines.empty()) {
            o.fulfillment_order_ids.push_back(fo.id);
            fulfillment_orders[fo.id] = std::move(fo);
        }
        if (spec.decrement_inventory) {
            for (const auto& li : o.line_items) {
                if (!li.variant_id) continue;
                inventory_level& lvl = level(variants.at(li.variant_id).inventory_item_id, loc->id);
                lvl.quantities["available"] -= li.quantity;
                lvl.quantities["committed"] += li.quantity;
                lvl.updated_at = o.created_at;
            }
        }
    }
    if (c) customers.at(c->id).updated_at = o.created_at;
    int64_t id = o.id;
    return orders.emplace(id, std::move(o)).first->second;
}

void shop_state::update_fulfillment_status(order& o) {
    int64_t ordered = 0, shipped = 0;
    for (const auto& li : o.line_items) {
        if (!li.requires_shipping) continue;
        ordered += li.quantity - li.refunded;
        shipped += li.fulfilled;
    }
    o.fulfillment_status = shipped == 0 ? "" : shipped >= ordered ? "fulfilled" : "partial";
}

fulfillment& shop_state::fulfil(order& o, const std::vector<std::pair<int64_t, int64_t>>& fo_lines,
                                const std::string& company, const std::string& number, const std::string& url) {
    fulfillment f;
    f.id = next_id();
    f.order_id = o.id;
    f.name = o.name + "." + std::to_string(o.fulfillment_ids.size() + 1);
    f.tracking_company = company;
    f.tracking_number = number;
    f.tracking_url = url;
    f.created_at = f.updated_at = now();
    for (const auto& [fo_line_id, qty] : fo_lines) {
        for (auto& [fo_id, fo] : fulfillment_orders) {
            if (fo.order_id != o.id) continue;
            for (auto& line : fo.lines) {
                if (line.id != fo_line_id) continue;
                line.remaining -= qty;
                f.location_id = fo.location_id;
                bool open = std::any_of(fo.lines.begin(), fo.lines.end(), [](const auto& l) { return l.remaining > 0; });
                fo.status = open ? "IN_PROGRESS" : "CLOSED";
                fo.updated_at = f.created_at;
                for (auto& li : o.line_items) {
                    if (li.id != line.line_item_id) continue;
                    li.fulfilled += qty;
                    f.lines.emplace_back(li.id, qty);
                    if (li.variant_id) {
                        inventory_level& lvl = level(variants.at(li.variant_id).inventory_item_id, fo.location_id);
                        // Shipping takes committed stock out of on_hand; stock never committed
                        // (orders created with BYPASS) leaves available instead.
                        int64_t from_committed = std::min(lvl.get("committed"), qty);
                        lvl.quantities["committed"] -= from_committed;
                        lvl.quantities["available"] -= qty - from_committed;
                        lvl.quantities["on_hand"] -= qty;
                        lvl.updated_at = f.created_at;
                    }
                }
            }
        }
    }
    o.fulfillment_ids.push_back(f.id);
    update_fulfillment_status(o);
    o.updated_at = f.created_at;
    int64_t id = f.id;
    return fulfillments.emplace(id, std::move(f)).first->second;
}

void shop_state::cancel(order& o, const std::string& reason, bool restock) {
    o.cancelled_at = o.closed_at = now();
    o.cancel_reason = reason.empty() ? "other" : reason;
    o.updated_at = o.cancelled_at;
    for (int64_t fo_id : o.fulfillment_order_ids) {
        auto& fo = fulfillment_orders.at(fo_id);
        if (fo.status == "CLOSED") continue;
        fo.status = "CANCELLED";
        fo.updated_at = o.updated_at;
        if (!restock) continue;
        for (auto& line : fo.lines) {
            for (const auto& li : o.line_items) {
                if (li.id != line.line_item_id || !li.variant_id) continue;
                inventory_level& lvl = level(variants.at(li.variant_id).inventory_item_id, fo.location_id);
                int64_t back = std::min(lvl.get("committed"), line.remaining);
                lvl.quantities["committed"] -= back;
                lvl.quantities["available"] += back;
                lvl.updated_at = o.updated_at;
            }
            line.remaining = 0;
        }
    }
}

transaction& shop_state::pay(order& o) {
    transaction t;
    t.id = next_id();
    t.kind = "sale";
    t.amount_cents = std::max<int64_t>(0, o.total_cents() - o.received_cents());
    t.created_at = now();
    o.transactions.push_back(t);
    o.financial_status = "paid";
    o.updated_at = t.created_at;
    return o.transactions.back();
}

refund& shop_state::refund_order(order& o, const std::vector<refund_request_line>& lines, const std::string& note) {
    // Check every line before changing anything, so a bad line leaves the order as it was.
    for (const auto& want : lines) {
        auto li = std::find_if(o.line_items.begin(), o.line_items.end(), [&](const line_item& x) { return x.id == want.line_item_id; });
        if (li == o.line_items.end()) throw std::invalid_argument("order " + o.name + " has no line " + std::to_string(want.line_item_id));
        if (std::find(restock_types.begin(), restock_types.end(), want.restock_type) == restock_types.end() || want.restock_type == "legacy_restock") {
            throw std::invalid_argument("restock_type must be no_restock, cancel or return, not '" + want.restock_type + "'");
        }
        int64_t left = li->quantity - li->refunded;
        int64_t unfulfilled = std::max<int64_t>(0, left - li->fulfilled);
        int64_t limit = want.restock_type == "cancel" ? unfulfilled : want.restock_type == "return" ? std::min(left, li->fulfilled) : left;
        if (want.quantity <= 0 || want.quantity > limit) {
            throw std::invalid_argument("line " + std::to_string(li->id) + " (" + li->sku + ") can take back " + std::to_string(limit) +
                                        " with restock_type " + want.restock_type + ", not " + std::to_string(want.quantity));
        }
    }
    refund r;
    r.id = next_id();
    r.order_id = o.id;
    r.note = note;
    r.created_at = r.updated_at = now();
    for (const auto& want : lines) {
        auto& li = *std::find_if(o.line_items.begin(), o.line_items.end(), [&](const line_item& x) { return x.id == want.line_item_id; });
        int64_t qty = want.quantity;
        refund_line rl;
        rl.id = next_id();
        rl.line_item_id = li.id;
        rl.quantity = qty;
        rl.restock_type = want.restock_type;
        for (const auto& t : li.tax_lines) rl.tax_cents += li.quantity ? t.price_cents * qty / li.quantity : 0;
        rl.subtotal_cents = li.quantity ? (li.price_cents * li.quantity - li.discount_cents) * qty / li.quantity : 0;
        r.amount_cents += rl.subtotal_cents + (o.taxes_included ? 0 : rl.tax_cents);
        if (want.restock_type != "no_restock" && li.variant_id) restock(o, li, rl);
        li.refunded += qty;
        r.lines.push_back(rl);
    }
    update_fulfillment_status(o);
    if (lines.empty()) r.amount_cents = o.received_cents();  // a full refund of what was paid
    r.amount_cents = std::min(r.amount_cents, o.received_cents());
    if (r.amount_cents > 0) {
        transaction t;
        t.id = next_id();
        t.kind = "refund";
        t.amount_cents = r.amount_cents;
        t.created_at = r.created_at;
        // The money goes back through the gateway that took it.
        for (const auto& paid : o.transactions) {
            if ((paid.kind == "sale" || paid.kind == "capture") && paid.status == "success") {
                t.gateway = paid.gateway;
                break;
            }
        }
        if (t.gateway != "manual") t.authorization = authorization_code(t.id);
        o.transactions.push_back(t);
        r.transaction_ids.push_back(t.id);
    }
    o.financial_status = o.received_cents() <= 0 ? "refunded" : "partially_refunded";
    o.refund_ids.push_back(r.id);
    o.updated_at = r.created_at;
    int64_t id = r.id;
    return refunds.emplace(id, std::move(r)).first->second;
}

void shop_state::restock(order& o, const line_item& li, refund_line& rl) {
    if (rl.restock_type == "cancel") {
        // Unfulfilled units leave the fulfillment order; what was committed for them is free again.
        int64_t left = rl.quantity;
        for (int64_t fo_id : o.fulfillment_order_ids) {
            auto& fo = fulfillment_orders.at(fo_id);
            for (auto& line : fo.lines) {
                if (line.line_item_id != li.id || left == 0) continue;
                int64_t take = std::min(left, line.remaining);
                if (take == 0) continue;
                line.remaining -= take;
                left -= take;
                fo.updated_at = now();
                inventory_level& lvl = level(variants.at(li.variant_id).inventory_item_id, fo.location_id);
                int64_t back = std::min(lvl.get("committed"), take);
                lvl.quantities["committed"] -= back;
                lvl.quantities["available"] += back;
                lvl.updated_at = now();
                rl.location_id = fo.location_id;
                emit_level(lvl);
            }
            bool done = std::all_of(fo.lines.begin(), fo.lines.end(), [](const fulfillment_order_line& l) { return l.remaining == 0; });
            if (done && fo.status != "CANCELLED") fo.status = "CLOSED";
        }
        return;
    }
    // return: the goods come back to the location that shipped them.
    int64_t loc = 0;
    for (int64_t f_id : o.fulfillment_ids) {
        const fulfillment& f = fulfillments.at(f_id);
        for (const auto& [line_id, q] : f.lines) {
            if (line_id == li.id && q > 0) loc = f.location_id;
        }
    }
    if (const location* fallback = default_location(); !loc && fallback) loc = fallback->id;
    if (!loc) return;
    inventory_level& lvl = level(variants.at(li.variant_id).inventory_item_id, loc);
    set_quantity(lvl, "available", lvl.get("available") + rl.quantity);
    lvl.updated_at = now();
    rl.location_id = loc;
    emit_level(lvl);
}

void shop_state::emit_order(const std::string& topic, const order& o) {
    outbox.push_back({topic, order_json(o), {{"X-Shopify-Order-Id", std::to_string(o.id)}}});
}

void shop_state::emit_level(const inventory_level& l) {
    outbox.push_back({"inventory_levels/update", level_json(l), {}});
}

json::object shop_state::customer_json(const customer& c) const {
    json::object addr = address_json(c.default_address);
    addr["id"] = c.id + 1;  // addresses are not modelled as their own objects
    addr["customer_id"] = c.id;
    addr["default"] = true;
    int64_t count = 0;
    for (const auto& [id, o] : orders) count += o.customer_id == c.id;
    return json::object{{"id", c.id}, {"email", c.email}, {"created_at", iso_time(c.created_at)},
                        {"updated_at", iso_time(c.updated_at)}, {"first_name", c.first_name},
                        {"last_name", c.last_name}, {"orders_count", count}, {"state", "enabled"},
                        {"note", c.note.empty() ? json::value(nullptr) : json::value(c.note)},
                        {"verified_email", true}, {"tax_exempt", c.tax_exempt}, {"phone", c.phone.empty() ? json::value(nullptr) : json::value(c.phone)},
                        {"tags", join_tags(c.tags)}, {"currency", currency},
                        {"admin_graphql_api_id", gid("Customer", c.id)}, {"default_address", addr}};
}

json::object shop_state::order_json(const order& o) const {
    json::array lines;
    for (const auto& li : o.line_items) {
        json::object l{{"id", li.id}, {"admin_graphql_api_id", gid("LineItem", li.id)},
                       {"variant_id", li.variant_id ? json::value(li.variant_id) : json::value(nullptr)},
                       {"product_id", li.product_id ? json::value(li.product_id) : json::value(nullptr)},
                       {"sku", li.sku}, {"title", li.title}, {"name", li.title + (li.variant_title.empty() ? "" : " - " + li.variant_title)},
                       {"variant_title", li.variant_title.empty() ? json::value(nullptr) : json::value(li.variant_title)},
                       {"vendor", li.vendor.empty() ? json::value(nullptr) : json::value(li.vendor)},
                       {"quantity", li.quantity}, {"current_quantity", li.quantity - li.refunded},
                       {"fulfillable_quantity", std::max<int64_t>(0, li.quantity - li.refunded - li.fulfilled)},
                       {"fulfillment_status", li.fulfilled == 0 ? json::value(nullptr) : json::value(li.fulfilled >= li.quantity ? "fulfilled" : "partial")},
                       {"price", money_text(li.price_cents)}, {"price_set", money_set(li.price_cents, o.currency)},
                       {"total_discount", money_text(li.discount_cents)}, {"total_discount_set", money_set(li.discount_cents, o.currency)},
                       {"requires_shipping", li.requires_shipping}, {"taxable", li.taxable}, {"gift_card", false},
                       {"tax_lines", tax_lines_json(li.tax_lines, o.currency)}};
        lines.push_back(std::move(l));
    }
    json::array shipping;
    for (const auto& s : o.shipping_lines) {
        shipping.push_back(json::object{{"id", s.id}, {"title", s.title}, {"code", s.code}, {"source", s.source},
                                        {"price", money_text(s.price_cents)}, {"price_set", money_set(s.price_cents, o.currency)},
                                        {"discounted_price", money_text(s.price_cents)},
                                        {"tax_lines", tax_lines_json(s.tax_lines, o.currency)}});
    }
    json::array codes;
    for (const auto& d : o.discount_codes) {
        codes.push_back(json::object{{"code", d.code}, {"type", d.type},
                                     {"amount", d.type == "percentage" ? money_text(d.amount_cents) : money_text(d.amount_cents)}});
    }
    std::map<std::string, std::pair<double, int64_t>> taxes;  // title -> rate, amount
    for (const auto& li : o.line_items) {
        for (const auto& t : li.tax_lines) {
            taxes[t.title].first = t.rate;
            taxes[t.title].second += t.price_cents;
        }
    }
    std::vector<tax_line> order_taxes;
    for (const auto& [title, v] : taxes) order_taxes.push_back({title, v.first, v.second});
    json::array fulfillment_list, refund_list, attributes;
    for (int64_t id : o.fulfillment_ids) fulfillment_list.push_back(fulfillment_json(fulfillments.at(id)));
    for (int64_t id : o.refund_ids) refund_list.push_back(refund_json(refunds.at(id)));
    for (const auto& [k, v] : o.custom_attributes) attributes.push_back(json::object{{"name", k}, {"value", v}});
    auto time_or_null = [](int64_t t) { return t ? json::value(iso_time(t)) : json::value(nullptr); };
    json::object out{{"id", o.id}, {"admin_graphql_api_id", gid("Order", o.id)}, {"name", o.name},
                     {"number", o.number - 1000}, {"order_number", o.number}, {"email", o.email},
                     {"contact_email", o.email}, {"phone", o.phone.empty() ? json::value(nullptr) : json::value(o.phone)},
                     {"created_at", iso_time(o.created_at)}, {"updated_at", iso_time(o.updated_at)},
                     {"processed_at", iso_time(o.processed_at)}, {"cancelled_at", time_or_null(o.cancelled_at)},
                     {"cancel_reason", o.cancel_reason.empty() ? json::value(nullptr) : json::value(o.cancel_reason)},
                     {"closed_at", time_or_null(o.closed_at)}, {"currency", o.currency}, {"presentment_currency", o.currency},
                     {"financial_status", o.financial_status},
                     {"fulfillment_status", o.fulfillment_status.empty() ? json::value(nullptr) : json::value(o.fulfillment_status)},
                     {"note", o.note.empty() ? json::value(nullptr) : json::value(o.note)}, {"note_attributes", attributes},
                     {"tags", join_tags(o.tags)}, {"po_number", o.po_number.empty() ? json::value(nullptr) : json::value(o.po_number)},
                     {"source_name", o.source_name}, {"taxes_included", o.taxes_included}, {"test", o.test},
                     {"subtotal_price", money_text(o.subtotal_cents())}, {"subtotal_price_set", money_set(o.subtotal_cents(), o.currency)},
                     {"total_discounts", money_text(o.discount_cents())}, {"total_discounts_set", money_set(o.discount_cents(), o.currency)},
                     {"total_line_items_price", money_text(o.subtotal_cents() + o.discount_cents())},
                     {"total_shipping_price_set", money_set(o.shipping_cents(), o.currency)},
                     {"total_tax", money_text(o.tax_cents())}, {"total_tax_set", money_set(o.tax_cents(), o.currency)},
                     {"total_price", money_text(o.total_cents())}, {"total_price_set", money_set(o.total_cents(), o.currency)},
                     {"current_total_price", money_text(o.total_cents() - o.refunded_cents())},
                     {"tax_lines", tax_lines_json(order_taxes, o.currency)}, {"discount_codes", codes},
                     {"line_items", lines}, {"shipping_lines", shipping}, {"fulfillments", fulfillment_list},
                     {"refunds", refund_list}};
    out["shipping_address"] = o.shipping_address.empty() ? json::value(nullptr) : json::value(address_json(o.shipping_address));
    out["billing_address"] = o.billing_address.empty() ? json::value(nullptr) : json::value(address_json(o.billing_address));
    out["customer"] = customers.count(o.customer_id) ? json::value(customer_json(customers.at(o.customer_id))) : json::value(nullptr);
    return out;
}

json::object shop_state::fulfillment_json(const fulfillment& f) const {
    const order& o = orders.at(f.order_id);
    json::array lines;
    for (const auto& [line_id, qty] : f.lines) {
        for (const auto& li : o.line_items) {
            if (li.id != line_id) continue;
            lines.push_back(json::object{{"id", li.id}, {"admin_graphql_api_id", gid("LineItem", li.id)}, {"sku", li.sku},
                                         {"title", li.title}, {"quantity", qty},
                                         {"variant_id", li.variant_id ? json::value(li.variant_id) : json::value(nullptr)},
                                         {"price", money_text(li.price_cents)}});
        }
    }
    auto opt = [](const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); };
    json::array numbers, urls;
    if (!f.tracking_number.empty()) numbers.push_back(json::value(f.tracking_number));
    if (!f.tracking_url.empty()) urls.push_back(json::value(f.tracking_url));
    return json::object{{"id", f.id}, {"admin_graphql_api_id", gid("Fulfillment", f.id)}, {"order_id", f.order_id},
                        {"location_id", f.location_id}, {"name", f.name}, {"status", f.status},
                        {"created_at", iso_time(f.created_at)}, {"updated_at", iso_time(f.updated_at)},
                        {"tracking_company", opt(f.tracking_company)}, {"tracking_number", opt(f.tracking_number)},
                        {"tracking_numbers", numbers}, {"tracking_url", opt(f.tracking_url)}, {"tracking_urls", urls},
                        {"shipment_status", nullptr}, {"service", "manual"}, {"line_items", lines}};
}

json::object shop_state::fulfillment_order_json(const fulfillment_order& f) const {
    const order& o = orders.at(f.order_id);
    json::array lines;
    for (const auto& l : f.lines) {
        int64_t variant_id = 0;
        for (const auto& li : o.line_items) {
            if (li.id == l.line_item_id) variant_id = li.variant_id;
        }
        lines.push_back(json::object{{"id", l.id}, {"shop_id", shop_id}, {"fulfillment_order_id", f.id},
                                     {"line_item_id", l.line_item_id}, {"quantity", l.remaining},
                                     {"fulfillable_quantity", l.remaining},
                                     {"inventory_item_id", variant_id ? json::value(variants.at(variant_id).inventory_item_id) : json::value(nullptr)},
                                     {"variant_id", variant_id ? json::value(variant_id) : json::value(nullptr)}});
    }
    std::string status = f.status;
    std::transform(status.begin(), status.end(), status.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
    const location* loc = locations.count(f.location_id) ? &locations.at(f.location_id) : nullptr;
    return json::object{{"id", f.id}, {"shop_id", shop_id}, {"order_id", f.order_id},
                        {"assigned_location_id", f.location_id}, {"request_status", "unsubmitted"}, {"status", status},
                        {"created_at", iso_time(f.created_at)}, {"updated_at", iso_time(f.updated_at)},
                        {"assigned_location", json::object{{"location_id", f.location_id}, {"name", loc ? loc->name : ""}}},
                        {"line_items", lines}};
}

json::object shop_state::refund_json(const refund& r) const {
    const order& o = orders.at(r.order_id);
    json::array lines, txs;
    for (const auto& rl : r.lines) {
        for (const auto& li : o.line_items) {
            if (li.id != rl.line_item_id) continue;
            lines.push_back(json::object{{"id", rl.id}, {"line_item_id", li.id}, {"quantity", rl.quantity},
                                         {"restock_type", rl.restock_type},
                                         {"location_id", rl.location_id ? json::value(rl.location_id) : json::value(nullptr)},
                                         {"subtotal", money_text(rl.subtotal_cents)}, {"subtotal_set", money_set(rl.subtotal_cents, o.currency)},
                                         {"total_tax", money_text(rl.tax_cents)}, {"total_tax_set", money_set(rl.tax_cents, o.currency)},
                                         {"line_item", json::object{{"id", li.id}, {"sku", li.sku}, {"title", li.title}}}});
        }
    }
    for (int64_t tid : r.transaction_ids) {
        for (const auto& t : o.transactions) {
            if (t.id != tid) continue;
            txs.push_back(json::object{{"id", t.id}, {"admin_graphql_api_id", gid("OrderTransaction", t.id)},
                                       {"kind", t.kind}, {"status", t.status}, {"gateway", t.gateway},
                                       {"authorization", t.authorization.empty() ? json::value(nullptr) : json::value(t.authorization)},
                                       {"amount", money_text(t.amount_cents)}, {"currency", o.currency},
                                       {"created_at", iso_time(t.created_at)}});
        }
    }
    return json::object{{"id", r.id}, {"admin_graphql_api_id", gid("Refund", r.id)}, {"order_id", r.order_id},
                        {"created_at", iso_time(r.created_at)}, {"processed_at", iso_time(r.created_at)},
                        {"note", r.note.empty() ? json::value(nullptr) : json::value(r.note)},
                        {"refund_line_items", lines}, {"transactions", txs}};
}

json::object shop_state::level_json(const inventory_level& l) const {
    return json::object{{"inventory_item_id", l.item_id}, {"location_id", l.location_id}, {"available", l.get("available")},
                        {"updated_at", iso_time(l.updated_at)},
                        {"admin_graphql_api_id", gid("InventoryLevel", l.location_id) + "?inventory_item_id=" + std::to_string(l.item_id)}};
}

json::object shop_state::product_json(const product& p) const {
    json::array vs;
    for (int64_t vid : p.variant_ids) {
        const variant& v = variants.at(vid);
        int64_t qty = 0;
        for (const auto& [key, l] : levels) {
            if (key.first == v.inventory_item_id) qty += l.get("available");
        }
        vs.push_back(json::object{{"id", v.id}, {"product_id", p.id}, {"title", v.title}, {"sku", v.sku},
                                  {"price", money_text(v.price_cents)}, {"barcode", v.barcode},
                                  {"inventory_item_id", v.inventory_item_id}, {"inventory_quantity", qty},
                                  {"admin_graphql_api_id", gid("ProductVariant", v.id)},
                                  {"created_at", iso_time(v.created_at)}, {"updated_at", iso_time(v.updated_at)}});
    }
    std::string status = p.status;
    std::transform(status.begin(), status.end(), status.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
    return json::object{{"id", p.id}, {"title", p.title}, {"handle", p.handle}, {"vendor", p.vendor},
                        {"product_type", p.product_type}, {"status", status}, {"tags", join_tags(p.tags)},
                        {"created_at", iso_time(p.created_at)}, {"updated_at", iso_time(p.updated_at)},
                        {"admin_graphql_api_id", gid("Product", p.id)}, {"variants", vs}};
}

json::object shop_state::location_json(const location& l) const {
    return json::object{{"id", l.id}, {"name", l.name}, {"address1", l.addr.address1}, {"address2", l.addr.address2},
                        {"city", l.addr.city}, {"zip", l.addr.zip}, {"province", l.addr.province},
                        {"country_code", l.addr.country_code}, {"active", l.active},
                        {"created_at", iso_time(l.created_at)}, {"updated_at", iso_time(l.updated_at)},
                        {"admin_graphql_api_id", gid("Location", l.id)}};
}

}  // namespace ferry::sandbox::shopify
