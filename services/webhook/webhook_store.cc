#include "services/webhook/webhook_store.h"

#include <google/protobuf/util/time_util.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/redis_function.h"
#include "services/common/text_fold.h"

namespace infrashare::webhook {
namespace {

using google::protobuf::util::TimeUtil;
using Fields = std::map<std::string, std::string>;

absl::Status Corrupt(absl::string_view what) {
  return absl::InternalError(absl::StrCat("corrupt webhook ", what, " record"));
}

int64_t Number(const Fields& fields, const std::string& name) {
  auto it = fields.find(name);
  int64_t value = 0;
  if (it == fields.end() || !absl::SimpleAtoi(it->second, &value)) return 0;
  return value;
}

std::string Text(const Fields& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? "" : it->second;
}

int64_t MsOf(const google::protobuf::Timestamp& t) {
  return t.seconds() == 0 && t.nanos() == 0 ? 0 : TimeUtil::TimestampToMilliseconds(t);
}

// A flat name/value list (wh_list, wh_put's record) as fields.
Fields FieldsOf(const std::vector<RedisValue>& flat) {
  Fields fields;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) fields[flat[i].str] = flat[i + 1].str;
  return fields;
}

StoredSubscription SubscriptionOf(const Fields& f) {
  StoredSubscription stored;
  v1::WebhookSubscription& s = stored.subscription;
  s.set_id(Text(f, "id"));
  s.set_organization_id(Text(f, "org"));
  s.set_target_url(Text(f, "url"));
  for (absl::string_view type : absl::StrSplit(Text(f, "ev"), ' ', absl::SkipEmpty())) {
    int number = 0;
    if (absl::SimpleAtoi(type, &number) && v1::WebhookEventType_IsValid(number))
      s.add_event_types(static_cast<v1::WebhookEventType>(number));
  }
  s.set_enabled(Text(f, "en") == "1");
  s.set_description(Text(f, "ds"));
  SetTimestampOfMs(Number(f, "cr"), s.mutable_create_time());
  SetTimestampOfMs(Number(f, "up"), s.mutable_update_time());
  s.set_created_by(Text(f, "by"));
  // Stored before reminders existed: the default.
  const int64_t lead = Number(f, "rl");
  s.set_reminder_lead_seconds(lead > 0 ? static_cast<int32_t>(lead) : kDefaultReminderLeadSeconds);
  stored.version = Number(f, "v");
  s.set_etag(std::to_string(stored.version));
  stored.secret = Text(f, "k");
  stored.previous_secret = Text(f, "kp");
  stored.previous_until_ms = stored.previous_secret.empty() ? 0 : Number(f, "kpx");
  SetTimestampOfMs(stored.previous_until_ms, s.mutable_previous_secret_expire_time());
  if (const int64_t disabled = Number(f, "dt"); disabled > 0) {
    SetTimestampOfMs(disabled, s.mutable_disabled()->mutable_time());
    s.mutable_disabled()->set_reason(Text(f, "dr"));
    s.mutable_disabled()->set_webhook_id(Text(f, "dw"));
  }
  return stored;
}

// The record of a subscription as wh_create and wh_put store it (all values strings).
std::string RecordOf(const StoredSubscription& stored, int64_t version) {
  const v1::WebhookSubscription& s = stored.subscription;
  std::vector<std::string> types;
  for (int type : s.event_types()) types.push_back(std::to_string(type));
  nlohmann::json record = {
      {"id", s.id()},
      {"org", s.organization_id()},
      {"url", s.target_url()},
      {"ev", absl::StrJoin(types, " ")},
      {"en", s.enabled() ? "1" : "0"},
      {"ds", s.description()},
      {"cr", std::to_string(MsOf(s.create_time()))},
      {"up", std::to_string(MsOf(s.update_time()))},
      {"by", s.created_by()},
      {"rl", std::to_string(s.reminder_lead_seconds())},
      {"v", std::to_string(version)},
      {"k", stored.secret},
      {"kp", stored.previous_secret},
      {"kpx", stored.previous_secret.empty() ? "" : std::to_string(stored.previous_until_ms)},
      {"dt", s.has_disabled() ? std::to_string(MsOf(s.disabled().time())) : ""},
      {"dr", s.has_disabled() ? s.disabled().reason() : ""},
      {"dw", s.has_disabled() ? s.disabled().webhook_id() : ""},
  };
  return record.dump();
}

absl::StatusOr<v1::WebhookSubscription> Replayed(const RedisValue& reply,
                                                 const v1::WebhookSubscription& response) {
  if (reply.elements.size() == 2 && reply.elements[0].str == "replay") {
    v1::WebhookSubscription previous;
    if (!previous.ParseFromString(reply.elements[1].str)) return Corrupt("replay");
    return previous;
  }
  return response;
}

std::vector<QueuedJob> JobsOf(const std::vector<StreamEntry>& entries) {
  std::vector<QueuedJob> jobs;
  for (const auto& entry : entries)
    if (const std::string* job = entry.Field("j")) jobs.push_back({entry.id, *job});
  return jobs;
}

v1::WebhookDeliveryOutcome OutcomeOf(const std::string& name) {
  if (name == "DELIVERED") return v1::WEBHOOK_DELIVERY_OUTCOME_DELIVERED;
  if (name == "RETRYING") return v1::WEBHOOK_DELIVERY_OUTCOME_RETRYING;
  if (name == "DEAD_LETTER") return v1::WEBHOOK_DELIVERY_OUTCOME_DEAD_LETTER;
  return v1::WEBHOOK_DELIVERY_OUTCOME_UNSPECIFIED;
}

// A number of a delivery log entry, of whichever JSON type it was written as (Lua's cjson writes
// numbers, and `t` as text to keep its digits).
int64_t JsonNumber(const nlohmann::json& entry, const char* name) {
  auto it = entry.find(name);
  if (it == entry.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number()) return static_cast<int64_t>(it->get<double>());
  int64_t value = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &value)) return value;
  return 0;
}

