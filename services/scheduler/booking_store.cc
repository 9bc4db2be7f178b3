#include "services/scheduler/booking_store.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/redis_function.h"
#include "services/common/stream_ids.h"
#include "services/common/text_fold.h"

namespace infrashare::scheduler {
namespace {

constexpr EpochMs kMinute = 60 * 1000;

EpochMs Number(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string()) return 0;
  int64_t value = 0;
  return absl::SimpleAtoi(it->get<std::string>(), &value) ? value : 0;
}

std::string Text(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string StateName(v1::BookingState state) {
  // "BOOKING_STATE_CONFIRMED" -> "CONFIRMED", as booking.lua names states.
  return v1::BookingState_Name(state).substr(sizeof("BOOKING_STATE_") - 1);
}

const char* TransitionName(Transition t) {
  switch (t) {
    case Transition::kSubmit:
      return "submit";
    case Transition::kApprove:
      return "approve";
    case Transition::kReject:
      return "reject";
    case Transition::kCancel:
      return "cancel";
    case Transition::kCheckIn:
      return "checkin";
  }
  return "";
}

// The booking from an {'ok'|'replay', json} function reply.
absl::StatusOr<v1::Booking> BookingFromReply(const absl::StatusOr<RedisValue>& reply) {
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 2) return absl::InternalError("unexpected booking reply");
  return ParseStoredBooking(reply->elements[1].str);
}

void AddAllowance(const Allowance& a, RedisFunctionCall* call) {
  call->Arg("qk", a.quota_key)
      .Int("ql", a.quota_limit)
      .Arg("sk", a.sme_key)
      .Int("sl", a.sme_limit)
      .Int("m", a.unit_minutes);
}

// One occurrence's result in sch_book's answer: {b = booking} or {err, msg, s, e}.
absl::StatusOr<v1::Booking> ResultOf(const nlohmann::json& result) {
  if (result.contains("b")) return ParseStoredBooking(result["b"].dump());
  return PreconditionError(Text(result, "err"), Text(result, "msg"));
}

// One result per occurrence from sch_book's {'ok'|'replay', JSON array} reply.
absl::StatusOr<std::vector<absl::StatusOr<v1::Booking>>> BookResults(
    absl::StatusOr<RedisValue> reply, size_t occurrences) {
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 2) return absl::InternalError("unexpected booking reply");
  const std::string& json = reply->elements[1].str;
  auto results = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!results.is_array() || results.size() != occurrences)
    return absl::InternalError("unexpected booking reply");
  std::vector<absl::StatusOr<v1::Booking>> out;
  for (const auto& result : results) out.push_back(ResultOf(result));
  return out;
}

// `text` as a JSON string.
std::string JsonString(const std::string& text) { return nlohmann::json(text).dump(); }

uint32_t Fnv1a(absl::string_view text) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

}  // namespace

std::string NewBookingId(absl::string_view resource_id) {
  return absl::StrCat(resource_id, ".", RandomBase32(12));
}

std::string ResourceOfBooking(absl::string_view booking_id) {
  const size_t dot = booking_id.rfind('.');
  if (dot == absl::string_view::npos || dot == 0 || booking_id.size() - dot != 13) return "";
  absl::string_view resource = booking_id.substr(0, dot);
  return IsValidId(resource) ? std::string(resource) : "";
}

namespace {

// A booking from the JSON booking.lua encodes its hash fields as.
v1::Booking BookingOf(const nlohmann::json& object) {
  v1::Booking b;
  b.set_id(Text(object, "id"));
  b.set_resource_id(Text(object, "res"));
  b.set_organization_id(Text(object, "org"));
  *b.mutable_start_time() = FromEpochMs(Number(object, "s"));
  *b.mutable_end_time() = FromEpochMs(Number(object, "e"));
  *b.mutable_blocked_start_time() = FromEpochMs(Number(object, "bs"));
  *b.mutable_blocked_end_time() = FromEpochMs(Number(object, "be"));
  b.set_quantity(static_cast<int32_t>(Number(object, "q")));
  v1::BookingState state = v1::BOOKING_STATE_UNSPECIFIED;
  v1::BookingState_Parse("BOOKING_STATE_" + Text(object, "st"), &state);
  b.set_state(state);
  b.set_title(Text(object, "t"));
  b.set_notes(Text(object, "n"));
  b.set_reason(Text(object, "rs"));
  if (EpochMs hx = Number(object, "hx"); hx > 0) *b.mutable_hold_expire_time() = FromEpochMs(hx);
  *b.mutable_create_time() = FromEpochMs(Number(object, "cr"));
  *b.mutable_update_time() = FromEpochMs(Number(object, "up"));
  b.set_series_id(Text(object, "sr"));
  b.set_etag(Text(object, "v"));
  return b;
}

}  // namespace

