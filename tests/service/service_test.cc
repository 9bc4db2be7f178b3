// The service classes on their own: Registry, Scheduler, Rotations, Desk and TokenAuthority over
// the real Redis stores (a real redis-server), without gRPC. Each test is a decision a service
// class makes: who may do what (a foreign organisation is refused), a stale etag is refused, and
// the state transitions of bookings, inquiries and rotation requests.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "services/common/auth.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/embedded_lua.h"
#include "services/common/redis.h"
#include "services/desk/desk.h"
#include "services/desk/desk_store.h"
#include "services/registry/read_model.h"
#include "services/registry/registry.h"
#include "services/registry/store.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/rotation_store.h"
#include "services/scheduler/rotations.h"
#include "services/scheduler/scheduler.h"
#include "tests/support/redis_server.h"

namespace infrashare {
namespace {

namespace reg = ::infrashare::registry::v1;
namespace sv1 = ::infrashare::scheduler::v1;
namespace dv1 = ::infrashare::desk::v1;

Caller As(const std::string& organization, Role role) {
  Caller caller;
  caller.token_id = "tok_" + organization;
  caller.organization_id = organization;
  caller.roles = {role};
  return caller;
}

Caller PlatformAdmin() {
  return As(std::string(kPlatformOrganization), auth::v1::ROLE_PLATFORM_ADMIN);
}

// A far-future Monday 10:00 UTC, plus `hours`.
google::protobuf::Timestamp At(int hours) {
  google::protobuf::Timestamp t;
  t.set_seconds(4102567200 + int64_t{hours} * 3600);  // 2100-01-02
  return t;
}

class ServiceTest : public ::testing::Test {
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
    RedisConfig redis_config;
    redis_config.url = redis_server_->url();
    redis_config.pool_size = 4;
    auto pool = RedisPool::Create(redis_config);
    ASSERT_TRUE(pool.ok()) << pool.status();
    redis_ = std::move(*pool);
    for (auto library : {kAuthLua, kRegistryLua, kSchedulerLua, kDeskLua, kRotationLua})
      redis_->AddFunctionLibrary(std::string(library));
    ASSERT_TRUE(redis_->LoadFunctions().ok());

    registry_store_ = std::make_unique<registry::RedisRegistryStore>(
        redis_.get(), config_.registry.request_id_ttl_s, config_.registry.events_max_length);
    model_ = std::make_unique<registry::RegistryReadModel>(registry_store_.get());
    model_->Loaded();
    registry_ = std::make_unique<registry::Registry>(registry_store_.get(), registry_store_.get(),
                                                     model_.get(), config_.registry);
    bookings_ = std::make_unique<scheduler::RedisBookingStore>(redis_.get(), config_.scheduler);
    scheduler_ = std::make_unique<scheduler::Scheduler>(
        bookings_.get(), model_.get(), config_.scheduler, [this] { return NowMs() + skew_ms_; });
    desk_store_ = std::make_unique<desk::RedisDeskStore>(redis_.get(), config_.desk);
    desk_ = std::make_unique<desk::Desk>(desk_store_.get(), model_.get(), config_.desk);
    token_store_ = std::make_unique<RedisTokenStore>(redis_.get());
    tokens_ = std::make_unique<TokenAuthority>(token_store_.get(), config_.auth);
    rotation_store_ = std::make_unique<scheduler::RedisRotationStore>(
        redis_.get(), config_.scheduler.request_id_ttl_s, config_.scheduler.rotation_draft_ttl_s);
    rotations_ = std::make_unique<scheduler::Rotations>(rotation_store_.get(), bookings_.get(),
                                                        model_.get(), config_.scheduler, NowMs);

    for (const char* org : {"acme", "school", "fleet", "outsider"}) CreateOrganization(org);
    reg::CreateNetworkRequest network;
    network.set_network_id("tech");
    network.mutable_network()->set_display_name("TechOost");
    network.mutable_network()->add_member_organization_ids("acme");
    network.mutable_network()->add_member_organization_ids("school");
    network.mutable_network()->add_member_organization_ids("fleet");
    ASSERT_TRUE(registry_->CreateNetwork(PlatformAdmin(), network).ok());
  }

  void CreateOrganization(const std::string& id) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(id);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    auto created = registry_->CreateOrganization(PlatformAdmin(), request);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  // An exclusive lab of acme, shared with the network, always open.
  static reg::CreateResourceRequest LabRequest() {
    reg::CreateResourceRequest request;
    reg::Resource* r = request.mutable_resource();
    r->set_display_name("Lab");
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("acme");
    r->add_shared_with_network_ids("tech");
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_capacity(1);
    r->set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    return request;
  }

