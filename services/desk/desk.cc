#include "services/desk/desk.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/ids.h"
#include "services/common/logging.h"
#include "services/common/paging.h"
#include "services/common/text_fold.h"
#include "services/desk/report.h"
#include "services/desk/routing.h"

namespace infrashare::desk {
namespace {

namespace reg = infrashare::registry;

std::string Actor(const Caller& caller) {
  return caller.token_id.empty() ? "bootstrap" : caller.token_id;
}

// What only those who may reach the asker see: the contact and the consent given with it.
void ClearPersonalData(v1::Inquiry* inquiry) {
  inquiry->clear_contact();
  inquiry->clear_consent();
  // The consent's history entry says what the asker agreed to: shown as the consent is.
  for (auto& h : *inquiry->mutable_history())
    if (h.kind() == v1::HISTORY_KIND_CONSENT) h.clear_note();
}

// What a responder that declined is answered (a retry too, which reads the inquiry as it is then):
// the question as it was offered to it, not how it is handled after it let it go.
v1::Inquiry AsDeclined(const v1::Inquiry& inquiry) {
  v1::Inquiry out;
  out.set_id(inquiry.id());
  out.set_network_id(inquiry.network_id());
  out.set_entry_organization_id(inquiry.entry_organization_id());
  out.set_need_type(inquiry.need_type());
  *out.mutable_themes() = inquiry.themes();
  out.set_region(inquiry.region());
  out.set_text(inquiry.text());
  out.set_urgency(inquiry.urgency());
  out.set_language(inquiry.language());
  out.set_asker_is_sme(inquiry.asker_is_sme());
  if (inquiry.has_location()) *out.mutable_location() = inquiry.location();
  out.set_asker_organization_id(inquiry.asker_organization_id());
  if (inquiry.has_create_time()) *out.mutable_create_time() = inquiry.create_time();
  return out;
}

// Page tokens name the last entry a page gave, so the next page resumes after it however many
// entries came or went meanwhile: "k<time>:<id>" in an inquiry index, "r<id>" among responders.
absl::Status NotOurToken() {
  return InvalidField("page_token", "is not a token this server issued");
}

std::string InquiryToken(const std::optional<IndexCursor>& next) {
  return next ? absl::StrCat("k", next->score, ":", next->id) : "";
}

absl::StatusOr<IndexCursor> InquiryCursor(absl::string_view token) {
  if (token.empty()) return IndexCursor{};
  if (!absl::ConsumePrefix(&token, "k")) return NotOurToken();
  const size_t colon = token.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon > 19 || colon + 1 == token.size())
    return NotOurToken();
  IndexCursor cursor{std::string(token.substr(0, colon)), std::string(token.substr(colon + 1))};
  if (!std::all_of(cursor.score.begin(), cursor.score.end(), absl::ascii_isdigit))
    return NotOurToken();
  return cursor;
}

absl::StatusOr<std::string> ResponderCursor(absl::string_view token) {
  if (token.empty()) return "";
  if (!absl::ConsumePrefix(&token, "r") || token.empty()) return NotOurToken();
  return std::string(token);
}

}  // namespace

Desk::Desk(DeskStore* store, Directory* directory, DeskConfig config, SlotFinder* slots,
           TokenStore* tokens, FeedbackRequestDropper drop_feedback_request)
    : store_(store),
      directory_(directory),
      config_(config),
      slots_(slots),
      tokens_(tokens),
      drop_feedback_request_(std::move(drop_feedback_request)) {}

// The token a responder acts with must be one of its own organisation's: another organisation's
// token would act for it, and an unknown id binds nothing.
absl::Status Desk::CheckToken(const v1::Responder& responder) {
  if (responder.token_id().empty() || tokens_ == nullptr) return absl::OkStatus();
  auto token = tokens_->ById(responder.token_id());
  if (!token.ok()) return token.status();
  if (!token->has_value())
    return InvalidField("responder.token_id", "is not a token (give TokenInfo.id, not the secret)");
  if ((*token)->info.organization_id() != responder.organization_id())
    return InvalidField("responder.token_id", "is a token of another organisation");
  return absl::OkStatus();
}

std::string Desk::Replay(const Caller& caller, const std::string& request_id) const {
  return store_->ReplayKey(caller.organization_id, request_id);
}

bool Desk::ActsAs(const Caller& caller, const v1::Responder& responder) {
  return (!responder.token_id().empty() && caller.token_id == responder.token_id()) ||
         caller.IsAdminOf(responder.organization_id());
}

// ---------------------------------------------------------------------------------------------
// Responders

absl::StatusOr<v1::Responder> Desk::CreateResponder(const Caller& caller,
                                                    const v1::CreateResponderRequest& request) {
  v1::Responder responder = request.responder();
  if (responder.organization_id().empty()) responder.set_organization_id(caller.organization_id);
  ApplyDefaults(&responder);
  FieldErrors errors;
  Validate(responder, "responder", &errors);
  if (!errors.empty()) return errors.ToStatus();
  if (!caller.IsAdminOf(responder.organization_id()))
    return Forbidden("only an admin of the organisation registers its responders");
  auto exists = directory_->OrganizationExists(responder.organization_id());
  if (!exists.ok()) return exists.status();
  if (!*exists)
    return InvalidField("responder.organization_id", "is not a registered organisation");
  if (auto token = CheckToken(responder); !token.ok()) return token;
  responder.set_id(NewId("rsp"));
  return store_->PutResponder(std::move(responder), "", request.responder().online(),
                              Replay(caller, IdempotencyKey(request)));
}

