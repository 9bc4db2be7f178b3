#include "services/common/redis.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <future>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "services/common/logging.h"

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
      code == "CLUSTERDOWN")
    return StoreUnavailable(absl::StrCat("redis: ", error));
  return absl::InternalError(absl::StrCat("redis: ", error));
}

RedisConnection::RedisConnection(RedisAddress address, std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds command_timeout)
    : address_(std::move(address)),
      connect_timeout_(connect_timeout),
      command_timeout_(command_timeout) {}

RedisConnection::~RedisConnection() { Close(); }

void RedisConnection::Close() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

absl::Status RedisConnection::Connect() {
  Close();
  timeval tv = ToTimeval(connect_timeout_);
  redisContext* ctx = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
  if (ctx == nullptr || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
    return StoreUnavailable(
        absl::StrCat("redis unreachable at ", address_.host, ":", address_.port, ": ", why));
  }
  context_ = ctx;
  SetReadTimeout(command_timeout_);
  std::vector<RedisArgs> setup;
  if (!address_.password.empty()) setup.push_back({"AUTH", address_.password});
  if (address_.db != 0) setup.push_back({"SELECT", std::to_string(address_.db)});
  if (!setup.empty()) {
    auto replies = Run(setup);
    if (!replies.ok()) return replies.status();
    for (const auto& r : *replies)
      if (r.type == RedisValue::Type::kError) {
        Close();
        return StoreUnavailable(absl::StrCat("redis rejected the connection: ", r.str));
      }
  }
  return absl::OkStatus();
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
  // A connection Redis closed while it was idle (a restart, its idle timeout) is dialled again
  // before anything is sent on it: nothing was sent, so nothing can have happened twice.
  if (context_ != nullptr && PeerClosed()) Close();
  if (context_ == nullptr) {
    if (auto status = Connect(); !status.ok()) return status;
  }
  for (const auto& args : commands)
    if (auto appended = Append(args); !appended.ok()) return appended;
  std::vector<RedisValue> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      std::string why = context_->errstr;
      Close();
      return StoreUnavailable(absl::StrCat("redis read failed: ", why));
    }
    replies.push_back(Convert(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
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
  if (context_ != nullptr && PeerClosed()) Close();
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
  return std::unique_ptr<RedisPool>(new RedisPool(config, *address));
}

RedisPool::RedisPool(const RedisConfig& config, RedisAddress address)
    : config_(config), address_(std::move(address)), prefix_(config.key_prefix) {}

RedisPool::~RedisPool() = default;

std::unique_ptr<RedisConnection> RedisPool::Dedicated() const {
  return std::make_unique<RedisConnection>(address_,
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
                                  const RedisArgs& args) {
  RedisArgs command;
  command.reserve(3 + keys.size() + args.size());
  command.push_back("FCALL");
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
