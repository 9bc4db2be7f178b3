// Recurring local-time windows (RFC 5545 RRULE, expanded with libical) turned into UTC intervals
// with the IANA time-zone database, DST-correct: a window is defined in wall-clock time, so
// "08:30 for 8 hours" is 08:30-16:30 local on every day, including the days clocks change.
#pragma once

#include "absl/strings/string_view.h"
#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace infrashare {

using SysSeconds = std::chrono::sys_seconds;

struct Interval {
  SysSeconds start;
  SysSeconds end;
  bool operator==(const Interval&) const = default;
};

// The zone with this IANA name, nullptr when unknown.
const date::time_zone* FindTimeZone(absl::string_view name);

// Checks an RRULE value ("FREQ=WEEKLY;BYDAY=MO"). Sub-daily frequencies are refused: a window that
// recurs every hour is a modelling mistake and would expand without bound.
absl::Status CheckRrule(absl::string_view rrule);

struct LocalWindowRule {
  std::string rrule;
  int start_minute = 0;  // minutes after local midnight
  int duration_minutes = 0;
  date::year_month_day valid_from;
  std::optional<date::year_month_day> valid_until;
};

// Occurrences of `rule` in `zone` that overlap [from, to), clipped to it, in time order. Stops
// after `max_occurrences` (a guard, not a limit a caller should reach).
std::vector<Interval> ExpandWindows(const LocalWindowRule& rule, const date::time_zone* zone,
                                    SysSeconds from, SysSeconds to,
                                    size_t max_occurrences = 100000);

// A local wall-clock time to UTC: ambiguous times (autumn) take the earlier instant, times that do
// not exist (spring gap) move forward to the transition.
SysSeconds LocalToUtc(const date::time_zone* zone, date::local_seconds local);

// Sorts and unites overlapping or touching intervals.
std::vector<Interval> MergeIntervals(std::vector<Interval> intervals);
// `base` (merged) minus every interval of `cut`.
std::vector<Interval> SubtractIntervals(const std::vector<Interval>& base, std::vector<Interval> cut);

// "YYYY-MM-DD" and "HH:MM" parsing; nullopt when malformed or out of range.
std::optional<date::year_month_day> ParseDate(absl::string_view text);
std::optional<int> ParseMinuteOfDay(absl::string_view text);

}  // namespace infrashare
