#include "services/common/request_limits.h"

#include <date/date.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "services/common/errors.h"

namespace infrashare {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr double kMaxCount = 1e9;  // any count, minutes, days, cents per hour a person could mean

bool IsOneOf(const std::string& name, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

// Characters that change how other text looks without being seen, as requests may not carry them
// (a lab named with U+202E reads backwards in every list; "Trojan source" for data): C1 controls
// (U+0080-U+009F), line and paragraph separators and the bidirectional embeddings and overrides
// (U+2028-U+202E), the bidirectional isolates (U+2066-U+2069) and the byte order mark (U+FEFF).
// Matched on the UTF-8 bytes: protobuf has already refused strings that are not UTF-8. Bulk
// `content` (a file: a CSV from Excel starts with a BOM) is exempt.
bool HasHiddenFormatting(absl::string_view text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    const auto c0 = static_cast<unsigned char>(text[i]);
    const auto c1 = static_cast<unsigned char>(text[i + 1]);
    if (c0 == 0xC2 && c1 >= 0x80 && c1 <= 0x9F) return true;
    if (i + 2 >= text.size()) continue;
    const auto c2 = static_cast<unsigned char>(text[i + 2]);
    if (c0 == 0xE2 && c1 == 0x80 && c2 >= 0xA8 && c2 <= 0xAE) return true;
    if (c0 == 0xE2 && c1 == 0x81 && c2 >= 0xA6 && c2 <= 0xA9) return true;
    if (c0 == 0xEF && c1 == 0xBB && c2 == 0xBF) return true;
  }
  return false;
}

bool IsIdName(const std::string& name) {
  return name == "id" || name == "etag" || name == "token" || absl::EndsWith(name, "_id") ||
         absl::EndsWith(name, "_ids");
}

// The one table. Order matters: the first rule that names the field wins, then its type decides.
FieldBound TextBound(const std::string& name, const RequestLimits& limits) {
  FieldBound b;
  b.single_line = true;
  if (name == "request_id") {
    b.max_bytes = 128;
    b.id_text = true;
  } else if (IsIdName(name)) {
    b.max_bytes = 200;
    b.id_text = true;
  } else if (IsOneOf(name, {"page_token", "next_page_token", "cursor"})) {
    b.max_bytes = 1024;
    b.id_text = true;
  } else if (name == "content") {
    b.max_bytes = limits.max_content_bytes;
    b.single_line = false;
    b.bulk = true;
  } else if (IsOneOf(name, {"description", "notes", "note", "text", "comment", "condition_notes",
                            "from_condition_notes", "to_condition_notes", "resolution_note"})) {
    b.max_bytes = 10000;
    b.single_line = false;
  } else if (name == "rrule") {
    b.max_bytes = 512;
  } else if (name == "reason") {
    b.max_bytes = 2000;
    b.single_line = false;
  } else if (IsOneOf(name, {"url", "website"})) {
    b.max_bytes = 500;
  } else if (name == "target_url") {  // a webhook's: query strings of receivers run long
    b.max_bytes = 2048;
  } else if (IsOneOf(name, {"email", "contact_email"})) {
    b.max_bytes = 254;
  } else if (IsOneOf(name, {"time_zone", "phone"})) {
    b.max_bytes = 64;
  } else if (IsOneOf(name, {"postal_code", "region_code", "region_codes", "region", "regions",
                            "corop", "country", "language", "languages", "sbi_codes"})) {
    b.max_bytes = 32;
  } else if (IsOneOf(name, {"checklist", "handover_checklist"})) {
    b.max_bytes = 200;
  } else {
    // Names, titles, places, tags: 200 characters of accented Dutch text fit (up to 4 bytes each).
    b.max_bytes = 1000;
  }
  return b;
}

FieldBound NumberBound(const std::string& name, bool floating) {
  FieldBound b;
  if (name == "page_size") {
    b.max = 10000;
  } else if (name == "priority") {
    b.min = -1000;
    b.max = 1000;
  } else if (absl::EndsWith(name, "_cents")) {
    b.max = 1e12;
  } else if (floating) {
    b.min = -kMaxCount;
    b.max = kMaxCount;
  } else {
    b.max = kMaxCount;  // counts, minutes, days, capacities: never negative
  }
  return b;
}

int MaxItems(const std::string& name, bool is_map) {
  if (is_map) return 100;
  // Bulk import, a row and its mask each; registry.max_import_rows is stricter.
  if (name == "resources" || name == "row_fields") return 100000;
  if (IsOneOf(name, {"checklist", "handover_checklist"})) return 50;
  if (name == "paths") return 100;  // field masks
  return 1000;
}

bool IsTimestamp(const Descriptor* d) { return d->full_name() == "google.protobuf.Timestamp"; }
bool IsDuration(const Descriptor* d) { return d->full_name() == "google.protobuf.Duration"; }

std::string FormatTime(int64_t seconds) {
  return date::format("%FT%TZ", date::sys_seconds(std::chrono::seconds(seconds)));
}

class Checker {
 public:
  Checker(const RequestLimits& limits, FieldErrors* errors) : limits_(limits), errors_(errors) {}

