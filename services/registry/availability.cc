#include "services/registry/availability.h"

namespace infrashare::registry {

std::vector<Interval> OpenWindows(const v1::Availability& availability, const date::time_zone* zone,
                                  SysSeconds from, SysSeconds to) {
  std::vector<Interval> open;
  for (const auto& rule : availability.rules()) {
    auto start_minute = ParseMinuteOfDay(rule.start_time());
    auto valid_from = ParseDate(rule.valid_from());
    if (!start_minute || !valid_from) continue;
    LocalWindowRule local{rule.rrule(), *start_minute, rule.duration_minutes(), *valid_from,
                          ParseDate(rule.valid_until())};
    for (const auto& i : ExpandWindows(local, zone, from, to)) open.push_back(i);
  }
  std::vector<Interval> closed;
  for (const auto& c : availability.closures())
    closed.push_back({SysSeconds(std::chrono::seconds(c.start_time().seconds())),
                      SysSeconds(std::chrono::seconds(c.end_time().seconds()))});
  return SubtractIntervals(MergeIntervals(std::move(open)), std::move(closed));
}

}  // namespace infrashare::registry
