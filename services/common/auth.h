// Who is calling: bearer tokens, stored only as hashes, mapped to an organisation and roles.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/auth/v1/auth.pb.h"
#include "services/common/config.h"
#include "services/common/redis.h"

namespace grpc {
class ServerContextBase;
}

namespace infrashare {

using auth::v1::Role;

// The organisation id of the bootstrap admin and of platform-level tokens.
inline constexpr absl::string_view kPlatformOrganization = "platform";

// The token of an `authorization` value, "Bearer <token>" with the scheme in any case; none when
// the value is not of that form.
std::optional<absl::string_view> BearerToken(absl::string_view authorization);

struct Caller {
  std::string token_id;
  std::string organization_id;
  std::vector<Role> roles;
  std::vector<std::string> network_ids;
  std::vector<std::string> services;  // the services the token may call; empty = all
  // When the infrashare token the caller holds expires (ms since the epoch); 0 when it does not,
  // and for the bootstrap token and identity-provider sessions (a session's end does not end the
  // person's rights: signing in again renews them). What such a caller grants never outlives it
  // (MayGrantLasting below).
  int64_t expires_ms = 0;

  bool Has(Role role) const;
  // Whether the token's scope allows calling `method` ("service.Method").
  bool MayCall(absl::string_view method) const;
  bool IsPlatformAdmin() const { return Has(auth::v1::ROLE_PLATFORM_ADMIN); }
  // May change data of `organization_id`: a platform admin, or an admin or member of it.
  bool CanWriteFor(absl::string_view organization_id) const;
  bool IsAdminOf(absl::string_view organization_id) const;
  bool Coordinates(absl::string_view network_id) const;
};

// PERMISSION_DENIED when `caller` holds a token that expires and asks for `what`, a lasting way in
// (a calendar feed, a webhook subscription) that would outlive it: a token handed out for a day
// does not turn itself into access for good. OK otherwise.
absl::Status MayGrantLasting(const Caller& caller, absl::string_view what);

// A token's record as stored, with the hash of its secret (the key it is found under).
struct StoredToken {
  auth::v1::TokenInfo info;
  std::string hash;
};

// Where tokens live, by the hash of their secret (never the secret itself). TokenAuthority holds
// this interface; RedisTokenStore keeps them in Redis under the {auth} hash tag (auth.lua).
class TokenStore {
 public:
  virtual ~TokenStore() = default;
  // The token whose secret hashes to `hash`; nullopt when unknown or revoked.
  virtual absl::StatusOr<std::optional<auth::v1::TokenInfo>> ByHash(absl::string_view hash) = 0;
  virtual absl::StatusOr<std::optional<StoredToken>> ById(absl::string_view id) = 0;
  // Stores a new token, answered with `response`; a retry with the same `replay_key` (empty =
  // none) stores nothing and returns the first call's response.
  virtual absl::StatusOr<auth::v1::CreateTokenResponse> Insert(
      const StoredToken& token, const auth::v1::CreateTokenResponse& response,
      absl::string_view replay_key, int replay_ttl_s) = 0;
  // Rewrites a token's record only while it still exists, so a revocation is never undone.
  virtual absl::Status Rewrite(const StoredToken& token) = 0;
  // Token ids in id order after `after` ("" = from the start), of one organisation ("" = all).
  virtual absl::StatusOr<std::vector<std::string>> Ids(absl::string_view organization_id,
                                                       absl::string_view after, int limit) = 0;
  virtual absl::Status Revoke(absl::string_view id, absl::string_view organization_id) = 0;
  virtual absl::Status RevokeOrganization(absl::string_view organization_id) = 0;
  // Whether the token with this hash was revoked (remembered for 90 days).
  virtual absl::StatusOr<bool> WasRevoked(absl::string_view hash) = 0;
  // Whether the registry holds the organisation.
  virtual absl::StatusOr<bool> OrganizationExists(absl::string_view organization_id) = 0;
  virtual absl::StatusOr<bool> NetworkExists(absl::string_view network_id) = 0;
  // Where a response is kept for its retries: (caller organisation, idempotency key).
  virtual std::string ReplayKey(absl::string_view organization_id,
                                absl::string_view idempotency_key) const = 0;
};

class RedisTokenStore final : public TokenStore {
 public:
  explicit RedisTokenStore(RedisPool* redis) : redis_(redis) {}

