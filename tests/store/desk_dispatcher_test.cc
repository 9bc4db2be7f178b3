// The desk's deadlines and its dispatcher's readiness against a real Redis, without gRPC: every
// deadline desk.lua sets falls on a whole second, and a Dispatcher reports ready only once its
// consumer group exists and its first pass over due deadlines is done (plain and cluster-mode
// Redis).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/embedded_lua.h"
#include "services/desk/desk_store.h"
#include "services/desk/dispatch_queue.h"
#include "services/desk/dispatcher.h"
#include "services/registry/read_model.h"
#include "tests/support/redis_server.h"

namespace infrashare::desk {
namespace {

using testing::ClusterModeRequested;
using testing::RedisServer;

std::unique_ptr<RedisPool> Pool(const RedisServer& server) {
  RedisConfig config;
  config.url = server.url();
  config.pool_size = 4;
  auto pool = RedisPool::Create(config);
  EXPECT_TRUE(pool.ok()) << pool.status();
  if (!pool.ok()) return nullptr;
  (*pool)->AddFunctionLibrary(std::string(kDeskLua));
  return std::move(*pool);
}

absl::StatusOr<v1::Inquiry> Submit(DeskStore* store, const std::string& id,
                                   const std::string& network = "net1") {
  v1::Inquiry i;
  i.set_id(id);
  i.set_network_id(network);
  i.set_entry_organization_id("o1");
  i.set_need_type(v1::NEED_TYPE_INNOVATION);
  i.set_text("Wie helpt in 's-Hertogenbosch met een lasrobot? Caf\xC3\xA9 \xC3\x91");
  i.set_language("nl");
  v1::AskerContact contact;
  contact.set_name("Asker");
  return store->Submit(i, contact, "tok_entry", "");
}

// When the desk's timer fires for `id` (ms), or -1 when it has none.
int64_t TimerOf(const RedisServer& server, const std::string& id) {
  std::string out = server.Cli("ZSCORE 'is:{dk}:tm' " + id);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  int64_t ms = -1;
  if (!absl::SimpleAtoi(out, &ms)) return -1;
  return ms;
}

TEST(DeskTimers, AQueueWaitAndAnEscalationFallOnWholeSeconds) {
  RedisServer server(ClusterModeRequested());
  auto pool = Pool(server);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->LoadFunctions().ok());
  DeskConfig config;
  config.queue_wait_s = 7;
  config.escalation_s = 11;
  RedisDeskStore store(pool.get(), config);
  // Several inquiries, so that a Redis clock that happens to sit on a whole second cannot make the
  // test pass by chance.
  for (int n = 0; n < 5; ++n) {
    const std::string id = "inq" + std::to_string(n);
    auto submitted = Submit(&store, id);
    ASSERT_TRUE(submitted.ok()) << submitted.status();
    RouteDecision queue;
    queue.kind = RouteDecision::Kind::kQueue;
    const int64_t before = NowMs();
    auto queued = store.Route(id, submitted->etag(), queue, 0);
    const int64_t after = NowMs();
    ASSERT_TRUE(queued.ok() && queued->has_value()) << queued.status();
    const int64_t wait_until = TimerOf(server, id);
    EXPECT_EQ(wait_until % 1000, 0) << wait_until;
    // Never shorter than configured, and rounded up by less than a second.
    EXPECT_GE(wait_until, before + 7000);
    EXPECT_LT(wait_until, after + 7000 + 1000);

    RouteDecision escalate;
    escalate.kind = RouteDecision::Kind::kEscalate;
    escalate.cause = "nobody in Zwolle fits";
    const int64_t escalated_at = NowMs();
    auto escalated = store.Route(id, (**queued).etag(), escalate, 0);
    const int64_t escalated_after = NowMs();
    ASSERT_TRUE(escalated.ok() && escalated->has_value()) << escalated.status();
    EXPECT_EQ((**escalated).state(), v1::INQUIRY_STATE_ESCALATED);
    const int64_t coordinators_until = TimerOf(server, id);
    EXPECT_EQ(coordinators_until % 1000, 0) << coordinators_until;
    EXPECT_GE(coordinators_until, escalated_at + 11000);
    EXPECT_LT(coordinators_until, escalated_after + 11000 + 1000);
  }
}

// An inquiry being routed has a timer: when its dispatch entry is lost (the stream is trimmed),
// the timer dispatches it again, so no inquiry stays in ROUTING for good.
TEST(DeskTimers, AnInquiryWhoseDispatchWasLostIsDispatchedAgain) {
  RedisServer server(ClusterModeRequested());
  auto pool = Pool(server);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->LoadFunctions().ok());
  RedisDeskStore store(pool.get(), DeskConfig{});
  const int64_t before = NowMs();
  auto submitted = Submit(&store, "lost");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(submitted->state(), v1::INQUIRY_STATE_ROUTING);
  const int64_t retry = TimerOf(server, "lost");
  EXPECT_GE(retry, before + 60000);
  EXPECT_EQ(retry % 1000, 0) << retry;
  ASSERT_TRUE(pool->Command({"DEL", "is:{dk}:dq"}).ok());  // trimmed away before any dispatcher
  ASSERT_TRUE(pool->Command({"ZADD", "is:{dk}:tm", "0", "lost"}).ok());  // the retry is due
  auto applied = store.ApplyDue(10);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 1);
  EXPECT_TRUE(absl::StrContains(server.Cli("XRANGE 'is:{dk}:dq' - +"), "lost"));
  EXPECT_GE(TimerOf(server, "lost"), before + 60000) << "and it is set again";
}

