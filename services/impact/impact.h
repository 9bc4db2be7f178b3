// The impact report: what the shared infrastructure achieved for a network (or all networks) in a
// period, beside the period before it. It measures with the other components' own report code
// (the registry's CoverageCounter, the scheduler's MeasureUsage, the desk's BuildReport, the
// programme's counts) over the stores' read interfaces, so it needs none of those modules running
// in its process.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/impact/v1/impact.pb.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/desk/desk_store.h"
#include "services/programme/programme_reader.h"
#include "services/registry/read_model.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/rotation_store.h"

namespace infrashare::impact {

// A report period covers at most this many days (ten years and leap days).
inline constexpr int64_t kMaxPeriodDays = 3653;

// The period [start_ms, end_ms) of a request, or INVALID_ARGUMENT naming the field.
absl::StatusOr<std::pair<int64_t, int64_t>> ReportPeriod(const v1::ImpactReportRequest& request);

class ImpactReporter {
 public:
  ImpactReporter(registry::RegistryReadModel* model, scheduler::BookingCalendar* bookings,
                 desk::DeskStore* desk, scheduler::RotationStore* rotations,
                 programme::ProgrammeReader* programme, const Config& config,
                 std::function<int64_t()> now_ms);

  absl::StatusOr<v1::ImpactReport> Report(const Caller& caller,
                                          const v1::ImpactReportRequest& request);
  // What anyone may read of a network whose coordinators opted in (Network.public_impact, checked
  // by the caller of this): the report without the names of the desk's entry partners and
  // without tariff revenue. Its HTTP route widens the period to whole months.
  // `previous_start_ms`: where the period compared with begins (it ends where the request's
  // begins). The public summary compares whole months with as many whole months before them: a
  // previous period of the same length in milliseconds would end or begin inside a month, and
  // the difference of two summaries would show a single day.
  absl::StatusOr<v1::ImpactReport> PublicReport(const v1::ImpactReportRequest& request,
                                                int64_t previous_start_ms);
  absl::StatusOr<v1::ExportImpactReportResponse> Export(
      const Caller& caller, const v1::ExportImpactReportRequest& request);

 private:
  // The previous period begins at `previous_start_ms`, or as long before the period as it lasts.
  absl::StatusOr<v1::ImpactReport> Build(const v1::ImpactReportRequest& request,
                                         std::optional<int64_t> previous_start_ms = std::nullopt);
  // The resources in scope: shared with the network, or with any network for all networks.
  std::vector<registry::ResourceFacts> Scope(const std::string& network_id) const;
  absl::StatusOr<v1::ImpactPeriod> Period(const std::string& network_id,
                                          const std::vector<registry::ResourceFacts>& scope,
                                          const std::vector<scheduler::v1::RotationPlan>& plans,
                                          int64_t start_ms, int64_t end_ms);
  // The committed plans of the pools of the network's members (of any network's, for all).
  absl::StatusOr<std::vector<scheduler::v1::RotationPlan>> CommittedPlans(
      const std::string& network_id);
  absl::StatusOr<std::vector<desk::v1::Inquiry>> Inquiries(const std::string& network_id,
                                                           int64_t start_ms, int64_t end_ms);

  registry::RegistryReadModel* model_;
  scheduler::BookingCalendar* bookings_;
  desk::DeskStore* desk_;
  scheduler::RotationStore* rotations_;
  programme::ProgrammeReader* programme_;
  Config config_;
  std::function<int64_t()> now_ms_;
};

}  // namespace infrashare::impact
