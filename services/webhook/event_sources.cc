#include "services/webhook/event_sources.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/availability.h"
#include "services/programme/programme.h"
#include "services/registry/registry.h"
#include "services/registry/store.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/rotations.h"
#include "services/scheduler/scheduler.h"

namespace infrashare::webhook {
namespace {

TimedTrigger Trigger(std::string payload_type, std::string object_id, std::string organization_id,
                     v1::WebhookEventType event_type) {
  TimedTrigger trigger;
  trigger.payload_type = std::move(payload_type);
  trigger.object_id = std::move(object_id);
  trigger.organization_id = std::move(organization_id);
  trigger.event_type = event_type;
  return trigger;
}

// The template section of an outcome (services/mail/templates.cc, inquiry.resolved).
const char* OutcomeWord(desk::v1::Outcome outcome) {
  switch (outcome) {
    case desk::v1::OUTCOME_REFERRED_OUTSIDE:
      return "outside";
    case desk::v1::OUTCOME_FACILITY_BOOKED:
      return "facility";
    case desk::v1::OUTCOME_TRAINING_ENROLLED:
      return "training";
    case desk::v1::OUTCOME_INTERNSHIP_ARRANGED:
      return "internship";
    case desk::v1::OUTCOME_NO_MATCH:
      return "no_match";
    case desk::v1::OUTCOME_WITHDRAWN:
      return "withdrawn";
    default:
      return "answered";
  }
}

// The e-mail to a booker of a change, by the event's type and the booking's state: "" none.
std::string BookerMoment(const std::string& type, scheduler::v1::BookingState state) {
  if (type == "PROMOTED") return "booking.promoted";
  switch (state) {
    case scheduler::v1::BOOKING_STATE_CONFIRMED:  // booked at once, submitted or approved
      return "booking.confirmed";
    case scheduler::v1::BOOKING_STATE_REJECTED:
      return "booking.rejected";
    case scheduler::v1::BOOKING_STATE_CANCELLED:  // by the booker, the owner or an admin
      return "booking.cancelled";
    case scheduler::v1::BOOKING_STATE_NO_SHOW:
      return "booking.released";
    default:
      return "";
  }
}

class Bookings final : public EventSource {
 public:
  Bookings(const scheduler::Catalog* catalog, scheduler::BookingStore* bookings,
           std::vector<std::string> streams)
      : catalog_(catalog), bookings_(bookings), streams_(std::move(streams)) {}

  std::vector<std::string> Streams() const override { return streams_; }

  std::optional<ChangeKind> Classify(const StreamEntry& entry) const override {
    const std::string* type = entry.Field("type");
    if (type == nullptr) return std::nullopt;
    if (*type == "PROMOTED")
      return ChangeKind{v1::WEBHOOK_EVENT_TYPE_WAITLIST, "waitlist.promoted"};
    if (*type == "CREATED") return ChangeKind{v1::WEBHOOK_EVENT_TYPE_BOOKING, "booking.created"};
    return ChangeKind{v1::WEBHOOK_EVENT_TYPE_BOOKING, "booking.state_changed"};
  }

  absl::StatusOr<std::optional<v1::WebhookData>> Read(const StreamEntry& entry,
                                                      const Caller& reader) override {
    auto event = scheduler::BookingEventOf(entry);
    if (!event.ok()) return event.status();
    v1::WebhookData data;
    auto* out = data.mutable_booking();
    out->set_type(event->type);
    scheduler::RedactBookingFor(reader, *catalog_, &event->booking);
    *out->mutable_booking() = std::move(event->booking);
    return data;
  }

  // booking.approval_needed to the resource's facility managers when a request awaits them;
  // booking.confirmed, .rejected, .cancelled, .promoted and .released to the booker who gave an
  // address.
  absl::StatusOr<std::vector<MailRequest>> Mails(const StreamEntry& entry) override {
    std::vector<MailRequest> mails;
    auto event = scheduler::BookingEventOf(entry);
    if (!event.ok()) return mails;
    const std::string* type = entry.Field("type");
    const std::string moment =
        BookerMoment(type == nullptr ? std::string() : *type, event->booking.state());
    if (!moment.empty()) {
      // Only a booking whose booker gave an address is looked up.
      if (!event->booker_contact) return mails;
      return ToBooker(moment, event->booking);
    }
    if (event->booking.state() != scheduler::v1::BOOKING_STATE_PENDING_APPROVAL) return mails;
    const scheduler::v1::Booking& b = event->booking;
    const auto facts = catalog_->Cached(b.resource_id());
    if (!facts || !facts->resource) return mails;
    const registry::v1::Resource& r = *facts->resource;
    const std::string zone = r.time_zone().empty() ? "Europe/Amsterdam" : r.time_zone();
    using google::protobuf::util::TimeUtil;
    const mail::Values values = {
        {"resource", r.display_name()},
        {"organization", catalog_->OrganizationName(b.organization_id())},
        {"start", mail::LocalTime(TimeUtil::TimestampToMilliseconds(b.start_time()), zone)},
        {"end", mail::LocalTime(TimeUtil::TimestampToMilliseconds(b.end_time()), zone)},
        {"title", b.title()},
        {"reference", b.id()}};
    for (const auto& staff : r.staff())
      if (staff.role() == registry::v1::STAFF_ROLE_FACILITY_MANAGER && !staff.email().empty())
        mails.push_back({"booking.approval_needed", staff.email(), "nl", values});
    return mails;
  }

