// A small HTTP/1.1 server for webhooks, health, metrics and status. Requests are read on a couple
// of I/O threads and handled on a pool of blocking threads (a handler may wait for a durable
// commit), so that slow handlers never stall reading. Only server.cpp includes Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ferry::host {

struct http_request_in {
    std::string method;
    std::string target;  // path and query
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  // the exact bytes received
};

struct http_reply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type
};

using http_handler = std::function<http_reply(const http_request_in&)>;

struct http_server_options {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;  // 0: any free port, see port()
    uint64_t max_body_bytes = 1024 * 1024;
    size_t io_threads = 2;
    size_t handler_threads = 16;
};

class http_server {
public:
    http_server(http_server_options options, http_handler handler);
    ~http_server();  // stops
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    // Binds and starts serving. Throws std::runtime_error naming the address when it cannot bind.
    void start();
    // Stops accepting, closes connections, joins the threads.
    void stop();
    uint16_t port() const;

    struct impl;  // public so that server.cpp's sessions can reach it; defined there only

private:
    std::unique_ptr<impl> impl_;
};

// Splits "host:port"; returns false when it is not of that form.
bool split_listen_address(const std::string& listen, std::string& host, uint16_t& port);

}  // namespace ferry::host
