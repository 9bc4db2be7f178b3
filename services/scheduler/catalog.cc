#include "services/scheduler/catalog.h"

#include <algorithm>
#include <mutex>

namespace infrashare::scheduler {

absl::StatusOr<std::optional<BookableResource>> Catalog::Find(const std::string& resource_id) {
  if (auto cached = Cached(resource_id)) return cached;
  auto resource = registry_->Get(reg::kResourceKind, resource_id);
  if (!resource.ok()) return resource.status();
  if (!resource->has_value()) return std::optional<BookableResource>();
  auto availability = registry_->Get(reg::kAvailabilityKind, resource_id);
  if (!availability.ok()) return availability.status();
  Upsert(reg::kResourceKind, **resource);
  if (availability->has_value()) Upsert(reg::kAvailabilityKind, **availability);
  return Cached(resource_id);
}

std::optional<BookableResource> Catalog::Cached(const std::string& resource_id) const {
  std::shared_lock lock(mutex_);
  auto it = resources_.find(resource_id);
  if (it == resources_.end()) return std::nullopt;
  BookableResource out{it->second, nullptr};
  if (auto a = availability_.find(resource_id); a != availability_.end())
    out.availability = a->second;
  return out;
}

OrganizationFacts Catalog::Organization(const std::string& organization_id) const {
  std::shared_lock lock(mutex_);
  auto it = organizations_.find(organization_id);
  return it == organizations_.end() ? OrganizationFacts{} : it->second;
}

std::vector<BookableResource> Catalog::Select(
    const std::function<bool(const reg::v1::Resource&)>& keep) const {
  std::vector<BookableResource> out;
  std::shared_lock lock(mutex_);
  for (const auto& [id, resource] : resources_) {
    if (!keep(*resource)) continue;
    auto a = availability_.find(id);
    out.push_back({resource, a == availability_.end() ? nullptr : a->second});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return x.resource->id() < y.resource->id(); });
  return out;
}

size_t Catalog::size() const {
  std::shared_lock lock(mutex_);
  return resources_.size();
}

void Catalog::Upsert(absl::string_view kind, const std::string& data) {
  if (kind == reg::kNetworkKind) {
    reg::v1::Network network;
    if (network.ParseFromString(data)) membership_.Apply(network);
    return;
  }
  if (kind == reg::kResourceKind) {
    auto resource = std::make_shared<reg::v1::Resource>();
    if (!resource->ParseFromString(data)) return;
    resource->clear_staff();  // personal data the scheduler has no use for
    index_.Upsert(*resource);
    std::unique_lock lock(mutex_);
    resources_[resource->id()] = std::move(resource);
  } else if (kind == reg::kAvailabilityKind) {
    auto availability = std::make_shared<reg::v1::Availability>();
    if (!availability->ParseFromString(data)) return;
    std::unique_lock lock(mutex_);
    availability_[availability->resource_id()] = std::move(availability);
  } else if (kind == reg::kOrganizationKind) {
    reg::v1::Organization org;
    if (!org.ParseFromString(data)) return;
    std::unique_lock lock(mutex_);
    organizations_[org.id()] = {true, org.sme(), org.kind()};
  }
}

void Catalog::Remove(absl::string_view kind, const std::string& id) {
  if (kind == reg::kNetworkKind) {
    membership_.Remove(id);
    return;
  }
  std::unique_lock lock(mutex_);
  if (kind == reg::kResourceKind) {
    index_.Remove(id);
    resources_.erase(id);
    availability_.erase(id);
  } else if (kind == reg::kAvailabilityKind) {
    availability_.erase(id);
  } else if (kind == reg::kOrganizationKind) {
    organizations_.erase(id);
  }
}

}  // namespace infrashare::scheduler
