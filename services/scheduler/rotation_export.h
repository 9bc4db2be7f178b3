// A rotation plan as others read it: CSV (every leg of every unit) and an iCalendar feed per unit.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"

namespace infrashare::scheduler {

// Columns: unit_resource_id, kind, start_time, end_time, request_id, organization_id,
// from_latitude, from_longitude, to_latitude, to_longitude, km; RFC 4180 quoting.
std::string RotationPlanToCsv(const v1::RotationPlan& plan);

// One unit's legs as VEVENTs (TENTATIVE: a draft books nothing); INVALID_ARGUMENT naming
// unit_resource_id when the unit is not in the plan.
absl::StatusOr<std::string> RotationUnitToICalendar(const v1::RotationPlan& plan,
                                                    const std::string& unit_resource_id);

}  // namespace infrashare::scheduler
