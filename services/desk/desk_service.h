// infrashare.desk.v1.DeskService: the gRPC shell around Desk, and the module that wires the desk's
// store and dispatcher into the server, over the process's registry read model.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "infrashare/desk/v1/desk.grpc.pb.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/common/stream_follower.h"
#include "services/desk/desk.h"
#include "services/desk/dispatcher.h"

namespace infrashare::desk {

class DeskServiceImpl final : public v1::DeskService::CallbackService {
 public:
  DeskServiceImpl(Desk* desk, DeskStore* store, RpcGate* gate, StreamFollower* streams)
      : desk_(desk), store_(store), gate_(gate), streams_(streams) {}

#define INFRASHARE_UNARY(Method, Request, Response)                      \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request, v1::Response* response) override;
  INFRASHARE_UNARY(CreateResponder, CreateResponderRequest, Responder)
  INFRASHARE_UNARY(GetResponder, GetResponderRequest, Responder)
  INFRASHARE_UNARY(UpdateResponder, UpdateResponderRequest, Responder)
  INFRASHARE_UNARY(SetResponderOnline, SetResponderOnlineRequest, Responder)
  INFRASHARE_UNARY(DeleteResponder, DeleteResponderRequest, DeleteResponderResponse)
  INFRASHARE_UNARY(ListResponders, ListRespondersRequest, ListRespondersResponse)
  INFRASHARE_UNARY(SubmitInquiry, SubmitInquiryRequest, Inquiry)
  INFRASHARE_UNARY(GetInquiry, GetInquiryRequest, Inquiry)
  INFRASHARE_UNARY(ListInquiries, ListInquiriesRequest, ListInquiriesResponse)
  INFRASHARE_UNARY(ListAssignments, ListAssignmentsRequest, ListAssignmentsResponse)
  INFRASHARE_UNARY(AcceptInquiry, AcceptInquiryRequest, Inquiry)
  INFRASHARE_UNARY(DeclineInquiry, DeclineInquiryRequest, Inquiry)
  INFRASHARE_UNARY(ReferInquiry, ReferInquiryRequest, Inquiry)
  INFRASHARE_UNARY(ResolveInquiry, ResolveInquiryRequest, Inquiry)
  INFRASHARE_UNARY(RecordFeedback, RecordFeedbackRequest, Inquiry)
  INFRASHARE_UNARY(EraseAsker, EraseAskerRequest, Inquiry)
  INFRASHARE_UNARY(RecordConsent, RecordConsentRequest, Inquiry)
  INFRASHARE_UNARY(RecordFollowUp, RecordFollowUpRequest, Inquiry)
  INFRASHARE_UNARY(GetDeskReport, DeskReportRequest, DeskReport)
#undef INFRASHARE_UNARY

  grpc::ServerWriteReactor<v1::InquiryEvent>* StreamAssignments(
      grpc::CallbackServerContext* context, const v1::StreamAssignmentsRequest* request) override;
  grpc::ServerWriteReactor<v1::InquiryEvent>* WatchInquiry(
      grpc::CallbackServerContext* context, const v1::WatchInquiryRequest* request) override;

 private:
  // Follows the desk's event stream from `cursor`, writing the events that `open` (once the caller
  // may watch at all) says are wanted, with the inquiry as the caller may see it. With
  // `ends_when_hidden`, the stream ends (PERMISSION_DENIED) at the first wanted event of an
  // inquiry the caller may no longer see; else such an event comes without the inquiry.
  using Wanted = std::function<bool(const InquiryEventRecord&)>;
  grpc::ServerWriteReactor<v1::InquiryEvent>* Watch(
      grpc::CallbackServerContext* context, std::string method,
      const google::protobuf::Message& request, std::string cursor,
      std::function<absl::StatusOr<Wanted>(const Caller&)> open, bool ends_when_hidden);
  Desk* desk_;
  DeskStore* store_;
  RpcGate* gate_;
  StreamFollower* streams_;
};

class DeskModule final : public ServiceModule {
 public:
  // `directory` is the process's registry read model (the server builds it and runs its
  // follower); `slots` finds free slots for suggestions (the scheduler's, or a read-only one);
  // `drop_feedback_request` drops an erased asker's waiting feedback request.
  DeskModule(RedisPool* redis, RpcGate* gate, const Config& config, Directory* directory,
             SlotFinder* slots, StreamFollower* streams, TokenStore* tokens,
             Desk::FeedbackRequestDropper drop_feedback_request);
  ~DeskModule() override;
  std::string name() const override { return "infrashare.desk.v1.DeskService"; }
  grpc::Service* service() override { return &service_; }
  void Start() override;
  void Stop() override;
  // Dispatch and deadlines run too: a restarted replica is not SERVING before overdue offers
  // are taken back and waiting work can be read.
  bool ready() const override { return directory_->ready() && dispatcher_.ready(); }
  // Inquiries queued for a responder's capacity.
  std::vector<BusinessGauge> business_gauges() override;

 private:
  const Directory* directory_;
  RedisDeskStore store_;
  RedisDispatchQueue queue_;
  Desk desk_;
  DeskServiceImpl service_;
  Dispatcher dispatcher_;
};

}  // namespace infrashare::desk
