// One background thread that runs functions at a later time: delayed answers (latency faults),
// webhook retries. Tasks still waiting when the scheduler stops are dropped, never run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace ferry::sandbox {

class scheduler {
public:
    scheduler();
    ~scheduler();  // stops
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    void run_after(std::chrono::milliseconds delay, std::function<void()> task);
    void stop();

private:
    void loop();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ferry::sandbox
