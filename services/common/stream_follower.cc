#include "services/common/stream_follower.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "services/common/logging.h"

namespace infrashare {

// ---- one call ----------------------------------------------------------------------------------

FollowedCall::FollowedCall(StreamFollower* follower, grpc::CallbackServerContext* context,
                           std::string method, const google::protobuf::Message& request,
                           std::string cursor)
    : follower_(follower),
      context_(context),
      method_(std::move(method)),
      request_(request),
      cursor_(std::move(cursor)) {}

void FollowedCall::Begin() {
  self_ = std::shared_ptr<FollowedCall>(this);
  // Admission may wait on Redis (the token, the rate limits): not on gRPC's callback thread.
  follower_->gate_->Post([self = self_] {
    RpcGate::Done done;
    absl::StatusOr<Caller> caller;
    {
      // A call cancelled while this task waited may be gone already, with its context.
      std::lock_guard context_lock(self->context_mutex_);
      if (self->context_gone_) return;
      caller =
          self->follower_->gate_->AdmitStream(self->context_, self->method_, self->request_, &done);
      if (caller.ok()) {
        std::lock_guard lock(self->mutex_);
        if (self->ended_) {
          done(self->final_);  // cancelled while being admitted
          return;
        }
        self->done_ = std::move(done);
      }
    }
    if (!caller.ok()) return self->End(caller.status());  // counted and logged already
    if (auto status = self->Start(*caller); !status.ok()) self->End(status);
  });
}

absl::Status FollowedCall::Start(const Caller& caller) {
  auto place = follower_->gate_->OpenStream(caller);  // held until the call is gone
  if (!place.ok()) return place.status();
  place_ = std::move(*place);
  auto plan = Open(caller);
  if (!plan.ok()) return plan.status();
  plan_ = std::move(*plan);
  RedisPool& redis = *follower_->redis_;
  if (cursor_.empty()) {
    auto latest = LatestStreamIds(redis, plan_.keys);
    if (!latest.ok()) return latest.status();
    positions_ = std::move(*latest);
  } else {
    auto ids = DecodeStreamCursor(plan_.family, cursor_, plan_.keys.size());
    if (!ids) return InvalidField("cursor", "is not a cursor this server issued");
    auto positions = CheckStreamPositions(redis, plan_.keys, *ids);
    if (!positions.ok()) return positions.status();
    for (StreamPosition position : *positions) {
      // Past every id the stream issued: following it would skip every event until then.
      if (position == StreamPosition::kAhead)
        return InvalidField("cursor", "is not a cursor this server issued (ahead of the stream)");
      if (position == StreamPosition::kTrimmed)
        return PreconditionError("CURSOR_EXPIRED",
                                 "events after this cursor were trimmed; list and watch anew");
    }
    positions_ = std::move(*ids);
  }
  // Admitted: the headers go first, as a write would (nothing else is sent, and the call is not
  // closed, until they are); sent once attached, as their end may start catching up.
  {
    std::lock_guard lock(mutex_);
    if (ended_) return final_;
    writing_ = true;
  }
  if (auto attached = follower_->Attach(shared_from_this()); !attached.ok()) {
    std::lock_guard lock(mutex_);
    writing_ = false;
    return attached;
  }
  context_->AddInitialMetadata(kStreamOpenHeader, "open");
  SendHeaders();
  Schedule();
  return absl::OkStatus();
}

void FollowedCall::Offer(size_t key, uint64_t number, Batch batch) {
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    offered_.push_back({key, number, std::move(batch)});
    if (scheduled_) return;
    scheduled_ = true;
  }
  Pump();
}

void FollowedCall::Schedule() {
  {
    std::lock_guard lock(mutex_);
    if (scheduled_ || ended_) return;
    scheduled_ = true;
  }
  follower_->gate_->Post([self = shared_from_this()] { self->Pump(); });
}

