// The SYSPRO e.net REST transport: every call a GET with URL-encoded parameters, every answer
// HTTP 200, failures as "ERROR: ..." text. Sessions (logon GUIDs) are pooled per connection,
// within the licence seats the connection is given, and renewed when SYSPRO forgets them.
#pragma once

#include <ferry/plugin.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ferry::syspro {

struct connection_settings {
    std::string base_url;       // http://erp:20000
    std::string path_prefix;    // /SYSPROWCFService/Rest
    std::string operator_code;
    std::string operator_password;
    std::string company;
    std::string company_password;
    size_t sessions = 1;        // licence seats this connection may hold at once
    uint32_t timeout_ms = 30000;
    uint32_t session_wait_ms = 30000;  // how long a call waits for a free session before retrying later

    // Reads the connection config; throws sdk::config_error naming the key.
    static connection_settings parse(std::string_view connection_config);
};

// Thrown for an "ERROR: ..." body that is about the request itself (a query BO's exception, an
// unknown business object), not about the session or the transport.
class enet_error : public sdk::error {
public:
    explicit enet_error(const std::string& message) : sdk::error(FERRY_REJECT, message) {}
};

using query_params = std::vector<std::pair<std::string, std::string>>;

class session_pool {
public:
    explicit session_pool(connection_settings settings);

    // Calls `operation` (e.g. "Query/Query") with a pooled session's UserId added, and returns the
    // decoded body (UTF-8). A session SYSPRO no longer knows is replaced and the call made once
    // more. Transport failures and 5xx throw sdk::retry_error; a refused logon throws
    // sdk::fatal_error; any other ERROR body throws enet_error.
    std::string call(const sdk::context& ctx, const std::string& operation, const query_params& params);

    // Logs off every idle session (at shutdown).
    void logoff_all(const sdk::context& ctx);

    const connection_settings& settings() const { return settings_; }

private:
    std::string acquire(const sdk::context& ctx);
    void release(std::string session, bool healthy);
    std::string logon(const sdk::context& ctx);
    std::string get(const sdk::context& ctx, const std::string& operation, const query_params& params);

    connection_settings settings_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::string> idle_;
    size_t open_ = 0;
};

// One pool per connection name, shared by every component of that connection; the last
// component to let go logs the sessions off.
class pool_handle {
public:
    pool_handle(const std::string& connection, std::string_view connection_config);
    ~pool_handle();
    pool_handle(const pool_handle&) = delete;
    pool_handle& operator=(const pool_handle&) = delete;

    // The context of the component holding this handle; used for the logoff at release.
    void bind(const sdk::context& ctx) { ctx_ = ctx.raw(); }
    session_pool& operator*() const { return *pool_; }
    session_pool* operator->() const { return pool_.get(); }

private:
    std::string connection_;
    std::shared_ptr<session_pool> pool_;
    ferry_scope* ctx_ = nullptr;
};

// The text of a plain (non-XML) answer: bare, JSON-quoted, or wrapped in <string>, as different
// SYSPRO versions send it, without the trailing spaces of a session id.
std::string plain_text(std::string_view body);

// Whether an ERROR text says the session is gone (expired, evicted by another logon).
bool is_session_error(std::string_view text);

}  // namespace ferry::syspro
