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
#include "services/common/redis_function.h"

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
  if (code == "LOADING" || code == "BUSY" || code == "MASTERDOWN" || code == "TRYAGAIN" ||
      code == "CLUSTERDOWN" || code == "READONLY" || code == "NOREPLICAS" ||
      code == "NOT_REPLICATED")
    return StoreUnavailable(absl::StrCat("redis: ", error));
  return absl::InternalError(absl::StrCat("redis: ", error));
}

// ---- where connections go ---------------------------------------------------------------------

namespace {

// One short request to one Sentinel (or any Redis) on a connection of its own.
absl::StatusOr<RedisValue> AskOnce(const std::string& host, int port, const RedisArgs& command,
                                   std::chrono::milliseconds timeout) {
  redisContext* ctx = redisConnectWithTimeout(host.c_str(), port, ToTimeval(timeout));
  if (ctx == nullptr || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
    return StoreUnavailable(absl::StrCat(host, ":", port, ": ", why));
  }
  redisSetTimeout(ctx, ToTimeval(timeout));
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : command) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(command.size()), argv.data(), lens.data()));
  if (reply == nullptr) {
    std::string why = ctx->errstr;
    redisFree(ctx);
    return StoreUnavailable(absl::StrCat(host, ":", port, ": ", why));
  }
  RedisValue value = Convert(reply);
  freeReplyObject(reply);
  redisFree(ctx);
  return value;
}

// Commands that write nothing: a batch of only these needs no WAIT for replicas.
bool WritesNothing(const std::vector<RedisArgs>& commands) {
  static const std::set<std::string, std::less<>> kNoWrites = {
      "FCALL_RO",    "GET",       "MGET",   "EXISTS", "TTL",       "PTTL",
      "HGET",        "HGETALL",   "HMGET",  "HLEN",   "ZRANGE",    "ZRANGEBYSCORE",
      "ZRANGEBYLEX", "ZCARD",     "ZCOUNT", "ZSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE",
      "SMEMBERS",    "SISMEMBER", "SCARD",  "XRANGE", "XREVRANGE", "XREAD",
      "XLEN",        "XINFO",     "PING",   "TIME",   "ROLE",      "INFO",
      "SCAN",        "TYPE",      "AUTH",   "SELECT", "CLIENT",    "WAIT"};
  for (const auto& command : commands)
    if (command.empty() || kNoWrites.count(absl::AsciiStrToUpper(command[0])) == 0) return false;
  return true;
}

}  // namespace

RedisTarget::RedisTarget(const RedisConfig& config, RedisAddress address)
    : config_(config), address_(std::move(address)) {
  auto sentinels = ParseHostPorts(config.sentinels);
  if (sentinels.ok()) sentinels_ = *sentinels;  // validated with the configuration
  if (via_sentinel()) watcher_ = std::thread([this] { WatchSentinels(); });
}

RedisTarget::~RedisTarget() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
}

