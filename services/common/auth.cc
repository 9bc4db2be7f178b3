#include "services/common/auth.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/server_context.h>
#include <sodium.h>

#include <algorithm>
#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/redis_function.h"
#include "services/common/text_fold.h"

namespace infrashare {
namespace {

using google::protobuf::util::TimeUtil;

constexpr size_t kCacheLimit = 10000;

Caller FromInfo(const auth::v1::TokenInfo& info) {
  Caller caller;
  caller.token_id = info.id();
  caller.organization_id = info.organization_id();
  for (int role : info.roles()) caller.roles.push_back(static_cast<Role>(role));
  caller.network_ids.assign(info.network_ids().begin(), info.network_ids().end());
  caller.services.assign(info.services().begin(), info.services().end());
  if (info.has_expire_time())
    caller.expires_ms = TimeUtil::TimestampToMilliseconds(info.expire_time());
  return caller;
}

// Now, to the millisecond (Debian's protobuf 3.21 Now() has whole seconds,
// which kept an expired token valid until the end of its second).
google::protobuf::Timestamp Now() { return TimeUtil::MillisecondsToTimestamp(NowMs()); }

// Every service a token may be scoped to: the first part of a method's name (Caller::MayCall).
constexpr std::array<absl::string_view, 8> kServices = {
    "auth", "registry", "scheduler", "desk", "privacy", "programme", "impact", "webhook"};

// Whether a token scoped to `services` (empty = all) is within the caller's scope: a scoped token
// hands out, and rotates, no more than its own scope.
bool WithinScope(const Caller& caller,
                 const google::protobuf::RepeatedPtrField<std::string>& services) {
  if (caller.services.empty()) return true;
  bool within = !services.empty();
  for (const auto& service : services)
    within = within && std::find(caller.services.begin(), caller.services.end(), service) !=
                           caller.services.end();
  return within;
}

bool SameHash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool Caller::Has(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Caller::CanWriteFor(absl::string_view org) const {
  if (IsPlatformAdmin()) return true;
  return organization_id == org &&
         (Has(auth::v1::ROLE_ORGANIZATION_ADMIN) || Has(auth::v1::ROLE_MEMBER));
}

bool Caller::MayCall(absl::string_view method) const {
  if (services.empty() || method == "auth.WhoAmI") return true;
  const absl::string_view service = method.substr(0, method.find('.'));
  return std::find(services.begin(), services.end(), service) != services.end();
}

bool Caller::IsAdminOf(absl::string_view org) const {
  return IsPlatformAdmin() || (organization_id == org && Has(auth::v1::ROLE_ORGANIZATION_ADMIN));
}

bool Caller::Coordinates(absl::string_view network_id) const {
  if (IsPlatformAdmin()) return true;
  return Has(auth::v1::ROLE_NETWORK_COORDINATOR) &&
         std::find(network_ids.begin(), network_ids.end(), network_id) != network_ids.end();
}

namespace {
// Whether a token of `info` would last longer than the caller's own, which expires.
bool OutlivesCaller(const auth::v1::TokenInfo& info, const Caller& caller) {
  return caller.expires_ms != 0 &&
         (!info.has_expire_time() ||
          TimeUtil::TimestampToMilliseconds(info.expire_time()) > caller.expires_ms);
}

// Roles only platform admins hand out.
bool Privileged(const google::protobuf::RepeatedField<int>& roles) {
  return std::any_of(roles.begin(), roles.end(), [](int role) {
    return role == auth::v1::ROLE_PLATFORM_ADMIN || role == auth::v1::ROLE_NETWORK_COORDINATOR;
  });
}
}  // namespace

absl::Status MayGrantLasting(const Caller& caller, absl::string_view what) {
  if (caller.expires_ms == 0) return absl::OkStatus();
  return Forbidden(absl::StrCat("a token that expires does not create ", what,
                                ", which would outlive it: use a token without an expiry"));
}

std::string RedisTokenStore::Key(absl::string_view suffix) const {
  return absl::StrCat(redis_->prefix(), "{auth}:", suffix);
}

absl::StatusOr<std::optional<auth::v1::TokenInfo>> RedisTokenStore::ByHash(absl::string_view hash) {
  auto reply = redis_->Command({"GET", Key(absl::StrCat("tok:", hash))});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::nullopt;
  auth::v1::TokenInfo info;
  if (!info.ParseFromString(reply->str)) return absl::InternalError("corrupt token record");
  return info;
}

absl::StatusOr<std::optional<StoredToken>> RedisTokenStore::ById(absl::string_view id) {
  auto hash = redis_->Command({"GET", Key(absl::StrCat("tokid:", id))});
  if (!hash.ok()) return hash.status();
  if (hash->is_nil()) return std::nullopt;
  auto data = redis_->Command({"GET", Key(absl::StrCat("tok:", hash->str))});
  if (!data.ok()) return data.status();
  StoredToken token;
  if (data->is_nil() || !token.info.ParseFromString(data->str)) return std::nullopt;
  token.hash = hash->str;
  return token;
}

absl::StatusOr<auth::v1::CreateTokenResponse> RedisTokenStore::Insert(
    const StoredToken& token, const auth::v1::CreateTokenResponse& response,
    absl::string_view replay_key, int replay_ttl_s) {
  RedisFunctionCall call("auth_create");
  call.Key("token", Key(absl::StrCat("tok:", token.hash)))
      .Key("tokid", Key(absl::StrCat("tokid:", token.info.id())))
      .Key("tokens", Key("tokens"))
      .Key("org", Key(absl::StrCat("org:", token.info.organization_id())))
      .Replay(replay_key, replay_ttl_s)
      .Arg("id", token.info.id())
      .Arg("hash", token.hash)
      .Arg("info", token.info.SerializeAsString())
      .Arg("response", response.SerializeAsString());
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() == 2 && reply->elements[0].str == "replay") {
    auth::v1::CreateTokenResponse previous;
    previous.ParseFromString(reply->elements[1].str);
    return previous;
  }
  return response;
}

absl::Status RedisTokenStore::Rewrite(const StoredToken& token) {
  return redis_
      ->Command({"SET", Key(absl::StrCat("tok:", token.hash)), token.info.SerializeAsString(), "XX",
                 "KEEPTTL"})
      .status();
}

absl::StatusOr<std::vector<std::string>> RedisTokenStore::Ids(absl::string_view organization_id,
                                                              absl::string_view after, int limit) {
  const std::string index =
      organization_id.empty() ? Key("tokens") : Key(absl::StrCat("org:", organization_id));
  const std::string from = after.empty() ? "-" : absl::StrCat("(", after);
  auto reply =
      redis_->Command({"ZRANGEBYLEX", index, from, "+", "LIMIT", "0", std::to_string(limit)});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const auto& element : reply->elements) ids.push_back(element.str);
  return ids;
}

absl::Status RedisTokenStore::Revoke(absl::string_view id, absl::string_view organization_id) {
  RedisFunctionCall call("auth_revoke");
  call.Key("base", Key(""))
      .Key("tokid", Key(absl::StrCat("tokid:", id)))
      .Key("tokens", Key("tokens"))
      .Key("org", Key(absl::StrCat("org:", organization_id)))
      .Arg("id", std::string(id));
  return redis_->FCall(call.function(), call.keys(), call.args()).status();
}

absl::Status RedisTokenStore::RevokeOrganization(absl::string_view organization_id) {
  RedisFunctionCall call("auth_revoke_org");
  call.Key("base", Key(""))
      .Key("tokens", Key("tokens"))
      .Key("org", Key(absl::StrCat("org:", organization_id)));
  return redis_->FCall(call.function(), call.keys(), call.args()).status();
}

absl::StatusOr<bool> RedisTokenStore::WasRevoked(absl::string_view hash) {
  auto reply = redis_->Command({"EXISTS", Key(absl::StrCat("revoked:", hash))});
  if (!reply.ok()) return reply.status();
  return reply->integer != 0;
}

absl::StatusOr<bool> RedisTokenStore::RegistryHas(absl::string_view kind, absl::string_view id) {
  // Organisations and networks live in the registry's keys; reading another service's keys is
  // allowed.
  auto exists =
      redis_->Command({"EXISTS", absl::StrCat(redis_->prefix(), "{reg}:", kind, ":", id)});
  if (!exists.ok()) return exists.status();
  return exists->integer != 0;
}

absl::StatusOr<bool> RedisTokenStore::OrganizationExists(absl::string_view organization_id) {
  return RegistryHas("org", organization_id);
}

absl::StatusOr<bool> RedisTokenStore::NetworkExists(absl::string_view network_id) {
  return RegistryHas("net", network_id);
}

std::string RedisTokenStore::ReplayKey(absl::string_view organization_id,
                                       absl::string_view idempotency_key) const {
  return Key(absl::StrCat("req:", organization_id, ":", idempotency_key));
}

TokenAuthority::TokenAuthority(TokenStore* store, AuthConfig config, ExternalTokens* external)
    : store_(store), external_(external), config_(std::move(config)) {
  if (!config_.bootstrap_admin_token.empty())
    bootstrap_hash_ = SecretHash(config_.bootstrap_admin_token);
}

std::optional<absl::string_view> BearerToken(absl::string_view authorization) {
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(authorization, kBearer)) return std::nullopt;
  return authorization.substr(kBearer.size());
}

