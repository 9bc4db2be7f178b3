#include "tests/support/rest_call.h"

#include <arpa/inet.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/rpc/status.pb.h"

namespace infrashare::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::unique_ptr<Message> New(const Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

std::string Json(const Message& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

// Everything but RFC 3986's unreserved characters escaped (and '/' too unless `keep_slash`).
std::string Escape(const std::string& text, bool keep_slash = false) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::StrFormat("%02X", c));
    }
  }
  return out;
}

// The value of a dotted field path, "" when a step is unset.
std::string TextAt(const Message& message, const std::string& path) {
  const Message* at = &message;
  std::vector<std::string> steps = absl::StrSplit(path, '.');
  for (size_t i = 0; i < steps.size(); ++i) {
    const FieldDescriptor* field = at->GetDescriptor()->FindFieldByName(steps[i]);
    if (field == nullptr) return "";
    if (i + 1 == steps.size()) return at->GetReflection()->GetString(*at, field);
    at = &at->GetReflection()->GetMessage(*at, field);
  }
  return "";
}

void ClearAt(Message* message, const std::string& path) {
  std::vector<std::string> steps = absl::StrSplit(path, '.');
  for (size_t i = 0; i < steps.size(); ++i) {
    const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(steps[i]);
    if (field == nullptr) return;
    if (i + 1 == steps.size()) return message->GetReflection()->ClearField(message, field);
    message = message->GetReflection()->MutableMessage(message, field);
  }
}

bool IsWrapper(const Descriptor* type) {
  return type->file()->name() == "google/protobuf/wrappers.proto";
}

// One value of a field as query text.
std::string ValueText(const Message& message, const FieldDescriptor* field, int index) {
  const Reflection* r = message.GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string value =
          rep ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
      return field->type() == FieldDescriptor::TYPE_BYTES ? absl::Base64Escape(value) : value;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(message, field, index)
                              : r->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(message, field, index)
                              : r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(message, field, index)
                              : r->GetUInt32(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(message, field, index)
                              : r->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(message, field, index)
                              : r->GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(message, field, index)
                              : r->GetFloat(message, field));
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field))->name();
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& value =
          rep ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field);
      if (IsWrapper(field->message_type()))
        return ValueText(value, field->message_type()->field(0), 0);
      const std::string json = Json(value);  // Timestamp, Duration, FieldMask: a JSON string
      return json.size() >= 2 && json.front() == '"' ? json.substr(1, json.size() - 2) : json;
    }
  }
  return "";
}

bool IsText(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask" || IsWrapper(type);
}

// Every set field of `message` as query parameters under `prefix`; false when one cannot be
// (a repeated message or a map).
bool Flatten(const Message& message, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>* out) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name = prefix + field->name();
    const bool message_field = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (message_field && !IsText(field->message_type())) {
      if (field->is_repeated()) return false;
      if (!Flatten(message.GetReflection()->GetMessage(message, field), name + ".", out))
        return false;
      continue;
    }
    const int count = field->is_repeated() ? message.GetReflection()->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) out->emplace_back(name, ValueText(message, field, i));
  }
  return true;
}

}  // namespace

RestRequest ToRest(const google::protobuf::MethodDescriptor* method, const std::string& request) {
  RestRequest out;
  const auto& rule = method->options().GetExtension(google::api::http);
  std::string path;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      out.method = "GET", path = rule.get();
      break;
    case google::api::HttpRule::kPost:
      out.method = "POST", path = rule.post();
      break;
    case google::api::HttpRule::kPut:
      out.method = "PUT", path = rule.put();
      break;
    case google::api::HttpRule::kPatch:
      out.method = "PATCH", path = rule.patch();
      break;
    case google::api::HttpRule::kDelete:
      out.method = "DELETE", path = rule.delete_();
      break;
    default:
      return out;
  }
  auto message = New(method->input_type());
  if (!message->ParseFromString(request)) return out;
  // The path, each {variable} (or {variable=pattern}) replaced by its field's value.
  std::string target;
  std::vector<std::string> bound;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '{') {
      target += path[i];
      continue;
    }
    const size_t close = path.find('}', i);
    const std::string inside = path.substr(i + 1, close - i - 1);
    const std::string field = inside.substr(0, inside.find('='));
    const std::string value = TextAt(*message, field);
    if (value.empty()) return out;  // no URL carries an empty segment
    target += Escape(value, inside.find('=') != std::string::npos);
    bound.push_back(field);
    i = close;
  }
  const std::string& body = rule.body();
  auto rest = New(method->input_type());
  rest->CopyFrom(*message);
  if (body == "*") {
    out.body = Json(*message);
  } else {
    for (const std::string& field : bound) ClearAt(rest.get(), field);
    if (!body.empty()) {
      const FieldDescriptor* field = method->input_type()->FindFieldByName(body);
      auto whole = nlohmann::json::parse(Json(*message));
      out.body = whole.contains(field->json_name()) ? whole[field->json_name()].dump() : "{}";
      rest->GetReflection()->ClearField(rest.get(), field);
    }
    std::vector<std::pair<std::string, std::string>> query;
    if (!Flatten(*rest, "", &query)) return out;
    for (size_t i = 0; i < query.size(); ++i)
      absl::StrAppend(&target, i == 0 ? "?" : "&", Escape(query[i].first), "=",
                      Escape(query[i].second));
  }
  out.target = std::move(target);
  return out;
}

