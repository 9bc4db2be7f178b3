// The desk never loses an inquiry when a replica dies: two real server processes share one Redis;
// one is frozen while it holds dispatch work it has read but not finished, then killed with
// SIGKILL. The other takes the work over (XAUTOCLAIM) and every inquiry is offered; deadlines live
// in Redis and fire without the dead replica.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/desk/v1/desk.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
using namespace desk::v1;

const std::map<std::string, std::string> kEnv = {
    {"INFRASHARE_DESK_CLAIM_IDLE_MS", "500"},
    {"INFRASHARE_DESK_ACCEPT_S_HIGH", "1"},
    {"INFRASHARE_DESK_TIMER_INTERVAL_MS", "50"},
};

// Dispatch entries pending (read, not acknowledged) for the consumer of process `pid`.
int PendingFor(const RedisServer& redis, pid_t pid) {
  const std::string out = redis.Cli("XPENDING 'is:{dk}:dq' dispatchers - + 1000");
  const std::string marker = "-" + std::to_string(pid) + "-";
  int count = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n'))
    if (line.find(marker) != absl::string_view::npos) ++count;
  return count;
}

TEST(DeskFailover, AKilledReplicasDispatchWorkIsTakenOverAndNoInquiryIsLost) {
  RedisServer redis;
  ServerProcess survivor(INFRASHARE_SERVER_BIN, redis.url(), kEnv);
  ServerProcess victim(INFRASHARE_SERVER_BIN, redis.url(), kEnv);
  ASSERT_TRUE(survivor.WaitUntilServing());
  ASSERT_TRUE(victim.WaitUntilServing());
  auto registry = reg::RegistryService::NewStub(survivor.channel());
  auto tokens = auth::v1::TokenService::NewStub(survivor.channel());
  auto desk = DeskService::NewStub(survivor.channel());
  auto admin = [] { return TestServer::Context(kAdminToken); };

  for (const char* org : {"bakery", "lab"}) {
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
  network.mutable_network()->add_member_organization_ids("bakery");
  network.mutable_network()->add_member_organization_ids("lab");
  reg::Network created_network;
  ASSERT_TRUE(registry->CreateNetwork(admin().get(), network, &created_network).ok());
  auth::v1::CreateTokenRequest token_request;
  token_request.set_organization_id("bakery");
  token_request.add_roles(auth::v1::ROLE_MEMBER);
  auth::v1::CreateTokenResponse bakery;
  ASSERT_TRUE(tokens->CreateToken(admin().get(), token_request, &bakery).ok());
  for (int n = 0; n < 3; ++n) {
    CreateResponderRequest request;
    request.mutable_responder()->set_organization_id("lab");
    request.mutable_responder()->set_display_name("lab desk " + std::to_string(n));
    request.mutable_responder()->add_skills(NEED_TYPE_INNOVATION);
    request.mutable_responder()->set_capacity(1000);
    request.mutable_responder()->set_online(true);
    Responder created;
    ASSERT_TRUE(desk->CreateResponder(admin().get(), request, &created).ok());
  }

  std::vector<std::string> ids;
  auto submit = [&](Urgency urgency) {
    SubmitInquiryRequest request;
    request.set_need_type(NEED_TYPE_INNOVATION);
    request.set_text("question " + std::to_string(ids.size()));
    request.set_urgency(urgency);
    Inquiry out;
    auto status = desk->SubmitInquiry(TestServer::Context(bakery.token()).get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ids.push_back(out.id());
  };

  // Freeze the victim while it waits for dispatch work, then submit: Redis hands some of the work
  // to the frozen replica, which holds it unacknowledged. Retry until it holds some (it only does
  // when it was blocked in XREADGROUP at the moment it froze).
  bool holds_work = false;
  for (int round = 0; round < 10 && !holds_work; ++round) {
    kill(victim.pid(), SIGSTOP);
    for (int n = 0; n < 5; ++n) submit(URGENCY_NORMAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    holds_work = PendingFor(redis, victim.pid()) > 0;
    if (!holds_work) {
      kill(victim.pid(), SIGCONT);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  ASSERT_TRUE(holds_work) << "the frozen replica never held dispatch work";
  submit(URGENCY_HIGH);  // its offer lapses after a second, with only the survivor left to notice
  kill(victim.pid(),
       SIGKILL);  // reaped by ServerProcess at the end; its pid stays reserved till then

  // Every inquiry is offered, the ones the dead replica held included.
  for (const auto& id : ids) {
    Inquiry inquiry;
    for (int i = 0; i < 200; ++i) {
      GetInquiryRequest get;
      get.set_id(id);
      ASSERT_TRUE(desk->GetInquiry(admin().get(), get, &inquiry).ok());
      if (inquiry.state() == INQUIRY_STATE_OFFERED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(inquiry.state(), INQUIRY_STATE_OFFERED) << id;
  }
  EXPECT_EQ(PendingFor(redis, victim.pid()), 0);

  // The high-urgency offer timed out and moved on.
  Inquiry high;
  bool timed_out = false;
  for (int i = 0; i < 200 && !timed_out; ++i) {
    GetInquiryRequest get;
    get.set_id(ids.back());
    ASSERT_TRUE(desk->GetInquiry(admin().get(), get, &high).ok());
    for (const auto& h : high.history())
      timed_out = timed_out || h.kind() == HISTORY_KIND_TIMED_OUT;
    if (!timed_out) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(timed_out);
}

}  // namespace
}  // namespace infrashare::testing