absl::StatusOr<v1::Responder> Desk::GetResponder(const Caller& caller, const std::string& id) {
  auto responder = store_->GetResponder(id);
  if (!responder.ok()) return responder.status();
  if (!responder->has_value()) return NotFoundError("responder", id);
  // Responders are visible to their organisation, to the coordinators of its networks and to
  // platform admins.
  const auto& r = **responder;
  bool visible = caller.organization_id == r.organization_id() || caller.IsPlatformAdmin();
  for (const auto& network : directory_->NetworksOf(r.organization_id()))
    visible = visible || caller.Coordinates(network);
  if (!visible) return NotFoundError("responder", id);
  return r;
}

absl::StatusOr<v1::Responder> Desk::UpdateResponder(const Caller& caller,
                                                    const v1::UpdateResponderRequest& request) {
  v1::Responder responder = request.responder();
  if (responder.id().empty()) return InvalidField("responder.id", "is required");
  if (responder.etag().empty()) return InvalidField("responder.etag", "is required");
  auto current = store_->GetResponder(responder.id());
  if (!current.ok()) return current.status();
  if (!current->has_value() || !caller.IsAdminOf((*current)->organization_id()))
    return NotFoundError("responder", responder.id());
  responder.set_organization_id((*current)->organization_id());
  ApplyDefaults(&responder);
  FieldErrors errors;
  Validate(responder, "responder", &errors);
  if (!errors.empty()) return errors.ToStatus();
  if (responder.token_id() != (*current)->token_id())
    if (auto token = CheckToken(responder); !token.ok()) return token;
  const std::string etag = responder.etag();
  return store_->PutResponder(std::move(responder), etag, std::nullopt,
                              Replay(caller, IdempotencyKey(request)));
}

absl::StatusOr<v1::Responder> Desk::SetResponderOnline(
    const Caller& caller, const v1::SetResponderOnlineRequest& request) {
  auto responder = ActingResponder(caller, request.id());
  if (!responder.ok()) return responder.status();
  return store_->SetOnline(request.id(), request.online());
}

absl::StatusOr<v1::DeleteResponderResponse> Desk::DeleteResponder(
    const Caller& caller, const v1::DeleteResponderRequest& request) {
  auto current = store_->GetResponder(request.id());
  if (!current.ok()) return current.status();
  const std::string replay = Replay(caller, IdempotencyKey(request));
  // Gone already: only a retry of this organisation's own deletion (its request id) succeeds
  // again; the store answers NOT_FOUND to anything else.
  if (current->has_value() ? !caller.IsAdminOf((*current)->organization_id()) : replay.empty())
    return NotFoundError("responder", request.id());
  const std::string& organization =
      current->has_value() ? (*current)->organization_id() : caller.organization_id;
  if (auto status = store_->DeleteResponder(request.id(), organization, replay); !status.ok())
    return status;
  return v1::DeleteResponderResponse();
}

absl::StatusOr<v1::ListRespondersResponse> Desk::ListResponders(
    const Caller& caller, const v1::ListRespondersRequest& request) {
  const std::string org =
      request.organization_id().empty() ? caller.organization_id : request.organization_id();
  bool allowed = caller.organization_id == org || caller.IsPlatformAdmin();
  for (const auto& network : directory_->NetworksOf(org))
    allowed = allowed || caller.Coordinates(network);
  if (!allowed)
    return Forbidden("responders are listed for your own organisation or a network you coordinate");
  auto size = PageSize(request.page_size(), config_.default_page_size, config_.max_page_size);
  if (!size.ok()) return size.status();
  auto after = ResponderCursor(request.page_token());
  if (!after.ok()) return after.status();
  auto ids = store_->ResponderIds(org);  // sorted
  if (!ids.ok()) return ids.status();
  auto from = after->empty() ? ids->begin() : std::upper_bound(ids->begin(), ids->end(), *after);
  std::vector<std::string> page(from, from + std::min<ptrdiff_t>(*size, ids->end() - from));
  auto responders = store_->GetResponders(page);
  if (!responders.ok()) return responders.status();
  v1::ListRespondersResponse response;
  for (auto& r : *responders) *response.add_responders() = std::move(r);
  if (!page.empty() && page.back() != ids->back())
    response.set_next_page_token(absl::StrCat("r", page.back()));
  return response;
}

absl::StatusOr<v1::Responder> Desk::ActingResponder(const Caller& caller,
                                                    const std::string& responder_id) {
  if (responder_id.empty()) return InvalidField("responder_id", "is required");
  auto responder = store_->GetResponder(responder_id);
  if (!responder.ok()) return responder.status();
  if (!responder->has_value()) return NotFoundError("responder", responder_id);
  if (!ActsAs(caller, **responder))
    return Forbidden("only the responder's own token or an admin of its organisation acts for it");
  return **responder;
}

absl::Status Desk::CheckActsAs(const Caller& caller, const std::string& responder_id) {
  return ActingResponder(caller, responder_id).status();
}

// ---------------------------------------------------------------------------------------------
// Inquiries