absl::StatusOr<Caller> TokenAuthority::Authenticate(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end())
    return NotAuthenticated("TOKEN_MISSING", "missing 'authorization: Bearer <token>'");
  const auto token = BearerToken(absl::string_view(it->second.data(), it->second.size()));
  if (!token) return NotAuthenticated("TOKEN_MALFORMED", "authorization must be 'Bearer <token>'");
  return Resolve(*token);
}

absl::StatusOr<Caller> TokenAuthority::Resolve(absl::string_view token) {
  const bool external = external_ != nullptr && external_->Recognizes(token);
  if (!external && (token.empty() || token.size() > 256))
    return NotAuthenticated("TOKEN_MALFORMED",
                            external_ == nullptr
                                ? "a token has 1 to 256 characters"
                                : "a token has 1 to 256 characters, or is a JWT (OpenID Connect)");
  const std::string hash = SecretHash(token);
  if (!bootstrap_hash_.empty() && SameHash(hash, bootstrap_hash_)) {
    return Caller{
        "bootstrap", std::string(kPlatformOrganization), {auth::v1::ROLE_PLATFORM_ADMIN}, {}, {}};
  }
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(hash);
        it != cache_.end() && it->second.expires > std::chrono::steady_clock::now()) {
      // A cached token still expires on time, not when its cache entry does.
      if (it->second.token_expires_ms != 0 && NowMs() >= it->second.token_expires_ms)
        return NotAuthenticated("TOKEN_EXPIRED", "the token has expired");
      return it->second.caller;
    }
  }
  if (external) return ResolveExternal(token);
  auto info = store_->ByHash(hash);
  if (!info.ok()) return info.status();
  if (!info->has_value()) {
    auto revoked = store_->WasRevoked(hash);
    if (!revoked.ok()) return revoked.status();
    return *revoked ? NotAuthenticated("TOKEN_REVOKED", "the token was revoked")
                    : NotAuthenticated("TOKEN_UNKNOWN", "no such token");
  }
  if ((*info)->has_expire_time() && (*info)->expire_time() <= Now())
    return NotAuthenticated("TOKEN_EXPIRED", "the token has expired");
  Caller caller = FromInfo(**info);
  Remember(
      hash, caller,
      (*info)->has_expire_time() ? TimeUtil::TimestampToMilliseconds((*info)->expire_time()) : 0);
  return caller;
}

