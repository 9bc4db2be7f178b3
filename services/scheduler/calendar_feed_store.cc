#include "services/scheduler/calendar_feed_store.h"

#include "absl/strings/str_cat.h"
#include "services/common/redis_function.h"
#include "services/scheduler/booking_policy.h"

namespace infrashare::scheduler {
namespace {

absl::Status Corrupt() { return absl::InternalError("corrupt calendar feed record"); }

// {org, record} as HMGET or cal_get answers them; nullopt when the feed is gone.
absl::StatusOr<std::optional<StoredCalendarFeed>> FeedOf(const RedisValue& reply) {
  if (reply.elements.size() != 2 || reply.elements[0].is_nil()) return std::nullopt;
  StoredCalendarFeed stored;
  stored.holder = reply.elements[0].str;
  if (!stored.feed.ParseFromString(reply.elements[1].str)) return Corrupt();
  return stored;
}

}  // namespace

RedisCalendarFeedStore::RedisCalendarFeedStore(RedisPool* redis)
    : redis_(redis), base_(absl::StrCat(redis->prefix(), "{cal}:")) {}

std::string RedisCalendarFeedStore::ReplayKey(absl::string_view organization_id,
                                              absl::string_view idempotency_key) const {
  return idempotency_key.empty()
             ? ""
             : absl::StrCat(base_, "req:", organization_id, ":", idempotency_key);
}

absl::StatusOr<v1::CalendarFeed> RedisCalendarFeedStore::Insert(const StoredCalendarFeed& stored,
                                                                absl::string_view secret_hash,
                                                                const v1::CalendarFeed& response,
                                                                absl::string_view replay_key,
                                                                int replay_ttl_s,
                                                                int max_per_holder) {
  RedisFunctionCall call("cal_create");
  call.Key("feed", absl::StrCat(base_, "f:", secret_hash))
      .Key("id", absl::StrCat(base_, "id:", stored.feed.id()))
      .Key("org", absl::StrCat(base_, "org:", stored.holder))
      .Replay(replay_key, replay_ttl_s)
      .Arg("id", stored.feed.id())
      .Arg("org", stored.holder)
      .Arg("hash", std::string(secret_hash))
      .Arg("record", stored.feed.SerializeAsString())
      .Arg("response", response.SerializeAsString())
      .Int("created", ToEpochMs(stored.feed.create_time()))
      .Int("max", max_per_holder);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() == 2 && reply->elements[0].str == "replay") {
    v1::CalendarFeed previous;
    if (!previous.ParseFromString(reply->elements[1].str)) return Corrupt();
    return previous;
  }
  return response;
}

absl::StatusOr<std::optional<StoredCalendarFeed>> RedisCalendarFeedStore::ByHash(
    absl::string_view secret_hash) {
  auto reply = redis_->Command({"HMGET", absl::StrCat(base_, "f:", secret_hash), "org", "d"});
  if (!reply.ok()) return reply.status();
  return FeedOf(*reply);
}

absl::StatusOr<std::optional<StoredCalendarFeed>> RedisCalendarFeedStore::ById(
    absl::string_view id) {
  RedisFunctionCall call("cal_get");
  call.Key("base", base_).Key("id", absl::StrCat(base_, "id:", id));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return FeedOf(*reply);
}

absl::StatusOr<std::vector<v1::CalendarFeed>> RedisCalendarFeedStore::HeldBy(
    absl::string_view organization_id) {
  RedisFunctionCall call("cal_list");
  call.Key("base", base_).Key("org", absl::StrCat(base_, "org:", organization_id));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  std::vector<v1::CalendarFeed> feeds(reply->elements.size());
  for (size_t i = 0; i < feeds.size(); ++i)
    if (!feeds[i].ParseFromString(reply->elements[i].str)) return Corrupt();
  return feeds;
}

absl::StatusOr<v1::CalendarFeed> RedisCalendarFeedStore::Revoke(const StoredCalendarFeed& stored,
                                                                absl::string_view replay_key,
                                                                int replay_ttl_s) {
  RedisFunctionCall call("cal_revoke");
  call.Key("base", base_)
      .Key("id", absl::StrCat(base_, "id:", stored.feed.id()))
      .Key("org", absl::StrCat(base_, "org:", stored.holder))
      .Replay(replay_key, replay_ttl_s)
      .Arg("id", stored.feed.id());
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  v1::CalendarFeed revoked;
  if (!revoked.ParseFromString(reply->str)) return Corrupt();
  return revoked;
}

}  // namespace infrashare::scheduler
