// The impact report as a file: JSON (protobuf's JSON mapping, zeros included) or CSV, one row per
// measure with the current and the previous period side by side, for spreadsheets.
#pragma once

#include <string>

#include "infrashare/impact/v1/impact.pb.h"

namespace infrashare::impact {

std::string ToJson(const v1::ImpactReport& report);
// Rows "section,measure,current,previous" (RFC 4180 quoting); repeated rows are named by their
// leading text and enum fields, e.g. shared_use,usage.by_booker_kind[sme].hours.
std::string ToCsv(const v1::ImpactReport& report);

}  // namespace infrashare::impact
