#include "tests/support/redis_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "services/common/redis.h"

namespace infrashare::testing {

// A port the kernel handed out just now, released again.
int FreePort() { return RefusedPort().port(); }

RefusedPort::RefusedPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

RefusedPort::~RefusedPort() {
  if (fd_ >= 0) close(fd_);
}

bool ClusterModeRequested() {
  const char* v = std::getenv("INFRASHARE_TEST_REDIS_CLUSTER");
  return v != nullptr && std::string(v) == "1";
}

namespace {

// Starts a redis-server with these arguments; it dies with the test process and keeps off its
// output, so a crashed test leaves nothing behind holding ctest's pipe.
pid_t Spawn(std::vector<std::string> args) {
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("redis-server", argv.data());
    _exit(127);
  }
  return pid;
}

std::string RedisCli(int port, const std::string& args) {
  std::string command = "redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " " + args + " 2>&1";
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  pclose(pipe);
  return out;
}

void WaitForPong(int port) {
  for (int i = 0; i < 200; ++i) {
    if (RedisCli(port, "PING").find("PONG") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("redis did not start on port " + std::to_string(port));
}

}  // namespace

RedisServer::RedisServer(Empty, std::vector<std::string> extra)
    : cluster_(true), append_only_(false), extra_(std::move(extra)), port_(FreePort()) {
  // Redis refuses a cluster node whose port is above 55535 (its bus port would overflow).
  while (port_ > 55535) port_ = FreePort();
  bus_port_ = FreePort();
  while (bus_port_ == port_) bus_port_ = FreePort();
  char pattern[] = "/tmp/infrashare-redis-XXXXXX";
  dir_ = mkdtemp(pattern);
  Start();
}

std::unique_ptr<RedisServer> RedisServer::EmptyClusterNode(std::vector<std::string> extra) {
  return std::unique_ptr<RedisServer>(new RedisServer(Empty{}, std::move(extra)));
}

RedisServer::RedisServer(bool cluster, bool append_only, std::vector<std::string> extra)
    : cluster_(cluster), append_only_(append_only), extra_(std::move(extra)), port_(FreePort()) {
  // Redis refuses a cluster node whose port is above 55535 (its bus port would overflow).
  while (cluster_ && port_ > 55535) port_ = FreePort();
  if (cluster_) bus_port_ = FreePort();
  char pattern[] = "/tmp/infrashare-redis-XXXXXX";
  dir_ = mkdtemp(pattern);
  Start();
  if (cluster_) {
    std::string out = Cli("CLUSTER ADDSLOTSRANGE 0 16383");
    if (out.find("OK") == std::string::npos) throw std::runtime_error("cluster slots: " + out);
    for (int i = 0; i < 100 && Cli("CLUSTER INFO").find("cluster_state:ok") == std::string::npos;
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

RedisServer::~RedisServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void RedisServer::Start() {
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   append_only_ ? "yes" : "no",
                                   "--protected-mode",
                                   "no",
                                   "--loglevel",
                                   "warning",
                                   "--logfile",
                                   dir_ + "/redis.log"};
  if (cluster_) {
    args.insert(args.end(), {"--cluster-enabled", "yes", "--cluster-config-file",
                             dir_ + "/nodes.conf", "--cluster-port", std::to_string(bus_port_)});
  }
  args.insert(args.end(), extra_.begin(), extra_.end());
  pid_ = Spawn(args);
  WaitUntilReady();
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string RedisServer::Cli(const std::string& args) const { return RedisCli(port_, args); }

void RedisServer::WaitUntilReady() { WaitForPong(port_); }

RedisCluster::RedisCluster(int primaries, int replicas) {
  std::string addresses;
  for (int i = 0; i < primaries * (1 + replicas); ++i) {
    nodes_.push_back(RedisServer::EmptyClusterNode({"--cluster-node-timeout", "1000"}));
    addresses += ' ';
    addresses += nodes_.back()->address();
  }
  const std::string out =
      nodes_.front()->Cli("--cluster create" + addresses + " --cluster-replicas " +
                          std::to_string(replicas) + " --cluster-yes");
  if (out.find("All 16384 slots covered") == std::string::npos)
    throw std::runtime_error("redis-cli --cluster create: " + out);
  if (!WaitUntilStable())
    throw std::runtime_error("the cluster did not settle: " + Cli("CLUSTER NODES"));
}

std::string RedisCluster::seeds() const {
  std::string out;
  for (const auto& node : nodes_) {
    if (!out.empty()) out += ',';
    out += node->address();
  }
  return out;
}

RedisServer& RedisCluster::node(const std::string& address) {
  for (auto& node : nodes_)
    if (node->address() == address) return *node;
  throw std::runtime_error("no cluster node at " + address);
}

std::string RedisCluster::Cli(const std::string& args) const {
  for (const auto& node : nodes_)
    if (node->running()) return node->Cli(args);
  return "";
}

namespace {

// The lines of CLUSTER NODES: "<id> <ip:port@bus> <flags> <primary> ... <slots...>".
std::vector<std::vector<std::string>> ClusterNodes(const std::string& out) {
  std::vector<std::vector<std::string>> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    std::vector<std::string> words;
    size_t w = start;
    while (w < end) {
      size_t space = out.find(' ', w);
      if (space == std::string::npos || space > end) space = end;
      if (space > w) words.push_back(out.substr(w, space - w));
      w = space + 1;
    }
    if (words.size() >= 8) lines.push_back(std::move(words));
    start = end + 1;
  }
  return lines;
}

std::string AddressOf(const std::string& field) { return field.substr(0, field.find('@')); }

}  // namespace

std::vector<std::string> RedisCluster::SlotOwners() const {
  std::vector<std::string> owners(16384);
  for (const auto& line : ClusterNodes(Cli("CLUSTER NODES"))) {
    if (line[2].find("master") == std::string::npos || line[2].find("fail") != std::string::npos)
      continue;
    for (size_t i = 8; i < line.size(); ++i) {
      const std::string& range = line[i];
      if (range.front() == '[') continue;  // a slot being migrated
      const size_t dash = range.find('-');
      const int first = std::stoi(range.substr(0, dash));
      const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
      for (int slot = first; slot <= last && slot < 16384; ++slot)
        owners[slot] = AddressOf(line[1]);
    }
  }
  return owners;
}

std::vector<std::string> RedisCluster::Primaries() const {
  std::vector<std::string> primaries;
  for (const auto& owner : SlotOwners())
    if (!owner.empty() && std::find(primaries.begin(), primaries.end(), owner) == primaries.end())
      primaries.push_back(owner);
  return primaries;
}

std::vector<std::string> RedisCluster::ReplicasOf(const std::string& primary) const {
  const std::string id = IdOf(primary);
  std::vector<std::string> replicas;
  for (const auto& line : ClusterNodes(Cli("CLUSTER NODES")))
    if (line[3] == id && line[2].find("fail") == std::string::npos)
      replicas.push_back(AddressOf(line[1]));
  return replicas;
}

namespace {

RedisValue AskNode(const std::string& address, const RedisArgs& command) {
  const size_t colon = address.rfind(':');
  auto reply = RedisAskOnce(address.substr(0, colon), std::stoi(address.substr(colon + 1)), "",
                            command, std::chrono::milliseconds(5000));
  if (!reply.ok()) throw std::runtime_error(address + ": " + std::string(reply.status().message()));
  if (reply->type == RedisValue::Type::kError)
    throw std::runtime_error(address + " " + command[0] + ": " + reply->str);
  return *reply;
}

}  // namespace

void RedisCluster::MoveSlot(int slot, const std::string& to,
                            std::chrono::milliseconds pause) const {
  const std::string from = PrimaryOf(slot);
  if (from.empty() || from == to) return;
  const std::string number = std::to_string(slot);
  AskNode(to, {"CLUSTER", "SETSLOT", number, "IMPORTING", IdOf(from)});
  AskNode(from, {"CLUSTER", "SETSLOT", number, "MIGRATING", IdOf(to)});
  const size_t colon = to.rfind(':');
  while (true) {
    const RedisValue keys = AskNode(from, {"CLUSTER", "GETKEYSINSLOT", number, "10"});
    if (keys.elements.empty()) break;
    RedisArgs migrate = {"MIGRATE", to.substr(0, colon), to.substr(colon + 1), "", "0", "5000",
                         "KEYS"};
    for (const auto& key : keys.elements) migrate.push_back(key.str);
    AskNode(from, migrate);
    std::this_thread::sleep_for(pause);
  }
  // The importing node first, as redis-cli does: it bumps its epoch, so its claim wins.
  std::vector<std::string> primaries = Primaries();
  primaries.erase(std::remove(primaries.begin(), primaries.end(), to), primaries.end());
  primaries.insert(primaries.begin(), to);
  const std::string id = IdOf(to);
  for (const auto& primary : primaries) {
    try {
      AskNode(primary, {"CLUSTER", "SETSLOT", number, "NODE", id});
    } catch (const std::runtime_error& e) {
      // A primary that gave away its last slot turns replica of the taker (Redis 7's replica
      // migration), possibly before it hears this: then it has nothing left to be told.
      if (std::string(e.what()).find("only with masters") == std::string::npos) throw;
    }
  }
}

std::string RedisCluster::IdOf(const std::string& address) const {
  return AskNode(address, {"CLUSTER", "MYID"}).str;
}

bool RedisCluster::WaitUntilStable() const {
  for (int attempt = 0; attempt < 300; ++attempt) {
    bool stable = true;
    std::string view;
    for (const auto& node : nodes_) {
      if (!node->running()) continue;
      if (node->Cli("CLUSTER INFO").find("cluster_state:ok") == std::string::npos) stable = false;
      const std::string replication = node->Cli("INFO replication");
      if (replication.find("role:slave") != std::string::npos &&
          replication.find("master_link_status:up") == std::string::npos)
        stable = false;
      // Every node's map of who serves what must be the same.
      std::vector<std::string> owners;
      for (const auto& line : ClusterNodes(node->Cli("CLUSTER NODES"))) {
        if (line[2].find("master") == std::string::npos || line.size() == 8) continue;
        std::string owner = AddressOf(line[1]);
        for (size_t i = 8; i < line.size(); ++i) {
          owner += ' ';
          owner += line[i];
        }
        owners.push_back(std::move(owner));
      }
      std::sort(owners.begin(), owners.end());
      std::string map;
      for (const auto& owner : owners) map += owner + ";";
      if (view.empty()) view = map;
      if (map != view) stable = false;
    }
    if (stable) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

RedisSentinel::RedisSentinel(const std::string& master, int primary_port) : port_(FreePort()) {
  char pattern[] = "/tmp/infrashare-sentinel-XXXXXX";
  dir_ = mkdtemp(pattern);
  const std::string conf = dir_ + "/sentinel.conf";  // a Sentinel rewrites its file: its own
  std::ofstream(conf) << "port " << port_ << "\nbind 127.0.0.1\ndir " << dir_
                      << "\nsentinel monitor " << master << " 127.0.0.1 " << primary_port
                      << " 2\nsentinel down-after-milliseconds " << master
                      << " 1000\nsentinel failover-timeout " << master << " 3000\n";
  pid_ = Spawn({"redis-server", conf, "--sentinel", "--logfile", dir_ + "/sentinel.log"});
  WaitForPong(port_);
}

RedisSentinel::~RedisSentinel() {
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisSentinel::Cli(const std::string& args) const { return RedisCli(port_, args); }

}  // namespace infrashare::testing