std::string JsonText(const nlohmann::json& entry, const char* name) {
  auto it = entry.find(name);
  return it != entry.end() && it->is_string() ? it->get<std::string>() : "";
}

// The people a webhook payload names, by the hash of each e-mail address in it (PersonOf), space-
// separated: the job is indexed under them, so their erasure drops it while it is not delivered.
std::string PersonsNamedIn(const std::string& body) {
  if (body.find('@') == std::string::npos) return "";
  const nlohmann::json payload = nlohmann::json::parse(body, nullptr, false);
  std::set<std::string> people;
  std::vector<const nlohmann::json*> open = {&payload};
  while (!open.empty()) {
    const nlohmann::json* value = open.back();
    open.pop_back();
    if (value->is_string()) {
      const auto& text = value->get_ref<const std::string&>();
      if (text.find('@') != std::string::npos && IsEmailAddress(text))
        people.insert(PersonOf(text));
    } else if (value->is_structured()) {
      for (const auto& inner : *value) open.push_back(&inner);
    }
  }
  return absl::StrJoin(people, " ");
}

}  // namespace

RedisWebhookStore::RedisWebhookStore(RedisPool* redis)
    : redis_(redis),
      base_(absl::StrCat(redis->prefix(), "{wh}:")),
      queue_(base_ + "q"),
      senders_(redis, "senders", "0") {}

std::string RedisWebhookStore::ReplayKey(absl::string_view organization_id,
                                         absl::string_view idempotency_key) const {
  return idempotency_key.empty()
             ? ""
             : absl::StrCat(base_, "req:", organization_id, ":", idempotency_key);
}

