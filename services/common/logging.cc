#include "services/common/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "services/common/text_fold.h"

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

std::string Bounded(std::string_view value) {
  if (value.size() <= kMaxValueBytes) return std::string(value);
  return Utf8Prefix(value, kMaxValueBytes) + "...(" + std::to_string(value.size()) + " bytes)";
}

std::string Render(std::string_view level, std::string_view message, const Fields& fields,
                   bool json) {
  if (json) {
    nlohmann::json line;
    line["level"] = level;
    line["msg"] = message;
    for (const auto& [key, value] : fields) line[std::string(key)] = Bounded(value);
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out(message);
  for (const auto& [key, raw] : fields) {
    const std::string value = Bounded(raw);
    out += ' ';
    out += key;
    out += '=';
    // Quoted and escaped when it could be read as more than one value or line: a value never
    // forges a field or a log line of its own.
    bool quote = value.empty();
    for (unsigned char c : value)
      quote = quote || c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f;
    if (!quote) {
      out += value;
      continue;
    }
    out += '"';
    for (size_t i = 0; i < value.size(); ++i) {
      const unsigned char c = value[i];
      // U+0085 (NEL) and U+2028/U+2029 end lines for many log readers: written as escapes too.
      const bool nel =
          c == 0xC2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) == 0x85;
      const bool separator = c == 0xE2 && i + 2 < value.size() &&
                             static_cast<unsigned char>(value[i + 1]) == 0x80 &&
                             (static_cast<unsigned char>(value[i + 2]) == 0xA8 ||
                              static_cast<unsigned char>(value[i + 2]) == 0xA9);
      if (nel || separator) {
        out += nel ? "\\u0085"
                   : (static_cast<unsigned char>(value[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
        i += nel ? 1 : 2;
      } else if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c < ' ' || c == 0x7f) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        out += hex;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  }
  return out;
}

// Protobuf's own messages as our log lines, escaped like every other value, instead of raw lines
// on stderr. At debug level: the ones a server sees come from clients' bytes (a string field that
// is not UTF-8), and the refused call has its own log line already.
static void ProtobufLog(google::protobuf::LogLevel level, const char* /*file*/, int /*line*/,
                        const std::string& message) {
  if (level == google::protobuf::LOGLEVEL_FATAL) {
    Error("protobuf", {{"message", message}});
  } else {
    Debug("protobuf", {{"message", message}});
  }
}

void Init(const LogConfig& config) {
  json_format = config.format == "json";
  google::protobuf::SetLogHandler(&ProtobufLog);
  spdlog::drop("infrashare");  // Init may run again (tests start several servers)
  auto logger = spdlog::stderr_logger_mt("infrashare");
  spdlog::set_default_logger(logger);
  // JSON lines carry their own fields; the time is prepended as the first member.
  spdlog::set_pattern(
      json_format ? "{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",%v" : "%Y-%m-%d %H:%M:%S.%e %l %v",
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
