// The programme's Redis functions (programme.lua) through RedisProgrammeStore, against a real
// redis-server, without gRPC: events saved with etags, registrations admitted up to the capacity
// (also under concurrency, against a reference count), the waitlist in order and its promotion,
// attendance, replays and the erasure of a named person. Run on plain Redis (programme_store) and
// cluster mode (programme_store_cluster), where a key outside {pg} fails the call.
#include "services/programme/programme_store.h"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/embedded_lua.h"
#include "services/common/errors.h"
#include "services/common/redis.h"
#include "tests/support/redis_server.h"

namespace infrashare::programme {
namespace {

using google::protobuf::util::TimeUtil;

constexpr EpochMs kHour = 3600 * 1000;
constexpr EpochMs kFuture = 4102444800000;  // 2100-01-01: registration is open until the start
constexpr EpochMs kPast = 1577836800000;    // 2020-01-01: attendance may be recorded

class ProgrammeStoreTest : public ::testing::Test {
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
    config.pool_size = 8;
    auto pool = RedisPool::Create(config);
    ASSERT_TRUE(pool.ok()) << pool.status();
    redis_ = std::move(*pool);
    redis_->AddFunctionLibrary(std::string(kProgrammeLua));
    ASSERT_TRUE(redis_->LoadFunctions().ok());
    store_ = std::make_unique<RedisProgrammeStore>(redis_.get(), 3600);
  }

  v1::Event Event(const std::string& id, int capacity, EpochMs start = kFuture) {
    v1::Event e;
    e.set_id(id);
    e.set_resource_id("res_zwolle");
    e.set_network_id("techoost");
    e.set_organizer_organization_id("perron038");
    e.set_kind(v1::EVENT_KIND_OPEN_DAY);
    e.set_title("Open dag Perron038 — Café Ñ, 's-Hertogenbosch");
    e.set_capacity(capacity);
    e.set_registration_open(true);
    e.set_visibility(v1::EVENT_VISIBILITY_PUBLIC);
    e.set_state(v1::EVENT_STATE_SCHEDULED);
    *e.mutable_start_time() = TimeUtil::MillisecondsToTimestamp(start);
    *e.mutable_end_time() = TimeUtil::MillisecondsToTimestamp(start + 2 * kHour);
    return e;
  }

  v1::Event Create(const v1::Event& e) {
    SaveCommand save;
    save.event = e;
    save.create = true;
    save.networks = {e.network_id()};
    auto saved = store_->Save(save);
    EXPECT_TRUE(saved.ok()) << saved.status();
    return saved.ok() ? *saved : v1::Event();
  }

  absl::StatusOr<v1::Registration> Register(const std::string& event, const std::string& org,
                                            int places = 1, const std::string& email = "",
                                            const std::string& name = "Anneke de Vries-Ñúñez") {
    RegisterCommand c;
    c.event_id = event;
    c.registration_id = absl::StrCat("reg_", ++serial_);
    c.organization_id = org;
    c.places = places;
    if (!email.empty()) {
      c.person_name = name;
      c.person_email = email;
    }
    return store_->Register(c);
  }

