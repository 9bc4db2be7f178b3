#include "services/scheduler/scheduler.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/text_fold.h"
#include "services/scheduler/calendar.h"
#include "services/scheduler/usage.h"

namespace infrashare::scheduler {
namespace {

std::string PageToken(const PagePosition& resume) {
  return absl::StrCat(resume.first, "~", resume.second);
}

absl::StatusOr<std::optional<std::pair<EpochMs, std::string>>> ParsePageToken(
    absl::string_view token) {
  if (token.empty()) return std::optional<std::pair<EpochMs, std::string>>();
  std::vector<std::string> parts = absl::StrSplit(token, absl::MaxSplits('~', 1));
  EpochMs start = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &start) ||
      ResourceOfBooking(parts[1]).empty())
    return InvalidField("page_token", "is not a token this server issued");
  return std::optional<std::pair<EpochMs, std::string>>({start, parts[1]});
}

}  // namespace

Scheduler::Scheduler(BookingStore* store, Catalog* catalog, SchedulerConfig config, Clock clock,
                     SiteLocator site)
    : store_(store),
      catalog_(catalog),
      config_(config),
      clock_(std::move(clock)),
      site_(std::move(site)),
      slots_(store, catalog, config, clock_) {}

absl::StatusOr<BookableResource> Scheduler::Bookable(const std::string& resource_id,
                                                     absl::string_view field) {
  if (!catalog_->ready())
    return StoreUnavailable("the scheduler's resource catalogue is still loading");
  if (resource_id.empty()) return InvalidField(field, "is required");
  if (!IsValidId(resource_id)) return InvalidField(field, "is not a resource id");
  auto found = catalog_->Find(resource_id);
  if (!found.ok()) return found.status();
  const auto& bookable = *found;
  if (!bookable) return NotFoundError("resource", resource_id);  // as GetResource says it
  return *bookable;
}

namespace {

// Whether the caller sees who booked on `resource_id` when `organization` did.
bool SeesBooker(const Caller& caller, const Catalog& catalog, const std::string& resource_id,
                const std::string& organization) {
  if (caller.IsPlatformAdmin() || caller.organization_id == organization) return true;
  auto bookable = catalog.Cached(resource_id);
  return bookable && caller.organization_id == bookable->resource->owner_organization_id();
}

// The booker's address as given (trimmed of white space), or INVALID_ARGUMENT when e-mails cannot
// go to it.
absl::StatusOr<std::string> BookerAddress(const std::string& given) {
  std::string address(absl::StripAsciiWhitespace(given));
  if (address.empty() || IsSendableAddress(address)) return address;
  return InvalidField("contact_email",
                      "must be one e-mail address e-mails can be sent to, without a name or "
                      "brackets (jan@school.nl)");
}

}  // namespace

void RedactBookingFor(const Caller& caller, const Catalog& catalog, v1::Booking* booking) {
  if (SeesBooker(caller, catalog, booking->resource_id(), booking->organization_id())) return;
  booking->clear_organization_id();
  booking->clear_title();
  booking->clear_notes();
  booking->clear_reason();
}

void Scheduler::RedactFor(const Caller& caller, v1::Booking* booking) const {
  RedactBookingFor(caller, *catalog_, booking);
}

void Scheduler::RedactFor(const Caller& caller, v1::WaitlistEntry* entry) const {
  if (SeesBooker(caller, *catalog_, entry->resource_id(), entry->organization_id())) return;
  entry->clear_organization_id();
  entry->clear_title();
}

BookCommand Scheduler::Command(const v1::CreateBookingRequest& request,
                               const std::string& organization,
                               const BookableResource& bookable) const {
  const auto& resource = *bookable.resource;
  BookCommand command;
  command.resource_id = request.resource_id();
  command.organization_id = organization;
  command.capacity = EffectiveCapacity(resource);
  command.hold = request.hold();
  command.approval_required =
      resource.approval_required() && organization != resource.owner_organization_id();
  command.training_required =
      resource.training_required() && organization != resource.owner_organization_id();
  command.title = request.title();
  command.notes = request.notes();
  command.request_id = IdempotencyKey(request);
  return command;
}

