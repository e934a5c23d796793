// testkit: a well-behaved plugin written with the C++ SDK, for the host's tests and benchmarks.
// Each component does one predictable thing so a test can assert exactly what crossed the ABI.
#include <ferry/plugin.hpp>

#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
namespace sdk = ferry::sdk;

json::object parse_object(std::string_view text) {
    json::value v = json::parse(text);
    return v.is_object() ? v.as_object() : json::object();
}

// Appends `text` to the file and fsyncs it: the target has durably accepted it once this returns true.
bool append_durably(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return false;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

// The line a file sink keeps for one delivery.
std::string delivery_line(const sdk::delivery& d, const std::string& target) {
    json::object line{{"key", d.rec.key}, {"version", d.rec.version}, {"idempotency_key", d.idempotency_key},
                      {"target", target}, {"payload", d.rec.payload}};
    return json::serialize(line) + "\n";
}

// A configured failure: `status` is retry, throttled, reject or fatal.
[[noreturn]] void fail_as(const std::string& status, const std::string& message, uint64_t delay_ms) {
    if (status == "retry") throw sdk::retry_error(message, delay_ms);
    if (status == "throttled") throw sdk::throttled_error(message, delay_ms);
    if (status == "reject") throw sdk::reject_error(message);
    throw sdk::fatal_error(message);
}

// Emits each record unchanged.
struct echo : sdk::transform {
    static constexpr const char* name = "echo";
    static constexpr const char* description = "Emits each record unchanged";
    static constexpr const char* streams[] = {"*"};
    explicit echo(const sdk::create_args&) {}
    void process(const sdk::record& in, sdk::call& out) { out.emit(in); }
};

// A filter: drops the records whose key is listed, emits the others unchanged.
struct drop : sdk::transform {
    static constexpr const char* name = "drop";
    static constexpr const char* description = "Drops the records whose key is listed";
    static constexpr const char* streams[] = {"*"};
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {"keys": {"type": "array", "items": {"type": "string"}, "description": "record keys to filter out"}},
        "required": ["keys"],
        "additionalProperties": false
    })";
    explicit drop(const sdk::create_args& args)
        : keys(json::value_to<std::vector<std::string>>(parse_object(args.config).at("keys"))) {}
    void process(const sdk::record& in, sdk::call& out) {
        if (std::find(keys.begin(), keys.end(), in.key) == keys.end()) out.emit(in);
    }
    std::vector<std::string> keys;
};

// Emits `copies` records per input, keyed "<key>#<n>".
struct split : sdk::transform {
    static constexpr const char* name = "split";
    static constexpr const char* description = "Emits several records per input";
    static constexpr const char* streams[] = {"order", "customer"};
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {"copies": {"type": "integer", "minimum": 0, "maximum": 100, "description": "records per input"}},
        "required": ["copies"],
        "additionalProperties": false
    })";
    explicit split(const sdk::create_args& args) : copies(parse_object(args.config).at("copies").to_number<int>()) {}
    void process(const sdk::record& in, sdk::call& out) {
        for (int i = 0; i < copies; ++i) {
            std::string key = std::string(in.key) + "#" + std::to_string(i);
            sdk::record r;
            r.key = key;
            r.payload = in.payload;
            out.emit(r);  // stream, version and meta inherited from the input
        }
    }
    int copies;
};

// Fails in the configured way, to test how statuses and exceptions cross the boundary.
struct fail : sdk::transform {
    static constexpr const char* name = "fail";
    static constexpr const char* description = "Fails every record as configured";
    static constexpr const char* streams[] = {"*"};
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {
            "status": {"enum": ["retry", "throttled", "reject", "fatal", "unexpected", "unknown"]},
            "message": {"type": "string"},
            "delay_ms": {"type": "integer", "minimum": 0}
        },
        "required": ["status"],
        "additionalProperties": false
    })";
    explicit fail(const sdk::create_args& args) {
        json::object config = parse_object(args.config);
        status = json::value_to<std::string>(config.at("status"));
        if (auto* m = config.if_contains("message")) message = json::value_to<std::string>(*m);
        if (auto* d = config.if_contains("delay_ms")) delay_ms = d->to_number<uint64_t>();
    }
    void process(const sdk::record&, sdk::call&) {
        if (status == "retry") throw sdk::retry_error(message, delay_ms);
        if (status == "throttled") throw sdk::throttled_error(message, delay_ms);
        if (status == "reject") throw sdk::reject_error(message);
        if (status == "fatal") throw sdk::fatal_error(message);
        if (status == "unexpected") throw std::runtime_error(message);
        throw 42;  // not even an exception type
    }
    std::string status;
    std::string message = "configured to fail";
    uint64_t delay_ms = 0;
};