absl::StatusOr<v1::Inquiry> Desk::SubmitInquiry(const Caller& caller,
                                                const v1::SubmitInquiryRequest& request) {
  FieldErrors errors;
  Validate(request, InquiryLimits{config_.max_text_bytes}, &errors);
  if (!errors.empty()) return errors.ToStatus();
  const std::string entry = request.entry_organization_id().empty()
                                ? caller.organization_id
                                : request.entry_organization_id();
  if (!caller.CanWriteFor(entry) &&
      !(caller.organization_id == entry && caller.Has(auth::v1::ROLE_DESK_RESPONDER)))
    return Forbidden("inquiries are submitted through your own organisation's entry point");
  std::string network = request.network_id();
  if (network.empty()) {
    auto networks = directory_->NetworksOf(entry);
    if (networks.size() != 1)
      return InvalidField("network_id",
                          networks.empty()
                              ? "is required: the entry organisation belongs to no network this "
                                "desk knows"
                              : "is required: the entry organisation belongs to several networks");
    network = *networks.begin();
  }
  auto members = directory_->Members(network);
  if (!members.ok()) return members.status();
  if (!members->has_value()) return InvalidField("network_id", "is not a registered network");
  if (!(*members)->count(entry))
    return InvalidField("entry_organization_id", "is not a member of the network");
  bool asker_is_sme = request.asker_is_sme();
  if (!request.asker_organization_id().empty()) {
    auto exists = directory_->OrganizationExists(request.asker_organization_id());
    if (!exists.ok()) return exists.status();
    if (!*exists) return InvalidField("asker_organization_id", "is not a registered organisation");
    asker_is_sme = asker_is_sme || directory_->Organization(request.asker_organization_id()).sme;
  }
  v1::Inquiry inquiry;
  inquiry.set_id(NewId("inq"));
  inquiry.set_network_id(network);
  inquiry.set_entry_organization_id(entry);
  inquiry.set_need_type(request.need_type());
  *inquiry.mutable_themes() = request.themes();
  inquiry.set_region(request.region());
  if (request.has_location()) *inquiry.mutable_location() = request.location();
  inquiry.set_text(request.text());
  inquiry.set_urgency(request.urgency() == v1::URGENCY_UNSPECIFIED ? v1::URGENCY_NORMAL
                                                                   : request.urgency());
  inquiry.set_language(request.language().empty() ? "nl" : request.language());
  inquiry.set_asker_is_sme(asker_is_sme);
  inquiry.set_asker_organization_id(request.asker_organization_id());
  if (request.has_consent()) *inquiry.mutable_consent() = request.consent();
  auto stored = store_->Submit(inquiry, request.contact(), Actor(caller),
                               Replay(caller, IdempotencyKey(request)));
  if (!stored.ok()) return stored.status();
  // The caller's own contact, unless a retry comes after the asker was erased.
  if (!stored->contact_erased()) *stored->mutable_contact() = request.contact();
  if (stored->need_type() == v1::NEED_TYPE_FACILITY_ACCESS && slots_ &&
      config_.max_suggestions > 0) {
    // Suggestions help the responder; an inquiry is never refused for want of them.
    auto suggestions = Suggestions(*stored);
    if (suggestions.ok() && !suggestions->empty() &&
        store_->SaveSuggestions(stored->id(), *suggestions).ok())
      for (auto& s : *suggestions) *stored->add_suggestions() = std::move(s);
    else if (!suggestions.ok())
      logging::Warn(
          "desk: no suggestions for an inquiry",
          {{"inquiry", stored->id()}, {"error", std::string(suggestions.status().message())}});
  }
  return stored;
}

absl::StatusOr<std::vector<v1::Suggestion>> Desk::Suggestions(const v1::Inquiry& inquiry) {
  using google::protobuf::util::TimeUtil;
  scheduler::v1::FindSlotsRequest request;
  auto* search = request.mutable_search();
  for (int theme : inquiry.themes()) search->add_themes(static_cast<reg::v1::Theme>(theme));
  if (!inquiry.region().empty()) search->add_region_codes(inquiry.region());
  search->add_network_ids(inquiry.network_id());
  if (inquiry.asker_is_sme()) search->set_sme_accessible(true);
  request.set_duration_minutes(config_.suggestion_slot_minutes);
  const int64_t now = NowMs();
  *request.mutable_start_time() = TimeUtil::MillisecondsToTimestamp(now);
  *request.mutable_end_time() = TimeUtil::MillisecondsToTimestamp(
      now + int64_t{config_.suggestion_horizon_days} * 86400 * 1000);
  // The earliest slot of each matching resource, ranked by time: a resource free only later is
  // still suggested while fewer than max_suggestions were found.
  request.set_earliest_per_resource(true);
  request.set_max_results(100);
  // Searched as the entry partner, who books on the asker's behalf: only what it may book.
  Caller entry{"desk", inquiry.entry_organization_id(), {auth::v1::ROLE_MEMBER}, {}, {}};
  auto found = slots_->FindSlots(entry, request);
  if (!found.ok()) return found.status();
  std::vector<v1::Suggestion> suggestions;
  for (const auto& slot : found->slots()) {
    v1::Suggestion s;
    s.set_resource_id(slot.resource_id());
    s.set_display_name(slot.display_name());
    *s.mutable_earliest_start_time() = slot.start_time();
    *s.mutable_earliest_end_time() = slot.end_time();
    suggestions.push_back(std::move(s));
    if (static_cast<int>(suggestions.size()) >= config_.max_suggestions) break;
  }
  return suggestions;
}

