#include "store/store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <set>
#include <thread>

using namespace ferry::host;
using ferry::test::temp_dir;

namespace {

owned_record record(const std::string& key, int64_t version, const std::string& event_id = "") {
    owned_record r;
    r.stream = "order";
    r.key = key;
    r.version = version;
    r.payload = R"({"key":")" + key + R"("})";
    r.meta = "{}";
    r.event_id = event_id;
    return r;
}

class store_test : public ::testing::Test {
protected:
    std::unique_ptr<store> open() { return open_store("sqlite://ferry.db", dir.path()); }
    temp_dir dir;
};

TEST_F(store_test, journals_records_and_returns_them_pending_in_order) {
    auto s = open();
    auto ids = s->append({{"p", record("a", 1)}, {"p", record("b", 1)}, {"q", record("c", 1)}});
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_LT(ids[0], ids[1]);
    auto pending = s->pending("p");
    ASSERT_EQ(pending.size(), 2u);
    EXPECT_EQ(pending[0].id, ids[0]);
    EXPECT_EQ(pending[0].record.key, "a");
    EXPECT_EQ(pending[0].record.payload, R"({"key":"a"})");
    EXPECT_EQ(pending[0].state, record_state::pending);
    EXPECT_EQ(pending[1].record.key, "b");
    EXPECT_GT(pending[0].received_ms, 0);
}

TEST_F(store_test, drops_a_duplicate_event_per_pipeline) {
    auto s = open();
    auto first = s->append({{"p", record("a", 1, "evt-1")}});
    auto again = s->append({{"p", record("a", 1, "evt-1")}, {"q", record("a", 1, "evt-1")}});
    EXPECT_NE(first[0], 0);
    EXPECT_EQ(again[0], 0) << "same pipeline and event id";
    EXPECT_NE(again[1], 0) << "another pipeline keeps its own copy";
    EXPECT_EQ(s->pending("p").size(), 1u);
}

TEST_F(store_test, stores_a_cursor_with_the_records_that_advance_it) {
    auto s = open();
    s->append({{"p", record("a", 1)}}, cursor_update{"shop", "cursor:p", "2026-11-23T10:00:00Z"});
    EXPECT_EQ(s->state_get("shop", "cursor:p"), "2026-11-23T10:00:00Z");
}

TEST_F(store_test, a_delivery_fills_the_id_map_and_journals_follow_ups) {
    auto s = open();
    int64_t id = s->append({{"p", record("a", 7)}})[0];
    EXPECT_FALSE(s->target_for("p/a/7/0"));  // read before the write: no stale snapshot after it
    append_item follow{"writeback", record("a", 7), record_origin::follow_up};
    s->mark_done(id, {{"p/a/7/0", "SO-1001"}}, {follow});
    EXPECT_EQ(s->target_for("p/a/7/0"), "SO-1001");
    EXPECT_EQ(s->history_of("p", "a", 8).delivered_version, 7);
    auto entry = s->entry(id);
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->state, record_state::done);
    EXPECT_EQ(entry->target_id, "SO-1001");
    auto follow_ups = s->pending("writeback");
    ASSERT_EQ(follow_ups.size(), 1u);
    EXPECT_EQ(follow_ups[0].origin, record_origin::follow_up);
    EXPECT_TRUE(s->pending("p").empty());
}

TEST_F(store_test, delivered_versions_only_grow) {
    auto s = open();
    auto ids = s->append({{"p", record("a", 9)}, {"p", record("a", 3)}});
    s->mark_done(ids[0], {}, {});
    s->mark_done(ids[1], {}, {});
    EXPECT_EQ(s->history_of("p", "a", 10).delivered_version, 9);
}

