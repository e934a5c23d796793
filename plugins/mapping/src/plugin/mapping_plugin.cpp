// The "mapping" plugin: transforms built on ferry's JSONata engine.
#include "jsonata/jsonata.hpp"

#include <ferry/plugin.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

namespace {

namespace json = boost::json;
namespace sdk = ferry::sdk;
namespace jsonata = ferry::mapping::jsonata;

// Compiles an expression of a config; a mistake names the config value and the position in it,
// so that `ferry validate` can point at the manifest's line and column.
jsonata::expression compile(const std::string& text, const std::string& component, const std::string& pointer) {
    try {
        return jsonata::expression::compile(text);
    } catch (const jsonata::error& e) {
        throw sdk::config_error("mapping." + component + ": " + e.code() + " at position " + std::to_string(e.position()) +
                                    " of " + pointer.substr(1) + ": " + e.message(),
                                pointer, static_cast<uint32_t>(e.position()));
    }
}

// The record's payload as the input, its identity as $key, $stream, $version and $meta.
jsonata::value evaluate(const jsonata::expression& e, const sdk::record& in, const json::value& payload,
                        const jsonata::evaluation_limits& limits, const std::string& component) {
    json::error_code ec;
    json::value meta = in.meta.empty() ? json::value(json::object()) : json::parse(in.meta, ec);
    if (ec) meta = json::object();
    std::vector<std::pair<std::string, jsonata::value>> bindings{
        {"key", jsonata::value::string(std::string(in.key))},
        {"stream", jsonata::value::string(std::string(in.stream))},
        {"version", jsonata::value::number(double(in.version))},
        {"meta", jsonata::from_json(meta)},
    };
    try {
        return e.evaluate(jsonata::from_json(payload), bindings, limits);
    } catch (const jsonata::error& err) {
        throw sdk::reject_error("mapping." + component + ": " + err.code() + ": " + err.message());
    }
}

json::value parse_payload(const sdk::record& in, const std::string& component) {
    json::error_code ec;
    json::value payload = json::parse(in.payload, ec);
    if (ec) throw sdk::reject_error("mapping." + component + ": the payload is not JSON");
    return payload;
}

void emit_payload(sdk::call& out, const json::value& payload) {
    std::string text = json::serialize(payload);
    sdk::record r;
    r.payload = text;
    out.emit(r);
}

// Maps each record's payload with a JSONata expression; the result becomes the new payload.
// The record's key, stream, version and meta are reachable as $key, $stream, $version and $meta.
// An expression that yields nothing drops the record.
class jsonata_transform : public sdk::transform {
public:
    static constexpr const char* name = "jsonata";
    static constexpr const char* description = "Maps each payload with a JSONata expression";
    static constexpr const char* streams[] = {"*"};
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "expr": {"type": "string", "minLength": 1, "description": "the JSONata expression; its result is the new payload"},
            "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 60000, "description": "longest evaluation before the record is rejected"}
        },
        "required": ["expr"],
        "additionalProperties": false
    })json";

    explicit jsonata_transform(const sdk::create_args& args) {
        json::object config = json::parse(args.config).as_object();
        expression_ = compile(std::string(config.at("expr").as_string()), name, "/expr");
        if (const json::value* t = config.if_contains("timeout_ms")) limits_.timeout_ms = t->to_number<int64_t>();
    }

    static void check_config(std::string_view config) {
        compile(std::string(json::parse(config).at("expr").as_string()), name, "/expr");
    }

    void process(const sdk::record& in, sdk::call& out) {
        jsonata::value result = evaluate(expression_, in, parse_payload(in, name), limits_, name);
        if (result.is_undefined()) return;  // nothing to pass on
        emit_payload(out, jsonata::to_json(result));
    }

private:
    jsonata::expression expression_;
    jsonata::evaluation_limits limits_;
};

