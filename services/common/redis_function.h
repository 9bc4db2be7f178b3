// Named arguments for the Redis functions (docs/DECISIONS.md "Named arguments for Redis
// functions"). A call passes its keys through KEYS and its arguments as name/value pairs in ARGV;
// the first pair, "keys", names the KEYS in order. The prelude's named() (prelude.lua) reads both
// into tables, so C++ and Lua agree by name, not by offset; a missing name is an error.
// Values stay byte strings (protobuf records pass unchanged); a list or a structure is one value
// holding JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"

namespace infrashare {

// The calling convention's version, a suffix of every function and library name: a replica of
// another version calls functions of its own name, so both can run side by side in a rolling
// upgrade (prelude.lua's register(), cmake/embed_lua.cmake).
inline constexpr absl::string_view kRedisFunctionVersion = "_v2";

class RedisFunctionCall {
 public:
  // `function` without the version suffix, as the Lua file registers it.
  explicit RedisFunctionCall(absl::string_view function);

  // A key the function touches, by the name the function reads it with.
  RedisFunctionCall& Key(absl::string_view name, std::string key);
  RedisFunctionCall& Arg(absl::string_view name, std::string value);
  RedisFunctionCall& Int(absl::string_view name, int64_t value);
  RedisFunctionCall& Flag(absl::string_view name, bool value);  // "1" / "0"
  // A mutating call's replay record: `replay_key` is "<key>#<fingerprint>" (IdempotencyKey,
  // services/common/ids.h), or empty when the request has no request_id. The key goes into KEYS
  // as "replay" (none when empty), the fingerprint and the ttl into ARGV.
  RedisFunctionCall& Replay(absl::string_view replay_key, int64_t ttl_s);

  const std::string& function() const { return function_; }
  const RedisArgs& keys() const { return keys_; }
  const RedisArgs& args() const { return args_; }
  // FCALL function numkeys keys... args..., for a pipeline.
  RedisArgs Command() const;

 private:
  std::string function_;
  RedisArgs keys_;
  RedisArgs args_ = {"keys", ""};
};

// The answer a mutating call stored under `replay_key` (as Replay takes it), read without calling
// the function: for a retry whose checks in C++ no longer hold (its start has passed since the
// first call), which must still get the first call's answer. nullopt when none is stored (or
// `replay_key` is empty); INVALID_ARGUMENT on request_id when it was stored for another request.
// The same rule as replay_get in prelude.lua.
absl::StatusOr<std::optional<std::string>> ReadReplay(RedisPool* redis,
                                                      absl::string_view replay_key);

}  // namespace infrashare
