// Bookings as an iCalendar (RFC 5545) feed, produced with libical.
#pragma once

#include <string>
#include <vector>

#include "infrashare/scheduler/v1/scheduler.pb.h"

namespace infrashare::scheduler {

// A VCALENDAR with one VEVENT per booking: UID "<booking id>@infrashare", DTSTART/DTEND in UTC,
// SUMMARY the title (or "Busy" when redacted), STATUS CONFIRMED or TENTATIVE (held, pending).
// Released bookings (cancelled, rejected, expired, no-show) are left out.
std::string BookingsToICalendar(const std::vector<v1::Booking>& bookings, const std::string& name);

// Whether a booking belongs in a calendar at all.
bool OnCalendar(const v1::Booking& booking);

}  // namespace infrashare::scheduler