  absl::StatusOr<std::vector<TimedTrigger>> Timed(const StreamEntry& entry,
                                                  const std::set<int>& wanted) override {
    if (!wanted.count(v1::WEBHOOK_EVENT_TYPE_BOOKING_REMINDER)) return std::vector<TimedTrigger>{};
    auto event = scheduler::BookingEventOf(entry);
    if (!event.ok()) return std::vector<TimedTrigger>{};
    const scheduler::v1::Booking& b = event->booking;
    TimedTrigger soon = Trigger("booking.starts_soon", b.id(), b.organization_id(),
                                v1::WEBHOOK_EVENT_TYPE_BOOKING_REMINDER);
    switch (b.state()) {
      case scheduler::v1::BOOKING_STATE_CONFIRMED:
        soon.reminds_of_ms =
            google::protobuf::util::TimeUtil::TimestampToMilliseconds(b.start_time());
        return std::vector<TimedTrigger>{soon};
      case scheduler::v1::BOOKING_STATE_HELD:
      case scheduler::v1::BOOKING_STATE_PENDING_APPROVAL:
        return std::vector<TimedTrigger>{};  // not yet: a reminder comes once it is confirmed
      case scheduler::v1::BOOKING_STATE_COMPLETED: {
        TimedTrigger ended = Trigger("booking.ended", b.id(), b.organization_id(),
                                     v1::WEBHOOK_EVENT_TYPE_BOOKING_REMINDER);
        ended.now = true;
        return std::vector<TimedTrigger>{soon, ended};
      }
      default:
        // Cancelled, rejected, released, checked in: no reminder any more.
        return std::vector<TimedTrigger>{soon};
    }
  }

 private:
  // `moment` to the address the booker gave for the booking (none: nothing), in Dutch: the
  // resource, who booked, from and to in its zone, the title, the reason, a hold's expiry.
  absl::StatusOr<std::vector<MailRequest>> ToBooker(const std::string& moment,
                                                    const scheduler::v1::Booking& b) {
    std::vector<MailRequest> mails;
    auto address = bookings_->BookerContact(b.id());
    if (!address.ok()) return address.status();
    if (address->empty()) return mails;  // none given, erased or past its retention
    const auto facts = catalog_->Cached(b.resource_id());
    if (!facts || !facts->resource) return mails;
    const registry::v1::Resource& r = *facts->resource;
    const std::string zone = r.time_zone().empty() ? "Europe/Amsterdam" : r.time_zone();
    using google::protobuf::util::TimeUtil;
    mail::Values values = {
        {"resource", r.display_name()},
        {"organization", catalog_->OrganizationName(b.organization_id())},
        {"start", mail::LocalTime(TimeUtil::TimestampToMilliseconds(b.start_time()), zone)},
        {"end", mail::LocalTime(TimeUtil::TimestampToMilliseconds(b.end_time()), zone)},
        {"title", b.title()},
        {"reason", b.reason()},
        {"reference", b.id()}};
    if (b.has_hold_expire_time())
      values["until"] =
          mail::LocalTime(TimeUtil::TimestampToMilliseconds(b.hold_expire_time()), zone);
    mails.push_back({moment, *address, "nl", std::move(values)});
    return mails;
  }

  const scheduler::Catalog* catalog_;
  scheduler::BookingStore* bookings_;
  std::vector<std::string> streams_;
};

class Resources final : public EventSource {
 public:
  Resources(registry::RegistryReadModel* registry, std::string stream)
      : registry_(registry), stream_(std::move(stream)) {}

  std::vector<std::string> Streams() const override { return {stream_}; }

