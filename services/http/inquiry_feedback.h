// The asker's feedback form behind the link of the inquiry.feedback e-mail (docs/email.md): a
// score from 1 to 5, would they recommend the network, would they work with the partner again,
// and a remark. The link is signed for the inquiry, so it opens that inquiry's form only, and
// feedback is recorded once (as the entry partner's RecordFeedback would record it): after that
// the link only thanks.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "infrashare/desk/v1/desk.pb.h"
#include "services/http/public_site.h"

namespace infrashare::http {

struct InquiryFeedbackView {
  std::function<absl::StatusOr<std::string>()> link_key;  // what links are signed with
  // The inquiry; nullopt when there is none (any more).
  std::function<absl::StatusOr<std::optional<desk::v1::Inquiry>>(const std::string& id)> get;
  // Records the asker's feedback: INVALID_ARGUMENT for feedback the desk refuses,
  // FAILED_PRECONDITION when feedback was recorded already.
  std::function<absl::Status(const std::string& id, const desk::v1::Feedback&)> record;
};

// <path>?i=<inquiry>&s=<signature>: GET shows the form (or thanks, when feedback was given);
// POST with score=1..5, recommend=1, again=1 (checkboxes) and comment records it. A link
// infrashare did not sign, or for an inquiry not resolved, is 404; a second POST is 409.
void RegisterInquiryFeedback(const std::string& path, InquiryFeedbackView view, PublicSite* site);

}  // namespace infrashare::http
