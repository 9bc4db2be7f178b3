// The scheduler's pure booking rules: free spans against a brute-force model, request checks,
// access policy, booking ids.
#include "services/scheduler/booking_policy.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "services/common/errors.h"
#include "services/scheduler/booking_store.h"

namespace infrashare::scheduler {
namespace {

namespace reg = registry::v1;
constexpr EpochMs kMin = 60000;

// Seats left at minute `t` for a one-minute booking, counted the slow way.
int RemainingAt(EpochMs t, const std::vector<Usage>& busy, int capacity, EpochMs before,
                EpochMs after) {
  int used = 0;
  for (const auto& u : busy)
    if (t - before < u.blocked_end && t + kMin + after > u.blocked_start) used += u.quantity;
  return capacity - used;
}

TEST(FreeSpans, MatchABruteForceModelOnRandomBookings) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    const int capacity = 1 + static_cast<int>(rng() % 4);
    const EpochMs before = static_cast<EpochMs>(rng() % 3) * 10 * kMin;
    const EpochMs after = static_cast<EpochMs>(rng() % 3) * 10 * kMin;
    std::vector<MsInterval> open = {{60 * kMin, 300 * kMin}, {400 * kMin, 600 * kMin}};
    std::vector<Usage> busy;
    for (int i = static_cast<int>(rng() % 6); i > 0; --i) {
      EpochMs start = static_cast<EpochMs>(rng() % 600) * kMin;
      busy.push_back({start, start + static_cast<EpochMs>(10 + rng() % 120) * kMin,
                      1 + static_cast<int>(rng() % capacity), ""});
    }
    auto spans = FreeSpans(open, busy, capacity, before, after);
    for (EpochMs t = 0; t < 700 * kMin; t += kMin) {
      bool is_open = false;
      for (const auto& w : open) is_open = is_open || (t >= w.start && t + kMin <= w.end);
      int expected = is_open ? std::max(0, RemainingAt(t, busy, capacity, before, after)) : 0;
      int got = 0;
      for (const auto& s : spans)
        if (t >= s.start && t + kMin <= s.end) got = s.remaining;
      // A span's remaining holds throughout it; a one-minute booking at t sees the least of it.
      ASSERT_EQ(got, expected) << "round " << round << " minute " << t / kMin;
    }
    for (size_t i = 1; i < spans.size(); ++i) {
      EXPECT_LE(spans[i - 1].end, spans[i].start);
      EXPECT_FALSE(spans[i - 1].end == spans[i].start &&
                   spans[i - 1].remaining == spans[i].remaining);
    }
  }
}

BookableResource Resource(reg::Resource r) {
  r.set_id("lab-1");
  r.set_time_zone("Europe/Amsterdam");
  r.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  return {std::make_shared<reg::Resource>(std::move(r)), nullptr};
}

v1::CreateBookingRequest Request(EpochMs start, EpochMs end, int quantity = 1) {
  v1::CreateBookingRequest request;
  request.set_resource_id("lab-1");
  *request.mutable_start_time() = FromEpochMs(start);
  *request.mutable_end_time() = FromEpochMs(end);
  request.set_quantity(quantity);
  return request;
}

TEST(PlanBooking, AddsBuffersAndChecksRules) {
  reg::Resource r;
  r.set_booking_mode(reg::BOOKING_MODE_SHARED_CAPACITY);
  r.set_capacity(5);
  r.mutable_booking_rules()->set_buffer_before_minutes(15);
  r.mutable_booking_rules()->set_buffer_after_minutes(30);
  r.mutable_booking_rules()->set_lead_time_minutes(60);
  const EpochMs now = 1800000000000;
  auto slot = PlanBooking(Request(now + 120 * kMin, now + 180 * kMin, 3), Resource(r), now, 60);
  ASSERT_TRUE(slot.ok()) << slot.status();
  EXPECT_EQ(slot->blocked_start, now + 105 * kMin);
  EXPECT_EQ(slot->blocked_end, now + 210 * kMin);
  EXPECT_EQ(slot->capacity, 5);
  EXPECT_EQ(
      ErrorField(PlanBooking(Request(now + 120 * kMin, now + 180 * kMin, 6), Resource(r), now, 60)
                     .status()),
      "quantity");
  auto soon = PlanBooking(Request(now + 30 * kMin, now + 90 * kMin), Resource(r), now, 60);
  EXPECT_EQ(soon.status().code(), absl::StatusCode::kFailedPrecondition);
  // Off the minute by seconds, or by a fraction of a second, is refused, never rounded away.
  EXPECT_EQ(ErrorField(PlanBooking(Request(now + 120 * kMin + 1000, now + 180 * kMin), Resource(r),
                                   now, 60)
                           .status()),
            "start_time");
  auto fraction = Request(now + 120 * kMin, now + 180 * kMin);
  fraction.mutable_end_time()->set_nanos(1);
  EXPECT_EQ(ErrorField(PlanBooking(fraction, Resource(r), now, 60).status()), "end_time");
}

