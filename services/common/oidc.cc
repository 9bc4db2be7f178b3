#include "services/common/oidc.h"

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/curl_transfer.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/url_rules.h"

namespace infrashare {

using json = nlohmann::json;

namespace {

constexpr size_t kMaxToken = 8192;
constexpr size_t kMaxJwks = 1 << 20;

// One verification key of a key set, released with it.
struct Jwk {
  std::string kid;
  std::string kty;  // RSA or EC
  std::string crv;  // an EC key's curve
  cjose_jwk_t* key = nullptr;
};

absl::Status Refused(absl::string_view reason, absl::string_view why) {
  return NotAuthenticated(reason, why);
}

bool IsBase64Url(absl::string_view part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// The algorithm's key type: RS256 an RSA key, ES256 an EC key on P-256.
bool KeyFits(const std::string& alg, const Jwk& key) {
  if (alg == "RS256") return key.kty == "RSA";
  if (alg == "ES256") return key.kty == "EC" && key.crv == "P-256";
  return false;
}

// Whether the claim holds `value`: a text (or number, or true/false) equal to it, or a list with
// such an element.
bool ClaimHolds(const json& claims, const std::string& name, const std::string& value) {
  auto it = claims.find(name);
  if (it == claims.end()) return false;
  auto same = [&value](const json& v) {
    if (v.is_string()) return v.get<std::string>() == value;
    if (v.is_number() || v.is_boolean()) return v.dump() == value;
    return false;
  };
  if (it->is_array()) return std::any_of(it->begin(), it->end(), same);
  return same(*it);
}

// A numeric date claim (seconds since 1970) in ms; nullopt when absent or not a number.
std::optional<int64_t> DateMs(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  const double seconds = it->get<double>();
  if (!(seconds > -1e12 && seconds < 1e12)) return std::nullopt;
  return static_cast<int64_t>(seconds * 1000);
}

size_t Collect(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * count > kMaxJwks) return 0;  // too large: the transfer fails
  body->append(data, size * count);
  return size * count;
}

// A text member of a JSON object; "" when absent or not a text.
std::string Text(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Where(size_t index, const std::string& issuer) {
  return absl::StrCat("issuers[", index, "]",
                      issuer.empty() ? "" : absl::StrCat(" (", issuer, ")"));
}

std::vector<std::string> Strings(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsSequence())
    for (const auto& item : node) out.push_back(item.as<std::string>());
  else if (node.IsScalar())
    out.push_back(node.as<std::string>());
  return out;
}

absl::StatusOr<OidcIssuer> IssuerOf(const YAML::Node& node, size_t index) {
  static const std::vector<std::string> kKeys = {"issuer",   "audience",       "jwks_file",
                                                 "jwks_uri", "jwks_refresh_s", "jwks_min_refresh_s",
                                                 "leeway_s", "algorithms",     "rules"};
  OidcIssuer issuer;
  if (!node.IsMap())
    return absl::InvalidArgumentError(absl::StrCat(Where(index, ""), " is not a map"));
  if (node["issuer"]) issuer.issuer = node["issuer"].as<std::string>();
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(Where(index, issuer.issuer), ": ", why));
  };
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
      return bad(absl::StrCat("unknown key '", key, "'"));
  }
  if (issuer.issuer.empty()) return bad("'issuer' is required");
  if (node["audience"]) issuer.audience = node["audience"].as<std::string>();
  if (issuer.audience.empty()) return bad("'audience' is required (the API's client id)");
  if (node["jwks_file"]) issuer.jwks_file = node["jwks_file"].as<std::string>();
  if (node["jwks_uri"]) issuer.jwks_uri = node["jwks_uri"].as<std::string>();
  if (issuer.jwks_file.empty() == issuer.jwks_uri.empty())
    return bad("exactly one of 'jwks_file' and 'jwks_uri' is required");
  if (!issuer.jwks_uri.empty() && !absl::StartsWith(issuer.jwks_uri, "https://") &&
      !IsLoopbackHttpUrl(issuer.jwks_uri))
    return bad("'jwks_uri' must be https:// (http:// only to a loopback host)");
  auto seconds = [&](const char* key, int* target, int min, int max) -> absl::Status {
    if (!node[key]) return absl::OkStatus();
    if (!YAML::convert<int>::decode(node[key], *target) || *target < min || *target > max)
      return bad(absl::StrCat("'", key, "' must be a whole number from ", min, " to ", max));
    return absl::OkStatus();
  };
  for (auto status : {seconds("jwks_refresh_s", &issuer.jwks_refresh_s, 60, 7 * 86400),
                      seconds("jwks_min_refresh_s", &issuer.jwks_min_refresh_s, 0, 86400),
                      seconds("leeway_s", &issuer.leeway_s, 0, 600)})
    if (!status.ok()) return status;
  if (node["algorithms"]) issuer.algorithms = Strings(node["algorithms"]);
  if (issuer.algorithms.empty()) return bad("'algorithms' must name RS256, ES256 or both");
  for (const auto& alg : issuer.algorithms)
    if (alg != "RS256" && alg != "ES256")
      return bad(absl::StrCat("algorithm '", alg, "' is not taken (RS256, ES256)"));
  if (!node["rules"] || !node["rules"].IsSequence() || node["rules"].size() == 0)
    return bad("'rules' must list at least one claim rule");
  size_t r = 0;
  for (const auto& rule_node : node["rules"]) {
    auto bad_rule = [&](const std::string& why) {
      return bad(absl::StrCat("rules[", r, "]: ", why));
    };
    if (!rule_node.IsMap()) return bad_rule("is not a map");
    OidcRule rule;
    for (const auto& kv : rule_node) {
      const std::string key = kv.first.as<std::string>();
      if (key == "when") {
        if (!kv.second.IsMap()) return bad_rule("'when' must map claims to values");
        for (const auto& claim : kv.second) {
          if (!claim.second.IsScalar())
            return bad_rule(
                absl::StrCat("'when.", claim.first.as<std::string>(), "' must be one value"));
          rule.when[claim.first.as<std::string>()] = claim.second.as<std::string>();
        }
      } else if (key == "organization_id") {
        rule.organization_id = kv.second.as<std::string>();
      } else if (key == "roles") {
        for (const auto& name : Strings(kv.second)) {
          Role role = auth::v1::ROLE_UNSPECIFIED;
          const std::string full =
              absl::StartsWith(name, "ROLE_") ? name : absl::StrCat("ROLE_", name);
          if (!auth::v1::Role_Parse(full, &role) || role == auth::v1::ROLE_UNSPECIFIED)
            return bad_rule(absl::StrCat("unknown role '", name, "'"));
          rule.roles.push_back(role);
        }
      } else if (key == "network_ids") {
        rule.network_ids = Strings(kv.second);
      } else if (key == "services") {
        rule.services = Strings(kv.second);
      } else {
        return bad_rule(absl::StrCat("unknown key '", key, "'"));
      }
    }
    if (rule.when.empty())
      return bad_rule("'when' must name at least one claim (a rule for every token is a mistake)");
    if (rule.organization_id.empty()) return bad_rule("'organization_id' is required");
    if (rule.roles.empty()) return bad_rule("'roles' must name at least one role");
    issuer.rules.push_back(std::move(rule));
    ++r;
  }
  return issuer;
}

}  // namespace

