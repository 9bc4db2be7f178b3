// OpenID Connect access tokens (issue #17) through the API: JWTs signed by the test's own keys
// (cjose), an issuer whose keys a local JWKS server publishes and one whose keys are in a file, and
// the claim rules of an issuers file. Valid RS256 and ES256 tokens stand for the organisation and
// roles a rule gives them; expired, not yet valid, wrong audience or issuer, unknown or rotated
// key, unmapped claims, forged and tampered tokens are refused with their reason.
#include "services/common/oidc.h"

#include <arpa/inet.h>
#include <cjose/cjose.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "services/common/clock.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

using json = nlohmann::json;
namespace reg = registry::v1;

constexpr char kIssuer[] = "https://login.test.surfconext.example";
constexpr char kBroker[] = "https://broker.test.eherkenning.example";
constexpr char kAudience[] = "infrashare-api";

// A signing key of the test's own, released with it.
class Key {
 public:
  static Key Rsa(const std::string& kid) {
    cjose_err err;
    static const uint8_t kExponent[] = {0x01, 0x00, 0x01};
    return Key(cjose_jwk_create_RSA_random(2048, kExponent, sizeof(kExponent), &err), kid);
  }
  static Key Ec(const std::string& kid) {
    cjose_err err;
    return Key(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err), kid);
  }
  // An HMAC key made of `secret`: what a forger who knows only public keys signs with.
  static Key Oct(const std::string& secret, const std::string& kid) {
    cjose_err err;
    return Key(cjose_jwk_create_oct_spec(reinterpret_cast<const uint8_t*>(secret.data()),
                                         secret.size(), &err),
               kid);
  }
  Key(Key&& other) noexcept : jwk_(other.jwk_) { other.jwk_ = nullptr; }
  ~Key() {
    if (jwk_ != nullptr) cjose_jwk_release(jwk_);
  }

  // The public key as a JWK.
  json Public() const {
    cjose_err err;
    char* text = cjose_jwk_to_json(jwk_, false, &err);
    json out = json::parse(text);
    free(text);
    return out;
  }

  // A compact JWS of `claims` with `alg` in the header, and `kid` unless it is empty.
  std::string Sign(const std::string& alg, const json& claims, const std::string& kid) const {
    cjose_err err;
    cjose_header_t* header = cjose_header_new(&err);
    cjose_header_set(header, CJOSE_HDR_ALG, alg.c_str(), &err);
    if (!kid.empty()) cjose_header_set(header, CJOSE_HDR_KID, kid.c_str(), &err);
    const std::string payload = claims.dump();
    cjose_jws_t* jws = cjose_jws_sign(
        jwk_, header, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), &err);
    std::string out;
    const char* compact = nullptr;
    if (jws != nullptr && cjose_jws_export(jws, &compact, &err)) out = compact;
    if (jws != nullptr) cjose_jws_release(jws);
    cjose_header_release(header);
    EXPECT_FALSE(out.empty()) << "cjose could not sign with " << alg;
    return out;
  }

 private:
  Key(cjose_jwk_t* jwk, const std::string& kid) : jwk_(jwk) {
    cjose_err err;
    if (jwk_ == nullptr) throw std::runtime_error("cjose could not make a key");
    cjose_jwk_set_kid(jwk_, kid.data(), kid.size(), &err);
  }
  cjose_jwk_t* jwk_;
};

