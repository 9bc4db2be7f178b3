#include "services/common/rrule.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace infrashare {
namespace {

using date::days;
using date::local_days;

constexpr std::array<std::pair<absl::string_view, date::weekday>, 7> kWeekdays = {{
    {"MO", date::Monday},
    {"TU", date::Tuesday},
    {"WE", date::Wednesday},
    {"TH", date::Thursday},
    {"FR", date::Friday},
    {"SA", date::Saturday},
    {"SU", date::Sunday},
}};

absl::Status Invalid(absl::string_view part, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(part, " ", why));
}

// An optionally signed decimal of at most six digits; absl::SimpleAtoi would also take spaces.
std::optional<int> ParseInt(absl::string_view text, bool sign_allowed) {
  int sign = 1;
  if (sign_allowed && !text.empty() && (text[0] == '+' || text[0] == '-')) {
    if (text[0] == '-') sign = -1;
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 6) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return sign * value;
}

std::optional<date::weekday> ParseWeekday(absl::string_view text) {
  for (const auto& [name, weekday] : kWeekdays)
    if (text == name) return weekday;
  return std::nullopt;
}

// A comma-separated list of integers in [-max, -min] or [min, max] (negatives only when allowed).
absl::StatusOr<std::vector<int>> ParseIntList(absl::string_view part, absl::string_view value,
                                              int min, int max, bool negative_allowed) {
  std::vector<int> out;
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    std::optional<int> n = ParseInt(item, negative_allowed);
    const int magnitude = n ? std::abs(*n) : 0;
    if (!n || magnitude < min || magnitude > max)
      return Invalid(part, negative_allowed ? absl::StrCat("values are ", min, " to ", max, " or -",
                                                           max, " to -", min)
                                            : absl::StrCat("values are ", min, " to ", max));
    out.push_back(*n);
  }
  return out;
}

// YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ.
absl::StatusOr<RruleUntil> ParseUntil(absl::string_view text) {
  const absl::Status malformed =
      Invalid("UNTIL", "must be YYYYMMDD, YYYYMMDDTHHMMSS (local) or YYYYMMDDTHHMMSSZ (UTC)");
  if (text.size() != 8 && text.size() != 15 && text.size() != 16) return malformed;
  auto y = ParseInt(text.substr(0, 4), false);
  auto m = ParseInt(text.substr(4, 2), false);
  auto d = ParseInt(text.substr(6, 2), false);
  if (!y || !m || !d) return malformed;
  const date::year_month_day ymd{date::year(*y), date::month(static_cast<unsigned>(*m)),
                                 date::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return malformed;
  if (ymd < kFirstRuleDay || ymd > kLastRuleDay)
    return Invalid("UNTIL", "must lie between 1970-01-01 and 2200-12-31");
  const local_days day{ymd};
  if (text.size() == 8) return RruleUntil{day};
  auto hh = ParseInt(text.substr(9, 2), false);
  auto mm = ParseInt(text.substr(11, 2), false);
  auto ss = ParseInt(text.substr(13, 2), false);
  if (text[8] != 'T' || !hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 59) return malformed;
  const date::local_seconds local =
      day + std::chrono::hours(*hh) + std::chrono::minutes(*mm) + std::chrono::seconds(*ss);
  if (text.size() == 15) return RruleUntil{local};
  if (text[15] != 'Z') return malformed;
  return RruleUntil{std::chrono::sys_seconds(local.time_since_epoch())};
}

absl::Status ParseByDay(absl::string_view value, Rrule* rule) {
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    std::optional<date::weekday> weekday =
        item.size() >= 2 ? ParseWeekday(item.substr(item.size() - 2)) : std::nullopt;
    if (!weekday)
      return Invalid("BYDAY", "values are MO to SU, optionally after 1 to 53 or -53 to -1");
    const absl::string_view position = item.substr(0, item.size() - 2);
    if (position.empty()) {
      rule->weekdays.push_back(*weekday);
      continue;
    }
    std::optional<int> n = ParseInt(position, true);
    if (!n || *n == 0 || std::abs(*n) > 53)
      return Invalid("BYDAY", "values are MO to SU, optionally after 1 to 53 or -53 to -1");
    rule->nth_weekdays.push_back({*weekday, *n});
  }
  return absl::OkStatus();
}

