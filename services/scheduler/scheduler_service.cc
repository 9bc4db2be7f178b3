#include "services/scheduler/scheduler_service.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/stream_ids.h"
#include "services/common/watch_reactor.h"

namespace infrashare::scheduler {
namespace {

// A WatchBookings cursor: the position in every shard's event stream.
constexpr absl::string_view kCursorPrefix = "bk1:";

std::string EncodeCursor(const std::vector<std::string>& ids) {
  return absl::StrCat(kCursorPrefix, absl::StrJoin(ids, ","));
}

std::optional<std::vector<std::string>> DecodeCursor(absl::string_view cursor, int shards) {
  if (!absl::ConsumePrefix(&cursor, kCursorPrefix)) return std::nullopt;
  std::vector<std::string> ids = absl::StrSplit(cursor, ',');
  if (static_cast<int>(ids.size()) != shards) return std::nullopt;
  for (const auto& id : ids)
    if (!IsValidStreamId(id)) return std::nullopt;
  return ids;
}

}  // namespace

SchedulerServiceImpl::SchedulerServiceImpl(Scheduler* scheduler, Rotations* rotations,
                                           RotationStore* rotation_store, BookingStore* store,
                                           RpcGate* gate, const std::atomic<bool>* stopping)
    : scheduler_(scheduler),
      rotations_(rotations),
      rotation_store_(rotation_store),
      store_(store),
      gate_(gate),
      stopping_(stopping) {}

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
  return gate_->UnaryAsync(context, "scheduler.CreateBooking", *request,
                           [this, request, response](const Caller& caller, RpcGate::Done done) {
                             scheduler_->CreateBookingAsync(
                                 caller, *request,
                                 [response, done = std::move(done)](auto booking) {
                                   done(Respond(std::move(booking), response));
                                 });
                           });
}

grpc::ServerWriteReactor<v1::BookingEvent>* SchedulerServiceImpl::WatchBookings(
    grpc::CallbackServerContext* context, const v1::WatchBookingsRequest* request) {
  return WatchReactor<v1::BookingEvent>::Start(
      gate_, context, "scheduler.WatchBookings", *request, stopping_,
      [this, request = *request](const Caller& caller,
                                 const WatchReactor<v1::BookingEvent>::Write& write,
                                 const std::function<bool()>& stopped) {
        return FollowBookings(caller, request, write, stopped);
      });
}

absl::Status SchedulerServiceImpl::FollowBookings(
    const Caller& caller, const v1::WatchBookingsRequest& request,
    const std::function<bool(const v1::BookingEvent&)>& write,
    const std::function<bool()>& stopped) {
  std::vector<std::string> ids;
  if (request.cursor().empty()) {
    auto latest = store_->LatestEventIds();
    if (!latest.ok()) return latest.status();
    ids = std::move(*latest);
  } else {
    auto decoded = DecodeCursor(request.cursor(), store_->shards());
    if (!decoded) return InvalidField("cursor", "is not a cursor this server issued");
    auto trimmed = store_->EventsTrimmedAfter(*decoded);
    if (!trimmed.ok()) return trimmed.status();
    if (*trimmed)
      return PreconditionError(
          "CURSOR_EXPIRED", "events after this cursor were trimmed; list bookings and watch anew");
    ids = std::move(*decoded);
  }
  while (!stopped()) {
    auto events = store_->ReadEvents(ids, 200);
    if (!events.ok()) return events.status();
    if (events->empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    // Across shards, in the order Redis stamped them.
    std::stable_sort(events->begin(), events->end(), [](const auto& a, const auto& b) {
      return CompareStreamIds(a.stream_id, b.stream_id) < 0;
    });
    for (auto& event : *events) {
      ids[event.shard] = event.stream_id;
      if (!request.resource_id().empty() && event.booking.resource_id() != request.resource_id())
        continue;
      v1::BookingEvent out;
      out.set_cursor(EncodeCursor(ids));
      out.set_type(event.type);
      scheduler_->RedactFor(caller, &event.booking);
      *out.mutable_booking() = std::move(event.booking);
      if (!write(out)) return absl::CancelledError("the watcher went away");
    }
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<v1::RotationEvent>* SchedulerServiceImpl::WatchRotationEvents(
    grpc::CallbackServerContext* context, const v1::WatchRotationEventsRequest* request) {
  return WatchReactor<v1::RotationEvent>::Start(
      gate_, context, "scheduler.WatchRotationEvents", *request, stopping_,
      [this, cursor = request->cursor()](const Caller& caller,
                                         const WatchReactor<v1::RotationEvent>::Write& write,
                                         const std::function<bool()>& stopped) {
        return FollowRotationEvents(caller, cursor, write, stopped);
      });
}

absl::Status SchedulerServiceImpl::FollowRotationEvents(
    const Caller& caller, const std::string& cursor,
    const std::function<bool(const v1::RotationEvent&)>& write,
    const std::function<bool()>& stopped) {
  constexpr absl::string_view kPrefix = "rot1:";
  std::string after;
  if (cursor.empty()) {
    auto latest = rotation_store_->LatestEventId();
    if (!latest.ok()) return latest.status();
    after = *latest;
  } else {
    absl::string_view id = cursor;
    if (!absl::ConsumePrefix(&id, kPrefix) || !IsValidStreamId(id))
      return InvalidField("cursor", "is not a cursor this server issued");
    auto trimmed = rotation_store_->EventsTrimmedAfter(id);
    if (!trimmed.ok()) return trimmed.status();
    if (*trimmed)
      return PreconditionError("CURSOR_EXPIRED",
                               "events after this cursor were trimmed; list and watch anew");
    after = std::string(id);
  }
  while (!stopped()) {
    auto events = rotation_store_->ReadEvents(after, 200);
    if (!events.ok()) return events.status();
    if (events->empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    for (const auto& event : *events) {
      after = event.stream_id;
      auto handover = rotations_->VisibleHandover(caller, event.handover_id);
      if (!handover.ok()) return handover.status();
      if (!handover->has_value()) continue;
      v1::RotationEvent out;
      out.set_cursor(absl::StrCat(kPrefix, event.stream_id));
      v1::RotationEventType type = v1::ROTATION_EVENT_TYPE_UNSPECIFIED;
      v1::RotationEventType_Parse("ROTATION_EVENT_TYPE_" + event.type, &type);
      out.set_type(type);
      *out.mutable_handover() = std::move(**handover);
      if (!write(out)) return absl::CancelledError("the watcher went away");
    }
  }
  return absl::OkStatus();
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
                                 Catalog* catalog)
    : catalog_(catalog),
      store_(redis, config.scheduler),
      scheduler_(&store_, catalog, config.scheduler, NowMs),
      rotation_store_(redis, config.scheduler.request_id_ttl_s,
                      config.scheduler.rotation_draft_ttl_s),
      rotations_(&rotation_store_, &store_, catalog, config.scheduler, NowMs, gate->metrics()),
      service_(&scheduler_, &rotations_, &rotation_store_, &store_, gate, &stopping_),
      sweeper_(&store_, &rotation_store_, config.scheduler.sweep_interval_ms) {}

SchedulerModule::~SchedulerModule() { Stop(); }

void SchedulerModule::Start() { sweeper_.Start(); }

void SchedulerModule::Stop() {
  stopping_ = true;
  sweeper_.Stop();
}

}  // namespace infrashare::scheduler
