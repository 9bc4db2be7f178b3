// Webhook subscriptions: who may make, read, change and delete them, what a valid one is, and the
// secrets that sign its deliveries. No gRPC in here; webhook_service.cc is a thin shell around it.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "infrashare/webhook/v1/webhook.pb.h"
#include "services/common/auth.h"
#include "services/registry/read_model.h"
#include "services/webhook/target.h"
#include "services/webhook/webhook_store.h"

namespace infrashare::webhook {

struct WebhooksConfig {
  TargetRules targets;
  int secret_replay_ttl_s = 600;  // a create's or rotation's retry gets the same secret
  int request_id_ttl_s = 86400;
  int dead_letter_max = 1000;
};

class Webhooks {
 public:
  using Clock = std::function<int64_t()>;  // ms since the epoch
  static constexpr int kMaxPerOrganization = 20;
  static constexpr int kMaxOverlapSeconds = 604800;
  static constexpr size_t kMaxDescriptionBytes = 200;

  Webhooks(WebhookStore* store, registry::RegistryReadModel* registry, WebhooksConfig config,
           Clock clock);

  // The organisation's admins for their own organisation, platform admins for any.
  absl::StatusOr<v1::WebhookSubscription> Create(
      const Caller& caller, const v1::CreateWebhookSubscriptionRequest& request);
  absl::StatusOr<v1::WebhookSubscription> Get(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::ListWebhookSubscriptionsResponse> List(
      const Caller& caller, const v1::ListWebhookSubscriptionsRequest& request);
  absl::StatusOr<v1::WebhookSubscription> Update(
      const Caller& caller, const v1::UpdateWebhookSubscriptionRequest& request);
  absl::StatusOr<v1::WebhookSubscription> Delete(
      const Caller& caller, const v1::DeleteWebhookSubscriptionRequest& request);
  absl::StatusOr<v1::WebhookSubscription> RotateSecret(
      const Caller& caller, const v1::RotateWebhookSecretRequest& request);
  absl::StatusOr<v1::ListWebhookDeliveriesResponse> Deliveries(
      const Caller& caller, const v1::ListWebhookDeliveriesRequest& request);
  absl::StatusOr<v1::ListWebhookDeadLettersResponse> DeadLetters(
      const Caller& caller, const v1::ListWebhookDeadLettersRequest& request);
  absl::StatusOr<v1::RedeliverWebhookDeadLettersResponse> Redeliver(
      const Caller& caller, const v1::RedeliverWebhookDeadLettersRequest& request);

 private:
  // The subscription, when the caller administers its organisation; NOT_FOUND otherwise (another
  // organisation's subscriptions are as absent as ones that never existed).
  absl::StatusOr<StoredSubscription> Administered(const Caller& caller, const std::string& id,
                                                  absl::string_view field);
  // The subscription as the API shows it now: no secret, no expired rotation.
  v1::WebhookSubscription Shown(const StoredSubscription& stored) const;

  // One read and write of a rotation (ABORTED when the subscription changed in between).
  absl::StatusOr<v1::WebhookSubscription> RotateOnce(const Caller& caller,
                                                     const v1::RotateWebhookSecretRequest& request);

  WebhookStore* store_;
  registry::RegistryReadModel* registry_;
  WebhooksConfig config_;
  Clock clock_;
};

// The event types, sorted and without repeats; INVALID_ARGUMENT naming `field` when there is none
// or one is unspecified.
absl::StatusOr<std::vector<v1::WebhookEventType>> CheckEventTypes(
    const google::protobuf::RepeatedField<int>& types, absl::string_view field);

// booking.starts_soon's lead: at least a minute, at most 30 days.
inline constexpr int32_t kMinReminderLeadSeconds = 60;
inline constexpr int32_t kMaxReminderLeadSeconds = 2592000;
// The lead as given (0: kDefaultReminderLeadSeconds); INVALID_ARGUMENT naming `field` out of range.
absl::StatusOr<int32_t> CheckReminderLead(int32_t seconds, absl::string_view field);

}  // namespace infrashare::webhook
