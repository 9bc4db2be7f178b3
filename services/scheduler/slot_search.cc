#include "services/scheduler/slot_search.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"

namespace infrashare::scheduler {
namespace {

constexpr int kCandidates = 200;  // resources looked at, nearest or first by name
constexpr EpochMs kMinuteMs = 60000;

// What FindSlots looks for, validated.
struct SlotQuery {
  EpochMs from = 0, to = 0;  // the window
  EpochMs now = 0;
  EpochMs duration = 0;
  EpochMs step = kMinuteMs;  // slots start and end on whole multiples of it (time_step_s)
  int quantity = 1;
  int max_results = 10;
  int per_resource_limit = 10;
};

absl::StatusOr<SlotQuery> ReadQuery(const v1::FindSlotsRequest& request, EpochMs now,
                                    int max_range_days, int time_step_s) {
  FieldErrors errors;
  const EpochMs step = std::max(1, time_step_s) * 1000LL;
  if (request.duration_minutes() < 1 || request.duration_minutes() > 7 * 24 * 60) {
    errors.Add("duration_minutes", "must be between 1 and 10080");
  } else if (request.duration_minutes() * kMinuteMs % step != 0) {
    // As a booking's end must be (PlanBooking): no slot of such a length could be booked.
    errors.Add("duration_minutes",
               absl::StrCat("must be a whole multiple of ", time_step_s,
                            " seconds, the step bookings are made in (scheduler.time_step_s)"));
  }
  if (request.quantity() < 0) errors.Add("quantity", "must not be negative");
  if (request.max_results() < 0 || request.max_results() > 100)
    errors.Add("max_results", "must be between 0 and 100");
  if (!errors.empty()) return errors.ToStatus();
  auto range =
      QueryRange(request.has_start_time() ? &request.start_time() : nullptr,
                 request.has_end_time() ? &request.end_time() : nullptr, true, max_range_days);
  if (!range.ok()) return range.status();
  SlotQuery query;
  query.from = range->first;
  query.to = range->second;
  query.now = now;
  query.duration = request.duration_minutes() * kMinuteMs;
  query.step = step;
  if (query.to - query.from < query.duration)
    return InvalidField("end_time", "the window is shorter than duration_minutes");
  query.quantity = std::max(1, request.quantity());
  query.max_results = request.max_results() == 0 ? 10 : request.max_results();
  query.per_resource_limit = request.earliest_per_resource() ? 1 : query.max_results;
  return query;
}

v1::PassedOver PassOver(const registry::v1::Resource& resource, v1::PassOverReason reason,
                        std::string detail) {
  v1::PassedOver out;
  out.set_resource_id(resource.id());
  out.set_display_name(resource.display_name());
  out.set_reason(reason);
  out.set_detail(std::move(detail));
  return out;
}

// Whether the caller's organisation may book the resource at all; the reason when not.
std::optional<v1::PassedOver> AccessRuledOut(const Catalog& catalog, const Caller& caller,
                                             const BookableResource& bookable) {
  // Platform admins book on behalf of others: every resource is open to them.
  if (caller.IsPlatformAdmin()) return std::nullopt;
  const auto& resource = *bookable.resource;
  const std::string& organization = caller.organization_id;
  if (auto access = CheckAccess(resource, organization, catalog.Organization(organization),
                                catalog.NetworksOf(organization));
      !access.ok())
    return PassOver(resource, v1::PASS_OVER_REASON_NOT_SHARED, std::string(access.message()));
  if (ReadOnly(caller) || !caller.CanWriteFor(organization))
    return PassOver(resource, v1::PASS_OVER_REASON_NOT_PERMITTED,
                    "this token's roles may not book");
  return std::nullopt;
}

bool NeedsTraining(const Caller& caller, const registry::v1::Resource& resource) {
  return !caller.IsPlatformAdmin() && resource.training_required() &&
         caller.organization_id != resource.owner_organization_id();
}

// The resource's own rules against the query (lifecycle, size, duration, how far ahead).
std::optional<v1::PassedOver> RulesRuledOut(const registry::v1::Resource& resource,
                                            const SlotQuery& query) {
  const auto& rules = resource.booking_rules();
  const auto state = resource.lifecycle().state();
  if (state == registry::v1::LIFECYCLE_STATE_RETIRED ||
      state == registry::v1::LIFECYCLE_STATE_PLANNED ||
      state == registry::v1::LIFECYCLE_STATE_MAINTENANCE) {
    absl::string_view name = registry::v1::LifecycleState_Name(state);
    absl::ConsumePrefix(&name, "LIFECYCLE_STATE_");
    return PassOver(resource, v1::PASS_OVER_REASON_NOT_IN_SERVICE,
                    absl::StrCat("its state is ", absl::AsciiStrToLower(name)));
  }
  if (const int capacity = EffectiveCapacity(resource); query.quantity > capacity)
    return PassOver(resource, v1::PASS_OVER_REASON_TOO_SMALL,
                    absl::StrCat("it has room for ", capacity, ", asked for ", query.quantity));
  const EpochMs min = rules.min_duration_minutes() * kMinuteMs;
  const EpochMs max = rules.max_duration_minutes() * kMinuteMs;
  if (query.duration < min || (max > 0 && query.duration > max))
    return PassOver(resource, v1::PASS_OVER_REASON_DURATION,
                    absl::StrCat("bookings last ", rules.min_duration_minutes(), " to ",
                                 max > 0 ? absl::StrCat(rules.max_duration_minutes())
                                         : std::string("any number of"),
                                 " minutes"));
  if (query.to - query.duration < query.now + rules.lead_time_minutes() * kMinuteMs)
    return PassOver(
        resource, v1::PASS_OVER_REASON_LEAD_TIME,
        absl::StrCat("it is booked at least ", rules.lead_time_minutes(), " minutes ahead"));
  if (rules.max_advance_days() > 0 &&
      std::max(query.from, query.now + rules.lead_time_minutes() * kMinuteMs) >
          query.now + rules.max_advance_days() * kDayMs)
    return PassOver(resource, v1::PASS_OVER_REASON_TOO_FAR_AHEAD,
                    absl::StrCat("it is booked at most ", rules.max_advance_days(), " days ahead"));
  return std::nullopt;
}

// Where a booking of the resource may start and end within the query's window.
std::pair<EpochMs, EpochMs> Bookable(const registry::v1::Resource& resource,
                                     const SlotQuery& query) {
  const auto& rules = resource.booking_rules();
  EpochMs from = std::max(query.from, query.now + rules.lead_time_minutes() * kMinuteMs);
  EpochMs to = query.to;
  if (rules.max_advance_days() > 0)
    to = std::min(to, query.now + rules.max_advance_days() * kDayMs + query.duration);
  return {from, to};
}

// The longest stretch the resource is open without a break, bookings aside.
EpochMs LongestOpen(const std::vector<MsInterval>& open) {
  EpochMs longest = 0, run_start = 0, run_end = -1;
  for (const auto& window : open) {
    if (window.start != run_end) run_start = window.start;
    run_end = window.end;
    longest = std::max(longest, run_end - run_start);
  }
  return longest;
}

// Back-to-back slots from the start of each free run with room for the quantity, at most `limit`.
std::vector<v1::FoundSlot> SlotsIn(const std::vector<FreeSpan>& spans, const SlotQuery& query,
                                   int limit, const registry::v1::Resource& resource,
                                   double distance) {
  std::vector<v1::FoundSlot> found;
  for (size_t k = 0; k < spans.size() && static_cast<int>(found.size()) < limit;) {
    if (spans[k].remaining < query.quantity) {
      ++k;
      continue;
    }
    EpochMs run_start = spans[k].start, run_end = spans[k].end;
    int remaining = spans[k].remaining;
    for (++k; k < spans.size() && spans[k].start == run_end && spans[k].remaining >= query.quantity;
         ++k) {
      run_end = spans[k].end;
      remaining = std::min(remaining, spans[k].remaining);
    }
    // On the step (the minute, or scheduler.time_step_s) from the run's start, as many as fit:
    // where a booking may start.
    for (EpochMs at = (run_start + query.step - 1) / query.step * query.step;
         at + query.duration <= run_end && static_cast<int>(found.size()) < limit;
         at += query.duration) {
      v1::FoundSlot slot;
      slot.set_resource_id(resource.id());
      slot.set_display_name(resource.display_name());
      *slot.mutable_start_time() = FromEpochMs(at);
      *slot.mutable_end_time() = FromEpochMs(at + query.duration);
      slot.set_remaining_capacity(remaining);
      slot.set_distance_km(distance);
      found.push_back(std::move(slot));
    }
  }
  return found;
}

}  // namespace

absl::StatusOr<v1::FindSlotsResponse> SlotSearch::FindSlots(const Caller& caller,
                                                            const v1::FindSlotsRequest& request) {
  if (!catalog_->ready())
    return StoreUnavailable("the scheduler's resource catalogue is still loading");
  auto query = ReadQuery(request, clock_(), config_.max_query_range_days, config_.time_step_s);
  if (!query.ok()) return query.status();

  registry::v1::SearchResourcesRequest search = request.search();
  search.set_page_size(kCandidates);
  search.clear_page_token();
  auto hits = catalog_->search().Search(search, {kCandidates, kCandidates});
  if (!hits.ok()) return UnderField(hits.status(), "search");

  // Each matched resource in the search's order, and why it gives no slot once that is known.
  struct Match {
    BookableResource bookable;
    double distance = 0;
    std::optional<v1::PassedOver> passed_over;
  };
  std::vector<Match> matches;
  std::vector<std::string> to_check_training;
  for (const auto& hit : hits->hits()) {
    auto bookable = catalog_->Cached(hit.resource().id());
    if (!bookable) continue;
    Match match{*bookable, hit.distance_km(), AccessRuledOut(*catalog_, caller, *bookable)};
    if (!match.passed_over && NeedsTraining(caller, *bookable->resource))
      to_check_training.push_back(bookable->resource->id());
    matches.push_back(std::move(match));
  }
  auto trained = calendar_->TrainedMany(to_check_training, caller.organization_id);
  if (!trained.ok()) return trained.status();
  std::vector<std::string> ids;  // the resources still in the running
  for (size_t i = 0, t = 0; i < matches.size(); ++i) {
    auto& match = matches[i];
    const auto& resource = *match.bookable.resource;
    if (match.passed_over) continue;
    if (NeedsTraining(caller, resource) && !(*trained)[t++])
      match.passed_over = PassOver(resource, v1::PASS_OVER_REASON_TRAINING_REQUIRED,
                                   "the owner has not recorded your organisation as trained on it");
    else
      match.passed_over = RulesRuledOut(resource, *query);
    if (!match.passed_over) ids.push_back(resource.id());
  }
  // Buffers reach at most a day either side.
  auto busy = calendar_->BusyMany(ids, query->from - kDayMs, query->to + kDayMs);
  if (!busy.ok()) return busy.status();

  v1::FindSlotsResponse response;
  response.set_resources_matched(static_cast<int>(matches.size()));
  response.set_resources_considered(static_cast<int>(ids.size()));
  std::vector<v1::FoundSlot> found;
  for (size_t i = 0, b = 0; i < matches.size(); ++i) {
    auto& match = matches[i];
    if (match.passed_over) {
      *response.add_passed_over() = std::move(*match.passed_over);
      continue;
    }
    const auto& resource = *match.bookable.resource;
    const auto& rules = resource.booking_rules();
    const auto [from, to] = Bookable(resource, *query);
    const auto open = OpenTime(match.bookable, from, to);
    const auto spans = FreeSpans(open, (*busy)[b++], EffectiveCapacity(resource),
                                 rules.buffer_before_minutes() * kMinuteMs,
                                 rules.buffer_after_minutes() * kMinuteMs);
    auto slots = SlotsIn(spans, *query, query->per_resource_limit, resource, match.distance);
    if (!slots.empty()) {
      std::move(slots.begin(), slots.end(), std::back_inserter(found));
      continue;
    }
    const std::string minutes = absl::StrCat(query->duration / kMinuteMs, " minutes");
    *response.add_passed_over() =
        LongestOpen(open) < query->duration
            ? PassOver(resource, v1::PASS_OVER_REASON_CLOSED,
                       absl::StrCat("it is not open ", minutes, " in a row in the window"))
            : PassOver(resource, v1::PASS_OVER_REASON_FULLY_BOOKED,
                       absl::StrCat("it is open, but booked wherever ", minutes, " fit"));
  }
  std::sort(found.begin(), found.end(), [](const v1::FoundSlot& a, const v1::FoundSlot& b) {
    const EpochMs x = ToEpochMs(a.start_time()), y = ToEpochMs(b.start_time());
    return x != y ? x < y : a.resource_id() < b.resource_id();
  });
  if (static_cast<int>(found.size()) > query->max_results) found.resize(query->max_results);
  for (auto& slot : found) *response.add_slots() = std::move(slot);
  return response;
}

}  // namespace infrashare::scheduler
