// Sink "payment": shop payments become SYSPRO AR payments (ARSTPY), posted on account of the
// customer of the order's sales order, with the gateway mapped to a bank and payment type.
#pragma once

#include "enet.hpp"

#include <ferry/plugin.hpp>

#include <map>
#include <string>

namespace ferry::syspro {

struct payment_method {
    std::string bank;
    std::string payment_type;  // C check, S cash, O other
};

class payment_sink : public sdk::sink {
public:
    static constexpr const char* name = "payment";
    static constexpr const char* description =
        "Posts shop payments as SYSPRO AR payments (ARSTPY) against the customer of the order's sales order";
    static constexpr const char* streams[] = {"payment"};
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "required": ["gateways"],
        "properties": {
            "gateways": {"type": "object", "minProperties": 1,
                         "additionalProperties": {"type": "object", "required": ["bank"],
                                                  "properties": {"bank": {"type": "string", "minLength": 1},
                                                                 "payment_type": {"enum": ["C", "S", "O"]}},
                                                  "additionalProperties": false},
                         "description": "shop gateway (shopify_payments, paypal, manual, ...) to SYSPRO bank and payment type"},
            "journal_notation": {"type": "string", "minLength": 1, "description": "ARSTPY's mandatory JournalNotation; default 'Shop payments'"}
        },
        "additionalProperties": false
    })json";

    explicit payment_sink(const sdk::create_args& args);

    void write(const sdk::delivery& d, sdk::call& out);

private:
    sdk::context ctx_;
    pool_handle pool_;
    std::map<std::string, payment_method> gateways_;
    std::string journal_notation_ = "Shop payments";
};

}  // namespace ferry::syspro