  std::string Lab() {
    auto created = registry_->CreateResource(As("acme", auth::v1::ROLE_MEMBER), LabRequest());
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->id() : "";
  }

  static testing::RedisServer* redis_server_;
  Config config_;
  scheduler::EpochMs skew_ms_ = 0;  // how far the scheduler's clock is ahead
  std::unique_ptr<RedisPool> redis_;
  std::unique_ptr<registry::RedisRegistryStore> registry_store_;
  std::unique_ptr<registry::RegistryReadModel> model_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<scheduler::RedisBookingStore> bookings_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<desk::RedisDeskStore> desk_store_;
  std::unique_ptr<desk::Desk> desk_;
  std::unique_ptr<RedisTokenStore> token_store_;
  std::unique_ptr<TokenAuthority> tokens_;
  std::unique_ptr<scheduler::RedisRotationStore> rotation_store_;
  std::unique_ptr<scheduler::Rotations> rotations_;
};

testing::RedisServer* ServiceTest::redis_server_ = nullptr;

// ---------------------------------------------------------------------------------------------
// Registry

TEST_F(ServiceTest, RegistryRefusesAResourceOfAForeignOrganization) {
  auto created =
      registry_->CreateResource(As("outsider", auth::v1::ROLE_ORGANIZATION_ADMIN), LabRequest());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kPermissionDenied) << created.status();
}

TEST_F(ServiceTest, RegistryRefusesAnUpdateWithAStaleEtag) {
  auto current = registry_->GetOrganization(PlatformAdmin(), "acme");
  ASSERT_TRUE(current.ok()) << current.status();
  reg::UpdateOrganizationRequest update;
  *update.mutable_organization() = *current;
  update.mutable_organization()->set_display_name("Acme BV");
  auto updated =
      registry_->UpdateOrganization(As("acme", auth::v1::ROLE_ORGANIZATION_ADMIN), update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_NE(updated->etag(), current->etag());
  update.mutable_organization()->set_display_name("Acme NV");  // still the first etag
  auto stale = registry_->UpdateOrganization(As("acme", auth::v1::ROLE_ORGANIZATION_ADMIN), update);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
}

// An organisation removed from a network no longer shares its resources with it: they are
// unshared, so the network's members neither see its staff nor book them any more.
TEST_F(ServiceTest, RegistryUnsharesTheResourcesOfAnOrganisationThatLeavesANetwork) {
  const std::string lab = Lab();
  auto school_lab = registry_->CreateResource(As("school", auth::v1::ROLE_MEMBER), [] {
    auto request = LabRequest();
    request.mutable_resource()->set_owner_organization_id("school");
    return request;
  }());
  ASSERT_TRUE(school_lab.ok()) << school_lab.status();
  auto network = registry_->GetNetwork(PlatformAdmin(), "tech");
  ASSERT_TRUE(network.ok()) << network.status();
  reg::UpdateNetworkRequest update;
  *update.mutable_network() = *network;
  update.mutable_network()->clear_member_organization_ids();
  update.mutable_network()->add_member_organization_ids("school");
  update.mutable_network()->add_member_organization_ids("fleet");
  update.mutable_update_mask()->add_paths("member_organization_ids");
  auto updated = registry_->UpdateNetwork(PlatformAdmin(), update);
  ASSERT_TRUE(updated.ok()) << updated.status();

  auto unshared = registry_->GetResource(PlatformAdmin(), lab);
  ASSERT_TRUE(unshared.ok()) << unshared.status();
  EXPECT_EQ(unshared->shared_with_network_ids_size(), 0);
  auto kept = registry_->GetResource(PlatformAdmin(), school_lab->id());
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->shared_with_network_ids_size(), 1) << "a member's resources stay shared";
  sv1::CreateBookingRequest request;
  request.set_resource_id(lab);
  *request.mutable_start_time() = At(0);
  *request.mutable_end_time() = At(1);
  request.set_quantity(1);
  EXPECT_EQ(scheduler_->CreateBooking(As("school", auth::v1::ROLE_MEMBER), request).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// ---------------------------------------------------------------------------------------------
// Scheduler

TEST_F(ServiceTest, SchedulerBookingGoesFromHoldToConfirmedToCancelled) {
  const std::string lab = Lab();
  const Caller school = As("school", auth::v1::ROLE_MEMBER);
  sv1::CreateBookingRequest request;
  request.set_resource_id(lab);
  *request.mutable_start_time() = At(0);
  *request.mutable_end_time() = At(2);
  request.set_quantity(1);
  request.set_hold(true);
  request.set_title("Practical");
  auto held = scheduler_->CreateBooking(school, request);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->state(), sv1::BOOKING_STATE_HELD);

  auto confirmed = scheduler_->Transition(
      school, {held->id(), scheduler::Transition::kSubmit, "", false, false, "", ""});
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_EQ(confirmed->state(), sv1::BOOKING_STATE_CONFIRMED);

  // The same slot again is refused: no double booking.
  request.set_hold(false);
  EXPECT_EQ(scheduler_->CreateBooking(school, request).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto cancelled = scheduler_->Transition(
      school, {held->id(), scheduler::Transition::kCancel, "", false, false, "plans changed", ""});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), sv1::BOOKING_STATE_CANCELLED);
}

