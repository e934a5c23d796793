// The engine's parts on their own: backoff, circuit breaker, the per-key schedule, metrics.
#include "engine/backoff.hpp"
#include "engine/circuit_breaker.hpp"
#include "engine/key_queue.hpp"
#include "engine/metrics.hpp"

#include <gtest/gtest.h>

using namespace ferry::host;

namespace {

TEST(backoff, doubles_up_to_the_cap) {
    EXPECT_EQ(backoff_ceiling_ms(1, 1000, 60000), 1000);
    EXPECT_EQ(backoff_ceiling_ms(2, 1000, 60000), 2000);
    EXPECT_EQ(backoff_ceiling_ms(4, 1000, 60000), 8000);
    EXPECT_EQ(backoff_ceiling_ms(7, 1000, 60000), 60000);
    EXPECT_EQ(backoff_ceiling_ms(200, 1000, 60000), 60000) << "no overflow";
}

TEST(backoff, full_jitter_spreads_over_the_whole_range) {
    std::mt19937_64 random(7);
    int64_t low = INT64_MAX, high = 0;
    for (int i = 0; i < 2000; ++i) {
        int64_t wait = full_jitter_ms(3, 1000, 60000, random);
        ASSERT_GE(wait, 0);
        ASSERT_LE(wait, 4000);
        low = std::min(low, wait);
        high = std::max(high, wait);
    }
    EXPECT_LT(low, 200);
    EXPECT_GT(high, 3800);
}

TEST(circuit_breaker, opens_after_consecutive_failures_then_probes) {
    circuit_breaker breaker(3, 1000, 8000);
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(breaker.allow(0));
        breaker.on_failure(0);
    }
    breaker.on_success();  // a success resets the count
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(breaker.allow(10));
        breaker.on_failure(10);
    }
    EXPECT_EQ(breaker.current(), circuit_breaker::state::open);
    EXPECT_FALSE(breaker.allow(500));
    EXPECT_TRUE(breaker.allow(1010)) << "one probe after the cool-down";
    EXPECT_EQ(breaker.current(), circuit_breaker::state::half_open);
    EXPECT_FALSE(breaker.allow(1010)) << "only one probe at a time";
    breaker.on_failure(1020);
    EXPECT_EQ(breaker.current(), circuit_breaker::state::open);
    EXPECT_FALSE(breaker.allow(2500)) << "the cool-down doubled";
    EXPECT_TRUE(breaker.allow(3020));
    breaker.on_success();
    EXPECT_EQ(breaker.current(), circuit_breaker::state::closed);
    EXPECT_TRUE(breaker.allow(3030));
}

TEST(circuit_breaker, a_neutral_probe_lets_another_probe_through) {
    circuit_breaker breaker(1, 100, 1000);
    breaker.on_failure(0);
    ASSERT_TRUE(breaker.allow(100));
    breaker.on_neutral();
    EXPECT_TRUE(breaker.allow(100));
}

journal_entry entry(int64_t id, const std::string& key, int64_t version, int64_t due = 0) {
    journal_entry e;
    e.id = id;
    e.pipeline = "p";
    e.record.key = key;
    e.record.version = version;
    e.next_attempt_ms = due;
    e.received_ms = 1000 + id;
    return e;
}

TEST(key_queue, hands_out_one_record_per_key_in_version_order) {
    key_queue q;
    q.add(entry(1, "a", 20));
    q.add(entry(2, "a", 10));
    q.add(entry(3, "b", 1));
    auto first = q.take(0);
    auto second = q.take(0);
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->record.key, "a");
    EXPECT_EQ(first->record.version, 10) << "the older version first, whatever the arrival order";
    EXPECT_EQ(second->record.key, "b");
    EXPECT_FALSE(q.take(0)) << "a's next version waits for the one in flight";
    EXPECT_EQ(q.in_flight(), 2u);
    q.finish("a", first->id, true);
    auto third = q.take(0);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->record.version, 20);
    EXPECT_EQ(q.size(), 2u);
}

