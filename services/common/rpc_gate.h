// The gate every RPC passes: authenticate, apply the caller's rate limits, check the request
// against the API's limits, run the handler, map its absl::Status to a gRPC status, count and time
// it, and write one log line (method, status, duration, request id, caller org).
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/common/audit.h"
#include "services/common/auth.h"
#include "services/common/errors.h"
#include "services/common/metrics.h"
#include "services/common/rate_limit.h"
#include "services/common/request_limits.h"
#include "services/common/worker_pool.h"

namespace infrashare {

class RpcGate {
 public:
  // `limiter` and `audit` may be null: then no rate limits apply, and no audit trail is kept.
  RpcGate(TokenAuthority* tokens, Metrics* metrics, int worker_threads, RequestLimits limits = {},
          RateLimiter* limiter = nullptr, AuditLog* audit = nullptr)
      : tokens_(tokens),
        metrics_(metrics),
        limits_(limits),
        limiter_(limiter),
        audit_(audit),
        workers_(worker_threads) {}

  // Where modules register their own metrics.
  Metrics* metrics() const { return metrics_; }

  // `response` (optional) is read after the handler, for the audit trail: the id a call created.
  template <typename Handler>
  grpc::Status Run(grpc::ServerContextBase* context, absl::string_view method,
                   const google::protobuf::Message& request, Handler&& handler,
                   const google::protobuf::Message* response = nullptr) {
    const auto start = std::chrono::steady_clock::now();
    std::optional<Caller> who;
    absl::Status status;
    try {
      auto caller = Admit(*context, method, request, &who);
      status = caller.ok() ? handler(*caller) : caller.status();
    } catch (const std::exception& e) {
      status = absl::InternalError(std::string("unexpected: ") + e.what());
    }
    Finish(context, method, request, response, who, status, start);
    return ToGrpcStatus(status);
  }

  // A unary callback handler: runs the handler inline (its Redis calls are bounded by the command
  // timeout, and fail fast while Redis is down) and finishes the call.
  template <typename Handler>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, absl::string_view method,
                                  const google::protobuf::Message& request, Handler&& handler,
                                  const google::protobuf::Message* response = nullptr) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(Run(context, method, request, std::forward<Handler>(handler), response));
    return reactor;
  }

  // The same on the gate's worker threads, so that calls waiting on Redis do not hold gRPC's few
  // callback threads. The handler is copied: it must capture by value.
  template <typename Handler>
  grpc::ServerUnaryReactor* UnaryOnWorker(grpc::CallbackServerContext* context,
                                          absl::string_view method,
                                          const google::protobuf::Message& request, Handler handler,
                                          const google::protobuf::Message* response = nullptr) {
    auto* reactor = context->DefaultReactor();
    workers_.Post([this, reactor, context, method, &request, response,
                   handler = std::move(handler)]() mutable {
      reactor->Finish(Run(context, method, request, handler, response));
    });
    return reactor;
  }

  // A unary call that finishes later: `handler(caller, done)` calls `done(status)` exactly once,
  // from any thread (e.g. when its Redis reply arrives), so no thread waits for Redis.
  using Done = std::function<void(const absl::Status&)>;
  template <typename Handler>
  grpc::ServerUnaryReactor* UnaryAsync(grpc::CallbackServerContext* context,
                                       absl::string_view method,
                                       const google::protobuf::Message& request, Handler&& handler,
                                       const google::protobuf::Message* response = nullptr) {
    auto* reactor = context->DefaultReactor();
    const auto start = std::chrono::steady_clock::now();
    std::optional<Caller> who;
    auto caller = Admit(*context, method, request, &who);
    Done done = [this, reactor, context, method, &request, response, start,
                 who = std::move(who)](const absl::Status& status) {
      Finish(context, method, request, response, who, status, start);
      reactor->Finish(ToGrpcStatus(status));
    };
    if (!caller.ok()) {
      done(caller.status());
      return reactor;
    }
    // A handler throws, if at all, before it hands `done` on; then the call ends here.
    try {
      handler(*caller, done);
    } catch (const std::exception& e) {
      done(absl::InternalError(std::string("unexpected: ") + e.what()));
    }
    return reactor;
  }

  // A server stream: the caller once admitted, or the refusal (then already counted and logged).
  // When admitted, `*done` is to be called exactly once, when the stream ends: it counts the
  // stream and writes its log line.
  absl::StatusOr<Caller> AdmitStream(grpc::ServerContextBase* context, absl::string_view method,
                                     const google::protobuf::Message& request, Done* done) {
    const auto start = std::chrono::steady_clock::now();
    std::optional<Caller> who;
    auto caller = Admit(*context, method, request, &who);
    *done = [this, context, method, &request, start, who](const absl::Status& status) {
      Finish(context, method, request, nullptr, who, status, start);
    };
    if (!caller.ok()) (*done)(caller.status());
    return caller;
  }

  // Runs `task` on the gate's worker threads (blocking work that must not hold gRPC's threads).
  void Post(std::function<void()> task) { workers_.Post(std::move(task)); }

  // Whether the caller of a running call (a stream) still holds a valid token (a token store that
  // cannot be reached is no reason to end a stream).
  // OK while the call's token is still valid (or cannot be checked just now); else why not.
  absl::Status Readmit(const grpc::ServerContextBase& context) {
    auto caller = tokens_->Authenticate(context);
    if (caller.ok() || caller.status().code() != absl::StatusCode::kUnauthenticated)
      return absl::OkStatus();
    return caller.status();
  }

  // One of the caller's places for an open stream (held until the stream ends), or
  // RESOURCE_EXHAUSTED when it holds as many as it may.
  absl::StatusOr<std::unique_ptr<RateLimiter::StreamPlace>> OpenStream(const Caller& caller) {
    if (limiter_ == nullptr) return std::unique_ptr<RateLimiter::StreamPlace>();
    return limiter_->OpenStream(caller);
  }

 private:
  // The caller, once authenticated, within its rate limits and its request within the API's limits.
  // `who` is set once the token is known, also when the call is then refused.
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& context, absl::string_view method,
                               const google::protobuf::Message& request,
                               std::optional<Caller>* who);
  // Counts, logs and, for a call that changes something, audits the call.
  void Finish(grpc::ServerContextBase* context, absl::string_view method,
              const google::protobuf::Message& request, const google::protobuf::Message* response,
              const std::optional<Caller>& who, const absl::Status& status,
              std::chrono::steady_clock::time_point start);

  TokenAuthority* tokens_;
  Metrics* metrics_;
  RequestLimits limits_;
  RateLimiter* limiter_;
  AuditLog* audit_;
  WorkerPool workers_;
};

}  // namespace infrashare

namespace infrashare {

// Moves a handler's result into the gRPC response.
template <typename T>
absl::Status Respond(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return result.status();
  *response = std::move(*result);
  return absl::OkStatus();
}

}  // namespace infrashare
