#include "services/common/redis.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "services/common/logging.h"
#include "services/common/redis_cluster.h"
#include "services/common/redis_function.h"
#include "services/common/redis_key_slot.h"

namespace infrashare {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = ms.count() / 1000;
  tv.tv_usec = (ms.count() % 1000) * 1000;
  return tv;
}

RedisValue Convert(const redisReply* reply) {
  RedisValue value;
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply->integer;
      break;
    case REDIS_REPLY_STRING:
      value.type = RedisValue::Type::kString;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      value.type = RedisValue::Type::kStatus;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      value.type = RedisValue::Type::kError;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i)
        value.elements.push_back(Convert(reply->element[i]));
      break;
    default:
      value.type = RedisValue::Type::kNil;
  }
  return value;
}

}  // namespace

absl::Status StatusFromRedisError(absl::string_view error) {
  // An error raised inside a Redis function (error{err = ...}) comes back with " script: <name>,
  // on @user_function:<line>." appended: the caller's message is what comes before.
  if (size_t script = error.rfind(" script: "); script != absl::string_view::npos)
    error = error.substr(0, script);
  std::vector<absl::string_view> parts = absl::StrSplit(error, absl::MaxSplits(' ', 2));
  auto part = [&](size_t i) { return i < parts.size() ? parts[i] : absl::string_view(); };
  absl::string_view code = part(0);
  if (code == "NOT_FOUND") return NotFoundError(part(1), part(2));
  if (code == "ABORTED") return StaleEtagError(part(1), part(2));
  if (code == "ALREADY_EXISTS") return AlreadyExistsError(part(1), part(2));
  if (code == "FAILED_PRECONDITION") return PreconditionError(part(1), part(2));
  if (code == "INVALID_ARGUMENT") return InvalidField(part(1), part(2));
  if (code == "PERMISSION_DENIED") return Forbidden(error.substr(code.size() + 1));
  // A cluster redirect that reached this far (a blocking read's, or the last of too many) is an
  // outage for the caller too: its command did not run.
  // OOM: Redis at maxmemory refuses writes until memory is freed; a condition of the store that
  // passes, not a fault of the request (a change being fanned out stays to be read again).
  if (code == "OOM" || code == "LOADING" || code == "BUSY" || code == "MASTERDOWN" ||
      code == "TRYAGAIN" || code == "CLUSTERDOWN" || code == "READONLY" || code == "NOREPLICAS" ||
      code == "NOT_REPLICATED" || code == "MOVED" || code == "ASK")
    return StoreUnavailable(absl::StrCat("redis: ", error));
  return absl::InternalError(absl::StrCat("redis: ", error));
}

// ---- where connections go ---------------------------------------------------------------------

absl::StatusOr<RedisValue> RedisAskOnce(const std::string& host, int port,
                                        const std::string& password, const RedisArgs& command,
                                        std::chrono::milliseconds timeout) {
  redisContext* ctx = redisConnectWithTimeout(host.c_str(), port, ToTimeval(timeout));
  if (ctx == nullptr || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
    return StoreUnavailable(absl::StrCat(host, ":", port, ": ", why));
  }
  redisSetTimeout(ctx, ToTimeval(timeout));
  auto ask = [&](const RedisArgs& args) -> absl::StatusOr<RedisValue> {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(args.size()), argv.data(), lens.data()));
    if (reply == nullptr) return StoreUnavailable(absl::StrCat(host, ":", port, ": ", ctx->errstr));
    RedisValue value = Convert(reply);
    freeReplyObject(reply);
    return value;
  };
  absl::StatusOr<RedisValue> value = RedisValue();
  if (!password.empty()) {
    value = ask({"AUTH", password});
    if (value.ok() && value->type == RedisValue::Type::kError)
      value = StoreUnavailable(absl::StrCat(host, ":", port, " refused AUTH: ", value->str));
  }
  if (value.ok()) value = ask(command);
  redisFree(ctx);
  return value;
}

namespace {

// Commands that write nothing: a batch of only these needs no WAIT for replicas, and may be sent
// again after its connection broke.
bool WritesNothing(const std::vector<RedisArgs>& commands) {
  static const std::set<std::string, std::less<>> kNoWrites = {
      "FCALL_RO",    "GET",       "MGET",   "EXISTS", "TTL",       "PTTL",
      "HGET",        "HGETALL",   "HMGET",  "HLEN",   "ZRANGE",    "ZRANGEBYSCORE",
      "ZRANGEBYLEX", "ZCARD",     "ZCOUNT", "ZSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE",
      "SMEMBERS",    "SISMEMBER", "SCARD",  "XRANGE", "XREVRANGE", "XREAD",
      "XLEN",        "XINFO",     "PING",   "TIME",   "ROLE",      "INFO",
      "SCAN",        "TYPE",      "AUTH",   "SELECT", "CLIENT",    "WAIT",
      "ASKING",      "CLUSTER",   "LRANGE", "HVALS",  "HEXISTS",   "STRLEN"};
  for (const auto& command : commands)
    if (command.empty() || kNoWrites.count(absl::AsciiStrToUpper(command[0])) == 0) return false;
  return true;
}

bool IsFunctionCall(const RedisArgs& command) {
  return !command.empty() && absl::StartsWithIgnoreCase(command[0], "FCALL");
}

bool FunctionNotFound(const RedisValue& reply) {
  return reply.type == RedisValue::Type::kError &&
         absl::StrContains(reply.str, "Function not found");
}

std::string NameOf(const std::string& host, int port) { return absl::StrCat(host, ":", port); }

}  // namespace

