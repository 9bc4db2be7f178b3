#include "services/registry/read_model.h"

#include <algorithm>
#include <mutex>

#include "services/common/logging.h"

namespace infrashare::registry {

std::vector<absl::string_view> RegistryReadModel::Kinds() {
  return {kOrganizationKind, kNetworkKind, kResourceKind, kAvailabilityKind};
}

absl::StatusOr<std::optional<ResourceFacts>> RegistryReadModel::Find(
    const std::string& resource_id) {
  if (auto cached = Cached(resource_id)) return cached;
  auto found = Fetch(kResourceKind, resource_id);
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<ResourceFacts>();
  if (auto availability = Fetch(kAvailabilityKind, resource_id); !availability.ok())
    return availability.status();
  return Cached(resource_id);
}

absl::StatusOr<bool> RegistryReadModel::Fetch(absl::string_view kind, const std::string& id) {
  if (registry_ == nullptr) return false;
  auto stored = registry_->Get(kind, id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return false;
  Upsert(kind, **stored);
  return true;
}

namespace {

template <typename Record>
absl::StatusOr<std::optional<Record>> ReadRecord(RegistryStore* store, absl::string_view kind,
                                                 const std::string& id) {
  if (store == nullptr) return std::optional<Record>();
  auto stored = store->Get(kind, id);
  if (!stored.ok()) return stored.status();
  Record record;
  if (!stored->has_value() || !record.ParseFromString(**stored)) return std::optional<Record>();
  return std::optional<Record>(std::move(record));
}

}  // namespace

absl::StatusOr<std::optional<v1::Network>> RegistryReadModel::NetworkRecord(
    const std::string& network_id) {
  return ReadRecord<v1::Network>(registry_, kNetworkKind, network_id);
}

absl::StatusOr<std::optional<v1::Organization>> RegistryReadModel::OrganizationRecord(
    const std::string& organization_id) {
  return ReadRecord<v1::Organization>(registry_, kOrganizationKind, organization_id);
}

std::optional<ResourceFacts> RegistryReadModel::Cached(const std::string& resource_id) const {
  auto resource = index_.Get(resource_id);
  if (!resource) return std::nullopt;
  ResourceFacts out{std::move(resource), nullptr};
  std::shared_lock lock(mutex_);
  if (auto a = availability_.find(resource_id); a != availability_.end())
    out.availability = a->second;
  return out;
}

std::vector<ResourceFacts> RegistryReadModel::Select(
    const std::function<bool(const v1::Resource&)>& keep) const {
  std::vector<std::string> ids;
  index_.ForEach([&](const v1::Resource& r) {
    if (keep(r)) ids.push_back(r.id());
  });
  std::sort(ids.begin(), ids.end());
  std::vector<ResourceFacts> out;
  for (const auto& id : ids)
    if (auto facts = Cached(id)) out.push_back(std::move(*facts));  // unless removed meanwhile
  return out;
}

OrganizationFacts RegistryReadModel::Organization(const std::string& organization_id) const {
  std::shared_lock lock(mutex_);
  auto it = organizations_.find(organization_id);
  return it == organizations_.end() ? OrganizationFacts{} : it->second;
}

std::string RegistryReadModel::OrganizationName(const std::string& organization_id) const {
  std::shared_lock lock(mutex_);
  auto it = organization_names_.find(organization_id);
  return it == organization_names_.end() ? "" : it->second;
}

absl::StatusOr<bool> RegistryReadModel::OrganizationExists(const std::string& organization_id) {
  if (Organization(organization_id).known) return true;
  return Fetch(kOrganizationKind, organization_id);
}

absl::StatusOr<std::optional<std::set<std::string>>> RegistryReadModel::Members(
    const std::string& network_id) {
  if (auto members = membership_.Members(network_id)) return members;
  auto found = Fetch(kNetworkKind, network_id);
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<std::set<std::string>>();
  return membership_.Members(network_id);
}

void RegistryReadModel::Upsert(absl::string_view kind, const std::string& data) {
  if (kind == kNetworkKind) {
    v1::Network network;
    if (network.ParseFromString(data)) membership_.Apply(network);
  } else if (kind == kResourceKind) {
    v1::Resource resource;
    if (resource.ParseFromString(data)) index_.Upsert(resource);
  } else if (kind == kAvailabilityKind) {
    auto availability = std::make_shared<v1::Availability>();
    if (!availability->ParseFromString(data)) return;
    std::unique_lock lock(mutex_);
    availability_[availability->resource_id()] = std::move(availability);
  } else if (kind == kOrganizationKind) {
    v1::Organization org;
    if (!org.ParseFromString(data)) return;
    std::unique_lock lock(mutex_);
    organizations_[org.id()] = {true, org.sme(), org.kind()};
    organization_names_[org.id()] = org.display_name();
  }
}

void RegistryReadModel::Remove(absl::string_view kind, const std::string& id) {
  if (kind == kNetworkKind) {
    membership_.Remove(id);
  } else if (kind == kResourceKind) {
    index_.Remove(id);
    std::unique_lock lock(mutex_);
    availability_.erase(id);
  } else if (kind == kAvailabilityKind) {
    std::unique_lock lock(mutex_);
    availability_.erase(id);
  } else if (kind == kOrganizationKind) {
    std::unique_lock lock(mutex_);
    organizations_.erase(id);
    organization_names_.erase(id);
  }
}

void RegistryReadModel::Loaded() {
  ready_ = true;
  logging::Info("registry read model loaded", {{"resources", std::to_string(index_.size())}});
}

}  // namespace infrashare::registry
