// Bookings as an iCalendar (RFC 5545) feed, produced with libical.
#pragma once

#include <string>
#include <vector>

#include "infrashare/scheduler/v1/scheduler.pb.h"

namespace infrashare::scheduler {

// One VEVENT: UTC times, a summary and a description; TENTATIVE or CONFIRMED.
struct CalendarEvent {
  std::string uid;
  google::protobuf::Timestamp start;
  google::protobuf::Timestamp end;
  google::protobuf::Timestamp stamp;
  std::string summary;
  std::string description;
  bool tentative = false;
};

// A VCALENDAR named `name` holding `events`.
std::string ToICalendar(const std::vector<CalendarEvent>& events, const std::string& name);

// A VCALENDAR with one VEVENT per booking: UID "<booking id>@infrashare", DTSTART/DTEND in UTC,
// SUMMARY the title (or "Busy" when redacted), STATUS CONFIRMED or TENTATIVE (held, pending).
// Released bookings (cancelled, rejected, expired, no-show) are left out.
std::string BookingsToICalendar(const std::vector<v1::Booking>& bookings, const std::string& name);

// Whether a booking belongs in a calendar at all.
bool OnCalendar(const v1::Booking& booking);

}  // namespace infrashare::scheduler