// A dispatcher over the Redis stores, as DeskModule builds it.
struct DispatcherOver {
  explicit DispatcherOver(RedisPool* pool, DeskConfig config)
      : store(pool, config),
        queue(pool),
        directory(nullptr),
        dispatcher(&queue, &store, &directory, config) {}
  RedisDeskStore store;
  RedisDispatchQueue queue;
  registry::RegistryReadModel directory;
  Dispatcher dispatcher;
};

DeskConfig FastTimers() {
  DeskConfig config;
  config.timer_interval_ms = 50;
  config.dispatch_threads = 1;
  return config;
}

bool WaitUntilReady(const Dispatcher& dispatcher) {
  for (int n = 0; n < 200 && !dispatcher.ready(); ++n)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return dispatcher.ready();
}

TEST(DeskDispatcher, IsReadyOnlyOnceItsGroupExistsAndOverdueOffersAreTakenBack) {
  RedisServer server(ClusterModeRequested());
  auto pool = Pool(server);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->LoadFunctions().ok());
  DispatcherOver desk(pool.get(), FastTimers());
  // What a replica left behind: an offer whose deadline passed while nothing ran.
  v1::Responder responder;
  responder.set_id("r1");
  responder.set_organization_id("o2");
  responder.set_display_name("Perron038");
  responder.set_capacity(1);
  ASSERT_TRUE(desk.store.PutResponder(responder, "", true, "").ok());
  auto submitted = Submit(&desk.store, "overdue");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  RouteDecision offer;
  offer.kind = RouteDecision::Kind::kOffer;
  offer.responder_ids = {"r1"};
  ASSERT_TRUE(desk.store.Route("overdue", submitted->etag(), offer, 1000).ok());  // 1970
  // A backlog before it larger than one pass applies (20 batches of 500): 10,600 deadlines that
  // passed earlier still (of inquiries long gone). Ready waits for the last of them.
  RedisArgs backlog = {"ZADD", "is:{dk}:tm"};
  for (int n = 0; n < 10600; ++n) {
    backlog.push_back("0");
    backlog.push_back(absl::StrCat("gone", n));
  }
  ASSERT_TRUE(pool->Command(backlog).ok());
  EXPECT_FALSE(absl::StrContains(server.Cli("XINFO GROUPS 'is:{dk}:dq'"), "dispatchers"));

  EXPECT_FALSE(desk.dispatcher.ready());
  desk.dispatcher.Start();
  ASSERT_TRUE(WaitUntilReady(desk.dispatcher));
  // Ready means both have happened, whichever thread came first.
  EXPECT_TRUE(absl::StrContains(server.Cli("XINFO GROUPS 'is:{dk}:dq'"), "dispatchers"));
  auto left = pool->Command({"ZCOUNT", "is:{dk}:tm", "-inf", "1000"});
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->integer, 0);
  auto stored = desk.store.GetInquiry("overdue", true);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_NE((*stored)->inquiry.state(), v1::INQUIRY_STATE_OFFERED);
  bool timed_out = false;
  for (const auto& h : (*stored)->inquiry.history())
    timed_out = timed_out || h.kind() == v1::HISTORY_KIND_TIMED_OUT;
  EXPECT_TRUE(timed_out);

  desk.dispatcher.Stop();
  EXPECT_FALSE(desk.dispatcher.ready());
}

TEST(DeskDispatcher, IsNotReadyWhileRedisIsDownAndReadyOnceItIsBack) {
  RedisServer server(ClusterModeRequested());
  auto pool = Pool(server);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->LoadFunctions().ok());
  server.Stop();
  DispatcherOver desk(pool.get(), FastTimers());
  desk.dispatcher.Start();
  // Neither the group nor a pass over deadlines can happen: checked for a bounded while.
  for (int n = 0; n < 20; ++n) {
    ASSERT_FALSE(desk.dispatcher.ready()) << "ready without Redis, round " << n;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  server.Start();
  // The functions went with the killed server's memory unless it persisted them: load them again,
  // as the server's health loop does.
  ASSERT_TRUE(pool->CheckHealth());
  EXPECT_TRUE(WaitUntilReady(desk.dispatcher));
  desk.dispatcher.Stop();
}

