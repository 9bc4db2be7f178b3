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
// Then the no-op and the two uncontended booking phases on two servers in turn, twice:
//   --cluster  a server on a Redis Cluster of three primaries against one on a Redis of its own,
//              both started fresh: the cost of the cluster;
//   --wait     a server with redis.wait_replicas 1 on a Redis with a replica against one on a
//              Redis without, both started fresh: the cost of WAIT 1 (and of feeding a replica);
//   --tls      (or BENCH_TLS=1) against the first server, a second server with TLS (certificates
//              from scripts/make-certs) on the same Redis under another key prefix: the cost of
//              TLS.
// Fresh pairs, because the first server has by then taken tens of thousands of bookings and
// follows their events: a newcomer beside it would be measured against a busier server.
//
//   booking_bench SERVER_BINARY [seconds=10] [--cluster] [--wait] [--tls]
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "infrashare_client/client.h"
#include "services/common/redis.h"
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
      const auto gap =
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
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
      if (result.failed++ == 0)
        std::cerr << "  call failed: " << client::DescribeError(call->status) << "\n";
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
  std::printf("  %-44s %9.0f /s   p50 %6.2f ms   p99 %6.2f ms", name.c_str(), r.per_second,
              r.p50_ms, r.p99_ms);
  if (r.refused > 0) std::printf("   (%lld confirmed, %lld refused)", r.ok, r.refused);
  if (ceiling > 0) std::printf("   %.0f%% of the lower ceiling", 100.0 * r.per_second / ceiling);
  if (r.failed > 0) std::printf("   %lld FAILED", r.failed);
  std::printf("\n");
}

