// Source "fulfillment": polls SYSPRO's dispatch notes (MdnMaster and MdnDetail through COMFND)
// and emits one canonical fulfillment per new note, with its lines and tracking. Dispatch note
// numbers grow, so the cursor is the last note emitted; the host commits it with the records.
#pragma once

#include "enet.hpp"

#include <ferry/plugin.hpp>

#include <map>
#include <string>

namespace ferry::syspro {

class fulfillment_source : public sdk::source {
public:
    static constexpr const char* name = "fulfillment";
    static constexpr const char* description =
        "Polls SYSPRO dispatch notes and emits each new one as a fulfillment with lines and tracking";
    static constexpr const char* streams[] = {"fulfillment"};
    static constexpr uint32_t capabilities = FERRY_CAP_POLL;
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "tracking_number_field": {"type": "string", "minLength": 1,
                                      "description": "MdnMaster column holding the tracking number (default UserDefined1)"},
            "carrier_field": {"type": "string", "minLength": 1,
                              "description": "MdnMaster column holding the carrier (default ShippingInstrs)"},
            "tracking_urls": {"type": "object", "additionalProperties": {"type": "string"},
                              "description": "carrier to tracking URL, with {number} where the tracking number goes"},
            "start_after": {"type": "string", "description": "the first poll takes dispatch notes after this one (default: all)"},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 1000}
        },
        "additionalProperties": false
    })json";

    explicit fulfillment_source(const sdk::create_args& args);

    void poll(std::string_view cursor, sdk::call& out);

private:
    sdk::context ctx_;
    pool_handle pool_;
    std::string tracking_field_ = "UserDefined1";
    std::string carrier_field_ = "ShippingInstrs";
    std::map<std::string, std::string> tracking_urls_;
    std::string start_after_;
    int page_size_ = 100;
};

}  // namespace ferry::syspro