  std::optional<ChangeKind> Classify(const StreamEntry& entry) const override {
    const registry::Change change = registry::ChangeOf(entry);
    if (change.kind != registry::kResourceKind) return std::nullopt;
    if (change.op != "created" && change.op != "updated" && change.op != "deleted")
      return std::nullopt;
    return ChangeKind{v1::WEBHOOK_EVENT_TYPE_REGISTRY, "resource." + change.op};
  }

  absl::StatusOr<std::optional<v1::WebhookData>> Read(const StreamEntry& entry,
                                                      const Caller& reader) override {
    const registry::Change change = registry::ChangeOf(entry);
    v1::WebhookData data;
    auto* out = data.mutable_resource();
    out->set_resource_id(change.id);
    if (change.op == "deleted") {
      out->set_type(registry::v1::CHANGE_TYPE_DELETED);
      return data;
    }
    out->set_type(change.op == "created" ? registry::v1::CHANGE_TYPE_CREATED
                                         : registry::v1::CHANGE_TYPE_UPDATED);
    if (!out->mutable_resource()->ParseFromString(change.data))
      return absl::InternalError("corrupt change record");
    registry::Registry::RedactFor(reader, registry_->NetworksOf(reader.organization_id),
                                  out->mutable_resource());
    return data;
  }

 private:
  registry::RegistryReadModel* registry_;
  std::string stream_;
};

class Inquiries final : public EventSource {
 public:
  Inquiries(desk::Desk* desk, desk::DeskStore* store, registry::RegistryReadModel* registry,
            std::string stream, int64_t feedback_after_ms, int64_t contact_retention_ms)
      : desk_(desk),
        store_(store),
        registry_(registry),
        stream_(std::move(stream)),
        feedback_after_ms_(feedback_after_ms),
        contact_retention_ms_(contact_retention_ms) {}

  std::vector<std::string> Streams() const override { return {stream_}; }

  std::optional<ChangeKind> Classify(const StreamEntry& entry) const override {
    const desk::InquiryEventRecord event = desk::DeskStore::EventOf(entry);
    if (event.type == desk::v1::INQUIRY_EVENT_TYPE_UNSPECIFIED) return std::nullopt;
    // "INQUIRY_EVENT_TYPE_TIMED_OUT" -> "timed_out"
    const std::string name =
        absl::AsciiStrToLower(desk::v1::InquiryEventType_Name(event.type)
                                  .substr(std::string_view("INQUIRY_EVENT_TYPE_").size()));
    switch (event.type) {
      case desk::v1::INQUIRY_EVENT_TYPE_OFFERED:
      case desk::v1::INQUIRY_EVENT_TYPE_ACCEPTED:
      case desk::v1::INQUIRY_EVENT_TYPE_DECLINED:
      case desk::v1::INQUIRY_EVENT_TYPE_TIMED_OUT:
        return ChangeKind{v1::WEBHOOK_EVENT_TYPE_DESK_OFFER, "offer." + name};
      case desk::v1::INQUIRY_EVENT_TYPE_ESCALATED:
        return ChangeKind{v1::WEBHOOK_EVENT_TYPE_DESK_ESCALATION, "inquiry." + name};
      case desk::v1::INQUIRY_EVENT_TYPE_FEEDBACK:
        return ChangeKind{v1::WEBHOOK_EVENT_TYPE_DESK_FEEDBACK, "inquiry." + name};
      default:
        return ChangeKind{v1::WEBHOOK_EVENT_TYPE_DESK_INQUIRY, "inquiry." + name};
    }
  }

  absl::StatusOr<std::optional<v1::WebhookData>> Read(const StreamEntry& entry,
                                                      const Caller& reader) override {
    const desk::InquiryEventRecord event = desk::DeskStore::EventOf(entry);
    auto inquiry = desk_->Visible(reader, event.inquiry_id);
    if (!inquiry.ok()) return inquiry.status();
    // The organisation of the responder an offer event is about hears of it also once the offer
    // ended and the inquiry is no longer its to see (before, it never got offer.declined or
    // offer.timed_out, and lost offer.offered read after the offer ended): with the question as
    // it was offered.
    if (const auto kind = Classify(entry);
        !inquiry->has_value() && kind && kind->event_type == v1::WEBHOOK_EVENT_TYPE_DESK_OFFER)
      inquiry = desk_->OfferedTo(reader, event.inquiry_id, event.responder_id);
    if (!inquiry.ok()) return inquiry.status();
    if (!inquiry->has_value()) return std::nullopt;
    v1::WebhookData data;
    auto* out = data.mutable_inquiry();
    out->set_type(event.type);
    out->set_inquiry_id(event.inquiry_id);
    out->set_responder_id(event.responder_id);
    *out->mutable_inquiry() = std::move(**inquiry);
    return data;
  }

