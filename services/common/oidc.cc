#include "services/common/oidc.h"

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/curl_transfer.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/logging.h"
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

// A list of texts (or one text); nullopt when it is anything else (a map, a nested list).
std::optional<std::vector<std::string>> Strings(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsScalar()) return std::vector<std::string>{node.Scalar()};
  if (!node.IsSequence()) return std::nullopt;
  for (const auto& item : node) {
    if (!item.IsScalar()) return std::nullopt;
    out.push_back(item.Scalar());
  }
  return out;
}

// The services a token may be scoped to (auth.cc's list).
constexpr const char* kServiceNames[] = {"auth",    "registry",  "scheduler", "desk",
                                         "privacy", "programme", "impact",    "webhook"};

absl::StatusOr<OidcIssuer> IssuerOf(const YAML::Node& node, size_t index) {
  static const std::vector<std::string> kKeys = {
      "issuer",         "audience",           "jwks_file", "jwks_uri",
      "jwks_refresh_s", "jwks_min_refresh_s", "leeway_s",  "algorithms",
      "rules",          "max_lifetime_s"};
  OidcIssuer issuer;
  if (!node.IsMap())
    return absl::InvalidArgumentError(absl::StrCat(Where(index, ""), " is not a map"));
  if (node["issuer"] && node["issuer"].IsScalar()) issuer.issuer = node["issuer"].Scalar();
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(Where(index, issuer.issuer), ": ", why));
  };
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
      return bad(absl::StrCat("unknown key '", key, "'"));
    if (!seen.insert(key).second) return bad(absl::StrCat("'", key, "' is given twice"));
  }
  // A key that must be one text: its value, or an error naming it.
  auto text = [&](const char* key, std::string* target) -> absl::Status {
    if (!node[key]) return absl::OkStatus();
    if (!node[key].IsScalar()) return bad(absl::StrCat("'", key, "' must be one text"));
    *target = node[key].Scalar();
    return absl::OkStatus();
  };
  for (const char* key : {"issuer", "audience", "jwks_file", "jwks_uri"}) {
    std::string* target = std::string(key) == "issuer"      ? &issuer.issuer
                          : std::string(key) == "audience"  ? &issuer.audience
                          : std::string(key) == "jwks_file" ? &issuer.jwks_file
                                                            : &issuer.jwks_uri;
    if (auto status = text(key, target); !status.ok()) return status;
  }
  if (issuer.issuer.empty()) return bad("'issuer' is required");
  if (issuer.audience.empty()) return bad("'audience' is required (the API's client id)");
  if (issuer.jwks_file.empty() == issuer.jwks_uri.empty())
    return bad("exactly one of 'jwks_file' and 'jwks_uri' is required");
  if (!issuer.jwks_uri.empty()) {
    absl::string_view rest = issuer.jwks_uri;
    const bool https = absl::ConsumePrefix(&rest, "https://");
    if ((!https && !IsLoopbackHttpUrl(issuer.jwks_uri)) || rest.empty() || rest.front() == '/' ||
        rest.find_first_of(" \t\r\n") != absl::string_view::npos)
      return bad("'jwks_uri' must be https://<host>/... (http:// only to a loopback host)");
  }
  auto seconds = [&](const char* key, int* target, int min, int max) -> absl::Status {
    if (!node[key]) return absl::OkStatus();
    if (!YAML::convert<int>::decode(node[key], *target) || *target < min || *target > max)
      return bad(absl::StrCat("'", key, "' must be a whole number from ", min, " to ", max));
    return absl::OkStatus();
  };
  for (auto status : {seconds("jwks_refresh_s", &issuer.jwks_refresh_s, 60, 7 * 86400),
                      seconds("jwks_min_refresh_s", &issuer.jwks_min_refresh_s, 0, 86400),
                      seconds("leeway_s", &issuer.leeway_s, 0, 600),
                      seconds("max_lifetime_s", &issuer.max_lifetime_s, 60, 7 * 86400)})
    if (!status.ok()) return status;
  if (node["algorithms"]) {
    auto algorithms = Strings(node["algorithms"]);
    if (!algorithms) return bad("'algorithms' must be a list");
    issuer.algorithms = *algorithms;
  }
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
    std::set<std::string> rule_keys;
    for (const auto& kv : rule_node) {
      const std::string key = kv.first.Scalar();
      if (!rule_keys.insert(key).second)
        return bad_rule(absl::StrCat("'", key, "' is given twice"));
      auto list = [&](std::vector<std::string>* target) -> absl::Status {
        auto values = Strings(kv.second);
        if (!values || values->empty())
          return bad_rule(absl::StrCat("'", key,
                                       "' must list at least one value (leave it out "
                                       "for none)"));
        *target = *values;
        return absl::OkStatus();
      };
      if (key == "when") {
        if (!kv.second.IsMap()) return bad_rule("'when' must map claims to values");
        for (const auto& claim : kv.second) {
          if (!claim.second.IsScalar())
            return bad_rule(absl::StrCat("'when.", claim.first.Scalar(), "' must be one value"));
          rule.when[claim.first.Scalar()] = claim.second.Scalar();
        }
      } else if (key == "organization_id") {
        if (!kv.second.IsScalar()) return bad_rule("'organization_id' must be one text");
        rule.organization_id = kv.second.Scalar();
      } else if (key == "roles") {
        std::vector<std::string> names;
        if (auto status = list(&names); !status.ok()) return status;
        for (const auto& name : names) {
          Role role = auth::v1::ROLE_UNSPECIFIED;
          const std::string full =
              absl::StartsWith(name, "ROLE_") ? name : absl::StrCat("ROLE_", name);
          if (!auth::v1::Role_Parse(full, &role) || role == auth::v1::ROLE_UNSPECIFIED)
            return bad_rule(absl::StrCat("unknown role '", name, "'"));
          // What one claim of an outside issuer may give: never the platform's keys.
          if (role == auth::v1::ROLE_PLATFORM_ADMIN)
            return bad_rule("PLATFORM_ADMIN is not given by claim rules (use a token of its own)");
          rule.roles.push_back(role);
        }
      } else if (key == "network_ids") {
        if (auto status = list(&rule.network_ids); !status.ok()) return status;
      } else if (key == "services") {
        if (auto status = list(&rule.services); !status.ok()) return status;
        for (const auto& service : rule.services)
          if (std::find_if(std::begin(kServiceNames), std::end(kServiceNames),
                           [&](const char* known) { return service == known; }) ==
              std::end(kServiceNames))
            return bad_rule(absl::StrCat("unknown service '", service,
                                         "' (auth, registry, scheduler, desk, privacy, "
                                         "programme, impact, webhook)"));
      } else {
        return bad_rule(absl::StrCat("unknown key '", key, "'"));
      }
    }
    if (rule.when.empty())
      return bad_rule("'when' must name at least one claim (a rule for every token is a mistake)");
    if (rule.organization_id.empty()) return bad_rule("'organization_id' is required");
    if (rule.organization_id == kPlatformOrganization)
      return bad_rule("'organization_id' may not be the platform's");
    if (rule.roles.empty()) return bad_rule("'roles' must name at least one role");
    if (std::find(rule.roles.begin(), rule.roles.end(), auth::v1::ROLE_NETWORK_COORDINATOR) !=
            rule.roles.end() &&
        rule.network_ids.empty())
      return bad_rule("NETWORK_COORDINATOR needs 'network_ids'");
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
  // Under the verifier's mutex_: the keys in hand (null until first read), when to read them
  // next, whether a token asked for a re-read (an unknown kid) and when one last did, and how many
  // readings failed in a row (the next is put off the longer).
  std::shared_ptr<const KeySet> keys;
  int64_t next_read_ms = 0;
  bool wanted = false;
  int64_t asked_ms = -1000000000;
  int failures = 0;
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
    // Read once now. A key file that cannot be read, or holds no key we verify with, is a
    // mistake in the configuration; an issuer that does not answer yet is tried again later.
    auto keys = verifier->ReadKeySet(issuer->config, NowMs());
    const bool file = !issuer->config.jwks_file.empty();
    if (keys.ok() && (*keys)->keys.empty())
      keys = absl::InvalidArgumentError("the key set holds no RSA or EC P-256 signing key");
    if (!keys.ok() && file)
      return absl::InvalidArgumentError(
          absl::StrCat("OIDC issuer ", issuer->config.issuer, ": ", keys.status().message()));
    if (keys.ok()) {
      issuer->keys = *keys;
      issuer->next_read_ms = NowMs() + int64_t{issuer->config.jwks_refresh_s} * 1000;
    } else {
      logging::Warn(
          "OIDC: the issuer's keys cannot be read yet; tried again in the background",
          {{"issuer", issuer->config.issuer}, {"error", std::string(keys.status().message())}});
      issuer->failures = 1;
      issuer->next_read_ms = NowMs() + 5000;
    }
    verifier->issuers_.push_back(std::move(issuer));
  }
  verifier->refresher_ = std::thread([v = verifier.get()] { v->Refresh(); });
  return verifier;
}

