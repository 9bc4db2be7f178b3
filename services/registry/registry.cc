#include "services/registry/registry.h"

#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/common/availability.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/paging.h"
#include "services/common/recurrence.h"
#include "services/common/regions.h"
#include "services/common/text_fold.h"
#include "services/registry/coverage.h"
#include "services/registry/validation.h"

namespace infrashare::registry {
namespace {

using google::protobuf::util::TimeUtil;

constexpr size_t kMaxOverlapCandidates = 5000;

std::string NextVersion(const std::string& etag) { return std::to_string(EtagVersion(etag) + 1); }

template <typename T>
void Stamp(const Caller& caller, bool created, T* object) {
  auto now = TimeUtil::MillisecondsToTimestamp(NowMs());  // GetCurrentTime() has whole seconds
  auto* audit = object->mutable_audit();
  if (created) {
    *audit->mutable_create_time() = now;
    audit->set_created_by(caller.organization_id);
  }
  *audit->mutable_update_time() = now;
  audit->set_updated_by(caller.organization_id);
}

absl::Status CheckEtag(const std::string& given, const std::string& current, absl::string_view kind,
                       const std::string& id) {
  if (!given.empty() && given != current) return StaleEtagError(kind, id);
  return absl::OkStatus();
}

// Ids the server makes (random ones, and imports' natural-key ones) start with "<prefix>_", so a
// caller can never take one before its rightful owner does.
bool IsServerMadeId(absl::string_view id, absl::string_view prefix) {
  return id.size() > prefix.size() && id.substr(0, prefix.size()) == prefix &&
         id[prefix.size()] == '_';
}

// Picks a server id, or checks a client-chosen one.
absl::StatusOr<std::string> ChooseId(const std::string& requested, absl::string_view prefix,
                                     absl::string_view field) {
  if (requested.empty()) return NewId(prefix);
  if (!IsValidId(requested))
    return InvalidField(field, "is not a valid id ([a-z0-9][a-z0-9_-]{0,63})");
  if (IsServerMadeId(requested, prefix))
    return InvalidField(field, absl::StrCat("ids starting with ", prefix,
                                            "_ are made by the server; choose another"));
  return requested;
}

template <typename T>
absl::StatusOr<T> Parse(const std::string& data) {
  T object;
  if (!object.ParseFromString(data)) return absl::InternalError("corrupt registry record");
  return object;
}

bool ReadOnly(const Caller& caller) {
  return caller.roles.size() == 1 && caller.Has(auth::v1::ROLE_READ_ONLY_INTEGRATOR);
}

std::vector<std::string> ResourceIndexes(const v1::Resource& r) {
  std::vector<std::string> ix = {absl::StrCat("owner:", r.owner_organization_id())};
  for (const auto& n : r.shared_with_network_ids()) ix.push_back(absl::StrCat("net:", n));
  if (!r.parent_resource_id().empty())
    ix.push_back(absl::StrCat("parent:", r.parent_resource_id()));
  return ix;
}

std::vector<std::string> ResourceRefs(const v1::Resource& r) {
  std::vector<std::string> refs = {absl::StrCat(kOrganizationKind, ":", r.owner_organization_id())};
  for (const auto& n : r.shared_with_network_ids())
    refs.push_back(absl::StrCat(kNetworkKind, ":", n));
  if (!r.parent_resource_id().empty())
    refs.push_back(absl::StrCat(kResourceKind, ":", r.parent_resource_id()));
  return refs;
}

template <typename T>
absl::StatusOr<T> Written(absl::StatusOr<WriteResult> result, const T& object) {
  if (!result.ok()) return result.status();
  if (result->replayed) return Parse<T>(result->data);
  return object;
}

// Whether a write changed the store, so that this replica puts it into its read model at once: a
// retry answered from its replay did not, and its copy may be older than what the model holds (a
// resource deleted since would come back in this replica's search and bookings for good).
bool Fresh(const absl::StatusOr<WriteResult>& put) { return put.ok() && !put->replayed; }

// The coordinate ("latitude" or "longitude") a row or an update leaves out when its fields name
// only the other one of a point its resource does not have yet, else empty: proto3 cannot tell the
// missing one from 0, and a CSV row with a latitude and an empty longitude was placed at 0.
std::string HalfPoint(const google::protobuf::FieldMask& row, bool had_point) {
  bool latitude = false, longitude = false;
  for (const auto& path : row.paths()) {
    latitude = latitude || path == "location.point.latitude";
    longitude = longitude || path == "location.point.longitude";
  }
  if (had_point || latitude == longitude) return "";
  return latitude ? "longitude" : "latitude";
}

}  // namespace

Registry::Registry(RegistryStore* store, ChangeLog* changes, RegistryReadModel* model,
                   RegistryConfig config, Dependents dependents)
    : store_(store),
      changes_(changes),
      model_(model),
      index_(&model->index()),
      membership_(&model->membership()),
      config_(std::move(config)),
      dependents_(std::move(dependents)) {}

template <typename T>
absl::StatusOr<std::optional<T>> Registry::Load(absl::string_view kind, const std::string& id) {
  if (!IsValidId(id)) return InvalidField("id", "is not a valid id");
  auto data = store_->Get(kind, id);
  if (!data.ok()) return data.status();
  if (!data->has_value()) return std::optional<T>();
  auto parsed = Parse<T>(**data);
  if (!parsed.ok()) return parsed.status();
  return std::optional<T>(std::move(*parsed));
}

// ---- organisations -----------------------------------------------------------------------------

absl::StatusOr<v1::Organization> Registry::CreateOrganization(
    const Caller& caller, const v1::CreateOrganizationRequest& request) {
  if (!caller.IsPlatformAdmin() && !caller.Has(auth::v1::ROLE_NETWORK_COORDINATOR))
    return Forbidden("only platform admins and network coordinators add organisations");
  // Platform admins' tokens act for this id: an organisation of that name could be deleted, and
  // deleting an organisation revokes its tokens.
  if (request.organization_id() == kPlatformOrganization)
    return InvalidField("organization_id", "'platform' is reserved for the platform's own tokens");
  auto id = ChooseId(request.organization_id(), "org", "organization_id");
  if (!id.ok()) return id.status();
  v1::Organization org = request.organization();
  ApplyDefaults(&org);
  FieldErrors errors;
  Validate(org, "organization", &errors);
  if (!errors.empty()) return errors.ToStatus();
  org.set_id(*id);
  org.set_etag("1");
  Stamp(caller, true, &org);
  PutRecord record{kOrganizationKind,
                   *id,
                   "",
                   "1",
                   org.SerializeAsString(),
                   store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                   {},
                   {}};
  return Written(store_->Put(record), org);
}

absl::StatusOr<v1::Organization> Registry::GetOrganization(const Caller&, const std::string& id) {
  auto org = Load<v1::Organization>(kOrganizationKind, id);
  if (!org.ok()) return org.status();
  if (!org->has_value()) return NotFoundError("organization", id);
  return std::move(**org);
}

absl::StatusOr<v1::Organization> Registry::UpdateOrganization(
    const Caller& caller, const v1::UpdateOrganizationRequest& request) {
  const std::string& id = request.organization().id();
  if (id.empty()) return InvalidField("organization.id", "is required");
  if (auto mask =
          CheckUpdateMask(request.update_mask(), v1::Organization::descriptor(), "organization");
      !mask.ok())
    return mask;
  auto current = Load<v1::Organization>(kOrganizationKind, id);
  if (!current.ok()) return current.status();
  if (!current->has_value()) return NotFoundError("organization", id);
  v1::Organization org = std::move(**current);
  if (auto etag = CheckEtag(request.organization().etag(), org.etag(), "organization", id);
      !etag.ok())
    return etag;
  const std::string expected = org.etag();
  const v1::Organization before = org;
  ApplyUpdate(request.organization(), request.update_mask(), &org);
  ApplyDefaults(&org);
  // The SME flag decides the SME share of bookings: the network vouches for it, not the company.
  bool coordinator = caller.IsPlatformAdmin();
  for (const auto& network : membership_->NetworksOf(id))
    coordinator = coordinator || caller.Coordinates(network);
  v1::Organization without_sme = org;
  without_sme.set_sme(before.sme());
  const bool other_changes = without_sme.SerializeAsString() != before.SerializeAsString();
  if (org.sme() != before.sme() && !coordinator)
    return Forbidden(
        "only platform admins and coordinators of the organisation's networks set its SME flag");
  if (!caller.IsAdminOf(id) && (other_changes || !coordinator))
    return Forbidden("only the organisation's admins change it");
  FieldErrors errors;
  Validate(org, "organization", &errors);
  if (!errors.empty()) return errors.ToStatus();
  org.set_etag(NextVersion(expected));
  Stamp(caller, false, &org);
  PutRecord record{kOrganizationKind,
                   id,
                   expected,
                   org.etag(),
                   org.SerializeAsString(),
                   store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                   {},
                   {}};
  return Written(store_->Put(record), org);
}

absl::Status Registry::DeleteOrganization(const Caller& caller,
                                          const v1::DeleteOrganizationRequest& request) {
  if (!caller.IsPlatformAdmin()) return Forbidden("only platform admins remove organisations");
  if (!IsValidId(request.id())) return InvalidField("id", "is not a valid id");
  if (request.id() == kPlatformOrganization)
    return InvalidField(
        "id", "'platform' is the platform's own organisation; its tokens are revoked one by one");
  DeleteRecord record{kOrganizationKind,
                      request.id(),
                      request.etag(),
                      store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                      {absl::StrCat("owner:", request.id()), absl::StrCat("member:", request.id())},
                      {}};
  if (auto deleted = store_->Delete(record); !deleted.ok()) return deleted.status();
  // After the record is gone (its id can never come back): a retry of this call replays the
  // deletion and revokes again, so a failure here is mended by retrying.
  if (dependents_.revoke_tokens) return dependents_.revoke_tokens(request.id());
  return absl::OkStatus();
}

absl::StatusOr<v1::ListOrganizationsResponse> Registry::ListOrganizations(
    const Caller&, const v1::ListOrganizationsRequest& request) {
  auto size = PageSize(request.page_size(), config_.default_page_size, config_.max_page_size);
  if (!size.ok()) return size.status();
  if (!v1::OrganizationKind_IsValid(request.kind()))
    return InvalidField("kind", absl::StrCat("unknown organisation kind ", request.kind()));
  if (!request.page_token().empty() && !IsValidId(request.page_token()))
    return InvalidField("page_token", "is not a token this server issued");
  v1::ListOrganizationsResponse response;
  std::string after = request.page_token();
  // Reads on until one record past a full page matches (so a token means more follow, also with a
  // kind filter) or the records run out.
  std::string last_kept;
  bool more = false;
  while (!more) {
    auto page = store_->List(kOrganizationKind, "", after, *size);
    if (!page.ok()) return page.status();
    for (const auto& data : page->records) {
      auto org = Parse<v1::Organization>(data);
      if (!org.ok()) return org.status();
      after = org->id();
      if (request.kind() != 0 && org->kind() != request.kind()) continue;
      if (response.organizations_size() == *size) {
        more = true;
        break;
      }
      last_kept = org->id();
      *response.add_organizations() = std::move(*org);
    }
    if (page->next_after.empty()) break;
  }
  const std::string next = more ? last_kept : std::string();
  response.set_next_page_token(next);
  return response;
}

// ---- networks ----------------------------------------------------------------------------------

absl::StatusOr<v1::Network> Registry::CreateNetwork(const Caller& caller,
                                                    const v1::CreateNetworkRequest& request) {
  if (!caller.IsPlatformAdmin()) return Forbidden("only platform admins add networks");
  auto id = ChooseId(request.network_id(), "net", "network_id");
  if (!id.ok()) return id.status();
  v1::Network network = request.network();
  ApplyDefaults(&network);
  FieldErrors errors;
  Validate(network, "network", &errors);
  if (!errors.empty()) return errors.ToStatus();
  network.set_id(*id);
  network.set_etag("1");
  Stamp(caller, true, &network);
  auto put = store_->Put(NetworkRecord(
      network, "", store_->ReplayKey(caller.organization_id, IdempotencyKey(request))));
  const bool fresh = Fresh(put);
  auto written = Written(std::move(put), network);
  if (fresh) membership_->Apply(*written);
  return written;
}

absl::StatusOr<v1::Network> Registry::GetNetwork(const Caller&, const std::string& id) {
  auto network = Load<v1::Network>(kNetworkKind, id);
  if (!network.ok()) return network.status();
  if (!network->has_value()) return NotFoundError("network", id);
  return std::move(**network);
}

absl::StatusOr<v1::Network> Registry::UpdateNetwork(const Caller& caller,
                                                    const v1::UpdateNetworkRequest& request) {
  const std::string& id = request.network().id();
  if (id.empty()) return InvalidField("network.id", "is required");
  if (auto mask = CheckUpdateMask(request.update_mask(), v1::Network::descriptor(), "network");
      !mask.ok())
    return mask;
  auto current = Load<v1::Network>(kNetworkKind, id);
  if (!current.ok()) return current.status();
  if (!current->has_value()) return NotFoundError("network", id);
  if (!caller.Coordinates(id)) return Forbidden("only the network's coordinators change it");
  v1::Network network = std::move(**current);
  if (auto etag = CheckEtag(request.network().etag(), network.etag(), "network", id); !etag.ok())
    return etag;
  const std::string expected = network.etag();
  ApplyUpdate(request.network(), request.update_mask(), &network);
  FieldErrors errors;
  Validate(network, "network", &errors);
  if (!errors.empty()) return errors.ToStatus();
  network.set_etag(NextVersion(expected));
  Stamp(caller, false, &network);
  auto put = store_->Put(NetworkRecord(
      network, expected, store_->ReplayKey(caller.organization_id, IdempotencyKey(request))));
  const bool fresh = Fresh(put);
  auto written = Written(std::move(put), network);
  if (!written.ok()) return written;
  if (fresh) membership_->Apply(*written);
  if (auto unshared = UnshareFromNonMembers(caller, id); !unshared.ok())
    return absl::UnavailableError(absl::StrCat(
        "the network was changed, but resources of organisations no longer in it may still be "
        "shared with it; repeat the call (",
        unshared.message(), ")"));
  return written;
}

absl::Status Registry::UnshareFromNonMembers(const Caller& caller, const std::string& network_id) {
  // The network as it is now: a retry's answer is the network as the first call left it.
  auto network = Load<v1::Network>(kNetworkKind, network_id);
  if (!network.ok()) return network.status();
  if (!network->has_value()) return absl::OkStatus();
  const auto& member_ids = (*network)->member_organization_ids();
  const std::set<std::string> members(member_ids.begin(), member_ids.end());
  auto shared = store_->IndexMembers(absl::StrCat("net:", network_id));
  if (!shared.ok()) return shared.status();
  auto loaded = store_->GetMany(kResourceKind, *shared);
  if (!loaded.ok()) return loaded.status();
  for (size_t i = 0; i < shared->size(); ++i) {
    std::optional<std::string> data = std::move((*loaded)[i]);
    // A resource changed meanwhile (ABORTED) is read again, a few times.
    constexpr int kAttempts = 5;
    for (int attempt = 0; data; ++attempt) {
      if (attempt == kAttempts)
        return absl::AbortedError(
            absl::StrCat("resource ", (*shared)[i], " kept changing while it was unshared"));
      auto resource = Parse<v1::Resource>(*data);
      if (!resource.ok()) return resource.status();
      auto* networks = resource->mutable_shared_with_network_ids();
      const auto listed = std::find(networks->begin(), networks->end(), network_id);
      if (members.count(resource->owner_organization_id()) || listed == networks->end()) break;
      networks->erase(listed);
      const std::string expected = resource->etag();
      resource->set_etag(NextVersion(expected));
      Stamp(caller, false, &*resource);
      auto written = store_->Put(ResourceRecord(*resource, expected, ""));
      if (written.ok()) {
        index_->Upsert(*resource);
        break;
      }
      if (written.status().code() != absl::StatusCode::kAborted) return written.status();
      auto again = store_->Get(kResourceKind, (*shared)[i]);  // nullopt once deleted: done
      if (!again.ok()) return again.status();
      data = std::move(*again);
    }
  }
  return absl::OkStatus();
}

absl::Status Registry::DeleteNetwork(const Caller& caller,
                                     const v1::DeleteNetworkRequest& request) {
  if (!caller.IsPlatformAdmin()) return Forbidden("only platform admins remove networks");
  if (!IsValidId(request.id())) return InvalidField("id", "is not a valid id");
  DeleteRecord record{kNetworkKind,
                      request.id(),
                      request.etag(),
                      store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                      {absl::StrCat("net:", request.id())},
                      {}};
  auto deleted = store_->Delete(record);
  if (!deleted.ok()) return deleted.status();
  membership_->Remove(request.id());
  return absl::OkStatus();
}

absl::StatusOr<v1::ListNetworksResponse> Registry::ListNetworks(
    const Caller&, const v1::ListNetworksRequest& request) {
  auto size = PageSize(request.page_size(), config_.default_page_size, config_.max_page_size);
  if (!size.ok()) return size.status();
  if (!request.page_token().empty() && !IsValidId(request.page_token()))
    return InvalidField("page_token", "is not a token this server issued");
  auto page = store_->List(kNetworkKind, "", request.page_token(), *size);
  if (!page.ok()) return page.status();
  v1::ListNetworksResponse response;
  for (const auto& data : page->records) {
    auto network = Parse<v1::Network>(data);
    if (!network.ok()) return network.status();
    *response.add_networks() = std::move(*network);
  }
  response.set_next_page_token(page->next_after);
  return response;
}

// ---- resources ---------------------------------------------------------------------------------

absl::StatusOr<std::set<std::string>> Registry::NetworksOf(const Caller& caller) {
  if (caller.organization_id == kPlatformOrganization) return std::set<std::string>();
  if (model_->ready()) return membership_->NetworksOf(caller.organization_id);
  auto ids = store_->IndexMembers(absl::StrCat("member:", caller.organization_id));
  if (!ids.ok()) return ids.status();
  return std::set<std::string>(ids->begin(), ids->end());
}

void Registry::RedactFor(const Caller& caller, const std::set<std::string>& member_of,
                         v1::Resource* resource) {
  if (caller.IsPlatformAdmin() || caller.organization_id == resource->owner_organization_id())
    return;
  for (const auto& n : resource->shared_with_network_ids())
    if (member_of.count(n)) return;
  resource->clear_staff();
}

// A resource is shared only with networks its owner belongs to, and is part only of its owner's
// resources.
absl::Status Registry::CheckReferences(
    const v1::Resource& resource, absl::string_view prefix,
    std::map<std::string, std::optional<v1::Network>>* networks) {
  std::vector<std::string> missing;
  for (const auto& n : resource.shared_with_network_ids())
    if (!networks->count(n)) missing.push_back(n);
  if (!missing.empty()) {
    auto loaded = store_->GetMany(kNetworkKind, missing);
    if (!loaded.ok()) return loaded.status();
    for (size_t i = 0; i < missing.size(); ++i) {
      std::optional<v1::Network> network;
      if ((*loaded)[i]) {
        auto parsed = Parse<v1::Network>(*(*loaded)[i]);
        if (!parsed.ok()) return parsed.status();
        network = std::move(*parsed);
      }
      (*networks)[missing[i]] = std::move(network);
    }
  }
  for (int i = 0; i < resource.shared_with_network_ids_size(); ++i) {
    const std::string field = absl::StrCat(prefix, ".shared_with_network_ids[", i, "]");
    const auto& network = (*networks)[resource.shared_with_network_ids(i)];
    if (!network)
      return WithField(NotFoundError("network", resource.shared_with_network_ids(i)), field);
    const auto& members = network->member_organization_ids();
    if (std::find(members.begin(), members.end(), resource.owner_organization_id()) ==
        members.end())
      return WithField(PreconditionError("NOT_A_NETWORK_MEMBER",
                                         absl::StrCat("owner ", resource.owner_organization_id(),
                                                      " is not a member of network ", network->id(),
                                                      " (shared_with_network_ids[", i, "])")),
                       field);
  }
  return CheckParent(resource, prefix);
}

// A resource is part only of its own owner's resources: another organisation's child would block
// the parent's removal and claim a place in its owner's site.
absl::Status Registry::CheckParent(const v1::Resource& resource, absl::string_view prefix) {
  const std::string& parent_id = resource.parent_resource_id();
  if (parent_id.empty()) return absl::OkStatus();
  const std::string field = absl::StrCat(prefix, ".parent_resource_id");
  if (parent_id == resource.id()) return InvalidField(field, "cannot be the resource itself");
  auto parent = Load<v1::Resource>(kResourceKind, parent_id);
  if (!parent.ok()) return parent.status();
  if (!parent->has_value() ||
      (*parent)->owner_organization_id() != resource.owner_organization_id())
    return InvalidField(field, "must be a resource of the same owner organisation");
  return absl::OkStatus();
}

// A network's record: its members must exist, and each member's index lists the network.
PutRecord Registry::NetworkRecord(const v1::Network& network, std::string expected,
                                  std::string replay_key) {
  PutRecord record{kNetworkKind,
                   network.id(),
                   std::move(expected),
                   network.etag(),
                   network.SerializeAsString(),
                   std::move(replay_key),
                   {},
                   {}};
  for (const auto& m : network.member_organization_ids()) {
    record.must_exist.push_back(absl::StrCat(kOrganizationKind, ":", m));
    record.indexes.push_back(absl::StrCat("member:", m));
  }
  return record;
}

PutRecord Registry::ResourceRecord(const v1::Resource& resource, std::string expected,
                                   std::string replay_key) {
  return PutRecord{kResourceKind,
                   resource.id(),
                   std::move(expected),
                   resource.etag(),
                   resource.SerializeAsString(),
                   std::move(replay_key),
                   ResourceRefs(resource),
                   ResourceIndexes(resource)};
}

absl::StatusOr<PutRecord> Registry::PrepareResourceCreate(const Caller& caller,
                                                          v1::Resource resource,
                                                          const std::string& id,
                                                          absl::string_view field,
                                                          std::string replay_key) {
  ApplyDefaults(&resource);
  resource.set_id(id);
  FieldErrors errors;
  Validate(resource, field, &errors);
  if (!errors.empty()) return errors.ToStatus();
  if (!caller.CanWriteFor(resource.owner_organization_id()) || ReadOnly(caller))
    return Forbidden("only the owner organisation's admins and members add its resources");
  resource.set_etag("1");
  Stamp(caller, true, &resource);
  return ResourceRecord(resource, "", std::move(replay_key));
}

absl::StatusOr<v1::Resource> Registry::CreateResource(const Caller& caller,
                                                      const v1::CreateResourceRequest& request) {
  auto id = ChooseId(request.resource_id(), "res", "resource_id");
  if (!id.ok()) return id.status();
  auto record =
      PrepareResourceCreate(caller, request.resource(), *id, "resource",
                            store_->ReplayKey(caller.organization_id, IdempotencyKey(request)));
  if (!record.ok()) return record.status();
  v1::Resource resource;
  resource.ParseFromString(record->data);
  std::map<std::string, std::optional<v1::Network>> networks;
  if (auto sharing = CheckReferences(resource, "resource", &networks); !sharing.ok())
    return sharing;
  auto put = store_->Put(*record);
  const bool fresh = Fresh(put);
  auto written = Written(std::move(put), resource);
  if (fresh) index_->Upsert(*written);
  return written;
}

absl::StatusOr<v1::Resource> Registry::GetResource(const Caller& caller, const std::string& id) {
  auto resource = Load<v1::Resource>(kResourceKind, id);
  if (!resource.ok()) return resource.status();
  if (!resource->has_value()) return NotFoundError("resource", id);
  auto member_of = NetworksOf(caller);
  if (!member_of.ok()) return member_of.status();
  RedactFor(caller, *member_of, &**resource);
  return std::move(**resource);
}

absl::StatusOr<v1::Resource> Registry::UpdateResource(const Caller& caller,
                                                      const v1::UpdateResourceRequest& request) {
  const std::string& id = request.resource().id();
  if (id.empty()) return InvalidField("resource.id", "is required");
  if (auto mask = CheckUpdateMask(request.update_mask(), v1::Resource::descriptor(), "resource");
      !mask.ok())
    return mask;
  auto current = Load<v1::Resource>(kResourceKind, id);
  if (!current.ok()) return current.status();
  if (!current->has_value()) return NotFoundError("resource", id);
  v1::Resource resource = std::move(**current);
  if (!caller.CanWriteFor(resource.owner_organization_id()) || ReadOnly(caller))
    return Forbidden("only the owner organisation's admins and members change its resources");
  if (auto etag = CheckEtag(request.resource().etag(), resource.etag(), "resource", id); !etag.ok())
    return etag;
  const std::string expected = resource.etag();
  if (auto half = HalfPoint(request.update_mask(), resource.location().has_point()); !half.empty())
    return InvalidField(absl::StrCat("resource.location.point.", half),
                        "is required when the update gives the other coordinate and the resource "
                        "has no point yet (it would be 0)");
  ApplyUpdate(request.resource(), request.update_mask(), &resource);
  ApplyDefaults(&resource);
  FieldErrors errors;
  Validate(resource, "resource", &errors);
  if (!errors.empty()) return errors.ToStatus();
  std::map<std::string, std::optional<v1::Network>> networks;
  if (auto sharing = CheckReferences(resource, "resource", &networks); !sharing.ok())
    return sharing;
  resource.set_etag(NextVersion(expected));
  Stamp(caller, false, &resource);
  auto put = store_->Put(ResourceRecord(
      resource, expected, store_->ReplayKey(caller.organization_id, IdempotencyKey(request))));
  const bool fresh = Fresh(put);
  auto written = Written(std::move(put), resource);
  if (fresh) index_->Upsert(*written);
  return written;
}

absl::Status Registry::DeleteResource(const Caller& caller,
                                      const v1::DeleteResourceRequest& request) {
  auto current = Load<v1::Resource>(kResourceKind, request.id());
  if (!current.ok()) return current.status();
  if (!current->has_value()) return NotFoundError("resource", request.id());
  if (!caller.CanWriteFor((*current)->owner_organization_id()) || ReadOnly(caller))
    return Forbidden("only the owner organisation's admins and members remove its resources");
  if (dependents_.has_live_bookings) {
    auto live = dependents_.has_live_bookings(request.id());
    if (!live.ok()) return live.status();
    if (*live)
      return PreconditionError(
          "IN_USE", absl::StrCat("resource ", request.id(),
                                 " has bookings held, pending or confirmed from now on: cancel "
                                 "them (or retire the resource) first"));
  }
  DeleteRecord record{kResourceKind,
                      request.id(),
                      request.etag(),
                      store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                      {absl::StrCat("parent:", request.id())},
                      {absl::StrCat(kAvailabilityKind, ":", request.id())}};
  auto deleted = store_->Delete(record);
  if (!deleted.ok()) return deleted.status();
  index_->Remove(request.id());
  return absl::OkStatus();
}

absl::StatusOr<v1::ListResourcesResponse> Registry::ListResources(
    const Caller& caller, const v1::ListResourcesRequest& request) {
  auto size = PageSize(request.page_size(), config_.default_page_size, config_.max_page_size);
  if (!size.ok()) return size.status();
  if (!request.page_token().empty() && !IsValidId(request.page_token()))
    return InvalidField("page_token", "is not a token this server issued");
  if (!request.owner_organization_id().empty() && !IsValidId(request.owner_organization_id()))
    return InvalidField("owner_organization_id", "is not a valid id");
  std::string index = request.owner_organization_id().empty()
                          ? ""
                          : absl::StrCat("owner:", request.owner_organization_id());
  auto page = store_->List(kResourceKind, index, request.page_token(), *size);
  if (!page.ok()) return page.status();
  auto member_of = NetworksOf(caller);
  if (!member_of.ok()) return member_of.status();
  v1::ListResourcesResponse response;
  for (const auto& data : page->records) {
    auto resource = Parse<v1::Resource>(data);
    if (!resource.ok()) return resource.status();
    RedactFor(caller, *member_of, &*resource);
    *response.add_resources() = std::move(*resource);
  }
  response.set_next_page_token(page->next_after);
  return response;
}

// ---- availability ------------------------------------------------------------------------------

absl::StatusOr<v1::Availability> Registry::PublishAvailability(
    const Caller& caller, const v1::PublishAvailabilityRequest& request) {
  auto resource = Load<v1::Resource>(kResourceKind, request.resource_id());
  if (!resource.ok()) return resource.status();
  if (!resource->has_value()) return NotFoundError("resource", request.resource_id());
  if (!caller.CanWriteFor((*resource)->owner_organization_id()) || ReadOnly(caller))
    return Forbidden("only the owner organisation publishes a resource's availability");
  FieldErrors errors;
  ValidateAvailability(request, &errors);
  if (!errors.empty()) return errors.ToStatus();
  auto current = Load<v1::Availability>(kAvailabilityKind, request.resource_id());
  if (!current.ok()) return current.status();
  const std::string expected = current->has_value() ? (*current)->etag() : "";
  if (!request.etag().empty() && request.etag() != expected)
    return StaleEtagError("availability", request.resource_id());
  v1::Availability availability;
  availability.set_resource_id(request.resource_id());
  *availability.mutable_rules() = request.rules();
  *availability.mutable_closures() = request.closures();
  availability.set_etag(NextVersion(expected));
  PutRecord record{kAvailabilityKind,
                   request.resource_id(),
                   expected,
                   availability.etag(),
                   availability.SerializeAsString(),
                   store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                   {absl::StrCat(kResourceKind, ":", request.resource_id())},
                   {}};
  return Written(store_->Put(record), availability);
}

absl::StatusOr<v1::GetAvailabilityResponse> Registry::GetAvailability(
    const Caller&, const v1::GetAvailabilityRequest& request) {
  FieldErrors errors;
  if (!request.has_start_time()) errors.Add("start_time", "is required");
  if (!request.has_end_time()) errors.Add("end_time", "is required");
  if (!errors.empty()) return errors.ToStatus();
  const SysSeconds from{std::chrono::seconds(request.start_time().seconds())};
  const SysSeconds to{std::chrono::seconds(request.end_time().seconds())};
  if (to <= from) return InvalidField("end_time", "must be after start_time");
  if (to - from > date::days(config_.max_availability_range_days))
    return InvalidField("end_time", absl::StrCat("the range may span at most ",
                                                 config_.max_availability_range_days, " days"));
  auto resource = Load<v1::Resource>(kResourceKind, request.resource_id());
  if (!resource.ok()) return resource.status();
  if (!resource->has_value()) return NotFoundError("resource", request.resource_id());
  auto stored = Load<v1::Availability>(kAvailabilityKind, request.resource_id());
  if (!stored.ok()) return stored.status();
  v1::GetAvailabilityResponse response;
  response.set_resource_id(request.resource_id());
  response.set_time_zone((*resource)->time_zone());
  if (!stored->has_value()) {
    // Nothing published: open at any time, as the scheduler books it (booking_policy OpenTime).
    auto* window = response.add_windows();
    window->mutable_start_time()->set_seconds(from.time_since_epoch().count());
    window->mutable_end_time()->set_seconds(to.time_since_epoch().count());
    return response;
  }
  const date::time_zone* zone = FindTimeZone((*resource)->time_zone());
  if (zone == nullptr) return absl::InternalError("stored resource has an unknown time zone");
  for (const auto& w : OpenWindows(**stored, zone, from, to)) {
    auto* window = response.add_windows();
    window->mutable_start_time()->set_seconds(w.start.time_since_epoch().count());
    window->mutable_end_time()->set_seconds(w.end.time_since_epoch().count());
  }
  *response.mutable_availability() = std::move(**stored);
  return response;
}

// ---- search and reports ------------------------------------------------------------------------

absl::StatusOr<v1::SearchResourcesResponse> Registry::SearchResources(
    const Caller& caller, const v1::SearchResourcesRequest& request) {
  if (!model_->ready()) return StoreUnavailable("the search index is still loading");
  const SearchLimits limits{config_.default_page_size, config_.max_page_size};
  // Without a programme in the platform no resource has upcoming events.
  std::set<std::string> upcoming;
  if (dependents_.resources_with_upcoming_events) {
    auto ids = dependents_.resources_with_upcoming_events();
    if (!ids.ok()) return ids.status();
    upcoming = std::move(*ids);
  }
  auto response =
      index_->Search(request, limits, request.has_upcoming_events() ? &upcoming : nullptr);
  if (!response.ok()) return response.status();
  int with_events = response->total_size();
  if (!request.has_upcoming_events() && !upcoming.empty()) {
    v1::SearchResourcesRequest count = request;
    count.set_page_size(1);
    count.clear_page_token();
    auto counted = index_->Search(count, limits, &upcoming);
    if (!counted.ok()) return counted.status();
    with_events = counted->total_size();
  } else if (!request.has_upcoming_events()) {
    with_events = 0;
  }
  if (with_events > 0) {
    auto* facet = response->add_facets();
    facet->set_field("upcoming_events");
    auto* value = facet->add_values();
    value->set_value("true");
    value->set_count(with_events);
  }
  auto member_of = NetworksOf(caller);
  if (!member_of.ok()) return member_of.status();
  for (auto& hit : *response->mutable_hits()) RedactFor(caller, *member_of, hit.mutable_resource());
  return response;
}

absl::StatusOr<v1::CoverageReportResponse> Registry::CoverageReport(
    const Caller&, const v1::CoverageReportRequest& request) {
  if (!model_->ready()) return StoreUnavailable("the search index is still loading");
  if (!v1::RegionLevel_IsValid(request.level()))
    return InvalidField("level", absl::StrCat("unknown region level ", request.level()));
  std::vector<int> themes(request.themes().begin(), request.themes().end());
  for (size_t i = 0; i < themes.size(); ++i)
    if (!v1::Theme_IsValid(themes[i]) || themes[i] == 0)
      return InvalidField(absl::StrCat("themes[", i, "]"),
                          absl::StrCat("unknown theme ", themes[i]));
  if (themes.empty())
    for (int t = 1; t <= v1::Theme_MAX; ++t) themes.push_back(t);
  CoverageCounter counter(request.level() == v1::REGION_LEVEL_COROP, std::move(themes));
  index_->ForEach([&](const v1::Resource& r) { counter.Add(r); });
  return counter.Finish(config_.white_spot_regions);
}

absl::StatusOr<v1::OverlapReportResponse> Registry::OverlapReport(
    const Caller&, const v1::OverlapReportRequest& request) {
  if (!model_->ready()) return StoreUnavailable("the search index is still loading");
  double km = request.within_km() == 0 ? 25 : request.within_km();
  if (!(km > 0 && km <= 200)) return InvalidField("within_km", "must be above 0 and at most 200");
  auto investment = [](const v1::Resource& r) {
    return r.lifecycle().state() == v1::LIFECYCLE_STATE_ACTIVE ||
           r.lifecycle().state() == v1::LIFECYCLE_STATE_PLANNED;
  };
  // The nearest pairs in a bounded heap (its top is the worst kept): a dense town has millions of
  // nearby pairs, and only kMaxOverlapCandidates are answered.
  struct Pair {
    double distance;
    std::string key;  // id a + id b: the order among equal distances
    v1::OverlapCandidate candidate;
  };
  auto worse = [](const Pair& x, const Pair& y) {
    return x.distance != y.distance ? x.distance < y.distance : x.key < y.key;
  };
  std::vector<Pair> heap;
  index_->ForEachNearbyPair(km, [&](const v1::Resource& a, const v1::Resource& b, double distance) {
    if (a.kind() != b.kind() || a.owner_organization_id() == b.owner_organization_id()) return;
    if (!investment(a) || !investment(b)) return;
    if (heap.size() == kMaxOverlapCandidates && distance > heap.front().distance) return;
    for (int t : a.themes()) {
      if (std::find(b.themes().begin(), b.themes().end(), t) == b.themes().end()) continue;
      const bool a_first = a.id() < b.id();
      Pair p{distance, a_first ? a.id() + b.id() : b.id() + a.id(), {}};
      if (heap.size() == kMaxOverlapCandidates && !worse(p, heap.front())) return;
      p.candidate.set_resource_id_a(a_first ? a.id() : b.id());
      p.candidate.set_resource_id_b(a_first ? b.id() : a.id());
      p.candidate.set_kind(a.kind());
      p.candidate.set_theme(static_cast<v1::Theme>(t));
      p.candidate.set_distance_km(distance);
      heap.push_back(std::move(p));
      std::push_heap(heap.begin(), heap.end(), worse);
      if (heap.size() > kMaxOverlapCandidates) {
        std::pop_heap(heap.begin(), heap.end(), worse);
        heap.pop_back();
      }
      return;
    }
  });
  std::sort_heap(heap.begin(), heap.end(), worse);
  std::vector<v1::OverlapCandidate> candidates;
  for (auto& p : heap) candidates.push_back(std::move(p.candidate));
  v1::OverlapReportResponse response;
  for (auto& c : candidates) *response.add_candidates() = std::move(c);
  return response;
}

// ---- import ------------------------------------------------------------------------------------

namespace {

// The id of an import row without one, from its natural key: the owner organisation and the
// display name, trimmed, inner white space as one space, case and diacritics folded. Importing the
// same file again finds the resources the first import made (docs/DECISIONS.md, "An imported row
// without id is known by its owner and name").
std::string NaturalKeyId(const Caller& caller, const v1::Resource& row) {
  const std::string& owner =
      row.owner_organization_id().empty() ? caller.organization_id : row.owner_organization_id();
  const std::string name = absl::StrJoin(
      absl::StrSplit(row.display_name(), absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty()), " ");
  return absl::StrCat("res_", SecretHash(absl::StrCat(owner, "/", FoldText(name))).substr(0, 16));
}

// Whether storing `next` would change nothing of `stored` but its version and update stamp.
bool SameContent(v1::Resource stored, v1::Resource next) {
  for (auto* r : {&stored, &next}) {
    r->clear_etag();
    r->mutable_audit()->clear_update_time();
    r->mutable_audit()->clear_updated_by();
  }
  return google::protobuf::util::MessageDifferencer::Equals(stored, next);
}

// The field of an import row (`row`, e.g. "resources[3]") that a refusal by the store is about: a
// missing reference, or else the row's identity (its id, or the name that stands for it).
std::string StoreRefusalField(const absl::Status& status, const std::string& row,
                              const std::string& id, bool natural_key) {
  if (status.code() == absl::StatusCode::kNotFound && ErrorMetadata(status, "id") != id) {
    const std::string kind = ErrorMetadata(status, "kind");  // as registry.lua's kind_word names it
    if (kind == "organization") return row + ".owner_organization_id";
    if (kind == "network") return row + ".shared_with_network_ids";
    if (kind == "resource") return row + ".parent_resource_id";
  }
  return row + (natural_key ? ".display_name" : ".id");
}

}  // namespace

absl::StatusOr<v1::ImportResourcesResponse> Registry::ImportResources(
    const Caller& caller, const v1::ImportResourcesRequest& request) {
  if (request.resources_size() == 0)
    return InvalidField("resources", "at least one row is required");
  if (request.resources_size() > config_.max_import_rows)
    return InvalidField("resources",
                        absl::StrCat("at most ", config_.max_import_rows, " rows per call"));
  if (request.row_fields_size() != 0 && request.row_fields_size() != request.resources_size())
    return InvalidField("row_fields", "one per row (resources), or none");
  for (int i = 0; i < request.row_fields_size(); ++i)
    if (auto mask = CheckUpdateMask(request.row_fields(i), v1::Resource::descriptor(),
                                    absl::StrCat("resources[", i, "]"),
                                    absl::StrCat("row_fields[", i, "]"));
        !mask.ok())
      return mask;
  const std::string replay = store_->ReplayKey(caller.organization_id, IdempotencyKey(request));
  if (!replay.empty()) {
    auto previous = store_->GetReplay(replay);
    if (!previous.ok()) return previous.status();
    if (previous->has_value()) return Parse<v1::ImportResourcesResponse>(**previous);
  }
  v1::ImportResourcesResponse response;
  // Every refused row names a field: the status's own, or `field` when it has none.
  auto fail = [&](int row, const std::string& id, const absl::Status& status,
                  const std::string& field) {
    auto* r = response.add_rows();
    r->set_row(row);
    r->set_resource_id(id);
    r->set_ok(false);
    const std::string named = ErrorField(status);
    r->set_field(named.empty() ? field : named);
    r->set_error(std::string(status.message()));
    response.set_failed(response.failed() + 1);
  };
  auto succeed = [&](int row, const std::string& id, bool created) {
    auto* r = response.add_rows();
    r->set_row(row);
    r->set_resource_id(id);
    r->set_ok(true);
    r->set_created(created);
  };

  std::vector<std::string> ids;
  for (const auto& row : request.resources())
    ids.push_back(row.id().empty() ? NaturalKeyId(caller, row) : row.id());
  std::vector<std::string> valid_ids;
  for (const auto& id : ids)
    if (IsValidId(id)) valid_ids.push_back(id);
  auto existing_data = store_->GetMany(kResourceKind, valid_ids);
  if (!existing_data.ok()) return existing_data.status();
  std::map<std::string, v1::Resource> existing;
  for (size_t i = 0; i < valid_ids.size(); ++i)
    if ((*existing_data)[i]) {
      auto parsed = Parse<v1::Resource>(*(*existing_data)[i]);
      if (!parsed.ok()) return parsed.status();
      existing[valid_ids[i]] = std::move(*parsed);
    }

  std::map<std::string, std::optional<v1::Network>> networks;
  std::map<std::string, int> claimed;  // id -> the first row with it
  std::vector<PutRecord> records;
  std::vector<int> record_rows;
  std::vector<v1::Resource> written;
  for (int i = 0; i < request.resources_size(); ++i) {
    const std::string field = absl::StrCat("resources[", i, "]");
    const bool natural_key = request.resources(i).id().empty();
    if (!IsValidId(ids[i])) {
      fail(i, ids[i], InvalidField(field + ".id", "is not a valid id"), "");
      continue;
    }
    if (auto [first, fresh] = claimed.emplace(ids[i], i); !fresh) {
      fail(i, ids[i],
           natural_key
               ? InvalidField(field + ".display_name",
                              absl::StrCat("has the same owner and display name as resources[",
                                           first->second,
                                           "] (a row without id is known by its owner "
                                           "and display name, case and accents aside)"))
               : InvalidField(field + ".id",
                              absl::StrCat("is also the id of resources[", first->second, "]")),
           "");
      continue;
    }
    const auto found = existing.find(ids[i]);
    const bool had_point = found != existing.end() && found->second.location().has_point();
    if (auto half = HalfPoint(
            i < request.row_fields_size() ? request.row_fields(i) : google::protobuf::FieldMask(),
            had_point);
        !half.empty()) {
      fail(i, ids[i],
           InvalidField(absl::StrCat(field, ".location.point.", half),
                        "is required when the row gives the other coordinate and the resource "
                        "has no point yet (it would be 0: a place at sea or in Africa)"),
           "");
      continue;
    }
    v1::Resource resource;
    std::string expected;
    if (found != existing.end()) {
      const v1::Resource& stored = found->second;
      if (!caller.CanWriteFor(stored.owner_organization_id()) || ReadOnly(caller)) {
        fail(i, ids[i], Forbidden("only the owner organisation changes its resources"),
             field + ".owner_organization_id");
        continue;
      }
      if (!request.resources(i).owner_organization_id().empty() &&
          request.resources(i).owner_organization_id() != stored.owner_organization_id()) {
        fail(i, ids[i],
             InvalidField(field + ".owner_organization_id", "cannot be changed by an import"), "");
        continue;
      }
      // A row with an etag changes the resource only as it was at that version, as an update.
      if (auto etag = CheckEtag(request.resources(i).etag(), stored.etag(), "resource", ids[i]);
          !etag.ok()) {
        fail(i, ids[i], etag, field + ".etag");
        continue;
      }
      resource = stored;
      // Only what the row sets: a CSV without staff, terms or rules columns keeps them. Its mask
      // says so when given (and may name a field the row leaves false), else what it holds.
      const bool masked = i < request.row_fields_size() && request.row_fields(i).paths_size() > 0;
      if (const auto present = masked ? request.row_fields(i) : PresentFields(request.resources(i));
          present.paths_size() > 0)
        ApplyUpdate(request.resources(i), present, &resource);
      ApplyDefaults(&resource);
      FieldErrors errors;
      Validate(resource, field, &errors);
      if (!errors.empty()) {
        fail(i, ids[i], errors.ToStatus(), "");
        continue;
      }
      if (SameContent(stored, resource)) {
        succeed(i, ids[i], false);
        response.set_unchanged(response.unchanged() + 1);
        continue;
      }
      expected = stored.etag();
      resource.set_etag(NextVersion(expected));
      Stamp(caller, false, &resource);
    } else {
      if (!request.resources(i).etag().empty()) {  // a version of a resource that is not there
        fail(i, ids[i], StaleEtagError("resource", ids[i]), field + ".etag");
        continue;
      }
      if (!request.resources(i).id().empty() && IsServerMadeId(ids[i], "res")) {
        fail(i, ids[i],
             InvalidField(field + ".id",
                          "ids starting with res_ are made by the server; choose another"),
             "");
        continue;
      }
      auto record = PrepareResourceCreate(caller, request.resources(i), ids[i], field, "");
      if (!record.ok()) {
        fail(i, ids[i], record.status(),
             field + ".owner_organization_id");  // validation or ownership
        continue;
      }
      resource.ParseFromString(record->data);
    }
    if (auto references = CheckReferences(resource, field, &networks); !references.ok()) {
      if (ErrorField(references).empty()) return references;  // the store failed, not the row
      fail(i, ids[i], references, "");
      continue;
    }
    records.push_back(ResourceRecord(resource, expected, ""));
    record_rows.push_back(i);
    written.push_back(std::move(resource));
  }
  if (!records.empty()) {
    auto results = store_->PutMany(records);
    if (!results.ok()) return results.status();
    for (size_t k = 0; k < records.size(); ++k) {
      const int row = record_rows[k];
      const std::string field = absl::StrCat("resources[", row, "]");
      const bool natural_key = request.resources(row).id().empty();
      absl::Status refused = (*results)[k].status();
      if (!refused.ok()) {
        if (natural_key && ErrorReason(refused) == "ID_RETIRED")
          refused = PreconditionError(
              "ID_RETIRED",
              "a resource with this owner and display name was deleted, and a deleted "
              "resource never comes back: give the row another name, or an id");
        fail(row, records[k].id, refused,
             StoreRefusalField(refused, field, records[k].id, natural_key));
        continue;
      }
      index_->Upsert(written[k]);
      succeed(row, records[k].id, (*results)[k]->created);
      if ((*results)[k]->created) {
        response.set_created(response.created() + 1);
      } else {
        response.set_updated(response.updated() + 1);
      }
    }
  }
  std::sort(response.mutable_rows()->begin(), response.mutable_rows()->end(),
            [](const auto& a, const auto& b) { return a.row() < b.row(); });
  if (!replay.empty()) {
    if (auto stored = store_->PutReplay(replay, response.SerializeAsString()); !stored.ok())
      return stored;
  }
  return response;
}

// ---- personal data ------------------------------------------------------------------------------

namespace {

bool SameEmail(const std::string& stored, const std::string& email) {
  return FoldEmail(stored) == email;
}

// Removes the entries with this e-mail address from a list of contacts; how many it removed.
template <typename Contacts>
int RemoveNamed(const std::string& email, Contacts* contacts) {
  const int before = contacts->size();
  contacts->erase(std::remove_if(contacts->begin(), contacts->end(),
                                 [&](const auto& c) { return SameEmail(c.email(), email); }),
                  contacts->end());
  return before - contacts->size();
}

// Runs an update again when another writer changed the object between its read and its write.
absl::Status RetriedOnStaleEtag(const std::function<absl::Status()>& attempt) {
  absl::Status status;
  for (int i = 0; i < 5; ++i) {
    status = attempt();
    if (status.code() != absl::StatusCode::kAborted) return status;
  }
  return status;
}

google::protobuf::FieldMask MaskOf(const char* path) {
  google::protobuf::FieldMask mask;
  mask.add_paths(path);
  return mask;
}

// The list of people each kind of record holds.
auto* PeopleOf(v1::Resource* r) { return r->mutable_staff(); }
auto* PeopleOf(v1::Organization* o) { return o->mutable_contacts(); }
auto* PeopleOf(v1::Network* n) { return n->mutable_coordinators(); }

// Whether a stored record names the person.
template <typename T>
bool RecordNames(const std::string& data, const std::string& email) {
  T record;
  return record.ParseFromString(data) && RemoveNamed(email, PeopleOf(&record)) > 0;
}

// Removes the entries naming the person from each object; adds how many to `count`. Each object is
// read again (`load`) and written (`update`) with the etag read, retried when another writer came
// between, so an entry added meanwhile is erased too and nothing else another writer changed is
// lost.
template <typename T, typename Load, typename Update>
absl::Status EraseNamed(const std::set<std::string>& ids, const std::string& email, Load load,
                        Update update, int* count) {
  for (const auto& id : ids) {
    auto status = RetriedOnStaleEtag([&]() -> absl::Status {
      absl::StatusOr<std::optional<T>> current = load(id);
      if (!current.ok() || !current->has_value())
        return current.status();  // removed meanwhile: nothing held
      T record = std::move(**current);
      const int removed = RemoveNamed(email, PeopleOf(&record));
      if (removed == 0) return absl::OkStatus();
      absl::Status written = update(record);
      if (written.ok()) *count += removed;
      return written;
    });
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

template <typename T>
absl::Status Registry::ForEachRecord(absl::string_view kind,
                                     const std::function<void(const T&)>& visit) {
  std::string after;
  do {
    auto page = store_->List(kind, "", after, 500);
    if (!page.ok()) return page.status();
    for (const auto& data : page->records) {
      auto record = Parse<T>(data);
      if (!record.ok()) return record.status();
      visit(*record);
    }
    after = page->next_after;
  } while (!after.empty());
  return absl::OkStatus();
}

absl::Status Registry::CollectPersonalData(const std::string& email,
                                           privacy::v1::PersonalData* out) {
  if (!model_->ready()) return StoreUnavailable("the search index is still loading");
  index_->ForEach([&](const v1::Resource& r) {
    for (const auto& staff : r.staff()) {
      if (!SameEmail(staff.email(), email)) continue;
      auto* record = out->add_staff();
      record->set_resource_id(r.id());
      record->set_resource_name(r.display_name());
      record->set_owner_organization_id(r.owner_organization_id());
      *record->mutable_contact() = staff;
    }
  });
  std::sort(out->mutable_staff()->begin(), out->mutable_staff()->end(),
            [](const auto& a, const auto& b) { return a.resource_id() < b.resource_id(); });
  auto organizations =
      ForEachRecord<v1::Organization>(kOrganizationKind, [&](const v1::Organization& org) {
        for (const auto& contact : org.contacts()) {
          if (!SameEmail(contact.email(), email)) continue;
          auto* record = out->add_organization_contacts();
          record->set_object_id(org.id());
          record->set_object_name(org.display_name());
          *record->mutable_contact() = contact;
        }
      });
  if (!organizations.ok()) return organizations;
  return ForEachRecord<v1::Network>(kNetworkKind, [&](const v1::Network& network) {
    for (const auto& contact : network.coordinators()) {
      if (!SameEmail(contact.email(), email)) continue;
      auto* record = out->add_network_coordinators();
      record->set_object_id(network.id());
      record->set_object_name(network.display_name());
      *record->mutable_contact() = contact;
    }
  });
}

absl::Status Registry::ErasePersonalData(const Caller& caller, const std::string& email,
                                         privacy::v1::ErasePersonalDataResponse* erased) {
  privacy::v1::PersonalData found;
  if (auto collected = CollectPersonalData(email, &found); !collected.ok()) return collected;
  std::set<std::string> resources, organizations, networks;
  for (const auto& r : found.staff()) resources.insert(r.resource_id());
  for (const auto& r : found.organization_contacts()) organizations.insert(r.object_id());
  for (const auto& r : found.network_coordinators()) networks.insert(r.object_id());
  int staff = 0, contacts = 0, coordinators = 0;
  absl::Status status = EraseNamed<v1::Resource>(
      resources, email,
      [&](const std::string& id) { return Load<v1::Resource>(kResourceKind, id); },
      [&](const v1::Resource& r) {
        v1::UpdateResourceRequest update;
        *update.mutable_resource() = r;
        *update.mutable_update_mask() = MaskOf("staff");
        return UpdateResource(caller, update).status();
      },
      &staff);
  if (status.ok())
    status = EraseNamed<v1::Organization>(
        organizations, email,
        [&](const std::string& id) { return Load<v1::Organization>(kOrganizationKind, id); },
        [&](const v1::Organization& o) {
          v1::UpdateOrganizationRequest update;
          *update.mutable_organization() = o;
          *update.mutable_update_mask() = MaskOf("contacts");
          return UpdateOrganization(caller, update).status();
        },
        &contacts);
  if (status.ok())
    status = EraseNamed<v1::Network>(
        networks, email, [&](const std::string& id) { return Load<v1::Network>(kNetworkKind, id); },
        [&](const v1::Network& n) {
          v1::UpdateNetworkRequest update;
          *update.mutable_network() = n;
          *update.mutable_update_mask() = MaskOf("coordinators");
          return UpdateNetwork(caller, update).status();
        },
        &coordinators);
  erased->set_staff_contacts(erased->staff_contacts() + staff);
  erased->set_organization_contacts(erased->organization_contacts() + contacts);
  erased->set_network_coordinators(erased->network_coordinators() + coordinators);
  if (!status.ok()) return status;
  // The change log keeps older versions for WatchResources, also of objects that no longer name
  // the person (an entry removed earlier, a deleted resource): none may be replayed.
  return changes_
      ->ForgetChanges([&email](const Change& change) {
        if (change.data.empty()) return false;
        if (change.kind == kResourceKind) return RecordNames<v1::Resource>(change.data, email);
        if (change.kind == kOrganizationKind)
          return RecordNames<v1::Organization>(change.data, email);
        if (change.kind == kNetworkKind) return RecordNames<v1::Network>(change.data, email);
        return false;
      })
      .status();
}

}  // namespace infrashare::registry
