// The bounds of every string, number, time, list and map in the API, from one table, enforced in
// one place (the RpcGate, before any handler runs) and printed into docs/limits.md. A field gets
// its bound from its name (every `description` alike) or from its type, so a field added to a
// .proto later is bounded without anyone remembering to. Domain validation may be stricter.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/common/config.h"

namespace infrashare {

struct RequestLimits {
  int64_t earliest_time_s = 946684800;         // 2000-01-01T00:00:00Z
  int64_t latest_time_s = 7258118400;          // 2200-01-01T00:00:00Z (exclusive)
  size_t max_content_bytes = 4 * 1024 * 1024;  // bulk payloads (imports): the message size
};

// The limits a server with this configuration enforces.
RequestLimits RequestLimitsFor(const Config& config);

// What one field may hold. For a repeated field the text and number bounds apply to each element.
struct FieldBound {
  size_t max_bytes = 0;      // strings and bytes
  bool id_text = false;      // printable ASCII without spaces (ids, tokens, cursors)
  bool single_line = false;  // no control characters at all (names); free text may hold \n and \t
  bool bulk = false;  // a whole file (`content`): control characters as free text, nothing else
  int max_items = 0;  // repeated fields and maps
  double min = 0;     // numbers
  double max = 0;
};

FieldBound BoundOf(const google::protobuf::FieldDescriptor& field, const RequestLimits& limits);

// Numeric fields (by full name) whose service bounds them more tightly than the default: their
// [min, max], which BoundOf gives them.
const std::map<std::string, std::pair<double, double>>& ServiceBounds();

// INVALID_ARGUMENT naming every field (as a path, e.g. "resource.tags[3]") that breaks its bound;
// the message never repeats the offending value.
absl::Status CheckRequest(const google::protobuf::Message& request, const RequestLimits& limits);

// The request's `request_id` field, "" when it has none.
std::string RequestIdOf(const google::protobuf::Message& request);

// docs/limits.md: every field of every request of these services with its bound.
std::string LimitsMarkdown(const std::vector<const google::protobuf::ServiceDescriptor*>& services,
                           const RequestLimits& limits);

}  // namespace infrashare
