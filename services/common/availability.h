// Recurring local-time windows (a resource's published availability, a responder's working
// hours): what a valid rule is, and when the windows are open.
#pragma once

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

// Open intervals of `availability` within [from, to), merged, in time order. `zone` is the
// resource's time zone; the rules must have passed validation.
std::vector<Interval> OpenWindows(const registry::v1::Availability& availability,
                                  const date::time_zone* zone, SysSeconds from, SysSeconds to);

}  // namespace infrashare
