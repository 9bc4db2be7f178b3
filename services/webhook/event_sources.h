// The change streams webhooks deliver from, and each entry as one organisation may read it: the
// same conversion and the same redaction as the API's watch streams (WatchBookings,
// WatchResources, WatchInquiry, WatchRotationEvents), through the same functions.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/webhook/v1/webhook.pb.h"
#include "services/common/auth.h"
#include "services/common/stream_ids.h"
#include "services/desk/desk.h"
#include "services/mail/templates.h"
#include "services/programme/programme_store.h"
#include "services/registry/read_model.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/catalog.h"
#include "services/scheduler/rotation_store.h"

namespace infrashare::webhook {

// What an entry is, before anyone's view of it.
struct ChangeKind {
  v1::WebhookEventType event_type = v1::WEBHOOK_EVENT_TYPE_UNSPECIFIED;
  std::string payload_type;  // e.g. "booking.created"
};

// A timed trigger an entry sets (or ends) for the subscriptions of one organisation, e.g. "remind
// organisation X of booking B, which starts at T".
struct TimedTrigger {
  std::string payload_type;     // e.g. "booking.starts_soon"
  std::string object_id;        // what it is about: one waiting trigger per subscription and object
  std::string organization_id;  // whose subscriptions (of `event_type`)
  // When what it reminds of happens; the lead comes off. nullopt: no reminder any more (the
  // booking was cancelled or has started, the offer was accepted, the event cancelled).
  std::optional<int64_t> reminds_of_ms;
  bool now = false;  // due at the change itself (booking.ended)
  v1::WebhookEventType event_type = v1::WEBHOOK_EVENT_TYPE_UNSPECIFIED;  // who receives it
  // How long before `reminds_of_ms` it comes; nullopt: the subscription's reminder_lead_seconds.
  std::optional<int64_t> lead_ms;
};

// An e-mail an entry asks for: the template of `moment` (services/mail/templates.h) to `to`, in
// `language`, filled from `values`.
struct MailRequest {
  std::string moment;  // e.g. "inquiry.received"
  std::string to;
  std::string language;
  mail::Values values;
  // A reminder: what it is about (one waiting e-mail per moment, object and recipient; a later
  // change of the object replaces it) and when it goes: `lead_ms` before `reminds_of_ms`, or at
  // once when that is already past; nullopt `reminds_of_ms` drops the waiting one. Empty
  // `object_id`: an e-mail of the change itself, sent now.
  std::string object_id = {};
  std::optional<int64_t> reminds_of_ms = {};
  int64_t lead_ms = 0;
  // A page of the site the recipient acts on `object_id` with (the feedback form,
  // "/desk/feedback"): the value "link" is <site><link_path>?i=<object_id>&s=<the signature of
  // (object_id, link_path)>. Such an e-mail is not sent when the site's address is unknown.
  std::string link_path = {};
};

// The milliseconds of a stream entry id ("<ms>-<seq>"): when Redis appended the change.
int64_t TimeOfEntry(absl::string_view entry_id);

class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual std::vector<std::string> Streams() const = 0;
  // nullopt: webhooks carry nothing of this entry.
  virtual std::optional<ChangeKind> Classify(const StreamEntry& entry) const = 0;
  // The entry as `reader` may read it; nullopt when it may not read it at all.
  virtual absl::StatusOr<std::optional<v1::WebhookData>> Read(const StreamEntry& entry,
                                                              const Caller& reader) = 0;
  // The timed triggers the entry sets or ends, for subscriptions of `wanted` event types only;
  // their data is Read's (or their own), without the change's type.
  virtual absl::StatusOr<std::vector<TimedTrigger>> Timed(const StreamEntry&,
                                                          const std::set<int>& /*wanted*/) {
    return std::vector<TimedTrigger>{};
  }
  // The e-mails the entry asks for (sent only when an SMTP relay is configured).
  virtual absl::StatusOr<std::vector<MailRequest>> Mails(const StreamEntry&) {
    return std::vector<MailRequest>{};
  }
};

// Who a subscription reads as: its organisation, with the rights of a read-only integration.
Caller SubscriberOf(const std::string& organization_id);

// Bookings (booking.*) and promotions from the waiting list (waitlist.promoted), every shard; the
// booker's reminders (booking.starts_soon while a booking is confirmed, booking.ended when it
// completes). E-mail: booking.approval_needed to the resource's facility managers; to the address
// a booker gave (`bookings`' BookerContact): booking.confirmed, booking.rejected,
// booking.cancelled, booking.promoted (a waiting entry became a hold), booking.released (a
// no-show).
std::unique_ptr<EventSource> BookingSource(const scheduler::Catalog* catalog,
                                           scheduler::BookingStore* bookings,
                                           std::vector<std::string> streams);
// Resources created, changed and deleted (resource.*), staff contacts redacted.
std::unique_ptr<EventSource> ResourceSource(registry::RegistryReadModel* registry,
                                            std::string stream);
// The desk's inquiries (inquiry.*, offer.*), for organisations that may see them; an open offer's
// offer.deadline_near (kOfferWarningMs before its deadline, or halfway when it is shorter) for
// the offered responder's organisation. E-mail: inquiry.received and inquiry.resolved to the
// asker, in the question's language, signed with the entry partner's name; inquiry.feedback
// (the one-time feedback form) `feedback_after_ms` after a resolution by a partner unless
// feedback came first or the asker's address (kept `contact_retention_ms` after submission) is
// gone by then; offer.waiting to the responder; inquiry.escalated to the network's coordinators.
std::unique_ptr<EventSource> InquirySource(desk::Desk* desk, desk::DeskStore* store,
                                           registry::RegistryReadModel* registry,
                                           std::string stream, int64_t feedback_after_ms,
                                           int64_t contact_retention_ms);
// The path of the asker's feedback form (services/http/inquiry_feedback.h).
constexpr char kFeedbackPath[] = "/desk/feedback";
constexpr int64_t kOfferWarningMs = 3600 * 1000;
// Overdue hand-overs (handover.overdue), for either side and the pool's owner; handover.due the
// subscription's reminder lead before a planned hand-over, for either side, unless both confirmed
// it or a new plan dropped it. E-mail: handover.due to the contacts of both sides that give an
// address, `mail_lead_ms` before (at once when planned later than that), with the same ends.
std::unique_ptr<EventSource> RotationSource(scheduler::RotationStore* rotations,
                                            registry::RegistryReadModel* registry,
                                            std::string stream, int64_t mail_lead_ms);
// Programme events created, changed and cancelled (event.*), for whom the programme shows them;
// event.starts_tomorrow a day before a scheduled event starts, for its organiser and the
// organisations registered for it.
std::unique_ptr<EventSource> ProgrammeSource(programme::ProgrammeStore* programme,
                                             registry::RegistryReadModel* registry,
                                             std::string stream);

// What the server did to subscriptions (the webhook store's EventsKey): no webhook, but an e-mail
// (webhook.disabled) to the contacts of the subscription's organisation that give an address when
// retries ran out and the subscription was disabled.
std::unique_ptr<EventSource> SubscriptionSource(registry::RegistryReadModel* registry,
                                                std::string stream);

}  // namespace infrashare::webhook
