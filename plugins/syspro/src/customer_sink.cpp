#include "customer_sink.hpp"

#include <boost/json.hpp>

namespace ferry::syspro {

namespace json = boost::json;

namespace {

customer_policy parse_policy(std::string_view config) {
    json::error_code ec;
    json::value parsed = json::parse(config, ec);
    if (ec || !parsed.is_object()) throw sdk::config_error("syspro.customer: the config must be a JSON object", "");
    json::object policy = parsed.as_object();
    if (!policy.contains("policy")) policy["policy"] = "by_email_or_create";
    json::value v(policy);
    customer_policy p = customer_policy::parse(&v, "");
    if (p.mode != "by_email_or_create") {
        throw sdk::config_error("syspro.customer: a customer sink finds by e-mail and creates; its policy is by_email_or_create",
                                "/policy");
    }
    return p;
}

}  // namespace

const char* const customer_sink::config_schema = customer_policy_schema;

void customer_sink::check_config(std::string_view config) { parse_policy(config); }

customer_sink::customer_sink(const sdk::create_args& args)
    : ctx_(args.context), pool_(std::string(args.connection), args.connection_config), policy_(parse_policy(args.config)) {
    pool_.bind(ctx_);
}

void customer_sink::write(const sdk::delivery& d, sdk::call& out) {
    json::error_code ec;
    json::value payload = json::parse(d.rec.payload, ec);
    if (ec || !payload.is_object()) throw sdk::reject_error("syspro.customer: the payload is not a JSON object");
    const json::object& customer = payload.as_object();
    const json::value* email_value = customer.if_contains("email");
    std::string email = email_value && email_value->is_string() ? std::string(email_value->as_string()) : std::string();
    std::string label = "customer " + (email.empty() ? std::string(d.rec.key) : email);
    if (email.empty()) throw sdk::reject_error(label + ": no e-mail; SYSPRO customers are matched by e-mail");
    const json::value* address = customer.if_contains("default_address");
    if (!address || !address->is_object()) {
        const json::value* all = customer.if_contains("addresses");
        address = all && all->is_array() && !all->as_array().empty() ? &all->as_array()[0] : nullptr;
    }
    std::vector<std::pair<std::string, std::string>> fields = customer_fields(ctx_, customer, address, label);
    if (std::optional<std::string> found = find_customer_by_email(*pool_, ctx_, email)) {
        if (policy_.existing == "update") {
            save_customer(*pool_, ctx_, policy_, *found, fields, true, label);
            ctx_.info(label + ": updated SYSPRO customer " + *found);
        } else {
            ctx_.info(label + ": already SYSPRO customer " + *found + "; its details in SYSPRO are kept (existing: keep)");
        }
        out.set_target_id(*found);
        return;
    }
    out.set_target_id(create_customer(*pool_, ctx_, policy_, customer, address, label));
}

}  // namespace ferry::syspro