// Passes the records for which a JSONata predicate is true; counts the others.
class filter_transform : public sdk::transform {
public:
    static constexpr const char* name = "filter";
    static constexpr const char* description = "Passes only records for which a JSONata predicate holds";
    static constexpr const char* streams[] = {"*"};
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {"expr": {"type": "string", "minLength": 1, "description": "a JSONata predicate, e.g. financial_status = 'paid'"}},
        "required": ["expr"],
        "additionalProperties": false
    })json";

    explicit filter_transform(const sdk::create_args& args) : context_(args.context) {
        predicate_ = compile(std::string(json::parse(args.config).at("expr").as_string()), name, "/expr");
    }

    static void check_config(std::string_view config) {
        compile(std::string(json::parse(config).at("expr").as_string()), name, "/expr");
    }

    void process(const sdk::record& in, sdk::call& out) {
        if (jsonata::truthy(evaluate(predicate_, in, parse_payload(in, name), {}, name))) {
            out.emit(in);
        } else {
            context_.counter_add("filtered");
        }
    }

private:
    sdk::context context_;
    jsonata::expression predicate_;
};

// Named assertions; the first that fails rejects the record to the dead-letter queue.
class validate_transform : public sdk::transform {
public:
    static constexpr const char* name = "validate";
    static constexpr const char* description = "Rejects records that fail named JSONata assertions";
    static constexpr const char* streams[] = {"*"};
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "assertions": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "expr": {"type": "string", "minLength": 1, "description": "must be true for the record to pass"},
                        "message": {"type": "string", "description": "why the record is rejected (JSONata: & builds it from the record)"}
                    },
                    "required": ["name", "expr"],
                    "additionalProperties": false
                }
            }
        },
        "required": ["assertions"],
        "additionalProperties": false
    })json";

    explicit validate_transform(const sdk::create_args& args) : assertions_(compile_all(args.config)) {}

    static void check_config(std::string_view config) { compile_all(config); }

    void process(const sdk::record& in, sdk::call& out) {
        json::value payload = parse_payload(in, name);
        for (const auto& a : assertions_) {
            if (jsonata::truthy(evaluate(a.expr, in, payload, {}, name))) continue;
            std::string why = "assertion \"" + a.name + "\" failed";
            if (a.message) {
                jsonata::value m = evaluate(*a.message, in, payload, {}, name);
                if (!m.is_undefined()) why += ": " + (m.is_string() ? m.as_string() : json::serialize(jsonata::to_json(m)));
            }
            throw sdk::reject_error(why);
        }
        out.emit(in);
    }

private:
    struct assertion {
        std::string name;
        jsonata::expression expr;
        std::optional<jsonata::expression> message;
    };

    static std::vector<assertion> compile_all(std::string_view text) {
        json::value config = json::parse(text);
        std::vector<assertion> out;
        const json::array& list = config.at("assertions").as_array();
        for (size_t i = 0; i < list.size(); ++i) {
            const json::object& o = list[i].as_object();
            std::string at = "/assertions/" + std::to_string(i);
            assertion x;
            x.name = std::string(o.at("name").as_string());
            x.expr = compile(std::string(o.at("expr").as_string()), name, at + "/expr");
            if (const json::value* m = o.if_contains("message")) x.message = compile(std::string(m->as_string()), name, at + "/message");
            out.push_back(std::move(x));
        }
        return out;
    }

    std::vector<assertion> assertions_;
};

