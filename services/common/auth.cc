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
  return caller;
}

// Now, to the millisecond (Debian's protobuf 3.21 Now() has whole seconds,
// which kept an expired token valid until the end of its second).
google::protobuf::Timestamp Now() { return TimeUtil::MillisecondsToTimestamp(NowMs()); }

constexpr std::array<absl::string_view, 5> kServices = {"auth", "registry", "scheduler", "desk",
                                                        "privacy"};

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

TokenStore::TokenStore(RedisPool* redis, AuthConfig config)
    : redis_(redis), config_(std::move(config)) {
  if (!config_.bootstrap_admin_token.empty())
    bootstrap_hash_ = SecretHash(config_.bootstrap_admin_token);
}

std::string TokenStore::Key(absl::string_view suffix) const {
  return absl::StrCat(redis_->prefix(), "{auth}:", suffix);
}

absl::StatusOr<Caller> TokenStore::Authenticate(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return NotAuthenticated("missing 'authorization: Bearer <token>'");
  absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(value, kBearer))
    return NotAuthenticated("authorization must be 'Bearer <token>'");
  return Resolve(value.substr(kBearer.size()));
}

absl::StatusOr<Caller> TokenStore::Resolve(absl::string_view token) {
  if (token.empty() || token.size() > 256) return NotAuthenticated("invalid token");
  std::string hash = SecretHash(token);
  if (!bootstrap_hash_.empty() && SameHash(hash, bootstrap_hash_)) {
    return Caller{
        "bootstrap", std::string(kPlatformOrganization), {auth::v1::ROLE_PLATFORM_ADMIN}, {}, {}};
  }
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(hash); it != cache_.end() && it->second.expires > now) {
      // A cached token still expires on time, not when its cache entry does.
      if (it->second.token_expires_ms != 0 && NowMs() >= it->second.token_expires_ms)
        return NotAuthenticated("token expired");
      return it->second.caller;
    }
  }
  auto reply = redis_->Command({"GET", Key(absl::StrCat("tok:", hash))});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return NotAuthenticated("unknown or revoked token");
  auth::v1::TokenInfo info;
  if (!info.ParseFromString(reply->str)) return absl::InternalError("corrupt token record");
  if (info.has_expire_time() && info.expire_time() <= Now())
    return NotAuthenticated("token expired");
  Caller caller = FromInfo(info);
  if (config_.cache_ttl_ms > 0) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kCacheLimit) cache_.clear();
    cache_[hash] =
        Cached{caller, now + std::chrono::milliseconds(config_.cache_ttl_ms),
               info.has_expire_time() ? TimeUtil::TimestampToMilliseconds(info.expire_time()) : 0};
  }
  return caller;
}

