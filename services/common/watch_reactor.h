// A server-streaming call that follows a change log: it runs on a thread of its own, because it
// blocks on the log between changes, which must not happen on gRPC's callback threads. One write
// is in flight at a time. The body authenticates through the gate like every other call.
#pragma once

#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "services/common/rpc_gate.h"

namespace infrashare {

template <typename Message>
class WatchReactor final : public grpc::ServerWriteReactor<Message> {
 public:
  // Writes one message; false when the watcher went away or the server is stopping.
  using Write = std::function<bool(const Message&)>;
  // Runs until the watch ends: returns the status to finish with.
  using Body = std::function<absl::Status(const Caller&, const Write& write,
                                          const std::function<bool()>& stopped)>;

  static WatchReactor* Start(RpcGate* gate, grpc::CallbackServerContext* context,
                             std::string method, const google::protobuf::Message& request,
                             const std::atomic<bool>* stopping, Body body) {
    return new WatchReactor(gate, context, std::move(method), request, stopping, std::move(body));
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mutex_);
    writing_ = false;
    failed_ = failed_ || !ok;
    changed_.notify_all();
  }
  void OnCancel() override {
    std::lock_guard lock(mutex_);
    failed_ = true;
    changed_.notify_all();
  }
  void OnDone() override {
    thread_.join();
    delete this;
  }

 private:
  WatchReactor(RpcGate* gate, grpc::CallbackServerContext* context, std::string method,
               const google::protobuf::Message& request, const std::atomic<bool>* stopping,
               Body body)
      : gate_(gate),
        context_(context),
        method_(std::move(method)),
        request_(request),
        stopping_(stopping),
        body_(std::move(body)) {
    thread_ = std::thread([this] { Run(); });
  }

  bool WriteOne(const Message& message) {
    {
      std::lock_guard lock(mutex_);
      if (failed_) return false;
      message_ = message;
      writing_ = true;
    }
    this->StartWrite(&message_);  // outside the lock: gRPC may call OnWriteDone inline
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !writing_ || failed_; });
    return !failed_;
  }

  bool Stopped() {
    {
      std::lock_guard lock(mutex_);
      if (failed_ || stopping_->load()) return true;
    }
    return !StillAdmitted();
  }

  // A stream lives as long as its caller may: the token is checked again every second (a revoked
  // or expired token loses its streams within that and the token cache's lifetime).
  bool StillAdmitted() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_check_) return true;
    next_check_ = now + std::chrono::seconds(1);
    revoked_ = revoked_ || !gate_->StillAdmitted(*context_);
    return !revoked_;
  }

  void Run() {
    grpc::Status status = gate_->Run(context_, method_, request_, [&](const Caller& caller) {
      auto place = gate_->OpenStream(caller);  // held until the stream ends
      if (!place.ok()) return place.status();
      next_check_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      absl::Status ended = body_(
          caller, [this](const Message& m) { return WriteOne(m); }, [this] { return Stopped(); });
      if (revoked_) return NotAuthenticated("the token was revoked or has expired");
      // A client reconnects on UNAVAILABLE and resumes from its last cursor on another replica.
      if (stopping_->load())
        return StoreUnavailable("the server is shutting down; resume from the last cursor");
      return ended;
    });
    this->Finish(status);
  }

  RpcGate* gate_;
  grpc::CallbackServerContext* context_;
  std::string method_;
  const google::protobuf::Message& request_;  // gRPC keeps it until the call is done
  const std::atomic<bool>* stopping_;
  Body body_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool writing_ = false;
  bool failed_ = false;
  bool revoked_ = false;  // only the stream's own thread touches these
  std::chrono::steady_clock::time_point next_check_;
  Message message_;
  std::thread thread_;
};

}  // namespace infrashare
