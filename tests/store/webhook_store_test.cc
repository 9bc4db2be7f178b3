// The webhook functions (services/webhook/webhook.lua) through RedisWebhookStore against a real
// Redis, without gRPC or HTTP: a job from queueing to each way it ends, state by state. Plain and
// cluster-mode Redis (webhook_store, webhook_store_cluster).
#include "services/webhook/webhook_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "services/common/clock.h"
#include "services/common/embedded_lua.h"
#include "services/common/errors.h"
#include "services/common/redis.h"
#include "tests/support/redis_server.h"

namespace infrashare::webhook {
namespace {

class WebhookStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_server_ = new testing::RedisServer(testing::ClusterModeRequested());
  }
  static void TearDownTestSuite() {
    delete redis_server_;
    redis_server_ = nullptr;
  }

  void SetUp() override {
    redis_server_->Cli("FLUSHALL");
    RedisConfig config;
    config.url = redis_server_->url();
    auto pool = RedisPool::Create(config);
    ASSERT_TRUE(pool.ok()) << pool.status();
    redis_ = std::move(*pool);
    redis_->AddFunctionLibrary(std::string(kWebhookLua));
    ASSERT_TRUE(redis_->LoadFunctions().ok());
    store_ = std::make_unique<RedisWebhookStore>(redis_.get());
    limits_.retry_for_ms = 60000;
    limits_.log_length = 3;
    limits_.dead_letter_max = 2;
  }

  StoredSubscription Subscription(const std::string& id, const std::string& org = "fablab") {
    StoredSubscription s;
    s.subscription.set_id(id);
    s.subscription.set_organization_id(org);
    s.subscription.set_target_url("https://hooks.example.org/" + id);
    s.subscription.add_event_types(v1::WEBHOOK_EVENT_TYPE_BOOKING);
    s.subscription.set_enabled(true);
    *s.subscription.mutable_create_time() = *TimestampOfMs(NowMs());
    s.secret = "whsec_c2VjcmV0";
    return s;
  }

  void Insert(const StoredSubscription& s) {
    auto made = store_->Insert(s, s.subscription, "", 60, 20);
    ASSERT_TRUE(made.ok()) << made.status();
  }

  Job MakeJob(const std::string& id, const std::string& subscription = "whk_1") {
    Job job;
    job.id = id;
    job.subscription_id = subscription;
    job.type = "booking.created";
    job.body = R"({"type":"booking.created"})";
    job.time_ms = NowMs();
    return job;
  }

  // A reminder of booking bk_1 set by stream entry `entry`, due in `in_ms` (cancelling with 0).
  Job Reminder(const std::string& id, const std::string& entry, int64_t in_ms) {
    Job job = MakeJob(id);
    job.type = "booking.starts_soon";
    job.slot = "whk_1|booking.starts_soon|bk_1";
    job.entry_id = entry;
    job.due_ms = in_ms > 0 ? NowMs() + in_ms : 0;
    job.cancels = in_ms == 0;
    return job;
  }

  // The one job queued now, taken.
  QueuedJob ReadOne() {
    auto read = store_->ReadQueue("test", 10);
    EXPECT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->size(), 1u);
    return read->empty() ? QueuedJob{} : read->front();
  }

  Attempt Failed(int64_t delay_ms) {
    Attempt a;
    a.status_code = 503;
    a.error = "HTTP 503";
    a.retry_delay_ms = delay_ms;
    return a;
  }

  static testing::RedisServer* redis_server_;
  std::unique_ptr<RedisPool> redis_;
  std::unique_ptr<RedisWebhookStore> store_;
  DeliveryLimits limits_;
};

testing::RedisServer* WebhookStoreTest::redis_server_ = nullptr;

TEST_F(WebhookStoreTest, AChangeQueuedTwiceIsOneJob) {
  Insert(Subscription("whk_1"));
  EXPECT_EQ(*store_->Enqueue({MakeJob("msg_a"), MakeJob("msg_b")}), 2);
  EXPECT_EQ(*store_->Enqueue({MakeJob("msg_a")}), 0);
  EXPECT_EQ(*store_->Backlog(), 2);
}

