#include "services/privacy/privacy_service.h"

#include <google/protobuf/util/time_util.h>

#include <functional>
#include <utility>
#include <vector>

#include "services/common/text_fold.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/clock.h"
#include "services/common/errors.h"

namespace infrashare::privacy {
namespace {

// The address as matched everywhere (text_fold.h).
absl::StatusOr<std::string> NormalEmail(const std::string& given) {
  std::string email = FoldEmail(given);
  if (email.empty()) return InvalidField("email", "is required");
  if (email.find('@') == std::string::npos) return InvalidField("email", "must be an e-mail address");
  return email;
}

// "pd1:<section>:<offset>", "" = the first page: {section, offset}.
absl::StatusOr<std::pair<int, int>> ParsePageToken(const std::string& token) {
  if (token.empty()) return std::pair{0, 0};
  std::vector<std::string> parts = absl::StrSplit(token, ':');
  int section = 0, offset = 0;
  if (parts.size() != 3 || parts[0] != "pd1" || !absl::SimpleAtoi(parts[1], &section) ||
      !absl::SimpleAtoi(parts[2], &offset) || section < 0 || section > 3 || offset < 0)
    return InvalidField("page_token", "is not a token this server issued");
  return std::pair{section, offset};
}

absl::Status OnlyPlatformAdmins(const Caller& caller) {
  if (!caller.IsPlatformAdmin()) return Forbidden("only platform admins export or erase personal data");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::PersonalData> PrivacyServiceImpl::Export(const Caller& caller,
                                                            const v1::ExportPersonalDataRequest& request) {
  if (auto allowed = OnlyPlatformAdmins(caller); !allowed.ok()) return allowed;
  auto email = NormalEmail(request.email());
  if (!email.ok()) return email.status();
  auto position = ParsePageToken(request.page_token());
  if (!position.ok()) return position.status();
  int size = request.page_size() == 0 ? 100 : request.page_size();
  if (size < 1 || size > 500) return InvalidField("page_size", "must be between 1 and 500");

  v1::PersonalData registry_records;  // small: found in memory, sliced below
  if (auto found = registry_->CollectPersonalData(*email, &registry_records); !found.ok()) return found;
  auto ids = desk_->AskerInquiries(*email);
  if (!ids.ok()) return ids.status();

  v1::PersonalData out;
  out.set_email(*email);
  *out.mutable_export_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(NowMs());
  // The sections in page order: how many records each holds, and how to add its i-th.
  const std::vector<std::pair<int, std::function<absl::Status(int)>>> sections = {
      {static_cast<int>(ids->size()),
       [&](int i) -> absl::Status {
         auto stored = desk_->GetInquiry((*ids)[i], false);
         if (!stored.ok()) return stored.status();
         if (!stored->has_value()) return absl::OkStatus();  // gone since
         const auto& inquiry = (*stored)->inquiry;
         auto* record = out.add_inquiries();
         record->set_inquiry_id(inquiry.id());
         record->set_network_id(inquiry.network_id());
         record->set_entry_organization_id(inquiry.entry_organization_id());
         if (inquiry.has_contact()) *record->mutable_contact() = inquiry.contact();
         record->set_text(inquiry.text());
         record->set_feedback_comment(inquiry.feedback().comment());
         *record->mutable_create_time() = inquiry.create_time();
         record->set_state(inquiry.state());
         return absl::OkStatus();
       }},
      {registry_records.staff_size(), [&](int i) { *out.add_staff() = registry_records.staff(i); return absl::OkStatus(); }},
      {registry_records.organization_contacts_size(),
       [&](int i) { *out.add_organization_contacts() = registry_records.organization_contacts(i); return absl::OkStatus(); }},
      {registry_records.network_coordinators_size(),
       [&](int i) { *out.add_network_coordinators() = registry_records.network_coordinators(i); return absl::OkStatus(); }},
  };
  auto [section, offset] = *position;
  for (; section < static_cast<int>(sections.size()); ++section, offset = 0) {
    for (; offset < sections[section].first; ++offset) {
      if (size == 0) {
        out.set_next_page_token(absl::StrCat("pd1:", section, ":", offset));
        return out;
      }
      if (auto added = sections[section].second(offset); !added.ok()) return added;
      --size;
    }
  }
  return out;
}

absl::StatusOr<v1::ErasePersonalDataResponse> PrivacyServiceImpl::Erase(const Caller& caller,
                                                                        const v1::ErasePersonalDataRequest& request) {
  if (auto allowed = OnlyPlatformAdmins(caller); !allowed.ok()) return allowed;
  auto email = NormalEmail(request.email());
  if (!email.ok()) return email.status();
  v1::ErasePersonalDataResponse erased;
  auto ids = desk_->AskerInquiries(*email);
  if (!ids.ok()) return ids.status();
  const std::string actor = caller.token_id.empty() ? "bootstrap" : caller.token_id;
  for (const auto& id : *ids) {
    auto stored = desk_->GetInquiry(id, false);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) continue;
    const auto& i = (*stored)->inquiry;
    const bool texts = request.erase_texts() && (!i.text().empty() || !i.feedback().comment().empty());
    if (!i.has_contact() && !texts) continue;  // nothing of the asker left to erase here
    auto erased_one = desk_->EraseAsker(id, actor, "", request.erase_texts());
    if (!erased_one.ok() && erased_one.status().code() != absl::StatusCode::kNotFound) return erased_one.status();
    if (erased_one.ok()) erased.set_inquiries(erased.inquiries() + 1);
  }
  if (auto registry = registry_->ErasePersonalData(caller, *email, &erased); !registry.ok()) return registry;
  return erased;
}

grpc::ServerUnaryReactor* PrivacyServiceImpl::ExportPersonalData(grpc::CallbackServerContext* context,
                                                                 const v1::ExportPersonalDataRequest* request,
                                                                 v1::PersonalData* response) {
  return gate_->UnaryOnWorker(context, "privacy.ExportPersonalData", *request,
                              [this, request, response](const Caller& caller) {
                                return Respond(Export(caller, *request), response);
                              });
}

grpc::ServerUnaryReactor* PrivacyServiceImpl::ErasePersonalData(grpc::CallbackServerContext* context,
                                                                const v1::ErasePersonalDataRequest* request,
                                                                v1::ErasePersonalDataResponse* response) {
  return gate_->UnaryOnWorker(context, "privacy.ErasePersonalData", *request,
                              [this, request, response](const Caller& caller) {
                                return Respond(Erase(caller, *request), response);
                              });
}

}  // namespace infrashare::privacy
