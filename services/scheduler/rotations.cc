#include "services/scheduler/rotations.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "services/common/availability.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
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

Kept KeptOf(const v1::RotationPlan& plan, rot::Seconds cutoff) {
  Kept kept;
  for (const auto& unit : plan.units()) {
    int n = 0;
    while (n < unit.legs_size() && SecondsOf(unit.legs(n).start_time()) < cutoff) ++n;
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

}  // namespace

Rotations::Rotations(RotationStore* store, BookingStore* bookings, Catalog* catalog,
                     SchedulerConfig config, Clock clock)
    : store_(store),
      bookings_(bookings),
      catalog_(catalog),
      config_(config),
      clock_(std::move(clock)) {}

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
  if (pool.display_name().empty() || pool.display_name().size() > 200)
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
    }
  }
  auto* policy = pool.mutable_policy();
  if (policy->speed_kmh() == 0) policy->set_speed_kmh(config_.rotation_speed_kmh);
  if (policy->road_factor() == 0) policy->set_road_factor(config_.rotation_road_factor);
  if (!policy->has_setup_minutes()) policy->set_setup_minutes(120);
  if (!policy->has_teardown_minutes()) policy->set_teardown_minutes(60);
  if (policy->maintenance_after_days() > 0 && policy->maintenance_days() == 0)
    policy->set_maintenance_days(1);
  if (!(policy->speed_kmh() >= 5 && policy->speed_kmh() <= 200))
    errors.Add("pool.policy.speed_kmh", "must be between 5 and 200 km/h");
  if (!(policy->road_factor() >= 1 && policy->road_factor() <= 3))
    errors.Add("pool.policy.road_factor", "must be between 1 and 3");
  if (policy->setup_minutes() < 0 || policy->setup_minutes() > 24 * 60)
    errors.Add("pool.policy.setup_minutes", "must be between 0 and 1440");
  if (policy->teardown_minutes() < 0 || policy->teardown_minutes() > 24 * 60)
    errors.Add("pool.policy.teardown_minutes", "must be between 0 and 1440");
  if (policy->maintenance_after_days() < 0 || policy->maintenance_after_days() > 366)
    errors.Add("pool.policy.maintenance_after_days", "must be between 0 (no rule) and 366");
  if (policy->maintenance_days() < 0 || policy->maintenance_days() > 90)
    errors.Add("pool.policy.maintenance_days", "must be between 0 and 90");
  if (policy->handover_confirm_hours() < 0 || policy->handover_confirm_hours() > 720)
    errors.Add("pool.policy.handover_confirm_hours", "must be between 0 (default 24) and 720");
  if (policy->has_maintenance_location() && !ValidPoint(policy->maintenance_location()))
    errors.Add("pool.policy.maintenance_location", "must be a WGS84 point");
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
  if (r.notes().size() > 2000) errors.Add(p + "notes", "must be at most 2000 characters");
  return errors.empty() ? absl::OkStatus() : errors.ToStatus();
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
  if (auto status = CheckRequest(r, *pool, caller.CanWriteFor(pool->owner_organization_id()));
      !status.ok())
    return status;
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
  const rot::Seconds start =
      request.has_horizon_start_time() ? SecondsOf(request.horizon_start_time()) : now / 1000;
  if (!request.has_horizon_end_time()) return InvalidField("horizon_end_time", "is required");
  const rot::Seconds end = SecondsOf(request.horizon_end_time());
  if (end <= start) return InvalidField("horizon_end_time", "must be after horizon_start_time");
  if (end - start > int64_t{config_.rotation_max_horizon_days} * rot::kDay)
    return InvalidField(
        "horizon_end_time",
        absl::StrCat("the horizon may be at most ", config_.rotation_max_horizon_days, " days"));
  if (request.sme_weight() < 0 || request.sme_weight() > 10)
    return InvalidField("sme_weight", "must be between 0 and 10");

  rot::PlanInput in;
  in.horizon_start = start;
  in.horizon_end = end;
  in.sme_weight = request.sme_weight() == 0 ? 1.5 : request.sme_weight();
  const auto& policy = pool->policy();
  in.policy.speed_kmh = policy.speed_kmh();
  in.policy.road_factor = policy.road_factor();
  in.policy.setup = int64_t{policy.setup_minutes()} * 60;
  in.policy.teardown = int64_t{policy.teardown_minutes()} * 60;
  in.policy.maintenance_after_days = policy.maintenance_after_days();
  in.policy.maintenance_days = policy.maintenance_days();
  if (policy.has_maintenance_location())
    in.policy.maintenance_location = PointOf(policy.maintenance_location());

  // The pool's committed plan is replaced from the cutoff on; what is under way then stays.
  std::optional<v1::RotationPlan> committed;
  auto committed_id = store_->Committed(pool->id());
  if (!committed_id.ok()) return committed_id.status();
  if (!committed_id->empty()) {
    auto stored = store_->GetPlan(*committed_id);
    if (!stored.ok()) return stored.status();
    committed = std::move(*stored);
  }
  const rot::Seconds cutoff = std::max(start, now / 1000);
  Kept kept;
  std::map<std::string, const v1::UnitSchedule*> committed_units;
  std::set<std::string> committed_bookings;
  if (committed) {
    kept = KeptOf(*committed, cutoff);
    in.horizon_start = cutoff;  // what began before stays as it is
    for (const auto& unit : committed->units()) {
      committed_units[unit.unit_resource_id()] = &unit;
      for (const auto& leg : unit.legs())
        if (!leg.booking_id().empty()) committed_bookings.insert(leg.booking_id());
    }
  }

  std::vector<std::string> unit_ids(pool->unit_resource_ids().begin(),
                                    pool->unit_resource_ids().end());
  // Versions first: a booking made after this read makes the draft stale, never silently missed.
  auto versions = bookings_->Versions(unit_ids);
  if (!versions.ok()) return versions.status();
  auto busy = bookings_->BusyMany(unit_ids, start * 1000, end * 1000);
  if (!busy.ok()) return busy.status();
  for (size_t u = 0; u < unit_ids.size(); ++u) {
    auto found = catalog_->Find(unit_ids[u]);
    if (!found.ok()) return found.status();
    if (!found->has_value()) continue;  // a unit that left the registry is not planned
    auto home = HomeOf(*(*found)->resource);
    if (!home) continue;
    rot::Unit unit{unit_ids[u], PointOf(*home), {}};
    // Other bookings and closures count once the unit is back home after its kept legs.
    rot::Seconds home_from = 0;
    if (const int n = kept.legs[unit.id]; n > 0) {
      const auto& legs = committed_units.at(unit.id)->legs();
      rot::UnitStart& from = in.starts[unit.id];
      from.at = PointOf(legs[n - 1].to());
      from.from = SecondsOf(legs[n - 1].end_time());
      for (int i = 0; i < n; ++i) {
        if (legs[i].kind() == v1::ROTATION_LEG_KIND_MAINTENANCE) from.used_days = 0;
        if (legs[i].kind() == v1::ROTATION_LEG_KIND_ASSIGNMENT)
          from.used_days += static_cast<int>(
              (SecondsOf(legs[i].end_time()) - SecondsOf(legs[i].start_time())) / rot::kDay);
      }
      home_from = from.from + rot::TravelTime(in.policy, from.at, unit.home);
    }
    auto block = [&](rot::Seconds from, rot::Seconds to) {
      from = std::max(from, home_from);
      if (from < to) unit.busy.push_back({from, to});
    };
    for (const auto& b : (*busy)[u])
      if (!committed_bookings.count(b.booking_id))
        block(b.blocked_start / 1000, (b.blocked_end + 999) / 1000);
    if ((*found)->availability)
      for (const auto& c : (*found)->availability->closures())
        if (c.end_time().seconds() > start && c.start_time().seconds() < end)
          block(c.start_time().seconds(), c.end_time().seconds());
    in.units.push_back(std::move(unit));
  }
  auto requests = store_->RequestsOf(pool->id());
  if (!requests.ok()) return requests.status();
  std::map<std::string, std::string> organization_of;
  for (const auto& r : *requests) {
    if (r.state() != v1::ROTATION_REQUEST_STATE_OPEN || kept.requests.count(r.id())) continue;
    organization_of[r.id()] = r.organization_id();
    in.requests.push_back(PlannerRequest(r));
  }
  for (int i = 0; i < request.pins_size(); ++i) {
    const auto& pin = request.pins(i);
    if (kept.requests.count(pin.request_id())) continue;  // under way: kept as it is
    if (!organization_of.count(pin.request_id()))
      return InvalidField(absl::StrCat("pins[", i, "].request_id"),
                          "is not an open request of the pool");
    if (std::find(unit_ids.begin(), unit_ids.end(), pin.unit_resource_id()) == unit_ids.end())
      return InvalidField(absl::StrCat("pins[", i, "].unit_resource_id"),
                          "is not a unit of the pool");
    in.pins.push_back({pin.request_id(), pin.unit_resource_id(), SecondsOf(pin.start_time())});
  }

  rot::Plan planned = rot::PlanRotation(in);
  v1::RotationPlan plan;
  plan.set_id(NewId("plan"));
  plan.set_pool_id(pool->id());
  *plan.mutable_horizon_start_time() = At(start);
  *plan.mutable_horizon_end_time() = At(end);
  if (committed) {
    plan.set_replaces_plan_id(committed->id());
    *plan.mutable_replan_from_time() = At(cutoff);
    // What stays counts as served, in the totals and the fairness range.
    for (const auto& a : committed->assignments()) {
      if (!kept.requests.count(a.request_id())) continue;
      auto* out = plan.add_assignments();
      *out = a;
      out->set_pinned(true);
      planned.assignments.push_back({a.request_id(), a.unit_resource_id(),
                                     SecondsOf(a.start_time()), SecondsOf(a.end_time()), true});
    }
    for (const auto& r : *requests) {
      if (!kept.requests.count(r.id())) continue;
      const int64_t days = int64_t{r.duration_days()} * r.units();
      planned.requested_days += days;
      planned.fulfilled_days += days;
      in.requests.push_back(PlannerRequest(r));
    }
  }
  for (const auto& a : planned.assignments) {
    if (a.pinned && kept.requests.count(a.request_id)) continue;  // copied above
    auto* out = plan.add_assignments();
    out->set_request_id(a.request_id);
    out->set_unit_resource_id(a.unit_id);
    out->set_organization_id(organization_of[a.request_id]);
    *out->mutable_start_time() = At(a.start);
    *out->mutable_end_time() = At(a.end);
    out->set_pinned(a.pinned);
  }
  for (const auto& [unit, legs] : planned.legs) {
    auto* schedule = plan.add_units();
    schedule->set_unit_resource_id(unit);
    if (const int n = kept.legs[unit]; n > 0)
      for (int i = 0; i < n; ++i) *schedule->add_legs() = committed_units.at(unit)->legs(i);
    for (const auto& leg : legs) {
      auto* out = schedule->add_legs();
      out->set_kind(KindOf(leg.kind));
      *out->mutable_start_time() = At(leg.start);
      *out->mutable_end_time() = At(leg.end);
      out->set_request_id(leg.request_id);
      if (leg.kind == rot::LegKind::kTransport) *out->mutable_from() = GeoOf(leg.from);
      *out->mutable_to() = GeoOf(leg.to);
      out->set_km(leg.km);
    }
  }
  // A unit no longer planned (it left the pool or the registry) keeps what is under way.
  for (const auto& [unit, schedule] : committed_units) {
    const int n = kept.legs[unit];
    if (n == 0 ||
        std::any_of(plan.units().begin(), plan.units().end(),
                    [&id = unit](const v1::UnitSchedule& s) { return s.unit_resource_id() == id; }))
      continue;
    auto* out = plan.add_units();
    out->set_unit_resource_id(unit);
    for (int i = 0; i < n; ++i) *out->add_legs() = schedule->legs(i);
  }
  for (const auto& u : planned.unfulfilled) {
    auto* out = plan.add_unfulfilled();
    out->set_request_id(u.request_id);
    out->set_reason(u.reason);
  }
  plan.set_requested_days(planned.requested_days);
  plan.set_fulfilled_days(planned.fulfilled_days);
  const auto [low, high] = rot::FairnessRange(in, planned);
  plan.set_min_partner_share(low);
  plan.set_max_partner_share(high);
  *plan.mutable_create_time() = FromEpochMs(now);
  for (size_t u = 0; u < unit_ids.size(); ++u)
    (*plan.mutable_unit_etags())[unit_ids[u]] = (*versions)[u];
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
  const auto stale = [](const std::string& why) {
    return ConflictError("STALE_PLAN", why + "; plan again");
  };
  auto current = store_->Committed(pool->id());
  if (!current.ok()) return current.status();
  if (*current != plan->replaces_plan_id())
    return stale("the pool's committed plan changed since this draft was made");
  std::optional<v1::RotationPlan> replaced;
  if (!current->empty()) {
    auto stored = store_->GetPlan(*current);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return absl::InternalError("the pool's committed plan is missing");
    replaced = std::move(**stored);
  }

  // Per unit: the legs to book and the committed plan's bookings they replace (its legs that the
  // draft does not keep).
  struct Change {
    std::string unit;
    std::vector<v1::RotationLeg*> legs;
    std::vector<v1::RotationLeg*> replaced_legs;
  };
  std::vector<Change> changes;
  std::map<std::string, size_t> change_of;
  auto change = [&](const std::string& unit) -> Change& {
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

  // Bookings live in the units' shards, so across units the commit is all-or-nothing by checking
  // every version first, booking unit by unit with the version checked again in the same step, and
  // undoing the units already done if one changed in between (docs/DECISIONS.md).
  std::vector<std::string> units;
  for (const auto& c : changes) units.push_back(c.unit);
  auto versions = bookings_->Versions(units);
  if (!versions.ok()) return versions.status();
  auto etag = [&](const std::string& unit) {
    auto it = plan->unit_etags().find(unit);
    return it == plan->unit_etags().end() ? std::string()
                                          : it->second;  // a unit that left the pool: any
  };
  for (size_t u = 0; u < units.size(); ++u)
    if (!etag(units[u]).empty() && etag(units[u]) != (*versions)[u])
      return stale(
          absl::StrCat("the bookings of unit ", units[u], " changed since this plan was made"));
  size_t done = 0;
  auto undo = [&](const std::string& why) {
    for (size_t i = 0; i < done; ++i) {
      std::vector<std::string> ours;
      for (const auto* leg : changes[i].legs) ours.push_back(leg->booking_id());
      BookLegs(bookings_, *pool, replaced ? replaced->id() : plan->id(), changes[i].unit,
               changes[i].replaced_legs, ours, "rotation plan commit undone: " + why, "")
          .IgnoreError();
    }
    if (replaced && done > 0)
      store_->SavePlan(*replaced).IgnoreError();  // the re-made bookings' ids
  };
  std::vector<std::string> replaced_ids;
  for (; done < changes.size(); ++done) {
    const Change& c = changes[done];
    std::vector<std::string> replace;
    for (const auto* leg : c.replaced_legs) replace.push_back(leg->booking_id());
    replaced_ids.insert(replaced_ids.end(), replace.begin(), replace.end());
    auto status = BookLegs(bookings_, *pool, plan->id(), c.unit, c.legs, std::move(replace),
                           "replaced by rotation plan " + plan->id(), etag(c.unit));
    if (!status.ok()) {
      undo("unit " + c.unit + " changed");
      if (status.code() != absl::StatusCode::kAborted) return status;
      return stale(
          absl::StrCat("the bookings of unit ", c.unit, " changed while the plan was committed"));
    }
  }
  plan->set_state(v1::ROTATION_PLAN_STATE_COMMITTED);
  for (const auto& unit : plan->units())
    for (const auto& leg : unit.legs())
      if (!leg.booking_id().empty()) plan->add_booking_ids(leg.booking_id());
  *plan->mutable_commit_time() = FromEpochMs(clock_());

  // Hand-overs both plans share (same unit, sides and time) stay as they are, confirmations and
  // all; the replaced plan's others go.
  std::vector<v1::Handover> created = HandoversOf(*plan, *pool);
  std::vector<std::string> kept_handovers, dropped_handovers;
  std::optional<v1::RotationPlan> superseded;
  if (replaced) {
    auto before = store_->Handovers(replaced->id());
    if (!before.ok()) {
      undo("the hand-overs could not be read");
      return before.status();
    }
    using Key = std::tuple<std::string, std::string, std::string, int64_t>;
    auto key = [](const v1::Handover& h) {
      return Key{h.unit_resource_id(), h.from_organization_id(), h.to_organization_id(),
                 ToEpochMs(h.time())};
    };
    std::map<Key, std::vector<std::string>> old;
    for (const auto& h : *before) old[key(h)].push_back(h.id());
    std::vector<v1::Handover> fresh;
    for (auto& h : created) {
      auto it = old.find(key(h));
      if (it != old.end() && !it->second.empty()) {
        kept_handovers.push_back(it->second.back());
        it->second.pop_back();
      } else {
        fresh.push_back(std::move(h));
      }
    }
    created = std::move(fresh);
    for (const auto& [k, ids] : old)
      dropped_handovers.insert(dropped_handovers.end(), ids.begin(), ids.end());
    superseded = *replaced;
    superseded->set_state(v1::ROTATION_PLAN_STATE_SUPERSEDED);
  }
  if (auto status = store_->Commit(*plan, superseded ? &*superseded : nullptr, kept_handovers,
                                   dropped_handovers, created);
      !status.ok()) {
    undo("the plan could not be recorded");
    if (status.code() == absl::StatusCode::kAborted)
      return stale("the pool's committed plan changed while this one was committed");
    return status;
  }
  return *plan;
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

absl::StatusOr<std::optional<v1::Handover>> Rotations::VisibleHandover(const Caller& caller,
                                                                       const std::string& id) {
  auto handover = store_->GetHandover(id);
  if (!handover.ok()) return handover.status();
  if (!handover->has_value()) return std::optional<v1::Handover>();
  const auto& h = **handover;
  if (caller.IsPlatformAdmin() || h.from_organization_id() == caller.organization_id ||
      h.to_organization_id() == caller.organization_id)
    return handover;
  auto plan = store_->GetPlan(h.plan_id());
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) return std::optional<v1::Handover>();
  auto pool = store_->GetPool((*plan)->pool_id());
  if (!pool.ok()) return pool.status();
  if (pool->has_value() && (*pool)->owner_organization_id() == caller.organization_id)
    return handover;
  return std::optional<v1::Handover>();
}

absl::StatusOr<v1::Handover> Rotations::ConfirmHandover(const Caller& caller,
                                                        const v1::ConfirmHandoverRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  if (request.condition_notes().size() > 4000)
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
