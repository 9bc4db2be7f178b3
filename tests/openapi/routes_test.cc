// The REST API covers the gRPC API: every rpc of every infrashare service has a google.api.http
// rule, and the OpenAPI document the HTTP listener serves (kOpenApiJson) lists each rule and
// additional binding at its path and method. The services are those compiled into the server
// (the generated pool: the protos are linked whole), the files those of proto/infrashare.
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/http/openapi/openapi_json.h"

namespace infrashare {
namespace {

using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

std::vector<const ServiceDescriptor*> InfrashareServices() {
  std::vector<const ServiceDescriptor*> services;
  std::filesystem::path root = std::filesystem::path(INFRASHARE_SOURCE_DIR) / "proto";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "infrashare")) {
    if (entry.path().extension() != ".proto") continue;
    std::string name = std::filesystem::relative(entry.path(), root).generic_string();
    const google::protobuf::FileDescriptor* file =
        google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    EXPECT_NE(file, nullptr) << name << " is not compiled into infrashare_proto";
    if (file == nullptr) continue;
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

// OpenAPI's form of a rule's path, written apart from the generator's: "{name=rooms/*}" is
// "{name}".
std::string OpenApiPath(const std::string& path_template) {
  static const std::regex kVariable(R"(\{([^=}]+)(=[^}]*)?\})");
  return std::regex_replace(path_template, kVariable, "{$1}");
}

// The path with its variables' names left out: "/v1/a/{x}" and "/v1/a/{y}" are one route.
std::string ShapeOf(const std::string& path) {
  static const std::regex kVariable(R"(\{[^}]*\})");
  return std::regex_replace(path, kVariable, "{}");
}

struct Route {
  std::string method, path;
};
Route RouteOf(const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return {"get", OpenApiPath(rule.get())};
    case google::api::HttpRule::kPut:
      return {"put", OpenApiPath(rule.put())};
    case google::api::HttpRule::kPost:
      return {"post", OpenApiPath(rule.post())};
    case google::api::HttpRule::kDelete:
      return {"delete", OpenApiPath(rule.delete_())};
    case google::api::HttpRule::kPatch:
      return {"patch", OpenApiPath(rule.patch())};
    default:
      return {"", ""};
  }
}

TEST(OpenApiRoutes, EveryInfrashareRpcHasAnHttpRule) {
  std::vector<const ServiceDescriptor*> services = InfrashareServices();
  ASSERT_FALSE(services.empty());
  for (const ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor& method = *service->method(i);
      EXPECT_TRUE(method.options().HasExtension(google::api::http))
          << method.full_name() << " has no google.api.http rule";
    }
  }
}

TEST(OpenApiRoutes, TheServedDocumentListsEveryRuleAtItsPath) {
  nlohmann::json document = nlohmann::json::parse(kOpenApiJson, nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << "kOpenApiJson is not JSON";
  const nlohmann::json& paths = document["paths"];
  int routes = 0;
  for (const ServiceDescriptor* service : InfrashareServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor& method = *service->method(i);
      if (!method.options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = method.options().GetExtension(google::api::http);
      std::vector<Route> bindings = {RouteOf(rule)};
      for (const auto& additional : rule.additional_bindings()) {
        bindings.push_back(RouteOf(additional));
      }
      for (size_t b = 0; b < bindings.size(); ++b) {
        const Route& route = bindings[b];
        std::string operation_id = service->name() + "_" + method.name();
        if (b > 0) operation_id.append("_").append(std::to_string(b + 1));
        ASSERT_FALSE(route.method.empty()) << method.full_name() << ": a rule without a method";
        // OpenAPI allows one path of each shape: the route is at the one path of its shape,
        // whatever its variables are named there.
        std::vector<std::string> found;
        for (const auto& [path, item] : paths.items())
          if (ShapeOf(path) == ShapeOf(route.path)) found.push_back(path);
        ASSERT_EQ(found.size(), 1u) << route.path << ": " << found.size() << " paths of its shape";
        ASSERT_TRUE(paths[found[0]].contains(route.method))
            << method.full_name() << ": " << route.method << " " << route.path
            << " is not in the document";
        EXPECT_EQ(paths[found[0]][route.method].value("operationId", ""), operation_id)
            << route.method << " " << route.path;
        ++routes;
      }
    }
  }
  EXPECT_GT(routes, 0);
  int operations = 0;
  for (const auto& [path, item] : paths.items()) operations += static_cast<int>(item.size());
  EXPECT_EQ(operations, routes) << "the document has operations no rule names";
  // Each operation's path parameters are the variables of the path it is listed at.
  for (const auto& [path, item] : paths.items()) {
    std::set<std::string> variables;
    static const std::regex kName(R"(\{([^}]*)\})");
    for (std::sregex_iterator it(path.begin(), path.end(), kName), end; it != end; ++it)
      variables.insert((*it)[1]);
    for (const auto& [verb, operation] : item.items()) {
      std::set<std::string> named;
      for (const auto& parameter : operation.value("parameters", nlohmann::json::array()))
        if (parameter.value("in", "") == "path") named.insert(parameter.value("name", ""));
      EXPECT_EQ(named, variables) << verb << " " << path;
    }
  }
}

}  // namespace
}  // namespace infrashare
