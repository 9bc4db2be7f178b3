// The google.api.http rules of an rpc (google/api/http.proto), read from its descriptor: what the
// REST gateway serves (rest_gateway.h) and the OpenAPI document describes (openapi/).
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/http/path_template.h"

namespace infrashare::http {

struct HttpRuleBinding {
  std::string http_method;  // GET, PUT, POST, DELETE, PATCH, or a custom rule's kind as written
  PathTemplate path;
  std::string body;           // "" (none), "*" or a field of the request
  std::string response_body;  // "" (the whole response) or a field of the response
};

// The rule first, then its additional_bindings; none when the rpc has no rule. INVALID_ARGUMENT
// naming the method for a rule without a path or with a path that does not parse.
absl::StatusOr<std::vector<HttpRuleBinding>> HttpRulesOf(
    const google::protobuf::MethodDescriptor& method);

}  // namespace infrashare::http