absl::StatusOr<v1::Booking> ParseStoredBooking(absl::string_view json) {
  auto object = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (object.is_discarded() || !object.is_object())
    return absl::InternalError("corrupt booking record");
  return BookingOf(object);
}

absl::StatusOr<v1::WaitlistEntry> ParseStoredEntry(absl::string_view json) {
  auto object = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (object.is_discarded() || !object.is_object())
    return absl::InternalError("corrupt waitlist record");
  v1::WaitlistEntry w;
  w.set_id(Text(object, "id"));
  w.set_resource_id(Text(object, "res"));
  w.set_organization_id(Text(object, "org"));
  *w.mutable_start_time() = FromEpochMs(Number(object, "s"));
  *w.mutable_end_time() = FromEpochMs(Number(object, "e"));
  w.set_quantity(static_cast<int32_t>(Number(object, "q")));
  v1::WaitlistState state = v1::WAITLIST_STATE_UNSPECIFIED;
  v1::WaitlistState_Parse("WAITLIST_STATE_" + Text(object, "st"), &state);
  w.set_state(state);
  w.set_booking_id(Text(object, "bk"));
  w.set_title(Text(object, "t"));
  *w.mutable_create_time() = FromEpochMs(Number(object, "cr"));
  return w;
}

RedisBookingStore::RedisBookingStore(RedisPool* redis, const SchedulerConfig& config)
    : redis_(redis), config_(config) {}

std::string RedisBookingStore::MetaKey(absl::string_view resource_id) const {
  return absl::StrCat(Base(ShardOf(resource_id)), "r:", resource_id, ":m");
}

int RedisBookingStore::ShardOf(absl::string_view resource_id) const {
  return static_cast<int>(Fnv1a(resource_id) % static_cast<uint32_t>(config_.shards));
}

std::string RedisBookingStore::Base(int shard) const {
  return absl::StrCat(redis_->prefix(), "{bk:", shard, "}:");
}

std::string RedisBookingStore::ReplayKey(int shard, absl::string_view organization,
                                         absl::string_view request_id) const {
  if (request_id.empty()) return "";
  return absl::StrCat(Base(shard), "req:", organization, ":", request_id);
}

RedisFunctionCall RedisBookingStore::BookCall(const BookCommand& c) const {
  const int shard = ShardOf(c.resource_id);
  // A JSON array of objects, every value a string (as the function stores them), written
  // directly: a booking is on the hot path, and nlohmann's objects cost more than the call's
  // other arguments together.
  std::string occurrences = "[";
  for (const auto& o : c.occurrences) {
    const Allowance& a = o.allowance;
    if (occurrences.size() > 1) occurrences += ',';
    absl::StrAppend(&occurrences, "{\"id\":", JsonString(o.booking_id), ",\"s\":\"", o.slot.start,
                    "\",\"e\":\"", o.slot.end, "\",\"bs\":\"", o.slot.blocked_start, "\",\"be\":\"",
                    o.slot.blocked_end, "\",\"q\":\"", o.slot.quantity,
                    "\",\"qk\":", JsonString(a.quota_key), ",\"ql\":\"", a.quota_limit,
                    "\",\"sk\":", JsonString(a.sme_key), ",\"sl\":\"", a.sme_limit, "\",\"m\":\"",
                    a.unit_minutes, "\"}");
  }
  occurrences += ']';
  RedisFunctionCall call("sch_book");
  call.Key("base", Base(shard))
      .Key("meta", MetaKey(c.resource_id))
      .Arg("res", c.resource_id)
      .Arg("org", c.organization_id)
      .Int("capacity", c.capacity)
      .Flag("hold", c.hold)
      .Flag("approval", c.approval_required)
      .Flag("training", c.training_required)
      .Flag("all_or_nothing", c.all_or_nothing)
      .Int("hold_ttl", int64_t{config_.hold_ttl_s} * 1000)
      .Int("no_show", c.release_as_no_show ? int64_t{config_.no_show_grace_s} * 1000 : 0)
      .Arg("title", c.title)
      .Arg("notes", c.notes)
      .Arg("series", c.series_id)
      .Arg("held_for", c.held_for)
      .Replay(ReplayKey(shard, c.organization_id, c.request_id), config_.request_id_ttl_s)
      .Int("maxlen", config_.events_max_length)
      .Arg("expected", c.expected_version)
      .Arg("replaces", absl::StrJoin(c.replace_booking_ids, " "))
      .Arg("replace_reason", c.replace_reason)
      .Arg("occurrences", std::move(occurrences));
  AddContact(c.contact_email, &call);
  return call;
}

