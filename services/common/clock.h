// This replica's wall clock, in milliseconds since the epoch (decisions that must agree across
// replicas use Redis' TIME instead: prelude.lua's now_ms).
#pragma once

#include <chrono>
#include <cstdint>

namespace infrashare {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace infrashare
