// Any RPC of the public API, named by its descriptor and called with a serialized request, so a
// test can walk every method (a new RPC is covered without touching the test).
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <string>
#include <vector>

namespace infrashare::testing {

// Every method of the public services, from their descriptors.
std::vector<const google::protobuf::MethodDescriptor*> EveryMethod();

// How the gate names a method: "registry.CreateResource" for
// infrashare.registry.v1.RegistryService.
std::string GateName(const google::protobuf::MethodDescriptor* method);

struct RawReply {
  grpc::Status status;
  std::vector<std::string>
      messages;  // serialized responses: one for a unary call, any for a stream
};

// Calls `method` with `request` (serialized; "" = every field at its default) and `authorization`
// (none when empty). A server stream is read until it ends or `deadline` passes (DEADLINE_EXCEEDED
// then says the stream was still open).
RawReply CallRaw(grpc::GenericStub& generic, const google::protobuf::MethodDescriptor* method,
                 const std::string& authorization, const std::string& request,
                 std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace infrashare::testing
