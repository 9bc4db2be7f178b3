#include "services/common/recurrence.h"

#include "absl/strings/string_view.h"
#include <libical/ical.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace infrashare {
namespace {

void InitLibical() {
  static std::once_flag once;
  std::call_once(once, [] { icalerror_set_errors_are_fatal(0); });
}

icaltimetype ToIcal(date::local_seconds local) {
  auto day = date::floor<date::days>(local);
  date::year_month_day ymd(day);
  date::hh_mm_ss<std::chrono::seconds> hms(local - day);
  icaltimetype t = icaltime_null_time();
  t.year = static_cast<int>(ymd.year());
  t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<int>(hms.hours().count());
  t.minute = static_cast<int>(hms.minutes().count());
  t.second = static_cast<int>(hms.seconds().count());
  t.is_date = 0;
  return t;
}

date::local_seconds FromIcal(const icaltimetype& t) {
  return date::local_days(date::year(t.year) / t.month / t.day) + std::chrono::hours(t.hour) +
         std::chrono::minutes(t.minute) + std::chrono::seconds(t.second);
}

}  // namespace

const date::time_zone* FindTimeZone(absl::string_view name) {
  if (name.empty() || name.size() > 64) return nullptr;
  try {
    return date::locate_zone(std::string(name));
  } catch (const std::exception&) {
    return nullptr;
  }
}

absl::Status CheckRrule(absl::string_view rrule) {
  InitLibical();
  if (rrule.empty()) return absl::InvalidArgumentError("is required");
  if (rrule.size() > 512) return absl::InvalidArgumentError("at most 512 characters");
  std::string text(rrule);
  icalerror_clear_errno();
  icalrecurrencetype recur = icalrecurrencetype_from_string(text.c_str());
  if (recur.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
    icalerror_clear_errno();
    return absl::InvalidArgumentError(absl::StrCat("not a valid RFC 5545 RRULE: '", text, "'"));
  }
  if (recur.freq == ICAL_SECONDLY_RECURRENCE || recur.freq == ICAL_MINUTELY_RECURRENCE ||
      recur.freq == ICAL_HOURLY_RECURRENCE)
    return absl::InvalidArgumentError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY");
  return absl::OkStatus();
}

SysSeconds LocalToUtc(const date::time_zone* zone, date::local_seconds local) {
  auto info = zone->get_info(local);
  switch (info.result) {
    case date::local_info::unique:
      return SysSeconds(local.time_since_epoch() - info.first.offset);
    case date::local_info::ambiguous:
      return SysSeconds(local.time_since_epoch() - info.first.offset);
    case date::local_info::nonexistent:
    default:
      return info.second.begin;  // the instant the clocks jumped
  }
}

std::vector<Interval> ExpandWindows(const LocalWindowRule& rule, const date::time_zone* zone,
                                    SysSeconds from, SysSeconds to, size_t max_occurrences) {
  InitLibical();
  std::vector<Interval> out;
  if (to <= from || rule.duration_minutes <= 0) return out;
  icalrecurrencetype recur = icalrecurrencetype_from_string(rule.rrule.c_str());
  if (recur.freq == ICAL_NO_RECURRENCE) return out;

  const date::local_seconds dtstart =
      date::local_days(rule.valid_from) + std::chrono::minutes(rule.start_minute);
  const auto duration = std::chrono::minutes(rule.duration_minutes);
  icalrecur_iterator* it = icalrecur_iterator_new(recur, ToIcal(dtstart));
  if (it == nullptr) return out;
  // Jump close to the range instead of walking from DTSTART (not allowed for COUNT rules).
  const date::local_seconds local_from = date::local_seconds(from.time_since_epoch()) -
                                         duration - date::days(2);
  if (recur.count == 0 && local_from > dtstart) icalrecur_iterator_set_start(it, ToIcal(local_from));

  std::optional<date::local_seconds> last_day;
  if (rule.valid_until) last_day = date::local_days(*rule.valid_until) + date::days(1);
  for (size_t n = 0; n < max_occurrences; ++n) {
    icaltimetype next = icalrecur_iterator_next(it);
    if (icaltime_is_null_time(next)) break;
    const date::local_seconds local_start = FromIcal(next);
    if (last_day && local_start >= *last_day) break;
    const SysSeconds start = LocalToUtc(zone, local_start);
    const SysSeconds end = LocalToUtc(zone, local_start + duration);
    if (start >= to) break;
    if (end <= from || end <= start) continue;
    out.push_back({std::max(start, from), std::min(end, to)});
  }
  icalrecur_iterator_free(it);
  return out;
}

std::vector<Interval> MergeIntervals(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  std::vector<Interval> merged;
  for (const auto& i : intervals) {
    if (i.end <= i.start) continue;
    if (!merged.empty() && i.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, i.end);
    } else {
      merged.push_back(i);
    }
  }
  return merged;
}

std::vector<Interval> SubtractIntervals(const std::vector<Interval>& base, std::vector<Interval> cut) {
  cut = MergeIntervals(std::move(cut));
  std::vector<Interval> out;
  size_t c = 0;
  for (Interval piece : base) {
    while (c < cut.size() && cut[c].end <= piece.start) ++c;
    size_t k = c;
    while (k < cut.size() && cut[k].start < piece.end) {
      if (cut[k].start > piece.start) out.push_back({piece.start, cut[k].start});
      piece.start = std::max(piece.start, cut[k].end);
      ++k;
    }
    if (piece.start < piece.end) out.push_back(piece);
  }
  return out;
}

std::optional<date::year_month_day> ParseDate(absl::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !absl::SimpleAtoi(text.substr(0, 4), &y) || !absl::SimpleAtoi(text.substr(5, 2), &m) ||
      !absl::SimpleAtoi(text.substr(8, 2), &d))
    return std::nullopt;
  date::year_month_day ymd{date::year(y), date::month(static_cast<unsigned>(m)),
                           date::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || y < 1970 || y > 2200) return std::nullopt;
  return ymd;
}

std::optional<int> ParseMinuteOfDay(absl::string_view text) {
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' || !absl::SimpleAtoi(text.substr(0, 2), &h) ||
      !absl::SimpleAtoi(text.substr(3, 2), &m) || h < 0 || h > 23 || m < 0 || m > 59)
    return std::nullopt;
  return h * 60 + m;
}

}  // namespace infrashare