  static testing::RedisServer* redis_server_;
  std::unique_ptr<RedisPool> redis_;
  std::unique_ptr<RedisProgrammeStore> store_;
  std::atomic<int> serial_{0};
};
testing::RedisServer* ProgrammeStoreTest::redis_server_ = nullptr;

TEST_F(ProgrammeStoreTest, SavesAnEventOnceAndUpdatesItOnlyAtItsEtag) {
  const v1::Event created = Create(Event("ev_1", 10));
  EXPECT_EQ(created.etag(), "1");
  EXPECT_EQ(created.title(), "Open dag Perron038 — Café Ñ, 's-Hertogenbosch");
  SaveCommand again;
  again.event = Event("ev_1", 10);
  again.create = true;
  EXPECT_EQ(store_->Save(again).status().code(), absl::StatusCode::kAlreadyExists);

  SaveCommand update;
  update.event = created;
  update.event.set_capacity(20);
  update.expected_etag = "1";
  auto updated = store_->Save(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(updated->capacity(), 20);
  update.expected_etag = "1";  // stale now
  EXPECT_EQ(store_->Save(update).status().code(), absl::StatusCode::kAborted);

  auto read = store_->Get("ev_1");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->capacity(), 20);
  auto missing = store_->Get("ev_none");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(ProgrammeStoreTest, AdmitsUpToCapacityThenWaitlistsInOrder) {
  Create(Event("ev_1", 3));
  auto a = Register("ev_1", "org-a", 2);
  auto b = Register("ev_1", "org-b", 2);  // 2 + 2 > 3
  auto c = Register("ev_1", "org-c", 1);  // fits, but b waits first: c waits too
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->state(), v1::REGISTRATION_STATE_ADMITTED);
  EXPECT_EQ(b->state(), v1::REGISTRATION_STATE_WAITLISTED);
  EXPECT_EQ(c->state(), v1::REGISTRATION_STATE_WAITLISTED);
  auto event = store_->Get("ev_1");
  ASSERT_TRUE(event.ok() && event->has_value());
  EXPECT_EQ((*event)->registered(), 2);
  EXPECT_EQ((*event)->waitlisted(), 2);
  auto all = store_->Registrations("ev_1");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].organization_id(), "org-a");
  EXPECT_EQ((*all)[1].waitlist_position(), 1);
  EXPECT_EQ((*all)[2].waitlist_position(), 2);
  // An organisation registers once (until it cancels).
  EXPECT_EQ(Register("ev_1", "org-a").status().code(), absl::StatusCode::kAlreadyExists);
  // More places than the event has are refused outright.
  EXPECT_EQ(Register("ev_1", "org-d", 4).status().code(), absl::StatusCode::kFailedPrecondition);
}

// A person is registered once per registering organisation: another organisation registering the
// same address learns nothing of the first registration (no refusal, no id) and takes no address
// from it.
TEST_F(ProgrammeStoreTest, APersonRegisteredByOneOrganisationIsNoSecretProbeForAnother) {
  Create(Event("ev_1", 5));
  auto first = Register("ev_1", "org-a", 1, "jan@example.nl", "Jan Jansen");
  ASSERT_TRUE(first.ok()) << first.status();
  auto other = Register("ev_1", "org-b", 1, "jan@example.nl", "Jan Jansen");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->id(), first->id());
  auto twice = Register("ev_1", "org-a", 1, "jan@example.nl", "Jan Jansen");
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Register("ev_1", "org-b", 1, "jan@example.nl").status().code(),
            absl::StatusCode::kAlreadyExists);
  // Cancelled, org-a registers the person again.
  ASSERT_TRUE(store_->Unregister("ev_1", first->id(), "org-a", false, "").ok());
  EXPECT_TRUE(Register("ev_1", "org-a", 1, "jan@example.nl").ok());
}

TEST_F(ProgrammeStoreTest, CancellingPromotesTheFirstWaitingThatFits) {
  Create(Event("ev_1", 2));
  auto a = Register("ev_1", "org-a", 2);
  auto b = Register("ev_1", "org-b", 1);
  auto c = Register("ev_1", "org-c", 1);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_EQ(b->state(), v1::REGISTRATION_STATE_WAITLISTED);
  // Someone else may not cancel org-a's registration; the organiser may.
  EXPECT_EQ(store_->Unregister("ev_1", a->id(), "org-x", false, "").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto cancelled = store_->Unregister("ev_1", a->id(), "org-a", false, "");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::REGISTRATION_STATE_CANCELLED);
  auto all = store_->Registrations("ev_1");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[1].state(), v1::REGISTRATION_STATE_ADMITTED);
  EXPECT_EQ((*all)[2].state(), v1::REGISTRATION_STATE_ADMITTED);
  auto event = store_->Get("ev_1");
  EXPECT_EQ((*event)->registered(), 2);
  EXPECT_EQ((*event)->waitlisted(), 0);
  // Cancelling again changes nothing; org-a may register anew (and now waits).
  EXPECT_TRUE(store_->Unregister("ev_1", a->id(), "org-a", false, "").ok());
  EXPECT_EQ((*store_->Get("ev_1"))->registered(), 2);
  auto again = Register("ev_1", "org-a", 1);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state(), v1::REGISTRATION_STATE_WAITLISTED);
}

