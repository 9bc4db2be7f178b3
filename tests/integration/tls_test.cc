// TLS and mutual TLS on the real server (in process, on 127.0.0.1, against a real Redis), with
// certificates made by scripts/make-certs (Debian's openssl): which clients the handshake admits,
// a renewed server certificate served without a restart, and the plaintext health-only port.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "infrashare_client/client.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A CA, a server certificate for 127.0.0.1, a client certificate, and a client certificate from
// another CA, in a temporary directory.
class Certificates {
 public:
  Certificates() {
    char dir[] = "/tmp/infrashare-tls-XXXXXX";
    dir_ = mkdtemp(dir);
    Run("");
  }
  ~Certificates() { std::system(("rm -rf " + dir_).c_str()); }
  std::string operator[](const std::string& file) const { return dir_ + "/" + file; }
  // The same server key signed again with a new serial, put in place in one rename.
  void RenewServer() const { Run("--renew-server "); }

 private:
  void Run(const std::string& flags) const {
    const std::string command =
        std::string(INFRASHARE_SOURCE_DIR) + "/scripts/make-certs " + flags + dir_;
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
  std::string dir_;
};

Config TlsConfig(const Certificates& certs, const std::string& client_certs) {
  Config config = TestServer::DefaultConfig();
  config.tls.cert_file = certs["server.pem"];
  config.tls.key_file = certs["server.key"];
  config.tls.client_certs = client_certs;
  if (client_certs != "none") config.tls.client_ca_file = certs["ca.pem"];
  config.tls.refresh_interval_s = 1;
  return config;
}

// A client of the C++ client library, one attempt per call; `ca` empty = plaintext.
client::Client ClientOf(int port, const std::string& ca, const std::string& cert = "",
                        const std::string& key = "") {
  client::ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(port);
  options.token = kAdminToken;
  options.tls = !ca.empty();
  options.ca_file = ca;
  options.cert_file = cert;
  options.key_file = key;
  options.max_attempts = 1;
  return client::Client(options);
}

// WhoAmI as the bootstrap admin (answered without Redis); `server_pem` gets the certificate the
// server presented in the handshake.
grpc::Status WhoAmI(client::Client& client, std::string* server_pem = nullptr) {
  auto context = client.Context();
  auth::v1::TokenInfo who;
  grpc::Status status = client.tokens().WhoAmI(context.get(), auth::v1::WhoAmIRequest(), &who);
  if (server_pem != nullptr && status.ok()) {
    auto pem = context->auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    *server_pem = pem.empty() ? "" : std::string(pem.front().data(), pem.front().size());
  }
  return status;
}

TEST(Tls, AdmitsAClientThatTrustsTheServersCaAndNoOther) {
  Certificates certs;
  RedisServer redis;
  TestServer server(redis.url(), TlsConfig(certs, "none"));
  auto trusting = ClientOf(server.port(), certs["ca.pem"]);
  std::string presented;
  grpc::Status status = WhoAmI(trusting, &presented);
  ASSERT_TRUE(status.ok()) << client::DescribeError(status);
  EXPECT_EQ(presented, ReadFile(certs["server.pem"]));
  auto distrusting = ClientOf(server.port(), certs["other-ca.pem"]);
  EXPECT_EQ(WhoAmI(distrusting).error_code(), grpc::StatusCode::UNAVAILABLE);
  auto plaintext = ClientOf(server.port(), "");
  EXPECT_EQ(WhoAmI(plaintext).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(MutualTls, RequiredRefusesClientsWithoutACertificateOrWithOneFromAnotherCa) {
  Certificates certs;
  RedisServer redis;
  TestServer server(redis.url(), TlsConfig(certs, "required"));
  auto with_cert =
      ClientOf(server.port(), certs["ca.pem"], certs["client.pem"], certs["client.key"]);
  grpc::Status status = WhoAmI(with_cert);
  EXPECT_TRUE(status.ok()) << client::DescribeError(status);
  auto without_cert = ClientOf(server.port(), certs["ca.pem"]);
  EXPECT_EQ(WhoAmI(without_cert).error_code(), grpc::StatusCode::UNAVAILABLE);
  auto other_ca = ClientOf(server.port(), certs["ca.pem"], certs["other-client.pem"],
                           certs["other-client.key"]);
  EXPECT_EQ(WhoAmI(other_ca).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(MutualTls, OptionalAdmitsClientsWithoutACertificateButVerifiesOnePresented) {
  Certificates certs;
  RedisServer redis;
  TestServer server(redis.url(), TlsConfig(certs, "optional"));
  auto without_cert = ClientOf(server.port(), certs["ca.pem"]);
  grpc::Status status = WhoAmI(without_cert);
  EXPECT_TRUE(status.ok()) << client::DescribeError(status);
  auto with_cert =
      ClientOf(server.port(), certs["ca.pem"], certs["client.pem"], certs["client.key"]);
  status = WhoAmI(with_cert);
  EXPECT_TRUE(status.ok()) << client::DescribeError(status);
  auto other_ca = ClientOf(server.port(), certs["ca.pem"], certs["other-client.pem"],
                           certs["other-client.key"]);
  EXPECT_EQ(WhoAmI(other_ca).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(Tls, ServesARenewedCertificateWithoutARestart) {
  Certificates certs;
  RedisServer redis;
  TestServer server(redis.url(), TlsConfig(certs, "required"));
  const std::string first = ReadFile(certs["server.pem"]);
  auto before = ClientOf(server.port(), certs["ca.pem"], certs["client.pem"], certs["client.key"]);
  std::string presented;
  ASSERT_TRUE(WhoAmI(before, &presented).ok());
  ASSERT_EQ(presented, first);

  certs.RenewServer();
  const std::string renewed = ReadFile(certs["server.pem"]);
  ASSERT_NE(renewed, first);
  // The server reads the files every second (tls.refresh_interval_s); each attempt is a new
  // client, so a new handshake. Bounded at 10 s.
  for (int attempt = 0; attempt < 100 && presented != renewed; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto client =
        ClientOf(server.port(), certs["ca.pem"], certs["client.pem"], certs["client.key"]);
    grpc::Status status = WhoAmI(client, &presented);
    ASSERT_TRUE(status.ok()) << client::DescribeError(status);
  }
  EXPECT_EQ(presented, renewed);
}

// Runs the CLI (`token whoami` as the bootstrap admin) with these environment settings and
// arguments; returns its exit code and output.
std::pair<int, std::string> CliWhoAmI(int port, const std::string& env, const std::string& args) {
  const std::string command = env + " INFRASHARE_TOKEN=" + kAdminToken + " " + INFRASHARE_CLI_BIN +
                              " --server 127.0.0.1:" + std::to_string(port) + " " + args +
                              " token whoami 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(MutualTls, TheCliConnectsWithCertificatesFromFlagsOrEnvironment) {
  Certificates certs;
  RedisServer redis;
  TestServer server(redis.url(), TlsConfig(certs, "required"));
  auto [code, out] = CliWhoAmI(server.port(), "",
                               "--ca-file " + certs["ca.pem"] + " --cert-file " +
                                   certs["client.pem"] + " --key-file " + certs["client.key"]);
  EXPECT_EQ(code, 0) << out;
  std::tie(code, out) = CliWhoAmI(server.port(),
                                  "INFRASHARE_CA_FILE=" + certs["ca.pem"] +
                                      " INFRASHARE_CERT_FILE=" + certs["client.pem"] +
                                      " INFRASHARE_KEY_FILE=" + certs["client.key"],
                                  "");
  EXPECT_EQ(code, 0) << out;
  std::tie(code, out) = CliWhoAmI(server.port(), "", "--deadline 5 --ca-file " + certs["ca.pem"]);
  EXPECT_EQ(code, 11) << out;  // UNAVAILABLE (README "Exit codes")
  EXPECT_NE(out.find("UNAVAILABLE"), std::string::npos) << out;
}

HealthCheckResponse::ServingStatus Check(Health::Stub& health, const std::string& service) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = health.Check(&context, request, &response);
  return status.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
}

// Polls (every 100 ms, up to 15 s) until the health port reports `wanted` for the whole server.
bool WaitForStatus(Health::Stub& health, HealthCheckResponse::ServingStatus wanted) {
  for (int attempt = 0; attempt < 150; ++attempt) {
    if (Check(health, "") == wanted) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// A call of `method` with an empty message through a generic stub: the status says whether the
// server knows the method at all.
grpc::Status CallNamed(std::shared_ptr<grpc::Channel> channel, const std::string& method) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice nothing("");
  grpc::ByteBuffer request(&nothing, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

TEST(HealthPort, AnswersInPlaintextWithTheMainServersStatusesWhileTheMainPortRequiresTls) {
  Certificates certs;
  RedisServer redis;
  TestServer server(redis.url(), TlsConfig(certs, "required"));
  ASSERT_NE(server.health_port(), 0);
  auto health_channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.health_port()),
                                            grpc::InsecureChannelCredentials());
  auto health = Health::NewStub(health_channel);
  ASSERT_TRUE(WaitForStatus(*health, HealthCheckResponse::SERVING));
  EXPECT_EQ(Check(*health, "infrashare.scheduler.v1.SchedulerService"),
            HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(*health, "infrashare.auth.v1.TokenService"), HealthCheckResponse::SERVING);
  auto plaintext = ClientOf(server.port(), "");
  EXPECT_EQ(WhoAmI(plaintext).error_code(), grpc::StatusCode::UNAVAILABLE);

  EXPECT_EQ(Check(*health, "liveness"), HealthCheckResponse::SERVING);

  // Redis gone: NOT_SERVING on the health port too; back: SERVING. Liveness (Kubernetes' liveness
  // probe) stays SERVING: restarting the server would not bring Redis back.
  redis.Stop();
  EXPECT_TRUE(WaitForStatus(*health, HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(Check(*health, "infrashare.registry.v1.RegistryService"),
            HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(*health, "liveness"), HealthCheckResponse::SERVING);
  redis.Start();
  EXPECT_TRUE(WaitForStatus(*health, HealthCheckResponse::SERVING));
}

TEST(HealthPort, ServesNothingButHealth) {
  Certificates certs;
  RedisServer redis;
  TestServer server(redis.url(), TlsConfig(certs, "none"));
  auto health_channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.health_port()),
                                            grpc::InsecureChannelCredentials());
  auto health_only = ClientOf(server.health_port(), "");
  EXPECT_EQ(WhoAmI(health_only).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  auto context = health_only.Context();
  registry::v1::ListOrganizationsResponse organizations;
  EXPECT_EQ(health_only.registry()
                .ListOrganizations(context.get(), registry::v1::ListOrganizationsRequest(),
                                   &organizations)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  const std::string reflection = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  EXPECT_EQ(CallNamed(health_channel, reflection).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // The main port does serve reflection, so the call above would have told.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(certs["ca.pem"]);
  auto main_channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()), grpc::SslCredentials(ssl));
  EXPECT_NE(CallNamed(main_channel, reflection).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST(HealthPort, IsOffWhenHealthListenIsEmpty) {
  RedisServer redis;
  Config config = TestServer::DefaultConfig();
  config.health_listen = "";
  TestServer server(redis.url(), config);
  EXPECT_EQ(server.health_port(), 0);
}

}  // namespace
}  // namespace infrashare::testing
