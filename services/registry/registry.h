// The registry's service logic: who may do what, and what each call does to the store and the
// read model. No gRPC in here; the handlers in registry_service.cc are a thin shell around it.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/privacy/v1/privacy.pb.h"
#include "infrashare/registry/v1/registry.pb.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/registry/read_model.h"
#include "services/registry/store.h"

namespace infrashare::registry {

// What other parts of the platform hold about registry objects: settled before a removal, so that
// nothing of a removed object lives on (a removed id is never created again, docs/redis-keys.md).
// An unset function means the part is not there (a registry without a scheduler has no bookings).
struct Dependents {
  // Whether a resource has bookings held, pending or confirmed from now on.
  std::function<absl::StatusOr<bool>(const std::string& resource_id)> has_live_bookings;
  // Revokes every token of an organisation.
  std::function<absl::Status(const std::string& organization_id)> revoke_tokens;
  // The resources with upcoming public events in the programme, for search's filter and facet.
  std::function<absl::StatusOr<std::set<std::string>>()> resources_with_upcoming_events;
};

class Registry {
 public:
  // The registry reads `model` and applies its own writes to it at once.
  Registry(RegistryStore* store, ChangeLog* changes, RegistryReadModel* model,
           RegistryConfig config, Dependents dependents = {});

  absl::StatusOr<v1::Organization> CreateOrganization(const Caller& caller,
                                                      const v1::CreateOrganizationRequest& request);
  absl::StatusOr<v1::Organization> GetOrganization(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::Organization> UpdateOrganization(const Caller& caller,
                                                      const v1::UpdateOrganizationRequest& request);
  absl::Status DeleteOrganization(const Caller& caller,
                                  const v1::DeleteOrganizationRequest& request);
  absl::StatusOr<v1::ListOrganizationsResponse> ListOrganizations(
      const Caller& caller, const v1::ListOrganizationsRequest& request);

  absl::StatusOr<v1::Network> CreateNetwork(const Caller& caller,
                                            const v1::CreateNetworkRequest& request);
  absl::StatusOr<v1::Network> GetNetwork(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::Network> UpdateNetwork(const Caller& caller,
                                            const v1::UpdateNetworkRequest& request);
  absl::Status DeleteNetwork(const Caller& caller, const v1::DeleteNetworkRequest& request);
  absl::StatusOr<v1::ListNetworksResponse> ListNetworks(const Caller& caller,
                                                        const v1::ListNetworksRequest& request);

  absl::StatusOr<v1::Resource> CreateResource(const Caller& caller,
                                              const v1::CreateResourceRequest& request);
  absl::StatusOr<v1::Resource> GetResource(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::Resource> UpdateResource(const Caller& caller,
                                              const v1::UpdateResourceRequest& request);
  absl::Status DeleteResource(const Caller& caller, const v1::DeleteResourceRequest& request);
  absl::StatusOr<v1::ListResourcesResponse> ListResources(const Caller& caller,
                                                          const v1::ListResourcesRequest& request);

  absl::StatusOr<v1::Availability> PublishAvailability(
      const Caller& caller, const v1::PublishAvailabilityRequest& request);
  absl::StatusOr<v1::GetAvailabilityResponse> GetAvailability(
      const Caller& caller, const v1::GetAvailabilityRequest& request);

  absl::StatusOr<v1::SearchResourcesResponse> SearchResources(
      const Caller& caller, const v1::SearchResourcesRequest& request);
  absl::StatusOr<v1::CoverageReportResponse> CoverageReport(
      const Caller& caller, const v1::CoverageReportRequest& request);
  absl::StatusOr<v1::OverlapReportResponse> OverlapReport(const Caller& caller,
                                                          const v1::OverlapReportRequest& request);
  absl::StatusOr<v1::ImportResourcesResponse> ImportResources(
      const Caller& caller, const v1::ImportResourcesRequest& request);

  // Personal data (docs/privacy.md): the staff entries of resources, organisation contacts and
  // network coordinators with this e-mail address (as FoldEmail folds it), and their
  // removal, each a normal update by `caller` (a platform admin). Resources as this replica's
  // search index holds them.
  absl::Status CollectPersonalData(const std::string& email, privacy::v1::PersonalData* out);
  absl::Status ErasePersonalData(const Caller& caller, const std::string& email,
                                 privacy::v1::ErasePersonalDataResponse* erased);

  // Staff contacts are for the owner and members of a network the resource is shared with.
  // `member_of` is the set of networks the caller's organisation belongs to.
  static void RedactFor(const Caller& caller, const std::set<std::string>& member_of,
                        v1::Resource* resource);
  absl::StatusOr<std::set<std::string>> NetworksOf(const Caller& caller);

 private:
  template <typename T>
  absl::StatusOr<std::optional<T>> Load(absl::string_view kind, const std::string& id);
  // Every stored record of a kind, in id order.
  template <typename T>
  absl::Status ForEachRecord(absl::string_view kind, const std::function<void(const T&)>& visit);
  // Resources are shared only with networks their owner belongs to: after a change of a network,
  // those of organisations no longer in it are unshared from it. Every change of the network
  // does it again, so one left halfway (Redis failed) is finished by the next, or by a retry.
  absl::Status UnshareFromNonMembers(const Caller& caller, const std::string& network_id);
  // The networks a resource is shared with exist and have its owner as a member; its parent has
  // the same owner. A refusal names its field under `prefix` ("resource", "resources[3]").
  absl::Status CheckReferences(const v1::Resource& resource, absl::string_view prefix,
                               std::map<std::string, std::optional<v1::Network>>* networks);
  absl::Status CheckParent(const v1::Resource& resource, absl::string_view prefix);
  absl::StatusOr<PutRecord> PrepareResourceCreate(const Caller& caller, v1::Resource resource,
                                                  const std::string& id, absl::string_view field,
                                                  std::string replay_key);
  static PutRecord NetworkRecord(const v1::Network& network, std::string expected,
                                 std::string replay_key);
  PutRecord ResourceRecord(const v1::Resource& resource, std::string expected,
                           std::string replay_key);

  RegistryStore* store_;
  ChangeLog* changes_;
  RegistryReadModel* model_;
  SearchIndex* index_;
  Membership* membership_;
  RegistryConfig config_;
  Dependents dependents_;
};

}  // namespace infrashare::registry
