#include "services/scheduler/rotation_planner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "services/common/geo.h"

namespace infrashare::scheduler::rotation {
namespace {

// What a unit does at a fixed time: serve a request (its footprint includes set-up and tear-down)
// or sit at home for an existing booking or closure.
struct Item {
  Seconds start = 0;  // footprint: set-up begins / busy begins
  Seconds end = 0;    // footprint: tear-down ends / busy ends
  Seconds work_start = 0;
  Seconds work_end = 0;
  Point where;
  int days = 0;      // in-use days it adds (0 for busy)
  int request = -1;  // index into the input's requests; -1 = busy
};

// Where a unit is, from when, and how many in-use days since its last maintenance.
struct State {
  Point where;
  Seconds free_from = 0;
  int used = 0;
};

struct Placement {
  int request = -1;
  std::vector<int> units;
  Seconds start = 0;
  bool pinned = false;
};

// The order in which a partner's requests (and the swaps' candidates) are tried.
enum class Ordering { kValue, kWindow, kSlack, kShortFirst };

class Planner {
 public:
  explicit Planner(const PlanInput& input, Ordering ordering = Ordering::kValue)
      : in_(input), ordering_(ordering), timelines_(input.units.size()) {
    for (size_t u = 0; u < in_.units.size(); ++u) {
      unit_index_[in_.units[u].id] = static_cast<int>(u);
      auto start = in_.starts.find(in_.units[u].id);
      starts_.push_back(start == in_.starts.end()
                            ? State{in_.units[u].home, in_.horizon_start, 0}
                            : State{start->second.at,
                                    std::max(in_.horizon_start, start->second.from),
                                    start->second.used_days});
      // Bookings and closures may overlap one another or have begun before the unit is free: it
      // is at home from the first of a run of them to the last, from when it is free.
      std::vector<Interval> busy = in_.units[u].busy;
      std::sort(busy.begin(), busy.end(),
                [](const Interval& a, const Interval& b) { return a.start < b.start; });
      auto& items = timelines_[u];
      for (const auto& b : busy) {
        const Seconds start = std::max(b.start, starts_[u].free_from);
        if (start >= b.end) continue;
        if (!items.empty() && start <= items.back().end) {
          items.back().end = items.back().work_end = std::max(items.back().end, b.end);
          continue;
        }
        Item item;
        item.start = item.work_start = start;
        item.end = item.work_end = b.end;
        item.where = in_.units[u].home;
        items.push_back(item);
      }
    }
  }

  Plan Run() {
    for (size_t r = 0; r < in_.requests.size(); ++r)
      request_index_[in_.requests[r].id] = static_cast<int>(r);
    std::vector<bool> pinned_fail(in_.requests.size(), false);
    for (const auto& pin : in_.pins) {
      auto r = request_index_.find(pin.request_id);
      auto u = unit_index_.find(pin.unit_id);
      if (r == request_index_.end() || u == unit_index_.end() || placed_.count(r->second)) continue;
      const Request& req = in_.requests[r->second];
      if (req.units == 1 && FitsAt(r->second, u->second, pin.start)) {
        Commit({r->second, {u->second}, pin.start, true});
      } else {
        pinned_fail[r->second] = true;
      }
    }
    FairRounds();
    Improve();
    RepairFairness();
    Plan plan = Build();
    PlanInput without_bookings = in_, without_maintenance = in_;
    for (auto& u : without_bookings.units) u.busy.clear();
    without_bookings.policy.maintenance_after_days = 0;
    without_maintenance.policy.maintenance_after_days = 0;
    const Planner free(without_bookings), booked(without_maintenance), full(in_);
    for (size_t r = 0; r < in_.requests.size(); ++r) {
      plan.requested_days += Days(static_cast<int>(r));
      if (placed_.count(static_cast<int>(r))) continue;
      plan.unfulfilled.push_back(
          {in_.requests[r].id, pinned_fail[r] ? "the pinned assignment is no longer feasible"
                                              : Reason(static_cast<int>(r), free, booked, full)});
    }
    for (const auto& [r, p] : placed_) plan.fulfilled_days += Days(r);
    return plan;
  }

