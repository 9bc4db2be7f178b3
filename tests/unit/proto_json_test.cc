// Answers as JSON with the JSON of their entities kept (AnswerJson): always the JSON protobuf's
// converter writes for the whole answer (compared as parsed JSON: only the order of an object's
// members may differ), cold or warm, after an entity changes, with a small or no budget.
#include "services/http/proto_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "infrashare/registry/v1/registry.pb.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"

namespace infrashare::http {
namespace {

namespace reg = infrashare::registry::v1;
namespace sch = infrashare::scheduler::v1;

reg::Resource MakeResource(int i) {
  reg::Resource r;
  r.set_id("res-" + std::to_string(i));
  r.set_display_name("Laboratorium \"Zuidas\" " + std::to_string(i) + " — Curaçao; café");
  r.set_kind(reg::RESOURCE_KIND_LAB);
  r.set_owner_organization_id("roc-ëindhoven");
  r.add_tags("praktijkleren");
  r.add_themes(reg::THEME_ENERGY_TRANSITION);
  r.mutable_location()->mutable_point()->set_latitude(52.0 + i * 0.001);
  r.mutable_location()->mutable_point()->set_longitude(6.1 / 3);
  r.set_capacity(1 + i);
  r.set_etag(std::to_string(i + 1));
  r.mutable_audit()->mutable_create_time()->set_seconds(1765000000 + i);
  r.mutable_audit()->mutable_update_time()->set_nanos(5000000);
  return r;
}

reg::SearchResourcesResponse MakeSearch(int first, int count, double from) {
  reg::SearchResourcesResponse answer;
  for (int i = first; i < first + count; ++i) {
    auto* hit = answer.add_hits();
    *hit->mutable_resource() = MakeResource(i);
    hit->set_distance_km(from + i / 7.0);
  }
  answer.set_total_size(first + count + 3);
  auto* facet = answer.add_facets();
  facet->set_field("kind");
  facet->add_values()->set_value("RESOURCE_KIND_LAB");
  answer.set_next_page_token("tok+/=");
  return answer;
}

// The JSON, which must name no member twice in one object (nlohmann would keep the last silently).
nlohmann::json Parsed(const std::string& text) {
  const auto mistake = JsonShapeMistake(text);
  EXPECT_FALSE(mistake) << *mistake;
  return nlohmann::json::parse(text);
}

std::string Whole(const google::protobuf::Message& answer) {
  return BytesToJson(*answer.GetDescriptor(), answer.SerializeAsString()).value_or("no JSON");
}

const auto kLong = std::chrono::hours(1);

// Writes `answer` with `writer` and checks it against the converter's JSON of the whole.
void ExpectSameAsWhole(AnswerJson* writer, const google::protobuf::Message& answer) {
  const std::string bytes = answer.SerializeAsString();
  const std::string written = writer->Write(*answer.GetDescriptor(), bytes).value_or("no JSON");
  EXPECT_EQ(Parsed(written), Parsed(Whole(answer))) << written;
}

TEST(JsonShapeMistake, NamesTheFirstMemberNamedTwiceAndStopsAtProtobufsDepth) {
  EXPECT_EQ(JsonShapeMistake(R"({"a":{"b":1},"c":{"b":2}})"), std::nullopt);
  EXPECT_EQ(JsonShapeMistake(R"({"a":{"b_c":1,"bC":2}})"), "an object names \"bC\" twice");
  auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  EXPECT_EQ(JsonShapeMistake(nested(100)), std::nullopt);
  EXPECT_EQ(JsonShapeMistake(nested(101)), "the JSON nests deeper than 100 levels");
  // Unclosed: refused at the 101st level, before the rest is read.
  EXPECT_EQ(JsonShapeMistake(std::string(4 << 20, '[')), "the JSON nests deeper than 100 levels");
  EXPECT_EQ(JsonShapeMistake("{\"a\": "), std::nullopt);  // protobuf's parser says why
}

TEST(AnswerJson, WritesWhatTheConverterWritesColdAndWarm) {
  AnswerJson writer(1 << 20, kLong);
  const reg::SearchResourcesResponse answer = MakeSearch(0, 20, 0.5);
  // Cold: 20 new entities, more than are written on their own: the whole answer, 4 of them kept.
  ExpectSameAsWhole(&writer, answer);
  EXPECT_EQ(writer.counts().whole, 1);
  EXPECT_EQ(writer.counts().kept_new, 4);
  for (int i = 0; i < 6; ++i) ExpectSameAsWhole(&writer, answer);
  // Warm: every resource written from its kept JSON.
  const long long used = writer.counts().kept_used;
  ExpectSameAsWhole(&writer, answer);
  EXPECT_EQ(writer.counts().kept_used, used + 20);
  EXPECT_EQ(writer.counts().kept_new, 20);
}

TEST(AnswerJson, KeepsEntitiesNotTheirPlaceInAnAnswer) {
  AnswerJson writer(1 << 20, kLong);
  for (int i = 0; i < 8; ++i) ExpectSameAsWhole(&writer, MakeSearch(0, 20, 0.5));
  const long long used = writer.counts().kept_used;
  // Another search: other distances, other page, the same resources.
  ExpectSameAsWhole(&writer, MakeSearch(5, 10, 3.25));
  EXPECT_EQ(writer.counts().kept_used, used + 10);
}

TEST(AnswerJson, AChangedEntityIsWrittenAnew) {
  AnswerJson writer(1 << 20, kLong);
  reg::SearchResourcesResponse answer = MakeSearch(0, 3, 1);
  ExpectSameAsWhole(&writer, answer);
  answer.mutable_hits(1)->mutable_resource()->set_display_name("Hernoemd");
  answer.mutable_hits(1)->mutable_resource()->set_etag("9");
  const std::string written =
      writer.Write(*answer.GetDescriptor(), answer.SerializeAsString()).value_or("no JSON");
  EXPECT_EQ(Parsed(written)["hits"][1]["resource"]["displayName"], "Hernoemd");
  ExpectSameAsWhole(&writer, answer);
}

TEST(AnswerJson, EmptyAndPartialAnswers) {
  AnswerJson writer(1 << 20, kLong);
  const std::optional<std::string> empty =
      writer.Write(*reg::SearchResourcesResponse::descriptor(), "");
  EXPECT_EQ(empty, std::optional<std::string>("{}"));
  reg::SearchResourcesResponse only_hits;
  only_hits.add_hits()->mutable_resource();     // a hit with an empty resource
  only_hits.add_hits()->set_distance_km(0.25);  // a hit without one
  ExpectSameAsWhole(&writer, only_hits);
  reg::SearchResourcesResponse no_hits = MakeSearch(0, 0, 0);
  ExpectSameAsWhole(&writer, no_hits);
  sch::ListBookingsResponse bookings;
  for (int i = 0; i < 3; ++i) {
    auto* b = bookings.add_bookings();
    b->set_id("b" + std::to_string(i));
    b->set_resource_id("res-1");
    b->mutable_start_time()->set_seconds(253402300000LL - 3600 * (i + 1));  // year 9999
    b->set_etag("1");
  }
  ExpectSameAsWhole(&writer, bookings);
  ExpectSameAsWhole(&writer, bookings);
  EXPECT_GT(writer.counts().kept_used, 0);
}

TEST(AnswerJson, BytesThatAreNoAnswerGetWhatTheConverterMakesOfThem) {
  AnswerJson writer(1 << 20, kLong);
  const std::string bad = "\x0a\x7f\x01";  // field 1 says 127 bytes follow; one does
  EXPECT_EQ(writer.Write(*reg::SearchResourcesResponse::descriptor(), bad),
            BytesToJson(*reg::SearchResourcesResponse::descriptor(), bad));
  EXPECT_EQ(writer.counts().kept_new + writer.counts().kept_used + writer.counts().whole, 0);
}

TEST(AnswerJson, WithoutBudgetOrWithALittleItStaysRight) {
  AnswerJson none(0, kLong);
  const reg::SearchResourcesResponse answer = MakeSearch(0, 20, 0.5);
  const std::string bytes = answer.SerializeAsString();
  EXPECT_EQ(none.Write(*answer.GetDescriptor(), bytes),
            BytesToJson(*answer.GetDescriptor(), bytes));
  EXPECT_EQ(none.counts().kept_new, 0);
  AnswerJson small(8192, kLong);  // a few resources at a time: generations turn constantly
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    const int first = static_cast<int>(random() % 40);
    const int count = static_cast<int>(random() % 8);
    ExpectSameAsWhole(&small, MakeSearch(first, count, round * 0.01));
  }
  EXPECT_GT(small.counts().kept_used, 0);
}

sch::ListBookingsResponse OneBooking(int i) {
  sch::ListBookingsResponse answer;
  auto* booking = answer.add_bookings();
  booking->set_id("b" + std::to_string(i));
  booking->set_etag("1");
  return answer;
}

TEST(AnswerJson, AnAnswerTheConverterCannotWriteIsNone) {
  AnswerJson writer(1 << 20, kLong);
  sch::ListBookingsResponse answer = OneBooking(1);
  answer.mutable_bookings(0)->mutable_start_time()->set_seconds(253402300800LL);  // year 10000
  EXPECT_EQ(writer.Write(*answer.GetDescriptor(), answer.SerializeAsString()), std::nullopt);
  EXPECT_EQ(BytesToJson(*answer.GetDescriptor(), answer.SerializeAsString()), std::nullopt);
  EXPECT_EQ(writer.counts().entries, 0u);
}

TEST(AnswerJson, SmallEntitiesCountWhatTheyCostBesideTheirText) {
  constexpr size_t kBudget = 64 << 10;
  AnswerJson writer(kBudget, kLong);
  size_t most = 0;
  for (int i = 0; i < 3000; ++i) {
    ExpectSameAsWhole(&writer, OneBooking(i));  // some 40 bytes of JSON each
    most = std::max(most, writer.counts().entries);
  }
  EXPECT_EQ(writer.counts().kept_new, 3000);
  EXPECT_LE(most, kBudget / AnswerJson::kEntryAllowance);
  EXPECT_GT(most, kBudget / AnswerJson::kEntryAllowance / 4);
}

TEST(AnswerJson, AVersionNoAnswerUsesIsGoneWithinTwoTurns) {
  auto now = std::chrono::steady_clock::time_point();
  AnswerJson writer(1 << 20, std::chrono::minutes(5), [&now] { return now; });
  const sch::ListBookingsResponse erased = OneBooking(1), read = OneBooking(2);
  ExpectSameAsWhole(&writer, erased);
  ExpectSameAsWhole(&writer, read);
  EXPECT_EQ(writer.counts().entries, 2u);
  now += std::chrono::minutes(5);
  ExpectSameAsWhole(&writer, read);  // turns; `read` is used again, `erased` only old
  now += std::chrono::minutes(4);
  ExpectSameAsWhole(&writer, sch::ListBookingsResponse());  // not yet due
  EXPECT_EQ(writer.counts().entries, 3u);                   // old: both; young: `read` again
  now += std::chrono::minutes(1);
  ExpectSameAsWhole(&writer, sch::ListBookingsResponse());  // turns: the old one is dropped
  EXPECT_EQ(writer.counts().entries, 1u);
  const long long used = writer.counts().kept_used;
  ExpectSameAsWhole(&writer, read);
  EXPECT_EQ(writer.counts().kept_used, used + 1);
}

}  // namespace
}  // namespace infrashare::http
