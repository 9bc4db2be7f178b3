#include "cli/times.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <vector>

#include "cli/app.h"
#include "cli/enum_names.h"

namespace infrashare::cli {
namespace {

using std::chrono::seconds;

constexpr char kDefaultZone[] = "Europe/Amsterdam";

// A wall-clock time without an offset: "2027-03-02T09:00[:SS]", the same with a space, or a date.
// RFC 3339 without the seconds, as people type it: "2027-03-02T13:00Z", "2027-03-02 13:00+01:00".
bool WithSeconds(const std::string& text, google::protobuf::Timestamp* out) {
  if (text.size() < 17 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':') return false;
  const std::string offset = text.substr(16);
  if (offset != "Z" && offset != "z" &&
      !(offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') && offset[3] == ':'))
    return false;
  return google::protobuf::util::TimeUtil::FromString(
      text.substr(0, 10) + "T" + text.substr(11, 5) + ":00" + (offset == "z" ? "Z" : offset), out);
}

bool ParseWallClock(const std::string& text, date::local_seconds* out) {
  for (const char* format :
       {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    std::istringstream in(text);
    date::local_seconds parsed;
    in >> date::parse(format, parsed);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      *out = parsed;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string DefaultZoneName() {
  const char* tz = std::getenv("TZ");
  if (tz == nullptr) return kDefaultZone;
  std::string name = tz[0] == ':' ? tz + 1 : tz;  // POSIX allows ":Europe/Amsterdam"
  if (name.empty() || FindZone(name) != nullptr) return name.empty() ? kDefaultZone : name;
  std::cerr << "infrashare: env TZ '" << name << "' is no IANA time zone; using " << kDefaultZone
            << "\n";
  return kDefaultZone;
}

const date::time_zone* FindZone(const std::string& name) {
  if (name.empty()) return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string UnknownZone(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& zone : date::get_tzdb().zones) names.push_back(std::string(zone.name()));
  std::string message = "'" + name + "' is no IANA time zone";
  if (const std::string closest = Closest(name, names); !closest.empty())
    message += "; did you mean '" + closest + "'?";
  return message + " (such as Europe/Amsterdam)";
}

std::string TimeForPeople(const google::protobuf::Timestamp& time, const date::time_zone* zone) {
  const date::sys_seconds instant{seconds(time.seconds())};
  const date::zoned_seconds local(zone, instant);
  const bool whole_minute = time.seconds() % 60 == 0 && time.nanos() == 0;
  return date::format(whole_minute ? "%F %R %Ez" : "%F %T %Ez", local);
}

std::string ParseInstant(const std::string& text, const date::time_zone* zone,
                         google::protobuf::Timestamp* out) {
  if (google::protobuf::util::TimeUtil::FromString(text, out)) return "";
  if (WithSeconds(text, out)) return "";
  date::local_seconds wall;
  if (!ParseWallClock(text, &wall))
    return "'" + text + "' is not a time such as 2027-03-02T09:00 (in " + zone->name() +
           ") or 2027-03-02T09:00:00+01:00";
  const date::local_info info = zone->get_info(wall);
  if (info.result == date::local_info::nonexistent) {
    const date::sys_seconds change = info.first.end;
    return "'" + text + "' does not exist in " + zone->name() + ": the clocks go from " +
           date::format("%R", change + info.first.offset) + " to " +
           date::format("%R", change + info.second.offset) + " that night";
  }
  // In the hour a DST change repeats, the first of the two (the earlier instant).
  const date::sys_seconds instant{wall.time_since_epoch() - info.first.offset};
  out->set_seconds(instant.time_since_epoch().count());
  out->set_nanos(0);
  return "";
}

const date::time_zone* App::ZoneOf(const std::string& resource_id) const {
  if (zone_given || resource_id.empty()) return zone;
  auto [known, fresh] = resource_zones_.emplace(resource_id, zone);
  if (fresh) {
    registry::v1::GetResourceRequest request;
    request.set_id(resource_id);
    registry::v1::Resource resource;
    if (client()
            .Call(client().registry(), &registry::v1::RegistryService::Stub::GetResource, request,
                  &resource)
            .ok()) {
      const auto* own =
          FindZone(resource.time_zone().empty() ? std::string(kDefaultZone) : resource.time_zone());
      if (own != nullptr) known->second = own;
    }
  }
  return known->second;
}

bool ParseTime(const std::string& text, google::protobuf::Timestamp* out, App& app,
               const std::string& flag) {
  const std::string problem = ParseInstant(text, app.ZoneOf(app.resource), out);
  if (!problem.empty()) app.FailUsage(flag + ": " + problem);
  return problem.empty();
}

}  // namespace infrashare::cli
