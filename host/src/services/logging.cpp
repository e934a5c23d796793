#include "services/logging.hpp"

#include <ferry/ferry_plugin.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace ferry::host {

namespace {

// %v with JSON string escaping, so that every line stays one valid JSON object.
class json_message_flag : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
            switch (c) {
                case '"': dest.append(std::string_view("\\\"")); break;
                case '\\': dest.append(std::string_view("\\\\")); break;
                case '\n': dest.append(std::string_view("\\n")); break;
                case '\r': dest.append(std::string_view("\\r")); break;
                case '\t': dest.append(std::string_view("\\t")); break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        static const char hex[] = "0123456789abcdef";
                        const char escaped[] = {'\\', 'u', '0', '0', hex[(c >> 4) & 0xf], hex[c & 0xf]};
                        dest.append(escaped, escaped + sizeof(escaped));
                    } else {
                        dest.push_back(c);
                    }
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<json_message_flag>();
    }
};

std::shared_ptr<spdlog::logger> make_logger() {
    auto logger = std::make_shared<spdlog::logger>("ferry", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_level(spdlog::level::info);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    return logger;
}

spdlog::logger& logger() {
    static std::shared_ptr<spdlog::logger> instance = make_logger();
    return *instance;
}

spdlog::level::level_enum to_spdlog(int32_t level) {
    switch (level) {
        case FERRY_LOG_TRACE: return spdlog::level::trace;
        case FERRY_LOG_DEBUG: return spdlog::level::debug;
        case FERRY_LOG_INFO: return spdlog::level::info;
        case FERRY_LOG_WARN: return spdlog::level::warn;
        default: return spdlog::level::err;
    }
}

}  // namespace

bool setup_logging(log_format format, std::string_view level) {
    spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
    if (parsed == spdlog::level::off && level != "off") return false;
    logger().set_level(parsed);
    if (format == log_format::json) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<json_message_flag>('*');
        formatter->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
        logger().set_formatter(std::move(formatter));
    } else {
        logger().set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    }
    return true;
}

void log_plugin_message(const std::string& label, int32_t level, std::string_view message) {
    logger().log(to_spdlog(level), "{}: {}", label, message);
}

bool plugin_log_enabled(int32_t level) { return logger().should_log(to_spdlog(level)); }

void log_info(std::string_view message) { logger().info("{}", message); }
void log_warn(std::string_view message) { logger().warn("{}", message); }
void log_error(std::string_view message) { logger().error("{}", message); }

}  // namespace ferry::host
