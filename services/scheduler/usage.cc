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
  for (const auto& bookable : scope) {
    const auto& resource = *bookable.resource;
    auto* usage = response.add_resources();
    usage->set_resource_id(resource.id());
    usage->set_display_name(resource.display_name());
    double open_ms = 0;
    for (const auto& w : OpenTime(bookable, from, to))
      open_ms += static_cast<double>(w.end - w.start);
    usage->set_available_hours(open_ms * EffectiveCapacity(resource) / kHourMs);
    PageQuery query;
    query.from = from - window.lookback_ms;
    query.to = to;
    query.limit = window.page_size;
    query.states = {v1::BOOKING_STATE_CONFIRMED, v1::BOOKING_STATE_CHECKED_IN,
                    v1::BOOKING_STATE_COMPLETED};
    while (true) {
      auto page = calendar.ListByResource(resource.id(), query);
      if (!page.ok()) return page.status();
      for (const auto& b : page->bookings) {
        const EpochMs start = std::max(ToEpochMs(b.start_time()), from);
        const EpochMs end = std::min(ToEpochMs(b.end_time()), to);
        if (end <= start) continue;
        const double hours = static_cast<double>(end - start) * b.quantity() / kHourMs;
        usage->set_booked_hours(usage->booked_hours() + hours);
        by_kind[BookerKind(catalog.Organization(b.organization_id()))] += hours;
        if (counted) counted(b, bookable, hours);
        if (b.organization_id() == resource.owner_organization_id())
          continue;  // own use earns nothing
        usage->set_tariff_revenue_cents(usage->tariff_revenue_cents() +
                                        TariffCents(resource.terms(), end - start, b.quantity()));
        if (resource.terms().kind() == registry::v1::TERMS_KIND_IN_KIND)
          usage->set_in_kind_hours(usage->in_kind_hours() + hours);
      }
      if (!page->more || page->bookings.empty()) break;
      const auto& last = page->bookings.back();
      query.after = std::make_pair(ToEpochMs(last.start_time()), last.id());
    }
    if (usage->available_hours() > 0)
      usage->set_utilisation(usage->booked_hours() / usage->available_hours());
    response.set_available_hours(response.available_hours() + usage->available_hours());
    response.set_booked_hours(response.booked_hours() + usage->booked_hours());
    response.set_tariff_revenue_cents(response.tariff_revenue_cents() +
                                      usage->tariff_revenue_cents());
    response.set_in_kind_hours(response.in_kind_hours() + usage->in_kind_hours());
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
