// Rotation planning benchmark (issue #4): PlanRotation on generated pools over a 6-month horizon,
// 50 units x 1,000 requests and 200 units x 5,000 requests; the time, the share of request-days
// served and the fairness (lowest and highest share served across partners). Pure planning: no
// server, no Redis. Deterministic instances (fixed seeds).
//
//   rotation_bench
#include <chrono>
#include <cstdio>
#include <random>

#include "services/scheduler/rotation_planner.h"

namespace {

using namespace infrashare::scheduler::rotation;

// Units based in 12 provincial capitals; requests anywhere in the Netherlands from `partners`
// partners (a fifth SMEs), 1-14 days, windows up to three weeks longer than the duration; a tenth
// of the units have a week of existing bookings; maintenance after 30 days in use, 2 days.
PlanInput Instance(int units, int requests, int partners, unsigned seed) {
  const Point capitals[] = {{53.22, 6.57}, {53.20, 5.80}, {52.99, 6.56}, {52.51, 6.09},
                            {52.52, 5.47}, {51.98, 5.91}, {52.09, 5.12}, {52.38, 4.64},
                            {52.08, 4.30}, {51.50, 3.61}, {51.69, 5.30}, {50.85, 5.69}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> lat(51.4, 53.3), lon(4.0, 7.0), jitter(-0.05, 0.05);
  std::uniform_int_distribution<int> days(1, 14), slack(0, 21), partner(0, partners - 1),
      percent(0, 99);
  const Seconds start = 1798761600;  // 2027-01-01
  const Seconds horizon = 182 * kDay;
  std::uniform_int_distribution<Seconds> offset(0, horizon / kDay - 15);
  PlanInput in;
  in.horizon_start = start;
  in.horizon_end = start + horizon;
  in.policy.maintenance_after_days = 30;
  in.policy.maintenance_days = 2;
  for (int u = 0; u < units; ++u) {
    const Point home = capitals[u % 12];
    Unit unit{"unit-" + std::to_string(u),
              {home.latitude + jitter(rng), home.longitude + jitter(rng)},
              {}};
    if (u % 10 == 0) {
      const Seconds b = start + offset(rng) * kDay;
      unit.busy.push_back({b, b + 7 * kDay});
    }
    in.units.push_back(unit);
  }
  for (int r = 0; r < requests; ++r) {
    Request req;
    req.id = "req-" + std::to_string(r);
    const int p = partner(rng);
    req.partner = "partner-" + std::to_string(p);
    req.sme = p % 5 == 0;
    req.location = {lat(rng), lon(rng)};
    req.duration_days = days(rng);
    req.earliest_start = start + offset(rng) * kDay;
    req.latest_end =
        std::min(in.horizon_end, req.earliest_start + (req.duration_days + slack(rng)) * kDay);
    if (req.latest_end - req.earliest_start < req.duration_days * kDay)
      req.earliest_start = req.latest_end - req.duration_days * kDay;
    req.priority = percent(rng) < 10 ? 1 : 0;
    in.requests.push_back(req);
  }
  return in;
}

void Run(int units, int requests, int partners, double goal_s) {
  PlanInput in = Instance(units, requests, partners, 42);
  const auto begin = std::chrono::steady_clock::now();
  Plan plan = PlanRotation(in);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  const auto [low, high] = FairnessRange(in, plan);
  std::printf(
      "  %3d units x %5d requests (%d partners): %6.2f s (goal <= %.0f s: %s)  served %.1f %% of "
      "%lld "
      "request-days (%zu of %d requests)  partner share min %.2f / max %.2f\n",
      units, requests, partners, seconds, goal_s, seconds <= goal_s ? "met" : "NOT met",
      100.0 * static_cast<double>(plan.fulfilled_days) / static_cast<double>(plan.requested_days),
      static_cast<long long>(plan.requested_days), requests - plan.unfulfilled.size(), requests,
      low, high);
}

}  // namespace

int main() {
  Run(50, 1000, 50, 2);
  Run(200, 5000, 200, 30);
  return 0;
}