// A JWKS endpoint on 127.0.0.1 whose key set the test changes, counting how often it is read.
class KeyServer {
 public:
  KeyServer() {
    server_.Get("/jwks", [this](const httplib::Request&, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      ++reads_;
      response.set_content(keys_.dump(), "application/json");
    });
    // An issuer that offers the device authorization grant (RFC 8628), for `infrashare login`:
    // the first poll of the token endpoint is "pending", the next one has the token (or the
    // refusal) the test set.
    server_.Get("/.well-known/openid-configuration",
                [this](const httplib::Request&, httplib::Response& response) {
                  response.set_content(json({{"issuer", Base()},
                                             {"device_authorization_endpoint", Base() + "/device"},
                                             {"token_endpoint", Base() + "/token"},
                                             {"jwks_uri", Url()}})
                                           .dump(),
                                       "application/json");
                });
    server_.Post("/device", [this](const httplib::Request& request, httplib::Response& response) {
      if (request.get_param_value("client_id") != "infrashare-cli") {
        response.status = 400;
        response.set_content(R"({"error":"invalid_client"})", "application/json");
        return;
      }
      std::lock_guard lock(mutex_);
      polls_ = 0;
      response.set_content(json({{"device_code", "dc-8f3a"},
                                 {"user_code", "WDKH-7Q3P"},
                                 {"verification_uri", Base() + "/activate"},
                                 {"interval", 1},
                                 {"expires_in", 60}})
                               .dump(),
                           "application/json");
    });
    server_.Post("/token", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      if (request.get_param_value("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" ||
          request.get_param_value("device_code") != "dc-8f3a") {
        response.status = 400;
        response.set_content(R"({"error":"invalid_grant"})", "application/json");
        return;
      }
      if (polls_++ == 0 || grant_.empty()) {
        response.status = 400;
        response.set_content(
            json({{"error", grant_.empty() ? "access_denied" : "authorization_pending"}}).dump(),
            "application/json");
        return;
      }
      response.set_content(
          json({{"access_token", grant_}, {"token_type", "Bearer"}, {"expires_in", 600}}).dump(),
          "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~KeyServer() {
    server_.stop();
    thread_.join();
  }
  void Publish(const std::vector<const Key*>& keys) {
    json set = {{"keys", json::array()}};
    for (const Key* key : keys) set["keys"].push_back(key->Public());
    std::lock_guard lock(mutex_);
    keys_ = set;
  }
  int reads() {
    std::lock_guard lock(mutex_);
    return reads_;
  }
  std::string Base() const { return absl::StrCat("http://127.0.0.1:", port_); }
  std::string Url() const { return Base() + "/jwks"; }
  // The access token the device grant hands out; "": the person refuses.
  void Grant(const std::string& token) {
    std::lock_guard lock(mutex_);
    grant_ = token;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  json keys_ = {{"keys", json::array()}};
  int reads_ = 0;
  int polls_ = 0;
  std::string grant_;
};

// A key server that takes connections and never answers, counting them.
class HangingServer {
 public:
  HangingServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || listen(fd_, 64) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
      throw std::runtime_error("the hanging server cannot listen");
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        const int client = accept(fd_, nullptr, nullptr);
        if (client < 0) return;
        std::lock_guard lock(mutex_);
        clients_.push_back(client);  // held open, never answered
      }
    });
  }
  ~HangingServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (int client : clients_) close(client);
  }
  int accepted() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(clients_.size());
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/jwks"); }

 private:
  int fd_ = -1, port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<int> clients_;
};

constexpr char kHanging[] = "https://hangs.test.example";

std::string TempFile(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    absl::StrCat("infrashare-oidc-", getpid(), "-", name);
  std::ofstream(path) << text;
  return path.string();
}

int64_t Now() { return NowMs() / 1000; }

class OidcTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new Key(Key::Rsa("rsa-2026"));
    ec_ = new Key(Key::Ec("ec-broker"));
    keys_ = new KeyServer();
    hanging_ = new HangingServer();
    keys_->Publish({rsa_});
    const std::string broker_keys =
        TempFile("broker.json", json({{"keys", {ec_->Public()}}}).dump());
    const std::string issuers = absl::StrCat(R"(issuers:
  - issuer: )",
                                             kIssuer, R"(
    audience: )",
                                             kAudience, R"(
    jwks_uri: )",
                                             keys_->Url(), R"(
    jwks_min_refresh_s: 0
    leeway_s: 30
    algorithms: [RS256]
    rules:
      - when:
          schac_home_organization: windesheim.nl
          eduperson_entitlement: "urn:mace:surf.nl:infrashare:beheer"
        organization_id: windesheim
        roles: [ORGANIZATION_ADMIN]
      - when: {schac_home_organization: windesheim.nl}
        organization_id: windesheim
        roles: [MEMBER]
      - when: {schac_home_organization: opgeheven.nl}
        organization_id: opgeheven
        roles: [MEMBER]
  - issuer: )",
                                             keys_->Base(), R"(
    audience: )",
                                             kAudience, R"(
    jwks_uri: )",
                                             keys_->Url(), R"(
    algorithms: [RS256]
    rules:
      - when: {schac_home_organization: windesheim.nl}
        organization_id: windesheim
        roles: [MEMBER]
  - issuer: )",
                                             kHanging, R"(
    audience: )",
                                             kAudience, R"(
    jwks_uri: )",
                                             hanging_->Url(), R"(
    algorithms: [RS256]
    rules:
      - when: {schac_home_organization: windesheim.nl}
        organization_id: windesheim
        roles: [MEMBER]
  - issuer: )",
                                             kBroker, R"(
    audience: )",
                                             kAudience, R"(
    jwks_file: )",
                                             broker_keys, R"(
    algorithms: [ES256]
    rules:
      - when:
          "urn:etoegang:1.9:EntityConcernedID:KvKnr": "12345678"
        organization_id: lasbedrijf-hengelo
        roles: [MEMBER]
        services: [registry, scheduler]
)");
    redis_ = new RedisServer(ClusterModeRequested());
    Config config = TestServer::DefaultConfig();
    config.auth.oidc_file = TempFile("issuers.yaml", issuers);
    server_ = new TestServer(redis_->url(), config);
    for (const auto& [id, name] : std::vector<std::pair<std::string, std::string>>{
             {"windesheim", "Hogeschool Windesheim"},
             {"lasbedrijf-hengelo", "Lasbedrijf Hengelo"}}) {
      reg::CreateOrganizationRequest request;
      request.set_organization_id(id);
      request.mutable_organization()->set_display_name(name);
      request.mutable_organization()->set_kind(
          reg::ORGANIZATION_KIND_UNIVERSITY_OF_APPLIED_SCIENCES);
      reg::Organization made;
      auto status = server_->Registry()->CreateOrganization(TestServer::Context(kAdminToken).get(),
                                                            request, &made);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete redis_;
    delete keys_;
    delete hanging_;
    delete ec_;
    delete rsa_;
  }

  // What a SURFconext access token of a Windesheim employee holds.
  static json Staff(const std::string& entitlement = "urn:mace:surf.nl:infrashare:beheer") {
    const int64_t now = Now();
    return {{"iss", kIssuer},
            {"sub", "8d2e1c0a-docent"},
            {"aud", kAudience},
            {"iat", now},
            {"nbf", now},
            {"exp", now + 600},
            {"schac_home_organization", "windesheim.nl"},
            {"eduperson_entitlement", {"urn:mace:surf.nl:other", entitlement}}};
  }

  static grpc::Status WhoAmI(const std::string& token, auth::v1::TokenInfo* out) {
    auto stub = auth::v1::TokenService::NewStub(server_->channel());
    return stub->WhoAmI(TestServer::Context(token).get(), auth::v1::WhoAmIRequest(), out);
  }

  // The call's status code and reason.
  static std::pair<grpc::StatusCode, std::string> Refusal(const std::string& token) {
    auth::v1::TokenInfo info;
    const grpc::Status status = WhoAmI(token, &info);
    return {status.error_code(), Reason(status)};
  }

  static inline Key* rsa_ = nullptr;
  static inline Key* ec_ = nullptr;
  static inline KeyServer* keys_ = nullptr;
  static inline HangingServer* hanging_ = nullptr;
  static inline RedisServer* redis_ = nullptr;
  static inline TestServer* server_ = nullptr;
};

using Code = grpc::StatusCode;

