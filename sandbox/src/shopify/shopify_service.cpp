// The Shopify service: routing, authentication, throttling, the REST subset, the control routes,
// and the hand-off of webhook events to the dispatcher. One mutex guards all state; handle() runs
// on the server's I/O threads and never blocks on the network.
#include "shopify/shopify_service.hpp"

#include "shopify/admin_api.hpp"
#include "shopify/schema.hpp"
#include "shopify/state.hpp"
#include "shopify/throttle.hpp"
#include "shopify/webhooks.hpp"

#include <boost/json.hpp>
#include <net/url.hpp>
#include <openssl/evp.h>

#include <cmath>
#include <cstdio>
#include <mutex>
#include <random>
#include <regex>
#include <set>

namespace ferry::sandbox::shopify {

namespace json = boost::json;

namespace {

const char* invalid_token_body = R"x({"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"})x";

struct plan_limits {
    std::string display;
    double graphql_bucket, graphql_restore, rest_bucket, rest_leak;
};

// Reference section 4: restore rates and the Standard bucket are documented; the other buckets
// are UNCONFIRMED (20x the restore rate is assumed) and can be overridden in settings.
const std::map<std::string, plan_limits> plans{
    {"standard", {"Basic", 2000, 100, 40, 2}},
    {"advanced", {"Advanced", 4000, 200, 80, 4}},
    {"plus", {"Shopify Plus", 20000, 1000, 400, 20}},
    {"enterprise", {"Shopify for enterprise", 40000, 2000, 800, 40}}};

net::http_reply json_reply(int status, const json::value& body) { return {status, "application/json; charset=utf-8", json::serialize(body), {}}; }

net::http_reply control_error(int status, const std::string& message) { return json_reply(status, json::object{{"error", message}}); }

std::string header(const net::http_request_in& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
        if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) return v;
    }
    return "";
}

std::map<std::string, std::string> query_params(const std::string& target) {
    size_t q = target.find('?');
    if (q == std::string::npos) return {};
    return net::parse_query<std::map<std::string, std::string>>(std::string_view(target).substr(q + 1));
}

std::string b64(const std::string& in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string unb64(const std::string& in) {
    if (in.empty() || in.size() % 4) return "";
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    if (n < 0) return "";
    out.resize(static_cast<size_t>(n) - std::count(in.end() - 2, in.end(), '='));
    return out;
}

std::string str_of(const json::object& o, const char* key, const std::string& fallback = "") {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : fallback;
}

int64_t int_of(const json::object& o, const char* key, int64_t fallback) {
    auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (it->value().is_int64()) return it->value().as_int64();
    if (it->value().is_uint64()) return static_cast<int64_t>(it->value().as_uint64());
    if (it->value().is_string()) {
        try {
            return std::stoll(std::string(it->value().as_string()));
        } catch (const std::exception&) {
        }
    }
    return fallback;
}

bool bool_of(const json::object& o, const char* key, bool fallback) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_bool() ? it->value().as_bool() : fallback;
}

double number_of(const json::value& v, const std::string& key) {
    if (!v.is_number()) throw std::invalid_argument("setting '" + key + "' must be a number");
    return v.to_number<double>();
}

std::string fixed1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

class shopify_service final : public service {
public:
    shopify_service() : state_(clock_) {
        dispatcher_.on_attempt = [this](int64_t subscription, bool ok) { attempt_done(subscription, ok); };
        apply_plan();
    }
    ~shopify_service() override { dispatcher_.stop(); }

    std::string_view name() const override { return "shopify"; }

    void seed(const json::value& data) override {
        if (!data.is_object()) throw std::invalid_argument("the shopify section must be an object");
        std::lock_guard lock(mutex_);
        seed_locked(data.as_object());
    }

    void handle(net::http_request_in request, net::http_responder respond) override {
        net::http_reply reply;
        {
            std::lock_guard lock(mutex_);
            try {
                reply = route(request);
            } catch (const std::exception&) {
                // A malformed value the routes did not anticipate: answer as Shopify's own failure.
                reply = failure_reply(500);
            }
            flush_events();
        }
        respond(std::move(reply));
    }

    net::http_reply failure_reply(int status) const override {
        static const std::map<int, std::string> reasons{{500, "Internal Server Error"}, {502, "Bad Gateway"},
                                                        {503, "Service Unavailable"}, {504, "Gateway Timeout"},
                                                        {429, "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."},
                                                        {423, "Locked"}, {402, "Payment Required"}, {403, "Forbidden"}, {404, "Not Found"}};
        auto it = reasons.find(status);
        net::http_reply r = json_reply(status, json::object{{"errors", it == reasons.end() ? "Error" : it->second}});
        if (status == 429) r.headers.emplace_back("Retry-After", "2.0");
        return r;
    }

    void start(const std::string& base_url) override {
        {
            std::lock_guard lock(mutex_);
            base_url_ = base_url;
        }
        dispatcher_.start();
    }

    void stop() override { dispatcher_.stop(); }

private:
    // ---- settings and seeding ---------------------------------------------------------------

    void apply_plan() {
        const plan_limits& p = plans.at(plan_);
        double gb = graphql_bucket_ > 0 ? graphql_bucket_ : p.graphql_bucket;
        double gr = graphql_restore_ > 0 ? graphql_restore_ : p.graphql_restore;
        double rb = rest_bucket_ > 0 ? rest_bucket_ : p.rest_bucket;
        double rl = rest_leak_ > 0 ? rest_leak_ : p.rest_leak;
        for (auto& [token, b] : graphql_buckets_) b.configure(gb, gr);
        for (auto& [token, b] : rest_buckets_) b.configure(rb, rl);
        template_graphql_.configure(gb, gr);
        template_rest_.configure(rb, rl);
    }

