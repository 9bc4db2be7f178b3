// The cost of taking an OpenID Connect access token (issue #17), in process: OidcVerifier::Verify
// of distinct tokens with the issuer's keys already read (signature, claims, rules), for RS256
// (2048-bit) and ES256, and TokenAuthority::Resolve of one token again (its cache). Keys are the
// bench's own (cjose), published in a JWKS file.
//   oidc_bench [tokens]
#include <cjose/cjose.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/auth.h"
#include "services/common/clock.h"
#include "services/common/oidc.h"

namespace {

using json = nlohmann::json;
using infrashare::OidcIssuer;
using infrashare::OidcRule;
using infrashare::OidcVerifier;

cjose_jwk_t* MakeKey(bool rsa, const std::string& kid) {
  cjose_err err;
  static const uint8_t kExponent[] = {0x01, 0x00, 0x01};
  cjose_jwk_t* key = rsa ? cjose_jwk_create_RSA_random(2048, kExponent, 3, &err)
                         : cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
  cjose_jwk_set_kid(key, kid.data(), kid.size(), &err);
  return key;
}

std::string Sign(cjose_jwk_t* key, const char* alg, const char* kid, const json& claims) {
  cjose_err err;
  cjose_header_t* header = cjose_header_new(&err);
  cjose_header_set(header, CJOSE_HDR_ALG, alg, &err);
  cjose_header_set(header, CJOSE_HDR_KID, kid, &err);
  const std::string payload = claims.dump();
  cjose_jws_t* jws = cjose_jws_sign(key, header, reinterpret_cast<const uint8_t*>(payload.data()),
                                    payload.size(), &err);
  const char* compact = nullptr;
  cjose_jws_export(jws, &compact, &err);
  std::string out = compact;
  cjose_jws_release(jws);
  cjose_header_release(header);
  return out;
}

// Answers for a TokenAuthority that only checks an organisation exists.
class NoStore final : public infrashare::TokenStore {
 public:
  absl::StatusOr<std::optional<infrashare::auth::v1::TokenInfo>> ByHash(
      absl::string_view) override {
    return std::nullopt;
  }
  absl::StatusOr<std::optional<infrashare::StoredToken>> ById(absl::string_view) override {
    return std::nullopt;
  }
  absl::StatusOr<infrashare::auth::v1::CreateTokenResponse> Insert(
      const infrashare::StoredToken&, const infrashare::auth::v1::CreateTokenResponse& r,
      absl::string_view, int) override {
    return r;
  }
  absl::Status Rewrite(const infrashare::StoredToken&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<std::string>> Ids(absl::string_view, absl::string_view, int) override {
    return std::vector<std::string>();
  }
  absl::Status Revoke(absl::string_view, absl::string_view) override { return absl::OkStatus(); }
  absl::Status RevokeOrganization(absl::string_view) override { return absl::OkStatus(); }
  absl::StatusOr<bool> WasRevoked(absl::string_view) override { return false; }
  absl::StatusOr<bool> OrganizationExists(absl::string_view) override { return true; }
  absl::StatusOr<bool> NetworkExists(absl::string_view) override { return true; }
  std::string ReplayKey(absl::string_view, absl::string_view) const override { return ""; }
};

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 2000;
  cjose_jwk_t* rsa = MakeKey(true, "rsa-1");
  cjose_jwk_t* ec = MakeKey(false, "ec-1");
  json keys = {{"keys", json::array()}};
  for (cjose_jwk_t* key : {rsa, ec}) {
    cjose_err err;
    char* text = cjose_jwk_to_json(key, false, &err);
    keys["keys"].push_back(json::parse(text));
    free(text);
  }
  const auto file = std::filesystem::temp_directory_path() / "infrashare-oidc-bench-keys.json";
  std::ofstream(file) << keys.dump();
  OidcIssuer issuer;
  issuer.issuer = "https://login.example";
  issuer.audience = "infrashare-api";
  issuer.jwks_file = file.string();
  OidcRule rule;
  rule.when = {{"schac_home_organization", "windesheim.nl"}};
  rule.organization_id = "windesheim";
  rule.roles = {infrashare::auth::v1::ROLE_MEMBER};
  issuer.rules = {rule};
  auto verifier = OidcVerifier::Create({issuer});
  if (!verifier.ok()) {
    std::fprintf(stderr, "%s\n", std::string(verifier.status().message()).c_str());
    return 1;
  }
  std::printf("OIDC access tokens, %d distinct tokens per algorithm, keys read (one thread):\n",
              count);
  const int64_t now = infrashare::NowMs() / 1000;
  for (const auto& [alg, key, kid] : {std::tuple{"RS256", rsa, "rsa-1"}, {"ES256", ec, "ec-1"}}) {
    std::vector<std::string> tokens;
    for (int i = 0; i < count; ++i)
      tokens.push_back(Sign(key, alg, kid,
                            {{"iss", issuer.issuer},
                             {"sub", absl::StrCat("user-", i)},
                             {"aud", issuer.audience},
                             {"exp", now + 3600},
                             {"schac_home_organization", "windesheim.nl"}}));
    const auto start = std::chrono::steady_clock::now();
    int ok = 0;
    for (const auto& token : tokens) ok += (*verifier)->Verify(token).ok() ? 1 : 0;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("  Verify %s: %d of %d valid, %.1f us per token, %.0f tokens/s\n", alg, ok, count,
                s / count * 1e6, count / s);
    if (ok != count) return 1;
  }
  NoStore store;
  infrashare::AuthConfig config;
  config.cache_ttl_ms = 60000;
  infrashare::TokenAuthority authority(&store, config, verifier->get());
  const std::string token = Sign(rsa, "RS256", "rsa-1",
                                 {{"iss", issuer.issuer},
                                  {"sub", "again"},
                                  {"aud", issuer.audience},
                                  {"exp", now + 3600},
                                  {"schac_home_organization", "windesheim.nl"}});
  if (!authority.Resolve(token).ok()) return 1;
  const int again = count * 50;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < again; ++i)
    if (!authority.Resolve(token).ok()) return 1;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  Resolve of a token seen before (cached, RS256): %.2f us per call\n",
              s / again * 1e6);
  cjose_jwk_release(rsa);
  cjose_jwk_release(ec);
  std::filesystem::remove(file);
  return 0;
}
