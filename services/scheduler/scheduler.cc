#include "services/scheduler/scheduler.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/ids.h"

namespace infrashare::scheduler {
namespace {

constexpr EpochMs kDayMs = 24LL * 60 * 60 * 1000;

bool ReadOnly(const Caller& caller) {
  return !caller.IsPlatformAdmin() && !caller.Has(auth::v1::ROLE_ORGANIZATION_ADMIN) &&
         !caller.Has(auth::v1::ROLE_MEMBER);
}

std::string PageToken(const v1::Booking& last) {
  return absl::StrCat(ToEpochMs(last.start_time()), "~", last.id());
}

absl::StatusOr<std::optional<std::pair<EpochMs, std::string>>> ParsePageToken(absl::string_view token) {
  if (token.empty()) return std::optional<std::pair<EpochMs, std::string>>();
  std::vector<std::string> parts = absl::StrSplit(token, absl::MaxSplits('~', 1));
  EpochMs start = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &start) || ResourceOfBooking(parts[1]).empty())
    return InvalidField("page_token", "is not a token this server issued");
  return std::optional<std::pair<EpochMs, std::string>>({start, parts[1]});
}

}  // namespace

Scheduler::Scheduler(BookingStore* store, Catalog* catalog, SchedulerConfig config, Clock clock)
    : store_(store), catalog_(catalog), config_(config), clock_(std::move(clock)) {}

absl::StatusOr<BookableResource> Scheduler::Bookable(const std::string& resource_id,
                                                     absl::string_view field) {
  if (!ready_) return StoreUnavailable("the scheduler's resource catalogue is still loading");
  if (resource_id.empty()) return InvalidField(field, "is required");
  if (!IsValidId(resource_id)) return InvalidField(field, "is not a resource id");
  auto found = catalog_->Find(resource_id);
  if (!found.ok()) return found.status();
  const auto& bookable = *found;
  if (!bookable) return InvalidField(field, absl::StrCat("no resource '", resource_id, "' in the registry"));
  return *bookable;
}

absl::StatusOr<std::pair<EpochMs, EpochMs>> Scheduler::QueryRange(
    const google::protobuf::Timestamp* start, const google::protobuf::Timestamp* end,
    bool required) const {
  FieldErrors errors;
  if (required && start == nullptr) errors.Add("start_time", "is required");
  if (required && end == nullptr) errors.Add("end_time", "is required");
  if (!errors.empty()) return errors.ToStatus();
  EpochMs from = start ? ToEpochMs(*start) : 0;
  EpochMs to = end ? ToEpochMs(*end) : std::numeric_limits<EpochMs>::max() / 2;
  if (to <= from) return InvalidField("end_time", "must be after start_time");
  if (start && end && to - from > config_.max_query_range_days * kDayMs)
    return InvalidField("end_time", absl::StrCat("the range may span at most ",
                                                 config_.max_query_range_days, " days"));
  return std::make_pair(from, to);
}

void Scheduler::RedactFor(const Caller& caller, v1::Booking* booking) const {
  if (caller.IsPlatformAdmin() || caller.organization_id == booking->organization_id()) return;
  if (auto bookable = catalog_->Cached(booking->resource_id());
      bookable && caller.organization_id == bookable->resource->owner_organization_id())
    return;
  booking->clear_organization_id();
  booking->clear_title();
  booking->clear_notes();
  booking->clear_reason();
}

absl::StatusOr<v1::Booking> Scheduler::CreateBooking(const Caller& caller,
                                                     const v1::CreateBookingRequest& request) {
  auto bookable = Bookable(request.resource_id(), "resource_id");
  if (!bookable.ok()) return bookable.status();
  const std::string organization =
      request.organization_id().empty() ? caller.organization_id : request.organization_id();
  if (organization != caller.organization_id && !caller.IsPlatformAdmin())
    return Forbidden("a member books for its own organisation");
  if (organization == kPlatformOrganization)
    return InvalidField("organization_id", "platform tokens book on behalf of an organisation: name it");
  if (!caller.CanWriteFor(organization) || ReadOnly(caller))
    return Forbidden("this token may not book for its organisation");
  auto slot = PlanBooking(request, *bookable, clock_());
  if (!slot.ok()) return slot.status();
  if (auto access = CheckAccess(*bookable->resource, organization, catalog_->Organization(organization),
                                catalog_->NetworksOf(organization));
      !access.ok())
    return access;
  BookCommand command;
  command.resource_id = request.resource_id();
  command.booking_id = NewBookingId(request.resource_id());
  command.organization_id = organization;
  command.slot = *slot;
  command.hold = request.hold();
  command.approval_required = bookable->resource->approval_required() &&
                              organization != bookable->resource->owner_organization_id();
  command.title = request.title();
  command.notes = request.notes();
  command.request_id = request.request_id();
  return store_->Book(command);
}