TEST_F(OidcTest, AValidTokenStandsForTheOrganisationAndRolesItsClaimsMapTo) {
  auth::v1::TokenInfo info;
  grpc::Status status = WhoAmI(rsa_->Sign("RS256", Staff(), "rsa-2026"), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.organization_id(), "windesheim");
  ASSERT_EQ(info.roles_size(), 1);
  EXPECT_EQ(info.roles(0), auth::v1::ROLE_ORGANIZATION_ADMIN);
  // A pseudonym: neither the subject nor the issuer in the id the audit log keeps.
  EXPECT_TRUE(absl::StartsWith(info.id(), "oidc:")) << info.id();
  EXPECT_FALSE(absl::StrContains(info.id(), "docent"));

  // The first rule whose claims all hold: without the entitlement, a member.
  status = WhoAmI(rsa_->Sign("RS256", Staff("urn:mace:surf.nl:else"), "rsa-2026"), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(info.roles_size(), 1);
  EXPECT_EQ(info.roles(0), auth::v1::ROLE_MEMBER);

  // An audience list that holds ours; an expiry just past, within the leeway.
  json claims = Staff();
  claims["aud"] = {"portal", kAudience};
  claims["exp"] = Now() - 10;
  status = WhoAmI(rsa_->Sign("RS256", claims, "rsa-2026"), &info);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // The member may read and write what its organisation's members may: here, read the registry.
  auto registry = reg::RegistryService::NewStub(server_->channel());
  reg::GetOrganizationRequest get;
  get.set_id("windesheim");
  reg::Organization org;
  status = registry->GetOrganization(
      TestServer::Context(rsa_->Sign("RS256", Staff(), "rsa-2026")).get(), get, &org);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(org.display_name(), "Hogeschool Windesheim");
}

TEST_F(OidcTest, AnES256TokenOfABrokerWithKeysInAFileIsScopedToItsServices) {
  const int64_t now = Now();
  const json claims = {{"iss", kBroker},
                       {"sub", "medewerker-42"},
                       {"aud", kAudience},
                       {"exp", now + 300},
                       {"urn:etoegang:1.9:EntityConcernedID:KvKnr", "12345678"}};
  const std::string token = ec_->Sign("ES256", claims, "ec-broker");
  auth::v1::TokenInfo info;
  grpc::Status status = WhoAmI(token, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.organization_id(), "lasbedrijf-hengelo");
  EXPECT_EQ(std::vector<std::string>(info.services().begin(), info.services().end()),
            (std::vector<std::string>{"registry", "scheduler"}));
  // Scoped to registry and scheduler: the token service is not for it.
  auth::v1::ListTokensResponse tokens;
  status =
      auth::v1::TokenService::NewStub(server_->channel())
          ->ListTokens(TestServer::Context(token).get(), auth::v1::ListTokensRequest(), &tokens);
  EXPECT_EQ(status.error_code(), Code::PERMISSION_DENIED) << status.error_message();
  auto registry = reg::RegistryService::NewStub(server_->channel());
  reg::GetOrganizationRequest get;
  get.set_id("lasbedrijf-hengelo");
  reg::Organization org;
  status = registry->GetOrganization(TestServer::Context(token).get(), get, &org);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(org.display_name(), "Lasbedrijf Hengelo");
  // The broker's issuer takes ES256 only: an RS256 token in its name is refused.
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", claims, "rsa-2026")).first, Code::UNAUTHENTICATED);
}

TEST_F(OidcTest, TokensThatAreNotValidAreRefusedWithTheirReason) {
  const int64_t now = Now();
  json expired = Staff();
  expired["exp"] = now - 120;
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", expired, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_EXPIRED")));
  json no_expiry = Staff();
  no_expiry.erase("exp");
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", no_expiry, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_MALFORMED")));
  json early = Staff();
  early["nbf"] = now + 600;
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", early, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_NOT_YET_VALID")));
  json other_api = Staff();
  other_api["aud"] = "another-api";
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", other_api, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_AUDIENCE_WRONG")));
  json other_issuer = Staff();
  other_issuer["iss"] = "https://login.evil.example";
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", other_issuer, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_ISSUER_UNKNOWN")));
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", Staff(), "rsa-unknown")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_KEY_UNKNOWN")));
  json elsewhere = Staff();
  elsewhere["schac_home_organization"] = "saxion.nl";
  auth::v1::TokenInfo info;
  const grpc::Status unmapped = WhoAmI(rsa_->Sign("RS256", elsewhere, "rsa-2026"), &info);
  EXPECT_EQ(unmapped.error_code(), Code::UNAUTHENTICATED);
  EXPECT_EQ(Reason(unmapped), "TOKEN_UNMAPPED");
  EXPECT_TRUE(absl::StrContains(unmapped.error_message(), "schac_home_organization"))
      << unmapped.error_message();
  // A rule that names an organisation the registry does not hold maps to nobody.
  json gone = Staff();
  gone["schac_home_organization"] = "opgeheven.nl";
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", gone, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_UNMAPPED")));
  // No subject, a lifetime past the issuer's limit, a date as text.
  json nobody = Staff();
  nobody.erase("sub");
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", nobody, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_MALFORMED")));
  json forever = Staff();
  forever["exp"] = now + 100LL * 365 * 86400;
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", forever, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_MALFORMED")));
  json text_date = Staff();
  text_date["nbf"] = "2999-01-01";
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", text_date, "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_MALFORMED")));
  // Claims of the wrong type are refused, not a crash.
  json odd = Staff();
  odd["sub"] = json::array({1, 2});
  odd["exp"] = "morgen";
  EXPECT_EQ(Refusal(rsa_->Sign("RS256", odd, "rsa-2026")).first, Code::UNAUTHENTICATED);
}

