#include "services/registry/search_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "services/common/errors.h"
#include "services/common/geo.h"
#include "services/common/regions.h"
#include "services/common/text_fold.h"

namespace infrashare::registry {
namespace {

v1::Resource Make(const std::string& id, const std::string& name, v1::ResourceKind kind,
                  std::vector<v1::Theme> themes, double lat, double lon,
                  const std::string& province) {
  v1::Resource r;
  r.set_id(id);
  r.set_display_name(name);
  r.set_kind(kind);
  r.set_mobility(v1::MOBILITY_FIXED);
  r.set_owner_organization_id("org-" + id);
  for (auto t : themes) r.add_themes(t);
  r.mutable_location()->mutable_point()->set_latitude(lat);
  r.mutable_location()->mutable_point()->set_longitude(lon);
  r.mutable_location()->mutable_region()->set_province(province);
  r.mutable_terms()->set_kind(v1::TERMS_KIND_FREE);
  r.mutable_lifecycle()->set_state(v1::LIFECYCLE_STATE_ACTIVE);
  r.set_etag("1");
  return r;
}

std::set<std::string> Ids(const v1::SearchResourcesResponse& response) {
  std::set<std::string> ids;
  for (const auto& h : response.hits()) ids.insert(h.resource().id());
  return ids;
}

TEST(SearchIndex, FiltersByFacetsAndCountsThem) {
  SearchIndex index;
  index.Upsert(
      Make("a", "Alpha Lab", v1::RESOURCE_KIND_LAB, {v1::THEME_MANUFACTURING}, 52.5, 6.1, "PV23"));
  index.Upsert(
      Make("b", "Beta Hub", v1::RESOURCE_KIND_HUB, {v1::THEME_MANUFACTURING}, 52.1, 5.1, "PV26"));
  index.Upsert(Make("c", "Gamma Lab", v1::RESOURCE_KIND_LAB, {v1::THEME_FOOD}, 51.9, 4.5, "PV28"));
  v1::SearchResourcesRequest request;
  request.add_kinds(v1::RESOURCE_KIND_LAB);
  request.add_themes(v1::THEME_MANUFACTURING);
  auto response = index.Search(request, {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(Ids(*response), (std::set<std::string>{"a"}));

  v1::SearchResourcesRequest by_theme;
  by_theme.add_themes(v1::THEME_MANUFACTURING);
  response = index.Search(by_theme, {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->total_size(), 2);
  bool saw_province = false;
  for (const auto& f : response->facets())
    if (f.field() == "province") {
      saw_province = true;
      EXPECT_EQ(f.values_size(), 2);
      EXPECT_EQ(f.values(0).value(), "PV23");
      EXPECT_EQ(f.values(0).count(), 1);
    }
  EXPECT_TRUE(saw_province);
}

// CBS' table, shipped in data/: every municipality of today nests in a known COROP area inside the
// province that area lies in.
TEST(Regions, EveryMunicipalityNestsInItsCoropAreaAndProvince) {
  const auto& all = Municipalities();
  EXPECT_EQ(all.size(), 342u);
  std::set<absl::string_view> codes;
  for (const auto& m : all) {
    SCOPED_TRACE(std::string(m.code));
    EXPECT_TRUE(codes.insert(m.code).second);
    EXPECT_TRUE(IsMunicipalityCode(m.code));
    ASSERT_TRUE(IsCoropCode(m.corop));
    EXPECT_EQ(FindRegion(m.corop)->province, m.province);
    EXPECT_TRUE(IsProvinceCode(m.province));
    EXPECT_TRUE(RegionWithin(m.code, m.corop));
    EXPECT_TRUE(RegionWithin(m.code, m.province));
    EXPECT_FALSE(m.name.empty());
  }
  const RegionInfo* zwolle = FindRegion("GM0193");
  ASSERT_NE(zwolle, nullptr);
  EXPECT_EQ(zwolle->name, "Zwolle");
  EXPECT_EQ(zwolle->corop, "CR10");
  EXPECT_EQ(zwolle->province, "PV23");
  EXPECT_EQ(FindRegion("GM1900")->name, "Súdwest-Fryslân");
  EXPECT_EQ(FindRegion("GM1900")->province, "PV21");
  EXPECT_EQ(FindRegion("GM0518")->name, "'s-Gravenhage");
  EXPECT_FALSE(IsMunicipalityCode("GM9999"));
  EXPECT_FALSE(RegionWithin("GM0193", "CR12"));
  EXPECT_FALSE(RegionWithin("CR10", "GM0193"));
  EXPECT_TRUE(RegionWithin("CR10", "PV23"));
}

TEST(SearchIndex, AResourceGivenByMunicipalityIsFoundByItsCoropAreaAndProvince) {
  SearchIndex index;
  v1::Resource r = Make("a", "Werkplaats Enschede", v1::RESOURCE_KIND_LAB, {}, 52.22, 6.89, "");
  r.mutable_location()->mutable_region()->set_municipality("GM0153");
  index.Upsert(r);
  for (const char* code : {"GM0153", "CR12", "PV23"}) {
    v1::SearchResourcesRequest request;
    request.add_region_codes(code);
    auto response = index.Search(request, {});
    ASSERT_TRUE(response.ok()) << code;
    EXPECT_EQ(Ids(*response), (std::set<std::string>{"a"})) << code;
  }
  v1::SearchResourcesRequest elsewhere;
  elsewhere.add_region_codes("CR10");
  EXPECT_TRUE(Ids(*index.Search(elsewhere, {})).empty());
}

// Records no server writes (an enum value a newer version added, a point off the globe, as Redis
// may hold them): the index takes them without reading past its arrays (found by fuzzing).
TEST(SearchIndex, TakesAKindItDoesNotKnowAndAPointOffTheGlobe) {
  SearchIndex index;
  index.Upsert(Make("a", "Alpha Lab", static_cast<v1::ResourceKind>(80), {}, 52.5, 6.1, "PV23"));
  index.Upsert(Make("b", "Beta Lab", v1::RESOURCE_KIND_LAB, {}, 1e50, -1e300, "PV23"));
  v1::SearchResourcesRequest all;
  all.set_text_prefix("lab");
  auto response = index.Search(all, {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(Ids(*response), (std::set<std::string>{"a", "b"}));
  v1::SearchResourcesRequest near;
  near.mutable_within()->mutable_center()->set_latitude(52.5);
  near.mutable_within()->mutable_center()->set_longitude(6.1);
  near.mutable_within()->set_radius_km(10);
  response = index.Search(near, {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(Ids(*response), (std::set<std::string>{"a"}));
}

TEST(SearchIndex, RadiusSearchOrdersByDistance) {
  SearchIndex index;
  index.Upsert(Make("zwolle", "Perron038", v1::RESOURCE_KIND_LAB, {}, 52.5125, 6.0944, "PV23"));
  index.Upsert(Make("kampen", "Kampen Lab", v1::RESOURCE_KIND_LAB, {}, 52.5550, 5.9114, "PV23"));
  index.Upsert(Make("utrecht", "Utrecht Lab", v1::RESOURCE_KIND_LAB, {}, 52.0907, 5.1214, "PV26"));
  v1::SearchResourcesRequest request;
  request.mutable_within()->mutable_center()->set_latitude(52.5125);
  request.mutable_within()->mutable_center()->set_longitude(6.0944);
  request.mutable_within()->set_radius_km(25);
  request.set_order_by(v1::SEARCH_ORDER_DISTANCE);
  auto response = index.Search(request, {});
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->hits_size(), 2);
  EXPECT_EQ(response->hits(0).resource().id(), "zwolle");
  EXPECT_EQ(response->hits(1).resource().id(), "kampen");
  EXPECT_NEAR(response->hits(1).distance_km(), 13.3, 0.5);
}

TEST(SearchIndex, TextPrefixMatchesWordsInNameDescriptionAndTags) {
  SearchIndex index;
  auto r = Make("x", "Digital Twin Studio", v1::RESOURCE_KIND_DIGITAL_TWIN, {}, 52, 5, "PV26");
  r.set_description("Simulatie van productielijnen");
  r.add_tags("Robotica");
  index.Upsert(r);
  for (std::string q : {"dig", "TWIN", "simul", "robot", "studio twin"}) {
    v1::SearchResourcesRequest request;
    request.set_text_prefix(q);
    auto response = index.Search(request, {});
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->total_size(), 1) << q;
  }
  v1::SearchResourcesRequest miss;
  miss.set_text_prefix("igital");
  EXPECT_EQ(index.Search(miss, {})->total_size(), 0);
  // Text without a letter or digit names no word: it matches nothing, not everything.
  for (std::string q : {"!!!", "*", "\"", "- -"}) {
    v1::SearchResourcesRequest request;
    request.set_text_prefix(q);
    EXPECT_EQ(index.Search(request, {})->total_size(), 0) << q;
  }
  v1::SearchResourcesRequest blank;
  blank.set_text_prefix("  ");
  EXPECT_EQ(index.Search(blank, {})->total_size(), 1);
}

TEST(SearchIndex, DutchTextIsFoundWhateverItsCaseAndAccents) {
  SearchIndex index;
  auto r = Make("loket", "Één loket Café", v1::RESOURCE_KIND_HUB, {}, 52, 5, "PV26");
  r.set_description("Coöperatie van ĲSSELSTEIN en Zeeuwse bedrijven");
  r.add_tags("Ökologie");
  index.Upsert(r);
  index.Upsert(Make("other", "Ander loket", v1::RESOURCE_KIND_HUB, {}, 52, 5, "PV26"));
  for (std::string q : {"één", "ÉÉN", "een", "EEN", "café", "CAFÉ", "cafe", "Caf", "COÖP", "coop",
                        "coöperatie", "ijssel", "ĳssel", "IJSSELSTEIN", "okologie", "ÖKO"}) {
    v1::SearchResourcesRequest request;
    request.set_text_prefix(q);
    auto response = index.Search(request, {});
    ASSERT_TRUE(response.ok()) << q;
    ASSERT_EQ(response->total_size(), 1) << q;
    EXPECT_EQ(response->hits(0).resource().id(), "loket") << q;
  }
  v1::SearchResourcesRequest both;
  both.set_text_prefix("LOKET");
  EXPECT_EQ(index.Search(both, {})->total_size(), 2);
}

TEST(SearchIndex, LettersWithAStrokeAreFoundAsPeopleTypeThem) {
  SearchIndex index;
  index.Upsert(Make("lab", "Werkplaats Łódź & Ørsted", v1::RESOURCE_KIND_LAB, {}, 52, 5, "PV26"));
  for (std::string q : {"lodz", "Łódź", "LÓDZ", "orsted", "ØRSTED", "ørs", "werkplaats lod"}) {
    v1::SearchResourcesRequest request;
    request.set_text_prefix(q);
    auto response = index.Search(request, {});
    ASSERT_TRUE(response.ok()) << q;
    EXPECT_EQ(response->total_size(), 1) << q;
  }
  v1::SearchResourcesRequest other;
  other.set_text_prefix("lodt");
  EXPECT_EQ(index.Search(other, {})->total_size(), 0);
}

// By name, such a name sorts where people look for it (Łódź among the L's, not after Z), on every
// page size.
TEST(SearchIndex, NamesWithAStrokeOrLigatureSortAmongTheirPlainLetters) {
  SearchIndex index;
  const std::vector<std::pair<std::string, std::string>> names = {
      {"z", "Zürich Lab"},   {"l", "Łódź Makerspace"}, {"o", "Ørsted Windlab"},
      {"a", "Æble test"},    {"e", "Œuvre atelier"},   {"d", "Ðorđe lab"},
      {"c", "cafe analoog"}, {"m", "Lima lab"},        {"p", "Oosterlab"},
      {"s", "Straße Lab"},   {"i", "Diyarbakır hub"},  {"b", "Aardwarmte lab"}};
  for (const auto& [id, name] : names)
    index.Upsert(Make(id, name, v1::RESOURCE_KIND_LAB, {}, 52, 5, "PV26"));
  const std::vector<std::string> want = {"b", "a", "c", "i", "d", "m",
                                         "l", "e", "p", "o", "s", "z"};
  for (int page_size : {1, 2, 5, 12}) {
    v1::SearchResourcesRequest request;
    request.set_page_size(page_size);
    std::vector<std::string> order;
    for (int pages = 0; pages < 20; ++pages) {
      auto response = index.Search(request, {});
      ASSERT_TRUE(response.ok()) << response.status();
      for (const auto& h : response->hits()) order.push_back(h.resource().id());
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    EXPECT_EQ(order, want) << "page size " << page_size;
  }
}

TEST(TextFold, CountsCharactersNotBytes) {
  EXPECT_EQ(Characters("Één loket Café"), 14u);
  EXPECT_EQ(Characters(""), 0u);
  EXPECT_EQ(Characters(std::string(101, 'a')), 101u);
  std::string e_acute_101;
  for (int i = 0; i < 101; ++i) e_acute_101 += "é";
  EXPECT_EQ(Characters(e_acute_101), 101u);
}

TEST(TextFold, FoldsCaseCompatibilityFormsAndDiacritics) {
  EXPECT_EQ(FoldText("Één loket Café"), "een loket cafe");
  EXPECT_EQ(FoldText("COÖP"), "coop");
  EXPECT_EQ(FoldText("ĲSSEL"), "ijssel");
  EXPECT_EQ(FoldText("Straße"), "strasse");
  EXPECT_EQ(FoldText("ASCII Only 42"), "ascii only 42");
  EXPECT_EQ(FoldedWords("’s-Hertogenbosch, Noord-Brabant: Café’s!"),
            (std::vector<std::string>{"s", "hertogenbosch", "noord", "brabant", "cafe", "s"}));
  EXPECT_TRUE(FoldedWords("  -- ;; ").empty());
  EXPECT_EQ(FoldedWords("Łódź Ørsted ÆBLE Đakovo Diyarbakır Œuvre Þing ÐÞ"),
            (std::vector<std::string>{"lodz", "orsted", "aeble", "dakovo", "diyarbakir", "oeuvre",
                                      "thing", "dth"}));
  // Names sort spelled the same way; import ids keep those letters (FoldText: an import's
  // natural-key ids depend on them).
  EXPECT_EQ(FoldName("Łódź Ørsted ÆBLE, Œuvre"), "lodz orsted aeble, oeuvre");
  EXPECT_EQ(FoldName("Één loket Café"), FoldText("Één loket Café"));
  EXPECT_EQ(FoldName("ASCII Only 42"), "ascii only 42");
  EXPECT_EQ(FoldText("Ørsted"), "\xc3\xb8rsted");
}

TEST(TextFold, TellsBlankTextWhateverItsSpacesAndCutsWholeCharacters) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank(" \t\r\n"));
  EXPECT_TRUE(IsBlank("\u00a0\u2003\u3000\u200b"));  // no-break, em, ideographic, zero-width
  EXPECT_FALSE(IsBlank("\u00a0a"));
  EXPECT_FALSE(IsBlank("Één"));
  EXPECT_FALSE(IsBlank(" x "));
  EXPECT_EQ(Utf8Prefix("abc", 10), "abc");
  EXPECT_EQ(Utf8Prefix("abc", 2), "ab");
  EXPECT_EQ(Utf8Prefix("\u00e9\u00e9\u00e9", 3), "\u00e9");  // not half of the second é
  EXPECT_EQ(Utf8Prefix("a\U0001F600", 4), "a");              // nor three bytes of an emoji
  EXPECT_TRUE(IsValidUtf8(Utf8Prefix(std::string(63, '9') + "\u00e9", 64)));
}

TEST(TextFold, TellsWellFormedUtf8FromBytesThatAreNot) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Ĳsselmuiden – café 😀 ± €250; 3,5 uur"));
  EXPECT_FALSE(IsValidUtf8("bad\xff\xfe"));
  EXPECT_FALSE(IsValidUtf8("cut \xc3"));          // a sequence cut short
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // an overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(TextFold, EmailAddressesMatchWhateverTheirCaseAndInvisibleSpaces) {
  EXPECT_EQ(FoldEmail("  Els.De.Vries@Bakkerij.example "), "els.de.vries@bakkerij.example");
  EXPECT_EQ(FoldEmail("MÜLLER@EXAMPLE.ORG"), "müller@example.org");
  EXPECT_EQ(FoldEmail("Müller@Example.org"), "müller@example.org");
  EXPECT_NE(FoldEmail("muller@example.org"), FoldEmail("müller@example.org"));  // accents stay
  EXPECT_EQ(FoldEmail("nbsp@example.org\u00a0"), "nbsp@example.org");
  EXPECT_EQ(FoldEmail("zwsp@example.org\u200b"), "zwsp@example.org");
  EXPECT_EQ(FoldEmail("\u3000ideo@example.org"), "ideo@example.org");
  EXPECT_EQ(FoldEmail(""), "");
  EXPECT_TRUE(IsEmailAddress("els.de.vries+net1@bakkerij.example"));
  EXPECT_TRUE(IsEmailAddress("Müller@Bäckerei.example"));
  for (const char* bad :
       {"@example.org", "a@@example.org", "a b@example.org", "a@b", "a@example.",
        "nbsp@example.org\u00a0", "zwsp@example.org\u200b", "tab\t@example.org", "a@.org"})
    EXPECT_FALSE(IsEmailAddress(bad)) << bad;
}

TEST(SearchIndex, UpdateMovesFacetsAndDeleteRemoves) {
  SearchIndex index;
  auto r = Make("a", "Alpha", v1::RESOURCE_KIND_LAB, {v1::THEME_FOOD}, 52, 5, "PV26");
  index.Upsert(r);
  r.clear_themes();
  r.add_themes(v1::THEME_WATER);
  r.set_etag("2");
  index.Upsert(r);
  v1::SearchResourcesRequest food;
  food.add_themes(v1::THEME_FOOD);
  EXPECT_EQ(index.Search(food, {})->total_size(), 0);
  // A stale change (an older etag replayed from the log) does not undo the newer one.
  r.set_etag("1");
  r.clear_themes();
  r.add_themes(v1::THEME_FOOD);
  index.Upsert(r);
  EXPECT_EQ(index.Search(food, {})->total_size(), 0);
  index.Remove("a");
  EXPECT_EQ(index.size(), 0u);
}

TEST(SearchIndex, PagesWithTokensVisitEveryHitOnce) {
  SearchIndex index;
  for (int i = 0; i < 57; ++i)
    index.Upsert(Make("r" + std::to_string(i), "Lab " + std::to_string(i % 7),
                      v1::RESOURCE_KIND_LAB, {}, 52, 5, "PV26"));
  std::set<std::string> seen;
  v1::SearchResourcesRequest request;
  request.set_page_size(10);
  int pages = 0;
  do {
    auto response = index.Search(request, {});
    ASSERT_TRUE(response.ok());
    for (const auto& h : response->hits()) EXPECT_TRUE(seen.insert(h.resource().id()).second);
    request.set_page_token(response->next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 20);
  EXPECT_EQ(seen.size(), 57u);
  EXPECT_EQ(pages, 6);
}

TEST(SearchIndex, PagesByDistanceResumeExactlyWhereDistancesAgreeToSixDigits) {
  // Points a few metres apart 12 km out: their distances share the first six significant digits.
  SearchIndex index;
  for (int i = 0; i < 40; ++i)
    index.Upsert(Make("p" + std::to_string(i), "Lab " + std::to_string(i % 3),
                      v1::RESOURCE_KIND_LAB, {}, 52.1 + 0.0000013 * i, 5.1, "PV26"));
  v1::SearchResourcesRequest request;
  request.mutable_within()->mutable_center()->set_latitude(52.0);
  request.mutable_within()->mutable_center()->set_longitude(5.1);
  request.mutable_within()->set_radius_km(50);
  request.set_order_by(v1::SEARCH_ORDER_DISTANCE);
  request.set_page_size(3);
  std::vector<std::string> order;
  for (int pages = 0; pages < 30; ++pages) {
    auto response = index.Search(request, {});
    ASSERT_TRUE(response.ok());
    for (const auto& h : response->hits()) order.push_back(h.resource().id());
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 40; ++i) expected.push_back("p" + std::to_string(i));
  EXPECT_EQ(order, expected);
}

// Display names up to the 1,000 bytes allowed (and folding lengthens some: U+FDFA becomes 33
// bytes), that share their first 900 bytes, with ids of 128 bytes: every page token stays within
// the 1,024 bytes a request's page_token may have, and one hit a page reaches every hit once, in
// order, by name and by distance.
TEST(SearchIndex, PagesThroughLongNamesWithTokensWithinTheirBound) {
  SearchIndex index;
  std::vector<std::pair<std::string, std::string>> expected;  // folded name, id
  for (int i = 0; i < 12; ++i) {
    std::string name(300, 'w');
    for (int k = 0; k < 200; ++k) name += "\xef\xb7\xba";                  // U+FDFA, 3 bytes
    name += std::string(80, 'a') + static_cast<char>('a' + (i * 7) % 12);  // 981 bytes
    const std::string id = std::string(120, 'r') + absl::StrFormat("%08d", 11 - i);
    index.Upsert(Make(id, name, v1::RESOURCE_KIND_LAB, {}, 52.1 + 0.001 * (i % 3), 5.1, "PV26"));
    expected.emplace_back(FoldName(name), id);
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> by_name;
  for (const auto& [name, id] : expected) by_name.push_back(id);
  for (bool by_distance : {false, true}) {
    v1::SearchResourcesRequest request;
    request.set_page_size(1);
    if (by_distance) {
      request.mutable_within()->mutable_center()->set_latitude(52.0);
      request.mutable_within()->mutable_center()->set_longitude(5.1);
      request.mutable_within()->set_radius_km(50);
      request.set_order_by(v1::SEARCH_ORDER_DISTANCE);
    }
    std::vector<std::string> order;
    for (int pages = 0; pages < 30; ++pages) {
      auto response = index.Search(request, {});
      ASSERT_TRUE(response.ok()) << response.status();
      for (const auto& h : response->hits()) order.push_back(h.resource().id());
      if (response->next_page_token().empty()) break;
      EXPECT_LE(response->next_page_token().size(), 1024u);
      request.set_page_token(response->next_page_token());
    }
    std::vector<std::string> want = by_name;
    if (by_distance)  // nearer first (latitude step by i % 3), then by name and id
      std::stable_sort(want.begin(), want.end(), [](const std::string& a, const std::string& b) {
        return (11 - std::stoi(a.substr(120))) % 3 < (11 - std::stoi(b.substr(120))) % 3;
      });
    EXPECT_EQ(order, want) << (by_distance ? "by distance" : "by name");
  }
}

TEST(SearchIndex, RefusesBadQueriesNamingTheField) {
  SearchIndex index;
  v1::SearchResourcesRequest request;
  request.set_order_by(v1::SEARCH_ORDER_DISTANCE);
  EXPECT_EQ(ErrorField(index.Search(request, {}).status()), "order_by");
  v1::SearchResourcesRequest radius;
  radius.mutable_within()->set_radius_km(-1);
  EXPECT_EQ(ErrorField(index.Search(radius, {}).status()), "within.radius_km");
  // An enum value it does not know is named with its number.
  v1::SearchResourcesRequest kind;
  kind.add_kinds(v1::RESOURCE_KIND_LAB);
  kind.add_kinds(static_cast<v1::ResourceKind>(77));
  const auto unknown_kind = index.Search(kind, {}).status();
  EXPECT_EQ(ErrorField(unknown_kind), "kinds[1]");
  EXPECT_NE(unknown_kind.message().find("unknown resource kind 77"), std::string::npos)
      << unknown_kind.message();
  v1::SearchResourcesRequest region;
  region.add_region_codes("NL01");
  EXPECT_EQ(ErrorField(index.Search(region, {}).status()), "region_codes[0]");
  v1::SearchResourcesRequest token;
  token.set_page_token("garbage!");
  EXPECT_EQ(ErrorField(index.Search(token, {}).status()), "page_token");
}

// Property: on random data and random queries the index returns exactly what a brute-force scan
// of the same resources returns.
TEST(SearchIndex, MatchesABruteForceReferenceOnRandomQueries) {
  std::mt19937 rng(20261127);
  const std::vector<std::string> provinces = {"PV20", "PV23", "PV26", "PV27", "PV28", "PV30"};
  const std::vector<std::string> words = {"smart", "factory", "lab",  "robot",
                                          "food",  "water",   "twin", "hub"};
  std::vector<v1::Resource> all;
  SearchIndex index;
  for (int i = 0; i < 600; ++i) {
    std::string name = words[rng() % words.size()] + " " + words[rng() % words.size()];
    auto kind = static_cast<v1::ResourceKind>(1 + rng() % 10);
    std::vector<v1::Theme> themes = {static_cast<v1::Theme>(1 + rng() % 16)};
    if (rng() % 2) themes.push_back(static_cast<v1::Theme>(1 + rng() % 16));
    if (themes.size() == 2 && themes[0] == themes[1]) themes.pop_back();
    auto r = Make("r" + std::to_string(i), name, kind, themes, 50.8 + (rng() % 2200) / 1000.0,
                  3.4 + (rng() % 3700) / 1000.0, provinces[rng() % provinces.size()]);
    r.set_sme_accessible(rng() % 2);
    all.push_back(r);
    index.Upsert(r);
  }
  for (int q = 0; q < 300; ++q) {
    v1::SearchResourcesRequest request;
    if (rng() % 2) request.add_kinds(static_cast<v1::ResourceKind>(1 + rng() % 10));
    if (rng() % 2) request.add_themes(static_cast<v1::Theme>(1 + rng() % 16));
    if (rng() % 3 == 0) request.add_region_codes(provinces[rng() % provinces.size()]);
    if (rng() % 4 == 0) request.set_sme_accessible(rng() % 2);
    if (rng() % 3 == 0) {
      request.mutable_within()->mutable_center()->set_latitude(50.8 + (rng() % 2200) / 1000.0);
      request.mutable_within()->mutable_center()->set_longitude(3.4 + (rng() % 3700) / 1000.0);
      request.mutable_within()->set_radius_km(5 + rng() % 60);
    }
    if (rng() % 3 == 0)
      request.set_text_prefix(words[rng() % words.size()].substr(0, 1 + rng() % 3));
    std::set<std::string> expected;
    for (const auto& r : all) {
      auto in = [](const auto& list, int v) {
        return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
      };
      if (!in(request.kinds(), r.kind())) continue;
      if (!request.themes().empty() &&
          std::find(r.themes().begin(), r.themes().end(), request.themes(0)) == r.themes().end())
        continue;
      if (!request.region_codes().empty() &&
          r.location().region().province() != request.region_codes(0))
        continue;
      if (request.has_sme_accessible() && r.sme_accessible() != request.sme_accessible()) continue;
      if (request.has_within()) {
        const auto& c = request.within().center();
        if (HaversineKm(c.latitude(), c.longitude(), r.location().point().latitude(),
                        r.location().point().longitude()) > request.within().radius_km())
          continue;
      }
      if (!request.text_prefix().empty()) {
        bool found = false;
        for (const auto& w : SearchIndex::Words(r.display_name()))
          found = found || absl::StartsWith(w, absl::AsciiStrToLower(request.text_prefix()));
        if (!found) continue;
      }
      expected.insert(r.id());
    }
    request.set_page_size(100);
    std::set<std::string> got;
    for (int page = 0; page < 10; ++page) {
      auto response = index.Search(request, {50, 500});
      ASSERT_TRUE(response.ok()) << response.status();
      if (page == 0) {
        EXPECT_EQ(response->total_size(), static_cast<int>(expected.size()))
            << request.ShortDebugString();
      }
      for (const auto& id : Ids(*response)) EXPECT_TRUE(got.insert(id).second) << id;
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    EXPECT_EQ(got, expected) << request.ShortDebugString();
  }
}

// Property: on thousands of resources with updates and removals, the total, every facet count and
// the first pages in order equal a brute-force scan — on every path Search can take: facets
// counted match by match or by popcount, the page ranked from the matches or walked in order.
class SearchPaths : public ::testing::TestWithParam<SearchTuning> {};

TEST_P(SearchPaths, CountFacetsAndOrderPagesLikeABruteForce) {
  std::mt19937 rng(20261128);
  const std::vector<std::string> provinces = {"PV20", "PV23", "PV26", "PV27", "PV28", "PV30"};
  const std::vector<std::string> words = {"smart", "factory", "lab",  "robot",
                                          "food",  "water",   "twin", "hub"};
  std::map<std::string, v1::Resource> all;
  SearchIndex index(GetParam());
  auto random_resource = [&](const std::string& id, int version) {
    std::string name = words[rng() % words.size()] + " " + words[rng() % words.size()];
    std::vector<v1::Theme> themes = {static_cast<v1::Theme>(1 + rng() % 16)};
    if (rng() % 2) themes.push_back(static_cast<v1::Theme>(1 + rng() % 16));
    if (themes.size() == 2 && themes[0] == themes[1]) themes.pop_back();
    auto r = Make(id, name, static_cast<v1::ResourceKind>(1 + rng() % 10), themes, 52, 5,
                  provinces[rng() % provinces.size()]);
    r.set_etag(std::to_string(version));
    return r;
  };
  for (int i = 0; i < 3000; ++i) {
    auto r = random_resource("r" + std::to_string(i), 1);
    all[r.id()] = r;
    index.Upsert(r);
  }
  for (int i = 0; i < 3000; i += 7) {  // updates move facets and names
    auto r = random_resource("r" + std::to_string(i), 2);
    all[r.id()] = r;
    index.Upsert(r);
  }
  for (int i = 3; i < 3000; i += 11) {
    all.erase("r" + std::to_string(i));
    index.Remove("r" + std::to_string(i));
  }
  using Counts = std::map<std::string, std::map<std::string, int>>;
  auto counts_of = [](const v1::SearchResourcesResponse& response) {
    Counts out;
    for (const auto& f : response.facets())
      for (const auto& v : f.values()) out[f.field()][v.value()] = v.count();
    return out;
  };
  for (int q = 0; q < 40; ++q) {
    v1::SearchResourcesRequest request;
    if (q % 4 == 1) request.add_kinds(static_cast<v1::ResourceKind>(1 + rng() % 10));
    if (q % 4 == 2) request.add_themes(static_cast<v1::Theme>(1 + rng() % 16));
    if (q % 4 == 3) request.set_text_prefix(words[rng() % words.size()].substr(0, 1 + rng() % 2));
    std::vector<const v1::Resource*> expected;
    Counts counts;
    for (const auto& [id, r] : all) {
      if (!request.kinds().empty() && r.kind() != request.kinds(0)) continue;
      if (!request.themes().empty() &&
          std::find(r.themes().begin(), r.themes().end(), request.themes(0)) == r.themes().end())
        continue;
      if (!request.text_prefix().empty()) {
        bool found = false;
        for (const auto& w : SearchIndex::Words(r.display_name()))
          found = found || absl::StartsWith(w, request.text_prefix());
        if (!found) continue;
      }
      expected.push_back(&r);
      counts["kind"][v1::ResourceKind_Name(r.kind())]++;
      counts["mobility"][v1::Mobility_Name(r.mobility())]++;
      for (int t : r.themes()) counts["theme"][v1::Theme_Name(t)]++;
      counts["province"][r.location().region().province()]++;
      counts["terms_kind"][v1::TermsKind_Name(r.terms().kind())]++;
      counts["lifecycle_state"][v1::LifecycleState_Name(r.lifecycle().state())]++;
    }
    std::sort(expected.begin(), expected.end(), [](const v1::Resource* a, const v1::Resource* b) {
      return std::make_pair(absl::AsciiStrToLower(a->display_name()), a->id()) <
             std::make_pair(absl::AsciiStrToLower(b->display_name()), b->id());
    });
    request.set_page_size(40);
    std::vector<std::string> got;
    for (int page = 0; page < 3; ++page) {
      auto response = index.Search(request, {50, 500});
      ASSERT_TRUE(response.ok()) << response.status();
      EXPECT_EQ(response->total_size(), static_cast<int>(expected.size()))
          << request.ShortDebugString();
      if (page == 0) {
        EXPECT_EQ(counts_of(*response), counts) << request.ShortDebugString();
      }
      for (const auto& h : response->hits()) got.push_back(h.resource().id());
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    std::vector<std::string> want;
    for (size_t i = 0; i < expected.size() && i < 120; ++i) want.push_back(expected[i]->id());
    EXPECT_EQ(got, want) << request.ShortDebugString();
  }
}

INSTANTIATE_TEST_SUITE_P(EveryPath, SearchPaths,
                         ::testing::Values(SearchTuning{},                    // as in production
                                           SearchTuning{0, size_t{1} << 40},  // popcount, then walk
                                           SearchTuning{0, 1},                // popcount, then rank
                                           SearchTuning{size_t{1} << 40, 1}),  // match by match
                         [](const auto& info) { return "Tuning" + std::to_string(info.index); });

}  // namespace
}  // namespace infrashare::registry
