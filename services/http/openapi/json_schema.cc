#include "services/http/openapi/json_schema.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.pb.h"
#include "services/http/openapi/proto_comments.h"

namespace infrashare::openapi {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

json Wrapper(json schema) {
  schema["nullable"] = true;
  return schema;
}

// A description beside a reference: OpenAPI 3.0 ignores a $ref's siblings, so the reference goes
// into an allOf of one.
void Describe(json& schema, const std::string& description, bool deprecated) {
  if (description.empty() && !deprecated) return;
  if (schema.contains("$ref")) schema = json{{"allOf", json::array({schema})}};
  if (!description.empty()) schema["description"] = description;
  if (deprecated) schema["deprecated"] = true;
}

std::string OneofNote(const google::protobuf::OneofDescriptor& oneof) {
  std::vector<std::string> members;
  for (int i = 0; i < oneof.field_count(); ++i) {
    members.push_back(absl::StrCat("`", oneof.field(i)->json_name(), "`"));
  }
  return absl::StrCat("One of ", absl::StrJoin(members, ", "), " (oneof `", oneof.name(),
                      "`): at most one of them is set.");
}

}  // namespace

const json* WellKnownSchema(const std::string& full_name) {
  static const auto* const kSchemas = new std::map<std::string, json>{
      {"google.protobuf.Timestamp", {{"type", "string"}, {"format", "date-time"}}},
      // Seconds with up to nine decimals and an "s": "3600s", "1.5s".
      {"google.protobuf.Duration",
       {{"type", "string"}, {"pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$"}}},
      // Field paths in lowerCamelCase, separated by commas: "title,capacity".
      {"google.protobuf.FieldMask", {{"type", "string"}}},
      {"google.protobuf.Struct", {{"type", "object"}, {"additionalProperties", true}}},
      {"google.protobuf.Value", json::object()},
      {"google.protobuf.ListValue", {{"type", "array"}, {"items", json::object()}}},
      {"google.protobuf.Any",
       {{"type", "object"},
        {"properties", {{"@type", {{"type", "string"}}}}},
        {"required", {"@type"}},
        {"additionalProperties", true}}},
      {"google.protobuf.Empty", {{"type", "object"}}},
      {"google.protobuf.DoubleValue", Wrapper({{"type", "number"}, {"format", "double"}})},
      {"google.protobuf.FloatValue", Wrapper({{"type", "number"}, {"format", "float"}})},
      {"google.protobuf.Int64Value", Wrapper({{"type", "string"}, {"format", "int64"}})},
      {"google.protobuf.UInt64Value", Wrapper({{"type", "string"}, {"format", "uint64"}})},
      {"google.protobuf.Int32Value", Wrapper({{"type", "integer"}, {"format", "int32"}})},
      {"google.protobuf.UInt32Value",
       Wrapper({{"type", "integer"}, {"format", "int64"}, {"minimum", 0}})},
      {"google.protobuf.BoolValue", Wrapper({{"type", "boolean"}})},
      {"google.protobuf.StringValue", Wrapper({{"type", "string"}})},
      {"google.protobuf.BytesValue", Wrapper({{"type", "string"}, {"format", "byte"}})},
  };
  auto it = kSchemas->find(full_name);
  return it == kSchemas->end() ? nullptr : &it->second;
}

json SchemaCatalog::Reference(const std::string& full_name) {
  return {{"$ref", absl::StrCat("#/components/schemas/", full_name)}};
}

json SchemaCatalog::MessageSchema(const Descriptor& message) {
  if (const json* well_known = WellKnownSchema(message.full_name())) return *well_known;
  messages_.emplace(message.full_name(), &message);
  return Reference(message.full_name());
}

json SchemaCatalog::EnumSchema(const EnumDescriptor& enumeration) {
  enums_.emplace(enumeration.full_name(), &enumeration);
  return Reference(enumeration.full_name());
}

json SchemaCatalog::SingularSchema(const FieldDescriptor& field) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
      return {{"type", "number"}, {"format", "double"}};
    case FieldDescriptor::TYPE_FLOAT:
      return {{"type", "number"}, {"format", "float"}};
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
      return {{"type", "string"}, {"format", "int64"}};
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      return {{"type", "string"}, {"format", "uint64"}};
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      return {{"type", "integer"}, {"format", "int32"}};
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}};
    case FieldDescriptor::TYPE_BOOL:
      return {{"type", "boolean"}};
    case FieldDescriptor::TYPE_STRING:
      return {{"type", "string"}};
    case FieldDescriptor::TYPE_BYTES:
      return {{"type", "string"}, {"format", "byte"}};
    case FieldDescriptor::TYPE_ENUM:
      return EnumSchema(*field.enum_type());
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      return MessageSchema(*field.message_type());
  }
  return json::object();
}

json SchemaCatalog::ValueSchema(const FieldDescriptor& field) {
  if (field.is_map()) {
    // JSON object keys are strings whatever the map's key type.
    return {{"type", "object"},
            {"additionalProperties", SingularSchema(*field.message_type()->map_value())}};
  }
  if (field.is_repeated()) return {{"type", "array"}, {"items", SingularSchema(field)}};
  return SingularSchema(field);
}

json SchemaCatalog::FieldSchema(const FieldDescriptor& field) {
  json schema = ValueSchema(field);
  std::string description = CommentOf(field);
  if (const google::protobuf::OneofDescriptor* oneof = field.real_containing_oneof()) {
    if (!description.empty()) description += "\n\n";
    description += OneofNote(*oneof);
  }
  Describe(schema, description, field.options().deprecated());
  return schema;
}

json SchemaCatalog::MessageComponent(const Descriptor& message) {
  json schema = {{"type", "object"}};
  json properties = json::object();
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    properties[field.json_name()] = FieldSchema(field);
  }
  if (!properties.empty()) schema["properties"] = std::move(properties);
  std::string description = CommentOf(message);
  if (!description.empty()) schema["description"] = description;
  if (message.options().deprecated()) schema["deprecated"] = true;
  return schema;
}

json SchemaCatalog::EnumComponent(const EnumDescriptor& enumeration) {
  json names = json::array();
  std::vector<std::string> notes;
  for (int i = 0; i < enumeration.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& value = *enumeration.value(i);
    names.push_back(value.name());
    std::string comment = CommentOf(value);
    if (!comment.empty()) {
      notes.push_back(
          absl::StrCat("- `", value.name(), "`: ", absl::StrReplaceAll(comment, {{"\n", " "}})));
    }
  }
  json schema = {{"type", "string"}, {"enum", std::move(names)}};
  std::string description = CommentOf(enumeration);
  if (!notes.empty()) {
    if (!description.empty()) description += "\n\n";
    description += absl::StrJoin(notes, "\n");
  }
  if (!description.empty()) schema["description"] = description;
  return schema;
}

json SchemaCatalog::Components() {
  json schemas = json::object();
  // Each message written may refer to more: until a round adds none.
  for (size_t written = 0; written < messages_.size();) {
    std::vector<const Descriptor*> pending;
    for (const auto& [name, message] : messages_) {
      if (!schemas.contains(name)) pending.push_back(message);
    }
    for (const Descriptor* message : pending) {
      schemas[message->full_name()] = MessageComponent(*message);
    }
    written += pending.size();
  }
  for (const auto& [name, enumeration] : enums_) schemas[name] = EnumComponent(*enumeration);
  return schemas;
}

}  // namespace infrashare::openapi
