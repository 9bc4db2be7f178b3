// Outgoing webhooks (issue #16) through the API, against a real Redis (cluster mode when
// INFRASHARE_TEST_REDIS_CLUSTER=1) and a real receiver on loopback that checks every signature:
// a booking delivered signed, secret rotation, retries and disabling, dead letters and
// redelivery, redaction for another organisation, SSRF refusals at creation and at delivery, and
// the subscription RPCs' validation, authorization and replays.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/privacy/v1/privacy.grpc.pb.h"
#include "infrashare/programme/v1/programme.grpc.pb.h"
#include "infrashare/webhook/v1/webhook.grpc.pb.h"
#include "services/webhook/signature.h"
#include "tests/support/test_server.h"
#include "tests/support/webhook_receiver.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace sch = scheduler::v1;
namespace dsk = desk::v1;
namespace prg = programme::v1;
using namespace webhook::v1;
using google::protobuf::Timestamp;
using Delivery = WebhookReceiver::Delivery;

constexpr char kTitle[] = "Praktijkles CNC voor klas 3B – café Ĳsselmeer, 5 × 2 uur";
constexpr char kNotes[] = "Neem veiligheidsbrillen mee";

Timestamp Ahead(int day, int hour) {
  using namespace std::chrono;
  const int64_t base =
      duration_cast<seconds>((floor<days>(system_clock::now()) + days(day)).time_since_epoch())
          .count();
  Timestamp t;
  t.set_seconds(base + hour * 3600);
  return t;
}

// Fast retries for tests: 100 ms, 200 ms, 400 ms, ... for 2 s.
Config WebhookConfig(bool allow_private = true) {
  Config config = TestServer::DefaultConfig();
  config.rate_limits.enabled = false;
  config.webhooks.allow_http = true;
  config.webhooks.allow_private_targets = allow_private;
  config.webhooks.poll_interval_ms = 20;
  config.webhooks.timeout_ms = 2000;
  config.webhooks.claim_idle_ms = 4000;
  config.webhooks.retry_base_ms = 100;
  config.webhooks.retry_max_ms = 400;
  config.webhooks.retry_for_s = 2;
  config.scheduler.time_step_s = 1;  // bookings seconds from now, for the reminders' tests
  config.desk.accept_s_normal = 12;  // offer.deadline_near halfway: 6 s after the offer
  return config;
}

WebhookPayload PayloadOf(const Delivery& d) {
  WebhookPayload payload;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(d.body, &payload).ok()) << d.body;
  return payload;
}

int64_t TimestampOf(const Delivery& d) {
  int64_t t = 0;
  EXPECT_TRUE(absl::SimpleAtoi(d.timestamp, &t)) << d.timestamp;
  return t;
}

class WebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    server_ = new TestServer(redis_->url(), WebhookConfig());
    receiver_ = new WebhookReceiver();
    for (const char* org : {"lab-owner", "school", "outsider"}) CreateOrg(org);
    reg::CreateNetworkRequest network;
    network.set_network_id("zwolle");
    network.mutable_network()->set_display_name("Techniek Zwolle");
    for (const char* member : {"lab-owner", "school", "outsider"})
      network.mutable_network()->add_member_organization_ids(member);
    reg::Network created;
    ASSERT_TRUE(server_->Registry()->CreateNetwork(Admin().get(), network, &created).ok());
    owner_admin_ = server_->Token("lab-owner", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    owner_member_ = server_->Token("lab-owner", {auth::v1::ROLE_MEMBER});
    outsider_admin_ = server_->Token("outsider", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    school_member_ = server_->Token("school", {auth::v1::ROLE_MEMBER});
    school_admin_ = server_->Token("school", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    lab_ = Lab();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete receiver_;
    delete redis_;
  }

  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }
  static std::unique_ptr<WebhookService::Stub> Webhooks(const TestServer& server) {
    return WebhookService::NewStub(server.channel());
  }

  static void CreateOrg(const std::string& id) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(id);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    reg::Organization created;
    auto status = server_->Registry()->CreateOrganization(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static std::string Lab() {
    reg::CreateResourceRequest request;
    reg::Resource* r = request.mutable_resource();
    r->set_display_name("CNC-lab");
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("lab-owner");
    r->add_shared_with_network_ids("zwolle");
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_capacity(1);
    r->set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::Resource created;
    auto status = server_->Registry()->CreateResource(Admin().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.id();
  }

  // A booking of the school at the lab, `day` days ahead: one booking.created change.
  static sch::Booking Book(int day, int hour = 9) {
    sch::CreateBookingRequest request;
    request.set_resource_id(lab_);
    *request.mutable_start_time() = Ahead(day, hour);
    *request.mutable_end_time() = Ahead(day, hour + 1);
    request.set_title(kTitle);
    request.set_notes(kNotes);
    sch::Booking out;
    grpc::Status status;
    for (int attempt = 0; attempt < 100; ++attempt) {  // until the scheduler knows the lab
      status = server_->Scheduler()->CreateBooking(As(school_member_).get(), request, &out);
      if (status.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  static WebhookSubscription Subscribe(const std::string& token, const std::string& path,
                                       std::vector<WebhookEventType> types,
                                       const std::string& request_id = "") {
    CreateWebhookSubscriptionRequest request;
    request.set_target_url(receiver_->Url(path));
    for (auto type : types) request.add_event_types(type);
    request.set_description("planning system");
    request.set_request_id(request_id);
    WebhookSubscription out;
    auto status = Webhooks(*server_)->CreateWebhookSubscription(As(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  // The subscription once the server has disabled it (retries ran out), or as it is after 10 s.
  static WebhookSubscription AwaitDisabled(const std::string& id) {
    WebhookSubscription now;
    for (int i = 0; i < 500; ++i) {
      now = Get(id);
      if (!now.enabled()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return now;
  }

  static WebhookSubscription Get(const std::string& id) {
    GetWebhookSubscriptionRequest request;
    request.set_id(id);
    WebhookSubscription out;
    auto status = Webhooks(*server_)->GetWebhookSubscription(Admin().get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  // The deliveries of `path` that carry `booking_id`.
  static std::vector<Delivery> Of(const std::string& path, const std::string& booking_id) {
    std::vector<Delivery> out;
    for (const auto& d : receiver_->Received(path))
      if (PayloadOf(d).data().booking().booking().id() == booking_id) out.push_back(d);
    return out;
  }

  // A booking of the school at the lab from `start` to `end` (seconds since the epoch).
  static sch::Booking BookAt(int64_t start, int64_t end) {
    sch::CreateBookingRequest request;
    request.set_resource_id(lab_);
    request.mutable_start_time()->set_seconds(start);
    request.mutable_end_time()->set_seconds(end);
    request.set_title(kTitle);
    sch::Booking out;
    auto status = server_->Scheduler()->CreateBooking(As(school_member_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // What `path` received of `type` about `booking_id`.
  static std::vector<Delivery> OfType(const std::string& path, const std::string& type,
                                      const std::string& booking_id) {
    std::vector<Delivery> out;
    for (const auto& d : Of(path, booking_id))
      if (PayloadOf(d).type() == type) out.push_back(d);
    return out;
  }

  static WebhookSubscription SubscribeToReminders(const std::string& path, int lead_seconds) {
    CreateWebhookSubscriptionRequest request;
    request.set_target_url(receiver_->Url(path));
    request.add_event_types(WEBHOOK_EVENT_TYPE_BOOKING);
    request.add_event_types(WEBHOOK_EVENT_TYPE_BOOKING_REMINDER);
    request.set_reminder_lead_seconds(lead_seconds);
    WebhookSubscription out;
    auto status =
        Webhooks(*server_)->CreateWebhookSubscription(As(school_admin_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static WebhookReceiver* receiver_;
  static std::string owner_admin_, owner_member_, outsider_admin_, school_member_, school_admin_,
      lab_;
};

RedisServer* WebhookTest::redis_ = nullptr;
TestServer* WebhookTest::server_ = nullptr;
WebhookReceiver* WebhookTest::receiver_ = nullptr;
std::string WebhookTest::owner_admin_, WebhookTest::owner_member_, WebhookTest::outsider_admin_,
    WebhookTest::school_member_, WebhookTest::school_admin_, WebhookTest::lab_;

TEST_F(WebhookTest, ABookingIsDeliveredSignedAsTheStandardSays) {
  const WebhookSubscription sub =
      Subscribe(owner_admin_, "/owner", {WEBHOOK_EVENT_TYPE_BOOKING, WEBHOOK_EVENT_TYPE_WAITLIST});
  ASSERT_TRUE(absl::StartsWith(sub.secret(), "whsec_")) << sub.secret();
  EXPECT_TRUE(sub.enabled());
  const sch::Booking booking = Book(3);
  ASSERT_TRUE(receiver_->WaitFor(
      "/owner", [&](const std::vector<Delivery>&) { return !Of("/owner", booking.id()).empty(); }));
  const Delivery d = Of("/owner", booking.id()).front();
  EXPECT_TRUE(absl::StartsWith(d.id, "msg_")) << d.id;
  EXPECT_TRUE(webhook::Verify(sub.secret(), d.signature, d.id, TimestampOf(d), d.body))
      << d.signature;
  EXPECT_FALSE(webhook::Verify(sub.secret(), d.signature, d.id, TimestampOf(d) + 1, d.body));
  EXPECT_NEAR(static_cast<double>(TimestampOf(d)),
              static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()),
              600);
  const WebhookPayload payload = PayloadOf(d);
  EXPECT_EQ(payload.type(), "booking.created");
  EXPECT_EQ(payload.subscription_id(), sub.id());
  EXPECT_TRUE(payload.has_timestamp());
  EXPECT_EQ(payload.data().booking().type(), sch::BOOKING_EVENT_TYPE_CREATED);
  // The lab's owner sees who booked it and why.
  EXPECT_EQ(payload.data().booking().booking().title(), kTitle);
  EXPECT_EQ(payload.data().booking().booking().organization_id(), "school");
  EXPECT_TRUE(absl::StrContains(d.body, "\"data\":{\"booking\":")) << d.body;

  // The delivery log shows it.
  ListWebhookDeliveriesRequest log;
  log.set_subscription_id(sub.id());
  ListWebhookDeliveriesResponse deliveries;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        Webhooks(*server_)->ListWebhookDeliveries(As(owner_admin_).get(), log, &deliveries).ok());
    if (deliveries.deliveries_size() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(deliveries.deliveries_size(), 0);
  EXPECT_EQ(deliveries.deliveries(0).outcome(), WEBHOOK_DELIVERY_OUTCOME_DELIVERED);
  EXPECT_EQ(deliveries.deliveries(0).status_code(), 204);
  EXPECT_EQ(deliveries.deliveries(0).attempt(), 1);

  // A rotation with an overlap: both secrets sign the next delivery.
  RotateWebhookSecretRequest rotate;
  rotate.set_id(sub.id());
  rotate.set_overlap_seconds(3600);
  WebhookSubscription rotated;
  ASSERT_TRUE(
      Webhooks(*server_)->RotateWebhookSecret(As(owner_admin_).get(), rotate, &rotated).ok());
  ASSERT_TRUE(absl::StartsWith(rotated.secret(), "whsec_"));
  EXPECT_NE(rotated.secret(), sub.secret());
  EXPECT_TRUE(rotated.has_previous_secret_expire_time());
  EXPECT_TRUE(Get(sub.id()).secret().empty()) << "a secret is shown once";
  const sch::Booking second = Book(4);
  ASSERT_TRUE(receiver_->WaitFor(
      "/owner", [&](const std::vector<Delivery>&) { return !Of("/owner", second.id()).empty(); }));
  const Delivery both = Of("/owner", second.id()).front();
  EXPECT_TRUE(
      webhook::Verify(rotated.secret(), both.signature, both.id, TimestampOf(both), both.body));
  EXPECT_TRUE(webhook::Verify(sub.secret(), both.signature, both.id, TimestampOf(both), both.body));
  // Without an overlap the old secret stops at once.
  rotate.set_overlap_seconds(0);
  WebhookSubscription again;
  ASSERT_TRUE(Webhooks(*server_)->RotateWebhookSecret(As(owner_admin_).get(), rotate, &again).ok());
  const sch::Booking third = Book(5);
  ASSERT_TRUE(receiver_->WaitFor(
      "/owner", [&](const std::vector<Delivery>&) { return !Of("/owner", third.id()).empty(); }));
  const Delivery one = Of("/owner", third.id()).front();
  EXPECT_TRUE(webhook::Verify(again.secret(), one.signature, one.id, TimestampOf(one), one.body));
  EXPECT_FALSE(
      webhook::Verify(rotated.secret(), one.signature, one.id, TimestampOf(one), one.body));
}

TEST_F(WebhookTest, ASubscriberOfAnotherOrganisationNeverSeesTitlesOrNotes) {
  const WebhookSubscription outsider =
      Subscribe(outsider_admin_, "/outsider", {WEBHOOK_EVENT_TYPE_BOOKING});
  const WebhookSubscription owner =
      Subscribe(owner_admin_, "/owner-2", {WEBHOOK_EVENT_TYPE_BOOKING});
  const sch::Booking booking = Book(6);
  sch::CancelBookingRequest cancel;
  cancel.set_id(booking.id());
  cancel.set_reason("SECRET-REASON illness of the teacher");
  sch::Booking cancelled;
  ASSERT_TRUE(
      server_->Scheduler()->CancelBooking(As(school_member_).get(), cancel, &cancelled).ok());
  for (const char* path : {"/outsider", "/owner-2"})
    ASSERT_TRUE(receiver_->WaitFor(path, [&](const std::vector<Delivery>&) {
      return Of(path, booking.id()).size() >= 2;
    })) << path;
  for (const auto& d : Of("/outsider", booking.id())) {
    EXPECT_TRUE(webhook::Verify(outsider.secret(), d.signature, d.id, TimestampOf(d), d.body));
    EXPECT_NE(PayloadOf(d).data().booking().booking().title(), kTitle);  // however JSON escapes it
    EXPECT_FALSE(absl::StrContains(d.body, kTitle)) << d.body;
    EXPECT_FALSE(absl::StrContains(d.body, kNotes)) << d.body;
    EXPECT_FALSE(absl::StrContains(d.body, "SECRET-REASON")) << d.body;
    EXPECT_FALSE(absl::StrContains(d.body, "school")) << d.body;  // nor who booked
    EXPECT_EQ(PayloadOf(d).data().booking().booking().resource_id(), lab_);
  }
  bool notes_seen = false;
  for (const auto& d : Of("/owner-2", booking.id()))
    notes_seen = notes_seen || absl::StrContains(d.body, kNotes);
  EXPECT_TRUE(notes_seen) << "the lab's owner reads the notes";
  // The two subscriptions' deliveries of one change have ids of their own.
  EXPECT_NE(Of("/outsider", booking.id()).front().id, Of("/owner-2", booking.id()).front().id);
}

TEST_F(WebhookTest, ResourcesProgrammeEventsAndInquiriesReachTheirSubscriber) {
  const WebhookSubscription sub = Subscribe(
      owner_admin_, "/kinds",
      {WEBHOOK_EVENT_TYPE_REGISTRY, WEBHOOK_EVENT_TYPE_PROGRAMME, WEBHOOK_EVENT_TYPE_DESK_INQUIRY});
  const std::string lab = Lab();  // resource.created
  prg::CreateEventRequest event;
  prg::Event* e = event.mutable_event();
  e->set_resource_id(lab_);
  e->set_kind(prg::EVENT_KIND_OPEN_DAY);
  e->set_title("Open dag CNC");
  *e->mutable_start_time() = Ahead(12, 10);
  *e->mutable_end_time() = Ahead(12, 12);
  e->set_capacity(20);
  e->set_visibility(prg::EVENT_VISIBILITY_NETWORK);
  prg::Event made;
  auto programme = prg::ProgrammeService::NewStub(server_->channel());
  auto created = programme->CreateEvent(As(owner_member_).get(), event, &made);
  ASSERT_TRUE(created.ok()) << created.error_message();
  dsk::SubmitInquiryRequest question;
  question.set_entry_organization_id("lab-owner");
  question.set_network_id("zwolle");
  question.set_need_type(dsk::NEED_TYPE_INNOVATION);
  question.set_text("Wie helpt ons met een digitale tweeling?");
  question.mutable_contact()->set_name("Asker");
  question.mutable_contact()->set_email("asker@example.nl");
  dsk::Inquiry inquiry;
  auto submitted = server_->Desk()->SubmitInquiry(As(owner_member_).get(), question, &inquiry);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();

  std::map<std::string, Delivery> by_type;
  ASSERT_TRUE(receiver_->WaitFor("/kinds",
                                 [&](const std::vector<Delivery>& deliveries) {
                                   for (const auto& d : deliveries)
                                     by_type.emplace(PayloadOf(d).type(), d);
                                   return by_type.count("resource.created") &&
                                          by_type.count("event.created") &&
                                          by_type.count("inquiry.submitted");
                                 }))
      << by_type.size() << " kinds arrived";
  for (const auto& [type, d] : by_type) {
    EXPECT_TRUE(webhook::Verify(sub.secret(), d.signature, d.id, TimestampOf(d), d.body)) << type;
    EXPECT_FALSE(absl::StrContains(d.body, "asker@example.nl")) << "integrations get no contact";
  }
  EXPECT_EQ(PayloadOf(by_type["resource.created"]).data().resource().resource_id(), lab);
  EXPECT_EQ(PayloadOf(by_type["event.created"]).data().programme().event().id(), made.id());
  EXPECT_EQ(PayloadOf(by_type["event.created"]).data().programme().type(),
            PROGRAMME_CHANGE_TYPE_CREATED);
  EXPECT_EQ(PayloadOf(by_type["inquiry.submitted"]).data().inquiry().inquiry_id(), inquiry.id());
  EXPECT_TRUE(absl::StrContains(by_type["inquiry.submitted"].body, "digitale tweeling"));
  for (const auto& d : receiver_->Received("/kinds"))
    EXPECT_FALSE(absl::StartsWith(PayloadOf(d).type(), "booking.")) << "not subscribed";
}

TEST_F(WebhookTest, ADeletedOrganisationsSubscriptionsGetNothingMore) {
  CreateOrg("short-lived");
  CreateWebhookSubscriptionRequest request;
  request.set_organization_id("short-lived");
  request.set_target_url(receiver_->Url("/lapsed"));
  request.add_event_types(WEBHOOK_EVENT_TYPE_REGISTRY);
  WebhookSubscription lapsed;
  ASSERT_TRUE(Webhooks(*server_)->CreateWebhookSubscription(Admin().get(), request, &lapsed).ok());
  reg::DeleteOrganizationRequest remove;
  remove.set_id("short-lived");
  reg::DeleteResponse removed;
  auto deleted = server_->Registry()->DeleteOrganization(Admin().get(), remove, &removed);
  ASSERT_TRUE(deleted.ok()) << deleted.error_message();
  // A witness subscribed to the same kind: the jobs of one change are queued together, so once
  // the witness has the new resource, a job for the deleted organisation would exist too.
  Subscribe(owner_admin_, "/witness", {WEBHOOK_EVENT_TYPE_REGISTRY});
  const std::string lab = Lab();
  ASSERT_TRUE(receiver_->WaitFor("/witness", [&](const std::vector<Delivery>& deliveries) {
    for (const auto& d : deliveries)
      if (PayloadOf(d).data().resource().resource_id() == lab) return true;
    return false;
  }));
  const std::vector<std::string> jobs =
      absl::StrSplit(redis_->Cli("--scan --pattern 'is:{wh}:j:*'"), '\n', absl::SkipEmpty());
  ASSERT_FALSE(jobs.empty());
  for (const auto& job : jobs) {
    EXPECT_NE(redis_->Cli("HGET '" + job + "' sub"), lapsed.id() + "\n") << job;
  }
  EXPECT_TRUE(receiver_->Received("/lapsed").empty());
}

// A delivery queued before its organisation was deleted, failing and waiting for its next try, is
// not tried again once the organisation is gone (before, it went on until it gave up).
TEST_F(WebhookTest, ADeletedOrganisationsQueuedRetriesAreNotSent) {
  CreateOrg("kort-bestaand");
  receiver_->Answer("/lapsing", 503);
  CreateWebhookSubscriptionRequest request;
  request.set_organization_id("kort-bestaand");
  request.set_target_url(receiver_->Url("/lapsing"));
  request.add_event_types(WEBHOOK_EVENT_TYPE_REGISTRY);
  WebhookSubscription lapsing;
  ASSERT_TRUE(Webhooks(*server_)->CreateWebhookSubscription(Admin().get(), request, &lapsing).ok());
  Lab();
  ASSERT_TRUE(receiver_->WaitFor(
      "/lapsing", [](const std::vector<Delivery>& tried) { return !tried.empty(); }));
  reg::DeleteOrganizationRequest remove;
  remove.set_id("kort-bestaand");
  reg::DeleteResponse removed;
  ASSERT_TRUE(server_->Registry()->DeleteOrganization(Admin().get(), remove, &removed).ok());
  const size_t at_deletion = receiver_->Received("/lapsing").size();
  // Until its job is settled (done or dead)...
  for (int i = 0; i < 300; ++i) {
    bool pending = false;
    const std::vector<std::string> jobs =
        absl::StrSplit(redis_->Cli("--scan --pattern 'is:{wh}:j:*'"), '\n', absl::SkipEmpty());
    for (const auto& job : jobs)
      if (redis_->Cli("HGET '" + job + "' sub") == lapsing.id() + "\n") {
        const std::string state = redis_->Cli("HGET '" + job + "' st");
        pending = pending || (state != "done\n" && state != "dead\n");
      }
    if (!pending) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // ...at most the attempt already under way when it was deleted reached the receiver (with
  // retries every 100-400 ms for 2 s, it went on several times before).
  EXPECT_LE(receiver_->Received("/lapsing").size(), at_deletion + 1);
}

// A delivery not yet made whose payload names a person who is then erased is dropped, wherever it
// waits (here: a dead letter of a receiver that failed), so their address is never sent later;
// the erasure's answer counts it.
TEST_F(WebhookTest, AnErasedPersonsAddressIsNotDeliveredAfterTheErasure) {
  receiver_->Answer("/erased", 503);
  const WebhookSubscription sub = Subscribe(owner_admin_, "/erased", {WEBHOOK_EVENT_TYPE_REGISTRY});
  reg::GetResourceRequest get;
  get.set_id(lab_);
  reg::Resource lab;
  ASSERT_TRUE(server_->Registry()->GetResource(Admin().get(), get, &lab).ok());
  reg::UpdateResourceRequest update;
  *update.mutable_resource() = lab;
  auto* staff = update.mutable_resource()->add_staff();
  staff->set_name("Hanna Verborgen");
  staff->set_role(reg::STAFF_ROLE_FACILITY_MANAGER);
  staff->set_email("Hanna.Verborgen@Example.org");
  update.mutable_update_mask()->add_paths("staff");
  reg::Resource updated;
  ASSERT_TRUE(server_->Registry()->UpdateResource(Admin().get(), update, &updated).ok());
  // Tried and given up (webhooks.retry_for_s is 2 s here): a dead letter that names her.
  const WebhookSubscription now = AwaitDisabled(sub.id());
  ASSERT_FALSE(now.enabled());
  auto webhooks = Webhooks(*server_);
  ListWebhookDeadLettersRequest dead;
  dead.set_subscription_id(sub.id());
  ListWebhookDeadLettersResponse letters;
  ASSERT_TRUE(webhooks->ListWebhookDeadLetters(As(owner_admin_).get(), dead, &letters).ok());
  ASSERT_GE(letters.dead_letters_size(), 1);
  bool named = false;
  for (const auto& d : receiver_->Received("/erased"))
    named = named || absl::StrContains(d.body, "Hanna.Verborgen@Example.org");
  ASSERT_TRUE(named) << "the attempts carried her address";

  auto privacy = privacy::v1::PrivacyService::NewStub(server_->channel());
  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email("hanna.verborgen@example.org");
  privacy::v1::ErasePersonalDataResponse erased;
  ASSERT_TRUE(privacy->ErasePersonalData(Admin().get(), erase, &erased).ok());
  EXPECT_EQ(erased.staff_contacts(), 1);
  EXPECT_GE(erased.webhook_deliveries(), 1);
  ASSERT_TRUE(webhooks->ListWebhookDeadLetters(As(owner_admin_).get(), dead, &letters).ok());
  EXPECT_EQ(letters.dead_letters_size(), 0);
  // Enabled again, nothing is left to send that names her.
  UpdateWebhookSubscriptionRequest enable;
  *enable.mutable_subscription() = now;
  enable.mutable_subscription()->set_enabled(true);
  enable.mutable_update_mask()->add_paths("enabled");
  WebhookSubscription enabled;
  ASSERT_TRUE(webhooks->UpdateWebhookSubscription(As(owner_admin_).get(), enable, &enabled).ok());
  RedeliverWebhookDeadLettersRequest redeliver;
  redeliver.set_subscription_id(sub.id());
  RedeliverWebhookDeadLettersResponse requeued;
  ASSERT_TRUE(
      webhooks->RedeliverWebhookDeadLetters(As(owner_admin_).get(), redeliver, &requeued).ok());
  EXPECT_EQ(requeued.queued(), 0);
}

TEST_F(WebhookTest, RetriesThenDisablesKeepsADeadLetterAndRedeliversItUnderTheSameId) {
  receiver_->Answer("/failing", 503);
  const WebhookSubscription sub = Subscribe(owner_admin_, "/failing", {WEBHOOK_EVENT_TYPE_BOOKING});
  const sch::Booking booking = Book(7);
  // Tried again and again for webhooks.retry_for_s (2 s), then disabled.
  const WebhookSubscription now = AwaitDisabled(sub.id());
  ASSERT_FALSE(now.enabled());
  ASSERT_TRUE(now.has_disabled());
  EXPECT_TRUE(absl::StrContains(now.disabled().reason(), "HTTP 503")) << now.disabled().reason();
  const std::vector<Delivery> tries = Of("/failing", booking.id());
  ASSERT_GE(tries.size(), 3u);
  std::set<std::string> ids;
  for (const auto& d : tries) {
    ids.insert(d.id);
    EXPECT_TRUE(webhook::Verify(sub.secret(), d.signature, d.id, TimestampOf(d), d.body));
  }
  EXPECT_EQ(ids.size(), 1u) << "every attempt of one change carries one webhook-id";
  EXPECT_EQ(now.disabled().webhook_id(), *ids.begin());

  ListWebhookDeliveriesRequest log;
  log.set_subscription_id(sub.id());
  ListWebhookDeliveriesResponse deliveries;
  ASSERT_TRUE(
      Webhooks(*server_)->ListWebhookDeliveries(As(owner_admin_).get(), log, &deliveries).ok());
  ASSERT_GE(deliveries.deliveries_size(), 3);
  EXPECT_EQ(deliveries.deliveries(0).outcome(), WEBHOOK_DELIVERY_OUTCOME_DEAD_LETTER);
  EXPECT_EQ(deliveries.deliveries(1).outcome(), WEBHOOK_DELIVERY_OUTCOME_RETRYING);
  EXPECT_EQ(deliveries.deliveries(0).status_code(), 503);
  EXPECT_GT(deliveries.deliveries(0).attempt(), deliveries.deliveries(1).attempt());

  ListWebhookDeadLettersRequest dead;
  dead.set_subscription_id(sub.id());
  ListWebhookDeadLettersResponse letters;
  ASSERT_TRUE(
      Webhooks(*server_)->ListWebhookDeadLetters(As(owner_admin_).get(), dead, &letters).ok());
  ASSERT_EQ(letters.dead_letters_size(), 1);
  EXPECT_EQ(letters.dead_letters(0).webhook_id(), *ids.begin());
  EXPECT_EQ(letters.dead_letters(0).type(), "booking.created");

  // Nothing is redelivered while disabled.
  RedeliverWebhookDeadLettersRequest redeliver;
  redeliver.set_subscription_id(sub.id());
  RedeliverWebhookDeadLettersResponse queued;
  auto refused =
      Webhooks(*server_)->RedeliverWebhookDeadLetters(As(owner_admin_).get(), redeliver, &queued);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(refused), "SUBSCRIPTION_DISABLED");

  // The receiver is mended, the owner enables the subscription and redelivers.
  receiver_->Answer("/failing", 200);
  UpdateWebhookSubscriptionRequest enable;
  enable.mutable_subscription()->set_id(sub.id());
  enable.mutable_subscription()->set_etag(now.etag());
  enable.mutable_subscription()->set_enabled(true);
  enable.mutable_update_mask()->add_paths("enabled");
  WebhookSubscription enabled;
  auto status =
      Webhooks(*server_)->UpdateWebhookSubscription(As(owner_admin_).get(), enable, &enabled);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(enabled.enabled());
  EXPECT_FALSE(enabled.has_disabled());
  ASSERT_TRUE(Webhooks(*server_)
                  ->RedeliverWebhookDeadLetters(As(owner_admin_).get(), redeliver, &queued)
                  .ok());
  EXPECT_EQ(queued.queued(), 1);
  ASSERT_TRUE(receiver_->WaitFor("/failing", [&](const std::vector<Delivery>&) {
    for (const auto& d : Of("/failing", booking.id()))
      if (d.answered == 200) return true;
    return false;
  }));
  for (const auto& d : Of("/failing", booking.id())) EXPECT_EQ(d.id, *ids.begin());
  ASSERT_TRUE(
      Webhooks(*server_)->ListWebhookDeadLetters(As(owner_admin_).get(), dead, &letters).ok());
  EXPECT_EQ(letters.dead_letters_size(), 0);
}

// Timed triggers: booking.starts_soon `reminder_lead_seconds` before a confirmed booking starts,
// once, not for a booking cancelled meanwhile nor for one made later than that; booking.ended
// when a booking completes. (The lead's minimum is a minute: the bookings start a minute and a
// few seconds from now, so the reminders are due within seconds.)
TEST_F(WebhookTest, RemindsOnceBeforeABookingStartsAndTellsWhenItEnded) {
  const WebhookSubscription sub = SubscribeToReminders("/reminders", 60);
  EXPECT_EQ(sub.reminder_lead_seconds(), 60);
  const int64_t now = Now();
  const sch::Booking cancelled = BookAt(now + 62, now + 63);  // reminder due in 2 s: cancelled
  const sch::Booking kept = BookAt(now + 64, now + 65);       // due in 4 s
  const sch::Booking late = BookAt(now + 3, now + 5);         // too late for a reminder; ends
  sch::CancelBookingRequest cancel;
  cancel.set_id(cancelled.id());
  cancel.set_reason("klas ziek");
  sch::Booking out;
  ASSERT_TRUE(server_->Scheduler()->CancelBooking(As(school_member_).get(), cancel, &out).ok());
  sch::CheckInBookingRequest check_in;
  check_in.set_id(late.id());
  ASSERT_TRUE(server_->Scheduler()->CheckInBooking(As(school_member_).get(), check_in, &out).ok());

  ASSERT_TRUE(receiver_->WaitFor("/reminders", [&](const std::vector<Delivery>&) {
    return !OfType("/reminders", "booking.starts_soon", kept.id()).empty() &&
           !OfType("/reminders", "booking.ended", late.id()).empty();
  }));
  const Delivery reminder = OfType("/reminders", "booking.starts_soon", kept.id()).front();
  EXPECT_TRUE(webhook::Verify(sub.secret(), reminder.signature, reminder.id, TimestampOf(reminder),
                              reminder.body));
  const WebhookPayload payload = PayloadOf(reminder);
  EXPECT_EQ(payload.subscription_id(), sub.id());
  EXPECT_EQ(payload.data().booking().type(), sch::BOOKING_EVENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(payload.data().booking().booking().state(), sch::BOOKING_STATE_CONFIRMED);
  EXPECT_EQ(payload.data().booking().booking().title(), kTitle);  // the booker's own
  EXPECT_EQ(payload.data().booking().booking().start_time().seconds(), now + 64);
  // Sent at its time, not when the booking was made.
  EXPECT_GE(TimestampOf(reminder), now + 3);
  const WebhookPayload ended = PayloadOf(OfType("/reminders", "booking.ended", late.id()).front());
  EXPECT_EQ(ended.data().booking().booking().state(), sch::BOOKING_STATE_COMPLETED);

  // The cancelled booking's reminder, due before the kept one's, never came; the late booking got
  // none; the kept one got one, and keeps one while the booking changes no more.
  EXPECT_TRUE(OfType("/reminders", "booking.starts_soon", cancelled.id()).empty());
  EXPECT_TRUE(OfType("/reminders", "booking.starts_soon", late.id()).empty());
  EXPECT_EQ(OfType("/reminders", "booking.starts_soon", kept.id()).size(), 1u);
  // The booking subscription still has its changes as before (created, cancelled, ...).
  EXPECT_FALSE(OfType("/reminders", "booking.created", kept.id()).empty());
  EXPECT_FALSE(OfType("/reminders", "booking.state_changed", cancelled.id()).empty());

  // The lead is checked.
  CreateWebhookSubscriptionRequest bad;
  bad.set_target_url(receiver_->Url("/never"));
  bad.add_event_types(WEBHOOK_EVENT_TYPE_BOOKING_REMINDER);
  bad.set_reminder_lead_seconds(59);
  WebhookSubscription refused;
  EXPECT_EQ(Webhooks(*server_)
                ->CreateWebhookSubscription(As(school_admin_).get(), bad, &refused)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_reminder_lead_seconds(0);  // the default: a day
  ASSERT_TRUE(
      Webhooks(*server_)->CreateWebhookSubscription(As(school_admin_).get(), bad, &refused).ok());
  EXPECT_EQ(refused.reminder_lead_seconds(), 86400);
  // A lead is for a subscription to reminders: refused without them, at creation and update.
  CreateWebhookSubscriptionRequest leadless;
  leadless.set_target_url(receiver_->Url("/never"));
  leadless.add_event_types(WEBHOOK_EVENT_TYPE_BOOKING);
  leadless.set_reminder_lead_seconds(3600);
  WebhookSubscription unused;
  auto without =
      Webhooks(*server_)->CreateWebhookSubscription(As(school_admin_).get(), leadless, &unused);
  EXPECT_EQ(without.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(without), "reminder_lead_seconds");
  UpdateWebhookSubscriptionRequest drop;
  drop.mutable_subscription()->set_id(refused.id());
  drop.mutable_subscription()->set_etag(refused.etag());
  drop.mutable_subscription()->add_event_types(WEBHOOK_EVENT_TYPE_BOOKING);
  drop.mutable_subscription()->set_reminder_lead_seconds(3600);
  drop.mutable_update_mask()->add_paths("event_types");
  drop.mutable_update_mask()->add_paths("reminder_lead_seconds");
  auto dropped =
      Webhooks(*server_)->UpdateWebhookSubscription(As(school_admin_).get(), drop, &unused);
  EXPECT_EQ(dropped.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(dropped), "subscription.reminder_lead_seconds");
  DeleteWebhookSubscriptionRequest remove;
  remove.set_id(refused.id());
  ASSERT_TRUE(Webhooks(*server_)
                  ->DeleteWebhookSubscription(As(school_admin_).get(), remove, &refused)
                  .ok());
}

// A reminder set before the server stops is sent by the server that runs after it.
TEST_F(WebhookTest, AReminderSetBeforeARestartIsSentAfterIt) {
  SubscribeToReminders("/restart", 60);
  const int64_t now = Now();
  const sch::Booking booking = BookAt(now + 66, now + 67);  // due in 6 s
  // Its creation delivered: the change that set the reminder has been read.
  ASSERT_TRUE(receiver_->WaitFor("/restart", [&](const std::vector<Delivery>&) {
    return !OfType("/restart", "booking.created", booking.id()).empty();
  }));
  ASSERT_TRUE(OfType("/restart", "booking.starts_soon", booking.id()).empty());
  delete server_;
  server_ = new TestServer(redis_->url(), WebhookConfig());
  ASSERT_TRUE(receiver_->WaitFor("/restart", [&](const std::vector<Delivery>&) {
    return !OfType("/restart", "booking.starts_soon", booking.id()).empty();
  }));
  EXPECT_EQ(OfType("/restart", "booking.starts_soon", booking.id()).size(), 1u);
}

// An offer's deadline is near: the offered responder's organisation hears of it halfway through a
// short offer (an hour before a longer one's deadline), once, and not at all for an offer accepted
// before then.
TEST_F(WebhookTest, AnOfferNotYetAcceptedIsFlaggedBeforeItsDeadline) {
  const WebhookSubscription sub =
      Subscribe(school_admin_, "/offers", {WEBHOOK_EVENT_TYPE_DESK_OFFER});
  const auto responder_token = server_->TokenWithInfo("school", {auth::v1::ROLE_DESK_RESPONDER});
  dsk::CreateResponderRequest create;
  auto* r = create.mutable_responder();
  r->set_organization_id("school");
  r->set_display_name("Schoolloket");
  r->set_token_id(responder_token.info().id());
  r->add_skills(dsk::NEED_TYPE_TALENT);
  r->set_capacity(5);
  r->set_online(true);
  dsk::Responder responder;
  ASSERT_TRUE(server_->Desk()->CreateResponder(As(school_admin_).get(), create, &responder).ok());
  auto ask = [&](const std::string& text) {
    dsk::SubmitInquiryRequest question;
    question.set_entry_organization_id("lab-owner");
    question.set_network_id("zwolle");
    question.set_need_type(dsk::NEED_TYPE_TALENT);
    question.set_text(text);
    question.mutable_contact()->set_name("Asker");
    question.mutable_contact()->set_email("asker@example.nl");
    dsk::Inquiry inquiry;
    auto status = server_->Desk()->SubmitInquiry(As(owner_member_).get(), question, &inquiry);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return inquiry.id();
  };
  auto offers_of = [&](const std::string& type, const std::string& inquiry) {
    std::vector<Delivery> out;
    for (const auto& d : receiver_->Received("/offers")) {
      WebhookPayload p = PayloadOf(d);
      if (p.type() == type && p.data().inquiry().inquiry_id() == inquiry) out.push_back(d);
    }
    return out;
  };
  const std::string waiting = ask("Wie heeft stageplaatsen voor mbo-4 mechatronica?");
  const std::string taken = ask("Zoeken een stagiair voor het voorjaar");
  ASSERT_TRUE(receiver_->WaitFor("/offers", [&](const std::vector<Delivery>&) {
    return !offers_of("offer.offered", taken).empty();
  }));
  dsk::AcceptInquiryRequest accept;
  accept.set_id(taken);
  accept.set_responder_id(responder.id());
  dsk::Inquiry accepted;
  auto status =
      server_->Desk()->AcceptInquiry(As(responder_token.token()).get(), accept, &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_TRUE(receiver_->WaitFor("/offers", [&](const std::vector<Delivery>&) {
    return !offers_of("offer.deadline_near", waiting).empty();
  }));
  // Past the deadline (the offer timed out): still the one warning, and none for the accepted.
  dsk::GetInquiryRequest get;
  get.set_id(waiting);
  dsk::Inquiry lapsed;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(server_->Desk()->GetInquiry(Admin().get(), get, &lapsed).ok());
    if (lapsed.state() != dsk::INQUIRY_STATE_OFFERED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(lapsed.state(), dsk::INQUIRY_STATE_OFFERED);
  const auto near = offers_of("offer.deadline_near", waiting);
  ASSERT_EQ(near.size(), 1u);
  const WebhookPayload payload = PayloadOf(near[0]);
  EXPECT_TRUE(webhook::Verify(sub.secret(), near[0].signature, near[0].id, TimestampOf(near[0]),
                              near[0].body));
  EXPECT_EQ(payload.subscription_id(), sub.id());
  EXPECT_EQ(payload.data().inquiry().responder_id(), responder.id());
  EXPECT_EQ(payload.data().inquiry().type(), dsk::INQUIRY_EVENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(payload.data().inquiry().inquiry().state(), dsk::INQUIRY_STATE_OFFERED);
  // Halfway through the 12 s offer, so sent at least 5 s after it was made (its deadline is in
  // the payload: the inquiry as it was offered).
  const int64_t deadline = payload.data().inquiry().inquiry().offer_deadline().seconds();
  EXPECT_GE(TimestampOf(near[0]), deadline - 7);
  EXPECT_TRUE(offers_of("offer.deadline_near", taken).empty());
  // The lapsed offer's end reaches the responder's organisation too, though the inquiry is no
  // longer its to see: with the question as it was offered, without the asker's contact.
  ASSERT_TRUE(receiver_->WaitFor("/offers", [&](const std::vector<Delivery>&) {
    return !offers_of("offer.timed_out", waiting).empty();
  }));
  const WebhookPayload timed_out = PayloadOf(offers_of("offer.timed_out", waiting)[0]);
  EXPECT_EQ(timed_out.data().inquiry().responder_id(), responder.id());
  EXPECT_EQ(timed_out.data().inquiry().inquiry().id(), waiting);
  EXPECT_EQ(timed_out.data().inquiry().inquiry().text(),
            "Wie heeft stageplaatsen voor mbo-4 mechatronica?");
  EXPECT_FALSE(timed_out.data().inquiry().inquiry().has_contact());
}

// A day before a scheduled event starts, its organiser and the organisations registered for it
// hear of it; one that cancelled its registration does not, nor anyone for a cancelled event.
TEST_F(WebhookTest, OrganiserAndRegisteredOrganisationsHearTheDayBeforeAnEvent) {
  Subscribe(owner_admin_, "/tomorrow-owner", {WEBHOOK_EVENT_TYPE_PROGRAMME});
  Subscribe(school_admin_, "/tomorrow-school", {WEBHOOK_EVENT_TYPE_PROGRAMME});
  Subscribe(outsider_admin_, "/tomorrow-outsider", {WEBHOOK_EVENT_TYPE_PROGRAMME});
  auto programme = prg::ProgrammeService::NewStub(server_->channel());
  const int64_t start = Now() + 24 * 3600 + 5;
  auto create = [&](const std::string& title) {
    prg::CreateEventRequest request;
    prg::Event* e = request.mutable_event();
    e->set_network_id("zwolle");
    e->set_kind(prg::EVENT_KIND_OPEN_DAY);
    e->set_title(title);
    e->mutable_start_time()->set_seconds(start);
    e->mutable_end_time()->set_seconds(start + 7200);
    e->set_capacity(20);
    e->set_registration_open(true);
    e->set_visibility(prg::EVENT_VISIBILITY_NETWORK);
    prg::Event made;
    auto status = programme->CreateEvent(As(owner_member_).get(), request, &made);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return made;
  };
  auto register_for = [&](const std::string& token, const std::string& event) {
    prg::RegisterRequest request;
    request.set_event_id(event);
    request.set_places(2);
    prg::Registration out;
    auto status = programme->Register(As(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  };
  const prg::Event open_day = create("Open dag mechatronica");
  const prg::Event cancelled = create("Open dag die niet doorgaat");
  register_for(school_member_, open_day.id());
  const prg::Registration outsider = register_for(outsider_admin_, open_day.id());
  prg::CancelRegistrationRequest unregister;
  unregister.set_event_id(open_day.id());
  unregister.set_registration_id(outsider.id());
  prg::Registration gone;
  ASSERT_TRUE(programme->CancelRegistration(As(outsider_admin_).get(), unregister, &gone).ok());
  register_for(school_member_, cancelled.id());
  prg::CancelEventRequest cancel;
  cancel.set_id(cancelled.id());
  cancel.set_reason("te weinig aanmeldingen");
  prg::Event out;
  ASSERT_TRUE(programme->CancelEvent(As(owner_member_).get(), cancel, &out).ok());

  auto tomorrow = [&](const std::string& path, const std::string& event) {
    std::vector<WebhookPayload> found;
    for (const auto& d : receiver_->Received(path)) {
      WebhookPayload p = PayloadOf(d);
      if (p.type() == "event.starts_tomorrow" && p.data().programme().event().id() == event)
        found.push_back(p);
    }
    return found;
  };
  for (const char* path : {"/tomorrow-owner", "/tomorrow-school"})
    ASSERT_TRUE(receiver_->WaitFor(path, [&](const std::vector<Delivery>&) {
      return !tomorrow(path, open_day.id()).empty();
    })) << path;
  const auto told = tomorrow("/tomorrow-school", open_day.id());
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].data().programme().type(), PROGRAMME_CHANGE_TYPE_UNSPECIFIED);
  EXPECT_EQ(told[0].data().programme().event().start_time().seconds(), start);
  EXPECT_EQ(tomorrow("/tomorrow-owner", open_day.id()).size(), 1u);
  // The outsider saw the event created (it is in the network) but is no longer registered.
  EXPECT_TRUE(tomorrow("/tomorrow-outsider", open_day.id()).empty());
  for (const char* path : {"/tomorrow-owner", "/tomorrow-school", "/tomorrow-outsider"})
    EXPECT_TRUE(tomorrow(path, cancelled.id()).empty()) << path;
}

// Before a planned hand-over both sides hear it is due (the subscription's reminder lead before
// it), once; not for a hand-over both sides have already confirmed.
TEST_F(WebhookTest, BothSidesHearAHandoverIsDueUnlessTheyConfirmedItAlready) {
  auto mobile = [&](const std::string& name) {
    reg::CreateResourceRequest request;
    reg::Resource* r = request.mutable_resource();
    r->set_display_name(name);
    r->set_kind(reg::RESOURCE_KIND_EQUIPMENT);
    r->set_mobility(reg::MOBILITY_MOBILE);
    r->set_owner_organization_id("lab-owner");
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    *r->mutable_home_base() = r->location();
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::Resource created;
    EXPECT_TRUE(server_->Registry()->CreateResource(Admin().get(), request, &created).ok());
    return created.id();
  };
  sch::CreateRotationPoolRequest create;
  create.mutable_pool()->set_display_name("Mobiele labs Zwolle–Deventer");
  create.mutable_pool()->add_unit_resource_ids(mobile("Mobiel lab één"));
  create.mutable_pool()->add_unit_resource_ids(mobile("Mobiel lab twee"));
  create.mutable_pool()->mutable_policy()->set_setup_minutes(60);
  sch::RotationPool pool;
  grpc::Status status;
  for (int attempt = 0; attempt < 100; ++attempt) {  // until the scheduler knows the units
    status = server_->Scheduler()->CreateRotationPool(As(owner_admin_).get(), create, &pool);
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (int i = 0; i < 2; ++i) {
    sch::CreateRotationRequestRequest ask;
    auto* r = ask.mutable_rotation_request();
    r->set_pool_id(pool.id());
    r->mutable_location()->set_latitude(52.5);
    r->mutable_location()->set_longitude(6.1);
    *r->mutable_earliest_start_time() = Ahead(2, 0);
    *r->mutable_latest_end_time() = Ahead(6, 0);
    r->set_duration_days(1);
    sch::RotationRequest made;
    status = server_->Scheduler()->CreateRotationRequest(As(school_member_).get(), ask, &made);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  sch::PlanRotationRequest plan_request;
  plan_request.set_pool_id(pool.id());
  *plan_request.mutable_horizon_start_time() = Ahead(1, 0);
  *plan_request.mutable_horizon_end_time() = Ahead(10, 0);
  sch::RotationPlan plan;
  status = server_->Scheduler()->PlanRotation(As(owner_admin_).get(), plan_request, &plan);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(plan.assignments_size(), 2) << plan.DebugString();
  // The units arrive for the set-up, an hour before the use starts: both sides hear of it 6 s
  // before (the assignments may start at different times; the later one sets the lead).
  int64_t arrival = 0;
  for (const auto& a : plan.assignments())
    arrival = std::max<int64_t>(arrival, a.start_time().seconds() - 3600);
  const int lead = static_cast<int>(arrival - Now() - 6);
  for (const auto& [token, path] :
       {std::pair{owner_admin_, "/handover-owner"}, std::pair{school_admin_, "/handover-school"},
        std::pair{outsider_admin_, "/handover-outsider"}}) {
    CreateWebhookSubscriptionRequest request;
    request.set_target_url(receiver_->Url(path));
    request.add_event_types(WEBHOOK_EVENT_TYPE_ROTATION);
    request.set_reminder_lead_seconds(lead);
    WebhookSubscription out;
    status = Webhooks(*server_)->CreateWebhookSubscription(As(token).get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  sch::CommitRotationPlanRequest commit;
  commit.set_id(plan.id());
  status = server_->Scheduler()->CommitRotationPlan(As(owner_admin_).get(), commit, &plan);
  ASSERT_TRUE(status.ok()) << status.error_message();
  sch::ListHandoversRequest list;
  list.set_plan_id(plan.id());
  sch::ListHandoversResponse handovers;
  ASSERT_TRUE(server_->Scheduler()->ListHandovers(As(owner_admin_).get(), list, &handovers).ok());
  std::vector<sch::Handover> arriving;  // at the school
  for (const auto& h : handovers.handovers())
    if (h.to_organization_id() == "school") arriving.push_back(h);
  ASSERT_EQ(arriving.size(), 2u) << handovers.DebugString();
  std::sort(arriving.begin(), arriving.end(), [](const sch::Handover& a, const sch::Handover& b) {
    return a.time().seconds() < b.time().seconds();
  });
  const sch::Handover& confirmed = arriving[0];
  const sch::Handover& due = arriving[1];
  EXPECT_EQ(due.time().seconds(), arrival);
  for (const std::string* token : {&owner_member_, &school_member_}) {
    sch::ConfirmHandoverRequest confirm;
    confirm.set_id(confirmed.id());
    confirm.set_condition_notes("geen schade");
    sch::Handover out;
    status = server_->Scheduler()->ConfirmHandover(As(*token).get(), confirm, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  auto due_of = [&](const std::string& path, const std::string& handover) {
    std::vector<Delivery> found;
    for (const auto& d : receiver_->Received(path)) {
      WebhookPayload p = PayloadOf(d);
      if (p.type() == "handover.due" && p.data().rotation().handover().id() == handover)
        found.push_back(d);
    }
    return found;
  };
  for (const char* path : {"/handover-owner", "/handover-school"})
    ASSERT_TRUE(receiver_->WaitFor(path, [&](const std::vector<Delivery>&) {
      return !due_of(path, due.id()).empty();
    })) << path;
  const auto told = due_of("/handover-school", due.id());
  ASSERT_EQ(told.size(), 1u);
  const WebhookPayload payload = PayloadOf(told[0]);
  EXPECT_EQ(payload.data().rotation().type(), sch::ROTATION_EVENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(payload.data().rotation().handover().time().seconds(), arrival);
  EXPECT_EQ(payload.data().rotation().handover().from_organization_id(), "lab-owner");
  EXPECT_GE(TimestampOf(told[0]), arrival - lead);
  EXPECT_EQ(due_of("/handover-owner", due.id()).size(), 1u);
  for (const char* path : {"/handover-owner", "/handover-school", "/handover-outsider"})
    EXPECT_TRUE(due_of(path, confirmed.id()).empty()) << path;
  EXPECT_TRUE(due_of("/handover-outsider", due.id()).empty());
}

TEST_F(WebhookTest, RefusesPrivateLoopbackAndLinkLocalTargetsUnlessAllowed) {
  Config config = WebhookConfig(/*allow_private=*/false);
  config.webhooks.senders = 0;  // the suite's deliveries to the receiver are not this replica's
  TestServer strict(redis_->url(), config);
  for (const char* url :
       {"http://10.1.2.3/hook", "http://192.168.1.20/hook", "http://169.254.169.254/latest",
        "http://172.16.5.4/", "http://127.0.0.1:8080/", "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/", "http://[fd00::1]/",
        "http://localhost/hook", "http://api.localhost/hook", "http://0.0.0.0/",
        "http://100.64.0.1/", "ftp://example.org/", "https://user:pass@example.org/",
        "not a url"}) {
    CreateWebhookSubscriptionRequest request;
    request.set_target_url(url);
    request.add_event_types(WEBHOOK_EVENT_TYPE_BOOKING);
    WebhookSubscription out;
    auto status =
        Webhooks(strict)->CreateWebhookSubscription(As(owner_admin_).get(), request, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << url;
    EXPECT_EQ(BadField(status), "target_url") << url << ": " << status.error_message();
    EXPECT_FALSE(absl::StrContains(status.error_message(), url)) << "the URL is not echoed";
  }
}

// Makes company `organization_id` on `server` and subscribes it to registry changes sent to
// `url`; the subscription's id, or empty.
std::string SubscribedCompany(TestServer& server, const std::string& organization_id,
                              const std::string& url) {
  reg::CreateOrganizationRequest org;
  org.set_organization_id(organization_id);
  org.mutable_organization()->set_display_name("Bedrijf " + organization_id);
  org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
  reg::Organization made;
  auto created =
      server.Registry()->CreateOrganization(TestServer::Context(kAdminToken).get(), org, &made);
  EXPECT_TRUE(created.ok()) << created.error_message();
  CreateWebhookSubscriptionRequest request;
  request.set_organization_id(organization_id);
  request.set_target_url(url);
  request.add_event_types(WEBHOOK_EVENT_TYPE_REGISTRY);
  WebhookSubscription sub;
  auto subscribed =
      WebhookService::NewStub(server.channel())
          ->CreateWebhookSubscription(TestServer::Context(kAdminToken).get(), request, &sub);
  EXPECT_TRUE(subscribed.ok()) << subscribed.error_message();
  return sub.id();
}

// Makes a lab of `organization_id` on `server`: one registry change.
void CreateLab(TestServer& server, const std::string& organization_id) {
  reg::CreateResourceRequest resource;
  reg::Resource* r = resource.mutable_resource();
  r->set_display_name("Werkplaats");
  r->set_kind(reg::RESOURCE_KIND_LAB);
  r->set_owner_organization_id(organization_id);
  r->mutable_location()->mutable_point()->set_latitude(52.1);
  r->mutable_location()->mutable_point()->set_longitude(5.1);
  r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
  r->set_capacity(1);
  r->set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  reg::Resource created;
  auto made =
      server.Registry()->CreateResource(TestServer::Context(kAdminToken).get(), resource, &created);
  EXPECT_TRUE(made.ok()) << made.error_message();
}

TEST_F(WebhookTest, ATargetThatTurnedPrivateGetsNothingAtDeliveryTime) {
  // A replica that may deliver only to public addresses, beside one that made the subscription
  // when its target was allowed (as a name that resolved publicly then and privately now would):
  // the check at delivery time refuses it, and the attempt says why.
  Config lenient = WebhookConfig(true);
  lenient.webhooks.senders = 0;  // it makes the subscription and delivers nothing
  Config strict_config = WebhookConfig(false);
  strict_config.webhooks.retry_for_s = 60;
  RedisServer redis(ClusterModeRequested());
  TestServer maker(redis.url(), lenient);
  TestServer strict(redis.url(), strict_config);
  const std::string sub = SubscribedCompany(maker, "rebound-org", receiver_->Url("/rebound"));
  ASSERT_FALSE(sub.empty());
  CreateLab(maker, "rebound-org");
  ListWebhookDeliveriesRequest log;
  log.set_subscription_id(sub);
  ListWebhookDeliveriesResponse deliveries;
  for (int i = 0; i < 500 && deliveries.deliveries_size() == 0; ++i) {
    ASSERT_TRUE(Webhooks(strict)->ListWebhookDeliveries(Admin().get(), log, &deliveries).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(deliveries.deliveries_size(), 0);
  EXPECT_EQ(deliveries.deliveries(0).outcome(), WEBHOOK_DELIVERY_OUTCOME_RETRYING);
  EXPECT_EQ(deliveries.deliveries(0).status_code(), 0);
  EXPECT_TRUE(absl::StrContains(deliveries.deliveries(0).error(), "private"))
      << deliveries.deliveries(0).error();
  EXPECT_TRUE(receiver_->Received("/rebound").empty());
}

// A change written while only replicas without senders run is delivered once one with senders
// starts: every replica makes the streams' groups when it starts, not only the one that sends.
TEST_F(WebhookTest, AChangeWrittenBeforeAnySenderRanIsDeliveredLater) {
  Config quiet_config = WebhookConfig();
  quiet_config.webhooks.senders = 0;
  RedisServer redis(ClusterModeRequested());
  auto quiet = std::make_unique<TestServer>(redis.url(), quiet_config);
  const std::string sub = SubscribedCompany(*quiet, "early-org", receiver_->Url("/early"));
  ASSERT_FALSE(sub.empty());
  CreateLab(*quiet, "early-org");
  quiet.reset();
  TestServer sender(redis.url(), WebhookConfig());
  ASSERT_TRUE(receiver_->WaitFor("/early", [](const auto& got) { return !got.empty(); }));
  EXPECT_EQ(PayloadOf(receiver_->Received("/early")[0]).type(), "resource.created");
}

// An admin's token that expires changes no subscription's target and learns no new signing
// secret: both outlast the token (docs/security.md). Other changes, and the same changes with a
// lasting token, go through.
TEST_F(WebhookTest, AnExpiringAdminTokenMovesNoTargetAndRotatesNoSecret) {
  const auto subscription = Subscribe(owner_admin_, "/lasting", {WEBHOOK_EVENT_TYPE_BOOKING});
  auth::v1::CreateTokenRequest day;
  day.set_organization_id("lab-owner");
  day.add_roles(auth::v1::ROLE_ORGANIZATION_ADMIN);
  *day.mutable_expire_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count() +
      3600 * 1000);
  auth::v1::CreateTokenResponse contractor;
  ASSERT_TRUE(server_->Tokens()->CreateToken(Admin().get(), day, &contractor).ok());
  auto webhooks = Webhooks(*server_);

  UpdateWebhookSubscriptionRequest update;
  *update.mutable_subscription() = subscription;
  update.mutable_subscription()->set_target_url(receiver_->Url("/elsewhere"));
  update.mutable_update_mask()->add_paths("target_url");
  WebhookSubscription updated;
  EXPECT_EQ(webhooks->UpdateWebhookSubscription(As(contractor.token()).get(), update, &updated)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  RotateWebhookSecretRequest rotate;
  rotate.set_id(subscription.id());
  WebhookSubscription rotated;
  EXPECT_EQ(
      webhooks->RotateWebhookSecret(As(contractor.token()).get(), rotate, &rotated).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // The description is no way in: changed.
  update.mutable_subscription()->set_description("checked by the contractor");
  update.mutable_update_mask()->set_paths(0, "description");
  ASSERT_TRUE(
      webhooks->UpdateWebhookSubscription(As(contractor.token()).get(), update, &updated).ok());
  EXPECT_EQ(Get(subscription.id()).target_url(), subscription.target_url());
  // The lasting admin token moves the target.
  *update.mutable_subscription() = updated;
  update.mutable_subscription()->set_target_url(receiver_->Url("/elsewhere"));
  update.mutable_update_mask()->set_paths(0, "target_url");
  ASSERT_TRUE(webhooks->UpdateWebhookSubscription(As(owner_admin_).get(), update, &updated).ok());
  EXPECT_EQ(Get(subscription.id()).target_url(), receiver_->Url("/elsewhere"));
}

TEST_F(WebhookTest, SubscriptionsAreValidatedAuthorizedAndReplayed) {
  auto webhooks = Webhooks(*server_);
  CreateWebhookSubscriptionRequest request;
  request.set_target_url(receiver_->Url("/validated"));
  WebhookSubscription out;
  auto status = webhooks->CreateWebhookSubscription(As(owner_admin_).get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "event_types");
  request.add_event_types(WEBHOOK_EVENT_TYPE_UNSPECIFIED);
  status = webhooks->CreateWebhookSubscription(As(owner_admin_).get(), request, &out);
  EXPECT_EQ(BadField(status), "event_types[0]");
  request.set_event_types(0, WEBHOOK_EVENT_TYPE_DESK_OFFER);

  // Members, and admins of another organisation, manage none of the organisation's subscriptions.
  status = webhooks->CreateWebhookSubscription(As(owner_member_).get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  request.set_organization_id("lab-owner");
  status = webhooks->CreateWebhookSubscription(As(outsider_admin_).get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A retry with the same request_id gets the same subscription and the same secret.
  request.set_request_id("create-once");
  WebhookSubscription first, retried;
  ASSERT_TRUE(webhooks->CreateWebhookSubscription(As(owner_admin_).get(), request, &first).ok());
  ASSERT_TRUE(webhooks->CreateWebhookSubscription(As(owner_admin_).get(), request, &retried).ok());
  EXPECT_EQ(first.id(), retried.id());
  EXPECT_EQ(first.secret(), retried.secret());
  request.set_description("another request");
  status = webhooks->CreateWebhookSubscription(As(owner_admin_).get(), request, &retried);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "request_id reused";

  GetWebhookSubscriptionRequest get;
  get.set_id(first.id());
  WebhookSubscription read;
  EXPECT_EQ(webhooks->GetWebhookSubscription(As(outsider_admin_).get(), get, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(webhooks->GetWebhookSubscription(As(owner_admin_).get(), get, &read).ok());
  EXPECT_TRUE(read.secret().empty());
  EXPECT_EQ(read.organization_id(), "lab-owner");
  ListWebhookSubscriptionsRequest list;
  ListWebhookSubscriptionsResponse listed;
  ASSERT_TRUE(webhooks->ListWebhookSubscriptions(As(owner_admin_).get(), list, &listed).ok());
  bool found = false;
  for (const auto& s : listed.subscriptions()) {
    found = found || s.id() == first.id();
    EXPECT_TRUE(s.secret().empty());
  }
  EXPECT_TRUE(found);
  list.set_organization_id("lab-owner");
  EXPECT_EQ(
      webhooks->ListWebhookSubscriptions(As(outsider_admin_).get(), list, &listed).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // A platform admin names the organisation: one that does not exist is NOT_FOUND, none at all
  // when subscribing is INVALID_ARGUMENT (the platform is no organisation of the registry).
  list.set_organization_id("no-such-org");
  EXPECT_EQ(webhooks->ListWebhookSubscriptions(Admin().get(), list, &listed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  CreateWebhookSubscriptionRequest unnamed;
  unnamed.set_target_url(receiver_->Url("/unnamed"));
  unnamed.add_event_types(WEBHOOK_EVENT_TYPE_BOOKING);
  WebhookSubscription none;
  EXPECT_EQ(webhooks->CreateWebhookSubscription(Admin().get(), unnamed, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Updates: a stale etag is ABORTED, a bad field is named, an unknown mask path refused.
  UpdateWebhookSubscriptionRequest update;
  update.mutable_subscription()->set_id(first.id());
  update.mutable_subscription()->set_etag("999");
  update.mutable_subscription()->set_description("nieuw");
  update.mutable_update_mask()->add_paths("description");
  WebhookSubscription updated;
  EXPECT_EQ(
      webhooks->UpdateWebhookSubscription(As(owner_admin_).get(), update, &updated).error_code(),
      grpc::StatusCode::ABORTED);
  update.mutable_subscription()->set_etag(read.etag());
  update.mutable_update_mask()->add_paths("organization_id");
  status = webhooks->UpdateWebhookSubscription(As(owner_admin_).get(), update, &updated);
  EXPECT_EQ(BadField(status), "update_mask");
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("target_url");
  update.mutable_subscription()->set_target_url("gopher://example.org/");
  status = webhooks->UpdateWebhookSubscription(As(owner_admin_).get(), update, &updated);
  EXPECT_EQ(BadField(status), "subscription.target_url");
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("description");
  update.set_request_id("update-once");
  ASSERT_TRUE(webhooks->UpdateWebhookSubscription(As(owner_admin_).get(), update, &updated).ok());
  EXPECT_EQ(updated.description(), "nieuw");
  EXPECT_NE(updated.etag(), read.etag());
  EXPECT_EQ(updated.target_url(), read.target_url());
  // Its retry gets the same answer, though the etag it carries is stale now.
  WebhookSubscription retried_update;
  auto again_status =
      webhooks->UpdateWebhookSubscription(As(owner_admin_).get(), update, &retried_update);
  ASSERT_TRUE(again_status.ok()) << again_status.error_message();
  EXPECT_EQ(retried_update.etag(), updated.etag());
  update.set_request_id("");
  EXPECT_EQ(webhooks->UpdateWebhookSubscription(As(owner_admin_).get(), update, &retried_update)
                .error_code(),
            grpc::StatusCode::ABORTED);

  // Deleted: gone for everyone; the deletion's retry gets its first answer.
  DeleteWebhookSubscriptionRequest remove;
  remove.set_id(first.id());
  remove.set_request_id("delete-once");
  WebhookSubscription deleted, again;
  EXPECT_EQ(
      webhooks->DeleteWebhookSubscription(As(outsider_admin_).get(), remove, &deleted).error_code(),
      grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(webhooks->DeleteWebhookSubscription(As(owner_admin_).get(), remove, &deleted).ok());
  ASSERT_TRUE(webhooks->DeleteWebhookSubscription(As(owner_admin_).get(), remove, &again).ok());
  EXPECT_EQ(deleted.id(), again.id());
  EXPECT_EQ(webhooks->GetWebhookSubscription(As(owner_admin_).get(), get, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// The fairness tests' world on a server of their own: organisations "owner" (of a lab) and
// "booker" (who books it), their admins' tokens, and calls to subscribe and to book the lab.
struct FairnessWorld {
  explicit FairnessWorld(TestServer& server) : server(server) {
    for (const char* id : {"owner", "booker"}) {
      reg::CreateOrganizationRequest org;
      org.set_organization_id(id);
      org.mutable_organization()->set_display_name(id);
      org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
      reg::Organization made;
      EXPECT_TRUE(server.Registry()
                      ->CreateOrganization(TestServer::Context(kAdminToken).get(), org, &made)
                      .ok());
    }
    reg::CreateResourceRequest create;
    reg::Resource* r = create.mutable_resource();
    r->set_display_name("Lasrobot");
    r->set_kind(reg::RESOURCE_KIND_EQUIPMENT);
    r->set_owner_organization_id("owner");
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_capacity(1);
    r->set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    EXPECT_TRUE(server.Registry()
                    ->CreateResource(TestServer::Context(kAdminToken).get(), create, &lab)
                    .ok());
    owner = server.Token("owner", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    booker = server.Token("booker", {auth::v1::ROLE_ORGANIZATION_ADMIN});
  }
  // A subscription of `token`'s organisation to bookings, sent to `url`; its id.
  std::string Subscribe(const std::string& token, const std::string& url) {
    CreateWebhookSubscriptionRequest request;
    request.set_target_url(url);
    request.add_event_types(WEBHOOK_EVENT_TYPE_BOOKING);
    WebhookSubscription out;
    auto status = WebhookService::NewStub(server.channel())
                      ->CreateWebhookSubscription(TestServer::Context(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.id();
  }
  // The booker books the lab for an hour, three days ahead.
  void Book(int hour) {
    sch::CreateBookingRequest request;
    request.set_resource_id(lab.id());
    *request.mutable_start_time() = Ahead(3, hour);
    *request.mutable_end_time() = Ahead(3, hour + 1);
    sch::Booking out;
    grpc::Status status;
    for (int attempt = 0; attempt < 100; ++attempt) {  // until the scheduler knows the lab
      status = server.Scheduler()->CreateBooking(TestServer::Context(booker).get(), request, &out);
      if (status.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  TestServer& server;
  reg::Resource lab;
  std::string owner, booker;
};

// One organisation has at most half of a replica's senders, however many receivers (here two slow
// ones on two ports) its subscriptions point at: another organisation's deliveries, queued behind
// a heap of its changes, go on meanwhile. What is put off is no attempt: a receiver that is slow
// but answers is neither disabled nor left with dead letters, even long past retry_for_s. On a
// Redis and a server of their own, so that no other replica shares the work.
TEST(WebhookFairness, ASlowOrganisationHoldsAtMostHalfTheSendersAndOthersGoOn) {
  RedisServer redis(ClusterModeRequested());
  Config config = WebhookConfig();
  config.webhooks.senders = 4;
  config.webhooks.timeout_ms = 5000;
  config.webhooks.claim_idle_ms = 20000;
  // Deferrals up to 15 s, long past retry_for_s: one counted as a failed attempt would be a dead
  // letter. (Up to production's 60 s, a deferral near the end could outlast the wait below on a
  // loaded machine.)
  config.webhooks.retry_max_ms = 15000;
  config.webhooks.retry_for_s = 2;
  TestServer server(redis.url(), config);
  WebhookReceiver slow_a, slow_b, fast;
  slow_a.Delay(std::chrono::milliseconds(1000));
  slow_b.Delay(std::chrono::milliseconds(1000));
  FairnessWorld world(server);
  const std::string& owner = world.owner;
  const std::string& booker = world.booker;
  auto subscribe = [&](const std::string& token, const std::string& url) {
    return world.Subscribe(token, url);
  };
  auto book = [&](int hour) { world.Book(hour); };
  // The owner's two subscriptions point at two slow receivers; eight changes queue up for each.
  const std::vector<std::string> owners = {subscribe(owner, slow_a.Url("/a")),
                                           subscribe(owner, slow_b.Url("/b"))};
  for (int hour = 0; hour < 8; ++hour) book(hour);
  ASSERT_TRUE(slow_a.WaitFor("/a", [](const auto& got) { return !got.empty(); }));
  // Then the booker subscribes, and four more changes reach all three.
  subscribe(booker, fast.Url("/c"));
  for (int hour = 8; hour < 12; ++hour) book(hour);
  ASSERT_TRUE(fast.WaitFor("/c", [](const auto& got) { return got.size() >= 4; }));
  // Without the shares the senders would work through the slow receivers' queue first.
  EXPECT_LT(slow_a.Received("/a").size() + slow_b.Received("/b").size(), 16u);
  // Put off, not lost: every change reaches each slow receiver in the end, each once.
  std::vector<Delivery> owners_got;
  for (auto [receiver, path] : {std::pair{&slow_a, "/a"}, std::pair{&slow_b, "/b"}}) {
    ASSERT_TRUE(receiver->WaitFor(
        path, [](const auto& got) { return got.size() >= 12; }, std::chrono::seconds(90)))
        << path << " got " << receiver->Received(path).size();
    std::set<std::string> ids;
    for (const auto& d : receiver->Received(path)) {
      ids.insert(d.id);
      owners_got.push_back(d);
    }
    EXPECT_EQ(ids.size(), 12u) << path;
  }
  // Never more than two (half the senders) of the owner's deliveries at a time, on both receivers
  // together: each took a second from its arrival.
  int most = 0;
  for (const auto& d : owners_got) {
    int at_once = 0;
    for (const auto& other : owners_got)
      at_once +=
          other.arrived <= d.arrived && d.arrived < other.arrived + std::chrono::milliseconds(1000);
    most = std::max(most, at_once);
  }
  EXPECT_LE(most, 2);
  EXPECT_GE(most, 1);
  for (const std::string& id : owners) {
    GetWebhookSubscriptionRequest get;
    get.set_id(id);
    WebhookSubscription now;
    ASSERT_TRUE(WebhookService::NewStub(server.channel())
                    ->GetWebhookSubscription(TestServer::Context(owner).get(), get, &now)
                    .ok());
    EXPECT_TRUE(now.enabled()) << now.disabled().reason();
    ListWebhookDeadLettersRequest dead;
    dead.set_subscription_id(id);
    ListWebhookDeadLettersResponse letters;
    ASSERT_TRUE(WebhookService::NewStub(server.channel())
                    ->ListWebhookDeadLetters(TestServer::Context(owner).get(), dead, &letters)
                    .ok());
    EXPECT_EQ(letters.dead_letters_size(), 0);
  }
}

// An organisation with a heap of deliveries to a receiver that answers quickly enough (100 ms) to
// park does not close the replica's reading: another organisation's delivery, queued behind the
// heap, goes out while the heap is still being worked off.
TEST(WebhookFairness, AQuickBacklogOfOneOrganisationDoesNotHoldUpAnother) {
  RedisServer redis(ClusterModeRequested());
  Config config = WebhookConfig();
  config.webhooks.senders = 4;
  config.webhooks.timeout_ms = 5000;
  config.webhooks.claim_idle_ms = 20000;
  config.webhooks.retry_max_ms = 60000;
  // Not given up on: the suite's 2 s (retry_for_s) made a delivery that timed out twice on a
  // loaded machine a dead letter, and the heap was never worked off ("/h9 got 9").
  config.webhooks.retry_for_s = 600;
  TestServer server(redis.url(), config);
  WebhookReceiver busy, other;
  busy.Delay(std::chrono::milliseconds(100));
  FairnessWorld world(server);
  const std::string& owner = world.owner;
  const std::string& booker = world.booker;
  auto subscribe = [&](const std::string& token, const std::string& url) {
    return world.Subscribe(token, url);
  };
  auto book = [&](int hour) { world.Book(hour); };
  for (int i = 0; i < 10; ++i) subscribe(owner, busy.Url("/h" + std::to_string(i)));
  for (int hour = 0; hour < 10; ++hour) book(hour);  // 100 deliveries for the owner
  ASSERT_TRUE(busy.WaitFor("/h0", [](const auto& got) { return !got.empty(); }));
  subscribe(booker, other.Url("/mine"));
  book(10);
  ASSERT_TRUE(other.WaitFor("/mine", [](const auto& got) { return !got.empty(); }));
  size_t heap = 0;
  for (int i = 0; i < 10; ++i) heap += busy.Received("/h" + std::to_string(i)).size();
  // At two at a time and 100 ms each the heap takes five seconds; the booker's delivery came
  // while most of it still waited.
  EXPECT_LT(heap, 80u);
  // And the heap is worked off in the end, each delivery once. (A loaded machine makes the 100 ms
  // receiver look slow, and a slow receiver's deliveries are deferred up to retry_max_ms, 60 s,
  // more than once: the bound leaves room for that; a quiet machine needs far less.)
  for (int i = 0; i < 10; ++i) {
    const std::string path = "/h" + std::to_string(i);
    ASSERT_TRUE(busy.WaitFor(
        path, [](const auto& got) { return got.size() >= 11; }, std::chrono::seconds(180)))
        << path << " got " << busy.Received(path).size();
  }
}
}  // namespace
}  // namespace infrashare::testing