TEST_F(OidcTest, ForgedAndTamperedTokensAreRefused) {
  const std::string valid = rsa_->Sign("RS256", Staff(), "rsa-2026");
  const std::vector<std::string> parts = absl::StrSplit(valid, '.');
  ASSERT_EQ(parts.size(), 3u);
  // Another payload under the same signature.
  json raised = Staff();
  raised["sub"] = "iemand-anders";
  std::string payload;
  absl::WebSafeBase64Escape(raised.dump(), &payload);
  EXPECT_EQ(Refusal(absl::StrCat(parts[0], ".", payload, ".", parts[2])),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_SIGNATURE_INVALID")));
  // Signed by an attacker's own key that claims the issuer's kid.
  const Key attacker = Key::Rsa("rsa-2026");
  EXPECT_EQ(Refusal(attacker.Sign("RS256", Staff(), "rsa-2026")),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_SIGNATURE_INVALID")));
  // HS256 with the issuer's public key as the secret, and no signature at all ("none").
  const Key oct = Key::Oct(rsa_->Public().dump(), "rsa-2026");
  EXPECT_EQ(Refusal(oct.Sign("HS256", Staff(), "rsa-2026")).first, Code::UNAUTHENTICATED);
  std::string none_header;
  absl::WebSafeBase64Escape(R"({"alg":"none","kid":"rsa-2026"})", &none_header);
  EXPECT_EQ(Refusal(absl::StrCat(none_header, ".", parts[1], ".")).first, Code::UNAUTHENTICATED);
  EXPECT_EQ(Refusal(absl::StrCat(none_header, ".", parts[1], ".", parts[2])).first,
            Code::UNAUTHENTICATED);
  // Too long for a token (gRPC's own limit on headers refuses it first), and garbage of a JWT's
  // shape. On a channel of its own: gRPC may close a connection that sent too large a header.
  EXPECT_EQ(Refusal(std::string(7000, 'a') + ".b.c").first, Code::UNAUTHENTICATED);
  grpc::ChannelArguments separate;  // its own connection, not one shared with the test's channel
  separate.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto own = auth::v1::TokenService::NewStub(
      grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(), separate));
  auth::v1::TokenInfo ignored;
  const Code too_long = own->WhoAmI(TestServer::Context(std::string(9000, 'a') + ".b.c").get(),
                                    auth::v1::WhoAmIRequest(), &ignored)
                            .error_code();
  EXPECT_TRUE(too_long == Code::UNAUTHENTICATED || too_long == Code::RESOURCE_EXHAUSTED)
      << too_long;
  EXPECT_EQ(Refusal("aGFsbG8.d2VyZWxk.eA").first, Code::UNAUTHENTICATED);
  // Tokens of infrashare's own still work beside them.
  auth::v1::TokenInfo info;
  EXPECT_TRUE(WhoAmI(kAdminToken, &info).ok());
}

TEST_F(OidcTest, ARotatedKeyIsReadWhenATokenNamesIt) {
  // Counted from here: the read the first refusal asks for may come before or after the next key
  // is published.
  const int before = keys_->reads();
  const Key next = Key::Rsa("rsa-2027");
  const std::string token = next.Sign("RS256", Staff(), "rsa-2027");
  EXPECT_EQ(Refusal(token),
            std::make_pair(Code::UNAUTHENTICATED, std::string("TOKEN_KEY_UNKNOWN")));
  // The issuer publishes its next key beside the current one. An unknown kid has the keys read
  // again in the background (never while the call waits): refused at first, taken once they are.
  keys_->Publish({rsa_, &next});
  json claims = Staff();
  claims["jti"] = "na-rotatie";
  const std::string rotated = next.Sign("RS256", claims, "rsa-2027");
  auth::v1::TokenInfo info;
  grpc::Status status;
  for (int attempt = 0; attempt < 200; ++attempt) {
    status = WhoAmI(rotated, &info);
    if (status.ok()) break;
    EXPECT_EQ(Reason(status), "TOKEN_KEY_UNKNOWN") << status.error_message();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.organization_id(), "windesheim");
  EXPECT_GT(keys_->reads(), before);
  // Tokens of the current key still verify.
  EXPECT_TRUE(WhoAmI(rsa_->Sign("RS256", claims, "rsa-2026"), &info).ok());
}

// A key server that takes connections and never answers: calls with tokens of its issuer are
// refused at once (the keys are read in the background, never while a call waits), however many
// come, and other callers are not held up.
TEST_F(OidcTest, AnIssuerWhoseKeyServerHangsHoldsUpNoCall) {
  std::vector<std::thread> calls;
  std::atomic<int> unavailable{0};
  for (int i = 0; i < 24; ++i)
    calls.emplace_back([&, i] {
      json claims = Staff();
      claims["iss"] = kHanging;
      claims["jti"] = std::to_string(i);
      if (Refusal(rsa_->Sign("RS256", claims, "rsa-2026")).first == Code::UNAVAILABLE)
        ++unavailable;
    });
  for (auto& call : calls) call.join();
  EXPECT_EQ(unavailable.load(), 24);
  auth::v1::TokenInfo info;
  EXPECT_TRUE(WhoAmI(kAdminToken, &info).ok());
  // Read at start and perhaps once more in the background: not once per call.
  EXPECT_LE(hanging_->accepted(), 3);
}

// What the issuers file may not say is refused when the server starts, naming the entry.
TEST(OidcIssuersFile, MistakesAreRefusedNamingTheEntry) {
  const std::string head =
      "issuers:\n  - issuer: https://login.example\n    audience: api\n"
      "    jwks_uri: https://login.example/keys\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    rules:\n      - when: {a: b}\n        organization_id: o\n        roles: "
       "[PLATFORM_ADMIN]\n",
       "PLATFORM_ADMIN"},
      {"    rules:\n      - when: {a: b}\n        organization_id: platform\n        roles: "
       "[MEMBER]\n",
       "platform"},
      {"    rules:\n      - when: {a: b}\n        organization_id: o\n        roles: "
       "[NETWORK_COORDINATOR]\n",
       "network_ids"},
      {"    rules:\n      - when: {a: b}\n        organization_id: o\n        roles: [MEMBER]\n"
       "        services: [registy]\n",
       "registy"},
      {"    rules:\n      - when: {a: b}\n        organization_id: o\n        roles: [MEMBER]\n"
       "        services: []\n",
       "services"},
      {"    rules:\n      - when: {a: b}\n        organization_id: o\n        roles: [MEMBER]\n"
       "        roles: [ORGANIZATION_ADMIN]\n",
       "twice"},
      {"    rules:\n      - when: {}\n        organization_id: o\n        roles: [MEMBER]\n",
       "when"},
      {"    leeway_s: 9999\n    rules:\n      - when: {a: b}\n        organization_id: o\n"
       "        roles: [MEMBER]\n",
       "leeway_s"},
  };
  for (const auto& [rest, word] : cases) {
    auto loaded = LoadOidcIssuers(TempFile("bad.yaml", head + rest));
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << rest;
    EXPECT_TRUE(absl::StrContains(loaded.status().message(), word)) << loaded.status();
    EXPECT_TRUE(absl::StrContains(loaded.status().message(), "issuers[0]")) << loaded.status();
  }
  auto list_audience = LoadOidcIssuers(
      TempFile("bad.yaml",
               "issuers:\n  - issuer: https://login.example\n    audience: [a, b]\n"
               "    jwks_uri: https://login.example/keys\n    rules:\n      - when: {a: b}\n"
               "        organization_id: o\n        roles: [MEMBER]\n"));
  EXPECT_TRUE(absl::StrContains(list_audience.status().message(), "audience"))
      << list_audience.status();
  auto no_host =
      LoadOidcIssuers(TempFile("bad.yaml",
                               "issuers:\n  - issuer: https://login.example\n    audience: api\n"
                               "    jwks_uri: 'https://'\n    rules:\n      - when: {a: b}\n"
                               "        organization_id: o\n        roles: [MEMBER]\n"));
  EXPECT_TRUE(absl::StrContains(no_host.status().message(), "jwks_uri")) << no_host.status();
  // A key file without a key to verify with.
  auto empty = LoadOidcIssuers(
      TempFile("empty.yaml",
               "issuers:\n  - issuer: https://login.example\n    audience: api\n"
               "    jwks_file: " +
                   TempFile("empty.json", R"({"keys": []})") +
                   "\n    rules:\n      - when: {a: b}\n        organization_id: o\n"
                   "        roles: [MEMBER]\n"));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_FALSE(OidcVerifier::Create(std::move(*empty)).ok());
}