// Translates a value through a table (inline, or a CSV or JSON file reloaded when it changes): a
// shipping method to an ERP code, a payment gateway to a payment code, a location to a warehouse.
class lookup_transform : public sdk::transform {
public:
    static constexpr const char* name = "lookup";
    static constexpr const char* description = "Sets a field from a lookup table keyed by a JSONata expression";
    static constexpr const char* streams[] = {"*"};
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "key": {"type": "string", "minLength": 1, "description": "JSONata: the value to look up, e.g. shipping_lines[0].code"},
            "into": {"type": "string", "minLength": 1, "description": "the payload field that receives the result"},
            "table": {"type": "object", "description": "inline table: key to value"},
            "file": {"type": "string", "minLength": 1, "description": "a .csv (key,value rows; a header row is skipped) or .json object file, reloaded when it changes"},
            "missing": {"enum": ["default", "reject", "pass"], "description": "when the key is not in the table (default: reject)"},
            "default": {"description": "the value used with missing = default"}
        },
        "required": ["key", "into"],
        "additionalProperties": false
    })json";

    explicit lookup_transform(const sdk::create_args& args) {
        json::object config = json::parse(args.config).as_object();
        key_ = compile(std::string(config.at("key").as_string()), name, "/key");
        into_ = std::string(config.at("into").as_string());
        if (const json::value* t = config.if_contains("table")) table_ = t->as_object();
        if (const json::value* f = config.if_contains("file")) file_ = std::string(f->as_string());
        if (!config.contains("table") && file_.empty()) throw sdk::fatal_error("mapping.lookup: give a table or a file");
        if (const json::value* m = config.if_contains("missing")) missing_ = std::string(m->as_string());
        if (const json::value* d = config.if_contains("default")) default_ = *d;
        if (missing_ == "default" && !config.contains("default")) throw sdk::fatal_error("mapping.lookup: missing = default needs a default");
        if (!file_.empty()) reload(true);
    }

    static void check_config(std::string_view config) {
        compile(std::string(json::parse(config).at("key").as_string()), name, "/key");
    }

    void process(const sdk::record& in, sdk::call& out) {
        json::value payload = parse_payload(in, name);
        if (!payload.is_object()) throw sdk::reject_error("mapping.lookup: the payload is not an object");
        jsonata::value k = evaluate(key_, in, payload, {}, name);
        std::string key = k.is_undefined() ? "" : k.is_string() ? k.as_string() : json::serialize(jsonata::to_json(k));
        std::optional<json::value> found;
        {
            if (!file_.empty()) reload(false);
            std::lock_guard lock(mutex_);
            if (const json::value* v = table_.if_contains(key)) found = *v;
        }
        if (!found) {
            if (missing_ == "pass") {
                out.emit(in);
                return;
            }
            if (missing_ == "reject") {
                throw sdk::reject_error("mapping.lookup: no entry for \"" + key + "\" (to fill " + into_ + ")" +
                                        (file_.empty() ? "" : " in " + file_));
            }
            found = default_;
        }
        payload.as_object()[into_] = *found;
        emit_payload(out, payload);
    }

private:
    // Reads the file again when its modification time changed (looked at most once a second).
    void reload(bool first) {
        namespace fs = std::filesystem;
        auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mutex_);
            if (!first && now - last_check_ < std::chrono::seconds(1)) return;
            last_check_ = now;
        }
        std::error_code ec;
        auto modified = fs::last_write_time(file_, ec);
        if (ec) {
            if (first) throw sdk::fatal_error("mapping.lookup: cannot read " + file_);
            return;  // keep the table we have
        }
        {
            std::lock_guard lock(mutex_);
            if (!first && modified == modified_) return;
        }
        std::ifstream in(file_, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        json::object table;
        if (file_.size() > 5 && file_.substr(file_.size() - 5) == ".json") {
            json::error_code jec;
            json::value v = json::parse(text, jec);
            if (jec || !v.is_object()) {
                if (first) throw sdk::fatal_error("mapping.lookup: " + file_ + " is not a JSON object");
                return;
            }
            table = v.as_object();
        } else {
            std::istringstream lines(text);
            bool header = true;
            for (std::string line; std::getline(lines, line);) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                size_t comma = line.find(',');
                if (comma == std::string::npos) continue;
                std::string k = line.substr(0, comma), v = line.substr(comma + 1);
                if (header && (k == "key" || k == "from")) {
                    header = false;
                    continue;
                }
                header = false;
                table[k] = v;
            }
        }
        std::lock_guard lock(mutex_);
        table_ = std::move(table);
        modified_ = modified;
    }

    jsonata::expression key_;
    std::string into_;
    std::string file_;
    std::string missing_ = "reject";
    json::value default_;
    std::mutex mutex_;
    json::object table_;
    std::filesystem::file_time_type modified_{};
    std::chrono::steady_clock::time_point last_check_{};
};

