// Any RPC of the public API made over REST/JSON instead, as an integrator would make it: the
// method's google.api.http rule gives the HTTP method and path, the request's fields go into the
// path, the body (proto3 JSON) and the query; the answer comes back as gRPC's would (status with
// its details from the google.rpc.Status JSON, serialized responses), so a test can compare both.
#pragma once

#include <google/protobuf/descriptor.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/support/generic_call.h"

namespace infrashare::testing {

struct RestRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query, percent-encoded
  std::string body;    // JSON, "" for none
};

// The HTTP request for `request` (serialized) under the method's first rule; "" target when a
// path variable's field is empty (no URL can carry it).
RestRequest ToRest(const google::protobuf::MethodDescriptor* method, const std::string& request);

// Makes the call on the HTTP listener at 127.0.0.1:`http_port`. A stream is read until it ends or
// `deadline` passes (DEADLINE_EXCEEDED then, as over gRPC). `headers` are sent too.
RawReply CallRest(int http_port, const google::protobuf::MethodDescriptor* method,
                  const std::string& authorization, const std::string& request,
                  std::chrono::milliseconds deadline = std::chrono::seconds(10),
                  const std::multimap<std::string, std::string>& headers = {});

// A plain HTTP exchange with the listener, for what CallRest does not cover.
struct HttpAnswer {
  int status = 0;  // 0: no answer
  std::string body;
  std::multimap<std::string, std::string> headers;
};
HttpAnswer SendHttp(int http_port, const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::multimap<std::string, std::string>& headers = {});

// Sends `bytes` as they are on a new connection to the listener and returns what comes back
// until the server closes it or 10 s pass: for requests no HTTP client library would write.
std::string SendRawHttp(int http_port, const std::string& bytes);
// The same, sent in `parts` a moment apart (the server reads them one by one): for what a request
// leaves unread on its connection.
std::string SendRawHttp(int http_port, const std::vector<std::string>& parts);

// The status a REST error body (google.rpc.Status as JSON) stands for.
grpc::Status StatusFromJson(const std::string& json);

}  // namespace infrashare::testing
