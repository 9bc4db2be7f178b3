#include "services/common/recurrence.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/rrule.h"

namespace infrashare {
namespace {

using date::days;
using date::local_days;

// A COUNT rule's last date (LastCountDate): found by walking from DTSTART once, then remembered,
// so that a COUNT rule skips ahead to the range asked for like any other rule. The walk is bounded
// by kMaxCountWalkSteps; a rule that needs more is remembered as nullopt and yields nothing. Keyed
// by the rule's text and DTSTART's date: the walk is in local dates, so neither the time of day
// nor the zone changes it.
class LastCountDateCache {
 public:
  std::optional<local_days> Get(const Rrule& rule, absl::string_view text, local_days dtstart) {
    std::string key = absl::StrCat(text, "@", dtstart.time_since_epoch().count());
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = entries_.find(key); it != entries_.end()) {
        order_.splice(order_.begin(), order_, it->second.second);
        return it->second.first;
      }
    }
    const std::optional<local_days> last = LastCountDate(rule, dtstart);
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.count(key) == 0) {
      if (entries_.size() == kCapacity) {
        entries_.erase(order_.back());
        order_.pop_back();
      }
      order_.push_front(key);
      entries_.emplace(std::move(key), std::make_pair(last, order_.begin()));
    }
    return last;
  }

 private:
  static constexpr size_t kCapacity = 1024;

  std::mutex mu_;
  std::list<std::string> order_;  // most recently used first
  std::unordered_map<std::string,
                     std::pair<std::optional<local_days>, std::list<std::string>::iterator>>
      entries_;
};

LastCountDateCache& CountCache() {
  static auto* cache = new LastCountDateCache();
  return *cache;
}

absl::Status TooSparse() {
  return absl::InvalidArgumentError(
      absl::StrCat("COUNT rule too sparse to expand (its last date is not found within ",
                   kMaxCountWalkSteps, " steps); use UNTIL"));
}

// The local starts of the occurrences of `rule` (DTSTART `dtstart`) on the local dates [first,
// last], within the rule's reach: COUNT, UNTIL, `valid_until` and kLastRuleDay. INVALID_ARGUMENT
// when the rule has COUNT and is too sparse to find its last date (TooSparse).
absl::StatusOr<std::vector<date::local_seconds>> LocalStarts(
    const Rrule& rule, absl::string_view text, date::local_seconds dtstart,
    std::optional<date::year_month_day> valid_until, const date::time_zone* zone, local_days first,
    local_days last) {
  const local_days start_day = date::floor<days>(dtstart);
  const auto time_of_day = dtstart - start_day;
  last = std::min(last, local_days(kLastRuleDay));
  if (valid_until) last = std::min(last, local_days(*valid_until));
  if (rule.count) {
    const std::optional<local_days> last_count_date = CountCache().Get(rule, text, start_day);
    if (!last_count_date) return TooSparse();
    last = std::min(last, *last_count_date);
  }
  std::optional<SysSeconds> until_instant;
  if (rule.until) {
    if (const auto* day = std::get_if<local_days>(&*rule.until)) {
      last = std::min(last, *day);
    } else if (const auto* local = std::get_if<date::local_seconds>(&*rule.until)) {
      last = std::min(last, date::floor<days>(*local - time_of_day));
    } else {
      until_instant = std::get<SysSeconds>(*rule.until);
      // No zone is more than a day ahead of UTC; the exact test is per occurrence below.
      last = std::min(last,
                      local_days(date::floor<days>(*until_instant).time_since_epoch()) + days(1));
    }
  }
  std::vector<date::local_seconds> starts;
  RruleDates dates(rule, start_day);
  dates.SkipTo(first);
  while (std::optional<local_days> day = dates.Next(last)) {
    if (*day < first) continue;
    const date::local_seconds start = *day + time_of_day;
    if (until_instant && LocalToUtc(zone, start) > *until_instant) break;
    starts.push_back(start);
  }
  return starts;
}

