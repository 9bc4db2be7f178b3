#include "services/scheduler/calendar_feeds.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/auth.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/text_fold.h"

namespace infrashare::scheduler {
namespace {

constexpr absl::string_view kSecretPrefix = "isc_";
constexpr size_t kSecretRandomChars = 32;  // base32: 160 bits

bool LooksLikeSecret(absl::string_view secret) {
  if (secret.size() != kSecretPrefix.size() + kSecretRandomChars ||
      !absl::StartsWith(secret, kSecretPrefix))
    return false;
  for (char c : secret.substr(kSecretPrefix.size()))
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
  return true;
}

absl::Status NoSuchFeed() { return absl::NotFoundError("no calendar feed has this address"); }

// Who a feed reads the bookings as: its organisation, with no right to change anything.
Caller FeedReader(const StoredCalendarFeed& stored) {
  Caller caller;
  caller.token_id = "calendar_feed:" + stored.feed.id();
  caller.organization_id = stored.holder;
  caller.roles = {auth::v1::ROLE_READ_ONLY_INTEGRATOR};
  return caller;
}

}  // namespace

CalendarFeeds::CalendarFeeds(CalendarFeedStore* store, Scheduler* scheduler, Catalog* catalog,
                             CalendarFeedConfig config, SiteLocator site, Clock clock)
    : store_(store),
      scheduler_(scheduler),
      catalog_(catalog),
      config_(config),
      site_(std::move(site)),
      clock_(std::move(clock)) {}

absl::StatusOr<v1::CalendarFeed> CalendarFeeds::Create(const Caller& caller,
                                                       const v1::CreateCalendarFeedRequest& asked) {
  if (!asked.organization_id().empty() && !asked.resource_id().empty())
    return InvalidField("organization_id", "give at most one of organization_id and resource_id");
  v1::CreateCalendarFeedRequest request = asked;
  // Neither named: a feed of the caller's organisation's bookings.
  if (request.organization_id().empty() && request.resource_id().empty())
    request.set_organization_id(caller.organization_id);
  if (Characters(request.description()) > 200)
    return InvalidField("description", "at most 200 characters");
  if (!catalog_->ready())
    return StoreUnavailable("the scheduler's resource catalogue is still loading");
  std::string holder;
  if (!request.organization_id().empty()) {
    if (!IsValidId(request.organization_id()))
      return InvalidField("organization_id", "is not an organisation id");
    if (!caller.CanWriteFor(request.organization_id()))
      return Forbidden("an organisation's admins and members make feeds of its own bookings");
    auto exists = catalog_->OrganizationExists(request.organization_id());
    if (!exists.ok()) return exists.status();
    if (!*exists) return NotFoundError("organization", request.organization_id());
    holder = request.organization_id();
  } else {
    if (!IsValidId(request.resource_id()))
      return InvalidField("resource_id", "is not a resource id");
    auto facts = catalog_->Find(request.resource_id());
    if (!facts.ok()) return facts.status();
    if (!*facts) return NotFoundError("resource", request.resource_id());
    holder = (*facts)->resource->owner_organization_id();
    if (!caller.CanWriteFor(holder))
      return Forbidden("the resource's owner makes feeds of its bookings");
  }

  if (auto lasting = MayGrantLasting(caller, "calendar feeds"); !lasting.ok()) return lasting;
  StoredCalendarFeed stored;
  stored.holder = holder;
  v1::CalendarFeed& feed = stored.feed;
  feed.set_id(NewId("cal"));
  feed.set_organization_id(request.organization_id());
  feed.set_resource_id(request.resource_id());
  feed.set_description(request.description());
  *feed.mutable_create_time() = FromEpochMs(clock_());
  feed.set_created_by(caller.token_id);
  const std::string secret = absl::StrCat(kSecretPrefix, RandomBase32(kSecretRandomChars));
  v1::CalendarFeed response = feed;
  response.set_secret(secret);
  response.set_url(absl::StrCat(site_ ? site_().base_url : "", kPathPrefix, secret, kPathSuffix));
  return store_->Insert(stored, SecretHash(secret), response,
                        store_->ReplayKey(caller.organization_id, IdempotencyKey(request)),
                        config_.secret_replay_ttl_s, kMaxPerOrganization);
}

absl::StatusOr<v1::ListCalendarFeedsResponse> CalendarFeeds::List(
    const Caller& caller, const v1::ListCalendarFeedsRequest& request) {
  const std::string organization =
      request.organization_id().empty() ? caller.organization_id : request.organization_id();
  if (!caller.CanWriteFor(organization))
    return Forbidden("an organisation's admins and members list its calendar feeds");
  auto feeds = store_->HeldBy(organization);
  if (!feeds.ok()) return feeds.status();
  v1::ListCalendarFeedsResponse response;
  for (auto& feed : *feeds) *response.add_feeds() = std::move(feed);
  return response;
}

absl::StatusOr<v1::CalendarFeed> CalendarFeeds::Revoke(
    const Caller& caller, const v1::RevokeCalendarFeedRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  const std::string replay = store_->ReplayKey(caller.organization_id, IdempotencyKey(request));
  auto found = store_->ById(request.id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    // Gone: a retry of this caller's own revocation gets its first answer from the store, any
    // other call NOT_FOUND (the store finds neither a replay nor the feed).
    StoredCalendarFeed gone;
    gone.feed.set_id(request.id());
    gone.holder = caller.organization_id;
    return store_->Revoke(gone, replay, config_.request_id_ttl_s);
  }
  if (!caller.CanWriteFor((*found)->holder))
    return Forbidden("an organisation's admins and members revoke its calendar feeds");
  return store_->Revoke(**found, replay, config_.request_id_ttl_s);
}

absl::StatusOr<std::string> CalendarFeeds::Calendar(absl::string_view secret) {
  if (!LooksLikeSecret(secret)) return NoSuchFeed();
  auto found = store_->ByHash(SecretHash(secret));
  if (!found.ok()) return found.status();
  if (!found->has_value()) return NoSuchFeed();
  const StoredCalendarFeed& stored = **found;
  // A feed lapses with its organisation, or with its resource or the resource's passing to
  // another owner: it shows only what its holder may see now.
  if (!stored.feed.organization_id().empty()) {
    auto exists = catalog_->OrganizationExists(stored.holder);
    if (!exists.ok()) return exists.status();
    if (!*exists) return NoSuchFeed();
  } else {
    auto facts = catalog_->Find(stored.feed.resource_id());
    if (!facts.ok()) return facts.status();
    if (!*facts || (*facts)->resource->owner_organization_id() != stored.holder)
      return NoSuchFeed();
  }
  v1::ExportCalendarRequest request;
  request.set_organization_id(stored.feed.organization_id());
  request.set_resource_id(stored.feed.resource_id());
  const EpochMs from = clock_() - config_.past_days * kDayMs;
  *request.mutable_start_time() = FromEpochMs(from);
  *request.mutable_end_time() = FromEpochMs(from + config_.window_days * kDayMs);
  auto calendar = scheduler_->FeedCalendar(FeedReader(stored), request);
  if (!calendar.ok()) return calendar.status();
  return std::move(*calendar->mutable_ical());
}

}  // namespace infrashare::scheduler
