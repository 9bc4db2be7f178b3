// Rotation planning: every plan the tests produce passes an independent feasibility checker; on
// random small instances the plan serves (nearly) as many request-days as the exact optimum found
// by exhaustive search here; no partner that could be served is starved while another gets more
// than one; pins, reasons and determinism.
#include "services/scheduler/rotation_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "services/common/geo.h"

namespace infrashare::scheduler::rotation {
namespace {

constexpr Seconds kStart = 1798761600;  // 2027-01-01T00:00:00Z

// Travel time computed here, not by the planner: road km / speed, rounded up to the minute.
Seconds Travel(const PoolPolicy& policy, Point a, Point b) {
  const double km =
      HaversineKm(a.latitude, a.longitude, b.latitude, b.longitude) * policy.road_factor;
  return static_cast<Seconds>(std::ceil(km / policy.speed_kmh * 60 - 1e-9)) * 60;
}

Request Ask(std::string id, std::string partner, Point where, Seconds earliest, Seconds latest_end,
            int days) {
  Request r;
  r.id = std::move(id);
  r.partner = std::move(partner);
  r.location = where;
  r.earliest_start = earliest;
  r.latest_end = latest_end;
  r.duration_days = days;
  return r;
}

bool Same(Point a, Point b) { return a.latitude == b.latitude && a.longitude == b.longitude; }

// Whether [start, end) lies inside the union of `intervals`.
bool Covered(std::vector<Interval> intervals, Seconds start, Seconds end) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  for (const auto& i : intervals)
    if (i.start <= start && i.end > start) start = i.end;
  return start >= end;
}

// The independent checker: walks each unit's legs and the plan's assignments and returns what is
// wrong ("" when nothing is). Set-up and tear-down happen inside the partner's window; a unit is
// at home for every booking (an at-home leg) and back home after its last leg.
std::string Check(const PlanInput& in, const Plan& plan) {
  std::map<std::string, const Request*> requests;
  for (const auto& r : in.requests) requests[r.id] = &r;
  std::map<std::string, const Unit*> units;
  for (const auto& u : in.units) units[u.id] = &u;
  std::map<std::string, std::vector<const Assignment*>> served;
  for (const auto& a : plan.assignments) served[a.request_id].push_back(&a);
  for (const auto& [id, list] : served) {
    const Request& r = *requests.at(id);
    if (static_cast<int>(list.size()) != r.units)
      return id + ": served by the wrong number of units";
    for (const auto* a : list) {
      if (a->start != list.front()->start) return id + ": its units do not start together";
      if (a->start - in.policy.setup < r.earliest_start ||
          a->end + in.policy.teardown > r.latest_end)
        return id + ": set-up or tear-down outside its window";
      if (a->start < in.horizon_start || a->end > in.horizon_end)
        return id + ": outside the horizon";
      if (a->end - a->start != r.duration_days * kDay) return id + ": wrong duration";
      if (!r.unit_id.empty() && a->unit_id != r.unit_id)
        return id + ": not on the unit it asked for";
    }
  }
  for (const auto& [unit_id, legs] : plan.legs) {
    const Unit& unit = *units.at(unit_id);
    Point at = unit.home;
    Seconds free = in.horizon_start;
    int used = 0;
    if (auto start = in.starts.find(unit_id); start != in.starts.end()) {
      at = start->second.at;
      free = std::max(free, start->second.from);
      used = start->second.used_days;
    }
    for (size_t n = 0; n < legs.size(); ++n) {
      const Leg& leg = legs[n];
      if (leg.start < free) return unit_id + ": two things at once at " + std::to_string(leg.start);
      if (leg.end < leg.start) return unit_id + ": a leg ends before it starts";
      if (leg.kind == LegKind::kTransport) {
        if (!Same(leg.from, at)) return unit_id + ": leaves from where it is not";
        if (leg.end - leg.start < Travel(in.policy, leg.from, leg.to))
          return unit_id + ": travels too fast";
        at = leg.to;
      } else {
        if (!Same(leg.to, at)) return unit_id + ": works where it is not";
      }
      if (leg.kind == LegKind::kAtHome) {
        if (!Same(at, unit.home)) return unit_id + ": at home away from home";
        if (!Covered(unit.busy, leg.start, leg.end)) return unit_id + ": at home for no booking";
      } else {
        for (const auto& b : unit.busy)
          if (leg.start < b.end && b.start < leg.end)
            return unit_id + ": clashes with an existing booking";
      }
      if (leg.kind == LegKind::kMaintenance) {
        const Point place =
            in.policy.maintenance_location ? *in.policy.maintenance_location : unit.home;
        if (!Same(at, place)) return unit_id + ": maintained away from its maintenance place";
        if (leg.end - leg.start < in.policy.maintenance_days * kDay)
          return unit_id + ": maintenance too short";
        used = 0;
      }
      if (leg.kind == LegKind::kAssignment) {
        const Request& r = *requests.at(leg.request_id);
        if (!Same(at, r.location)) return unit_id + ": serves " + r.id + " elsewhere";
        if (in.policy.setup > 0 && (n == 0 || legs[n - 1].kind != LegKind::kSetup ||
                                    legs[n - 1].end - legs[n - 1].start < in.policy.setup))
          return unit_id + ": not set up before " + r.id;
        if (in.policy.teardown > 0 &&
            (n + 1 >= legs.size() || legs[n + 1].kind != LegKind::kTeardown ||
             legs[n + 1].end - legs[n + 1].start < in.policy.teardown))
          return unit_id + ": not torn down after " + r.id;
        const Seconds arrived = in.policy.setup > 0 ? legs[n - 1].start : leg.start;
        const Seconds gone = in.policy.teardown > 0 ? legs[n + 1].end : leg.end;
        if (arrived < r.earliest_start || gone > r.latest_end)
          return unit_id + ": outside the window of " + r.id;
        const int days = static_cast<int>((leg.end - leg.start) / kDay);
        if (in.policy.maintenance_after_days > 0 && used > 0 &&
            used + days > in.policy.maintenance_after_days)
          return unit_id + ": in use too long without maintenance before " + r.id;
        used += days;
      }
      free = leg.end;
    }
    if (!Same(at, unit.home)) return unit_id + ": not back home after its last leg";
    // At home for every booking: the last place before it is home, and at-home legs cover it from
    // the horizon's start on.
    std::vector<Interval> at_home;
    for (const auto& leg : legs)
      if (leg.kind == LegKind::kAtHome) at_home.push_back({leg.start, leg.end});
    for (const auto& b : unit.busy) {
      Point where = unit.home;
      for (const auto& leg : legs)
        if (leg.end <= b.start) where = leg.to;
      if (!Same(where, unit.home)) return unit_id + ": not at home for its booking";
      if (!Covered(at_home, std::max(b.start, in.horizon_start), b.end))
        return unit_id + ": no at-home leg for its booking";
    }
  }
  return "";
}

// The exact optimum by exhaustive search, for single-unit requests without bookings: every
// assignment of requests to units (or none), each unit's set tried in every order with earliest
// starts, which is optimal for a fixed order in this model.
bool UnitCanServe(const PlanInput& in, const Unit& unit, std::vector<int> set) {
  std::sort(set.begin(), set.end());
  do {
    Point at = unit.home;
    Seconds t = in.horizon_start;
    int used = 0;
    bool ok = true;
    for (int r : set) {
      const Request& req = in.requests[r];
      if (!req.unit_id.empty() && req.unit_id != unit.id) return false;
      if (in.policy.maintenance_after_days > 0 && used > 0 &&
          used + req.duration_days > in.policy.maintenance_after_days) {
        t += Travel(in.policy, at, unit.home) + in.policy.maintenance_days * kDay;
        at = unit.home;
        used = 0;
      }
      const Seconds start =
          std::max(req.earliest_start, t + Travel(in.policy, at, req.location)) + in.policy.setup;
      const Seconds end = start + req.duration_days * kDay;
      if (end > in.horizon_end || end + in.policy.teardown > req.latest_end) {
        ok = false;
        break;
      }
      t = end + in.policy.teardown;
      at = req.location;
      used += req.duration_days;
    }
    if (ok) return true;
  } while (std::next_permutation(set.begin(), set.end()));
  return false;
}

int64_t Optimum(const PlanInput& in) {
  const int n = static_cast<int>(in.requests.size());
  const int k = static_cast<int>(in.units.size());
  int64_t best = 0;
  std::vector<int> choice(n, 0);  // 0 = none, u + 1 = unit u
  while (true) {
    int64_t days = 0;
    for (int r = 0; r < n; ++r)
      if (choice[r]) days += in.requests[r].duration_days;
    if (days > best) {
      bool ok = true;
      for (int u = 0; u < k && ok; ++u) {
        std::vector<int> set;
        for (int r = 0; r < n; ++r)
          if (choice[r] == u + 1) set.push_back(r);
        ok = UnitCanServe(in, in.units[u], set);
      }
      if (ok) best = days;
    }
    int pos = 0;
    while (pos < n && ++choice[pos] > k) choice[pos++] = 0;
    if (pos == n) break;
  }
  return best;
}

// A small random instance in the east of the Netherlands: 2 units, up to 8 requests of 1-5 days
// from 4 partners over a month, windows a little longer than the duration.
PlanInput RandomInstance(std::mt19937& rng, bool maintenance) {
  std::uniform_real_distribution<double> lat(51.8, 52.8), lon(5.8, 7.0);
  std::uniform_int_distribution<int> days(1, 5), offset(0, 24), slack(0, 4), count(4, 8),
      partner(0, 3);
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 35 * kDay;
  in.policy.speed_kmh = 50;
  if (maintenance) {
    in.policy.maintenance_after_days = 6;
    in.policy.maintenance_days = 1;
  }
  in.units = {{"unit-a", {52.22, 6.89}, {}}, {"unit-b", {52.51, 6.09}, {}}};
  const int n = count(rng);
  for (int r = 0; r < n; ++r) {
    Request req;
    req.id = "r" + std::to_string(r);
    req.partner = "p" + std::to_string(partner(rng));
    req.location = {lat(rng), lon(rng)};
    req.duration_days = days(rng);
    req.earliest_start = kStart + offset(rng) * kDay;
    req.latest_end = req.earliest_start + (req.duration_days + slack(rng)) * kDay + 12 * 3600;
    in.requests.push_back(req);
  }
  return in;
}

// No partner that could be served alone goes without while another has more than one.
std::string FairnessViolation(const PlanInput& in, const Plan& plan) {
  std::map<std::string, int> count;
  std::set<std::string> served;
  for (const auto& a : plan.assignments) served.insert(a.request_id);
  for (const auto& r : in.requests) count[r.partner] += served.count(r.id) ? 1 : 0;
  const bool someone_has_more =
      std::any_of(count.begin(), count.end(), [](const auto& c) { return c.second > 1; });
  if (!someone_has_more) return "";
  for (const auto& [partner, n] : count) {
    if (n > 0) continue;
    for (const auto& r : in.requests) {
      if (r.partner != partner) continue;
      PlanInput alone = in;
      alone.requests = {r};
      if (!PlanRotation(alone).assignments.empty())
        return partner + " could be served but got nothing";
    }
  }
  return "";
}

TEST(RotationPlanner, ServesNearlyTheOptimumOnSmallInstancesFairlyAndFeasibly) {
  std::mt19937 rng(4711);
  int64_t planned = 0, optimum = 0;
  double worst = 1;
  for (int instance = 0; instance < 150; ++instance) {
    PlanInput in = RandomInstance(rng, instance % 3 == 0);
    Plan plan = PlanRotation(in);
    ASSERT_EQ(Check(in, plan), "") << "instance " << instance;
    ASSERT_EQ(FairnessViolation(in, plan), "") << "instance " << instance;
    const int64_t best = Optimum(in);
    ASSERT_LE(plan.fulfilled_days, best) << "instance " << instance << ": better than the optimum?";
    planned += plan.fulfilled_days;
    optimum += best;
    if (best > 0) worst = std::min(worst, static_cast<double>(plan.fulfilled_days) / best);
  }
  const double share = static_cast<double>(planned) / optimum;
  EXPECT_GE(share, 0.95) << "served " << planned << " of an optimum " << optimum << " request-days";
  std::printf(
      "[          ] %.1f %% of the optimum's request-days over 150 instances (worst instance %.0f "
      "%%)\n",
      100 * share, 100 * worst);
}

TEST(RotationPlanner, TravelsSetsUpAndMaintainsAroundExistingBookings) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 60 * kDay;
  in.policy.maintenance_after_days = 5;
  in.policy.maintenance_days = 2;
  in.units = {{"van", {52.22, 6.89}, {{kStart + 10 * kDay, kStart + 12 * kDay}}}};
  const Point zwolle{52.51, 6.09}, groningen{53.22, 6.57};
  in.requests = {Ask("a", "p1", zwolle, kStart, kStart + 30 * kDay, 4),
                 Ask("b", "p2", groningen, kStart, kStart + 30 * kDay, 3),
                 Ask("c", "p3", zwolle, kStart + 20 * kDay, kStart + 40 * kDay, 3)};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  EXPECT_EQ(plan.fulfilled_days, 10);
  int maintenance = 0, transport = 0;
  for (const auto& leg : plan.legs.front().second) {
    maintenance += leg.kind == LegKind::kMaintenance;
    transport += leg.kind == LegKind::kTransport;
  }
  EXPECT_GE(maintenance, 1);  // 4 + 3 days > 5: a stop before the second
  EXPECT_GE(transport, 4);
}

