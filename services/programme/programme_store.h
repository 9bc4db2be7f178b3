// Where events and registrations live. ProgrammeStore is what the programme needs;
// RedisProgrammeStore keeps them under one hash tag, {pg}, where every change of an event's places
// is one call of a Redis function (programme.lua), so concurrent registrations on any number of
// replicas never admit more than the capacity.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/programme/v1/programme.pb.h"
#include "services/common/redis.h"

namespace infrashare::programme {

using EpochMs = int64_t;

struct SaveCommand {
  v1::Event event;                    // counts, state and etag are the store's
  bool create = false;                // the event must not exist yet
  std::string expected_etag;          // "" = any
  std::vector<std::string> networks;  // a new event's network indexes
  // "<organisation>:<request_id>#<fingerprint>" (IdempotencyKey), "" without a request id.
  std::string replay_key;
};

struct RegisterCommand {
  std::string event_id;
  std::string registration_id;
  std::string organization_id;
  std::string person_name;
  std::string person_email;  // lower case; "" for an organisation without names
  int places = 1;
  std::string replay_key;
};

// Where a list of events resumes: after the event with this start (the index's score) and id.
struct EventCursor {
  EpochMs start = -1;  // -1: from the index's beginning
  std::string id;
};

struct EventPage {
  std::vector<v1::Event> events;
  std::optional<EventCursor> next;  // nullopt: no more
};

// Which events an index holds: all, a resource's or a network's.
struct EventIndex {
  enum class Kind { kAll, kResource, kNetwork } kind = Kind::kAll;
  std::string id;
};

// Events one List call looks at, at most.
inline constexpr int kListScanBudget = 2000;

class ProgrammeStore {
 public:
  virtual ~ProgrammeStore() = default;
  virtual absl::StatusOr<v1::Event> Save(const SaveCommand& command) = 0;
  virtual absl::StatusOr<std::optional<v1::Event>> Get(const std::string& event_id) = 0;
  // Events of the index starting in [from, to), by start (then id), after `after`; up to `limit`
  // of those `keep` accepts, with where to continue. A page ends early, with a cursor, once it
  // has looked at kListScanBudget events: a filter that matches nothing does not read the whole
  // index in one call. An event created or removed between pages neither repeats nor hides one.
  virtual absl::StatusOr<EventPage> List(const EventIndex& index, EpochMs from, EpochMs to,
                                         const EventCursor& after, int limit,
                                         const std::function<bool(const v1::Event&)>& keep) = 0;
  virtual absl::StatusOr<v1::Registration> Register(const RegisterCommand& command) = 0;
  // `organiser`: the caller acts for the organiser (may cancel anyone's registration).
  virtual absl::StatusOr<v1::Registration> Unregister(const std::string& event_id,
                                                      const std::string& registration_id,
                                                      const std::string& caller_organization,
                                                      bool organiser,
                                                      const std::string& replay_key) = 0;
  virtual absl::StatusOr<v1::Registration> RecordAttendance(const std::string& event_id,
                                                            const std::string& registration_id,
                                                            bool attended) = 0;
  // Every registration of the event in order of arrival, waitlist positions filled in.
  virtual absl::StatusOr<std::vector<v1::Registration>> Registrations(
      const std::string& event_id) = 0;
  // The registrations naming the person (e-mail in lower case), and their erasure.
  virtual absl::StatusOr<std::vector<v1::Registration>> PersonRegistrations(
      const std::string& email) = 0;
  virtual absl::StatusOr<int> ErasePerson(const std::string& email) = 0;
  // The stream of changes of events' records: `type` CREATED, UPDATED or CANCELLED, `e` the id;
  // and of registrations, for timed webhooks: `type` REGISTERED or UNREGISTERED, `e`, `o` the
  // registering organisation.
  virtual std::string EventsKey() const = 0;
};

class RedisProgrammeStore final : public ProgrammeStore {
 public:
  RedisProgrammeStore(RedisPool* redis, int request_id_ttl_s);

  absl::StatusOr<v1::Event> Save(const SaveCommand& command) override;
  absl::StatusOr<std::optional<v1::Event>> Get(const std::string& event_id) override;
  absl::StatusOr<EventPage> List(const EventIndex& index, EpochMs from, EpochMs to,
                                 const EventCursor& after, int limit,
                                 const std::function<bool(const v1::Event&)>& keep) override;
  absl::StatusOr<v1::Registration> Register(const RegisterCommand& command) override;
  absl::StatusOr<v1::Registration> Unregister(const std::string& event_id,
                                              const std::string& registration_id,
                                              const std::string& caller_organization,
                                              bool organiser,
                                              const std::string& replay_key) override;
  absl::StatusOr<v1::Registration> RecordAttendance(const std::string& event_id,
                                                    const std::string& registration_id,
                                                    bool attended) override;
  absl::StatusOr<std::vector<v1::Registration>> Registrations(const std::string& event_id) override;
  absl::StatusOr<std::vector<v1::Registration>> PersonRegistrations(
      const std::string& email) override;
  absl::StatusOr<int> ErasePerson(const std::string& email) override;
  std::string EventsKey() const override { return Key("events"); }

  // "<prefix>{pg}:<suffix>".
  std::string Key(absl::string_view suffix) const;
  std::string PersonKey(absl::string_view email) const;
  // What a mutating call's replay is stored under ("" without a request id).
  std::string ReplayKey(absl::string_view replay) const;

 private:
  RedisPool* redis_;
  int request_id_ttl_s_;
  std::string base_;
};

// A registration as programme.lua encodes it (JSON) to the API message.
absl::StatusOr<v1::Registration> ParseStoredRegistration(absl::string_view json);

}  // namespace infrashare::programme
