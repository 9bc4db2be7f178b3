#include "services/registry/validation.h"

#include <gtest/gtest.h>

#include "services/common/paging.h"

namespace infrashare::registry {
namespace {

v1::Resource Lab() {
  v1::Resource r;
  r.set_display_name("Smart Factory Lab");
  r.set_kind(v1::RESOURCE_KIND_LAB);
  r.set_owner_organization_id("org-1");
  r.mutable_location()->mutable_point()->set_latitude(52.5);
  r.mutable_location()->mutable_point()->set_longitude(6.1);
  r.mutable_location()->mutable_region()->set_province("PV23");
  r.add_themes(v1::THEME_MANUFACTURING);
  return r;
}

std::vector<std::string> Fields(const v1::Resource& r) {
  FieldErrors errors;
  Validate(r, "resource", &errors);
  std::vector<std::string> out;
  absl::Status status = errors.ToStatus();
  if (status.ok()) return out;
  out.push_back(ErrorField(status));
  return out;
}

TEST(ResourceValidation, DefaultsMakeAMinimalLabValid) {
  v1::Resource r = Lab();
  ApplyDefaults(&r);
  EXPECT_EQ(r.mobility(), v1::MOBILITY_FIXED);
  EXPECT_EQ(r.time_zone(), "Europe/Amsterdam");
  EXPECT_EQ(r.booking_mode(), v1::BOOKING_MODE_EXCLUSIVE);
  EXPECT_EQ(r.capacity(), 1);
  EXPECT_EQ(r.lifecycle().state(), v1::LIFECYCLE_STATE_ACTIVE);
  EXPECT_TRUE(Fields(r).empty());
}

TEST(ResourceValidation, DigitalKindsDefaultToVirtualAndNeedAUrl) {
  v1::Resource r = Lab();
  r.set_kind(v1::RESOURCE_KIND_DIGITAL_TWIN);
  r.clear_location();
  ApplyDefaults(&r);
  EXPECT_EQ(r.mobility(), v1::MOBILITY_VIRTUAL);
  EXPECT_EQ(Fields(r), std::vector<std::string>{"resource.url"});
  r.set_url("https://twin.example.nl");
  EXPECT_TRUE(Fields(r).empty());
}

TEST(ResourceValidation, MobileLabNeedsAHomeBase) {
  v1::Resource r = Lab();
  r.set_kind(v1::RESOURCE_KIND_MOBILE_LAB);
  r.clear_location();
  ApplyDefaults(&r);
  EXPECT_EQ(Fields(r), std::vector<std::string>{"resource.home_base"});
}

TEST(ResourceValidation, NamesTheBadField) {
  struct Case {
    std::function<void(v1::Resource*)> spoil;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](v1::Resource* r) { r->set_display_name(""); }, "resource.display_name"},
      {[](v1::Resource* r) { r->set_display_name(std::string(201, 'x')); },
       "resource.display_name"},
      {[](v1::Resource* r) { r->set_kind(static_cast<v1::ResourceKind>(99)); }, "resource.kind"},
      {[](v1::Resource* r) { r->mutable_location()->mutable_point()->set_latitude(91); },
       "resource.location.point.latitude"},
      {[](v1::Resource* r) { r->mutable_location()->mutable_point()->set_longitude(-181); },
       "resource.location.point.longitude"},
      {[](v1::Resource* r) { r->mutable_location()->mutable_region()->set_province("PV99"); },
       "resource.location.region.province"},
      {[](v1::Resource* r) { r->mutable_location()->mutable_region()->set_municipality("GM12"); },
       "resource.location.region.municipality"},
      {[](v1::Resource* r) {  // the format of a code, but no municipality of today
         r->mutable_location()->mutable_region()->set_municipality("GM9999");
       },
       "resource.location.region.municipality"},
      {[](v1::Resource* r) {  // Utrecht (the city) is not in Overijssel
         r->mutable_location()->mutable_region()->set_municipality("GM0344");
       },
       "resource.location.region.municipality"},
      {[](v1::Resource* r) { r->mutable_location()->mutable_region()->set_corop("CR17"); },
       "resource.location.region.corop"},  // Utrecht's COROP area is not in Overijssel
      {[](v1::Resource* r) { r->set_time_zone("Europe/Atlantis"); }, "resource.time_zone"},
      {[](v1::Resource* r) {  // '|' separates tags in the CSV export
         r->add_tags("cnc");
         r->add_tags("x|y");
       },
       "resource.tags[1]"},
      {[](v1::Resource* r) {
         r->mutable_lifecycle()->set_state(v1::LIFECYCLE_STATE_PLANNED);
         r->mutable_lifecycle()->set_expected_date("9999-12-31");
       },
       "resource.lifecycle.expected_date"},
      {[](v1::Resource* r) { r->set_capacity(5); }, "resource.capacity"},
      {[](v1::Resource* r) { r->set_owner_organization_id("Not An Id"); },
       "resource.owner_organization_id"},
      {[](v1::Resource* r) { r->add_themes(v1::THEME_MANUFACTURING); }, "resource.themes[1]"},
      {[](v1::Resource* r) { r->mutable_terms()->set_kind(v1::TERMS_KIND_TARIFF); },
       "resource.terms.tariff_per_hour_cents"},
      {[](v1::Resource* r) {
         r->mutable_booking_rules()->set_min_duration_minutes(120);
         r->mutable_booking_rules()->set_max_duration_minutes(60);
       },
       "resource.booking_rules.max_duration_minutes"},
      {[](v1::Resource* r) { r->mutable_lifecycle()->set_state(v1::LIFECYCLE_STATE_PLANNED); },
       "resource.lifecycle.expected_date"},
      {[](v1::Resource* r) {
         auto* s = r->add_staff();
         s->set_name("An");
         s->set_role(v1::STAFF_ROLE_FACILITY_MANAGER);
         s->set_email("not-an-address");
       },
       "resource.staff[0].email"},
      {[](v1::Resource* r) {
         r->mutable_location()->mutable_address()->set_postal_code("12345");
         r->mutable_location()->mutable_address()->set_country("NL");
       },
       "resource.location.address.postal_code"},
  };
  for (const auto& c : cases) {
    v1::Resource r = Lab();
    ApplyDefaults(&r);
    c.spoil(&r);
    auto fields = Fields(r);
    ASSERT_EQ(fields.size(), 1u) << c.field;
    EXPECT_EQ(fields[0], c.field);
  }
}