// A retry made after the booking's start (a client that lost the answer and retried late) gets
// the first call's answer, although a new call for that time is refused as in the past; a
// recurring one gets the same series, each occurrence as first decided.
TEST_F(ServiceTest, SchedulerAnswersARetryAfterTheStartAsItsFirstCall) {
  const std::string lab = Lab();
  const Caller school = As("school", auth::v1::ROLE_MEMBER);
  const int64_t hour = 3600, day = 24 * hour;
  const int64_t start = (NowMs() / 1000 / hour + 24) * hour;  // a whole hour a day ahead
  auto span = [](sv1::CreateBookingRequest* r, int64_t from, int64_t to) {
    r->mutable_start_time()->set_seconds(from);
    r->mutable_end_time()->set_seconds(to);
    r->set_quantity(1);
  };
  sv1::CreateBookingRequest single;
  single.set_resource_id(lab);
  span(&single, start, start + hour);
  single.set_request_id("late-single");
  auto first = scheduler_->CreateBooking(school, single);
  ASSERT_TRUE(first.ok()) << first.status();
  // The second day of a daily series is taken: skipping conflicts books two of three.
  sv1::CreateBookingRequest taken;
  taken.set_resource_id(lab);
  span(&taken, start + 2 * hour + day, start + 3 * hour + day);
  ASSERT_TRUE(scheduler_->CreateBooking(As("acme", auth::v1::ROLE_MEMBER), taken).ok());
  auto series_of = [&](int64_t from, sv1::RecurrenceMode mode, const std::string& request_id) {
    sv1::CreateRecurringBookingRequest series;
    series.set_resource_id(lab);
    series.mutable_start_time()->set_seconds(from);
    series.mutable_end_time()->set_seconds(from + hour);
    series.set_rrule("FREQ=DAILY;COUNT=3");
    series.set_quantity(1);
    series.set_mode(mode);
    series.set_request_id(request_id);
    return series;
  };
  const auto skipping =
      series_of(start + 2 * hour, sv1::RECURRENCE_MODE_SKIP_CONFLICTS, "late-series");
  const auto whole = series_of(start + 4 * hour, sv1::RECURRENCE_MODE_ALL_OR_NOTHING, "late-whole");
  auto made = scheduler_->CreateRecurringBooking(school, skipping);
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_EQ(made->booked(), 2);
  auto all = scheduler_->CreateRecurringBooking(school, whole);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->booked(), 3);

  // Later, past every first start: a new call for that time is refused.
  skew_ms_ = (start + 6 * hour) * 1000 - NowMs();
  sv1::CreateBookingRequest fresh = single;
  fresh.set_request_id("late-fresh");
  EXPECT_EQ(scheduler_->CreateBooking(school, fresh).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto again = scheduler_->CreateBooking(school, single);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), first->id());
  EXPECT_EQ(again->etag(), first->etag());
  // A different request under the same key is still refused, late or not.
  sv1::CreateBookingRequest changed = single;
  changed.mutable_end_time()->set_seconds(start + 2 * hour);
  auto refused = scheduler_->CreateBooking(school, changed);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("different request"), std::string::npos)
      << refused.status();

  for (const auto* request : {&skipping, &whole}) {
    const auto& before = request == &skipping ? *made : *all;
    auto replayed = scheduler_->CreateRecurringBooking(school, *request);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->series_id(), before.series_id());
    EXPECT_EQ(replayed->booked(), before.booked());
    ASSERT_EQ(replayed->occurrences_size(), 3);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(replayed->occurrences(i).start_time().seconds(),
                before.occurrences(i).start_time().seconds());
      EXPECT_EQ(replayed->occurrences(i).booking().id(), before.occurrences(i).booking().id());
      EXPECT_EQ(replayed->occurrences(i).reason(), before.occurrences(i).reason()) << i;
    }
  }
  EXPECT_EQ(made->occurrences(1).reason(), "SLOT_TAKEN");
}

