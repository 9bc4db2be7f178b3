#include "services/common/availability.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace infrashare {
namespace {

// The dates a rule may name (services/common/rrule.h).
constexpr char kRuleDate[] = "must be a date YYYY-MM-DD from 1970-01-01 to 2200-12-31";

std::string Path(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

}  // namespace

void ValidateAvailabilityRule(const registry::v1::AvailabilityRule& rule, absl::string_view p,
                              FieldErrors* errors) {
  auto from = ParseDate(rule.valid_from());
  // valid_from is DTSTART: with it, a COUNT rule too sparse to expand is refused here rather
  // than stored to expand to nothing.
  if (auto rrule = from ? CheckRrule(rule.rrule(), *from) : CheckRrule(rule.rrule()); !rrule.ok())
    errors->Add(Path(p, "rrule"), std::string(rrule.message()));
  if (!ParseMinuteOfDay(rule.start_time()))
    errors->Add(Path(p, "start_time"), "must be a local time HH:MM");
  if (rule.duration_minutes() < 1 || rule.duration_minutes() > 10080)
    errors->Add(Path(p, "duration_minutes"), "must be between 1 and 10080 (a week)");
  if (!from) errors->Add(Path(p, "valid_from"), kRuleDate);
  if (!rule.valid_until().empty()) {
    auto until = ParseDate(rule.valid_until());
    if (!until) {
      errors->Add(Path(p, "valid_until"), kRuleDate);
    } else if (from && *until < *from) {
      errors->Add(Path(p, "valid_until"), "must not be before valid_from");
    }
  }
}

std::vector<Interval> OpenWindows(const registry::v1::Availability& availability,
                                  const date::time_zone* zone, SysSeconds from, SysSeconds to) {
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

}  // namespace infrashare
