// Expands recurrence rules for the property test (property_test.py), which compares the output
// with python-dateutil and zoneinfo. One request per line on stdin, tab-separated:
//   window <zone> <rrule> <valid_from YYYY-MM-DD> <valid_until YYYY-MM-DD or -> <HH:MM> <minutes>
//          <from> <to>
//   series <zone> <rrule> <first day YYYY-MM-DD> - <HH:MM> <minutes> <from, ignored> <horizon>
// (instants in Unix seconds). One answer per line on stdout: "start-end" pairs in Unix seconds,
// space-separated, or "error <message>". A window is ExpandWindows (the registry's availability
// and the desk's working hours); a series is the scheduler's ExpandSeries whose first occurrence
// is the local day and time given and lasts the minutes given.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "services/common/recurrence.h"
#include "services/scheduler/booking_policy.h"

namespace infrashare {
namespace {

using std::chrono::seconds;

std::string Window(const std::vector<std::string>& f, const date::time_zone* zone) {
  auto valid_from = ParseDate(f[3]);
  auto start_minute = ParseMinuteOfDay(f[5]);
  int minutes = 0;
  int64_t from = 0, to = 0;
  if (!valid_from || !start_minute || !absl::SimpleAtoi(f[6], &minutes) ||
      !absl::SimpleAtoi(f[7], &from) || !absl::SimpleAtoi(f[8], &to))
    return "error malformed request";
  LocalWindowRule rule{f[2], *start_minute, minutes, *valid_from,
                       f[4] == "-" ? std::nullopt : ParseDate(f[4])};
  if (auto valid = CheckRrule(rule.rrule); !valid.ok())
    return "error " + std::string(valid.message());
  std::string out;
  for (const Interval& w :
       ExpandWindows(rule, zone, SysSeconds(seconds(from)), SysSeconds(seconds(to))))
    out += std::to_string(w.start.time_since_epoch().count()) + "-" +
           std::to_string(w.end.time_since_epoch().count()) + " ";
  return out;
}

std::string Series(const std::vector<std::string>& f, const date::time_zone* zone) {
  auto day = ParseDate(f[3]);
  auto start_minute = ParseMinuteOfDay(f[5]);
  int minutes = 0;
  int64_t horizon = 0;
  if (!day || !start_minute || !absl::SimpleAtoi(f[6], &minutes) ||
      !absl::SimpleAtoi(f[8], &horizon))
    return "error malformed request";
  const SysSeconds start =
      LocalToUtc(zone, date::local_days(*day) + std::chrono::minutes(*start_minute));
  registry::v1::Resource resource;
  resource.set_time_zone(std::string(zone->name()));
  const scheduler::EpochMs start_ms = start.time_since_epoch().count() * 1000;
  auto series = scheduler::ExpandSeries(resource, start_ms, start_ms + minutes * 60000LL, f[2],
                                        horizon * 1000, 1000000);
  if (!series.ok()) {
    // A rule with no occurrence before the horizon is an empty series here, not an error.
    if (absl::StrContains(series.status().message(), "yields no occurrence from start_time"))
      return "";
    return "error " + std::string(series.status().message());
  }
  std::string out;
  for (const scheduler::MsInterval& o : *series)
    out += std::to_string(o.start / 1000) + "-" + std::to_string(o.end / 1000) + " ";
  return out;
}

}  // namespace
}  // namespace infrashare

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    const std::vector<std::string> f = absl::StrSplit(line, '\t');
    const date::time_zone* zone = f.size() == 9 ? infrashare::FindTimeZone(f[1]) : nullptr;
    std::string answer = "error malformed request";
    if (zone != nullptr && f[0] == "window") answer = infrashare::Window(f, zone);
    if (zone != nullptr && f[0] == "series") answer = infrashare::Series(f, zone);
    std::cout << answer << "\n";
  }
  return 0;
}
