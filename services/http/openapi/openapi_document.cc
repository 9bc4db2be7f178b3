#include "services/http/openapi/openapi_document.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "services/common/build_info.h"
#include "services/http/openapi/http_binding.h"
#include "services/http/openapi/json_schema.h"
#include "services/http/openapi/proto_comments.h"

namespace infrashare::openapi {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using nlohmann::json;

constexpr char kStatusMessage[] = "google.rpc.Status";
// Nested messages become query parameters down to "a.b.c".
constexpr int kMaxQueryDepth = 3;

constexpr char kApiDescription[] =
    "The REST/JSON mapping of infrashare's gRPC API, served by the HTTP listener: each operation "
    "is an rpc of the services in `proto/infrashare/*/v1/`, bound to its path by the rpc's "
    "`google.api.http` rule. Bodies and answers are the rpc's messages in the proto3 JSON mapping "
    "(lowerCamelCase field names, 64-bit integers as strings, enums by name, timestamps in RFC "
    "3339). An error is a `google.rpc.Status` (code, message, details) with the HTTP status "
    "matching its gRPC code.";

class PoolErrors : public google::protobuf::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const google::protobuf::Message*, ErrorLocation,
                const std::string& message) override {
    absl::StrAppend(&text_, text_.empty() ? "" : "; ", filename, ": ", element_name, ": ", message);
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// The field a dotted path names ("booking.id"), through singular messages; nullptr if none.
const FieldDescriptor* FindFieldPath(const Descriptor& message, const std::string& path) {
  const Descriptor* scope = &message;
  const FieldDescriptor* field = nullptr;
  for (absl::string_view name : absl::StrSplit(path, '.')) {
    if (scope == nullptr) return nullptr;
    field = scope->FindFieldByName(std::string(name));
    if (field == nullptr || field->is_repeated()) return nullptr;
    scope = field->message_type();
  }
  return field;
}

// A well-known type whose JSON form is one string or number, so it fits a query parameter.
bool IsScalarWellKnown(const Descriptor& message) {
  const json* schema = WellKnownSchema(message.full_name());
  return schema != nullptr && schema->contains("type") && (*schema)["type"] != "object" &&
         (*schema)["type"] != "array";
}

json FieldParameter(const std::string& name, const FieldDescriptor& field, SchemaCatalog& catalog) {
  json parameter = {{"name", name}, {"in", "query"}, {"schema", catalog.ValueSchema(field)}};
  if (field.is_repeated()) parameter["style"] = "form", parameter["explode"] = true;
  std::string description = CommentOf(field);
  if (!description.empty()) parameter["description"] = description;
  if (field.options().deprecated()) parameter["deprecated"] = true;
  return parameter;
}

// The request's fields that neither the path nor the body carries, by their proto names
// ("filter.network_id"): scalars, enums, repeated scalars and scalar well-known types; singular
// messages flattened, each message once on a path down.
void AddQueryParameters(const Descriptor& message, const std::string& prefix, int depth,
                        const std::set<std::string>& bound,
                        std::vector<const Descriptor*>& ancestors, SchemaCatalog& catalog,
                        json& parameters) {
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    std::string path = prefix + field.name();
    if (bound.count(path) > 0 || field.is_map()) continue;
    const Descriptor* type = field.message_type();
    if (type == nullptr || IsScalarWellKnown(*type)) {
      parameters.push_back(FieldParameter(path, field, catalog));
      continue;
    }
    bool flattens = !field.is_repeated() && WellKnownSchema(type->full_name()) == nullptr &&
                    depth < kMaxQueryDepth &&
                    std::find(ancestors.begin(), ancestors.end(), type) == ancestors.end();
    if (!flattens) continue;
    ancestors.push_back(type);
    AddQueryParameters(*type, path + ".", depth + 1, bound, ancestors, catalog, parameters);
    ancestors.pop_back();
  }
}

absl::Status Invalid(const MethodDescriptor& method, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(method.full_name(), ": ", why));
}