    json::object settings_json() const {
        webhook_settings w = dispatcher_.settings();
        json::array tokens;
        for (const auto& t : tokens_) tokens.push_back(json::value(t));
        return json::object{
            {"plan", plan_}, {"access_tokens", tokens}, {"client_id", client_id_}, {"client_secret", client_secret_},
            {"token_lifetime_s", token_lifetime_s_}, {"graphql_bucket_size", template_graphql_.maximum()},
            {"graphql_restore_rate", template_graphql_.restore_rate()}, {"rest_bucket_size", template_rest_.size()},
            {"rest_leak_rate", rest_leak_ > 0 ? rest_leak_ : plans.at(plan_).rest_leak},
            {"idempotency_required", idempotency_required_}, {"inventory_partial_apply", inventory_partial_apply_},
            {"idempotency_retention_s", idempotency_retention_s_}, {"random_seed", random_seed_},
            {"webhook_secret", w.secret}, {"webhook_api_version", webhook_api_version_},
            {"webhook_time_scale", w.time_scale}, {"webhook_max_retries", w.max_retries},
            {"webhook_connect_timeout_ms", w.connect_timeout_ms}, {"webhook_timeout_ms", w.total_timeout_ms},
            {"webhook_delete_after_failures", w.delete_after_failures}, {"webhook_duplicate_rate", w.duplicate_rate},
            {"webhook_drop_rate", w.drop_rate}, {"webhook_out_of_order", w.out_of_order},
            {"webhook_reorder_window_ms", w.reorder_window_ms}, {"webhook_stable_id", w.stable_webhook_id},
            {"webhook_escape_slashes", w.escape_slashes}, {"webhook_random_seed", w.random_seed}};
    }

    // Applies the keys given; throws std::invalid_argument naming an unknown key or bad value.
    void apply_settings(const json::object& s) {
        webhook_settings w = dispatcher_.settings();
        bool plan_changed = false;
        for (const auto& [k, v] : s) {
            std::string key(k);
            auto as_bool = [&] {
                if (!v.is_bool()) throw std::invalid_argument("setting '" + key + "' must be true or false");
                return v.as_bool();
            };
            auto as_text = [&] {
                if (!v.is_string()) throw std::invalid_argument("setting '" + key + "' must be a string");
                return std::string(v.as_string());
            };
            if (key == "plan") {
                std::string p = as_text();
                if (p == "basic") p = "standard";
                if (!plans.count(p)) throw std::invalid_argument("setting 'plan' must be standard, advanced, plus or enterprise");
                plan_ = p;
                plan_changed = true;
            } else if (key == "access_tokens") {
                if (!v.is_array()) throw std::invalid_argument("setting 'access_tokens' must be an array of strings");
                tokens_.clear();
                for (const auto& t : v.as_array()) {
                    if (!t.is_string()) throw std::invalid_argument("setting 'access_tokens' must be an array of strings");
                    tokens_.insert(std::string(t.as_string()));
                }
            } else if (key == "access_token") {
                tokens_ = {as_text()};
            } else if (key == "client_id") {
                client_id_ = as_text();
            } else if (key == "client_secret") {
                client_secret_ = as_text();
            } else if (key == "token_lifetime_s") {
                token_lifetime_s_ = static_cast<int64_t>(number_of(v, key));
            } else if (key == "graphql_bucket_size") {
                graphql_bucket_ = v.is_null() ? 0 : number_of(v, key);
                plan_changed = true;
            } else if (key == "graphql_restore_rate") {
                graphql_restore_ = v.is_null() ? 0 : number_of(v, key);
                plan_changed = true;
            } else if (key == "rest_bucket_size") {
                rest_bucket_ = v.is_null() ? 0 : number_of(v, key);
                plan_changed = true;
            } else if (key == "rest_leak_rate") {
                rest_leak_ = v.is_null() ? 0 : number_of(v, key);
                plan_changed = true;
            } else if (key == "idempotency_required") {
                idempotency_required_ = as_bool();
            } else if (key == "inventory_partial_apply") {
                inventory_partial_apply_ = as_bool();
            } else if (key == "idempotency_retention_s") {
                idempotency_retention_s_ = static_cast<int64_t>(number_of(v, key));
            } else if (key == "random_seed") {
                random_seed_ = static_cast<uint64_t>(number_of(v, key));
                random_.seed(random_seed_);
            } else if (key == "webhook_secret") {
                w.secret = as_text();
            } else if (key == "webhook_api_version") {
                webhook_api_version_ = as_text();
            } else if (key == "webhook_time_scale") {
                w.time_scale = number_of(v, key);
            } else if (key == "webhook_max_retries") {
                w.max_retries = static_cast<int>(number_of(v, key));
            } else if (key == "webhook_connect_timeout_ms") {
                w.connect_timeout_ms = static_cast<int>(number_of(v, key));
            } else if (key == "webhook_timeout_ms") {
                w.total_timeout_ms = static_cast<int>(number_of(v, key));
            } else if (key == "webhook_delete_after_failures") {
                w.delete_after_failures = static_cast<int>(number_of(v, key));
            } else if (key == "webhook_duplicate_rate") {
                w.duplicate_rate = number_of(v, key);
            } else if (key == "webhook_drop_rate") {
                w.drop_rate = number_of(v, key);
            } else if (key == "webhook_out_of_order") {
                w.out_of_order = as_bool();
            } else if (key == "webhook_reorder_window_ms") {
                w.reorder_window_ms = static_cast<int>(number_of(v, key));
            } else if (key == "webhook_stable_id") {
                w.stable_webhook_id = as_bool();
            } else if (key == "webhook_escape_slashes") {
                w.escape_slashes = as_bool();
            } else if (key == "webhook_random_seed") {
                w.random_seed = static_cast<uint64_t>(number_of(v, key));
            } else {
                throw std::invalid_argument("unknown setting '" + key + "'");
            }
        }
        dispatcher_.configure(w);
        if (plan_changed) apply_plan();
    }

    void seed_locked(const json::object& data) {
        json::object state_part;
        for (const auto& [k, v] : data) {
            std::string key(k);
            if (key == "settings") {
                if (!v.is_object()) throw std::invalid_argument("shopify.settings must be an object");
                apply_settings(v.as_object());
            } else if (key == "webhooks") {
                if (!v.is_array()) throw std::invalid_argument("shopify.webhooks must be an array");
                for (const auto& w : v.as_array()) {
                    if (!w.is_object()) throw std::invalid_argument("each of shopify.webhooks must be an object");
                    std::string error = subscribe(w.as_object());
                    if (!error.empty()) throw std::invalid_argument("shopify.webhooks: " + error);
                }
            } else if (key == "shop" || key == "locations" || key == "products" || key == "customers") {
                state_part[key] = v;
            } else if (key != "$comment") {
                throw std::invalid_argument("shopify: unknown seed section '" + key + "'");
            }
        }
        // Locations before products: stock refers to locations by name.
        for (const char* key : {"shop", "locations", "products", "customers"}) {
            if (state_part.contains(key)) state_.seed(json::object{{key, state_part.at(key)}});
        }
    }

