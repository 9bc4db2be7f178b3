#include "services/programme/programme.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/logging.h"
#include "services/common/paging.h"
#include "services/programme/calendar.h"
#include "services/programme/validation.h"

namespace infrashare::programme {
namespace {

using google::protobuf::util::TimeUtil;

EpochMs Ms(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMilliseconds(t); }

constexpr int64_t kYearMs = 366LL * 24 * 3600 * 1000;
constexpr int kMaxEventsPage = 500;
constexpr int kMaxCalendarEvents = kMaxEventsPage;  // a feed is one page of ListEvents

bool HasAudience(const v1::Event& e, v1::Audience audience) {
  return std::find(e.audiences().begin(), e.audiences().end(), audience) != e.audiences().end();
}

bool ReadOnly(const Caller& caller) {
  return caller.Has(auth::v1::ROLE_READ_ONLY_INTEGRATOR) && !caller.IsPlatformAdmin() &&
         !caller.Has(auth::v1::ROLE_ORGANIZATION_ADMIN) && !caller.Has(auth::v1::ROLE_MEMBER);
}

// The organiser's own identity, for the scheduler calls the programme makes on an event's behalf
// once it has decided that the caller may (a coordinator cancelling a partner's event).
Caller OrganiserCaller(const std::string& organization_id) {
  Caller c;
  c.organization_id = organization_id;
  c.roles = {auth::v1::ROLE_MEMBER};
  return c;
}

// A deterministic id for a request with a request_id, so a retry names the same event and books
// the same booking (the scheduler's replay compares the whole request).
std::string EventIdFor(const Caller& caller, const std::string& request_id) {
  if (request_id.empty()) return NewId("ev");
  return "ev_" + SecretHash(absl::StrCat(caller.organization_id, ":", request_id)).substr(0, 20);
}

}  // namespace

Programme::Programme(ProgrammeStore* store, registry::RegistryReadModel* registry,
                     scheduler::Scheduler* scheduler, Clock clock)
    : store_(store), registry_(registry), scheduler_(scheduler), clock_(std::move(clock)) {}

std::set<std::string> EventNetworks(const registry::RegistryReadModel& registry,
                                    const v1::Event& event) {
  if (!event.network_id().empty()) return {event.network_id()};
  std::set<std::string> out;
  if (auto facts = registry.Cached(event.resource_id()); facts.has_value())
    out.insert(facts->resource->shared_with_network_ids().begin(),
               facts->resource->shared_with_network_ids().end());
  return out;
}

bool EventVisibleTo(const registry::RegistryReadModel& registry, const Caller& caller,
                    const v1::Event& event) {
  if (event.visibility() == v1::EVENT_VISIBILITY_PUBLIC || caller.IsPlatformAdmin()) return true;
  if (caller.organization_id == event.organizer_organization_id()) return true;
  const auto mine = registry.NetworksOf(caller.organization_id);
  for (const auto& network : EventNetworks(registry, event))
    if (mine.count(network) || caller.Coordinates(network)) return true;
  if (!event.resource_id().empty()) {
    if (auto facts = registry.Cached(event.resource_id());
        facts.has_value() && facts->resource->owner_organization_id() == caller.organization_id)
      return true;
  }
  return false;
}

bool Programme::MayOrganise(const Caller& caller, const v1::Event& event) const {
  if (caller.CanWriteFor(event.organizer_organization_id())) return true;
  for (const auto& network : EventNetworks(*registry_, event))
    if (caller.Coordinates(network)) return true;
  return false;
}

absl::StatusOr<v1::Event> Programme::Visible(const Caller& caller, const std::string& id) {
  if (id.empty()) return InvalidField("id", "is required");
  auto event = store_->Get(id);
  if (!event.ok()) return event.status();
  // Another network's event is as absent as one that does not exist.
  if (!event->has_value() || !EventVisibleTo(*registry_, caller, **event))
    return NotFoundError("event", id);
  return std::move(**event);
}

absl::StatusOr<v1::Event> Programme::Organised(const Caller& caller, const std::string& id) {
  auto event = Visible(caller, id);
  if (!event.ok()) return event.status();
  if (!MayOrganise(caller, *event))
    return Forbidden("only the event's organiser, its network's coordinators and platform admins");
  return event;
}

absl::StatusOr<std::string> Programme::OrganiserOf(const Caller& caller, v1::Event* event) {
  if (ReadOnly(caller)) return Forbidden("this token may only read");
  if (!event->resource_id().empty()) {
    auto facts = registry_->Find(event->resource_id());
    if (!facts.ok()) return facts.status();
    if (!facts->has_value())
      return WithField(NotFoundError("resource", event->resource_id()), "event.resource_id");
    const auto& resource = *(*facts)->resource;
    // The event's local times are the resource's: the place sets the clock.
    if (!resource.time_zone().empty()) event->set_time_zone(resource.time_zone());
    const auto& shared = resource.shared_with_network_ids();
    if (!event->network_id().empty() &&
        std::find(shared.begin(), shared.end(), event->network_id()) == shared.end())
      return InvalidField("event.network_id", "the resource is not shared with this network");
    if (caller.CanWriteFor(resource.owner_organization_id()))
      return resource.owner_organization_id();
    for (const auto& network : shared)
      if ((event->network_id().empty() || network == event->network_id()) &&
          caller.Coordinates(network))
        return caller.organization_id;
    return Forbidden(
        "events at a resource are organised by its owner, the coordinators of a network it is "
        "shared with, or platform admins");
  }
  auto members = registry_->Members(event->network_id());
  if (!members.ok()) return members.status();
  if (!members->has_value())
    return WithField(NotFoundError("network", event->network_id()), "event.network_id");
  if (caller.Coordinates(event->network_id())) return caller.organization_id;
  if (caller.CanWriteFor(caller.organization_id) && (*members)->count(caller.organization_id))
    return caller.organization_id;
  return Forbidden("a network's events are organised by its members and coordinators");
}

absl::StatusOr<v1::Event> Programme::CreateEvent(const Caller& caller,
                                                 const v1::CreateEventRequest& request) {
  v1::Event event = request.event();
  for (int field : {v1::Event::kIdFieldNumber, v1::Event::kOrganizerOrganizationIdFieldNumber,
                    v1::Event::kStateFieldNumber, v1::Event::kBookingIdFieldNumber,
                    v1::Event::kRegisteredFieldNumber, v1::Event::kWaitlistedFieldNumber,
                    v1::Event::kEtagFieldNumber, v1::Event::kCreateTimeFieldNumber,
                    v1::Event::kUpdateTimeFieldNumber, v1::Event::kCancelReasonFieldNumber})
    event.GetReflection()->ClearField(&event, v1::Event::descriptor()->FindFieldByNumber(field));
  if (auto valid = NormalizeEvent(&event); !valid.ok()) return valid;
  auto organiser = OrganiserOf(caller, &event);
  if (!organiser.ok()) return organiser.status();
  const EpochMs now = clock_();
  // A programme announces what is to come: an event that is over would only pad the impact
  // report's past periods.
  if (TimeUtil::TimestampToMilliseconds(event.end_time()) <= now)
    return InvalidField("event.end_time", "is past: an event is created before it ends");
  event.set_id(EventIdFor(caller, request.request_id()));
  event.set_organizer_organization_id(*organiser);
  event.set_state(v1::EVENT_STATE_SCHEDULED);
  *event.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(now);
  *event.mutable_update_time() = event.create_time();

  SaveCommand save;
  save.create = true;
  if (!event.resource_id().empty()) {
    // The event's resource is booked like any partner's booking, by the same Redis function in
    // one atomic step: it either holds the whole resource for the time or is refused.
    auto facts = registry_->Find(event.resource_id());
    if (!facts.ok()) return facts.status();
    scheduler::v1::CreateBookingRequest booking;
    booking.set_resource_id(event.resource_id());
    *booking.mutable_start_time() = event.start_time();
    *booking.mutable_end_time() = event.end_time();
    booking.set_quantity(std::max(1, (*facts)->resource->capacity()));
    booking.set_title(event.title());
    booking.set_notes(absl::StrCat("programme event ", event.id()));
    booking.set_organization_id(*organiser);
    booking.set_request_id(request.request_id());
    // Nobody checks in to an event's booking, and only the programme cancels it (with the event).
    auto booked = scheduler_->CreateBooking(caller, booking, scheduler::HeldFor{event.id()});
    if (!booked.ok()) return booked.status();
    event.set_booking_id(booked->id());
  } else {
    save.networks = {event.network_id()};
  }
  if (!event.resource_id().empty()) {
    auto networks = EventNetworks(*registry_, event);
    save.networks.assign(networks.begin(), networks.end());
  }
  save.event = event;
  save.replay_key = IdempotencyKey(request).empty()
                        ? ""
                        : absl::StrCat(caller.organization_id, ":", IdempotencyKey(request));
  auto saved = store_->Save(save);
  if (!saved.ok() && !event.booking_id().empty()) {
    // Without its event the booking would hold the resource for nobody: give it back.
    auto undo = scheduler_->Transition(
        OrganiserCaller(*organiser), {event.booking_id(), scheduler::Transition::kCancel, "", false,
                                      false, "the event could not be saved", "", event.id()});
    if (!undo.ok())
      logging::Error("programme: booking of an unsaved event not released",
                     {{"booking", event.booking_id()}, {"error", undo.status().ToString()}});
  }
  return saved;
}

absl::StatusOr<v1::Event> Programme::GetEvent(const Caller& caller, const std::string& id) {
  return Visible(caller, id);
}

absl::StatusOr<v1::Event> Programme::UpdateEvent(const Caller& caller,
                                                 const v1::UpdateEventRequest& request) {
  if (ReadOnly(caller)) return Forbidden("this token may only read");
  const v1::Event& change = request.event();
  if (change.etag().empty()) return InvalidField("event.etag", "is required");
  auto current = Organised(caller, change.id());
  if (!current.ok()) return current.status();
  if (current->state() == v1::EVENT_STATE_CANCELLED)
    return PreconditionError("EVENT_CANCELLED", "a cancelled event does not change");
  static const std::set<std::string> kUpdatable = {
      "kind",     "title",       "description",       "language",  "audiences",
      "capacity", "price_cents", "registration_open", "visibility"};
  std::vector<std::string> paths(request.update_mask().paths().begin(),
                                 request.update_mask().paths().end());
  if (paths.empty()) paths.assign(kUpdatable.begin(), kUpdatable.end());
  v1::Event updated = *current;
  for (const auto& path : paths) {
    if (!kUpdatable.count(path))
      return InvalidField("update_mask",
                          absl::StrCat("'", path.substr(0, 64),
                                       "' cannot be changed; cancel the event and create another "
                                       "to move it"));
    const auto* field = v1::Event::descriptor()->FindFieldByName(path);
    updated.GetReflection()->ClearField(&updated, field);
    if (field->is_repeated() || change.GetReflection()->HasField(change, field)) {
      if (field->is_repeated()) {
        for (int i = 0; i < change.GetReflection()->FieldSize(change, field); ++i)
          updated.add_audiences(change.audiences(i));
      } else {
        v1::Event part;
        part.CopyFrom(change);
        std::vector<const google::protobuf::FieldDescriptor*> others;
        part.GetReflection()->ListFields(part, &others);
        for (const auto* other : others)
          if (other != field) part.GetReflection()->ClearField(&part, other);
        updated.MergeFrom(part);
      }
    }
  }
  if (auto valid = NormalizeEvent(&updated); !valid.ok()) return valid;
  *updated.mutable_update_time() = TimeUtil::MillisecondsToTimestamp(clock_());
  SaveCommand save;
  save.event = updated;
  save.expected_etag = change.etag();
  save.replay_key = IdempotencyKey(request).empty()
                        ? ""
                        : absl::StrCat(caller.organization_id, ":", IdempotencyKey(request));
  return store_->Save(save);
}

absl::StatusOr<v1::Event> Programme::CancelEvent(const Caller& caller,
                                                 const v1::CancelEventRequest& request) {
  if (ReadOnly(caller)) return Forbidden("this token may only read");
  if (request.reason().empty()) return InvalidField("reason", "is required");
  auto event = Organised(caller, request.id());
  if (!event.ok()) return event.status();
  if (event->state() == v1::EVENT_STATE_CANCELLED) return event;
  if (!event->booking_id().empty()) {
    auto freed = scheduler_->Transition(
        OrganiserCaller(event->organizer_organization_id()),
        {event->booking_id(), scheduler::Transition::kCancel, "", false, false,
         absl::StrCat("event cancelled: ", request.reason()), "", event->id()});
    // A booking already released (completed, or cancelled by the owner) has nothing to free.
    if (!freed.ok() && freed.status().code() != absl::StatusCode::kFailedPrecondition)
      return freed.status();
  }
  event->set_state(v1::EVENT_STATE_CANCELLED);
  event->set_cancel_reason(request.reason());
  event->set_registration_open(false);
  *event->mutable_update_time() = TimeUtil::MillisecondsToTimestamp(clock_());
  SaveCommand save;
  save.event = *event;
  save.expected_etag = request.etag();
  return store_->Save(save);
}

absl::StatusOr<v1::ListEventsResponse> Programme::ListEvents(const Caller& caller,
                                                             const v1::ListEventsRequest& request) {
  auto size = PageSize(request.page_size(), 50, kMaxEventsPage);
  if (!size.ok()) return size.status();
  // A page token names the last event looked at: "<start ms>:<id>".
  EventCursor after;
  if (!request.page_token().empty()) {
    const size_t colon = request.page_token().find(':');
    if (colon == std::string::npos || colon + 1 == request.page_token().size() ||
        !absl::SimpleAtoi(request.page_token().substr(0, colon), &after.start) || after.start < 0)
      return InvalidField("page_token",
                          "not a token this server issued (tokens of before 2026-12 are not "
                          "taken: start again from the first page)");
    after.id = request.page_token().substr(colon + 1);
  }
  EventIndex index;
  if (!request.resource_id().empty()) {
    index = {EventIndex::Kind::kResource, request.resource_id()};
  } else if (!request.network_id().empty()) {
    index = {EventIndex::Kind::kNetwork, request.network_id()};
  }
  const EpochMs from = request.has_from_time() ? Ms(request.from_time()) : 0;
  const EpochMs to = request.has_to_time() ? Ms(request.to_time()) : INT64_MAX / 2;
  if (to <= from) return InvalidField("to_time", "must be after from_time");
  auto keep = [&](const v1::Event& e) {
    if (!request.include_cancelled() && e.state() == v1::EVENT_STATE_CANCELLED) return false;
    if (Ms(e.end_time()) <= from) return false;
    if (!request.network_id().empty() && !request.resource_id().empty() &&
        !EventNetworks(*registry_, e).count(request.network_id()))
      return false;
    if (request.kind() != v1::EVENT_KIND_UNSPECIFIED && e.kind() != request.kind()) return false;
    if (request.audience() != v1::AUDIENCE_UNSPECIFIED && !HasAudience(e, request.audience()))
      return false;
    return EventVisibleTo(*registry_, caller, e);
  };
  auto page = store_->List(index, std::max<EpochMs>(0, from - kMaxEventMs), to, after, *size, keep);
  if (!page.ok()) return page.status();
  v1::ListEventsResponse response;
  for (auto& e : page->events) *response.add_events() = std::move(e);
  if (page->next)
    response.set_next_page_token(absl::StrCat(page->next->start, ":", page->next->id));
  return response;
}

absl::StatusOr<v1::Registration> Programme::Register(const Caller& caller,
                                                     const v1::RegisterRequest& request) {
  v1::RegisterRequest r = request;
  if (auto valid = NormalizeRegistration(&r); !valid.ok()) return valid;
  if (!caller.CanWriteFor(caller.organization_id))
    return Forbidden("this token may not register for events");
  auto event = Visible(caller, r.event_id());
  if (!event.ok()) return event.status();
  RegisterCommand command;
  command.event_id = event->id();
  command.registration_id = NewId("reg");
  command.organization_id = caller.organization_id;
  command.person_name = r.person_name();
  command.person_email = r.person_email();
  command.places = r.places();
  const std::string idempotency = IdempotencyKey(request);
  if (!idempotency.empty())
    command.replay_key = absl::StrCat(caller.organization_id, ":", idempotency);
  return store_->Register(command);
}

absl::StatusOr<v1::Registration> Programme::CancelRegistration(
    const Caller& caller, const v1::CancelRegistrationRequest& request) {
  if (request.registration_id().empty()) return InvalidField("registration_id", "is required");
  if (ReadOnly(caller)) return Forbidden("this token may only read");
  const std::string idempotency = IdempotencyKey(request);
  const std::string replay =
      idempotency.empty() ? "" : absl::StrCat(caller.organization_id, ":", idempotency);
  auto event = Visible(caller, request.event_id());
  if (event.status().code() == absl::StatusCode::kNotFound) {
    // An event narrowed to its network since (or otherwise out of sight) still lets the
    // organisation that registered cancel its own registration; anyone else learns nothing.
    auto own = store_->Unregister(request.event_id(), request.registration_id(),
                                  caller.organization_id, false, replay);
    if (own.ok()) return own;
    return event.status();
  }
  if (!event.ok()) return event.status();
  return store_->Unregister(event->id(), request.registration_id(), caller.organization_id,
                            MayOrganise(caller, *event), replay);
}

absl::StatusOr<v1::ListRegistrationsResponse> Programme::ListRegistrations(
    const Caller& caller, const v1::ListRegistrationsRequest& request) {
  auto size = PageSize(request.page_size(), 100, 1000);
  if (!size.ok()) return size.status();
  int64_t offset = 0;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &offset) || offset < 0))
    return InvalidField("page_token", "not a token this server issued");
  auto event = Organised(caller, request.event_id());
  if (!event.ok()) return event.status();
  auto all = store_->Registrations(event->id());
  if (!all.ok()) return all.status();
  v1::ListRegistrationsResponse response;
  for (int64_t i = offset; i < static_cast<int64_t>(all->size()) && i < offset + *size; ++i)
    *response.add_registrations() = (*all)[i];
  if (offset + *size < static_cast<int64_t>(all->size()))
    response.set_next_page_token(std::to_string(offset + *size));
  return response;
}

