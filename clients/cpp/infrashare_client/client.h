// The C++ client for infrashare: one channel (plaintext or TLS), the caller's token on every call,
// a deadline per call, retries of calls that are safe to repeat (reads, and writes that carry a
// request_id, which the client fills in when the request has none), and a page iterator.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/desk/v1/desk.grpc.pb.h"
#include "infrashare/impact/v1/impact.grpc.pb.h"
#include "infrashare/privacy/v1/privacy.grpc.pb.h"
#include "infrashare/programme/v1/programme.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "infrashare/webhook/v1/webhook.grpc.pb.h"

namespace infrashare::client {

struct ClientOptions {
  std::string server = "127.0.0.1:50051";
  std::string token;  // white space around it and a leading "Bearer " are dropped
  bool tls = false;
  std::string ca_file;    // TLS: trust these roots instead of the system's
  std::string cert_file;  // TLS: present this client certificate chain (mutual TLS) ...
  std::string key_file;   // ... with this private key
  std::chrono::milliseconds deadline{10000};
  int max_attempts = 4;  // retries on UNAVAILABLE with exponential backoff
};

class Client {
 public:
  explicit Client(ClientOptions options);

  registry::v1::RegistryService::Stub& registry() { return *registry_; }
  auth::v1::TokenService::Stub& tokens() { return *tokens_; }
  scheduler::v1::SchedulerService::Stub& scheduler() { return *scheduler_; }
  desk::v1::DeskService::Stub& desk() { return *desk_; }
  privacy::v1::PrivacyService::Stub& privacy() { return *privacy_; }
  programme::v1::ProgrammeService::Stub& programme() { return *programme_; }
  impact::v1::ImpactService::Stub& impact() { return *impact_; }
  webhook::v1::WebhookService::Stub& webhooks() { return *webhooks_; }
  const ClientOptions& options() const { return options_; }

  // A context with the token and the deadline.
  std::unique_ptr<grpc::ClientContext> Context() const;

  // Calls a unary method; fills an empty `request_id` so retries are safe, and retries while the
  // server is UNAVAILABLE.
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    Request request, Response* response) const {
    FillRequestId(&request);
    grpc::Status status;
    auto backoff = std::chrono::milliseconds(100);
    for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
      auto context = Context();
      status = (stub.*method)(context.get(), request, response);
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
      if (attempt < options_.max_attempts) std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    return status;
  }

  // Walks every page of a List/Search call: `visit` sees each response; stops at the last page
  // or at the first error. `visit` is any callable taking `const Response&` (a lambda too).
  template <typename Stub, typename Request, typename Response, typename Visit>
  grpc::Status ForEachPage(Stub& stub,
                           grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                        Response*),
                           Request request, const Visit& visit) const {
    while (true) {
      Response response;
      grpc::Status status = Call(stub, method, request, &response);
      if (!status.ok()) return status;
      visit(response);
      if (response.next_page_token().empty()) return status;
      request.set_page_token(response.next_page_token());
    }
  }

  static std::string NewRequestId();

 private:
  static void FillRequestId(google::protobuf::Message* request);

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<registry::v1::RegistryService::Stub> registry_;
  std::unique_ptr<auth::v1::TokenService::Stub> tokens_;
  std::unique_ptr<scheduler::v1::SchedulerService::Stub> scheduler_;
  std::unique_ptr<desk::v1::DeskService::Stub> desk_;
  std::unique_ptr<privacy::v1::PrivacyService::Stub> privacy_;
  std::unique_ptr<programme::v1::ProgrammeService::Stub> programme_;
  std::unique_ptr<impact::v1::ImpactService::Stub> impact_;
  std::unique_ptr<webhook::v1::WebhookService::Stub> webhooks_;
};

// A token as people paste it, ready for the authorization header: white space around it (a Windows
// line end from a token file, a Kubernetes secret's newline) and a leading "Bearer " dropped;
// nullopt when what is left holds anything but visible ASCII, which no HTTP/2 header may carry.
std::optional<std::string> CleanToken(std::string token);

// One line for a person: "NOT_FOUND: resource 'x' not found", with the bad field when there is one.
std::string DescribeError(const grpc::Status& status);
// The field named by the error's google.rpc.BadRequest, "" when none.
std::string ErrorField(const grpc::Status& status);
// The machine-readable reason of the error's google.rpc.ErrorInfo (e.g. "SLOT_TAKEN"), "" when
// none.
std::string ErrorReason(const grpc::Status& status);
// A value of the error's google.rpc.ErrorInfo metadata (e.g. "field"), "" when none.
std::string ErrorMetadata(const grpc::Status& status, const std::string& key);
// What a failed CommitRotationPlan could not undo, when the error carries that; nullopt otherwise.
std::optional<scheduler::v1::RotationCommitUndoReport> UndoReport(const grpc::Status& status);

}  // namespace infrashare::client
