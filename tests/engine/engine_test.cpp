// The engine end to end in one process: testkit's ticker source and file sink, the SQLite store.
#include "engine_harness.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <set>

using namespace ferry::host;
namespace json = boost::json;

namespace {

class engine_test : public ::testing::Test, protected ferry::test::engine_harness {
protected:
    void SetUp() override {
        ::setenv("FERRY_TEST_TOKEN", "tok-0123456789", 1);
        ::unsetenv("FERRY_PLUGIN_PATH");
    }
    void TearDown() override {
        if (eng) eng->stop();
    }

    // A manifest with pipeline "orders": ticker webhooks/polls to the file sink. `sink_extra` and
    // `pipeline_extra` are spliced into the sink config and the pipeline.
    std::string manifest_text(const std::string& sink_extra = "", const std::string& pipeline_extra = "",
                              const std::string& more_pipelines = "") {
        return R"({
          "ferry": 1,
          "store": "sqlite://ferry.db",
          "connections": {"svc": {"plugin": "testkit", "config": {"endpoint": "http://127.0.0.1:9", "token": "${env:FERRY_TEST_TOKEN}"}}},
          "pipelines": {
            "orders": {
              "source": {"connection": "svc", "stream": "order", "poll": "1h", "config": {"count": 3}},
              "sink": {"connection": "svc", "stream": "order", "component": "file",
                       "config": {"path": ")" + sink_path().string() + "\"" + sink_extra + R"(}},
              "retry": {"max_attempts": 3, "backoff": "5ms..20ms"})" + pipeline_extra + R"(
            })" + more_pipelines + R"(
          }
        })";
    }

    std::filesystem::path sink_path() const { return dir.path() / "sink.jsonl"; }

    std::vector<json::object> written() const {
        std::vector<json::object> out;
        std::ifstream in(sink_path());
        for (std::string line; std::getline(in, line);) out.push_back(json::parse(line).as_object());
        return out;
    }

    webhook_outcome send(int id, int version = 1, const std::string& event_id = "", const std::string& signature = "good") {
        webhook_input request;
        request.path = "/webhooks/svc";
        request.headers = {{"X-Test-Signature", signature}};
        if (!event_id.empty()) request.headers.emplace_back("X-Test-Event-Id", event_id);
        request.body = R"({"id":)" + std::to_string(id) + R"(,"version":)" + std::to_string(version) + "}";
        return eng->accept_webhook("svc", request);
    }

    // A pipeline that takes the "orders" sink's follow-ups and writes them to writeback.jsonl.
    std::string writeback_pipeline() const {
        return R"(,
            "writeback": {
              "source": {"follows": "orders", "stream": "order_result"},
              "sink": {"connection": "svc", "stream": "order_result", "component": "file",
                       "config": {"path": ")" + (dir.path() / "writeback.jsonl").string() + R"("}}
            })";
    }

    double metric(const std::string& name, const std::string& pipeline = "orders") {
        return metrics.value(name, {{"pipeline", pipeline}});
    }

};

TEST_F(engine_test, a_webhook_is_journalled_then_delivered_once) {
    load(manifest_text());
    eng->start(false);
    webhook_outcome out = send(1);
    EXPECT_EQ(out.http_status, 200);
    EXPECT_EQ(out.accepted, 1u);
    ASSERT_TRUE(settle());
    auto lines = written();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].at("key"), "ticker:1");
    EXPECT_EQ(lines[0].at("idempotency_key"), "orders:ticker:1:1");
    EXPECT_EQ(db->target_for("orders:ticker:1:1"), "T-1");
    EXPECT_EQ(db->counts("orders").done, 1u);
    EXPECT_EQ(metric("ferry_records_in_total"), 1);
    EXPECT_EQ(metric("ferry_records_out_total"), 1);
}

TEST_F(engine_test, a_bad_signature_gets_401_and_leaves_no_trace) {
    load(manifest_text());
    eng->start(false);
    webhook_outcome out = send(1, 1, "", "forged");
    EXPECT_EQ(out.http_status, 401);
    EXPECT_EQ(db->last_id(), 0) << "nothing journalled";
    webhook_input malformed;
    malformed.headers = {{"X-Test-Signature", "good"}};
    malformed.body = "[1]";
    EXPECT_EQ(eng->accept_webhook("svc", malformed).http_status, 400);
    EXPECT_EQ(eng->accept_webhook("nobody", malformed).http_status, 404);
    EXPECT_EQ(db->last_id(), 0);
}

