// What happens when things fail: Redis dies and comes back, the server gets SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/server_process.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

using namespace registry::v1;

// Polls `probe` until it returns true or ~15 s pass; returns the last answer.
template <typename Probe>
bool Eventually(Probe probe) {
  for (int i = 0; i < 150; ++i) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok())
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  return response.status();
}

grpc::Status CreateOrg(TestServer& server, const std::string& id) {
  CreateOrganizationRequest request;
  request.set_organization_id(id);
  request.mutable_organization()->set_display_name(id);
  request.mutable_organization()->set_kind(ORGANIZATION_KIND_COMPANY);
  Organization out;
  return server.Registry()->CreateOrganization(TestServer::Context(kAdminToken).get(), request,
                                               &out);
}

// An organisation "owner" and an exclusive lab of it.
grpc::Status CreateLab(TestServer& server, const std::string& id) {
  if (auto org = CreateOrg(server, "owner"); !org.ok()) return org;
  CreateResourceRequest create;
  create.set_resource_id(id);
  auto* r = create.mutable_resource();
  r->set_display_name("Lab " + id);
  r->set_kind(RESOURCE_KIND_LAB);
  r->set_owner_organization_id("owner");
  r->mutable_location()->mutable_point()->set_latitude(52);
  r->mutable_location()->mutable_point()->set_longitude(5);
  Resource lab;
  return server.Registry()->CreateResource(TestServer::Context(kAdminToken).get(), create, &lab);
}

// Books hour `hour` after 2100-01-01 on `lab` for "owner", as the bootstrap admin (whose token
// needs no Redis: a Redis that comes back empty has no tokens).
grpc::Status BookHour(TestServer& server, const std::string& lab, int64_t hour,
                      scheduler::v1::Booking* out) {
  scheduler::v1::CreateBookingRequest request;
  request.set_resource_id(lab);
  request.mutable_start_time()->set_seconds(4102444800 + hour * 3600);
  request.mutable_end_time()->set_seconds(4102444800 + hour * 3600 + 3600);
  request.set_quantity(1);
  request.set_organization_id("owner");
  return server.Scheduler()->CreateBooking(TestServer::Context(kAdminToken).get(), request, out);
}

TEST(Resilience, RedisOutageAnswersUnavailableAndTheServerRecoversByItself) {
  RedisServer redis;
  TestServer server(redis.url());
  ASSERT_TRUE(CreateOrg(server, "before").ok());
  const std::string registry = "infrashare.registry.v1.RegistryService";
  ASSERT_TRUE(Eventually([&] {
    return Health(server.channel(), registry) == grpc::health::v1::HealthCheckResponse::SERVING;
  }));

  redis.Stop();
  GetOrganizationRequest get;
  get.set_id("before");
  Organization org;
  auto status =
      server.Registry()->GetOrganization(TestServer::Context(kAdminToken).get(), get, &org);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(CreateOrg(server, "during").error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Eventually([&] {
    return Health(server.channel(), registry) == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  }));
  EXPECT_TRUE(Eventually([&] {
    return Health(server.channel(), "") == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  }));

  // Redis comes back empty (no persistence here): the functions must be loaded again by the server.
  redis.Start();
  // The first call after Redis is back succeeds: no stale connection or back-off answers for it.
  const auto after = CreateOrg(server, "after");
  EXPECT_TRUE(after.ok()) << after.error_message();
  EXPECT_TRUE(Eventually([&] {
    return Health(server.channel(), registry) == grpc::health::v1::HealthCheckResponse::SERVING;
  }));
}

TEST(Resilience, BookingsAnswerUnavailableDuringAnOutageAndWorkAfterIt) {
  RedisServer redis;
  TestServer server(redis.url());
  server.WaitUntilServing();
  ASSERT_TRUE(CreateLab(server, "outage-lab").ok());
  scheduler::v1::Booking out;
  auto book = [&](int64_t hour) { return BookHour(server, "outage-lab", hour, &out); };
  ASSERT_TRUE(book(0).ok());
  redis.Stop();
  EXPECT_EQ(book(1).error_code(), grpc::StatusCode::UNAVAILABLE);
  redis.Start();
  const auto after = book(2);
  EXPECT_TRUE(after.ok()) << after.error_message();
}

TEST(Resilience, AcknowledgedBookingsSurviveARedisCrash) {
  RedisServer redis(false, /*append_only=*/true);  // as shipped: AOF on
  TestServer server(redis.url());
  server.WaitUntilServing();
  ASSERT_TRUE(CreateLab(server, "durable-lab").ok());
  std::vector<std::string> acknowledged;
  for (int hour = 0; hour < 50; ++hour) {
    scheduler::v1::Booking out;
    ASSERT_TRUE(BookHour(server, "durable-lab", hour, &out).ok());
    acknowledged.push_back(out.id());
  }
  redis.Stop();  // kill -9 right after the last acknowledgement
  redis.Start();
  for (const auto& id : acknowledged) {
    scheduler::v1::GetBookingRequest get;
    get.set_id(id);
    scheduler::v1::Booking out;
    grpc::Status status;
    EXPECT_TRUE(Eventually([&] {
      status = server.Scheduler()->GetBooking(TestServer::Context(kAdminToken).get(), get, &out);
      return status.error_code() != grpc::StatusCode::UNAVAILABLE;
    }));
    EXPECT_TRUE(status.ok()) << id << ": " << status.error_message();
    EXPECT_EQ(out.state(), scheduler::v1::BOOKING_STATE_CONFIRMED);
  }
}

// Behind a headless Service a client keeps its connections to the pods it found first; the maximum
// connection age makes it connect (and resolve) again, so replicas added by a scale-up get calls.
TEST(Resilience, ConnectionsCloseAtTheirMaximumAgeAndClientsConnectAgain) {
  RedisServer redis;
  Config config = TestServer::DefaultConfig();
  config.grpc.max_connection_age_ms = 1000;
  TestServer server(redis.url(), config);
  server.WaitUntilServing();
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  ASSERT_EQ(Health(channel, ""), grpc::health::v1::HealthCheckResponse::SERVING);
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  // The server ends the connection by itself: the channel leaves READY with no call failing.
  EXPECT_TRUE(channel->WaitForStateChange(
      GRPC_CHANNEL_READY, std::chrono::system_clock::now() + std::chrono::seconds(60)));
  EXPECT_NE(channel->GetState(false), GRPC_CHANNEL_READY);
  EXPECT_EQ(Health(channel, ""), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(Resilience, SigtermEndsStreamsCleanlyAndExits) {
  RedisServer redis;
  ServerProcess server(INFRASHARE_SERVER_BIN, redis.url());
  ASSERT_TRUE(server.WaitUntilServing());
  auto stub = RegistryService::NewStub(server.channel());
  auto context = TestServer::Context(kAdminToken);
  WatchResourcesRequest request;
  auto reader = stub->WatchResources(context.get(), request);
  // The watch is in flight once the server has answered a call made after it on the same channel.
  GetOrganizationRequest get;
  get.set_id("nobody");
  Organization org;
  EXPECT_EQ(stub->GetOrganization(TestServer::Context(kAdminToken).get(), get, &org).error_code(),
            grpc::StatusCode::NOT_FOUND);

  kill(server.pid(), SIGTERM);
  ResourceChange change;
  while (reader->Read(&change)) {
  }
  // At once, not after the drain time (the call's own deadline is as long as the drain): the
  // client reconnects to another replica and resumes from its cursor.
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  const int wstatus = server.Terminate();
  EXPECT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

}  // namespace
}  // namespace infrashare::testing