absl::StatusOr<std::vector<std::string>> RedisBookingStore::Versions(
    const std::vector<std::string>& resource_ids) {
  std::vector<RedisArgs> commands;
  for (const auto& id : resource_ids) commands.push_back({"HGET", MetaKey(id), "seq"});
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<std::string> versions;
  for (const auto& reply : *replies) {
    if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
    versions.push_back(reply.is_nil() ? "0" : reply.str);
  }
  return versions;
}

absl::StatusOr<std::vector<absl::StatusOr<v1::Booking>>> RedisBookingStore::Book(
    const BookCommand& c) {
  const RedisFunctionCall call = BookCall(c);
  return BookResults(redis_->FCallBatched(call.function(), call.keys(), call.args()),
                     c.occurrences.size());
}

absl::StatusOr<std::optional<std::vector<BookedBefore>>> RedisBookingStore::Replayed(
    const BookCommand& c) {
  auto stored =
      ReadReplay(redis_, ReplayKey(ShardOf(c.resource_id), c.organization_id, c.request_id));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::nullopt;
  const std::string& json = **stored;
  auto results = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!results.is_array()) return absl::InternalError("unexpected stored booking answer");
  std::vector<BookedBefore> out;
  for (const auto& result : results) {
    BookedBefore before{0, 0, ResultOf(result)};
    if (before.result.ok()) {
      before.start = ToEpochMs(before.result->start_time());
      before.end = ToEpochMs(before.result->end_time());
    } else {
      // Answers stored before refusals carried their times have 0: matched to no occurrence.
      (void)absl::SimpleAtoi(Text(result, "s"), &before.start);
      (void)absl::SimpleAtoi(Text(result, "e"), &before.end);
    }
    out.push_back(std::move(before));
  }
  return out;
}

void RedisBookingStore::BookAsync(const BookCommand& c, BookDone done) {
  const RedisFunctionCall call = BookCall(c);
  redis_->FCallAsync(
      call.function(), call.keys(), call.args(),
      [n = c.occurrences.size(), done = std::move(done)](absl::StatusOr<RedisValue> reply) {
        done(BookResults(std::move(reply), n));
      });
}

absl::StatusOr<v1::Booking> RedisBookingStore::Apply(const TransitionCommand& c) {
  const std::string resource = ResourceOfBooking(c.booking_id);
  if (resource.empty()) return NotFoundError("booking", c.booking_id);
  const int shard = ShardOf(resource);
  const std::string base = Base(shard);
  RedisFunctionCall call("sch_transition");
  call.Key("base", base)
      .Key("booking", absl::StrCat(base, "b:", c.booking_id))
      .Arg("id", c.booking_id)
      .Arg("op", TransitionName(c.transition))
      .Arg("caller", c.caller_organization)
      .Flag("owner", c.caller_owns_resource)
      .Flag("admin", c.caller_is_admin)
      .Arg("reason", c.reason)
      .Arg("held_for", c.held_for)
      .Replay(ReplayKey(shard, c.caller_organization, c.request_id), config_.request_id_ttl_s)
      .Int("maxlen", config_.events_max_length)
      .Int("checkin_opens", config_.checkin_opens_minutes * kMinute)
      .Int("capacity", c.capacity)
      .Flag("training", c.training_required);
  return BookingFromReply(redis_->FCall(call.function(), call.keys(), call.args()));
}

absl::StatusOr<std::optional<v1::Booking>> RedisBookingStore::Get(const std::string& booking_id) {
  const std::string resource = ResourceOfBooking(booking_id);
  if (resource.empty()) return std::optional<v1::Booking>();
  auto reply =
      redis_->Command({"HGETALL", absl::StrCat(Base(ShardOf(resource)), "b:", booking_id)});
  if (!reply.ok()) return reply.status();
  if (reply->elements.empty()) return std::optional<v1::Booking>();
  nlohmann::json object = nlohmann::json::object();
  for (size_t i = 0; i + 1 < reply->elements.size(); i += 2)
    object[reply->elements[i].str] = reply->elements[i + 1].str;
  auto booking = ParseStoredBooking(object.dump());
  if (!booking.ok()) return booking.status();
  return std::optional<v1::Booking>(std::move(*booking));
}