void FollowedCall::Pump() {
  while (true) {
    std::vector<std::pair<size_t, Batch>> offered;
    {
      std::lock_guard lock(mutex_);
      // Only batches whose predecessors were delivered: two workers may offer a key's batches in
      // either order, and a later batch first would make the earlier one look delivered.
      for (bool found = true; found;) {
        found = false;
        for (auto it = offered_.begin(); it != offered_.end(); ++it) {
          if (it->number != next_batch_[it->key]) continue;
          ++next_batch_[it->key];
          offered.emplace_back(it->key, std::move(it->batch));
          offered_.erase(it);
          found = true;
          break;
        }
      }
      // Catching up reads the next batch only once the client took the last one: a slow client
      // slows its own catch-up instead of filling memory.
      const bool catch_up = !live_ && outbox_.empty() && !writing_;
      if (ended_ || (offered.empty() && !catch_up)) {
        scheduled_ = false;
        return;
      }
    }
    absl::Status status;
    for (const auto& [key, batch] : offered) {
      status = Deliver(key, *batch, true);
      if (!status.ok()) break;
    }
    if (status.ok() && offered.empty()) status = CatchUp();
    if (!status.ok()) {
      End(status);
      std::lock_guard lock(mutex_);
      scheduled_ = false;
      return;
    }
    WriteNext();
  }
}

absl::Status FollowedCall::Deliver(size_t key, const std::vector<StreamEntry>& entries, bool live) {
  for (const auto& entry : entries) {
    if (CompareStreamIds(entry.id, positions_[key]) <= 0) continue;  // caught up past it
    positions_[key] = entry.id;
    auto message = Convert(key, entry);
    if (!message.ok()) return message.status();
    if (*message == nullptr) continue;
    SetCursor(message->get(), EncodeStreamCursor(plan_.family, positions_));
    std::lock_guard lock(mutex_);
    if (ended_) return absl::OkStatus();
    if (live && static_cast<int>(outbox_.size()) >= follower_->options_.queue_limit)
      return absl::ResourceExhaustedError(
          "the watcher did not keep up with the events; resume from the last cursor");
    outbox_.push_back(std::move(*message));
  }
  return absl::OkStatus();
}

absl::Status FollowedCall::CatchUp() {
  std::vector<std::string> tails;
  if (follower_->TryGoLive(this, &tails)) return absl::OkStatus();
  const int count = follower_->options_.catch_up_batch;
  std::vector<RedisArgs> reads;
  for (size_t k = 0; k < plan_.keys.size(); ++k)
    reads.push_back(
        {"XRANGE", plan_.keys[k], "(" + positions_[k], "+", "COUNT", std::to_string(count)});
  auto replies = follower_->redis_->Pipeline(reads);
  if (!replies.ok()) return replies.status();
  for (size_t k = 0; k < plan_.keys.size(); ++k) {
    const RedisValue& reply = (*replies)[k];
    if (reply.type == RedisValue::Type::kError) return StatusFromRedisError(reply.str);
    auto entries = StreamEntriesOf(reply);
    if (auto status = Deliver(k, entries, false); !status.ok()) return status;
    // All there was up to the reader's position, read: entries deleted since (XDEL) are no gap.
    if (static_cast<int>(entries.size()) < count && CompareStreamIds(positions_[k], tails[k]) < 0)
      positions_[k] = tails[k];
  }
  return absl::OkStatus();
}

void FollowedCall::WriteNext() {
  const google::protobuf::Message* message;
  {
    std::lock_guard lock(mutex_);
    if (writing_ || ended_ || outbox_.empty()) return;
    in_flight_ = std::move(outbox_.front());
    outbox_.pop_front();
    writing_ = true;
    message = in_flight_.get();
  }
  Send(*message);  // outside the lock: gRPC may call OnWriteDone inline
}

