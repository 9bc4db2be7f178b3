#include "tests/support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/redis_server.h"

namespace infrashare::testing {

ServerProcess::ServerProcess(const std::string& binary, const std::string& redis_url,
                             std::map<std::string, std::string> env, const std::string& output_path)
    : port_(FreePort()), health_port_(FreePort()) {
  while (health_port_ == port_) health_port_ = FreePort();
  env["INFRASHARE_REDIS_URL"] = redis_url;
  // The *_cluster runs talk to their one-node cluster as a cluster client does: by slot map.
  if (ClusterModeRequested() && !env.count("INFRASHARE_REDIS_SENTINELS") &&
      redis_url.rfind("redis://", 0) == 0) {
    std::string address = redis_url.substr(8);
    address = address.substr(address.rfind('@') == std::string::npos ? 0 : address.rfind('@') + 1);
    env.emplace("INFRASHARE_REDIS_CLUSTER_NODES", address.substr(0, address.find('/')));
  }
  env["INFRASHARE_LISTEN"] = "127.0.0.1:" + std::to_string(port_);
  env.emplace("INFRASHARE_METRICS_LISTEN", "127.0.0.1:0");
  env["INFRASHARE_HEALTH_LISTEN"] = "127.0.0.1:" + std::to_string(health_port_);
  env.emplace("INFRASHARE_AUTH_BOOTSTRAP_ADMIN_TOKEN", kAdminToken);
  env.emplace("INFRASHARE_LOG_LEVEL", "warn");
  // Everything the child needs is prepared before fork: this process has threads (gRPC, a
  // server started earlier), and a forked child that allocates can deadlock on a lock one of
  // them held (under AddressSanitizer it does). The child only makes system calls.
  std::map<std::string, std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) environment[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : env) environment[name] = value;
  std::vector<std::string> entries;
  for (const auto& [name, value] : environment) entries.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : entries) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string program = binary;
  char* argv[] = {program.data(), nullptr};
  const bool quiet = getenv("INFRASHARE_TEST_SERVER_OUTPUT") == nullptr;
  const std::string output = output_path.empty() ? "/dev/null" : output_path;
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    if (quiet || !output_path.empty()) {
      int sink = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(sink, STDOUT_FILENO);
      dup2(sink, STDERR_FILENO);
    }
    execve(program.c_str(), argv, envp.data());
    _exit(127);
  }
  channel_ =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ServerProcess::WaitUntilServing() const {
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(health_port_), grpc::InsecureChannelCredentials()));
  for (int attempt = 0; attempt < 150; ++attempt) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (health->Check(&context, request, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

int ServerProcess::Terminate() {
  int wstatus = 0;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, &wstatus, 0);
    pid_ = -1;
  }
  return wstatus;
}

}  // namespace infrashare::testing
