// infrashare.registry.v1.RegistryService: the gRPC shell around Registry, plus the follower that
// keeps this replica's search index current, wired together as one service module.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/common/stream_follower.h"
#include "services/registry/follower.h"
#include "services/registry/registry.h"

namespace infrashare::registry {

class RegistryServiceImpl final : public v1::RegistryService::CallbackService {
 public:
  RegistryServiceImpl(Registry* registry, RedisRegistryStore* store, RpcGate* gate,
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
  RedisRegistryStore* store_;
  RpcGate* gate_;
  StreamFollower* streams_;
};

// Applies registry changes to this replica's search index and membership.
class RegistryReadModels final : public RegistryListener {
 public:
  RegistryReadModels(SearchIndex* index, Membership* membership, Registry* registry)
      : index_(index), membership_(membership), registry_(registry) {}
  void Upsert(absl::string_view kind, const std::string& data) override;
  void Remove(absl::string_view kind, const std::string& id) override;
  void Loaded() override;

 private:
  SearchIndex* index_;
  Membership* membership_;
  Registry* registry_;
};

class RegistryModule final : public ServiceModule {
 public:
  RegistryModule(RedisPool* redis, RpcGate* gate, const RegistryConfig& config,
                 Dependents dependents);
  ~RegistryModule() override;
  std::string name() const override { return "infrashare.registry.v1.RegistryService"; }
  grpc::Service* service() override { return &service_; }
  void Start() override;
  void Stop() override;
  bool ready() const override { return follower_.ready(); }
  Registry* registry() { return &registry_; }

 private:
  RedisRegistryStore store_;
  SearchIndex index_;
  Membership membership_;
  Registry registry_;
  StreamFollower streams_;
  RegistryServiceImpl service_;
  RegistryReadModels read_models_;
  RegistryFollower follower_;
};

}  // namespace infrashare::registry
