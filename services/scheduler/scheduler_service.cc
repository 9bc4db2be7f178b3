#include "services/scheduler/scheduler_service.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/logging.h"
#include "services/common/stream_follower.h"
#include "services/common/stream_ids.h"

namespace infrashare::scheduler {
SchedulerServiceImpl::SchedulerServiceImpl(Scheduler* scheduler, Rotations* rotations,
                                           RotationStore* rotation_store, BookingStore* store,
                                           CalendarFeeds* calendar_feeds, RpcGate* gate,
                                           StreamFollower* streams)
    : scheduler_(scheduler),
      rotations_(rotations),
      rotation_store_(rotation_store),
      store_(store),
      calendar_feeds_(calendar_feeds),
      gate_(gate),
      streams_(streams) {}

#define INFRASHARE_HANDLER(Method, Request, Response, Call)                                       \
  grpc::ServerUnaryReactor* SchedulerServiceImpl::Method(                                         \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) { \
    return gate_->UnaryOnWorker(                                                                  \
        context, "scheduler." #Method, *request,                                                  \
        [this, request, response](const Caller& caller) { return Respond(Call, response); },      \
        response);                                                                                \
  }

INFRASHARE_HANDLER(CreateRecurringBooking, CreateRecurringBookingRequest,
                   CreateRecurringBookingResponse,
                   scheduler_->CreateRecurringBooking(caller, *request))
INFRASHARE_HANDLER(GetBooking, GetBookingRequest, Booking,
                   scheduler_->GetBooking(caller, request->id()))
INFRASHARE_HANDLER(SubmitBooking, SubmitBookingRequest, Booking,
                   scheduler_->Transition(caller, {request->id(), Transition::kSubmit, "", false,
                                                   false, "", IdempotencyKey(*request)}))
INFRASHARE_HANDLER(ApproveBooking, ApproveBookingRequest, Booking,
                   scheduler_->Transition(caller, {request->id(), Transition::kApprove, "", false,
                                                   false, "", IdempotencyKey(*request)}))
INFRASHARE_HANDLER(RejectBooking, RejectBookingRequest, Booking,
                   scheduler_->Transition(caller,
                                          {request->id(), Transition::kReject, "", false, false,
                                           request->reason(), IdempotencyKey(*request)}))
INFRASHARE_HANDLER(CancelBooking, CancelBookingRequest, Booking,
                   scheduler_->Transition(caller,
                                          {request->id(), Transition::kCancel, "", false, false,
                                           request->reason(), IdempotencyKey(*request)}))
INFRASHARE_HANDLER(CheckInBooking, CheckInBookingRequest, Booking,
                   scheduler_->Transition(caller, {request->id(), Transition::kCheckIn, "", false,
                                                   false, "", IdempotencyKey(*request)}))
INFRASHARE_HANDLER(ListBookings, ListBookingsRequest, ListBookingsResponse,
                   scheduler_->ListBookings(caller, *request))
INFRASHARE_HANDLER(RecordTraining, RecordTrainingRequest, RecordTrainingResponse,
                   scheduler_->RecordTraining(caller, *request))
INFRASHARE_HANDLER(JoinWaitlist, JoinWaitlistRequest, WaitlistEntry,
                   scheduler_->JoinWaitlist(caller, *request))
INFRASHARE_HANDLER(LeaveWaitlist, LeaveWaitlistRequest, WaitlistEntry,
                   scheduler_->LeaveWaitlist(caller, *request))
INFRASHARE_HANDLER(ListWaitlist, ListWaitlistRequest, ListWaitlistResponse,
                   scheduler_->ListWaitlist(caller, *request))
INFRASHARE_HANDLER(CheckAvailability, CheckAvailabilityRequest, CheckAvailabilityResponse,
                   scheduler_->CheckAvailability(caller, *request))
INFRASHARE_HANDLER(UsageReport, UsageReportRequest, UsageReportResponse,
                   scheduler_->UsageReport(caller, *request))
INFRASHARE_HANDLER(FindSlots, FindSlotsRequest, FindSlotsResponse,
                   scheduler_->FindSlots(caller, *request))
INFRASHARE_HANDLER(ExportCalendar, ExportCalendarRequest, ExportCalendarResponse,
                   scheduler_->ExportCalendar(caller, *request))
INFRASHARE_HANDLER(CreateCalendarFeed, CreateCalendarFeedRequest, CalendarFeed,
                   calendar_feeds_->Create(caller, *request))
INFRASHARE_HANDLER(ListCalendarFeeds, ListCalendarFeedsRequest, ListCalendarFeedsResponse,
                   calendar_feeds_->List(caller, *request))
INFRASHARE_HANDLER(RevokeCalendarFeed, RevokeCalendarFeedRequest, CalendarFeed,
                   calendar_feeds_->Revoke(caller, *request))
INFRASHARE_HANDLER(CreateRotationPool, CreateRotationPoolRequest, RotationPool,
                   rotations_->CreatePool(caller, *request))
INFRASHARE_HANDLER(GetRotationPool, GetRotationPoolRequest, RotationPool,
                   rotations_->GetPool(caller, request->id()))
INFRASHARE_HANDLER(ListRotationPools, ListRotationPoolsRequest, ListRotationPoolsResponse,
                   rotations_->ListPools(caller, *request))
INFRASHARE_HANDLER(CreateRotationRequest, CreateRotationRequestRequest, RotationRequest,
                   rotations_->CreateRequest(caller, *request))
INFRASHARE_HANDLER(GetRotationRequest, GetRotationRequestRequest, RotationRequest,
                   rotations_->GetRequest(caller, request->id()))
INFRASHARE_HANDLER(UpdateRotationRequest, UpdateRotationRequestRequest, RotationRequest,
                   rotations_->UpdateRequest(caller, *request))
INFRASHARE_HANDLER(WithdrawRotationRequest, WithdrawRotationRequestRequest, RotationRequest,
                   rotations_->WithdrawRequest(caller, *request))
INFRASHARE_HANDLER(ListRotationRequests, ListRotationRequestsRequest, ListRotationRequestsResponse,
                   rotations_->ListRequests(caller, *request))
INFRASHARE_HANDLER(PlanRotation, PlanRotationRequest, RotationPlan,
                   rotations_->Plan(caller, *request))
INFRASHARE_HANDLER(GetRotationPlan, GetRotationPlanRequest, RotationPlan,
                   rotations_->GetPlan(caller, request->id()))
INFRASHARE_HANDLER(PreviewRotationPlan, PreviewRotationPlanRequest, RotationPlanDiff,
                   rotations_->PreviewPlan(caller, request->id()))
INFRASHARE_HANDLER(CommitRotationPlan, CommitRotationPlanRequest, RotationPlan,
                   rotations_->CommitPlan(caller, *request))
INFRASHARE_HANDLER(ListHandovers, ListHandoversRequest, ListHandoversResponse,
                   rotations_->ListHandovers(caller, *request))
INFRASHARE_HANDLER(ConfirmHandover, ConfirmHandoverRequest, Handover,
                   rotations_->ConfirmHandover(caller, *request))
INFRASHARE_HANDLER(ExportRotationPlan, ExportRotationPlanRequest, ExportRotationPlanResponse,
                   rotations_->ExportPlan(caller, *request))
#undef INFRASHARE_HANDLER

// The hot path: no thread waits for Redis; the batcher's thread finishes the call.
grpc::ServerUnaryReactor* SchedulerServiceImpl::CreateBooking(
    grpc::CallbackServerContext* context, const v1::CreateBookingRequest* request,
    v1::Booking* response) {
  return gate_->UnaryAsync(
      context, "scheduler.CreateBooking", *request,
      [this, request, response](const Caller& caller, RpcGate::Done done) {
        scheduler_->CreateBookingAsync(caller, *request,
                                       [response, done = std::move(done)](auto booking) {
                                         done(Respond(std::move(booking), response));
                                       });
      },
      response);  // the audit trail names the booking it created
}

grpc::ServerWriteReactor<v1::BookingEvent>* SchedulerServiceImpl::WatchBookings(
    grpc::CallbackServerContext* context, const v1::WatchBookingsRequest* request) {
  using Call = WatchCall<v1::BookingEvent>;
  return Call::Start(
      streams_, context, "scheduler.WatchBookings", *request, request->cursor(),
      [this,
       resource_id = request->resource_id()](const Caller& caller) -> absl::StatusOr<Call::Opened> {
        // A filter naming no resource would wait silently forever (a typo, a deleted id).
        if (!resource_id.empty())
          if (auto known = scheduler_->KnownResource(resource_id, "resource_id"); !known.ok())
            return known;
        Call::Opened opened;
        opened.plan = {"bk1", store_->EventKeys()};
        opened.convert = [this, caller, resource_id](size_t, const StreamEntry& entry)
            -> absl::StatusOr<std::optional<v1::BookingEvent>> {
          auto event = BookingEventOf(entry);
          if (!event.ok()) return event.status();
          if (!resource_id.empty() && event->booking.resource_id() != resource_id)
            return std::nullopt;
          v1::BookingEvent out;
          out.set_type(event->type);
          scheduler_->RedactFor(caller, &event->booking);
          *out.mutable_booking() = std::move(event->booking);
          return out;
        };
        return opened;
      });
}

grpc::ServerWriteReactor<v1::RotationEvent>* SchedulerServiceImpl::WatchRotationEvents(
    grpc::CallbackServerContext* context, const v1::WatchRotationEventsRequest* request) {
  using Call = WatchCall<v1::RotationEvent>;
  return Call::Start(
      streams_, context, "scheduler.WatchRotationEvents", *request, request->cursor(),
      [this](const Caller& caller) -> absl::StatusOr<Call::Opened> {
        Call::Opened opened;
        opened.plan = {"rot1", {rotation_store_->EventsKey()}};
        opened.convert = [this, caller](size_t, const StreamEntry& entry)
            -> absl::StatusOr<std::optional<v1::RotationEvent>> {
          const RotationStore::Event event = RotationStore::EventOf(entry);
          v1::RotationEventType type = v1::ROTATION_EVENT_TYPE_UNSPECIFIED;
          // The stream also holds entries for timed webhooks (a hand-over planned,
          // confirmed, dropped) that are no RotationEventType.
          if (!v1::RotationEventType_Parse("ROTATION_EVENT_TYPE_" + event.type, &type))
            return std::nullopt;
          auto handover = rotations_->VisibleHandover(caller, event.handover_id);
          if (!handover.ok()) return handover.status();
          if (!handover->has_value()) return std::nullopt;
          v1::RotationEvent out;
          out.set_type(type);
          *out.mutable_handover() = std::move(**handover);
          return out;
        };
        return opened;
      });
}

void Sweeper::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Sweeper::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sweeper::Run() {
  constexpr int kBatch = 500;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    for (int shard = 0; shard < store_->shards(); ++shard) {
      // A full batch means more may be due: keep going on this shard.
      for (int round = 0; round < 20; ++round) {
        auto swept = store_->Sweep(shard, kBatch);
        if (!swept.ok() || *swept < kBatch) break;
      }
    }
    for (int round = 0; round < 20; ++round) {
      auto swept = rotations_->SweepHandovers(kBatch);
      if (!swept.ok() || *swept < kBatch) break;
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stop_; });
  }
}

