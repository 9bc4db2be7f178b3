// The desk through its public gRPC API: a real Redis (cluster mode when
// INFRASHARE_TEST_REDIS_CLUSTER=1), the real server with its dispatcher on loopback, real stubs.
// Every test builds its own network, so routing in one never sees another's responders.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/ascii.h"
#include "infrashare/privacy/v1/privacy.grpc.pb.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace sch = scheduler::v1;
using namespace desk::v1;

struct Person {
  std::string id;     // responder id
  std::string token;  // the responder's own token
};

class DeskApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    Config config = TestServer::DefaultConfig();
    config.desk.accept_s_high =
        1;  // HIGH-urgency offers lapse after a second: the timeout tests use them
    config.desk.accept_s_normal = 3600;
    config.desk.escalation_s = 1;
    config.desk.level2_escalation_s = 1;  // and a second later back to the entry partner
    config.desk.timer_interval_ms = 50;
    config.desk.max_text_bytes = 500;
    config.desk.follow_up_s = 1;  // the follow-up comes a second after resolution here
    server_ = new TestServer(redis_->url(), config);
    server_->WaitUntilServing();
    registry_ = server_->Registry().release();
    desk_ = server_->Desk().release();
    CreateOrg("outsider");
    outsider_ = server_->Token("outsider",
                               {auth::v1::ROLE_ORGANIZATION_ADMIN, auth::v1::ROLE_DESK_RESPONDER});
  }
  static void TearDownTestSuite() {
    delete desk_;
    delete registry_;
    delete server_;
    delete redis_;
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }
  static std::unique_ptr<grpc::ClientContext> Admin() { return As(kAdminToken); }

  static void CreateOrg(const std::string& id) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(id);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    reg::Organization created;
    auto status = registry_->CreateOrganization(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // A network of its own for the test: `orgs` (prefixed with the network's name) as members, an
  // admin token per organisation and a coordinator token.
  void MakeNetwork(const std::vector<std::string>& orgs) {
    static std::atomic<int> counter{0};
    net_ = "net" + std::to_string(++counter);
    reg::CreateNetworkRequest request;
    request.set_network_id(net_);
    request.mutable_network()->set_display_name(net_);
    for (const auto& org : orgs) {
      CreateOrg(Org(org));
      request.mutable_network()->add_member_organization_ids(Org(org));
      admins_[org] = server_->Token(Org(org), {auth::v1::ROLE_ORGANIZATION_ADMIN});
    }
    reg::Network created;
    auto status = registry_->CreateNetwork(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    CreateOrg(Org("office"));  // the network's programme office, itself no member
    coordinator_ = server_->Token(Org("office"), {auth::v1::ROLE_NETWORK_COORDINATOR}, {net_});
  }
  std::string Org(const std::string& name) const { return net_ + "-" + name; }

  Person AddResponder(const std::string& org, std::function<void(Responder*)> shape = nullptr) {
    auto token = server_->TokenWithInfo(Org(org), {auth::v1::ROLE_DESK_RESPONDER});
    CreateResponderRequest request;
    auto* r = request.mutable_responder();
    r->set_organization_id(Org(org));
    r->set_display_name(org + " desk");
    r->set_token_id(token.info().id());
    r->add_skills(NEED_TYPE_INNOVATION);
    r->add_skills(NEED_TYPE_TRAINING);
    r->set_capacity(5);
    r->set_online(true);
    if (shape) shape(r);
    Responder created;
    auto status = desk_->CreateResponder(As(admins_[org]).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {created.id(), token.token()};
  }

  SubmitInquiryRequest Question(const std::string& text = "We need help with digitalisation") {
    SubmitInquiryRequest request;
    request.set_need_type(NEED_TYPE_INNOVATION);
    request.set_text(text);
    request.set_asker_is_sme(true);
    request.mutable_contact()->set_name("Jan de Bakker");
    request.mutable_contact()->set_email("jan@bakkerij.example");
    return request;
  }

  Inquiry Submit(const std::string& entry, SubmitInquiryRequest request) {
    Inquiry out;
    auto status = desk_->SubmitInquiry(As(admins_[entry]).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  // Polls (as the platform admin) until `done` holds; up to 15 s.
  static Inquiry Await(const std::string& id, const std::function<bool(const Inquiry&)>& done) {
    Inquiry inquiry;
    for (int i = 0; i < 300; ++i) {
      GetInquiryRequest request;
      request.set_id(id);
      if (desk_->GetInquiry(Admin().get(), request, &inquiry).ok() && done(inquiry)) return inquiry;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "inquiry " << id << " never reached the expected state; it is "
                  << inquiry.DebugString();
    return inquiry;
  }
  static Inquiry AwaitState(const std::string& id, InquiryState state) {
    return Await(id, [state](const Inquiry& i) { return i.state() == state; });
  }
  static Inquiry AwaitOffer(const std::string& id) { return AwaitState(id, INQUIRY_STATE_OFFERED); }

  // A referral of inquiry `id` by its assignee `p` (target and note still to set).
  static ReferInquiryRequest ReferBy(const Person& p, const std::string& id) {
    ReferInquiryRequest request;
    request.set_id(id);
    request.set_responder_id(p.id);
    return request;
  }
  static grpc::Status Accept(const Person& p, const std::string& id, Inquiry* out) {
    AcceptInquiryRequest request;
    request.set_id(id);
    request.set_responder_id(p.id);
    return desk_->AcceptInquiry(As(p.token).get(), request, out);
  }
  // a (digitalisation) and b answer in one network with bakery; bakery's digitalisation question
  // was offered to a, who declined it, and is now offered to b.
  struct DeclinedOnce {
    Person a, b;
    Inquiry inquiry, offered_to_b;
  };
  void DeclineByAOfferToB(DeclinedOnce* d) {
    MakeNetwork({"bakery", "a", "b"});
    d->a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_DIGITALISATION); });
    d->b = AddResponder("b");
    auto request = Question();
    request.add_themes(reg::THEME_DIGITALISATION);
    d->inquiry = Submit("bakery", request);
    ASSERT_EQ(AwaitOffer(d->inquiry.id()).offered_to(0), d->a.id);
    Inquiry out;
    ASSERT_TRUE(Decline(d->a, d->inquiry.id(), &out).ok());
    d->offered_to_b = Await(d->inquiry.id(), [&](const Inquiry& i) {
      return i.state() == INQUIRY_STATE_OFFERED && i.offered_to(0) == d->b.id;
    });
  }
  static grpc::Status Decline(const Person& p, const std::string& id, Inquiry* out) {
    DeclineInquiryRequest request;
    request.set_id(id);
    request.set_responder_id(p.id);
    request.set_reason("not our field");
    return desk_->DeclineInquiry(As(p.token).get(), request, out);
  }
  static grpc::Status Resolve(const Person& p, const std::string& id, Outcome outcome,
                              Inquiry* out) {
    ResolveInquiryRequest request;
    request.set_id(id);
    request.set_responder_id(p.id);
    request.set_outcome(outcome);
    request.set_note("answered by phone");
    return desk_->ResolveInquiry(As(p.token).get(), request, out);
  }

  static std::vector<HistoryKind> Kinds(const Inquiry& inquiry) {
    std::vector<HistoryKind> kinds;
    for (const auto& h : inquiry.history()) kinds.push_back(h.kind());
    return kinds;
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static reg::RegistryService::Stub* registry_;
  static DeskService::Stub* desk_;
  static std::string outsider_;
  std::string net_;
  std::map<std::string, std::string> admins_;
  std::string coordinator_;
};

RedisServer* DeskApiTest::redis_ = nullptr;
TestServer* DeskApiTest::server_ = nullptr;
reg::RegistryService::Stub* DeskApiTest::registry_ = nullptr;
DeskService::Stub* DeskApiTest::desk_ = nullptr;
std::string DeskApiTest::outsider_;

TEST_F(DeskApiTest, RoutesToTheBestFittingPartnerAndFollowsItToFeedback) {
  MakeNetwork({"bakery", "school", "lab"});
  Person generalist = AddResponder("school");
  Person expert = AddResponder("lab", [](Responder* r) {
    r->add_themes(reg::THEME_DIGITALISATION);
    r->add_regions("PV23");
  });
  auto request = Question();
  request.add_themes(reg::THEME_DIGITALISATION);
  request.set_region("CR10");  // in PV23
  Inquiry submitted = Submit("bakery", request);
  EXPECT_EQ(submitted.entry_organization_id(), Org("bakery"));
  EXPECT_EQ(submitted.network_id(), net_);  // the entry partner's only network

  Inquiry offered = AwaitOffer(submitted.id());
  ASSERT_EQ(offered.offered_to_size(), 1);
  EXPECT_EQ(offered.offered_to(0), expert.id);  // not the entry partner, not the generalist
  EXPECT_TRUE(offered.has_offer_deadline());

  // Offered, the responder sees the question but not the asker's contact.
  GetInquiryRequest get;
  get.set_id(submitted.id());
  Inquiry seen;
  ASSERT_TRUE(desk_->GetInquiry(As(expert.token).get(), get, &seen).ok());
  EXPECT_FALSE(seen.has_contact());
  EXPECT_EQ(desk_->GetInquiry(As(generalist.token).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The entry partner's integration (a read-only token) follows the question, not the asker.
  const std::string integration =
      server_->Token(Org("bakery"), {auth::v1::ROLE_READ_ONLY_INTEGRATOR});
  ASSERT_TRUE(desk_->GetInquiry(As(integration).get(), get, &seen).ok());
  EXPECT_FALSE(seen.has_contact());
  ASSERT_TRUE(desk_->GetInquiry(As(admins_["bakery"]).get(), get, &seen).ok());
  EXPECT_EQ(seen.contact().email(), "jan@bakkerij.example");
  ListAssignmentsRequest poll;
  poll.set_responder_id(expert.id);
  ListAssignmentsResponse assignments;
  ASSERT_TRUE(desk_->ListAssignments(As(expert.token).get(), poll, &assignments).ok());
  ASSERT_EQ(assignments.offered_size(), 1);
  EXPECT_EQ(assignments.offered(0).id(), submitted.id());

  Inquiry accepted;
  ASSERT_TRUE(Accept(expert, submitted.id(), &accepted).ok());
  EXPECT_EQ(accepted.state(), INQUIRY_STATE_ASSIGNED);
  EXPECT_EQ(accepted.assignee_id(), expert.id);
  EXPECT_EQ(accepted.contact().email(),
            "jan@bakkerij.example");  // accepted: now it may reach the asker
  EXPECT_TRUE(accepted.has_first_accept_time());

  Inquiry resolved;
  ASSERT_TRUE(Resolve(expert, submitted.id(), OUTCOME_ANSWERED, &resolved).ok());
  EXPECT_EQ(resolved.state(), INQUIRY_STATE_RESOLVED);
  EXPECT_EQ(resolved.outcome(), OUTCOME_ANSWERED);
  Responder after;
  GetResponderRequest get_responder;
  get_responder.set_id(expert.id);
  ASSERT_TRUE(desk_->GetResponder(As(admins_["lab"]).get(), get_responder, &after).ok());
  EXPECT_EQ(after.open_inquiries(), 0);

  RecordFeedbackRequest feedback;
  feedback.set_id(submitted.id());
  feedback.mutable_feedback()->set_score(5);
  feedback.mutable_feedback()->set_would_recommend(true);
  feedback.mutable_feedback()->set_would_work_again(true);
  Inquiry with_feedback;
  ASSERT_TRUE(desk_->RecordFeedback(As(admins_["bakery"]).get(), feedback, &with_feedback).ok());
  EXPECT_EQ(with_feedback.feedback().score(), 5);
  auto twice = desk_->RecordFeedback(As(admins_["bakery"]).get(), feedback, &with_feedback);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(twice), "FEEDBACK_RECORDED");
  EXPECT_EQ(
      Kinds(with_feedback),
      (std::vector<HistoryKind>{HISTORY_KIND_SUBMITTED, HISTORY_KIND_OFFERED, HISTORY_KIND_ACCEPTED,
                                HISTORY_KIND_RESOLVED, HISTORY_KIND_FEEDBACK}));
}

// A referral to a responder who declined the inquiry is refused at once: the desk never offers it
// to them again, so it would only escalate.
TEST_F(DeskApiTest, AReferralBackToWhoDeclinedIsRefused) {
  DeclinedOnce d;
  ASSERT_NO_FATAL_FAILURE(DeclineByAOfferToB(&d));
  const Person &a = d.a, &b = d.b;
  const Inquiry& inquiry = d.inquiry;
  Inquiry out;
  ASSERT_TRUE(Accept(b, inquiry.id(), &out).ok());
  ReferInquiryRequest refer = ReferBy(b, inquiry.id());
  refer.set_note("a knows digitalisation");
  refer.set_target_responder_id(a.id);
  auto back = desk_->ReferInquiry(As(b.token).get(), refer, &out);
  EXPECT_EQ(Reason(back), "TARGET_DOES_NOT_FIT") << back.error_message();
  EXPECT_EQ(back.error_message(), "target_responder_id has declined this inquiry already");
  GetInquiryRequest get;
  get.set_id(inquiry.id());
  ASSERT_TRUE(desk_->GetInquiry(As(b.token).get(), get, &out).ok());
  EXPECT_EQ(out.assignee_id(), b.id) << "still b's";
}

TEST_F(DeskApiTest, ADeclineReroutesNeverBackAndEscalatesLevelByLevel) {
  DeclinedOnce d;
  ASSERT_NO_FATAL_FAILURE(DeclineByAOfferToB(&d));
  const Person& b = d.b;
  const Inquiry& inquiry = d.inquiry;
  Inquiry out;
  EXPECT_EQ(d.offered_to_b.attempts(), 2);
  ASSERT_TRUE(Decline(b, inquiry.id(), &out).ok());
  // Everyone who fits declined: the network's coordinators get it, then (after escalation_s = 1 s
  // here) the platform admins; it never went back to a or b.
  Inquiry escalated =
      Await(inquiry.id(), [](const Inquiry& i) { return i.escalation_level() == 2; });
  EXPECT_EQ(escalated.state(), INQUIRY_STATE_ESCALATED);
  std::vector<int> levels;
  int offers = 0;
  for (const auto& h : escalated.history()) {
    if (h.kind() == HISTORY_KIND_ESCALATED) levels.push_back(h.level());
    if (h.kind() == HISTORY_KIND_OFFERED) ++offers;
  }
  EXPECT_EQ(levels, (std::vector<int>{1, 2}));
  EXPECT_EQ(offers, 2);

  ListInquiriesRequest list;
  list.set_network_id(net_);
  list.add_states(INQUIRY_STATE_ESCALATED);
  ListInquiriesResponse listed;
  ASSERT_TRUE(desk_->ListInquiries(As(coordinator_).get(), list, &listed).ok());
  ASSERT_EQ(listed.inquiries_size(), 1);
  EXPECT_EQ(listed.inquiries(0).id(), inquiry.id());

  // A coordinator closes it.
  ResolveInquiryRequest resolve;
  resolve.set_id(inquiry.id());
  resolve.set_outcome(OUTCOME_NO_MATCH);
  ASSERT_TRUE(desk_->ResolveInquiry(As(coordinator_).get(), resolve, &out).ok());
  EXPECT_EQ(out.state(), INQUIRY_STATE_RESOLVED);
}

TEST_F(DeskApiTest, NobodyFitsEscalatesAtOnce) {
  MakeNetwork({"bakery", "school"});
  AddResponder("school");  // innovation and training only
  auto request = Question();
  request.set_need_type(NEED_TYPE_TALENT);
  Inquiry inquiry = Submit("bakery", request);
  Inquiry escalated = AwaitState(inquiry.id(), INQUIRY_STATE_ESCALATED);
  EXPECT_EQ(escalated.attempts(), 0);
  bool cause_named = false;
  for (const auto& h : escalated.history())
    cause_named = cause_named || h.note() == "no responder fits this inquiry";
  EXPECT_TRUE(cause_named);
}

TEST_F(DeskApiTest, AnOfferNotAcceptedInTimeMovesToTheNextResponder) {
  MakeNetwork({"bakery", "a", "b"});
  Person a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_ENERGY_TRANSITION); });
  Person b = AddResponder("b");
  auto request = Question();
  request.add_themes(reg::THEME_ENERGY_TRANSITION);
  request.set_urgency(URGENCY_HIGH);  // one second to accept here
  Inquiry inquiry = Submit("bakery", request);
  Inquiry moved = Await(inquiry.id(), [&](const Inquiry& i) {
    return i.state() == INQUIRY_STATE_OFFERED && i.offered_to(0) == b.id;
  });
  bool timed_out = false;
  for (const auto& h : moved.history())
    timed_out = timed_out || (h.kind() == HISTORY_KIND_TIMED_OUT && h.responder_id() == a.id);
  EXPECT_TRUE(timed_out);
  // The late responder can no longer take it.
  Inquiry out;
  EXPECT_EQ(Accept(a, inquiry.id(), &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Taken up at once by the next, it is still late: the first offer's deadline passed. The report
  // counts it so (the only inquiry of this network).
  ASSERT_TRUE(Accept(b, inquiry.id(), &out).ok());
  EXPECT_FALSE(out.accepted_within_deadline());
  DeskReportRequest report_request;
  report_request.set_network_id(net_);
  *report_request.mutable_start_time() = inquiry.create_time();
  *report_request.mutable_end_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  report_request.mutable_end_time()->set_seconds(report_request.end_time().seconds() + 1);
  DeskReport report;
  ASSERT_TRUE(desk_->GetDeskReport(As(coordinator_).get(), report_request, &report).ok());
  EXPECT_EQ(report.accepted(), 1);
  EXPECT_DOUBLE_EQ(report.accepted_within_deadline_share(), 0.0);
}

TEST_F(DeskApiTest, LeastLoadedFirstAndQueuedInquiriesAreAssignedWhenCapacityFrees) {
  MakeNetwork({"bakery", "a", "b"});
  Person a = AddResponder("a", [](Responder* r) { r->set_capacity(1); });
  Person b = AddResponder("b", [](Responder* r) { r->set_capacity(1); });
  Inquiry first = Submit("bakery", Question("first"));
  Inquiry offered_first = AwaitOffer(first.id());
  Inquiry second = Submit("bakery", Question("second"));
  Inquiry offered_second = AwaitOffer(second.id());
  EXPECT_NE(offered_first.offered_to(0), offered_second.offered_to(0));  // both at capacity now
  Inquiry third = Submit("bakery", Question("third"));
  AwaitState(third.id(), INQUIRY_STATE_QUEUED);

  const Person& holder = offered_first.offered_to(0) == a.id ? a : b;
  Inquiry out;
  ASSERT_TRUE(Accept(holder, first.id(), &out).ok());
  ASSERT_TRUE(Resolve(holder, first.id(), OUTCOME_ANSWERED, &out).ok());
  // The moment capacity frees, the queued inquiry goes to whoever freed it.
  Inquiry assigned = AwaitOffer(third.id());
  EXPECT_EQ(assigned.offered_to(0), holder.id);
}

TEST_F(DeskApiTest, EqualRespondersTakeTurns) {
  MakeNetwork({"bakery", "a", "b", "c"});
  std::vector<Person> people = {AddResponder("a"), AddResponder("b"), AddResponder("c")};
  std::set<std::string> served;
  for (int n = 0; n < 3; ++n) {
    Inquiry inquiry = Submit("bakery", Question("question " + std::to_string(n)));
    Inquiry offered = AwaitOffer(inquiry.id());
    served.insert(offered.offered_to(0));
    for (const auto& p : people)
      if (p.id == offered.offered_to(0)) {
        Inquiry out;
        ASSERT_TRUE(Accept(p, inquiry.id(), &out).ok());
        ASSERT_TRUE(Resolve(p, inquiry.id(), OUTCOME_ANSWERED, &out).ok());
      }
  }
  EXPECT_EQ(served.size(), 3u);  // all at load 0 each time: round robin, not always the first
}

TEST_F(DeskApiTest, ReferralsKeepTheChainAndRefuseLoops) {
  MakeNetwork({"bakery", "a", "b"});
  Person a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  Person a2 = AddResponder("a");  // a colleague of a: no theme, never offered first
  Person b = AddResponder("b");
  auto request = Question();
  request.add_themes(reg::THEME_FOOD);
  Inquiry inquiry = Submit("bakery", request);
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
  Inquiry out;
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
  ReferInquiryRequest refer = ReferBy(a, inquiry.id());
  refer.set_target_organization_id(Org("b"));
  refer.set_note("they run the food lab");
  refer.set_request_id("refer-to-b");
  ASSERT_TRUE(desk_->ReferInquiry(As(a.token).get(), refer, &out).ok());
  Inquiry at_b = AwaitOffer(inquiry.id());
  EXPECT_EQ(at_b.offered_to(0), b.id);
  EXPECT_EQ(at_b.target_organization_id(), Org("b"));
  ASSERT_TRUE(Accept(b, inquiry.id(), &out).ok());
  // The referrer's client lost the answer and retries: answered as the first time (before, it
  // was refused, a no longer holding the inquiry), and nothing is referred twice.
  Inquiry retried;
  auto again = desk_->ReferInquiry(As(a.token).get(), refer, &retried);
  ASSERT_TRUE(again.ok()) << again.error_message();
  EXPECT_EQ(retried.id(), inquiry.id());
  EXPECT_EQ(retried.assignee_id(), b.id);
  EXPECT_FALSE(retried.has_contact());
  refer.set_note("another note, same request id");
  EXPECT_EQ(BadField(desk_->ReferInquiry(As(a.token).get(), refer, &retried)), "request_id");

  // Back to a's organisation would be a loop.
  ReferInquiryRequest back;
  back.set_id(inquiry.id());
  back.set_responder_id(b.id);
  back.set_target_organization_id(Org("a"));
  back.set_note("maybe them after all");
  auto loop = desk_->ReferInquiry(As(b.token).get(), back, &out);
  EXPECT_EQ(loop.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(loop), "REFERRAL_LOOP");
  back.clear_target_organization_id();
  back.set_target_responder_id(a.id);
  EXPECT_EQ(Reason(desk_->ReferInquiry(As(b.token).get(), back, &out)), "REFERRAL_LOOP");
  // So is naming another responder of a's organisation (the loop is the organisation's).
  back.set_target_responder_id(a2.id);
  auto colleague = desk_->ReferInquiry(As(b.token).get(), back, &out);
  EXPECT_EQ(Reason(colleague), "REFERRAL_LOOP") << colleague.error_message();
  EXPECT_EQ(BadField(colleague), "target_responder_id");
  // Outside the network is an outcome, not a referral.
  back.clear_target_responder_id();
  back.set_target_organization_id("outsider");
  auto outside = desk_->ReferInquiry(As(b.token).get(), back, &out);
  EXPECT_EQ(outside.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(outside), "target_organization_id");

  GetInquiryRequest get;
  get.set_id(inquiry.id());
  Inquiry full;
  ASSERT_TRUE(desk_->GetInquiry(As(b.token).get(), get, &full).ok());
  int referrals = 0;
  for (const auto& h : full.history())
    if (h.kind() == HISTORY_KIND_REFERRED) {
      ++referrals;
      EXPECT_EQ(h.organization_id(), Org("b"));
      EXPECT_EQ(h.note(), "they run the food lab");
    }
  EXPECT_EQ(referrals, 1);
  EXPECT_EQ(full.assignee_id(), b.id);
}

// A referral chooses the partner, not whether it takes the question: a responder or organisation
// without the inquiry's theme (or need type) is refused at once, with the reason, instead of the
// question escalating later; one with the theme takes it, wherever it serves.
TEST_F(DeskApiTest, AReferralToAPartnerThatDoesNotTakeTheQuestionIsRefused) {
  MakeNetwork({"bakery", "a", "care", "talent", "food"});
  Person a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  Person care = AddResponder("care", [](Responder* r) { r->add_themes(reg::THEME_HEALTH_CARE); });
  AddResponder("talent", [](Responder* r) {
    r->clear_skills();
    r->add_skills(NEED_TYPE_TALENT);
  });
  Person food = AddResponder("food", [](Responder* r) {
    r->add_themes(reg::THEME_FOOD);
    r->add_regions("PV31");  // Limburg only: a referral names it on purpose
  });
  auto request = Question();
  request.add_themes(reg::THEME_FOOD);
  request.set_region("PV23");
  Inquiry inquiry = Submit("bakery", request);
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
  Inquiry out;
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());

  ReferInquiryRequest refer = ReferBy(a, inquiry.id());
  refer.set_note("perhaps them");
  refer.set_target_responder_id(care.id);
  auto by_name = desk_->ReferInquiry(As(a.token).get(), refer, &out);
  EXPECT_EQ(by_name.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(by_name), "TARGET_DOES_NOT_FIT");
  EXPECT_EQ(BadField(by_name), "target_responder_id");  // as a program reads every bad field
  EXPECT_EQ(by_name.error_message(), "target_responder_id covers none of the inquiry's themes")
      << by_name.error_message();
  refer.clear_target_responder_id();
  refer.set_target_organization_id(Org("care"));
  EXPECT_EQ(Reason(desk_->ReferInquiry(As(a.token).get(), refer, &out)), "TARGET_DOES_NOT_FIT");
  refer.set_target_organization_id(Org("talent"));
  auto skills = desk_->ReferInquiry(As(a.token).get(), refer, &out);
  EXPECT_EQ(Reason(skills), "TARGET_DOES_NOT_FIT");
  EXPECT_EQ(skills.error_message(),
            "target_organization_id does not take innovation questions (its skills)");
  refer.set_target_organization_id(Org("bakery"));  // no responder on the desk at all
  EXPECT_EQ(Reason(desk_->ReferInquiry(As(a.token).get(), refer, &out)), "TARGET_DOES_NOT_FIT");

  // Still a's, untouched; then referred to the food partner, offered there although it serves
  // elsewhere.
  GetInquiryRequest get;
  get.set_id(inquiry.id());
  ASSERT_TRUE(desk_->GetInquiry(As(a.token).get(), get, &out).ok());
  EXPECT_EQ(out.assignee_id(), a.id);
  refer.clear_target_organization_id();
  refer.set_target_responder_id(food.id);
  auto referred = desk_->ReferInquiry(As(a.token).get(), refer, &out);
  ASSERT_TRUE(referred.ok()) << referred.error_message();
  EXPECT_EQ(AwaitOffer(inquiry.id()).offered_to(0), food.id);
  // The history names the organisation a named responder belongs to.
  ASSERT_TRUE(desk_->GetInquiry(Admin().get(), get, &out).ok());
  ASSERT_FALSE(out.history().empty());
  const HistoryEntry& last =
      *std::find_if(out.history().rbegin(), out.history().rend(),
                    [](const HistoryEntry& h) { return h.kind() == HISTORY_KIND_REFERRED; });
  EXPECT_EQ(last.responder_id(), food.id);
  EXPECT_EQ(last.organization_id(), Org("food"));
}

// No wrong door across networks: a question referred to a partner of another network with the
// asker's consent, followed by the referring side to its outcome without the asker's contact, and
// counted by both networks' reports.
TEST_F(DeskApiTest, AReferralAcrossNetworksNeedsConsentAndTheReferrerFollowsIt) {
  MakeNetwork({"lab"});
  const std::string there = net_, there_coordinator = coordinator_;
  const std::string lab_org = Org("lab");
  Person lab = AddResponder("lab", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  auto request = Question("Wie helpt met een voedsel-lab in Groningen? Café Ñ");
  request.add_themes(reg::THEME_FOOD);
  auto start = google::protobuf::util::TimeUtil::GetCurrentTime();
  start.set_seconds(start.seconds() - 1);
  Inquiry inquiry = Submit("bakery", request);
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
  Inquiry out;
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());

  ReferInquiryRequest refer = ReferBy(a, inquiry.id());
  refer.set_target_organization_id(lab_org);
  refer.set_note("their food lab fits");
  auto refused = desk_->ReferInquiry(As(a.token).get(), refer, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(refused), "CONSENT_REQUIRED");

  // The entry partner asks the asker and records the consent.
  RecordConsentRequest consent;
  consent.set_id(inquiry.id());
  consent.mutable_consent()->set_share_across_networks(true);
  consent.mutable_consent()->set_how("telefonisch, 1 december");
  auto recorded = desk_->RecordConsent(As(admins_["bakery"]).get(), consent, &out);
  ASSERT_TRUE(recorded.ok()) << recorded.error_message();
  EXPECT_TRUE(out.consent().share_across_networks());
  EXPECT_EQ(out.consent().how(), "telefonisch, 1 december");
  EXPECT_TRUE(out.consent().has_time());
  EXPECT_FALSE(out.consent().recorded_by().empty());
  RecordConsentRequest too_long = consent;  // how it was given: a line, not a document
  too_long.mutable_consent()->set_how(std::string(201, 'x'));
  EXPECT_EQ(BadField(desk_->RecordConsent(As(admins_["bakery"]).get(), too_long, &out)),
            "consent.how");
  auto asked = Question();
  asked.mutable_consent()->set_how(std::string(1 << 20, 'x'));
  EXPECT_EQ(BadField(desk_->SubmitInquiry(As(admins_["bakery"]).get(), asked, &out)),
            "consent.how");
  RecordConsentRequest none;
  none.set_id(inquiry.id());
  EXPECT_EQ(BadField(desk_->RecordConsent(As(admins_["bakery"]).get(), none, &out)), "consent");

  auto referred = desk_->ReferInquiry(As(a.token).get(), refer, &out);
  ASSERT_TRUE(referred.ok()) << referred.error_message();
  EXPECT_FALSE(out.has_contact());
  EXPECT_EQ(out.network_id(), there);
  Inquiry at_lab = AwaitOffer(inquiry.id());
  EXPECT_EQ(at_lab.offered_to(0), lab.id);
  EXPECT_EQ(std::vector<std::string>(at_lab.network_chain().begin(), at_lab.network_chain().end()),
            (std::vector<std::string>{net_, there}));
  EXPECT_EQ(
      std::vector<std::string>(at_lab.referral_chain().begin(), at_lab.referral_chain().end()),
      (std::vector<std::string>{Org("a"), lab_org}));
  ASSERT_TRUE(Accept(lab, inquiry.id(), &out).ok());

  // Each side sees what it may: the new holder and its coordinators the asker; the referrer and
  // the first network's coordinators the state, without the contact.
  GetInquiryRequest get;
  get.set_id(inquiry.id());
  Inquiry seen;
  ASSERT_TRUE(desk_->GetInquiry(As(lab.token).get(), get, &seen).ok());
  EXPECT_EQ(seen.contact().name(), "Jan de Bakker");
  ASSERT_TRUE(desk_->GetInquiry(As(there_coordinator).get(), get, &seen).ok());
  EXPECT_EQ(seen.contact().name(), "Jan de Bakker");
  for (const std::string& token : {a.token, coordinator_}) {
    auto status = desk_->GetInquiry(As(token).get(), get, &seen);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(seen.state(), INQUIRY_STATE_ASSIGNED);
    EXPECT_FALSE(seen.has_contact());
    EXPECT_FALSE(seen.has_consent());
    // Nor what the asker agreed to through the history: the consent entry stays, its note not.
    int consents = 0;
    for (const auto& h : seen.history()) {
      if (h.kind() != HISTORY_KIND_CONSENT) continue;
      ++consents;
      EXPECT_EQ(h.note(), "") << "the consent shows through the history";
    }
    EXPECT_EQ(consents, 1);
  }
  ASSERT_TRUE(desk_->GetInquiry(As(there_coordinator).get(), get, &seen).ok());
  for (const auto& h : seen.history())
    if (h.kind() == HISTORY_KIND_CONSENT) {
      EXPECT_FALSE(h.note().empty());
    }
  ListInquiriesRequest list;
  list.set_network_id(net_);
  ListInquiriesResponse listed;
  ASSERT_TRUE(desk_->ListInquiries(As(coordinator_).get(), list, &listed).ok());
  ASSERT_EQ(listed.inquiries_size(), 1);
  EXPECT_FALSE(listed.inquiries(0).has_contact());
  list.set_network_id(there);
  ASSERT_TRUE(desk_->ListInquiries(As(there_coordinator).get(), list, &listed).ok());
  ASSERT_EQ(listed.inquiries_size(), 1);
  EXPECT_EQ(listed.inquiries(0).contact().email(), "jan@bakkerij.example");
  // The referrer follows it but no longer acts on it.
  ASSERT_EQ(Resolve(a, inquiry.id(), OUTCOME_ANSWERED, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Resolve(lab, inquiry.id(), OUTCOME_ANSWERED, &out).ok());
  ASSERT_TRUE(desk_->GetInquiry(As(a.token).get(), get, &seen).ok());
  EXPECT_EQ(seen.state(), INQUIRY_STATE_RESOLVED);
  EXPECT_EQ(seen.outcome(), OUTCOME_ANSWERED);

  // Both reports count it: sent by one, received by the other; its figures stay where it entered.
  auto end = google::protobuf::util::TimeUtil::GetCurrentTime();
  end.set_seconds(end.seconds() + 1);
  for (const auto& [network, token, sent, received, inquiries] :
       {std::tuple{net_, coordinator_, 1, 0, 1}, std::tuple{there, there_coordinator, 0, 1, 0}}) {
    DeskReportRequest report_request;
    report_request.set_network_id(network);
    *report_request.mutable_start_time() = start;
    *report_request.mutable_end_time() = end;
    DeskReport report;
    auto status = desk_->GetDeskReport(As(token).get(), report_request, &report);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(report.referrals_sent(), sent) << network;
    EXPECT_EQ(report.referrals_received(), received) << network;
    EXPECT_EQ(report.inquiries(), inquiries) << network;
  }
}

// The receiving partner declines a referral with a reason code; the referrer sees why, the
// receiving network's coordinators get it, and a referral back to a network it came from is a loop.
TEST_F(DeskApiTest, AReferralDeclinedAcrossNetworksShowsItsReasonToTheReferrer) {
  MakeNetwork({"lab"});
  const std::string there = net_, there_coordinator = coordinator_;
  Person lab = AddResponder("lab", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  auto request = Question();
  request.add_themes(reg::THEME_FOOD);
  request.mutable_consent()->set_share_across_networks(true);
  request.mutable_consent()->set_how("web form");
  Inquiry inquiry = Submit("bakery", request);
  EXPECT_TRUE(inquiry.consent().share_across_networks());
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
  Inquiry out;
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
  ReferInquiryRequest refer;  // to the other network's desk as a whole
  refer.set_id(inquiry.id());
  refer.set_responder_id(a.id);
  refer.set_target_network_id(there);
  refer.set_note("your region");
  ASSERT_TRUE(desk_->ReferInquiry(As(a.token).get(), refer, &out).ok());
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), lab.id);
  DeclineInquiryRequest decline;
  decline.set_id(inquiry.id());
  decline.set_responder_id(lab.id);
  decline.set_reason("wij doen geen bakkerijen");
  decline.set_reason_code(DECLINE_REASON_OUT_OF_SCOPE);
  ASSERT_TRUE(desk_->DeclineInquiry(As(lab.token).get(), decline, &out).ok());
  Inquiry escalated = AwaitState(inquiry.id(), INQUIRY_STATE_ESCALATED);
  EXPECT_EQ(escalated.network_id(), there);

  GetInquiryRequest get;
  get.set_id(inquiry.id());
  Inquiry seen;
  ASSERT_TRUE(desk_->GetInquiry(As(a.token).get(), get, &seen).ok());
  EXPECT_EQ(seen.state(), INQUIRY_STATE_ESCALATED);
  bool reason_seen = false;
  for (const auto& h : seen.history())
    reason_seen = reason_seen || (h.kind() == HISTORY_KIND_DECLINED &&
                                  h.reason_code() == DECLINE_REASON_OUT_OF_SCOPE);
  EXPECT_TRUE(reason_seen);
  // The receiving coordinators hold it now; back to the whole first network is a loop.
  ReferInquiryRequest back;
  back.set_id(inquiry.id());
  back.set_target_network_id(net_);
  back.set_note("back to you");
  auto loop = desk_->ReferInquiry(As(there_coordinator).get(), back, &out);
  EXPECT_EQ(Reason(loop), "REFERRAL_LOOP") << loop.error_message();
  // The first network's coordinators no longer act on it.
  EXPECT_EQ(desk_->ReferInquiry(As(coordinator_).get(), back, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  decline.set_reason_code(static_cast<DeclineReason>(99));
  auto bad = desk_->DeclineInquiry(As(lab.token).get(), decline, &out);
  EXPECT_EQ(BadField(bad), "reason_code");
}

// A referred inquiry declined in the other network escalates there with the networks that could
// still help: not the networks it already passed through (a referral to them as a whole is a loop)
// nor the organisation that referred it away, but one that covers it and was not asked yet.
TEST_F(DeskApiTest, SuggestedNetworksLeaveOutWhereTheInquiryHasBeen) {
  MakeNetwork({"hotel"});
  const std::string fresh = net_;
  AddResponder("hotel", [](Responder* r) { r->add_themes(reg::THEME_HOSPITALITY); });
  MakeNetwork({"lab"});
  const std::string there = net_, there_coordinator = coordinator_;
  Person lab = AddResponder("lab", [](Responder* r) { r->add_themes(reg::THEME_HOSPITALITY); });
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_HOSPITALITY); });
  auto request = Question("Wie helpt ons hotel in 's-Hertogenbosch met gastregistratie? Café Ñ");
  request.add_themes(reg::THEME_HOSPITALITY);
  request.mutable_consent()->set_share_across_networks(true);
  request.mutable_consent()->set_how("web form");
  Inquiry inquiry = Submit("bakery", request);
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
  Inquiry out;
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
  ReferInquiryRequest refer = ReferBy(a, inquiry.id());
  refer.set_target_network_id(there);
  refer.set_note("jullie regio");
  ASSERT_TRUE(desk_->ReferInquiry(As(a.token).get(), refer, &out).ok());
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), lab.id);
  ASSERT_TRUE(Decline(lab, inquiry.id(), &out).ok());
  Inquiry escalated = AwaitState(inquiry.id(), INQUIRY_STATE_ESCALATED);
  ASSERT_EQ(escalated.network_id(), there);
  std::set<std::string> suggested(escalated.suggested_network_ids().begin(),
                                  escalated.suggested_network_ids().end());
  EXPECT_FALSE(suggested.count(net_)) << "where it entered, and whose responder referred it away";
  EXPECT_FALSE(suggested.count(there));
  EXPECT_TRUE(suggested.count(fresh));
  // Each suggestion is somewhere the coordinators can refer it to as a whole.
  ReferInquiryRequest onward;
  onward.set_id(inquiry.id());
  onward.set_target_network_id(escalated.suggested_network_ids(0));
  onward.set_note("zij hebben een hotelschool");
  auto referred = desk_->ReferInquiry(As(there_coordinator).get(), onward, &out);
  EXPECT_TRUE(referred.ok()) << referred.error_message();
}

