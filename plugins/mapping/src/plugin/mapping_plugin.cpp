// The "mapping" plugin: transforms built on ferry's JSONata engine.
#include "jsonata/jsonata.hpp"

#include <ferry/plugin.hpp>

#include <boost/json.hpp>

#include <string>

namespace {

namespace json = boost::json;
namespace sdk = ferry::sdk;
namespace jsonata = ferry::mapping::jsonata;

// Maps each record's payload with a JSONata expression; the result becomes the new payload.
// The record's key, stream, version and meta are reachable as $key, $stream, $version and $meta.
// An expression that yields nothing drops the record.
class jsonata_transform : public sdk::transform {
public:
    static constexpr const char* name = "jsonata";
    static constexpr const char* description = "Maps each payload with a JSONata expression";
    static constexpr const char* streams[] = {"*"};
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {
            "expr": {"type": "string", "minLength": 1, "description": "the JSONata expression; its result is the new payload"},
            "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 60000, "description": "longest evaluation before the record is rejected"}
        },
        "required": ["expr"],
        "additionalProperties": false
    })";

    explicit jsonata_transform(const sdk::create_args& args) {
        json::object config = json::parse(args.config).as_object();
        std::string text(config.at("expr").as_string());
        try {
            expression_ = jsonata::expression::compile(text);
        } catch (const jsonata::error& e) {
            throw sdk::fatal_error("mapping.jsonata: " + e.code() + " at position " + std::to_string(e.position()) + " of expr: " +
                                   e.message());
        }
        if (const json::value* t = config.if_contains("timeout_ms")) limits_.timeout_ms = t->to_number<int64_t>();
    }

    void process(const sdk::record& in, sdk::call& out) {
        json::error_code ec;
        json::value payload = json::parse(in.payload, ec);
        if (ec) throw sdk::reject_error("mapping.jsonata: the payload is not JSON");
        json::value meta = in.meta.empty() ? json::value(json::object()) : json::parse(in.meta, ec);
        if (ec) meta = json::object();
        std::vector<std::pair<std::string, jsonata::value>> bindings{
            {"key", jsonata::value::string(std::string(in.key))},
            {"stream", jsonata::value::string(std::string(in.stream))},
            {"version", jsonata::value::number(double(in.version))},
            {"meta", jsonata::from_json(meta)},
        };
        jsonata::value result;
        try {
            result = expression_.evaluate(jsonata::from_json(payload), bindings, limits_);
        } catch (const jsonata::error& e) {
            throw sdk::reject_error("mapping.jsonata: " + e.code() + ": " + e.message());
        }
        if (result.is_undefined()) return;  // nothing to pass on
        std::string text = json::serialize(jsonata::to_json(result));
        sdk::record mapped;
        mapped.payload = text;
        out.emit(mapped);
    }

private:
    jsonata::expression expression_;
    jsonata::evaluation_limits limits_;
};

struct mapping_plugin {
    static constexpr const char* name = "mapping";
    static constexpr const char* version = "0.1.0";
    static constexpr const char* description = "Transforms: JSONata mapping";
    using components = sdk::components<jsonata_transform>;
};

}  // namespace

FERRY_PLUGIN(mapping_plugin)