absl::StatusOr<Desk::View> Desk::ViewOf(const Caller& caller, const v1::Inquiry& inquiry) {
  // The entry partner's staff took the question in and may reach the asker; its integrations
  // (read-only tokens) and its responders (unless assigned) see the question only
  // (docs/privacy.md).
  const bool entry = caller.organization_id == inquiry.entry_organization_id();
  const bool entry_staff =
      entry && (caller.Has(auth::v1::ROLE_ORGANIZATION_ADMIN) || caller.Has(auth::v1::ROLE_MEMBER));
  if (caller.IsPlatformAdmin() || caller.Coordinates(inquiry.network_id()) || entry_staff)
    return View::kFull;
  // The closed loop: an organisation it was referred from or to, and the coordinators of a network
  // that handled it, follow its state and outcome without the asker's contact.
  bool referrer = std::find(inquiry.referral_chain().begin(), inquiry.referral_chain().end(),
                            caller.organization_id) != inquiry.referral_chain().end();
  for (const auto& network : inquiry.network_chain())
    referrer = referrer || caller.Coordinates(network);
  const View least = entry || referrer ? View::kOffer : View::kNone;
  std::vector<std::string> ids(inquiry.offered_to().begin(), inquiry.offered_to().end());
  if (!inquiry.assignee_id().empty()) ids.push_back(inquiry.assignee_id());
  if (ids.empty()) return least;
  auto responders = store_->GetResponders(ids);
  if (!responders.ok()) return responders.status();
  View view = least;
  for (const auto& r : *responders) {
    if (ActsAs(caller, r)) {
      if (r.id() == inquiry.assignee_id()) return View::kFull;
      view = View::kOffer;
    } else if (caller.organization_id == r.organization_id()) {
      // The responder's organisation (its integrations, its webhooks, its other staff): the
      // question offered to or taken by one of its people, without the asker's contact.
      view = View::kOffer;
    }
  }
  return view;
}

absl::StatusOr<std::optional<Desk::Seen>> Desk::Fetch(const Caller& caller, const std::string& id,
                                                      bool with_history) {
  auto stored = store_->GetInquiry(id, with_history);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<Seen>();
  auto view = ViewOf(caller, (*stored)->inquiry);
  if (!view.ok()) return view.status();
  if (*view == View::kNone) return std::optional<Seen>();
  // Offered, not yet accepted, or referred on: the question without the asker's contact.
  if (*view == View::kOffer) ClearPersonalData(&(*stored)->inquiry);
  return std::optional<Seen>(Seen{std::move((*stored)->inquiry), *view});
}

absl::StatusOr<v1::Inquiry> Desk::Load(const Caller& caller, const std::string& id, View needed) {
  if (id.empty()) return InvalidField("id", "is required");
  auto seen = Fetch(caller, id, false);
  if (!seen.ok()) return seen.status();
  if (!seen->has_value()) return NotFoundError("inquiry", id);
  if ((*seen)->view < needed) return Forbidden("you may not do this with this inquiry");
  return std::move((*seen)->inquiry);
}

absl::StatusOr<v1::Inquiry> Desk::GetInquiry(const Caller& caller, const std::string& id) {
  if (id.empty()) return InvalidField("id", "is required");
  auto seen = Fetch(caller, id, true);
  if (!seen.ok()) return seen.status();
  if (!seen->has_value()) return NotFoundError("inquiry", id);
  return std::move((*seen)->inquiry);
}

absl::StatusOr<std::optional<v1::Inquiry>> Desk::Visible(const Caller& caller,
                                                         const std::string& id) {
  auto seen = Fetch(caller, id, false);
  if (!seen.ok()) return seen.status();
  if (!seen->has_value()) return std::optional<v1::Inquiry>();
  return std::optional<v1::Inquiry>(std::move((*seen)->inquiry));
}

absl::StatusOr<std::optional<v1::Inquiry>> Desk::OfferedTo(const Caller& reader,
                                                           const std::string& inquiry_id,
                                                           const std::string& responder_id) {
  if (responder_id.empty()) return std::optional<v1::Inquiry>();
  auto responder = store_->GetResponder(responder_id);
  if (!responder.ok()) return responder.status();
  if (!responder->has_value() || (*responder)->organization_id() != reader.organization_id)
    return std::optional<v1::Inquiry>();
  auto stored = store_->GetInquiry(inquiry_id, false);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<v1::Inquiry>();
  return std::optional<v1::Inquiry>(AsDeclined((*stored)->inquiry));
}