TEST_F(ProgrammeStoreTest, RaisingTheCapacityAdmitsWaitingAndLoweringBelowAdmittedIsRefused) {
  v1::Event e = Create(Event("ev_1", 1));
  ASSERT_TRUE(Register("ev_1", "org-a").ok());
  ASSERT_TRUE(Register("ev_1", "org-b").ok());
  SaveCommand raise;
  raise.event = e;
  raise.event.set_capacity(2);
  auto raised = store_->Save(raise);
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(raised->registered(), 2);
  EXPECT_EQ(raised->waitlisted(), 0);
  SaveCommand lower;
  lower.event = e;
  lower.event.set_capacity(1);
  auto refused = store_->Save(lower);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(refused.status()), "CAPACITY_BELOW_REGISTERED");
}

TEST_F(ProgrammeStoreTest, ClosedCancelledAndStartedEventsTakeNoRegistrations) {
  v1::Event closed = Event("ev_closed", 5);
  closed.set_registration_open(false);
  Create(closed);
  EXPECT_EQ(ErrorReason(Register("ev_closed", "org-a").status()), "REGISTRATION_CLOSED");
  Create(Event("ev_started", 5, kPast));
  EXPECT_EQ(ErrorReason(Register("ev_started", "org-a").status()), "REGISTRATION_CLOSED");
  v1::Event cancelled = Event("ev_cancelled", 5);
  cancelled.set_state(v1::EVENT_STATE_CANCELLED);
  Create(cancelled);
  EXPECT_EQ(ErrorReason(Register("ev_cancelled", "org-a").status()), "EVENT_CANCELLED");
  EXPECT_EQ(Register("ev_none", "org-a").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ProgrammeStoreTest, AttendanceIsRecordedFromTheStartForAdmittedRegistrationsOnly) {
  Create(Event("ev_future", 5));
  auto early = Register("ev_future", "org-a");
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(ErrorReason(store_->RecordAttendance("ev_future", early->id(), true).status()),
            "TOO_EARLY");
  // An event registered for before its start, then under way (the store takes the time it is
  // given: the programme moves no event, but the test can).
  v1::Event under_way = Create(Event("ev_past", 1));
  auto in = Register("ev_past", "org-a");
  auto waiting = Register("ev_past", "org-b");
  ASSERT_TRUE(in.ok() && waiting.ok());
  SaveCommand started;
  started.event = under_way;
  *started.event.mutable_start_time() = TimeUtil::MillisecondsToTimestamp(kPast);
  ASSERT_TRUE(store_->Save(started).ok());
  auto attended = store_->RecordAttendance("ev_past", in->id(), true);
  ASSERT_TRUE(attended.ok()) << attended.status();
  EXPECT_TRUE(attended->attended());
  EXPECT_TRUE(attended->attendance_recorded());
  EXPECT_EQ(ErrorReason(store_->RecordAttendance("ev_past", waiting->id(), true).status()),
            "NOT_ADMITTED");
  EXPECT_EQ(store_->RecordAttendance("ev_past", "reg_none", true).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ProgrammeStoreTest, ARetryWithTheSameRequestIdRegistersOnce) {
  Create(Event("ev_1", 5));
  RegisterCommand c;
  c.event_id = "ev_1";
  c.registration_id = "reg_first";
  c.organization_id = "org-a";
  c.replay_key = "org-a:retry-1#abc";
  auto first = store_->Register(c);
  ASSERT_TRUE(first.ok()) << first.status();
  c.registration_id = "reg_second";  // a retry makes a new id; the first answer comes back
  auto second = store_->Register(c);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->id(), "reg_first");
  EXPECT_EQ((*store_->Get("ev_1"))->registered(), 1);
  c.replay_key = "org-a:retry-1#def";  // the same request id for another request
  EXPECT_EQ(store_->Register(c).status().code(), absl::StatusCode::kInvalidArgument);
}

// Many organisations register at once on a small event: exactly `capacity` places are admitted,
// the rest wait, and the counts agree with the registrations (a reference count of the replies).
TEST_F(ProgrammeStoreTest, ConcurrentRegistrationsNeverExceedTheCapacity) {
  constexpr int kCapacity = 7, kThreads = 8, kPerThread = 5;
  Create(Event("ev_busy", kCapacity));
  std::atomic<int> admitted{0}, waiting{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = Register("ev_busy", absl::StrCat("org-", t, "-", i));
        if (!r.ok()) {
          ++failed;
        } else if (r->state() == v1::REGISTRATION_STATE_ADMITTED) {
          ++admitted;
        } else {
          ++waiting;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(admitted, kCapacity);
  EXPECT_EQ(waiting, kThreads * kPerThread - kCapacity);
  auto event = store_->Get("ev_busy");
  EXPECT_EQ((*event)->registered(), kCapacity);
  EXPECT_EQ((*event)->waitlisted(), kThreads * kPerThread - kCapacity);
  // Cancel the admitted ones concurrently: each freed place goes to the next waiting, in order.
  auto all = store_->Registrations("ev_busy");
  ASSERT_TRUE(all.ok());
  std::vector<v1::Registration> in;
  for (const auto& r : *all)
    if (r.state() == v1::REGISTRATION_STATE_ADMITTED) in.push_back(r);
  threads.clear();
  for (const auto& r : in)
    threads.emplace_back([&, r] {
      EXPECT_TRUE(store_->Unregister("ev_busy", r.id(), r.organization_id(), false, "").ok());
    });
  for (auto& t : threads) t.join();
  all = store_->Registrations("ev_busy");
  int now_admitted = 0, position = 0;
  for (const auto& r : *all) {
    if (r.state() != v1::REGISTRATION_STATE_CANCELLED) ++position;
    if (r.state() == v1::REGISTRATION_STATE_ADMITTED) {
      ++now_admitted;
      EXPECT_LE(position, kCapacity) << "admitted out of arrival order: " << r.id();
    }
  }
  EXPECT_EQ(now_admitted, kCapacity);
  EXPECT_EQ((*store_->Get("ev_busy"))->registered(), kCapacity);
}

TEST_F(ProgrammeStoreTest, ErasingAPersonRemovesNameAndAddressFromTheirRegistrations) {
  Create(Event("ev_1", 5));
  Create(Event("ev_2", 5));
  ASSERT_TRUE(Register("ev_1", "org-a", 1, "anneke@example.nl").ok());
  ASSERT_TRUE(Register("ev_2", "org-a", 1, "anneke@example.nl").ok());
  ASSERT_TRUE(Register("ev_2", "org-b", 1, "piet@example.nl", "Piet Zwolle").ok());
  auto found = store_->PersonRegistrations("anneke@example.nl");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].person_name(), "Anneke de Vries-Ñúñez");
  auto erased = store_->ErasePerson("anneke@example.nl");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 2);
  EXPECT_TRUE(store_->PersonRegistrations("anneke@example.nl")->empty());
  for (const auto& ev : {"ev_1", "ev_2"}) {
    auto registrations = store_->Registrations(ev);
    ASSERT_TRUE(registrations.ok());
    for (const auto& r : *registrations) {
      EXPECT_NE(r.person_email(), "anneke@example.nl");
      EXPECT_NE(r.person_name(), "Anneke de Vries-Ñúñez");
    }
  }
  // The other person keeps theirs; the places stay taken.
  EXPECT_EQ(store_->PersonRegistrations("piet@example.nl")->size(), 1u);
  EXPECT_EQ((*store_->Get("ev_2"))->registered(), 2);
  // The address is free to register again.
  EXPECT_TRUE(Register("ev_1", "org-a", 1, "anneke@example.nl").ok());
}