// Parts RFC 5545 forbids together or for the frequency, and the limits of our own.
absl::Status CheckCombination(const Rrule& rule, bool has_count, bool has_until) {
  if (has_count && has_until) return Invalid("COUNT", "and UNTIL must not both be given");
  if (!rule.week_numbers.empty() && rule.frequency != Frequency::kYearly)
    return Invalid("BYWEEKNO", "is only allowed with FREQ=YEARLY");
  if (!rule.year_days.empty() && rule.frequency != Frequency::kYearly)
    return Invalid("BYYEARDAY", "is only allowed with FREQ=YEARLY");
  if (!rule.month_days.empty() && rule.frequency == Frequency::kWeekly)
    return Invalid("BYMONTHDAY", "is not allowed with FREQ=WEEKLY");
  if (!rule.nth_weekdays.empty() && rule.frequency != Frequency::kMonthly &&
      rule.frequency != Frequency::kYearly)
    return Invalid("BYDAY", "positions (1MO, -1FR) are only allowed with FREQ=MONTHLY or YEARLY");
  if (!rule.nth_weekdays.empty() && !rule.week_numbers.empty())
    return Invalid("BYDAY", "positions (1MO, -1FR) are not allowed with BYWEEKNO");
  if (!rule.set_positions.empty() && rule.months.empty() && rule.week_numbers.empty() &&
      rule.year_days.empty() && rule.month_days.empty() && rule.weekdays.empty() &&
      rule.nth_weekdays.empty())
    return Invalid("BYSETPOS", "needs another BY part to choose from");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Rrule> ParseRrule(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("is required");
  if (text.size() > 512) return absl::InvalidArgumentError("at most 512 characters");
  const std::string upper = absl::AsciiStrToUpper(text);
  Rrule rule;
  std::set<std::string> seen;
  bool has_frequency = false;
  for (absl::string_view part : absl::StrSplit(upper, ';')) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos || eq == 0 || eq + 1 == part.size())
      return absl::InvalidArgumentError("must be NAME=VALUE parts separated by ';'");
    const std::string name(part.substr(0, eq));
    const absl::string_view value = part.substr(eq + 1);
    if (!seen.insert(name).second) return Invalid(name, "is given twice");
    if (name == "FREQ") {
      has_frequency = true;
      if (value == "DAILY") {
        rule.frequency = Frequency::kDaily;
      } else if (value == "WEEKLY") {
        rule.frequency = Frequency::kWeekly;
      } else if (value == "MONTHLY") {
        rule.frequency = Frequency::kMonthly;
      } else if (value == "YEARLY") {
        rule.frequency = Frequency::kYearly;
      } else {
        return Invalid("FREQ",
                       "must be DAILY, WEEKLY, MONTHLY or YEARLY (a rule has one start "
                       "time a day)");
      }
    } else if (name == "INTERVAL") {
      std::optional<int> n = ParseInt(value, false);
      if (!n || *n < 1 || *n > kMaxRruleInterval)
        return Invalid("INTERVAL", absl::StrCat("must be 1 to ", kMaxRruleInterval));
      rule.interval = *n;
    } else if (name == "COUNT") {
      std::optional<int> n = ParseInt(value, false);
      if (!n || *n < 1 || *n > kMaxRruleCount)
        return Invalid("COUNT", absl::StrCat("must be 1 to ", kMaxRruleCount));
      rule.count = *n;
    } else if (name == "UNTIL") {
      auto until = ParseUntil(value);
      if (!until.ok()) return until.status();
      rule.until = *until;
    } else if (name == "WKST") {
      std::optional<date::weekday> weekday = ParseWeekday(value);
      if (!weekday) return Invalid("WKST", "must be MO, TU, WE, TH, FR, SA or SU");
      rule.week_start = *weekday;
    } else if (name == "BYMONTH") {
      auto months = ParseIntList(name, value, 1, 12, false);
      if (!months.ok()) return months.status();
      for (int m : *months) rule.months.push_back(static_cast<unsigned>(m));
    } else if (name == "BYWEEKNO") {
      auto weeks = ParseIntList(name, value, 1, 53, true);
      if (!weeks.ok()) return weeks.status();
      rule.week_numbers = *std::move(weeks);
    } else if (name == "BYYEARDAY") {
      auto year_days = ParseIntList(name, value, 1, 366, true);
      if (!year_days.ok()) return year_days.status();
      rule.year_days = *std::move(year_days);
    } else if (name == "BYMONTHDAY") {
      auto month_days = ParseIntList(name, value, 1, 31, true);
      if (!month_days.ok()) return month_days.status();
      rule.month_days = *std::move(month_days);
    } else if (name == "BYDAY") {
      if (auto status = ParseByDay(value, &rule); !status.ok()) return status;
    } else if (name == "BYSETPOS") {
      auto positions = ParseIntList(name, value, 1, 366, true);
      if (!positions.ok()) return positions.status();
      rule.set_positions = *std::move(positions);
    } else if (name == "BYHOUR" || name == "BYMINUTE" || name == "BYSECOND") {
      return Invalid(name, "is not supported: the start time is given apart from the RRULE");
    } else {
      return absl::InvalidArgumentError(
          "has an unknown part; known are FREQ, INTERVAL, COUNT, UNTIL, WKST, BYMONTH, BYWEEKNO, "
          "BYYEARDAY, BYMONTHDAY, BYDAY and BYSETPOS");
    }
  }
  if (!has_frequency) return Invalid("FREQ", "is required");
  if (auto status = CheckCombination(rule, seen.count("COUNT") > 0, seen.count("UNTIL") > 0);
      !status.ok())
    return status;
  return rule;
}

