// The OpenAPI 3.0 document of the REST/JSON API: every rpc with a google.api.http rule as an
// operation (docs/rest.md, "OpenAPI"). Made at build time from protoc's descriptor set of the
// protos (with source info, for the comments) by infrashare-openapi. Written here rather than
// taken from grpc-gateway: Debian's (1.6) writes Swagger 2.0 only, from a Go plugin.
#pragma once

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.pb.h"
#include "nlohmann/json.hpp"

namespace infrashare::openapi {

// INVALID_ARGUMENT when the set does not build (a missing import), a rule cannot be expressed or
// names fields the request lacks, or two rules claim one path and method.
absl::StatusOr<nlohmann::json> OpenApiDocument(const google::protobuf::FileDescriptorSet& files);

}  // namespace infrashare::openapi
