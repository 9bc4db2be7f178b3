#include "services/webhook/dispatcher.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/logging.h"
#include "services/common/text_fold.h"
#include "services/mail/preferences.h"
#include "services/webhook/signature.h"

namespace infrashare::webhook {
namespace {

std::string ConsumerName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "-", getpid(), "-", RandomBase32(4));
}

constexpr int kDueBatch = 500;

// Fairness between receivers (Dispatcher::Enter). A receiver whose last attempt, and every attempt
// of it under way, took at most kQuickMs is quick: a job beyond its share of the senders waits up
// to kWaitForPlaceMs for a place. Otherwise the job is put off, to a time spaced by the receiver's
// pace, at least kMinDeferMs and at most kMaxDeferMs ahead.
constexpr int64_t kQuickMs = 250;
constexpr int64_t kWaitForPlaceMs = 1000;
constexpr int64_t kMinDeferMs = 100;
constexpr int64_t kMaxDeferMs = 300000;
constexpr int64_t kForgetReceiverMs = 600000;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int64_t RetryDelayMs(const WebhookConfig& config, int attempts) {
  int64_t delay = config.retry_base_ms;
  for (int i = 0; i < attempts && delay < config.retry_max_ms; ++i) delay *= 2;
  return std::min<int64_t>(delay, config.retry_max_ms);
}

Dispatcher::Dispatcher(WebhookStore* store, FanOut* fan_out, WebhookConfig config,
                       EmailConfig email, Metrics* metrics, std::unique_ptr<HttpPoster> poster)
    : store_(store),
      fan_out_(fan_out),
      config_(config),
      rules_{config.allow_http, config.allow_private_targets},
      metrics_(metrics),
      poster_(poster ? std::move(poster) : std::make_unique<CurlPoster>(&stop_)),
      mailer_(std::move(email), &stop_),
      consumer_(ConsumerName()) {
  limits_.retry_for_ms = int64_t{config.retry_for_s} * 1000;
  limits_.log_length = config.delivery_log_length;
  limits_.dead_letter_max = config.dead_letter_max;
  // Long enough to cover a change read twice: a replica that died between queueing and
  // acknowledging has its changes claimed after claim_idle_ms.
  limits_.done_ttl_ms = std::max<int64_t>(600000, int64_t{config.claim_idle_ms} * 10);
  if (metrics_ == nullptr) return;
  const std::vector<std::tuple<const char*, const char*, std::atomic<long long>*>> counters = {
      {"infrashare_webhook_jobs_queued_total",
       "Deliveries queued: one per change and subscription that receives it.", &queued_},
      {"infrashare_webhook_deliveries_total", "Attempts the receiver answered with 2xx.",
       &delivered_},
      {"infrashare_webhook_failures_total",
       "Attempts that failed (no answer, not 2xx, or a refused target).", &failed_},
      {"infrashare_webhook_dead_letters_total",
       "Deliveries whose retries ran out, or whose subscription was off when they were due.",
       &dead_},
      {"infrashare_webhook_subscriptions_disabled_total",
       "Subscriptions this replica disabled because a delivery's retries ran out.", &disabled_},
      {"infrashare_webhook_deferred_total",
       "Deliveries and e-mails put off because their receiver (or the relay) already had half of "
       "this replica's senders and answered slowly; not attempts, each is sent later.",
       &deferred_},
      {"infrashare_email_sent_total", "E-mails the relay accepted.", &mails_sent_},
      {"infrashare_email_failures_total",
       "E-mail attempts that failed (no connection, refused, a timeout).", &mails_failed_},
      {"infrashare_email_dead_letters_total",
       "E-mails given up: refused for good by the relay, or retries ran out.", &mails_dead_},
  };
  for (const auto& [name, help, value] : counters)
    metrics_->AddSampled(name, "counter", help,
                         [value] { return static_cast<double>(value->load()); });
  metrics_->AddSampled("infrashare_webhook_queue_depth", "gauge",
                       "Deliveries waiting: queued now or waiting to be tried again (all "
                       "replicas; read about once a second).",
                       [this] { return static_cast<double>(backlog_.load()); });
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  if (config_.senders <= 0) return;
  pump_ = std::thread([this] { Pump(); });
  for (int i = 0; i < config_.senders; ++i) senders_.emplace_back([this] { Send(); });
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_.notify_all();
  freed_.notify_all();
  place_.notify_all();
  if (pump_.joinable()) pump_.join();
  for (auto& sender : senders_)
    if (sender.joinable()) sender.join();
  senders_.clear();
}

