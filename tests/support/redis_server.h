// A real redis-server for a test: started on a free loopback port in a temporary directory, and
// killed at the end. In cluster mode it is one node holding all 16384 slots, so any command that
// touches keys in different hash slots fails with CROSSSLOT, as it would on a real cluster.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace infrashare::testing {

int FreePort();

class RedisServer {
 public:
  // `extra` goes on redis-server's command line, e.g. {"--replicaof", "127.0.0.1", "6379"}.
  explicit RedisServer(bool cluster = false, bool append_only = false,
                       std::vector<std::string> extra = {});
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
  std::vector<std::string> extra_;
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

// A Redis Sentinel watching the primary `master` at 127.0.0.1:`primary_port` (quorum 2, down
// after 1 s, failover timeout 3 s), on a free loopback port; killed at the end.
class RedisSentinel {
 public:
  RedisSentinel(const std::string& master, int primary_port);
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;
  int port() const { return port_; }
  std::string Cli(const std::string& args) const;

 private:
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

// True when the test should use a cluster-mode Redis (env INFRASHARE_TEST_REDIS_CLUSTER=1).
bool ClusterModeRequested();

}  // namespace infrashare::testing
