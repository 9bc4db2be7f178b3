// The real infrashare server, started in-process on a free loopback port against a real Redis,
// with helpers to make tokens for organisations and roles.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/desk/v1/desk.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "services/common/config.h"
#include "services/server/server.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"

namespace infrashare::testing {

class TestServer {
 public:
  // The chosen services (--services), all by default.
  explicit TestServer(const std::string& redis_url, Config config = DefaultConfig(),
                      const std::set<std::string>& services = KnownServices());
  ~TestServer();

  static Config DefaultConfig();
  int port() const { return server_->port(); }
  int health_port() const { return server_->health_port(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  InfrashareServer& server() { return *server_; }
  void Shutdown();
  // Waits (up to 10 s) until every service reports SERVING, e.g. read models loaded.
  void WaitUntilServing() const;

  // A client context carrying `token` and a 10 s deadline.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token);
  // Creates a token (as the bootstrap admin) for an organisation with these roles.
  std::string Token(const std::string& organization_id, std::vector<auth::v1::Role> roles,
                    std::vector<std::string> network_ids = {});
  // The same, with the token's id (what a desk responder is bound to).
  auth::v1::CreateTokenResponse TokenWithInfo(const std::string& organization_id,
                                              std::vector<auth::v1::Role> roles,
                                              std::vector<std::string> network_ids = {});

  std::unique_ptr<registry::v1::RegistryService::Stub> Registry() const;
  std::unique_ptr<auth::v1::TokenService::Stub> Tokens() const;
  std::unique_ptr<scheduler::v1::SchedulerService::Stub> Scheduler() const;
  std::unique_ptr<desk::v1::DeskService::Stub> Desk() const;

 private:
  std::unique_ptr<InfrashareServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The field named by a status' google.rpc.BadRequest, "" when none.
std::string BadField(const grpc::Status& status);
// The reason of a status' google.rpc.ErrorInfo, "" when none.
std::string Reason(const grpc::Status& status);

}  // namespace infrashare::testing