absl::StatusOr<v1::ListInquiriesResponse> Desk::ListInquiries(
    const Caller& caller, const v1::ListInquiriesRequest& request) {
  if (request.follow_up_due() && request.entry_organization_id().empty())
    return InvalidField("follow_up_due",
                        "lists an entry partner's inquiries: give "
                        "entry_organization_id");
  const int chosen = !request.network_id().empty() + !request.entry_organization_id().empty() +
                     !request.responder_id().empty() + request.escalated();
  if (chosen != 1)
    return InvalidField(
        "network_id",
        "give exactly one of network_id, entry_organization_id, responder_id, escalated");
  InquiryIndex index = InquiryIndex::kNetwork;
  std::string key;
  bool offers_only = false;
  if (request.escalated()) {
    if (!caller.IsPlatformAdmin())
      return Forbidden("escalated inquiries across networks are listed for platform admins");
    index = InquiryIndex::kEscalated;
  } else if (!request.network_id().empty()) {
    if (!caller.Coordinates(request.network_id()))
      return Forbidden("a network's inquiries are listed for its coordinators");
    key = request.network_id();
  } else if (!request.entry_organization_id().empty()) {
    if (caller.organization_id != request.entry_organization_id() && !caller.IsPlatformAdmin())
      return Forbidden("an entry partner lists the inquiries it took in");
    index = InquiryIndex::kEntryOrganization;
    key = request.entry_organization_id();
  } else {
    auto responder = ActingResponder(caller, request.responder_id());
    if (!responder.ok()) return responder.status();
    index = InquiryIndex::kResponder;
    key = request.responder_id();
    offers_only = true;
  }
  auto size = PageSize(request.page_size(), config_.default_page_size, config_.max_page_size);
  if (!size.ok()) return size.status();
  auto after = InquiryCursor(request.page_token());
  if (!after.ok()) return after.status();
  auto wanted = [&](const v1::Inquiry& inquiry) {
    if (!request.states().empty() && std::find(request.states().begin(), request.states().end(),
                                               inquiry.state()) == request.states().end())
      return false;
    return !request.follow_up_due() || inquiry.follow_up().state() == v1::FollowUp::STATE_DUE;
  };
  // A filtered list reads on until the page is full, so a page is short only at the end, up to
  // ten pages' worth of the index a call; past that it answers what it found and where it got.
  v1::ListInquiriesResponse response;
  IndexCursor cursor = *after;
  std::optional<IndexCursor> next;
  for (int read = 0; read < 10 * *size;) {
    auto page = store_->InquiryIds(index, key, cursor, *size);
    if (!page.ok()) return page.status();
    auto inquiries = store_->GetInquiries(page->ids);
    if (!inquiries.ok()) return inquiries.status();
    std::map<std::string, v1::Inquiry*> by_id;
    for (auto& inquiry : *inquiries) by_id[inquiry.id()] = &inquiry;
    for (size_t n = 0; n < page->ids.size() && response.inquiries_size() < *size; ++n) {
      cursor = {page->scores[n], page->ids[n]};
      ++read;
      auto found = by_id.find(page->ids[n]);
      if (found == by_id.end() || !wanted(*found->second)) continue;
      v1::Inquiry& inquiry = *found->second;
      // A responder sees the asker's contact once it has accepted; anyone else as GetInquiry
      // shows it (an entry partner's integrations and unassigned responders see the question
      // only).
      if (offers_only && inquiry.assignee_id() != request.responder_id())
        ClearPersonalData(&inquiry);
      auto view = ViewOf(caller, inquiry);
      if (!view.ok()) return view.status();
      if (*view != View::kFull) ClearPersonalData(&inquiry);
      *response.add_inquiries() = std::move(inquiry);
    }
    // The end of the index: read to its last entry, or what was left went meanwhile.
    if (page->ids.empty() || (cursor.id == page->ids.back() && !page->next)) {
      next.reset();
      break;
    }
    next = cursor;
    if (response.inquiries_size() == *size) break;
  }
  response.set_next_page_token(InquiryToken(next));
  return response;
}

absl::StatusOr<v1::ListAssignmentsResponse> Desk::ListAssignments(
    const Caller& caller, const v1::ListAssignmentsRequest& request) {
  auto responder = ActingResponder(caller, request.responder_id());
  if (!responder.ok()) return responder.status();
  auto page = store_->InquiryIds(InquiryIndex::kResponder, request.responder_id(), {}, 1000);
  if (!page.ok()) return page.status();
  auto inquiries = store_->GetInquiries(page->ids);
  if (!inquiries.ok()) return inquiries.status();
  v1::ListAssignmentsResponse response;
  for (auto& inquiry : *inquiries) {
    if (inquiry.state() == v1::INQUIRY_STATE_ASSIGNED &&
        inquiry.assignee_id() == request.responder_id()) {
      *response.add_assigned() = std::move(inquiry);
    } else if (inquiry.state() == v1::INQUIRY_STATE_OFFERED &&
               std::find(inquiry.offered_to().begin(), inquiry.offered_to().end(),
                         request.responder_id()) != inquiry.offered_to().end()) {
      ClearPersonalData(&inquiry);
      *response.add_offered() = std::move(inquiry);
    }
  }
  return response;
}

absl::StatusOr<v1::Inquiry> Desk::Accept(const Caller& caller,
                                         const v1::AcceptInquiryRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  auto responder = ActingResponder(caller, request.responder_id());
  if (!responder.ok()) return responder.status();
  auto accepted = store_->Accept(request.id(), request.responder_id(), Actor(caller),
                                 Replay(caller, IdempotencyKey(request)));
  if (!accepted.ok()) return accepted.status();
  return GetInquiry(caller, request.id());
}

absl::StatusOr<v1::Inquiry> Desk::Decline(const Caller& caller,
                                          const v1::DeclineInquiryRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  if (request.reason().empty())
    return InvalidField("reason", "is required: say why, so the desk learns");
  if (Characters(request.reason()) > 2000)
    return InvalidField("reason", "must be at most 2000 characters");
  if (!v1::DeclineReason_IsValid(request.reason_code()))
    return InvalidField("reason_code", "is not a DeclineReason");
  auto responder = ActingResponder(caller, request.responder_id());
  if (!responder.ok()) return responder.status();
  auto declined = store_->Decline(
      request.id(), request.responder_id(), Actor(caller), request.reason(),
      request.reason_code() == v1::DECLINE_REASON_UNSPECIFIED ? v1::DECLINE_REASON_OTHER
                                                              : request.reason_code(),
      Replay(caller, IdempotencyKey(request)));
  if (!declined.ok()) return declined.status();
  return AsDeclined(*declined);
}

