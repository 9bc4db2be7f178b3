#include "services/registry/coverage.h"

#include <algorithm>

#include "services/common/regions.h"

namespace infrashare::registry {

void CoverageCounter::Add(const v1::Resource& r) {
  if (r.lifecycle().state() != v1::LIFECYCLE_STATE_ACTIVE) return;
  ++active_;
  by_kind_[r.kind()]++;
  const v1::Region& region =
      r.location().has_region() ? r.location().region() : r.home_base().region();
  const std::string code(
      corop_ ? CoropOf(region.corop(), region.municipality())
             : ProvinceOf(region.province(), region.corop(), region.municipality()));
  if (code.empty()) return;
  for (int t : r.themes())
    if (std::find(themes_.begin(), themes_.end(), t) != themes_.end()) cells_[{code, t}]++;
}

v1::CoverageReportResponse CoverageCounter::Finish(
    const std::vector<std::string>& white_spot_regions) const {
  v1::CoverageReportResponse response;
  for (const auto& [key, count] : cells_) {
    auto* cell = response.add_cells();
    cell->set_region_code(key.first);
    cell->set_theme(static_cast<v1::Theme>(key.second));
    cell->set_active_resources(count);
  }
  for (const auto& [kind, count] : by_kind_) {
    auto* k = response.add_by_kind();
    k->set_kind(static_cast<v1::ResourceKind>(kind));
    k->set_active_resources(count);
  }
  std::vector<std::string> regions = white_spot_regions;
  if (regions.empty()) {
    for (const auto& p : Provinces()) regions.emplace_back(p.code);
    for (const auto& c : CoropAreas()) regions.emplace_back(c.code);
  }
  for (const auto& code : regions) {
    if (corop_ ? !IsCoropCode(code) : !IsProvinceCode(code)) continue;
    for (int t : themes_) {
      if (cells_.count({code, t})) continue;
      auto* spot = response.add_white_spots();
      spot->set_region_code(code);
      spot->set_region_name(std::string(FindRegion(code)->name));
      spot->set_theme(static_cast<v1::Theme>(t));
    }
  }
  return response;
}

}  // namespace infrashare::registry
