// Rate limits per token and per organisation, shared by every replica through one Redis function
// (rate_take in auth.lua, GCRA). A replica takes a small lease of calls at once (at most 1/20 of a
// second's rate, 1/8 of the burst and 64; one call when the limits are low) and spends it locally
// for up to 100 ms, so the hot path rarely waits for Redis; a replica can thus run at most one
// lease ahead of the shared count. Over a limit the call gets RESOURCE_EXHAUSTED
// with google.rpc.RetryInfo (when a retry can succeed) and google.rpc.QuotaFailure (which limit).
// Also caps the streams one token holds open on this replica.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/common/redis.h"

namespace infrashare {

// "CreateBooking" of "scheduler.CreateBooking".
absl::string_view MethodName(absl::string_view method);
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
    StreamPlace(RateLimiter* limiter, std::string token)
        : limiter_(limiter), token_(std::move(token)) {}
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
  // Takes `count` calls for the caller from the shared allowance; empty status when they fit.
  absl::Status TakeShared(const Caller& caller, const std::string& group, const RateLimit& limit,
                          int count);

  struct Lease {
    int remaining = 0;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex leases_mutex_;
  std::unordered_map<std::string, Lease> leases_;  // "<token id>/<group>" -> calls left here

  RedisPool* redis_;
  RateLimitConfig config_;
  std::mutex streams_mutex_;
  std::map<std::string, int> open_streams_;  // token id -> streams open on this replica
};

}  // namespace infrashare
