#include "tests/support/redis_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace infrashare::testing {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
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

RedisServer::RedisServer(bool cluster, bool append_only, std::vector<std::string> extra)
    : cluster_(cluster), append_only_(append_only), extra_(std::move(extra)), port_(FreePort()) {
  // Redis refuses a cluster node whose port is above 55535 (its bus port would overflow).
  while (cluster_ && port_ > 55535) port_ = FreePort();
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
                             dir_ + "/nodes.conf", "--cluster-port", std::to_string(FreePort())});
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
