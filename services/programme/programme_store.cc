#include "services/programme/programme_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/redis_function.h"

namespace infrashare::programme {
namespace {

using google::protobuf::util::TimeUtil;

EpochMs Ms(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMilliseconds(t); }

int64_t Number(const std::string& text) {
  int64_t n = 0;
  return absl::SimpleAtoi(text, &n) ? n : 0;
}

// pg_save's {pb, st, v, taken, waiting} as the API's event.
absl::StatusOr<v1::Event> EventOf(const std::string& pb, const std::string& state,
                                  const std::string& version, int64_t taken, int64_t waiting) {
  v1::Event event;
  if (!event.ParseFromString(pb)) return absl::InternalError("programme: unreadable event record");
  event.set_state(state == "CANCELLED" ? v1::EVENT_STATE_CANCELLED : v1::EVENT_STATE_SCHEDULED);
  event.set_etag(version);
  event.set_registered(static_cast<int32_t>(taken));
  event.set_waitlisted(static_cast<int32_t>(waiting));
  return event;
}

std::string Text(const RedisValue& v) {
  return v.type == RedisValue::Type::kInteger ? std::to_string(v.integer) : v.str;
}

v1::RegistrationState StateOf(const std::string& st) {
  if (st == "ADMITTED") return v1::REGISTRATION_STATE_ADMITTED;
  if (st == "WAITLISTED") return v1::REGISTRATION_STATE_WAITLISTED;
  if (st == "CANCELLED") return v1::REGISTRATION_STATE_CANCELLED;
  return v1::REGISTRATION_STATE_UNSPECIFIED;
}

}  // namespace

absl::StatusOr<v1::Registration> ParseStoredRegistration(absl::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return absl::InternalError("programme: unreadable registration record");
  auto field = [&](const char* name) { return j.value(name, std::string()); };
  v1::Registration r;
  r.set_id(field("id"));
  r.set_event_id(field("ev"));
  r.set_organization_id(field("org"));
  r.set_person_name(field("name"));
  r.set_person_email(field("mail"));
  r.set_places(static_cast<int32_t>(Number(field("n"))));
  r.set_state(StateOf(field("st")));
  r.set_attended(field("att") == "1");
  r.set_attendance_recorded(field("rec") == "1");
  *r.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(Number(field("cr")));
  *r.mutable_update_time() = TimeUtil::MillisecondsToTimestamp(Number(field("up")));
  return r;
}

RedisProgrammeStore::RedisProgrammeStore(RedisPool* redis, int request_id_ttl_s)
    : redis_(redis),
      request_id_ttl_s_(request_id_ttl_s),
      base_(absl::StrCat(redis->prefix(), "{pg}:")) {}

std::string RedisProgrammeStore::Key(absl::string_view suffix) const {
  return absl::StrCat(base_, suffix);
}

// The person's index holds no address: it is found by the address's hash, as the desk's askers are.
std::string RedisProgrammeStore::PersonKey(absl::string_view email) const {
  return Key(absl::StrCat("p:", SecretHash(email)));
}

std::string RedisProgrammeStore::ReplayKey(absl::string_view replay) const {
  if (replay.empty()) return "";
  return absl::StrCat(base_, "req:", replay);
}

absl::StatusOr<v1::Event> RedisProgrammeStore::Save(const SaveCommand& command) {
  const v1::Event& e = command.event;
  v1::Event record = e;
  record.clear_etag();
  record.clear_registered();
  record.clear_waitlisted();
  RedisFunctionCall call("pg_save");
  call.Key("base", base_)
      .Key("event", Key("e:" + e.id()))
      .Key("waiting", Key("w:" + e.id()))
      .Key("regs", Key("r:" + e.id()))
      .Key("all", Key("ix:all"));
  if (!e.resource_id().empty()) call.Key("resource", Key("ix:r:" + e.resource_id()));
  call.Replay(ReplayKey(command.replay_key), request_id_ttl_s_)
      .Arg("id", e.id())
      .Arg("pb", record.SerializeAsString())
      .Arg("st", e.state() == v1::EVENT_STATE_CANCELLED ? "CANCELLED" : "SCHEDULED")
      .Int("s", Ms(e.start_time()))
      .Int("e", Ms(e.end_time()))
      .Int("cap", e.capacity())
      .Flag("open", e.registration_open())
      .Arg("org", e.organizer_organization_id())
      .Flag("create", command.create)
      .Arg("networks", absl::StrJoin(command.networks, " "))
      .Arg("expected", command.expected_etag);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 5) return absl::InternalError("pg_save: malformed reply");
  const auto& f = reply->elements;
  return EventOf(f[0].str, f[1].str, Text(f[2]), Number(Text(f[3])), Number(Text(f[4])));
}

