// OpenAPI 3.0 Schema objects for protobuf messages as the proto3 JSON mapping writes them
// (https://protobuf.dev/programming-guides/json/): lowerCamelCase names, 64-bit integers as
// strings, enums by name, well-known types in their JSON forms.
#pragma once

#include <map>
#include <string>

#include "google/protobuf/descriptor.h"
#include "nlohmann/json.hpp"

namespace infrashare::openapi {

// Messages and enums become components named by their full name ("infrashare.registry.v1.Resource")
// and are referred to; a reference adds the component and whatever it refers to in turn.
class SchemaCatalog {
 public:
  // {"$ref": "#/components/schemas/<full name>"}, or the inline schema of a well-known type.
  nlohmann::json MessageSchema(const google::protobuf::Descriptor& message);
  // A field's schema with its comment as the description; a repeated field is an array, a map an
  // object.
  nlohmann::json FieldSchema(const google::protobuf::FieldDescriptor& field);
  // A field's value without the field's own description (a query parameter's schema).
  nlohmann::json ValueSchema(const google::protobuf::FieldDescriptor& field);

  // components.schemas: every message and enum referred to so far, and everything they refer to.
  nlohmann::json Components();

 private:
  nlohmann::json SingularSchema(const google::protobuf::FieldDescriptor& field);
  nlohmann::json EnumSchema(const google::protobuf::EnumDescriptor& enumeration);
  nlohmann::json Reference(const std::string& full_name);
  nlohmann::json MessageComponent(const google::protobuf::Descriptor& message);
  nlohmann::json EnumComponent(const google::protobuf::EnumDescriptor& enumeration);

  std::map<std::string, const google::protobuf::Descriptor*> messages_;  // referred to
  std::map<std::string, const google::protobuf::EnumDescriptor*> enums_;
};

// The JSON form of a well-known type (google.protobuf.Timestamp: an RFC 3339 string, ...);
// nothing for other messages.
const nlohmann::json* WellKnownSchema(const std::string& full_name);

}  // namespace infrashare::openapi
