// What operators read at /metrics (docs/metrics.md), scraped over HTTP as Prometheus does: failed
// calls by method, status and reason; the build; the business gauges each process reads from Redis
// for the services it runs. A real Redis (cluster mode when INFRASHARE_TEST_REDIS_CLUSTER=1), the
// real server on loopback, real stubs; and the binaries' --version.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "services/common/build_info.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace dsk = desk::v1;
using namespace scheduler::v1;

// The /metrics page of a server; empty when it cannot be read.
std::string Scrape(TestServer& server) {
  httplib::Client client("127.0.0.1", server.server().metrics_port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto response = client.Get("/metrics");
  if (!response || response->status != 200) return "";
  EXPECT_EQ(response->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  return response->body;
}

// The value of one series (its name and labels as rendered) on a page; nullopt when absent.
std::optional<std::string> Sample(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  return std::nullopt;
}

// A counter's value, 0 while the series is absent.
double Count(TestServer& server, const std::string& series) {
  const auto value = Sample(Scrape(server), series);
  return value ? std::stod(*value) : 0;
}

// Scrapes until `series` shows `expected` (up to 15 s); returns what it showed last ("absent"
// when it never appeared).
std::string AwaitSample(TestServer& server, const std::string& series,
                        const std::string& expected) {
  std::string last = "absent";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    last = Sample(Scrape(server), series).value_or("absent");
    if (last == expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

std::string ErrorSeries(const std::string& method, const std::string& code,
                        const std::string& reason) {
  return "infrashare_rpc_errors_total{method=\"" + method + "\",code=\"" + code + "\",reason=\"" +
         reason + "\"}";
}

// Midnight UTC of a day at least two weeks ahead: every booking here lies after it.
google::protobuf::Timestamp At(int hours) {
  using namespace std::chrono;
  static const int64_t base =
      duration_cast<seconds>((floor<days>(system_clock::now()) + days(14)).time_since_epoch())
          .count();
  google::protobuf::Timestamp t;
  t.set_seconds(base + hours * 3600);
  return t;
}

class MetricsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    Config config = TestServer::DefaultConfig();
    config.metrics.business_interval_s = 1;
    config.metrics.holds_lapsing_within_s = 3600;
    config.scheduler.hold_ttl_s = 600;  // a hold lapses in ten minutes: within the hour above
    server_ = new TestServer(redis_->url(), config);
    registry_ = server_->Registry().release();
    scheduler_ = server_->Scheduler().release();
    desk_ = server_->Desk().release();
    for (const char* org : {"owner", "booker", "bakery", "answers"}) CreateOrg(org);
    reg::CreateNetworkRequest network;
    network.set_network_id("metrics-net");
    network.mutable_network()->set_display_name("Metrics network");
    for (const char* member : {"owner", "booker", "bakery", "answers"})
      network.mutable_network()->add_member_organization_ids(member);
    reg::Network created;
    ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), network, &created).ok());
    owner_ = server_->Token("owner", {auth::v1::ROLE_MEMBER});
    booker_ = server_->Token("booker", {auth::v1::ROLE_MEMBER});
  }
  static void TearDownTestSuite() {
    delete desk_;
    delete scheduler_;
    delete registry_;
    delete server_;
    delete redis_;
  }

  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }

  static void CreateOrg(const std::string& id) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(id);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    reg::Organization created;
    auto status = registry_->CreateOrganization(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // An exclusive lab of "owner", open to the network's members.
  static std::string Lab(const std::string& name,
                         const std::function<void(reg::Resource*)>& shape = nullptr) {
    reg::CreateResourceRequest request;
    reg::Resource* r = request.mutable_resource();
    r->set_display_name(name);
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("owner");
    r->add_shared_with_network_ids("metrics-net");
    r->mutable_location()->mutable_point()->set_latitude(52.2);
    r->mutable_location()->mutable_point()->set_longitude(6.9);
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_capacity(1);
    r->set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    if (shape) shape(r);
    reg::Resource created;
    auto status = registry_->CreateResource(Admin().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.id();
  }

  static grpc::Status Book(const std::string& token, const std::string& lab, int from_h, int to_h,
                           Booking* out, bool hold = false) {
    CreateBookingRequest request;
    request.set_resource_id(lab);
    *request.mutable_start_time() = At(from_h);
    *request.mutable_end_time() = At(to_h);
    request.set_quantity(1);
    request.set_hold(hold);
    request.set_title("Practical");
    return scheduler_->CreateBooking(As(token).get(), request, out);
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static reg::RegistryService::Stub* registry_;
  static SchedulerService::Stub* scheduler_;
  static dsk::DeskService::Stub* desk_;
  static std::string owner_, booker_;
};

RedisServer* MetricsTest::redis_ = nullptr;
TestServer* MetricsTest::server_ = nullptr;
reg::RegistryService::Stub* MetricsTest::registry_ = nullptr;
SchedulerService::Stub* MetricsTest::scheduler_ = nullptr;
dsk::DeskService::Stub* MetricsTest::desk_ = nullptr;
std::string MetricsTest::owner_, MetricsTest::booker_;

TEST_F(MetricsTest, FailedCallsAreCountedOnceByMethodCodeAndReason) {
  const std::string book = "scheduler.CreateBooking";
  const std::string slot_taken = ErrorSeries(book, "FAILED_PRECONDITION", "SLOT_TAKEN");
  const std::string lead_time = ErrorSeries(book, "FAILED_PRECONDITION", "LEAD_TIME");
  const std::string no_token = ErrorSeries(book, "UNAUTHENTICATED", "TOKEN_MISSING");
  const std::string bad_cursor =
      ErrorSeries("scheduler.WatchBookings", "INVALID_ARGUMENT", "INVALID_FIELD");
  const std::string refused =
      "infrashare_rpc_total{method=\"" + book + "\",code=\"FAILED_PRECONDITION\"}";
  const double slot_taken_before = Count(*server_, slot_taken);
  const double lead_time_before = Count(*server_, lead_time);
  const double no_token_before = Count(*server_, no_token);
  const double bad_cursor_before = Count(*server_, bad_cursor);
  const double refused_before = Count(*server_, refused);

  const std::string lab = Lab("Errors lab");
  Booking b;
  ASSERT_TRUE(Book(booker_, lab, 9, 11, &b).ok());
  for (int i = 0; i < 2; ++i) {
    auto taken = Book(booker_, lab, 10, 12, &b);
    ASSERT_EQ(Reason(taken), "SLOT_TAKEN") << taken.error_message();
  }
  const std::string far_ahead = Lab("Lead time lab", [](reg::Resource* r) {
    r->mutable_booking_rules()->set_lead_time_minutes(60 * 24 * 60);  // two months ahead
  });
  auto early = Book(booker_, far_ahead, 9, 10, &b);
  ASSERT_EQ(Reason(early), "LEAD_TIME") << early.error_message();
  CreateBookingRequest anonymous;
  grpc::ClientContext no_credentials;
  ASSERT_EQ(scheduler_->CreateBooking(&no_credentials, anonymous, &b).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A stream refused after admission ends as a call too.
  WatchBookingsRequest watch;
  watch.set_cursor("not-a-cursor");
  auto watching = As(booker_);  // outlives the stream
  auto stream = scheduler_->WatchBookings(watching.get(), watch);
  BookingEvent event;
  while (stream->Read(&event)) {
  }
  ASSERT_EQ(stream->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  const std::string page = Scrape(*server_);
  EXPECT_EQ(std::stod(Sample(page, slot_taken).value_or("0")), slot_taken_before + 2) << page;
  EXPECT_EQ(std::stod(Sample(page, lead_time).value_or("0")), lead_time_before + 1) << page;
  EXPECT_EQ(std::stod(Sample(page, no_token).value_or("0")), no_token_before + 1) << page;
  EXPECT_EQ(std::stod(Sample(page, bad_cursor).value_or("0")), bad_cursor_before + 1) << page;
  // Each refused call once: as many FAILED_PRECONDITION calls as errors with their reasons.
  EXPECT_EQ(std::stod(Sample(page, refused).value_or("0")), refused_before + 3) << page;
  EXPECT_NE(page.find("# TYPE infrashare_rpc_errors_total counter\n"), std::string::npos);
  // Successful calls are no errors.
  EXPECT_EQ(page.find("infrashare_rpc_errors_total{method=\"" + book + "\",code=\"OK\""),
            std::string::npos);
}

TEST_F(MetricsTest, TheBuildIsDescribedByVersionCommitAndBuildType) {
  const BuildInfo& build = BuildInfoOfThisBinary();
  EXPECT_TRUE(std::regex_match(std::string(build.version), std::regex(R"(\d+\.\d+\.\d+)")))
      << build.version;
  EXPECT_TRUE(std::regex_match(std::string(build.commit), std::regex("[0-9a-f]{7,40}|unknown")))
      << build.commit;
  EXPECT_FALSE(build.build_type.empty());
  const std::string series = "infrashare_build_info{version=\"" + std::string(build.version) +
                             "\",commit=\"" + std::string(build.commit) + "\",build_type=\"" +
                             std::string(build.build_type) + "\"}";
  const std::string page = Scrape(*server_);
  EXPECT_EQ(Sample(page, series), "1") << page;
  EXPECT_NE(page.find("# TYPE infrashare_build_info gauge\n"), std::string::npos);
}

// The gauges follow the data: a booking waiting for approval, a hold lapsing within the hour and
// an inquiry queued behind a responder at capacity; a process running the scheduler alone (with a
// shorter lapsing window) reports the scheduler's gauges only.
TEST_F(MetricsTest, BusinessGaugesFollowTheDataOfTheServicesTheProcessRuns) {
  const std::string pending = "infrashare_bookings_pending_approval";
  const std::string lapsing = "infrashare_booking_holds_lapsing";
  const std::string queued = "infrashare_desk_inquiries_queued";
  EXPECT_EQ(AwaitSample(*server_, pending, "0"), "0");
  EXPECT_EQ(AwaitSample(*server_, lapsing, "0"), "0");
  EXPECT_EQ(AwaitSample(*server_, queued, "0"), "0");

  const std::string approval_lab =
      Lab("Approval lab", [](reg::Resource* r) { r->set_approval_required(true); });
  Booking request, hold, confirmed;
  ASSERT_TRUE(Book(booker_, approval_lab, 9, 10, &request).ok());
  ASSERT_EQ(request.state(), BOOKING_STATE_PENDING_APPROVAL);
  const std::string lab = Lab("Hold lab");
  ASSERT_TRUE(Book(booker_, lab, 9, 10, &hold, /*hold=*/true).ok());
  ASSERT_EQ(hold.state(), BOOKING_STATE_HELD);
  ASSERT_TRUE(Book(booker_, lab, 11, 12, &confirmed).ok());  // counted by neither
  ASSERT_EQ(confirmed.state(), BOOKING_STATE_CONFIRMED);

  // One responder with room for one inquiry: the second waits in the queue.
  auto responder_token = server_->TokenWithInfo("answers", {auth::v1::ROLE_DESK_RESPONDER});
  const std::string answers_admin = server_->Token("answers", {auth::v1::ROLE_ORGANIZATION_ADMIN});
  dsk::CreateResponderRequest responder;
  responder.mutable_responder()->set_organization_id("answers");
  responder.mutable_responder()->set_display_name("answers desk");
  responder.mutable_responder()->set_token_id(responder_token.info().id());
  responder.mutable_responder()->add_skills(dsk::NEED_TYPE_INNOVATION);
  responder.mutable_responder()->set_capacity(1);
  responder.mutable_responder()->set_online(true);
  dsk::Responder created;
  ASSERT_TRUE(desk_->CreateResponder(As(answers_admin).get(), responder, &created).ok());
  const std::string bakery_admin = server_->Token("bakery", {auth::v1::ROLE_ORGANIZATION_ADMIN});
  std::vector<std::string> inquiries;
  for (const char* text : {"first question", "second question"}) {
    dsk::SubmitInquiryRequest question;
    question.set_network_id("metrics-net");
    question.set_need_type(dsk::NEED_TYPE_INNOVATION);
    question.set_text(text);
    question.set_asker_is_sme(true);
    dsk::Inquiry inquiry;
    ASSERT_TRUE(desk_->SubmitInquiry(As(bakery_admin).get(), question, &inquiry).ok());
    inquiries.push_back(inquiry.id());
  }

  EXPECT_EQ(AwaitSample(*server_, pending, "1"), "1");
  EXPECT_EQ(AwaitSample(*server_, lapsing, "1"), "1");
  EXPECT_EQ(AwaitSample(*server_, queued, "1"), "1");

  {
    Config config = TestServer::DefaultConfig();
    config.metrics.business_interval_s = 1;
    config.metrics.holds_lapsing_within_s = 60;  // the hold lapses in ten minutes: not yet
    TestServer scheduler_only(redis_->url(), config, {"scheduler"});
    EXPECT_EQ(AwaitSample(scheduler_only, pending, "1"), "1");
    EXPECT_EQ(AwaitSample(scheduler_only, lapsing, "0"), "0");
    const std::string page = Scrape(scheduler_only);
    EXPECT_EQ(page.find(queued), std::string::npos) << page;
  }

  // Approved, submitted (no approval needed there), answered: nothing waits any more.
  ApproveBookingRequest approve;
  approve.set_id(request.id());
  Booking out;
  ASSERT_TRUE(scheduler_->ApproveBooking(As(owner_).get(), approve, &out).ok());
  SubmitBookingRequest submit;
  submit.set_id(hold.id());
  ASSERT_TRUE(scheduler_->SubmitBooking(As(booker_).get(), submit, &out).ok());
  ASSERT_EQ(out.state(), BOOKING_STATE_CONFIRMED);
  std::string offered;  // the inquiry the responder holds; the other one is queued
  for (const auto& id : inquiries) {
    dsk::GetInquiryRequest get;
    get.set_id(id);
    dsk::Inquiry inquiry;
    ASSERT_TRUE(desk_->GetInquiry(Admin().get(), get, &inquiry).ok());
    if (inquiry.state() == dsk::INQUIRY_STATE_OFFERED) offered = id;
  }
  ASSERT_FALSE(offered.empty());
  dsk::AcceptInquiryRequest accept;
  accept.set_id(offered);
  accept.set_responder_id(created.id());
  dsk::Inquiry answered;
  ASSERT_TRUE(desk_->AcceptInquiry(As(responder_token.token()).get(), accept, &answered).ok());
  dsk::ResolveInquiryRequest resolve;
  resolve.set_id(offered);
  resolve.set_responder_id(created.id());
  resolve.set_outcome(dsk::OUTCOME_ANSWERED);
  resolve.set_note("answered by phone");
  ASSERT_TRUE(desk_->ResolveInquiry(As(responder_token.token()).get(), resolve, &answered).ok());
  EXPECT_EQ(AwaitSample(*server_, pending, "0"), "0");
  EXPECT_EQ(AwaitSample(*server_, lapsing, "0"), "0");
  EXPECT_EQ(AwaitSample(*server_, queued, "0"), "0");  // offered the moment capacity freed
}

// What a command prints, as an operator runs it, and its exit code.
std::string Output(const std::string& command, int* exit_code) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buffer[256];
  while (pipe != nullptr && fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  const int status = pipe != nullptr ? pclose(pipe) : -1;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(Version, TheServerAndTheCliPrintTheirVersionAndCommit) {
  int exit_code = -1;
  EXPECT_EQ(Output(std::string(INFRASHARE_SERVER_BIN) + " --version", &exit_code),
            VersionLine("infrashare-server") + "\n");
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(Output(std::string(INFRASHARE_CLI_BIN) + " --version", &exit_code),
            VersionLine("infrashare") + "\n");
  EXPECT_EQ(exit_code, 0);
  const BuildInfo& build = BuildInfoOfThisBinary();
  EXPECT_NE(VersionLine("infrashare").find(std::string(build.version)), std::string::npos);
  EXPECT_NE(VersionLine("infrashare").find("commit " + std::string(build.commit)),
            std::string::npos);
}

}  // namespace
}  // namespace infrashare::testing
