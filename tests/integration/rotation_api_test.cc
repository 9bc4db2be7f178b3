// Rotation pools, requests and draft plans through the scheduler's gRPC API, on a real Redis (also
// in cluster mode): plans respect the units' bookings, say why a request is not served, and bad
// input names the field.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "google/rpc/status.pb.h"
#include "services/common/errors.h"
#include "services/registry/store.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/catalog.h"
#include "services/scheduler/rotation_store.h"
#include "services/scheduler/rotations.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
using namespace scheduler::v1;
using google::protobuf::Timestamp;

constexpr int64_t kDay = 86400;

Timestamp Day(int day) {
  using namespace std::chrono;
  static const int64_t base =
      duration_cast<seconds>((floor<days>(system_clock::now()) + days(30)).time_since_epoch())
          .count();
  Timestamp t;
  t.set_seconds(base + day * kDay);
  return t;
}

class RotationApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    server_ = new TestServer(redis_->url());
    registry_ = server_->Registry().release();
    scheduler_ = server_->Scheduler().release();
    for (const char* org : {"fleet", "school", "bakery"}) {
      reg::CreateOrganizationRequest request;
      request.set_organization_id(org);
      request.mutable_organization()->set_display_name(org);
      request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
      request.mutable_organization()->set_sme(std::string(org) == "bakery");
      reg::Organization out;
      ASSERT_TRUE(registry_->CreateOrganization(Admin().get(), request, &out).ok());
    }
    fleet_ = server_->Token("fleet", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    school_ = server_->Token("school", {auth::v1::ROLE_MEMBER});
    bakery_ = server_->Token("bakery", {auth::v1::ROLE_MEMBER});
    van_ = Mobile("Mobiel Lab Zwolle", 52.51, 6.09);
    truck_ = Mobile("Mobiel Lab Enschede", 52.22, 6.89);
    fixed_ = Register(Resource("Vast lab", reg::MOBILITY_FIXED, 52.5, 6.1));
  }
  static void TearDownTestSuite() {
    delete scheduler_;
    delete registry_;
    delete server_;
    delete redis_;
  }
  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }

  static reg::Resource Resource(const std::string& name, reg::Mobility mobility, double lat,
                                double lon) {
    reg::Resource r;
    r.set_display_name(name);
    r.set_kind(reg::RESOURCE_KIND_EQUIPMENT);
    r.set_mobility(mobility);
    r.set_owner_organization_id("fleet");
    r.mutable_location()->mutable_point()->set_latitude(lat);
    r.mutable_location()->mutable_point()->set_longitude(lon);
    if (mobility == reg::MOBILITY_MOBILE) *r.mutable_home_base() = r.location();
    r.set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r.set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    r.set_sme_accessible(true);  // the bakery is an SME: a unit closed to SMEs is not for it
    r.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    return r;
  }
  static std::string Register(const reg::Resource& resource) {
    reg::CreateResourceRequest request;
    *request.mutable_resource() = resource;
    reg::Resource out;
    auto status = registry_->CreateResource(Admin().get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.id();
  }
  static std::string Mobile(const std::string& name, double lat, double lon) {
    return Register(Resource(name, reg::MOBILITY_MOBILE, lat, lon));
  }

  RotationPool Pool(const std::vector<std::string>& units, int maintenance_after_days = 0) {
    CreateRotationPoolRequest request;
    request.mutable_pool()->set_display_name("TechOost mobile labs");
    for (const auto& u : units) request.mutable_pool()->add_unit_resource_ids(u);
    request.mutable_pool()->mutable_policy()->set_maintenance_after_days(maintenance_after_days);
    RotationPool pool;
    auto status = scheduler_->CreateRotationPool(As(fleet_).get(), request, &pool);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return pool;
  }

  // A pool of one new unit, once the scheduler knows it.
  RotationPool PoolOf(const std::string& unit, const std::string& name) {
    CreateRotationPoolRequest create;
    create.mutable_pool()->set_display_name(name);
    create.mutable_pool()->add_unit_resource_ids(unit);
    return PoolOnceKnown(create);
  }

  // Creates the pool once the scheduler knows its new units (it follows the registry).
  RotationPool PoolOnceKnown(const CreateRotationPoolRequest& create) {
    RotationPool pool;
    grpc::Status status;
    for (int i = 0; i < 100; ++i) {
      status = scheduler_->CreateRotationPool(As(fleet_).get(), create, &pool);
      if (status.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
    return pool;
  }

  static CreateRotationRequestRequest Ask(const std::string& pool, double lat, double lon, int from,
                                          int to, int days) {
    CreateRotationRequestRequest request;
    auto* r = request.mutable_rotation_request();
    r->set_pool_id(pool);
    r->mutable_location()->set_latitude(lat);
    r->mutable_location()->set_longitude(lon);
    *r->mutable_earliest_start_time() = Day(from);
    *r->mutable_latest_end_time() = Day(to);
    r->set_duration_days(days);
    return request;
  }
  RotationRequest Create(const std::string& token, const CreateRotationRequestRequest& request) {
    RotationRequest out;
    auto status = scheduler_->CreateRotationRequest(As(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
  // The plan's hand-overs once the sweeper (every second) has marked all of them OVERDUE.
  ListHandoversResponse HandoversOnceOverdue(const std::string& plan_id) {
    ListHandoversRequest list;
    list.set_plan_id(plan_id);
    ListHandoversResponse handovers;
    for (int i = 0; i < 100; ++i) {
      EXPECT_TRUE(scheduler_->ListHandovers(As(fleet_).get(), list, &handovers).ok());
      if (!handovers.handovers().empty() &&
          std::all_of(handovers.handovers().begin(), handovers.handovers().end(),
                      [](const Handover& h) { return h.state() == HANDOVER_STATE_OVERDUE; }))
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return handovers;
  }
  // A committed plan of one unit at home serving the school for two days weeks ago, hand-overs to
  // confirm within an hour: their deadlines have passed.
  RotationPlan CommittedPastPlan(const std::string& unit_name) {
    const std::string unit = Mobile(unit_name, 52.26, 6.79);
    CreateRotationPoolRequest create;
    create.mutable_pool()->set_display_name("Past rotations");
    create.mutable_pool()->add_unit_resource_ids(unit);
    create.mutable_pool()->mutable_policy()->set_handover_confirm_hours(1);
    const RotationPool pool = PoolOnceKnown(create);
    Create(school_, Ask(pool.id(), 52.26, 6.79, -38, -33, 2));
    PlanRotationRequest request;
    request.set_pool_id(pool.id());
    *request.mutable_horizon_start_time() = Day(-40);
    *request.mutable_horizon_end_time() = Day(-30);
    RotationPlan plan;
    EXPECT_TRUE(scheduler_->PlanRotation(As(fleet_).get(), request, &plan).ok());
    EXPECT_EQ(plan.assignments_size(), 1);
    CommitRotationPlanRequest commit;
    commit.set_id(plan.id());
    EXPECT_TRUE(scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &plan).ok());
    return plan;
  }

  RotationPlan Plan(const std::string& pool, int days) {
    PlanRotationRequest request;
    request.set_pool_id(pool);
    *request.mutable_horizon_start_time() = Day(0);
    *request.mutable_horizon_end_time() = Day(days);
    RotationPlan plan;
    auto status = scheduler_->PlanRotation(As(fleet_).get(), request, &plan);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return plan;
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static reg::RegistryService::Stub* registry_;
  static SchedulerService::Stub* scheduler_;
  static std::string fleet_, school_, bakery_, van_, truck_, fixed_;
};

RedisServer* RotationApiTest::redis_ = nullptr;
TestServer* RotationApiTest::server_ = nullptr;
reg::RegistryService::Stub* RotationApiTest::registry_ = nullptr;
SchedulerService::Stub* RotationApiTest::scheduler_ = nullptr;
std::string RotationApiTest::fleet_, RotationApiTest::school_, RotationApiTest::bakery_,
    RotationApiTest::van_, RotationApiTest::truck_, RotationApiTest::fixed_;

TEST_F(RotationApiTest, PlansRequestsAroundBookingsAndSaysWhatItCouldNotServe) {
  RotationPool pool = Pool({van_, truck_});
  EXPECT_FALSE(pool.id().empty());
  EXPECT_EQ(pool.policy().speed_kmh(), 60);  // defaults filled in

  // The van is booked for days 0-10 by its owner.
  CreateBookingRequest booking;
  booking.set_resource_id(van_);
  *booking.mutable_start_time() = Day(0);
  *booking.mutable_end_time() = Day(10);
  booking.set_title("maintenance at home");
  Booking booked;
  grpc::Status status;
  for (int i = 0; i < 100;
       ++i) {  // the scheduler follows the registry: wait until it knows the van
    status = scheduler_->CreateBooking(As(fleet_).get(), booking, &booked);
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();

  RotationRequest school = Create(school_, Ask(pool.id(), 52.35, 6.65, 0, 20, 5));  // Almelo
  RotationRequest bakery =
      Create(bakery_, Ask(pool.id(), 52.52, 6.10, 0, 12, 10));  // Zwolle, days 0-12
  EXPECT_TRUE(bakery.sme());
  auto far = Ask(pool.id(), 50.85, 5.69, 2, 3, 1);  // Maastricht, one day, no time to get there
  far.mutable_rotation_request()->set_unit_resource_id(van_);
  RotationRequest late = Create(school_, far);

  RotationPlan plan = Plan(pool.id(), 60);
  EXPECT_FALSE(plan.id().empty());
  std::map<std::string, PlannedAssignment> by_request;
  for (const auto& a : plan.assignments()) by_request[a.request_id()] = a;
  ASSERT_TRUE(by_request.count(school.id()));
  ASSERT_TRUE(by_request.count(bakery.id()));
  // The van is booked until day 10, so the 10-day bakery request (by day 12) goes to the truck.
  EXPECT_EQ(by_request[bakery.id()].unit_resource_id(), truck_);
  EXPECT_EQ(by_request[bakery.id()].organization_id(), "bakery");
  for (const auto& a : plan.assignments()) {
    if (a.unit_resource_id() == van_) {
      EXPECT_GE(a.start_time().seconds(), Day(10).seconds());
    }
  }
  ASSERT_EQ(plan.unfulfilled_size(), 1);
  EXPECT_EQ(plan.unfulfilled(0).request_id(), late.id());
  EXPECT_FALSE(plan.unfulfilled(0).reason().empty());
  EXPECT_EQ(plan.fulfilled_days(), 15);
  EXPECT_EQ(plan.requested_days(), 16);
  bool transport = false, setup = false;
  for (const auto& unit : plan.units())
    for (const auto& leg : unit.legs()) {
      transport = transport || (leg.kind() == ROTATION_LEG_KIND_TRANSPORT && leg.km() > 0);
      setup = setup || leg.kind() == ROTATION_LEG_KIND_SETUP;
    }
  EXPECT_TRUE(transport);
  EXPECT_TRUE(setup);

  GetRotationPlanRequest get;
  get.set_id(plan.id());
  RotationPlan again;
  ASSERT_TRUE(scheduler_->GetRotationPlan(As(fleet_).get(), get, &again).ok());
  EXPECT_EQ(again.assignments_size(), plan.assignments_size());
  EXPECT_EQ(scheduler_->GetRotationPlan(As(school_).get(), get, &again).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Exports: every leg as a CSV row; one unit's legs as an iCalendar feed.
  ExportRotationPlanRequest export_request;
  export_request.set_id(plan.id());
  export_request.set_format(ROTATION_EXPORT_FORMAT_CSV);
  ExportRotationPlanResponse exported;
  ASSERT_TRUE(scheduler_->ExportRotationPlan(As(fleet_).get(), export_request, &exported).ok());
  EXPECT_EQ(exported.content_type(), "text/csv");
  int legs = 0, rows = -1;  // the header is not a leg
  for (const auto& unit : plan.units()) legs += unit.legs_size();
  for (char c : exported.content()) rows += c == '\n';
  EXPECT_EQ(rows, legs);
  EXPECT_NE(exported.content().find(truck_ + ",assignment,"), std::string::npos)
      << exported.content();
  export_request.set_format(ROTATION_EXPORT_FORMAT_ICALENDAR);
  export_request.set_unit_resource_id(truck_);
  ASSERT_TRUE(scheduler_->ExportRotationPlan(As(fleet_).get(), export_request, &exported).ok());
  EXPECT_EQ(exported.content().rfind("BEGIN:VCALENDAR", 0), 0u);
  EXPECT_NE(exported.content().find("STATUS:TENTATIVE"), std::string::npos);
  export_request.set_unit_resource_id(fixed_);
  auto not_in_plan = scheduler_->ExportRotationPlan(As(fleet_).get(), export_request, &exported);
  EXPECT_EQ(BadField(not_in_plan), "unit_resource_id");
  export_request.set_format(ROTATION_EXPORT_FORMAT_UNSPECIFIED);
  EXPECT_EQ(BadField(scheduler_->ExportRotationPlan(As(fleet_).get(), export_request, &exported)),
            "format");

  // Withdrawn requests are not planned; partners see only their own requests.
  WithdrawRotationRequestRequest withdraw;
  withdraw.set_id(late.id());
  RotationRequest withdrawn;
  ASSERT_TRUE(scheduler_->WithdrawRotationRequest(As(school_).get(), withdraw, &withdrawn).ok());
  EXPECT_EQ(withdrawn.state(), ROTATION_REQUEST_STATE_WITHDRAWN);
  EXPECT_EQ(Plan(pool.id(), 60).unfulfilled_size(), 0);
  ListRotationRequestsRequest list;
  list.set_pool_id(pool.id());
  ListRotationRequestsResponse listed;
  ASSERT_TRUE(scheduler_->ListRotationRequests(As(bakery_).get(), list, &listed).ok());
  ASSERT_EQ(listed.requests_size(), 1);
  EXPECT_EQ(listed.requests(0).id(), bakery.id());
  ASSERT_TRUE(scheduler_->ListRotationRequests(As(fleet_).get(), list, &listed).ok());
  EXPECT_EQ(listed.requests_size(), 2);
}

TEST_F(RotationApiTest, PinsAreKeptAndPlannedAround) {
  RotationPool pool = Pool({truck_});
  RotationRequest first = Create(school_, Ask(pool.id(), 52.22, 6.89, 0, 30, 5));
  RotationRequest second = Create(bakery_, Ask(pool.id(), 52.22, 6.89, 0, 30, 5));
  PlanRotationRequest request;
  request.set_pool_id(pool.id());
  *request.mutable_horizon_start_time() = Day(0);
  *request.mutable_horizon_end_time() = Day(30);
  auto* pin = request.add_pins();
  pin->set_request_id(second.id());
  pin->set_unit_resource_id(truck_);
  *pin->mutable_start_time() = Day(20);
  RotationPlan plan;
  ASSERT_TRUE(scheduler_->PlanRotation(As(fleet_).get(), request, &plan).ok());
  ASSERT_EQ(plan.assignments_size(), 2);
  for (const auto& a : plan.assignments()) {
    if (a.request_id() == second.id()) {
      EXPECT_TRUE(a.pinned());
      EXPECT_EQ(a.start_time().seconds(), Day(20).seconds());
    }
  }
  (void)first;
}

TEST_F(RotationApiTest, ACommitBooksEveryLegAndAStaleDraftChangesNothing) {
  const std::string unit = Mobile("Mobiel Lab Deventer", 52.25, 6.16);
  RotationPool pool = Pool({unit});
  Create(school_, Ask(pool.id(), 52.22, 6.89, 2, 20, 3));
  Create(bakery_, Ask(pool.id(), 52.51, 6.09, 2, 20, 2));
  // Wait until the scheduler knows the unit (it follows the registry), then plan twice.
  CreateBookingRequest probe;
  probe.set_resource_id(unit);
  *probe.mutable_start_time() = Day(40);
  *probe.mutable_end_time() = Day(41);
  Booking probed;
  grpc::Status status;
  for (int i = 0; i < 100; ++i) {
    status = scheduler_->CreateBooking(As(fleet_).get(), probe, &probed);
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  RotationPlan stale = Plan(pool.id(), 30);
  RotationPlan fresh = Plan(pool.id(), 30);
  ASSERT_EQ(fresh.assignments_size(), 2);

  // Preview: against nothing committed, both requests are new.
  PreviewRotationPlanRequest preview;
  preview.set_id(fresh.id());
  RotationPlanDiff diff;
  ASSERT_TRUE(scheduler_->PreviewRotationPlan(As(fleet_).get(), preview, &diff).ok());
  EXPECT_EQ(diff.committed_plan_id(), "");
  EXPECT_EQ(diff.added_size(), 2);
  EXPECT_EQ(diff.removed_size() + diff.moved_size() + diff.unchanged(), 0);

  CommitRotationPlanRequest commit;
  commit.set_id(fresh.id());
  RotationPlan committed;
  ASSERT_TRUE(scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &committed).ok());
  // Against itself once committed: nothing changes; the older draft differs only in being older.
  ASSERT_TRUE(scheduler_->PreviewRotationPlan(As(fleet_).get(), preview, &diff).ok());
  EXPECT_EQ(diff.committed_plan_id(), fresh.id());
  EXPECT_EQ(diff.unchanged(), 2);
  preview.set_id(stale.id());
  ASSERT_TRUE(scheduler_->PreviewRotationPlan(As(fleet_).get(), preview, &diff).ok());
  EXPECT_EQ(diff.unchanged(), 2);  // the same inputs gave the same plan
  EXPECT_EQ(diff.added_size() + diff.removed_size() + diff.moved_size(), 0);
  EXPECT_EQ(committed.state(), ROTATION_PLAN_STATE_COMMITTED);
  int legs = 0;
  for (const auto& u : fresh.units()) legs += u.legs_size();
  EXPECT_EQ(committed.booking_ids_size(), legs);
  ListBookingsRequest list;
  list.set_resource_id(unit);
  list.add_states(BOOKING_STATE_CONFIRMED);
  ListBookingsResponse bookings;
  ASSERT_TRUE(scheduler_->ListBookings(As(fleet_).get(), list, &bookings).ok());
  EXPECT_EQ(bookings.bookings_size(), legs + 1);  // the legs and the probe
  // Committing twice is refused; committing the older draft is refused and books nothing.
  auto again = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &committed);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(again), "ALREADY_COMMITTED");
  commit.set_id(stale.id());
  auto old = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &committed);
  EXPECT_EQ(old.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Reason(old), "STALE_PLAN");
  ASSERT_TRUE(scheduler_->ListBookings(As(fleet_).get(), list, &bookings).ok());
  EXPECT_EQ(bookings.bookings_size(), legs + 1);
  // Partners do not commit.
  EXPECT_EQ(scheduler_->CommitRotationPlan(As(school_).get(), commit, &committed).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Hand-overs: owner -> first partner -> second partner -> owner; both sides confirm each.
  ListHandoversRequest list_handovers;
  list_handovers.set_plan_id(fresh.id());
  ListHandoversResponse handovers;
  ASSERT_TRUE(scheduler_->ListHandovers(As(fleet_).get(), list_handovers, &handovers).ok());
  ASSERT_EQ(handovers.handovers_size(), 3);
  EXPECT_EQ(handovers.handovers(0).from_organization_id(), "fleet");
  EXPECT_EQ(handovers.handovers(2).to_organization_id(), "fleet");
  EXPECT_EQ(handovers.handovers(0).to_organization_id(),
            handovers.handovers(1).from_organization_id());
  const std::string first_partner = handovers.handovers(0).to_organization_id();
  ListHandoversResponse mine;
  ASSERT_TRUE(scheduler_
                  ->ListHandovers(As(first_partner == "school" ? school_ : bakery_).get(),
                                  list_handovers, &mine)
                  .ok());
  EXPECT_EQ(mine.handovers_size(), 2);  // only those it takes part in
  ConfirmHandoverRequest confirm;
  confirm.set_id(handovers.handovers(0).id());
  confirm.set_condition_notes("clean, all cables present");
  Handover confirmed;
  ASSERT_TRUE(scheduler_->ConfirmHandover(As(fleet_).get(), confirm, &confirmed).ok());
  EXPECT_EQ(confirmed.state(), HANDOVER_STATE_PENDING);
  ASSERT_TRUE(scheduler_
                  ->ConfirmHandover(As(first_partner == "school" ? school_ : bakery_).get(),
                                    confirm, &confirmed)
                  .ok());
  EXPECT_EQ(confirmed.state(), HANDOVER_STATE_CONFIRMED);
  EXPECT_EQ(confirmed.from_condition_notes(), "clean, all cables present");
  confirm.set_id(handovers.handovers(2).id());
  EXPECT_EQ(scheduler_
                ->ConfirmHandover(As(first_partner == "school" ? school_ : bakery_).get(), confirm,
                                  &confirmed)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);  // not a side of that one
}

// Planning again while a plan is committed replaces it from the new plan's start: what began by
// then stays (here the first partner's stay and the drive on to the second), the rest is planned
// anew, and the commit cancels the old bookings it replaces in the same step as it books the new
// ones; shared hand-overs keep their confirmations.
TEST_F(RotationApiTest, ReplanningACommittedPlanReplacesItFromItsStart) {
  const std::string unit = Mobile("Mobiel Lab Almelo", 52.36, 6.66);
  const RotationPool pool = PoolOf(unit, "Replanned");
  ASSERT_FALSE(pool.id().empty());
  grpc::Status status;
  const RotationRequest first = Create(school_, Ask(pool.id(), 52.22, 6.89, 1, 8, 3));
  const RotationRequest second = Create(bakery_, Ask(pool.id(), 52.51, 6.09, 10, 20, 3));
  RotationPlan old_plan = Plan(pool.id(), 30);
  ASSERT_EQ(old_plan.assignments_size(), 2) << old_plan.DebugString();
  CommitRotationPlanRequest commit;
  commit.set_id(old_plan.id());
  ASSERT_TRUE(scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &old_plan).ok());
  ListHandoversRequest list_handovers;
  list_handovers.set_plan_id(old_plan.id());
  ListHandoversResponse handovers;
  ASSERT_TRUE(scheduler_->ListHandovers(As(fleet_).get(), list_handovers, &handovers).ok());
  ASSERT_EQ(handovers.handovers_size(), 3);
  const std::string first_handover = handovers.handovers(0).id();
  ConfirmHandoverRequest confirm;
  confirm.set_id(first_handover);
  Handover confirmed;
  ASSERT_TRUE(scheduler_->ConfirmHandover(As(fleet_).get(), confirm, &confirmed).ok());

  PlanRotationRequest replan;
  replan.set_pool_id(pool.id());
  *replan.mutable_horizon_start_time() = Day(5);
  *replan.mutable_horizon_end_time() = Day(30);
  RotationPlan outdated;  // made from the committed plan before anything changed
  ASSERT_TRUE(scheduler_->PlanRotation(As(fleet_).get(), replan, &outdated).ok());
  // The bakery withdraws and asks again, later and elsewhere.
  WithdrawRotationRequestRequest withdraw;
  withdraw.set_id(second.id());
  RotationRequest withdrawn;
  ASSERT_TRUE(scheduler_->WithdrawRotationRequest(As(bakery_).get(), withdraw, &withdrawn).ok());
  const RotationRequest third = Create(bakery_, Ask(pool.id(), 52.30, 6.50, 12, 25, 4));
  RotationPlan plan;
  ASSERT_TRUE(scheduler_->PlanRotation(As(fleet_).get(), replan, &plan).ok());
  EXPECT_EQ(plan.replaces_plan_id(), old_plan.id());
  EXPECT_EQ(plan.replan_from_time().seconds(), Day(5).seconds());
  std::map<std::string, PlannedAssignment> served;
  for (const auto& a : plan.assignments()) served[a.request_id()] = a;
  ASSERT_EQ(served.size(), 2u) << plan.DebugString();
  ASSERT_TRUE(served.count(first.id()) && served.count(third.id()));
  EXPECT_TRUE(served[first.id()].pinned());  // under way: kept
  EXPECT_EQ(served[first.id()].start_time().seconds(),
            old_plan.assignments(0).start_time().seconds());
  EXPECT_GE(served[third.id()].start_time().seconds(), Day(12).seconds());
  EXPECT_EQ(plan.fulfilled_days(), 7);
  // The kept legs come first, with their bookings; the new ones follow on from where they end.
  ASSERT_EQ(plan.units_size(), 1);
  const auto& legs = plan.units(0).legs();
  int kept = 0;
  while (kept < legs.size() && !legs[kept].booking_id().empty()) ++kept;
  ASSERT_GT(kept, 0);
  ASSERT_LT(kept, legs.size());
  for (int i = kept; i < legs.size(); ++i) {
    EXPECT_EQ(legs[i].booking_id(), "");
    EXPECT_GE(legs[i].start_time().seconds(), legs[i - 1].end_time().seconds());
  }

  PreviewRotationPlanRequest preview;
  preview.set_id(plan.id());
  RotationPlanDiff diff;
  ASSERT_TRUE(scheduler_->PreviewRotationPlan(As(fleet_).get(), preview, &diff).ok());
  EXPECT_EQ(diff.committed_plan_id(), old_plan.id());
  EXPECT_EQ(diff.unchanged(), 1);
  ASSERT_EQ(diff.added_size(), 1);
  EXPECT_EQ(diff.added(0).request_id(), third.id());
  ASSERT_EQ(diff.removed_size(), 1);
  EXPECT_EQ(diff.removed(0).request_id(), second.id());

  commit.set_id(plan.id());
  RotationPlan committed;
  status = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &committed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(committed.state(), ROTATION_PLAN_STATE_COMMITTED);
  GetRotationPlanRequest get;
  get.set_id(old_plan.id());
  RotationPlan superseded;
  ASSERT_TRUE(scheduler_->GetRotationPlan(As(fleet_).get(), get, &superseded).ok());
  EXPECT_EQ(superseded.state(), ROTATION_PLAN_STATE_SUPERSEDED);

  // The unit's live bookings are exactly the new plan's; the old plan's others are cancelled.
  ListBookingsRequest list;
  list.set_resource_id(unit);
  list.set_page_size(200);
  ListBookingsResponse bookings;
  ASSERT_TRUE(scheduler_->ListBookings(As(fleet_).get(), list, &bookings).ok());
  std::set<std::string> live, cancelled;
  for (const auto& b : bookings.bookings()) {
    if (b.state() == BOOKING_STATE_CONFIRMED) live.insert(b.id());
    if (b.state() == BOOKING_STATE_CANCELLED) cancelled.insert(b.id());
  }
  EXPECT_EQ(live,
            std::set<std::string>(committed.booking_ids().begin(), committed.booking_ids().end()));
  EXPECT_EQ(cancelled.size(), static_cast<size_t>(old_plan.booking_ids_size() - kept));
  for (int i = 0; i < kept; ++i) EXPECT_TRUE(live.count(old_plan.units(0).legs(i).booking_id()));

  // Hand-overs: the first is the same record, confirmation and all; the old plan has none left.
  list_handovers.set_plan_id(plan.id());
  ASSERT_TRUE(scheduler_->ListHandovers(As(fleet_).get(), list_handovers, &handovers).ok());
  ASSERT_EQ(handovers.handovers_size(), 3);
  EXPECT_EQ(handovers.handovers(0).id(), first_handover);
  EXPECT_TRUE(handovers.handovers(0).has_from_confirm_time());
  EXPECT_EQ(handovers.handovers(1).from_organization_id(), "school");
  EXPECT_EQ(handovers.handovers(1).to_organization_id(), "bakery");
  // When the unit arrives for the bakery's set-up (120 minutes, the default).
  EXPECT_EQ(handovers.handovers(1).time().seconds(),
            served[third.id()].start_time().seconds() - 120 * 60);
  list_handovers.set_plan_id(old_plan.id());
  ASSERT_TRUE(scheduler_->ListHandovers(As(fleet_).get(), list_handovers, &handovers).ok());
  EXPECT_EQ(handovers.handovers_size(), 0);

  // The draft made from the replaced plan cannot be committed, and changes nothing trying.
  commit.set_id(outdated.id());
  auto stale = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &committed);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Reason(stale), "STALE_PLAN");
  ListBookingsResponse after;
  ASSERT_TRUE(scheduler_->ListBookings(As(fleet_).get(), list, &after).ok());
  EXPECT_EQ(after.DebugString(), bookings.DebugString());
}

TEST_F(RotationApiTest, AHandoverNotConfirmedByItsDeadlineIsOverdue) {
  const RotationPlan plan = CommittedPastPlan("Mobiel Lab Hengelo");
  const ListHandoversResponse handovers = HandoversOnceOverdue(plan.id());
  ASSERT_EQ(handovers.handovers_size(), 2);
  EXPECT_EQ(handovers.handovers(0).state(), HANDOVER_STATE_OVERDUE) << handovers.DebugString();
  EXPECT_EQ(handovers.handovers(1).state(), HANDOVER_STATE_OVERDUE) << handovers.DebugString();
  // The owner and the partner follow the event; it carries the hand-over.
  for (const std::string* token : {&fleet_, &school_}) {
    WatchRotationEventsRequest watch;
    watch.set_cursor("rot1:0-0");
    auto context = As(*token);
    auto stream = scheduler_->WatchRotationEvents(context.get(), watch);
    RotationEvent event;
    bool seen = false;
    while (!seen && stream->Read(&event))
      seen = event.type() == ROTATION_EVENT_TYPE_HANDOVER_OVERDUE &&
             event.handover().plan_id() == plan.id();
    EXPECT_TRUE(seen);
    EXPECT_EQ(event.handover().state(), HANDOVER_STATE_OVERDUE);
    context->TryCancel();
    stream->Finish();
  }
}

// Both sides confirming an overdue hand-over does not make it look on time.
TEST_F(RotationApiTest, AnOverdueHandoverConfirmedByBothSidesIsConfirmedLate) {
  const RotationPlan plan = CommittedPastPlan("Mobiel Lab Oldenzaal");
  const ListHandoversResponse handovers = HandoversOnceOverdue(plan.id());
  ASSERT_EQ(handovers.handovers_size(), 2);
  const Handover& to_school = handovers.handovers(0);
  ASSERT_EQ(to_school.state(), HANDOVER_STATE_OVERDUE) << handovers.DebugString();
  ASSERT_EQ(to_school.to_organization_id(), "school");
  ConfirmHandoverRequest confirm;
  confirm.set_id(to_school.id());
  confirm.set_condition_notes("complete, a week late");
  Handover confirmed;
  ASSERT_TRUE(scheduler_->ConfirmHandover(As(fleet_).get(), confirm, &confirmed).ok());
  EXPECT_EQ(confirmed.state(), HANDOVER_STATE_OVERDUE);  // one side is not enough
  ASSERT_TRUE(scheduler_->ConfirmHandover(As(school_).get(), confirm, &confirmed).ok());
  EXPECT_EQ(confirmed.state(), HANDOVER_STATE_CONFIRMED_LATE);
  EXPECT_TRUE(confirmed.has_from_confirm_time());
  EXPECT_TRUE(confirmed.has_to_confirm_time());
  ASSERT_TRUE(scheduler_->ConfirmHandover(As(school_).get(), confirm, &confirmed)
                  .ok());  // again: no change
  EXPECT_EQ(confirmed.state(), HANDOVER_STATE_CONFIRMED_LATE);
  ListHandoversRequest list;
  list.set_plan_id(plan.id());
  ListHandoversResponse after;
  ASSERT_TRUE(scheduler_->ListHandovers(As(school_).get(), list, &after).ok());
  ASSERT_EQ(after.handovers_size(), 2);
  EXPECT_EQ(after.handovers(0).state(), HANDOVER_STATE_CONFIRMED_LATE);
  EXPECT_EQ(after.handovers(1).state(), HANDOVER_STATE_OVERDUE);
}

// A unit that goes home for its owner's booking between two partners is handed back to the owner
// and out again; after the last partner it drives home and is handed back. Every change of holder
// has exactly one hand-over, at the unit's arrival.
TEST_F(RotationApiTest, EveryChangeOfHolderHasOneHandoverAndTheUnitEndsAtHome) {
  const double home_lat = 52.21, home_lon = 5.97;
  const std::string unit = Mobile("Mobiel Lab Apeldoorn", home_lat, home_lon);
  CreateRotationPoolRequest create;
  create.mutable_pool()->set_display_name("Home between partners");
  create.mutable_pool()->add_unit_resource_ids(unit);
  const RotationPool pool = PoolOnceKnown(create);
  ASSERT_FALSE(pool.id().empty());
  CreateBookingRequest booking;
  booking.set_resource_id(unit);
  *booking.mutable_start_time() = Day(8);
  *booking.mutable_end_time() = Day(10);
  booking.set_title("open day at home");
  Booking booked;
  auto status = scheduler_->CreateBooking(As(fleet_).get(), booking, &booked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Create(school_, Ask(pool.id(), 52.22, 6.89, 1, 7, 3));    // Enschede, before the booking
  Create(bakery_, Ask(pool.id(), 52.51, 6.09, 10, 20, 3));  // Zwolle, after it
  RotationPlan plan = Plan(pool.id(), 30);
  ASSERT_EQ(plan.assignments_size(), 2) << plan.DebugString();
  ASSERT_EQ(plan.units_size(), 1);
  const auto& legs = plan.units(0).legs();
  std::vector<const RotationLeg*> setups, at_home;
  for (const auto& leg : legs) {
    if (leg.kind() == ROTATION_LEG_KIND_SETUP) setups.push_back(&leg);
    if (leg.kind() == ROTATION_LEG_KIND_AT_HOME) at_home.push_back(&leg);
  }
  ASSERT_EQ(setups.size(), 2u) << plan.DebugString();
  ASSERT_EQ(at_home.size(), 1u) << plan.DebugString();
  EXPECT_EQ(at_home[0]->start_time().seconds(), Day(8).seconds());
  EXPECT_EQ(at_home[0]->end_time().seconds(), Day(10).seconds());
  const RotationLeg& last = legs[legs.size() - 1];
  EXPECT_EQ(last.kind(), ROTATION_LEG_KIND_TRANSPORT);
  EXPECT_DOUBLE_EQ(last.to().latitude(), home_lat);
  EXPECT_DOUBLE_EQ(last.to().longitude(), home_lon);

  CommitRotationPlanRequest commit;
  commit.set_id(plan.id());
  RotationPlan committed;
  status = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &committed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(committed.booking_ids_size(), legs.size() - 1);  // the owner's booking is there already
  ListHandoversRequest list;
  list.set_plan_id(plan.id());
  ListHandoversResponse handovers;
  ASSERT_TRUE(scheduler_->ListHandovers(As(fleet_).get(), list, &handovers).ok());
  std::vector<std::tuple<std::string, std::string, int64_t>> got;
  for (const auto& h : handovers.handovers())
    got.emplace_back(h.from_organization_id(), h.to_organization_id(), h.time().seconds());
  const std::vector<std::tuple<std::string, std::string, int64_t>> want = {
      {"fleet", "school", setups[0]->start_time().seconds()},
      {"school", "fleet", Day(8).seconds()},
      {"fleet", "bakery", setups[1]->start_time().seconds()},
      {"bakery", "fleet", last.end_time().seconds()}};
  EXPECT_EQ(got, want) << handovers.DebugString();
}

// A rotation gives a unit only to a partner that could book it itself: its access policy (network
// members, SME access) decides whether a partner may ask for it, and a unit requiring training
// goes only to partners the owner recorded as trained. Before, any organisation that asked was
// given any unit of the pool.
TEST_F(RotationApiTest, AUnitGoesOnlyToPartnersItsAccessPolicyAndTrainingAdmit) {
  reg::CreateNetworkRequest network;
  network.set_network_id("oost-mobiel");
  network.mutable_network()->set_display_name("Oost Mobiel");
  network.mutable_network()->add_member_organization_ids("fleet");
  network.mutable_network()->add_member_organization_ids("school");
  reg::Network made;
  ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), network, &made).ok());
  reg::Resource members_only = Resource("Lasrobot Hengelo", reg::MOBILITY_MOBILE, 52.27, 6.79);
  members_only.set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
  members_only.add_shared_with_network_ids("oost-mobiel");
  const std::string network_unit = Register(members_only);
  reg::Resource trained_only = Resource("Drone-lab Almelo", reg::MOBILITY_MOBILE, 52.36, 6.66);
  trained_only.set_training_required(true);
  const std::string training_unit = Register(trained_only);
  CreateRotationPoolRequest create;
  create.mutable_pool()->set_display_name("Oost: robot en drone");
  create.mutable_pool()->add_unit_resource_ids(network_unit);
  create.mutable_pool()->add_unit_resource_ids(training_unit);
  const RotationPool pool = PoolOnceKnown(create);

  // The bakery is in no network: it may not ask for the members' unit by name.
  CreateRotationRequestRequest by_name = Ask(pool.id(), 52.3, 6.7, 0, 20, 3);
  by_name.mutable_rotation_request()->set_unit_resource_id(network_unit);
  RotationRequest refused;
  EXPECT_EQ(scheduler_->CreateRotationRequest(As(bakery_).get(), by_name, &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const RotationRequest bakery = Create(bakery_, Ask(pool.id(), 52.3, 6.7, 0, 20, 3));
  const RotationRequest school = Create(school_, Ask(pool.id(), 52.3, 6.7, 0, 20, 3));

  // Nobody is trained on the drone lab: the school gets the members' unit, the bakery nothing.
  RotationPlan plan = Plan(pool.id(), 20);
  std::map<std::string, std::string> unit_of;
  for (const auto& a : plan.assignments()) unit_of[a.request_id()] = a.unit_resource_id();
  EXPECT_EQ(unit_of, (std::map<std::string, std::string>{{school.id(), network_unit}}));
  ASSERT_EQ(plan.unfulfilled_size(), 1);
  EXPECT_EQ(plan.unfulfilled(0).request_id(), bakery.id());
  EXPECT_TRUE(absl::StrContains(plan.unfulfilled(0).reason(), "may not use"))
      << plan.unfulfilled(0).reason();

  // Nor may the owner pin the bakery on the members' unit.
  PlanRotationRequest pinned;
  pinned.set_pool_id(pool.id());
  *pinned.mutable_horizon_start_time() = Day(0);
  *pinned.mutable_horizon_end_time() = Day(20);
  auto* pin = pinned.add_pins();
  pin->set_request_id(bakery.id());
  pin->set_unit_resource_id(network_unit);
  *pin->mutable_start_time() = Day(2);
  auto refused_pin = scheduler_->PlanRotation(As(fleet_).get(), pinned, &plan);
  EXPECT_EQ(refused_pin.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(refused_pin.error_message(), "pins[0].unit_resource_id"))
      << refused_pin.error_message();

  // Once the owner records the bakery as trained, the drone lab goes to it.
  RecordTrainingRequest record;
  record.set_resource_id(training_unit);
  record.set_organization_id("bakery");
  RecordTrainingResponse trained;
  ASSERT_TRUE(scheduler_->RecordTraining(As(fleet_).get(), record, &trained).ok());
  plan = Plan(pool.id(), 20);
  unit_of.clear();
  for (const auto& a : plan.assignments()) unit_of[a.request_id()] = a.unit_resource_id();
  EXPECT_EQ(unit_of, (std::map<std::string, std::string>{{school.id(), network_unit},
                                                         {bakery.id(), training_unit}}));
}

// A draft whose unit was closed during one of its legs, or taken out of use, after the draft was
// made is stale at commit (the booking versions do not see the registry: before, the commit sent
// a retired unit on the road).
TEST_F(RotationApiTest, ACommitRefusesAUnitClosedOrOutOfUseSinceTheDraft) {
  const std::string unit = Mobile("Mobiel Lab Kampen", 52.55, 5.91);
  const RotationPool pool = PoolOf(unit, "Kampen");
  Create(school_, Ask(pool.id(), 52.55, 5.91, 0, 10, 3));
  const RotationPlan plan = Plan(pool.id(), 20);
  ASSERT_EQ(plan.units_size(), 1);
  const RotationLeg* work = nullptr;
  for (const auto& leg : plan.units(0).legs())
    if (leg.kind() == ROTATION_LEG_KIND_ASSIGNMENT) work = &leg;
  ASSERT_NE(work, nullptr);
  // Free time the scheduler shows on the unit in [from, to), once it has followed the registry.
  auto free_once = [&](const Timestamp& from, const Timestamp& to, bool want_free) {
    CheckAvailabilityRequest check;
    check.set_resource_id(unit);
    *check.mutable_start_time() = from;
    *check.mutable_end_time() = to;
    CheckAvailabilityResponse free;
    for (int i = 0; i < 100; ++i) {
      EXPECT_TRUE(scheduler_->CheckAvailability(As(fleet_).get(), check, &free).ok());
      if ((free.free_size() > 0) == want_free) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return free.free_size() > 0;
  };
  reg::PublishAvailabilityRequest publish;
  publish.set_resource_id(unit);
  auto* closure = publish.add_closures();
  *closure->mutable_start_time() = work->start_time();
  *closure->mutable_end_time() = work->end_time();
  closure->set_kind(reg::CLOSURE_KIND_MAINTENANCE);
  reg::Availability published;
  ASSERT_TRUE(registry_->PublishAvailability(As(fleet_).get(), publish, &published).ok());
  ASSERT_FALSE(free_once(work->start_time(), work->end_time(), false));
  CommitRotationPlanRequest commit;
  commit.set_id(plan.id());
  RotationPlan out;
  auto closed = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &out);
  EXPECT_EQ(Reason(closed), "STALE_PLAN") << closed.error_message();
  EXPECT_TRUE(absl::StrContains(closed.error_message(), "closed")) << closed.error_message();

  // The closure lifted, the unit retired: stale all the same.
  publish.clear_closures();
  publish.set_etag(published.etag());
  ASSERT_TRUE(registry_->PublishAvailability(As(fleet_).get(), publish, &published).ok());
  reg::UpdateResourceRequest retire;
  retire.mutable_resource()->set_id(unit);
  retire.mutable_resource()->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_RETIRED);
  retire.mutable_update_mask()->add_paths("lifecycle");
  reg::Resource retired;
  ASSERT_TRUE(registry_->UpdateResource(As(fleet_).get(), retire, &retired).ok());
  ASSERT_FALSE(free_once(Day(15), Day(16), false));
  auto out_of_use = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &out);
  EXPECT_EQ(Reason(out_of_use), "STALE_PLAN") << out_of_use.error_message();
  EXPECT_TRUE(absl::StrContains(out_of_use.error_message(), "not in use"))
      << out_of_use.error_message();
  ListBookingsRequest list;
  list.set_resource_id(unit);
  ListBookingsResponse booked;
  ASSERT_TRUE(scheduler_->ListBookings(As(fleet_).get(), list, &booked).ok());
  EXPECT_EQ(booked.bookings_size(), 0);
}

// A request whose window lies wholly after the horizon says so.
TEST_F(RotationApiTest, ARequestAfterTheHorizonIsOutsideIt) {
  RotationPool pool = Pool({truck_});
  const RotationRequest later = Create(school_, Ask(pool.id(), 52.22, 6.89, 40, 50, 3));
  const RotationPlan plan = Plan(pool.id(), 30);
  ASSERT_EQ(plan.unfulfilled_size(), 1);
  EXPECT_EQ(plan.unfulfilled(0).request_id(), later.id());
  EXPECT_EQ(plan.unfulfilled(0).reason(),
            "outside the planning horizon: plan a horizon that includes its window");
}

TEST_F(RotationApiTest, ACommittedLegUnderWayIsNeverReleasedAsANoShow) {
  // A leg that began days ago: long past the configured no-show grace (30 minutes).
  const std::string unit = Mobile("Mobiel Lab Deventer", 52.25, 6.16);
  const RotationPool pool = PoolOf(unit, "Under way");
  ASSERT_FALSE(pool.id().empty());
  Create(school_, Ask(pool.id(), 52.25, 6.16, -33, -27,
                      5));  // today is day -30: under way, whenever it starts
  PlanRotationRequest request;
  request.set_pool_id(pool.id());
  *request.mutable_horizon_start_time() = Day(-33);
  *request.mutable_horizon_end_time() = Day(-20);
  RotationPlan plan;
  ASSERT_TRUE(scheduler_->PlanRotation(As(fleet_).get(), request, &plan).ok());
  ASSERT_EQ(plan.assignments_size(), 1) << plan.DebugString();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ASSERT_LT(plan.assignments(0).start_time().seconds(), now - 3600);
  ASSERT_GT(plan.assignments(0).end_time().seconds(), now + 3 * 3600);
  CommitRotationPlanRequest commit;
  commit.set_id(plan.id());
  ASSERT_TRUE(scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &plan).ok());

  std::this_thread::sleep_for(std::chrono::seconds(3));  // three rounds of every replica's sweeper
  ListBookingsRequest list;
  list.set_resource_id(unit);
  ListBookingsResponse bookings;
  ASSERT_TRUE(scheduler_->ListBookings(As(fleet_).get(), list, &bookings).ok());
  int under_way = 0;
  for (const auto& b : bookings.bookings()) {
    EXPECT_NE(b.state(), BOOKING_STATE_NO_SHOW) << b.DebugString();
    if (b.start_time().seconds() < now && b.end_time().seconds() > now) {
      ++under_way;
      EXPECT_EQ(b.state(), BOOKING_STATE_CONFIRMED) << b.DebugString();
    }
  }
  EXPECT_EQ(under_way, 1);

  // Nobody can book the unit while it stands at the school.
  CreateBookingRequest booking;
  booking.set_resource_id(unit);
  booking.mutable_start_time()->set_seconds((now / 60 + 60) * 60);  // on the minute
  booking.mutable_end_time()->set_seconds((now / 60 + 120) * 60);
  Booking booked;
  const auto taken = scheduler_->CreateBooking(As(school_).get(), booking, &booked);
  EXPECT_EQ(taken.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << taken.error_message();
  EXPECT_EQ(Reason(taken), "SLOT_TAKEN");
}

// A leg checked in before it starts (the unit handed over early) has begun: a re-plan keeps it,
// and the unit is never booked twice over it (before, the draft replaced it, the commit booked
// the new legs over it and left it checked in).
TEST_F(RotationApiTest, ALegCheckedInEarlyIsKeptByAReplan) {
  const std::string unit = Mobile("Mobiel Lab Raalte", 52.39, 6.28);
  const RotationPool pool = PoolOf(unit, "Handed over early");
  ASSERT_FALSE(pool.id().empty());
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t minute = now / 60 * 60;
  // About 20 km away: the drive there starts within the hour check-in opens before it.
  CreateRotationRequestRequest soon;
  auto* r = soon.mutable_rotation_request();
  r->set_pool_id(pool.id());
  r->mutable_location()->set_latitude(52.51);
  r->mutable_location()->set_longitude(6.09);
  r->mutable_earliest_start_time()->set_seconds(minute + 50 * 60);
  r->mutable_latest_end_time()->set_seconds(minute + 50 * 60 + 2 * kDay);
  r->set_duration_days(1);
  Create(school_, soon);
  PlanRotationRequest request;
  request.set_pool_id(pool.id());
  request.mutable_horizon_start_time()->set_seconds(minute);
  request.mutable_horizon_end_time()->set_seconds(minute + 6 * kDay);
  RotationPlan plan;
  ASSERT_TRUE(scheduler_->PlanRotation(As(fleet_).get(), request, &plan).ok());
  ASSERT_EQ(plan.assignments_size(), 1) << plan.DebugString();
  CommitRotationPlanRequest commit;
  commit.set_id(plan.id());
  ASSERT_TRUE(scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &plan).ok());
  ASSERT_EQ(plan.units_size(), 1);
  const auto& first = plan.units(0).legs(0);
  ASSERT_GT(first.start_time().seconds(), now) << plan.DebugString();
  ASSERT_LT(first.start_time().seconds(), now + 3600) << plan.DebugString();
  CheckInBookingRequest check_in;
  check_in.set_id(first.booking_id());
  Booking checked_in;
  auto status = scheduler_->CheckInBooking(As(fleet_).get(), check_in, &checked_in);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Another partner asks; the re-plan from now keeps the leg checked in and what follows it.
  Create(bakery_, Ask(pool.id(), 52.30, 6.50, -27, -20, 2));
  RotationPlan replan;
  ASSERT_TRUE(scheduler_->PlanRotation(As(fleet_).get(), request, &replan).ok());
  ASSERT_EQ(replan.units_size(), 1);
  ASSERT_GT(replan.units(0).legs_size(), 0);
  EXPECT_EQ(replan.units(0).legs(0).booking_id(), first.booking_id()) << replan.DebugString();
  commit.set_id(replan.id());
  status = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &replan);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The unit's blocking bookings never overlap, and the checked-in leg stands.
  ListBookingsRequest list;
  list.set_resource_id(unit);
  list.set_page_size(200);
  ListBookingsResponse bookings;
  ASSERT_TRUE(scheduler_->ListBookings(As(fleet_).get(), list, &bookings).ok());
  std::vector<std::pair<int64_t, int64_t>> blocking;
  for (const auto& b : bookings.bookings()) {
    if (b.id() == first.booking_id()) {
      EXPECT_EQ(b.state(), BOOKING_STATE_CHECKED_IN);
    }
    if (b.state() == BOOKING_STATE_CONFIRMED || b.state() == BOOKING_STATE_CHECKED_IN)
      blocking.emplace_back(b.blocked_start_time().seconds(), b.blocked_end_time().seconds());
  }
  std::sort(blocking.begin(), blocking.end());
  for (size_t i = 1; i < blocking.size(); ++i)
    EXPECT_LE(blocking[i - 1].second, blocking[i].first) << i;
}