TEST(PlanBooking, RespectsWallClockAvailabilityAcrossDst) {
  reg::Resource r;
  auto bookable = Resource(r);
  auto availability = std::make_shared<reg::Availability>();
  auto* rule = availability->add_rules();
  rule->set_rrule("FREQ=DAILY");
  rule->set_start_time("09:00");
  rule->set_duration_minutes(8 * 60);
  rule->set_valid_from("2026-01-01");
  bookable.availability = availability;
  const EpochMs now = 1767225600000;  // 2026-01-01T00:00Z
  // 2026-03-29, the spring change: 09:00 local is 07:00Z (CEST); on 03-28 it was 08:00Z (CET).
  const EpochMs march29_0700z = 1774767600000;
  EXPECT_TRUE(
      PlanBooking(Request(march29_0700z, march29_0700z + 60 * kMin), bookable, now, 60).ok());
  const EpochMs march28_0700z = march29_0700z - 24 * 60 * kMin;
  EXPECT_FALSE(
      PlanBooking(Request(march28_0700z, march28_0700z + 60 * kMin), bookable, now, 60).ok());
  EXPECT_TRUE(
      PlanBooking(Request(march28_0700z + 60 * kMin, march28_0700z + 120 * kMin), bookable, now, 60)
          .ok());
  // 2026-10-25, back to CET: 09:00 local is 08:00Z again.
  const EpochMs october25_0700z = 1792911600000;
  EXPECT_FALSE(
      PlanBooking(Request(october25_0700z, october25_0700z + 60 * kMin), bookable, now, 60).ok());
  EXPECT_TRUE(PlanBooking(Request(october25_0700z + 60 * kMin, october25_0700z + 9 * 60 * kMin),
                          bookable, now, 60)
                  .ok());
}

TEST(ExpandSeries, KeepsLocalWallClockTimeAcrossBothDstChanges) {
  reg::Resource r;
  r.set_time_zone("Europe/Amsterdam");
  // Weekly on Thursdays 09:00-11:00 local from 2026-03-26 (CET) across 2026-03-29 into CEST.
  const EpochMs march26_0800z = 1774512000000;
  auto spring = ExpandSeries(r, march26_0800z, march26_0800z + 120 * kMin, "FREQ=WEEKLY;COUNT=3",
                             march26_0800z + 400LL * 24 * 60 * kMin, 100);
  ASSERT_TRUE(spring.ok()) << spring.status();
  ASSERT_EQ(spring->size(), 3u);
  EXPECT_EQ((*spring)[0].start, march26_0800z);
  EXPECT_EQ((*spring)[1].start,
            march26_0800z + 7 * 24 * 60 * kMin - 60 * kMin);  // 07:00Z = 09:00 CEST
  EXPECT_EQ((*spring)[1].end - (*spring)[1].start, 120 * kMin);
  // Daily 09:00-11:00 from 2026-10-24 (CEST) across 2026-10-25 into CET.
  const EpochMs october24_0700z = 1792825200000;
  auto autumn = ExpandSeries(r, october24_0700z, october24_0700z + 120 * kMin, "FREQ=DAILY;COUNT=3",
                             october24_0700z + 400LL * 24 * 60 * kMin, 100);
  ASSERT_TRUE(autumn.ok()) << autumn.status();
  ASSERT_EQ(autumn->size(), 3u);
  EXPECT_EQ((*autumn)[1].start,
            october24_0700z + 24 * 60 * kMin + 60 * kMin);  // 08:00Z = 09:00 CET
  EXPECT_EQ((*autumn)[2].start, october24_0700z + 2 * 24 * 60 * kMin + 60 * kMin);
}

EpochMs UtcMs(int y, unsigned m, unsigned d, int h, int min = 0) {
  const auto t =
      date::sys_days(date::year(y) / m / d) + std::chrono::hours(h) + std::chrono::minutes(min);
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TEST(ExpandSeries, EveryOccurrenceLastsAsLongAsTheFirstAcrossTheSpringChange) {
  reg::Resource r;
  r.set_time_zone("Europe/Amsterdam");
  // Daily 01:30-04:30 CET from 2027-03-27; on 03-28 the clocks skip 02:00-03:00.
  const EpochMs first = UtcMs(2027, 3, 27, 0, 30);
  auto series = ExpandSeries(r, first, first + 180 * kMin, "FREQ=DAILY;COUNT=3",
                             first + 400LL * 24 * 60 * kMin, 100);
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->size(), 3u);
  EXPECT_EQ((*series)[1], (MsInterval{UtcMs(2027, 3, 28, 0, 30),
                                      UtcMs(2027, 3, 28, 3, 30)}));  // 01:30 CET-05:30 CEST
  EXPECT_EQ((*series)[2], (MsInterval{UtcMs(2027, 3, 28, 23, 30),
                                      UtcMs(2027, 3, 29, 2, 30)}));  // 01:30-04:30 CEST
}

