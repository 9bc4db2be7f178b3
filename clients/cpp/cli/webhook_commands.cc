// `infrashare webhook create|list|get|update|delete|rotate-secret|deliveries|dead-letters|
// redeliver`: outgoing webhooks (infrashare.webhook.v1), for organisation admins.
#include <iostream>
#include <memory>

#include "cli/app.h"

namespace infrashare::cli {
namespace {

using namespace webhook::v1;
using Stub = WebhookService::Stub;

struct Flags {
  std::string id, org, url, description, enabled;
  std::vector<std::string> events, webhook_ids;
  int overlap = 86400;
  int lead = 0;  // --reminder-lead, seconds
};
using FlagsPtr = std::shared_ptr<Flags>;

const std::vector<std::string> kColumns = {"id", "enabled", "target_url", "event_types",
                                           "description"};

// The secret is shown once: for people on its own line, with what to do with it.
void PrintWithSecret(const WebhookSubscription& s, App& app) {
  if (app.ForPrograms()) return PrintMessage(s, app);
  std::cout << s.secret() << "\n";
  std::cerr << "Subscription " << s.id()
            << ": the line above is its signing secret. Give it to the receiver, which checks "
               "every delivery's webhook-signature with it; it is not shown again.\n";
}

void AddCreate(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* create =
      sub->add_subcommand("create", "subscribe a URL to changes; prints the signing secret once");
  create->add_option("url", f->url, "the receiver, https://...")->required();
  AddEnumOption<WebhookEventType>(create, "--event", f->events, "what to receive (repeatable)")
      ->required();
  create->add_option("--org", f->org, "platform admins: for another organisation");
  create->add_option("--description", f->description, "what or whom it is for");
  create->add_option("--reminder-lead", f->lead,
                     "seconds before a booking's start booking.starts_soon comes (--event "
                     "booking-reminder), before a hand-over handover.due (--event rotation); "
                     "default 86400");
  create->callback([&app, f] {
    CreateWebhookSubscriptionRequest request;
    request.set_organization_id(f->org);
    request.set_target_url(f->url);
    AddEnumValues<WebhookEventType>(f->events, request.mutable_event_types());
    request.set_description(f->description);
    request.set_reminder_lead_seconds(f->lead);
    WebhookSubscription out;
    if (Call(app, app.client().webhooks(), &Stub::CreateWebhookSubscription, request, &out))
      PrintWithSecret(out, app);
  });
}

void AddReads(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* list = sub->add_subcommand("list", "your organisation's subscriptions, oldest first");
  list->add_option("--org", f->org, "platform admins: another organisation's");
  list->callback([&app, f] {
    ListWebhookSubscriptionsRequest request;
    request.set_organization_id(f->org);
    ListWebhookSubscriptionsResponse out;
    if (Call(app, app.client().webhooks(), &Stub::ListWebhookSubscriptions, request, &out))
      PrintList(app, out, out.subscriptions(), kColumns);
  });
  auto* get = sub->add_subcommand("get", "one subscription (why the server disabled it, if so)");
  get->add_option("id", f->id)->required();
  get->callback([&app, f] {
    GetWebhookSubscriptionRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().webhooks(), &Stub::GetWebhookSubscription, request);
  });
  auto* deliveries =
      sub->add_subcommand("deliveries", "the latest delivery attempts, newest first");
  deliveries->add_option("id", f->id, "the subscription")->required();
  deliveries->callback([&app, f] {
    ListWebhookDeliveriesRequest request;
    request.set_subscription_id(f->id);
    ListWebhookDeliveriesResponse out;
    if (Call(app, app.client().webhooks(), &Stub::ListWebhookDeliveries, request, &out))
      PrintList(app, out, out.deliveries(),
                {"attempt_time", "webhook_id", "type", "attempt", "outcome", "status_code",
                 "latency_ms", "error"});
  });
  auto* dead = sub->add_subcommand("dead-letters", "changes whose retries ran out");
  dead->add_option("id", f->id, "the subscription")->required();
  dead->callback([&app, f] {
    ListWebhookDeadLettersRequest request;
    request.set_subscription_id(f->id);
    ListWebhookDeadLettersResponse out;
    if (Call(app, app.client().webhooks(), &Stub::ListWebhookDeadLetters, request, &out))
      PrintList(app, out, out.dead_letters(),
                {"dead_time", "webhook_id", "type", "attempts", "error"});
  });
}

void AddChanges(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* update = sub->add_subcommand("update", "change what is given; the rest stays");
  update->add_option("id", f->id)->required();
  update->add_option("--url", f->url, "a new receiver");
  AddEnumOption<WebhookEventType>(update, "--event", f->events,
                                  "receive these instead (repeatable)");
  update->add_option("--description", f->description, "a new description");
  update->add_option("--reminder-lead", f->lead, "seconds before a booking's start or a hand-over");
  update->add_option("--enabled", f->enabled, "true or false")->check(OneOf({"true", "false"}));
  update->callback([&app, f] {
    GetWebhookSubscriptionRequest get;
    get.set_id(f->id);
    WebhookSubscription current;
    if (!Call(app, app.client().webhooks(), &Stub::GetWebhookSubscription, get, &current)) return;
    UpdateWebhookSubscriptionRequest request;
    WebhookSubscription* s = request.mutable_subscription();
    s->set_id(f->id);
    s->set_etag(current.etag());
    auto* mask = request.mutable_update_mask();
    if (!f->url.empty()) {
      s->set_target_url(f->url);
      mask->add_paths("target_url");
    }
    if (!f->events.empty()) {
      AddEnumValues<WebhookEventType>(f->events, s->mutable_event_types());
      mask->add_paths("event_types");
    }
    if (!f->description.empty()) {
      s->set_description(f->description);
      mask->add_paths("description");
    }
    if (!f->enabled.empty()) {
      s->set_enabled(f->enabled == "true");
      mask->add_paths("enabled");
    }
    if (f->lead != 0) {
      s->set_reminder_lead_seconds(f->lead);
      mask->add_paths("reminder_lead_seconds");
    }
    if (mask->paths().empty())
      return app.FailUsage(
          "give at least one of --url, --event, --description, --enabled, --reminder-lead");
    CallAndPrint(app, app.client().webhooks(), &Stub::UpdateWebhookSubscription, request);
  });
  auto* remove = sub->add_subcommand("delete", "stop delivering; drops what is still queued");
  remove->add_option("id", f->id)->required();
  remove->callback([&app, f] {
    DeleteWebhookSubscriptionRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().webhooks(), &Stub::DeleteWebhookSubscription, request);
  });
  auto* rotate = sub->add_subcommand(
      "rotate-secret", "a new signing secret (printed once); the old one signs too for a while");
  rotate->add_option("id", f->id)->required();
  rotate
      ->add_option("--overlap", f->overlap,
                   "seconds the old secret keeps signing (0 = it stops now; at most 604800)")
      ->capture_default_str();
  rotate->callback([&app, f] {
    RotateWebhookSecretRequest request;
    request.set_id(f->id);
    request.set_overlap_seconds(f->overlap);
    WebhookSubscription out;
    if (Call(app, app.client().webhooks(), &Stub::RotateWebhookSecret, request, &out))
      PrintWithSecret(out, app);
  });
  auto* redeliver = sub->add_subcommand("redeliver", "queue dead letters again (same webhook-id)");
  redeliver->add_option("id", f->id, "the subscription")->required();
  redeliver->add_option("--webhook-id", f->webhook_ids, "only these (repeatable; default all)");
  redeliver->callback([&app, f] {
    RedeliverWebhookDeadLettersRequest request;
    request.set_subscription_id(f->id);
    for (const auto& id : f->webhook_ids) request.add_webhook_ids(id);
    RedeliverWebhookDeadLettersResponse out;
    if (!Call(app, app.client().webhooks(), &Stub::RedeliverWebhookDeadLetters, request, &out))
      return;
    if (app.ForPrograms()) return PrintMessage(out, app);
    std::cout << "queued: " << out.queued() << "\n";
  });
}

}  // namespace

void AddWebhookCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand(
      "webhook", "signed HTTP calls to your systems when something changes (organisation admins)");
  sub->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  AddCreate(sub, app, f);
  AddReads(sub, app, f);
  AddChanges(sub, app, f);
}

}  // namespace infrashare::cli