absl::StatusOr<Caller> TokenAuthority::ResolveExternal(absl::string_view token) {
  // Not in the cache (Resolve looked): verified, then remembered under its hash.
  auto verified = external_->Verify(token);
  if (!verified.ok()) return verified.status();
  // A claim rule may name an organisation that is gone (or not made yet): it stands for nobody.
  auto exists = store_->OrganizationExists(verified->caller.organization_id);
  if (!exists.ok()) return exists.status();
  if (!*exists)
    return NotAuthenticated("TOKEN_UNMAPPED", absl::StrCat("the token maps to organisation '",
                                                           verified->caller.organization_id,
                                                           "', which does not exist here"));
  Remember(SecretHash(token), verified->caller, verified->expires_ms);
  return verified->caller;
}

void TokenAuthority::Remember(const std::string& hash, const Caller& caller,
                              int64_t token_expires_ms) {
  if (config_.cache_ttl_ms <= 0) return;
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_[hash] = Cached{
      caller, std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.cache_ttl_ms),
      token_expires_ms};
}

absl::StatusOr<auth::v1::CreateTokenResponse> TokenAuthority::Create(
    const Caller& caller, const auth::v1::CreateTokenRequest& request) {
  FieldErrors errors;
  if (request.organization_id().empty()) errors.Add("organization_id", "is required");
  if (request.roles().empty()) errors.Add("roles", "at least one role is required");
  for (int role : request.roles())
    if (!auth::v1::Role_IsValid(role) || role == auth::v1::ROLE_UNSPECIFIED)
      errors.Add("roles", absl::StrCat("unknown role ", role));
  if (Characters(request.description()) > 200) errors.Add("description", "at most 200 characters");
  if (request.request_id().size() > 128) errors.Add("request_id", "at most 128 characters");
  if (request.has_expire_time() && request.expire_time() <= Now())
    errors.Add("expire_time", "must be in the future");
  for (int i = 0; i < request.services_size(); ++i)
    if (std::find(kServices.begin(), kServices.end(), request.services(i)) == kServices.end())
      errors.Add(absl::StrCat("services[", i, "]"),
                 "is not one of auth, registry, scheduler, desk, privacy, programme, impact, "
                 "webhook");
  if (!errors.empty()) return errors.ToStatus();
  if (!WithinScope(caller, request.services())) {
    return Forbidden("a token scoped to some services creates tokens scoped within them");
  }

  if (!caller.IsPlatformAdmin() &&
      (Privileged(request.roles()) || !caller.IsAdminOf(request.organization_id())))
    return Forbidden(
        "only platform admins, or admins of the organisation for its own non-platform roles, "
        "create tokens");
  if (request.organization_id() == kPlatformOrganization) {
    for (int role : request.roles())
      if (role != auth::v1::ROLE_PLATFORM_ADMIN)
        return InvalidField("organization_id", "'platform' holds only platform-admin tokens");
  } else {
    auto exists = store_->OrganizationExists(request.organization_id());
    if (!exists.ok()) return exists.status();
    if (!*exists) return NotFoundError("organization", request.organization_id());
  }

  // Networks on a token are a coordinator's (asked after who may create it, as the other checks
  // of what the token would hold).
  if (request.network_ids_size() > 0 &&
      std::find(request.roles().begin(), request.roles().end(),
                auth::v1::ROLE_NETWORK_COORDINATOR) == request.roles().end())
    return InvalidField("network_ids", "only a network coordinator's token names networks");
  for (const auto& network : request.network_ids()) {
    auto exists = store_->NetworkExists(network);
    if (!exists.ok()) return exists.status();
    if (!*exists) return NotFoundError("network", network);
  }
  auth::v1::TokenInfo info;
  info.set_organization_id(request.organization_id());
  *info.mutable_roles() = request.roles();
  *info.mutable_network_ids() = request.network_ids();
  *info.mutable_services() = request.services();
  info.set_description(request.description());
  if (request.has_expire_time()) *info.mutable_expire_time() = request.expire_time();
  // A token that expires makes none that outlives it: asked for none or a later expiry, the new
  // one ends with it.
  if (OutlivesCaller(info, caller))
    *info.mutable_expire_time() = TimeUtil::MillisecondsToTimestamp(caller.expires_ms);
  return Mint(caller, std::move(info), ReplayKey(caller, request));
}

