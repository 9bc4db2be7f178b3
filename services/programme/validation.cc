#include "services/programme/validation.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/availability.h"
#include "services/common/errors.h"
#include "services/common/recurrence.h"
#include "services/common/text_fold.h"

namespace infrashare::programme {
namespace {

using google::protobuf::util::TimeUtil;

// BCP 47 as far as a programme needs it: "nl", "en", "nl-BE", "pap".
bool IsLanguageTag(const std::string& tag) {
  if (tag.size() < 2 || tag.size() > 16) return false;
  size_t letters = 0;
  for (char c : tag) {
    if (c == '-') {
      if (letters == 0) return false;
      letters = 0;
    } else if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      ++letters;
    } else {
      return false;
    }
  }
  return letters > 0;
}

}  // namespace

absl::Status NormalizeEvent(v1::Event* e) {
  FieldErrors errors;
  if (e->time_zone().empty()) e->set_time_zone(std::string(kDefaultTimeZone));
  if (e->language().empty()) e->set_language("nl");
  if (e->visibility() == v1::EVENT_VISIBILITY_UNSPECIFIED)
    e->set_visibility(v1::EVENT_VISIBILITY_NETWORK);
  if (e->resource_id().empty() && e->network_id().empty())
    errors.Add("event.resource_id", "name a resource or a network (or both)");
  if (e->kind() == v1::EVENT_KIND_UNSPECIFIED || !v1::EventKind_IsValid(e->kind()))
    errors.Add("event.kind", "required: open day, course, masterclass, demo, hackathon or meet-up");
  if (IsBlank(e->title())) errors.Add("event.title", "required");
  if (!e->has_start_time()) errors.Add("event.start_time", "required");
  if (!e->has_end_time()) errors.Add("event.end_time", "required");
  if (e->has_start_time() && e->has_end_time()) {
    const int64_t length = TimeUtil::DurationToMilliseconds(e->end_time() - e->start_time());
    if (length <= 0) {
      errors.Add("event.end_time", "must be after start_time");
    } else if (length > kMaxEventMs) {
      errors.Add("event.end_time", "an event lasts at most 31 days");
    }
  }
  if (FindTimeZone(e->time_zone()) == nullptr)
    errors.Add("event.time_zone", "not a known IANA time zone");
  if (!IsLanguageTag(e->language()))
    errors.Add("event.language", "a BCP 47 language tag such as \"nl\" or \"en\"");
  for (int i = 0; i < e->audiences_size(); ++i) {
    if (e->audiences(i) == v1::AUDIENCE_UNSPECIFIED || !v1::Audience_IsValid(e->audiences(i)))
      errors.Add(absl::StrCat("event.audiences[", i, "]"), "students, teachers, SMEs or employees");
  }
  if (e->capacity() < 1 || e->capacity() > kMaxCapacity)
    errors.Add("event.capacity", absl::StrCat("from 1 to ", kMaxCapacity, " places"));
  if (e->price_cents() < 0) errors.Add("event.price_cents", "0 (free) or more");
  if (!v1::EventVisibility_IsValid(e->visibility()))
    errors.Add("event.visibility", "public or network");
  return errors.ToStatus();
}

absl::Status NormalizeRegistration(v1::RegisterRequest* r) {
  FieldErrors errors;
  if (r->event_id().empty()) errors.Add("event_id", "required");
  if (r->places() == 0) r->set_places(1);
  if (r->places() < 1 || r->places() > kMaxPlacesPerRegistration)
    errors.Add("places", absl::StrCat("from 1 to ", kMaxPlacesPerRegistration));
  // Folded as the privacy register matches addresses, so export and erasure find it.
  r->set_person_email(FoldEmail(r->person_email()));
  const bool named = !IsBlank(r->person_name());
  if (named && r->person_email().empty()) {
    errors.Add("person_email", "required for a named person");
  } else if (!r->person_email().empty() && !IsEmailAddress(r->person_email())) {
    errors.Add("person_email", "is not an e-mail address");
  } else if (!r->person_email().empty() && !named) {
    errors.Add("person_name", "required with person_email");
  }
  if (Characters(r->person_name()) > 200) errors.Add("person_name", "at most 200 characters");
  if (r->person_email().size() > 254) errors.Add("person_email", "at most 254 bytes");
  return errors.ToStatus();
}

}  // namespace infrashare::programme
