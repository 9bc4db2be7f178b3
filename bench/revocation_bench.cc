// How long a revoked token keeps working on another replica: two server processes on one Redis
// with the default token cache (auth.cache_ttl_ms); the token is warm in replica B's cache, is
// revoked through replica A, and B is asked every 5 ms until it refuses. Repeated, bounded.
//
//   revocation_bench SERVER_BINARY [rounds=20]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>
#include <vector>

#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"

using namespace infrashare;
using Clock = std::chrono::steady_clock;

namespace {

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: revocation_bench SERVER_BINARY [rounds]\n";
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 20;
  testing::RedisServer redis;
  testing::ServerProcess a(argv[1], redis.url()), b(argv[1], redis.url());
  if (!a.WaitUntilServing() || !b.WaitUntilServing()) return 1;
  auto tokens_a = auth::v1::TokenService::NewStub(a.channel());
  auto tokens_b = auth::v1::TokenService::NewStub(b.channel());
  auto registry = registry::v1::RegistryService::NewStub(a.channel());
  registry::v1::CreateOrganizationRequest org;
  org.set_organization_id("bench");
  org.mutable_organization()->set_display_name("Bench");
  org.mutable_organization()->set_kind(registry::v1::ORGANIZATION_KIND_COMPANY);
  registry::v1::Organization created;
  if (!registry->CreateOrganization(As(testing::kAdminToken).get(), org, &created).ok()) return 1;

  std::vector<double> ms;
  for (int round = 0; round < rounds; ++round) {
    auth::v1::CreateTokenRequest request;
    request.set_organization_id("bench");
    request.add_roles(auth::v1::ROLE_MEMBER);
    auth::v1::CreateTokenResponse token;
    if (!tokens_a->CreateToken(As(testing::kAdminToken).get(), request, &token).ok()) return 1;
    auth::v1::TokenInfo who;
    if (!tokens_b->WhoAmI(As(token.token()).get(), auth::v1::WhoAmIRequest(), &who).ok())
      return 1;  // cached on B
    auth::v1::RevokeTokenRequest revoke;
    revoke.set_id(token.info().id());
    auth::v1::RevokeTokenResponse revoked;
    if (!tokens_a->RevokeToken(As(testing::kAdminToken).get(), revoke, &revoked).ok()) return 1;
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::seconds(30)) {
      if (tokens_b->WhoAmI(As(token.token()).get(), auth::v1::WhoAmIRequest(), &who).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("revocation reaching another replica (auth.cache_ttl_ms default), %d rounds:\n",
              rounds);
  std::printf("  min %.0f ms, median %.0f ms, max %.0f ms\n", ms.front(), ms[ms.size() / 2],
              ms.back());
  return ms.back() < 30000 ? 0 : 1;
}
