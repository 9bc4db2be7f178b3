// Where calendar feeds live: the CalendarFeedStore interface, and RedisCalendarFeedStore, which
// keeps them in Redis under the hash tag {cal} (calendar_feed.lua). A feed is found by the hash of
// its secret, never by the secret itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/redis.h"

namespace infrashare::scheduler {

// A feed as stored: the record (no secret, no address) and the organisation that holds it (the
// organisation of an organisation's feed; the resource's owner, when it was made, of a resource's).
struct StoredCalendarFeed {
  v1::CalendarFeed feed;
  std::string holder;
};

class CalendarFeedStore {
 public:
  virtual ~CalendarFeedStore() = default;
  // Stores a new feed under the hash of its secret, answered with `response`; a retry with the
  // same `replay_key` (empty = none) stores nothing and returns the first call's response.
  // FAILED_PRECONDITION TOO_MANY_FEEDS when the holder has `max_per_holder` feeds already.
  virtual absl::StatusOr<v1::CalendarFeed> Insert(const StoredCalendarFeed& feed,
                                                  absl::string_view secret_hash,
                                                  const v1::CalendarFeed& response,
                                                  absl::string_view replay_key, int replay_ttl_s,
                                                  int max_per_holder) = 0;
  // The feed whose secret hashes to `secret_hash`; nullopt when unknown or revoked.
  virtual absl::StatusOr<std::optional<StoredCalendarFeed>> ByHash(
      absl::string_view secret_hash) = 0;
  virtual absl::StatusOr<std::optional<StoredCalendarFeed>> ById(absl::string_view id) = 0;
  // The holder's feeds, oldest first.
  virtual absl::StatusOr<std::vector<v1::CalendarFeed>> HeldBy(
      absl::string_view organization_id) = 0;
  // Deletes the feed (NOT_FOUND when there is none); returns its record. A retry with the same
  // `replay_key` returns the same record.
  virtual absl::StatusOr<v1::CalendarFeed> Revoke(const StoredCalendarFeed& feed,
                                                  absl::string_view replay_key,
                                                  int replay_ttl_s) = 0;
  // Where a call's response is kept for its retries: (caller organisation, idempotency key).
  virtual std::string ReplayKey(absl::string_view organization_id,
                                absl::string_view idempotency_key) const = 0;
};

class RedisCalendarFeedStore final : public CalendarFeedStore {
 public:
  explicit RedisCalendarFeedStore(RedisPool* redis);

  absl::StatusOr<v1::CalendarFeed> Insert(const StoredCalendarFeed& feed,
                                          absl::string_view secret_hash,
                                          const v1::CalendarFeed& response,
                                          absl::string_view replay_key, int replay_ttl_s,
                                          int max_per_holder) override;
  absl::StatusOr<std::optional<StoredCalendarFeed>> ByHash(absl::string_view secret_hash) override;
  absl::StatusOr<std::optional<StoredCalendarFeed>> ById(absl::string_view id) override;
  absl::StatusOr<std::vector<v1::CalendarFeed>> HeldBy(absl::string_view organization_id) override;
  absl::StatusOr<v1::CalendarFeed> Revoke(const StoredCalendarFeed& feed,
                                          absl::string_view replay_key, int replay_ttl_s) override;
  std::string ReplayKey(absl::string_view organization_id,
                        absl::string_view idempotency_key) const override;

 private:
  RedisPool* redis_;
  std::string base_;  // "<prefix>{cal}:"
};

}  // namespace infrashare::scheduler
