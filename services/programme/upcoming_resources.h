// Which resources have upcoming public events: the registry's search filters and counts by it
// (SearchResourcesRequest.has_upcoming_events, the "upcoming_events" facet) without knowing the
// programme. Read from the programme's store and kept for a moment, so that searches, which the
// registry answers from memory, do not each pay a Redis scan.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "services/programme/programme_store.h"

namespace infrashare::programme {

class UpcomingResources {
 public:
  // A set read more than `refresh` ago is read again.
  UpcomingResources(ProgrammeStore* store, std::chrono::milliseconds refresh)
      : store_(store), refresh_(refresh) {}
  // Resources with a scheduled public event that ends after `now_ms`.
  absl::StatusOr<std::set<std::string>> Get(EpochMs now_ms);

 private:
  ProgrammeStore* store_;
  std::chrono::milliseconds refresh_;
  std::mutex mutex_;
  std::set<std::string> cached_;
  std::chrono::steady_clock::time_point read_at_{};
  bool read_ = false;
};

}  // namespace infrashare::programme
