#include "services/server/health_port.h"

#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"

namespace infrashare {
namespace {

// Drops the builder plugins every server gets (server reflection), so the port serves
// grpc.health.v1 and nothing else.
class WithoutPlugins : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<HealthPort>> HealthPort::Start(const std::string& listen) {
  std::unique_ptr<HealthPort> h(new HealthPort());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<WithoutPlugins>());
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &h->port_);
  // The default health service runs on a queue of its own that nothing polls; gRPC wants one
  // polled queue. By design this port serves grpc.health.v1 only: on it, every other method is
  // one the server does not have (tested: HealthPort.ServesNothingButHealth).
  h->unknown_methods_ = builder.AddCompletionQueue(/*is_frequently_polled=*/true);
  h->server_ = builder.BuildAndStart();
  if (!h->server_ || h->port_ == 0) {
    h->server_.reset();
    return absl::UnavailableError(absl::StrCat("health.listen: cannot listen on ", listen));
  }
  h->unknown_methods_thread_ = std::thread([cq = h->unknown_methods_.get()] {
    void* tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) {
    }
  });
  return h;
}

void HealthPort::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_) {
    server_->GetHealthCheckService()->Shutdown();
    server_->Shutdown(std::chrono::system_clock::now());
  }
  unknown_methods_->Shutdown();
  if (unknown_methods_thread_.joinable()) unknown_methods_thread_.join();
}

HealthPort::~HealthPort() { Shutdown(); }

}  // namespace infrashare
