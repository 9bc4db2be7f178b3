// The desk's request validation (services/desk/validation.h) on requests as a client could send
// them: the first byte picks the request type, the second the moment ("now") routing looks at,
// the rest is the request in protobuf wire format. What validation admits must be what routing
// assumes: a responder's working time expands to ordered windows and a deadline never before
// now; an inquiry scores against responders and routes to an offer, a queue or an escalation.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "infrashare/desk/v1/desk.pb.h"
#include "services/common/errors.h"
#include "services/desk/routing.h"
#include "services/desk/validation.h"
#include "tests/fuzz/invariant.h"

namespace {

namespace desk = infrashare::desk;
namespace v1 = infrashare::desk::v1;
using infrashare::FieldErrors;
using infrashare::SysSeconds;
using infrashare::fuzz::Require;

// A responder who takes training questions in Twente in Dutch, around the clock.
v1::Responder Colleague() {
  v1::Responder r;
  r.set_id("rsp-a");
  r.set_display_name("Loket Twente");
  r.add_skills(v1::NEED_TYPE_TRAINING);
  r.add_regions("PV23");
  r.set_capacity(5);
  desk::ApplyDefaults(&r);
  return r;
}

void Responder(v1::Responder responder, SysSeconds now) {
  desk::ApplyDefaults(&responder);
  FieldErrors errors;
  desk::Validate(responder, "responder", &errors);
  if (!errors.empty()) return;
  const SysSeconds to = now + std::chrono::days(8);
  const auto windows = desk::WorkingWindows(responder, now, to);
  for (size_t i = 0; i < windows.size(); ++i) {
    Require(windows[i].start < windows[i].end, "a working window is not empty");
    Require(windows[i].start >= now && windows[i].end <= to,
            "a working window lies in the range asked for");
    if (i > 0)
      Require(windows[i - 1].end < windows[i].start, "working windows are ordered and apart");
  }
  desk::Working(responder, now);
  const SysSeconds deadline = desk::AddWorkingTime(responder, now, std::chrono::hours(4));
  Require(deadline >= now + std::chrono::hours(4),
          "a deadline in working time is no earlier than in clock time");
  v1::Inquiry inquiry;
  inquiry.set_need_type(v1::NEED_TYPE_TRAINING);
  inquiry.set_region("CR13");
  Require(desk::FitScore(inquiry, responder) >= -1, "a fit score is -1 or more");
}

void SubmitInquiry(const v1::SubmitInquiryRequest& request) {
  FieldErrors errors;
  desk::Validate(request, desk::InquiryLimits{}, &errors);
  if (!errors.empty()) return;
  // As Desk::SubmitInquiry builds the inquiry, then routes it.
  v1::Inquiry inquiry;
  inquiry.set_need_type(request.need_type());
  *inquiry.mutable_themes() = request.themes();
  inquiry.set_region(request.region());
  if (request.has_location()) *inquiry.mutable_location() = request.location();
  inquiry.set_language(request.language().empty() ? "nl" : request.language());
  static const v1::Responder colleague = Colleague();
  const int fit = desk::FitScore(inquiry, colleague);
  Require(fit >= -1, "a fit score is -1 or more");
  const desk::RouteDecision decision = desk::Decide(inquiry, {{&colleague, {true, 0, 5, 0}}}, {});
  if (decision.kind == desk::RouteDecision::Kind::kOffer)
    Require(fit >= 0 && decision.responder_ids.size() == 1,
            "an offer goes to a responder who fits");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t selector = data[0];
  // Noon on a day of 2027 (both DST changes are in reach).
  const SysSeconds now = date::sys_days(date::year(2027) / 1 / 1) +
                         std::chrono::days(data[1] * 3 / 2) + std::chrono::hours(12);
  data += 2;
  size -= 2;
  const int length = static_cast<int>(size);
  switch (selector % 5) {
    case 0: {
      v1::CreateResponderRequest r;
      if (r.ParseFromArray(data, length)) Responder(r.responder(), now);
      break;
    }
    case 1: {
      v1::UpdateResponderRequest r;
      if (r.ParseFromArray(data, length)) Responder(r.responder(), now);
      break;
    }
    case 2: {
      v1::SubmitInquiryRequest r;
      if (r.ParseFromArray(data, length)) SubmitInquiry(r);
      break;
    }
    case 3: {
      v1::ResolveInquiryRequest r;
      FieldErrors errors;
      if (r.ParseFromArray(data, length)) desk::Validate(r, &errors);
      break;
    }
    case 4: {
      v1::RecordFeedbackRequest r;
      FieldErrors errors;
      if (r.ParseFromArray(data, length)) desk::Validate(r.feedback(), "feedback", &errors);
      break;
    }
  }
  return 0;
}
