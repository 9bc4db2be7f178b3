// REST/JSON in front of the gRPC API: every google.api.http rule of the API's services
// (proto/infrashare/*/v1/*.proto), served on the HTTP listener. A REST call becomes the same gRPC
// call to this server through its in-process channel, so it passes the same gate (token, scopes,
// rate limits, request limits, audit) and handler as over gRPC, and gets the same answer: the
// response in protobuf's own proto3 JSON mapping, an error as its google.rpc.Status with the same
// details. A server stream answers as newline-delimited JSON ({"result": ...} per event, a last
// {"error": ...} when it ends in an error), or as server-sent events for Accept:
// text/event-stream.
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/http/path_template.h"
#include "services/http/proto_json.h"
#include "services/http/public_site.h"

namespace infrashare::http {

// One google.api.http rule (or one of its additional bindings).
struct RestRoute {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string http_method;  // GET, POST, PUT, PATCH, DELETE
  PathTemplate path;
  std::string body;  // "" (none: every unbound field from the query), "*", or a request field
};

// Every rule of every method of `services`, or the first rule that is wrong: a path that does not
// parse, a variable or body that names no field of the request, a variable that is not a singular
// text field, or a body on GET or DELETE.
absl::StatusOr<std::vector<RestRoute>> RestRoutes(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services);

class RestGateway {
 public:
  // Who holds a stream's place, from the token the call carries: callers who are one (one
  // organisation, whatever number of tokens it holds) share the per-caller cap.
  using HolderOf = std::function<std::string(absl::string_view token)>;

  // At most `max_streams` server streams at once (each holds one of the listener's threads), at
  // most half of them held by one holder. Without `holder_of`, each token is its own holder.
  RestGateway(std::vector<RestRoute> routes, int max_streams, HolderOf holder_of = nullptr);
  ~RestGateway();
  RestGateway(const RestGateway&) = delete;
  RestGateway& operator=(const RestGateway&) = delete;

  // The server to call; until it is set, calls answer 503.
  void Connect(std::shared_ptr<grpc::ChannelInterface> channel);

  ApiReply Handle(const ApiRequest& request);
  // Ends the REST streams that are open and refuses new ones (the server is stopping: a stream
  // would otherwise hold the listener's thread until its client goes).
  void Stop();

  const std::vector<RestRoute>& routes() const { return routes_; }

 private:
  ApiReply Stream(const RestRoute& route, std::unique_ptr<google::protobuf::Message> message,
                  const ApiRequest& request, std::shared_ptr<grpc::ChannelInterface> channel);

  std::vector<RestRoute> routes_;  // those with a verb first: they match before a bare variable
  const int max_streams_;
  const HolderOf holder_of_;
  std::mutex open_mutex_;
  bool stopping_ = false;  // guarded by open_mutex_
  // The open streams' calls, one per place taken; guarded by open_mutex_.
  std::set<grpc::ClientContext*> open_;
  // Open streams per holder, guarded by open_mutex_: one holder may hold at most half of the
  // places, so it cannot shut the others out.
  std::map<std::string, int> per_caller_;
  std::mutex channel_mutex_;
  std::shared_ptr<grpc::ChannelInterface> channel_;
  AnswerJson answers_;  // unary answers as JSON
};

}  // namespace infrashare::http
