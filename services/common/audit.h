// The audit trail: every call that changes something, appended to a Redis stream (one for the
// platform, one per organisation) with who, what, when, from where and how it ended; kept for
// `audit.retention_days`; read with TokenService.ListAuditEvents and `infrashare audit export`.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/auth/v1/auth.pb.h"
#include "services/common/auth.h"
#include "services/common/config.h"
#include "services/common/redis.h"

namespace infrashare {

// Whether a method ("service.Method") changes something.
bool Mutates(absl::string_view method);
// Whether a call is recorded in the audit trail: every call that changes something, and every
// export of a person's data.
bool Audited(absl::string_view method);
// What a request acts on: the id of the object it carries, its `id`, or the first other id it
// names.
std::string ObjectOf(const google::protobuf::Message& request);
// What a call acted on: what it created, named by its answer (CreateBooking: the booking, not the
// resource the request names); else what the request names (it existed before the call).
std::string AuditedObject(absl::string_view method, const google::protobuf::Message& request,
                          const google::protobuf::Message* response);
// The fields a request changes: its update mask, else the fields its object sets (id and etag
// aside).
std::vector<std::string> ChangedFields(const google::protobuf::Message& request);

class AuditLog {
 public:
  AuditLog(RedisPool* redis, AuditConfig config);

  // Appends one event without waiting for Redis; an event that cannot be stored is logged whole.
  // `response` (may be null) names the object when the request does not (an id the server chose).
  void Record(const Caller& caller, absl::string_view method,
              const google::protobuf::Message& request, const google::protobuf::Message* response,
              absl::string_view peer, absl::string_view status);

  absl::StatusOr<auth::v1::ListAuditEventsResponse> List(
      const Caller& caller, const auth::v1::ListAuditEventsRequest& request);

 private:
  std::string Key(absl::string_view organization_id) const;

  RedisPool* redis_;
  AuditConfig config_;
};

}  // namespace infrashare
