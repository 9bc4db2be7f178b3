// The desk's routing rules as pure functions: fit, ranking, ties, queueing, escalation, and
// acceptance deadlines counted in working hours across weekends, absences and DST.
#include "services/desk/routing.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "services/common/availability.h"
#include "services/common/regions.h"
#include "services/desk/validation.h"

namespace infrashare::desk {
namespace {

namespace reg = infrashare::registry::v1;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

SysSeconds Utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  return date::sys_days(date::year(y) / m / d) + hours(h) + minutes(min);
}

v1::Responder Responder(const std::string& id,
                        std::vector<v1::NeedType> skills = {v1::NEED_TYPE_INNOVATION}) {
  v1::Responder r;
  r.set_id(id);
  r.set_organization_id("org-" + id);
  r.set_display_name(id);
  for (auto s : skills) r.add_skills(s);
  r.add_languages("nl");
  r.set_capacity(3);
  r.set_time_zone("Europe/Amsterdam");
  return r;
}

void OfficeHours(v1::Responder* r, const std::string& rrule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR") {
  auto* rule = r->add_working_hours();
  rule->set_rrule(rrule);
  rule->set_start_time("09:00");
  rule->set_duration_minutes(8 * 60);
  rule->set_valid_from("2026-01-01");
}

v1::Inquiry Question(v1::NeedType need = v1::NEED_TYPE_INNOVATION) {
  v1::Inquiry i;
  i.set_id("q");
  i.set_need_type(need);
  i.set_language("nl");
  return i;
}

ResponderLoad Free(int open = 0, int64_t last_offer = 0) { return {true, open, 3, last_offer}; }

constexpr auto kWednesday = date::sys_days(date::year(2026) / 12 / 2) + std::chrono::hours(10);

// A candidate as the dispatcher builds it: its presence and working hours judged at `now`.
Candidate At(const v1::Responder& r, ResponderLoad load, SysSeconds now = kWednesday) {
  return {&r, load, Working(r, now), Absent(r, now)};
}

TEST(FitScore, RefusesAResponderWithoutTheNeedTypeOrTheLanguage) {
  EXPECT_EQ(FitScore(Question(v1::NEED_TYPE_TALENT), Responder("a")), -1);
  auto english = Question();
  english.set_language("en");
  EXPECT_EQ(FitScore(english, Responder("a")), -1);
  EXPECT_GE(FitScore(Question(), Responder("a")), 0);
}

TEST(FitScore, RewardsSharedThemesAndTheClosestRegion) {
  auto q = Question();
  q.add_themes(reg::THEME_DIGITALISATION);
  q.set_region("CR10");  // Noord-Overijssel, in PV23
  auto anywhere = Responder("anywhere");
  auto exact = Responder("exact");
  exact.add_regions("CR10");
  auto province = Responder("province");
  province.add_regions("PV23");
  auto elsewhere = Responder("elsewhere");
  elsewhere.add_regions("PV31");
  EXPECT_EQ(FitScore(q, exact), 4);
  EXPECT_EQ(FitScore(q, province), 3);
  EXPECT_EQ(FitScore(q, anywhere), 1);
  // Within the network a responder serving only elsewhere does not cover it; referred to its
  // organisation it scores lowest.
  EXPECT_EQ(FitScore(q, elsewhere), -1);
  elsewhere.add_themes(reg::THEME_DIGITALISATION);
  EXPECT_EQ(FitScore(q, elsewhere), -1);
  q.set_target_organization_id("org-elsewhere");
  EXPECT_EQ(FitScore(q, elsewhere), 2);
}

// Never offered to someone without the theme: a responder that lists themes must share one; one
// that lists none is a general desk.
TEST(FitScore, RefusesAResponderWithOtherThemesEvenWhenReferredToIt) {
  auto q = Question();
  q.add_themes(reg::THEME_DIGITALISATION);
  auto care = Responder("care");
  care.add_themes(reg::THEME_HEALTH_CARE);
  auto general = Responder("general");
  EXPECT_EQ(FitScore(q, care), -1);
  EXPECT_EQ(FitScore(q, general), 1);
  care.add_themes(reg::THEME_DIGITALISATION);
  EXPECT_EQ(FitScore(q, care), 3);
  auto untagged = Question();  // a question without themes fits any responder's themes
  EXPECT_EQ(FitScore(untagged, care), 1);
  auto referred = q;  // named by a referral, it still needs one of the themes
  referred.set_target_responder_id("care");
  care.clear_themes();
  care.add_themes(reg::THEME_HEALTH_CARE);
  EXPECT_EQ(FitScore(referred, care), -1);
}

// A municipality lies in its COROP area and province (CBS' table): responders serving Twente or
// Overijssel beat one serving nowhere in particular for a question from Enschede.
TEST(FitScore, PlacesAMunicipalityInItsCoropAreaAndProvince) {
  auto q = Question();
  q.set_region("GM0153");  // Enschede
  auto anywhere = Responder("anywhere");
  auto twente = Responder("twente");
  twente.add_regions("CR12");
  auto overijssel = Responder("overijssel");
  overijssel.add_regions("PV23");
  auto enschede = Responder("enschede");
  enschede.add_regions("GM0153");
  auto achterhoek = Responder("achterhoek");  // next door, in Gelderland
  achterhoek.add_regions("CR14");
  EXPECT_EQ(FitScore(q, enschede), 4);
  EXPECT_EQ(FitScore(q, twente), 3);
  EXPECT_EQ(FitScore(q, overijssel), 3);
  EXPECT_EQ(FitScore(q, anywhere), 1);
  EXPECT_EQ(FitScore(q, achterhoek), -1);
}

// Codes are CBS' own, in capitals; one typed in small letters is refused with the code to use.
TEST(RegionCodeHint, NamesTheCodeInCapitals) {
  EXPECT_FALSE(IsRegionCode("gm0193"));
  EXPECT_EQ(RegionCodeHint("gm0193"), "must be a CBS region code in capitals: GM0193");
  EXPECT_EQ(RegionCodeHint("pv23"), "must be a CBS region code in capitals: PV23");
  EXPECT_EQ(RegionCodeHint("Overijssel"), "must be a CBS region code (PVxx, CRxx or GMxxxx)");
  EXPECT_EQ(RegionCodeHint("gm9999"), "must be a CBS region code (PVxx, CRxx or GMxxxx)");
}

TEST(FitScore, MatchesTheAskersLocationAgainstAResponderArea) {
  auto q = Question();
  q.mutable_location()->set_latitude(52.51);  // Zwolle
  q.mutable_location()->set_longitude(6.09);
  auto near = Responder("near");
  near.mutable_base()->set_latitude(52.22);  // Enschede is ~60 km away
  near.mutable_base()->set_longitude(6.89);
  near.set_radius_km(80);
  auto small = near;
  small.set_radius_km(30);
  EXPECT_EQ(FitScore(q, near), 4);
  EXPECT_EQ(FitScore(q, small), -1);  // it serves an area, and the asker is outside it
  EXPECT_EQ(FitScore(q, Responder("anywhere")), 1);
}

TEST(Decide, OffersTheBestFitThenTheLeastLoaded) {
  auto q = Question();
  q.set_region("PV23");
  auto near = Responder("near");
  near.add_regions("PV23");
  auto far = Responder("far");
  far.add_regions("PV31");
  auto decision = Decide(q, {At(far, Free()), At(near, Free(2))}, {});
  ASSERT_EQ(decision.kind, RouteDecision::Kind::kOffer);
  EXPECT_EQ(decision.responder_ids, std::vector<std::string>{"near"});

  auto busy = Responder("busy");
  auto idle = Responder("idle");
  decision = Decide(Question(), {At(busy, Free(2)), At(idle, Free(1))}, {});
  EXPECT_EQ(decision.responder_ids, std::vector<std::string>{"idle"});
}

TEST(Decide, BreaksTiesRoundRobinByLastOffer) {
  auto a = Responder("a"), b = Responder("b"), c = Responder("c");
  std::map<std::string, int64_t> last = {{"a", 0}, {"b", 0}, {"c", 0}};
  std::vector<std::string> order;
  for (int n = 1; n <= 6; ++n) {
    auto decision = Decide(
        Question(),
        {At(a, Free(0, last["a"])), At(b, Free(0, last["b"])), At(c, Free(0, last["c"]))}, {});
    ASSERT_EQ(decision.kind, RouteDecision::Kind::kOffer);
    order.push_back(decision.responder_ids.front());
    last[decision.responder_ids.front()] = n;
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));
}

