#include "services/http/rest_gateway.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/auth.h"
#include "services/common/errors.h"
#include "services/common/forwarded_peer.h"
#include "services/common/stream_follower.h"
#include "services/common/text_fold.h"
#include "services/http/http_rule.h"
#include "services/http/path_template.h"
#include "services/http/proto_json.h"

namespace infrashare::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using google::protobuf::Reflection;

// A unary call's longest wait: a REST client holds one of the listener's threads meanwhile.
constexpr auto kUnaryDeadline = std::chrono::seconds(60);
// How long a stream may take to admit the caller before its reply begins: a refusal within this
// time answers with its own HTTP status; after it, 200 and the events.
constexpr auto kStreamAdmission = std::chrono::seconds(1);
// A line (newline-delimited JSON: an empty line; events: a comment) this often on a quiet stream,
// so a client that has gone is noticed and its thread freed.
constexpr auto kKeepAlive = std::chrono::seconds(15);
// How often a quiet stream asks whether its client is still connected.
constexpr auto kClientCheck = std::chrono::milliseconds(500);
constexpr size_t kStreamBuffer = 64;  // events read ahead of a slow client
// Memory for the kept JSON of entities in answers: some 15,000 resources.
constexpr size_t kKeptAnswerJson = 32 << 20;
// How long a kept JSON no answer uses stays: two of these at most.
constexpr auto kKeptAnswerTurn = std::chrono::minutes(5);

const FieldDescriptor* FindField(const Descriptor* type, absl::string_view name) {
  if (const FieldDescriptor* field = type->FindFieldByName(std::string(name))) return field;
  for (int i = 0; i < type->field_count(); ++i)
    if (type->field(i)->json_name() == name) return type->field(i);
  return nullptr;
}

// The message holding the last field of `path`, and that field; INVALID_ARGUMENT naming `path`
// (as the client wrote it) when a step names no field or a repeated one.
absl::StatusOr<std::pair<Message*, const FieldDescriptor*>> Resolve(Message* message,
                                                                    absl::string_view path,
                                                                    absl::string_view shown) {
  std::vector<absl::string_view> steps = absl::StrSplit(path, '.');
  for (size_t i = 0; i < steps.size(); ++i) {
    const FieldDescriptor* field = FindField(message->GetDescriptor(), steps[i]);
    if (field == nullptr) return InvalidField(shown, "is not a field of this request");
    if (i + 1 == steps.size()) return std::make_pair(message, field);
    if (field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE)
      return InvalidField(shown, "goes through a field that is not a single message");
    message = message->GetReflection()->MutableMessage(message, field);
  }
  return InvalidField(shown, "is empty");
}

bool IsWellKnownText(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask";
}

bool IsWrapper(const Descriptor* type) {
  return type->file()->name() == "google/protobuf/wrappers.proto";
}

