#include "services/registry/registry_service.h"

#include "services/common/errors.h"
#include "services/common/logging.h"
#include "services/common/stream_follower.h"
#include "services/common/stream_ids.h"

namespace infrashare::registry {

RegistryServiceImpl::RegistryServiceImpl(Registry* registry, ChangeLog* changes, RpcGate* gate,
                                         StreamFollower* streams)
    : registry_(registry), changes_(changes), gate_(gate), streams_(streams) {}

// On the gate's worker threads: these wait on Redis or compute (availability, reports, imports),
// and must not hold gRPC's few callback threads that every other call needs.
#define INFRASHARE_HANDLER(Method, Request, Response, Call)                                       \
  grpc::ServerUnaryReactor* RegistryServiceImpl::Method(                                          \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) { \
    return gate_->UnaryOnWorker(                                                                  \
        context, "registry." #Method, *request,                                                   \
        [this, request, response](const Caller& caller) { return Respond(Call, response); },      \
        response);                                                                                \
  }

INFRASHARE_HANDLER(CreateOrganization, CreateOrganizationRequest, Organization,
                   registry_->CreateOrganization(caller, *request))
INFRASHARE_HANDLER(GetOrganization, GetOrganizationRequest, Organization,
                   registry_->GetOrganization(caller, request->id()))
INFRASHARE_HANDLER(UpdateOrganization, UpdateOrganizationRequest, Organization,
                   registry_->UpdateOrganization(caller, *request))
INFRASHARE_HANDLER(ListOrganizations, ListOrganizationsRequest, ListOrganizationsResponse,
                   registry_->ListOrganizations(caller, *request))
INFRASHARE_HANDLER(CreateNetwork, CreateNetworkRequest, Network,
                   registry_->CreateNetwork(caller, *request))
INFRASHARE_HANDLER(GetNetwork, GetNetworkRequest, Network,
                   registry_->GetNetwork(caller, request->id()))
INFRASHARE_HANDLER(UpdateNetwork, UpdateNetworkRequest, Network,
                   registry_->UpdateNetwork(caller, *request))
INFRASHARE_HANDLER(ListNetworks, ListNetworksRequest, ListNetworksResponse,
                   registry_->ListNetworks(caller, *request))
INFRASHARE_HANDLER(CreateResource, CreateResourceRequest, Resource,
                   registry_->CreateResource(caller, *request))
INFRASHARE_HANDLER(GetResource, GetResourceRequest, Resource,
                   registry_->GetResource(caller, request->id()))
INFRASHARE_HANDLER(UpdateResource, UpdateResourceRequest, Resource,
                   registry_->UpdateResource(caller, *request))
INFRASHARE_HANDLER(ListResources, ListResourcesRequest, ListResourcesResponse,
                   registry_->ListResources(caller, *request))
INFRASHARE_HANDLER(PublishAvailability, PublishAvailabilityRequest, Availability,
                   registry_->PublishAvailability(caller, *request))
INFRASHARE_HANDLER(GetAvailability, GetAvailabilityRequest, GetAvailabilityResponse,
                   registry_->GetAvailability(caller, *request))
INFRASHARE_HANDLER(CoverageReport, CoverageReportRequest, CoverageReportResponse,
                   registry_->CoverageReport(caller, *request))
INFRASHARE_HANDLER(OverlapReport, OverlapReportRequest, OverlapReportResponse,
                   registry_->OverlapReport(caller, *request))
INFRASHARE_HANDLER(ImportResources, ImportResourcesRequest, ImportResourcesResponse,
                   registry_->ImportResources(caller, *request))
#undef INFRASHARE_HANDLER

// Inline: a search reads only the in-memory index and is bounded (docs/BENCHMARKS.md).
grpc::ServerUnaryReactor* RegistryServiceImpl::SearchResources(
    grpc::CallbackServerContext* context, const v1::SearchResourcesRequest* request,
    v1::SearchResourcesResponse* response) {
  return gate_->Unary(context, "registry.SearchResources", *request, [&](const Caller& caller) {
    return Respond(registry_->SearchResources(caller, *request), response);
  });
}

grpc::ServerUnaryReactor* RegistryServiceImpl::DeleteOrganization(
    grpc::CallbackServerContext* context, const v1::DeleteOrganizationRequest* request,
    v1::DeleteResponse*) {
  return gate_->UnaryOnWorker(context, "registry.DeleteOrganization", *request,
                              [this, request](const Caller& caller) {
                                return registry_->DeleteOrganization(caller, *request);
                              });
}

grpc::ServerUnaryReactor* RegistryServiceImpl::DeleteNetwork(
    grpc::CallbackServerContext* context, const v1::DeleteNetworkRequest* request,
    v1::DeleteResponse*) {
  return gate_->UnaryOnWorker(
      context, "registry.DeleteNetwork", *request,
      [this, request](const Caller& caller) { return registry_->DeleteNetwork(caller, *request); });
}

grpc::ServerUnaryReactor* RegistryServiceImpl::DeleteResource(
    grpc::CallbackServerContext* context, const v1::DeleteResourceRequest* request,
    v1::DeleteResponse*) {
  return gate_->UnaryOnWorker(context, "registry.DeleteResource", *request,
                              [this, request](const Caller& caller) {
                                return registry_->DeleteResource(caller, *request);
                              });
}

grpc::ServerWriteReactor<v1::ResourceChange>* RegistryServiceImpl::WatchResources(
    grpc::CallbackServerContext* context, const v1::WatchResourcesRequest* request) {
  using Call = WatchCall<v1::ResourceChange>;
  return Call::Start(streams_, context, "registry.WatchResources", *request, request->cursor(),
                     [this](const Caller& caller) -> absl::StatusOr<Call::Opened> {
                       Call::Opened opened;
                       opened.plan = {"reg1", {changes_->EventsKey()}};
                       opened.convert = [this, caller](size_t, const StreamEntry& entry)
                           -> absl::StatusOr<std::optional<v1::ResourceChange>> {
                         const Change change = ChangeOf(entry);
                         if (change.kind != kResourceKind) return std::nullopt;
                         v1::ResourceChange out;
                         out.set_resource_id(change.id);
                         if (change.op == "deleted") {
                           out.set_type(v1::CHANGE_TYPE_DELETED);
                         } else {
                           out.set_type(change.op == "created" ? v1::CHANGE_TYPE_CREATED
                                                               : v1::CHANGE_TYPE_UPDATED);
                           if (!out.mutable_resource()->ParseFromString(change.data))
                             return absl::InternalError("corrupt change record");
                           // The caller's networks as they are now, not as they were when the
                           // stream opened: an organisation removed from a network stops seeing
                           // its staff contacts at once (an in-memory read of the read model).
                           auto member_of = registry_->NetworksOf(caller);
                           if (!member_of.ok()) return member_of.status();
                           Registry::RedactFor(caller, *member_of, out.mutable_resource());
                         }
                         return out;
                       };
                       return opened;
                     });
}

RegistryModule::RegistryModule(RedisPool* redis, RpcGate* gate, const RegistryConfig& config,
                               Dependents dependents, RegistryReadModel* model,
                               StreamFollower* streams)
    : model_(model),
      store_(redis, config.request_id_ttl_s, config.events_max_length),
      registry_(&store_, &store_, model, config, std::move(dependents)),
      service_(&registry_, &store_, gate, streams) {}

RegistryModule::~RegistryModule() = default;

}  // namespace infrashare::registry