TEST(RotationPlanner, ServesMultiUnitRequestsWithAllUnitsTogether) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 30 * kDay;
  in.units = {{"u1", {52.22, 6.89}, {}},
              {"u2", {52.51, 6.09}, {{kStart, kStart + 3 * kDay}}},
              {"u3", {52.0, 5.0}, {}}};
  Request both = Ask("two", "p1", {52.4, 6.5}, kStart, kStart + 20 * kDay, 5);
  both.units = 2;
  Request named = Ask("named", "p2", {52.4, 6.5}, kStart, kStart + 20 * kDay, 5);
  named.unit_id = "u3";
  in.requests = {both, named};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  EXPECT_EQ(plan.fulfilled_days, 15);
  for (const auto& a : plan.assignments) {
    if (a.request_id == "named") {
      EXPECT_EQ(a.unit_id, "u3");
    }
  }
}

TEST(RotationPlanner, KeepsPinsAndPlansAroundThem) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 30 * kDay;
  in.units = {{"u1", {52.22, 6.89}, {}}};
  in.requests = {Ask("long", "p1", {52.3, 6.8}, kStart, kStart + 30 * kDay, 20),
                 Ask("short", "p2", {52.3, 6.8}, kStart, kStart + 30 * kDay, 5)};
  in.pins = {{"short", "u1", kStart + 12 * kDay}};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  ASSERT_EQ(plan.assignments.size(), 1u);  // the pin in the middle leaves no room for 20 days
  EXPECT_EQ(plan.assignments.front().request_id, "short");
  EXPECT_EQ(plan.assignments.front().start, kStart + 12 * kDay);
  EXPECT_TRUE(plan.assignments.front().pinned);
  ASSERT_EQ(plan.unfulfilled.size(), 1u);
  EXPECT_EQ(plan.unfulfilled.front().reason,
            "every unit that could serve it is taken in its window");
}

