#include "services/scheduler/rotations.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "services/common/availability.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/logging.h"
#include "services/common/text_fold.h"
#include "services/scheduler/booking_policy.h"
#include "services/scheduler/rotation_export.h"

namespace infrashare::scheduler {
namespace {

namespace rot = rotation;

bool ValidPoint(const reg::v1::GeoPoint& p) {
  return p.latitude() >= -90 && p.latitude() <= 90 && p.longitude() >= -180 && p.longitude() <= 180;
}

rot::Point PointOf(const reg::v1::GeoPoint& p) { return {p.latitude(), p.longitude()}; }
reg::v1::GeoPoint GeoOf(rot::Point p) {
  reg::v1::GeoPoint g;
  g.set_latitude(p.latitude);
  g.set_longitude(p.longitude);
  return g;
}
google::protobuf::Timestamp At(rot::Seconds s) { return FromEpochMs(s * 1000); }
rot::Seconds SecondsOf(const google::protobuf::Timestamp& t) { return t.seconds(); }

// Where a unit lives: its registry home base, else its location.
std::optional<reg::v1::GeoPoint> HomeOf(const reg::v1::Resource& resource) {
  if (resource.has_home_base() && resource.home_base().has_point())
    return resource.home_base().point();
  if (resource.has_location() && resource.location().has_point())
    return resource.location().point();
  return std::nullopt;
}

// A stored rotation request as the planner takes it.
rot::Request PlannerRequest(const v1::RotationRequest& r) {
  rot::Request q;
  q.id = r.id();
  q.partner = r.organization_id();
  q.location = PointOf(r.location());
  q.earliest_start = SecondsOf(r.earliest_start_time());
  q.latest_end = SecondsOf(r.latest_end_time());
  q.duration_days = r.duration_days();
  q.units = r.units();
  q.unit_id = r.unit_resource_id();
  q.priority = r.priority();
  q.sme = r.sme();
  return q;
}

v1::RotationLegKind KindOf(rot::LegKind kind) {
  switch (kind) {
    case rot::LegKind::kTransport:
      return v1::ROTATION_LEG_KIND_TRANSPORT;
    case rot::LegKind::kSetup:
      return v1::ROTATION_LEG_KIND_SETUP;
    case rot::LegKind::kAssignment:
      return v1::ROTATION_LEG_KIND_ASSIGNMENT;
    case rot::LegKind::kTeardown:
      return v1::ROTATION_LEG_KIND_TEARDOWN;
    case rot::LegKind::kMaintenance:
      return v1::ROTATION_LEG_KIND_MAINTENANCE;
    case rot::LegKind::kAtHome:
      return v1::ROTATION_LEG_KIND_AT_HOME;
  }
  return v1::ROTATION_LEG_KIND_UNSPECIFIED;
}

// The hand-overs a committed plan implies, per unit in time order: one on every change of holder,
// when the unit arrives where the new holder takes it (docs/DECISIONS.md). A partner holds the unit
// from its set-up to its tear-down; the owner at home, at maintenance and after the plan; on the
// road the unit stays with the side it left.
std::vector<v1::Handover> HandoversOf(const v1::RotationPlan& plan, const v1::RotationPool& pool) {
  std::map<std::string, std::string> organization_of;
  for (const auto& a : plan.assignments()) organization_of[a.request_id()] = a.organization_id();
  const std::string& owner = pool.owner_organization_id();
  const int hours =
      pool.policy().handover_confirm_hours() > 0 ? pool.policy().handover_confirm_hours() : 24;
  std::vector<v1::Handover> out;
  for (const auto& unit : plan.units()) {
    std::string holder = owner;
    google::protobuf::Timestamp last_end;
    auto pass = [&](const std::string& to, const google::protobuf::Timestamp& at) {
      v1::Handover h;
      h.set_id(NewId("ho"));
      h.set_plan_id(plan.id());
      h.set_unit_resource_id(unit.unit_resource_id());
      h.set_from_organization_id(holder);
      h.set_to_organization_id(to);
      *h.mutable_time() = at;
      *h.mutable_confirm_deadline() = FromEpochMs(ToEpochMs(at) + int64_t{hours} * 3600 * 1000);
      *h.mutable_checklist() = pool.policy().handover_checklist();
      out.push_back(std::move(h));
      holder = to;
    };
    for (const auto& leg : unit.legs()) {
      last_end = leg.end_time();
      if (leg.kind() == v1::ROTATION_LEG_KIND_TRANSPORT) continue;
      const std::string& to = leg.request_id().empty() ? owner : organization_of[leg.request_id()];
      if (to != holder) pass(to, leg.start_time());
    }
    if (holder != owner) pass(owner, last_end);  // the end of the drive home
  }
  return out;
}

// What stays of a committed plan re-planned from `cutoff`: per unit, the legs begun by then and
// the whole stop each belongs to or, for a drive still on the road, leads to (a request being
// served is served to its end, a unit on its way gets there; a unit that has arrived and waits
// may be sent elsewhere); a request kept on one of its units is kept on all.
struct Kept {
  std::map<std::string, int> legs;  // unit -> how many of its first legs stay
  std::set<std::string> requests;
};

// The first `n` legs of `unit` and the rest of the stop the last of them belongs to or leads to.
int ThroughStop(const v1::UnitSchedule& unit, int n, rot::Seconds cutoff) {
  const auto& legs = unit.legs();
  if (n == 0) return 0;
  std::string request = legs[n - 1].request_id();
  if (legs[n - 1].kind() == v1::ROTATION_LEG_KIND_TRANSPORT) {
    if (SecondsOf(legs[n - 1].end_time()) <= cutoff) return n;  // arrived
    if (n == legs.size() || legs[n].kind() == v1::ROTATION_LEG_KIND_TRANSPORT) return n;
    request = legs[n].request_id();  // empty for maintenance
    ++n;
  }
  while (!request.empty() && n < legs.size() && legs[n].request_id() == request) ++n;
  return n;
}

// `checked_in`: bookings of legs checked in ahead of their start, which count as begun.
Kept KeptOf(const v1::RotationPlan& plan, rot::Seconds cutoff,
            const std::set<std::string>& checked_in) {
  Kept kept;
  for (const auto& unit : plan.units()) {
    int n = 0;
    for (int i = 0; i < unit.legs_size(); ++i)
      if (SecondsOf(unit.legs(i).start_time()) < cutoff ||
          checked_in.count(unit.legs(i).booking_id()))
        n = i + 1;
    kept.legs[unit.unit_resource_id()] = ThroughStop(unit, n, cutoff);
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& unit : plan.units())
      for (int i = 0; i < kept.legs[unit.unit_resource_id()]; ++i)
        if (!unit.legs(i).request_id().empty()) kept.requests.insert(unit.legs(i).request_id());
    for (const auto& unit : plan.units()) {
      int& n = kept.legs[unit.unit_resource_id()];
      for (int i = unit.legs_size() - 1; i >= n; --i) {
        if (!kept.requests.count(unit.legs(i).request_id())) continue;
        n = ThroughStop(unit, i + 1, cutoff);
        grew = true;
        break;
      }
    }
  }
  return kept;
}

// Books `legs` of one unit as blocking bookings of the pool's owner (series: the plan) in one
// all-or-nothing call that also cancels `replace`, and records each leg's booking id. ABORTED
// when the unit is not at `expected_version` ("" = any) or a leg no longer fits.
absl::Status BookLegs(BookingStore* bookings, const v1::RotationPool& pool,
                      const std::string& plan_id, const std::string& unit,
                      const std::vector<v1::RotationLeg*>& legs, std::vector<std::string> replace,
                      const std::string& reason, const std::string& expected_version) {
  BookCommand command;
  command.resource_id = unit;
  command.organization_id = pool.owner_organization_id();
  command.capacity = 1;
  command.all_or_nothing = true;
  command.series_id = plan_id;
  command.title = "Rotation " + pool.display_name();
  command.expected_version = expected_version;
  command.replace_booking_ids = std::move(replace);
  command.replace_reason = reason;
  command.release_as_no_show = false;
  for (const auto* leg : legs) {
    Occurrence o;
    o.booking_id = NewBookingId(unit);
    o.slot.start = o.slot.blocked_start = ToEpochMs(leg->start_time());
    o.slot.end = o.slot.blocked_end = ToEpochMs(leg->end_time());
    command.occurrences.push_back(std::move(o));
  }
  auto results = bookings->Book(command);
  if (!results.ok()) return results.status();
  if (results->size() != legs.size())
    return absl::InternalError("sch_book answered for other occurrences");
  for (const auto& r : *results)
    if (!r.ok()) return absl::AbortedError(r.status().message());
  for (size_t i = 0; i < legs.size(); ++i) legs[i]->set_booking_id((*results)[i]->id());
  return absl::OkStatus();
}

// A pool's policy with the defaults filled in: the server's speed and road factor, two hours'
// set-up, one hour's tear-down, a day's maintenance when there is a maintenance rule.
void ApplyPolicyDefaults(const SchedulerConfig& config, v1::RotationPolicy* policy) {
  if (policy->speed_kmh() == 0) policy->set_speed_kmh(config.rotation_speed_kmh);
  if (policy->road_factor() == 0) policy->set_road_factor(config.rotation_road_factor);
  if (!policy->has_setup_minutes()) policy->set_setup_minutes(120);
  if (!policy->has_teardown_minutes()) policy->set_teardown_minutes(60);
  if (policy->maintenance_after_days() > 0 && policy->maintenance_days() == 0)
    policy->set_maintenance_days(1);
}

void CheckPolicy(const v1::RotationPolicy& policy, FieldErrors* errors) {
  if (!(policy.speed_kmh() >= 5 && policy.speed_kmh() <= 200))
    errors->Add("pool.policy.speed_kmh", "must be between 5 and 200 km/h");
  if (!(policy.road_factor() >= 1 && policy.road_factor() <= 3))
    errors->Add("pool.policy.road_factor", "must be between 1 and 3");
  if (policy.setup_minutes() < 0 || policy.setup_minutes() > 24 * 60)
    errors->Add("pool.policy.setup_minutes", "must be between 0 and 1440");
  if (policy.teardown_minutes() < 0 || policy.teardown_minutes() > 24 * 60)
    errors->Add("pool.policy.teardown_minutes", "must be between 0 and 1440");
  if (policy.maintenance_after_days() < 0 || policy.maintenance_after_days() > 366)
    errors->Add("pool.policy.maintenance_after_days", "must be between 0 (no rule) and 366");
  if (policy.maintenance_days() < 0 || policy.maintenance_days() > 90)
    errors->Add("pool.policy.maintenance_days", "must be between 0 and 90");
  if (policy.handover_confirm_hours() < 0 || policy.handover_confirm_hours() > 720)
    errors->Add("pool.policy.handover_confirm_hours", "must be between 0 (default 24) and 720");
  if (policy.has_maintenance_location() && !ValidPoint(policy.maintenance_location()))
    errors->Add("pool.policy.maintenance_location", "must be a WGS84 point");
}

// ---- Planning a draft -------------------------------------------------------------------------

// The horizon a plan request asks for, in seconds.
struct Horizon {
  rot::Seconds start = 0;
  rot::Seconds end = 0;
};

// Checks a plan request's horizon and weight (its pins are checked against the pool later).
absl::StatusOr<Horizon> CheckPlanRequest(const v1::PlanRotationRequest& request, EpochMs now,
                                         int max_horizon_days) {
  Horizon h;
  h.start = request.has_horizon_start_time() ? SecondsOf(request.horizon_start_time()) : now / 1000;
  if (!request.has_horizon_end_time()) return InvalidField("horizon_end_time", "is required");
  h.end = SecondsOf(request.horizon_end_time());
  if (h.end <= h.start) return InvalidField("horizon_end_time", "must be after horizon_start_time");
  if (h.end - h.start > int64_t{max_horizon_days} * rot::kDay)
    return InvalidField("horizon_end_time",
                        absl::StrCat("the horizon may be at most ", max_horizon_days, " days"));
  if (request.sme_weight() < 0 || request.sme_weight() > 10)
    return InvalidField("sme_weight", "must be between 0 and 10");
  return h;
}

rot::PoolPolicy PlannerPolicy(const v1::RotationPolicy& policy) {
  rot::PoolPolicy out;
  out.speed_kmh = policy.speed_kmh();
  out.road_factor = policy.road_factor();
  out.setup = int64_t{policy.setup_minutes()} * 60;
  out.teardown = int64_t{policy.teardown_minutes()} * 60;
  out.maintenance_after_days = policy.maintenance_after_days();
  out.maintenance_days = policy.maintenance_days();
  if (policy.has_maintenance_location())
    out.maintenance_location = PointOf(policy.maintenance_location());
  return out;
}

int KeptLegs(const Kept& kept, const std::string& unit) {
  auto it = kept.legs.find(unit);
  return it == kept.legs.end() ? 0 : it->second;
}

// The pool's committed plan, which a new draft replaces from `cutoff` on: what of it stays, its
// units' schedules and the bookings it holds. Filled in place (`units` points into `plan`).
struct Replacing {
  std::optional<v1::RotationPlan> plan;  // none committed yet
  rot::Seconds cutoff = 0;
  Kept kept;
  std::map<std::string, const v1::UnitSchedule*> units;
  std::set<std::string> bookings;
};

absl::Status LoadReplacing(RotationStore* store, BookingCalendar* bookings,
                           const std::string& pool_id, rot::Seconds cutoff, rot::Seconds now,
                           Replacing* out) {
  out->cutoff = cutoff;
  auto committed_id = store->Committed(pool_id);
  if (!committed_id.ok()) return committed_id.status();
  if (committed_id->empty()) return absl::OkStatus();
  auto stored = store->GetPlan(*committed_id);
  if (!stored.ok()) return stored.status();
  out->plan = std::move(*stored);
  if (!out->plan) return absl::OkStatus();
  // A leg checked in before it starts (its unit handed over early) has begun: it stays, as one
  // under way does (before, a plan replaced it and booked the unit over it). Check-in opens at
  // most a day ahead, so only the legs of the next day are read.
  std::set<std::string> checked_in;
  for (const auto& unit : out->plan->units())
    for (const auto& leg : unit.legs()) {
      const rot::Seconds start = SecondsOf(leg.start_time());
      if (leg.booking_id().empty() || start < cutoff || start >= now + 86400) continue;
      auto booking = bookings->Get(leg.booking_id());
      if (!booking.ok()) return booking.status();
      if (*booking && ((*booking)->state() == v1::BOOKING_STATE_CHECKED_IN ||
                       (*booking)->state() == v1::BOOKING_STATE_COMPLETED))
        checked_in.insert(leg.booking_id());
    }
  out->kept = KeptOf(*out->plan, cutoff, checked_in);
  for (const auto& unit : out->plan->units()) {
    out->units[unit.unit_resource_id()] = &unit;
    for (const auto& leg : unit.legs())
      if (!leg.booking_id().empty()) out->bookings.insert(leg.booking_id());
  }
  return absl::OkStatus();
}

// Where a unit starts once its kept legs are done, and its days in use since its last maintenance
// then (into `in`); returns when it is home again, from which its other bookings count (0 when it
// keeps no legs).
rot::Seconds StartAfterKept(const Replacing& replacing, const rot::Unit& unit, rot::PlanInput* in) {
  const int n = KeptLegs(replacing.kept, unit.id);
  if (n == 0) return 0;
  const auto& legs = replacing.units.at(unit.id)->legs();
  rot::UnitStart& from = in->starts[unit.id];
  from.at = PointOf(legs[n - 1].to());
  from.from = SecondsOf(legs[n - 1].end_time());
  for (int i = 0; i < n; ++i) {
    if (legs[i].kind() == v1::ROTATION_LEG_KIND_MAINTENANCE) from.used_days = 0;
    if (legs[i].kind() == v1::ROTATION_LEG_KIND_ASSIGNMENT)
      from.used_days += static_cast<int>(
          (SecondsOf(legs[i].end_time()) - SecondsOf(legs[i].start_time())) / rot::kDay);
  }
  return from.from + rot::TravelTime(in->policy, from.at, unit.home);
}

// One unit of the pool as the planner takes it: where it lives and what keeps it at home (other
// bookings and closures); nullopt when it left the registry, is not in use (in maintenance,
// retired or planned: a unit that broke down is planned no more, what it has under way stays),
// has no home or became booked by seats (a leg books the unit as one: on a shared-capacity unit
// the other seats would stay bookable while it is away).
absl::StatusOr<std::optional<rot::Unit>> PlannerUnit(Catalog* catalog, const std::string& id,
                                                     const std::vector<Usage>& busy,
                                                     const Replacing& replacing, Horizon horizon,
                                                     rot::PlanInput* in) {
  auto found = catalog->Find(id);
  if (!found.ok()) return found.status();
  if (!found->has_value() || !InUse(*(*found)->resource).ok() ||
      (*found)->resource->booking_mode() == reg::v1::BOOKING_MODE_SHARED_CAPACITY)
    return std::optional<rot::Unit>();
  auto home = HomeOf(*(*found)->resource);
  if (!home) return std::optional<rot::Unit>();
  rot::Unit unit{id, PointOf(*home), {}};
  const rot::Seconds home_from = StartAfterKept(replacing, unit, in);
  auto block = [&](rot::Seconds from, rot::Seconds to) {
    from = std::max(from, home_from);
    if (from < to) unit.busy.push_back({from, to});
  };
  for (const auto& b : busy)
    if (!replacing.bookings.count(b.booking_id))
      block(b.blocked_start / 1000, (b.blocked_end + 999) / 1000);
  if ((*found)->availability)
    for (const auto& c : (*found)->availability->closures())
      if (c.end_time().seconds() > horizon.start && c.start_time().seconds() < horizon.end)
        block(c.start_time().seconds(), c.end_time().seconds());
  return std::optional<rot::Unit>(std::move(unit));
}

// The pool's units into the planner input. Returns their booking versions, read first: a booking
// made after this read makes the draft stale, never silently missed.
absl::StatusOr<std::vector<std::string>> AddUnits(BookingStore* bookings, Catalog* catalog,
                                                  const std::vector<std::string>& unit_ids,
                                                  const Replacing& replacing, Horizon horizon,
                                                  rot::PlanInput* in) {
  auto versions = bookings->Versions(unit_ids);
  if (!versions.ok()) return versions.status();
  auto busy = bookings->BusyMany(unit_ids, horizon.start * 1000, horizon.end * 1000);
  if (!busy.ok()) return busy.status();
  for (size_t u = 0; u < unit_ids.size(); ++u) {
    auto unit = PlannerUnit(catalog, unit_ids[u], (*busy)[u], replacing, horizon, in);
    if (!unit.ok()) return unit.status();
    if (*unit) in->units.push_back(std::move(**unit));
  }
  return versions;
}

// The pool's open requests that are not kept as they are, into the planner input; returns the
// organisation that asked each.
std::map<std::string, std::string> AddRequests(const std::vector<v1::RotationRequest>& requests,
                                               const Kept& kept, rot::PlanInput* in) {
  std::map<std::string, std::string> organization_of;
  for (const auto& r : requests) {
    if (r.state() != v1::ROTATION_REQUEST_STATE_OPEN || kept.requests.count(r.id())) continue;
    organization_of[r.id()] = r.organization_id();
    in->requests.push_back(PlannerRequest(r));
  }
  return organization_of;
}

// The units each partner may not use, into its requests: those whose access policy refuses it,
// as CreateBooking would, and those that require training the owner has not recorded for it (a
// rotation gave them to anyone who asked). A pin on such a unit is refused.
absl::Status BarUnits(Catalog* catalog, BookingStore* bookings,
                      const std::vector<std::string>& unit_ids,
                      const v1::PlanRotationRequest& request, rot::PlanInput* in) {
  std::map<std::string, std::set<std::string>> barred_for;  // partner -> units
  for (auto& r : in->requests) {
    auto [barred, fresh] = barred_for.try_emplace(r.partner);
    if (fresh) {
      std::vector<std::string> untrained;
      for (const auto& id : unit_ids) {
        const auto bookable = catalog->Cached(id);
        if (!bookable) continue;  // not planned at all (AddUnits)
        const auto& unit = *bookable->resource;
        if (!CheckAccess(unit, r.partner, catalog->Organization(r.partner),
                         catalog->NetworksOf(r.partner))
                 .ok())
          barred->second.insert(id);
        else if (unit.training_required() && r.partner != unit.owner_organization_id())
          untrained.push_back(id);
      }
      auto trained = bookings->TrainedMany(untrained, r.partner);
      if (!trained.ok()) return trained.status();
      for (size_t i = 0; i < untrained.size(); ++i)
        if (!(*trained)[i]) barred->second.insert(untrained[i]);
    }
    r.barred_units = barred->second;
  }
  for (int i = 0; i < request.pins_size(); ++i) {
    const auto& pin = request.pins(i);
    for (const auto& r : in->requests)
      if (r.id == pin.request_id() && r.barred_units.count(pin.unit_resource_id()))
        return InvalidField(absl::StrCat("pins[", i, "].unit_resource_id"),
                            "is a unit the request's partner may not use: its access policy, or "
                            "training it requires (RecordTraining), rules the partner out");
  }
  return absl::OkStatus();
}

// The reviewer's pins into the planner input, each naming an open request and a unit of the pool.
absl::Status AddPins(const v1::PlanRotationRequest& request, const Kept& kept,
                     const std::map<std::string, std::string>& organization_of,
                     const std::vector<std::string>& unit_ids, rot::PlanInput* in) {
  for (int i = 0; i < request.pins_size(); ++i) {
    const auto& pin = request.pins(i);
    if (kept.requests.count(pin.request_id())) continue;  // under way: kept as it is
    if (!organization_of.count(pin.request_id()))
      return InvalidField(absl::StrCat("pins[", i, "].request_id"),
                          "is not an open request of the pool");
    if (std::find(unit_ids.begin(), unit_ids.end(), pin.unit_resource_id()) == unit_ids.end())
      return InvalidField(absl::StrCat("pins[", i, "].unit_resource_id"),
                          "is not a unit of the pool");
    in->pins.push_back({pin.request_id(), pin.unit_resource_id(), SecondsOf(pin.start_time())});
  }
  return absl::OkStatus();
}

// What stays of the replaced plan goes into the draft as it is, and counts as served in the totals
// and the fairness range (hence into `planned` and `in` too).
void CarryKept(const Replacing& replacing, const std::vector<v1::RotationRequest>& requests,
               v1::RotationPlan* plan, rot::Plan* planned, rot::PlanInput* in) {
  plan->set_replaces_plan_id(replacing.plan->id());
  *plan->mutable_replan_from_time() = At(replacing.cutoff);
  for (const auto& a : replacing.plan->assignments()) {
    if (!replacing.kept.requests.count(a.request_id())) continue;
    auto* out = plan->add_assignments();
    *out = a;
    out->set_pinned(true);
    planned->assignments.push_back({a.request_id(), a.unit_resource_id(), SecondsOf(a.start_time()),
                                    SecondsOf(a.end_time()), true});
  }
  for (const auto& r : requests) {
    if (!replacing.kept.requests.count(r.id())) continue;
    const int64_t days = int64_t{r.duration_days()} * r.units();
    planned->requested_days += days;
    planned->fulfilled_days += days;
    in->requests.push_back(PlannerRequest(r));
  }
}

void AddAssignments(const rot::Plan& planned, const Kept& kept,
                    const std::map<std::string, std::string>& organization_of,
                    v1::RotationPlan* plan) {
  for (const auto& a : planned.assignments) {
    if (a.pinned && kept.requests.count(a.request_id)) continue;  // carried over as it was
    auto* out = plan->add_assignments();
    out->set_request_id(a.request_id);
    out->set_unit_resource_id(a.unit_id);
    auto organization = organization_of.find(a.request_id);
    if (organization != organization_of.end()) out->set_organization_id(organization->second);
    *out->mutable_start_time() = At(a.start);
    *out->mutable_end_time() = At(a.end);
    out->set_pinned(a.pinned);
  }
}

void SetLeg(const rot::Leg& leg, v1::RotationLeg* out) {
  out->set_kind(KindOf(leg.kind));
  *out->mutable_start_time() = At(leg.start);
  *out->mutable_end_time() = At(leg.end);
  out->set_request_id(leg.request_id);
  if (leg.kind == rot::LegKind::kTransport) *out->mutable_from() = GeoOf(leg.from);
  *out->mutable_to() = GeoOf(leg.to);
  out->set_km(leg.km);
}

// Each unit's legs: those kept of the replaced plan, then the planned ones. A unit no longer
// planned (it left the pool or the registry) keeps what is under way.
void AddSchedules(const rot::Plan& planned, const Replacing& replacing, v1::RotationPlan* plan) {
  std::set<std::string> scheduled;
  for (const auto& [unit, legs] : planned.legs) {
    auto* schedule = plan->add_units();
    schedule->set_unit_resource_id(unit);
    scheduled.insert(unit);
    for (int i = 0, n = KeptLegs(replacing.kept, unit); i < n; ++i)
      *schedule->add_legs() = replacing.units.at(unit)->legs(i);
    for (const auto& leg : legs) SetLeg(leg, schedule->add_legs());
  }
  for (const auto& [unit, schedule] : replacing.units) {
    const int n = KeptLegs(replacing.kept, unit);
    if (n == 0 || scheduled.count(unit)) continue;
    auto* out = plan->add_units();
    out->set_unit_resource_id(unit);
    for (int i = 0; i < n; ++i) *out->add_legs() = schedule->legs(i);
  }
}

// What the planner could not serve, the totals and fairness range, and the units' versions a
// commit checks.
void AddOutcome(const rot::PlanInput& in, const rot::Plan& planned,
                const std::vector<std::string>& unit_ids, const std::vector<std::string>& versions,
                v1::RotationPlan* plan) {
  for (const auto& u : planned.unfulfilled) {
    auto* out = plan->add_unfulfilled();
    out->set_request_id(u.request_id);
    out->set_reason(u.reason);
  }
  plan->set_requested_days(planned.requested_days);
  plan->set_fulfilled_days(planned.fulfilled_days);
  const auto [low, high] = rot::FairnessRange(in, planned);
  plan->set_min_partner_share(low);
  plan->set_max_partner_share(high);
  for (size_t u = 0; u < unit_ids.size(); ++u)
    (*plan->mutable_unit_etags())[unit_ids[u]] = versions[u];
}

// ---- Committing a draft -----------------------------------------------------------------------

absl::Status StalePlan(const std::string& why) {
  return ConflictError("STALE_PLAN", why + "; plan again");
}

std::vector<std::string> BookingIdsOf(const std::vector<v1::RotationLeg*>& legs) {
  std::vector<std::string> ids;
  for (const auto* leg : legs) ids.push_back(leg->booking_id());
  return ids;
}

// A unit's booking version when the draft was made; "" (any) for a unit that left the pool.
std::string EtagOf(const v1::RotationPlan& plan, const std::string& unit) {
  auto it = plan.unit_etags().find(unit);
  return it == plan.unit_etags().end() ? std::string() : it->second;
}

// Per unit: the legs a draft books, and the committed plan's legs whose bookings they replace (its
// legs that the draft does not keep).
struct UnitChange {
  std::string unit;
  std::vector<v1::RotationLeg*> legs;
  std::vector<v1::RotationLeg*> replaced_legs;
};

std::vector<UnitChange> ChangesOf(v1::RotationPlan* plan, v1::RotationPlan* replaced) {
  std::vector<UnitChange> changes;
  std::map<std::string, size_t> change_of;
  auto change = [&](const std::string& unit) -> UnitChange& {
    auto [it, added] = change_of.try_emplace(unit, changes.size());
    if (added) changes.push_back({unit, {}, {}});
    return changes[it->second];
  };
  std::set<std::string> kept_bookings;
  for (auto& unit : *plan->mutable_units())
    for (auto& leg : *unit.mutable_legs()) {
      if (!leg.booking_id().empty()) {
        kept_bookings.insert(leg.booking_id());
      } else if (leg.kind() != v1::ROTATION_LEG_KIND_AT_HOME &&  // booked or closed already
                 ToEpochMs(leg.end_time()) > ToEpochMs(leg.start_time())) {
        change(unit.unit_resource_id()).legs.push_back(&leg);
      }
    }
  if (replaced)
    for (auto& unit : *replaced->mutable_units())
      for (auto& leg : *unit.mutable_legs())
        if (!leg.booking_id().empty() && !kept_bookings.count(leg.booking_id()))
          change(unit.unit_resource_id()).replaced_legs.push_back(&leg);
  return changes;
}

// The hand-overs of a commit: those the replaced plan shares with the new one (same unit, sides
// and time) stay as they are, confirmations and all (`kept`); its others go (`dropped`).
struct HandoverChange {
  std::vector<v1::Handover> created;
  std::vector<std::string> kept, dropped;
};

HandoverChange DiffHandovers(std::vector<v1::Handover> wanted,
                             const std::vector<v1::Handover>& before) {
  using Key = std::tuple<std::string, std::string, std::string, int64_t>;
  auto key = [](const v1::Handover& h) {
    return Key{h.unit_resource_id(), h.from_organization_id(), h.to_organization_id(),
               ToEpochMs(h.time())};
  };
  std::map<Key, std::vector<std::string>> old;
  for (const auto& h : before) old[key(h)].push_back(h.id());
  HandoverChange change;
  for (auto& h : wanted) {
    auto it = old.find(key(h));
    if (it != old.end() && !it->second.empty()) {
      change.kept.push_back(it->second.back());
      it->second.pop_back();
    } else {
      change.created.push_back(std::move(h));
    }
  }
  for (const auto& [k, ids] : old)
    change.dropped.insert(change.dropped.end(), ids.begin(), ids.end());
  return change;
}

// One commit of a draft. Bookings live in the units' shards, so across units the commit is
// all-or-nothing by checking every version first, booking unit by unit with the version checked
// again in the same step, and undoing the units already done when a later step fails
// (docs/DECISIONS.md). An undo step that fails is reported (undo_report()), never dropped.
class PlanCommit {
 public:
  PlanCommit(BookingStore* bookings, RotationStore* store, Catalog* catalog,
             const v1::RotationPool& pool, v1::RotationPlan* plan,
             std::optional<v1::RotationPlan> replaced)
      : bookings_(bookings),
        store_(store),
        catalog_(catalog),
        pool_(pool),
        plan_(plan),
        replaced_(std::move(replaced)),
        changes_(ChangesOf(plan_, replaced_ ? &*replaced_ : nullptr)) {
    report_.set_plan_id(plan_->id());
    if (replaced_) report_.set_replaced_plan_id(replaced_->id());
  }
  PlanCommit(const PlanCommit&) = delete;
  PlanCommit& operator=(const PlanCommit&) = delete;

