// Source "order_status": polls SYSPRO's sales orders (SorMaster) of the last days and emits a
// canonical erp_order_status record whenever an order's status, last dispatch note or last invoice
// changes: how invoices and completion flow back to the shop. What was last emitted rides in the
// cursor and reaches the state at the next poll, as in the inventory source, so a crash re-sends
// a change rather than losing it.
#pragma once

#include "enet.hpp"

#include <ferry/plugin.hpp>

namespace ferry::syspro {

class status_source : public sdk::source {
public:
    static constexpr const char* name = "order_status";
    static constexpr const char* description =
        "Polls SYSPRO sales orders and emits status, dispatch and invoice changes";
    static constexpr const char* streams[] = {"erp_order_status"};
    static constexpr uint32_t capabilities = FERRY_CAP_POLL;
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "lookback_days": {"type": "integer", "minimum": 1, "maximum": 3650,
                              "description": "orders dated within this many days are watched (default 30)"},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 10000}
        },
        "additionalProperties": false
    })json";

    explicit status_source(const sdk::create_args& args);

    void poll(std::string_view cursor, sdk::call& out);

private:
    sdk::context ctx_;
    pool_handle pool_;
    int lookback_days_ = 30;
    int page_size_ = 500;
};

// SYSPRO's order status codes in words (reference section 8).
std::string status_words(const std::string& code);

}  // namespace ferry::syspro
