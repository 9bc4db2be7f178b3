// Redis streams consumed in one consumer group by every replica: each entry goes to one replica,
// stays pending until acknowledged, and what a dead replica left pending is claimed by another
// (XREADGROUP, XACK, XAUTOCLAIM). Reads do not block: a caller that found nothing waits on its own
// terms, so one thread can follow many streams (each command touches one key, as Redis Cluster
// asks) without a connection of its own.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"
#include "services/common/stream_ids.h"

namespace infrashare {

class ConsumerGroup {
 public:
  // `start`: where a group made now begins: "$" (what comes from now on) or "0" (everything).
  ConsumerGroup(RedisPool* redis, std::string group, std::string start);

  const std::string& name() const { return group_; }
  // New entries of each of `streams` for `consumer`, at most `count` of each, in one round trip.
  // A stream whose group is missing (new, or Redis lost it) gets it, from `start`, and is read
  // again.
  absl::StatusOr<std::vector<std::vector<StreamEntry>>> Read(
      const std::vector<std::string>& streams, absl::string_view consumer, int count);
  // Entries of `stream` other consumers left pending for `min_idle_ms`, now `consumer`'s.
  absl::StatusOr<std::vector<StreamEntry>> Claim(const std::string& stream,
                                                 absl::string_view consumer, int min_idle_ms,
                                                 int count);
  absl::Status Acknowledge(const std::string& stream, const std::vector<std::string>& ids);
  // Makes `stream`'s group, from `start`, unless it is there already.
  absl::Status Ensure(const std::string& stream);

 private:
  RedisPool* redis_;
  std::string group_;
  std::string start_;
};

}  // namespace infrashare