TEST_F(WebhookStoreTest, ATimedJobWaitsInItsSlotWhichOnlyALaterChangeMovesOrEmpties) {
  Insert(Subscription("whk_1"));
  ASSERT_EQ(*store_->Enqueue({Reminder("msg_r1", "1000-0", 60000)}), 1);
  EXPECT_EQ(*store_->Backlog(), 0);     // waiting for its time is not a backlog
  EXPECT_EQ(*store_->QueueDue(10), 0);  // not due for a minute
  EXPECT_EQ(redis_server_->Cli("HGET 'is:{wh}:j:msg_r1' st"), "timed\n");
  // The same change read again (a replica died before acknowledging it): nothing new.
  EXPECT_EQ(*store_->Enqueue({Reminder("msg_r1", "1000-0", 60000)}), 0);
  // An earlier change read late does not undo it.
  EXPECT_EQ(*store_->Enqueue({Reminder("msg_r0", "999-5", 30000)}), 0);
  EXPECT_EQ(redis_server_->Cli("EXISTS 'is:{wh}:j:msg_r0'"), "0\n");
  // A later change moves it: the waiting job is replaced.
  ASSERT_EQ(*store_->Enqueue({Reminder("msg_r2", "1000-1", 60000)}), 1);
  EXPECT_EQ(redis_server_->Cli("EXISTS 'is:{wh}:j:msg_r1'"), "0\n");
  EXPECT_EQ(redis_server_->Cli("ZSCORE 'is:{wh}:at' msg_r1"), "\n");
  // A still later one cancels it; one after that sets it again, and it comes when due.
  EXPECT_EQ(*store_->Enqueue({Reminder("", "2000-0", 0)}), 0);
  EXPECT_EQ(redis_server_->Cli("EXISTS 'is:{wh}:j:msg_r2'"), "0\n");
  EXPECT_EQ(*store_->Enqueue({Reminder("msg_r2", "1500-0", 60000)}), 0);  // older than the cancel
  ASSERT_EQ(*store_->Enqueue({Reminder("msg_r3", "3000-0", 60000)}), 1);
  redis_server_->Cli("ZADD 'is:{wh}:at' 1 msg_r3");  // due now
  EXPECT_EQ(*store_->QueueDue(10), 1);
  const QueuedJob due = ReadOne();
  EXPECT_EQ(due.job_id, "msg_r3");
  auto taken = store_->Take(due, limits_);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->state, TakenJob::State::kSend);
  EXPECT_EQ(taken->type, "booking.starts_soon");
  // Sent: a later change that keeps the same time finds the job and sends nothing new.
  EXPECT_EQ(*store_->Settle(due, Attempt{true, 204, 5, "", 0}, limits_), Settled::kDelivered);
  EXPECT_EQ(*store_->Enqueue({Reminder("msg_r3", "4000-0", 60000)}), 0);
}

// A reminder that fell due and was put off for a slow receiver is still in its slot: a later
// change of the booking cancels or replaces it as it did while it waited for its time.
TEST_F(WebhookStoreTest, ADeferredReminderIsStillCancelledByALaterChange) {
  Insert(Subscription("whk_1"));
  ASSERT_EQ(*store_->Enqueue({Reminder("msg_r1", "1000-0", 60000)}), 1);
  redis_server_->Cli("ZADD 'is:{wh}:at' 1 msg_r1");  // due now
  EXPECT_EQ(*store_->QueueDue(10), 1);
  const QueuedJob due = ReadOne();
  ASSERT_EQ(store_->Take(due, limits_)->state, TakenJob::State::kSend);
  Attempt deferred;
  deferred.deferred = true;
  deferred.retry_delay_ms = 60000;
  EXPECT_EQ(*store_->Settle(due, deferred, limits_), Settled::kDeferred);
  EXPECT_EQ(redis_server_->Cli("HGET 'is:{wh}:j:msg_r1' st"), "deferred\n");
  EXPECT_EQ(*store_->Enqueue({Reminder("", "2000-0", 0)}), 0);  // the booking was cancelled
  EXPECT_EQ(redis_server_->Cli("EXISTS 'is:{wh}:j:msg_r1'"), "0\n");
  EXPECT_EQ(redis_server_->Cli("ZSCORE 'is:{wh}:retry' msg_r1"), "\n");
  EXPECT_EQ(*store_->Backlog(), 0);
}

