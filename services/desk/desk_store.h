// Where the desk keeps its state: the DeskStore interface, and RedisDeskStore, which keeps it in
// Redis. The dispatch stream is dispatch_queue.h.
#pragma once

#include <cstdint>
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

struct InquiryEventRecord {
  v1::InquiryEventType type = v1::INQUIRY_EVENT_TYPE_UNSPECIFIED;
  std::string inquiry_id;
  std::string responder_id;
};

// The sorted sets of inquiry ids by time. Listed newest first, except the queue: longest waiting
// first.
enum class InquiryIndex { kNetwork, kEntryOrganization, kResponder, kEscalated, kQueue };

struct ReferCommand {
  std::string id;
  std::string actor;
  std::string responder_id;  // the acting assignee, "" for a coordinator or admin
  std::string holder_organization_id;
  std::string target_organization_id;
  std::string target_responder_id;
  std::string note;
  // The target responder's organisation: a loop is a return to an organisation, whichever of its
  // responders is named.
  std::string target_responder_organization_id{};
  // The network that handles it next (the inquiry's own, or another with the asker's consent).
  std::string target_network_id{};
  // When a coordinator refers it: the network whose coordinator was checked. The referral is
  // refused if the inquiry has moved on to another network meanwhile.
  std::string acting_network{};
};

// An inquiry as desk.lua stores it (the fields of its hash, or the JSON object of them a function
// returns) to the API message; a history entry from its JSON. A field that is missing or malformed
// reads as unset.
using FieldMap = absl::flat_hash_map<std::string, std::string>;
v1::Inquiry InquiryFromFields(const FieldMap& fields);
absl::StatusOr<v1::Inquiry> InquiryFromJson(absl::string_view json);
v1::HistoryEntry HistoryFromJson(absl::string_view json);

// What the desk reads and writes. The Desk, the dispatcher and the privacy service hold this
// interface; RedisDeskStore keeps it in Redis (below).
// A place in an inquiry index: after the entry of this time (its score, as the index writes it)
// and id. An empty id is the start.
struct IndexCursor {
  std::string score;
  std::string id;
};

// A page of an inquiry index's ids, and where the next one starts (none: this was the last).
struct InquiryPage {
  std::vector<std::string> ids;
  std::vector<std::string> scores;  // each id's time, as the index writes it
  std::optional<IndexCursor> next;
};

class DeskStore {
 public:
  virtual ~DeskStore() = default;

  // Responders. `etag` empty = create. `online` nullopt = keep as it is.
  virtual absl::StatusOr<v1::Responder> PutResponder(v1::Responder responder,
                                                     absl::string_view etag,
                                                     std::optional<bool> online,
                                                     absl::string_view replay_key) = 0;
  virtual absl::StatusOr<v1::Responder> SetOnline(absl::string_view id, bool online) = 0;
  // The responder of `organization_id` (another's is NOT_FOUND). `replay_key` (may be empty): a
  // retry of a deletion that went through succeeds again.
  virtual absl::Status DeleteResponder(absl::string_view id, absl::string_view organization_id,
                                       absl::string_view replay_key) = 0;
  virtual absl::StatusOr<std::optional<v1::Responder>> GetResponder(absl::string_view id) = 0;
  virtual absl::StatusOr<std::vector<v1::Responder>> GetResponders(
      const std::vector<std::string>& ids) = 0;
  // "" = all.
  virtual absl::StatusOr<std::vector<std::string>> ResponderIds(
      absl::string_view organization_id) = 0;
  virtual absl::StatusOr<std::string> ProfilesVersion() = 0;
  virtual absl::StatusOr<std::vector<ResponderLoad>> Loads(const std::vector<std::string>& ids) = 0;

