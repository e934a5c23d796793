// Load test of `ferry run` on loopback: signed webhooks accepted durably per second, records per
// second end to end (webhook, two transforms, an HTTP sink), webhook-to-sink latency at half the
// end-to-end maximum, and ferry's peak RSS. Method and results: bench/README.md.
//
//   build/bench/engine_load [--seconds N] [--clients N]
#include "http/client.hpp"
#include "net/http_server.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ferry::host;
using namespace ferry::net;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string secret = "bench-webhook-secret";

std::string sign(const std::string& body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
         body.size(), digest, &length);
    unsigned char encoded[64];
    int written = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
    return std::string(reinterpret_cast<char*>(encoded), static_cast<size_t>(written));
}

// A realistic order webhook body of about 1.5 KB.
std::string order_body(int id) {
    std::string lines;
    for (int i = 0; i < 4; ++i) {
        lines += std::string(i ? "," : "") + R"({"sku":"SKU-)" + std::to_string(1000 + i) +
                 R"(","title":"Merino wool crew neck sweater, charcoal, size M","quantity":2,"price":"59.90","grams":450})";
    }
    return R"({"id":)" + std::to_string(id) +
           R"(,"name":"#)" + std::to_string(1000 + id) +
           R"(","email":"buyer)" + std::to_string(id) + R"(@example.com","currency":"EUR","total_price":"479.20",)"
           R"("shipping_address":{"first_name":"Ada","last_name":"Lovelace","address1":"12 Analytical Street",)"
           R"("city":"London","zip":"N1 9GU","country_code":"GB"},"line_items":[)" + lines + "]}";
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1));
    return values[index];
}

class ferry_instance {
public:
    ferry_instance(const fs::path& binary, const fs::path& manifest, const fs::path& log, const std::string& workers)
        : log_(log) {
        pid_ = ::fork();
        if (pid_ == 0) {
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execl(binary.c_str(), binary.c_str(), "--log-level", "warn", "run", "--workers", workers.c_str(), manifest.c_str(), nullptr);
            ::_exit(127);
        }
    }
    ~ferry_instance() { stop(); }

    // The port it listens on, as `ferry status` finds it in the store; 0 if it does not come up.
    int wait_port(const fs::path& binary, const fs::path& manifest) {
        for (int i = 0; i < 2000; ++i) {
            std::string out = capture(binary.string() + " status " + manifest.string());
            std::smatch m;
            static const std::regex running(R"(ferry is running \(127\.0\.0\.1:([0-9]+)\))");
            if (std::regex_search(out, m, running)) return std::stoi(m[1]);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return 0;
    }
    long peak_rss_kb() const {
        std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
        for (std::string line; std::getline(status, line);) {
            if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
        }
        return 0;
    }
    // CPU seconds (user + system) the process has used so far.
    double cpu_seconds() const {
        std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), {});
        std::istringstream fields(text.substr(text.rfind(')') + 2));
        std::string field;
        double ticks = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i == 14 || i == 15) ticks += std::stod(field);
        }
        return ticks / double(::sysconf(_SC_CLK_TCK));
    }
    // Bytes the process has handed to write calls so far (its journal, WAL and log): the store's
    // write amplification per record.
    long bytes_written() const {
        std::ifstream io("/proc/" + std::to_string(pid_) + "/io");
        for (std::string line; std::getline(io, line);) {
            if (line.rfind("wchar:", 0) == 0) return std::stol(line.substr(6));
        }
        return 0;
    }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    static std::string capture(const std::string& command) {
        std::string out;
        FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
        if (!pipe) return out;
        char buffer[4096];
        while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
        ::pclose(pipe);
        return out;
    }

private:
    fs::path log_;
    pid_t pid_ = -1;
};

// The HTTP target the sink delivers to; records when each order arrived.
struct target {
    std::mutex mutex;
    std::map<int, clock_type::time_point> arrivals;
    std::atomic<int> received{0};

    http_reply handle(const http_request_in& request) {
        if (request.method != "POST") return {404, "application/json", "{}", {}};
        boost::json::error_code ec;
        boost::json::value body = boost::json::parse(request.body, ec);
        int id = ec ? -1 : static_cast<int>(body.at("id").to_number<int64_t>());
        auto now = clock_type::now();
        {
            std::lock_guard lock(mutex);
            arrivals.emplace(id, now);
        }
        ++received;
        return {201, "application/json", R"({"id":"SO-)" + std::to_string(id) + "\"}", {}};
    }
};

