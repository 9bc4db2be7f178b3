// Events as an iCalendar (RFC 5545) feed, built with libical: local times with their TZID and
// the zone's VTIMEZONE, so a subscriber's calendar keeps an event at its wall-clock time across
// a DST change.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/programme/v1/programme.pb.h"
#include "infrashare/registry/v1/registry.pb.h"

namespace infrashare::programme {

// The resource an event takes place at, or nullptr when it is not known.
using ResourceLookup =
    std::function<std::shared_ptr<const registry::v1::Resource>(const std::string& resource_id)>;

// A VCALENDAR named `name`: one VEVENT per event (UID "<event id>@infrashare", SUMMARY the title,
// STATUS CONFIRMED or CANCELLED, LOCATION the resource's name and address as `resources` gives
// them, else its id), one VTIMEZONE per zone used, holding only the observances from the first
// event in that zone on.
absl::StatusOr<std::string> EventsToICalendar(const std::vector<v1::Event>& events,
                                              const std::string& name,
                                              const ResourceLookup& resources = nullptr);

}  // namespace infrashare::programme