absl::StatusOr<v1::Registration> Programme::RecordAttendance(
    const Caller& caller, const v1::RecordAttendanceRequest& request) {
  if (request.registration_id().empty()) return InvalidField("registration_id", "is required");
  if (ReadOnly(caller)) return Forbidden("this token may only read");
  auto event = Organised(caller, request.event_id());
  if (!event.ok()) return event.status();
  return store_->RecordAttendance(event->id(), request.registration_id(), request.attended());
}

absl::StatusOr<v1::ExportProgrammeCalendarResponse> Programme::ExportCalendar(
    const Caller& caller, const v1::ExportProgrammeCalendarRequest& request) {
  if (request.resource_id().empty() == request.network_id().empty())
    return InvalidField("resource_id", "give exactly one of resource_id and network_id");
  const EpochMs from = request.has_from_time() ? Ms(request.from_time()) : clock_();
  const EpochMs to = request.has_to_time() ? Ms(request.to_time()) : from + kYearMs;
  if (to <= from) return InvalidField("to_time", "must be after from_time");
  v1::ListEventsRequest list;
  list.set_resource_id(request.resource_id());
  list.set_network_id(request.network_id());
  *list.mutable_from_time() = TimeUtil::MillisecondsToTimestamp(from);
  *list.mutable_to_time() = TimeUtil::MillisecondsToTimestamp(to);
  list.set_include_cancelled(true);
  // Up to kMaxCalendarEvents, over as many pages as a page's bounded look takes.
  std::vector<v1::Event> all;
  for (int pages = 0; pages < 20 && static_cast<int>(all.size()) < kMaxCalendarEvents; ++pages) {
    list.set_page_size(kMaxCalendarEvents - static_cast<int>(all.size()));
    auto events = ListEvents(caller, list);
    if (!events.ok()) return events.status();
    all.insert(all.end(), events->events().begin(), events->events().end());
    if (events->next_page_token().empty()) break;
    list.set_page_token(events->next_page_token());
  }
  const std::string name = request.resource_id().empty()
                               ? absl::StrCat("Programme of network ", request.network_id())
                               : absl::StrCat("Programme at resource ", request.resource_id());
  auto calendar = EventsToICalendar(
      all, name, [this](const std::string& id) -> std::shared_ptr<const registry::v1::Resource> {
        auto facts = registry_->Find(id);  // unknown or unreadable: the calendar names the id
        return facts.ok() && facts->has_value() ? (*facts)->resource : nullptr;
      });
  if (!calendar.ok()) return calendar.status();
  v1::ExportProgrammeCalendarResponse response;
  response.set_content_type("text/calendar");
  response.set_calendar(std::move(*calendar));
  return response;
}

}  // namespace infrashare::programme
