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

TEST(Recurrence, StartInTheSpringGapMovesToTheTransition) {
  auto windows = ExpandWindows(Daily(2 * 60 + 30, 60, date::year(2026) / 3 / 29), Amsterdam(),
                               Utc(2026, 3, 28, 0), Utc(2026, 3, 29, 12));
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].start, Utc(2026, 3, 29, 1));  // 03:00 CEST, the moment 02:30 would have been
  EXPECT_EQ(windows[0].end, Utc(2026, 3, 29, 1, 30));  // 03:30 CEST
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
  ASSERT_EQ(windows.size(), 4u);  // Jan 5, 7, 12, 14
  EXPECT_EQ(windows[0].start, Utc(2026, 1, 5, 9));  // clipped: the window began at 08:00 UTC
  EXPECT_EQ(windows[3].start, Utc(2026, 1, 14, 8));
}

TEST(Recurrence, CountRuleStopsAfterCount) {
  LocalWindowRule rule{"FREQ=DAILY;COUNT=3", 9 * 60, 60, date::year(2026) / 6 / 1, std::nullopt};
  EXPECT_EQ(ExpandWindows(rule, Amsterdam(), Utc(2026, 5, 1, 0), Utc(2026, 7, 1, 0)).size(), 3u);
}

TEST(Recurrence, FarRangeDoesNotWalkFromDtstart) {
  LocalWindowRule rule{"FREQ=DAILY", 9 * 60, 60, date::year(1990) / 1 / 1, std::nullopt};
  auto windows = ExpandWindows(rule, Amsterdam(), Utc(2026, 6, 1, 0), Utc(2026, 6, 3, 0), 1000);
  EXPECT_EQ(windows.size(), 2u);
}

TEST(Recurrence, ChecksRruleSyntaxAndRefusesSubDailyFrequencies) {
  EXPECT_TRUE(CheckRrule("FREQ=WEEKLY;BYDAY=MO,TU").ok());
  EXPECT_FALSE(CheckRrule("").ok());
  EXPECT_FALSE(CheckRrule("EVERY MONDAY").ok());
  EXPECT_FALSE(CheckRrule("FREQ=HOURLY").ok());
  EXPECT_FALSE(CheckRrule("FREQ=MINUTELY;INTERVAL=5").ok());
}

TEST(Recurrence, MergeAndSubtract) {
  std::vector<Interval> merged = MergeIntervals(
      {{Utc(2026, 1, 1, 10), Utc(2026, 1, 1, 12)}, {Utc(2026, 1, 1, 8), Utc(2026, 1, 1, 10)},
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