  // offer.deadline_near for the offered responder's organisation: set by the offer, ended by
  // whatever ends it for that responder (accepted, declined, timed out, withdrawn).
  absl::StatusOr<std::vector<TimedTrigger>> Timed(const StreamEntry& entry,
                                                  const std::set<int>& wanted) override {
    std::vector<TimedTrigger> triggers;
    if (!wanted.count(v1::WEBHOOK_EVENT_TYPE_DESK_OFFER)) return triggers;
    const desk::InquiryEventRecord event = desk::DeskStore::EventOf(entry);
    switch (event.type) {
      case desk::v1::INQUIRY_EVENT_TYPE_OFFERED:
      case desk::v1::INQUIRY_EVENT_TYPE_ACCEPTED:
      case desk::v1::INQUIRY_EVENT_TYPE_DECLINED:
      case desk::v1::INQUIRY_EVENT_TYPE_TIMED_OUT:
      case desk::v1::INQUIRY_EVENT_TYPE_WITHDRAWN:
        break;
      default:
        return triggers;
    }
    if (event.responder_id.empty()) return triggers;
    auto responder = store_->GetResponder(event.responder_id);
    if (!responder.ok()) return responder.status();
    if (!responder->has_value()) return triggers;  // deleted since: nobody to warn
    TimedTrigger near =
        Trigger("offer.deadline_near", absl::StrCat(event.inquiry_id, "|", event.responder_id),
                (*responder)->organization_id(), v1::WEBHOOK_EVENT_TYPE_DESK_OFFER);
    if (event.type == desk::v1::INQUIRY_EVENT_TYPE_OFFERED) {
      auto stored = store_->GetInquiry(event.inquiry_id, false);
      if (!stored.ok()) return stored.status();
      // Still offered to this responder when read (else a later entry ends it anyway).
      if (stored->has_value() && (*stored)->inquiry.has_offer_deadline() &&
          std::count((*stored)->inquiry.offered_to().begin(), (*stored)->inquiry.offered_to().end(),
                     event.responder_id) > 0) {
        const int64_t deadline = google::protobuf::util::TimeUtil::TimestampToMilliseconds(
            (*stored)->inquiry.offer_deadline());
        near.reminds_of_ms = deadline;
        near.lead_ms = std::min(kOfferWarningMs, (deadline - TimeOfEntry(entry.id)) / 2);
      }
    }
    triggers.push_back(std::move(near));
    return triggers;
  }

  // To an asker who gave an address: inquiry.received when the question came in,
  // inquiry.resolved when it was dealt with (with the outcome and the partner who handled it),
  // inquiry.feedback `feedback_after_ms_` later (dropped when feedback is recorded first).
  absl::StatusOr<std::vector<MailRequest>> Mails(const StreamEntry& entry) override {
    std::vector<MailRequest> mails;
    const desk::InquiryEventRecord event = desk::DeskStore::EventOf(entry);
    if (event.type == desk::v1::INQUIRY_EVENT_TYPE_ESCALATED) return Escalated(event);
    if (event.type == desk::v1::INQUIRY_EVENT_TYPE_OFFERED) return Offered(event);
    const bool received = event.type == desk::v1::INQUIRY_EVENT_TYPE_SUBMITTED;
    const bool feedback = event.type == desk::v1::INQUIRY_EVENT_TYPE_FEEDBACK;
    if (!received && !feedback && event.type != desk::v1::INQUIRY_EVENT_TYPE_RESOLVED) return mails;
    auto stored = store_->GetInquiry(event.inquiry_id, false);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return mails;
    const desk::v1::Inquiry& inquiry = (*stored)->inquiry;
    // Erased or past its retention meanwhile: nobody to write to.
    if (inquiry.contact().email().empty()) return mails;
    if (feedback) {  // given (through the form or the entry partner): no request waits any more
      MailRequest drop{"inquiry.feedback", inquiry.contact().email(), inquiry.language(), {}};
      drop.object_id = inquiry.id();
      mails.push_back(std::move(drop));
      return mails;
    }
    std::string desk = registry_->OrganizationName(inquiry.entry_organization_id());
    if (desk.empty()) desk = "infrashare";
    MailRequest mail{received ? "inquiry.received" : "inquiry.resolved",
                     inquiry.contact().email(),
                     inquiry.language(),
                     {{"name", inquiry.contact().name()},
                      {"reference", inquiry.id()},
                      {"question", inquiry.text()},
                      {"desk", desk}}};
    if (!received) {
      if (!event.responder_id.empty()) {
        auto responder = store_->GetResponder(event.responder_id);
        if (!responder.ok()) return responder.status();
        if (responder->has_value())
          mail.values["by"] = registry_->OrganizationName((*responder)->organization_id());
      }
      mail.values[OutcomeWord(inquiry.outcome())] = "1";
      // Asked how it went when a partner dealt with it (not withdrawn, not unmatched), unless it
      // was told already, and only while the asker's address is held: the request waits with it.
      const int64_t ask_at = TimeOfEntry(entry.id) + feedback_after_ms_;
      const int64_t contact_until =
          google::protobuf::util::TimeUtil::TimestampToMilliseconds(inquiry.create_time()) +
          contact_retention_ms_;
      if (!inquiry.has_feedback() && inquiry.outcome() != desk::v1::OUTCOME_WITHDRAWN &&
          inquiry.outcome() != desk::v1::OUTCOME_NO_MATCH && ask_at < contact_until) {
        MailRequest ask{"inquiry.feedback", mail.to, mail.language, mail.values};
        ask.object_id = inquiry.id();
        ask.reminds_of_ms = ask_at;
        ask.link_path = kFeedbackPath;
        mails.push_back(std::move(ask));
      }
    }
    mails.insert(mails.begin(), std::move(mail));
    return mails;
  }

