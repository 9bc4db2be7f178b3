#include "infrashare_client/client.h"

#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace infrashare::client {
namespace {}  // namespace

std::optional<std::string> CleanToken(std::string token) {
  auto space = [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!token.empty() && space(token.back())) token.pop_back();
  size_t start = 0;
  while (start < token.size() && space(token[start])) ++start;
  token.erase(0, start);
  if (token.size() > 7 && absl::EqualsIgnoreCase(token.substr(0, 7), "bearer ")) {
    token.erase(0, 7);
    while (!token.empty() && space(token.front())) token.erase(0, 1);
  }
  for (unsigned char c : token)
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  return token;
}

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {
  // A token no header can carry (gRPC would abort the process on it) is left out: TOKEN_MISSING.
  options_.token = CleanToken(std::move(options_.token)).value_or("");
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options_.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options_.ca_file.empty()) ssl.pem_root_certs = ReadFile(options_.ca_file);
    if (!options_.cert_file.empty()) ssl.pem_cert_chain = ReadFile(options_.cert_file);
    if (!options_.key_file.empty()) ssl.pem_private_key = ReadFile(options_.key_file);
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  channel_ = grpc::CreateCustomChannel(options_.server, credentials, args);
  registry_ = registry::v1::RegistryService::NewStub(channel_);
  tokens_ = auth::v1::TokenService::NewStub(channel_);
  scheduler_ = scheduler::v1::SchedulerService::NewStub(channel_);
  desk_ = desk::v1::DeskService::NewStub(channel_);
  privacy_ = privacy::v1::PrivacyService::NewStub(channel_);
  programme_ = programme::v1::ProgrammeService::NewStub(channel_);
  impact_ = impact::v1::ImpactService::NewStub(channel_);
  webhooks_ = webhook::v1::WebhookService::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Client::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
  context->set_deadline(std::chrono::system_clock::now() + options_.deadline);
  return context;
}

std::string Client::NewRequestId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "cli-";
  for (int i = 0; i < 24; ++i) id += kHex[rng() % 16];
  return id;
}

void Client::FillRequestId(google::protobuf::Message* request) {
  const auto* field = request->GetDescriptor()->FindFieldByName("request_id");
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) return;
  const auto* reflection = request->GetReflection();
  if (reflection->GetString(*request, field).empty())
    reflection->SetString(request, field, NewRequestId());
}

std::string ErrorField(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.type_url() == "type.googleapis.com/google.rpc.BadRequest" &&
        bad.ParseFromString(any.value()) && bad.field_violations_size() > 0)
      return bad.field_violations(0).field();
  }
  return "";
}

namespace {

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.type_url() == "type.googleapis.com/google.rpc.ErrorInfo" &&
        info.ParseFromString(any.value()))
      return info;
  }
  return std::nullopt;
}

}  // namespace

std::string ErrorReason(const grpc::Status& status) {
  auto info = ErrorInfoOf(status);
  return info ? info->reason() : "";
}

std::string ErrorMetadata(const grpc::Status& status, const std::string& key) {
  auto info = ErrorInfoOf(status);
  if (!info) return "";
  auto it = info->metadata().find(key);
  return it == info->metadata().end() ? "" : it->second;
}

std::optional<scheduler::v1::RotationCommitUndoReport> UndoReport(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const auto& any : details.details()) {
    scheduler::v1::RotationCommitUndoReport report;
    if (any.type_url() == "type.googleapis.com/infrashare.scheduler.v1.RotationCommitUndoReport" &&
        report.ParseFromString(any.value()))
      return report;
  }
  return std::nullopt;
}

std::string DescribeError(const grpc::Status& status) {
  std::string line = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  // The reason only when it says more than the status ("NOT_FOUND", not "NOT_FOUND (NOT_FOUND)").
  if (std::string reason = ErrorReason(status); !reason.empty() && reason != line)
    line += " (" + reason + ")";
  // gRPC's own text of a channel that cannot connect names a second status ("failed to connect to
  // all addresses; last error: UNKNOWN: ipv4:..."): the status is named once.
  line += ": " +
          absl::StrReplaceAll(status.error_message(), {{"last error: UNKNOWN: ", "last error: "}});
  return line;
}

}  // namespace infrashare::client