RedisTarget::RedisTarget(const RedisConfig& config, RedisAddress address)
    : config_(config), address_(std::move(address)) {
  auto sentinels = ParseHostPorts(config.sentinels);
  if (sentinels.ok()) sentinels_ = *sentinels;  // validated with the configuration
  if (via_sentinel()) watcher_ = std::thread([this] { WatchSentinels(); });
}

RedisTarget::RedisTarget(const RedisConfig& config, RedisAddress address,
                         std::shared_ptr<RedisSlotMap> slots, int slot)
    : config_(config), address_(std::move(address)), slots_(std::move(slots)), slot_(slot) {}

RedisTarget::~RedisTarget() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
}

uint64_t RedisTarget::generation() const {
  const uint64_t own = generation_.load(std::memory_order_acquire);
  return slots_ ? own + slots_->generation() : own;
}

void RedisTarget::PrimaryChanged() {
  generation_.fetch_add(1, std::memory_order_acq_rel);
  if (slots_) slots_->RequestRefresh();
}

void RedisTarget::Noticed(const RedisValue& error_reply, absl::string_view asked) {
  if (absl::StartsWith(error_reply.str, "READONLY")) return PrimaryChanged();
  if (!slots_) return;
  const RedisRedirect redirect = RedirectOf(error_reply, asked);
  if (redirect.kind == RedisRedirect::Kind::kMoved) {
    slots_->Moved(redirect.slot, redirect.node);
  } else if (redirect.kind == RedisRedirect::Kind::kLookAgain) {
    slots_->RequestRefresh();
  }
}

void RedisTarget::DialFailed() {
  if (slots_) slots_->RequestRefresh();
}