// A number as JSON writes it: "-12", "52.1", "1e3"; no '+', spaces, hex, "inf" or decimal comma.
bool IsPlainNumber(absl::string_view text, bool fraction) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i > start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (!digits()) return false;
  if (fraction && i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (fraction && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == text.size();
}

// Sets (or, for a repeated field, adds) `field` of `message` from its text in a path or query.
absl::Status SetFromText(Message* message, const FieldDescriptor* field, const std::string& text,
                         absl::string_view shown) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  auto not_a = [&](absl::string_view what) {
    return InvalidField(shown, absl::StrCat("is not ", what, ": \"", Utf8Prefix(text, 64), "\""));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value = text;
      if (field->type() == FieldDescriptor::TYPE_BYTES && !absl::Base64Unescape(text, &value) &&
          !absl::WebSafeBase64Unescape(text, &value))
        return not_a("base64");
      if (field->type() == FieldDescriptor::TYPE_STRING && !IsValidUtf8(value))
        return InvalidField(shown, "is not UTF-8 text");
      repeated ? reflection->AddString(message, field, value)
               : reflection->SetString(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (text == "true" || text == "1") {
        value = true;
      } else if (text == "false" || text == "0") {
        value = false;
      } else {
        return not_a("true or false");
      }
      repeated ? reflection->AddBool(message, field, value)
               : reflection->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!IsPlainNumber(text, false) || !absl::SimpleAtoi(text, &value))
        return not_a("a whole number");
      repeated ? reflection->AddInt32(message, field, value)
               : reflection->SetInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!IsPlainNumber(text, false) || !absl::SimpleAtoi(text, &value))
        return not_a("a whole number");
      repeated ? reflection->AddInt64(message, field, value)
               : reflection->SetInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (!IsPlainNumber(text, false) || !absl::SimpleAtoi(text, &value))
        return not_a("a whole number of at least 0");
      repeated ? reflection->AddUInt32(message, field, value)
               : reflection->SetUInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!IsPlainNumber(text, false) || !absl::SimpleAtoi(text, &value))
        return not_a("a whole number of at least 0");
      repeated ? reflection->AddUInt64(message, field, value)
               : reflection->SetUInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double value;
      if (!IsPlainNumber(text, true) || !absl::SimpleAtod(text, &value) || !std::isfinite(value))
        return not_a("a number (with a decimal point)");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? reflection->AddFloat(message, field, static_cast<float>(value))
                 : reflection->SetFloat(message, field, static_cast<float>(value));
      } else {
        repeated ? reflection->AddDouble(message, field, value)
                 : reflection->SetDouble(message, field, value);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = field->enum_type()->FindValueByName(text);
      int number;
      if (value == nullptr && absl::SimpleAtoi(text, &number))
        value = field->enum_type()->FindValueByNumber(number);
      if (value == nullptr) return not_a(absl::StrCat("a value of ", field->enum_type()->name()));
      repeated ? reflection->AddEnum(message, field, value)
               : reflection->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor* type = field->message_type();
      if (field->is_map() || (!IsWellKnownText(type) && !IsWrapper(type)))
        return InvalidField(shown, "is a message: give its fields (a.b=...) or send it in a body");
      Message* target = repeated ? reflection->AddMessage(message, field)
                                 : reflection->MutableMessage(message, field);
      if (IsWrapper(type)) return SetFromText(target, type->field(0), text, shown);
      const std::string quoted = nlohmann::json(text).dump();
      if (!JsonToMessage(quoted, target).ok())
        return not_a(type->full_name() == "google.protobuf.Timestamp"
                         ? "an RFC 3339 time (2026-03-02T09:00:00Z)"
                         : (type->full_name() == "google.protobuf.Duration" ? "a duration (90s)"
                                                                            : "a field mask"));
      return absl::OkStatus();
    }
  }
  return not_a("a value");
}

// Whether `path` is `prefix` or lies under it ("booking.id" under "booking").
bool Under(absl::string_view path, absl::string_view prefix) {
  return path == prefix || absl::StartsWith(path, absl::StrCat(prefix, "."));
}

// The field path of a query parameter in proto names: each step by its proto or JSON name.
std::string ProtoPath(const Descriptor* type, absl::string_view path) {
  std::vector<std::string> steps;
  for (absl::string_view step : absl::StrSplit(path, '.')) {
    const FieldDescriptor* field = type == nullptr ? nullptr : FindField(type, step);
    steps.push_back(field == nullptr ? std::string(step) : field->name());
    type = field != nullptr && field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
               ? field->message_type()
               : nullptr;
  }
  return absl::StrJoin(steps, ".");
}

// The HTTP status of a gRPC code (google/rpc/code.proto's mapping).
int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

// The status as google.rpc.Status (with the details gRPC carries in grpc-status-details-bin).
google::rpc::Status StatusProto(const grpc::Status& status) {
  google::rpc::Status proto;
  if (!status.error_details().empty()) (void)proto.ParseFromString(status.error_details());
  proto.set_code(status.error_code());
  proto.set_message(status.error_message());
  return proto;
}