// A unit still out on a committed plan's legs starts where and when those leave it, with the days
// it has been in use since its last maintenance.
TEST(RotationPlanner, AUnitStillOutStartsWhereItIs) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 30 * kDay;
  in.policy.maintenance_after_days = 4;
  in.policy.maintenance_days = 1;
  const Point home{52.22, 6.89}, maastricht{50.85, 5.69};
  in.units = {{"u1", home, {}}};
  in.starts["u1"] = {maastricht, kStart + 5 * kDay, 2};
  in.requests = {Ask("early", "p1", home, kStart, kStart + 5 * kDay, 2),
                 Ask("later", "p2", home, kStart + 5 * kDay, kStart + 20 * kDay, 3)};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  ASSERT_EQ(plan.assignments.size(), 1u);
  EXPECT_EQ(plan.assignments.front().request_id, "later");
  const auto& legs = plan.legs.front().second;
  ASSERT_FALSE(legs.empty());
  EXPECT_EQ(legs.front().kind, LegKind::kTransport);
  EXPECT_TRUE(Same(legs.front().from, maastricht));
  EXPECT_EQ(legs.front().start, kStart + 5 * kDay);
  // 2 days in use + 3 more is past the 4-day rule: maintenance first.
  EXPECT_TRUE(std::any_of(legs.begin(), legs.end(),
                          [](const Leg& l) { return l.kind == LegKind::kMaintenance; }));
  ASSERT_EQ(plan.unfulfilled.size(), 1u);
  EXPECT_EQ(plan.unfulfilled.front().request_id, "early");
}

