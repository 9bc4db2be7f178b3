#include "services/common/availability.h"

#include <array>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace infrashare {
namespace {

// The dates a rule may name (services/common/rrule.h).
constexpr char kRuleDate[] = "must be a date YYYY-MM-DD from 1970-01-01 to 2200-12-31";

std::string Path(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

// "HH:MM" from 00:00 to 24:00, in minutes.
std::optional<int> Minutes(absl::string_view text) {
  int hours = 0, minutes = 0;
  if (text.size() != 5 || text[2] != ':' || !absl::SimpleAtoi(text.substr(0, 2), &hours) ||
      !absl::SimpleAtoi(text.substr(3), &minutes) || !absl::ascii_isdigit(text[0]) ||
      !absl::ascii_isdigit(text[3]) || hours < 0 || minutes < 0 || minutes > 59 ||
      hours * 60 + minutes > 24 * 60)
    return std::nullopt;
  return hours * 60 + minutes;
}

}  // namespace

std::optional<registry::v1::AvailabilityRule> WeeklyHours(absl::string_view text) {
  static constexpr std::array<absl::string_view, 7> kDays = {"MO", "TU", "WE", "TH",
                                                             "FR", "SA", "SU"};
  auto day = [](absl::string_view name) -> std::optional<int> {
    for (int d = 0; d < 7; ++d)
      if (absl::EqualsIgnoreCase(kDays[d], name)) return d;
    return std::nullopt;
  };
  std::vector<absl::string_view> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (parts.size() != 2) return std::nullopt;
  std::array<bool, 7> on{};
  for (absl::string_view item : absl::StrSplit(parts[0], ',')) {
    std::vector<absl::string_view> range = absl::StrSplit(item, '-');
    if (range.size() > 2) return std::nullopt;
    auto first = day(range.front());
    auto last = day(range.back());
    if (!first || !last || *last < *first) return std::nullopt;
    for (int d = *first; d <= *last; ++d) on[d] = true;
  }
  std::vector<absl::string_view> span = absl::StrSplit(parts[1], '-');
  if (span.size() != 2) return std::nullopt;
  auto start = Minutes(span[0]);
  auto end = Minutes(span[1]);
  if (!start || !end || *end <= *start || *start == 24 * 60) return std::nullopt;
  std::vector<absl::string_view> days;
  for (int d = 0; d < 7; ++d)
    if (on[d]) days.push_back(kDays[d]);
  registry::v1::AvailabilityRule rule;
  rule.set_rrule(absl::StrCat("FREQ=WEEKLY;BYDAY=", absl::StrJoin(days, ",")));
  rule.set_start_time(std::string(span[0]));
  rule.set_duration_minutes(*end - *start);
  rule.set_valid_from("2000-01-01");
  return rule;
}

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
  // No rules: open at any time, less the closures (as a resource that published nothing is open
  // at any time; one that publishes a closure alone is not closed for good).
  if (availability.rules().empty()) open.push_back({from, to});
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
