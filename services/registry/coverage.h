// The coverage of a set of resources: active resources by region and theme, by kind, and the
// white spots (a region and theme with none). CoverageReport counts every resource; the impact
// report counts those shared with one network.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "infrashare/registry/v1/registry.pb.h"

namespace infrashare::registry {

class CoverageCounter {
 public:
  // `themes`: the themes to count (valid, non-zero); `corop`: COROP areas instead of provinces.
  CoverageCounter(bool corop, std::vector<int> themes)
      : corop_(corop), themes_(std::move(themes)) {}
  // Counts `resource` if it is ACTIVE.
  void Add(const v1::Resource& resource);
  // `white_spot_regions`: the regions to look for white spots in; empty: every province and
  // COROP area (of the counter's level).
  v1::CoverageReportResponse Finish(const std::vector<std::string>& white_spot_regions) const;
  int active() const { return active_; }

 private:
  bool corop_;
  std::vector<int> themes_;
  std::map<std::pair<std::string, int>, int> cells_;
  std::map<int, int> by_kind_;
  int active_ = 0;
};

}  // namespace infrashare::registry
