#include "services/common/regions.h"

#include "absl/strings/ascii.h"

namespace infrashare {

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

const RegionInfo* FindRegion(absl::string_view code) {
  for (const auto* list : {&Provinces(), &CoropAreas()})
    for (const auto& r : *list)
      if (r.code == code) return &r;
  return nullptr;
}

bool IsProvinceCode(absl::string_view code) {
  return code.size() == 4 && code.substr(0, 2) == "PV" && FindRegion(code) != nullptr;
}

bool IsCoropCode(absl::string_view code) {
  return code.size() == 4 && code.substr(0, 2) == "CR" && FindRegion(code) != nullptr;
}

bool IsMunicipalityCode(absl::string_view code) {
  if (code.size() != 6 || code.substr(0, 2) != "GM") return false;
  for (char c : code.substr(2))
    if (!absl::ascii_isdigit(c)) return false;
  return true;
}

bool IsRegionCode(absl::string_view code) {
  return IsProvinceCode(code) || IsCoropCode(code) || IsMunicipalityCode(code);
}

}  // namespace infrashare
