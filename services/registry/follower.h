// Keeps a replica's read model of registry data (services/registry/read_model.h) current: loads
// every record of the kinds it holds, then applies the registry's change log as it grows. A server
// runs one, whichever services it serves.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/registry/store.h"

namespace infrashare::registry {

class RegistryListener {
 public:
  virtual ~RegistryListener() = default;
  // A record of `kind` was created or updated; `data` is the stored protobuf.
  virtual void Upsert(absl::string_view kind, const std::string& data) = 0;
  virtual void Remove(absl::string_view kind, const std::string& id) = 0;
  // Every record present at start-up has been applied.
  virtual void Loaded() {}
};

class RegistryFollower {
 public:
  RegistryFollower(RegistryStore* store, ChangeLog* changes, const RedisPool* redis,
                   std::vector<absl::string_view> kinds, RegistryListener* listener);
  ~RegistryFollower();
  void Start();
  void Stop();
  bool ready() const { return ready_; }
  // Followers running in this process (started, not yet stopped).
  static int Running();

 private:
  void Run();
  absl::Status Load(std::string* cursor);
  bool Wanted(absl::string_view kind) const;

  RegistryStore* store_;
  ChangeLog* changes_;
  const RedisPool* redis_;
  std::vector<absl::string_view> kinds_;
  RegistryListener* listener_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ready_{false};
  std::thread thread_;
};

}  // namespace infrashare::registry
