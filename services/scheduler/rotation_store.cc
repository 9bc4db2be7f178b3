#include "services/scheduler/rotation_store.h"

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/redis_function.h"
#include "services/common/stream_ids.h"

namespace infrashare::scheduler {
namespace {

using Fields = absl::flat_hash_map<std::string, std::string>;

constexpr int kEventsMaxLen = 100000;

int64_t Ms(const Fields& f, const char* name) {
  auto it = f.find(name);
  int64_t v = 0;
  return it != f.end() && absl::SimpleAtoi(it->second, &v) ? v : 0;
}

std::string Get(const Fields& f, const char* name) {
  auto it = f.find(name);
  return it == f.end() ? "" : it->second;
}

Fields FieldsOf(const RedisValue& flat) {
  Fields f;
  for (size_t n = 0; n + 1 < flat.elements.size(); n += 2)
    f[flat.elements[n].str] = flat.elements[n + 1].str;
  return f;
}

v1::Handover HandoverOf(const Fields& f) {
  v1::Handover h;
  h.set_id(Get(f, "id"));
  h.set_plan_id(Get(f, "plan"));
  h.set_unit_resource_id(Get(f, "unit"));
  h.set_from_organization_id(Get(f, "from"));
  h.set_to_organization_id(Get(f, "to"));
  if (auto time = TimestampOfMs(Ms(f, "t"))) *h.mutable_time() = *time;
  if (auto deadline = TimestampOfMs(Ms(f, "dl"))) *h.mutable_confirm_deadline() = *deadline;
  for (absl::string_view item : absl::StrSplit(Get(f, "cl"), '\n', absl::SkipEmpty()))
    h.add_checklist(std::string(item));
  if (auto time = TimestampOfMs(Ms(f, "fc")); Ms(f, "fc") > 0 && time)
    *h.mutable_from_confirm_time() = *time;
  if (auto time = TimestampOfMs(Ms(f, "tc")); Ms(f, "tc") > 0 && time)
    *h.mutable_to_confirm_time() = *time;
  h.set_from_condition_notes(Get(f, "fn"));
  h.set_to_condition_notes(Get(f, "tn"));
  v1::HandoverState state = v1::HANDOVER_STATE_UNSPECIFIED;
  v1::HandoverState_Parse("HANDOVER_STATE_" + Get(f, "st"), &state);
  h.set_state(state);
  return h;
}

}  // namespace

RedisRotationStore::RedisRotationStore(RedisPool* redis, int request_id_ttl_s, int draft_ttl_s)
    : redis_(redis),
      request_id_ttl_s_(request_id_ttl_s),
      draft_ttl_s_(draft_ttl_s),
      base_(absl::StrCat(redis->prefix(), "{rot}:")) {}

std::string RedisRotationStore::ReplayKey(absl::string_view organization_id,
                                          absl::string_view request_id) const {
  return request_id.empty() ? "" : absl::StrCat(base_, "req:", organization_id, ":", request_id);
}

template <typename Message>
absl::StatusOr<std::string> RedisRotationStore::Put(const char* kind, const Message& record,
                                                    absl::string_view etag,
                                                    const std::string& index,
                                                    absl::string_view replay_key,
                                                    const char* name) {
  const std::string key = absl::StrCat(base_, kind, ":", record.id());
  RedisFunctionCall call("rot_put");
  call.Key("record", key)
      .Key("index", index)
      .Arg("data", record.SerializeAsString())
      .Arg("etag", std::string(etag))
      .Arg("id", record.id())
      .Replay(std::string(replay_key), request_id_ttl_s_)
      .Arg("kind", name);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return std::to_string(reply->integer);
}

template <typename Message>
absl::StatusOr<std::optional<Message>> RedisRotationStore::One(const char* kind,
                                                               absl::string_view id) {
  auto reply = redis_->Command({"HMGET", absl::StrCat(base_, kind, ":", id), "d", "v"});
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() < 2 || reply->elements[0].is_nil()) return std::optional<Message>();
  Message m;
  if (!m.ParseFromString(reply->elements[0].str))
    return absl::InternalError("a stored rotation record is corrupt");
  m.set_etag(reply->elements[1].str);
  return std::optional<Message>(std::move(m));
}

