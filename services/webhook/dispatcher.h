// Webhook delivery on one replica: a pump thread that fans changes out into the delivery queue
// (fan_out.h), moves retries that are due back into it, and hands queued jobs to a few sender
// threads, each of which signs one job, checks its target again, POSTs it and settles the attempt
// (delivered, retried after a back-off, or a dead letter that disables the subscription). E-mail
// jobs go the same way, through the SMTP relay instead of a POST.
//
// Fairness: one receiver (host and port; for e-mail, the relay) and one organisation each have at
// most half of the senders at a time, and slow receivers together at most three quarters, so a
// slow or hanging receiver, or an organisation with many, does not hold up the others. A job that
// may not start yet is parked in this replica (its sender goes on to the next job) and started
// when a place frees; a slow receiver's parked jobs, and jobs beyond what may park, are put off
// ("deferred": queued again later, not an attempt). Jobs are
// read from the queue in a consumer group only as fast as senders are free; a job a dead replica
// held is claimed after webhooks.claim_idle_ms and sent again with the same webhook-id.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
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
  // Fairness (see the file comment). Who a job holds places of: its receiver ("host:port" of
  // its target, or kMailSubscription for the relay) and its organisation (kMailSubscription).
  struct Place {
    std::string receiver, organization;
  };
  // A taken job waiting in this replica for a place of its receiver or organisation.
  struct Parked {
    QueuedJob job;
    TakenJob taken;
    Place place;
    int64_t since_ms = 0;
  };
  enum class Turn { kGo, kParked, kDefer };
  Place PlaceOf(const TakenJob& taken) const;
  // Whether a job of `place` may start now, taking its places (kGo, `*begun` set for Leave); or it
  // is parked (moved from `candidate`), or is to be deferred for `*delay_ms`. Under mutex_.
  Turn Admit(const Place& place, Parked& candidate, int64_t now, int64_t* begun, int64_t* delay_ms);
  bool MayStart(const Place& place, int64_t now) const;  // under mutex_
  // Whether the receiver is slow: its last attempt, or the oldest under way, took over kQuickMs;
  // or so did one of the same host's under another organisation. Under mutex_.
  bool Slow(const std::string& receiver, int64_t now) const;
  void Start(const Place& place, int64_t now);  // under mutex_
  // Gives the places back; `attempted`: an attempt was made, whose time is the receiver's pace.
  void Leave(const Place& place, int64_t begun, bool attempted = true);
  // How long a job of `receiver` is put off: twice the receiver's pace, longer the more of its jobs
  // are put off than it can take, with some jitter. Under mutex_.
  int64_t DeferDelay(const std::string& receiver, int64_t now);
  // The first parked job that may start now, its places taken; nullopt when none.
  std::optional<Parked> NextParked(int64_t* begun);
  // Defers parked jobs that waited too long: a slow receiver's after kParkSlowMs, any after
  // kParkMaxMs.
  void ExpireParked();
  void Defer(const QueuedJob& job, int64_t delay_ms);
  // One attempt of a job that holds its places, settled; gives the places back.
  void Run(const QueuedJob& job, const TakenJob& taken, const Place& place, int64_t begun);
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

  // Fairness, under mutex_. Per receiver: when each attempt under way began (steady clock, ms),
  // how long its last one took, when it was last used (entries unused for ten minutes go), and how
  // many of its jobs were deferred in this and the previous ten-second window.
  struct Receiver {
    std::multiset<int64_t> starts;
    int64_t latency_ms = 0;
    int64_t used_ms = 0;
    int64_t window_ms = 0;
    int deferred_now = 0, deferred_before = 0;
  };
  std::map<std::string, Receiver> receivers_;
  std::map<std::string, int> organizations_;  // attempts under way per organisation
  std::map<std::string, int> parked_of_;      // parked jobs per organisation
  std::deque<Parked> parked_;
  std::minstd_rand jitter_{std::random_device{}()};
  int64_t last_prune_ms_ = 0;
};

}  // namespace infrashare::webhook