    std::string subscribe(const json::object& w) {
        std::string topic = str_of(w, "topic");
        if (topic_from_enum(topic_to_enum(topic)).empty()) return "unknown topic '" + topic + "'";
        std::string address = str_of(w, "address", str_of(w, "callback_url"));
        if (address.rfind("http://", 0) != 0 && address.rfind("https://", 0) != 0) return "'address' must be an http(s) URL";
        webhook_subscription s;
        s.id = state_.next_id();
        s.topic = topic;
        s.callback_url = address;
        s.name = str_of(w, "name");
        if (auto it = w.find("include_fields"); it != w.end() && it->value().is_array()) {
            for (const auto& f : it->value().as_array()) {
                if (f.is_string()) s.include_fields.emplace_back(f.as_string());
            }
        }
        s.created_at = s.updated_at = state_.now();
        state_.subscriptions[s.id] = s;
        return "";
    }

    // ---- webhooks -----------------------------------------------------------------------------

    void flush_events() {
        for (auto& e : state_.outbox) {
            std::vector<webhook_event> deliveries;
            for (const auto& [id, s] : state_.subscriptions) {
                if (s.topic != e.topic) continue;
                webhook_event w;
                w.subscription_id = id;
                w.subscription_name = s.name;
                w.topic = e.topic;
                w.callback_url = s.callback_url;
                w.api_version = s.api_version.empty() ? webhook_api_version_ : s.api_version;
                w.shop_domain = state_.shop_domain;
                w.extra_headers = e.headers;
                w.payload = e.payload;
                w.include_fields = s.include_fields;
                deliveries.push_back(std::move(w));
            }
            ++counters_["events"];
            dispatcher_.emit(std::move(deliveries));
        }
        state_.outbox.clear();
    }

    void attempt_done(int64_t subscription, bool ok) {
        std::lock_guard lock(mutex_);
        auto it = state_.subscriptions.find(subscription);
        if (it == state_.subscriptions.end()) return;
        it->second.consecutive_failures = ok ? 0 : it->second.consecutive_failures + 1;
        int limit = dispatcher_.settings().delete_after_failures;
        if (limit > 0 && it->second.consecutive_failures >= limit) {
            state_.subscriptions.erase(it);
            ++counters_["subscriptions_deleted"];
        }
    }

    // ---- routing ------------------------------------------------------------------------------

    net::http_reply route(const net::http_request_in& r) {
        std::string path = r.target.substr(0, r.target.find('?'));
        if (path.rfind("/_sandbox/", 0) == 0) {
            try {
                return control(r, path.substr(10));
            } catch (const std::invalid_argument& e) {
                return control_error(400, e.what());
            }
        }
        if (path == "/admin/oauth/access_token" && r.method == "POST") return token_grant(r);
        static const std::regex api(R"(^/admin/api/(\d{4}-\d{2}|unstable)/(.+)$)");
        std::smatch m;
        if (!std::regex_match(path, m, api)) return json_reply(404, json::object{{"errors", "Not Found"}});
        std::string version = m[1], rest = m[2];
        if (rest == "graphql.json") return graphql(r, version);
        return rest_api(r, version, rest);
    }

    // Which token the request carries, if it is valid (an expired client-credentials token is not).
    bool authorized(const net::http_request_in& r, std::string& token) {
        token = header(r, "X-Shopify-Access-Token");
        if (token.empty()) return false;
        if (tokens_.count(token)) return true;
        auto it = issued_.find(token);
        return it != issued_.end() && it->second > clock_.now_ms();
    }

    net::http_reply unauthorized() {
        ++counters_["unauthorized"];
        return {401, "application/json; charset=utf-8", invalid_token_body, {{"WWW-Authenticate", "Basic Realm=\"Shopify API Authentication\""}}};
    }

    // Client-credentials grant (reference section 2.2).
    net::http_reply token_grant(const net::http_request_in& r) {
        std::map<std::string, std::string> form;
        json::error_code ec;
        json::value body = json::parse(r.body, ec);
        if (!ec && body.is_object()) {
            for (const auto& [k, v] : body.as_object()) {
                if (v.is_string()) form[std::string(k)] = std::string(v.as_string());
            }
        } else {
            form = query_params("?" + r.body);
        }
        if (form["grant_type"] != "client_credentials") {
            return json_reply(400, json::object{{"error", "unsupported_grant_type"}, {"error_description", "Only client_credentials is emulated."}});
        }
        if (form["client_id"] != client_id_ || form["client_secret"] != client_secret_) {
            return json_reply(400, json::object{{"error", "invalid_client"}, {"error_description", "Client authentication failed."}});
        }
        std::string token = "shpat_";
        for (int i = 0; i < 32; ++i) token += "0123456789abcdef"[random_() % 16];
        issued_[token] = clock_.now_ms() + token_lifetime_s_ * 1000;
        return json_reply(200, json::object{{"access_token", token},
                                            {"scope", "read_orders,write_orders,read_products,read_inventory,write_inventory,read_locations,read_customers,write_merchant_managed_fulfillment_orders,read_fulfillments,write_fulfillments"},
                                            {"expires_in", token_lifetime_s_}});
    }

    cost_bucket& graphql_bucket(const std::string& token) {
        auto it = graphql_buckets_.find(token);
        if (it != graphql_buckets_.end()) return it->second;
        cost_bucket b = template_graphql_;
        b.reset(clock_.now_ms());
        return graphql_buckets_.emplace(token, b).first->second;
    }

    leaky_bucket& rest_bucket(const std::string& token) {
        auto it = rest_buckets_.find(token);
        if (it != rest_buckets_.end()) return it->second;
        leaky_bucket b = template_rest_;
        b.reset(clock_.now_ms());
        return rest_buckets_.emplace(token, b).first->second;
    }

    // The body with `extensions.cost` appended, numbers written as Shopify writes them
    // (maximumAvailable 2000.0, restoreRate 100.0).
    std::string with_cost(json::object body, double requested, std::optional<double> actual, const cost_bucket& b) {
        std::string text = json::serialize(body);
        char cost[320];
        std::snprintf(cost, sizeof cost,
                      "\"extensions\":{\"cost\":{\"requestedQueryCost\":%lld,\"actualQueryCost\":%s,\"throttleStatus\":{\"maximumAvailable\":%s,\"currentlyAvailable\":%lld,\"restoreRate\":%s}}}",
                      static_cast<long long>(std::llround(requested)), actual ? std::to_string(std::llround(*actual)).c_str() : "null",
                      fixed1(b.maximum()).c_str(), static_cast<long long>(std::floor(b.available())), fixed1(b.restore_rate()).c_str());
        text.pop_back();
        return text + (body.empty() ? "" : ",") + cost + "}";
    }