absl::StatusOr<Scheduler::PreparedBooking> Scheduler::PrepareBooking(
    const Caller& caller, const v1::CreateBookingRequest& request) {
  auto bookable = Bookable(request.resource_id(), "resource_id");
  if (!bookable.ok()) return bookable.status();
  auto organization = BookerFor(*catalog_, caller, request.organization_id(), *bookable);
  if (!organization.ok()) return organization.status();
  PreparedBooking prepared{Command(request, *organization, *bookable), std::nullopt};
  const EpochMs now = clock_();
  auto slot = PlanBooking(request, *bookable, now, config_.time_step_s);
  auto contact = BookerAddress(request.contact_email());
  if (!slot.ok() || !contact.ok()) {
    auto earlier = store_->Replayed(prepared.command);
    if (!earlier.ok()) return earlier.status();
    if (!earlier->has_value() || (*earlier)->empty())
      return slot.ok() ? contact.status() : slot.status();
    prepared.earlier = std::move((*earlier)->front().result);
    return prepared;
  }
  prepared.command.contact_email = std::move(*contact);
  prepared.command.occurrences.push_back(
      {NewBookingId(request.resource_id()), *slot,
       AllowanceFor(*bookable, *slot, *organization, catalog_->Organization(*organization).sme,
                    now)});
  return prepared;
}

absl::StatusOr<v1::Booking> Scheduler::CreateBooking(const Caller& caller,
                                                     const v1::CreateBookingRequest& request) {
  return CreateBooking(caller, request, HeldFor{});
}

absl::StatusOr<v1::Booking> Scheduler::CreateBooking(const Caller& caller,
                                                     const v1::CreateBookingRequest& request,
                                                     const HeldFor& held_for) {
  auto prepared = PrepareBooking(caller, request);
  if (!prepared.ok()) return prepared.status();
  if (prepared->earlier) return std::move(*prepared->earlier);
  BookCommand& command = prepared->command;
  if (!held_for.record.empty()) {
    command.held_for = held_for.record;
    command.release_as_no_show = false;
  }
  auto booked = store_->Book(command);
  if (!booked.ok()) return booked.status();
  return std::move(booked->front());
}

void Scheduler::CreateBookingAsync(const Caller& caller, const v1::CreateBookingRequest& request,
                                   std::function<void(absl::StatusOr<v1::Booking>)> done) {
  auto prepared = PrepareBooking(caller, request);
  if (!prepared.ok()) return done(prepared.status());
  if (prepared->earlier) return done(std::move(*prepared->earlier));
  store_->BookAsync(prepared->command, [done = std::move(done)](auto booked) {
    if (!booked.ok()) return done(booked.status());
    done(std::move(booked->front()));
  });
}

namespace {

// A retried series gets its first call's answer: each occurrence that call decided, matched by its
// start, gets that decision (a booking, or why not), although its checks here may now refuse it
// (its start has passed); an occurrence it did not decide keeps why it is refused now, or is
// NOT_BOOKED. The series keeps the name its bookings carry.
void AnswerAgain(const std::vector<BookedBefore>& earlier,
                 v1::CreateRecurringBookingResponse* response) {
  std::map<EpochMs, v1::OccurrenceResult*> by_start;
  for (auto& occurrence : *response->mutable_occurrences())
    by_start[ToEpochMs(occurrence.start_time())] = &occurrence;
  std::set<EpochMs> decided;
  for (const auto& before : earlier) {
    if (before.start == 0) continue;  // a refusal stored without its times: not matched
    if (before.result.ok() && !before.result->series_id().empty())
      response->set_series_id(before.result->series_id());
    auto found = by_start.find(before.start);
    v1::OccurrenceResult* occurrence =
        found != by_start.end() ? found->second : response->add_occurrences();
    occurrence->Clear();
    *occurrence->mutable_start_time() = FromEpochMs(before.start);
    *occurrence->mutable_end_time() = FromEpochMs(before.end);
    if (before.result.ok()) {
      *occurrence->mutable_booking() = *before.result;
    } else {
      occurrence->set_reason(ErrorReason(before.result.status()));
      occurrence->set_message(std::string(before.result.status().message()));
    }
    decided.insert(before.start);
  }
  for (auto& occurrence : *response->mutable_occurrences()) {
    if (decided.count(ToEpochMs(occurrence.start_time())) || !occurrence.reason().empty()) continue;
    occurrence.set_reason("NOT_BOOKED");
    occurrence.set_message("the first call with this request_id did not book it");
  }
  std::sort(response->mutable_occurrences()->pointer_begin(),
            response->mutable_occurrences()->pointer_end(), [](const auto* a, const auto* b) {
              return ToEpochMs(a->start_time()) < ToEpochMs(b->start_time());
            });
}

}  // namespace

