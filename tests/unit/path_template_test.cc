// The path templates of google.api.http rules: what parses, what matches, what each variable gets.
#include "services/http/path_template.h"

#include <gtest/gtest.h>

namespace infrashare::http {
namespace {

using Bound = std::vector<std::pair<std::string, std::string>>;

PathTemplate Parsed(const std::string& text) {
  auto parsed = PathTemplate::Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : *PathTemplate::Parse("/");
}

TEST(PathTemplate, MatchesALiteralPathAndNothingLongerOrShorter) {
  const PathTemplate t = Parsed("/v1/bookings");
  EXPECT_EQ(t.Match("/v1/bookings"), Bound{});
  EXPECT_FALSE(t.Match("/v1/bookings/x"));
  EXPECT_FALSE(t.Match("/v1"));
  EXPECT_FALSE(t.Match("/v1/bookings/"));
  EXPECT_FALSE(t.Match("/v1/Bookings"));
}

TEST(PathTemplate, BindsAVariableToOneDecodedSegment) {
  const PathTemplate t = Parsed("/v1/resources/{id}");
  EXPECT_EQ(t.Match("/v1/resources/res_1"), (Bound{{"id", "res_1"}}));
  // Percent-encoded text, Dutch diacritics in UTF-8 and an encoded slash stay one value.
  EXPECT_EQ(t.Match("/v1/resources/Cura%C3%A7ao%2Fzuid"), (Bound{{"id", "Curaçao/zuid"}}));
  EXPECT_FALSE(t.Match("/v1/resources/"));
  EXPECT_FALSE(t.Match("/v1/resources/a/b"));
  EXPECT_FALSE(t.Match("/v1/resources/%zz"));  // a malformed escape
  EXPECT_FALSE(t.Match("/v1/resources/%4"));
  EXPECT_EQ(t.Variables(), std::vector<std::string>{"id"});
}

TEST(PathTemplate, ACustomVerbMustBeThereAndIsNotPartOfTheVariable) {
  const PathTemplate t = Parsed("/v1/bookings/{id}:approve");
  EXPECT_EQ(t.verb(), "approve");
  EXPECT_EQ(t.Match("/v1/bookings/b1:approve"), (Bound{{"id", "b1"}}));
  EXPECT_FALSE(t.Match("/v1/bookings/b1"));
  EXPECT_FALSE(t.Match("/v1/bookings/b1:reject"));
  EXPECT_FALSE(t.Match("/v1/bookings/:approve"));
  const PathTemplate collection = Parsed("/v1/resources:search");
  EXPECT_EQ(collection.Match("/v1/resources:search"), Bound{});
  EXPECT_FALSE(collection.Match("/v1/resources"));
  // Without a verb in the template, a colon is part of the value.
  EXPECT_EQ(Parsed("/v1/x/{id}").Match("/v1/x/a:b"), (Bound{{"id", "a:b"}}));
}

TEST(PathTemplate, BindsNestedFieldsAndMultiSegmentPatterns) {
  const PathTemplate t = Parsed("/v1/{name=networks/*/resources/*}");
  EXPECT_EQ(t.Match("/v1/networks/n1/resources/r2"), (Bound{{"name", "networks/n1/resources/r2"}}));
  EXPECT_FALSE(t.Match("/v1/networks/n1/things/r2"));
  EXPECT_EQ(t.Display(), "/v1/{name}");
  const PathTemplate nested = Parsed("/v1/resources/{resource.id}");
  EXPECT_EQ(nested.Match("/v1/resources/r1"), (Bound{{"resource.id", "r1"}}));
  const PathTemplate rest = Parsed("/v1/files/{path=**}");
  // A "**" value keeps its encoded slashes encoded: they are not segment boundaries.
  EXPECT_EQ(rest.Match("/v1/files/a/b%2Fc/d"), (Bound{{"path", "a/b%2Fc/d"}}));
  EXPECT_FALSE(rest.Match("/v1/files/a//d"));
}

TEST(PathTemplate, RefusesMalformedTemplates) {
  for (const char* bad :
       {"v1/x", "/v1//x", "/v1/{id", "/v1/id}", "/v1/{}", "/v1/{1id}", "/v1/{a.}",
        "/v1/x:", "/v1/{id}/{id}", "/v1/**/x", "/v1/{a={b}}", "/v1/x*y", "/v1/{id=}"}) {
    EXPECT_FALSE(PathTemplate::Parse(bad).ok()) << bad;
  }
}

TEST(PathTemplate, DisplaysTheTemplateAsOpenApiWritesIt) {
  EXPECT_EQ(Parsed("/v1/bookings/{id}:approve").Display(), "/v1/bookings/{id}:approve");
  EXPECT_EQ(Parsed("/v1/a/*/b").Display(), "/v1/a/*/b");
}

TEST(PercentDecode, DecodesEscapesAndRefusesBrokenOnes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(PercentDecode("a%2Fc", true), "a%2Fc");
  EXPECT_EQ(PercentDecode("%e2%82%ac"), "€");
  EXPECT_FALSE(PercentDecode("%"));
  EXPECT_FALSE(PercentDecode("%g0"));
}

}  // namespace
}  // namespace infrashare::http
