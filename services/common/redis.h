// A hiredis connection pool. Every call takes a connection, runs, and gives it back; a broken
// connection is dropped and re-dialled on next use, with exponential backoff while Redis is down.
// Storage failures come back as one gRPC-meaningful status: UNAVAILABLE. With Redis Sentinel the
// primary is found through the Sentinels on every dial and followed through a failover
// (RedisTarget); with Redis Cluster every command goes to its slot's primary (RedisPool,
// redis_cluster.h); optionally every write waits for replicas before it is answered.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/config.h"

struct redisContext;

namespace infrashare {

// An owned copy of a Redis reply.
struct RedisValue {
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;
  std::vector<RedisValue> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
};

using RedisArgs = std::vector<std::string>;

// One command on a connection of its own, with AUTH first when `password` is set: for asking
// Sentinels and for reading a cluster's slot map.
absl::StatusOr<RedisValue> RedisAskOnce(const std::string& host, int port,
                                        const std::string& password, const RedisArgs& command,
                                        std::chrono::milliseconds timeout);

class RedisSlotMap;

// Where connections go and what each does there, shared by every connection of a pool: a fixed
// address, the primary that Redis Sentinel names — asked of the Sentinels on every dial,
// confirmed with ROLE, and left (every connection re-dials) when a Sentinel announces a new
// primary (+switch-master) or Redis answers READONLY — or, in a Redis Cluster, the primary that
// serves one hash slot (connections of their own for blocking reads of one key), left when the
// slot map changes. Redis Sentinel is Redis' own failover; this is only its client side (hiredis
// has none).
class RedisTarget {
 public:
  RedisTarget(const RedisConfig& config, RedisAddress address);
  // The primary of `slot` in `slots`; `address` gives the password.
  RedisTarget(const RedisConfig& config, RedisAddress address, std::shared_ptr<RedisSlotMap> slots,
              int slot);
  ~RedisTarget();
  RedisTarget(const RedisTarget&) = delete;
  RedisTarget& operator=(const RedisTarget&) = delete;

  // The address to dial now: the fixed one, the primary the first Sentinel that knows names, or
  // the primary of the slot.
  absl::StatusOr<RedisAddress> Primary() const;
  bool via_sentinel() const { return !sentinels_.empty(); }
  // Bumped whenever the primary may have changed; a connection dialled before re-dials.
  uint64_t generation() const;
  void PrimaryChanged();
  // An error reply a connection read: READONLY means the primary changed; MOVED, that the slot
  // did (cluster only).
  void Noticed(const RedisValue& error_reply, absl::string_view asked);
  // The primary did not answer a dial: in a cluster, the slot map is read again.
  void DialFailed();
  // WAIT after a batch that writes: how many replicas, how long; 0 replicas: no WAIT.
  int wait_replicas() const { return config_.wait_replicas; }
  int wait_timeout_ms() const { return config_.wait_timeout_ms; }

 private:
  void WatchSentinels();  // subscribes to +switch-master on one Sentinel at a time

  RedisConfig config_;
  RedisAddress address_;  // fixed host and port; password and db either way
  std::vector<std::pair<std::string, int>> sentinels_;
  std::shared_ptr<RedisSlotMap> slots_;
  int slot_ = -1;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

// One connection. Not thread-safe: owned by one caller at a time.
class RedisConnection {
 public:
  RedisConnection(std::shared_ptr<RedisTarget> target, std::chrono::milliseconds connect_timeout,
                  std::chrono::milliseconds command_timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  absl::Status Connect();
  bool connected() const { return context_ != nullptr; }
  // Redis closed the connection (its end read as end-of-file); nothing is sent to find out.
  bool PeerClosed() const;
  // Runs the commands pipelined; a transport failure closes the connection. `sent`, when given,
  // tells whether anything may have reached Redis: a failure before that (dialling) left nothing
  // half done, so even a write may be sent again.
  absl::StatusOr<std::vector<RedisValue>> Run(const std::vector<RedisArgs>& commands,
                                              bool* sent = nullptr);
  // For blocking reads (XREAD BLOCK): a per-call read timeout.
  void SetReadTimeout(std::chrono::milliseconds timeout);

  // For one thread that waits on many connections with poll(): sends a command without waiting
  // for its reply (dialling first if needed), then, once fd() is readable, takes what arrived and
  // returns the reply when it is whole. A transport failure closes the connection.
  absl::Status Send(const RedisArgs& command);
  absl::StatusOr<std::optional<RedisValue>> ReadAvailable();
  int fd() const;
  void Close();

 private:
  absl::Status Append(const RedisArgs& command);
  // A connection to a primary that may no longer be one is closed before it is used.
  void CloseIfStale();
  void Notice(const RedisValue& reply);
  std::shared_ptr<RedisTarget> target_;
  uint64_t generation_ = 0;  // the target's when this connection was dialled
  std::string address_;      // host:port dialled
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds command_timeout_;
  redisContext* context_ = nullptr;
};

// Sends the commands that threads hand it, pipelined, on one connection of its own: while one
// batch is in flight the next gathers. Under load many calls share one write and one read, which
// saves system calls here and in Redis; alone, a call goes out at once. A node's pool keeps two
// and alternates between them (docs/DECISIONS.md).
class RedisBatcher {
 public:
  explicit RedisBatcher(std::unique_ptr<RedisConnection> connection);
  ~RedisBatcher();
  RedisBatcher(const RedisBatcher&) = delete;
  RedisBatcher& operator=(const RedisBatcher&) = delete;