absl::StatusOr<v1::WebhookSubscription> RedisWebhookStore::Insert(
    const StoredSubscription& stored, const v1::WebhookSubscription& response,
    absl::string_view replay_key, int replay_ttl_s, int max_per_organization) {
  const v1::WebhookSubscription& s = stored.subscription;
  RedisFunctionCall call("wh_create");
  call.Key("sub", Key("s:" + s.id()))
      .Key("org", Key("org:" + s.organization_id()))
      .Key("all", Key("all"))
      .Key("ver", Key("ver"))
      .Replay(replay_key, replay_ttl_s)
      .Arg("record", RecordOf(stored, 1))
      .Arg("response", response.SerializeAsString())
      .Int("max", max_per_organization);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return Replayed(*reply, response);
}

absl::StatusOr<std::optional<StoredSubscription>> RedisWebhookStore::Get(absl::string_view id) {
  auto reply = redis_->Command({"HGETALL", Key(absl::StrCat("s:", id))});
  if (!reply.ok()) return reply.status();
  if (reply->elements.empty()) return std::nullopt;
  return SubscriptionOf(FieldsOf(reply->elements));
}

absl::StatusOr<std::vector<StoredSubscription>> RedisWebhookStore::List(const std::string& index) {
  RedisFunctionCall call("wh_list");
  call.Key("base", base_).Key("index", index);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  std::vector<StoredSubscription> out;
  for (const auto& flat : reply->elements) out.push_back(SubscriptionOf(FieldsOf(flat.elements)));
  return out;
}

absl::StatusOr<std::vector<StoredSubscription>> RedisWebhookStore::OfOrganization(
    absl::string_view organization_id) {
  return List(Key(absl::StrCat("org:", organization_id)));
}

absl::StatusOr<std::vector<StoredSubscription>> RedisWebhookStore::All() {
  return List(Key("all"));
}

absl::StatusOr<std::string> RedisWebhookStore::Version() {
  auto reply = redis_->Command({"GET", Key("ver")});
  if (!reply.ok()) return reply.status();
  return reply->is_nil() ? std::string("0") : reply->str;
}

absl::StatusOr<v1::WebhookSubscription> RedisWebhookStore::Put(
    const StoredSubscription& next, int64_t expected_version,
    const v1::WebhookSubscription& response, absl::string_view replay_key, int replay_ttl_s) {
  RedisFunctionCall call("wh_put");
  call.Key("sub", Key("s:" + next.subscription.id()))
      .Key("ver", Key("ver"))
      .Replay(replay_key, replay_ttl_s)
      .Arg("id", next.subscription.id())
      .Int("expected", expected_version)
      .Arg("record", RecordOf(next, expected_version + 1))
      .Arg("response", response.SerializeAsString());
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return Replayed(*reply, response);
}

absl::StatusOr<StoredSubscription> RedisWebhookStore::Delete(const StoredSubscription& stored,
                                                             absl::string_view replay_key,
                                                             int replay_ttl_s) {
  const v1::WebhookSubscription& s = stored.subscription;
  RedisFunctionCall call("wh_delete");
  call.Key("base", base_)
      .Key("sub", Key("s:" + s.id()))
      .Key("org", Key("org:" + s.organization_id()))
      .Key("all", Key("all"))
      .Key("ver", Key("ver"))
      .Replay(replay_key, replay_ttl_s)
      .Arg("id", s.id())
      .Arg("org", s.organization_id());
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  const auto record = nlohmann::json::parse(reply->str, nullptr, false);
  if (!record.is_array()) return Corrupt("subscription");
  Fields fields;
  for (size_t i = 0; i + 1 < record.size(); i += 2)
    if (record[i].is_string() && record[i + 1].is_string())
      fields[record[i].get<std::string>()] = record[i + 1].get<std::string>();
  return SubscriptionOf(fields);
}