// redis-benchmark's requests per second for the booking function (the store ceiling): every call
// books a random one of a million resources, so nearly every call confirms a booking. It runs on
// a Redis of its own with the server's functions: on the server's, its hundreds of thousands of
// bookings would be events for the server to follow and data for a replica to copy.
double StoreCeiling(const testing::RedisServer& server_redis, int clients) {
  const testing::RedisServer redis;
  const auto ask = [](int port, const RedisArgs& command) {
    return RedisAskOnce("127.0.0.1", port, "", command, std::chrono::milliseconds(5000));
  };
  const auto functions = ask(server_redis.port(), {"FUNCTION", "DUMP"});
  const auto restored = functions.ok() && functions->type == RedisValue::Type::kString
                            ? ask(redis.port(), {"FUNCTION", "RESTORE", functions->str})
                            : functions;
  if (!restored.ok() || restored->type == RedisValue::Type::kError) {
    std::fprintf(stderr, "redis-benchmark: the server's functions could not be copied\n");
    return 0;
  }
  const std::string base = "is:{bk:0}:";
  char command[1024];
  std::snprintf(
      command, sizeof command,
      "redis-benchmark -p %d -c %d -n 300000 -r 100000000000 -q FCALL sch_book_v2 2 %s %sr:x:m "
      "keys 'base meta' res r__rand_int____rand_int__ org bench-org capacity 1 hold 0 "
      "approval 0 training 0 all_or_nothing 1 hold_ttl 600000 no_show 0 title t notes n "
      "series '' held_for '' fingerprint '' replay_ttl 60 maxlen 100000 expected '' replaces '' "
      "replace_reason '' contact '' person '' retention 0 occurrences "
      "'[{\"id\":\"b__rand_int__\",\"s\":\"4102444800000\","
      "\"e\":\"4102448400000\",\"bs\":\"4102444800000\",\"be\":\"4102448400000\","
      "\"q\":\"1\",\"qk\":\"\",\"ql\":\"0\",\"sk\":\"\",\"sl\":\"-1\",\"m\":\"60\"}]' "
      "2>&1",
      redis.port(), clients, base.c_str(), base.c_str());
  FILE* pipe = popen(command, "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  pclose(pipe);
  // "FCALL sch_book_v2 ...: 41152.26 requests per second, p50=..."
  const auto at = out.rfind("requests per second");
  if (at == std::string::npos) {
    std::fprintf(stderr, "redis-benchmark: %s\n", out.c_str());
    return 0;
  }
  const auto colon = out.rfind(": ", at);
  return std::atof(out.substr(colon + 2, at - colon - 2).c_str());
}

// One server under load: one owner, 16 booking partners in one network, 1,000 exclusive resources
// and one contended resource; the stubs and partner tokens the phases call with.
struct World {
  std::unique_ptr<SchedulerService::Stub> scheduler;
  std::unique_ptr<auth::v1::TokenService::Stub> tokens;
  std::vector<std::string> bearers;
  std::vector<std::atomic<long long>> next_slot = std::vector<std::atomic<long long>>(kResources);
  std::atomic<unsigned> counter{0};
  std::mt19937 rng{1};
  std::mutex rng_mutex;
};

std::unique_ptr<World> Populate(const client::ClientOptions& options,
                                std::shared_ptr<grpc::ChannelCredentials> credentials) {
  client::Client admin(options);
  reg::CreateNetworkRequest network;
  network.set_network_id("bench-net");
  network.mutable_network()->set_display_name("Bench network");
  for (int i = 0; i <= kBookers; ++i) {
    reg::CreateOrganizationRequest org;
    org.set_organization_id("bench-org-" + std::to_string(i));
    org.mutable_organization()->set_display_name("Bench org " + std::to_string(i));
    org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL);
    reg::Organization out;
    if (!admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateOrganization, org, &out)
             .ok())
      return nullptr;
    network.mutable_network()->add_member_organization_ids(org.organization_id());
  }
  reg::Network created_network;
  if (!admin
           .Call(admin.registry(), &reg::RegistryService::Stub::CreateNetwork, network,
                 &created_network)
           .ok())
    return nullptr;
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
  auto status =
      admin.Call(admin.registry(), &reg::RegistryService::Stub::ImportResources, import, &imported);
  if (!status.ok()) {
    std::cerr << "import: " << client::DescribeError(status) << "\n";
    return nullptr;
  }
  reg::CreateResourceRequest contended;
  *contended.mutable_resource() = import.resources(0);
  contended.mutable_resource()->clear_id();
  contended.set_resource_id("bench-lab-contended");
  reg::Resource out;
  if (!admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateResource, contended, &out)
           .ok())
    return nullptr;
  auto world = std::make_unique<World>();
  for (int i = 1; i <= kBookers; ++i) {
    auth::v1::CreateTokenRequest request;
    request.set_organization_id("bench-org-" + std::to_string(i));
    request.add_roles(auth::v1::ROLE_MEMBER);
    auth::v1::CreateTokenResponse token;
    if (!admin.Call(admin.tokens(), &auth::v1::TokenService::Stub::CreateToken, request, &token)
             .ok())
      return nullptr;
    world->bearers.push_back("Bearer " + token.token());
  }
  world->scheduler = SchedulerService::NewStub(grpc::CreateChannel(options.server, credentials));
  world->tokens = auth::v1::TokenService::NewStub(grpc::CreateChannel(options.server, credentials));
  return world;
}

// Starts CreateBooking of hour `slot` (from 2030 on) on `resource` as the n-th partner token.
void Send(World& w, Call* call, grpc::CompletionQueue* cq, const std::string& resource,
          long long slot, unsigned n) {
  const long long base = 1893456000;  // 2030-01-01T00:00:00Z
  CreateBookingRequest request;
  request.set_resource_id(resource);
  request.mutable_start_time()->set_seconds(base + slot * 3600);
  request.mutable_end_time()->set_seconds(base + slot * 3600 + 3600);
  request.set_quantity(1);
  call->context.AddMetadata("authorization", w.bearers[n % w.bearers.size()]);
  call->booking_reader = w.scheduler->AsyncCreateBooking(&call->context, request, cq);
  call->booking_reader->Finish(&call->booking, &call->status, call);
}

