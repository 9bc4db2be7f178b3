// What the desk asks the scheduler for: free slots of resources a caller may book, as
// SchedulerService.FindSlots finds them, and who made a booking. Declared here so that the desk
// needs no scheduler code; implemented, read-only, by the scheduler library
// (services/scheduler/slot_search.h).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/auth.h"

namespace infrashare {

class SlotFinder {
 public:
  virtual ~SlotFinder() = default;
  virtual absl::StatusOr<scheduler::v1::FindSlotsResponse> FindSlots(
      const Caller& caller, const scheduler::v1::FindSlotsRequest& request) = 0;
  // The organisation a booking was made for; nullopt when there is no such booking.
  virtual absl::StatusOr<std::optional<std::string>> BookerOf(const std::string& booking_id) = 0;
};

}  // namespace infrashare
