// The host's outbound HTTP client over libcurl: keeps connections alive per pool (one per
// connection name), applies timeouts, honours the proxy environment (http_proxy, https_proxy,
// no_proxy) and verifies TLS. Only client.cpp includes curl.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ferry::host {

struct http_call {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    long timeout_ms = 30000;
};

struct http_result {
    int status = 0;  // 0: no response
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string error;   // the transport failure, when status is 0
    bool fatal = false;  // the failure will not go away by retrying (bad URL, TLS verification)
    double seconds = 0;
};

class http_client {
public:
    http_client();
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    // Sends one request on a connection of `pool` (reused while the server keeps it open).
    http_result send(const std::string& pool, const http_call& call);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace ferry::host