TEST_F(RotationApiTest, BadInputNamesTheField) {
  RotationPool pool = Pool({van_});
  auto expect_field = [](const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << status.error_message();
    EXPECT_EQ(BadField(status), field);
  };
  RotationRequest out;
  expect_field(scheduler_->CreateRotationRequest(As(school_).get(),
                                                 Ask(pool.id(), 52.5, 6.1, 0, 3, 5), &out),
               "rotation_request.latest_end_time");
  expect_field(scheduler_->CreateRotationRequest(As(school_).get(),
                                                 Ask(pool.id(), 123, 6.1, 0, 10, 5), &out),
               "rotation_request.location");
  auto wrong_unit = Ask(pool.id(), 52.5, 6.1, 0, 10, 5);
  wrong_unit.mutable_rotation_request()->set_unit_resource_id(truck_);
  expect_field(scheduler_->CreateRotationRequest(As(school_).get(), wrong_unit, &out),
               "rotation_request.unit_resource_id");
  auto prioritised = Ask(pool.id(), 52.5, 6.1, 0, 10, 5);
  prioritised.mutable_rotation_request()->set_priority(5);
  expect_field(scheduler_->CreateRotationRequest(As(school_).get(), prioritised, &out),
               "rotation_request.priority");
  EXPECT_EQ(
      scheduler_
          ->CreateRotationRequest(As(school_).get(), Ask("no-such-pool", 52.5, 6.1, 0, 10, 5), &out)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);

  PlanRotationRequest plan;
  plan.set_pool_id(pool.id());
  *plan.mutable_horizon_start_time() = Day(0);
  *plan.mutable_horizon_end_time() = Day(400);
  RotationPlan planned;
  expect_field(scheduler_->PlanRotation(As(fleet_).get(), plan, &planned), "horizon_end_time");
  *plan.mutable_horizon_end_time() = Day(30);
  EXPECT_EQ(scheduler_->PlanRotation(As(school_).get(), plan, &planned).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  plan.set_pool_id("no-such-pool");
  EXPECT_EQ(scheduler_->PlanRotation(As(fleet_).get(), plan, &planned).error_code(),
            grpc::StatusCode::NOT_FOUND);

  CreateRotationPoolRequest bad_pool;
  bad_pool.mutable_pool()->set_display_name("fixed");
  bad_pool.mutable_pool()->add_unit_resource_ids(fixed_);
  RotationPool created;
  expect_field(scheduler_->CreateRotationPool(As(fleet_).get(), bad_pool, &created),
               "pool.unit_resource_ids[0]");
  // A leg books its unit as one: a unit booked by seats would keep its other seats bookable
  // while it is away, so it is no pool's unit.
  reg::Resource seats = Resource("Seated mobile lab", reg::MOBILITY_MOBILE, 52.4, 6.0);
  seats.set_booking_mode(reg::BOOKING_MODE_SHARED_CAPACITY);
  seats.set_capacity(16);
  bad_pool.mutable_pool()->set_unit_resource_ids(0, Register(seats));
  auto seated = scheduler_->CreateRotationPool(As(fleet_).get(), bad_pool, &created);
  expect_field(seated, "pool.unit_resource_ids[0]");
  EXPECT_NE(seated.error_message().find("shared capacity"), std::string::npos)
      << seated.error_message();
  bad_pool.mutable_pool()->set_unit_resource_ids(0, van_);
  bad_pool.mutable_pool()->mutable_policy()->set_speed_kmh(1000);
  expect_field(scheduler_->CreateRotationPool(As(fleet_).get(), bad_pool, &created),
               "pool.policy.speed_kmh");

  // A stale etag does not overwrite.
  RotationRequest r = Create(school_, Ask(pool.id(), 52.5, 6.1, 0, 10, 5));
  UpdateRotationRequestRequest update;
  *update.mutable_rotation_request() = r;
  update.mutable_rotation_request()->set_duration_days(4);
  ASSERT_TRUE(scheduler_->UpdateRotationRequest(As(school_).get(), update, &out).ok());
  EXPECT_EQ(out.duration_days(), 4);
  EXPECT_EQ(scheduler_->UpdateRotationRequest(As(school_).get(), update, &out).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(scheduler_->UpdateRotationRequest(As(bakery_).get(), update, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);  // someone else's request
}

// The real Redis booking store with one twist, so a commit's undo fails deterministically: right
// after the commit's first unit is booked, another booking takes a slot that step freed on that
// unit (one of the replaced plan's legs); right before the second unit is booked, another booking
// changes that unit. So the commit fails on the second unit and cannot put the first one back.
class InterleavingBookingStore final : public scheduler::BookingStore {
 public:
  // `take_freed`: whether the first unit's freed slot is taken too (its undo then fails).
  explicit InterleavingBookingStore(scheduler::BookingStore* real, bool take_freed = true)
      : real_(real), take_freed_(take_freed) {}
  using Results = absl::StatusOr<std::vector<absl::StatusOr<Booking>>>;

  Results Book(const scheduler::BookCommand& command) override {
    ++books_;
    if (books_ == 2) Intrude(command.resource_id, Day(60).seconds() * 1000);
    Results results = real_->Book(command);
    if (books_ == 1 && take_freed_ && results.ok() && !command.replace_booking_ids.empty()) {
      auto freed = real_->Get(command.replace_booking_ids.front());
      if (freed.ok() && freed->has_value())
        Intrude(command.resource_id, scheduler::ToEpochMs((*freed)->start_time()));
    }
    return results;
  }
  // The other booking, an hour from `start`, and its outcome.
  void Intrude(const std::string& unit, scheduler::EpochMs start) {
    scheduler::BookCommand other;
    other.resource_id = unit;
    other.organization_id = "school";
    other.title = "in between";
    scheduler::Occurrence o;
    o.booking_id = scheduler::NewBookingId(unit);
    o.slot.start = o.slot.blocked_start = start;
    o.slot.end = o.slot.blocked_end = start + 3600 * 1000;
    other.occurrences.push_back(o);
    auto result = real_->Book(other);
    intruded_ += result.ok() && result->size() == 1 && (*result)[0].ok();
  }
  int intruded() const { return intruded_; }

  void BookAsync(const scheduler::BookCommand& command, BookDone done) override {
    real_->BookAsync(command, std::move(done));
  }
  absl::StatusOr<std::optional<std::vector<scheduler::BookedBefore>>> Replayed(
      const scheduler::BookCommand& command) override {
    return real_->Replayed(command);
  }
  absl::StatusOr<Booking> Apply(const scheduler::TransitionCommand& command) override {
    return real_->Apply(command);
  }
  absl::StatusOr<std::optional<Booking>> Get(const std::string& id) override {
    return real_->Get(id);
  }
  absl::StatusOr<WaitlistEntry> JoinWaitlist(const scheduler::WaitCommand& command) override {
    return real_->JoinWaitlist(command);
  }
  absl::StatusOr<WaitlistEntry> LeaveWaitlist(const std::string& entry_id,
                                              const std::string& organization,
                                              bool admin) override {
    return real_->LeaveWaitlist(entry_id, organization, admin);
  }
  absl::StatusOr<std::vector<WaitlistEntry>> Waiting(const std::string& resource_id) override {
    return real_->Waiting(resource_id);
  }
  absl::StatusOr<std::vector<std::string>> SetTrained(const std::string& resource_id,
                                                      const std::string& organization,
                                                      bool trained) override {
    return real_->SetTrained(resource_id, organization, trained);
  }
  absl::StatusOr<std::vector<scheduler::Usage>> Busy(const std::string& resource_id,
                                                     scheduler::EpochMs from,
                                                     scheduler::EpochMs to) override {
    return real_->Busy(resource_id, from, to);
  }
  absl::StatusOr<std::vector<std::string>> Versions(const std::vector<std::string>& ids) override {
    return real_->Versions(ids);
  }
  absl::StatusOr<std::vector<bool>> TrainedMany(const std::vector<std::string>& ids,
                                                const std::string& organization) override {
    return real_->TrainedMany(ids, organization);
  }
  absl::StatusOr<std::vector<std::vector<scheduler::Usage>>> BusyMany(
      const std::vector<std::string>& ids, scheduler::EpochMs from,
      scheduler::EpochMs to) override {
    return real_->BusyMany(ids, from, to);
  }
  absl::StatusOr<scheduler::BookingPage> ListByResource(
      const std::string& id, const scheduler::PageQuery& query) override {
    return real_->ListByResource(id, query);
  }
  absl::StatusOr<scheduler::BookingPage> ListByOrganization(
      const std::string& id, const scheduler::PageQuery& query) override {
    return real_->ListByOrganization(id, query);
  }
  absl::Status VisitCountedSpans(const std::vector<std::string>& ids, scheduler::EpochMs from,
                                 scheduler::EpochMs to, const SpanVisitor& visit) override {
    return real_->VisitCountedSpans(ids, from, to, visit);
  }
  absl::StatusOr<int> Sweep(int shard, int limit) override { return real_->Sweep(shard, limit); }
  absl::StatusOr<int64_t> CountInState(BookingState state,
                                       std::optional<int64_t> due_within_ms) override {
    return real_->CountInState(state, due_within_ms);
  }
  absl::StatusOr<std::string> BookerContact(const std::string& id) override {
    return real_->BookerContact(id);
  }
  absl::StatusOr<std::vector<scheduler::ContactedBooking>> BookingsOfContact(
      const std::string& person) override {
    return real_->BookingsOfContact(person);
  }
  absl::StatusOr<int> ForgetContact(const std::string& person) override {
    return real_->ForgetContact(person);
  }
  int shards() const override { return real_->shards(); }
  std::vector<std::string> EventKeys() const override { return real_->EventKeys(); }

 private:
  scheduler::BookingStore* real_;
  bool take_freed_;
  int books_ = 0;
  int intruded_ = 0;
};

// The scheduler's rotations in this process, on the suite's Redis: for a commit with a booking
// store or a clock of the test's own.
struct LocalRotations {
  explicit LocalRotations(const std::string& url) {
    config.redis.url = url;
    auto pool = RedisPool::Create(config.redis);
    if (!pool.ok()) return;
    redis = std::move(*pool);
    registry_store = std::make_unique<registry::RedisRegistryStore>(
        redis.get(), config.registry.request_id_ttl_s, config.registry.events_max_length);
    catalog = std::make_unique<scheduler::Catalog>(registry_store.get());
    bookings = std::make_unique<scheduler::RedisBookingStore>(redis.get(), config.scheduler);
    rotation_store = std::make_unique<scheduler::RedisRotationStore>(
        redis.get(), config.scheduler.request_id_ttl_s, config.scheduler.rotation_draft_ttl_s);
  }
  bool ready() const { return redis != nullptr; }
  std::unique_ptr<scheduler::Rotations> With(scheduler::BookingStore* store,
                                             scheduler::Rotations::Clock clock, Metrics* metrics) {
    return std::make_unique<scheduler::Rotations>(rotation_store.get(), store, catalog.get(),
                                                  config.scheduler, std::move(clock), metrics);
  }
  static Caller Fleet() {
    return {"tok_fleet", "fleet", {auth::v1::ROLE_ORGANIZATION_ADMIN}, {}, {}};
  }

  Config config = TestServer::DefaultConfig();
  std::unique_ptr<RedisPool> redis;
  std::unique_ptr<registry::RedisRegistryStore> registry_store;
  std::unique_ptr<scheduler::Catalog> catalog;
  std::unique_ptr<scheduler::RedisBookingStore> bookings;
  std::unique_ptr<scheduler::RedisRotationStore> rotation_store;
};

// Two units each serve a request in the first week; a draft moves both to the third week. Its
// commit books the first unit, fails on the second (changed in between), and cannot put the first
// back (its old slot was taken in between): the error says what was left, the log and a counter
// too.
TEST_F(RotationApiTest, ACommitThatCannotUndoReportsWhatItLeftLogsAndCountsIt) {
  const std::string unit_a = Mobile("Mobiel Lab Hengelo", 52.27, 6.79);
  const std::string unit_b = Mobile("Mobiel Lab Oldenzaal", 52.31, 6.93);
  CreateRotationPoolRequest create;
  create.mutable_pool()->set_display_name("Undone");
  create.mutable_pool()->add_unit_resource_ids(unit_a);
  create.mutable_pool()->add_unit_resource_ids(unit_b);
  const RotationPool pool = PoolOnceKnown(create);
  ASSERT_FALSE(pool.id().empty());
  auto ask = [&](const std::string& token, const std::string& unit, int from, int to) {
    auto request = Ask(pool.id(), 52.29, 6.85, from, to, 3);
    request.mutable_rotation_request()->set_unit_resource_id(unit);
    return Create(token, request);
  };
  const RotationRequest first_a = ask(school_, unit_a, 1, 8);
  const RotationRequest first_b = ask(bakery_, unit_b, 1, 8);
  RotationPlan old_plan = Plan(pool.id(), 30);
  ASSERT_EQ(old_plan.assignments_size(), 2) << old_plan.DebugString();
  CommitRotationPlanRequest commit;
  commit.set_id(old_plan.id());
  ASSERT_TRUE(scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &old_plan).ok());
  for (const auto& r : {first_a, first_b}) {
    WithdrawRotationRequestRequest withdraw;
    withdraw.set_id(r.id());
    RotationRequest withdrawn;
    ASSERT_TRUE(scheduler_->WithdrawRotationRequest(As(fleet_).get(), withdraw, &withdrawn).ok());
  }
  ask(school_, unit_a, 15, 25);
  ask(bakery_, unit_b, 15, 25);
  const RotationPlan draft = Plan(pool.id(), 30);
  ASSERT_EQ(draft.replaces_plan_id(), old_plan.id());
  ASSERT_EQ(draft.assignments_size(), 2) << draft.DebugString();

  // The commit, in-process against the same Redis, with the interleaving store.
  LocalRotations local(redis_->url());
  ASSERT_TRUE(local.ready());
  scheduler::RedisBookingStore& real = *local.bookings;
  InterleavingBookingStore bookings(&real);
  Metrics metrics;
  auto rotations = local.With(
      &bookings, [] { return Day(0).seconds() * 1000; }, &metrics);
  const Caller fleet = LocalRotations::Fleet();
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  CommitRotationPlanRequest request;
  request.set_id(draft.id());
  auto result = rotations->CommitPlan(fleet, request);
  spdlog::default_logger()->sinks().pop_back();
  ASSERT_EQ(bookings.intruded(), 2);

  // Refused as stale, as any commit that meets a change of a unit ...
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
  EXPECT_EQ(ErrorReason(result.status()), "STALE_PLAN");
  // ... with the report in the error as clients receive it (a google.rpc.Status detail).
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(ToGrpcStatus(result.status()).error_details()));
  RotationCommitUndoReport report;
  for (const auto& any : details.details())
    if (any.type_url() == scheduler::kUndoReportUrl) {
      ASSERT_TRUE(report.ParseFromString(any.value()));
    }
  EXPECT_EQ(report.plan_id(), draft.id());
  EXPECT_EQ(report.replaced_plan_id(), old_plan.id());
  EXPECT_FALSE(report.truncated());
  ASSERT_EQ(report.failures_size(), 1) << report.DebugString();
  const auto& failure = report.failures(0);
  const std::string first_unit = failure.unit_resource_id();
  EXPECT_TRUE(first_unit == unit_a || first_unit == unit_b) << first_unit;
  EXPECT_NE(failure.reason(), "");
  // It names exactly what is wrong: the draft's bookings still in place, the old ones cancelled.
  std::set<std::string> old_of_unit, new_of_unit;
  for (const auto& u : old_plan.units())
    if (u.unit_resource_id() == first_unit)
      for (const auto& leg : u.legs())
        if (!leg.booking_id().empty()) old_of_unit.insert(leg.booking_id());
  EXPECT_EQ(std::set<std::string>(failure.cancelled_booking_ids().begin(),
                                  failure.cancelled_booking_ids().end()),
            old_of_unit);
  ASSERT_FALSE(failure.booking_ids().empty());
  for (const auto& id : failure.booking_ids()) {
    auto booking = real.Get(id);
    ASSERT_TRUE(booking.ok() && booking->has_value()) << id;
    EXPECT_EQ((*booking)->state(), BOOKING_STATE_CONFIRMED) << id;
    EXPECT_EQ((*booking)->series_id(), draft.id());
  }
  for (const auto& id : failure.cancelled_booking_ids()) {
    auto booking = real.Get(id);
    ASSERT_TRUE(booking.ok() && booking->has_value()) << id;
    EXPECT_EQ((*booking)->state(), BOOKING_STATE_CANCELLED) << id;
  }
  // Logged, one line per booking left behind, and counted.
  for (const auto& id : failure.booking_ids()) EXPECT_NE(log.str().find(id), std::string::npos);
  for (const auto& id : failure.cancelled_booking_ids())
    EXPECT_NE(log.str().find(id), std::string::npos);
  EXPECT_NE(log.str().find("could not be undone"), std::string::npos);
  EXPECT_NE(metrics.Render().find("infrashare_rotation_undo_failures_total 1\n"), std::string::npos)
      << metrics.Render();
  // The draft stays a draft; the old plan stays committed.
  GetRotationPlanRequest get;
  get.set_id(draft.id());
  RotationPlan still;
  ASSERT_TRUE(scheduler_->GetRotationPlan(As(fleet_).get(), get, &still).ok());
  EXPECT_EQ(still.state(), ROTATION_PLAN_STATE_DRAFT);
}

// A draft committed after a leg it replaces has begun is refused as stale: committing it would
// cancel the leg under way and leave the unit, which is away, bookable by anyone.
TEST_F(RotationApiTest, ADraftIsNotCommittedOnceALegItReplacesHasBegun) {
  const std::string unit = Mobile("Mobiel Lab Almelo", 52.35, 6.66);
  const RotationPool pool = PoolOf(unit, "Begun meanwhile");
  ASSERT_FALSE(pool.id().empty());
  Create(school_, Ask(pool.id(), 52.35, 6.66, 1, 8, 3));
  RotationPlan committed = Plan(pool.id(), 30);
  ASSERT_EQ(committed.assignments_size(), 1) << committed.DebugString();
  CommitRotationPlanRequest commit;
  commit.set_id(committed.id());
  ASSERT_TRUE(scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &committed).ok());
  const RotationPlan draft = Plan(pool.id(), 30);
  ASSERT_EQ(draft.replaces_plan_id(), committed.id());

  // Committed when the first leg of the committed plan is under way.
  int64_t first_start = std::numeric_limits<int64_t>::max();
  for (const auto& u : committed.units())
    for (const auto& leg : u.legs())
      if (!leg.booking_id().empty())
        first_start = std::min(first_start, leg.start_time().seconds());
  ASSERT_NE(first_start, std::numeric_limits<int64_t>::max());
  LocalRotations local(redis_->url());
  ASSERT_TRUE(local.ready());
  Metrics metrics;
  auto rotations = local.With(
      local.bookings.get(), [first_start] { return (first_start + 60) * 1000; }, &metrics);
  CommitRotationPlanRequest late;
  late.set_id(draft.id());
  auto result = rotations->CommitPlan(LocalRotations::Fleet(), late);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ErrorReason(result.status()), "STALE_PLAN") << result.status();
  for (const auto& id : committed.booking_ids()) {
    auto booking = local.bookings->Get(id);
    ASSERT_TRUE(booking.ok() && booking->has_value()) << id;
    EXPECT_EQ((*booking)->state(), BOOKING_STATE_CONFIRMED) << id;
  }
}

