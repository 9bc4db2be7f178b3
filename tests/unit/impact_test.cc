// The impact report's pure parts: the period rules and the CSV export.
#include "services/impact/impact.h"

#include <gtest/gtest.h>

#include "services/common/errors.h"
#include "services/impact/export.h"

namespace infrashare::impact {
namespace {

v1::ImpactReportRequest Period(int64_t start_s, int64_t end_s) {
  v1::ImpactReportRequest request;
  request.mutable_start_time()->set_seconds(start_s);
  request.mutable_end_time()->set_seconds(end_s);
  return request;
}

TEST(ImpactPeriod, RefusesBackwardsEmptyAndOverlongPeriodsNamingTheField) {
  constexpr int64_t kDay = 86400;
  const int64_t t = 1798761600;  // 2027-01-01
  EXPECT_TRUE(ReportPeriod(Period(t, t + kDay)).ok());
  EXPECT_TRUE(ReportPeriod(Period(t, t + kMaxPeriodDays * kDay)).ok());
  EXPECT_EQ(ErrorField(ReportPeriod(Period(t, t + kMaxPeriodDays * kDay + 1)).status()),
            "end_time");
  EXPECT_EQ(ErrorField(ReportPeriod(Period(t, t)).status()), "end_time");
  EXPECT_EQ(ErrorField(ReportPeriod(Period(t, t - 1)).status()), "end_time");
  auto no_end = Period(t, t + kDay);
  no_end.clear_end_time();
  EXPECT_EQ(ErrorField(ReportPeriod(no_end).status()), "end_time");
  auto bad_nanos = Period(t, t + kDay);
  bad_nanos.mutable_start_time()->set_nanos(-1);
  EXPECT_EQ(ErrorField(ReportPeriod(bad_nanos).status()), "start_time");
  EXPECT_EQ(ReportPeriod(Period(t, t - 1)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ImpactCsv, PutsCurrentAndPreviousSideBySideAndQuotesWhatNeedsIt) {
  v1::ImpactReport report;
  report.set_network_id("greenport-horti");
  auto* spot = report.mutable_resources()->mutable_coverage()->add_white_spots();
  spot->set_region_code("PV21");
  spot->set_region_name("Fryslân, \"it heitelân\"");
  spot->set_theme(registry::v1::THEME_FOOD);
  report.mutable_current()->mutable_shared_use()->set_bookings(12);
  report.mutable_previous()->mutable_shared_use()->set_bookings(7);
  auto* sme = report.mutable_current()->mutable_shared_use()->mutable_usage()->add_by_booker_kind();
  sme->set_booker_kind("sme");
  sme->set_hours(3.5);
  const std::string csv = ToCsv(report);
  EXPECT_EQ(
      csv.rfind("section,measure,current,previous\r\nreport,network_id,greenport-horti,\r\n", 0),
      0u)
      << csv;
  EXPECT_NE(csv.find("shared_use,bookings,12,7\r\n"), std::string::npos) << csv;
  // A row of the current period only keeps its line, the previous side empty.
  EXPECT_NE(csv.find("shared_use,usage.by_booker_kind[sme].hours,3.5,\r\n"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("resources,\"coverage.white_spots[PV21/Fryslân, \"\"it heitelân\"\"/"
                     "THEME_FOOD].region_name\",\"Fryslân, \"\"it heitelân\"\"\",\r\n"),
            std::string::npos)
      << csv;
}

}  // namespace
}  // namespace infrashare::impact