RruleDates::RruleDates(const Rrule& rule, local_days dtstart, std::int64_t max_steps)
    : rule_(rule), dtstart_(dtstart), max_steps_(max_steps), period_(dtstart) {
  const date::year_month_day start(dtstart);
  // RFC 5545 leaves these to DTSTART; dateutil (and so we) fill them in the same way.
  if (rule_.week_numbers.empty() && rule_.year_days.empty() && rule_.month_days.empty() &&
      rule_.weekdays.empty() && rule_.nth_weekdays.empty()) {
    switch (rule_.frequency) {
      case Frequency::kYearly:
        if (rule_.months.empty()) rule_.months.push_back(static_cast<unsigned>(start.month()));
        rule_.month_days.push_back(static_cast<int>(static_cast<unsigned>(start.day())));
        break;
      case Frequency::kMonthly:
        rule_.month_days.push_back(static_cast<int>(static_cast<unsigned>(start.day())));
        break;
      case Frequency::kWeekly:
        rule_.weekdays.push_back(date::weekday(dtstart));
        break;
      case Frequency::kDaily:
        break;
    }
  }
  for (unsigned m : rule_.months) months_.set(m);
  for (date::weekday w : rule_.weekdays) weekdays_.set(w.c_encoding());
  for (int d : rule_.year_days) year_days_.Add(d);
  for (int d : rule_.month_days) month_days_.Add(d);
  for (int w : rule_.week_numbers) week_numbers_.Add(w);
  for (const NthWeekday& nth : rule_.nth_weekdays)
    nth_weekdays_[nth.weekday.c_encoding()].Add(nth.n);
  // A BYSETPOS beyond the most days a period can select selects nothing, however long one walks.
  const int most_days = rule_.frequency == Frequency::kDaily ? 1
                        : rule_.frequency == Frequency::kWeekly
                            ? static_cast<int>(weekdays_.count())
                        : rule_.frequency == Frequency::kMonthly ? 31
                                                                 : 366;
  selects_nothing_ =
      !rule_.set_positions.empty() &&
      std::all_of(rule_.set_positions.begin(), rule_.set_positions.end(),
                  [most_days](int position) { return std::abs(position) > most_days; });
  if (rule_.frequency == Frequency::kMonthly)
    period_ = local_days(start.year() / start.month() / 1);
  if (rule_.frequency == Frequency::kYearly) period_ = local_days(start.year() / 1 / 1);
}

local_days RruleDates::WeekStart(local_days day) const {
  return day - (date::weekday(day) - rule_.week_start);
}

void RruleDates::SkipTo(local_days day) {
  if (day <= dtstart_) return;
  const int interval = rule_.interval;
  local_days target = period_;
  switch (rule_.frequency) {
    case Frequency::kDaily:
      target = dtstart_ + days((day - dtstart_).count() / interval * interval);
      break;
    case Frequency::kWeekly: {
      // Week 0 is DTSTART's week under WKST; its period starts at DTSTART itself.
      const local_days week0 = WeekStart(dtstart_);
      const auto k = (day - week0).count() / 7 / interval;
      target = k == 0 ? dtstart_ : week0 + days(7 * interval * k);
      break;
    }
    case Frequency::kMonthly: {
      const date::year_month first(date::year_month_day(dtstart_).year(),
                                   date::year_month_day(dtstart_).month());
      const date::year_month at(date::year_month_day(day).year(),
                                date::year_month_day(day).month());
      const auto k = (at - first).count() / interval;
      target = local_days((first + date::months(k * interval)) / 1);
      break;
    }
    case Frequency::kYearly: {
      const date::year first = date::year_month_day(dtstart_).year();
      const auto k = (date::year_month_day(day).year() - first).count() / interval;
      target = local_days((first + date::years(k * interval)) / 1 / 1);
      break;
    }
  }
  if (target > period_) {
    period_ = target;
    selected_.clear();
    next_ = 0;
  }
}

