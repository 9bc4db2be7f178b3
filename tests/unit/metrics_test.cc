// The metrics registry's text format (services/common/metrics.h) and the business gauges'
// readings (services/common/business_gauges.h), without a server.
#include "services/common/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "services/common/business_gauges.h"

namespace infrashare {
namespace {

bool Has(const std::string& page, const std::string& line) {
  return page.find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, AFailedCallCountsOnceWithItsCodeAndReasonAndASuccessNotAtAll) {
  Metrics metrics;
  metrics.ObserveRpc("scheduler.CreateBooking", "OK", 0.01);
  metrics.ObserveRpc("scheduler.CreateBooking", "FAILED_PRECONDITION", 0.01, "SLOT_TAKEN");
  metrics.ObserveRpc("scheduler.CreateBooking", "FAILED_PRECONDITION", 0.02, "SLOT_TAKEN");
  metrics.ObserveRpc("scheduler.CreateBooking", "FAILED_PRECONDITION", 0.01, "LEAD_TIME");
  metrics.ObserveRpc("registry.GetResource", "UNAVAILABLE", 0.5);
  const std::string page = metrics.Render();
  const std::string book = "method=\"scheduler.CreateBooking\"";
  EXPECT_TRUE(Has(page, "infrashare_rpc_errors_total{" + book +
                            ",code=\"FAILED_PRECONDITION\",reason=\"SLOT_TAKEN\"} 2"))
      << page;
  EXPECT_TRUE(Has(page, "infrashare_rpc_errors_total{" + book +
                            ",code=\"FAILED_PRECONDITION\",reason=\"LEAD_TIME\"} 1"))
      << page;
  EXPECT_TRUE(Has(page,
                  "infrashare_rpc_errors_total{method=\"registry.GetResource\","
                  "code=\"UNAVAILABLE\",reason=\"\"} 1"))
      << page;
  EXPECT_EQ(page.find("infrashare_rpc_errors_total{" + book + ",code=\"OK\""), std::string::npos);
  EXPECT_TRUE(Has(page, "infrashare_rpc_total{" + book + ",code=\"FAILED_PRECONDITION\"} 3"));
  EXPECT_TRUE(Has(page, "# TYPE infrashare_rpc_errors_total counter")) << page;
}

TEST(Metrics, AReasonThatIsNoUpperCaseIdentifierCountsAsOther) {
  EXPECT_EQ(Metrics::ReasonLabel("SLOT_TAKEN"), "SLOT_TAKEN");
  EXPECT_EQ(Metrics::ReasonLabel("HTTP_429"), "HTTP_429");
  EXPECT_EQ(Metrics::ReasonLabel(""), "");
  EXPECT_EQ(Metrics::ReasonLabel("slot taken\"} 1"), "OTHER");
  EXPECT_EQ(Metrics::ReasonLabel(std::string(65, 'A')), "OTHER");
  EXPECT_EQ(Metrics::ReasonLabel(std::string(64, 'A')), std::string(64, 'A'));
}

TEST(Metrics, ConstantsQuoteTheirLabelsAndValuesAreWrittenInFull) {
  Metrics metrics;
  metrics.AddConstant("infrashare_build_info", "The build.",
                      {{"version", "0.1.0"}, {"commit", "a\"b\\c\nd"}}, 1);
  metrics.AddSampled("big_total", "counter", "Many.", [] { return 2500000.0; });
  metrics.AddSampled("half", "gauge", "A half.", [] { return 0.5; });
  metrics.AddSampled("unknown", "gauge", "Not read yet.", [] { return std::nan(""); });
  const std::string page = metrics.Render();
  EXPECT_TRUE(Has(page, R"(infrashare_build_info{version="0.1.0",commit="a\"b\\c\nd"} 1)")) << page;
  EXPECT_TRUE(Has(page, "# TYPE infrashare_build_info gauge")) << page;
  EXPECT_TRUE(Has(page, "big_total 2500000")) << page;
  EXPECT_TRUE(Has(page, "half 0.5")) << page;
  EXPECT_TRUE(Has(page, "unknown NaN")) << page;
}

// Renders until `line` appears (up to 10 s).
bool AwaitLine(const Metrics& metrics, const std::string& line) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Has(metrics.Render(), line)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(BusinessGauges, ShowTheLastReadingAndNaNWhileTheyCannotBeRead) {
  Metrics metrics;
  std::atomic<int> value{0};
  std::atomic<bool> failing{false};
  {
    BusinessGauges gauges(&metrics, std::chrono::seconds(1));
    gauges.Add({"infrashare_things_waiting", "Things waiting.", [&]() -> absl::StatusOr<int64_t> {
                  if (failing) return absl::UnavailableError("redis down");
                  return value.load();
                }});
    EXPECT_TRUE(Has(metrics.Render(), "infrashare_things_waiting NaN"));  // not read yet
    value = 3;
    gauges.Start();
    EXPECT_TRUE(AwaitLine(metrics, "infrashare_things_waiting 3"));
    failing = true;
    EXPECT_TRUE(AwaitLine(metrics, "infrashare_things_waiting NaN"));
    failing = false;
    value = 4;
    EXPECT_TRUE(AwaitLine(metrics, "infrashare_things_waiting 4"));
  }
  EXPECT_TRUE(Has(metrics.Render(), "# TYPE infrashare_things_waiting gauge"));
}

}  // namespace
}  // namespace infrashare