TEST_F(ServiceTest, SchedulerRefusesABookingByAnOrganizationOutsideTheNetwork) {
  const std::string lab = Lab();
  sv1::CreateBookingRequest request;
  request.set_resource_id(lab);
  *request.mutable_start_time() = At(0);
  *request.mutable_end_time() = At(2);
  request.set_quantity(1);
  request.set_title("Practical");
  auto refused = scheduler_->CreateBooking(As("outsider", auth::v1::ROLE_MEMBER), request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
}

TEST_F(ServiceTest, SchedulerLetsNeitherAForeignOrganizationCancelABooking) {
  const std::string lab = Lab();
  sv1::CreateBookingRequest request;
  request.set_resource_id(lab);
  *request.mutable_start_time() = At(4);
  *request.mutable_end_time() = At(6);
  request.set_quantity(1);
  request.set_title("Practical");
  auto booked = scheduler_->CreateBooking(As("school", auth::v1::ROLE_MEMBER), request);
  ASSERT_TRUE(booked.ok()) << booked.status();
  auto refused = scheduler_->Transition(
      As("outsider", auth::v1::ROLE_ORGANIZATION_ADMIN),
      {booked->id(), scheduler::Transition::kCancel, "", false, false, "mine now", ""});
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().code() == absl::StatusCode::kPermissionDenied ||
              refused.status().code() == absl::StatusCode::kNotFound)
      << refused.status();
}

// ---------------------------------------------------------------------------------------------
// Desk

TEST_F(ServiceTest, DeskRefusesAResponderForAForeignOrganizationAndAStaleEtag) {
  dv1::CreateResponderRequest create;
  create.mutable_responder()->set_organization_id("acme");
  create.mutable_responder()->set_display_name("acme desk");
  create.mutable_responder()->add_skills(dv1::NEED_TYPE_INNOVATION);
  create.mutable_responder()->set_capacity(2);
  auto foreign = desk_->CreateResponder(As("outsider", auth::v1::ROLE_ORGANIZATION_ADMIN), create);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kPermissionDenied) << foreign.status();

  const Caller admin = As("acme", auth::v1::ROLE_ORGANIZATION_ADMIN);
  auto created = desk_->CreateResponder(admin, create);
  ASSERT_TRUE(created.ok()) << created.status();
  dv1::UpdateResponderRequest update;
  *update.mutable_responder() = *created;
  update.mutable_responder()->set_capacity(3);
  auto updated = desk_->UpdateResponder(admin, update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  update.mutable_responder()->set_capacity(4);  // on the first etag
  EXPECT_EQ(desk_->UpdateResponder(admin, update).status().code(), absl::StatusCode::kAborted);
}

TEST_F(ServiceTest, DeskInquiryIsRoutedThenResolvedAndHiddenFromOutsiders) {
  dv1::SubmitInquiryRequest submit;
  submit.set_need_type(dv1::NEED_TYPE_INNOVATION);
  submit.set_text("We need help with digitalisation");
  submit.set_asker_is_sme(true);
  submit.set_entry_organization_id("school");
  submit.set_network_id("tech");
  submit.mutable_contact()->set_name("Jan de Bakker");
  submit.mutable_contact()->set_email("jan@bakkerij.example");
  const Caller school = As("school", auth::v1::ROLE_ORGANIZATION_ADMIN);
  auto submitted = desk_->SubmitInquiry(school, submit);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(submitted->state(), dv1::INQUIRY_STATE_ROUTING);

  auto seen = desk_->GetInquiry(school, submitted->id());
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->contact().email(), "jan@bakkerij.example");
  auto hidden =
      desk_->GetInquiry(As("outsider", auth::v1::ROLE_ORGANIZATION_ADMIN), submitted->id());
  EXPECT_FALSE(hidden.ok());

  // Nobody has accepted it: it cannot be resolved yet.
  dv1::ResolveInquiryRequest resolve;
  resolve.set_id(submitted->id());
  resolve.set_note("done");
  EXPECT_FALSE(desk_->Resolve(As("outsider", auth::v1::ROLE_ORGANIZATION_ADMIN), resolve).ok());
}

