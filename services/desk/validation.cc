#include "services/desk/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/availability.h"
#include "services/common/ids.h"
#include "services/common/recurrence.h"
#include "services/common/regions.h"
#include "services/common/text_fold.h"

namespace infrashare::desk {
namespace {

namespace reg = infrashare::registry;

std::string Path(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

bool IsLanguage(absl::string_view code) {
  return code.size() == 2 && absl::ascii_islower(code[0]) && absl::ascii_islower(code[1]);
}

void CheckThemes(const google::protobuf::RepeatedField<int>& themes, const std::string& path,
                 FieldErrors* errors) {
  if (themes.size() > 20) errors->Add(path, "at most 20 themes");
  for (int i = 0; i < themes.size(); ++i)
    if (themes[i] == 0 || !reg::v1::Theme_IsValid(themes[i]))
      errors->Add(absl::StrCat(path, "[", i, "]"), "is not a known theme");
}

void CheckNeedType(int need, const std::string& path, FieldErrors* errors) {
  if (need == v1::NEED_TYPE_UNSPECIFIED || !v1::NeedType_IsValid(need))
    errors->Add(path,
                "must be a known need type (innovation, training, facility access, talent, "
                "research, other)");
}

void CheckPoint(const reg::v1::GeoPoint& point, const std::string& path, FieldErrors* errors) {
  if (!(point.latitude() >= -90 && point.latitude() <= 90))
    errors->Add(path + ".latitude", "must be between -90 and 90");
  if (!(point.longitude() >= -180 && point.longitude() <= 180))
    errors->Add(path + ".longitude", "must be between -180 and 180");
}

}  // namespace

void ApplyDefaults(v1::Responder* responder) {
  if (responder->languages().empty()) responder->add_languages("nl");
  if (responder->time_zone().empty()) responder->set_time_zone(std::string(kDefaultTimeZone));
}

void Validate(const v1::Responder& r, absl::string_view prefix, FieldErrors* errors) {
  if (r.display_name().empty() || Characters(r.display_name()) > 200)
    errors->Add(Path(prefix, "display_name"), "is required, at most 200 characters");
  if (r.skills().empty()) errors->Add(Path(prefix, "skills"), "at least one need type is required");
  for (int i = 0; i < r.skills_size(); ++i)
    CheckNeedType(r.skills(i), absl::StrCat(Path(prefix, "skills"), "[", i, "]"), errors);
  CheckThemes(r.themes(), Path(prefix, "themes"), errors);
  if (r.regions_size() > 100) errors->Add(Path(prefix, "regions"), "at most 100 regions");
  if (r.has_base()) {
    CheckPoint(r.base(), Path(prefix, "base"), errors);
    if (!(r.radius_km() > 0 && r.radius_km() <= 500))
      errors->Add(Path(prefix, "radius_km"), "must be between 0 and 500 km with a base");
  } else if (r.radius_km() != 0) {
    errors->Add(Path(prefix, "base"), "is required with radius_km");
  }
  for (int i = 0; i < r.regions_size(); ++i)
    if (!IsRegionCode(r.regions(i)))
      errors->Add(absl::StrCat(Path(prefix, "regions"), "[", i, "]"), RegionCodeHint(r.regions(i)));
  for (int i = 0; i < r.languages_size(); ++i)
    if (!IsLanguage(r.languages(i)))
      errors->Add(absl::StrCat(Path(prefix, "languages"), "[", i, "]"),
                  "must be an ISO 639-1 code such as nl");
  if (!r.email().empty() && (Characters(r.email()) > 300 || !IsEmailAddress(r.email())))
    errors->Add(Path(prefix, "email"),
                "must be an e-mail address (one '@', a dotted domain, no spaces), at most 300 "
                "characters");
  if (r.capacity() <= 0 || r.capacity() > 1000)
    errors->Add(Path(prefix, "capacity"), "must be between 1 and 1000 open inquiries");
  if (!FindTimeZone(r.time_zone()))
    errors->Add(Path(prefix, "time_zone"), "is not an IANA time zone");
  if (r.working_hours_size() > 50) errors->Add(Path(prefix, "working_hours"), "at most 50 rules");
  for (int i = 0; i < r.working_hours_size(); ++i)
    ValidateAvailabilityRule(r.working_hours(i),
                             absl::StrCat(Path(prefix, "working_hours"), "[", i, "]"), errors);
  if (r.absences_size() > 200) errors->Add(Path(prefix, "absences"), "at most 200 absences");
  for (int i = 0; i < r.absences_size(); ++i) {
    const auto& a = r.absences(i);
    if (!a.has_start_time() || !a.has_end_time() ||
        a.end_time().seconds() <= a.start_time().seconds())
      errors->Add(absl::StrCat(Path(prefix, "absences"), "[", i, "]"),
                  "needs a start_time before its end_time");
  }
}

void Validate(const v1::SubmitInquiryRequest& request, const InquiryLimits& limits,
              FieldErrors* errors) {
  CheckNeedType(request.need_type(), "need_type", errors);
  CheckThemes(request.themes(), "themes", errors);
  if (!request.region().empty() && !IsRegionCode(request.region()))
    errors->Add("region", RegionCodeHint(request.region()));
  if (request.has_location()) CheckPoint(request.location(), "location", errors);
  if (!request.asker_organization_id().empty() && !IsValidId(request.asker_organization_id()))
    errors->Add("asker_organization_id", "is not a valid id");
  if (IsBlank(request.text())) errors->Add("text", "is required");
  if (static_cast<int>(request.text().size()) > limits.max_text_bytes)
    errors->Add("text", absl::StrCat("must be at most ", limits.max_text_bytes, " bytes"));
  if (!v1::Urgency_IsValid(request.urgency())) errors->Add("urgency", "is not a known urgency");
  if (!request.language().empty() && !IsLanguage(request.language()))
    errors->Add("language", "must be an ISO 639-1 code such as nl");
  const auto& c = request.contact();
  for (const auto& [field, value] : {std::pair{"contact.name", &c.name()},
                                     {"contact.email", &c.email()},
                                     {"contact.phone", &c.phone()},
                                     {"contact.organization_name", &c.organization_name()}})
    if (Characters(*value) > 300) errors->Add(field, "must be at most 300 characters");
  if (!c.email().empty() && !IsEmailAddress(c.email()))
    errors->Add("contact.email", "must be an e-mail address (one '@', a dotted domain, no spaces)");
  Validate(request.consent(), "consent", errors);
}

void Validate(const v1::AskerConsent& consent, absl::string_view prefix, FieldErrors* errors) {
  if (Characters(consent.how()) > 200)
    errors->Add(Path(prefix, "how"), "must be at most 200 characters");
}

void Validate(const v1::ResolveInquiryRequest& request, FieldErrors* errors) {
  if (request.outcome() == v1::OUTCOME_UNSPECIFIED || !v1::Outcome_IsValid(request.outcome()))
    errors->Add("outcome", "must be a known outcome");
  if (request.outcome() == v1::OUTCOME_FACILITY_BOOKED && request.booking_id().empty())
    errors->Add("booking_id", "is required when the outcome is a facility booked");
  if (request.outcome() != v1::OUTCOME_FACILITY_BOOKED && !request.booking_id().empty())
    errors->Add("booking_id", "is given only with the outcome facility booked");
  if (Characters(request.note()) > 4000) errors->Add("note", "must be at most 4000 characters");
}

void Validate(const v1::Feedback& feedback, absl::string_view prefix, FieldErrors* errors) {
  if (feedback.score() < 1 || feedback.score() > 5)
    errors->Add(Path(prefix, "score"), "must be between 1 and 5");
  if (Characters(feedback.comment()) > 4000)
    errors->Add(Path(prefix, "comment"), "must be at most 4000 characters");
}

}  // namespace infrashare::desk
