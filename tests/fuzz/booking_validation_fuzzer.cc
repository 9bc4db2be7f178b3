// The scheduler's request validation (services/scheduler/booking_policy.h, Rotations::CheckRequest)
// on a resource and a request as they could be: input is
//   [selector] [now: days after 2027-01-01] [u16 n] [n bytes: Resource] [u16 m] [m bytes:
//   Availability] [the request]
// in protobuf wire format. The resource and its availability are merged onto a valid record and
// used only when they pass the registry's validation, as everything in the catalogue has. What
// PlanBooking admits is a slot inside the rules; what ExpandSeries admits is a bounded, ordered
// series; the tariff and quota arithmetic on them does not overflow.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/config.h"
#include "services/common/errors.h"
#include "services/registry/validation.h"
#include "services/scheduler/booking_policy.h"
#include "services/scheduler/rotations.h"
#include "tests/fuzz/input.h"
#include "tests/fuzz/invariant.h"

namespace {

namespace reg = infrashare::registry;
namespace sch = infrashare::scheduler;
using infrashare::fuzz::Input;
using infrashare::fuzz::Require;
using sch::EpochMs;

constexpr EpochMs kMinuteMs = 60 * 1000;
constexpr EpochMs kDayMs = 24 * 60 * kMinuteMs;
constexpr EpochMs k2027 = 1798761600000;  // 2027-01-01T00:00:00Z
// Booking times on any whole second: the fuzzer reaches the rules after the time-step check (that
// check has its tests in scheduler_api_test).
constexpr int kAnySecond = 1;
const infrashare::SchedulerConfig kConfig;

// The resource and availability the request is checked against; nullopt when the registry would
// not have admitted them.
std::optional<sch::BookableResource> Bookable(const std::string& resource_bytes,
                                              const std::string& availability_bytes) {
  auto resource = std::make_shared<reg::v1::Resource>();
  resource->set_id("res-a");
  resource->set_display_name("Lasrobot");
  resource->set_kind(reg::v1::RESOURCE_KIND_EQUIPMENT);
  resource->set_owner_organization_id("org-a");
  resource->mutable_location()->mutable_point()->set_latitude(52.22);
  resource->mutable_location()->mutable_point()->set_longitude(6.89);
  if (!resource->MergeFromString(resource_bytes)) return std::nullopt;
  reg::ApplyDefaults(resource.get());
  infrashare::FieldErrors errors;
  reg::Validate(*resource, "resource", &errors);
  if (!errors.empty()) return std::nullopt;
  sch::BookableResource bookable{resource, nullptr};
  if (!availability_bytes.empty()) {
    reg::v1::PublishAvailabilityRequest published;
    if (!published.ParseFromString(availability_bytes)) return std::nullopt;
    reg::ValidateAvailability(published, &errors);
    if (!errors.empty()) return std::nullopt;
    auto availability = std::make_shared<reg::v1::Availability>();
    *availability->mutable_rules() = published.rules();
    *availability->mutable_closures() = published.closures();
    bookable.availability = std::move(availability);
  }
  return bookable;
}

void CheckSlot(const sch::Slot& slot, const sch::BookableResource& bookable, EpochMs now) {
  const auto& resource = *bookable.resource;
  const auto& rules = resource.booking_rules();
  Require(slot.start >= now && slot.start < slot.end,
          "an admitted slot starts now or later and is not empty");
  Require(slot.quantity >= 1 && slot.quantity <= slot.capacity,
          "an admitted quantity fits the capacity");
  Require(slot.blocked_start == slot.start - rules.buffer_before_minutes() * kMinuteMs &&
              slot.blocked_end == slot.end + rules.buffer_after_minutes() * kMinuteMs,
          "the blocked time is the slot with its buffers");
  if (rules.max_duration_minutes() > 0)
    Require(slot.end - slot.start <= rules.max_duration_minutes() * kMinuteMs,
            "an admitted slot is not too long");
  bool open = false;
  for (const auto& w : sch::OpenTime(bookable, slot.start, slot.end))
    open = open || (w.start <= slot.start && w.end >= slot.end);
  Require(open, "an admitted slot lies in the resource's open time");
  // What is done with an admitted slot: its price and the quota it counts against.
  Require(sch::TariffCents(resource.terms(), slot.end - slot.start, slot.quantity) >= 0,
          "a tariff is not negative");
  for (bool sme : {false, true}) {
    const sch::Allowance a = sch::AllowanceFor(bookable, slot, "org-b", sme, now);
    Require(a.unit_minutes >= 0, "a booking counts a non-negative number of unit-minutes");
  }
}

void CreateBooking(const sch::BookableResource& bookable,
                   const sch::v1::CreateBookingRequest& request, EpochMs now) {
  auto slot = sch::PlanBooking(request, bookable, now, kAnySecond);
  if (slot.ok()) CheckSlot(*slot, bookable, now);
}

// As Scheduler::CreateRecurringBooking decides before it books.
void CreateRecurringBooking(const sch::BookableResource& bookable,
                            const sch::v1::CreateRecurringBookingRequest& request, EpochMs now) {
  if (!sch::v1::RecurrenceMode_IsValid(request.mode())) return;
  sch::v1::CreateBookingRequest single;
  *single.mutable_start_time() = request.start_time();
  *single.mutable_end_time() = request.end_time();
  single.set_quantity(request.quantity());
  if (auto first = sch::PlanBooking(single, bookable, now, kAnySecond);
      !first.ok() && first.status().code() == absl::StatusCode::kInvalidArgument)
    return;
  const EpochMs start = sch::ToEpochMs(request.start_time());
  const EpochMs end = sch::ToEpochMs(request.end_time());
  const EpochMs horizon = now + kConfig.max_query_range_days * kDayMs;
  auto series = sch::ExpandSeries(*bookable.resource, start, end, request.rrule(), horizon,
                                  kConfig.max_occurrences);
  if (!series.ok()) return;
  Require(!series->empty() && static_cast<int>(series->size()) <= kConfig.max_occurrences,
          "an admitted series has 1 to max_occurrences occurrences");
  for (size_t i = 0; i < series->size(); ++i) {
    const auto& o = (*series)[i];
    Require(o.start >= start && o.start < horizon,
            "an occurrence starts from start_time, before the horizon");
    Require(o.end - o.start == end - start, "every occurrence lasts as long as the first");
    if (i > 0) Require((*series)[i - 1].start < o.start, "occurrences are in time order");
    if (i >= 20) continue;  // each occurrence is planned as the first was; a few show it
    *single.mutable_start_time() = sch::FromEpochMs(o.start);
    *single.mutable_end_time() = sch::FromEpochMs(o.end);
    if (auto slot = sch::PlanBooking(single, bookable, now, kAnySecond); slot.ok())
      CheckSlot(*slot, bookable, now);
  }
}

void RotationRequest(const sch::v1::CreateRotationRequestRequest& request, bool owner) {
  sch::v1::RotationPool pool;
  pool.add_unit_resource_ids("res-a");
  pool.add_unit_resource_ids("res-b");
  sch::v1::RotationRequest r = request.rotation_request();
  if (r.units() == 0) r.set_units(1);
  if (!sch::Rotations::CheckRequest(r, pool, owner).ok()) return;
  Require(r.units() >= 1 && r.units() <= pool.unit_resource_ids_size(),
          "an admitted request asks for pool units");
  Require(r.duration_days() >= 1 && r.duration_days() <= 366,
          "an admitted request lasts 1 to 366 days");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t selector = in.Byte();
  const EpochMs now = k2027 + in.Byte() * 3 * kDayMs + 12 * 60 * kMinuteMs;
  const std::string resource_bytes = in.Part();
  const std::string availability_bytes = in.Part();
  const std::string request_bytes = in.Rest();
  if (selector % 3 == 2) {
    sch::v1::CreateRotationRequestRequest request;
    if (request.ParseFromString(request_bytes)) RotationRequest(request, selector & 0x80);
    return 0;
  }
  const auto bookable = Bookable(resource_bytes, availability_bytes);
  if (!bookable) return 0;
  if (selector % 3 == 0) {
    sch::v1::CreateBookingRequest request;
    if (request.ParseFromString(request_bytes)) CreateBooking(*bookable, request, now);
  } else {
    sch::v1::CreateRecurringBookingRequest request;
    if (request.ParseFromString(request_bytes)) CreateRecurringBooking(*bookable, request, now);
  }
  return 0;
}
