// CBS region codes of the Netherlands: 12 provinces (PVxx), 40 COROP areas (CRxx) and the format of
// municipality codes (GMxxxx).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace infrashare {

struct RegionInfo {
  absl::string_view code;
  absl::string_view name;
  absl::string_view province;  // for a COROP area: its province; for a province: itself
};

const std::vector<RegionInfo>& Provinces();
const std::vector<RegionInfo>& CoropAreas();
// The province or COROP area with this code, nullptr when unknown.
const RegionInfo* FindRegion(absl::string_view code);

bool IsProvinceCode(absl::string_view code);      // a known PVxx
bool IsCoropCode(absl::string_view code);         // a known CRxx
bool IsMunicipalityCode(absl::string_view code);  // GM followed by four digits
bool IsRegionCode(absl::string_view code);        // any of the three

}  // namespace infrashare
