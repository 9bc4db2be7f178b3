// Recurrence expansion (issue #12): what one GetAvailability-sized expansion costs for rules that
// started long ago, COUNT rules included, next to rules that start now. Each line: the rule, the
// range asked for, the windows found, and the median and worst time per call over many calls; a
// COUNT rule's first call (which walks it once to find its last date) is shown apart.
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
  return 0;
}
