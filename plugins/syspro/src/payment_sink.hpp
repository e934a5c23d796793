// Sink "payment": shop payments become SYSPRO AR payments (ARSTPY), posted on account of the
// customer of the order's sales order, with the gateway mapped to a bank and payment type. The
// narration starts with the shop's transaction number, which is how a retry finds a payment
// already posted (COMFND on the cash journal) instead of posting it twice.
#pragma once

#include "enet.hpp"

#include <ferry/plugin.hpp>

#include <map>
#include <optional>
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
    static constexpr uint32_t capabilities = FERRY_CAP_LOOKUP;
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
            "journal_notation": {"type": "string", "minLength": 1, "description": "ARSTPY's mandatory JournalNotation; default 'Shop payments'"},
            "payments_table": {"type": "string", "minLength": 1,
                               "description": "table of posted payments to find one again (default ArCshJnlDet)"}
        },
        "additionalProperties": false
    })json";

    explicit payment_sink(const sdk::create_args& args);

    void write(const sdk::delivery& d, sdk::call& out);
    void lookup(const sdk::delivery& d, sdk::call& out);

private:
    struct payment_input;
    payment_input read(const sdk::delivery& d);
    std::optional<std::string> find_posted(const payment_input& p, const std::string& customer);

    sdk::context ctx_;
    pool_handle pool_;
    std::map<std::string, payment_method> gateways_;
    std::string journal_notation_ = "Shop payments";
    std::string payments_table_ = "ArCshJnlDet";
};

}  // namespace ferry::syspro
