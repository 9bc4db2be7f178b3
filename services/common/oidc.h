// OpenID Connect access tokens next to infrashare's own: a JWT signed by a configured issuer
// (SURFconext, an eHerkenning broker, a school's own identity provider) is verified against the
// issuer's published keys (JWKS) with Debian's cjose, and claim rules from the issuers file map it
// to an organisation and roles (docs/oidc.md). Nothing is stored: a token stands for its caller
// until it expires.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/auth.h"

namespace infrashare {

// A claim rule: when every claim in `when` holds (a text claim equal to the value, a list claim
// holding it), the token stands for `organization_id` with `roles`.
struct OidcRule {
  std::map<std::string, std::string> when;
  std::string organization_id;
  std::vector<Role> roles;
  std::vector<std::string> network_ids;
  std::vector<std::string> services;  // empty = every service
};

struct OidcIssuer {
  std::string issuer;         // the `iss` claim, exactly
  std::string audience;       // must be the `aud` claim or one of its values
  std::string jwks_file;      // the keys from a file, read again every jwks_refresh_s; or
  std::string jwks_uri;       // fetched over HTTPS (HTTP only from a loopback host)
  int jwks_refresh_s = 3600;  // how long fetched keys are trusted before they are fetched again
  // An unknown `kid` fetches the keys again (the issuer rotated them), at most this often.
  int jwks_min_refresh_s = 60;
  int leeway_s = 60;  // clock difference allowed for exp, nbf and iat
  // A token valid for longer than this from now is refused (a person's access should lapse).
  int max_lifetime_s = 86400;
  std::vector<std::string> algorithms = {"RS256", "ES256"};
  std::vector<OidcRule> rules;  // the first that matches wins
};

// The issuers file (auth.oidc_file): `issuers:`, a list of OidcIssuer with their `rules:`.
// INVALID_ARGUMENT naming the entry when anything in it is wrong.
absl::StatusOr<std::vector<OidcIssuer>> LoadOidcIssuers(const std::string& path);

// Whether `token` has the shape of a JWS in compact form (three base64url parts), the only kind
// of token OidcVerifier takes; infrashare's own tokens never have it.
bool LooksLikeJwt(absl::string_view token);

class OidcVerifier final : public ExternalTokens {
 public:
  // `ca_file` (may be empty: the system's) verifies the JWKS servers' certificates. The keys of
  // issuers with a jwks_file are read at once (an unreadable file fails here); fetched keys come
  // on first use.
  static absl::StatusOr<std::unique_ptr<OidcVerifier>> Create(std::vector<OidcIssuer> issuers,
                                                              std::string ca_file = "");
  ~OidcVerifier() override;

  bool Recognizes(absl::string_view token) const override { return LooksLikeJwt(token); }
  // The caller the token stands for; UNAUTHENTICATED with a reason (TOKEN_MALFORMED,
  // TOKEN_ISSUER_UNKNOWN, TOKEN_KEY_UNKNOWN, TOKEN_SIGNATURE_INVALID, TOKEN_EXPIRED,
  // TOKEN_NOT_YET_VALID, TOKEN_AUDIENCE_WRONG, TOKEN_UNMAPPED) saying what is wrong.
  absl::StatusOr<ExternalCaller> Verify(absl::string_view token) override;

 private:
  struct KeySet;
  struct Issuer;
  explicit OidcVerifier(std::string ca_file);
  // The background reader of every issuer's keys: every jwks_refresh_s, when a token asked for a
  // re-read, and after a failure again with a growing pause. Callers never wait for a reading.
  void Refresh();
  // The issuer's keys in hand (null before the first reading); `read_again` asks for a reading
  // (at most every jwks_min_refresh_s).
  std::shared_ptr<const KeySet> KeysOf(Issuer& issuer, bool read_again);
  absl::StatusOr<std::string> ReadJwks(const OidcIssuer& issuer) const;
  absl::StatusOr<std::shared_ptr<const KeySet>> ReadKeySet(const OidcIssuer& issuer,
                                                           int64_t now) const;

  std::string ca_file_;
  std::vector<std::unique_ptr<Issuer>> issuers_;
  std::mutex mutex_;  // the issuers' keys and reading schedule
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread refresher_;
};

}  // namespace infrashare
