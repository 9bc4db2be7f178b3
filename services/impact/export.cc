#include "services/impact/export.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace infrashare::impact {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using Rows = std::vector<std::pair<std::string, std::string>>;

std::string Scalar(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool repeated = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return repeated ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_ENUM:
      return repeated ? r->GetRepeatedEnum(m, f, index)->name() : r->GetEnum(m, f)->name();
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(repeated ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(repeated ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(repeated ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(repeated ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(repeated ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(repeated ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "";
}

// A repeated row's name: its leading text and enum fields ("NH/THEME_FOOD").
std::string RowName(const Message& m) {
  std::vector<std::string> parts;
  const auto* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->is_repeated()) break;
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_STRING &&
        f->cpp_type() != FieldDescriptor::CPPTYPE_ENUM)
      break;
    parts.push_back(Scalar(m, f, 0));
  }
  return absl::StrJoin(parts, "/");
}

void Flatten(const Message& m, const std::string& prefix, Rows* out) {
  const auto* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  if (d->full_name() == "google.protobuf.Timestamp") {
    out->emplace_back(prefix, google::protobuf::util::TimeUtil::ToString(
                                  static_cast<const google::protobuf::Timestamp&>(m)));
    return;
  }
  if (d->full_name() == "google.protobuf.Duration") {
    out->emplace_back(prefix, google::protobuf::util::TimeUtil::ToString(
                                  static_cast<const google::protobuf::Duration&>(m)));
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    const std::string name = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!f->is_repeated()) {
        out->emplace_back(name, Scalar(m, f, 0));
      } else {
        for (int k = 0; k < r->FieldSize(m, f); ++k)
          out->emplace_back(absl::StrCat(name, "[", k, "]"), Scalar(m, f, k));
      }
    } else if (!f->is_repeated()) {
      Flatten(r->GetMessage(m, f), name, out);
    } else {
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        const Message& row = r->GetRepeatedMessage(m, f, k);
        std::string label = RowName(row);
        if (label.empty()) label = absl::StrCat(k);
        Flatten(row, absl::StrCat(name, "[", label, "]"), out);
      }
    }
  }
}

std::string Cell(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void Row(std::string* out, absl::string_view section, const std::string& measure,
         const std::string& current, const std::string& previous) {
  absl::StrAppend(out, section, ",", Cell(measure), ",", Cell(current), ",", Cell(previous),
                  "\r\n");
}

}  // namespace

std::string ToJson(const v1::ImpactReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Printing a message of known type fails only on an invalid Timestamp, which ReportPeriod
  // refuses before any report is made.
  (void)google::protobuf::util::MessageToJsonString(report, &json, options);
  return json;
}

std::string ToCsv(const v1::ImpactReport& report) {
  std::string out = "section,measure,current,previous\r\n";
  Row(&out, "report", "network_id", report.network_id(), "");
  Row(&out, "report", "generated_time",
      google::protobuf::util::TimeUtil::ToString(report.generated_time()), "");
  Rows resources;
  Flatten(report.resources(), "", &resources);
  for (const auto& [measure, value] : resources) Row(&out, "resources", measure, value, "");
  Rows current, previous;
  Flatten(report.current(), "", &current);
  Flatten(report.previous(), "", &previous);
  std::map<std::string, std::string> before(previous.begin(), previous.end());
  // A repeated row present in one period only still gets its line, with the other side empty.
  for (const auto& [measure, value] : current) {
    const auto dot = measure.find('.');
    const std::string section = dot == std::string::npos ? "period" : measure.substr(0, dot);
    const std::string rest = dot == std::string::npos ? measure : measure.substr(dot + 1);
    auto it = before.find(measure);
    Row(&out, section, rest, value, it == before.end() ? "" : it->second);
    if (it != before.end()) before.erase(it);
  }
  for (const auto& [measure, value] : previous) {
    if (!before.count(measure)) continue;
    const auto dot = measure.find('.');
    const std::string section = dot == std::string::npos ? "period" : measure.substr(0, dot);
    Row(&out, section, dot == std::string::npos ? measure : measure.substr(dot + 1), "", value);
  }
  return out;
}

}  // namespace infrashare::impact