std::optional<local_days> RruleDates::Next(local_days last) {
  while (next_ == selected_.size()) {
    if (period_ > last || selects_nothing_) return std::nullopt;
    if (steps_ >= max_steps_) {
      out_of_steps_ = true;
      return std::nullopt;
    }
    SelectPeriod();
    AdvancePeriod();
  }
  if (selected_[next_] > last) return std::nullopt;
  return selected_[next_++];
}

local_days RruleDates::PeriodEnd() const {
  const date::year_month_day ymd(period_);
  switch (rule_.frequency) {
    case Frequency::kDaily:  // the rest of the month: see SelectPeriod
      return local_days((date::year_month(ymd.year(), ymd.month()) + date::months(1)) / 1);
    case Frequency::kWeekly:
      return WeekStart(period_) + days(7);
    case Frequency::kMonthly:
      return local_days((date::year_month(ymd.year(), ymd.month()) + date::months(1)) / 1);
    case Frequency::kYearly:
      return local_days((ymd.year() + date::years(1)) / 1 / 1);
  }
  return period_ + days(1);
}

void RruleDates::SelectPeriod() {
  candidates_.clear();
  AddCandidates(period_, PeriodEnd());
  std::sort(candidates_.begin(), candidates_.end());
  candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
  selected_.clear();
  next_ = 0;
  for (local_days day : candidates_)
    if (Selected(day)) selected_.push_back(day);
  // A DAILY rule takes the rest of a month at once (PeriodEnd), its days on the INTERVAL grid
  // (AddCandidates): its periods are single days, so a BYSETPOS of 1 or -1 keeps every selected
  // day, and one without selects nothing (selects_nothing_).
  if (!rule_.set_positions.empty() && rule_.frequency != Frequency::kDaily) {
    std::vector<local_days> chosen;
    const auto size = static_cast<int>(selected_.size());
    for (int position : rule_.set_positions) {
      const int index = position > 0 ? position - 1 : size + position;
      if (index >= 0 && index < size) chosen.push_back(selected_[index]);
    }
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    selected_ = std::move(chosen);
  }
  selected_.erase(selected_.begin(),
                  std::lower_bound(selected_.begin(), selected_.end(), dtstart_));
}

void RruleDates::AdvancePeriod() {
  const date::year_month_day ymd(period_);
  switch (rule_.frequency) {
    case Frequency::kDaily: {
      const auto behind = (PeriodEnd() - dtstart_).count();
      period_ = dtstart_ + days((behind + rule_.interval - 1) / rule_.interval * rule_.interval);
      break;
    }
    case Frequency::kWeekly:
      period_ = WeekStart(period_) + days(7 * rule_.interval);
      break;
    case Frequency::kMonthly:
      period_ = local_days(
          (date::year_month(ymd.year(), ymd.month()) + date::months(rule_.interval)) / 1);
      break;
    case Frequency::kYearly:
      period_ = local_days((ymd.year() + date::years(rule_.interval)) / 1 / 1);
      break;
  }
}

// Where in [first, end) a day may lie: all of it, or its parts in BYMONTH's months. A YEARLY
// rule's positioned weekdays count within each of these.
std::vector<RruleDates::DayRange> RruleDates::MonthRanges(local_days first, local_days end) const {
  if (rule_.months.empty()) return {{first, end}};
  std::vector<DayRange> ranges;
  const date::year_month_day ymd(first);
  for (date::year_month month(ymd.year(), ymd.month()); local_days(month / 1) < end;
       month += date::months(1)) {
    if (!months_.test(static_cast<unsigned>(month.month()))) continue;
    ranges.emplace_back(std::max(first, local_days(month / 1)),
                        std::min(end, local_days((month + date::months(1)) / 1)));
  }
  return ranges;
}