struct OidcVerifier::KeySet {
  std::vector<Jwk> keys;
  int64_t read_ms = 0;  // when read or fetched (wall clock)
  ~KeySet() {
    for (auto& key : keys) cjose_jwk_release(key.key);
  }
};

struct OidcVerifier::Issuer {
  OidcIssuer config;
  std::mutex mutex;  // guards the three below
  std::shared_ptr<const KeySet> keys;
  int64_t forced_ms = 0;  // when an unknown kid last made us read the keys again
  bool reading = false;   // a reading is under way (one at a time)
};

bool LooksLikeJwt(absl::string_view token) {
  if (token.size() > kMaxToken) return false;
  const size_t first = token.find('.');
  if (first == absl::string_view::npos) return false;
  const size_t second = token.find('.', first + 1);
  if (second == absl::string_view::npos || token.find('.', second + 1) != absl::string_view::npos)
    return false;
  return IsBase64Url(token.substr(0, first)) &&
         IsBase64Url(token.substr(first + 1, second - first - 1)) &&
         IsBase64Url(token.substr(second + 1));
}

absl::StatusOr<std::vector<OidcIssuer>> LoadOidcIssuers(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("OIDC issuers file ", path, ": ", e.what()));
  }
  auto where = [&path](const absl::Status& status) {
    return absl::InvalidArgumentError(
        absl::StrCat("OIDC issuers file ", path, ": ", status.message()));
  };
  if (!root.IsMap() || !root["issuers"] || !root["issuers"].IsSequence())
    return where(absl::InvalidArgumentError("must hold 'issuers:', a list"));
  for (const auto& kv : root)
    if (kv.first.as<std::string>() != "issuers")
      return where(absl::InvalidArgumentError(
          absl::StrCat("unknown key '", kv.first.as<std::string>(), "'")));
  std::vector<OidcIssuer> issuers;
  try {
    for (const auto& node : root["issuers"]) {
      auto issuer = IssuerOf(node, issuers.size());
      if (!issuer.ok()) return where(issuer.status());
      for (const auto& other : issuers)
        if (other.issuer == issuer->issuer)
          return where(absl::InvalidArgumentError(
              absl::StrCat("issuer ", issuer->issuer, " is listed twice")));
      issuers.push_back(std::move(*issuer));
    }
  } catch (const YAML::Exception& e) {
    return where(absl::InvalidArgumentError(e.what()));
  }
  return issuers;
}