TEST(Decide, PrefersThoseAtWorkNow) {
  auto office = Responder("a-office");
  OfficeHours(&office);
  auto always = Responder("b-always");
  // Saturday: the office responder is off, the around-the-clock one is working.
  const SysSeconds saturday = Utc(2026, 12, 5, 12);
  auto decision =
      Decide(Question(), {At(office, Free(), saturday), At(always, Free(1), saturday)}, {});
  EXPECT_EQ(decision.responder_ids, std::vector<std::string>{"b-always"});
  // Wednesday 10:00 local: both work; the less loaded one wins.
  const SysSeconds wednesday = Utc(2026, 12, 2, 9);
  decision =
      Decide(Question(), {At(office, Free(), wednesday), At(always, Free(1), wednesday)}, {});
  EXPECT_EQ(decision.responder_ids, std::vector<std::string>{"a-office"});
}

TEST(Decide, OffersToAPoolBestFirst) {
  auto a = Responder("a"), b = Responder("b"), c = Responder("c");
  auto decision = Decide(Question(), {At(a, Free(2)), At(b, Free(0)), At(c, Free(1))}, {2, 3});
  EXPECT_EQ(decision.responder_ids, (std::vector<std::string>{"b", "c"}));
}

TEST(Decide, QueuesWhenEveryoneWhoFitsIsFullOfflineOrAbsent) {
  auto full = Responder("full"), offline = Responder("offline"), away = Responder("away");
  auto* absence = away.add_absences();
  absence->mutable_start_time()->set_seconds(
      std::chrono::duration_cast<seconds>(Utc(2026, 12, 1, 0).time_since_epoch()).count());
  absence->mutable_end_time()->set_seconds(
      std::chrono::duration_cast<seconds>(Utc(2026, 12, 9, 0).time_since_epoch()).count());
  auto decision =
      Decide(Question(), {At(full, Free(3)), At(offline, {false, 0, 3, 0}), At(away, Free())}, {});
  EXPECT_EQ(decision.kind, RouteDecision::Kind::kQueue);
}

