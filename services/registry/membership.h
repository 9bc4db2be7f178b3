// Which networks each organisation belongs to, and who the members of each network are, kept in
// memory on every replica in the registry read model and fed by the change log, so deciding who
// may see staff contacts, book a shared resource or answer a network's inquiries costs no Redis
// round trip.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "infrashare/registry/v1/registry.pb.h"

namespace infrashare::registry {

class Membership {
 public:
  void Apply(const v1::Network& network) {
    std::unique_lock lock(mutex_);
    RemoveLocked(network.id());
    auto& members = members_of_[network.id()];  // a network without members is known too
    for (const auto& org : network.member_organization_ids()) {
      networks_of_[org].insert(network.id());
      members.insert(org);
    }
  }
  void Remove(const std::string& network_id) {
    std::unique_lock lock(mutex_);
    RemoveLocked(network_id);
  }
  // The members of a network; nullopt when this replica knows no such network.
  std::optional<std::set<std::string>> Members(const std::string& network_id) const {
    std::shared_lock lock(mutex_);
    auto it = members_of_.find(network_id);
    if (it == members_of_.end()) return std::nullopt;
    return it->second;
  }
  // Every network known, in id order.
  std::vector<std::string> Networks() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& [id, members] : members_of_) ids.push_back(id);
    return ids;
  }
  std::set<std::string> NetworksOf(const std::string& organization_id) const {
    std::shared_lock lock(mutex_);
    auto it = networks_of_.find(organization_id);
    return it == networks_of_.end() ? std::set<std::string>() : it->second;
  }

 private:
  void RemoveLocked(const std::string& network_id) {
    auto it = members_of_.find(network_id);
    if (it == members_of_.end()) return;
    for (const auto& org : it->second) networks_of_[org].erase(network_id);
    members_of_.erase(it);
  }
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::set<std::string>> networks_of_;
  std::map<std::string, std::set<std::string>> members_of_;
};

}  // namespace infrashare::registry