absl::StatusOr<json> Parameters(const MethodDescriptor& method, const HttpBinding& binding,
                                SchemaCatalog& catalog) {
  const Descriptor& request = *method.input_type();
  json parameters = json::array();
  std::set<std::string> bound;
  for (const PathVariable& variable : binding.path.variables) {
    const FieldDescriptor* field = FindFieldPath(request, variable.field_path);
    if (field == nullptr) {
      return Invalid(method, absl::StrCat("the path binds ", variable.field_path, ", which ",
                                          request.full_name(), " does not have"));
    }
    json parameter = {{"name", variable.field_path},
                      {"in", "path"},
                      {"required", true},
                      {"schema", {{"type", "string"}}}};
    std::string description = CommentOf(*field);
    if (!variable.pattern.empty()) {
      absl::StrAppend(&description, description.empty() ? "" : "\n\n", "Of the form `",
                      variable.pattern, "`.");
    }
    if (!description.empty()) parameter["description"] = description;
    parameters.push_back(std::move(parameter));
    bound.insert(variable.field_path);
  }
  if (binding.body != "*") {
    if (!binding.body.empty()) bound.insert(binding.body);
    std::vector<const Descriptor*> ancestors = {&request};
    AddQueryParameters(request, "", 1, bound, ancestors, catalog, parameters);
  }
  if (request.FindFieldByName("request_id") != nullptr) {
    parameters.push_back(
        {{"name", "Idempotency-Key"},
         {"in", "header"},
         {"schema", {{"type", "string"}}},
         {"description",
          "The request's `request_id` when the request itself does not set one: a retry with "
          "the same key returns the first result and does nothing twice."}});
  }
  return parameters;
}

