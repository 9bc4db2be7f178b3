#include "services/common/regions.h"

#include <cstdlib>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace infrashare {

extern const std::string_view kCbsMunicipalities;  // data/cbs-municipalities.csv

const std::vector<RegionInfo>& Provinces() {
  static const std::vector<RegionInfo> kProvinces = {
      {"PV20", "Groningen", "PV20"},     {"PV21", "Fryslân", "PV21"},
      {"PV22", "Drenthe", "PV22"},       {"PV23", "Overijssel", "PV23"},
      {"PV24", "Flevoland", "PV24"},     {"PV25", "Gelderland", "PV25"},
      {"PV26", "Utrecht", "PV26"},       {"PV27", "Noord-Holland", "PV27"},
      {"PV28", "Zuid-Holland", "PV28"},  {"PV29", "Zeeland", "PV29"},
      {"PV30", "Noord-Brabant", "PV30"}, {"PV31", "Limburg", "PV31"},
  };
  return kProvinces;
}

const std::vector<RegionInfo>& CoropAreas() {
  static const std::vector<RegionInfo> kCorop = {
      {"CR01", "Oost-Groningen", "PV20"},
      {"CR02", "Delfzijl en omgeving", "PV20"},
      {"CR03", "Overig Groningen", "PV20"},
      {"CR04", "Noord-Friesland", "PV21"},
      {"CR05", "Zuidwest-Friesland", "PV21"},
      {"CR06", "Zuidoost-Friesland", "PV21"},
      {"CR07", "Noord-Drenthe", "PV22"},
      {"CR08", "Zuidoost-Drenthe", "PV22"},
      {"CR09", "Zuidwest-Drenthe", "PV22"},
      {"CR10", "Noord-Overijssel", "PV23"},
      {"CR11", "Zuidwest-Overijssel", "PV23"},
      {"CR12", "Twente", "PV23"},
      {"CR13", "Veluwe", "PV25"},
      {"CR14", "Achterhoek", "PV25"},
      {"CR15", "Arnhem/Nijmegen", "PV25"},
      {"CR16", "Zuidwest-Gelderland", "PV25"},
      {"CR17", "Utrecht", "PV26"},
      {"CR18", "Kop van Noord-Holland", "PV27"},
      {"CR19", "Alkmaar en omgeving", "PV27"},
      {"CR20", "IJmond", "PV27"},
      {"CR21", "Agglomeratie Haarlem", "PV27"},
      {"CR22", "Zaanstreek", "PV27"},
      {"CR23", "Groot-Amsterdam", "PV27"},
      {"CR24", "Het Gooi en Vechtstreek", "PV27"},
      {"CR25", "Agglomeratie Leiden en Bollenstreek", "PV28"},
      {"CR26", "Agglomeratie 's-Gravenhage", "PV28"},
      {"CR27", "Delft en Westland", "PV28"},
      {"CR28", "Oost-Zuid-Holland", "PV28"},
      {"CR29", "Groot-Rijnmond", "PV28"},
      {"CR30", "Zuidoost-Zuid-Holland", "PV28"},
      {"CR31", "Zeeuwsch-Vlaanderen", "PV29"},
      {"CR32", "Overig Zeeland", "PV29"},
      {"CR33", "West-Noord-Brabant", "PV30"},
      {"CR34", "Midden-Noord-Brabant", "PV30"},
      {"CR35", "Noordoost-Noord-Brabant", "PV30"},
      {"CR36", "Zuidoost-Noord-Brabant", "PV30"},
      {"CR37", "Noord-Limburg", "PV31"},
      {"CR38", "Midden-Limburg", "PV31"},
      {"CR39", "Zuid-Limburg", "PV31"},
      {"CR40", "Flevoland", "PV24"},
  };
  return kCorop;
}

const std::vector<RegionInfo>& Municipalities() {
  // "code;name;corop" lines after '#' comments and the header; the province is the COROP area's.
  static const std::vector<RegionInfo> kMunicipalities = [] {
    std::vector<RegionInfo> out;
    const absl::string_view table(kCbsMunicipalities.data(), kCbsMunicipalities.size());
    for (absl::string_view line : absl::StrSplit(table, '\n', absl::SkipEmpty())) {
      if (line.front() == '#' || line == "code;name;corop") continue;
      std::vector<absl::string_view> f = absl::StrSplit(line, ';');
      const RegionInfo* corop = nullptr;
      for (const auto& c : CoropAreas())
        if (f.size() == 3 && c.code == f[2]) corop = &c;
      if (corop == nullptr) std::abort();  // the shipped table is checked by a unit test
      out.push_back({f[0], f[1], corop->province, corop->code});
    }
    return out;
  }();
  return kMunicipalities;
}

const RegionInfo* FindRegion(absl::string_view code) {
  static const auto* const kByCode = [] {
    auto* map = new std::map<absl::string_view, const RegionInfo*>();
    for (const auto* list : {&Provinces(), &CoropAreas(), &Municipalities()})
      for (const auto& r : *list) (*map)[r.code] = &r;
    return map;
  }();
  auto it = kByCode->find(code);
  return it == kByCode->end() ? nullptr : it->second;
}

bool RegionWithin(absl::string_view region, absl::string_view area) {
  if (region == area) return true;
  const RegionInfo* r = FindRegion(region);
  return r != nullptr && !area.empty() && (r->province == area || r->corop == area);
}

absl::string_view ProvinceOf(absl::string_view province, absl::string_view corop,
                             absl::string_view municipality) {
  if (!province.empty()) return province;
  for (absl::string_view code : {corop, municipality})
    if (const RegionInfo* r = FindRegion(code)) return r->province;
  return {};
}

absl::string_view CoropOf(absl::string_view corop, absl::string_view municipality) {
  if (!corop.empty()) return corop;
  const RegionInfo* r = FindRegion(municipality);
  return r ? r->corop : absl::string_view();
}

bool IsProvinceCode(absl::string_view code) {
  return code.size() == 4 && code.substr(0, 2) == "PV" && FindRegion(code) != nullptr;
}

bool IsCoropCode(absl::string_view code) {
  return code.size() == 4 && code.substr(0, 2) == "CR" && FindRegion(code) != nullptr;
}

bool IsMunicipalityCode(absl::string_view code) {
  return code.size() == 6 && code.substr(0, 2) == "GM" && FindRegion(code) != nullptr;
}

bool IsRegionCode(absl::string_view code) {
  return IsProvinceCode(code) || IsCoropCode(code) || IsMunicipalityCode(code);
}

std::string RegionCodeHint(absl::string_view code) {
  const std::string upper = absl::AsciiStrToUpper(code);
  if (IsRegionCode(upper)) return "must be a CBS region code in capitals: " + upper;
  return "must be a CBS region code (PVxx, CRxx or GMxxxx)";
}

}  // namespace infrashare
