#include "customers.hpp"

#include "fields.hpp"
#include "queries.hpp"
#include "xml.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace ferry::syspro {

namespace json = boost::json;

namespace {

// ARSSCS fields ferry may send, in schema order, with their lengths (0: no length to enforce).
const std::pair<const char*, size_t> arsscs_fields[] = {
    {"Name", 30},         {"ShortName", 10},    {"CreditStatus", 1},  {"CreditLimit", 0},     {"Salesperson", 3},
    {"PriceCode", 0},     {"CustomerClass", 2}, {"Branch", 2},        {"TermsCode", 2},       {"Area", 0},
    {"TaxStatus", 1},     {"Telephone", 20},    {"Contact", 30},      {"Currency", 3},        {"CustomerOnHold", 1},
    {"Email", 50},        {"SoldToAddr1", 40},  {"SoldToAddr2", 40},  {"SoldToAddr3", 40},    {"SoldToAddr4", 40},
    {"SoldToAddr5", 40},  {"SoldPostalCode", 9}, {"ShipToAddr1", 40}, {"ShipToAddr2", 40},    {"ShipToAddr3", 40},
    {"ShipToAddr4", 40},  {"ShipToAddr5", 40},  {"ShipPostalCode", 9},
};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

size_t field_index(const std::string& name) {
    for (size_t i = 0; i < std::size(arsscs_fields); ++i) {
        if (name == arsscs_fields[i].first) return i;
    }
    return std::size(arsscs_fields);
}

std::string known_fields() {
    std::string out;
    for (const auto& [name, length] : arsscs_fields) out += (out.empty() ? "" : ", ") + std::string(name);
    return out;
}

}  // namespace

const char* const customer_policy_schema = R"json({
    "type": "object",
    "properties": {
        "policy": {"enum": ["fixed", "by_email", "by_email_or_create"],
                   "description": "fixed: every order to `code`; by_email: the customer with the buyer's e-mail, else `code`; by_email_or_create: else a new customer"},
        "code": {"type": "string", "maxLength": 7, "description": "the fixed (cash) customer, and the fallback of by_email"},
        "code_prefix": {"type": "string", "maxLength": 2, "description": "prefix of the codes of customers ferry creates"},
        "existing": {"enum": ["keep", "update"], "description": "an e-mail already in SYSPRO with other details: keep SYSPRO's, or update them"},
        "new_customer": {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "ARSSCS fields of new customers: Branch, TermsCode, Currency, CustomerClass, Salesperson, TaxStatus, PriceCode, CreditLimit, Area"}
    },
    "additionalProperties": false
})json";

customer_policy customer_policy::parse(const json::value* config, const std::string& pointer) {
    customer_policy p;
    if (!config) return p;
    const json::object& o = config->as_object();
    if (auto* v = o.if_contains("policy")) p.mode = std::string(v->as_string());
    if (auto* v = o.if_contains("code")) p.code = std::string(v->as_string());
    if (auto* v = o.if_contains("code_prefix")) p.code_prefix = std::string(v->as_string());
    if (auto* v = o.if_contains("existing")) p.existing = std::string(v->as_string());
    if (auto* v = o.if_contains("new_customer")) {
        for (const auto& [key, value] : v->as_object()) {
            std::string name(key);
            if (field_index(name) == std::size(arsscs_fields) || name == "Email" || name == "Name") {
                throw sdk::config_error("syspro: '" + name + "' is not a customer default ferry can set (known: " +
                                            known_fields() + "; Name and Email come from the shop)",
                                        pointer + "/new_customer/" + name);
            }
            p.defaults.emplace_back(name, std::string(value.as_string()));
        }
    }
    if (p.mode == "fixed" && p.code.empty()) {
        throw sdk::config_error("syspro: the fixed customer policy needs a customer 'code'", pointer + "/code");
    }
    if (p.code.size() > 7) throw sdk::config_error("syspro: customer codes have at most 7 characters", pointer + "/code");
    return p;
}

std::string customer_code_for(const std::string& email, const std::string& prefix) {
    uint64_t hash = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : lower(email)) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string code = prefix;
    while (code.size() < 7) {
        code += digits[hash % 36];
        hash /= 36;
    }
    return code;
}