// Remembers what it was given, per process; finds earlier writes by idempotency key.
struct memory_sink : sdk::sink {
    static constexpr const char* name = "memory";
    static constexpr const char* description = "Keeps written records in memory";
    static constexpr const char* streams[] = {"order", "customer"};
    static constexpr uint32_t capabilities = FERRY_CAP_LOOKUP;
    explicit memory_sink(const sdk::create_args& args) : context(args.context) {}
    void write(const sdk::delivery& d, sdk::call& out) {
        std::lock_guard lock(mutex);
        std::string id = "mem-" + std::to_string(written.size() + 1);
        written.emplace(std::string(d.idempotency_key), id);
        out.set_target_id(id);
        context.counter_add("writes");
    }
    void lookup(const sdk::delivery& d, sdk::call& out) {
        std::lock_guard lock(mutex);
        if (auto it = written.find(std::string(d.idempotency_key)); it != written.end()) out.set_target_id(it->second);
    }
    sdk::context context;
    std::mutex mutex;
    std::map<std::string, std::string> written;
};

// Appends each delivery as a JSON line to a file and fsyncs it before answering, like a target
// that has durably accepted a document; finds earlier deliveries by idempotency key. Fails as
// configured, to exercise retries, throttling, dead letters and fatal stops.
struct file_sink : sdk::sink {
    static constexpr const char* name = "file";
    static constexpr const char* description = "Appends deliveries to a file; fails on demand";
    static constexpr const char* streams[] = {"order", "customer", "order_result"};
    static constexpr uint32_t capabilities = FERRY_CAP_LOOKUP;
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1},
            "fail_status": {"enum": ["retry", "throttled", "reject", "fatal"]},
            "fail_times": {"type": "integer", "minimum": 1, "description": "failures per record before it succeeds; absent: always"},
            "fail_keys": {"type": "array", "items": {"type": "string"}, "description": "only these record keys fail"},
            "delay_ms": {"type": "integer", "minimum": 0},
            "follow_up": {"type": "boolean", "description": "emit an order_result record per write"},
            "linger_ms": {"type": "integer", "minimum": 0, "description": "wait after the durable write before answering"}
        },
        "required": ["path"],
        "additionalProperties": false
    })";

    explicit file_sink(const sdk::create_args& args) : context(args.context) {
        json::object config = parse_object(args.config);
        path = json::value_to<std::string>(config.at("path"));
        if (auto* v = config.if_contains("fail_status")) fail_status = json::value_to<std::string>(*v);
        if (auto* v = config.if_contains("fail_times")) fail_times = v->to_number<int>();
        if (auto* v = config.if_contains("fail_keys")) fail_keys = json::value_to<std::vector<std::string>>(*v);
        if (auto* v = config.if_contains("delay_ms")) delay_ms = v->to_number<uint64_t>();
        if (auto* v = config.if_contains("follow_up")) follow_up = v->as_bool();
        if (auto* v = config.if_contains("linger_ms")) linger_ms = v->to_number<int>();
        // A write cut short by a crash left a partial last line: the target never accepted it.
        std::string content;
        {
            std::ifstream whole(path, std::ios::binary);
            content.assign(std::istreambuf_iterator<char>(whole), {});
        }
        if (!content.empty() && content.back() != '\n') {
            size_t keep = content.rfind('\n');
            keep = keep == std::string::npos ? 0 : keep + 1;
            if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) throw sdk::fatal_error("cannot repair " + path);
        }
        // What the target already holds, read once: this instance is the file's only writer.
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);) {
            json::object row = json::parse(line).as_object();
            targets[std::string(row.at("idempotency_key").as_string())] = std::string(row.at("target").as_string());
        }
    }

    void write(const sdk::delivery& d, sdk::call& out) {
        maybe_fail(d);
        std::unique_lock lock(mutex);
        std::string target = "T-" + std::to_string(targets.size() + 1);
        if (!append_durably(path, delivery_line(d, target))) throw sdk::retry_error("cannot write " + path);
        targets[std::string(d.idempotency_key)] = target;
        lock.unlock();
        // The target has the document; a crash from here until ferry commits is what lookup covers.
        if (linger_ms) std::this_thread::sleep_for(std::chrono::milliseconds(linger_ms));
        out.set_target_id(target);
        if (follow_up) emit_result(d, target, out);
    }

    static void emit_result(const sdk::delivery& d, const std::string& target, sdk::call& out) {
        std::string payload = json::serialize(json::object{{"target", target}, {"key", d.rec.key}});
        sdk::record result;
        result.stream = "order_result";
        result.key = d.rec.key;
        result.version = d.rec.version;
        result.payload = payload;
        out.emit(result);
    }

    void lookup(const sdk::delivery& d, sdk::call& out) {
        std::string target;
        {
            std::lock_guard lock(mutex);
            auto found = targets.find(std::string(d.idempotency_key));
            if (found == targets.end()) return;
            target = found->second;
            std::ofstream(path + ".lookup-hits", std::ios::app) << d.idempotency_key << "\n";
        }
        out.set_target_id(target);
        if (follow_up) emit_result(d, target, out);
    }

    void maybe_fail(const sdk::delivery& d) {
        if (fail_status.empty()) return;
        if (!fail_keys.empty() && std::find(fail_keys.begin(), fail_keys.end(), d.rec.key) == fail_keys.end()) return;
        {
            std::lock_guard lock(mutex);
            int& failed = failures[std::string(d.idempotency_key)];
            if (fail_times > 0 && failed >= fail_times) return;
            ++failed;
        }
        fail_as(fail_status, "configured failure for " + std::string(d.rec.key), delay_ms);
    }

    sdk::context context;
    std::string path;
    std::string fail_status;
    int fail_times = 0;
    std::vector<std::string> fail_keys;
    uint64_t delay_ms = 0;
    bool follow_up = false;
    int linger_ms = 0;
    std::mutex mutex;
    std::map<std::string, int> failures;
    std::map<std::string, std::string> targets;  // idempotency key to target id
};