grpc::Status StatusFromJson(const std::string& json) {
  google::rpc::Status status;
  if (!google::protobuf::util::JsonStringToMessage(json, &status).ok())
    return grpc::Status(grpc::StatusCode::UNKNOWN, "not a google.rpc.Status: " + json);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message(),
                      status.details_size() > 0 ? status.SerializeAsString() : "");
}

HttpAnswer SendHttp(int http_port, const std::string& method, const std::string& target,
                    const std::string& body,
                    const std::multimap<std::string, std::string>& headers) {
  httplib::Client client("127.0.0.1", http_port);
  client.set_read_timeout(30, 0);
  httplib::Request request;
  request.method = method;
  request.path = target;
  request.body = body;
  for (const auto& [name, value] : headers) request.headers.emplace(name, value);
  if (!body.empty() && !request.has_header("Content-Type"))
    request.headers.emplace("Content-Type", "application/json");
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  HttpAnswer answer;
  if (!client.send(request, response, error)) return answer;
  answer.status = response.status;
  answer.body = response.body;
  answer.headers.insert(response.headers.begin(), response.headers.end());
  return answer;
}

std::string SendRawHttp(int http_port, const std::string& bytes) {
  return SendRawHttp(http_port, std::vector<std::string>{bytes});
}

std::string SendRawHttp(int http_port, const std::vector<std::string>& parts) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(http_port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  bool sent = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  for (size_t i = 0; sent && i < parts.size(); ++i) {
    // Apart, so that the server reads each part on its own (not a bound on anything).
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sent = send(fd, parts[i].data(), parts[i].size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(parts[i].size());
  }
  if (sent) {
    char buffer[4096];
    for (ssize_t got; (got = recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, got);
  }
  close(fd);
  return answer;
}

namespace {

// The answer `json` as one more message of `reply`; false when it is not `method`'s answer.
bool AddMessage(const google::protobuf::MethodDescriptor* method, const std::string& json,
                RawReply* reply) {
  auto message = New(method->output_type());
  if (!google::protobuf::util::JsonStringToMessage(json, message.get()).ok()) return false;
  reply->messages.push_back(message->SerializeAsString());
  return true;
}

// One REST stream: its lines as messages until the deadline, or its refusal.
RawReply StreamRest(int http_port, const google::protobuf::MethodDescriptor* method,
                    const RestRequest& rest, const std::multimap<std::string, std::string>& sent,
                    std::chrono::milliseconds deadline) {
  RawReply reply;
  httplib::Client client("127.0.0.1", http_port);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(deadline);
  client.set_read_timeout(
      seconds.count(),
      std::chrono::duration_cast<std::chrono::microseconds>(deadline - seconds).count());
  httplib::Headers http_headers(sent.begin(), sent.end());
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::string pending, whole;
  int status = 0;
  bool ended = false;
  auto result = client.Get(
      rest.target, http_headers,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, size_t length) {
        whole.append(data, length);
        if (status != 200) return true;
        pending.append(data, length);
        for (size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
          const std::string line = pending.substr(0, newline);
          pending.erase(0, newline + 1);
          if (line.empty()) continue;  // a keep-alive
          auto parsed = nlohmann::json::parse(line, nullptr, false);
          if (parsed.is_object() && parsed.contains("result")) {
            if (!AddMessage(method, parsed["result"].dump(), &reply)) return false;
          } else if (parsed.is_object() && parsed.contains("error")) {
            reply.status = StatusFromJson(parsed["error"].dump());
            ended = true;
          } else {
            reply.status = grpc::Status(grpc::StatusCode::UNKNOWN, "not a stream line: " + line);
            ended = true;
            return false;
          }
        }
        return std::chrono::steady_clock::now() < until;
      });
  if (status != 0 && status != 200) {
    reply.status = StatusFromJson(whole);
  } else if (!ended && (!result || std::chrono::steady_clock::now() >= until)) {
    reply.status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
  }
  return reply;
}

}  // namespace

RawReply CallRest(int http_port, const google::protobuf::MethodDescriptor* method,
                  const std::string& authorization, const std::string& request,
                  std::chrono::milliseconds deadline,
                  const std::multimap<std::string, std::string>& headers) {
  RawReply reply;
  const RestRequest rest = ToRest(method, request);
  if (rest.target.empty()) {
    reply.status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                "no URL carries this request (an empty path field, or a repeated "
                                "message or map in a query)");
    return reply;
  }
  std::multimap<std::string, std::string> sent = headers;
  if (!authorization.empty()) sent.emplace("Authorization", authorization);
  if (!method->server_streaming()) {
    const HttpAnswer answer = SendHttp(http_port, rest.method, rest.target, rest.body, sent);
    if (answer.status == 0) {
      reply.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "no HTTP answer");
    } else if (answer.status == 200) {
      if (!AddMessage(method, answer.body, &reply))
        reply.status = grpc::Status(grpc::StatusCode::UNKNOWN, "unparsable: " + answer.body);
    } else {
      reply.status = StatusFromJson(answer.body);
    }
    return reply;
  }
  // A stream refused because this caller's places are taken (the listener frees a place within
  // a second of its client going; a caller that calls again at once meets its last stream)
  // is tried again, as Retry-After asks, a bounded number of times.
  for (int attempt = 1;; ++attempt) {
    reply = StreamRest(http_port, method, rest, sent, deadline);
    if (attempt == 30 || reply.status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED ||
        !absl::StrContains(reply.status.error_message(), "REST streams"))
      return reply;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace infrashare::testing
