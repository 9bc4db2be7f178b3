#include "services/scheduler/calendar.h"

#include <libical/ical.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace infrashare::scheduler {
namespace {

icaltimetype Utc(const google::protobuf::Timestamp& t) {
  return icaltime_from_timet_with_zone(static_cast<time_t>(t.seconds()), 0,
                                       icaltimezone_get_utc_timezone());
}

// "Name (id)", or the id alone when the name is not known.
std::string Named(const std::string& name, const std::string& id) {
  return name.empty() || name == id ? id : absl::StrCat(name, " (", id, ")");
}

}  // namespace

bool OnCalendar(const v1::Booking& booking) {
  switch (booking.state()) {
    case v1::BOOKING_STATE_HELD:
    case v1::BOOKING_STATE_PENDING_APPROVAL:
    case v1::BOOKING_STATE_CONFIRMED:
    case v1::BOOKING_STATE_CHECKED_IN:
    case v1::BOOKING_STATE_COMPLETED:
      return true;
    default:
      return false;
  }
}

std::string ResourcePage(const registry::v1::Resource& resource, const SiteAddress& site) {
  // The map shows the resources the feeds publish: listed, not retired.
  const bool on_map = resource.publication().listed() &&
                      resource.lifecycle().state() != registry::v1::LIFECYCLE_STATE_RETIRED;
  if (on_map && site.serves_map && !site.base_url.empty())
    return absl::StrCat(site.base_url, "/map#resource=", resource.id());
  return resource.url();
}

std::string PlaceText(const registry::v1::Resource& resource) {
  const auto& address = resource.location().address();
  std::vector<std::string> parts;
  for (const std::string& part : {resource.display_name(), address.street(),
                                  absl::StrJoin({address.postal_code(), address.city()}, " ")}) {
    const std::string trimmed(absl::StripAsciiWhitespace(part));
    if (!trimmed.empty()) parts.push_back(trimmed);
  }
  return parts.empty() ? resource.id() : absl::StrJoin(parts, ", ");
}

std::string ToICalendar(const std::vector<CalendarEvent>& events, const std::string& name) {
  std::unique_ptr<icalcomponent, decltype(&icalcomponent_free)> calendar(
      icalcomponent_new(ICAL_VCALENDAR_COMPONENT), icalcomponent_free);
  icalcomponent_add_property(calendar.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(calendar.get(),
                             icalproperty_new_prodid("-//infrashare//scheduler//EN"));
  // NAME is RFC 7986's; X-WR-CALNAME is what Outlook, Google and Apple Calendar read.
  icalcomponent_add_property(calendar.get(), icalproperty_new_name(name.c_str()));
  icalproperty* calname = icalproperty_new_x(name.c_str());
  icalproperty_set_x_name(calname, "X-WR-CALNAME");
  icalcomponent_add_property(calendar.get(), calname);
  for (const auto& e : events) {
    icalcomponent* event = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    icalcomponent_add_property(event, icalproperty_new_uid(e.uid.c_str()));
    icalcomponent_add_property(event, icalproperty_new_dtstamp(Utc(e.stamp)));
    icalcomponent_add_property(event, icalproperty_new_dtstart(Utc(e.start)));
    icalcomponent_add_property(event, icalproperty_new_dtend(Utc(e.end)));
    icalcomponent_add_property(event, icalproperty_new_summary(e.summary.c_str()));
    icalcomponent_add_property(event, icalproperty_new_status(e.tentative ? ICAL_STATUS_TENTATIVE
                                                                          : ICAL_STATUS_CONFIRMED));
    icalcomponent_add_property(event, icalproperty_new_description(e.description.c_str()));
    if (!e.location.empty())
      icalcomponent_add_property(event, icalproperty_new_location(e.location.c_str()));
    if (!e.url.empty()) icalcomponent_add_property(event, icalproperty_new_url(e.url.c_str()));
    icalcomponent_add_component(calendar.get(), event);
  }
  char* text = icalcomponent_as_ical_string_r(calendar.get());
  std::string out(text);
  free(text);
  return out;
}

std::string BookingsToICalendar(const std::vector<v1::Booking>& bookings, const std::string& name,
                                const CalendarNames& names) {
  std::vector<CalendarEvent> events;
  for (const auto& b : bookings) {
    if (!OnCalendar(b)) continue;
    CalendarEvent e;
    e.uid = b.id() + "@infrashare";
    e.start = b.start_time();
    e.end = b.end_time();
    e.stamp = b.update_time();
    e.summary = b.title().empty() ? (b.organization_id().empty() ? "Busy" : "Booking") : b.title();
    e.tentative =
        b.state() == v1::BOOKING_STATE_HELD || b.state() == v1::BOOKING_STATE_PENDING_APPROVAL;
    const auto resource = names.resource ? names.resource(b.resource_id()) : nullptr;
    e.description = "Resource: " + Named(resource ? resource->display_name() : "", b.resource_id());
    if (resource) {
      e.location = PlaceText(*resource);
      e.url = ResourcePage(*resource, names.site);
    }
    if (!b.organization_id().empty())
      e.description +=
          "\nBooked by: " + Named(names.organization ? names.organization(b.organization_id()) : "",
                                  b.organization_id());
    if (b.quantity() > 1) e.description += "\nQuantity: " + std::to_string(b.quantity());
    if (!b.notes().empty()) e.description += "\n" + b.notes();
    events.push_back(std::move(e));
  }
  return ToICalendar(events, name);
}

}  // namespace infrashare::scheduler
