// Requests whose bytes are not the method's request message (bad protobuf, a string field that is
// not valid UTF-8). gRPC 1.51's callback API never reaches a handler for those and ends the call
// itself with a bare status (code 12, no message), so the gate cannot see them. This interceptor
// notices the failed parse (POST_RECV_MESSAGE with no message) and replaces the status gRPC then
// sends with INVALID_ARGUMENT naming the expected message; each one is counted per method in
// `infrashare_rpc_total`, in `infrashare_unparsable_requests_total`, and logged.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "services/common/metrics.h"

namespace infrashare {

// "registry.GetResource" for "/infrashare.registry.v1.RegistryService/GetResource" (the gate's
// name of a method); other paths as they are.
std::string GateMethodName(const std::string& path);

// Owned by the server, outliving the gRPC server its interceptor factory is given to.
class UnparsableRequests {
 public:
  explicit UnparsableRequests(Metrics* metrics);
  // For grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // Called by an interceptor that refused a request with `status`: counts and logs it.
  void Refused(const std::string& path, const absl::Status& status);

 private:
  Metrics* metrics_;
  std::atomic<long long> refused_{0};
};

}  // namespace infrashare
