#include "services/privacy/privacy_service.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/text_fold.h"

namespace infrashare::privacy {
namespace {

// The address as matched everywhere (text_fold.h).
absl::StatusOr<std::string> NormalEmail(const std::string& given) {
  std::string email = FoldEmail(given);
  if (email.empty()) return InvalidField("email", "is required");
  if (email.find('@') == std::string::npos)
    return InvalidField("email", "must be an e-mail address");
  return email;
}

// "pd1:<section>:<offset>", "" = the first page: {section, offset}.
absl::StatusOr<std::pair<int, int>> ParsePageToken(const std::string& token) {
  if (token.empty()) return std::pair{0, 0};
  std::vector<std::string> parts = absl::StrSplit(token, ':');
  int section = 0, offset = 0;
  if (parts.size() != 3 || parts[0] != "pd1" || !absl::SimpleAtoi(parts[1], &section) ||
      !absl::SimpleAtoi(parts[2], &offset) || section < 0 || section > 6 || offset < 0)
    return InvalidField("page_token", "is not a token this server issued");
  return std::pair{section, offset};
}

// The desk responders whose offers go to `email` (folded).
absl::StatusOr<std::vector<desk::v1::Responder>> RespondersOf(desk::DeskStore* desk,
                                                              const std::string& email) {
  auto ids = desk->ResponderIds("");
  if (!ids.ok()) return ids.status();
  auto all = desk->GetResponders(*ids);
  if (!all.ok()) return all.status();
  std::vector<desk::v1::Responder> found;
  for (auto& r : *all)
    if (!r.email().empty() && FoldEmail(r.email()) == email) found.push_back(std::move(r));
  return found;
}

absl::Status OnlyPlatformAdmins(const Caller& caller) {
  if (!caller.IsPlatformAdmin())
    return Forbidden("only platform admins export or erase personal data");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::PersonalData> PrivacyServiceImpl::Export(
    const Caller& caller, const v1::ExportPersonalDataRequest& request) {
  if (auto allowed = OnlyPlatformAdmins(caller); !allowed.ok()) return allowed;
  auto email = NormalEmail(request.email());
  if (!email.ok()) return email.status();
  auto position = ParsePageToken(request.page_token());
  if (!position.ok()) return position.status();
  int room = request.page_size() == 0 ? 100 : request.page_size();
  if (room < 1 || room > 500) return InvalidField("page_size", "must be between 1 and 500");
  int section = position->first,
      offset = position->second;  // not a structured binding: lambdas capture them

  v1::PersonalData out;
  out.set_email(*email);
  *out.mutable_export_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(NowMs());
  auto page_ends_at = [&out](int section, int offset) {
    out.set_next_page_token(absl::StrCat("pd1:", section, ":", offset));
    return out;
  };
  // Section 0: the e-mail preferences, then the inquiries, this page's slice read in one round
  // trip.
  if (section == 0) {
    if (offset == 0) {
      auto preferences = mail_.preferences(*email);
      if (!preferences.ok()) return preferences.status();
      if (*preferences) *out.mutable_email_preferences() = std::move(**preferences);
    }
    auto ids = desk_->AskerInquiries(*email);
    if (!ids.ok()) return ids.status();
    const size_t from = std::min<size_t>(offset, ids->size());
    const size_t to = std::min<size_t>(from + room, ids->size());
    auto inquiries =
        desk_->GetInquiries(std::vector<std::string>(ids->begin() + from, ids->begin() + to));
    if (!inquiries.ok()) return inquiries.status();
    for (const auto& inquiry : *inquiries) {  // one gone since is left out
      auto* record = out.add_inquiries();
      record->set_inquiry_id(inquiry.id());
      record->set_network_id(inquiry.network_id());
      record->set_entry_organization_id(inquiry.entry_organization_id());
      if (inquiry.has_contact()) *record->mutable_contact() = inquiry.contact();
      record->set_text(inquiry.text());
      record->set_feedback_comment(inquiry.feedback().comment());
      *record->mutable_create_time() = inquiry.create_time();
      record->set_state(inquiry.state());
      // The consent record and the follow-up answer are the asker's personal data too
      // (docs/privacy.md).
      if (inquiry.has_consent()) *record->mutable_consent() = inquiry.consent();
      if (inquiry.follow_up().state() != desk::v1::FollowUp::STATE_UNSPECIFIED)
        *record->mutable_follow_up() = inquiry.follow_up();
    }
    room -= static_cast<int>(to - from);
    if (to < ids->size()) return page_ends_at(0, static_cast<int>(to));
    section = 1;
    offset = 0;
  }
  // Sections 1-3: staff, organisation contacts, coordinators; found in memory, only when a page
  // reaches them.
  v1::PersonalData registry_records;
  if (auto found = registry_->CollectPersonalData(*email, &registry_records); !found.ok())
    return found;
  auto take = [&](const auto& from, auto* into) {  // false when the page fills first
    for (; offset < from.size(); ++offset) {
      if (room == 0) return false;
      *into->Add() = from[offset];
      --room;
    }
    offset = 0;
    return true;
  };
  for (; section <= 3; ++section) {
    const bool whole =
        section == 1 ? take(registry_records.staff(), out.mutable_staff())
        : section == 2
            ? take(registry_records.organization_contacts(), out.mutable_organization_contacts())
            : take(registry_records.network_coordinators(), out.mutable_network_coordinators());
    if (!whole) return page_ends_at(section, offset);
  }
  // Section 4: event registrations naming the person.
  if (section == 4) {
    auto registrations = programme_->PersonRegistrations(*email);
    if (!registrations.ok()) return registrations.status();
    const google::protobuf::RepeatedPtrField<programme::v1::Registration> found(
        registrations->begin(), registrations->end());
    if (!take(found, out.mutable_event_registrations())) return page_ends_at(4, offset);
    section = 5;
  }
  // Section 5: desk responders whose offers are e-mailed to the person.
  if (section == 5) {
    auto responders = RespondersOf(desk_, *email);
    if (!responders.ok()) return responders.status();
    const google::protobuf::RepeatedPtrField<desk::v1::Responder> listed(responders->begin(),
                                                                         responders->end());
    if (!take(listed, out.mutable_responders())) return page_ends_at(5, offset);
    section = 6;
  }
  // Section 6: bookings and waiting entries the person gave their address for.
  auto booked = bookings_->BookingsOfContact(PersonOf(*email));
  if (!booked.ok()) return booked.status();
  google::protobuf::RepeatedPtrField<v1::BookingContactRecord> contacts;
  for (const auto& b : *booked) {
    auto* record = contacts.Add();
    record->set_booking_id(b.id);
    record->set_resource_id(b.resource_id);
    *record->mutable_start_time() =
        google::protobuf::util::TimeUtil::MillisecondsToTimestamp(b.start);
    *record->mutable_end_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(b.end);
    record->set_state(b.state);
    record->set_email(b.email);
  }
  if (!take(contacts, out.mutable_booking_contacts())) return page_ends_at(6, offset);
  return out;
}

absl::StatusOr<v1::ErasePersonalDataResponse> PrivacyServiceImpl::Erase(
    const Caller& caller, const v1::ErasePersonalDataRequest& request) {
  if (auto allowed = OnlyPlatformAdmins(caller); !allowed.ok()) return allowed;
  auto email = NormalEmail(request.email());
  if (!email.ok()) return email.status();
  v1::ErasePersonalDataResponse erased;
  auto ids = desk_->AskerInquiries(*email);
  if (!ids.ok()) return ids.status();
  auto inquiries = desk_->GetInquiries(*ids);
  if (!inquiries.ok()) return inquiries.status();
  for (const auto& i : *inquiries) {
    const bool texts =
        request.erase_texts() && (!i.text().empty() || !i.feedback().comment().empty());
    // Nothing of the asker left to erase here.
    if (!i.has_contact() && !i.has_consent() && !texts) continue;
    auto erased_one = desk_->EraseAsker(i.id(), caller.token_id, "", request.erase_texts());
    if (!erased_one.ok() && erased_one.status().code() != absl::StatusCode::kNotFound)
      return erased_one.status();
    if (erased_one.ok()) erased.set_inquiries(erased.inquiries() + 1);
  }
  if (auto registry = registry_->ErasePersonalData(caller, *email, &erased); !registry.ok())
    return registry;
  auto registrations = programme_->ErasePerson(*email);
  if (!registrations.ok()) return registrations.status();
  erased.set_event_registrations(*registrations);
  // Responders stay; their address goes. An update racing with the erasure (a new etag) is
  // read again.
  for (int attempt = 0;; ++attempt) {
    auto responders = RespondersOf(desk_, *email);
    if (!responders.ok()) return responders.status();
    bool raced = false;
    for (auto& r : *responders) {
      const std::string etag = r.etag();
      r.clear_email();
      auto put = desk_->PutResponder(std::move(r), etag, std::nullopt, "");
      if (put.ok()) {
        erased.set_responders(erased.responders() + 1);
      } else if (put.status().code() == absl::StatusCode::kAborted ||
                 put.status().code() == absl::StatusCode::kNotFound) {
        raced = true;  // changed or deleted meanwhile
      } else {
        return put.status();
      }
    }
    if (!raced) break;
    if (attempt == 5)
      return absl::AbortedError("responders kept changing during the erasure; erase again");
  }
  auto contacts = bookings_->ForgetContact(PersonOf(*email));
  if (!contacts.ok()) return contacts.status();
  erased.set_booking_contacts(*contacts);
  // Last: an e-mail queued from a change read meanwhile still finds the address gone from the
  // bookings above, and this drops what was queued before.
  auto mails = mail_.erase(*email);
  if (!mails.ok()) return mails.status();
  erased.set_emails(mails->emails);
  erased.set_webhook_deliveries(mails->webhook_deliveries);
  return erased;
}

grpc::ServerUnaryReactor* PrivacyServiceImpl::ExportPersonalData(
    grpc::CallbackServerContext* context, const v1::ExportPersonalDataRequest* request,
    v1::PersonalData* response) {
  return gate_->UnaryOnWorker(context, "privacy.ExportPersonalData", *request,
                              [this, request, response](const Caller& caller) {
                                return Respond(Export(caller, *request), response);
                              });
}

grpc::ServerUnaryReactor* PrivacyServiceImpl::ErasePersonalData(
    grpc::CallbackServerContext* context, const v1::ErasePersonalDataRequest* request,
    v1::ErasePersonalDataResponse* response) {
  return gate_->UnaryOnWorker(context, "privacy.ErasePersonalData", *request,
                              [this, request, response](const Caller& caller) {
                                return Respond(Erase(caller, *request), response);
                              });
}

}  // namespace infrashare::privacy
