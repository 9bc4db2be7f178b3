#include "services/programme/calendar.h"

#include <libical/ical.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/scheduler/calendar.h"

namespace infrashare::programme {
namespace {

const char* KindName(v1::EventKind kind) {
  switch (kind) {
    case v1::EVENT_KIND_OPEN_DAY:
      return "Open day";
    case v1::EVENT_KIND_COURSE:
      return "Course";
    case v1::EVENT_KIND_MASTERCLASS:
      return "Masterclass";
    case v1::EVENT_KIND_DEMO:
      return "Demo";
    case v1::EVENT_KIND_HACKATHON:
      return "Hackathon";
    case v1::EVENT_KIND_MEETUP:
      return "Meet-up";
    default:
      return "Event";
  }
}

// A time as wall-clock time in `zone`, marked with the zone's IANA name as its TZID.
icalproperty* LocalTime(icalproperty* property, const google::protobuf::Timestamp& t,
                        icaltimezone* zone, const std::string& tzid) {
  icaltimetype local = icaltime_from_timet_with_zone(static_cast<time_t>(t.seconds()), 0, zone);
  // libical hands back the wall-clock time flagged as UTC, which would be written with a "Z";
  // floating, with the TZID parameter, it is written as local time.
  local.zone = nullptr;
  icalproperty_set_value(property, icalvalue_new_datetime(local));
  icalproperty_add_parameter(property, icalparameter_new_tzid(tzid.c_str()));
  return property;
}

}  // namespace

absl::StatusOr<std::string> EventsToICalendar(const std::vector<v1::Event>& events,
                                              const std::string& name,
                                              const ResourceLookup& resources) {
  std::unique_ptr<icalcomponent, decltype(&icalcomponent_free)> calendar(
      icalcomponent_new(ICAL_VCALENDAR_COMPONENT), icalcomponent_free);
  icalcomponent_add_property(calendar.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(calendar.get(),
                             icalproperty_new_prodid("-//infrashare//programme//EN"));
  icalproperty* calname = icalproperty_new_x(name.c_str());
  icalproperty_set_x_name(calname, "X-WR-CALNAME");
  icalcomponent_add_property(calendar.get(), calname);
  // libical's built-in zones come from the system's tzdata, the same the validation checked.
  auto zone_of = [](const v1::Event& e) {
    icaltimezone* zone = icaltimezone_get_builtin_timezone(e.time_zone().c_str());
    return zone == nullptr ? icaltimezone_get_utc_timezone() : zone;
  };
  // Each zone's first event: its VTIMEZONE needs no observance before it (the built-in one holds
  // the zone's whole history, from 1835 for Europe/Amsterdam).
  std::map<std::string, std::pair<icaltimezone*, int64_t>> zones;
  for (const auto& e : events) {
    icaltimezone* zone = zone_of(e);
    if (zone == icaltimezone_get_utc_timezone()) continue;
    auto [it, added] = zones.try_emplace(e.time_zone(), zone, e.start_time().seconds());
    it->second.second = std::min(it->second.second, e.start_time().seconds());
  }
  for (const auto& [tzid, zone_and_first] : zones) {
    icalcomponent* builtin = icaltimezone_get_component(zone_and_first.first);
    if (builtin == nullptr) continue;
    icalcomponent* vtimezone = icalcomponent_new_clone(builtin);
    // libical names its zones "/freeassociation.sourceforge.net/<IANA name>"; calendar clients
    // match the plain IANA name better, so the VTIMEZONE carries that.
    icalproperty_set_tzid(icalcomponent_get_first_property(vtimezone, ICAL_TZID_PROPERTY),
                          tzid.c_str());
    icaltimezone_truncate_vtimezone(
        vtimezone,
        icaltime_from_timet_with_zone(static_cast<time_t>(zone_and_first.second), 0,
                                      icaltimezone_get_utc_timezone()),
        icaltime_null_time(), 0);
    icalcomponent_add_component(calendar.get(), vtimezone);
  }
  for (const auto& e : events) {
    icaltimezone* zone = zone_of(e);
    const std::string tzid = zone == icaltimezone_get_utc_timezone() ? "UTC" : e.time_zone();
    icalcomponent* vevent = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    icalcomponent_add_property(vevent, icalproperty_new_uid((e.id() + "@infrashare").c_str()));
    icalcomponent_add_property(vevent, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(
                                           static_cast<time_t>(e.update_time().seconds()), 0,
                                           icaltimezone_get_utc_timezone())));
    icalcomponent_add_property(
        vevent, LocalTime(icalproperty_new(ICAL_DTSTART_PROPERTY), e.start_time(), zone, tzid));
    icalcomponent_add_property(
        vevent, LocalTime(icalproperty_new(ICAL_DTEND_PROPERTY), e.end_time(), zone, tzid));
    icalcomponent_add_property(vevent, icalproperty_new_summary(e.title().c_str()));
    std::string description = absl::StrCat(KindName(e.kind()), "\n", e.description());
    if (e.price_cents() == 0) {
      absl::StrAppend(&description, "\nFree");
    } else {
      absl::StrAppend(&description, "\nPrice: EUR ", e.price_cents() / 100, ".",
                      e.price_cents() % 100 < 10 ? "0" : "", e.price_cents() % 100);
    }
    absl::StrAppend(&description, "\nLanguage: ", e.language(),
                    "\nPlaces: ", e.capacity() - e.registered(), " of ", e.capacity(), " free",
                    e.registration_open() ? "" : "\nRegistration closed");
    icalcomponent_add_property(vevent, icalproperty_new_description(description.c_str()));
    if (!e.resource_id().empty()) {
      auto resource = resources ? resources(e.resource_id()) : nullptr;
      const std::string location = resource ? scheduler::PlaceText(*resource) : e.resource_id();
      icalcomponent_add_property(vevent, icalproperty_new_location(location.c_str()));
    }
    icalcomponent_add_property(vevent, icalproperty_new_categories(KindName(e.kind())));
    icalcomponent_add_property(
        vevent,
        icalproperty_new_status(e.state() == v1::EVENT_STATE_CANCELLED ? ICAL_STATUS_CANCELLED
                                                                       : ICAL_STATUS_CONFIRMED));
    icalcomponent_add_component(calendar.get(), vevent);
  }
  char* text = icalcomponent_as_ical_string_r(calendar.get());
  if (text == nullptr) return absl::InternalError("programme: libical wrote no calendar");
  std::string out(text);
  free(text);
  return out;
}

}  // namespace infrashare::programme