  absl::Status Run(EpochMs now) {
    if (auto status = KeepOnlyStandingReplaced(); !status.ok()) return status;
    if (auto status = CheckTimes(now); !status.ok()) return status;
    if (auto status = CheckUnitsNow(); !status.ok()) return status;
    if (auto status = CheckVersions(); !status.ok()) return status;
    if (auto status = BookUnits(); !status.ok()) return status;
    MarkCommitted(now);
    return Record();
  }
  const v1::RotationCommitUndoReport& undo_report() const { return report_; }

 private:
  // The replaced plan's legs whose bookings still stand (held, awaiting approval, confirmed) are
  // the ones the commit cancels and an undo books again; one its owner cancelled meanwhile is
  // neither (before, an undo booked it again).
  absl::Status KeepOnlyStandingReplaced() {
    for (auto& c : changes_) {
      std::vector<v1::RotationLeg*> standing;
      for (auto* leg : c.replaced_legs) {
        auto booking = bookings_->Get(leg->booking_id());
        if (!booking.ok()) return booking.status();
        if (!booking->has_value()) continue;
        const v1::BookingState state = (*booking)->state();
        if (state == v1::BOOKING_STATE_HELD || state == v1::BOOKING_STATE_PENDING_APPROVAL ||
            state == v1::BOOKING_STATE_CONFIRMED)
          standing.push_back(leg);
      }
      c.replaced_legs = std::move(standing);
    }
    return absl::OkStatus();
  }

