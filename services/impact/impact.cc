#include "services/impact/impact.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "google/protobuf/util/time_util.h"
#include "services/common/errors.h"
#include "services/desk/report.h"
#include "services/impact/export.h"
#include "services/registry/coverage.h"
#include "services/scheduler/usage.h"

namespace infrashare::impact {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int64_t kDayMs = 86400000;

google::protobuf::Timestamp AtMs(int64_t ms) { return TimeUtil::MillisecondsToTimestamp(ms); }

// Within 0001-01-01 and 9999-12-31, as google.protobuf.Timestamp defines it.
bool ValidTime(const google::protobuf::Timestamp& t) {
  return t.seconds() >= TimeUtil::kTimestampMinSeconds &&
         t.seconds() <= TimeUtil::kTimestampMaxSeconds && t.nanos() >= 0 && t.nanos() < 1000000000;
}

bool SharedWith(const registry::v1::Resource& r, const std::string& network_id) {
  return std::find(r.shared_with_network_ids().begin(), r.shared_with_network_ids().end(),
                   network_id) != r.shared_with_network_ids().end();
}

}  // namespace

absl::StatusOr<std::pair<int64_t, int64_t>> ReportPeriod(const v1::ImpactReportRequest& request) {
  if (!request.has_start_time()) return InvalidField("start_time", "is required");
  if (!request.has_end_time()) return InvalidField("end_time", "is required");
  if (!ValidTime(request.start_time())) return InvalidField("start_time", "is not a valid time");
  if (!ValidTime(request.end_time())) return InvalidField("end_time", "is not a valid time");
  const int64_t start = TimeUtil::TimestampToMilliseconds(request.start_time());
  const int64_t end = TimeUtil::TimestampToMilliseconds(request.end_time());
  if (end <= start) return InvalidField("end_time", "must be after start_time");
  if (end - start > kMaxPeriodDays * kDayMs)
    return InvalidField("end_time", "a report covers at most 10 years");
  // The previous period must be a time too.
  if (!ValidTime(AtMs(start - (end - start))))
    return InvalidField("start_time", "the previous period would begin before the year 1");
  return std::make_pair(start, end);
}

ImpactReporter::ImpactReporter(registry::RegistryReadModel* model,
                               scheduler::BookingCalendar* bookings, desk::DeskStore* desk,
                               scheduler::RotationStore* rotations,
                               programme::ProgrammeReader* programme, const Config& config,
                               std::function<int64_t()> now_ms)
    : model_(model),
      bookings_(bookings),
      desk_(desk),
      rotations_(rotations),
      programme_(programme),
      config_(config),
      now_ms_(std::move(now_ms)) {}

absl::StatusOr<v1::ImpactReport> ImpactReporter::Report(const Caller& caller,
                                                        const v1::ImpactReportRequest& request) {
  const std::string& network_id = request.network_id();
  if (network_id.empty() ? !caller.IsPlatformAdmin() : !caller.Coordinates(network_id))
    return Forbidden(network_id.empty()
                         ? "the impact report of every network is for platform admins"
                         : "a network's impact report is for its coordinators");
  return Build(request);
}

absl::StatusOr<v1::ImpactReport> ImpactReporter::PublicReport(
    const v1::ImpactReportRequest& request, int64_t previous_start_ms) {
  if (request.network_id().empty())
    return Forbidden("the impact report of every network is for platform admins");
  auto report = Build(request, previous_start_ms);
  if (!report.ok()) return report.status();
  for (auto* period : {report->mutable_current(), report->mutable_previous()}) {
    period->mutable_desk()->clear_by_entry_partner();
    // A partner's tariff income is its own business, however the period is cut.
    period->mutable_shared_use()->mutable_usage()->clear_tariff_revenue_cents();
  }
  return report;
}