TEST(Decide, EscalatesWhenNobodyFitsOrAfterTheLastAttempt) {
  auto talent = Responder("talent", {v1::NEED_TYPE_TALENT});
  auto decision = Decide(Question(), {At(talent, Free())}, {});
  EXPECT_EQ(decision.kind, RouteDecision::Kind::kEscalate);
  EXPECT_EQ(decision.cause, "no responder fits this inquiry");

  auto q = Question();
  q.set_attempts(3);
  auto fits = Responder("fits");
  decision = Decide(q, {At(fits, Free())}, {1, 3});
  EXPECT_EQ(decision.kind, RouteDecision::Kind::kEscalate);
}

// A referral chooses the partner, not whether it takes the question: a responder named by one
// still needs the need type, the language and one of the themes; only the place is waived.
TEST(Unfit, AReferralWaivesThePlaceOnly) {
  auto q = Question();
  q.add_themes(reg::THEME_DIGITALISATION);
  q.set_region("PV23");
  q.set_target_responder_id("named");
  auto named = Responder("named", {v1::NEED_TYPE_RESEARCH});
  EXPECT_EQ(Unfit(q, named), "does not take innovation questions (its skills)");
  EXPECT_EQ(Decide(q, {At(named, Free())}, {}).kind, RouteDecision::Kind::kEscalate);
  named = Responder("named");
  q.set_language("en");
  EXPECT_EQ(Unfit(q, named), "does not answer in en (its languages)");
  q.set_language("nl");
  named.add_themes(reg::THEME_HEALTH_CARE);
  EXPECT_EQ(Unfit(q, named), "covers none of the inquiry's themes");
  named.add_themes(reg::THEME_DIGITALISATION);
  named.add_regions("PV31");  // serves Limburg only; the question is from Overijssel
  EXPECT_EQ(Unfit(q, named), "");
  q.clear_target_responder_id();
  EXPECT_EQ(Unfit(q, named), "serves only elsewhere than the asker's region or location");
}

TEST(AddWorkingTime, AroundTheClockWithoutWorkingHours) {
  EXPECT_EQ(AddWorkingTime(Responder("a"), Utc(2026, 12, 5, 12), hours(4)), Utc(2026, 12, 5, 16));
}