absl::StatusOr<RedisAddress> RedisTarget::Primary() const {
  if (slots_) {
    auto node = slots_->PrimaryOf(slot_);
    if (!node.ok()) return node.status();
    auto parsed = ParseHostPorts(*node);
    if (!parsed.ok() || parsed->size() != 1) return StoreUnavailable("redis cluster: bad address");
    RedisAddress primary = address_;
    primary.host = parsed->front().first;
    primary.port = parsed->front().second;
    return primary;
  }
  if (!via_sentinel()) return address_;
  const auto timeout = std::chrono::milliseconds(config_.connect_timeout_ms);
  std::string failures;
  for (const auto& [host, port] : sentinels_) {
    auto reply = RedisAskOnce(
        host, port, "", {"SENTINEL", "get-master-addr-by-name", config_.sentinel_master}, timeout);
    int primary_port = 0;
    if (reply.ok() && reply->is_array() && reply->elements.size() == 2 &&
        absl::SimpleAtoi(reply->elements[1].str, &primary_port)) {
      RedisAddress primary = address_;
      primary.host = reply->elements[0].str;
      primary.port = primary_port;
      return primary;
    }
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", host, ":", port, " ",
                    reply.ok() ? "does not know the primary" : reply.status().message());
  }
  return StoreUnavailable(
      absl::StrCat("no Sentinel names the primary '", config_.sentinel_master, "': ", failures));
}
void RedisTarget::WatchSentinels() {
  // One subscription at a time, to the next Sentinel when one fails; every message that names our
  // primary makes every connection re-dial. Polls with a timeout so that it stops promptly.
  for (size_t next = 0; !stop_; ++next) {
    const auto& [host, port] = sentinels_[next % sentinels_.size()];
    redisContext* ctx = redisConnectWithTimeout(
        host.c_str(), port, ToTimeval(std::chrono::milliseconds(config_.connect_timeout_ms)));
    if (ctx != nullptr && !ctx->err) {
      redisAppendCommand(ctx, "SUBSCRIBE +switch-master");
      int done = 0;
      while (!done && redisBufferWrite(ctx, &done) == REDIS_OK) {
      }
      while (!stop_ && !ctx->err) {
        pollfd fd{ctx->fd, POLLIN, 0};
        const int ready = poll(&fd, 1, 200);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        if (redisBufferRead(ctx) != REDIS_OK) break;
        void* raw = nullptr;
        while (redisGetReplyFromReader(ctx, &raw) == REDIS_OK && raw != nullptr) {
          RedisValue message = Convert(static_cast<redisReply*>(raw));
          freeReplyObject(raw);
          raw = nullptr;
          // {"message", "+switch-master", "<name> <old ip> <old port> <new ip> <new port>"}
          if (message.is_array() && message.elements.size() == 3 &&
              message.elements[0].str == "message" &&
              absl::StartsWith(message.elements[2].str, config_.sentinel_master + " ")) {
            logging::Info("redis primary switched", {{"sentinel", message.elements[2].str}});
            PrimaryChanged();
          }
        }
      }
    }
    if (ctx != nullptr) redisFree(ctx);
    for (int i = 0; i < 5 && !stop_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// ---- one connection ----------------------------------------------------------------------------

RedisConnection::RedisConnection(std::shared_ptr<RedisTarget> target,
                                 std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds command_timeout)
    : target_(std::move(target)),
      connect_timeout_(connect_timeout),
      command_timeout_(command_timeout) {}

RedisConnection::~RedisConnection() { Close(); }

void RedisConnection::Close() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

absl::Status RedisConnection::Connect() {
  Close();
  generation_ = target_->generation();  // before asking: a switch meanwhile makes it stale
  auto address = target_->Primary();
  if (!address.ok()) return address.status();
  address_ = NameOf(address->host, address->port);
  timeval tv = ToTimeval(connect_timeout_);
  redisContext* ctx = redisConnectWithTimeout(address->host.c_str(), address->port, tv);
  if (ctx == nullptr || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
    target_->DialFailed();
    return StoreUnavailable(
        absl::StrCat("redis unreachable at ", address->host, ":", address->port, ": ", why));
  }
  context_ = ctx;
  SetReadTimeout(command_timeout_);
  std::vector<RedisArgs> setup;
  if (!address->password.empty()) setup.push_back({"AUTH", address->password});
  if (address->db != 0) setup.push_back({"SELECT", std::to_string(address->db)});
  // What a Sentinel names may be a moment out of date: only a primary is used.
  if (target_->via_sentinel()) setup.push_back({"ROLE"});
  if (!setup.empty()) {
    auto replies = Run(setup);
    if (!replies.ok()) return replies.status();
    for (const auto& r : *replies)
      if (r.type == RedisValue::Type::kError) {
        Close();
        return StoreUnavailable(absl::StrCat("redis rejected the connection: ", r.str));
      }
    if (target_->via_sentinel()) {
      const auto& role = replies->back();
      if (!role.is_array() || role.elements.empty() || role.elements[0].str != "master") {
        Close();
        return StoreUnavailable(absl::StrCat("redis at ", address->host, ":", address->port,
                                             " is not the primary (a failover is under way)"));
      }
    }
  }
  return absl::OkStatus();
}

void RedisConnection::CloseIfStale() {
  if (context_ != nullptr && (generation_ != target_->generation() || PeerClosed())) Close();
}

void RedisConnection::SetReadTimeout(std::chrono::milliseconds timeout) {
  if (context_ != nullptr) redisSetTimeout(context_, ToTimeval(timeout));
}

bool RedisConnection::PeerClosed() const {
  char byte;
  const ssize_t n = recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void RedisConnection::Notice(const RedisValue& reply) {
  if (reply.type != RedisValue::Type::kError) return;
  if (absl::StartsWith(reply.str, "READONLY") || absl::StartsWith(reply.str, "MOVED ") ||
      absl::StartsWith(reply.str, "CLUSTERDOWN"))
    target_->Noticed(reply, address_);
}

absl::StatusOr<std::vector<RedisValue>> RedisConnection::Run(const std::vector<RedisArgs>& commands,
                                                             bool* sent) {
  if (sent != nullptr) *sent = false;
  // A connection Redis closed while it was idle (a restart, its idle timeout), or to a primary
  // that may no longer be one, is dialled again before anything is sent on it: nothing was sent,
  // so nothing can have happened twice.
  CloseIfStale();
  if (context_ == nullptr) {
    if (auto status = Connect(); !status.ok()) return status;
  }
  for (const auto& args : commands)
    if (auto appended = Append(args); !appended.ok()) return appended;
  // Durability: the batch's writes are answered only once enough replicas have them.
  const bool wait = target_->wait_replicas() > 0 && !WritesNothing(commands);
  if (wait) {
    if (auto appended = Append({"WAIT", std::to_string(target_->wait_replicas()),
                                std::to_string(target_->wait_timeout_ms())});
        !appended.ok())
      return appended;
    SetReadTimeout(command_timeout_ + std::chrono::milliseconds(target_->wait_timeout_ms()));
  }
  if (sent != nullptr) *sent = true;  // the first read writes the buffered commands
  std::vector<RedisValue> replies;
  replies.reserve(commands.size() + 1);
  bool readonly = false;
  for (size_t i = 0; i < commands.size() + (wait ? 1 : 0); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      std::string why = context_->errstr;
      Close();
      return StoreUnavailable(absl::StrCat("redis read failed: ", why));
    }
    replies.push_back(Convert(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
    Notice(replies.back());
    readonly = readonly || (replies.back().type == RedisValue::Type::kError &&
                            absl::StartsWith(replies.back().str, "READONLY"));
  }
  if (readonly) Close();  // a primary turned replica (the write was not applied): dial the new one
  if (wait) {
    SetReadTimeout(command_timeout_);
    const RedisValue acked = std::move(replies.back());
    replies.pop_back();
    if (acked.type != RedisValue::Type::kInteger || acked.integer < target_->wait_replicas())
      return StoreUnavailable(
          absl::StrCat("the write reached Redis but ", acked.integer, " of ",
                       target_->wait_replicas(), " replicas confirmed it within ",
                       target_->wait_timeout_ms(), " ms; retry with the same request_id"));
  }
  return replies;
}

absl::Status RedisConnection::Append(const RedisArgs& command) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(command.size());
  lens.reserve(command.size());
  for (const auto& a : command) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(command.size()), argv.data(),
                             lens.data()) != REDIS_OK) {
    std::string why = context_->errstr;
    Close();
    return StoreUnavailable(absl::StrCat("redis write failed: ", why));
  }
  return absl::OkStatus();
}

absl::Status RedisConnection::Send(const RedisArgs& command) {
  CloseIfStale();
  if (context_ == nullptr) {
    if (auto status = Connect(); !status.ok()) return status;
  }
  if (auto appended = Append(command); !appended.ok()) return appended;
  int done = 0;
  while (!done)
    if (redisBufferWrite(context_, &done) != REDIS_OK) {
      std::string why = context_->errstr;
      Close();
      return StoreUnavailable(absl::StrCat("redis write failed: ", why));
    }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RedisValue>> RedisConnection::ReadAvailable() {
  if (context_ == nullptr) return StoreUnavailable("redis read failed: not connected");
  void* raw = nullptr;
  if (redisBufferRead(context_) != REDIS_OK ||
      redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
    std::string why = context_->errstr;
    Close();
    return StoreUnavailable(absl::StrCat("redis read failed: ", why));
  }
  if (raw == nullptr) return std::nullopt;  // not whole yet
  RedisValue value = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  Notice(value);
  return value;
}

int RedisConnection::fd() const { return context_ == nullptr ? -1 : context_->fd; }

// ---- batching ----------------------------------------------------------------------------------

RedisBatcher::RedisBatcher(std::unique_ptr<RedisConnection> connection)
    : connection_(std::move(connection)) {
  thread_ = std::thread([this] { Loop(); });
}

RedisBatcher::~RedisBatcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_.notify_all();
  thread_.join();
}

void RedisBatcher::Submit(RedisArgs command, Callback done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(command), std::move(done)});
  }
  work_.notify_one();
}

