// What the fuzz targets share: an invariant that fails ends the run, naming itself, so libFuzzer
// keeps the input as a crash. Sanitizer reports and uncaught exceptions end it the same way.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace infrashare::fuzz {

inline void Require(bool holds, const char* invariant) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
  std::abort();
}

}  // namespace infrashare::fuzz