absl::StatusOr<std::optional<v1::Event>> RedisProgrammeStore::Get(const std::string& event_id) {
  auto reply =
      redis_->Command({"HMGET", Key("e:" + event_id), "pb", "st", "v", "taken", "waiting"});
  if (!reply.ok()) return reply.status();
  const auto& f = reply->elements;
  if (f.size() != 5 || f[0].is_nil()) return std::optional<v1::Event>();
  auto event = EventOf(f[0].str, f[1].str, f[2].str, Number(f[3].str), Number(f[4].str));
  if (!event.ok()) return event.status();
  return std::optional<v1::Event>(std::move(*event));
}

absl::StatusOr<EventPage> RedisProgrammeStore::List(
    const EventIndex& index, EpochMs from, EpochMs to, const EventCursor& after, int limit,
    const std::function<bool(const v1::Event&)>& keep) {
  std::string key;
  switch (index.kind) {
    case EventIndex::Kind::kAll:
      key = Key("ix:all");
      break;
    case EventIndex::Kind::kResource:
      key = Key("ix:r:" + index.id);
      break;
    case EventIndex::Kind::kNetwork:
      key = Key("ix:n:" + index.id);
      break;
  }
  constexpr int kChunk = 200;
  EventPage page;
  // Chunk after chunk from the last entry read (keyset, as between calls: an event created with
  // an earlier start meanwhile moves nothing). Members of one score come in byte order of their
  // ids, as the comparison below has them; a run of one start longer than a chunk is passed by
  // offset within the run.
  EventCursor cursor = after;
  int64_t offset = 0;  // entries of the run at cursor.start already passed
  int looked_at = 0;
  std::optional<EventCursor> last_given;
  while (true) {
    auto ids = redis_->Command({"ZRANGEBYSCORE", key, std::to_string(std::max(from, cursor.start)),
                                absl::StrCat("(", to), "WITHSCORES", "LIMIT",
                                std::to_string(offset), std::to_string(kChunk)});
    if (!ids.ok()) return ids.status();
    const auto& flat = ids->elements;
    if (flat.empty()) return page;
    const bool more = static_cast<int>(flat.size()) == 2 * kChunk;
    std::vector<EventCursor> entries;
    std::vector<RedisArgs> reads;
    EventCursor last_read;
    for (size_t i = 0; i + 1 < flat.size(); i += 2) {
      double score = 0;
      if (!absl::SimpleAtod(flat[i + 1].str, &score))
        return absl::InternalError("programme index: a score is not a number");
      last_read = {static_cast<EpochMs>(std::llround(score)), flat[i].str};
      if (cursor.start >= 0 && last_read.start == cursor.start && last_read.id <= cursor.id)
        continue;  // given, or looked at, before
      reads.push_back({"HMGET", Key("e:" + last_read.id), "pb", "st", "v", "taken", "waiting"});
      entries.push_back(last_read);
    }
    auto records = reads.empty()
                       ? absl::StatusOr<std::vector<RedisValue>>(std::vector<RedisValue>())
                       : redis_->Pipeline(reads);
    if (!records.ok()) return records.status();
    for (size_t n = 0; n < entries.size(); ++n) {
      const auto& f = (*records)[n].elements;
      if (f.size() == 5 && !f[0].is_nil()) {
        auto event = EventOf(f[0].str, f[1].str, f[2].str, Number(f[3].str), Number(f[4].str));
        if (!event.ok()) return event.status();
        if (keep(*event)) {
          // One more than the page holds: there is more, from after the last one given.
          if (static_cast<int>(page.events.size()) == limit) {
            page.next = last_given;
            return page;
          }
          page.events.push_back(std::move(*event));
          last_given = entries[n];
        }
      }
      // Looked at enough: the caller goes on from here (a short page, with a cursor).
      if (++looked_at >= kListScanBudget && (n + 1 < entries.size() || more)) {
        page.next = entries[n];
        return page;
      }
    }
    if (!more) return page;
    if (last_read.start == cursor.start) {
      // Still in the run at the cursor's start: on by offset. The cursor's id only grows (the
      // run's first entries, up to a cursor given from its middle, were skipped above).
      offset += kChunk;
      cursor.id = std::max(cursor.id, last_read.id);
    } else {
      offset = 0;
      cursor = last_read;
    }
  }
}

