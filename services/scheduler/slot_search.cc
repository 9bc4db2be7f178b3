#include "services/scheduler/slot_search.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "services/common/errors.h"

namespace infrashare::scheduler {

absl::StatusOr<v1::FindSlotsResponse> SlotSearch::FindSlots(const Caller& caller,
                                                            const v1::FindSlotsRequest& request) {
  constexpr int kCandidates = 200;  // resources looked at, nearest or first by name
  constexpr EpochMs kMinuteMs = 60000;
  if (!catalog_->ready())
    return StoreUnavailable("the scheduler's resource catalogue is still loading");
  FieldErrors errors;
  if (request.duration_minutes() < 1 || request.duration_minutes() > 7 * 24 * 60)
    errors.Add("duration_minutes", "must be between 1 and 10080");
  if (request.quantity() < 0) errors.Add("quantity", "must not be negative");
  if (request.max_results() < 0 || request.max_results() > 100)
    errors.Add("max_results", "must be between 0 and 100");
  if (!errors.empty()) return errors.ToStatus();
  auto range = QueryRange(request.has_start_time() ? &request.start_time() : nullptr,
                          request.has_end_time() ? &request.end_time() : nullptr, true,
                          config_.max_query_range_days);
  if (!range.ok()) return range.status();
  const EpochMs now = clock_();
  const EpochMs duration = request.duration_minutes() * kMinuteMs;
  const int quantity = std::max(1, request.quantity());
  const int max_results = request.max_results() == 0 ? 10 : request.max_results();
  const int per_resource_limit = request.earliest_per_resource() ? 1 : max_results;

  registry::v1::SearchResourcesRequest search = request.search();
  search.set_page_size(kCandidates);
  search.clear_page_token();
  auto hits = catalog_->search().Search(search, {kCandidates, kCandidates});
  if (!hits.ok()) return hits.status();
  std::vector<std::pair<BookableResource, double>> candidates;
  for (const auto& hit : hits->hits()) {
    auto bookable = catalog_->Cached(hit.resource().id());
    if (!bookable) continue;
    const auto& resource = *bookable->resource;
    const auto& rules = resource.booking_rules();
    const auto state = resource.lifecycle().state();
    if (state == registry::v1::LIFECYCLE_STATE_RETIRED ||
        state == registry::v1::LIFECYCLE_STATE_PLANNED ||
        state == registry::v1::LIFECYCLE_STATE_MAINTENANCE)
      continue;
    if (quantity > EffectiveCapacity(resource)) continue;
    if (duration < rules.min_duration_minutes() * kMinuteMs ||
        (rules.max_duration_minutes() > 0 && duration > rules.max_duration_minutes() * kMinuteMs))
      continue;
    // Platform admins book on behalf of others: every resource is a candidate for them.
    if (!caller.IsPlatformAdmin() && !BookerFor(*catalog_, caller, "", *bookable).ok()) continue;
    candidates.emplace_back(*bookable, hit.distance_km());
  }
  std::vector<std::string> ids;
  for (const auto& [bookable, distance] : candidates) ids.push_back(bookable.resource->id());
  // Buffers reach at most a day either side.
  auto busy = calendar_->BusyMany(ids, range->first - kDayMs, range->second + kDayMs);
  if (!busy.ok()) return busy.status();

  v1::FindSlotsResponse response;
  response.set_resources_considered(static_cast<int>(candidates.size()));
  std::vector<v1::FoundSlot> found;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& [bookable, distance] = candidates[i];
    const auto& resource = *bookable.resource;
    const auto& rules = resource.booking_rules();
    EpochMs from = std::max(range->first, now + rules.lead_time_minutes() * kMinuteMs);
    EpochMs to = range->second;
    if (rules.max_advance_days() > 0)
      to = std::min(to, now + rules.max_advance_days() * kDayMs + duration);
    if (to <= from) continue;
    const auto spans = FreeSpans(
        OpenTime(bookable, from, to), (*busy)[i], EffectiveCapacity(resource),
        rules.buffer_before_minutes() * kMinuteMs, rules.buffer_after_minutes() * kMinuteMs);
    // Contiguous runs with room for the quantity.
    int per_resource = 0;
    for (size_t k = 0; k < spans.size() && per_resource < per_resource_limit;) {
      if (spans[k].remaining < quantity) {
        ++k;
        continue;
      }
      EpochMs run_start = spans[k].start, run_end = spans[k].end;
      int remaining = spans[k].remaining;
      for (++k; k < spans.size() && spans[k].start == run_end && spans[k].remaining >= quantity;
           ++k) {
        run_end = spans[k].end;
        remaining = std::min(remaining, spans[k].remaining);
      }
      // Back-to-back slots from the run's start (on the minute), as many as fit.
      for (EpochMs at = (run_start + kMinuteMs - 1) / kMinuteMs * kMinuteMs;
           at + duration <= run_end && per_resource < per_resource_limit;
           at += duration, ++per_resource) {
        v1::FoundSlot slot;
        slot.set_resource_id(resource.id());
        slot.set_display_name(resource.display_name());
        *slot.mutable_start_time() = FromEpochMs(at);
        *slot.mutable_end_time() = FromEpochMs(at + duration);
        slot.set_remaining_capacity(remaining);
        slot.set_distance_km(distance);
        found.push_back(std::move(slot));
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const v1::FoundSlot& a, const v1::FoundSlot& b) {
    const EpochMs x = ToEpochMs(a.start_time()), y = ToEpochMs(b.start_time());
    return x != y ? x < y : a.resource_id() < b.resource_id();
  });
  if (static_cast<int>(found.size()) > max_results) found.resize(max_results);
  for (auto& slot : found) *response.add_slots() = std::move(slot);
  return response;
}

}  // namespace infrashare::scheduler