TEST_F(store_test, retries_stay_pending_with_their_schedule) {
    auto s = open();
    int64_t id = s->append({{"p", record("a", 1)}})[0];
    s->mark_retry(id, 2, 123456, "ERP busy", "attempt 2: retry: ERP busy");
    auto pending = s->pending("p");
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].attempts, 2u);
    EXPECT_EQ(pending[0].next_attempt_ms, 123456);
    EXPECT_EQ(pending[0].last_error, "ERP busy");
}

TEST_F(store_test, dead_letters_can_be_edited_retried_and_discarded) {
    auto s = open();
    auto ids = s->append({{"p", record("a", 1)}, {"p", record("b", 1)}});
    s->mark_retry(ids[0], 1, 0, "timeout", "attempt 1: retry: timeout");
    s->mark_dead(ids[0], 3, "unknown SKU X-1", "syspro.order", "attempt 2: reject: unknown SKU X-1");
    s->mark_dead(ids[1], 1, "bad", "syspro.order", "1: reject: bad");
    EXPECT_TRUE(s->history_of("p", "b", 1).version_dead_lettered);
    EXPECT_FALSE(s->history_of("p", "b", 2).version_dead_lettered);
    EXPECT_FALSE(s->history_of("q", "b", 1).version_dead_lettered);
    EXPECT_FALSE(s->history_of("p", "b", 1).delivered_version) << "never delivered";
    auto letters = s->dead_letters("p", 10);
    ASSERT_EQ(letters.size(), 2u);
    EXPECT_EQ(letters[0].entry.id, ids[1]) << "newest first";
    auto letter = s->find_dead_letter(ids[0]);
    ASSERT_TRUE(letter);
    EXPECT_EQ(letter->reason, "unknown SKU X-1");
    EXPECT_EQ(letter->step, "syspro.order");
    EXPECT_EQ(letter->entry.attempts, 3u);
    EXPECT_EQ(letter->entry.state, record_state::dead);
    EXPECT_EQ(letter->trace, "attempt 1: retry: timeout\nattempt 2: reject: unknown SKU X-1\n");
    EXPECT_FALSE(letter->edited_payload);
    EXPECT_TRUE(s->pending("p").empty());

    s->edit_dead_letter(ids[0], R"({"sku":"X-2"})");
    EXPECT_EQ(s->find_dead_letter(ids[0])->edited_payload, R"({"sku":"X-2"})");
    int64_t again = s->retry_dead_letter(ids[0]);
    EXPECT_FALSE(s->find_dead_letter(ids[0]));
    auto pending = s->pending("p");
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].id, again);
    EXPECT_EQ(pending[0].record.payload, R"({"sku":"X-2"})");
    EXPECT_EQ(pending[0].record.key, "a");
    EXPECT_EQ(pending[0].origin, record_origin::dead_letter_retry);

    s->discard_dead_letter(ids[1]);
    EXPECT_TRUE(s->dead_letters("", 10).empty());
    EXPECT_EQ(s->entry(ids[1])->state, record_state::skipped);
    EXPECT_THROW(s->discard_dead_letter(ids[1]), store_error);
    EXPECT_THROW(s->retry_dead_letter(999), store_error);
}

TEST_F(store_test, a_window_of_the_journal_leaves_out_replays) {
    auto s = open();
    s->append({{"p", record("a", 1)}, {"p", record("b", 1)}});
    s->append({{"p", record("a", 1), record_origin::replay}});
    auto window = s->journal_window("p", 0, INT64_MAX);
    ASSERT_EQ(window.size(), 2u);
    EXPECT_EQ(window[1].record.key, "b");
    EXPECT_TRUE(s->journal_window("p", 0, 1).empty());
}

TEST_F(store_test, keeps_state_per_connection) {
    auto s = open();
    s->state_put("shop", "k", "1");
    s->state_put("erp", "k", "2");
    s->state_put("shop", "k", "3");
    EXPECT_EQ(s->state_get("shop", "k"), "3");
    EXPECT_EQ(s->state_get("erp", "k"), "2");
    s->state_delete("shop", "k");
    EXPECT_FALSE(s->state_get("shop", "k"));
}

