// The OpenAPI document of the REST/JSON API (openapi_document.h), made from the protos when the
// project is built and served by the HTTP listener at GET /openapi.json.
#pragma once

#include <string_view>

namespace infrashare {

extern const std::string_view kOpenApiJson;

}  // namespace infrashare