// The one place where a window's wall-clock interval becomes UTC (see recurrence.h).
Interval WallClockWindow(const date::time_zone* zone, date::local_seconds start,
                         std::chrono::minutes duration) {
  date::local_seconds end = start + duration;
  const date::local_info info = zone->get_info(start);
  if (info.result == date::local_info::nonexistent) {
    const auto gap = info.second.offset - info.first.offset;
    start += gap;
    end += gap;
  }
  return {LocalToUtc(zone, start), LocalToUtc(zone, end)};
}

local_days LocalDayOf(SysSeconds t) { return local_days(date::floor<days>(t).time_since_epoch()); }

}  // namespace

const date::time_zone* FindTimeZone(absl::string_view name) {
  if (name.empty() || name.size() > 64) return nullptr;
  try {
    return date::locate_zone(std::string(name));
  } catch (const std::exception&) {
    return nullptr;
  }
}

absl::Status CheckRrule(absl::string_view rrule) { return ParseRrule(rrule).status(); }

absl::Status CheckRrule(absl::string_view rrule, date::year_month_day dtstart) {
  auto parsed = ParseRrule(rrule);
  if (!parsed.ok()) return parsed.status();
  if (parsed->count && !CountCache().Get(*parsed, rrule, local_days(dtstart))) return TooSparse();
  return absl::OkStatus();
}

SysSeconds LocalToUtc(const date::time_zone* zone, date::local_seconds local) {
  // `first` is the offset in force before any transition at `local`: the only one for a unique
  // time, the first instance of an ambiguous one, and for a time in the gap the offset before it,
  // which moves it forward by the gap (as Python's zoneinfo does with fold=0).
  return SysSeconds(local.time_since_epoch() - zone->get_info(local).first.offset);
}

std::vector<Interval> ExpandWindows(const LocalWindowRule& rule, const date::time_zone* zone,
                                    SysSeconds from, SysSeconds to) {
  std::vector<Interval> out;
  if (to <= from || rule.duration_minutes <= 0) return out;
  auto parsed = ParseRrule(rule.rrule);
  if (!parsed.ok()) return out;
  const std::chrono::minutes duration(rule.duration_minutes);
  const date::local_seconds dtstart =
      local_days(rule.valid_from) + std::chrono::minutes(rule.start_minute);
  // A window overlapping [from, to) starts at most its duration, a zone offset and a gap before it.
  const local_days first = LocalDayOf(from - duration) - days(2);
  const local_days last = LocalDayOf(to) + days(2);
  auto starts = LocalStarts(*parsed, rule.rrule, dtstart, rule.valid_until, zone, first, last);
  if (!starts.ok()) return out;
  for (const date::local_seconds start : *starts) {
    const Interval window = WallClockWindow(zone, start, duration);
    if (window.start >= to) break;
    if (window.end <= from) continue;
    out.push_back({std::max(window.start, from), std::min(window.end, to)});
  }
  return out;
}

absl::StatusOr<std::vector<SysSeconds>> ExpandSeriesStarts(absl::string_view rrule,
                                                           const date::time_zone* zone,
                                                           date::local_seconds dtstart,
                                                           SysSeconds from, SysSeconds to) {
  auto parsed = ParseRrule(rrule);
  if (!parsed.ok()) return parsed.status();
  auto locals = LocalStarts(*parsed, rrule, dtstart, std::nullopt, zone, LocalDayOf(from) - days(2),
                            LocalDayOf(to) + days(2));
  if (!locals.ok()) return locals.status();
  std::vector<SysSeconds> out;
  for (const date::local_seconds local : *locals) {
    const SysSeconds start = LocalToUtc(zone, local);
    if (start >= to) break;
    if (start >= from) out.push_back(start);
  }
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

std::vector<Interval> SubtractIntervals(const std::vector<Interval>& base,
                                        std::vector<Interval> cut) {
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
  if (!ymd.ok() || ymd < kFirstRuleDay || ymd > kLastRuleDay) return std::nullopt;
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
