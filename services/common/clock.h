// This replica's wall clock, in milliseconds since the epoch (decisions that must agree across
// replicas use Redis' TIME instead: prelude.lua's now_ms).
#pragma once

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace infrashare {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A time in milliseconds since the epoch as a Timestamp; nullopt when a Timestamp cannot hold it
// (before year 1 or after 9999), on which protobuf's TimeUtil would abort the process: a damaged
// stored time must not take the server down.
inline std::optional<google::protobuf::Timestamp> TimestampOfMs(int64_t ms) {
  using google::protobuf::util::TimeUtil;
  if (ms < TimeUtil::kTimestampMinSeconds * 1000 ||
      ms > TimeUtil::kTimestampMaxSeconds * 1000 + 999)
    return std::nullopt;
  return TimeUtil::MillisecondsToTimestamp(ms);
}

// Sets `out` to `ms` when it is a time (> 0) a Timestamp can hold; leaves it unset otherwise.
inline void SetTimestampOfMs(int64_t ms, google::protobuf::Timestamp* out) {
  if (ms <= 0) return;
  if (auto t = TimestampOfMs(ms)) *out = *t;
}

}  // namespace infrashare