OidcVerifier::OidcVerifier(std::string ca_file) : ca_file_(std::move(ca_file)) {}

OidcVerifier::~OidcVerifier() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

// Keys are only ever read here, off the callers' threads: a slow or absent key server never
// holds up a call, however many tokens name its issuer.
void OidcVerifier::Refresh() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    const int64_t now = NowMs();
    Issuer* due = nullptr;
    int64_t next = now + 3600000;
    for (auto& issuer : issuers_) {
      if (issuer->wanted || issuer->next_read_ms <= now) {
        due = issuer.get();
        break;
      }
      next = std::min(next, issuer->next_read_ms);
    }
    if (due == nullptr) {
      wake_.wait_for(lock, std::chrono::milliseconds(next - now));
      continue;
    }
    due->wanted = false;
    const OidcIssuer config = due->config;
    lock.unlock();
    auto keys = ReadKeySet(config, now);
    lock.lock();
    if (keys.ok() && !(*keys)->keys.empty()) {
      due->keys = *keys;
      due->failures = 0;
      due->next_read_ms = NowMs() + int64_t{config.jwks_refresh_s} * 1000;
      continue;
    }
    // Keys that could not be renewed stay in use: an issuer's outage does not lock anyone out.
    if (due->failures++ == 0)
      logging::Warn("OIDC: the issuer's keys could not be read again; the last ones stay in use",
                    {{"issuer", config.issuer},
                     {"error", keys.ok() ? "no signing key in the key set"
                                         : std::string(keys.status().message())}});
    const int64_t backoff = std::min<int64_t>(int64_t{5000} << std::min(due->failures, 6),
                                              int64_t{config.jwks_refresh_s} * 1000);
    due->next_read_ms = NowMs() + backoff;
  }
}

