// Requests per client address on the public HTTP listener: a token bucket per address, in this
// process's memory. The gRPC limiter (services/common/rate_limit.h) counts per token and
// organisation in Redis; an anonymous reader has neither, and a feed read must not cost a Redis
// round trip, so each replica limits on its own (a client spread over N replicas gets N times
// the rate, which the replicas' count bounds).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace infrashare::http {

class ClientRateLimit {
 public:
  using Clock = std::chrono::steady_clock;
  ClientRateLimit(double per_s, int burst, size_t max_clients = 100000)
      : per_s_(per_s), burst_(burst), max_clients_(max_clients) {}

  // 0 when `client` may make a request now (it is then counted), else the whole seconds after
  // which one more request fits (for Retry-After).
  int Take(const std::string& address, Clock::time_point now = Clock::now());

  // Whom an address counts for: an IPv4 address itself (also written as IPv4-mapped IPv6), an
  // IPv6 address's /64 ("2001:db8:1:2::/64").
  static std::string ClientKey(const std::string& address);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  // Forgets clients whose bucket has filled up again (they would start full anyway). When every
  // client is still busy the table is full and a new client takes an old one's place (which
  // starts full again if it comes back): the table does not grow without bound.
  void ForgetIdle(Clock::time_point now);

  const double per_s_;
  const int burst_;
  const size_t max_clients_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point last_sweep_{};
};

}  // namespace infrashare::http