std::optional<std::string> find_customer_by_email(session_pool& pool, const sdk::context& ctx, const std::string& email) {
    table_query q;
    q.table = "ArCustomer";
    q.columns = {"Customer", "Email"};
    q.where = {{"Email", "EQ", email}};
    q.order_by = "Customer";
    q.return_rows = 5;
    for (const row& r : find_rows(pool, ctx, q)) {
        // COMFND compares as the database collates; make the match exact but case-blind here.
        if (lower(r.at("Email")) == lower(email) && !r.at("Customer").empty()) return r.at("Customer");
    }
    return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> customer_fields(const sdk::context& ctx, const json::object& person,
                                                                 const json::value* address, const std::string& label) {
    std::vector<std::pair<std::string, std::string>> fields;
    auto put = [&](const char* name, const std::string& value) {
        if (value.empty()) return;
        size_t limit = arsscs_fields[field_index(name)].second;
        fields.emplace_back(name, limit ? fit(ctx, value, limit, name, label) : value);
    };
    std::string first = string_in(person, "first_name");
    std::string last = string_in(person, "last_name");
    std::string name = first.empty() ? last : last.empty() ? first : first + " " + last;
    if (name.empty()) name = string_in(person, "company");
    if (name.empty()) name = string_in(person, "email");
    put("Name", name);
    put("Telephone", string_in(person, "phone"));
    put("Contact", first.empty() && last.empty() ? std::string() : name);
    put("Email", string_in(person, "email"));
    if (address && address->is_object()) {
        const json::object& a = address->as_object();
        for (const char* prefix : {"SoldTo", "ShipTo"}) {
            std::string p(prefix);
            put((p + "Addr1").c_str(), string_in(a, "address1"));
            put((p + "Addr2").c_str(), string_in(a, "address2"));
            put((p + "Addr3").c_str(), string_in(a, "city"));
            put((p + "Addr4").c_str(), string_in(a, "province"));
            put((p + "Addr5").c_str(), string_in(a, "country"));
            put(p == "SoldTo" ? "SoldPostalCode" : "ShipPostalCode", string_in(a, "zip"));
        }
    }
    return fields;
}

void save_customer(session_pool& pool, const sdk::context& ctx, const customer_policy& policy, const std::string& code,
                   const std::vector<std::pair<std::string, std::string>>& fields, bool update, const std::string& label) {
    std::vector<std::pair<std::string, std::string>> all = fields;
    if (!update) {
        for (const auto& d : policy.defaults) {
            bool given = std::any_of(all.begin(), all.end(), [&](const auto& f) { return f.first == d.first; });
            if (!given) all.push_back(d);
        }
    }
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return field_index(a.first) < field_index(b.first); });

    pugi::xml_document parameters;
    pugi::xml_node p = parameters.append_child("SetupArCustomer").append_child("Parameters");
    add_text(p, "IgnoreWarnings", "N");
    add_text(p, "ApplyIfEntireDocumentValid", "Y");
    add_text(p, "ValidateOnly", "N");
    pugi::xml_document document;
    pugi::xml_node item = document.append_child("SetupArCustomer").append_child("Item");
    add_text(item.append_child("Key"), "Customer", code);
    for (const auto& [name, value] : all) add_text(item, name.c_str(), value);

    pugi::xml_document answer;
    post(pool, ctx, update ? "Setup/Update" : "Setup/Add", "ARSSCS", compact(parameters), compact(document), answer);
    std::vector<enet_message> errors = errors_in(answer);
    if (errors.empty()) {
        ctx.counter_add(update ? "customers_updated" : "customers_created");
        return;
    }
    if (!update) {
        std::string text = lower(describe(errors));
        if (text.find("exist") != std::string::npos || text.find("already") != std::string::npos) return;
    }
    throw sdk::reject_error(label + ": SYSPRO refused customer '" + code + "': " + describe(errors));
}

std::string create_customer(session_pool& pool, const sdk::context& ctx, const customer_policy& policy,
                            const json::object& person, const json::value* address, const std::string& label) {
    std::string email = string_in(person, "email");
    std::string code = customer_code_for(email, policy.code_prefix);
    save_customer(pool, ctx, policy, code, customer_fields(ctx, person, address, label), false, label);
    // An Add that found the code taken counts as ours; make sure it is, and not another buyer's.
    std::optional<std::string> saved = find_customer_by_email(pool, ctx, email);
    if (!saved || *saved != code) {
        throw sdk::reject_error(label + ": SYSPRO customer code " + code + " derived for " + email +
                                " belongs to another customer; set the order's customer with a mapping (ext.syspro.customer)");
    }
    ctx.info(label + ": SYSPRO customer " + code + " for " + email);
    return code;
}

std::string resolve_customer(session_pool& pool, const sdk::context& ctx, const customer_policy& policy,
                             const json::value* buyer, const std::string& order_email, const json::value* address,
                             const std::string& label) {
    if (policy.mode == "fixed") return policy.code;
    std::string email = order_email;
    if (buyer && buyer->is_object() && email.empty()) email = string_in(buyer->as_object(), "email");
    if (email.empty()) {
        if (!policy.code.empty()) return policy.code;
        throw sdk::reject_error(label + ": the order has no e-mail to find its SYSPRO customer by, and no fallback customer 'code' is configured");
    }
    if (auto found = find_customer_by_email(pool, ctx, email)) return *found;
    if (policy.mode == "by_email") {
        if (!policy.code.empty()) return policy.code;
        throw sdk::reject_error(label + ": no SYSPRO customer has the e-mail " + email +
                                " (policy by_email; use by_email_or_create, or set a fallback 'code')");
    }
    json::object person;
    if (buyer && buyer->is_object()) person = buyer->as_object();
    person["email"] = email;
    return create_customer(pool, ctx, policy, person, address, label);
}

}  // namespace ferry::syspro
