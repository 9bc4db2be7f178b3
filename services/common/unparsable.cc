#include "services/common/unparsable.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/logging.h"

namespace infrashare {
namespace {

using grpc::experimental::InterceptionHookPoints;

// The full name of the message `path` expects ("infrashare.registry.v1.GetResourceRequest").
std::string RequestTypeOf(const std::string& path) {
  std::string dotted = path.size() > 1 ? path.substr(1) : path;  // "pkg.Service/Method"
  const size_t slash = dotted.find('/');
  if (slash != std::string::npos) dotted[slash] = '.';
  const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
  return method != nullptr ? method->input_type()->full_name() : std::string("request message");
}

class Interceptor : public grpc::experimental::Interceptor {
 public:
  Interceptor(UnparsableRequests* owner, grpc::experimental::ServerRpcInfo* info)
      : owner_(owner), info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* batch) override {
    if (batch->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        batch->GetRecvMessage() == nullptr)
      unparsed_ = true;
    // No handler ran, so the status about to be sent is gRPC's own.
    if (unparsed_ && batch->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const std::string path = info_->method();
      const absl::Status refusal =
          UnparsableRequest(absl::StrCat("the request could not be parsed as ", RequestTypeOf(path),
                                         ": its bytes are not that protocol buffer message, or a "
                                         "string field is not valid UTF-8"));
      batch->ModifySendStatus(ToGrpcStatus(refusal));
      owner_->Refused(path, refusal);
    }
    batch->Proceed();
  }

 private:
  UnparsableRequests* owner_;
  grpc::experimental::ServerRpcInfo* info_;
  bool unparsed_ = false;
};

}  // namespace

std::string GateMethodName(const std::string& path) {
  // "/infrashare.<service>.v1.<Service>/<Method>"
  constexpr absl::string_view kPrefix = "/infrashare.";
  const size_t slash = path.rfind('/');
  if (!absl::StartsWith(path, kPrefix) || slash == std::string::npos || slash < kPrefix.size())
    return path;
  const size_t dot = path.find('.', kPrefix.size());
  if (dot == std::string::npos || dot > slash) return path;
  return absl::StrCat(path.substr(kPrefix.size(), dot - kPrefix.size()), ".",
                      path.substr(slash + 1));
}

UnparsableRequests::UnparsableRequests(Metrics* metrics) : metrics_(metrics) {
  metrics_->AddSampled(
      "infrashare_unparsable_requests_total", "counter",
      "Requests refused because their bytes were not the method's request message.",
      [this] { return static_cast<double>(refused_.load()); });
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
UnparsableRequests::InterceptorFactory() {
  class Factory : public grpc::experimental::ServerInterceptorFactoryInterface {
   public:
    explicit Factory(UnparsableRequests* owner) : owner_(owner) {}
    grpc::experimental::Interceptor* CreateServerInterceptor(
        grpc::experimental::ServerRpcInfo* info) override {
      // Only calls that start with one request message; the API has no client streams.
      if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY &&
          info->type() != grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING)
        return nullptr;
      return new Interceptor(owner_, info);
    }

   private:
    UnparsableRequests* owner_;
  };
  return std::make_unique<Factory>(this);
}

void UnparsableRequests::Refused(const std::string& path, const absl::Status& status) {
  ++refused_;
  const std::string method = GateMethodName(path);
  metrics_->ObserveRpc(method, absl::StatusCodeToString(status.code()), 0, ErrorReason(status));
  logging::Warn(
      "rpc", {{"method", method}, {"status", "INVALID_ARGUMENT"}, {"error", "unparsable request"}});
}

}  // namespace infrashare
