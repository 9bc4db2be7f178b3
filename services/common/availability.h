// Recurring local-time windows (a resource's published availability, a responder's working
// hours): what a valid rule is, and when the windows are open.
#pragma once

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "infrashare/registry/v1/registry.pb.h"
#include "services/common/errors.h"
#include "services/common/recurrence.h"

namespace infrashare {

// The zone of a resource or responder that names none.
inline constexpr absl::string_view kDefaultTimeZone = "Europe/Amsterdam";

// One recurring local-time window; `prefix` is its field path, e.g. "rules[0]".
void ValidateAvailabilityRule(const registry::v1::AvailabilityRule& rule, absl::string_view prefix,
                              FieldErrors* errors);

// Open intervals of `availability` within [from, to), merged, in time order; without rules the
// whole range less the closures. `zone` is the resource's time zone; the rules must have passed
// validation.
std::vector<Interval> OpenWindows(const registry::v1::Availability& availability,
                                  const date::time_zone* zone, SysSeconds from, SysSeconds to);

// Weekly hours as people write them: days and a time span, "MO-FR 08:00-18:00" or
// "MO,TU,TH 09:00-17:30" (RFC 5545's two-letter days, ranges within one week, the span within one
// day: 24:00 is its end). As a rule for OpenWindows from 2000-01-01; nullopt when the text is not
// that.
std::optional<registry::v1::AvailabilityRule> WeeklyHours(absl::string_view text);

}  // namespace infrashare