  void CheckMessage(const Message& message, const std::string& prefix, int depth) {
    if (depth > 32) {
      errors_->Add(prefix, "is nested too deeply");
      return;
    }
    const Reflection* r = message.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    r->ListFields(message, &fields);
    for (const FieldDescriptor* f : fields) {
      const std::string path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
      const FieldBound bound = BoundOf(*f, limits_);
      if (f->is_repeated()) {
        const int n = r->FieldSize(message, f);
        if (n > bound.max_items) {
          errors_->Add(path, absl::StrCat("at most ", bound.max_items, " entries"));
          continue;
        }
        if (f->is_map()) {
          for (int i = 0; i < n; ++i)
            CheckMessage(r->GetRepeatedMessage(message, f, i), path, depth + 1);
          continue;
        }
        for (int i = 0; i < n; ++i)
          CheckValue(message, f, i, bound, absl::StrCat(path, "[", i, "]"), depth);
      } else {
        CheckValue(message, f, -1, bound, path, depth);
      }
    }
  }

 private:
  void CheckValue(const Message& m, const FieldDescriptor* f, int index, const FieldBound& bound,
                  const std::string& path, int depth) {
    const Reflection* r = m.GetReflection();
    const bool rep = index >= 0;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& value = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                       : r->GetStringReference(m, f, &scratch);
        CheckText(value, bound, path);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32:
        CheckNumber(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f), bound, path);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        CheckNumber(static_cast<double>(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f)),
                    bound, path);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        CheckNumber(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f), bound, path);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        CheckNumber(
            static_cast<double>(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f)),
            bound, path);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        CheckNumber(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), bound, path);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        CheckNumber(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f), bound, path);
        break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int value = rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
        if (f->enum_type()->FindValueByNumber(value) == nullptr)
          errors_->Add(path, "is not a known value");
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Message& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
        if (IsTimestamp(f->message_type())) {
          CheckTimestamp(sub, path);
        } else if (IsDuration(f->message_type())) {
          CheckDuration(sub, path);
        } else {
          CheckMessage(sub, path, depth + 1);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        break;
    }
  }

  void CheckText(const std::string& value, const FieldBound& bound, const std::string& path) {
    if (value.size() > bound.max_bytes) {
      errors_->Add(path, absl::StrCat("at most ", bound.max_bytes, " bytes"));
      return;
    }
    if (!bound.bulk && HasHiddenFormatting(value)) {
      errors_->Add(path, "may not hold C1 controls, bidirectional overrides or byte order marks");
      return;
    }
    for (unsigned char c : value) {
      if (bound.id_text && (c <= 0x20 || c >= 0x7f)) {
        errors_->Add(path, "may hold only printable ASCII characters without spaces");
        return;
      }
      if (c < 0x20 || c == 0x7f) {
        if (bound.single_line || (c != '\n' && c != '\t' && c != '\r')) {
          errors_->Add(path, "may not hold control characters");
          return;
        }
      }
    }
  }

  void CheckNumber(double value, const FieldBound& bound, const std::string& path) {
    if (!std::isfinite(value)) {
      errors_->Add(path, "must be a finite number");
    } else if (value < bound.min || value > bound.max) {
      errors_->Add(
          path, absl::StrCat("must be between ", Written(bound.min), " and ", Written(bound.max)));
    }
  }

  // 1000000000, not 1e+09: people read the message.
  static std::string Written(double bound) {
    if (bound == std::floor(bound) && std::fabs(bound) < 1e15)
      return absl::StrCat(static_cast<int64_t>(bound));
    return absl::StrCat(bound);
  }

  void CheckTimestamp(const Message& t, const std::string& path) {
    const Reflection* r = t.GetReflection();
    const Descriptor* d = t.GetDescriptor();
    const int64_t seconds = r->GetInt64(t, d->FindFieldByName("seconds"));
    const int32_t nanos = r->GetInt32(t, d->FindFieldByName("nanos"));
    if (nanos < 0 || nanos > 999999999) {
      errors_->Add(path, "nanos must be between 0 and 999999999");
    } else if (seconds < limits_.earliest_time_s || seconds >= limits_.latest_time_s) {
      errors_->Add(path, absl::StrCat("must be from ", FormatTime(limits_.earliest_time_s),
                                      " and before ", FormatTime(limits_.latest_time_s)));
    }
  }

  void CheckDuration(const Message& duration, const std::string& path) {
    const Reflection* r = duration.GetReflection();
    const Descriptor* d = duration.GetDescriptor();
    const int64_t seconds = r->GetInt64(duration, d->FindFieldByName("seconds"));
    if (seconds < 0 || seconds > 10LL * 366 * 86400)
      errors_->Add(path, "must be between 0 and 10 years");
  }

  const RequestLimits& limits_;
  FieldErrors* errors_;
};