absl::StatusOr<v1::WaitlistEntry> RedisBookingStore::JoinWaitlist(const WaitCommand& c) {
  const int shard = ShardOf(c.resource_id);
  const std::string base = Base(shard);
  const Slot& s = c.slot;
  RedisFunctionCall call("sch_wait");
  call.Key("base", base)
      .Key("meta", absl::StrCat(base, "r:", c.resource_id, ":m"))
      .Key("entry", absl::StrCat(base, "w:", c.entry_id))
      .Arg("id", c.entry_id)
      .Arg("res", c.resource_id)
      .Arg("org", c.organization_id)
      .Int("s", s.start)
      .Int("e", s.end)
      .Int("bs", s.blocked_start)
      .Int("be", s.blocked_end)
      .Int("q", s.quantity)
      .Int("capacity", s.capacity)
      .Flag("approval", c.approval_required)
      .Int("no_show", int64_t{config_.no_show_grace_s} * 1000)
      .Int("hold_ttl", int64_t{config_.hold_ttl_s} * 1000)
      .Arg("title", c.title)
      .Replay(ReplayKey(shard, c.organization_id, c.request_id), config_.request_id_ttl_s)
      .Flag("training", c.training_required);
  AddAllowance(c.allowance, &call);
  AddContact(c.contact_email, &call);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 2) return absl::InternalError("unexpected waitlist reply");
  return ParseStoredEntry(reply->elements[1].str);
}

absl::StatusOr<v1::WaitlistEntry> RedisBookingStore::LeaveWaitlist(
    const std::string& entry_id, const std::string& caller_organization, bool caller_is_admin) {
  const std::string resource = ResourceOfBooking(entry_id);
  if (resource.empty()) return NotFoundError("waitlist_entry", entry_id);
  const std::string base = Base(ShardOf(resource));
  RedisFunctionCall call("sch_unwait");
  call.Key("base", base)
      .Key("entry", absl::StrCat(base, "w:", entry_id))
      .Arg("id", entry_id)
      .Arg("caller", caller_organization)
      .Flag("admin", caller_is_admin);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 2) return absl::InternalError("unexpected waitlist reply");
  return ParseStoredEntry(reply->elements[1].str);
}

