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
#include <csignal>
#include <regex>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

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
        if (std::getenv("FERRY_KEEP_TEST_DIRS")) return;  // for looking at what a failed test left
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

// The ferry binary running in the background, its standard error in a file.
class ferry_process {
public:
    ferry_process(const std::vector<std::string>& args, const std::filesystem::path& stderr_file) : stderr_file_(stderr_file) {
        pid_ = ::fork();
        if (pid_ == 0) {
            int fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(fd, 2);
            ::dup2(fd, 1);
            std::vector<char*> argv;
            std::string binary = FERRY_BINARY;
            argv.push_back(binary.data());
            std::vector<std::string> copy = args;
            for (auto& a : copy) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::unsetenv("FERRY_PLUGIN_PATH");
            ::execv(binary.c_str(), argv.data());
            ::_exit(127);
        }
    }
    ~ferry_process() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    ferry_process(const ferry_process&) = delete;
    ferry_process& operator=(const ferry_process&) = delete;

    // The port from the "listening on host:port" log line, once it appears; 0 on timeout.
    int port(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        int found = 0;
        std::regex pattern("listening on [0-9.]+:([0-9]+)");
        eventually([&] {
            std::smatch match;
            std::string text = read_text(stderr_file_);
            if (std::regex_search(text, match, pattern)) found = std::stoi(match[1]);
            return found != 0 || exited();
        }, timeout);
        return found;
    }
    void signal(int sig) { ::kill(pid_, sig); }
    bool exited() {
        if (exited_) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            exited_ = true;
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return exited_;
    }
    // The exit code once the process ends within `timeout`, else -1.
    int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        return eventually([&] { return exited(); }, timeout) ? exit_code_ : -1;
    }
    std::string log() const { return read_text(stderr_file_); }

private:
    std::filesystem::path stderr_file_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int exit_code_ = -1;
};

}  // namespace ferry::test