void RedisBatcher::Loop() {
  constexpr size_t kMaxBatch = 256;
  std::vector<Waiter> batch;
  std::vector<RedisArgs> commands;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nobody is waiting
      const size_t n = std::min(queue_.size(), kMaxBatch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    commands.clear();
    for (auto& w : batch) commands.push_back(std::move(w.command));
    bool sent = false;
    absl::Status connected = connection_->connected() ? absl::OkStatus() : connection_->Connect();
    auto replies = connected.ok() ? connection_->Run(commands, &sent)
                                  : absl::StatusOr<std::vector<RedisValue>>(connected);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (replies.ok() && i < replies->size()) {
        batch[i].done(std::move((*replies)[i]), true);
      } else {
        batch[i].done(replies.ok() ? StoreUnavailable("redis: short reply") : replies.status(),
                      sent);
      }
    }
    batch.clear();
  }
}

// ---- connections to one server -----------------------------------------------------------------

RedisNodePool::RedisNodePool(const RedisConfig& config, std::shared_ptr<RedisTarget> target,
                             std::string name)
    : config_(config), target_(std::move(target)), name_(std::move(name)) {}

RedisNodePool::~RedisNodePool() = default;

std::unique_ptr<RedisConnection> RedisNodePool::Dedicated() const {
  return std::make_unique<RedisConnection>(target_,
                                           std::chrono::milliseconds(config_.connect_timeout_ms),
                                           std::chrono::milliseconds(config_.command_timeout_ms));
}

int RedisNodePool::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

absl::StatusOr<std::vector<RedisValue>> RedisNodePool::Run(const std::vector<RedisArgs>& commands,
                                                           bool* sent) {
  if (sent != nullptr) *sent = false;
  const auto wait_limit = std::chrono::milliseconds(config_.command_timeout_ms);
  std::unique_ptr<RedisConnection> conn;
  bool probe = false;
  {
    std::unique_lock lock(mutex_);
    if (!available_.wait_for(lock, wait_limit, [&] {
          return !idle_.empty() || in_use_ + static_cast<int>(idle_.size()) < config_.pool_size;
        })) {
      errors_++;
      return StoreUnavailable("redis pool exhausted");
    }
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
    ++in_use_;
    // While Redis is down one call at a time dials (the probe) and the others wait for its
    // answer: a down Redis is not dialled by every call, and a call that arrives after Redis is
    // back is never refused because of a probe that started before it did. A call fails fast only
    // when a probe that started after it arrived found Redis still down.
    const auto arrived = std::chrono::steady_clock::now();
    auto refuse = [&]() -> absl::Status {
      --in_use_;
      if (conn) idle_.push_back(std::move(conn));
      available_.notify_one();
      errors_++;
      return StoreUnavailable("redis unreachable (reconnecting)");
    };
    while ((conn == nullptr || !conn->connected()) &&
           std::chrono::steady_clock::now() < next_dial_) {
      if (!probing_) {
        if (probe_started_ >= arrived) return refuse();
        probing_ = probe = true;
        probe_started_ = std::chrono::steady_clock::now();
        break;
      }
      if (!probe_done_.wait_until(lock, arrived + wait_limit, [&] { return !probing_; })) {
        return refuse();
      }
    }
  }
  if (conn == nullptr) conn = Dedicated();
  bool was_connected = conn->connected();
  auto result = conn->Run(commands, sent);
  {
    std::lock_guard lock(mutex_);
    --in_use_;
    if (probe) {
      probing_ = false;
      probe_done_.notify_all();
    }
    if (!result.ok() && !conn->connected()) {
      errors_++;
      needs_function_load_ = true;
      if (!was_connected) {
        backoff_ = std::min(std::chrono::milliseconds(2000),
                            std::max(std::chrono::milliseconds(50), backoff_ * 2));
        next_dial_ = std::chrono::steady_clock::now() + backoff_;
      }
    } else {
      backoff_ = std::chrono::milliseconds(0);
      next_dial_ = {};
      idle_.push_back(std::move(conn));
    }
  }
  available_.notify_one();
  return result;
}

