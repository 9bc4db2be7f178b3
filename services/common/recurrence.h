// Recurring local-time windows and series (RFC 5545 RRULEs, services/common/rrule.h) turned into
// UTC intervals with the IANA time-zone database.
//
// A local time that does not exist (the spring gap) or exists twice (autumn) resolves as RFC 5545
// says (LocalToUtc): forward by the length of the gap, and to the first instance. On top of that:
//  - An availability window (ExpandWindows; the registry's availability and the desk's working
//    hours) is a wall-clock interval [local start, local start + duration], each end resolved by
//    LocalToUtc: "08:30 for 8 h" is 08:30-16:30 on every day, and a 24-hour window from 00:00
//    lasts 23 h in spring and 25 h in autumn. When the start does not exist the whole window
//    moves forward by the gap: 02:30 for 60 min on the spring day is 03:30-04:30, never dropped
//    or shortened.
//  - A recurring booking (ExpandSeriesStarts) starts each occurrence at the rule's local time,
//    resolved by LocalToUtc, and lasts as long as the first in elapsed time.
#pragma once

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace infrashare {

using SysSeconds = std::chrono::sys_seconds;

struct Interval {
  SysSeconds start;
  SysSeconds end;
  bool operator==(const Interval&) const = default;
};

// The zone with this IANA name, nullptr when unknown.
const date::time_zone* FindTimeZone(absl::string_view name);

// Checks an RRULE value ("FREQ=WEEKLY;BYDAY=MO"): what ParseRrule (rrule.h) accepts.
absl::Status CheckRrule(absl::string_view rrule);
// The same, and with DTSTART on `dtstart` a COUNT rule must find its last date within
// kMaxCountWalkSteps (rrule.h): "COUNT rule too sparse to expand ...; use UNTIL" otherwise, the
// rule that would expand to nothing once stored.
absl::Status CheckRrule(absl::string_view rrule, date::year_month_day dtstart);

struct LocalWindowRule {
  std::string rrule;
  int start_minute = 0;  // minutes after local midnight
  int duration_minutes = 0;
  date::year_month_day valid_from;  // DTSTART's date
  std::optional<date::year_month_day> valid_until;
};

// The windows of `rule` in `zone` that overlap [from, to), clipped to it, in time order. The cost
// is in proportion to the range, wherever it lies from valid_from, COUNT rules included (a COUNT
// rule's first expansion walks it once, at most kMaxCountWalkSteps). Empty when the rule does not
// pass CheckRrule with valid_from.
std::vector<Interval> ExpandWindows(const LocalWindowRule& rule, const date::time_zone* zone,
                                    SysSeconds from, SysSeconds to);

// The starts in [from, to) of the series `rrule` with DTSTART `dtstart` (local, in `zone`), in
// time order. INVALID_ARGUMENT when the rule does not pass CheckRrule with DTSTART's date.
absl::StatusOr<std::vector<SysSeconds>> ExpandSeriesStarts(absl::string_view rrule,
                                                           const date::time_zone* zone,
                                                           date::local_seconds dtstart,
                                                           SysSeconds from, SysSeconds to);

// A local wall-clock time to UTC: an ambiguous time (autumn) is its first instance; a time in the
// spring gap moves forward by the gap (02:30 becomes 03:30 after a one-hour gap).
SysSeconds LocalToUtc(const date::time_zone* zone, date::local_seconds local);

// Sorts and unites overlapping or touching intervals.
std::vector<Interval> MergeIntervals(std::vector<Interval> intervals);
// `base` (merged) minus every interval of `cut`.
std::vector<Interval> SubtractIntervals(const std::vector<Interval>& base,
                                        std::vector<Interval> cut);

// "YYYY-MM-DD" between 1970-01-01 and 2200-12-31 (the dates a rule may name) and "HH:MM" parsing;
// nullopt when malformed or out of range.
std::optional<date::year_month_day> ParseDate(absl::string_view text);
std::optional<int> ParseMinuteOfDay(absl::string_view text);

}  // namespace infrashare