 private:
  // inquiry.escalated to the coordinators of the network that handles it (never the asker's
  // contact: they find it with the question).
  absl::StatusOr<std::vector<MailRequest>> Escalated(const desk::InquiryEventRecord& event) {
    std::vector<MailRequest> mails;
    auto stored = store_->GetInquiry(event.inquiry_id, true);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return mails;
    const desk::v1::Inquiry& inquiry = (*stored)->inquiry;
    auto network = registry_->NetworkRecord(inquiry.network_id());
    if (!network.ok()) return network.status();
    if (!network->has_value()) return mails;
    std::string cause;
    for (const auto& h : inquiry.history())
      if (h.kind() == desk::v1::HISTORY_KIND_ESCALATED) cause = h.note();
    const mail::Values values = {
        {"network", (*network)->display_name()},
        {"reference", inquiry.id()},
        {"level", absl::StrCat(inquiry.escalation_level())},
        {"cause", cause},
        {"question", inquiry.text()},
        {"entry", registry_->OrganizationName(inquiry.entry_organization_id())}};
    for (const auto& coordinator : (*network)->coordinators())
      if (!coordinator.email().empty())
        mails.push_back({"inquiry.escalated", coordinator.email(), "nl", values});
    return mails;
  }

  // offer.waiting to the responder it is offered to, when it has an address and the offer still
  // stands: the question, the deadline in the responder's zone, in its first language.
  absl::StatusOr<std::vector<MailRequest>> Offered(const desk::InquiryEventRecord& event) {
    std::vector<MailRequest> mails;
    if (event.responder_id.empty()) return mails;
    auto responder = store_->GetResponder(event.responder_id);
    if (!responder.ok()) return responder.status();
    if (!responder->has_value() || (*responder)->email().empty()) return mails;
    const desk::v1::Responder& r = **responder;
    auto stored = store_->GetInquiry(event.inquiry_id, false);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return mails;
    const desk::v1::Inquiry& inquiry = (*stored)->inquiry;
    if (inquiry.state() != desk::v1::INQUIRY_STATE_OFFERED ||
        std::count(inquiry.offered_to().begin(), inquiry.offered_to().end(), r.id()) == 0)
      return mails;  // accepted, declined or lapsed before this was read: nothing waits
    std::string desk = registry_->OrganizationName(inquiry.entry_organization_id());
    if (desk.empty()) desk = "infrashare";
    mail::Values values = {{"name", r.display_name()},
                           {"responder", r.id()},
                           {"reference", inquiry.id()},
                           {"question", inquiry.text()},
                           {"desk", desk}};
    if (inquiry.has_offer_deadline())
      values["deadline"] = mail::LocalTime(
          google::protobuf::util::TimeUtil::TimestampToMilliseconds(inquiry.offer_deadline()),
          r.time_zone());
    mails.push_back({"offer.waiting", r.email(),
                     r.languages().empty() ? std::string("nl") : r.languages(0),
                     std::move(values)});
    return mails;
  }