 private:
  int64_t Days(int r) const {
    return int64_t{in_.requests[r].duration_days} * in_.requests[r].units;
  }
  double Weighted(int r) const {
    return static_cast<double>(Days(r)) * (in_.requests[r].sme ? in_.sme_weight : 1.0);
  }
  Seconds Travel(Point a, Point b) const { return TravelTime(in_.policy, a, b); }
  Point MaintenancePlace(int u) const {
    return in_.policy.maintenance_location ? *in_.policy.maintenance_location : in_.units[u].home;
  }

  // Moves the state through `item`; false when the unit cannot make it in time. With `legs`, also
  // writes what the unit does.
  bool Step(int u, State* s, const Item& item, std::vector<Leg>* legs) const {
    const Point home = in_.units[u].home;
    // Leaves as late as still arrives by `arrive_by` (a unit waits where it is, not at its next
    // stop), at once when that is 0.
    auto travel = [&](Point to, Seconds arrive_by) {
      const Seconds t = Travel(s->where, to);
      const Seconds leave = std::max(s->free_from, arrive_by - t);
      if (legs && t > 0)
        legs->push_back({LegKind::kTransport, leave, leave + t, "", s->where, to,
                         RoadKm(in_.policy, s->where, to)});
      s->free_from = leave + t;
      s->where = to;
    };
    if (item.request < 0) {
      travel(home, item.start);
      if (s->free_from > item.start) return false;
      if (legs) legs->push_back({LegKind::kAtHome, item.start, item.end, "", home, home, 0});
      s->free_from = std::max(s->free_from, item.end);
      return true;
    }
    const int rule = in_.policy.maintenance_after_days;
    if (rule > 0 && s->used > 0 && s->used + item.days > rule) {
      travel(MaintenancePlace(u), 0);
      const Seconds end = s->free_from + Seconds{in_.policy.maintenance_days} * kDay;
      if (legs)
        legs->push_back({LegKind::kMaintenance, s->free_from, end, "", s->where, s->where, 0});
      s->free_from = end;
      s->used = 0;
    }
    travel(item.where, item.start);
    if (s->free_from > item.start) return false;
    if (legs) {
      const std::string& id = in_.requests[item.request].id;
      if (item.start < item.work_start)
        legs->push_back(
            {LegKind::kSetup, item.start, item.work_start, id, item.where, item.where, 0});
      legs->push_back(
          {LegKind::kAssignment, item.work_start, item.work_end, id, item.where, item.where, 0});
      if (item.work_end < item.end)
        legs->push_back(
            {LegKind::kTeardown, item.work_end, item.end, id, item.where, item.where, 0});
    }
    s->free_from = item.end;
    s->used += item.days;
    return true;
  }

  State Start(int u) const { return starts_[u]; }

  Item MakeItem(int r, Seconds work_start) const {
    const Request& req = in_.requests[r];
    Item item;
    item.work_start = work_start;
    item.work_end = work_start + Seconds{req.duration_days} * kDay;
    item.start = work_start - in_.policy.setup;
    item.end = item.work_end + in_.policy.teardown;
    item.where = req.location;
    item.days = req.duration_days;
    item.request = r;
    return item;
  }

  // The earliest start >= `not_before` at which unit `u` can serve request `r` given its timeline
  // (with the other assignments where they are), or nullopt.
  // Whether unit `u` may serve `req`: the unit it names, if it names one, and one its partner
  // may use.
  bool MayUse(const Request& req, int u) const {
    const std::string& id = in_.units[u].id;
    return (req.unit_id.empty() || req.unit_id == id) && !req.barred_units.count(id);
  }