struct load_result {
    size_t sent = 0;
    size_t accepted = 0;
    double seconds = 0;
    std::map<int, clock_type::time_point> sent_at;
    std::vector<double> answer_ms;  // per webhook, from sending it to its whole answer (light generator)
};

// Sends signed webhooks from `clients` threads, for `seconds`, at most `rate` per second in all
// (0: as fast as they can), with ids from `first_id`.
load_result send_load(int port, int clients, double seconds, double rate, int first_id) {
    load_result result;
    std::mutex mutex;
    std::atomic<int> next_id{first_id};
    std::atomic<size_t> accepted{0}, sent{0};
    auto start = clock_type::now();
    auto end = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            http_client client;
            std::map<int, clock_type::time_point> mine;
            for (size_t n = 0;; ++n) {
                if (rate > 0) {
                    // Each client keeps its share of the rate on a fixed schedule.
                    auto due = start + std::chrono::duration_cast<clock_type::duration>(
                                           std::chrono::duration<double>((double(n) * clients + c) / rate));
                    if (due >= end) break;
                    std::this_thread::sleep_until(due);
                } else if (clock_type::now() >= end) {
                    break;
                }
                int id = next_id++;
                http_call call;
                call.method = "POST";
                call.url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/shop";
                call.body = order_body(id);
                call.headers = {{"X-Test-Hmac-Sha256", sign(call.body)}, {"X-Test-Event-Id", std::to_string(id)},
                                {"Content-Type", "application/json"}};
                mine[id] = clock_type::now();
                ++sent;
                if (client.send("load", call).status == 200) ++accepted;
            }
            std::lock_guard lock(mutex);
            result.sent_at.insert(mine.begin(), mine.end());
        });
    }
    for (auto& t : threads) t.join();
    result.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    result.sent = sent;
    result.accepted = accepted;
    return result;
}

// The same load as send_load at full speed, from one thread: `clients` keep-alive connections
// driven by epoll, each sending the next webhook as soon as the last is answered. It leaves ferry
// the CPU that 16 libcurl threads would take on a 2-core machine.
load_result send_load_light(int port, int clients, double seconds, int first_id) {
    load_result result;
    struct connection {
        int fd = -1;
        std::string out;      // the request being written
        size_t written = 0;
        std::string in;       // the answer being read
        clock_type::time_point sent;
    };
    int epoll = ::epoll_create1(0);
    std::vector<connection> connections(static_cast<size_t>(clients));
    int next_id = first_id;
    auto start = clock_type::now();
    auto end = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
    auto next_request = [&](connection& c) {
        int id = next_id++;
        std::string body = order_body(id);
        c.out = "POST /webhooks/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Test-Hmac-Sha256: " +
                sign(body) + "\r\nX-Test-Event-Id: " + std::to_string(id) + "\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body;
        c.written = 0;
        c.in.clear();
        c.sent = clock_type::now();
        ++result.sent;
    };
    for (size_t i = 0; i < connections.size(); ++i) {
        connection& c = connections[i];
        c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(c.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            std::perror("connect");
            std::exit(1);
        }
        int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::fcntl(c.fd, F_SETFL, O_NONBLOCK);
        epoll_event event{};
        event.events = EPOLLIN | EPOLLOUT | EPOLLET;  // edges: an idle connection never spins
        event.data.u64 = i;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, c.fd, &event);
        next_request(c);
    }
    size_t open = connections.size();
    std::vector<epoll_event> events(connections.size());
    char buffer[16384];
    while (open > 0) {
        int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 1000);
        for (int e = 0; e < n; ++e) {
            connection& c = connections[events[static_cast<size_t>(e)].data.u64];
            if (c.fd < 0) continue;
            while (c.written < c.out.size()) {
                ssize_t w = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
                if (w <= 0) break;
                c.written += static_cast<size_t>(w);
            }
            bool lost = false;  // ferry closed the connection or went away
            for (;;) {
                ssize_t r = ::recv(c.fd, buffer, sizeof buffer, 0);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (r <= 0) {
                    lost = true;
                    break;
                }
                c.in.append(buffer, static_cast<size_t>(r));
            }
            if (lost) {
                std::fprintf(stderr, "a connection to ferry was closed under load\n");
                ::close(c.fd);
                c.fd = -1;
                --open;
                continue;
            }
            size_t header_end = c.in.find("\r\n\r\n");
            if (header_end == std::string::npos) continue;
            size_t length_at = c.in.find("Content-Length: ");
            size_t length = length_at == std::string::npos ? 0 : std::stoul(c.in.substr(length_at + 16));
            if (c.in.size() < header_end + 4 + length) continue;
            if (c.in.compare(0, 12, "HTTP/1.1 200") == 0) ++result.accepted;
            result.answer_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - c.sent).count());
            if (clock_type::now() >= end) {
                ::close(c.fd);
                c.fd = -1;
                --open;
            } else {
                next_request(c);
                while (c.written < c.out.size()) {
                    ssize_t w = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
                    if (w <= 0) break;
                    c.written += static_cast<size_t>(w);
                }
            }
        }
    }
    ::close(epoll);
    result.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return result;
}

