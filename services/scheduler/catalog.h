// This replica's copy of the registry facts the scheduler decides with: resources (rules,
// capacity, owner, sharing), their availability, organisations (SME or not) and network
// membership. Fed by the registry's change log, so a booking costs no registry round trip.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/registry/v1/registry.pb.h"
#include "services/registry/follower.h"
#include "services/registry/membership.h"
#include "services/registry/search_index.h"
#include "services/registry/store.h"

namespace infrashare::scheduler {

namespace reg = ::infrashare::registry;

// What the scheduler knows of one resource; the pointers stay valid while held.
struct BookableResource {
  std::shared_ptr<const reg::v1::Resource> resource;
  std::shared_ptr<const reg::v1::Availability> availability;  // nullptr: none published
};

struct OrganizationFacts {
  bool known = false;
  bool sme = false;
  reg::v1::OrganizationKind kind = reg::v1::ORGANIZATION_KIND_UNSPECIFIED;
};

class Catalog final : public reg::RegistryListener {
 public:
  explicit Catalog(reg::RegistryStore* registry) : registry_(registry) {}
  // The resource, from memory; a resource this replica has not heard of yet (created a moment
  // ago) is read from the registry. nullopt when it does not exist; an error when Redis fails.
  absl::StatusOr<std::optional<BookableResource>> Find(const std::string& resource_id);
  // From memory only.
  std::optional<BookableResource> Cached(const std::string& resource_id) const;
  OrganizationFacts Organization(const std::string& organization_id) const;
  std::set<std::string> NetworksOf(const std::string& organization_id) const {
    return membership_.NetworksOf(organization_id);
  }
  size_t size() const;
  // Every resource `keep` accepts, in id order.
  std::vector<BookableResource> Select(
      const std::function<bool(const reg::v1::Resource&)>& keep) const;
  // The catalogue's resources, searchable like the registry's (for FindSlots).
  const reg::SearchIndex& search() const { return index_; }

  void Upsert(absl::string_view kind, const std::string& data) override;
  void Remove(absl::string_view kind, const std::string& id) override;

 private:
  reg::RegistryStore* registry_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const reg::v1::Resource>> resources_;
  std::unordered_map<std::string, std::shared_ptr<const reg::v1::Availability>> availability_;
  std::unordered_map<std::string, OrganizationFacts> organizations_;
  reg::Membership membership_;
  reg::SearchIndex index_;
};

}  // namespace infrashare::scheduler