  std::optional<Seconds> Earliest(int r, int u, Seconds not_before) const {
    const Request& req = in_.requests[r];
    if (!MayUse(req, u)) return std::nullopt;
    const Seconds duration = Seconds{req.duration_days} * kDay;
    const Seconds latest_start =
        std::min(req.latest_end - in_.policy.teardown, in_.horizon_end) - duration;
    const Seconds lower =
        std::max({not_before, req.earliest_start + in_.policy.setup, in_.horizon_start});
    if (lower > latest_start) return std::nullopt;
    const auto& items = timelines_[u];
    State s = Start(u);
    for (size_t gap = 0; gap <= items.size(); ++gap) {
      // The gap before items[gap]: the unit is in state `s` after items[0..gap).
      if (gap < items.size() && items[gap].end + in_.policy.setup < lower) {
        if (!Step(u, &s, items[gap], nullptr)) return std::nullopt;
        continue;
      }
      State before = s;
      // When the rule asks for maintenance first, the state after it.
      const int rule = in_.policy.maintenance_after_days;
      if (rule > 0 && before.used > 0 && before.used + req.duration_days > rule) {
        before.free_from +=
            Travel(before.where, MaintenancePlace(u)) + Seconds{in_.policy.maintenance_days} * kDay;
        before.where = MaintenancePlace(u);
        before.used = 0;
      }
      const Seconds arrive = before.free_from + Travel(before.where, req.location);
      const Seconds start = std::max(lower, arrive + in_.policy.setup);
      if (start > latest_start) return std::nullopt;  // later gaps only start later
      if (SuffixFits(u, gap, s, MakeItem(r, start))) return start;
      if (gap == items.size()) return std::nullopt;
      if (!Step(u, &s, items[gap], nullptr)) return std::nullopt;
    }
    return std::nullopt;
  }

  // Whether `item`, inserted before items[gap] of unit `u` whose state there is `s`, keeps the
  // unit's timeline feasible.
  bool SuffixFits(int u, size_t gap, State s, const Item& item) const {
    if (!Step(u, &s, item, nullptr)) return false;
    const auto& items = timelines_[u];
    for (size_t n = gap; n < items.size(); ++n)
      if (!Step(u, &s, items[n], nullptr)) return false;
    return true;
  }

  bool FitsAt(int r, int u, Seconds start) const {
    const Request& req = in_.requests[r];
    if (!MayUse(req, u)) return false;
    const Item item = MakeItem(r, start);
    if (item.start < req.earliest_start || item.end > req.latest_end ||
        item.work_start < in_.horizon_start || item.work_end > in_.horizon_end)
      return false;
    const auto& items = timelines_[u];
    State s = Start(u);
    size_t gap = 0;
    while (gap < items.size() && items[gap].start < item.start) {
      if (!Step(u, &s, items[gap], nullptr)) return false;
      ++gap;
    }
    return SuffixFits(u, gap, s, item);
  }

  // Where request `r` can go now: `units` units starting together, the earliest such start
  // (ties: least travel from where the units are, then unit order).
  std::optional<Placement> Find(int r) const {
    const Request& req = in_.requests[r];
    const int want = std::max(1, req.units);
    std::vector<std::pair<Seconds, int>> earliest;
    for (size_t u = 0; u < in_.units.size(); ++u)
      if (auto s = Earliest(r, static_cast<int>(u), 0))
        earliest.push_back({*s, static_cast<int>(u)});
    if (static_cast<int>(earliest.size()) < want) return std::nullopt;
    std::sort(earliest.begin(), earliest.end());
    if (want == 1) return Placement{r, {earliest.front().second}, earliest.front().first, false};
    // Several units together: try the candidate starts in order.
    std::set<Seconds> starts;
    for (const auto& e : earliest) starts.insert(e.first);
    int tries = 0;
    for (Seconds start : starts) {
      if (++tries > 64) break;
      std::vector<int> chosen;
      for (const auto& e : earliest)
        if (e.first <= start && FitsAt(r, e.second, start)) chosen.push_back(e.second);
      if (static_cast<int>(chosen.size()) >= want) {
        chosen.resize(want);
        return Placement{r, chosen, start, false};
      }
    }
    return std::nullopt;
  }

  void Commit(const Placement& p) {
    for (int u : p.units) {
      auto& items = timelines_[u];
      const Item item = MakeItem(p.request, p.start);
      items.insert(std::upper_bound(items.begin(), items.end(), item,
                                    [](const Item& a, const Item& b) { return a.start < b.start; }),
                   item);
    }
    placed_[p.request] = p;
    ++served_count_[in_.requests[p.request].partner];
    served_days_[in_.requests[p.request].partner] += Days(p.request);
  }

