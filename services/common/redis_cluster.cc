#include "services/common/redis_cluster.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/logging.h"

namespace infrashare {
namespace {

// A field of a flat [name, value, name, value, ...] reply (RESP2's form of a map).
const RedisValue* FieldOf(const RedisValue& map, absl::string_view name) {
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2)
    if (map.elements[i].str == name) return &map.elements[i + 1];
  return nullptr;
}

std::string Address(absl::string_view host, long long port, absl::string_view asked) {
  return absl::StrCat(host.empty() || host == "?" ? asked : host, ":", port);
}

absl::Status Malformed(absl::string_view what) {
  return StoreUnavailable(absl::StrCat("redis cluster: unexpected ", what, " reply"));
}

bool SplitAddress(absl::string_view node, std::string* host, int* port) {
  const size_t colon = node.rfind(':');
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(node.substr(colon + 1), port))
    return false;
  *host = std::string(node.substr(0, colon));
  return true;
}

}  // namespace

absl::StatusOr<std::vector<RedisSlotRange>> SlotRangesFromShards(const RedisValue& reply,
                                                                 absl::string_view asked) {
  if (!reply.is_array()) return Malformed("CLUSTER SHARDS");
  std::vector<RedisSlotRange> ranges;
  for (const RedisValue& shard : reply.elements) {
    const RedisValue* slots = FieldOf(shard, "slots");
    const RedisValue* nodes = FieldOf(shard, "nodes");
    if (slots == nullptr || nodes == nullptr || slots->elements.size() % 2 != 0)
      return Malformed("CLUSTER SHARDS");
    std::string primary;
    std::vector<std::string> replicas;
    for (const RedisValue& node : nodes->elements) {
      const RedisValue* role = FieldOf(node, "role");
      const RedisValue* port = FieldOf(node, "port");
      const RedisValue* endpoint = FieldOf(node, "endpoint");
      const RedisValue* ip = FieldOf(node, "ip");
      if (role == nullptr || port == nullptr) return Malformed("CLUSTER SHARDS");
      const std::string host = endpoint != nullptr && !endpoint->str.empty() && endpoint->str != "?"
                                   ? endpoint->str
                                   : (ip != nullptr ? ip->str : "");
      const std::string address = Address(host, port->integer, asked);
      if (role->str == "master") {
        primary = address;
      } else {
        replicas.push_back(address);
      }
    }
    if (primary.empty()) continue;  // a shard without a primary serves nothing
    for (size_t i = 0; i < slots->elements.size(); i += 2)
      ranges.push_back({static_cast<int>(slots->elements[i].integer),
                        static_cast<int>(slots->elements[i + 1].integer), primary, replicas});
  }
  return ranges;
}

absl::StatusOr<std::vector<RedisSlotRange>> SlotRangesFromSlots(const RedisValue& reply,
                                                                absl::string_view asked) {
  if (!reply.is_array()) return Malformed("CLUSTER SLOTS");
  std::vector<RedisSlotRange> ranges;
  for (const RedisValue& range : reply.elements) {
    if (range.elements.size() < 3) return Malformed("CLUSTER SLOTS");
    RedisSlotRange out;
    out.first = static_cast<int>(range.elements[0].integer);
    out.last = static_cast<int>(range.elements[1].integer);
    for (size_t n = 2; n < range.elements.size(); ++n) {
      const RedisValue& node = range.elements[n];
      if (node.elements.size() < 2) return Malformed("CLUSTER SLOTS");
      const std::string address = Address(node.elements[0].str, node.elements[1].integer, asked);
      if (n == 2) {
        out.primary = address;
      } else {
        out.replicas.push_back(address);
      }
    }
    ranges.push_back(std::move(out));
  }
  return ranges;
}

