#include "services/desk/dispatch_queue.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/redis_function.h"

namespace infrashare::desk {
namespace {

constexpr char kGroup[] = "dispatchers";

std::vector<DispatchItem> ItemsOf(const RedisValue& entries) {
  std::vector<DispatchItem> items;
  for (const auto& entry : entries.elements) {
    if (entry.elements.size() < 2) continue;
    DispatchItem item;
    item.stream_id = entry.elements[0].str;
    const auto& fields = entry.elements[1].elements;
    for (size_t n = 0; n + 1 < fields.size(); n += 2)
      if (fields[n].str == "i") item.inquiry_id = fields[n + 1].str;
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace

RedisDispatchQueue::RedisDispatchQueue(RedisPool* redis)
    : redis_(redis),
      stream_(absl::StrCat(redis->prefix(), "{dk}:dq")),
      drain_flag_(absl::StrCat(redis->prefix(), "{dk}:dqf")) {}

absl::Status RedisDispatchQueue::EnsureGroup() {
  // Through Pipeline, which hands error replies back as values: BUSYGROUP (the group exists, as
  // it does after the first replica) is the expected answer, not a failure to log.
  auto replies = redis_->Pipeline({{"XGROUP", "CREATE", stream_, kGroup, "0", "MKSTREAM"}});
  if (!replies.ok()) return replies.status();
  const RedisValue& reply = replies->front();
  if (reply.type == RedisValue::Type::kError && !absl::StrContains(reply.str, "BUSYGROUP"))
    return StatusFromRedisError(reply.str);
  return absl::OkStatus();
}

RedisConnection* RedisDispatchQueue::ConnectionOf(absl::string_view consumer) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(consumer);
  if (it == connections_.end())
    it = connections_.emplace(std::string(consumer), redis_->Dedicated(stream_)).first;
  return it->second.get();
}

absl::StatusOr<std::vector<DispatchItem>> RedisDispatchQueue::Read(absl::string_view consumer,
                                                                   int count, int block_ms) {
  RedisConnection* connection = ConnectionOf(consumer);
  connection->SetReadTimeout(std::chrono::milliseconds(block_ms + 2000));
  auto replies = connection->Run(
      {{"XREADGROUP", "GROUP", kGroup, std::string(consumer), "COUNT", std::to_string(count),
        "BLOCK", std::to_string(block_ms), "STREAMS", stream_, ">"}});
  if (!replies.ok()) return replies.status();
  const RedisValue& reply = replies->front();
  if (reply.type == RedisValue::Type::kError) {
    // The group went missing (e.g. Redis lost its data): create it and read again next time.
    if (absl::StrContains(reply.str, "NOGROUP")) {
      if (auto status = EnsureGroup(); !status.ok()) return status;
      return std::vector<DispatchItem>();
    }
    return StatusFromRedisError(reply.str);
  }
  if (reply.is_nil() || reply.elements.empty()) return std::vector<DispatchItem>();
  return ItemsOf(reply.elements[0].elements[1]);
}

absl::StatusOr<std::vector<DispatchItem>> RedisDispatchQueue::ClaimStale(absl::string_view consumer,
                                                                         int min_idle_ms,
                                                                         int count) {
  auto reply =
      redis_->Command({"XAUTOCLAIM", stream_, kGroup, std::string(consumer),
                       std::to_string(min_idle_ms), "0-0", "COUNT", std::to_string(count)});
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() < 2) return std::vector<DispatchItem>();
  return ItemsOf(reply->elements[1]);
}

absl::Status RedisDispatchQueue::Acknowledge(const std::vector<std::string>& stream_ids) {
  if (stream_ids.empty()) return absl::OkStatus();
  RedisArgs ack = {"XACK", stream_, kGroup};
  ack.insert(ack.end(), stream_ids.begin(), stream_ids.end());
  RedisArgs del = {"XDEL", stream_};
  del.insert(del.end(), stream_ids.begin(), stream_ids.end());
  auto replies = redis_->Pipeline({ack, del});
  if (!replies.ok()) return replies.status();
  for (const auto& reply : *replies)
    if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
  return absl::OkStatus();
}

absl::Status RedisDispatchQueue::ClearDrainFlag() {
  return redis_->Command({"DEL", drain_flag_}).status();
}

absl::Status RedisDispatchQueue::RequestDrain() {
  // desk.lua's drain(), in one step: only while inquiries wait, and one drain for many asks.
  RedisFunctionCall call("dk_request_drain");
  call.Key("base", absl::StrCat(redis_->prefix(), "{dk}:"));
  return redis_->FCall(call.function(), call.keys(), call.args()).status();
}

}  // namespace infrashare::desk
