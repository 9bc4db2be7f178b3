// The real infrashare-server binary as a child process on a free loopback port, configured through
// environment variables like a deployment; killed with the test (never outlives it).
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

namespace infrashare::testing {

// The bootstrap platform-admin token of every server a test or benchmark starts.
inline constexpr char kAdminToken[] = "test-bootstrap-admin-token";

class ServerProcess {
 public:
  // Starts `binary` against `redis_url` with the test admin token; `env` adds INFRASHARE_*
  // settings. Its output goes to `output_path` when given, else to /dev/null unless
  // INFRASHARE_TEST_SERVER_OUTPUT is set.
  ServerProcess(const std::string& binary, const std::string& redis_url,
                std::map<std::string, std::string> env = {}, const std::string& output_path = "");
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Waits up to 15 s for every service to be SERVING (asked on the plaintext health port, so it
  // works for a TLS server too); false when it never was.
  bool WaitUntilServing() const;
  // SIGTERM, then waits; returns the exit status as waitpid reports it.
  int Terminate();
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  int health_port() const { return health_port_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }  // plaintext

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int health_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace infrashare::testing