absl::StatusOr<v1::CreateRecurringBookingResponse> Scheduler::CreateRecurringBooking(
    const Caller& caller, const v1::CreateRecurringBookingRequest& request) {
  auto bookable = Bookable(request.resource_id(), "resource_id");
  if (!bookable.ok()) return bookable.status();
  auto organization = BookerFor(*catalog_, caller, request.organization_id(), *bookable);
  if (!organization.ok()) return organization.status();
  if (!v1::RecurrenceMode_IsValid(request.mode()))
    return InvalidField("mode", absl::StrCat("unknown recurrence mode ", request.mode()));
  v1::CreateBookingRequest single;
  single.set_resource_id(request.resource_id());
  *single.mutable_start_time() = request.start_time();
  *single.mutable_end_time() = request.end_time();
  single.set_quantity(request.quantity());
  single.set_title(request.title());
  single.set_notes(request.notes());
  single.set_request_id(request.request_id());
  BookCommand command = Command(single, *organization, *bookable);
  command.request_id = IdempotencyKey(request);  // the series request, rule and all
  command.all_or_nothing = request.mode() != v1::RECURRENCE_MODE_SKIP_CONFLICTS;
  // A retry is answered as its first call was, whatever the checks below say now.
  auto earlier = store_->Replayed(command);
  if (!earlier.ok()) return earlier.status();
  const EpochMs now = clock_();
  // Field errors are the request's, not an occurrence's: the first occurrence shows them.
  if (auto first = PlanBooking(single, *bookable, now, config_.time_step_s);
      !first.ok() && first.status().code() == absl::StatusCode::kInvalidArgument &&
      !earlier->has_value())
    return first.status();
  auto series = ExpandSeries(*bookable->resource, ToEpochMs(request.start_time()),
                             ToEpochMs(request.end_time()), request.rrule(),
                             now + config_.max_query_range_days * kDayMs, config_.max_occurrences);
  if (!series.ok() && !earlier->has_value()) return series.status();

  v1::CreateRecurringBookingResponse response;
  // A retry's series keeps its name: AnswerAgain takes it from the bookings.
  response.set_series_id(absl::StrCat(request.resource_id(), ".s", RandomBase32(11)));
  command.series_id = response.series_id();
  std::vector<int> booked_at;  // which occurrence each command entry is
  bool refused = false;
  for (const auto& occurrence : series.ok() ? *series : std::vector<MsInterval>{}) {
    auto* result = response.add_occurrences();
    *result->mutable_start_time() = FromEpochMs(occurrence.start);
    *result->mutable_end_time() = FromEpochMs(occurrence.end);
    *single.mutable_start_time() = result->start_time();
    *single.mutable_end_time() = result->end_time();
    auto slot = PlanBooking(single, *bookable, now, config_.time_step_s);
    if (!slot.ok()) {
      result->set_reason(ErrorReason(slot.status()).empty() ? "INVALID_OCCURRENCE"
                                                            : ErrorReason(slot.status()));
      result->set_message(std::string(slot.status().message()));
      refused = true;
      continue;
    }
    command.occurrences.push_back({NewBookingId(request.resource_id()), *slot,
                                   AllowanceFor(*bookable, *slot, *organization,
                                                catalog_->Organization(*organization).sme, now)});
    booked_at.push_back(response.occurrences_size() - 1);
  }
  if (earlier->has_value()) {
    AnswerAgain(**earlier, &response);
  } else if (!(refused && command.all_or_nothing) && !command.occurrences.empty()) {
    auto booked = store_->Book(command);
    if (!booked.ok()) return booked.status();
    for (size_t i = 0; i < booked->size(); ++i) {
      auto* result = response.mutable_occurrences(booked_at[i]);
      if ((*booked)[i].ok()) {
        *result->mutable_booking() = std::move(*(*booked)[i]);
      } else {
        result->set_reason(ErrorReason((*booked)[i].status()));
        result->set_message(std::string((*booked)[i].status().message()));
      }
    }
  }
  for (auto& result : *response.mutable_occurrences()) {
    if (result.has_booking()) {
      response.set_booked(response.booked() + 1);
    } else if (result.reason().empty()) {
      result.set_reason("NOT_BOOKED");
      result.set_message("another occurrence of the series did not fit");
    }
  }
  return response;
}

