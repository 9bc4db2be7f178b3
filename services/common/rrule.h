// RFC 5545 recurrence rules (RRULE) of whole days, and the local dates they select.
//
// Parser and expander are ours, not libical's (docs/DECISIONS.md, "Recurrence rules: our own
// parser and expander"): libical 3.0.16 counts INTERVAL weeks from the wrong week for some
// BYDAY/WKST combinations and reads a UTC UNTIL as local time, and its parser drops out-of-range
// BYWEEKNO/BYYEARDAY values without an error and wraps INTERVAL to 16 bits. The expansion follows
// python-dateutil's rrule, which the property test (tests/recurrence/) compares it with.
#pragma once

#include <date/date.h>

#include <array>
#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
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
//
// A period's candidates come from the BY part that names the fewest days (BYYEARDAY, BYMONTHDAY,
// BYWEEKNO, BYDAY, or else every day of BYMONTH's months or of the period), so a sparse rule
// costs its few days per period rather than the period's length. A DAILY rule takes the rest of
// a month at a time (its days on the INTERVAL grid), so that a month BYMONTH leaves out costs one
// step rather than 31; a BYSETPOS beyond what a period can hold selects nothing without a walk.
class RruleDates {
 public:
  // `max_steps` bounds the work of Next (steps()); past it Next returns nullopt and OutOfSteps().
  RruleDates(const Rrule& rule, date::local_days dtstart,
             std::int64_t max_steps = std::numeric_limits<std::int64_t>::max());

  // Continues at the last period that starts on or before `day`, so that a walk to a far range
  // costs nothing for the periods before it. Never moves back.
  void SkipTo(date::local_days day);

  // The next selected date, or nullopt when there is none up to `last` (or the steps ran out); a
  // later call with a later `last` continues from the same place.
  std::optional<date::local_days> Next(date::local_days last);

  // The work done so far, deterministic: one step per candidate day a period yields (at least
  // one per period visited). Besides that, a period costs at most a pass over the BY lists, which
  // the rule's 512 characters bound.
  std::int64_t steps() const { return steps_; }
  bool OutOfSteps() const { return out_of_steps_; }

 private:
  // A BY part's values as bits, so that a test costs the same however long the list is: value v
  // is bit v of `from_start` (v > 0) or bit -v of `from_end` (v < 0).
  template <std::size_t N>
  struct SignedValues {
    std::bitset<N> from_start;
    std::bitset<N> from_end;
    void Add(int v) {
      (v > 0 ? from_start : from_end).set(static_cast<std::size_t>(v > 0 ? v : -v));
    }
    // `index` counted from the start and from the end (both from 1).
    bool Has(int index, int index_from_end) const {
      return from_start.test(static_cast<std::size_t>(index)) ||
             from_end.test(static_cast<std::size_t>(index_from_end));
    }
  };
  using DayRange = std::pair<date::local_days, date::local_days>;  // [first, end)

  date::local_days PeriodEnd() const;
  void SelectPeriod();
  void AdvancePeriod();
  std::vector<DayRange> MonthRanges(date::local_days first, date::local_days end) const;
  void AddCandidates(date::local_days first, date::local_days end);
  void AddYearDays(date::local_days first, date::local_days end);
  void AddMonthDays(const std::vector<DayRange>& ranges);
  void AddWeekNumbers(date::local_days first, date::local_days end);
  void AddWeekdays(const std::vector<DayRange>& ranges);
  bool Selected(date::local_days day) const;
  bool InWeekNumbers(date::local_days day) const;
  bool IsNthWeekday(date::local_days day, const date::year_month_day& ymd) const;
  date::local_days WeekStart(date::local_days day) const;

  Rrule rule_;
  date::local_days dtstart_;
  std::int64_t max_steps_;
  std::int64_t steps_ = 0;
  bool out_of_steps_ = false;
  bool selects_nothing_ = false;
  std::bitset<13> months_;
  std::bitset<7> weekdays_;  // by c_encoding()
  SignedValues<367> year_days_;
  SignedValues<32> month_days_;
  SignedValues<54> week_numbers_;
  std::array<SignedValues<54>, 7> nth_weekdays_;  // by c_encoding()
  date::local_days period_;  // first candidate day of the next period to select from
  std::vector<date::local_days> candidates_;  // this period's, a superset of its selection
  std::vector<date::local_days> selected_;    // this period's selection
  std::size_t next_ = 0;                      // in selected_
};

// How much work a COUNT rule's walk from DTSTART to its last date may take, in
// RruleDates::steps(): twice kMaxRruleCount, so a rule at the COUNT ceiling that selects at least
// every second candidate day fits (DAILY;COUNT=10000 takes 10,000 steps, as does
// WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=10000); a sparser one must use UNTIL. The most a walk costs
// is then about 25 ms in the Debug+ASan build and 0.4 ms in Release (docs/BENCHMARKS.md).
inline constexpr std::int64_t kMaxCountWalkSteps = 20000;

// A COUNT rule's last date from DTSTART `dtstart`: its COUNT-th date, or its last one up to
// kLastRuleDay when it has fewer. nullopt when finding it takes more than kMaxCountWalkSteps.
std::optional<date::local_days> LastCountDate(const Rrule& rule, date::local_days dtstart);

}  // namespace infrashare