// Placed first at its earliest start, the long request blocks the short one; moving it later
// serves both.
TEST(RotationPlanner, MovesAServedRequestLaterToFitAnother) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 40 * kDay;
  const Point home{52.22, 6.89};
  in.units = {{"u1", home, {}}};
  in.requests = {Ask("long", "p1", home, kStart + 2 * kDay, kStart + 40 * kDay, 7),
                 Ask("short", "p2", home, kStart, kStart + 5 * kDay, 3)};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  EXPECT_EQ(plan.fulfilled_days, 10);
  EXPECT_TRUE(plan.unfulfilled.empty());
}

// A unit waits where it is and leaves in time for its next stop, not as soon as it is free.
TEST(RotationPlanner, LeavesJustInTime) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 30 * kDay;
  in.units = {{"u1", {52.22, 6.89}, {}}};
  in.requests = {Ask("zwolle", "p1", {52.51, 6.09}, kStart + 10 * kDay, kStart + 20 * kDay, 2)};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  const auto& legs = plan.legs.front().second;
  ASSERT_GE(legs.size(), 2u);
  EXPECT_EQ(legs[0].kind, LegKind::kTransport);
  EXPECT_EQ(legs[1].kind, LegKind::kSetup);
  EXPECT_EQ(legs[0].end, legs[1].start);
  EXPECT_EQ(legs[1].start, kStart + 10 * kDay);  // set-up starts with the partner's window
}