    net::http_reply graphql(const net::http_request_in& r, const std::string& version) {
        std::string token;
        if (!authorized(r, token)) return unauthorized();
        ++counters_["graphql_requests"];
        if (r.method != "POST") return json_reply(405, json::object{{"errors", "Method Not Allowed"}});
        std::string query, operation_name;
        json::value variables = json::object{};
        if (header(r, "Content-Type").rfind("application/graphql", 0) == 0) {
            query = r.body;
        } else {
            json::error_code ec;
            json::value body = json::parse(r.body, ec);
            if (ec || !body.is_object() || !body.as_object().contains("query") || !body.as_object().at("query").is_string()) {
                return json_reply(400, json::object{{"errors", json::object{{"query", "Required parameter missing or invalid"}}}});
            }
            query = str_of(body.as_object(), "query");
            operation_name = str_of(body.as_object(), "operationName");
            if (body.as_object().contains("variables") && body.as_object().at("variables").is_object()) variables = body.as_object().at("variables");
        }
        cost_bucket& bucket = graphql_bucket(token);
        bucket.restore(clock_.now_ms());
        prepared_operation op;
        json::array errors = prepare(query, variables, operation_name, version, op);
        if (!errors.empty()) {
            ++counters_["graphql_errors"];
            return {200, "application/json; charset=utf-8", with_cost(json::object{{"errors", errors}}, 0, 0, bucket), {}};
        }
        double requested = query_cost(op, nullptr);
        if (requested > 1000) {
            ++counters_["graphql_max_cost_exceeded"];
            json::object e{{"message", "Query cost is " + std::to_string(std::llround(requested)) + ", which exceeds the single query max cost limit (1000).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"},
                           {"extensions", json::object{{"code", "MAX_COST_EXCEEDED"}, {"cost", std::llround(requested)}, {"maxCost", 1000}}}};
            return {200, "application/json; charset=utf-8", with_cost(json::object{{"errors", json::array{e}}}, requested, std::nullopt, bucket), {}};
        }
        if (!bucket.take(requested)) {
            ++counters_["graphql_throttled"];
            json::object e{{"message", "Throttled"},
                           {"extensions", json::object{{"code", "THROTTLED"}, {"documentation", "https://shopify.dev/api/usage/rate-limits"}}}};
            return {200, "application/json; charset=utf-8", with_cost(json::object{{"errors", json::array{e}}}, requested, std::nullopt, bucket), {}};
        }
        for (const auto& s : op.op->selections) {
            if (s.type == graphql::selection::kind::field) ++counters_[(op.op->type == "mutation" ? "mutation:" : "query:") + s.name];
        }
        api_options opt;
        opt.api_version = version;
        opt.base_url = base_url_;
        opt.plan_display = plans.at(plan_).display;
        opt.idempotency_required = idempotency_required_;
        opt.inventory_partial_apply = inventory_partial_apply_;
        opt.idempotency_retention_ms = idempotency_retention_s_ * 1000;
        json::array field_errors;
        json::value data = execute(op, state_, opt, field_errors);
        double actual = query_cost(op, &data);
        if (actual < requested) bucket.refund(requested - actual);
        counters_["points_spent"] += static_cast<int64_t>(std::llround(std::min(actual, requested)));
        json::object body;
        if (!field_errors.empty()) {
            ++counters_["graphql_errors"];
            body["errors"] = field_errors;
        }
        body["data"] = data;
        return {200, "application/json; charset=utf-8", with_cost(body, requested, actual, bucket), {}};
    }

    // ---- REST subset --------------------------------------------------------------------------

    net::http_reply rest_api(const net::http_request_in& r, const std::string& version, const std::string& resource) {
        std::string token;
        if (!authorized(r, token)) return unauthorized();
        ++counters_["rest_requests"];
        leaky_bucket& bucket = rest_bucket(token);
        bucket.leak(clock_.now_ms());
        if (!bucket.add()) {
            ++counters_["rest_throttled"];
            double rate = rest_leak_ > 0 ? rest_leak_ : plans.at(plan_).rest_leak;
            net::http_reply reply = json_reply(429, json::object{{"errors", "Exceeded " + std::to_string(static_cast<int>(rate)) +
                                                                               " calls per second for api client. Reduce request rates to resume uninterrupted service."}});
            reply.headers.emplace_back("Retry-After", fixed1(std::max(1.0, std::ceil(bucket.retry_after()))));
            reply.headers.emplace_back("X-Shopify-Shop-Api-Call-Limit", std::to_string(bucket.size()) + "/" + std::to_string(bucket.size()));
            return reply;
        }
        net::http_reply reply = rest_resource(r, version, resource);
        reply.headers.emplace_back("X-Shopify-Shop-Api-Call-Limit", std::to_string(bucket.count()) + "/" + std::to_string(bucket.size()));
        return reply;
    }

    net::http_reply not_found() { return json_reply(404, json::object{{"errors", "Not Found"}}); }

