// Who is calling: bearer tokens, stored only as hashes, mapped to an organisation and roles.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
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

struct Caller {
  std::string token_id;
  std::string organization_id;
  std::vector<Role> roles;
  std::vector<std::string> network_ids;
  std::vector<std::string> services;  // the services the token may call; empty = all

  bool Has(Role role) const;
  // Whether the token's scope allows calling `method` ("service.Method").
  bool MayCall(absl::string_view method) const;
  bool IsPlatformAdmin() const { return Has(auth::v1::ROLE_PLATFORM_ADMIN); }
  // May change data of `organization_id`: a platform admin, or an admin or member of it.
  bool CanWriteFor(absl::string_view organization_id) const;
  bool IsAdminOf(absl::string_view organization_id) const;
  bool Coordinates(absl::string_view network_id) const;
};

class TokenStore {
 public:
  TokenStore(RedisPool* redis, AuthConfig config);

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
  std::string Key(absl::string_view suffix) const;
  // `hash`, when given, receives the token's hash (the key of its record).
  absl::StatusOr<auth::v1::TokenInfo> InfoById(absl::string_view id, std::string* hash = nullptr);
  // Where a CreateToken/RotateToken response is kept for its retries; empty without a request_id.
  std::string ReplayKey(const Caller& caller, const google::protobuf::Message& request) const;
  // Stores a new token with `info` (its id, secret and creation time are made here); a retry with
  // `replay` (empty = none) returns the first response.
  absl::StatusOr<auth::v1::CreateTokenResponse> Mint(const Caller& caller, auth::v1::TokenInfo info,
                                                     const std::string& replay);

  RedisPool* redis_;
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
