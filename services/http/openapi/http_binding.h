// An rpc's google.api.http rule and its additional_bindings in OpenAPI's terms: the operation's
// method and path, what the path binds, where the body goes.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace infrashare::openapi {

struct PathVariable {
  std::string field_path;  // "id", "booking.id"
  std::string pattern;     // "networks/*" for {name=networks/*}; "" for one segment
};

// "/v1/{name=networks/*}/resources:search" becomes "/v1/{name}/resources:search": each variable
// named by its field path alone, a custom verb kept as it is.
struct OpenApiPath {
  std::string path;
  std::vector<PathVariable> variables;  // in the order of the path
};
// INVALID_ARGUMENT naming the fault for a template that breaks google/api/http.proto's "Path
// template syntax", or that has a wildcard outside a variable (OpenAPI cannot name it).
absl::StatusOr<OpenApiPath> ToOpenApiPath(absl::string_view path_template);

struct HttpBinding {
  std::string method;  // OpenAPI's key for the operation: "get", "post", ...
  OpenApiPath path;
  std::string body;           // "", "*" or a field of the request
  std::string response_body;  // "" (the whole response) or a field of the response
};
// The rule first, then its additional_bindings; none when the rpc has no rule.
absl::StatusOr<std::vector<HttpBinding>> HttpBindingsOf(
    const google::protobuf::MethodDescriptor& method);

}  // namespace infrashare::openapi