// A responder without working hours works around the clock, but not while away: an offer's clock
// stops during an absence (before, it ran through it and the offer lapsed while they were away).
TEST(AddWorkingTime, WithoutWorkingHoursStillSkipsAbsences) {
  auto r = Responder("a");
  auto* absence = r.add_absences();  // Saturday 5 December 2026, 13:00 to 20:00 UTC
  absence->mutable_start_time()->set_seconds(
      std::chrono::duration_cast<seconds>(Utc(2026, 12, 5, 13).time_since_epoch()).count());
  absence->mutable_end_time()->set_seconds(
      std::chrono::duration_cast<seconds>(Utc(2026, 12, 5, 20).time_since_epoch()).count());
  // One hour before the absence, three after it.
  EXPECT_EQ(AddWorkingTime(r, Utc(2026, 12, 5, 12), hours(4)), Utc(2026, 12, 5, 23));
  EXPECT_EQ(AddWorkingTime(r, Utc(2026, 12, 5, 8), hours(4)), Utc(2026, 12, 5, 12));
}

TEST(AddWorkingTime, SkipsTheWeekend) {
  auto r = Responder("a");
  OfficeHours(&r);
  // Friday 4 December 2026, 16:00 in Amsterdam (15:00 UTC), plus two working hours: one on Friday,
  // one from Monday 09:00, so Monday 10:00 local = 09:00 UTC.
  EXPECT_EQ(AddWorkingTime(r, Utc(2026, 12, 4, 15), hours(2)), Utc(2026, 12, 7, 9));
  // Submitted on Saturday: the clock starts on Monday morning.
  EXPECT_EQ(AddWorkingTime(r, Utc(2026, 12, 5, 12), hours(1)), Utc(2026, 12, 7, 9));
}

TEST(AddWorkingTime, CountsWallClockHoursAcrossTheDstChange) {
  auto r = Responder("a");
  OfficeHours(&r, "FREQ=DAILY");
  // Saturday 28 March 2026, 16:00 CET (15:00 UTC) plus two hours: one on Saturday, one from Sunday
  // 09:00 CEST (07:00 UTC, clocks went forward that night), so 10:00 CEST = 08:00 UTC.
  EXPECT_EQ(AddWorkingTime(r, Utc(2026, 3, 28, 15), hours(2)), Utc(2026, 3, 29, 8));
  // And back in October: Saturday 24 October 16:00 CEST (14:00 UTC) -> Sunday 10:00 CET (09:00
  // UTC).
  EXPECT_EQ(AddWorkingTime(r, Utc(2026, 10, 24, 14), hours(2)), Utc(2026, 10, 25, 9));
}

TEST(AddWorkingTime, SkipsAbsences) {
  auto r = Responder("a");
  OfficeHours(&r);
  auto* absence = r.add_absences();  // all of Monday 7 December
  absence->mutable_start_time()->set_seconds(
      std::chrono::duration_cast<seconds>(Utc(2026, 12, 6, 23).time_since_epoch()).count());
  absence->mutable_end_time()->set_seconds(
      std::chrono::duration_cast<seconds>(Utc(2026, 12, 7, 23).time_since_epoch()).count());
  EXPECT_EQ(AddWorkingTime(r, Utc(2026, 12, 4, 15), hours(2)), Utc(2026, 12, 8, 9));
  EXPECT_FALSE(Working(r, Utc(2026, 12, 7, 10)));
  EXPECT_TRUE(Working(r, Utc(2026, 12, 8, 10)));
}

using std::chrono::milliseconds;

int64_t Ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