absl::StatusOr<int> RedisWebhookStore::Enqueue(const std::vector<Job>& jobs) {
  if (jobs.empty()) return 0;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& job : jobs)
    list.push_back({{"id", job.id},
                    {"sub", job.subscription_id},
                    {"type", job.type},
                    {"body", job.body},
                    {"t", std::to_string(job.time_ms)},
                    {"et", std::to_string(job.event_type)},
                    {"slot", job.slot},
                    {"e", job.entry_id},
                    {"at", std::to_string(job.due_ms)},
                    {"cancel", job.cancels},
                    {"to", job.mail_to},
                    {"ta", job.mail_to.empty() ? "" : PersonOf(job.mail_to)},
                    {"tp", job.mail_to.empty() ? PersonsNamedIn(job.body) : ""}});
  RedisFunctionCall call("wh_enqueue");
  call.Key("base", base_)
      .Key("q", queue_)
      .Key("at", Key("at"))
      .Key("retry", Key("retry"))
      .Arg("jobs", list.dump());
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return static_cast<int>(reply->integer);
}

absl::StatusOr<std::vector<QueuedJob>> RedisWebhookStore::ReadQueue(absl::string_view consumer,
                                                                    int count) {
  auto read = senders_.Read({queue_}, consumer, count);
  if (!read.ok()) return read.status();
  return JobsOf(read->front());
}

absl::StatusOr<std::vector<QueuedJob>> RedisWebhookStore::ClaimQueue(absl::string_view consumer,
                                                                     int min_idle_ms, int count) {
  auto claimed = senders_.Claim(queue_, consumer, min_idle_ms, count);
  if (!claimed.ok()) return claimed.status();
  return JobsOf(*claimed);
}

absl::StatusOr<TakenJob> RedisWebhookStore::Take(const QueuedJob& job,
                                                 const DeliveryLimits& limits) {
  RedisFunctionCall call("wh_take");
  call.Key("base", base_)
      .Key("q", queue_)
      .Arg("job", job.job_id)
      .Arg("entry", job.entry_id)
      .Int("dl_max", limits.dead_letter_max)
      .Int("log_max", limits.log_length);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  TakenJob taken;
  if (e.empty()) return Corrupt("job");
  const std::string& state = e[0].str;
  if (state == "stale") return taken;
  if (state == "gone") {
    taken.state = TakenJob::State::kGone;
    return taken;
  }
  if (state == "off") {
    taken.state = TakenJob::State::kOff;
    return taken;
  }
  if (state == "mail") {
    if (e.size() != 6) return Corrupt("job");
    taken.state = TakenJob::State::kSend;
    taken.type = e[1].str;
    taken.body = e[2].str;
    (void)absl::SimpleAtoi(e[3].str, &taken.attempts);
    taken.mail_to = e[4].str;
    taken.subscription_id = kMailSubscription;
    (void)absl::SimpleAtoi(e[5].str, &taken.time_ms);
    return taken;
  }
  if (state != "send" || e.size() != 11) return Corrupt("job");
  taken.state = TakenJob::State::kSend;
  taken.type = e[1].str;
  taken.body = e[2].str;
  (void)absl::SimpleAtoi(e[3].str, &taken.attempts);
  taken.url = e[4].str;
  taken.secrets.push_back(e[5].str);
  int64_t previous_until = 0;
  if (!e[6].str.empty() && absl::SimpleAtoi(e[7].str, &previous_until) && previous_until > NowMs())
    taken.secrets.push_back(e[6].str);
  taken.organization_id = e[8].str;
  taken.subscription_id = e[9].str;
  (void)absl::SimpleAtoi(e[10].str, &taken.time_ms);
  return taken;
}

