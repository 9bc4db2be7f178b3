// Synchronous vs callback gRPC server API, measured for docs/DECISIONS.md. The same handler is
// served both ways: a no-op, and one blocking Redis round trip through our pool (what every
// registry write does). 16 client threads, one connection each, for a bounded time.
//
//   server_api_bench [seconds=5]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/redis.h"
#include "tests/support/redis_server.h"

namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using Clock = std::chrono::steady_clock;

// The handler under test: optionally one Redis GET.
grpc::Status Work(infrashare::RedisPool* redis, HealthCheckResponse* response) {
  if (redis != nullptr) {
    auto reply = redis->Command({"GET", "bench:key"});
    if (!reply.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "redis");
  }
  response->set_status(HealthCheckResponse::SERVING);
  return grpc::Status::OK;
}

class SyncService final : public Health::Service {
 public:
  explicit SyncService(infrashare::RedisPool* redis) : redis_(redis) {}
  grpc::Status Check(grpc::ServerContext*, const HealthCheckRequest*,
                     HealthCheckResponse* response) override {
    return Work(redis_, response);
  }

 private:
  infrashare::RedisPool* redis_;
};

class CallbackService final : public Health::CallbackService {
 public:
  explicit CallbackService(infrashare::RedisPool* redis) : redis_(redis) {}
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const HealthCheckRequest*,
                                  HealthCheckResponse* response) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(Work(redis_, response));  // blocking work on the reactor thread
    return reactor;
  }

 private:
  infrashare::RedisPool* redis_;
};

struct Result {
  double per_second;
  double p50_ms;
  double p99_ms;
};

Result Load(int port, int seconds) {
  std::vector<std::vector<double>> latencies(16);
  std::vector<std::thread> threads;
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", t);
      auto stub = Health::NewStub(grpc::CreateCustomChannel(
          "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
      while (Clock::now() < end) {
        grpc::ClientContext context;
        HealthCheckResponse response;
        auto t0 = Clock::now();
        if (stub->Check(&context, HealthCheckRequest(), &response).ok())
          latencies[t].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  for (auto& th : threads) th.join();
  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  if (all.empty()) return {0, 0, 0};
  return {all.size() / double(seconds), all[all.size() / 2], all[all.size() * 99 / 100]};
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  infrashare::testing::RedisServer redis_server;
  infrashare::RedisConfig config;
  config.url = redis_server.url();
  auto redis = infrashare::RedisPool::Create(config);
  if (!redis.ok()) return 1;
  std::printf(
      "| server API | handler | calls/s (16 clients) | p50 ms | p99 ms |\n|---|---|---|---|---|\n");
  for (bool with_redis : {false, true}) {
    for (bool callback : {false, true}) {
      infrashare::RedisPool* pool = with_redis ? redis->get() : nullptr;
      SyncService sync(pool);
      CallbackService async(pool);
      grpc::ServerBuilder builder;
      int port = 0;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
      if (callback) {
        builder.RegisterService(&async);
      } else {
        grpc::ResourceQuota quota("bench");
        quota.SetMaxThreads(64);
        builder.SetResourceQuota(quota);
        builder.RegisterService(&sync);
      }
      auto server = builder.BuildAndStart();
      Result r = Load(port, seconds);
      std::printf("| %s | %s | %.0f | %.2f | %.2f |\n", callback ? "callback" : "synchronous",
                  with_redis ? "one Redis GET" : "no-op", r.per_second, r.p50_ms, r.p99_ms);
      server->Shutdown(std::chrono::system_clock::now());
    }
  }
  return 0;
}