absl::StatusOr<auth::v1::CreateTokenResponse> TokenAuthority::Mint(const Caller& caller,
                                                                   auth::v1::TokenInfo info,
                                                                   const std::string& replay) {
  std::string id = NewId("tok");
  std::string secret = absl::StrCat("ist_", id.substr(4), "_", RandomBase32(32));
  info.set_id(id);
  *info.mutable_create_time() = Now();
  info.set_created_by(caller.token_id);
  auth::v1::CreateTokenResponse response;
  response.set_token(secret);
  *response.mutable_info() = info;
  return store_->Insert({std::move(info), SecretHash(secret)}, response, replay,
                        config_.create_replay_ttl_s);
}

absl::StatusOr<auth::v1::CreateTokenResponse> TokenAuthority::Rotate(
    const Caller& caller, const auth::v1::RotateTokenRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  if (request.overlap_seconds() < 0 || request.overlap_seconds() > 604800)
    return InvalidField("overlap_seconds", "must be between 0 and 604800 (a week)");
  auto found = store_->ById(request.id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return NotFoundError("token", request.id());
  StoredToken old = std::move(**found);
  if (caller.token_id != request.id()) {
    if (!caller.IsAdminOf(old.info.organization_id()))
      return Forbidden("only admins of the token's organisation, or the token itself, rotate it");
    // A new secret of a coordinator's or platform admin's token is such a token: only those who
    // may create one hand it out (before, an organisation's admin rotated its coordinator's token
    // and held the coordinator's rights).
    if (Privileged(old.info.roles()) && !caller.IsPlatformAdmin())
      return Forbidden(
          "only platform admins, or the token itself, rotate a network coordinator's or platform "
          "admin's token");
  }
  if (!WithinScope(caller, old.info.services()))
    return Forbidden("a token scoped to some services rotates only tokens scoped within them");
  // The new secret lasts as long as the old token: a caller whose own token ends sooner would
  // hold a way in that outlives it.
  if (OutlivesCaller(old.info, caller))
    return Forbidden("a token that expires rotates only tokens that expire no later than it does");
  const auto now = Now();
  if (old.info.has_expire_time() && old.info.expire_time() <= now)
    return NotAuthenticated("TOKEN_EXPIRED", "the token has expired");
  auth::v1::TokenInfo info = old.info;
  info.clear_create_time();
  auto minted = Mint(caller, std::move(info), ReplayKey(caller, request));
  if (!minted.ok()) return minted;
  // The old token ends after the overlap: its record is rewritten only while it still exists, so
  // a revocation in between is never undone.
  auto ends = now + TimeUtil::SecondsToDuration(request.overlap_seconds());
  if (!old.info.has_expire_time() || ends < old.info.expire_time())
    *old.info.mutable_expire_time() = ends;
  if (auto status = store_->Rewrite(old); !status.ok()) return status;
  Forget([&](const Caller& cached) { return cached.token_id == request.id(); });
  return minted;
}

std::string TokenAuthority::ReplayKey(const Caller& caller,
                                      const google::protobuf::Message& request) const {
  const std::string key = IdempotencyKey(request);
  return key.empty() ? "" : store_->ReplayKey(caller.organization_id, key);
}

void TokenAuthority::Forget(const std::function<bool(const Caller&)>& which) {
  std::lock_guard lock(cache_mutex_);
  std::erase_if(cache_, [&](const auto& entry) { return which(entry.second.caller); });
}

absl::StatusOr<auth::v1::ListTokensResponse> TokenAuthority::List(
    const Caller& caller, const auth::v1::ListTokensRequest& request) {
  std::string org = request.organization_id();
  if (!caller.IsPlatformAdmin()) {
    if (org.empty()) org = caller.organization_id;
    if (!caller.IsAdminOf(org)) return Forbidden("only organisation admins list tokens");
  }
  int page_size = request.page_size() <= 0 ? 100 : std::min(request.page_size(), 1000);
  auto ids = store_->Ids(org, request.page_token(), page_size + 1);
  if (!ids.ok()) return ids.status();
  auth::v1::ListTokensResponse response;
  for (size_t i = 0; i < ids->size() && static_cast<int>(i) < page_size; ++i) {
    auto token = store_->ById((*ids)[i]);
    if (token.ok() && token->has_value()) *response.add_tokens() = (*token)->info;
  }
  if (static_cast<int>(ids->size()) > page_size)
    response.set_next_page_token((*ids)[page_size - 1]);
  return response;
}

absl::Status TokenAuthority::Revoke(const Caller& caller,
                                    const auth::v1::RevokeTokenRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  auto token = store_->ById(request.id());
  if (!token.ok()) return token.status();
  if (!token->has_value()) return NotFoundError("token", request.id());
  if (!caller.IsAdminOf((*token)->info.organization_id()))
    return Forbidden("only admins of the token's organisation revoke it");
  if (auto status = store_->Revoke(request.id(), (*token)->info.organization_id()); !status.ok())
    return status;
  Forget([&](const Caller& cached) { return cached.token_id == request.id(); });
  return absl::OkStatus();
}

absl::Status TokenAuthority::RevokeOrganization(absl::string_view organization_id) {
  if (auto status = store_->RevokeOrganization(organization_id); !status.ok()) return status;
  Forget([&](const Caller& cached) { return cached.organization_id == organization_id; });
  return absl::OkStatus();
}

}  // namespace infrashare