  desk::Desk* desk_;
  desk::DeskStore* store_;
  registry::RegistryReadModel* registry_;
  std::string stream_;
  int64_t feedback_after_ms_;
  int64_t contact_retention_ms_;  // the asker's address is kept this long after submission
};

class Subscriptions final : public EventSource {
 public:
  Subscriptions(registry::RegistryReadModel* registry, std::string stream)
      : registry_(registry), stream_(std::move(stream)) {}

  std::vector<std::string> Streams() const override { return {stream_}; }
  std::optional<ChangeKind> Classify(const StreamEntry&) const override { return std::nullopt; }
  absl::StatusOr<std::optional<v1::WebhookData>> Read(const StreamEntry&, const Caller&) override {
    return std::optional<v1::WebhookData>();
  }

  absl::StatusOr<std::vector<MailRequest>> Mails(const StreamEntry& entry) override {
    std::vector<MailRequest> mails;
    const std::string* type = entry.Field("type");
    const std::string* organization = entry.Field("org");
    if (type == nullptr || *type != "DISABLED" || organization == nullptr) return mails;
    auto record = registry_->OrganizationRecord(*organization);
    if (!record.ok()) return record.status();
    if (!record->has_value()) return mails;  // deleted since: its subscriptions went with it
    auto field = [&entry](const char* name) {
      const std::string* value = entry.Field(name);
      return value == nullptr ? std::string() : *value;
    };
    const mail::Values values = {
        {"organization", (*record)->display_name()},
        {"subscription", field("sub")},
        {"url", field("url")},
        {"why", field("why")},
        {"when", mail::LocalTime(TimeOfEntry(entry.id), std::string(kDefaultTimeZone))}};
    for (const auto& contact : (*record)->contacts())
      if (!contact.email().empty())
        mails.push_back({"webhook.disabled", contact.email(), "nl", values});
    return mails;
  }

 private:
  registry::RegistryReadModel* registry_;
  std::string stream_;
};

class Handovers final : public EventSource {
 public:
  Handovers(scheduler::RotationStore* rotations, registry::RegistryReadModel* registry,
            std::string stream, int64_t mail_lead_ms)
      : rotations_(rotations),
        registry_(registry),
        stream_(std::move(stream)),
        mail_lead_ms_(mail_lead_ms) {}

  std::vector<std::string> Streams() const override { return {stream_}; }

  std::optional<ChangeKind> Classify(const StreamEntry& entry) const override {
    const auto event = scheduler::RotationStore::EventOf(entry);
    if (event.type != "HANDOVER_OVERDUE") return std::nullopt;
    return ChangeKind{v1::WEBHOOK_EVENT_TYPE_ROTATION, "handover.overdue"};
  }

  absl::StatusOr<std::optional<v1::WebhookData>> Read(const StreamEntry& entry,
                                                      const Caller& reader) override {
    const auto event = scheduler::RotationStore::EventOf(entry);
    auto handover = scheduler::HandoverVisibleTo(rotations_, reader, event.handover_id);
    if (!handover.ok()) return handover.status();
    if (!handover->has_value()) return std::nullopt;
    v1::WebhookData data;
    auto* out = data.mutable_rotation();
    // Unset for the entries that only set timed triggers (a hand-over planned): a moment.
    if (event.type == "HANDOVER_OVERDUE")
      out->set_type(scheduler::v1::ROTATION_EVENT_TYPE_HANDOVER_OVERDUE);
    *out->mutable_handover() = std::move(**handover);
    return data;
  }

  // handover.due for both sides, the subscription's reminder lead before a planned hand-over;
  // ended when both have confirmed it or a new plan dropped it.
  absl::StatusOr<std::vector<TimedTrigger>> Timed(const StreamEntry& entry,
                                                  const std::set<int>& wanted) override {
    std::vector<TimedTrigger> triggers;
    if (!wanted.count(v1::WEBHOOK_EVENT_TYPE_ROTATION)) return triggers;
    const auto event = scheduler::RotationStore::EventOf(entry);
    const bool planned = event.type == "HANDOVER_PLANNED";
    if (!planned && event.type != "HANDOVER_CONFIRMED" && event.type != "HANDOVER_DROPPED")
      return triggers;
    for (const std::string* side : {&event.from_organization_id, &event.to_organization_id}) {
      if (side->empty() || (!triggers.empty() && triggers.front().organization_id == *side))
        continue;
      TimedTrigger due =
          Trigger("handover.due", event.handover_id, *side, v1::WEBHOOK_EVENT_TYPE_ROTATION);
      if (planned) due.reminds_of_ms = event.time_ms;
      triggers.push_back(std::move(due));
    }
    return triggers;
  }