TEST_F(store_test, keeps_a_bounded_api_call_log) {
    auto s = open();
    for (int i = 0; i < 5; ++i) s->log_api_call({"erp", "POST", "http://erp/x", 200 + i, 1.5, "{}", "{}", "", i});
    s->prune_api_calls(3);
    auto calls = s->api_calls("erp", 10);
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0].status, 204);
    EXPECT_EQ(calls[2].status, 202);
    EXPECT_TRUE(s->api_calls("shop", 10).empty());
}

TEST_F(store_test, counts_records_by_state) {
    auto s = open();
    auto ids = s->append({{"p", record("a", 1)}, {"p", record("b", 1)}, {"p", record("c", 1)}, {"p", record("d", 1)}});
    s->mark_done(ids[0], {}, {});
    s->mark_dead(ids[1], 1, "r", "step", "t");
    s->mark_skipped(ids[2], "filtered");
    pipeline_counts c = s->counts("p");
    EXPECT_EQ(c.pending, 1u);
    EXPECT_EQ(c.done, 1u);
    EXPECT_EQ(c.dead, 1u);
    EXPECT_EQ(c.skipped, 1u);
    EXPECT_EQ(c.oldest_pending_ms, s->entry(ids[3])->received_ms);
}

TEST_F(store_test, survives_reopening) {
    int64_t id = 0;
    {
        auto s = open();
        id = s->append({{"p", record("a", 1)}})[0];
        s->state_put("shop", "cursor", "42");
    }
    auto s = open();
    EXPECT_EQ(s->pending("p").at(0).id, id);
    EXPECT_EQ(s->state_get("shop", "cursor"), "42");
}

TEST_F(store_test, refuses_a_store_from_a_newer_ferry) {
    open();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / "ferry.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    try {
        open();
        FAIL() << "opened a store of schema 99";
    } catch (const store_error& e) {
        EXPECT_NE(std::string(e.what()).find("newer ferry (schema 99"), std::string::npos) << e.what();
    }
}

TEST_F(store_test, a_missing_store_is_created_only_when_asked) {
    try {
        open_store("sqlite://absent.db", dir.path(), false);
        FAIL() << "opened a store that does not exist";
    } catch (const store_error& e) {
        EXPECT_NE(std::string(e.what()).find("ferry has not run with this manifest"), std::string::npos);
    }
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "absent.db"));
}

TEST_F(store_test, two_processes_may_open_a_new_store_at_once) {
    std::vector<std::thread> openers;
    std::atomic<int> failures{0};
    for (int i = 0; i < 6; ++i) {
        openers.emplace_back([&] {
            try {
                open()->last_id();
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
                ++failures;
            }
        });
    }
    for (auto& t : openers) t.join();
    EXPECT_EQ(failures, 0);
}

TEST_F(store_test, names_an_unknown_store_kind) {
    EXPECT_THROW(open_store("mysql://x", dir.path()), store_error);
    EXPECT_THROW(open_store("sqlite:///nonexistent-dir/ferry.db", dir.path()), store_error);
}

TEST_F(store_test, concurrent_appends_are_all_durable_and_distinct) {
    auto s = open();
    constexpr int threads = 8, per_thread = 300;
    std::vector<std::vector<int64_t>> ids(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                std::string key = std::to_string(t) + "-" + std::to_string(i);
                ids[t].push_back(s->append({{"p", record(key, 1, "evt-" + key)}})[0]);
            }
        });
    }
    for (auto& w : workers) w.join();
    std::set<int64_t> all;
    for (const auto& v : ids) all.insert(v.begin(), v.end());
    EXPECT_EQ(all.size(), size_t(threads * per_thread));
    EXPECT_EQ(all.count(0), 0u);
    EXPECT_EQ(s->pending("p").size(), size_t(threads * per_thread));
}

}  // namespace