absl::StatusOr<v1::ImpactReport> ImpactReporter::Build(const v1::ImpactReportRequest& request,
                                                       std::optional<int64_t> previous_start_ms) {
  const std::string& network_id = request.network_id();
  auto period = ReportPeriod(request);
  if (!period.ok()) return period.status();
  if (!model_->ready()) return StoreUnavailable("the registry read model is still loading");
  if (!network_id.empty()) {
    auto members = model_->Members(network_id);
    if (!members.ok()) return members.status();
    if (!members->has_value()) return NotFoundError("network", network_id);
  }
  const auto [start, end] = *period;
  const auto scope = Scope(network_id);

  v1::ImpactReport report;
  report.set_network_id(network_id);
  *report.mutable_generated_time() = AtMs(now_ms_());
  std::vector<int> themes;
  for (int t = 1; t <= registry::v1::Theme_MAX; ++t)
    if (registry::v1::Theme_IsValid(t)) themes.push_back(t);
  registry::CoverageCounter coverage(false, std::move(themes));
  for (const auto& facts : scope) coverage.Add(*facts.resource);
  report.mutable_resources()->set_active_resources(coverage.active());
  *report.mutable_resources()->mutable_coverage() =
      coverage.Finish(config_.registry.white_spot_regions);

  auto plans = CommittedPlans(network_id);
  if (!plans.ok()) return plans.status();
  auto current = Period(network_id, scope, *plans, start, end);
  if (!current.ok()) return current.status();
  *report.mutable_current() = std::move(*current);
  auto previous =
      Period(network_id, scope, *plans, previous_start_ms.value_or(start - (end - start)), start);
  if (!previous.ok()) return previous.status();
  *report.mutable_previous() = std::move(*previous);
  return report;
}

absl::StatusOr<v1::ExportImpactReportResponse> ImpactReporter::Export(
    const Caller& caller, const v1::ExportImpactReportRequest& request) {
  if (!v1::ExportFormat_IsValid(request.format()))
    return InvalidField("format", absl::StrCat("unknown export format ", request.format()));
  auto report = Report(caller, request.report());
  if (!report.ok()) {
    const std::string field = ErrorField(report.status());
    return field.empty() ? report.status() : WithField(report.status(), "report." + field);
  }
  v1::ExportImpactReportResponse response;
  if (request.format() == v1::EXPORT_FORMAT_CSV) {
    response.set_content_type("text/csv; charset=utf-8");
    response.set_content(ToCsv(*report));
  } else {
    response.set_content_type("application/json");
    response.set_content(ToJson(*report));
  }
  return response;
}

std::vector<registry::ResourceFacts> ImpactReporter::Scope(const std::string& network_id) const {
  return model_->Select([&](const registry::v1::Resource& r) {
    return network_id.empty() ? r.shared_with_network_ids_size() > 0 : SharedWith(r, network_id);
  });
}