ApiReply ErrorReply(const grpc::Status& status) {
  const google::rpc::Status proto = StatusProto(status);
  std::optional<std::string> json = BytesToJson(*proto.GetDescriptor(), proto.SerializeAsString());
  // A message that quotes bytes which are not UTF-8 is no proto3 JSON: the status is still told,
  // its message with such bytes replaced (its details, which quote the same, left out).
  if (!json)
    json = nlohmann::json{{"code", static_cast<int>(status.error_code())},
                          {"message", status.error_message()}}
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  ApiReply reply{HttpStatusOf(status.error_code()), "application/json", *std::move(json), {}, {}};
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED)
    reply.headers.emplace_back("WWW-Authenticate", "Bearer");
  for (const auto& detail : proto.details()) {
    google::rpc::RetryInfo retry;
    if (detail.UnpackTo(&retry)) {
      const double seconds =
          static_cast<double>(retry.retry_delay().seconds()) + retry.retry_delay().nanos() / 1e9;
      reply.headers.emplace_back("Retry-After",
                                 std::to_string(std::max<int64_t>(1, std::ceil(seconds))));
    }
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && reply.headers.empty())
    reply.headers.emplace_back("Retry-After", "1");
  return reply;
}

ApiReply ErrorReply(const absl::Status& status) { return ErrorReply(ToGrpcStatus(status)); }

// The request message of a call: body, path variables, query parameters and Idempotency-Key.
absl::Status BuildRequest(const RestRoute& route,
                          const std::vector<std::pair<std::string, std::string>>& bound,
                          const ApiRequest& call, Message* message) {
  if (!call.body.empty()) {
    if (route.body.empty())
      return InvalidField("body", absl::StrCat(route.http_method, " ", route.path.text(),
                                               " takes no body: send the fields in the query"));
    if (!IsValidUtf8(call.body)) return InvalidField("body", "is not UTF-8 text");
    const std::string type = absl::AsciiStrToLower(call.content_type);
    if (!type.empty() && !absl::StartsWith(type, "application/json"))
      return InvalidField("body", "must be application/json");
    if (const size_t charset = type.find("charset=");
        charset != std::string::npos &&
        !absl::StartsWith(absl::StripLeadingAsciiWhitespace(type.substr(charset + 8)), "utf-8") &&
        !absl::StartsWith(absl::StripLeadingAsciiWhitespace(type.substr(charset + 8)), "\"utf-8"))
      return InvalidField("body", "must be UTF-8 (charset=utf-8)");
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    // A body for one field is parsed as that field's message on its own (before, it was pasted
    // into an object as text, and `{...},"updateMask":"..."` set a field outside it).
    Message* target = message;
    if (route.body != "*")
      target = message->GetReflection()->MutableMessage(
          message, FindField(message->GetDescriptor(), route.body));
    if (auto parsed = JsonToMessage(call.body, target, options); !parsed.ok())
      return InvalidField("body", absl::StrCat("is not this request's JSON: ",
                                               Utf8Prefix(std::string(parsed.message()), 300)));
  }
  std::set<std::string> set;  // the fields given in the path or the query
  for (const auto& [path, value] : bound) {
    auto target = Resolve(message, path, path);
    if (!target.ok()) return target.status();
    auto [holder, field] = *target;
    if (route.body == "*" || (!route.body.empty() && Under(path, route.body))) {
      // The path wins over the body, but a body that says otherwise is a mistake.
      const Reflection* reflection = holder->GetReflection();
      if (reflection->HasField(*holder, field) && reflection->GetString(*holder, field) != value)
        return InvalidField(
            path,
            absl::StrCat("is \"", value, "\" in the path but \"",
                         Utf8Prefix(reflection->GetString(*holder, field), 64), "\" in the body"));
    }
    if (auto done = SetFromText(holder, field, value, path); !done.ok()) return done;
    set.insert(path);
  }
  for (const auto& [name, value] : call.query) {
    if (name.empty()) return InvalidField("query", "a parameter has no name");
    const std::string path = ProtoPath(message->GetDescriptor(), name);
    if (route.body == "*")
      return InvalidField(name, "this route takes every field in its body, none in the query");
    if (!route.body.empty() && Under(path, route.body))
      return InvalidField(name, absl::StrCat("is part of the body (", route.body, ")"));
    for (const auto& [bound_path, unused] : bound)
      if (Under(path, bound_path) || Under(bound_path, path))
        return InvalidField(name, "is given in the path");
    auto target = Resolve(message, path, name);
    if (!target.ok()) return target.status();
    auto [holder, field] = *target;
    if (!field->is_repeated() && !set.insert(path).second)
      return InvalidField(name, "is given more than once");
    if (auto done = SetFromText(holder, field, value, name); !done.ok()) return done;
  }
  if (!call.idempotency_key.empty()) {
    const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName("request_id");
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() != FieldDescriptor::CPPTYPE_STRING)
      return InvalidField("Idempotency-Key", "this call takes no request_id");
    const Reflection* reflection = message->GetReflection();
    const std::string given = reflection->GetString(*message, field);
    if (!given.empty() && given != call.idempotency_key)
      return InvalidField("Idempotency-Key", "differs from the request's request_id");
    reflection->SetString(message, field, call.idempotency_key);
  }
  return absl::OkStatus();
}

