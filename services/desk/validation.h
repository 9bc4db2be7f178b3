// What a valid responder, inquiry, resolution and feedback are: the one place that decides, used by
// every desk handler.
#pragma once

#include "absl/strings/string_view.h"
#include "infrashare/desk/v1/desk.pb.h"
#include "services/common/errors.h"

namespace infrashare::desk {

struct InquiryLimits {
  int max_text_bytes = 8000;
};

// Fills in defaults (languages ["nl"], time zone Europe/Amsterdam).
void ApplyDefaults(v1::Responder* responder);
void Validate(const v1::Responder& responder, absl::string_view prefix, FieldErrors* errors);
void Validate(const v1::SubmitInquiryRequest& request, const InquiryLimits& limits,
              FieldErrors* errors);
void Validate(const v1::ResolveInquiryRequest& request, FieldErrors* errors);
void Validate(const v1::Feedback& feedback, absl::string_view prefix, FieldErrors* errors);
void Validate(const v1::AskerConsent& consent, absl::string_view prefix, FieldErrors* errors);

}  // namespace infrashare::desk
