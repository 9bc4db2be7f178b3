#pragma once

// Messages as proto3 JSON and back, written and read by protobuf's own converter (JsonUtil), with
// what protobuf 3.21 would otherwise build again on every call kept: each type's description, and
// the JSON of each version of an entity an answer holds.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace infrashare::http {

// Why `json` is refused before protobuf reads it: a member named twice in one object, compared as
// protobuf reads names (a field's proto and JSON name are one), or nesting deeper than protobuf
// reads; nothing when there is neither or `json` does not parse (protobuf's parser says why).
std::optional<std::string> JsonShapeMistake(const std::string& json);

// JsonStringToMessage, with each type's description built once; what JsonShapeMistake names is
// refused.
google::protobuf::util::Status JsonToMessage(
    const std::string& json, google::protobuf::Message* message,
    const google::protobuf::util::JsonParseOptions& options = {});

// A message of `type` in its wire bytes, as JSON: what MessageToJsonString writes for the message
// (it, too, converts the message's bytes). Nothing when the converter fails (bytes that are no
// such message, a time beyond what RFC 3339 writes).
std::optional<std::string> BytesToJson(const google::protobuf::Descriptor& type,
                                       absl::string_view bytes);
// A message as JSON; a google.rpc.Status INTERNAL's JSON when the converter fails.
std::string ToJson(const google::protobuf::Message& message);

// Answers as JSON, the same as BytesToJson's but for the order of an object's members, with the
// JSON of each entity they hold kept, keyed by the entity's bytes: a resource, a booking, any
// message with an etag. Entities change by writes, which change their bytes, so a kept JSON never
// goes stale; a search or a list answers mostly with entities written before. The converter's cost
// is mostly per call and per field, so an entity met for the first time costs more written on its
// own than within its answer: an answer with more than a few new entities is written whole, and
// only a few of them kept each time.
//
// Memory: kept JSON, its key and a fixed allowance per entry for the map and allocations count
// against `budget_bytes` (0: keep none). What is kept lives in two generations: the young one
// takes what is kept or used again; it turns old when it holds half the budget or is `turn` old
// (looked at with each answer), and the old one is dropped. So a version no answer holds any more
// (an erased person's, an overwritten resource's) is gone within two turns of the answers that
// follow. Thread-safe.
class AnswerJson {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  AnswerJson(size_t budget_bytes, std::chrono::steady_clock::duration turn,
             Clock clock = std::chrono::steady_clock::now);
  AnswerJson(const AnswerJson&) = delete;
  AnswerJson& operator=(const AnswerJson&) = delete;

  std::optional<std::string> Write(const google::protobuf::Descriptor& type,
                                   absl::string_view bytes);

  struct Counts {
    long long kept_used = 0;  // entities written from a kept JSON
    long long kept_new = 0;   // entities written on their own and kept
    long long whole = 0;      // answers written whole (too many new entities)
    size_t entries = 0;       // entities kept now, in both generations
  };
  Counts counts() const;

  // What an entry costs beside its key and JSON (map slot, allocations, shared count), roughly.
  static constexpr size_t kEntryAllowance = 256;

 private:
  struct Node;
  bool Split(const google::protobuf::Descriptor& type, absl::string_view bytes, Node* node);
  void Look(Node* node, int* missing);
  bool Render(Node* node, std::string* out);
  std::shared_ptr<const std::string> Find(const std::string& key);
  void Keep(const std::string& key, std::shared_ptr<const std::string> json);
  void Add(const std::string& key, std::shared_ptr<const std::string> json);  // under mutex_
  void Turn();                                                                // under mutex_
  void TurnIfDue();

  const size_t budget_;
  const std::chrono::steady_clock::duration turn_;
  const Clock clock_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  absl::flat_hash_map<std::string, std::shared_ptr<const std::string>> young_, old_;
  size_t young_bytes_ = 0;
  std::chrono::steady_clock::time_point young_since_;
  std::atomic<long long> kept_used_{0}, kept_new_{0}, whole_{0};
};

}  // namespace infrashare::http