  // The reply (error replies come back as kError values) or the transport failure, and whether
  // the command may have reached Redis (see RedisConnection::Run).
  using Callback = std::function<void(absl::StatusOr<RedisValue> reply, bool sent)>;
  // Queues the command; `done` runs on the batcher's thread. It must be quick and must not call
  // the batcher synchronously.
  void Submit(RedisArgs command, Callback done);

 private:
  struct Waiter {
    RedisArgs command;
    Callback done;
  };
  void Loop();

  std::unique_ptr<RedisConnection> connection_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::vector<Waiter> queue_;
  bool stop_ = false;
  std::thread thread_;
};

// Connections to one Redis server (whatever its target names): a pool of them for calls, two
// batchers, and whether the server may have lost our functions.
class RedisNodePool {
 public:
  RedisNodePool(const RedisConfig& config, std::shared_ptr<RedisTarget> target, std::string name);
  ~RedisNodePool();
  RedisNodePool(const RedisNodePool&) = delete;
  RedisNodePool& operator=(const RedisNodePool&) = delete;

  // Runs the commands pipelined on a pooled connection (see RedisConnection::Run for `sent`).
  // While the server is down one call at a time dials, the others are refused without dialling.
  absl::StatusOr<std::vector<RedisValue>> Run(const std::vector<RedisArgs>& commands,
                                              bool* sent = nullptr);
  RedisBatcher& batcher();
  std::unique_ptr<RedisConnection> Dedicated() const;
  // FUNCTION LOAD REPLACE of every library; afterwards needs_functions() is false.
  absl::Status LoadFunctions(const std::vector<std::string>& libraries);
  // True until the functions were loaded, and again after the server may have restarted.
  bool needs_functions() const { return needs_function_load_; }
  void FunctionsMayBeLost() { needs_function_load_ = true; }
  const std::string& name() const { return name_; }
  int in_use() const;
  long long errors() const { return errors_; }

 private:
  RedisConfig config_;
  std::shared_ptr<RedisTarget> target_;
  std::string name_;  // host:port, or "" for a Sentinel's primary
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  int in_use_ = 0;
  std::chrono::steady_clock::time_point next_dial_{};
  bool probing_ = false;  // a call is dialling while Redis is thought down
  std::chrono::steady_clock::time_point probe_started_{};
  std::condition_variable probe_done_;
  std::chrono::milliseconds backoff_{0};
  std::atomic<long long> errors_{0};
  std::atomic<bool> needs_function_load_{true};
  // Created on first use; calls go to them in turn, so one batcher's batch runs in Redis while
  // another's replies are handled.
  std::vector<std::unique_ptr<RedisBatcher>> batchers_;
  std::atomic<unsigned> next_batcher_{0};
  std::once_flag batcher_once_;
};

struct RedisPoolStats {
  int size = 0;
  int in_use = 0;
  long long errors = 0;
  // Redis Cluster: commands sent again after MOVED, after ASK (to the node it named), and after
  // anything else that asked for patience (TRYAGAIN, CLUSTERDOWN, a failed dial).
  long long moved = 0;
  long long asked = 0;
  long long retried = 0;
};

// The store's one door to Redis: one server (or Sentinel's primary), or a Redis Cluster when
// redis.cluster_nodes is set. In a cluster every command goes to the primary of its first key's
// slot, a pipeline is split per primary, and redirects are followed: MOVED updates the slot map,
// ASK is asked once of the node it names (functions wait instead, docs/DECISIONS.md), TRYAGAIN,
// CLUSTERDOWN, READONLY and a failed dial back off and try again, within redis.command_timeout_ms.
// A command that may have reached Redis before its connection broke is sent again only when it
// writes nothing: a write is answered UNAVAILABLE, for the caller to retry with its request id.
class RedisPool {
 public:
  static absl::StatusOr<std::unique_ptr<RedisPool>> Create(const RedisConfig& config);
  ~RedisPool();