absl::StatusOr<v1::Booking> Scheduler::GetBooking(const Caller& caller, const std::string& id) {
  if (id.empty()) return InvalidField("id", "is required");
  auto booking = store_->Get(id);
  if (!booking.ok()) return booking.status();
  if (!booking->has_value()) return NotFoundError("booking", id);
  RedactFor(caller, &**booking);
  return std::move(**booking);
}

absl::StatusOr<v1::Booking> Scheduler::Transition(const Caller& caller, const TransitionCommand& request) {
  if (request.booking_id.empty()) return InvalidField("id", "is required");
  const std::string resource_id = ResourceOfBooking(request.booking_id);
  if (resource_id.empty()) return NotFoundError("booking", request.booking_id);
  if (ReadOnly(caller)) return Forbidden("this token may not change bookings");
  const bool needs_reason = request.transition == Transition::kReject ||
                            request.transition == Transition::kCancel;
  if (needs_reason && request.reason.empty()) return InvalidField("reason", "is required");
  if (request.reason.size() > 500) return InvalidField("reason", "at most 500 characters");
  TransitionCommand command = request;
  command.caller_organization = caller.organization_id;
  command.caller_is_admin = caller.IsPlatformAdmin();
  auto bookable = catalog_->Find(resource_id);
  if (!bookable.ok()) return bookable.status();
  if (bookable->has_value())
    command.caller_owns_resource = caller.CanWriteFor((*bookable)->resource->owner_organization_id());
  return store_->Apply(command);
}

absl::StatusOr<v1::ListBookingsResponse> Scheduler::ListBookings(const Caller& caller,
                                                                 const v1::ListBookingsRequest& request) {
  if (request.resource_id().empty() == request.organization_id().empty())
    return InvalidField("resource_id", "give exactly one of resource_id and organization_id");
  if (request.page_size() < 0) return InvalidField("page_size", "must not be negative");
  auto range = QueryRange(request.has_start_time() ? &request.start_time() : nullptr,
                          request.has_end_time() ? &request.end_time() : nullptr, false);
  if (!range.ok()) return range.status();
  auto after = ParsePageToken(request.page_token());
  if (!after.ok()) return after.status();
  PageQuery query;
  query.from = range->first;
  query.to = range->second;
  query.after = *after;
  query.limit = request.page_size() == 0 ? config_.default_page_size
                                         : std::min(request.page_size(), config_.max_page_size);
  for (int state : request.states()) {
    if (!v1::BookingState_IsValid(state) || state == v1::BOOKING_STATE_UNSPECIFIED)
      return InvalidField("states", "unknown booking state");
    query.states.push_back(static_cast<v1::BookingState>(state));
  }
  absl::StatusOr<BookingPage> page;
  if (!request.resource_id().empty()) {
    if (auto bookable = Bookable(request.resource_id(), "resource_id"); !bookable.ok())
      return bookable.status();
    page = store_->ListByResource(request.resource_id(), query);
  } else {
    if (request.organization_id() != caller.organization_id && !caller.IsPlatformAdmin())
      return Forbidden("an organisation lists its own bookings");
    page = store_->ListByOrganization(request.organization_id(), query);
  }
  if (!page.ok()) return page.status();
  v1::ListBookingsResponse response;
  for (auto& booking : page->bookings) {
    RedactFor(caller, &booking);
    *response.add_bookings() = std::move(booking);
  }
  if (page->more && response.bookings_size() > 0)
    response.set_next_page_token(PageToken(response.bookings(response.bookings_size() - 1)));
  return response;
}

absl::StatusOr<v1::CheckAvailabilityResponse> Scheduler::CheckAvailability(
    const Caller&, const v1::CheckAvailabilityRequest& request) {
  auto range = QueryRange(request.has_start_time() ? &request.start_time() : nullptr,
                          request.has_end_time() ? &request.end_time() : nullptr, true);
  if (!range.ok()) return range.status();
  auto bookable = Bookable(request.resource_id(), "resource_id");
  if (!bookable.ok()) return bookable.status();
  const auto& resource = *bookable->resource;
  const auto& rules = resource.booking_rules();
  const EpochMs before = rules.buffer_before_minutes() * 60000LL;
  const EpochMs after = rules.buffer_after_minutes() * 60000LL;
  // Bookings whose buffers reach into the range count too.
  auto busy = store_->Busy(request.resource_id(), range->first - after, range->second + before);
  if (!busy.ok()) return busy.status();
  v1::CheckAvailabilityResponse response;
  response.set_resource_id(resource.id());
  response.set_capacity(EffectiveCapacity(resource));
  if (resource.lifecycle().state() == registry::v1::LIFECYCLE_STATE_RETIRED) return response;
  for (const auto& span : FreeSpans(OpenTime(*bookable, range->first, range->second), *busy,
                                    EffectiveCapacity(resource), before, after)) {
    auto* free = response.add_free();
    *free->mutable_start_time() = FromEpochMs(span.start);
    *free->mutable_end_time() = FromEpochMs(span.end);
    free->set_remaining_capacity(span.remaining);
  }
  return response;
}

}  // namespace infrashare::scheduler
