#include "services/privacy/privacy_service.h"

#include <google/protobuf/util/time_util.h>

#include "services/common/text_fold.h"
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
  v1::PersonalData out;
  out.set_email(*email);
  *out.mutable_export_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(NowMs());
  auto ids = desk_->AskerInquiries(*email);
  if (!ids.ok()) return ids.status();
  for (const auto& id : *ids) {
    auto stored = desk_->GetInquiry(id, false);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) continue;  // gone since
    const auto& i = (*stored)->inquiry;
    auto* record = out.add_inquiries();
    record->set_inquiry_id(i.id());
    record->set_network_id(i.network_id());
    record->set_entry_organization_id(i.entry_organization_id());
    if (i.has_contact()) *record->mutable_contact() = i.contact();
    record->set_text(i.text());
    record->set_feedback_comment(i.feedback().comment());
    *record->mutable_create_time() = i.create_time();
    record->set_state(i.state());
  }
  if (auto registry = registry_->CollectPersonalData(*email, &out); !registry.ok()) return registry;
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
