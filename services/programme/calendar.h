// Events as an iCalendar (RFC 5545) feed, built with libical: local times with their TZID and
// the zone's VTIMEZONE, so a subscriber's calendar keeps an event at its wall-clock time across
// a DST change.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/programme/v1/programme.pb.h"

namespace infrashare::programme {

// A VCALENDAR named `name`: one VEVENT per event (UID "<event id>@infrashare", SUMMARY the title,
// STATUS CONFIRMED or CANCELLED, LOCATION the resource), one VTIMEZONE per zone used.
absl::StatusOr<std::string> EventsToICalendar(const std::vector<v1::Event>& events,
                                              const std::string& name);

}  // namespace infrashare::programme