TEST(ResourceValidation, UpdateMaskRefusesServerOwnedAndUnknownPaths) {
  google::protobuf::FieldMask mask;
  mask.add_paths("display_name");
  mask.add_paths("location.point");
  EXPECT_TRUE(CheckUpdateMask(mask, v1::Resource::descriptor(), "resource").ok());
  mask.add_paths("etag");
  EXPECT_EQ(ErrorField(CheckUpdateMask(mask, v1::Resource::descriptor(), "resource")),
            "update_mask.paths[2]");
  google::protobuf::FieldMask unknown;
  unknown.add_paths("colour");
  EXPECT_FALSE(CheckUpdateMask(unknown, v1::Resource::descriptor(), "resource").ok());
  google::protobuf::FieldMask owner;
  owner.add_paths("owner_organization_id");
  EXPECT_FALSE(CheckUpdateMask(owner, v1::Resource::descriptor(), "resource").ok());
}

TEST(ResourceValidation, ApplyUpdateReplacesOnlyMaskedFields) {
  v1::Resource target = Lab();
  target.add_tags("cnc");
  v1::Resource patch;
  patch.set_display_name("Renamed");
  patch.add_tags("robotics");
  google::protobuf::FieldMask mask;
  mask.add_paths("tags");
  ApplyUpdate(patch, mask, &target);
  EXPECT_EQ(target.display_name(), "Smart Factory Lab");
  ASSERT_EQ(target.tags_size(), 1);
  EXPECT_EQ(target.tags(0), "robotics");
}