// Waits (bounded) until inquiry `id` is in `state`.
bool WaitForState(DeskStore* store, const std::string& id, v1::InquiryState state) {
  for (int n = 0; n < 300; ++n) {
    auto stored = store->GetInquiry(id, false);
    if (stored.ok() && stored->has_value() && (*stored)->inquiry.state() == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto stored = store->GetInquiry(id, false);
  ADD_FAILURE() << id << " is not in state " << v1::InquiryState_Name(state) << ": "
                << (stored.ok() && stored->has_value() ? (*stored)->inquiry.DebugString()
                                                       : stored.status().ToString());
  return false;
}

v1::Responder ResponderOf(const std::string& id, const std::string& organization) {
  v1::Responder r;
  r.set_id(id);
  r.set_organization_id(organization);
  r.set_display_name("Loket " + organization);
  r.set_capacity(1);
  r.add_skills(v1::NEED_TYPE_INNOVATION);  // what Submit asks
  return r;
}

// When capacity frees, the whole queue is looked at, not its first page: an inquiry behind more
// than 200 others that nobody can take yet is offered to the responder who came online for it.
// And an absence that ends frees a responder without any call: the queue is drained now and then.
TEST(DeskDispatcher, ADrainReachesTheWholeQueueAndAnAbsenceEndingDrainsIt) {
  RedisServer server(ClusterModeRequested());
  auto pool = Pool(server);
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->LoadFunctions().ok());
  DeskConfig config = FastTimers();
  config.drain_interval_ms = 200;
  DispatcherOver desk(pool.get(), config);
  // Three networks of one member each, whose responders are busy, offline and away.
  for (const char* name : {"busy", "later", "away"}) {
    registry::v1::Network network;
    network.set_id(absl::StrCat(name, "-net"));
    network.add_member_organization_ids(absl::StrCat(name, "-org"));
    desk.directory.Upsert(registry::kNetworkKind, network.SerializeAsString());
  }
  ASSERT_TRUE(desk.store.PutResponder(ResponderOf("busy", "busy-org"), "", true, "").ok());
  ASSERT_TRUE(desk.store.PutResponder(ResponderOf("later", "later-org"), "", false, "").ok());
  desk.dispatcher.Start();
  ASSERT_TRUE(WaitUntilReady(desk.dispatcher));

  ASSERT_TRUE(Submit(&desk.store, "first", "busy-net").ok());
  ASSERT_TRUE(WaitForState(&desk.store, "first", v1::INQUIRY_STATE_OFFERED));
  for (int n = 0; n < 205; ++n)
    ASSERT_TRUE(Submit(&desk.store, absl::StrCat("behind", n), "busy-net").ok());
  ASSERT_TRUE(Submit(&desk.store, "last", "later-net").ok());
  ASSERT_TRUE(WaitForState(&desk.store, "last", v1::INQUIRY_STATE_QUEUED));
  // Away for five more seconds from now (not from the start: the backlog above may take seconds
  // on a loaded machine), long enough for the inquiry to queue first.
  v1::Responder away = ResponderOf("away", "away-org");
  auto* absence = away.add_absences();
  absence->mutable_start_time()->set_seconds(NowMs() / 1000 - 3600);
  absence->mutable_end_time()->set_seconds(NowMs() / 1000 + 5);
  ASSERT_TRUE(desk.store.PutResponder(away, "", true, "").ok());
  ASSERT_TRUE(Submit(&desk.store, "waiting", "away-net").ok());
  ASSERT_TRUE(WaitForState(&desk.store, "waiting", v1::INQUIRY_STATE_QUEUED));

  ASSERT_TRUE(desk.store.SetOnline("later", true).ok());
  EXPECT_TRUE(WaitForState(&desk.store, "last", v1::INQUIRY_STATE_OFFERED));
  // No call frees "away": its absence ends.
  EXPECT_TRUE(WaitForState(&desk.store, "waiting", v1::INQUIRY_STATE_OFFERED));
  auto behind = desk.store.GetInquiry("behind204", false);
  ASSERT_TRUE(behind.ok() && behind->has_value());
  EXPECT_EQ((*behind)->inquiry.state(), v1::INQUIRY_STATE_QUEUED);
  desk.dispatcher.Stop();
}

}  // namespace
}  // namespace infrashare::desk
