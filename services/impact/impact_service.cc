#include "services/impact/impact_service.h"

#include "services/common/clock.h"

namespace infrashare::impact {

grpc::ServerUnaryReactor* ImpactServiceImpl::GetImpactReport(grpc::CallbackServerContext* context,
                                                             const v1::ImpactReportRequest* request,
                                                             v1::ImpactReport* response) {
  return gate_->UnaryOnWorker(
      context, "impact.GetImpactReport", *request,
      [this, request, response](const Caller& caller) {
        return Respond(reporter_->Report(caller, *request), response);
      },
      response);
}

grpc::ServerUnaryReactor* ImpactServiceImpl::ExportImpactReport(
    grpc::CallbackServerContext* context, const v1::ExportImpactReportRequest* request,
    v1::ExportImpactReportResponse* response) {
  return gate_->UnaryOnWorker(
      context, "impact.ExportImpactReport", *request,
      [this, request, response](const Caller& caller) {
        return Respond(reporter_->Export(caller, *request), response);
      },
      response);
}

ImpactModule::ImpactModule(RpcGate* gate, const Config& config, registry::RegistryReadModel* model,
                           scheduler::BookingCalendar* bookings, desk::DeskStore* desk,
                           scheduler::RotationStore* rotations,
                           programme::ProgrammeReader* programme)
    : model_(model),
      reporter_(model, bookings, desk, rotations, programme, config, NowMs),
      service_(&reporter_, gate) {}

}  // namespace infrashare::impact
