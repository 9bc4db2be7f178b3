// Redis Sentinel on loopback: a primary, two replicas and three Sentinels; two server processes
// find the primary through the Sentinels and wait for one replica after every write. Under steady
// booking load from both servers the primary is killed (-9): the Sentinels promote a replica, the
// servers follow it, no acknowledged booking is lost and no slot is booked twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kMaster[] = "infrashare";
constexpr int64_t k2100 = 4102444800;  // 2100-01-01T00:00:00Z

template <typename Probe>
bool Within(std::chrono::seconds limit, Probe probe) {
  for (const auto end = Clock::now() + limit; Clock::now() < end;) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Which port the Sentinel names as the primary ("" while it names none).
std::string PrimaryPort(const RedisSentinel& sentinel) {
  const std::string out = sentinel.Cli(std::string("SENTINEL get-master-addr-by-name ") + kMaster);
  const size_t line = out.find('\n');
  if (line == std::string::npos) return "";
  std::string port = out.substr(line + 1);
  port.erase(std::remove(port.begin(), port.end(), '\n'), port.end());
  return port;
}

class SentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    primary_ = std::make_unique<RedisServer>(false, true);
    for (int i = 0; i < 2; ++i)
      replicas_.push_back(std::make_unique<RedisServer>(
          false, true,
          std::vector<std::string>{"--replicaof", "127.0.0.1", std::to_string(primary_->port())}));
    for (auto& replica : replicas_)
      ASSERT_TRUE(Within(std::chrono::seconds(10), [&] {
        return replica->Cli("INFO replication").find("master_link_status:up") != std::string::npos;
      }));
    std::string addresses;
    for (int i = 0; i < 3; ++i) {
      sentinels_.push_back(std::make_unique<RedisSentinel>(kMaster, primary_->port()));
      addresses +=
          (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(sentinels_.back()->port());
    }
    // Each Sentinel knows the replicas and the other Sentinels before anything fails (they find
    // replicas through the primary's INFO, every 10 s at first, and each other every 2 s).
    for (auto& sentinel : sentinels_)
      ASSERT_TRUE(Within(std::chrono::seconds(25), [&] {
        const std::string out = sentinel->Cli(std::string("SENTINEL master ") + kMaster);
        return out.find("num-slaves\n2") != std::string::npos &&
               out.find("num-other-sentinels\n2") != std::string::npos;
      })) << sentinel->Cli(std::string("SENTINEL master ") + kMaster);
    for (int i = 0; i < 2; ++i) {
      // The URL names no live Redis: the primary comes from the Sentinels alone.
      servers_.push_back(std::make_unique<ServerProcess>(
          INFRASHARE_SERVER_BIN, "redis://127.0.0.1:1",
          std::map<std::string, std::string>{{"INFRASHARE_REDIS_SENTINELS", addresses},
                                             {"INFRASHARE_REDIS_SENTINEL_MASTER", kMaster},
                                             {"INFRASHARE_REDIS_WAIT_REPLICAS", "1"},
                                             {"INFRASHARE_REDIS_WAIT_TIMEOUT_MS", "500"}}));
      ASSERT_TRUE(servers_.back()->WaitUntilServing());
      schedulers_.push_back(scheduler::v1::SchedulerService::NewStub(servers_.back()->channel()));
    }
  }

  std::unique_ptr<RedisServer> primary_;
  std::vector<std::unique_ptr<RedisServer>> replicas_;
  std::vector<std::unique_ptr<RedisSentinel>> sentinels_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::vector<std::unique_ptr<scheduler::v1::SchedulerService::Stub>> schedulers_;
};

