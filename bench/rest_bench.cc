// REST against gRPC on one server, in the same run (issue #17): GetResource, SearchResources and
// CreateBooking per second with N clients in a closed loop, each over gRPC (one channel per
// client, synchronous stubs) and over REST/JSON on the HTTP listener (one keep-alive HTTP/1.1
// connection per client), with p50, p99 and CPU per call, in alternating one-second slices of
// each. Starts its own Redis and the infrashare-server binary
// on loopback; every phase is bounded in time.
//
//   rest_bench SERVER_BINARY [seconds=5] [clients=8] [http_threads=16] [phases=get,search,book]
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_support.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"

namespace {

using namespace infrashare;
using Clock = std::chrono::steady_clock;
namespace reg = infrashare::registry::v1;
namespace sch = infrashare::scheduler::v1;

constexpr int kResources = 200;

using Call = std::function<bool(int, long long)>;

// One protocol's calls over every slice of a phase.
struct Tally {
  explicit Tally(int clients) : next(clients, 0), latencies(clients) {}
  std::vector<long long> next;  // each client's next call number (CreateBooking's slot)
  std::vector<std::vector<double>> latencies;
  long long done = 0, failed = 0;
  double seconds = 0, server_cpu = 0, own_cpu = 0;
};

pid_t server_pid = -1;

// `clients` threads each calling `call(client, n)` (true = answered as expected) for one second.
void Slice(int clients, const Call& call, Tally* tally) {
  std::atomic<bool> stop{false};
  std::atomic<long long> done{0}, failed{0};
  std::vector<std::thread> threads;
  const double server_cpu = bench::CpuSecondsOf(server_pid),
               own_cpu = bench::CpuSecondsOf(getpid());
  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      while (!stop) {
        const auto sent = Clock::now();
        if (!call(c, tally->next[c]++)) ++failed;
        tally->latencies[c].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        ++done;
      }
    });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  for (auto& t : threads) t.join();
  tally->seconds += std::chrono::duration<double>(Clock::now() - start).count();
  tally->server_cpu += bench::CpuSecondsOf(server_pid) - server_cpu;
  tally->own_cpu += bench::CpuSecondsOf(getpid()) - own_cpu;
  tally->done += done;
  tally->failed += failed;
}

