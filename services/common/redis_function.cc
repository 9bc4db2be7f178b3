#include "services/common/redis_function.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"

namespace infrashare {

RedisFunctionCall::RedisFunctionCall(absl::string_view function)
    : function_(absl::StrCat(function, kRedisFunctionVersion)) {}

RedisFunctionCall& RedisFunctionCall::Key(absl::string_view name, std::string key) {
  if (!keys_.empty()) args_[1].push_back(' ');
  args_[1].append(name.data(), name.size());
  keys_.push_back(std::move(key));
  return *this;
}

RedisFunctionCall& RedisFunctionCall::Arg(absl::string_view name, std::string value) {
  args_.emplace_back(name);
  args_.push_back(std::move(value));
  return *this;
}

RedisFunctionCall& RedisFunctionCall::Int(absl::string_view name, int64_t value) {
  return Arg(name, std::to_string(value));
}

RedisFunctionCall& RedisFunctionCall::Flag(absl::string_view name, bool value) {
  return Arg(name, value ? "1" : "0");
}

namespace {

// "<key>#<fingerprint>" split in two.
std::pair<absl::string_view, absl::string_view> SplitReplayKey(absl::string_view replay_key) {
  const size_t hash = replay_key.rfind('#');
  if (hash == absl::string_view::npos) return {replay_key, {}};
  return {replay_key.substr(0, hash), replay_key.substr(hash + 1)};
}

}  // namespace

RedisFunctionCall& RedisFunctionCall::Replay(absl::string_view replay_key, int64_t ttl_s) {
  auto [key, fingerprint] = SplitReplayKey(replay_key);
  if (!key.empty()) Key("replay", std::string(key));
  return Arg("fingerprint", std::string(fingerprint)).Int("replay_ttl", ttl_s);
}

absl::StatusOr<std::optional<std::string>> ReadReplay(RedisPool* redis,
                                                      absl::string_view replay_key) {
  auto [key, fingerprint] = SplitReplayKey(replay_key);
  if (key.empty()) return std::nullopt;
  auto stored = redis->Command({"GET", std::string(key)});
  if (!stored.ok()) return stored.status();
  if (stored->is_nil()) return std::nullopt;
  absl::string_view value = stored->str;
  const size_t newline = value.find('\n');
  if (!absl::ConsumePrefix(&value, "fp:") || newline == absl::string_view::npos)
    return stored->str;  // stored before fingerprints: taken as the same request
  if (value.substr(0, newline - 3) != fingerprint)
    return InvalidField("request_id",
                        "was already used for a different request; a retry must repeat the "
                        "request exactly, a new request needs a new request_id");
  return std::string(value.substr(newline - 2));
}

RedisArgs RedisFunctionCall::Command() const {
  RedisArgs command;
  command.reserve(3 + keys_.size() + args_.size());
  command.push_back("FCALL");
  command.push_back(function_);
  command.push_back(std::to_string(keys_.size()));
  command.insert(command.end(), keys_.begin(), keys_.end());
  command.insert(command.end(), args_.begin(), args_.end());
  return command;
}

}  // namespace infrashare
