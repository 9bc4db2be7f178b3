// Redis stream entry ids ("<ms>-<seq>") as the cursors of Watch* calls.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"

namespace infrashare {

bool IsValidStreamId(absl::string_view id);
// <0, 0, >0 as a is before, equal to, after b.
int CompareStreamIds(absl::string_view a, absl::string_view b);
// The id of the newest entry of `key` ("0-0" when it is empty or missing).
absl::StatusOr<std::string> LatestStreamId(RedisPool& redis, const std::string& key);
// Whether entries after `id` may already have been trimmed from `key`.
absl::StatusOr<bool> StreamTrimmedAfter(RedisPool& redis, const std::string& key,
                                        absl::string_view id);

}  // namespace infrashare
