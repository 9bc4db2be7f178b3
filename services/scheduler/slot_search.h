// Free slots: matching resources from the registry read model, what already blocks them from the
// booking calendar, and the booking rules in between. Read-only: it holds no way to book. The
// scheduler answers FindSlots with it; a desk without a scheduler in its process gets one of its
// own from the server.
#pragma once

#include <functional>

#include "services/common/config.h"
#include "services/common/slot_finder.h"
#include "services/scheduler/booking_policy.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/catalog.h"

namespace infrashare::scheduler {

class SlotSearch final : public SlotFinder {
 public:
  using Clock = std::function<EpochMs()>;
  SlotSearch(BookingCalendar* calendar, const Catalog* catalog, SchedulerConfig config, Clock clock)
      : calendar_(calendar), catalog_(catalog), config_(config), clock_(std::move(clock)) {}

  absl::StatusOr<v1::FindSlotsResponse> FindSlots(const Caller& caller,
                                                  const v1::FindSlotsRequest& request) override;
  absl::StatusOr<std::optional<v1::Booking>> GetBooking(const std::string& booking_id) override {
    return calendar_->Get(booking_id);
  }

 private:
  BookingCalendar* calendar_;
  const Catalog* catalog_;
  SchedulerConfig config_;
  Clock clock_;
};

}  // namespace infrashare::scheduler