// `infrashare login` gets an access token through the device authorization grant, keeps it in a
// file only its owner reads, and later commands call with it; a refusal at the issuer is said.
TEST_F(OidcTest, TheCliLogsInWithTheDeviceGrantAndCallsWithTheTokenItKept) {
  json claims = Staff();
  claims["iss"] = keys_->Base();
  keys_->Grant(rsa_->Sign("RS256", claims, "rsa-2026"));
  const std::string file = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                        "/infrashare-oidc-", getpid(), "-login/token");
  auto cli = [&](const std::string& args) {
    const std::string command =
        absl::StrCat("env -u INFRASHARE_TOKEN INFRASHARE_TOKEN_FILE='", file, "' ",
                     INFRASHARE_CLI_BIN, " --server ", server_->address(), " ", args, " 2>&1");
    FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
    const int status = pclose(pipe);
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
  };
  // A link standing where the token goes is replaced, not written through.
  std::filesystem::create_directories(std::filesystem::path(file).parent_path());
  const std::string elsewhere = TempFile("elsewhere", "niet overschrijven\n");
  std::filesystem::create_symlink(elsewhere, file);
  auto [code, out] = cli("login --issuer " + keys_->Base() + " --client-id infrashare-cli");
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "WDKH-7Q3P")) << out;
  EXPECT_TRUE(absl::StrContains(out, keys_->Base() + "/activate")) << out;
  struct stat kept {};
  ASSERT_EQ(lstat(file.c_str(), &kept), 0);
  EXPECT_EQ(kept.st_mode & 0777, 0600u);
  EXPECT_TRUE(S_ISREG(kept.st_mode));
  std::ifstream untouched(elsewhere);
  std::string line;
  std::getline(untouched, line);
  EXPECT_EQ(line, "niet overschrijven");
  std::tie(code, out) = cli("-o json token whoami");
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(json::parse(out).value("organization_id", ""), "windesheim") << out;

  // Refused at the issuer: said, and the kept token is left as it was.
  keys_->Grant("");
  std::tie(code, out) = cli("login --issuer " + keys_->Base() + " --client-id infrashare-cli");
  EXPECT_NE(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "refused")) << out;
  // Not over plain HTTP to another machine, and not for a client the issuer does not know.
  std::tie(code, out) = cli("login --issuer http://login.example.org --client-id infrashare-cli");
  EXPECT_NE(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "https://")) << out;
  std::tie(code, out) = cli("login --issuer " + keys_->Base() + " --client-id onbekend");
  EXPECT_NE(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "invalid_client")) << out;

  std::tie(code, out) = cli("logout");
  EXPECT_EQ(code, 0) << out;
  EXPECT_FALSE(std::filesystem::exists(file));
  std::tie(code, out) = cli("token whoami");
  EXPECT_NE(code, 0) << out;
  std::filesystem::remove_all(std::filesystem::path(file).parent_path());
}

}  // namespace
}  // namespace infrashare::testing