void FollowedCall::OnWriteDoneImpl(bool ok) {
  RpcGate::Done done;
  absl::Status status;
  bool catch_up = false, close_now = false;
  {
    std::lock_guard lock(mutex_);
    writing_ = false;
    in_flight_.reset();
    if (!ok && !ended_) {
      ended_ = true;
      final_ = absl::CancelledError("the watcher went away");
      outbox_.clear();
      offered_.clear();
    }
    if (ended_) {
      if (closed_) return;
      closed_ = close_now = true;
      done = std::move(done_);
      status = final_;
    } else {
      catch_up = outbox_.empty() && !live_;
    }
  }
  if (close_now) {
    if (done) done(status);
    Close(ToGrpcStatus(status));
    return;
  }
  WriteNext();
  if (catch_up) Schedule();
}

void FollowedCall::End(const absl::Status& status) {
  RpcGate::Done done;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
    final_ = status;
    outbox_.clear();
    offered_.clear();
    if (writing_) return;  // closed when the write in flight is done
    closed_ = true;
    done = std::move(done_);
  }
  if (done) done(status);
  Close(ToGrpcStatus(status));
}

void FollowedCall::OnCancelImpl() { End(absl::CancelledError("the watcher went away")); }

void FollowedCall::OnDoneImpl() {
  {
    std::lock_guard lock(context_mutex_);
    context_gone_ = true;
  }
  follower_->Detach(this);
  std::shared_ptr<FollowedCall> last = std::move(self_);  // queued work may still hold it
}

absl::Status FollowedCall::Readmit() {
  std::lock_guard lock(context_mutex_);
  if (context_gone_) return absl::OkStatus();
  return follower_->gate_->Readmit(*context_);
}

// ---- the follower ------------------------------------------------------------------------------

struct StreamFollower::Reader {
  std::string key;
  std::string tail;                      // the last entry handed out (under mutex_)
  uint64_t batches = 0;                  // batches handed out (under mutex_): the next's number
  std::map<FollowedCall*, size_t> live;  // the calls it feeds, with the key's index in each
  // Only the reader thread touches these.
  std::unique_ptr<RedisConnection> connection;
  bool in_flight = false;  // an XREAD BLOCK was sent and its reply has not come
  std::chrono::steady_clock::time_point deadline{};  // of the read in flight
  std::chrono::steady_clock::time_point retry_at{};  // after a failure
};

StreamFollower::StreamFollower(RedisPool* redis, RpcGate* gate, Options options)
    : redis_(redis), gate_(gate), options_(options), wake_fd_(eventfd(0, EFD_CLOEXEC)) {}

StreamFollower::~StreamFollower() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void StreamFollower::Wake() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0 && write(wake_fd_, &one, sizeof one) < 0 && errno != EAGAIN)
    logging::Warn("stream reader: could not be woken", {{"errno", std::to_string(errno)}});
}

void StreamFollower::Stop() {
  std::vector<std::shared_ptr<FollowedCall>> calls;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto* call : calls_) calls.push_back(call->shared_from_this());
  }
  stopped_cv_.notify_all();
  Wake();
  // A client reconnects on UNAVAILABLE and resumes from its last cursor on another replica.
  for (auto& call : calls)
    call->End(StoreUnavailable("the server is shutting down; resume from the last cursor"));
  if (timer_.joinable()) timer_.join();
  if (reader_.joinable()) reader_.join();
}

int StreamFollower::open_calls() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(calls_.size());
}

int StreamFollower::followed_keys() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(readers_.size());
}

