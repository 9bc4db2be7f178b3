// The impact report through its public gRPC API against a reference computed independently from
// the generator's own records: a world of two networks (organisations incl. SMEs, resources of
// kinds and themes across provinces, bookings with tariffs and in-kind terms, desk inquiries with
// outcomes and feedback, some naming the asker's organisation, events with registrations, a
// waitlist and attendance) made through the real API, on a real Redis (cluster mode when
// INFRASHARE_TEST_REDIS_CLUSTER=1).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "infrashare/impact/v1/impact.grpc.pb.h"
#include "infrashare/programme/v1/programme.grpc.pb.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace sch = scheduler::v1;
namespace dsk = desk::v1;
namespace prg = programme::v1;
using namespace impact::v1;

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

struct OrgRecord {
  std::string id;
  std::string network;
  reg::OrganizationKind kind;
  bool sme = false;
  std::string token;  // organisation admin
};
struct ResourceRecord {
  std::string id;
  std::string owner;
  std::string network;
  reg::ResourceKind kind;
  std::string province;
  std::vector<reg::Theme> themes;
  int64_t tariff_per_hour_cents = 0;  // > 0: TERMS_KIND_TARIFF
  bool in_kind = false;
};
struct BookingRecord {
  std::string resource;
  std::string organization;
  int64_t start_s, end_s;
};
struct InquiryRecord {
  std::string network;
  std::string asker_organization;  // empty: not named
  bool sme = false;
  bool resolved = false;
  dsk::Outcome outcome = dsk::OUTCOME_UNSPECIFIED;
  bool feedback = false;
  int score = 0;
  bool recommend = false, again = false;
};

// A scheduled event, in the previous period (today): its places admitted, the organisations
// admitted (the organiser left out) and its attendance.
struct EventRecord {
  std::string network;
  int64_t places = 0;
  std::set<std::string> organizations;
  int64_t recorded = 0, attended = 0;
};

// What the report should say, from the records alone.
struct Expected {
  int active = 0;
  std::map<int, int> by_kind;
  std::set<std::pair<std::string, int>> cells;
  std::map<std::pair<std::string, int>, int> cell_counts;
  struct Period {
    int64_t bookings = 0;
    double available = 0, booked = 0, in_kind = 0;
    int64_t revenue = 0;
    std::map<std::string, double> by_kind;
    std::set<std::string> reached;  // through bookings
    std::set<std::string> through_events, through_desk, all_reached;
    int64_t smes = 0;
    int64_t events = 0, places = 0, recorded = 0, attended = 0;
    int64_t inquiries = 0, sme_inquiries = 0, accepted = 0, open = 0, feedback = 0;
    double score_sum = 0, recommend = 0, again = 0;
    std::map<int, int64_t> outcomes;
    int64_t pools = 0, rotation_assignments = 0;
    double unit_days = 0;
  } current, previous;
};

class ImpactTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    Config config = TestServer::DefaultConfig();
    config.scheduler.time_step_s = 1;  // an event that begins six seconds from now
    config.desk.accept_s_normal = 3600;
    config.desk.timer_interval_ms = 50;
    server_ = new TestServer(redis_->url(), config);
    server_->WaitUntilServing();
    registry_ = server_->Registry().release();
    scheduler_ = server_->Scheduler().release();
    desk_ = server_->Desk().release();
    programme_ = prg::ProgrammeService::NewStub(server_->channel()).release();
    impact_ = ImpactService::NewStub(server_->channel()).release();
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    // The current period starts 4 days ahead (bookings lie ahead); the previous one, of equal
    // length, holds today, when the inquiries are made.
    start_ = (now / kHour) * kHour + 4 * kDay;
    length_ = 5 * kDay;
    Generate();
  }
  static void TearDownTestSuite() {
    delete impact_;
    delete programme_;
    delete desk_;
    delete scheduler_;
    delete registry_;
    delete server_;
    delete redis_;
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }

  static void Generate() {
    std::mt19937 rng(14);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::vector<reg::OrganizationKind> kinds = {
        reg::ORGANIZATION_KIND_COMPANY, reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL,
        reg::ORGANIZATION_KIND_GOVERNMENT, reg::ORGANIZATION_KIND_COMPANY};
    const std::vector<std::string> provinces = {"PV23", "PV30", "PV28", "PV21"};
    const std::vector<reg::ResourceKind> resource_kinds = {
        reg::RESOURCE_KIND_LAB, reg::RESOURCE_KIND_HUB, reg::RESOURCE_KIND_LIVING_LAB,
        reg::RESOURCE_KIND_CAMPUS};
    for (const std::string net : {"impact-noord", "impact-zuid"}) {
      std::vector<std::string> members;
      for (int i = 0; i < 5; ++i) {
        OrgRecord org;
        org.id = net + "-org" + std::to_string(i);
        org.network = net;
        org.kind = kinds[i % kinds.size()];
        org.sme = org.kind == reg::ORGANIZATION_KIND_COMPANY && pick(3) > 0;
        reg::CreateOrganizationRequest request;
        request.set_organization_id(org.id);
        request.mutable_organization()->set_display_name("Café Ñ 's-Hertogenbosch " + org.id);
        request.mutable_organization()->set_kind(org.kind);
        request.mutable_organization()->set_sme(org.sme);
        reg::Organization created;
        auto status = registry_->CreateOrganization(As(kAdminToken).get(), request, &created);
        ASSERT_TRUE(status.ok()) << status.error_message();
        org.token = server_->Token(org.id, {auth::v1::ROLE_ORGANIZATION_ADMIN});
        members.push_back(org.id);
        orgs_[org.id] = org;
      }
      reg::CreateNetworkRequest network;
      network.set_network_id(net);
      network.mutable_network()->set_display_name(net);
      for (const auto& m : members) network.mutable_network()->add_member_organization_ids(m);
      reg::Network created;
      reg::Organization created_org;
      ASSERT_TRUE(registry_->CreateNetwork(As(kAdminToken).get(), network, &created).ok());
      reg::CreateOrganizationRequest office;  // the programme office: no member, no resources
      office.set_organization_id(net + "-office");
      office.mutable_organization()->set_display_name("Programmabureau " + net);
      office.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_OTHER);
      ASSERT_TRUE(registry_->CreateOrganization(As(kAdminToken).get(), office, &created_org).ok());
      coordinators_[net] =
          server_->Token(net + "-office", {auth::v1::ROLE_NETWORK_COORDINATOR}, {net});

      for (int i = 0; i < 6; ++i) {
        ResourceRecord rec;
        rec.owner = members[pick(static_cast<int>(members.size()))];
        rec.network = net;
        rec.kind = resource_kinds[pick(static_cast<int>(resource_kinds.size()))];
        rec.province = provinces[pick(static_cast<int>(provinces.size()))];
        rec.themes.push_back(static_cast<reg::Theme>(1 + pick(5)));
        if (pick(2)) rec.themes.push_back(static_cast<reg::Theme>(6 + pick(5)));
        if (i % 3 == 0) rec.tariff_per_hour_cents = 1000 * (1 + pick(9));
        if (i % 3 == 1) rec.in_kind = true;
        reg::Resource r;
        r.set_display_name("Perron038 " + net + " " + std::to_string(i));
        r.set_kind(rec.kind);
        r.set_owner_organization_id(rec.owner);
        r.add_shared_with_network_ids(net);
        r.mutable_location()->mutable_point()->set_latitude(52.5);
        r.mutable_location()->mutable_point()->set_longitude(6.1);
        r.mutable_location()->mutable_region()->set_province(rec.province);
        for (auto t : rec.themes) r.add_themes(t);
        r.set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
        r.set_capacity(1);
        r.set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
        r.set_sme_accessible(true);
        r.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
        if (rec.tariff_per_hour_cents > 0) {
          r.mutable_terms()->set_kind(reg::TERMS_KIND_TARIFF);
          r.mutable_terms()->set_tariff_per_hour_cents(rec.tariff_per_hour_cents);
        } else if (rec.in_kind) {
          r.mutable_terms()->set_kind(reg::TERMS_KIND_IN_KIND);
        }
        reg::CreateResourceRequest request;
        *request.mutable_resource() = r;
        reg::Resource made;
        auto status = registry_->CreateResource(As(kAdminToken).get(), request, &made);
        ASSERT_TRUE(status.ok()) << status.error_message();
        rec.id = made.id();
        resources_.push_back(rec);

        // Bookings one after another from a day ahead to the end of the current period; some
        // straddle the periods' boundary, a few are cancelled.
        int64_t at = start_ - length_ + 2 * kDay + pick(6) * kHour;
        while (true) {
          const int64_t end = at + (1 + pick(4)) * kHour;
          if (end > start_ + length_) break;
          sch::CreateBookingRequest book;
          book.set_resource_id(rec.id);
          book.mutable_start_time()->set_seconds(at);
          book.mutable_end_time()->set_seconds(end);
          book.set_quantity(1);
          book.set_title("Practicum");
          const std::string booker = members[pick(static_cast<int>(members.size()))];
          sch::Booking booked;
          auto made_booking =
              scheduler_->CreateBooking(As(orgs_[booker].token).get(), book, &booked);
          ASSERT_TRUE(made_booking.ok()) << made_booking.error_message();
          if (pick(8) == 0) {
            sch::CancelBookingRequest cancel;
            cancel.set_id(booked.id());
            cancel.set_reason("plans changed");
            sch::Booking cancelled;
            ASSERT_TRUE(
                scheduler_->CancelBooking(As(orgs_[booker].token).get(), cancel, &cancelled).ok());
          } else {
            bookings_.push_back({rec.id, booker, at, end});
          }
          at = end + pick(30) * kHour;
        }
      }
      MakeInquiries(net, members, rng);
      MakeRotation(net, members);
      MakeProgramme(net, members);
    }
    RecordAttendance();
  }

  static grpc::Status Register(const std::string& token, const std::string& event,
                               prg::Registration* out, const std::string& person = "") {
    prg::RegisterRequest request;
    request.set_event_id(event);
    if (!person.empty()) {
      request.set_person_name(person);
      request.set_person_email("sanne.devries@bakkerij.example");
    }
    return programme_->Register(As(token).get(), request, out);
  }

  // At the network's first two resources, organised by their owners: one event starting in a few
  // seconds (attendance is recorded once it has begun), one later today with 2 places for 3
  // organisations (one waits), and one cancelled. The events book their resources: the owners'
  // own use, counted in shared use like any booking.
  static void MakeProgramme(const std::string& net, const std::vector<std::string>& members) {
    std::vector<const ResourceRecord*> places;
    for (const auto& r : resources_)
      if (r.network == net && places.size() < 2) places.push_back(&r);
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto make = [&](const ResourceRecord& at, int64_t from, int64_t to, int capacity,
                    prg::Event* out) {
      prg::CreateEventRequest request;
      auto* e = request.mutable_event();
      e->set_resource_id(at.id);
      e->set_kind(prg::EVENT_KIND_MASTERCLASS);
      e->set_title("Masterclass digitale tweeling — Café Ñ, 's-Hertogenbosch");
      e->mutable_start_time()->set_seconds(from);
      e->mutable_end_time()->set_seconds(to);
      e->set_language("nl");
      e->add_audiences(prg::AUDIENCE_SMES);
      e->set_capacity(capacity);
      e->set_registration_open(true);
      e->set_visibility(prg::EVENT_VISIBILITY_PUBLIC);
      auto status = programme_->CreateEvent(As(orgs_[at.owner].token).get(), request, out);
      ASSERT_TRUE(status.ok()) << status.error_message();
      bookings_.push_back({at.id, at.owner, from, to});
    };
    auto admitted = [&](EventRecord& rec, const std::string& organiser, const std::string& org,
                        const prg::Registration& r) {
      ASSERT_EQ(r.state(), prg::REGISTRATION_STATE_ADMITTED);
      rec.places += r.places();
      if (org != organiser) rec.organizations.insert(org);
    };

    prg::Event soon, later, cancelled;
    EventRecord first, second;
    first.network = second.network = net;
    // Registration closes when the event begins: 6 s leave room for three registrations.
    make(*places[0], now + 6, now + 6 + kHour, 20, &soon);
    prg::Registration r1, r2, r3;
    ASSERT_TRUE(Register(orgs_[members[1]].token, soon.id(), &r1).ok());
    admitted(first, places[0]->owner, members[1], r1);
    ASSERT_TRUE(Register(orgs_[members[2]].token, soon.id(), &r2, "Sanne de Vries").ok());
    admitted(first, places[0]->owner, members[2], r2);
    if (places[0]->owner != members[1]) {  // an organisation registers once
      ASSERT_TRUE(Register(orgs_[places[0]->owner].token, soon.id(), &r3).ok());
      admitted(first, places[0]->owner, places[0]->owner, r3);
    }
    // Attendance once the event has begun: r1 came, r2 did not.
    attendance_.push_back({orgs_[places[0]->owner].token, soon.id(), r1.id(), true, now + 6});
    attendance_.push_back({orgs_[places[0]->owner].token, soon.id(), r2.id(), false, now + 6});
    first.recorded = 2;
    first.attended = 1;

    make(*places[1], now + 5 * kHour, now + 7 * kHour, 2, &later);
    for (int m : {3, 4}) {
      prg::Registration r;
      ASSERT_TRUE(Register(orgs_[members[m]].token, later.id(), &r).ok());
      admitted(second, places[1]->owner, members[m], r);
    }
    prg::Registration waiting;
    ASSERT_TRUE(Register(orgs_[members[1]].token, later.id(), &waiting).ok());
    ASSERT_EQ(waiting.state(), prg::REGISTRATION_STATE_WAITLISTED);

    make(*places[0], now + 10 * kHour, now + 11 * kHour, 20, &cancelled);
    bookings_.pop_back();  // cancelled with its event
    prg::Registration gone;
    ASSERT_TRUE(Register(orgs_[members[3]].token, cancelled.id(), &gone).ok());
    prg::CancelEventRequest cancel;
    cancel.set_id(cancelled.id());
    cancel.set_reason("te weinig aanmeldingen");
    prg::Event out;
    ASSERT_TRUE(
        programme_->CancelEvent(As(orgs_[places[0]->owner].token).get(), cancel, &out).ok());
    events_.push_back(first);
    events_.push_back(second);
  }

  struct Attendance {
    std::string token, event, registration;
    bool attended;
    int64_t from_s;
  };

  static void RecordAttendance() {
    for (const auto& a : attendance_) {
      const auto begins = std::chrono::system_clock::time_point(std::chrono::seconds(a.from_s));
      std::this_thread::sleep_until(begins + std::chrono::milliseconds(200));
      prg::RecordAttendanceRequest request;
      request.set_event_id(a.event);
      request.set_registration_id(a.registration);
      request.set_attended(a.attended);
      prg::Registration out;
      auto status = programme_->RecordAttendance(As(a.token).get(), request, &out);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_TRUE(out.attendance_recorded());
    }
  }

  // A mobile unit of the network's first member (not shared with the network: its rotation legs
  // are no shared use), asked for by the second for 2 days inside the current period; planned and
  // committed.
  static void MakeRotation(const std::string& net, const std::vector<std::string>& members) {
    reg::Resource unit;
    unit.set_display_name("Mobiel lab " + net);
    unit.set_kind(reg::RESOURCE_KIND_EQUIPMENT);
    unit.set_mobility(reg::MOBILITY_MOBILE);
    unit.set_owner_organization_id(members[0]);
    unit.mutable_location()->mutable_point()->set_latitude(52.51);
    unit.mutable_location()->mutable_point()->set_longitude(6.09);
    *unit.mutable_home_base() = unit.location();
    unit.set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    unit.set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    unit.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::CreateResourceRequest create_unit;
    *create_unit.mutable_resource() = unit;
    reg::Resource made;
    ASSERT_TRUE(registry_->CreateResource(As(kAdminToken).get(), create_unit, &made).ok());
    sch::CreateRotationPoolRequest create_pool;
    create_pool.mutable_pool()->set_display_name("Mobiele labs " + net);
    create_pool.mutable_pool()->add_unit_resource_ids(made.id());
    sch::RotationPool pool;
    grpc::Status status;
    for (int i = 0; i < 100; ++i) {  // once the scheduler knows the new unit
      status =
          scheduler_->CreateRotationPool(As(orgs_[members[0]].token).get(), create_pool, &pool);
      if (status.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    sch::CreateRotationRequestRequest ask;
    auto* r = ask.mutable_rotation_request();
    r->set_pool_id(pool.id());
    r->mutable_location()->set_latitude(52.52);
    r->mutable_location()->set_longitude(6.08);
    r->mutable_earliest_start_time()->set_seconds(start_ + kDay);
    r->mutable_latest_end_time()->set_seconds(start_ + 4 * kDay);
    r->set_duration_days(2);
    sch::RotationRequest asked;
    status = scheduler_->CreateRotationRequest(As(orgs_[members[1]].token).get(), ask, &asked);
    ASSERT_TRUE(status.ok()) << status.error_message();
    sch::PlanRotationRequest plan_request;
    plan_request.set_pool_id(pool.id());
    plan_request.mutable_horizon_start_time()->set_seconds(start_);
    plan_request.mutable_horizon_end_time()->set_seconds(start_ + length_);
    sch::RotationPlan plan;
    status = scheduler_->PlanRotation(As(orgs_[members[0]].token).get(), plan_request, &plan);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(plan.assignments_size(), 1);
    sch::CommitRotationPlanRequest commit;
    commit.set_id(plan.id());
    status = scheduler_->CommitRotationPlan(As(orgs_[members[0]].token).get(), commit, &plan);
    ASSERT_TRUE(status.ok()) << status.error_message();
    rotation_days_[net] = 2;
  }

  static void MakeInquiries(const std::string& net, const std::vector<std::string>& members,
                            std::mt19937& rng) {
    const std::string responder_org = members[0];
    auto token = server_->TokenWithInfo(responder_org, {auth::v1::ROLE_DESK_RESPONDER});
    dsk::CreateResponderRequest create;
    auto* r = create.mutable_responder();
    r->set_organization_id(responder_org);
    r->set_display_name("Netwerkloket " + net);
    r->set_token_id(token.info().id());
    r->add_skills(dsk::NEED_TYPE_INNOVATION);
    r->set_capacity(50);
    r->set_online(true);
    dsk::Responder responder;
    ASSERT_TRUE(
        desk_->CreateResponder(As(orgs_[responder_org].token).get(), create, &responder).ok());
    const std::vector<dsk::Outcome> outcomes = {dsk::OUTCOME_ANSWERED, dsk::OUTCOME_NO_MATCH,
                                                dsk::OUTCOME_ANSWERED};
    for (int i = 0; i < 4; ++i) {
      InquiryRecord rec;
      rec.network = net;
      rec.sme = rng() % 2 == 0;
      const std::string entry = members[1 + i % (members.size() - 1)];
      dsk::SubmitInquiryRequest submit;
      submit.set_need_type(dsk::NEED_TYPE_INNOVATION);
      submit.set_text("Hulp bij digitalisering, Zwolle");
      submit.set_asker_is_sme(rec.sme);
      if (i % 2 == 1) {  // named: an SME organisation makes the asker an SME
        rec.asker_organization = members[3];
        submit.set_asker_organization_id(rec.asker_organization);
        rec.sme = rec.sme || orgs_[members[3]].sme;
      }
      submit.mutable_contact()->set_name("Jan de Bakker");
      submit.mutable_contact()->set_email("jan@bakkerij.example");
      dsk::Inquiry inquiry;
      ASSERT_TRUE(desk_->SubmitInquiry(As(orgs_[entry].token).get(), submit, &inquiry).ok());
      if (i < 3) {
        ASSERT_TRUE(AwaitOffered(inquiry.id()));
        dsk::AcceptInquiryRequest accept;
        accept.set_id(inquiry.id());
        accept.set_responder_id(responder.id());
        dsk::Inquiry out;
        auto accepted = desk_->AcceptInquiry(As(token.token()).get(), accept, &out);
        ASSERT_TRUE(accepted.ok()) << accepted.error_message();
        rec.outcome = outcomes[static_cast<size_t>(i)];
        dsk::ResolveInquiryRequest resolve;
        resolve.set_id(inquiry.id());
        resolve.set_responder_id(responder.id());
        resolve.set_outcome(rec.outcome);
        resolve.set_note("answered");
        ASSERT_TRUE(desk_->ResolveInquiry(As(token.token()).get(), resolve, &out).ok());
        rec.resolved = true;
        if (i < 2) {
          rec.feedback = true;
          rec.score = 2 + static_cast<int>(rng() % 4);
          rec.recommend = rng() % 3 != 0;
          rec.again = rng() % 4 != 0;
          dsk::RecordFeedbackRequest feedback;
          feedback.set_id(inquiry.id());
          feedback.mutable_feedback()->set_score(rec.score);
          feedback.mutable_feedback()->set_would_recommend(rec.recommend);
          feedback.mutable_feedback()->set_would_work_again(rec.again);
          ASSERT_TRUE(desk_->RecordFeedback(As(orgs_[entry].token).get(), feedback, &out).ok());
        }
      }
      inquiries_.push_back(rec);
    }
  }

  // Up to 15 s for the dispatcher to offer the inquiry.
  static bool AwaitOffered(const std::string& id) {
    for (int i = 0; i < 300; ++i) {
      dsk::GetInquiryRequest get;
      get.set_id(id);
      dsk::Inquiry inquiry;
      if (desk_->GetInquiry(As(kAdminToken).get(), get, &inquiry).ok() &&
          inquiry.state() == dsk::INQUIRY_STATE_OFFERED)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  static std::string KindOf(const OrgRecord& org) {
    if (org.sme) return "sme";
    switch (org.kind) {
      case reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL:
        return "school";
      case reg::ORGANIZATION_KIND_GOVERNMENT:
        return "government";
      case reg::ORGANIZATION_KIND_COMPANY:
        return "company";
      default:
        return "other";
    }
  }

  // The reference: `network` empty means every network.
  static Expected Reference(const std::string& network) {
    Expected e;
    std::map<std::string, const ResourceRecord*> in_scope;
    for (const auto& r : resources_) {
      if (!network.empty() && r.network != network) continue;
      in_scope[r.id] = &r;
      ++e.active;
      e.by_kind[r.kind]++;
      for (auto t : r.themes) e.cell_counts[{r.province, t}]++;
    }
    for (const auto& [key, count] : e.cell_counts) e.cells.insert(key);
    auto fill = [&](Expected::Period& p, int64_t from, int64_t to) {
      p.available = static_cast<double>(in_scope.size()) * static_cast<double>(to - from) / kHour;
      for (const auto& b : bookings_) {
        auto it = in_scope.find(b.resource);
        if (it == in_scope.end()) continue;
        const int64_t s = std::max(b.start_s, from), t = std::min(b.end_s, to);
        if (t <= s) continue;
        const double hours = static_cast<double>(t - s) / kHour;
        ++p.bookings;
        p.booked += hours;
        const OrgRecord& booker = orgs_.at(b.organization);
        p.by_kind[KindOf(booker)] += hours;
        if (b.organization == it->second->owner) continue;
        p.reached.insert(b.organization);
        p.all_reached.insert(b.organization);
        p.revenue += it->second->tariff_per_hour_cents * (t - s) / kHour;
        if (it->second->in_kind) p.in_kind += hours;
      }
    };
    fill(e.current, start_, start_ + length_);
    fill(e.previous, start_ - length_, start_);
    for (const auto& [net, days] : rotation_days_) {
      if (!network.empty() && net != network) continue;
      ++e.current.pools;
      ++e.previous.pools;
      ++e.current.rotation_assignments;
      e.current.unit_days += days;
    }
    // Every inquiry was made today: in the previous period.
    for (const auto& i : inquiries_) {
      if (!network.empty() && i.network != network) continue;
      auto& p = e.previous;
      ++p.inquiries;
      p.sme_inquiries += i.sme;
      p.accepted += i.resolved;
      if (i.resolved) {
        p.outcomes[i.outcome]++;
      } else {
        ++p.open;
      }
      if (i.feedback) {
        ++p.feedback;
        p.score_sum += i.score;
        p.recommend += i.recommend;
        p.again += i.again;
      }
      if (!i.asker_organization.empty()) {
        p.through_desk.insert(i.asker_organization);
        p.all_reached.insert(i.asker_organization);
      }
    }
    // Every counted event is today: in the previous period.
    for (const auto& ev : events_) {
      if (!network.empty() && ev.network != network) continue;
      auto& p = e.previous;
      ++p.events;
      p.places += ev.places;
      p.recorded += ev.recorded;
      p.attended += ev.attended;
      p.through_events.insert(ev.organizations.begin(), ev.organizations.end());
      p.all_reached.insert(ev.organizations.begin(), ev.organizations.end());
    }
    for (auto* p : {&e.current, &e.previous})
      for (const auto& org : p->all_reached) p->smes += orgs_.at(org).sme;
    return e;
  }

  static void ExpectPeriod(const Expected::Period& want, const ImpactPeriod& got,
                           const std::string& what) {
    SCOPED_TRACE(what);
    const auto& usage = got.shared_use().usage();
    EXPECT_EQ(got.shared_use().bookings(), want.bookings);
    EXPECT_NEAR(usage.available_hours(), want.available, 1e-6);
    EXPECT_NEAR(usage.booked_hours(), want.booked, 1e-6);
    EXPECT_NEAR(usage.utilisation(), want.available > 0 ? want.booked / want.available : 0, 1e-9);
    EXPECT_EQ(usage.tariff_revenue_cents(), want.revenue);
    EXPECT_NEAR(usage.in_kind_hours(), want.in_kind, 1e-6);
    EXPECT_EQ(usage.resources_size(), 0);
    for (const auto& row : usage.by_booker_kind()) {
      auto it = want.by_kind.find(row.booker_kind());
      EXPECT_NEAR(row.hours(), it == want.by_kind.end() ? 0.0 : it->second, 1e-6)
          << row.booker_kind();
    }
    const double sme_hours = want.by_kind.count("sme") ? want.by_kind.at("sme") : 0.0;
    EXPECT_NEAR(got.shared_use().sme_hours_share(), want.booked > 0 ? sme_hours / want.booked : 0,
                1e-9);
    EXPECT_EQ(got.reach().organizations(), static_cast<int64_t>(want.all_reached.size()));
    EXPECT_EQ(got.reach().through_bookings(), static_cast<int64_t>(want.reached.size()));
    EXPECT_EQ(got.reach().through_events(), static_cast<int64_t>(want.through_events.size()));
    EXPECT_EQ(got.reach().through_desk(), static_cast<int64_t>(want.through_desk.size()));
    EXPECT_EQ(got.reach().smes(), want.smes);
    EXPECT_NEAR(
        got.reach().sme_share(),
        want.all_reached.empty() ? 0 : static_cast<double>(want.smes) / want.all_reached.size(),
        1e-9);
    const auto& programme = got.programme();
    EXPECT_EQ(programme.events(), want.events);
    EXPECT_EQ(programme.registrations(), want.places);
    EXPECT_EQ(programme.attendance_recorded(), want.recorded);
    EXPECT_EQ(programme.attended(), want.attended);
    EXPECT_NEAR(programme.attendance_rate(),
                want.recorded > 0 ? static_cast<double>(want.attended) / want.recorded : 0, 1e-9);
    EXPECT_EQ(got.reach().sme_inquiries(), want.sme_inquiries);
    const auto& desk = got.desk();
    EXPECT_EQ(desk.inquiries(), want.inquiries);
    EXPECT_EQ(desk.accepted(), want.accepted);
    EXPECT_EQ(desk.open_inquiries(), want.open);
    EXPECT_EQ(desk.feedback_responses(), want.feedback);
    const double n = static_cast<double>(want.feedback);
    EXPECT_NEAR(desk.average_score(), n > 0 ? want.score_sum / n : 0, 1e-9);
    EXPECT_NEAR(desk.would_recommend_share(), n > 0 ? want.recommend / n : 0, 1e-9);
    EXPECT_NEAR(desk.would_work_again_share(), n > 0 ? want.again / n : 0, 1e-9);
    EXPECT_NEAR(desk.sme_share(),
                want.inquiries > 0 ? static_cast<double>(want.sme_inquiries) / want.inquiries : 0,
                1e-9);
    EXPECT_EQ(got.rotations().pools(), want.pools);
    EXPECT_EQ(got.rotations().assignments(), want.rotation_assignments);
    EXPECT_NEAR(got.rotations().unit_days(), want.unit_days, 1e-9);
    std::map<int, int64_t> outcomes;
    for (const auto& o : desk.outcomes()) outcomes[o.outcome()] = o.inquiries();
    EXPECT_EQ(outcomes, want.outcomes);
  }

  static void ExpectReport(const std::string& network, const ImpactReport& got) {
    SCOPED_TRACE(network.empty() ? "all networks" : network);
    const Expected want = Reference(network);
    EXPECT_EQ(got.network_id(), network);
    EXPECT_EQ(got.resources().active_resources(), want.active);
    std::map<int, int> by_kind;
    for (const auto& k : got.resources().coverage().by_kind())
      by_kind[k.kind()] = k.active_resources();
    EXPECT_EQ(by_kind, want.by_kind);
    std::map<std::pair<std::string, int>, int> cells;
    for (const auto& c : got.resources().coverage().cells())
      cells[{c.region_code(), c.theme()}] = c.active_resources();
    EXPECT_EQ(cells, want.cell_counts);
    // Every province and theme without a resource is a white spot, and no other.
    std::set<std::pair<std::string, int>> spots;
    for (const auto& s : got.resources().coverage().white_spots())
      spots.insert({s.region_code(), s.theme()});
    EXPECT_EQ(spots.size(), 12u * static_cast<size_t>(reg::Theme_MAX) - want.cells.size());
    for (const auto& cell : want.cells) EXPECT_EQ(spots.count(cell), 0u);
    EXPECT_EQ(got.current().start_time().seconds(), start_);
    EXPECT_EQ(got.current().end_time().seconds(), start_ + length_);
    EXPECT_EQ(got.previous().start_time().seconds(), start_ - length_);
    EXPECT_EQ(got.previous().end_time().seconds(), start_);
    ExpectPeriod(want.current, got.current(), "current");
    ExpectPeriod(want.previous, got.previous(), "previous");
  }

  static ImpactReportRequest Request(const std::string& network) {
    ImpactReportRequest request;
    request.set_network_id(network);
    request.mutable_start_time()->set_seconds(start_);
    request.mutable_end_time()->set_seconds(start_ + length_);
    return request;
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static reg::RegistryService::Stub* registry_;
  static sch::SchedulerService::Stub* scheduler_;
  static dsk::DeskService::Stub* desk_;
  static ImpactService::Stub* impact_;
  static prg::ProgrammeService::Stub* programme_;
  static int64_t start_, length_;
  static std::map<std::string, OrgRecord> orgs_;
  static std::map<std::string, std::string> coordinators_;
  static std::vector<ResourceRecord> resources_;
  static std::vector<BookingRecord> bookings_;
  static std::vector<InquiryRecord> inquiries_;
  static std::vector<EventRecord> events_;
  static std::vector<Attendance> attendance_;
  static std::map<std::string, int> rotation_days_;  // served inside the current period
};

RedisServer* ImpactTest::redis_ = nullptr;
TestServer* ImpactTest::server_ = nullptr;
reg::RegistryService::Stub* ImpactTest::registry_ = nullptr;
sch::SchedulerService::Stub* ImpactTest::scheduler_ = nullptr;
dsk::DeskService::Stub* ImpactTest::desk_ = nullptr;
ImpactService::Stub* ImpactTest::impact_ = nullptr;
prg::ProgrammeService::Stub* ImpactTest::programme_ = nullptr;
int64_t ImpactTest::start_ = 0;
int64_t ImpactTest::length_ = 0;
std::map<std::string, OrgRecord> ImpactTest::orgs_;
std::map<std::string, std::string> ImpactTest::coordinators_;
std::vector<ResourceRecord> ImpactTest::resources_;
std::vector<BookingRecord> ImpactTest::bookings_;
std::vector<InquiryRecord> ImpactTest::inquiries_;
std::vector<EventRecord> ImpactTest::events_;
std::vector<ImpactTest::Attendance> ImpactTest::attendance_;
std::map<std::string, int> ImpactTest::rotation_days_;

TEST_F(ImpactTest, ANetworksReportMatchesTheReferenceInBothPeriods) {
  for (const auto& [network, coordinator] : coordinators_) {
    // The world has something to count in both periods, and the boundary cuts bookings.
    const Expected want = Reference(network);
    ASSERT_GT(want.current.bookings, 0);
    ASSERT_GT(want.previous.bookings, 0);
    ASSERT_GT(want.current.revenue, 0);
    ASSERT_GT(want.previous.in_kind, 0);
    ASSERT_GT(want.previous.smes, 0);
    ASSERT_EQ(want.previous.inquiries, 4);
    ASSERT_EQ(want.previous.events, 2);
    ASSERT_FALSE(want.previous.through_events.empty());
    ASSERT_EQ(want.previous.through_desk.size(), 1u);
    ImpactReport report;
    auto status = impact_->GetImpactReport(As(coordinator).get(), Request(network), &report);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ExpectReport(network, report);
  }
}

TEST_F(ImpactTest, EveryNetworkTogetherMatchesTheReferenceForPlatformAdmins) {
  ImpactReport report;
  auto status = impact_->GetImpactReport(As(kAdminToken).get(), Request(""), &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectReport("", report);
}

TEST_F(ImpactTest, AnInquiryNamesOnlyARegisteredAskerOrganisation) {
  dsk::SubmitInquiryRequest submit;
  submit.set_need_type(dsk::NEED_TYPE_INNOVATION);
  submit.set_text("Vraag over de werkplaats");
  submit.set_asker_organization_id("bakkerij-die-niet-bestaat");
  dsk::Inquiry inquiry;
  auto status = desk_->SubmitInquiry(As(orgs_["impact-noord-org1"].token).get(), submit, &inquiry);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "asker_organization_id");
  submit.set_asker_organization_id("not an id; DROP");
  status = desk_->SubmitInquiry(As(orgs_["impact-noord-org1"].token).get(), submit, &inquiry);
  EXPECT_EQ(BadField(status), "asker_organization_id");
}

TEST_F(ImpactTest, CoordinatorsSeeTheirOwnNetworkOnlyAndMembersNone) {
  ImpactReport report;
  const std::string& noord = coordinators_.at("impact-noord");
  EXPECT_EQ(impact_->GetImpactReport(As(noord).get(), Request("impact-zuid"), &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(impact_->GetImpactReport(As(noord).get(), Request(""), &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string member = server_->Token("impact-noord-org1", {auth::v1::ROLE_MEMBER});
  EXPECT_EQ(
      impact_->GetImpactReport(As(member).get(), Request("impact-noord"), &report).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(impact_->GetImpactReport(As(kAdminToken).get(), Request("no-such-network"), &report)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A 1 MiB network id is refused by the request limits, naming the field.
  auto huge =
      impact_->GetImpactReport(As(kAdminToken).get(), Request(std::string(1 << 20, 'n')), &report);
  EXPECT_EQ(huge.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(huge), "network_id");
  auto context = std::make_unique<grpc::ClientContext>();
  EXPECT_EQ(impact_->GetImpactReport(context.get(), Request("impact-noord"), &report).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ImpactTest, BadPeriodsAreRefusedNamingTheField) {
  ImpactReport report;
  auto backwards = Request("impact-noord");
  backwards.mutable_end_time()->set_seconds(start_ - kHour);
  auto status = impact_->GetImpactReport(As(kAdminToken).get(), backwards, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "end_time");
  auto empty = Request("impact-noord");
  empty.mutable_end_time()->set_seconds(start_);
  EXPECT_EQ(BadField(impact_->GetImpactReport(As(kAdminToken).get(), empty, &report)), "end_time");
  auto too_long = Request("impact-noord");
  too_long.mutable_end_time()->set_seconds(start_ + 3654 * kDay);
  status = impact_->GetImpactReport(As(kAdminToken).get(), too_long, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "end_time");
  auto ten_years = Request("impact-noord");
  ten_years.mutable_end_time()->set_seconds(start_ + 3653 * kDay);
  EXPECT_TRUE(impact_->GetImpactReport(As(kAdminToken).get(), ten_years, &report).ok());
  auto no_start = Request("impact-noord");
  no_start.clear_start_time();
  EXPECT_EQ(BadField(impact_->GetImpactReport(As(kAdminToken).get(), no_start, &report)),
            "start_time");
  // Times outside the configured years (docs/limits.md) are refused before anything is read: the
  // year 9999, the year 1.
  auto year_9999 = Request("impact-noord");
  year_9999.mutable_start_time()->set_seconds(253402300799 - 30 * kDay);
  year_9999.mutable_end_time()->set_seconds(253402300799);
  status = impact_->GetImpactReport(As(kAdminToken).get(), year_9999, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "start_time");
  auto year_1 = Request("impact-noord");
  year_1.mutable_start_time()->set_seconds(-62135596800 + kDay);  // 0001-01-02
  year_1.mutable_end_time()->set_seconds(-62135596800 + 3 * kDay);
  EXPECT_EQ(BadField(impact_->GetImpactReport(As(kAdminToken).get(), year_1, &report)),
            "start_time");
  // A ten-year period from 2000: its previous period lies before the configured years, and is
  // reported all the same (empty).
  auto from_2000 = Request("impact-noord");
  from_2000.mutable_start_time()->set_seconds(946684800);
  from_2000.mutable_end_time()->set_seconds(946684800 + 3653 * kDay);
  status = impact_->GetImpactReport(As(kAdminToken).get(), from_2000, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(report.previous().start_time().seconds(), 946684800 - 3653 * kDay);
  EXPECT_EQ(report.previous().shared_use().bookings(), 0);
  ExportImpactReportRequest export_request;
  *export_request.mutable_report() = backwards;
  ExportImpactReportResponse exported;
  status = impact_->ExportImpactReport(As(kAdminToken).get(), export_request, &exported);
  EXPECT_EQ(BadField(status), "report.end_time");
}

TEST_F(ImpactTest, ExportsTheSameReportAsJsonAndCsv) {
  ImpactReport report;
  ASSERT_TRUE(
      impact_->GetImpactReport(As(kAdminToken).get(), Request("impact-zuid"), &report).ok());
  ExportImpactReportRequest request;
  *request.mutable_report() = Request("impact-zuid");
  request.set_format(EXPORT_FORMAT_JSON);
  ExportImpactReportResponse json;
  ASSERT_TRUE(impact_->ExportImpactReport(As(kAdminToken).get(), request, &json).ok());
  EXPECT_EQ(json.content_type(), "application/json");
  ImpactReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.content(), &parsed).ok());
  parsed.clear_generated_time();
  report.clear_generated_time();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, report))
      << parsed.DebugString();

  request.set_format(EXPORT_FORMAT_CSV);
  ExportImpactReportResponse csv;
  ASSERT_TRUE(impact_->ExportImpactReport(As(kAdminToken).get(), request, &csv).ok());
  EXPECT_EQ(csv.content_type(), "text/csv; charset=utf-8");
  const std::string& text = csv.content();
  EXPECT_EQ(text.rfind("section,measure,current,previous\r\n", 0), 0u);
  EXPECT_NE(
      text.find("shared_use,bookings," + std::to_string(report.current().shared_use().bookings()) +
                "," + std::to_string(report.previous().shared_use().bookings()) + "\r\n"),
      std::string::npos);
  EXPECT_NE(text.find("desk,inquiries,0," + std::to_string(report.previous().desk().inquiries()) +
                      "\r\n"),
            std::string::npos);
  EXPECT_NE(text.find("resources,active_resources," +
                      std::to_string(report.resources().active_resources()) + ",\r\n"),
            std::string::npos);
  // Region names with a comma or quote would be quoted; Fryslân passes as UTF-8.
  request.set_format(static_cast<ExportFormat>(9));
  EXPECT_EQ(BadField(impact_->ExportImpactReport(As(kAdminToken).get(), request, &csv)), "format");
}

TEST_F(ImpactTest, AServerRunningOnlyTheImpactServiceReportsTheSame) {
  TestServer alone(redis_->url(), TestServer::DefaultConfig(), {"impact"});
  alone.WaitUntilServing();
  auto stub = ImpactService::NewStub(alone.channel());
  ImpactReport report;
  auto status = stub->GetImpactReport(As(kAdminToken).get(), Request(""), &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectReport("", report);
}

}  // namespace
}  // namespace infrashare::testing