absl::StatusOr<v1::Registration> RedisProgrammeStore::Register(const RegisterCommand& command) {
  const std::string& ev = command.event_id;
  RedisFunctionCall call("pg_register");
  call.Key("event", Key("e:" + ev))
      .Key("regs", Key("r:" + ev))
      .Key("arrivals", Key("a:" + ev))
      .Key("waiting", Key("w:" + ev))
      .Key("dedupe", Key("d:" + ev))
      .Key("events", EventsKey());
  if (!command.person_email.empty()) call.Key("person", PersonKey(command.person_email));
  call.Replay(ReplayKey(command.replay_key), request_id_ttl_s_)
      .Arg("ev", ev)
      .Arg("id", command.registration_id)
      .Arg("org", command.organization_id)
      .Arg("name", command.person_name)
      .Arg("mail", command.person_email)
      .Int("places", command.places);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return ParseStoredRegistration(reply->str);
}

absl::StatusOr<v1::Registration> RedisProgrammeStore::Unregister(
    const std::string& event_id, const std::string& registration_id,
    const std::string& caller_organization, bool organiser, const std::string& replay_key) {
  RedisFunctionCall call("pg_unregister");
  call.Key("event", Key("e:" + event_id))
      .Key("regs", Key("r:" + event_id))
      .Key("waiting", Key("w:" + event_id))
      .Key("dedupe", Key("d:" + event_id))
      .Key("events", EventsKey())
      .Replay(ReplayKey(replay_key), request_id_ttl_s_)
      .Arg("ev", event_id)
      .Arg("id", registration_id)
      .Arg("caller", caller_organization)
      .Flag("organiser", organiser);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return ParseStoredRegistration(reply->str);
}

absl::StatusOr<v1::Registration> RedisProgrammeStore::RecordAttendance(
    const std::string& event_id, const std::string& registration_id, bool attended) {
  RedisFunctionCall call("pg_attend");
  call.Key("event", Key("e:" + event_id))
      .Key("regs", Key("r:" + event_id))
      .Arg("ev", event_id)
      .Arg("id", registration_id)
      .Flag("attended", attended);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return ParseStoredRegistration(reply->str);
}

absl::StatusOr<std::vector<v1::Registration>> RedisProgrammeStore::Registrations(
    const std::string& event_id) {
  auto replies = redis_->Pipeline(
      {{"HVALS", Key("r:" + event_id)}, {"ZRANGE", Key("w:" + event_id), "0", "-1"}});
  if (!replies.ok()) return replies.status();
  std::vector<std::pair<int64_t, v1::Registration>> arrivals;
  for (const auto& json : (*replies)[0].elements) {
    auto r = ParseStoredRegistration(json.str);
    if (!r.ok()) return r.status();
    auto j = nlohmann::json::parse(json.str, nullptr, false);
    arrivals.emplace_back(Number(j.value("seq", std::string("0"))), std::move(*r));
  }
  std::sort(arrivals.begin(), arrivals.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::map<std::string, int> position;
  for (const auto& id : (*replies)[1].elements)
    position[id.str] = static_cast<int>(position.size()) + 1;
  std::vector<v1::Registration> out;
  for (auto& [seq, r] : arrivals) {
    if (auto it = position.find(r.id()); it != position.end()) r.set_waitlist_position(it->second);
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<v1::Registration>> RedisProgrammeStore::PersonRegistrations(
    const std::string& email) {
  auto members = redis_->Command({"SMEMBERS", PersonKey(email)});
  if (!members.ok()) return members.status();
  std::vector<RedisArgs> reads;
  for (const auto& m : members->elements) {
    const size_t space = m.str.find(' ');
    if (space == std::string::npos) continue;
    reads.push_back({"HGET", Key("r:" + m.str.substr(0, space)), m.str.substr(space + 1)});
  }
  std::vector<v1::Registration> out;
  if (reads.empty()) return out;
  auto records = redis_->Pipeline(reads);
  if (!records.ok()) return records.status();
  for (const auto& r : *records) {
    if (r.is_nil()) continue;
    auto registration = ParseStoredRegistration(r.str);
    if (!registration.ok()) return registration.status();
    out.push_back(std::move(*registration));
  }
  return out;
}

absl::StatusOr<int> RedisProgrammeStore::ErasePerson(const std::string& email) {
  RedisFunctionCall call("pg_erase");
  call.Key("base", base_).Key("person", PersonKey(email));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return static_cast<int>(reply->integer);
}

}  // namespace infrashare::programme
