// Rate limits per token and per organisation, shared by every replica: one Redis function call
// (rate_take in auth.lua, GCRA) per admitted call. Over a limit the call gets RESOURCE_EXHAUSTED
// with google.rpc.RetryInfo (when a retry can succeed) and google.rpc.QuotaFailure (which limit).
// Also caps the streams one token holds open on this replica.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/common/redis.h"

namespace infrashare {

// Which limits a method counts against: "read", "write" or "heavy" (method as "service.Method").
const char* RateGroupOf(absl::string_view method);

class RateLimiter {
 public:
  RateLimiter(RedisPool* redis, RateLimitConfig config);

  // OK when the caller may make this call now; the call is then counted.
  absl::Status Take(const Caller& caller, absl::string_view method);

  // Holds one of the caller's stream places until destroyed.
  class StreamPlace {
   public:
    StreamPlace(RateLimiter* limiter, std::string token) : limiter_(limiter), token_(std::move(token)) {}
    ~StreamPlace();
    StreamPlace(const StreamPlace&) = delete;
    StreamPlace& operator=(const StreamPlace&) = delete;

   private:
    RateLimiter* limiter_;
    std::string token_;
  };
  // A place for one more open stream, or RESOURCE_EXHAUSTED when the token holds its maximum.
  absl::StatusOr<std::unique_ptr<StreamPlace>> OpenStream(const Caller& caller);

 private:
  bool Exempt(const Caller& caller) const;

  RedisPool* redis_;
  RateLimitConfig config_;
  std::mutex streams_mutex_;
  std::map<std::string, int> open_streams_;  // token id -> streams open on this replica
};

}  // namespace infrashare
