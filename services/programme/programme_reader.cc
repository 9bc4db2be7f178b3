#include "services/programme/programme_reader.h"

#include <algorithm>
#include <set>

#include "services/programme/programme_store.h"
#include "services/programme/validation.h"
#include "services/scheduler/booking_policy.h"

namespace infrashare::programme {
namespace {

absl::StatusOr<std::vector<v1::Event>> Upcoming(ProgrammeStore& store, const EventIndex& index,
                                                int64_t from_ms, int limit) {
  // An event lasts at most kMaxEventMs: one that started that long ago may still be on.
  std::vector<v1::Event> events;
  EventCursor after;
  while (static_cast<int>(events.size()) < limit) {
    auto page = store.List(index, std::max<int64_t>(0, from_ms - kMaxEventMs), INT64_MAX / 2, after,
                           limit - static_cast<int>(events.size()), [from_ms](const v1::Event& e) {
                             return e.state() == v1::EVENT_STATE_SCHEDULED &&
                                    e.visibility() == v1::EVENT_VISIBILITY_PUBLIC &&
                                    scheduler::ToEpochMs(e.end_time()) > from_ms;
                           });
    if (!page.ok()) return page.status();
    for (auto& e : page->events) events.push_back(std::move(e));
    if (!page->next) break;
    after = *page->next;
  }
  return events;
}

}  // namespace

absl::StatusOr<std::vector<v1::Event>> ProgrammeRecords::UpcomingPublicEventsOfResource(
    const std::string& resource_id, int64_t from_ms, int limit) {
  return Upcoming(*store_, {EventIndex::Kind::kResource, resource_id}, from_ms, limit);
}

absl::StatusOr<std::vector<v1::Event>> ProgrammeRecords::UpcomingPublicEventsOfNetwork(
    const std::string& network_id, int64_t from_ms, int limit) {
  return Upcoming(*store_, {EventIndex::Kind::kNetwork, network_id}, from_ms, limit);
}

absl::StatusOr<ProgrammeCounts> ProgrammeRecords::Counts(const std::string& network_id,
                                                         int64_t from_ms, int64_t to_ms) {
  EventIndex index;
  if (!network_id.empty()) index = {EventIndex::Kind::kNetwork, network_id};
  ProgrammeCounts counts;
  std::set<std::string> organizations;
  EventCursor after;
  while (true) {
    auto page = store_->List(index, from_ms, to_ms, after, 500, [](const v1::Event& e) {
      return e.state() == v1::EVENT_STATE_SCHEDULED;
    });
    if (!page.ok()) return page.status();
    for (const auto& e : page->events) {
      ++counts.events;
      counts.registrations += e.registered();
      auto registrations = store_->Registrations(e.id());
      if (!registrations.ok()) return registrations.status();
      for (const auto& r : *registrations) {
        if (r.state() != v1::REGISTRATION_STATE_ADMITTED) continue;
        counts.recorded += r.attendance_recorded();
        counts.attended += r.attended();
        if (r.organization_id() != e.organizer_organization_id())
          organizations.insert(r.organization_id());
      }
    }
    if (!page->next) break;
    after = *page->next;
  }
  counts.organizations.assign(organizations.begin(), organizations.end());
  return counts;
}

}  // namespace infrashare::programme