TEST_F(engine_test, a_duplicate_event_is_acknowledged_and_dropped) {
    load(manifest_text());
    eng->start(false);
    EXPECT_EQ(send(1, 1, "evt-1").accepted, 1u);
    webhook_outcome again = send(1, 1, "evt-1");
    EXPECT_EQ(again.http_status, 200);
    EXPECT_EQ(again.accepted, 0u);
    EXPECT_EQ(again.duplicates, 1u);
    ASSERT_TRUE(settle());
    EXPECT_EQ(written().size(), 1u);
    EXPECT_EQ(metric("ferry_records_duplicate_total"), 1);
}

TEST_F(engine_test, versions_of_a_key_are_delivered_in_order_and_stale_ones_skipped) {
    load(manifest_text());
    // Journal out of order before the workers start, so that the schedule alone decides.
    send(1, 30);
    send(1, 10);
    send(1, 20);
    send(2, 1);
    eng->start(false);
    ASSERT_TRUE(settle());
    std::vector<int64_t> versions;
    for (const auto& line : written()) {
        if (line.at("key") == "ticker:1") versions.push_back(line.at("version").as_int64());
    }
    EXPECT_EQ(versions, (std::vector<int64_t>{10, 20, 30}));
    // A version older than what was delivered arrives late: skipped, not delivered.
    send(1, 15);
    ASSERT_TRUE(settle());
    EXPECT_EQ(written().size(), 4u);
    EXPECT_EQ(db->counts("orders").skipped, 1u);
}

TEST_F(engine_test, a_failing_key_never_blocks_the_others) {
    load(manifest_text(R"(, "fail_status": "retry", "fail_keys": ["ticker:1"])", R"(, "concurrency": 1)"));
    eng->start(false);
    send(1);
    for (int id = 2; id <= 6; ++id) send(id);
    ASSERT_TRUE(settle());
    auto lines = written();
    EXPECT_EQ(lines.size(), 5u);
    for (const auto& line : lines) EXPECT_NE(line.at("key"), "ticker:1");
    auto letters = db->dead_letters("orders", 10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].entry.record.key, "ticker:1");
    EXPECT_EQ(letters[0].entry.attempts, 3u);
    EXPECT_EQ(letters[0].reason, "gave up after 3 attempts; last error: configured failure for ticker:1");
    EXPECT_EQ(letters[0].step, "testkit.file");
    EXPECT_EQ(letters[0].trace,
              "attempt 1: retry at testkit.file: configured failure for ticker:1\n"
              "attempt 2: retry at testkit.file: configured failure for ticker:1\n"
              "attempt 3: retry at testkit.file: configured failure for ticker:1\n");
    EXPECT_EQ(metric("ferry_records_retried_total"), 2);
    EXPECT_EQ(metric("ferry_records_failed_total"), 1);
}

TEST_F(engine_test, a_transient_failure_is_retried_until_it_succeeds) {
    load(manifest_text(R"(, "fail_status": "retry", "fail_times": 2)"));
    eng->start(false);
    send(1);
    ASSERT_TRUE(settle());
    ASSERT_EQ(written().size(), 1u);
    EXPECT_EQ(db->entry(1)->attempts, 2u) << "the two failed attempts";
    EXPECT_EQ(metric("ferry_records_retried_total"), 2);
    EXPECT_TRUE(db->dead_letters("", 10).empty());
}

TEST_F(engine_test, a_rejected_record_is_dead_lettered_at_once_and_can_be_retried_edited) {
    load(manifest_text(R"(, "fail_status": "reject", "fail_keys": ["ticker:1"], "fail_times": 1)"));
    eng->start(false);
    send(1);
    ASSERT_TRUE(settle());
    auto letters = db->dead_letters("orders", 10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].entry.attempts, 1u);
    EXPECT_EQ(letters[0].reason, "configured failure for ticker:1");
    EXPECT_TRUE(written().empty());

    // What `ferry dlq edit` and `ferry dlq retry` do: the running engine picks it up by itself.
    db->edit_dead_letter(letters[0].entry.id, R"({"id":1,"version":1,"fixed":true})");
    db->retry_dead_letter(letters[0].entry.id);
    ASSERT_TRUE(ferry::test::eventually([&] { return written().size() == 1; }));
    ASSERT_TRUE(settle());
    auto lines = written();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].at("payload"), R"({"id":1,"version":1,"fixed":true})");
    EXPECT_TRUE(db->dead_letters("", 10).empty());
}