// A referral to an organisation or a responder must reach someone who takes the question (its
// need type, language and one of its themes; the place is the referrer's choice): said at once, not
// found out later as an escalation. A whole network's desk routes as usual.
absl::Status Desk::CheckTargetFits(const v1::Inquiry& inquiry,
                                   const v1::ReferInquiryRequest& request,
                                   const std::string& target_org, const char* target_field) {
  if (target_org.empty()) return absl::OkStatus();
  v1::Inquiry referred = inquiry;
  referred.set_target_organization_id(target_org);
  referred.set_target_responder_id(request.target_responder_id());
  std::vector<std::string> ids;
  if (!request.target_responder_id().empty()) {
    ids.push_back(request.target_responder_id());
  } else {
    auto of_org = store_->ResponderIds(target_org);
    if (!of_org.ok()) return of_org.status();
    ids = std::move(*of_org);
  }
  auto responders = store_->GetResponders(ids);
  if (!responders.ok()) return responders.status();
  // Who declined it (or let an offer lapse) never gets it again: a referral to them would be
  // accepted and escalate at once.
  auto routing = store_->ForRouting(inquiry.id());
  if (!routing.ok()) return routing.status();
  std::vector<std::string> declined;
  if (routing->has_value()) declined = (*routing)->declined;
  std::string why = "has no responder on the desk";
  for (const auto& r : *responders) {
    why = std::find(declined.begin(), declined.end(), r.id()) != declined.end()
              ? "has declined this inquiry already"
              : Unfit(referred, r);
    if (why.empty()) return absl::OkStatus();
  }
  if (request.target_responder_id().empty() && responders->size() > 1)
    why = "has no responder who takes this inquiry (for example, one " + why + ")";
  return PreconditionError("TARGET_DOES_NOT_FIT", absl::StrCat(target_field, " ", why),
                           {{"field", target_field}});
}

absl::StatusOr<v1::Inquiry> Desk::Refer(const Caller& caller,
                                        const v1::ReferInquiryRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  const bool named_org = !request.target_organization_id().empty();
  const bool named_responder = !request.target_responder_id().empty();
  if (named_org && named_responder)
    return InvalidField("target_organization_id",
                        "give one of target_organization_id, target_responder_id");
  if (!named_org && !named_responder && request.target_network_id().empty())
    return InvalidField("target_organization_id",
                        "give one of target_organization_id, target_responder_id, or "
                        "target_network_id alone for that network's desk");
  if (request.note().empty())
    return InvalidField("note", "is required: tell the next partner what is asked");
  if (Characters(request.note()) > 4000)
    return InvalidField("note", "must be at most 4000 characters");
  // A retry of a referral that went through (the checks below would refuse it: the referrer may
  // no longer hold the inquiry): the inquiry as the referrer may see it now, or, once it may not,
  // the question as it was handed on, never how it is handled since.
  const std::string replay = Replay(caller, IdempotencyKey(request));
  auto went_through = store_->WentThrough(replay);
  if (!went_through.ok()) return went_through.status();
  if (*went_through) {
    auto seen = Visible(caller, request.id());
    if (!seen.ok()) return seen.status();
    if (seen->has_value()) {
      ClearPersonalData(&**seen);
      return std::move(**seen);
    }
    auto stored = store_->GetInquiry(request.id(), false);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return NotFoundError("inquiry", request.id());
    return AsDeclined((*stored)->inquiry);
  }
  ReferCommand command{request.id(),
                       Actor(caller),
                       request.responder_id(),
                       "",
                       request.target_organization_id(),
                       request.target_responder_id(),
                       request.note()};
  auto inquiry = Load(caller, request.id(), View::kFull);
  if (!inquiry.ok()) return inquiry.status();
  if (!request.responder_id().empty()) {
    auto responder = ActingResponder(caller, request.responder_id());
    if (!responder.ok()) return responder.status();
    command.holder_organization_id = responder->organization_id();
  } else if (!caller.Coordinates(inquiry->network_id())) {
    return Forbidden(
        "the assignee refers an inquiry (give responder_id); coordinators refer escalated ones");
  } else {
    command.acting_network = inquiry->network_id();
  }
  const char* target_field = named_responder ? "target_responder_id" : "target_organization_id";
  std::string target_org = request.target_organization_id();
  if (named_responder) {
    auto target = store_->GetResponder(request.target_responder_id());
    if (!target.ok()) return target.status();
    if (!target->has_value())
      return InvalidField("target_responder_id", "is not a registered responder");
    target_org = (*target)->organization_id();
    command.target_responder_organization_id = target_org;
  } else if (named_org) {
    auto exists = directory_->OrganizationExists(target_org);
    if (!exists.ok()) return exists.status();
    if (!*exists) return InvalidField(target_field, "is not a registered organisation");
  }
  // Which network handles it next: the one named, else its own when the target is a member, else
  // the target's only network.
  std::string network = request.target_network_id();
  if (network.empty()) {
    auto own = directory_->Members(inquiry->network_id());
    if (!own.ok()) return own.status();
    const auto networks = directory_->NetworksOf(target_org);
    if (own->has_value() && (*own)->count(target_org)) {
      network = inquiry->network_id();
    } else if (networks.size() == 1) {
      network = *networks.begin();
    } else {
      return InvalidField(target_field,
                          networks.empty() ? "belongs to no network"
                                           : "belongs to several networks: give target_network_id");
    }
  }
  auto members = directory_->Members(network);
  if (!members.ok()) return members.status();
  if (!members->has_value())
    return InvalidField("target_network_id", "is not a registered network");
  if (!target_org.empty() && !(*members)->count(target_org))
    return InvalidField(target_field, "is not a member of network " + network);
  command.target_network_id = network;
  if (auto fits = CheckTargetFits(*inquiry, request, target_org, target_field); !fits.ok())
    return fits;
  // The referrer may no longer see the inquiry once it moved on: it gets it back as it left it,
  // without the asker's contact.
  auto referred = store_->Refer(command, replay);
  if (!referred.ok()) {
    // A loop or a missing consent is about the target the request names.
    const std::string reason = ErrorReason(referred.status());
    if (reason == "REFERRAL_LOOP" || reason == "CONSENT_REQUIRED")
      return WithField(referred.status(),
                       !request.target_responder_id().empty()      ? "target_responder_id"
                       : !request.target_organization_id().empty() ? "target_organization_id"
                                                                   : "target_network_id");
    return referred.status();
  }
  ClearPersonalData(&*referred);
  return referred;
}