absl::StatusOr<v1::Booking> Scheduler::GetBooking(const Caller& caller, const std::string& id) {
  if (id.empty()) return InvalidField("id", "is required");
  auto booking = store_->Get(id);
  if (!booking.ok()) return booking.status();
  if (!booking->has_value()) return NotFoundError("booking", id);
  RedactFor(caller, &**booking);
  return std::move(**booking);
}

absl::StatusOr<v1::Booking> Scheduler::Transition(const Caller& caller,
                                                  const TransitionCommand& request) {
  if (request.booking_id.empty()) return InvalidField("id", "is required");
  const std::string resource_id = ResourceOfBooking(request.booking_id);
  if (resource_id.empty()) return NotFoundError("booking", request.booking_id);
  if (ReadOnly(caller)) return Forbidden("this token may not change bookings");
  const bool needs_reason =
      request.transition == Transition::kReject || request.transition == Transition::kCancel;
  if (needs_reason && request.reason.empty()) return InvalidField("reason", "is required");
  if (Characters(request.reason) > 500) return InvalidField("reason", "at most 500 characters");
  TransitionCommand command = request;
  command.caller_organization = caller.organization_id;
  command.caller_is_admin = caller.IsPlatformAdmin();
  auto bookable = catalog_->Find(resource_id);
  if (!bookable.ok()) return bookable.status();
  if (bookable->has_value())
    command.caller_owns_resource =
        caller.CanWriteFor((*bookable)->resource->owner_organization_id());
  if (request.transition == Transition::kSubmit && bookable->has_value()) {
    if (auto fits = StillTakes(**bookable, request.booking_id, &command); !fits.ok()) return fits;
  }
  return store_->Apply(command);
}

// A hold is confirmed only before its slot begins and if the resource still takes it as it is
// now: in use, open throughout the slot (closures published since count), and, checked with the
// submission itself, with room and the training it asks for. A hold promoted from the waiting list
// was made under the facts of when its entry joined (before, such a hold was confirmed inside a
// closure, on a retired resource or beyond a lowered capacity). Anything but a hold is left to the
// store (a retry's replay, or the state that refuses it).
absl::Status Scheduler::StillTakes(const BookableResource& bookable, const std::string& booking_id,
                                   TransitionCommand* command) {
  auto booking = store_->Get(booking_id);
  if (!booking.ok()) return booking.status();
  // Not there yet is NOT_FOUND here: a waiting entry promoted between this read and the store's
  // step would otherwise be submitted unchecked (its hold takes the entry's known id).
  if (!booking->has_value()) return NotFoundError("booking", booking_id);
  const auto& resource = *bookable.resource;
  // Read by the store only for a hold (a booking never becomes one again).
  command->capacity = EffectiveCapacity(resource);
  command->training_required = resource.training_required() &&
                               (*booking)->organization_id() != resource.owner_organization_id();
  if ((*booking)->state() != v1::BOOKING_STATE_HELD) return absl::OkStatus();
  // As a booking is not made for a start that passed: confirmed now, it would be a no-show at
  // the next sweep (or count as used time nobody had).
  if (ToEpochMs((*booking)->start_time()) < clock_())
    return PreconditionError("SLOT_STARTED", "the hold's slot has begun; book a later one");
  if (auto in_use = InUse(resource); !in_use.ok()) return in_use;
  if (auto open = OpenThroughout(bookable, ToEpochMs((*booking)->start_time()),
                                 ToEpochMs((*booking)->end_time()));
      !open.ok())
    return open;
  return absl::OkStatus();
}

