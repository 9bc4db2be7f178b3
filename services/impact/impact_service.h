// infrashare.impact.v1.ImpactService: the gRPC shell around ImpactReporter, and the module the
// server registers as `impact`. It holds no store of its own: the server hands it the registry
// read model and read-side stores of the bookings, the desk and the rotations, so
// `--services=impact` runs alone.
#pragma once

#include <string>

#include "infrashare/impact/v1/impact.grpc.pb.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/impact/impact.h"

namespace infrashare::impact {

class ImpactServiceImpl final : public v1::ImpactService::CallbackService {
 public:
  ImpactServiceImpl(ImpactReporter* reporter, RpcGate* gate) : reporter_(reporter), gate_(gate) {}

  grpc::ServerUnaryReactor* GetImpactReport(grpc::CallbackServerContext* context,
                                            const v1::ImpactReportRequest* request,
                                            v1::ImpactReport* response) override;
  grpc::ServerUnaryReactor* ExportImpactReport(grpc::CallbackServerContext* context,
                                               const v1::ExportImpactReportRequest* request,
                                               v1::ExportImpactReportResponse* response) override;

 private:
  ImpactReporter* reporter_;
  RpcGate* gate_;
};

class ImpactModule final : public ServiceModule {
 public:
  ImpactModule(RpcGate* gate, const Config& config, registry::RegistryReadModel* model,
               scheduler::BookingCalendar* bookings, desk::DeskStore* desk,
               scheduler::RotationStore* rotations, programme::ProgrammeReader* programme);
  std::string name() const override { return "infrashare.impact.v1.ImpactService"; }
  grpc::Service* service() override { return &service_; }
  bool ready() const override { return model_->ready(); }
  // For the impact page of the public HTTP listener.
  ImpactReporter* reporter() { return &reporter_; }

 private:
  const registry::RegistryReadModel* model_;
  ImpactReporter reporter_;
  ImpactServiceImpl service_;
};

}  // namespace infrashare::impact