absl::StatusOr<std::vector<v1::WaitlistEntry>> RedisBookingStore::Waiting(
    const std::string& resource_id) {
  const std::string base = Base(ShardOf(resource_id));
  RedisFunctionCall call("sch_waiting");
  call.Key("base", base).Key("waitlist", absl::StrCat(base, "r:", resource_id, ":wl"));
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  std::vector<v1::WaitlistEntry> out;
  for (const auto& json : reply->elements) {
    auto entry = ParseStoredEntry(json.str);
    if (!entry.ok()) return entry.status();
    out.push_back(std::move(*entry));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisBookingStore::SetTrained(
    const std::string& resource_id, const std::string& organization_id, bool trained) {
  const std::string base = Base(ShardOf(resource_id));
  RedisFunctionCall call("sch_train");
  call.Key("trained", absl::StrCat(base, "r:", resource_id, ":trained"))
      .Arg("org", organization_id)
      .Flag("trained", trained);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  std::vector<std::string> out;
  for (const auto& e : reply->elements) out.push_back(e.str);
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<bool>> RedisBookingStore::TrainedMany(
    const std::vector<std::string>& resource_ids, const std::string& organization_id) {
  std::vector<RedisArgs> commands;
  for (const auto& id : resource_ids) {
    RedisFunctionCall call("sch_trained");
    call.Key("trained", absl::StrCat(Base(ShardOf(id)), "r:", id, ":trained"))
        .Arg("org", organization_id);
    commands.push_back(call.Command());
  }
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<bool> out;
  for (const auto& reply : *replies) {
    if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
    out.push_back(reply.integer == 1);
  }
  return out;
}

absl::StatusOr<std::vector<Usage>> RedisBookingStore::Busy(const std::string& resource_id,
                                                           EpochMs from, EpochMs to) {
  auto many = BusyMany({resource_id}, from, to);
  if (!many.ok()) return many.status();
  return std::move(many->front());
}

absl::StatusOr<std::vector<std::vector<Usage>>> RedisBookingStore::BusyMany(
    const std::vector<std::string>& resource_ids, EpochMs from, EpochMs to) {
  std::vector<RedisArgs> commands;
  for (const auto& id : resource_ids) {
    RedisFunctionCall call("sch_busy");
    call.Key("base", Base(ShardOf(id))).Arg("res", id).Int("from", from).Int("to", to);
    commands.push_back(call.Command());
  }
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<std::vector<Usage>> out;
  for (const auto& reply : *replies) {
    if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
    std::vector<Usage> usage;
    const auto& e = reply.elements;
    for (size_t i = 0; i + 3 < e.size(); i += 4) {
      Usage u;
      int quantity = 0;
      if (!absl::SimpleAtoi(e[i].str, &u.blocked_start) ||
          !absl::SimpleAtoi(e[i + 1].str, &u.blocked_end) ||
          !absl::SimpleAtoi(e[i + 2].str, &quantity))
        return absl::InternalError("corrupt booking record");
      u.quantity = quantity;
      u.booking_id = e[i + 3].str;
      usage.push_back(std::move(u));
    }
    out.push_back(std::move(usage));
  }
  return out;
}

RedisFunctionCall RedisBookingStore::PageCall(int shard, std::string index,
                                              const PageQuery& query) const {
  std::vector<std::string> states;
  for (auto state : query.states) states.push_back(StateName(state));
  RedisFunctionCall call("sch_page");
  call.Key("base", Base(shard))
      .Key("index", std::move(index))
      .Int("from", query.from)
      .Int("to", query.to)
      .Arg("after_score", query.after ? std::to_string(query.after->first) : "")
      .Arg("after_id", query.after ? query.after->second : "")
      .Int("limit", query.limit)
      .Int("budget", std::max(1, query.scan_budget))
      .Arg("states", absl::StrJoin(states, " "));
  return call;
}

namespace {

// One shard's page as sch_page answers it: {more, bookings, resume score, resume id}.
absl::StatusOr<BookingPage> PageOf(const RedisValue& reply) {
  if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
  if (reply.elements.size() != 4) return absl::InternalError("unexpected page reply");
  BookingPage page;
  page.more = reply.elements[0].integer != 0;
  for (const auto& json : reply.elements[1].elements) {
    auto booking = ParseStoredBooking(json.str);
    if (!booking.ok()) return booking.status();
    page.bookings.push_back(std::move(*booking));
  }
  if (page.more) {
    page.resume.second = reply.elements[3].str;
    if (!absl::SimpleAtoi(reply.elements[2].str, &page.resume.first) || page.resume.second.empty())
      return absl::InternalError("unexpected page reply");
  }
  return page;
}

PagePosition PositionOf(const v1::Booking& booking) {
  return {ToEpochMs(booking.start_time()), booking.id()};
}

}  // namespace

absl::StatusOr<BookingPage> RedisBookingStore::ListByResource(const std::string& resource_id,
                                                              const PageQuery& query) {
  const int shard = ShardOf(resource_id);
  const RedisFunctionCall call =
      PageCall(shard, absl::StrCat(Base(shard), "r:", resource_id, ":all"), query);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return PageOf(*reply);
}

absl::Status RedisBookingStore::VisitCountedSpans(const std::vector<std::string>& resource_ids,
                                                  EpochMs from, EpochMs to,
                                                  const SpanVisitor& visit) {
  // Rounds of pipelines: every resource whose bookings are not all read yet asks for the next
  // `kLimit` after the last one it had; at most `kBatch` resources a pipeline, so at most
  // kBatch × kLimit bookings are held at once.
  constexpr int kLimit = 1000;
  constexpr size_t kBatch = 64;
  const std::string states = absl::StrJoin(
      {StateName(v1::BOOKING_STATE_CONFIRMED), StateName(v1::BOOKING_STATE_CHECKED_IN),
       StateName(v1::BOOKING_STATE_COMPLETED)},
      " ");
  struct Cursor {
    size_t resource;
    std::string after_score, after_id;  // empty: from the start
  };
  std::vector<Cursor> pending;
  for (size_t i = 0; i < resource_ids.size(); ++i) pending.push_back({i, "", ""});
  while (!pending.empty()) {
    std::vector<Cursor> again;
    for (size_t first = 0; first < pending.size(); first += kBatch) {
      const size_t last = std::min(pending.size(), first + kBatch);
      std::vector<RedisArgs> commands;
      for (size_t p = first; p < last; ++p) {
        const std::string& id = resource_ids[pending[p].resource];
        const int shard = ShardOf(id);
        RedisFunctionCall call("sch_spans");
        call.Key("base", Base(shard))
            .Key("index", absl::StrCat(Base(shard), "r:", id, ":all"))
            .Key("meta", MetaKey(id))
            .Int("from", from)
            .Int("to", to)
            .Arg("after_score", pending[p].after_score)
            .Arg("after_id", pending[p].after_id)
            .Int("limit", kLimit)
            .Arg("states", states);
        commands.push_back(call.Command());
      }
      auto replies = redis_->Pipeline(commands);
      if (!replies.ok()) return replies.status();
      for (size_t p = first; p < last; ++p) {
        const RedisValue& reply = (*replies)[p - first];
        if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
        if (reply.elements.size() != 4) return absl::InternalError("unexpected spans reply");
        const auto& e = reply.elements[1].elements;
        BookedSpan span;
        for (size_t i = 0; i + 4 < e.size(); i += 5) {
          span.booking_id = e[i].str;
          span.organization_id = e[i + 1].str;
          if (!absl::SimpleAtoi(e[i + 2].str, &span.start) ||
              !absl::SimpleAtoi(e[i + 3].str, &span.end) ||
              !absl::SimpleAtoi(e[i + 4].str, &span.quantity))
            return absl::InternalError("corrupt booking record");
          visit(pending[p].resource, span);
        }
        if (reply.elements[0].integer != 0)
          again.push_back({pending[p].resource, reply.elements[2].str, reply.elements[3].str});
      }
    }
    pending = std::move(again);
  }
  return absl::OkStatus();
}

absl::StatusOr<BookingPage> RedisBookingStore::ListByOrganization(
    const std::string& organization_id, const PageQuery& query) {
  // An organisation's bookings are spread over the shards: one page from each, merged. A shard
  // that stopped early (its page full, or its budget spent) was looked at only up to its resume:
  // the merged page ends there, and what other shards gave beyond it comes again on the next.
  std::vector<RedisArgs> commands;
  for (int shard = 0; shard < config_.shards; ++shard) {
    commands.push_back(
        PageCall(shard, absl::StrCat(Base(shard), "o:", organization_id), query).Command());
  }
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  BookingPage page;
  std::optional<PagePosition> bound;  // the earliest resume of a shard with more
  for (const auto& reply : *replies) {
    auto shard_page = PageOf(reply);
    if (!shard_page.ok()) return shard_page.status();
    if (shard_page->more && (!bound || shard_page->resume < *bound)) bound = shard_page->resume;
    for (auto& booking : shard_page->bookings) page.bookings.push_back(std::move(booking));
  }
  if (bound)
    page.bookings.erase(
        std::remove_if(page.bookings.begin(), page.bookings.end(),
                       [&](const v1::Booking& b) { return PositionOf(b) > *bound; }),
        page.bookings.end());
  std::sort(
      page.bookings.begin(), page.bookings.end(),
      [](const v1::Booking& a, const v1::Booking& b) { return PositionOf(a) < PositionOf(b); });
  if (static_cast<int>(page.bookings.size()) > query.limit) {
    page.bookings.resize(query.limit);
    page.more = true;
    page.resume = PositionOf(page.bookings.back());
  } else if (bound) {
    page.more = true;
    page.resume = *bound;
  }
  return page;
}

absl::StatusOr<int> RedisBookingStore::Sweep(int shard, int limit) {
  const std::string base = Base(shard);
  RedisFunctionCall call("sch_sweep");
  call.Key("base", base)
      .Key("timers", base + "tm")
      .Int("limit", limit)
      .Int("maxlen", config_.events_max_length);
  auto reply = redis_->FCall(call.function(), call.keys(), call.args());
  if (!reply.ok()) return reply.status();
  return static_cast<int>(reply->integer);
}

absl::StatusOr<int64_t> RedisBookingStore::CountInState(v1::BookingState state,
                                                        std::optional<int64_t> due_within_ms) {
  // Shard by shard, `kLimit` timers a call, through FCall: it calls sch_count with FCALL_RO (the
  // function writes nothing) and loads the functions again if Redis lost them. A gauge read every
  // few seconds can afford a round trip per shard.
  constexpr int kLimit = 1000;
  int64_t count = 0;
  for (int shard = 0; shard < config_.shards; ++shard) {
    const std::string base = Base(shard);
    for (int64_t offset = 0;; offset += kLimit) {
      RedisFunctionCall call("sch_count");
      call.Key("base", base)
          .Key("timers", base + "tm")
          .Arg("state", StateName(state))
          .Arg("within", due_within_ms ? std::to_string(*due_within_ms) : "")
          .Int("offset", offset)
          .Int("limit", kLimit);
      auto reply = redis_->FCall(call.function(), call.keys(), call.args());
      if (!reply.ok()) return reply.status();
      if (reply->elements.size() != 2) return absl::InternalError("unexpected count reply");
      count += reply->elements[0].integer;
      if (reply->elements[1].integer < kLimit) break;
    }
  }
  return count;
}

void RedisBookingStore::AddContact(const std::string& email, RedisFunctionCall* call) const {
  call->Arg("contact", email)
      .Arg("person", email.empty() ? std::string() : PersonOf(email))
      .Int("retention", int64_t{config_.contact_retention_days} * 86400 * 1000);
}

absl::StatusOr<std::string> RedisBookingStore::BookerContact(const std::string& booking_id) {
  const std::string resource = ResourceOfBooking(booking_id);
  if (resource.empty()) return std::string();
  auto reply = redis_->Command({"GET", absl::StrCat(Base(ShardOf(resource)), "bc:", booking_id)});
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<std::vector<ContactedBooking>> RedisBookingStore::BookingsOfContact(
    const std::string& person) {
  std::vector<ContactedBooking> out;
  for (int shard = 0; shard < config_.shards; ++shard) {
    const std::string base = Base(shard);
    RedisFunctionCall call("sch_contacts");
    call.Key("base", base).Key("index", absl::StrCat(base, "bp:", person));
    auto reply = redis_->FCall(call.function(), call.keys(), call.args());
    if (!reply.ok()) return reply.status();
    auto parsed = nlohmann::json::parse(reply->str, nullptr, false);
    if (!parsed.is_array()) return absl::InternalError("unexpected sch_contacts reply");
    for (const auto& j : parsed) {
      ContactedBooking b;
      b.id = Text(j, "id");
      b.resource_id = Text(j, "res");
      b.start = Number(j, "s");
      b.end = Number(j, "e");
      b.state = Text(j, "st");
      b.email = Text(j, "address");
      out.push_back(std::move(b));
    }
  }
  std::sort(out.begin(), out.end(), [](const ContactedBooking& a, const ContactedBooking& b) {
    return std::tie(a.start, a.id) < std::tie(b.start, b.id);
  });
  return out;
}

absl::StatusOr<int> RedisBookingStore::ForgetContact(const std::string& person) {
  int forgotten = 0;
  for (int shard = 0; shard < config_.shards; ++shard) {
    const std::string base = Base(shard);
    RedisFunctionCall call("sch_forget");
    call.Key("base", base).Key("index", absl::StrCat(base, "bp:", person));
    auto reply = redis_->FCall(call.function(), call.keys(), call.args());
    if (!reply.ok()) return reply.status();
    forgotten += static_cast<int>(reply->integer);
  }
  return forgotten;
}

std::vector<std::string> RedisBookingStore::EventKeys() const {
  std::vector<std::string> keys;
  for (int shard = 0; shard < config_.shards; ++shard) keys.push_back(Base(shard) + "events");
  return keys;
}

absl::StatusOr<BookingEventRecord> BookingEventOf(const StreamEntry& entry) {
  BookingEventRecord record;
  if (const std::string* type = entry.Field("type"))
    record.type = *type == "CREATED"    ? v1::BOOKING_EVENT_TYPE_CREATED
                  : *type == "PROMOTED" ? v1::BOOKING_EVENT_TYPE_PROMOTED_FROM_WAITLIST
                                        : v1::BOOKING_EVENT_TYPE_STATE_CHANGED;
  if (const std::string* data = entry.Field("d")) {
    auto object = nlohmann::json::parse(data->begin(), data->end(), nullptr, false);
    if (object.is_discarded() || !object.is_object())
      return absl::InternalError("corrupt booking record");
    record.booking = BookingOf(object);
    record.booker_contact = Text(object, "ct") == "1";
  }
  return record;
}

}  // namespace infrashare::scheduler
