// No webhook delivery is lost when a replica dies: two real server processes share one Redis and
// deliver to one slow receiver; one is killed with SIGKILL while it holds deliveries it has taken
// but not finished. The other claims them (XAUTOCLAIM) and every change arrives, signed; a change
// that arrives twice does so under the same webhook-id.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "infrashare/webhook/v1/webhook.grpc.pb.h"
#include "services/webhook/signature.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/test_server.h"
#include "tests/support/webhook_receiver.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace sch = scheduler::v1;
using namespace webhook::v1;

const std::map<std::string, std::string> kEnv = {
    {"INFRASHARE_WEBHOOKS_ALLOW_HTTP", "true"},
    {"INFRASHARE_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true"},
    {"INFRASHARE_WEBHOOKS_POLL_INTERVAL_MS", "20"},
    {"INFRASHARE_WEBHOOKS_TIMEOUT_MS", "1000"},
    {"INFRASHARE_WEBHOOKS_CLAIM_IDLE_MS", "2000"},
    {"INFRASHARE_WEBHOOKS_SENDERS", "2"},
    {"INFRASHARE_RATE_LIMITS_ENABLED", "false"},
};

constexpr int kBookings = 40;

// Deliveries taken from the queue and not settled by the consumers of process `pid`.
int PendingFor(const RedisServer& redis, pid_t pid) {
  const std::string out = redis.Cli("XPENDING 'is:{wh}:q' senders - + 1000");
  const std::string marker = "-" + std::to_string(pid) + "-";
  int count = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n'))
    if (line.find(marker) != absl::string_view::npos) ++count;
  return count;
}

google::protobuf::Timestamp Ahead(int slot) {
  using namespace std::chrono;
  const int64_t base =
      duration_cast<seconds>((floor<days>(system_clock::now()) + days(10)).time_since_epoch())
          .count();
  google::protobuf::Timestamp t;
  t.set_seconds(base + slot * 3600);
  return t;
}

TEST(WebhookFailover, AKilledReplicasDeliveriesAreMadeByAnotherAndNoneIsLost) {
  RedisServer redis;
  WebhookReceiver receiver;
  receiver.Delay(std::chrono::milliseconds(150));  // deliveries stay in flight a while
  ServerProcess survivor(INFRASHARE_SERVER_BIN, redis.url(), kEnv);
  ServerProcess victim(INFRASHARE_SERVER_BIN, redis.url(), kEnv);
  ASSERT_TRUE(survivor.WaitUntilServing());
  ASSERT_TRUE(victim.WaitUntilServing());
  auto registry = reg::RegistryService::NewStub(survivor.channel());
  auto tokens = auth::v1::TokenService::NewStub(survivor.channel());
  auto scheduler = sch::SchedulerService::NewStub(survivor.channel());
  auto webhooks = WebhookService::NewStub(survivor.channel());
  auto admin = [] { return TestServer::Context(kAdminToken); };

  reg::CreateOrganizationRequest org;
  org.set_organization_id("lab-owner");
  org.mutable_organization()->set_display_name("Lab owner");
  org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
  reg::Organization made_org;
  ASSERT_TRUE(registry->CreateOrganization(admin().get(), org, &made_org).ok());
  reg::CreateResourceRequest lab;
  reg::Resource* r = lab.mutable_resource();
  r->set_display_name("CNC-lab");
  r->set_kind(reg::RESOURCE_KIND_LAB);
  r->set_owner_organization_id("lab-owner");
  r->mutable_location()->mutable_point()->set_latitude(52.5);
  r->mutable_location()->mutable_point()->set_longitude(6.1);
  r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
  r->set_capacity(1);
  r->set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  reg::Resource made_lab;
  ASSERT_TRUE(registry->CreateResource(admin().get(), lab, &made_lab).ok());
  auth::v1::CreateTokenRequest token_request;
  token_request.set_organization_id("lab-owner");
  token_request.add_roles(auth::v1::ROLE_ORGANIZATION_ADMIN);
  auth::v1::CreateTokenResponse owner;
  ASSERT_TRUE(tokens->CreateToken(admin().get(), token_request, &owner).ok());
  CreateWebhookSubscriptionRequest subscribe;
  subscribe.set_target_url(receiver.Url("/planning"));
  subscribe.add_event_types(WEBHOOK_EVENT_TYPE_BOOKING);
  WebhookSubscription sub;
  ASSERT_TRUE(
      webhooks->CreateWebhookSubscription(TestServer::Context(owner.token()).get(), subscribe, &sub)
          .ok());

  std::set<std::string> booked;
  for (int n = 0; n < kBookings; ++n) {
    sch::CreateBookingRequest request;
    request.set_resource_id(made_lab.id());
    *request.mutable_start_time() = Ahead(n);
    *request.mutable_end_time() = Ahead(n + 1);
    request.set_title("slot " + std::to_string(n));
    sch::Booking booking;
    grpc::Status status;
    for (int attempt = 0; attempt < 100; ++attempt) {  // until the scheduler knows the lab
      status =
          scheduler->CreateBooking(TestServer::Context(owner.token()).get(), request, &booking);
      if (status.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    booked.insert(booking.id());
  }

  // Kill the victim while it holds deliveries it took and has not finished.
  bool holds_work = false;
  for (int i = 0; i < 500 && !holds_work; ++i) {
    holds_work = PendingFor(redis, victim.pid()) > 0;
    if (!holds_work) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(holds_work) << "the victim never held a delivery";
  kill(victim.pid(), SIGKILL);

  // Every booking arrives, each under one webhook-id however often, every signature valid.
  std::map<std::string, std::set<std::string>> ids_of;
  auto all_arrived = [&](const std::vector<WebhookReceiver::Delivery>& deliveries) {
    ids_of.clear();
    for (const auto& d : deliveries) {
      WebhookPayload payload;
      if (!google::protobuf::util::JsonStringToMessage(d.body, &payload).ok()) continue;
      ids_of[payload.data().booking().booking().id()].insert(d.id);
    }
    for (const auto& id : booked)
      if (!ids_of.count(id)) return false;
    return true;
  };
  const bool arrived = receiver.WaitFor("/planning", all_arrived, std::chrono::seconds(90));
  std::vector<std::string> missing;
  for (const auto& id : booked)
    if (!ids_of.count(id)) missing.push_back(id);
  ASSERT_TRUE(arrived) << missing.size() << " of " << kBookings << " bookings never arrived";
  for (const auto& [booking, ids] : ids_of)
    EXPECT_EQ(ids.size(), 1u) << booking << " arrived under more than one webhook-id";
  const auto deliveries = receiver.Received("/planning");
  EXPECT_GE(deliveries.size(), booked.size());
  std::cout << kBookings << " bookings, " << deliveries.size()
            << " deliveries received (the surplus: sent again after the kill)\n";
  for (const auto& d : deliveries) {
    int64_t timestamp = 0;
    ASSERT_TRUE(absl::SimpleAtoi(d.timestamp, &timestamp));
    EXPECT_TRUE(webhook::Verify(sub.secret(), d.signature, d.id, timestamp, d.body)) << d.id;
  }
}

}  // namespace
}  // namespace infrashare::testing