// The pool owner's priority outranks the fairness order between partners.
TEST(RotationPlanner, ServesTheOwnersPriorityFirst) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 10 * kDay;
  const Point home{52.22, 6.89};
  in.units = {{"u1", home, {}}};
  in.requests = {Ask("a", "p1", home, kStart, kStart + 10 * kDay, 6),
                 Ask("b", "p2", home, kStart, kStart + 10 * kDay, 5)};
  in.requests[1].priority = 1;
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  ASSERT_EQ(plan.assignments.size(), 1u);
  EXPECT_EQ(plan.assignments.front().request_id, "b");
}

TEST(RotationPlanner, SaysWhyARequestIsNotServed) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 40 * kDay;
  in.policy.maintenance_after_days = 3;
  in.policy.maintenance_days = 10;
  in.units = {{"u1", {52.22, 6.89}, {{kStart + 20 * kDay, kStart + 30 * kDay}}}};
  in.requests = {
      // Maastricht is ~230 road km away; a day's window with the set-up cannot be reached at once.
      Ask("far", "p1", {50.85, 5.69}, kStart, kStart + kDay + 3600, 1),
      Ask("booked", "p2", {52.22, 6.89}, kStart + 21 * kDay, kStart + 29 * kDay, 2),
      Ask("first", "p3", {52.22, 6.89}, kStart + kDay - 3 * 3600, kStart + 4 * kDay + 3600, 3),
      Ask("after", "p4", {52.22, 6.89}, kStart + 4 * kDay, kStart + 8 * kDay, 3),
      Ask("next-year", "p5", {52.22, 6.89}, kStart + 60 * kDay, kStart + 70 * kDay, 3),
  };
  in.policy.setup = 3 * 3600;
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  std::map<std::string, std::string> why;
  for (const auto& u : plan.unfulfilled) why[u.request_id] = u.reason;
  EXPECT_EQ(why["far"],
            "no unit can reach it in time: its window is too short for the travel, set-up, "
            "duration and tear-down");
  EXPECT_EQ(why["booked"], "the units are booked or closed throughout its window");
  EXPECT_EQ(why["after"],
            "every unit that could serve it is taken in its window");  // maintenance after "first"
  EXPECT_EQ(why["next-year"],
            "outside the planning horizon: plan a horizon that includes its window");
}

