// `infrashare rotation ...`: pools of mobile units, partners' requests for them, and draft plans.
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/app.h"

namespace infrashare::cli {
namespace {

using namespace scheduler::v1;
using Stub = SchedulerService::Stub;

struct Flags {
  std::string id, pool, organization, name, near, from, to, unit, notes;
  std::vector<std::string> units, pins;
  int days = 1, count = 1, priority = 0, maintenance_after = 0, maintenance_days = 0, setup = 0,
      teardown = 0;
  double speed = 0, road_factor = 0, sme_weight = 0;
  bool withdrawn = false;
};

bool FillRequest(const Flags& f, RotationRequest* r, App& app) {
  r->set_pool_id(f.pool);
  r->set_organization_id(f.organization);
  if (!ParsePoint(f.near, r->mutable_location(), app, "--at") ||
      !ParseTime(f.from, r->mutable_earliest_start_time(), app, "--from") ||
      !ParseTime(f.to, r->mutable_latest_end_time(), app, "--to"))
    return false;
  r->set_duration_days(f.days);
  r->set_units(f.count);
  r->set_unit_resource_id(f.unit);
  r->set_priority(f.priority);
  r->set_notes(f.notes);
  return true;
}

void PrintPlan(App& app, const RotationPlan& plan) {
  if (app.ForPrograms()) return PrintMessage(plan, app);
  std::vector<const google::protobuf::Message*> rows;
  for (const auto& a : plan.assignments()) rows.push_back(&a);
  PrintRows(
      rows,
      {"unit_resource_id", "start_time", "end_time", "request_id", "organization_id", "pinned"},
      app);
  for (const auto& u : plan.unfulfilled())
    std::cout << "not served: " << u.request_id() << ": " << u.reason() << "\n";
  std::printf("plan %s (%s): %lld of %lld request-days served; partner share min %.2f, max %.2f\n",
              plan.id().c_str(), ShortName(plan.state()).c_str(),
              static_cast<long long>(plan.fulfilled_days()),
              static_cast<long long>(plan.requested_days()), plan.min_partner_share(),
              plan.max_partner_share());
  if (!plan.replaces_plan_id().empty())
    std::printf("replaces committed plan %s from %s on (pinned: under way, kept)\n",
                plan.replaces_plan_id().c_str(),
                TimeForPeople(plan.replan_from_time(), app.zone).c_str());
}

// What a failed commit could not undo, for an operator to clean up: JSON on standard output, or
// a line per unit on standard error after the error line.
void PrintUndoReport(const grpc::Status& status, App& app) {
  auto report = client::UndoReport(status);
  if (!report) return;
  if (app.ForPrograms()) return PrintMessage(*report, app);
  std::cerr << "infrashare: the commit of " << report->plan_id()
            << " could not be undone completely; clean up by hand:\n";
  for (const auto& f : report->failures()) {
    std::cerr << "  " << (f.unit_resource_id().empty() ? "plan record" : f.unit_resource_id())
              << ": " << f.reason() << "\n";
    if (!f.booking_ids().empty())
      std::cerr << "    still booked: " << absl::StrJoin(f.booking_ids(), " ") << "\n";
    if (!f.cancelled_booking_ids().empty())
      std::cerr << "    still cancelled: " << absl::StrJoin(f.cancelled_booking_ids(), " ") << "\n";
  }
  if (report->truncated()) std::cerr << "  (cut short; the server's log names every booking)\n";
}

using FlagsPtr = std::shared_ptr<Flags>;

void AddPoolCreate(CLI::App* pool, App& app, const FlagsPtr& f) {
  auto* create = pool->add_subcommand("create", "make a pool of your mobile units");
  create->add_option("--name", f->name, "display name")->required();
  create->add_option("--unit", f->units, "a mobile resource id (repeatable)")->required();
  create->add_option("--owner", f->organization, "the owning organisation (default: yours)");
  create->add_option("--speed", f->speed,
                     "km/h on the road (default: the server's scheduler.rotation_speed_kmh, 60)");
  create->add_option("--road-factor", f->road_factor,
                     "road km per straight-line km (default: scheduler.rotation_road_factor, 1.3)");
  auto* setup = create->add_option("--setup", f->setup, "set-up minutes (default 120)");
  auto* teardown = create->add_option("--teardown", f->teardown, "tear-down minutes (default 60)");
  create->add_option("--maintenance-after", f->maintenance_after,
                     "days in use before a maintenance stop (0: none)");
  create->add_option("--maintenance-days", f->maintenance_days, "days a maintenance stop takes");
  create->callback([&app, f, setup, teardown] {
    CreateRotationPoolRequest request;
    auto* p = request.mutable_pool();
    p->set_display_name(f->name);
    p->set_owner_organization_id(f->organization);
    for (const auto& u : f->units) p->add_unit_resource_ids(u);
    p->mutable_policy()->set_speed_kmh(f->speed);
    p->mutable_policy()->set_road_factor(f->road_factor);
    if (setup->count() > 0)
      p->mutable_policy()->set_setup_minutes(f->setup);  // else the server's default
    if (teardown->count() > 0) p->mutable_policy()->set_teardown_minutes(f->teardown);
    p->mutable_policy()->set_maintenance_after_days(f->maintenance_after);
    p->mutable_policy()->set_maintenance_days(f->maintenance_days);
    CallAndPrint(app, app.client().scheduler(), &Stub::CreateRotationPool, request);
  });
}

void AddPoolCommands(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* pool = sub->add_subcommand("pool", "pools of mobile units");
  pool->require_subcommand(1);
  AddPoolCreate(pool, app, f);
  auto* get_pool = pool->add_subcommand("get", "show a pool");
  get_pool->add_option("id", f->id)->required();
  get_pool->callback([&app, f] {
    GetRotationPoolRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().scheduler(), &Stub::GetRotationPool, request);
  });
  auto* list_pools = pool->add_subcommand("list", "an organisation's pools");
  list_pools->add_option("--org", f->organization, "default: yours");
  list_pools->callback([&app, f] {
    ListRotationPoolsRequest request;
    request.set_organization_id(f->organization);
    ListRotationPoolsResponse out;
    if (Call(app, app.client().scheduler(), &Stub::ListRotationPools, request, &out))
      PrintList(app, out, out.pools(),
                {"id", "display_name", "owner_organization_id", "unit_resource_ids"});
  });
}

// The options of a request's contents, as `request create` and `request update` take them.
void AddRequestFlags(CLI::App* cmd, const FlagsPtr& f) {
  cmd->add_option("--at", f->near, "LAT,LON where the units should come")->required();
  cmd->add_option("--from", f->from, "earliest start")->required();
  cmd->add_option("--to", f->to, "latest end")->required();
  cmd->add_option("--days", f->days, "how many days")->required();
  cmd->add_option("--units", f->count, "how many units (default 1)");
  cmd->add_option("--unit", f->unit, "a specific unit instead");
  cmd->add_option("--priority", f->priority, "pool owners: higher is planned first");
  cmd->add_option("--notes", f->notes, "anything the owner should know");
}

void AddRequestUpdate(CLI::App* request, App& app, const FlagsPtr& f) {
  auto* update =
      request->add_subcommand("update", "change a request (its window, days, units, notes)");
  update->add_option("id", f->id)->required();
  AddRequestFlags(update, f);
  update->callback([&app, f] {
    GetRotationRequestRequest get;
    get.set_id(f->id);
    RotationRequest current;
    if (!Call(app, app.client().scheduler(), &Stub::GetRotationRequest, get, &current)) return;
    UpdateRotationRequestRequest r;
    auto* q = r.mutable_rotation_request();
    f->pool = current.pool_id();
    f->organization = current.organization_id();
    if (!FillRequest(*f, q, app)) return;
    q->set_id(f->id);
    q->set_etag(current.etag());
    CallAndPrint(app, app.client().scheduler(), &Stub::UpdateRotationRequest, r);
  });
}

void AddRequestCommands(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* request = sub->add_subcommand("request", "ask for units of a pool at your location");
  request->require_subcommand(1);
  auto* ask = request->add_subcommand("create", "a new request");
  ask->add_option("--pool", f->pool, "the pool id")->required();
  ask->add_option("--org", f->organization, "the requesting organisation (default: yours)");
  AddRequestFlags(ask, f);
  ask->callback([&app, f] {
    CreateRotationRequestRequest r;
    if (!FillRequest(*f, r.mutable_rotation_request(), app)) return;
    CallAndPrint(app, app.client().scheduler(), &Stub::CreateRotationRequest, r);
  });
  AddRequestUpdate(request, app, f);
  auto* withdraw = request->add_subcommand("withdraw", "withdraw a request");
  withdraw->add_option("id", f->id)->required();
  withdraw->callback([&app, f] {
    WithdrawRotationRequestRequest r;
    r.set_id(f->id);
    CallAndPrint(app, app.client().scheduler(), &Stub::WithdrawRotationRequest, r);
  });
  auto* list = request->add_subcommand("list", "a pool's requests (partners: their own)");
  list->add_option("--pool", f->pool, "the pool id")->required();
  list->add_flag("--withdrawn", f->withdrawn, "include withdrawn requests");
  list->callback([&app, f] {
    ListRotationRequestsRequest r;
    r.set_pool_id(f->pool);
    r.set_include_withdrawn(f->withdrawn);
    ListRotationRequestsResponse out;
    if (Call(app, app.client().scheduler(), &Stub::ListRotationRequests, r, &out))
      PrintList(app, out, out.requests(),
                {"id", "state", "organization_id", "earliest_start_time", "latest_end_time",
                 "duration_days", "units"});
  });
}

// The plan request the `plan` command's flags describe; false (reported) when one is malformed.
bool BuildPlanRequest(const Flags& f, PlanRotationRequest* r, App& app) {
  r->set_pool_id(f.pool);
  if (!f.from.empty() && !ParseTime(f.from, r->mutable_horizon_start_time(), app, "--from"))
    return false;
  if (!ParseTime(f.to, r->mutable_horizon_end_time(), app, "--to")) return false;
  r->set_sme_weight(f.sme_weight);
  for (const auto& pin : f.pins) {
    std::vector<std::string> parts = absl::StrSplit(pin, absl::MaxSplits(':', 2));
    if (parts.size() != 3) {
      app.FailUsage("--pin: '" + pin + "' is not REQUEST:UNIT:START");
      return false;
    }
    auto* p = r->add_pins();
    p->set_request_id(parts[0]);
    p->set_unit_resource_id(parts[1]);
    if (!ParseTime(parts[2], p->mutable_start_time(), app, "--pin")) return false;
  }
  return true;
}

void AddPlan(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* plan = sub->add_subcommand("plan",
                                   "a draft plan for a pool's open requests (nothing is booked); "
                                   "with a committed plan, a replacement for it from --from on");
  plan->add_option("--pool", f->pool, "the pool id")->required();
  plan->add_option("--from", f->from, "horizon start (default: now)");
  plan->add_option("--to", f->to, "horizon end")->required();
  plan->add_option("--sme-weight", f->sme_weight,
                   "how much an SME's request-day counts (default 1.5)");
  plan->add_option("--pin", f->pins, "REQUEST:UNIT:START keeps that assignment (repeatable)");
  plan->callback([&app, f] {
    PlanRotationRequest r;
    if (!BuildPlanRequest(*f, &r, app)) return;
    RotationPlan out;
    if (Call(app, app.client().scheduler(), &Stub::PlanRotation, r, &out)) PrintPlan(app, out);
  });
}

void AddExport(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* exported =
      sub->add_subcommand("export", "a plan as CSV, or one unit's legs as iCalendar (.ics)");
  exported->add_option("id", f->id)->required();
  exported->add_option("--format", f->name, "csv or ical")->required();
  exported->add_option("--unit", f->unit, "the unit (ical)");
  exported->add_option("--file", f->notes, "where to write it (default: standard output)");
  exported->callback([&app, f] {
    ExportRotationPlanRequest r;
    r.set_id(f->id);
    if (f->name == "csv") {
      r.set_format(ROTATION_EXPORT_FORMAT_CSV);
    } else if (f->name == "ical") {
      r.set_format(ROTATION_EXPORT_FORMAT_ICALENDAR);
    } else {
      return app.FailUsage("--format: '" + f->name + "' is not csv or ical");
    }
    r.set_unit_resource_id(f->unit);
    ExportRotationPlanResponse out;
    if (!Call(app, app.client().scheduler(), &Stub::ExportRotationPlan, r, &out)) return;
    if (f->notes.empty()) {
      std::cout << out.content();
      return;
    }
    std::ofstream file(f->notes, std::ios::binary);
    file << out.content();
    if (!file) return app.Fail("--file: cannot write " + f->notes);
  });
}

void AddPreview(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* preview = sub->add_subcommand(
      "preview", "what committing a draft would change against the committed plan");
  preview->add_option("id", f->id)->required();
  preview->callback([&app, f] {
    PreviewRotationPlanRequest r;
    r.set_id(f->id);
    RotationPlanDiff out;
    if (!Call(app, app.client().scheduler(), &Stub::PreviewRotationPlan, r, &out)) return;
    if (app.ForPrograms()) return PrintMessage(out, app);
    for (const auto& [label, list] :
         {std::pair{"added", &out.added()}, {"removed", &out.removed()}, {"moved", &out.moved()}})
      for (const auto& a : *list)
        std::cout << label << " " << a.request_id() << " " << a.unit_resource_id() << " "
                  << TimeForPeople(a.start_time(), app.zone) << "\n";
    std::cout << out.unchanged() << " unchanged (against "
              << (out.committed_plan_id().empty() ? "nothing committed" : out.committed_plan_id())
              << ")\n";
  });
}

void AddCommit(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* commit =
      sub->add_subcommand("commit",
                          "book a draft plan, replacing the committed one from the draft's start "
                          "(refused when a unit's bookings or the committed plan changed since)");
  commit->add_option("id", f->id)->required();
  commit->callback([&app, f] {
    CommitRotationPlanRequest r;
    r.set_id(f->id);
    RotationPlan out;
    const grpc::Status status =
        app.client().Call(app.client().scheduler(), &Stub::CommitRotationPlan, r, &out);
    if (!app.Check(status)) return PrintUndoReport(status, app);
    if (app.ForPrograms()) return PrintMessage(out, app);
    std::cout << "committed " << out.id() << ": " << Counted(out.booking_ids_size(), "booking")
              << "\n";
  });
}

void AddHandoverCommands(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* handovers = sub->add_subcommand("handovers", "the hand-overs of a committed plan");
  handovers->add_option("plan", f->id)->required();
  handovers->callback([&app, f] {
    ListHandoversRequest r;
    r.set_plan_id(f->id);
    ListHandoversResponse out;
    if (Call(app, app.client().scheduler(), &Stub::ListHandovers, r, &out))
      PrintList(app, out, out.handovers(),
                {"id", "state", "unit_resource_id", "time", "from_organization_id",
                 "to_organization_id"});
  });
  auto* confirm = sub->add_subcommand(
      "confirm", "confirm a hand-over for your side, with the unit's condition");
  confirm->add_option("id", f->id)->required();
  confirm->add_option("--condition", f->notes, "the state the unit is in");
  confirm->callback([&app, f] {
    ConfirmHandoverRequest r;
    r.set_id(f->id);
    r.set_condition_notes(f->notes);
    CallAndPrint(app, app.client().scheduler(), &Stub::ConfirmHandover, r);
  });
}

void AddEvents(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* events =
      sub->add_subcommand("events", "follow overdue hand-overs as they happen (Ctrl-C to stop)");
  events->add_option("--cursor", f->id, "resume after this cursor");
  events->add_option("--limit", f->count, "stop after this many events")->default_val(0);
  events->callback([&app, f] {
    WatchRotationEventsRequest r;
    r.set_cursor(f->id);
    Follow(app, app.client().scheduler(), &Stub::WatchRotationEvents, r, f->count,
           [](const RotationEvent& event) {
             const Handover& handover = event.handover();
             return event.cursor() + " " + ShortName(event.type()) + " " + handover.id() + " " +
                    handover.unit_resource_id() + " " + handover.from_organization_id() + " -> " +
                    handover.to_organization_id();
           });
  });
}

void AddShow(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* show = sub->add_subcommand("show", "show a plan: draft, committed or superseded");
  show->add_option("id", f->id)->required();
  show->callback([&app, f] {
    GetRotationPlanRequest r;
    r.set_id(f->id);
    RotationPlan out;
    if (Call(app, app.client().scheduler(), &Stub::GetRotationPlan, r, &out)) PrintPlan(app, out);
  });
}

}  // namespace

void AddRotationCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand(
      "rotation", "rotate mobile equipment between partners: pools, requests, plans");
  sub->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  AddPoolCommands(sub, app, f);
  AddRequestCommands(sub, app, f);
  AddPlan(sub, app, f);
  AddExport(sub, app, f);
  AddPreview(sub, app, f);
  AddCommit(sub, app, f);
  AddHandoverCommands(sub, app, f);
  AddEvents(sub, app, f);
  AddShow(sub, app, f);
}

}  // namespace infrashare::cli
