// Page sizes of List and Search calls, as every service takes them.
#pragma once

#include "absl/status/statusor.h"

namespace infrashare {

// Page size: 0 = default; negative or above max is refused (INVALID_ARGUMENT naming page_size).
absl::StatusOr<int> PageSize(int requested, int default_size, int max_size);

}  // namespace infrashare
