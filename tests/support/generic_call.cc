#include "tests/support/generic_call.h"

#include <future>

#include "services/server/server.h"

namespace infrashare::testing {

std::vector<const google::protobuf::MethodDescriptor*> EveryMethod() {
  std::vector<const google::protobuf::MethodDescriptor*> out;
  for (const auto& name : PublicServiceNames()) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) continue;  // the callers' counts of methods fail loudly
    for (int m = 0; m < service->method_count(); ++m) out.push_back(service->method(m));
  }
  return out;
}

std::string GateName(const google::protobuf::MethodDescriptor* method) {
  const std::string& package = method->service()->file()->package();  // "infrashare.registry.v1"
  const size_t from = package.find('.') + 1;
  return package.substr(from, package.rfind('.') - from) + "." + method->name();
}

namespace {

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& slice : slices)
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

// One step of an asynchronous stream: waits for its tag; whether it succeeded.
bool Step(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

}  // namespace

RawReply CallRaw(grpc::GenericStub& generic, const google::protobuf::MethodDescriptor* method,
                 const std::string& authorization, const std::string& request,
                 std::chrono::milliseconds deadline) {
  const std::string path = "/" + method->service()->full_name() + "/" + method->name();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  grpc::Slice slice(request);
  grpc::ByteBuffer payload(&slice, 1);
  RawReply reply;
  if (method->server_streaming()) {
    grpc::CompletionQueue cq;
    auto call = generic.PrepareCall(&context, path, &cq);
    call->StartCall(nullptr);
    Step(cq);
    call->Write(payload, nullptr);
    Step(cq);
    call->WritesDone(nullptr);
    Step(cq);
    for (;;) {  // until the server ends the stream or the deadline cancels it
      grpc::ByteBuffer message;
      call->Read(&message, nullptr);
      if (!Step(cq)) break;
      reply.messages.push_back(Bytes(message));
    }
    call->Finish(&reply.status, nullptr);
    Step(cq);
    cq.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq.Next(&tag, &ok)) {
    }
    return reply;
  }
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, path, grpc::StubOptions(), &payload, &response,
                    [&done](grpc::Status s) { done.set_value(std::move(s)); });
  reply.status = done.get_future().get();
  if (reply.status.ok()) reply.messages.push_back(Bytes(response));
  return reply;
}

}  // namespace infrashare::testing