// A retry after the erasure reads the registration as it is: nameless. The stored replays of the
// registration and of its cancellation keep only that the call was made, not the person.
TEST_F(ProgrammeStoreTest, ARetryAfterAnErasureShowsNothingOfThePerson) {
  Create(Event("ev_1", 5));
  RegisterCommand c;
  c.event_id = "ev_1";
  c.registration_id = "reg_kept";
  c.organization_id = "org-a";
  c.person_name = "Greet Vergeten";
  c.person_email = "greet@example.nl";
  c.replay_key = "org-a:erase-1#abc";
  auto first = store_->Register(c);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->person_name(), "Greet Vergeten");
  ASSERT_TRUE(store_->Unregister("ev_1", "reg_kept", "org-a", false, "org-a:erase-2#abc").ok());
  ASSERT_EQ(*store_->ErasePerson("greet@example.nl"), 1);
  c.registration_id = "reg_retry";
  auto again = store_->Register(c);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), "reg_kept");
  EXPECT_EQ(again->person_name(), "");
  EXPECT_EQ(again->person_email(), "");
  auto cancelled_again =
      store_->Unregister("ev_1", "reg_kept", "org-a", false, "org-a:erase-2#abc");
  ASSERT_TRUE(cancelled_again.ok()) << cancelled_again.status();
  EXPECT_EQ(cancelled_again->state(), v1::REGISTRATION_STATE_CANCELLED);
  EXPECT_EQ(cancelled_again->person_email(), "");
  // The stored replays do not name her.
  for (const char* replay : {"org-a:erase-1", "org-a:erase-2"}) {  // (#abc: the fingerprint)
    auto stored = redis_->Command({"GET", store_->ReplayKey(replay)});
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_FALSE(stored->str.empty()) << replay;
    EXPECT_EQ(stored->str.find("reet"), std::string::npos) << stored->str;
  }
}