absl::StatusOr<auth::v1::CreateTokenResponse> TokenStore::Create(
    const Caller& caller, const auth::v1::CreateTokenRequest& request) {
  FieldErrors errors;
  if (request.organization_id().empty()) errors.Add("organization_id", "is required");
  if (request.roles().empty()) errors.Add("roles", "at least one role is required");
  for (int role : request.roles())
    if (!auth::v1::Role_IsValid(role) || role == auth::v1::ROLE_UNSPECIFIED)
      errors.Add("roles", absl::StrCat("unknown role ", role));
  if (request.description().size() > 200) errors.Add("description", "at most 200 characters");
  if (request.request_id().size() > 128) errors.Add("request_id", "at most 128 characters");
  if (request.has_expire_time() && request.expire_time() <= Now())
    errors.Add("expire_time", "must be in the future");
  for (int i = 0; i < request.services_size(); ++i)
    if (std::find(kServices.begin(), kServices.end(), request.services(i)) == kServices.end())
      errors.Add(absl::StrCat("services[", i, "]"),
                 "is not one of auth, registry, scheduler, desk, privacy");
  if (!errors.empty()) return errors.ToStatus();
  if (!WithinScope(caller, request.services())) {
    return Forbidden("a token scoped to some services creates tokens scoped within them");
  }

  bool privileged = false;
  for (int role : request.roles())
    privileged = privileged || role == auth::v1::ROLE_PLATFORM_ADMIN ||
                 role == auth::v1::ROLE_NETWORK_COORDINATOR;
  if (!caller.IsPlatformAdmin() && (privileged || !caller.IsAdminOf(request.organization_id())))
    return Forbidden(
        "only platform admins, or admins of the organisation for its own non-platform roles, "
        "create tokens");
  if (request.organization_id() == kPlatformOrganization) {
    for (int role : request.roles())
      if (role != auth::v1::ROLE_PLATFORM_ADMIN)
        return InvalidField("organization_id", "'platform' holds only platform-admin tokens");
  } else {
    // The organisation lives in the registry's keys; reading another service's keys is allowed.
    auto exists = redis_->Command(
        {"EXISTS", absl::StrCat(redis_->prefix(), "{reg}:org:", request.organization_id())});
    if (!exists.ok()) return exists.status();
    if (exists->integer == 0) return NotFoundError("organization", request.organization_id());
  }

  auth::v1::TokenInfo info;
  info.set_organization_id(request.organization_id());
  *info.mutable_roles() = request.roles();
  *info.mutable_network_ids() = request.network_ids();
  *info.mutable_services() = request.services();
  info.set_description(request.description());
  if (request.has_expire_time()) *info.mutable_expire_time() = request.expire_time();
  return Mint(caller, std::move(info), ReplayKey(caller, request));
}