// A leg its owner cancelled is not the commit's: a commit that fails on a later unit puts back the
// first unit's other legs and leaves that one cancelled (before, the undo booked it again).
TEST_F(RotationApiTest, AnUndoDoesNotBookAgainALegItsOwnerCancelled) {
  const std::string unit_a = Mobile("Mobiel Lab Haaksbergen", 52.16, 6.74);
  const std::string unit_b = Mobile("Mobiel Lab Losser", 52.26, 7.00);
  CreateRotationPoolRequest create;
  create.mutable_pool()->set_display_name("Cancelled leg");
  create.mutable_pool()->add_unit_resource_ids(unit_a);
  create.mutable_pool()->add_unit_resource_ids(unit_b);
  const RotationPool pool = PoolOnceKnown(create);
  ASSERT_FALSE(pool.id().empty());
  auto ask = [&](const std::string& token, const std::string& unit, int from, int to) {
    auto request = Ask(pool.id(), 52.21, 6.87, from, to, 3);
    request.mutable_rotation_request()->set_unit_resource_id(unit);
    return Create(token, request);
  };
  const RotationRequest first_a = ask(school_, unit_a, 1, 8);
  const RotationRequest first_b = ask(bakery_, unit_b, 1, 8);
  RotationPlan old_plan = Plan(pool.id(), 30);
  ASSERT_EQ(old_plan.assignments_size(), 2) << old_plan.DebugString();
  CommitRotationPlanRequest commit;
  commit.set_id(old_plan.id());
  ASSERT_TRUE(scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &old_plan).ok());
  // The owner cancels one leg of each unit (whichever the commit books first), then the plan is
  // made anew.
  std::map<std::string, std::vector<std::string>> legs;  // of each unit, booked
  for (const auto& u : old_plan.units())
    for (const auto& leg : u.legs())
      if (!leg.booking_id().empty()) legs[u.unit_resource_id()].push_back(leg.booking_id());
  std::map<std::string, Booking> cancelled;
  for (const std::string& unit : {unit_a, unit_b}) {
    ASSERT_GE(legs[unit].size(), 1u) << old_plan.DebugString();
    CancelBookingRequest cancel;
    cancel.set_id(legs[unit][0]);
    cancel.set_reason("the unit goes for repair that week");
    ASSERT_TRUE(scheduler_->CancelBooking(As(fleet_).get(), cancel, &cancelled[unit]).ok());
  }
  for (const auto& r : {first_a, first_b}) {
    WithdrawRotationRequestRequest withdraw;
    withdraw.set_id(r.id());
    RotationRequest withdrawn;
    ASSERT_TRUE(scheduler_->WithdrawRotationRequest(As(fleet_).get(), withdraw, &withdrawn).ok());
  }
  ask(school_, unit_a, 15, 25);
  ask(bakery_, unit_b, 15, 25);
  const RotationPlan draft = Plan(pool.id(), 30);
  ASSERT_EQ(draft.replaces_plan_id(), old_plan.id());

  // The commit books the first unit and fails on the second, changed in between; the undo
  // succeeds.
  LocalRotations local(redis_->url());
  ASSERT_TRUE(local.ready());
  InterleavingBookingStore bookings(local.bookings.get(), /*take_freed=*/false);
  Metrics metrics;
  auto rotations = local.With(
      &bookings, [] { return Day(0).seconds() * 1000; }, &metrics);
  CommitRotationPlanRequest request;
  request.set_id(draft.id());
  auto result = rotations->CommitPlan(LocalRotations::Fleet(), request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ErrorReason(result.status()), "STALE_PLAN") << result.status();
  EXPECT_EQ(metrics.Render().find("infrashare_rotation_undo_failures_total 1"), std::string::npos);

  // The legs of the plan still committed: the cancelled ones as they were, the others standing,
  // and nothing else standing in a cancelled leg's time.
  GetRotationPlanRequest get;
  get.set_id(old_plan.id());
  RotationPlan after;
  ASSERT_TRUE(scheduler_->GetRotationPlan(As(fleet_).get(), get, &after).ok());
  EXPECT_EQ(after.state(), ROTATION_PLAN_STATE_COMMITTED);
  for (const auto& u : after.units()) {
    const std::string& unit = u.unit_resource_id();
    int standing = 0;
    for (const auto& leg : u.legs()) {
      if (leg.booking_id().empty()) continue;
      auto booking = local.bookings->Get(leg.booking_id());
      ASSERT_TRUE(booking.ok() && booking->has_value()) << leg.booking_id();
      if (leg.booking_id() == cancelled[unit].id()) {
        EXPECT_EQ((*booking)->state(), BOOKING_STATE_CANCELLED);
      } else {
        EXPECT_EQ((*booking)->state(), BOOKING_STATE_CONFIRMED) << leg.booking_id();
        ++standing;
      }
    }
    EXPECT_EQ(standing, static_cast<int>(legs[unit].size()) - 1) << unit;
    ListBookingsRequest list;
    list.set_resource_id(unit);
    *list.mutable_start_time() = cancelled[unit].start_time();
    *list.mutable_end_time() = cancelled[unit].end_time();
    list.add_states(BOOKING_STATE_CONFIRMED);
    ListBookingsResponse in_slot;
    ASSERT_TRUE(scheduler_->ListBookings(As(fleet_).get(), list, &in_slot).ok());
    EXPECT_EQ(in_slot.bookings_size(), 0) << unit << in_slot.DebugString();
  }
}