TEST(AvailabilityValidation, NamesRuleAndClosureFields) {
  v1::PublishAvailabilityRequest request;
  auto* rule = request.add_rules();
  rule->set_rrule("FREQ=WEEKLY;BYDAY=MO");
  rule->set_start_time("08:30");
  rule->set_duration_minutes(480);
  rule->set_valid_from("2026-01-01");
  FieldErrors ok;
  ValidateAvailability(request, &ok);
  EXPECT_TRUE(ok.empty());

  rule->set_rrule("FREQ=SOMETIMES");
  FieldErrors bad_rule;
  ValidateAvailability(request, &bad_rule);
  EXPECT_EQ(ErrorField(bad_rule.ToStatus()), "rules[0].rrule");

  rule->set_rrule("FREQ=DAILY");
  auto* closure = request.add_closures();
  closure->mutable_start_time()->set_seconds(2000);
  closure->mutable_end_time()->set_seconds(1000);
  FieldErrors bad_closure;
  ValidateAvailability(request, &bad_closure);
  EXPECT_EQ(ErrorField(bad_closure.ToStatus()), "closures[0].end_time");
}

TEST(AvailabilityValidation, BoundsHowFarARuleReaches) {
  v1::PublishAvailabilityRequest request;
  auto* rule = request.add_rules();
  rule->set_rrule("FREQ=DAILY;COUNT=10001");
  rule->set_start_time("08:30");
  rule->set_duration_minutes(480);
  rule->set_valid_from("2026-01-01");
  FieldErrors count;
  ValidateAvailability(request, &count);
  EXPECT_EQ(ErrorField(count.ToStatus()), "rules[0].rrule");

  rule->set_rrule("FREQ=DAILY;COUNT=10000");
  rule->set_valid_from("1969-12-31");
  FieldErrors from;
  ValidateAvailability(request, &from);
  EXPECT_EQ(ErrorField(from.ToStatus()), "rules[0].valid_from");

  rule->set_valid_from("2026-01-01");
  rule->set_valid_until("2201-01-01");
  FieldErrors until;
  ValidateAvailability(request, &until);
  EXPECT_EQ(ErrorField(until.ToStatus()), "rules[0].valid_until");

  // A COUNT rule whose last date takes more than kMaxCountWalkSteps to find from valid_from.
  rule->set_rrule("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=10000");
  rule->set_valid_from("1970-01-01");
  rule->clear_valid_until();
  FieldErrors sparse;
  ValidateAvailability(request, &sparse);
  EXPECT_EQ(ErrorField(sparse.ToStatus()), "rules[0].rrule");
}

TEST(PageSizes, DefaultMaximumAndNegative) {
  EXPECT_EQ(*PageSize(0, 50, 500), 50);
  EXPECT_EQ(*PageSize(10, 50, 500), 10);
  EXPECT_EQ(ErrorField(PageSize(501, 50, 500).status()), "page_size");
  EXPECT_EQ(ErrorField(PageSize(-1, 50, 500).status()), "page_size");
}

}  // namespace
}  // namespace infrashare::registry

namespace infrashare {
namespace {

// FindSlots validates its `search` as SearchResources does: the errors name the request's path.
TEST(FieldErrorsUnderAParent, NameEveryFieldFromTheRequest) {
  FieldErrors errors;
  errors.Add("within.center.latitude", "must be between -90 and 90");
  errors.Add("within.radius_km", "must be above 0 and at most 1000");
  const absl::Status status = UnderField(errors.ToStatus(), "search");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "search.within.center.latitude: must be between -90 and 90 (and 1 more)");
  EXPECT_EQ(ErrorField(status), "search.within.center.latitude");
  EXPECT_EQ(ErrorMetadata(status, "field"), "search.within.center.latitude");
  EXPECT_EQ(ErrorReason(status), "INVALID_FIELD");
  // Other statuses pass through.
  const absl::Status outage = UnderField(absl::UnavailableError("redis down"), "search");
  EXPECT_EQ(outage, absl::UnavailableError("redis down"));
}

}  // namespace
}  // namespace infrashare
