#include "services/common/audit.h"

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/time_util.h>
#include <sodium.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/logging.h"
#include "services/common/rate_limit.h"
#include "services/common/redis_function.h"
#include "services/common/request_limits.h"
#include "services/common/stream_ids.h"
#include "services/common/text_fold.h"

namespace infrashare {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The request's one message field that is not a mask or a time: the object it creates or updates.
const Message* ObjectMessage(const Message& request) {
  const auto* descriptor = request.GetDescriptor();
  const Message* object = nullptr;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) continue;
    const std::string& type = f->message_type()->full_name();
    if (absl::StartsWith(type, "google.protobuf.")) continue;
    if (!request.GetReflection()->HasField(request, f)) continue;
    if (object != nullptr) return nullptr;  // more than one: none is "the" object
    object = &request.GetReflection()->GetMessage(request, f);
  }
  return object;
}

std::string StringField(const Message& m, absl::string_view name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(std::string(name));
  if (f == nullptr || f->is_repeated() || f->type() != FieldDescriptor::TYPE_STRING) return "";
  return m.GetReflection()->GetString(m, f);
}

}  // namespace

bool Mutates(absl::string_view method) {
  const absl::string_view name = MethodName(method);
  return absl::string_view(RateGroupOf(method)) == "write" || name == "ImportResources" ||
         name == "PlanRotation";
}

bool Audited(absl::string_view method) {
  return Mutates(method) || MethodName(method) == "ExportPersonalData";
}

std::string ObjectOf(const Message& request) {
  // A person, named by an e-mail address (PrivacyService): the trail says whose data without
  // holding the address; an auditor who knows it computes the same digest.
  if (std::string email = StringField(request, "email"); !email.empty()) {
    const std::string folded = FoldEmail(email);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(folded.data()),
                       folded.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return absl::StrCat("email-sha256:", hex);
  }
  if (const Message* object = ObjectMessage(request)) {
    if (std::string id = StringField(*object, "id"); !id.empty()) return id;
  }
  if (std::string id = StringField(request, "id"); !id.empty()) return id;
  const auto* descriptor = request.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (f->is_repeated() || f->type() != FieldDescriptor::TYPE_STRING ||
        f->name() == "request_id" || !absl::EndsWith(f->name(), "_id"))
      continue;
    if (std::string id = request.GetReflection()->GetString(request, f); !id.empty()) return id;
  }
  return "";
}

std::vector<std::string> ChangedFields(const Message& request) {
  std::vector<std::string> fields;
  const FieldDescriptor* mask = request.GetDescriptor()->FindFieldByName("update_mask");
  if (mask != nullptr && mask->message_type() == google::protobuf::FieldMask::descriptor() &&
      request.GetReflection()->HasField(request, mask)) {
    const auto& paths = static_cast<const google::protobuf::FieldMask&>(
                            request.GetReflection()->GetMessage(request, mask))
                            .paths();
    fields.assign(paths.begin(), paths.end());
    return fields;
  }
  const Message* object = ObjectMessage(request);
  if (object == nullptr) return fields;
  std::vector<const FieldDescriptor*> set;
  object->GetReflection()->ListFields(*object, &set);
  for (const FieldDescriptor* f : set)
    if (f->name() != "id" && f->name() != "etag") fields.push_back(f->name());
  return fields;
}

std::string AuditedObject(absl::string_view method, const Message& request,
                          const Message* response) {
  const absl::string_view name = MethodName(method);
  if (response != nullptr && (absl::StartsWith(name, "Create") || name == "JoinWaitlist"))
    if (std::string created = ObjectOf(*response); !created.empty()) return created;
  if (std::string named = ObjectOf(request); !named.empty()) return named;
  return response != nullptr ? ObjectOf(*response) : "";
}

AuditLog::AuditLog(RedisPool* redis, AuditConfig config) : redis_(redis), config_(config) {}

std::string AuditLog::Key(absl::string_view organization_id) const {
  return organization_id.empty() ? absl::StrCat(redis_->prefix(), "{audit}:events")
                                 : absl::StrCat(redis_->prefix(), "{audit}:org:", organization_id);
}

