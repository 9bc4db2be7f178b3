// The gate's bounds (services/common/request_limits.h) on any request of any service: the first
// byte picks the method, the rest is its request in protobuf wire format, as a client could send
// it. CheckRequest must answer, and when it admits a request every time in it lies within the
// configured range; when it refuses one its message must not repeat a value of the request.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infrashare/auth/v1/auth.pb.h"
#include "infrashare/desk/v1/desk.pb.h"
#include "infrashare/registry/v1/registry.pb.h"
#include "infrashare/scheduler/v1/scheduler.pb.h"
#include "services/common/request_limits.h"
#include "tests/fuzz/invariant.h"

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using infrashare::fuzz::Require;

// Every request type the gate sees, in a fixed order (the services' methods as declared).
const std::vector<const Message*>& RequestPrototypes() {
  static const auto* prototypes = [] {
    auto* out = new std::vector<const Message*>;
    for (const auto* file : {infrashare::auth::v1::CreateTokenRequest::descriptor()->file(),
                             infrashare::registry::v1::Resource::descriptor()->file(),
                             infrashare::scheduler::v1::Booking::descriptor()->file(),
                             infrashare::desk::v1::Inquiry::descriptor()->file()}) {
      Require(file->service_count() == 1, "each API file declares one service");
      const auto* service = file->service(0);
      for (int i = 0; i < service->method_count(); ++i)
        out->push_back(google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            service->method(i)->input_type()));
    }
    return out;
  }();
  return *prototypes;
}

// Our messages and field names are printable ASCII: a value of 8 bytes or more with any other
// byte in it, found in a message, was repeated from the request.
bool Recognisable(const std::string& value) {
  if (value.size() < 8) return false;
  for (unsigned char c : value)
    if (c < 0x20 || c >= 0x7f) return true;
  return false;
}

// Walks every set field: each Timestamp's seconds, and every recognisable string.
void Collect(const Message& m, std::vector<int64_t>* seconds, std::vector<std::string>* texts) {
  const auto* r = m.GetReflection();
  const auto* d = m.GetDescriptor();
  if (d->full_name() == "google.protobuf.Timestamp") {
    seconds->push_back(r->GetInt64(m, d->FindFieldByName("seconds")));
    return;
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        Collect(f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f), seconds,
                texts);
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        std::string value = f->is_repeated() ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
        if (Recognisable(value)) texts->push_back(std::move(value));
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& prototypes = RequestPrototypes();
  std::unique_ptr<Message> request(prototypes[data[0] % prototypes.size()]->New());
  if (!request->ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;

  const infrashare::RequestLimits limits;
  const absl::Status status = infrashare::CheckRequest(*request, limits);
  infrashare::RequestIdOf(*request);

  std::vector<int64_t> seconds;
  std::vector<std::string> texts;
  Collect(*request, &seconds, &texts);
  if (status.ok()) {
    for (int64_t s : seconds)
      Require(s >= limits.earliest_time_s && s < limits.latest_time_s,
              "an admitted request's times lie in range");
  } else {
    Require(status.code() == absl::StatusCode::kInvalidArgument,
            "a refused request is INVALID_ARGUMENT");
    for (const auto& text : texts)
      Require(status.message().find(text) == absl::string_view::npos,
              "a refusal does not repeat the value");
  }
  return 0;
}
