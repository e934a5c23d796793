#include "enet.hpp"

#include "xml.hpp"

#include <net/url.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>

namespace ferry::syspro {

namespace json = boost::json;

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

std::string trim(std::string_view text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    size_t end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

std::string string_at(const json::object& config, const char* key, std::string fallback = {}) {
    const json::value* v = config.if_contains(key);
    if (!v) return fallback;
    if (!v->is_string()) throw sdk::config_error(std::string("syspro: '") + key + "' must be a string", std::string("/") + key);
    return std::string(v->as_string());
}

bool starts_with_error(std::string_view body) { return body.size() >= 5 && body.substr(0, 5) == "ERROR"; }

}  // namespace

connection_settings connection_settings::parse(std::string_view connection_config) {
    json::error_code ec;
    json::value parsed = json::parse(connection_config, ec);
    if (ec || !parsed.is_object()) throw sdk::config_error("syspro: the connection config must be a JSON object", "");
    const json::object& config = parsed.as_object();
    connection_settings s;
    s.base_url = string_at(config, "base_url");
    while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
    if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0) {
        throw sdk::config_error("syspro: base_url must start with http:// or https://", "/base_url");
    }
    s.path_prefix = string_at(config, "path_prefix", "/SYSPROWCFService/Rest");
    if (s.path_prefix.empty() || s.path_prefix.front() != '/') s.path_prefix.insert(s.path_prefix.begin(), '/');
    while (s.path_prefix.size() > 1 && s.path_prefix.back() == '/') s.path_prefix.pop_back();
    s.operator_code = string_at(config, "operator");
    s.operator_password = string_at(config, "operator_password");
    s.company = string_at(config, "company");
    s.company_password = string_at(config, "company_password");
    if (const json::value* n = config.if_contains("sessions")) {
        if (!n->is_int64() || n->as_int64() < 1) throw sdk::config_error("syspro: 'sessions' must be 1 or more", "/sessions");
        s.sessions = static_cast<size_t>(n->as_int64());
    }
    if (const json::value* n = config.if_contains("timeout_ms")) {
        if (!n->is_int64() || n->as_int64() < 1) throw sdk::config_error("syspro: 'timeout_ms' must be positive", "/timeout_ms");
        s.timeout_ms = static_cast<uint32_t>(n->as_int64());
    }
    return s;
}

std::string plain_text(std::string_view body) {
    std::string text = trim(body);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        json::error_code ec;
        json::value v = json::parse(text, ec);
        if (!ec && v.is_string()) text = trim(v.as_string());
    }
    if (text.rfind("<string", 0) == 0) {
        size_t open_end = text.find('>');
        size_t close = text.rfind("</string>");
        if (open_end != std::string::npos && close != std::string::npos && close > open_end) {
            text = trim(xml_unescape(std::string_view(text).substr(open_end + 1, close - open_end - 1)));
        }
    }
    return text;
}

bool is_session_error(std::string_view text) {
    std::string t = lower(text);
    for (const char* sign : {"session", "userid", "user id", "not logged", "logged off", "expired", "logon",
                             "guid"}) {
        if (t.find(sign) != std::string::npos) return true;
    }
    return false;
}

session_pool::session_pool(connection_settings settings) : settings_(std::move(settings)) {}

std::string session_pool::get(const sdk::context& ctx, const std::string& operation, const query_params& params) {
    sdk::http_request request;
    request.method = "GET";
    request.url = settings_.base_url + settings_.path_prefix + "/" + operation;
    char separator = '?';
    for (const auto& [name, value] : params) {
        request.url += separator;
        request.url += name;
        request.url += '=';
        request.url += net::url_encode(value);
        separator = '&';
    }
    request.timeout_ms = settings_.timeout_ms;
    sdk::http_response response = ctx.http(request, false);
    if (response.status == 0) throw sdk::retry_error("SYSPRO " + operation + " did not answer: " + response.error);
    if (response.status == 429 || response.status >= 500) {
        throw sdk::retry_error("SYSPRO " + operation + " answered HTTP " + std::to_string(response.status));
    }
    if (response.status != 200) {
        throw sdk::fatal_error("SYSPRO " + operation + " answered HTTP " + std::to_string(response.status) +
                               ": check base_url and path_prefix of the connection");
    }
    return to_utf8(response.body);
}

