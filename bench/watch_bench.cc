// Many concurrent watch streams on one replica: opens STREAMS WatchResources calls (ten member
// tokens, limits raised by configuration) over a few HTTP/2 connections with gRPC's callback client
// API, then creates resources one by one and measures, per delivered change, the time from the
// CreateResource call's start to the change's arrival (so it includes the write itself). Reports
// the server's threads (/proc/<pid>/task), Redis connections (CLIENT LIST), and the server's RSS
// per open stream. With EVENTS=0 it only opens the streams and counts (the "idle streams" figures).
// With RECEIVERS below STREAMS, only RECEIVERS streams watch resources (every change goes to each
// of them); the others are WatchBookings on one quiet resource: open, followed, and given no event
// while the changes are timed. That separates the streams a replica holds open from the fan-out of
// one change (the work a change costs is per delivery, on the server and in this bench's watchers,
// which share the machine's cores).
//
//   watch_bench SERVER_BINARY [streams=10000] [events=100] [channels=8] [events_per_s=5]
//               [receivers=streams]
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "bench/bench_support.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"

using namespace infrashare;
using Clock = std::chrono::steady_clock;

namespace {

int ThreadsOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

long RssKbOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

void Authorize(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata("authorization", "Bearer " + token);
}

// The send time of each timed resource, by the number in its name ("Bench Lab <n>"); the
// deliveries are counted here and their latencies kept per watcher (no lock on the hot path).
struct Record {
  explicit Record(size_t names) : sent_ns(names) {}
  std::vector<std::atomic<int64_t>> sent_ns;
  std::atomic<long> delivered{0};
  std::atomic<int> streams_with_an_event{0};
  std::atomic<int> ended{0};
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// One watch stream: counts its first event (the stream is open and live) and, for resource
// changes, keeps the latency of each timed one.
template <typename Event>
class Watcher final : public grpc::ClientReadReactor<Event> {
 public:
  Watcher(registry::v1::RegistryService::Stub* stub, const std::string& token, Record* record)
      : record_(record) {
    Authorize(&context_, token);
    stub->async()->WatchResources(&context_, &resources_, this);
    Start();
  }
  Watcher(scheduler::v1::SchedulerService::Stub* stub, const std::string& token,
          const std::string& resource_id, Record* record)
      : record_(record) {
    Authorize(&context_, token);
    bookings_.set_resource_id(resource_id);
    stub->async()->WatchBookings(&context_, &bookings_, this);
    Start();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    const int64_t now = NowNs();
    if (!seen_one_) {
      seen_one_ = true;
      record_->streams_with_an_event++;
    }
    if constexpr (std::is_same_v<Event, registry::v1::ResourceChange>) Time(now);
    this->StartRead(&change_);
  }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    record_->ended++;
  }
  void Cancel() { context_.TryCancel(); }
  const grpc::Status& status() const { return status_; }
  const std::vector<double>& latency_ms() const { return latency_ms_; }  // once done

 private:
  void Start() {
    this->StartRead(&change_);
    this->StartCall();
  }
  void Time(int64_t now) {
    const std::string& name = change_.resource().display_name();
    const size_t n =
        std::strtoul(name.c_str() + std::min(name.size(), sizeof("Bench Lab")), nullptr, 10);
    if (n < record_->sent_ns.size()) {
      if (const int64_t sent = record_->sent_ns[n].load(); sent != 0) {
        latency_ms_.push_back(static_cast<double>(now - sent) / 1e6);
        record_->delivered++;
      }
    }
  }

  Record* record_;
  grpc::ClientContext context_;
  registry::v1::WatchResourcesRequest resources_;
  scheduler::v1::WatchBookingsRequest bookings_;
  Event change_;
  bool seen_one_ = false;
  std::vector<double> latency_ms_;
  grpc::Status status_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: watch_bench SERVER_BINARY [streams] [events] [channels] [events_per_s] "
                 "[receivers]\n";
    return 2;
  }
  const int streams = argc > 2 ? std::max(1, std::atoi(argv[2])) : 10000;
  const int events = argc > 3 ? std::max(0, std::atoi(argv[3])) : 100;
  const int channels = argc > 4 ? std::max(1, std::atoi(argv[4])) : 8;
  const double rate = argc > 5 ? std::max(0.1, std::atof(argv[5])) : 5;
  const int receivers = argc > 6 ? std::clamp(std::atoi(argv[6]), 1, streams) : streams;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;  // the server inherits it
  setrlimit(RLIMIT_NOFILE, &files);

