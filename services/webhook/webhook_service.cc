#include "services/webhook/webhook_service.h"

#include "services/common/clock.h"
#include "services/webhook/event_sources.h"

namespace infrashare::webhook {

// DNS lookups of targets block: every handler runs on the gate's workers.
#define INFRASHARE_HANDLER(Method, Request, Response, Call)                                       \
  grpc::ServerUnaryReactor* WebhookServiceImpl::Method(                                           \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) { \
    return gate_->UnaryOnWorker(                                                                  \
        context, "webhook." #Method, *request,                                                    \
        [this, request, response](const Caller& caller) { return Respond(Call, response); },      \
        response);                                                                                \
  }

INFRASHARE_HANDLER(CreateWebhookSubscription, CreateWebhookSubscriptionRequest, WebhookSubscription,
                   webhooks_->Create(caller, *request))
INFRASHARE_HANDLER(GetWebhookSubscription, GetWebhookSubscriptionRequest, WebhookSubscription,
                   webhooks_->Get(caller, request->id()))
INFRASHARE_HANDLER(ListWebhookSubscriptions, ListWebhookSubscriptionsRequest,
                   ListWebhookSubscriptionsResponse, webhooks_->List(caller, *request))
INFRASHARE_HANDLER(UpdateWebhookSubscription, UpdateWebhookSubscriptionRequest, WebhookSubscription,
                   webhooks_->Update(caller, *request))
INFRASHARE_HANDLER(DeleteWebhookSubscription, DeleteWebhookSubscriptionRequest, WebhookSubscription,
                   webhooks_->Delete(caller, *request))
INFRASHARE_HANDLER(RotateWebhookSecret, RotateWebhookSecretRequest, WebhookSubscription,
                   webhooks_->RotateSecret(caller, *request))
INFRASHARE_HANDLER(ListWebhookDeliveries, ListWebhookDeliveriesRequest,
                   ListWebhookDeliveriesResponse, webhooks_->Deliveries(caller, *request))
INFRASHARE_HANDLER(ListWebhookDeadLetters, ListWebhookDeadLettersRequest,
                   ListWebhookDeadLettersResponse, webhooks_->DeadLetters(caller, *request))
INFRASHARE_HANDLER(RedeliverWebhookDeadLetters, RedeliverWebhookDeadLettersRequest,
                   RedeliverWebhookDeadLettersResponse, webhooks_->Redeliver(caller, *request))
#undef INFRASHARE_HANDLER

namespace {

std::vector<std::unique_ptr<EventSource>> Sources(
    registry::RegistryReadModel* registry, scheduler::RedisBookingStore* bookings, desk::Desk* desk,
    desk::DeskStore* desk_store, scheduler::RotationStore* rotations,
    programme::ProgrammeStore* programme, const std::string& registry_events,
    const std::string& subscription_events, const EmailConfig& email,
    int64_t contact_retention_ms) {
  std::vector<std::unique_ptr<EventSource>> sources;
  sources.push_back(BookingSource(registry, bookings, bookings->EventKeys()));
  sources.push_back(ResourceSource(registry, registry_events));
  sources.push_back(InquirySource(desk, desk_store, registry, desk_store->EventsKey(),
                                  int64_t{email.feedback_after_s} * 1000, contact_retention_ms));
  sources.push_back(RotationSource(rotations, registry, rotations->EventsKey(),
                                   int64_t{email.handover_lead_s} * 1000));
  sources.push_back(ProgrammeSource(programme, registry, programme->EventsKey()));
  sources.push_back(SubscriptionSource(registry, subscription_events));
  return sources;
}

}  // namespace

WebhookModule::WebhookModule(RedisPool* redis, RpcGate* gate, const Config& config,
                             registry::RegistryReadModel* registry,
                             const std::string& registry_events,
                             std::function<std::string()> site_base_url)
    : registry_(registry),
      store_(redis),
      webhooks_(&store_, registry,
                {.targets = {config.webhooks.allow_http, config.webhooks.allow_private_targets},
                 .secret_replay_ttl_s = config.auth.create_replay_ttl_s,
                 .request_id_ttl_s = config.registry.request_id_ttl_s,
                 .dead_letter_max = config.webhooks.dead_letter_max},
                NowMs),
      service_(&webhooks_, gate),
      bookings_(redis, config.scheduler),
      desk_store_(redis, config.desk),
      desk_(&desk_store_, registry, config.desk),
      rotations_(redis, config.scheduler.request_id_ttl_s, config.scheduler.rotation_draft_ttl_s),
      programme_(redis, config.scheduler.request_id_ttl_s),
      fan_out_(
          redis, &store_,
          Sources(registry, &bookings_, &desk_, &desk_store_, &rotations_, &programme_,
                  registry_events, store_.EventsKey(), config.email,
                  int64_t{config.desk.contact_retention_days} * 86400 * 1000),
          [registry](const std::string& organization) {
            return registry->OrganizationExists(organization);
          },
          {.batch = 100,
           .claim_idle_ms = config.webhooks.claim_idle_ms,
           .site_base_url = std::move(site_base_url)},
          config.email),
      dispatcher_(&store_, &fan_out_, config.webhooks, config.email, gate->metrics()) {}

WebhookModule::~WebhookModule() { Stop(); }

void WebhookModule::Start() { dispatcher_.Start(); }

void WebhookModule::Stop() { dispatcher_.Stop(); }

}  // namespace infrashare::webhook
