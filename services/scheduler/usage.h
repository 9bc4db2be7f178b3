// How much a set of resources was used in a period: open hours, booked unit-hours, utilisation,
// tariff revenue and in-kind hours, hours by kind of booker. The scheduler's UsageReport and the
// impact report both measure with it, over the booking calendar (the read half of the store).
#pragma once

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/catalog.h"

namespace infrashare::scheduler {

struct UsageWindow {
  EpochMs from = 0;
  EpochMs to = 0;
};

// Called for each counted booking with its hours clipped to the window.
using CountedBooking =
    std::function<void(const BookedSpan&, const BookableResource&, double hours)>;

// Counts confirmed, checked-in and completed bookings of `scope`, clipped to the window;
// an organisation's bookings of its own resources earn nothing.
absl::StatusOr<v1::UsageReportResponse> MeasureUsage(BookingCalendar& calendar,
                                                     const Catalog& catalog,
                                                     const std::vector<BookableResource>& scope,
                                                     const UsageWindow& window,
                                                     const CountedBooking& counted = nullptr);

}  // namespace infrashare::scheduler