absl::Status StreamFollower::Attach(const std::shared_ptr<FollowedCall>& call) {
  // A new reader starts at the newest entry, read here rather than under the lock.
  std::vector<std::string> unread;
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : call->plan_.keys)
      if (!readers_.count(key)) unread.push_back(key);
  }
  std::map<std::string, std::string> starts;
  if (!unread.empty()) {
    auto latest = LatestStreamIds(*redis_, unread);
    if (!latest.ok()) return latest.status();
    for (size_t k = 0; k < unread.size(); ++k) starts[unread[k]] = std::move((*latest)[k]);
  }
  std::lock_guard lock(mutex_);
  if (stopped_) return StoreUnavailable("the server is shutting down; resume from the last cursor");
  {
    std::lock_guard call_lock(call->mutex_);
    if (call->ended_) return absl::OkStatus();  // gone before it started
  }
  bool new_key = false;
  for (const auto& key : call->plan_.keys) {
    auto& reader = readers_[key];
    if (reader) continue;
    reader = std::make_unique<Reader>();
    reader->key = key;
    reader->tail = starts.count(key) ? starts[key] : "0-0";
    reader->connection = redis_->Dedicated(key);
    new_key = true;
  }
  calls_.insert(call.get());
  // Threads only once streams are watched: the reader and the timer with the first call.
  if (!timer_.joinable()) timer_ = std::thread([this] { CheckTokens(); });
  if (!reader_.joinable()) reader_ = std::thread([this] { ReadAll(); });
  if (new_key) Wake();
  return absl::OkStatus();
}

void StreamFollower::Detach(FollowedCall* call) {
  std::lock_guard lock(mutex_);
  calls_.erase(call);
  for (auto& [key, reader] : readers_) reader->live.erase(call);  // its plan may be half made
}

bool StreamFollower::TryGoLive(FollowedCall* call, std::vector<std::string>* tails) {
  std::lock_guard lock(mutex_);
  tails->clear();
  bool caught_up = true;
  for (size_t k = 0; k < call->plan_.keys.size(); ++k) {
    const Reader& reader = *readers_.at(call->plan_.keys[k]);
    tails->push_back(reader.tail);
    if (CompareStreamIds(call->positions_[k], reader.tail) < 0) caught_up = false;
  }
  if (!caught_up || !calls_.count(call)) return false;
  call->live_ = true;
  {
    std::lock_guard call_lock(call->mutex_);
    call->next_batch_.clear();
    for (size_t k = 0; k < call->plan_.keys.size(); ++k)
      call->next_batch_.push_back(readers_.at(call->plan_.keys[k])->batches);
  }
  for (size_t k = 0; k < call->plan_.keys.size(); ++k)
    readers_.at(call->plan_.keys[k])->live[call] = k;
  return true;
}

