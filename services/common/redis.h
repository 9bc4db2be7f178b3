// A hiredis connection pool. Every call takes a connection, runs, and gives it back; a broken
// connection is dropped and re-dialled on next use, with exponential backoff while Redis is down.
// Storage failures come back as one gRPC-meaningful status: UNAVAILABLE. With Redis Sentinel the
// primary is found through the Sentinels on every dial and followed through a failover
// (RedisTarget); optionally every write waits for replicas before it is answered.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
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

// Where connections go and what each does there, shared by every connection of a pool: a fixed
// address, or the primary that Redis Sentinel names — asked of the Sentinels on every dial,
// confirmed with ROLE, and left (every connection re-dials) when a Sentinel announces a new
// primary (+switch-master) or Redis answers READONLY. Redis Sentinel is Redis' own failover; this
// is only its client side (hiredis has none).
class RedisTarget {
 public:
  RedisTarget(const RedisConfig& config, RedisAddress address);
  ~RedisTarget();
  RedisTarget(const RedisTarget&) = delete;
  RedisTarget& operator=(const RedisTarget&) = delete;

  // The address to dial now: the fixed one, or the primary the first Sentinel that knows names.
  absl::StatusOr<RedisAddress> Primary() const;
  bool via_sentinel() const { return !sentinels_.empty(); }
  // Bumped whenever the primary may have changed; a connection dialled before re-dials.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  void PrimaryChanged() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  // WAIT after a batch that writes: how many replicas, how long; 0 replicas: no WAIT.
  int wait_replicas() const { return config_.wait_replicas; }
  int wait_timeout_ms() const { return config_.wait_timeout_ms; }

 private:
  void WatchSentinels();  // subscribes to +switch-master on one Sentinel at a time

  RedisConfig config_;
  RedisAddress address_;  // fixed host and port; password and db either way
  std::vector<std::pair<std::string, int>> sentinels_;
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
  // Runs the commands pipelined; a transport failure closes the connection.
  absl::StatusOr<std::vector<RedisValue>> Run(const std::vector<RedisArgs>& commands);
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
  std::shared_ptr<RedisTarget> target_;
  uint64_t generation_ = 0;  // the target's when this connection was dialled
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds command_timeout_;
  redisContext* context_ = nullptr;
};

class RedisPool;

// Sends the commands that threads hand it, pipelined, on one connection of its own: while one
// batch is in flight the next gathers. Under load many calls share one write and one read, which
// saves system calls here and in Redis; alone, a call goes out at once. A pool keeps two and
// alternates between them (docs/DECISIONS.md).
class RedisBatcher {
 public:
  explicit RedisBatcher(const RedisPool& pool);
  ~RedisBatcher();
  RedisBatcher(const RedisBatcher&) = delete;
  RedisBatcher& operator=(const RedisBatcher&) = delete;

  using Callback = std::function<void(absl::StatusOr<RedisValue>)>;
  // Queues the command; `done` runs on the batcher's thread with the reply (error replies come
  // back as kError values). It must be quick and must not call the batcher synchronously.
  void Submit(RedisArgs command, Callback done);
  // Blocks until the reply is there.
  absl::StatusOr<RedisValue> Run(RedisArgs command);

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

struct RedisPoolStats {
  int size = 0;
  int in_use = 0;
  long long errors = 0;
};

class RedisPool {
 public:
  static absl::StatusOr<std::unique_ptr<RedisPool>> Create(const RedisConfig& config);
  ~RedisPool();

  // Runs one command. A Redis error reply becomes a status (see StatusFromRedisError).
  absl::StatusOr<RedisValue> Command(const RedisArgs& args);
  // Runs commands pipelined on one connection; error replies stay in place as kError values.
  absl::StatusOr<std::vector<RedisValue>> Pipeline(const std::vector<RedisArgs>& commands);
  // FCALL name numkeys keys... args...; reloads the functions once if Redis lost them.
  absl::StatusOr<RedisValue> FCall(absl::string_view function, const RedisArgs& keys,
                                   const RedisArgs& args);
  // The same through the pool's batcher: for hot paths that many threads call at once.
  absl::StatusOr<RedisValue> FCallBatched(absl::string_view function, const RedisArgs& keys,
                                          const RedisArgs& args);
  // Asynchronously through the batcher: `done` runs on the batcher's thread.
  void FCallAsync(absl::string_view function, const RedisArgs& keys, const RedisArgs& args,
                  std::function<void(absl::StatusOr<RedisValue>)> done);

  // Registers a Redis function library (its source starts with "#!lua name=...") to load now
  // and again whenever Redis comes back without it.
  void AddFunctionLibrary(std::string source);  // once: a library added again is ignored
  absl::Status LoadFunctions();
  // Loads the function libraries if Redis may have lost them (start-up, after an outage).
  absl::Status EnsureFunctions();

  // PING; loads the function libraries after an outage.
  bool CheckHealth();
  RedisPoolStats Stats() const;
  const std::string& prefix() const { return prefix_; }
  // A connection of its own for long blocking reads, not taken from the pool.
  std::unique_ptr<RedisConnection> Dedicated() const;

 private:
  RedisPool(const RedisConfig& config, std::shared_ptr<RedisTarget> target);
  struct Lease;
  absl::StatusOr<std::vector<RedisValue>> RunOnPooled(const std::vector<RedisArgs>& commands);
  absl::StatusOr<RedisValue> CheckReply(absl::StatusOr<RedisValue> reply,
                                        absl::string_view command);
  RedisBatcher& batcher();
  RedisArgs FCallCommand(absl::string_view function, const RedisArgs& keys,
                         const RedisArgs& args) const;

  RedisConfig config_;
  std::shared_ptr<RedisTarget> target_;
  std::string prefix_;
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
  std::vector<std::string> libraries_;
  mutable std::shared_mutex functions_mutex_;
  std::set<std::string, std::less<>> read_only_functions_;  // called with FCALL_RO
  // Created on first use; calls go to them in turn, so one batcher's batch runs in Redis while
  // another's replies are handled.
  std::vector<std::unique_ptr<RedisBatcher>> batchers_;
  std::atomic<unsigned> next_batcher_{0};
  std::once_flag batcher_once_;
};

// Maps an error reply to a status. Our Redis functions raise "<CODE> <detail>" where CODE is a
// gRPC code name: "NOT_FOUND res r1", "ABORTED res r1", "FAILED_PRECONDITION <REASON> <message>",
// "INVALID_ARGUMENT <field> <description>", "ALREADY_EXISTS res r1".
absl::Status StatusFromRedisError(absl::string_view error);

}  // namespace infrashare
