#include "services/common/errors.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace infrashare {
namespace {

constexpr char kDomain[] = "infrashare";
constexpr char kErrorInfoUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";
constexpr char kRetryInfoUrl[] = "type.googleapis.com/google.rpc.RetryInfo";
constexpr char kQuotaFailureUrl[] = "type.googleapis.com/google.rpc.QuotaFailure";

absl::Status WithReason(absl::Status status, absl::string_view reason,
                        std::initializer_list<std::pair<std::string, std::string>> metadata = {}) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(kDomain);
  for (const auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

}  // namespace

void FieldErrors::Add(std::string field, std::string description) {
  violations_.emplace_back(std::move(field), std::move(description));
}

absl::Status FieldErrors::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  // The first few only: 1000 bad list entries would make trailers larger than clients accept
  // (gRPC's default limit is 8 KiB); the message counts the rest.
  constexpr size_t kMaxViolations = 20;
  google::rpc::BadRequest bad;
  for (const auto& [field, description] : violations_) {
    if (static_cast<size_t>(bad.field_violations_size()) == kMaxViolations) break;
    auto* v = bad.add_field_violations();
    v->set_field(field);
    v->set_description(description);
  }
  const auto& [field, description] = violations_.front();
  std::string message = absl::StrCat(field, ": ", description);
  if (violations_.size() > 1) absl::StrAppend(&message, " (and ", violations_.size() - 1, " more)");
  absl::Status status =
      WithReason(absl::InvalidArgumentError(message), "INVALID_FIELD", {{"field", field}});
  status.SetPayload(kBadRequestUrl, absl::Cord(bad.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  FieldErrors errors;
  errors.Add(std::string(field), std::string(description));
  return errors.ToStatus();
}

absl::Status NotFoundError(absl::string_view kind, absl::string_view id) {
  return WithReason(absl::NotFoundError(absl::StrCat(kind, " '", id, "' not found")), "NOT_FOUND",
                    {{"kind", std::string(kind)}, {"id", std::string(id)}});
}

absl::Status StaleEtagError(absl::string_view kind, absl::string_view id) {
  return WithReason(
      absl::AbortedError(absl::StrCat(kind, " '", id, "' changed since it was read (stale etag)")),
      "ETAG_MISMATCH", {{"kind", std::string(kind)}, {"id", std::string(id)}});
}

absl::Status ConflictError(absl::string_view reason, absl::string_view message) {
  return WithReason(absl::AbortedError(message), reason);
}

absl::Status UnparsableRequest(absl::string_view message) {
  return WithReason(absl::InvalidArgumentError(message), "UNPARSABLE_REQUEST");
}

absl::Status Forbidden(absl::string_view why) {
  return WithReason(absl::PermissionDeniedError(why), "PERMISSION_DENIED");
}

absl::Status NotAuthenticated(absl::string_view reason, absl::string_view why) {
  return WithReason(absl::UnauthenticatedError(why), reason);
}

absl::Status PreconditionError(
    absl::string_view reason, absl::string_view message,
    std::initializer_list<std::pair<std::string, std::string>> metadata) {
  absl::Status status = WithReason(absl::FailedPreconditionError(message), reason, metadata);
  // A precondition about one field of the request names it as INVALID_ARGUMENT does.
  for (const auto& [key, value] : metadata)
    if (key == "field") status = WithField(std::move(status), value);
  return status;
}

absl::Status AlreadyExistsError(absl::string_view kind, absl::string_view id) {
  return WithReason(absl::AlreadyExistsError(absl::StrCat(kind, " '", id, "' already exists")),
                    "ALREADY_EXISTS", {{"kind", std::string(kind)}, {"id", std::string(id)}});
}

absl::Status StoreUnavailable(absl::string_view message) {
  return WithReason(absl::UnavailableError(message), "STORE_UNAVAILABLE");
}

absl::Status RateLimited(absl::string_view subject, absl::string_view description,
                         int64_t retry_after_ms) {
  absl::Status status = WithReason(
      absl::ResourceExhaustedError(absl::StrCat(description, "; retry in ", retry_after_ms, " ms")),
      "RATE_LIMITED", {{"retry_after_ms", absl::StrCat(retry_after_ms)}});
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(retry_after_ms / 1000);
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(retry_after_ms % 1000 * 1000000));
  status.SetPayload(kRetryInfoUrl, absl::Cord(retry.SerializeAsString()));
  google::rpc::QuotaFailure quota;
  auto* violation = quota.add_violations();
  violation->set_subject(std::string(subject));
  violation->set_description(std::string(description));
  status.SetPayload(kQuotaFailureUrl, absl::Cord(quota.SerializeAsString()));
  return status;
}

absl::Status WithField(absl::Status status, absl::string_view field) {
  if (status.ok()) return status;
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field(std::string(field));
  v->set_description(std::string(status.message()));
  status.SetPayload(kBadRequestUrl, absl::Cord(bad.SerializeAsString()));
  return status;
}

absl::Status UnderField(absl::Status status, absl::string_view parent) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  const std::string prefix = absl::StrCat(parent, ".");
  std::string message(status.message());
  if (const std::string first = ErrorField(status);
      !first.empty() && absl::StartsWith(message, absl::StrCat(first, ": ")))
    message = prefix + message;
  absl::Status out(status.code(), message);
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    if (url == kBadRequestUrl) {
      google::rpc::BadRequest bad;
      if (bad.ParseFromString(std::string(payload))) {
        for (auto& v : *bad.mutable_field_violations()) v.set_field(prefix + v.field());
        out.SetPayload(url, absl::Cord(bad.SerializeAsString()));
        return;
      }
    } else if (url == kErrorInfoUrl) {
      google::rpc::ErrorInfo info;
      if (info.ParseFromString(std::string(payload))) {
        auto field = info.mutable_metadata()->find("field");
        if (field != info.mutable_metadata()->end()) field->second = prefix + field->second;
        out.SetPayload(url, absl::Cord(info.SerializeAsString()));
        return;
      }
    }
    out.SetPayload(url, payload);
  });
  return out;
}

std::string ErrorField(const absl::Status& status) {
  auto payload = status.GetPayload(kBadRequestUrl);
  if (!payload) return "";
  google::rpc::BadRequest bad;
  if (!bad.ParseFromString(std::string(*payload)) || bad.field_violations().empty()) return "";
  return bad.field_violations(0).field();
}

std::string ErrorMetadata(const absl::Status& status, absl::string_view key) {
  auto payload = status.GetPayload(kErrorInfoUrl);
  if (!payload) return "";
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return "";
  auto it = info.metadata().find(std::string(key));
  return it == info.metadata().end() ? "" : it->second;
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorInfoUrl);
  if (!payload) return "";
  google::rpc::ErrorInfo info;
  return info.ParseFromString(std::string(*payload)) ? info.reason() : "";
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  // In the order of their type URLs: absl iterates payloads in no fixed order, and a client
  // comparing two answers should not see them differ by order alone.
  std::vector<std::pair<std::string, std::string>> payloads;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    payloads.emplace_back(std::string(url), std::string(payload));
  });
  std::sort(payloads.begin(), payloads.end());
  for (auto& [url, payload] : payloads) {
    auto* any = details.add_details();
    any->set_type_url(std::move(url));
    any->set_value(std::move(payload));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details.SerializeAsString());
}

}  // namespace infrashare