  // Runs one command. A Redis error reply becomes a status (see StatusFromRedisError).
  absl::StatusOr<RedisValue> Command(const RedisArgs& args);
  // Runs commands pipelined (in a cluster, one pipeline per primary); error replies stay in place
  // as kError values.
  absl::StatusOr<std::vector<RedisValue>> Pipeline(const std::vector<RedisArgs>& commands);
  // FCALL name numkeys keys... args...; reloads the functions once if Redis lost them.
  absl::StatusOr<RedisValue> FCall(absl::string_view function, const RedisArgs& keys,
                                   const RedisArgs& args);
  // The same through a batcher: for hot paths that many threads call at once.
  absl::StatusOr<RedisValue> FCallBatched(absl::string_view function, const RedisArgs& keys,
                                          const RedisArgs& args);
  // Asynchronously through a batcher: `done` runs on a batcher's thread (or the retry thread).
  void FCallAsync(absl::string_view function, const RedisArgs& keys, const RedisArgs& args,
                  std::function<void(absl::StatusOr<RedisValue>)> done);

  // Registers a Redis function library (its source starts with "#!lua name=...") to load now
  // and again whenever Redis comes back without it; in a cluster, on every primary.
  void AddFunctionLibrary(std::string source);  // once: a library added again is ignored
  absl::Status LoadFunctions();
  // Loads the function libraries where Redis may have lost them (start-up, after an outage).
  absl::Status EnsureFunctions();

  // PING (every primary, in a cluster); loads the function libraries where they may be missing.
  // False while any primary is unreachable or lacks them.
  bool CheckHealth();
  RedisPoolStats Stats() const;
  const std::string& prefix() const { return prefix_; }
  bool cluster() const { return slots_ != nullptr; }
  // A connection of its own for long blocking reads of `key`, not taken from the pool; in a
  // cluster it follows the primary of the key's slot.
  std::unique_ptr<RedisConnection> Dedicated(absl::string_view key) const;

 private:
  struct AsyncCall;
  RedisPool(const RedisConfig& config, RedisAddress address);
  absl::StatusOr<RedisValue> CheckReply(absl::StatusOr<RedisValue> reply,
                                        absl::string_view command);
  RedisArgs FCallCommand(absl::string_view function, const RedisArgs& keys,
                         const RedisArgs& args) const;
  std::vector<std::string> Libraries() const;
  absl::Status LoadFunctionsOn(RedisNodePool& node);

  // Cluster mode.
  RedisNodePool& Node(const std::string& address);
  absl::StatusOr<RedisNodePool*> PrimaryOf(const RedisArgs& command);
  absl::StatusOr<std::vector<RedisValue>> RunInCluster(const std::vector<RedisArgs>& commands);
  void SubmitInCluster(std::shared_ptr<AsyncCall> call);
  void OnClusterReply(std::shared_ptr<AsyncCall> call, RedisNodePool* node,
                      absl::StatusOr<RedisValue> reply, bool sent);
  // Runs `task` on the retry thread at `due`; with `stopping` true when the pool goes away first.
  void Later(std::chrono::steady_clock::time_point due, std::function<void(bool stopping)> task);
  void RetryLoop();

  RedisConfig config_;
  RedisAddress address_;
  std::string prefix_;
  std::unique_ptr<RedisNodePool> single_;  // without a cluster: the one server

  std::shared_ptr<RedisSlotMap> slots_;  // with a cluster
  mutable std::mutex nodes_mutex_;
  std::map<std::string, std::unique_ptr<RedisNodePool>> nodes_;  // by host:port; never removed
  std::mutex retry_mutex_;
  std::condition_variable retry_cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void(bool)>> retries_;
  bool stopping_ = false;
  std::thread retry_thread_;

  mutable std::mutex functions_mutex_;
  std::vector<std::string> libraries_;
  std::set<std::string, std::less<>> read_only_functions_;  // called with FCALL_RO
  std::atomic<long long> errors_{0};
  std::atomic<long long> moved_{0}, asked_{0}, retried_{0};
};

// Maps an error reply to a status. Our Redis functions raise "<CODE> <detail>" where CODE is a
// gRPC code name: "NOT_FOUND res r1", "ABORTED res r1", "FAILED_PRECONDITION <REASON> <message>",
// "INVALID_ARGUMENT <field> <description>", "ALREADY_EXISTS res r1".
absl::Status StatusFromRedisError(absl::string_view error);

}  // namespace infrashare
