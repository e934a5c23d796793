// The "stamp" example plugin: one transform that sets fixed fields on every record's payload,
// for instance to mark which store an order came from.
#include <ferry/plugin.hpp>

#include <boost/json.hpp>

#include <string>

namespace {

namespace json = boost::json;

class stamp_fields : public ferry::sdk::transform {
public:
    static constexpr const char* name = "fields";
    static constexpr const char* description = "Sets fixed fields on each JSON object payload";
    static constexpr const char* streams[] = {"*"};
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {
            "fields": {
                "type": "object",
                "description": "field name to value, set on every payload",
                "minProperties": 1,
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]}
            },
            "overwrite": {
                "type": "boolean",
                "default": false,
                "description": "replace a field the payload already has"
            }
        },
        "required": ["fields"],
        "additionalProperties": false
    })";

    explicit stamp_fields(const ferry::sdk::create_args& args) {
        json::object config = json::parse(args.config).as_object();
        fields_ = config.at("fields").as_object();
        if (const json::value* overwrite = config.if_contains("overwrite")) overwrite_ = overwrite->as_bool();
    }

    void process(const ferry::sdk::record& in, ferry::sdk::call& out) {
        json::error_code ec;
        json::value payload = json::parse(in.payload, ec);
        if (ec || !payload.is_object()) throw ferry::sdk::reject_error("stamp: the payload is not a JSON object");
        json::object& object = payload.as_object();
        for (const auto& field : fields_) {
            if (overwrite_ || !object.contains(field.key())) object[field.key()] = field.value();
        }
        std::string text = json::serialize(payload);
        ferry::sdk::record result = in;
        result.payload = text;
        out.emit(result);
    }

private:
    json::object fields_;
    bool overwrite_ = false;
};

struct stamp_plugin {
    static constexpr const char* name = "stamp";
    static constexpr const char* version = "1.0.0";
    static constexpr const char* description = "Example plugin: stamps fixed fields onto payloads";
    using components = ferry::sdk::components<stamp_fields>;
};

}  // namespace

FERRY_PLUGIN(stamp_plugin)
