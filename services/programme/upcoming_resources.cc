#include "services/programme/upcoming_resources.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "services/programme/validation.h"

namespace infrashare::programme {

absl::StatusOr<std::set<std::string>> UpcomingResources::Get(EpochMs now_ms) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (read_ && now - read_at_ < refresh_) return cached_;
  std::set<std::string> resources;
  auto keep = [now_ms](const v1::Event& e) {
    return !e.resource_id().empty() && e.state() == v1::EVENT_STATE_SCHEDULED &&
           e.visibility() == v1::EVENT_VISIBILITY_PUBLIC &&
           google::protobuf::util::TimeUtil::TimestampToMilliseconds(e.end_time()) > now_ms;
  };
  for (std::optional<EventCursor> after = EventCursor(); after;) {
    auto page = store_->List({}, std::max<EpochMs>(0, now_ms - kMaxEventMs), INT64_MAX / 2, *after,
                             500, keep);
    if (!page.ok()) return page.status();
    for (const auto& e : page->events) resources.insert(e.resource_id());
    after = page->next;
  }
  cached_ = resources;
  read_at_ = now;
  read_ = true;
  return resources;
}

}  // namespace infrashare::programme