absl::StatusOr<v1::ListBookingsResponse> Scheduler::ListBookings(
    const Caller& caller, const v1::ListBookingsRequest& request) {
  if (!request.resource_id().empty() && !request.organization_id().empty())
    return InvalidField("resource_id", "give at most one of resource_id and organization_id");
  if (request.page_size() < 0) return InvalidField("page_size", "must not be negative");
  auto range = QueryRange(request.has_start_time() ? &request.start_time() : nullptr,
                          request.has_end_time() ? &request.end_time() : nullptr, false,
                          config_.max_query_range_days);
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
      return InvalidField("states", absl::StrCat("unknown booking state ", state));
    query.states.push_back(static_cast<v1::BookingState>(state));
  }
  absl::StatusOr<BookingPage> page;
  if (!request.resource_id().empty()) {
    if (auto bookable = Bookable(request.resource_id(), "resource_id"); !bookable.ok())
      return bookable.status();
    page = store_->ListByResource(request.resource_id(), query);
  } else {
    // Neither named: the caller's own organisation's bookings.
    const std::string& organization =
        request.organization_id().empty() ? caller.organization_id : request.organization_id();
    if (organization != caller.organization_id && !caller.IsPlatformAdmin())
      return Forbidden("an organisation lists its own bookings");
    page = store_->ListByOrganization(organization, query);
  }
  if (!page.ok()) return page.status();
  v1::ListBookingsResponse response;
  for (auto& booking : page->bookings) {
    RedactFor(caller, &booking);
    *response.add_bookings() = std::move(booking);
  }
  // Where the bookings looked at end: after the last one returned, or beyond it when the states
  // asked for were few among them (the page may then be short, or empty, with a token).
  if (page->more) response.set_next_page_token(PageToken(page->resume));
  return response;
}

absl::StatusOr<v1::RecordTrainingResponse> Scheduler::RecordTraining(
    const Caller& caller, const v1::RecordTrainingRequest& request) {
  auto bookable = Bookable(request.resource_id(), "resource_id");
  if (!bookable.ok()) return bookable.status();
  if (!caller.CanWriteFor(bookable->resource->owner_organization_id()) || ReadOnly(caller))
    return Forbidden("only the resource's owner records who is trained on it");
  if (!IsValidId(request.organization_id()))
    return InvalidField("organization_id", "is not an organisation id");
  auto trained =
      store_->SetTrained(request.resource_id(), request.organization_id(), !request.revoke());
  if (!trained.ok()) return trained.status();
  v1::RecordTrainingResponse response;
  response.set_resource_id(request.resource_id());
  for (auto& org : *trained) response.add_trained_organization_ids(std::move(org));
  return response;
}