RedisBatcher& RedisNodePool::batcher() {
  constexpr int kBatchers = 2;
  std::call_once(batcher_once_, [this] {
    for (int i = 0; i < kBatchers; ++i)
      batchers_.push_back(std::make_unique<RedisBatcher>(Dedicated()));
  });
  return *batchers_[next_batcher_.fetch_add(1, std::memory_order_relaxed) % batchers_.size()];
}

absl::Status RedisNodePool::LoadFunctions(const std::vector<std::string>& libraries) {
  for (const auto& source : libraries) {
    auto reply = Run({{"FUNCTION", "LOAD", "REPLACE", source}});
    if (!reply.ok()) return reply.status();
    if (reply->front().type == RedisValue::Type::kError)
      return absl::InternalError(absl::StrCat("FUNCTION LOAD failed: ", reply->front().str));
  }
  needs_function_load_ = false;
  return absl::OkStatus();
}

// ---- the pool ----------------------------------------------------------------------------------

namespace {

constexpr int kMaxClusterAttempts = 16;
constexpr std::chrono::milliseconds kFirstBackoff(10);
constexpr std::chrono::milliseconds kLongestBackoff(320);

}  // namespace

struct RedisPool::AsyncCall {
  RedisArgs command;
  std::function<void(absl::StatusOr<RedisValue>)> done;
  std::chrono::steady_clock::time_point deadline;
  int attempts = 0;
  bool reloaded = false;  // the functions were loaded again once for it
  std::chrono::milliseconds backoff = kFirstBackoff;
};

absl::StatusOr<std::unique_ptr<RedisPool>> RedisPool::Create(const RedisConfig& config) {
  auto address = ParseRedisUrl(config.url);
  if (!address.ok()) return address.status();
  if (auto sentinels = ParseHostPorts(config.sentinels); !sentinels.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("redis.sentinels: ", sentinels.status().message()));
  if (auto nodes = ParseHostPorts(config.cluster_nodes); !nodes.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("redis.cluster_nodes: ", nodes.status().message()));
  return std::unique_ptr<RedisPool>(new RedisPool(config, *address));
}

RedisPool::RedisPool(const RedisConfig& config, RedisAddress address)
    : config_(config), address_(std::move(address)), prefix_(config.key_prefix) {
  if (config_.cluster_nodes.empty()) {
    single_ = std::make_unique<RedisNodePool>(config_,
                                              std::make_shared<RedisTarget>(config_, address_), "");
    return;
  }
  std::vector<std::string> seeds;
  const auto nodes = ParseHostPorts(config_.cluster_nodes);  // checked by Create
  for (const auto& [host, port] : *nodes) seeds.push_back(NameOf(host, port));
  slots_ = std::make_shared<RedisSlotMap>(std::move(seeds), address_.password,
                                          std::chrono::milliseconds(config_.connect_timeout_ms),
                                          std::chrono::milliseconds(config_.cluster_refresh_ms));
  retry_thread_ = std::thread([this] { RetryLoop(); });
  // A primary that appears (a failover, a node added) gets the functions before calls need them.
  slots_->Start(
      [this, failing = std::set<std::string>()](const std::vector<std::string>& primaries) mutable {
        for (const auto& primary : primaries) {
          RedisNodePool& node = Node(primary);
          if (!node.needs_functions()) continue;
          const absl::Status loaded = LoadFunctionsOn(node);
          if (loaded.ok() && failing.erase(primary) > 0)
            logging::Info("redis cluster: functions loaded", {{"node", primary}});
          if (!loaded.ok() && failing.insert(primary).second)
            logging::Warn("redis cluster: functions not loaded (trying again with every refresh)",
                          {{"node", primary}, {"error", std::string(loaded.message())}});
        }
      });
}

RedisPool::~RedisPool() {
  if (slots_) slots_->Stop();
  {
    std::lock_guard lock(retry_mutex_);
    stopping_ = true;
  }
  retry_cv_.notify_all();
  if (retry_thread_.joinable()) retry_thread_.join();
  // The nodes (and their batchers) go after this: a batcher's last replies find the pool stopping
  // and are answered UNAVAILABLE rather than retried.
}

std::unique_ptr<RedisConnection> RedisPool::Dedicated(absl::string_view key) const {
  if (!slots_) return single_->Dedicated();
  return std::make_unique<RedisConnection>(
      std::make_shared<RedisTarget>(config_, address_, slots_, RedisKeySlot(key)),
      std::chrono::milliseconds(config_.connect_timeout_ms),
      std::chrono::milliseconds(config_.command_timeout_ms));
}

absl::StatusOr<std::vector<RedisValue>> RedisPool::Pipeline(
    const std::vector<RedisArgs>& commands) {
  if (slots_) return RunInCluster(commands);
  return single_->Run(commands);
}

absl::StatusOr<RedisValue> RedisPool::CheckReply(absl::StatusOr<RedisValue> reply,
                                                 absl::string_view command) {
  if (!reply.ok()) return reply.status();
  if (reply->type == RedisValue::Type::kError) {
    absl::Status status = StatusFromRedisError(reply->str);
    if (status.code() == absl::StatusCode::kInternal) {
      errors_++;
      logging::Error("redis command failed",
                     {{"command", std::string(command)}, {"error", reply->str}});
    }
    return status;
  }
  return reply;
}

absl::StatusOr<RedisValue> RedisPool::Command(const RedisArgs& args) {
  auto replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  return CheckReply(std::move(replies->front()), args.empty() ? "" : args[0]);
}

