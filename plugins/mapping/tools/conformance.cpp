// jsonata-conformance DIR: runs every case of a test suite in the jsonata-js test-suite format
// (DIR/groups/<group>/*.json, DIR/datasets/*.json), prints pass/fail per group and ends with
// "N passed, M failed". --verbose lists each failing case and why; --min-passed N exits 1 when
// fewer pass (a floor against regressions, used by the test suite).
#include "jsonata/jsonata.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
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

bool numbers_equal(double a, double b) {
    if (a == b) return true;
    return std::fabs(a - b) <= 1e-10 * std::max(std::fabs(a), std::fabs(b));
}

bool same(const json::value& a, const json::value& b, bool unordered) {
    if (a.is_number() && b.is_number()) return numbers_equal(a.to_number<double>(), b.to_number<double>());
    if (a.kind() != b.kind()) return false;
    if (a.is_array()) {
        const auto& x = a.get_array();
        const auto& y = b.get_array();
        if (x.size() != y.size()) return false;
        if (!unordered) {
            for (size_t i = 0; i < x.size(); ++i) {
                if (!same(x[i], y[i], false)) return false;
            }
            return true;
        }
        std::vector<bool> used(y.size());
        for (const auto& item : x) {
            bool found = false;
            for (size_t j = 0; j < y.size() && !found; ++j) {
                if (!used[j] && same(item, y[j], false)) found = used[j] = true;
            }
            if (!found) return false;
        }
        return true;
    }
    if (a.is_object()) {
        const auto& x = a.get_object();
        const auto& y = b.get_object();
        if (x.size() != y.size()) return false;
        for (const auto& member : x) {
            const json::value* other = y.if_contains(member.key());
            if (!other || !same(member.value(), *other, false)) return false;
        }
        return true;
    }
    return a == b;
}

struct outcome {
    bool passed = false;
    std::string why;
};

outcome run_case(const json::object& c, const fs::path& group_dir, const fs::path& datasets) {
    std::string text;
    if (const json::value* e = c.if_contains("expr")) {
        text = std::string(e->as_string());
    } else if (const json::value* f = c.if_contains("expr-file")) {
        fs::path file = group_dir / std::string(f->as_string());
        if (!fs::exists(file)) return {false, "expression file " + file.filename().string() + " is not in the suite"};
        text = read(file);
    }
    jsonata::value input;
    if (const json::value* d = c.if_contains("data")) {
        input = jsonata::from_json(*d);
    } else if (const json::value* ds = c.if_contains("dataset"); ds && ds->is_string()) {
        input = jsonata::from_json(json::parse(read(datasets / (std::string(ds->as_string()) + ".json"))));
    }
    std::vector<std::pair<std::string, jsonata::value>> bindings;
    if (const json::value* b = c.if_contains("bindings"); b && b->is_object()) {
        for (const auto& member : b->get_object()) bindings.emplace_back(std::string(member.key()), jsonata::from_json(member.value()));
    }
    jsonata::evaluation_limits limits;
    if (const json::value* t = c.if_contains("timelimit"); t && t->is_number()) limits.timeout_ms = t->to_number<int64_t>();
    if (const json::value* d = c.if_contains("depth"); d && d->is_number()) limits.max_depth = d->to_number<size_t>() * 20;

    std::string expected_code;
    if (const json::value* code = c.if_contains("code")) expected_code = std::string(code->as_string());
    if (const json::value* err = c.if_contains("error"); err && err->is_object()) {
        expected_code = std::string(err->as_object().at("code").as_string());
    }
    try {
        jsonata::expression e = jsonata::expression::compile(text);
        jsonata::value result = e.evaluate(input, bindings, limits);
        if (!expected_code.empty()) return {false, "expected error " + expected_code + ", got a result"};
        if (const json::value* u = c.if_contains("undefinedResult"); u && u->as_bool()) {
            if (result.is_undefined()) return {true, ""};
            return {false, "expected undefined, got " + json::serialize(jsonata::to_json(result))};
        }
        const json::value* expected = c.if_contains("result");
        if (!expected) return {false, "the case names no expected result"};
        if (result.is_undefined()) return {false, "got undefined, expected " + json::serialize(*expected)};
        json::value got = jsonata::to_json(result);
        bool unordered = c.contains("unordered") && c.at("unordered").as_bool();
        if (same(got, *expected, unordered)) return {true, ""};
        return {false, "got " + json::serialize(got) + ", expected " + json::serialize(*expected)};
    } catch (const jsonata::error& e) {
        if (!expected_code.empty() && e.code() == expected_code) return {true, ""};
        if (!expected_code.empty()) return {false, "expected error " + expected_code + ", got " + e.what()};
        return {false, std::string("error ") + e.what()};
    } catch (const std::exception& e) {
        return {false, std::string("exception: ") + e.what()};
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: jsonata-conformance DIR [--verbose] [--group NAME] [--min-passed N]\n";
        return 2;
    }
    fs::path root = argv[1];
    bool verbose = false;
    std::string only;
    size_t min_passed = 0;
    for (int i = 2; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--verbose") verbose = true;
        if (flag == "--group" && i + 1 < argc) only = argv[++i];
        if (flag == "--min-passed" && i + 1 < argc) min_passed = std::stoul(argv[++i]);
    }
    fs::path groups = root / "groups";
    if (!fs::is_directory(groups)) {
        std::cerr << "jsonata-conformance: " << groups << " is not a directory\n";
        return 2;
    }
    std::vector<fs::path> group_dirs;
    for (const auto& entry : fs::directory_iterator(groups)) {
        if (entry.is_directory()) group_dirs.push_back(entry.path());
    }
    std::sort(group_dirs.begin(), group_dirs.end());
    size_t passed = 0, failed = 0;
    for (const auto& dir : group_dirs) {
        if (!only.empty() && dir.filename() != only) continue;
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (entry.path().extension() == ".json") files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        size_t group_pass = 0, group_fail = 0;
        std::vector<std::string> failures;
        for (const auto& file : files) {
            json::value doc = json::parse(read(file));
            std::vector<json::object> cases;
            if (doc.is_array()) {
                for (const auto& c : doc.get_array()) cases.push_back(c.as_object());
            } else {
                cases.push_back(doc.as_object());
            }
            for (size_t i = 0; i < cases.size(); ++i) {
                outcome o = run_case(cases[i], dir, root / "datasets");
                if (o.passed) {
                    ++group_pass;
                } else {
                    ++group_fail;
                    failures.push_back(file.filename().string() + (cases.size() > 1 ? "#" + std::to_string(i) : "") + ": " + o.why);
                }
            }
        }
        passed += group_pass;
        failed += group_fail;
        std::cout << (group_fail ? "FAIL " : "pass ") << dir.filename().string() << ": " << group_pass << "/" << group_pass + group_fail
                  << "\n";
        if (verbose) {
            for (const auto& f : failures) std::cout << "    " << f.substr(0, 300) << "\n";
        }
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    if (passed < min_passed) {
        std::cout << "fewer than the " << min_passed << " cases that passed before: a regression\n";
        return 1;
    }
    return 0;
}
