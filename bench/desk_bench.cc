// Desk benchmark, through the real server with 500 responders in one network:
//   1. submit -> offer latency at a light load (100 inquiries/s);
//   2. sustained routing at 1,000 inquiries/s (open loop): the rate submitted, the rate offered,
//      and the latency under that load;
//   3. timer precision with 10,000 pending deadlines: 10,000 offers due within a few seconds of
//      each other; how late after its deadline each one fired.
// Latencies come from the inquiries' own history, stamped by Redis' clock (1 ms resolution):
// OFFERED minus SUBMITTED, TIMED_OUT minus the offer's deadline. Starts its own Redis and the
// infrashare-server binary on loopback; every phase is bounded in time.
//
//   desk_bench SERVER_BINARY [seconds=10]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "google/protobuf/util/time_util.h"
#include "infrashare_client/client.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"

namespace {

using namespace infrashare;
using namespace infrashare::desk::v1;
using Clock = std::chrono::steady_clock;
using google::protobuf::util::TimeUtil;
namespace reg = infrashare::registry::v1;

constexpr int kOrganizations = 50;
constexpr int kRespondersPerOrganization = 10;
constexpr int kAcceptSecondsHigh = 15;  // the deadline of phase 3's offers

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

class Bench {
 public:
  explicit Bench(int port) {
    options_.server = "127.0.0.1:" + std::to_string(port);
    options_.token = testing::kAdminToken;
    options_.deadline = std::chrono::seconds(60);
  }

  bool SetUp() {
    client::Client admin(options_);
    reg::CreateNetworkRequest network;
    network.set_network_id("bench-net");
    network.mutable_network()->set_display_name("Bench network");
    const reg::Theme themes[] = {reg::THEME_DIGITALISATION, reg::THEME_FOOD,
                                 reg::THEME_ENERGY_TRANSITION, reg::THEME_HEALTH_CARE,
                                 reg::THEME_MANUFACTURING};
    for (int o = 0; o <= kOrganizations; ++o) {
      reg::CreateOrganizationRequest org;
      org.set_organization_id("bench-org-" + std::to_string(o));
      org.mutable_organization()->set_display_name(org.organization_id());
      org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
      reg::Organization out;
      if (!admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateOrganization, org, &out)
               .ok())
        return false;
      network.mutable_network()->add_member_organization_ids(org.organization_id());
    }
    reg::Network created;
    if (!admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateNetwork, network, &created)
             .ok())
      return false;
    // Organisation 0 is the entry partner; the others each have ten responders with a theme and a
    // province, so routing has real scoring to do.
    for (int o = 1; o <= kOrganizations; ++o)
      for (int r = 0; r < kRespondersPerOrganization; ++r) {
        CreateResponderRequest request;
        auto* responder = request.mutable_responder();
        responder->set_organization_id("bench-org-" + std::to_string(o));
        responder->set_display_name("responder " + std::to_string(o) + "." + std::to_string(r));
        responder->add_skills(NEED_TYPE_INNOVATION);
        responder->add_skills(NEED_TYPE_TRAINING);
        responder->add_themes(themes[(o + r) % 5]);
        responder->add_regions("PV" + std::to_string(20 + (o + r) % 12));
        responder->set_capacity(1000);
        responder->set_online(true);
        Responder out;
        auto status = admin.Call(admin.desk(), &DeskService::Stub::CreateResponder, request, &out);
        if (!status.ok()) {
          std::cerr << "responder: " << client::DescribeError(status) << "\n";
          return false;
        }
      }
    return true;
  }

  // Submits at `rate` per second for `seconds` from `threads` threads (open loop); returns the ids.
  std::vector<std::string> Submit(double rate, double seconds, Urgency urgency, double* achieved) {
    constexpr int kThreads = 16;
    std::vector<std::string> ids;
    std::mutex mutex;
    std::atomic<long> failed{0};
    const auto begin = Clock::now();
    const long total = static_cast<long>(rate * seconds);
    std::atomic<long> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        client::Client c(options_);
        const reg::Theme themes[] = {reg::THEME_DIGITALISATION, reg::THEME_FOOD,
                                     reg::THEME_MANUFACTURING};
        for (long n = next++; n < total; n = next++) {
          std::this_thread::sleep_until(begin + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(n / rate)));
          SubmitInquiryRequest request;
          request.set_entry_organization_id("bench-org-0");
          request.set_need_type(n % 2 ? NEED_TYPE_INNOVATION : NEED_TYPE_TRAINING);
          request.add_themes(themes[n % 3]);
          request.set_region("PV" + std::to_string(20 + n % 12));
          request.set_text("benchmark question " + std::to_string(n));
          request.set_urgency(urgency);
          request.set_asker_is_sme(true);
          Inquiry out;
          auto status = c.Call(c.desk(), &DeskService::Stub::SubmitInquiry, request, &out);
          if (!status.ok()) {
            if (failed++ == 0)
              std::cerr << "  submit failed: " << client::DescribeError(status) << "\n";
            continue;
          }
          std::lock_guard lock(mutex);
          ids.push_back(out.id());
        }
        (void)t;
      });
    for (auto& t : threads) t.join();
    *achieved = static_cast<double>(ids.size()) /
                std::chrono::duration<double>(Clock::now() - begin).count();
    if (failed > 0) std::cerr << "  " << failed << " submits FAILED\n";
    return ids;
  }

  // The inquiries with their history, once `done` holds for all of them (or `limit` passed).
  std::vector<Inquiry> Await(const std::vector<std::string>& ids,
                             const std::function<bool(const Inquiry&)>& done,
                             std::chrono::seconds limit) {
    const auto until = Clock::now() + limit;
    std::vector<Inquiry> result(ids.size());
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&] {
        client::Client c(options_);
        for (size_t n = next++; n < ids.size(); n = next++) {
          GetInquiryRequest request;
          request.set_id(ids[n]);
          while (true) {
            auto status = c.Call(c.desk(), &DeskService::Stub::GetInquiry, request, &result[n]);
            if ((status.ok() && done(result[n])) || Clock::now() > until) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
      });
    for (auto& t : threads) t.join();
    return result;
  }

 private:
  client::ClientOptions options_;
};