// ---------------------------------------------------------------------------------------------
// Rotations

TEST_F(ServiceTest, RotationRequestIsOpenThenWithdrawnOnlyByItsOrganization) {
  reg::CreateResourceRequest unit;
  reg::Resource* r = unit.mutable_resource();
  r->set_display_name("Mobiel Lab Zwolle");
  r->set_kind(reg::RESOURCE_KIND_EQUIPMENT);
  r->set_mobility(reg::MOBILITY_MOBILE);
  r->set_owner_organization_id("fleet");
  r->mutable_location()->mutable_point()->set_latitude(52.51);
  r->mutable_location()->mutable_point()->set_longitude(6.09);
  *r->mutable_home_base() = r->location();
  r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
  r->set_access_policy(reg::ACCESS_POLICY_PUBLIC);
  r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  const Caller fleet = As("fleet", auth::v1::ROLE_ORGANIZATION_ADMIN);
  auto van = registry_->CreateResource(fleet, unit);
  ASSERT_TRUE(van.ok()) << van.status();

  sv1::CreateRotationPoolRequest create_pool;
  create_pool.mutable_pool()->set_display_name("TechOost mobile labs");
  create_pool.mutable_pool()->add_unit_resource_ids(van->id());
  create_pool.mutable_pool()->set_owner_organization_id("fleet");
  EXPECT_EQ(rotations_->CreatePool(As("outsider", auth::v1::ROLE_ORGANIZATION_ADMIN), create_pool)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  auto pool = rotations_->CreatePool(fleet, create_pool);
  ASSERT_TRUE(pool.ok()) << pool.status();

  sv1::CreateRotationRequestRequest ask;
  auto* wanted = ask.mutable_rotation_request();
  wanted->set_pool_id(pool->id());
  wanted->mutable_location()->set_latitude(52.2);
  wanted->mutable_location()->set_longitude(6.9);
  *wanted->mutable_earliest_start_time() = At(0);
  *wanted->mutable_latest_end_time() = At(24 * 14);
  wanted->set_duration_days(3);
  const Caller school = As("school", auth::v1::ROLE_MEMBER);
  auto asked = rotations_->CreateRequest(school, ask);
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_EQ(asked->state(), sv1::ROTATION_REQUEST_STATE_OPEN);

  sv1::WithdrawRotationRequestRequest withdraw;
  withdraw.set_id(asked->id());
  auto foreign =
      rotations_->WithdrawRequest(As("acme", auth::v1::ROLE_ORGANIZATION_ADMIN), withdraw);
  // Someone else's request does not exist for a third organisation.
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound) << foreign.status();
  auto withdrawn = rotations_->WithdrawRequest(school, withdraw);
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_EQ(withdrawn->state(), sv1::ROTATION_REQUEST_STATE_WITHDRAWN);
}

// ---------------------------------------------------------------------------------------------
// Tokens

TEST_F(ServiceTest, TokenAuthorityKeepsEachOrganizationToItsOwnTokens) {
  auth::v1::CreateTokenRequest request;
  request.set_organization_id("acme");
  request.add_roles(auth::v1::ROLE_MEMBER);
  const Caller acme_admin = As("acme", auth::v1::ROLE_ORGANIZATION_ADMIN);
  auto created = tokens_->Create(acme_admin, request);
  ASSERT_TRUE(created.ok()) << created.status();
  auto caller = tokens_->Resolve(created->token());
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->organization_id, "acme");

  // A platform role, or a token of another organisation, is not an organisation admin's to give.
  auth::v1::CreateTokenRequest platform = request;
  platform.clear_roles();
  platform.add_roles(auth::v1::ROLE_PLATFORM_ADMIN);
  EXPECT_EQ(tokens_->Create(acme_admin, platform).status().code(),
            absl::StatusCode::kPermissionDenied);
  request.set_organization_id("school");
  EXPECT_EQ(tokens_->Create(acme_admin, request).status().code(),
            absl::StatusCode::kPermissionDenied);

  auth::v1::RevokeTokenRequest revoke;
  revoke.set_id(created->info().id());
  EXPECT_EQ(tokens_->Revoke(As("school", auth::v1::ROLE_ORGANIZATION_ADMIN), revoke).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(tokens_->Revoke(acme_admin, revoke).ok());
  EXPECT_EQ(tokens_->Resolve(created->token()).status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace infrashare