absl::StatusOr<Settled> RedisWebhookStore::Settle(const QueuedJob& job, const Attempt& attempt,
                                                  const DeliveryLimits& limits) {
  RedisFunctionCall call("wh_settle");
  call.Key("base", base_)
      .Key("q", queue_)
      .Key("retry", Key("retry"))
      .Key("ver", Key("ver"))
      .Key("events", EventsKey())
      .Arg("job", job.job_id)
      .Arg("entry", job.entry_id)
      .Flag("ok", attempt.ok)
      .Int("status", attempt.status_code)
      .Int("latency", attempt.latency_ms)
      .Arg("error", attempt.error)
      .Int("delay", attempt.retry_delay_ms)
      .Flag("final", attempt.permanent)
      .Flag("deferred", attempt.deferred)
      .Int("retry_for", limits.retry_for_ms)
      .Int("log_max", limits.log_length)
      .Int("dl_max", limits.dead_letter_max)
      .Int("done_ttl", limits.done_ttl_ms);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  const std::string& outcome = reply->str;
  if (outcome == "delivered") return Settled::kDelivered;
  if (outcome == "retry") return Settled::kRetry;
  if (outcome == "disabled") return Settled::kDisabled;
  if (outcome == "dead") return Settled::kDead;
  if (outcome == "deferred") return Settled::kDeferred;
  return Settled::kStale;
}

// <w>mp:<person>: off (the moments not wanted, space-separated; "*" = none at all) and lang.
absl::StatusOr<mail::Preferences> RedisWebhookStore::MailPreferences(absl::string_view person) {
  auto reply = redis_->Command({"HMGET", Key(absl::StrCat("mp:", person)), "off", "lang"});
  if (!reply.ok()) return reply.status();
  mail::Preferences preferences;
  if (reply->elements.size() < 2) return preferences;
  for (absl::string_view moment : absl::StrSplit(reply->elements[0].str, ' ', absl::SkipEmpty())) {
    if (moment == "*") {
      preferences.all_off = true;
    } else {
      preferences.off.insert(std::string(moment));
    }
  }
  preferences.language = reply->elements[1].str;
  return preferences;
}

absl::Status RedisWebhookStore::SetMailPreferences(absl::string_view person,
                                                   const mail::Preferences& preferences) {
  const std::string key = Key(absl::StrCat("mp:", person));
  std::vector<std::string> off(preferences.off.begin(), preferences.off.end());
  if (preferences.all_off) off.push_back("*");
  if (off.empty() && preferences.language.empty()) return redis_->Command({"DEL", key}).status();
  return redis_
      ->Command({"HSET", key, "off", absl::StrJoin(off, " "), "lang", preferences.language})
      .status();
}

absl::StatusOr<std::string> RedisWebhookStore::MailLinkKey() {
  absl::MutexLock lock(&link_key_mutex_);
  if (!link_key_.empty()) return link_key_;
  // The first replica to ask makes it; every other one reads the same.
  auto made = redis_->Command({"SET", Key("mail-link-key"), RandomBase32(52), "NX"});
  if (!made.ok()) return made.status();
  auto key = redis_->Command({"GET", Key("mail-link-key")});
  if (!key.ok()) return key.status();
  if (key->str.empty()) return absl::UnavailableError("the e-mail link key could not be kept");
  link_key_ = key->str;
  return link_key_;
}

absl::StatusOr<ErasedJobs> RedisWebhookStore::EraseMail(absl::string_view address) {
  RedisFunctionCall call("wh_erase_mail");
  call.Key("base", base_)
      .Key("at", Key("at"))
      .Key("retry", Key("retry"))
      .Key("index", Key(absl::StrCat("ma:", PersonOf(address))));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  // Their preferences go with them too (written to again, they are asked anew).
  if (auto forgotten = redis_->Command({"DEL", Key(absl::StrCat("mp:", PersonOf(address)))});
      !forgotten.ok())
    return forgotten.status();
  // The library of the version before (a rolling upgrade) answers with the e-mails alone.
  if (reply->type == RedisValue::Type::kInteger)
    return ErasedJobs{static_cast<int>(reply->integer), 0};
  if (reply->elements.size() < 2) return absl::InternalError("wh_erase_mail: malformed reply");
  return ErasedJobs{static_cast<int>(reply->elements[0].integer),
                    static_cast<int>(reply->elements[1].integer)};
}

