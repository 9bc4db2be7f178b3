#include "services/webhook/dispatcher.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

// Fairness (dispatcher.h). A receiver is slow when its last attempt, or the oldest one under way,
// took longer than kQuickMs. A parked job waits at most kParkSlowMs for a slow receiver and
// kParkMaxMs for any before it is deferred; a deferral is kMinDeferMs to kMaxDeferMs ahead.
constexpr int64_t kQuickMs = 250;
constexpr int64_t kParkSlowMs = 2000;
constexpr int64_t kParkMaxMs = 10000;
constexpr int64_t kMinDeferMs = 200;
constexpr int64_t kMaxDeferMs = 300000;
constexpr int64_t kDeferWindowMs = 10000;
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
       "Times a delivery or e-mail was put off because its receiver (or the relay) or its "
       "organisation had its share of this replica's senders; not attempts, each is sent later.",
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
  if (auto begun = fan_out_->Begin(); !begun.ok())
    logging::Error("webhooks: the change streams' groups could not be made; the pump makes them",
                   {{"error", std::string(begun.message())}});
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
  if (pump_.joinable()) pump_.join();
  for (auto& sender : senders_)
    if (sender.joinable()) sender.join();
  senders_.clear();
}

void Dispatcher::Idle(bool until_a_sender_is_free) {
  std::unique_lock lock(mutex_);
  freed_.wait_for(lock, std::chrono::milliseconds(config_.poll_interval_ms), [&] {
    return stop_.load() ||
           (until_a_sender_is_free && busy_ + static_cast<int>(ready_.size()) < config_.senders &&
            static_cast<int>(parked_.size()) < 2 * config_.senders);
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
    // Parked jobs wait for places: while many do (a quick receiver's backlog), read no more.
    ExpireParked();
    int free_senders = 0;
    {
      std::lock_guard lock(mutex_);
      free_senders = static_cast<int>(parked_.size()) >= 2 * config_.senders
                         ? 0
                         : config_.senders - busy_ - static_cast<int>(ready_.size());
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

  Place place = PlaceOf(*taken);
  Parked candidate{job, std::move(*taken), std::move(place), 0};
  int64_t begun = 0, delay_ms = 0;
  Turn turn;
  {
    std::lock_guard lock(mutex_);
    turn = Admit(candidate.place, candidate, SteadyMs(), &begun, &delay_ms);
  }
  if (turn == Turn::kParked) return;
  if (turn == Turn::kDefer) return Defer(job, delay_ms);
  Run(job, candidate.taken, candidate.place, begun);
  // The places this attempt gave back: parked jobs that may start now, each read again first (it
  // may have been erased, cancelled or its subscription changed while it was parked).
  while (auto next = NextParked(&begun)) {
    freed_.notify_all();  // the pump may read again
    auto again = store_->Take(next->job, limits_);
    if (!again.ok() || again->state != TakenJob::State::kSend) {
      if (again.ok() && again->state == TakenJob::State::kOff) ++dead_;
      Leave(next->place, begun, false);
      continue;
    }
    if (PlaceOf(*again).receiver != next->place.receiver) {  // its URL changed meanwhile
      Leave(next->place, begun, false);
      Defer(next->job, kMinDeferMs);
      continue;
    }
    Run(next->job, *again, next->place, begun);
  }
}

void Dispatcher::Run(const QueuedJob& job, const TakenJob& taken, const Place& place,
                     int64_t begun) {
  const bool mail = !taken.mail_to.empty();
  const auto start = std::chrono::steady_clock::now();
  Attempt attempt = mail ? Mail(taken) : Post(job, taken);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Leave(place, begun);
  attempt.latency_ms = static_cast<int>(seconds * 1000);
  attempt.retry_delay_ms = RetryDelayMs(config_, taken.attempts);
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
                    {{"moment", taken.type}, {"job", job.job_id}, {"error", attempt.error}});
    }
    return;
  }
  switch (*settled) {
    case Settled::kDelivered:
      ++delivered_;
      if (metrics_ != nullptr)
        metrics_->Observe("infrashare_webhook_delivery_lag_seconds",
                          "From a change to its delivery (2xx), retries included.",
                          static_cast<double>(NowMs() - taken.time_ms) / 1000.0);
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
                    {{"subscription", taken.subscription_id},
                     {"organization", taken.organization_id},
                     {"webhook_id", job.job_id}});
      break;
    case Settled::kDeferred:
    case Settled::kStale:
      break;
  }
}

