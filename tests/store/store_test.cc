// The Redis functions at the store boundary (issue #13): every function driven through the C++
// store that calls it, against a real redis-server, without gRPC. State transitions, refusals
// (conflicts, stale etags, wrong states, permissions) and replays (the same request id answers
// the same). Run twice by ctest: plain Redis (store) and cluster mode (store_cluster), where a
// function touching a key outside its declared slot fails.
#include "services/registry/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/audit.h"
#include "services/common/auth.h"
#include "services/common/clock.h"
#include "services/common/embedded_lua.h"
#include "services/common/errors.h"
#include "services/common/rate_limit.h"
#include "services/common/recurrence.h"
#include "services/common/redis.h"
#include "services/common/redis_function.h"
#include "services/desk/desk_store.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/calendar_feed_store.h"
#include "services/scheduler/rotation_store.h"
#include "tests/support/redis_server.h"

namespace infrashare {
namespace {

namespace sv1 = ::infrashare::scheduler::v1;
namespace v1d = ::infrashare::desk::v1;
using scheduler::BookCommand;
using scheduler::EpochMs;
using scheduler::FromEpochMs;
using scheduler::Occurrence;
using scheduler::RedisBookingStore;
using scheduler::ToEpochMs;
using scheduler::Transition;
using scheduler::TransitionCommand;
using scheduler::WaitCommand;

// A far-future hour: no booking in the tests is in the past.
constexpr EpochMs kHour = 3600 * 1000;
constexpr EpochMs kT0 = 4102444800000;  // 2100-01-01

scheduler::PageQuery Range(EpochMs from, EpochMs to) {
  scheduler::PageQuery query;
  query.from = from;
  query.to = to;
  return query;
}

class StoreTest : public ::testing::Test {
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
    config.pool_size = 4;
    auto pool = RedisPool::Create(config);
    ASSERT_TRUE(pool.ok()) << pool.status();
    redis_ = std::move(*pool);
    for (auto library :
         {kAuthLua, kRegistryLua, kSchedulerLua, kDeskLua, kRotationLua, kCalendarFeedLua})
      redis_->AddFunctionLibrary(std::string(library));
    ASSERT_TRUE(redis_->LoadFunctions().ok());
  }

  static testing::RedisServer* redis_server_;
  std::unique_ptr<RedisPool> redis_;
};

testing::RedisServer* StoreTest::redis_server_ = nullptr;

// ---------------------------------------------------------------------------------------------
// The calling convention itself.

TEST_F(StoreTest, LibrariesAndFunctionsCarryTheConventionVersion) {
  for (auto library :
       {kAuthLua, kRegistryLua, kSchedulerLua, kDeskLua, kRotationLua, kCalendarFeedLua}) {
    const std::string first_line(library.substr(0, library.find('\n')));
    EXPECT_TRUE(absl::EndsWith(first_line, kRedisFunctionVersion)) << first_line;
  }
  const std::string listed =
      redis_server_->Cli("FUNCTION LIST LIBRARYNAME infrashare_scheduler_v2");
  EXPECT_TRUE(absl::StrContains(listed, "sch_book_v2")) << listed;
  EXPECT_FALSE(absl::StrContains(listed, "\nsch_book\n")) << listed;
}

TEST_F(StoreTest, APositionalCallIsRefusedWithAClearError) {
  // What a replica of the old convention would send, were the names the same.
  auto reply = redis_->FCall("sch_train_v2", {"is:{bk:0}:r:x:trained"}, {"org", "1"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "named arguments")) << reply.status();
}

TEST_F(StoreTest, AMissingArgumentIsAnErrorNotANil) {
  RedisFunctionCall call("sch_train");
  call.Key("trained", "is:{bk:0}:r:x:trained").Arg("org", "o1");  // no "trained" flag
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "argument trained missing"))
      << reply.status();
}

// ---------------------------------------------------------------------------------------------
// Bookings (booking.lua through RedisBookingStore).

class BookingStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    SchedulerConfig config;
    config.shards = 4;
    store_ = std::make_unique<RedisBookingStore>(redis_.get(), config);
  }

  static Occurrence Hour(const std::string& resource, int hour, int quantity = 1) {
    Occurrence o;
    o.booking_id = scheduler::NewBookingId(resource);
    o.slot.start = o.slot.blocked_start = kT0 + hour * kHour;
    o.slot.end = o.slot.blocked_end = kT0 + (hour + 1) * kHour;
    o.slot.quantity = quantity;
    o.allowance.unit_minutes = 60 * quantity;
    return o;
  }

  static BookCommand Command(const std::string& resource, const std::string& org,
                             std::vector<Occurrence> occurrences) {
    BookCommand c;
    c.resource_id = resource;
    c.organization_id = org;
    c.occurrences = std::move(occurrences);
    return c;
  }

  // The single result of a one-occurrence booking.
  absl::StatusOr<sv1::Booking> BookOne(const BookCommand& c) {
    auto results = store_->Book(c);
    if (!results.ok()) return results.status();
    EXPECT_EQ(results->size(), 1u);
    return results->front();
  }

  absl::StatusOr<sv1::Booking> Apply(const std::string& id, Transition t, const std::string& org,
                                     bool owner = false, const std::string& request_id = "") {
    TransitionCommand c;
    c.booking_id = id;
    c.transition = t;
    c.caller_organization = org;
    c.caller_owns_resource = owner;
    c.reason = "test";
    c.request_id = request_id;
    return store_->Apply(c);
  }

  std::unique_ptr<RedisBookingStore> store_;
};

TEST_F(BookingStoreTest, BookConfirmsAndRefusesWhatOverlaps) {
  auto first = BookOne(Command("lab1", "o1", {Hour("lab1", 0)}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), sv1::BOOKING_STATE_CONFIRMED);
  EXPECT_EQ(first->organization_id(), "o1");
  EXPECT_EQ(ToEpochMs(first->start_time()), kT0);

  auto clash = BookOne(Command("lab1", "o2", {Hour("lab1", 0)}));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(clash.status()), "SLOT_TAKEN") << clash.status();

  auto next = BookOne(Command("lab1", "o2", {Hour("lab1", 1)}));
  ASSERT_TRUE(next.ok()) << next.status();

  auto stored = store_->Get(first->id());
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->etag(), first->etag());
}

TEST_F(BookingStoreTest, CapacityCountsSeats) {
  BookCommand c = Command("room", "o1", {Hour("room", 0, 3)});
  c.capacity = 4;
  ASSERT_TRUE(BookOne(c).ok());
  BookCommand more = Command("room", "o2", {Hour("room", 0, 2)});
  more.capacity = 4;
  auto refused = BookOne(more);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorReason(refused.status()), "CAPACITY_EXCEEDED") << refused.status();
  more.occurrences = {Hour("room", 0, 1)};
  EXPECT_TRUE(BookOne(more).ok());
}

TEST_F(BookingStoreTest, ARetryReplaysAndADifferentRequestWithTheSameIdIsRefused) {
  BookCommand c = Command("lab1", "o1", {Hour("lab1", 0)});
  c.request_id = "req1#aa11";
  auto first = BookOne(c);
  ASSERT_TRUE(first.ok()) << first.status();
  BookCommand retry = c;
  retry.occurrences[0].booking_id = scheduler::NewBookingId("lab1");  // a retry makes a new id
  auto again = BookOne(retry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), first->id());
  auto page = store_->ListByResource("lab1", Range(kT0, kT0 + 24 * kHour));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->bookings.size(), 1u);

  BookCommand other = Command("lab1", "o1", {Hour("lab1", 5)});
  other.request_id = "req1#bb22";
  auto refused = BookOne(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
}

TEST_F(BookingStoreTest, AStaleResourceVersionIsRefused) {
  ASSERT_TRUE(BookOne(Command("lab1", "o1", {Hour("lab1", 0)})).ok());
  auto versions = store_->Versions({"lab1"});
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->front(), "1");
  BookCommand c = Command("lab1", "o1", {Hour("lab1", 2)});
  c.expected_version = "0";
  auto stale = store_->Book(c);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  c.expected_version = "1";
  EXPECT_TRUE(BookOne(c).ok());
}

TEST_F(BookingStoreTest, HoldSubmitApproveCheckInAndTheStatesThatRefuse) {
  BookCommand c = Command("lab1", "o1", {Hour("lab1", 0)});
  c.hold = true;
  c.approval_required = true;
  auto hold = BookOne(c);
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->state(), sv1::BOOKING_STATE_HELD);
  EXPECT_TRUE(hold->has_hold_expire_time());

  // Only the booker submits; the owner approves; nobody else touches it.
  auto by_owner = Apply(hold->id(), Transition::kSubmit, "owner", true);
  EXPECT_EQ(by_owner.status().code(), absl::StatusCode::kPermissionDenied);
  auto stranger = Apply(hold->id(), Transition::kCancel, "o9");
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kPermissionDenied);
  auto early_approve = Apply(hold->id(), Transition::kApprove, "owner", true);
  EXPECT_EQ(early_approve.status().code(), absl::StatusCode::kFailedPrecondition);

  auto pending = Apply(hold->id(), Transition::kSubmit, "o1");
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->state(), sv1::BOOKING_STATE_PENDING_APPROVAL);
  auto self_approve = Apply(hold->id(), Transition::kApprove, "o1");
  EXPECT_EQ(self_approve.status().code(), absl::StatusCode::kPermissionDenied);
  auto confirmed = Apply(hold->id(), Transition::kApprove, "owner", true);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_EQ(confirmed->state(), sv1::BOOKING_STATE_CONFIRMED);

  // Check-in opens an hour before the start; this one starts in 2100.
  auto too_early = Apply(hold->id(), Transition::kCheckIn, "o1");
  ASSERT_FALSE(too_early.ok());
  EXPECT_EQ(ErrorReason(too_early.status()), "TOO_EARLY");
  auto resubmit = Apply(hold->id(), Transition::kSubmit, "o1");
  ASSERT_FALSE(resubmit.ok());
  EXPECT_EQ(ErrorReason(resubmit.status()), "INVALID_STATE");

  auto cancelled = Apply(hold->id(), Transition::kCancel, "o1", false, "cancel1#cc");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), sv1::BOOKING_STATE_CANCELLED);
  auto replayed = Apply(hold->id(), Transition::kCancel, "o1", false, "cancel1#cc");
  ASSERT_TRUE(replayed.ok()) << replayed.status();  // the first answer, not INVALID_STATE
  EXPECT_EQ(replayed->etag(), cancelled->etag());
  auto twice = Apply(hold->id(), Transition::kCancel, "o1");
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);

  // The slot is free again.
  EXPECT_TRUE(BookOne(Command("lab1", "o2", {Hour("lab1", 0)})).ok());
  EXPECT_EQ(Apply("lab1.AAAAAAAAAAAA", Transition::kCancel, "o1").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(BookingStoreTest, RejectFreesTheSlot) {
  BookCommand c = Command("lab1", "o1", {Hour("lab1", 0)});
  c.approval_required = true;
  auto pending = BookOne(c);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->state(), sv1::BOOKING_STATE_PENDING_APPROVAL);
  auto rejected = Apply(pending->id(), Transition::kReject, "owner", true);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->state(), sv1::BOOKING_STATE_REJECTED);
  EXPECT_TRUE(BookOne(Command("lab1", "o2", {Hour("lab1", 0)})).ok());
}

