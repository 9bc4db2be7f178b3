// Registry benchmark: import 100,000 resources, Redis memory per resource, and SearchResources
// latency (1 client) and throughput (16 clients) for three query shapes, and the server's resident
// memory with the catalogue loaded. Starts its own Redis and
// the real infrashare-server binary on loopback; every loop is bounded in count and time.
//
//   registry_bench SERVER_BINARY [resources=100000] [seconds=10]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include "bench/search_data.h"
#include "infrashare_client/client.h"
#include "tests/support/redis_server.h"

namespace {

using namespace infrashare;
using namespace infrashare::registry::v1;
using bench::Query;
using bench::RandomResource;
using Clock = std::chrono::steady_clock;
constexpr char kToken[] = "bench-bootstrap-admin-token";

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

long long UsedMemory(const testing::RedisServer& redis) {
  std::string info = redis.Cli("INFO memory");
  auto at = info.find("used_memory:");
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + 12));
}

// The server's resident memory (VmRSS), in MiB; -1 when unreadable.
double ResidentMiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: registry_bench SERVER_BINARY [resources] [seconds]\n";
    return 2;
  }
  const int resources = argc > 2 ? std::atoi(argv[2]) : 100000;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  const int orgs = 1000;
  testing::RedisServer redis;
  const int port = testing::FreePort();
  pid_t server = fork();
  if (server == 0) {
    setenv("INFRASHARE_REDIS_URL", redis.url().c_str(), 1);
    setenv("INFRASHARE_LISTEN", ("127.0.0.1:" + std::to_string(port)).c_str(), 1);
    setenv("INFRASHARE_METRICS_LISTEN", "", 1);
    setenv("INFRASHARE_HEALTH_LISTEN", "", 1);
    setenv("INFRASHARE_AUTH_BOOTSTRAP_ADMIN_TOKEN", kToken, 1);
    setenv("INFRASHARE_LOG_FORMAT", "json", 1);
    // Rate limits on, high enough that nothing is refused: their cost is part of what is measured.
    for (const char* group : {"READ", "HEAVY"})
      for (const char* key : {"PER_TOKEN_PER_S", "TOKEN_BURST", "PER_ORG_PER_S", "ORG_BURST"})
        setenv((std::string("INFRASHARE_RATE_LIMITS_") + group + "_" + key).c_str(), "1000000", 1);
    freopen("/dev/null", "w", stderr);
    execl(argv[1], argv[1], static_cast<char*>(nullptr));
    _exit(127);
  }
  client::ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(port);
  options.token = kToken;
  options.deadline = std::chrono::seconds(60);
  client::Client admin(options);
  for (int i = 0; i < 100; ++i) {
    auth::v1::TokenInfo me;
    if (admin
            .Call(admin.tokens(), &auth::v1::TokenService::Stub::WhoAmI, auth::v1::WhoAmIRequest(),
                  &me)
            .ok())
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (int i = 0; i < orgs; ++i) {
    CreateOrganizationRequest request;
    request.set_organization_id("bench-org-" + std::to_string(i));
    request.mutable_organization()->set_display_name("Bench org " + std::to_string(i));
    request.mutable_organization()->set_kind(ORGANIZATION_KIND_COMPANY);
    Organization out;
    auto status =
        admin.Call(admin.registry(), &RegistryService::Stub::CreateOrganization, request, &out);
    if (!status.ok()) {
      std::cerr << "create org: " << client::DescribeError(status) << "\n";
      return 1;
    }
  }

  // Searches run as an ordinary member, as integrators and partners do.
  auth::v1::CreateTokenRequest token_request;
  token_request.set_organization_id("bench-org-0");
  token_request.add_roles(auth::v1::ROLE_MEMBER);
  auth::v1::CreateTokenResponse member;
  if (!admin
           .Call(admin.tokens(), &auth::v1::TokenService::Stub::CreateToken, token_request, &member)
           .ok())
    return 1;
  client::ClientOptions member_options = options;
  member_options.token = member.token();
  client::Client searcher(member_options);

  // Import, as the CLI does it: batches of 1,000 rows, one after another.
  std::mt19937 rng(42);
  const long long memory_before = UsedMemory(redis);
  const auto import_start = Clock::now();
  int failed = 0;
  for (int start = 0; start < resources; start += 1000) {
    ImportResourcesRequest request;
    for (int i = start; i < std::min(resources, start + 1000); ++i)
      *request.add_resources() = RandomResource(rng, i, orgs);
    ImportResourcesResponse response;
    auto status =
        admin.Call(admin.registry(), &RegistryService::Stub::ImportResources, request, &response);
    if (!status.ok()) {
      std::cerr << "import: " << client::DescribeError(status) << "\n";
      return 1;
    }
    failed += response.failed();
  }
  const double import_s = std::chrono::duration<double>(Clock::now() - import_start).count();
  const long long memory_after = UsedMemory(redis);
  std::printf("import: %d resources in %.2f s (%.0f rows/s), %d failed\n", resources, import_s,
              resources / import_s, failed);
  std::printf(
      "redis memory: %.0f bytes per resource (used_memory delta %.1f MiB, includes change log)\n",
      double(memory_after - memory_before) / resources, (memory_after - memory_before) / 1048576.0);
  // The server's read models have the import once its follower has replayed the change log.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  std::printf("server resident memory after the import: %.0f MiB\n", ResidentMiB(server));

  const char* names[] = {"two facets (theme + province)", "25 km radius + kind + theme",
                         "text prefix + kind",
                         "ceiling: no-op RPC (WhoAmI, cached token, no Redis)"};
  std::printf(
      "\n| query | 1 client p50 ms | 1 client p99 ms | mean hits | 16 clients searches/s | 16 "
      "clients p99 ms |\n");
  std::printf("|---|---|---|---|---|---|\n");
  // One call of the measured kind; shape 3 is the transport ceiling of the same server.
  auto call = [](RegistryService::Stub& registry, auth::v1::TokenService::Stub& tokens, int shape,
                 std::mt19937& rng, grpc::ClientContext* context, int* hits) {
    if (shape == 3) {
      auth::v1::TokenInfo me;
      return tokens.WhoAmI(context, auth::v1::WhoAmIRequest(), &me);
    }
    SearchResourcesResponse response;
    auto status = registry.SearchResources(context, Query(rng, shape), &response);
    *hits = response.total_size();
    return status;
  };
  for (int shape = 0; shape < 4; ++shape) {
    std::vector<double> latencies;
    double hits = 0;
    const auto single_end = Clock::now() + std::chrono::seconds(seconds);
    for (int n = 0; n < 5000 && Clock::now() < single_end; ++n) {
      auto t0 = Clock::now();
      auto context = searcher.Context();
      int found = 0;
      auto status = call(searcher.registry(), searcher.tokens(), shape, rng, context.get(), &found);
      latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!status.ok()) {
        std::cerr << "search: " << client::DescribeError(status) << "\n";
        return 1;
      }
      hits += found;
    }
    std::atomic<long long> done{0};
    std::vector<std::vector<double>> per_thread(16);
    std::vector<std::thread> threads;
    const auto end = Clock::now() + std::chrono::seconds(seconds);
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&, t] {
        grpc::ChannelArguments args;
        args.SetInt("grpc.channel_id", t);  // a connection per client
        auto channel =
            grpc::CreateCustomChannel(options.server, grpc::InsecureChannelCredentials(), args);
        auto stub = RegistryService::NewStub(channel);
        auto tokens = auth::v1::TokenService::NewStub(channel);
        std::mt19937 local(t);
        while (Clock::now() < end) {
          grpc::ClientContext context;
          context.AddMetadata("authorization", "Bearer " + member.token());
          int found = 0;
          auto t0 = Clock::now();
          if (call(*stub, *tokens, shape, local, &context, &found).ok()) {
            per_thread[t].push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            done++;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    std::vector<double> all;
    for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
    std::printf("| %s | %.2f | %.2f | %.0f | %.0f | %.2f |\n", names[shape],
                Percentile(latencies, 0.5), Percentile(latencies, 0.99), hits / latencies.size(),
                done.load() / double(seconds), Percentile(all, 0.99));
  }
  std::printf("\nserver resident memory after the searches: %.0f MiB\n", ResidentMiB(server));
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  return 0;
}