void StreamFollower::ReadAll() {
  using std::chrono::milliseconds;
  const auto pause = milliseconds(500);                          // after a failed read
  const auto patience = milliseconds(options_.block_ms + 2000);  // a read Redis never answers
  std::vector<Reader*> readers;
  std::vector<pollfd> waits;
  std::vector<Reader*> waiting;  // waits[i + 1] is waiting[i]'s connection
  while (true) {
    std::vector<std::string> tails;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      readers.clear();
      for (auto& [key, reader] : readers_) {
        readers.push_back(reader.get());
        tails.push_back(reader->tail);
      }
    }
    auto now = std::chrono::steady_clock::now();
    auto next = now + milliseconds(options_.block_ms);  // when to look again at the latest
    waits.assign(1, pollfd{wake_fd_, POLLIN, 0});
    waiting.clear();
    for (size_t i = 0; i < readers.size(); ++i) {
      Reader* reader = readers[i];
      if (!reader->in_flight && now >= reader->retry_at) {
        auto sent = reader->connection->Send({"XREAD", "COUNT", "1000", "BLOCK",
                                              std::to_string(options_.block_ms), "STREAMS",
                                              reader->key, tails[i]});
        if (sent.ok()) {
          reader->in_flight = true;
          reader->deadline = now + patience;
        } else {
          logging::Warn("stream reader: redis read failed",
                        {{"key", reader->key}, {"error", std::string(sent.message())}});
          reader->retry_at = now + pause;
        }
      }
      if (reader->in_flight) {
        waits.push_back(pollfd{reader->connection->fd(), POLLIN, 0});
        waiting.push_back(reader);
        next = std::min(next, reader->deadline);
      } else {
        next = std::min(next, reader->retry_at);
      }
    }
    const auto wait_ms =
        std::chrono::duration_cast<milliseconds>(next - now).count() + 1;  // round up
    if (poll(waits.data(), waits.size(), static_cast<int>(std::max<int64_t>(0, wait_ms))) < 0 &&
        errno != EINTR) {
      logging::Warn("stream reader: poll failed", {{"errno", std::to_string(errno)}});
      std::unique_lock lock(mutex_);
      stopped_cv_.wait_for(lock, pause, [this] { return stopped_; });
      continue;
    }
    if (waits[0].revents != 0) {
      uint64_t count;
      if (read(wake_fd_, &count, sizeof count) < 0) count = 0;  // drained: it only wakes
    }
    now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < waiting.size(); ++i) {
      Reader* reader = waiting[i];
      if (waits[i + 1].revents == 0) {
        if (now < reader->deadline) continue;
        logging::Warn("stream reader: redis did not answer a blocking read in time",
                      {{"key", reader->key}});
        reader->connection->Close();
        reader->in_flight = false;
        continue;
      }
      auto reply = reader->connection->ReadAvailable();
      if (reply.ok() && !reply->has_value()) continue;  // part of a reply: wait for the rest
      reader->in_flight = false;
      absl::Status failed = reply.status();
      if (failed.ok() && (*reply)->type == RedisValue::Type::kError)
        failed = StatusFromRedisError((*reply)->str);
      if (failed.ok()) {
        FanOut(reader, **reply);
      } else {
        logging::Warn("stream reader: redis read failed",
                      {{"key", reader->key}, {"error", std::string(failed.message())}});
        reader->retry_at = now + pause;
      }
    }
  }
}

void StreamFollower::FanOut(Reader* reader, const RedisValue& reply) {
  if (reply.is_nil() || reply.elements.empty()) return;  // the block ran out: nothing new
  auto batch = std::make_shared<const std::vector<StreamEntry>>(
      StreamEntriesOf(reply.elements[0].elements[1]));
  if (batch->empty()) return;
  std::vector<std::pair<std::shared_ptr<FollowedCall>, size_t>> targets;
  uint64_t number;
  {
    std::lock_guard lock(mutex_);
    reader->tail = batch->back().id;
    number = reader->batches++;
    targets.reserve(reader->live.size());
    for (const auto& [call, k] : reader->live) targets.emplace_back(call->shared_from_this(), k);
  }
  // A few worker tasks per batch rather than one per call: a task wakes a thread.
  const size_t chunk = static_cast<size_t>(std::max(1, options_.fan_out_chunk));
  for (size_t from = 0; from < targets.size(); from += chunk) {
    std::vector<std::pair<std::shared_ptr<FollowedCall>, size_t>> part(
        std::make_move_iterator(targets.begin() + from),
        std::make_move_iterator(targets.begin() + std::min(targets.size(), from + chunk)));
    gate_->Post([part = std::move(part), batch, number] {
      for (const auto& [call, k] : part) call->Offer(k, number, batch);
    });
  }
}

void StreamFollower::CheckTokens() {
  std::unique_lock lock(mutex_);
  while (!stopped_) {
    // One timer for every open call: a revoked or expired token loses its streams within about a
    // second (and the token cache's lifetime).
    stopped_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopped_; });
    if (stopped_) return;
    std::vector<std::shared_ptr<FollowedCall>> calls;
    calls.reserve(calls_.size());
    for (auto* call : calls_) calls.push_back(call->shared_from_this());
    lock.unlock();
    for (auto& call : calls)
      if (auto admitted = call->Readmit(); !admitted.ok()) call->End(admitted);
    calls.clear();
    lock.lock();
  }
}

}  // namespace infrashare
