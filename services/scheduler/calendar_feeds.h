// Calendar feeds people subscribe to (CreateCalendarFeed and the HTTP listener's
// /calendar/<secret>.ics): who may make, list and revoke them, and what a feed's secret address
// serves. No gRPC and no HTTP in here: the scheduler service and the listener are thin shells
// around it.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/auth.h"
#include "services/scheduler/calendar.h"
#include "services/scheduler/calendar_feed_store.h"
#include "services/scheduler/catalog.h"
#include "services/scheduler/scheduler.h"

namespace infrashare::scheduler {

struct CalendarFeedConfig {
  int secret_replay_ttl_s =
      600;                       // a create's retry gets the same secret (auth.create_replay_ttl_s)
  int request_id_ttl_s = 86400;  // a revoke's retry gets the same answer
  // The window a feed serves: bookings that start from `past_days` ago on, over
  // `window_days` in all (scheduler.max_query_range_days, ExportCalendar's longest range).
  int past_days = 30;
  int window_days = 366;
};

class CalendarFeeds {
 public:
  using Clock = std::function<EpochMs()>;
  static constexpr int kMaxPerOrganization = 100;
  // The path of a feed's address on the HTTP listener: kPathPrefix + secret + kPathSuffix.
  static constexpr absl::string_view kPathPrefix = "/calendar/";
  static constexpr absl::string_view kPathSuffix = ".ics";

  CalendarFeeds(CalendarFeedStore* store, Scheduler* scheduler, Catalog* catalog,
                CalendarFeedConfig config, SiteLocator site, Clock clock);

  // A new feed with its secret and address (shown this once). The organisation's admins and
  // members for its own bookings or a resource it owns; platform admins for any.
  absl::StatusOr<v1::CalendarFeed> Create(const Caller& caller,
                                          const v1::CreateCalendarFeedRequest& request);
  absl::StatusOr<v1::ListCalendarFeedsResponse> List(const Caller& caller,
                                                     const v1::ListCalendarFeedsRequest& request);
  absl::StatusOr<v1::CalendarFeed> Revoke(const Caller& caller,
                                          const v1::RevokeCalendarFeedRequest& request);

  // What the address with this secret serves: the feed's bookings over its window as iCalendar,
  // as its organisation sees them. NOT_FOUND, the same for every reason (unknown, revoked, lapsed),
  // and naming no secret.
  absl::StatusOr<std::string> Calendar(absl::string_view secret);

 private:
  CalendarFeedStore* store_;
  Scheduler* scheduler_;
  Catalog* catalog_;
  CalendarFeedConfig config_;
  SiteLocator site_;
  Clock clock_;
};

}  // namespace infrashare::scheduler
