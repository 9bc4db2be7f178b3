// The booking rules of a resource, decided before the atomic store call: what a request must look
// like, who may book, and when the resource is open. Pure domain code: no gRPC, no Redis.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/scheduler/catalog.h"

namespace infrashare::scheduler {

// Milliseconds since the Unix epoch: the unit of every instant the booking store keeps.
using EpochMs = int64_t;
inline constexpr EpochMs kDayMs = 24LL * 60 * 60 * 1000;

struct MsInterval {
  EpochMs start = 0;
  EpochMs end = 0;
  bool operator==(const MsInterval&) const = default;
};

// What a valid request would block.
struct Slot {
  EpochMs start = 0;
  EpochMs end = 0;
  EpochMs blocked_start = 0;  // start minus the resource's buffer before
  EpochMs blocked_end = 0;    // end plus its buffer after
  int quantity = 1;
  int capacity = 1;  // 1 on an exclusive resource
};

// What a booking counts against the resource's quota and SME share (unit-minutes: minutes x
// quantity), and the limits that apply to it.
struct Allowance {
  std::string quota_key;    // "<org>|<period>", "" = no quota applies
  int64_t quota_limit = 0;  // unit-minutes per period
  std::string sme_key;      // ISO week of the start, "" = not counted (SME partner or owner)
  int64_t sme_limit = -1;   // non-SME unit-minutes allowed that week; -1 = no check (released)
  int64_t unit_minutes = 0;
};

// Seats or units in use over a blocked interval.
struct Usage {
  EpochMs blocked_start = 0;
  EpochMs blocked_end = 0;
  int quantity = 1;
  std::string booking_id;  // "" when not known
};

struct FreeSpan {
  EpochMs start = 0;
  EpochMs end = 0;
  int remaining = 0;
  bool operator==(const FreeSpan&) const = default;
};

// Seats or units a booking may take at once: `capacity` when shared, 1 when exclusive.
int EffectiveCapacity(const registry::v1::Resource& resource);

// OK while the resource takes bookings; else FAILED_PRECONDITION with RESOURCE_RETIRED,
// RESOURCE_NOT_ACTIVE or RESOURCE_IN_MAINTENANCE.
absl::Status InUse(const registry::v1::Resource& resource);
// OK when the resource is open throughout [start, end); else OUTSIDE_AVAILABILITY.
absl::Status OpenThroughout(const BookableResource& bookable, EpochMs start, EpochMs end);

// Checks `request` against the resource's lifecycle and booking rules at `now` and returns the
// slot it would block. INVALID_ARGUMENT names the field; FAILED_PRECONDITION carries a reason
// (RESOURCE_RETIRED, LEAD_TIME, TOO_FAR_AHEAD, DURATION_TOO_SHORT, DURATION_TOO_LONG,
// OUTSIDE_AVAILABILITY, ...). Start and end must be whole multiples of `time_step_s` seconds (60:
// on the minute).
absl::StatusOr<Slot> PlanBooking(const v1::CreateBookingRequest& request,
                                 const BookableResource& bookable, EpochMs now, int time_step_s);

// The occurrences of a recurring booking, starting before `horizon`: `rrule` with DTSTART `start`
// in the resource's zone, each at DTSTART's local wall-clock time (a time in the spring gap moves
// forward by the gap, an ambiguous one is its first instance) and as long as [start, end) in
// elapsed time. `start` itself is an occurrence only when it matches the rule. INVALID_ARGUMENT
// naming `rrule` when it is malformed or yields none or more than `max_occurrences`.
absl::StatusOr<std::vector<MsInterval>> ExpandSeries(const registry::v1::Resource& resource,
                                                     EpochMs start, EpochMs end,
                                                     const std::string& rrule, EpochMs horizon,
                                                     int max_occurrences);

// The quota and SME-share accounting of `slot` booked by `organization` at `now`. The owner is
// neither limited nor counted; SME partners are not counted against the SME share.
Allowance AllowanceFor(const BookableResource& bookable, const Slot& slot,
                       const std::string& organization, bool sme, EpochMs now);

// Whether `organization` may book the resource at all: its access policy, network sharing, and
// SME access. PERMISSION_DENIED says why not.
absl::Status CheckAccess(const registry::v1::Resource& resource, const std::string& organization,
                         const OrganizationFacts& facts, const std::set<std::string>& networks);

// Whether the caller's token may not change bookings (no admin or member role).
bool ReadOnly(const Caller& caller);

// The organisation a booking is for (`requested`, or the caller's own when empty), if the caller
// may book for it on this resource; PERMISSION_DENIED or INVALID_ARGUMENT says why not.
absl::StatusOr<std::string> BookerFor(const Catalog& catalog, const Caller& caller,
                                      const std::string& requested,
                                      const BookableResource& bookable);

// The [from, to) a query asks about: both bounds `required`, or open-ended; at most
// `max_range_days` long when both are given. INVALID_ARGUMENT names the field.
absl::StatusOr<std::pair<EpochMs, EpochMs>> QueryRange(const google::protobuf::Timestamp* start,
                                                       const google::protobuf::Timestamp* end,
                                                       bool required, int max_range_days);

// When the resource is open within [from, to): its published windows minus closures, or all of it
// when no availability is published.
std::vector<MsInterval> OpenTime(const BookableResource& bookable, EpochMs from, EpochMs to);

// Where a new booking of this resource could lie within `open`, given what is already blocked:
// spans with the seats or units left, counting the new booking's own buffers (a booking
// [s, e) blocks [s - before, e + after)). Adjacent spans with equal capacity are merged.
std::vector<FreeSpan> FreeSpans(const std::vector<MsInterval>& open, const std::vector<Usage>& busy,
                                int capacity, EpochMs buffer_before, EpochMs buffer_after);

// How a booking organisation is reported: school, company, sme, government, other.
std::string BookerKind(const OrganizationFacts& facts);

// The tariff a booking earns under the resource's terms: per hour, or per started day when that
// is cheaper; nothing unless the terms are TARIFF.
int64_t TariffCents(const registry::v1::Terms& terms, EpochMs duration, int quantity);

EpochMs ToEpochMs(const google::protobuf::Timestamp& t);
google::protobuf::Timestamp FromEpochMs(EpochMs ms);

}  // namespace infrashare::scheduler
