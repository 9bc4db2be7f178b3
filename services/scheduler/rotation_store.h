// Where rotation pools, requests and plans live: the RotationStore interface, and
// RedisRotationStore, which keeps them in Redis.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/redis.h"
#include "services/common/stream_ids.h"

namespace infrashare::scheduler {

// What rotations read and write. Rotations, the scheduler service and the sweeper hold this
// interface; RedisRotationStore keeps it in Redis (below).
class RotationStore {
 public:
  // An entry of the events stream: HANDOVER_OVERDUE (a RotationEventType), or HANDOVER_PLANNED,
  // HANDOVER_CONFIRMED, HANDOVER_DROPPED (for timed webhooks only).
  struct Event {
    std::string type;
    std::string handover_id;
    std::string from_organization_id, to_organization_id;
    int64_t time_ms = 0;  // the hand-over's time
  };

  virtual ~RotationStore() = default;

  // `etag` empty = create. Returns the record with its new etag.
  virtual absl::StatusOr<v1::RotationPool> PutPool(v1::RotationPool pool, absl::string_view etag,
                                                   absl::string_view replay_key) = 0;
  virtual absl::StatusOr<std::optional<v1::RotationPool>> GetPool(absl::string_view id) = 0;
  virtual absl::StatusOr<std::vector<v1::RotationPool>> PoolsOf(
      absl::string_view organization_id) = 0;
  virtual absl::StatusOr<v1::RotationRequest> PutRequest(v1::RotationRequest request,
                                                         absl::string_view etag,
                                                         absl::string_view replay_key) = 0;
  virtual absl::StatusOr<std::optional<v1::RotationRequest>> GetRequest(absl::string_view id) = 0;
  virtual absl::StatusOr<std::vector<v1::RotationRequest>> RequestsOf(
      absl::string_view pool_id) = 0;
  // Drafts expire; committed and superseded plans are kept (their bookings name them as their
  // series).
  virtual absl::Status SavePlan(const v1::RotationPlan& plan) = 0;
  // The id of the pool's committed plan, "" = none yet.
  virtual absl::StatusOr<std::string> Committed(absl::string_view pool_id) = 0;
  virtual absl::StatusOr<std::optional<v1::RotationPlan>> GetPlan(absl::string_view id) = 0;
  // One atomic step: the pool's committed plan becomes `plan` (ABORTED unless it still is
  // `replaced`, or none when that is null), `replaced` is stored as it is now (superseded), the
  // hand-overs `kept` move from it to `plan`, `dropped` are deleted, `created` are added.
  virtual absl::Status Commit(const v1::RotationPlan& plan, const v1::RotationPlan* replaced,
                              const std::vector<std::string>& kept,
                              const std::vector<std::string>& dropped,
                              const std::vector<v1::Handover>& created) = 0;
  virtual absl::StatusOr<std::vector<v1::Handover>> Handovers(absl::string_view plan_id) = 0;
  virtual absl::StatusOr<std::optional<v1::Handover>> GetHandover(absl::string_view id) = 0;
  // Records the organisation's confirmation; CONFIRMED once both sides have.
  virtual absl::StatusOr<v1::Handover> ConfirmHandover(absl::string_view id,
                                                       absl::string_view organization_id,
                                                       absl::string_view notes) = 0;
  // Marks hand-overs past their deadline OVERDUE and raises an event each; returns how many it saw.
  virtual absl::StatusOr<int> SweepHandovers(int limit) = 0;
  // The stream of hand-over events (followed by WatchRotationEvents), and one of its entries.
  virtual std::string EventsKey() const = 0;
  static Event EventOf(const StreamEntry& entry);
  virtual std::string ReplayKey(absl::string_view organization_id,
                                absl::string_view request_id) const = 0;
};

// Under the hash tag {rot}, records as protobuf bytes written with a version check
// (rotation.lua); drafts expire.
class RedisRotationStore final : public RotationStore {
 public:
  RedisRotationStore(RedisPool* redis, int request_id_ttl_s, int draft_ttl_s);

  absl::StatusOr<v1::RotationPool> PutPool(v1::RotationPool pool, absl::string_view etag,
                                           absl::string_view replay_key) override;
  absl::StatusOr<std::optional<v1::RotationPool>> GetPool(absl::string_view id) override;
  absl::StatusOr<std::vector<v1::RotationPool>> PoolsOf(absl::string_view organization_id) override;
  absl::StatusOr<v1::RotationRequest> PutRequest(v1::RotationRequest request,
                                                 absl::string_view etag,
                                                 absl::string_view replay_key) override;
  absl::StatusOr<std::optional<v1::RotationRequest>> GetRequest(absl::string_view id) override;
  absl::StatusOr<std::vector<v1::RotationRequest>> RequestsOf(absl::string_view pool_id) override;
  absl::Status SavePlan(const v1::RotationPlan& plan) override;
  absl::StatusOr<std::string> Committed(absl::string_view pool_id) override;
  absl::StatusOr<std::optional<v1::RotationPlan>> GetPlan(absl::string_view id) override;
  absl::Status Commit(const v1::RotationPlan& plan, const v1::RotationPlan* replaced,
                      const std::vector<std::string>& kept, const std::vector<std::string>& dropped,
                      const std::vector<v1::Handover>& created) override;
  absl::StatusOr<std::vector<v1::Handover>> Handovers(absl::string_view plan_id) override;
  absl::StatusOr<std::optional<v1::Handover>> GetHandover(absl::string_view id) override;
  absl::StatusOr<v1::Handover> ConfirmHandover(absl::string_view id,
                                               absl::string_view organization_id,
                                               absl::string_view notes) override;
  absl::StatusOr<int> SweepHandovers(int limit) override;
  std::string EventsKey() const override { return base_ + "events"; }
  std::string ReplayKey(absl::string_view organization_id,
                        absl::string_view request_id) const override;

 private:
  template <typename Message>
  absl::StatusOr<std::vector<Message>> Many(const std::string& index, const char* kind);
  template <typename Message>
  absl::StatusOr<std::optional<Message>> One(const char* kind, absl::string_view id);
  template <typename Message>
  absl::StatusOr<std::string> Put(const char* kind, const Message& record, absl::string_view etag,
                                  const std::string& index, absl::string_view replay_key,
                                  const char* name);

  RedisPool* redis_;
  int request_id_ttl_s_;
  int draft_ttl_s_;
  std::string base_;
};

}  // namespace infrashare::scheduler
