// The plaintext health-only port: a second gRPC server whose one service is grpc.health.v1.Health
// (gRPC's default implementation), for Kubernetes' probes, which cannot speak TLS. Its statuses
// are set by the owner, the same as the main server's.
#pragma once

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace infrashare {

class HealthPort {
 public:
  // Listens on `listen` (host:port; port 0 = any free port).
  static absl::StatusOr<std::unique_ptr<HealthPort>> Start(const std::string& listen);
  ~HealthPort();

  int port() const { return port_; }
  grpc::HealthCheckServiceInterface* health() { return server_->GetHealthCheckService(); }
  void Shutdown();

 private:
  HealthPort() = default;

  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::ServerCompletionQueue> unknown_methods_;
  std::thread unknown_methods_thread_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace infrashare