RedisArgs RedisPool::FCallCommand(absl::string_view function, const RedisArgs& keys,
                                  const RedisArgs& args) const {
  RedisArgs command;
  command.reserve(3 + keys.size() + args.size());
  {
    std::lock_guard lock(functions_mutex_);
    command.push_back(read_only_functions_.count(std::string(function)) > 0 ? "FCALL_RO" : "FCALL");
  }
  command.emplace_back(function);
  command.push_back(std::to_string(keys.size()));
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

absl::StatusOr<RedisValue> RedisPool::FCall(absl::string_view function, const RedisArgs& keys,
                                            const RedisArgs& args) {
  const RedisArgs command = FCallCommand(function, keys, args);
  if (slots_) return Command(command);  // RunInCluster loads the functions where they are missing
  if (auto loaded = EnsureFunctions(); !loaded.ok()) return loaded;
  auto result = Command(command);
  if (!result.ok() && absl::StrContains(result.status().message(), "Function not found")) {
    if (auto loaded = LoadFunctions(); !loaded.ok()) return loaded;
    result = Command(command);
  }
  return result;
}

absl::StatusOr<RedisValue> RedisPool::FCallBatched(absl::string_view function,
                                                   const RedisArgs& keys, const RedisArgs& args) {
  std::promise<absl::StatusOr<RedisValue>> reply;
  auto result = reply.get_future();
  FCallAsync(function, keys, args,
             [&reply](absl::StatusOr<RedisValue> value) { reply.set_value(std::move(value)); });
  return result.get();
}

void RedisPool::FCallAsync(absl::string_view function, const RedisArgs& keys, const RedisArgs& args,
                           std::function<void(absl::StatusOr<RedisValue>)> done) {
  RedisArgs command = FCallCommand(function, keys, args);
  if (slots_) {
    auto call = std::make_shared<AsyncCall>();
    call->command = std::move(command);
    call->done = std::move(done);
    call->deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.command_timeout_ms);
    return SubmitInCluster(std::move(call));
  }
  if (auto loaded = EnsureFunctions(); !loaded.ok()) return done(loaded);
  single_->batcher().Submit(
      command, [this, command, done = std::move(done)](absl::StatusOr<RedisValue> reply, bool) {
        auto result = CheckReply(std::move(reply), "FCALL");
        if (!result.ok() && absl::StrContains(result.status().message(), "Function not found")) {
          // Redis lost the functions (a restart without persistence): load them and retry once,
          // synchronously on a pooled connection; rare, so the batcher may wait for it.
          auto loaded = LoadFunctions();
          result = loaded.ok() ? Command(command) : absl::StatusOr<RedisValue>(loaded);
        }
        done(std::move(result));
      });
}

void RedisPool::AddFunctionLibrary(std::string source) {
  {
    std::lock_guard lock(functions_mutex_);
    if (std::find(libraries_.begin(), libraries_.end(), source) != libraries_.end())
      return;  // added already
    // Functions registered with the 'no-writes' flag are called with FCALL_RO, which tells a
    // batch of reads (no WAIT for replicas) from one that writes.
    static const std::regex kReadOnly(R"(register\('([a-z_0-9]+)', [a-z_0-9]+, \{'no-writes'\}\))");
    for (std::sregex_iterator it(source.begin(), source.end(), kReadOnly), end; it != end; ++it)
      read_only_functions_.insert(absl::StrCat((*it)[1].str(), kRedisFunctionVersion));
    libraries_.push_back(std::move(source));
  }
  if (single_) single_->FunctionsMayBeLost();
  std::lock_guard lock(nodes_mutex_);
  for (auto& [name, node] : nodes_) node->FunctionsMayBeLost();
}

std::vector<std::string> RedisPool::Libraries() const {
  std::lock_guard lock(functions_mutex_);
  return libraries_;
}

absl::Status RedisPool::LoadFunctionsOn(RedisNodePool& node) {
  return node.LoadFunctions(Libraries());
}

absl::Status RedisPool::LoadFunctions() {
  if (single_) return LoadFunctionsOn(*single_);
  if (!slots_->Complete()) {
    if (auto refreshed = slots_->Refresh(); !refreshed.ok()) return refreshed;
  }
  for (const auto& primary : slots_->Primaries())
    if (auto loaded = LoadFunctionsOn(Node(primary)); !loaded.ok()) return loaded;
  return absl::OkStatus();
}

absl::Status RedisPool::EnsureFunctions() {
  if (single_) return single_->needs_functions() ? LoadFunctionsOn(*single_) : absl::OkStatus();
  // In a cluster only where missing, and a primary that is down now does not fail calls that go
  // elsewhere: it gets them when it answers again (health, the map refresh, or a call's "Function
  // not found", which RunInCluster answers by loading them there).
  for (const auto& primary : slots_->Primaries()) {
    RedisNodePool& node = Node(primary);
    if (node.needs_functions()) LoadFunctionsOn(node).IgnoreError();
  }
  return absl::OkStatus();
}