  // handover.due by e-mail to the contacts with an address of both sides, mail_lead_ms before a
  // planned hand-over (at once when it is planned later than that); dropped when both have
  // confirmed it or a new plan dropped it.
  absl::StatusOr<std::vector<MailRequest>> Mails(const StreamEntry& entry) override {
    std::vector<MailRequest> mails;
    const auto event = scheduler::RotationStore::EventOf(entry);
    const bool planned = event.type == "HANDOVER_PLANNED";
    if (!planned && event.type != "HANDOVER_CONFIRMED" && event.type != "HANDOVER_DROPPED")
      return mails;
    mail::Values values;
    if (planned) {
      // Both sides may read it: it goes to each of them.
      auto handover = rotations_->GetHandover(event.handover_id);
      if (!handover.ok()) return handover.status();
      if (!handover->has_value()) return mails;  // dropped since: its own entry follows
      const scheduler::v1::Handover& h = **handover;
      auto unit = registry_->Find(h.unit_resource_id());
      if (!unit.ok()) return unit.status();
      const std::string zone = *unit && (*unit)->resource && !(*unit)->resource->time_zone().empty()
                                   ? (*unit)->resource->time_zone()
                                   : std::string(kDefaultTimeZone);
      using google::protobuf::util::TimeUtil;
      std::string checklist;
      for (const auto& item : h.checklist()) absl::StrAppend(&checklist, "- ", item, "\n");
      values = {
          {"unit",
           *unit && (*unit)->resource ? (*unit)->resource->display_name() : h.unit_resource_id()},
          {"from", registry_->OrganizationName(h.from_organization_id())},
          {"to", registry_->OrganizationName(h.to_organization_id())},
          {"time", mail::LocalTime(TimeUtil::TimestampToMilliseconds(h.time()), zone)},
          {"deadline",
           h.has_confirm_deadline()
               ? mail::LocalTime(TimeUtil::TimestampToMilliseconds(h.confirm_deadline()), zone)
               : std::string()},
          {"checklist", checklist},
          {"reference", h.id()}};
    }
    std::set<std::string> seen;
    for (const std::string* side : {&event.from_organization_id, &event.to_organization_id}) {
      if (side->empty() || !seen.insert(*side).second) continue;
      auto record = registry_->OrganizationRecord(*side);
      if (!record.ok()) return record.status();
      if (!record->has_value()) continue;
      mail::Values mine = values;
      mine["organization"] = (*record)->display_name();
      for (const auto& contact : (*record)->contacts()) {
        if (contact.email().empty()) continue;
        MailRequest mail{"handover.due", contact.email(), "nl", mine};
        mail.object_id = event.handover_id;
        if (planned) mail.reminds_of_ms = event.time_ms;
        mail.lead_ms = mail_lead_ms_;
        mails.push_back(std::move(mail));
      }
    }
    return mails;
  }

 private:
  scheduler::RotationStore* rotations_;
  registry::RegistryReadModel* registry_;
  std::string stream_;
  int64_t mail_lead_ms_;
};

class ProgrammeEvents final : public EventSource {
 public:
  ProgrammeEvents(programme::ProgrammeStore* programme, registry::RegistryReadModel* registry,
                  std::string stream)
      : programme_(programme), registry_(registry), stream_(std::move(stream)) {}

  std::vector<std::string> Streams() const override { return {stream_}; }

  std::optional<ChangeKind> Classify(const StreamEntry& entry) const override {
    const std::string* type = entry.Field("type");
    if (type == nullptr || entry.Field("e") == nullptr) return std::nullopt;
    if (*type != "CREATED" && *type != "UPDATED" && *type != "CANCELLED") return std::nullopt;
    return ChangeKind{v1::WEBHOOK_EVENT_TYPE_PROGRAMME, "event." + absl::AsciiStrToLower(*type)};
  }

  absl::StatusOr<std::optional<v1::WebhookData>> Read(const StreamEntry& entry,
                                                      const Caller& reader) override {
    const std::string& type = *entry.Field("type");
    auto event = programme_->Get(*entry.Field("e"));
    if (!event.ok()) return event.status();
    if (!event->has_value() || !programme::EventVisibleTo(*registry_, reader, **event))
      return std::nullopt;
    v1::WebhookData data;
    auto* out = data.mutable_programme();
    out->set_type(type == "CREATED"     ? v1::PROGRAMME_CHANGE_TYPE_CREATED
                  : type == "CANCELLED" ? v1::PROGRAMME_CHANGE_TYPE_CANCELLED
                                        : v1::PROGRAMME_CHANGE_TYPE_UPDATED);
    *out->mutable_event() = std::move(**event);
    return data;
  }

