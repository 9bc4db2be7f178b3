// The OpenAPI generator (services/http/openapi) on a small API of its own (sample.proto): how
// rules, fields and streams come out in the document.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "services/http/openapi/openapi_document.h"

namespace infrashare::openapi {
namespace {

using nlohmann::json;

google::protobuf::FileDescriptorSet SampleFiles() {
  std::ifstream in(INFRASHARE_OPENAPI_SAMPLE_DESC, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet files;
  EXPECT_TRUE(files.ParseFromString(bytes.str())) << INFRASHARE_OPENAPI_SAMPLE_DESC;
  return files;
}

json SampleDocument() {
  absl::StatusOr<json> document = OpenApiDocument(SampleFiles());
  EXPECT_TRUE(document.ok()) << document.status();
  return document.ok() ? *document : json::object();
}

std::vector<std::string> ParameterNames(const json& operation, const std::string& in) {
  std::vector<std::string> names;
  for (const json& parameter : operation.value("parameters", json::array())) {
    if (parameter["in"] == in) names.push_back(parameter["name"]);
  }
  return names;
}

// The sample's rule for `rpc`, to be changed by a test.
google::api::HttpRule& RuleOf(google::protobuf::FileDescriptorSet& files, const std::string& rpc) {
  for (auto& file : *files.mutable_file()) {
    for (auto& service : *file.mutable_service()) {
      for (auto& method : *service.mutable_method()) {
        if (method.name() == rpc) {
          return *method.mutable_options()->MutableExtension(google::api::http);
        }
      }
    }
  }
  ADD_FAILURE() << "no rpc " << rpc;
  static google::api::HttpRule none;
  return none;
}

TEST(OpenApiDocument, NamesPathVariablesByFieldAndKeepsCustomVerbs) {
  json paths = SampleDocument()["paths"];
  EXPECT_EQ(paths["/v1/things/{id}:approve"]["post"]["operationId"], "ThingService_ApproveThing");
  const json& get = paths["/v1/{name}"]["get"];
  EXPECT_EQ(get["operationId"], "ThingService_GetThing");
  EXPECT_EQ(ParameterNames(get, "path"), std::vector<std::string>{"name"});
  EXPECT_NE(get["parameters"][0]["description"].get<std::string>().find("rooms/*/things/*"),
            std::string::npos);
  // An additional binding: the same rpc, numbered.
  EXPECT_EQ(paths["/v1/things/{name}"]["get"]["operationId"], "ThingService_GetThing_2");
  // No rule, no operation.
  EXPECT_EQ(paths.dump().find("Unbound"), std::string::npos);
}

TEST(OpenApiDocument, QueryHasTheFieldsNeitherPathNorBodyCarriesFlattenedThreeDeep) {
  json paths = SampleDocument()["paths"];
  // filter.inner.deeper.b is four deep, filter.again a cycle; repeated messages and maps have no
  // query form.
  EXPECT_EQ(ParameterNames(paths["/v1/things"]["get"], "query"),
            (std::vector<std::string>{"filter.network_id", "filter.colour", "filter.inner.a",
                                      "page_size", "colours", "since", "read_mask"}));
  // "/v1/things/{thing.id}" differs from GetThing's "/v1/things/{name}" only in the variable's
  // name, which OpenAPI forbids: it is listed there, its parameter renamed and still saying which
  // field it fills.
  EXPECT_FALSE(paths.contains("/v1/things/{thing.id}"));
  const json& update = paths["/v1/things/{name}"]["patch"];
  EXPECT_EQ(ParameterNames(update, "path"), std::vector<std::string>{"name"});
  EXPECT_EQ(update["parameters"][0]["description"].get<std::string>().rfind(
                "Fills the request's `thing.id`.", 0),
            0u)
      << update["parameters"][0];
  EXPECT_EQ(ParameterNames(update, "query"),
            (std::vector<std::string>{"update_mask", "request_id"}));
  EXPECT_EQ(ParameterNames(update, "header"), std::vector<std::string>{"Idempotency-Key"});
  EXPECT_EQ(update["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/openapi.sample.v1.Thing");
  // body "*": everything but the path in the body.
  const json& approve = paths["/v1/things/{id}:approve"]["post"];
  EXPECT_EQ(ParameterNames(approve, "query"), std::vector<std::string>{});
  EXPECT_EQ(approve["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/openapi.sample.v1.ApproveThingRequest");
}

TEST(OpenApiDocument, RepeatedQueryParametersExplodeAndEnumsGoByName) {
  json document = SampleDocument();
  const json& colours = document["paths"]["/v1/things"]["get"]["parameters"][4];
  ASSERT_EQ(colours["name"], "colours");
  EXPECT_EQ(colours["schema"]["type"], "array");
  EXPECT_EQ(colours["explode"], true);
  EXPECT_EQ(document["components"]["schemas"]["openapi.sample.v1.Colour"],
            json::parse(R"({"type": "string", "description": "- `COLOUR_RED`: warm",
                            "enum": ["COLOUR_UNSPECIFIED", "COLOUR_RED", "COLOUR_BLUE"]})"));
}

TEST(OpenApiDocument, SchemasFollowTheProto3JsonMapping) {
  json thing = SampleDocument()["components"]["schemas"]["openapi.sample.v1.Thing"];
  EXPECT_EQ(thing["description"], "A thing kept in the sample.");
  const json& properties = thing["properties"];
  EXPECT_EQ(properties["id"], json::parse(R"({"type": "string",
                                               "description": "assigned by the server"})"));
  EXPECT_EQ(properties["size"], json::parse(R"({"type": "string", "format": "int64"})"));
  EXPECT_EQ(properties["weight"], json::parse(R"({"type": "string", "format": "uint64"})"));
  EXPECT_EQ(properties["count"], json::parse(R"({"type": "integer", "format": "int32"})"));
  EXPECT_EQ(properties["blob"], json::parse(R"({"type": "string", "format": "byte"})"));
  EXPECT_EQ(properties["labels"], json::parse(R"({"type": "array", "items": {"type": "string"}})"));
  EXPECT_EQ(properties["tallies"]["additionalProperties"]["type"], "string");
  EXPECT_EQ(properties["createTime"], json::parse(R"({"type": "string", "format": "date-time"})"));
  EXPECT_EQ(properties["ttl"]["type"], "string");
  EXPECT_EQ(properties["nickname"], json::parse(R"({"type": "string", "nullable": true})"));
  EXPECT_EQ(properties["extra"]["type"], "object");
  EXPECT_EQ(properties["parent"]["$ref"], "#/components/schemas/openapi.sample.v1.Thing");
  EXPECT_NE(properties["room"]["description"].get<std::string>().find("`room`, `hall`"),
            std::string::npos);
}

TEST(OpenApiDocument, StreamsAreNdjsonOrServerSentEvents) {
  json success = SampleDocument()["paths"]["/v1/things:watch"]["get"]["responses"]["200"];
  const json& line = success["content"]["application/x-ndjson"]["schema"];
  EXPECT_EQ(line["properties"]["result"]["$ref"], "#/components/schemas/openapi.sample.v1.Thing");
  EXPECT_EQ(line["properties"]["error"]["$ref"], "#/components/schemas/google.rpc.Status");
  EXPECT_TRUE(success["content"].contains("text/event-stream"));
}

TEST(OpenApiDocument, ErrorsAreStatusAndEveryOperationNeedsABearerToken) {
  json document = SampleDocument();
  EXPECT_EQ(document["paths"]["/v1/things"]["get"]["responses"]["default"]["$ref"],
            "#/components/responses/Error");
  EXPECT_EQ(
      document["components"]["responses"]["Error"]["content"]["application/json"]["schema"]["$ref"],
      "#/components/schemas/google.rpc.Status");
  EXPECT_EQ(document["components"]["schemas"]["google.rpc.Status"]["properties"]["details"]["items"]
                    ["required"],
            json::array({"@type"}));
  EXPECT_EQ(document["security"], json::parse(R"([{"bearer": []}])"));
  EXPECT_EQ(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

TEST(OpenApiDocument, ResponseBodyIsThatField) {
  json schema = SampleDocument()["paths"]["/v1/things:count"]["get"]["responses"]["200"]["content"]
                                ["application/json"]["schema"];
  EXPECT_EQ(schema, json::parse(R"({"type": "string"})"));
}

TEST(OpenApiDocument, RefusesRulesItCannotExpress) {
  struct Case {
    std::string rpc, path, body, error;
  };
  for (const Case& c : std::vector<Case>{
           {"GetThing", "/v1/things/{missing}", "", "missing"},
           {"UpdateThing", "/v1/things/{thing.id}", "nobody", "nobody"},
           {"GetThing", "/v1/*/things/{name}", "", "wildcard"},
           {"GetThing", "/v1/things/{name", "", "unclosed"},
           {"ListThings", "/v1/things:watch", "", "also ThingService_ListThings"},
       }) {
    google::protobuf::FileDescriptorSet files = SampleFiles();
    google::api::HttpRule& rule = RuleOf(files, c.rpc);
    rule.Clear();
    rule.set_get(c.path);
    rule.set_body(c.body);
    absl::StatusOr<json> document = OpenApiDocument(files);
    ASSERT_FALSE(document.ok()) << c.path;
    EXPECT_EQ(document.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(document.status().message().find(c.error), std::string::npos)
        << document.status().message();
  }
}

}  // namespace
}  // namespace infrashare::openapi
