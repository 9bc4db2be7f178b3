// Controls against abuse by callers that hold a valid token: rate limits shared by every replica
// (two real server processes on one Redis) and the cap on open streams per token.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;

std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }

void CreateOrganization(reg::RegistryService::Stub* registry, const std::string& id) {
  reg::CreateOrganizationRequest request;
  request.set_organization_id(id);
  request.mutable_organization()->set_display_name(id);
  request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL);
  reg::Organization created;
  auto status = registry->CreateOrganization(Admin().get(), request, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

// A member token of `organization`: {secret, token id}.
std::pair<std::string, std::string> MemberToken(auth::v1::TokenService::Stub* tokens, const std::string& organization) {
  auth::v1::CreateTokenRequest request;
  request.set_organization_id(organization);
  request.add_roles(auth::v1::ROLE_MEMBER);
  auth::v1::CreateTokenResponse created;
  auto status = tokens->CreateToken(Admin().get(), request, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return {created.token(), created.info().id()};
}

grpc::Status WhoAmI(auth::v1::TokenService::Stub* tokens, const std::string& token) {
  auth::v1::WhoAmIRequest request;
  auth::v1::TokenInfo response;
  return tokens->WhoAmI(TestServer::Context(token).get(), request, &response);
}

struct Exhausted {
  double retry_s = -1;
  std::string subject;
};

// The RetryInfo and QuotaFailure of a RESOURCE_EXHAUSTED status.
Exhausted DetailsOf(const grpc::Status& status) {
  Exhausted out;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const auto& any : details.details()) {
    google::rpc::RetryInfo retry;
    google::rpc::QuotaFailure quota;
    if (any.UnpackTo(&retry)) out.retry_s = retry.retry_delay().seconds() + retry.retry_delay().nanos() / 1e9;
    if (any.UnpackTo(&quota) && quota.violations_size() > 0) out.subject = quota.violations(0).subject();
  }
  return out;
}

// One read call per 100 s sustained: the bursts below are all a test can spend, so the outcome
// does not depend on how fast it runs.
const std::map<std::string, std::string> kTightReads = {
    {"INFRASHARE_RATE_LIMITS_READ_PER_TOKEN_PER_S", "0.01"},
    {"INFRASHARE_RATE_LIMITS_READ_TOKEN_BURST", "10"},
    {"INFRASHARE_RATE_LIMITS_READ_PER_ORG_PER_S", "0.01"},
    {"INFRASHARE_RATE_LIMITS_READ_ORG_BURST", "15"},
};

TEST(RateLimits, AreSharedByEveryReplicaPerTokenAndPerOrganisation) {
  RedisServer redis;
  ServerProcess a(INFRASHARE_SERVER_BIN, redis.url(), kTightReads);
  ServerProcess b(INFRASHARE_SERVER_BIN, redis.url(), kTightReads);
  ASSERT_TRUE(a.WaitUntilServing());
  ASSERT_TRUE(b.WaitUntilServing());
  auto tokens_a = auth::v1::TokenService::NewStub(a.channel());
  auto tokens_b = auth::v1::TokenService::NewStub(b.channel());
  auto registry = reg::RegistryService::NewStub(a.channel());
  CreateOrganization(registry.get(), "roc-noord");
  CreateOrganization(registry.get(), "hanze");
  const auto [first, first_id] = MemberToken(tokens_a.get(), "roc-noord");
  const auto [second, second_id] = MemberToken(tokens_a.get(), "roc-noord");
  const auto [other, other_id] = MemberToken(tokens_a.get(), "hanze");

  // The token's burst of 10, spent alternately on both replicas: the 11th call is refused.
  for (int i = 0; i < 10; ++i) {
    auto status = WhoAmI(i % 2 == 0 ? tokens_a.get() : tokens_b.get(), first);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  for (auto* replica : {tokens_a.get(), tokens_b.get()}) {
    auto refused = WhoAmI(replica, first);
    ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
    const Exhausted details = DetailsOf(refused);
    EXPECT_GT(details.retry_s, 0);
    EXPECT_LE(details.retry_s, 100.5);  // the next call's allowance comes within one interval
    EXPECT_EQ(details.subject, "token:" + first_id + ":read");
  }

  // The organisation's burst of 15 is shared by its tokens: the second token has 5 left.
  for (int i = 0; i < 5; ++i) {
    auto status = WhoAmI(i % 2 == 0 ? tokens_b.get() : tokens_a.get(), second);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  auto organisation = WhoAmI(tokens_b.get(), second);
  ASSERT_EQ(organisation.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << organisation.error_message();
  EXPECT_EQ(DetailsOf(organisation).subject, "organization:roc-noord:read");

  // Another organisation, and other groups of calls, keep their own allowance; the operator's
  // bootstrap token is never limited.
  EXPECT_TRUE(WhoAmI(tokens_b.get(), other).ok());
  auth::v1::RevokeTokenRequest revoke;  // a write: the read limit does not apply
  revoke.set_id(second_id);
  auth::v1::RevokeTokenResponse revoked;
  auto write = tokens_a->RevokeToken(TestServer::Context(first).get(), revoke, &revoked);
  EXPECT_NE(write.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << write.error_message();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(WhoAmI(tokens_a.get(), kAdminToken).ok());
}

TEST(RateLimits, CapTheStreamsOneTokenHoldsOpen) {
  RedisServer redis;
  ServerProcess server(INFRASHARE_SERVER_BIN, redis.url(), {{"INFRASHARE_RATE_LIMITS_MAX_STREAMS_PER_TOKEN", "2"}});
  ASSERT_TRUE(server.WaitUntilServing());
  auto tokens = auth::v1::TokenService::NewStub(server.channel());
  auto registry = reg::RegistryService::NewStub(server.channel());
  CreateOrganization(registry.get(), "roc-noord");
  const auto [token, token_id] = MemberToken(tokens.get(), "roc-noord");

  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<reg::ResourceChange>> reader;
  };
  auto open = [&] {
    Stream s;
    s.context = TestServer::Context(token);
    s.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    s.reader = registry->WatchResources(s.context.get(), reg::WatchResourcesRequest());
    return s;
  };
  // Changes keep coming while the test reads, so a stream that subscribed a moment after one
  // change still sees the next.
  reg::CreateResourceRequest create;
  create.mutable_resource()->set_display_name("Gedeelde werkplaats");
  create.mutable_resource()->set_kind(reg::RESOURCE_KIND_LAB);
  create.mutable_resource()->set_owner_organization_id("roc-noord");
  create.mutable_resource()->mutable_location()->mutable_point()->set_latitude(53.2194);
  create.mutable_resource()->mutable_location()->mutable_point()->set_longitude(6.5665);
  std::atomic<bool> done{false};
  std::thread changes([&] {
    for (int i = 0; i < 600 && !done; ++i) {
      reg::Resource created;
      auto made = registry->CreateResource(Admin().get(), create, &created);
      EXPECT_TRUE(made.ok()) << made.error_message();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  std::vector<Stream> streams;
  streams.push_back(open());
  streams.push_back(open());
  for (auto& s : streams) {  // both are running, each holding its place
    reg::ResourceChange change;
    ASSERT_TRUE(s.reader->Read(&change));
  }

  Stream third = open();
  reg::ResourceChange ignored;
  EXPECT_FALSE(third.reader->Read(&ignored));
  auto refused = third.reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_EQ(DetailsOf(refused).subject, "token:" + token_id + ":streams");

  // Closing one gives its place back (the server notices the cancel within its check interval).
  streams[0].context->TryCancel();
  streams[0].reader->Finish();
  bool reopened = false;
  for (int attempt = 0; attempt < 50 && !reopened; ++attempt) {
    Stream again = open();
    reg::ResourceChange change;
    reopened = again.reader->Read(&change);
    again.context->TryCancel();
    again.reader->Finish();
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(reopened);
  streams[1].context->TryCancel();
  streams[1].reader->Finish();
  done = true;
  changes.join();
}

}  // namespace
}  // namespace infrashare::testing
