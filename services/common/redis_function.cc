#include "services/common/redis_function.h"

#include "absl/strings/str_cat.h"

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

RedisFunctionCall& RedisFunctionCall::Replay(absl::string_view replay_key, int64_t ttl_s) {
  absl::string_view key = replay_key, fingerprint;
  if (size_t hash = replay_key.rfind('#'); hash != absl::string_view::npos) {
    key = replay_key.substr(0, hash);
    fingerprint = replay_key.substr(hash + 1);
  }
  if (!key.empty()) Key("replay", std::string(key));
  return Arg("fingerprint", std::string(fingerprint)).Int("replay_ttl", ttl_s);
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
