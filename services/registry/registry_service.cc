#include "services/registry/registry_service.h"

#include <condition_variable>
#include <mutex>

#include "services/common/errors.h"
#include "services/common/logging.h"

namespace infrashare::registry {

RegistryServiceImpl::RegistryServiceImpl(Registry* registry, RedisRegistryStore* store,
                                         const RedisPool* redis, RpcGate* gate,
                                         const std::atomic<bool>* stopping)
    : registry_(registry), store_(store), redis_(redis), gate_(gate), stopping_(stopping) {}

#define INFRASHARE_HANDLER(Method, Request, Response, RequestId, Call)                           \
  grpc::ServerUnaryReactor* RegistryServiceImpl::Method(                                         \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) { \
    return gate_->Unary(context, "registry." #Method, RequestId, [&](const Caller& caller) {     \
      return Respond(Call, response);                                                            \
    });                                                                                          \
  }

INFRASHARE_HANDLER(CreateOrganization, CreateOrganizationRequest, Organization, request->request_id(),
                   registry_->CreateOrganization(caller, *request))
INFRASHARE_HANDLER(GetOrganization, GetOrganizationRequest, Organization, "",
                   registry_->GetOrganization(caller, request->id()))
INFRASHARE_HANDLER(UpdateOrganization, UpdateOrganizationRequest, Organization, request->request_id(),
                   registry_->UpdateOrganization(caller, *request))
INFRASHARE_HANDLER(ListOrganizations, ListOrganizationsRequest, ListOrganizationsResponse, "",
                   registry_->ListOrganizations(caller, *request))
INFRASHARE_HANDLER(CreateNetwork, CreateNetworkRequest, Network, request->request_id(),
                   registry_->CreateNetwork(caller, *request))
INFRASHARE_HANDLER(GetNetwork, GetNetworkRequest, Network, "", registry_->GetNetwork(caller, request->id()))
INFRASHARE_HANDLER(UpdateNetwork, UpdateNetworkRequest, Network, request->request_id(),
                   registry_->UpdateNetwork(caller, *request))
INFRASHARE_HANDLER(ListNetworks, ListNetworksRequest, ListNetworksResponse, "",
                   registry_->ListNetworks(caller, *request))
INFRASHARE_HANDLER(CreateResource, CreateResourceRequest, Resource, request->request_id(),
                   registry_->CreateResource(caller, *request))
INFRASHARE_HANDLER(GetResource, GetResourceRequest, Resource, "",
                   registry_->GetResource(caller, request->id()))
INFRASHARE_HANDLER(UpdateResource, UpdateResourceRequest, Resource, request->request_id(),
                   registry_->UpdateResource(caller, *request))
INFRASHARE_HANDLER(ListResources, ListResourcesRequest, ListResourcesResponse, "",
                   registry_->ListResources(caller, *request))
INFRASHARE_HANDLER(PublishAvailability, PublishAvailabilityRequest, Availability, request->request_id(),
                   registry_->PublishAvailability(caller, *request))
INFRASHARE_HANDLER(GetAvailability, GetAvailabilityRequest, GetAvailabilityResponse, "",
                   registry_->GetAvailability(caller, *request))
INFRASHARE_HANDLER(SearchResources, SearchResourcesRequest, SearchResourcesResponse, "",
                   registry_->SearchResources(caller, *request))
INFRASHARE_HANDLER(CoverageReport, CoverageReportRequest, CoverageReportResponse, "",
                   registry_->CoverageReport(caller, *request))
INFRASHARE_HANDLER(OverlapReport, OverlapReportRequest, OverlapReportResponse, "",
                   registry_->OverlapReport(caller, *request))
INFRASHARE_HANDLER(ImportResources, ImportResourcesRequest, ImportResourcesResponse, request->request_id(),
                   registry_->ImportResources(caller, *request))
#undef INFRASHARE_HANDLER

grpc::ServerUnaryReactor* RegistryServiceImpl::DeleteOrganization(grpc::CallbackServerContext* context,
                                                     const v1::DeleteOrganizationRequest* request,
                                                     v1::DeleteResponse*) {
  return gate_->Unary(context, "registry.DeleteOrganization", request->request_id(),
                    [&](const Caller& caller) { return registry_->DeleteOrganization(caller, *request); });
}

grpc::ServerUnaryReactor* RegistryServiceImpl::DeleteNetwork(grpc::CallbackServerContext* context,
                                                const v1::DeleteNetworkRequest* request,
                                                v1::DeleteResponse*) {
  return gate_->Unary(context, "registry.DeleteNetwork", request->request_id(),
                    [&](const Caller& caller) { return registry_->DeleteNetwork(caller, *request); });
}

grpc::ServerUnaryReactor* RegistryServiceImpl::DeleteResource(grpc::CallbackServerContext* context,
                                                 const v1::DeleteResourceRequest* request,
                                                 v1::DeleteResponse*) {
  return gate_->Unary(context, "registry.DeleteResource", request->request_id(),
                    [&](const Caller& caller) { return registry_->DeleteResource(caller, *request); });
}

