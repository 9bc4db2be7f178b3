#include "services/common/rate_limit.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/redis_function.h"

namespace infrashare {
namespace {

bool StartsWithAny(absl::string_view name, std::initializer_list<absl::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](absl::string_view p) { return absl::StartsWith(name, p); });
}

std::string Micros(double per_second) { return absl::StrCat(std::llround(1e6 / per_second)); }

}  // namespace

absl::string_view MethodName(absl::string_view method) {
  const size_t dot = method.rfind('.');
  return dot == absl::string_view::npos ? method : method.substr(dot + 1);
}

const char* RateGroupOf(absl::string_view method) {
  const absl::string_view name = MethodName(method);
  if (name == "ImportResources" || name == "PlanRotation" || name == "PreviewRotationPlan" ||
      name == "FindSlots" || absl::EndsWith(name, "Report"))
    return "heavy";
  if (name == "WhoAmI" || name == "CheckAvailability" ||
      StartsWithAny(name, {"Get", "List", "Search", "Export", "Watch", "Stream"}))
    return "read";
  return "write";
}

RateLimiter::RateLimiter(RedisPool* redis, RateLimitConfig config)
    : redis_(redis), config_(config) {}

bool RateLimiter::Exempt(const Caller& caller) const {
  return !config_.enabled || caller.token_id == "bootstrap";  // the operator's own token
}

absl::Status RateLimiter::Take(const Caller& caller, absl::string_view method) {
  if (Exempt(caller)) return absl::OkStatus();
  const std::string group = RateGroupOf(method);
  const RateLimit& limit = group == "read"    ? config_.read
                           : group == "write" ? config_.write
                                              : config_.heavy;
  const std::string key = absl::StrCat(caller.token_id, "/", group);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(leases_mutex_);
    auto it = leases_.find(key);
    if (it != leases_.end() && it->second.remaining > 0 && now < it->second.expires) {
      --it->second.remaining;
      return absl::OkStatus();
    }
  }
  const double rate = std::min(limit.per_token_per_s, limit.per_org_per_s);
  const int burst = std::min(limit.token_burst, limit.org_burst);
  const int lease = std::clamp(std::min(static_cast<int>(rate / 20), burst / 8), 1, 64);
  absl::Status taken = TakeShared(caller, group, limit, lease);
  int granted = lease;
  if (!taken.ok() && lease > 1) {  // near the limit: the lease does not fit, one call may
    taken = TakeShared(caller, group, limit, 1);
    granted = 1;
  }
  if (!taken.ok()) return taken;
  std::lock_guard lock(leases_mutex_);
  if (leases_.size() > 100000)
    std::erase_if(leases_, [&](const auto& e) { return e.second.expires <= now; });
  // Calls that missed the lease at the same moment each took one from Redis: what they took adds
  // up (overwriting dropped the rest of a lease already paid for, and a burst of concurrent calls
  // then ran out of allowance far below the limit).
  Lease& held = leases_[key];
  if (held.expires <= now) held.remaining = 0;
  held.remaining += granted - 1;
  held.expires = now + std::chrono::milliseconds(100);
  return absl::OkStatus();
}

absl::Status RateLimiter::TakeShared(const Caller& caller, const std::string& group,
                                     const RateLimit& limit, int count) {
  const std::string tag = absl::StrCat(redis_->prefix(), "{rl:", caller.organization_id, "}:");
  RedisFunctionCall call("rate_take");
  call.Key("token", absl::StrCat(tag, "t:", caller.token_id, ":", group))
      .Key("org", absl::StrCat(tag, "o:", group))
      .Arg("token_interval", Micros(limit.per_token_per_s))
      .Int("token_tolerance", std::llround(1e6 / limit.per_token_per_s * limit.token_burst))
      .Arg("org_interval", Micros(limit.per_org_per_s))
      .Int("org_tolerance", std::llround(1e6 / limit.per_org_per_s * limit.org_burst))
      .Int("count", count);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  // A limiter that cannot reach Redis lets calls through: the call itself will say Redis is down.
  if (!reply.ok()) return absl::OkStatus();
  if (reply->elements.empty() || reply->elements[0].integer == 0) return absl::OkStatus();
  int64_t wait_us = 0;
  if (reply->elements.size() < 3 || !absl::SimpleAtoi(reply->elements[1].str, &wait_us))
    return absl::OkStatus();
  const bool token = reply->elements[2].str == "token";
  const int64_t wait_ms = std::max<int64_t>(1, (wait_us + 999) / 1000);
  return RateLimited(
      token ? absl::StrCat("token:", caller.token_id, ":", group)
            : absl::StrCat("organization:", caller.organization_id, ":", group),
      absl::StrCat("rate limit of ", token ? "this token" : "this organisation", " for ", group,
                   " calls (", token ? limit.per_token_per_s : limit.per_org_per_s, " per second, ",
                   token ? limit.token_burst : limit.org_burst, " at once) reached"),
      wait_ms);
}

RateLimiter::StreamPlace::~StreamPlace() {
  std::lock_guard lock(limiter_->streams_mutex_);
  if (--limiter_->open_streams_[token_] <= 0) limiter_->open_streams_.erase(token_);
}

absl::StatusOr<std::unique_ptr<RateLimiter::StreamPlace>> RateLimiter::OpenStream(
    const Caller& caller) {
  std::lock_guard lock(streams_mutex_);
  int& open = open_streams_[caller.token_id];
  if (!Exempt(caller) && open >= config_.max_streams_per_token)
    return RateLimited(
        absl::StrCat("token:", caller.token_id, ":streams"),
        absl::StrCat("this token already holds ", open, " open streams on this server (at most ",
                     config_.max_streams_per_token, "); close one first"),
        1000);
  ++open;
  return std::make_unique<StreamPlace>(this, caller.token_id);
}

}  // namespace infrashare
