// Where webhook subscriptions and their deliveries live: the WebhookStore interface, and
// RedisWebhookStore, which keeps them under the hash tag {wh} (webhook.lua, docs/redis-keys.md).
// Each change to deliver is a job: queued on a stream every replica reads in one consumer group,
// tried again later from a sorted set, or a dead letter; its id is the delivery's webhook-id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "infrashare/webhook/v1/webhook.pb.h"
#include "services/common/consumer_group.h"
#include "services/common/redis.h"
#include "services/mail/preferences.h"

namespace infrashare::webhook {

// A subscription as stored: what the API shows (no secret) and the secrets that sign.
struct StoredSubscription {
  v1::WebhookSubscription subscription;  // `secret` empty
  std::string secret;
  std::string previous_secret;  // signs too until previous_until_ms
  int64_t previous_until_ms = 0;
  int64_t version = 0;  // the etag, as a number
};

// booking.starts_soon this long before the start unless a subscription says otherwise (a day).
inline constexpr int32_t kDefaultReminderLeadSeconds = 86400;

// The subscription id of e-mail jobs: no subscription's (those are "whk_..."); their attempts are
// logged and their dead letters kept under it.
inline constexpr char kMailSubscription[] = "mail";

// One change to deliver to one subscription, now or — a timed trigger — at `due_ms`. Or an
// e-mail (`mail_to` set, `subscription_id` kMailSubscription): `body` is the message (RFC 5322),
// sent to `mail_to` through the SMTP relay; queued, retried and claimed the same way.
struct Job {
  std::string id;  // the webhook-id
  std::string subscription_id;
  std::string type;     // e.g. "booking.created"
  std::string body;     // the JSON payload
  int64_t time_ms = 0;  // when the change happened
  // What the subscription must still receive when the job is sent (a WebhookEventType number):
  // a kind removed from it meanwhile drops the job. 0: no check.
  int event_type = 0;
  // A timed job holds a slot: one per subscription, kind and object (e.g. a booking's reminder).
  // A later change of the object (by its stream entry id) replaces the slot's job while it waits,
  // or with `cancels` removes it; an earlier change read late (a replica died) changes nothing.
  std::string slot;
  std::string entry_id;  // the change's stream entry
  int64_t due_ms = 0;    // 0: now
  bool cancels = false;  // no job: the slot's waiting job (if any) is dropped
  std::string mail_to;   // an e-mail's recipient
};

// What erasing a person dropped (RedisWebhookStore::EraseMail).
struct ErasedJobs {
  int emails = 0;
  int deliveries = 0;
};

// A job's place on the queue stream.
struct QueuedJob {
  std::string entry_id;
  std::string job_id;
};

// A queued job as a sender takes it.
struct TakenJob {
  enum class State {
    kSend,   // deliver it
    kStale,  // settled meanwhile (another replica took it over): nothing to do
    kGone,   // its subscription was deleted, receives such changes no more, or (a reminder) is
             // disabled: dropped
    kOff,    // its subscription is disabled: now a dead letter
  };
  State state = State::kStale;
  std::string type, body, url, organization_id, subscription_id;
  std::vector<std::string> secrets;  // the current one, and the previous one while it signs
  int attempts = 0;                  // before this one
  int64_t time_ms = 0;               // of the change
  std::string mail_to;               // an e-mail (body: the message) to this address
};

// How one attempt went, and what to do if it failed.
struct Attempt {
  bool ok = false;
  int status_code = 0;
  int latency_ms = 0;
  std::string error;
  int64_t retry_delay_ms = 0;
  bool permanent = false;  // trying again will not help: a dead letter at once
  // An e-mail its recipient turned off after it was written (a reminder waits): done, not sent.
  bool withheld = false;
  // Not made: its receiver already had its share of the senders (dispatcher.h). The job is queued
  // again after retry_delay_ms, and it is not an attempt: not logged, not counted, and however
  // long it waits it does not become a dead letter.
  bool deferred = false;
};

enum class Settled { kDelivered, kRetry, kDead, kDisabled, kStale, kDeferred };

// What the store keeps of deliveries: bounds and how long a delivered job is remembered.
struct DeliveryLimits {
  int64_t retry_for_ms = 259200000;
  int log_length = 100;
  int dead_letter_max = 1000;
  int64_t done_ttl_ms = 600000;  // a change read twice within this is not delivered twice
};

class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  // Stores a new subscription, answered with `response`; a retry with the same `replay_key`
  // (empty = none) returns the first call's response. FAILED_PRECONDITION TOO_MANY_SUBSCRIPTIONS
  // past `max_per_organization`.
  virtual absl::StatusOr<v1::WebhookSubscription> Insert(const StoredSubscription& subscription,
                                                         const v1::WebhookSubscription& response,
                                                         absl::string_view replay_key,
                                                         int replay_ttl_s,
                                                         int max_per_organization) = 0;
  virtual absl::StatusOr<std::optional<StoredSubscription>> Get(absl::string_view id) = 0;
  // Oldest first.
  virtual absl::StatusOr<std::vector<StoredSubscription>> OfOrganization(
      absl::string_view organization_id) = 0;
  virtual absl::StatusOr<std::vector<StoredSubscription>> All() = 0;
  // Changes with every change of any subscription.
  virtual absl::StatusOr<std::string> Version() = 0;
  // Replaces a subscription still at `expected_version` (ABORTED otherwise), answered with
  // `response` (and that again to a retry with `replay_key`).
  virtual absl::StatusOr<v1::WebhookSubscription> Put(const StoredSubscription& next,
                                                      int64_t expected_version,
                                                      const v1::WebhookSubscription& response,
                                                      absl::string_view replay_key,
                                                      int replay_ttl_s) = 0;
  // Deletes it with its dead letters and log, if it is still `subscription`'s organisation's
  // (NOT_FOUND otherwise); returns it as it was (a retry with `replay_key` gets it again).
  virtual absl::StatusOr<StoredSubscription> Delete(const StoredSubscription& subscription,
                                                    absl::string_view replay_key,
                                                    int replay_ttl_s) = 0;
  virtual std::string ReplayKey(absl::string_view organization_id,
                                absl::string_view idempotency_key) const = 0;

