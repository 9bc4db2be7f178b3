// What other parts of infrashare read of the programme (the public feeds, the map, the impact
// report), without its store or its rules: upcoming public events and per-period counts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/programme/v1/programme.pb.h"

namespace infrashare::programme {

struct ProgrammeCounts {
  int64_t events = 0;         // scheduled (not cancelled) events starting in the period
  int64_t registrations = 0;  // places admitted at them
  int64_t recorded = 0;       // admitted registrations whose attendance was recorded
  int64_t attended = 0;       // of those, recorded as attended
  // Organisations with an admitted registration at an event they do not organise, sorted.
  std::vector<std::string> organizations;
};

class ProgrammeReader {
 public:
  virtual ~ProgrammeReader() = default;
  // Public, scheduled events of a resource / of a network that end after `from_ms`, by start;
  // at most `limit`.
  virtual absl::StatusOr<std::vector<v1::Event>> UpcomingPublicEventsOfResource(
      const std::string& resource_id, int64_t from_ms, int limit) = 0;
  virtual absl::StatusOr<std::vector<v1::Event>> UpcomingPublicEventsOfNetwork(
      const std::string& network_id, int64_t from_ms, int limit) = 0;
  // Events starting in [from_ms, to_ms); `network_id` empty = every network.
  virtual absl::StatusOr<ProgrammeCounts> Counts(const std::string& network_id, int64_t from_ms,
                                                 int64_t to_ms) = 0;
};

class ProgrammeStore;

// The reader over the programme's store alone: usable in a process that does not run the
// programme service (the impact report, the public feeds).
class ProgrammeRecords final : public ProgrammeReader {
 public:
  explicit ProgrammeRecords(ProgrammeStore* store) : store_(store) {}
  absl::StatusOr<std::vector<v1::Event>> UpcomingPublicEventsOfResource(
      const std::string& resource_id, int64_t from_ms, int limit) override;
  absl::StatusOr<std::vector<v1::Event>> UpcomingPublicEventsOfNetwork(
      const std::string& network_id, int64_t from_ms, int limit) override;
  absl::StatusOr<ProgrammeCounts> Counts(const std::string& network_id, int64_t from_ms,
                                         int64_t to_ms) override;

 private:
  ProgrammeStore* store_;
};

}  // namespace infrashare::programme
