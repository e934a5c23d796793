// Sink "dispatch": for merchants whose warehouse or 3PL ships in the shop, each shop fulfillment
// becomes a SYSPRO dispatch note (SORTDN) for the order's lines, and then, if configured, an
// invoice (SORTIC). The shop's fulfillment ID rides in the note's UserDefined2, which is how a
// retry finds the note instead of shipping the goods twice.
#pragma once

#include "enet.hpp"

#include <ferry/plugin.hpp>

namespace ferry::syspro {

class dispatch_sink : public sdk::sink {
public:
    static constexpr const char* name = "dispatch";
    static constexpr const char* description =
        "Posts shop fulfillments as SYSPRO dispatch notes (SORTDN) and invoices them (SORTIC)";
    static constexpr const char* streams[] = {"fulfillment"};
    static constexpr uint32_t capabilities = FERRY_CAP_LOOKUP;
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "invoice": {"type": "boolean", "description": "invoice the order after each dispatch (default true)"},
            "tracking_number_field": {"type": "string", "enum": ["UserDefined1"],
                                      "description": "where the tracking number goes (DispatchHeader UserDefined1)"}
        },
        "additionalProperties": false
    })json";

    explicit dispatch_sink(const sdk::create_args& args);

    void write(const sdk::delivery& d, sdk::call& out);
    void lookup(const sdk::delivery& d, sdk::call& out);

private:
    std::optional<std::string> find_note(const std::string& fulfillment_ref);

    sdk::context ctx_;
    pool_handle pool_;
    bool invoice_ = true;
};

}  // namespace ferry::syspro
