#include "services/http/http_rule.h"

#include "absl/strings/str_cat.h"
#include "google/api/annotations.pb.h"

namespace infrashare::http {
namespace {

absl::StatusOr<HttpRuleBinding> BindingOf(const google::api::HttpRule& rule) {
  std::string method, path;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      method = "GET", path = rule.get();
      break;
    case google::api::HttpRule::kPut:
      method = "PUT", path = rule.put();
      break;
    case google::api::HttpRule::kPost:
      method = "POST", path = rule.post();
      break;
    case google::api::HttpRule::kDelete:
      method = "DELETE", path = rule.delete_();
      break;
    case google::api::HttpRule::kPatch:
      method = "PATCH", path = rule.patch();
      break;
    case google::api::HttpRule::kCustom:
      method = rule.custom().kind(), path = rule.custom().path();
      break;
    case google::api::HttpRule::PATTERN_NOT_SET:
      return absl::InvalidArgumentError("an HTTP rule without a method and path");
  }
  auto parsed = PathTemplate::Parse(path);
  if (!parsed.ok()) return parsed.status();
  return HttpRuleBinding{std::move(method), std::move(*parsed), rule.body(), rule.response_body()};
}

}  // namespace

absl::StatusOr<std::vector<HttpRuleBinding>> HttpRulesOf(
    const google::protobuf::MethodDescriptor& method) {
  std::vector<HttpRuleBinding> bindings;
  if (!method.options().HasExtension(google::api::http)) return bindings;
  const google::api::HttpRule& rule = method.options().GetExtension(google::api::http);
  std::vector<const google::api::HttpRule*> rules = {&rule};
  for (const google::api::HttpRule& additional : rule.additional_bindings())
    rules.push_back(&additional);
  for (const google::api::HttpRule* each : rules) {
    auto binding = BindingOf(*each);
    if (!binding.ok())
      return absl::InvalidArgumentError(
          absl::StrCat(method.full_name(), ": ", binding.status().message()));
    bindings.push_back(std::move(*binding));
  }
  return bindings;
}

}  // namespace infrashare::http