TEST_F(BookingStoreTest, AnExpiredHoldIsSweptAndFreesItsSlot) {
  SchedulerConfig config;
  config.shards = 4;
  config.hold_ttl_s = 0;  // a hold lapses at once
  RedisBookingStore store(redis_.get(), config);
  BookCommand c = Command("lab1", "o1", {Hour("lab1", 0)});
  c.hold = true;
  auto hold = store.Book(c);
  ASSERT_TRUE(hold.ok() && hold->front().ok());
  int looked = 0;
  for (int shard = 0; shard < store.shards(); ++shard) {
    auto n = store.Sweep(shard, 100);
    ASSERT_TRUE(n.ok()) << n.status();
    looked += *n;
  }
  EXPECT_EQ(looked, 1);
  auto expired = store.Get(hold->front()->id());
  ASSERT_TRUE(expired.ok() && expired->has_value());
  EXPECT_EQ((*expired)->state(), sv1::BOOKING_STATE_EXPIRED);
  TransitionCommand submit_command;
  submit_command.booking_id = hold->front()->id();
  submit_command.caller_organization = "o1";
  auto submit = store.Apply(submit_command);
  ASSERT_FALSE(submit.ok());
  EXPECT_EQ(ErrorReason(submit.status()), "HOLD_EXPIRED");
}

TEST_F(BookingStoreTest, TrainingQuotaAndSeriesRefusals) {
  BookCommand trained = Command("laser", "o1", {Hour("laser", 0)});
  trained.training_required = true;
  auto untrained = BookOne(trained);
  ASSERT_FALSE(untrained.ok());
  EXPECT_EQ(ErrorReason(untrained.status()), "TRAINING_REQUIRED");
  auto list = store_->SetTrained("laser", "o1", true);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, std::vector<std::string>{"o1"});
  EXPECT_TRUE(BookOne(trained).ok());
  list = store_->SetTrained("laser", "o1", false);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());

  // A quota of 90 unit-minutes: the first hour fits, the second does not.
  auto with_quota = [&](int hour) {
    Occurrence o = Hour("lab2", hour);
    o.allowance.quota_key = "o1|2100-01";
    o.allowance.quota_limit = 90;
    return o;
  };
  ASSERT_TRUE(BookOne(Command("lab2", "o1", {with_quota(0)})).ok());
  auto over = BookOne(Command("lab2", "o1", {with_quota(2)}));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(ErrorReason(over.status()), "QUOTA_EXCEEDED");

  // The SME share: non-SME minutes that week are capped.
  Occurrence sme = Hour("lab3", 0);
  sme.allowance.sme_key = "2100-W01";
  sme.allowance.sme_limit = 30;
  auto reserved = BookOne(Command("lab3", "o1", {sme}));
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(ErrorReason(reserved.status()), "SME_RESERVED");

  // All or nothing: one occurrence clashes, so none is booked.
  ASSERT_TRUE(BookOne(Command("lab4", "o2", {Hour("lab4", 3)})).ok());
  BookCommand series = Command("lab4", "o1", {Hour("lab4", 1), Hour("lab4", 3), Hour("lab4", 5)});
  series.series_id = "s1";
  auto results = store_->Book(series);
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ(ErrorReason((*results)[0].status()), "NOT_BOOKED");
  EXPECT_EQ(ErrorReason((*results)[1].status()), "SLOT_TAKEN");
  series.all_or_nothing = false;
  results = store_->Book(series);
  ASSERT_TRUE(results.ok());
  EXPECT_TRUE((*results)[0].ok());
  EXPECT_FALSE((*results)[1].ok());
  EXPECT_TRUE((*results)[2].ok());
  EXPECT_EQ((*results)[2]->series_id(), "s1");
}

// A confirmed booking its booker cancels once under way keeps counting against its organisation's
// quota, as a no-show does (the slot is free again); cancelled before its start, or by the owner,
// it gives its hours back.
TEST_F(BookingStoreTest, ACancellationUnderWayKeepsCountingAgainstTheQuota) {
  const EpochMs now = NowMs();
  // An hour from `start`, against a quota of 90 unit-minutes.
  auto hour_from = [](const std::string& resource, EpochMs start) {
    Occurrence o = Hour(resource, 0);
    o.slot.start = o.slot.blocked_start = start;
    o.slot.end = o.slot.blocked_end = start + kHour;
    o.allowance.quota_key = "o1|" + resource;
    o.allowance.quota_limit = 90;
    return o;
  };
  auto under_way = BookOne(Command("lab9", "o1", {hour_from("lab9", now - 60 * 1000)}));
  ASSERT_TRUE(under_way.ok()) << under_way.status();
  ASSERT_TRUE(Apply(under_way->id(), Transition::kCancel, "o1").ok());
  auto after = BookOne(Command("lab9", "o1", {hour_from("lab9", now + 2 * kHour)}));
  EXPECT_EQ(ErrorReason(after.status()), "QUOTA_EXCEEDED") << after.status();

  // The owner cancelling it under way (the equipment broke) charges the booker nothing.
  auto broke = BookOne(Command("lab11", "o1", {hour_from("lab11", now - 60 * 1000)}));
  ASSERT_TRUE(broke.ok()) << broke.status();
  ASSERT_TRUE(Apply(broke->id(), Transition::kCancel, "owner-org", /*owner=*/true).ok());
  EXPECT_TRUE(BookOne(Command("lab11", "o1", {hour_from("lab11", now + 2 * kHour)})).ok());

  auto ahead = BookOne(Command("lab10", "o1", {hour_from("lab10", now + 2 * kHour)}));
  ASSERT_TRUE(ahead.ok()) << ahead.status();
  ASSERT_TRUE(Apply(ahead->id(), Transition::kCancel, "o1").ok());
  EXPECT_TRUE(BookOne(Command("lab10", "o1", {hour_from("lab10", now + 4 * kHour)})).ok());
}

TEST_F(BookingStoreTest, ABookingReplacesOthersInOneStep) {
  auto old = BookOne(Command("unit", "o1", {Hour("unit", 0)}));
  ASSERT_TRUE(old.ok());
  BookCommand c = Command("unit", "o1", {Hour("unit", 0)});
  c.replace_booking_ids = {old->id()};
  c.replace_reason = "replanned";
  auto replacement = BookOne(c);
  ASSERT_TRUE(replacement.ok()) << replacement.status();
  auto gone = store_->Get(old->id());
  ASSERT_TRUE(gone.ok() && gone->has_value());
  EXPECT_EQ((*gone)->state(), sv1::BOOKING_STATE_CANCELLED);
  EXPECT_EQ((*gone)->reason(), "replanned");
}

// A booking that a replacement names but that was checked in meanwhile (a rotation leg whose unit
// was handed over early) is not cancelled, and keeps blocking: the replacement over it is refused.
TEST_F(BookingStoreTest, ACheckedInBookingIsNeitherReplacedNorBookedOver) {
  const EpochMs soon = (std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                                .count() /
                            60000 +
                        30) *
                       60000;  // a whole minute half an hour from now: check-in is open
  auto at = [&](EpochMs start) {
    Occurrence o;
    o.booking_id = scheduler::NewBookingId("unit-ci");
    o.slot.start = o.slot.blocked_start = start;
    o.slot.end = o.slot.blocked_end = start + kHour;
    o.allowance.unit_minutes = 60;
    return o;
  };
  auto leg = BookOne(Command("unit-ci", "fleet", {at(soon)}));
  ASSERT_TRUE(leg.ok()) << leg.status();
  auto checked_in = Apply(leg->id(), Transition::kCheckIn, "fleet");
  ASSERT_TRUE(checked_in.ok()) << checked_in.status();
  ASSERT_EQ(checked_in->state(), sv1::BOOKING_STATE_CHECKED_IN);

  BookCommand over = Command("unit-ci", "fleet", {at(soon)});
  over.replace_booking_ids = {leg->id()};
  over.replace_reason = "replanned";
  auto refused = BookOne(over);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorReason(refused.status()), "SLOT_TAKEN") << refused.status();
  // Beside it, the replacement is booked, and the checked-in booking stays as it was.
  BookCommand beside = Command("unit-ci", "fleet", {at(soon + 2 * kHour)});
  beside.replace_booking_ids = {leg->id()};
  beside.replace_reason = "replanned";
  ASSERT_TRUE(BookOne(beside).ok());
  auto kept = store_->Get(leg->id());
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->state(), sv1::BOOKING_STATE_CHECKED_IN);
  auto busy = store_->Busy("unit-ci", soon - kHour, soon + 4 * kHour);
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(busy->size(), 2u);
}

TEST_F(BookingStoreTest, WaitlistJoinPromoteAndLeave) {
  auto taken = BookOne(Command("lab1", "o1", {Hour("lab1", 0)}));
  ASSERT_TRUE(taken.ok());
  auto wait = [&](const std::string& org, int hour, const std::string& request_id = "") {
    WaitCommand w;
    w.entry_id = scheduler::NewBookingId("lab1");
    w.resource_id = "lab1";
    w.organization_id = org;
    w.slot = Hour("lab1", hour).slot;
    w.allowance.unit_minutes = 60;
    w.title = "waiting";
    w.request_id = request_id;
    return store_->JoinWaitlist(w);
  };
  auto free = wait("o2", 4);
  ASSERT_FALSE(free.ok());
  EXPECT_EQ(ErrorReason(free.status()), "SLOT_AVAILABLE");

  auto entry = wait("o2", 0, "w1#ab");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->state(), sv1::WAITLIST_STATE_WAITING);
  auto replayed = wait("o2", 0, "w1#ab");
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->id(), entry->id());
  auto second = wait("o3", 0);
  ASSERT_TRUE(second.ok());
  auto waiting = store_->Waiting("lab1");
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->size(), 2u);
  EXPECT_EQ((*waiting)[0].id(), entry->id());  // first come, first served

  auto not_yours = store_->LeaveWaitlist(second->id(), "o2", false);
  EXPECT_EQ(not_yours.status().code(), absl::StatusCode::kPermissionDenied);
  auto left = store_->LeaveWaitlist(second->id(), "o3", false);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->state(), sv1::WAITLIST_STATE_LEFT);
  EXPECT_EQ(store_->LeaveWaitlist("lab1.AAAAAAAAAAAA", "o3", false).status().code(),
            absl::StatusCode::kNotFound);

  // The booking goes: the first waiting entry becomes a hold with the entry's id.
  ASSERT_TRUE(Apply(taken->id(), Transition::kCancel, "o1").ok());
  auto promoted = store_->Get(entry->id());
  ASSERT_TRUE(promoted.ok() && promoted->has_value());
  EXPECT_EQ((*promoted)->state(), sv1::BOOKING_STATE_HELD);
  EXPECT_EQ((*promoted)->organization_id(), "o2");
  waiting = store_->Waiting("lab1");
  ASSERT_TRUE(waiting.ok());
  EXPECT_TRUE(waiting->empty());
}

