// Source "inventory_level": polls SYSPRO's stock per warehouse and emits a record for each level
// that changed since the last poll.
//
// What was last emitted lives in the connection's state, but a state write is not part of the
// journal's transaction, so it must never run ahead of it: a poll puts the levels it emits into
// its cursor, which the host commits atomically with the records, and the next poll copies them
// into the state before it compares. A crash in between re-emits a change; it never loses one.
#pragma once

#include "enet.hpp"

#include <ferry/plugin.hpp>

#include <map>
#include <string>
#include <vector>

namespace ferry::syspro {

struct stock_level {
    std::string sku;
    std::string warehouse;
    double on_hand = 0;
    double allocated = 0;
    double on_order = 0;
    double available = 0;
};

class inventory_source : public sdk::source {
public:
    static constexpr const char* name = "inventory_level";
    static constexpr const char* description =
        "Polls stock per warehouse (InvWarehouse through COMFND, or INVQRY per stock code) and emits changed levels";
    static constexpr const char* streams[] = {"inventory_level"};
    static constexpr uint32_t capabilities = FERRY_CAP_POLL;
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "required": ["warehouses"],
        "properties": {
            "warehouses": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            "method": {"enum": ["table", "invqry"],
                       "description": "table: page through InvWarehouse with COMFND (one call per page); invqry: INVQRY per stock code, with SYSPRO's AvailableQty"},
            "stock_codes": {"type": "array", "items": {"type": "string"},
                            "description": "invqry only: the stock codes to ask for; default every code in InvMaster"},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 10000}
        },
        "additionalProperties": false
    })json";

    explicit inventory_source(const sdk::create_args& args);

    void poll(std::string_view cursor, sdk::call& out);

private:
    std::vector<stock_level> read_table(const std::string& warehouse);
    std::vector<stock_level> read_invqry();
    std::vector<std::string> all_stock_codes();

    sdk::context ctx_;
    pool_handle pool_;
    std::vector<std::string> warehouses_;
    std::string method_ = "table";
    std::vector<std::string> stock_codes_;
    int page_size_ = 500;
};

}  // namespace ferry::syspro