void PrepareContext(grpc::ClientContext* context, const ApiRequest& call) {
  if (!call.authorization.empty()) context->AddMetadata("authorization", call.authorization);
  ForwardPeer(context, call.peer);
}

std::string MethodPath(const MethodDescriptor* method) {
  return absl::StrCat("/", method->service()->full_name(), "/", method->name());
}

using MessageStub = grpc::TemplatedGenericStub<Message, Message>;

// A server stream read on gRPC's threads into a small buffer the listener's thread drains.
class StreamReader final : public grpc::ClientBidiReactor<Message, Message> {
 public:
  StreamReader(std::unique_ptr<Message> request, const Message* prototype)
      : request_(std::move(request)), prototype_(prototype) {}

  void Begin(MessageStub* stub, const std::string& method) {
    stub->PrepareBidiStreamingCall(&context_, method, {}, this);
    StartWrite(request_.get(), grpc::WriteOptions().set_last_message());
    ReadNext();
    StartCall();
  }
  grpc::ClientContext* context() { return &context_; }

  // Waits until the stream has begun (its first event or its headers), has ended, or `until`.
  void AwaitStart(std::chrono::steady_clock::time_point until) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, until, [&] { return begun_ || done_ || !events_.empty(); });
  }
  // Whether it ended before sending anything, and how.
  bool EndedEmpty(grpc::Status* status) {
    std::lock_guard lock(mutex_);
    if (!done_ || !events_.empty()) return false;
    *status = status_;
    return true;
  }
  // The next event; nothing when the stream has ended (then `*status` says how) or on time out
  // (then `*timed_out`).
  std::unique_ptr<Message> Next(std::chrono::steady_clock::duration wait, grpc::Status* status,
                                bool* timed_out) {
    std::unique_ptr<Message> event;
    bool resume = false;
    {
      std::unique_lock lock(mutex_);
      *timed_out = !changed_.wait_for(lock, wait, [&] { return done_ || !events_.empty(); });
      if (events_.empty()) {
        *status = status_;
        return nullptr;
      }
      event = std::move(events_.front());
      events_.pop_front();
      std::swap(resume, paused_);
    }
    if (resume) ReadNext();  // no read is under way while paused: reading_ is free
    return event;
  }
  // Ends the call and waits for gRPC to be done with it.
  void Stop() {
    context_.TryCancel();
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return done_; });
  }

  void OnReadInitialMetadataDone(bool ok) override {
    // An admitted stream's headers carry kStreamOpenHeader; a refused call's status comes alone
    // (its "headers" are empty, and its end follows).
    const bool open = ok && context_.GetServerInitialMetadata().count(kStreamOpenHeader) > 0;
    std::lock_guard lock(mutex_);
    begun_ = open;
    changed_.notify_all();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    bool more;
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(reading_));
      changed_.notify_all();
      more = events_.size() < kStreamBuffer;
      paused_ = !more;
    }
    if (more) ReadNext();  // outside the lock: gRPC may call OnReadDone inline
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard lock(mutex_);
    status_ = status;
    done_ = true;
    changed_.notify_all();
  }

 private:
  void ReadNext() {
    reading_.reset(prototype_->New());
    StartRead(reading_.get());
  }

  grpc::ClientContext context_;
  std::unique_ptr<Message> request_;
  const Message* prototype_;
  std::unique_ptr<Message> reading_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Message>> events_;
  bool begun_ = false, done_ = false, paused_ = false;
  grpc::Status status_;
};