    net::http_reply rest_resource(const net::http_request_in& r, const std::string& version, const std::string& resource) {
        auto params = query_params(r.target);
        static const std::regex order_one(R"(^orders/(\d+)\.json$)"), order_fos(R"(^orders/(\d+)/fulfillment_orders\.json$)");
        std::smatch m;
        if (r.method == "GET" && resource == "orders.json") return rest_orders(version, params);
        if (r.method == "GET" && std::regex_match(resource, m, order_one)) {
            auto it = state_.orders.find(std::stoll(m[1]));
            return it == state_.orders.end() ? not_found() : json_reply(200, json::object{{"order", state_.order_json(it->second)}});
        }
        if (r.method == "GET" && std::regex_match(resource, m, order_fos)) {
            auto it = state_.orders.find(std::stoll(m[1]));
            if (it == state_.orders.end()) return not_found();
            json::array fos;
            for (int64_t id : it->second.fulfillment_order_ids) fos.push_back(state_.fulfillment_order_json(state_.fulfillment_orders.at(id)));
            return json_reply(200, json::object{{"fulfillment_orders", fos}});
        }
        if (r.method == "GET" && resource == "products.json") {
            json::array ps;
            for (const auto& [id, p] : state_.products) ps.push_back(state_.product_json(p));
            return json_reply(200, json::object{{"products", ps}});
        }
        if (r.method == "GET" && resource == "locations.json") {
            json::array ls;
            for (const auto& [id, l] : state_.locations) ls.push_back(state_.location_json(l));
            return json_reply(200, json::object{{"locations", ls}});
        }
        if (r.method == "GET" && resource == "inventory_levels.json") {
            auto split = [](const std::string& s) {
                std::set<int64_t> out;
                size_t start = 0;
                while (start < s.size()) {
                    size_t comma = s.find(',', start);
                    try {
                        out.insert(std::stoll(s.substr(start, comma - start)));
                    } catch (const std::exception&) {
                    }
                    if (comma == std::string::npos) break;
                    start = comma + 1;
                }
                return out;
            };
            auto items = split(params["inventory_item_ids"]), locs = split(params["location_ids"]);
            if (items.empty() && locs.empty()) {
                return json_reply(422, json::object{{"errors", json::object{{"inventory_item_ids", json::array{"must be present when location_ids is blank"}}}}});
            }
            json::array out;
            for (const auto& [key, l] : state_.levels) {
                if ((items.empty() || items.count(key.first)) && (locs.empty() || locs.count(key.second))) out.push_back(state_.level_json(l));
            }
            return json_reply(200, json::object{{"inventory_levels", out}});
        }
        if (r.method == "POST" && (resource == "inventory_levels/set.json" || resource == "inventory_levels/adjust.json")) {
            json::error_code ec;
            json::value body = json::parse(r.body, ec);
            if (ec || !body.is_object()) return json_reply(400, json::object{{"errors", "Bad Request"}});
            const json::object& b = body.as_object();
            int64_t item = int_of(b, "inventory_item_id", 0), loc = int_of(b, "location_id", 0);
            if (!state_.items.count(item)) return json_reply(422, json::object{{"errors", json::array{"Inventory item does not exist"}}});
            if (!state_.locations.count(loc)) return json_reply(422, json::object{{"errors", json::array{"Location does not exist"}}});
            bool set = resource == "inventory_levels/set.json";
            if (!set && !state_.levels.count({item, loc})) {
                return json_reply(422, json::object{{"errors", json::array{"Inventory item is not stocked at the location"}}});
            }
            inventory_level& lvl = state_.level(item, loc);
            int64_t value = set ? int_of(b, "available", 0) : lvl.get("available") + int_of(b, "available_adjustment", 0);
            state_.set_quantity(lvl, "available", value);
            state_.emit_level(lvl);
            return json_reply(200, json::object{{"inventory_level", state_.level_json(lvl)}});
        }
        if (r.method == "POST" && resource == "fulfillments.json") return rest_fulfillment(r);
        return not_found();
    }

    net::http_reply rest_orders(const std::string& version, std::map<std::string, std::string> params) {
        int64_t limit = 50;
        if (params.count("limit")) {
            try {
                limit = std::stoll(params["limit"]);
            } catch (const std::exception&) {
            }
            if (limit < 1 || limit > 250) return json_reply(400, json::object{{"errors", json::object{{"limit", "must be between 1 and 250"}}}});
        }
        int64_t after_id = 0;
        if (params.count("page_info")) {
            // page_info carries the filters of the first request; only limit may change.
            json::error_code ec;
            json::value info = json::parse(unb64(params["page_info"]), ec);
            if (ec || !info.is_object()) return json_reply(400, json::object{{"errors", json::object{{"page_info", "Invalid value."}}}});
            after_id = int_of(info.as_object(), "after_id", 0);
            std::map<std::string, std::string> kept;
            for (const auto& [k, v] : info.as_object().at("filters").as_object()) kept[std::string(k)] = std::string(v.as_string());
            kept["limit"] = std::to_string(limit);
            params = kept;
        }
        std::string status = params.count("status") ? params["status"] : "open";
        auto time_param = [&](const char* k) { return params.count(k) ? parse_iso_time(params[k]) : std::nullopt; };
        auto updated_min = time_param("updated_at_min"), updated_max = time_param("updated_at_max");
        auto created_min = time_param("created_at_min"), created_max = time_param("created_at_max");
        int64_t since_id = params.count("since_id") ? std::stoll(params["since_id"]) : 0;
        std::vector<const order*> matching;
        for (const auto& [id, o] : state_.orders) {
            std::string s = o.cancelled_at ? "cancelled" : o.closed_at ? "closed" : "open";
            if (status != "any" && status != s) continue;
            if (id <= since_id || id <= after_id) continue;
            if (updated_min && o.updated_at < *updated_min) continue;
            if (updated_max && o.updated_at > *updated_max) continue;
            if (created_min && o.created_at < *created_min) continue;
            if (created_max && o.created_at > *created_max) continue;
            if (params.count("financial_status") && params["financial_status"] != "any" && params["financial_status"] != o.financial_status) continue;
            matching.push_back(&o);
        }
        json::array out;
        for (size_t i = 0; i < matching.size() && static_cast<int64_t>(i) < limit; ++i) out.push_back(state_.order_json(*matching[i]));
        net::http_reply reply = json_reply(200, json::object{{"orders", out}});
        if (static_cast<int64_t>(matching.size()) > limit) {
            json::object filters;
            for (const auto& [k, v] : params) {
                if (k != "limit" && k != "page_info") filters[k] = v;
            }
            std::string info = b64(json::serialize(json::object{{"after_id", matching[static_cast<size_t>(limit) - 1]->id}, {"filters", filters}}));
            reply.headers.emplace_back("Link", "<" + base_url_ + "/admin/api/" + version + "/orders.json?limit=" + std::to_string(limit) +
                                                   "&page_info=" + net::url_encode(info) + ">; rel=\"next\"");
        }
        return reply;
    }