TEST_F(engine_test, the_same_version_arriving_again_waits_with_its_dead_letter_and_a_newer_one_is_tried) {
    load(manifest_text(R"(, "fail_status": "reject", "fail_keys": ["ticker:1"], "fail_times": 1)"));
    eng->start(false);
    send(1, 1, "event-a");
    ASSERT_TRUE(settle());
    ASSERT_EQ(db->dead_letters("orders", 10).size(), 1u);
    // A poll sweep or a resent webhook brings version 1 again, under another event id.
    send(1, 1, "event-b");
    ASSERT_TRUE(settle());
    EXPECT_EQ(db->dead_letters("orders", 10).size(), 1u) << "not a second dead letter for the same version";
    EXPECT_TRUE(written().empty());
    EXPECT_EQ(metric("ferry_records_skipped_total"), 1);
    // The person's retry is delivered.
    db->retry_dead_letter(db->dead_letters("orders", 10)[0].entry.id);
    ASSERT_TRUE(ferry::test::eventually([&] { return written().size() == 1; }));
    // A newer version is not held back: it is tried (and, failing once as configured, dead-lettered).
    send(1, 2, "event-c");
    ASSERT_TRUE(settle());
    auto letters = db->dead_letters("orders", 10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].entry.record.version, 2);
}

TEST_F(engine_test, throttling_waits_without_spending_attempts) {
    load(manifest_text(R"(, "fail_status": "throttled", "fail_times": 5, "delay_ms": 10)"));
    eng->start(false);
    send(1);
    ASSERT_TRUE(settle());
    EXPECT_EQ(written().size(), 1u) << "five throttles did not exhaust max_attempts 3";
    EXPECT_EQ(metric("ferry_records_throttled_total"), 5);
    EXPECT_TRUE(db->dead_letters("", 10).empty());
}

TEST_F(engine_test, a_fatal_error_stops_the_pipeline_and_keeps_the_record) {
    load(manifest_text(R"(, "fail_status": "fatal")"));
    eng->start(false);
    send(1);
    ASSERT_TRUE(settle());
    EXPECT_TRUE(eng->any_stopped());
    auto status = eng->status();
    ASSERT_EQ(status.size(), 1u);
    EXPECT_FALSE(status[0].running);
    EXPECT_EQ(status[0].stop_reason, "testkit.file: configured failure for ticker:1");
    EXPECT_EQ(db->counts("orders").pending, 1u) << "not lost: delivered after the fix and a restart";
}

TEST_F(engine_test, follow_ups_feed_the_following_pipeline) {
    load(manifest_text(R"(, "follow_up": true)", "", writeback_pipeline()));
    eng->start(false);
    send(7);
    ASSERT_TRUE(settle());
    std::ifstream in(dir.path() / "writeback.jsonl");
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    json::object row = json::parse(line).as_object();
    EXPECT_EQ(row.at("key"), "ticker:7");
    EXPECT_EQ(json::parse(row.at("payload").as_string()).at("target"), "T-1");
    EXPECT_EQ(metric("ferry_records_out_total", "writeback"), 1);
}

TEST_F(engine_test, a_write_found_by_lookup_after_a_crash_still_sends_its_follow_up) {
    load(manifest_text(R"(, "follow_up": true)", "", writeback_pipeline()));
    eng->start(false);
    send(7);
    ASSERT_TRUE(settle());
    eng->stop();
    // As if ferry died after the sink accepted the write and before the commit that journals the
    // follow-up: the delivery and its follow-up are gone from the store, the write is not.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / "ferry.db").c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "DELETE FROM journal WHERE pipeline = 'writeback'; UPDATE journal SET state = 0;"
                           " DELETE FROM id_map; DELETE FROM key_versions;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
    std::filesystem::remove(dir.path() / "writeback.jsonl");
    restart();
    ASSERT_TRUE(settle());
    EXPECT_EQ(written().size(), 1u) << "found by lookup, not written again";
    std::ifstream in(dir.path() / "writeback.jsonl");
    std::string line;
    ASSERT_TRUE(std::getline(in, line)) << "the follow-up came from the lookup";
    EXPECT_EQ(json::parse(json::parse(line).at("payload").as_string()).at("target"), "T-1");
}