  // Inquiries.
  virtual absl::StatusOr<v1::Inquiry> Submit(const v1::Inquiry& inquiry,
                                             const v1::AskerContact& contact,
                                             absl::string_view actor,
                                             absl::string_view replay_key) = 0;
  // Suggestions found for an inquiry (advisory, written after it was submitted).
  virtual absl::Status SaveSuggestions(absl::string_view id,
                                       const std::vector<v1::Suggestion>& suggestions) = 0;
  virtual absl::StatusOr<std::optional<StoredInquiry>> GetInquiry(absl::string_view id,
                                                                  bool with_history) = 0;
  virtual absl::StatusOr<std::vector<v1::Inquiry>> GetInquiries(
      const std::vector<std::string>& ids) = 0;
  // What the dispatcher needs in one round trip: the inquiry (without the asker's contact) and
  // who declined it or let its offer lapse.
  virtual absl::StatusOr<std::optional<RoutingRead>> ForRouting(absl::string_view id) = 0;
  // In the index's order after `after` (none: from its start); at most `count`. `key` names the
  // network, organisation or responder; the escalated inquiries and the queue have none.
  virtual absl::StatusOr<InquiryPage> InquiryIds(InquiryIndex index, absl::string_view key,
                                                 const IndexCursor& after, int count) = 0;
  // A network's inquiries created in [start_ms, end_ms), oldest first.
  virtual absl::StatusOr<std::vector<std::string>> NetworkInquiriesBetween(
      absl::string_view network_id, int64_t start_ms, int64_t end_ms) = 0;
  // Commits a routing decision made on version `version`. nullopt when the inquiry or a chosen
  // responder changed meanwhile (decide again) or nothing was left to do.
  virtual absl::StatusOr<std::optional<v1::Inquiry>> Route(absl::string_view id,
                                                           absl::string_view version,
                                                           const RouteDecision& decision,
                                                           int64_t deadline_ms) = 0;
  virtual absl::StatusOr<v1::Inquiry> Accept(absl::string_view id, absl::string_view responder_id,
                                             absl::string_view actor,
                                             absl::string_view replay_key) = 0;
  virtual absl::StatusOr<v1::Inquiry> Decline(absl::string_view id, absl::string_view responder_id,
                                              absl::string_view actor, absl::string_view reason,
                                              v1::DeclineReason code,
                                              absl::string_view replay_key) = 0;
  virtual absl::StatusOr<v1::Inquiry> Refer(const ReferCommand& command,
                                            absl::string_view replay_key) = 0;
  // `acting_network`: when a coordinator resolves, the network whose coordinator was checked
  // (refused if the inquiry has moved on meanwhile); otherwise "". `returned`: the entry partner
  // resolves an inquiry that came back to it (refused, MOVED_ON, if it was taken up again
  // meanwhile).
  virtual absl::StatusOr<v1::Inquiry> Resolve(absl::string_view id, absl::string_view actor,
                                              absl::string_view responder_id,
                                              absl::string_view acting_network, bool returned,
                                              const v1::ResolveInquiryRequest& request,
                                              absl::string_view replay_key) = 0;
  virtual absl::StatusOr<v1::Inquiry> RecordFeedback(absl::string_view id, absl::string_view actor,
                                                     const v1::Feedback& feedback,
                                                     absl::string_view replay_key) = 0;
  virtual absl::StatusOr<v1::Inquiry> RecordConsent(absl::string_view id, absl::string_view actor,
                                                    const v1::AskerConsent& consent,
                                                    absl::string_view replay_key) = 0;
  virtual absl::StatusOr<v1::Inquiry> RecordFollowUp(absl::string_view id, absl::string_view actor,
                                                     bool help_started, absl::string_view note,
                                                     absl::string_view replay_key) = 0;
  // Referrals a network sent to and received from other networks in [start_ms, end_ms).
  virtual absl::StatusOr<std::pair<int64_t, int64_t>> CrossNetworkReferrals(
      absl::string_view network_id, int64_t start_ms, int64_t end_ms) = 0;
  // Deletes the asker's contact and consent; with `texts` also blanks the inquiry text and
  // feedback comment.
  virtual absl::StatusOr<v1::Inquiry> EraseAsker(absl::string_view id, absl::string_view actor,
                                                 absl::string_view replay_key,
                                                 bool texts = false) = 0;
  // Inquiries whose asker has this e-mail address (as FoldEmail folds it) and of which the
  // asker's contact or texts are still held.
  virtual absl::StatusOr<std::vector<std::string>> AskerInquiries(absl::string_view email) = 0;
  // Applies due deadlines (offer timeouts, queue waits, escalations); returns how many.
  virtual absl::StatusOr<int> ApplyDue(int limit) = 0;
  // How many inquiries are queued.
  virtual absl::StatusOr<int64_t> QueuedCount() = 0;

  // The desk's event stream (followed by StreamAssignments and WatchInquiry), and one of its
  // entries.
  virtual std::string EventsKey() const = 0;
  static InquiryEventRecord EventOf(const StreamEntry& entry);

  virtual std::string ReplayKey(absl::string_view organization_id,
                                absl::string_view request_id) const = 0;
  // Whether a call with this replay key (ReplayKey) went through already: for a retry whose
  // checks before the store no longer hold once it did (a referrer no longer holds the inquiry).
  // INVALID_ARGUMENT when the request id was used for another request.
  virtual absl::StatusOr<bool> WentThrough(absl::string_view replay_key) = 0;
};

// Under one hash tag, where every change of an inquiry or of a responder's load is one call of a
// function in desk.lua (keys in docs/redis-keys.md).
class RedisDeskStore final : public DeskStore {
 public:
  RedisDeskStore(RedisPool* redis, DeskConfig config);

