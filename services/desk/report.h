// The desk's outcome report for a network and period, from the inquiries themselves: what came in
// through whom, how fast it was picked up, where it ended and what the askers thought.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/desk/v1/desk.pb.h"
#include "services/desk/desk_store.h"

namespace infrashare::desk {

// `inquiries` are the network's inquiries created in the period; the request's fields are echoed.
v1::DeskReport BuildReport(const v1::DeskReportRequest& request,
                           const std::vector<v1::Inquiry>& inquiries);

// Sets the report's referrals sent to and received from other networks in its period.
absl::Status AddCrossNetworkReferrals(DeskStore& store, v1::DeskReport* report);

// The inquiries that entered through the network in [start_ms, end_ms), read in chunks.
absl::StatusOr<std::vector<v1::Inquiry>> InquiriesCreatedBetween(DeskStore& store,
                                                                 const std::string& network_id,
                                                                 int64_t start_ms, int64_t end_ms);

}  // namespace infrashare::desk
