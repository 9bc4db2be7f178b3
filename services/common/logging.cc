#include "services/common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>

namespace infrashare::logging {
namespace {

std::atomic<bool> json_format{false};

void Emit(spdlog::level::level_enum level, std::string_view name, std::string_view message,
          const Fields& fields) {
  if (!spdlog::should_log(level)) return;
  std::string line = Render(name, message, fields, json_format.load());
  // In JSON mode the pattern already opened the object with the time; drop our opening brace.
  spdlog::log(level, "{}", json_format.load() ? std::string_view(line).substr(1) : line);
}

}  // namespace

std::string Render(std::string_view level, std::string_view message, const Fields& fields,
                   bool json) {
  if (json) {
    nlohmann::json line;
    line["level"] = level;
    line["msg"] = message;
    for (const auto& [key, value] : fields) line[std::string(key)] = value;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out(message);
  for (const auto& [key, value] : fields) {
    out += ' ';
    out += key;
    out += '=';
    bool quote = value.empty() || value.find(' ') != std::string::npos;
    if (quote) out += '"';
    out += value;
    if (quote) out += '"';
  }
  return out;
}

void Init(const LogConfig& config) {
  json_format = config.format == "json";
  spdlog::drop("infrashare");  // Init may run again (tests start several servers)
  auto logger = spdlog::stderr_logger_mt("infrashare");
  spdlog::set_default_logger(logger);
  // JSON lines carry their own fields; the time is prepended as the first member.
  spdlog::set_pattern(json_format ? "{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",%v" : "%Y-%m-%d %H:%M:%S.%e %l %v",
                      spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(config.level));
}

void Debug(std::string_view message, const Fields& fields) {
  Emit(spdlog::level::debug, "debug", message, fields);
}
void Info(std::string_view message, const Fields& fields) {
  Emit(spdlog::level::info, "info", message, fields);
}
void Warn(std::string_view message, const Fields& fields) {
  Emit(spdlog::level::warn, "warn", message, fields);
}
void Error(std::string_view message, const Fields& fields) {
  Emit(spdlog::level::err, "error", message, fields);
}

}  // namespace infrashare::logging