  absl::StatusOr<v1::Responder> PutResponder(v1::Responder responder, absl::string_view etag,
                                             std::optional<bool> online,
                                             absl::string_view replay_key) override;
  absl::StatusOr<v1::Responder> SetOnline(absl::string_view id, bool online) override;
  absl::Status DeleteResponder(absl::string_view id, absl::string_view organization_id,
                               absl::string_view replay_key) override;
  absl::StatusOr<std::optional<v1::Responder>> GetResponder(absl::string_view id) override;
  absl::StatusOr<std::vector<v1::Responder>> GetResponders(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<std::string>> ResponderIds(absl::string_view organization_id) override;
  absl::StatusOr<std::string> ProfilesVersion() override;
  absl::StatusOr<std::vector<ResponderLoad>> Loads(const std::vector<std::string>& ids) override;

  absl::StatusOr<v1::Inquiry> Submit(const v1::Inquiry& inquiry, const v1::AskerContact& contact,
                                     absl::string_view actor,
                                     absl::string_view replay_key) override;
  absl::Status SaveSuggestions(absl::string_view id,
                               const std::vector<v1::Suggestion>& suggestions) override;
  absl::StatusOr<std::optional<StoredInquiry>> GetInquiry(absl::string_view id,
                                                          bool with_history) override;
  absl::StatusOr<std::vector<v1::Inquiry>> GetInquiries(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::optional<RoutingRead>> ForRouting(absl::string_view id) override;
  absl::StatusOr<InquiryPage> InquiryIds(InquiryIndex index, absl::string_view key,
                                         const IndexCursor& after, int count) override;
  absl::StatusOr<std::vector<std::string>> NetworkInquiriesBetween(absl::string_view network_id,
                                                                   int64_t start_ms,
                                                                   int64_t end_ms) override;
  absl::StatusOr<std::optional<v1::Inquiry>> Route(absl::string_view id, absl::string_view version,
                                                   const RouteDecision& decision,
                                                   int64_t deadline_ms) override;
  absl::StatusOr<v1::Inquiry> Accept(absl::string_view id, absl::string_view responder_id,
                                     absl::string_view actor,
                                     absl::string_view replay_key) override;
  absl::StatusOr<v1::Inquiry> Decline(absl::string_view id, absl::string_view responder_id,
                                      absl::string_view actor, absl::string_view reason,
                                      v1::DeclineReason code,
                                      absl::string_view replay_key) override;
  absl::StatusOr<v1::Inquiry> RecordConsent(absl::string_view id, absl::string_view actor,
                                            const v1::AskerConsent& consent,
                                            absl::string_view replay_key) override;
  absl::StatusOr<v1::Inquiry> RecordFollowUp(absl::string_view id, absl::string_view actor,
                                             bool help_started, absl::string_view note,
                                             absl::string_view replay_key) override;
  absl::StatusOr<std::pair<int64_t, int64_t>> CrossNetworkReferrals(absl::string_view network_id,
                                                                    int64_t start_ms,
                                                                    int64_t end_ms) override;
  absl::StatusOr<v1::Inquiry> Refer(const ReferCommand& command,
                                    absl::string_view replay_key) override;
  absl::StatusOr<v1::Inquiry> Resolve(absl::string_view id, absl::string_view actor,
                                      absl::string_view responder_id,
                                      absl::string_view acting_network, bool returned,
                                      const v1::ResolveInquiryRequest& request,
                                      absl::string_view replay_key) override;
  absl::StatusOr<v1::Inquiry> RecordFeedback(absl::string_view id, absl::string_view actor,
                                             const v1::Feedback& feedback,
                                             absl::string_view replay_key) override;
  absl::StatusOr<v1::Inquiry> EraseAsker(absl::string_view id, absl::string_view actor,
                                         absl::string_view replay_key, bool texts) override;
  absl::StatusOr<std::vector<std::string>> AskerInquiries(absl::string_view email) override;
  absl::StatusOr<int> ApplyDue(int limit) override;
  absl::StatusOr<int64_t> QueuedCount() override;

  std::string EventsKey() const override { return Key("ev"); }

  absl::StatusOr<bool> WentThrough(absl::string_view replay_key) override;
  std::string ReplayKey(absl::string_view organization_id,
                        absl::string_view request_id) const override;

 private:
  std::string Key(absl::string_view suffix) const { return base_ + std::string(suffix); }
  // A call on one inquiry: KEYS base, inquiry and replay, ARGV maxlen, id and the replay's.
  RedisFunctionCall InquiryCall(absl::string_view function, absl::string_view id,
                                absl::string_view replay_key) const;
  absl::StatusOr<v1::Inquiry> Call(const RedisFunctionCall& call);

  // `seconds` of the desk's business time from now, in milliseconds: a queue wait's or an
  // escalation's delay.
  int64_t BusinessMs(int seconds) const;

  RedisPool* redis_;
  DeskConfig config_;
  v1::Responder business_hours_;  // BusinessHours(config_)
  std::string base_;              // "<prefix>{dk}:"
};

}  // namespace infrashare::desk
