#include "services/common/paging.h"

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace infrashare {

absl::StatusOr<int> PageSize(int requested, int default_size, int max_size) {
  if (requested < 0) return InvalidField("page_size", "must not be negative");
  if (requested > max_size) return InvalidField("page_size", absl::StrCat("at most ", max_size));
  return requested == 0 ? default_size : requested;
}

}  // namespace infrashare
