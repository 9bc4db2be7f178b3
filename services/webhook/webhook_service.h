// infrashare.webhook.v1.WebhookService: the gRPC shell around Webhooks, and the module that runs it
// with this replica's share of delivery (dispatcher.h) over the process's registry read model.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "infrashare/webhook/v1/webhook.grpc.pb.h"
#include "services/common/config.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/desk/desk.h"
#include "services/desk/desk_store.h"
#include "services/programme/programme_store.h"
#include "services/registry/read_model.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/rotation_store.h"
#include "services/webhook/dispatcher.h"
#include "services/webhook/fan_out.h"
#include "services/webhook/webhook_store.h"
#include "services/webhook/webhooks.h"

namespace infrashare::webhook {

class WebhookServiceImpl final : public v1::WebhookService::CallbackService {
 public:
  WebhookServiceImpl(Webhooks* webhooks, RpcGate* gate) : webhooks_(webhooks), gate_(gate) {}

#define INFRASHARE_UNARY(Method, Request, Response)                      \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request, v1::Response* response) override;
  INFRASHARE_UNARY(CreateWebhookSubscription, CreateWebhookSubscriptionRequest, WebhookSubscription)
  INFRASHARE_UNARY(GetWebhookSubscription, GetWebhookSubscriptionRequest, WebhookSubscription)
  INFRASHARE_UNARY(ListWebhookSubscriptions, ListWebhookSubscriptionsRequest,
                   ListWebhookSubscriptionsResponse)
  INFRASHARE_UNARY(UpdateWebhookSubscription, UpdateWebhookSubscriptionRequest, WebhookSubscription)
  INFRASHARE_UNARY(DeleteWebhookSubscription, DeleteWebhookSubscriptionRequest, WebhookSubscription)
  INFRASHARE_UNARY(RotateWebhookSecret, RotateWebhookSecretRequest, WebhookSubscription)
  INFRASHARE_UNARY(ListWebhookDeliveries, ListWebhookDeliveriesRequest,
                   ListWebhookDeliveriesResponse)
  INFRASHARE_UNARY(ListWebhookDeadLetters, ListWebhookDeadLettersRequest,
                   ListWebhookDeadLettersResponse)
  INFRASHARE_UNARY(RedeliverWebhookDeadLetters, RedeliverWebhookDeadLettersRequest,
                   RedeliverWebhookDeadLettersResponse)
#undef INFRASHARE_UNARY

 private:
  Webhooks* webhooks_;
  RpcGate* gate_;
};

class WebhookModule final : public ServiceModule {
 public:
  // Reads the other services' records through store adapters of its own (read-only), as the
  // privacy module does; `registry` is the process's read model, `registry_events` the registry's
  // change log (registry::ChangeLog::EventsKey).
  // `site_base_url`: the public HTTP listener's address, for the preferences link of e-mails
  // (empty: none).
  WebhookModule(RedisPool* redis, RpcGate* gate, const Config& config,
                registry::RegistryReadModel* registry, const std::string& registry_events,
                std::function<std::string()> site_base_url = {});
  ~WebhookModule() override;
  std::string name() const override { return "infrashare.webhook.v1.WebhookService"; }
  grpc::Service* service() override { return &service_; }
  void Start() override;
  void Stop() override;
  bool ready() const override { return registry_->ready(); }

 private:
  registry::RegistryReadModel* registry_;
  RedisWebhookStore store_;
  Webhooks webhooks_;
  WebhookServiceImpl service_;
  scheduler::RedisBookingStore bookings_;
  desk::RedisDeskStore desk_store_;
  desk::Desk desk_;
  scheduler::RedisRotationStore rotations_;
  programme::RedisProgrammeStore programme_;
  FanOut fan_out_;
  Dispatcher dispatcher_;
};

}  // namespace infrashare::webhook
