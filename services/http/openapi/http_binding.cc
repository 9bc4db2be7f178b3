#include "services/http/openapi/http_binding.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/http/http_rule.h"

namespace infrashare::openapi {
namespace {

absl::StatusOr<OpenApiPath> FromTemplate(const http::PathTemplate& parsed) {
  if (parsed.HasBareWildcard())
    return absl::InvalidArgumentError(
        absl::StrCat("path template \"", parsed.text(),
                     "\": a wildcard outside a variable (OpenAPI cannot name it)"));
  OpenApiPath result;
  result.path = parsed.Display();
  for (auto& [field_path, pattern] : parsed.VariablePatterns())
    result.variables.push_back({field_path, pattern});
  return result;
}

}  // namespace

absl::StatusOr<OpenApiPath> ToOpenApiPath(absl::string_view path_template) {
  auto parsed = http::PathTemplate::Parse(std::string(path_template));
  if (!parsed.ok()) return parsed.status();
  return FromTemplate(*parsed);
}

absl::StatusOr<std::vector<HttpBinding>> HttpBindingsOf(
    const google::protobuf::MethodDescriptor& method) {
  auto rules = http::HttpRulesOf(method);
  if (!rules.ok()) return rules.status();
  std::vector<HttpBinding> bindings;
  for (const http::HttpRuleBinding& rule : *rules) {
    HttpBinding binding;
    binding.method = absl::AsciiStrToLower(rule.http_method);
    if (binding.method != "get" && binding.method != "put" && binding.method != "post" &&
        binding.method != "delete" && binding.method != "patch" && binding.method != "head" &&
        binding.method != "options" && binding.method != "trace")
      return absl::InvalidArgumentError(absl::StrCat(method.full_name(), ": custom HTTP method \"",
                                                     rule.http_method, "\" has no OpenAPI form"));
    auto path = FromTemplate(rule.path);
    if (!path.ok())
      return absl::InvalidArgumentError(
          absl::StrCat(method.full_name(), ": ", path.status().message()));
    binding.path = std::move(*path);
    binding.body = rule.body;
    binding.response_body = rule.response_body;
    bindings.push_back(std::move(binding));
  }
  return bindings;
}

}  // namespace infrashare::openapi
