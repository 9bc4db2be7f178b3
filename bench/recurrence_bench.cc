// Recurrence expansion (issue #12): what one GetAvailability-sized expansion costs for rules that
// started long ago, COUNT rules included, next to rules that start now. Each line: the rule, the
// range asked for, the windows found, and the median and worst time per call over many calls; a
// COUNT rule's first call (which walks it once to find its last date) is shown apart. Last, the
// reviewer's attack on GetAvailability: one resource with 50 sparse COUNT rules, each from a
// different valid_from, asked for the second half of 2199.
//
//   recurrence_bench [calls=2000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "services/common/recurrence.h"

namespace {

using namespace infrashare;
using Clock = std::chrono::steady_clock;

SysSeconds Utc(int y, unsigned m, unsigned d) {
  return SysSeconds(date::sys_days(date::year(y) / m / d));
}

double Microseconds(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

void Measure(const char* rrule, date::year_month_day valid_from, SysSeconds from, SysSeconds to,
             const char* range, int calls) {
  const date::time_zone* zone = FindTimeZone("Europe/Amsterdam");
  const LocalWindowRule rule{rrule, 8 * 60 + 30, 8 * 60, valid_from, std::nullopt};
  const auto first_start = Clock::now();
  const size_t windows = ExpandWindows(rule, zone, from, to).size();
  const double first = Microseconds(Clock::now() - first_start);
  std::vector<double> times;
  for (int i = 0; i < calls; ++i) {
    const auto start = Clock::now();
    if (ExpandWindows(rule, zone, from, to).size() != windows) std::abort();
    times.push_back(Microseconds(Clock::now() - start));
  }
  std::sort(times.begin(), times.end());
  std::printf("  %-44s from %s  %-9s %4zu windows  first %8.1f us  median %7.1f us  max %7.1f us\n",
              rrule, date::format("%F", valid_from).c_str(), range, windows, first,
              times[times.size() / 2], times.back());
}

// One GetAvailability's expansion (as OpenWindows does it) of 50 copies of `rrule`, 09:00 for
// 60 min, valid_from 1971-03-11, 1972-03-11, ..., over 2199-06-07..2199-12-31: the first call
// (every COUNT rule walked once) and the median of the later ones.
void MeasureAttack(const char* rrule, int calls) {
  const date::time_zone* zone = FindTimeZone("Europe/Amsterdam");
  std::vector<LocalWindowRule> rules;
  for (int k = 0; k < 50; ++k)
    rules.push_back({rrule, 9 * 60, 60, date::year(1971 + k) / 3 / 11, std::nullopt});
  const SysSeconds from = Utc(2199, 6, 7), to = Utc(2200, 1, 1);
  const auto expand_all = [&] {
    size_t windows = 0;
    for (const auto& rule : rules) windows += ExpandWindows(rule, zone, from, to).size();
    return windows;
  };
  const auto first_start = Clock::now();
  const size_t windows = expand_all();
  const double first = Microseconds(Clock::now() - first_start);
  std::vector<double> times;
  for (int i = 0; i < calls; ++i) {
    const auto start = Clock::now();
    if (expand_all() != windows) std::abort();
    times.push_back(Microseconds(Clock::now() - start));
  }
  std::sort(times.begin(), times.end());
  std::printf("  50 x %-56s %4zu windows  first %10.1f us  median %7.1f us\n", rrule, windows,
              first, times[times.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 2000;
  using date::year;
  const SysSeconds week_from = Utc(2026, 6, 1), week_to = Utc(2026, 6, 8);
  const SysSeconds year_from = Utc(2026, 1, 1), year_to = Utc(2027, 1, 1);
  std::printf("ExpandWindows in Europe/Amsterdam, 08:30 for 8 h, %d calls each:\n", calls);
  for (const char* rrule :
       {"FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU"}) {
    Measure(rrule, year(2026) / 1 / 1, week_from, week_to, "a week", calls);
    Measure(rrule, year(1970) / 1 / 1, week_from, week_to, "a week", calls);
    Measure(rrule, year(1970) / 1 / 1, year_from, year_to, "a year", calls / 10);
  }
  // Issue #12: COUNT at its bound from 1970. The daily one ends in 1997, the weekday one in 2008;
  // the last selects nothing, so finding its last date walks to 2200-12-31.
  Measure("FREQ=DAILY;COUNT=10000", year(1970) / 1 / 1, week_from, week_to, "a week", calls);
  Measure("FREQ=DAILY;COUNT=10000", year(1970) / 1 / 1, Utc(1997, 5, 12), Utc(1997, 5, 19),
          "a week", calls);
  Measure("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=10000", year(1970) / 1 / 1, week_from, week_to,
          "a week", calls);
  Measure("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=10000", year(1970) / 1 / 1, week_from, week_to,
          "a week", calls);
  // Too sparse for COUNT: the walk stops at kMaxCountWalkSteps (the first call) and the rule
  // yields no windows. The second tests BYWEEKNO's days, the dearest to test.
  Measure("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=10000", year(1970) / 1 / 1,
          week_from, week_to, "a week", calls);
  Measure(
      "FREQ=YEARLY;BYWEEKNO=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26;"
      "BYMONTH=7,8,9,10,11,12;COUNT=10000",
      year(1970) / 1 / 1, week_from, week_to, "a week", calls);
  std::printf("GetAvailability for 2199-06-07..2199-12-31 on 50 rules from 1971..2020 (attack):\n");
  MeasureAttack(
      "FREQ=YEARLY;BYWEEKNO=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
      "24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,"
      "52,53;BYYEARDAY=366;COUNT=10000",
      std::max(1, calls / 100));
  MeasureAttack("FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH;COUNT=10000", std::max(1, calls / 100));
  return 0;
}
