// RRULE parsing and the dates a rule selects. The property test (tests/recurrence/) compares the
// expansion with python-dateutil at large; these pin RFC 5545's own examples, the two places
// where we follow the RFC rather than dateutil, and what the parser refuses.
#include "services/common/rrule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace infrashare {
namespace {

using date::year;

// The first `n` dates of `text` from DTSTART `dtstart`, in ISO form.
std::vector<std::string> Dates(const std::string& text, date::year_month_day dtstart, int n) {
  auto rule = ParseRrule(text);
  EXPECT_TRUE(rule.ok()) << rule.status();
  std::vector<std::string> out;
  if (!rule.ok()) return out;
  RruleDates dates(*rule, date::local_days(dtstart));
  while (static_cast<int>(out.size()) < n) {
    auto day = dates.Next(date::local_days(kLastRuleDay));
    if (!day) break;
    out.push_back(date::format("%F", *day));
  }
  return out;
}

using Days = std::vector<std::string>;

TEST(Rrule, SelectsTheDaysOfRfc5545sExamples) {
  EXPECT_EQ(Dates("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", year(2027) / 1 / 1, 4),
            (Days{"2027-01-29", "2027-02-26", "2027-03-31", "2027-04-30"}));  // last workday
  EXPECT_EQ(Dates("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", year(2027) / 1 / 1, 3),
            (Days{"2027-03-28", "2028-03-26", "2029-03-25"}));  // EU summer time starts
  EXPECT_EQ(Dates("FREQ=MONTHLY;BYMONTHDAY=-1", year(2027) / 1 / 1, 3),
            (Days{"2027-01-31", "2027-02-28", "2027-03-31"}));
  // A month without DTSTART's day is skipped, not clamped.
  EXPECT_EQ(Dates("FREQ=MONTHLY", year(2027) / 1 / 31, 3),
            (Days{"2027-01-31", "2027-03-31", "2027-05-31"}));
}

TEST(Rrule, DtstartIsAnOccurrenceOnlyWhenTheRuleSelectsIt) {
  EXPECT_EQ(Dates("FREQ=WEEKLY;BYDAY=TU", year(2027) / 3 / 1, 2),
            (Days{"2027-03-02", "2027-03-09"}));
}

TEST(Rrule, NumbersWeeksAsRfc5545DoesAroundNewYear) {
  // 1983-01-01 is a Saturday of week 52 of 1982 (1982 has 52 weeks; dateutil 2.8.2 says 53).
  EXPECT_EQ(Dates("FREQ=YEARLY;BYWEEKNO=52;BYDAY=SA", year(1982) / 1 / 1, 3),
            (Days{"1983-01-01", "1983-12-31", "1984-12-29"}));
  EXPECT_EQ(Dates("FREQ=YEARLY;BYWEEKNO=53;BYDAY=SA", year(1982) / 1 / 1, 2),
            (Days{"1982-01-02", "1988-01-02"}));
  // Week 1 of 2025 starts on Monday 2024-12-30, in the YEARLY period of 2024.
  EXPECT_EQ(Dates("FREQ=YEARLY;BYWEEKNO=1;BYDAY=TU", year(2024) / 1 / 1, 3),
            (Days{"2024-01-02", "2024-12-31", "2025-12-30"}));
}

TEST(Rrule, PositionedAndPlainWeekdaysAddUp) {
  // Every Monday and the last Friday of the month (dateutil 2.8.2 selects nothing).
  EXPECT_EQ(
      Dates("FREQ=MONTHLY;BYDAY=MO,-1FR", year(2027) / 1 / 1, 6),
      (Days{"2027-01-04", "2027-01-11", "2027-01-18", "2027-01-25", "2027-01-29", "2027-02-01"}));
}

TEST(Rrule, SkippingAheadFindsWhatWalkingFinds) {
  for (const char* text :
       {"FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,WE;WKST=SA",
        "FREQ=MONTHLY;INTERVAL=5;BYDAY=2TH", "FREQ=YEARLY;INTERVAL=2;BYYEARDAY=-1,100"}) {
    auto rule = ParseRrule(text);
    ASSERT_TRUE(rule.ok()) << text;
    const date::local_days dtstart(year(2001) / 2 / 3);
    const date::local_days from(year(2027) / 5 / 6);
    const date::local_days to(year(2031) / 1 / 1);
    RruleDates walked(*rule, dtstart);
    RruleDates skipped(*rule, dtstart);
    skipped.SkipTo(from);
    std::vector<date::local_days> expected, got;
    while (auto day = walked.Next(to))
      if (*day >= from) expected.push_back(*day);
    while (auto day = skipped.Next(to))
      if (*day >= from) got.push_back(*day);
    EXPECT_FALSE(expected.empty()) << text;
    EXPECT_EQ(got, expected) << text;
  }
}

// The reviewer's attack (50 such rules made GetAvailability for 2199 take 6.7 s): sparse YEARLY
// rules cost their few days a year, not every day of it, so their whole reach is a few hundred
// steps.
TEST(Rrule, SparseYearlyRulesCostTheirFewDaysNotTheWholeYear) {
  for (const char* text :
       {"FREQ=YEARLY;BYWEEKNO=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
        "27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53;"
        "BYYEARDAY=366;COUNT=10000",
        "FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH;COUNT=10000"}) {
    auto rule = ParseRrule(text);
    ASSERT_TRUE(rule.ok()) << text;
    RruleDates dates(*rule, date::local_days(year(1971) / 3 / 11));
    while (dates.Next(date::local_days(kLastRuleDay))) {
    }
    EXPECT_LE(dates.steps(), 500) << text;
    EXPECT_TRUE(LastCountDate(*rule, date::local_days(year(1971) / 3 / 11)).has_value()) << text;
  }
}

TEST(Rrule, CountWalkStopsAtItsStepBudget) {
  // The last workday of the month tests some 23 days a month; 10000 of them lie past 2200.
  auto sparse = ParseRrule("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=10000");
  ASSERT_TRUE(sparse.ok());
  EXPECT_FALSE(LastCountDate(*sparse, date::local_days(year(1970) / 1 / 1)).has_value());
  RruleDates dates(*sparse, date::local_days(year(1970) / 1 / 1), kMaxCountWalkSteps);
  while (dates.Next(date::local_days(kLastRuleDay))) {
  }
  EXPECT_TRUE(dates.OutOfSteps());
  EXPECT_LT(dates.steps(), kMaxCountWalkSteps + 400);  // at most one period past the budget

  auto ten_years = ParseRrule("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=120");
  ASSERT_TRUE(ten_years.ok());
  EXPECT_EQ(LastCountDate(*ten_years, date::local_days(year(2027) / 1 / 1)),
            date::local_days(year(2036) / 12 / 31));
  // Every day for COUNT=10000 fits: one step a day.
  auto daily = ParseRrule("FREQ=DAILY;COUNT=10000");
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ(LastCountDate(*daily, date::local_days(year(1980) / 1 / 1)),
            date::local_days(year(2007) / 5 / 18));
}

TEST(Rrule, BysetposBeyondWhatAPeriodHoldsSelectsNothingWithoutWalking) {
  auto rule = ParseRrule("FREQ=WEEKLY;BYDAY=TU,TH,FR;BYSETPOS=4;COUNT=15");
  ASSERT_TRUE(rule.ok());
  RruleDates dates(*rule, date::local_days(year(1970) / 1 / 1));
  EXPECT_FALSE(dates.Next(date::local_days(kLastRuleDay)).has_value());
  EXPECT_EQ(dates.steps(), 0);
}

TEST(Rrule, ParsesNamesAndValuesCaseInsensitivelyAndAllThreeUntilForms) {
  auto rule = ParseRrule("freq=monthly;byday=mo,-1fr;wkst=su;until=20270610T083000z");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->week_start, date::Sunday);
  ASSERT_EQ(rule->nth_weekdays.size(), 1u);
  EXPECT_EQ(rule->nth_weekdays[0].n, -1);
  EXPECT_TRUE(std::holds_alternative<std::chrono::sys_seconds>(*rule->until));
  EXPECT_TRUE(std::holds_alternative<date::local_seconds>(
      *ParseRrule("FREQ=DAILY;UNTIL=20270610T083000")->until));
  EXPECT_TRUE(
      std::holds_alternative<date::local_days>(*ParseRrule("FREQ=DAILY;UNTIL=20270610")->until));
}

