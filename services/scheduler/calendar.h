// Bookings as an iCalendar (RFC 5545) feed, produced with libical.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infrashare/registry/v1/registry.pb.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"

namespace infrashare::scheduler {

// One VEVENT: UTC times, a summary and a description; TENTATIVE or CONFIRMED; a LOCATION and a
// URL when set.
struct CalendarEvent {
  std::string uid;
  google::protobuf::Timestamp start;
  google::protobuf::Timestamp end;
  google::protobuf::Timestamp stamp;
  std::string summary;
  std::string description;
  bool tentative = false;
  std::string location;
  std::string url;
};

// A VCALENDAR named `name` (NAME and X-WR-CALNAME) holding `events`.
std::string ToICalendar(const std::vector<CalendarEvent>& events, const std::string& name);

// Where the public site is, for links in calendars: its absolute base URL ("" when this server
// does not know it) and whether it serves the map page (/map).
struct SiteAddress {
  std::string base_url;
  bool serves_map = false;
};
using SiteLocator = std::function<SiteAddress()>;

// The page a calendar links a resource to: its card on the public map
// ("<base>/map#resource=<id>") when the resource is listed and the site serves the map, else the
// resource's own `url` ("" when it has none).
std::string ResourcePage(const registry::v1::Resource& resource, const SiteAddress& site);

// "CNC-lab Zwolle, Stationsweg 1, 8011 AB Zwolle": the display name, then the address parts it
// has; the id when it has neither.
std::string PlaceText(const registry::v1::Resource& resource);

// What a booking calendar names besides the bookings: each booking's resource (nullptr when not
// known) and the display names of organisations ("" when not known).
struct CalendarNames {
  std::function<std::shared_ptr<const registry::v1::Resource>(const std::string& resource_id)>
      resource;
  std::function<std::string(const std::string& organization_id)> organization;
  SiteAddress site;
};

// A VCALENDAR with one VEVENT per booking: UID "<booking id>@infrashare", DTSTART/DTEND in UTC,
// SUMMARY the title (or "Busy" when redacted), STATUS CONFIRMED or TENTATIVE (held, pending),
// LOCATION the resource's PlaceText, URL its ResourcePage, DESCRIPTION the resource's name and
// id, then who booked (when not redacted), the quantity and the notes. Released bookings
// (cancelled, rejected, expired, no-show) are left out.
std::string BookingsToICalendar(const std::vector<v1::Booking>& bookings, const std::string& name,
                                const CalendarNames& names);

// Whether a booking belongs in a calendar at all.
bool OnCalendar(const v1::Booking& booking);

}  // namespace infrashare::scheduler
