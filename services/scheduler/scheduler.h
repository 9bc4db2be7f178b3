// The scheduler's service logic: who may book, approve, cancel and see what, and what each call
// asks of the booking store. No gRPC in here; scheduler_service.cc is a thin shell around it.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/calendar.h"
#include "services/scheduler/catalog.h"
#include "services/scheduler/slot_search.h"

namespace infrashare::scheduler {

// How a booking another component makes for its own record behaves (a programme event's): it is
// never released as a no-show, and only that component cancels it.
struct HeldFor {
  std::string record;  // the record's id
};

class Scheduler {
 public:
  using Clock = std::function<EpochMs()>;
  // `site` says where the public site is, for the links in calendars (none when unset).
  Scheduler(BookingStore* store, Catalog* catalog, SchedulerConfig config, Clock clock,
            SiteLocator site = nullptr);

  absl::StatusOr<v1::Booking> CreateBooking(const Caller& caller,
                                            const v1::CreateBookingRequest& request);
  absl::StatusOr<v1::Booking> CreateBooking(const Caller& caller,
                                            const v1::CreateBookingRequest& request,
                                            const HeldFor& held_for);
  // The same; `done` runs once with the result, on another thread when the store is reached.
  void CreateBookingAsync(const Caller& caller, const v1::CreateBookingRequest& request,
                          std::function<void(absl::StatusOr<v1::Booking>)> done);
  absl::StatusOr<v1::CreateRecurringBookingResponse> CreateRecurringBooking(
      const Caller& caller, const v1::CreateRecurringBookingRequest& request);
  absl::StatusOr<v1::Booking> GetBooking(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::Booking> Transition(const Caller& caller, const TransitionCommand& command);
  absl::StatusOr<v1::ListBookingsResponse> ListBookings(const Caller& caller,
                                                        const v1::ListBookingsRequest& request);
  absl::StatusOr<v1::RecordTrainingResponse> RecordTraining(
      const Caller& caller, const v1::RecordTrainingRequest& request);
  absl::StatusOr<v1::WaitlistEntry> JoinWaitlist(const Caller& caller,
                                                 const v1::JoinWaitlistRequest& request);
  absl::StatusOr<v1::WaitlistEntry> LeaveWaitlist(const Caller& caller,
                                                  const v1::LeaveWaitlistRequest& request);
  absl::StatusOr<v1::ListWaitlistResponse> ListWaitlist(const Caller& caller,
                                                        const v1::ListWaitlistRequest& request);
  absl::StatusOr<v1::FindSlotsResponse> FindSlots(const Caller& caller,
                                                  const v1::FindSlotsRequest& request);
  absl::StatusOr<v1::UsageReportResponse> UsageReport(const Caller& caller,
                                                      const v1::UsageReportRequest& request);
  absl::StatusOr<v1::ExportCalendarResponse> ExportCalendar(
      const Caller& caller, const v1::ExportCalendarRequest& request);
  // The same for a calendar feed (a subscription): keeps the earliest bookings when there are more
  // than a calendar holds, where ExportCalendar refuses, so a subscriber's calendar never stops.
  absl::StatusOr<v1::ExportCalendarResponse> FeedCalendar(const Caller& caller,
                                                          const v1::ExportCalendarRequest& request);
  absl::StatusOr<v1::CheckAvailabilityResponse> CheckAvailability(
      const Caller& caller, const v1::CheckAvailabilityRequest& request);

  // Who booked, and why, is for the booker, the resource's owner and platform admins; everyone
  // else sees that the slot is busy (RedactBookingFor below).
  void RedactFor(const Caller& caller, v1::Booking* booking) const;
  void RedactFor(const Caller& caller, v1::WaitlistEntry* entry) const;
  // Free slots as this scheduler finds them (read-only), for the desk's suggestions.
  SlotFinder* slot_finder() { return &slots_; }
  // OK when `resource_id` names a resource in the registry; else the error a booking call gives.
  absl::Status KnownResource(const std::string& resource_id, absl::string_view field) {
    return Bookable(resource_id, field).status();
  }

 private:
  absl::StatusOr<BookableResource> Bookable(const std::string& resource_id,
                                            absl::string_view field);
  // Everything a single booking needs decided before the store: the command, or why not. When
  // the checks fail for a retry whose first call was answered (its start has passed since), that
  // answer is `earlier`.
  struct PreparedBooking {
    BookCommand command;
    std::optional<absl::StatusOr<v1::Booking>> earlier;
  };
  absl::StatusOr<PreparedBooking> PrepareBooking(const Caller& caller,
                                                 const v1::CreateBookingRequest& request);
  BookCommand Command(const v1::CreateBookingRequest& request, const std::string& organization,
                      const BookableResource& bookable) const;
  // ExportCalendar and FeedCalendar: more than kMaxCalendarEvents bookings are refused, or the
  // earliest kept when `truncate`.
  absl::StatusOr<v1::ExportCalendarResponse> Calendar(const Caller& caller,
                                                      const v1::ExportCalendarRequest& request,
                                                      bool truncate);

  // Before a hold is submitted: whether the resource still takes it (Transition).
  absl::Status StillTakes(const BookableResource& bookable, const std::string& booking_id,
                          TransitionCommand* command);

  BookingStore* store_;
  Catalog* catalog_;
  SchedulerConfig config_;
  Clock clock_;
  SiteLocator site_;
  SlotSearch slots_;
};

// The booking as `caller` may see it, by the rule of Scheduler::RedactFor, with `catalog`'s
// knowledge of the resource's owner: what WatchBookings and webhook deliveries send.
void RedactBookingFor(const Caller& caller, const Catalog& catalog, v1::Booking* booking);

}  // namespace infrashare::scheduler
