#include "services/desk/desk_service.h"

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/stream_ids.h"
#include "services/common/watch_reactor.h"

namespace infrashare::desk {
namespace {

constexpr absl::string_view kCursorPrefix = "dk1:";

bool ConcernsResponder(const InquiryEventRecord& event, const std::string& responder_id) {
  if (event.responder_id != responder_id) return false;
  switch (event.type) {
    case v1::INQUIRY_EVENT_TYPE_OFFERED:
    case v1::INQUIRY_EVENT_TYPE_WITHDRAWN:
    case v1::INQUIRY_EVENT_TYPE_ACCEPTED:
    case v1::INQUIRY_EVENT_TYPE_DECLINED:
    case v1::INQUIRY_EVENT_TYPE_TIMED_OUT:
    case v1::INQUIRY_EVENT_TYPE_REFERRED:
    case v1::INQUIRY_EVENT_TYPE_RESOLVED:
      return true;
    default:
      return false;
  }
}

}  // namespace

#define INFRASHARE_HANDLER(Method, Request, Response, Call)                                       \
  grpc::ServerUnaryReactor* DeskServiceImpl::Method(                                              \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) { \
    return gate_->UnaryOnWorker(                                                                  \
        context, "desk." #Method, *request,                                                       \
        [this, request, response](const Caller& caller) { return Respond(Call, response); },      \
        response);                                                                                \
  }

INFRASHARE_HANDLER(CreateResponder, CreateResponderRequest, Responder,
                   desk_->CreateResponder(caller, *request))
INFRASHARE_HANDLER(GetResponder, GetResponderRequest, Responder,
                   desk_->GetResponder(caller, request->id()))
INFRASHARE_HANDLER(UpdateResponder, UpdateResponderRequest, Responder,
                   desk_->UpdateResponder(caller, *request))
INFRASHARE_HANDLER(SetResponderOnline, SetResponderOnlineRequest, Responder,
                   desk_->SetResponderOnline(caller, *request))
INFRASHARE_HANDLER(DeleteResponder, DeleteResponderRequest, DeleteResponderResponse,
                   desk_->DeleteResponder(caller, *request))
INFRASHARE_HANDLER(ListResponders, ListRespondersRequest, ListRespondersResponse,
                   desk_->ListResponders(caller, *request))
INFRASHARE_HANDLER(SubmitInquiry, SubmitInquiryRequest, Inquiry,
                   desk_->SubmitInquiry(caller, *request))
INFRASHARE_HANDLER(GetInquiry, GetInquiryRequest, Inquiry, desk_->GetInquiry(caller, request->id()))
INFRASHARE_HANDLER(ListInquiries, ListInquiriesRequest, ListInquiriesResponse,
                   desk_->ListInquiries(caller, *request))
INFRASHARE_HANDLER(ListAssignments, ListAssignmentsRequest, ListAssignmentsResponse,
                   desk_->ListAssignments(caller, *request))
INFRASHARE_HANDLER(AcceptInquiry, AcceptInquiryRequest, Inquiry, desk_->Accept(caller, *request))
INFRASHARE_HANDLER(DeclineInquiry, DeclineInquiryRequest, Inquiry, desk_->Decline(caller, *request))
INFRASHARE_HANDLER(ReferInquiry, ReferInquiryRequest, Inquiry, desk_->Refer(caller, *request))
INFRASHARE_HANDLER(ResolveInquiry, ResolveInquiryRequest, Inquiry, desk_->Resolve(caller, *request))
INFRASHARE_HANDLER(RecordFeedback, RecordFeedbackRequest, Inquiry,
                   desk_->RecordFeedback(caller, *request))
INFRASHARE_HANDLER(EraseAsker, EraseAskerRequest, Inquiry, desk_->EraseAsker(caller, *request))
INFRASHARE_HANDLER(GetDeskReport, DeskReportRequest, DeskReport, desk_->Report(caller, *request))
#undef INFRASHARE_HANDLER

grpc::ServerWriteReactor<v1::InquiryEvent>* DeskServiceImpl::StreamAssignments(
    grpc::CallbackServerContext* context, const v1::StreamAssignmentsRequest* request) {
  return WatchReactor<v1::InquiryEvent>::Start(
      gate_, context, "desk.StreamAssignments", *request, stopping_,
      [this, request = *request](const Caller& caller,
                                 const WatchReactor<v1::InquiryEvent>::Write& write,
                                 const std::function<bool()>& stopped) {
        if (auto status = desk_->CheckActsAs(caller, request.responder_id()); !status.ok())
          return status;
        return Follow(
            caller, request.cursor(),
            [&](const InquiryEventRecord& e) {
              return ConcernsResponder(e, request.responder_id());
            },
            write, stopped);
      });
}

grpc::ServerWriteReactor<v1::InquiryEvent>* DeskServiceImpl::WatchInquiry(
    grpc::CallbackServerContext* context, const v1::WatchInquiryRequest* request) {
  return WatchReactor<v1::InquiryEvent>::Start(
      gate_, context, "desk.WatchInquiry", *request, stopping_,
      [this, request = *request](const Caller& caller,
                                 const WatchReactor<v1::InquiryEvent>::Write& write,
                                 const std::function<bool()>& stopped) {
        if (request.id().empty()) return InvalidField("id", "is required");
        auto visible = desk_->Visible(caller, request.id());
        if (!visible.ok()) return visible.status();
        if (!visible->has_value()) return NotFoundError("inquiry", request.id());
        return Follow(
            caller, request.cursor(),
            [&](const InquiryEventRecord& e) { return e.inquiry_id == request.id(); }, write,
            stopped);
      });
}

absl::Status DeskServiceImpl::Follow(const Caller& caller, const std::string& cursor,
                                     const std::function<bool(const InquiryEventRecord&)>& wanted,
                                     const std::function<bool(const v1::InquiryEvent&)>& write,
                                     const std::function<bool()>& stopped) {
  std::string after;
  if (cursor.empty()) {
    auto latest = store_->LatestEventId();
    if (!latest.ok()) return latest.status();
    after = *latest;
  } else {
    absl::string_view id = cursor;
    if (!absl::ConsumePrefix(&id, kCursorPrefix) || !IsValidStreamId(id))
      return InvalidField("cursor", "is not a cursor this server issued");
    auto trimmed = store_->EventsTrimmedAfter(id);
    if (!trimmed.ok()) return trimmed.status();
    if (*trimmed)
      return PreconditionError("CURSOR_EXPIRED",
                               "events after this cursor were trimmed; list and watch anew");
    after = std::string(id);
  }
  while (!stopped()) {
    auto events = store_->ReadEvents(after, 200);
    if (!events.ok()) return events.status();
    if (events->empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    for (const auto& event : *events) {
      after = event.stream_id;
      if (!wanted(event)) continue;
      auto inquiry = desk_->Visible(caller, event.inquiry_id);
      if (!inquiry.ok()) return inquiry.status();
      v1::InquiryEvent out;
      out.set_cursor(absl::StrCat(kCursorPrefix, event.stream_id));
      out.set_type(event.type);
      out.set_inquiry_id(event.inquiry_id);
      out.set_responder_id(event.responder_id);
      // An offer taken back (declined, timed out, withdrawn) is no longer the responder's to see.
      if (inquiry->has_value()) *out.mutable_inquiry() = std::move(**inquiry);
      if (!write(out)) return absl::CancelledError("the watcher went away");
    }
  }
  return absl::OkStatus();
}

DeskModule::DeskModule(RedisPool* redis, RpcGate* gate, const Config& config, Directory* directory,
                       SlotFinder* slots)
    : directory_(directory),
      store_(redis, config.desk),
      queue_(redis),
      desk_(&store_, directory, config.desk, slots),
      service_(&desk_, &store_, gate, &stopping_),
      dispatcher_(&queue_, &store_, directory, config.desk) {}

DeskModule::~DeskModule() { Stop(); }

void DeskModule::Start() { dispatcher_.Start(); }

void DeskModule::Stop() {
  stopping_ = true;
  dispatcher_.Stop();
}

}  // namespace infrashare::desk
