// From the change streams to the delivery queue: every replica reads the services' streams in one
// consumer group ("webhooks"), so each change is read by one replica; it makes one job per
// subscription that wants the change and whose organisation may read it, queues them, and only
// then acknowledges the change. A replica that dies in between leaves the change pending; another
// claims it (XAUTOCLAIM) and queues it again, and the jobs' ids (derived from the subscription and
// the change) keep it from being queued twice.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/config.h"
#include "services/common/consumer_group.h"
#include "services/webhook/event_sources.h"
#include "services/webhook/webhook_store.h"

namespace infrashare::webhook {

// The webhook-id of one change (an entry of `stream`) for one subscription: the same whoever
// computes it, however often.
std::string WebhookIdOf(absl::string_view subscription_id, absl::string_view stream,
                        absl::string_view entry_id);

// The slot an e-mail reminder waits in: one per moment, object and recipient (PersonOf).
std::string MailSlot(absl::string_view moment, absl::string_view object_id,
                     absl::string_view person);
// Drops the e-mail of `moment` about `object_id` still waiting for `address`, if any (an erased
// asker's feedback request).
absl::Status DropWaitingMail(WebhookStore* store, absl::string_view moment,
                             absl::string_view object_id, absl::string_view address);

class FanOut {
 public:
  struct Options {
    int batch = 100;            // entries read per stream per round
    int claim_idle_ms = 30000;  // entries another replica left pending this long are taken over
    // The public HTTP listener's address ("https://host", no trailing slash; empty when there is
    // none): every e-mail then carries its recipient's preferences link (/email/preferences).
    std::function<std::string()> site_base_url;
  };
  // Whether an organisation still exists: a deleted organisation's subscriptions get nothing more.
  using OrganizationCheck = std::function<absl::StatusOr<bool>(const std::string&)>;
  // E-mails (EventSource::Mails) are queued only when `email` names a relay.
  FanOut(RedisPool* redis, WebhookStore* store, std::vector<std::unique_ptr<EventSource>> sources,
         OrganizationCheck organization_exists, Options options, EmailConfig email = {});

  // Whether `organization_id` still exists (the check the fan-out queues by).
  absl::StatusOr<bool> OrganizationExists(const std::string& organization_id) const {
    return organization_exists_(organization_id);
  }

  // Makes each stream's group, so that every change written from now on is delivered, whichever
  // replica sends it. Called at start by every replica, senders or not; Round makes a group
  // that is missing too (Redis was down at start, or a stream was deleted).
  absl::Status Begin();
  // Reads the subscriptions again if any changed since the last call.
  absl::Status Refresh();
  // One round over every stream: new entries (and, with `claim`, those left pending by a replica
  // that died), queued and acknowledged. Returns the jobs queued.
  absl::StatusOr<int> Round(const std::string& consumer, bool claim);
  size_t subscriptions() const { return routes_.size(); }

 private:
  struct Route {
    std::string subscription_id;
    std::string organization_id;
    std::set<int> event_types;
    int64_t reminder_lead_ms = 0;
  };
  // The entries' jobs queued, then the entries acknowledged; stops at the first entry that cannot
  // be read for now (Redis unavailable): it and the rest stay pending.
  absl::StatusOr<int> Deliver(EventSource* source, const std::string& stream,
                              const std::vector<StreamEntry>& entries);
  absl::StatusOr<std::vector<Job>> JobsOf(EventSource* source, const std::string& stream,
                                          const StreamEntry& entry);
  // The jobs of the entry's timed triggers (EventSource::Timed), appended to `jobs`.
  absl::Status TimedJobsOf(EventSource* source, const std::string& stream, const StreamEntry& entry,
                           std::vector<Job>* jobs);
  // The e-mails the entry asks for (EventSource::Mails), written out, appended to `jobs`.
  absl::Status MailJobsOf(EventSource* source, const std::string& stream, const StreamEntry& entry,
                          std::vector<Job>* jobs);

  WebhookStore* store_;
  std::vector<std::unique_ptr<EventSource>> sources_;
  OrganizationCheck organization_exists_;
  Options options_;
  EmailConfig email_;
  ConsumerGroup group_;
  std::string version_;        // of the subscriptions read
  std::vector<Route> routes_;  // enabled subscriptions only
  // The event types with timed triggers (booking reminders, offers, programme, hand-overs) that
  // some route receives: entries are parsed for triggers only when there is one.
  std::set<int> timed_types_;
};

}  // namespace infrashare::webhook