RedisRedirect RedirectOf(const RedisValue& reply, absl::string_view asked) {
  RedisRedirect redirect;
  if (reply.type != RedisValue::Type::kError) return redirect;
  const absl::string_view error = reply.str;
  using Kind = RedisRedirect::Kind;
  if (absl::StartsWith(error, "MOVED ") || absl::StartsWith(error, "ASK ")) {
    // "MOVED 3999 127.0.0.1:6381"; the host may be empty: the node that answered.
    std::vector<absl::string_view> parts = absl::StrSplit(error, ' ');
    std::string host;
    int port = 0;
    if (parts.size() < 3 || !absl::SimpleAtoi(parts[1], &redirect.slot) ||
        !SplitAddress(parts[2], &host, &port))
      return redirect;
    if (host.empty()) {
      int ignored = 0;
      SplitAddress(asked, &host, &ignored);
    }
    redirect.node = absl::StrCat(host, ":", port);
    redirect.kind = parts[0] == "MOVED" ? Kind::kMoved : Kind::kAsk;
  } else if (absl::StartsWith(error, "TRYAGAIN") || absl::StartsWith(error, "LOADING")) {
    redirect.kind = Kind::kTryLater;
  } else if (absl::StartsWith(error, "CLUSTERDOWN") || absl::StartsWith(error, "READONLY")) {
    redirect.kind = Kind::kLookAgain;
  }
  return redirect;
}

RedisSlotMap::RedisSlotMap(std::vector<std::string> seeds, std::string password,
                           std::chrono::milliseconds timeout,
                           std::chrono::milliseconds refresh_interval)
    : seeds_(std::move(seeds)),
      password_(std::move(password)),
      timeout_(timeout),
      refresh_interval_(refresh_interval) {}

RedisSlotMap::~RedisSlotMap() { Stop(); }

void RedisSlotMap::Start(Listener listener) {
  std::lock_guard lock(thread_mutex_);
  listener_ = std::move(listener);
  if (!thread_.joinable()) thread_ = std::thread([this] { RefreshLoop(); });
}

