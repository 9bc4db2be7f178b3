// The programme through its public gRPC API: a real Redis (cluster mode when
// INFRASHARE_TEST_REDIS_CLUSTER=1), the real server on loopback, real stubs. Events book their
// resource through the scheduler in one atomic step (also against concurrent bookings of the same
// slot), registrations respect the capacity under concurrency and the waitlist promotes, the
// iCalendar feed parses back with libical (across a DST change), bad input is INVALID_ARGUMENT.
#include <gtest/gtest.h>
#include <libical/ical.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "infrashare/privacy/v1/privacy.grpc.pb.h"
#include "infrashare/programme/v1/programme.grpc.pb.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace sch = scheduler::v1;
using namespace programme::v1;
using google::protobuf::Timestamp;

constexpr int64_t kHour = 3600;

// Midnight UTC of a Monday at least two weeks ahead: every event in these tests lies after it.
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

class ProgrammeApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    Config config = TestServer::DefaultConfig();
    config.rate_limits.enabled = false;  // the concurrency tests make hundreds of calls at once
    // Bookings nobody checks in to are released a second after they begin (the other tests book
    // weeks ahead): an event's booking must not be.
    config.scheduler.no_show_grace_s = 1;
    config.scheduler.time_step_s = 1;  // an event's booking starting in two seconds
    config.scheduler.sweep_interval_ms = 100;
    server_ = new TestServer(redis_->url(), config);
    registry_ = server_->Registry().release();
    scheduler_ = server_->Scheduler().release();
    programme_ = ProgrammeService::NewStub(server_->channel()).release();
    for (const char* org : {"perron038", "school", "bakery", "outsider"}) {
      reg::CreateOrganizationRequest request;
      request.set_organization_id(org);
      request.mutable_organization()->set_display_name(org);
      request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
      reg::Organization created;
      ASSERT_TRUE(registry_->CreateOrganization(Admin().get(), request, &created).ok());
    }
    reg::CreateNetworkRequest network;
    network.set_network_id("techoost");
    network.mutable_network()->set_display_name("TechOost");
    for (const char* member : {"perron038", "school", "bakery"})
      network.mutable_network()->add_member_organization_ids(member);
    reg::Network created;
    ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), network, &created).ok());
    owner_ = server_->Token("perron038", {auth::v1::ROLE_MEMBER});
    school_ = server_->Token("school", {auth::v1::ROLE_MEMBER});
    bakery_ = server_->Token("bakery", {auth::v1::ROLE_MEMBER});
    outsider_ = server_->Token("outsider", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    reader_ = server_->Token("school", {auth::v1::ROLE_READ_ONLY_INTEGRATOR});
    coordinator_ = server_->Token("school", {auth::v1::ROLE_NETWORK_COORDINATOR}, {"techoost"});
  }
  static void TearDownTestSuite() {
    delete programme_;
    delete scheduler_;
    delete registry_;
    delete server_;
    delete redis_;
  }

  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }

  // An exclusive lab of Perron038 in Zwolle, shared with TechOost, bookable at any time.
  static std::string Lab(const std::string& name, const reg::Address& address = {}) {
    reg::CreateResourceRequest request;
    reg::Resource* r = request.mutable_resource();
    r->set_display_name(name);
    *r->mutable_location()->mutable_address() = address;
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("perron038");
    r->add_shared_with_network_ids("techoost");
    r->mutable_location()->mutable_point()->set_latitude(52.51);
    r->mutable_location()->mutable_point()->set_longitude(6.09);
    r->set_time_zone("Europe/Amsterdam");
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_capacity(1);
    r->set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::Resource created;
    auto status = registry_->CreateResource(Admin().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.id();
  }

  static Event OpenDay(const std::string& resource, double from_h, double to_h, int capacity = 20) {
    Event e;
    e.set_resource_id(resource);
    e.set_kind(EVENT_KIND_OPEN_DAY);
    e.set_title("Open dag Perron038 Zwolle — digitale tweelingen");
    e.set_description("Rondleiding en demo's; koffie in Café Ñ.");
    *e.mutable_start_time() = At(from_h);
    *e.mutable_end_time() = At(to_h);
    e.set_language("nl");
    e.add_audiences(AUDIENCE_STUDENTS);
    e.add_audiences(AUDIENCE_SMES);
    e.set_capacity(capacity);
    e.set_registration_open(true);
    e.set_visibility(EVENT_VISIBILITY_PUBLIC);
    return e;
  }

  static grpc::Status Create(const std::string& token, const Event& event, Event* out,
                             const std::string& request_id = "") {
    CreateEventRequest request;
    *request.mutable_event() = event;
    request.set_request_id(request_id);
    return programme_->CreateEvent(As(token).get(), request, out);
  }

  static grpc::Status Book(const std::string& token, const std::string& resource, double from_h,
                           double to_h, sch::Booking* out) {
    sch::CreateBookingRequest request;
    request.set_resource_id(resource);
    *request.mutable_start_time() = At(from_h);
    *request.mutable_end_time() = At(to_h);
    request.set_title("Practicum");
    return scheduler_->CreateBooking(As(token).get(), request, out);
  }

  static sch::Booking GetBooking(const std::string& id) {
    sch::GetBookingRequest request;
    request.set_id(id);
    sch::Booking out;
    auto status = scheduler_->GetBooking(Admin().get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  static grpc::Status RegisterPerson(const std::string& token, const std::string& event,
                                     const std::string& name, const std::string& email,
                                     Registration* out) {
    RegisterRequest request;
    request.set_event_id(event);
    request.set_person_name(name);
    request.set_person_email(email);
    return programme_->Register(As(token).get(), request, out);
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static reg::RegistryService::Stub* registry_;
  static sch::SchedulerService::Stub* scheduler_;
  static ProgrammeService::Stub* programme_;
  static std::string owner_, school_, bakery_, outsider_, reader_, coordinator_;
};

RedisServer* ProgrammeApiTest::redis_ = nullptr;
TestServer* ProgrammeApiTest::server_ = nullptr;
reg::RegistryService::Stub* ProgrammeApiTest::registry_ = nullptr;
sch::SchedulerService::Stub* ProgrammeApiTest::scheduler_ = nullptr;
ProgrammeService::Stub* ProgrammeApiTest::programme_ = nullptr;
std::string ProgrammeApiTest::owner_, ProgrammeApiTest::school_, ProgrammeApiTest::bakery_,
    ProgrammeApiTest::outsider_, ProgrammeApiTest::reader_, ProgrammeApiTest::coordinator_;

TEST_F(ProgrammeApiTest, AnEventBooksItsResourceAndCancellingItFreesTheSlot) {
  const std::string lab = Lab("Perron038 digital twin lab");
  Event event;
  auto created = Create(owner_, OpenDay(lab, 9, 12), &event);
  ASSERT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(event.organizer_organization_id(), "perron038");
  EXPECT_EQ(event.state(), EVENT_STATE_SCHEDULED);
  EXPECT_EQ(event.time_zone(), "Europe/Amsterdam");
  ASSERT_FALSE(event.booking_id().empty());
  const sch::Booking booking = GetBooking(event.booking_id());
  EXPECT_EQ(booking.state(), sch::BOOKING_STATE_CONFIRMED);
  EXPECT_TRUE(absl::StrContains(booking.notes(), event.id())) << booking.notes();

  // A partner's booking of the same time is refused; after the event is cancelled it fits.
  sch::Booking partner;
  auto taken = Book(school_, lab, 10, 11, &partner);
  EXPECT_EQ(taken.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << taken.error_message();
  CancelEventRequest cancel;
  cancel.set_id(event.id());
  cancel.set_reason("de spreker is ziek");
  Event cancelled;
  ASSERT_TRUE(programme_->CancelEvent(As(owner_).get(), cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.state(), EVENT_STATE_CANCELLED);
  EXPECT_EQ(GetBooking(event.booking_id()).state(), sch::BOOKING_STATE_CANCELLED);
  auto free = Book(school_, lab, 10, 11, &partner);
  EXPECT_TRUE(free.ok()) << free.error_message();

  // An event on a slot a partner holds is refused and leaves nothing behind.
  Event refused;
  auto collision = Create(owner_, OpenDay(lab, 10, 12), &refused);
  EXPECT_EQ(collision.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(collision), "SLOT_TAKEN");
  ListEventsRequest list;
  list.set_resource_id(lab);
  ListEventsResponse listed;
  ASSERT_TRUE(programme_->ListEvents(As(owner_).get(), list, &listed).ok());
  EXPECT_EQ(listed.events_size(), 0);  // the cancelled one is left out by default
}

// Two features meeting: the no-show sweeper releases a booking nobody checked in to, but an
// event's booking holds the resource for the event (nobody checks in to it); and cancelling it
// through the scheduler would leave a scheduled event without its resource — only cancelling the
// event frees it.
TEST_F(ProgrammeApiTest, AnEventsBookingIsNeitherReleasedAsANoShowNorCancelledApartFromIt) {
  const std::string lab = Lab("Perron038 werkplaats, Zwolle");
  const std::string other = Lab("Perron038 showroom, Zwolle");
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Event soon = OpenDay(lab, 0, 1);
  soon.mutable_start_time()->set_seconds(now + 2);
  soon.mutable_end_time()->set_seconds(now + 2 + kHour);
  Event event;
  auto created = Create(owner_, soon, &event);
  ASSERT_TRUE(created.ok()) << created.error_message();
  sch::CreateBookingRequest request;  // the same time at another lab, by the same organisation
  request.set_resource_id(other);
  *request.mutable_start_time() = soon.start_time();
  *request.mutable_end_time() = soon.end_time();
  request.set_title("Practicum");
  sch::Booking control;
  ASSERT_TRUE(scheduler_->CreateBooking(As(owner_).get(), request, &control).ok());
  sch::BookingState released = sch::BOOKING_STATE_CONFIRMED;
  for (int i = 0; i < 200 && released == sch::BOOKING_STATE_CONFIRMED; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    released = GetBooking(control.id()).state();
  }
  ASSERT_EQ(released, sch::BOOKING_STATE_NO_SHOW);  // the sweeper has been past both
  EXPECT_EQ(GetBooking(event.booking_id()).state(), sch::BOOKING_STATE_CONFIRMED);

  sch::CancelBookingRequest cancel_booking;
  cancel_booking.set_id(event.booking_id());
  cancel_booking.set_reason("toch niet");
  sch::Booking out;
  auto by_organiser = scheduler_->CancelBooking(As(owner_).get(), cancel_booking, &out);
  EXPECT_EQ(by_organiser.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(by_organiser), "HELD_FOR_EVENT");
  EXPECT_TRUE(absl::StrContains(by_organiser.error_message(), event.id()));
  auto by_admin = scheduler_->CancelBooking(Admin().get(), cancel_booking, &out);
  EXPECT_EQ(Reason(by_admin), "HELD_FOR_EVENT");
  EXPECT_EQ(GetBooking(event.booking_id()).state(), sch::BOOKING_STATE_CONFIRMED);

  CancelEventRequest cancel;
  cancel.set_id(event.id());
  cancel.set_reason("de zaal lekt");
  Event cancelled;
  ASSERT_TRUE(programme_->CancelEvent(As(owner_).get(), cancel, &cancelled).ok());
  EXPECT_EQ(GetBooking(event.booking_id()).state(), sch::BOOKING_STATE_CANCELLED);
}

TEST_F(ProgrammeApiTest, ANetworkEventBooksNothingAndIsSeenOnlyInItsNetwork) {
  Event meetup;
  meetup.set_network_id("techoost");
  meetup.set_kind(EVENT_KIND_MEETUP);
  meetup.set_title("Meet-up 's-Hertogenbosch: MKB en mbo");
  *meetup.mutable_start_time() = At(30);
  *meetup.mutable_end_time() = At(32);
  meetup.set_capacity(40);
  meetup.set_registration_open(true);
  Event made;
  auto created = Create(bakery_, meetup, &made);
  ASSERT_TRUE(created.ok()) << created.error_code() << " " << created.error_message();
  EXPECT_TRUE(made.booking_id().empty());
  EXPECT_EQ(made.visibility(), EVENT_VISIBILITY_NETWORK);
  EXPECT_EQ(made.organizer_organization_id(), "bakery");
  // Not a member: may not organise there.
  EXPECT_EQ(Create(outsider_, meetup, &made).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  GetEventRequest get;
  get.set_id(made.id());
  Event read;
  EXPECT_TRUE(programme_->GetEvent(As(school_).get(), get, &read).ok());
  EXPECT_EQ(programme_->GetEvent(As(outsider_).get(), get, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
  Registration r;
  RegisterRequest join;
  join.set_event_id(made.id());
  EXPECT_EQ(programme_->Register(As(outsider_).get(), join, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A read-only token reads but does not register.
  EXPECT_TRUE(programme_->GetEvent(As(reader_).get(), get, &read).ok());
  EXPECT_EQ(programme_->Register(As(reader_).get(), join, &r).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(programme_->Register(As(school_).get(), join, &r).ok());
  EXPECT_EQ(r.state(), REGISTRATION_STATE_ADMITTED);
  EXPECT_EQ(programme_->Register(As(school_).get(), join, &r).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  ListEventsRequest list;
  list.set_network_id("techoost");
  ListEventsResponse listed;
  ASSERT_TRUE(programme_->ListEvents(As(outsider_).get(), list, &listed).ok());
  for (const auto& e : listed.events()) EXPECT_EQ(e.visibility(), EVENT_VISIBILITY_PUBLIC);
  ASSERT_TRUE(programme_->ListEvents(As(school_).get(), list, &listed).ok());
  bool seen = false;
  for (const auto& e : listed.events()) seen = seen || e.id() == made.id();
  EXPECT_TRUE(seen);
}

// An event and many partner bookings race for the same slot, round after round: exactly one
// wins each round, and the resource's bookings agree.
TEST_F(ProgrammeApiTest, AnEventAndConcurrentBookingsOfTheSameSlotLeaveExactlyOne) {
  const std::string lab = Lab("Race lab");
  constexpr int kRounds = 6, kBookers = 6;
  for (int round = 0; round < kRounds; ++round) {
    const double from = 100 + round * 3, to = from + 2;
    std::atomic<int> wins{0}, event_wins{0};
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
      Event e;
      if (Create(owner_, OpenDay(lab, from, to), &e).ok()) {
        ++wins;
        ++event_wins;
      }
    });
    for (int i = 0; i < kBookers; ++i) {
      threads.emplace_back([&, i] {
        sch::Booking b;
        if (Book(i % 2 ? school_ : bakery_, lab, from + 0.5, to - 0.5, &b).ok()) ++wins;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins, 1) << "round " << round;
    sch::ListBookingsRequest list;
    list.set_resource_id(lab);
    *list.mutable_start_time() = At(from);
    *list.mutable_end_time() = At(to);
    sch::ListBookingsResponse bookings;
    ASSERT_TRUE(scheduler_->ListBookings(Admin().get(), list, &bookings).ok());
    int live = 0;
    for (const auto& b : bookings.bookings())
      live += b.state() == sch::BOOKING_STATE_CONFIRMED ? 1 : 0;
    EXPECT_EQ(live, 1) << "round " << round;
    ListEventsRequest events;
    events.set_resource_id(lab);
    *events.mutable_from_time() = At(from);
    *events.mutable_to_time() = At(to);
    ListEventsResponse listed;
    ASSERT_TRUE(programme_->ListEvents(As(owner_).get(), events, &listed).ok());
    EXPECT_EQ(listed.events_size(), event_wins.load()) << "round " << round;
  }
}

// Named people register at once for a small masterclass: exactly the capacity is admitted (a
// reference count of the replies), the rest wait in order; a cancellation promotes the first.
TEST_F(ProgrammeApiTest, RegistrationsRespectTheCapacityUnderConcurrencyAndTheWaitlistPromotes) {
  Event masterclass;
  masterclass.set_network_id("techoost");
  masterclass.set_kind(EVENT_KIND_MASTERCLASS);
  masterclass.set_title("Masterclass digitalisering voor het MKB");
  *masterclass.mutable_start_time() = At(50);
  *masterclass.mutable_end_time() = At(53);
  masterclass.add_audiences(AUDIENCE_SMES);
  masterclass.set_capacity(5);
  masterclass.set_price_cents(4950);
  masterclass.set_registration_open(true);
  masterclass.set_visibility(EVENT_VISIBILITY_PUBLIC);
  Event made;
  ASSERT_TRUE(Create(owner_, masterclass, &made).ok());
  constexpr int kPeople = 16;
  std::atomic<int> admitted{0}, waiting{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kPeople; ++i) {
    threads.emplace_back([&, i] {
      Registration r;
      auto status = RegisterPerson(i % 2 ? school_ : bakery_, made.id(),
                                   absl::StrCat("Jeroen van 't Hof ", i),
                                   absl::StrCat("Deelnemer.", i, "@Example.NL"), &r);
      if (!status.ok()) {
        ++failed;
      } else if (r.state() == REGISTRATION_STATE_ADMITTED) {
        ++admitted;
      } else {
        ++waiting;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(admitted, 5);
  EXPECT_EQ(waiting, kPeople - 5);
  GetEventRequest get;
  get.set_id(made.id());
  Event read;
  ASSERT_TRUE(programme_->GetEvent(As(school_).get(), get, &read).ok());
  EXPECT_EQ(read.registered(), 5);
  EXPECT_EQ(read.waitlisted(), kPeople - 5);

  // The organiser lists them (with names); a partner may not.
  ListRegistrationsRequest list;
  list.set_event_id(made.id());
  list.set_page_size(100);
  ListRegistrationsResponse registrations;
  EXPECT_EQ(programme_->ListRegistrations(As(school_).get(), list, &registrations).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(programme_->ListRegistrations(As(owner_).get(), list, &registrations).ok());
  ASSERT_EQ(registrations.registrations_size(), kPeople);
  std::string first_waiting;
  Registration first_admitted;
  for (const auto& r : registrations.registrations()) {
    if (r.state() == REGISTRATION_STATE_ADMITTED && first_admitted.id().empty()) first_admitted = r;
    if (r.waitlist_position() == 1) first_waiting = r.id();
  }
  ASSERT_FALSE(first_waiting.empty());
  EXPECT_EQ(first_admitted.person_email(), absl::AsciiStrToLower(first_admitted.person_email()));

  // Someone else's registration is not the bakery's to cancel (unless it is its own).
  CancelRegistrationRequest cancel;
  cancel.set_event_id(made.id());
  cancel.set_registration_id(first_admitted.id());
  Registration gone;
  const std::string& other = first_admitted.organization_id() == "school" ? bakery_ : school_;
  EXPECT_EQ(programme_->CancelRegistration(As(other).get(), cancel, &gone).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(programme_->CancelRegistration(As(owner_).get(), cancel, &gone).ok());
  EXPECT_EQ(gone.state(), REGISTRATION_STATE_CANCELLED);
  ASSERT_TRUE(programme_->ListRegistrations(As(owner_).get(), list, &registrations).ok());
  for (const auto& r : registrations.registrations()) {
    if (r.id() == first_waiting) {
      EXPECT_EQ(r.state(), REGISTRATION_STATE_ADMITTED);
    }
  }
  ASSERT_TRUE(programme_->GetEvent(As(school_).get(), get, &read).ok());
  EXPECT_EQ(read.registered(), 5);
  EXPECT_EQ(read.waitlisted(), kPeople - 6);

  // Attendance is recorded from the start of the event, not before.
  RecordAttendanceRequest attend;
  attend.set_event_id(made.id());
  attend.set_registration_id(first_waiting);
  attend.set_attended(true);
  auto early = programme_->RecordAttendance(As(owner_).get(), attend, &gone);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(early), "TOO_EARLY");
}

Timestamp Utc(int year, int month, int day, int hour, int minute) {
  using namespace std::chrono;
  const auto d = sys_days(
      year_month_day(std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)));
  Timestamp t;
  t.set_seconds(duration_cast<seconds>(d.time_since_epoch()).count() + hour * 3600 + minute * 60);
  return t;
}

// The feed parses back with libical into the same events at the same instants; an event across
// the night the clocks go back keeps its local times (01:30 CEST to 03:30 CET: two hours on the
// clock, three elapsed).
TEST_F(ProgrammeApiTest, TheCalendarFeedParsesBackAcrossTheDstChange) {
  reg::Address address;
  address.set_street("Café Ñ-straat 1");
  address.set_postal_code("5211 AB");
  address.set_city("'s-Hertogenbosch");
  const std::string lab = Lab("Feed lab, Zwolle", address);
  Event night = OpenDay(lab, 0, 1);
  night.set_kind(EVENT_KIND_HACKATHON);
  night.set_title("Hackathon 's-Hertogenbosch — nachtelijke sessie, Café Ñ");
  *night.mutable_start_time() = Utc(2027, 10, 30, 23, 30);  // 01:30 CEST
  *night.mutable_end_time() = Utc(2027, 10, 31, 2, 30);     // 03:30 CET
  Event hackathon, course, cancelled;
  auto made = Create(owner_, night, &hackathon);
  ASSERT_TRUE(made.ok()) << made.error_message();
  Event day = OpenDay(lab, 0, 1);
  day.set_kind(EVENT_KIND_COURSE);
  day.set_price_cents(0);
  *day.mutable_start_time() = Utc(2027, 11, 2, 8, 30);
  *day.mutable_end_time() = Utc(2027, 11, 2, 16, 0);
  ASSERT_TRUE(Create(owner_, day, &course).ok());
  *day.mutable_start_time() = Utc(2027, 11, 3, 8, 30);
  *day.mutable_end_time() = Utc(2027, 11, 3, 16, 0);
  ASSERT_TRUE(Create(owner_, day, &cancelled).ok());
  CancelEventRequest cancel;
  cancel.set_id(cancelled.id());
  cancel.set_reason("te weinig aanmeldingen");
  ASSERT_TRUE(programme_->CancelEvent(As(owner_).get(), cancel, &cancelled).ok());

  ExportProgrammeCalendarRequest request;
  request.set_resource_id(lab);
  *request.mutable_from_time() = Utc(2027, 10, 1, 0, 0);
  *request.mutable_to_time() = Utc(2027, 12, 1, 0, 0);
  ExportProgrammeCalendarResponse feed;
  auto exported = programme_->ExportProgrammeCalendar(As(school_).get(), request, &feed);
  ASSERT_TRUE(exported.ok()) << exported.error_message();
  EXPECT_EQ(feed.content_type(), "text/calendar");
  EXPECT_TRUE(absl::StrContains(feed.calendar(), "BEGIN:VTIMEZONE")) << feed.calendar();

  icalcomponent* calendar = icalparser_parse_string(feed.calendar().c_str());
  ASSERT_NE(calendar, nullptr);
  // The zone's observances from the first event on, not its history since 1835: every onset
  // (DTSTART, RDATE) of the VTIMEZONE in this century, and a handful of them (libical splits the
  // rules at 2037, where tzdata stops listing transitions).
  icalcomponent* vtimezone = icalcomponent_get_first_component(calendar, ICAL_VTIMEZONE_COMPONENT);
  ASSERT_NE(vtimezone, nullptr);
  EXPECT_EQ(icalcomponent_get_next_component(calendar, ICAL_VTIMEZONE_COMPONENT), nullptr);
  int observances = 0;
  for (icalcomponent* o = icalcomponent_get_first_component(vtimezone, ICAL_ANY_COMPONENT);
       o != nullptr; o = icalcomponent_get_next_component(vtimezone, ICAL_ANY_COMPONENT)) {
    ++observances;
    EXPECT_GE(icalcomponent_get_dtstart(o).year, 2000) << icalcomponent_as_ical_string(o);
    for (icalproperty* r = icalcomponent_get_first_property(o, ICAL_RDATE_PROPERTY); r != nullptr;
         r = icalcomponent_get_next_property(o, ICAL_RDATE_PROPERTY))
      EXPECT_GE(icalproperty_get_rdate(r).time.year, 2000) << icalcomponent_as_ical_string(o);
  }
  EXPECT_GE(observances, 2);                                             // summer and winter time
  EXPECT_LE(observances, 8) << icalcomponent_as_ical_string(vtimezone);  // not hundreds
  std::map<std::string, std::tuple<int64_t, int64_t, std::string, icalproperty_status>> events;
  std::set<std::string> locations;
  for (icalcomponent* e = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
       e != nullptr; e = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
    icaltimetype start = icalcomponent_get_dtstart(e), end = icalcomponent_get_dtend(e);
    EXPECT_NE(start.zone, nullptr) << "DTSTART without its zone";
    EXPECT_FALSE(icaltime_is_utc(start)) << "the feed keeps local times";
    events[icalcomponent_get_uid(e)] = {icaltime_as_timet_with_zone(start, start.zone),
                                        icaltime_as_timet_with_zone(end, end.zone),
                                        icalcomponent_get_summary(e), icalcomponent_get_status(e)};
    locations.insert(icalcomponent_get_location(e));
  }
  // LOCATION: the resource's name and address, not its id (commas escaped and read back).
  EXPECT_EQ(locations,
            std::set<std::string>{"Feed lab, Zwolle, Café Ñ-straat 1, 5211 AB 's-Hertogenbosch"});
  icalcomponent_free(calendar);
  ASSERT_EQ(events.size(), 3u) << feed.calendar();
  const auto& h = events.at(hackathon.id() + "@infrashare");
  EXPECT_EQ(std::get<0>(h), hackathon.start_time().seconds());
  EXPECT_EQ(std::get<1>(h), hackathon.end_time().seconds());
  EXPECT_EQ(std::get<1>(h) - std::get<0>(h), 3 * kHour);
  EXPECT_EQ(std::get<2>(h), "Hackathon 's-Hertogenbosch — nachtelijke sessie, Café Ñ");
  EXPECT_EQ(std::get<3>(h), ICAL_STATUS_CONFIRMED);
  EXPECT_TRUE(absl::StrContains(feed.calendar(), "DTSTART;TZID=Europe/Amsterdam:20271031T013000"))
      << feed.calendar();
  EXPECT_TRUE(absl::StrContains(feed.calendar(), "DTEND;TZID=Europe/Amsterdam:20271031T033000"))
      << feed.calendar();
  EXPECT_EQ(std::get<0>(events.at(course.id() + "@infrashare")), course.start_time().seconds());
  EXPECT_EQ(std::get<3>(events.at(cancelled.id() + "@infrashare")), ICAL_STATUS_CANCELLED);

  // The network's feed holds them too; an outsider's holds only public ones.
  ExportProgrammeCalendarRequest by_network;
  by_network.set_network_id("techoost");
  *by_network.mutable_from_time() = request.from_time();
  *by_network.mutable_to_time() = request.to_time();
  ASSERT_TRUE(programme_->ExportProgrammeCalendar(As(school_).get(), by_network, &feed).ok());
  EXPECT_TRUE(absl::StrContains(feed.calendar(), hackathon.id()));
  ExportProgrammeCalendarRequest both = by_network;
  both.set_resource_id(lab);
  EXPECT_EQ(programme_->ExportProgrammeCalendar(As(school_).get(), both, &feed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ProgrammeApiTest, BadInputIsInvalidArgumentNamingTheField) {
  const std::string lab = Lab("Validation lab");
  auto expect_field = [&](Event event, const std::string& field) {
    Event out;
    auto status = Create(owner_, event, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << status.error_message();
    EXPECT_EQ(BadField(status), field) << status.error_message();
  };
  Event e = OpenDay(lab, 200, 202);
  e.clear_title();
  expect_field(e, "event.title");
  e.set_title("\u00a0\u2003\u200b");  // spaces of other kinds show nothing either
  expect_field(e, "event.title");
  e = OpenDay(lab, -400, -398);  // over before it is announced (At counts from a Monday ahead)
  expect_field(e, "event.end_time");
  e = OpenDay(lab, 200, 202);
  *e.mutable_end_time() = At(199);
  expect_field(e, "event.end_time");
  e = OpenDay(lab, 200, 202);
  e.set_capacity(0);
  expect_field(e, "event.capacity");
  e = OpenDay(lab, 200, 202);
  e.set_kind(EVENT_KIND_UNSPECIFIED);
  expect_field(e, "event.kind");
  e = OpenDay(lab, 200, 202);
  e.set_language("nl NL");
  expect_field(e, "event.language");
  e = OpenDay(lab, 200, 202);
  e.clear_resource_id();
  expect_field(e, "event.resource_id");
  e = OpenDay(lab, 200, 202);
  e.set_description(std::string(1 << 20, 'x'));  // 1 MiB: refused by the request limits
  expect_field(e, "event.description");
  e = OpenDay(lab, 200, 202);
  e.mutable_end_time()->set_seconds(253402300799);  // 9999-12-31T23:59:59Z
  expect_field(e, "event.end_time");
  e = OpenDay(lab, 200, 202);
  *e.mutable_end_time() = At(200 + 24 * 40);  // longer than an event lasts
  expect_field(e, "event.end_time");

  Event ok;
  ASSERT_TRUE(Create(owner_, OpenDay(lab, 210, 212), &ok).ok());
  Registration r;
  auto no_email = RegisterPerson(school_, ok.id(), "Anne", "", &r);
  EXPECT_EQ(no_email.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(no_email), "person_email");
  auto bad_email = RegisterPerson(school_, ok.id(), "Anne", "not-an-address", &r);
  EXPECT_EQ(BadField(bad_email), "person_email");
  RegisterRequest too_many;
  too_many.set_event_id(ok.id());
  too_many.set_places(1000);
  EXPECT_EQ(BadField(programme_->Register(As(school_).get(), too_many, &r)), "places");
  ListEventsRequest list;
  list.set_page_token("not-a-token");
  ListEventsResponse listed;
  EXPECT_EQ(BadField(programme_->ListEvents(As(school_).get(), list, &listed)), "page_token");
}

TEST_F(ProgrammeApiTest, UpdatesNeedTheEtagAndPagingReachesTheLastPage) {
  const std::string lab = Lab("Paging lab");
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    Event e;
    ASSERT_TRUE(Create(owner_, OpenDay(lab, 300 + i * 3, 301 + i * 3), &e).ok());
    ids.push_back(e.id());
  }
  ListEventsRequest list;
  list.set_resource_id(lab);
  list.set_page_size(3);
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    ListEventsResponse listed;
    ASSERT_TRUE(programme_->ListEvents(As(school_).get(), list, &listed).ok());
    for (const auto& e : listed.events()) seen.push_back(e.id());
    if (listed.next_page_token().empty()) break;
    list.set_page_token(listed.next_page_token());
  }
  EXPECT_EQ(seen, ids);

  GetEventRequest get;
  get.set_id(ids[0]);
  Event current;
  ASSERT_TRUE(programme_->GetEvent(As(owner_).get(), get, &current).ok());
  UpdateEventRequest update;
  *update.mutable_event() = current;
  update.mutable_event()->set_title("Open dag — nu met rondleiding door Zwolle");
  update.mutable_event()->set_capacity(25);
  update.mutable_update_mask()->add_paths("title");
  update.mutable_update_mask()->add_paths("capacity");
  Event updated;
  ASSERT_TRUE(programme_->UpdateEvent(As(owner_).get(), update, &updated).ok());
  EXPECT_EQ(updated.title(), "Open dag — nu met rondleiding door Zwolle");
  EXPECT_EQ(updated.capacity(), 25);
  EXPECT_NE(updated.etag(), current.etag());
  EXPECT_EQ(programme_->UpdateEvent(As(owner_).get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  update.mutable_event()->set_etag(updated.etag());
  EXPECT_EQ(programme_->UpdateEvent(As(school_).get(), update, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The network's coordinator may change it; a move in time may not be masked in.
  EXPECT_TRUE(programme_->UpdateEvent(As(coordinator_).get(), update, &updated).ok());
  update.mutable_event()->set_etag(updated.etag());
  update.mutable_update_mask()->add_paths("start_time");
  EXPECT_EQ(BadField(programme_->UpdateEvent(As(owner_).get(), update, &updated)), "update_mask");
}

// A public event narrowed to its network keeps the registrations outsiders made: the organisation
// that registered can still cancel its own (an outsider without one learns nothing), and two
// organisations may register the same person without either learning of the other's.
TEST_F(ProgrammeApiTest, AnOutsiderCancelsItsRegistrationAfterTheEventWasNarrowed) {
  const std::string lab = Lab("Smalle lab");
  Event made;
  ASSERT_TRUE(Create(owner_, OpenDay(lab, 400, 402), &made).ok());
  Registration tess, same_person;
  ASSERT_TRUE(RegisterPerson(outsider_, made.id(), "Tess Tech", "tess@example.org", &tess).ok());
  ASSERT_TRUE(
      RegisterPerson(school_, made.id(), "Tess Tech", "TESS@example.org", &same_person).ok());
  EXPECT_NE(same_person.id(), tess.id());
  UpdateEventRequest narrow;
  *narrow.mutable_event() = made;
  narrow.mutable_event()->set_visibility(EVENT_VISIBILITY_NETWORK);
  narrow.mutable_update_mask()->add_paths("visibility");
  Event narrowed;
  ASSERT_TRUE(programme_->UpdateEvent(As(owner_).get(), narrow, &narrowed).ok());

  CancelRegistrationRequest cancel;
  cancel.set_event_id(made.id());
  cancel.set_registration_id(same_person.id());
  Registration out;
  // Not the outsider's registration: as if the event did not exist.
  EXPECT_EQ(programme_->CancelRegistration(As(outsider_).get(), cancel, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  cancel.set_registration_id(tess.id());
  ASSERT_TRUE(programme_->CancelRegistration(As(outsider_).get(), cancel, &out).ok());
  EXPECT_EQ(out.state(), REGISTRATION_STATE_CANCELLED);
  GetEventRequest get;
  get.set_id(made.id());
  Event read;
  EXPECT_EQ(programme_->GetEvent(As(outsider_).get(), get, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Named registrants are personal data: the privacy register's export finds their registrations by
// address (folded as everywhere), and erasure blanks name and address while the place stays taken.
TEST_F(ProgrammeApiTest, ExportAndErasureFindNamedRegistrants) {
  Event course;
  course.set_network_id("techoost");
  course.set_kind(EVENT_KIND_COURSE);
  course.set_title("Cursus PLC-programmeren");
  *course.mutable_start_time() = At(400);
  *course.mutable_end_time() = At(404);
  course.set_capacity(10);
  course.set_registration_open(true);
  Event made;
  ASSERT_TRUE(Create(owner_, course, &made).ok());
  Registration registered;
  ASSERT_TRUE(
      RegisterPerson(school_, made.id(), "Zoë Müller-Çelik", " Zoe.Muller@Example.NL ", &registered)
          .ok());
  EXPECT_EQ(registered.person_email(), "zoe.muller@example.nl");

  auto privacy = privacy::v1::PrivacyService::NewStub(server_->channel());
  privacy::v1::ExportPersonalDataRequest export_request;
  export_request.set_email("ZOE.MULLER@example.nl");
  privacy::v1::PersonalData data;
  auto exported = privacy->ExportPersonalData(Admin().get(), export_request, &data);
  ASSERT_TRUE(exported.ok()) << exported.error_message();
  ASSERT_EQ(data.event_registrations_size(), 1);
  EXPECT_EQ(data.event_registrations(0).event_id(), made.id());
  EXPECT_EQ(data.event_registrations(0).person_name(), "Zoë Müller-Çelik");

  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email("zoe.muller@example.nl");
  privacy::v1::ErasePersonalDataResponse erased;
  ASSERT_TRUE(privacy->ErasePersonalData(Admin().get(), erase, &erased).ok());
  EXPECT_EQ(erased.event_registrations(), 1);
  ASSERT_TRUE(privacy->ExportPersonalData(Admin().get(), export_request, &data).ok());
  EXPECT_EQ(data.event_registrations_size(), 0);
  ListRegistrationsRequest list;
  list.set_event_id(made.id());
  ListRegistrationsResponse registrations;
  ASSERT_TRUE(programme_->ListRegistrations(As(owner_).get(), list, &registrations).ok());
  ASSERT_EQ(registrations.registrations_size(), 1);
  EXPECT_TRUE(registrations.registrations(0).person_name().empty());
  EXPECT_TRUE(registrations.registrations(0).person_email().empty());
  EXPECT_EQ(registrations.registrations(0).state(), REGISTRATION_STATE_ADMITTED);
}

// Search finds resources with upcoming public events (a filter and a facet); a network-only event
// does not count. The registry reads the programme's index at most every 2 s: polled, up to 10 s.
TEST_F(ProgrammeApiTest, SearchFiltersAndCountsResourcesWithUpcomingPublicEvents) {
  const std::string open_lab = Lab("Zoeklab met open dag");
  const std::string closed_lab = Lab("Zoeklab met besloten demo");
  Event open_day, demo;
  ASSERT_TRUE(Create(owner_, OpenDay(open_lab, 500, 503), &open_day).ok());
  Event private_demo = OpenDay(closed_lab, 500, 503);
  private_demo.set_kind(EVENT_KIND_DEMO);
  private_demo.set_visibility(EVENT_VISIBILITY_NETWORK);
  ASSERT_TRUE(Create(owner_, private_demo, &demo).ok());

  reg::SearchResourcesRequest search;
  search.set_text_prefix("zoeklab");
  search.set_has_upcoming_events(true);
  reg::SearchResourcesResponse found;
  std::set<std::string> ids;
  for (int attempt = 0; attempt < 100; ++attempt) {
    ASSERT_TRUE(registry_->SearchResources(As(school_).get(), search, &found).ok());
    ids.clear();
    for (const auto& hit : found.hits()) ids.insert(hit.resource().id());
    if (ids.count(open_lab)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ids, std::set<std::string>{open_lab});
  search.set_has_upcoming_events(false);
  ASSERT_TRUE(registry_->SearchResources(As(school_).get(), search, &found).ok());
  EXPECT_EQ(found.total_size(), 2);
  int facet = 0;
  for (const auto& f : found.facets())
    if (f.field() == "upcoming_events")
      for (const auto& v : f.values()) facet += v.value() == "true" ? v.count() : 0;
  EXPECT_EQ(facet, 1);
}

}  // namespace
}  // namespace infrashare::testing