TEST(key_queue, a_retrying_key_holds_back_only_itself) {
    key_queue q;
    q.add(entry(1, "a", 1));
    q.add(entry(2, "a", 2));
    q.add(entry(3, "b", 1));
    auto a = q.take(0);
    q.finish("a", a->id, false, 1, 5000, "busy");
    auto b = q.take(100);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->record.key, "b");
    q.finish("b", b->id, true);
    EXPECT_FALSE(q.take(100));
    EXPECT_EQ(q.next_due_ms(), 5000);
    auto again = q.take(5000);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, 1);
    EXPECT_EQ(again->attempts, 1u);
    EXPECT_EQ(again->last_error, "busy");
}

TEST(key_queue, takes_equally_due_keys_in_arrival_order) {
    key_queue q;
    // Keys whose names sort the other way round from their arrival.
    q.add(entry(1, "zz", 1));
    q.add(entry(2, "mm", 1));
    q.add(entry(3, "aa", 1));
    EXPECT_EQ(q.take(0)->record.key, "zz");
    EXPECT_EQ(q.take(0)->record.key, "mm");
    EXPECT_EQ(q.take(0)->record.key, "aa");
}

TEST(key_queue, a_backlog_drains_in_arrival_order_whatever_the_retry_schedules) {
    // After an outage: the first records failed and were given backoffs of their own; later ones
    // arrived meanwhile and were never tried. Once all are due, the oldest goes first.
    key_queue q;
    q.add(entry(1, "a", 1));
    q.add(entry(2, "b", 1));
    q.finish("a", q.take(0)->id, false, 1, 900, "down");
    q.finish("b", q.take(0)->id, false, 1, 400, "down");
    q.add(entry(3, "c", 1));
    q.add(entry(4, "d", 1));
    EXPECT_EQ(q.take(1000)->record.key, "a");
    EXPECT_EQ(q.take(1000)->record.key, "b");
    EXPECT_EQ(q.take(1000)->record.key, "c");
    EXPECT_EQ(q.take(1000)->record.key, "d");
}

TEST(key_queue, a_record_not_yet_due_waits_while_due_ones_go) {
    key_queue q;
    q.add(entry(1, "a", 1));
    q.finish("a", q.take(0)->id, false, 1, 900, "busy");
    q.add(entry(2, "b", 1));
    EXPECT_EQ(q.take(500)->record.key, "b");
    EXPECT_FALSE(q.take(500));
    EXPECT_EQ(q.next_due_ms(), 900);
}

TEST(key_queue, reports_its_oldest_record_and_empties) {
    key_queue q;
    EXPECT_EQ(q.oldest_received_ms(), 0);
    q.add(entry(5, "a", 1));
    q.add(entry(2, "b", 1));
    EXPECT_EQ(q.oldest_received_ms(), 1002);
    auto x = q.take(0);
    auto y = q.take(0);
    q.finish(x->record.key, x->id, true);
    q.finish(y->record.key, y->id, true);
    EXPECT_EQ(q.size(), 0u);
    EXPECT_FALSE(q.next_due_ms());
}

TEST(metrics, renders_the_prometheus_text_format) {
    metrics_registry m;
    m.add("ferry_records_in_total", {{"pipeline", "orders"}});
    m.add("ferry_records_in_total", {{"pipeline", "orders"}}, 2);
    m.set("ferry_queue_depth", {{"pipeline", "a\"b"}}, 7);
    m.observe("ferry_api_latency_seconds", {{"connection", "erp"}}, 0.003);
    EXPECT_EQ(m.value("ferry_records_in_total", {{"pipeline", "orders"}}), 3);
    std::string text = m.render();
    EXPECT_NE(text.find("# TYPE ferry_records_in_total counter\nferry_records_in_total{pipeline=\"orders\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ferry_queue_depth{pipeline=\"a\\\"b\"} 7\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ferry_api_latency_seconds_bucket{connection=\"erp\",le=\"0.0025\"} 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ferry_api_latency_seconds_bucket{connection=\"erp\",le=\"0.005\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ferry_api_latency_seconds_count{connection=\"erp\"} 1\n"), std::string::npos) << text;
}

}  // namespace
