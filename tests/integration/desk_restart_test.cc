// A desk replica restarted against a Redis that holds work from before: an offer whose deadline
// passed while no replica ran, and an inquiry accepted but never read from the dispatch stream.
// The restarted server reports the desk SERVING only once its dispatcher and deadline loop run:
// by then the overdue offer has timed out, and soon after both inquiries are offered. Real server
// processes, real Redis (cluster mode when INFRASHARE_TEST_REDIS_CLUSTER=1).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/desk/v1/desk.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/embedded_lua.h"
#include "services/desk/desk_store.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
using namespace desk::v1;
using grpc::health::v1::HealthCheckResponse;

// One responder's offer lapses a few seconds after it is made; the others wait hours. One
// responder at a time, so a lapsed offer goes to the next.
const std::map<std::string, std::string> kEnv = {
    {"INFRASHARE_DESK_ACCEPT_S_HIGH", "4"},
    {"INFRASHARE_DESK_POOL_SIZE", "1"},
    {"INFRASHARE_DESK_TIMER_INTERVAL_MS", "50"},
};

constexpr char kDesk[] = "infrashare.desk.v1.DeskService";

HealthCheckResponse::ServingStatus HealthOf(const ServerProcess& server, const char* service) {
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.health_port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) return HealthCheckResponse::UNKNOWN;
  return response.status();
}

Inquiry Get(DeskService::Stub* desk, const std::string& id) {
  GetInquiryRequest request;
  request.set_id(id);
  Inquiry inquiry;
  auto status = desk->GetInquiry(TestServer::Context(kAdminToken).get(), request, &inquiry);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return inquiry;
}

int Count(const Inquiry& inquiry, HistoryKind kind) {
  int n = 0;
  for (const auto& h : inquiry.history()) n += h.kind() == kind ? 1 : 0;
  return n;
}

