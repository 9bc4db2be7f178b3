// The one machinery behind every Watch*/Stream* call: Redis streams followed with blocking reads
// (XREAD BLOCK), one connection per followed stream key, shared by all the calls that follow it
// (fan-out), catch-up from an old cursor in bounded XRANGE batches on the gate's worker threads,
// and writes through gRPC's callback reactor, one in flight per call. No call holds a thread of
// its own: threads are one reader (it waits on every key's connection at once with poll()), one
// timer that checks every open call's token about once a second, and the gate's workers
// (docs/DECISIONS.md).
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/errors.h"
#include "services/common/redis.h"
#include "services/common/rpc_gate.h"
#include "services/common/stream_ids.h"

namespace infrashare {

class StreamFollower;

// What a call follows: the Redis streams, and the family its cursors carry (stream_ids.h).
struct StreamPlan {
  std::string family;
  std::vector<std::string> keys;
};

// The response header an admitted stream begins with (before its first event): a client that sees
// it knows the stream is open, one whose call was refused gets the status alone. The REST gateway
// answers a refused watch with its own HTTP status that way.
inline constexpr char kStreamOpenHeader[] = "x-infrashare-stream";

// One open call as the follower sees it; WatchCall<Message> below adds the typed writing.
class FollowedCall : public std::enable_shared_from_this<FollowedCall> {
 public:
  virtual ~FollowedCall() = default;

 protected:
  FollowedCall(StreamFollower* follower, grpc::CallbackServerContext* context, std::string method,
               const google::protobuf::Message& request, std::string cursor);

  // Starts the call on a worker: admits the caller, then opens the stream.
  void Begin();
  void OnWriteDoneImpl(bool ok);
  void OnCancelImpl();
  void OnDoneImpl();

  // The typed part: checks the caller may follow this at all (the stream then ends with the error)
  // and fixes the plan; converts an entry of keys[key] into the message for this caller, or null
  // when the caller is not to see it.
  virtual absl::StatusOr<StreamPlan> Open(const Caller& caller) = 0;
  virtual absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Convert(
      size_t key, const StreamEntry& entry) = 0;
  virtual void SetCursor(google::protobuf::Message* message, const std::string& cursor) = 0;
  virtual void Send(const google::protobuf::Message& message) = 0;
  // Sends the response headers, with kStreamOpenHeader: the call was admitted and is open.
  virtual void SendHeaders() = 0;
  virtual void Close(const grpc::Status& status) = 0;

 private:
  friend class StreamFollower;
  using Batch = std::shared_ptr<const std::vector<StreamEntry>>;

  absl::Status Start(const Caller& caller);
  // Hands the `number`-th batch read from keys[key] to a call that follows live, and delivers it
  // on the calling thread unless a Pump of the call is already under way. Batches of one key are
  // delivered in the order they were read, whatever order the workers offer them in.
  void Offer(size_t key, uint64_t number, Batch batch);
  // Runs on a worker, one at a time per call: converts what was offered, catches up.
  void Schedule();
  void Pump();
  // Converts the entries after this call's position in keys[key] and queues the messages; a
  // live delivery that overfills the queue ends the call (the client is too slow).
  absl::Status Deliver(size_t key, const std::vector<StreamEntry>& entries, bool live);
  absl::Status CatchUp();
  void WriteNext();
  void End(const absl::Status& status);
  absl::Status Readmit();  // OK while the call's token is still valid

  StreamFollower* follower_;
  grpc::CallbackServerContext* context_;
  std::string method_;
  const google::protobuf::Message& request_;  // gRPC keeps it until the call is done
  std::string cursor_;                        // as the request gave it
  RpcGate::Done done_;                        // counts and logs the call once it ends
  std::unique_ptr<RateLimiter::StreamPlace> place_;
  StreamPlan plan_;
  // Only the running Pump (or Start, before the call is attached) touches these.
  std::vector<std::string> positions_;  // one per key: the last entry handled
  std::shared_ptr<FollowedCall> self_;  // released when gRPC is done with the call