template <typename Message>
absl::StatusOr<std::vector<Message>> RedisRotationStore::Many(const std::string& index,
                                                              const char* kind) {
  auto ids = redis_->Command({"SMEMBERS", index});
  if (!ids.ok()) return ids.status();
  std::vector<std::string> sorted;
  for (const auto& e : ids->elements) sorted.push_back(e.str);
  std::sort(sorted.begin(), sorted.end());
  std::vector<RedisArgs> commands;
  for (const auto& id : sorted)
    commands.push_back({"HMGET", absl::StrCat(base_, kind, ":", id), "d", "v"});
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<Message> out;
  for (const auto& reply : *replies) {
    if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
    if (reply.elements.size() < 2 || reply.elements[0].is_nil()) continue;
    Message m;
    if (!m.ParseFromString(reply.elements[0].str)) continue;
    m.set_etag(reply.elements[1].str);
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<v1::RotationPool> RedisRotationStore::PutPool(v1::RotationPool pool,
                                                             absl::string_view etag,
                                                             absl::string_view replay_key) {
  pool.clear_etag();
  auto v = Put("pool", pool, etag, absl::StrCat(base_, "pools:", pool.owner_organization_id()),
               replay_key, "rotation_pool");
  if (!v.ok()) return v.status();
  pool.set_etag(*v);
  return pool;
}

absl::StatusOr<std::optional<v1::RotationPool>> RedisRotationStore::GetPool(absl::string_view id) {
  return One<v1::RotationPool>("pool", id);
}

absl::StatusOr<std::vector<v1::RotationPool>> RedisRotationStore::PoolsOf(
    absl::string_view organization_id) {
  return Many<v1::RotationPool>(absl::StrCat(base_, "pools:", organization_id), "pool");
}

absl::StatusOr<v1::RotationRequest> RedisRotationStore::PutRequest(v1::RotationRequest request,
                                                                   absl::string_view etag,
                                                                   absl::string_view replay_key) {
  request.clear_etag();
  auto v = Put("rr", request, etag, absl::StrCat(base_, "rrs:", request.pool_id()), replay_key,
               "rotation_request");
  if (!v.ok()) return v.status();
  request.set_etag(*v);
  return request;
}

absl::StatusOr<std::optional<v1::RotationRequest>> RedisRotationStore::GetRequest(
    absl::string_view id) {
  return One<v1::RotationRequest>("rr", id);
}

absl::StatusOr<std::vector<v1::RotationRequest>> RedisRotationStore::RequestsOf(
    absl::string_view pool_id) {
  return Many<v1::RotationRequest>(absl::StrCat(base_, "rrs:", pool_id), "rr");
}

absl::Status RedisRotationStore::SavePlan(const v1::RotationPlan& plan) {
  RedisArgs command = {"SET", absl::StrCat(base_, "plan:", plan.id()), plan.SerializeAsString()};
  if (plan.state() == v1::ROTATION_PLAN_STATE_DRAFT) {
    command.push_back("EX");
    command.push_back(std::to_string(draft_ttl_s_));
  }
  return redis_->Command(command).status();
}

absl::StatusOr<std::string> RedisRotationStore::Committed(absl::string_view pool_id) {
  auto reply = redis_->Command({"GET", absl::StrCat(base_, "committed:", pool_id)});
  if (!reply.ok()) return reply.status();
  return reply->is_nil() ? std::string() : reply->str;
}

absl::StatusOr<std::optional<v1::RotationPlan>> RedisRotationStore::GetPlan(absl::string_view id) {
  auto reply = redis_->Command({"GET", absl::StrCat(base_, "plan:", id)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<v1::RotationPlan>();
  v1::RotationPlan plan;
  if (!plan.ParseFromString(reply->str))
    return absl::InternalError("a stored rotation plan is corrupt");
  return std::optional<v1::RotationPlan>(std::move(plan));
}

absl::Status RedisRotationStore::Commit(const v1::RotationPlan& plan,
                                        const v1::RotationPlan* replaced,
                                        const std::vector<std::string>& kept,
                                        const std::vector<std::string>& dropped,
                                        const std::vector<v1::Handover>& created) {
  using google::protobuf::util::TimeUtil;
  nlohmann::json handovers = nlohmann::json::array();
  for (const auto& h : created)
    handovers.push_back(
        {{"id", h.id()},
         {"unit", h.unit_resource_id()},
         {"from", h.from_organization_id()},
         {"to", h.to_organization_id()},
         {"t", std::to_string(TimeUtil::TimestampToMilliseconds(h.time()))},
         {"dl", std::to_string(TimeUtil::TimestampToMilliseconds(h.confirm_deadline()))},
         {"cl", absl::StrJoin(h.checklist(), "\n")}});
  const std::string plan_key = absl::StrCat(base_, "plan:", plan.id());
  RedisFunctionCall call("rot_commit");
  call.Key("base", base_)
      .Key("committed", absl::StrCat(base_, "committed:", plan.pool_id()))
      .Key("plan", plan_key)
      .Key("replaced_plan", replaced ? absl::StrCat(base_, "plan:", replaced->id()) : plan_key)
      .Key("due", base_ + "ho:due")
      .Key("events", base_ + "events")
      .Arg("id", plan.id())
      .Arg("plan", plan.SerializeAsString())
      .Arg("replaced", replaced ? replaced->id() : "")
      .Arg("replaced_plan", replaced ? replaced->SerializeAsString() : "")
      .Arg("kept", absl::StrJoin(kept, " "))
      .Arg("dropped", absl::StrJoin(dropped, " "))
      .Arg("handovers", handovers.dump())
      .Int("maxlen", kEventsMaxLen);
  return redis_->FCall(call.function(), call.keys(), call.args()).status();
}

absl::StatusOr<std::vector<v1::Handover>> RedisRotationStore::Handovers(absl::string_view plan_id) {
  auto ids = redis_->Command({"SMEMBERS", absl::StrCat(base_, "hos:", plan_id)});
  if (!ids.ok()) return ids.status();
  std::vector<RedisArgs> commands;
  for (const auto& id : ids->elements)
    commands.push_back({"HGETALL", absl::StrCat(base_, "ho:", id.str)});
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<v1::Handover> out;
  for (const auto& reply : *replies) {
    Fields f = FieldsOf(reply);
    if (!f.empty()) out.push_back(HandoverOf(f));
  }
  std::sort(out.begin(), out.end(), [](const v1::Handover& a, const v1::Handover& b) {
    return std::make_pair(a.time().seconds(), a.id()) < std::make_pair(b.time().seconds(), b.id());
  });
  return out;
}

absl::StatusOr<std::optional<v1::Handover>> RedisRotationStore::GetHandover(absl::string_view id) {
  auto reply = redis_->Command({"HGETALL", absl::StrCat(base_, "ho:", id)});
  if (!reply.ok()) return reply.status();
  Fields f = FieldsOf(*reply);
  if (f.empty()) return std::optional<v1::Handover>();
  return std::optional<v1::Handover>(HandoverOf(f));
}

absl::StatusOr<v1::Handover> RedisRotationStore::ConfirmHandover(absl::string_view id,
                                                                 absl::string_view organization_id,
                                                                 absl::string_view notes) {
  RedisFunctionCall call("rot_handover_confirm");
  call.Key("due", base_ + "ho:due")
      .Key("handover", absl::StrCat(base_, "ho:", id))
      .Key("events", base_ + "events")
      .Arg("id", std::string(id))
      .Arg("org", std::string(organization_id))
      .Arg("notes", std::string(notes))
      .Int("maxlen", kEventsMaxLen);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  auto object = nlohmann::json::parse(reply->str, nullptr, false);
  if (!object.is_object()) return absl::InternalError("rot_handover_confirm: malformed reply");
  Fields f;
  for (auto it = object.begin(); it != object.end(); ++it)
    f[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  return HandoverOf(f);
}

absl::StatusOr<int> RedisRotationStore::SweepHandovers(int limit) {
  RedisFunctionCall call("rot_handover_due");
  call.Key("base", base_)
      .Key("due", base_ + "ho:due")
      .Key("events", base_ + "events")
      .Int("limit", limit)
      .Int("maxlen", kEventsMaxLen);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return static_cast<int>(reply->integer);
}

RotationStore::Event RotationStore::EventOf(const StreamEntry& entry) {
  Event event;
  if (const std::string* type = entry.Field("type")) event.type = *type;
  if (const std::string* id = entry.Field("id")) event.handover_id = *id;
  if (const std::string* from = entry.Field("from")) event.from_organization_id = *from;
  if (const std::string* to = entry.Field("to")) event.to_organization_id = *to;
  if (const std::string* t = entry.Field("t");
      t == nullptr || !absl::SimpleAtoi(*t, &event.time_ms))
    event.time_ms = 0;
  return event;
}

}  // namespace infrashare::scheduler
