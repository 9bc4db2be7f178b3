// The desk's logic: who may do what with responders and inquiries, what is valid, and what each
// caller may see. Plain C++ over DeskStore and the registry facts; the gRPC shell is desk_service.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/desk/v1/desk.pb.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/common/slot_finder.h"
#include "services/desk/desk_store.h"
#include "services/desk/validation.h"
#include "services/registry/read_model.h"

namespace infrashare::desk {

// The registry facts the desk needs (organisations, network members) are the process's registry
// read model, read through to the registry on a miss, so a network created a moment ago on another
// replica is already known.
using Directory = registry::RegistryReadModel;

class Desk {
 public:
  // Drops the feedback request (inquiry.feedback) still waiting for an inquiry's asker.
  using FeedbackRequestDropper =
      std::function<absl::Status(const std::string& address, const std::string& inquiry_id)>;
  // `slots` finds resources with their earliest free slot for a facility-access inquiry (the
  // scheduler's; nullptr: no suggestions); `tokens` checks the token a responder acts with
  // (nullptr: not checked); `drop_feedback_request` drops an erased asker's waiting feedback
  // request (it waits a day; empty: not dropped).
  Desk(DeskStore* store, Directory* directory, DeskConfig config, SlotFinder* slots = nullptr,
       TokenStore* tokens = nullptr, FeedbackRequestDropper drop_feedback_request = {});

  absl::StatusOr<v1::Responder> CreateResponder(const Caller& caller,
                                                const v1::CreateResponderRequest& request);
  absl::StatusOr<v1::Responder> GetResponder(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::Responder> UpdateResponder(const Caller& caller,
                                                const v1::UpdateResponderRequest& request);
  absl::StatusOr<v1::Responder> SetResponderOnline(const Caller& caller,
                                                   const v1::SetResponderOnlineRequest& request);
  absl::StatusOr<v1::DeleteResponderResponse> DeleteResponder(
      const Caller& caller, const v1::DeleteResponderRequest& request);
  absl::StatusOr<v1::ListRespondersResponse> ListResponders(
      const Caller& caller, const v1::ListRespondersRequest& request);

  absl::StatusOr<v1::Inquiry> SubmitInquiry(const Caller& caller,
                                            const v1::SubmitInquiryRequest& request);
  absl::StatusOr<v1::Inquiry> GetInquiry(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::ListInquiriesResponse> ListInquiries(const Caller& caller,
                                                          const v1::ListInquiriesRequest& request);
  absl::StatusOr<v1::ListAssignmentsResponse> ListAssignments(
      const Caller& caller, const v1::ListAssignmentsRequest& request);
  absl::StatusOr<v1::Inquiry> Accept(const Caller& caller, const v1::AcceptInquiryRequest& request);
  absl::StatusOr<v1::Inquiry> Decline(const Caller& caller,
                                      const v1::DeclineInquiryRequest& request);
  absl::StatusOr<v1::Inquiry> Refer(const Caller& caller, const v1::ReferInquiryRequest& request);
  absl::StatusOr<v1::Inquiry> Resolve(const Caller& caller,
                                      const v1::ResolveInquiryRequest& request);
  absl::StatusOr<v1::Inquiry> RecordFeedback(const Caller& caller,
                                             const v1::RecordFeedbackRequest& request);
  absl::StatusOr<v1::Inquiry> EraseAsker(const Caller& caller,
                                         const v1::EraseAskerRequest& request);
  absl::StatusOr<v1::Inquiry> RecordConsent(const Caller& caller,
                                            const v1::RecordConsentRequest& request);
  absl::StatusOr<v1::Inquiry> RecordFollowUp(const Caller& caller,
                                             const v1::RecordFollowUpRequest& request);
  absl::StatusOr<v1::DeskReport> Report(const Caller& caller, const v1::DeskReportRequest& request);

  // For the watch streams: the responder the caller acts as (PERMISSION_DENIED otherwise), and
  // the inquiry as the caller may see it (nullopt when it may not).
  absl::Status CheckActsAs(const Caller& caller, const std::string& responder_id);
  absl::StatusOr<std::optional<v1::Inquiry>> Visible(const Caller& caller, const std::string& id);
  // For a webhook of an offer that ended (declined, timed out) or was read after it ended: the
  // question as it was offered to `responder_id`, for a reader of that responder's organisation
  // (which may no longer see the inquiry itself); nullopt for anyone else.
  absl::StatusOr<std::optional<v1::Inquiry>> OfferedTo(const Caller& reader,
                                                       const std::string& inquiry_id,
                                                       const std::string& responder_id);

 private:
  absl::Status CheckToken(const v1::Responder& responder);
  absl::Status CheckTargetFits(const v1::Inquiry& inquiry, const v1::ReferInquiryRequest& request,
                               const std::string& target_org, const char* target_field);
  enum class View { kNone, kOffer, kFull };
  // How much of `inquiry` the caller may see: everything (platform admin, the network's
  // coordinators, the entry partner's admins and members, the assignee), the question without the
  // asker's contact (a responder it is offered to, the entry partner's other tokens), or nothing.
  absl::StatusOr<View> ViewOf(const Caller& caller, const v1::Inquiry& inquiry);
  // The inquiry as the caller may see it and how much that is; nullopt when it does not exist or
  // the caller may not see it at all.
  struct Seen {
    v1::Inquiry inquiry;
    View view;
  };
  absl::StatusOr<std::optional<Seen>> Fetch(const Caller& caller, const std::string& id,
                                            bool with_history);
  absl::StatusOr<v1::Responder> ActingResponder(const Caller& caller,
                                                const std::string& responder_id);
  absl::StatusOr<v1::Inquiry> Load(const Caller& caller, const std::string& id, View needed);
  static bool ActsAs(const Caller& caller, const v1::Responder& responder);
  std::string Replay(const Caller& caller, const std::string& request_id) const;
  // Matching resources, each with its earliest free slot, that the entry partner may book.
  absl::StatusOr<std::vector<v1::Suggestion>> Suggestions(const v1::Inquiry& inquiry);
  absl::Status CheckFacilityBooked(const v1::Inquiry& inquiry, const std::string& booking_id) const;

  DeskStore* store_;
  Directory* directory_;
  DeskConfig config_;
  SlotFinder* slots_;
  TokenStore* tokens_;
  FeedbackRequestDropper drop_feedback_request_;
};

}  // namespace infrashare::desk
