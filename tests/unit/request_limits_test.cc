// The API's one table of bounds, checked on requests as users and attackers send them.
#include "services/common/request_limits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "infrashare/auth/v1/auth.pb.h"
#include "infrashare/registry/v1/registry.pb.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/errors.h"
#include "services/common/logging.h"

namespace infrashare {
namespace {

const RequestLimits kLimits = RequestLimitsFor(Config{});
constexpr int64_t kYear2027 = 1798761600;  // 2027-01-01T00:00:00Z

std::string FieldOf(const google::protobuf::Message& request) {
  auto status = CheckRequest(request, kLimits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return ErrorField(status);
}

registry::v1::CreateResourceRequest Resource() {
  registry::v1::CreateResourceRequest request;
  request.mutable_resource()->set_display_name("Één loket Café — COÖP");
  request.mutable_resource()->set_description("Regel één\nRegel twee\tmet tab");
  request.mutable_resource()->mutable_location()->mutable_address()->set_postal_code("7511 JE");
  request.set_request_id("import-2027-03:row.17");
  return request;
}

TEST(RequestLimits, OrdinaryDutchRequestsPass) {
  EXPECT_TRUE(CheckRequest(Resource(), kLimits).ok()) << CheckRequest(Resource(), kLimits);
  scheduler::v1::CreateBookingRequest booking;
  booking.mutable_start_time()->set_seconds(kYear2027);
  booking.mutable_end_time()->set_seconds(kYear2027 + 3600);
  EXPECT_TRUE(CheckRequest(booking, kLimits).ok());
}

TEST(RequestLimits, AMebibyteStringIsRefusedNamingTheFieldWithoutEchoingIt) {
  auto request = Resource();
  request.mutable_resource()->mutable_location()->mutable_address()->set_postal_code(
      std::string(1 << 20, '9'));
  auto status = CheckRequest(request, kLimits);
  EXPECT_EQ(ErrorField(status), "resource.location.address.postal_code");
  EXPECT_LT(status.message().size(), 200u);
}

TEST(RequestLimits, EachElementOfAListIsBoundedAndSoIsTheList) {
  scheduler::v1::CreateRotationPoolRequest pool;
  pool.mutable_pool()->mutable_policy()->add_handover_checklist("Accu geladen");
  pool.mutable_pool()->mutable_policy()->add_handover_checklist(std::string(1 << 20, 'x'));
  EXPECT_EQ(FieldOf(pool), "pool.policy.handover_checklist[1]");
  pool.mutable_pool()->mutable_policy()->clear_handover_checklist();
  for (int i = 0; i < 51; ++i)
    pool.mutable_pool()->mutable_policy()->add_handover_checklist("item");
  EXPECT_EQ(FieldOf(pool), "pool.policy.handover_checklist");
}

TEST(RequestLimits, NumbersMustBeFiniteAndInRange) {
  scheduler::v1::PlanRotationRequest plan;
  plan.set_sme_weight(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(FieldOf(plan), "sme_weight");
  plan.set_sme_weight(std::numeric_limits<double>::infinity());
  EXPECT_EQ(FieldOf(plan), "sme_weight");
  auth::v1::ListTokensRequest tokens;
  tokens.set_page_size(-1);
  EXPECT_EQ(FieldOf(tokens), "page_size");
  auth::v1::RotateTokenRequest rotate;
  rotate.set_overlap_seconds(-1);
  const std::string said(CheckRequest(rotate, kLimits).message());
  EXPECT_NE(said.find("between 0 and 1000000000"), std::string::npos) << said;  // not 1e+09
  registry::v1::SearchResourcesRequest search;
  search.mutable_within()->mutable_center()->set_latitude(std::nan(""));
  EXPECT_EQ(FieldOf(search), "within.center.latitude");
}

// A bound a service keeps tighter is the one the table states and the first refusal names.
TEST(RequestLimits, ServiceBoundsNameRealFieldsAndAreTheOnesChecked) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& [name, range] : ServiceBounds()) {
    const auto* field = pool->FindFieldByName(name);
    ASSERT_NE(field, nullptr) << name;
    EXPECT_EQ(BoundOf(*field, kLimits).max, range.second) << name;
  }
  registry::v1::CreateResourceRequest resource = Resource();
  resource.mutable_resource()->mutable_booking_rules()->set_buffer_after_minutes(1441);
  const std::string said(CheckRequest(resource, kLimits).message());
  EXPECT_NE(said.find("resource.booking_rules.buffer_after_minutes: must be between 0 and 1440"),
            std::string::npos)
      << said;
  scheduler::v1::FindSlotsRequest slots;
  slots.set_duration_minutes(10081);
  EXPECT_EQ(FieldOf(slots), "duration_minutes");
  EXPECT_NE(std::string(CheckRequest(slots, kLimits).message()).find("between 1 and 10080"),
            std::string::npos);
  slots.set_duration_minutes(60);
  EXPECT_TRUE(CheckRequest(slots, kLimits).ok());
}

TEST(RequestLimits, TimesOutsideTheConfiguredYearsAreRefused) {
  scheduler::v1::PlanRotationRequest plan;
  plan.mutable_horizon_start_time()->set_seconds(-62135596800);  // year 1
  plan.mutable_horizon_end_time()->set_seconds(253402300799);    // 9999-12-31
  auto status = CheckRequest(plan, kLimits);
  EXPECT_EQ(ErrorField(status), "horizon_start_time");
  scheduler::v1::CreateBookingRequest booking;
  booking.mutable_start_time()->set_seconds(127174492800);  // year 6000
  booking.mutable_end_time()->set_seconds(127174492800 + 3600);
  EXPECT_EQ(FieldOf(booking), "start_time");
  booking.mutable_start_time()->set_seconds(kYear2027);
  booking.mutable_end_time()->set_seconds(kYear2027);
  booking.mutable_end_time()->set_nanos(-1);
  EXPECT_EQ(FieldOf(booking), "end_time");
}

TEST(RequestLimits, IdsAndRequestIdsArePrintableAndShort) {
  registry::v1::GetResourceRequest get;
  get.set_id(std::string(10 * 1024, 'a'));
  EXPECT_EQ(FieldOf(get), "id");
  auto request = Resource();
  request.set_request_id("abc\ninfo rpc method=auth.CreateToken status=OK");
  EXPECT_EQ(FieldOf(request), "request_id");
  request.set_request_id(std::string(129, 'r'));
  EXPECT_EQ(FieldOf(request), "request_id");
}

TEST(RequestLimits, UnknownEnumValuesAndControlCharactersInNamesAreRefused) {
  auto request = Resource();
  request.mutable_resource()->set_kind(static_cast<registry::v1::ResourceKind>(999));
  EXPECT_EQ(FieldOf(request), "resource.kind");
  request = Resource();
  request.mutable_resource()->set_display_name("Lab\r\nSet-Cookie: x");
  EXPECT_EQ(FieldOf(request), "resource.display_name");
}

// Text that looks other than it is: a name that reads backwards (U+202E), an isolate, a byte order
// mark, a C1 control, a line separator; in names and free text alike. Neighbours of those code
// points (a right-to-left mark, an en dash, "Ø", a no-break space) stay allowed.
TEST(RequestLimits, HiddenFormattingCharactersAreRefusedInEveryTextField) {
  for (const char* hidden :
       {"\u202E", "\u202A", "\u2066", "\u2069", "\uFEFF", "\u0085", "\u009F", "\u2028"}) {
    auto request = Resource();
    request.mutable_resource()->set_display_name(std::string("Lab ") + hidden + "bal");
    EXPECT_EQ(FieldOf(request), "resource.display_name") << hidden;
    request = Resource();
    request.mutable_resource()->set_description(std::string(hidden) + "Regel één");
    EXPECT_EQ(FieldOf(request), "resource.description") << hidden;
  }
  for (const char* fine : {"\u200F", "\u2013", "\u00D8", "\u00A0", "\u2070", "\uFEFE"}) {
    auto request = Resource();
    request.mutable_resource()->set_display_name(std::string("Lab ") + fine + " Zwolle");
    EXPECT_TRUE(CheckRequest(request, kLimits).ok()) << fine;
  }
}

TEST(RequestLimits, EveryRequestFieldOfEveryServiceIsDocumented) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const auto* registry = pool->FindServiceByName("infrashare.registry.v1.RegistryService");
  ASSERT_NE(registry, nullptr);
  const std::string doc = LimitsMarkdown({registry}, kLimits);
  EXPECT_NE(doc.find("### infrashare.registry.v1.Address"), std::string::npos);
  EXPECT_NE(doc.find("| `postal_code` | string | at most 32 bytes"), std::string::npos);
}

// 1000 bad list entries: the message counts them all, the BadRequest details name the first 20
// (all of them would make trailers larger than gRPC clients accept by default, 8 KiB).
TEST(FieldErrors, ManyViolationsKeepTheErrorSmall) {
  FieldErrors errors;
  for (int i = 0; i < 1000; ++i)
    errors.Add("rules[" + std::to_string(i) + "].rrule", "FREQ=MINUTELY is not supported");
  const absl::Status status = errors.ToStatus();
  EXPECT_NE(status.message().find("(and 999 more)"), std::string::npos) << status.message();
  const auto payload = status.GetPayload("type.googleapis.com/google.rpc.BadRequest");
  ASSERT_TRUE(payload.has_value());
  google::rpc::BadRequest bad;
  ASSERT_TRUE(bad.ParseFromString(std::string(*payload)));
  EXPECT_EQ(bad.field_violations_size(), 20);
  EXPECT_EQ(bad.field_violations(0).field(), "rules[0].rrule");
  EXPECT_LT(bad.ByteSizeLong(), 4096u);
}

TEST(LogLines, AValueCannotForgeALineOrAFieldAndIsBounded) {
  const std::string line = logging::Render(
      "info", "rpc", {{"request_id", "x\ninfo rpc status=OK \"org\"=admin"}}, false);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line, "rpc request_id=\"x\\ninfo rpc status=OK \\\"org\\\"=admin\"");
  const std::string separators =
      logging::Render("info", "rpc", {{"request_id", "Z\u2028\u0085é"}}, false);
  EXPECT_EQ(separators, "rpc request_id=\"Z\\u2028\\u0085é\"");
  const std::string long_line =
      logging::Render("info", "rpc", {{"request_id", std::string(1 << 20, 'a')}}, false);
  EXPECT_LT(long_line.size(), 400u);
  EXPECT_NE(long_line.find("(1048576 bytes)"), std::string::npos);
  const std::string json =
      logging::Render("info", "rpc", {{"request_id", std::string(1 << 20, 'a')}}, true);
  EXPECT_LT(json.size(), 400u);
}

}  // namespace
}  // namespace infrashare