TEST(ExpandSeries, AStartInTheSpringGapMovesForwardByTheGap) {
  reg::Resource r;
  r.set_time_zone("Europe/Amsterdam");
  // Daily 02:30-03:30 CET from 2027-03-27: on 03-28 02:30 does not exist; 03:30-04:30 CEST.
  const EpochMs first = UtcMs(2027, 3, 27, 1, 30);
  auto series = ExpandSeries(r, first, first + 60 * kMin, "FREQ=DAILY;COUNT=2",
                             first + 400LL * 24 * 60 * kMin, 100);
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ((*series)[1], (MsInterval{UtcMs(2027, 3, 28, 1, 30), UtcMs(2027, 3, 28, 2, 30)}));
}

TEST(ExpandSeries, BiweeklySeriesBooksTheFirstOccurrenceAndRunsInTheRightWeeks) {
  reg::Resource r;
  r.set_time_zone("Europe/Amsterdam");
  const EpochMs first = UtcMs(2027, 3, 25, 8);  // Thursday 09:00 CET
  auto series = ExpandSeries(r, first, first + 60 * kMin,
                             "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,TH,SU;WKST=SA;COUNT=6",
                             first + 400LL * 24 * 60 * kMin, 100);
  ASSERT_TRUE(series.ok()) << series.status();
  std::vector<EpochMs> starts;
  for (const auto& o : *series) starts.push_back(o.start);
  EXPECT_EQ(starts, (std::vector<EpochMs>{first, UtcMs(2027, 4, 4, 7), UtcMs(2027, 4, 7, 7),
                                          UtcMs(2027, 4, 8, 7), UtcMs(2027, 4, 18, 7),
                                          UtcMs(2027, 4, 21, 7)}));
}

TEST(ExpandSeries, RefusesAStartInTheSecondPassOfTheRepeatedHour) {
  reg::Resource r;
  r.set_time_zone("Europe/Amsterdam");
  // 2027-10-31 02:30 happens twice: 00:30Z (CEST), then 01:30Z (CET). Occurrences take the first.
  const EpochMs second = UtcMs(2027, 10, 31, 1, 30);
  EXPECT_EQ(ErrorField(ExpandSeries(r, second, second + 60 * kMin, "FREQ=DAILY;COUNT=2",
                                    second + 400LL * 24 * 60 * kMin, 10)
                           .status()),
            "start_time");
  const EpochMs first = UtcMs(2027, 10, 31, 0, 30);
  EXPECT_TRUE(ExpandSeries(r, first, first + 60 * kMin, "FREQ=DAILY;COUNT=2",
                           first + 400LL * 24 * 60 * kMin, 10)
                  .ok());
}

TEST(ExpandSeries, RefusesMalformedOrUnboundedRules) {
  reg::Resource r;
  r.set_time_zone("Europe/Amsterdam");
  const EpochMs start = 1774512000000;
  EXPECT_EQ(
      ErrorField(
          ExpandSeries(r, start, start + kMin, "FREQ=SOMETIMES", start + 1000 * kMin, 10).status()),
      "rrule");
  EXPECT_EQ(ErrorField(ExpandSeries(r, start, start + kMin, "FREQ=DAILY",
                                    start + 400LL * 24 * 60 * kMin, 10)
                           .status()),
            "rrule");
  EXPECT_EQ(ErrorField(ExpandSeries(r, start + 1000, start + kMin, "FREQ=DAILY;COUNT=2",
                                    start + 1000 * kMin, 10)
                           .status()),
            "start_time");
}