int64_t Ms(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

// A network with three responders and one high-urgency inquiry offered to one of them, made
// through a server that then stops (SIGTERM) before the offer's deadline. Returns the inquiry with
// its open offer.
void OfferThenStop(const RedisServer& redis, Inquiry* open_offer) {
  ServerProcess before(INFRASHARE_SERVER_BIN, redis.url(), kEnv);
  ASSERT_TRUE(before.WaitUntilServing());
  auto registry = reg::RegistryService::NewStub(before.channel());
  auto tokens = auth::v1::TokenService::NewStub(before.channel());
  auto desk = DeskService::NewStub(before.channel());
  auto admin = [] { return TestServer::Context(kAdminToken); };
  for (const char* org : {"bakery-zwolle", "perron038"}) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(org);
    request.mutable_organization()->set_display_name(org);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    reg::Organization created;
    ASSERT_TRUE(registry->CreateOrganization(admin().get(), request, &created).ok());
  }
  reg::CreateNetworkRequest network;
  network.set_network_id("techoost");
  network.mutable_network()->set_display_name("TechOost");
  network.mutable_network()->add_member_organization_ids("bakery-zwolle");
  network.mutable_network()->add_member_organization_ids("perron038");
  reg::Network created_network;
  ASSERT_TRUE(registry->CreateNetwork(admin().get(), network, &created_network).ok());
  for (const char* name :
       {"Perron038 desk", "Caf\xC3\xA9 \xC3\x91 desk", "'s-Hertogenbosch desk"}) {
    CreateResponderRequest request;
    request.mutable_responder()->set_organization_id("perron038");
    request.mutable_responder()->set_display_name(name);
    request.mutable_responder()->add_skills(NEED_TYPE_INNOVATION);
    request.mutable_responder()->set_capacity(100);
    request.mutable_responder()->set_online(true);
    Responder created;
    ASSERT_TRUE(desk->CreateResponder(admin().get(), request, &created).ok());
  }
  auth::v1::CreateTokenRequest token_request;
  token_request.set_organization_id("bakery-zwolle");
  token_request.add_roles(auth::v1::ROLE_MEMBER);
  auth::v1::CreateTokenResponse bakery;
  ASSERT_TRUE(tokens->CreateToken(admin().get(), token_request, &bakery).ok());

  SubmitInquiryRequest submit;
  submit.set_need_type(NEED_TYPE_INNOVATION);
  submit.set_text("Wie helpt ons in Zwolle met een digital twin van de oven?");
  submit.set_urgency(URGENCY_HIGH);
  Inquiry submitted;
  auto status = desk->SubmitInquiry(TestServer::Context(bakery.token()).get(), submit, &submitted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (int n = 0; n < 200; ++n) {
    *open_offer = Get(desk.get(), submitted.id());
    if (open_offer->state() == INQUIRY_STATE_OFFERED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(open_offer->state(), INQUIRY_STATE_OFFERED);
  ASSERT_EQ(before.Terminate(), 0);
}

// Sleeps until `deadline_ms` has passed (bounded: deadlines here are seconds away).
void LetPass(int64_t deadline_ms) {
  for (int n = 0; n < 200 && NowMs() <= deadline_ms + 200; ++n)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GT(NowMs(), deadline_ms + 200);
}

TEST(DeskRestart, DeskIsServingOnlyOnceOverdueOffersAreTakenBackAndWaitingWorkIsOffered) {
  RedisServer redis(ClusterModeRequested());
  Inquiry open_offer;
  ASSERT_NO_FATAL_FAILURE(OfferThenStop(redis, &open_offer));
  // Deadlines fall on whole seconds.
  EXPECT_EQ(open_offer.offer_deadline().nanos(), 0) << open_offer.offer_deadline().DebugString();
  const std::string overdue_id = open_offer.id();
  const int64_t overdue_deadline_ms = Ms(open_offer.offer_deadline());

  // With no replica running: the offer is still open, and an inquiry is accepted (as by a replica
  // that died right after) whose dispatch work nobody has read.
  RedisConfig redis_config;
  redis_config.url = redis.url();
  auto pool = RedisPool::Create(redis_config);
  ASSERT_TRUE(pool.ok()) << pool.status();
  (*pool)->AddFunctionLibrary(std::string(kDeskLua));
  desk::RedisDeskStore store(pool->get(), DeskConfig{});
  auto still = store.GetInquiry(overdue_id, false);
  ASSERT_TRUE(still.ok() && still->has_value());
  ASSERT_EQ((*still)->inquiry.state(), INQUIRY_STATE_OFFERED)
      << "the first server took the offer back before it stopped; the test needs it open";
  Inquiry waiting;
  waiting.set_id("inq_waiting_in_the_stream");
  waiting.set_network_id("techoost");
  waiting.set_entry_organization_id("bakery-zwolle");
  waiting.set_need_type(NEED_TYPE_INNOVATION);
  waiting.set_text("Kan iemand in 's-Hertogenbosch onze lasrobot bekijken?");
  waiting.set_urgency(URGENCY_NORMAL);
  waiting.set_language("nl");
  AskerContact contact;
  contact.set_name("Caf\xC3\xA9 \xC3\x91");
  ASSERT_TRUE(store.Submit(waiting, contact, "tok_entry", "").ok());
  // The offer's deadline passes while nothing runs.
  ASSERT_NO_FATAL_FAILURE(LetPass(overdue_deadline_ms));

  ServerProcess after(INFRASHARE_SERVER_BIN, redis.url(), kEnv);
  auto desk = DeskService::NewStub(after.channel());
  bool serving = false;
  for (int n = 0; n < 500 && !serving; ++n) {
    serving = HealthOf(after, kDesk) == HealthCheckResponse::SERVING;
    if (!serving) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(serving) << "the restarted desk never became SERVING";
  // SERVING means the deadline loop has run: the overdue offer is already taken back.
  EXPECT_GE(Count(Get(desk.get(), overdue_id), HISTORY_KIND_TIMED_OUT), 1);

  // And dispatch runs: the overdue inquiry goes to another responder, the waiting one is offered.
  Inquiry overdue;
  Inquiry offered;
  for (int n = 0; n < 500; ++n) {
    overdue = Get(desk.get(), overdue_id);
    offered = Get(desk.get(), waiting.id());
    if (Count(overdue, HISTORY_KIND_OFFERED) >= 2 && offered.state() == INQUIRY_STATE_OFFERED)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(Count(overdue, HISTORY_KIND_OFFERED), 2) << overdue.DebugString();
  ASSERT_EQ(offered.state(), INQUIRY_STATE_OFFERED) << offered.DebugString();
  EXPECT_EQ(offered.offer_deadline().nanos(), 0) << offered.offer_deadline().DebugString();
  EXPECT_GT(Ms(offered.offer_deadline()), NowMs());
}

// The order, made visible: while the restarted replica cannot complete a pass over due deadlines
// (their timer key is unreadable), the rest of the server is SERVING and the desk is not; once the
// key is readable again the desk turns SERVING, and by then the lapsed offer has been taken back.
TEST(DeskRestart, DeskIsNotServingWhileItsDeadlinesCannotBeApplied) {
  RedisServer redis(ClusterModeRequested());
  Inquiry open_offer;
  ASSERT_NO_FATAL_FAILURE(OfferThenStop(redis, &open_offer));
  ASSERT_NO_FATAL_FAILURE(LetPass(Ms(open_offer.offer_deadline())));
  // A string where the timers' sorted set belongs: dk_due fails on its first read, writing
  // nothing. No dispatch work is waiting, so nothing else touches the key meanwhile.
  redis.Cli("RENAME 'is:{dk}:tm' 'is:{dk}:tm-aside'");
  redis.Cli("SET 'is:{dk}:tm' unreadable");

  ServerProcess after(INFRASHARE_SERVER_BIN, redis.url(), kEnv);
  auto desk = DeskService::NewStub(after.channel());
  constexpr char kRegistry[] = "infrashare.registry.v1.RegistryService";
  bool registry_serving = false;
  for (int n = 0; n < 500 && !registry_serving; ++n) {
    registry_serving = HealthOf(after, kRegistry) == HealthCheckResponse::SERVING;
    if (!registry_serving) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(registry_serving);
  // The same health round that made the registry SERVING judged the desk; a few more rounds.
  for (int n = 0; n < 5; ++n) {
    EXPECT_EQ(HealthOf(after, kDesk), HealthCheckResponse::NOT_SERVING) << "round " << n;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Get(desk.get(), open_offer.id()).state(), INQUIRY_STATE_OFFERED);

  // One step (RENAME replaces the string): between a DEL and a RENAME, a pass over no timers at
  // all would succeed and turn the desk SERVING before the lapsed offer is taken back.
  redis.Cli("RENAME 'is:{dk}:tm-aside' 'is:{dk}:tm'");
  bool serving = false;
  for (int n = 0; n < 500 && !serving; ++n) {
    serving = HealthOf(after, kDesk) == HealthCheckResponse::SERVING;
    if (!serving) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(serving);
  EXPECT_GE(Count(Get(desk.get(), open_offer.id()), HISTORY_KIND_TIMED_OUT), 1);
}

}  // namespace
}  // namespace infrashare::testing
