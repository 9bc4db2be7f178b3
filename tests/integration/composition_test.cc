// How the server composes its modules (--services): every combination starts, serves what it
// names and nothing else, and holds one registry read model fed by one follower, whatever it
// serves. A desk without the scheduler still suggests free slots, read from the shared read model
// and the booking calendar. Real Redis (cluster mode when INFRASHARE_TEST_REDIS_CLUSTER=1), real
// servers on loopback, one at a time (the counts are per process).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// The value of an unlabelled metric as the server renders it; -1 when absent.
double Gauge(const InfrashareServer& server, const std::string& name) {
  std::istringstream lines(server.metrics().Render());
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return -1;
}

// The health status of one service: SERVING, or NOT_FOUND when the process does not serve it.
std::string Health(const TestServer& server, const std::string& service) {
  auto health = grpc::health::v1::Health::NewStub(server.channel());
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  auto status = health->Check(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return "NOT_FOUND";
  if (!status.ok()) return status.error_message();
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

const std::map<std::string, std::string>& FullNames() {
  static const std::map<std::string, std::string> kNames = {
      {"registry", "infrashare.registry.v1.RegistryService"},
      {"scheduler", "infrashare.scheduler.v1.SchedulerService"},
      {"desk", "infrashare.desk.v1.DeskService"},
      {"programme", "infrashare.programme.v1.ProgrammeService"}};
  return kNames;
}

class CompositionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { redis_ = new RedisServer(ClusterModeRequested()); }
  static void TearDownTestSuite() { delete redis_; }
  static RedisServer* redis_;
};

RedisServer* CompositionTest::redis_ = nullptr;

TEST_F(CompositionTest, EveryCombinationServesWhatItNamesOverOneReadModelAndOneFollower) {
  const std::vector<std::set<std::string>> combinations = {
      {"registry"},         {"scheduler"},         {"desk"},
      {"registry", "desk"}, {"scheduler", "desk"}, {"registry", "scheduler"},
      {"programme"},        KnownServices()};
  for (const auto& services : combinations) {
    SCOPED_TRACE("--services=" + absl::StrJoin(services, ","));
    TestServer server(redis_->url(), TestServer::DefaultConfig(), services);
    server.WaitUntilServing();
    EXPECT_EQ(Gauge(server.server(), "infrashare_registry_followers"), 1);
    EXPECT_EQ(Gauge(server.server(), "infrashare_registry_search_indexes"), 1);
    for (const auto& [name, full] : FullNames())
      EXPECT_EQ(Health(server, full), services.count(name) ? "SERVING" : "NOT_FOUND") << name;
  }
}

TEST_F(CompositionTest, ModulesInOneProcessReadTheSameRegistryFacts) {
  TestServer server(redis_->url());
  server.WaitUntilServing();
  auto registry = server.Registry();
  reg::CreateOrganizationRequest org;
  org.set_organization_id("shared-owner");
  org.mutable_organization()->set_display_name("Shared owner");
  org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
  reg::Organization created_org;
  ASSERT_TRUE(
      registry->CreateOrganization(TestServer::Context(kAdminToken).get(), org, &created_org).ok());
  reg::CreateResourceRequest create;
  auto* r = create.mutable_resource();
  r->set_display_name("Shared Welding Lab");
  r->set_kind(reg::RESOURCE_KIND_LAB);
  r->set_owner_organization_id("shared-owner");
  r->mutable_location()->mutable_point()->set_latitude(52.1);
  r->mutable_location()->mutable_point()->set_longitude(5.1);
  r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
  r->set_capacity(1);
  r->set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  reg::Resource resource;
  auto made = registry->CreateResource(TestServer::Context(kAdminToken).get(), create, &resource);
  ASSERT_TRUE(made.ok()) << made.error_message();

  // The registry's search and the scheduler's free-slot search see it at once: the registry
  // applied its write to the read model they share, before the change log brought it back.
  reg::SearchResourcesRequest search;
  search.set_text_prefix("welding");
  reg::SearchResourcesResponse hits;
  ASSERT_TRUE(
      registry->SearchResources(TestServer::Context(kAdminToken).get(), search, &hits).ok());
  ASSERT_EQ(hits.hits_size(), 1);
  EXPECT_EQ(hits.hits(0).resource().id(), resource.id());

  const std::string owner = server.Token("shared-owner", {auth::v1::ROLE_MEMBER});
  scheduler::v1::FindSlotsRequest find;
  find.mutable_search()->set_text_prefix("welding");
  find.set_duration_minutes(60);
  *find.mutable_start_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  find.mutable_end_time()->set_seconds(find.start_time().seconds() + 7 * 86400);
  scheduler::v1::FindSlotsResponse slots;
  auto found = server.Scheduler()->FindSlots(TestServer::Context(owner).get(), find, &slots);
  ASSERT_TRUE(found.ok()) << found.error_message();
  ASSERT_GT(slots.slots_size(), 0);
  EXPECT_EQ(slots.slots(0).resource_id(), resource.id());
  EXPECT_EQ(Gauge(server.server(), "infrashare_registry_read_model_resources"), 1);
}

TEST_F(CompositionTest, ADeskAloneSuggestsFreeSlotsAroundBookingsMadeElsewhere) {
  std::string resource_id, bakery_admin;
  google::protobuf::Timestamp booked_until;
  {
    // Another process (the registry and the scheduler) writes the network, the lab and a booking.
    TestServer writer(redis_->url(), TestServer::DefaultConfig(), {"registry", "scheduler"});
    writer.WaitUntilServing();
    auto registry = writer.Registry();
    for (const char* id : {"alone-bakery", "alone-lab"}) {
      reg::CreateOrganizationRequest org;
      org.set_organization_id(id);
      org.mutable_organization()->set_display_name(id);
      org.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
      reg::Organization created;
      ASSERT_TRUE(
          registry->CreateOrganization(TestServer::Context(kAdminToken).get(), org, &created).ok());
    }
    reg::CreateNetworkRequest network;
    network.set_network_id("alone-net");
    network.mutable_network()->set_display_name("alone-net");
    network.mutable_network()->add_member_organization_ids("alone-bakery");
    network.mutable_network()->add_member_organization_ids("alone-lab");
    reg::Network created_network;
    ASSERT_TRUE(
        registry->CreateNetwork(TestServer::Context(kAdminToken).get(), network, &created_network)
            .ok());
    reg::CreateResourceRequest create;
    auto* lab = create.mutable_resource();
    lab->set_display_name("Bread Lab");
    lab->set_kind(reg::RESOURCE_KIND_LAB);
    lab->set_owner_organization_id("alone-lab");
    lab->mutable_location()->mutable_point()->set_latitude(52.5);
    lab->mutable_location()->mutable_point()->set_longitude(6.1);
    lab->add_shared_with_network_ids("alone-net");
    lab->add_themes(reg::THEME_FOOD);
    lab->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    lab->set_capacity(1);
    lab->set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
    lab->set_sme_accessible(true);
    lab->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    reg::Resource resource;
    auto made = registry->CreateResource(TestServer::Context(kAdminToken).get(), create, &resource);
    ASSERT_TRUE(made.ok()) << made.error_message();
    resource_id = resource.id();
    bakery_admin = writer.Token("alone-bakery", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    // The lab's owner books it for the next two days, starting on a whole minute from now.
    const std::string lab_admin = writer.Token("alone-lab", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    scheduler::v1::CreateBookingRequest book;
    book.set_resource_id(resource_id);
    const int64_t start =
        (google::protobuf::util::TimeUtil::GetCurrentTime().seconds() / 60 + 2) * 60;
    book.mutable_start_time()->set_seconds(start);
    book.mutable_end_time()->set_seconds(start + 2 * 86400);
    book.set_title("Two days of baking");
    scheduler::v1::Booking booking;
    auto booked =
        writer.Scheduler()->CreateBooking(TestServer::Context(lab_admin).get(), book, &booking);
    ASSERT_TRUE(booked.ok()) << booked.error_message();
    booked_until = booking.end_time();
  }

  TestServer desk(redis_->url(), TestServer::DefaultConfig(), {"desk"});
  desk.WaitUntilServing();
  EXPECT_EQ(Gauge(desk.server(), "infrashare_registry_followers"), 1);
  desk::v1::SubmitInquiryRequest question;
  question.set_need_type(desk::v1::NEED_TYPE_FACILITY_ACCESS);
  question.add_themes(reg::THEME_FOOD);
  question.set_text("Can we use a lab to test a new bread recipe?");
  question.set_asker_is_sme(true);
  question.mutable_contact()->set_name("Jan de Bakker");
  question.mutable_contact()->set_email("jan@bakkerij.example");
  desk::v1::Inquiry inquiry;
  auto submitted =
      desk.Desk()->SubmitInquiry(TestServer::Context(bakery_admin).get(), question, &inquiry);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  ASSERT_EQ(inquiry.suggestions_size(), 1);
  EXPECT_EQ(inquiry.suggestions(0).resource_id(), resource_id);
  // The earliest free slot is after the booking: the desk read the booking calendar.
  EXPECT_GE(inquiry.suggestions(0).earliest_start_time().seconds(), booked_until.seconds());

  // The desk process books nothing: it has no scheduler service.
  scheduler::v1::CreateBookingRequest book;
  book.set_resource_id(resource_id);
  scheduler::v1::Booking booking;
  EXPECT_EQ(desk.Scheduler()
                ->CreateBooking(TestServer::Context(bakery_admin).get(), book, &booking)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace infrashare::testing