std::string session_pool::logon(const sdk::context& ctx) {
    std::string body = plain_text(get(ctx, "Logon",
                                      {{"Operator", settings_.operator_code},
                                       {"OperatorPassword", settings_.operator_password},
                                       {"CompanyId", settings_.company},
                                       {"CompanyPassword", settings_.company_password}}));
    if (starts_with_error(body)) {
        std::string t = lower(body);
        // Too many sessions is a passing state (another program holds the seat); the rest is
        // configuration a person must fix.
        if (t.find("licen") != std::string::npos || t.find("seat") != std::string::npos ||
            t.find("maximum") != std::string::npos || t.find("in use") != std::string::npos) {
            throw sdk::retry_error("SYSPRO logon of operator '" + settings_.operator_code + "' refused: " + body);
        }
        throw sdk::fatal_error("SYSPRO logon of operator '" + settings_.operator_code + "' to company '" +
                               settings_.company + "' refused: " + body);
    }
    if (body.empty()) throw sdk::retry_error("SYSPRO logon returned an empty session id");
    ctx.counter_add("logons");
    return body;
}

std::string session_pool::acquire(const sdk::context& ctx) {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(settings_.session_wait_ms);
    while (idle_.empty() && open_ >= settings_.sessions) {
        if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= settings_.sessions) {
            throw sdk::retry_error("all " + std::to_string(settings_.sessions) + " SYSPRO session(s) of this connection stayed busy for " +
                                   std::to_string(settings_.session_wait_ms) + " ms");
        }
    }
    if (!idle_.empty()) {
        std::string session = std::move(idle_.back());
        idle_.pop_back();
        return session;
    }
    ++open_;  // the seat is ours while we log on
    lock.unlock();
    try {
        return logon(ctx);
    } catch (...) {
        lock.lock();
        --open_;
        freed_.notify_one();
        throw;
    }
}

void session_pool::release(std::string session, bool healthy) {
    {
        std::lock_guard lock(mutex_);
        if (healthy) {
            idle_.push_back(std::move(session));
        } else {
            --open_;
        }
    }
    freed_.notify_one();
}

std::string session_pool::call(const sdk::context& ctx, const std::string& operation, const query_params& params) {
    for (int attempt = 0;; ++attempt) {
        std::string session = acquire(ctx);
        query_params with_session;
        with_session.reserve(params.size() + 1);
        with_session.emplace_back("UserId", session);
        with_session.insert(with_session.end(), params.begin(), params.end());
        std::string body;
        try {
            body = get(ctx, operation, with_session);
        } catch (...) {
            release(std::move(session), false);  // an unanswered call may have left it in any state
            throw;
        }
        if (!starts_with_error(body)) {
            release(std::move(session), true);
            return body;
        }
        std::string text = plain_text(body);
        if (is_session_error(text)) {
            release(std::move(session), false);
            ctx.counter_add("session_renewals");
            if (attempt == 0) continue;
            throw sdk::retry_error("SYSPRO " + operation + ": the session was refused twice: " + text);
        }
        release(std::move(session), true);
        throw enet_error("SYSPRO " + operation + ": " + text);
    }
}

void session_pool::logoff_all(const sdk::context& ctx) {
    std::vector<std::string> sessions;
    {
        std::lock_guard lock(mutex_);
        sessions.swap(idle_);
        open_ -= sessions.size();
    }
    for (const std::string& session : sessions) {
        try {
            get(ctx, "Logoff", {{"UserId", session}});
        } catch (const std::exception& e) {
            ctx.warn(std::string("SYSPRO logoff failed: ") + e.what());
        }
    }
}

namespace {

struct pool_registry {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<session_pool>> pools;
};

pool_registry& registry() {
    static pool_registry r;
    return r;
}

}  // namespace

pool_handle::pool_handle(const std::string& connection, std::string_view connection_config) : connection_(connection) {
    connection_settings settings = connection_settings::parse(connection_config);
    pool_registry& r = registry();
    std::lock_guard lock(r.mutex);
    pool_ = r.pools[connection].lock();
    if (!pool_) {
        pool_ = std::make_shared<session_pool>(std::move(settings));
        r.pools[connection] = pool_;
    }
}

pool_handle::~pool_handle() {
    std::shared_ptr<session_pool> last;
    {
        pool_registry& r = registry();
        std::lock_guard lock(r.mutex);
        if (pool_.use_count() == 1) {
            r.pools.erase(connection_);
            last = std::move(pool_);
        }
    }
    if (last && ctx_) last->logoff_all(sdk::context(ctx_));
}

}  // namespace ferry::syspro
