// The desk's dispatch work: a stream every replica consumes in one consumer group, so each piece
// of work goes to one replica and work a dead replica left unacknowledged is claimed by another.
// The Dispatcher holds the DispatchQueue interface; RedisDispatchQueue keeps it in Redis.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"

namespace infrashare::desk {

// One piece of dispatch work: route inquiry `inquiry_id`, or drain the queue when it is "*".
struct DispatchItem {
  std::string stream_id;
  std::string inquiry_id;
};

class DispatchQueue {
 public:
  virtual ~DispatchQueue() = default;
  // Creates the consumer group unless it exists.
  virtual absl::Status EnsureGroup() = 0;
  // New work for `consumer`, waiting up to `block_ms` for the first item. Each consumer is one
  // thread: it may block without holding up the others.
  virtual absl::StatusOr<std::vector<DispatchItem>> Read(absl::string_view consumer, int count,
                                                         int block_ms) = 0;
  // Work other consumers left unacknowledged for `min_idle_ms`, now this consumer's.
  virtual absl::StatusOr<std::vector<DispatchItem>> ClaimStale(absl::string_view consumer,
                                                               int min_idle_ms, int count) = 0;
  // Done: removed from the stream.
  virtual absl::Status Acknowledge(const std::vector<std::string>& stream_ids) = 0;
  // A drain of the queue is about to run: requests for another one are queued again.
  virtual absl::Status ClearDrainFlag() = 0;
  // Asks for a drain of the queue, unless one is pending (as the desk's functions do when
  // capacity frees).
  virtual absl::Status RequestDrain() = 0;
};

class RedisDispatchQueue final : public DispatchQueue {
 public:
  explicit RedisDispatchQueue(RedisPool* redis);

  absl::Status EnsureGroup() override;
  // Blocks on a connection of the consumer's own, opened on its first read.
  absl::StatusOr<std::vector<DispatchItem>> Read(absl::string_view consumer, int count,
                                                 int block_ms) override;
  absl::StatusOr<std::vector<DispatchItem>> ClaimStale(absl::string_view consumer, int min_idle_ms,
                                                       int count) override;
  absl::Status Acknowledge(const std::vector<std::string>& stream_ids) override;
  absl::Status ClearDrainFlag() override;
  absl::Status RequestDrain() override;

 private:
  RedisConnection* ConnectionOf(absl::string_view consumer);

  RedisPool* redis_;
  std::string stream_;      // "<prefix>{dk}:dq"
  std::string drain_flag_;  // "<prefix>{dk}:dqf"
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<RedisConnection>, std::less<>> connections_;
};

}  // namespace infrashare::desk
