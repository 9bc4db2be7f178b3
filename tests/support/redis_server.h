// A real redis-server for a test: started on a free loopback port in a temporary directory, and
// killed at the end. In cluster mode it is one node holding all 16384 slots, so any command that
// touches keys in different hash slots fails with CROSSSLOT, as it would on a real cluster.
#pragma once

#include <sys/types.h>

#include <string>

namespace infrashare::testing {

int FreePort();

class RedisServer {
 public:
  explicit RedisServer(bool cluster = false, bool append_only = false);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool cluster() const { return cluster_; }
  void Stop();   // kill -9: a crash, not a shutdown
  void Start();  // again, same port and data directory
  // Runs redis-cli with these arguments against this server and returns its output.
  std::string Cli(const std::string& args) const;

 private:
  void WaitUntilReady();
  bool cluster_;
  bool append_only_;
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

// True when the test should use a cluster-mode Redis (env INFRASHARE_TEST_REDIS_CLUSTER=1).
bool ClusterModeRequested();

}  // namespace infrashare::testing