absl::StatusOr<json> RequestBody(const MethodDescriptor& method, const HttpBinding& binding,
                                 SchemaCatalog& catalog) {
  json schema;
  std::string description;
  if (binding.body == "*") {
    schema = catalog.MessageSchema(*method.input_type());
  } else {
    const FieldDescriptor* field = method.input_type()->FindFieldByName(binding.body);
    if (field == nullptr) {
      return Invalid(method, absl::StrCat("the body is ", binding.body, ", which ",
                                          method.input_type()->full_name(), " does not have"));
    }
    schema = catalog.ValueSchema(*field);
    description = CommentOf(*field);
  }
  json body = {{"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
  if (!description.empty()) body["description"] = description;
  return body;
}

absl::StatusOr<json> Responses(const MethodDescriptor& method, const HttpBinding& binding,
                               SchemaCatalog& catalog) {
  json schema;
  if (binding.response_body.empty()) {
    schema = catalog.MessageSchema(*method.output_type());
  } else {
    const FieldDescriptor* field = method.output_type()->FindFieldByName(binding.response_body);
    if (field == nullptr) {
      return Invalid(method,
                     absl::StrCat("the response body is ", binding.response_body, ", which ",
                                  method.output_type()->full_name(), " does not have"));
    }
    schema = catalog.ValueSchema(*field);
  }
  json success;
  if (method.server_streaming()) {
    json line = {{"type", "object"},
                 {"properties",
                  {{"result", std::move(schema)},
                   {"error", {{"$ref", absl::StrCat("#/components/schemas/", kStatusMessage)}}}}}};
    success = {{"description",
                "A stream of messages, each as it comes. application/x-ndjson: one JSON object a "
                "line, `{\"result\": ...}` for each message and `{\"error\": ...}` (a "
                "google.rpc.Status) when the stream ends in an error; text/event-stream: the "
                "same as Server-Sent Events."},
               {"content",
                {{"application/x-ndjson", {{"schema", std::move(line)}}},
                 {"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
  } else {
    success = {{"description", "OK"},
               {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
  }
  return json{{"200", std::move(success)}, {"default", {{"$ref", "#/components/responses/Error"}}}};
}

absl::StatusOr<json> Operation(const MethodDescriptor& method, const HttpBinding& binding,
                               const std::string& operation_id, SchemaCatalog& catalog) {
  json operation = {{"operationId", operation_id},
                    {"tags", json::array({method.service()->name()})}};
  std::string comment = CommentOf(method);
  if (!comment.empty()) {
    operation["summary"] = FirstSentence(comment);
    if (operation["summary"] != comment) operation["description"] = comment;
  }
  if (method.options().deprecated()) operation["deprecated"] = true;
  absl::StatusOr<json> parameters = Parameters(method, binding, catalog);
  if (!parameters.ok()) return parameters.status();
  if (!parameters->empty()) operation["parameters"] = *std::move(parameters);
  if (!binding.body.empty()) {
    absl::StatusOr<json> body = RequestBody(method, binding, catalog);
    if (!body.ok()) return body.status();
    operation["requestBody"] = *std::move(body);
  }
  absl::StatusOr<json> responses = Responses(method, binding, catalog);
  if (!responses.ok()) return responses.status();
  operation["responses"] = *std::move(responses);
  return operation;
}

// A path's variables in order ("/v1/a/{x}/b/{y.z}": x, y.z), and its shape, the path with each
// variable's name left out ("/v1/a/{}/b/{}").
std::vector<std::string> VariablesOf(const std::string& path) {
  std::vector<std::string> names;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1))
    names.push_back(path.substr(open + 1, path.find('}', open) - open - 1));
  return names;
}
std::string ShapeOf(const std::string& path) {
  std::string shape = path;
  for (size_t open = shape.find('{'); open != std::string::npos; open = shape.find('{', open + 1))
    shape.erase(open + 1, shape.find('}', open) - open - 1);
  return shape;
}

// OpenAPI forbids two paths that differ only in the names of their variables (GetResource's
// "/v1/resources/{id}" and UpdateResource's "/v1/resources/{resource.id}"): such paths become
// one, named as the first in order, each operation's path parameters renamed to match; their
// descriptions still name the request field a value fills.
absl::Status MergePathsOfOneShape(json& paths) {
  std::map<std::string, std::string> kept;  // shape: the path that stands for it
  json merged = json::object();
  for (auto& [path, item] : paths.items()) {
    auto [first, fresh] = kept.emplace(ShapeOf(path), path);
    if (fresh) {
      merged[path] = std::move(item);
      continue;
    }
    const std::vector<std::string> from = VariablesOf(path), to = VariablesOf(first->second);
    json& target = merged[first->second];
    for (auto& [verb, operation] : item.items()) {
      if (target.contains(verb))
        return absl::InvalidArgumentError(
            absl::StrCat(verb, " ", path, " and ", verb, " ", first->second, " are one route"));
      if (!operation.contains("parameters")) {
        target[verb] = std::move(operation);
        continue;
      }
      for (json& parameter : operation["parameters"]) {
        if (parameter.value("in", "") != "path") continue;
        const auto at = std::find(from.begin(), from.end(), parameter.value("name", ""));
        if (at == from.end()) continue;
        const std::string field = *at;
        parameter["name"] = to[at - from.begin()];
        const std::string said = parameter.value("description", "");
        parameter["description"] =
            absl::StrCat("Fills the request's `", field, "`.", said.empty() ? "" : "\n\n", said);
      }
      target[verb] = std::move(operation);
    }
  }
  paths = std::move(merged);
  return absl::OkStatus();
}

// Every bound rpc of the service into `paths`; whether it had any.
absl::StatusOr<bool> AddService(const ServiceDescriptor& service, SchemaCatalog& catalog,
                                std::set<std::string>& operation_ids, json& paths) {
  bool any = false;
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    absl::StatusOr<std::vector<HttpBinding>> bindings = HttpBindingsOf(method);
    if (!bindings.ok()) return bindings.status();
    if (!bindings->empty() && method.client_streaming()) {
      return Invalid(method, "a client-streaming rpc has no REST form");
    }
    for (size_t b = 0; b < bindings->size(); ++b) {
      const HttpBinding& binding = (*bindings)[b];
      // The rule's operation is Service_Rpc, its additional bindings' Service_Rpc_2, _3, ...
      std::string operation_id = absl::StrCat(service.name(), "_", method.name());
      if (b > 0) absl::StrAppend(&operation_id, "_", b + 1);
      if (!operation_ids.insert(operation_id).second) {
        return Invalid(method, absl::StrCat("a second operation ", operation_id));
      }
      json& path_item = paths[binding.path.path];
      if (path_item.contains(binding.method)) {
        return Invalid(method,
                       absl::StrCat(binding.method, " ", binding.path.path, " is also ",
                                    path_item[binding.method]["operationId"].get<std::string>()));
      }
      absl::StatusOr<json> operation = Operation(method, binding, operation_id, catalog);
      if (!operation.ok()) return operation.status();
      path_item[binding.method] = *std::move(operation);
      any = true;
    }
  }
  return any;
}

json Components(SchemaCatalog& catalog, const Descriptor& status) {
  json error = {
      {"description",
       "The call failed: a google.rpc.Status (its gRPC code, a message, and details such as "
       "google.rpc.BadRequest naming the field at fault) with the HTTP status of its code."},
      {"content", {{"application/json", {{"schema", catalog.MessageSchema(status)}}}}}};
  json bearer = {
      {"type", "http"},
      {"scheme", "bearer"},
      {"description",
       "An infrashare token (`infrashare token create`), or an OpenID Connect access token from "
       "an issuer the server trusts (docs/oidc.md)."}};
  return {{"schemas", catalog.Components()},
          {"responses", {{"Error", std::move(error)}}},
          {"securitySchemes", {{"bearer", std::move(bearer)}}}};
}

}  // namespace

absl::StatusOr<json> OpenApiDocument(const google::protobuf::FileDescriptorSet& files) {
  google::protobuf::DescriptorPool pool;
  std::vector<const google::protobuf::FileDescriptor*> built;
  for (const google::protobuf::FileDescriptorProto& file : files.file()) {
    PoolErrors errors;
    const google::protobuf::FileDescriptor* descriptor =
        pool.BuildFileCollectingErrors(file, &errors);
    if (descriptor == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("descriptor set: ", errors.text()));
    }
    built.push_back(descriptor);
  }
  const Descriptor* status = pool.FindMessageTypeByName(kStatusMessage);
  if (status == nullptr) {
    return absl::InvalidArgumentError(
        "descriptor set: no google.rpc.Status (google/rpc/status.proto)");
  }

  SchemaCatalog catalog;
  std::set<std::string> operation_ids;
  json paths = json::object();
  json tags = json::array();
  std::map<std::string, json> tags_by_name;
  for (const google::protobuf::FileDescriptor* file : built) {
    for (int i = 0; i < file->service_count(); ++i) {
      const ServiceDescriptor& service = *file->service(i);
      absl::StatusOr<bool> bound = AddService(service, catalog, operation_ids, paths);
      if (!bound.ok()) return bound.status();
      if (!*bound) continue;
      json tag = {{"name", service.name()}};
      std::string comment = CommentOf(service);
      if (!comment.empty()) tag["description"] = comment;
      tags_by_name[service.name()] = std::move(tag);
    }
  }
  for (auto& [name, tag] : tags_by_name) tags.push_back(std::move(tag));
  if (absl::Status merged = MergePathsOfOneShape(paths); !merged.ok()) return merged;

  return json{
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "infrashare"},
        {"version", std::string(BuildInfoOfThisBinary().version)},
        {"description", kApiDescription}}},
      {"servers", json::array({json{{"url", "/"}}})},
      {"security", json::array({json{{"bearer", json::array()}}})},
      {"tags", std::move(tags)},
      {"paths", std::move(paths)},
      {"components", Components(catalog, *status)},
  };
}

}  // namespace infrashare::openapi