// Whether an Accept header prefers server-sent events to JSON lines: media types compared without
// regard to case, each with its q-value (1 when not given); a tie goes to the events.
bool WantsEvents(const std::string& accept) {
  double events = 0, lines = 0;
  for (absl::string_view range : absl::StrSplit(accept, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(range, ';');
    const std::string type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string parameter = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[i]));
      if (absl::StartsWith(parameter, "q=") && !absl::SimpleAtod(parameter.substr(2), &q)) q = 0;
    }
    if (type == "text/event-stream") {
      events = std::max(events, q);
    } else if (type == "application/x-ndjson" || type == "application/json" ||
               type == "application/*" || type == "*/*") {
      lines = std::max(lines, q);
    }
  }
  return events > 0 && events >= lines;
}

}  // namespace

absl::StatusOr<std::vector<RestRoute>> RestRoutes(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  std::vector<RestRoute> routes;
  for (const auto* service : services)
    for (int m = 0; m < service->method_count(); ++m) {
      const MethodDescriptor* method = service->method(m);
      auto bad = [&](absl::string_view why) {
        return absl::InvalidArgumentError(absl::StrCat(method->full_name(), ": ", why));
      };
      auto rules = HttpRulesOf(*method);
      if (!rules.ok()) return rules.status();
      if (method->client_streaming() && !rules->empty()) return bad("streams from the client");
      for (HttpRuleBinding& rule : *rules) {
        const std::set<std::string> methods = {"GET", "PUT", "POST", "DELETE", "PATCH"};
        if (!methods.count(rule.http_method))
          return bad(absl::StrCat("HTTP method ", rule.http_method, " is not served"));
        const Descriptor* input = method->input_type();
        for (const std::string& variable : rule.path.Variables()) {
          const Descriptor* type = input;
          const FieldDescriptor* field = nullptr;
          for (absl::string_view step : absl::StrSplit(variable, '.')) {
            field = type == nullptr ? nullptr : type->FindFieldByName(std::string(step));
            if (field == nullptr || field->is_repeated())
              return bad(absl::StrCat("path variable ", variable, " is no singular field"));
            type = field->message_type();
          }
          if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING)
            return bad(absl::StrCat("path variable ", variable, " is not a text field"));
        }
        if (!rule.body.empty() && rule.body != "*" && input->FindFieldByName(rule.body) == nullptr)
          return bad(absl::StrCat("body ", rule.body, " is not a field"));
        if ((rule.http_method == "GET" || rule.http_method == "DELETE") && !rule.body.empty())
          return bad(absl::StrCat(rule.http_method, " takes no body"));
        if (!rule.response_body.empty()) return bad("response_body is not served");
        routes.push_back(
            {method, std::move(rule.http_method), std::move(rule.path), std::move(rule.body)});
      }
    }
  return routes;
}

RestGateway::RestGateway(std::vector<RestRoute> routes, int max_streams, HolderOf holder_of)
    : routes_(std::move(routes)),
      max_streams_(max_streams),
      holder_of_(std::move(holder_of)),
      answers_(kKeptAnswerJson, kKeptAnswerTurn) {
  std::stable_sort(routes_.begin(), routes_.end(), [](const RestRoute& a, const RestRoute& b) {
    return !a.path.verb().empty() && b.path.verb().empty();
  });
}

RestGateway::~RestGateway() { Stop(); }

void RestGateway::Stop() {
  std::lock_guard lock(open_mutex_);
  stopping_ = true;
  for (grpc::ClientContext* context : open_) context->TryCancel();
}

void RestGateway::Connect(std::shared_ptr<grpc::ChannelInterface> channel) {
  std::lock_guard lock(channel_mutex_);
  channel_ = std::move(channel);
}