std::string TypeName(const FieldDescriptor& f) {
  if (f.is_map()) return "map";
  if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) return f.message_type()->name();
  if (f.cpp_type() == FieldDescriptor::CPPTYPE_ENUM) return f.enum_type()->name();
  return f.type_name();
}

std::string Describe(const FieldDescriptor& f, const RequestLimits& limits) {
  const FieldBound b = BoundOf(f, limits);
  std::vector<std::string> parts;
  if (f.is_repeated()) parts.push_back(absl::StrCat("at most ", b.max_items, " entries"));
  if (f.is_map()) return absl::StrJoin(parts, "; ");
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      parts.push_back(absl::StrCat("at most ", b.max_bytes, " bytes"));
      if (b.id_text) {
        parts.push_back("printable ASCII, no spaces");
      } else if (b.bulk) {
        parts.push_back("no control characters but line breaks and tabs");
      } else if (b.single_line) {
        parts.push_back("no control characters, bidirectional overrides or byte order marks");
      } else {
        parts.push_back(
            "no control characters but line breaks and tabs; no bidirectional overrides or byte "
            "order marks");
      }
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      parts.push_back("a defined value");
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (IsTimestamp(f.message_type())) {
        parts.push_back(absl::StrCat("from ", FormatTime(limits.earliest_time_s), " to before ",
                                     FormatTime(limits.latest_time_s),
                                     " (limits.earliest_year, limits.latest_year)"));
      } else if (IsDuration(f.message_type())) {
        parts.push_back("0 to 10 years");
      }
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      parts.push_back(absl::StrCat("finite, ", b.min, " to ", b.max));
      break;
    default:
      parts.push_back(
          absl::StrCat(static_cast<int64_t>(b.min), " to ", static_cast<int64_t>(b.max)));
  }
  return absl::StrJoin(parts, "; ");
}

void Document(const Descriptor* d, const RequestLimits& limits, std::set<std::string>* seen,
              std::string* out) {
  if (!seen->insert(d->full_name()).second || IsTimestamp(d) || IsDuration(d)) return;
  absl::StrAppend(out, "\n### ", d->full_name(), "\n\n| field | type | bound |\n|---|---|---|\n");
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    absl::StrAppend(out, "| `", f->name(), "` | ",
                    f->is_repeated() && !f->is_map() ? "repeated " : "", TypeName(*f), " | ",
                    Describe(*f, limits), " |\n");
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map())
      Document(f->message_type(), limits, seen, out);
  }
}

}  // namespace

RequestLimits RequestLimitsFor(const Config& config) {
  auto first_second = [](int year) {
    return std::chrono::duration_cast<std::chrono::seconds>(
               date::sys_days(date::year(year) / 1 / 1).time_since_epoch())
        .count();
  };
  RequestLimits limits;
  limits.earliest_time_s = first_second(config.limits.earliest_year);
  limits.latest_time_s = first_second(config.limits.latest_year + 1);
  limits.max_content_bytes = static_cast<size_t>(config.grpc.max_message_bytes);
  return limits;
}