// An organisation in two networks refers an inquiry to the other network's desk as a whole: the
// desk there never offers it back to that organisation (the loop a referral naming it is refused
// for); with nobody else there it escalates to that network's coordinators.
TEST_F(DeskApiTest, AWholeNetworkReferralNeverReturnsToTheOrganisationThatReferredIt) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  const std::string first = net_;
  const std::string there = net_ + "x";  // a's second network
  reg::CreateNetworkRequest create;
  create.set_network_id(there);
  create.mutable_network()->set_display_name("Zuivel Zwolle");
  create.mutable_network()->add_member_organization_ids(Org("a"));
  reg::Network created;
  auto made = registry_->CreateNetwork(Admin().get(), create, &created);
  ASSERT_TRUE(made.ok()) << made.error_message();
  auto request = Question("Wie test onze kaas op houdbaarheid?");
  request.add_themes(reg::THEME_FOOD);
  request.mutable_consent()->set_share_across_networks(true);
  request.mutable_consent()->set_how("by phone");
  Inquiry inquiry = Submit("bakery", request);
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
  Inquiry out;
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
  ReferInquiryRequest refer = ReferBy(a, inquiry.id());
  refer.set_target_network_id(there);
  refer.set_note("de zuivelkant weet dit beter");
  auto referred = desk_->ReferInquiry(As(a.token).get(), refer, &out);
  ASSERT_TRUE(referred.ok()) << referred.error_message();
  Inquiry routed = Await(inquiry.id(), [](const Inquiry& i) {
    return i.state() != INQUIRY_STATE_ROUTING && i.state() != INQUIRY_STATE_QUEUED;
  });
  EXPECT_EQ(routed.network_id(), there);
  EXPECT_EQ(routed.state(), INQUIRY_STATE_ESCALATED);
  int offers_to_a = 0;
  for (const auto& h : routed.history())
    offers_to_a += h.kind() == HISTORY_KIND_OFFERED && h.responder_id() == a.id;
  EXPECT_EQ(offers_to_a, 1) << "offered to the referrer again: " << routed.DebugString();
  for (const auto& n : routed.suggested_network_ids()) EXPECT_NE(n, first);
}

