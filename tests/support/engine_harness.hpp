// An engine on a fresh store, loaded from manifest text with the test plugins: what the engine
// tests share.
#pragma once

#include "engine/engine.hpp"
#include "plugin/registry.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace ferry::test {

struct engine_harness {
    // Loads the manifest, opens its store in `dir` and builds the engine (not started).
    void load(const std::string& text) {
        host::manifest_result result =
            host::load_manifest_text(text, dir.path() / "ferry.json", registry, {FERRY_TEST_PLUGIN_DIR});
        ASSERT_TRUE(result.value) << (result.problems.empty() ? "" : result.problems[0].format());
        m = std::move(*result.value);
        db = host::open_store(m->store, dir.path());
        services.attach(*db, *m);
        eng = std::make_unique<host::engine>(*m, registry, *db, services, metrics, engine_options);
    }

    // Stops the engine and starts a new one on the same store, as after a restart.
    void restart() {
        eng->stop();
        eng = std::make_unique<host::engine>(*m, registry, *db, services, metrics, engine_options);
        eng->start(false);
    }

    // Waits until nothing is in flight and nothing falls due within a minute.
    bool settle() { return eng->wait_idle(std::chrono::seconds(20), 60000); }

    host::engine::options engine_options{4, 20, 20};  // 4 workers; idle wait and requeue scan of 20 ms
    temp_dir dir;
    host::metrics_registry metrics;
    host::engine_services services{metrics};
    host::plugin_registry registry{services};
    std::optional<host::manifest> m;
    std::unique_ptr<host::store> db;
    std::unique_ptr<host::engine> eng;
};

}  // namespace ferry::test
