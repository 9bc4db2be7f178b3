#include "services/common/stream_ids.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

absl::StatusOr<std::vector<std::string>> LatestStreamIds(RedisPool& redis,
                                                         const std::vector<std::string>& keys) {
  std::vector<RedisArgs> reads;
  for (const auto& key : keys) reads.push_back({"XREVRANGE", key, "+", "-", "COUNT", "1"});
  auto replies = redis.Pipeline(reads);
  if (!replies.ok()) return replies.status();
  std::vector<std::string> ids;
  for (const auto& reply : *replies) {
    if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
    ids.push_back(reply.elements.empty() ? "0-0" : reply.elements[0].elements[0].str);
  }
  return ids;
}

absl::StatusOr<std::string> LatestStreamId(RedisPool& redis, const std::string& key) {
  auto ids = LatestStreamIds(redis, {key});
  if (!ids.ok()) return ids.status();
  return std::move(ids->front());
}

namespace {

// Where `id` stands in a stream, from its XINFO STREAM reply.
StreamPosition PositionIn(const RedisValue& info, absl::string_view id) {
  // An error reply means there is no stream yet: nothing was ever trimmed, nothing issued.
  if (info.type == RedisValue::Type::kError)
    return CompareStreamIds(id, "0-0") > 0 ? StreamPosition::kAhead : StreamPosition::kFollowable;
  const auto& fields = info.elements;
  long long length = 0, added = 0;
  std::string first, last;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].str;
    const RedisValue& value = fields[i + 1];
    // XDEL records the newest id it removed; trimming (MAXLEN) does not in Redis 7.0.
    if (name == "max-deleted-entry-id" && IsValidStreamId(value.str) &&
        CompareStreamIds(id, value.str) < 0)
      return StreamPosition::kTrimmed;
    if (name == "length") length = value.integer;
    if (name == "entries-added") added = value.integer;
    if (name == "last-generated-id") last = value.str;
    if (name == "first-entry" && !value.elements.empty()) first = value.elements[0].str;
  }
  if (IsValidStreamId(last) && CompareStreamIds(id, last) > 0) return StreamPosition::kAhead;
  if (added <= length) return StreamPosition::kFollowable;  // nothing was ever removed
  // Entries were trimmed from the front: those after `id` are gone if the oldest one left comes
  // after `id` (or none is left). When `id` was the very last entry trimmed this refuses a cursor
  // that lost nothing; the client lists and watches anew, which is safe.
  const std::string& oldest = first.empty() ? last : first;
  return !oldest.empty() && CompareStreamIds(id, oldest) < 0 ? StreamPosition::kTrimmed
                                                             : StreamPosition::kFollowable;
}

}  // namespace

absl::StatusOr<std::vector<StreamPosition>> CheckStreamPositions(
    RedisPool& redis, const std::vector<std::string>& keys, const std::vector<std::string>& ids) {
  std::vector<RedisArgs> reads;
  for (const auto& key : keys) reads.push_back({"XINFO", "STREAM", key});
  auto replies = redis.Pipeline(reads);
  if (!replies.ok()) return replies.status();
  std::vector<StreamPosition> positions;
  for (size_t k = 0; k < keys.size(); ++k) positions.push_back(PositionIn((*replies)[k], ids[k]));
  return positions;
}

const std::string* StreamEntry::Field(absl::string_view name) const {
  for (const auto& [field, value] : fields)
    if (field == name) return &value;
  return nullptr;
}

std::vector<StreamEntry> StreamEntriesOf(const RedisValue& entries) {
  std::vector<StreamEntry> out;
  out.reserve(entries.elements.size());
  for (const auto& entry : entries.elements) {
    if (entry.elements.size() < 2) continue;
    StreamEntry e;
    e.id = entry.elements[0].str;
    const auto& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2)
      e.fields.emplace_back(fields[i].str, fields[i + 1].str);
    out.push_back(std::move(e));
  }
  return out;
}

std::string EncodeStreamCursor(absl::string_view family, const std::vector<std::string>& ids) {
  return absl::StrCat(family, ":", absl::StrJoin(ids, ","));
}

std::optional<std::vector<std::string>> DecodeStreamCursor(absl::string_view family,
                                                           absl::string_view cursor,
                                                           size_t streams) {
  std::vector<std::string> ids;
  if (absl::StartsWith(cursor, absl::StrCat(family, ":"))) {
    ids = absl::StrSplit(cursor.substr(family.size() + 1), ',');
  } else if (streams == 1) {
    ids.emplace_back(cursor);
  }
  if (ids.size() != streams) return std::nullopt;
  for (const auto& id : ids)
    if (!IsValidStreamId(id)) return std::nullopt;
  return ids;
}

}  // namespace infrashare