absl::StatusOr<v1::WaitlistEntry> Scheduler::JoinWaitlist(const Caller& caller,
                                                          const v1::JoinWaitlistRequest& request) {
  auto bookable = Bookable(request.resource_id(), "resource_id");
  if (!bookable.ok()) return bookable.status();
  auto organization = BookerFor(*catalog_, caller, request.organization_id(), *bookable);
  if (!organization.ok()) return organization.status();
  v1::CreateBookingRequest single;
  single.set_resource_id(request.resource_id());
  *single.mutable_start_time() = request.start_time();
  *single.mutable_end_time() = request.end_time();
  single.set_quantity(request.quantity());
  single.set_title(request.title());
  auto slot = PlanBooking(single, *bookable, clock_(), config_.time_step_s);
  if (!slot.ok()) return slot.status();
  auto contact = BookerAddress(request.contact_email());
  if (!contact.ok()) return contact.status();
  WaitCommand command;
  command.contact_email = std::move(*contact);
  command.entry_id = NewBookingId(request.resource_id());
  command.resource_id = request.resource_id();
  command.organization_id = *organization;
  command.slot = *slot;
  command.allowance = AllowanceFor(*bookable, *slot, *organization,
                                   catalog_->Organization(*organization).sme, clock_());
  const BookCommand as_booking = Command(single, *organization, *bookable);
  command.approval_required = as_booking.approval_required;
  command.training_required = as_booking.training_required;
  command.title = request.title();
  command.request_id = IdempotencyKey(request);
  return store_->JoinWaitlist(command);
}

absl::StatusOr<v1::WaitlistEntry> Scheduler::LeaveWaitlist(
    const Caller& caller, const v1::LeaveWaitlistRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  if (ReadOnly(caller)) return Forbidden("this token may not change the waitlist");
  return store_->LeaveWaitlist(request.id(), caller.organization_id, caller.IsPlatformAdmin());
}

absl::StatusOr<v1::ListWaitlistResponse> Scheduler::ListWaitlist(
    const Caller& caller, const v1::ListWaitlistRequest& request) {
  if (auto bookable = Bookable(request.resource_id(), "resource_id"); !bookable.ok())
    return bookable.status();
  auto entries = store_->Waiting(request.resource_id());
  if (!entries.ok()) return entries.status();
  v1::ListWaitlistResponse response;
  for (auto& entry : *entries) {
    RedactFor(caller, &entry);
    *response.add_entries() = std::move(entry);
  }
  return response;
}

absl::StatusOr<v1::FindSlotsResponse> Scheduler::FindSlots(const Caller& caller,
                                                           const v1::FindSlotsRequest& request) {
  return slots_.FindSlots(caller, request);
}

absl::StatusOr<v1::UsageReportResponse> Scheduler::UsageReport(
    const Caller& caller, const v1::UsageReportRequest& request) {
  if (!catalog_->ready())
    return StoreUnavailable("the scheduler's resource catalogue is still loading");
  if (!request.organization_id().empty() && !request.network_id().empty())
    return InvalidField("organization_id", "give at most one of organization_id and network_id");
  // Neither named: the caller's own organisation's resources.
  const std::string& organization =
      request.network_id().empty() && request.organization_id().empty() ? caller.organization_id
                                                                        : request.organization_id();
  auto range = QueryRange(request.has_start_time() ? &request.start_time() : nullptr,
                          request.has_end_time() ? &request.end_time() : nullptr, true,
                          config_.max_query_range_days);
  if (!range.ok()) return range.status();
  const auto [from, to] = *range;
  std::vector<BookableResource> scope;
  if (!organization.empty()) {
    if (organization != caller.organization_id && !caller.IsPlatformAdmin())
      return Forbidden("an organisation reports on its own resources");
    scope = catalog_->Select(
        [&](const registry::v1::Resource& r) { return r.owner_organization_id() == organization; });
  } else {
    const bool member =
        catalog_->NetworksOf(caller.organization_id).count(request.network_id()) > 0;
    if (!member && !caller.Coordinates(request.network_id()))
      return Forbidden("a network's members and coordinators report on it");
    scope = catalog_->Select([&](const registry::v1::Resource& r) {
      return std::find(r.shared_with_network_ids().begin(), r.shared_with_network_ids().end(),
                       request.network_id()) != r.shared_with_network_ids().end();
    });
  }
  UsageWindow window;
  window.from = from;
  window.to = to;
  return MeasureUsage(*store_, *catalog_, scope, window);
}