  absl::StatusOr<std::optional<auth::v1::TokenInfo>> ByHash(absl::string_view hash) override;
  absl::StatusOr<std::optional<StoredToken>> ById(absl::string_view id) override;
  absl::StatusOr<auth::v1::CreateTokenResponse> Insert(
      const StoredToken& token, const auth::v1::CreateTokenResponse& response,
      absl::string_view replay_key, int replay_ttl_s) override;
  absl::Status Rewrite(const StoredToken& token) override;
  absl::StatusOr<std::vector<std::string>> Ids(absl::string_view organization_id,
                                               absl::string_view after, int limit) override;
  absl::Status Revoke(absl::string_view id, absl::string_view organization_id) override;
  absl::Status RevokeOrganization(absl::string_view organization_id) override;
  absl::StatusOr<bool> WasRevoked(absl::string_view hash) override;
  absl::StatusOr<bool> OrganizationExists(absl::string_view organization_id) override;
  absl::StatusOr<bool> NetworkExists(absl::string_view network_id) override;
  std::string ReplayKey(absl::string_view organization_id,
                        absl::string_view idempotency_key) const override;

 private:
  std::string Key(absl::string_view suffix) const;
  // Whether the registry holds record `kind`:`id` ("org", "net").
  absl::StatusOr<bool> RegistryHas(absl::string_view kind, absl::string_view id);

  RedisPool* redis_;
};

// What a token from outside stands for (an OpenID Connect access token, services/common/oidc.h):
// the caller, and when the token expires (wall clock, ms).
struct ExternalCaller {
  Caller caller;
  int64_t expires_ms = 0;
};

// Tokens infrashare did not issue and does not store, verified by their own signature.
class ExternalTokens {
 public:
  virtual ~ExternalTokens() = default;
  // Whether `token` is of this kind (never one of infrashare's own).
  virtual bool Recognizes(absl::string_view token) const = 0;
  // UNAUTHENTICATED with a reason when it is not valid or maps to no caller.
  virtual absl::StatusOr<ExternalCaller> Verify(absl::string_view token) = 0;
};

// Who may do what with tokens, and who is calling: the token service's rules over a TokenStore,
// with a short cache of resolved tokens. Tokens `external` recognizes (may be null: none) are
// verified by it instead, and stand for their caller only while the organisation exists.
class TokenAuthority {
 public:
  TokenAuthority(TokenStore* store, AuthConfig config, ExternalTokens* external = nullptr);

  // Resolves `authorization: Bearer <token>`; UNAUTHENTICATED when missing, unknown or expired.
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& context);
  absl::StatusOr<Caller> Resolve(absl::string_view token);

  absl::StatusOr<auth::v1::CreateTokenResponse> Create(const Caller& caller,
                                                       const auth::v1::CreateTokenRequest& request);
  absl::StatusOr<auth::v1::ListTokensResponse> List(const Caller& caller,
                                                    const auth::v1::ListTokensRequest& request);
  absl::Status Revoke(const Caller& caller, const auth::v1::RevokeTokenRequest& request);
  // A new secret for the same access; the old one ends after the overlap (RotateTokenRequest).
  absl::StatusOr<auth::v1::CreateTokenResponse> Rotate(const Caller& caller,
                                                       const auth::v1::RotateTokenRequest& request);
  // Every token of the organisation (it was deleted); other replicas stop trusting their cached
  // copies within auth.cache_ttl_ms.
  absl::Status RevokeOrganization(absl::string_view organization_id);

 private:
  // Where a CreateToken/RotateToken response is kept for its retries; empty without a request_id.
  std::string ReplayKey(const Caller& caller, const google::protobuf::Message& request) const;
  // Stores a new token with `info` (its id, secret and creation time are made here); a retry with
  // `replay` (empty = none) returns the first response.
  absl::StatusOr<auth::v1::CreateTokenResponse> Mint(const Caller& caller, auth::v1::TokenInfo info,
                                                     const std::string& replay);
  void Forget(const std::function<bool(const Caller&)>& which);
  // A caller resolved from a token with this hash, for auth.cache_ttl_ms (not past
  // `token_expires_ms`, 0 = never).
  void Remember(const std::string& hash, const Caller& caller, int64_t token_expires_ms);
  absl::StatusOr<Caller> ResolveExternal(absl::string_view token);

  TokenStore* store_;
  ExternalTokens* external_;
  AuthConfig config_;
  std::string bootstrap_hash_;
  struct Cached {
    Caller caller;
    std::chrono::steady_clock::time_point expires;  // of the cache entry
    int64_t token_expires_ms = 0;                   // of the token itself (wall clock), 0 = never
  };
  std::mutex cache_mutex_;
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace infrashare
