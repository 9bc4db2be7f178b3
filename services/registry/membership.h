// Which networks each organisation belongs to, kept in memory on every replica next to the search
// index and fed by the same change log, so deciding who may see staff contacts costs no Redis
// round trip on reads.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>

#include "infrashare/registry/v1/registry.pb.h"

namespace infrashare::registry {

class Membership {
 public:
  void Apply(const v1::Network& network) {
    std::unique_lock lock(mutex_);
    RemoveLocked(network.id());
    for (const auto& org : network.member_organization_ids()) {
      networks_of_[org].insert(network.id());
      members_of_[network.id()].insert(org);
    }
  }
  void Remove(const std::string& network_id) {
    std::unique_lock lock(mutex_);
    RemoveLocked(network_id);
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
