// CBS region codes of the Netherlands: 12 provinces (PVxx), 40 COROP areas (CRxx) and 342
// municipalities (GMxxxx), each nested in the level above (municipalities from CBS' own table,
// data/cbs-municipalities.csv, embedded at build time).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace infrashare {

struct RegionInfo {
  absl::string_view code;
  absl::string_view name;
  absl::string_view province;  // the province it lies in; for a province: itself
  absl::string_view corop{};   // for a municipality: its COROP area; otherwise empty
};

const std::vector<RegionInfo>& Provinces();
const std::vector<RegionInfo>& CoropAreas();
const std::vector<RegionInfo>& Municipalities();
// The province, COROP area or municipality with this code, nullptr when unknown.
const RegionInfo* FindRegion(absl::string_view code);

bool IsProvinceCode(absl::string_view code);      // a known PVxx
bool IsCoropCode(absl::string_view code);         // a known CRxx
bool IsMunicipalityCode(absl::string_view code);  // a known GMxxxx
bool IsRegionCode(absl::string_view code);        // any of the three
// What an error says of a code that is not IsRegionCode: which codes are meant, and the same code
// in capitals when that is one ("gm0193" -> "... : GM0193").
std::string RegionCodeHint(absl::string_view code);
// Whether `region` is `area` or lies inside it (a municipality in its COROP area and province, a
// COROP area in its province).
bool RegionWithin(absl::string_view region, absl::string_view area);
// The province and the COROP area of a place given at any level (its most specific code given
// first wins); empty when none is known.
absl::string_view ProvinceOf(absl::string_view province, absl::string_view corop,
                             absl::string_view municipality);
absl::string_view CoropOf(absl::string_view corop, absl::string_view municipality);

}  // namespace infrashare
