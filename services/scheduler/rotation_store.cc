#include "services/scheduler/rotation_store.h"

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace infrashare::scheduler {

RotationStore::RotationStore(RedisPool* redis, int request_id_ttl_s, int draft_ttl_s)
    : redis_(redis),
      request_id_ttl_s_(request_id_ttl_s),
      draft_ttl_s_(draft_ttl_s),
      base_(absl::StrCat(redis->prefix(), "{rot}:")) {}

std::string RotationStore::ReplayKey(absl::string_view organization_id, absl::string_view request_id) const {
  return request_id.empty() ? "" : absl::StrCat(base_, "req:", organization_id, ":", request_id);
}

template <typename Message>
absl::StatusOr<std::string> RotationStore::Put(const char* kind, const Message& record, absl::string_view etag,
                                               const std::string& index, absl::string_view replay_key,
                                               const char* name) {
  const std::string key = absl::StrCat(base_, kind, ":", record.id());
  auto reply = redis_->FCall("rot_put", {key},
                             {key, record.SerializeAsString(), std::string(etag), index, record.id(),
                              std::string(replay_key), std::to_string(request_id_ttl_s_), name});
  if (!reply.ok()) return reply.status();
  return std::to_string(reply->integer);
}

template <typename Message>
absl::StatusOr<std::optional<Message>> RotationStore::One(const char* kind, absl::string_view id) {
  auto reply = redis_->Command({"HMGET", absl::StrCat(base_, kind, ":", id), "d", "v"});
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() < 2 || reply->elements[0].is_nil()) return std::optional<Message>();
  Message m;
  if (!m.ParseFromString(reply->elements[0].str)) return absl::InternalError("a stored rotation record is corrupt");
  m.set_etag(reply->elements[1].str);
  return std::optional<Message>(std::move(m));
}

template <typename Message>
absl::StatusOr<std::vector<Message>> RotationStore::Many(const std::string& index, const char* kind) {
  auto ids = redis_->Command({"SMEMBERS", index});
  if (!ids.ok()) return ids.status();
  std::vector<std::string> sorted;
  for (const auto& e : ids->elements) sorted.push_back(e.str);
  std::sort(sorted.begin(), sorted.end());
  std::vector<RedisArgs> commands;
  for (const auto& id : sorted) commands.push_back({"HMGET", absl::StrCat(base_, kind, ":", id), "d", "v"});
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

absl::StatusOr<v1::RotationPool> RotationStore::PutPool(v1::RotationPool pool, absl::string_view etag,
                                                        absl::string_view replay_key) {
  pool.clear_etag();
  auto v = Put("pool", pool, etag, absl::StrCat(base_, "pools:", pool.owner_organization_id()), replay_key,
               "rotation_pool");
  if (!v.ok()) return v.status();
  pool.set_etag(*v);
  return pool;
}

absl::StatusOr<std::optional<v1::RotationPool>> RotationStore::GetPool(absl::string_view id) {
  return One<v1::RotationPool>("pool", id);
}

absl::StatusOr<std::vector<v1::RotationPool>> RotationStore::PoolsOf(absl::string_view organization_id) {
  return Many<v1::RotationPool>(absl::StrCat(base_, "pools:", organization_id), "pool");
}

absl::StatusOr<v1::RotationRequest> RotationStore::PutRequest(v1::RotationRequest request, absl::string_view etag,
                                                              absl::string_view replay_key) {
  request.clear_etag();
  auto v = Put("rr", request, etag, absl::StrCat(base_, "rrs:", request.pool_id()), replay_key, "rotation_request");
  if (!v.ok()) return v.status();
  request.set_etag(*v);
  return request;
}

absl::StatusOr<std::optional<v1::RotationRequest>> RotationStore::GetRequest(absl::string_view id) {
  return One<v1::RotationRequest>("rr", id);
}

absl::StatusOr<std::vector<v1::RotationRequest>> RotationStore::RequestsOf(absl::string_view pool_id) {
  return Many<v1::RotationRequest>(absl::StrCat(base_, "rrs:", pool_id), "rr");
}

absl::Status RotationStore::SavePlan(const v1::RotationPlan& plan) {
  return redis_->Command({"SET", absl::StrCat(base_, "plan:", plan.id()), plan.SerializeAsString(), "EX",
                          std::to_string(draft_ttl_s_)})
      .status();
}

absl::StatusOr<std::optional<v1::RotationPlan>> RotationStore::GetPlan(absl::string_view id) {
  auto reply = redis_->Command({"GET", absl::StrCat(base_, "plan:", id)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<v1::RotationPlan>();
  v1::RotationPlan plan;
  if (!plan.ParseFromString(reply->str)) return absl::InternalError("a stored rotation plan is corrupt");
  return std::optional<v1::RotationPlan>(std::move(plan));
}

}  // namespace infrashare::scheduler