void Dispatcher::Idle(bool until_a_sender_is_free) {
  std::unique_lock lock(mutex_);
  freed_.wait_for(lock, std::chrono::milliseconds(config_.poll_interval_ms), [&] {
    return stop_.load() ||
           (until_a_sender_is_free && busy_ + static_cast<int>(ready_.size()) < config_.senders);
  });
}

void Dispatcher::Pump() {
  using Clock = std::chrono::steady_clock;
  auto last_claim = Clock::now() - std::chrono::hours(1);
  auto last_depth = last_claim;
  bool warned = false;
  while (!stop_) {
    const auto now = Clock::now();
    const bool claim = now - last_claim >= std::chrono::milliseconds(config_.claim_idle_ms / 2);
    if (claim) last_claim = now;
    int work = 0;
    absl::Status status = fan_out_->Refresh();
    if (status.ok()) {
      auto fanned = fan_out_->Round(consumer_, claim);
      if (fanned.ok()) {
        queued_ += *fanned;
        work += *fanned;
      } else {
        status = fanned.status();
      }
    }
    if (status.ok()) {
      auto due = store_->QueueDue(kDueBatch);
      if (!due.ok()) status = due.status();
    }
    // As many queued jobs as there are senders free, new ones and (now and then) ones a dead
    // replica held.
    int free_senders = 0;
    {
      std::lock_guard lock(mutex_);
      free_senders = config_.senders - busy_ - static_cast<int>(ready_.size());
    }
    if (status.ok() && free_senders > 0) {
      std::vector<QueuedJob> jobs;
      if (claim) {
        auto stale = store_->ClaimQueue(consumer_, config_.claim_idle_ms, free_senders);
        if (stale.ok()) {
          jobs = std::move(*stale);
        } else {
          status = stale.status();
        }
      }
      if (status.ok() && static_cast<int>(jobs.size()) < free_senders) {
        auto fresh = store_->ReadQueue(consumer_, free_senders - static_cast<int>(jobs.size()));
        if (fresh.ok()) {
          jobs.insert(jobs.end(), fresh->begin(), fresh->end());
        } else {
          status = fresh.status();
        }
      }
      if (!jobs.empty()) {
        work += static_cast<int>(jobs.size());
        std::lock_guard lock(mutex_);
        for (auto& job : jobs) ready_.push_back(std::move(job));
        work_.notify_all();
      }
    }
    if (now - last_depth >= std::chrono::seconds(1)) {
      last_depth = now;
      if (auto backlog = store_->Backlog(); backlog.ok()) backlog_ = *backlog;
    }
    if (!status.ok()) {
      // Redis away: say so once, and keep trying at the poll interval.
      if (!warned)
        logging::Warn("webhooks: delivery paused", {{"error", std::string(status.message())}});
      warned = true;
    } else if (warned) {
      logging::Info("webhooks: delivery resumed");
      warned = false;
    }
    if (work == 0 || !status.ok()) Idle(status.ok() && free_senders <= 0);
  }
}

void Dispatcher::Send() {
  std::unique_lock lock(mutex_);
  while (true) {
    work_.wait(lock, [this] { return stop_.load() || !ready_.empty(); });
    if (stop_) return;
    QueuedJob job = std::move(ready_.front());
    ready_.pop_front();
    ++busy_;
    lock.unlock();
    Deliver(job);
    lock.lock();
    --busy_;
    freed_.notify_all();
  }
}