  void Remove(int r) {
    auto it = placed_.find(r);
    if (it == placed_.end()) return;
    for (int u : it->second.units) {
      auto& items = timelines_[u];
      items.erase(
          std::remove_if(items.begin(), items.end(), [r](const Item& i) { return i.request == r; }),
          items.end());
    }
    --served_count_[in_.requests[r].partner];
    served_days_[in_.requests[r].partner] -= Days(r);
    placed_.erase(it);
  }

  bool TryPlace(int r) {
    auto p = Find(r);
    if (!p) return false;
    Commit(*p);
    return true;
  }

  // A request's order within its partner's list, and among all: priority, weighted days, the
  // tighter window first, id.
  bool Before(int a, int b) const {
    const Request& x = in_.requests[a];
    const Request& y = in_.requests[b];
    const Seconds slack_x = x.latest_end - x.earliest_start - Seconds{x.duration_days} * kDay;
    const Seconds slack_y = y.latest_end - y.earliest_start - Seconds{y.duration_days} * kDay;
    switch (ordering_) {
      case Ordering::kWindow:
        return std::make_tuple(-x.priority, x.earliest_start, x.latest_end, x.id) <
               std::make_tuple(-y.priority, y.earliest_start, y.latest_end, y.id);
      case Ordering::kSlack:
        return std::make_tuple(-x.priority, slack_x, -Weighted(a), x.id) <
               std::make_tuple(-y.priority, slack_y, -Weighted(b), y.id);
      case Ordering::kShortFirst:
        return std::make_tuple(-x.priority, Weighted(a), slack_x, x.id) <
               std::make_tuple(-y.priority, Weighted(b), slack_y, y.id);
      case Ordering::kValue:
        break;
    }
    return std::make_tuple(-x.priority, -Weighted(a), slack_x, x.id) <
           std::make_tuple(-y.priority, -Weighted(b), slack_y, y.id);
  }

  // Every partner in turn places its best feasible request; the partner with the smallest share so
  // far goes first (SMEs first at equal share). Placing only ever removes room, so a request found
  // infeasible once stays so.
  void FairRounds() {
    std::map<std::string, std::vector<int>> by_partner;
    std::map<std::string, int64_t> asked;
    std::map<std::string, bool> sme;
    for (size_t r = 0; r < in_.requests.size(); ++r) {
      const Request& req = in_.requests[r];
      asked[req.partner] += Days(static_cast<int>(r));
      sme[req.partner] = sme[req.partner] || req.sme;
      if (!placed_.count(static_cast<int>(r)))
        by_partner[req.partner].push_back(static_cast<int>(r));
    }
    for (auto& [partner, list] : by_partner)
      std::sort(list.begin(), list.end(), [this](int a, int b) { return Before(a, b); });
    std::map<std::string, size_t> next;  // position in the partner's list
    bool progress = true;
    while (progress) {
      progress = false;
      std::vector<std::string> order;
      for (const auto& [partner, list] : by_partner)
        if (next[partner] < list.size()) order.push_back(partner);
      // The owner's priorities come first; among equal priorities, the partner served least.
      std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
        const int priority_a = in_.requests[by_partner[a][next[a]]].priority;
        const int priority_b = in_.requests[by_partner[b][next[b]]].priority;
        const double share_a =
            static_cast<double>(served_days_[a]) / std::max<int64_t>(1, asked[a]);
        const double share_b =
            static_cast<double>(served_days_[b]) / std::max<int64_t>(1, asked[b]);
        return std::make_tuple(-priority_a, served_count_[a], share_a, !sme[a], a) <
               std::make_tuple(-priority_b, served_count_[b], share_b, !sme[b], b);
      });
      for (const auto& partner : order) {
        auto& list = by_partner[partner];
        while (next[partner] < list.size()) {
          const int r = list[next[partner]++];
          if (TryPlace(r)) {
            progress = true;
            break;
          }
        }
      }
    }
  }