    net::http_reply rest_fulfillment(const net::http_request_in& r) {
        json::error_code ec;
        json::value body = json::parse(r.body, ec);
        if (ec || !body.is_object() || !body.as_object().contains("fulfillment") || !body.as_object().at("fulfillment").is_object()) {
            return json_reply(400, json::object{{"errors", json::object{{"fulfillment", "Required parameter missing or invalid"}}}});
        }
        const json::object& f = body.as_object().at("fulfillment").as_object();
        std::vector<std::pair<int64_t, int64_t>> lines;
        order* target = nullptr;
        auto it = f.find("line_items_by_fulfillment_order");
        if (it == f.end() || !it->value().is_array()) return json_reply(422, json::object{{"errors", json::array{"line_items_by_fulfillment_order is required"}}});
        for (const auto& g : it->value().as_array()) {
            if (!g.is_object()) continue;
            auto fo_it = state_.fulfillment_orders.find(int_of(g.as_object(), "fulfillment_order_id", 0));
            if (fo_it == state_.fulfillment_orders.end()) return json_reply(422, json::object{{"errors", json::array{"Fulfillment order does not exist."}}});
            fulfillment_order& fo = fo_it->second;
            if (fo.status == "CLOSED" || fo.status == "CANCELLED") {
                return json_reply(422, json::object{{"errors", json::array{"Fulfillment order " + std::to_string(fo.id) + " has an unfulfillable status= closed."}}});
            }
            target = &state_.orders.at(fo.order_id);
            auto items = g.as_object().find("fulfillment_order_line_items");
            if (items == g.as_object().end() || !items->value().is_array() || items->value().as_array().empty()) {
                for (const auto& l : fo.lines) {
                    if (l.remaining > 0) lines.emplace_back(l.id, l.remaining);
                }
                continue;
            }
            for (const auto& li : items->value().as_array()) {
                if (!li.is_object()) continue;
                int64_t id = int_of(li.as_object(), "id", 0), qty = int_of(li.as_object(), "quantity", 0);
                auto line = std::find_if(fo.lines.begin(), fo.lines.end(), [&](const auto& l) { return l.id == id; });
                if (line == fo.lines.end() || qty <= 0 || qty > line->remaining) {
                    return json_reply(422, json::object{{"errors", json::array{"Invalid fulfillment order line item quantity requested."}}});
                }
                lines.emplace_back(id, qty);
            }
        }
        if (!target || lines.empty()) return json_reply(422, json::object{{"errors", json::array{"There are no line items left to fulfill."}}});
        std::string number, company, url;
        if (auto t = f.find("tracking_info"); t != f.end() && t->value().is_object()) {
            number = str_of(t->value().as_object(), "number");
            company = str_of(t->value().as_object(), "company");
            url = str_of(t->value().as_object(), "url");
        }
        fulfillment& created = state_.fulfil(*target, lines, company, number, url);
        emit_fulfilment_events(*target, created);
        return json_reply(201, json::object{{"fulfillment", state_.fulfillment_json(created)}});
    }

    void emit_fulfilment_events(const order& o, const fulfillment& f) {
        state_.outbox.push_back({"fulfillments/create", state_.fulfillment_json(f), {}});
        state_.emit_order(o.fulfillment_status == "fulfilled" ? "orders/fulfilled" : "orders/partially_fulfilled", o);
        state_.emit_order("orders/updated", o);
    }

    // ---- control routes -----------------------------------------------------------------------

    json::object body_object(const net::http_request_in& r) {
        if (r.body.empty()) return {};
        json::error_code ec;
        json::value v = json::parse(r.body, ec);
        if (ec || !v.is_object()) throw std::invalid_argument("the request body must be a JSON object");
        return v.as_object();
    }

    order* find_order(const std::string& ref) {
        if (ref.empty() || ref.find_first_not_of("0123456789") != std::string::npos || ref.size() > 19) return nullptr;
        int64_t n = std::stoll(ref);
        if (auto it = state_.orders.find(n); it != state_.orders.end()) return &it->second;
        for (auto& [id, o] : state_.orders) {
            if (o.number == n) return &o;  // the order number of "#1001"
        }
        return nullptr;
    }

    json::object order_readback(const order& o) {
        json::object out = state_.order_json(o);
        json::array metafields, fos;
        for (const auto& m : o.metafields) {
            metafields.push_back(json::object{{"id", m.id}, {"namespace", m.ns}, {"key", m.key}, {"value", m.value}, {"type", m.type}});
        }
        for (int64_t id : o.fulfillment_order_ids) fos.push_back(state_.fulfillment_order_json(state_.fulfillment_orders.at(id)));
        out["metafields"] = metafields;
        out["tag_list"] = json::value_from(o.tags);
        out["fulfillment_orders"] = fos;
        return out;
    }

    // (line item id, quantity) pairs named by SKU or line item id; empty input means "all".
    std::vector<std::pair<int64_t, int64_t>> pick_lines(const order& o, const json::object& body) {
        std::vector<std::pair<int64_t, int64_t>> out;
        auto it = body.find("lines");
        if (it == body.end()) return out;
        if (!it->value().is_array()) throw std::invalid_argument("'lines' must be an array of {sku or line_item_id, quantity}");
        for (const auto& l : it->value().as_array()) {
            if (!l.is_object()) throw std::invalid_argument("'lines' must be an array of objects");
            const json::object& lo = l.as_object();
            int64_t id = int_of(lo, "line_item_id", 0);
            std::string sku = str_of(lo, "sku");
            const line_item* found = nullptr;
            for (const auto& li : o.line_items) {
                if ((id && li.id == id) || (!id && !sku.empty() && li.sku == sku)) found = &li;
            }
            if (!found) throw std::invalid_argument("order " + o.name + " has no line " + (id ? std::to_string(id) : "with SKU '" + sku + "'"));
            out.emplace_back(found->id, int_of(lo, "quantity", found->quantity));
        }
        return out;
    }

