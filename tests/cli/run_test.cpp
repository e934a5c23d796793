// `ferry run` and the commands around it, as a user runs them: real processes, real HTTP on
// loopback ports the process picks, the SQLite store on disk.
#include "http/client.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace ferry::host;
using ferry::test::eventually;
using ferry::test::ferry_process;
using ferry::test::run_ferry;
using ferry::test::temp_dir;
namespace json = boost::json;

namespace {

class run_test : public ::testing::Test {
protected:
    void SetUp() override { ::setenv("FERRY_TEST_TOKEN", "tok-0123456789", 1); }

    std::filesystem::path write_manifest(const std::string& sink_extra = "") {
        return dir.write("ferry.json", R"({
          "ferry": 1,
          "plugins": [")" + std::string(FERRY_TEST_PLUGIN_DIR) + R"("],
          "store": "sqlite://ferry.db",
          "server": {"listen": "127.0.0.1:0", "max_body_bytes": 2048},
          "connections": {"svc": {"plugin": "testkit", "config": {"endpoint": "http://127.0.0.1:9", "token": "${env:FERRY_TEST_TOKEN}"}}},
          "pipelines": {
            "orders": {
              "source": {"connection": "svc", "stream": "order", "poll": "1h", "config": {"count": 3}},
              "sink": {"connection": "svc", "stream": "order", "component": "file",
                       "config": {"path": ")" + sink().string() + "\"" + sink_extra + R"(}},
              "retry": {"max_attempts": 2, "backoff": "5ms..10ms"}
            }
          }
        })");
    }

    std::filesystem::path sink() const { return dir.path() / "sink.jsonl"; }
    size_t sink_lines() const {
        std::ifstream in(sink());
        size_t n = 0;
        for (std::string line; std::getline(in, line);) ++n;
        return n;
    }

    http_result post(int port, const std::string& body, const std::string& signature = "good") {
        http_call call;
        call.method = "POST";
        call.url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/svc";
        call.headers = {{"X-Test-Signature", signature}, {"Content-Type", "application/json"}};
        call.body = body;
        return client.send("test", call);
    }
    http_result get(int port, const std::string& path) {
        http_call call;
        call.url = "http://127.0.0.1:" + std::to_string(port) + path;
        return client.send("test", call);
    }

    temp_dir dir;
    http_client client;
};

TEST_F(run_test, serves_webhooks_health_and_metrics_then_stops_cleanly_on_sigterm) {
    auto manifest = write_manifest();
    ferry_process ferry({"run", manifest.string()}, dir.path() / "ferry.log");
    int port = ferry.port();
    ASSERT_NE(port, 0) << ferry.log();

    for (int id = 101; id <= 120; ++id) {  // keys apart from the poll's ticker:1..3
        http_result r = post(port, R"({"id":)" + std::to_string(id) + "}");
        ASSERT_EQ(r.status, 200) << r.body << r.error;
    }
    EXPECT_EQ(post(port, R"({"id":99})", "forged").status, 401);
    EXPECT_EQ(post(port, "[1]").status, 400);
    EXPECT_EQ(post(port, R"({"id":1,"pad":")" + std::string(4096, 'x') + "\"}").status, 413);
    EXPECT_EQ(get(port, "/webhooks/svc").status, 405);
    EXPECT_EQ(get(port, "/nope").status, 404);
    EXPECT_EQ(get(port, "/healthz").status, 200);
    EXPECT_EQ(get(port, "/readyz").status, 200);

    ASSERT_TRUE(eventually([&] { return sink_lines() == 23; })) << "20 webhooks and the first poll's 3: " << sink_lines();
    // The target has the records a moment before ferry has recorded their delivery.
    auto done = [&] { return json::parse(get(port, "/status").body).at("pipelines").at(0).at("done").to_number<int64_t>(); };
    ASSERT_TRUE(eventually([&] { return done() == 23; })) << done();
    http_result metrics = get(port, "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("ferry_records_in_total{pipeline=\"orders\"} 23"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("ferry_webhooks_rejected_total{connection=\"svc\",reason=\"signature\"} 1"), std::string::npos);

    auto live = run_ferry("status " + manifest.string());
    EXPECT_EQ(live.exit_code, 0);
    EXPECT_NE(live.out.find("ferry is running"), std::string::npos) << live.out;
    EXPECT_NE(live.out.find("svc: closed"), std::string::npos) << live.out;

    ferry.signal(SIGTERM);
    EXPECT_EQ(ferry.wait(), 0) << ferry.log();
    EXPECT_NE(ferry.log().find("received SIGTERM"), std::string::npos);
    EXPECT_EQ(sink_lines(), 23u) << "nothing posted twice";
}

TEST_F(run_test, once_polls_delivers_and_exits) {
    auto manifest = write_manifest();
    auto result = run_ferry("run --once " + manifest.string());
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("polled 3 records"), std::string::npos) << result.out;
    EXPECT_EQ(sink_lines(), 3u);
    auto second = run_ferry("run --once " + manifest.string());
    EXPECT_EQ(second.exit_code, 0);
    EXPECT_EQ(sink_lines(), 6u) << "the cursor moved on";

