// Where bookings live. BookingStore is what the scheduler needs; RedisBookingStore keeps bookings
// in Redis, where every decision is one call of a Redis function (booking.lua) on the resource's
// shard, so concurrent calls from any number of replicas are serialised per resource.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/config.h"
#include "services/common/redis.h"
#include "services/common/redis_function.h"
#include "services/common/stream_ids.h"
#include "services/scheduler/booking_policy.h"

namespace infrashare::scheduler {

struct Occurrence {
  std::string booking_id;
  Slot slot;
  Allowance allowance;
};

// One occurrence of an earlier Book's answer (BookingStore::Replayed).
struct BookedBefore {
  EpochMs start = 0, end = 0;
  absl::StatusOr<v1::Booking> result;
};

struct BookCommand {
  std::string resource_id;
  std::string organization_id;
  std::vector<Occurrence> occurrences;  // one for a single booking
  bool all_or_nothing = true;
  std::string series_id;  // recurring bookings only
  int capacity = 1;
  bool hold = false;
  bool approval_required = false;
  bool training_required = false;  // the organisation must be on the resource's trained list
  std::string title;
  std::string notes;
  std::string request_id;  // "" = not idempotent
  std::string
      expected_version;  // "" = any; otherwise ABORTED unless the resource is at this version
  // A booking somebody must check in to is released as a no-show after the configured grace; one
  // the system makes (a rotation leg: the unit stands at a partner's site) never is.
  bool release_as_no_show = true;
  // The record of another component the booking holds the resource for (a programme event's id):
  // only a transition naming it (that component's) cancels the booking.
  std::string held_for;
  // Bookings of the resource this call replaces: they do not count against the occurrences and
  // are cancelled (with `replace_reason`) in the same step as the occurrences are booked.
  std::vector<std::string> replace_booking_ids;
  std::string replace_reason;
  // The booker's address for e-mails about a single booking ("" none): kept apart from it
  // (BookerContact), until scheduler.contact_retention_days after its end.
  std::string contact_email = {};
};

enum class Transition { kSubmit, kApprove, kReject, kCancel, kCheckIn };

struct TransitionCommand {
  std::string booking_id;
  Transition transition = Transition::kSubmit;
  std::string caller_organization;
  bool caller_owns_resource = false;
  bool caller_is_admin = false;
  std::string reason;
  std::string request_id;
  std::string held_for{};  // the component's record, to cancel a booking held for it
  // Submitting a hold: the resource's capacity now (0: not checked) and whether the booker must
  // be trained now, checked again in the same step (a hold promoted from the waiting list was
  // made under the facts of when its entry joined).
  int capacity = 0;
  bool training_required = false;
};

struct WaitCommand {
  std::string entry_id;  // also the id of the hold it may become
  std::string resource_id;
  std::string organization_id;
  Slot slot;
  Allowance allowance;
  bool approval_required = false;
  bool training_required = false;
  std::string title;
  std::string request_id;
  std::string contact_email = {};  // as BookCommand's; the booking it becomes keeps it
};

// A booking or waiting entry whose booker's address is one person's (for export).
struct ContactedBooking {
  std::string id;
  std::string resource_id;
  EpochMs start = 0;
  EpochMs end = 0;
  std::string state;  // the booking's (CONFIRMED, ...) or the entry's (WAITING, PROMOTED, ...)
  std::string email;
};

using PagePosition = std::pair<EpochMs, std::string>;  // a booking's (start, id) in its index

struct BookingPage {
  std::vector<v1::Booking> bookings;  // unredacted, in (start, id) order
  bool more = false;
  // When more: every booking up to here was looked at; the next page goes on after it (it may lie
  // beyond the last booking of this page, or this page be empty, when a state filter matched
  // little of what was looked at).
  PagePosition resume;
};

struct PageQuery {
  EpochMs from = 0;                   // bookings starting at or after
  EpochMs to = 0;                     // and before
  std::optional<PagePosition> after;  // where the previous page ended (its resume)
  int limit = 50;
  std::vector<v1::BookingState> states;  // empty = all
  // Bookings looked at per index and call at most: a filter that matches little would otherwise
  // read a whole index in one Redis call.
  int scan_budget = 2000;
};

// What a usage report counts of a booking: who booked how many units of the resource, when.
struct BookedSpan {
  std::string booking_id;
  std::string organization_id;
  EpochMs start = 0;
  EpochMs end = 0;
  int quantity = 0;
};

struct BookingEventRecord {
  v1::BookingEventType type = v1::BOOKING_EVENT_TYPE_UNSPECIFIED;
  v1::Booking booking;
  bool booker_contact = false;  // its booker gave an address (BookerContact may still hold it)
};
// An entry of a shard's event stream.
absl::StatusOr<BookingEventRecord> BookingEventOf(const StreamEntry& entry);

// What already blocks resources: all that finding free slots, or checking that a resource has no
// bookings left, reads of the booking store. It cannot book.
class BookingCalendar {
 public:
  virtual ~BookingCalendar() = default;
  // What blocks the resource within [from, to): holds that have lapsed are left out.
  virtual absl::StatusOr<std::vector<Usage>> Busy(const std::string& resource_id, EpochMs from,
                                                  EpochMs to) = 0;
  // The booking, unredacted; nullopt when there is none.
  virtual absl::StatusOr<std::optional<v1::Booking>> Get(const std::string& booking_id) = 0;
  // Busy() of many resources in one round trip.
  virtual absl::StatusOr<std::vector<std::vector<Usage>>> BusyMany(
      const std::vector<std::string>& resource_ids, EpochMs from, EpochMs to) = 0;
  // For each resource, whether the organisation is on its trained list, in one round trip.
  virtual absl::StatusOr<std::vector<bool>> TrainedMany(
      const std::vector<std::string>& resource_ids, const std::string& organization_id) = 0;
  // A resource's bookings, a page at a time (usage reports read it too).
  virtual absl::StatusOr<BookingPage> ListByResource(const std::string& resource_id,
                                                     const PageQuery& query) = 0;
  // For usage reports: calls `visit(i, span)` for each confirmed, checked-in and completed booking
  // of `resource_ids[i]` that reaches into [from, to) (starts before `to`, ends after `from`: a
  // booking of two years counts in each month it spans), each resource's in (start, id) order —
  // only what a report counts, for many resources in few round trips and bounded memory.
  using SpanVisitor = std::function<void(size_t resource_index, const BookedSpan& span)>;
  virtual absl::Status VisitCountedSpans(const std::vector<std::string>& resource_ids, EpochMs from,
                                         EpochMs to, const SpanVisitor& visit) = 0;
};

class BookingStore : public BookingCalendar {
 public:
  // Decides and records bookings, one result per occurrence: the booking, or FAILED_PRECONDITION
  // SLOT_TAKEN / CAPACITY_EXCEEDED when it does not fit next to what already blocks the resource
  // (NOT_BOOKED for the others when all or nothing).
  virtual absl::StatusOr<std::vector<absl::StatusOr<v1::Booking>>> Book(
      const BookCommand& command) = 0;
  // What Book answered `command`'s request before (its organisation and request_id), one result
  // per occurrence it was given, each with the occurrence's start; nullopt when it has not been
  // answered (or has no request_id). For a retry whose checks before the store no longer hold.
  virtual absl::StatusOr<std::optional<std::vector<BookedBefore>>> Replayed(
      const BookCommand& command) = 0;
  using BookDone = std::function<void(absl::StatusOr<std::vector<absl::StatusOr<v1::Booking>>>)>;
  // The same without waiting: `done` runs when the decision is made (on another thread).
  virtual void BookAsync(const BookCommand& command, BookDone done) = 0;
  virtual absl::StatusOr<v1::Booking> Apply(const TransitionCommand& command) = 0;
  // Waits for a slot that is taken now (SLOT_AVAILABLE when it is free).
  virtual absl::StatusOr<v1::WaitlistEntry> JoinWaitlist(const WaitCommand& command) = 0;
  virtual absl::StatusOr<v1::WaitlistEntry> LeaveWaitlist(const std::string& entry_id,
                                                          const std::string& caller_organization,
                                                          bool caller_is_admin) = 0;
  virtual absl::StatusOr<std::vector<v1::WaitlistEntry>> Waiting(
      const std::string& resource_id) = 0;
  // Records (or revokes) that an organisation's people are trained on a resource; returns the
  // organisations now on the list.
  virtual absl::StatusOr<std::vector<std::string>> SetTrained(const std::string& resource_id,
                                                              const std::string& organization_id,
                                                              bool trained) = 0;
  // The resources' booking versions (every change of a resource's bookings bumps it).
  virtual absl::StatusOr<std::vector<std::string>> Versions(
      const std::vector<std::string>& resource_ids) = 0;
  virtual absl::StatusOr<BookingPage> ListByOrganization(const std::string& organization_id,
                                                         const PageQuery& query) = 0;
  // Applies the time-based transitions that are due in one shard; returns how many it looked at.
  virtual absl::StatusOr<int> Sweep(int shard, int limit) = 0;
  // How many bookings are in `state`, one with a timer (held, pending approval, confirmed,
  // checked in); with `due_within_ms`, only those whose next time-based transition (a hold's
  // expiry) falls within that many ms from now. For the business gauges (docs/metrics.md).
  virtual absl::StatusOr<int64_t> CountInState(v1::BookingState state,
                                               std::optional<int64_t> due_within_ms) = 0;
  // The booker's address kept for e-mails about a booking or waiting entry (a promoted entry's
  // booking has its id); "" when none is kept (none given, erased, past the retention).
  virtual absl::StatusOr<std::string> BookerContact(const std::string& booking_id) = 0;
  // Every booking and waiting entry whose booker's address has the hash `person` (PersonOf).
  virtual absl::StatusOr<std::vector<ContactedBooking>> BookingsOfContact(
      const std::string& person) = 0;
  // Deletes those addresses; returns how many.
  virtual absl::StatusOr<int> ForgetContact(const std::string& person) = 0;
  virtual int shards() const = 0;
  // The event stream of every shard (BookingEventOf reads their entries).
  virtual std::vector<std::string> EventKeys() const = 0;
};

// "<resource id>.<random>": the id carries the resource, so a booking is found from it alone.
std::string NewBookingId(absl::string_view resource_id);
// The resource of a booking id; empty when the id is malformed.
std::string ResourceOfBooking(absl::string_view booking_id);

class RedisBookingStore final : public BookingStore {
 public:
  RedisBookingStore(RedisPool* redis, const SchedulerConfig& config);

