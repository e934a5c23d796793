// Sink "customer": shop customers become SYSPRO customers (ARSSCS), found first by e-mail so that
// a customer is never created twice. An e-mail SYSPRO already knows keeps SYSPRO's details, or
// updates them, as the config says.
#pragma once

#include "customers.hpp"
#include "enet.hpp"

#include <ferry/plugin.hpp>

namespace ferry::syspro {

class customer_sink : public sdk::sink {
public:
    static constexpr const char* name = "customer";
    static constexpr const char* description =
        "Creates or updates SYSPRO customers (ARSSCS) from shop customers, matched by e-mail";
    static constexpr const char* streams[] = {"customer"};
    static constexpr uint32_t capabilities = FERRY_CAP_IDEMPOTENT_WRITE;
    static const char* const config_schema;

    explicit customer_sink(const sdk::create_args& args);
    static void check_config(std::string_view config);

    void write(const sdk::delivery& d, sdk::call& out);

private:
    sdk::context ctx_;
    pool_handle pool_;
    customer_policy policy_;
};

}  // namespace ferry::syspro
