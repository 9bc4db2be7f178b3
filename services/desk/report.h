// The desk's outcome report for a network and period, from the inquiries themselves: what came in
// through whom, how fast it was picked up, where it ended and what the askers thought.
#pragma once

#include <vector>

#include "infrashare/desk/v1/desk.pb.h"

namespace infrashare::desk {

// `inquiries` are the network's inquiries created in the period; the request's fields are echoed.
v1::DeskReport BuildReport(const v1::DeskReportRequest& request,
                           const std::vector<v1::Inquiry>& inquiries);

}  // namespace infrashare::desk