  absl::StatusOr<std::vector<absl::StatusOr<v1::Booking>>> Book(
      const BookCommand& command) override;
  void BookAsync(const BookCommand& command, BookDone done) override;
  absl::StatusOr<std::optional<std::vector<BookedBefore>>> Replayed(
      const BookCommand& command) override;
  absl::StatusOr<v1::Booking> Apply(const TransitionCommand& command) override;
  absl::StatusOr<std::optional<v1::Booking>> Get(const std::string& booking_id) override;
  absl::StatusOr<v1::WaitlistEntry> JoinWaitlist(const WaitCommand& command) override;
  absl::StatusOr<v1::WaitlistEntry> LeaveWaitlist(const std::string& entry_id,
                                                  const std::string& caller_organization,
                                                  bool caller_is_admin) override;
  absl::StatusOr<std::vector<v1::WaitlistEntry>> Waiting(const std::string& resource_id) override;
  absl::StatusOr<std::vector<std::string>> SetTrained(const std::string& resource_id,
                                                      const std::string& organization_id,
                                                      bool trained) override;
  absl::StatusOr<std::vector<Usage>> Busy(const std::string& resource_id, EpochMs from,
                                          EpochMs to) override;
  absl::StatusOr<std::vector<std::string>> Versions(
      const std::vector<std::string>& resource_ids) override;
  absl::StatusOr<std::vector<std::vector<Usage>>> BusyMany(
      const std::vector<std::string>& resource_ids, EpochMs from, EpochMs to) override;
  absl::StatusOr<std::vector<bool>> TrainedMany(const std::vector<std::string>& resource_ids,
                                                const std::string& organization_id) override;
  absl::StatusOr<BookingPage> ListByResource(const std::string& resource_id,
                                             const PageQuery& query) override;
  absl::StatusOr<BookingPage> ListByOrganization(const std::string& organization_id,
                                                 const PageQuery& query) override;
  absl::Status VisitCountedSpans(const std::vector<std::string>& resource_ids, EpochMs from,
                                 EpochMs to, const SpanVisitor& visit) override;
  absl::StatusOr<int> Sweep(int shard, int limit) override;
  absl::StatusOr<int64_t> CountInState(v1::BookingState state,
                                       std::optional<int64_t> due_within_ms) override;
  absl::StatusOr<std::string> BookerContact(const std::string& booking_id) override;
  absl::StatusOr<std::vector<ContactedBooking>> BookingsOfContact(
      const std::string& person) override;
  absl::StatusOr<int> ForgetContact(const std::string& person) override;
  int shards() const override { return config_.shards; }
  std::vector<std::string> EventKeys() const override;

  int ShardOf(absl::string_view resource_id) const;
  // "<prefix>{bk:<shard>}:": every key of the resources in a shard starts with it.
  std::string Base(int shard) const;
  // The resource's meta key: what its functions name as KEYS[1].
  std::string MetaKey(absl::string_view resource_id) const;

 private:
  RedisFunctionCall BookCall(const BookCommand& command) const;
  // The booker's address, its person hash and how long it is kept after the end.
  void AddContact(const std::string& email, RedisFunctionCall* call) const;
  RedisFunctionCall PageCall(int shard, std::string index, const PageQuery& query) const;
  std::string ReplayKey(int shard, absl::string_view organization,
                        absl::string_view request_id) const;

  RedisPool* redis_;
  SchedulerConfig config_;
};

// A booking as booking.lua encodes it (JSON of its hash fields) to the API message.
absl::StatusOr<v1::Booking> ParseStoredBooking(absl::string_view json);
absl::StatusOr<v1::WaitlistEntry> ParseStoredEntry(absl::string_view json);

}  // namespace infrashare::scheduler