// A series whose later occurrence finds a lapsed hold: the expiry promotes a waiting entry that
// overlaps an earlier occurrence, and that occurrence (not yet written) must see it.
TEST_F(BookingStoreTest, AnEntryPromotedDuringASeriesIsSeenByEveryOccurrence) {
  SchedulerConfig config;
  config.shards = 4;
  config.hold_ttl_s = 1;
  RedisBookingStore store(redis_.get(), config);
  BookCommand held = Command("lab1", "o2", {Hour("lab1", 2)});  // 2:00-3:00
  held.hold = true;
  auto hold = store.Book(held);
  ASSERT_TRUE(hold.ok() && hold->front().ok());
  WaitCommand w;
  w.entry_id = scheduler::NewBookingId("lab1");
  w.resource_id = "lab1";
  w.organization_id = "o3";
  w.slot = Hour("lab1", 1).slot;  // 1:00-2:30: waits for the hold
  w.slot.end = w.slot.blocked_end = kT0 + 5 * kHour / 2;
  w.allowance.unit_minutes = 90;
  w.title = "waiting";
  auto entry = store.JoinWaitlist(w);
  ASSERT_TRUE(entry.ok()) << entry.status();
  ASSERT_EQ(entry->state(), sv1::WAITLIST_STATE_WAITING);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the hold lapses (not swept)

  // 1:00-2:00 and 3:00-4:00; checking the second finds the lapsed hold and promotes the entry.
  auto series = store.Book(Command("lab1", "o1", {Hour("lab1", 1), Hour("lab1", 3)}));
  ASSERT_TRUE(series.ok()) << series.status();
  auto promoted = store.Get(entry->id());
  ASSERT_TRUE(promoted.ok() && promoted->has_value());
  EXPECT_EQ((*promoted)->state(), sv1::BOOKING_STATE_HELD);
  ASSERT_EQ(series->size(), 2u);
  EXPECT_FALSE((*series)[0].ok()) << "1:00-2:00 booked over the promoted 1:00-2:30 hold";
  EXPECT_EQ(ErrorReason((*series)[0].status()), "SLOT_TAKEN");
}

// The usage reports' read: every counted booking of each resource once, in (start, id) order,
// across the function's page limit (1,000 a call), holds and cancelled bookings left out, the
// range's ends respected — checked against the bookings the test made.
TEST_F(BookingStoreTest, CountedSpansVisitEveryCountedBookingOnceAcrossPages) {
  std::vector<std::string> expected;  // lab1's counted bookings starting in [hour 100, hour 2400)
  for (int first = 0; first < 2500; first += 500) {
    std::vector<Occurrence> hours;
    for (int hour = first; hour < first + 500; ++hour) hours.push_back(Hour("lab1", hour));
    auto booked = store_->Book(Command("lab1", "o1", hours));
    ASSERT_TRUE(booked.ok()) << booked.status();
    for (size_t i = 0; i < booked->size(); ++i) {
      ASSERT_TRUE((*booked)[i].ok()) << (*booked)[i].status();
      const int hour = first + static_cast<int>(i);
      if (hour >= 100 && hour < 2400) expected.push_back((*booked)[i]->id());
    }
  }
  auto cancelled = BookOne(Command("lab2", "o2", {Hour("lab2", 200)}));
  ASSERT_TRUE(cancelled.ok());
  ASSERT_TRUE(Apply(cancelled->id(), Transition::kCancel, "o2").ok());
  BookCommand held = Command("lab2", "o2", {Hour("lab2", 201)});
  held.hold = true;
  ASSERT_TRUE(BookOne(held).ok());
  BookCommand three = Command("lab2", "o2", {Hour("lab2", 202, 3)});
  three.capacity = 4;
  auto counted = BookOne(three);
  ASSERT_TRUE(counted.ok()) << counted.status();

  std::vector<std::vector<scheduler::BookedSpan>> seen(3);
  auto visited = store_->VisitCountedSpans(
      {"lab1", "lab2", "lab3"}, kT0 + 100 * kHour, kT0 + 2400 * kHour,
      [&](size_t r, const scheduler::BookedSpan& span) { seen.at(r).push_back(span); });
  ASSERT_TRUE(visited.ok()) << visited;
  ASSERT_EQ(seen[0].size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(seen[0][i].booking_id, expected[i]);
    EXPECT_EQ(seen[0][i].organization_id, "o1");
    EXPECT_EQ(seen[0][i].start, kT0 + static_cast<EpochMs>(100 + i) * kHour);
    EXPECT_EQ(seen[0][i].end - seen[0][i].start, kHour);
    EXPECT_EQ(seen[0][i].quantity, 1);
  }
  ASSERT_EQ(seen[1].size(), 1u);
  EXPECT_EQ(seen[1][0].booking_id, counted->id());
  EXPECT_EQ(seen[1][0].quantity, 3);
  EXPECT_TRUE(seen[2].empty());
}

// A booking that began long before the range and reaches into it is counted there (before, the
// reports looked back only max_query_range_days: a two-year loan counted nowhere after its first
// year); one that ended before the range, however long, is not.
TEST_F(BookingStoreTest, CountedSpansIncludeALongBookingReachingIntoTheRange) {
  constexpr EpochMs kDay = 24 * kHour;
  Occurrence loan = Hour("lab1", 0);
  loan.slot.end = loan.slot.blocked_end = kT0 + 730 * kDay;  // two years
  auto long_one = BookOne(Command("lab1", "o1", {loan}));
  ASSERT_TRUE(long_one.ok()) << long_one.status();
  Occurrence ended = Hour("lab2", 0);
  ended.slot.end = ended.slot.blocked_end = kT0 + 400 * kDay;
  ASSERT_TRUE(BookOne(Command("lab2", "o1", {ended})).ok());
  auto after = BookOne(Command("lab2", "o1", {Hour("lab2", 500 * 24)}));
  ASSERT_TRUE(after.ok()) << after.status();

  std::vector<std::vector<std::string>> seen(2);
  auto visited = store_->VisitCountedSpans(
      {"lab1", "lab2"}, kT0 + 500 * kDay, kT0 + 530 * kDay,
      [&](size_t r, const scheduler::BookedSpan& span) { seen.at(r).push_back(span.booking_id); });
  ASSERT_TRUE(visited.ok()) << visited;
  EXPECT_EQ(seen[0], std::vector<std::string>{long_one->id()});
  EXPECT_EQ(seen[1], std::vector<std::string>{after->id()});
}

TEST_F(BookingStoreTest, BusyAndPagesByResourceAndOrganization) {
  for (int hour : {0, 2, 4}) ASSERT_TRUE(BookOne(Command("lab1", "o1", {Hour("lab1", hour)})).ok());
  ASSERT_TRUE(BookOne(Command("lab2", "o1", {Hour("lab2", 1)})).ok());
  BookCommand held = Command("lab2", "o1", {Hour("lab2", 3)});
  held.hold = true;
  ASSERT_TRUE(BookOne(held).ok());

  auto busy = store_->BusyMany({"lab1", "lab2"}, kT0, kT0 + 3 * kHour);
  ASSERT_TRUE(busy.ok()) << busy.status();
  ASSERT_EQ(busy->size(), 2u);
  EXPECT_EQ((*busy)[0].size(), 2u);  // hours 0 and 2
  EXPECT_EQ((*busy)[1].size(), 1u);
  EXPECT_EQ((*busy)[0][0].blocked_start, kT0);

  scheduler::PageQuery query = Range(kT0, kT0 + 24 * kHour);
  query.limit = 2;
  auto first = store_->ListByResource("lab1", query);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->bookings.size(), 2u);
  EXPECT_TRUE(first->more);
  query.after = {{ToEpochMs(first->bookings[1].start_time()), first->bookings[1].id()}};
  auto second = store_->ListByResource("lab1", query);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->bookings.size(), 1u);
  EXPECT_FALSE(second->more);
  EXPECT_EQ(ToEpochMs(second->bookings[0].start_time()), kT0 + 4 * kHour);

  scheduler::PageQuery org_query = Range(kT0, kT0 + 24 * kHour);
  auto all = store_->ListByOrganization("o1", org_query);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->bookings.size(), 5u);
  org_query.states = {sv1::BOOKING_STATE_HELD};
  auto holds = store_->ListByOrganization("o1", org_query);
  ASSERT_TRUE(holds.ok());
  ASSERT_EQ(holds->bookings.size(), 1u);
  EXPECT_EQ(holds->bookings[0].resource_id(), "lab2");
}

// Every page after the first starts where the previous one ended (its resume), until none is more;
// each page holds the bookings of `query`'s states, whatever number it looked at.
template <typename List>
std::vector<std::string> AllPages(const List& list, scheduler::PageQuery query, int* calls) {
  std::vector<std::string> ids;
  for (*calls = 0; *calls < 100; ++*calls) {
    absl::StatusOr<scheduler::BookingPage> page = list(query);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    EXPECT_LE(static_cast<int>(page->bookings.size()), query.limit);
    for (const auto& b : page->bookings) ids.push_back(b.id());
    if (!page->more) {
      ++*calls;
      break;
    }
    query.after = page->resume;
  }
  return ids;
}

