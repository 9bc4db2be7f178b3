#include "services/common/rpc_gate.h"

#include "absl/strings/str_cat.h"
#include "services/common/forwarded_peer.h"
#include "services/common/logging.h"

namespace infrashare {

absl::StatusOr<Caller> RpcGate::Admit(const grpc::ServerContextBase& context,
                                      absl::string_view method,
                                      const google::protobuf::Message& request,
                                      std::optional<Caller>* who) {
  auto caller = tokens_->Authenticate(context);
  if (!caller.ok()) return caller.status();
  *who = *caller;  // the log and the audit trail name who sent a refused request too
  if (!caller->MayCall(method))
    return Forbidden(
        absl::StrCat("this token is scoped to other services; it may not call ", method));
  // Every authenticated call counts, also one the bounds below refuse.
  if (limiter_ != nullptr) {
    if (auto allowed = limiter_->Take(*caller, method); !allowed.ok()) return allowed;
  }
  if (auto bounded = CheckRequest(request, limits_); !bounded.ok()) return bounded;
  return caller;
}

void RpcGate::Finish(grpc::ServerContextBase* context, absl::string_view method,
                     const google::protobuf::Message& request,
                     const google::protobuf::Message* response, const std::optional<Caller>& who,
                     const absl::Status& status, std::chrono::steady_clock::time_point start) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string code = absl::StatusCodeToString(status.code());
  if (status.code() == absl::StatusCode::kCancelled && context->IsCancelled()) code = "CANCELLED";
  // Every call ends here once, unary or stream, so each is counted once, errors with their reason.
  metrics_->ObserveRpc(method, code, seconds, status.ok() ? std::string() : ErrorReason(status));
  logging::Fields fields = {{"method", std::string(method)},
                            {"status", code},
                            {"ms", absl::StrCat(seconds * 1000.0)},
                            {"request_id", RequestIdOf(request)},
                            {"org", who ? who->organization_id : std::string()}};
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    fields.push_back({"error", std::string(status.message())});
    logging::Error("rpc", fields);
  } else {
    logging::Info("rpc", fields);
  }
  if (audit_ != nullptr && who && Audited(method))
    audit_->Record(*who, method, request, status.ok() ? response : nullptr, PeerOf(*context), code);
}

}  // namespace infrashare
