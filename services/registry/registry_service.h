// infrashare.registry.v1.RegistryService: the gRPC shell around Registry, wired as one service
// module over the process's registry read model.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/common/stream_follower.h"
#include "services/registry/registry.h"

namespace infrashare::registry {

class RegistryServiceImpl final : public v1::RegistryService::CallbackService {
 public:
  RegistryServiceImpl(Registry* registry, ChangeLog* changes, RpcGate* gate,
                      StreamFollower* streams);

#define INFRASHARE_UNARY(Method, Request, Response)                      \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request, v1::Response* response) override;
  INFRASHARE_UNARY(CreateOrganization, CreateOrganizationRequest, Organization)
  INFRASHARE_UNARY(GetOrganization, GetOrganizationRequest, Organization)
  INFRASHARE_UNARY(UpdateOrganization, UpdateOrganizationRequest, Organization)
  INFRASHARE_UNARY(DeleteOrganization, DeleteOrganizationRequest, DeleteResponse)
  INFRASHARE_UNARY(ListOrganizations, ListOrganizationsRequest, ListOrganizationsResponse)
  INFRASHARE_UNARY(CreateNetwork, CreateNetworkRequest, Network)
  INFRASHARE_UNARY(GetNetwork, GetNetworkRequest, Network)
  INFRASHARE_UNARY(UpdateNetwork, UpdateNetworkRequest, Network)
  INFRASHARE_UNARY(DeleteNetwork, DeleteNetworkRequest, DeleteResponse)
  INFRASHARE_UNARY(ListNetworks, ListNetworksRequest, ListNetworksResponse)
  INFRASHARE_UNARY(CreateResource, CreateResourceRequest, Resource)
  INFRASHARE_UNARY(GetResource, GetResourceRequest, Resource)
  INFRASHARE_UNARY(UpdateResource, UpdateResourceRequest, Resource)
  INFRASHARE_UNARY(DeleteResource, DeleteResourceRequest, DeleteResponse)
  INFRASHARE_UNARY(ListResources, ListResourcesRequest, ListResourcesResponse)
  INFRASHARE_UNARY(PublishAvailability, PublishAvailabilityRequest, Availability)
  INFRASHARE_UNARY(GetAvailability, GetAvailabilityRequest, GetAvailabilityResponse)
  INFRASHARE_UNARY(SearchResources, SearchResourcesRequest, SearchResourcesResponse)
  INFRASHARE_UNARY(CoverageReport, CoverageReportRequest, CoverageReportResponse)
  INFRASHARE_UNARY(OverlapReport, OverlapReportRequest, OverlapReportResponse)
  INFRASHARE_UNARY(ImportResources, ImportResourcesRequest, ImportResourcesResponse)
#undef INFRASHARE_UNARY

  grpc::ServerWriteReactor<v1::ResourceChange>* WatchResources(
      grpc::CallbackServerContext* context, const v1::WatchResourcesRequest* request) override;

 private:
  Registry* registry_;
  ChangeLog* changes_;
  RpcGate* gate_;
  StreamFollower* streams_;
};

class RegistryModule final : public ServiceModule {
 public:
  // `model` is the process's registry read model (the server builds it and runs its follower).
  RegistryModule(RedisPool* redis, RpcGate* gate, const RegistryConfig& config,
                 Dependents dependents, RegistryReadModel* model, StreamFollower* streams);
  ~RegistryModule() override;
  std::string name() const override { return "infrashare.registry.v1.RegistryService"; }
  grpc::Service* service() override { return &service_; }
  bool ready() const override { return model_->ready(); }
  Registry* registry() { return &registry_; }

 private:
  const RegistryReadModel* model_;
  RedisRegistryStore store_;
  Registry registry_;
  RegistryServiceImpl service_;
};

}  // namespace infrashare::registry