TEST_F(WebhookStoreTest, AReminderDueWhileTheSubscriptionIsDisabledIsDroppedNotKept) {
  StoredSubscription s = Subscription("whk_1");
  s.subscription.set_enabled(false);
  Insert(s);
  ASSERT_EQ(*store_->Enqueue({Reminder("msg_r", "1000-0", 60000)}), 1);
  redis_server_->Cli("ZADD 'is:{wh}:at' 1 msg_r");  // due now
  ASSERT_EQ(*store_->QueueDue(10), 1);
  auto taken = store_->Take(ReadOne(), limits_);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->state, TakenJob::State::kGone);
  EXPECT_EQ(redis_server_->Cli("EXISTS 'is:{wh}:j:msg_r'"), "0\n");
  EXPECT_EQ(redis_server_->Cli("ZCARD 'is:{wh}:dl:whk_1'"), "0\n");  // no dead letter
}

TEST_F(WebhookStoreTest, AJobOfAKindTheSubscriptionNoLongerReceivesIsDropped) {
  Insert(Subscription("whk_1"));  // receives bookings only
  Job reminder = Reminder("msg_r", "1000-0", 60000);
  reminder.event_type = v1::WEBHOOK_EVENT_TYPE_BOOKING_REMINDER;
  Job booking = MakeJob("msg_b");
  booking.event_type = v1::WEBHOOK_EVENT_TYPE_BOOKING;
  ASSERT_EQ(*store_->Enqueue({reminder, booking}), 2);
  redis_server_->Cli("ZADD 'is:{wh}:at' 1 msg_r");  // due now
  ASSERT_EQ(*store_->QueueDue(10), 1);
  auto read = store_->ReadQueue("test", 10);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  for (const QueuedJob& job : *read) {
    auto taken = store_->Take(job, limits_);
    ASSERT_TRUE(taken.ok()) << taken.status();
    EXPECT_EQ(taken->state, job.job_id == "msg_b" ? TakenJob::State::kSend : TakenJob::State::kGone)
        << job.job_id;
  }
  EXPECT_EQ(redis_server_->Cli("EXISTS 'is:{wh}:j:msg_r'"), "0\n");
}

TEST_F(WebhookStoreTest, ADeliveredJobIsRememberedWithoutItsBodyAndNotQueuedAgain) {
  Insert(Subscription("whk_1"));
  ASSERT_EQ(*store_->Enqueue({MakeJob("msg_a")}), 1);
  const QueuedJob job = ReadOne();
  auto taken = store_->Take(job, limits_);
  ASSERT_TRUE(taken.ok()) << taken.status();
  ASSERT_EQ(taken->state, TakenJob::State::kSend);
  EXPECT_EQ(taken->url, "https://hooks.example.org/whk_1");
  EXPECT_EQ(taken->secrets, std::vector<std::string>{"whsec_c2VjcmV0"});
  EXPECT_EQ(taken->attempts, 0);
  Attempt ok;
  ok.ok = true;
  ok.status_code = 204;
  EXPECT_EQ(*store_->Settle(job, ok, limits_), Settled::kDelivered);
  EXPECT_EQ(redis_server_->Cli("HEXISTS 'is:{wh}:j:msg_a' body"), "0\n");
  EXPECT_NE(redis_server_->Cli("PTTL 'is:{wh}:j:msg_a'"), "-1\n");
  EXPECT_EQ(*store_->Enqueue({MakeJob("msg_a")}), 0);
  EXPECT_EQ(*store_->Backlog(), 0);
  // A second settling of the same entry (a replica that had been slow) changes nothing.
  EXPECT_EQ(*store_->Settle(job, ok, limits_), Settled::kStale);
  auto log = store_->Deliveries("whk_1");
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].outcome(), v1::WEBHOOK_DELIVERY_OUTCOME_DELIVERED);
  EXPECT_EQ((*log)[0].status_code(), 204);
}

TEST_F(WebhookStoreTest, AFailedAttemptWaitsForItsRetryThenIsQueuedAgain) {
  Insert(Subscription("whk_1"));
  ASSERT_EQ(*store_->Enqueue({MakeJob("msg_a")}), 1);
  const QueuedJob first = ReadOne();
  ASSERT_EQ(store_->Take(first, limits_)->state, TakenJob::State::kSend);
  EXPECT_EQ(*store_->Settle(first, Failed(30000), limits_), Settled::kRetry);
  EXPECT_EQ(*store_->QueueDue(10), 0);  // not due for 30 s
  EXPECT_EQ(*store_->Backlog(), 1);
  redis_server_->Cli("ZADD 'is:{wh}:retry' 1 msg_a");  // due now
  EXPECT_EQ(*store_->QueueDue(10), 1);
  const QueuedJob second = ReadOne();
  EXPECT_NE(second.entry_id, first.entry_id);
  auto taken = store_->Take(second, limits_);
  EXPECT_EQ(taken->attempts, 1);
  // The first entry is no longer the job's: settling it again is stale.
  EXPECT_EQ(*store_->Settle(first, Failed(10), limits_), Settled::kStale);
}