// ListBookings with a state filter: a call looks at no more than its budget of an index (before,
// a filter that matched nothing read a resource's or an organisation's whole history in one Redis
// call), and the pages still give every booking of those states once, in order — against the
// same list read whole.
TEST_F(BookingStoreTest, AStateFilterLooksAtABudgetOfBookingsACallAndPagesOnFromThere) {
  for (int hour = 0; hour < 6; ++hour)
    ASSERT_TRUE(BookOne(Command("lab1", "o1", {Hour("lab1", hour)})).ok());
  for (int hour : {1, 4}) ASSERT_TRUE(BookOne(Command("lab2", "o1", {Hour("lab2", hour)})).ok());
  BookCommand held = Command("lab1", "o1", {Hour("lab1", 7)});
  held.hold = true;
  const auto hold = BookOne(held);
  ASSERT_TRUE(hold.ok()) << hold.status();

  scheduler::PageQuery query = Range(kT0, kT0 + 24 * kHour);
  query.states = {sv1::BOOKING_STATE_HELD};
  query.scan_budget = 2;
  int calls = 0;
  auto by_resource = [&](const scheduler::PageQuery& q) {
    return store_->ListByResource("lab1", q);
  };
  EXPECT_EQ(AllPages(by_resource, query, &calls), std::vector<std::string>{hold->id()});
  EXPECT_EQ(calls, 4);  // 7 bookings, 2 a call: three empty pages with a token, then the hold
  auto by_organization = [&](const scheduler::PageQuery& q) {
    return store_->ListByOrganization("o1", q);
  };
  EXPECT_EQ(AllPages(by_organization, query, &calls), std::vector<std::string>{hold->id()});

  // Every state, in pages of 3 looking at 2 an index and call: the whole list, once, in order.
  scheduler::PageQuery whole = Range(kT0, kT0 + 24 * kHour);
  whole.limit = 100;
  auto reference = store_->ListByOrganization("o1", whole);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_FALSE(reference->more);
  std::vector<std::string> expected;
  for (const auto& b : reference->bookings) expected.push_back(b.id());
  ASSERT_EQ(expected.size(), 9u);
  for (int budget : {1, 2, 3, 2000}) {
    scheduler::PageQuery paged = Range(kT0, kT0 + 24 * kHour);
    paged.limit = 3;
    paged.scan_budget = budget;
    EXPECT_EQ(AllPages(by_organization, paged, &calls), expected) << budget;
  }
}

// sch_count, state by state: what the business gauges read (docs/metrics.md).
TEST_F(BookingStoreTest, CountsBookingsInAStateAndHoldsLapsingWithinAWindow) {
  BookCommand request = Command("lab1", "o1", {Hour("lab1", 0)});
  request.approval_required = true;
  auto pending = BookOne(request);
  ASSERT_TRUE(pending.ok()) << pending.status();
  BookCommand another = Command("lab2", "o2", {Hour("lab2", 0)});
  another.approval_required = true;
  ASSERT_TRUE(BookOne(another).ok());
  BookCommand held = Command("lab3", "o1", {Hour("lab3", 0)});
  held.hold = true;  // lapses after hold_ttl_s, 600 s by default
  ASSERT_TRUE(BookOne(held).ok());
  ASSERT_TRUE(BookOne(Command("lab3", "o1", {Hour("lab3", 1)})).ok());  // confirmed

  auto count = [&](sv1::BookingState state, std::optional<int64_t> within_ms) {
    auto n = store_->CountInState(state, within_ms);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(-1);
  };
  EXPECT_EQ(count(sv1::BOOKING_STATE_PENDING_APPROVAL, std::nullopt), 2);
  EXPECT_EQ(count(sv1::BOOKING_STATE_HELD, std::nullopt), 1);
  EXPECT_EQ(count(sv1::BOOKING_STATE_HELD, 3600 * 1000), 1);
  EXPECT_EQ(count(sv1::BOOKING_STATE_HELD, 60 * 1000), 0);  // it lapses in ten minutes
  EXPECT_EQ(count(sv1::BOOKING_STATE_CONFIRMED, std::nullopt), 1);
  ASSERT_TRUE(Apply(pending->id(), Transition::kReject, "owner", true).ok());
  EXPECT_EQ(count(sv1::BOOKING_STATE_PENDING_APPROVAL, std::nullopt), 1);

  // More timers in one shard than one call reads (1000): counted across calls.
  BookCommand many = Command("hall", "o1", {});
  many.approval_required = true;
  for (int hour = 0; hour < 1005; ++hour) many.occurrences.push_back(Hour("hall", hour));
  auto booked = store_->Book(many);
  ASSERT_TRUE(booked.ok()) << booked.status();
  EXPECT_EQ(count(sv1::BOOKING_STATE_PENDING_APPROVAL, std::nullopt), 1006);
}

// ---------------------------------------------------------------------------------------------
// Rotations (rotation.lua through RotationStore).

class RotationStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    store_ = std::make_unique<scheduler::RedisRotationStore>(redis_.get(), 600, 600);
  }

  static sv1::Handover NewHandover(const std::string& id, EpochMs deadline) {
    sv1::Handover h;
    h.set_id(id);
    h.set_unit_resource_id("unit1");
    h.set_from_organization_id("o1");
    h.set_to_organization_id("o2");
    *h.mutable_time() = FromEpochMs(kT0);
    *h.mutable_confirm_deadline() = FromEpochMs(deadline);
    h.add_checklist("cables");
    h.add_checklist("manual");
    return h;
  }

  std::unique_ptr<scheduler::RedisRotationStore> store_;
};

TEST_F(RotationStoreTest, PutCreatesUpdatesWithEtagsAndReplays) {
  sv1::RotationPool pool;
  pool.set_id("pool1");
  pool.set_owner_organization_id("o1");
  pool.set_display_name("trucks");
  const std::string replay = store_->ReplayKey("o1", "p1") + "#ab";
  auto created = store_->PutPool(pool, "", replay);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->etag(), "1");
  auto replayed = store_->PutPool(pool, "", replay);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->etag(), "1");
  EXPECT_EQ(store_->PutPool(pool, "", "").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->PutPool(pool, "7", "").status().code(), absl::StatusCode::kAborted);
  pool.set_display_name("vans");
  auto updated = store_->PutPool(pool, "1", "");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->etag(), "2");
  auto pools = store_->PoolsOf("o1");
  ASSERT_TRUE(pools.ok());
  ASSERT_EQ(pools->size(), 1u);
  EXPECT_EQ((*pools)[0].display_name(), "vans");

  sv1::RotationRequest request;
  request.set_id("rq1");
  request.set_pool_id("pool1");
  request.set_organization_id("o2");
  EXPECT_EQ(store_->PutRequest(request, "1", "").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->PutRequest(request, "", "").ok());
  auto requests = store_->RequestsOf("pool1");
  ASSERT_TRUE(requests.ok());
  EXPECT_EQ(requests->size(), 1u);
}

TEST_F(RotationStoreTest, CommitReplacesPlansAndHandoversAndConfirmsThem) {
  sv1::RotationPlan first;
  first.set_id("plan1");
  first.set_pool_id("pool1");
  ASSERT_TRUE(
      store_
          ->Commit(first, nullptr, {}, {}, {NewHandover("h1", kT0), NewHandover("h2", kT0 + kHour)})
          .ok());
  auto committed = store_->Committed("pool1");
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(*committed, "plan1");
  // A commit against a stale committed plan is refused.
  sv1::RotationPlan stale;
  stale.set_id("plan9");
  stale.set_pool_id("pool1");
  EXPECT_EQ(store_->Commit(stale, nullptr, {}, {}, {}).code(), absl::StatusCode::kAborted);

  sv1::RotationPlan second;
  second.set_id("plan2");
  second.set_pool_id("pool1");
  ASSERT_TRUE(store_->Commit(second, &first, {"h1"}, {"h2"}, {NewHandover("h3", kT0)}).ok());
  committed = store_->Committed("pool1");
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(*committed, "plan2");
  auto kept = store_->GetPlan("plan1");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  auto handovers = store_->Handovers("plan2");
  ASSERT_TRUE(handovers.ok());
  ASSERT_EQ(handovers->size(), 2u);
  auto dropped = store_->GetHandover("h2");
  ASSERT_TRUE(dropped.ok());
  EXPECT_FALSE(dropped->has_value());

  // Both sides confirm; a third party cannot.
  EXPECT_EQ(store_->ConfirmHandover("h3", "o9", "").status().code(), absl::StatusCode::kNotFound);
  auto half = store_->ConfirmHandover("h3", "o1", "fine");
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_EQ(half->state(), sv1::HANDOVER_STATE_PENDING);
  EXPECT_EQ(half->checklist_size(), 2);
  auto both = store_->ConfirmHandover("h3", "o2", "received");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->state(), sv1::HANDOVER_STATE_CONFIRMED);
}

TEST_F(RotationStoreTest, AHandoverPastItsDeadlineTurnsOverdue) {
  sv1::RotationPlan plan;
  plan.set_id("plan1");
  plan.set_pool_id("pool1");
  ASSERT_TRUE(store_->Commit(plan, nullptr, {}, {}, {NewHandover("h1", 1000)}).ok());  // 1970
  auto swept = store_->SweepHandovers(10);
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
  auto overdue = store_->GetHandover("h1");
  ASSERT_TRUE(overdue.ok() && overdue->has_value());
  EXPECT_EQ((*overdue)->state(), sv1::HANDOVER_STATE_OVERDUE);
  ASSERT_TRUE(store_->ConfirmHandover("h1", "o1", "").ok());
  auto late = store_->ConfirmHandover("h1", "o2", "");
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->state(), sv1::HANDOVER_STATE_CONFIRMED_LATE);
  // Planned, overdue, confirmed: each on the events stream with both sides (timed webhooks).
  auto events = redis_->Command({"XRANGE", store_->EventsKey(), "-", "+"});
  ASSERT_TRUE(events.ok()) << events.status();
  std::vector<std::string> types;
  for (const auto& entry : events->elements) {
    ASSERT_EQ(entry.elements.size(), 2u);
    std::map<std::string, std::string> fields;
    const auto& flat = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < flat.size(); i += 2) fields[flat[i].str] = flat[i + 1].str;
    types.push_back(fields["type"]);
    EXPECT_EQ(fields["id"], "h1");
    EXPECT_EQ(fields["from"], "o1");
    EXPECT_EQ(fields["to"], "o2");
  }
  EXPECT_EQ(types, (std::vector<std::string>{"HANDOVER_PLANNED", "HANDOVER_OVERDUE",
                                             "HANDOVER_CONFIRMED"}));
}

// ---------------------------------------------------------------------------------------------
// Registry records (registry.lua through RedisRegistryStore).

class RegistryStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    store_ = std::make_unique<registry::RedisRegistryStore>(redis_.get(), 600, 1000);
  }

  static registry::PutRecord Record(const std::string& id, const std::string& expected,
                                    const std::string& version) {
    registry::PutRecord r;
    r.kind = registry::kResourceKind;
    r.id = id;
    r.expected_version = expected;
    r.new_version = version;
    r.data = std::string("\x08\x01\x12\x00\xff", 5);  // bytes, as a protobuf is
    r.indexes = {"owner:o1"};
    return r;
  }

  std::unique_ptr<registry::RedisRegistryStore> store_;
};

