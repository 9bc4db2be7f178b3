#include "services/common/recurrence.h"

#include <gtest/gtest.h>

namespace infrashare {
namespace {

using namespace std::chrono_literals;
using date::days;

SysSeconds Utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  return SysSeconds(date::sys_days(date::year(y) / m / d)) + std::chrono::hours(h) +
         std::chrono::minutes(min);
}

const date::time_zone* Amsterdam() { return FindTimeZone("Europe/Amsterdam"); }
const date::time_zone* NewYork() { return FindTimeZone("America/New_York"); }

LocalWindowRule Daily(int start_minute, int duration, date::year_month_day from) {
  return LocalWindowRule{"FREQ=DAILY", start_minute, duration, from, std::nullopt};
}

TEST(Recurrence, WindowKeepsLocalTimeAcrossSpringForward) {
  // 2026-03-29: clocks go from 02:00 CET to 03:00 CEST in Europe/Amsterdam.
  auto windows = ExpandWindows(Daily(8 * 60 + 30, 8 * 60, date::year(2026) / 3 / 27), Amsterdam(),
                               Utc(2026, 3, 28, 0), Utc(2026, 3, 31, 0));
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(windows[0], (Interval{Utc(2026, 3, 28, 7, 30), Utc(2026, 3, 28, 15, 30)}));  // CET
  EXPECT_EQ(windows[1], (Interval{Utc(2026, 3, 29, 6, 30), Utc(2026, 3, 29, 14, 30)}));  // CEST
  EXPECT_EQ(windows[2], (Interval{Utc(2026, 3, 30, 6, 30), Utc(2026, 3, 30, 14, 30)}));
}

TEST(Recurrence, WindowKeepsLocalTimeAcrossFallBack) {
  // 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET.
  auto windows = ExpandWindows(Daily(8 * 60 + 30, 8 * 60, date::year(2026) / 10 / 1), Amsterdam(),
                               Utc(2026, 10, 24, 0), Utc(2026, 10, 26, 0));
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0], (Interval{Utc(2026, 10, 24, 6, 30), Utc(2026, 10, 24, 14, 30)}));  // CEST
  EXPECT_EQ(windows[1], (Interval{Utc(2026, 10, 25, 7, 30), Utc(2026, 10, 25, 15, 30)}));  // CET
}

TEST(Recurrence, WholeDayWindowIs23HoursInSpringAnd25InAutumn) {
  auto spring = ExpandWindows(Daily(0, 24 * 60, date::year(2026) / 3 / 29), Amsterdam(),
                              Utc(2026, 3, 28, 0), Utc(2026, 3, 29, 22, 0));
  ASSERT_FALSE(spring.empty());
  EXPECT_EQ(spring[0].start, Utc(2026, 3, 28, 23));
  EXPECT_EQ(spring[0].end, Utc(2026, 3, 29, 22));
  EXPECT_EQ(spring[0].end - spring[0].start, std::chrono::hours(23));
  auto autumn = ExpandWindows(Daily(0, 24 * 60, date::year(2026) / 10 / 25), Amsterdam(),
                              Utc(2026, 10, 24, 0), Utc(2026, 10, 26, 0));
  ASSERT_FALSE(autumn.empty());
  EXPECT_EQ(autumn[0].end - autumn[0].start, std::chrono::hours(25));
}

TEST(Recurrence, AmbiguousAutumnTimeTakesTheEarlierInstant) {
  auto windows = ExpandWindows(Daily(2 * 60 + 30, 15, date::year(2026) / 10 / 25), Amsterdam(),
                               Utc(2026, 10, 24, 0), Utc(2026, 10, 25, 12));
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].start, Utc(2026, 10, 25, 0, 30));  // 02:30 CEST
}

TEST(Recurrence, WeeklyRuleRespectsValidUntilAndClipsToTheRange) {
  LocalWindowRule rule{"FREQ=WEEKLY;BYDAY=MO,WE", 9 * 60, 120, date::year(2026) / 1 / 5,
                       date::year(2026) / 1 / 14};
  auto windows = ExpandWindows(rule, Amsterdam(), Utc(2026, 1, 5, 9), Utc(2026, 2, 1, 0));
  ASSERT_EQ(windows.size(), 4u);                    // Jan 5, 7, 12, 14
  EXPECT_EQ(windows[0].start, Utc(2026, 1, 5, 9));  // clipped: the window began at 08:00 UTC
  EXPECT_EQ(windows[3].start, Utc(2026, 1, 14, 8));
}