absl::StatusOr<v1::ImpactPeriod> ImpactReporter::Period(
    const std::string& network_id, const std::vector<registry::ResourceFacts>& scope,
    const std::vector<scheduler::v1::RotationPlan>& plans, int64_t start_ms, int64_t end_ms) {
  v1::ImpactPeriod period;
  *period.mutable_start_time() = AtMs(start_ms);
  *period.mutable_end_time() = AtMs(end_ms);

  scheduler::UsageWindow window;
  window.from = start_ms;
  window.to = end_ms;
  int64_t bookings = 0;
  std::set<std::string> reached;
  auto usage = scheduler::MeasureUsage(
      *bookings_, *model_, scope, window,
      [&](const scheduler::BookedSpan& b, const registry::ResourceFacts& facts, double) {
        ++bookings;
        if (b.organization_id != facts.resource->owner_organization_id())
          reached.insert(b.organization_id);
      });
  if (!usage.ok()) return usage.status();
  usage->clear_resources();
  auto* shared = period.mutable_shared_use();
  shared->set_bookings(bookings);
  for (const auto& row : usage->by_booker_kind())
    if (row.booker_kind() == "sme" && usage->booked_hours() > 0)
      shared->set_sme_hours_share(row.hours() / usage->booked_hours());
  *shared->mutable_usage() = std::move(*usage);

  auto inquiries = Inquiries(network_id, start_ms, end_ms);
  if (!inquiries.ok()) return inquiries.status();
  desk::v1::DeskReportRequest desk_request;
  desk_request.set_network_id(network_id);
  *desk_request.mutable_start_time() = period.start_time();
  *desk_request.mutable_end_time() = period.end_time();
  *period.mutable_desk() = desk::BuildReport(desk_request, *inquiries);
  // Between networks only means something for one network.
  if (!network_id.empty())
    if (auto status = desk::AddCrossNetworkReferrals(*desk_, period.mutable_desk()); !status.ok())
      return status;

  auto counts = programme_->Counts(network_id, start_ms, end_ms);
  if (!counts.ok()) return counts.status();
  auto* programme = period.mutable_programme();
  programme->set_events(counts->events);
  programme->set_registrations(counts->registrations);
  programme->set_attendance_recorded(counts->recorded);
  programme->set_attended(counts->attended);
  if (counts->recorded > 0)
    programme->set_attendance_rate(static_cast<double>(counts->attended) / counts->recorded);

  // Reached: each organisation once, through whichever of the three ways.
  auto* reach = period.mutable_reach();
  std::set<std::string> askers;
  for (const auto& i : *inquiries) {
    reach->set_sme_inquiries(reach->sme_inquiries() + i.asker_is_sme());
    if (!i.asker_organization_id().empty()) askers.insert(i.asker_organization_id());
  }
  reach->set_through_bookings(static_cast<int64_t>(reached.size()));
  reach->set_through_events(static_cast<int64_t>(counts->organizations.size()));
  reach->set_through_desk(static_cast<int64_t>(askers.size()));
  reached.insert(counts->organizations.begin(), counts->organizations.end());
  reached.insert(askers.begin(), askers.end());
  reach->set_organizations(static_cast<int64_t>(reached.size()));
  for (const auto& org : reached) reach->set_smes(reach->smes() + model_->Organization(org).sme);
  if (reach->organizations() > 0)
    reach->set_sme_share(static_cast<double>(reach->smes()) / reach->organizations());

  auto* rotations = period.mutable_rotations();
  rotations->set_pools(static_cast<int64_t>(plans.size()));
  for (const auto& plan : plans)
    for (const auto& a : plan.assignments()) {
      const int64_t from = std::max(TimeUtil::TimestampToMilliseconds(a.start_time()), start_ms);
      const int64_t to = std::min(TimeUtil::TimestampToMilliseconds(a.end_time()), end_ms);
      if (to <= from) continue;
      rotations->set_assignments(rotations->assignments() + 1);
      rotations->set_unit_days(rotations->unit_days() + static_cast<double>(to - from) / kDayMs);
    }
  return period;
}

absl::StatusOr<std::vector<scheduler::v1::RotationPlan>> ImpactReporter::CommittedPlans(
    const std::string& network_id) {
  std::set<std::string> owners;
  for (const auto& id : network_id.empty() ? model_->membership().Networks()
                                           : std::vector<std::string>{network_id}) {
    auto members = model_->Members(id);
    if (!members.ok()) return members.status();
    if (members->has_value()) owners.insert((*members)->begin(), (*members)->end());
  }
  std::vector<scheduler::v1::RotationPlan> plans;
  for (const auto& owner : owners) {
    auto pools = rotations_->PoolsOf(owner);
    if (!pools.ok()) return pools.status();
    for (const auto& pool : *pools) {
      auto committed = rotations_->Committed(pool.id());
      if (!committed.ok()) return committed.status();
      if (committed->empty()) continue;
      auto plan = rotations_->GetPlan(*committed);
      if (!plan.ok()) return plan.status();
      if (plan->has_value()) plans.push_back(std::move(**plan));
    }
  }
  return plans;
}

absl::StatusOr<std::vector<desk::v1::Inquiry>> ImpactReporter::Inquiries(
    const std::string& network_id, int64_t start_ms, int64_t end_ms) {
  if (!network_id.empty())
    return desk::InquiriesCreatedBetween(*desk_, network_id, start_ms, end_ms);
  std::vector<desk::v1::Inquiry> all;
  for (const auto& id : model_->membership().Networks()) {
    auto some = desk::InquiriesCreatedBetween(*desk_, id, start_ms, end_ms);
    if (!some.ok()) return some.status();
    std::move(some->begin(), some->end(), std::back_inserter(all));
  }
  return all;
}

}  // namespace infrashare::impact
