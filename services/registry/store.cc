#include "services/registry/store.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/stream_ids.h"

namespace infrashare::registry {

Change ChangeOf(const StreamEntry& entry) {
  Change change;
  change.cursor = entry.id;
  for (const auto& [name, value] : entry.fields) {
    if (name == "kind")
      change.kind = value;
    else if (name == "id")
      change.id = value;
    else if (name == "op")
      change.op = value;
    else if (name == "v")
      change.version = value;
    else if (name == "d")
      change.data = value;
  }
  return change;
}

namespace {

WriteResult ToWriteResult(const RedisValue& reply) {
  WriteResult result;
  if (reply.elements.size() == 2) {
    const std::string& op = reply.elements[0].str;
    result.replayed = op == "replay";
    result.created = op == "created";
    if (result.replayed) result.data = reply.elements[1].str;
  }
  return result;
}

}  // namespace

RedisRegistryStore::RedisRegistryStore(RedisPool* redis, int replay_ttl_s, int events_max_length)
    : redis_(redis), replay_ttl_s_(replay_ttl_s), events_max_length_(events_max_length) {}

std::string RedisRegistryStore::Base() const { return absl::StrCat(redis_->prefix(), "{reg}:"); }

std::string RedisRegistryStore::RecordKey(absl::string_view kind, absl::string_view id) const {
  return absl::StrCat(Base(), kind, ":", id);
}

std::string RedisRegistryStore::ReplayKey(absl::string_view organization,
                                          absl::string_view request_id) const {
  if (request_id.empty()) return "";
  return absl::StrCat(Base(), "req:", organization, ":", request_id);
}

absl::StatusOr<std::optional<std::string>> RedisRegistryStore::Get(absl::string_view kind,
                                                                   absl::string_view id) {
  auto reply = redis_->Command({"HGET", RecordKey(kind, id), "d"});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(reply->str));
}

absl::StatusOr<std::vector<std::optional<std::string>>> RedisRegistryStore::GetMany(
    absl::string_view kind, const std::vector<std::string>& ids) {
  std::vector<RedisArgs> commands;
  commands.reserve(ids.size());
  for (const auto& id : ids) commands.push_back({"HGET", RecordKey(kind, id), "d"});
  std::vector<std::optional<std::string>> out;
  if (commands.empty()) return out;
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (auto& r : *replies) {
    if (r.type == RedisValue::Type::kString) {
      out.emplace_back(std::move(r.str));
    } else {
      out.emplace_back();
    }
  }
  return out;
}

RedisFunctionCall RedisRegistryStore::PutCall(const PutRecord& record) const {
  nlohmann::json indexes = nlohmann::json::array();
  for (const auto& ix : record.indexes) indexes.push_back("ix:" + ix);
  RedisFunctionCall call("reg_put");
  call.Key("base", Base())
      .Key("record", RecordKey(record.kind, record.id))
      .Arg("kind", std::string(record.kind))
      .Arg("id", record.id)
      .Arg("expected", record.expected_version)
      .Arg("version", record.new_version)
      .Arg("data", record.data)
      .Replay(record.replay_key, replay_ttl_s_)
      .Int("maxlen", events_max_length_)
      .Arg("refs", nlohmann::json(record.must_exist).dump())
      .Arg("indexes", indexes.dump());
  return call;
}

absl::StatusOr<WriteResult> RedisRegistryStore::Put(const PutRecord& record) {
  const RedisFunctionCall call = PutCall(record);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return ToWriteResult(*reply);
}

