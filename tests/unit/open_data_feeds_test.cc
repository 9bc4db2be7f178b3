// What the open-data feeds may show (http::Publish) and how they spell it, without a server.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "services/http/feeds.h"
#include "services/http/public_site.h"
#include "services/http/publication.h"

namespace infrashare::http {
namespace {

namespace v1 = registry::v1;

// Every scalar and string field of a message set to something non-default, recursively.
void FillEverything(google::protobuf::Message* m, int depth = 0) {
  const auto* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    using FD = google::protobuf::FieldDescriptor;
    if (f->is_repeated()) {
      if (f->cpp_type() == FD::CPPTYPE_MESSAGE && depth < 3)
        FillEverything(r->AddMessage(m, f), depth + 1);
      else if (f->cpp_type() == FD::CPPTYPE_STRING)
        r->AddString(m, f, "secret-" + f->name());
      else if (f->cpp_type() == FD::CPPTYPE_ENUM)
        r->AddEnumValue(m, f, 1);
      continue;
    }
    switch (f->cpp_type()) {
      case FD::CPPTYPE_MESSAGE:
        if (depth < 3) FillEverything(r->MutableMessage(m, f), depth + 1);
        break;
      case FD::CPPTYPE_STRING:
        r->SetString(m, f, "secret-" + f->name());
        break;
      case FD::CPPTYPE_BOOL:
        r->SetBool(m, f, true);
        break;
      case FD::CPPTYPE_INT32:
        r->SetInt32(m, f, 7);
        break;
      case FD::CPPTYPE_INT64:
        r->SetInt64(m, f, 7);
        break;
      case FD::CPPTYPE_DOUBLE:
        r->SetDouble(m, f, 7);
        break;
      case FD::CPPTYPE_ENUM:
        r->SetEnumValue(m, f, 1);
        break;
      default:
        break;
    }
  }
}

registry::ResourceFacts Facts(const v1::Resource& resource) {
  return {std::make_shared<const v1::Resource>(resource), nullptr};
}

TEST(Publish, AnUnlistedOrRetiredResourceIsNotPublished) {
  v1::Resource r;
  r.set_id("lab");
  EXPECT_FALSE(Publish(Facts(r), {}, "Owner").has_value());
  r.mutable_publication()->set_listed(true);
  EXPECT_TRUE(Publish(Facts(r), {}, "Owner").has_value());
  r.mutable_lifecycle()->set_state(v1::LIFECYCLE_STATE_RETIRED);
  EXPECT_FALSE(Publish(Facts(r), {}, "Owner").has_value());
}

// The allow-list: with every field of a resource set (a field added later included), the public
// copy holds only the fields named here, and staff only as roles.
TEST(Publish, CopiesOnlyTheAllowedFieldsAndStaffRolesOnly) {
  v1::Resource r;
  FillEverything(&r);
  r.mutable_lifecycle()->set_state(v1::LIFECYCLE_STATE_ACTIVE);
  auto published = Publish(Facts(r), {}, "Owner");
  ASSERT_TRUE(published.has_value());
  const std::set<std::string> allowed = {"id",
                                         "display_name",
                                         "description",
                                         "kind",
                                         "mobility",
                                         "home_base",
                                         "url",
                                         "owner_organization_id",
                                         "shared_with_network_ids",
                                         "themes",
                                         "tags",
                                         "location",
                                         "time_zone",
                                         "booking_mode",
                                         "capacity",
                                         "access_policy",
                                         "sme_accessible",
                                         "training_required",
                                         "approval_required",
                                         "terms",
                                         "staff",
                                         "lifecycle",
                                         "publication",
                                         "audit"};
  std::vector<const google::protobuf::FieldDescriptor*> present;
  published->resource.GetReflection()->ListFields(published->resource, &present);
  for (const auto* f : present) EXPECT_TRUE(allowed.count(f->name())) << f->name();
  for (const auto& s : published->resource.staff()) {
    EXPECT_TRUE(s.name().empty());
    EXPECT_TRUE(s.email().empty());
    EXPECT_TRUE(s.phone().empty());
  }
  EXPECT_TRUE(published->resource.lifecycle().funding_source().empty());
  EXPECT_FALSE(published->resource.audit().has_create_time());
  EXPECT_TRUE(published->resource.audit().created_by().empty());
  EXPECT_TRUE(published->resource.etag().empty());
  EXPECT_FALSE(published->resource.has_booking_rules());
  EXPECT_TRUE(published->resource.parent_resource_id().empty());
}

TEST(Publish, OptionalPartsOnlyWhenTheOwnerShowsThem) {
  v1::Resource r;
  FillEverything(&r);
  r.mutable_lifecycle()->set_state(v1::LIFECYCLE_STATE_ACTIVE);
  *r.mutable_publication() = v1::ResourcePublication();
  r.mutable_publication()->set_listed(true);
  auto availability = std::make_shared<v1::Availability>();
  availability->add_rules()->set_rrule("FREQ=DAILY");
  registry::ResourceFacts facts{std::make_shared<const v1::Resource>(r), availability};
  auto published = Publish(facts, {}, "Owner");
  ASSERT_TRUE(published.has_value());
  EXPECT_FALSE(published->resource.has_terms());
  EXPECT_EQ(published->resource.staff_size(), 0);
  EXPECT_TRUE(published->opening_rules.empty());
}

TEST(Csv, ExcelDialectNeutralisesFormulasAndQuotesSemicolons) {
  PublishedResource p;
  p.resource.set_id("x");
  p.resource.set_display_name("=HYPERLINK(\"http://evil\")");
  p.resource.set_description("a;b");
  const std::string excel = Csv({p}, CsvDialect::kExcel);
  EXPECT_NE(excel.find("\"'=HYPERLINK(\"\"http://evil\"\")\""), std::string::npos) << excel;
  EXPECT_NE(excel.find("\"a;b\""), std::string::npos);
  const std::string plain = Csv({p}, CsvDialect::kRfc4180);
  EXPECT_NE(plain.find("\"=HYPERLINK(\"\"http://evil\"\")\""), std::string::npos) << plain;
  EXPECT_NE(plain.find(",a;b,"), std::string::npos);
}

TEST(Csv, ANegativeCoordinateStaysANumberAndFormulasThatLookLikeOneDoNot) {
  PublishedResource p;
  p.resource.set_id("bonaire");
  p.resource.set_display_name("-1+1");
  p.resource.set_description("-2,5;x");
  p.resource.mutable_location()->mutable_point()->set_latitude(12.15);
  p.resource.mutable_location()->mutable_point()->set_longitude(-68.26);
  const std::string excel = Csv({p}, CsvDialect::kExcel);
  EXPECT_NE(excel.find(";12,150000;-68,260000;"), std::string::npos) << excel;
  EXPECT_NE(excel.find(";'-1+1;"), std::string::npos) << excel;
  EXPECT_NE(excel.find(";\"'-2,5;x\";"), std::string::npos) << excel;
  for (const std::string number : {"-5", "-5,25", "-0.5"}) {
    p.resource.set_display_name(number);
    EXPECT_NE(Csv({p}, CsvDialect::kExcel).find(";" + number + ";"), std::string::npos) << number;
  }
  for (const std::string formula : {"-", "-,5", "-5,", "-5,2,3", "-5e3", "--5", "-5 "}) {
    p.resource.set_display_name(formula);
    EXPECT_NE(Csv({p}, CsvDialect::kExcel).find(";'" + formula + ";"), std::string::npos)
        << formula;
  }
}

TEST(Csv, ExcelDialectWritesDecimalCommasAsDutchExcelReadsThem) {
  PublishedResource p;
  p.resource.set_id("zwolle");
  p.resource.set_display_name("Werkplaats 1.0");
  p.resource.mutable_location()->mutable_point()->set_latitude(52.5123);
  p.resource.mutable_location()->mutable_point()->set_longitude(6.09);
  const std::string excel = Csv({p}, CsvDialect::kExcel);
  EXPECT_NE(excel.find(";52,512300;6,090000;"), std::string::npos) << excel;
  EXPECT_NE(excel.find(";Werkplaats 1.0;"), std::string::npos) << excel;  // text stays as it is
  const std::string plain = Csv({p}, CsvDialect::kRfc4180);
  EXPECT_NE(plain.find(",52.512300,6.090000,"), std::string::npos) << plain;
}

TEST(ClientRateLimit, AnIpv6HostCountsOncePerSlash64) {
  EXPECT_EQ(ClientRateLimit::ClientKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientRateLimit::ClientKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientRateLimit::ClientKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientRateLimit::ClientKey("2001:DB8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientRateLimit::ClientKey("not an address"), "not an address");

  const auto t0 = ClientRateLimit::Clock::now();
  ClientRateLimit limit(1, 3);
  // A new address per request within one /64 spends one allowance: the fourth is refused.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(limit.Take("2001:db8:1:2::" + std::to_string(i + 1), t0), 0) << i;
  EXPECT_GT(limit.Take("2001:db8:1:2:ffff::9", t0), 0);
  EXPECT_EQ(limit.Take("2001:db8:1:3::1", t0), 0);  // the next /64 is another client
  EXPECT_EQ(limit.Take("2001:db8:1:2::1", t0 + std::chrono::seconds(1)), 0);  // refilled
}

TEST(ClientRateLimit, AFullTableStaysBoundedAndForgetsIdleClients) {
  const auto t0 = ClientRateLimit::Clock::now();
  ClientRateLimit limit(1, 2, 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limit.Take("10.0.0." + std::to_string(i), t0), 0);
  EXPECT_EQ(limit.Take("10.0.0.0", t0), 0);
  EXPECT_GT(limit.Take("10.0.0.0", t0), 0);  // its burst of 2 is spent
  // Many new clients while every one in the table is busy: each is served (it takes an old one's
  // place; the table does not grow and nobody new is locked out).
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(limit.Take(absl::StrCat("10.1.", i / 250, ".", i % 250), t0), 0) << i;
  // A client still in the table keeps its count: spent twice in a row, refused.
  EXPECT_EQ(limit.Take("10.9.9.9", t0), 0);
  EXPECT_EQ(limit.Take("10.9.9.9", t0), 0);
  EXPECT_GT(limit.Take("10.9.9.9", t0), 0);
}

TEST(FeedFilter, ParsesKnownValuesAndRefusesTheRest) {
  auto filter = ParseFeedFilter({{"kind", "living_lab"}, {"theme", "Water"}, {"province", "PV23"}});
  ASSERT_TRUE(filter.ok());
  EXPECT_EQ(filter->kind, v1::RESOURCE_KIND_LIVING_LAB);
  EXPECT_EQ(filter->theme, v1::THEME_WATER);
  EXPECT_FALSE(ParseFeedFilter({{"kind", "castle"}}).ok());
  EXPECT_FALSE(ParseFeedFilter({{"owner", "acme"}}).ok());
  EXPECT_FALSE(ParseFeedFilter({{"network", std::string(1024 * 1024, 'n')}}).ok());  // 1 MiB
}

TEST(EntityTag, StrongQuotedAndMatchedByIfNoneMatchLists) {
  const std::string tag = EntityTag("body");
  EXPECT_EQ(tag.size(), 34u);
  EXPECT_NE(tag, EntityTag("body2"));
  EXPECT_TRUE(MatchesAny(tag, tag));
  EXPECT_TRUE(MatchesAny("\"other\", W/" + tag, tag));
  EXPECT_TRUE(MatchesAny("*", tag));
  EXPECT_FALSE(MatchesAny("\"other\"", tag));
}

}  // namespace
}  // namespace infrashare::http