Dispatcher::Place Dispatcher::PlaceOf(const TakenJob& taken) const {
  if (!taken.mail_to.empty()) return {kMailSubscription, kMailSubscription};
  auto target = ParseTarget(taken.url, rules_, "target_url");
  // A URL that does not parse is refused when it is posted; it is a receiver of its own till then.
  std::string receiver = target.ok()
                             ? absl::StrCat(absl::AsciiStrToLower(target->host), ":", target->port)
                             : taken.url;
  // A receiver is an organisation's: a host many organisations use (a shared automation service)
  // is not slowed for all by one organisation's endpoint there.
  return {absl::StrCat(taken.organization_id, "|", receiver),
          absl::StrCat("org:", taken.organization_id)};
}

namespace {

// How slow a receiver is now: its last attempt, or the oldest one under way if that is longer.
template <typename Receiver>
int64_t PaceOf(const Receiver& receiver, int64_t now) {
  return std::max(receiver.latency_ms,
                  receiver.starts.empty() ? 0 : now - *receiver.starts.begin());
}

}  // namespace

bool Dispatcher::MayStart(const Place& place, int64_t now) const {
  const size_t share = static_cast<size_t>(std::max(1, config_.senders / 2));
  auto receiver = receivers_.find(place.receiver);
  if (receiver != receivers_.end() && receiver->second.starts.size() >= share) return false;
  if (auto org = organizations_.find(place.organization);
      org != organizations_.end() && org->second >= static_cast<int>(share))
    return false;
  if (!Slow(place.receiver, now)) return true;
  // A slow receiver: slow ones together leave a quarter of the senders (at least one) to the rest.
  const int slow_cap = std::max(1, config_.senders - std::max(1, config_.senders / 4));
  int slow = 0;
  for (const auto& [name, other] : receivers_)
    if (PaceOf(other, now) > kQuickMs) slow += static_cast<int>(other.starts.size());
  return slow < slow_cap;
}

bool Dispatcher::Slow(const std::string& receiver, int64_t now) const {
  // Its own pace, or that of the same host under another organisation: a host many use that
  // begins to hang is slow for every organisation at once, not for each only after its own wait.
  const absl::string_view host =
      absl::string_view(receiver).substr(receiver.find('|') + 1);  // whole key when none
  for (const auto& [name, other] : receivers_)
    if (PaceOf(other, now) > kQuickMs &&
        (name == receiver || (absl::EndsWith(name, host) && name.size() > host.size() &&
                              name[name.size() - host.size() - 1] == '|')))
      return true;
  return false;
}

void Dispatcher::Start(const Place& place, int64_t now) {
  Receiver& receiver = receivers_[place.receiver];
  receiver.starts.insert(now);
  receiver.used_ms = now;
  ++organizations_[place.organization];
}

Dispatcher::Turn Dispatcher::Admit(const Place& place, Parked& candidate, int64_t now,
                                   int64_t* begun, int64_t* delay_ms) {
  if (MayStart(place, now)) {
    Start(place, now);
    *begun = now;
    return Turn::kGo;
  }
  const bool quick = !Slow(place.receiver, now);
  const int share = std::max(1, config_.senders / 2);
  int& parked = parked_of_[place.organization];
  // At most a share of parked jobs per organisation (the pump reads on while fewer than twice the
  // senders are parked, so no one organisation stops it), and for a quick receiver only.
  if (quick && parked < share && static_cast<int>(parked_.size()) < 4 * config_.senders) {
    ++parked;
    candidate.since_ms = now;
    parked_.push_back(std::move(candidate));
    return Turn::kParked;
  }
  if (parked == 0) parked_of_.erase(place.organization);
  *delay_ms = DeferDelay(place.receiver, now);
  return Turn::kDefer;
}