TEST(RotationPlanner, GivesEveryPartnerATurnBeforeAnyoneGetsASecond) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 10 * kDay;
  in.units = {{"u1", {52.22, 6.89}, {}}};
  // p1 asks for three short slots, p2 for one long one: the long one alone is worth more days, but
  // p2 must not be starved for p1's second and third.
  in.requests = {Ask("p1-a", "p1", {52.22, 6.89}, kStart, kStart + 4 * kDay, 2),
                 Ask("p1-b", "p1", {52.22, 6.89}, kStart + 3 * kDay, kStart + 7 * kDay, 2),
                 Ask("p1-c", "p1", {52.22, 6.89}, kStart + 6 * kDay, kStart + 10 * kDay, 2),
                 Ask("p2", "p2", {52.22, 6.89}, kStart + 2 * kDay, kStart + 9 * kDay, 5)};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  EXPECT_EQ(FairnessViolation(in, plan), "");
  std::set<std::string> served;
  for (const auto& a : plan.assignments) served.insert(a.request_id);
  EXPECT_TRUE(served.count("p2"));
  const auto [low, high] = FairnessRange(in, plan);
  EXPECT_GT(low, 0);
  EXPECT_LE(high, 1);
}

// The partner's window holds everything the unit does at its site: set-up starts when the window
// opens at the earliest, tear-down ends when it closes at the latest.
TEST(RotationPlanner, SetsUpAndTearsDownInsideThePartnersWindow) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 30 * kDay;
  in.units = {{"u1", {52.22, 6.89}, {}}, {"u2", {52.22, 6.89}, {}}};
  const Point zwolle{52.51, 6.09};
  in.requests = {Ask("roomy", "p1", zwolle, kStart + 10 * kDay, kStart + 12 * kDay + 3 * 3600, 2),
                 Ask("exact", "p2", zwolle, kStart + 10 * kDay, kStart + 12 * kDay, 2)};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  ASSERT_EQ(plan.assignments.size(), 1u);
  EXPECT_EQ(plan.assignments.front().request_id, "roomy");
  EXPECT_EQ(plan.assignments.front().start, kStart + 10 * kDay + in.policy.setup);
  for (const auto& [unit, legs] : plan.legs)
    for (const auto& leg : legs) {
      if (leg.kind == LegKind::kSetup) {
        EXPECT_GE(leg.start, kStart + 10 * kDay);
      }
      if (leg.kind == LegKind::kTeardown) {
        EXPECT_LE(leg.end, kStart + 12 * kDay + 3 * 3600);
      }
    }
  // Two days of use in a window of two days leave no room for set-up and tear-down.
  ASSERT_EQ(plan.unfulfilled.size(), 1u);
  EXPECT_EQ(plan.unfulfilled.front().request_id, "exact");
  EXPECT_EQ(plan.unfulfilled.front().reason,
            "no unit can reach it in time: its window is too short for the travel, set-up, "
            "duration and tear-down");
}

// The same over larger generated plans: 4 units, 40 requests of 12 partners over three months,
// some windows with no slack at all, a few bookings; every served request's set-up and tear-down
// lie inside its window.
TEST(RotationPlanner, EveryServedRequestOfALargerPlanIsSetUpAndTornDownInsideItsWindow) {
  std::mt19937 rng(20261130);
  std::uniform_real_distribution<double> lat(51.5, 53.2), lon(4.5, 7.0);
  std::uniform_int_distribution<int> days(1, 6), offset(0, 80), slack(0, 3), hours(0, 12),
      partner(0, 11);
  int served = 0;
  for (int instance = 0; instance < 5; ++instance) {
    PlanInput in;
    in.horizon_start = kStart;
    in.horizon_end = kStart + 90 * kDay;
    in.policy.maintenance_after_days = 20;
    in.policy.maintenance_days = 1;
    in.units = {{"u1", {52.22, 6.89}, {{kStart + 30 * kDay, kStart + 33 * kDay}}},
                {"u2", {52.51, 6.09}, {}},
                {"u3", {52.09, 5.12}, {{kStart + 50 * kDay, kStart + 51 * kDay}}},
                {"u4", {51.44, 5.48}, {}}};
    for (int r = 0; r < 40; ++r) {
      const int d = days(rng);
      const Seconds earliest = kStart + offset(rng) * kDay + hours(rng) * 3600;
      in.requests.push_back(Ask("r" + std::to_string(r), "p" + std::to_string(partner(rng)),
                                {lat(rng), lon(rng)}, earliest,
                                earliest + (d + slack(rng)) * kDay + hours(rng) * 3600, d));
    }
    Plan plan = PlanRotation(in);
    ASSERT_EQ(Check(in, plan), "") << "instance " << instance;
    std::map<std::string, const Request*> requests;
    for (const auto& r : in.requests) requests[r.id] = &r;
    for (const auto& [unit, legs] : plan.legs)
      for (const auto& leg : legs) {
        if (leg.kind != LegKind::kSetup && leg.kind != LegKind::kTeardown) continue;
        const Request& r = *requests.at(leg.request_id);
        EXPECT_GE(leg.start, r.earliest_start) << "instance " << instance << " " << r.id;
        EXPECT_LE(leg.end, r.latest_end) << "instance " << instance << " " << r.id;
      }
    served += static_cast<int>(plan.assignments.size());
  }
  EXPECT_GE(served, 5 * 20);
}

