#include "services/desk/desk_service.h"

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/stream_follower.h"

namespace infrashare::desk {
namespace {

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
INFRASHARE_HANDLER(RecordConsent, RecordConsentRequest, Inquiry,
                   desk_->RecordConsent(caller, *request))
INFRASHARE_HANDLER(RecordFollowUp, RecordFollowUpRequest, Inquiry,
                   desk_->RecordFollowUp(caller, *request))
INFRASHARE_HANDLER(GetDeskReport, DeskReportRequest, DeskReport, desk_->Report(caller, *request))
#undef INFRASHARE_HANDLER

grpc::ServerWriteReactor<v1::InquiryEvent>* DeskServiceImpl::StreamAssignments(
    grpc::CallbackServerContext* context, const v1::StreamAssignmentsRequest* request) {
  return Watch(
      context, "desk.StreamAssignments", *request, request->cursor(),
      [this,
       responder_id = request->responder_id()](const Caller& caller) -> absl::StatusOr<Wanted> {
        if (auto status = desk_->CheckActsAs(caller, responder_id); !status.ok()) return status;
        return [responder_id](const InquiryEventRecord& e) {
          return ConcernsResponder(e, responder_id);
        };
      },
      false);
}

grpc::ServerWriteReactor<v1::InquiryEvent>* DeskServiceImpl::WatchInquiry(
    grpc::CallbackServerContext* context, const v1::WatchInquiryRequest* request) {
  return Watch(
      context, "desk.WatchInquiry", *request, request->cursor(),
      [this, id = request->id()](const Caller& caller) -> absl::StatusOr<Wanted> {
        if (id.empty()) return InvalidField("id", "is required");
        auto visible = desk_->Visible(caller, id);
        if (!visible.ok()) return visible.status();
        if (!visible->has_value()) return NotFoundError("inquiry", id);
        return [id](const InquiryEventRecord& e) { return e.inquiry_id == id; };
      },
      true);
}

grpc::ServerWriteReactor<v1::InquiryEvent>* DeskServiceImpl::Watch(
    grpc::CallbackServerContext* context, std::string method,
    const google::protobuf::Message& request, std::string cursor,
    std::function<absl::StatusOr<Wanted>(const Caller&)> open, bool ends_when_hidden) {
  using Call = WatchCall<v1::InquiryEvent>;
  return Call::Start(streams_, context, std::move(method), request, std::move(cursor),
                     [this, open = std::move(open),
                      ends_when_hidden](const Caller& caller) -> absl::StatusOr<Call::Opened> {
                       auto wanted = open(caller);
                       if (!wanted.ok()) return wanted.status();
                       Call::Opened opened;
                       opened.plan = {"dk1", {store_->EventsKey()}};
                       opened.convert = [this, caller, wanted = std::move(*wanted),
                                         ends_when_hidden](size_t, const StreamEntry& entry)
                           -> absl::StatusOr<std::optional<v1::InquiryEvent>> {
                         const InquiryEventRecord event = DeskStore::EventOf(entry);
                         if (!wanted(event)) return std::nullopt;
                         auto inquiry = desk_->Visible(caller, event.inquiry_id);
                         if (!inquiry.ok()) return inquiry.status();
                         // Whoever watches one inquiry sees what happens to it only while it may
                         // see it (a responder that declined it, a partner it was referred away
                         // from): before, the stream went on naming who was offered it next and how
                         // it ended.
                         if (ends_when_hidden && !inquiry->has_value())
                           return Forbidden("you may no longer see this inquiry; the stream ends");
                         v1::InquiryEvent out;
                         out.set_type(event.type);
                         out.set_inquiry_id(event.inquiry_id);
                         out.set_responder_id(event.responder_id);
                         // An offer taken back (declined, timed out, withdrawn) is no longer the
                         // responder's to see.
                         if (inquiry->has_value()) *out.mutable_inquiry() = std::move(**inquiry);
                         return out;
                       };
                       return opened;
                     });
}

DeskModule::DeskModule(RedisPool* redis, RpcGate* gate, const Config& config, Directory* directory,
                       SlotFinder* slots, StreamFollower* streams, TokenStore* tokens,
                       Desk::FeedbackRequestDropper drop_feedback_request)
    : directory_(directory),
      store_(redis, config.desk),
      queue_(redis),
      desk_(&store_, directory, config.desk, slots, tokens, std::move(drop_feedback_request)),
      service_(&desk_, &store_, gate, streams),
      dispatcher_(&queue_, &store_, directory, config.desk) {}

DeskModule::~DeskModule() { Stop(); }

void DeskModule::Start() { dispatcher_.Start(); }

void DeskModule::Stop() { dispatcher_.Stop(); }

std::vector<BusinessGauge> DeskModule::business_gauges() {
  return {{"infrashare_desk_inquiries_queued",
           "Inquiries in the desk's queue (state QUEUED): responders fit but none has spare "
           "capacity; each is offered when capacity frees, or escalates after desk.queue_wait_s. "
           "Inquiries being routed, offered or escalated are not counted.",
           [this] { return store_.QueuedCount(); }}};
}

}  // namespace infrashare::desk