  // Queues the jobs not already known (by id), timed ones for later; returns how many were new.
  virtual absl::StatusOr<int> Enqueue(const std::vector<Job>& jobs) = 0;
  // Up to `count` queued jobs for `consumer`.
  virtual absl::StatusOr<std::vector<QueuedJob>> ReadQueue(absl::string_view consumer,
                                                           int count) = 0;
  // Queued jobs another consumer took `min_idle_ms` ago and never settled (it died).
  virtual absl::StatusOr<std::vector<QueuedJob>> ClaimQueue(absl::string_view consumer,
                                                            int min_idle_ms, int count) = 0;
  virtual absl::StatusOr<TakenJob> Take(const QueuedJob& job, const DeliveryLimits& limits) = 0;
  virtual absl::StatusOr<Settled> Settle(const QueuedJob& job, const Attempt& attempt,
                                         const DeliveryLimits& limits) = 0;
  // Queues up to `limit` jobs whose retry or time is due; returns how many.
  virtual absl::StatusOr<int> QueueDue(int limit) = 0;
  // Jobs queued now plus those waiting for a retry.
  virtual absl::StatusOr<int64_t> Backlog() = 0;

  virtual absl::StatusOr<std::vector<v1::WebhookDelivery>> Deliveries(
      absl::string_view subscription_id) = 0;
  virtual absl::StatusOr<std::vector<v1::WebhookDeadLetter>> DeadLetters(
      absl::string_view subscription_id, int limit) = 0;
  // Queues dead letters again (`job_ids` empty: all); FAILED_PRECONDITION SUBSCRIPTION_DISABLED
  // unless the subscription is enabled.
  virtual absl::StatusOr<int> Redeliver(absl::string_view subscription_id,
                                        const std::vector<std::string>& job_ids,
                                        absl::string_view replay_key, int replay_ttl_s) = 0;
  // Drops the e-mails to `address` (matched as FoldEmail matches) still waiting to be sent, and
  // the webhook deliveries not yet delivered whose payload names it (queued, timed, to be tried
  // again, dead letters), and forgets its e-mail preferences: the person's data is erased.
  virtual absl::StatusOr<ErasedJobs> EraseMail(absl::string_view address) = 0;
  // The stream of what the server did to subscriptions (a DISABLED entry when retries ran out:
  // sub, org, url, why), written in the same step as the change.
  virtual std::string EventsKey() const = 0;