absl::StatusOr<RedisAddress> RedisTarget::Primary() const {
  if (!via_sentinel()) return address_;
  const auto timeout = std::chrono::milliseconds(config_.connect_timeout_ms);
  std::string failures;
  for (const auto& [host, port] : sentinels_) {
    auto reply = AskOnce(host, port,
                         {"SENTINEL", "get-master-addr-by-name", config_.sentinel_master}, timeout);
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
  timeval tv = ToTimeval(connect_timeout_);
  redisContext* ctx = redisConnectWithTimeout(address->host.c_str(), address->port, tv);
  if (ctx == nullptr || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
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

absl::StatusOr<std::vector<RedisValue>> RedisConnection::Run(
    const std::vector<RedisArgs>& commands) {
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
    readonly = readonly || (replies.back().type == RedisValue::Type::kError &&
                            absl::StartsWith(replies.back().str, "READONLY"));
  }
  if (readonly) {  // a primary turned replica: find the new one (the write was not applied)
    target_->PrimaryChanged();
    Close();
  }
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
  return value;
}

int RedisConnection::fd() const { return context_ == nullptr ? -1 : context_->fd; }

absl::StatusOr<std::unique_ptr<RedisPool>> RedisPool::Create(const RedisConfig& config) {
  auto address = ParseRedisUrl(config.url);
  if (!address.ok()) return address.status();
  if (auto sentinels = ParseHostPorts(config.sentinels); !sentinels.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("redis.sentinels: ", sentinels.status().message()));
  return std::unique_ptr<RedisPool>(
      new RedisPool(config, std::make_shared<RedisTarget>(config, *address)));
}

RedisPool::RedisPool(const RedisConfig& config, std::shared_ptr<RedisTarget> target)
    : config_(config), target_(std::move(target)), prefix_(config.key_prefix) {}

RedisPool::~RedisPool() = default;

std::unique_ptr<RedisConnection> RedisPool::Dedicated() const {
  return std::make_unique<RedisConnection>(target_,
                                           std::chrono::milliseconds(config_.connect_timeout_ms),
                                           std::chrono::milliseconds(config_.command_timeout_ms));
}

absl::StatusOr<std::vector<RedisValue>> RedisPool::RunOnPooled(
    const std::vector<RedisArgs>& commands) {
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
  auto result = conn->Run(commands);
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

absl::StatusOr<std::vector<RedisValue>> RedisPool::Pipeline(
    const std::vector<RedisArgs>& commands) {
  return RunOnPooled(commands);
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
  auto replies = RunOnPooled({args});
  if (!replies.ok()) return replies.status();
  return CheckReply(std::move(replies->front()), args.empty() ? "" : args[0]);
}

RedisArgs RedisPool::FCallCommand(absl::string_view function, const RedisArgs& keys,
                                  const RedisArgs& args) const {
  RedisArgs command;
  command.reserve(3 + keys.size() + args.size());
  {
    std::shared_lock lock(functions_mutex_);
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
  if (auto loaded = EnsureFunctions(); !loaded.ok()) return loaded;
  auto result = Command(command);
  if (!result.ok() && absl::StrContains(result.status().message(), "Function not found")) {
    if (auto loaded = LoadFunctions(); !loaded.ok()) return loaded;
    result = Command(command);
  }
  return result;
}

RedisBatcher& RedisPool::batcher() {
  constexpr int kBatchers = 2;
  std::call_once(batcher_once_, [this] {
    for (int i = 0; i < kBatchers; ++i) batchers_.push_back(std::make_unique<RedisBatcher>(*this));
  });
  return *batchers_[next_batcher_.fetch_add(1, std::memory_order_relaxed) % batchers_.size()];
}

absl::StatusOr<RedisValue> RedisPool::FCallBatched(absl::string_view function,
                                                   const RedisArgs& keys, const RedisArgs& args) {
  const RedisArgs command = FCallCommand(function, keys, args);
  if (auto loaded = EnsureFunctions(); !loaded.ok()) return loaded;
  auto result = CheckReply(batcher().Run(command), "FCALL");
  if (!result.ok() && absl::StrContains(result.status().message(), "Function not found")) {
    if (auto loaded = LoadFunctions(); !loaded.ok()) return loaded;
    result = CheckReply(batcher().Run(command), "FCALL");
  }
  return result;
}

void RedisPool::FCallAsync(absl::string_view function, const RedisArgs& keys, const RedisArgs& args,
                           std::function<void(absl::StatusOr<RedisValue>)> done) {
  RedisArgs command = FCallCommand(function, keys, args);
  if (auto loaded = EnsureFunctions(); !loaded.ok()) return done(loaded);
  batcher().Submit(
      command, [this, command, done = std::move(done)](absl::StatusOr<RedisValue> reply) {
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

RedisBatcher::RedisBatcher(const RedisPool& pool) : connection_(pool.Dedicated()) {
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

absl::StatusOr<RedisValue> RedisBatcher::Run(RedisArgs command) {
  std::promise<absl::StatusOr<RedisValue>> reply;
  auto result = reply.get_future();
  Submit(std::move(command),
         [&reply](absl::StatusOr<RedisValue> value) { reply.set_value(std::move(value)); });
  return result.get();
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
    absl::Status connected = connection_->connected() ? absl::OkStatus() : connection_->Connect();
    auto replies = connected.ok() ? connection_->Run(commands)
                                  : absl::StatusOr<std::vector<RedisValue>>(connected);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (replies.ok() && i < replies->size()) {
        batch[i].done(std::move((*replies)[i]));
      } else {
        batch[i].done(replies.ok() ? StoreUnavailable("redis: short reply") : replies.status());
      }
    }
    batch.clear();
  }
}

void RedisPool::AddFunctionLibrary(std::string source) {
  std::lock_guard lock(mutex_);
  if (std::find(libraries_.begin(), libraries_.end(), source) != libraries_.end())
    return;  // added already
  // Functions registered with the 'no-writes' flag are called with FCALL_RO, which tells a
  // batch of reads (no WAIT for replicas) from one that writes.
  static const std::regex kReadOnly(R"(register\('([a-z_0-9]+)', [a-z_0-9]+, \{'no-writes'\}\))");
  {
    std::unique_lock functions(functions_mutex_);
    for (std::sregex_iterator it(source.begin(), source.end(), kReadOnly), end; it != end; ++it)
      read_only_functions_.insert(absl::StrCat((*it)[1].str(), kRedisFunctionVersion));
  }
  libraries_.push_back(std::move(source));
  needs_function_load_ = true;
}

absl::Status RedisPool::LoadFunctions() {
  std::vector<std::string> libraries;
  {
    std::lock_guard lock(mutex_);
    libraries = libraries_;
  }
  for (const auto& source : libraries) {
    auto reply = RunOnPooled({{"FUNCTION", "LOAD", "REPLACE", source}});
    if (!reply.ok()) return reply.status();
    if (reply->front().type == RedisValue::Type::kError)
      return absl::InternalError(absl::StrCat("FUNCTION LOAD failed: ", reply->front().str));
  }
  needs_function_load_ = false;
  return absl::OkStatus();
}

absl::Status RedisPool::EnsureFunctions() {
  return needs_function_load_ ? LoadFunctions() : absl::OkStatus();
}

bool RedisPool::CheckHealth() {
  auto reply = RunOnPooled({{"PING"}});
  if (!reply.ok()) return false;
  if (needs_function_load_) {
    if (auto status = LoadFunctions(); !status.ok()) {
      logging::Error("loading redis functions failed", {{"error", std::string(status.message())}});
      return false;
    }
  }
  return true;
}

RedisPoolStats RedisPool::Stats() const {
  std::lock_guard lock(mutex_);
  return RedisPoolStats{config_.pool_size, in_use_, errors_.load()};
}

}  // namespace infrashare