// A watch runs on a thread of its own: it blocks on the change log between changes, which must not
// happen on gRPC's callback threads. One write is in flight at a time.
class RegistryServiceImpl::WatchReactor final : public grpc::ServerWriteReactor<v1::ResourceChange> {
 public:
  WatchReactor(RegistryServiceImpl* service, grpc::CallbackServerContext* context,
               v1::WatchResourcesRequest request)
      : service_(service), context_(context), request_(std::move(request)) {
    thread_ = std::thread([this] { Run(); });
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mutex_);
    writing_ = false;
    failed_ = failed_ || !ok;
    changed_.notify_all();
  }
  void OnCancel() override {
    std::lock_guard lock(mutex_);
    failed_ = true;
    changed_.notify_all();
  }
  void OnDone() override {
    thread_.join();
    delete this;
  }

 private:
  // False when the watcher went away.
  bool Write(const v1::ResourceChange& change) {
    {
      std::lock_guard lock(mutex_);
      if (failed_) return false;
      message_ = change;
      writing_ = true;
    }
    StartWrite(&message_);  // outside the lock: gRPC may call OnWriteDone inline
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !writing_ || failed_; });
    return !failed_;
  }

  bool Stopped() {
    std::lock_guard lock(mutex_);
    return failed_ || service_->stopping_->load();
  }

  void Run() {
    grpc::Status status = service_->gate_->Run(context_, "registry.WatchResources", "",
                                               [&](const Caller& caller) { return Follow(caller); });
    Finish(status);
  }

  absl::Status Follow(const Caller& caller) {
    std::string cursor = request_.cursor();
    if (cursor.empty()) {
      auto latest = service_->store_->LatestCursor();
      if (!latest.ok()) return latest.status();
      cursor = *latest;
    } else {
      if (!IsValidCursor(cursor)) return InvalidField("cursor", "is not a cursor this server issued");
      auto expired = service_->store_->CursorExpired(cursor);
      if (!expired.ok()) return expired.status();
      if (*expired)
        return PreconditionError("CURSOR_EXPIRED",
                                 "changes after this cursor were trimmed; list resources and watch anew");
    }
    auto member_of = service_->registry_->NetworksOf(caller);
    if (!member_of.ok()) return member_of.status();
    ChangeFeed feed(*service_->redis_, service_->store_->EventsKey());
    while (!Stopped()) {
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
        if (!Write(out)) return absl::CancelledError("the watcher went away");
      }
    }
    return absl::OkStatus();
  }

  RegistryServiceImpl* service_;
  grpc::CallbackServerContext* context_;
  v1::WatchResourcesRequest request_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool writing_ = false;
  bool failed_ = false;
  v1::ResourceChange message_;
  std::thread thread_;
};

grpc::ServerWriteReactor<v1::ResourceChange>* RegistryServiceImpl::WatchResources(
    grpc::CallbackServerContext* context, const v1::WatchResourcesRequest* request) {
  return new WatchReactor(this, context, *request);
}

ResourceFollower::ResourceFollower(RedisRegistryStore* store, const RedisPool* redis,
                                   SearchIndex* index, Membership* membership, Registry* registry)
    : store_(store), redis_(redis), index_(index), membership_(membership), registry_(registry) {}

ResourceFollower::~ResourceFollower() { Stop(); }

void ResourceFollower::Start() { thread_ = std::thread([this] { Run(); }); }

void ResourceFollower::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status ResourceFollower::ForEachRecord(absl::string_view kind,
                                             const std::function<void(const std::string&)>& visit) {
  std::string after;
  do {
    auto page = store_->List(kind, "", after, 1000);
    if (!page.ok()) return page.status();
    for (const auto& data : page->records) visit(data);
    after = page->next_after;
  } while (!after.empty() && !stop_);
  return absl::OkStatus();
}

absl::Status ResourceFollower::Load(std::string* cursor) {
  auto latest = store_->LatestCursor();
  if (!latest.ok()) return latest.status();
  if (auto networks = ForEachRecord(kNetworkKind, [&](const std::string& data) {
        v1::Network network;
        if (network.ParseFromString(data)) membership_->Apply(network);
      });
      !networks.ok())
    return networks;
  if (auto resources = ForEachRecord(kResourceKind, [&](const std::string& data) {
        v1::Resource resource;
        if (resource.ParseFromString(data)) index_->Upsert(resource);
      });
      !resources.ok())
    return resources;
  *cursor = *latest;
  return absl::OkStatus();
}

void ResourceFollower::Run() {
  std::string cursor;
  while (!stop_ && !ready_) {
    if (auto loaded = Load(&cursor); loaded.ok()) {
      ready_ = true;
      registry_->SetSearchReady(true);
      logging::Info("search index loaded", {{"resources", std::to_string(index_->size())}});
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  ChangeFeed feed(*redis_, store_->EventsKey());
  while (!stop_) {
    auto changes = feed.Read(cursor, 500, 1000);
    if (!changes.ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (const auto& change : *changes) {
      cursor = change.cursor;
      if (change.kind == kNetworkKind) {
        v1::Network network;
        if (change.op == "deleted") {
          membership_->Remove(change.id);
        } else if (network.ParseFromString(change.data)) {
          membership_->Apply(network);
        }
        continue;
      }
      if (change.kind != kResourceKind) continue;
      if (change.op == "deleted") {
        index_->Remove(change.id);
      } else {
        v1::Resource resource;
        if (resource.ParseFromString(change.data)) index_->Upsert(resource);
      }
    }
  }
}

RegistryModule::RegistryModule(RedisPool* redis, RpcGate* gate, const RegistryConfig& config)
    : store_(redis, config.request_id_ttl_s, config.events_max_length),
      registry_(&store_, &index_, &membership_, config),
      service_(&registry_, &store_, redis, gate, &stopping_),
      follower_(&store_, redis, &index_, &membership_, &registry_) {}

RegistryModule::~RegistryModule() { Stop(); }

void RegistryModule::Start() { follower_.Start(); }

void RegistryModule::Stop() {
  stopping_ = true;
  follower_.Stop();
}

}  // namespace infrashare::registry