ApiReply RestGateway::Handle(const ApiRequest& call) {
  // A header gRPC cannot carry (it would refuse the call, and abort the process doing it): only
  // visible ASCII and spaces, as HTTP/2 allows in a text header.
  if (!std::all_of(call.authorization.begin(), call.authorization.end(),
                   [](char c) { return c >= 0x20 && c <= 0x7e; }))
    return ErrorReply(NotAuthenticated("TOKEN_MALFORMED",
                                       "the Authorization header holds characters no token has"));
  if (!PercentDecode(call.path))
    return ErrorReply(InvalidField("path", "has a '%' that is not followed by two hex digits"));
  const RestRoute* route = nullptr;
  std::vector<std::pair<std::string, std::string>> bound;
  std::set<std::string> allowed;
  bool custom = false;  // a custom method's path (":approve"): no plain route may take it
  for (const RestRoute& candidate : routes_) {
    if (custom && candidate.path.verb().empty()) break;  // those with a verb come first
    auto match = candidate.path.Match(call.path);
    if (!match) continue;
    if (!candidate.path.verb().empty()) custom = true;
    if (candidate.http_method != call.method) {
      allowed.insert(candidate.http_method);
      continue;
    }
    route = &candidate;
    bound = std::move(*match);
    break;
  }
  if (route == nullptr && allowed.empty())
    return ErrorReply(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                   absl::StrCat("no REST route is ", call.method, " ", call.path,
                                                "; /openapi.json lists them")));
  if (route == nullptr) {
    if (allowed.count("GET")) allowed.insert("HEAD");  // the listener answers HEAD as GET
    ApiReply reply = ErrorReply(grpc::Status(
        grpc::StatusCode::UNIMPLEMENTED,
        absl::StrCat(call.path, " takes ", absl::StrJoin(allowed, ", "), ", not ", call.method)));
    reply.status = 405;
    reply.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    return reply;
  }
  std::shared_ptr<grpc::ChannelInterface> channel;
  {
    std::lock_guard lock(channel_mutex_);
    channel = channel_;
  }
  if (channel == nullptr)
    return ErrorReply(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is starting"));
  const Message* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(
      route->method->input_type());
  std::unique_ptr<Message> request(prototype->New());
  if (auto built = BuildRequest(*route, bound, call, request.get()); !built.ok())
    return ErrorReply(built);
  if (route->method->server_streaming())
    return Stream(*route, std::move(request), call, std::move(channel));

  // The answer stays in its bytes, written as JSON from them (not parsed into a message first).
  grpc::Slice request_bytes(request->SerializeAsString());
  grpc::ByteBuffer sent(&request_bytes, 1), answer;
  grpc::ClientContext context;
  PrepareContext(&context, call);
  context.set_deadline(std::chrono::system_clock::now() + kUnaryDeadline);
  grpc::GenericStub stub(channel);
  std::promise<grpc::Status> finished;
  stub.UnaryCall(&context, MethodPath(route->method), {}, &sent, &answer,
                 [&finished](grpc::Status status) { finished.set_value(std::move(status)); });
  const grpc::Status status = finished.get_future().get();
  if (!status.ok()) return ErrorReply(status);
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (answer.Dump(&slices).ok())
    for (const grpc::Slice& slice : slices)
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  // A read's entities are kept as JSON for the answers that follow; a write's answer is written
  // whole (it may carry what is shown once, such as a webhook's secret).
  const std::string& name = route->method->name();
  const bool read = absl::StartsWith(name, "Get") || absl::StartsWith(name, "List") ||
                    absl::StartsWith(name, "Search");
  const google::protobuf::Descriptor& type = *route->method->output_type();
  std::optional<std::string> json = read ? answers_.Write(type, bytes) : BytesToJson(type, bytes);
  if (!json)
    return ErrorReply(
        grpc::Status(grpc::StatusCode::INTERNAL, "the answer could not be written as JSON"));
  return {200, "application/json", *std::move(json), {}, {}};
}

