// Watch streams at scale on the real server binary (a child process, so its threads can be counted
// in /proc): hundreds of open streams add no threads and no Redis connections, every stream gets
// every event, streams resume from a cursor, refuse a trimmed one, end when their token is revoked,
// count against max_streams_per_token and end with UNAVAILABLE ("resume from the last cursor")
// when the server shuts down. Streams of bookings (16 shard keys) add no reader threads, and open
// streams of every kind go on delivering after Redis is killed and comes back.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

using namespace registry::v1;

constexpr int kStreams = 300;  // bounded: a few hundred streams over one channel

int ThreadsOf(pid_t pid) {
  int n = 0;
  DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir))
    if (entry->d_name[0] != '.') ++n;
  closedir(dir);
  return n;
}

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

class WatchStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<RedisServer>(ClusterModeRequested(), /*append_only=*/true);
    server_ = std::make_unique<ServerProcess>(
        INFRASHARE_SERVER_BIN, redis_->url(),
        std::map<std::string, std::string>{
            {"INFRASHARE_RATE_LIMITS_MAX_STREAMS_PER_TOKEN", "200"}});
    ASSERT_TRUE(server_->WaitUntilServing());
    registry_ = RegistryService::NewStub(server_->channel());
    scheduler_ = scheduler::v1::SchedulerService::NewStub(server_->channel());
    tokens_ = auth::v1::TokenService::NewStub(server_->channel());
    CreateOrganizationRequest org;
    org.set_organization_id("acme");
    org.mutable_organization()->set_display_name("Acme B.V.");
    org.mutable_organization()->set_kind(ORGANIZATION_KIND_COMPANY);
    Organization created;
    ASSERT_TRUE(registry_->CreateOrganization(As(kAdminToken).get(), org, &created).ok());
    member_ = Token();
  }

  std::string Token(auth::v1::CreateTokenResponse* out = nullptr) {
    auth::v1::CreateTokenRequest request;
    request.set_organization_id("acme");
    request.add_roles(auth::v1::ROLE_MEMBER);
    auth::v1::CreateTokenResponse token;
    EXPECT_TRUE(tokens_->CreateToken(As(kAdminToken).get(), request, &token).ok());
    if (out != nullptr) *out = token;
    return token.token();
  }

  Resource CreateLab(const std::string& name) {
    CreateResourceRequest request;
    Resource* r = request.mutable_resource();
    r->set_display_name(name);
    r->set_kind(RESOURCE_KIND_LAB);
    r->set_owner_organization_id("acme");
    r->mutable_location()->mutable_point()->set_latitude(52.5125);
    r->mutable_location()->mutable_point()->set_longitude(6.0944);
    r->mutable_location()->mutable_region()->set_province("PV23");
    Resource created;
    auto status = registry_->CreateResource(As(member_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<ResourceChange>> reader;
  };
  Stream Watch(const std::string& token, const std::string& cursor = "") {
    Stream s;
    s.context = As(token);
    WatchResourcesRequest request;
    request.set_cursor(cursor);
    s.reader = registry_->WatchResources(s.context.get(), request);
    return s;
  }
  // Reads until the change of `id` (true) or the end of the stream (false).
  static bool ReadUntil(Stream& s, const std::string& id, ResourceChange* change) {
    while (s.reader->Read(change))
      if (change->resource_id() == id) return true;
    return false;
  }
  int RedisClients() const {
    const std::string list = redis_->Cli("CLIENT LIST");
    return static_cast<int>(std::count(list.begin(), list.end(), '\n'));
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<RegistryService::Stub> registry_;
  std::unique_ptr<scheduler::v1::SchedulerService::Stub> scheduler_;
  std::unique_ptr<auth::v1::TokenService::Stub> tokens_;
  std::string member_;
};

TEST_F(WatchStreamsTest, HundredsOfStreamsShareThreadsAndConnectionsAndGetEveryEvent) {
  // One stream first, so the reader of the registry's change log exists.
  Stream first = Watch(member_, "reg1:0-0");  // from the start: no race with the write
  ResourceChange mark;
  ASSERT_TRUE(ReadUntil(first, CreateLab("Warm-up Lab").id(), &mark));
  const int threads_before = ThreadsOf(server_->pid());
  const int clients_before = RedisClients();

  // From the warm-up's cursor: a stream still opening when the next event comes catches up to it.
  std::vector<std::string> tokens = {Token(), Token()};  // within max_streams_per_token each
  std::vector<Stream> streams;
  for (int i = 0; i < kStreams; ++i) streams.push_back(Watch(tokens[i % 2], mark.cursor()));
  const std::string lab = CreateLab("Watched Lab").id();
  int got = 0;
  ResourceChange change;
  for (auto& s : streams) {
    if (ReadUntil(s, lab, &change) && change.type() == CHANGE_TYPE_CREATED) {
      ++got;
    } else {
      const grpc::Status ended = s.reader->Finish();
      ADD_FAILURE() << "a stream ended: " << ended.error_code() << " " << ended.error_message();
    }
  }
  EXPECT_EQ(got, kStreams);
  // Now all are open, and live: one more event reaches each.
  const std::string second = CreateLab("Second Lab").id();
  int live = 0;
  for (auto& s : streams) live += ReadUntil(s, second, &change);
  EXPECT_EQ(live, kStreams);

  const int threads_open = ThreadsOf(server_->pid());
  const int clients_open = RedisClients();
  EXPECT_LT(threads_open - threads_before, 10) << threads_before << " -> " << threads_open;
  // The pool may grow to its size (16) under the burst of opening calls, but not with the streams.
  EXPECT_LE(clients_open - clients_before, 16) << clients_before << " -> " << clients_open;
  for (auto& s : streams) s.context->TryCancel();
  first.context->TryCancel();
}

TEST_F(WatchStreamsTest, BookingStreamsAddNoReaderThreadsAndEveryKindOutlivesARedisRestart) {
  CreateResourceRequest bookable;
  bookable.set_resource_id("werkplaats-zwolle");
  Resource* r = bookable.mutable_resource();
  r->set_display_name("Werkplaats Zwolle");
  r->set_kind(RESOURCE_KIND_LAB);
  r->set_owner_organization_id("acme");
  r->mutable_location()->mutable_point()->set_latitude(52.5125);
  r->mutable_location()->mutable_point()->set_longitude(6.0944);
  r->set_booking_mode(BOOKING_MODE_EXCLUSIVE);
  r->mutable_lifecycle()->set_state(LIFECYCLE_STATE_ACTIVE);
  Resource created;
  ASSERT_TRUE(registry_->CreateResource(As(member_).get(), bookable, &created).ok());
  int hour = 0;
  // Books the next free hour (from 2030 on); retried while Redis comes back (bounded).
  auto book = [&]() -> std::string {
    for (int attempt = 0; attempt < 50; ++attempt) {
      scheduler::v1::CreateBookingRequest request;
      request.set_resource_id("werkplaats-zwolle");
      request.mutable_start_time()->set_seconds(1893456000 + 3600 * hour);
      request.mutable_end_time()->set_seconds(1893456000 + 3600 * hour + 3600);
      request.set_request_id("watch-test-" + std::to_string(hour));
      scheduler::v1::Booking booking;
      auto status = scheduler_->CreateBooking(As(member_).get(), request, &booking);
      if (status.ok()) {
        ++hour;
        return booking.id();
      }
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return "";
  };
  auto read_booking = [](grpc::ClientReader<scheduler::v1::BookingEvent>* reader,
                         const std::string& id) {
    scheduler::v1::BookingEvent event;
    while (reader->Read(&event))
      if (event.booking().id() == id) return true;
    return false;
  };

  // From the start of each stream: a stream opened "from now" may start after a write sent at once.
  Stream resources = Watch(member_, "reg1:0-0");
  ResourceChange change;
  ASSERT_TRUE(ReadUntil(resources, CreateLab("Warm-up Lab").id(), &change));
  const int threads_before = ThreadsOf(server_->pid());
  // A booking stream follows 16 shard keys: one reader thread serves them with the registry's.
  auto context = As(member_);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  scheduler::v1::WatchBookingsRequest watch;
  watch.set_resource_id("werkplaats-zwolle");
  std::string cursor = "bk1:0-0";
  for (int shard = 1; shard < 16; ++shard) cursor += ",0-0";
  watch.set_cursor(cursor);
  auto bookings = scheduler_->WatchBookings(context.get(), watch);
  std::string booked = book();
  ASSERT_FALSE(booked.empty());
  ASSERT_TRUE(read_booking(bookings.get(), booked));
  EXPECT_LT(ThreadsOf(server_->pid()) - threads_before, 8);

  // Redis dies and comes back (with its data): the open streams read on.
  redis_->Stop();
  redis_->Start();
  booked = book();
  ASSERT_FALSE(booked.empty());
  EXPECT_TRUE(read_booking(bookings.get(), booked));
  std::string lab;
  for (int attempt = 0; attempt < 50 && lab.empty(); ++attempt) {
    CreateResourceRequest request;
    request.set_request_id("after-restart");
    Resource* after = request.mutable_resource();
    after->set_display_name("After Restart Lab");
    after->set_kind(RESOURCE_KIND_LAB);
    after->set_owner_organization_id("acme");
    after->mutable_location()->mutable_point()->set_latitude(52.5125);
    after->mutable_location()->mutable_point()->set_longitude(6.0944);
    Resource made;
    if (registry_->CreateResource(As(member_).get(), request, &made).ok())
      lab = made.id();
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(lab.empty());
  EXPECT_TRUE(ReadUntil(resources, lab, &change));
  context->TryCancel();
  resources.context->TryCancel();
}

TEST_F(WatchStreamsTest, ResumesFromACursorAndRefusesATrimmedOne) {
  Stream live = Watch(member_, "reg1:0-0");
  const std::string a = CreateLab("Lab A").id();
  ResourceChange at_a;
  ASSERT_TRUE(ReadUntil(live, a, &at_a));
  EXPECT_EQ(at_a.cursor().rfind("reg1:", 0), 0u) << at_a.cursor();
  const std::string b = CreateLab("Lab B").id();
  live.context->TryCancel();

  // From A's cursor the next change is B's; a cursor of the older format (a bare id) still works.
  Stream resumed = Watch(member_, at_a.cursor());
  ResourceChange next;
  ASSERT_TRUE(resumed.reader->Read(&next));
  EXPECT_EQ(next.resource_id(), b);
  resumed.context->TryCancel();
  Stream legacy = Watch(member_, at_a.cursor().substr(5));
  ASSERT_TRUE(legacy.reader->Read(&next));
  EXPECT_EQ(next.resource_id(), b);
  legacy.context->TryCancel();

  Stream bad = Watch(member_, "bk1:0-0");
  EXPECT_FALSE(bad.reader->Read(&next));
  EXPECT_EQ(bad.reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A well-formed cursor ahead of every id the stream issued would skip all events until then.
  Stream ahead = Watch(member_, "reg1:99999999999999-0");
  EXPECT_FALSE(ahead.reader->Read(&next));
  EXPECT_EQ(ahead.reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  redis_->Cli("XTRIM is:{reg}:events MAXLEN 0");
  Stream trimmed = Watch(member_, at_a.cursor());
  EXPECT_FALSE(trimmed.reader->Read(&next));
  const grpc::Status status = trimmed.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("trimmed"), std::string::npos);
}

TEST_F(WatchStreamsTest, ARevokedTokenEndsItsStreams) {
  auth::v1::CreateTokenResponse doomed;
  const std::string token = Token(&doomed);
  std::vector<Stream> streams;
  for (int i = 0; i < 5; ++i) streams.push_back(Watch(token, "reg1:0-0"));
  Stream other = Watch(member_, "reg1:0-0");
  ResourceChange change;
  const std::string lab = CreateLab("Before Revocation").id();
  for (auto& s : streams) ASSERT_TRUE(ReadUntil(s, lab, &change));  // all open

  auth::v1::RevokeTokenRequest revoke;
  revoke.set_id(doomed.info().id());
  auth::v1::RevokeTokenResponse revoked;
  ASSERT_TRUE(tokens_->RevokeToken(As(kAdminToken).get(), revoke, &revoked).ok());
  for (auto& s : streams) {
    while (s.reader->Read(&change)) {
    }
    const auto ended = s.reader->Finish();
    EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(Reason(ended), "TOKEN_REVOKED");
  }
  // Another token's stream goes on.
  const std::string after = CreateLab("After Revocation").id();
  EXPECT_TRUE(ReadUntil(other, after, &change));
  other.context->TryCancel();
}

TEST_F(WatchStreamsTest, ATokenHoldsNoMoreStreamsThanItMay) {
  const std::string token = Token();
  const std::string lab = CreateLab("Replayed Lab").id();
  std::vector<Stream> streams;
  ResourceChange change;
  for (int i = 0; i < 200; ++i) {  // INFRASHARE_RATE_LIMITS_MAX_STREAMS_PER_TOKEN
    streams.push_back(Watch(token, "reg1:0-0"));
    ASSERT_TRUE(ReadUntil(streams.back(), lab, &change));  // open, holding its place
  }
  Stream refused = Watch(token, "reg1:0-0");
  EXPECT_FALSE(refused.reader->Read(&change));
  EXPECT_EQ(refused.reader->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  Stream other = Watch(member_, "reg1:0-0");  // another token has places of its own
  EXPECT_TRUE(ReadUntil(other, lab, &change));
  other.context->TryCancel();
  for (auto& s : streams) s.context->TryCancel();
}

TEST_F(WatchStreamsTest, ShutdownEndsStreamsWithUnavailableToResume) {
  std::vector<Stream> streams;
  for (int i = 0; i < 20; ++i) streams.push_back(Watch(member_, "reg1:0-0"));
  ResourceChange change;
  const std::string lab = CreateLab("Before Shutdown").id();
  for (auto& s : streams) ASSERT_TRUE(ReadUntil(s, lab, &change));
  server_->Terminate();
  for (auto& s : streams) {
    EXPECT_FALSE(s.reader->Read(&change));
    const grpc::Status status = s.reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(status.error_message().find("resume from the last cursor"), std::string::npos)
        << status.error_message();
  }
}

}  // namespace
}  // namespace infrashare::testing
