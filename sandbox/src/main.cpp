// ferry-sandbox: serves the emulated Shopify and SYSPRO on loopback ports until SIGTERM or SIGINT.
#include "common/sandbox.hpp"
#include "shopify/shopify_service.hpp"
#include "syspro/syspro_service.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

namespace json = boost::json;

int main(int argc, char** argv) {
    CLI::App app{"ferry-sandbox: emulated Shopify and SYSPRO for trying and testing ferry with no credentials"};
    std::string bind = "127.0.0.1";
    uint16_t shopify_port = 0;
    uint16_t syspro_port = 0;
    std::vector<std::string> services{"shopify", "syspro"};
    std::string seed_file;
    std::string ready_file;
    app.add_option("--bind", bind, "address to listen on")->capture_default_str();
    app.add_option("--shopify-port", shopify_port, "port of the Shopify emulator (0: any free port)")->capture_default_str();
    app.add_option("--syspro-port", syspro_port, "port of the SYSPRO emulator (0: any free port)")->capture_default_str();
    app.add_option("--services", services, "which systems to emulate")
        ->delimiter(',')
        ->check(CLI::IsMember({"shopify", "syspro"}))
        ->capture_default_str();
    app.add_option("--seed", seed_file, "JSON file with the starting state of each system")->check(CLI::ExistingFile);
    app.add_option("--ready-file", ready_file,
                   "once listening, write {\"shopify\": URL, \"syspro\": URL} to this file (for scripts and tests)");
    CLI11_PARSE(app, argc, argv);

    // Block the stop signals before any thread starts, so that only sigwait below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    try {
        ferry::sandbox::sandbox box;
        for (const std::string& name : services) {
            if (name == "shopify") box.add(ferry::sandbox::shopify::make_service(box.timers()), bind, shopify_port);
            if (name == "syspro") box.add(ferry::sandbox::syspro::make_service(box.timers()), bind, syspro_port);
        }
        if (!seed_file.empty()) {
            std::ifstream in(seed_file);
            std::stringstream text;
            text << in.rdbuf();
            json::error_code ec;
            json::value seed = json::parse(text.str(), ec);
            if (ec) {
                std::cerr << "ferry-sandbox: " << seed_file << " is not JSON: " << ec.message() << "\n";
                return 2;
            }
            box.seed(seed);
        }
        box.start();
        json::object urls;
        for (const std::string& name : services) {
            urls[name] = box.url(name);
            std::cout << "ferry-sandbox: " << name << " on " << box.url(name) << "\n";
        }
        std::cout << "ferry-sandbox: control routes under /_sandbox/ (sandbox/README.md); Ctrl-C stops" << std::endl;
        if (!ready_file.empty()) {
            std::string tmp = ready_file + ".tmp";
            std::ofstream(tmp) << json::serialize(urls) << "\n";
            std::rename(tmp.c_str(), ready_file.c_str());
        }
        int received = 0;
        sigwait(&stop_signals, &received);
        std::cout << "ferry-sandbox: stopping" << std::endl;
        box.stop();
    } catch (const std::exception& e) {
        std::cerr << "ferry-sandbox: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
