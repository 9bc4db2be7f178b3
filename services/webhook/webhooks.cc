#include "services/webhook/webhooks.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/auth.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/webhook/signature.h"

namespace infrashare::webhook {
namespace {

// Adds a field's refusal (from InvalidField, whose message is "<field>: <description>") to the
// request's other refusals.
void Collect(const absl::Status& refused, FieldErrors* errors) {
  const std::string field = ErrorField(refused);
  absl::string_view description = refused.message();
  if (absl::StartsWith(description, field + ": ")) description.remove_prefix(field.size() + 2);
  errors->Add(field, std::string(description));
}

}  // namespace

absl::StatusOr<int32_t> CheckReminderLead(int32_t seconds, absl::string_view field) {
  if (seconds == 0) return kDefaultReminderLeadSeconds;
  if (seconds < kMinReminderLeadSeconds || seconds > kMaxReminderLeadSeconds)
    return InvalidField(field, absl::StrCat("must be between ", kMinReminderLeadSeconds, " and ",
                                            kMaxReminderLeadSeconds, " seconds (0: a day)"));
  return seconds;
}

absl::StatusOr<std::vector<v1::WebhookEventType>> CheckEventTypes(
    const google::protobuf::RepeatedField<int>& types, absl::string_view field) {
  if (types.empty()) return InvalidField(field, "name at least one event type");
  std::set<int> seen;
  for (int i = 0; i < types.size(); ++i) {
    if (types[i] == v1::WEBHOOK_EVENT_TYPE_UNSPECIFIED || !v1::WebhookEventType_IsValid(types[i]))
      return InvalidField(absl::StrCat(field, "[", i, "]"), "is not an event type");
    seen.insert(types[i]);
  }
  std::vector<v1::WebhookEventType> out;
  for (int type : seen) out.push_back(static_cast<v1::WebhookEventType>(type));
  return out;
}

Webhooks::Webhooks(WebhookStore* store, registry::RegistryReadModel* registry,
                   WebhooksConfig config, Clock clock)
    : store_(store), registry_(registry), config_(config), clock_(std::move(clock)) {}

v1::WebhookSubscription Webhooks::Shown(const StoredSubscription& stored) const {
  v1::WebhookSubscription shown = stored.subscription;
  shown.clear_secret();
  if (stored.previous_secret.empty() || stored.previous_until_ms <= clock_())
    shown.clear_previous_secret_expire_time();
  return shown;
}

absl::StatusOr<StoredSubscription> Webhooks::Administered(const Caller& caller,
                                                          const std::string& id,
                                                          absl::string_view field) {
  if (id.empty()) return InvalidField(field, "is required");
  auto found = store_->Get(id);
  if (!found.ok()) return found.status();
  if (!found->has_value() || !caller.IsAdminOf((*found)->subscription.organization_id()))
    return NotFoundError("webhook_subscription", id);
  return std::move(**found);
}

namespace {

constexpr char kLeadWithoutReminders[] =
    "is for a subscription to booking reminders (WEBHOOK_EVENT_TYPE_BOOKING_REMINDER) or "
    "hand-overs (WEBHOOK_EVENT_TYPE_ROTATION: handover.due)";

// Whether the event types (enum values, or their numbers as a message holds them) include
// reminders with the subscription's lead: booking reminders, hand-overs due.
template <typename Types>
bool Reminds(const Types& types) {
  return std::any_of(types.begin(), types.end(), [](auto type) {
    return static_cast<int>(type) == v1::WEBHOOK_EVENT_TYPE_BOOKING_REMINDER ||
           static_cast<int>(type) == v1::WEBHOOK_EVENT_TYPE_ROTATION;
  });
}

}  // namespace

absl::StatusOr<v1::WebhookSubscription> Webhooks::Create(
    const Caller& caller, const v1::CreateWebhookSubscriptionRequest& request) {
  const std::string organization =
      request.organization_id().empty() ? caller.organization_id : request.organization_id();
  if (!caller.IsAdminOf(organization))
    return Forbidden("an organisation's admins manage its webhook subscriptions");
  // A platform admin's token is not an organisation's: name the one the subscription is for.
  if (request.organization_id().empty() && caller.IsPlatformAdmin())
    return InvalidField("organization_id", "is required of a platform admin");
  if (auto lasting = MayGrantLasting(caller, "webhook subscriptions"); !lasting.ok())
    return lasting;
  FieldErrors errors;
  if (request.description().size() > kMaxDescriptionBytes)
    errors.Add("description", absl::StrCat("at most ", kMaxDescriptionBytes, " bytes"));
  auto types = CheckEventTypes(request.event_types(), "event_types");
  if (!types.ok()) Collect(types.status(), &errors);
  auto target = ResolveTarget(request.target_url(), config_.targets, "target_url");
  if (!target.ok()) Collect(target.status(), &errors);
  auto lead = CheckReminderLead(request.reminder_lead_seconds(), "reminder_lead_seconds");
  if (!lead.ok()) Collect(lead.status(), &errors);
  if (types.ok() && request.reminder_lead_seconds() != 0 && !Reminds(*types))
    errors.Add("reminder_lead_seconds", kLeadWithoutReminders);
  if (!errors.empty()) return errors.ToStatus();
  auto exists = registry_->OrganizationExists(organization);
  if (!exists.ok()) return exists.status();
  if (!*exists) return NotFoundError("organization", organization);

  StoredSubscription stored;
  v1::WebhookSubscription& s = stored.subscription;
  s.set_id(NewId("whk"));
  s.set_organization_id(organization);
  s.set_target_url(request.target_url());
  for (auto type : *types) s.add_event_types(type);
  s.set_enabled(true);
  s.set_description(request.description());
  s.set_reminder_lead_seconds(*lead);
  const int64_t now = clock_();
  SetTimestampOfMs(now, s.mutable_create_time());
  SetTimestampOfMs(now, s.mutable_update_time());
  s.set_created_by(caller.token_id);
  s.set_etag("1");
  stored.secret = NewSecret();
  v1::WebhookSubscription response = s;
  response.set_secret(stored.secret);
  return store_->Insert(stored, response,
                        store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                        config_.secret_replay_ttl_s, kMaxPerOrganization);
}

absl::StatusOr<v1::WebhookSubscription> Webhooks::Get(const Caller& caller, const std::string& id) {
  auto stored = Administered(caller, id, "id");
  if (!stored.ok()) return stored.status();
  return Shown(*stored);
}

absl::StatusOr<v1::ListWebhookSubscriptionsResponse> Webhooks::List(
    const Caller& caller, const v1::ListWebhookSubscriptionsRequest& request) {
  const std::string organization =
      request.organization_id().empty() ? caller.organization_id : request.organization_id();
  if (!caller.IsAdminOf(organization))
    return Forbidden("an organisation's admins list its webhook subscriptions");
  auto exists = registry_->OrganizationExists(organization);
  if (!exists.ok()) return exists.status();
  if (!*exists) return NotFoundError("organization", organization);
  auto stored = store_->OfOrganization(organization);
  if (!stored.ok()) return stored.status();
  v1::ListWebhookSubscriptionsResponse response;
  for (const auto& s : *stored) *response.add_subscriptions() = Shown(s);
  return response;
}

absl::StatusOr<v1::WebhookSubscription> Webhooks::Update(
    const Caller& caller, const v1::UpdateWebhookSubscriptionRequest& request) {
  const v1::WebhookSubscription& change = request.subscription();
  if (change.etag().empty()) return InvalidField("subscription.etag", "is required");
  auto current = Administered(caller, change.id(), "subscription.id");
  if (!current.ok()) return current.status();
  std::set<std::string> paths(request.update_mask().paths().begin(),
                              request.update_mask().paths().end());
  static const std::set<std::string> kUpdatable = {"target_url", "event_types", "enabled",
                                                   "description", "reminder_lead_seconds"};
  if (paths.empty()) paths = kUpdatable;
  for (const auto& path : paths)
    if (!kUpdatable.count(path))
      return InvalidField("update_mask",
                          "may name target_url, event_types, enabled, description and "
                          "reminder_lead_seconds only");
  // The store compares the etag, after it has looked for this request's replay: a retry of an
  // update that went through gets its answer, not ABORTED.
  int64_t expected = 0;
  if (!absl::SimpleAtoi(change.etag(), &expected))
    return StaleEtagError("webhook_subscription", change.id());

  StoredSubscription next = *current;
  v1::WebhookSubscription& s = next.subscription;
  FieldErrors errors;
  if (paths.count("target_url")) {
    if (change.target_url() != s.target_url())
      if (auto lasting = MayGrantLasting(caller, "a webhook target"); !lasting.ok()) return lasting;
    auto target = ResolveTarget(change.target_url(), config_.targets, "subscription.target_url");
    if (!target.ok()) Collect(target.status(), &errors);
    s.set_target_url(change.target_url());
  }
  if (paths.count("event_types")) {
    auto types = CheckEventTypes(change.event_types(), "subscription.event_types");
    if (!types.ok()) {
      Collect(types.status(), &errors);
    } else {
      s.clear_event_types();
      for (auto type : *types) s.add_event_types(type);
    }
  }
  if (paths.count("description")) {
    if (change.description().size() > kMaxDescriptionBytes)
      errors.Add("subscription.description",
                 absl::StrCat("at most ", kMaxDescriptionBytes, " bytes"));
    s.set_description(change.description());
  }
  if (paths.count("reminder_lead_seconds")) {
    auto lead =
        CheckReminderLead(change.reminder_lead_seconds(), "subscription.reminder_lead_seconds");
    if (!lead.ok())
      Collect(lead.status(), &errors);
    else
      s.set_reminder_lead_seconds(*lead);
  }
  if (paths.count("reminder_lead_seconds") && change.reminder_lead_seconds() != 0 &&
      !Reminds(s.event_types()))
    errors.Add("subscription.reminder_lead_seconds", kLeadWithoutReminders);
  if (!errors.empty()) return errors.ToStatus();
  if (paths.count("enabled")) {
    s.set_enabled(change.enabled());
    // Enabled again: what the server recorded when it disabled it is over.
    if (change.enabled()) s.clear_disabled();
  }
  SetTimestampOfMs(clock_(), s.mutable_update_time());
  s.set_etag(std::to_string(expected + 1));
  return store_->Put(next, expected, Shown(next),
                     store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                     config_.request_id_ttl_s);
}

absl::StatusOr<v1::WebhookSubscription> Webhooks::Delete(
    const Caller& caller, const v1::DeleteWebhookSubscriptionRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  const std::string replay = store_->ReplayKey(caller.organization_id, IdempotencyKey(request));
  auto found = store_->Get(request.id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    // Gone: a retry of this caller's own deletion gets its first answer from the store, any other
    // call NOT_FOUND (the store finds neither a replay nor the subscription).
    StoredSubscription gone;
    gone.subscription.set_id(request.id());
    gone.subscription.set_organization_id(caller.organization_id);
    auto replayed = store_->Delete(gone, replay, config_.request_id_ttl_s);
    if (!replayed.ok()) return replayed.status();
    return Shown(*replayed);
  }
  if (!caller.IsAdminOf((*found)->subscription.organization_id()))
    return NotFoundError("webhook_subscription", request.id());
  auto deleted = store_->Delete(**found, replay, config_.request_id_ttl_s);
  if (!deleted.ok()) return deleted.status();
  return Shown(*deleted);
}

absl::StatusOr<v1::WebhookSubscription> Webhooks::RotateSecret(
    const Caller& caller, const v1::RotateWebhookSecretRequest& request) {
  if (request.overlap_seconds() < 0 || request.overlap_seconds() > kMaxOverlapSeconds)
    return InvalidField("overlap_seconds",
                        absl::StrCat("must be between 0 and ", kMaxOverlapSeconds));
  // The request names no etag: a change made meanwhile by someone else (ABORTED) is read again
  // and the rotation applied to it, a few times.
  absl::StatusOr<v1::WebhookSubscription> rotated = absl::AbortedError("not tried");
  for (int attempt = 0; attempt < 5 && rotated.status().code() == absl::StatusCode::kAborted;
       ++attempt)
    rotated = RotateOnce(caller, request);
  return rotated;
}

absl::StatusOr<v1::WebhookSubscription> Webhooks::RotateOnce(
    const Caller& caller, const v1::RotateWebhookSecretRequest& request) {
  auto current = Administered(caller, request.id(), "id");
  if (!current.ok()) return current.status();
  if (auto lasting = MayGrantLasting(caller, "webhook signing secrets"); !lasting.ok())
    return lasting;
  StoredSubscription next = *current;
  const int64_t now = clock_();
  if (request.overlap_seconds() > 0) {
    next.previous_secret = current->secret;
    next.previous_until_ms = now + int64_t{request.overlap_seconds()} * 1000;
    SetTimestampOfMs(next.previous_until_ms,
                     next.subscription.mutable_previous_secret_expire_time());
  } else {
    next.previous_secret.clear();
    next.previous_until_ms = 0;
    next.subscription.clear_previous_secret_expire_time();
  }
  next.secret = NewSecret();
  SetTimestampOfMs(now, next.subscription.mutable_update_time());
  next.subscription.set_etag(std::to_string(current->version + 1));
  v1::WebhookSubscription response = Shown(next);
  response.set_secret(next.secret);
  return store_->Put(next, current->version, response,
                     store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                     config_.secret_replay_ttl_s);
}

absl::StatusOr<v1::ListWebhookDeliveriesResponse> Webhooks::Deliveries(
    const Caller& caller, const v1::ListWebhookDeliveriesRequest& request) {
  auto current = Administered(caller, request.subscription_id(), "subscription_id");
  if (!current.ok()) return current.status();
  auto deliveries = store_->Deliveries(request.subscription_id());
  if (!deliveries.ok()) return deliveries.status();
  v1::ListWebhookDeliveriesResponse response;
  for (auto& d : *deliveries) *response.add_deliveries() = std::move(d);
  return response;
}

absl::StatusOr<v1::ListWebhookDeadLettersResponse> Webhooks::DeadLetters(
    const Caller& caller, const v1::ListWebhookDeadLettersRequest& request) {
  auto current = Administered(caller, request.subscription_id(), "subscription_id");
  if (!current.ok()) return current.status();
  auto letters = store_->DeadLetters(request.subscription_id(), config_.dead_letter_max);
  if (!letters.ok()) return letters.status();
  v1::ListWebhookDeadLettersResponse response;
  for (auto& letter : *letters) *response.add_dead_letters() = std::move(letter);
  return response;
}

absl::StatusOr<v1::RedeliverWebhookDeadLettersResponse> Webhooks::Redeliver(
    const Caller& caller, const v1::RedeliverWebhookDeadLettersRequest& request) {
  auto current = Administered(caller, request.subscription_id(), "subscription_id");
  if (!current.ok()) return current.status();
  std::vector<std::string> ids(request.webhook_ids().begin(), request.webhook_ids().end());
  auto queued = store_->Redeliver(
      request.subscription_id(), ids,
      store_->ReplayKey(caller.organization_id, IdempotencyKey(request)), config_.request_id_ttl_s);
  if (!queued.ok()) return queued.status();
  v1::RedeliverWebhookDeadLettersResponse response;
  response.set_queued(*queued);
  return response;
}

}  // namespace infrashare::webhook
