// The guarantee, as a property: many threads across two infrashare-server processes on one Redis
// run random hold / book / submit / approve / cancel / wait-list operations (holds also lapse and
// expire, freed slots promote waiting partners) on a few contended resources. Afterwards an
// independent checker reads Redis directly and finds
//   - no overlap on an exclusive resource and no instant over capacity on a shared one;
//   - every acknowledged booking stored;
//   - outcomes that match a sequential reference model: replaying each resource's transitions in
//     their recorded order, every accepted booking fitted and every refusal was justified at some
//     version of the resource between the call and its answer (read from Redis by the test before
//     the call and after the refusal: the server tells callers no internal counter).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "clients/cpp/infrashare_client/client.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "services/common/config.h"
#include "services/common/redis.h"
#include "tests/support/server_process.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
using namespace scheduler::v1;

constexpr int kThreads = 8;
constexpr int kOpsPerThread = 150;
constexpr int64_t kHourMs = 3600 * 1000;

struct ResourceSpec {
  std::string id;
  int capacity;
  bool approval;
  int buffer_minutes;
};

// A refused booking: what was asked, and the resource's versions before the call and after the
// refusal (the decision happened at one of them).
struct Refusal {
  std::string resource;
  int64_t blocked_start, blocked_end;
  int quantity;
  int64_t version_before, version_after;
  bool justified = false;
};

// The booking ledger's key of a resource's version, as docs/redis-keys.md lays it out: the shard
// is FNV-1a of the resource id modulo the 16 shards.
std::string VersionKey(const std::string& resource) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : resource) {
    hash ^= c;
    hash *= 16777619u;
  }
  return "is:{bk:" + std::to_string(hash % 16) + "}:r:" + resource + ":m";
}

struct StoredBooking {
  std::string id, resource, org, state;
  int64_t bs = 0, be = 0, hx = 0, up = 0, v = 0;  // up: Redis' clock when the event happened
  int quantity = 0;
};

StoredBooking FromJson(const nlohmann::json& j) {
  auto num = [&](const char* f) -> int64_t {
    return j.contains(f) && !j[f].get<std::string>().empty() ? std::stoll(j[f].get<std::string>())
                                                             : 0;
  };
  StoredBooking b;
  b.id = j["id"];
  b.resource = j["res"];
  b.org = j["org"];
  b.state = j["st"];
  b.bs = num("bs");
  b.be = num("be");
  b.hx = num("hx");
  b.up = num("up");
  b.v = num("v");
  b.quantity = static_cast<int>(num("q"));
  return b;
}

bool Blocking(const std::string& state) {
  return state == "HELD" || state == "PENDING_APPROVAL" || state == "CONFIRMED" ||
         state == "CHECKED_IN" || state == "COMPLETED";
}

// The most units in use at once over [from, to) by these bookings.
int Peak(const std::vector<const StoredBooking*>& bookings, int64_t from, int64_t to) {
  std::map<int64_t, int> delta;
  for (const auto* b : bookings) {
    if (b->bs >= to || b->be <= from) continue;
    delta[std::max(b->bs, from)] += b->quantity;
    delta[std::min(b->be, to)] -= b->quantity;
  }
  int level = 0, peak = 0;
  for (const auto& [at, d] : delta) {
    level += d;
    peak = std::max(peak, level);
  }
  return peak;
}

