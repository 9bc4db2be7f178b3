// Rotation plans for mobile equipment (issue #4): which unit of a pool goes to which partner when,
// with transport legs, set-up, tear-down and maintenance stops, around the units' existing
// bookings. Pure domain code: no gRPC, no Redis, deterministic for the same input.
//
// The model. Time is in seconds since the epoch. A unit starts the horizon at its home base (or
// where and when a committed plan's legs under way leave it). To serve a request it travels there
// (haversine distance x road factor at the pool's speed), is set up, stays for the request's whole
// duration, and is torn down; set-up and tear-down happen inside the request's window, which is the
// partner's. Then it travels on. An existing booking or closure of a unit keeps it at its home base
// for that interval. After `maintenance_after_days` days of requests served, a unit spends
// `maintenance_days` at its maintenance location (default its home base) before it serves again.
// After its last stop a unit drives home (that drive may end after the horizon).
// A request wants `units` units (or one named unit) for its whole duration, all starting together,
// inside its window; it is served entirely or not at all.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace infrashare::scheduler::rotation {

using Seconds = int64_t;
inline constexpr Seconds kDay = 86400;

struct Point {
  double latitude = 0;
  double longitude = 0;
};

struct PoolPolicy {
  double speed_kmh = 60;
  double road_factor = 1.3;  // road distance per haversine distance
  Seconds setup = 2 * 3600;
  Seconds teardown = 3600;
  int maintenance_after_days = 0;  // 0: no maintenance rule
  int maintenance_days = 1;
  std::optional<Point> maintenance_location;  // default: each unit's home base
};

struct Interval {
  Seconds start = 0;
  Seconds end = 0;
};

struct Unit {
  std::string id;
  Point home;
  std::vector<Interval> busy;  // existing bookings and closures: the unit is at home, unavailable
};

// Where a unit is when the plan may first use it, when a committed plan's legs already under way
// are kept (by default a unit is at home at the horizon's start). Its busy intervals start after
// `from` plus the way home.
struct UnitStart {
  Point at;
  Seconds from = 0;
  int used_days = 0;  // in-use days since its last maintenance, at `from`
};

struct Request {
  std::string id;
  std::string partner;  // organisation id
  Point location;
  Seconds earliest_start = 0;  // the partner's window: set-up starts at or after this
  Seconds latest_end = 0;      // and tear-down ends by this
  int duration_days = 1;
  int units = 1;
  std::string unit_id;  // a specific unit, or "" for any
  // Units the partner may not use (the unit's access policy, or training it lacks).
  std::set<std::string> barred_units;
  int priority = 0;  // higher first
  bool sme = false;
};

// An assignment fixed by the reviewer: the planner keeps it and plans around it.
struct Pin {
  std::string request_id;
  std::string unit_id;
  Seconds start = 0;
};

struct PlanInput {
  PoolPolicy policy;
  std::vector<Unit> units;
  std::vector<Request> requests;
  Seconds horizon_start = 0;
  Seconds horizon_end = 0;
  double sme_weight = 1.5;  // an SME's request-day counts this much when choosing what to serve
  std::vector<Pin> pins;
  std::map<std::string, UnitStart> starts;  // by unit id
};

// kAtHome: at its home base for an existing booking or closure (the owner holds it).
enum class LegKind { kTransport, kSetup, kAssignment, kTeardown, kMaintenance, kAtHome };

struct Leg {
  LegKind kind = LegKind::kTransport;
  Seconds start = 0;
  Seconds end = 0;
  std::string request_id;  // setup, assignment, teardown
  Point from;              // transport: from -> to; otherwise where it happens (to)
  Point to;
  double km = 0;  // transport: road distance
};

struct Assignment {
  std::string request_id;
  std::string unit_id;
  Seconds start = 0;
  Seconds end = 0;
  bool pinned = false;
};

struct Unfulfilled {
  std::string request_id;
  std::string reason;
};

struct Plan {
  std::vector<Assignment> assignments;                         // by unit, then time
  std::vector<std::pair<std::string, std::vector<Leg>>> legs;  // per unit, in time order
  std::vector<Unfulfilled> unfulfilled;  // with the reason each could not be served
  int64_t requested_days = 0;            // request-days asked (duration x units)
  int64_t fulfilled_days = 0;
};

// Travel time between two points under the policy (rounded up to the minute).
Seconds TravelTime(const PoolPolicy& policy, Point from, Point to);
double RoadKm(const PoolPolicy& policy, Point from, Point to);

// The plan: pins first, then every partner in turn gets its best feasible request (fewest served
// first, SMEs before others at equal share), then the rest by weighted request-days; then local
// improvement (swap a served request for longer unserved ones) within a fixed number of moves.
Plan PlanRotation(const PlanInput& input);

// Request-days served per partner / asked per partner: (min, max) over partners that asked.
std::pair<double, double> FairnessRange(const PlanInput& input, const Plan& plan);

}  // namespace infrashare::scheduler::rotation
