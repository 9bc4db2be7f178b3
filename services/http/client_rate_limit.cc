#include "services/http/client_rate_limit.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>

namespace infrashare::http {

std::string ClientRateLimit::ClientKey(const std::string& address) {
  in6_addr v6;
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return address;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {  // ::ffff:192.0.2.1 is 192.0.2.1
    char v4[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &v6.s6_addr[12], v4, sizeof(v4)) != nullptr) return v4;
  }
  // One host commonly holds a whole /64 (and picks a new address at will): it counts as one.
  std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &v6, text, sizeof(text)) == nullptr) return address;
  return std::string(text) + "/64";
}

int ClientRateLimit::Take(const std::string& address, Clock::time_point now) {
  const std::string client = ClientKey(address);
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) {
      // A full table is swept at most once a second: between sweeps a new client takes the place
      // of an old one (before, every new client swept the whole table under the lock).
      if (now - last_sweep_ >= std::chrono::seconds(1)) {
        last_sweep_ = now;
        ForgetIdle(now);
      }
      if (buckets_.size() >= max_clients_) buckets_.erase(buckets_.begin());
    }
    it = buckets_.emplace(client, Bucket{static_cast<double>(burst_), now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min<double>(burst_, b.tokens + std::max(0.0, elapsed) * per_s_);
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / per_s_)));
}

void ClientRateLimit::ForgetIdle(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + elapsed * per_s_ >= burst_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace infrashare::http