TEST_F(RegistryStoreTest, PutChecksVersionsReferencesAndReplays) {
  registry::PutRecord org;
  org.kind = registry::kOrganizationKind;
  org.id = "o1";
  org.new_version = "v1";
  org.data = "org";
  ASSERT_TRUE(store_->Put(org).ok());

  registry::PutRecord r = Record("r1", "", "v1");
  r.must_exist = {"org:o1"};
  r.replay_key = "is:{reg}:req:o1:x#ab";
  auto created = store_->Put(r);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->created);
  auto replayed = store_->Put(r);
  ASSERT_TRUE(replayed.ok());
  EXPECT_TRUE(replayed->replayed);
  EXPECT_EQ(replayed->data, r.data);
  auto stored = store_->Get(registry::kResourceKind, "r1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(**stored, r.data);  // binary data passes unchanged

  r.replay_key = "";
  EXPECT_EQ(store_->Put(r).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Put(Record("r1", "v9", "v2")).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Put(Record("r2", "v1", "v2")).status().code(), absl::StatusCode::kNotFound);
  registry::PutRecord dangling = Record("r3", "", "v1");
  dangling.must_exist = {"org:nobody"};
  EXPECT_EQ(store_->Put(dangling).status().code(), absl::StatusCode::kNotFound);

  registry::PutRecord moved = Record("r1", "v1", "v2");
  moved.indexes = {"owner:o2"};
  auto updated = store_->Put(moved);
  ASSERT_TRUE(updated.ok());
  EXPECT_FALSE(updated->created);
  auto o1 = store_->IndexMembers("owner:o1");
  ASSERT_TRUE(o1.ok());
  EXPECT_TRUE(o1->empty());
  auto page = store_->List(registry::kResourceKind, "owner:o2", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 1u);

  auto many = store_->PutMany({Record("r4", "", "v1"), Record("r1", "", "v1")});
  ASSERT_TRUE(many.ok());
  EXPECT_TRUE((*many)[0].ok());
  EXPECT_EQ((*many)[1].status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(RegistryStoreTest, DeleteRefusesWhileReferencedAndRetiresTheId) {
  registry::PutRecord org;
  org.kind = registry::kOrganizationKind;
  org.id = "o1";
  org.new_version = "v1";
  org.data = "org";
  ASSERT_TRUE(store_->Put(org).ok());
  ASSERT_TRUE(store_->Put(Record("r1", "", "v1")).ok());

  registry::DeleteRecord del;
  del.kind = registry::kOrganizationKind;
  del.id = "o1";
  del.must_be_empty = {"owner:o1"};
  auto in_use = store_->Delete(del);
  ASSERT_FALSE(in_use.ok());
  EXPECT_EQ(ErrorReason(in_use.status()), "IN_USE") << in_use.status();

  registry::DeleteRecord del_res;
  del_res.kind = registry::kResourceKind;
  del_res.id = "r1";
  del_res.expected_version = "v9";
  EXPECT_EQ(store_->Delete(del_res).status().code(), absl::StatusCode::kAborted);
  del_res.expected_version = "v1";
  del_res.replay_key = "is:{reg}:req:o1:d#cd";
  ASSERT_TRUE(store_->Delete(del_res).ok());
  auto again = store_->Delete(del_res);  // replayed
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed);
  del_res.replay_key = "";
  EXPECT_EQ(store_->Delete(del_res).status().code(), absl::StatusCode::kNotFound);
  auto retired = store_->Put(Record("r1", "", "v1"));
  ASSERT_FALSE(retired.ok());
  EXPECT_EQ(ErrorReason(retired.status()), "ID_RETIRED");

  ASSERT_TRUE(store_->Delete(del).ok());  // nothing owned now

  // The import's replay record.
  auto none = store_->GetReplay("is:{reg}:req:o1:imp#ee");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->PutReplay("is:{reg}:req:o1:imp#ee", "response").ok());
  auto found = store_->GetReplay("is:{reg}:req:o1:imp#ee");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, "response");
  EXPECT_EQ(store_->GetReplay("is:{reg}:req:o1:imp#ff").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Tokens, rate limits, the audit trail (auth.lua).

Caller PlatformAdmin() {
  Caller c;
  c.token_id = "tok_admin";
  c.organization_id = "platform";
  c.roles = {auth::v1::ROLE_PLATFORM_ADMIN};
  return c;
}

TEST_F(StoreTest, TokensAreCreatedReplayedAndRevoked) {
  RedisTokenStore store(redis_.get());
  TokenAuthority tokens(&store, AuthConfig{});
  redis_server_->Cli("HSET is:{reg}:org:o1 v 1");  // the organisation exists in the registry
  auth::v1::CreateTokenRequest request;
  request.set_organization_id("o1");
  request.add_roles(auth::v1::ROLE_ORGANIZATION_ADMIN);
  request.set_request_id("mint1");
  auto created = tokens.Create(PlatformAdmin(), request);
  ASSERT_TRUE(created.ok()) << created.status();
  auto replayed = tokens.Create(PlatformAdmin(), request);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->token(), created->token());
  auto caller = tokens.Resolve(created->token());
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->organization_id, "o1");

  request.set_request_id("mint2");
  auto second = tokens.Create(PlatformAdmin(), request);
  ASSERT_TRUE(second.ok());
  auth::v1::RevokeTokenRequest revoke;
  revoke.set_id(created->info().id());
  ASSERT_TRUE(tokens.Revoke(PlatformAdmin(), revoke).ok());
  EXPECT_EQ(tokens.Revoke(PlatformAdmin(), revoke).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(tokens.RevokeOrganization("o1").ok());
  auth::v1::ListTokensRequest list;
  list.set_organization_id("o1");
  auto left = tokens.List(PlatformAdmin(), list);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->tokens_size(), 0);
}

// ---------------------------------------------------------------------------------------------
// Calendar feeds (calendar_feed.lua through RedisCalendarFeedStore).

TEST_F(StoreTest, CalendarFeedsAreFoundByHashListedRevokedAndReplayed) {
  scheduler::RedisCalendarFeedStore store(redis_.get());
  auto feed = [](const std::string& id, const std::string& holder, int64_t created_s) {
    scheduler::StoredCalendarFeed stored;
    stored.feed.set_id(id);
    stored.feed.set_organization_id(holder);
    stored.feed.mutable_create_time()->set_seconds(created_s);
    stored.holder = holder;
    return stored;
  };
  const auto first = feed("cal_1", "o1", 2000), second = feed("cal_2", "o1", 1000);
  sv1::CalendarFeed answer = first.feed;
  answer.set_secret("isc_first");
  // Fingerprints are hexadecimal, as IdempotencyKey makes them (the replay record is read by that).
  const std::string replay = store.ReplayKey("o1", "create-1#f1");
  auto created = store.Insert(first, "hash1", answer, replay, 600, 2);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->secret(), "isc_first");
  // A retry gets the first answer and stores nothing; the same id for another request is refused.
  auto retried =
      store.Insert(feed("cal_9", "o1", 3000), "hash9", sv1::CalendarFeed(), replay, 600, 2);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->secret(), "isc_first");
  EXPECT_EQ(store.Insert(first, "hash1", answer, store.ReplayKey("o1", "create-1#ab"), 600, 2)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store.Insert(second, "hash2", second.feed, "", 600, 2).ok());
  // An organisation holds at most `max` feeds; another organisation's count is its own.
  auto third = store.Insert(feed("cal_3", "o1", 3000), "hash3", sv1::CalendarFeed(), "", 600, 2);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(third.status()), "TOO_MANY_FEEDS");
  ASSERT_TRUE(
      store.Insert(feed("cal_4", "o2", 3000), "hash4", sv1::CalendarFeed(), "", 600, 2).ok());

  // Found by the hash of its secret and by id, with its holder; the record holds no secret.
  auto by_hash = store.ByHash("hash1");
  ASSERT_TRUE(by_hash.ok() && by_hash->has_value()) << by_hash.status();
  EXPECT_EQ((*by_hash)->feed.id(), "cal_1");
  EXPECT_EQ((*by_hash)->holder, "o1");
  EXPECT_TRUE((*by_hash)->feed.secret().empty());
  EXPECT_FALSE(store.ByHash("hash9")->has_value());  // the replayed create stored nothing
  auto by_id = store.ById("cal_2");
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->holder, "o1");
  EXPECT_FALSE(store.ById("cal_9")->has_value());
  // Listed oldest first, the holder's only.
  auto held = store.HeldBy("o1");
  ASSERT_TRUE(held.ok()) << held.status();
  ASSERT_EQ(held->size(), 2u);
  EXPECT_EQ((*held)[0].id(), "cal_2");
  EXPECT_EQ((*held)[1].id(), "cal_1");

  // Revoked: gone by hash, id and list; a retry gets the same record, another call NOT_FOUND.
  const std::string revoke = store.ReplayKey("o1", "revoke-1#fe");
  auto revoked = store.Revoke(first, revoke, 600);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->id(), "cal_1");
  EXPECT_FALSE(store.ByHash("hash1")->has_value());
  EXPECT_FALSE(store.ById("cal_1")->has_value());
  EXPECT_EQ(store.HeldBy("o1")->size(), 1u);
  auto again = store.Revoke(first, revoke, 600);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), "cal_1");
  EXPECT_EQ(store.Revoke(first, "", 600).status().code(), absl::StatusCode::kNotFound);
  // Room again for a new one.
  EXPECT_TRUE(
      store.Insert(feed("cal_5", "o1", 4000), "hash5", sv1::CalendarFeed(), "", 600, 2).ok());
}

