#include "services/scheduler/rotation_export.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/errors.h"
#include "services/scheduler/calendar.h"

namespace infrashare::scheduler {
namespace {

using google::protobuf::util::TimeUtil;

std::string Quoted(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string KindName(v1::RotationLegKind kind) {
  switch (kind) {
    case v1::ROTATION_LEG_KIND_TRANSPORT:
      return "transport";
    case v1::ROTATION_LEG_KIND_SETUP:
      return "setup";
    case v1::ROTATION_LEG_KIND_ASSIGNMENT:
      return "assignment";
    case v1::ROTATION_LEG_KIND_TEARDOWN:
      return "teardown";
    case v1::ROTATION_LEG_KIND_MAINTENANCE:
      return "maintenance";
    case v1::ROTATION_LEG_KIND_AT_HOME:
      return "at_home";
    default:
      return "unknown";
  }
}

std::map<std::string, std::string> OrganizationOf(const v1::RotationPlan& plan) {
  std::map<std::string, std::string> out;
  for (const auto& a : plan.assignments()) out[a.request_id()] = a.organization_id();
  return out;
}

}  // namespace

std::string RotationPlanToCsv(const v1::RotationPlan& plan) {
  const auto organization = OrganizationOf(plan);
  std::string out =
      "unit_resource_id,kind,start_time,end_time,request_id,organization_id,from_latitude,from_"
      "longitude,"
      "to_latitude,to_longitude,km\r\n";
  for (const auto& unit : plan.units())
    for (const auto& leg : unit.legs()) {
      const bool moves = leg.kind() == v1::ROTATION_LEG_KIND_TRANSPORT;
      auto it = organization.find(leg.request_id());
      absl::StrAppend(
          &out, Quoted(unit.unit_resource_id()), ",", KindName(leg.kind()), ",",
          TimeUtil::ToString(leg.start_time()), ",", TimeUtil::ToString(leg.end_time()), ",",
          Quoted(leg.request_id()), ",", Quoted(it == organization.end() ? "" : it->second), ",",
          moves ? absl::StrFormat("%.5f,%.5f", leg.from().latitude(), leg.from().longitude()) : ",",
          ",", absl::StrFormat("%.5f,%.5f", leg.to().latitude(), leg.to().longitude()), ",",
          absl::StrFormat("%.1f", leg.km()), "\r\n");
    }
  return out;
}

absl::StatusOr<std::string> RotationUnitToICalendar(const v1::RotationPlan& plan,
                                                    const std::string& unit_resource_id) {
  const auto organization = OrganizationOf(plan);
  for (const auto& unit : plan.units()) {
    if (unit.unit_resource_id() != unit_resource_id) continue;
    std::vector<CalendarEvent> events;
    for (int n = 0; n < unit.legs_size(); ++n) {
      const auto& leg = unit.legs(n);
      CalendarEvent e;
      e.uid = absl::StrCat(plan.id(), ".", unit_resource_id, ".", n, "@infrashare");
      e.start = leg.start_time();
      e.end = leg.end_time();
      e.stamp = plan.create_time();
      e.tentative = true;
      auto it = organization.find(leg.request_id());
      const std::string who = it == organization.end() ? "" : it->second;
      switch (leg.kind()) {
        case v1::ROTATION_LEG_KIND_TRANSPORT:
          e.summary = absl::StrFormat("Transport (%.0f km)", leg.km());
          break;
        case v1::ROTATION_LEG_KIND_SETUP:
          e.summary = "Set-up at " + who;
          break;
        case v1::ROTATION_LEG_KIND_ASSIGNMENT:
          e.summary = "At " + who;
          break;
        case v1::ROTATION_LEG_KIND_TEARDOWN:
          e.summary = "Tear-down at " + who;
          break;
        case v1::ROTATION_LEG_KIND_MAINTENANCE:
          e.summary = "Maintenance";
          break;
        case v1::ROTATION_LEG_KIND_AT_HOME:
          e.summary = "At home (booked or closed)";
          break;
        default:
          e.summary = "Rotation";
          break;
      }
      e.description = absl::StrFormat("Unit: %s\nRequest: %s\nAt: %.5f, %.5f", unit_resource_id,
                                      leg.request_id(), leg.to().latitude(), leg.to().longitude());
      events.push_back(std::move(e));
    }
    return ToICalendar(events, "Rotation of " + unit_resource_id);
  }
  return InvalidField("unit_resource_id", "is not a unit of the plan");
}

}  // namespace infrashare::scheduler