    net::http_reply control(const net::http_request_in& r, const std::string& route) {
        const std::string& m = r.method;
        if (route == "settings") {
            if (m == "POST" || m == "PUT") apply_settings(body_object(r));
            return json_reply(200, settings_json());
        }
        if (route == "seed" && m == "POST") {
            seed_locked(body_object(r));
            return json_reply(200, json::object{{"locations", state_.locations.size()}, {"products", state_.products.size()},
                                                {"variants", state_.variants.size()}, {"customers", state_.customers.size()},
                                                {"subscriptions", state_.subscriptions.size()}});
        }
        if (route == "clock") {
            if (m == "POST") {
                json::object b = body_object(r);
                clock_.offset_ms += int_of(b, "advance_ms", 0);
            }
            return json_reply(200, json::object{{"offset_ms", clock_.offset_ms}, {"now", iso_time(clock_.now_ms())}});
        }
        if (route == "requests") {
            if (m == "DELETE") counters_.clear();
            json::object out;
            for (const auto& [k, v] : counters_) out[k] = v;
            return json_reply(200, out);
        }
        if (route == "webhooks") {
            if (m == "POST") {
                std::string error = subscribe(body_object(r));
                if (!error.empty()) return control_error(400, error);
            }
            json::array subs;
            for (const auto& [id, s] : state_.subscriptions) {
                subs.push_back(json::object{{"id", id}, {"admin_graphql_api_id", gid("WebhookSubscription", id)}, {"topic", s.topic},
                                            {"address", s.callback_url}, {"name", s.name}, {"consecutive_failures", s.consecutive_failures}});
            }
            return json_reply(200, json::object{{"subscriptions", subs}, {"deliveries", dispatcher_.deliveries()},
                                                {"pending", dispatcher_.pending()}});
        }
        if (route == "webhooks/deliveries" && m == "DELETE") {
            dispatcher_.clear_deliveries();
            return json_reply(200, json::object{{"cleared", true}});
        }
        if (route.rfind("bulk/", 0) == 0) {
            std::string id = route.substr(5);
            if (id.size() > 6 && id.compare(id.size() - 6, 6, ".jsonl") == 0) id.resize(id.size() - 6);
            if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) return control_error(404, "no such bulk operation");
            auto it = state_.bulk_operations.find(std::stoll(id));
            if (it == state_.bulk_operations.end()) return control_error(404, "no such bulk operation");
            return {200, "application/jsonl", it->second.jsonl, {}};
        }
        if (route == "inventory") return control_inventory(r);
        if (route == "orders") {
            if (m == "POST") return create_orders(body_object(r));
            json::array out;
            for (const auto& [id, o] : state_.orders) out.push_back(order_readback(o));
            return json_reply(200, json::object{{"orders", out}});
        }
        if (route.rfind("orders/", 0) == 0) {
            std::string rest = route.substr(7);
            std::string ref = rest.substr(0, rest.find('/'));
            std::string action = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
            order* o = find_order(ref);
            if (!o) return control_error(404, "no order '" + ref + "' (use its numeric id or order number)");
            if (action.empty() && m == "GET") return json_reply(200, json::object{{"order", order_readback(*o)}});
            if (m != "POST") return control_error(405, "use POST for order actions");
            return order_action(*o, action, body_object(r));
        }
        return control_error(404, "no control route /_sandbox/" + route + " (see sandbox/shopify.md)");
    }

    net::http_reply control_inventory(const net::http_request_in& r) {
        if (r.method == "POST") {
            json::object b = body_object(r);
            const variant* v = state_.variant_by_sku(str_of(b, "sku"));
            if (!v) throw std::invalid_argument("no variant with SKU '" + str_of(b, "sku") + "'");
            const location* l = b.contains("location") ? state_.location_by_name(str_of(b, "location")) : state_.default_location();
            if (!l) throw std::invalid_argument("no location named '" + str_of(b, "location") + "'");
            inventory_level& lvl = state_.level(v->inventory_item_id, l->id);
            for (const auto& name : quantity_names) {
                if (b.contains(name)) state_.set_quantity(lvl, name, int_of(b, name.c_str(), 0));
            }
            state_.emit_level(lvl);
        }
        auto params = query_params(r.target);
        json::array out;
        for (const auto& [key, lvl] : state_.levels) {
            const variant& v = state_.variants.at(state_.items.at(key.first).variant_id);
            if (params.count("sku") && params["sku"] != v.sku) continue;
            json::object q;
            for (const auto& n : quantity_names) q[n] = lvl.get(n);
            out.push_back(json::object{{"sku", v.sku}, {"inventory_item_id", key.first}, {"location_id", key.second},
                                       {"location", state_.locations.at(key.second).name}, {"quantities", q},
                                       {"updated_at", iso_time(lvl.updated_at)}});
        }
        return json_reply(200, json::object{{"levels", out}});
    }

    net::http_reply order_action(order& o, const std::string& action, const json::object& b) {
        if (action == "update") {
            if (b.contains("note")) o.note = str_of(b, "note");
            if (b.contains("email")) o.email = str_of(b, "email");
            if (auto it = b.find("tags"); it != b.end() && it->value().is_array()) {
                o.tags.clear();
                for (const auto& t : it->value().as_array()) {
                    if (t.is_string()) o.tags.emplace_back(t.as_string());
                }
            }
            o.updated_at = state_.now();
            state_.emit_order("orders/updated", o);
        } else if (action == "cancel") {
            if (o.cancelled_at) throw std::invalid_argument("order " + o.name + " is already cancelled");
            state_.cancel(o, str_of(b, "reason", "customer"), bool_of(b, "restock", true));
            state_.emit_order("orders/cancelled", o);
            state_.emit_order("orders/updated", o);
        } else if (action == "pay") {
            state_.pay(o);
            state_.emit_order("orders/paid", o);
            state_.emit_order("orders/updated", o);
        } else if (action == "refund") {
            std::vector<refund_request_line> lines;
            for (const auto& [line_id, qty] : pick_lines(o, b)) {
                const json::object& given = b.at("lines").as_array()[lines.size()].as_object();
                lines.push_back({line_id, qty, str_of(given, "restock_type", "no_restock")});
            }
            refund& rf = state_.refund_order(o, lines, str_of(b, "note"));
            state_.outbox.push_back({"refunds/create", state_.refund_json(rf), {}});
            state_.emit_order("orders/updated", o);
        } else if (action == "fulfil" || action == "fulfill") {
            auto wanted = pick_lines(o, b);
            std::vector<std::pair<int64_t, int64_t>> fo_lines;
            for (int64_t fo_id : o.fulfillment_order_ids) {
                const fulfillment_order& fo = state_.fulfillment_orders.at(fo_id);
                if (fo.status == "CLOSED" || fo.status == "CANCELLED") continue;
                for (const auto& l : fo.lines) {
                    if (l.remaining <= 0) continue;
                    if (wanted.empty()) {
                        fo_lines.emplace_back(l.id, l.remaining);
                        continue;
                    }
                    for (const auto& [line_id, qty] : wanted) {
                        if (line_id != l.line_item_id) continue;
                        if (qty > l.remaining) throw std::invalid_argument("only " + std::to_string(l.remaining) + " left to fulfil on that line");
                        fo_lines.emplace_back(l.id, qty);
                    }
                }
            }
            if (fo_lines.empty()) throw std::invalid_argument("nothing left to fulfil on order " + o.name);
            fulfillment& f = state_.fulfil(o, fo_lines, str_of(b, "tracking_company"), str_of(b, "tracking_number"), str_of(b, "tracking_url"));
            emit_fulfilment_events(o, f);
        } else {
            return control_error(404, "unknown order action '" + action + "' (update, cancel, pay, refund, fulfil)");
        }
        return json_reply(200, json::object{{"order", order_readback(o)}});
    }

    // N realistic orders: seeded SKUs, a customer, addresses, shipping, taxes, an optional
    // discount, a payment; each fires orders/create (and orders/paid when paid).
    net::http_reply create_orders(const json::object& b) {
        int64_t count = int_of(b, "count", 1);
        if (count < 1 || count > 10000) throw std::invalid_argument("'count' must be between 1 and 10000");
        bool unknown_sku = bool_of(b, "unknown_sku", false);
        bool paid = bool_of(b, "paid", true);
        double tax_rate = b.contains("tax_rate") ? number_of(b.at("tax_rate"), "tax_rate") : 0.1;
        std::vector<const variant*> catalogue;
        for (const auto& [id, v] : state_.variants) catalogue.push_back(&v);
        if (catalogue.empty() && !b.contains("lines") && !unknown_sku) throw std::invalid_argument("seed products first: there are no SKUs to order");
        std::vector<int64_t> customer_ids;
        for (const auto& [id, c] : state_.customers) customer_ids.push_back(id);
        std::string customer_email = str_of(b, "customer");
        json::array created;
        for (int64_t n = 0; n < count; ++n) {
            order_spec spec;
            spec.decrement_inventory = bool_of(b, "decrement_inventory", true);
            spec.note = str_of(b, "note");
            spec.test = bool_of(b, "test", false);
            if (auto it = b.find("tags"); it != b.end() && it->value().is_array()) {
                for (const auto& t : it->value().as_array()) {
                    if (t.is_string()) spec.tags.emplace_back(t.as_string());
                }
            }
            if (auto it = b.find("lines"); it != b.end()) {
                if (!it->value().is_array()) throw std::invalid_argument("'lines' must be an array of {sku, quantity}");
                for (const auto& l : it->value().as_array()) {
                    if (!l.is_object()) throw std::invalid_argument("'lines' must be an array of objects");
                    order_line_spec ls;
                    ls.sku = str_of(l.as_object(), "sku");
                    ls.quantity = int_of(l.as_object(), "quantity", 1);
                    if (l.as_object().contains("price")) ls.price_cents = parse_money(str_of(l.as_object(), "price"));
                    spec.lines.push_back(ls);
                }
            } else if (!catalogue.empty()) {
                size_t lines = 1 + random_() % std::min<size_t>(3, catalogue.size());
                size_t start = random_() % catalogue.size();
                for (size_t i = 0; i < lines; ++i) {
                    order_line_spec ls;
                    ls.sku = catalogue[(start + i) % catalogue.size()]->sku;
                    ls.quantity = 1 + static_cast<int64_t>(random_() % 3);
                    spec.lines.push_back(ls);
                }
            }
            if (unknown_sku) {
                order_line_spec ls;
                ls.sku = "UNKNOWN-" + std::to_string(1000 + random_() % 9000);
                ls.title = "Item not in the catalogue";
                ls.price_cents = 1999;
                spec.lines.push_back(ls);
            }
            for (auto& ls : spec.lines) {
                int64_t price = ls.price_cents.value_or(state_.variant_by_sku(ls.sku) ? state_.variant_by_sku(ls.sku)->price_cents : 1000);
                if (tax_rate > 0) ls.tax_lines.push_back({"Sales Tax", tax_rate, std::llround(static_cast<double>(price * ls.quantity) * tax_rate)});
            }
            if (!customer_email.empty()) {
                for (const auto& [id, c] : state_.customers) {
                    if (c.email == customer_email) spec.customer_id = id;
                }
                if (!spec.customer_id) throw std::invalid_argument("no seeded customer with email '" + customer_email + "'");
            } else if (!customer_ids.empty()) {
                spec.customer_id = customer_ids[static_cast<size_t>(n) % customer_ids.size()];
            } else {
                spec.email = "guest" + std::to_string(n + 1) + "@example.com";
                spec.shipping_address = address{"Guest", std::to_string(n + 1), "", "1 Main Street", "", "Springfield", "Illinois", "IL", "United States", "US", "62701", ""};
            }
            if (bool_of(b, "shipping", true)) {
                shipping_line sl;
                sl.title = "Standard Shipping";
                sl.code = "STANDARD";
                sl.price_cents = 499;
                if (tax_rate > 0) sl.tax_lines.push_back({"Sales Tax", tax_rate, std::llround(499 * tax_rate)});
                spec.shipping_lines.push_back(sl);
            }
            if (auto it = b.find("discount"); it != b.end() && it->value().is_object()) {
                const json::object& d = it->value().as_object();
                discount_code dc;
                dc.code = str_of(d, "code", "SANDBOX");
                if (d.contains("percentage")) {
                    dc.type = "percentage";
                    dc.amount_cents = std::llround(number_of(d.at("percentage"), "percentage") * 100);
                } else {
                    dc.amount_cents = parse_money(str_of(d, "amount", "5.00")).value_or(500);
                }
                spec.discount_codes.push_back(dc);
            }
            if (auto at = b.find("created_at"); at != b.end()) {
                spec.processed_at = parse_iso_time(str_of(b, "created_at"));
                if (!spec.processed_at) throw std::invalid_argument("'created_at' is not an ISO 8601 time");
            }
            order& o = state_.create_order(spec);
            if (spec.processed_at) o.created_at = o.updated_at = *spec.processed_at;
            if (paid) {
                transaction t;
                t.id = state_.next_id();
                t.kind = "sale";
                t.gateway = "shopify_payments";
                t.authorization = authorization_code(t.id);
                t.amount_cents = o.total_cents();
                t.created_at = o.processed_at;
                o.transactions.push_back(t);
                o.financial_status = "paid";
            }
            state_.emit_order("orders/create", o);
            if (paid) state_.emit_order("orders/paid", o);
            created.push_back(state_.order_json(o));
        }
        return json_reply(200, json::object{{"orders", created}});
    }

    std::mutex mutex_;
    sandbox_clock clock_;
    shop_state state_;
    webhook_dispatcher dispatcher_;
    std::string base_url_;

    std::string plan_ = "standard";
    double graphql_bucket_ = 0, graphql_restore_ = 0, rest_bucket_ = 0, rest_leak_ = 0;  // 0: the plan's
    cost_bucket template_graphql_;
    leaky_bucket template_rest_;
    std::map<std::string, cost_bucket> graphql_buckets_;  // per access token: one app on one store
    std::map<std::string, leaky_bucket> rest_buckets_;

    std::set<std::string> tokens_{"shpat_sandbox"};
    std::string client_id_ = "sandbox-client-id", client_secret_ = "sandbox-client-secret";
    int64_t token_lifetime_s_ = 86399;
    std::map<std::string, int64_t> issued_;  // client-credentials token -> expiry (ms)

    bool idempotency_required_ = false, inventory_partial_apply_ = false;
    int64_t idempotency_retention_s_ = 86400;
    std::string webhook_api_version_ = "2025-10";
    uint64_t random_seed_ = 1;
    std::mt19937_64 random_{1};
    std::map<std::string, int64_t> counters_;
};

// Webhook retries run on the dispatcher's own thread (a delivery may block for its whole timeout),
// so the shared timer thread is not used.
std::unique_ptr<service> make_service(scheduler& timers) {
    (void)timers;
    return std::make_unique<shopify_service>();
}

}  // namespace ferry::sandbox::shopify
