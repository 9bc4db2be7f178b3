// Rotation pools, partners' requests for their units, and draft plans: who may do what, what is
// valid, and turning stored pools, requests and bookings into planner input and back.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/catalog.h"
#include "services/scheduler/rotation_planner.h"
#include "services/scheduler/rotation_store.h"

namespace infrashare::scheduler {

class Rotations {
 public:
  using Clock = std::function<EpochMs()>;
  Rotations(RotationStore* store, BookingStore* bookings, Catalog* catalog, SchedulerConfig config,
            Clock clock);

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

  RotationStore* store_;
  BookingStore* bookings_;
  Catalog* catalog_;
  SchedulerConfig config_;
  Clock clock_;
};

}  // namespace infrashare::scheduler