// Stock to publish: on hand minus allocated minus safety stock, less a percentage buffer, floored
// at zero, with per-location overrides. Reads and writes the canonical inventory_level fields.
class inventory_transform : public sdk::transform {
public:
    static constexpr const char* name = "inventory";
    static constexpr const char* description = "Computes the available quantity to publish from stock figures";
    static constexpr const char* streams[] = {"inventory_level"};
    static constexpr const char* config_schema = R"json({
        "type": "object",
        "properties": {
            "safety_stock": {"type": "number", "minimum": 0, "description": "units held back everywhere"},
            "buffer_percent": {"type": "number", "minimum": 0, "maximum": 100, "description": "share of what is left held back, rounded down"},
            "locations": {
                "type": "object",
                "description": "per location: safety_stock and buffer_percent overriding the defaults",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "safety_stock": {"type": "number", "minimum": 0},
                        "buffer_percent": {"type": "number", "minimum": 0, "maximum": 100}
                    },
                    "additionalProperties": false
                }
            }
        },
        "additionalProperties": false
    })json";

    explicit inventory_transform(const sdk::create_args& args) {
        json::object config = json::parse(args.config).as_object();
        defaults_ = rule_from(config, {});
        if (const json::value* l = config.if_contains("locations")) {
            for (const auto& member : l->as_object()) locations_[std::string(member.key())] = rule_from(member.value().as_object(), defaults_);
        }
    }

    // Payload: {"sku", "location", "on_hand", "allocated"?}; sets "available".
    void process(const sdk::record& in, sdk::call& out) {
        json::value payload = parse_payload(in, name);
        if (!payload.is_object()) throw sdk::reject_error("mapping.inventory: the payload is not an object");
        json::object& o = payload.as_object();
        const json::value* on_hand = o.if_contains("on_hand");
        if (!on_hand || !on_hand->is_number()) throw sdk::reject_error("mapping.inventory: on_hand is missing or not a number");
        double allocated = o.contains("allocated") && o.at("allocated").is_number() ? o.at("allocated").to_number<double>() : 0;
        rule r = defaults_;
        if (const json::value* loc = o.if_contains("location"); loc && loc->is_string()) {
            auto found = locations_.find(std::string(loc->as_string()));
            if (found != locations_.end()) r = found->second;
        }
        double available = on_hand->to_number<double>() - allocated - r.safety_stock;
        if (available > 0 && r.buffer_percent > 0) available -= std::ceil(available * r.buffer_percent / 100.0);
        o["available"] = static_cast<int64_t>(std::max(0.0, std::floor(available)));
        emit_payload(out, payload);
    }

private:
    struct rule {
        double safety_stock = 0;
        double buffer_percent = 0;
    };
    static rule rule_from(const json::object& o, rule base) {
        if (const json::value* s = o.if_contains("safety_stock")) base.safety_stock = s->to_number<double>();
        if (const json::value* b = o.if_contains("buffer_percent")) base.buffer_percent = b->to_number<double>();
        return base;
    }
    rule defaults_;
    std::map<std::string, rule> locations_;
};

struct mapping_plugin {
    static constexpr const char* name = "mapping";
    static constexpr const char* version = "0.1.0";
    static constexpr const char* description = "Transforms: JSONata mapping, filter, validate, lookup, inventory";
    using components = sdk::components<jsonata_transform, filter_transform, validate_transform, lookup_transform,
                                       inventory_transform>;
};

}  // namespace

FERRY_PLUGIN(mapping_plugin)