std::shared_ptr<const OidcVerifier::KeySet> OidcVerifier::KeysOf(Issuer& issuer, bool read_again) {
  std::lock_guard lock(mutex_);
  const int64_t now = NowMs();
  if (read_again && now - issuer.asked_ms >= int64_t{issuer.config.jwks_min_refresh_s} * 1000) {
    issuer.asked_ms = now;
    issuer.wanted = true;
    wake_.notify_all();
  }
  return issuer.keys;
}

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
    // Only the members a verification key has, as text: nothing nested reaches the dump.
    json flat = json::object();
    for (const char* member : {"kty", "kid", "n", "e", "crv", "x", "y"})
      if (!Text(entry, member).empty()) flat[member] = Text(entry, member);
    const std::string jwk = flat.dump();
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

  // The keys: those of the algorithm's type with the token's kid (all of that type when it names
  // none). A kid not among them asks for the keys to be read again (the issuer may have rotated
  // them) without waiting for it: the token is refused now and taken once the keys are in.
  std::shared_ptr<const KeySet> keys = KeysOf(*issuer, false);
  if (!keys)
    return absl::UnavailableError(absl::StrCat("the keys of issuer ", iss.substr(0, 200),
                                               " have not been read yet; try again in a minute"));
  auto candidates = [&](const KeySet& set) {
    std::vector<const Jwk*> out;
    for (const auto& candidate : set.keys)
      if (KeyFits(alg, candidate) && (kid.empty() || candidate.kid == kid))
        out.push_back(&candidate);
    return out;
  };
  std::vector<const Jwk*> fitting = candidates(*keys);
  if (fitting.empty()) {
    KeysOf(*issuer, true);
    return Refused("TOKEN_KEY_UNKNOWN",
                   absl::StrCat("the issuer has no ", alg, " key",
                                kid.empty() ? "" : absl::StrCat(" '", kid.substr(0, 100), "'"),
                                " (its keys are read again: if it has just rotated them, try "
                                "again in a minute)"));
  }
  bool verified = false;
  for (const Jwk* key : fitting)
    if (cjose_jws_verify(jws.get(), key->key, &err)) {
      verified = true;
      break;
    }
  if (!verified) return Refused("TOKEN_SIGNATURE_INVALID", "the JWT's signature does not verify");

  const int64_t now = NowMs();
  const int64_t leeway = int64_t{config.leeway_s} * 1000;
  for (const char* name : {"exp", "nbf", "iat"})
    if (claims.contains(name) && !DateMs(claims, name))
      return Refused("TOKEN_MALFORMED",
                     absl::StrCat("the JWT's '", name, "' is not a date (seconds since 1970)"));
  const auto exp = DateMs(claims, "exp");
  if (!exp) return Refused("TOKEN_MALFORMED", "the JWT has no 'exp'");
  if (now >= *exp + leeway) return Refused("TOKEN_EXPIRED", "the token has expired");
  if (const auto nbf = DateMs(claims, "nbf"); nbf && now + leeway < *nbf)
    return Refused("TOKEN_NOT_YET_VALID", "the token is not valid yet (nbf)");
  if (const auto iat = DateMs(claims, "iat"); iat && now + leeway < *iat)
    return Refused("TOKEN_NOT_YET_VALID", "the token was issued in the future (iat)");
  if (*exp - now > int64_t{config.max_lifetime_s} * 1000)
    return Refused("TOKEN_MALFORMED",
                   absl::StrCat("the token is valid for longer than this issuer's tokens may be (",
                                config.max_lifetime_s, " s)"));
  if (Text(claims, "sub").empty())
    return Refused("TOKEN_MALFORMED", "the JWT has no 'sub' (a text naming the person)");
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
