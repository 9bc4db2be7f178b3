// The public open-data listener (http.listen) over a real Redis (cluster mode when
// INFRASHARE_TEST_REDIS_CLUSTER=1), the real server and a real HTTP client: every feed parsed and
// validated, nothing that is not marked public in any feed, ETag round trips, filters, refusals.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/numbers.h"
#include "services/http/feeds.h"
#include "services/http/public_site.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

using namespace registry::v1;
using Json = nlohmann::json;

// Planted in private resources and private fields: no feed may contain it.
constexpr char kSecret[] = "PRIVATE-7f3c";

// An RFC 4180 reader, written apart from the writer: quoted fields with doubled quotes, line
// breaks inside quotes, CRLF row ends.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text, char separator) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == separator) {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (rows.back().empty() && field.empty()) rows.pop_back();
  return rows;
}

class OpenDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    Config config = TestServer::DefaultConfig();
    config.http.listen = "127.0.0.1:0";
    config.http.burst = 100000;  // the rate limit has its own test below
    config.http.license = "https://creativecommons.org/licenses/by/4.0/";
    config.http.publisher = "Regio Zwolle open data";
    server_ = new TestServer(redis_->url(), config);
    registry_ = server_->Registry().release();
    ASSERT_GT(server_->server().http_port(), 0);

    CreateOrganizationRequest org;
    org.set_organization_id("cafe");
    org.mutable_organization()->set_display_name("Café Ñ 's-Hertogenbosch B.V.");
    org.mutable_organization()->set_kind(ORGANIZATION_KIND_COMPANY);
    auto* contact = org.mutable_organization()->add_contacts();
    contact->set_name(std::string("Org contact ") + kSecret);
    contact->set_email("org-contact@cafe.example");
    Organization created_org;
    ASSERT_TRUE(registry_->CreateOrganization(Admin().get(), org, &created_org).ok());
    CreateNetworkRequest network;
    network.set_network_id("zwolle");
    network.mutable_network()->set_display_name("Techniek Zwolle");
    network.mutable_network()->add_member_organization_ids("cafe");
    network.mutable_network()->set_public_impact(true);
    auto* coordinator = network.mutable_network()->add_coordinators();
    coordinator->set_name(std::string("Coordinator ") + kSecret);
    Network created_network;
    ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), network, &created_network).ok());
    member_ = server_->Token("cafe", {auth::v1::ROLE_MEMBER});

    // Listed with every optional part; a name and description CSV must quote.
    Resource lab = Lab("Lab \"Zwolle\", Café; Ñ", 52.5125, 6.0944);
    lab.set_description("Eerste regel\r\nTweede regel, met; scheidingstekens");
    lab.mutable_publication()->set_listed(true);
    lab.mutable_publication()->set_show_terms(true);
    lab.mutable_publication()->set_show_contact_roles(true);
    lab.mutable_publication()->set_show_availability(true);
    lab.mutable_terms()->set_kind(TERMS_KIND_TARIFF);
    lab.mutable_terms()->set_tariff_per_hour_cents(1250);
    lab.mutable_terms()->set_notes("Korting voor mkb");
    public_lab_ = Create("public-lab", lab).id();
    PublishAvailabilityRequest hours;
    hours.set_resource_id(public_lab_);
    auto* rule = hours.add_rules();
    rule->set_rrule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
    rule->set_start_time("08:30");
    rule->set_duration_minutes(480);
    rule->set_valid_from("2027-01-04");
    Availability published;
    auto status = registry_->PublishAvailability(As(member_).get(), hours, &published);
    ASSERT_TRUE(status.ok()) << status.error_message();

    // Listed without its optional parts: its terms, staff and availability stay private.
    Resource equipment = Lab("Waterzuiveringsunit", 52.09, 5.12);
    equipment.set_kind(RESOURCE_KIND_EQUIPMENT);
    equipment.clear_themes();
    equipment.add_themes(THEME_WATER);
    equipment.mutable_location()->mutable_region()->set_province("PV26");
    equipment.mutable_publication()->set_listed(true);
    equipment.mutable_terms()->set_kind(TERMS_KIND_FREE);
    equipment.mutable_terms()->set_notes(std::string("Terms note ") + kSecret);
    equipment.mutable_lifecycle()->set_funding_source(std::string("Fund ") + kSecret);
    listed_equipment_ = Create("listed-equipment", equipment).id();

    // Not listed at all.
    Resource hidden = Lab(std::string("Hidden lab ") + kSecret, 52.3, 4.9);
    hidden.set_description(std::string("Hidden ") + kSecret);
    Create("hidden-lab", hidden);
  }
  static void TearDownTestSuite() {
    delete registry_;
    delete server_;
    delete redis_;
  }

  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }

  // Every resource carries private staff details and a private terms note.
  static Resource Lab(const std::string& name, double lat, double lon) {
    Resource r;
    r.set_display_name(name);
    r.set_description("Gedeeld lab");
    r.set_kind(RESOURCE_KIND_LAB);
    r.set_mobility(MOBILITY_FIXED);
    r.set_owner_organization_id("cafe");
    r.add_shared_with_network_ids("zwolle");
    r.add_themes(THEME_MANUFACTURING);
    r.mutable_location()->mutable_point()->set_latitude(lat);
    r.mutable_location()->mutable_point()->set_longitude(lon);
    r.mutable_location()->mutable_address()->set_street("Ñieuwe Markt 1");
    r.mutable_location()->mutable_address()->set_postal_code("8011 AA");
    r.mutable_location()->mutable_address()->set_city("Zwolle");
    r.mutable_location()->mutable_region()->set_province("PV23");
    auto* staff = r.add_staff();
    staff->set_name(std::string("Fenna ") + kSecret);
    staff->set_role(STAFF_ROLE_FACILITY_MANAGER);
    staff->set_email("fenna-private@cafe.example");
    staff->set_phone("+31612345678");
    return r;
  }

  static Resource Create(const std::string& id, const Resource& r) {
    CreateResourceRequest request;
    *request.mutable_resource() = r;
    request.set_resource_id(id);
    Resource out;
    auto status = registry_->CreateResource(As(member_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  static grpc::Status Update(const Resource& patch, const std::vector<std::string>& paths,
                             Resource* out) {
    UpdateResourceRequest request;
    *request.mutable_resource() = patch;
    for (const auto& p : paths) request.mutable_update_mask()->add_paths(p);
    return registry_->UpdateResource(As(member_).get(), request, out);
  }

  static httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->server().http_port());
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    return client;
  }

  static std::string Get(const std::string& path, int expected_status = 200) {
    auto client = Client();
    auto res = client.Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return "";
    EXPECT_EQ(res->status, expected_status) << path << ": " << res->body;
    return res->body;
  }

  static std::set<std::string> FeatureIds(const Json& geojson) {
    std::set<std::string> ids;
    for (const auto& f : geojson["features"]) ids.insert(f["properties"]["id"]);
    return ids;
  }

  static const Json* Find(const Json& items, const char* id_key, const std::string& id) {
    for (const auto& item : items)
      if (item.contains(id_key) && item[id_key] == id) return &item;
    return nullptr;
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static RegistryService::Stub* registry_;
  static std::string member_, public_lab_, listed_equipment_;
};

RedisServer* OpenDataTest::redis_ = nullptr;
TestServer* OpenDataTest::server_ = nullptr;
RegistryService::Stub* OpenDataTest::registry_ = nullptr;
std::string OpenDataTest::member_, OpenDataTest::public_lab_, OpenDataTest::listed_equipment_;

TEST_F(OpenDataTest, GeoJsonIsAFeatureCollectionOfPointsOfListedResources) {
  Json doc = Json::parse(Get("/open/resources.geojson"));
  ASSERT_EQ(doc["type"], "FeatureCollection");
  ASSERT_TRUE(doc["features"].is_array());
  for (const auto& f : doc["features"]) {
    EXPECT_EQ(f["type"], "Feature");
    ASSERT_TRUE(f["properties"].is_object());
    ASSERT_EQ(f["geometry"]["type"], "Point");
    const auto& c = f["geometry"]["coordinates"];
    ASSERT_EQ(c.size(), 2u);
    EXPECT_GE(c[0].get<double>(), -180);
    EXPECT_LE(c[0].get<double>(), 180);
    EXPECT_GE(c[1].get<double>(), -90);
    EXPECT_LE(c[1].get<double>(), 90);
  }
  EXPECT_TRUE(FeatureIds(doc).count(public_lab_));
  EXPECT_TRUE(FeatureIds(doc).count(listed_equipment_));
  EXPECT_FALSE(FeatureIds(doc).count("hidden-lab"));
  const Json* lab = nullptr;
  for (const auto& f : doc["features"])
    if (f["id"] == public_lab_) lab = &f;
  ASSERT_NE(lab, nullptr);
  EXPECT_DOUBLE_EQ((*lab)["geometry"]["coordinates"][0].get<double>(), 6.0944);  // [lon, lat]
  EXPECT_DOUBLE_EQ((*lab)["geometry"]["coordinates"][1].get<double>(), 52.5125);
  EXPECT_EQ((*lab)["properties"]["name"], "Lab \"Zwolle\", Café; Ñ");
  EXPECT_EQ((*lab)["properties"]["owner_organization"], "Café Ñ 's-Hertogenbosch B.V.");
  EXPECT_EQ((*lab)["properties"]["terms"]["tariff_per_hour_eur"], "12.50");
  EXPECT_EQ((*lab)["properties"]["contact_roles"], Json::array({"facility_manager"}));
  EXPECT_EQ((*lab)["properties"]["opening_rules"][0]["start_time"], "08:30");
}

TEST_F(OpenDataTest, JsonLdHasSchemaOrgPlacesWithAmenitiesOffersAndOpeningHours) {
  Json doc = Json::parse(Get("/open/resources.jsonld"));
  ASSERT_EQ(doc["@context"], "https://schema.org");
  ASSERT_TRUE(doc["@graph"].is_array());
  for (const auto& place : doc["@graph"]) {
    EXPECT_EQ(place["@type"], "Place");
    EXPECT_EQ(place["geo"]["@type"], "GeoCoordinates");
    EXPECT_EQ(place["address"]["@type"], "PostalAddress");
    ASSERT_FALSE(place["amenityFeature"].empty());
    for (const auto& feature : place["amenityFeature"])
      EXPECT_EQ(feature["@type"], "LocationFeatureSpecification");
    EXPECT_EQ(place["makesOffer"][0]["@type"], "Offer");
    EXPECT_EQ(place["makesOffer"][0]["offeredBy"]["@type"], "Organization");
  }
  const Json* lab = Find(doc["@graph"], "identifier", public_lab_);
  ASSERT_NE(lab, nullptr);
  EXPECT_EQ((*lab)["address"]["addressLocality"], "Zwolle");
  const auto& price = (*lab)["makesOffer"][0]["priceSpecification"][0];
  EXPECT_EQ(price["@type"], "UnitPriceSpecification");
  EXPECT_EQ(price["price"], "12.50");
  EXPECT_EQ(price["priceCurrency"], "EUR");
  const auto& hours = (*lab)["openingHoursSpecification"][0];
  EXPECT_EQ(hours["@type"], "OpeningHoursSpecification");
  EXPECT_EQ(hours["dayOfWeek"].size(), 5u);
  EXPECT_EQ(hours["opens"], "08:30");
  EXPECT_EQ(hours["closes"], "16:30");
  const Json* equipment = Find(doc["@graph"], "identifier", listed_equipment_);
  ASSERT_NE(equipment, nullptr);
  EXPECT_FALSE((*equipment)["makesOffer"][0].contains("priceSpecification"));
  EXPECT_FALSE(equipment->contains("openingHoursSpecification"));
}

TEST_F(OpenDataTest, CsvParsesBackFieldByField) {
  auto check = [&](const std::string& body, char separator) {
    auto rows = ParseCsv(body, separator);
    ASSERT_GE(rows.size(), 3u);
    EXPECT_EQ(rows[0], http::CsvColumns());
    std::map<std::string, std::vector<std::string>> by_id;
    for (size_t i = 1; i < rows.size(); ++i) {
      ASSERT_EQ(rows[i].size(), http::CsvColumns().size()) << "row " << i;
      by_id[rows[i][0]] = rows[i];
    }
    EXPECT_FALSE(by_id.count("hidden-lab"));
    ASSERT_TRUE(by_id.count(public_lab_));
    auto column = [](const char* name) {
      const auto& c = http::CsvColumns();
      return std::find(c.begin(), c.end(), name) - c.begin();
    };
    const auto& lab = by_id[public_lab_];
    EXPECT_EQ(lab[column("name")], "Lab \"Zwolle\", Café; Ñ");
    EXPECT_EQ(lab[column("description")], "Eerste regel\r\nTweede regel, met; scheidingstekens");
    EXPECT_EQ(lab[column("street")], "Ñieuwe Markt 1");
    EXPECT_EQ(lab[column("owner_organization")], "Café Ñ 's-Hertogenbosch B.V.");
    // Decimal commas in the file for Dutch Excel (';'), decimal points in the RFC 4180 one.
    const std::string point = separator == ';' ? "," : ".";
    EXPECT_EQ(lab[column("latitude")], "52" + point + "512500");
    EXPECT_EQ(lab[column("longitude")], "6" + point + "094400");
    EXPECT_EQ(lab[column("tariff_per_hour_eur")], "12" + point + "50");
    EXPECT_EQ(lab[column("themes")], "manufacturing");
    EXPECT_EQ(lab[column("contact_roles")], "facility_manager");
    EXPECT_EQ(by_id[listed_equipment_][column("terms_kind")], "");  // terms not shown
  };
  check(Get("/open/resources.csv"), ',');
  std::string excel = Get("/open/resources.csv?dialect=excel");
  ASSERT_EQ(excel.substr(0, 3), "\xEF\xBB\xBF");
  check(excel.substr(3), ';');
}

TEST_F(OpenDataTest, CatalogueHasADatasetWithADistributionPerFeed) {
  Json doc = Json::parse(Get("/open/catalog.jsonld"));
  EXPECT_EQ(doc["@type"], "dcat:Catalog");
  EXPECT_EQ(doc["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
  EXPECT_EQ(doc["dct:publisher"]["foaf:name"], "Regio Zwolle open data");
  std::set<std::string> media_types;
  ASSERT_EQ(doc["dcat:dataset"].size(), http::ResourceFeeds().size());
  for (const auto& dataset : doc["dcat:dataset"]) {
    EXPECT_EQ(dataset["@type"], "dcat:Dataset");
    EXPECT_EQ(dataset["dct:license"]["@id"], "https://creativecommons.org/licenses/by/4.0/");
    ASSERT_EQ(dataset["dcat:distribution"].size(), 1u);
    const auto& distribution = dataset["dcat:distribution"][0];
    EXPECT_EQ(distribution["@type"], "dcat:Distribution");
    std::string url = distribution["dcat:downloadURL"]["@id"];
    std::string path = url.substr(url.find("/open/"));
    // Every advertised URL serves its feed.
    EXPECT_FALSE(Get(path).empty()) << path;
    media_types.insert(distribution["dcat:mediaType"]["@id"]);
  }
  EXPECT_EQ(media_types, (std::set<std::string>{
                             "https://www.iana.org/assignments/media-types/application/geo+json",
                             "https://www.iana.org/assignments/media-types/application/ld+json",
                             "https://www.iana.org/assignments/media-types/text/csv"}));
}

TEST_F(OpenDataTest, NothingNotMarkedPublicAppearsInAnyFeed) {
  for (const char* path :
       {"/open/resources.geojson", "/open/resources.jsonld", "/open/resources.csv",
        "/open/resources.csv?dialect=excel", "/open/catalog.jsonld",
        "/open/resources.geojson?network=zwolle", "/open/resources.jsonld?kind=lab"}) {
    std::string body = Get(path);
    ASSERT_FALSE(body.empty()) << path;
    EXPECT_EQ(body.find(kSecret), std::string::npos) << path;
    EXPECT_EQ(body.find("hidden-lab"), std::string::npos) << path;
    EXPECT_EQ(body.find("fenna-private@"), std::string::npos) << path;
    EXPECT_EQ(body.find("org-contact@"), std::string::npos) << path;
    EXPECT_EQ(body.find("+31612345678"), std::string::npos) << path;
  }
}

TEST_F(OpenDataTest, EtagRoundTripAnswers304UntilTheDataChanges) {
  Resource r = Lab("Etag lab Zwolle", 52.5, 6.1);
  r.mutable_publication()->set_listed(true);
  Resource created = Create("etag-lab", r);
  auto client = Client();
  auto first = client.Get("/open/resources.geojson");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  const std::string etag = first->get_header_value("ETag");
  ASSERT_EQ(etag.size(), 34u);  // a strong tag: quoted 32 hex digits, no W/
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(first->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(first->get_header_value("Cache-Control").find("max-age="), std::string::npos);

  auto again = client.Get("/open/resources.geojson", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  EXPECT_EQ(again->get_header_value("ETag"), etag);

  Resource patch;
  patch.set_id(created.id());
  patch.set_description("Nieuwe beschrijving");
  Resource updated;
  ASSERT_TRUE(Update(patch, {"description"}, &updated).ok());
  auto changed = client.Get("/open/resources.geojson", {{"If-None-Match", etag}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_NE(changed->get_header_value("ETag"), etag);
  EXPECT_NE(changed->body.find("Nieuwe beschrijving"), std::string::npos);
}

// A compressed CSV is another representation: another strong tag, and its own 304.
TEST_F(OpenDataTest, ACompressedFeedHasItsOwnEtag) {
  auto client = Client();
  auto plain = client.Get("/open/resources.csv", {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->get_header_value("Content-Encoding"), "");
  auto gzip = client.Get("/open/resources.csv", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(gzip);
  ASSERT_EQ(gzip->status, 200);
  EXPECT_EQ(gzip->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(gzip->body, plain->body);  // the client decompresses
  const std::string tag = gzip->get_header_value("ETag");
  EXPECT_NE(tag, plain->get_header_value("ETag"));
  auto again =
      client.Get("/open/resources.csv", {{"Accept-Encoding", "gzip"}, {"If-None-Match", tag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  auto identity =
      client.Get("/open/resources.csv", {{"Accept-Encoding", "identity"}, {"If-None-Match", tag}});
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->status, 200);
}

TEST_F(OpenDataTest, AResourceMadePrivateDisappearsFromEveryFeed) {
  Resource r = Lab("Soon private Deventer", 52.25, 6.16);
  r.mutable_publication()->set_listed(true);
  Resource created = Create("soon-private", r);
  EXPECT_TRUE(FeatureIds(Json::parse(Get("/open/resources.geojson"))).count("soon-private"));
  Resource patch;
  patch.set_id(created.id());
  Resource updated;
  ASSERT_TRUE(Update(patch, {"publication"}, &updated).ok());
  EXPECT_FALSE(updated.publication().listed());
  for (const char* path :
       {"/open/resources.geojson", "/open/resources.jsonld", "/open/resources.csv"})
    EXPECT_EQ(Get(path).find("soon-private"), std::string::npos) << path;
}

TEST_F(OpenDataTest, FiltersByKindThemeProvinceAndNetwork) {
  auto ids = [&](const std::string& query) {
    return FeatureIds(Json::parse(Get("/open/resources.geojson?" + query)));
  };
  EXPECT_TRUE(ids("kind=equipment").count(listed_equipment_));
  EXPECT_FALSE(ids("kind=equipment").count(public_lab_));
  // As the CLI spells a kind (living-lab) or as the feeds do (living_lab): the same filter.
  EXPECT_EQ(ids("kind=living-lab"), ids("kind=living_lab"));
  EXPECT_FALSE(ids("kind=Equipment").empty());
  EXPECT_EQ(ids("theme=water"), std::set<std::string>{listed_equipment_});
  EXPECT_EQ(ids("province=PV26"), std::set<std::string>{listed_equipment_});
  EXPECT_TRUE(ids("network=zwolle").count(public_lab_));
  // A network that does not exist is a mistake, not an empty map (the README: unknown values 400).
  Json no_network = Json::parse(Get("/open/resources.geojson?network=elsewhere", 400));
  EXPECT_EQ(no_network["invalid-params"][0]["name"], "network");
  Json problem = Json::parse(Get("/open/resources.geojson?kind=castle", 400));
  EXPECT_EQ(problem["status"], 400);
  EXPECT_EQ(problem["invalid-params"][0]["name"], "kind");
  Get("/open/resources.csv?colour=red", 400);
}

TEST_F(OpenDataTest, RefusesOtherMethodsAndOverlongTargets) {
  auto client = Client();
  auto post = client.Post("/open/resources.geojson", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto del = client.Delete("/open/resources.csv");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  auto head = client.Head("/open/resources.csv");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_FALSE(head->get_header_value("ETag").empty());
  auto long_target = client.Get(("/open/resources.csv?network=" + std::string(4000, 'a')).c_str());
  ASSERT_TRUE(long_target);
  EXPECT_EQ(long_target->status, 414);
  Get("/open/nothing-here", 404);
}

TEST_F(OpenDataTest, PublicationPartsRequireListingAndAreRefusedOtherwise) {
  Resource r = Lab("Unlisted with terms", 52.1, 5.1);
  r.mutable_publication()->set_show_terms(true);
  CreateResourceRequest request;
  *request.mutable_resource() = r;
  Resource out;
  auto status = registry_->CreateResource(As(member_).get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "resource.publication.show_terms");
}

TEST_F(OpenDataTest, NetworkPublicImpactOptInIsKept) {
  GetNetworkRequest request;
  request.set_id("zwolle");
  Network network;
  ASSERT_TRUE(registry_->GetNetwork(Admin().get(), request, &network).ok());
  EXPECT_TRUE(network.public_impact());
}

// The anonymous impact summary covers whole months (Amsterdam time) and compares them with as many
// whole months just before: two summaries never differ by less than a month, so no day of one
// partner's bookings can be read off their difference.
TEST_F(OpenDataTest, ThePublicImpactSummaryComparesWholeMonthsWithWholeMonths) {
  const Json march =
      Json::parse(Get("/impact/report.json?network=zwolle&from=2027-03-10&to=2027-03-20"));
  EXPECT_EQ(march["current"]["start_time"], "2027-02-28T23:00:00Z") << march.dump();
  EXPECT_EQ(march["current"]["end_time"], "2027-03-31T22:00:00Z");
  EXPECT_EQ(march["previous"]["start_time"], "2027-01-31T23:00:00Z");
  EXPECT_EQ(march["previous"]["end_time"], "2027-02-28T23:00:00Z");
  const Json april =
      Json::parse(Get("/impact/report.json?network=zwolle&from=2027-04-01&to=2027-04-30"));
  EXPECT_EQ(april["previous"]["start_time"], march["current"]["start_time"]);
  EXPECT_EQ(april["previous"]["end_time"], march["current"]["end_time"]);
  const Json spring =
      Json::parse(Get("/impact/report.json?network=zwolle&from=2027-03-01&to=2027-05-31"));
  EXPECT_EQ(spring["current"]["end_time"], "2027-05-31T22:00:00Z");
  EXPECT_EQ(spring["previous"]["start_time"], "2026-11-30T23:00:00Z");  // December to February
}

TEST_F(OpenDataTest, CountsRequestsAndRefusalsInTheMetrics) {
  auto client = Client();
  ASSERT_TRUE(client.Get("/open/resources.geojson"));
  ASSERT_TRUE(client.Post("/open/resources.geojson", "", "text/plain"));
  const std::string metrics = server_->server().metrics().Render();
  auto value = [&](const std::string& name) {
    auto at = metrics.find("\n" + name + " ");
    if (at == std::string::npos) return -1.0;
    return std::stod(metrics.substr(at + name.size() + 2));
  };
  EXPECT_GE(value("infrashare_http_requests_total"), 2);
  EXPECT_GE(value("infrashare_http_refused_total"), 1);
}

// The listener needs only the read model: a desk-only process serves the same feeds, fed by its
// follower from Redis.
TEST_F(OpenDataTest, ADeskOnlyProcessServesTheSameFeeds) {
  Config config = TestServer::DefaultConfig();
  config.http.listen = "127.0.0.1:0";
  TestServer desk_only(redis_->url(), config, {"desk"});
  httplib::Client client("127.0.0.1", desk_only.server().http_port());
  auto res = client.Get("/open/resources.geojson");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  auto ids = FeatureIds(Json::parse(res->body));
  EXPECT_TRUE(ids.count(public_lab_));
  EXPECT_TRUE(ids.count(listed_equipment_));
  EXPECT_FALSE(ids.count("hidden-lab"));
}

// The limit per client address, on a site of its own with a small burst and a slow refill.
TEST(PublicSiteRateLimit, RefusesWith429AndRetryAfterOnceTheBurstIsSpent) {
  HttpConfig config;
  config.listen = "127.0.0.1:0";
  config.burst = 3;
  config.rate_per_s = 0.01;
  http::PublicSite site(config, nullptr);
  site.Route("/open/ping", [](const http::HttpQuery&) {
    return http::HttpReply{200, "text/plain", "pong"};
  });
  ASSERT_TRUE(site.Start());
  httplib::Client client("127.0.0.1", site.port());
  for (int i = 0; i < 3; ++i) {
    auto res = client.Get("/open/ping");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << i;
  }
  auto refused = client.Get("/open/ping");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  int retry_after = 0;
  EXPECT_TRUE(absl::SimpleAtoi(refused->get_header_value("Retry-After"), &retry_after));
  EXPECT_GE(retry_after, 1);
}

}  // namespace
}  // namespace infrashare::testing