  // event.starts_tomorrow for the organiser and every organisation with a registration that is
  // not cancelled; ended for the others and for everyone when the event is cancelled.
  absl::StatusOr<std::vector<TimedTrigger>> Timed(const StreamEntry& entry,
                                                  const std::set<int>& wanted) override {
    std::vector<TimedTrigger> triggers;
    const std::string* id = entry.Field("e");
    if (!wanted.count(v1::WEBHOOK_EVENT_TYPE_PROGRAMME) || id == nullptr) return triggers;
    auto event = programme_->Get(*id);
    if (!event.ok()) return event.status();
    if (!event->has_value()) return triggers;
    auto registrations = programme_->Registrations(*id);
    if (!registrations.ok()) return registrations.status();
    const auto& e = **event;
    const bool scheduled = e.state() == programme::v1::EVENT_STATE_SCHEDULED;
    std::map<std::string, bool> organisations = {{e.organizer_organization_id(), scheduled}};
    for (const auto& r : *registrations)
      organisations[r.organization_id()] |=
          scheduled && r.state() != programme::v1::REGISTRATION_STATE_CANCELLED;
    // A registration made or cancelled concerns its own organisation only; a change of the event
    // concerns everyone.
    if (const std::string* registrant = entry.Field("o")) {
      const bool reminded = organisations[*registrant];
      organisations = {{*registrant, reminded}};
    }
    for (const auto& [organisation, reminded] : organisations) {
      TimedTrigger tomorrow =
          Trigger("event.starts_tomorrow", *id, organisation, v1::WEBHOOK_EVENT_TYPE_PROGRAMME);
      tomorrow.lead_ms = kDayMs;
      if (reminded)
        tomorrow.reminds_of_ms =
            google::protobuf::util::TimeUtil::TimestampToMilliseconds(e.start_time());
      triggers.push_back(std::move(tomorrow));
    }
    return triggers;
  }

 private:
  static constexpr int64_t kDayMs = 24 * 3600 * 1000;
  programme::ProgrammeStore* programme_;
  registry::RegistryReadModel* registry_;
  std::string stream_;
};

}  // namespace

Caller SubscriberOf(const std::string& organization_id) {
  Caller caller;
  caller.token_id = "webhook";
  caller.organization_id = organization_id;
  caller.roles = {auth::v1::ROLE_READ_ONLY_INTEGRATOR};
  return caller;
}

std::unique_ptr<EventSource> BookingSource(const scheduler::Catalog* catalog,
                                           scheduler::BookingStore* bookings,
                                           std::vector<std::string> streams) {
  return std::make_unique<Bookings>(catalog, bookings, std::move(streams));
}

std::unique_ptr<EventSource> ResourceSource(registry::RegistryReadModel* registry,
                                            std::string stream) {
  return std::make_unique<Resources>(registry, std::move(stream));
}

std::unique_ptr<EventSource> InquirySource(desk::Desk* desk, desk::DeskStore* store,
                                           registry::RegistryReadModel* registry,
                                           std::string stream, int64_t feedback_after_ms,
                                           int64_t contact_retention_ms) {
  return std::make_unique<Inquiries>(desk, store, registry, std::move(stream), feedback_after_ms,
                                     contact_retention_ms);
}

int64_t TimeOfEntry(absl::string_view entry_id) {
  int64_t ms = 0;
  (void)absl::SimpleAtoi(entry_id.substr(0, entry_id.find('-')), &ms);
  return ms;
}

std::unique_ptr<EventSource> RotationSource(scheduler::RotationStore* rotations,
                                            registry::RegistryReadModel* registry,
                                            std::string stream, int64_t mail_lead_ms) {
  return std::make_unique<Handovers>(rotations, registry, std::move(stream), mail_lead_ms);
}

std::unique_ptr<EventSource> SubscriptionSource(registry::RegistryReadModel* registry,
                                                std::string stream) {
  return std::make_unique<Subscriptions>(registry, std::move(stream));
}

std::unique_ptr<EventSource> ProgrammeSource(programme::ProgrammeStore* programme,
                                             registry::RegistryReadModel* registry,
                                             std::string stream) {
  return std::make_unique<ProgrammeEvents>(programme, registry, std::move(stream));
}

}  // namespace infrashare::webhook