TEST(Recurrence, CountRuleStopsAfterCount) {
  LocalWindowRule rule{"FREQ=DAILY;COUNT=3", 9 * 60, 60, date::year(2026) / 6 / 1, std::nullopt};
  EXPECT_EQ(ExpandWindows(rule, Amsterdam(), Utc(2026, 5, 1, 0), Utc(2026, 7, 1, 0)).size(), 3u);
}

TEST(Recurrence, FarRangeDoesNotWalkFromDtstart) {
  LocalWindowRule rule{"FREQ=DAILY", 9 * 60, 60, date::year(1990) / 1 / 1, std::nullopt};
  auto windows = ExpandWindows(rule, Amsterdam(), Utc(2026, 6, 1, 0), Utc(2026, 6, 3, 0));
  EXPECT_EQ(windows.size(), 2u);
}

TEST(Recurrence, UtcUntilIsAnInstant) {
  // 09:00 CEST is 07:00Z, before UNTIL (08:30Z): 10 June is the last day.
  LocalWindowRule rule{"FREQ=DAILY;UNTIL=20270610T083000Z", 9 * 60, 60, date::year(2027) / 6 / 7,
                       std::nullopt};
  auto amsterdam = ExpandWindows(rule, Amsterdam(), Utc(2027, 6, 1, 0), Utc(2027, 7, 1, 0));
  ASSERT_EQ(amsterdam.size(), 4u);
  EXPECT_EQ(amsterdam.back().start, Utc(2027, 6, 10, 7));
  // 06:00 EDT is 10:00Z, after UNTIL: 9 June is the last day.
  rule.start_minute = 6 * 60;
  auto new_york = ExpandWindows(rule, NewYork(), Utc(2027, 6, 1, 0), Utc(2027, 7, 1, 0));
  ASSERT_EQ(new_york.size(), 3u);
  EXPECT_EQ(new_york.back().start, Utc(2027, 6, 9, 10));
}

TEST(Recurrence, DateUntilIncludesThatWholeDay) {
  LocalWindowRule rule{"FREQ=DAILY;UNTIL=20270610", 9 * 60, 60, date::year(2027) / 6 / 7,
                       std::nullopt};
  auto windows = ExpandWindows(rule, Amsterdam(), Utc(2027, 6, 1, 0), Utc(2027, 7, 1, 0));
  ASSERT_EQ(windows.size(), 4u);
  EXPECT_EQ(windows.back().start, Utc(2027, 6, 10, 7));
}

TEST(Recurrence, LocalUntilIsWallClockTimeInTheRulesZone) {
  LocalWindowRule rule{"FREQ=DAILY;UNTIL=20270610T090000", 9 * 60, 60, date::year(2027) / 6 / 7,
                       std::nullopt};
  EXPECT_EQ(ExpandWindows(rule, NewYork(), Utc(2027, 6, 1, 0), Utc(2027, 7, 1, 0)).size(), 4u);
  rule.rrule = "FREQ=DAILY;UNTIL=20270610T085900";
  EXPECT_EQ(ExpandWindows(rule, NewYork(), Utc(2027, 6, 1, 0), Utc(2027, 7, 1, 0)).size(), 3u);
}

std::vector<date::year_month_day> LocalDays(const std::vector<Interval>& windows) {
  std::vector<date::year_month_day> out;
  for (const auto& w : windows) out.emplace_back(date::floor<days>(Amsterdam()->to_local(w.start)));
  return out;
}