TEST_F(StoreTest, TheRateLimitRefusesOnceTheBurstIsSpent) {
  RateLimitConfig config;
  config.write = {0.001, 1, 0.001, 1};  // one call, then one per 1,000 s
  RateLimiter limiter(redis_.get(), config);
  Caller caller;
  caller.token_id = "tok_1";
  caller.organization_id = "o1";
  caller.roles = {auth::v1::ROLE_MEMBER};
  int admitted = 0;
  absl::Status refused;
  for (int i = 0; i < 10 && refused.ok(); ++i) {
    refused = limiter.Take(caller, "scheduler.CreateBooking");
    if (refused.ok()) ++admitted;
  }
  EXPECT_EQ(admitted, 1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
}

TEST_F(StoreTest, TheAuditTrailKeepsAnEntryPerCall) {
  AuditLog audit(redis_.get(), AuditConfig{});
  auth::v1::RevokeTokenRequest request;
  request.set_id("tok_x");
  audit.Record(PlatformAdmin(), "auth.RevokeToken", request, nullptr, "peer", "OK");
  // Recorded asynchronously: read until it is there (bounded).
  std::string trail;
  for (int i = 0; i < 200 && !absl::StrContains(trail, "auth.RevokeToken"); ++i)
    trail = redis_server_->Cli("XRANGE is:{audit}:events - +");
  EXPECT_TRUE(absl::StrContains(trail, "auth.RevokeToken")) << trail;
  EXPECT_TRUE(absl::StrContains(redis_server_->Cli("XLEN is:{audit}:org:platform"), "1"));
}

// A refused call is audited with what it was sent, but a MiB of request_id or id is kept only
// to a bounded length, cut between characters.
TEST_F(StoreTest, TheAuditTrailKeepsBoundedIdsOfAHugeRequest) {
  AuditLog audit(redis_.get(), AuditConfig{});
  auth::v1::RevokeTokenRequest request;
  std::string huge;
  for (int i = 0; i < (1 << 19); ++i) huge += "\xC3\xA9";  // é, two bytes: a MiB
  request.set_id(huge);
  request.set_request_id(huge);
  audit.Record(PlatformAdmin(), "auth.RevokeToken", request, nullptr, "peer", "INVALID_ARGUMENT");
  absl::StatusOr<RedisValue> trail;
  for (int i = 0; i < 200; ++i) {
    trail = redis_->Command({"XRANGE", "is:{audit}:events", "-", "+"});
    if (trail.ok() && !trail->elements.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(trail.ok() && trail->elements.size() == 1) << trail.status();
  auth::v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(trail->elements[0].elements[1].elements[1].str));
  EXPECT_LE(event.request_id().size(), 300u);
  EXPECT_LE(event.object_id().size(), 300u);
  EXPECT_TRUE(absl::StartsWith(event.request_id(), "\xC3\xA9\xC3\xA9"));
  EXPECT_TRUE(absl::StrContains(event.request_id(), "\xC3\xA9...(1048576 bytes)"))
      << event.request_id();
}

// ---------------------------------------------------------------------------------------------
// The desk (desk.lua through DeskStore).

class DeskStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    store_ = std::make_unique<desk::RedisDeskStore>(redis_.get(), DeskConfig{});
  }

  absl::StatusOr<v1d::Responder> Responder(const std::string& id, int capacity = 1) {
    v1d::Responder r;
    r.set_id(id);
    r.set_organization_id("o2");
    r.set_display_name(id);
    r.set_capacity(capacity);
    return store_->PutResponder(r, "", true, "");
  }

  absl::StatusOr<v1d::Inquiry> Submit(const std::string& id, const std::string& replay = "") {
    v1d::Inquiry i;
    i.set_id(id);
    i.set_network_id("net1");
    i.set_entry_organization_id("o1");
    i.set_text("Wie helpt met een 3D-printer? \xE2\x82\xAC 50");
    i.set_language("nl");
    v1d::AskerContact contact;
    contact.set_name("Asker");
    contact.set_email("Asker@Example.org");
    return store_->Submit(i, contact, "tok_entry", replay);
  }

  // Offers the inquiry to `responders` through the dispatcher's call.
  absl::StatusOr<std::optional<v1d::Inquiry>> Offer(const v1d::Inquiry& i,
                                                    std::vector<std::string> responders) {
    desk::RouteDecision decision;
    decision.kind = desk::RouteDecision::Kind::kOffer;
    decision.responder_ids = std::move(responders);
    return store_->Route(i.id(), i.etag(), decision, NowMs() + 3600 * 1000);
  }

  std::unique_ptr<desk::DeskStore> store_;
};

TEST_F(DeskStoreTest, ResponderPutEtagsOnlineAndDelete) {
  auto created = Responder("r1");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->etag(), "1");
  EXPECT_TRUE(created->online());
  EXPECT_EQ(Responder("r1").status().code(), absl::StatusCode::kAlreadyExists);
  v1d::Responder r = *created;
  r.set_capacity(3);
  EXPECT_EQ(store_->PutResponder(r, "9", std::nullopt, "").status().code(),
            absl::StatusCode::kAborted);
  auto updated = store_->PutResponder(r, "1", std::nullopt, "");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_TRUE(updated->online());  // kept
  auto offline = store_->SetOnline("r1", false);
  ASSERT_TRUE(offline.ok());
  EXPECT_FALSE(offline->online());
  EXPECT_EQ(store_->SetOnline("nobody", true).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteResponder("r1", "o3", "").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->DeleteResponder("r1", "o2", "").ok());
  EXPECT_EQ(store_->DeleteResponder("r1", "o2", "").code(), absl::StatusCode::kNotFound);
}

TEST_F(DeskStoreTest, AnInquiryIsOfferedDeclinedAcceptedResolvedAndRated) {
  ASSERT_TRUE(Responder("r1").ok());
  ASSERT_TRUE(Responder("r2").ok());
  auto submitted = Submit("inq1", store_->ReplayKey("o1", "s1") + "#ab");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(submitted->state(), v1d::INQUIRY_STATE_ROUTING);
  auto replayed = Submit("inq1", store_->ReplayKey("o1", "s1") + "#ab");
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->etag(), submitted->etag());
  EXPECT_EQ(Submit("inq1").status().code(), absl::StatusCode::kAlreadyExists);

  // A decision on a stale version is not applied.
  v1d::Inquiry stale = *submitted;
  stale.set_etag("99");
  auto not_applied = Offer(stale, {"r1"});
  ASSERT_TRUE(not_applied.ok());
  EXPECT_FALSE(not_applied->has_value());

  auto offered = Offer(*submitted, {"r1"});
  ASSERT_TRUE(offered.ok() && offered->has_value()) << offered.status();
  EXPECT_EQ((**offered).state(), v1d::INQUIRY_STATE_OFFERED);
  EXPECT_EQ(store_->Accept("inq1", "r2", "tok_r2", "").status().code(),
            absl::StatusCode::kFailedPrecondition);  // NOT_OFFERED
  auto declined =
      store_->Decline("inq1", "r1", "tok_r1", "busy", v1d::DECLINE_REASON_NO_CAPACITY, "");
  ASSERT_TRUE(declined.ok()) << declined.status();
  EXPECT_EQ(declined->state(), v1d::INQUIRY_STATE_ROUTING);

  auto again = Offer(*declined, {"r2"});
  ASSERT_TRUE(again.ok() && again->has_value());
  auto accepted = store_->Accept("inq1", "r2", "tok_r2", "");
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->state(), v1d::INQUIRY_STATE_ASSIGNED);
  EXPECT_EQ(accepted->assignee_id(), "r2");
  auto loads = store_->Loads({"r2"});
  ASSERT_TRUE(loads.ok());
  EXPECT_EQ(loads->front().open, 1);
  EXPECT_EQ(store_->DeleteResponder("r2", "o2", "").code(), absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(store_->RecordFeedback("inq1", "tok_entry", v1d::Feedback(), "").status().code(),
            absl::StatusCode::kFailedPrecondition);  // NOT_RESOLVED
  v1d::ResolveInquiryRequest resolve;
  resolve.set_outcome(v1d::OUTCOME_ANSWERED);
  resolve.set_note("printed");
  EXPECT_EQ(store_->Resolve("inq1", "tok_r1", "r1", "", false, resolve, "").status().code(),
            absl::StatusCode::kFailedPrecondition);  // NOT_ASSIGNED
  auto resolved = store_->Resolve("inq1", "tok_r2", "r2", "", false, resolve, "");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->state(), v1d::INQUIRY_STATE_RESOLVED);
  EXPECT_EQ(resolved->resolution_note(), "printed");
  loads = store_->Loads({"r2"});
  ASSERT_TRUE(loads.ok());
  EXPECT_EQ(loads->front().open, 0);

  v1d::Feedback feedback;
  feedback.set_score(5);
  feedback.set_would_recommend(true);
  feedback.set_comment("top");
  auto rated = store_->RecordFeedback("inq1", "tok_entry", feedback, "");
  ASSERT_TRUE(rated.ok()) << rated.status();
  EXPECT_EQ(rated->feedback().score(), 5);
  EXPECT_EQ(store_->RecordFeedback("inq1", "tok_entry", feedback, "").status().code(),
            absl::StatusCode::kFailedPrecondition);  // FEEDBACK_RECORDED

  auto stored = store_->GetInquiry("inq1", true);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->inquiry.text(), "Wie helpt met een 3D-printer? \xE2\x82\xAC 50");
  EXPECT_GE((*stored)->inquiry.history_size(), 6);
}

// Named arguments carry the inquiry and the contact as JSON inside one value: what askers type —
// Dutch diacritics, quotes, backslashes, line breaks, text that looks like JSON or like the
// argument names, a megabyte of it — comes back byte for byte.
TEST_F(DeskStoreTest, WhatAskersTypeSurvivesTheJsonArgumentsByteForByte) {
  const std::string odd =
      "Zo\xC3\xAB's \"3D-printer\"\\n \\\\ } {\"keys\":\"x\"} fingerprint replay\n\tcaf\xC3\xA9 "
      "\xE2\x82\xAC 1.234,56; a;b;c";
  const std::string text = odd + std::string(1 << 20, 'x') + odd;
  v1d::Inquiry i;
  i.set_id("inq-odd");
  i.set_network_id("net1");
  i.set_entry_organization_id("o1");
  i.set_text(text);
  i.set_language("nl");
  v1d::AskerContact contact;
  contact.set_name(
      "Anouk van 't Hoff-\xC3\x87"
      "elik");
  contact.set_email("anouk@bakkerij-\xC3\xBC.example");
  contact.set_phone("+31 6 1234 5678");
  auto submitted = store_->Submit(i, contact, "tok_entry", "");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  auto stored = store_->GetInquiry("inq-odd", true);
  ASSERT_TRUE(stored.ok() && stored->has_value()) << stored.status();
  EXPECT_TRUE((*stored)->inquiry.text() == text);  // (not EXPECT_EQ: 1 MiB in a failure message)
  EXPECT_EQ((*stored)->inquiry.contact().name(), contact.name());
  EXPECT_EQ((*stored)->inquiry.contact().email(), contact.email());
  EXPECT_EQ((*stored)->inquiry.contact().phone(), contact.phone());
}