TEST_F(engine_test, a_poll_journals_records_with_its_cursor) {
    load(manifest_text());
    eng->start(false);
    EXPECT_EQ(eng->poll_all_once(), 3u);
    EXPECT_EQ(db->state_get("svc", "cursor/orders"), "3");
    EXPECT_EQ(eng->poll_all_once(), 3u);
    EXPECT_EQ(db->state_get("svc", "cursor/orders"), "6");
    ASSERT_TRUE(settle());
    // The second poll resumed after the cursor: six distinct records (written in any order, by
    // several workers).
    std::set<std::string> keys;
    for (const auto& line : written()) keys.insert(std::string(line.at("key").as_string()));
    EXPECT_EQ(keys, (std::set<std::string>{"ticker:1", "ticker:2", "ticker:3", "ticker:4", "ticker:5", "ticker:6"}));
    EXPECT_EQ(written().size(), 6u);
}

TEST_F(engine_test, pending_records_resume_after_a_restart) {
    load(manifest_text());
    send(1);
    send(2);  // journalled, never delivered: the engine was not started
    eng->start(false);
    ASSERT_TRUE(settle());
    EXPECT_EQ(written().size(), 2u);
}

// The versions each key reached the sink with, in delivery order.
std::map<std::string, std::vector<int64_t>> versions_by_key(const std::vector<json::object>& lines) {
    std::map<std::string, std::vector<int64_t>> out;
    for (const auto& line : lines) out[json::value_to<std::string>(line.at("key"))].push_back(line.at("version").as_int64());
    return out;
}

TEST_F(engine_test, a_backlog_larger_than_the_queue_waits_in_the_store_and_drains_in_order) {
    engine_options.max_queued = 8;
    // One delivery at a time, each lingering: the records below arrive faster than they leave.
    load(manifest_text(R"(, "linger_ms": 10)", R"(, "concurrency": 1)"));
    eng->start(false);
    for (int version = 1; version <= 4; ++version) {
        for (int id = 1; id <= 15; ++id) ASSERT_EQ(send(id, version).accepted, 1u);
    }
    ASSERT_TRUE(settle());
    EXPECT_GT(metric("ferry_records_left_in_store_total"), 0) << "the backlog never outgrew the queue";
    auto lines = written();
    EXPECT_EQ(lines.size(), 60u) << "each record delivered once";
    for (const auto& [key, versions] : versions_by_key(lines)) {
        EXPECT_EQ(versions, (std::vector<int64_t>{1, 2, 3, 4})) << key;
    }
    EXPECT_EQ(db->counts("orders").done, 60u);
    EXPECT_EQ(db->counts("orders").skipped, 0u) << "a record read back twice would be skipped the second time";
    eng->render_metrics();
    EXPECT_EQ(metric("ferry_queue_depth"), 0);
}

TEST_F(engine_test, a_backlog_found_at_start_up_is_read_back_in_parts) {
    engine_options.max_queued = 4;
    load(manifest_text());
    for (int version = 1; version <= 3; ++version) {
        for (int id = 1; id <= 10; ++id) send(id, version);  // journalled; this engine never starts
    }
    double left_before = metric("ferry_records_left_in_store_total");
    restart();  // a new engine finds the 30 pending records in the store
    EXPECT_EQ(metric("ferry_records_left_in_store_total") - left_before, 26) << "it held only 4 in memory";
    ASSERT_TRUE(settle());
    auto lines = written();
    EXPECT_EQ(lines.size(), 30u);
    for (const auto& [key, versions] : versions_by_key(lines)) {
        EXPECT_EQ(versions, (std::vector<int64_t>{1, 2, 3})) << key;
    }
    EXPECT_EQ(db->counts("orders").pending, 0u);
    EXPECT_EQ(db->counts("orders").skipped, 0u);
}

TEST_F(engine_test, a_crash_between_the_write_and_the_commit_posts_nothing_twice) {
    load(manifest_text());
    eng->start(false);
    send(1);
    ASSERT_TRUE(settle());
    ASSERT_EQ(written().size(), 1u);
    eng->stop();
    // Undo ferry's commit of the delivery, as if it had died right after the sink accepted it.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / "ferry.db").c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "UPDATE journal SET state = 0; DELETE FROM id_map; DELETE FROM key_versions;",
                           nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
    restart();
    ASSERT_TRUE(settle());
    EXPECT_EQ(written().size(), 1u) << "the sink's lookup found the earlier write";
    EXPECT_EQ(db->counts("orders").done, 1u);
    EXPECT_EQ(db->target_for("orders:ticker:1:1"), "T-1");
}