void RedisSlotMap::Stop() {
  {
    std::lock_guard lock(thread_mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RedisSlotMap::RequestRefresh() {
  {
    std::lock_guard lock(thread_mutex_);
    refresh_requested_ = true;
  }
  wake_.notify_all();
}

void RedisSlotMap::RefreshLoop() {
  bool failing = false;
  std::unique_lock lock(thread_mutex_);
  while (!stop_) {
    wake_.wait_for(lock, refresh_interval_, [this] { return stop_ || refresh_requested_; });
    if (stop_) return;
    refresh_requested_ = false;
    lock.unlock();
    const absl::Status refreshed = Refresh();
    if (!refreshed.ok() && !failing)
      logging::Warn("redis cluster: slot map not read",
                    {{"error", std::string(refreshed.message())}});
    failing = !refreshed.ok();
    if (refreshed.ok() && listener_) listener_(Primaries());
    lock.lock();
  }
}

absl::Status RedisSlotMap::Refresh(Clock::time_point since) {
  std::lock_guard lock(refresh_mutex_);
  const auto now = Clock::now();
  if (last_refresh_started_ > since || now - last_refresh_started_ < std::chrono::milliseconds(50))
    return absl::OkStatus();
  last_refresh_started_ = now;
  return ReadMap();
}

absl::Status RedisSlotMap::ReadMap() {
  std::vector<std::string> candidates;
  {
    std::shared_lock lock(mutex_);
    // The node that answered last first: a dead primary is not asked first every time.
    if (!last_answered_.empty()) candidates.push_back(last_answered_);
    for (const auto& node : known_nodes_)
      if (node != last_answered_) candidates.push_back(node);
  }
  for (const auto& seed : seeds_)
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end())
      candidates.push_back(seed);
  std::string failures;
  for (const auto& node : candidates) {
    std::string host;
    int port = 0;
    if (!SplitAddress(node, &host, &port)) continue;
    auto reply = RedisAskOnce(host, port, password_, {"CLUSTER", "SHARDS"}, timeout_);
    absl::StatusOr<std::vector<RedisSlotRange>> ranges;
    if (reply.ok() && reply->type == RedisValue::Type::kError) {  // before Redis 7
      reply = RedisAskOnce(host, port, password_, {"CLUSTER", "SLOTS"}, timeout_);
      if (reply.ok() && reply->type != RedisValue::Type::kError)
        ranges = SlotRangesFromSlots(*reply, host);
    } else if (reply.ok()) {
      ranges = SlotRangesFromShards(*reply, host);
    }
    if (reply.ok() && reply->type == RedisValue::Type::kError)
      ranges = StoreUnavailable(reply->str);
    if (!reply.ok()) ranges = reply.status();
    if (ranges.ok() && !ranges->empty()) {
      Install(*ranges, node);
      return absl::OkStatus();
    }
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", node, ": ",
                    ranges.ok() ? "serves no slots" : ranges.status().message());
  }
  return StoreUnavailable(absl::StrCat("redis cluster: no node gave the slot map: ", failures));
}

void RedisSlotMap::Install(const std::vector<RedisSlotRange>& ranges, const std::string& from) {
  std::vector<std::string> primaries, known;
  std::vector<int16_t> owner(kRedisClusterSlots, -1);
  auto index_of = [](std::vector<std::string>& list, const std::string& node) {
    auto it = std::find(list.begin(), list.end(), node);
    if (it != list.end()) return static_cast<int16_t>(it - list.begin());
    list.push_back(node);
    return static_cast<int16_t>(list.size() - 1);
  };
  for (const auto& range : ranges) {
    const int16_t primary = index_of(primaries, range.primary);
    index_of(known, range.primary);
    for (const auto& replica : range.replicas) index_of(known, replica);
    for (int slot = std::max(0, range.first); slot <= range.last && slot < kRedisClusterSlots;
         ++slot)
      owner[slot] = primary;
  }
  std::unique_lock lock(mutex_);
  bool changed = primaries_.size() != primaries.size() || owner_.size() != owner.size();
  for (size_t slot = 0; !changed && slot < owner.size(); ++slot)
    changed = owner[slot] < 0
                  ? owner_[slot] >= 0
                  : owner_[slot] < 0 || primaries_[owner_[slot]] != primaries[owner[slot]];
  primaries_ = std::move(primaries);
  owner_ = std::move(owner);
  known_nodes_ = std::move(known);
  last_answered_ = from;
  if (changed) generation_.fetch_add(1, std::memory_order_acq_rel);
}

absl::StatusOr<std::string> RedisSlotMap::PrimaryOf(int slot) {
  {
    std::shared_lock lock(mutex_);
    if (!owner_.empty() && owner_[slot] >= 0) return primaries_[owner_[slot]];
  }
  if (auto refreshed = Refresh(); !refreshed.ok()) return refreshed;
  std::shared_lock lock(mutex_);
  if (owner_.empty() || owner_[slot] < 0)
    return StoreUnavailable(absl::StrCat("redis cluster: no primary serves slot ", slot));
  return primaries_[owner_[slot]];
}

std::vector<std::string> RedisSlotMap::Primaries() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> serving;
  for (size_t i = 0; i < primaries_.size(); ++i)
    if (std::find(owner_.begin(), owner_.end(), static_cast<int16_t>(i)) != owner_.end())
      serving.push_back(primaries_[i]);
  return serving;
}

bool RedisSlotMap::Complete() const {
  std::shared_lock lock(mutex_);
  return !owner_.empty() && std::find(owner_.begin(), owner_.end(), -1) == owner_.end();
}

void RedisSlotMap::Moved(int slot, const std::string& node) {
  if (slot < 0 || slot >= kRedisClusterSlots) return;
  {
    std::unique_lock lock(mutex_);
    if (owner_.empty()) owner_.assign(kRedisClusterSlots, -1);
    auto it = std::find(primaries_.begin(), primaries_.end(), node);
    const auto index = static_cast<int16_t>(it - primaries_.begin());
    if (it == primaries_.end()) primaries_.push_back(node);
    if (owner_[slot] != index) {
      owner_[slot] = index;
      generation_.fetch_add(1, std::memory_order_acq_rel);
    }
  }
  RequestRefresh();
}

}  // namespace infrashare