  // Swaps: an unserved request in for a served one, the served one re-placed elsewhere if it
  // still fits (often just later); kept when the weighted days grow and no partner loses its last
  // request. A fixed budget of attempts keeps it bounded and deterministic.
  void Improve() {
    constexpr int kBudget = 20000;
    int attempts = 0;
    std::vector<int> unserved;
    for (size_t r = 0; r < in_.requests.size(); ++r)
      if (!placed_.count(static_cast<int>(r))) unserved.push_back(static_cast<int>(r));
    std::sort(unserved.begin(), unserved.end(), [this](int a, int b) { return Before(a, b); });
    for (int u : unserved) {
      if (placed_.count(u)) continue;
      if (TryPlace(u)) continue;
      const Request& want = in_.requests[u];
      std::vector<int> victims;
      for (const auto& [r, p] : placed_) {
        if (p.pinned) continue;
        const Request& have = in_.requests[r];
        if (std::none_of(p.units.begin(), p.units.end(),
                         [&](int held) { return MayUse(want, held); }))
          continue;
        const Seconds end = p.start + Seconds{have.duration_days} * kDay;
        if (end < want.earliest_start - 7 * kDay || p.start > want.latest_end + 7 * kDay) continue;
        victims.push_back(r);
      }
      std::sort(victims.begin(), victims.end(), [this](int a, int b) {
        return std::make_pair(Weighted(a), in_.requests[a].id) <
               std::make_pair(Weighted(b), in_.requests[b].id);
      });
      for (int v : victims) {
        if (++attempts > kBudget) return;
        const Placement saved = placed_.at(v);
        Remove(v);
        if (TryPlace(u)) {
          const bool back = TryPlace(v);  // back in, somewhere, if it still fits
          const double gain = Weighted(u) - (back ? 0 : Weighted(v));
          if (gain > 0 && (back || served_count_[in_.requests[v].partner] > 0)) break;
          Remove(u);
          Remove(v);
        }
        Commit(saved);
      }
    }
  }

  // No partner that could be served goes without while another has more than one: take one of
  // the many-served partner's requests out for it when that makes room.
  void RepairFairness() {
    std::map<std::string, std::vector<int>> waiting;
    for (size_t r = 0; r < in_.requests.size(); ++r)
      if (!placed_.count(static_cast<int>(r)) && served_count_[in_.requests[r].partner] == 0)
        waiting[in_.requests[r].partner].push_back(static_cast<int>(r));
    for (auto& [partner, list] : waiting) {
      std::sort(list.begin(), list.end(), [this](int a, int b) { return Before(a, b); });
      bool served = false;
      for (int r : list) {
        if (served) break;
        if (TryPlace(r)) {
          served = true;
          break;
        }
        std::vector<int> donors;
        for (const auto& [d, p] : placed_)
          if (!p.pinned && served_count_[in_.requests[d].partner] > 1) donors.push_back(d);
        std::sort(donors.begin(), donors.end(), [this](int a, int b) {
          return std::make_pair(Weighted(a), in_.requests[a].id) <
                 std::make_pair(Weighted(b), in_.requests[b].id);
        });
        for (int d : donors) {
          if (served_count_[in_.requests[d].partner] <= 1) continue;
          const Placement saved = placed_.at(d);
          Remove(d);
          if (TryPlace(r)) {
            TryPlace(d);
            served = true;
            break;
          }
          Commit(saved);
        }
      }
    }
  }

  // Why request `r` is not served, from planners that hold no assignments: `free` without the
  // units' bookings or the maintenance rule, `booked` with the bookings, `full` with both.
  std::string Reason(int r, const Planner& free, const Planner& booked, const Planner& full) const {
    const Request& req = in_.requests[r];
    if (!req.unit_id.empty() && !unit_index_.count(req.unit_id))
      return "the requested unit is not in the pool";
    if (req.units > static_cast<int>(in_.units.size()))
      return "it asks for more units than the pool has";
    int usable = 0;
    for (size_t u = 0; u < in_.units.size(); ++u) usable += MayUse(req, static_cast<int>(u));
    if (usable < req.units)
      return "the partner may not use enough of the pool's units: their access policy or the "
             "training they require (RecordTraining) rules it out";
    if (req.earliest_start >= in_.horizon_end || req.latest_end <= in_.horizon_start)
      return "outside the planning horizon: plan a horizon that includes its window";
    if (!free.Find(r))
      return "no unit can reach it in time: its window is too short for the travel, set-up, "
             "duration and tear-down";
    if (!booked.Find(r)) return "the units are booked or closed throughout its window";
    if (!full.Find(r)) return "blocked by maintenance";
    return "every unit that could serve it is taken in its window";
  }