TEST(BookingConcurrency, TwoReplicasNeverDoubleBookAndMatchASequentialModel) {
  RedisServer redis;
  // The racing clients call far faster than a partner would: rate limits (tested in
  // security_test.cc) are switched off so every call reaches the booking ledger.
  const std::map<std::string, std::string> env = {{"INFRASHARE_SCHEDULER_HOLD_TTL_S", "1"},
                                                  {"INFRASHARE_SCHEDULER_SWEEP_INTERVAL_MS", "50"},
                                                  {"INFRASHARE_RATE_LIMITS_ENABLED", "false"}};
  ServerProcess a(INFRASHARE_SERVER_BIN, redis.url(), env);
  ServerProcess b(INFRASHARE_SERVER_BIN, redis.url(), env);
  ASSERT_TRUE(a.WaitUntilServing());
  ASSERT_TRUE(b.WaitUntilServing());

  // The world: three partners in one network, five contended resources.
  auto registry = reg::RegistryService::NewStub(a.channel());
  const std::vector<std::string> orgs = {"alpha", "beta", "gamma"};
  for (const auto& id : orgs) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(id);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL);
    reg::Organization out;
    ASSERT_TRUE(
        registry->CreateOrganization(TestServer::Context(kAdminToken).get(), request, &out).ok());
  }
  reg::CreateNetworkRequest network;
  network.set_network_id("net");
  network.mutable_network()->set_display_name("Net");
  for (const auto& id : orgs) network.mutable_network()->add_member_organization_ids(id);
  reg::Network created_network;
  ASSERT_TRUE(
      registry->CreateNetwork(TestServer::Context(kAdminToken).get(), network, &created_network)
          .ok());
  std::vector<ResourceSpec> resources = {{"", 1, false, 0},
                                         {"", 1, true, 0},
                                         {"", 1, false, 30},
                                         {"", 3, false, 0},
                                         {"", 4, true, 15}};
  for (size_t i = 0; i < resources.size(); ++i) {
    reg::CreateResourceRequest request;
    auto* r = request.mutable_resource();
    r->set_display_name("Contended " + std::to_string(i));
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("alpha");
    r->add_shared_with_network_ids("net");
    r->mutable_location()->mutable_point()->set_latitude(52);
    r->mutable_location()->mutable_point()->set_longitude(5);
    r->set_booking_mode(resources[i].capacity == 1 ? reg::BOOKING_MODE_EXCLUSIVE
                                                   : reg::BOOKING_MODE_SHARED_CAPACITY);
    r->set_capacity(resources[i].capacity);
    r->set_approval_required(resources[i].approval);
    r->mutable_booking_rules()->set_buffer_before_minutes(resources[i].buffer_minutes);
    r->mutable_booking_rules()->set_buffer_after_minutes(resources[i].buffer_minutes);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::Resource out;
    ASSERT_TRUE(
        registry->CreateResource(TestServer::Context(kAdminToken).get(), request, &out).ok());
    resources[i].id = out.id();
  }
  // A token per partner, created on one replica and used on both.
  TestServer tokens_via(redis.url());
  std::map<std::string, std::string> token;
  for (const auto& id : orgs) token[id] = tokens_via.Token(id, {auth::v1::ROLE_MEMBER});
  tokens_via.Shutdown();

  const int64_t day = (std::chrono::duration_cast<std::chrono::hours>(
                           std::chrono::system_clock::now().time_since_epoch())
                               .count() /
                           24 +
                       3) *
                      24 * kHourMs;
  std::vector<std::unique_ptr<SchedulerService::Stub>> stubs;
  stubs.push_back(SchedulerService::NewStub(a.channel()));
  stubs.push_back(SchedulerService::NewStub(b.channel()));

  std::mutex mutex;
  std::vector<Booking> acknowledged;  // every booking a create acknowledged
  std::vector<Refusal> refusals;
  std::map<std::string, std::string> booked_by;  // booking or waitlist entry id -> org
  std::vector<std::string> waitlisted;
  std::atomic<int> unexpected{0};
  std::string first_unexpected;
  RedisConfig redis_config;
  redis_config.url = redis.url();
  auto pool = RedisPool::Create(redis_config);
  ASSERT_TRUE(pool.ok());
  auto version_of = [&](const std::string& resource) -> int64_t {
    auto seq = (*pool)->Command({"HGET", VersionKey(resource), "seq"});
    return seq.ok() && !seq->str.empty() ? std::stoll(seq->str) : 0;
  };

  auto worker = [&](int seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % n); };
    for (int op = 0; op < kOpsPerThread; ++op) {
      auto& stub = *stubs[pick(2)];
      const std::string org = orgs[pick(3)];
      const int kind = pick(100);
      Booking out;
      grpc::Status status;
      if (kind >= 50 && kind < 58) {
        // Wait for a random slot; when it frees, the hold it becomes must fit like any booking.
        const auto& res = resources[pick(static_cast<int>(resources.size()))];
        JoinWaitlistRequest request;
        request.set_resource_id(res.id);
        const int64_t start = day + pick(10) * kHourMs / 2;
        request.mutable_start_time()->set_seconds(start / 1000);
        request.mutable_end_time()->set_seconds((start + (1 + pick(4)) * kHourMs / 2) / 1000);
        request.set_quantity(1 + pick(res.capacity));
        WaitlistEntry entry;
        status = stub.JoinWaitlist(TestServer::Context(token[org]).get(), request, &entry);
        std::lock_guard lock(mutex);
        if (status.ok()) {
          booked_by[entry.id()] = org;
          waitlisted.push_back(entry.id());
        } else if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
          if (unexpected++ == 0) first_unexpected = status.error_message();
        }
        continue;
      }
      if (kind < 50) {
        const auto& res = resources[pick(static_cast<int>(resources.size()))];
        CreateBookingRequest request;
        request.set_resource_id(res.id);
        const int64_t start = day + pick(10) * kHourMs / 2;
        const int64_t end = start + (1 + pick(4)) * kHourMs / 2;
        request.mutable_start_time()->set_seconds(start / 1000);
        request.mutable_end_time()->set_seconds(end / 1000);
        request.set_quantity(1 + pick(res.capacity));
        request.set_hold(pick(100) < 40);
        const int64_t before = version_of(res.id);
        status = stub.CreateBooking(TestServer::Context(token[org]).get(), request, &out);
        const bool refused =
            Reason(status) == "SLOT_TAKEN" || Reason(status) == "CAPACITY_EXCEEDED";
        const int64_t after = refused ? version_of(res.id) : 0;
        std::lock_guard lock(mutex);
        if (status.ok()) {
          acknowledged.push_back(out);
          booked_by[out.id()] = org;
        } else if (refused) {
          EXPECT_TRUE(client::ErrorMetadata(status, "resource_version").empty())
              << "a refusal tells an internal counter";
          const int64_t buffer = res.buffer_minutes * 60000LL;
          refusals.push_back(
              {res.id, start - buffer, end + buffer, request.quantity(), before, after});
        } else {
          if (unexpected++ == 0) first_unexpected = status.error_message();
        }
        continue;
      }
      std::string id, owner_org;
      {
        std::lock_guard lock(mutex);
        if (acknowledged.empty()) continue;
        // Now and then a waitlist entry's id: the hold it may have become.
        if (!waitlisted.empty() && pick(5) == 0) {
          id = waitlisted[pick(static_cast<int>(waitlisted.size()))];
        } else {
          id = acknowledged[pick(static_cast<int>(acknowledged.size()))].id();
        }
        owner_org = booked_by[id];
      }
      if (kind < 70) {
        SubmitBookingRequest request;
        request.set_id(id);
        status = stub.SubmitBooking(TestServer::Context(token[owner_org]).get(), request, &out);
      } else if (kind < 82) {
        ApproveBookingRequest request;
        request.set_id(id);
        status = stub.ApproveBooking(TestServer::Context(token["alpha"]).get(), request, &out);
      } else if (kind < 95) {
        CancelBookingRequest request;
        request.set_id(id);
        request.set_reason("changed plans");
        status = stub.CancelBooking(TestServer::Context(token[owner_org]).get(), request, &out);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(pick(300)));
        continue;
      }
      // Transitions may be refused for the booking's state (lapsed hold, already decided) or
      // because a waitlist entry has not become a booking; anything else is a failure.
      if (!status.ok() && status.error_code() != grpc::StatusCode::FAILED_PRECONDITION &&
          status.error_code() != grpc::StatusCode::NOT_FOUND) {
        std::lock_guard lock(mutex);
        if (unexpected++ == 0) first_unexpected = status.error_message();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, 1000 + t);
  for (auto& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0) << first_unexpected;
  // The run must have been contended to prove anything.
  EXPECT_GT(acknowledged.size(), 20u);
  EXPECT_GT(refusals.size(), 20u);

  // ---- the independent checker: straight from Redis ----
  std::map<std::string, StoredBooking> stored;
  std::vector<StoredBooking> events;  // every transition as recorded, with the version it made
  std::set<std::string> created_in_log;
  for (int shard = 0; shard < 16; ++shard) {
    const std::string base = "is:{bk:" + std::to_string(shard) + "}:";
    auto log = (*pool)->Command({"XRANGE", base + "events", "-", "+"});
    ASSERT_TRUE(log.ok());
    for (const auto& entry : log->elements) {
      const auto& fields = entry.elements[1].elements;
      std::string type, data;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "type") type = fields[i + 1].str;
        if (fields[i].str == "d") data = fields[i + 1].str;
      }
      StoredBooking e = FromJson(nlohmann::json::parse(data));
      if (type == "CREATED") created_in_log.insert(e.id);
      events.push_back(e);
    }
  }
  for (const auto& event : events) {
    if (stored.count(event.id)) continue;
    // The booking hash, found through the shard its event came from.
    for (int shard = 0; shard < 16; ++shard) {
      auto hash =
          (*pool)->Command({"HGETALL", "is:{bk:" + std::to_string(shard) + "}:b:" + event.id});
      ASSERT_TRUE(hash.ok());
      if (hash->elements.empty()) continue;
      nlohmann::json j = nlohmann::json::object();
      for (size_t i = 0; i + 1 < hash->elements.size(); i += 2)
        j[hash->elements[i].str] = hash->elements[i + 1].str;
      stored[event.id] = FromJson(j);
      break;
    }
  }
  // Every acknowledged booking is stored and was logged.
  for (const auto& booking : acknowledged) {
    EXPECT_TRUE(stored.count(booking.id())) << booking.id();
    EXPECT_TRUE(created_in_log.count(booking.id())) << booking.id();
  }

  std::map<std::string, int> capacity;
  for (const auto& r : resources) capacity[r.id] = r.capacity;
  // No instant over capacity among what blocks now (a hold past its expiry no longer blocks).
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const auto& r : resources) {
    std::vector<const StoredBooking*> live;
    for (const auto& [id, b] : stored)
      if (b.resource == r.id && Blocking(b.state) && !(b.state == "HELD" && b.hx <= now))
        live.push_back(&b);
    for (const auto* b : live)
      EXPECT_LE(Peak(live, b->bs, b->be), r.capacity)
          << "over capacity on " << r.id << " around " << b->id;
  }

  // The sequential model: per resource, transitions in version order.
  std::map<std::string, std::vector<StoredBooking>> by_resource;
  for (const auto& e : events) by_resource[e.resource].push_back(e);
  std::map<std::string, std::vector<Refusal>> refused;
  for (const auto& r : refusals) refused[r.resource].push_back(r);
  int transitions = 0;
  for (auto& [resource, log] : by_resource) {
    std::sort(log.begin(), log.end(), [](const auto& x, const auto& y) { return x.v < y.v; });
    for (size_t i = 1; i < log.size(); ++i)
      ASSERT_EQ(log[i].v, log[i - 1].v + 1) << "gap in " << resource;
    auto& pending = refused[resource];
    std::map<std::string, StoredBooking> model;
    // What blocks at time `at`: a hold whose expiry has passed never blocks, expired or not yet.
    auto blocking_at = [&](int64_t at) {
      std::vector<const StoredBooking*> out;
      for (const auto& [id, b] : model)
        if (Blocking(b.state) && !(b.state == "HELD" && b.hx <= at)) out.push_back(&b);
      return out;
    };
    auto blocking_now = [&] { return blocking_at(std::numeric_limits<int64_t>::min()); };
    // The model is at `version`: a refusal pending then is justified if the slot had no room.
    auto justify_at = [&](int64_t version) {
      for (auto& r : pending)
        if (!r.justified && r.version_before <= version && version <= r.version_after)
          r.justified = Peak(blocking_now(), r.blocked_start, r.blocked_end) + r.quantity >
                        capacity[resource];
    };
    justify_at(log.empty() ? 0 : log.front().v - 1);
    for (const auto& e : log) {
      auto it = model.find(e.id);
      if (it == model.end()) {
        // Created (booked, or promoted from the waitlist): it must have fitted next to everything
        // that blocked at that moment.
        EXPECT_LE(Peak(blocking_at(e.up), e.bs, e.be) + e.quantity, capacity[resource])
            << e.id << " was accepted without room at version " << e.v;
        model[e.id] = e;
      } else {
        const std::string& from = it->second.state;
        static const std::map<std::string, std::set<std::string>> allowed = {
            {"HELD", {"PENDING_APPROVAL", "CONFIRMED", "CANCELLED", "EXPIRED"}},
            {"PENDING_APPROVAL", {"CONFIRMED", "REJECTED", "CANCELLED", "EXPIRED"}},
            {"CONFIRMED", {"CHECKED_IN", "CANCELLED", "NO_SHOW", "COMPLETED"}},
            {"CHECKED_IN", {"COMPLETED"}}};
        EXPECT_TRUE(allowed.count(from) && allowed.at(from).count(e.state))
            << e.id << ": " << from << " -> " << e.state;
        if (from == "HELD" && e.state == "EXPIRED") {
          EXPECT_GE(e.up, it->second.hx) << e.id << " expired early";
        }
        if (from == "HELD" && e.state != "EXPIRED" && e.state != "CANCELLED") {
          EXPECT_LT(e.up, it->second.hx) << e.id << " submitted after its hold lapsed";
        }
        it->second = e;
        ++transitions;
      }
      justify_at(e.v);
    }
    for (const auto& r : pending)
      EXPECT_TRUE(r.justified) << "a refusal of " << resource << " between versions "
                               << r.version_before << " and " << r.version_after << " had room";
  }
  EXPECT_GT(transitions, 10);
  int promoted = 0;
  for (const auto& id : waitlisted) promoted += stored.count(id);
  EXPECT_GT(promoted, 0) << "no waitlist entry ever became a hold: the run proves nothing about it";
}

}  // namespace
}  // namespace infrashare::testing
