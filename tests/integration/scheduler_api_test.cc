// The scheduler through its public gRPC API: a real Redis (cluster mode when
// INFRASHARE_TEST_REDIS_CLUSTER=1), the real server on loopback, real stubs.
#include <date/tz.h>
#include <gtest/gtest.h>
#include <libical/ical.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/match.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
using namespace scheduler::v1;
using google::protobuf::Timestamp;

constexpr int64_t kHour = 3600;

// Midnight UTC of a Monday at least two weeks ahead: every slot in these tests lies after it.
int64_t BaseSeconds() {
  using namespace std::chrono;
  auto day = floor<days>(system_clock::now()) + days(14);
  while (weekday(day) != Monday) day += days(1);
  return duration_cast<seconds>(day.time_since_epoch()).count();
}

Timestamp At(double hours) {
  static const int64_t base = BaseSeconds();
  Timestamp t;
  t.set_seconds(base + static_cast<int64_t>(hours * kHour));
  return t;
}

class SchedulerApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    Config config = TestServer::DefaultConfig();
    config.scheduler.hold_ttl_s = 1;
    config.scheduler.no_show_grace_s = 1;
    config.scheduler.time_step_s = 1;  // bookings seconds long, for no-shows and lapses
    config.scheduler.sweep_interval_ms = 100;
    server_ = new TestServer(redis_->url(), config);
    registry_ = server_->Registry().release();
    scheduler_ = server_->Scheduler().release();
    CreateOrg("acme", reg::ORGANIZATION_KIND_COMPANY, false);
    CreateOrg("school", reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL, false);
    CreateOrg("bakery", reg::ORGANIZATION_KIND_COMPANY, true);
    CreateOrg("outsider", reg::ORGANIZATION_KIND_COMPANY, false);
    reg::CreateNetworkRequest network;
    network.set_network_id("tech");
    network.mutable_network()->set_display_name("TechOost");
    for (const char* member : {"acme", "school", "bakery"})
      network.mutable_network()->add_member_organization_ids(member);
    reg::Network created;
    ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), network, &created).ok());
    acme_ = server_->Token("acme", {auth::v1::ROLE_MEMBER});
    school_ = server_->Token("school", {auth::v1::ROLE_MEMBER});
    bakery_ = server_->Token("bakery", {auth::v1::ROLE_MEMBER});
    outsider_ = server_->Token("outsider", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    reader_ = server_->Token("school", {auth::v1::ROLE_READ_ONLY_INTEGRATOR});
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

  static void CreateOrg(const std::string& id, reg::OrganizationKind kind, bool sme) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(id);
    request.mutable_organization()->set_kind(kind);
    request.mutable_organization()->set_sme(sme);
    reg::Organization created;
    auto status = registry_->CreateOrganization(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // An exclusive lab of acme, shared with the network, open all the time unless told otherwise.
  static reg::Resource Lab(const std::string& name) {
    reg::Resource r;
    r.set_display_name(name);
    r.set_kind(reg::RESOURCE_KIND_LAB);
    r.set_owner_organization_id("acme");
    r.add_shared_with_network_ids("tech");
    r.mutable_location()->mutable_point()->set_latitude(52.5);
    r.mutable_location()->mutable_point()->set_longitude(6.1);
    r.set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r.set_capacity(1);
    r.set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
    r.set_sme_accessible(true);
    r.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    return r;
  }

  static std::string Register(const reg::Resource& resource) {
    reg::CreateResourceRequest request;
    *request.mutable_resource() = resource;
    reg::Resource created;
    auto status = registry_->CreateResource(Admin().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.id();
  }

  static grpc::Status Book(const std::string& token, const std::string& resource, double from_h,
                           double to_h, Booking* out, int quantity = 1, bool hold = false,
                           const std::string& request_id = "") {
    CreateBookingRequest request;
    request.set_resource_id(resource);
    *request.mutable_start_time() = At(from_h);
    *request.mutable_end_time() = At(to_h);
    request.set_quantity(quantity);
    request.set_hold(hold);
    request.set_title("Practical");
    request.set_request_id(request_id);
    return scheduler_->CreateBooking(As(token).get(), request, out);
  }

  // Books [from_h, to_h) until the scheduler, following the registry's change log, refuses it as
  // OUTSIDE_AVAILABILITY (a booking made before then is cancelled again), at most 5 s; the last
  // answer.
  static grpc::Status BookUntilOutsideAvailability(const std::string& token,
                                                   const std::string& resource, double from_h,
                                                   double to_h) {
    Booking b;
    grpc::Status status;
    for (int i = 0; i < 100; ++i) {
      status = Book(token, resource, from_h, to_h, &b);
      if (Reason(status) == "OUTSIDE_AVAILABILITY") break;
      if (status.ok()) Cancel(kAdminToken, b.id(), &b);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return status;
  }

  static Booking Get(const std::string& token, const std::string& id) {
    GetBookingRequest request;
    request.set_id(id);
    Booking out;
    auto status = scheduler_->GetBooking(As(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  static grpc::Status Cancel(const std::string& token, const std::string& id, Booking* out) {
    CancelBookingRequest request;
    request.set_id(id);
    request.set_reason("plans changed");
    return scheduler_->CancelBooking(As(token).get(), request, out);
  }

  // Polls until the booking exists and reaches `state` (the sweeper runs every 100 ms here); up
  // to 15 s.
  static Booking AwaitState(const std::string& id, BookingState state) {
    Booking b;
    for (int i = 0; i < 300; ++i) {
      GetBookingRequest request;
      request.set_id(id);
      if (scheduler_->GetBooking(Admin().get(), request, &b).ok() && b.state() == state) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return b;
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static reg::RegistryService::Stub* registry_;
  static SchedulerService::Stub* scheduler_;
  static std::string acme_, school_, bakery_, outsider_, reader_;
};

RedisServer* SchedulerApiTest::redis_ = nullptr;
TestServer* SchedulerApiTest::server_ = nullptr;
reg::RegistryService::Stub* SchedulerApiTest::registry_ = nullptr;
SchedulerService::Stub* SchedulerApiTest::scheduler_ = nullptr;
std::string SchedulerApiTest::acme_, SchedulerApiTest::school_, SchedulerApiTest::bakery_,
    SchedulerApiTest::outsider_, SchedulerApiTest::reader_;

TEST_F(SchedulerApiTest, RejectsOverlapOnExclusiveResource) {
  const std::string lab = Register(Lab("Exclusive Lab"));
  Booking first, second;
  ASSERT_TRUE(Book(school_, lab, 9, 11, &first).ok());
  EXPECT_EQ(first.state(), BOOKING_STATE_CONFIRMED);
  EXPECT_EQ(first.organization_id(), "school");
  EXPECT_EQ(first.resource_id(), lab);

  auto overlap = Book(acme_, lab, 10, 12, &second);
  EXPECT_EQ(overlap.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(overlap), "SLOT_TAKEN");
  // The message says what to do, in words: no internal counter, a hint at holds and the waitlist.
  EXPECT_TRUE(absl::StrContains(overlap.error_message(), "JoinWaitlist"))
      << overlap.error_message();
  EXPECT_TRUE(absl::StrContains(overlap.error_message(), "hold")) << overlap.error_message();
  EXPECT_FALSE(std::any_of(overlap.error_message().begin(), overlap.error_message().end(),
                           [](char c) { return c >= '0' && c <= '9'; }))
      << overlap.error_message();
  // Touching is not overlapping.
  EXPECT_TRUE(Book(acme_, lab, 11, 12, &second).ok());
  EXPECT_TRUE(Book(acme_, lab, 8, 9, &second).ok());
}

TEST_F(SchedulerApiTest, AFarFutureBookingIsRefusedAndTheResourceStaysReadable) {
  const std::string lab = Register(Lab("Lab voor de lange termijn"));
  CreateBookingRequest request;
  request.set_resource_id(lab);
  *request.mutable_start_time() = At(9);
  request.mutable_end_time()->set_seconds(127174492800);  // year 6000
  Booking booked;
  const auto far = scheduler_->CreateBooking(As(school_).get(), request, &booked);
  EXPECT_EQ(far.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << far.error_message();
  EXPECT_EQ(BadField(far), "end_time");
  // The longest booking the limits allow (to the last second of the configured years) is stored
  // and read back: availability of the resource keeps answering.
  request.mutable_end_time()->set_seconds(7258118399);  // 2199-12-31T23:59:59Z
  const auto longest = scheduler_->CreateBooking(As(school_).get(), request, &booked);
  ASSERT_TRUE(longest.ok()) << longest.error_message();
  CheckAvailabilityRequest check;
  check.set_resource_id(lab);
  *check.mutable_start_time() = At(0);
  *check.mutable_end_time() = At(48);
  CheckAvailabilityResponse availability;
  const auto status = scheduler_->CheckAvailability(As(school_).get(), check, &availability);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(SchedulerApiTest, AResourceWithLiveBookingsIsNotDeletedAndItsIdIsNeverHandedOn) {
  reg::Resource kiosk = Lab("Kiosk met agenda");
  reg::CreateResourceRequest create;
  create.set_resource_id("acme-kiosk");
  *create.mutable_resource() = kiosk;
  reg::Resource created;
  ASSERT_TRUE(registry_->CreateResource(Admin().get(), create, &created).ok());
  Booking booked;
  ASSERT_TRUE(Book(school_, "acme-kiosk", 9, 11, &booked).ok());

  reg::DeleteResourceRequest remove;
  remove.set_id("acme-kiosk");
  reg::DeleteResponse deleted;
  const auto in_use = registry_->DeleteResource(Admin().get(), remove, &deleted);
  EXPECT_EQ(in_use.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << in_use.error_message();
  EXPECT_EQ(Reason(in_use), "IN_USE");
  Booking cancelled;
  ASSERT_TRUE(Cancel(acme_, booked.id(), &cancelled).ok());
  ASSERT_TRUE(registry_->DeleteResource(Admin().get(), remove, &deleted).ok());

  // Another organisation cannot take the id over, so it can read or cancel nothing of the old one.
  kiosk.set_owner_organization_id("outsider");
  kiosk.clear_shared_with_network_ids();
  *create.mutable_resource() = kiosk;
  const auto retaken = registry_->CreateResource(As(outsider_).get(), create, &created);
  EXPECT_EQ(retaken.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << retaken.error_message();
  EXPECT_EQ(Reason(retaken), "ID_RETIRED");
  GetBookingRequest get;
  get.set_id(booked.id());
  Booking seen;
  const auto foreign = scheduler_->GetBooking(As(outsider_).get(), get, &seen);
  EXPECT_FALSE(foreign.ok() && seen.title() == "Practical");
}

TEST_F(SchedulerApiTest, SharedCapacityCountsSeatsAtEveryMoment) {
  reg::Resource r = Lab("Shared Makerspace");
  r.set_booking_mode(reg::BOOKING_MODE_SHARED_CAPACITY);
  r.set_capacity(10);
  const std::string space = Register(r);
  Booking b;
  ASSERT_TRUE(Book(school_, space, 9, 12, &b, 6).ok());
  ASSERT_TRUE(Book(acme_, space, 11, 14, &b, 4).ok());
  // 9-11 has 6 taken, 11-12 has 10, 12-14 has 4.
  auto full = Book(bakery_, space, 10, 13, &b, 1);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(full), "CAPACITY_EXCEEDED");
  EXPECT_TRUE(Book(bakery_, space, 9, 11, &b, 4).ok());
  EXPECT_TRUE(Book(bakery_, space, 12, 14, &b, 6).ok());
  EXPECT_EQ(Reason(Book(bakery_, space, 13, 15, &b, 1)), "CAPACITY_EXCEEDED");

  CheckAvailabilityRequest check;
  check.set_resource_id(space);
  *check.mutable_start_time() = At(8);
  *check.mutable_end_time() = At(16);
  CheckAvailabilityResponse free;
  ASSERT_TRUE(scheduler_->CheckAvailability(As(outsider_).get(), check, &free).ok());
  EXPECT_EQ(free.capacity(), 10);
  ASSERT_EQ(free.free_size(), 2);  // 8-9 all ten seats, 14-16 all ten seats
  EXPECT_EQ(free.free(0).start_time().seconds(), At(8).seconds());
  EXPECT_EQ(free.free(0).end_time().seconds(), At(9).seconds());
  EXPECT_EQ(free.free(0).remaining_capacity(), 10);
  EXPECT_EQ(free.free(1).start_time().seconds(), At(14).seconds());
}

TEST_F(SchedulerApiTest, TurnaroundBuffersKeepBookingsApart) {
  reg::Resource r = Lab("Clean Room");
  r.mutable_booking_rules()->set_buffer_before_minutes(30);
  r.mutable_booking_rules()->set_buffer_after_minutes(60);
  const std::string room = Register(r);
  Booking b;
  ASSERT_TRUE(Book(school_, room, 10, 12, &b).ok());
  EXPECT_EQ(b.blocked_start_time().seconds(), At(9.5).seconds());
  EXPECT_EQ(b.blocked_end_time().seconds(), At(13).seconds());
  // After 12:00 the room needs an hour of cleaning, and a new booking half an hour of set-up.
  EXPECT_EQ(Reason(Book(acme_, room, 13, 14, &b)), "SLOT_TAKEN");
  EXPECT_TRUE(Book(acme_, room, 13.5, 14, &b).ok());
  // Buffers add up: this one's cleaning and the next one's set-up both need the room.
  EXPECT_EQ(Reason(Book(acme_, room, 8, 9, &b)), "SLOT_TAKEN");
  EXPECT_TRUE(Book(acme_, room, 8, 8.5, &b).ok());

  CheckAvailabilityRequest check;
  check.set_resource_id(room);
  *check.mutable_start_time() = At(7);
  *check.mutable_end_time() = At(16);
  CheckAvailabilityResponse free;
  ASSERT_TRUE(scheduler_->CheckAvailability(As(school_).get(), check, &free).ok());
  // Bookings 8-8:30 (blocks 7:30-9:30), 10-12 (9:30-13), 13:30-14 (13:00-15): a new booking
  // must end by 7:30 - 1h and start after 15:00 + 0:30.
  ASSERT_EQ(free.free_size(), 1);
  EXPECT_EQ(free.free(0).start_time().seconds(), At(15.5).seconds());
  EXPECT_EQ(free.free(0).end_time().seconds(), At(16).seconds());
  // A range that ends before the first booking's blocked time (7:30) still ends its free time an
  // hour before it: the booking blocks later than the range reaches, and counts all the same.
  *check.mutable_start_time() = At(5);
  *check.mutable_end_time() = At(7);
  ASSERT_TRUE(scheduler_->CheckAvailability(As(school_).get(), check, &free).ok());
  ASSERT_EQ(free.free_size(), 1);
  EXPECT_EQ(free.free(0).start_time().seconds(), At(5).seconds());
  EXPECT_EQ(free.free(0).end_time().seconds(), At(6.5).seconds());
  EXPECT_EQ(Reason(Book(acme_, room, 6.5, 7, &b)), "SLOT_TAKEN");  // what it said is not free
  EXPECT_TRUE(Book(acme_, room, 6, 6.5, &b).ok());                 // what it said is free
}

// The suite's server takes any whole second (its bookings are seconds long); by default, as
// configured in production, a booking starts and ends on a whole minute.
TEST_F(SchedulerApiTest, BookingTimesOffTheMinuteAreRefusedNamingTheField) {
  const std::string lab = Register(Lab("Whole Minute Lab"));
  TestServer minute(redis_->url());  // the default configuration: scheduler.time_step_s 60
  minute.WaitUntilServing();
  auto scheduler = minute.Scheduler();
  auto book = [&](int64_t start_offset_s, int64_t end_offset_s, int32_t nanos = 0) {
    CreateBookingRequest request;
    request.set_resource_id(lab);
    *request.mutable_start_time() = At(10);
    *request.mutable_end_time() = At(11);
    request.mutable_start_time()->set_seconds(request.start_time().seconds() + start_offset_s);
    request.mutable_end_time()->set_seconds(request.end_time().seconds() + end_offset_s);
    request.mutable_start_time()->set_nanos(nanos);
    Booking b;
    return scheduler->CreateBooking(As(school_).get(), request, &b);
  };
  auto off = book(30, 30);
  EXPECT_EQ(off.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(off), "start_time");
  EXPECT_NE(off.error_message().find("whole minute"), std::string::npos) << off.error_message();
  EXPECT_EQ(BadField(book(0, 1)), "end_time");
  EXPECT_EQ(BadField(book(0, 0, 250'000'000)), "start_time");
  auto whole = book(0, 0);
  EXPECT_TRUE(whole.ok()) << whole.error_message();
}

TEST_F(SchedulerApiTest, BadInputIsInvalidArgumentNamingTheField) {
  const std::string lab = Register(Lab("Validated Lab"));
  Booking b;
  auto backwards = Book(school_, lab, 12, 10, &b);
  EXPECT_EQ(backwards.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(backwards), "end_time");
  EXPECT_EQ(BadField(Book(school_, lab, 10, 10, &b)), "end_time");
  const std::string other = Register(Lab("Default Quantity Lab"));
  auto unset = Book(school_, other, 20, 22, &b, 0);  // unset quantity: one, as documented
  ASSERT_TRUE(unset.ok()) << unset.error_message();
  EXPECT_EQ(b.quantity(), 1);
  EXPECT_EQ(BadField(Book(school_, lab, 10, 12, &b, -3)), "quantity");
  EXPECT_EQ(BadField(Book(school_, lab, 10, 12, &b, 2)), "quantity");  // exclusive: capacity 1
  EXPECT_EQ(Book(school_, "no-such-lab", 10, 12, &b).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(BadField(Book(school_, "Bad Id!", 10, 12, &b)), "resource_id");
  EXPECT_EQ(BadField(Book(school_, lab, -24 * 30, -24 * 30 + 2, &b)), "start_time");

  CreateBookingRequest missing;
  missing.set_resource_id(lab);
  missing.set_quantity(1);
  EXPECT_EQ(BadField(scheduler_->CreateBooking(As(school_).get(), missing, &b)), "start_time");

  CheckAvailabilityRequest check;
  check.set_resource_id(lab);
  *check.mutable_start_time() = At(0);
  *check.mutable_end_time() = At(24 * 400);
  CheckAvailabilityResponse free;
  EXPECT_EQ(BadField(scheduler_->CheckAvailability(As(school_).get(), check, &free)), "end_time");

  ListBookingsRequest list;
  list.set_resource_id(lab);
  list.set_page_token("garbage");
  ListBookingsResponse page;
  EXPECT_EQ(BadField(scheduler_->ListBookings(As(school_).get(), list, &page)), "page_token");
  list.clear_page_token();
  list.set_organization_id("school");
  EXPECT_EQ(BadField(scheduler_->ListBookings(As(school_).get(), list, &page)), "resource_id");

  CancelBookingRequest cancel;
  cancel.set_id(lab + ".aaaaaaaaaaaa");
  EXPECT_EQ(BadField(scheduler_->CancelBooking(As(school_).get(), cancel, &b)), "reason");

  // Nothing was half-written: the lab is still entirely free.
  list.clear_organization_id();
  ASSERT_TRUE(scheduler_->ListBookings(As(school_).get(), list, &page).ok());
  EXPECT_EQ(page.bookings_size(), 0);
}

TEST_F(SchedulerApiTest, RulesOfTheResourceAreFailedPreconditionsWithAReason) {
  reg::Resource r = Lab("Ruled Lab");
  r.mutable_booking_rules()->set_min_duration_minutes(60);
  r.mutable_booking_rules()->set_max_duration_minutes(240);
  r.mutable_booking_rules()->set_max_advance_days(60);
  const std::string lab = Register(r);
  Booking b;
  EXPECT_EQ(Reason(Book(school_, lab, 9, 9.5, &b)), "DURATION_TOO_SHORT");
  EXPECT_EQ(Reason(Book(school_, lab, 9, 14, &b)), "DURATION_TOO_LONG");
  EXPECT_EQ(Reason(Book(school_, lab, 24 * 70, 24 * 70 + 2, &b)), "TOO_FAR_AHEAD");
  EXPECT_TRUE(Book(school_, lab, 9, 13, &b).ok());

  reg::Resource lead = Lab("Lead Time Lab");
  lead.mutable_booking_rules()->set_lead_time_minutes(60 * 24 * 30);
  const std::string lead_lab = Register(lead);
  EXPECT_EQ(Reason(Book(school_, lead_lab, 9, 10, &b)), "LEAD_TIME");

  reg::Resource retired = Lab("Retired Lab");
  retired.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_RETIRED);
  const std::string retired_lab = Register(retired);
  auto refused = Book(school_, retired_lab, 9, 10, &b);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(refused), "RESOURCE_RETIRED");
}

TEST_F(SchedulerApiTest, AvailabilityWindowsAndClosuresBoundBookings) {
  reg::Resource r = Lab("Office Hours Lab");
  r.set_time_zone("UTC");
  const std::string lab = Register(r);
  reg::PublishAvailabilityRequest publish;
  publish.set_resource_id(lab);
  auto* rule = publish.add_rules();
  rule->set_rrule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
  rule->set_start_time("08:00");
  rule->set_duration_minutes(9 * 60);
  rule->set_valid_from("2026-01-01");
  auto* closure = publish.add_closures();
  *closure->mutable_start_time() = At(24 + 12);  // Tuesday from noon
  *closure->mutable_end_time() = At(24 + 17);
  closure->set_kind(reg::CLOSURE_KIND_MAINTENANCE);
  reg::Availability published;
  ASSERT_TRUE(registry_->PublishAvailability(Admin().get(), publish, &published).ok());

  // The scheduler follows the registry's change log: wait until it has the new windows.
  Booking b;
  EXPECT_EQ(Reason(BookUntilOutsideAvailability(school_, lab, 7, 9)), "OUTSIDE_AVAILABILITY");
  EXPECT_EQ(Reason(Book(school_, lab, 16, 18, &b)), "OUTSIDE_AVAILABILITY");
  EXPECT_EQ(Reason(Book(school_, lab, 24 * 5 + 9, 24 * 5 + 10, &b)),
            "OUTSIDE_AVAILABILITY");                                                    // Saturday
  EXPECT_EQ(Reason(Book(school_, lab, 24 + 11, 24 + 13, &b)), "OUTSIDE_AVAILABILITY");  // closure
  EXPECT_TRUE(Book(school_, lab, 24 + 8, 24 + 12, &b).ok());
  EXPECT_TRUE(Book(school_, lab, 8, 17, &b).ok());

  CheckAvailabilityRequest check;
  check.set_resource_id(lab);
  *check.mutable_start_time() = At(24);
  *check.mutable_end_time() = At(48);
  CheckAvailabilityResponse free;
  ASSERT_TRUE(scheduler_->CheckAvailability(As(school_).get(), check, &free).ok());
  EXPECT_EQ(free.free_size(), 0);  // Tuesday 08-12 is booked and 12-17 closed

  *check.mutable_start_time() = At(48);  // Wednesday: open 08-17
  *check.mutable_end_time() = At(72);
  ASSERT_TRUE(scheduler_->CheckAvailability(As(school_).get(), check, &free).ok());
  ASSERT_EQ(free.free_size(), 1);
  EXPECT_EQ(free.free(0).start_time().seconds(), At(48 + 8).seconds());
  EXPECT_EQ(free.free(0).end_time().seconds(), At(48 + 17).seconds());
}

TEST_F(SchedulerApiTest, RetryWithTheSameRequestIdReturnsTheFirstResult) {
  const std::string lab = Register(Lab("Idempotent Lab"));
  Booking first, second;
  ASSERT_TRUE(Book(school_, lab, 9, 10, &first, 1, false, "retry-1").ok());
  ASSERT_TRUE(Book(school_, lab, 9, 10, &second, 1, false, "retry-1").ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(first.etag(), second.etag());

  Booking cancelled, again;
  CancelBookingRequest cancel;
  cancel.set_id(first.id());
  cancel.set_reason("double-booked our own room");
  cancel.set_request_id("retry-cancel");
  ASSERT_TRUE(scheduler_->CancelBooking(As(school_).get(), cancel, &cancelled).ok());
  ASSERT_TRUE(scheduler_->CancelBooking(As(school_).get(), cancel, &again).ok());
  EXPECT_EQ(again.state(), BOOKING_STATE_CANCELLED);
  EXPECT_EQ(again.etag(), cancelled.etag());

  ListBookingsRequest list;
  list.set_resource_id(lab);
  ListBookingsResponse page;
  ASSERT_TRUE(scheduler_->ListBookings(As(school_).get(), list, &page).ok());
  EXPECT_EQ(page.bookings_size(), 1);
}

// AIP-155: a request_id names one request. Reused with other parameters it is refused, naming the
// field, and nothing is written; the first request's retry still gets its first result.
TEST_F(SchedulerApiTest, ARequestIdReusedForADifferentRequestIsRefused) {
  const std::string lab = Register(Lab("Reused Key Lab"));
  Booking first, other, retry;
  ASSERT_TRUE(Book(school_, lab, 9, 10, &first, 1, false, "key-1").ok());
  auto reused = Book(school_, lab, 11, 12, &other, 1, false, "key-1");
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << reused.error_message();
  EXPECT_EQ(BadField(reused), "request_id");
  EXPECT_NE(reused.error_message().find("different request"), std::string::npos)
      << reused.error_message();
  EXPECT_EQ(reused.error_message().find("script"), std::string::npos) << reused.error_message();
  ASSERT_TRUE(Book(school_, lab, 9, 10, &retry, 1, false, "key-1").ok());
  EXPECT_EQ(retry.id(), first.id());

  // The same key on another method is another request, even when the bytes are the same: a
  // JoinWaitlistRequest with the booking's fields serializes exactly like the CreateBookingRequest.
  JoinWaitlistRequest join;
  join.set_resource_id(lab);
  *join.mutable_start_time() = At(9);
  *join.mutable_end_time() = At(10);
  join.set_quantity(1);
  join.set_title("Practical");
  join.set_request_id("key-1");
  WaitlistEntry entry;
  auto other_method = scheduler_->JoinWaitlist(As(school_).get(), join, &entry);
  EXPECT_EQ(other_method.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << other_method.error_message();
  EXPECT_EQ(BadField(other_method), "request_id");

  CancelBookingRequest cancel;
  cancel.set_id(first.id());
  cancel.set_reason("first reason");
  cancel.set_request_id("key-cancel");
  Booking cancelled;
  ASSERT_TRUE(scheduler_->CancelBooking(As(school_).get(), cancel, &cancelled).ok());
  cancel.set_reason("another reason");
  auto changed = scheduler_->CancelBooking(As(school_).get(), cancel, &cancelled);
  EXPECT_EQ(changed.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << changed.error_message();

  ListBookingsRequest list;
  list.set_resource_id(lab);
  ListBookingsResponse page;
  ASSERT_TRUE(scheduler_->ListBookings(As(school_).get(), list, &page).ok());
  EXPECT_EQ(page.bookings_size(), 1);  // the refused 11:00 booking was never written

  // A recurring series is one request, its rule included.
  CreateRecurringBookingRequest series;
  series.set_resource_id(lab);
  *series.mutable_start_time() = At(24 + 9);
  *series.mutable_end_time() = At(24 + 10);
  series.set_rrule("FREQ=DAILY;COUNT=2");
  series.set_request_id("key-series");
  CreateRecurringBookingResponse made;
  ASSERT_TRUE(scheduler_->CreateRecurringBooking(As(school_).get(), series, &made).ok());
  series.set_rrule("FREQ=DAILY;COUNT=3");
  auto longer = scheduler_->CreateRecurringBooking(As(school_).get(), series, &made);
  EXPECT_EQ(longer.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << longer.error_message();
}

TEST_F(SchedulerApiTest, HoldSubmitApproveAndRejectFollowTheLifecycle) {
  reg::Resource r = Lab("Approval Lab");
  r.set_approval_required(true);
  const std::string lab = Register(r);
  Booking hold;
  ASSERT_TRUE(Book(school_, lab, 9, 10, &hold, 1, true).ok());
  EXPECT_EQ(hold.state(), BOOKING_STATE_HELD);
  EXPECT_TRUE(hold.has_hold_expire_time());

  Booking b;
  SubmitBookingRequest submit;
  submit.set_id(hold.id());
  ASSERT_TRUE(scheduler_->SubmitBooking(As(school_).get(), submit, &b).ok());
  EXPECT_EQ(b.state(), BOOKING_STATE_PENDING_APPROVAL);
  // A pending request blocks the slot.
  EXPECT_EQ(Reason(Book(bakery_, lab, 9, 10, &b)), "SLOT_TAKEN");

  ApproveBookingRequest approve;
  approve.set_id(hold.id());
  EXPECT_EQ(scheduler_->ApproveBooking(As(school_).get(), approve, &b).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // the booker does not approve itself
  ASSERT_TRUE(scheduler_->ApproveBooking(As(acme_).get(), approve, &b).ok());
  EXPECT_EQ(b.state(), BOOKING_STATE_CONFIRMED);
  auto twice = scheduler_->ApproveBooking(As(acme_).get(), approve, &b);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(twice), "INVALID_STATE");

  Booking request;
  ASSERT_TRUE(Book(bakery_, lab, 11, 12, &request).ok());
  EXPECT_EQ(request.state(), BOOKING_STATE_PENDING_APPROVAL);
  RejectBookingRequest reject;
  reject.set_id(request.id());
  reject.set_reason("the lab is reserved for exams that day");
  ASSERT_TRUE(scheduler_->RejectBooking(As(acme_).get(), reject, &b).ok());
  EXPECT_EQ(b.state(), BOOKING_STATE_REJECTED);
  EXPECT_EQ(b.reason(), "the lab is reserved for exams that day");
  // A rejection frees the slot; the owner's own bookings need no approval.
  ASSERT_TRUE(Book(acme_, lab, 11, 12, &b).ok());
  EXPECT_EQ(b.state(), BOOKING_STATE_CONFIRMED);
}

TEST_F(SchedulerApiTest, LapsedHoldsNeverBlockAndExpire) {
  const std::string lab = Register(Lab("Hold Lab"));
  Booking hold, b;
  ASSERT_TRUE(Book(school_, lab, 9, 10, &hold, 1, true).ok());
  EXPECT_EQ(Reason(Book(acme_, lab, 9, 10, &b)), "SLOT_TAKEN");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the test config's hold TTL: 1 s
  ASSERT_TRUE(Book(acme_, lab, 9, 10, &b).ok());
  Booking lapsed = AwaitState(hold.id(), BOOKING_STATE_EXPIRED);
  EXPECT_EQ(lapsed.state(), BOOKING_STATE_EXPIRED);
  SubmitBookingRequest submit;
  submit.set_id(hold.id());
  auto late = scheduler_->SubmitBooking(As(school_).get(), submit, &b);
  EXPECT_EQ(Reason(late), "HOLD_EXPIRED");

  // The sweeper expires a hold nobody touches.
  Booking idle;
  ASSERT_TRUE(Book(school_, lab, 12, 13, &idle, 1, true).ok());
  EXPECT_EQ(AwaitState(idle.id(), BOOKING_STATE_EXPIRED).state(), BOOKING_STATE_EXPIRED);
}

TEST_F(SchedulerApiTest, WaitlistPromotesTheFirstWaitingPartnerWhenASlotFrees) {
  const std::string lab = Register(Lab("Popular Lab"));
  Booking taken, b;
  ASSERT_TRUE(Book(school_, lab, 9, 10, &taken).ok());
  auto join = [&](const std::string& token, double from_h, double to_h, WaitlistEntry* out) {
    JoinWaitlistRequest request;
    request.set_resource_id(lab);
    *request.mutable_start_time() = At(from_h);
    *request.mutable_end_time() = At(to_h);
    request.set_quantity(1);
    request.set_title("waiting");
    return scheduler_->JoinWaitlist(As(token).get(), request, out);
  };
  WaitlistEntry first, second, third, free_slot;
  EXPECT_EQ(Reason(join(bakery_, 12, 13, &free_slot)), "SLOT_AVAILABLE");
  EXPECT_EQ(join(outsider_, 9, 10, &free_slot).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(join(bakery_, 9, 10, &first).ok());
  EXPECT_EQ(first.state(), WAITLIST_STATE_WAITING);
  ASSERT_TRUE(join(acme_, 9.5, 10, &second).ok());
  ASSERT_TRUE(join(school_, 9, 9.5, &third).ok());
  LeaveWaitlistRequest leave;
  leave.set_id(third.id());
  EXPECT_EQ(scheduler_->LeaveWaitlist(As(bakery_).get(), leave, &third).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(scheduler_->LeaveWaitlist(As(school_).get(), leave, &third).ok());
  EXPECT_EQ(third.state(), WAITLIST_STATE_LEFT);

  ListWaitlistRequest list;
  list.set_resource_id(lab);
  ListWaitlistResponse waiting;
  ASSERT_TRUE(scheduler_->ListWaitlist(As(outsider_).get(), list, &waiting).ok());
  ASSERT_EQ(waiting.entries_size(), 2);
  EXPECT_EQ(waiting.entries(0).id(), first.id());
  EXPECT_TRUE(waiting.entries(0).organization_id().empty());  // redacted for others

  // The slot frees: the first in line gets a hold, the second keeps waiting (it overlaps).
  ASSERT_TRUE(Cancel(school_, taken.id(), &b).ok());
  Booking promoted = Get(bakery_, first.id());
  EXPECT_EQ(promoted.state(), BOOKING_STATE_HELD);
  EXPECT_EQ(promoted.organization_id(), "bakery");
  ASSERT_TRUE(scheduler_->ListWaitlist(As(acme_).get(), list, &waiting).ok());
  ASSERT_EQ(waiting.entries_size(), 1);
  EXPECT_EQ(waiting.entries(0).id(), second.id());

  // Nobody submits the hold: when it lapses, the next in line gets one.
  Booking next = AwaitState(second.id(), BOOKING_STATE_HELD);
  EXPECT_EQ(next.state(), BOOKING_STATE_HELD);
  EXPECT_EQ(next.organization_id(), "acme");
  EXPECT_EQ(Get(kAdminToken, first.id()).state(), BOOKING_STATE_EXPIRED);
  SubmitBookingRequest submit;
  submit.set_id(second.id());
  ASSERT_TRUE(scheduler_->SubmitBooking(As(acme_).get(), submit, &b).ok());
  EXPECT_EQ(b.state(), BOOKING_STATE_CONFIRMED);
}

// Once its slot has begun, a hold is not confirmed (it would be a no-show at the next sweep, and
// count as used time), and a waiting entry for it has expired: the list no longer shows it, and
// leaving it says so. A server of its own: holds that last, no-shows not swept within the test.
TEST_F(SchedulerApiTest, AHoldOrAWaitingEntryWhoseSlotBeganIsNoLongerTaken) {
  const std::string lab = Register(Lab("Started Slot Lab"));
  Config config = TestServer::DefaultConfig();
  config.scheduler.time_step_s = 1;
  config.scheduler.hold_ttl_s = 600;
  TestServer later(redis_->url(), config);
  later.WaitUntilServing();
  auto scheduler = later.Scheduler();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto book = [&](const std::string& token, int64_t start, bool hold, Booking* out) {
    CreateBookingRequest request;
    request.set_resource_id(lab);
    request.mutable_start_time()->set_seconds(start);
    request.mutable_end_time()->set_seconds(start + 3600);
    request.set_hold(hold);
    return scheduler->CreateBooking(As(token).get(), request, out);
  };
  Booking soon, later_hold, b;
  ASSERT_TRUE(book(school_, now + 3, true, &soon).ok());
  ASSERT_TRUE(book(school_, now + 3 * 3600, true, &later_hold).ok());
  JoinWaitlistRequest join;
  join.set_resource_id(lab);
  *join.mutable_start_time() = soon.start_time();
  *join.mutable_end_time() = soon.end_time();
  WaitlistEntry entry;
  ASSERT_TRUE(scheduler->JoinWaitlist(As(bakery_).get(), join, &entry).ok());
  ListWaitlistRequest list;
  list.set_resource_id(lab);
  ListWaitlistResponse waiting;
  ASSERT_TRUE(scheduler->ListWaitlist(As(acme_).get(), list, &waiting).ok());
  ASSERT_EQ(waiting.entries_size(), 1);

  while (std::chrono::system_clock::now().time_since_epoch() <= std::chrono::seconds(now + 4))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  SubmitBookingRequest submit;
  submit.set_id(soon.id());
  auto late = scheduler->SubmitBooking(As(school_).get(), submit, &b);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << late.error_message();
  EXPECT_EQ(Reason(late), "SLOT_STARTED");
  submit.set_id(later_hold.id());  // one whose slot is still to come is confirmed
  ASSERT_TRUE(scheduler->SubmitBooking(As(school_).get(), submit, &b).ok());
  EXPECT_EQ(b.state(), BOOKING_STATE_CONFIRMED);

  ASSERT_TRUE(scheduler->ListWaitlist(As(acme_).get(), list, &waiting).ok());
  EXPECT_EQ(waiting.entries_size(), 0);
  LeaveWaitlistRequest leave;
  leave.set_id(entry.id());
  ASSERT_TRUE(scheduler->LeaveWaitlist(As(bakery_).get(), leave, &entry).ok());
  EXPECT_EQ(entry.state(), WAITLIST_STATE_EXPIRED);
}

// A resource that publishes closures and no weekly hours is open at any time but the closures
// (before, one closure closed it for good); one not in use shows nothing free.
TEST_F(SchedulerApiTest, AClosureAloneClosesOnlyItsOwnTimeAndAResourceNotInUseHasNothingFree) {
  reg::Resource r = Lab("Closure Only Lab");
  r.set_time_zone("UTC");
  const std::string lab = Register(r);
  reg::PublishAvailabilityRequest publish;
  publish.set_resource_id(lab);
  auto* closure = publish.add_closures();
  *closure->mutable_start_time() = At(24 + 12);
  *closure->mutable_end_time() = At(24 + 17);
  closure->set_kind(reg::CLOSURE_KIND_MAINTENANCE);
  reg::Availability published;
  ASSERT_TRUE(registry_->PublishAvailability(Admin().get(), publish, &published).ok());
  Booking b;
  EXPECT_EQ(Reason(BookUntilOutsideAvailability(school_, lab, 24 + 13, 24 + 14)),
            "OUTSIDE_AVAILABILITY");
  CheckAvailabilityRequest check;
  check.set_resource_id(lab);
  *check.mutable_start_time() = At(24);
  *check.mutable_end_time() = At(48);
  CheckAvailabilityResponse free;
  ASSERT_TRUE(scheduler_->CheckAvailability(As(school_).get(), check, &free).ok());
  ASSERT_EQ(free.free_size(), 2);
  EXPECT_EQ(free.free(0).start_time().seconds(), At(24).seconds());
  EXPECT_EQ(free.free(0).end_time().seconds(), At(24 + 12).seconds());
  EXPECT_EQ(free.free(1).start_time().seconds(), At(24 + 17).seconds());
  EXPECT_EQ(free.free(1).end_time().seconds(), At(48).seconds());
  EXPECT_TRUE(Book(school_, lab, 24 + 9, 24 + 10, &b).ok());
  EXPECT_TRUE(Book(school_, lab, 24 * 5 + 20, 24 * 5 + 22, &b).ok());  // Saturday night too

  for (auto state : {reg::LIFECYCLE_STATE_MAINTENANCE, reg::LIFECYCLE_STATE_PLANNED}) {
    reg::Resource idle = Lab("Idle Lab");
    idle.mutable_lifecycle()->set_state(state);
    if (state == reg::LIFECYCLE_STATE_PLANNED)
      idle.mutable_lifecycle()->set_expected_date("2099-01-01");
    check.set_resource_id(Register(idle));
    ASSERT_TRUE(scheduler_->CheckAvailability(As(school_).get(), check, &free).ok());
    EXPECT_EQ(free.free_size(), 0) << reg::LifecycleState_Name(state);
  }
}

// FindSlots offers only slots a booking can take: on scheduler.time_step_s, of a length that is a
// whole number of steps (before, it offered 10:07 where bookings go by quarter hours).
TEST_F(SchedulerApiTest, FoundSlotsKeepToTheBookingStep) {
  reg::Resource r = Lab("Quarter Hour Lab");
  r.mutable_location()->mutable_point()->set_latitude(51.9);
  r.mutable_location()->mutable_point()->set_longitude(4.4);
  const std::string lab = Register(r);
  Config config = TestServer::DefaultConfig();
  config.scheduler.time_step_s = 900;
  TestServer quarter(redis_->url(), config);
  quarter.WaitUntilServing();
  auto scheduler = quarter.Scheduler();
  FindSlotsRequest request;
  request.mutable_search()->mutable_within()->mutable_center()->set_latitude(51.9);
  request.mutable_search()->mutable_within()->mutable_center()->set_longitude(4.4);
  request.mutable_search()->mutable_within()->set_radius_km(1);
  request.set_duration_minutes(10);
  FindSlotsResponse found;
  auto short_one = scheduler->FindSlots(As(school_).get(), request, &found);
  EXPECT_EQ(BadField(short_one), "duration_minutes") << short_one.error_message();
  request.set_duration_minutes(45);
  request.set_max_results(3);
  // From seven minutes past a quarter hour: the first slot is at the next quarter hour.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  request.mutable_start_time()->set_seconds((now / 900 + 2) * 900 + 7 * 60);
  request.mutable_end_time()->set_seconds(request.start_time().seconds() + 12 * 3600);
  grpc::Status status;
  for (int i = 0; i < 100 && found.slots_size() == 0; ++i) {  // until it knows the lab
    status = scheduler->FindSlots(As(school_).get(), request, &found);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (found.slots_size() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(found.slots_size(), 3);
  EXPECT_EQ(found.slots(0).start_time().seconds(), request.start_time().seconds() + 8 * 60);
  for (const auto& slot : found.slots()) {
    EXPECT_EQ(slot.start_time().seconds() % 900, 0) << slot.start_time().seconds();
    EXPECT_EQ(slot.end_time().seconds() - slot.start_time().seconds(), 45 * 60);
  }
  CreateBookingRequest book;
  book.set_resource_id(lab);
  *book.mutable_start_time() = found.slots(0).start_time();
  *book.mutable_end_time() = found.slots(0).end_time();
  Booking b;
  auto booked = scheduler->CreateBooking(As(school_).get(), book, &b);
  EXPECT_TRUE(booked.ok()) << booked.error_message();
}

// A waiting entry joined under the facts of then; the hold it becomes is confirmed only if the
// resource still takes it: not inside a closure published since, not beyond a lowered capacity.
TEST_F(SchedulerApiTest, APromotedHoldIsConfirmedOnlyIfTheResourceStillTakesIt) {
  auto wait = [&](const std::string& resource, double from_h, double to_h, int quantity) {
    JoinWaitlistRequest request;
    request.set_resource_id(resource);
    *request.mutable_start_time() = At(from_h);
    *request.mutable_end_time() = At(to_h);
    request.set_quantity(quantity);
    request.set_title("waiting");
    WaitlistEntry entry;
    auto status = scheduler_->JoinWaitlist(As(bakery_).get(), request, &entry);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return entry;
  };
  auto submit = [&](const std::string& id) {
    SubmitBookingRequest request;
    request.set_id(id);
    Booking out;
    return scheduler_->SubmitBooking(As(bakery_).get(), request, &out);
  };

  // A closure over the slot, published after the entry joined.
  const std::string lab = Register(Lab("Closing Lab"));
  Booking taken, b;
  ASSERT_TRUE(Book(school_, lab, 9, 10, &taken).ok());
  const WaitlistEntry entry = wait(lab, 9, 10, 1);
  reg::PublishAvailabilityRequest publish;
  publish.set_resource_id(lab);
  auto* closure = publish.add_closures();
  *closure->mutable_start_time() = At(8);
  *closure->mutable_end_time() = At(12);
  closure->set_kind(reg::CLOSURE_KIND_MAINTENANCE);
  reg::Availability published;
  ASSERT_TRUE(registry_->PublishAvailability(Admin().get(), publish, &published).ok());
  ASSERT_EQ(Reason(BookUntilOutsideAvailability(acme_, lab, 11, 11.5)), "OUTSIDE_AVAILABILITY");
  ASSERT_TRUE(Cancel(kAdminToken, taken.id(), &b).ok());  // the owner cancels: the slot frees
  ASSERT_EQ(Get(bakery_, entry.id()).state(), BOOKING_STATE_HELD);
  const auto inside = submit(entry.id());
  EXPECT_EQ(inside.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(inside), "OUTSIDE_AVAILABILITY") << inside.error_message();
  EXPECT_EQ(Get(bakery_, entry.id()).state(), BOOKING_STATE_HELD);

  // A capacity lowered after the entry joined.
  reg::Resource room = Lab("Shrinking Room");
  room.set_booking_mode(reg::BOOKING_MODE_SHARED_CAPACITY);
  room.set_capacity(4);
  const std::string shared = Register(room);
  ASSERT_TRUE(Book(school_, shared, 9, 10, &taken, 4).ok());
  const WaitlistEntry seats = wait(shared, 9, 10, 3);
  reg::UpdateResourceRequest update;
  update.mutable_resource()->set_id(shared);
  update.mutable_resource()->set_capacity(2);
  update.mutable_update_mask()->add_paths("capacity");
  reg::Resource updated;
  ASSERT_TRUE(registry_->UpdateResource(Admin().get(), update, &updated).ok());
  CheckAvailabilityRequest check;
  check.set_resource_id(shared);
  *check.mutable_start_time() = At(12);
  *check.mutable_end_time() = At(13);
  CheckAvailabilityResponse free;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(scheduler_->CheckAvailability(As(school_).get(), check, &free).ok());
    if (free.capacity() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(free.capacity(), 2);
  ASSERT_TRUE(Cancel(kAdminToken, taken.id(), &b).ok());
  ASSERT_EQ(Get(bakery_, seats.id()).state(), BOOKING_STATE_HELD);
  const auto beyond = submit(seats.id());
  EXPECT_EQ(beyond.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(beyond), "CAPACITY_EXCEEDED") << beyond.error_message();
  // What still fits is confirmed as ever.
  ASSERT_TRUE(Book(bakery_, shared, 14, 15, &b, 2, true).ok());
  ASSERT_EQ(b.state(), BOOKING_STATE_HELD);
  EXPECT_TRUE(submit(b.id()).ok());
}

TEST_F(SchedulerApiTest, QuotaLimitsEachOrganisationPerPeriodButNotTheOwner) {
  reg::Resource r = Lab("Quota Lab");
  r.set_time_zone("UTC");
  r.mutable_booking_rules()->set_quota_hours(3);
  r.mutable_booking_rules()->set_quota_period(reg::QUOTA_PERIOD_WEEK);
  const std::string lab = Register(r);
  Booking two, one, b;
  ASSERT_TRUE(Book(school_, lab, 9, 11, &two).ok());
  ASSERT_TRUE(Book(school_, lab, 11, 12, &one).ok());
  auto over = Book(school_, lab, 24 + 9, 24 + 10, &b);  // Tuesday, same ISO week
  EXPECT_EQ(over.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(over), "QUOTA_EXCEEDED");
  EXPECT_TRUE(Book(school_, lab, 7 * 24 + 9, 7 * 24 + 12, &b).ok());  // next week: a new quota
  EXPECT_TRUE(Book(bakery_, lab, 24 + 9, 24 + 12, &b).ok());          // each organisation its own
  EXPECT_TRUE(Book(acme_, lab, 2 * 24 + 8, 2 * 24 + 14, &b).ok());    // the owner is not limited
  // A cancellation gives the hours back.
  ASSERT_TRUE(Cancel(school_, one.id(), &b).ok());
  EXPECT_TRUE(Book(school_, lab, 24 + 13, 24 + 14, &b).ok());
  EXPECT_EQ(Reason(Book(school_, lab, 24 + 15, 24 + 16, &b)), "QUOTA_EXCEEDED");
}

TEST_F(SchedulerApiTest, SmeShareIsReservedUntilTheReleaseDate) {
  // Open Mondays 09:00-13:00 (4 hours a week); half is kept for SME partners.
  auto make = [&](const std::string& name, int release_days) {
    reg::Resource r = Lab(name);
    r.set_time_zone("UTC");
    r.mutable_booking_rules()->set_sme_share_percent(50);
    r.mutable_booking_rules()->set_sme_release_days(release_days);
    const std::string id = Register(r);
    reg::PublishAvailabilityRequest publish;
    publish.set_resource_id(id);
    auto* rule = publish.add_rules();
    rule->set_rrule("FREQ=WEEKLY;BYDAY=MO");
    rule->set_start_time("09:00");
    rule->set_duration_minutes(240);
    rule->set_valid_from("2026-01-01");
    reg::Availability out;
    EXPECT_TRUE(registry_->PublishAvailability(Admin().get(), publish, &out).ok());
    return id;
  };
  const std::string reserved = make("SME Reserved Lab", 1);    // our slots are >= 14 days away
  const std::string released = make("SME Released Lab", 365);  // ...and well within 365 days
  Booking b;
  grpc::Status status;
  for (int i = 0; i < 100; ++i) {  // until the scheduler has the published hours
    status = Book(school_, released, 7, 8, &b);
    if (Reason(status) == "OUTSIDE_AVAILABILITY") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(Reason(status), "OUTSIDE_AVAILABILITY");
  ASSERT_TRUE(Book(school_, reserved, 9, 11, &b).ok());  // 2 of the 4 hours: the non-SME half
  auto refused = Book(school_, reserved, 11, 12, &b);
  EXPECT_EQ(Reason(refused), "SME_RESERVED");
  EXPECT_TRUE(Book(bakery_, reserved, 11, 13, &b).ok());  // an SME partner takes the reserved half
  EXPECT_TRUE(Book(acme_, reserved, 7 * 24 + 9, 7 * 24 + 13, &b).ok());  // the owner is not limited
  // Closer than the release date, anyone books all of it.
  EXPECT_TRUE(Book(school_, released, 9, 11, &b).ok());
  EXPECT_TRUE(Book(school_, released, 11, 13, &b).ok());
}

TEST_F(SchedulerApiTest, TrainingRequiredResourcesNeedARecordedTraining) {
  reg::Resource r = Lab("Laser Lab");
  r.set_training_required(true);
  const std::string lab = Register(r);
  Booking b;
  EXPECT_EQ(Reason(Book(school_, lab, 9, 10, &b)), "TRAINING_REQUIRED");
  RecordTrainingRequest record;
  record.set_resource_id(lab);
  record.set_organization_id("school");
  RecordTrainingResponse trained;
  EXPECT_EQ(scheduler_->RecordTraining(As(school_).get(), record, &trained).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // only the owner records it
  ASSERT_TRUE(scheduler_->RecordTraining(As(acme_).get(), record, &trained).ok());
  ASSERT_EQ(trained.trained_organization_ids_size(), 1);
  EXPECT_TRUE(Book(school_, lab, 9, 10, &b).ok());
  EXPECT_TRUE(Book(acme_, lab, 10, 11, &b).ok());  // the owner needs no record
  record.set_revoke(true);
  ASSERT_TRUE(scheduler_->RecordTraining(As(acme_).get(), record, &trained).ok());
  EXPECT_EQ(trained.trained_organization_ids_size(), 0);
  EXPECT_EQ(Reason(Book(school_, lab, 12, 13, &b)), "TRAINING_REQUIRED");
}

TEST_F(SchedulerApiTest, CalendarFeedParsesBackIntoTheSameEvents) {
  const std::string lab = Register(Lab("Calendar Lab"));
  Booking confirmed, held, cancelled, b;
  ASSERT_TRUE(Book(school_, lab, 9, 11, &confirmed).ok());
  ASSERT_TRUE(Book(school_, lab, 12, 13.5, &held, 1, true).ok());
  ASSERT_TRUE(Book(school_, lab, 14, 15, &cancelled).ok());
  ASSERT_TRUE(Cancel(school_, cancelled.id(), &b).ok());
  ExportCalendarRequest request;
  request.set_resource_id(lab);
  *request.mutable_start_time() = At(0);
  *request.mutable_end_time() = At(24);
  auto parse = [](const std::string& text) {
    std::map<std::string, std::tuple<int64_t, int64_t, std::string, icalproperty_status>> events;
    icalcomponent* calendar = icalparser_parse_string(text.c_str());
    EXPECT_NE(calendar, nullptr);
    if (calendar == nullptr) return events;
    for (icalcomponent* e = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
         e != nullptr; e = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
      events[icalcomponent_get_uid(e)] = {icaltime_as_timet(icalcomponent_get_dtstart(e)),
                                          icaltime_as_timet(icalcomponent_get_dtend(e)),
                                          icalcomponent_get_summary(e),
                                          icalcomponent_get_status(e)};
    }
    icalcomponent_free(calendar);
    return events;
  };
  ExportCalendarResponse feed;
  ASSERT_TRUE(scheduler_->ExportCalendar(As(school_).get(), request, &feed).ok());
  EXPECT_EQ(feed.events(), 2);
  auto events = parse(feed.ical());
  ASSERT_EQ(events.size(), 2u);
  const auto& first = events.at(confirmed.id() + "@infrashare");
  EXPECT_EQ(std::get<0>(first), At(9).seconds());
  EXPECT_EQ(std::get<1>(first), At(11).seconds());
  EXPECT_EQ(std::get<2>(first), "Practical");
  EXPECT_EQ(std::get<3>(first), ICAL_STATUS_CONFIRMED);
  const auto& second = events.at(held.id() + "@infrashare");
  EXPECT_EQ(std::get<1>(second), At(13.5).seconds());
  EXPECT_EQ(std::get<3>(second), ICAL_STATUS_TENTATIVE);
  EXPECT_EQ(events.count(cancelled.id() + "@infrashare"), 0u);

  // Someone else's feed of the same resource shows busy time, not whose.
  ASSERT_TRUE(scheduler_->ExportCalendar(As(outsider_).get(), request, &feed).ok());
  events = parse(feed.ical());
  EXPECT_EQ(std::get<2>(events.at(confirmed.id() + "@infrashare")), "Busy");
  EXPECT_EQ(feed.ical().find("school"), std::string::npos);

  ExportCalendarRequest by_org;
  by_org.set_organization_id("school");
  ASSERT_TRUE(scheduler_->ExportCalendar(As(school_).get(), by_org, &feed).ok());
  EXPECT_GE(feed.events(), 2);
  EXPECT_EQ(scheduler_->ExportCalendar(As(bakery_).get(), by_org, &feed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Naming neither the organisation nor a resource: the caller's own, as named.
  ExportCalendarResponse own, named_feed;
  ASSERT_TRUE(scheduler_->ExportCalendar(As(school_).get(), by_org, &named_feed).ok());
  ASSERT_TRUE(scheduler_->ExportCalendar(As(school_).get(), ExportCalendarRequest(), &own).ok());
  EXPECT_EQ(own.events(), named_feed.events());
  ListBookingsRequest mine, named;
  named.set_organization_id("school");
  ListBookingsResponse mine_page, named_page;
  ASSERT_TRUE(scheduler_->ListBookings(As(school_).get(), mine, &mine_page).ok());
  ASSERT_TRUE(scheduler_->ListBookings(As(school_).get(), named, &named_page).ok());
  EXPECT_GE(mine_page.bookings_size(), 2);
  EXPECT_EQ(mine_page.DebugString(), named_page.DebugString());
}

TEST_F(SchedulerApiTest, FindSlotsReturnsTheEarliestFreeSlotsOfMatchingResources) {
  auto lab = [&](const std::string& name, double lat, reg::Theme theme) {
    reg::Resource r = Lab(name);
    r.mutable_location()->mutable_point()->set_latitude(lat);
    r.mutable_location()->mutable_point()->set_longitude(7.5);
    r.add_themes(theme);
    return r;
  };
  const std::string busy = Register(lab("Slot Finder Busy", 53.0, reg::THEME_MANUFACTURING));
  const std::string free = Register(lab("Slot Finder Free", 53.1, reg::THEME_MANUFACTURING));
  Register(lab("Slot Finder Far", 54.5, reg::THEME_MANUFACTURING));
  Register(lab("Slot Finder Food", 53.0, reg::THEME_FOOD));
  reg::Resource closed = lab("Slot Finder Closed", 53.0, reg::THEME_MANUFACTURING);
  closed.set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  Register(closed);
  Booking b;
  ASSERT_TRUE(Book(acme_, busy, 9, 13, &b).ok());
  ASSERT_TRUE(Book(acme_, free, 8, 8.5, &b).ok());

  FindSlotsRequest request;
  request.mutable_search()->add_themes(reg::THEME_MANUFACTURING);
  request.mutable_search()->mutable_within()->mutable_center()->set_latitude(53.05);
  request.mutable_search()->mutable_within()->mutable_center()->set_longitude(7.5);
  request.mutable_search()->mutable_within()->set_radius_km(30);
  request.set_duration_minutes(4 * 60);
  *request.mutable_start_time() = At(8);
  *request.mutable_end_time() = At(20);
  request.set_max_results(3);
  FindSlotsResponse found;
  ASSERT_TRUE(scheduler_->FindSlots(As(school_).get(), request, &found).ok());
  EXPECT_EQ(found.resources_considered(), 2);  // far, food and owner-only are not candidates
  EXPECT_EQ(found.resources_matched(), 3);     // busy, free and owner-only are within the circle
  ASSERT_EQ(found.passed_over_size(), 1);
  EXPECT_EQ(found.passed_over(0).display_name(), "Slot Finder Closed");
  EXPECT_EQ(found.passed_over(0).reason(), PASS_OVER_REASON_NOT_SHARED);
  // "Free" from 08:30 (back to back: 08:30, 12:30); "busy" only from 13:00 (08-09 is too short).
  ASSERT_EQ(found.slots_size(), 3);
  EXPECT_EQ(found.slots(0).resource_id(), free);
  EXPECT_EQ(found.slots(0).start_time().seconds(), At(8.5).seconds());
  EXPECT_EQ(found.slots(0).end_time().seconds(), At(12.5).seconds());
  EXPECT_EQ(found.slots(1).resource_id(), free);
  EXPECT_EQ(found.slots(1).start_time().seconds(), At(12.5).seconds());
  EXPECT_EQ(found.slots(2).resource_id(), busy);
  EXPECT_EQ(found.slots(2).start_time().seconds(), At(13).seconds());
  EXPECT_GT(found.slots(0).distance_km(), 0);
  // Each slot found can be booked.
  CreateBookingRequest book;
  book.set_resource_id(found.slots(2).resource_id());
  *book.mutable_start_time() = found.slots(2).start_time();
  *book.mutable_end_time() = found.slots(2).end_time();
  book.set_quantity(1);
  EXPECT_TRUE(scheduler_->CreateBooking(As(school_).get(), book, &b).ok());

  request.set_duration_minutes(0);
  EXPECT_EQ(BadField(scheduler_->FindSlots(As(school_).get(), request, &found)),
            "duration_minutes");
}

TEST_F(SchedulerApiTest, FindSlotsSaysWhyEachResourceFoundGaveNoSlot) {
  // Every lab on one spot far from the others' labs, each left out for another reason.
  auto lab = [&](const std::string& name) {
    reg::Resource r = Lab(name);
    r.set_time_zone("UTC");
    r.mutable_location()->mutable_point()->set_latitude(51.3);
    r.mutable_location()->mutable_point()->set_longitude(3.7);
    return r;
  };
  std::map<std::string, PassOverReason> expected;
  auto add = [&](const reg::Resource& r, PassOverReason reason) {
    const std::string id = Register(r);
    expected[id] = reason;
    return id;
  };
  const std::string free = Register(lab("Why Free"));
  reg::Resource r = lab("Why Owner Only");
  r.set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  add(r, PASS_OVER_REASON_NOT_SHARED);
  r = lab("Why Laser");
  r.set_training_required(true);
  add(r, PASS_OVER_REASON_TRAINING_REQUIRED);
  r = lab("Why Maintenance");
  r.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_MAINTENANCE);
  add(r, PASS_OVER_REASON_NOT_IN_SERVICE);
  r = lab("Why Short");
  r.mutable_booking_rules()->set_max_duration_minutes(60);
  add(r, PASS_OVER_REASON_DURATION);
  r = lab("Why Lead");
  r.mutable_booking_rules()->set_lead_time_minutes(60 * 24 * 60);
  add(r, PASS_OVER_REASON_LEAD_TIME);
  r = lab("Why Ahead");
  r.mutable_booking_rules()->set_max_advance_days(7);  // the window is two weeks ahead or more
  add(r, PASS_OVER_REASON_TOO_FAR_AHEAD);
  const std::string full = add(lab("Why Full"), PASS_OVER_REASON_FULLY_BOOKED);
  const std::string weekends = add(lab("Why Weekends"), PASS_OVER_REASON_CLOSED);
  reg::PublishAvailabilityRequest publish;
  publish.set_resource_id(weekends);
  auto* rule = publish.add_rules();
  rule->set_rrule("FREQ=WEEKLY;BYDAY=SA,SU");
  rule->set_start_time("08:00");
  rule->set_duration_minutes(9 * 60);
  rule->set_valid_from("2026-01-01");
  reg::Availability published;
  ASSERT_TRUE(registry_->PublishAvailability(Admin().get(), publish, &published).ok());
  Booking b;
  ASSERT_TRUE(Book(acme_, full, 8, 20, &b).ok());

  FindSlotsRequest request;
  request.mutable_search()->mutable_within()->mutable_center()->set_latitude(51.3);
  request.mutable_search()->mutable_within()->mutable_center()->set_longitude(3.7);
  request.mutable_search()->mutable_within()->set_radius_km(1);
  request.set_duration_minutes(120);
  *request.mutable_start_time() = At(8);  // a Monday
  *request.mutable_end_time() = At(20);
  FindSlotsResponse found;
  // The scheduler follows the registry's change log: wait until it has the weekend hours.
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(scheduler_->FindSlots(As(school_).get(), request, &found).ok());
    bool closed = false;
    for (const auto& p : found.passed_over()) closed = closed || p.resource_id() == weekends;
    if (closed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(found.resources_matched(), 9);
  EXPECT_EQ(found.resources_considered(), 3);  // free, full and weekends pass the rules
  std::map<std::string, PassOverReason> reasons;
  for (const auto& p : found.passed_over()) {
    reasons[p.resource_id()] = p.reason();
    EXPECT_FALSE(p.display_name().empty());
    EXPECT_FALSE(p.detail().empty()) << p.resource_id();
  }
  EXPECT_EQ(reasons, expected);
  ASSERT_GT(found.slots_size(), 0);
  for (const auto& slot : found.slots()) EXPECT_EQ(slot.resource_id(), free);

  // More than any of them holds; a token that may only read.
  request.set_quantity(2);
  ASSERT_TRUE(scheduler_->FindSlots(As(school_).get(), request, &found).ok());
  EXPECT_EQ(found.slots_size(), 0);
  for (const auto& p : found.passed_over()) {
    if (p.resource_id() == free) {
      EXPECT_EQ(p.reason(), PASS_OVER_REASON_TOO_SMALL);
    }
  }
  request.set_quantity(1);
  ASSERT_TRUE(scheduler_->FindSlots(As(reader_).get(), request, &found).ok());
  EXPECT_EQ(found.slots_size(), 0);
  EXPECT_EQ(found.resources_considered(), 0);
  for (const auto& p : found.passed_over()) {
    if (p.resource_id() == free) {
      EXPECT_EQ(p.reason(), PASS_OVER_REASON_NOT_PERMITTED);
    }
  }

  // A window shorter than the duration is a mistake in the request.
  *request.mutable_end_time() = At(9);
  EXPECT_EQ(BadField(scheduler_->FindSlots(As(school_).get(), request, &found)), "end_time");
}

TEST_F(SchedulerApiTest, UsageReportCountsUtilisationBookerKindsRevenueAndInKindHours) {
  CreateOrg("usage-owner", reg::ORGANIZATION_KIND_COMPANY, false);
  const std::string owner = server_->Token("usage-owner", {auth::v1::ROLE_MEMBER});
  auto lab = [&](const std::string& name) {
    reg::Resource r = Lab(name);
    r.set_owner_organization_id("usage-owner");
    r.clear_shared_with_network_ids();
    r.set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    return r;
  };
  reg::Resource paid = lab("Usage Tariff Lab");
  paid.mutable_terms()->set_kind(reg::TERMS_KIND_TARIFF);
  paid.mutable_terms()->set_tariff_per_hour_cents(5000);
  const std::string paid_id = Register(paid);
  reg::Resource shared = lab("Usage In-kind Space");
  shared.set_booking_mode(reg::BOOKING_MODE_SHARED_CAPACITY);
  shared.set_capacity(2);
  shared.mutable_terms()->set_kind(reg::TERMS_KIND_IN_KIND);
  const std::string shared_id = Register(shared);
  Booking b, cancelled;
  ASSERT_TRUE(Book(school_, paid_id, 9, 11, &b).ok());
  ASSERT_TRUE(Book(bakery_, paid_id, 12, 13, &b).ok());
  ASSERT_TRUE(Book(owner, paid_id, 14, 15, &b).ok());
  ASSERT_TRUE(Book(school_, paid_id, 16, 17, &cancelled).ok());
  ASSERT_TRUE(Cancel(school_, cancelled.id(), &b).ok());
  ASSERT_TRUE(Book(school_, shared_id, 9, 12, &b, 2).ok());
  ASSERT_TRUE(Book(school_, paid_id, 48 + 9, 48 + 10, &b).ok());  // outside the period

  UsageReportRequest request;
  request.set_organization_id("usage-owner");
  *request.mutable_start_time() = At(0);
  *request.mutable_end_time() = At(24);
  UsageReportResponse report;
  ASSERT_TRUE(scheduler_->UsageReport(As(owner).get(), request, &report).ok());
  ASSERT_EQ(report.resources_size(), 2);
  std::map<std::string, ResourceUsage> by_id;
  for (const auto& r : report.resources()) by_id[r.resource_id()] = r;
  EXPECT_DOUBLE_EQ(by_id[paid_id].available_hours(), 24);
  EXPECT_DOUBLE_EQ(by_id[paid_id].booked_hours(), 4);
  EXPECT_DOUBLE_EQ(by_id[paid_id].utilisation(), 4.0 / 24);
  EXPECT_EQ(by_id[paid_id].tariff_revenue_cents(),
            15000);  // 3 hours by others; the owner's hour is free
  EXPECT_DOUBLE_EQ(by_id[shared_id].available_hours(), 48);
  EXPECT_DOUBLE_EQ(by_id[shared_id].booked_hours(), 6);
  EXPECT_DOUBLE_EQ(by_id[shared_id].in_kind_hours(), 6);
  EXPECT_EQ(report.tariff_revenue_cents(), 15000);
  EXPECT_DOUBLE_EQ(report.booked_hours(), 10);
  std::map<std::string, double> kinds;
  for (const auto& k : report.by_booker_kind()) kinds[k.booker_kind()] = k.hours();
  EXPECT_DOUBLE_EQ(kinds["school"], 8);
  EXPECT_DOUBLE_EQ(kinds["sme"], 1);
  EXPECT_DOUBLE_EQ(kinds["company"], 1);

  EXPECT_EQ(scheduler_->UsageReport(As(bakery_).get(), request, &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.clear_organization_id();
  request.set_network_id("tech");
  EXPECT_TRUE(scheduler_->UsageReport(As(school_).get(), request, &report).ok());
  EXPECT_EQ(scheduler_->UsageReport(As(outsider_).get(), request, &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  *request.mutable_end_time() = At(24 * 400);
  EXPECT_EQ(BadField(scheduler_->UsageReport(As(school_).get(), request, &report)), "end_time");
}

TEST_F(SchedulerApiTest, NoShowIsReleasedAndCheckInCompletes) {
  const std::string lab = Register(Lab("Walk-in Lab"));
  // Starts in two seconds: the test config's no-show grace is one second.
  CreateBookingRequest request;
  request.set_resource_id(lab);
  request.set_quantity(1);
  const auto now = std::chrono::system_clock::now();
  const int64_t start =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + 2;
  request.mutable_start_time()->set_seconds(start);
  request.mutable_end_time()->set_seconds(start + 6);
  Booking absent, present, b;
  ASSERT_TRUE(scheduler_->CreateBooking(As(school_).get(), request, &absent).ok());
  request.mutable_start_time()->set_seconds(start + 7);
  request.mutable_end_time()->set_seconds(start + 8);
  ASSERT_TRUE(scheduler_->CreateBooking(As(bakery_).get(), request, &present).ok());

  CheckInBookingRequest check_in;
  check_in.set_id(present.id());
  ASSERT_TRUE(scheduler_->CheckInBooking(As(bakery_).get(), check_in, &b).ok());
  EXPECT_EQ(b.state(), BOOKING_STATE_CHECKED_IN);

  Booking released = AwaitState(absent.id(), BOOKING_STATE_NO_SHOW);
  EXPECT_EQ(released.state(), BOOKING_STATE_NO_SHOW);
  // Released: the rest of its slot can be booked again.
  request.mutable_start_time()->set_seconds(start + 4);
  request.mutable_end_time()->set_seconds(start + 5);
  EXPECT_TRUE(scheduler_->CreateBooking(As(acme_).get(), request, &b).ok());
  EXPECT_EQ(AwaitState(present.id(), BOOKING_STATE_COMPLETED).state(), BOOKING_STATE_COMPLETED);
}

// Monday 09:00 Amsterdam time in the week before the next spring DST change that is at least a
// few days away, in UTC seconds; and the same for the autumn change.
int64_t MondayBeforeDstChange(date::month month) {
  using namespace std::chrono;
  const auto zone = date::locate_zone("Europe/Amsterdam");
  auto today = date::year_month_day(floor<date::days>(system_clock::now()));
  for (int y = static_cast<int>(today.year());; ++y) {
    const date::sys_days sunday{
        date::year_month_weekday_last(date::year(y), month, date::weekday_last(date::Sunday))};
    if (sunday - date::days(6) < floor<date::days>(system_clock::now()) + date::days(3)) continue;
    const auto local = date::local_days(date::year_month_day(sunday - date::days(6))) + hours(9);
    return duration_cast<seconds>(zone->to_sys(local).time_since_epoch()).count();
  }
}

TEST_F(SchedulerApiTest, RecurringBookingsKeepLocalTimeAcrossDstAndChooseAllOrNothing) {
  reg::Resource r = Lab("Weekly Practical Lab");
  r.set_time_zone("Europe/Amsterdam");
  const std::string lab = Register(r);
  for (date::month month : {date::March, date::October}) {
    const int64_t first = MondayBeforeDstChange(month);
    CreateRecurringBookingRequest request;
    request.set_resource_id(lab);
    request.mutable_start_time()->set_seconds(first);
    request.mutable_end_time()->set_seconds(first + 2 * kHour);
    request.set_rrule("FREQ=WEEKLY;COUNT=3");
    request.set_quantity(1);
    request.set_title("Welding practical");
    CreateRecurringBookingResponse series;
    auto status = scheduler_->CreateRecurringBooking(As(school_).get(), request, &series);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(series.occurrences_size(), 3);
    EXPECT_EQ(series.booked(), 3);
    // 09:00 local each week: the UTC hour moves by one after the change.
    const int64_t shift = month == date::March ? -kHour : kHour;
    EXPECT_EQ(series.occurrences(1).start_time().seconds(), first + 7 * 24 * kHour + shift);
    EXPECT_EQ(series.occurrences(2).end_time().seconds(),
              first + 14 * 24 * kHour + shift + 2 * kHour);
    EXPECT_EQ(series.occurrences(1).booking().series_id(), series.series_id());
  }

  // A conflict in the middle: all or nothing books nothing; skip-conflicts books the rest.
  const int64_t first = MondayBeforeDstChange(date::March) + 4 * kHour;  // 13:00 local
  Booking blocker;
  CreateBookingRequest single;
  single.set_resource_id(lab);
  single.mutable_start_time()->set_seconds(first + 7 * 24 * kHour - kHour);
  single.mutable_end_time()->set_seconds(first + 7 * 24 * kHour - kHour + 3600);
  single.set_quantity(1);
  ASSERT_TRUE(scheduler_->CreateBooking(As(acme_).get(), single, &blocker).ok());
  CreateRecurringBookingRequest request;
  request.set_resource_id(lab);
  request.mutable_start_time()->set_seconds(first);
  request.mutable_end_time()->set_seconds(first + kHour);
  request.set_rrule("FREQ=WEEKLY;COUNT=3");
  request.set_quantity(1);
  CreateRecurringBookingResponse none;
  ASSERT_TRUE(scheduler_->CreateRecurringBooking(As(school_).get(), request, &none).ok());
  EXPECT_EQ(none.booked(), 0);
  ASSERT_EQ(none.occurrences_size(), 3);
  EXPECT_EQ(none.occurrences(1).reason(), "SLOT_TAKEN");
  EXPECT_EQ(none.occurrences(0).reason(), "NOT_BOOKED");
  request.set_mode(RECURRENCE_MODE_SKIP_CONFLICTS);
  CreateRecurringBookingResponse some;
  ASSERT_TRUE(scheduler_->CreateRecurringBooking(As(school_).get(), request, &some).ok());
  EXPECT_EQ(some.booked(), 2);
  EXPECT_TRUE(some.occurrences(0).has_booking());
  EXPECT_EQ(some.occurrences(1).reason(), "SLOT_TAKEN");
  EXPECT_TRUE(some.occurrences(2).has_booking());

  request.set_rrule("FREQ=FORTNIGHTLY");
  CreateRecurringBookingResponse bad;
  EXPECT_EQ(BadField(scheduler_->CreateRecurringBooking(As(school_).get(), request, &bad)),
            "rrule");
}

TEST_F(SchedulerApiTest, EveryCallWithAForeignTokenIsRefusedOrRedacted) {
  reg::Resource r = Lab("Private Lab");
  r.set_approval_required(true);
  const std::string lab = Register(r);
  Booking mine, b;
  ASSERT_TRUE(Book(school_, lab, 9, 10, &mine, 1, true).ok());

  // Access policy: not a member of a network the lab is shared with.
  EXPECT_EQ(Book(outsider_, lab, 12, 13, &b).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Book(reader_, lab, 12, 13, &b).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  CreateBookingRequest for_other;
  for_other.set_resource_id(lab);
  *for_other.mutable_start_time() = At(14);
  *for_other.mutable_end_time() = At(15);
  for_other.set_quantity(1);
  for_other.set_organization_id("acme");
  EXPECT_EQ(scheduler_->CreateBooking(As(school_).get(), for_other, &b).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  SubmitBookingRequest submit;
  submit.set_id(mine.id());
  EXPECT_EQ(scheduler_->SubmitBooking(As(bakery_).get(), submit, &b).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(scheduler_->SubmitBooking(As(reader_).get(), submit, &b).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(scheduler_->SubmitBooking(As(school_).get(), submit, &b).ok());
  ApproveBookingRequest approve;
  approve.set_id(mine.id());
  EXPECT_EQ(scheduler_->ApproveBooking(As(bakery_).get(), approve, &b).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  RejectBookingRequest reject;
  reject.set_id(mine.id());
  reject.set_reason("mine now");
  EXPECT_EQ(scheduler_->RejectBooking(As(outsider_).get(), reject, &b).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Cancel(bakery_, mine.id(), &b).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  CheckInBookingRequest check_in;
  check_in.set_id(mine.id());
  EXPECT_EQ(scheduler_->CheckInBooking(As(outsider_).get(), check_in, &b).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Others see that the slot is busy, not who booked it or why.
  Booking seen = Get(outsider_, mine.id());
  EXPECT_EQ(seen.state(), BOOKING_STATE_PENDING_APPROVAL);
  EXPECT_EQ(seen.start_time().seconds(), At(9).seconds());
  EXPECT_TRUE(seen.organization_id().empty());
  EXPECT_TRUE(seen.title().empty());
  EXPECT_EQ(Get(acme_, mine.id()).organization_id(), "school");  // the owner sees it
  ListBookingsRequest list;
  list.set_resource_id(lab);
  ListBookingsResponse page;
  ASSERT_TRUE(scheduler_->ListBookings(As(bakery_).get(), list, &page).ok());
  ASSERT_EQ(page.bookings_size(), 1);
  EXPECT_TRUE(page.bookings(0).organization_id().empty());
  list.clear_resource_id();
  list.set_organization_id("school");
  EXPECT_EQ(scheduler_->ListBookings(As(bakery_).get(), list, &page).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(scheduler_->ListBookings(TestServer::Context("").get(), list, &page).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  CreateRecurringBookingRequest series;
  series.set_resource_id(lab);
  *series.mutable_start_time() = At(16);
  *series.mutable_end_time() = At(17);
  series.set_rrule("FREQ=DAILY;COUNT=2");
  series.set_quantity(1);
  CreateRecurringBookingResponse none;
  EXPECT_EQ(scheduler_->CreateRecurringBooking(As(outsider_).get(), series, &none).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(scheduler_->CreateRecurringBooking(As(reader_).get(), series, &none).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Slot finding only offers what the caller may book.
  FindSlotsRequest find;
  find.mutable_search()->set_text_prefix("private");
  find.set_duration_minutes(60);
  *find.mutable_start_time() = At(0);
  *find.mutable_end_time() = At(24);
  FindSlotsResponse found;
  ASSERT_TRUE(scheduler_->FindSlots(As(outsider_).get(), find, &found).ok());
  EXPECT_EQ(found.slots_size(), 0);
  ASSERT_TRUE(scheduler_->FindSlots(As(school_).get(), find, &found).ok());
  EXPECT_GT(found.slots_size(), 0);
  // The owner cancels on its resource.
  ASSERT_TRUE(Cancel(acme_, mine.id(), &b).ok());
  EXPECT_EQ(b.state(), BOOKING_STATE_CANCELLED);
}

TEST_F(SchedulerApiTest, AccessPolicyAndSmeAccess) {
  reg::Resource closed = Lab("Not for SMEs");
  closed.set_sme_accessible(false);
  const std::string closed_lab = Register(closed);
  Booking b;
  EXPECT_EQ(Book(bakery_, closed_lab, 9, 10, &b).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Book(school_, closed_lab, 9, 10, &b).ok());

  reg::Resource open = Lab("Public Lab");
  open.set_access_policy(reg::ACCESS_POLICY_PUBLIC);
  const std::string public_lab = Register(open);
  EXPECT_TRUE(Book(outsider_, public_lab, 9, 10, &b).ok());

  reg::Resource own = Lab("Owner Only Lab");
  own.set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  const std::string own_lab = Register(own);
  EXPECT_EQ(Book(school_, own_lab, 9, 10, &b).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Book(acme_, own_lab, 9, 10, &b).ok());
}

TEST_F(SchedulerApiTest, ListBookingsPagesByResourceAndOrganization) {
  CreateOrg("busy-school", reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL, false);
  reg::Resource open = Lab("Busy Lab A");
  open.set_access_policy(reg::ACCESS_POLICY_REGISTERED_PARTNERS);
  std::vector<std::string> labs = {Register(open), Register(open), Register(open)};
  const std::string busy = server_->Token("busy-school", {auth::v1::ROLE_MEMBER});
  std::set<std::string> booked;
  for (int i = 0; i < 12; ++i) {
    Booking b;
    ASSERT_TRUE(Book(busy, labs[i % 3], 9 + i, 9.5 + i, &b).ok());
    booked.insert(b.id());
  }
  auto collect = [&](ListBookingsRequest request, int page_size) {
    request.set_page_size(page_size);
    std::vector<Booking> all;
    for (int pages = 0; pages < 20; ++pages) {
      ListBookingsResponse page;
      EXPECT_TRUE(scheduler_->ListBookings(As(busy).get(), request, &page).ok());
      all.insert(all.end(), page.bookings().begin(), page.bookings().end());
      if (page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    return all;
  };
  ListBookingsRequest by_org;
  by_org.set_organization_id("busy-school");
  auto all = collect(by_org, 5);
  ASSERT_EQ(all.size(), 12u);
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_LT(all[i - 1].start_time().seconds(), all[i].start_time().seconds());
  std::set<std::string> listed;
  for (const auto& b : all) listed.insert(b.id());
  EXPECT_EQ(listed, booked);

  ListBookingsRequest by_resource;
  by_resource.set_resource_id(labs[0]);
  EXPECT_EQ(collect(by_resource, 3).size(), 4u);
  by_resource.add_states(BOOKING_STATE_CANCELLED);
  EXPECT_EQ(collect(by_resource, 3).size(), 0u);
  by_org.set_page_size(0);
  *by_org.mutable_start_time() = At(12);
  *by_org.mutable_end_time() = At(15);
  EXPECT_EQ(collect(by_org, 100).size(), 3u);
}

TEST_F(SchedulerApiTest, WatchBookingsStreamsEveryTransitionAndResumes) {
  const std::string lab = Register(Lab("Watched Lab"));
  auto context = As(acme_);
  WatchBookingsRequest request;
  request.set_resource_id(lab);
  auto stream = scheduler_->WatchBookings(context.get(), request);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the watch take its position
  Booking b;
  ASSERT_TRUE(Book(school_, lab, 9, 10, &b).ok());
  ASSERT_TRUE(Cancel(school_, b.id(), &b).ok());
  BookingEvent created, cancelled;
  ASSERT_TRUE(stream->Read(&created));
  EXPECT_EQ(created.type(), BOOKING_EVENT_TYPE_CREATED);
  EXPECT_EQ(created.booking().id(), b.id());
  EXPECT_EQ(created.booking().organization_id(), "school");  // acme owns the lab
  ASSERT_TRUE(stream->Read(&cancelled));
  EXPECT_EQ(cancelled.type(), BOOKING_EVENT_TYPE_STATE_CHANGED);
  EXPECT_EQ(cancelled.booking().state(), BOOKING_STATE_CANCELLED);
  context->TryCancel();

  // Resuming after the first event replays the second; an outsider sees it redacted.
  auto resumed_context = As(outsider_);
  request.set_cursor(created.cursor());
  auto resumed = scheduler_->WatchBookings(resumed_context.get(), request);
  BookingEvent again;
  ASSERT_TRUE(resumed->Read(&again));
  EXPECT_EQ(again.booking().id(), b.id());
  EXPECT_EQ(again.booking().state(), BOOKING_STATE_CANCELLED);
  EXPECT_TRUE(again.booking().organization_id().empty());
  resumed_context->TryCancel();

  auto bad_context = As(acme_);
  request.set_cursor("bk1:not-a-cursor");
  auto bad = scheduler_->WatchBookings(bad_context.get(), request);
  EXPECT_FALSE(bad->Read(&again));
  auto status = bad->Finish();
  EXPECT_EQ(BadField(status), "cursor");

  // A filter naming no resource is refused (NOT_FOUND, as GetResource), not followed forever.
  auto unknown_context = As(acme_);
  WatchBookingsRequest unknown;
  unknown.set_resource_id("does-not-exist");
  auto nothing = scheduler_->WatchBookings(unknown_context.get(), unknown);
  EXPECT_FALSE(nothing->Read(&again));
  auto refused = nothing->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::NOT_FOUND) << refused.error_message();
}

}  // namespace
}  // namespace infrashare::testing
