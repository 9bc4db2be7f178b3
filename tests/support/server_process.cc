#include "tests/support/server_process.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/redis_server.h"

namespace infrashare::testing {

ServerProcess::ServerProcess(const std::string& binary, const std::string& redis_url,
                             std::map<std::string, std::string> env)
    : port_(FreePort()) {
  env["INFRASHARE_REDIS_URL"] = redis_url;
  env["INFRASHARE_LISTEN"] = "127.0.0.1:" + std::to_string(port_);
  env.emplace("INFRASHARE_METRICS_LISTEN", "127.0.0.1:0");
  env.emplace("INFRASHARE_AUTH_BOOTSTRAP_ADMIN_TOKEN", kAdminToken);
  env.emplace("INFRASHARE_LOG_LEVEL", "warn");
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    if (getenv("INFRASHARE_TEST_SERVER_OUTPUT") == nullptr) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
    }
    execl(binary.c_str(), binary.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ServerProcess::WaitUntilServing() const {
  auto health = grpc::health::v1::Health::NewStub(channel_);
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