TEST_F(engine_test, a_replay_delivers_again_under_new_idempotency_keys) {
    load(manifest_text());
    eng->start(false);
    send(1);
    send(2);
    ASSERT_TRUE(settle());
    std::vector<append_item> replay;
    for (const auto& e : db->journal_window("orders", 0, INT64_MAX)) replay.push_back({"orders", e.record, record_origin::replay});
    db->append(replay);
    EXPECT_EQ(eng->pick_up_requeued(), 2u);
    ASSERT_TRUE(settle());
    auto lines = written();
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(std::string(lines[2].at("idempotency_key").as_string()).find(":replay-"), std::string("orders:ticker:1:1").size());
}

TEST_F(engine_test, metrics_show_queue_depth_and_circuit_state) {
    load(manifest_text());
    send(1);
    std::string text = eng->render_metrics();
    EXPECT_NE(text.find("ferry_queue_depth{pipeline=\"orders\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ferry_circuit_state{connection=\"svc\"} 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ferry_records_in_total{pipeline=\"orders\"} 1\n"), std::string::npos) << text;
}

// Pipeline "levels": ticker polls (`count` records a poll) through `transforms` to the batch_file
// sink with `sink_extra` spliced into its config.
class batch_test : public engine_test {
protected:
    std::string batch_manifest(int count, const std::string& sink_extra = "", const std::string& transforms = "") {
        return R"({
          "ferry": 1,
          "store": "sqlite://ferry.db",
          "connections": {"svc": {"plugin": "testkit", "config": {"endpoint": "http://127.0.0.1:9", "token": "${env:FERRY_TEST_TOKEN}"}}},
          "pipelines": {
            "levels": {
              "source": {"connection": "svc", "stream": "order", "poll": "1h", "config": {"count": )" +
               std::to_string(count) + R"(}},)" + transforms + R"(
              "sink": {"connection": "svc", "stream": "order", "component": "batch_file",
                       "config": {"path": ")" + sink_path().string() + "\"" + sink_extra + R"(}},
              "retry": {"max_attempts": 3, "backoff": "5ms..20ms"}
            }
          }
        })";
    }

    // The size of every write_batch call the sink received.
    std::vector<size_t> batches() const {
        std::vector<size_t> out;
        std::ifstream in(sink_path().string() + ".batches");
        for (std::string line; std::getline(in, line);) out.push_back(std::stoul(line));
        return out;
    }

    // How many lines the sink wrote for each record key.
    std::map<std::string, int> writes_by_key() const {
        std::map<std::string, int> out;
        for (const auto& line : written()) ++out[std::string(line.at("key").as_string())];
        return out;
    }
};

TEST_F(batch_test, ready_records_share_write_batch_calls_of_at_most_250) {
    load(batch_manifest(600));
    eng->start(false);
    ASSERT_EQ(eng->poll_all_once(), 600u);
    ASSERT_TRUE(settle());
    auto sizes = batches();
    ASSERT_FALSE(sizes.empty());
    EXPECT_LE(sizes.size(), 6u) << "600 ready records take a few calls, not 600";
    size_t batched = 0;
    for (size_t n : sizes) {
        EXPECT_LE(n, 250u);
        batched += n;
    }
    auto by_key = writes_by_key();
    ASSERT_EQ(by_key.size(), 600u);
    for (const auto& [key, times] : by_key) EXPECT_EQ(times, 1) << key;
    EXPECT_GE(batched, 590u) << "only a straggler or two may go alone";
    EXPECT_EQ(db->counts("levels").done, 600u);
    EXPECT_EQ(metric("ferry_records_out_total", "levels"), 600);
    EXPECT_EQ(metric("ferry_sink_batches_total", "levels"), double(sizes.size()));
    // Every target is in the ID map under the record's own idempotency key.
    EXPECT_TRUE(db->target_for("levels:ticker:1:1").has_value());
    EXPECT_TRUE(db->target_for("levels:ticker:600:600").has_value());
    EXPECT_EQ(eng->status()[0].in_flight, 0u);
}

TEST_F(batch_test, a_rejected_item_is_dead_lettered_alone) {
    load(batch_manifest(20, R"(, "reject_keys": ["ticker:7"])"));
    eng->start(false);
    ASSERT_EQ(eng->poll_all_once(), 20u);
    ASSERT_TRUE(settle());
    EXPECT_EQ(batches().size(), 1u);
    auto letters = db->dead_letters("levels", 10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].entry.record.key, "ticker:7");
    EXPECT_EQ(letters[0].reason, "configured rejection of ticker:7");
    EXPECT_EQ(letters[0].step, "testkit.batch_file (write_batch)");
    EXPECT_EQ(db->counts("levels").done, 19u);
    auto by_key = writes_by_key();
    EXPECT_EQ(by_key.size(), 19u);
    EXPECT_EQ(by_key.count("ticker:7"), 0u);
    EXPECT_EQ(eng->status()[0].circuit, "closed");
}