fs::path write_manifest(const fs::path& dir, const fs::path& plugins, int target_port, bool http_sink) {
    std::string sink = http_sink ? R"({"connection": "erp", "stream": "order", "component": "http", "config": {"path": "/orders"}})"
                                 : R"({"connection": "erp", "stream": "order", "component": "memory"})";
    fs::path path = dir / "ferry.json";
    std::ofstream(path) << R"({
      "ferry": 1,
      "plugins": [")" << plugins.string() << R"("],
      "store": "sqlite://ferry.db",
      "server": {"listen": "127.0.0.1:0", "max_body_bytes": 65536},
      "connections": {
        "shop": {"plugin": "testkit", "config": {"endpoint": "http://127.0.0.1:9", "token": "${env:BENCH_TOKEN}"}},
        "erp": {"plugin": "testkit", "config": {"endpoint": "http://127.0.0.1:)" << target_port << R"(", "token": "${env:BENCH_TOKEN}"}}
      },
      "pipelines": {"orders": {
        "source": {"connection": "shop", "stream": "order", "config": {"hmac_secret": "${env:BENCH_SECRET}"}},
        "transforms": [{"use": "testkit.echo"}, {"use": "testkit.echo"}],
        "sink": )" << sink << R"(,
        "concurrency": 32
      }}
    })";
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 5;
    // Enough concurrent senders to keep ferry busy: each waits for a durable answer before its next
    // webhook, so with few of them the rate measures the commit's round trip, not ferry's capacity.
    int clients = 64;
    std::string generator = "light";
    std::string workers = "3";  // delivery threads: one per core and one more for the HTTP sink's round trips
    std::string phases = "intake,e2e,latency";
    double e2e_rate = 0;  // measured by phase 2, or given
    std::string ferry_binary;  // another build of ferry to compare, instead of this build's
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
        if (flag == "--clients") clients = std::stoi(argv[i + 1]);
        if (flag == "--generator") generator = argv[i + 1];
        if (flag == "--workers") workers = argv[i + 1];
        if (flag == "--phases") phases = argv[i + 1];
        if (flag == "--e2e-rate") e2e_rate = std::stod(argv[i + 1]);
        if (flag == "--ferry") ferry_binary = argv[i + 1];
    }
    if (generator != "light" && generator != "curl") {
        std::cerr << "--generator is light (one epoll thread, the default) or curl (a libcurl thread per client)\n";
        return 2;
    }
    auto runs = [&](const std::string& phase) { return ("," + phases + ",").find("," + phase + ",") != std::string::npos; };
    // Phases 1 and 2 send as fast as ferry answers.
    auto full_speed = [&](int port, int first_id) {
        return generator == "light" ? send_load_light(port, clients, seconds, first_id)
                                    : send_load(port, clients, seconds, 0, first_id);
    };
    fs::path bench_dir = fs::canonical("/proc/self/exe").parent_path();
    fs::path build = bench_dir.parent_path();
    fs::path binary = ferry_binary.empty() ? build / "bin" / "ferry" : fs::path(ferry_binary);
    fs::path plugins = build / "tests" / "plugins";
    ::setenv("BENCH_TOKEN", "bench-token-123456", 1);
    ::setenv("BENCH_SECRET", secret.c_str(), 1);
    ::unsetenv("FERRY_PLUGIN_PATH");

    target sink;
    http_server_options options;
    options.port = 0;
    http_server server(options, immediate([&](const http_request_in& r) { return sink.handle(r); }));
    server.start();
    long peak_rss = 0;

    // Each phase runs its own ferry on a fresh store; returns its port, or 0 if it did not start.
    auto start_phase = [&](const std::string& name, bool http_sink, std::unique_ptr<ferry_instance>& ferry, fs::path& dir) {
        dir = fs::temp_directory_path() / ("ferry-bench-" + name + "-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        fs::path manifest = write_manifest(dir, plugins, server.port(), http_sink);
        ferry = std::make_unique<ferry_instance>(binary, manifest, dir / "ferry.log", workers);
        int port = ferry->wait_port(binary, manifest);
        if (!port) std::cerr << "ferry did not start; see " << (dir / "ferry.log") << "\n";
        return port;
    };
    // Keeps the phase's directory (store and log) when it went wrong, for a look afterwards.
    auto end_phase = [&](std::unique_ptr<ferry_instance>& ferry, const fs::path& dir, bool went_wrong = false) {
        peak_rss = std::max(peak_rss, ferry->peak_rss_kb());
        ferry->stop();
        if (went_wrong) {
            std::printf("kept %s (store and log) for a look\n", dir.c_str());
        } else {
            fs::remove_all(dir);
        }
    };

    // 1. Intake: signed webhooks accepted durably per second (sink: in-process memory).
    if (runs("intake")) {
        std::unique_ptr<ferry_instance> ferry;
        fs::path dir;
        int port = start_phase("intake", false, ferry, dir);
        if (!port) return 1;
        double cpu_before = ferry->cpu_seconds();
        long written_before = ferry->bytes_written();
        load_result r = full_speed(port, 1);
        double cpu = ferry->cpu_seconds() - cpu_before;
        double written = double(ferry->bytes_written() - written_before);
        double intake_rate = double(r.accepted) / r.seconds;
        std::printf("intake:      %zu webhooks accepted durably in %.2f s = %.0f/s (%zu sent, %d clients); "
                    "ferry used %.2f CPU-s = %.0f us and wrote %.1f KB per webhook; %s generator\n",
                    r.accepted, r.seconds, intake_rate, r.sent, clients, cpu, cpu / double(r.accepted) * 1e6,
                    written / double(r.accepted) / 1024, generator.c_str());
        if (!r.answer_ms.empty()) {
            std::printf("             answer time p50 %.2f ms, p99 %.2f ms (each client waits for its answer before the next)\n",
                        percentile(r.answer_ms, 0.50), percentile(r.answer_ms, 0.99));
        }
        end_phase(ferry, dir);
    }

    // 2. End to end at full speed: webhook, two transforms, HTTP sink on loopback.
    if (runs("e2e")) {
        std::unique_ptr<ferry_instance> ferry;
        fs::path dir;
        int port = start_phase("e2e", true, ferry, dir);
        if (!port) return 1;
        auto start = clock_type::now();
        double cpu_before = ferry->cpu_seconds();
        load_result r = full_speed(port, 1000000);
        auto deadline = clock_type::now() + std::chrono::seconds(120);
        while (sink.received < static_cast<int>(r.accepted) && clock_type::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
        e2e_rate = double(sink.received) / elapsed;
        double cpu = ferry->cpu_seconds() - cpu_before;
        std::printf("end to end:  %d of %zu records at the target in %.2f s = %.0f records/s; "
                    "ferry used %.2f CPU-s = %.0f us per record\n",
                    sink.received.load(), r.accepted, elapsed, e2e_rate, cpu, cpu / double(sink.received) * 1e6);
        end_phase(ferry, dir, sink.received < static_cast<int>(r.accepted));
    }

    // 3. Latency at half the end-to-end maximum (--e2e-rate names it when phase 2 does not run).
    if (runs("latency") && e2e_rate > 0) {
        std::unique_ptr<ferry_instance> ferry;
        fs::path dir;
        int port = start_phase("latency", true, ferry, dir);
        if (!port) return 1;
        {
            std::lock_guard lock(sink.mutex);
            sink.arrivals.clear();
        }
        sink.received = 0;
        double rate = std::max(1.0, e2e_rate / 2);
        // A paced load needs no more senders than it has webhooks in flight.
        constexpr int paced_clients = 16;
        load_result r = send_load(port, paced_clients, seconds, rate, 2000000);
        auto deadline = clock_type::now() + std::chrono::seconds(60);
        while (sink.received < static_cast<int>(r.accepted) && clock_type::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::vector<double> latencies;
        {
            std::lock_guard lock(sink.mutex);
            for (const auto& [id, sent] : r.sent_at) {
                auto arrived = sink.arrivals.find(id);
                if (arrived != sink.arrivals.end()) {
                    latencies.push_back(std::chrono::duration<double, std::milli>(arrived->second - sent).count());
                }
            }
        }
        std::printf("latency:     at %.0f webhooks/s (half of end to end): p50 %.2f ms, p99 %.2f ms, max %.2f ms over %zu records\n",
                    rate, percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 1.0),
                    latencies.size());
        end_phase(ferry, dir);
    }
    std::printf("peak RSS:    %.1f MB (ferry's VmHWM, largest of the three runs)\n", double(peak_rss) / 1024.0);
    server.stop();
    return 0;
}