absl::StatusOr<v1::Inquiry> Desk::Resolve(const Caller& caller,
                                          const v1::ResolveInquiryRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  FieldErrors errors;
  Validate(request, &errors);
  if (!errors.empty()) return errors.ToStatus();
  // A retry of a resolution that went through: answered as the first was, though the entry
  // partner's right to resolve a returned inquiry ended with it.
  const std::string replay = Replay(caller, IdempotencyKey(request));
  auto went_through = store_->WentThrough(replay);
  if (!went_through.ok()) return went_through.status();
  if (*went_through) return GetInquiry(caller, request.id());
  auto inquiry = Load(caller, request.id(), View::kFull);
  if (!inquiry.ok()) return inquiry.status();
  std::string acting_network;
  bool returned = false;  // checked again in the store's step: it may be taken up meanwhile
  if (!request.responder_id().empty()) {
    auto responder = ActingResponder(caller, request.responder_id());
    if (!responder.ok()) return responder.status();
  } else if (caller.Coordinates(inquiry->network_id())) {
    acting_network = inquiry->network_id();
  } else {
    // The entry partner may withdraw the question it took in, and answers the asker itself once
    // it came back (escalation level 3); resolving is otherwise the assignee's.
    returned = request.outcome() != v1::OUTCOME_WITHDRAWN;
    const bool back =
        inquiry->state() == v1::INQUIRY_STATE_ESCALATED && inquiry->escalation_level() >= 3;
    if (!caller.CanWriteFor(inquiry->entry_organization_id()) || (returned && !back))
      return Forbidden(
          "the assignee resolves an inquiry (give responder_id); the entry partner may withdraw "
          "it, or resolve it once it came back to them");
  }
  if (request.outcome() == v1::OUTCOME_FACILITY_BOOKED) {
    if (absl::Status booked = CheckFacilityBooked(*inquiry, request.booking_id()); !booked.ok())
      return booked;
  }
  auto resolved = store_->Resolve(request.id(), Actor(caller), request.responder_id(),
                                  acting_network, returned, request, replay);
  if (!resolved.ok()) return resolved.status();
  return GetInquiry(caller, request.id());
}

// The booking a FACILITY_BOOKED outcome names is the asker's and stands: made for the asker's
// organisation when the entry partner named one, else by the entry partner on the asker's behalf;
// requested, confirmed, under way or done (not a hold, nor cancelled, rejected, expired or a
// no-show).
absl::Status Desk::CheckFacilityBooked(const v1::Inquiry& inquiry,
                                       const std::string& booking_id) const {
  if (slots_ == nullptr)
    return PreconditionError(
        "BOOKINGS_UNAVAILABLE",
        "this process cannot read bookings to check a FACILITY_BOOKED outcome");
  auto booking = slots_->GetBooking(booking_id);
  if (!booking.ok()) return booking.status();
  if (!booking->has_value()) return InvalidField("booking_id", "is not a booking");
  const std::string& asker = inquiry.asker_organization_id().empty()
                                 ? inquiry.entry_organization_id()
                                 : inquiry.asker_organization_id();
  if ((*booking)->organization_id() != asker)
    return InvalidField("booking_id", inquiry.asker_organization_id().empty()
                                          ? "was not made by the entry partner (the asker names "
                                            "no organisation)"
                                          : "was not made for the asker's organisation");
  switch ((*booking)->state()) {
    case scheduler::v1::BOOKING_STATE_PENDING_APPROVAL:
    case scheduler::v1::BOOKING_STATE_CONFIRMED:
    case scheduler::v1::BOOKING_STATE_CHECKED_IN:
    case scheduler::v1::BOOKING_STATE_COMPLETED:
      return absl::OkStatus();
    default:
      return InvalidField("booking_id",
                          "is not a standing booking (a hold, or cancelled, rejected, expired or "
                          "a no-show)");
  }
}

