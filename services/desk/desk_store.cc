#include "services/desk/desk_store.h"

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/stream_ids.h"
#include "services/common/text_fold.h"

namespace infrashare::desk {
namespace {

using google::protobuf::util::TimeUtil;

int64_t Number(const FieldMap& f, const char* name) {
  auto it = f.find(name);
  int64_t value = 0;
  if (it != f.end() && absl::SimpleAtoi(it->second, &value)) return value;
  return 0;
}

const std::string& Text(const FieldMap& f, const char* name) {
  static const std::string kEmpty;
  auto it = f.find(name);
  return it == f.end() ? kEmpty : it->second;
}

// Sets a timestamp field only when the stored time is there (and a time a Timestamp holds):
// `field` returns the mutable field, called only then, so an absent time stays unset.
template <typename Field>
void SetTime(int64_t ms, Field field) {
  if (ms <= 0) return;
  if (auto time = TimestampOfMs(ms)) *field() = *time;
}

v1::InquiryState StateOf(const std::string& name) {
  v1::InquiryState state = v1::INQUIRY_STATE_UNSPECIFIED;
  v1::InquiryState_Parse("INQUIRY_STATE_" + name, &state);
  return state;
}

FieldMap FieldsOf(const RedisValue& flat) {
  FieldMap f;
  for (size_t n = 0; n + 1 < flat.elements.size(); n += 2)
    f[flat.elements[n].str] = flat.elements[n + 1].str;
  return f;
}

}  // namespace

v1::Inquiry InquiryFromFields(const FieldMap& f) {
  v1::Inquiry i;
  i.set_id(Text(f, "id"));
  i.set_network_id(Text(f, "net"));
  i.set_entry_organization_id(Text(f, "eo"));
  i.set_need_type(static_cast<v1::NeedType>(Number(f, "nt")));
  for (absl::string_view theme : absl::StrSplit(Text(f, "th"), ',', absl::SkipEmpty())) {
    int value = 0;
    if (absl::SimpleAtoi(theme, &value)) i.add_themes(static_cast<registry::v1::Theme>(value));
  }
  i.set_region(Text(f, "rg"));
  if (!Text(f, "gp").empty()) {
    std::vector<std::string> point = absl::StrSplit(Text(f, "gp"), ',');
    double lat = 0, lon = 0;
    if (point.size() == 2 && absl::SimpleAtod(point[0], &lat) && absl::SimpleAtod(point[1], &lon)) {
      i.mutable_location()->set_latitude(lat);
      i.mutable_location()->set_longitude(lon);
    }
  }
  i.set_text(Text(f, "tx"));
  i.set_urgency(static_cast<v1::Urgency>(Number(f, "ur")));
  i.set_language(Text(f, "lg"));
  i.set_asker_is_sme(Text(f, "sme") == "1");
  i.set_asker_organization_id(Text(f, "ao"));
  i.set_state(StateOf(Text(f, "st")));
  for (absl::string_view r : absl::StrSplit(Text(f, "ot"), ',', absl::SkipEmpty()))
    i.add_offered_to(std::string(r));
  SetTime(Number(f, "od"), [&] { return i.mutable_offer_deadline(); });
  i.set_assignee_id(Text(f, "as"));
  i.set_attempts(static_cast<int>(Number(f, "at")));
  i.set_escalation_level(static_cast<int>(Number(f, "el")));
  i.set_target_organization_id(Text(f, "tor"));
  i.set_target_responder_id(Text(f, "trs"));
  i.set_outcome(static_cast<v1::Outcome>(Number(f, "oc")));
  i.set_booking_id(Text(f, "bk"));
  i.set_resolution_note(Text(f, "rn"));
  if (!Text(f, "fs").empty()) {
    auto* fb = i.mutable_feedback();
    fb->set_score(static_cast<int>(Number(f, "fs")));
    fb->set_would_recommend(Text(f, "fr") == "1");
    fb->set_would_work_again(Text(f, "fw") == "1");
    fb->set_comment(Text(f, "fc"));
    SetTime(Number(f, "ft"), [&] { return fb->mutable_time(); });
  }
  i.set_contact_erased(Text(f, "er") == "1");
  SetTime(Number(f, "cr"), [&] { return i.mutable_create_time(); });
  SetTime(Number(f, "fa"), [&] { return i.mutable_first_accept_time(); });
  SetTime(Number(f, "rv"), [&] { return i.mutable_resolve_time(); });
  i.set_etag(Text(f, "v"));
  i.set_referrals(static_cast<int>(Number(f, "rf")));
  i.set_escalations(static_cast<int>(Number(f, "ec")));
  i.set_accepted_within_deadline(Text(f, "ai") == "1");
  // Inquiries stored before network chains were kept were handled by one network.
  for (absl::string_view n : absl::StrSplit(Text(f, "nc").empty() ? Text(f, "net") : Text(f, "nc"),
                                            ',', absl::SkipEmpty()))
    i.add_network_chain(std::string(n));
  for (absl::string_view step : absl::StrSplit(Text(f, "ch"), ',', absl::SkipEmpty()))
    if (absl::ConsumePrefix(&step, "o:")) i.add_referral_chain(std::string(step));
  for (absl::string_view n : absl::StrSplit(Text(f, "sn"), ',', absl::SkipEmpty()))
    i.add_suggested_network_ids(std::string(n));
  if (!Text(f, "kt").empty()) {
    auto* consent = i.mutable_consent();
    consent->set_share_across_networks(Text(f, "ks") == "1");
    consent->set_follow_up(Text(f, "kf") == "1");
    consent->set_how(Text(f, "kh"));
    SetTime(Number(f, "kt"), [&] { return consent->mutable_time(); });
    consent->set_recorded_by(Text(f, "kb"));
  }
  if (const std::string& state = Text(f, "fu"); !state.empty()) {
    auto* follow_up = i.mutable_follow_up();
    v1::FollowUp::State value = v1::FollowUp::STATE_UNSPECIFIED;
    v1::FollowUp::State_Parse("STATE_" + state, &value);
    follow_up->set_state(value);
    SetTime(Number(f, "fd2"), [&] { return follow_up->mutable_due_time(); });
    follow_up->set_help_started(Text(f, "fh") == "1");
    follow_up->set_note(Text(f, "fn"));
    SetTime(Number(f, "fa2"), [&] { return follow_up->mutable_answer_time(); });
  }
  return i;
}

absl::StatusOr<v1::Inquiry> InquiryFromJson(absl::string_view json) {
  auto object = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!object.is_object())
    return absl::InternalError("the desk store returned a malformed inquiry");
  FieldMap f;
  for (auto it = object.begin(); it != object.end(); ++it)
    f[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  return InquiryFromFields(f);
}

namespace {

// A history entry's fields as desk.lua's cjson writes them; a missing or mistyped one reads as 0
// or "" (nlohmann's value() would throw, or convert a float beyond int64 undefinedly).
int64_t JsonInteger(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return 0;
  if (!it->is_number_float()) return it->get<int64_t>();
  const double value = it->get<double>();
  return value >= -9e18 && value <= 9e18 ? static_cast<int64_t>(value) : 0;  // NaN fails both
}

std::string JsonText(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

v1::HistoryEntry HistoryFromJson(absl::string_view json) {
  v1::HistoryEntry entry;
  auto o = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!o.is_object()) return entry;
  SetTime(JsonInteger(o, "t"), [&] { return entry.mutable_time(); });
  v1::HistoryKind kind = v1::HISTORY_KIND_UNSPECIFIED;
  v1::HistoryKind_Parse("HISTORY_KIND_" + JsonText(o, "k"), &kind);
  entry.set_kind(kind);
  entry.set_actor(JsonText(o, "a"));
  entry.set_responder_id(JsonText(o, "r"));
  entry.set_organization_id(JsonText(o, "o"));
  entry.set_note(JsonText(o, "n"));
  entry.set_level(static_cast<int>(JsonInteger(o, "l")));
  entry.set_reason_code(static_cast<v1::DeclineReason>(JsonInteger(o, "c")));
  entry.set_network_id(JsonText(o, "w"));
  return entry;
}

namespace {

// The asker's contact from its hash (absent when erased or past its retention).
void SetContact(const FieldMap& contact, v1::Inquiry* inquiry) {
  if (contact.empty()) return;
  auto* c = inquiry->mutable_contact();
  c->set_name(Text(contact, "name"));
  c->set_email(Text(contact, "email"));
  c->set_phone(Text(contact, "phone"));
  c->set_organization_name(Text(contact, "org"));
}

std::string Bool(bool b) { return b ? "1" : "0"; }

absl::Status CheckReplies(const std::vector<RedisValue>& replies) {
  for (const auto& reply : replies)
    if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
  return absl::OkStatus();
}

}  // namespace

RedisDeskStore::RedisDeskStore(RedisPool* redis, DeskConfig config)
    : redis_(redis),
      config_(config),
      business_hours_(BusinessHours(config_)),
      base_(absl::StrCat(redis->prefix(), "{dk}:")) {}

int64_t RedisDeskStore::BusinessMs(int seconds) const {
  return BusinessDelayMs(business_hours_, std::chrono::system_clock::now(),
                         std::chrono::seconds(seconds));
}

absl::StatusOr<bool> RedisDeskStore::WentThrough(absl::string_view replay_key) {
  auto stored = ReadReplay(redis_, replay_key);
  if (!stored.ok()) return stored.status();
  return stored->has_value();
}

std::string RedisDeskStore::ReplayKey(absl::string_view organization_id,
                                      absl::string_view request_id) const {
  if (request_id.empty()) return "";
  return absl::StrCat(base_, "req:", organization_id, ":", request_id);
}

absl::StatusOr<v1::Responder> RedisDeskStore::PutResponder(v1::Responder responder,
                                                           absl::string_view etag,
                                                           std::optional<bool> online,
                                                           absl::string_view replay_key) {
  const std::string id = responder.id();
  v1::Responder profile = responder;
  profile.clear_online();
  profile.clear_open_inquiries();
  profile.clear_etag();
  RedisFunctionCall call("dk_responder_put");
  call.Key("base", base_)
      .Key("responder", Key("r:" + id))
      .Replay(replay_key, config_.request_id_ttl_s)
      .Arg("id", id)
      .Arg("profile", profile.SerializeAsString())
      .Arg("org", responder.organization_id())
      .Arg("token", responder.token_id())
      .Int("capacity", responder.capacity())
      .Arg("etag", std::string(etag))
      .Arg("online", online ? Bool(*online) : "");
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() < 3) return absl::InternalError("dk_responder_put: malformed reply");
  responder.set_etag(reply->elements[0].type == RedisValue::Type::kInteger
                         ? std::to_string(reply->elements[0].integer)
                         : reply->elements[0].str);
  responder.set_open_inquiries(static_cast<int>(reply->elements[1].integer));
  responder.set_online(reply->elements[2].str == "1");
  // A retry: the responder the first call made, as it is now (an answer stored before the id was
  // kept has none, and keeps the request's).
  if (reply->elements.size() > 3 && reply->elements[3].str != id) {
    auto made = GetResponder(reply->elements[3].str);
    if (!made.ok()) return made.status();
    if (!made->has_value()) return NotFoundError("responder", reply->elements[3].str);
    return **made;
  }
  return responder;
}

absl::StatusOr<v1::Responder> RedisDeskStore::SetOnline(absl::string_view id, bool online) {
  RedisFunctionCall call("dk_responder_online");
  call.Key("base", base_)
      .Key("responder", Key(absl::StrCat("r:", id)))
      .Arg("id", std::string(id))
      .Flag("online", online);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  auto responder = GetResponder(id);
  if (!responder.ok()) return responder.status();
  if (!responder->has_value()) return NotFoundError("responder", id);
  return **responder;
}

absl::Status RedisDeskStore::DeleteResponder(absl::string_view id,
                                             absl::string_view organization_id,
                                             absl::string_view replay_key) {
  RedisFunctionCall call("dk_responder_delete");
  call.Key("base", base_)
      .Key("responder", Key(absl::StrCat("r:", id)))
      .Replay(replay_key, config_.request_id_ttl_s)
      .Arg("id", std::string(id))
      .Arg("org", std::string(organization_id));
  return redis_->FCall(call.function(), call.keys(), call.args()).status();
}

absl::StatusOr<std::optional<v1::Responder>> RedisDeskStore::GetResponder(absl::string_view id) {
  auto many = GetResponders({std::string(id)});
  if (!many.ok()) return many.status();
  if (many->empty()) return std::optional<v1::Responder>();
  return std::optional<v1::Responder>(std::move(many->front()));
}

absl::StatusOr<std::vector<v1::Responder>> RedisDeskStore::GetResponders(
    const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<v1::Responder>();
  std::vector<RedisArgs> commands;
  for (const auto& id : ids) commands.push_back({"HMGET", Key("r:" + id), "p", "v"});
  RedisArgs loads = {"HMGET", Key("ld")}, online = {"HMGET", Key("on")};
  loads.insert(loads.end(), ids.begin(), ids.end());
  online.insert(online.end(), ids.begin(), ids.end());
  commands.push_back(std::move(loads));
  commands.push_back(std::move(online));
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (auto status = CheckReplies(*replies); !status.ok()) return status;
  const RedisValue& load = (*replies)[ids.size()];
  const RedisValue& on = (*replies)[ids.size() + 1];
  std::vector<v1::Responder> out;
  for (size_t n = 0; n < ids.size(); ++n) {
    const RedisValue& fields = (*replies)[n];
    if (fields.elements.size() < 2 || fields.elements[0].is_nil()) continue;
    v1::Responder r;
    r.ParseFromString(fields.elements[0].str);
    r.set_id(ids[n]);
    r.set_etag(fields.elements[1].str);
    int open = 0;
    if (n >= load.elements.size() || !absl::SimpleAtoi(load.elements[n].str, &open)) open = 0;
    r.set_open_inquiries(open);
    r.set_online(n < on.elements.size() && on.elements[n].str == "1");
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisDeskStore::ResponderIds(
    absl::string_view organization_id) {
  auto reply = redis_->Command({"SMEMBERS", organization_id.empty()
                                                ? Key("rs")
                                                : Key(absl::StrCat("ro:", organization_id))});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const auto& e : reply->elements) ids.push_back(e.str);
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<std::string> RedisDeskStore::ProfilesVersion() {
  auto reply = redis_->Command({"GET", Key("m")});
  if (!reply.ok()) return reply.status();
  return reply->is_nil() ? std::string("0") : reply->str;
}

absl::StatusOr<std::vector<ResponderLoad>> RedisDeskStore::Loads(
    const std::vector<std::string>& ids) {
  std::vector<ResponderLoad> loads(ids.size());
  if (ids.empty()) return loads;
  // One HMGET per field over all candidates: a few commands however many responders there are.
  std::vector<RedisArgs> commands;
  for (const char* hash : {"on", "ld", "cap", "lo"}) {
    RedisArgs command = {"HMGET", Key(hash)};
    command.insert(command.end(), ids.begin(), ids.end());
    commands.push_back(std::move(command));
  }
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (auto status = CheckReplies(*replies); !status.ok()) return status;
  for (size_t n = 0; n < ids.size(); ++n) {
    auto value = [&](int field) -> const std::string& { return (*replies)[field].elements[n].str; };
    if ((*replies)[0].elements.size() != ids.size()) break;
    loads[n].online = value(0) == "1";
    if (!absl::SimpleAtoi(value(1), &loads[n].open)) loads[n].open = 0;
    if (!absl::SimpleAtoi(value(2), &loads[n].capacity)) loads[n].capacity = 0;
    if (!absl::SimpleAtoi(value(3), &loads[n].last_offer_ms)) loads[n].last_offer_ms = 0;
  }
  return loads;
}

RedisFunctionCall RedisDeskStore::InquiryCall(absl::string_view function, absl::string_view id,
                                              absl::string_view replay_key) const {
  RedisFunctionCall call(function);
  call.Key("base", base_)
      .Key("inquiry", Key(absl::StrCat("i:", id)))
      .Replay(replay_key, config_.request_id_ttl_s)
      .Int("maxlen", config_.events_max_length)
      .Arg("id", std::string(id));
  return call;
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::Call(const RedisFunctionCall& call) {
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return InquiryFromJson(reply->str);
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::Submit(const v1::Inquiry& i,
                                                   const v1::AskerContact& contact,
                                                   absl::string_view actor,
                                                   absl::string_view replay_key) {
  std::vector<std::string> themes;
  for (int t : i.themes()) themes.push_back(std::to_string(t));
  // Every value a string, as the function stores them; proto3 strings are valid UTF-8.
  nlohmann::json inquiry = {
      {"net", i.network_id()},
      {"eo", i.entry_organization_id()},
      {"nt", std::to_string(i.need_type())},
      {"th", absl::StrJoin(themes, ",")},
      {"rg", i.region()},
      {"tx", i.text()},
      {"gp", i.has_location() ? absl::StrCat(i.location().latitude(), ",", i.location().longitude())
                              : ""},
      {"ur", std::to_string(i.urgency())},
      {"lg", i.language()},
      {"sme", Bool(i.asker_is_sme())},
      {"ao", i.asker_organization_id()}};
  // The asker's address, for PrivacyService; desk.lua keeps only its SHA-1.
  if (const std::string address = FoldEmail(contact.email()); !address.empty())
    inquiry["ak"] = address;
  if (i.has_consent()) {  // desk.lua stamps its time and who recorded it
    inquiry["ks"] = Bool(i.consent().share_across_networks());
    inquiry["kf"] = Bool(i.consent().follow_up());
    inquiry["kh"] = i.consent().how();
    inquiry["kt"] = "1";
  }
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [field, value] : {std::pair{"name", &contact.name()},
                                     {"email", &contact.email()},
                                     {"phone", &contact.phone()},
                                     {"org", &contact.organization_name()}})
    if (!value->empty()) fields[field] = *value;
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  RedisFunctionCall call = InquiryCall("dk_submit", i.id(), replay_key);
  call.Arg("actor", std::string(actor))
      .Arg("inquiry", inquiry.dump(-1, ' ', false, kReplace))
      .Arg("contact", fields.dump(-1, ' ', false, kReplace))
      .Int("retention", int64_t{config_.contact_retention_days} * 86400);
  return Call(call);
}

absl::Status RedisDeskStore::SaveSuggestions(absl::string_view id,
                                             const std::vector<v1::Suggestion>& suggestions) {
  v1::Inquiry holder;  // only its suggestions are set
  for (const auto& s : suggestions) *holder.add_suggestions() = s;
  return redis_->Command({"SET", Key(absl::StrCat("s:", id)), holder.SerializeAsString()}).status();
}

absl::StatusOr<std::optional<StoredInquiry>> RedisDeskStore::GetInquiry(absl::string_view id,
                                                                        bool with_history) {
  std::vector<RedisArgs> commands = {{"HGETALL", Key(absl::StrCat("i:", id))},
                                     {"HGETALL", Key(absl::StrCat("c:", id))}};
  if (with_history) {
    commands.push_back({"LRANGE", Key(absl::StrCat("h:", id)), "0", "-1"});
    commands.push_back({"GET", Key(absl::StrCat("s:", id))});
  }
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (auto status = CheckReplies(*replies); !status.ok()) return status;
  if ((*replies)[0].elements.empty()) return std::optional<StoredInquiry>();
  StoredInquiry stored;
  FieldMap fields = FieldsOf((*replies)[0]);
  stored.inquiry = InquiryFromFields(fields);
  stored.version = Text(fields, "v");
  SetContact(FieldsOf((*replies)[1]), &stored.inquiry);
  if (with_history) {
    for (const auto& entry : (*replies)[2].elements)
      *stored.inquiry.add_history() = HistoryFromJson(entry.str);
    v1::Inquiry holder;
    if (!(*replies)[3].is_nil() && holder.ParseFromString((*replies)[3].str))
      *stored.inquiry.mutable_suggestions() = std::move(*holder.mutable_suggestions());
  }
  return std::optional<StoredInquiry>(std::move(stored));
}

absl::StatusOr<std::vector<v1::Inquiry>> RedisDeskStore::GetInquiries(
    const std::vector<std::string>& ids) {
  std::vector<RedisArgs> commands;
  for (const auto& id : ids) {
    commands.push_back({"HGETALL", Key("i:" + id)});
    commands.push_back({"HGETALL", Key("c:" + id)});
  }
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (auto status = CheckReplies(*replies); !status.ok()) return status;
  std::vector<v1::Inquiry> out;
  for (size_t n = 0; n < ids.size(); ++n) {
    if ((*replies)[2 * n].elements.empty()) continue;
    out.push_back(InquiryFromFields(FieldsOf((*replies)[2 * n])));
    SetContact(FieldsOf((*replies)[2 * n + 1]), &out.back());
  }
  return out;
}

absl::StatusOr<std::optional<RoutingRead>> RedisDeskStore::ForRouting(absl::string_view id) {
  auto replies = redis_->Pipeline(
      {{"HGETALL", Key(absl::StrCat("i:", id))}, {"SMEMBERS", Key(absl::StrCat("x:", id))}});
  if (!replies.ok()) return replies.status();
  if (auto status = CheckReplies(*replies); !status.ok()) return status;
  if ((*replies)[0].elements.empty()) return std::optional<RoutingRead>();
  RoutingRead read;
  FieldMap fields = FieldsOf((*replies)[0]);
  read.stored.inquiry = InquiryFromFields(fields);
  read.stored.version = Text(fields, "v");
  for (const auto& e : (*replies)[1].elements) read.declined.push_back(e.str);
  return std::optional<RoutingRead>(std::move(read));
}

absl::StatusOr<InquiryPage> RedisDeskStore::InquiryIds(InquiryIndex index, absl::string_view key,
                                                       const IndexCursor& after, int count) {
  const char* prefix = index == InquiryIndex::kNetwork             ? "in:"
                       : index == InquiryIndex::kEntryOrganization ? "ie:"
                       : index == InquiryIndex::kEscalated         ? "esc"
                       : index == InquiryIndex::kQueue             ? "q"
                                                                   : "ra:";
  RedisFunctionCall call("dk_page");
  call.Key("index", Key(absl::StrCat(prefix, key)))
      .Arg("after_score", after.id.empty() ? "0" : after.score)
      .Arg("after_id", after.id)
      .Int("limit", count)
      .Flag("newest", index != InquiryIndex::kQueue);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 2) return absl::InternalError("dk_page answered unexpectedly");
  InquiryPage page;
  const auto& entries = reply->elements[1].elements;
  for (size_t i = 0; i + 1 < entries.size(); i += 2) {
    page.ids.push_back(entries[i].str);
    page.scores.push_back(entries[i + 1].str);
  }
  if (reply->elements[0].integer == 1 && entries.size() >= 2)
    page.next = IndexCursor{entries[entries.size() - 1].str, entries[entries.size() - 2].str};
  return page;
}

absl::StatusOr<std::vector<std::string>> RedisDeskStore::NetworkInquiriesBetween(
    absl::string_view network_id, int64_t start_ms, int64_t end_ms) {
  auto reply = redis_->Command({"ZRANGEBYSCORE", Key(absl::StrCat("in:", network_id)),
                                std::to_string(start_ms), absl::StrCat("(", end_ms)});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const auto& e : reply->elements) ids.push_back(e.str);
  return ids;
}

absl::StatusOr<std::optional<v1::Inquiry>> RedisDeskStore::Route(absl::string_view id,
                                                                 absl::string_view version,
                                                                 const RouteDecision& decision,
                                                                 int64_t deadline_ms) {
  RedisFunctionCall call("dk_route");
  call.Key("base", base_)
      .Key("inquiry", Key(absl::StrCat("i:", id)))
      .Int("maxlen", config_.events_max_length)
      .Arg("id", std::string(id))
      .Arg("version", std::string(version));
  switch (decision.kind) {
    case RouteDecision::Kind::kOffer:
      call.Arg("action", "offer")
          .Int("deadline", deadline_ms)
          .Arg("responders", absl::StrJoin(decision.responder_ids, " "));
      break;
    case RouteDecision::Kind::kQueue:
      call.Arg("action", "queue").Int("wait", BusinessMs(config_.queue_wait_s));
      break;
    case RouteDecision::Kind::kEscalate:
      call.Arg("action", "escalate")
          .Arg("cause", decision.cause)
          .Int("escalation", BusinessMs(config_.escalation_s))
          .Int("level2", BusinessMs(config_.level2_escalation_s))
          .Arg("suggest", absl::StrJoin(decision.suggested_networks, " "));
      break;
  }
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->str == "STALE" || reply->str == "GONE" || reply->str == "UNCHANGED")
    return std::optional<v1::Inquiry>();
  auto inquiry = InquiryFromJson(reply->str);
  if (!inquiry.ok()) return inquiry.status();
  return std::optional<v1::Inquiry>(std::move(*inquiry));
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::Accept(absl::string_view id,
                                                   absl::string_view responder_id,
                                                   absl::string_view actor,
                                                   absl::string_view replay_key) {
  RedisFunctionCall call = InquiryCall("dk_accept", id, replay_key);
  call.Arg("responder", std::string(responder_id)).Arg("actor", std::string(actor));
  return Call(call);
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::Decline(
    absl::string_view id, absl::string_view responder_id, absl::string_view actor,
    absl::string_view reason, v1::DeclineReason code, absl::string_view replay_key) {
  RedisFunctionCall call = InquiryCall("dk_decline", id, replay_key);
  call.Arg("responder", std::string(responder_id))
      .Arg("actor", std::string(actor))
      .Arg("reason", std::string(reason))
      .Int("code", code);
  return Call(call);
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::Refer(const ReferCommand& c,
                                                  absl::string_view replay_key) {
  RedisFunctionCall call = InquiryCall("dk_refer", c.id, replay_key);
  call.Arg("actor", c.actor)
      .Arg("by", c.responder_id)
      .Arg("holder_org", c.holder_organization_id)
      .Arg("to_org", c.target_organization_id)
      .Arg("to_responder", c.target_responder_id)
      .Arg("to_responder_org", c.target_responder_organization_id)
      .Arg("to_net", c.target_network_id)
      .Arg("net", c.acting_network)
      .Arg("note", c.note);
  return Call(call);
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::Resolve(absl::string_view id, absl::string_view actor,
                                                    absl::string_view responder_id,
                                                    absl::string_view acting_network, bool returned,
                                                    const v1::ResolveInquiryRequest& request,
                                                    absl::string_view replay_key) {
  RedisFunctionCall call = InquiryCall("dk_resolve", id, replay_key);
  call.Arg("actor", std::string(actor))
      .Arg("by", std::string(responder_id))
      .Arg("net", std::string(acting_network))
      .Flag("returned", returned)
      .Int("outcome", request.outcome())
      .Arg("booking", request.booking_id())
      .Arg("note", request.note())
      .Int("follow_up", int64_t{config_.follow_up_s} * 1000);
  return Call(call);
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::RecordConsent(absl::string_view id,
                                                          absl::string_view actor,
                                                          const v1::AskerConsent& consent,
                                                          absl::string_view replay_key) {
  RedisFunctionCall call = InquiryCall("dk_consent", id, replay_key);
  call.Arg("actor", std::string(actor))
      .Flag("share", consent.share_across_networks())
      .Flag("follow", consent.follow_up())
      .Arg("how", consent.how());
  return Call(call);
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::RecordFollowUp(absl::string_view id,
                                                           absl::string_view actor,
                                                           bool help_started,
                                                           absl::string_view note,
                                                           absl::string_view replay_key) {
  RedisFunctionCall call = InquiryCall("dk_follow_up", id, replay_key);
  call.Arg("actor", std::string(actor))
      .Flag("started", help_started)
      .Arg("note", std::string(note));
  return Call(call);
}

absl::StatusOr<std::pair<int64_t, int64_t>> RedisDeskStore::CrossNetworkReferrals(
    absl::string_view network_id, int64_t start_ms, int64_t end_ms) {
  const std::string from = std::to_string(start_ms), to = absl::StrCat("(", end_ms);
  auto replies = redis_->Pipeline({{"ZCOUNT", Key(absl::StrCat("xs:", network_id)), from, to},
                                   {"ZCOUNT", Key(absl::StrCat("xr:", network_id)), from, to}});
  if (!replies.ok()) return replies.status();
  if (auto status = CheckReplies(*replies); !status.ok()) return status;
  return std::make_pair((*replies)[0].integer, (*replies)[1].integer);
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::RecordFeedback(absl::string_view id,
                                                           absl::string_view actor,
                                                           const v1::Feedback& feedback,
                                                           absl::string_view replay_key) {
  RedisFunctionCall call = InquiryCall("dk_feedback", id, replay_key);
  call.Arg("actor", std::string(actor))
      .Int("score", feedback.score())
      .Flag("recommend", feedback.would_recommend())
      .Flag("again", feedback.would_work_again())
      .Arg("comment", feedback.comment());
  return Call(call);
}

absl::StatusOr<v1::Inquiry> RedisDeskStore::EraseAsker(absl::string_view id,
                                                       absl::string_view actor,
                                                       absl::string_view replay_key, bool texts) {
  RedisFunctionCall call = InquiryCall("dk_erase", id, replay_key);
  call.Arg("actor", std::string(actor)).Flag("texts", texts);
  return Call(call);
}

absl::StatusOr<std::vector<std::string>> RedisDeskStore::AskerInquiries(absl::string_view email) {
  RedisFunctionCall call("dk_asker_inquiries");
  call.Key("base", base_).Arg("email", FoldEmail(std::string(email)));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const auto& e : reply->elements) ids.push_back(e.str);
  return ids;
}

absl::StatusOr<int> RedisDeskStore::ApplyDue(int limit) {
  RedisFunctionCall call("dk_due");
  call.Key("base", base_)
      .Int("maxlen", config_.events_max_length)
      .Int("limit", limit)
      .Int("escalation", BusinessMs(config_.escalation_s))
      .Int("level2", BusinessMs(config_.level2_escalation_s));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return static_cast<int>(reply->integer);
}

absl::StatusOr<int64_t> RedisDeskStore::QueuedCount() {
  auto reply = redis_->Command({"ZCARD", Key("q")});
  if (!reply.ok()) return reply.status();
  return reply->integer;
}

InquiryEventRecord DeskStore::EventOf(const StreamEntry& entry) {
  InquiryEventRecord record;
  for (const auto& [name, value] : entry.fields) {
    if (name == "type")
      v1::InquiryEventType_Parse("INQUIRY_EVENT_TYPE_" + value, &record.type);
    else if (name == "i")
      record.inquiry_id = value;
    else if (name == "r")
      record.responder_id = value;
  }
  return record;
}

}  // namespace infrashare::desk
