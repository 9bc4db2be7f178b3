// Domain errors as absl::Status with machine-readable details, and their mapping to grpc::Status.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace infrashare {

// Collects every bad field of a request so the caller learns all of them at once.
class FieldErrors {
 public:
  void Add(std::string field, std::string description);
  bool empty() const { return violations_.empty(); }
  // INVALID_ARGUMENT naming the first field, with a google.rpc.BadRequest listing all of them.
  absl::Status ToStatus() const;

 private:
  std::vector<std::pair<std::string, std::string>> violations_;
};

absl::Status InvalidField(absl::string_view field, absl::string_view description);
absl::Status NotFoundError(absl::string_view kind, absl::string_view id);
absl::Status StaleEtagError(absl::string_view kind, absl::string_view id);
// ABORTED with a machine-readable reason: what the caller read has changed; read again and retry.
absl::Status ConflictError(absl::string_view reason, absl::string_view message);
absl::Status Forbidden(absl::string_view why);
// INVALID_ARGUMENT with reason UNPARSABLE_REQUEST: the request's bytes are not its message.
absl::Status UnparsableRequest(absl::string_view message);
// UNAUTHENTICATED with a reason a program can act on: TOKEN_MISSING, TOKEN_MALFORMED (not
// `Bearer <token>`), TOKEN_UNKNOWN, TOKEN_EXPIRED or TOKEN_REVOKED.
absl::Status NotAuthenticated(absl::string_view reason, absl::string_view why);
// FAILED_PRECONDITION with a google.rpc.ErrorInfo reason such as "RESOURCE_RETIRED"; a "field"
// in `metadata` is named in a google.rpc.BadRequest too.
absl::Status PreconditionError(
    absl::string_view reason, absl::string_view message,
    std::initializer_list<std::pair<std::string, std::string>> metadata = {});
absl::Status AlreadyExistsError(absl::string_view kind, absl::string_view id);
absl::Status StoreUnavailable(absl::string_view message);
// RESOURCE_EXHAUSTED with google.rpc.RetryInfo (retry after this long) and google.rpc.QuotaFailure
// naming the limit (`subject`, e.g. "token:tok_x:write").
absl::Status RateLimited(absl::string_view subject, absl::string_view description,
                         int64_t retry_after_ms);

// `status` naming `field` as the one it is about (a google.rpc.BadRequest), whatever its code.
absl::Status WithField(absl::Status status, absl::string_view field);
// An INVALID_ARGUMENT about the fields of a message that a request holds in `parent` (FindSlots'
// `search`), with every field named from the request: "within.radius_km" becomes
// "search.within.radius_km" in the message, the BadRequest and the ErrorInfo. Any other status
// as it is.
absl::Status UnderField(absl::Status status, absl::string_view parent);
// The first BadRequest field of a status, empty when none.
std::string ErrorField(const absl::Status& status);
// A google.rpc.ErrorInfo metadata value of a status (e.g. "kind" of a NOT_FOUND), empty when none.
std::string ErrorMetadata(const absl::Status& status, absl::string_view key);
// The google.rpc.ErrorInfo reason of a status, empty when none.
std::string ErrorReason(const absl::Status& status);

// Maps to grpc::Status; details travel as a serialized google.rpc.Status (grpc-status-details-bin).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace infrashare