    auto status = run_ferry("status " + manifest.string());
    EXPECT_EQ(status.exit_code, 0);
    EXPECT_NE(status.out.find("ferry is not running"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("orders"), std::string::npos);
}

TEST_F(run_test, a_dead_letter_is_fixed_edited_and_delivered_once) {
    auto manifest = write_manifest(R"(, "fail_status": "reject", "fail_keys": ["ticker:2"])");
    ASSERT_EQ(run_ferry("run --once " + manifest.string()).exit_code, 0);
    EXPECT_EQ(sink_lines(), 2u);

    auto list = run_ferry("dlq list " + manifest.string());
    EXPECT_EQ(list.exit_code, 0);
    EXPECT_NE(list.out.find("ticker:2"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("configured failure for ticker:2"), std::string::npos);
    std::string id = list.out.substr(list.out.find('\n') + 1);
    id = id.substr(0, id.find(' '));

    auto show = run_ferry("dlq show " + manifest.string() + " " + id);
    EXPECT_EQ(show.exit_code, 0);
    EXPECT_NE(show.out.find("attempt 1: reject at testkit.file: configured failure for ticker:2"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find(R"({"id":2})"), std::string::npos);

    auto edited = dir.write("fixed.json", R"({"id": 2, "note": "fixed by hand"})");
    EXPECT_EQ(run_ferry("dlq edit " + manifest.string() + " " + id + " --file " + edited.string()).exit_code, 0);
    // Without --file it opens $EDITOR on the payload; an edit that is not JSON changes nothing.
    ::setenv("EDITOR", "sh -c 'echo not-json > \"$0\"'", 1);
    auto by_editor = run_ferry("dlq edit " + manifest.string() + " " + id);
    ::unsetenv("EDITOR");
    EXPECT_EQ(by_editor.exit_code, 2);
    EXPECT_NE(by_editor.err.find("not valid JSON"), std::string::npos) << by_editor.err;
    EXPECT_EQ(run_ferry("dlq retry " + manifest.string() + " 9999").exit_code, 2);
    EXPECT_EQ(run_ferry("dlq retry " + manifest.string() + " " + id).exit_code, 0);

    write_manifest();  // the merchant fixed what made the record fail
    ASSERT_EQ(run_ferry("run --once " + manifest.string()).exit_code, 0);
    std::string content = ferry::test::read_text(sink());
    EXPECT_NE(content.find(R"(fixed by hand)"), std::string::npos) << content;
    EXPECT_EQ(run_ferry("dlq list " + manifest.string()).out, "The dead-letter queue is empty.\n");
}

TEST_F(run_test, replay_sends_a_window_of_the_journal_again) {
    auto manifest = write_manifest();
    ASSERT_EQ(run_ferry("run --once " + manifest.string()).exit_code, 0);
    ASSERT_EQ(sink_lines(), 3u);
    auto replay = run_ferry("replay " + manifest.string() + " --pipeline orders --since 1h");
    EXPECT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_NE(replay.out.find("Replaying 3 records of orders"), std::string::npos) << replay.out;
    EXPECT_EQ(run_ferry("replay " + manifest.string() + " --pipeline nope --since 1h").exit_code, 2);
    EXPECT_EQ(run_ferry("replay " + manifest.string() + " --pipeline orders --since yesterday").exit_code, 2);
    // --once polls 3 new records and delivers the 3 replayed ones.
    ASSERT_EQ(run_ferry("run --once " + manifest.string()).exit_code, 0);
    EXPECT_EQ(sink_lines(), 9u);
}

TEST_F(run_test, refuses_to_start_on_an_invalid_manifest_or_a_busy_port) {
    auto bad = dir.write("bad.json", R"({"ferry": 1, "pipelines": {}})");
    EXPECT_EQ(run_ferry("run " + bad.string()).exit_code, 2);

    auto manifest = write_manifest();
    ferry_process first({"run", manifest.string()}, dir.path() / "first.log");
    int port = first.port();
    ASSERT_NE(port, 0);
    std::string text = ferry::test::read_text(manifest);
    text.replace(text.find("127.0.0.1:0"), 11, "127.0.0.1:" + std::to_string(port));
    auto busy = dir.write("busy.json", text);
    auto result = run_ferry("run " + busy.string());
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << result.err;
    first.signal(SIGTERM);
    EXPECT_EQ(first.wait(), 0);
}

}  // namespace