absl::StatusOr<v1::ExportCalendarResponse> Scheduler::ExportCalendar(
    const Caller& caller, const v1::ExportCalendarRequest& request) {
  return Calendar(caller, request, false);
}

absl::StatusOr<v1::ExportCalendarResponse> Scheduler::FeedCalendar(
    const Caller& caller, const v1::ExportCalendarRequest& request) {
  return Calendar(caller, request, true);
}

absl::StatusOr<v1::ExportCalendarResponse> Scheduler::Calendar(
    const Caller& caller, const v1::ExportCalendarRequest& request, bool truncate) {
  constexpr int kMaxEvents = 5000;
  v1::ListBookingsRequest list;
  list.set_resource_id(request.resource_id());
  // Neither named: the caller's organisation's calendar (as ListBookings).
  list.set_organization_id(request.organization_id().empty() && request.resource_id().empty()
                               ? caller.organization_id
                               : request.organization_id());
  if (request.has_start_time()) *list.mutable_start_time() = request.start_time();
  if (request.has_end_time()) *list.mutable_end_time() = request.end_time();
  list.set_page_size(config_.max_page_size);
  std::vector<v1::Booking> bookings;
  do {
    auto page = ListBookings(caller, list);
    if (!page.ok()) return page.status();
    for (auto& b : *page->mutable_bookings())
      if (OnCalendar(b)) bookings.push_back(std::move(b));
    if (static_cast<int>(bookings.size()) > kMaxEvents) {
      if (truncate) {
        bookings.resize(kMaxEvents);
        break;
      }
      return InvalidField(
          "end_time", absl::StrCat("more than ", kMaxEvents, " bookings: export a shorter range"));
    }
    list.set_page_token(page->next_page_token());
  } while (!list.page_token().empty());
  // Named after the organisation or the resource, as people know them.
  std::string name = list.organization_id();
  if (!request.resource_id().empty()) {
    auto facts = catalog_->Cached(request.resource_id());
    name = facts ? facts->resource->display_name() : request.resource_id();
  } else if (std::string display = catalog_->OrganizationName(name); !display.empty()) {
    name = display;
  }
  CalendarNames names;
  names.resource = [this](const std::string& id) -> std::shared_ptr<const registry::v1::Resource> {
    auto facts = catalog_->Cached(id);
    return facts ? facts->resource : nullptr;
  };
  names.organization = [this](const std::string& id) { return catalog_->OrganizationName(id); };
  if (site_) names.site = site_();
  v1::ExportCalendarResponse response;
  response.set_ical(BookingsToICalendar(bookings, name, names));
  response.set_events(static_cast<int>(bookings.size()));
  return response;
}

absl::StatusOr<v1::CheckAvailabilityResponse> Scheduler::CheckAvailability(
    const Caller&, const v1::CheckAvailabilityRequest& request) {
  auto range = QueryRange(request.has_start_time() ? &request.start_time() : nullptr,
                          request.has_end_time() ? &request.end_time() : nullptr, true,
                          config_.max_query_range_days);
  if (!range.ok()) return range.status();
  auto bookable = Bookable(request.resource_id(), "resource_id");
  if (!bookable.ok()) return bookable.status();
  const auto& resource = *bookable->resource;
  const auto& rules = resource.booking_rules();
  const EpochMs before = rules.buffer_before_minutes() * 60000LL;
  const EpochMs after = rules.buffer_after_minutes() * 60000LL;
  // Bookings whose blocked time keeps a new booking in the range out count too: one blocked
  // [bs, be) does so for a booking [s, e) with s < be + before and e > bs - after (FreeSpans).
  auto busy = store_->Busy(request.resource_id(), range->first - before, range->second + after);
  if (!busy.ok()) return busy.status();
  v1::CheckAvailabilityResponse response;
  response.set_resource_id(resource.id());
  response.set_capacity(EffectiveCapacity(resource));
  // Retired, planned or in maintenance: nothing in the range can be booked, so nothing is free.
  if (!InUse(resource).ok()) return response;
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
