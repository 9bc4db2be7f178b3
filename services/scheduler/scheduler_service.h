// infrashare.scheduler.v1.SchedulerService: the gRPC shell around Scheduler and the sweeper that
// applies expiries, no-shows and completions when they fall due, wired together as one service
// module over the process's registry read model.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/common/stream_follower.h"
#include "services/scheduler/calendar_feeds.h"
#include "services/scheduler/rotation_store.h"
#include "services/scheduler/rotations.h"
#include "services/scheduler/scheduler.h"

namespace infrashare::scheduler {

class SchedulerServiceImpl final : public v1::SchedulerService::CallbackService {
 public:
  SchedulerServiceImpl(Scheduler* scheduler, Rotations* rotations, RotationStore* rotation_store,
                       BookingStore* store, CalendarFeeds* calendar_feeds, RpcGate* gate,
                       StreamFollower* streams);

#define INFRASHARE_UNARY(Method, Request, Response)                      \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request, v1::Response* response) override;
  INFRASHARE_UNARY(CreateBooking, CreateBookingRequest, Booking)
  INFRASHARE_UNARY(CreateRecurringBooking, CreateRecurringBookingRequest,
                   CreateRecurringBookingResponse)
  INFRASHARE_UNARY(GetBooking, GetBookingRequest, Booking)
  INFRASHARE_UNARY(SubmitBooking, SubmitBookingRequest, Booking)
  INFRASHARE_UNARY(ApproveBooking, ApproveBookingRequest, Booking)
  INFRASHARE_UNARY(RejectBooking, RejectBookingRequest, Booking)
  INFRASHARE_UNARY(CancelBooking, CancelBookingRequest, Booking)
  INFRASHARE_UNARY(CheckInBooking, CheckInBookingRequest, Booking)
  INFRASHARE_UNARY(ListBookings, ListBookingsRequest, ListBookingsResponse)
  INFRASHARE_UNARY(RecordTraining, RecordTrainingRequest, RecordTrainingResponse)
  INFRASHARE_UNARY(JoinWaitlist, JoinWaitlistRequest, WaitlistEntry)
  INFRASHARE_UNARY(LeaveWaitlist, LeaveWaitlistRequest, WaitlistEntry)
  INFRASHARE_UNARY(ListWaitlist, ListWaitlistRequest, ListWaitlistResponse)
  INFRASHARE_UNARY(CheckAvailability, CheckAvailabilityRequest, CheckAvailabilityResponse)
  INFRASHARE_UNARY(ExportCalendar, ExportCalendarRequest, ExportCalendarResponse)
  INFRASHARE_UNARY(CreateCalendarFeed, CreateCalendarFeedRequest, CalendarFeed)
  INFRASHARE_UNARY(ListCalendarFeeds, ListCalendarFeedsRequest, ListCalendarFeedsResponse)
  INFRASHARE_UNARY(RevokeCalendarFeed, RevokeCalendarFeedRequest, CalendarFeed)
  INFRASHARE_UNARY(FindSlots, FindSlotsRequest, FindSlotsResponse)
  INFRASHARE_UNARY(UsageReport, UsageReportRequest, UsageReportResponse)
  INFRASHARE_UNARY(CreateRotationPool, CreateRotationPoolRequest, RotationPool)
  INFRASHARE_UNARY(GetRotationPool, GetRotationPoolRequest, RotationPool)
  INFRASHARE_UNARY(ListRotationPools, ListRotationPoolsRequest, ListRotationPoolsResponse)
  INFRASHARE_UNARY(CreateRotationRequest, CreateRotationRequestRequest, RotationRequest)
  INFRASHARE_UNARY(GetRotationRequest, GetRotationRequestRequest, RotationRequest)
  INFRASHARE_UNARY(UpdateRotationRequest, UpdateRotationRequestRequest, RotationRequest)
  INFRASHARE_UNARY(WithdrawRotationRequest, WithdrawRotationRequestRequest, RotationRequest)
  INFRASHARE_UNARY(ListRotationRequests, ListRotationRequestsRequest, ListRotationRequestsResponse)
  INFRASHARE_UNARY(PlanRotation, PlanRotationRequest, RotationPlan)
  INFRASHARE_UNARY(GetRotationPlan, GetRotationPlanRequest, RotationPlan)
  INFRASHARE_UNARY(PreviewRotationPlan, PreviewRotationPlanRequest, RotationPlanDiff)
  INFRASHARE_UNARY(CommitRotationPlan, CommitRotationPlanRequest, RotationPlan)
  INFRASHARE_UNARY(ListHandovers, ListHandoversRequest, ListHandoversResponse)
  INFRASHARE_UNARY(ConfirmHandover, ConfirmHandoverRequest, Handover)
  INFRASHARE_UNARY(ExportRotationPlan, ExportRotationPlanRequest, ExportRotationPlanResponse)
#undef INFRASHARE_UNARY

  grpc::ServerWriteReactor<v1::BookingEvent>* WatchBookings(
      grpc::CallbackServerContext* context, const v1::WatchBookingsRequest* request) override;
  grpc::ServerWriteReactor<v1::RotationEvent>* WatchRotationEvents(
      grpc::CallbackServerContext* context, const v1::WatchRotationEventsRequest* request) override;

 private:
  Scheduler* scheduler_;
  Rotations* rotations_;
  RotationStore* rotation_store_;
  BookingStore* store_;
  CalendarFeeds* calendar_feeds_;
  RpcGate* gate_;
  StreamFollower* streams_;
};

// Applies due time-based transitions (lapsed holds, unapproved requests at their start, no-shows,
// completions) on every shard, and marks hand-overs not confirmed by their deadline overdue. Every
// replica runs one; the Redis function makes that safe.
class Sweeper {
 public:
  Sweeper(BookingStore* store, RotationStore* rotations, int interval_ms)
      : store_(store), rotations_(rotations), interval_ms_(interval_ms) {}
  ~Sweeper() { Stop(); }
  void Start();
  void Stop();

 private:
  void Run();
  BookingStore* store_;
  RotationStore* rotations_;
  int interval_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

class SchedulerModule final : public ServiceModule {
 public:
  // `catalog` is the process's registry read model (the server builds it and runs its follower);
  // `site` says where the public site is, for the addresses of calendar feeds and links in
  // calendars.
  SchedulerModule(RedisPool* redis, RpcGate* gate, const Config& config, Catalog* catalog,
                  StreamFollower* streams, SiteLocator site);
  ~SchedulerModule() override;
  std::string name() const override { return "infrashare.scheduler.v1.SchedulerService"; }
  grpc::Service* service() override { return &service_; }
  void Start() override;
  void Stop() override;
  bool ready() const override { return catalog_->ready(); }
  // Bookings waiting for approval, and holds about to lapse.
  std::vector<BusinessGauge> business_gauges() override;
  // The scheduler's free-slot search, for a desk in the same process.
  SlotFinder* slot_finder() { return scheduler_.slot_finder(); }
  // What the HTTP listener serves at a calendar feed's address.
  CalendarFeeds* calendar_feeds() { return &calendar_feeds_; }

 private:
  const Catalog* catalog_;
  int holds_lapsing_within_s_;
  RedisBookingStore store_;
  Scheduler scheduler_;
  RedisRotationStore rotation_store_;
  Rotations rotations_;
  RedisCalendarFeedStore calendar_feed_store_;
  CalendarFeeds calendar_feeds_;
  SchedulerServiceImpl service_;
  Sweeper sweeper_;
};

}  // namespace infrashare::scheduler
