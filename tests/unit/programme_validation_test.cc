// The programme's rules of a valid event and registration (services/programme/validation.cc):
// defaults filled, every bad field named, addresses folded as the privacy register matches them.
#include <gtest/gtest.h>

#include "services/common/errors.h"
#include "services/programme/validation.h"

namespace infrashare::programme {
namespace {

v1::Event ValidEvent() {
  v1::Event e;
  e.set_network_id("techoost");
  e.set_kind(v1::EVENT_KIND_MASTERCLASS);
  e.set_title("Masterclass 's-Hertogenbosch — Café Ñ");
  e.mutable_start_time()->set_seconds(1804136400);  // 2027-03-02T08:00:00Z
  e.mutable_end_time()->set_seconds(1804147200);
  e.set_capacity(20);
  return e;
}

TEST(ProgrammeValidation, FillsDefaultsOfAValidEvent) {
  v1::Event e = ValidEvent();
  ASSERT_TRUE(NormalizeEvent(&e).ok());
  EXPECT_EQ(e.time_zone(), "Europe/Amsterdam");
  EXPECT_EQ(e.language(), "nl");
  EXPECT_EQ(e.visibility(), v1::EVENT_VISIBILITY_NETWORK);
}

TEST(ProgrammeValidation, NamesEveryBadFieldOfAnEvent) {
  auto field_of = [](v1::Event e) { return ErrorField(NormalizeEvent(&e)); };
  v1::Event e = ValidEvent();
  e.set_title("   ");
  EXPECT_EQ(field_of(e), "event.title");
  e = ValidEvent();
  e.mutable_end_time()->set_seconds(e.start_time().seconds());
  EXPECT_EQ(field_of(e), "event.end_time");
  e = ValidEvent();
  e.mutable_end_time()->set_seconds(e.start_time().seconds() + 32LL * 24 * 3600);
  EXPECT_EQ(field_of(e), "event.end_time");
  e = ValidEvent();
  e.set_capacity(0);
  EXPECT_EQ(field_of(e), "event.capacity");
  e = ValidEvent();
  e.set_price_cents(-1);
  EXPECT_EQ(field_of(e), "event.price_cents");
  e = ValidEvent();
  e.set_time_zone("Europe/Zwolle");
  EXPECT_EQ(field_of(e), "event.time_zone");
  e = ValidEvent();
  e.set_language("nl_NL");
  EXPECT_EQ(field_of(e), "event.language");
  e = ValidEvent();
  e.add_audiences(v1::AUDIENCE_UNSPECIFIED);
  EXPECT_EQ(field_of(e), "event.audiences[0]");
  e = ValidEvent();
  e.clear_network_id();
  EXPECT_EQ(field_of(e), "event.resource_id");
  e = ValidEvent();
  e.set_language("nl-BE");
  EXPECT_EQ(field_of(e), "");
}

TEST(ProgrammeValidation, ARegistrationOfAPersonNeedsNameAndAddressFolded) {
  v1::RegisterRequest r;
  r.set_event_id("ev_1");
  ASSERT_TRUE(NormalizeRegistration(&r).ok());
  EXPECT_EQ(r.places(), 1);
  r.set_person_name("Zoë Müller");
  r.set_person_email("\u00a0ZOË.Müller@Example.NL ");
  ASSERT_TRUE(NormalizeRegistration(&r).ok());
  EXPECT_EQ(r.person_email(), "zoë.müller@example.nl");
  r.set_person_email("");
  EXPECT_EQ(ErrorField(NormalizeRegistration(&r)), "person_email");
  r.set_person_email("zoe@example.nl");
  r.set_places(101);
  EXPECT_EQ(ErrorField(NormalizeRegistration(&r)), "places");
  r.set_places(1);
  r.clear_person_name();
  EXPECT_EQ(ErrorField(NormalizeRegistration(&r)), "person_name");
}

}  // namespace
}  // namespace infrashare::programme
