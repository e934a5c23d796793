// Logging for the host and its plugins, through spdlog, as text or one JSON object per line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::host {

enum class log_format { text, json };

// Configures the process-wide logger (stderr). `level` is trace, debug, info, warn or error.
// Returns false, leaving the logger as it was, when the level is unknown.
bool setup_logging(log_format format, std::string_view level);

// Logs a plugin's message under its label; `level` is a FERRY_LOG_* value.
void log_plugin_message(const std::string& label, int32_t level, std::string_view message);
bool plugin_log_enabled(int32_t level);

void log_info(std::string_view message);
void log_warn(std::string_view message);
void log_error(std::string_view message);

}  // namespace ferry::host