absl::StatusOr<std::unique_ptr<OidcVerifier>> OidcVerifier::Create(std::vector<OidcIssuer> issuers,
                                                                   std::string ca_file) {
  std::unique_ptr<OidcVerifier> verifier(new OidcVerifier(std::move(ca_file)));
  for (auto& config : issuers) {
    auto issuer = std::make_unique<Issuer>();
    issuer->config = std::move(config);
    if (!issuer->config.jwks_file.empty()) {
      auto keys = verifier->Keys(*issuer, false);
      if (!keys.ok())
        return absl::InvalidArgumentError(
            absl::StrCat("OIDC issuer ", issuer->config.issuer, ": ", keys.status().message()));
    }
    verifier->issuers_.push_back(std::move(issuer));
  }
  return verifier;
}

OidcVerifier::OidcVerifier(std::string ca_file) : ca_file_(std::move(ca_file)) {}

OidcVerifier::~OidcVerifier() = default;

absl::StatusOr<std::string> OidcVerifier::ReadJwks(const OidcIssuer& issuer) const {
  if (!issuer.jwks_file.empty()) {
    std::ifstream in(issuer.jwks_file, std::ios::binary);
    if (!in.good()) return absl::UnavailableError(absl::StrCat("cannot read ", issuer.jwks_file));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  InitCurlOnce();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::UnavailableError("libcurl could not start a transfer");
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, issuer.jwks_uri.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  if (!ca_file_.empty()) curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file_.c_str());
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    const char* common = CommonCurlError(code);
    return absl::UnavailableError(
        absl::StrCat("fetching ", issuer.jwks_uri,
                     " failed: ", common != nullptr ? common : curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    return absl::UnavailableError(
        absl::StrCat("fetching ", issuer.jwks_uri, " answered HTTP ", status));
  return body;
}

absl::StatusOr<std::shared_ptr<const OidcVerifier::KeySet>> OidcVerifier::Keys(Issuer& issuer,
                                                                               bool force) {
  const OidcIssuer& config = issuer.config;
  const int64_t now = NowMs();
  std::shared_ptr<const KeySet> current;
  {
    std::lock_guard lock(issuer.mutex);
    current = issuer.keys;
    if (current) {
      const bool stale = now - current->read_ms >= int64_t{config.jwks_refresh_s} * 1000;
      const bool may_force = now - issuer.forced_ms >= int64_t{config.jwks_min_refresh_s} * 1000;
      // One reading at a time; meanwhile the keys in hand serve.
      if ((!stale && !(force && may_force)) || issuer.reading) return current;
      if (force && may_force) issuer.forced_ms = now;
    }
    issuer.reading = true;
  }
  auto keys = ReadKeySet(config, now);
  std::lock_guard lock(issuer.mutex);
  issuer.reading = false;
  if (!keys.ok()) {
    // Keys that could not be renewed stay in use: an issuer's outage does not lock everyone out.
    if (current) return current;
    return keys.status();
  }
  issuer.keys = *keys;
  return issuer.keys;
}

absl::StatusOr<std::shared_ptr<const OidcVerifier::KeySet>> OidcVerifier::ReadKeySet(
    const OidcIssuer& config, int64_t now) const {
  auto text = ReadJwks(config);
  if (!text.ok()) return text.status();
  json set = json::parse(*text, nullptr, false);
  if (set.is_discarded() || !set.is_object() || !set.contains("keys") || !set["keys"].is_array())
    return absl::UnavailableError("the issuer's key set is not a JWKS ({\"keys\": [...]})");
  auto keys = std::make_shared<KeySet>();
  keys->read_ms = now;
  for (const auto& entry : set["keys"]) {
    if (!entry.is_object()) continue;
    if (entry.contains("use") && entry["use"] != "sig") continue;  // an encryption key
    Jwk key;
    key.kid = Text(entry, "kid");
    key.kty = Text(entry, "kty");
    key.crv = Text(entry, "crv");
    if (key.kty != "RSA" && key.kty != "EC") continue;  // none we verify with
    const std::string jwk = entry.dump();
    cjose_err err;
    key.key = cjose_jwk_import(jwk.data(), jwk.size(), &err);
    if (key.key == nullptr) continue;  // a key cjose cannot read cannot sign anything we take
    keys->keys.push_back(std::move(key));
  }
  return std::shared_ptr<const KeySet>(std::move(keys));
}

absl::StatusOr<ExternalCaller> OidcVerifier::Verify(absl::string_view token) {
  if (!LooksLikeJwt(token))
    return Refused("TOKEN_MALFORMED", "an access token is a JWT of at most 8192 characters");
  cjose_err err;
  std::unique_ptr<cjose_jws_t, decltype(&cjose_jws_release)> jws(
      cjose_jws_import(token.data(), token.size(), &err), &cjose_jws_release);
  if (!jws) return Refused("TOKEN_MALFORMED", "the JWT cannot be read");
  uint8_t* payload = nullptr;
  size_t payload_size = 0;
  if (!cjose_jws_get_plaintext(jws.get(), &payload, &payload_size, &err))
    return Refused("TOKEN_MALFORMED", "the JWT has no payload");
  const json claims = json::parse(std::string(reinterpret_cast<const char*>(payload), payload_size),
                                  nullptr, false);
  if (claims.is_discarded() || !claims.is_object() || !claims.contains("iss") ||
      !claims["iss"].is_string())
    return Refused("TOKEN_MALFORMED", "the JWT's payload is not a JSON object with 'iss'");
  const std::string iss = claims["iss"].get<std::string>();
  Issuer* issuer = nullptr;
  for (auto& candidate : issuers_)
    if (candidate->config.issuer == iss) issuer = candidate.get();
  if (issuer == nullptr)
    return Refused("TOKEN_ISSUER_UNKNOWN",
                   absl::StrCat("tokens of issuer '", iss.substr(0, 200), "' are not taken here"));
  const OidcIssuer& config = issuer->config;

  cjose_header_t* header = cjose_jws_get_protected(jws.get());
  const char* alg_text = cjose_header_get(header, CJOSE_HDR_ALG, &err);
  const char* kid_text = cjose_header_get(header, CJOSE_HDR_KID, &err);
  const std::string alg = alg_text == nullptr ? "" : alg_text;
  const std::string kid = kid_text == nullptr ? "" : kid_text;
  if (std::find(config.algorithms.begin(), config.algorithms.end(), alg) == config.algorithms.end())
    return Refused("TOKEN_MALFORMED",
                   absl::StrCat("the JWT is signed with '", alg.substr(0, 20),
                                "'; this issuer's take ", absl::StrJoin(config.algorithms, ", ")));

  // The key: by kid, or the only fitting one when the token names none. An unknown kid fetches
  // the keys again once (the issuer may have rotated them).
  const Jwk* key = nullptr;
  std::shared_ptr<const KeySet> keys;
  for (bool force : {false, true}) {
    auto set = Keys(*issuer, force);
    if (!set.ok())  // not the token's fault: worth trying again
      return absl::UnavailableError(absl::StrCat("the keys of issuer ", iss,
                                                 " cannot be read now: ", set.status().message()));
    keys = *set;
    int fitting = 0;
    for (const auto& candidate : keys->keys) {
      if (!KeyFits(alg, candidate)) continue;
      if (!kid.empty() ? candidate.kid == kid : ++fitting == 1) key = &candidate;
    }
    if (kid.empty() && fitting > 1) key = nullptr;  // which one is not said
    if (key != nullptr) break;
  }
  if (key == nullptr)
    return Refused(
        "TOKEN_KEY_UNKNOWN",
        kid.empty() ? "the JWT names no key (kid) and the issuer has several"
                    : absl::StrCat("the issuer has no ", alg, " key '", kid.substr(0, 100), "'"));
  if (!cjose_jws_verify(jws.get(), key->key, &err))
    return Refused("TOKEN_SIGNATURE_INVALID", "the JWT's signature does not verify");

  const int64_t now = NowMs();
  const int64_t leeway = int64_t{config.leeway_s} * 1000;
  const auto exp = DateMs(claims, "exp");
  if (!exp) return Refused("TOKEN_MALFORMED", "the JWT has no 'exp'");
  if (now >= *exp + leeway) return Refused("TOKEN_EXPIRED", "the token has expired");
  if (const auto nbf = DateMs(claims, "nbf"); nbf && now + leeway < *nbf)
    return Refused("TOKEN_NOT_YET_VALID", "the token is not valid yet (nbf)");
  if (const auto iat = DateMs(claims, "iat"); iat && now + leeway < *iat)
    return Refused("TOKEN_NOT_YET_VALID", "the token was issued in the future (iat)");
  if (!ClaimHolds(claims, "aud", config.audience))
    return Refused("TOKEN_AUDIENCE_WRONG",
                   absl::StrCat("the token is not meant for this API (aud must hold '",
                                config.audience, "')"));

  for (const auto& rule : config.rules) {
    bool holds = true;
    for (const auto& [claim, value] : rule.when) holds = holds && ClaimHolds(claims, claim, value);
    if (!holds) continue;
    ExternalCaller out;
    // Who in the audit log: a hash of issuer and subject, so the log holds no user name.
    const std::string sub = Text(claims, "sub");
    out.caller.token_id =
        absl::StrCat("oidc:", SecretHash(absl::StrCat(iss, "\n", sub)).substr(0, 16));
    out.caller.organization_id = rule.organization_id;
    out.caller.roles = rule.roles;
    out.caller.network_ids = rule.network_ids;
    out.caller.services = rule.services;
    out.expires_ms = *exp + leeway;
    return out;
  }
  std::vector<std::string> names;
  for (const auto& rule : config.rules)
    for (const auto& [claim, value] : rule.when)
      if (std::find(names.begin(), names.end(), claim) == names.end()) names.push_back(claim);
  return Refused("TOKEN_UNMAPPED",
                 absl::StrCat("no claim rule of issuer ", iss,
                              " maps the token to an organisation (the rules look at ",
                              absl::StrJoin(names, ", "), ")"));
}

}  // namespace infrashare