// Adds a superset of the period's selection to candidates_, from the BY part that names the
// fewest days; Selected then applies every part.
void RruleDates::AddCandidates(local_days first, local_days end) {
  const std::vector<DayRange> ranges = MonthRanges(first, end);
  std::size_t range_days = 0;
  for (const auto& [range_first, range_end] : ranges)
    range_days += static_cast<std::size_t>((range_end - range_first).count());
  // Only DAILY steps by INTERVAL inside a period; its ranges start on the grid.
  const int step = rule_.frequency == Frequency::kDaily ? rule_.interval : 1;
  const std::size_t months =
      rule_.frequency == Frequency::kYearly && rule_.months.empty() ? 12 : ranges.size();
  enum class Source { kEveryDay, kYearDays, kMonthDays, kWeekNumbers, kWeekdays };
  Source source = Source::kEveryDay;
  std::size_t fewest = range_days / static_cast<std::size_t>(step) + 1;
  const auto consider = [&](bool given, Source candidate, std::size_t estimate) {
    if (given && estimate < fewest) {
      source = candidate;
      fewest = estimate;
    }
  };
  consider(!rule_.year_days.empty(), Source::kYearDays, rule_.year_days.size());
  consider(!rule_.month_days.empty(), Source::kMonthDays, rule_.month_days.size() * months);
  consider(!rule_.week_numbers.empty(), Source::kWeekNumbers, 7 * rule_.week_numbers.size());
  consider(!rule_.weekdays.empty() || !rule_.nth_weekdays.empty(), Source::kWeekdays,
           weekdays_.count() * (range_days / 7 + 1) + rule_.nth_weekdays.size() * ranges.size());
  switch (source) {
    case Source::kEveryDay:
      for (const auto& [range_first, range_end] : ranges)
        for (local_days day = range_first; day < range_end; day += days(step))
          candidates_.push_back(day);
      break;
    case Source::kYearDays:
      AddYearDays(first, end);
      break;
    case Source::kMonthDays:
      AddMonthDays(ranges);
      break;
    case Source::kWeekNumbers:
      AddWeekNumbers(first, end);
      break;
    case Source::kWeekdays:
      AddWeekdays(ranges);
      break;
  }
  steps_ += std::max<std::int64_t>(1, static_cast<std::int64_t>(candidates_.size()));
  if (step > 1)
    candidates_.erase(
        std::remove_if(candidates_.begin(), candidates_.end(),
                       [&](local_days day) { return (day - dtstart_).count() % step; }),
        candidates_.end());
}

void RruleDates::AddYearDays(local_days first, local_days end) {
  const date::year year = date::year_month_day(first).year();
  const local_days january1(year / 1 / 1);
  const local_days next_january1((year + date::years(1)) / 1 / 1);
  for (int d : rule_.year_days) {
    const local_days day = d > 0 ? january1 + days(d - 1) : next_january1 + days(d);
    if (day >= first && day < end) candidates_.push_back(day);
  }
}

void RruleDates::AddMonthDays(const std::vector<DayRange>& ranges) {
  for (const auto& [range_first, range_end] : ranges) {
    const date::year_month_day ymd(range_first);
    for (date::year_month month(ymd.year(), ymd.month()); local_days(month / 1) < range_end;
         month += date::months(1)) {
      const local_days month_first(month / 1);
      const local_days month_last(month / date::last);
      for (int d : rule_.month_days) {
        const local_days day = d > 0 ? month_first + days(d - 1) : month_last + days(d + 1);
        if (day >= month_first && day <= month_last && day >= range_first && day < range_end)
          candidates_.push_back(day);
      }
    }
  }
}

// The days of [first, end) in the listed weeks: of its year, of the year before (whose last week
// may hold 1-3 January) and of the next (whose week 1 may hold 29-31 December).
void RruleDates::AddWeekNumbers(local_days first, local_days end) {
  const date::year year = date::year_month_day(first).year();
  for (const date::year owner : {year - date::years(1), year, year + date::years(1)}) {
    const local_days week1 = WeekStart(local_days(owner / 1 / 4));
    const int weeks_in_year = static_cast<int>(
        (WeekStart(local_days((owner + date::years(1)) / 1 / 4)) - week1).count() / 7);
    for (int n : rule_.week_numbers) {
      const int number = n > 0 ? n : weeks_in_year + n + 1;
      if (number < 1 || number > weeks_in_year) continue;
      const local_days week = week1 + days(7 * (number - 1));
      for (local_days day = std::max(week, first); day < std::min(week + days(7), end);
           day += days(1))
        candidates_.push_back(day);
    }
  }
}

