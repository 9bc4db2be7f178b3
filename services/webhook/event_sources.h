// The change streams webhooks deliver from, and each entry as one organisation may read it: the
// same conversion and the same redaction as the API's watch streams (WatchBookings,
// WatchResources, WatchInquiry, WatchRotationEvents), through the same functions.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/webhook/v1/webhook.pb.h"
#include "services/common/auth.h"
#include "services/common/stream_ids.h"
#include "services/desk/desk.h"
#include "services/programme/programme_store.h"
#include "services/registry/read_model.h"
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
  std::string organization_id;  // whose subscriptions (of WEBHOOK_EVENT_TYPE_BOOKING_REMINDER)
  // When what it reminds of happens; the subscription's lead comes off (booking.starts_soon).
  // nullopt: no reminder any more (the booking was cancelled, or has started).
  std::optional<int64_t> reminds_of_ms;
  bool now = false;  // due at the change itself (booking.ended)
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual std::vector<std::string> Streams() const = 0;
  // nullopt: webhooks carry nothing of this entry.
  virtual std::optional<ChangeKind> Classify(const StreamEntry& entry) const = 0;
  // The entry as `reader` may read it; nullopt when it may not read it at all.
  virtual absl::StatusOr<std::optional<v1::WebhookData>> Read(const StreamEntry& entry,
                                                              const Caller& reader) = 0;
  // The timed triggers the entry sets or ends; their data is Read's, without the change's type.
  virtual std::vector<TimedTrigger> Timed(const StreamEntry&) const { return {}; }
};

// Who a subscription reads as: its organisation, with the rights of a read-only integration.
Caller SubscriberOf(const std::string& organization_id);

// Bookings (booking.*) and promotions from the waiting list (waitlist.promoted), every shard; the
// booker's reminders (booking.starts_soon while a booking is confirmed, booking.ended when it
// completes).
std::unique_ptr<EventSource> BookingSource(const scheduler::Catalog* catalog,
                                           std::vector<std::string> streams);
// Resources created, changed and deleted (resource.*), staff contacts redacted.
std::unique_ptr<EventSource> ResourceSource(registry::RegistryReadModel* registry,
                                            std::string stream);
// The desk's inquiries (inquiry.*, offer.*), for organisations that may see them.
std::unique_ptr<EventSource> InquirySource(desk::Desk* desk, std::string stream);
// Overdue hand-overs (handover.overdue), for either side and the pool's owner.
std::unique_ptr<EventSource> RotationSource(scheduler::RotationStore* rotations,
                                            std::string stream);
// Programme events created, changed and cancelled (event.*), for whom the programme shows them.
std::unique_ptr<EventSource> ProgrammeSource(programme::ProgrammeStore* programme,
                                             registry::RegistryReadModel* registry,
                                             std::string stream);

}  // namespace infrashare::webhook
