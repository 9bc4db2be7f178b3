// RRULE parsing and expansion (services/common/rrule.h, recurrence.h) on any text. Input:
//   [u16 DTSTART: days after 2020-01-01] [zone] [u16 start minute] [u16 duration minutes]
//   [range start: weeks after DTSTART] [range length: days] [the rule's text]
// A rule that parses is expanded over that range: dates after DTSTART in order, windows and series
// starts in order and inside the range, in a number the range bounds, within the step budget.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "services/common/recurrence.h"
#include "services/common/rrule.h"
#include "tests/fuzz/invariant.h"

namespace {

using infrashare::fuzz::Require;

// Zones with unusual DST: a 30-minute shift, a 45-minute offset, a skipped calendar day, a
// southern-hemisphere change, and none at all.
constexpr const char* kZones[] = {
    "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham",
    "Pacific/Apia",     "America/Santiago", "Asia/Kathmandu",      "UTC"};

void ExpandDates(const infrashare::Rrule& rule, date::local_days dtstart) {
  constexpr std::int64_t kSteps = 20000;
  infrashare::RruleDates dates(rule, dtstart, kSteps);
  const date::local_days last = dtstart + date::days(3 * 366);
  std::optional<date::local_days> previous;
  for (int n = 0; n < 2000; ++n) {
    const auto day = dates.Next(last);
    if (!day) break;
    Require(*day >= dtstart && *day <= last, "a date lies from DTSTART to the last day asked for");
    if (previous) Require(*previous < *day, "dates are in order, each once");
    previous = day;
  }
  // A period costs its candidate days, and at least one step; one over the budget stops the walk.
  Require(dates.steps() <= kSteps + 367, "a walk stops near its step budget");
  if (rule.count) {
    if (const auto count_last = infrashare::LastCountDate(rule, dtstart))
      Require(*count_last >= dtstart, "a COUNT rule's last date is not before DTSTART");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) return 0;
  const date::local_days dtstart =
      date::local_days(date::year(2020) / 1 / 1) + date::days(data[0] | (data[1] << 8));
  const date::time_zone* zone = infrashare::FindTimeZone(kZones[data[2] % std::size(kZones)]);
  const int start_minute = (data[3] | (data[4] << 8)) % 1440;
  const int duration = 1 + (data[5] | (data[6] << 8)) % 10080;
  const int range_weeks = data[7];
  const int range_days = 1 + data[8] % 64;
  const absl::string_view text(reinterpret_cast<const char*>(data + 9), size - 9);

  infrashare::ParseDate(text);
  infrashare::ParseMinuteOfDay(text);
  const auto rule = infrashare::ParseRrule(text);
  const absl::Status checked = infrashare::CheckRrule(text);
  Require(rule.ok() == checked.ok(), "CheckRrule accepts what ParseRrule parses");
  if (!rule.ok()) return 0;
  const date::year_month_day valid_from(dtstart);
  if (!valid_from.ok() || date::local_days(valid_from) > date::local_days(infrashare::kLastRuleDay))
    return 0;
  ExpandDates(*rule, dtstart);
  if (!infrashare::CheckRrule(text, valid_from).ok()) return 0;

  const infrashare::SysSeconds from =
      infrashare::LocalToUtc(zone, date::local_seconds(dtstart) + date::days(7 * range_weeks));
  const infrashare::SysSeconds to = from + date::days(range_days);
  const infrashare::LocalWindowRule window_rule{std::string(text), start_minute, duration,
                                                valid_from, std::nullopt};
  const auto windows = infrashare::ExpandWindows(window_rule, zone, from, to);
  // At most one window starts a day; a week-long one may reach into the range from 8 days back.
  Require(windows.size() <= static_cast<size_t>(range_days) + 9,
          "windows are bounded by the range");
  for (size_t i = 0; i < windows.size(); ++i) {
    Require(windows[i].start < windows[i].end, "a window is not empty");
    Require(windows[i].start >= from && windows[i].end <= to, "a window is clipped to the range");
    if (i > 0) Require(windows[i - 1].start <= windows[i].start, "windows are in time order");
  }

  const date::local_seconds local_start =
      date::local_seconds(dtstart) + std::chrono::minutes(start_minute);
  const auto starts = infrashare::ExpandSeriesStarts(text, zone, local_start, from, to);
  if (!starts.ok()) return 0;
  Require(starts->size() <= static_cast<size_t>(range_days) + 1,
          "series starts are bounded by the range");
  for (size_t i = 0; i < starts->size(); ++i) {
    Require((*starts)[i] >= from && (*starts)[i] < to, "a series start lies in the range");
    if (i > 0) Require((*starts)[i - 1] < (*starts)[i], "series starts are in order, each once");
  }
  return 0;
}