bool RedisPool::CheckHealth() {
  if (single_) {
    auto reply = single_->Run({{"PING"}});
    if (!reply.ok()) return false;
    if (single_->needs_functions()) {
      if (auto status = LoadFunctionsOn(*single_); !status.ok()) {
        logging::Error("loading redis functions failed",
                       {{"error", std::string(status.message())}});
        return false;
      }
    }
    return true;
  }
  // Every slot has a primary that answers and has our functions.
  if (!slots_->Complete() && !slots_->Refresh().ok()) return false;
  if (!slots_->Complete()) return false;
  bool healthy = true;
  for (const auto& primary : slots_->Primaries()) {
    RedisNodePool& node = Node(primary);
    auto reply = node.Run({{"PING"}});
    if (!reply.ok() || reply->front().type == RedisValue::Type::kError) {
      healthy = false;
      continue;
    }
    if (node.needs_functions()) {
      if (auto status = LoadFunctionsOn(node); !status.ok()) {
        logging::Error("loading redis functions failed",
                       {{"node", primary}, {"error", std::string(status.message())}});
        healthy = false;
      }
    }
  }
  return healthy;
}

RedisPoolStats RedisPool::Stats() const {
  if (single_)
    return RedisPoolStats{config_.pool_size, single_->in_use(), errors_.load() + single_->errors()};
  RedisPoolStats stats{0, 0, errors_.load(), moved_.load(), asked_.load(), retried_.load()};
  std::lock_guard lock(nodes_mutex_);
  for (const auto& [name, node] : nodes_) {
    stats.size += config_.pool_size;
    stats.in_use += node->in_use();
    stats.errors += node->errors();
  }
  return stats;
}

// ---- Redis Cluster -----------------------------------------------------------------------------

RedisNodePool& RedisPool::Node(const std::string& address) {
  std::lock_guard lock(nodes_mutex_);
  auto& node = nodes_[address];
  if (!node) {
    RedisAddress target = address_;
    if (auto parsed = ParseHostPorts(address); parsed.ok() && parsed->size() == 1) {
      target.host = parsed->front().first;
      target.port = parsed->front().second;
    }
    RedisConfig config = config_;
    config.sentinels.clear();
    node = std::make_unique<RedisNodePool>(
        config, std::make_shared<RedisTarget>(config, std::move(target)), address);
  }
  return *node;
}

absl::StatusOr<RedisNodePool*> RedisPool::PrimaryOf(const RedisArgs& command) {
  const std::optional<absl::string_view> key = RoutingKey(command);
  if (key) {
    auto primary = slots_->PrimaryOf(RedisKeySlot(*key));
    if (!primary.ok()) return primary.status();
    return &Node(*primary);
  }
  std::vector<std::string> primaries = slots_->Primaries();
  if (primaries.empty()) {
    if (auto refreshed = slots_->Refresh(); !refreshed.ok()) return refreshed;
    primaries = slots_->Primaries();
  }
  if (primaries.empty()) return StoreUnavailable("redis cluster: no primary known");
  return &Node(primaries.front());
}

absl::StatusOr<std::vector<RedisValue>> RedisPool::RunInCluster(
    const std::vector<RedisArgs>& commands) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(config_.command_timeout_ms);
  std::vector<RedisValue> replies(commands.size());
  std::vector<size_t> pending(commands.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  std::map<size_t, std::string> asked;  // command → the node an ASK named, for one attempt
  std::set<RedisNodePool*> reloaded;    // nodes that were given the functions again
  auto backoff = kFirstBackoff;
  absl::Status failure;
  for (int attempt = 1;; ++attempt) {
    const auto started = Clock::now();
    bool wait = false, look_again = false;
    std::vector<size_t> again;
    std::map<size_t, std::string> ask_next;
    std::map<RedisNodePool*, std::vector<size_t>> groups;
    for (size_t i : pending) {
      if (auto it = asked.find(i); it != asked.end()) {
        groups[&Node(it->second)].push_back(i);
        continue;
      }
      auto node = PrimaryOf(commands[i]);
      if (!node.ok()) {
        failure = node.status();
        wait = look_again = true;
        again.push_back(i);
        continue;
      }
      groups[*node].push_back(i);
    }
    for (auto& [node, indices] : groups) {
      std::vector<RedisArgs> batch, plain;
      for (size_t i : indices) {
        if (asked.count(i)) batch.push_back({"ASKING"});
        batch.push_back(commands[i]);
        plain.push_back(commands[i]);
      }
      bool sent = false;
      auto result = node->Run(batch, &sent);
      if (!result.ok()) {
        // A write that may have run is not sent twice: the caller retries with its request id.
        if (sent && !WritesNothing(plain)) return result.status();
        failure = result.status();
        wait = look_again = true;
        retried_ += static_cast<long long>(indices.size());
        again.insert(again.end(), indices.begin(), indices.end());
        continue;
      }
      size_t r = 0;
      for (size_t i : indices) {
        if (asked.count(i)) ++r;  // ASKING's OK
        RedisValue& reply = (*result)[r++];
        const RedisRedirect redirect = RedirectOf(reply, node->name());
        if (redirect.kind == RedisRedirect::Kind::kNone) {
          if (FunctionNotFound(reply) && reloaded.insert(node).second) {
            // The node lost them or never had them (a primary that appeared since): load, retry.
            if (auto loaded = LoadFunctionsOn(*node); !loaded.ok()) return loaded;
            again.push_back(i);
            continue;
          }
          replies[i] = std::move(reply);
          continue;
        }
        failure = StoreUnavailable(absl::StrCat("redis cluster: ", reply.str));
        again.push_back(i);
        switch (redirect.kind) {
          case RedisRedirect::Kind::kMoved:
            moved_++;
            slots_->Moved(redirect.slot, redirect.node);
            break;
          case RedisRedirect::Kind::kAsk:
            // A function reads keys it derives from `base`, which Redis cannot see in KEYS: on a
            // node importing the slot it could run over half-moved data. It waits for the slot to
            // finish moving instead (docs/DECISIONS.md, "Functions wait out a slot migration").
            if (IsFunctionCall(commands[i])) {
              retried_++;
              wait = true;
            } else {
              asked_++;
              ask_next[i] = redirect.node;
            }
            break;
          case RedisRedirect::Kind::kTryLater:
            retried_++;
            wait = true;
            break;
          case RedisRedirect::Kind::kLookAgain:
            retried_++;
            wait = look_again = true;
            break;
          case RedisRedirect::Kind::kNone:
            break;
        }
      }
    }
    if (again.empty()) return replies;
    const auto now = Clock::now();
    if (attempt >= kMaxClusterAttempts ||
        now + (wait ? backoff : std::chrono::milliseconds(0)) >= deadline) {
      errors_++;
      return StoreUnavailable(
          absl::StrCat(failure.message(), " (still so after ", attempt, " attempts)"));
    }
    if (look_again) slots_->Refresh(started).IgnoreError();  // a failure shows on the next try
    if (wait) {
      std::this_thread::sleep_for(backoff);
      backoff = std::min(kLongestBackoff, backoff * 2);
    }
    std::sort(again.begin(), again.end());
    pending = std::move(again);
    asked = std::move(ask_next);
  }
}

