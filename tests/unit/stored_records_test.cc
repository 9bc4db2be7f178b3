// Reading stored records back when Redis holds something no server wrote: times a Timestamp cannot
// hold, times before 1970, fields of the wrong JSON type. Each case is one the fuzz target
// tests/fuzz/stored_records_fuzzer.cc found or guards (its regression inputs are in
// tests/fuzz/corpus/stored_records/).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "services/common/clock.h"
#include "services/desk/desk_store.h"
#include "services/scheduler/booking_policy.h"
#include "services/scheduler/booking_store.h"

namespace infrashare {
namespace {

TEST(TimestampOfMs, RefusesWhatATimestampCannotHold) {
  EXPECT_EQ(TimestampOfMs(1799049600123)->seconds(), 1799049600);
  EXPECT_EQ(TimestampOfMs(1799049600123)->nanos(), 123000000);
  EXPECT_EQ(TimestampOfMs(253402300799999)->seconds(), 253402300799);  // 9999-12-31T23:59:59.999Z
  EXPECT_FALSE(TimestampOfMs(253402300800000));
  EXPECT_FALSE(TimestampOfMs(std::numeric_limits<int64_t>::max()));
  EXPECT_FALSE(TimestampOfMs(std::numeric_limits<int64_t>::min()));
}

TEST(StoredBooking, TimeBefore1970KeepsItsNanosInRange) {
  auto booking =
      scheduler::ParseStoredBooking(R"({"s": "-1", "e": "-1500", "cr": "-9223372036854775808"})");
  ASSERT_TRUE(booking.ok());
  EXPECT_EQ(booking->start_time().seconds(), -1);
  EXPECT_EQ(booking->start_time().nanos(), 999000000);
  EXPECT_EQ(booking->end_time().seconds(), -2);
  EXPECT_EQ(booking->end_time().nanos(), 500000000);
  EXPECT_GE(booking->create_time().nanos(), 0);
  EXPECT_EQ(scheduler::ToEpochMs(booking->end_time()), -1500);
}

TEST(StoredInquiry, TimePastYear9999ReadsAsUnsetInsteadOfAborting) {
  desk::FieldMap fields = {
      {"id", "inq-1"}, {"st", "OFFERED"}, {"od", "1791799049600000"}, {"cr", "1799049600000"}};
  const desk::v1::Inquiry inquiry = desk::InquiryFromFields(fields);
  EXPECT_EQ(inquiry.state(), desk::v1::INQUIRY_STATE_OFFERED);
  EXPECT_FALSE(inquiry.has_offer_deadline());
  EXPECT_EQ(inquiry.create_time().seconds(), 1799049600);
}

TEST(StoredHistory, MistypedFieldsReadAsEmptyInsteadOfThrowing) {
  const auto entry =
      desk::HistoryFromJson(R"({"t": "1799049600000", "k": 7, "a": ["x"], "l": "2", "n": "ok"})");
  EXPECT_FALSE(entry.has_time());
  EXPECT_EQ(entry.kind(), desk::v1::HISTORY_KIND_UNSPECIFIED);
  EXPECT_EQ(entry.actor(), "");
  EXPECT_EQ(entry.level(), 0);
  EXPECT_EQ(entry.note(), "ok");
}

TEST(StoredHistory, TimeWrittenAsAFloatIsReadAndOneBeyondInt64IsNot) {
  EXPECT_EQ(desk::HistoryFromJson(R"({"t": 1.7990496e12, "l": 2})").time().seconds(), 1799049600);
  EXPECT_EQ(desk::HistoryFromJson(R"({"t": 1.7990496e12, "l": 2})").level(), 2);
  EXPECT_FALSE(desk::HistoryFromJson(R"({"t": 1799049444444444444444444444444444441})").has_time());
}

}  // namespace
}  // namespace infrashare