TEST_F(ProgrammeStoreTest, ListsAnIndexByStartPageByPage) {
  for (int i = 0; i < 7; ++i) {
    v1::Event e = Event(absl::StrCat("ev_", i), 5, kFuture + (7 - i) * kHour);
    e.set_visibility(i % 2 ? v1::EVENT_VISIBILITY_NETWORK : v1::EVENT_VISIBILITY_PUBLIC);
    Create(e);
  }
  auto keep_public = [](const v1::Event& e) {
    return e.visibility() == v1::EVENT_VISIBILITY_PUBLIC;
  };
  std::vector<std::string> seen;
  std::optional<EventCursor> after = EventCursor();
  for (int pages = 0; pages < 10 && after; ++pages) {
    auto page = store_->List({EventIndex::Kind::kNetwork, "techoost"}, 0, kFuture * 2, *after, 3,
                             keep_public);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& e : page->events) seen.push_back(e.id());
    after = page->next;
    // Events created between pages before the cursor repeat none (a position in the index
    // moved with them: the next page began again at ev_2).
    if (pages == 0) {
      for (const char* id : {"ev_early_1", "ev_early_2"}) {
        v1::Event early = Event(id, 5, kFuture);
        early.set_visibility(v1::EVENT_VISIBILITY_PUBLIC);
        Create(early);
      }
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ev_6", "ev_4", "ev_2", "ev_0"}));
  auto resource = store_->List({EventIndex::Kind::kResource, "res_zwolle"}, 0, kFuture * 2, {}, 100,
                               [](const v1::Event&) { return true; });
  EXPECT_EQ(resource->events.size(), 9u);
}

// A filter that matches nothing does not read the whole index in one call: the page ends early
// with a cursor, and following the cursors reaches the end, every event seen once.
TEST_F(ProgrammeStoreTest, AListLooksAtABoundedNumberOfEventsPerCall) {
  const int total = kListScanBudget + 150;
  for (int i = 0; i < total; ++i)
    Create(Event(absl::StrCat("ev_scan_", 10000 + i), 5, kFuture + (i % 7) * kHour));
  std::set<std::string> seen;
  std::optional<EventCursor> after = EventCursor();
  int calls = 0, nothing_pages = 0;
  for (; after && calls < 20; ++calls) {
    auto none = store_->List({EventIndex::Kind::kNetwork, "techoost"}, 0, kFuture * 2, *after, 5,
                             [](const v1::Event&) { return false; });
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_TRUE(none->events.empty());
    nothing_pages += none->next.has_value();
    after = none->next;
  }
  EXPECT_FALSE(after.has_value());  // the end was reached
  EXPECT_EQ(nothing_pages, 1);      // one cursor past the budget, then the rest
  after = EventCursor();
  for (calls = 0; after && calls < 1000; ++calls) {
    auto page =
        store_->List({EventIndex::Kind::kNetwork, "techoost"}, 0, kFuture * 2, *after, 97,
                     [](const v1::Event& e) { return absl::StartsWith(e.id(), "ev_scan_"); });
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& e : page->events) EXPECT_TRUE(seen.insert(e.id()).second) << e.id();
    after = page->next;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(total));
}

}  // namespace
}  // namespace infrashare::programme
