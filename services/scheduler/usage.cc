#include "services/scheduler/usage.h"

#include <algorithm>
#include <map>
#include <string>

#include "services/scheduler/booking_policy.h"

namespace infrashare::scheduler {

absl::StatusOr<v1::UsageReportResponse> MeasureUsage(BookingCalendar& calendar,
                                                     const Catalog& catalog,
                                                     const std::vector<BookableResource>& scope,
                                                     const UsageWindow& window,
                                                     const CountedBooking& counted) {
  constexpr double kHourMs = 3600000.0;
  const EpochMs from = window.from, to = window.to;
  v1::UsageReportResponse response;
  std::map<std::string, double> by_kind;
  std::vector<std::string> ids;
  for (const auto& bookable : scope) {
    const auto& resource = *bookable.resource;
    ids.push_back(resource.id());
    auto* usage = response.add_resources();
    usage->set_resource_id(resource.id());
    usage->set_display_name(resource.display_name());
    double open_ms = 0;
    for (const auto& w : OpenTime(bookable, from, to))
      open_ms += static_cast<double>(w.end - w.start);
    usage->set_available_hours(open_ms * EffectiveCapacity(resource) / kHourMs);
  }
  auto visited = calendar.VisitCountedSpans(ids, from, to, [&](size_t r, const BookedSpan& b) {
    const EpochMs start = std::max(b.start, from);
    const EpochMs end = std::min(b.end, to);
    if (end <= start) return;
    const auto& resource = *scope[r].resource;
    auto* usage = response.mutable_resources(static_cast<int>(r));
    const double hours = static_cast<double>(end - start) * b.quantity / kHourMs;
    usage->set_booked_hours(usage->booked_hours() + hours);
    by_kind[BookerKind(catalog.Organization(b.organization_id))] += hours;
    if (counted) counted(b, scope[r], hours);
    if (b.organization_id == resource.owner_organization_id()) return;  // own use earns nothing
    usage->set_tariff_revenue_cents(usage->tariff_revenue_cents() +
                                    TariffCents(resource.terms(), end - start, b.quantity));
    if (resource.terms().kind() == registry::v1::TERMS_KIND_IN_KIND)
      usage->set_in_kind_hours(usage->in_kind_hours() + hours);
  });
  if (!visited.ok()) return visited;
  for (auto& usage : *response.mutable_resources()) {
    if (usage.available_hours() > 0)
      usage.set_utilisation(usage.booked_hours() / usage.available_hours());
    response.set_available_hours(response.available_hours() + usage.available_hours());
    response.set_booked_hours(response.booked_hours() + usage.booked_hours());
    response.set_tariff_revenue_cents(response.tariff_revenue_cents() +
                                      usage.tariff_revenue_cents());
    response.set_in_kind_hours(response.in_kind_hours() + usage.in_kind_hours());
  }
  if (response.available_hours() > 0)
    response.set_utilisation(response.booked_hours() / response.available_hours());
  for (const char* kind : {"school", "company", "sme", "government", "other"}) {
    auto* row = response.add_by_booker_kind();
    row->set_booker_kind(kind);
    row->set_hours(by_kind[kind]);
  }
  return response;
}

}  // namespace infrashare::scheduler
