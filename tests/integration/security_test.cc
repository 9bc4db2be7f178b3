// Controls against abuse by callers that hold a valid token: rate limits shared by every replica
// (two real server processes on one Redis) and the cap on open streams per token.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/desk/v1/desk.grpc.pb.h"
#include "infrashare/privacy/v1/privacy.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "infrashare/webhook/v1/webhook.grpc.pb.h"
#include "services/common/audit.h"
#include "tests/support/generic_call.h"
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
std::pair<std::string, std::string> MemberToken(auth::v1::TokenService::Stub* tokens,
                                                const std::string& organization) {
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
    if (any.UnpackTo(&retry))
      out.retry_s = retry.retry_delay().seconds() + retry.retry_delay().nanos() / 1e9;
    if (any.UnpackTo(&quota) && quota.violations_size() > 0)
      out.subject = quota.violations(0).subject();
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
    ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
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
  ASSERT_EQ(organisation.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << organisation.error_message();
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
  ServerProcess server(INFRASHARE_SERVER_BIN, redis.url(),
                       {{"INFRASHARE_RATE_LIMITS_MAX_STREAMS_PER_TOKEN", "2"}});
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

// ---- the audit trail
// -----------------------------------------------------------------------------

class AuditTrail : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer();
    server_ = new TestServer(redis_->url());
    registry_ = server_->Registry().release();
    tokens_ = server_->Tokens().release();
    CreateOrganization(registry_, "acme");
    CreateOrganization(registry_, "other");
    member_ = server_->TokenWithInfo("acme", {auth::v1::ROLE_MEMBER});
    admin_ = server_->Token("acme", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    other_admin_ = server_->Token("other", {auth::v1::ROLE_ORGANIZATION_ADMIN});
  }
  static void TearDownTestSuite() {
    delete registry_;
    delete tokens_;
    delete server_;
    delete redis_;
  }

  // Every event of `organization` the token may read, newest first, read in pages of `page_size`.
  static std::vector<auth::v1::AuditEvent> Events(const std::string& token,
                                                  const std::string& organization,
                                                  int page_size = 1000) {
    std::vector<auth::v1::AuditEvent> out;
    auth::v1::ListAuditEventsRequest request;
    request.set_organization_id(organization);
    request.set_page_size(page_size);
    for (int page = 0; page < 1000; ++page) {
      auth::v1::ListAuditEventsResponse response;
      auto status = tokens_->ListAuditEvents(TestServer::Context(token).get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      out.insert(out.end(), response.events().begin(), response.events().end());
      if (!status.ok() || response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return out;
  }

  // Events are appended without holding up the call: waits (up to 10 s) until `count` are there.
  static std::vector<auth::v1::AuditEvent> AwaitEvents(const std::string& token,
                                                       const std::string& organization,
                                                       size_t count) {
    std::vector<auth::v1::AuditEvent> events;
    for (int i = 0; i < 100; ++i) {
      events = Events(token, organization);
      if (events.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return events;
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static reg::RegistryService::Stub* registry_;
  static auth::v1::TokenService::Stub* tokens_;
  static auth::v1::CreateTokenResponse member_;
  static std::string admin_, other_admin_;
};
RedisServer* AuditTrail::redis_ = nullptr;
TestServer* AuditTrail::server_ = nullptr;
reg::RegistryService::Stub* AuditTrail::registry_ = nullptr;
auth::v1::TokenService::Stub* AuditTrail::tokens_ = nullptr;
auth::v1::CreateTokenResponse AuditTrail::member_;
std::string AuditTrail::admin_, AuditTrail::other_admin_;

// Generated from the services' descriptors, so a new RPC is covered without touching this test:
// every unary method that changes something, called once (with an empty request: whether it
// succeeds does not matter, it is audited either way), leaves exactly one event naming it.
TEST_F(AuditTrail, EveryMutatingCallLeavesOneEventAndReadsLeaveNone) {
  const auto before = Events(admin_, "acme").size();
  grpc::GenericStub generic(server_->channel());
  std::multiset<std::string> called;
  for (const auto* method : EveryMethod()) {
    if (method->client_streaming() || method->server_streaming()) continue;
    const grpc::Status status = CallRaw(generic, method, "Bearer " + member_.token(), "").status;
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << GateName(method);
    EXPECT_NE(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << GateName(method);
    if (Audited(GateName(method))) called.insert(GateName(method));
  }
  ASSERT_GT(called.size(), 30u);  // the API's writes, not a handful
  const auto events = AwaitEvents(admin_, "acme", before + called.size());
  std::multiset<std::string> audited;
  for (size_t i = 0; i + before < events.size(); ++i) {
    const auto& e = events[i];
    audited.insert(e.method());
    EXPECT_EQ(e.token_id(), member_.info().id()) << e.method();
    EXPECT_EQ(e.organization_id(), "acme") << e.method();
    ASSERT_EQ(e.roles_size(), 1) << e.method();
    EXPECT_EQ(e.roles(0), auth::v1::ROLE_MEMBER);
    EXPECT_NE(e.peer().find("127.0.0.1"), std::string::npos) << e.peer();
    EXPECT_FALSE(e.status().empty()) << e.method();
    EXPECT_TRUE(e.has_time()) << e.method();
  }
  EXPECT_EQ(audited, called);  // each write once; no read (Get*, List*, Search*, ...) at all
}

TEST_F(AuditTrail, SaysWhoChangedWhatAndIsReadOnlyByAdmins) {
  const auto before = Events(admin_, "acme").size();
  reg::CreateResourceRequest create;
  create.set_request_id("audit-create-1");
  create.mutable_resource()->set_display_name("Praktijklokaal Zorg");
  create.mutable_resource()->set_kind(reg::RESOURCE_KIND_LAB);
  create.mutable_resource()->set_owner_organization_id("acme");
  create.mutable_resource()->mutable_location()->mutable_point()->set_latitude(52.37);
  create.mutable_resource()->mutable_location()->mutable_point()->set_longitude(4.89);
  reg::Resource lab;
  auto created = registry_->CreateResource(TestServer::Context(admin_).get(), create, &lab);
  ASSERT_TRUE(created.ok()) << created.error_message();
  reg::UpdateResourceRequest update;
  update.mutable_resource()->set_id(lab.id());
  update.mutable_resource()->set_etag(lab.etag());
  update.mutable_resource()->set_description("Nu met tillift");
  update.mutable_update_mask()->add_paths("description");
  ASSERT_TRUE(registry_->UpdateResource(TestServer::Context(admin_).get(), update, &lab).ok());
  reg::Resource refused;
  update.mutable_resource()->set_etag("stale");
  EXPECT_FALSE(registry_->UpdateResource(TestServer::Context(admin_).get(), update, &refused).ok());

  const auto events = AwaitEvents(admin_, "acme", before + 3);
  std::vector<auth::v1::AuditEvent> about_lab;
  for (const auto& e : events)
    if (e.object_id() == lab.id()) about_lab.push_back(e);
  ASSERT_EQ(about_lab.size(), 3u);
  EXPECT_EQ(about_lab[2].method(), "registry.CreateResource");  // newest first
  EXPECT_EQ(about_lab[2].request_id(), "audit-create-1");
  EXPECT_EQ(about_lab[1].method(), "registry.UpdateResource");
  EXPECT_EQ(about_lab[1].status(), "OK");
  EXPECT_EQ(std::vector<std::string>(about_lab[1].changed_fields().begin(),
                                     about_lab[1].changed_fields().end()),
            std::vector<std::string>{"description"});
  EXPECT_EQ(about_lab[0].status(), "ABORTED");  // the refused update is there too

  // Who may read it: organisation admins their own, platform admins everyone's.
  auth::v1::ListAuditEventsRequest request;
  auth::v1::ListAuditEventsResponse response;
  EXPECT_EQ(tokens_->ListAuditEvents(TestServer::Context(member_.token()).get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_organization_id("acme");
  EXPECT_EQ(tokens_->ListAuditEvents(TestServer::Context(other_admin_).get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Events(other_admin_, "").empty() ||
              Events(other_admin_, "")[0].organization_id() == "other");
  const auto everything = Events(kAdminToken, "");
  std::set<std::string> organizations;
  for (const auto& e : everything) organizations.insert(e.organization_id());
  EXPECT_TRUE(organizations.count("acme"));
  EXPECT_TRUE(organizations.count("platform"));  // the bootstrap admin's own writes

  // Paging in small pages gives the same events, none twice, in the same order.
  const auto whole = Events(admin_, "acme");
  const auto paged = Events(admin_, "acme", 3);
  ASSERT_EQ(paged.size(), whole.size());
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(paged[i].id(), whole[i].id());
  request.set_page_token("not-a-cursor");
  EXPECT_EQ(
      tokens_->ListAuditEvents(TestServer::Context(admin_).get(), request, &response).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

// ---- tokens: the authorization matrix, scopes, rotation
// -------------------------------------------

// Every RPC of every service (from the descriptors: a new RPC is covered without touching this
// test), streams included, with no token, a malformed header, a garbage token, an expired token and
// a revoked one: UNAUTHENTICATED, every time.
TEST_F(AuditTrail, EveryRpcRefusesMissingGarbageExpiredAndRevokedTokens) {
  auth::v1::CreateTokenRequest expiring;
  expiring.set_organization_id("acme");
  expiring.add_roles(auth::v1::ROLE_ORGANIZATION_ADMIN);
  // Milliseconds: protobuf 3.21's GetCurrentTime() has whole seconds, so "now + 1 s" from it can
  // be a moment from now and already past when the server reads it.
  *expiring.mutable_expire_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count() +
      1000);
  auth::v1::CreateTokenResponse expired;
  const auto created = tokens_->CreateToken(Admin().get(), expiring, &expired);
  ASSERT_TRUE(created.ok()) << created.error_code() << " " << created.error_message();
  const auto revoked = server_->TokenWithInfo("acme", {auth::v1::ROLE_ORGANIZATION_ADMIN});
  auth::v1::RevokeTokenRequest revoke;
  revoke.set_id(revoked.info().id());
  auth::v1::RevokeTokenResponse ignored;
  ASSERT_TRUE(tokens_->RevokeToken(Admin().get(), revoke, &ignored).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the expiry

  // Each with its own reason, so a program knows whether to ask for a new token.
  const std::vector<std::tuple<std::string, std::string, std::string>> callers = {
      {"no token", "", "TOKEN_MISSING"},
      {"no Bearer", "Basic dXNlcjpwYXNz", "TOKEN_MALFORMED"},
      {"empty Bearer", "Bearer ", "TOKEN_MALFORMED"},
      {"garbage", "Bearer ist_garbage_" + std::string(40, 'x'), "TOKEN_UNKNOWN"},
      {"expired", "Bearer " + expired.token(), "TOKEN_EXPIRED"},
      {"revoked", "Bearer " + revoked.token(), "TOKEN_REVOKED"}};
  grpc::GenericStub generic(server_->channel());
  int checked = 0;
  for (const auto* method : EveryMethod()) {
    for (const auto& [label, header, reason] : callers) {
      const auto status = CallRaw(generic, method, header, "").status;
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << GateName(method) << " with " << label;
      EXPECT_EQ(Reason(status), reason) << GateName(method) << " with " << label;
      ++checked;
    }
  }
  EXPECT_GT(checked, 6 * 70);
}

TEST_F(AuditTrail, AScopedTokenCallsOnlyItsServices) {
  auth::v1::CreateTokenRequest scoped;
  scoped.set_organization_id("acme");
  scoped.add_roles(auth::v1::ROLE_ORGANIZATION_ADMIN);
  scoped.add_services("registry");
  auth::v1::CreateTokenResponse made;
  ASSERT_TRUE(tokens_->CreateToken(Admin().get(), scoped, &made).ok());
  EXPECT_EQ(made.info().services_size(), 1);
  reg::GetOrganizationRequest get;
  get.set_id("acme");
  reg::Organization org;
  EXPECT_TRUE(registry_->GetOrganization(TestServer::Context(made.token()).get(), get, &org).ok());
  EXPECT_TRUE(WhoAmI(tokens_, made.token()).ok());  // always
  auto scheduler = server_->Scheduler();
  scheduler::v1::ListBookingsRequest list;
  scheduler::v1::ListBookingsResponse bookings;
  EXPECT_EQ(scheduler->ListBookings(TestServer::Context(made.token()).get(), list, &bookings)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auth::v1::ListTokensRequest tokens_request;
  auth::v1::ListTokensResponse listed;
  EXPECT_EQ(tokens_->ListTokens(TestServer::Context(made.token()).get(), tokens_request, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  scoped.add_services("spaceship");
  auth::v1::CreateTokenResponse refused;
  auto bad = tokens_->CreateToken(Admin().get(), scoped, &refused);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(bad), "services[1]");

  // A token scoped to `auth` rotates only tokens within its scope: rotating an unscoped one would
  // hand it an unscoped secret.
  auth::v1::CreateTokenRequest auth_only;
  auth_only.set_organization_id("acme");
  auth_only.add_roles(auth::v1::ROLE_ORGANIZATION_ADMIN);
  auth_only.add_services("auth");
  auth::v1::CreateTokenResponse auth_admin;
  ASSERT_TRUE(tokens_->CreateToken(Admin().get(), auth_only, &auth_admin).ok());
  auth::v1::RotateTokenRequest rotate;
  rotate.set_id(member_.info().id());
  auth::v1::CreateTokenResponse rotated;
  EXPECT_EQ(tokens_->RotateToken(TestServer::Context(auth_admin.token()).get(), rotate, &rotated)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// A token used (and so cached) just before it expires stops working when it expires, not when its
// cache entry does.
TEST_F(AuditTrail, ACachedTokenStillExpiresOnTime) {
  auth::v1::CreateTokenRequest expiring;
  expiring.set_organization_id("acme");
  expiring.add_roles(auth::v1::ROLE_MEMBER);
  *expiring.mutable_expire_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count() +
      800);
  auth::v1::CreateTokenResponse made;
  ASSERT_TRUE(tokens_->CreateToken(Admin().get(), expiring, &made).ok());
  ASSERT_TRUE(WhoAmI(tokens_, made.token()).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(900));  // past expiry, within the 2 s cache
  EXPECT_EQ(WhoAmI(tokens_, made.token()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// A token handed out for a while gives nothing that outlasts it: the tokens it creates end with it
// (or sooner), and it neither rotates a longer-lived token (whose new secret it would hold) nor
// creates calendar feeds or webhook subscriptions, which do not expire.
TEST_F(AuditTrail, AnExpiringTokenGrantsNothingThatOutlivesIt) {
  using google::protobuf::util::TimeUtil;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auth::v1::CreateTokenRequest day;
  day.set_organization_id("acme");
  day.add_roles(auth::v1::ROLE_ORGANIZATION_ADMIN);
  *day.mutable_expire_time() = TimeUtil::MillisecondsToTimestamp(now_ms + 3600 * 1000);
  auth::v1::CreateTokenResponse contractor;
  ASSERT_TRUE(tokens_->CreateToken(Admin().get(), day, &contractor).ok());
  const auto ends = contractor.info().expire_time();
  auto as_contractor = [&] { return TestServer::Context(contractor.token()); };

  // Asked for no expiry, or a later one: the new token ends with the one that made it.
  auth::v1::CreateTokenRequest child;
  child.set_organization_id("acme");
  child.add_roles(auth::v1::ROLE_ORGANIZATION_ADMIN);
  auth::v1::CreateTokenResponse forever;
  ASSERT_TRUE(tokens_->CreateToken(as_contractor().get(), child, &forever).ok());
  EXPECT_EQ(forever.info().expire_time(), ends);
  *child.mutable_expire_time() = TimeUtil::MillisecondsToTimestamp(now_ms + 86400LL * 365 * 1000);
  auth::v1::CreateTokenResponse later;
  ASSERT_TRUE(tokens_->CreateToken(as_contractor().get(), child, &later).ok());
  EXPECT_EQ(later.info().expire_time(), ends);
  ASSERT_TRUE(WhoAmI(tokens_, later.token()).ok());
  // Its children again: no chain of tokens gets past the first one's end.
  auth::v1::CreateTokenResponse grandchild;
  child.clear_expire_time();
  ASSERT_TRUE(
      tokens_->CreateToken(TestServer::Context(later.token()).get(), child, &grandchild).ok());
  EXPECT_EQ(grandchild.info().expire_time(), ends);
  // A sooner end is kept.
  const auto sooner = TimeUtil::MillisecondsToTimestamp(now_ms + 600 * 1000);
  *child.mutable_expire_time() = sooner;
  auth::v1::CreateTokenResponse brief;
  ASSERT_TRUE(tokens_->CreateToken(as_contractor().get(), child, &brief).ok());
  EXPECT_EQ(brief.info().expire_time(), sooner);

  // Rotating the organisation's lasting member token would hand it a lasting secret; rotating
  // itself, or a token that ends sooner, is fine.
  auth::v1::RotateTokenRequest rotate;
  rotate.set_id(member_.info().id());
  auth::v1::CreateTokenResponse rotated;
  EXPECT_EQ(tokens_->RotateToken(as_contractor().get(), rotate, &rotated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  rotate.set_id(brief.info().id());
  ASSERT_TRUE(tokens_->RotateToken(as_contractor().get(), rotate, &rotated).ok());
  EXPECT_EQ(rotated.info().expire_time(), sooner);

  // Feeds and webhook subscriptions do not expire: refused, with the reason.
  auto scheduler = server_->Scheduler();
  scheduler::v1::CreateCalendarFeedRequest feed;
  scheduler::v1::CalendarFeed made_feed;
  const auto feed_status = scheduler->CreateCalendarFeed(as_contractor().get(), feed, &made_feed);
  EXPECT_EQ(feed_status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(feed_status.error_message().find("expires"), std::string::npos)
      << feed_status.error_message();
  auto webhooks = webhook::v1::WebhookService::NewStub(server_->channel());
  webhook::v1::CreateWebhookSubscriptionRequest subscribe;
  subscribe.set_target_url("https://hooks.example.nl/infrashare");
  subscribe.add_event_types(webhook::v1::WEBHOOK_EVENT_TYPE_BOOKING);
  webhook::v1::WebhookSubscription subscription;
  EXPECT_EQ(webhooks->CreateWebhookSubscription(as_contractor().get(), subscribe, &subscription)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The same requests with a token that does not expire go through: the refusal is the expiry's.
  EXPECT_TRUE(
      scheduler->CreateCalendarFeed(TestServer::Context(admin_).get(), feed, &made_feed).ok());
}

// Platform admins' tokens act for the organisation "platform": nobody creates or deletes one of
// that name (deleting an organisation revokes its tokens).
TEST_F(AuditTrail, TheOrganisationIdPlatformIsReserved) {
  reg::CreateOrganizationRequest create;
  create.set_organization_id("platform");
  create.mutable_organization()->set_display_name("Platform");
  create.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_OTHER);
  reg::Organization org;
  const auto created = registry_->CreateOrganization(Admin().get(), create, &org);
  EXPECT_EQ(created.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(created), "organization_id");
  reg::DeleteOrganizationRequest remove;
  remove.set_id("platform");
  reg::DeleteResponse removed;
  EXPECT_EQ(registry_->DeleteOrganization(Admin().get(), remove, &removed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditTrail, RotationKeepsTheOldTokenForTheOverlapOnly) {
  const auto original = server_->TokenWithInfo("acme", {auth::v1::ROLE_MEMBER});
  auth::v1::RotateTokenRequest rotate;
  rotate.set_id(original.info().id());
  rotate.set_overlap_seconds(3600);
  auth::v1::CreateTokenResponse rotated;
  // The token itself may rotate itself; another member may not.
  const auto stranger = server_->Token("acme", {auth::v1::ROLE_MEMBER});
  EXPECT_EQ(
      tokens_->RotateToken(TestServer::Context(stranger).get(), rotate, &rotated).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      tokens_->RotateToken(TestServer::Context(original.token()).get(), rotate, &rotated).ok());
  EXPECT_NE(rotated.token(), original.token());
  EXPECT_EQ(rotated.info().organization_id(), "acme");
  EXPECT_EQ(rotated.info().roles_size(), 1);
  EXPECT_TRUE(WhoAmI(tokens_, rotated.token()).ok());
  EXPECT_TRUE(WhoAmI(tokens_, original.token()).ok());  // within the overlap

  // Rotating with no overlap ends the old secret at once (this server caches no tokens).
  rotate.set_id(rotated.info().id());
  rotate.set_overlap_seconds(0);
  auth::v1::CreateTokenResponse third;
  ASSERT_TRUE(tokens_->RotateToken(TestServer::Context(admin_).get(), rotate, &third).ok());
  EXPECT_EQ(WhoAmI(tokens_, rotated.token()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(WhoAmI(tokens_, third.token()).ok());
  rotate.set_overlap_seconds(604801);
  EXPECT_EQ(tokens_->RotateToken(TestServer::Context(admin_).get(), rotate, &third).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditTrail, OnlyPlatformAdminsRotateACoordinatorsToken) {
  // A coordinator's token belongs to an ordinary organisation; that organisation's admin may list
  // it but may not take its rights by rotating it (only platform admins create such tokens).
  reg::CreateNetworkRequest network;
  network.set_network_id("noord");
  network.mutable_network()->set_display_name("Noord");
  network.mutable_network()->add_member_organization_ids("acme");
  reg::Network made;
  ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), network, &made).ok());
  auto coordinator =
      server_->TokenWithInfo("acme", {auth::v1::ROLE_NETWORK_COORDINATOR}, {"noord"});
  auth::v1::RotateTokenRequest rotate;
  rotate.set_id(coordinator.info().id());
  auth::v1::CreateTokenResponse rotated;
  const auto refused = tokens_->RotateToken(TestServer::Context(admin_).get(), rotate, &rotated);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_TRUE(rotated.token().empty());
  EXPECT_TRUE(WhoAmI(tokens_, coordinator.token()).ok());  // untouched
  // The same for a platform admin's token made for an ordinary organisation.
  auto platform = server_->TokenWithInfo("acme", {auth::v1::ROLE_PLATFORM_ADMIN});
  rotate.set_id(platform.info().id());
  EXPECT_EQ(tokens_->RotateToken(TestServer::Context(admin_).get(), rotate, &rotated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The token itself and a platform admin still may.
  rotate.set_id(coordinator.info().id());
  ASSERT_TRUE(
      tokens_->RotateToken(TestServer::Context(coordinator.token()).get(), rotate, &rotated).ok());
  EXPECT_EQ(rotated.info().roles(0), auth::v1::ROLE_NETWORK_COORDINATOR);
  rotate.set_id(rotated.info().id());
  auth::v1::CreateTokenResponse again;
  ASSERT_TRUE(tokens_->RotateToken(Admin().get(), rotate, &again).ok());
  EXPECT_TRUE(WhoAmI(tokens_, again.token()).ok());
}

TEST(AuditFields, ObjectAndChangedFieldsComeFromTheRequest) {
  reg::UpdateResourceRequest update;
  update.mutable_resource()->set_id("res_1");
  update.mutable_resource()->set_display_name("x");
  update.mutable_resource()->set_etag("3");
  EXPECT_EQ(ObjectOf(update), "res_1");
  EXPECT_EQ(ChangedFields(update), std::vector<std::string>{"display_name"});
  update.mutable_update_mask()->add_paths("location");
  EXPECT_EQ(ChangedFields(update), std::vector<std::string>{"location"});
  scheduler::v1::CreateBookingRequest book;
  book.set_resource_id("res_2");
  book.set_request_id("r-1");
  EXPECT_EQ(ObjectOf(book), "res_2");
  // A call that creates is about what it created: the booking, not the resource.
  scheduler::v1::Booking booked;
  booked.set_id("bk_9");
  booked.set_resource_id("res_2");
  EXPECT_EQ(AuditedObject("scheduler.CreateBooking", book, &booked), "bk_9");
  EXPECT_EQ(AuditedObject("scheduler.CreateBooking", book, nullptr), "res_2");  // refused
  scheduler::v1::CancelBookingRequest cancel;
  cancel.set_id("bk_9");
  EXPECT_EQ(AuditedObject("scheduler.CancelBooking", cancel, &booked), "bk_9");
  reg::CreateOrganizationRequest org;
  org.set_organization_id("roc-twente");
  EXPECT_EQ(ObjectOf(org), "roc-twente");
  EXPECT_TRUE(Mutates("scheduler.CancelBooking"));
  EXPECT_TRUE(Mutates("registry.ImportResources"));
  EXPECT_FALSE(Mutates("registry.SearchResources"));
  EXPECT_FALSE(Mutates("desk.GetDeskReport"));
  EXPECT_TRUE(Audited("privacy.ExportPersonalData"));  // reads a person's data: recorded too
  EXPECT_FALSE(Mutates("privacy.ExportPersonalData"));
}

}  // namespace
// ---- personal data stays out of the log
// ------------------------------------------------------------

// The real binary at debug level, its output captured: an asker's and a staff member's contact go
// through submission, reads, export, erasure and a refused request, and none of it reaches the log.
TEST(LogRedaction, PersonalDataNeverReachesTheLog) {
  RedisServer redis;
  const std::string log_path = ::testing::TempDir() + "infrashare-redaction.log";
  std::map<std::string, std::string> env = {{"INFRASHARE_LOG_LEVEL", "debug"}};
  auto server = std::make_unique<ServerProcess>(INFRASHARE_SERVER_BIN, redis.url(), env, log_path);
  ASSERT_TRUE(server->WaitUntilServing());
  auto registry = reg::RegistryService::NewStub(server->channel());
  auto desk = desk::v1::DeskService::NewStub(server->channel());
  auto privacy = privacy::v1::PrivacyService::NewStub(server->channel());
  auto admin = [] { return TestServer::Context(kAdminToken); };
  CreateOrganization(registry.get(), "bakkerij");
  reg::CreateNetworkRequest network;
  network.set_network_id("regio");
  network.mutable_network()->set_display_name("Regio");
  network.mutable_network()->add_member_organization_ids("bakkerij");
  reg::Network made;
  ASSERT_TRUE(registry->CreateNetwork(admin().get(), network, &made).ok());

  const std::vector<std::string> secrets = {"Ëlise van 't Hoff-Müller",
                                            "elise.hoff@bakkerij.example", "+31 6 1234 5678",
                                            "Geheime Bakkerij B.V."};
  desk::v1::SubmitInquiryRequest submit;
  submit.set_network_id("regio");
  submit.set_entry_organization_id("bakkerij");
  submit.set_need_type(desk::v1::NEED_TYPE_INNOVATION);
  submit.set_text("Wie helpt met een nieuwe oven?");
  submit.mutable_contact()->set_name(secrets[0]);
  submit.mutable_contact()->set_email(secrets[1]);
  submit.mutable_contact()->set_phone(secrets[2]);
  submit.mutable_contact()->set_organization_name(secrets[3]);
  desk::v1::Inquiry inquiry;
  auto status = desk->SubmitInquiry(admin().get(), submit, &inquiry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  desk::v1::GetInquiryRequest get;
  get.set_id(inquiry.id());
  ASSERT_TRUE(desk->GetInquiry(admin().get(), get, &inquiry).ok());
  EXPECT_EQ(inquiry.contact().email(), secrets[1]);
  submit.mutable_contact()->set_email(secrets[1] + " not an address");  // refused, naming the field
  EXPECT_EQ(desk->SubmitInquiry(admin().get(), submit, &inquiry).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  privacy::v1::ExportPersonalDataRequest ask;
  ask.set_email(secrets[1]);
  privacy::v1::PersonalData data;
  ASSERT_TRUE(privacy->ExportPersonalData(admin().get(), ask, &data).ok());
  EXPECT_EQ(data.inquiries_size(), 1);
  privacy::v1::ErasePersonalDataRequest erase;
  erase.set_email(secrets[1]);
  privacy::v1::ErasePersonalDataResponse erased;
  ASSERT_TRUE(privacy->ErasePersonalData(admin().get(), erase, &erased).ok());
  EXPECT_EQ(erased.inquiries(), 1);
  EXPECT_EQ(server->Terminate(), 0);

  std::ifstream file(log_path);
  const std::string log((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_NE(log.find("privacy.ErasePersonalData"), std::string::npos) << "the log was not captured";
  for (const auto& secret : secrets) EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  EXPECT_EQ(log.find("elise.hoff"), std::string::npos);
}

// ---- requests that cannot be parsed
// ----------------------------------------------------------------

// Bytes that are no protocol buffer (an invalid wire type), and a valid message whose string field
// is not UTF-8: INVALID_ARGUMENT naming the expected message, on every RPC, counted per method.
// gRPC alone answers UNIMPLEMENTED with no message.
TEST_F(AuditTrail, ARequestThatCannotBeParsedIsInvalidArgumentAndCounted) {
  // The value of one series in the server's metrics, 0 when absent.
  const auto MetricValue = [](const std::string& series) {
    const std::string text = server_->server().metrics().Render();
    const size_t at = text.find("\n" + series + " ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + series.size() + 2));
  };
  const std::string get_invalid =
      "infrashare_rpc_total{method=\"registry.GetResource\",code=\"INVALID_ARGUMENT\"}";
  const double get_invalid_before = MetricValue(get_invalid);
  const double unparsable_before = MetricValue("infrashare_unparsable_requests_total");
  grpc::GenericStub generic(server_->channel());
  const std::string not_protobuf("\xff\xff\xff\xff\x0f", 5);
  int checked = 0;
  for (const auto* method : EveryMethod()) {
    for (const std::string& authorization : {std::string(), "Bearer " + member_.token()}) {
      const grpc::Status status = CallRaw(generic, method, authorization, not_protobuf).status;
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << GateName(method);
      EXPECT_EQ(Reason(status), "UNPARSABLE_REQUEST") << GateName(method);
      EXPECT_NE(status.error_message().find(method->input_type()->full_name()), std::string::npos)
          << GateName(method) << ": " << status.error_message();
      ++checked;
    }
  }
  EXPECT_GT(checked, 2 * 70);

  // GetResourceRequest.id (field 1) holding the two bytes C3 28: not UTF-8.
  const auto* get = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      "infrashare.registry.v1.RegistryService.GetResource");
  ASSERT_NE(get, nullptr);
  ASSERT_EQ(get->input_type()->field(0)->name(), "id");
  const grpc::Status bad_utf8 =
      CallRaw(generic, get, "Bearer " + member_.token(), std::string("\x0a\x02\xc3\x28", 4)).status;
  EXPECT_EQ(bad_utf8.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad_utf8.error_message().find("UTF-8"), std::string::npos) << bad_utf8.error_message();

  EXPECT_EQ(MetricValue(get_invalid) - get_invalid_before, 3);
  EXPECT_EQ(MetricValue("infrashare_unparsable_requests_total") - unparsable_before, checked + 1);
}

}  // namespace infrashare::testing