  // One person's e-mail preferences, by PersonOf(their address); the defaults when none are kept.
  virtual absl::StatusOr<mail::Preferences> MailPreferences(absl::string_view person) = 0;
  // Keeps them (the defaults: keeps nothing).
  virtual absl::Status SetMailPreferences(absl::string_view person,
                                          const mail::Preferences& preferences) = 0;
  // The key preferences links are signed with: made once for the deployment and kept in Redis, so
  // every replica signs and checks alike.
  virtual absl::StatusOr<std::string> MailLinkKey() = 0;
};

class RedisWebhookStore final : public WebhookStore {
 public:
  explicit RedisWebhookStore(RedisPool* redis);

  absl::StatusOr<v1::WebhookSubscription> Insert(const StoredSubscription& subscription,
                                                 const v1::WebhookSubscription& response,
                                                 absl::string_view replay_key, int replay_ttl_s,
                                                 int max_per_organization) override;
  absl::StatusOr<std::optional<StoredSubscription>> Get(absl::string_view id) override;
  absl::StatusOr<std::vector<StoredSubscription>> OfOrganization(
      absl::string_view organization_id) override;
  absl::StatusOr<std::vector<StoredSubscription>> All() override;
  absl::StatusOr<std::string> Version() override;
  absl::StatusOr<v1::WebhookSubscription> Put(const StoredSubscription& next,
                                              int64_t expected_version,
                                              const v1::WebhookSubscription& response,
                                              absl::string_view replay_key,
                                              int replay_ttl_s) override;
  absl::StatusOr<StoredSubscription> Delete(const StoredSubscription& subscription,
                                            absl::string_view replay_key,
                                            int replay_ttl_s) override;
  std::string ReplayKey(absl::string_view organization_id,
                        absl::string_view idempotency_key) const override;

  absl::StatusOr<int> Enqueue(const std::vector<Job>& jobs) override;
  absl::StatusOr<std::vector<QueuedJob>> ReadQueue(absl::string_view consumer, int count) override;
  absl::StatusOr<std::vector<QueuedJob>> ClaimQueue(absl::string_view consumer, int min_idle_ms,
                                                    int count) override;
  absl::StatusOr<TakenJob> Take(const QueuedJob& job, const DeliveryLimits& limits) override;
  absl::StatusOr<Settled> Settle(const QueuedJob& job, const Attempt& attempt,
                                 const DeliveryLimits& limits) override;
  absl::StatusOr<int> QueueDue(int limit) override;
  absl::StatusOr<int64_t> Backlog() override;
  absl::StatusOr<std::vector<v1::WebhookDelivery>> Deliveries(
      absl::string_view subscription_id) override;
  absl::StatusOr<std::vector<v1::WebhookDeadLetter>> DeadLetters(absl::string_view subscription_id,
                                                                 int limit) override;
  absl::StatusOr<int> Redeliver(absl::string_view subscription_id,
                                const std::vector<std::string>& job_ids,
                                absl::string_view replay_key, int replay_ttl_s) override;
  absl::StatusOr<ErasedJobs> EraseMail(absl::string_view address) override;
  std::string EventsKey() const override { return Key("ev"); }
  absl::StatusOr<mail::Preferences> MailPreferences(absl::string_view person) override;
  absl::Status SetMailPreferences(absl::string_view person,
                                  const mail::Preferences& preferences) override;
  absl::StatusOr<std::string> MailLinkKey() override;

 private:
  std::string Key(absl::string_view suffix) const { return base_ + std::string(suffix); }
  absl::StatusOr<std::vector<StoredSubscription>> List(const std::string& index);

  RedisPool* redis_;
  absl::Mutex link_key_mutex_;
  std::string link_key_ ABSL_GUARDED_BY(link_key_mutex_);
  std::string base_;  // "<prefix>{wh}:"
  std::string queue_;
  ConsumerGroup senders_;
};

}  // namespace infrashare::webhook