void AuditLog::Record(const Caller& caller, absl::string_view method, const Message& request,
                      const Message* response, absl::string_view peer, absl::string_view status) {
  if (!config_.enabled) return;
  auth::v1::AuditEvent event;
  event.set_token_id(caller.token_id);
  event.set_organization_id(caller.organization_id);
  for (Role role : caller.roles) event.add_roles(role);
  event.set_method(std::string(method));
  event.set_object_id(logging::Bounded(AuditedObject(method, request, response)));
  event.set_peer(std::string(peer));
  event.set_status(std::string(status));
  constexpr int kMostFields = 64;
  for (const auto& f : ChangedFields(request))
    if (event.changed_fields_size() < kMostFields) event.add_changed_fields(logging::Bounded(f));
  event.set_request_id(logging::Bounded(RequestIdOf(request)));
  RedisFunctionCall call("audit_append");
  call.Key("platform", Key(""))
      .Key("org", Key(caller.organization_id))
      .Int("retention", int64_t{config_.retention_days} * 86400 * 1000)
      .Arg("event", event.SerializeAsString());
  redis_->FCallAsync(
      call.function(), call.keys(), call.args(), [event](absl::StatusOr<RedisValue> reply) {
        if (reply.ok()) return;
        logging::Error("audit event not stored", {{"error", std::string(reply.status().message())},
                                                  {"method", event.method()},
                                                  {"org", event.organization_id()},
                                                  {"token", event.token_id()},
                                                  {"object", event.object_id()},
                                                  {"peer", event.peer()},
                                                  {"status", event.status()},
                                                  {"request_id", event.request_id()}});
      });
}

absl::StatusOr<auth::v1::ListAuditEventsResponse> AuditLog::List(
    const Caller& caller, const auth::v1::ListAuditEventsRequest& request) {
  std::string organization = request.organization_id();
  if (!caller.IsPlatformAdmin()) {
    if (!caller.IsAdminOf(caller.organization_id))
      return Forbidden(
          "the audit trail is for platform admins and, for their organisation, organisation "
          "admins");
    if (organization.empty()) organization = caller.organization_id;
    if (organization != caller.organization_id)
      return Forbidden("organisation admins read their own organisation's audit trail only");
  }
  const int page_size = request.page_size() <= 0 ? 100 : std::min(request.page_size(), 1000);
  if (!request.page_token().empty() && !IsValidStreamId(request.page_token()))
    return InvalidField("page_token", "is not a token this server issued");
  std::string end = "+", start = "-";
  if (!request.page_token().empty()) {
    end = "(" + request.page_token();
  } else if (request.has_end_time()) {
    const int64_t end_ms =
        google::protobuf::util::TimeUtil::TimestampToMilliseconds(request.end_time());
    if (end_ms <= 0) return auth::v1::ListAuditEventsResponse();
    end = absl::StrCat(end_ms - 1);
  }
  if (request.has_start_time())
    start = absl::StrCat(std::max<int64_t>(
        0, google::protobuf::util::TimeUtil::TimestampToMilliseconds(request.start_time())));
  auto reply = redis_->Command(
      {"XREVRANGE", Key(organization), end, start, "COUNT", absl::StrCat(page_size + 1)});
  if (!reply.ok()) return reply.status();
  auth::v1::ListAuditEventsResponse response;
  for (size_t i = 0; i < reply->elements.size() && static_cast<int>(i) < page_size; ++i) {
    const RedisValue& entry = reply->elements[i];
    if (entry.elements.size() < 2 || entry.elements[1].elements.size() < 2) continue;
    auth::v1::AuditEvent* event = response.add_events();
    if (!event->ParseFromString(entry.elements[1].elements[1].str))
      return absl::InternalError(
          absl::StrCat("audit entry ", entry.elements[0].str, " is unreadable"));
    event->set_id(entry.elements[0].str);
    int64_t ms = 0;
    if (absl::SimpleAtoi(entry.elements[0].str.substr(0, entry.elements[0].str.find('-')), &ms))
      *event->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
  }
  if (static_cast<int>(reply->elements.size()) > page_size)
    response.set_next_page_token(response.events().rbegin()->id());
  return response;
}

}  // namespace infrashare