int64_t FirstTime(const Inquiry& inquiry, HistoryKind kind) {
  for (const auto& h : inquiry.history())
    if (h.kind() == kind) return TimeUtil::TimestampToMilliseconds(h.time());
  return -1;
}

bool Offered(const Inquiry& i) { return FirstTime(i, HISTORY_KIND_OFFERED) >= 0; }

struct Latency {
  std::vector<double> ms;
  int64_t first_submit = INT64_MAX, last_offer = 0;
  size_t missing = 0;
};

Latency OfferLatency(const std::vector<Inquiry>& inquiries) {
  Latency l;
  for (const auto& i : inquiries) {
    const int64_t submitted = FirstTime(i, HISTORY_KIND_SUBMITTED),
                  offered = FirstTime(i, HISTORY_KIND_OFFERED);
    if (submitted < 0 || offered < 0) {
      ++l.missing;
      continue;
    }
    l.ms.push_back(static_cast<double>(offered - submitted));
    l.first_submit = std::min(l.first_submit, submitted);
    l.last_offer = std::max(l.last_offer, offered);
  }
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: desk_bench SERVER_BINARY [seconds]\n";
    return 2;
  }
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  testing::RedisServer redis;
  testing::ServerProcess server(
      argv[1], redis.url(),
      {{"INFRASHARE_LOG_FORMAT", "json"},
       {"INFRASHARE_RATE_LIMITS_ENABLED", "false"},  // many calls per token
       {"INFRASHARE_DESK_ACCEPT_S_HIGH", std::to_string(kAcceptSecondsHigh)},
       {"INFRASHARE_DESK_MAX_ATTEMPTS", "1"},
       {"INFRASHARE_DESK_ESCALATION_S", "86400"}});
  if (!server.WaitUntilServing()) {
    std::cerr << "the server did not start\n";
    return 1;
  }
  Bench bench(server.port());
  if (!bench.SetUp()) return 1;
  std::printf("  %d responders in %d organisations of one network\n",
              kOrganizations * kRespondersPerOrganization, kOrganizations);

  double achieved = 0;
  auto light = bench.Submit(100, seconds, URGENCY_NORMAL, &achieved);
  auto l = OfferLatency(bench.Await(light, Offered, std::chrono::seconds(30)));
  std::printf(
      "  submit -> offer at %.0f/s: %zu inquiries, p50 %.0f ms, p99 %.0f ms, max %.0f ms%s\n",
      achieved, l.ms.size(), Percentile(l.ms, 0.5), Percentile(l.ms, 0.99), Percentile(l.ms, 1.0),
      l.missing ? "   SOME NEVER OFFERED" : "");

  auto sustained = bench.Submit(1000, seconds, URGENCY_NORMAL, &achieved);
  auto s = OfferLatency(bench.Await(sustained, Offered, std::chrono::seconds(60)));
  const double routed = static_cast<double>(s.ms.size()) /
                        (static_cast<double>(s.last_offer - s.first_submit) / 1000);
  std::printf(
      "  sustained: submitted %.0f/s, offered %.0f/s (%zu inquiries), submit -> offer p50 %.0f ms, "
      "p99 %.0f ms, max %.0f ms%s\n",
      achieved, routed, s.ms.size(), Percentile(s.ms, 0.5), Percentile(s.ms, 0.99),
      Percentile(s.ms, 1.0), s.missing ? "   SOME NEVER OFFERED" : "");

  // 10,000 offers with a deadline kAcceptSecondsHigh after each was made; nobody accepts.
  auto timed = bench.Submit(1000, 10, URGENCY_HIGH, &achieved);
  auto expired = bench.Await(
      timed, [](const Inquiry& i) { return FirstTime(i, HISTORY_KIND_TIMED_OUT) >= 0; },
      std::chrono::seconds(kAcceptSecondsHigh + 60));
  std::vector<double> late;
  size_t never = 0;
  for (const auto& i : expired) {
    const int64_t offered = FirstTime(i, HISTORY_KIND_OFFERED),
                  fired = FirstTime(i, HISTORY_KIND_TIMED_OUT);
    if (offered < 0 || fired < 0) {
      ++never;
      continue;
    }
    late.push_back(static_cast<double>(fired - (offered + kAcceptSecondsHigh * 1000)));
  }
  const size_t within = static_cast<size_t>(
      std::count_if(late.begin(), late.end(), [](double ms) { return ms <= 1000; }));
  std::printf(
      "  deadlines: %zu pending at once, fired after their deadline by p50 %.0f ms, p99 %.0f ms, "
      "max %.0f ms; "
      "%zu of %zu within 1 s%s\n",
      timed.size(), Percentile(late, 0.5), Percentile(late, 0.99), Percentile(late, 1.0), within,
      timed.size(), never ? "   SOME NEVER FIRED" : "");
  return 0;
}