// A unit that goes home for its owner's booking between two partners stays there for it (an
// at-home leg, the owner's), and every unit drives home after its last stop.
TEST(RotationPlanner, StaysHomeForABookingBetweenPartnersAndDrivesHomeAtTheEnd) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 30 * kDay;
  const Point home{52.22, 6.89}, zwolle{52.51, 6.09}, groningen{53.22, 6.57};
  in.units = {{"u1", home, {{kStart + 8 * kDay, kStart + 10 * kDay}}}};
  in.requests = {Ask("before", "p1", zwolle, kStart + kDay, kStart + 7 * kDay, 3),
                 Ask("after", "p2", groningen, kStart + 10 * kDay, kStart + 20 * kDay, 3)};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  ASSERT_EQ(plan.assignments.size(), 2u);
  std::vector<LegKind> kinds;
  for (const auto& leg : plan.legs.front().second) kinds.push_back(leg.kind);
  using K = LegKind;
  EXPECT_EQ(kinds, (std::vector<K>{K::kTransport, K::kSetup, K::kAssignment, K::kTeardown,
                                   K::kTransport, K::kAtHome, K::kTransport, K::kSetup,
                                   K::kAssignment, K::kTeardown, K::kTransport}));
  const Leg& last = plan.legs.front().second.back();
  EXPECT_TRUE(Same(last.from, groningen));
  EXPECT_TRUE(Same(last.to, home));
  EXPECT_EQ(last.end - last.start, Travel(in.policy, groningen, home));
}

// A booking under way when the horizon starts, or bookings and closures that overlap, keep the
// unit at home while they last, not for the whole plan.
TEST(RotationPlanner, UsesAUnitAfterABookingUnderWayOrOverlappingClosures) {
  PlanInput in;
  in.horizon_start = kStart;
  in.horizon_end = kStart + 30 * kDay;
  const Point home{52.22, 6.89};
  in.units = {{"u1", home, {{kStart - kDay, kStart + kDay}}}};
  in.requests = {Ask("a", "p1", home, kStart + 5 * kDay, kStart + 10 * kDay, 2)};
  Plan plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  EXPECT_EQ(plan.assignments.size(), 1u);
  in.units = {
      {"u1", home, {{kStart + kDay, kStart + 3 * kDay}, {kStart + 2 * kDay, kStart + 4 * kDay}}}};
  plan = PlanRotation(in);
  EXPECT_EQ(Check(in, plan), "");
  EXPECT_EQ(plan.assignments.size(), 1u);
  ASSERT_FALSE(plan.legs.front().second.empty());
  const Leg& at_home = plan.legs.front().second.front();
  EXPECT_EQ(at_home.kind, LegKind::kAtHome);
  EXPECT_EQ(at_home.start, kStart + kDay);
  EXPECT_EQ(at_home.end, kStart + 4 * kDay);
}

TEST(RotationPlanner, IsDeterministic) {
  std::mt19937 rng(7);
  PlanInput in = RandomInstance(rng, true);
  Plan a = PlanRotation(in), b = PlanRotation(in);
  ASSERT_EQ(a.assignments.size(), b.assignments.size());
  for (size_t n = 0; n < a.assignments.size(); ++n) {
    EXPECT_EQ(a.assignments[n].request_id, b.assignments[n].request_id);
    EXPECT_EQ(a.assignments[n].unit_id, b.assignments[n].unit_id);
    EXPECT_EQ(a.assignments[n].start, b.assignments[n].start);
  }
}

}  // namespace
}  // namespace infrashare::scheduler::rotation
