#include "net/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>

#include <pthread.h>

namespace ferry::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool split_listen_address(const std::string& listen, std::string& host, uint16_t& port) {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= listen.size()) return false;
    std::string digits = listen.substr(colon + 1);
    if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
    unsigned long value = std::stoul(digits);
    if (value > 65535) return false;
    host = listen.substr(0, colon);
    port = static_cast<uint16_t>(value);
    return true;
}

http_handler immediate(std::function<http_reply(const http_request_in&)> answer) {
    return [answer = std::move(answer)](http_request_in request, http_responder respond) { respond(answer(request)); };
}

struct http_server::impl {
    http_server_options options;
    http_handler handler;
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    tcp::acceptor acceptor{io};
    std::vector<std::thread> io_threads;
    std::atomic<bool> running{false};

    impl(http_server_options o, http_handler h) : options(std::move(o)), handler(std::move(h)) {}

    void accept();
};

namespace {

const std::chrono::seconds read_timeout(30);

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, http_server::impl& server) : stream_(std::move(socket)), server_(server) {}

    void read() {
        parser_.emplace();
        parser_->body_limit(server_.options.max_body_bytes);
        parser_->header_limit(server_.options.max_header_bytes);
        stream_.expires_after(read_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

private:
    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout) {
            close();
            return;
        }
        if (ec == http::error::body_limit) {
            respond({413, "application/json",
                     R"({"error":"body larger than )" + std::to_string(server_.options.max_body_bytes) + R"( bytes"})", {}},
                    false);
            return;
        }
        if (ec) {
            respond({400, "application/json", R"({"error":"malformed HTTP request"})", {}}, false);
            return;
        }
        http::request<http::string_body> request = parser_->release();
        bool keep_alive = request.keep_alive();
        http_request_in in;
        in.method = std::string(request.method_string());
        in.target = std::string(request.target());
        for (const auto& field : request) in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        in.body = std::move(request.body());
        auto answer = [self = shared_from_this(), keep_alive](http_reply reply) {
            asio::post(self->stream_.get_executor(),
                       [self, reply = std::move(reply), keep_alive]() mutable { self->respond(std::move(reply), keep_alive); });
        };
        try {
            server_.handler(std::move(in), std::move(answer));
        } catch (const std::exception&) {
            respond({500, "application/json", R"({"error":"internal error"})", {}}, false);
        }
    }

    void respond(http_reply reply, bool keep_alive) {
        auto response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(reply.status), 11);
        response->set(http::field::server, "ferry");
        response->set(http::field::content_type, reply.content_type);
        for (const auto& [name, value] : reply.headers) response->set(name, value);
        response->keep_alive(keep_alive);
        response->body() = std::move(reply.body);
        response->prepare_payload();
        stream_.expires_after(read_timeout);
        http::async_write(stream_, *response, [self = shared_from_this(), response](beast::error_code ec, size_t) {
            if (ec || !response->keep_alive()) {
                self->close();
                return;
            }
            self->read();
        });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http_server::impl& server_;
};

}  // namespace

void http_server::impl::accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
        if (!running) return;
        if (!ec) std::make_shared<session>(std::move(socket), *this)->read();
        accept();
    });
}

http_server::http_server(http_server_options options, http_handler handler)
    : impl_(std::make_unique<impl>(std::move(options), std::move(handler))) {}

http_server::~http_server() { stop(); }

void http_server::start() {
    beast::error_code ec;
    auto address = asio::ip::make_address(impl_->options.host, ec);
    if (ec) throw std::runtime_error("cannot listen on " + impl_->options.host + ": not an IP address");
    tcp::endpoint endpoint(address, impl_->options.port);
    impl_->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl_->acceptor.bind(endpoint, ec);
    if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
                                 ": " + ec.message());
    }
    impl_->running = true;
    impl_->work.emplace(impl_->io.get_executor());
    impl_->accept();
    for (size_t i = 0; i < std::max<size_t>(1, impl_->options.io_threads); ++i) {
        impl_->io_threads.emplace_back([this] {
            pthread_setname_np(pthread_self(), "ferry-http");
            impl_->io.run();
        });
    }
}

void http_server::stop() {
    if (!impl_ || !impl_->running.exchange(false)) return;
    impl_->work.reset();
    impl_->io.stop();
    for (auto& t : impl_->io_threads) t.join();
    impl_->io_threads.clear();
    // No I/O thread runs any more: the acceptor can be closed here, and the port is free at once.
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
}

uint16_t http_server::port() const {
    beast::error_code ec;
    auto endpoint = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

}  // namespace ferry::net