void Dispatcher::Deliver(const QueuedJob& job) {
  auto taken = store_->Take(job, limits_);
  if (!taken.ok()) {
    // Left pending: claimed again after claim_idle_ms.
    logging::Warn("webhooks: a delivery could not be taken",
                  {{"webhook_id", job.job_id}, {"error", std::string(taken.status().message())}});
    return;
  }
  if (taken->state == TakenJob::State::kOff) ++dead_;
  if (taken->state != TakenJob::State::kSend) return;

  const bool mail = !taken->mail_to.empty();
  const std::string holder = HolderOf(*taken);
  int64_t begun = 0, delay_ms = 0;
  if (!Enter(holder, &begun, &delay_ms)) {
    if (delay_ms < 0) return;  // stopping: left pending, claimed later
    Attempt deferred;
    deferred.deferred = true;
    deferred.retry_delay_ms = delay_ms;
    if (auto settled = store_->Settle(job, deferred, limits_); settled.ok()) {
      if (*settled == Settled::kDeferred) ++deferred_;
    } else {
      logging::Warn(
          "webhooks: a deferral could not be recorded; the job will be claimed again",
          {{"webhook_id", job.job_id}, {"error", std::string(settled.status().message())}});
    }
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  Attempt attempt = mail ? Mail(*taken) : Post(job, *taken);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Leave(holder, begun);
  attempt.latency_ms = static_cast<int>(seconds * 1000);
  attempt.retry_delay_ms = RetryDelayMs(config_, taken->attempts);
  if (stop_ && !attempt.ok) return;  // abandoned for shutdown: not the receiver's failure
  if (metrics_ != nullptr && !mail)
    metrics_->Observe("infrashare_webhook_attempt_seconds",
                      "Time one delivery attempt took (connect, send, the receiver's answer).",
                      seconds);
  auto settled = store_->Settle(job, attempt, limits_);
  if (!settled.ok()) {
    logging::Warn("webhooks: an attempt could not be recorded; it will be made again",
                  {{"webhook_id", job.job_id}, {"error", std::string(settled.status().message())}});
    return;
  }
  if (mail) {
    if (*settled == Settled::kDelivered && !attempt.withheld) ++mails_sent_;
    if (*settled == Settled::kRetry || *settled == Settled::kDead) ++mails_failed_;
    if (*settled == Settled::kDead) {
      ++mails_dead_;
      logging::Warn("e-mail: given up",
                    {{"moment", taken->type}, {"job", job.job_id}, {"error", attempt.error}});
    }
    return;
  }
  switch (*settled) {
    case Settled::kDelivered:
      ++delivered_;
      if (metrics_ != nullptr)
        metrics_->Observe("infrashare_webhook_delivery_lag_seconds",
                          "From a change to its delivery (2xx), retries included.",
                          static_cast<double>(NowMs() - taken->time_ms) / 1000.0);
      break;
    case Settled::kRetry:
      ++failed_;
      break;
    case Settled::kDead:
      ++failed_;
      ++dead_;
      break;
    case Settled::kDisabled:
      ++failed_;
      ++dead_;
      ++disabled_;
      logging::Warn("webhooks: retries ran out; subscription disabled",
                    {{"subscription", taken->subscription_id},
                     {"organization", taken->organization_id},
                     {"webhook_id", job.job_id}});
      break;
    case Settled::kDeferred:
    case Settled::kStale:
      break;
  }
}

std::string Dispatcher::HolderOf(const TakenJob& taken) const {
  if (!taken.mail_to.empty()) return kMailSubscription;
  auto target = ParseTarget(taken.url, rules_, "target_url");
  if (!target.ok()) return taken.url;  // refused when it is posted
  return absl::StrCat(absl::AsciiStrToLower(target->host), ":", target->port);
}

bool Dispatcher::Enter(const std::string& holder, int64_t* begun, int64_t* delay_ms) {
  const size_t share = static_cast<size_t>(std::max(1, config_.senders / 2));
  std::unique_lock lock(mutex_);
  const int64_t deadline = SteadyMs() + kWaitForPlaceMs;
  while (true) {
    if (stop_) {
      *delay_ms = -1;
      return false;
    }
    const int64_t now = SteadyMs();
    Receiver& receiver = receivers_[holder];
    receiver.used_ms = now;
    if (receiver.starts.size() < share) {
      receiver.starts.insert(now);
      *begun = now;
      return true;
    }
    // Its share is taken. How slow it is: its last attempt, or the oldest one under way.
    const int64_t pace = std::max(receiver.latency_ms, now - *receiver.starts.begin());
    if (pace > kQuickMs || now >= deadline) {
      // Put off to a time of its own: deferred jobs of one receiver are spaced by the time a place
      // takes to come free, so each comes back about when its turn would come.
      const int64_t wait = std::max(kMinDeferMs, pace);
      const int64_t slot = std::max(receiver.next_slot_ms, now + wait);
      receiver.next_slot_ms = slot + wait / static_cast<int64_t>(share);
      *delay_ms = std::min({slot - now, kMaxDeferMs, int64_t{config_.retry_max_ms}});
      return false;
    }
    place_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(deadline - now, 50)));
  }
}

