// Redis stream entry ids ("<ms>-<seq>") and the one cursor format of every Watch*/Stream* call.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"

namespace infrashare {

// One entry of a Redis stream.
struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  // The value of field `name`, or null.
  const std::string* Field(absl::string_view name) const;
};
// The entries of an XRANGE reply (or of one stream of an XREAD reply).
std::vector<StreamEntry> StreamEntriesOf(const RedisValue& entries);

bool IsValidStreamId(absl::string_view id);
// <0, 0, >0 as a is before, equal to, after b.
int CompareStreamIds(absl::string_view a, absl::string_view b);
// The id of the newest entry of `key` ("0-0" when it is empty or missing); of each of `keys`,
// in one round trip.
absl::StatusOr<std::string> LatestStreamId(RedisPool& redis, const std::string& key);
absl::StatusOr<std::vector<std::string>> LatestStreamIds(RedisPool& redis,
                                                         const std::vector<std::string>& keys);
// Where a cursor's position ids[k] stands in the stream keys[k] (one round trip for all):
// followable, past entries already trimmed (events after it are lost), or ahead of every id the
// stream ever issued (forged).
enum class StreamPosition { kFollowable, kTrimmed, kAhead };
absl::StatusOr<std::vector<StreamPosition>> CheckStreamPositions(
    RedisPool& redis, const std::vector<std::string>& keys, const std::vector<std::string>& ids);

// A cursor: "<family>:<id>[,<id>...]", the position in each Redis stream a call follows (a family
// names what is followed: "reg1", "bk1", "rot1", "dk1"). A bare id, the registry's cursor before
// this format, is still read for a family of one stream.
std::string EncodeStreamCursor(absl::string_view family, const std::vector<std::string>& ids);
// The positions, or nullopt when `cursor` is not one of `family` over `streams` streams.
std::optional<std::vector<std::string>> DecodeStreamCursor(absl::string_view family,
                                                           absl::string_view cursor,
                                                           size_t streams);

}  // namespace infrashare