  Plan Build() const {
    Plan plan;
    for (size_t u = 0; u < in_.units.size(); ++u) {
      std::vector<Leg> legs;
      State s = Start(static_cast<int>(u));
      for (const auto& item : timelines_[u]) {
        Step(static_cast<int>(u), &s, item, &legs);
        if (item.request >= 0)
          plan.assignments.push_back({in_.requests[item.request].id, in_.units[u].id,
                                      item.work_start, item.work_end,
                                      placed_.at(item.request).pinned});
      }
      // Home after the last stop, at once.
      const Point home = in_.units[u].home;
      if (const Seconds t = Travel(s.where, home); t > 0)
        legs.push_back({LegKind::kTransport, s.free_from, s.free_from + t, "", s.where, home,
                        RoadKm(in_.policy, s.where, home)});
      plan.legs.push_back({in_.units[u].id, std::move(legs)});
    }
    return plan;
  }

  const PlanInput& in_;
  Ordering ordering_;
  std::vector<std::vector<Item>> timelines_;
  std::vector<State> starts_;  // where and when each unit is first free
  std::map<std::string, int> unit_index_;
  std::map<std::string, int> request_index_;
  std::map<int, Placement> placed_;
  std::map<std::string, int> served_count_;
  std::map<std::string, int64_t> served_days_;
};

}  // namespace

double RoadKm(const PoolPolicy& policy, Point from, Point to) {
  return HaversineKm(from.latitude, from.longitude, to.latitude, to.longitude) * policy.road_factor;
}

Seconds TravelTime(const PoolPolicy& policy, Point from, Point to) {
  const double hours = RoadKm(policy, from, to) / std::max(1.0, policy.speed_kmh);
  const Seconds minutes = static_cast<Seconds>(std::ceil(hours * 60 - 1e-9));
  return minutes * 60;
}

Plan PlanRotation(const PlanInput& input) {
  // Small pools are cheap to plan: try every ordering and keep the plan that serves the most
  // (weighted) request-days; the first ordering wins ties, so the result stays deterministic.
  constexpr size_t kSmall = 200;
  Plan best = Planner(input, Ordering::kValue).Run();
  if (input.requests.size() > kSmall) return best;
  auto weighted = [&](const Plan& plan) {
    std::set<std::string> served;
    for (const auto& a : plan.assignments) served.insert(a.request_id);
    double total = 0;
    for (const auto& r : input.requests)
      if (served.count(r.id)) total += r.duration_days * r.units * (r.sme ? input.sme_weight : 1.0);
    return total;
  };
  double best_value = weighted(best);
  for (Ordering ordering : {Ordering::kWindow, Ordering::kSlack, Ordering::kShortFirst}) {
    Plan plan = Planner(input, ordering).Run();
    const double value = weighted(plan);
    if (value > best_value + 1e-9) {
      best = std::move(plan);
      best_value = value;
    }
  }
  return best;
}

std::pair<double, double> FairnessRange(const PlanInput& input, const Plan& plan) {
  std::map<std::string, std::pair<int64_t, int64_t>> by_partner;  // served, asked
  std::set<std::string> served;
  for (const auto& a : plan.assignments) served.insert(a.request_id);
  for (const auto& r : input.requests) {
    const int64_t days = int64_t{r.duration_days} * r.units;
    by_partner[r.partner].second += days;
  }
  std::set<std::string> counted;
  for (const auto& r : input.requests)
    if (served.count(r.id) && counted.insert(r.id).second)
      by_partner[r.partner].first += int64_t{r.duration_days} * r.units;
  double low = 1, high = 0;
  for (const auto& [partner, days] : by_partner) {
    const double share = days.second ? static_cast<double>(days.first) / days.second : 0;
    low = std::min(low, share);
    high = std::max(high, share);
  }
  return {by_partner.empty() ? 0 : low, high};
}

}  // namespace infrashare::scheduler::rotation
