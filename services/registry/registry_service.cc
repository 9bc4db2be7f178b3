#include "services/registry/registry_service.h"

#include "services/common/errors.h"
#include "services/common/stream_ids.h"
#include "services/common/watch_reactor.h"

namespace infrashare::registry {

RegistryServiceImpl::RegistryServiceImpl(Registry* registry, RedisRegistryStore* store,
                                         const RedisPool* redis, RpcGate* gate,
                                         const std::atomic<bool>* stopping)
    : registry_(registry), store_(store), redis_(redis), gate_(gate), stopping_(stopping) {}

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
  return WatchReactor<v1::ResourceChange>::Start(
      gate_, context, "registry.WatchResources", *request, stopping_,
      [this, cursor = request->cursor()](const Caller& caller,
                                         const WatchReactor<v1::ResourceChange>::Write& write,
                                         const std::function<bool()>& stopped) {
        return FollowResources(caller, cursor, write, stopped);
      });
}

absl::Status RegistryServiceImpl::FollowResources(
    const Caller& caller, std::string cursor,
    const std::function<bool(const v1::ResourceChange&)>& write,
    const std::function<bool()>& stopped) {
  if (cursor.empty()) {
    auto latest = store_->LatestCursor();
    if (!latest.ok()) return latest.status();
    cursor = *latest;
  } else {
    if (!IsValidStreamId(cursor))
      return InvalidField("cursor", "is not a cursor this server issued");
    auto expired = store_->CursorExpired(cursor);
    if (!expired.ok()) return expired.status();
    if (*expired)
      return PreconditionError(
          "CURSOR_EXPIRED",
          "changes after this cursor were trimmed; list resources and watch anew");
  }
  auto member_of = registry_->NetworksOf(caller);
  if (!member_of.ok()) return member_of.status();
  ChangeFeed feed(*redis_, store_->EventsKey());
  while (!stopped()) {
    auto changes = feed.Read(cursor, 1000, 100);
    if (!changes.ok()) return changes.status();
    for (const auto& change : *changes) {
      cursor = change.cursor;
      if (change.kind != kResourceKind) continue;
      v1::ResourceChange out;
      out.set_cursor(change.cursor);
      out.set_resource_id(change.id);
      if (change.op == "deleted") {
        out.set_type(v1::CHANGE_TYPE_DELETED);
      } else {
        out.set_type(change.op == "created" ? v1::CHANGE_TYPE_CREATED : v1::CHANGE_TYPE_UPDATED);
        if (!out.mutable_resource()->ParseFromString(change.data))
          return absl::InternalError("corrupt change record");
        Registry::RedactFor(caller, *member_of, out.mutable_resource());
      }
      if (!write(out)) return absl::CancelledError("the watcher went away");
    }
  }
  return absl::OkStatus();
}

RegistryModule::RegistryModule(RedisPool* redis, RpcGate* gate, const RegistryConfig& config,
                               Dependents dependents, RegistryReadModel* model)
    : model_(model),
      store_(redis, config.request_id_ttl_s, config.events_max_length),
      registry_(&store_, model, config, std::move(dependents)),
      service_(&registry_, &store_, redis, gate, &stopping_) {}

RegistryModule::~RegistryModule() { Stop(); }

}  // namespace infrashare::registry