TEST_F(DeskStoreTest, ReferralLoopsAreRefusedAndEscalationAndQueueWork) {
  ASSERT_TRUE(Responder("r1").ok());
  auto i = Submit("inq1");
  ASSERT_TRUE(i.ok());
  auto offered = Offer(*i, {"r1"});
  ASSERT_TRUE(offered.ok() && offered->has_value());
  ASSERT_TRUE(store_->Accept("inq1", "r1", "tok_r1", "").ok());
  desk::ReferCommand refer{"inq1", "tok_r1", "r1", "o2", "o3", "", "to a partner"};
  auto referred = store_->Refer(refer, "");
  ASSERT_TRUE(referred.ok()) << referred.status();
  EXPECT_EQ(referred->target_organization_id(), "o3");
  EXPECT_EQ(referred->state(), v1d::INQUIRY_STATE_ROUTING);
  desk::ReferCommand back{"inq1", "tok_coord", "", "", "o2", "", "back again"};
  auto loop = store_->Refer(back, "");
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(ErrorReason(loop.status()), "REFERRAL_LOOP");

  // Queue, then escalate through the dispatcher's decisions.
  desk::RouteDecision queue;
  queue.kind = desk::RouteDecision::Kind::kQueue;
  auto queued = store_->Route("inq1", referred->etag(), queue, 0);
  ASSERT_TRUE(queued.ok() && queued->has_value()) << queued.status();
  EXPECT_EQ((**queued).state(), v1d::INQUIRY_STATE_QUEUED);
  auto queued_list = store_->InquiryIds(desk::InquiryIndex::kQueue, "", {}, 10);
  ASSERT_TRUE(queued_list.ok());
  EXPECT_EQ(queued_list->ids, std::vector<std::string>{"inq1"});
  EXPECT_FALSE(queued_list->next);
  auto queued_count = store_->QueuedCount();
  ASSERT_TRUE(queued_count.ok()) << queued_count.status();
  EXPECT_EQ(*queued_count, 1);
  desk::RouteDecision escalate;
  escalate.kind = desk::RouteDecision::Kind::kEscalate;
  escalate.cause = "nobody fits";
  auto escalated = store_->Route("inq1", (**queued).etag(), escalate, 0);
  ASSERT_TRUE(escalated.ok() && escalated->has_value());
  EXPECT_EQ((**escalated).state(), v1d::INQUIRY_STATE_ESCALATED);
  EXPECT_EQ((**escalated).escalation_level(), 1);
  EXPECT_EQ(store_->QueuedCount().value_or(-1), 0);
  // Nothing is due yet: the escalation waits hours.
  auto due = store_->ApplyDue(10);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, 0);
}

// A coordinator who refers an inquiry someone holds takes it from them: the holder and its
// organisation join the chain, so referring it back there is a loop too.
TEST_F(DeskStoreTest, ACoordinatorsReferralPutsTheHolderInTheChain) {
  ASSERT_TRUE(Responder("r1").ok());  // of o2
  auto i = Submit("inq1");
  ASSERT_TRUE(i.ok());
  auto offered = Offer(*i, {"r1"});
  ASSERT_TRUE(offered.ok() && offered->has_value());
  ASSERT_TRUE(store_->Accept("inq1", "r1", "tok_r1", "").ok());
  desk::ReferCommand away{"inq1", "tok_coord", "", "", "o3", "", "to a partner"};
  auto referred = store_->Refer(away, "");
  ASSERT_TRUE(referred.ok()) << referred.status();
  EXPECT_EQ(std::vector<std::string>(referred->referral_chain().begin(),
                                     referred->referral_chain().end()),
            (std::vector<std::string>{"o2", "o3"}));
  for (const auto& back : {desk::ReferCommand{"inq1", "tok_coord", "", "", "o2", "", "back"},
                           desk::ReferCommand{"inq1", "tok_coord", "", "", "", "r1", "back"}}) {
    auto loop = store_->Refer(back, "");
    ASSERT_FALSE(loop.ok());
    EXPECT_EQ(ErrorReason(loop.status()), "REFERRAL_LOOP");
  }
}

// Escalation level by level, each with its own deadline: coordinators, platform admins, then back
// to the entry partner (the last: no deadline after it).
TEST_F(DeskStoreTest, EscalationGoesLevelByLevelBackToTheEntryPartner) {
  DeskConfig config;
  config.escalation_s = 1;
  config.level2_escalation_s = 1;
  store_ = std::make_unique<desk::RedisDeskStore>(redis_.get(), config);
  auto i = Submit("inq1");
  ASSERT_TRUE(i.ok());
  desk::RouteDecision escalate;
  escalate.kind = desk::RouteDecision::Kind::kEscalate;
  escalate.cause = "no responder fits this inquiry";
  escalate.suggested_networks = {"net2", "net3"};
  auto escalated = store_->Route("inq1", i->etag(), escalate, 0);
  ASSERT_TRUE(escalated.ok() && escalated->has_value()) << escalated.status();
  EXPECT_EQ((**escalated).escalation_level(), 1);
  EXPECT_EQ(std::vector<std::string>((**escalated).suggested_network_ids().begin(),
                                     (**escalated).suggested_network_ids().end()),
            (std::vector<std::string>{"net2", "net3"}));
  int level = 1;
  for (int n = 0; n < 100 && level < 3; ++n) {  // two one-second deadlines, polled up to 5 s
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(store_->ApplyDue(10).ok());
    auto now = store_->GetInquiry("inq1", true);
    ASSERT_TRUE(now.ok() && now->has_value());
    EXPECT_GE((*now)->inquiry.escalation_level(), level);  // never back down
    level = (*now)->inquiry.escalation_level();
  }
  ASSERT_EQ(level, 3);
  auto last = store_->GetInquiry("inq1", true);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->inquiry.state(), v1d::INQUIRY_STATE_ESCALATED);
  std::vector<int> levels;
  for (const auto& h : (*last)->inquiry.history())
    if (h.kind() == v1d::HISTORY_KIND_ESCALATED) levels.push_back(h.level());
  EXPECT_EQ(levels, (std::vector<int>{1, 2, 3}));
  auto after = store_->ApplyDue(10);  // no deadline is left
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 0);
  // Back with the entry partner, it answers the asker itself; the same answer on an inquiry not
  // (or no longer) back with it is refused in the same step (it was taken up meanwhile).
  v1d::ResolveInquiryRequest answer;
  answer.set_outcome(v1d::OUTCOME_NO_MATCH);
  answer.set_note("nobody in the region does this");
  ASSERT_TRUE(Submit("inq2").ok());
  EXPECT_EQ(ErrorReason(store_->Resolve("inq2", "tok_entry", "", "", true, answer, "").status()),
            "MOVED_ON");
  auto resolved = store_->Resolve("inq1", "tok_entry", "", "", true, answer, "");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->state(), v1d::INQUIRY_STATE_RESOLVED);
}

// A queue wait and an escalation count only the desk's business hours: with today and tomorrow
// closed (days in the desk's zone), a minute's wait and a minute's escalation both end a minute
// into the day after tomorrow, and a pass over due deadlines now applies neither.
TEST_F(DeskStoreTest, QueueWaitsAndEscalationsCountOnlyBusinessHours) {
  DeskConfig config;
  config.queue_wait_s = 60;
  config.escalation_s = 60;
  const date::time_zone* zone = FindTimeZone(config.time_zone);
  const date::local_days today =
      date::floor<date::days>(zone->to_local(std::chrono::system_clock::now()));
  for (const date::local_days day : {today, today + date::days(1)}) {
    const date::year_month_day ymd(day);
    config.closed_days.push_back(absl::StrFormat("%04d-%02u-%02u", static_cast<int>(ymd.year()),
                                                 static_cast<unsigned>(ymd.month()),
                                                 static_cast<unsigned>(ymd.day())));
  }
  const int64_t opens_ms =
      LocalToUtc(zone, today + date::days(2)).time_since_epoch().count() * 1000;
  store_ = std::make_unique<desk::RedisDeskStore>(redis_.get(), config);
  auto queued = Submit("inq1");
  auto escalated = Submit("inq2");
  ASSERT_TRUE(queued.ok() && escalated.ok());
  desk::RouteDecision queue;
  queue.kind = desk::RouteDecision::Kind::kQueue;
  ASSERT_TRUE(store_->Route("inq1", queued->etag(), queue, 0).ok());
  desk::RouteDecision escalate;
  escalate.kind = desk::RouteDecision::Kind::kEscalate;
  escalate.cause = "no responder fits this inquiry";
  ASSERT_TRUE(store_->Route("inq2", escalated->etag(), escalate, 0).ok());
  for (const char* id : {"inq1", "inq2"}) {
    auto score = redis_->Command({"ZSCORE", "is:{dk}:tm", id});
    ASSERT_TRUE(score.ok() && !score->is_nil()) << id;
    const int64_t due = static_cast<int64_t>(std::stod(score->str));
    EXPECT_GE(due, opens_ms + 60000) << id;
    EXPECT_LE(due, opens_ms + 62000) << id;  // rounded up to whole seconds
  }
  auto applied = store_->ApplyDue(10);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 0);
}

// Level 2 waits its own deadline (desk.level2_escalation_s), not level 1's: with level 1 at one
// second and level 2 at an hour, the inquiry reaches level 2 and its timer stands an hour out.
TEST_F(DeskStoreTest, LevelTwoWaitsItsOwnDeadline) {
  DeskConfig config;
  config.escalation_s = 1;
  config.level2_escalation_s = 3600;
  store_ = std::make_unique<desk::RedisDeskStore>(redis_.get(), config);
  auto i = Submit("inq1");
  ASSERT_TRUE(i.ok());
  desk::RouteDecision escalate;
  escalate.kind = desk::RouteDecision::Kind::kEscalate;
  escalate.cause = "no responder fits this inquiry";
  ASSERT_TRUE(store_->Route("inq1", i->etag(), escalate, 0).ok());
  auto timer = [&] {  // seconds from Redis' clock to the inquiry's deadline
    auto score = redis_->Command({"ZSCORE", "is:{dk}:tm", "inq1"});
    auto time = redis_->Command({"TIME"});
    EXPECT_TRUE(score.ok() && time.ok());
    if (!score.ok() || !time.ok()) return -1.0;
    return std::stod(score->str) / 1000 - std::stod(time->elements.at(0).str);
  };
  EXPECT_LE(timer(), 2);  // level 1: a second (rounded up to a whole second)
  int level = 1;
  for (int n = 0; n < 100 && level < 2; ++n) {  // polled up to 5 s
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(store_->ApplyDue(10).ok());
    auto now = store_->GetInquiry("inq1", false);
    ASSERT_TRUE(now.ok() && now->has_value());
    level = (*now)->inquiry.escalation_level();
  }
  ASSERT_EQ(level, 2);
  EXPECT_GT(timer(), 3500);
  EXPECT_LE(timer(), 3601);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past level 1's length again
  auto none = store_->ApplyDue(10);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  auto still = store_->GetInquiry("inq1", false);
  ASSERT_TRUE(still.ok() && still->has_value());
  EXPECT_EQ((*still)->inquiry.escalation_level(), 2);
}