ApiReply RestGateway::Stream(const RestRoute& route, std::unique_ptr<Message> request,
                             const ApiRequest& call,
                             std::shared_ptr<grpc::ChannelInterface> channel) {
  const Message* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(
      route.method->output_type());
  // Ends the call and gives its place back however the reply ends: streamed to its end, or
  // dropped by the listener unsent (the client went before the headers).
  struct Held {
    Held(RestGateway* gateway, std::unique_ptr<Message> request, const Message* prototype,
         std::shared_ptr<grpc::ChannelInterface> channel, std::string caller)
        : gateway(gateway),
          caller(std::move(caller)),
          stub(std::move(channel)),
          reader(std::move(request), prototype) {}
    ~Held() {
      reader.Stop();
      std::lock_guard lock(gateway->open_mutex_);
      gateway->open_.erase(reader.context());
      if (--gateway->per_caller_[caller] <= 0) gateway->per_caller_.erase(caller);
    }
    RestGateway* gateway;
    std::string caller;
    MessageStub stub;
    StreamReader reader;
  };
  auto refuse = [](std::string why) {
    ApiReply reply = ErrorReply(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, why));
    reply.headers.emplace_back("Retry-After", "5");
    return reply;
  };
  auto full = [&] {
    return refuse(absl::StrCat("this listener serves at most ", max_streams_,
                               " REST streams at once; try again later, or watch over gRPC"));
  };
  {
    // A full listener refuses before the holder is looked up (that reads the store).
    std::lock_guard lock(open_mutex_);
    if (static_cast<int>(open_.size()) >= max_streams_) return full();
  }
  // Who holds the place: the token's holder, or the token as the server reads it ("bearer X" is
  // "Bearer X"). Found outside the lock: it may read the store.
  const absl::string_view token = BearerToken(call.authorization).value_or(call.authorization);
  const std::string caller = holder_of_ ? holder_of_(token) : std::string(token);
  std::shared_ptr<Held> held;
  {
    std::lock_guard lock(open_mutex_);
    if (stopping_)
      return ErrorReply(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping"));
    // Each stream holds one of the listener's threads: only so many at once, and one caller may
    // hold at most half of them.
    const int caller_cap = std::max(1, max_streams_ / 2);
    if (auto held_by = per_caller_.find(caller);
        held_by != per_caller_.end() && held_by->second >= caller_cap)
      return refuse(absl::StrCat("one caller (an organisation) holds at most ", caller_cap,
                                 " of this listener's REST streams; end one, or watch over gRPC"));
    if (static_cast<int>(open_.size()) >= max_streams_) return full();
    ++per_caller_[caller];
    held = std::make_shared<Held>(this, std::move(request), prototype, std::move(channel), caller);
    open_.insert(held->reader.context());
  }
  PrepareContext(held->reader.context(), call);
  held->reader.Begin(&held->stub, MethodPath(route.method));
  held->reader.AwaitStart(std::chrono::steady_clock::now() + kStreamAdmission);
  grpc::Status refused;
  if (held->reader.EndedEmpty(&refused) && !refused.ok()) return ErrorReply(refused);
  const bool events = WantsEvents(call.accept);
  ApiReply reply{200, events ? "text/event-stream" : "application/x-ndjson", "", {}, {}};
  reply.headers.emplace_back("X-Accel-Buffering", "no");  // no proxy buffering of the events
  reply.stream = [held, events](const std::function<bool(const std::string&)>& write,
                                const std::function<bool()>& connected) {
    auto line = [&](const char* kind, const std::string& json) {
      if (events) return write(absl::StrCat("event: ", kind, "\ndata: ", json, "\n\n"));
      return write(absl::StrCat("{\"", kind, "\":", json, "}\n"));
    };
    auto quiet_since = std::chrono::steady_clock::now();
    while (true) {
      grpc::Status status;
      bool timed_out = false;
      auto event = held->reader.Next(kClientCheck, &status, &timed_out);
      if (event != nullptr) {
        if (!line("result", ToJson(*event))) return;
        quiet_since = std::chrono::steady_clock::now();
        continue;
      }
      if (timed_out) {
        if (!connected()) return;
        if (std::chrono::steady_clock::now() - quiet_since < kKeepAlive) continue;
        if (!write(events ? ":\n\n" : "\n")) return;
        quiet_since = std::chrono::steady_clock::now();
        continue;
      }
      if (!status.ok()) line("error", ToJson(StatusProto(status)));
      return;
    }
  };
  return reply;
}

}  // namespace infrashare::http
