// When a resource is open: its published recurring windows, merged, minus its closures.
#pragma once

#include <vector>

#include "infrashare/registry/v1/registry.pb.h"
#include "services/common/recurrence.h"

namespace infrashare::registry {

// Open intervals of `availability` within [from, to), merged, in time order. `zone` is the
// resource's time zone; the rules must have passed validation.
std::vector<Interval> OpenWindows(const v1::Availability& availability, const date::time_zone* zone,
                                  SysSeconds from, SysSeconds to);

}  // namespace infrashare::registry