int64_t Dispatcher::DeferDelay(const std::string& name, int64_t now) {
  Receiver& receiver = receivers_[name];
  receiver.used_ms = now;
  if (now - receiver.window_ms >= kDeferWindowMs) {
    receiver.deferred_before =
        now - receiver.window_ms < 2 * kDeferWindowMs ? receiver.deferred_now : 0;
    receiver.deferred_now = 0;
    receiver.window_ms = now;
  }
  ++receiver.deferred_now;
  // Deferred jobs per second, against the jobs per second its share takes: when more come back
  // than it can take, they are put off the longer, so a backlog does not circle through Redis.
  const double deferred_per_s = (receiver.deferred_before + receiver.deferred_now) * 1000.0 /
                                static_cast<double>(now - receiver.window_ms + kDeferWindowMs);
  const int64_t pace = std::max<int64_t>(PaceOf(receiver, now), 1);
  const double taken_per_s = std::max(1, config_.senders / 2) * 1000.0 / static_cast<double>(pace);
  double delay = static_cast<double>(std::max(2 * pace, kMinDeferMs)) *
                 std::max(1.0, deferred_per_s / taken_per_s);
  delay *= std::uniform_real_distribution<double>(1.0, 1.5)(jitter_);
  const int64_t longest =
      std::max(kMinDeferMs, std::min<int64_t>(kMaxDeferMs, config_.retry_max_ms));
  return std::clamp<int64_t>(static_cast<int64_t>(delay), kMinDeferMs, longest);
}

std::optional<Dispatcher::Parked> Dispatcher::NextParked(int64_t* begun) {
  std::lock_guard lock(mutex_);
  if (stop_) return std::nullopt;
  const int64_t now = SteadyMs();
  for (auto it = parked_.begin(); it != parked_.end(); ++it) {
    if (!MayStart(it->place, now)) continue;
    Parked next = std::move(*it);
    parked_.erase(it);
    if (--parked_of_[next.place.organization] <= 0) parked_of_.erase(next.place.organization);
    Start(next.place, now);
    *begun = now;
    return next;
  }
  return std::nullopt;
}

void Dispatcher::ExpireParked() {
  std::vector<std::pair<QueuedJob, int64_t>> expired;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = SteadyMs();
    const int64_t longest = std::min<int64_t>(kParkMaxMs, config_.claim_idle_ms / 2);
    for (auto it = parked_.begin(); it != parked_.end();) {
      const bool slow = Slow(it->place.receiver, now);
      const int64_t waited = now - it->since_ms;
      if (waited < longest && !(slow && waited >= kParkSlowMs)) {
        ++it;
        continue;
      }
      expired.emplace_back(it->job, DeferDelay(it->place.receiver, now));
      if (--parked_of_[it->place.organization] <= 0) parked_of_.erase(it->place.organization);
      it = parked_.erase(it);
    }
  }
  for (const auto& [job, delay] : expired) Defer(job, delay);
  if (!expired.empty()) freed_.notify_all();
}

void Dispatcher::Defer(const QueuedJob& job, int64_t delay_ms) {
  Attempt deferred;
  deferred.deferred = true;
  deferred.retry_delay_ms = delay_ms;
  auto settled = store_->Settle(job, deferred, limits_);
  if (!settled.ok()) {
    logging::Warn("webhooks: a deferral could not be recorded; the job will be claimed again",
                  {{"webhook_id", job.job_id}, {"error", std::string(settled.status().message())}});
  } else if (*settled == Settled::kDeferred) {
    ++deferred_;
  }
}

void Dispatcher::Leave(const Place& place, int64_t begun, bool attempted) {
  std::lock_guard lock(mutex_);
  const int64_t now = SteadyMs();
  Receiver& receiver = receivers_[place.receiver];
  if (auto it = receiver.starts.find(begun); it != receiver.starts.end()) receiver.starts.erase(it);
  if (attempted) receiver.latency_ms = now - begun;
  receiver.used_ms = now;
  if (auto org = organizations_.find(place.organization);
      org != organizations_.end() && --org->second <= 0)
    organizations_.erase(org);
  if (now - last_prune_ms_ >= kForgetReceiverMs / 10) {
    last_prune_ms_ = now;
    for (auto it = receivers_.begin(); it != receivers_.end();)
      it = it->second.starts.empty() && now - it->second.used_ms > kForgetReceiverMs
               ? receivers_.erase(it)
               : std::next(it);
  }
}

Attempt Dispatcher::Post(const QueuedJob& job, const TakenJob& taken) {
  Attempt attempt;
  // A deleted organisation's subscriptions get nothing more (docs/webhooks.md): a job queued
  // before it went, or a retry of one, is done without being sent (before, it was sent, retries
  // and all). Unreadable now: sent, as the fan-out checked when it queued it.
  if (fan_out_ != nullptr) {
    if (auto exists = fan_out_->OrganizationExists(taken.organization_id);
        exists.ok() && !*exists) {
      attempt.ok = true;
      attempt.withheld = true;
      return attempt;
    }
  }
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
