// Helpers shared by the tests: temporary folders, running the ferry binary.
#pragma once

#include <chrono>
#include <cstdlib>
#include <thread>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace ferry::test {

// A fresh directory under the system temp folder, removed when this object goes.
class temp_dir {
public:
    temp_dir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("ferry-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path write(const std::string& name, const std::string& content) const {
        std::filesystem::path file = path_ / name;
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }

private:
    std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Waits until `condition` holds, looking again every 2 ms, for at most `timeout`. For state that
// another thread or process changes without telling the test.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

struct command_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs the ferry binary with a shell-quoted argument string; captures both streams.
inline command_result run_ferry(const std::string& args, const std::string& stdin_text = "") {
    temp_dir dir;
    auto in = dir.write("stdin", stdin_text);
    auto out = dir.path() / "stdout";
    auto err = dir.path() / "stderr";
    std::string command = "env -u FERRY_PLUGIN_PATH " + std::string(FERRY_BINARY) + " " + args + " <" + in.string() +
                          " >" + out.string() + " 2>" + err.string();
    int status = std::system(command.c_str());
    command_result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_text(out);
    result.err = read_text(err);
    return result;
}

}  // namespace ferry::test
