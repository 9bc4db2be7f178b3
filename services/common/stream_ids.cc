#include "services/common/stream_ids.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace infrashare {

bool IsValidStreamId(absl::string_view id) {
  std::vector<absl::string_view> parts = absl::StrSplit(id, '-');
  uint64_t n = 0;
  return parts.size() == 2 && !parts[0].empty() && !parts[1].empty() &&
         absl::SimpleAtoi(parts[0], &n) && absl::SimpleAtoi(parts[1], &n) &&
         parts[0].find_first_not_of("0123456789") == absl::string_view::npos &&
         parts[1].find_first_not_of("0123456789") == absl::string_view::npos;
}

int CompareStreamIds(absl::string_view a, absl::string_view b) {
  auto split = [](absl::string_view c) {
    std::pair<uint64_t, uint64_t> out{0, 0};
    std::vector<absl::string_view> parts = absl::StrSplit(c, '-');
    (void)absl::SimpleAtoi(parts[0], &out.first);
    if (parts.size() > 1) (void)absl::SimpleAtoi(parts[1], &out.second);
    return out;
  };
  auto x = split(a), y = split(b);
  return x < y ? -1 : (x == y ? 0 : 1);
}

absl::StatusOr<std::string> LatestStreamId(RedisPool& redis, const std::string& key) {
  auto reply = redis.Command({"XREVRANGE", key, "+", "-", "COUNT", "1"});
  if (!reply.ok()) return reply.status();
  if (reply->elements.empty()) return std::string("0-0");
  return reply->elements[0].elements[0].str;
}

absl::StatusOr<bool> StreamTrimmedAfter(RedisPool& redis, const std::string& key,
                                        absl::string_view id) {
  auto replies = redis.Pipeline({{"XINFO", "STREAM", key}});
  if (!replies.ok()) return replies.status();
  // An error reply means there is no stream yet: nothing was ever trimmed.
  if (replies->front().type == RedisValue::Type::kError) return false;
  const auto& fields = replies->front().elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str == "max-deleted-entry-id" && IsValidStreamId(fields[i + 1].str))
      return CompareStreamIds(id, fields[i + 1].str) < 0;
  }
  return false;
}

}  // namespace infrashare
