// Where registry records live. The interface is what the handlers need; RedisRegistryStore keeps
// them in Redis under the {reg} hash tag, with every write one atomic Redis function call.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"
#include "services/common/redis_function.h"
#include "services/common/stream_ids.h"

namespace infrashare::registry {

// Record kinds as they appear in keys and change events.
inline constexpr absl::string_view kOrganizationKind = "org";
inline constexpr absl::string_view kNetworkKind = "net";
inline constexpr absl::string_view kResourceKind = "res";
inline constexpr absl::string_view kAvailabilityKind = "avail";

struct PutRecord {
  absl::string_view kind;
  std::string id;
  std::string expected_version;  // "" = must not exist yet
  std::string new_version;
  std::string data;                     // serialized protobuf
  std::string replay_key;               // "" = not idempotent
  std::vector<std::string> must_exist;  // "<kind>:<id>" of referenced records
  std::vector<std::string> indexes;     // index names this record belongs to, e.g. "owner:o1"
};

struct DeleteRecord {
  absl::string_view kind;
  std::string id;
  std::string expected_version;  // "" = any
  std::string replay_key;
  std::vector<std::string> must_be_empty;  // index names that must hold no member
  std::vector<std::string> also_delete;    // "<kind>:<id>" of records that go with it
};

struct WriteResult {
  bool replayed = false;  // a retry: `data` is the first call's response
  bool created = false;
  std::string data;
};

struct Page {
  std::vector<std::string> records;  // serialized protobufs, in id order
  std::string next_after;            // "" = last page
};

struct Change {
  std::string cursor;
  std::string kind;
  std::string id;
  std::string op;  // created | updated | deleted
  std::string version;
  std::string data;
};

// A change log entry.
Change ChangeOf(const StreamEntry& entry);

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view kind,
                                                         absl::string_view id) = 0;
  virtual absl::StatusOr<std::vector<std::optional<std::string>>> GetMany(
      absl::string_view kind, const std::vector<std::string>& ids) = 0;
  virtual absl::StatusOr<WriteResult> Put(const PutRecord& record) = 0;
  // Many independent puts in one round trip; each is atomic on its own.
  virtual absl::StatusOr<std::vector<absl::StatusOr<WriteResult>>> PutMany(
      const std::vector<PutRecord>& records) = 0;
  virtual absl::StatusOr<WriteResult> Delete(const DeleteRecord& record) = 0;
  // Records of `kind` in id order, from the index `index` ("" = all of the kind).
  virtual absl::StatusOr<Page> List(absl::string_view kind, absl::string_view index,
                                    absl::string_view after, int limit) = 0;
  // Ids in a secondary index, e.g. the networks an organisation is a member of ("member:<org>").
  virtual absl::StatusOr<std::vector<std::string>> IndexMembers(absl::string_view index) = 0;
  // A stored response of an earlier call with the same replay key, and storing one.
  virtual absl::StatusOr<std::optional<std::string>> GetReplay(absl::string_view replay_key) = 0;
  virtual absl::Status PutReplay(absl::string_view replay_key, absl::string_view response) = 0;
  // A replay key for (caller organisation, request id), "" when the request carries none.
  virtual std::string ReplayKey(absl::string_view organization,
                                absl::string_view request_id) const = 0;
};

// The registry's change log: every write appends one entry (registry.lua, in the same call);
// the read model's follower and WatchResources (through the stream follower) read it.
class ChangeLog {
 public:
  virtual ~ChangeLog() = default;
  // The stream that holds the log.
  virtual std::string EventsKey() const = 0;
  // The cursor of the newest change ("0-0" when none).
  virtual absl::StatusOr<std::string> LatestCursor() = 0;
  // Removes the entries `forget` picks (for erasures of personal data: no version that named the
  // person is replayed); how many. Reads the whole log, in slices.
  virtual absl::StatusOr<int> ForgetChanges(const std::function<bool(const Change&)>& forget) = 0;
};

// Records and their change log under one hash tag, {reg}: a write and its log entry are one
// function call.
class RedisRegistryStore final : public RegistryStore, public ChangeLog {
 public:
  RedisRegistryStore(RedisPool* redis, int replay_ttl_s, int events_max_length);

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view kind,
                                                 absl::string_view id) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> GetMany(
      absl::string_view kind, const std::vector<std::string>& ids) override;
  absl::StatusOr<WriteResult> Put(const PutRecord& record) override;
  absl::StatusOr<std::vector<absl::StatusOr<WriteResult>>> PutMany(
      const std::vector<PutRecord>& records) override;
  absl::StatusOr<std::vector<std::string>> IndexMembers(absl::string_view index) override;
  absl::StatusOr<std::optional<std::string>> GetReplay(absl::string_view replay_key) override;
  absl::Status PutReplay(absl::string_view replay_key, absl::string_view response) override;
  absl::StatusOr<WriteResult> Delete(const DeleteRecord& record) override;
  absl::StatusOr<Page> List(absl::string_view kind, absl::string_view index,
                            absl::string_view after, int limit) override;
  absl::StatusOr<std::string> LatestCursor() override;
  absl::StatusOr<int> ForgetChanges(const std::function<bool(const Change&)>& forget) override;
  std::string ReplayKey(absl::string_view organization,
                        absl::string_view request_id) const override;

  std::string Base() const;  // "<prefix>{reg}:"
  std::string EventsKey() const override { return Base() + "events"; }

 private:
  std::string RecordKey(absl::string_view kind, absl::string_view id) const;
  RedisFunctionCall PutCall(const PutRecord& record) const;
  RedisPool* redis_;
  int replay_ttl_s_;
  int events_max_length_;
};

// Follows the registry change log with a connection of its own (blocking reads).
class ChangeFeed {
 public:
  ChangeFeed(const RedisPool& redis, std::string events_key);
  // Changes after `cursor`, waiting up to `block_ms` for the first one.
  absl::StatusOr<std::vector<Change>> Read(absl::string_view cursor, int block_ms, int count);

 private:
  std::unique_ptr<RedisConnection> connection_;
  std::string events_key_;
};

}  // namespace infrashare::registry