TEST(Recurrence, BiweeklyRuleCountsWeeksFromTheFirstOccurrencesWeekUnderWkst) {
  using date::year;
  // Thursday 2027-03-25 is a rule day: it is the first occurrence; its week (from Saturday
  // 03-20, or Friday 03-19) is week 0, the next is skipped.
  const std::vector<date::year_month_day> expected = {year(2027) / 3 / 25, year(2027) / 4 / 4,
                                                      year(2027) / 4 / 7,  year(2027) / 4 / 8,
                                                      year(2027) / 4 / 18, year(2027) / 4 / 21};
  for (const char* wkst : {"SA", "FR"}) {
    LocalWindowRule rule{std::string("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,TH,SU;COUNT=6;WKST=") + wkst,
                         9 * 60, 60, year(2027) / 3 / 25, std::nullopt};
    EXPECT_EQ(LocalDays(ExpandWindows(rule, Amsterdam(), Utc(2027, 3, 1, 0), Utc(2027, 6, 1, 0))),
              expected)
        << wkst;
  }
  // From Monday 2027-03-01 (WKST=MO): that week's Sunday, then every other Sunday.
  LocalWindowRule sundays{"FREQ=WEEKLY;INTERVAL=2;BYDAY=SU;COUNT=4", 9 * 60, 60, year(2027) / 3 / 1,
                          std::nullopt};
  EXPECT_EQ(LocalDays(ExpandWindows(sundays, Amsterdam(), Utc(2027, 3, 1, 0), Utc(2027, 6, 1, 0))),
            (std::vector<date::year_month_day>{year(2027) / 3 / 7, year(2027) / 3 / 21,
                                               year(2027) / 4 / 4, year(2027) / 4 / 18}));
}

TEST(Recurrence, WindowStartingInTheSpringGapMovesForwardByTheGap) {
  // 2027-03-28: 02:00 CET jumps to 03:00 CEST. 02:30 for an hour is 03:30-04:30 CEST.
  auto windows = ExpandWindows(Daily(2 * 60 + 30, 60, date::year(2027) / 3 / 27), Amsterdam(),
                               Utc(2027, 3, 28, 0), Utc(2027, 3, 28, 12));
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0], (Interval{Utc(2027, 3, 28, 1, 30), Utc(2027, 3, 28, 2, 30)}));
}

TEST(Recurrence, WindowInsideTheSpringGapMovesForwardInsteadOfVanishing) {
  // 02:00-02:30 does not exist on 2027-03-28: the window is 03:00-03:30 CEST.
  auto windows = ExpandWindows(Daily(2 * 60, 30, date::year(2027) / 3 / 27), Amsterdam(),
                               Utc(2027, 3, 28, 0), Utc(2027, 3, 28, 12));
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0], (Interval{Utc(2027, 3, 28, 1), Utc(2027, 3, 28, 1, 30)}));
}

TEST(Recurrence, WindowEndingInTheSpringGapEndsAsLateAfterIt) {
  // 01:00-02:30: the end does not exist and moves forward by the gap to 03:30 CEST.
  auto windows = ExpandWindows(Daily(60, 90, date::year(2027) / 3 / 27), Amsterdam(),
                               Utc(2027, 3, 27, 12), Utc(2027, 3, 28, 12));
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0], (Interval{Utc(2027, 3, 28, 0), Utc(2027, 3, 28, 1, 30)}));
}

TEST(Recurrence, CountRuleFromLongAgoExpandsTheWeekAskedFor) {
  // 10000 days from 1980-01-01: the last is 2007-05-18.
  LocalWindowRule rule{"FREQ=DAILY;COUNT=10000", 9 * 60, 60, date::year(1980) / 1 / 1,
                       std::nullopt};
  auto windows = ExpandWindows(rule, Amsterdam(), Utc(2007, 5, 14, 0), Utc(2007, 5, 21, 0));
  ASSERT_EQ(windows.size(), 5u);
  EXPECT_EQ(windows.front().start, Utc(2007, 5, 14, 7));
  EXPECT_EQ(windows.back().start, Utc(2007, 5, 18, 7));
  EXPECT_TRUE(ExpandWindows(rule, Amsterdam(), Utc(2026, 6, 1, 0), Utc(2026, 6, 8, 0)).empty());
}

TEST(Recurrence, RefusesRulesThatReachTooFar) {
  EXPECT_TRUE(CheckRrule("FREQ=DAILY;COUNT=10000").ok());
  EXPECT_FALSE(CheckRrule("FREQ=DAILY;COUNT=10001").ok());
  EXPECT_FALSE(CheckRrule("FREQ=DAILY;INTERVAL=70000").ok());
  EXPECT_FALSE(CheckRrule("FREQ=DAILY;UNTIL=22010101").ok());
  EXPECT_FALSE(CheckRrule("FREQ=YEARLY;BYWEEKNO=54").ok());
}

