#include "services/http/client_rate_limit.h"

#include <algorithm>
#include <cmath>

namespace infrashare::http {

int ClientRateLimit::Take(const std::string& client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) ForgetIdle(now);
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
  // Every client still busy: drop one rather than grow without bound (it starts full again).
  if (buckets_.size() >= max_clients_) buckets_.erase(buckets_.begin());
}

}  // namespace infrashare::http