// An inquiry index read a page at a time resumes after the last entry given: newest first (the
// queue: oldest first), the entries of one time in byte order (ids with '-', '_' and '.', which a
// locale's collation would weigh otherwise), then the next time. An entry that left or came in
// since changes nothing else on the pages. Checked against a sorted reference, in pages of every
// size.
TEST_F(DeskStoreTest, IndexPagesResumeAfterTheLastEntryGiven) {
  struct Index {
    desk::InquiryIndex index;
    std::string name;  // the network; none for the queue
    std::string key;
    bool newest_first;
  };
  for (const Index& x : {Index{desk::InquiryIndex::kNetwork, "paging", "is:{dk}:in:paging", true},
                         Index{desk::InquiryIndex::kQueue, "", "is:{dk}:q", false}}) {
    std::vector<std::pair<int64_t, std::string>> reference;
    const std::vector<std::string> names = {"inq_a", "inq-b", "inq_B", "inq.c", "inq_a1", "inq"};
    for (size_t i = 0; i < 18; ++i) {
      const int64_t score = i < 9 ? 1764000000000 : i < 15 ? 1763999999999 : 5;  // 3 times
      reference.emplace_back(score, names[i % names.size()] + std::to_string(i / names.size()));
    }
    std::sort(reference.begin(), reference.end());
    if (x.newest_first) std::reverse(reference.begin(), reference.end());
    std::vector<std::string> expected;
    for (const auto& [score, id] : reference) expected.push_back(id);
    for (int size = 1; size <= 19; ++size) {
      ASSERT_TRUE(redis_->Command({"DEL", x.key}).ok());
      for (const auto& [score, id] : reference)
        ASSERT_TRUE(redis_->Command({"ZADD", x.key, std::to_string(score), id}).ok());
      std::vector<std::string> seen;
      desk::IndexCursor after;
      for (int pages = 0; pages < 40; ++pages) {
        auto page = store_->InquiryIds(x.index, x.name, after, size);
        ASSERT_TRUE(page.ok()) << page.status();
        ASSERT_LE(static_cast<int>(page->ids.size()), size);
        seen.insert(seen.end(), page->ids.begin(), page->ids.end());
        if (!page->next) break;
        EXPECT_EQ(page->next->id, page->ids.back());
        after = *page->next;
        // The last one given leaves, and one comes in at a time already passed, between pages.
        ASSERT_TRUE(redis_->Command({"ZREM", x.key, after.id}).ok());
        const std::string passed = x.newest_first ? "1764000000001" : "4";
        ASSERT_TRUE(redis_->Command({"ZADD", x.key, passed, "new" + std::to_string(pages)}).ok());
      }
      EXPECT_EQ(seen, expected) << x.key << ", pages of " << size;
    }
  }
}

// Consent, a referral to another network, the follow-up and erasure as desk.lua keeps them.
TEST_F(DeskStoreTest, ConsentGatesReferralsAcrossNetworksAndTheFollowUp) {
  DeskConfig config;
  config.follow_up_s = 0;  // due at once
  store_ = std::make_unique<desk::RedisDeskStore>(redis_.get(), config);
  ASSERT_TRUE(Responder("r1").ok());
  auto i = Submit("inq1");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(std::vector<std::string>(i->network_chain().begin(), i->network_chain().end()),
            std::vector<std::string>{"net1"});
  EXPECT_FALSE(i->has_consent());
  desk::ReferCommand across{"inq1", "tok_coord", "", "", "o9", "", "their region"};
  across.target_network_id = "net2";
  auto refused = store_->Refer(across, "");
  EXPECT_EQ(ErrorReason(refused.status()), "CONSENT_REQUIRED");

  v1d::AskerConsent consent;
  consent.set_share_across_networks(true);
  consent.set_follow_up(true);
  consent.set_how("aan de balie");
  auto recorded = store_->RecordConsent("inq1", "tok_entry", consent, "");
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_TRUE(recorded->consent().share_across_networks());
  EXPECT_EQ(recorded->consent().recorded_by(), "tok_entry");
  auto referred = store_->Refer(across, "");
  ASSERT_TRUE(referred.ok()) << referred.status();
  EXPECT_EQ(referred->network_id(), "net2");
  EXPECT_EQ(
      std::vector<std::string>(referred->network_chain().begin(), referred->network_chain().end()),
      (std::vector<std::string>{"net1", "net2"}));
  // Sent by one network, received by the other; listed by both.
  auto counts = store_->CrossNetworkReferrals("net1", 0, NowMs() + 1000);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, std::make_pair(int64_t{1}, int64_t{0}));
  counts = store_->CrossNetworkReferrals("net2", 0, NowMs() + 1000);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, std::make_pair(int64_t{0}, int64_t{1}));
  for (const char* network : {"net1", "net2"}) {
    auto listed = store_->InquiryIds(desk::InquiryIndex::kNetwork, network, {}, 10);
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->ids, std::vector<std::string>{"inq1"}) << network;
  }
  // Back to the whole first network is a loop.
  desk::ReferCommand back{"inq1", "tok_coord", "", "", "", "", "back"};
  back.target_network_id = "net1";
  EXPECT_EQ(ErrorReason(store_->Refer(back, "").status()), "REFERRAL_LOOP");
  // The first network's coordinators no longer act on it, even when their check passed just
  // before the referral (the network is compared in the same step as the change).
  desk::ReferCommand late{"inq1", "tok_coord", "", "", "o8", "", "ours after all"};
  late.acting_network = "net1";
  EXPECT_EQ(ErrorReason(store_->Refer(late, "").status()), "MOVED_ON");
  v1d::ResolveInquiryRequest no_match;
  no_match.set_outcome(v1d::OUTCOME_NO_MATCH);
  EXPECT_EQ(
      ErrorReason(store_->Resolve("inq1", "tok_coord", "", "net1", false, no_match, "").status()),
      "MOVED_ON");

  ASSERT_TRUE(store_
                  ->Resolve(
                      "inq1", "tok_coord", "", "net2", false,
                      [] {
                        v1d::ResolveInquiryRequest r;
                        r.set_outcome(v1d::OUTCOME_ANSWERED);
                        return r;
                      }(),
                      "")
                  .ok());
  // Due at the next whole second (deadlines fall on whole seconds); polled up to 3 s.
  auto due = store_->GetInquiry("inq1", false);
  for (int n = 0; n < 60; ++n) {
    ASSERT_TRUE(store_->ApplyDue(10).ok());
    due = store_->GetInquiry("inq1", false);
    ASSERT_TRUE(due.ok() && due->has_value());
    if ((*due)->inquiry.follow_up().state() != v1d::FollowUp::STATE_SCHEDULED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ((*due)->inquiry.follow_up().state(), v1d::FollowUp::STATE_DUE);
  auto answered = store_->RecordFollowUp("inq1", "tok_entry", false, "nog niet", "");
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->follow_up().state(), v1d::FollowUp::STATE_ANSWERED);
  EXPECT_FALSE(answered->follow_up().help_started());
  EXPECT_EQ(ErrorReason(store_->RecordFollowUp("inq1", "tok_entry", true, "", "").status()),
            "FOLLOW_UP_RECORDED");

  // Erasure takes the consent with the contact, from the history too (that one was recorded
  // stays); the answer stays for the statistics.
  auto consent_notes = [&] {
    std::vector<std::string> notes;
    auto now = store_->GetInquiry("inq1", true);
    EXPECT_TRUE(now.ok() && now->has_value());
    if (now.ok() && now->has_value())
      for (const auto& h : (*now)->inquiry.history())
        if (h.kind() == v1d::HISTORY_KIND_CONSENT) notes.push_back(h.note());
    return notes;
  };
  ASSERT_FALSE(consent_notes().empty());
  EXPECT_NE(consent_notes().front(), "");
  auto erased = store_->EraseAsker("inq1", "tok_admin", "", false);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_FALSE(erased->has_consent());
  for (const std::string& note : consent_notes()) EXPECT_EQ(note, "");
  EXPECT_EQ(erased->follow_up().state(), v1d::FollowUp::STATE_ANSWERED);
  EXPECT_EQ(erased->follow_up().note(), "nog niet");
  EXPECT_EQ(ErrorReason(store_->RecordConsent("inq1", "tok_entry", consent, "").status()),
            "ERASED");
  // Erasing the texts blanks the note written about the asker with them, in the history too;
  // the answer stays.
  erased = store_->EraseAsker("inq1", "tok_admin", "", true);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->follow_up().note(), "");
  auto history = store_->GetInquiry("inq1", true);
  ASSERT_TRUE(history.ok() && history->has_value());
  int follow_ups = 0;
  for (const auto& h : (*history)->inquiry.history())
    if (h.kind() == v1d::HISTORY_KIND_FOLLOW_UP_RECORDED) {
      ++follow_ups;
      EXPECT_EQ(h.note(), "");
    }
  EXPECT_EQ(follow_ups, 1);
  EXPECT_EQ(erased->follow_up().state(), v1d::FollowUp::STATE_ANSWERED);
  EXPECT_FALSE(erased->follow_up().help_started());
}

TEST_F(DeskStoreTest, AnOfferPastItsDeadlineGoesBackToRouting) {
  ASSERT_TRUE(Responder("r1").ok());
  auto i = Submit("inq1");
  ASSERT_TRUE(i.ok());
  desk::RouteDecision decision;
  decision.kind = desk::RouteDecision::Kind::kOffer;
  decision.responder_ids = {"r1"};
  auto offered = store_->Route("inq1", i->etag(), decision, 1000);  // a deadline in 1970
  ASSERT_TRUE(offered.ok() && offered->has_value());
  auto due = store_->ApplyDue(10);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, 1);
  auto stored = store_->GetInquiry("inq1", false);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->inquiry.state(), v1d::INQUIRY_STATE_ROUTING);
  auto late = store_->Accept("inq1", "r1", "tok_r1", "");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);

  // Offered again and taken up at once: still late, against the first offer's deadline.
  ASSERT_TRUE(Responder("r2").ok());
  decision.responder_ids = {"r2"};
  auto again = store_->Route("inq1", (*stored)->inquiry.etag(), decision, 4102444800000);
  ASSERT_TRUE(again.ok() && again->has_value()) << again.status();
  auto accepted = store_->Accept("inq1", "r2", "tok_r2", "");
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_FALSE(accepted->accepted_within_deadline());
  // One offered once and taken up in time is within its deadline.
  auto other = Submit("inq2");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(Responder("r3").ok());
  decision.responder_ids = {"r3"};
  ASSERT_TRUE(store_->Route("inq2", other->etag(), decision, 4102444800000).ok());
  auto in_time = store_->Accept("inq2", "r3", "tok_r3", "");
  ASSERT_TRUE(in_time.ok()) << in_time.status();
  EXPECT_TRUE(in_time->accepted_within_deadline());
}

TEST_F(DeskStoreTest, TheAskersDataIsFoundAndErased) {
  ASSERT_TRUE(Submit("inq1").ok());
  ASSERT_TRUE(Submit("inq2").ok());
  auto found = store_->AskerInquiries("asker@example.org");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, (std::vector<std::string>{"inq1", "inq2"}));
  auto erased = store_->EraseAsker("inq1", "tok_privacy", "", true);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(erased->contact_erased());
  EXPECT_EQ(erased->text(), "");
  found = store_->AskerInquiries("asker@example.org");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::vector<std::string>{"inq2"});
  EXPECT_EQ(store_->EraseAsker("nothing", "tok_privacy", "").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace infrashare