void RedisPool::SubmitInCluster(std::shared_ptr<AsyncCall> call) {
  auto node = PrimaryOf(call->command);
  if (!node.ok()) return OnClusterReply(std::move(call), nullptr, node.status(), false);
  RedisNodePool* target = *node;
  target->batcher().Submit(call->command,
                           [this, call, target](absl::StatusOr<RedisValue> reply, bool sent) {
                             OnClusterReply(call, target, std::move(reply), sent);
                           });
}

void RedisPool::OnClusterReply(std::shared_ptr<AsyncCall> call, RedisNodePool* node,
                               absl::StatusOr<RedisValue> reply, bool sent) {
  const auto now = std::chrono::steady_clock::now();
  ++call->attempts;
  bool look_again = false;
  auto delay = std::chrono::milliseconds(0);
  std::string failure;
  if (!reply.ok()) {
    if (sent && !WritesNothing({call->command})) return call->done(reply.status());
    if (node != nullptr) node->FunctionsMayBeLost();
    failure = std::string(reply.status().message());
    retried_++;
    look_again = true;
    delay = call->backoff;
  } else {
    const RedisRedirect redirect = RedirectOf(*reply, node->name());
    switch (redirect.kind) {
      case RedisRedirect::Kind::kNone:
        if (FunctionNotFound(*reply) && !call->reloaded) {
          call->reloaded = true;
          return Later(now, [this, call, node](bool stopping) {
            if (stopping) return call->done(StoreUnavailable("redis: shutting down"));
            if (auto loaded = LoadFunctionsOn(*node); !loaded.ok()) return call->done(loaded);
            SubmitInCluster(call);
          });
        }
        return call->done(CheckReply(std::move(reply), "FCALL"));
      case RedisRedirect::Kind::kMoved:
        moved_++;
        slots_->Moved(redirect.slot, redirect.node);
        break;
      case RedisRedirect::Kind::kAsk:  // a function waits the migration out (RunInCluster)
      case RedisRedirect::Kind::kTryLater:
        retried_++;
        delay = call->backoff;
        break;
      case RedisRedirect::Kind::kLookAgain:
        retried_++;
        look_again = true;
        delay = call->backoff;
        break;
    }
    failure = absl::StrCat("redis cluster: ", reply->str);
  }
  if (call->attempts >= kMaxClusterAttempts || now + delay >= call->deadline) {
    errors_++;
    return call->done(
        StoreUnavailable(absl::StrCat(failure, " (still so after ", call->attempts, " attempts)")));
  }
  if (delay.count() > 0) call->backoff = std::min(kLongestBackoff, call->backoff * 2);
  if (look_again) slots_->RequestRefresh();
  // Through the retry thread even without a delay: a batcher's thread does not wait on another.
  Later(now + delay, [this, call](bool stopping) {
    if (stopping) return call->done(StoreUnavailable("redis: shutting down"));
    SubmitInCluster(call);
  });
}

void RedisPool::Later(std::chrono::steady_clock::time_point due,
                      std::function<void(bool stopping)> task) {
  {
    std::lock_guard lock(retry_mutex_);
    if (!stopping_) {
      retries_.emplace(due, std::move(task));
      retry_cv_.notify_one();
      return;
    }
  }
  task(true);
}

void RedisPool::RetryLoop() {
  std::unique_lock lock(retry_mutex_);
  while (true) {
    if (stopping_) {
      auto left = std::move(retries_);
      retries_.clear();
      lock.unlock();
      for (auto& [due, task] : left) task(true);
      return;
    }
    if (retries_.empty()) {
      retry_cv_.wait(lock);
      continue;
    }
    auto first = retries_.begin();
    if (first->first > std::chrono::steady_clock::now()) {
      retry_cv_.wait_until(lock, first->first);
      continue;
    }
    auto task = std::move(first->second);
    retries_.erase(first);
    lock.unlock();
    task(false);
    lock.lock();
  }
}

}  // namespace infrashare
