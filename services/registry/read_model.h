// The registry as this process knows it: one copy, built once by the server, fed by one
// RegistryFollower, and read by every module that needs registry facts — the registry's search and
// reports, the scheduler's bookings and free-slot search, the desk's routing, the privacy export.
// Reads cost no Redis round trip; a resource, organisation or network this replica has not heard
// of yet (created a moment ago on another replica) is read through from the registry's store.
#pragma once

#include <atomic>
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

namespace infrashare::registry {

// A resource with its published availability; the pointers stay valid while held.
struct ResourceFacts {
  std::shared_ptr<const v1::Resource> resource;
  std::shared_ptr<const v1::Availability> availability;  // nullptr: none published
};

struct OrganizationFacts {
  bool known = false;
  bool sme = false;
  v1::OrganizationKind kind = v1::ORGANIZATION_KIND_UNSPECIFIED;
};

class RegistryReadModel final : public RegistryListener {
 public:
  // Every kind of record the model holds, for its follower.
  static std::vector<absl::string_view> Kinds();

  // `registry` is read on a miss; nullptr: memory only.
  explicit RegistryReadModel(RegistryStore* registry) : registry_(registry) {}

  // Every record present at start-up has been applied (Loaded() was called).
  bool ready() const { return ready_; }

  // Resources for search and reports. The registry applies its own writes here at once, the
  // follower the same again later (the index ignores the older etag).
  SearchIndex& index() { return index_; }
  const SearchIndex& search() const { return index_; }
  Membership& membership() { return membership_; }

  // The resource, from memory, else read through. nullopt when it does not exist; an error when
  // Redis fails.
  absl::StatusOr<std::optional<ResourceFacts>> Find(const std::string& resource_id);
  // From memory only.
  std::optional<ResourceFacts> Cached(const std::string& resource_id) const;
  // Every resource `keep` accepts, in id order.
  std::vector<ResourceFacts> Select(const std::function<bool(const v1::Resource&)>& keep) const;
  size_t size() const { return index_.size(); }

  OrganizationFacts Organization(const std::string& organization_id) const;
  // Its display name, from memory ("" when unknown): what the open-data feeds name a listed
  // resource's owner by.
  std::string OrganizationName(const std::string& organization_id) const;
  // From memory, else read through.
  absl::StatusOr<bool> OrganizationExists(const std::string& organization_id);
  // The members of a network, from memory, else read through; nullopt when there is no such
  // network.
  absl::StatusOr<std::optional<std::set<std::string>>> Members(const std::string& network_id);
  // The whole record, read from the store (not kept in memory): what e-mails are sent to (a
  // network's coordinators, an organisation's contacts). nullopt when there is none.
  absl::StatusOr<std::optional<v1::Network>> NetworkRecord(const std::string& network_id);
  absl::StatusOr<std::optional<v1::Organization>> OrganizationRecord(
      const std::string& organization_id);
  // Networks that have `organization_id` as a member, as far as this replica knows.
  std::set<std::string> NetworksOf(const std::string& organization_id) const {
    return membership_.NetworksOf(organization_id);
  }

  void Upsert(absl::string_view kind, const std::string& data) override;
  void Remove(absl::string_view kind, const std::string& id) override;
  void Loaded() override;

 private:
  // Reads one record the follower has not brought yet (written a moment ago, maybe on another
  // replica) from the store and applies it; false when the store has none.
  absl::StatusOr<bool> Fetch(absl::string_view kind, const std::string& id);

  RegistryStore* registry_;
  SearchIndex index_;
  Membership membership_;
  mutable std::shared_mutex mutex_;  // guards the three maps below
  std::unordered_map<std::string, std::shared_ptr<const v1::Availability>> availability_;
  std::unordered_map<std::string, OrganizationFacts> organizations_;
  std::unordered_map<std::string, std::string> organization_names_;
  std::atomic<bool> ready_{false};
};

}  // namespace infrashare::registry