SchedulerModule::SchedulerModule(RedisPool* redis, RpcGate* gate, const Config& config,
                                 Catalog* catalog, StreamFollower* streams, SiteLocator site)
    : catalog_(catalog),
      holds_lapsing_within_s_(config.metrics.holds_lapsing_within_s),
      store_(redis, config.scheduler),
      scheduler_(&store_, catalog, config.scheduler, NowMs, site),
      rotation_store_(redis, config.scheduler.request_id_ttl_s,
                      config.scheduler.rotation_draft_ttl_s),
      rotations_(&rotation_store_, &store_, catalog, config.scheduler, NowMs, gate->metrics()),
      calendar_feed_store_(redis),
      calendar_feeds_(&calendar_feed_store_, &scheduler_, catalog,
                      {.secret_replay_ttl_s = config.auth.create_replay_ttl_s,
                       .request_id_ttl_s = config.scheduler.request_id_ttl_s,
                       .past_days = 30,
                       .window_days = config.scheduler.max_query_range_days},
                      std::move(site), NowMs),
      service_(&scheduler_, &rotations_, &rotation_store_, &store_, &calendar_feeds_, gate,
               streams),
      sweeper_(&store_, &rotation_store_, config.scheduler.sweep_interval_ms) {}

SchedulerModule::~SchedulerModule() { Stop(); }

void SchedulerModule::Start() { sweeper_.Start(); }

void SchedulerModule::Stop() { sweeper_.Stop(); }

std::vector<BusinessGauge> SchedulerModule::business_gauges() {
  const int64_t lapsing_within_ms = int64_t{holds_lapsing_within_s_} * 1000;
  return {
      {"infrashare_bookings_pending_approval",
       "Bookings waiting for the resource owner's approval (state PENDING_APPROVAL), all "
       "resources.",
       [this] { return store_.CountInState(v1::BOOKING_STATE_PENDING_APPROVAL, std::nullopt); }},
      {"infrashare_booking_holds_lapsing",
       absl::StrCat("Holds (state HELD) that lapse within metrics.holds_lapsing_within_s (",
                    holds_lapsing_within_s_,
                    " s) unless submitted, lapsed ones not yet swept too."),
       [this, lapsing_within_ms] {
         return store_.CountInState(v1::BOOKING_STATE_HELD, lapsing_within_ms);
       }}};
}

}  // namespace infrashare::scheduler