absl::StatusOr<auth::v1::CreateTokenResponse> TokenStore::Mint(const Caller& caller,
                                                               auth::v1::TokenInfo info,
                                                               const std::string& replay) {
  std::string id = NewId("tok");
  std::string secret = absl::StrCat("ist_", id.substr(4), "_", RandomBase32(32));
  std::string hash = SecretHash(secret);
  info.set_id(id);
  *info.mutable_create_time() = Now();
  info.set_created_by(caller.token_id);
  auth::v1::CreateTokenResponse response;
  response.set_token(secret);
  *response.mutable_info() = info;
  RedisFunctionCall call("auth_create");
  call.Key("token", Key(absl::StrCat("tok:", hash)))
      .Key("tokid", Key(absl::StrCat("tokid:", id)))
      .Key("tokens", Key("tokens"))
      .Key("org", Key(absl::StrCat("org:", info.organization_id())))
      .Replay(replay, config_.create_replay_ttl_s)
      .Arg("id", id)
      .Arg("hash", hash)
      .Arg("info", info.SerializeAsString())
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

absl::StatusOr<auth::v1::CreateTokenResponse> TokenStore::Rotate(
    const Caller& caller, const auth::v1::RotateTokenRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  if (request.overlap_seconds() < 0 || request.overlap_seconds() > 604800)
    return InvalidField("overlap_seconds", "must be between 0 and 604800 (a week)");
  std::string old_hash;
  auto old = InfoById(request.id(), &old_hash);
  if (!old.ok()) return old.status();
  if (!caller.IsAdminOf(old->organization_id()) && caller.token_id != request.id())
    return Forbidden("only admins of the token's organisation, or the token itself, rotate it");
  if (!WithinScope(caller, old->services()))
    return Forbidden("a token scoped to some services rotates only tokens scoped within them");
  const auto now = Now();
  if (old->has_expire_time() && old->expire_time() <= now)
    return NotAuthenticated("the token has expired");
  auth::v1::TokenInfo info = *old;
  info.clear_create_time();
  auto minted = Mint(caller, std::move(info), ReplayKey(caller, request));
  if (!minted.ok()) return minted;
  // The old token ends after the overlap: its record is rewritten only while it still exists, so
  // a revocation in between is never undone.
  auto ends = now + TimeUtil::SecondsToDuration(request.overlap_seconds());
  if (!old->has_expire_time() || ends < old->expire_time()) *old->mutable_expire_time() = ends;
  auto set = redis_->Command(
      {"SET", Key(absl::StrCat("tok:", old_hash)), old->SerializeAsString(), "XX", "KEEPTTL"});
  if (!set.ok()) return set.status();
  std::lock_guard lock(cache_mutex_);
  std::erase_if(cache_,
                [&](const auto& entry) { return entry.second.caller.token_id == request.id(); });
  return minted;
}

std::string TokenStore::ReplayKey(const Caller& caller,
                                  const google::protobuf::Message& request) const {
  const std::string key = IdempotencyKey(request);
  return key.empty() ? "" : Key(absl::StrCat("req:", caller.organization_id, ":", key));
}

absl::StatusOr<auth::v1::TokenInfo> TokenStore::InfoById(absl::string_view id,
                                                         std::string* hash_out) {
  auto hash = redis_->Command({"GET", Key(absl::StrCat("tokid:", id))});
  if (!hash.ok()) return hash.status();
  if (hash->is_nil()) return NotFoundError("token", id);
  auto data = redis_->Command({"GET", Key(absl::StrCat("tok:", hash->str))});
  if (!data.ok()) return data.status();
  auth::v1::TokenInfo info;
  if (data->is_nil() || !info.ParseFromString(data->str)) return NotFoundError("token", id);
  if (hash_out != nullptr) *hash_out = hash->str;
  return info;
}

absl::StatusOr<auth::v1::ListTokensResponse> TokenStore::List(
    const Caller& caller, const auth::v1::ListTokensRequest& request) {
  std::string org = request.organization_id();
  if (!caller.IsPlatformAdmin()) {
    if (org.empty()) org = caller.organization_id;
    if (!caller.IsAdminOf(org)) return Forbidden("only organisation admins list tokens");
  }
  int page_size = request.page_size() <= 0 ? 100 : std::min(request.page_size(), 1000);
  std::string index = org.empty() ? Key("tokens") : Key(absl::StrCat("org:", org));
  std::string from = request.page_token().empty() ? "-" : "(" + request.page_token();
  auto ids = redis_->Command(
      {"ZRANGEBYLEX", index, from, "+", "LIMIT", "0", std::to_string(page_size + 1)});
  if (!ids.ok()) return ids.status();
  auth::v1::ListTokensResponse response;
  for (size_t i = 0; i < ids->elements.size() && static_cast<int>(i) < page_size; ++i) {
    auto info = InfoById(ids->elements[i].str);
    if (info.ok()) *response.add_tokens() = *info;
  }
  if (static_cast<int>(ids->elements.size()) > page_size)
    response.set_next_page_token(ids->elements[page_size - 1].str);
  return response;
}

absl::Status TokenStore::Revoke(const Caller& caller, const auth::v1::RevokeTokenRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  auto info = InfoById(request.id());
  if (!info.ok()) return info.status();
  if (!caller.IsAdminOf(info->organization_id()))
    return Forbidden("only admins of the token's organisation revoke it");
  RedisFunctionCall call("auth_revoke");
  call.Key("base", Key(""))
      .Key("tokid", Key(absl::StrCat("tokid:", request.id())))
      .Key("tokens", Key("tokens"))
      .Key("org", Key(absl::StrCat("org:", info->organization_id())))
      .Arg("id", request.id());
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  std::lock_guard lock(cache_mutex_);
  std::erase_if(cache_,
                [&](const auto& entry) { return entry.second.caller.token_id == request.id(); });
  return absl::OkStatus();
}

absl::Status TokenStore::RevokeOrganization(absl::string_view organization_id) {
  RedisFunctionCall call("auth_revoke_org");
  call.Key("base", Key(""))
      .Key("tokens", Key("tokens"))
      .Key("org", Key(absl::StrCat("org:", organization_id)));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  std::lock_guard lock(cache_mutex_);
  std::erase_if(cache_, [&](const auto& entry) {
    return entry.second.caller.organization_id == organization_id;
  });
  return absl::OkStatus();
}

}  // namespace infrashare
