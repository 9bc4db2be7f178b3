// A real redis-server for a test: started on a free loopback port in a temporary directory, and
// killed at the end. In cluster mode it is one node holding all 16384 slots, so any command that
// touches keys in different hash slots fails with CROSSSLOT, as it would on a real cluster.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace infrashare::testing {

int FreePort();

// A loopback port held bound but not listening while this lives: a connection to it is refused at
// once, and no other server started meanwhile (a parallel test's) can take it, as it could a port
// FreePort named.
class RefusedPort {
 public:
  RefusedPort();
  ~RefusedPort();
  RefusedPort(const RefusedPort&) = delete;
  RefusedPort& operator=(const RefusedPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class RedisServer {
 public:
  // `extra` goes on redis-server's command line, e.g. {"--replicaof", "127.0.0.1", "6379"}.
  explicit RedisServer(bool cluster = false, bool append_only = false,
                       std::vector<std::string> extra = {});
  // A cluster-enabled node that holds no slots yet, for RedisCluster to join.
  static std::unique_ptr<RedisServer> EmptyClusterNode(std::vector<std::string> extra = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool cluster() const { return cluster_; }
  void Stop();   // kill -9: a crash, not a shutdown
  void Start();  // again, same port, cluster bus port and data directory
  bool running() const { return pid_ > 0; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Runs redis-cli with these arguments against this server and returns its output.
  std::string Cli(const std::string& args) const;

 private:
  struct Empty {};
  RedisServer(Empty, std::vector<std::string> extra);
  void WaitUntilReady();
  bool cluster_;
  bool append_only_;
  std::vector<std::string> extra_;
  int port_;
  int bus_port_ = 0;  // cluster only
  std::string dir_;
  pid_t pid_ = -1;
};

// A Redis Cluster on loopback made the way an operator makes one: `primaries` empty nodes and
// `replicas` replicas for each, joined with `redis-cli --cluster create ... --cluster-replicas`,
// with cluster-node-timeout 1000 ms so a replica takes over a few seconds after its primary died.
class RedisCluster {
 public:
  explicit RedisCluster(int primaries = 3, int replicas = 1);
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // "127.0.0.1:port,..." of every node: what redis.cluster_nodes takes.
  std::string seeds() const;
  std::vector<std::unique_ptr<RedisServer>>& nodes() { return nodes_; }
  RedisServer& node(const std::string& address);
  // Runs redis-cli against the first running node.
  std::string Cli(const std::string& args) const;
  // Who serves each slot, as the first running node sees it (addresses; "" for none).
  std::vector<std::string> SlotOwners() const;
  std::string PrimaryOf(int slot) const { return SlotOwners()[slot]; }
  // The primaries that serve slots, and the working replicas of one.
  std::vector<std::string> Primaries() const;
  std::vector<std::string> ReplicasOf(const std::string& primary) const;
  std::string IdOf(const std::string& address) const;
  // Moves `slot` to the primary at `to` as redis-cli --cluster reshard does (IMPORTING, MIGRATING,
  // MIGRATE of its keys ten at a time with `pause` after each batch, SETSLOT NODE on every
  // primary), so that calls meanwhile meet ASK and TRYAGAIN, then MOVED.
  void MoveSlot(int slot, const std::string& to,
                std::chrono::milliseconds pause = std::chrono::milliseconds(0)) const;
  // Until every running node says cluster_state:ok and agrees on the slot of every primary, and
  // every running replica's link to its primary is up (false after 30 s).
  bool WaitUntilStable() const;

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
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
