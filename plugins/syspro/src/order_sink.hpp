// Sink "order": canonical orders become SYSPRO sales orders through SORTOI, keyed by the shop's
// order name as CustomerPoNumber, so that a retry or a replay finds the order instead of posting
// it twice. A cancelled order cancels its sales order (SORTOX).
#pragma once

#include "customers.hpp"
#include "enet.hpp"
#include "queries.hpp"

#include <ferry/plugin.hpp>

#include <map>
#include <string>
#include <vector>

namespace ferry::syspro {

struct order_settings {
    std::string warehouse;
    customer_policy customer;
    std::vector<std::pair<std::string, std::string>> header;      // OrderHeader defaults
    std::vector<std::pair<std::string, std::string>> parameters;  // SORTOI parameters
    std::string on_hold = "reject";                                // reject | suspense
    std::string freight = "freight_line";                          // freight_line | misc_charge | none
    std::string freight_product_class;
    std::string discounts = "net_price";                           // net_price | misc_charge
    std::string discount_product_class;
    std::map<std::string, std::string> tax_codes;                  // "0.2" -> "A"
    std::map<std::string, std::string> shipping_codes;             // shipping code or title -> ShippingInstrsCode
    std::string uom = "EA";
    int price_decimals = 2;
    bool note_as_comment = true;

    static order_settings parse(std::string_view config);
};

class order_sink : public sdk::sink {
public:
    static constexpr const char* name = "order";
    static constexpr const char* description =
        "Imports shop orders as SYSPRO sales orders (SORTOI), finds them again by CustomerPoNumber, cancels them (SORTOX)";
    static constexpr const char* streams[] = {"order"};
    static constexpr uint32_t capabilities = FERRY_CAP_LOOKUP;
    static const char* const config_schema;

    explicit order_sink(const sdk::create_args& args);
    static void check_config(std::string_view config) { order_settings::parse(config); }

    void write(const sdk::delivery& d, sdk::call& out);
    void lookup(const sdk::delivery& d, sdk::call& out);

private:
    void import(const boost::json::object& order, const sdk::record& rec, sdk::call& out);
    void cancel(const sales_order_ref& found, const std::string& label);
    void emit_follow_up(const sdk::record& rec, const boost::json::object& order, const std::string& sales_order,
                        const std::string& customer, const char* status, sdk::call& out);

    sdk::context ctx_;
    pool_handle pool_;
    order_settings settings_;
};

}  // namespace ferry::syspro