// A batch sink: appends each delivery as a JSON line like `file`, one fsync per call, and appends the
// size of every write_batch call to "<path>.batches". Reports each item with set_item_result:
// `reject_keys` are rejected, `unreported_keys` get no result. `fail_status` fails the whole call
// (the first `fail_times` calls; absent: every call) before anything is written.
struct batch_file_sink : sdk::sink {
    static constexpr const char* name = "batch_file";
    static constexpr const char* description = "Appends deliveries to a file in batches; fails on demand";
    static constexpr const char* streams[] = {"order"};
    static constexpr uint32_t capabilities = FERRY_CAP_BATCH;
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1},
            "reject_keys": {"type": "array", "items": {"type": "string"}, "description": "record keys rejected per item"},
            "unreported_keys": {"type": "array", "items": {"type": "string"}, "description": "record keys left without a result"},
            "fail_status": {"enum": ["retry", "throttled", "reject", "fatal"], "description": "status of a whole-call failure"},
            "fail_times": {"type": "integer", "minimum": 1, "description": "calls that fail before they succeed; absent: always"},
            "delay_ms": {"type": "integer", "minimum": 0}
        },
        "required": ["path"],
        "additionalProperties": false
    })";

    explicit batch_file_sink(const sdk::create_args& args) {
        json::object config = parse_object(args.config);
        path = json::value_to<std::string>(config.at("path"));
        if (auto* v = config.if_contains("reject_keys")) reject_keys = json::value_to<std::vector<std::string>>(*v);
        if (auto* v = config.if_contains("unreported_keys")) unreported_keys = json::value_to<std::vector<std::string>>(*v);
        if (auto* v = config.if_contains("fail_status")) fail_status = json::value_to<std::string>(*v);
        if (auto* v = config.if_contains("fail_times")) fail_times = v->to_number<int>();
        if (auto* v = config.if_contains("delay_ms")) delay_ms = v->to_number<uint64_t>();
    }

    void write(const sdk::delivery& d, sdk::call& out) {
        std::lock_guard lock(mutex);
        std::string text;
        std::string target = line_for(d, text);
        if (!append_durably(path, text)) throw sdk::retry_error("cannot write " + path);
        out.set_target_id(target);
    }

    void write_batch(const std::vector<sdk::delivery>& batch, sdk::call& out) {
        std::lock_guard lock(mutex);
        if (!append_durably(path + ".batches", std::to_string(batch.size()) + "\n")) throw sdk::retry_error("cannot write " + path);
        if (!fail_status.empty() && (fail_times == 0 || failed_calls < fail_times)) {
            ++failed_calls;
            fail_as(fail_status, "configured failure of a batch of " + std::to_string(batch.size()), delay_ms);
        }
        std::string text;
        std::vector<std::string> targets(batch.size());
        for (size_t i = 0; i < batch.size(); ++i) {
            if (listed(unreported_keys, batch[i].rec.key) || listed(reject_keys, batch[i].rec.key)) continue;
            targets[i] = line_for(batch[i], text);
        }
        if (!append_durably(path, text)) throw sdk::retry_error("cannot write " + path);
        for (size_t i = 0; i < batch.size(); ++i) {
            std::string_view key = batch[i].rec.key;
            if (listed(unreported_keys, key)) continue;
            if (listed(reject_keys, key)) {
                out.set_item_result(i, FERRY_REJECT, "configured rejection of " + std::string(key));
            } else {
                out.set_item_result(i, FERRY_OK, {}, targets[i]);
            }
        }
    }

    static bool listed(const std::vector<std::string>& keys, std::string_view key) {
        return std::find(keys.begin(), keys.end(), key) != keys.end();
    }
    // Adds the delivery's line to `text`; returns its target id.
    std::string line_for(const sdk::delivery& d, std::string& text) {
        std::string target = "B-" + std::to_string(++written);
        text += delivery_line(d, target);
        return target;
    }

    std::string path;
    std::vector<std::string> reject_keys;
    std::vector<std::string> unreported_keys;
    std::string fail_status;
    int fail_times = 0;
    uint64_t delay_ms = 0;
    std::mutex mutex;
    int failed_calls = 0;
    size_t written = 0;
};

