// The client's view of a Redis Cluster: which primary serves each of the 16384 hash slots, read
// with CLUSTER SHARDS (Redis 7) or, from an older server, CLUSTER SLOTS; kept fresh by a
// background refresh and by the MOVED answers calls meet (docs/DECISIONS.md, "Our own Redis
// Cluster client"). Routing and retrying calls is RedisPool's part (redis.h).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"
#include "services/common/redis_key_slot.h"

namespace infrashare {

// Slots first..last (inclusive) and the nodes that hold them, as "host:port".
struct RedisSlotRange {
  int first = 0;
  int last = 0;
  std::string primary;
  std::vector<std::string> replicas;
};

// The ranges of a CLUSTER SHARDS or CLUSTER SLOTS reply. `asked` is the host of the node that
// answered, for a node it names without an address of its own.
absl::StatusOr<std::vector<RedisSlotRange>> SlotRangesFromShards(const RedisValue& reply,
                                                                 absl::string_view asked);
absl::StatusOr<std::vector<RedisSlotRange>> SlotRangesFromSlots(const RedisValue& reply,
                                                                absl::string_view asked);

// A redirect a Redis Cluster node answered instead of running a command.
struct RedisRedirect {
  enum class Kind {
    kNone,      // not a redirect: the command ran (or failed on its own)
    kMoved,     // the slot lives on `node` now
    kAsk,       // this one command: ask `node`, with ASKING first
    kTryLater,  // TRYAGAIN, LOADING: nothing ran; back off and send it again
    kLookAgain  // CLUSTERDOWN, READONLY: nothing ran; read the map again, back off, send again
  };
  Kind kind = Kind::kNone;
  int slot = -1;
  std::string node;  // host:port
};
// `asked` is the node that answered ("host:port"), for a redirect naming only a port.
RedisRedirect RedirectOf(const RedisValue& reply, absl::string_view asked);

class RedisSlotMap {
 public:
  using Clock = std::chrono::steady_clock;
  // Called after every refresh that found the map, with its primaries, on the refreshing thread.
  using Listener = std::function<void(const std::vector<std::string>& primaries)>;

  // `seeds` are asked when no node of the last map answers; `refresh_interval` paces the
  // background refresh, which starts with Start().
  RedisSlotMap(std::vector<std::string> seeds, std::string password,
               std::chrono::milliseconds timeout, std::chrono::milliseconds refresh_interval);
  ~RedisSlotMap();
  RedisSlotMap(const RedisSlotMap&) = delete;
  RedisSlotMap& operator=(const RedisSlotMap&) = delete;

  void Start(Listener listener);
  void Stop();

  // Reads the map from the first node that answers (the last map's nodes, then the seeds). One
  // refresh at a time; a caller that saw a failure at `since` returns at once when a refresh
  // began after it, or less than 50 ms ago (a storm of failures asks once).
  absl::Status Refresh(Clock::time_point since = Clock::now());
  // Asks the background thread for a refresh now, without waiting for it.
  void RequestRefresh();

  // The primary serving `slot` ("host:port"); reads the map first if none was read yet.
  absl::StatusOr<std::string> PrimaryOf(int slot);
  // Every primary of the map, each once.
  std::vector<std::string> Primaries() const;
  // Whether every slot has a primary.
  bool Complete() const;
  // A MOVED answer: `slot` lives on `node` from now on (a full refresh follows in the background).
  void Moved(int slot, const std::string& node);
  // Bumped whenever any slot changes hands: a connection made for a slot before re-dials.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  absl::Status ReadMap();
  void Install(const std::vector<RedisSlotRange>& ranges, const std::string& from);
  void RefreshLoop();

  const std::vector<std::string> seeds_;
  const std::string password_;
  const std::chrono::milliseconds timeout_;
  const std::chrono::milliseconds refresh_interval_;
  Listener listener_;

  mutable std::shared_mutex mutex_;
  std::vector<std::string> primaries_;    // index = what owner_ holds
  std::vector<int16_t> owner_;            // per slot; -1 = nobody
  std::vector<std::string> known_nodes_;  // primaries and replicas of the last map
  std::string last_answered_;             // the node the last map came from
  std::atomic<uint64_t> generation_{0};

  std::mutex refresh_mutex_;  // one refresh at a time
  Clock::time_point last_refresh_started_{};

  std::mutex thread_mutex_;
  std::condition_variable wake_;
  bool refresh_requested_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace infrashare
