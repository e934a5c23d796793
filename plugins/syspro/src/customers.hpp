// SYSPRO customers (ArCustomer) for shop buyers: found by e-mail with COMFND, created and updated
// with ARSSCS. Codes of customers ferry creates are derived from the e-mail, so that a retry after
// a crash finds the same code instead of creating a second customer.
#pragma once

#include "enet.hpp"

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::syspro {

struct customer_policy {
    std::string mode = "fixed";  // fixed | by_email | by_email_or_create
    std::string code;            // the fixed (cash) customer; the fallback of by_email
    std::string code_prefix = "W";
    std::string existing = "keep";  // keep | update: when the e-mail exists with other details
    std::vector<std::pair<std::string, std::string>> defaults;  // ARSSCS fields of new customers

    // Reads {"policy", "code", "code_prefix", "existing", "new_customer"} at `pointer`; throws
    // sdk::config_error.
    static customer_policy parse(const boost::json::value* config, const std::string& pointer);
};

// The JSON Schema of a customer_policy object, for the components' config schemas.
extern const char* const customer_policy_schema;

// The code ferry gives a customer it creates for `email`: the prefix, then base 36 of a hash.
std::string customer_code_for(const std::string& email, const std::string& prefix);

std::optional<std::string> find_customer_by_email(session_pool& pool, const sdk::context& ctx, const std::string& email);

// The ARSSCS fields for a canonical customer (or an order's buyer and address).
std::vector<std::pair<std::string, std::string>> customer_fields(const sdk::context& ctx, const boost::json::object& person,
                                                                 const boost::json::value* address, const std::string& label);

// Setup/Add (or Update) of one customer. An Add that finds the code taken counts as done (it is
// ours, from an earlier attempt). Rejections throw sdk::reject_error with SYSPRO's words.
void save_customer(session_pool& pool, const sdk::context& ctx, const customer_policy& policy, const std::string& code,
                   const std::vector<std::pair<std::string, std::string>>& fields, bool update, const std::string& label);

// Creates the customer for `person` (which has an "email") under the code derived from it.
std::string create_customer(session_pool& pool, const sdk::context& ctx, const customer_policy& policy,
                            const boost::json::object& person, const boost::json::value* address, const std::string& label);

// The customer an order goes to, under the policy. `buyer` is the order's customer object (may be
// null), `address` its billing or shipping address.
std::string resolve_customer(session_pool& pool, const sdk::context& ctx, const customer_policy& policy,
                             const boost::json::value* buyer, const std::string& order_email,
                             const boost::json::value* address, const std::string& label);

}  // namespace ferry::syspro