TEST(WeeklyHours, ReadsDaysAndASpanAsPeopleWriteThem) {
  auto office = WeeklyHours("MO-FR 08:00-18:00");
  ASSERT_TRUE(office);
  EXPECT_EQ(office->rrule(), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
  EXPECT_EQ(office->start_time(), "08:00");
  EXPECT_EQ(office->duration_minutes(), 600);
  auto some = WeeklyHours("  we,mo-tu,SA  09:15-24:00 ");
  ASSERT_TRUE(some);
  EXPECT_EQ(some->rrule(), "FREQ=WEEKLY;BYDAY=MO,TU,WE,SA");
  EXPECT_EQ(some->duration_minutes(), 14 * 60 + 45);
  for (const char* bad :
       {"", "MO-FR", "08:00-18:00", "FR-MO 08:00-18:00", "MO-FR 18:00-08:00", "MO-FR 08:00-08:00",
        "MO-FR 8:00-18:00", "MO-FR 08:00-24:01", "MO-FR 24:00-24:00", "XX 08:00-18:00",
        "MO-TU-WE 08:00-18:00", "MO-FR 08:00-18:00 extra", "MO-FR +8:00-18:00", "MO-FR 08:60-18:00",
        "MO,,FR 08:00-18:00"})
    EXPECT_FALSE(WeeklyHours(bad)) << bad;
}

// The desk's clock for queue waits and escalations: its business hours in its zone, less the days
// it is closed; around the clock when it has none.
TEST(BusinessDelay, RunsOnlyInTheDesksHours) {
  const auto at = [](SysSeconds t) { return std::chrono::system_clock::time_point(t); };
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  DeskConfig config;
  EXPECT_EQ(BusinessDelayMs(BusinessHours(config), at(Utc(2026, 12, 4, 16)), hours(4)),
            ms(hours(4)));
  config.business_hours = "MO-FR 08:00-18:00";
  // Friday 4 December 2026, 17:00 in Amsterdam (16:00 UTC), plus four hours: one on Friday, three
  // from Monday 08:00, so Monday 11:00 local = 10:00 UTC.
  EXPECT_EQ(BusinessDelayMs(BusinessHours(config), at(Utc(2026, 12, 4, 16)), hours(4)),
            ms(Utc(2026, 12, 7, 10) - Utc(2026, 12, 4, 16)));
  // Asked on Sunday: the clock starts on Monday morning.
  EXPECT_EQ(BusinessDelayMs(BusinessHours(config), at(Utc(2026, 12, 6, 12)), hours(1)),
            ms(Utc(2026, 12, 7, 8) - Utc(2026, 12, 6, 12)));
  // Closed on Monday 7 December (a local day): Tuesday 11:00 instead.
  config.closed_days = {"2026-12-07"};
  EXPECT_EQ(BusinessDelayMs(BusinessHours(config), at(Utc(2026, 12, 4, 16)), hours(4)),
            ms(Utc(2026, 12, 8, 10) - Utc(2026, 12, 4, 16)));
  // Across the change to summer time: Friday 27 March 17:00 CET (16:00 UTC) -> Monday 30 March
  // 11:00 CEST (09:00 UTC).
  config.closed_days.clear();
  EXPECT_EQ(BusinessDelayMs(BusinessHours(config), at(Utc(2026, 3, 27, 16)), hours(4)),
            ms(Utc(2026, 3, 30, 9) - Utc(2026, 3, 27, 16)));
  // Closed days of a desk open around the clock: the day does not count.
  config.business_hours.clear();
  config.closed_days = {"2026-12-25"};
  EXPECT_EQ(BusinessDelayMs(BusinessHours(config), at(Utc(2026, 12, 24, 21)), hours(4)),
            ms(Utc(2026, 12, 26, 1) - Utc(2026, 12, 24, 21)));
  // Another zone: 08:00-18:00 in New York (13:00-23:00 UTC in December).
  config.closed_days.clear();
  config.business_hours = "MO-FR 08:00-18:00";
  config.time_zone = "America/New_York";
  EXPECT_EQ(BusinessDelayMs(BusinessHours(config), at(Utc(2026, 12, 7, 12)), hours(1)),
            ms(Utc(2026, 12, 7, 14) - Utc(2026, 12, 7, 12)));
}

TEST(OfferDeadline, CountsFromTheNextWholeSecond) {
  // 10:15:42.734 UTC, around the clock: the hour starts at 10:15:43, never earlier.
  const auto now = Utc(2026, 12, 2, 10, 15) + seconds(42) + milliseconds(734);
  EXPECT_EQ(OfferDeadlineMs(Responder("a"), now, hours(1)),
            Ms(Utc(2026, 12, 2, 11, 15) + seconds(43)));
  // On a whole second already: nothing is added.
  EXPECT_EQ(OfferDeadlineMs(Responder("a"), Utc(2026, 12, 2, 10), hours(1)),
            Ms(Utc(2026, 12, 2, 11)));
}

TEST(OfferDeadline, AnOfferJustBeforeClosingTimeEndsOnAWholeSecondTheNextMorning) {
  auto r = Responder("a");
  OfficeHours(&r);  // 09:00-17:00 in Amsterdam, CET in December (UTC+1)
  // Monday 7 December 2026, 16:59:59.5 local: no whole working second is left today, so one
  // working hour ends on Tuesday at 10:00:00 local (09:00 UTC), not at 09:59:59.5.
  const auto half_a_second_before = Utc(2026, 12, 7, 15, 59) + seconds(59) + milliseconds(500);
  EXPECT_EQ(OfferDeadlineMs(r, half_a_second_before, hours(1)), Ms(Utc(2026, 12, 8, 9)));
  // 16:59:58.5: one whole second today (16:59:59), the rest on Tuesday: 09:59:59 local.
  const auto one_and_a_half = Utc(2026, 12, 7, 15, 59) + seconds(58) + milliseconds(500);
  EXPECT_EQ(OfferDeadlineMs(r, one_and_a_half, hours(1)),
            Ms(Utc(2026, 12, 8, 8, 59) + seconds(59)));
}

// Against a reference: the working time between the offer and its deadline, summed over the
// responder's working windows, is at least what was asked and less than a second more; the
// deadline is a whole second. Offers at random milliseconds across weekends and both DST changes.
TEST(OfferDeadline, GivesTheWorkingTimeAskedAndEndsOnAWholeSecond) {
  auto r = Responder("a");
  OfficeHours(&r);
  std::mt19937_64 random(19);
  const int64_t first_ms = Ms(Utc(2026, 3, 20, 0));
  const int64_t span_ms = Ms(Utc(2026, 11, 5, 0)) - first_ms;
  for (int n = 0; n < 300; ++n) {
    const auto now = std::chrono::system_clock::time_point(
        milliseconds(first_ms + static_cast<int64_t>(random() % span_ms)));
    const seconds amount(1 + static_cast<int64_t>(random() % (3 * 8 * 3600)));
    const int64_t deadline_ms = OfferDeadlineMs(r, now, amount);
    ASSERT_EQ(deadline_ms % 1000, 0) << Ms(now);
    const SysSeconds to(seconds(deadline_ms / 1000));
    int64_t working_ms = 0;
    for (const auto& w : WorkingWindows(r, std::chrono::floor<seconds>(now), to))
      working_ms +=
          std::max<int64_t>(0, std::min(Ms(w.end), deadline_ms) - std::max(Ms(w.start), Ms(now)));
    const int64_t asked_ms = amount.count() * 1000;
    EXPECT_GE(working_ms, asked_ms) << "offer at " << Ms(now) << " for " << amount.count() << " s";
    EXPECT_LT(working_ms, asked_ms + 1000)
        << "offer at " << Ms(now) << " for " << amount.count() << " s";
  }
}

TEST(DeskValidation, NamesEveryBadResponderField) {
  auto r = Responder("a");
  r.set_capacity(0);
  r.set_time_zone("Mars/Olympus");
  r.add_regions("XX99");
  r.set_radius_km(10);  // without a base
  OfficeHours(&r, "FREQ=HOURLY");
  FieldErrors errors;
  Validate(r, "responder", &errors);
  auto status = errors.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  for (const char* field : {"responder.capacity", "responder.time_zone", "responder.regions[0]",
                            "responder.working_hours[0].rrule", "responder.base"})
    EXPECT_NE(std::string(status.ToString()).find(field), std::string::npos)
        << field << " in " << status;
}

TEST(DeskValidation, RefusesAnInquiryWithoutNeedOrTextOrWithTooMuchText) {
  v1::SubmitInquiryRequest request;
  request.set_text("  ");
  FieldErrors errors;
  Validate(request, {}, &errors);
  std::string text(errors.ToStatus().ToString());
  EXPECT_NE(text.find("need_type"), std::string::npos);
  EXPECT_NE(text.find("text"), std::string::npos);

  request.set_need_type(v1::NEED_TYPE_TRAINING);
  request.mutable_location()->set_latitude(91);
  FieldErrors bad_place;
  Validate(request, {}, &bad_place);
  EXPECT_NE(std::string(bad_place.ToStatus().ToString()).find("location.latitude"),
            std::string::npos);
  request.clear_location();
  request.set_text(std::string(101, 'x'));
  FieldErrors long_text;
  Validate(request, InquiryLimits{100}, &long_text);
  EXPECT_EQ(long_text.ToStatus().code(), absl::StatusCode::kInvalidArgument);

  request.set_text("Can our staff get PLC training?");
  FieldErrors fine;
  Validate(request, InquiryLimits{100}, &fine);
  EXPECT_TRUE(fine.empty());
}

TEST(DeskValidation, FeedbackScoreIsOneToFive) {
  for (int score : {0, 6}) {
    v1::Feedback feedback;
    feedback.set_score(score);
    FieldErrors errors;
    Validate(feedback, "feedback", &errors);
    EXPECT_FALSE(errors.empty()) << score;
  }
  v1::Feedback ok;
  ok.set_score(4);
  FieldErrors errors;
  Validate(ok, "feedback", &errors);
  EXPECT_TRUE(errors.empty());
}

}  // namespace
}  // namespace infrashare::desk