// Every booking lands in a slot of its own: per resource, hour after hour.
Starter BookOn(World& w, int resource_count) {
  return [&w, resource_count](Call* call, grpc::CompletionQueue* cq) {
    const unsigned n = w.counter++;
    const int resource =
        static_cast<int>((n * 2654435761u) % static_cast<unsigned>(resource_count));
    Send(w, call, cq, "bench-lab-" + std::to_string(resource), w.next_slot[resource]++, n);
  };
}

// Contention: all clients on one resource, over 50 slots that fill, then are refused.
Starter Contend(World& w) {
  return [&w](Call* call, grpc::CompletionQueue* cq) {
    long long slot;
    {
      std::lock_guard lock(w.rng_mutex);
      slot = static_cast<long long>(w.rng() % 50);
    }
    Send(w, call, cq, "bench-lab-contended", slot, w.counter++);
  };
}

Starter NoOp(World& w) {
  return [&w](Call* call, grpc::CompletionQueue* cq) {
    call->context.AddMetadata("authorization", w.bearers[w.counter++ % w.bearers.size()]);
    call->who_reader = w.tokens->AsyncWhoAmI(&call->context, auth::v1::WhoAmIRequest(), cq);
    call->who_reader->Finish(&call->who, &call->status, call);
  };
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The same phases against two servers in turn, twice each; prints what `other` costs against
// `base` (a negative cost is a gain) and returns the number of failed calls.
long long Compare(World& base, World& other, const std::string& base_name,
                  const std::string& other_name, const std::string& cost_of, int seconds) {
  long long failed = 0;
  struct Phase {
    std::string name;
    std::function<Starter(World&)> starter;
    int clients;
  };
  const std::vector<Phase> phases = {
      {"WhoAmI (no-op), 64 clients", [](World& w) { return NoOp(w); }, 64},
      {"CreateBooking, 16 clients", [](World& w) { return BookOn(w, kResources); }, 16},
      {"CreateBooking, 64 clients", [](World& w) { return BookOn(w, kResources); }, 64},
  };
  const size_t width = std::max(base_name.size(), other_name.size());
  auto padded = [width](std::string name) { return name + std::string(width - name.size(), ' '); };
  for (const auto& phase : phases) {
    double sum_base = 0, sum_other = 0;
    for (int round = 0; round < 2; ++round) {
      const Result b = Run(phase.starter(base), phase.clients, seconds);
      Report(padded(base_name) + " " + phase.name, b);
      const Result o = Run(phase.starter(other), phase.clients, seconds);
      Report(padded(other_name) + " " + phase.name, o);
      sum_base += b.per_second;
      sum_other += o.per_second;
      failed += b.failed + o.failed;
    }
    std::printf("  %-44s cost of %s (mean of two): %.1f %%\n", phase.name.c_str(), cost_of.c_str(),
                100.0 * (1 - sum_other / sum_base));
  }
  return failed;
}

client::ClientOptions OptionsFor(const testing::ServerProcess& server) {
  client::ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(server.port());
  options.token = testing::kAdminToken;
  options.deadline = std::chrono::seconds(60);
  return options;
}

// A second server on `env` (besides the bench's limits), populated and warmed up; nullptr if it
// did not start.
struct Other {
  std::unique_ptr<testing::ServerProcess> server;
  std::unique_ptr<World> world;
};
Other StartOther(const std::string& binary, const std::string& redis_url,
                 std::map<std::string, std::string> env) {
  Other other;
  other.server = std::make_unique<testing::ServerProcess>(binary, redis_url, env);
  if (!other.server->WaitUntilServing()) {
    std::cerr << "the second server did not start\n";
    return {};
  }
  other.world = Populate(OptionsFor(*other.server), grpc::InsecureChannelCredentials());
  if (!other.world) return {};
  Run(BookOn(*other.world, kResources), 16, 2);  // warm-up
  return other;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  bool tls = getenv("BENCH_TLS") != nullptr && std::strcmp(getenv("BENCH_TLS"), "1") == 0;
  bool cluster = false, wait = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tls") == 0) {
      tls = true;
    } else if (std::strcmp(argv[i], "--cluster") == 0) {
      cluster = true;
    } else if (std::strcmp(argv[i], "--wait") == 0) {
      wait = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  if (args.empty()) {
    std::cerr << "usage: booking_bench SERVER_BINARY [seconds] [--tls] [--cluster] [--wait]\n";
    return 2;
  }
  const int seconds = args.size() > 1 ? std::atoi(args[1].c_str()) : 10;
  testing::RedisServer redis;
  // Rate limits on, high enough that nothing is refused (what they cost is measured, not what they
  // refuse); a second server on the same Redis has them off, for the comparison below.
  std::map<std::string, std::string> limited = {{"INFRASHARE_LOG_FORMAT", "json"}};
  for (const char* group : {"READ", "WRITE"})
    for (const char* key : {"PER_TOKEN_PER_S", "TOKEN_BURST", "PER_ORG_PER_S", "ORG_BURST"})
      limited[std::string("INFRASHARE_RATE_LIMITS_") + group + "_" + key] = "1000000";
  testing::ServerProcess server(args[0], redis.url(), limited);
  testing::ServerProcess unlimited(
      args[0], redis.url(),
      {{"INFRASHARE_LOG_FORMAT", "json"}, {"INFRASHARE_RATE_LIMITS_ENABLED", "false"}});
  if (!server.WaitUntilServing() || !unlimited.WaitUntilServing()) {
    std::cerr << "the server did not start\n";
    return 1;
  }
  const client::ClientOptions options = OptionsFor(server);
  auto world = Populate(options, grpc::InsecureChannelCredentials());
  if (!world) return 1;

  std::printf("booking benchmark: %d resources, %d s per phase\n", kResources, seconds);
  Run(BookOn(*world, kResources), 16, 2);  // warm-up: connections, token caches, the catalogue
  const Result noop = Run(NoOp(*world), 64, seconds);
  const double store = StoreCeiling(redis, 64);
  const double lower = std::min(noop.per_second, store);
  Report("ceiling: no-op RPC (WhoAmI), 64 clients", noop);
  std::printf("  %-44s %9.0f /s\n", "ceiling: redis-benchmark FCALL sch_book, 64", store);
  const Result c16 = Run(BookOn(*world, kResources), 16, seconds);
  Report("CreateBooking, 1,000 resources, 16 clients", c16, lower);
  const Result c64 = Run(BookOn(*world, kResources), 64, seconds);
  Report("CreateBooking, 1,000 resources, 64 clients", c64, lower);
  const Result contended = Run(Contend(*world), 64, seconds);
  Report("CreateBooking, 1 resource, 64 clients", contended, lower);
  const double peak = std::max(c16.per_second, c64.per_second);
  const Result half = Run(BookOn(*world, kResources), 0, seconds, peak / 2);
  Report("CreateBooking at half of peak (" + std::to_string(static_cast<int>(peak / 2)) + "/s)",
         half);
  long long failed = c16.failed + c64.failed + contended.failed + half.failed;

  // Rate limiting's cost: the 64-client phase alternately on the server without limits and on the
  // one with them, twice each, on the same data (the stub is swapped, the slots go on).
  std::unique_ptr<SchedulerService::Stub> other = SchedulerService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(unlimited.port()), grpc::InsecureChannelCredentials()));
  double off = 0, on = 0;
  for (int round = 0; round < 4; ++round) {
    std::swap(world->scheduler, other);  // rounds 0 and 2 run without limits
    const Result r = Run(BookOn(*world, kResources), 64, seconds);
    (round % 2 == 0 ? off : on) += r.per_second / 2;
    failed += r.failed;
  }
  std::printf("  %-44s %9.0f /s\n", "CreateBooking, 64 clients, rate limits off", off);
  std::printf("  %-44s %9.0f /s  (cost %.1f %%)\n", "CreateBooking, 64 clients, rate limits on", on,
              100.0 * (off - on) / off);
  if (cluster) {
    // The same server against a Redis Cluster of three primaries (no replicas: the cost of the
    // slot routing and of three Redis processes on these two cores, not of replication).
    testing::RedisCluster redis_cluster(3, 0);
    std::map<std::string, std::string> env = limited;
    env["INFRASHARE_REDIS_CLUSTER_NODES"] = redis_cluster.seeds();
    const testing::RedisServer one_redis;
    Other base = StartOther(args[0], one_redis.url(), limited);
    Other other = StartOther(args[0], redis_cluster.nodes()[0]->url(), env);
    if (!base.world || !other.world) return 1;
    std::printf(
        "\nRedis Cluster (3 primaries on loopback) against one Redis, phases alternating, "
        "%d s each:\n",
        seconds);
    failed += Compare(*base.world, *other.world, "one Redis", "cluster", "the cluster", seconds);
  }
  if (wait) {
    // A Redis with one replica attached and a server that waits for it after every mutating call
    // (redis.wait_replicas 1), against a server on a Redis without a replica.
    const testing::RedisServer plain, primary;
    const testing::RedisServer replica(
        false, false, {"--replicaof", "127.0.0.1", std::to_string(primary.port())});
    std::map<std::string, std::string> env = limited;
    env["INFRASHARE_REDIS_WAIT_REPLICAS"] = "1";
    Other base = StartOther(args[0], plain.url(), limited);
    Other other = StartOther(args[0], primary.url(), env);
    if (!base.world || !other.world) return 1;
    std::printf(
        "\nWAIT 1 after every mutating call (one replica on loopback) against none, "
        "phases alternating, %d s each:\n",
        seconds);
    failed += Compare(*base.world, *other.world, "no WAIT", "WAIT 1", "WAIT 1", seconds);
  }
  if (!tls) return failed == 0 ? 0 : 1;

  char dir[] = "/tmp/infrashare-bench-tls-XXXXXX";
  const std::string certs = mkdtemp(dir);
  if (std::system((std::string(INFRASHARE_SOURCE_DIR) + "/scripts/make-certs " + certs).c_str()) !=
      0)
    return 1;
  std::map<std::string, std::string> tls_env = limited;  // the same limits as the plaintext server
  tls_env["INFRASHARE_REDIS_KEY_PREFIX"] = "tls:";
  tls_env["INFRASHARE_TLS_CERT_FILE"] = certs + "/server.pem";
  tls_env["INFRASHARE_TLS_KEY_FILE"] = certs + "/server.key";
  testing::ServerProcess tls_server(args[0], redis.url(), tls_env);
  if (!tls_server.WaitUntilServing()) {
    std::cerr << "the TLS server did not start\n";
    return 1;
  }
  client::ClientOptions tls_options = options;
  tls_options.server = "127.0.0.1:" + std::to_string(tls_server.port());
  tls_options.tls = true;
  tls_options.ca_file = certs + "/ca.pem";
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(tls_options.ca_file);
  auto tls_world = Populate(tls_options, grpc::SslCredentials(ssl));
  if (!tls_world) return 1;
  Run(BookOn(*tls_world, kResources), 16, 2);  // warm-up
  std::printf(
      "\nTLS (server certificate EC P-256, no client certificates) against plaintext, "
      "phases alternating, %d s each:\n",
      seconds);
  failed += Compare(*world, *tls_world, "plaintext", "TLS", "TLS", seconds);
  std::system(("rm -rf " + certs).c_str());
  return failed == 0 ? 0 : 1;
}