TEST_F(batch_test, an_item_left_without_a_result_takes_the_status_the_call_returned) {
    // ABI 1.0: an OK call that reports nothing for an item wrote it.
    load(batch_manifest(5, R"(, "unreported_keys": ["ticker:2"])"));
    eng->start(false);
    ASSERT_EQ(eng->poll_all_once(), 5u);
    ASSERT_TRUE(settle());
    EXPECT_TRUE(db->dead_letters("levels", 10).empty());
    EXPECT_EQ(db->counts("levels").done, 5u);
}

TEST_F(batch_test, a_whole_call_retry_retries_every_record_and_each_is_delivered_once) {
    load(batch_manifest(30, R"(, "fail_status": "retry", "fail_times": 1)"));
    eng->start(false);
    ASSERT_EQ(eng->poll_all_once(), 30u);
    ASSERT_TRUE(settle());
    auto sizes = batches();
    ASSERT_FALSE(sizes.empty());
    EXPECT_EQ(sizes[0], 30u) << "the failed call";
    auto by_key = writes_by_key();
    ASSERT_EQ(by_key.size(), 30u);
    for (const auto& [key, times] : by_key) EXPECT_EQ(times, 1) << key;
    EXPECT_EQ(db->counts("levels").done, 30u);
    EXPECT_EQ(metric("ferry_records_retried_total", "levels"), 30);
    EXPECT_TRUE(db->dead_letters("", 10).empty());
    for (int id = 1; id <= 30; ++id) {
        auto e = db->entry(id);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->attempts, 1u) << "the failed attempt";
    }
    EXPECT_EQ(eng->status()[0].circuit, "closed") << "one failed call is one failure, not thirty";
}

TEST_F(batch_test, a_whole_call_throttle_waits_without_spending_attempts) {
    load(batch_manifest(10, R"(, "fail_status": "throttled", "fail_times": 2, "delay_ms": 10)"));
    eng->start(false);
    ASSERT_EQ(eng->poll_all_once(), 10u);
    ASSERT_TRUE(settle());
    EXPECT_EQ(writes_by_key().size(), 10u);
    EXPECT_EQ(db->counts("levels").done, 10u);
    EXPECT_TRUE(db->dead_letters("", 10).empty());
}

TEST_F(batch_test, a_transform_that_filters_some_records_leaves_the_rest_batched) {
    load(batch_manifest(12, "", R"(
              "transforms": [{"use": "testkit.drop", "config": {"keys": ["ticker:3", "ticker:8"]}}],)"));
    eng->start(false);
    ASSERT_EQ(eng->poll_all_once(), 12u);
    ASSERT_TRUE(settle());
    EXPECT_EQ(batches(), std::vector<size_t>{10});
    auto by_key = writes_by_key();
    EXPECT_EQ(by_key.size(), 10u);
    EXPECT_EQ(by_key.count("ticker:3"), 0u);
    EXPECT_EQ(by_key.count("ticker:8"), 0u);
    EXPECT_EQ(db->counts("levels").skipped, 2u);
    EXPECT_EQ(db->counts("levels").done, 10u);
    EXPECT_EQ(metric("ferry_records_filtered_total", "levels"), 2);
}

TEST_F(batch_test, records_pending_after_a_restart_are_batched_once_the_id_map_is_consulted) {
    load(batch_manifest(40));
    ASSERT_EQ(eng->poll_all_once(), 40u);  // journalled, never delivered: the engine was not started
    eng->start(false);
    ASSERT_TRUE(settle());
    EXPECT_EQ(batches(), std::vector<size_t>{40});
    EXPECT_EQ(writes_by_key().size(), 40u);
}

TEST_F(engine_test, the_circuit_opens_while_the_sink_keeps_failing) {
    load(manifest_text(R"(, "fail_status": "retry")", R"(, "retry": {"max_attempts": 50, "backoff": "1ms..2ms"})"));
    eng->start(false);
    for (int id = 1; id <= 6; ++id) send(id);
    EXPECT_TRUE(ferry::test::eventually([&] { return eng->status()[0].circuit == "open"; }));
    EXPECT_TRUE(written().empty());
    EXPECT_EQ(db->counts("orders").pending, 6u) << "intake keeps journalling; nothing is lost";
}

}  // namespace