  // Nothing the commit changes has begun since the draft was made: the replaced plan's legs it
  // cancels were all ahead then (those under way are kept), and so were the new legs it books
  // from the draft's time on (a horizon in the past records rotations that already ran). A
  // draft committed later would cancel legs under way, freeing a unit that is away.
  absl::Status CheckTimes(EpochMs now_ms) const {
    // In whole seconds, as a draft's cutoff is: a leg starting in the second the draft was made
    // is replaced, not kept, and must not make the draft stale for good.
    const EpochMs now = now_ms / 1000 * 1000;
    const EpochMs made = ToEpochMs(plan_->create_time());
    for (const auto& c : changes_) {
      for (const auto* leg : c.replaced_legs)
        if (ToEpochMs(leg->start_time()) < now)
          return StalePlan(absl::StrCat("a leg of unit ", c.unit,
                                        " that this draft replaces has begun since it was made"));
      for (const auto* leg : c.legs)
        if (const EpochMs start = ToEpochMs(leg->start_time()); start >= made && start < now)
          return StalePlan(absl::StrCat("a leg of unit ", c.unit,
                                        " that this draft books has begun since it was made"));
    }
    return absl::OkStatus();
  }

  // Each unit the commit books on is as the draft found it: still there, in use, and closed
  // during none of its new legs. The booking versions do not see the registry: a unit retired,
  // sent for maintenance or closed after the draft was made went on the road all the same.
  absl::Status CheckUnitsNow() const {
    for (const auto& c : changes_) {
      if (c.legs.empty()) continue;
      auto found = catalog_->Find(c.unit);
      if (!found.ok()) return found.status();
      if (!found->has_value())
        return StalePlan(absl::StrCat("unit ", c.unit, " was deleted since this plan was made"));
      if (auto in_use = InUse(*(*found)->resource); !in_use.ok())
        return StalePlan(
            absl::StrCat("unit ", c.unit, " is not in use now (", in_use.message(), ")"));
      if (!(*found)->availability) continue;
      // As the planner blocks closures: within the horizon, at the unit's work (set-up, the
      // assignment, tear-down), not on the road (a drive home from a kept trip may cross one).
      const EpochMs horizon_start = ToEpochMs(plan_->horizon_start_time());
      const EpochMs horizon_end = ToEpochMs(plan_->horizon_end_time());
      for (const auto& closure : (*found)->availability->closures())
        for (const auto* leg : c.legs)
          if (leg->kind() != v1::ROTATION_LEG_KIND_TRANSPORT &&
              ToEpochMs(closure.end_time()) > horizon_start &&
              ToEpochMs(closure.start_time()) < horizon_end &&
              ToEpochMs(closure.start_time()) < ToEpochMs(leg->end_time()) &&
              ToEpochMs(closure.end_time()) > ToEpochMs(leg->start_time()))
            return StalePlan(absl::StrCat(
                "unit ", c.unit, " was closed during a leg of this plan since it was made"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckVersions() {
    std::vector<std::string> units;
    for (const auto& c : changes_) units.push_back(c.unit);
    auto versions = bookings_->Versions(units);
    if (!versions.ok()) return versions.status();
    for (size_t u = 0; u < units.size(); ++u) {
      const std::string etag = EtagOf(*plan_, units[u]);
      if (!etag.empty() && etag != (*versions)[u])
        return StalePlan(
            absl::StrCat("the bookings of unit ", units[u], " changed since this plan was made"));
    }
    return absl::OkStatus();
  }

  absl::Status BookUnits() {
    for (; done_ < changes_.size(); ++done_) {
      const UnitChange& c = changes_[done_];
      auto status =
          BookLegs(bookings_, pool_, plan_->id(), c.unit, c.legs, BookingIdsOf(c.replaced_legs),
                   "replaced by rotation plan " + plan_->id(), EtagOf(*plan_, c.unit));
      if (status.ok()) continue;
      Undo("unit " + c.unit + " changed");
      if (status.code() != absl::StatusCode::kAborted) return status;
      return StalePlan(
          absl::StrCat("the bookings of unit ", c.unit, " changed while the plan was committed"));
    }
    return absl::OkStatus();
  }

  void MarkCommitted(EpochMs now) {
    plan_->set_state(v1::ROTATION_PLAN_STATE_COMMITTED);
    for (const auto& unit : plan_->units())
      for (const auto& leg : unit.legs())
        if (!leg.booking_id().empty()) plan_->add_booking_ids(leg.booking_id());
    *plan_->mutable_commit_time() = FromEpochMs(now);
  }

  // The pool's committed plan becomes this one, with its hand-overs, in one step.
  absl::Status Record() {
    HandoverChange handovers;
    handovers.created = HandoversOf(*plan_, pool_);
    std::optional<v1::RotationPlan> superseded;
    if (replaced_) {
      auto before = store_->Handovers(replaced_->id());
      if (!before.ok()) {
        Undo("the hand-overs could not be read");
        return before.status();
      }
      handovers = DiffHandovers(std::move(handovers.created), *before);
      superseded = *replaced_;
      superseded->set_state(v1::ROTATION_PLAN_STATE_SUPERSEDED);
    }
    auto status = store_->Commit(*plan_, superseded ? &*superseded : nullptr, handovers.kept,
                                 handovers.dropped, handovers.created);
    if (status.ok()) return status;
    Undo("the plan could not be recorded");
    if (status.code() == absl::StatusCode::kAborted)
      return StalePlan("the pool's committed plan changed while this one was committed");
    return status;
  }

  // Puts back the units booked so far, one step per unit: its new bookings cancelled and the
  // replaced plan's legs booked again; then stores the replaced plan with the re-made bookings'
  // ids. Every step that fails goes into the report.
  void Undo(const std::string& why) {
    std::vector<std::string> remade;
    for (size_t i = 0; i < done_; ++i) {
      const UnitChange& c = changes_[i];
      const std::vector<std::string> ours = BookingIdsOf(c.legs);
      const std::vector<std::string> cancelled = BookingIdsOf(c.replaced_legs);
      auto status = BookLegs(bookings_, pool_, replaced_ ? replaced_->id() : plan_->id(), c.unit,
                             c.replaced_legs, ours, "rotation plan commit undone: " + why, "");
      if (status.ok()) {
        for (const auto* leg : c.replaced_legs) remade.push_back(leg->booking_id());
        continue;
      }
      auto* failure = report_.add_failures();
      failure->set_unit_resource_id(c.unit);
      for (const auto& id : ours) failure->add_booking_ids(id);
      for (const auto& id : cancelled) failure->add_cancelled_booking_ids(id);
      failure->set_reason(
          absl::StrCat("undoing the commit (", why, ") failed: ", status.ToString()));
    }
    if (!replaced_ || remade.empty()) return;
    if (auto status = store_->SavePlan(*replaced_); !status.ok()) {
      auto* failure = report_.add_failures();
      for (const auto& id : remade) failure->add_booking_ids(id);
      failure->set_reason(absl::StrCat(
          "the replaced plan's record could not be updated with the ids of its re-made bookings: ",
          status.ToString()));
    }
  }

  BookingStore* bookings_;
  RotationStore* store_;
  Catalog* catalog_;
  const v1::RotationPool& pool_;
  v1::RotationPlan* plan_;
  std::optional<v1::RotationPlan> replaced_;
  std::vector<UnitChange> changes_;
  size_t done_ = 0;  // the units booked so far (changes_[0, done_))
  v1::RotationCommitUndoReport report_;
};

// The report as the commit's error carries it: at most about 4 KiB, since gRPC clients refuse
// trailers over 8 KiB by default (the log names every booking).
v1::RotationCommitUndoReport BoundedReport(const v1::RotationCommitUndoReport& full) {
  constexpr size_t kMaxBytes = 4096;
  if (full.ByteSizeLong() <= kMaxBytes) return full;
  v1::RotationCommitUndoReport out;
  out.set_plan_id(full.plan_id());
  out.set_replaced_plan_id(full.replaced_plan_id());
  out.set_truncated(true);
  auto fits = [&](const std::string& more) {
    return out.ByteSizeLong() + more.size() + 8 <= kMaxBytes;
  };
  for (const auto& f : full.failures()) {
    if (!fits(f.unit_resource_id() + f.reason())) break;
    auto* g = out.add_failures();
    g->set_unit_resource_id(f.unit_resource_id());
    g->set_reason(f.reason());
    for (const auto& id : f.booking_ids())
      if (fits(id)) g->add_booking_ids(id);
    for (const auto& id : f.cancelled_booking_ids())
      if (fits(id)) g->add_cancelled_booking_ids(id);
  }
  return out;
}

}  // namespace

Rotations::Rotations(RotationStore* store, BookingStore* bookings, Catalog* catalog,
                     SchedulerConfig config, Clock clock, Metrics* metrics)
    : store_(store),
      bookings_(bookings),
      catalog_(catalog),
      config_(config),
      clock_(std::move(clock)),
      undo_failures_(std::make_shared<std::atomic<int64_t>>(0)) {
  if (metrics)
    metrics->AddSampled("infrashare_rotation_undo_failures_total", "counter",
                        "Undo steps of failed rotation plan commits that failed too, leaving "
                        "bookings for an operator to clean up (see the log and the error).",
                        [count = undo_failures_] { return static_cast<double>(count->load()); });
}

absl::StatusOr<v1::RotationPool> Rotations::Pool(const std::string& id, const char* field) {
  if (id.empty()) return InvalidField(field, "is required");
  auto pool = store_->GetPool(id);
  if (!pool.ok()) return pool.status();
  if (!pool->has_value()) return NotFoundError("rotation_pool", id);
  return **pool;
}

absl::StatusOr<v1::RotationPool> Rotations::CreatePool(
    const Caller& caller, const v1::CreateRotationPoolRequest& request) {
  v1::RotationPool pool = request.pool();
  if (pool.owner_organization_id().empty()) pool.set_owner_organization_id(caller.organization_id);
  if (!caller.CanWriteFor(pool.owner_organization_id()))
    return Forbidden("pools are made by the organisation that owns the units");
  FieldErrors errors;
  if (pool.display_name().empty() || Characters(pool.display_name()) > 200)
    errors.Add("pool.display_name", "is required, at most 200 characters");
  if (pool.unit_resource_ids().empty())
    errors.Add("pool.unit_resource_ids", "at least one unit is required");
  if (pool.unit_resource_ids_size() > 1000)
    errors.Add("pool.unit_resource_ids", "at most 1000 units");
  std::set<std::string> seen;
  for (int i = 0; i < pool.unit_resource_ids_size(); ++i) {
    const std::string field = absl::StrCat("pool.unit_resource_ids[", i, "]");
    const std::string& id = pool.unit_resource_ids(i);
    if (!seen.insert(id).second) {
      errors.Add(field, "is listed twice");
      continue;
    }
    auto found = catalog_->Find(id);
    if (!found.ok()) return found.status();
    if (!found->has_value() ||
        (*found)->resource->owner_organization_id() != pool.owner_organization_id()) {
      errors.Add(field, "is not a resource of the pool's owner");
    } else if ((*found)->resource->mobility() != reg::v1::MOBILITY_MOBILE) {
      errors.Add(field, "is not a mobile resource");
    } else if (!HomeOf(*(*found)->resource)) {
      errors.Add(field, "has no home base to start from");
    } else if ((*found)->resource->booking_mode() == reg::v1::BOOKING_MODE_SHARED_CAPACITY) {
      errors.Add(field, "is booked by seats (shared capacity); a pool's units travel whole");
    }
  }
  ApplyPolicyDefaults(config_, pool.mutable_policy());
  CheckPolicy(pool.policy(), &errors);
  if (!errors.empty()) return errors.ToStatus();
  pool.set_id(NewId("pool"));
  return store_->PutPool(std::move(pool), "",
                         store_->ReplayKey(caller.organization_id, IdempotencyKey(request)));
}

absl::StatusOr<v1::RotationPool> Rotations::GetPool(const Caller&, const std::string& id) {
  return Pool(id, "id");
}

absl::StatusOr<v1::ListRotationPoolsResponse> Rotations::ListPools(
    const Caller& caller, const v1::ListRotationPoolsRequest& request) {
  auto pools = store_->PoolsOf(request.organization_id().empty() ? caller.organization_id
                                                                 : request.organization_id());
  if (!pools.ok()) return pools.status();
  v1::ListRotationPoolsResponse response;
  for (auto& p : *pools) *response.add_pools() = std::move(p);
  return response;
}

absl::Status Rotations::CheckRequest(const v1::RotationRequest& r, const v1::RotationPool& pool,
                                     bool owner) {
  FieldErrors errors;
  const std::string p = "rotation_request.";
  if (!r.has_location()) {
    errors.Add(p + "location", "is required");
  } else if (!ValidPoint(r.location())) {
    errors.Add(p + "location", "must be a WGS84 point (latitude -90..90, longitude -180..180)");
  }
  if (!r.has_earliest_start_time()) errors.Add(p + "earliest_start_time", "is required");
  if (!r.has_latest_end_time()) errors.Add(p + "latest_end_time", "is required");
  if (r.duration_days() < 1 || r.duration_days() > 366)
    errors.Add(p + "duration_days", "must be between 1 and 366");
  if (r.has_earliest_start_time() && r.has_latest_end_time() && r.duration_days() >= 1 &&
      SecondsOf(r.latest_end_time()) - SecondsOf(r.earliest_start_time()) <
          int64_t{r.duration_days()} * rot::kDay)
    errors.Add(p + "latest_end_time", "the window is shorter than duration_days");
  if (r.units() < 1 || r.units() > pool.unit_resource_ids_size())
    errors.Add(p + "units", absl::StrCat("must be between 1 and the pool's ",
                                         pool.unit_resource_ids_size(), " units"));
  if (!r.unit_resource_id().empty()) {
    if (std::find(pool.unit_resource_ids().begin(), pool.unit_resource_ids().end(),
                  r.unit_resource_id()) == pool.unit_resource_ids().end())
      errors.Add(p + "unit_resource_id", "is not a unit of the pool");
    if (r.units() > 1) errors.Add(p + "units", "must be 1 when a specific unit is asked for");
  }
  if (r.priority() != 0 && !owner)
    errors.Add(p + "priority", "only the pool's owner sets priorities");
  if (Characters(r.notes()) > 2000) errors.Add(p + "notes", "must be at most 2000 characters");
  return errors.empty() ? absl::OkStatus() : errors.ToStatus();
}

// A partner asks for the unit it names, or for units of the pool, only when their access policy
// lets it book them (as CreateBooking would): else PERMISSION_DENIED with the policy's reason.
// Training is checked when the plan is made (the owner may record it in between).
absl::Status Rotations::MayAskFor(const v1::RotationRequest& r,
                                  const v1::RotationPool& pool) const {
  absl::Status refused = absl::OkStatus();
  int open = 0;
  for (const auto& id : pool.unit_resource_ids()) {
    if (!r.unit_resource_id().empty() && id != r.unit_resource_id()) continue;
    auto found = catalog_->Find(id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) continue;
    auto access = CheckAccess(*(*found)->resource, r.organization_id(),
                              catalog_->Organization(r.organization_id()),
                              catalog_->NetworksOf(r.organization_id()));
    if (access.ok())
      ++open;
    else if (refused.ok())
      refused = access;
  }
  if (open >= r.units() || refused.ok()) return absl::OkStatus();
  return Forbidden(absl::StrCat("organisation '", r.organization_id(), "' may book ", open,
                                " of the units it asks for (", r.units(),
                                "): ", refused.message()));
}

absl::StatusOr<v1::RotationRequest> Rotations::CreateRequest(
    const Caller& caller, const v1::CreateRotationRequestRequest& request) {
  v1::RotationRequest r = request.rotation_request();
  if (r.units() == 0) r.set_units(1);
  if (r.organization_id().empty()) r.set_organization_id(caller.organization_id);
  auto pool = Pool(r.pool_id(), "rotation_request.pool_id");
  if (!pool.ok()) return pool.status();
  if (!caller.CanWriteFor(r.organization_id()))
    return Forbidden("partners ask for units for their own organisation");
  // A platform admin's token belongs to no partner: it names the one the request is for.
  auto exists = catalog_->OrganizationExists(r.organization_id());
  if (!exists.ok()) return exists.status();
  if (!*exists)
    return InvalidField("rotation_request.organization_id",
                        absl::StrCat("'", r.organization_id(),
                                     "' is no organisation: name the partner the units are for"));
  if (auto status = CheckRequest(r, *pool, caller.CanWriteFor(pool->owner_organization_id()));
      !status.ok())
    return status;
  if (auto access = MayAskFor(r, *pool); !access.ok()) return access;
  r.set_sme(catalog_->Organization(r.organization_id()).sme);
  r.set_state(v1::ROTATION_REQUEST_STATE_OPEN);
  r.set_id(NewId("rr"));
  return store_->PutRequest(std::move(r), "",
                            store_->ReplayKey(caller.organization_id, IdempotencyKey(request)));
}

absl::StatusOr<v1::RotationRequest> Rotations::GetRequest(const Caller& caller,
                                                          const std::string& id) {
  if (id.empty()) return InvalidField("id", "is required");
  auto current = store_->GetRequest(id);
  if (!current.ok()) return current.status();
  if (!current->has_value()) return NotFoundError("rotation_request", id);
  auto pool = Pool((*current)->pool_id(), "pool_id");
  if (!pool.ok()) return pool.status();
  // The requester and the pool's owner see a request; nobody else learns it exists.
  if (caller.organization_id != (*current)->organization_id() &&
      caller.organization_id != pool->owner_organization_id() && !caller.IsPlatformAdmin())
    return NotFoundError("rotation_request", id);
  return **current;
}

absl::StatusOr<v1::RotationRequest> Rotations::UpdateRequest(
    const Caller& caller, const v1::UpdateRotationRequestRequest& request) {
  const v1::RotationRequest& patch = request.rotation_request();
  if (patch.id().empty()) return InvalidField("rotation_request.id", "is required");
  if (patch.etag().empty()) return InvalidField("rotation_request.etag", "is required");
  auto current = store_->GetRequest(patch.id());
  if (!current.ok()) return current.status();
  if (!current->has_value()) return NotFoundError("rotation_request", patch.id());
  v1::RotationRequest r = **current;
  auto pool = Pool(r.pool_id(), "rotation_request.pool_id");
  if (!pool.ok()) return pool.status();
  const bool owner = caller.CanWriteFor(pool->owner_organization_id());
  if (!owner && !caller.CanWriteFor(r.organization_id()))
    return NotFoundError("rotation_request", patch.id());
  if (r.state() != v1::ROTATION_REQUEST_STATE_OPEN)
    return PreconditionError("WITHDRAWN", "the request was withdrawn");
  *r.mutable_location() = patch.location();
  *r.mutable_earliest_start_time() = patch.earliest_start_time();
  *r.mutable_latest_end_time() = patch.latest_end_time();
  r.set_duration_days(patch.duration_days());
  r.set_units(patch.units() == 0 ? 1 : patch.units());
  r.set_unit_resource_id(patch.unit_resource_id());
  r.set_notes(patch.notes());
  if (owner) r.set_priority(patch.priority());
  if (auto status = CheckRequest(r, *pool, owner); !status.ok()) return status;
  // Asked again only for other units: a partner that lost access keeps its notes editable.
  if (r.unit_resource_id() != (*current)->unit_resource_id() || r.units() != (*current)->units())
    if (auto access = MayAskFor(r, *pool); !access.ok()) return access;
  return store_->PutRequest(std::move(r), patch.etag(),
                            store_->ReplayKey(caller.organization_id, IdempotencyKey(request)));
}

absl::StatusOr<v1::RotationRequest> Rotations::WithdrawRequest(
    const Caller& caller, const v1::WithdrawRotationRequestRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  auto current = store_->GetRequest(request.id());
  if (!current.ok()) return current.status();
  if (!current->has_value()) return NotFoundError("rotation_request", request.id());
  v1::RotationRequest r = **current;
  auto pool = Pool(r.pool_id(), "pool_id");
  if (!pool.ok()) return pool.status();
  if (!caller.CanWriteFor(r.organization_id()) &&
      !caller.CanWriteFor(pool->owner_organization_id()))
    return NotFoundError("rotation_request", request.id());
  if (r.state() == v1::ROTATION_REQUEST_STATE_WITHDRAWN) return r;
  r.set_state(v1::ROTATION_REQUEST_STATE_WITHDRAWN);
  const std::string etag = r.etag();
  return store_->PutRequest(std::move(r), etag,
                            store_->ReplayKey(caller.organization_id, IdempotencyKey(request)));
}

absl::StatusOr<v1::ListRotationRequestsResponse> Rotations::ListRequests(
    const Caller& caller, const v1::ListRotationRequestsRequest& request) {
  auto pool = Pool(request.pool_id(), "pool_id");
  if (!pool.ok()) return pool.status();
  auto requests = store_->RequestsOf(request.pool_id());
  if (!requests.ok()) return requests.status();
  const bool owner =
      caller.organization_id == pool->owner_organization_id() || caller.IsPlatformAdmin();
  v1::ListRotationRequestsResponse response;
  for (auto& r : *requests) {
    if (!owner && r.organization_id() != caller.organization_id)
      continue;  // partners see their own
    if (!request.include_withdrawn() && r.state() != v1::ROTATION_REQUEST_STATE_OPEN) continue;
    *response.add_requests() = std::move(r);
  }
  return response;
}

absl::StatusOr<v1::RotationPlan> Rotations::Plan(const Caller& caller,
                                                 const v1::PlanRotationRequest& request) {
  auto pool = Pool(request.pool_id(), "pool_id");
  if (!pool.ok()) return pool.status();
  if (!caller.CanWriteFor(pool->owner_organization_id()))
    return Forbidden("the pool's owner plans its rotations");
  const EpochMs now = clock_();
  auto horizon = CheckPlanRequest(request, now, config_.rotation_max_horizon_days);
  if (!horizon.ok()) return horizon.status();
  rot::PlanInput in;
  in.horizon_start = horizon->start;
  in.horizon_end = horizon->end;
  in.sme_weight = request.sme_weight() == 0 ? 1.5 : request.sme_weight();
  in.policy = PlannerPolicy(pool->policy());

  // The pool's committed plan is replaced from the cutoff on; what is under way then stays.
  Replacing replacing;
  if (auto status = LoadReplacing(store_, bookings_, pool->id(),
                                  std::max(horizon->start, now / 1000), now / 1000, &replacing);
      !status.ok())
    return status;
  if (replacing.plan) in.horizon_start = replacing.cutoff;  // what began before stays as it is
  const std::vector<std::string> unit_ids(pool->unit_resource_ids().begin(),
                                          pool->unit_resource_ids().end());
  auto versions = AddUnits(bookings_, catalog_, unit_ids, replacing, *horizon, &in);
  if (!versions.ok()) return versions.status();
  auto requests = store_->RequestsOf(pool->id());
  if (!requests.ok()) return requests.status();
  const auto organization_of = AddRequests(*requests, replacing.kept, &in);
  if (auto status = AddPins(request, replacing.kept, organization_of, unit_ids, &in); !status.ok())
    return status;
  if (auto status = BarUnits(catalog_, bookings_, unit_ids, request, &in); !status.ok())
    return status;

  rot::Plan planned = rot::PlanRotation(in);
  v1::RotationPlan plan;
  plan.set_id(NewId("plan"));
  plan.set_pool_id(pool->id());
  *plan.mutable_horizon_start_time() = At(horizon->start);
  *plan.mutable_horizon_end_time() = At(horizon->end);
  if (replacing.plan) CarryKept(replacing, *requests, &plan, &planned, &in);
  AddAssignments(planned, replacing.kept, organization_of, &plan);
  AddSchedules(planned, replacing, &plan);
  AddOutcome(in, planned, unit_ids, *versions, &plan);
  *plan.mutable_create_time() = FromEpochMs(now);
  plan.set_state(v1::ROTATION_PLAN_STATE_DRAFT);
  if (auto status = store_->SavePlan(plan); !status.ok()) return status;
  return plan;
}

absl::StatusOr<v1::RotationPlan> Rotations::GetPlan(const Caller& caller, const std::string& id) {
  if (id.empty()) return InvalidField("id", "is required");
  auto plan = store_->GetPlan(id);
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) return NotFoundError("rotation_plan", id);
  auto pool = Pool((*plan)->pool_id(), "pool_id");
  if (!pool.ok()) return pool.status();
  if (!caller.CanWriteFor(pool->owner_organization_id()) &&
      caller.organization_id != pool->owner_organization_id())
    return NotFoundError("rotation_plan", id);
  return **plan;
}

absl::StatusOr<v1::ExportRotationPlanResponse> Rotations::ExportPlan(
    const Caller& caller, const v1::ExportRotationPlanRequest& request) {
  auto plan = GetPlan(caller, request.id());
  if (!plan.ok()) return plan.status();
  v1::ExportRotationPlanResponse response;
  switch (request.format()) {
    case v1::ROTATION_EXPORT_FORMAT_CSV:
      response.set_content(RotationPlanToCsv(*plan));
      response.set_content_type("text/csv");
      return response;
    case v1::ROTATION_EXPORT_FORMAT_ICALENDAR: {
      if (request.unit_resource_id().empty())
        return InvalidField("unit_resource_id", "is required for iCalendar");
      auto feed = RotationUnitToICalendar(*plan, request.unit_resource_id());
      if (!feed.ok()) return feed.status();
      response.set_content(std::move(*feed));
      response.set_content_type("text/calendar");
      return response;
    }
    default:
      return InvalidField("format", "must be CSV or ICALENDAR");
  }
}

absl::StatusOr<v1::RotationPlan> Rotations::CommitPlan(
    const Caller& caller, const v1::CommitRotationPlanRequest& request) {
  auto plan = GetPlan(caller, request.id());
  if (!plan.ok()) return plan.status();
  auto pool = Pool(plan->pool_id(), "pool_id");
  if (!pool.ok()) return pool.status();
  if (!caller.CanWriteFor(pool->owner_organization_id()))
    return Forbidden("the pool's owner commits its plans");
  if (plan->state() != v1::ROTATION_PLAN_STATE_DRAFT) {
    if (plan->state() == v1::ROTATION_PLAN_STATE_COMMITTED && !request.request_id().empty())
      return *plan;  // a retry of the commit that succeeded
    return PreconditionError("ALREADY_COMMITTED",
                             "this plan is booked already; plan again for changes");
  }
  auto replaced = ReplacedBy(*plan);
  if (!replaced.ok()) return replaced.status();
  PlanCommit commit(bookings_, store_, catalog_, *pool, &*plan, std::move(*replaced));
  if (auto status = commit.Run(clock_()); !status.ok())
    return WithUndoReport(std::move(status), commit.undo_report());
  return *plan;
}

absl::StatusOr<std::optional<v1::RotationPlan>> Rotations::ReplacedBy(
    const v1::RotationPlan& draft) {
  auto current = store_->Committed(draft.pool_id());
  if (!current.ok()) return current.status();
  if (*current != draft.replaces_plan_id())
    return StalePlan("the pool's committed plan changed since this draft was made");
  if (current->empty()) return std::optional<v1::RotationPlan>();
  auto stored = store_->GetPlan(*current);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return absl::InternalError("the pool's committed plan is missing");
  return stored;
}

absl::Status Rotations::WithUndoReport(absl::Status error,
                                       const v1::RotationCommitUndoReport& report) {
  if (report.failures().empty()) return error;
  undo_failures_->fetch_add(report.failures_size());
  for (const auto& failure : report.failures()) {
    // One line per booking left as it should not be, so that no list is cut.
    const auto log = [&](const char* left, const std::string& booking_id) {
      logging::Fields fields = {{"plan_id", report.plan_id()},
                                {"replaced_plan_id", report.replaced_plan_id()},
                                {"unit_resource_id", failure.unit_resource_id()},
                                {"reason", failure.reason()}};
      if (!booking_id.empty()) {
        fields.emplace_back("booking_id", booking_id);
        fields.emplace_back("left", left);
      }
      logging::Error("a failed rotation plan commit could not be undone", fields);
    };
    for (const auto& id : failure.booking_ids()) log("booked", id);
    for (const auto& id : failure.cancelled_booking_ids()) log("cancelled", id);
    if (failure.booking_ids().empty() && failure.cancelled_booking_ids().empty()) log("", "");
  }
  error.SetPayload(kUndoReportUrl, absl::Cord(BoundedReport(report).SerializeAsString()));
  return error;
}

absl::StatusOr<v1::ListHandoversResponse> Rotations::ListHandovers(
    const Caller& caller, const v1::ListHandoversRequest& request) {
  if (request.plan_id().empty()) return InvalidField("plan_id", "is required");
  auto plan = store_->GetPlan(request.plan_id());
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) return NotFoundError("rotation_plan", request.plan_id());
  auto pool = Pool((*plan)->pool_id(), "plan_id");
  if (!pool.ok()) return pool.status();
  const bool owner =
      caller.organization_id == pool->owner_organization_id() || caller.IsPlatformAdmin();
  auto handovers = store_->Handovers(request.plan_id());
  if (!handovers.ok()) return handovers.status();
  v1::ListHandoversResponse response;
  for (auto& h : *handovers)
    if (owner || h.from_organization_id() == caller.organization_id ||
        h.to_organization_id() == caller.organization_id)
      *response.add_handovers() = std::move(h);
  if (!owner && response.handovers().empty())
    return NotFoundError("rotation_plan", request.plan_id());
  return response;
}

absl::StatusOr<std::optional<v1::Handover>> HandoverVisibleTo(RotationStore* store,
                                                              const Caller& caller,
                                                              const std::string& id) {
  auto handover = store->GetHandover(id);
  if (!handover.ok()) return handover.status();
  if (!handover->has_value()) return std::optional<v1::Handover>();
  const auto& h = **handover;
  if (caller.IsPlatformAdmin() || h.from_organization_id() == caller.organization_id ||
      h.to_organization_id() == caller.organization_id)
    return handover;
  auto plan = store->GetPlan(h.plan_id());
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) return std::optional<v1::Handover>();
  auto pool = store->GetPool((*plan)->pool_id());
  if (!pool.ok()) return pool.status();
  if (pool->has_value() && (*pool)->owner_organization_id() == caller.organization_id)
    return handover;
  return std::optional<v1::Handover>();
}

absl::StatusOr<std::optional<v1::Handover>> Rotations::VisibleHandover(const Caller& caller,
                                                                       const std::string& id) {
  return HandoverVisibleTo(store_, caller, id);
}

absl::StatusOr<v1::Handover> Rotations::ConfirmHandover(const Caller& caller,
                                                        const v1::ConfirmHandoverRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  if (Characters(request.condition_notes()) > 4000)
    return InvalidField("condition_notes", "must be at most 4000 characters");
  auto handover = store_->GetHandover(request.id());
  if (!handover.ok()) return handover.status();
  if (!handover->has_value()) return NotFoundError("handover", request.id());
  const auto& h = **handover;
  const bool side = h.from_organization_id() == caller.organization_id ||
                    h.to_organization_id() == caller.organization_id;
  if (!side) return NotFoundError("handover", request.id());
  if (!caller.CanWriteFor(caller.organization_id))
    return Forbidden("a member or admin of either side confirms");
  return store_->ConfirmHandover(request.id(), caller.organization_id, request.condition_notes());
}

absl::StatusOr<v1::RotationPlanDiff> Rotations::PreviewPlan(const Caller& caller,
                                                            const std::string& id) {
  auto draft = GetPlan(caller, id);
  if (!draft.ok()) return draft.status();
  v1::RotationPlanDiff diff;
  diff.set_plan_id(draft->id());
  auto committed_id = store_->Committed(draft->pool_id());
  if (!committed_id.ok()) return committed_id.status();
  v1::RotationPlan committed;
  if (*committed_id == draft->id()) {
    committed = *draft;
  } else if (!committed_id->empty()) {
    auto stored = store_->GetPlan(*committed_id);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) committed = **stored;
  }
  diff.set_committed_plan_id(*committed_id);
  // A request is served the same way when the same units start it at the same time.
  using Served = std::map<std::string, std::vector<const v1::PlannedAssignment*>>;
  auto by_request = [](const v1::RotationPlan& plan) {
    Served out;
    for (const auto& a : plan.assignments()) out[a.request_id()].push_back(&a);
    return out;
  };
  auto shape = [](const std::vector<const v1::PlannedAssignment*>& list) {
    std::set<std::pair<std::string, int64_t>> s;
    for (const auto* a : list) s.insert({a->unit_resource_id(), a->start_time().seconds()});
    return s;
  };
  const Served now = by_request(*draft), before = by_request(committed);
  for (const auto& [request, list] : now) {
    auto it = before.find(request);
    if (it == before.end()) {
      for (const auto* a : list) *diff.add_added() = *a;
    } else if (shape(list) != shape(it->second)) {
      for (const auto* a : list) *diff.add_moved() = *a;
    } else {
      diff.set_unchanged(diff.unchanged() + 1);
    }
  }
  for (const auto& [request, list] : before)
    if (!now.count(request))
      for (const auto* a : list) *diff.add_removed() = *a;
  return diff;
}

}  // namespace infrashare::scheduler
