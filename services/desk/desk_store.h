// Where the desk keeps its state: Redis, under one hash tag, where every change of an inquiry or of
// a responder's load is one call of a function in desk.lua (keys in docs/redis-keys.md).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/desk/v1/desk.pb.h"
#include "services/common/config.h"
#include "services/common/redis.h"
#include "services/common/redis_function.h"
#include "services/common/stream_ids.h"
#include "services/desk/routing.h"

namespace infrashare::desk {

// An inquiry as stored, with the version the dispatcher's decisions are checked against.
struct StoredInquiry {
  v1::Inquiry inquiry;
  std::string version;
};

struct RoutingRead {
  StoredInquiry stored;
  std::vector<std::string> declined;
};

// One piece of dispatch work: route inquiry `inquiry_id`, or drain the queue when it is empty.
struct DispatchItem {
  std::string stream_id;
  std::string inquiry_id;
};

struct InquiryEventRecord {
  v1::InquiryEventType type = v1::INQUIRY_EVENT_TYPE_UNSPECIFIED;
  std::string inquiry_id;
  std::string responder_id;
};

enum class InquiryIndex { kNetwork, kEntryOrganization, kResponder };

struct ReferCommand {
  std::string id;
  std::string actor;
  std::string responder_id;  // the acting assignee, "" for a coordinator or admin
  std::string holder_organization_id;
  std::string target_organization_id;
  std::string target_responder_id;
  std::string note;
};

// An inquiry as desk.lua stores it (the fields of its hash, or the JSON object of them a function
// returns) to the API message; a history entry from its JSON. A field that is missing or malformed
// reads as unset.
using FieldMap = absl::flat_hash_map<std::string, std::string>;
v1::Inquiry InquiryFromFields(const FieldMap& fields);
absl::StatusOr<v1::Inquiry> InquiryFromJson(absl::string_view json);
v1::HistoryEntry HistoryFromJson(absl::string_view json);

class DeskStore {
 public:
  DeskStore(RedisPool* redis, DeskConfig config);

  // Responders. `etag` empty = create. `online` nullopt = keep as it is.
  absl::StatusOr<v1::Responder> PutResponder(v1::Responder responder, absl::string_view etag,
                                             std::optional<bool> online,
                                             absl::string_view replay_key);
  absl::StatusOr<v1::Responder> SetOnline(absl::string_view id, bool online);
  absl::Status DeleteResponder(absl::string_view id);
  absl::StatusOr<std::optional<v1::Responder>> GetResponder(absl::string_view id);
  absl::StatusOr<std::vector<v1::Responder>> GetResponders(const std::vector<std::string>& ids);
  absl::StatusOr<std::vector<std::string>> ResponderIds(
      absl::string_view organization_id);  // "" = all
  absl::StatusOr<std::string> ProfilesVersion();
  absl::StatusOr<std::vector<ResponderLoad>> Loads(const std::vector<std::string>& ids);

  // Inquiries.
  absl::StatusOr<v1::Inquiry> Submit(const v1::Inquiry& inquiry, const v1::AskerContact& contact,
                                     absl::string_view actor, absl::string_view replay_key);
  // Suggestions found for an inquiry (advisory, written after it was submitted).
  absl::Status SaveSuggestions(absl::string_view id,
                               const std::vector<v1::Suggestion>& suggestions);
  absl::StatusOr<std::optional<StoredInquiry>> GetInquiry(absl::string_view id, bool with_history);
  absl::StatusOr<std::vector<v1::Inquiry>> GetInquiries(const std::vector<std::string>& ids);
  // What the dispatcher needs in one round trip: the inquiry (without the asker's contact) and
  // who declined it or let its offer lapse.
  absl::StatusOr<std::optional<RoutingRead>> ForRouting(absl::string_view id);
  // Newest first; `offset` into the index. Returns ids and whether more follow.
  absl::StatusOr<std::pair<std::vector<std::string>, bool>> InquiryIds(InquiryIndex index,
                                                                       absl::string_view key,
                                                                       int offset, int count);
  // A network's inquiries created in [start_ms, end_ms), oldest first.
  absl::StatusOr<std::vector<std::string>> NetworkInquiriesBetween(absl::string_view network_id,
                                                                   int64_t start_ms,
                                                                   int64_t end_ms);
  // Commits a routing decision made on version `version`. nullopt when the inquiry or a chosen
  // responder changed meanwhile (decide again) or nothing was left to do.
  absl::StatusOr<std::optional<v1::Inquiry>> Route(absl::string_view id, absl::string_view version,
                                                   const RouteDecision& decision,
                                                   int64_t deadline_ms);
  absl::StatusOr<v1::Inquiry> Accept(absl::string_view id, absl::string_view responder_id,
                                     absl::string_view actor, absl::string_view replay_key);
  absl::StatusOr<v1::Inquiry> Decline(absl::string_view id, absl::string_view responder_id,
                                      absl::string_view actor, absl::string_view reason,
                                      absl::string_view replay_key);
  absl::StatusOr<v1::Inquiry> Refer(const ReferCommand& command, absl::string_view replay_key);
  absl::StatusOr<v1::Inquiry> Resolve(absl::string_view id, absl::string_view actor,
                                      absl::string_view responder_id,
                                      const v1::ResolveInquiryRequest& request,
                                      absl::string_view replay_key);
  absl::StatusOr<v1::Inquiry> RecordFeedback(absl::string_view id, absl::string_view actor,
                                             const v1::Feedback& feedback,
                                             absl::string_view replay_key);
  // Deletes the asker's contact; with `texts` also blanks the inquiry text and feedback comment.
  absl::StatusOr<v1::Inquiry> EraseAsker(absl::string_view id, absl::string_view actor,
                                         absl::string_view replay_key, bool texts = false);
  // Inquiries whose asker has this e-mail address (as FoldEmail folds it) and of which the
  // asker's contact or texts are still held.
  absl::StatusOr<std::vector<std::string>> AskerInquiries(absl::string_view email);
  // Applies due deadlines (offer timeouts, queue waits, escalations); returns how many.
  absl::StatusOr<int> ApplyDue(int limit);

  // Dispatch work, consumed by every replica in one consumer group.
  absl::Status EnsureDispatchGroup();
  absl::StatusOr<std::vector<DispatchItem>> ReadDispatch(RedisConnection* connection,
                                                         absl::string_view consumer, int count,
                                                         int block_ms);
  // Work other consumers left unacknowledged for `min_idle_ms`, now this consumer's.
  absl::StatusOr<std::vector<DispatchItem>> ClaimStale(absl::string_view consumer, int min_idle_ms,
                                                       int count);
  absl::Status Acknowledge(const std::vector<std::string>& stream_ids);
  absl::StatusOr<std::vector<std::string>> Queued(int limit);
  absl::Status ClearDrainFlag();

  // Events.
  // The desk's event stream, and one of its entries.
  std::string EventsKey() const { return Key("ev"); }
  static InquiryEventRecord EventOf(const StreamEntry& entry);

  std::string ReplayKey(absl::string_view organization_id, absl::string_view request_id) const;

 private:
  std::string Key(absl::string_view suffix) const { return base_ + std::string(suffix); }
  // A call on one inquiry: KEYS base, inquiry and replay, ARGV maxlen, id and the replay's.
  RedisFunctionCall InquiryCall(absl::string_view function, absl::string_view id,
                                absl::string_view replay_key) const;
  absl::StatusOr<v1::Inquiry> Call(const RedisFunctionCall& call);

  RedisPool* redis_;
  DeskConfig config_;
  std::string base_;  // "<prefix>{dk}:"
};

}  // namespace infrashare::desk