// A commit that succeeds, and one refused before it booked anything, report nothing: no detail,
// nothing counted.
TEST_F(RotationApiTest, ACommitThatSucceedsOrIsRefusedReportsNoUndoFailure) {
  const std::string unit = Mobile("Mobiel Lab Borne", 52.30, 6.75);
  const RotationPool pool = PoolOf(unit, "Clean commits");
  ASSERT_FALSE(pool.id().empty());
  Create(school_, Ask(pool.id(), 52.22, 6.89, 2, 20, 3));
  const RotationPlan stale = Plan(pool.id(), 30);
  const RotationPlan fresh = Plan(pool.id(), 30);
  CommitRotationPlanRequest commit;
  commit.set_id(fresh.id());
  RotationPlan committed;
  auto context = As(fleet_);
  ASSERT_TRUE(scheduler_->CommitRotationPlan(context.get(), commit, &committed).ok());
  EXPECT_EQ(context->GetServerTrailingMetadata().count("grpc-status-details-bin"), 0u);
  commit.set_id(stale.id());
  auto refused = scheduler_->CommitRotationPlan(As(fleet_).get(), commit, &committed);
  EXPECT_EQ(Reason(refused), "STALE_PLAN");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(refused.error_details()));
  for (const auto& any : details.details()) EXPECT_NE(any.type_url(), scheduler::kUndoReportUrl);
  const std::string metrics = server_->server().metrics().Render();
  EXPECT_NE(metrics.find("infrashare_rotation_undo_failures_total 0\n"), std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace infrashare::testing