absl::StatusOr<int> RedisWebhookStore::QueueDue(int limit) {
  RedisFunctionCall call("wh_due");
  call.Key("base", base_)
      .Key("q", queue_)
      .Key("retry", Key("retry"))
      .Key("at", Key("at"))
      .Int("limit", limit);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return static_cast<int>(reply->integer);
}

absl::StatusOr<int64_t> RedisWebhookStore::Backlog() {
  auto replies = redis_->Pipeline({{"XLEN", queue_}, {"ZCARD", Key("retry")}});
  if (!replies.ok()) return replies.status();
  int64_t total = 0;
  for (const auto& reply : *replies) total += reply.integer;
  return total;
}

absl::StatusOr<std::vector<v1::WebhookDelivery>> RedisWebhookStore::Deliveries(
    absl::string_view subscription_id) {
  auto reply = redis_->Command({"LRANGE", Key(absl::StrCat("log:", subscription_id)), "0", "-1"});
  if (!reply.ok()) return reply.status();
  std::vector<v1::WebhookDelivery> out;
  for (const auto& item : reply->elements) {
    const auto entry = nlohmann::json::parse(item.str, nullptr, false);
    if (!entry.is_object()) return Corrupt("delivery log");
    v1::WebhookDelivery d;
    d.set_webhook_id(JsonText(entry, "w"));
    d.set_type(JsonText(entry, "ty"));
    SetTimestampOfMs(JsonNumber(entry, "t"), d.mutable_attempt_time());
    d.set_attempt(static_cast<int32_t>(JsonNumber(entry, "a")));
    d.set_status_code(static_cast<int32_t>(JsonNumber(entry, "s")));
    d.set_latency_ms(static_cast<int32_t>(JsonNumber(entry, "l")));
    d.set_outcome(OutcomeOf(JsonText(entry, "o")));
    d.set_error(JsonText(entry, "e"));
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<std::vector<v1::WebhookDeadLetter>> RedisWebhookStore::DeadLetters(
    absl::string_view subscription_id, int limit) {
  RedisFunctionCall call("wh_dead_letters");
  call.Key("base", base_).Key("dl", Key(absl::StrCat("dl:", subscription_id))).Int("limit", limit);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  std::vector<v1::WebhookDeadLetter> out;
  for (const auto& row : reply->elements) {
    if (row.elements.size() != 6) return Corrupt("dead letter");
    v1::WebhookDeadLetter letter;
    letter.set_webhook_id(row.elements[0].str);
    letter.set_type(row.elements[1].str);
    int64_t first = 0, dead = 0;
    int attempts = 0;
    (void)absl::SimpleAtoi(row.elements[2].str, &first);
    (void)absl::SimpleAtoi(row.elements[3].str, &dead);
    (void)absl::SimpleAtoi(row.elements[4].str, &attempts);
    SetTimestampOfMs(first, letter.mutable_first_attempt_time());
    SetTimestampOfMs(dead, letter.mutable_dead_time());
    letter.set_attempts(attempts);
    letter.set_error(row.elements[5].str);
    out.push_back(std::move(letter));
  }
  return out;
}

absl::StatusOr<int> RedisWebhookStore::Redeliver(absl::string_view subscription_id,
                                                 const std::vector<std::string>& job_ids,
                                                 absl::string_view replay_key, int replay_ttl_s) {
  RedisFunctionCall call("wh_redeliver");
  call.Key("base", base_)
      .Key("sub", Key(absl::StrCat("s:", subscription_id)))
      .Key("q", queue_)
      .Replay(replay_key, replay_ttl_s)
      .Arg("id", std::string(subscription_id))
      .Arg("jobs", nlohmann::json(job_ids).dump());
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return static_cast<int>(reply->integer);
}

}  // namespace infrashare::webhook
