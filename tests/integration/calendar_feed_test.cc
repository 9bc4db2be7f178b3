// Calendar feeds people subscribe to (issue #18): made over gRPC, read with a plain HTTP GET and no
// token from the listener, parsed with libical. A real Redis (cluster mode when
// INFRASHARE_TEST_REDIS_CLUSTER=1), the real server, a real HTTP client.
#include <gtest/gtest.h>
#include <httplib.h>
#include <libical/ical.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
using namespace scheduler::v1;
using google::protobuf::Timestamp;

// Midnight UTC three weeks ahead plus `hours`: inside a feed's window, which starts 30 days back.
Timestamp Ahead(double hours) {
  using namespace std::chrono;
  static const int64_t base =
      duration_cast<seconds>((floor<days>(system_clock::now()) + days(21)).time_since_epoch())
          .count();
  Timestamp t;
  t.set_seconds(base + static_cast<int64_t>(hours * 3600));
  return t;
}

// One VEVENT as a subscriber's calendar reads it.
struct Event {
  std::string summary, location, description, url;
  int64_t start = 0;
};

// A calendar parsed back with libical: its names and its events by UID.
struct Calendar {
  bool parsed = false;
  std::string name, x_wr_calname;
  std::map<std::string, Event> events;
};

Calendar Parse(const std::string& text) {
  Calendar out;
  icalcomponent* calendar = icalparser_parse_string(text.c_str());
  if (calendar == nullptr) return out;
  out.parsed = icalcomponent_isa(calendar) == ICAL_VCALENDAR_COMPONENT;
  if (icalproperty* name = icalcomponent_get_first_property(calendar, ICAL_NAME_PROPERTY))
    out.name = icalproperty_get_name(name);
  for (icalproperty* x = icalcomponent_get_first_property(calendar, ICAL_X_PROPERTY); x != nullptr;
       x = icalcomponent_get_next_property(calendar, ICAL_X_PROPERTY))
    if (std::string(icalproperty_get_x_name(x)) == "X-WR-CALNAME")
      out.x_wr_calname = icalproperty_get_x(x);
  for (icalcomponent* e = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
       e != nullptr; e = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
    Event event;
    event.summary = icalcomponent_get_summary(e) ? icalcomponent_get_summary(e) : "";
    event.location = icalcomponent_get_location(e) ? icalcomponent_get_location(e) : "";
    event.description = icalcomponent_get_description(e) ? icalcomponent_get_description(e) : "";
    if (icalproperty* url = icalcomponent_get_first_property(e, ICAL_URL_PROPERTY))
      event.url = icalproperty_get_url(url);
    event.start = icaltime_as_timet(icalcomponent_get_dtstart(e));
    out.events[icalcomponent_get_uid(e)] = event;
  }
  icalcomponent_free(calendar);
  return out;
}

class CalendarFeedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    // The listener serves pages (an empty folder is enough): calendars link to the map's cards.
    char pages[] = "/tmp/infrashare-pages-XXXXXX";
    ASSERT_NE(mkdtemp(pages), nullptr);
    pages_ = pages;
    Config config = TestServer::DefaultConfig();
    config.http.listen = "127.0.0.1:0";
    config.http.static_dir = pages_;
    config.http.burst = 100000;
    server_ = new TestServer(redis_->url(), config);
    registry_ = server_->Registry().release();
    scheduler_ = server_->Scheduler().release();
    CreateOrg("lab-owner", "Techniek Lab B.V.");
    CreateOrg("school", "ROC Zwolle");
    CreateOrg("outsider", "Elders B.V.");
    reg::CreateNetworkRequest network;
    network.set_network_id("zwolle");
    network.mutable_network()->set_display_name("Techniek Zwolle");
    for (const char* member : {"lab-owner", "school"})
      network.mutable_network()->add_member_organization_ids(member);
    reg::Network created;
    ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), network, &created).ok());
    owner_ = server_->Token("lab-owner", {auth::v1::ROLE_MEMBER});
    school_ = server_->Token("school", {auth::v1::ROLE_MEMBER});
    school_reader_ = server_->Token("school", {auth::v1::ROLE_READ_ONLY_INTEGRATOR});
    outsider_ = server_->Token("outsider", {auth::v1::ROLE_ORGANIZATION_ADMIN});

    reg::Resource listed = Lab("CNC-lab Zwolle");
    listed.mutable_location()->mutable_address()->set_street("Stationsweg 1");
    listed.mutable_location()->mutable_address()->set_postal_code("8011 AB");
    listed.mutable_location()->mutable_address()->set_city("Zwolle");
    listed.mutable_publication()->set_listed(true);
    listed_lab_ = Register(listed);
    reg::Resource unlisted = Lab("Lasrobotcel");
    unlisted.set_url("https://lab-owner.example/lasrobot");
    unlisted_lab_ = Register(unlisted);

    school_at_listed_ = Book(school_, listed_lab_, 9, 12, "Praktijkles CNC");
    school_at_unlisted_ = Book(school_, unlisted_lab_, 13, 15, "Lassen");
    owners_own_ = Book(owner_, listed_lab_, 14, 16, "Onderhoud");
    const std::string cancelled = Book(school_, listed_lab_, 17, 18, "Vervallen");
    CancelBookingRequest cancel;
    cancel.set_id(cancelled);
    cancel.set_reason("plans changed");
    Booking out;
    ASSERT_TRUE(scheduler_->CancelBooking(As(school_).get(), cancel, &out).ok());
    cancelled_ = cancelled;
  }
  static void TearDownTestSuite() {
    delete scheduler_;
    delete registry_;
    delete server_;
    delete redis_;
    std::filesystem::remove_all(pages_);
  }

  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }

  static void CreateOrg(const std::string& id, const std::string& name) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(name);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    reg::Organization created;
    auto status = registry_->CreateOrganization(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static reg::Resource Lab(const std::string& name) {
    reg::Resource r;
    r.set_display_name(name);
    r.set_kind(reg::RESOURCE_KIND_LAB);
    r.set_owner_organization_id("lab-owner");
    r.add_shared_with_network_ids("zwolle");
    r.mutable_location()->mutable_point()->set_latitude(52.5);
    r.mutable_location()->mutable_point()->set_longitude(6.1);
    r.set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r.set_capacity(1);
    r.set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
    r.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    return r;
  }

  static std::string Register(const reg::Resource& resource) {
    reg::CreateResourceRequest request;
    *request.mutable_resource() = resource;
    reg::Resource created;
    auto status = registry_->CreateResource(Admin().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.id();
  }

  static std::string Book(const std::string& token, const std::string& resource, double from_h,
                          double to_h, const std::string& title) {
    CreateBookingRequest request;
    request.set_resource_id(resource);
    *request.mutable_start_time() = Ahead(from_h);
    *request.mutable_end_time() = Ahead(to_h);
    request.set_title(title);
    Booking out;
    auto status = scheduler_->CreateBooking(As(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.id();
  }

  static grpc::Status CreateFeed(const std::string& token, const std::string& organization,
                                 const std::string& resource, CalendarFeed* out,
                                 const std::string& request_id = "") {
    CreateCalendarFeedRequest request;
    request.set_organization_id(organization);
    request.set_resource_id(resource);
    request.set_description("Agenda van het lab");
    request.set_request_id(request_id);
    return scheduler_->CreateCalendarFeed(As(token).get(), request, out);
  }

  // A plain GET of `url` (absolute, on this server's listener): no Authorization header.
  static httplib::Result Get(const std::string& url, const httplib::Headers& headers = {}) {
    const std::string base = "http://127.0.0.1:" + std::to_string(server_->server().http_port());
    EXPECT_TRUE(absl::StartsWith(url, base + "/")) << url;
    httplib::Client client("127.0.0.1", server_->server().http_port());
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    return client.Get(url.substr(base.size()).c_str(), headers);
  }

  static std::string Base() {
    return "http://127.0.0.1:" + std::to_string(server_->server().http_port());
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static std::string pages_;
  static reg::RegistryService::Stub* registry_;
  static SchedulerService::Stub* scheduler_;
  static std::string owner_, school_, school_reader_, outsider_;
  static std::string listed_lab_, unlisted_lab_;
  static std::string school_at_listed_, school_at_unlisted_, owners_own_, cancelled_;
};

RedisServer* CalendarFeedTest::redis_ = nullptr;
TestServer* CalendarFeedTest::server_ = nullptr;
std::string CalendarFeedTest::pages_;
reg::RegistryService::Stub* CalendarFeedTest::registry_ = nullptr;
SchedulerService::Stub* CalendarFeedTest::scheduler_ = nullptr;
std::string CalendarFeedTest::owner_, CalendarFeedTest::school_, CalendarFeedTest::school_reader_,
    CalendarFeedTest::outsider_;
std::string CalendarFeedTest::listed_lab_, CalendarFeedTest::unlisted_lab_;
std::string CalendarFeedTest::school_at_listed_, CalendarFeedTest::school_at_unlisted_,
    CalendarFeedTest::owners_own_, CalendarFeedTest::cancelled_;

TEST_F(CalendarFeedTest, AnOrganisationsFeedServesItsBookingsToAPlainGet) {
  CalendarFeed feed;
  auto status = CreateFeed(school_, "school", "", &feed, "feed-school-1");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(feed.secret(), "isc_")) << feed.secret();
  EXPECT_EQ(feed.url(), Base() + "/calendar/" + feed.secret() + ".ics");
  EXPECT_EQ(feed.organization_id(), "school");

  auto reply = Get(feed.url());
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(reply->get_header_value("Content-Type"), "text/calendar; charset=utf-8");
  EXPECT_TRUE(absl::StartsWith(reply->get_header_value("Cache-Control"), "private"));
  EXPECT_FALSE(reply->has_header("Access-Control-Allow-Origin"));
  const Calendar calendar = Parse(reply->body);
  ASSERT_TRUE(calendar.parsed) << reply->body;
  EXPECT_EQ(calendar.x_wr_calname, "ROC Zwolle");
  EXPECT_EQ(calendar.name, "ROC Zwolle");
  // The school's two bookings; not the cancelled one, not the owner's own.
  ASSERT_EQ(calendar.events.size(), 2u) << reply->body;
  const Event& cnc = calendar.events.at(school_at_listed_ + "@infrashare");
  EXPECT_EQ(cnc.summary, "Praktijkles CNC");
  EXPECT_EQ(cnc.location, "CNC-lab Zwolle, Stationsweg 1, 8011 AB Zwolle");
  EXPECT_TRUE(absl::StrContains(cnc.description, "CNC-lab Zwolle")) << cnc.description;
  EXPECT_EQ(cnc.start, Ahead(9).seconds());
  // A listed resource links to its card on the map; an unlisted one to its own page.
  EXPECT_EQ(cnc.url, Base() + "/map#resource=" + listed_lab_);
  const Event& lassen = calendar.events.at(school_at_unlisted_ + "@infrashare");
  EXPECT_EQ(lassen.location, "Lasrobotcel");
  EXPECT_EQ(lassen.url, "https://lab-owner.example/lasrobot");

  // A calendar program polling again with the tag it has gets 304.
  const std::string etag = reply->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = Get(feed.url(), {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);

  // A retry of the create gets the same secret; the list shows the feed without it.
  CalendarFeed retried;
  ASSERT_TRUE(CreateFeed(school_, "school", "", &retried, "feed-school-1").ok());
  EXPECT_EQ(retried.secret(), feed.secret());
  EXPECT_EQ(retried.id(), feed.id());
  ListCalendarFeedsResponse listed;
  ASSERT_TRUE(
      scheduler_->ListCalendarFeeds(As(school_).get(), ListCalendarFeedsRequest(), &listed).ok());
  const CalendarFeed* mine = nullptr;
  for (const auto& f : listed.feeds())
    if (f.id() == feed.id()) mine = &f;
  ASSERT_NE(mine, nullptr) << listed.DebugString();
  EXPECT_EQ(mine->organization_id(), "school");
  EXPECT_EQ(mine->description(), "Agenda van het lab");
  EXPECT_TRUE(mine->secret().empty());
  EXPECT_TRUE(mine->url().empty());
  EXPECT_FALSE(absl::StrContains(listed.SerializeAsString(), feed.secret()));
}

TEST_F(CalendarFeedTest, AResourcesFeedShowsItsOwnerEveryBookingAndWhoMadeIt) {
  CalendarFeed feed;
  auto status = CreateFeed(owner_, "", listed_lab_, &feed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto reply = Get(feed.url());
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  const Calendar calendar = Parse(reply->body);
  EXPECT_EQ(calendar.x_wr_calname, "CNC-lab Zwolle");
  EXPECT_EQ(calendar.name, "CNC-lab Zwolle");
  ASSERT_EQ(calendar.events.size(), 2u) << reply->body;
  const Event& school = calendar.events.at(school_at_listed_ + "@infrashare");
  EXPECT_EQ(school.summary, "Praktijkles CNC");
  EXPECT_TRUE(absl::StrContains(school.description, "Booked by: ROC Zwolle (school)"))
      << school.description;
  EXPECT_EQ(calendar.events.at(owners_own_ + "@infrashare").summary, "Onderhoud");
  EXPECT_EQ(calendar.events.count(cancelled_ + "@infrashare"), 0u);
  // The owner lists it among its organisation's feeds.
  ListCalendarFeedsResponse listed;
  ASSERT_TRUE(
      scheduler_->ListCalendarFeeds(As(owner_).get(), ListCalendarFeedsRequest(), &listed).ok());
  ASSERT_GE(listed.feeds_size(), 1);
  EXPECT_EQ(listed.feeds(listed.feeds_size() - 1).resource_id(), listed_lab_);
}

TEST_F(CalendarFeedTest, ARevokedAddressAnswers404AsAnAddressThatNeverExisted) {
  CalendarFeed feed;
  ASSERT_TRUE(CreateFeed(school_, "school", "", &feed).ok());
  auto served = Get(feed.url());
  ASSERT_TRUE(served);
  ASSERT_EQ(served->status, 200);

  RevokeCalendarFeedRequest revoke;
  revoke.set_id(feed.id());
  revoke.set_request_id("revoke-1");
  CalendarFeed revoked;
  auto status = scheduler_->RevokeCalendarFeed(As(school_).get(), revoke, &revoked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(revoked.id(), feed.id());
  // A retry gets the same answer; a new request NOT_FOUND.
  CalendarFeed retried;
  ASSERT_TRUE(scheduler_->RevokeCalendarFeed(As(school_).get(), revoke, &retried).ok());
  EXPECT_EQ(retried.id(), feed.id());
  revoke.clear_request_id();
  EXPECT_EQ(scheduler_->RevokeCalendarFeed(As(school_).get(), revoke, &retried).error_code(),
            grpc::StatusCode::NOT_FOUND);

  auto gone = Get(feed.url());
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  std::string never = feed.secret();
  never.back() = never.back() == 'a' ? 'b' : 'a';
  auto unknown = Get(Base() + "/calendar/" + never + ".ics");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(gone->body, unknown->body);
  EXPECT_FALSE(absl::StrContains(gone->body, feed.secret()));
  for (const std::string& path : std::vector<std::string>{
           "/calendar/x.ics", "/calendar/" + feed.secret(), "/calendar/", "/calendar/a/b.ics"}) {
    auto odd = Get(Base() + path);
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->status, 404) << path;
  }
}

TEST_F(CalendarFeedTest, NobodyMakesReadsOrRevokesFeedsOfOthersBookings) {
  CalendarFeed feed;
  // Another organisation, for the school's bookings or for the owner's lab.
  EXPECT_EQ(CreateFeed(outsider_, "school", "", &feed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateFeed(outsider_, "", listed_lab_, &feed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A booker of the lab is not its owner; a read-only integration makes none.
  EXPECT_EQ(CreateFeed(school_, "", listed_lab_, &feed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateFeed(school_reader_, "school", "", &feed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // At most one scope (neither: the caller's organisation), a bounded description.
  EXPECT_EQ(BadField(CreateFeed(school_, "school", listed_lab_, &feed)), "organization_id");
  ASSERT_TRUE(CreateFeed(school_, "", "", &feed).ok());
  EXPECT_EQ(feed.organization_id(), "school");
  CreateCalendarFeedRequest long_description;
  long_description.set_organization_id("school");
  long_description.set_description(std::string(201, 'x'));
  EXPECT_EQ(BadField(scheduler_->CreateCalendarFeed(As(school_).get(), long_description, &feed)),
            "description");
  // 200 characters of Dutch text fit, though they are 400 bytes: the limit counts characters.
  std::string dutch;
  for (int i = 0; i < 200; ++i) dutch += "é";
  long_description.set_description(dutch);
  EXPECT_TRUE(scheduler_->CreateCalendarFeed(As(school_).get(), long_description, &feed).ok());
  long_description.set_description(dutch + "é");
  EXPECT_EQ(BadField(scheduler_->CreateCalendarFeed(As(school_).get(), long_description, &feed)),
            "description");

  ASSERT_TRUE(CreateFeed(school_, "school", "", &feed).ok());
  ListCalendarFeedsRequest theirs;
  theirs.set_organization_id("school");
  ListCalendarFeedsResponse listed;
  EXPECT_EQ(scheduler_->ListCalendarFeeds(As(outsider_).get(), theirs, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(scheduler_->ListCalendarFeeds(As(school_reader_).get(), theirs, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  RevokeCalendarFeedRequest revoke;
  revoke.set_id(feed.id());
  CalendarFeed out;
  EXPECT_EQ(scheduler_->RevokeCalendarFeed(As(outsider_).get(), revoke, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto still = Get(feed.url());
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
  // Platform admins may.
  EXPECT_TRUE(scheduler_->ListCalendarFeeds(Admin().get(), theirs, &listed).ok());
  EXPECT_TRUE(scheduler_->RevokeCalendarFeed(Admin().get(), revoke, &out).ok());
}

TEST_F(CalendarFeedTest, AServerRunningOnlyTheSchedulerServesTheFeedAndOneWithoutItDoesNot) {
  CalendarFeed feed;
  ASSERT_TRUE(CreateFeed(school_, "school", "", &feed).ok());
  const std::string path = "/calendar/" + feed.secret() + ".ics";
  auto fetch = [&](const std::set<std::string>& services) {
    Config config = TestServer::DefaultConfig();
    config.http.listen = "127.0.0.1:0";
    TestServer other(redis_->url(), config, services);
    httplib::Client client("127.0.0.1", other.server().http_port());
    client.set_read_timeout(10);
    auto reply = client.Get(path.c_str());
    EXPECT_TRUE(reply);
    return reply ? std::make_pair(reply->status, reply->body) : std::make_pair(0, std::string());
  };
  const auto [scheduler_status, scheduler_body] = fetch({"scheduler"});
  EXPECT_EQ(scheduler_status, 200) << scheduler_body;
  EXPECT_EQ(Parse(scheduler_body).events.size(), 2u) << scheduler_body;
  EXPECT_EQ(fetch({"registry"}).first, 404);
}

}  // namespace
}  // namespace infrashare::testing
