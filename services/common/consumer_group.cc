#include "services/common/consumer_group.h"

#include "absl/strings/match.h"
#include "services/common/errors.h"

namespace infrashare {

ConsumerGroup::ConsumerGroup(RedisPool* redis, std::string group, std::string start)
    : redis_(redis), group_(std::move(group)), start_(std::move(start)) {}

absl::Status ConsumerGroup::Ensure(const std::string& stream) {
  // Through Pipeline, which hands error replies back as values: BUSYGROUP (another replica made
  // it first) is the expected answer, not a failure to log.
  auto replies = redis_->Pipeline({{"XGROUP", "CREATE", stream, group_, start_, "MKSTREAM"}});
  if (!replies.ok()) return replies.status();
  const RedisValue& reply = replies->front();
  if (reply.type == RedisValue::Type::kError && !absl::StrContains(reply.str, "BUSYGROUP"))
    return StatusFromRedisError(reply.str);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<StreamEntry>>> ConsumerGroup::Read(
    const std::vector<std::string>& streams, absl::string_view consumer, int count) {
  auto command = [&](const std::string& stream) -> RedisArgs {
    return {"XREADGROUP", "GROUP", group_, std::string(consumer), "COUNT", std::to_string(count),
            "STREAMS",    stream,  ">"};
  };
  std::vector<RedisArgs> reads;
  for (const auto& stream : streams) reads.push_back(command(stream));
  auto replies = redis_->Pipeline(reads);
  if (!replies.ok()) return replies.status();
  std::vector<std::vector<StreamEntry>> out(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    RedisValue reply = std::move((*replies)[i]);
    if (reply.type == RedisValue::Type::kError) {
      if (!absl::StrContains(reply.str, "NOGROUP")) return StatusFromRedisError(reply.str);
      if (auto made = Ensure(streams[i]); !made.ok()) return made;
      auto again = redis_->Command(command(streams[i]));
      if (!again.ok()) return again.status();
      reply = std::move(*again);
    }
    // [[stream, [entries...]]], or nil when nothing is new.
    if (reply.is_nil() || reply.elements.empty() || reply.elements[0].elements.size() < 2) continue;
    out[i] = StreamEntriesOf(reply.elements[0].elements[1]);
  }
  return out;
}

absl::StatusOr<std::vector<StreamEntry>> ConsumerGroup::Claim(const std::string& stream,
                                                              absl::string_view consumer,
                                                              int min_idle_ms, int count) {
  auto replies =
      redis_->Pipeline({{"XAUTOCLAIM", stream, group_, std::string(consumer),
                         std::to_string(min_idle_ms), "0-0", "COUNT", std::to_string(count)}});
  if (!replies.ok()) return replies.status();
  const RedisValue& reply = replies->front();
  if (reply.type == RedisValue::Type::kError) {
    if (!absl::StrContains(reply.str, "NOGROUP")) return StatusFromRedisError(reply.str);
    if (auto made = Ensure(stream); !made.ok()) return made;
    return std::vector<StreamEntry>();
  }
  // [next start, [entries...], [ids deleted meanwhile]] (Redis 7).
  if (reply.elements.size() < 2) return std::vector<StreamEntry>();
  return StreamEntriesOf(reply.elements[1]);
}

absl::Status ConsumerGroup::Acknowledge(const std::string& stream,
                                        const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  RedisArgs ack = {"XACK", stream, group_};
  ack.insert(ack.end(), ids.begin(), ids.end());
  return redis_->Command(ack).status();
}

}  // namespace infrashare
