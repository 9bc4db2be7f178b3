// Webhook delivery on one replica: a pump thread that fans changes out into the delivery queue
// (fan_out.h), moves retries that are due back into it, and hands queued jobs to a few sender
// threads, each of which signs one job, checks its target again, POSTs it and settles the attempt
// (delivered, retried after a back-off, or a dead letter that disables the subscription). E-mail
// jobs go the same way, through the SMTP relay instead of a POST. One receiver (host and port; for
// e-mail, the relay) has at most half of the senders at a time, so a slow or hanging one does not
// hold up the others: a job beyond that share waits a moment for a place while the receiver
// answers quickly, and is otherwise put off ("deferred", not an attempt). Jobs are
// read from the queue in a consumer group only as fast as senders are free; a job a dead replica
// held is claimed after webhooks.claim_idle_ms and sent again with the same webhook-id.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "services/common/config.h"
#include "services/common/metrics.h"
#include "services/mail/smtp.h"
#include "services/webhook/fan_out.h"
#include "services/webhook/http_post.h"
#include "services/webhook/target.h"
#include "services/webhook/webhook_store.h"

namespace infrashare::webhook {

// How long the next try waits after `attempts` failed ones: retry_base_ms, doubled each time, at
// most retry_max_ms.
int64_t RetryDelayMs(const WebhookConfig& config, int attempts);

class Dispatcher {
 public:
  // `metrics` may be null. `poster` null: libcurl. E-mail jobs go through `email`'s relay.
  Dispatcher(WebhookStore* store, FanOut* fan_out, WebhookConfig config, EmailConfig email,
             Metrics* metrics, std::unique_ptr<HttpPoster> poster = nullptr);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the pump and webhooks.senders senders (none when it is 0).
  void Start();
  // Ends the threads; a transfer under way is abandoned (its job is claimed by another replica
  // later, or by this one after a restart).
  void Stop();

 private:
  void Pump();
  void Send();
  void Deliver(const QueuedJob& job);
  // One attempt of a webhook (POST) or of an e-mail (SMTP), without its latency and delay.
  Attempt Post(const QueuedJob& job, const TakenJob& taken);
  Attempt Mail(const TakenJob& taken);
  // Fairness between receivers: `Enter` takes one of `holder`'s places (true, `*begun` set to
  // give to `Leave` when the attempt is over), or says it is put off for `*delay_ms` (false;
  // `*delay_ms` < 0: the replica is stopping).
  bool Enter(const std::string& holder, int64_t* begun, int64_t* delay_ms);
  void Leave(const std::string& holder, int64_t begun);
  // Who receives the job, for Enter: "host:port" of its target, or kMailSubscription.
  std::string HolderOf(const TakenJob& taken) const;
  // Waits webhooks.poll_interval_ms (or until Stop); with `until_a_sender_is_free`, only until a
  // sender is free again.
  void Idle(bool until_a_sender_is_free);

  WebhookStore* store_;
  FanOut* fan_out_;
  WebhookConfig config_;
  DeliveryLimits limits_;
  TargetRules rules_;
  Metrics* metrics_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<HttpPoster> poster_;
  mail::SmtpSender mailer_;
  std::string consumer_;

  std::mutex mutex_;
  std::condition_variable work_;   // senders: a job to send, or stop
  std::condition_variable freed_;  // the pump: a sender is free, or stop
  std::deque<QueuedJob> ready_;
  int busy_ = 0;
  std::thread pump_;
  std::vector<std::thread> senders_;

  // Counted since start, read by the metrics endpoint.
  std::atomic<long long> queued_{0}, delivered_{0}, failed_{0}, dead_{0}, disabled_{0};
  std::atomic<long long> mails_sent_{0}, mails_failed_{0}, mails_dead_{0};
  std::atomic<long long> backlog_{0}, deferred_{0};

  // Per receiver (HolderOf), under mutex_: when each attempt under way began (steady clock, ms),
  // how long its last one took, when its next deferred job is due, and when it was last used
  // (entries unused for ten minutes go).
  struct Receiver {
    std::multiset<int64_t> starts;
    int64_t latency_ms = 0;
    int64_t next_slot_ms = 0;
    int64_t used_ms = 0;
  };
  std::map<std::string, Receiver> receivers_;
  std::condition_variable place_;  // Enter: an attempt ended, or stop
  int64_t last_prune_ms_ = 0;
};

}  // namespace infrashare::webhook
