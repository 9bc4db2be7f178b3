// E-mail (issue #16) through the whole server: changes on the streams become e-mails, written from
// the Dutch and English templates and sent through a real SMTP relay on loopback
// (tests/support/smtp_server.py, Debian's python3-aiosmtpd) that requires STARTTLS with a
// certificate of scripts/make-certs and AUTH; what it receives is parsed as a mail reader parses
// it. A relay that is down at first loses nothing; an address it refuses for good is not tried
// again and leaves no address behind. Plain and cluster-mode Redis.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "infrashare/privacy/v1/privacy.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "infrashare/webhook/v1/webhook.grpc.pb.h"
#include "tests/support/smtp_server.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace dsk = desk::v1;
namespace sch = scheduler::v1;

constexpr char kUser[] = "infrashare";
constexpr char kPassword[] = "relay-secret-ü";
constexpr char kQuestion[] =
    "Wie heeft een lasrobot voor één dag? Budget ± €250; 3,5 uur in het Ĳsselmuiden-lab.";

// Certificates for the relay (a CA and a server certificate for 127.0.0.1), made once.
class Certificates {
 public:
  Certificates() {
    char pattern[] = "/tmp/infrashare-smtp-certs-XXXXXX";
    dir_ = mkdtemp(pattern);
    const std::string command =
        std::string(INFRASHARE_SOURCE_DIR) + "/scripts/make-certs " + dir_ + " >/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("scripts/make-certs failed");
  }
  ~Certificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string operator[](const std::string& file) const { return dir_ + "/" + file; }

 private:
  std::string dir_;
};

SmtpServer::Options RelayOptions(const Certificates& certs, int port = 0) {
  SmtpServer::Options options;
  options.cert_file = certs["server.pem"];
  options.key_file = certs["server.key"];
  options.user = kUser;
  options.password = kPassword;
  options.refuse = {"weg@example.nl"};
  options.port = port;
  return options;
}

Config MailConfig(const Certificates& certs, int relay_port) {
  Config config = TestServer::DefaultConfig();
  config.rate_limits.enabled = false;
  config.webhooks.poll_interval_ms = 20;
  config.webhooks.retry_base_ms = 100;
  config.webhooks.retry_max_ms = 400;
  config.webhooks.retry_for_s = 60;
  config.email.relay_url = "smtp://127.0.0.1:" + std::to_string(relay_port);
  config.email.username = kUser;
  config.email.password = kPassword;
  config.email.from_address = "loket@techniekzwolle.nl";
  config.email.from_name = "Techniek Zwolle – loket";
  config.email.ca_file = certs["ca.pem"];
  return config;
}

class EmailTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new Certificates();
    redis_ = new RedisServer(ClusterModeRequested());
  }
  static void TearDownTestSuite() {
    delete redis_;
    delete certs_;
  }

  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }

  // An organisation (the entry partner) in a network (coordinated by `coordinators`, e-mail
  // addresses), and a member's token.
  static std::string Partner(TestServer& server, const std::string& id, const std::string& name,
                             const std::vector<std::string>& coordinators = {}) {
    reg::CreateOrganizationRequest org;
    org.set_organization_id(id);
    org.mutable_organization()->set_display_name(name);
    org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    reg::Organization made;
    auto status = server.Registry()->CreateOrganization(Admin().get(), org, &made);
    EXPECT_TRUE(status.ok()) << status.error_message();
    reg::CreateNetworkRequest network;
    network.set_network_id(id + "-net");
    network.mutable_network()->set_display_name("Techniek Zwolle");
    network.mutable_network()->add_member_organization_ids(id);
    for (const auto& address : coordinators) {
      auto* c = network.mutable_network()->add_coordinators();
      c->set_name("Coördinator");
      c->set_email(address);
    }
    reg::Network created;
    status = server.Registry()->CreateNetwork(Admin().get(), network, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return server.Token(id, {auth::v1::ROLE_MEMBER});
  }

  static dsk::Inquiry Ask(TestServer& server, const std::string& token, const std::string& entry,
                          const std::string& language, const std::string& name,
                          const std::string& email) {
    dsk::SubmitInquiryRequest request;
    request.set_entry_organization_id(entry);
    request.set_network_id(entry + "-net");
    request.set_need_type(dsk::NEED_TYPE_INNOVATION);
    request.set_text(kQuestion);
    request.set_language(language);
    request.mutable_contact()->set_name(name);
    request.mutable_contact()->set_email(email);
    if (email.empty()) request.mutable_contact()->set_phone("+31 38 123 4567");
    dsk::Inquiry out;
    auto status = server.Desk()->SubmitInquiry(TestServer::Context(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  // A mobile lab of "eigenaar-<tag>" rotated to "school-<tag>" for a day, two to six days ahead,
  // on a committed plan; both organisations list a contact with an address. Returns the plan's
  // hand-overs.
  static std::vector<sch::Handover> CommittedHandovers(TestServer& server, const std::string& tag) {
    const std::string owner_id = "eigenaar-" + tag, school_id = "school-" + tag;
    for (const auto& [id, name, address] :
         {std::tuple{owner_id, "Mobiele Labs Oost B.V.", "planning@labs-oost.example.nl"},
          std::tuple{school_id, "Zadkine – Werkplaats Zuid", "receptie@zadkine.example.nl"}}) {
      reg::CreateOrganizationRequest org;
      org.set_organization_id(id);
      org.mutable_organization()->set_display_name(name);
      org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL);
      auto* contact = org.mutable_organization()->add_contacts();
      contact->set_name("Planning");
      contact->set_email(address);
      reg::Organization made;
      auto status = server.Registry()->CreateOrganization(Admin().get(), org, &made);
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    const std::string owner = server.Token(owner_id, {auth::v1::ROLE_ORGANIZATION_ADMIN});
    reg::CreateResourceRequest unit;
    reg::Resource* r = unit.mutable_resource();
    r->set_display_name("Mobiel lab één");
    r->set_kind(reg::RESOURCE_KIND_EQUIPMENT);
    r->set_mobility(reg::MOBILITY_MOBILE);
    r->set_owner_organization_id(owner_id);
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    *r->mutable_home_base() = r->location();
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::Resource created;
    auto status = server.Registry()->CreateResource(Admin().get(), unit, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    sch::CreateRotationPoolRequest create;
    create.mutable_pool()->set_display_name("Mobiele labs Zwolle–Deventer");
    create.mutable_pool()->add_unit_resource_ids(created.id());
    create.mutable_pool()->mutable_policy()->add_handover_checklist("Accu's geladen");
    create.mutable_pool()->mutable_policy()->add_handover_checklist("Geen schade aan de behuizing");
    sch::RotationPool pool;
    for (int attempt = 0; attempt < 100; ++attempt) {  // until the scheduler knows the unit
      status =
          server.Scheduler()->CreateRotationPool(TestServer::Context(owner).get(), create, &pool);
      if (status.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
    const int64_t today = absl::ToUnixSeconds(absl::Now()) / 86400 * 86400;
    sch::CreateRotationRequestRequest ask;
    auto* wish = ask.mutable_rotation_request();
    wish->set_pool_id(pool.id());
    wish->mutable_location()->set_latitude(52.5);
    wish->mutable_location()->set_longitude(6.1);
    wish->mutable_earliest_start_time()->set_seconds(today + 2 * 86400);
    wish->mutable_latest_end_time()->set_seconds(today + 6 * 86400);
    wish->set_duration_days(1);
    sch::RotationRequest made;
    status = server.Scheduler()->CreateRotationRequest(
        TestServer::Context(server.Token(school_id, {auth::v1::ROLE_MEMBER})).get(), ask, &made);
    EXPECT_TRUE(status.ok()) << status.error_message();
    sch::PlanRotationRequest plan_request;
    plan_request.set_pool_id(pool.id());
    plan_request.mutable_horizon_start_time()->set_seconds(today + 86400);
    plan_request.mutable_horizon_end_time()->set_seconds(today + 10 * 86400);
    sch::RotationPlan plan;
    status =
        server.Scheduler()->PlanRotation(TestServer::Context(owner).get(), plan_request, &plan);
    EXPECT_TRUE(status.ok()) << status.error_message();
    sch::CommitRotationPlanRequest commit;
    commit.set_id(plan.id());
    status =
        server.Scheduler()->CommitRotationPlan(TestServer::Context(owner).get(), commit, &plan);
    EXPECT_TRUE(status.ok()) << status.error_message();
    sch::ListHandoversRequest list;
    list.set_plan_id(plan.id());
    sch::ListHandoversResponse handovers;
    status = server.Scheduler()->ListHandovers(Admin().get(), list, &handovers);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {handovers.handovers().begin(), handovers.handovers().end()};
  }

  static const SmtpServer::Message* To(const std::vector<SmtpServer::Message>& messages,
                                       const std::string& address) {
    for (const auto& m : messages)
      if (m.rcpt_tos == std::vector<std::string>{address}) return &m;
    return nullptr;
  }

  // The e-mail jobs in Redis: sub, type, at (attempts), st (state), sc (the relay's last code),
  // and whether they still hold an address ("to") and a text ("body").
  static std::vector<std::map<std::string, std::string>> MailJobs() {
    std::vector<std::map<std::string, std::string>> jobs;
    for (absl::string_view key :
         absl::StrSplit(redis_->Cli("--scan --pattern '*{wh}:j:*'"), '\n', absl::SkipEmpty())) {
      const std::string quoted = "'" + std::string(key) + "'";
      const std::vector<std::string> values =
          absl::StrSplit(redis_->Cli("HMGET " + quoted + " sub type at st sc"), '\n');
      if (values.size() < 5 || values[0] != "mail") continue;
      std::map<std::string, std::string> job = {
          {"type", values[1]}, {"at", values[2]}, {"st", values[3]}, {"sc", values[4]}};
      for (const char* field : {"to", "body"})
        if (absl::StartsWith(redis_->Cli("HEXISTS " + quoted + " " + field), "1"))
          job[field] = "held";
      jobs.push_back(std::move(job));
    }
    return jobs;
  }

  static Certificates* certs_;
  static RedisServer* redis_;
};

Certificates* EmailTest::certs_ = nullptr;
RedisServer* EmailTest::redis_ = nullptr;

TEST_F(EmailTest, TheAskerHearsTheQuestionArrivedInTheirLanguage) {
  SmtpServer relay(RelayOptions(*certs_));
  TestServer server(redis_->url(), MailConfig(*certs_, relay.port()));
  const std::string token = Partner(server, "ijssel-bouw", "Bouwbedrijf Ĳssel & Zn.");
  const dsk::Inquiry dutch =
      Ask(server, token, "ijssel-bouw", "nl", "Jan de Vries-Ünal", "jan.devries@example.nl");
  const dsk::Inquiry english = Ask(server, token, "ijssel-bouw", "en", "", "ask@example.com");
  const dsk::Inquiry german = Ask(server, token, "ijssel-bouw", "de", "Jürgen", "j@example.de");
  const dsk::Inquiry phone_only = Ask(server, token, "ijssel-bouw", "nl", "Piet", "");
  ASSERT_FALSE(phone_only.id().empty());

  const auto messages = relay.WaitFor(3);
  ASSERT_EQ(messages.size(), 3u);
  std::set<std::string> ids;
  for (const auto& m : messages) {
    EXPECT_TRUE(m.tls) << "sent without STARTTLS";
    EXPECT_TRUE(m.authenticated);
    EXPECT_EQ(m.mail_from, "loket@techniekzwolle.nl");
    EXPECT_EQ(m.from, "Techniek Zwolle – loket <loket@techniekzwolle.nl>");
    EXPECT_EQ(m.auto_submitted, "auto-generated");
    EXPECT_EQ(m.content_type, "text/plain");
    EXPECT_EQ(m.charset, "utf-8");
    EXPECT_TRUE(absl::StartsWith(m.message_id, "<msg_")) << m.message_id;
    EXPECT_TRUE(absl::EndsWith(m.message_id, "@techniekzwolle.nl>")) << m.message_id;
    EXPECT_TRUE(absl::StrContains(m.text, kQuestion)) << m.text;
    EXPECT_TRUE(absl::StrContains(m.text, "Bouwbedrijf Ĳssel & Zn.")) << m.text;  // not escaped
    for (const auto& line : absl::StrSplit(m.raw, "\r\n")) EXPECT_LE(line.size(), 78u) << line;
    EXPECT_FALSE(absl::StrContains(m.raw, "List-Unsubscribe")) << "no listener, no link";
    ids.insert(m.message_id);
  }
  EXPECT_EQ(ids.size(), 3u);

  const SmtpServer::Message* nl = To(messages, "jan.devries@example.nl");
  ASSERT_NE(nl, nullptr);
  EXPECT_EQ(nl->subject, "Uw vraag is ontvangen (" + dutch.id() + ")");
  EXPECT_EQ(nl->content_language, "nl");
  EXPECT_TRUE(absl::StartsWith(nl->text, "Beste Jan de Vries-Ünal,\n")) << nl->text;
  EXPECT_TRUE(absl::StrContains(nl->text, "Kenmerk: " + dutch.id())) << nl->text;

  const SmtpServer::Message* en = To(messages, "ask@example.com");
  ASSERT_NE(en, nullptr);
  EXPECT_EQ(en->subject, "We have received your question (" + english.id() + ")");
  EXPECT_EQ(en->content_language, "en");
  EXPECT_TRUE(absl::StartsWith(en->text, "Dear sir or madam,\n")) << en->text;
  EXPECT_TRUE(absl::StrContains(en->text, "Reference: " + english.id())) << en->text;

  // Asked in German: answered in English rather than Dutch.
  const SmtpServer::Message* de = To(messages, "j@example.de");
  ASSERT_NE(de, nullptr);
  EXPECT_EQ(de->content_language, "en");
  EXPECT_TRUE(absl::StartsWith(de->text, "Dear Jürgen,\n")) << de->text;

  // Dealt with: the asker hears how.
  dsk::ResolveInquiryRequest resolve;
  resolve.set_id(dutch.id());
  resolve.set_outcome(dsk::OUTCOME_INTERNSHIP_ARRANGED);
  resolve.set_note("intern: via het leerbedrijf");
  dsk::Inquiry resolved;
  auto status = server.Desk()->ResolveInquiry(Admin().get(), resolve, &resolved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto all = relay.WaitFor(4);
  ASSERT_EQ(all.size(), 4u);
  const SmtpServer::Message& done = all.back();
  EXPECT_EQ(done.rcpt_tos, std::vector<std::string>{"jan.devries@example.nl"});
  EXPECT_EQ(done.subject, "Uw vraag is afgehandeld (" + dutch.id() + ")");
  EXPECT_TRUE(absl::StrContains(done.text, "Er is een stageplaats voor u geregeld.")) << done.text;
  EXPECT_FALSE(absl::StrContains(done.text, "leerbedrijf")) << "the note is the desk's own";
  EXPECT_NE(done.message_id, nl->message_id);

  // Sent: the queue keeps neither the text nor the address.
  for (const auto& job : MailJobs()) {
    EXPECT_EQ(job.count("to"), 0u);
    EXPECT_EQ(job.count("body"), 0u);
  }
}

TEST_F(EmailTest, ARelayOutageLosesNothingAndARefusedAddressIsNotTriedAgain) {
  const int port = FreePort();  // nothing listens there yet
  TestServer server(redis_->url(), MailConfig(*certs_, port));
  const std::string token = Partner(server, "zwolle-zorg", "Zorgcollege Zwolle");
  const dsk::Inquiry kept =
      Ask(server, token, "zwolle-zorg", "nl", "Fatma Yılmaz", "fatma@example.nl");
  const dsk::Inquiry refused = Ask(server, token, "zwolle-zorg", "nl", "Weg", "weg@example.nl");
  // Both failed at least once (connection refused) and wait for another try.
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    int tried = 0;
    for (const auto& job : MailJobs())
      if (job.at("st") != "done" && job.at("at") != "0") ++tried;
    waiting = tried >= 2;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(waiting);

  SmtpServer relay(RelayOptions(*certs_, port));
  const auto messages = relay.WaitFor(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].rcpt_tos, std::vector<std::string>{"fatma@example.nl"});
  EXPECT_EQ(messages[0].subject, "Uw vraag is ontvangen (" + kept.id() + ")");

  // The refused one is a dead letter without its address or text, not retried.
  std::map<std::string, std::string> dead;
  for (int i = 0; i < 200 && dead.empty(); ++i) {
    for (const auto& job : MailJobs())
      if (job.at("st") == "dead") dead = job;
    if (dead.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(dead.empty());
  EXPECT_EQ(dead["type"], "inquiry.received");
  EXPECT_EQ(dead["sc"], "550");
  EXPECT_EQ(dead.count("to"), 0u);
  EXPECT_EQ(dead.count("body"), 0u);
  // Nothing waits for another try.
  EXPECT_EQ(redis_->Cli("ZCARD 'is:{wh}:retry'"), "0\n");
  EXPECT_FALSE(refused.id().empty());
}

// A request that needs approval reaches the resource's facility managers (not its other staff),
// with the times in the resource's zone; a question nobody takes reaches the coordinators.
TEST_F(EmailTest, ManagersHearOfRequestsToApproveAndCoordinatorsOfEscalations) {
  SmtpServer relay(RelayOptions(*certs_));
  TestServer server(redis_->url(), MailConfig(*certs_, relay.port()));
  const std::string booker =
      Partner(server, "deventer-mbo", "ROC Deventer", {"coordinatie@deventer.example.nl"});
  Partner(server, "lab-eigenaar", "Lab Eigenaar B.V.");
  reg::CreateResourceRequest create;
  reg::Resource* r = create.mutable_resource();
  r->set_display_name("Cleanroom Ĳssel");
  r->set_kind(reg::RESOURCE_KIND_LAB);
  r->set_owner_organization_id("lab-eigenaar");
  r->mutable_location()->mutable_point()->set_latitude(52.25);
  r->mutable_location()->mutable_point()->set_longitude(6.16);
  r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
  r->set_capacity(1);
  r->set_access_policy(reg::ACCESS_POLICY_PUBLIC);
  r->set_approval_required(true);
  r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  for (auto [role, address] :
       {std::pair{reg::STAFF_ROLE_FACILITY_MANAGER, "beheer@lab.example.nl"},
        std::pair{reg::STAFF_ROLE_COMMUNITY_MANAGER, "community@lab.example.nl"}}) {
    auto* staff = r->add_staff();
    staff->set_name("Beheerder");
    staff->set_role(role);
    staff->set_email(address);
  }
  reg::Resource lab;
  auto status = server.Registry()->CreateResource(Admin().get(), create, &lab);
  ASSERT_TRUE(status.ok()) << status.error_message();

  scheduler::v1::CreateBookingRequest book;
  book.set_resource_id(lab.id());
  book.mutable_start_time()->set_seconds(1804147200);  // 2027-03-04 08:00 UTC, 09:00 in Deventer
  book.mutable_end_time()->set_seconds(1804147200 + 7200);
  book.set_title("Practicum klas 2B");
  scheduler::v1::Booking booking;
  for (int attempt = 0; attempt < 100; ++attempt) {  // until the scheduler knows the lab
    status = server.Scheduler()->CreateBooking(TestServer::Context(booker).get(), book, &booking);
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(booking.state(), scheduler::v1::BOOKING_STATE_PENDING_APPROVAL);
  // Nobody on the desk: the question escalates to the coordinators at once.
  const dsk::Inquiry orphan = Ask(server, booker, "deventer-mbo", "nl", "An", "an@example.nl");

  const auto messages = relay.WaitFor(3);  // the manager, the coordinator, the asker
  ASSERT_EQ(messages.size(), 3u);
  const SmtpServer::Message* manager = To(messages, "beheer@lab.example.nl");
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->subject, "Boeking wacht op uw goedkeuring: Cleanroom Ĳssel");
  EXPECT_TRUE(absl::StrContains(manager->text, "ROC Deventer wil Cleanroom Ĳssel boeken"))
      << manager->text;
  EXPECT_TRUE(absl::StrContains(manager->text, "Van: 2027-03-04 09:00 (+01:00, Europe/Amsterdam)"))
      << manager->text;
  EXPECT_TRUE(absl::StrContains(manager->text, "Tot: 2027-03-04 11:00 (+01:00, Europe/Amsterdam)"))
      << manager->text;
  EXPECT_TRUE(absl::StrContains(manager->text, "infrashare booking approve " + booking.id()));
  EXPECT_EQ(To(messages, "community@lab.example.nl"), nullptr);

  const SmtpServer::Message* coordinator = To(messages, "coordinatie@deventer.example.nl");
  ASSERT_NE(coordinator, nullptr);
  EXPECT_EQ(coordinator->subject, "Vraag zonder partner bij Techniek Zwolle (" + orphan.id() + ")");
  EXPECT_TRUE(absl::StrContains(coordinator->text, kQuestion)) << coordinator->text;
  EXPECT_TRUE(absl::StrContains(coordinator->text, "Binnengekomen via: ROC Deventer"))
      << coordinator->text;
  EXPECT_FALSE(absl::StrContains(coordinator->text, "an@example.nl")) << "the asker's contact";
  EXPECT_NE(To(messages, "an@example.nl"), nullptr);  // inquiry.received
}

// A question offered to a responder that gives an address is e-mailed to it, in its language with
// the deadline in its zone; the address is personal data, exported and erased by address.
TEST_F(EmailTest, AResponderHearsOfAnOfferAndItsAddressIsErasable) {
  SmtpServer relay(RelayOptions(*certs_));
  TestServer server(redis_->url(), MailConfig(*certs_, relay.port()));
  const std::string member = Partner(server, "hengelo-hub", "Techniekhuis Hengelo");
  const std::string admin = server.Token("hengelo-hub", {auth::v1::ROLE_ORGANIZATION_ADMIN});

  dsk::CreateResponderRequest create;
  dsk::Responder* profile = create.mutable_responder();
  profile->set_display_name("Ömer Çelik – Techniekhuis");
  profile->add_skills(dsk::NEED_TYPE_INNOVATION);
  profile->add_languages("en");  // the first: e-mails in English
  profile->add_languages("nl");  // takes Dutch questions too
  profile->set_time_zone("Europe/London");
  profile->set_capacity(2);
  profile->set_online(true);
  profile->set_email("not an address");
  dsk::Responder responder;
  auto status =
      server.Desk()->CreateResponder(TestServer::Context(admin).get(), create, &responder);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "responder.email"))
      << status.error_message();
  profile->set_email("Omer.Celik@Example.NL");
  status = server.Desk()->CreateResponder(TestServer::Context(admin).get(), create, &responder);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(responder.email(), "Omer.Celik@Example.NL");

  const dsk::Inquiry asked = Ask(server, member, "hengelo-hub", "nl", "Piet", "");
  const auto messages = relay.WaitFor(1);
  ASSERT_EQ(messages.size(), 1u);
  const SmtpServer::Message& offer = messages[0];
  EXPECT_EQ(offer.rcpt_tos, std::vector<std::string>{"Omer.Celik@Example.NL"});
  EXPECT_EQ(offer.subject, "A question is waiting for you (" + asked.id() + ")");
  EXPECT_EQ(offer.content_language, "en");
  EXPECT_TRUE(absl::StartsWith(offer.text, "Dear Ömer Çelik – Techniekhuis,\n")) << offer.text;
  EXPECT_TRUE(absl::StrContains(offer.text, kQuestion)) << offer.text;
  EXPECT_TRUE(absl::StrContains(offer.text, "Through Techniekhuis Hengelo, a question came in"))
      << offer.text;
  EXPECT_TRUE(absl::StrContains(offer.text,
                                "infrashare desk accept " + asked.id() + " --as " + responder.id()))
      << offer.text;
  EXPECT_FALSE(absl::StrContains(offer.text, "Piet")) << "the asker's contact is not offered";
  // The deadline as the responder reads it: in Europe/London, with the offset.
  dsk::GetInquiryRequest get;
  get.set_id(asked.id());
  dsk::Inquiry offered;
  status = server.Desk()->GetInquiry(Admin().get(), get, &offered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(offered.has_offer_deadline());
  const absl::TimeZone london = [] {
    absl::TimeZone tz;
    EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &tz));
    return tz;
  }();
  const std::string deadline =
      absl::FormatTime("%Y-%m-%d %H:%M (%Ez, Europe/London)",
                       absl::FromUnixSeconds(offered.offer_deadline().seconds()), london);
  EXPECT_TRUE(absl::StrContains(offer.text, "until " + deadline)) << offer.text << deadline;

  // The address is found and erased like any other.
  auto privacy = privacy::v1::PrivacyService::NewStub(server.channel());
  privacy::v1::ExportPersonalDataRequest lookup;
  lookup.set_email("omer.celik@example.nl");
  privacy::v1::PersonalData held;
  status = privacy->ExportPersonalData(Admin().get(), lookup, &held);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(held.responders_size(), 1);
  EXPECT_EQ(held.responders(0).id(), responder.id());
  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email(" OMER.celik@example.nl");
  privacy::v1::ErasePersonalDataResponse erased;
  status = privacy->ErasePersonalData(Admin().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.responders(), 1);
  dsk::GetResponderRequest again;
  again.set_id(responder.id());
  dsk::Responder after;
  status = server.Desk()->GetResponder(Admin().get(), again, &after);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(after.email(), "");
  EXPECT_EQ(after.display_name(), responder.display_name());  // the responder stays
  status = privacy->ExportPersonalData(Admin().get(), lookup, &held);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(held.responders_size(), 0);

  // The next offer is not e-mailed: an asker's receipt is the only e-mail that follows.
  Ask(server, member, "hengelo-hub", "nl", "Kees", "kees@example.nl");
  const auto later = relay.WaitFor(2);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[1].rcpt_tos, std::vector<std::string>{"kees@example.nl"});
  for (int i = 0; i < 20; ++i) {  // an offer e-mail, were one queued, would follow within this
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (relay.Messages().size() > 2) break;
  }
  EXPECT_EQ(relay.Messages().size(), 2u);
}

// A subscription whose receiver never answers is disabled when its retries run out, and the
// contacts of its organisation that give an address hear of it: the disabling writes the entry
// the e-mail is made from in the same step, so no replica's death between the two loses it.
TEST_F(EmailTest, AnOrganisationsContactsHearThatItsWebhookWasDisabled) {
  SmtpServer relay(RelayOptions(*certs_));
  Config config = MailConfig(*certs_, relay.port());
  config.webhooks.allow_http = true;
  config.webhooks.allow_private_targets = true;  // the receiver is on loopback
  config.webhooks.retry_for_s = 1;
  TestServer server(redis_->url(), config);
  reg::CreateOrganizationRequest org;
  org.set_organization_id("drachten-data");
  org.mutable_organization()->set_display_name("Datalab Drachten – Ĳver");
  org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
  auto* ict = org.mutable_organization()->add_contacts();
  ict->set_name("ICT-beheer");
  ict->set_email("ict@drachten.example.nl");
  auto* desk = org.mutable_organization()->add_contacts();
  desk->set_name("Receptie");
  desk->set_phone("+31 512 123 456");  // no address: not written to
  reg::Organization made;
  auto status = server.Registry()->CreateOrganization(Admin().get(), org, &made);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string admin = server.Token("drachten-data", {auth::v1::ROLE_ORGANIZATION_ADMIN});

  auto webhooks = webhook::v1::WebhookService::NewStub(server.channel());
  webhook::v1::CreateWebhookSubscriptionRequest subscribe;
  const RefusedPort refusing;
  ASSERT_NE(refusing.port(), 0);
  const std::string target = "http://127.0.0.1:" + std::to_string(refusing.port()) + "/hook";
  subscribe.set_target_url(target);  // nothing listens there, nor will while the test runs
  subscribe.add_event_types(webhook::v1::WEBHOOK_EVENT_TYPE_REGISTRY);
  webhook::v1::WebhookSubscription subscription;
  status = webhooks->CreateWebhookSubscription(TestServer::Context(admin).get(), subscribe,
                                               &subscription);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // A change it receives: a resource of its own.
  reg::CreateResourceRequest create;
  reg::Resource* r = create.mutable_resource();
  r->set_display_name("Datalab");
  r->set_kind(reg::RESOURCE_KIND_LAB);
  r->set_owner_organization_id("drachten-data");
  r->mutable_location()->mutable_point()->set_latitude(53.1);
  r->mutable_location()->mutable_point()->set_longitude(6.1);
  reg::Resource lab;
  status = server.Registry()->CreateResource(Admin().get(), create, &lab);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const auto messages = relay.WaitFor(1, 30);
  ASSERT_EQ(messages.size(), 1u);
  const SmtpServer::Message& told = messages[0];
  EXPECT_EQ(told.rcpt_tos, std::vector<std::string>{"ict@drachten.example.nl"});
  EXPECT_EQ(told.subject, "Webhook van Datalab Drachten – Ĳver uitgeschakeld");
  EXPECT_TRUE(absl::StrContains(told.text, "Abonnement: " + subscription.id())) << told.text;
  EXPECT_TRUE(absl::StrContains(told.text, "Adres: " + target)) << told.text;
  EXPECT_TRUE(absl::StrContains(told.text, "Laatste fout: retries ran out")) << told.text;
  EXPECT_TRUE(absl::StrContains(told.text, "infrashare webhook redeliver " + subscription.id()))
      << told.text;
  // By then the subscription is disabled, as the e-mail says.
  webhook::v1::GetWebhookSubscriptionRequest get;
  get.set_id(subscription.id());
  webhook::v1::WebhookSubscription now;
  status = webhooks->GetWebhookSubscription(TestServer::Context(admin).get(), get, &now);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(now.enabled());
  EXPECT_TRUE(now.has_disabled());
}

// The link at the foot of every e-mail (and its List-Unsubscribe header, RFC 8058): a mail
// program's one-click POST turns that kind of e-mail off for that address only; the page turns all
// off and on again and changes the language; a link with another moment or address, or no valid
// signature, changes nothing.
TEST_F(EmailTest, ThePreferencesLinkTurnsEmailsOffAndChangesTheLanguage) {
  SmtpServer relay(RelayOptions(*certs_));
  Config config = MailConfig(*certs_, relay.port());
  config.http.listen = "127.0.0.1:0";
  TestServer server(redis_->url(), config);
  const std::string token = Partner(server, "meppel-maak", "Maakplaats Meppel");
  const dsk::Inquiry first = Ask(server, token, "meppel-maak", "nl", "Sanne", "sanne@example.nl");
  auto messages = relay.WaitFor(1);
  ASSERT_EQ(messages.size(), 1u);
  const std::string& raw = messages[0].raw;
  const std::string header = "\r\nList-Unsubscribe: <";
  const size_t at = raw.find(header);
  ASSERT_NE(at, std::string::npos) << raw;
  const std::string url =
      raw.substr(at + header.size(), raw.find(">\r\n", at) - at - header.size());
  EXPECT_TRUE(absl::StrContains(raw, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
  const std::string base = "http://127.0.0.1:" + std::to_string(server.server().http_port());
  ASSERT_TRUE(absl::StartsWith(url, base + "/email/preferences?a=")) << url;
  EXPECT_FALSE(absl::StrContains(url, "sanne")) << "the link names no address";
  EXPECT_TRUE(absl::StrContains(messages[0].text, "\n-- \nMinder of geen e-mails van infrashare"))
      << messages[0].text;
  EXPECT_TRUE(absl::StrContains(messages[0].text, url)) << messages[0].text;
  const std::string path = url.substr(base.size());
  httplib::Client http("127.0.0.1", server.server().http_port());
  http.set_read_timeout(10);

  // Forged: another moment under this signature, a changed signature: nothing changes.
  for (const std::string& forged :
       {absl::StrReplaceAll(path, {{"m=inquiry.received", "m=inquiry.resolved"}}),
        path.substr(0, path.size() - 1) + (path.back() == '0' ? "1" : "0")}) {
    auto refused = http.Post(forged.c_str(), "List-Unsubscribe=One-Click",
                             "application/x-www-form-urlencoded");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 404) << forged;
  }
  auto page = http.Get(path.c_str());
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_TRUE(absl::StrContains(page->body, "<strong id=\"state\">aan / on</strong>"))
      << page->body;
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");

  // The mail program's button: no more receipts for this address.
  auto off =
      http.Post(path.c_str(), "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->status, 200);
  EXPECT_TRUE(absl::StrContains(off->body, "<strong id=\"state\">uit / off</strong>")) << off->body;
  Ask(server, token, "meppel-maak", "nl", "Sanne", "Sanne@Example.NL");  // the same person
  Ask(server, token, "meppel-maak", "nl", "Joost", "joost@example.nl");  // someone else
  messages = relay.WaitFor(2);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].rcpt_tos, std::vector<std::string>{"joost@example.nl"});
  // Other moments still come, in the language the page now sets.
  auto english = http.Post(path.c_str(), "do=lang-en", "application/x-www-form-urlencoded");
  ASSERT_TRUE(english);
  EXPECT_EQ(english->status, 200);
  dsk::ResolveInquiryRequest resolve;
  resolve.set_id(first.id());
  resolve.set_outcome(dsk::OUTCOME_ANSWERED);
  dsk::Inquiry resolved;
  auto status = server.Desk()->ResolveInquiry(Admin().get(), resolve, &resolved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  messages = relay.WaitFor(3);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[2].rcpt_tos, std::vector<std::string>{"sanne@example.nl"});
  EXPECT_EQ(messages[2].subject, "Your question has been dealt with (" + first.id() + ")");
  EXPECT_EQ(messages[2].content_language, "en");
  EXPECT_TRUE(absl::StrContains(messages[2].text, "Fewer or no e-mails from infrashare"))
      << messages[2].text;

  // Nothing at all, then everything again.
  auto none = http.Post(path.c_str(), "do=off-all", "application/x-www-form-urlencoded");
  ASSERT_TRUE(none);
  EXPECT_TRUE(absl::StrContains(none->body, "<strong id=\"all\">uit / off</strong>")) << none->body;
  // What is kept is the person's personal data: the export shows it (and nothing for another).
  auto privacy = privacy::v1::PrivacyService::NewStub(server.channel());
  auto preferences_of = [&](const std::string& address) {
    privacy::v1::ExportPersonalDataRequest lookup;
    lookup.set_email(address);
    privacy::v1::PersonalData held;
    auto exported = privacy->ExportPersonalData(Admin().get(), lookup, &held);
    EXPECT_TRUE(exported.ok()) << exported.error_message();
    return held;
  };
  const privacy::v1::PersonalData kept = preferences_of("SANNE@example.nl");
  ASSERT_TRUE(kept.has_email_preferences());
  EXPECT_TRUE(kept.email_preferences().all_off());
  EXPECT_EQ(std::vector<std::string>(kept.email_preferences().moments_off().begin(),
                                     kept.email_preferences().moments_off().end()),
            std::vector<std::string>{"inquiry.received"});
  EXPECT_EQ(kept.email_preferences().language(), "en");
  EXPECT_FALSE(preferences_of("joost@example.nl").has_email_preferences());
  auto bad = http.Post(path.c_str(), "do=drop-table", "application/x-www-form-urlencoded");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto all = http.Post(path.c_str(), "do=on-all", "application/x-www-form-urlencoded");
  ASSERT_TRUE(all);
  EXPECT_TRUE(absl::StrContains(all->body, "<strong id=\"state\">aan / on</strong>")) << all->body;
  Ask(server, token, "meppel-maak", "nl", "Sanne", "sanne@example.nl");
  messages = relay.WaitFor(4);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[3].rcpt_tos, std::vector<std::string>{"sanne@example.nl"});
  EXPECT_EQ(messages[3].content_language, "en");  // the language stays

  // Erasing the person forgets their preferences too.
  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email("sanne@example.nl");
  privacy::v1::ErasePersonalDataResponse erased;
  status = privacy->ErasePersonalData(Admin().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(redis_->Cli("--scan --pattern '*{wh}:mp:*'"), "");
  EXPECT_FALSE(preferences_of("sanne@example.nl").has_email_preferences());
}

// Both sides of a hand-over hear of it by e-mail: at once when it is nearer than the lead, else a
// reminder waits until the lead before it, and goes once both sides have confirmed it.
TEST_F(EmailTest, BothSidesOfAHandOverAreToldItIsDue) {
  SmtpServer relay(RelayOptions(*certs_));
  Config config = MailConfig(*certs_, relay.port());
  config.email.handover_lead_s = 30 * 86400;  // every hand-over of the plan is nearer: now
  TestServer server(redis_->url(), config);
  const std::vector<sch::Handover> handovers = CommittedHandovers(server, "nu");
  ASSERT_GE(handovers.size(), 2u);  // there and back
  const size_t expected = 2 * handovers.size();
  const auto messages = relay.WaitFor(expected);
  ASSERT_EQ(messages.size(), expected);
  for (const sch::Handover& h : handovers) {
    for (const char* address : {"planning@labs-oost.example.nl", "receptie@zadkine.example.nl"}) {
      const SmtpServer::Message* found = nullptr;
      for (const auto& m : messages)
        if (m.rcpt_tos == std::vector<std::string>{address} &&
            absl::StrContains(m.text, "Kenmerk: " + h.id()))
          found = &m;
      ASSERT_NE(found, nullptr) << address << " heard nothing of " << h.id();
      EXPECT_TRUE(absl::StartsWith(found->subject, "Overdracht van Mobiel lab één: "))
          << found->subject;
      EXPECT_EQ(found->content_language, "nl");
      EXPECT_TRUE(absl::StrContains(found->text, "Europe/Amsterdam)")) << found->text;
      EXPECT_TRUE(absl::StrContains(found->text, "- Accu's geladen\n- Geen schade")) << found->text;
      EXPECT_TRUE(absl::StrContains(found->text, "infrashare rotation confirm " + h.id()))
          << found->text;
      EXPECT_TRUE(absl::StrContains(found->text, "Mobiele Labs Oost B.V.") &&
                  absl::StrContains(found->text, "Zadkine – Werkplaats Zuid"))
          << found->text;
    }
  }
}

TEST_F(EmailTest, AHandOverReminderWaitsForItsLeadAndGoesWhenBothSidesConfirmed) {
  SmtpServer relay(RelayOptions(*certs_));
  TestServer server(redis_->url(), MailConfig(*certs_, relay.port()));  // a day before
  const std::vector<sch::Handover> handovers = CommittedHandovers(server, "later");
  ASSERT_GE(handovers.size(), 2u);
  auto waiting = [] {
    int n = 0;
    for (const auto& job : MailJobs())
      if (job.at("type") == "handover.due" && job.at("st") == "timed") ++n;
    return n;
  };
  const int all = 2 * static_cast<int>(handovers.size());
  for (int i = 0; i < 200 && waiting() < all; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(waiting(), all);
  // The first hand-over, confirmed by both sides: its two reminders go.
  const sch::Handover& first = handovers[0];
  for (const std::string& organization :
       {first.from_organization_id(), first.to_organization_id()}) {
    sch::ConfirmHandoverRequest confirm;
    confirm.set_id(first.id());
    confirm.set_condition_notes("in orde");
    sch::Handover confirmed;
    auto status = server.Scheduler()->ConfirmHandover(
        TestServer::Context(server.Token(organization, {auth::v1::ROLE_MEMBER})).get(), confirm,
        &confirmed);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (int i = 0; i < 200 && waiting() > all - 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(waiting(), all - 2);
  EXPECT_TRUE(relay.Messages().empty()) << "a reminder went early";
}

// An e-mail waiting for the relay holds the person's address and question: erasing the person
// drops it unsent.
TEST_F(EmailTest, AnErasedPersonGetsNoMailThatWasStillWaiting) {
  const int port = FreePort();
  TestServer server(redis_->url(), MailConfig(*certs_, port));
  const std::string token = Partner(server, "kampen-tech", "Kamper Techniek B.V.");
  Ask(server, token, "kampen-tech", "nl", "Els", "Els.Bakker@Example.NL");
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    for (const auto& job : MailJobs())
      waiting = waiting || (job.at("st") != "done" && job.at("st") != "dead" &&
                            job.at("at") != "0" && job.count("to"));
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(waiting);
  auto privacy = privacy::v1::PrivacyService::NewStub(server.channel());
  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email(" els.bakker@example.nl ");
  privacy::v1::ErasePersonalDataResponse erased;
  auto status = privacy->ErasePersonalData(Admin().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.emails(), 1);
  EXPECT_EQ(erased.inquiries(), 1);

  SmtpServer relay(RelayOptions(*certs_, port));
  Ask(server, token, "kampen-tech", "nl", "Kees", "kees@example.nl");
  const auto messages = relay.WaitFor(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].rcpt_tos, std::vector<std::string>{"kees@example.nl"});
  for (const auto& job : MailJobs()) {  // sent or dropped; reminders of other tests wait on
    if (job.at("st") == "timed") continue;
    EXPECT_EQ(job.count("to"), 0u) << job.at("type");
  }
}

}  // namespace
}  // namespace infrashare::testing

namespace infrashare::testing {
namespace {

// The link an e-mail's text carries to `path` ("/desk/feedback?i=..."), as a path with its query.
std::string LinkIn(const std::string& text, const std::string& base, const std::string& path) {
  const size_t at = text.find(base + path);
  if (at == std::string::npos) return "";
  const size_t end = text.find('\n', at);
  return text.substr(at + base.size(), end == std::string::npos ? end : end - at - base.size());
}

dsk::Inquiry Resolved(TestServer& server, const std::string& id) {
  dsk::ResolveInquiryRequest resolve;
  resolve.set_id(id);
  resolve.set_outcome(dsk::OUTCOME_ANSWERED);
  dsk::Inquiry resolved;
  auto status =
      server.Desk()->ResolveInquiry(TestServer::Context(kAdminToken).get(), resolve, &resolved);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resolved;
}

}  // namespace

// Some time after a question was resolved its asker is asked how it went, with a link to a form
// that takes their answer once; the link opens that question's form only.
TEST_F(EmailTest, TheAskerGivesFeedbackOnceThroughTheLinkOfTheFeedbackRequest) {
  SmtpServer relay(RelayOptions(*certs_));
  Config config = MailConfig(*certs_, relay.port());
  config.http.listen = "127.0.0.1:0";
  config.email.feedback_after_s = 0;  // with the resolution
  TestServer server(redis_->url(), config);
  const std::string token = Partner(server, "hattem-hout", "Houtbewerking Hattem");
  const dsk::Inquiry dutch = Ask(server, token, "hattem-hout", "nl", "Anouk", "anouk@example.nl");
  const dsk::Inquiry english = Ask(server, token, "hattem-hout", "en", "Bob", "bob@example.com");
  ASSERT_EQ(relay.WaitFor(2).size(), 2u);
  Resolved(server, dutch.id());
  Resolved(server, english.id());
  const auto messages = relay.WaitFor(6);
  ASSERT_EQ(messages.size(), 6u);
  const SmtpServer::Message *nl = nullptr, *en = nullptr;
  for (const auto& m : messages) {
    if (m.subject == "Hoe hebben we u geholpen? (" + dutch.id() + ")") nl = &m;
    if (m.subject == "How did we help you? (" + english.id() + ")") en = &m;
  }
  ASSERT_NE(nl, nullptr);
  ASSERT_NE(en, nullptr);
  EXPECT_EQ(nl->rcpt_tos, std::vector<std::string>{"anouk@example.nl"});
  EXPECT_EQ(en->rcpt_tos, std::vector<std::string>{"bob@example.com"});
  EXPECT_EQ(en->content_language, "en");
  EXPECT_TRUE(absl::StartsWith(nl->text, "Beste Anouk,\n")) << nl->text;
  EXPECT_TRUE(absl::StrContains(nl->text, "werkt één keer")) << nl->text;
  EXPECT_TRUE(absl::StrContains(nl->raw, "\r\nList-Unsubscribe: <")) << "a preferences link too";
  const std::string base = "http://127.0.0.1:" + std::to_string(server.server().http_port());
  const std::string path = LinkIn(nl->text, base, "/desk/feedback?i=" + dutch.id() + "&s=");
  const std::string other = LinkIn(en->text, base, "/desk/feedback?i=" + english.id() + "&s=");
  ASSERT_FALSE(path.empty()) << nl->text;
  ASSERT_FALSE(other.empty()) << en->text;
  httplib::Client http("127.0.0.1", server.server().http_port());
  http.set_read_timeout(10);

  // Forged: one question's signature with another's id, a changed signature, a preferences
  // link's signature.
  const std::string signature = path.substr(path.find("&s=") + 3);
  for (const std::string& forged :
       {"/desk/feedback?i=" + english.id() + "&s=" + signature,
        path.substr(0, path.size() - 1) + (path.back() == '0' ? "1" : "0"),
        "/desk/feedback?i=" + dutch.id()}) {
    auto refused = http.Post(forged.c_str(), "score=5", "application/x-www-form-urlencoded");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 404) << forged;
  }
  auto form = http.Get(path.c_str());
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 200);
  EXPECT_TRUE(absl::StrContains(form->body, "name=\"score\" value=\"5\"")) << form->body;
  EXPECT_EQ(form->get_header_value("Cache-Control"), "no-store");

  // What the desk refuses is said on the form, and nothing is kept.
  auto no_score = http.Post(path.c_str(), httplib::Params{{"score", "6"}});
  ASSERT_TRUE(no_score);
  EXPECT_EQ(no_score->status, 400);
  EXPECT_TRUE(absl::StrContains(no_score->body, "id=\"problem\"")) << no_score->body;
  // As a browser sends the form (multipart): 4,001 two-byte characters are one too many, and
  // the form comes back with what was entered.
  std::string long_remark;
  for (int i = 0; i < 4001; ++i) long_remark += "é";
  auto too_long = http.Post(
      path.c_str(),
      httplib::MultipartFormDataItems{{"score", "3", "", ""}, {"comment", long_remark, "", ""}});
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 400) << too_long->body;
  EXPECT_TRUE(absl::StrContains(too_long->body, "value=\"3\" checked")) << too_long->body;
  EXPECT_TRUE(absl::StrContains(too_long->body, "éééé</textarea>")) << too_long->body;
  // Bytes that are not UTF-8 are refused before anything is kept.
  auto garbled = http.Post(path.c_str(), "score=2&comment=bad%FF%FEbytes%C3",
                           "application/x-www-form-urlencoded");
  ASSERT_TRUE(garbled);
  EXPECT_EQ(garbled->status, 400) << garbled->body;
  // Text every call refuses (a terminal's escape, a bidirectional override) is refused here too.
  for (const std::string& hidden : {std::string("score=2&comment=%1B%5B2Jweg"),
                                    std::string("score=2&comment=goed%E2%80%AEdeoog")}) {
    auto refused = http.Post(path.c_str(), hidden, "application/x-www-form-urlencoded");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << hidden << refused->body;
  }
  // Parts without name or content are not free: 300 of them are more than a form may be.
  httplib::MultipartFormDataItems empty_parts(300, {"", "", "", ""});
  auto flooded = http.Post(path.c_str(), empty_parts);
  ASSERT_TRUE(flooded);
  EXPECT_EQ(flooded->status, 413) << flooded->body;

  const std::string comment = "Snel geholpen – dank jullie wel! <b>Ĳsbrand</b> & co; 3,5 uur";
  auto given = http.Post(
      path.c_str(),
      httplib::Params{{"i", "ignored"}, {"score", "4"}, {"recommend", "1"}, {"comment", comment}});
  ASSERT_TRUE(given);
  EXPECT_EQ(given->status, 200) << given->body;
  EXPECT_TRUE(absl::StrContains(given->body, "is ontvangen")) << given->body;
  dsk::GetInquiryRequest get;
  get.set_id(dutch.id());
  dsk::Inquiry stored;
  auto status = server.Desk()->GetInquiry(Admin().get(), get, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(stored.has_feedback());
  EXPECT_EQ(stored.feedback().score(), 4);
  EXPECT_TRUE(stored.feedback().would_recommend());
  EXPECT_FALSE(stored.feedback().would_work_again());
  EXPECT_EQ(stored.feedback().comment(), comment);

  // Once: a second answer is refused and the first stays; the link then only thanks.
  auto again = http.Post(path.c_str(), httplib::Params{{"score", "1"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  status = server.Desk()->GetInquiry(Admin().get(), get, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stored.feedback().score(), 4);
  auto later = http.Get(path.c_str());
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 200);
  EXPECT_TRUE(absl::StrContains(later->body, "id=\"given\"")) << later->body;
  EXPECT_FALSE(absl::StrContains(later->body, "name=\"score\"")) << later->body;

  // Feedback the entry partner recorded first closes the other link too.
  dsk::RecordFeedbackRequest record;
  record.set_id(english.id());
  record.mutable_feedback()->set_score(5);
  status = server.Desk()->RecordFeedback(TestServer::Context(token).get(), record, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto closed = http.Post(other.c_str(), httplib::Params{{"score", "2"}});
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->status, 409);

  // Withdrawn, or no partner found: nobody to give feedback on, no request. Erased: the link
  // takes no more words of the asker.
  const dsk::Inquiry withdrawn =
      Ask(server, token, "hattem-hout", "nl", "Carla", "carla@example.nl");
  const dsk::Inquiry erased = Ask(server, token, "hattem-hout", "nl", "Daan", "daan@example.nl");
  ASSERT_EQ(relay.WaitFor(8).size(), 8u);
  dsk::ResolveInquiryRequest resolve;
  resolve.set_id(withdrawn.id());
  resolve.set_outcome(dsk::OUTCOME_WITHDRAWN);
  status = server.Desk()->ResolveInquiry(Admin().get(), resolve, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Resolved(server, erased.id());
  const auto all = relay.WaitFor(11);
  ASSERT_EQ(all.size(), 11u);
  const SmtpServer::Message* daan = nullptr;
  for (const auto& m : all) {
    EXPECT_NE(m.subject, "Hoe hebben we u geholpen? (" + withdrawn.id() + ")");
    if (m.subject == "Hoe hebben we u geholpen? (" + erased.id() + ")") daan = &m;
  }
  ASSERT_NE(daan, nullptr);
  const std::string daans = LinkIn(daan->text, base, "/desk/feedback?i=" + erased.id() + "&s=");
  dsk::EraseAskerRequest erase;
  erase.set_id(erased.id());
  status = server.Desk()->EraseAsker(Admin().get(), erase, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto gone = http.Post(daans.c_str(), httplib::Params{{"score", "5"}, {"comment", "Daan, 06-1"}});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 410);
  get.set_id(erased.id());
  status = server.Desk()->GetInquiry(Admin().get(), get, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(stored.has_feedback());
}

// A feedback request waits for its time in the queue's timer; feedback recorded first, or the
// asker's data erased, drops it unsent.
TEST_F(EmailTest, AWaitingFeedbackRequestGoesWhenFeedbackComesFirstOrTheAskerIsErased) {
  auto waiting = [] {
    int count = 0;
    for (const auto& job : MailJobs())
      count += job.at("type") == "inquiry.feedback" && job.at("st") == "timed" && job.count("to");
    return count;
  };
  const int before = waiting();  // other tests' requests wait a day
  SmtpServer relay(RelayOptions(*certs_));
  Config config = MailConfig(*certs_, relay.port());
  config.http.listen = "127.0.0.1:0";
  config.email.feedback_after_s = 3600;
  TestServer server(redis_->url(), config);
  const std::string token = Partner(server, "epe-energie", "Energiewerkplaats Epe");
  const std::string neighbour = Partner(server, "olst-metaal", "Metaalwerkplaats Olst");
  const dsk::Inquiry first = Ask(server, token, "epe-energie", "nl", "Fenna", "fenna@example.nl");
  const dsk::Inquiry second = Ask(server, token, "epe-energie", "nl", "Gijs", "gijs@example.nl");
  // The same person asks another partner: erasing them at Epe leaves Olst's request waiting.
  const dsk::Inquiry third = Ask(server, neighbour, "olst-metaal", "nl", "Gijs", "Gijs@example.nl");
  Resolved(server, first.id());
  Resolved(server, second.id());
  Resolved(server, third.id());
  ASSERT_EQ(relay.WaitFor(6).size(), 6u);  // received and resolved, three times
  for (int i = 0; i < 200 && waiting() < before + 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(waiting(), before + 3);

  dsk::RecordFeedbackRequest record;
  record.set_id(first.id());
  record.mutable_feedback()->set_score(3);
  dsk::Inquiry stored;
  auto status = server.Desk()->RecordFeedback(TestServer::Context(token).get(), record, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (int i = 0; i < 200 && waiting() > before + 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(waiting(), before + 2);

  dsk::EraseAskerRequest erase;
  erase.set_id(second.id());
  status = server.Desk()->EraseAsker(TestServer::Context(token).get(), erase, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(stored.has_contact());
  EXPECT_EQ(waiting(), before + 1);  // at once: this question's request is gone, Olst's waits
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(relay.WaitFor(7, 1).size(), 6u) << "nothing sent early";
}

// A request that waits is sent as its recipient wants it when it goes (all e-mails turned off
// meanwhile: not at all), and is dated when it goes.
TEST_F(EmailTest, AWaitingFeedbackRequestFollowsPreferencesChangedMeanwhileAndIsDatedWhenSent) {
  SmtpServer relay(RelayOptions(*certs_));
  Config config = MailConfig(*certs_, relay.port());
  config.http.listen = "127.0.0.1:0";
  config.email.feedback_after_s = 3;
  TestServer server(redis_->url(), config);
  const std::string token = Partner(server, "raalte-robot", "Robotlab Raalte");
  const dsk::Inquiry quiet = Ask(server, token, "raalte-robot", "nl", "Hanna", "hanna@example.nl");
  const dsk::Inquiry asked = Ask(server, token, "raalte-robot", "nl", "Ivo", "ivo@example.nl");
  ASSERT_EQ(relay.WaitFor(2).size(), 2u);
  Resolved(server, quiet.id());
  Resolved(server, asked.id());
  auto messages = relay.WaitFor(4);
  ASSERT_EQ(messages.size(), 4u);
  const SmtpServer::Message* hanna = nullptr;
  const SmtpServer::Message* ivo = nullptr;
  for (const auto& m : messages) {
    if (m.subject == "Uw vraag is afgehandeld (" + quiet.id() + ")") hanna = &m;
    if (m.subject == "Uw vraag is afgehandeld (" + asked.id() + ")") ivo = &m;
  }
  ASSERT_NE(hanna, nullptr);
  ASSERT_NE(ivo, nullptr);
  const std::string header = "\r\nList-Unsubscribe: <";
  const size_t at = hanna->raw.find(header);
  ASSERT_NE(at, std::string::npos);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.server().http_port());
  const std::string url =
      hanna->raw.substr(at + header.size(), hanna->raw.find(">\r\n", at) - at - header.size());
  httplib::Client http("127.0.0.1", server.server().http_port());
  http.set_read_timeout(10);
  auto off =
      http.Post(url.substr(base.size()).c_str(), "do=off-all", "application/x-www-form-urlencoded");
  ASSERT_TRUE(off);
  ASSERT_EQ(off->status, 200);
  const std::string resolved_raw = ivo->raw;  // `messages` is read anew below

  messages = relay.WaitFor(5);
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages[4].rcpt_tos, std::vector<std::string>{"ivo@example.nl"});
  EXPECT_EQ(messages[4].subject, "Hoe hebben we u geholpen? (" + asked.id() + ")");
  auto date = [](const std::string& raw) {
    const size_t from = raw.find("\r\nDate: ");
    return from == std::string::npos ? std::string()
                                     : raw.substr(from + 8, raw.find("\r\n", from + 2) - from - 8);
  };
  EXPECT_FALSE(date(messages[4].raw).empty());
  EXPECT_NE(date(messages[4].raw), date(resolved_raw))
      << "dated when it went, not at the resolution";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(relay.WaitFor(6, 2).size(), 5u) << "all e-mails off: Hanna's request is not sent";
  for (const auto& job : MailJobs())  // done, and holds no address
    if (job.at("type") == "inquiry.feedback" && job.at("st") != "timed") {
      EXPECT_EQ(job.count("to"), 0u);
    }
}

}  // namespace infrashare::testing

namespace infrashare::testing {

// The booker who gives an address hears of their booking: confirmed, rejected (with the reason),
// promoted from the waiting list (with the hold's deadline) and released as a no-show. The address
// rides on no answer or event, is exported, and once erased nothing more is sent.
TEST_F(EmailTest, TheBookerHearsOfTheirBookingAtTheAddressTheyGave) {
  SmtpServer relay(RelayOptions(*certs_));
  Config config = MailConfig(*certs_, relay.port());
  config.scheduler.time_step_s = 1;      // a booking can start in five seconds
  config.scheduler.no_show_grace_s = 1;  // and be released a second later
  TestServer server(redis_->url(), config);
  const std::string booker = Partner(server, "zwolle-roc", "ROC Zwolle");
  const std::string other = Partner(server, "kampen-bouw", "Bouwbedrijf Kampen");
  const std::string owner_org = "werkplaats-oost";
  Partner(server, owner_org, "Werkplaats Oost");
  const std::string owner = server.Token(owner_org, {auth::v1::ROLE_ORGANIZATION_ADMIN});
  auto resource = [&](const std::string& name, bool approval) {
    reg::CreateResourceRequest create;
    reg::Resource* r = create.mutable_resource();
    r->set_display_name(name);
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id(owner_org);
    r->mutable_location()->mutable_point()->set_latitude(52.51);
    r->mutable_location()->mutable_point()->set_longitude(6.09);
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_capacity(1);
    r->set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    r->set_approval_required(approval);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::Resource made;
    auto status = server.Registry()->CreateResource(Admin().get(), create, &made);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return made.id();
  };
  const std::string lab = resource("Laslab één", false);
  const std::string cleanroom = resource("Cleanroom Ĳssel", true);
  auto book = [&](const std::string& token, const std::string& id, int64_t start, int64_t end,
                  const std::string& email, sch::Booking* out) {
    sch::CreateBookingRequest request;
    request.set_resource_id(id);
    request.mutable_start_time()->set_seconds(start);
    request.mutable_end_time()->set_seconds(end);
    request.set_title("Practicum 2B");
    request.set_contact_email(email);
    grpc::Status status;
    for (int attempt = 0; attempt < 100; ++attempt) {  // until the scheduler knows the resource
      status = server.Scheduler()->CreateBooking(TestServer::Context(token).get(), request, out);
      if (status.error_code() != grpc::StatusCode::NOT_FOUND) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return status;
  };
  const int64_t day = 1804147200;  // 2027-03-04 08:00 UTC, 09:00 in Zwolle

  // What e-mails cannot go to is refused, naming the field.
  sch::Booking booking;
  grpc::Status status = book(booker, lab, day, day + 3600, "Jan <jan@roc.example.nl>", &booking);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "contact_email")) << status.error_message();
  // Nor what would smuggle in another recipient or header, nor what no relay takes: on a booking
  // and on the waiting list alike.
  const std::vector<std::string> malformed = {
      "jan@roc.example.nl\r\nBcc: all@roc.example.nl",
      "jan@roc.example.nl\nSubject: gratis",
      "jan@roc.example.nl, piet@roc.example.nl",
      "\"jan bakker\"@roc.example.nl",
      "jan\u200b@roc.example.nl",
      "jan@roc.example.nl\u200b",
      std::string(1 << 20, 'a') + "@roc.example.nl",
      "jan@",
      "@roc.example.nl",
      "jan",
  };
  for (const std::string& address : malformed) {
    status = book(booker, lab, day, day + 3600, address, &booking);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << address.substr(0, 60);
    EXPECT_TRUE(absl::StrContains(status.error_message(), "contact_email"))
        << status.error_message().substr(0, 200);
    sch::JoinWaitlistRequest join;
    join.set_resource_id(lab);
    join.mutable_start_time()->set_seconds(day);
    join.mutable_end_time()->set_seconds(day + 3600);
    join.set_contact_email(address);
    sch::WaitlistEntry refused;
    status = server.Scheduler()->JoinWaitlist(TestServer::Context(other).get(), join, &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << address.substr(0, 60);
  }

  // Confirmed at once.
  status = book(booker, lab, day, day + 3600, " Jan.Bakker@ROC.example.nl ", &booking);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(absl::StrContains(booking.DebugString(), "Bakker")) << "kept apart";
  auto messages = relay.WaitFor(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].rcpt_tos, std::vector<std::string>{"Jan.Bakker@ROC.example.nl"});
  EXPECT_EQ(messages[0].subject, "Boeking bevestigd: Laslab één");
  EXPECT_TRUE(
      absl::StrContains(messages[0].text, "Van: 2027-03-04 09:00 (+01:00, Europe/Amsterdam)"))
      << messages[0].text;
  EXPECT_TRUE(absl::StrContains(messages[0].text, "Kenmerk: " + booking.id())) << messages[0].text;
  EXPECT_TRUE(absl::StrContains(messages[0].text, "voor ROC Zwolle")) << messages[0].text;

  // Waiting for the taken slot, then promoted when it frees: with the hold's deadline.
  sch::JoinWaitlistRequest wait;
  wait.set_resource_id(lab);
  wait.mutable_start_time()->set_seconds(day);
  wait.mutable_end_time()->set_seconds(day + 3600);
  wait.set_contact_email("wachtende@kampen.example.nl");
  sch::WaitlistEntry entry;
  status = server.Scheduler()->JoinWaitlist(TestServer::Context(other).get(), wait, &entry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  sch::CancelBookingRequest cancel;
  cancel.set_id(booking.id());
  cancel.set_reason("klas ziek");
  status = server.Scheduler()->CancelBooking(TestServer::Context(booker).get(), cancel, &booking);
  ASSERT_TRUE(status.ok()) << status.error_message();
  messages = relay.WaitFor(3);
  ASSERT_EQ(messages.size(), 3u);
  const SmtpServer::Message* promoted = To(messages, "wachtende@kampen.example.nl");
  ASSERT_NE(promoted, nullptr);
  EXPECT_EQ(promoted->subject, "Plek vrijgekomen: Laslab één");
  EXPECT_TRUE(absl::StrContains(promoted->text, "voor u vastgehouden tot 20")) << promoted->text;
  EXPECT_TRUE(absl::StrContains(promoted->text, "infrashare booking submit " + entry.id()))
      << promoted->text;
  const SmtpServer::Message* cancelled =
      messages[1].subject == promoted->subject ? &messages[2] : &messages[1];
  EXPECT_EQ(cancelled->rcpt_tos, std::vector<std::string>{"Jan.Bakker@ROC.example.nl"});
  EXPECT_EQ(cancelled->subject, "Boeking geannuleerd: Laslab één");
  EXPECT_TRUE(absl::StrContains(cancelled->text, "Reden: klas ziek")) << cancelled->text;

  // Asked for approval, then rejected with a reason.
  status = book(booker, cleanroom, day, day + 3600, "jan.bakker@roc.example.nl", &booking);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(booking.state(), sch::BOOKING_STATE_PENDING_APPROVAL);
  sch::RejectBookingRequest reject;
  reject.set_id(booking.id());
  reject.set_reason("onderhoud aan de luchtbehandeling");
  status = server.Scheduler()->RejectBooking(TestServer::Context(owner).get(), reject, &booking);
  ASSERT_TRUE(status.ok()) << status.error_message();
  messages = relay.WaitFor(4);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[3].subject, "Boeking afgewezen: Cleanroom Ĳssel");
  EXPECT_TRUE(absl::StrContains(messages[3].text, "Reden: onderhoud aan de luchtbehandeling"))
      << messages[3].text;

  // Confirmed, not checked in: released as a no-show a second after its start.
  const int64_t soon = absl::ToUnixSeconds(absl::Now()) + 5;
  status = book(booker, lab, soon, soon + 600, "jan.bakker@roc.example.nl", &booking);
  ASSERT_TRUE(status.ok()) << status.error_message();
  messages = relay.WaitFor(6);
  ASSERT_EQ(messages.size(), 6u);
  EXPECT_EQ(messages[4].subject, "Boeking bevestigd: Laslab één");
  EXPECT_EQ(messages[5].subject, "Boeking vrijgegeven: Laslab één");
  EXPECT_TRUE(absl::StrContains(messages[5].text, "Kenmerk: " + booking.id())) << messages[5].text;

  // No event on the streams carries an address.
  for (absl::string_view key :
       absl::StrSplit(redis_->Cli("--scan --pattern '*{bk:*}:events'"), '\n', absl::SkipEmpty()))
    EXPECT_FALSE(absl::StrContains(redis_->Cli("XRANGE '" + std::string(key) + "' - +"), "@"))
        << key;

  // One more, to change once the address is erased.
  sch::Booking later;
  status = book(booker, lab, day + 7200, day + 9000, "jan.bakker@roc.example.nl", &later);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(relay.WaitFor(7).size(), 7u);

  // The address is the person's: exported with what it was given for, and erased.
  auto privacy = privacy::v1::PrivacyService::NewStub(server.channel());
  privacy::v1::ExportPersonalDataRequest lookup;
  lookup.set_email("JAN.BAKKER@roc.example.nl");
  privacy::v1::PersonalData held;
  status = privacy->ExportPersonalData(Admin().get(), lookup, &held);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> states;
  for (const auto& b : held.booking_contacts()) states.insert(b.state());
  EXPECT_EQ(held.booking_contacts_size(), 4);
  EXPECT_EQ(states, (std::set<std::string>{"CANCELLED", "REJECTED", "NO_SHOW", "CONFIRMED"}));
  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email("jan.bakker@roc.example.nl");
  privacy::v1::ErasePersonalDataResponse erased;
  status = privacy->ErasePersonalData(Admin().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.booking_contacts(), 4);
  status = privacy->ExportPersonalData(Admin().get(), lookup, &held);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(held.booking_contacts_size(), 0);
  // Erased: its cancellation is told to nobody.
  cancel.set_id(later.id());
  status = server.Scheduler()->CancelBooking(TestServer::Context(booker).get(), cancel, &later);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(relay.WaitFor(8, 3).size(), 7u);
}

}  // namespace infrashare::testing