const std::map<std::string, std::pair<double, double>>& ServiceBounds() {
  // Numbers the services bound more tightly, stated here so that docs/limits.md and the first
  // refusal tell the same range as the service's own validation (which stays, for callers
  // inside the process). Not coordinates: an import reports a bad point per row, and a refused
  // whole request would hide which row.
  static const auto* bounds = new std::map<std::string, std::pair<double, double>>{
      {"infrashare.registry.v1.BookingRules.min_duration_minutes", {0, 525600}},
      {"infrashare.registry.v1.BookingRules.max_duration_minutes", {0, 525600}},
      {"infrashare.registry.v1.BookingRules.lead_time_minutes", {0, 525600}},
      {"infrashare.registry.v1.BookingRules.max_advance_days", {0, 3660}},
      {"infrashare.registry.v1.BookingRules.buffer_before_minutes", {0, 1440}},
      {"infrashare.registry.v1.BookingRules.buffer_after_minutes", {0, 1440}},
      {"infrashare.registry.v1.BookingRules.quota_hours", {0, 8784}},
      {"infrashare.registry.v1.BookingRules.sme_share_percent", {0, 100}},
      {"infrashare.registry.v1.BookingRules.sme_release_days", {0, 3660}},
      {"infrashare.registry.v1.AvailabilityRule.duration_minutes", {1, 10080}},
      {"infrashare.scheduler.v1.FindSlotsRequest.duration_minutes", {1, 10080}},
      {"infrashare.scheduler.v1.FindSlotsRequest.max_results", {0, 100}},
      {"infrashare.scheduler.v1.RotationPolicy.setup_minutes", {0, 1440}},
      {"infrashare.scheduler.v1.RotationPolicy.teardown_minutes", {0, 1440}},
      {"infrashare.scheduler.v1.RotationPolicy.maintenance_after_days", {0, 366}},
      {"infrashare.scheduler.v1.RotationPolicy.maintenance_days", {0, 90}},
      {"infrashare.scheduler.v1.RotationPolicy.handover_confirm_hours", {0, 720}},
      {"infrashare.scheduler.v1.RotationRequest.duration_days", {1, 366}},
      {"infrashare.registry.v1.GeoCircle.radius_km", {0, 1000}},
      {"infrashare.registry.v1.OverlapReportRequest.within_km", {0, 200}},
      {"infrashare.desk.v1.Responder.radius_km", {0, 500}},
      {"infrashare.scheduler.v1.RotationPolicy.speed_kmh", {5, 200}},
      {"infrashare.scheduler.v1.RotationPolicy.road_factor", {1, 3}},
      {"infrashare.scheduler.v1.PlanRotationRequest.sme_weight", {0, 10}},
  };
  return *bounds;
}

FieldBound BoundOf(const FieldDescriptor& field, const RequestLimits& limits) {
  FieldBound b;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      b = TextBound(field.name(), limits);
      break;
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      b = NumberBound(field.name(), false);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      b = NumberBound(field.name(), true);
      break;
    default:
      break;
  }
  if (auto it = ServiceBounds().find(field.full_name()); it != ServiceBounds().end())
    std::tie(b.min, b.max) = it->second;
  // A map's keys and values are strings of the default kind.
  if (field.containing_type() != nullptr && field.containing_type()->options().map_entry() &&
      field.cpp_type() == FieldDescriptor::CPPTYPE_STRING)
    b = TextBound("", limits);
  if (field.is_repeated()) b.max_items = MaxItems(field.name(), field.is_map());
  return b;
}

absl::Status CheckRequest(const Message& request, const RequestLimits& limits) {
  FieldErrors errors;
  Checker(limits, &errors).CheckMessage(request, "", 0);
  return errors.ToStatus();
}

std::string RequestIdOf(const Message& request) {
  const FieldDescriptor* f = request.GetDescriptor()->FindFieldByName("request_id");
  if (f == nullptr || f->cpp_type() != FieldDescriptor::CPPTYPE_STRING || f->is_repeated())
    return "";
  return request.GetReflection()->GetString(request, f);
}

std::string LimitsMarkdown(const std::vector<const google::protobuf::ServiceDescriptor*>& services,
                           const RequestLimits& limits) {
  std::string out =
      "# Limits of the API\n\n"
      "Generated from `services/common/request_limits.cc` (`infrashare-server --print-limits`); a "
      "test\n"
      "fails when this file is out of date. Every request is checked against these bounds before "
      "any\n"
      "handler runs: a value outside them gets `INVALID_ARGUMENT` with a `google.rpc.BadRequest` "
      "naming\n"
      "the field (as a path, e.g. `resource.tags[3]`), and the message never repeats the value. "
      "Bounds of\n"
      "a repeated field apply to each element. Services may be stricter for some fields (their "
      "own\n"
      "validation says so), never looser. Times are bounded by the server's configuration\n"
      "(`limits.earliest_year`, `limits.latest_year`); the values below are the defaults.\n";
  std::set<std::string> seen;
  for (const auto* service : services) {
    absl::StrAppend(&out, "\n## ", service->full_name(), "\n");
    for (int i = 0; i < service->method_count(); ++i)
      Document(service->method(i)->input_type(), limits, &seen, &out);
  }
  return out;
}

}  // namespace infrashare
