// Rotation pools, partners' requests for their units, and draft plans: who may do what, what is
// valid, and turning stored pools, requests and bookings into planner input and back.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/common/metrics.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/catalog.h"
#include "services/scheduler/rotation_planner.h"
#include "services/scheduler/rotation_store.h"

namespace infrashare::scheduler {

// The type URL of the v1::RotationCommitUndoReport a failed commit's error carries when it could
// not undo everything it had booked.
inline constexpr char kUndoReportUrl[] =
    "type.googleapis.com/infrashare.scheduler.v1.RotationCommitUndoReport";

class Rotations {
 public:
  using Clock = std::function<EpochMs()>;
  // `metrics` (optional) gets the counter infrashare_rotation_undo_failures_total.
  Rotations(RotationStore* store, BookingStore* bookings, Catalog* catalog, SchedulerConfig config,
            Clock clock, Metrics* metrics = nullptr);

  absl::StatusOr<v1::RotationPool> CreatePool(const Caller& caller,
                                              const v1::CreateRotationPoolRequest& request);
  absl::StatusOr<v1::RotationPool> GetPool(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::ListRotationPoolsResponse> ListPools(
      const Caller& caller, const v1::ListRotationPoolsRequest& request);
  absl::StatusOr<v1::RotationRequest> CreateRequest(
      const Caller& caller, const v1::CreateRotationRequestRequest& request);
  absl::StatusOr<v1::RotationRequest> GetRequest(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::RotationRequest> UpdateRequest(
      const Caller& caller, const v1::UpdateRotationRequestRequest& request);
  absl::StatusOr<v1::RotationRequest> WithdrawRequest(
      const Caller& caller, const v1::WithdrawRotationRequestRequest& request);
  absl::StatusOr<v1::ListRotationRequestsResponse> ListRequests(
      const Caller& caller, const v1::ListRotationRequestsRequest& request);
  absl::StatusOr<v1::RotationPlan> Plan(const Caller& caller,
                                        const v1::PlanRotationRequest& request);
  absl::StatusOr<v1::RotationPlan> GetPlan(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::RotationPlanDiff> PreviewPlan(const Caller& caller, const std::string& id);
  // Books the draft's legs and records it as the pool's committed plan; all or nothing. When a
  // failed commit could not undo what it had booked, its error carries a
  // v1::RotationCommitUndoReport (kUndoReportUrl), and each failure is logged and counted.
  absl::StatusOr<v1::RotationPlan> CommitPlan(const Caller& caller,
                                              const v1::CommitRotationPlanRequest& request);
  absl::StatusOr<v1::ListHandoversResponse> ListHandovers(const Caller& caller,
                                                          const v1::ListHandoversRequest& request);
  // The hand-over as the caller may see it (the pool's owner, either side), nullopt otherwise.
  absl::StatusOr<std::optional<v1::Handover>> VisibleHandover(const Caller& caller,
                                                              const std::string& id);
  absl::StatusOr<v1::Handover> ConfirmHandover(const Caller& caller,
                                               const v1::ConfirmHandoverRequest& request);
  absl::StatusOr<v1::ExportRotationPlanResponse> ExportPlan(
      const Caller& caller, const v1::ExportRotationPlanRequest& request);

  // Checks a rotation request's fields against its pool (no store involved: the fuzz target
  // tests/fuzz/booking_validation_fuzzer.cc calls it directly).
  static absl::Status CheckRequest(const v1::RotationRequest& r, const v1::RotationPool& pool,
                                   bool owner);

 private:
  absl::StatusOr<v1::RotationPool> Pool(const std::string& id, const char* field);
  absl::Status MayAskFor(const v1::RotationRequest& r, const v1::RotationPool& pool) const;
  // The committed plan `draft` replaces (nullopt: none); STALE_PLAN when that is no longer the
  // pool's committed plan.
  absl::StatusOr<std::optional<v1::RotationPlan>> ReplacedBy(const v1::RotationPlan& draft);
  // `error` with `report` attached, each failure logged and counted; `error` when none failed.
  absl::Status WithUndoReport(absl::Status error, const v1::RotationCommitUndoReport& report);

  RotationStore* store_;
  BookingStore* bookings_;
  Catalog* catalog_;
  SchedulerConfig config_;
  Clock clock_;
  std::shared_ptr<std::atomic<int64_t>> undo_failures_;  // shared with the metric's reader
};

// A hand-over as `caller` may see it (the pool's owner, either side, platform admins), nullopt
// otherwise: what WatchRotationEvents and webhook deliveries send.
absl::StatusOr<std::optional<v1::Handover>> HandoverVisibleTo(RotationStore* store,
                                                              const Caller& caller,
                                                              const std::string& id);

}  // namespace infrashare::scheduler