// Delivers each record to the connection's endpoint with the host's HTTP service: POST
// <endpoint><path>?api_key=<token> with an Idempotency-Key header; looks earlier deliveries up with
// GET ...?idempotency_key=. Maps HTTP answers to statuses the way a real connector does, and
// reports the budget headers X-Budget-* to the rate governor.
struct http_sink : sdk::sink {
    static constexpr const char* name = "http";
    static constexpr const char* description = "POSTs records to the connection's endpoint";
    static constexpr const char* streams[] = {"order"};
    static constexpr uint32_t capabilities = FERRY_CAP_LOOKUP;
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {
            "path": {"type": "string", "pattern": "^/"},
            "cost": {"type": "number", "minimum": 0, "description": "rate budget units per request"}
        },
        "required": ["path"],
        "additionalProperties": false
    })";

    explicit http_sink(const sdk::create_args& args) : context(args.context) {
        json::object connection = parse_object(args.connection_config);
        json::object config = parse_object(args.config);
        url = json::value_to<std::string>(connection.at("endpoint")) + json::value_to<std::string>(config.at("path"));
        token = json::value_to<std::string>(connection.at("token"));
        if (auto* c = config.if_contains("cost")) cost = c->to_number<double>();
    }

    void write(const sdk::delivery& d, sdk::call& out) {
        sdk::http_request request;
        request.method = "POST";
        request.url = url + "?api_key=" + token;
        request.headers = {{"Idempotency-Key", std::string(d.idempotency_key)}, {"Content-Type", "application/json"}};
        request.body = std::string(d.rec.payload);
        request.cost = cost;
        sdk::http_response response = context.http(request);
        report_budget(response);
        if (response.status == 429) {
            uint64_t wait = 1000;
            if (auto after = response.header("Retry-After")) wait = std::stoull(std::string(*after)) * 1000;
            throw sdk::throttled_error("429 from the target", wait);
        }
        if (response.status >= 500) throw sdk::retry_error("target answered " + std::to_string(response.status));
        if (response.status >= 400) throw sdk::reject_error("target refused: " + response.body);
        out.set_target_id(std::string(json::parse(response.body).at("id").as_string()));
    }

    void lookup(const sdk::delivery& d, sdk::call& out) {
        sdk::http_request request;
        request.url = url + "?api_key=" + token + "&idempotency_key=" + std::string(d.idempotency_key);
        sdk::http_response response = context.http(request);
        if (response.status == 404) return;
        if (response.status != 200) throw sdk::retry_error("lookup answered " + std::to_string(response.status));
        out.set_target_id(std::string(json::parse(response.body).at("id").as_string()));
    }

    void report_budget(const sdk::http_response& response) {
        auto available = response.header("X-Budget-Available");
        auto capacity = response.header("X-Budget-Capacity");
        auto restore = response.header("X-Budget-Restore");
        if (available && capacity && restore) {
            context.rate_report(std::stod(std::string(*available)), std::stod(std::string(*capacity)),
                                std::stod(std::string(*restore)));
        }
    }

    sdk::context context;
    std::string url;
    std::string token;
    double cost = 0;
};

