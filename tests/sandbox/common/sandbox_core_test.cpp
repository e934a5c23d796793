// The sandbox frame: faults apply to the emulated API and never to the control routes.
#include "common/faults.hpp"
#include "common/sandbox.hpp"

#include <boost/json.hpp>
#include "http_test_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace {

namespace json = boost::json;
using namespace ferry;

// An emulated system that answers every request with its path.
class echo_service : public sandbox::service {
public:
    std::string_view name() const override { return "echo"; }
    void seed(const json::value& data) override {
        if (!data.is_object()) throw std::invalid_argument("echo: seed must be an object");
        seeded = true;
    }
    void handle(net::http_request_in request, net::http_responder respond) override {
        ++handled;
        respond({200, "text/plain", request.target, {}});
    }
    net::http_reply failure_reply(int status) const override { return {status, "text/plain", "echo failed", {}}; }

    std::atomic<int> handled{0};
    bool seeded = false;
};

using answer = ferry::test::http_answer;

answer request(const std::string& url, const std::string& method = "GET", const std::string& body = "",
               long timeout_ms = 5000) {
    return ferry::test::http_call(method, url, body, {}, timeout_ms);
}

class sandbox_core : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = std::make_unique<echo_service>();
        echo = s.get();
        box.add(std::move(s));
        box.start();
        base = box.url("echo");
    }

    sandbox::sandbox box;
    echo_service* echo = nullptr;
    std::string base;
};

TEST_F(sandbox_core, serves_a_service_on_its_own_port) {
    answer a = request(base + "/anything?x=1");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, "/anything?x=1");
}

TEST_F(sandbox_core, fail_next_fails_exactly_that_many_api_requests_with_the_services_error_shape) {
    ASSERT_EQ(request(base + "/_sandbox/faults", "POST", R"({"fail_next": 2, "error_status": 502})").status, 200);
    answer first = request(base + "/api");
    EXPECT_EQ(first.status, 502);
    EXPECT_EQ(first.body, "echo failed");
    EXPECT_EQ(request(base + "/api").status, 502);
    EXPECT_EQ(request(base + "/api").status, 200);
    EXPECT_EQ(echo->handled.load(), 1);
}

TEST_F(sandbox_core, down_answers_503_but_control_routes_still_work) {
    ASSERT_EQ(request(base + "/_sandbox/faults", "POST", R"({"down": true})").status, 200);
    EXPECT_EQ(request(base + "/api").status, 503);
    EXPECT_EQ(request(base + "/_sandbox/state").status, 200);  // passed to the service, not failed
    ASSERT_EQ(request(base + "/_sandbox/faults", "DELETE").status, 200);
    EXPECT_EQ(request(base + "/api").status, 200);
}

TEST_F(sandbox_core, latency_delays_the_answer) {
    ASSERT_EQ(request(base + "/_sandbox/faults", "POST", R"({"latency_ms": 150})").status, 200);
    answer a = request(base + "/api");
    EXPECT_EQ(a.status, 200);
    EXPECT_GE(a.seconds, 0.14);
}

TEST_F(sandbox_core, a_hung_request_is_never_answered_and_the_next_one_is) {
    ASSERT_EQ(request(base + "/_sandbox/faults", "POST", R"({"hang_next": 1, "hang_ms": 2000})").status, 200);
    answer hung = request(base + "/api", "GET", "", 300);
    EXPECT_EQ(hung.status, 0);  // the client's timeout fired
    EXPECT_EQ(request(base + "/api").status, 200);
}

TEST_F(sandbox_core, bad_fault_settings_are_refused_with_the_reason) {
    answer unknown = request(base + "/_sandbox/faults", "POST", R"({"explode": true})");
    EXPECT_EQ(unknown.status, 400);
    EXPECT_NE(unknown.body.find("unknown fault 'explode'"), std::string::npos);
    answer range = request(base + "/_sandbox/faults", "POST", R"({"error_rate": 2})");
    EXPECT_EQ(range.status, 400);
    EXPECT_NE(range.body.find("between 0 and 1"), std::string::npos);
    EXPECT_EQ(request(base + "/_sandbox/faults", "POST", "not json").status, 400);
}

TEST(sandbox_faults, an_error_rate_fails_about_that_share_and_repeats_with_its_seed) {
    sandbox::faults f;
    f.set(json::parse(R"({"error_rate": 0.25, "random_seed": 7})"));
    auto count = [&] {
        int failed = 0;
        for (int i = 0; i < 4000; ++i) failed += f.decide().fail_status != 0;
        return failed;
    };
    int first = count();
    EXPECT_GT(first, 850);
    EXPECT_LT(first, 1150);
    f.set(json::parse(R"({"error_rate": 0.25, "random_seed": 7})"));
    EXPECT_EQ(count(), first);
}

TEST(sandbox_seed, each_section_goes_to_its_service_and_unknown_sections_are_refused) {
    sandbox::sandbox box;
    auto s = std::make_unique<echo_service>();
    echo_service* echo = s.get();
    box.add(std::move(s));
    box.seed(json::parse(R"({"echo": {}})"));
    EXPECT_TRUE(echo->seeded);
    EXPECT_THROW(box.seed(json::parse(R"({"sage": {}})")), std::invalid_argument);
}

}  // namespace