  constexpr int kTokens = 10;
  const int per_token = (streams + kTokens - 1) / kTokens;
  testing::RedisServer redis;
  testing::ServerProcess server(
      argv[1], redis.url(),
      {{"INFRASHARE_RATE_LIMITS_MAX_STREAMS_PER_TOKEN", std::to_string(per_token)},
       {"INFRASHARE_RATE_LIMITS_READ_TOKEN_BURST", "1000000"},
       {"INFRASHARE_RATE_LIMITS_READ_ORG_BURST", "1000000"},
       {"INFRASHARE_RATE_LIMITS_READ_PER_TOKEN_PER_S", "100000"},
       {"INFRASHARE_RATE_LIMITS_READ_PER_ORG_PER_S", "100000"}});
  if (!server.WaitUntilServing()) return 1;
  auto admin_registry = registry::v1::RegistryService::NewStub(server.channel());
  auto admin_scheduler = scheduler::v1::SchedulerService::NewStub(server.channel());
  auto tokens = auth::v1::TokenService::NewStub(server.channel());
  {
    grpc::ClientContext context;
    Authorize(&context, testing::kAdminToken);
    registry::v1::CreateOrganizationRequest org;
    org.set_organization_id("bench");
    org.mutable_organization()->set_display_name("Bench");
    org.mutable_organization()->set_kind(registry::v1::ORGANIZATION_KIND_COMPANY);
    registry::v1::Organization created;
    if (!admin_registry->CreateOrganization(&context, org, &created).ok()) return 1;
  }
  const std::string quiet = "bench-quiet";  // booked only while the streams open
  if (receivers < streams) {
    grpc::ClientContext context;
    Authorize(&context, testing::kAdminToken);
    registry::v1::CreateResourceRequest request;
    request.set_resource_id(quiet);
    auto* r = request.mutable_resource();
    r->set_display_name("Bench quiet lab");
    r->set_kind(registry::v1::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("bench");
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    r->set_booking_mode(registry::v1::BOOKING_MODE_EXCLUSIVE);
    r->mutable_lifecycle()->set_state(registry::v1::LIFECYCLE_STATE_ACTIVE);
    registry::v1::Resource created;
    if (auto status = admin_registry->CreateResource(&context, request, &created); !status.ok()) {
      std::cerr << "CreateResource: " << status.error_message() << "\n";
      return 1;
    }
  }
  std::vector<std::string> members;
  for (int i = 0; i < kTokens; ++i) {
    grpc::ClientContext context;
    Authorize(&context, testing::kAdminToken);
    auth::v1::CreateTokenRequest request;
    request.set_organization_id("bench");
    request.add_roles(auth::v1::ROLE_MEMBER);
    auth::v1::CreateTokenResponse token;
    if (!tokens->CreateToken(&context, request, &token).ok()) return 1;
    members.push_back(token.token());
  }
  Record record(static_cast<size_t>(events) + 1000);  // warm-up events come first, at most 480
  size_t made = 0;
  auto create = [&](bool timed) {
    grpc::ClientContext context;
    Authorize(&context, members[0]);
    registry::v1::CreateResourceRequest request;
    auto* r = request.mutable_resource();
    r->set_display_name("Bench Lab " + std::to_string(made++));
    r->set_kind(registry::v1::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("bench");
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    r->mutable_location()->mutable_region()->set_province("PV23");
    request.set_request_id("bench-" + std::to_string(made));
    // Before the call: a change may arrive before its reply.
    if (timed && made - 1 < record.sent_ns.size()) record.sent_ns[made - 1] = NowNs();
    registry::v1::Resource created;
    auto status = admin_registry->CreateResource(&context, request, &created);
    if (!status.ok()) {
      std::cerr << "CreateResource: " << status.error_message() << "\n";
      return false;
    }
    return true;
  };
  long long booked = 0;
  auto book_quiet = [&] {
    grpc::ClientContext context;
    Authorize(&context, members[0]);
    scheduler::v1::CreateBookingRequest request;
    request.set_resource_id(quiet);
    const long long start = 1893456000 + 3600 * booked++;  // 2030-01-01, hour after hour
    request.mutable_start_time()->set_seconds(start);
    request.mutable_end_time()->set_seconds(start + 3600);
    request.set_quantity(1);
    scheduler::v1::Booking booking;
    auto status = admin_scheduler->CreateBooking(&context, request, &booking);
    if (!status.ok()) std::cerr << "CreateBooking: " << status.error_message() << "\n";
    return status.ok();
  };

  const int threads_idle = ThreadsOf(server.pid());
  const long rss_idle = RssKbOf(server.pid());
  const std::string idle_clients = redis.Cli("CLIENT LIST");
  const int clients_idle = std::count(idle_clients.begin(), idle_clients.end(), '\n');
  std::vector<std::shared_ptr<grpc::Channel>> pipes;
  std::vector<std::unique_ptr<registry::v1::RegistryService::Stub>> stubs;
  std::vector<std::unique_ptr<scheduler::v1::SchedulerService::Stub>> booking_stubs;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
    args.SetInt("infrashare.bench.channel", i);
    pipes.push_back(grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server.port()),
                                              grpc::InsecureChannelCredentials(), args));
    stubs.push_back(registry::v1::RegistryService::NewStub(pipes.back()));
    booking_stubs.push_back(scheduler::v1::SchedulerService::NewStub(pipes.back()));
  }
  const auto open_start = Clock::now();
  std::vector<std::unique_ptr<Watcher<registry::v1::ResourceChange>>> watchers;
  std::vector<std::unique_ptr<Watcher<scheduler::v1::BookingEvent>>> quiet_watchers;
  for (int i = 0; i < streams; ++i) {
    if (i < receivers)
      watchers.push_back(std::make_unique<Watcher<registry::v1::ResourceChange>>(
          stubs[i % channels].get(), members[i % kTokens], &record));
    else
      quiet_watchers.push_back(std::make_unique<Watcher<scheduler::v1::BookingEvent>>(
          booking_stubs[i % channels].get(), members[i % kTokens], quiet, &record));
  }
  // Every stream is open once it has had an event: make them until all have (bounded).
  while (record.streams_with_an_event < streams && record.ended == 0 &&
         Clock::now() - open_start < std::chrono::seconds(120)) {
    if (!create(false)) return 1;
    if (!quiet_watchers.empty() && !book_quiet()) return 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const double open_s = std::chrono::duration<double>(Clock::now() - open_start).count();
  if (record.streams_with_an_event < streams) {
    std::fprintf(stderr, "only %d of %d streams opened (%d ended)\n",
                 record.streams_with_an_event.load(), streams, record.ended.load());
    for (auto& w : quiet_watchers)
      if (!w->status().ok()) {
        std::fprintf(stderr, "  e.g. %s\n", w->status().error_message().c_str());
        break;
      }
    for (auto& w : watchers)
      if (!w->status().ok()) {
        std::fprintf(stderr, "  e.g. %s\n", w->status().error_message().c_str());
        break;
      }
    return 1;
  }
  const int threads_open = ThreadsOf(server.pid());
  const long rss_open = RssKbOf(server.pid());
  const std::string clients = redis.Cli("CLIENT LIST");
  const int clients_open = std::count(clients.begin(), clients.end(), '\n');

  const double cpu_before = bench::CpuSecondsOf(server.pid());
  const double own_cpu_before = bench::CpuSecondsOf(getpid());
  for (int i = 0; i < events; ++i) {
    const auto next = Clock::now() + std::chrono::microseconds(static_cast<long>(1e6 / rate));
    if (!create(true)) return 1;
    std::this_thread::sleep_until(next);
  }
  // Until every stream has had every timed event, or 30 s.
  const size_t expected = static_cast<size_t>(receivers) * events;
  const auto drain_start = Clock::now();
  while (Clock::now() - drain_start < std::chrono::seconds(30) &&
         static_cast<size_t>(record.delivered) < expected)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int threads_busy = ThreadsOf(server.pid());
  const double cpu_s = bench::CpuSecondsOf(server.pid()) - cpu_before;
  const double own_cpu_s = bench::CpuSecondsOf(getpid()) - own_cpu_before;
  for (auto& w : watchers) w->Cancel();
  for (auto& w : quiet_watchers) w->Cancel();
  const auto cancel_start = Clock::now();
  while (record.ended < streams && Clock::now() - cancel_start < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<double> ms;
  if (record.ended == streams)
    for (auto& w : watchers) ms.insert(ms.end(), w->latency_ms().begin(), w->latency_ms().end());
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, size_t(q * ms.size()))];
  };
  std::printf(
      "watch streams: %d open over %d connections, %d tokens; %d WatchResources receive each "
      "change, %d WatchBookings of a quiet resource\n",
      streams, channels, kTokens, receivers, streams - receivers);
  std::printf("  all open and live after %.1f s\n", open_s);
  std::printf("  server threads: %d idle, %d with the streams open, %d after the events\n",
              threads_idle, threads_open, threads_busy);
  std::printf(
      "  redis connections (CLIENT LIST, incl. the bench's own): %d idle, %d streams open\n",
      clients_idle, clients_open);
  std::printf("  server RSS: %ld MiB idle, %ld MiB open: %.1f KiB per stream\n", rss_idle / 1024,
              rss_open / 1024, static_cast<double>(rss_open - rss_idle) / streams);
  if (events > 0)
    std::printf(
        "  %d events at %.1f/s: %zu of %zu deliveries; latency (CreateResource start -> change "
        "received) p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
        events, rate, ms.size(), expected, at(0.5), at(0.99), ms.empty() ? 0.0 : ms.back());
  if (events > 0)
    std::printf(
        "  CPU during the events: server %.2f s, %.1f us per delivered change; the bench's "
        "watchers (same cores) %.2f s, %.1f us per change\n",
        cpu_s, ms.empty() ? 0.0 : cpu_s * 1e6 / ms.size(), own_cpu_s,
        ms.empty() ? 0.0 : own_cpu_s * 1e6 / ms.size());
  return ms.size() >= expected ? 0 : 1;
}