// Nobody took it up at any level: it comes back to the entry partner, who answers the asker itself
// and may resolve it then (not before).
TEST_F(DeskApiTest, AnInquiryNobodyTookUpComesBackToTheEntryPartner) {
  MakeNetwork({"bakery", "school"});
  AddResponder("school");  // innovation and training only
  auto request = Question();
  request.set_need_type(NEED_TYPE_TALENT);
  Inquiry inquiry = Submit("bakery", request);
  AwaitState(inquiry.id(), INQUIRY_STATE_ESCALATED);
  ResolveInquiryRequest resolve;
  resolve.set_id(inquiry.id());
  resolve.set_outcome(OUTCOME_NO_MATCH);
  resolve.set_note("we told the asker ourselves");
  Inquiry out;
  auto early = desk_->ResolveInquiry(As(admins_["bakery"]).get(), resolve, &out);
  Inquiry back = Await(inquiry.id(), [](const Inquiry& i) { return i.escalation_level() == 3; });
  if (early.ok()) {  // only if it had already come back when asked
    EXPECT_EQ(back.state(), INQUIRY_STATE_RESOLVED);
    return;
  }
  EXPECT_EQ(early.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(back.state(), INQUIRY_STATE_ESCALATED);
  std::vector<int> levels;
  for (const auto& h : back.history())
    if (h.kind() == HISTORY_KIND_ESCALATED) levels.push_back(h.level());
  EXPECT_EQ(levels, (std::vector<int>{1, 2, 3}));
  auto resolved = desk_->ResolveInquiry(As(admins_["bakery"]).get(), resolve, &out);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  EXPECT_EQ(out.state(), INQUIRY_STATE_RESOLVED);
  EXPECT_EQ(out.outcome(), OUTCOME_NO_MATCH);
}

// A question no responder of the network covers (its theme) escalates at once, never offered to
// someone without the theme, with the networks that do cover it.
TEST_F(DeskApiTest, AnUncoveredThemeEscalatesAtOnceWithNetworksThatCoverIt) {
  MakeNetwork({"harbour"});
  const std::string covering = net_;
  AddResponder("harbour", [](Responder* r) {
    r->add_themes(reg::THEME_MARITIME);
    r->add_regions("CR12");  // Twente
  });
  MakeNetwork({"bakery", "food"});
  AddResponder("food", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  auto request = Question();
  request.add_themes(reg::THEME_MARITIME);
  request.set_region("GM0153");  // Enschede
  Inquiry inquiry = Submit("bakery", request);
  Inquiry escalated = AwaitState(inquiry.id(), INQUIRY_STATE_ESCALATED);
  EXPECT_EQ(escalated.attempts(), 0);
  EXPECT_EQ(escalated.escalation_level(), 1);
  for (const auto& h : escalated.history()) EXPECT_NE(h.kind(), HISTORY_KIND_OFFERED);
  ASSERT_GE(escalated.suggested_network_ids_size(), 1);
  EXPECT_EQ(escalated.suggested_network_ids(0), covering);
  for (const auto& n : escalated.suggested_network_ids()) EXPECT_NE(n, net_);
}

// After resolution, the asker who agreed is asked whether the help started; the report counts the
// confirmed apart from the resolved.
TEST_F(DeskApiTest, TheFollowUpAsksWhetherHelpStartedAndTheReportCountsIt) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a");
  auto start = google::protobuf::util::TimeUtil::GetCurrentTime();
  start.set_seconds(start.seconds() - 1);
  auto with_follow_up = Question("follow me up");
  with_follow_up.mutable_consent()->set_follow_up(true);
  std::vector<std::string> ids;
  for (const auto& [request, outcome] : {std::pair{with_follow_up, OUTCOME_ANSWERED},
                                         std::pair{Question("no consent"), OUTCOME_ANSWERED},
                                         std::pair{with_follow_up, OUTCOME_NO_MATCH}}) {
    Inquiry inquiry = Submit("bakery", request);
    ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
    Inquiry out;
    ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
    ASSERT_TRUE(Resolve(a, inquiry.id(), outcome, &out).ok());
    ids.push_back(inquiry.id());
  }
  Inquiry scheduled = AwaitState(ids[0], INQUIRY_STATE_RESOLVED);
  EXPECT_NE(scheduled.follow_up().state(), FollowUp::STATE_UNSPECIFIED);
  Inquiry due =
      Await(ids[0], [](const Inquiry& i) { return i.follow_up().state() == FollowUp::STATE_DUE; });
  EXPECT_TRUE(due.follow_up().has_due_time());
  ListInquiriesRequest list;
  list.set_entry_organization_id(Org("bakery"));
  list.set_follow_up_due(true);
  ListInquiriesResponse listed;
  ASSERT_TRUE(desk_->ListInquiries(As(admins_["bakery"]).get(), list, &listed).ok());
  ASSERT_EQ(listed.inquiries_size(), 1);
  EXPECT_EQ(listed.inquiries(0).id(), ids[0]);

  RecordFollowUpRequest answer;
  answer.set_id(ids[0]);
  answer.set_help_started(true);
  answer.set_note("de training is begonnen");
  Inquiry out;
  EXPECT_EQ(desk_->RecordFollowUp(As(a.token).get(), answer, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto recorded = desk_->RecordFollowUp(As(admins_["bakery"]).get(), answer, &out);
  ASSERT_TRUE(recorded.ok()) << recorded.error_message();
  EXPECT_EQ(out.follow_up().state(), FollowUp::STATE_ANSWERED);
  EXPECT_TRUE(out.follow_up().help_started());
  EXPECT_EQ(Reason(desk_->RecordFollowUp(As(admins_["bakery"]).get(), answer, &out)),
            "FOLLOW_UP_RECORDED");
  for (size_t n : {1u, 2u}) {  // no consent; an outcome that arranged no help
    answer.set_id(ids[n]);
    EXPECT_EQ(Reason(desk_->RecordFollowUp(As(admins_["bakery"]).get(), answer, &out)),
              "NO_FOLLOW_UP");
  }

  auto end = google::protobuf::util::TimeUtil::GetCurrentTime();
  end.set_seconds(end.seconds() + 1);
  DeskReportRequest report_request;
  report_request.set_network_id(net_);
  *report_request.mutable_start_time() = start;
  *report_request.mutable_end_time() = end;
  DeskReport report;
  ASSERT_TRUE(desk_->GetDeskReport(As(coordinator_).get(), report_request, &report).ok());
  EXPECT_EQ(report.inquiries(), 3);
  EXPECT_EQ(report.resolved(), 3);
  EXPECT_EQ(report.confirmed_by_asker(), 1);
  EXPECT_EQ(report.help_not_started(), 0);
  EXPECT_EQ(report.follow_ups_pending(), 0);
}

TEST_F(DeskApiTest, EraseAskerRemovesPersonalDataAndKeepsTheInquiry) {
  MakeNetwork({"bakery", "a"});
  AddResponder("a");
  SubmitInquiryRequest question = Question();
  question.set_request_id("bakery-once");
  Inquiry inquiry = Submit("bakery", question);
  AwaitOffer(inquiry.id());
  // The contact is kept no longer than desk.contact_retention_days (365 by default).
  const long ttl = std::stol(redis_->Cli("TTL 'is:{dk}:c:" + inquiry.id() + "'"));
  EXPECT_GT(ttl, 364L * 86400);
  EXPECT_LE(ttl, 365L * 86400);
  EraseAskerRequest erase;
  erase.set_id(inquiry.id());
  Inquiry out;
  ASSERT_TRUE(desk_->EraseAsker(As(admins_["bakery"]).get(), erase, &out).ok());
  EXPECT_TRUE(out.contact_erased());
  EXPECT_FALSE(out.has_contact());
  EXPECT_EQ(out.state(), INQUIRY_STATE_OFFERED);  // routing goes on without the personal data
  EXPECT_EQ(out.text(), "We need help with digitalisation");
  EXPECT_EQ(Kinds(out).back(), HISTORY_KIND_ERASED);
  // A retry of the submission reads the inquiry as it is now, and its stored replay never held
  // the inquiry (whose text and contact would outlive an erasure there).
  const Inquiry retried = Submit("bakery", question);
  EXPECT_EQ(retried.id(), inquiry.id());
  EXPECT_TRUE(retried.contact_erased());
  EXPECT_FALSE(retried.has_contact());
  const std::string replay = redis_->Cli("GET 'is:{dk}:req:" + Org("bakery") + ":bakery-once'");
  EXPECT_FALSE(replay.empty());
  EXPECT_EQ(replay.find("digitalisation"), std::string::npos) << replay;
  // Only the entry partner or a platform admin erases.
  EXPECT_EQ(desk_->EraseAsker(As(admins_["a"]).get(), erase, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(desk_->EraseAsker(As(coordinator_).get(), erase, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(DeskApiTest, BadInputNamesTheFieldAndWritesNothing) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a");
  auto expect_field = [](const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << status.error_message();
    EXPECT_EQ(BadField(status), field);
  };
  Inquiry out;
  auto bad = Question();
  bad.set_need_type(static_cast<NeedType>(42));
  expect_field(desk_->SubmitInquiry(As(admins_["bakery"]).get(), bad, &out), "need_type");
  bad = Question("   ");
  expect_field(desk_->SubmitInquiry(As(admins_["bakery"]).get(), bad, &out), "text");
  bad = Question(std::string(501, 'x'));
  expect_field(desk_->SubmitInquiry(As(admins_["bakery"]).get(), bad, &out), "text");
  bad = Question();
  bad.set_region("Overijssel");
  expect_field(desk_->SubmitInquiry(As(admins_["bakery"]).get(), bad, &out), "region");
  bad = Question();
  bad.set_network_id("no-such-network");
  expect_field(desk_->SubmitInquiry(As(admins_["bakery"]).get(), bad, &out), "network_id");
  ListInquiriesRequest list;
  list.set_entry_organization_id(Org("bakery"));
  ListInquiriesResponse listed;
  ASSERT_TRUE(desk_->ListInquiries(As(admins_["bakery"]).get(), list, &listed).ok());
  EXPECT_EQ(listed.inquiries_size(), 0);  // nothing half-written

  CreateResponderRequest responder;
  responder.mutable_responder()->set_display_name("bad");
  responder.mutable_responder()->add_skills(NEED_TYPE_OTHER);
  responder.mutable_responder()->set_capacity(0);
  Responder created;
  expect_field(desk_->CreateResponder(As(admins_["a"]).get(), responder, &created),
               "responder.capacity");
  responder.mutable_responder()->set_capacity(2);
  responder.mutable_responder()->set_time_zone("Europe/Atlantis");
  expect_field(desk_->CreateResponder(As(admins_["a"]).get(), responder, &created),
               "responder.time_zone");
  responder.mutable_responder()->clear_time_zone();
  auto* hours = responder.mutable_responder()->add_working_hours();
  hours->set_rrule("FREQ=SOMETIMES");
  hours->set_start_time("09:00");
  hours->set_duration_minutes(480);
  hours->set_valid_from("2026-01-01");
  expect_field(desk_->CreateResponder(As(admins_["a"]).get(), responder, &created),
               "responder.working_hours[0].rrule");
  responder.mutable_responder()->clear_working_hours();
  // The token it acts with: an id of the organisation's own tokens, not another's or the secret.
  const auto theirs = server_->TokenWithInfo(Org("bakery"), {auth::v1::ROLE_DESK_RESPONDER});
  responder.mutable_responder()->set_token_id(theirs.info().id());
  expect_field(desk_->CreateResponder(As(admins_["a"]).get(), responder, &created),
               "responder.token_id");
  responder.mutable_responder()->set_token_id(theirs.token());
  expect_field(desk_->CreateResponder(As(admins_["a"]).get(), responder, &created),
               "responder.token_id");
  GetResponderRequest get_a;
  get_a.set_id(a.id);
  Responder current;
  ASSERT_TRUE(desk_->GetResponder(As(admins_["a"]).get(), get_a, &current).ok());
  UpdateResponderRequest rebind;
  *rebind.mutable_responder() = current;
  rebind.mutable_responder()->set_token_id(theirs.info().id());
  expect_field(desk_->UpdateResponder(As(admins_["a"]).get(), rebind, &created),
               "responder.token_id");
  ListRespondersRequest list_responders;
  ListRespondersResponse responders;
  ASSERT_TRUE(desk_->ListResponders(As(admins_["a"]).get(), list_responders, &responders).ok());
  EXPECT_EQ(responders.responders_size(), 1);

  Inquiry inquiry = Submit("bakery", Question());
  AwaitOffer(inquiry.id());
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
  ASSERT_TRUE(Resolve(a, inquiry.id(), OUTCOME_ANSWERED, &out).ok());
  RecordFeedbackRequest feedback;
  feedback.set_id(inquiry.id());
  feedback.mutable_feedback()->set_score(6);
  expect_field(desk_->RecordFeedback(As(admins_["bakery"]).get(), feedback, &out),
               "feedback.score");
  ResolveInquiryRequest resolve;
  resolve.set_id(inquiry.id());
  resolve.set_responder_id(a.id);
  resolve.set_outcome(OUTCOME_FACILITY_BOOKED);
  expect_field(desk_->ResolveInquiry(As(a.token).get(), resolve, &out), "booking_id");
  DeclineInquiryRequest decline;
  decline.set_id(inquiry.id());
  decline.set_responder_id(a.id);
  expect_field(desk_->DeclineInquiry(As(a.token).get(), decline, &out), "reason");
}

TEST_F(DeskApiTest, ARetriedSubmitReturnsTheFirstInquiry) {
  MakeNetwork({"bakery", "a"});
  AddResponder("a");
  auto request = Question();
  request.set_request_id("form-4711");
  request.mutable_location()->set_latitude(52.51);
  request.mutable_location()->set_longitude(6.09);
  Inquiry first = Submit("bakery", request);
  Inquiry again = Submit("bakery", request);
  EXPECT_EQ(first.id(), again.id());
  EXPECT_DOUBLE_EQ(again.location().latitude(), 52.51);
  EXPECT_DOUBLE_EQ(again.location().longitude(), 6.09);
  ListInquiriesRequest list;
  list.set_entry_organization_id(Org("bakery"));
  ListInquiriesResponse listed;
  ASSERT_TRUE(desk_->ListInquiries(As(admins_["bakery"]).get(), list, &listed).ok());
  EXPECT_EQ(listed.inquiries_size(), 1);
}

TEST_F(DeskApiTest, StreamAssignmentsDeliversOffersAndResumesFromACursor) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a");
  StreamAssignmentsRequest request;
  request.set_responder_id(a.id);
  auto context = As(a.token);
  auto stream = desk_->StreamAssignments(context.get(), request);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the stream start from "now"
  Inquiry first = Submit("bakery", Question("first"));
  InquiryEvent event;
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.type(), INQUIRY_EVENT_TYPE_OFFERED);
  EXPECT_EQ(event.inquiry_id(), first.id());
  EXPECT_EQ(event.inquiry().text(), "first");
  EXPECT_FALSE(event.inquiry().has_contact());
  const std::string cursor = event.cursor();
  context->TryCancel();
  stream->Finish();

  Inquiry second = Submit("bakery", Question("second"));
  AwaitOffer(second.id());
  request.set_cursor(cursor);
  auto resumed_context = As(a.token);
  auto resumed = desk_->StreamAssignments(resumed_context.get(), request);
  ASSERT_TRUE(resumed->Read(&event));
  EXPECT_EQ(event.inquiry_id(), second.id());  // what happened while it was away
  resumed_context->TryCancel();
  resumed->Finish();

  // Someone else's assignments are not for this token.
  request.clear_cursor();
  auto foreign_context = As(outsider_);
  auto foreign = desk_->StreamAssignments(foreign_context.get(), request);
  EXPECT_FALSE(foreign->Read(&event));
  EXPECT_EQ(foreign->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// A coordinator who refers an inquiry away from its assignee tells the assignee on its stream, as
// an assignee referring it on is told (before, the assignee only stopped seeing it).
TEST_F(DeskApiTest, AnAssigneeHearsOfACoordinatorsReferral) {
  MakeNetwork({"bakery", "a", "b"});
  Person a = AddResponder("a", [](Responder* r) { r->add_themes(reg::THEME_FOOD); });
  AddResponder("b");
  StreamAssignmentsRequest request;
  request.set_responder_id(a.id);
  request.set_cursor("0-0");  // everything a new responder was ever offered: nothing is missed
  auto context = As(a.token);
  auto stream = desk_->StreamAssignments(context.get(), request);
  auto question = Question("Wie helpt met de broodoven?");
  question.add_themes(reg::THEME_FOOD);
  Inquiry inquiry = Submit("bakery", question);
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
  Inquiry out;
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
  ReferInquiryRequest refer;
  refer.set_id(inquiry.id());
  refer.set_target_organization_id(Org("b"));
  refer.set_note("b heeft de ovenkennis");
  ASSERT_TRUE(desk_->ReferInquiry(As(coordinator_).get(), refer, &out).ok());
  std::vector<InquiryEventType> types;
  InquiryEvent event;
  while (stream->Read(&event)) {
    EXPECT_EQ(event.inquiry_id(), inquiry.id());
    EXPECT_EQ(event.responder_id(), a.id);
    types.push_back(event.type());
    if (event.type() == INQUIRY_EVENT_TYPE_REFERRED) break;
  }
  EXPECT_EQ(types,
            (std::vector<InquiryEventType>{INQUIRY_EVENT_TYPE_OFFERED, INQUIRY_EVENT_TYPE_ACCEPTED,
                                           INQUIRY_EVENT_TYPE_REFERRED}));
  context->TryCancel();
  stream->Finish();
}

TEST_F(DeskApiTest, TheEntryPartnerWatchesItsInquiryFromOfferToAnswer) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a");
  Inquiry inquiry = Submit("bakery", Question());
  WatchInquiryRequest watch;
  watch.set_id(inquiry.id());
  watch.set_cursor("dk1:0-0");  // from the start of the event log
  auto context = As(admins_["bakery"]);
  auto stream = desk_->WatchInquiry(context.get(), watch);
  std::vector<InquiryEventType> seen;
  InquiryEvent event;
  while (seen.size() < 2 && stream->Read(&event)) {
    EXPECT_EQ(event.inquiry_id(), inquiry.id());
    seen.push_back(event.type());
    if (event.type() == INQUIRY_EVENT_TYPE_OFFERED) {
      Inquiry out;
      ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
    }
  }
  // Read until the acceptance arrives.
  while (seen.back() != INQUIRY_EVENT_TYPE_ACCEPTED && stream->Read(&event))
    seen.push_back(event.type());
  EXPECT_EQ(seen.front(), INQUIRY_EVENT_TYPE_SUBMITTED);
  EXPECT_EQ(seen.back(), INQUIRY_EVENT_TYPE_ACCEPTED);
  EXPECT_EQ(event.inquiry().state(), INQUIRY_STATE_ASSIGNED);
  EXPECT_EQ(event.inquiry().contact().email(),
            "jan@bakkerij.example");  // the entry partner sees its asker
  context->TryCancel();
  stream->Finish();
}

// A responder watching an inquiry offered to it sees it until it declines; then the stream ends
// (before, it went on showing who was offered it next and how it ended).
TEST_F(DeskApiTest, AWatchOfAnInquiryEndsWhenTheWatcherMayNoLongerSeeIt) {
  MakeNetwork({"bakery", "a", "b"});
  std::map<std::string, Person> people = {{"a", AddResponder("a")}, {"b", AddResponder("b")}};
  Inquiry inquiry = Submit("bakery", Question());
  const std::string first = AwaitOffer(inquiry.id()).offered_to(0);
  const Person& offered = people["a"].id == first ? people["a"] : people["b"];
  WatchInquiryRequest watch;
  watch.set_id(inquiry.id());
  watch.set_cursor("dk1:0-0");
  auto context = As(offered.token);
  auto stream = desk_->WatchInquiry(context.get(), watch);
  InquiryEvent event;
  ASSERT_TRUE(stream->Read(&event));  // while it is offered the inquiry, it sees its events
  EXPECT_EQ(event.inquiry_id(), inquiry.id());
  Inquiry out;
  ASSERT_TRUE(Decline(offered, inquiry.id(), &out).ok());
  std::vector<InquiryEvent> after;
  while (stream->Read(&event)) after.push_back(event);
  const auto ended = stream->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::PERMISSION_DENIED) << ended.error_message();
  for (const auto& e : after) {
    EXPECT_NE(e.type(), INQUIRY_EVENT_TYPE_DECLINED) << e.DebugString();
    EXPECT_TRUE(e.responder_id().empty() || e.responder_id() == offered.id) << e.DebugString();
  }
}

TEST_F(DeskApiTest, AForeignTokenGetsNothingFromAnyCall) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a");
  Inquiry inquiry = Submit("bakery", Question());
  AwaitOffer(inquiry.id());
  auto foreign = [](const grpc::Status& status, const char* call) {
    EXPECT_TRUE(status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                status.error_code() == grpc::StatusCode::NOT_FOUND)
        << call << ": " << status.error_code() << " " << status.error_message();
  };
  Inquiry out;
  Responder responder;
  GetInquiryRequest get;
  get.set_id(inquiry.id());
  foreign(desk_->GetInquiry(As(outsider_).get(), get, &out), "GetInquiry");
  ListInquiriesRequest by_network;
  by_network.set_network_id(net_);
  ListInquiriesResponse listed;
  foreign(desk_->ListInquiries(As(outsider_).get(), by_network, &listed), "ListInquiries(network)");
  ListInquiriesRequest by_entry;
  by_entry.set_entry_organization_id(Org("bakery"));
  foreign(desk_->ListInquiries(As(outsider_).get(), by_entry, &listed), "ListInquiries(entry)");
  ListInquiriesRequest by_responder;
  by_responder.set_responder_id(a.id);
  foreign(desk_->ListInquiries(As(outsider_).get(), by_responder, &listed),
          "ListInquiries(responder)");
  ListAssignmentsRequest poll;
  poll.set_responder_id(a.id);
  ListAssignmentsResponse assignments;
  foreign(desk_->ListAssignments(As(outsider_).get(), poll, &assignments), "ListAssignments");
  AcceptInquiryRequest accept;
  accept.set_id(inquiry.id());
  accept.set_responder_id(a.id);
  foreign(desk_->AcceptInquiry(As(outsider_).get(), accept, &out), "AcceptInquiry");
  DeclineInquiryRequest decline;
  decline.set_id(inquiry.id());
  decline.set_responder_id(a.id);
  decline.set_reason("not mine");
  foreign(desk_->DeclineInquiry(As(outsider_).get(), decline, &out), "DeclineInquiry");
  ReferInquiryRequest refer;
  refer.set_id(inquiry.id());
  refer.set_target_organization_id(Org("bakery"));
  refer.set_note("take it");
  foreign(desk_->ReferInquiry(As(outsider_).get(), refer, &out), "ReferInquiry");
  ResolveInquiryRequest resolve;
  resolve.set_id(inquiry.id());
  resolve.set_outcome(OUTCOME_WITHDRAWN);
  foreign(desk_->ResolveInquiry(As(outsider_).get(), resolve, &out), "ResolveInquiry");
  RecordFeedbackRequest feedback;
  feedback.set_id(inquiry.id());
  feedback.mutable_feedback()->set_score(1);
  foreign(desk_->RecordFeedback(As(outsider_).get(), feedback, &out), "RecordFeedback");
  EraseAskerRequest erase;
  erase.set_id(inquiry.id());
  foreign(desk_->EraseAsker(As(outsider_).get(), erase, &out), "EraseAsker");
  GetResponderRequest get_responder;
  get_responder.set_id(a.id);
  foreign(desk_->GetResponder(As(outsider_).get(), get_responder, &responder), "GetResponder");
  UpdateResponderRequest update;
  update.mutable_responder()->set_id(a.id);
  update.mutable_responder()->set_etag("1");
  foreign(desk_->UpdateResponder(As(outsider_).get(), update, &responder), "UpdateResponder");
  SetResponderOnlineRequest online;
  online.set_id(a.id);
  foreign(desk_->SetResponderOnline(As(outsider_).get(), online, &responder), "SetResponderOnline");
  DeleteResponderRequest remove;
  remove.set_id(a.id);
  DeleteResponderResponse removed;
  foreign(desk_->DeleteResponder(As(outsider_).get(), remove, &removed), "DeleteResponder");
  ListRespondersRequest list_responders;
  list_responders.set_organization_id(Org("a"));
  ListRespondersResponse responders;
  foreign(desk_->ListResponders(As(outsider_).get(), list_responders, &responders),
          "ListResponders");
  CreateResponderRequest create;
  create.mutable_responder()->set_organization_id(Org("a"));
  create.mutable_responder()->set_display_name("intruder");
  create.mutable_responder()->add_skills(NEED_TYPE_OTHER);
  create.mutable_responder()->set_capacity(1);
  foreign(desk_->CreateResponder(As(outsider_).get(), create, &responder), "CreateResponder");
  SubmitInquiryRequest submit = Question();
  submit.set_entry_organization_id(Org("bakery"));
  foreign(desk_->SubmitInquiry(As(outsider_).get(), submit, &out), "SubmitInquiry");
  WatchInquiryRequest watch;
  watch.set_id(inquiry.id());
  auto context = As(outsider_);
  auto stream = desk_->WatchInquiry(context.get(), watch);
  InquiryEvent event;
  EXPECT_FALSE(stream->Read(&event));
  foreign(stream->Finish(), "WatchInquiry");
  // And without a token, nothing at all.
  grpc::ClientContext anonymous;
  EXPECT_EQ(desk_->GetInquiry(&anonymous, get, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // The inquiry is untouched.
  EXPECT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
}

// A food lab of the network's "lab" organisation, shared with the network.
reg::Resource FoodLab(reg::RegistryService::Stub* registry, const std::string& owner,
                      const std::string& network) {
  reg::CreateResourceRequest create;
  auto* lab = create.mutable_resource();
  lab->set_display_name("Food Lab");
  lab->set_kind(reg::RESOURCE_KIND_LAB);
  lab->set_owner_organization_id(owner);
  lab->add_shared_with_network_ids(network);
  lab->add_themes(reg::THEME_FOOD);
  lab->mutable_location()->mutable_point()->set_latitude(52.5);
  lab->mutable_location()->mutable_point()->set_longitude(6.1);
  lab->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
  lab->set_capacity(1);
  lab->set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
  lab->set_sme_accessible(true);
  lab->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  reg::Resource resource;
  auto created =
      registry->CreateResource(TestServer::Context(kAdminToken).get(), create, &resource);
  EXPECT_TRUE(created.ok()) << created.error_message();
  return resource;
}

TEST_F(DeskApiTest, AFacilityQuestionComesWithMatchingResourcesAndTheirEarliestSlot) {
  MakeNetwork({"bakery", "lab"});
  AddResponder("lab", [](Responder* r) { r->add_skills(NEED_TYPE_FACILITY_ACCESS); });
  const reg::Resource resource = FoodLab(registry_, Org("lab"), net_);

  auto request = Question("Can we use a lab to test a new bread recipe?");
  request.set_need_type(NEED_TYPE_FACILITY_ACCESS);
  request.add_themes(reg::THEME_FOOD);
  Inquiry inquiry = Submit("bakery", request);
  ASSERT_EQ(inquiry.suggestions_size(), 1);
  EXPECT_EQ(inquiry.suggestions(0).resource_id(), resource.id());
  EXPECT_EQ(inquiry.suggestions(0).display_name(), "Food Lab");
  EXPECT_TRUE(inquiry.suggestions(0).has_earliest_start_time());
  EXPECT_GT(inquiry.suggestions(0).earliest_end_time().seconds(),
            inquiry.suggestions(0).earliest_start_time().seconds());
  GetInquiryRequest get;
  get.set_id(inquiry.id());
  Inquiry again;
  ASSERT_TRUE(desk_->GetInquiry(As(admins_["bakery"]).get(), get, &again).ok());
  EXPECT_EQ(again.suggestions_size(), 1);

  // Other questions get no suggestions.
  EXPECT_EQ(Submit("bakery", Question()).suggestions_size(), 0);
}

// A lab free now yields 100 back-to-back two-hour slots (8 days); a lab booked for the next 10
// days must still be suggested beside it: each resource's earliest slot, then ranked.
TEST_F(DeskApiTest, ALabFreeOnlyLaterIsStillSuggested) {
  MakeNetwork({"bakery", "lab"});
  AddResponder("lab", [](Responder* r) { r->add_skills(NEED_TYPE_FACILITY_ACCESS); });
  const reg::Resource free_now = FoodLab(registry_, Org("lab"), net_);
  const reg::Resource later = FoodLab(registry_, Org("lab"), net_);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  sch::CreateBookingRequest busy;
  busy.set_resource_id(later.id());
  busy.mutable_start_time()->set_seconds((now / 60 + 1) * 60);
  busy.mutable_end_time()->set_seconds((now / 60 + 1) * 60 + 10 * 86400);
  busy.set_title("Verbouwing");
  sch::Booking booking;
  auto status = server_->Scheduler()->CreateBooking(As(admins_["lab"]).get(), busy, &booking);
  ASSERT_TRUE(status.ok()) << status.error_message();

  auto request = Question("Een keuken voor een proefbakdag, Café Ñ");
  request.set_need_type(NEED_TYPE_FACILITY_ACCESS);
  request.add_themes(reg::THEME_FOOD);
  Inquiry inquiry = Submit("bakery", request);
  ASSERT_EQ(inquiry.suggestions_size(), 2);
  EXPECT_EQ(inquiry.suggestions(0).resource_id(), free_now.id());  // ranked by time
  EXPECT_EQ(inquiry.suggestions(1).resource_id(), later.id());
  EXPECT_GE(inquiry.suggestions(1).earliest_start_time().seconds(), booking.end_time().seconds());
}

// OUTCOME_FACILITY_BOOKED names a booking that exists and is the asker's: made for the asker's
// organisation, or by the entry partner on the asker's behalf — not anyone's booking.
TEST_F(DeskApiTest, AFacilityBookedOutcomeNamesABookingOfTheAsker) {
  MakeNetwork({"bakery", "lab", "kaasmakerij"});
  Person lab = AddResponder("lab", [](Responder* r) { r->add_skills(NEED_TYPE_FACILITY_ACCESS); });
  const reg::Resource resource = FoodLab(registry_, Org("lab"), net_);
  auto scheduler = server_->Scheduler();
  const int64_t day = (std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                               .count() /
                           86400 +
                       3) *
                      86400;
  auto book = [&](const std::string& org, int hour) {
    sch::CreateBookingRequest request;
    request.set_resource_id(resource.id());
    request.mutable_start_time()->set_seconds(day + hour * 3600);
    request.mutable_end_time()->set_seconds(day + (hour + 1) * 3600);
    request.set_title("Proefbakken");
    sch::Booking booking;
    auto status = scheduler->CreateBooking(As(admins_[org]).get(), request, &booking);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return booking.id();
  };
  const std::string owners = book("lab", 9), askers = book("kaasmakerij", 11);
  const std::string entry_partners = book("bakery", 13), cancelled = book("kaasmakerij", 15);
  sch::CancelBookingRequest cancel;
  cancel.set_id(cancelled);
  cancel.set_reason("Toch niet");
  sch::Booking cancelled_booking;
  ASSERT_TRUE(
      scheduler->CancelBooking(As(admins_["kaasmakerij"]).get(), cancel, &cancelled_booking).ok());

  auto resolve = [&](const std::string& booking_id, Inquiry* out,
                     Outcome outcome = OUTCOME_FACILITY_BOOKED) {
    ResolveInquiryRequest r;
    r.set_id(out->id());
    r.set_responder_id(lab.id);
    r.set_outcome(outcome);
    r.set_booking_id(booking_id);
    return desk_->ResolveInquiry(As(lab.token).get(), r, out);
  };
  // The asker names their organisation: only its standing bookings count. Without one, the entry
  // partner's booking on the asker's behalf does.
  struct Case {
    std::string asker_organization;
    std::string good;
    std::vector<std::string> bad;
  };
  const std::vector<Case> cases = {
      {Org("kaasmakerij"), askers, {"nobody.0000000000000", owners, entry_partners, cancelled}},
      {"", entry_partners, {"nobody.0000000000000", owners, askers, cancelled}},
  };
  for (const Case& c : cases) {
    auto request = Question("Mogen wij de keuken gebruiken voor een proefbakdag?");
    request.set_need_type(NEED_TYPE_FACILITY_ACCESS);
    request.set_asker_organization_id(c.asker_organization);
    Inquiry inquiry = Submit("bakery", request);
    AwaitOffer(inquiry.id());
    ASSERT_TRUE(Accept(lab, inquiry.id(), &inquiry).ok());
    for (const std::string& bad : c.bad) {
      auto refused = resolve(bad, &inquiry);
      EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
      EXPECT_EQ(BadField(refused), "booking_id") << bad;
    }
    // A booking id belongs to this outcome alone.
    auto answered = resolve(c.good, &inquiry, OUTCOME_ANSWERED);
    EXPECT_EQ(answered.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(BadField(answered), "booking_id");
    auto accepted = resolve(c.good, &inquiry);
    ASSERT_TRUE(accepted.ok()) << accepted.error_message();
    EXPECT_EQ(inquiry.booking_id(), c.good);
    EXPECT_EQ(inquiry.outcome(), OUTCOME_FACILITY_BOOKED);
  }
}

// Platform admins see every inquiry escalated now, whichever network it is in; once it is handled
// it leaves the list. Nobody else may list across networks.
TEST_F(DeskApiTest, PlatformAdminsListEscalatedInquiriesAcrossNetworks) {
  auto talent = Question("Stageplaatsen voor 12 studenten, regio Zwolle?");
  talent.set_need_type(NEED_TYPE_TALENT);  // nobody's skill: escalates at once
  MakeNetwork({"bakery", "a"});
  AddResponder("a");
  const std::string first_coordinator = coordinator_;
  Inquiry first = Submit("bakery", talent);
  MakeNetwork({"school", "b"});
  AddResponder("b");
  Inquiry second = Submit("school", talent);
  AwaitState(first.id(), INQUIRY_STATE_ESCALATED);
  AwaitState(second.id(), INQUIRY_STATE_ESCALATED);

  auto listed = [&](const std::string& token, grpc::Status* status) {
    ListInquiriesRequest request;
    request.set_escalated(true);
    request.set_page_size(100);
    ListInquiriesResponse response;
    *status = desk_->ListInquiries(As(token).get(), request, &response);
    std::set<std::string> ids;
    for (const auto& i : response.inquiries()) {
      EXPECT_EQ(i.state(), INQUIRY_STATE_ESCALATED) << i.id();
      ids.insert(i.id());
    }
    return ids;
  };
  grpc::Status status;
  auto ids = listed(kAdminToken, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(ids.count(first.id()) && ids.count(second.id()));
  listed(first_coordinator, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ListInquiriesRequest both;
  both.set_escalated(true);
  both.set_network_id(net_);
  ListInquiriesResponse out;
  EXPECT_EQ(BadField(desk_->ListInquiries(Admin().get(), both, &out)), "network_id");

  // The coordinators close one: it leaves the list.
  ResolveInquiryRequest resolve;
  resolve.set_id(first.id());
  resolve.set_outcome(OUTCOME_NO_MATCH);
  resolve.set_note("geen partner met stageplaatsen; doorverwezen naar SBB");
  Inquiry closed;
  auto resolved = desk_->ResolveInquiry(As(first_coordinator).get(), resolve, &closed);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  ids = listed(kAdminToken, &status);
  EXPECT_FALSE(ids.count(first.id()));
  EXPECT_TRUE(ids.count(second.id()));
}

TEST_F(DeskApiTest, TheDeskReportCountsWhatCameInAndWhereItEnded) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  MakeNetwork({"bakery", "school", "a"});
  Person a = AddResponder("a");
  Inquiry answered = Submit("bakery", Question("answered"));
  AwaitOffer(answered.id());
  Inquiry out;
  ASSERT_TRUE(Accept(a, answered.id(), &out).ok());
  ASSERT_TRUE(Resolve(a, answered.id(), OUTCOME_ANSWERED, &out).ok());
  RecordFeedbackRequest feedback;
  feedback.set_id(answered.id());
  feedback.mutable_feedback()->set_score(4);
  feedback.mutable_feedback()->set_would_recommend(true);
  ASSERT_TRUE(desk_->RecordFeedback(As(admins_["bakery"]).get(), feedback, &out).ok());
  auto talent = Question("interns?");
  talent.set_need_type(NEED_TYPE_TALENT);
  talent.set_asker_is_sme(false);
  Inquiry escalated = Submit("school", talent);
  AwaitState(escalated.id(), INQUIRY_STATE_ESCALATED);
  Inquiry waiting = Submit("bakery", Question("waiting"));
  AwaitOffer(waiting.id());

  DeskReportRequest request;
  request.set_network_id(net_);
  request.mutable_start_time()->set_seconds(now - 3600);
  request.mutable_end_time()->set_seconds(now + 3600);
  DeskReport report;
  auto status = desk_->GetDeskReport(As(coordinator_).get(), request, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(report.inquiries(), 3);
  std::map<std::string, int64_t> by_entry;
  for (const auto& c : report.by_entry_partner()) by_entry[c.organization_id()] = c.inquiries();
  EXPECT_EQ(by_entry, (std::map<std::string, int64_t>{{Org("bakery"), 2}, {Org("school"), 1}}));
  std::map<int, int64_t> by_need;
  for (const auto& c : report.by_need_type()) by_need[c.need_type()] = c.inquiries();
  EXPECT_EQ(by_need, (std::map<int, int64_t>{{NEED_TYPE_INNOVATION, 2}, {NEED_TYPE_TALENT, 1}}));
  EXPECT_EQ(report.accepted(), 1);
  EXPECT_DOUBLE_EQ(report.accepted_within_deadline_share(), 1.0);
  EXPECT_EQ(report.escalated_inquiries(), 1);
  EXPECT_GE(report.escalations(), 1);
  ASSERT_EQ(report.outcomes_size(), 1);
  EXPECT_EQ(report.outcomes(0).outcome(), OUTCOME_ANSWERED);
  EXPECT_EQ(report.open_inquiries(), 2);
  EXPECT_EQ(report.feedback_responses(), 1);
  EXPECT_DOUBLE_EQ(report.average_score(), 4.0);
  EXPECT_DOUBLE_EQ(report.would_recommend_share(), 1.0);
  EXPECT_DOUBLE_EQ(report.would_work_again_share(), 0.0);
  EXPECT_NEAR(report.sme_share(), 2.0 / 3.0, 1e-9);

  // Coordinators of other networks and partners see no report; a backwards range is refused.
  EXPECT_EQ(desk_->GetDeskReport(As(outsider_).get(), request, &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(desk_->GetDeskReport(As(admins_["bakery"]).get(), request, &report).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A network that does not exist has no report, not one of zeros (platform admins coordinate
  // every network).
  auto unknown = request;
  unknown.set_network_id("no-such-network");
  EXPECT_EQ(desk_->GetDeskReport(Admin().get(), unknown, &report).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.mutable_end_time()->set_seconds(now - 7200);
  auto backwards = desk_->GetDeskReport(As(coordinator_).get(), request, &report);
  EXPECT_EQ(backwards.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(backwards), "end_time");
}

// Offered to a pool of two at once (desk.pool_size = 2): the first to accept wins, the other's
// offer is withdrawn and its capacity freed.
TEST(DeskPool, TheFirstOfThePoolToAcceptWinsAndTheOtherOfferIsWithdrawn) {
  RedisServer redis(ClusterModeRequested());
  Config config = TestServer::DefaultConfig();
  config.desk.pool_size = 2;
  TestServer server(redis.url(), config);
  server.WaitUntilServing();
  auto registry = server.Registry();
  auto desk = server.Desk();
  auto admin = [] { return TestServer::Context(kAdminToken); };
  for (const char* org : {"bakery", "a", "b"}) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(org);
    request.mutable_organization()->set_display_name(org);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    reg::Organization out;
    ASSERT_TRUE(registry->CreateOrganization(admin().get(), request, &out).ok());
  }
  reg::CreateNetworkRequest network;
  network.set_network_id("pool");
  network.mutable_network()->set_display_name("pool");
  for (const char* org : {"bakery", "a", "b"})
    network.mutable_network()->add_member_organization_ids(org);
  reg::Network created;
  ASSERT_TRUE(registry->CreateNetwork(admin().get(), network, &created).ok());
  std::vector<std::string> responders;
  for (const char* org : {"a", "b"}) {
    CreateResponderRequest request;
    request.mutable_responder()->set_organization_id(org);
    request.mutable_responder()->set_display_name(org);
    request.mutable_responder()->add_skills(NEED_TYPE_RESEARCH);
    request.mutable_responder()->set_capacity(1);
    request.mutable_responder()->set_online(true);
    Responder out;
    ASSERT_TRUE(desk->CreateResponder(admin().get(), request, &out).ok());
    responders.push_back(out.id());
  }
  SubmitInquiryRequest submit;
  submit.set_entry_organization_id("bakery");
  submit.set_need_type(NEED_TYPE_RESEARCH);
  submit.set_text("Can a lectoraat study our process?");
  Inquiry inquiry;
  ASSERT_TRUE(desk->SubmitInquiry(admin().get(), submit, &inquiry).ok());
  GetInquiryRequest get;
  get.set_id(inquiry.id());
  for (int i = 0; i < 200 && inquiry.offered_to_size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ASSERT_TRUE(desk->GetInquiry(admin().get(), get, &inquiry).ok());
  }
  ASSERT_EQ(inquiry.offered_to_size(), 2);
  AcceptInquiryRequest accept;
  accept.set_id(inquiry.id());
  accept.set_responder_id(responders[1]);
  ASSERT_TRUE(desk->AcceptInquiry(admin().get(), accept, &inquiry).ok());
  EXPECT_EQ(inquiry.assignee_id(), responders[1]);
  EXPECT_EQ(inquiry.offered_to_size(), 0);
  bool withdrawn = false;
  for (const auto& h : inquiry.history())
    withdrawn =
        withdrawn || (h.kind() == HISTORY_KIND_WITHDRAWN && h.responder_id() == responders[0]);
  EXPECT_TRUE(withdrawn);
  GetResponderRequest get_responder;
  get_responder.set_id(responders[0]);
  Responder other;
  ASSERT_TRUE(desk->GetResponder(admin().get(), get_responder, &other).ok());
  EXPECT_EQ(other.open_inquiries(), 0);  // its capacity is back
  accept.set_responder_id(responders[0]);
  EXPECT_EQ(desk->AcceptInquiry(admin().get(), accept, &inquiry).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// A coordinator paging through the network's inquiries while new ones come in gets each inquiry
// that was there once, in the order one page shows them, down to the last page; a responder
// list pages likewise while responders are added. A token the server did not issue is refused
// naming page_token.
TEST_F(DeskApiTest, ListsPageOnAfterTheirLastEntryWhileEntriesArrive) {
  MakeNetwork({"bakery", "a"});
  for (int i = 0; i < 7; ++i) Submit("bakery", Question());
  ListInquiriesRequest list;
  list.set_network_id(net_);
  list.set_page_size(100);
  ListInquiriesResponse whole;
  ASSERT_TRUE(desk_->ListInquiries(As(coordinator_).get(), list, &whole).ok());
  ASSERT_EQ(whole.inquiries_size(), 7);
  EXPECT_TRUE(whole.next_page_token().empty());
  std::vector<std::string> expected;
  for (const auto& i : whole.inquiries()) expected.push_back(i.id());
  list.set_page_size(2);
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    ListInquiriesResponse page;
    ASSERT_TRUE(desk_->ListInquiries(As(coordinator_).get(), list, &page).ok());
    for (const auto& i : page.inquiries()) seen.push_back(i.id());
    Submit("bakery", Question());  // newer than every page so far
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen, expected);

  // Filtered, a page is full until the last: with no inquiry resolved, one empty page and no
  // token (not a page of nothing with a token for the next).
  ListInquiriesRequest resolved;
  resolved.set_network_id(net_);
  resolved.set_page_size(2);
  resolved.add_states(INQUIRY_STATE_RESOLVED);
  ListInquiriesResponse none;
  ASSERT_TRUE(desk_->ListInquiries(As(coordinator_).get(), resolved, &none).ok());
  EXPECT_EQ(none.inquiries_size(), 0);
  EXPECT_TRUE(none.next_page_token().empty()) << none.next_page_token();
  // Resolve the second of the first list: filtered on that state, it alone, on the first page.
  Await(expected[1], [](const Inquiry& i) { return i.state() == INQUIRY_STATE_ESCALATED; });
  ResolveInquiryRequest resolve;
  resolve.set_id(expected[1]);
  resolve.set_outcome(OUTCOME_NO_MATCH);
  resolve.set_note("nobody here does this");
  Inquiry done;
  auto resolving = desk_->ResolveInquiry(As(coordinator_).get(), resolve, &done);
  ASSERT_TRUE(resolving.ok()) << resolving.error_message();
  resolved.set_page_size(1);
  ListInquiriesResponse one;
  ASSERT_TRUE(desk_->ListInquiries(As(coordinator_).get(), resolved, &one).ok());
  ASSERT_EQ(one.inquiries_size(), 1);
  EXPECT_EQ(one.inquiries(0).id(), expected[1]);
  if (!one.next_page_token().empty()) {  // the index held more past it: the next page is empty
    resolved.set_page_token(one.next_page_token());
    ASSERT_TRUE(desk_->ListInquiries(As(coordinator_).get(), resolved, &one).ok());
    EXPECT_EQ(one.inquiries_size(), 0);
    EXPECT_TRUE(one.next_page_token().empty());
  }

  for (int i = 0; i < 5; ++i) AddResponder("a");
  ListRespondersRequest responders;
  responders.set_organization_id(Org("a"));
  responders.set_page_size(2);
  std::set<std::string> listed;
  size_t given = 0;
  for (int pages = 0; pages < 10; ++pages) {
    ListRespondersResponse page;
    ASSERT_TRUE(desk_->ListResponders(As(admins_["a"]).get(), responders, &page).ok());
    for (const auto& r : page.responders()) listed.insert(r.id());
    given += page.responders_size();
    if (page.next_page_token().empty()) break;
    responders.set_page_token(page.next_page_token());
    if (pages == 0) AddResponder("a");  // may come on a later page or not; none repeats
  }
  EXPECT_EQ(listed.size(), given);
  EXPECT_GE(given, 5u);

  for (const char* token : {"o2", "k:inq", "k12x:inq", "k12:", "kabc", "r"}) {
    list.set_page_token(token);
    ListInquiriesResponse page;
    EXPECT_EQ(BadField(desk_->ListInquiries(As(coordinator_).get(), list, &page)), "page_token")
        << token;
  }
}

// A responder pages through its inquiries newest first and accepts an older one in between: it
// still comes, once, on a later page (accepting it moved it ahead of the cursor, and it was
// skipped).
TEST_F(DeskApiTest, AResponderListingPagesPastAnAcceptInBetween) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a");
  std::vector<std::string> submitted;
  for (const char* text : {"Oven", "Deegroller", "Koelcel"}) {
    Inquiry inquiry = Submit("bakery", Question(text));
    ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
    submitted.push_back(inquiry.id());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // three distinct offer times
  }
  ListInquiriesRequest list;
  list.set_responder_id(a.id);
  list.set_page_size(1);
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    ListInquiriesResponse page;
    ASSERT_TRUE(desk_->ListInquiries(As(a.token).get(), list, &page).ok());
    for (const auto& i : page.inquiries()) seen.push_back(i.id());
    if (pages == 0) {
      Inquiry out;
      ASSERT_TRUE(Accept(a, submitted[0], &out).ok());  // the oldest, not listed yet
    }
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{submitted[2], submitted[1], submitted[0]}));
}

// A client that lost the answer retries with its request id: the responder made the first time
// (before, the retry answered with a new id no responder has), and a deletion that went through
// succeeds again; without a request id the second deletion finds nothing.
TEST_F(DeskApiTest, RetriedResponderCallsAnswerAsTheFirst) {
  MakeNetwork({"a"});
  CreateResponderRequest create;
  create.set_request_id("make-desk-1");
  create.mutable_responder()->set_organization_id(Org("a"));
  create.mutable_responder()->set_display_name("Balie Ö");
  create.mutable_responder()->add_skills(NEED_TYPE_TRAINING);
  create.mutable_responder()->set_capacity(2);
  Responder first, again;
  ASSERT_TRUE(desk_->CreateResponder(As(admins_["a"]).get(), create, &first).ok());
  ASSERT_TRUE(desk_->CreateResponder(As(admins_["a"]).get(), create, &again).ok());
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(again.etag(), first.etag());
  GetResponderRequest get;
  get.set_id(again.id());
  Responder got;
  ASSERT_TRUE(desk_->GetResponder(As(admins_["a"]).get(), get, &got).ok());
  EXPECT_EQ(got.display_name(), "Balie Ö");
  ListRespondersRequest list;
  ListRespondersResponse listed;
  ASSERT_TRUE(desk_->ListResponders(As(admins_["a"]).get(), list, &listed).ok());
  EXPECT_EQ(listed.responders_size(), 1);  // one made, not two

  DeleteResponderRequest remove;
  remove.set_id(first.id());
  remove.set_request_id("remove-desk-1");
  DeleteResponderResponse removed;
  ASSERT_TRUE(desk_->DeleteResponder(As(admins_["a"]).get(), remove, &removed).ok());
  auto retried = desk_->DeleteResponder(As(admins_["a"]).get(), remove, &removed);
  EXPECT_TRUE(retried.ok()) << retried.error_message();
  // Another organisation's retry with the same id, and a call without one, find nothing.
  MakeNetwork({"b"});
  EXPECT_EQ(desk_->DeleteResponder(As(admins_["b"]).get(), remove, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  remove.clear_request_id();
  EXPECT_EQ(desk_->DeleteResponder(As(admins_["a"]).get(), remove, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(desk_->GetResponder(As(admins_["a"]).get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(DeskApiTest, AResponderWithOpenInquiriesIsNotDeleted) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a");
  Inquiry inquiry = Submit("bakery", Question());
  AwaitOffer(inquiry.id());
  DeleteResponderRequest remove;
  remove.set_id(a.id);
  DeleteResponderResponse removed;
  auto status = desk_->DeleteResponder(As(admins_["a"]).get(), remove, &removed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(status), "RESPONDER_BUSY");
}

// Everything held about one person, found by e-mail address in any case (AVG art. 15): the
// inquiries they asked, the resources naming them as staff, the organisations naming them as a
// contact, the networks naming them as coordinator; and nobody else's. Then its erasure (art. 17):
// only the entries naming them go, and a second erasure finds nothing.
// The consent record and the follow-up answer are the asker's personal data (docs/privacy.md): the
// export (AVG art. 15) shows them with the inquiry, and the erasure removes the consent.
TEST_F(DeskApiTest, TheExportShowsTheAskersConsentAndFollowUpAnswer) {
  MakeNetwork({"bakery", "a"});
  Person a = AddResponder("a");
  auto privacy = privacy::v1::PrivacyService::NewStub(server_->channel());
  const std::string email = "jörg.müller+" + net_ + "@bakkerij.example";
  auto request = Question("Wie helpt met een cursus HACCP? Café Ñ");
  request.mutable_contact()->set_email(email);
  request.mutable_consent()->set_follow_up(true);
  request.mutable_consent()->set_how("telefonisch, 1 december");
  Inquiry inquiry = Submit("bakery", request);
  ASSERT_EQ(AwaitOffer(inquiry.id()).offered_to(0), a.id);
  Inquiry out;
  ASSERT_TRUE(Accept(a, inquiry.id(), &out).ok());
  ASSERT_TRUE(Resolve(a, inquiry.id(), OUTCOME_TRAINING_ENROLLED, &out).ok());
  Await(inquiry.id(),
        [](const Inquiry& i) { return i.follow_up().state() == FollowUp::STATE_DUE; });
  RecordFollowUpRequest answer;
  answer.set_id(inquiry.id());
  answer.set_help_started(true);
  answer.set_note("de cursus is begonnen");
  auto answered = desk_->RecordFollowUp(As(admins_["bakery"]).get(), answer, &out);
  ASSERT_TRUE(answered.ok()) << answered.error_message();

  privacy::v1::ExportPersonalDataRequest export_request;
  export_request.set_email(email);
  privacy::v1::PersonalData exported;
  auto status = privacy->ExportPersonalData(Admin().get(), export_request, &exported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(exported.inquiries_size(), 1);
  const auto& record = exported.inquiries(0);
  EXPECT_TRUE(record.consent().follow_up());
  EXPECT_EQ(record.consent().how(), "telefonisch, 1 december");
  EXPECT_FALSE(record.consent().recorded_by().empty());
  EXPECT_EQ(record.follow_up().state(), FollowUp::STATE_ANSWERED);
  EXPECT_TRUE(record.follow_up().help_started());
  EXPECT_EQ(record.follow_up().note(), "de cursus is begonnen");

  // Erased with the texts: the consent goes, and the note the entry partner wrote about the asker.
  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email(email);
  erase.set_erase_texts(true);
  privacy::v1::ErasePersonalDataResponse erased;
  status = privacy->ErasePersonalData(Admin().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.inquiries(), 1);
  GetInquiryRequest get;
  get.set_id(inquiry.id());
  ASSERT_TRUE(desk_->GetInquiry(Admin().get(), get, &out).ok());
  EXPECT_FALSE(out.has_consent());
  EXPECT_FALSE(out.has_contact());
  EXPECT_EQ(out.text(), "");
  EXPECT_EQ(out.follow_up().note(), "");
  EXPECT_TRUE(out.follow_up().help_started());  // the statistics stay
  status = privacy->ExportPersonalData(Admin().get(), export_request, &exported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(exported.inquiries_size(), 0);
}

TEST_F(DeskApiTest, ExportsAndErasesEverythingHeldAboutOnePerson) {
  MakeNetwork({"bakery", "a"});
  AddResponder("a");
  auto privacy = privacy::v1::PrivacyService::NewStub(server_->channel());
  const std::string email = "els.de.vries+" + net_ + "@bakkerij.example";
  const std::string other = "piet+" + net_ + "@bakkerij.example";

  auto asked = [&](const std::string& address, const std::string& text) {
    auto request = Question(text);
    request.mutable_contact()->set_name("Els de Vries");
    request.mutable_contact()->set_email(address);
    return Submit("bakery", request);
  };
  const Inquiry first = asked(email, "Wie helpt ons met een nieuwe oven?");
  const Inquiry second =
      asked(absl::AsciiStrToUpper(email), "Tweede vraag: zonnepanelen op het dak");
  const Inquiry others = asked(other, "Piet's vraag");
  // Unicode case: the same person.
  const std::string umlaut = "müller+" + net_ + "@bakkerij.example";
  const Inquiry third =
      asked("MÜLLER+" + net_ + "@BAKKERIJ.example", "Vraag van Ëlise, bel 06-12345678");

  reg::CreateResourceRequest create;
  auto* lab = create.mutable_resource();
  lab->set_display_name("Bakkerslab");
  lab->set_kind(reg::RESOURCE_KIND_LAB);
  lab->set_owner_organization_id(Org("a"));
  lab->mutable_location()->mutable_point()->set_latitude(52.5);
  lab->mutable_location()->mutable_point()->set_longitude(6.1);
  lab->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
  lab->set_capacity(1);
  lab->set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
  lab->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  auto* staff = lab->add_staff();
  staff->set_name("Els de Vries");
  staff->set_role(reg::STAFF_ROLE_FACILITY_MANAGER);
  staff->set_email("Els.De.Vries+" + net_ + "@Bakkerij.example");
  lab->add_staff()->set_name("Piet");
  lab->mutable_staff(1)->set_email(other);
  lab->mutable_staff(1)->set_role(reg::STAFF_ROLE_COMMUNITY_MANAGER);
  reg::Resource resource;
  auto status = registry_->CreateResource(Admin().get(), create, &resource);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Two resources that named her once: one no longer does, one is deleted. Only the change log
  // still holds those versions.
  for (const char* name : {"Oud lab", "Weg lab"}) {
    reg::CreateResourceRequest former = create;
    former.mutable_resource()->set_display_name(name);
    reg::Resource made;
    status = registry_->CreateResource(Admin().get(), former, &made);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (std::string(name) == "Oud lab") {
      reg::UpdateResourceRequest drop;
      *drop.mutable_resource() = made;
      drop.mutable_resource()->clear_staff();
      drop.mutable_update_mask()->add_paths("staff");
      status = registry_->UpdateResource(Admin().get(), drop, &made);
    } else {
      reg::DeleteResourceRequest remove;
      remove.set_id(made.id());
      reg::DeleteResponse removed;
      status = registry_->DeleteResource(Admin().get(), remove, &removed);
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  reg::UpdateOrganizationRequest org;
  org.mutable_organization()->set_id(Org("bakery"));
  for (const auto& address : {email, other}) {
    auto* contact = org.mutable_organization()->add_contacts();
    contact->set_name("Contact");
    contact->set_email(address);
  }
  org.mutable_update_mask()->add_paths("contacts");
  reg::Organization bakery;
  status = registry_->UpdateOrganization(Admin().get(), org, &bakery);
  ASSERT_TRUE(status.ok()) << status.error_message();

  reg::UpdateNetworkRequest network;
  network.mutable_network()->set_id(net_);
  network.mutable_network()->add_coordinators()->set_name("Els de Vries");
  network.mutable_network()->mutable_coordinators(0)->set_email(email);
  network.mutable_update_mask()->add_paths("coordinators");
  reg::Network updated;
  status = registry_->UpdateNetwork(Admin().get(), network, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();

  privacy::v1::ExportPersonalDataRequest ask;
  ask.set_email("  " + absl::AsciiStrToUpper(email) + " ");
  privacy::v1::PersonalData data;
  status = privacy->ExportPersonalData(Admin().get(), ask, &data);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(data.email(), email);
  ASSERT_EQ(data.inquiries_size(), 2);
  std::set<std::string> ids = {data.inquiries(0).inquiry_id(), data.inquiries(1).inquiry_id()};
  EXPECT_EQ(ids, (std::set<std::string>{first.id(), second.id()}));
  for (const auto& i : data.inquiries()) {
    EXPECT_EQ(i.contact().name(), "Els de Vries");
    EXPECT_EQ(i.network_id(), net_);
    EXPECT_FALSE(i.text().empty());
  }
  ASSERT_EQ(data.staff_size(), 1);
  EXPECT_EQ(data.staff(0).resource_id(), resource.id());
  EXPECT_EQ(data.staff(0).resource_name(), "Bakkerslab");
  EXPECT_EQ(data.staff(0).contact().role(), reg::STAFF_ROLE_FACILITY_MANAGER);
  ASSERT_EQ(data.organization_contacts_size(), 1);
  EXPECT_EQ(data.organization_contacts(0).object_id(), Org("bakery"));
  ASSERT_EQ(data.network_coordinators_size(), 1);
  EXPECT_EQ(data.network_coordinators(0).object_id(), net_);
  EXPECT_EQ(data.DebugString().find("piet"), std::string::npos)
      << "another person's data in the export";

  // Page by page, one record at a time: the same records, in the same order.
  {
    privacy::v1::PersonalData paged;
    privacy::v1::ExportPersonalDataRequest one = ask;
    one.set_page_size(1);
    int pages = 0;
    do {
      privacy::v1::PersonalData page;
      status = privacy->ExportPersonalData(Admin().get(), one, &page);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ++pages;
      paged.MergeFrom(page);
      one.set_page_token(page.next_page_token());
    } while (!one.page_token().empty());
    EXPECT_EQ(pages, 5);  // 2 inquiries, 1 staff entry, 1 organisation contact, 1 coordinator
    paged.clear_next_page_token();
    paged.clear_export_time();
    privacy::v1::PersonalData whole = data;
    whole.clear_export_time();
    EXPECT_EQ(paged.SerializeAsString(), whole.SerializeAsString());
    one.set_page_token("pd1:9:0");
    EXPECT_EQ(BadField(privacy->ExportPersonalData(Admin().get(), one, &paged)), "page_token");
  }

  // Only platform admins; a malformed address names its field.
  EXPECT_EQ(privacy->ExportPersonalData(As(admins_["bakery"]).get(), ask, &data).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  privacy::v1::ExportPersonalDataRequest malformed;
  malformed.set_email("not an address");
  EXPECT_EQ(BadField(privacy->ExportPersonalData(Admin().get(), malformed, &data)), "email");

  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email(email);
  erase.set_erase_texts(true);
  privacy::v1::ErasePersonalDataResponse erased;
  EXPECT_EQ(privacy->ErasePersonalData(As(admins_["bakery"]).get(), erase, &erased).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = privacy->ErasePersonalData(Admin().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.inquiries(), 2);
  EXPECT_EQ(erased.staff_contacts(), 1);
  EXPECT_EQ(erased.organization_contacts(), 1);
  EXPECT_EQ(erased.network_coordinators(), 1);

  for (const auto& id : {first.id(), second.id()}) {
    const Inquiry after = Await(id, [](const Inquiry& i) { return i.contact_erased(); });
    EXPECT_FALSE(after.has_contact());
    EXPECT_TRUE(after.text().empty());  // erase_texts
    EXPECT_EQ(Kinds(after).back(), HISTORY_KIND_ERASED);
  }
  const Inquiry kept = Await(others.id(), [](const Inquiry& i) { return i.has_contact(); });
  EXPECT_EQ(kept.contact().email(), other);
  EXPECT_EQ(kept.text(), "Piet's vraag");
  reg::GetResourceRequest get;
  get.set_id(resource.id());
  status = registry_->GetResource(Admin().get(), get, &resource);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(resource.staff_size(), 1);
  EXPECT_EQ(resource.staff(0).email(), other);
  reg::GetOrganizationRequest get_org;
  get_org.set_id(Org("bakery"));
  ASSERT_TRUE(registry_->GetOrganization(Admin().get(), get_org, &bakery).ok());
  ASSERT_EQ(bakery.contacts_size(), 1);
  EXPECT_EQ(bakery.contacts(0).email(), other);

  status = privacy->ExportPersonalData(Admin().get(), ask, &data);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(data.inquiries_size() + data.staff_size() + data.organization_contacts_size() +
                data.network_coordinators_size(),
            0)
      << data.DebugString();
  status = privacy->ErasePersonalData(Admin().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.inquiries() + erased.staff_contacts() + erased.organization_contacts() +
                erased.network_coordinators(),
            0);

  // The change log keeps no older version that named her, so no replay shows one: a cursor from
  // before the erasure is refused as trimmed.
  EXPECT_EQ(redis_->Cli("XRANGE 'is:{reg}:events' - +").find("Els.De.Vries"), std::string::npos);
  {
    grpc::ClientContext watch;
    watch.AddMetadata("authorization", "Bearer " + std::string(kAdminToken));
    watch.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    reg::WatchResourcesRequest from_start;
    from_start.set_cursor("0-0");
    auto reader = registry_->WatchResources(&watch, from_start);
    reg::ResourceChange change;
    while (reader->Read(&change))
      EXPECT_EQ(absl::AsciiStrToLower(change.DebugString()).find("els.de.vries"), std::string::npos)
          << change.DebugString();
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }

  // Only the contact first: the texts stay findable and are erased later.
  ask.set_email(umlaut);
  status = privacy->ExportPersonalData(Admin().get(), ask, &data);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(data.inquiries_size(), 1);
  EXPECT_EQ(data.inquiries(0).inquiry_id(), third.id());
  privacy::v1::ErasePersonalDataRequest contact_only;
  contact_only.set_email(umlaut);
  ASSERT_TRUE(privacy->ErasePersonalData(Admin().get(), contact_only, &erased).ok());
  EXPECT_EQ(erased.inquiries(), 1);
  ASSERT_TRUE(privacy->ExportPersonalData(Admin().get(), ask, &data).ok());
  ASSERT_EQ(data.inquiries_size(), 1);
  EXPECT_FALSE(data.inquiries(0).has_contact()) << data.DebugString();
  EXPECT_EQ(data.inquiries(0).text(), "Vraag van Ëlise, bel 06-12345678");
  contact_only.set_erase_texts(true);
  ASSERT_TRUE(privacy->ErasePersonalData(Admin().get(), contact_only, &erased).ok());
  EXPECT_EQ(erased.inquiries(), 1);
  EXPECT_TRUE(Await(third.id(), [](const Inquiry& i) { return i.text().empty(); }).text().empty());
  ASSERT_TRUE(privacy->ExportPersonalData(Admin().get(), ask, &data).ok());
  EXPECT_EQ(data.inquiries_size(), 0);
}

}  // namespace
}  // namespace infrashare::testing