absl::StatusOr<v1::Inquiry> Desk::RecordFeedback(const Caller& caller,
                                                 const v1::RecordFeedbackRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  FieldErrors errors;
  Validate(request.feedback(), "feedback", &errors);
  if (!errors.empty()) return errors.ToStatus();
  auto inquiry = Load(caller, request.id(), View::kFull);
  if (!inquiry.ok()) return inquiry.status();
  if (!caller.CanWriteFor(inquiry->entry_organization_id()))
    return Forbidden("the entry partner records the asker's feedback");
  auto recorded = store_->RecordFeedback(request.id(), Actor(caller), request.feedback(),
                                         Replay(caller, IdempotencyKey(request)));
  if (!recorded.ok()) return recorded.status();
  return GetInquiry(caller, request.id());
}

absl::StatusOr<v1::Inquiry> Desk::EraseAsker(const Caller& caller,
                                             const v1::EraseAskerRequest& request) {
  auto inquiry = Load(caller, request.id(), View::kFull);
  if (!inquiry.ok()) return inquiry.status();
  if (!caller.IsPlatformAdmin() && !caller.CanWriteFor(inquiry->entry_organization_id()))
    return Forbidden("a platform admin or the entry partner erases the asker's personal data");
  // The feedback request still waiting for the asker (it holds the address for a day) goes too:
  // before the contact (so that a failure leaves the call to be tried again with the address
  // still known), and once more after it for one a change read in between may have queued. Other
  // e-mails to the same address (another organisation's) stay: ErasePersonalData drops them all.
  const std::string address = inquiry->contact().email();
  auto drop_request = [&]() -> absl::Status {
    if (address.empty() || !drop_feedback_request_) return absl::OkStatus();
    return drop_feedback_request_(address, request.id());
  };
  if (absl::Status dropped = drop_request(); !dropped.ok()) return dropped;
  auto erased =
      store_->EraseAsker(request.id(), Actor(caller), Replay(caller, IdempotencyKey(request)));
  if (!erased.ok()) return erased.status();
  if (absl::Status dropped = drop_request(); !dropped.ok())
    logging::Warn("desk: an erased asker's feedback request could not be dropped again",
                  {{"inquiry", request.id()}, {"error", std::string(dropped.message())}});
  return GetInquiry(caller, request.id());
}

absl::StatusOr<v1::Inquiry> Desk::RecordConsent(const Caller& caller,
                                                const v1::RecordConsentRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  if (!request.has_consent()) return InvalidField("consent", "is required");
  FieldErrors errors;
  Validate(request.consent(), "consent", &errors);
  if (!errors.empty()) return errors.ToStatus();
  // Whoever may reach the asker records what the asker agreed to.
  auto inquiry = Load(caller, request.id(), View::kFull);
  if (!inquiry.ok()) return inquiry.status();
  auto recorded = store_->RecordConsent(request.id(), Actor(caller), request.consent(),
                                        Replay(caller, IdempotencyKey(request)));
  if (!recorded.ok()) return recorded.status();
  return GetInquiry(caller, request.id());
}

absl::StatusOr<v1::Inquiry> Desk::RecordFollowUp(const Caller& caller,
                                                 const v1::RecordFollowUpRequest& request) {
  if (request.id().empty()) return InvalidField("id", "is required");
  if (Characters(request.note()) > 2000)
    return InvalidField("note", "must be at most 2000 characters");
  auto inquiry = Load(caller, request.id(), View::kFull);
  if (!inquiry.ok()) return inquiry.status();
  if (!caller.CanWriteFor(inquiry->entry_organization_id()))
    return Forbidden("the entry partner asks the asker and records the answer");
  auto recorded = store_->RecordFollowUp(request.id(), Actor(caller), request.help_started(),
                                         request.note(), Replay(caller, IdempotencyKey(request)));
  if (!recorded.ok()) return recorded.status();
  return GetInquiry(caller, request.id());
}

absl::StatusOr<v1::DeskReport> Desk::Report(const Caller& caller,
                                            const v1::DeskReportRequest& request) {
  using google::protobuf::util::TimeUtil;
  if (request.network_id().empty()) return InvalidField("network_id", "is required");
  if (!request.has_start_time()) return InvalidField("start_time", "is required");
  if (!request.has_end_time()) return InvalidField("end_time", "is required");
  const int64_t start = TimeUtil::TimestampToMilliseconds(request.start_time());
  const int64_t end = TimeUtil::TimestampToMilliseconds(request.end_time());
  if (end <= start) return InvalidField("end_time", "must be after start_time");
  if (end - start > int64_t{366} * 86400 * 1000)
    return InvalidField("end_time", "a report covers at most 366 days");
  if (!caller.Coordinates(request.network_id()))
    return Forbidden("a network's desk report is for its coordinators");
  auto network = directory_->Members(request.network_id());
  if (!network.ok()) return network.status();
  if (!network->has_value()) return NotFoundError("network", request.network_id());
  auto inquiries = InquiriesCreatedBetween(*store_, request.network_id(), start, end);
  if (!inquiries.ok()) return inquiries.status();
  v1::DeskReport report = BuildReport(request, *inquiries);
  if (auto status = AddCrossNetworkReferrals(*store_, &report); !status.ok()) return status;
  return report;
}

}  // namespace infrashare::desk
