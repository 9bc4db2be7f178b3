// What the desk asks the scheduler for: free slots of resources a caller may book, as
// SchedulerService.FindSlots finds them, and a booking as it stands. Declared here so that the desk
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
  // A booking as the scheduler holds it (its organisation and state); nullopt when there is no
  // such booking.
  virtual absl::StatusOr<std::optional<scheduler::v1::Booking>> GetBooking(
      const std::string& booking_id) = 0;
};

}  // namespace infrashare