// Polls `count` synthetic orders after the cursor; accepts webhooks signed "good".
struct ticker : sdk::source {
    static constexpr const char* name = "ticker";
    static constexpr const char* description = "Synthetic orders by poll or webhook";
    static constexpr const char* streams[] = {"order"};
    static constexpr uint32_t capabilities = FERRY_CAP_POLL | FERRY_CAP_WEBHOOK;
    static constexpr const char* config_schema = R"({
        "type": "object",
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 1000},
            "hmac_secret": {"type": "string", "secret": true,
                            "description": "verify X-Test-Hmac-Sha256: base64 HMAC-SHA256 of the body, instead of X-Test-Signature"}
        },
        "additionalProperties": false
    })";
    explicit ticker(const sdk::create_args& args) {
        json::object config = parse_object(args.config);
        if (auto* c = config.if_contains("count")) count = c->to_number<int>();
        if (auto* h = config.if_contains("hmac_secret")) hmac_secret = json::value_to<std::string>(*h);
    }

    bool signed_correctly(const sdk::webhook_request& request) const {
        if (hmac_secret.empty()) return request.header("X-Test-Signature") == std::optional<std::string_view>("good");
        auto given = request.header("X-Test-Hmac-Sha256");
        if (!given) return false;
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        std::string_view body = request.body();
        HMAC(EVP_sha256(), hmac_secret.data(), static_cast<int>(hmac_secret.size()),
             reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
        unsigned char expected[64];
        int written = EVP_EncodeBlock(expected, digest, static_cast<int>(length));
        return given->size() == static_cast<size_t>(written) && CRYPTO_memcmp(given->data(), expected, given->size()) == 0;
    }
    void poll(std::string_view cursor, sdk::call& out) {
        int start = cursor.empty() ? 0 : std::stoi(std::string(cursor));
        for (int i = start + 1; i <= start + count; ++i) {
            std::string key = "ticker:" + std::to_string(i);
            std::string payload = R"({"id":)" + std::to_string(i) + "}";
            sdk::record r;
            r.stream = "order";
            r.key = key;
            r.version = i;
            r.payload = payload;
            out.emit(r);
        }
        out.set_cursor(std::to_string(start + count));
    }
    void webhook(const sdk::webhook_request& request, sdk::call& out) {
        if (!signed_correctly(request)) throw sdk::unauthorized_error("signature mismatch");
        json::error_code ec;
        json::value body = json::parse(request.body(), ec);
        if (ec || !body.is_object() || !body.as_object().contains("id")) throw sdk::reject_error("body is not an order");
        const json::object& order = body.as_object();
        std::string key = "ticker:" + json::serialize(order.at("id"));
        std::string meta;
        if (auto topic = request.header("X-Test-Topic")) meta = json::serialize(json::object{{"topic", *topic}});
        sdk::record r;
        r.stream = "order";
        r.key = key;
        r.version = order.contains("version") ? order.at("version").to_number<int64_t>() : 1;
        r.payload = request.body();
        r.meta = meta;
        if (auto event = request.header("X-Test-Event-Id")) r.event_id = *event;
        out.emit(r);
    }
    int count = 3;
    std::string hmac_secret;
};

struct testkit_plugin {
    static constexpr const char* name = "testkit";
    static constexpr const char* version = "1.0.0";
    static constexpr const char* description = "Predictable components for ferry's own tests";
    static constexpr const char* connection_schema = R"({
        "type": "object",
        "properties": {
            "endpoint": {"type": "string", "pattern": "^https?://", "description": "base URL of the service"},
            "token": {"type": "string", "secret": true, "minLength": 8, "description": "API token"},
            "mode": {"enum": ["fast", "safe"]},
            "retries": {"type": "integer", "minimum": 0, "maximum": 10},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "limits": {
                "type": "object",
                "properties": {"per_second": {"type": "number", "exclusiveMinimum": 0}},
                "additionalProperties": false
            }
        },
        "required": ["endpoint", "token"],
        "additionalProperties": false
    })";
    using components = sdk::components<echo, drop, split, fail, memory_sink, file_sink, batch_file_sink, http_sink, ticker>;
};

}  // namespace

FERRY_PLUGIN(testkit_plugin)