// A job put off because its receiver had its share of the senders is queued again after the delay
// and is no attempt: not counted, not logged, and past retry_for it is still no dead letter.
TEST_F(WebhookStoreTest, ADeferredJobIsQueuedAgainWithoutCountingAsAnAttempt) {
  Insert(Subscription("whk_1"));
  limits_.retry_for_ms = 0;  // a failed attempt would be a dead letter at once
  ASSERT_EQ(*store_->Enqueue({MakeJob("msg_a")}), 1);
  QueuedJob job = ReadOne();
  for (int round = 0; round < 3; ++round) {
    auto taken = store_->Take(job, limits_);
    ASSERT_EQ(taken->state, TakenJob::State::kSend);
    EXPECT_EQ(taken->attempts, 0);
    Attempt deferred;
    deferred.deferred = true;
    deferred.retry_delay_ms = 30000;
    EXPECT_EQ(*store_->Settle(job, deferred, limits_), Settled::kDeferred);
    EXPECT_EQ(*store_->QueueDue(10), 0);  // not due for 30 s
    EXPECT_EQ(*store_->Backlog(), 1);
    // Settling the same entry again (a replica that had been slow) changes nothing.
    EXPECT_EQ(*store_->Settle(job, deferred, limits_), Settled::kStale);
    redis_server_->Cli("ZADD 'is:{wh}:retry' 1 msg_a");  // due now
    EXPECT_EQ(*store_->QueueDue(10), 1);
    const QueuedJob again = ReadOne();
    EXPECT_NE(again.entry_id, job.entry_id);
    job = again;
  }
  EXPECT_TRUE(store_->Deliveries("whk_1")->empty());
  EXPECT_TRUE(store_->DeadLetters("whk_1", 10)->empty());
  EXPECT_TRUE((*store_->Get("whk_1"))->subscription.enabled());
  // Then a real attempt: the first.
  EXPECT_EQ(store_->Take(job, limits_)->attempts, 0);
  Attempt ok;
  ok.ok = true;
  ok.status_code = 204;
  EXPECT_EQ(*store_->Settle(job, ok, limits_), Settled::kDelivered);
  auto log = store_->Deliveries("whk_1");
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].attempt(), 1);

  // The time a job waited deferred does not count towards retry_for: queued 25 s ago, deferred
  // for 30 s, its first attempt fails and it is tried again (not a dead letter).
  limits_.retry_for_ms = 20000;
  ASSERT_EQ(*store_->Enqueue({MakeJob("msg_b")}), 1);
  job = ReadOne();
  redis_server_->Cli("HSET 'is:{wh}:j:msg_b' first " + std::to_string(NowMs() - 25000));
  ASSERT_EQ(store_->Take(job, limits_)->state, TakenJob::State::kSend);
  Attempt deferred;
  deferred.deferred = true;
  deferred.retry_delay_ms = 30000;
  EXPECT_EQ(*store_->Settle(job, deferred, limits_), Settled::kDeferred);
  redis_server_->Cli("ZADD 'is:{wh}:retry' 1 msg_b");
  EXPECT_EQ(*store_->QueueDue(10), 1);
  job = ReadOne();
  ASSERT_EQ(store_->Take(job, limits_)->state, TakenJob::State::kSend);
  EXPECT_EQ(*store_->Settle(job, Failed(10), limits_), Settled::kRetry);
  EXPECT_TRUE((*store_->Get("whk_1"))->subscription.enabled());
}