// gRPC and REST in alternating one-second slices, `seconds` of each, so a change in the machine's
// load during the phase weighs on both alike.
void Compare(const char* what, int clients, int seconds, const Call& grpc_call,
             const Call& rest_call) {
  Tally grpc_tally(clients), rest_tally(clients);
  for (int s = 0; s < seconds; ++s) {
    Slice(clients, grpc_call, &grpc_tally);
    Slice(clients, rest_call, &rest_tally);
  }
  struct Shown {
    double per_second, p50, p99, server_us, own_us;
  };
  auto show = [](const Tally& t) {
    std::vector<double> all;
    for (const auto& l : t.latencies) all.insert(all.end(), l.begin(), l.end());
    const double calls = std::max<double>(1, t.done);
    return Shown{t.done / t.seconds, bench::Percentile(all, 0.5), bench::Percentile(all, 0.99),
                 t.server_cpu * 1e6 / calls, t.own_cpu * 1e6 / calls};
  };
  const Shown g = show(grpc_tally), r = show(rest_tally);
  std::printf(
      "%-16s gRPC %8.0f/s p50 %6.2f ms p99 %6.2f ms | REST %8.0f/s p50 %6.2f ms p99 %6.2f ms"
      " | REST/gRPC %3.0f %%  (failed %lld/%lld)\n"
      "%-16s CPU per call, server + bench: gRPC %5.0f + %5.0f us | REST %5.0f + %5.0f us\n",
      what, g.per_second, g.p50, g.p99, r.per_second, r.p50, r.p99,
      100.0 * r.per_second / g.per_second, grpc_tally.failed, rest_tally.failed, "", g.server_us,
      g.own_us, r.server_us, r.own_us);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: rest_bench SERVER_BINARY [seconds=5] [clients=8] [http_threads=16]"
                 " [phases=get,search,book]\n");
    return 2;
  }
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
  const int clients = argc > 3 ? std::atoi(argv[3]) : 8;
  const int http_threads = argc > 4 ? std::atoi(argv[4]) : 16;
  const std::string phases = argc > 5 ? argv[5] : "get,search,book";
  auto want = [&](const char* phase) { return phases.find(phase) != std::string::npos; };
  testing::RedisServer redis;
  const int http_port = testing::FreePort();
  testing::ServerProcess server(argv[1], redis.url(),
                                {{"INFRASHARE_HTTP_LISTEN", absl::StrCat("127.0.0.1:", http_port)},
                                 {"INFRASHARE_HTTP_THREADS", std::to_string(http_threads)},
                                 {"INFRASHARE_RATE_LIMITS_ENABLED", "false"},
                                 {"INFRASHARE_AUDIT_ENABLED", "false"}});
  server_pid = server.pid();
  if (!server.WaitUntilServing()) {
    std::fprintf(stderr, "the server did not start\n");
    return 1;
  }
  auto registry = reg::RegistryService::NewStub(server.channel());
  auto tokens = auth::v1::TokenService::NewStub(server.channel());
  bench::MakeOrganization(registry.get(), "bench-school", "ROC Bench");
  const std::string token =
      bench::MakeToken(tokens.get(), "bench-school", auth::v1::ROLE_ORGANIZATION_ADMIN);
  std::vector<std::string> resources;
  for (int i = 0; i < kResources; ++i) {
    reg::CreateResourceRequest create;
    auto* r = create.mutable_resource();
    r->set_display_name(absl::StrCat("Lab ", i, " Zwolle"));
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("bench-school");
    r->mutable_location()->mutable_point()->set_latitude(52.0 + i * 0.001);
    r->mutable_location()->mutable_point()->set_longitude(6.0);
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_capacity(1);
    r->set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::Resource made;
    auto status = registry->CreateResource(bench::As(token).get(), create, &made);
    if (!status.ok()) bench::Fail("CreateResource", status);
    resources.push_back(made.id());
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the read models follow

  std::vector<std::unique_ptr<reg::RegistryService::Stub>> grpc_registry;
  std::vector<std::unique_ptr<sch::SchedulerService::Stub>> grpc_scheduler;
  std::vector<std::unique_ptr<httplib::Client>> http;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per client, like REST's
    auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server.port()),
                                             grpc::InsecureChannelCredentials(), args);
    grpc_registry.push_back(reg::RegistryService::NewStub(channel));
    grpc_scheduler.push_back(sch::SchedulerService::NewStub(channel));
    http.push_back(std::make_unique<httplib::Client>("127.0.0.1", http_port));
    http.back()->set_keep_alive(true);
    http.back()->set_tcp_nodelay(true);
  }
  const httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  std::printf("rest_bench: %d clients, %d s per phase, %d HTTP threads, %d resources\n", clients,
              seconds, http_threads, kResources);

  // GetResource.
  if (want("get")) {
    const Call get_grpc = [&](int c, long long n) {
      reg::GetResourceRequest get;
      get.set_id(resources[n % kResources]);
      reg::Resource r;
      const grpc::Status status = grpc_registry[c]->GetResource(bench::As(token).get(), get, &r);
      static std::atomic<bool> told{false};
      if (!status.ok() && !told.exchange(true))
        std::fprintf(stderr, "GetResource: %d %s\n", static_cast<int>(status.error_code()),
                     status.error_message().c_str());
      return status.ok();
    };
    const Call get_rest = [&](int c, long long n) {
      auto res = http[c]->Get(absl::StrCat("/v1/resources/", resources[n % kResources]), auth);
      return res && res->status == 200;
    };
    Compare("GetResource", clients, seconds, get_grpc, get_rest);
  }

  // SearchResources: labs within 25 km of a point that moves from call to call along the row of
  // labs (so each answer differs: other labs, other distances), one page of 20.
  if (want("search")) {
    auto latitude_of = [](long long n) { return 52.0 + static_cast<double>(n % 97) * 0.002; };
    const Call search_grpc = [&](int c, long long n) {
      reg::SearchResourcesRequest search;
      search.add_kinds(reg::RESOURCE_KIND_LAB);
      search.mutable_within()->mutable_center()->set_latitude(latitude_of(n));
      search.mutable_within()->mutable_center()->set_longitude(6.0);
      search.mutable_within()->set_radius_km(25);
      search.set_page_size(20);
      reg::SearchResourcesResponse r;
      return grpc_registry[c]->SearchResources(bench::As(token).get(), search, &r).ok();
    };
    const Call search_rest = [&](int c, long long n) {
      auto res = http[c]->Post(
          "/v1/resources:search", auth,
          absl::StrCat(R"({"kinds":["RESOURCE_KIND_LAB"],"within":{"center":)", R"({"latitude":)",
                       latitude_of(n), R"(,"longitude":6.0},"radiusKm":25},"pageSize":20})"),
          "application/json");
      return res && res->status == 200;
    };
    Compare("SearchResources", clients, seconds, search_grpc, search_rest);
  }

  // CreateBooking: each client books its own resources, hour after hour (no contention).
  const int64_t day0 = (std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                                .count() /
                            86400 +
                        2) *
                       86400;
  auto slot = [&](bool rest, int c, long long n) {
    // gRPC and REST book different years: never the same slot.
    const int64_t start = day0 + (rest ? 366 * 86400 : 0) + n * 3600;
    return std::make_pair(resources[c % kResources], start);
  };
  if (want("book")) {
    const Call book_grpc = [&](int c, long long n) {
      auto [resource, start] = slot(false, c, n);
      sch::CreateBookingRequest book;
      book.set_resource_id(resource);
      book.mutable_start_time()->set_seconds(start);
      book.mutable_end_time()->set_seconds(start + 3600);
      sch::Booking b;
      return grpc_scheduler[c]->CreateBooking(bench::As(token).get(), book, &b).ok();
    };
    const Call book_rest = [&](int c, long long n) {
      auto [resource, start] = slot(true, c, n);
      auto time = [](int64_t s) {
        char text[32];
        const time_t t = s;
        struct tm utc;
        std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &utc));
        return std::string(text);
      };
      auto res =
          http[c]->Post("/v1/bookings", auth,
                        absl::StrCat(R"({"resourceId":")", resource, R"(","startTime":")",
                                     time(start), R"(","endTime":")", time(start + 3600), R"("})"),
                        "application/json");
      static std::atomic<bool> told{false};
      if ((!res || res->status != 200) && !told.exchange(true))
        std::fprintf(
            stderr, "CreateBooking over REST: %d %s\n", res ? res->status : 0,
            res ? res->body.substr(0, 300).c_str() : httplib::to_string(res.error()).c_str());
      return res && res->status == 200;
    };
    Compare("CreateBooking", clients, seconds, book_grpc, book_rest);
  }
  return 0;
}
