// Every route of the public HTTP listener, registered in one place.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/common/rate_limit.h"
#include "services/common/request_limits.h"
#include "services/http/public_site.h"
#include "services/impact/impact.h"
#include "services/programme/programme_reader.h"
#include "services/registry/read_model.h"
#include "services/registry/store.h"

namespace infrashare::http {

// The programme as the feeds read it: unset when the process does not run the programme (the
// feeds then carry no events and the calendar routes answer 404).
struct ProgrammeView {
  programme::ProgrammeReader* reader = nullptr;
  // Resources with upcoming public events (so a feed asks for events only where there are some).
  std::function<absl::StatusOr<std::set<std::string>>(int64_t now_ms)> resources_with_events;
};

// The impact report for the impact page: unset when the process does not run it.
struct ImpactView {
  impact::ImpactReporter* reporter = nullptr;
  TokenAuthority* tokens = nullptr;             // who asks (a coordinator's or admin's token)
  registry::RegistryStore* registry = nullptr;  // whether a network opted in to a public summary
  RequestLimits limits;  // the bounds every gRPC request is held to (times from 2000 to 2200)
  // The limits a token's calls count against, as GetImpactReport's over gRPC (null: none).
  RateLimiter* limiter = nullptr;
};

// The calendar feeds' addresses: unset when the process does not run the scheduler (the
// addresses then answer 404).
struct CalendarFeedView {
  // The iCalendar the feed with this secret serves; NOT_FOUND when there is none.
  std::function<absl::StatusOr<std::string>(const std::string& secret)> calendar;
};

// The open-data feeds (/open/...) over the process's one registry read model, the programme's
// calendars, the calendar feeds of bookings (/calendar/<secret>.ics), the impact report as JSON
// (/impact/report.json) and the pages (/map, /impact) with what they load.
void RegisterRoutes(registry::RegistryReadModel* model, const ProgrammeView& programme,
                    const ImpactView& impact, const CalendarFeedView& calendar_feeds,
                    const HttpConfig& config, PublicSite* site);

}  // namespace infrashare::http