TEST(Recurrence, RefusesCountRulesTooSparseToExpandFromTheirStart) {
  const char* sparse = "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=10000";
  EXPECT_TRUE(CheckRrule(sparse).ok());  // without DTSTART there is nothing to walk
  const absl::Status refused = CheckRrule(sparse, date::year(1970) / 1 / 1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("too sparse to expand"), absl::string_view::npos);
  EXPECT_NE(refused.message().find("UNTIL"), absl::string_view::npos);
  EXPECT_TRUE(CheckRrule("FREQ=DAILY;COUNT=10000", date::year(1970) / 1 / 1).ok());
  EXPECT_TRUE(
      CheckRrule("FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH;COUNT=10000", date::year(1971) / 3 / 11).ok());

  // Stored before the check (or with another DTSTART), it expands to nothing.
  const LocalWindowRule stored{sparse, 9 * 60, 60, date::year(1970) / 1 / 1, std::nullopt};
  EXPECT_TRUE(ExpandWindows(stored, Amsterdam(), Utc(1970, 1, 1, 0), Utc(1970, 3, 1, 0)).empty());
  auto series =
      ExpandSeriesStarts(sparse, Amsterdam(), date::local_days(date::year(1970) / 1 / 1) + 9h,
                         Utc(1970, 1, 1, 0), Utc(1970, 3, 1, 0));
  EXPECT_EQ(series.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Recurrence, SparseCountRuleExpandsARangeIn2199) {
  // Thursdays of ISO week 53 from 1971: 2199 has no week 53; 2195's Thursday is 31 December.
  LocalWindowRule rule{"FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH;COUNT=10000", 9 * 60, 60,
                       date::year(1971) / 3 / 11, std::nullopt};
  EXPECT_TRUE(ExpandWindows(rule, Amsterdam(), Utc(2199, 6, 7, 0), Utc(2200, 1, 1, 0)).empty());
  auto windows = ExpandWindows(rule, Amsterdam(), Utc(2195, 12, 1, 0), Utc(2196, 1, 1, 0));
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].start, Utc(2195, 12, 31, 8));
}

TEST(Recurrence, ChecksRruleSyntaxAndRefusesSubDailyFrequencies) {
  EXPECT_TRUE(CheckRrule("FREQ=WEEKLY;BYDAY=MO,TU").ok());
  EXPECT_FALSE(CheckRrule("").ok());
  EXPECT_FALSE(CheckRrule("EVERY MONDAY").ok());
  EXPECT_FALSE(CheckRrule("FREQ=HOURLY").ok());
  EXPECT_FALSE(CheckRrule("FREQ=MINUTELY;INTERVAL=5").ok());
}

TEST(Recurrence, MergeAndSubtract) {
  std::vector<Interval> merged = MergeIntervals({{Utc(2026, 1, 1, 10), Utc(2026, 1, 1, 12)},
                                                 {Utc(2026, 1, 1, 8), Utc(2026, 1, 1, 10)},
                                                 {Utc(2026, 1, 1, 14), Utc(2026, 1, 1, 15)}});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0], (Interval{Utc(2026, 1, 1, 8), Utc(2026, 1, 1, 12)}));
  auto rest = SubtractIntervals(merged, {{Utc(2026, 1, 1, 9), Utc(2026, 1, 1, 10)},
                                         {Utc(2026, 1, 1, 11), Utc(2026, 1, 1, 16)}});
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0], (Interval{Utc(2026, 1, 1, 8), Utc(2026, 1, 1, 9)}));
  EXPECT_EQ(rest[1], (Interval{Utc(2026, 1, 1, 10), Utc(2026, 1, 1, 11)}));
}

TEST(Recurrence, ParsesDatesAndTimes) {
  EXPECT_TRUE(ParseDate("2026-02-28"));
  EXPECT_FALSE(ParseDate("2026-02-30"));
  EXPECT_FALSE(ParseDate("26-02-28"));
  EXPECT_EQ(ParseMinuteOfDay("08:30"), 510);
  EXPECT_FALSE(ParseMinuteOfDay("24:00"));
  EXPECT_FALSE(ParseMinuteOfDay("8:30"));
  EXPECT_EQ(FindTimeZone("Mars/Olympus"), nullptr);
}

}  // namespace
}  // namespace infrashare
