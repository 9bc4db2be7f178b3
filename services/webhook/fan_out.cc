#include "services/webhook/fan_out.h"

#include <google/protobuf/util/json_util.h>
#include <sodium.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/logging.h"
#include "services/common/text_fold.h"
#include "services/mail/message.h"
#include "services/mail/preferences.h"

namespace infrashare::webhook {
std::string WebhookIdOf(absl::string_view subscription_id, absl::string_view stream,
                        absl::string_view entry_id) {
  const std::string input = absl::StrCat(subscription_id, "\n", stream, "\n", entry_id);
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return absl::StrCat("msg_", hex);
}

FanOut::FanOut(RedisPool* redis, WebhookStore* store,
               std::vector<std::unique_ptr<EventSource>> sources,
               OrganizationCheck organization_exists, Options options, EmailConfig email)
    : store_(store),
      sources_(std::move(sources)),
      organization_exists_(std::move(organization_exists)),
      options_(options),
      email_(std::move(email)),
      // A stream's group starts at its end: changes from before the first replica ran are not
      // delivered (nobody could have subscribed to them).
      group_(redis, "webhooks", "$") {}

absl::Status FanOut::Begin() {
  absl::Status first;  // the first failure; the other streams get their groups all the same
  for (auto& source : sources_)
    for (const auto& stream : source->Streams())
      if (auto made = group_.Ensure(stream); !made.ok() && first.ok()) first = made;
  return first;
}

absl::Status FanOut::Refresh() {
  auto version = store_->Version();
  if (!version.ok()) return version.status();
  if (*version == version_) return absl::OkStatus();
  auto all = store_->All();
  if (!all.ok()) return all.status();
  std::vector<Route> routes;
  for (const auto& stored : *all) {
    const auto& s = stored.subscription;
    if (!s.enabled()) continue;
    routes.push_back({s.id(),
                      s.organization_id(),
                      {s.event_types().begin(), s.event_types().end()},
                      int64_t{s.reminder_lead_seconds()} * 1000});
  }
  routes_ = std::move(routes);
  timed_types_.clear();
  for (const Route& route : routes_)
    for (int type : {v1::WEBHOOK_EVENT_TYPE_BOOKING_REMINDER, v1::WEBHOOK_EVENT_TYPE_DESK_OFFER,
                     v1::WEBHOOK_EVENT_TYPE_PROGRAMME, v1::WEBHOOK_EVENT_TYPE_ROTATION})
      if (route.event_types.count(type)) timed_types_.insert(type);
  version_ = *version;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Job>> FanOut::JobsOf(EventSource* source, const std::string& stream,
                                                const StreamEntry& entry) {
  std::vector<Job> jobs;
  const auto kind = source->Classify(entry);
  // Read once per organisation: its subscriptions see the same.
  std::map<std::string, std::vector<const Route*>> wanted;
  for (const auto& route : routes_)
    if (kind && route.event_types.count(kind->event_type))
      wanted[route.organization_id].push_back(&route);
  const int64_t time_ms = TimeOfEntry(entry.id);
  for (const auto& [organization, routes] : wanted) {
    auto exists = organization_exists_(organization);
    if (!exists.ok()) return exists.status();
    if (!*exists) continue;  // deleted: its subscriptions lapse with it
    auto data = source->Read(entry, SubscriberOf(organization));
    if (!data.ok()) return data.status();
    if (!data->has_value()) continue;
    v1::WebhookPayload payload;
    payload.set_type(kind->payload_type);
    if (auto t = TimestampOfMs(time_ms)) *payload.mutable_timestamp() = *t;
    *payload.mutable_data() = std::move(**data);
    for (const Route* route : routes) {
      payload.set_subscription_id(route->subscription_id);
      Job job;
      job.id = WebhookIdOf(route->subscription_id, stream, entry.id);
      job.subscription_id = route->subscription_id;
      job.type = kind->payload_type;
      job.event_type = kind->event_type;
      job.time_ms = time_ms;
      if (!google::protobuf::util::MessageToJsonString(payload, &job.body).ok())
        return absl::InternalError("a webhook payload could not be written as JSON");
      jobs.push_back(std::move(job));
    }
  }
  if (auto timed = TimedJobsOf(source, stream, entry, &jobs); !timed.ok()) return timed;
  if (auto mails = MailJobsOf(source, stream, entry, &jobs); !mails.ok()) return mails;
  return jobs;
}

std::string MailSlot(absl::string_view moment, absl::string_view object_id,
                     absl::string_view person) {
  return absl::StrCat(kMailSubscription, "|", moment, "|", object_id, "|", person);
}

absl::Status DropWaitingMail(WebhookStore* store, absl::string_view moment,
                             absl::string_view object_id, absl::string_view address) {
  Job drop;
  drop.subscription_id = kMailSubscription;
  drop.type = std::string(moment);
  drop.time_ms = NowMs();
  drop.slot = MailSlot(moment, object_id, PersonOf(address));
  drop.cancels = true;  // no entry id: it drops whatever waits, whichever change set it
  return store->Enqueue({drop}).status();
}

absl::Status FanOut::MailJobsOf(EventSource* source, const std::string& stream,
                                const StreamEntry& entry, std::vector<Job>* jobs) {
  if (email_.relay_url.empty()) return absl::OkStatus();
  auto mails = source->Mails(entry);
  if (!mails.ok()) return mails.status();
  const int64_t time_ms = TimeOfEntry(entry.id);
  const std::string site = options_.site_base_url ? options_.site_base_url() : std::string();
  for (const MailRequest& request : *mails) {
    if (!IsSendableAddress(request.to)) {
      // Accepted as an address when it was given, but not one a relay can be told safely.
      logging::Warn("e-mail: an address cannot be written to; not sent",
                    {{"moment", request.moment}, {"stream", stream}, {"entry", entry.id}});
      continue;
    }
    const std::string person = PersonOf(request.to);
    Job job;
    job.subscription_id = kMailSubscription;
    job.type = request.moment;
    job.time_ms = time_ms;
    if (request.object_id.empty()) {
      // One per change, moment and recipient however often the change is read.
      job.id = WebhookIdOf(kMailSubscription, stream,
                           absl::StrCat(entry.id, "/", request.moment, "/", request.to));
    } else {
      // A reminder: one waiting per moment, object and recipient; its id names the time it
      // reminds of (a hand-over moved gets a new one, one left alone keeps its one).
      job.slot = MailSlot(request.moment, request.object_id, person);
      job.entry_id = entry.id;
      if (!request.reminds_of_ms) {
        job.cancels = true;
        jobs->push_back(std::move(job));
        continue;
      }
      job.due_ms = *request.reminds_of_ms - request.lead_ms;
      if (job.due_ms <= time_ms) job.due_ms = 0;  // planned later than the lead: now
      job.id = WebhookIdOf(kMailSubscription, job.slot, absl::StrCat(*request.reminds_of_ms));
    }
    // What the person asked for through the link at the foot of an earlier e-mail.
    auto preferences = store_->MailPreferences(person);
    if (!preferences.ok()) return preferences.status();
    if (!mail::Wants(*preferences, request.moment)) continue;
    // A form to act with needs the site's address; without it such an e-mail asks for nothing.
    if (!request.link_path.empty() && site.empty()) continue;
    mail::Values values = request.values;
    std::string link;
    if (!site.empty()) {
      auto key = store_->MailLinkKey();
      if (!key.ok()) return key.status();
      link = absl::StrCat(site, "/email/preferences?a=", person, "&m=", request.moment,
                          "&s=", mail::LinkSignature(*key, person, request.moment));
      values["preferences"] = link;
      if (!request.link_path.empty())
        values["link"] =
            absl::StrCat(site, request.link_path, "?i=", request.object_id,
                         "&s=", mail::LinkSignature(*key, request.object_id, request.link_path));
    }
    auto rendered = mail::Render(
        request.moment, preferences->language.empty() ? request.language : preferences->language,
        values);
    if (!rendered.ok()) {  // a template of ours: the change's webhooks go out all the same
      logging::Error("e-mail: not written", {{"moment", request.moment},
                                             {"error", std::string(rendered.status().message())}});
      continue;
    }
    job.mail_to = request.to;
    mail::Email email;
    email.from_name = email_.from_name;
    email.from_address = email_.from_address;
    email.to = request.to;
    email.subject = std::move(rendered->subject);
    email.text = std::move(rendered->text);
    email.language = rendered->language;
    email.message_id = job.id;
    email.preferences_url = link;
    // Dated when it goes: a reminder written now and sent in a day is not a day old.
    auto written = mail::Write(email, job.due_ms > 0 ? job.due_ms : time_ms);
    if (!written.ok()) {
      logging::Error("e-mail: not written", {{"moment", request.moment},
                                             {"error", std::string(written.status().message())}});
      continue;
    }
    job.body = std::move(*written);
    jobs->push_back(std::move(job));
  }
  return absl::OkStatus();
}

absl::Status FanOut::TimedJobsOf(EventSource* source, const std::string& stream,
                                 const StreamEntry& entry, std::vector<Job>* jobs) {
  if (timed_types_.empty()) return absl::OkStatus();  // the entry is not even parsed for triggers
  const int64_t time_ms = TimeOfEntry(entry.id);
  auto triggers = source->Timed(entry, timed_types_);
  if (!triggers.ok()) return triggers.status();
  for (const TimedTrigger& trigger : *triggers) {
    std::vector<const Route*> routes;
    for (const auto& route : routes_)
      if (route.organization_id == trigger.organization_id &&
          route.event_types.count(trigger.event_type))
        routes.push_back(&route);
    if (routes.empty()) continue;
    auto exists = organization_exists_(trigger.organization_id);
    if (!exists.ok()) return exists.status();
    if (!*exists) continue;
    std::optional<v1::WebhookPayload> payload;
    for (const Route* route : routes) {
      Job job;
      job.subscription_id = route->subscription_id;
      job.type = trigger.payload_type;
      job.event_type = trigger.event_type;
      job.time_ms = time_ms;
      job.entry_id = entry.id;
      if (trigger.now) {
        job.id = WebhookIdOf(route->subscription_id, stream,
                             absl::StrCat(entry.id, "/", trigger.payload_type));
      } else {
        // One slot per subscription, kind and object; the job's id names the time it reminds of,
        // so that a booking moved gets a new reminder and one left alone keeps its one.
        job.slot =
            absl::StrCat(route->subscription_id, "|", trigger.payload_type, "|", trigger.object_id);
        const int64_t lead_ms = trigger.lead_ms.value_or(route->reminder_lead_ms);
        if (!trigger.reminds_of_ms || *trigger.reminds_of_ms - lead_ms <= time_ms) {
          job.cancels = true;  // nothing to remind of, or made too late for the reminder
          jobs->push_back(std::move(job));
          continue;
        }
        job.due_ms = *trigger.reminds_of_ms - lead_ms;
        job.id =
            WebhookIdOf(route->subscription_id, job.slot, absl::StrCat(*trigger.reminds_of_ms));
      }
      if (!payload) {
        auto data = source->Read(entry, SubscriberOf(trigger.organization_id));
        if (!data.ok()) return data.status();
        if (!data->has_value()) break;
        payload.emplace();
        payload->set_type(trigger.payload_type);
        if (auto t = TimestampOfMs(time_ms)) *payload->mutable_timestamp() = *t;
        *payload->mutable_data() = std::move(**data);
        // Not a change of that kind: a moment.
        auto* moment = payload->mutable_data();
        if (moment->has_booking()) moment->mutable_booking()->clear_type();
        if (moment->has_inquiry()) moment->mutable_inquiry()->clear_type();
        if (moment->has_programme()) moment->mutable_programme()->clear_type();
      }
      payload->set_subscription_id(route->subscription_id);
      if (!google::protobuf::util::MessageToJsonString(*payload, &job.body).ok())
        return absl::InternalError("a webhook payload could not be written as JSON");
      jobs->push_back(std::move(job));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> FanOut::Deliver(EventSource* source, const std::string& stream,
                                    const std::vector<StreamEntry>& entries) {
  std::vector<Job> jobs;
  std::vector<std::string> handled;
  absl::Status stopped;
  for (const auto& entry : entries) {
    auto made = JobsOf(source, stream, entry);
    if (!made.ok()) {
      if (made.status().code() == absl::StatusCode::kUnavailable) {
        stopped = made.status();  // Redis: this entry and the rest stay pending, claimed later
        break;
      }
      // Damaged beyond reading: reading it again would fail again.
      logging::Error("webhooks: a change could not be read; skipped",
                     {{"stream", stream},
                      {"entry", entry.id},
                      {"error", std::string(made.status().message())}});
    } else {
      for (auto& job : *made) jobs.push_back(std::move(job));
    }
    handled.push_back(entry.id);
  }
  auto queued = store_->Enqueue(jobs);
  if (!queued.ok()) return queued.status();
  if (auto acked = group_.Acknowledge(stream, handled); !acked.ok()) return acked;
  if (!stopped.ok()) return stopped;
  return *queued;
}

absl::StatusOr<int> FanOut::Round(const std::string& consumer, bool claim) {
  int queued = 0;
  for (auto& source : sources_) {
    const std::vector<std::string> streams = source->Streams();
    if (claim) {
      for (const auto& stream : streams) {
        auto stale = group_.Claim(stream, consumer, options_.claim_idle_ms, options_.batch);
        if (!stale.ok()) return stale.status();
        auto done = Deliver(source.get(), stream, *stale);
        if (!done.ok()) return done.status();
        queued += *done;
      }
    }
    auto read = group_.Read(streams, consumer, options_.batch);
    if (!read.ok()) return read.status();
    for (size_t i = 0; i < streams.size(); ++i) {
      if ((*read)[i].empty()) continue;
      auto done = Deliver(source.get(), streams[i], (*read)[i]);
      if (!done.ok()) return done.status();
      queued += *done;
    }
  }
  return queued;
}

}  // namespace infrashare::webhook
