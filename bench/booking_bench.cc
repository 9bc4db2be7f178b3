// Booking benchmark: confirmed bookings per second through the real server, with an async gRPC
// client keeping N calls in flight (closed loop):
//   - 1,000 resources, 16 and 64 concurrent clients (every booking fits: no contention);
//   - 64 clients on one resource (contention: most requests are refused, each is a decision);
//   - latency at half of the peak rate (open loop, scheduled sends);
// and in the same run the two ceilings: a no-op RPC on the same server (WhoAmI: authentication
// only; the transport ceiling) and redis-benchmark of the same booking function (the store
// ceiling). Starts its own Redis and the infrashare-server binary on loopback; every phase is
// bounded in time.
//
//   booking_bench SERVER_BINARY [seconds=10]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "infrashare_client/client.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"

namespace {

using namespace infrashare;
using namespace infrashare::scheduler::v1;
using Clock = std::chrono::steady_clock;
namespace reg = infrashare::registry::v1;

constexpr int kResources = 1000;
constexpr int kBookers = 16;

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

struct Result {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long long ok = 0;
  long long refused = 0;
  long long failed = 0;
};

// One asynchronous call in flight: `start` begins it on the queue with this object as its tag.
struct Call {
  grpc::ClientContext context;
  grpc::Status status;
  Booking booking;
  auth::v1::TokenInfo who;
  Clock::time_point sent;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Booking>> booking_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<auth::v1::TokenInfo>> who_reader;
};

using Starter = std::function<void(Call*, grpc::CompletionQueue*)>;

// Keeps `clients` calls in flight for `seconds` (closed loop), or, when `rate` > 0, sends at that
// rate (open loop; latency counted from the scheduled send time).
Result Run(const Starter& start, int clients, int seconds, double rate = 0) {
  grpc::CompletionQueue cq;
  std::vector<double> latencies;
  latencies.reserve(1 << 20);
  Result result;
  const auto begin = Clock::now();
  const auto until = begin + std::chrono::seconds(seconds);
  std::atomic<int> in_flight{0};
  auto launch = [&](Clock::time_point scheduled) {
    auto* call = new Call();
    call->sent = scheduled;
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    in_flight++;
    start(call, &cq);
  };
  std::thread pacer;
  if (rate > 0) {
    pacer = std::thread([&] {
      const auto gap = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
      for (auto next = begin; next < until; next += gap) {
        std::this_thread::sleep_until(next);
        if (in_flight < 1024) launch(next);
      }
    });
  } else {
    for (int i = 0; i < clients; ++i) launch(Clock::now());
  }
  void* tag = nullptr;
  bool ok = false;
  while (true) {
    if (in_flight == 0 && (rate == 0 || Clock::now() >= until)) break;
    auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(100);
    auto next = cq.AsyncNext(&tag, &ok, deadline);
    if (next != grpc::CompletionQueue::GOT_EVENT) continue;
    auto* call = static_cast<Call*>(tag);
    const auto now = Clock::now();
    in_flight--;
    if (call->status.ok()) {
      result.ok++;
      latencies.push_back(std::chrono::duration<double, std::milli>(now - call->sent).count());
    } else if (call->status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      result.refused++;
      latencies.push_back(std::chrono::duration<double, std::milli>(now - call->sent).count());
    } else {
      if (result.failed++ == 0) std::cerr << "  call failed: " << client::DescribeError(call->status) << "\n";
    }
    delete call;
    if (rate == 0 && now < until) launch(now);
  }
  if (pacer.joinable()) pacer.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  result.per_second = static_cast<double>(result.ok + result.refused) / elapsed;
  result.p50_ms = Percentile(latencies, 0.50);
  result.p99_ms = Percentile(latencies, 0.99);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return result;
}

void Report(const std::string& name, const Result& r, double ceiling = 0) {
  std::printf("  %-44s %9.0f /s   p50 %6.2f ms   p99 %6.2f ms", name.c_str(), r.per_second, r.p50_ms, r.p99_ms);
  if (r.refused > 0) std::printf("   (%lld confirmed, %lld refused)", r.ok, r.refused);
  if (ceiling > 0) std::printf("   %.0f%% of the lower ceiling", 100.0 * r.per_second / ceiling);
  if (r.failed > 0) std::printf("   %lld FAILED", r.failed);
  std::printf("\n");
}

// redis-benchmark's requests per second for the booking function (the store ceiling): every call
// books a random one of a million resources, so nearly every call confirms a booking.
double StoreCeiling(const testing::RedisServer& redis, int clients) {
  const std::string base = "is:{bk:0}:";
  char command[1024];
  std::snprintf(command, sizeof command,
                "redis-benchmark -p %d -c %d -n 300000 -r 100000000000 -q FCALL sch_book 1 %sr:x:m %s "
                "r__rand_int____rand_int__ bench-org 1 0 0 600000 0 t n '' 60 100000 1 '' 0 1 "
                "b__rand_int__ 4102444800000 4102448400000 4102444800000 4102448400000 1 '' 0 '' -1 60 "
                "2>/dev/null",
                redis.port(), clients, base.c_str(), base.c_str());
  FILE* pipe = popen(command, "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  pclose(pipe);
  // "FCALL sch_book ...: 41152.26 requests per second, p50=..."
  const auto at = out.rfind("requests per second");
  if (at == std::string::npos) return 0;
  const auto colon = out.rfind(": ", at);
  return std::atof(out.substr(colon + 2, at - colon - 2).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: booking_bench SERVER_BINARY [seconds]\n";
    return 2;
  }
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  testing::RedisServer redis;
  // Rate limits on, high enough that nothing is refused (what they cost is measured, not what they
  // refuse); a second server on the same Redis has them off, for the comparison at the end.
  const std::map<std::string, std::string> limited = {
      {"INFRASHARE_LOG_FORMAT", "json"},
      {"INFRASHARE_RATE_LIMITS_WRITE_PER_TOKEN_PER_S", "1000000"},
      {"INFRASHARE_RATE_LIMITS_WRITE_TOKEN_BURST", "1000000"},
      {"INFRASHARE_RATE_LIMITS_WRITE_PER_ORG_PER_S", "1000000"},
      {"INFRASHARE_RATE_LIMITS_WRITE_ORG_BURST", "1000000"},
      {"INFRASHARE_RATE_LIMITS_READ_PER_TOKEN_PER_S", "1000000"},
      {"INFRASHARE_RATE_LIMITS_READ_TOKEN_BURST", "1000000"},
      {"INFRASHARE_RATE_LIMITS_READ_PER_ORG_PER_S", "1000000"},
      {"INFRASHARE_RATE_LIMITS_READ_ORG_BURST", "1000000"}};
  testing::ServerProcess server(argv[1], redis.url(), limited);
  testing::ServerProcess unlimited(argv[1], redis.url(),
                                   {{"INFRASHARE_LOG_FORMAT", "json"}, {"INFRASHARE_RATE_LIMITS_ENABLED", "false"}});
  if (!server.WaitUntilServing() || !unlimited.WaitUntilServing()) {
    std::cerr << "the server did not start\n";
    return 1;
  }
  client::ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(server.port());
  options.token = testing::kAdminToken;
  options.deadline = std::chrono::seconds(60);
  client::Client admin(options);

  // The world: one owner, 16 booking partners in one network, 1,000 exclusive resources.
  reg::CreateNetworkRequest network;
  network.set_network_id("bench-net");
  network.mutable_network()->set_display_name("Bench network");
  for (int i = 0; i <= kBookers; ++i) {
    reg::CreateOrganizationRequest org;
    org.set_organization_id("bench-org-" + std::to_string(i));
    org.mutable_organization()->set_display_name("Bench org " + std::to_string(i));
    org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL);
    reg::Organization out;
    if (!admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateOrganization, org, &out).ok()) return 1;
    network.mutable_network()->add_member_organization_ids(org.organization_id());
  }
  reg::Network created_network;
  if (!admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateNetwork, network, &created_network).ok())
    return 1;
  reg::ImportResourcesRequest import;
  for (int i = 0; i < kResources; ++i) {
    auto* r = import.add_resources();
    r->set_id("bench-lab-" + std::to_string(i));
    r->set_display_name("Bench lab " + std::to_string(i));
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("bench-org-0");
    r->add_shared_with_network_ids("bench-net");
    r->mutable_location()->mutable_point()->set_latitude(52);
    r->mutable_location()->mutable_point()->set_longitude(5);
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  }
  reg::ImportResourcesResponse imported;
  auto status = admin.Call(admin.registry(), &reg::RegistryService::Stub::ImportResources, import, &imported);
  if (!status.ok()) {
    std::cerr << "import: " << client::DescribeError(status) << "\n";
    return 1;
  }
  std::vector<std::string> tokens;
  for (int i = 1; i <= kBookers; ++i) {
    auth::v1::CreateTokenRequest request;
    request.set_organization_id("bench-org-" + std::to_string(i));
    request.add_roles(auth::v1::ROLE_MEMBER);
    auth::v1::CreateTokenResponse token;
    if (!admin.Call(admin.tokens(), &auth::v1::TokenService::Stub::CreateToken, request, &token).ok()) return 1;
    tokens.push_back("Bearer " + token.token());
  }

  auto limited_stub = SchedulerService::NewStub(grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials()));
  auto unlimited_stub = SchedulerService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(unlimited.port()), grpc::InsecureChannelCredentials()));
  SchedulerService::Stub* stub = limited_stub.get();
  auto tokens_stub = auth::v1::TokenService::NewStub(grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials()));
  // Every booking lands in a slot of its own: per resource, hour after hour from 2030 on.
  std::vector<std::atomic<long long>> next_slot(kResources);
  std::atomic<unsigned> counter{0};
  const long long base = 1893456000;  // 2030-01-01T00:00:00Z
  // Starts CreateBooking of hour `slot` (from 2030 on) on `resource` as the n-th partner token.
  auto send = [&](Call* call, grpc::CompletionQueue* cq, const std::string& resource, long long slot,
                  unsigned n) {
    CreateBookingRequest request;
    request.set_resource_id(resource);
    request.mutable_start_time()->set_seconds(base + slot * 3600);
    request.mutable_end_time()->set_seconds(base + slot * 3600 + 3600);
    request.set_quantity(1);
    call->context.AddMetadata("authorization", tokens[n % tokens.size()]);
    call->booking_reader = stub->AsyncCreateBooking(&call->context, request, cq);
    call->booking_reader->Finish(&call->booking, &call->status, call);
  };
  auto book_on = [&](int resource_count) {
    return [&, resource_count](Call* call, grpc::CompletionQueue* cq) {
      const unsigned n = counter++;
      const int resource = static_cast<int>((n * 2654435761u) % static_cast<unsigned>(resource_count));
      send(call, cq, "bench-lab-" + std::to_string(resource), next_slot[resource]++, n);
    };
  };
  // Contention: 64 clients on one resource, over 50 slots that fill, then are refused.
  std::mt19937 rng(1);
  std::mutex rng_mutex;
  auto contend = [&](Call* call, grpc::CompletionQueue* cq) {
    long long slot;
    {
      std::lock_guard lock(rng_mutex);
      slot = static_cast<long long>(rng() % 50);
    }
    send(call, cq, "bench-lab-contended", slot, counter++);
  };
  auto no_op = [&](Call* call, grpc::CompletionQueue* cq) {
    call->context.AddMetadata("authorization", tokens[counter++ % tokens.size()]);
    call->who_reader = tokens_stub->AsyncWhoAmI(&call->context, auth::v1::WhoAmIRequest(), cq);
    call->who_reader->Finish(&call->who, &call->status, call);
  };
  {
    reg::CreateResourceRequest request;
    *request.mutable_resource() = import.resources(0);
    request.mutable_resource()->clear_id();
    request.set_resource_id("bench-lab-contended");
    reg::Resource out;
    if (!admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateResource, request, &out).ok()) return 1;
  }

  std::printf("booking benchmark: %d resources, %d s per phase\n", kResources, seconds);
  Run(book_on(kResources), 16, 2);  // warm-up: connections, token caches, the catalogue
  const Result noop = Run(no_op, 64, seconds);
  const double store = StoreCeiling(redis, 64);
  const double lower = std::min(noop.per_second, store);
  Report("ceiling: no-op RPC (WhoAmI), 64 clients", noop);
  std::printf("  %-44s %9.0f /s\n", "ceiling: redis-benchmark FCALL sch_book, 64", store);
  const Result c16 = Run(book_on(kResources), 16, seconds);
  Report("CreateBooking, 1,000 resources, 16 clients", c16, lower);
  const Result c64 = Run(book_on(kResources), 64, seconds);
  Report("CreateBooking, 1,000 resources, 64 clients", c64, lower);
  const Result contended = Run(contend, 64, seconds);
  Report("CreateBooking, 1 resource, 64 clients", contended, lower);
  const double peak = std::max(c16.per_second, c64.per_second);
  const Result half = Run(book_on(kResources), 0, seconds, peak / 2);
  Report("CreateBooking at half of peak (" + std::to_string(static_cast<int>(peak / 2)) + "/s)", half);

  // Rate limiting's cost: the 64-client phase alternately on the server without limits and on the
  // one with them (twice each, so a drift of the machine shows in both).
  double off = 0, on = 0;
  long long compare_failed = 0;
  for (int round = 0; round < 2; ++round) {
    stub = unlimited_stub.get();
    const Result a = Run(book_on(kResources), 64, seconds);
    stub = limited_stub.get();
    const Result b = Run(book_on(kResources), 64, seconds);
    off += a.per_second / 2;
    on += b.per_second / 2;
    compare_failed += a.failed + b.failed;
  }
  std::printf("  %-44s %9.0f /s\n", "CreateBooking, 64 clients, rate limits off", off);
  std::printf("  %-44s %9.0f /s  (cost %.1f %%)\n", "CreateBooking, 64 clients, rate limits on", on,
              100.0 * (off - on) / off);
  return (c16.failed + c64.failed + contended.failed + half.failed + compare_failed) == 0 ? 0 : 1;
}