void RruleDates::AddWeekdays(const std::vector<DayRange>& ranges) {
  for (const auto& [range_first, range_end] : ranges) {
    for (unsigned w = 0; w < 7; ++w) {
      if (!weekdays_.test(w)) continue;
      for (local_days day = range_first + (date::weekday(w) - date::weekday(range_first));
           day < range_end; day += days(7))
        candidates_.push_back(day);
    }
    const local_days range_last = range_end - days(1);
    for (const NthWeekday& nth : rule_.nth_weekdays) {
      const local_days day =
          nth.n > 0
              ? range_first + (nth.weekday - date::weekday(range_first)) + days(7 * (nth.n - 1))
              : range_last - (date::weekday(range_last) - nth.weekday) - days(7 * (-nth.n - 1));
      if (day >= range_first && day <= range_last) candidates_.push_back(day);
    }
  }
}

bool RruleDates::Selected(local_days day) const {
  const date::year_month_day ymd(day);
  if (!rule_.months.empty() && !months_.test(static_cast<unsigned>(ymd.month()))) return false;
  if (!rule_.week_numbers.empty() && !InWeekNumbers(day)) return false;
  if ((!rule_.weekdays.empty() || !rule_.nth_weekdays.empty()) &&
      !weekdays_.test(date::weekday(day).c_encoding()) && !IsNthWeekday(day, ymd))
    return false;
  if (!rule_.month_days.empty()) {
    const int month_day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    const int month_length = static_cast<int>(static_cast<unsigned>(
        date::year_month_day_last(ymd.year(), date::month_day_last(ymd.month())).day()));
    if (!month_days_.Has(month_day, month_length - month_day + 1)) return false;
  }
  if (!rule_.year_days.empty()) {
    const int year_day = static_cast<int>((day - local_days(ymd.year() / 1 / 1)).count()) + 1;
    const int year_length = ymd.year().is_leap() ? 366 : 365;
    if (!year_days_.Has(year_day, year_length - year_day + 1)) return false;
  }
  return true;
}

// Whether a positioned BYDAY names `day`: counted in its month for MONTHLY and for YEARLY with
// BYMONTH, else in its year.
bool RruleDates::IsNthWeekday(local_days day, const date::year_month_day& ymd) const {
  const auto& positions = nth_weekdays_[date::weekday(day).c_encoding()];
  if (positions.from_start.none() && positions.from_end.none()) return false;
  const bool in_month = rule_.frequency == Frequency::kMonthly || !rule_.months.empty();
  const local_days first =
      in_month ? local_days(ymd.year() / ymd.month() / 1) : local_days(ymd.year() / 1 / 1);
  const local_days last = in_month ? local_days(ymd.year() / ymd.month() / date::last)
                                   : local_days(ymd.year() / 12 / 31);
  return positions.Has(static_cast<int>((day - first).count() / 7) + 1,
                       static_cast<int>((last - day).count() / 7) + 1);
}

// RFC 5545 week numbers under WKST: week 1 is the first week with at least four days of the year,
// so the week holding 4 January; a week belongs to the year that holds its fourth day.
bool RruleDates::InWeekNumbers(local_days day) const {
  const local_days week = WeekStart(day);
  const date::year year = date::year_month_day(week + days(3)).year();
  const local_days week1 = WeekStart(local_days(year / 1 / 4));
  const local_days next_week1 = WeekStart(local_days((year + date::years(1)) / 1 / 4));
  const int number = static_cast<int>((week - week1).count() / 7) + 1;
  const int weeks_in_year = static_cast<int>((next_week1 - week1).count() / 7);
  return week_numbers_.Has(number, weeks_in_year - number + 1);
}

std::optional<local_days> LastCountDate(const Rrule& rule, local_days dtstart) {
  RruleDates dates(rule, dtstart, kMaxCountWalkSteps);
  local_days last(kLastRuleDay);
  for (int n = 0; n < *rule.count; ++n) {
    std::optional<local_days> day = dates.Next(local_days(kLastRuleDay));
    if (!day) return dates.OutOfSteps() ? std::nullopt : std::optional<local_days>(last);
    last = *day;
  }
  return last;
}

}  // namespace infrashare