TEST(Rrule, RefusesWhatRfc5545ForbidsAndWhatWeBound) {
  for (const char* text : {"",
                           "FREQ=DAILY;",
                           "INTERVAL=2",
                           "FREQ=DAILY;FREQ=WEEKLY",
                           "FREQ=HOURLY",
                           "FREQ=DAILY;BYHOUR=9",
                           "FREQ=DAILY;COUNT=3;UNTIL=20270101",
                           "FREQ=DAILY;COUNT=0",
                           "FREQ=DAILY;COUNT=10001",
                           "FREQ=DAILY;INTERVAL=0",
                           "FREQ=DAILY;INTERVAL=1001",
                           "FREQ=DAILY;INTERVAL= 2",
                           "FREQ=DAILY;UNTIL=19691231",
                           "FREQ=DAILY;UNTIL=22010101",
                           "FREQ=DAILY;UNTIL=20270230",
                           "FREQ=DAILY;UNTIL=20270101T240000",
                           "FREQ=MONTHLY;BYWEEKNO=3",
                           "FREQ=YEARLY;BYWEEKNO=54",
                           "FREQ=MONTHLY;BYYEARDAY=1",
                           "FREQ=YEARLY;BYYEARDAY=367",
                           "FREQ=WEEKLY;BYMONTHDAY=1",
                           "FREQ=DAILY;BYMONTHDAY=0",
                           "FREQ=YEARLY;BYMONTH=13",
                           "FREQ=YEARLY;BYMONTH=5L",
                           "FREQ=DAILY;BYDAY=1MO",
                           "FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO",
                           "FREQ=MONTHLY;BYDAY=54MO",
                           "FREQ=MONTHLY;BYDAY=XX",
                           "FREQ=DAILY;BYSETPOS=1",
                           "FREQ=DAILY;BYDAY=MO;BYSETPOS=0",
                           "FREQ=DAILY;RSCALE=HEBREW",
                           "FREQ=DAILY;WKST=XX"}) {
    EXPECT_FALSE(ParseRrule(text).ok()) << text;
  }
  EXPECT_TRUE(ParseRrule("FREQ=DAILY;COUNT=10000").ok());
  EXPECT_TRUE(ParseRrule("FREQ=YEARLY;INTERVAL=1000;UNTIL=22001231T235959Z").ok());
}

}  // namespace
}  // namespace infrashare
