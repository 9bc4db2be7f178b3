// Structured logging on top of spdlog: `msg key=value ...` for people in dev, one JSON object per
// line in production. Callers pass only fields that are safe to log: never a token, never a
// person's contact details.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/common/config.h"

namespace infrashare::logging {

using Fields = std::vector<std::pair<std::string_view, std::string>>;

void Init(const LogConfig& config);
void Debug(std::string_view message, const Fields& fields = {});
void Info(std::string_view message, const Fields& fields = {});
void Warn(std::string_view message, const Fields& fields = {});
void Error(std::string_view message, const Fields& fields = {});

// Longest value a log line carries; a longer one is cut and says how long it was.
inline constexpr size_t kMaxValueBytes = 256;
// `value` cut to kMaxValueBytes (at a character boundary).
std::string Bounded(std::string_view value);
// Renders one line as the configured format would; exposed for tests. Values are bounded, and in
// text format quoted and escaped whenever they hold spaces, quotes, '=', '\' or control characters.
std::string Render(std::string_view level, std::string_view message, const Fields& fields,
                   bool json);

}  // namespace infrashare::logging