TEST(AllowanceFor, CountsUnitMinutesAndReleasesTheSmeShareOnTheDay) {
  reg::Resource r;
  r.set_owner_organization_id("owner");
  r.set_time_zone("Europe/Amsterdam");
  r.set_booking_mode(reg::BOOKING_MODE_SHARED_CAPACITY);
  r.set_capacity(4);
  r.mutable_booking_rules()->set_quota_hours(10);
  r.mutable_booking_rules()->set_quota_period(reg::QUOTA_PERIOD_MONTH);
  r.mutable_booking_rules()->set_sme_share_percent(25);
  r.mutable_booking_rules()->set_sme_release_days(7);
  auto bookable = Resource(r);
  // Sunday 2026-03-29 23:30 local (21:30Z, CEST): ISO week 13, March.
  const EpochMs start = 1774819800000;
  Slot slot{start, start + 90 * kMin, start, start + 90 * kMin, 2, 4};
  const EpochMs week = 7LL * 24 * 60 * kMin;
  Allowance a = AllowanceFor(bookable, slot, "school", false, start - week - 1);
  EXPECT_EQ(a.unit_minutes, 180);
  EXPECT_EQ(a.quota_key, "school|2026-03");
  EXPECT_EQ(a.quota_limit, 600);
  EXPECT_EQ(a.sme_key, "2026-W13");
  EXPECT_EQ(a.sme_limit, 7 * 24 * 60 * 4 * 3 / 4 - 60 * 4 * 3 / 4);  // the week lost an hour to DST
  // From exactly the release day on, the share is released: counted, not limited.
  EXPECT_EQ(AllowanceFor(bookable, slot, "school", false, start - week).sme_limit, -1);
  // SME partners are not counted; the owner is neither counted nor limited.
  EXPECT_EQ(AllowanceFor(bookable, slot, "bakery", true, 0).sme_key, "");
  Allowance owner = AllowanceFor(bookable, slot, "owner", false, 0);
  EXPECT_EQ(owner.quota_key, "");
  EXPECT_EQ(owner.sme_key, "");
}

TEST(TariffCents, ChargesPerHourOrPerStartedDayWhicheverIsLess) {
  reg::Terms terms;
  terms.set_kind(reg::TERMS_KIND_TARIFF);
  terms.set_tariff_per_hour_cents(2000);
  EXPECT_EQ(TariffCents(terms, 90 * kMin, 2), 6000);
  terms.set_tariff_per_day_cents(10000);
  EXPECT_EQ(TariffCents(terms, 8 * 60 * kMin, 1), 10000);   // 8 h would be 16,000
  EXPECT_EQ(TariffCents(terms, 25 * 60 * kMin, 1), 20000);  // two started days
  terms.set_kind(reg::TERMS_KIND_IN_KIND);
  EXPECT_EQ(TariffCents(terms, 60 * kMin, 1), 0);
}

// A tariff and a booking the API admits (1e12 cents an hour, 173 years) overflowed 64 bits,
// undefined behaviour (seen while writing the booking_validation fuzz target, which reports it on
// tests/fuzz/corpus/booking_validation/regression-tariff-overflow): capped now.
TEST(TariffCents, CapsWhatWouldOverflowInsteadOfWrapping) {
  reg::Terms terms;
  terms.set_kind(reg::TERMS_KIND_TARIFF);
  terms.set_tariff_per_hour_cents(1000000000000);
  const EpochMs centuries = 5459270399000;
  EXPECT_EQ(TariffCents(terms, centuries, 1), 1516463999722222222);  // 1,516,463.9997 hours
  EXPECT_EQ(TariffCents(terms, centuries, 100), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(TariffCents(terms, 60 * kMin, 100000), 100000000000000000);
  terms.set_tariff_per_day_cents(1000000000000);
  EXPECT_EQ(TariffCents(terms, centuries, 100000), std::numeric_limits<int64_t>::max());
}

TEST(CheckAccess, FollowsThePolicyAndSmeAccess) {
  reg::Resource r;
  r.set_owner_organization_id("owner");
  r.add_shared_with_network_ids("n1");
  r.set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
  r.set_sme_accessible(false);
  OrganizationFacts school{true, false, reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL};
  OrganizationFacts sme{true, true, reg::ORGANIZATION_KIND_COMPANY};
  EXPECT_TRUE(CheckAccess(r, "owner", school, {}).ok());
  EXPECT_TRUE(CheckAccess(r, "school", school, {"n1"}).ok());
  EXPECT_EQ(CheckAccess(r, "school", school, {"n2"}).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckAccess(r, "bakery", sme, {"n1"}).code(), absl::StatusCode::kPermissionDenied);
  r.set_sme_accessible(true);
  EXPECT_TRUE(CheckAccess(r, "bakery", sme, {"n1"}).ok());
  r.set_access_policy(reg::ACCESS_POLICY_REGISTERED_PARTNERS);
  EXPECT_TRUE(CheckAccess(r, "school", school, {}).ok());
  EXPECT_EQ(CheckAccess(r, "stranger", OrganizationFacts{}, {}).code(),
            absl::StatusCode::kPermissionDenied);
  r.set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  EXPECT_EQ(CheckAccess(r, "school", school, {"n1"}).code(), absl::StatusCode::kPermissionDenied);
}

TEST(BookingIds, CarryTheirResource) {
  const std::string id = NewBookingId("lab-42");
  EXPECT_EQ(ResourceOfBooking(id), "lab-42");
  EXPECT_EQ(ResourceOfBooking("lab-42"), "");
  EXPECT_EQ(ResourceOfBooking("Bad Id!.aaaaaaaaaaaa"), "");
  EXPECT_EQ(ResourceOfBooking(".aaaaaaaaaaaa"), "");
}

}  // namespace
}  // namespace infrashare::scheduler