  std::mutex mutex_;
  struct Offered {
    size_t key;
    uint64_t number;
    Batch batch;
  };
  std::vector<Offered> offered_;
  std::vector<uint64_t> next_batch_;  // per key: the number of the batch to deliver next
  std::deque<std::unique_ptr<google::protobuf::Message>> outbox_;
  std::unique_ptr<google::protobuf::Message> in_flight_;
  bool scheduled_ = false;  // a Pump is queued or running
  bool writing_ = false;
  bool ended_ = false;
  bool closed_ = false;
  std::atomic<bool> live_{false};  // caught up: the readers offer it every new entry
  absl::Status final_;
  std::mutex context_mutex_;  // the token check reads the context; it is gone after OnDone
  bool context_gone_ = false;
};

// The follower of one service module: readers, the token timer and the registry of open calls.
class StreamFollower {
 public:
  struct Options {
    int catch_up_batch = 200;  // entries read per key per XRANGE while catching up
    int queue_limit = 1000;    // messages waiting for a slow client before its call ends
    int block_ms = 1000;       // XREAD BLOCK; also how soon a reader sees Stop
    int fan_out_chunk = 256;   // live calls one worker task delivers a batch to
  };
  StreamFollower(RedisPool* redis, RpcGate* gate, Options options);
  StreamFollower(RedisPool* redis, RpcGate* gate) : StreamFollower(redis, gate, Options()) {}
  ~StreamFollower();
  StreamFollower(const StreamFollower&) = delete;
  StreamFollower& operator=(const StreamFollower&) = delete;

  // Ends every open call with UNAVAILABLE ("resume from the last cursor") and refuses new ones.
  void Stop();
  int open_calls() const;
  int followed_keys() const;

 private:
  friend class FollowedCall;
  struct Reader;

  // Registers a call that has its positions; it starts catching up (or is live at once).
  absl::Status Attach(const std::shared_ptr<FollowedCall>& call);
  void Detach(FollowedCall* call);
  // Whether the call has reached every reader's position; then it is live from now on. If not,
  // `tails` gets the readers' positions.
  bool TryGoLive(FollowedCall* call, std::vector<std::string>* tails);
  // The reader thread: one blocking XREAD in flight per followed key, all waited on with poll().
  void ReadAll();
  // Hands a batch read from `reader`'s key to the calls that follow it live.
  void FanOut(Reader* reader, const RedisValue& reply);
  void Wake();  // the reader thread: a key to follow, or Stop
  void CheckTokens();

  RedisPool* redis_;
  RpcGate* gate_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
  std::set<FollowedCall*> calls_;
  std::map<std::string, std::unique_ptr<Reader>> readers_;  // never removed while running
  int wake_fd_ = -1;                                        // an eventfd
  std::thread reader_;
  std::thread timer_;
};

// A server-streaming call fed by a StreamFollower. `open` runs once the caller is admitted:
// it checks what the caller may follow and returns the plan and the converter.
template <typename Message>
class WatchCall final : public grpc::ServerWriteReactor<Message>, public FollowedCall {
 public:
  // Null: not for this caller.
  using Converter =
      std::function<absl::StatusOr<std::optional<Message>>(size_t key, const StreamEntry&)>;
  struct Opened {
    StreamPlan plan;
    Converter convert;
  };
  using Opener = std::function<absl::StatusOr<Opened>(const Caller&)>;

  static WatchCall* Start(StreamFollower* follower, grpc::CallbackServerContext* context,
                          std::string method, const google::protobuf::Message& request,
                          std::string cursor, Opener open) {
    auto* call = new WatchCall(follower, context, std::move(method), request, std::move(cursor),
                               std::move(open));
    call->Begin();
    return call;
  }

  void OnWriteDone(bool ok) override { OnWriteDoneImpl(ok); }
  void OnCancel() override { OnCancelImpl(); }
  void OnDone() override { OnDoneImpl(); }

 private:
  WatchCall(StreamFollower* follower, grpc::CallbackServerContext* context, std::string method,
            const google::protobuf::Message& request, std::string cursor, Opener open)
      : FollowedCall(follower, context, std::move(method), request, std::move(cursor)),
        open_(std::move(open)) {}

  absl::StatusOr<StreamPlan> Open(const Caller& caller) override {
    auto opened = open_(caller);
    if (!opened.ok()) return opened.status();
    convert_ = std::move(opened->convert);
    return std::move(opened->plan);
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Convert(
      size_t key, const StreamEntry& entry) override {
    auto message = convert_(key, entry);
    if (!message.ok()) return message.status();
    if (!message->has_value()) return nullptr;
    return std::make_unique<Message>(std::move(**message));
  }
  void SetCursor(google::protobuf::Message* message, const std::string& cursor) override {
    static_cast<Message*>(message)->set_cursor(cursor);
  }
  void Send(const google::protobuf::Message& message) override {
    this->StartWrite(static_cast<const Message*>(&message));
  }
  void SendHeaders() override { this->StartSendInitialMetadata(); }
  void OnSendInitialMetadataDone(bool ok) override { OnWriteDoneImpl(ok); }
  void Close(const grpc::Status& status) override { this->Finish(status); }

  Opener open_;
  Converter convert_;
};

}  // namespace infrashare
