// RFC 5545 recurrence rules (RRULE) of whole days, and the local dates they select.
//
// Parser and expander are ours, not libical's (docs/DECISIONS.md, "Recurrence rules: our own
// parser and expander"): libical 3.0.16 counts INTERVAL weeks from the wrong week for some
// BYDAY/WKST combinations and reads a UTC UNTIL as local time, and its parser drops out-of-range
// BYWEEKNO/BYYEARDAY values without an error and wraps INTERVAL to 16 bits. The expansion follows
// python-dateutil's rrule, which the property test (tests/recurrence/) compares it with.
#pragma once

#include <date/date.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace infrashare {

// How far a rule reaches. COUNT and INTERVAL bound the work one rule can ask for; every date a
// rule names (DTSTART, UNTIL, valid_until) lies in [kFirstRuleDay, kLastRuleDay], and no
// occurrence falls after kLastRuleDay.
inline constexpr int kMaxRruleCount = 10000;
inline constexpr int kMaxRruleInterval = 1000;
inline constexpr date::year_month_day kFirstRuleDay{date::year(1970), date::January, date::day(1)};
inline constexpr date::year_month_day kLastRuleDay{date::year(2200), date::December, date::day(31)};

enum class Frequency { kDaily, kWeekly, kMonthly, kYearly };

// BYDAY with a position: the n-th such weekday of the month (MONTHLY, or YEARLY with BYMONTH) or
// of the year; n < 0 counts from the end.
struct NthWeekday {
  date::weekday weekday;
  int n = 0;
};

// UNTIL as written: an instant ("...Z"), a wall-clock time in the rule's zone, or a date (that
// whole local day).
using RruleUntil = std::variant<std::chrono::sys_seconds, date::local_seconds, date::local_days>;

struct Rrule {
  Frequency frequency = Frequency::kDaily;
  int interval = 1;
  std::optional<int> count;
  std::optional<RruleUntil> until;
  date::weekday week_start = date::Monday;
  std::vector<unsigned> months;          // BYMONTH
  std::vector<int> week_numbers;         // BYWEEKNO (YEARLY only), negative from the year's end
  std::vector<int> year_days;            // BYYEARDAY (YEARLY only), negative from the year's end
  std::vector<int> month_days;           // BYMONTHDAY, negative from the month's end
  std::vector<date::weekday> weekdays;   // BYDAY without a position
  std::vector<NthWeekday> nth_weekdays;  // BYDAY with one (MONTHLY and YEARLY only)
  std::vector<int> set_positions;        // BYSETPOS
};

// Parses an RRULE value ("FREQ=WEEKLY;BYDAY=MO,WE"; names and values case-insensitive).
// INVALID_ARGUMENT says which part is wrong. Refused besides malformed text: FREQ=HOURLY,
// MINUTELY and SECONDLY and BYHOUR, BYMINUTE and BYSECOND (a rule has one start time a day, given
// apart from the RRULE), COUNT with UNTIL, parts RFC 5545 forbids for the frequency (BYWEEKNO and
// BYYEARDAY outside YEARLY, BYMONTHDAY in WEEKLY, a BYDAY position outside MONTHLY and YEARLY or
// with BYWEEKNO, BYSETPOS alone), RFC 7529 (RSCALE, SKIP, leap months), COUNT above
// kMaxRruleCount, INTERVAL above kMaxRruleInterval, UNTIL outside [kFirstRuleDay, kLastRuleDay].
absl::StatusOr<Rrule> ParseRrule(absl::string_view text);

// The local dates `rule` selects with DTSTART on `dtstart`, in order, ignoring COUNT and UNTIL
// (the caller bounds the walk). Period by period as python-dateutil does: the period's candidate
// days (a day, a week from WKST, a month, a year; the first week starts at DTSTART), the BY*
// filters, BYSETPOS, and only days from DTSTART on. Without BYDAY, BYMONTHDAY, BYYEARDAY or
// BYWEEKNO a WEEKLY rule takes DTSTART's weekday, MONTHLY its day of the month and YEARLY its
// day and (without BYMONTH) month. Two deliberate departures from dateutil 2.8.2, both RFC 5545:
// BYWEEKNO numbers weeks as the RFC does (dateutil misnumbers weeks 52, 53, -52 and -53 around
// New Year), and BYDAY with and without positions selects the union (dateutil the intersection).
class RruleDates {
 public:
  RruleDates(const Rrule& rule, date::local_days dtstart);

  // Continues at the last period that starts on or before `day`, so that a walk to a far range
  // costs nothing for the periods before it. Never moves back.
  void SkipTo(date::local_days day);

  // The next selected date, or nullopt when there is none up to `last`; a later call with a later
  // `last` continues from the same place.
  std::optional<date::local_days> Next(date::local_days last);

 private:
  void SelectPeriod();
  void AdvancePeriod();
  bool Selected(date::local_days day) const;
  bool InWeekNumbers(date::local_days day) const;
  date::local_days WeekStart(date::local_days day) const;
  void FindNthWeekdays(date::local_days first, date::local_days last);

  Rrule rule_;
  date::local_days dtstart_;
  date::local_days period_;                 // first candidate day of the next period to select from
  std::vector<date::local_days> nth_days_;  // this period's days named by a positioned BYDAY
  std::vector<date::local_days> selected_;  // this period's selection
  std::size_t next_ = 0;                    // in selected_
};

}  // namespace infrashare
