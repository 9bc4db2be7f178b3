// Where rotation pools, requests and draft plans live: Redis, under the hash tag {rot}, records as
// protobuf bytes written with a version check (rotation.lua); drafts expire.
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

class RotationStore {
 public:
  RotationStore(RedisPool* redis, int request_id_ttl_s, int draft_ttl_s);

  // `etag` empty = create. Returns the record with its new etag.
  absl::StatusOr<v1::RotationPool> PutPool(v1::RotationPool pool, absl::string_view etag,
                                           absl::string_view replay_key);
  absl::StatusOr<std::optional<v1::RotationPool>> GetPool(absl::string_view id);
  absl::StatusOr<std::vector<v1::RotationPool>> PoolsOf(absl::string_view organization_id);
  absl::StatusOr<v1::RotationRequest> PutRequest(v1::RotationRequest request,
                                                 absl::string_view etag,
                                                 absl::string_view replay_key);
  absl::StatusOr<std::optional<v1::RotationRequest>> GetRequest(absl::string_view id);
  absl::StatusOr<std::vector<v1::RotationRequest>> RequestsOf(absl::string_view pool_id);
  // Drafts expire; committed and superseded plans are kept (their bookings name them as their
  // series).
  absl::Status SavePlan(const v1::RotationPlan& plan);
  absl::StatusOr<std::string> Committed(absl::string_view pool_id);  // "" = none yet
  absl::StatusOr<std::optional<v1::RotationPlan>> GetPlan(absl::string_view id);
  // One atomic step: the pool's committed plan becomes `plan` (ABORTED unless it still is
  // `replaced`, or none when that is null), `replaced` is stored as it is now (superseded), the
  // hand-overs `kept` move from it to `plan`, `dropped` are deleted, `created` are added.
  absl::Status Commit(const v1::RotationPlan& plan, const v1::RotationPlan* replaced,
                      const std::vector<std::string>& kept, const std::vector<std::string>& dropped,
                      const std::vector<v1::Handover>& created);
  absl::StatusOr<std::vector<v1::Handover>> Handovers(absl::string_view plan_id);
  absl::StatusOr<std::optional<v1::Handover>> GetHandover(absl::string_view id);
  // Records the organisation's confirmation; CONFIRMED once both sides have.
  absl::StatusOr<v1::Handover> ConfirmHandover(absl::string_view id,
                                               absl::string_view organization_id,
                                               absl::string_view notes);
  // Marks hand-overs past their deadline OVERDUE and raises an event each; returns how many it saw.
  absl::StatusOr<int> SweepHandovers(int limit);
  struct Event {
    std::string type;
    std::string handover_id;
  };
  // The rotation event stream, and one of its entries.
  std::string EventsKey() const { return base_ + "events"; }
  static Event EventOf(const StreamEntry& entry);
  std::string ReplayKey(absl::string_view organization_id, absl::string_view request_id) const;

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
