// Evaluations per second of ferry's JSONata engine on the mappings of bench/jsonata/mappings.json,
// compiled once, evaluated on the same input again and again. bench/jsonata/compare.sh runs this
// and the reference implementation in one go. Prints "<name> <evaluations/s>" per mapping.
#include "jsonata/jsonata.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace ferry::mapping;

namespace {

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

int main(int argc, char** argv) {
    fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path(FERRY_BENCH_JSONATA_DIR);
    double seconds = argc > 2 ? std::stod(argv[2]) : 3.0;
    json::object mappings = json::parse(read(dir / "mappings.json")).as_object();
    for (const auto& m : mappings) {
        const json::object& spec = m.value().as_object();
        jsonata::expression e = jsonata::expression::compile(std::string(spec.at("expr").as_string()));
        jsonata::value input = jsonata::from_json(json::parse(read(dir / std::string(spec.at("input").as_string()))));
        size_t checksum = 0;
        for (int i = 0; i < 2000; ++i) checksum += e.evaluate(input).is_undefined() ? 0 : 1;
        auto start = std::chrono::steady_clock::now();
        auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
        size_t count = 0;
        while (std::chrono::steady_clock::now() < end) {
            for (int i = 0; i < 100; ++i) checksum += e.evaluate(input).is_undefined() ? 0 : 1;
            count += 100;
        }
        double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cout << std::string(m.key()) << " " << static_cast<long long>(double(count) / elapsed) << "\n";
        if (checksum == 0) std::cerr << "every evaluation was undefined\n";
    }
    return 0;
}
