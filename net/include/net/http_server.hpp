// A small HTTP/1.1 server shared by the host (webhooks, health, metrics, status) and the sandbox's
// emulators. Requests are read and handled on a couple of I/O threads; a handler must not block,
// and answers through its responder, from any thread, whenever the answer is ready (a webhook once
// its records are durable). Only http_server.cpp includes Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ferry::net {

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
    std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type; may replace Server
};

// Sends the answer to one request; callable once, from any thread.
using http_responder = std::function<void(http_reply)>;
using http_handler = std::function<void(http_request_in, http_responder)>;

// A handler for answers computed on the spot.
http_handler immediate(std::function<http_reply(const http_request_in&)> answer);

struct http_server_options {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;  // 0: any free port, see port()
    uint64_t max_body_bytes = 1024 * 1024;
    uint32_t max_header_bytes = 64 * 1024;  // request line and headers; SYSPRO's XML rides in URLs
    size_t io_threads = 2;
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

}  // namespace ferry::net