void Dispatcher::Leave(const std::string& holder, int64_t begun) {
  {
    std::lock_guard lock(mutex_);
    const int64_t now = SteadyMs();
    Receiver& receiver = receivers_[holder];
    if (auto it = receiver.starts.find(begun); it != receiver.starts.end())
      receiver.starts.erase(it);
    receiver.latency_ms = now - begun;
    receiver.used_ms = now;
    if (now - last_prune_ms_ >= kForgetReceiverMs / 10) {
      last_prune_ms_ = now;
      for (auto it = receivers_.begin(); it != receivers_.end();)
        it = it->second.starts.empty() && now - it->second.used_ms > kForgetReceiverMs
                 ? receivers_.erase(it)
                 : std::next(it);
    }
  }
  place_.notify_all();
}

Attempt Dispatcher::Post(const QueuedJob& job, const TakenJob& taken) {
  Attempt attempt;
  auto target = ResolveTarget(taken.url, rules_, "target_url");
  if (!target.ok()) {
    // The name resolves elsewhere now (or not at all): nothing is sent, and it counts as a failed
    // attempt like any other.
    attempt.error = absl::StrCat("target refused: ", target.status().message());
    return attempt;
  }
  const int64_t timestamp = NowMs() / 1000;
  auto signature = SignatureHeader(taken.secrets, job.job_id, timestamp, taken.body);
  if (!signature.ok()) {
    attempt.error = "the subscription's secret is damaged";
    return attempt;
  }
  HttpPost post;
  post.url = taken.url;
  post.host = target->host;
  post.port = target->port;
  post.addresses = target->addresses;
  post.body = taken.body;
  post.timeout_ms = config_.timeout_ms;
  post.headers = {{"Content-Type", "application/json"},
                  {"webhook-id", job.job_id},
                  {"webhook-timestamp", std::to_string(timestamp)},
                  {"webhook-signature", *signature}};
  const HttpAnswer answer = poster_->Post(post);
  attempt.status_code = answer.status_code;
  attempt.error = answer.error;
  attempt.ok = answer.error.empty() && answer.status_code >= 200 && answer.status_code < 300;
  return attempt;
}

Attempt Dispatcher::Mail(const TakenJob& taken) {
  Attempt attempt;
  const EmailConfig& email = mailer_.config();
  if (email.relay_url.empty()) {
    // Queued while a relay was configured; kept (retried) until one is again.
    attempt.error = "no SMTP relay is configured (email.relay_url)";
    return attempt;
  }
  // What the person asked for through a link since the e-mail was written (a reminder waits for
  // hours): a kind turned off, or all, is not sent. Unreadable now: sent as written.
  if (auto preferences = store_->MailPreferences(PersonOf(taken.mail_to));
      preferences.ok() && !mail::Wants(*preferences, taken.type)) {
    attempt.ok = true;
    attempt.withheld = true;
    return attempt;
  }
  const mail::MailAnswer answer = mailer_.Send(email.from_address, taken.mail_to, taken.body);
  attempt.ok = answer.ok;
  attempt.status_code = answer.code;
  attempt.error = answer.error;
  attempt.permanent = answer.permanent;
  return attempt;
}

}  // namespace infrashare::webhook