TEST_F(WebhookStoreTest, RetriesThatRunOutDisableTheSubscriptionAndKeepTheLatestDeadLetters) {
  Insert(Subscription("whk_1"));
  limits_.retry_for_ms = 0;
  for (const char* id : {"msg_a", "msg_b", "msg_c"}) {
    ASSERT_EQ(*store_->Enqueue({MakeJob(id)}), 1);
    const QueuedJob job = ReadOne();
    // The subscription is disabled by the first: the others die when taken.
    auto taken = store_->Take(job, limits_);
    if (std::string(id) == "msg_a") {
      ASSERT_EQ(taken->state, TakenJob::State::kSend);
      EXPECT_EQ(*store_->Settle(job, Failed(10), limits_), Settled::kDisabled);
    } else {
      EXPECT_EQ(taken->state, TakenJob::State::kOff);
    }
  }
  auto s = store_->Get("whk_1");
  ASSERT_TRUE(s->has_value());
  EXPECT_FALSE((*s)->subscription.enabled());
  EXPECT_EQ((*s)->subscription.disabled().webhook_id(), "msg_a");
  EXPECT_EQ((*s)->version, 2);
  auto dead = store_->DeadLetters("whk_1", 100);
  ASSERT_EQ(dead->size(), 2u);  // at most dead_letter_max: the oldest went
  EXPECT_EQ(redis_server_->Cli("EXISTS 'is:{wh}:j:msg_a'"), "0\n");
  // The log keeps the latest log_length attempts.
  EXPECT_EQ(store_->Deliveries("whk_1")->size(), 3u);

  // Redelivery waits for the subscription to be enabled, then queues every dead letter once.
  auto refused = store_->Redeliver("whk_1", {}, "", 60);
  EXPECT_EQ(ErrorReason(refused.status()), "SUBSCRIPTION_DISABLED");
  StoredSubscription enabled = **s;
  enabled.subscription.set_enabled(true);
  enabled.subscription.clear_disabled();
  ASSERT_TRUE(store_->Put(enabled, (*s)->version, enabled.subscription, "", 60).ok());
  EXPECT_EQ(*store_->Redeliver("whk_1", {}, "", 60), 2);
  EXPECT_EQ(store_->DeadLetters("whk_1", 100)->size(), 0u);
  auto queued = store_->ReadQueue("test", 10);
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ(store_->Take(queued->front(), limits_)->attempts, 0);
}

TEST_F(WebhookStoreTest, AJobOfADeletedSubscriptionIsDropped) {
  const StoredSubscription s = Subscription("whk_1");
  Insert(s);
  ASSERT_EQ(*store_->Enqueue({MakeJob("msg_a")}), 1);
  ASSERT_TRUE(store_->Delete(s, "", 60).ok());
  EXPECT_EQ(store_->Take(ReadOne(), limits_)->state, TakenJob::State::kGone);
  EXPECT_EQ(redis_server_->Cli("EXISTS 'is:{wh}:j:msg_a'"), "0\n");
  EXPECT_EQ(*store_->Backlog(), 0);
}

TEST_F(WebhookStoreTest, SubscriptionsAreReplacedOnlyAtTheVersionReadAndCounted) {
  for (int i = 0; i < 2; ++i) Insert(Subscription("whk_" + std::to_string(i)));
  auto too_many =
      store_->Insert(Subscription("whk_9"), Subscription("whk_9").subscription, "", 60, 2);
  EXPECT_EQ(ErrorReason(too_many.status()), "TOO_MANY_SUBSCRIPTIONS");
  const std::string version = *store_->Version();
  auto current = store_->Get("whk_0");
  StoredSubscription next = **current;
  next.subscription.set_description("nieuw");
  EXPECT_EQ(store_->Put(next, 7, next.subscription, "", 60).status().code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(store_->Put(next, 1, next.subscription, "", 60).ok());
  EXPECT_EQ((*store_->Get("whk_0"))->subscription.description(), "nieuw");
  EXPECT_NE(*store_->Version(), version);
  EXPECT_EQ(store_->OfOrganization("fablab")->size(), 2u);
  EXPECT_EQ(store_->All()->size(), 2u);
  // The previous secret signs until its time.
  next.previous_secret = "whsec_b2xk";
  next.previous_until_ms = NowMs() + 60000;
  ASSERT_TRUE(store_->Put(next, 2, next.subscription, "", 60).ok());
  ASSERT_EQ(*store_->Enqueue({MakeJob("msg_a", "whk_0")}), 1);
  EXPECT_EQ(store_->Take(ReadOne(), limits_)->secrets.size(), 2u);
}

}  // namespace
}  // namespace infrashare::webhook
