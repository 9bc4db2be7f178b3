#include "services/scheduler/booking_policy.h"

#include <date/iso_week.h>

#include <algorithm>
#include <limits>
#include <map>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "services/common/availability.h"
#include "services/common/errors.h"
#include "services/common/text_fold.h"

namespace infrashare::scheduler {
namespace {

constexpr EpochMs kMinute = 60 * 1000;
constexpr EpochMs kDay = 24 * 60 * kMinute;
// Timestamps beyond year 9999 are not instants anybody books.
constexpr int64_t kMaxSeconds = 253402300799;

bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= 0 && t.seconds() <= kMaxSeconds && t.nanos() >= 0 && t.nanos() < 1000000000;
}

}  // namespace

std::string BookerKind(const OrganizationFacts& facts) {
  if (facts.sme) return "sme";
  switch (facts.kind) {
    case registry::v1::ORGANIZATION_KIND_SECONDARY_SCHOOL:
    case registry::v1::ORGANIZATION_KIND_VOCATIONAL_SCHOOL:
    case registry::v1::ORGANIZATION_KIND_UNIVERSITY_OF_APPLIED_SCIENCES:
    case registry::v1::ORGANIZATION_KIND_UNIVERSITY:
      return "school";
    case registry::v1::ORGANIZATION_KIND_COMPANY:
      return "company";
    case registry::v1::ORGANIZATION_KIND_GOVERNMENT:
      return "government";
    default:
      return "other";
  }
}

int64_t TariffCents(const registry::v1::Terms& terms, EpochMs duration, int quantity) {
  if (terms.kind() != registry::v1::TERMS_KIND_TARIFF) return 0;
  // In 128 bits, capped at the int64 maximum: what the API admits (up to 1e12 cents an hour, a
  // booking of two centuries, 100,000 units) overflows 64 bits.
  using Wide = absl::int128;
  const Wide by_hour = terms.tariff_per_hour_cents() > 0
                           ? Wide(terms.tariff_per_hour_cents()) * duration / (60 * kMinute)
                           : -1;
  const Wide by_day = terms.tariff_per_day_cents() > 0 ? Wide(terms.tariff_per_day_cents()) *
                                                             ((Wide(duration) + kDay - 1) / kDay)
                                                       : -1;
  Wide per_unit = 0;
  if (by_hour >= 0 && by_day >= 0) {
    per_unit = by_hour < by_day ? by_hour : by_day;
  } else if (by_hour > 0 || by_day > 0) {
    per_unit = by_hour > by_day ? by_hour : by_day;
  }
  const Wide total = per_unit * quantity;
  const Wide max = std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(total > max ? max : total);
}