TEST_F(SentinelTest, ServersFollowTheNewPrimaryAndLoseNoAcknowledgedBooking) {
  auto registry = registry::v1::RegistryService::NewStub(servers_[0]->channel());
  registry::v1::CreateOrganizationRequest org;
  org.set_organization_id("owner");
  org.mutable_organization()->set_display_name("Owner");
  org.mutable_organization()->set_kind(registry::v1::ORGANIZATION_KIND_COMPANY);
  registry::v1::Organization created_org;
  ASSERT_TRUE(
      registry->CreateOrganization(TestServer::Context(kAdminToken).get(), org, &created_org).ok());
  const std::vector<std::string> labs = {"lab-a", "lab-b", "lab-c"};
  for (const auto& id : labs) {
    registry::v1::CreateResourceRequest create;
    create.set_resource_id(id);
    auto* r = create.mutable_resource();
    r->set_display_name("Lab " + id);
    r->set_kind(registry::v1::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("owner");
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    registry::v1::Resource lab;
    ASSERT_TRUE(
        registry->CreateResource(TestServer::Context(kAdminToken).get(), create, &lab).ok());
  }
  // Both servers' catalogues know the labs before the load starts.
  ASSERT_TRUE(Within(std::chrono::seconds(10), [&] {
    for (auto& scheduler : schedulers_) {
      scheduler::v1::CheckAvailabilityRequest check;
      check.set_resource_id(labs.back());
      check.mutable_start_time()->set_seconds(k2100);
      check.mutable_end_time()->set_seconds(k2100 + 3600);
      scheduler::v1::CheckAvailabilityResponse answer;
      if (!scheduler->CheckAvailability(TestServer::Context(kAdminToken).get(), check, &answer)
               .ok())
        return false;
    }
    return true;
  }));

  // Two clients per server, each trying random hours of the labs (so they race for slots), each
  // request retried with its request_id until it is answered, as a client does after UNAVAILABLE.
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> acknowledged;  // (booking id, lab)
  std::atomic<bool> stop{false};
  std::atomic<int> answered_after_kill{0};
  std::atomic<bool> killed{false};
  std::vector<Clock::time_point> acknowledged_at;  // for the longest gap without a booking
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      auto& scheduler = *schedulers_[c % 2];
      uint32_t seed = 7919u * static_cast<uint32_t>(c + 1);
      for (int n = 0; !stop; ++n) {
        seed = seed * 1103515245u + 12345u;
        const std::string& lab = labs[(seed >> 8) % labs.size()];
        const int64_t hour = (seed >> 12) % 200;
        scheduler::v1::CreateBookingRequest request;
        request.set_resource_id(lab);
        request.set_organization_id("owner");
        request.set_quantity(1);
        request.mutable_start_time()->set_seconds(k2100 + hour * 3600);
        request.mutable_end_time()->set_seconds(k2100 + hour * 3600 + 3600);
        request.set_request_id("client-" + std::to_string(c) + "-" + std::to_string(n));
        for (const auto give_up = Clock::now() + std::chrono::seconds(20);
             !stop && Clock::now() < give_up;) {
          scheduler::v1::Booking booking;
          const auto status =
              scheduler.CreateBooking(TestServer::Context(kAdminToken).get(), request, &booking);
          if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
          }
          if (status.ok()) {
            std::lock_guard lock(mutex);
            acknowledged.emplace_back(booking.id(), lab);
            acknowledged_at.push_back(Clock::now());
            if (killed) ++answered_after_kill;
          }
          break;  // booked, or refused for a reason that is not the outage (SLOT_TAKEN)
        }
      }
    });
  }
  ASSERT_TRUE(Within(std::chrono::seconds(20), [&] {
    std::lock_guard lock(mutex);
    return acknowledged.size() >= 40;
  }));
  const std::string old_port = std::to_string(primary_->port());
  {
    std::lock_guard lock(mutex);
    killed = true;
  }
  primary_->Stop();  // kill -9
  // The Sentinels promote a replica; both servers book on it (every client had answers after).
  EXPECT_TRUE(Within(std::chrono::seconds(30),
                     [&] {
                       const std::string port = PrimaryPort(*sentinels_[0]);
                       return !port.empty() && port != old_port && answered_after_kill >= 40;
                     }))
      << "after the kill: " << answered_after_kill << " bookings";
  stop = true;
  for (auto& client : clients) client.join();
  {
    std::lock_guard lock(mutex);
    // The longest time between two acknowledged bookings (answers of calls in flight at the kill
    // come after it, so "first answer after the kill" would not measure the failover).
    std::sort(acknowledged_at.begin(), acknowledged_at.end());
    Clock::duration longest{};
    for (size_t i = 1; i < acknowledged_at.size(); ++i)
      longest = std::max(longest, acknowledged_at[i] - acknowledged_at[i - 1]);
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(longest);
    std::printf("bookings acknowledged: %zu (%d after the kill); gap without bookings: %lld ms\n",
                acknowledged.size(), answered_after_kill.load(),
                static_cast<long long>(gap.count()));
  }

  // Every acknowledged booking is on the new primary (WAIT 1 put it on a replica first), and no
  // two bookings of a lab overlap.
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> held;
  for (const auto& [id, lab] : acknowledged) {
    scheduler::v1::GetBookingRequest get;
    get.set_id(id);
    scheduler::v1::Booking booking;
    const auto status =
        schedulers_[0]->GetBooking(TestServer::Context(kAdminToken).get(), get, &booking);
    ASSERT_TRUE(status.ok()) << id << ": " << status.error_message();
    held[lab].emplace_back(booking.start_time().seconds(), booking.end_time().seconds());
  }
  for (auto& [lab, spans] : held) {
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i)
      EXPECT_LE(spans[i - 1].second, spans[i].first) << lab << " is booked twice";
  }
}

}  // namespace
}  // namespace infrashare::testing