absl::StatusOr<std::vector<absl::StatusOr<WriteResult>>> RedisRegistryStore::PutMany(
    const std::vector<PutRecord>& records) {
  std::vector<RedisArgs> commands;
  commands.reserve(records.size());
  for (const auto& r : records) commands.push_back(PutCall(r).Command());
  if (auto loaded = redis_->EnsureFunctions(); !loaded.ok()) return loaded;
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<absl::StatusOr<WriteResult>> out;
  for (const auto& reply : *replies) {
    if (reply.type == RedisValue::Type::kError) {
      out.push_back(StatusFromRedisError(reply.str));
    } else {
      out.push_back(ToWriteResult(reply));
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisRegistryStore::IndexMembers(absl::string_view index) {
  auto reply = redis_->Command({"ZRANGE", absl::StrCat(Base(), "ix:", index), "0", "-1"});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> out;
  for (auto& e : reply->elements) out.push_back(std::move(e.str));
  return out;
}

absl::StatusOr<std::optional<std::string>> RedisRegistryStore::GetReplay(absl::string_view key) {
  RedisFunctionCall call("reg_replay_get");
  call.Replay(key, replay_ttl_s_);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(reply->str));
}

absl::Status RedisRegistryStore::PutReplay(absl::string_view key, absl::string_view response) {
  RedisFunctionCall call("reg_replay_put");
  call.Replay(key, replay_ttl_s_).Arg("response", std::string(response));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  return reply.ok() ? absl::OkStatus() : reply.status();
}

absl::StatusOr<WriteResult> RedisRegistryStore::Delete(const DeleteRecord& record) {
  nlohmann::json dependents = nlohmann::json::array();
  for (const auto& ix : record.must_be_empty) dependents.push_back("ix:" + ix);
  RedisFunctionCall call("reg_delete");
  call.Key("base", Base())
      .Key("record", RecordKey(record.kind, record.id))
      .Arg("kind", std::string(record.kind))
      .Arg("id", record.id)
      .Arg("expected", record.expected_version)
      .Replay(record.replay_key, replay_ttl_s_)
      .Int("maxlen", events_max_length_)
      .Arg("dependents", dependents.dump())
      .Arg("also_delete", nlohmann::json(record.also_delete).dump());
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return ToWriteResult(*reply);
}

absl::StatusOr<Page> RedisRegistryStore::List(absl::string_view kind, absl::string_view index,
                                              absl::string_view after, int limit) {
  std::string index_key =
      index.empty() ? absl::StrCat(Base(), "ids:", kind) : absl::StrCat(Base(), "ix:", index);
  RedisFunctionCall call("reg_page");
  call.Key("base", Base())
      .Key("index", std::move(index_key))
      .Arg("kind", std::string(kind))
      .Arg("after", std::string(after))
      .Int("limit", limit);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  Page page;
  if (reply->elements.size() == 2) {
    page.next_after = reply->elements[0].str;
    for (auto& r : reply->elements[1].elements) page.records.push_back(std::move(r.str));
  }
  return page;
}

absl::StatusOr<int> RedisRegistryStore::ForgetChanges(
    const std::function<bool(const Change&)>& forget) {
  int removed = 0;
  std::string start = "-";
  while (true) {
    auto reply = redis_->Command({"XRANGE", EventsKey(), start, "+", "COUNT", "1000"});
    if (!reply.ok()) return reply.status();
    RedisArgs remove = {"XDEL", EventsKey()};
    for (const auto& entry : StreamEntriesOf(*reply)) {
      const Change change = ChangeOf(entry);
      if (forget(change)) remove.push_back(change.cursor);
    }
    if (remove.size() > 2) {
      auto deleted = redis_->Command(remove);
      if (!deleted.ok()) return deleted.status();
      removed += static_cast<int>(deleted->integer);
    }
    if (reply->elements.size() < 1000) return removed;
    start = "(" + reply->elements.back().elements[0].str;
  }
}

absl::StatusOr<std::string> RedisRegistryStore::LatestCursor() {
  return LatestStreamId(*redis_, EventsKey());
}

ChangeFeed::ChangeFeed(const RedisPool& redis, std::string events_key)
    : connection_(redis.Dedicated(events_key)), events_key_(std::move(events_key)) {}

absl::StatusOr<std::vector<Change>> ChangeFeed::Read(absl::string_view cursor, int block_ms,
                                                     int count) {
  connection_->SetReadTimeout(std::chrono::milliseconds(block_ms + 2000));
  auto replies =
      connection_->Run({{"XREAD", "COUNT", std::to_string(count), "BLOCK", std::to_string(block_ms),
                         "STREAMS", events_key_, std::string(cursor)}});
  if (!replies.ok()) return replies.status();
  const RedisValue& reply = replies->front();
  if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
  std::vector<Change> changes;
  if (reply.is_nil() || reply.elements.empty()) return changes;
  for (const auto& entry : StreamEntriesOf(reply.elements[0].elements[1]))
    changes.push_back(ChangeOf(entry));
  return changes;
}

}  // namespace infrashare::registry