EpochMs ToEpochMs(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

google::protobuf::Timestamp FromEpochMs(EpochMs ms) {
  // Rounded down, so that a time before 1970 (only a damaged record has one) keeps its nanos in
  // [0, 1e9) as a Timestamp must.
  const bool before = ms % 1000 < 0;
  google::protobuf::Timestamp t;
  t.set_seconds(ms / 1000 - (before ? 1 : 0));
  t.set_nanos(static_cast<int32_t>(ms % 1000 + (before ? 1000 : 0)) * 1000000);
  return t;
}

int EffectiveCapacity(const registry::v1::Resource& resource) {
  if (resource.booking_mode() == registry::v1::BOOKING_MODE_SHARED_CAPACITY)
    return std::max(1, resource.capacity());
  return 1;
}

absl::Status InUse(const registry::v1::Resource& resource) {
  switch (resource.lifecycle().state()) {
    case registry::v1::LIFECYCLE_STATE_RETIRED:
      return PreconditionError("RESOURCE_RETIRED", "the resource is retired and cannot be booked");
    case registry::v1::LIFECYCLE_STATE_PLANNED:
      return PreconditionError("RESOURCE_NOT_ACTIVE", "the resource is planned, not yet in use");
    case registry::v1::LIFECYCLE_STATE_MAINTENANCE:
      return PreconditionError("RESOURCE_IN_MAINTENANCE", "the resource is in maintenance");
    default:
      return absl::OkStatus();
  }
}

absl::Status OpenThroughout(const BookableResource& bookable, EpochMs start, EpochMs end) {
  for (const auto& window : OpenTime(bookable, start, end))
    if (window.start <= start && window.end >= end) return absl::OkStatus();
  return PreconditionError("OUTSIDE_AVAILABILITY",
                           "the resource is not open throughout the slot (availability, closures)");
}

absl::StatusOr<Slot> PlanBooking(const v1::CreateBookingRequest& request,
                                 const BookableResource& bookable, EpochMs now, int time_step_s) {
  const auto& resource = *bookable.resource;
  const int capacity = EffectiveCapacity(resource);
  FieldErrors errors;
  if (!request.has_start_time()) {
    errors.Add("start_time", "is required");
  } else if (!ValidTimestamp(request.start_time())) {
    errors.Add("start_time", "is not a valid timestamp");
  }
  if (!request.has_end_time()) {
    errors.Add("end_time", "is required");
  } else if (!ValidTimestamp(request.end_time())) {
    errors.Add("end_time", "is not a valid timestamp");
  }
  // Unset (0) means one seat or unit, as the API documents.
  const int quantity = request.quantity() == 0 ? 1 : request.quantity();
  if (quantity < 1) {
    errors.Add("quantity", "must be at least 1");
  } else if (quantity > capacity) {
    errors.Add("quantity", absl::StrCat("exceeds the resource's capacity of ", capacity));
  }
  if (Characters(request.title()) > 200) errors.Add("title", "at most 200 characters");
  if (Characters(request.notes()) > 2000) errors.Add("notes", "at most 2000 characters");
  if (!errors.empty()) return errors.ToStatus();

  Slot slot;
  slot.start = ToEpochMs(request.start_time());
  slot.end = ToEpochMs(request.end_time());
  if (slot.end <= slot.start) return InvalidField("end_time", "must be after start_time");
  if (slot.start < now) return InvalidField("start_time", "is in the past");
  // A booking 10:00:30-11:00:30 would leave half minutes nobody can book, and no slot search or
  // opening hours produce one: a time off the step is a mistake, not something to round away.
  const EpochMs step = std::max(1, time_step_s) * 1000LL;
  const std::string on_step =
      time_step_s == 60
          ? std::string("bookings start and end on a whole minute: leave out the seconds")
          : absl::StrCat("bookings start and end on whole multiples of ", time_step_s, " seconds");
  // The step is whole seconds: any fraction of a second (nanos) is off it too.
  if (slot.start % step != 0 || request.start_time().nanos() != 0)
    errors.Add("start_time", on_step);
  if (slot.end % step != 0 || request.end_time().nanos() != 0) errors.Add("end_time", on_step);
  if (!errors.empty()) return errors.ToStatus();
  slot.quantity = quantity;
  slot.capacity = capacity;

  if (auto in_use = InUse(resource); !in_use.ok()) return in_use;

  const auto& rules = resource.booking_rules();
  const EpochMs duration = slot.end - slot.start;
  if (rules.min_duration_minutes() > 0 && duration < rules.min_duration_minutes() * kMinute)
    return PreconditionError(
        "DURATION_TOO_SHORT",
        absl::StrCat("bookings last at least ", rules.min_duration_minutes(), " minutes"));
  if (rules.max_duration_minutes() > 0 && duration > rules.max_duration_minutes() * kMinute)
    return PreconditionError(
        "DURATION_TOO_LONG",
        absl::StrCat("bookings last at most ", rules.max_duration_minutes(), " minutes"));
  if (slot.start < now + rules.lead_time_minutes() * kMinute)
    return PreconditionError(
        "LEAD_TIME", absl::StrCat("bookings must be made at least ", rules.lead_time_minutes(),
                                  " minutes before the start"));
  if (rules.max_advance_days() > 0 && slot.start > now + rules.max_advance_days() * kDay)
    return PreconditionError(
        "TOO_FAR_AHEAD",
        absl::StrCat("bookings open at most ", rules.max_advance_days(), " days ahead"));
  if (auto open = OpenThroughout(bookable, slot.start, slot.end); !open.ok()) return open;
  slot.blocked_start = slot.start - rules.buffer_before_minutes() * kMinute;
  slot.blocked_end = slot.end + rules.buffer_after_minutes() * kMinute;
  return slot;
}

absl::StatusOr<std::vector<MsInterval>> ExpandSeries(const registry::v1::Resource& resource,
                                                     EpochMs start, EpochMs end,
                                                     const std::string& rrule, EpochMs horizon,
                                                     int max_occurrences) {
  if (auto valid = CheckRrule(rrule); !valid.ok()) return InvalidField("rrule", valid.message());
  if (start % kMinute != 0)
    return InvalidField("start_time", "a recurring booking starts on a whole minute");
  if (end <= start) return InvalidField("end_time", "must be after start_time");
  const date::time_zone* zone = FindTimeZone(resource.time_zone());
  if (zone == nullptr) zone = FindTimeZone("Europe/Amsterdam");
  const SysSeconds first{std::chrono::seconds(start / 1000)};
  const date::local_seconds dtstart = zone->to_local(first);
  // Occurrences resolve an ambiguous local time to its first instance; so must DTSTART, or the
  // series would not begin where it was asked to.
  if (LocalToUtc(zone, dtstart) != first)
    return InvalidField("start_time",
                        "is the second instance of a local time the clocks repeat; "
                        "a series starts at the first");
  auto starts = ExpandSeriesStarts(rrule, zone, dtstart, first,
                                   SysSeconds(std::chrono::seconds((horizon + 999) / 1000)));
  if (!starts.ok()) return InvalidField("rrule", starts.status().message());
  if (static_cast<int>(starts->size()) > max_occurrences)
    return InvalidField(
        "rrule", absl::StrCat("yields more than ", max_occurrences,
                              " occurrences within the booking horizon; lower COUNT or set an "
                              "earlier UNTIL, or book the series in parts"));
  if (starts->empty())
    return InvalidField("rrule",
                        "yields no occurrence from start_time within the booking horizon "
                        "(scheduler.max_query_range_days from now)");
  // Every occurrence lasts as long as the first in elapsed time (RFC 5545's DURATION).
  std::vector<MsInterval> out;
  for (const SysSeconds s : *starts) {
    const EpochMs ms = s.time_since_epoch().count() * 1000;
    out.push_back({ms, ms + (end - start)});
  }
  return out;
}

Allowance AllowanceFor(const BookableResource& bookable, const Slot& slot,
                       const std::string& organization, bool sme, EpochMs now) {
  const auto& resource = *bookable.resource;
  const auto& rules = resource.booking_rules();
  Allowance a;
  if (organization == resource.owner_organization_id()) return a;
  if (rules.quota_hours() == 0 && rules.sme_share_percent() == 0) return a;
  a.unit_minutes = (slot.end - slot.start + kMinute - 1) / kMinute * slot.quantity;
  const date::time_zone* zone = FindTimeZone(resource.time_zone());
  if (zone == nullptr) zone = FindTimeZone("Europe/Amsterdam");
  const auto local = zone->to_local(SysSeconds(std::chrono::seconds(slot.start / 1000)));
  const auto local_day = date::floor<date::days>(local);
  const iso_week::year_weeknum_weekday iso(local_day);
  const std::string week =
      absl::StrCat(static_cast<int>(iso.year()), "-W",
                   absl::Dec(static_cast<unsigned>(iso.weeknum()), absl::kZeroPad2));
  if (rules.quota_hours() > 0) {
    const date::year_month_day ymd(local_day);
    a.quota_key = absl::StrCat(
        organization, "|",
        rules.quota_period() == registry::v1::QUOTA_PERIOD_MONTH
            ? absl::StrCat(static_cast<int>(ymd.year()), "-",
                           absl::Dec(static_cast<unsigned>(ymd.month()), absl::kZeroPad2))
            : week);
    a.quota_limit = int64_t{rules.quota_hours()} * 60;
  }
  if (rules.sme_share_percent() > 0 && !sme) {
    a.sme_key = week;
    if (slot.start > now + rules.sme_release_days() * kDay) {
      // The week's open unit-minutes, of which the non-SME part may be booked by anyone.
      const auto monday = date::local_days(
          iso_week::year_weeknum_weekday(iso.year(), iso.weeknum(), iso_week::mon));
      const EpochMs from = LocalToUtc(zone, date::local_seconds(monday.time_since_epoch()))
                               .time_since_epoch()
                               .count() *
                           1000;
      const EpochMs to =
          LocalToUtc(zone, date::local_seconds((monday + date::days(7)).time_since_epoch()))
              .time_since_epoch()
              .count() *
          1000;
      int64_t open_minutes = 0;
      for (const auto& w : OpenTime(bookable, from, to))
        open_minutes += (w.end - w.start) / kMinute;
      a.sme_limit =
          open_minutes * EffectiveCapacity(resource) * (100 - rules.sme_share_percent()) / 100;
    }
  }
  return a;
}

absl::Status CheckAccess(const registry::v1::Resource& resource, const std::string& organization,
                         const OrganizationFacts& facts, const std::set<std::string>& networks) {
  if (organization == resource.owner_organization_id()) return absl::OkStatus();
  switch (resource.access_policy()) {
    case registry::v1::ACCESS_POLICY_OWNER_ONLY:
      return Forbidden("only the owner organisation books this resource");
    case registry::v1::ACCESS_POLICY_PUBLIC:
      break;
    case registry::v1::ACCESS_POLICY_REGISTERED_PARTNERS:
      if (!facts.known)
        return Forbidden("only organisations registered in the registry book this resource");
      break;
    default: {  // network members, the default
      bool shared = false;
      for (const auto& network : resource.shared_with_network_ids())
        shared = shared || networks.count(network) > 0;
      if (!shared)
        return Forbidden("only members of a network the resource is shared with book it");
    }
  }
  if (facts.sme && !resource.sme_accessible())
    return Forbidden("the owner has not opened this resource to SME partners");
  return absl::OkStatus();
}

bool ReadOnly(const Caller& caller) {
  return !caller.IsPlatformAdmin() && !caller.Has(auth::v1::ROLE_ORGANIZATION_ADMIN) &&
         !caller.Has(auth::v1::ROLE_MEMBER);
}

absl::StatusOr<std::string> BookerFor(const Catalog& catalog, const Caller& caller,
                                      const std::string& requested,
                                      const BookableResource& bookable) {
  const std::string organization = requested.empty() ? caller.organization_id : requested;
  if (organization != caller.organization_id && !caller.IsPlatformAdmin())
    return Forbidden("a member books for its own organisation");
  if (organization == kPlatformOrganization)
    return InvalidField("organization_id",
                        "platform tokens book on behalf of an organisation: name it");
  if (!caller.CanWriteFor(organization) || ReadOnly(caller))
    return Forbidden("this token may not book for its organisation");
  if (auto access =
          CheckAccess(*bookable.resource, organization, catalog.Organization(organization),
                      catalog.NetworksOf(organization));
      !access.ok())
    return access;
  return organization;
}

absl::StatusOr<std::pair<EpochMs, EpochMs>> QueryRange(const google::protobuf::Timestamp* start,
                                                       const google::protobuf::Timestamp* end,
                                                       bool required, int max_range_days) {
  FieldErrors errors;
  if (required && start == nullptr) errors.Add("start_time", "is required");
  if (required && end == nullptr) errors.Add("end_time", "is required");
  if (!errors.empty()) return errors.ToStatus();
  EpochMs from = start ? ToEpochMs(*start) : 0;
  EpochMs to = end ? ToEpochMs(*end) : std::numeric_limits<EpochMs>::max() / 2;
  if (to <= from) return InvalidField("end_time", "must be after start_time");
  if (start && end && to - from > max_range_days * kDayMs)
    return InvalidField("end_time",
                        absl::StrCat("the range may span at most ", max_range_days, " days"));
  return std::make_pair(from, to);
}

std::vector<MsInterval> OpenTime(const BookableResource& bookable, EpochMs from, EpochMs to) {
  if (to <= from) return {};
  if (bookable.availability == nullptr) return {{from, to}};
  const date::time_zone* zone = FindTimeZone(bookable.resource->time_zone());
  if (zone == nullptr) zone = FindTimeZone("Europe/Amsterdam");
  // Whole seconds around the range, then clipped to it in milliseconds.
  const SysSeconds from_s{std::chrono::seconds(from / 1000)};
  const SysSeconds to_s{std::chrono::seconds((to + 999) / 1000)};
  std::vector<MsInterval> out;
  for (const auto& w : OpenWindows(*bookable.availability, zone, from_s, to_s)) {
    MsInterval i{std::max<EpochMs>(w.start.time_since_epoch().count() * 1000, from),
                 std::min<EpochMs>(w.end.time_since_epoch().count() * 1000, to)};
    if (i.start < i.end) out.push_back(i);
  }
  return out;
}

std::vector<FreeSpan> FreeSpans(const std::vector<MsInterval>& open, const std::vector<Usage>& busy,
                                int capacity, EpochMs buffer_before, EpochMs buffer_after) {
  // Level changes: a blocked [bs, be) keeps a new booking [s, e) out where s < be + before and
  // e > bs - after, so it occupies [bs - after, be + before) for the new booking's purposes.
  std::map<EpochMs, int> delta;
  for (const auto& u : busy) {
    delta[u.blocked_start - buffer_after] += u.quantity;
    delta[u.blocked_end + buffer_before] -= u.quantity;
  }
  std::vector<FreeSpan> out;
  auto add = [&](EpochMs start, EpochMs end, int remaining) {
    if (start >= end || remaining <= 0) return;
    if (!out.empty() && out.back().end == start && out.back().remaining == remaining) {
      out.back().end = end;
    } else {
      out.push_back({start, end, remaining});
    }
  };
  for (const auto& window : open) {
    int level = 0;
    auto it = delta.begin();
    for (; it != delta.end() && it->first <= window.start; ++it) level += it->second;
    EpochMs at = window.start;
    for (; it != delta.end() && it->first < window.end; ++it) {
      add(at, it->first, capacity - level);
      level += it->second;
      at = it->first;
    }
    add(at, window.end, capacity - level);
  }
  return out;
}

}  // namespace infrashare::scheduler
