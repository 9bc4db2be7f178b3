#include "tests/support/test_server.h"

#include <stdexcept>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "infrashare_client/client.h"
#include "services/common/logging.h"

namespace infrashare::testing {

Config TestServer::DefaultConfig() {
  Config config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "127.0.0.1:0";
  config.health_listen = "127.0.0.1:0";
  config.auth.bootstrap_admin_token = kAdminToken;
  config.auth.cache_ttl_ms = 0;
  config.log.level = "warn";
  return config;
}

TestServer::TestServer(const std::string& redis_url, Config config,
                       const std::set<std::string>& services) {
  config.redis.url = redis_url;
  // The *_cluster runs talk to their one-node cluster as a cluster client does: by slot map.
  if (ClusterModeRequested() && config.redis.cluster_nodes.empty() &&
      config.redis.sentinels.empty()) {
    if (auto address = ParseRedisUrl(redis_url); address.ok())
      config.redis.cluster_nodes = address->host + ":" + std::to_string(address->port);
  }
  logging::Init(config.log);
  auto server = InfrashareServer::Start(config, services);
  if (!server.ok()) throw std::runtime_error(std::string(server.status().message()));
  server_ = std::move(*server);
  channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  // Read models (the search index, the catalogue) load after the listener opens: a test that
  // searched before they had loaded got UNAVAILABLE on a busy machine.
  if (config.tls.cert_file.empty()) WaitUntilServing();  // (a TLS test waits with its own channel)
}

TestServer::~TestServer() { Shutdown(); }

void TestServer::Shutdown() {
  if (server_) server_->Shutdown(std::chrono::milliseconds(200));
}

void TestServer::WaitUntilServing() const {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (int attempt = 0; attempt < 200; ++attempt) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (health->Check(&context, request, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("the server did not become SERVING within 10 s");
}

std::unique_ptr<grpc::ClientContext> TestServer::Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

std::string TestServer::Token(const std::string& organization_id, std::vector<auth::v1::Role> roles,
                              std::vector<std::string> network_ids) {
  return TokenWithInfo(organization_id, std::move(roles), std::move(network_ids)).token();
}

auth::v1::CreateTokenResponse TestServer::TokenWithInfo(const std::string& organization_id,
                                                        std::vector<auth::v1::Role> roles,
                                                        std::vector<std::string> network_ids) {
  auth::v1::CreateTokenRequest request;
  request.set_organization_id(organization_id);
  for (auto r : roles) request.add_roles(r);
  for (auto& n : network_ids) request.add_network_ids(n);
  auth::v1::CreateTokenResponse response;
  auto status = Tokens()->CreateToken(Context(kAdminToken).get(), request, &response);
  if (!status.ok()) throw std::runtime_error("CreateToken: " + status.error_message());
  return response;
}

std::unique_ptr<registry::v1::RegistryService::Stub> TestServer::Registry() const {
  return registry::v1::RegistryService::NewStub(channel_);
}

std::unique_ptr<auth::v1::TokenService::Stub> TestServer::Tokens() const {
  return auth::v1::TokenService::NewStub(channel_);
}

std::unique_ptr<scheduler::v1::SchedulerService::Stub> TestServer::Scheduler() const {
  return scheduler::v1::SchedulerService::NewStub(channel_);
}

std::unique_ptr<desk::v1::DeskService::Stub> TestServer::Desk() const {
  return desk::v1::DeskService::NewStub(channel_);
}

std::string BadField(const grpc::Status& status) { return client::ErrorField(status); }

std::string Reason(const grpc::Status& status) { return client::ErrorReason(status); }

}  // namespace infrashare::testing
