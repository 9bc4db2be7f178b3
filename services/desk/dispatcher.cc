#include "services/desk/dispatcher.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/ids.h"
#include "services/common/logging.h"

namespace infrashare::desk {
namespace {

std::string ConsumerName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "-", getpid(), "-", RandomBase32(4));
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list,
              const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Other networks with a responder who would cover `inquiry` there (as if it had entered there),
// best fit first, at most five: where a coordinator can refer what this network cannot answer.
// Not a network it passed through already (a referral to it as a whole is a loop), nor one only
// because of a responder that declined it or whose organisation it was referred from or to.
std::vector<std::string> NetworksCovering(const v1::Inquiry& inquiry,
                                          const std::vector<v1::Responder>& profiles,
                                          const std::vector<std::string>& declined,
                                          const Directory& directory) {
  v1::Inquiry open = inquiry;
  open.clear_target_organization_id();
  open.clear_target_responder_id();
  std::map<std::string, int> best;
  for (const auto& r : profiles) {
    if (Contains(inquiry.referral_chain(), r.organization_id()) ||
        std::find(declined.begin(), declined.end(), r.id()) != declined.end())
      continue;
    const int fit = FitScore(open, r);
    if (fit < 0) continue;
    for (const auto& network : directory.NetworksOf(r.organization_id()))
      if (network != inquiry.network_id() && !Contains(inquiry.network_chain(), network))
        best[network] = std::max(best[network], fit);
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [network, fit] : best) ranked.push_back({-fit, network});
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> networks;
  for (size_t n = 0; n < ranked.size() && n < 5; ++n) networks.push_back(ranked[n].second);
  return networks;
}

}  // namespace

Dispatcher::Dispatcher(DispatchQueue* queue, DeskStore* store, Directory* directory,
                       DeskConfig config)
    : queue_(queue),
      store_(store),
      directory_(directory),
      config_(config),
      consumer_(ConsumerName()) {}

void Dispatcher::Start() {
  for (int n = 0; n < config_.dispatch_threads; ++n)
    threads_.emplace_back([this, n] { Consume(absl::StrCat(consumer_, "-", n)); });
  threads_.emplace_back([this] { ApplyDeadlines(); });
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
  group_exists_ = false;
  deadlines_applied_ = false;
}

bool Dispatcher::Sleep(int ms) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
}

void Dispatcher::Consume(const std::string& consumer) {
  bool group_ready = false;
  auto last_claim = std::chrono::steady_clock::time_point{};
  const auto claim_every = std::chrono::milliseconds(std::max(50, config_.claim_idle_ms / 2));
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    if (!group_ready) {
      group_ready = queue_->EnsureGroup().ok();
      if (group_ready) group_exists_ = true;
      if (!group_ready && !Sleep(500)) return;
      continue;
    }
    if (std::chrono::steady_clock::now() - last_claim >= claim_every) {
      last_claim = std::chrono::steady_clock::now();
      auto claimed = queue_->ClaimStale(consumer, config_.claim_idle_ms, 100);
      if (claimed.ok() && !claimed->empty()) {
        logging::Info("desk: took over dispatch work another replica left",
                      {{"entries", std::to_string(claimed->size())}});
        (void)Process(*claimed);
      }
    }
    auto items = queue_->Read(consumer, 100, 200);
    if (!items.ok()) {
      if (!Sleep(500)) return;
      continue;
    }
    (void)Process(*items);
  }
}

absl::Status Dispatcher::Process(const std::vector<DispatchItem>& items) {
  std::vector<std::string> done;
  absl::Status first_error;
  bool drained = false;
  for (const auto& item : items) {
    absl::Status status;
    if (item.inquiry_id == "*") {
      // Several drains in one batch are one drain.
      if (!drained) status = DrainQueue();
      drained = drained || status.ok();
    } else {
      status = Route(item.inquiry_id);
    }
    // Work that failed stays pending and is claimed again after `claim_idle_ms`.
    if (status.ok()) {
      done.push_back(item.stream_id);
    } else if (first_error.ok()) {
      first_error = status;
      logging::Warn("desk: dispatch failed; will retry",
                    {{"error", std::string(status.message())}});
    }
  }
  if (auto status = queue_->Acknowledge(done); !status.ok()) return status;
  return first_error;
}

absl::StatusOr<std::shared_ptr<const std::vector<v1::Responder>>> Dispatcher::Profiles() {
  auto version = store_->ProfilesVersion();
  if (!version.ok()) return version.status();
  {
    std::lock_guard lock(profiles_mutex_);
    if (profiles_ && profiles_version_ == *version) return profiles_;
  }
  auto ids = store_->ResponderIds("");
  if (!ids.ok()) return ids.status();
  auto responders = store_->GetResponders(*ids);
  if (!responders.ok()) return responders.status();
  auto loaded = std::make_shared<const std::vector<v1::Responder>>(std::move(*responders));
  std::lock_guard lock(profiles_mutex_);
  profiles_version_ = *version;
  profiles_ = loaded;
  return loaded;
}

bool Dispatcher::WorkingNow(const v1::Responder& responder, SysSeconds now) {
  if (responder.working_hours().empty()) return !Absent(responder, now);
  // Expanding working hours (libical) for every candidate of every inquiry would dominate
  // routing: each responder's windows are expanded a week ahead and reused until a day is left.
  const std::string key = responder.id() + "@" + responder.etag();
  std::lock_guard lock(calendar_mutex_);
  auto it = calendars_.find(key);
  if (it == calendars_.end() || now < it->second.from ||
      now + std::chrono::hours(24) > it->second.to) {
    if (calendars_.size() > 10000) calendars_.clear();
    Calendar calendar{now, now + std::chrono::hours(24 * 7), {}};
    calendar.windows = WorkingWindows(responder, calendar.from, calendar.to);
    it = calendars_.insert_or_assign(key, std::move(calendar)).first;
  }
  for (const auto& w : it->second.windows)
    if (w.start <= now && now < w.end) return true;
  return false;
}

absl::Status Dispatcher::Route(const std::string& inquiry_id) {
  constexpr int kTries = 5;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    auto read = store_->ForRouting(inquiry_id);
    if (!read.ok()) return read.status();
    if (!read->has_value()) return absl::OkStatus();
    const StoredInquiry* stored = &(*read)->stored;
    const std::vector<std::string>* declined = &(*read)->declined;
    const v1::Inquiry& inquiry = stored->inquiry;
    if (inquiry.state() != v1::INQUIRY_STATE_ROUTING && inquiry.state() != v1::INQUIRY_STATE_QUEUED)
      return absl::OkStatus();
    auto profiles = Profiles();
    if (!profiles.ok()) return profiles.status();
    std::set<std::string> members;
    if (inquiry.target_organization_id().empty() && inquiry.target_responder_id().empty()) {
      auto network = directory_->Members(inquiry.network_id());
      if (!network.ok()) return network.status();
      if (network->has_value()) members = std::move(**network);
    }
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    // Who could take it, best first by what does not change from moment to moment (fit, working
    // hours); loads are read only as far down that list as needed, a group of equals at a time.
    struct Ranked {
      Candidate candidate;
      int fit;
    };
    std::vector<Ranked> ranked;
    const bool named = !inquiry.target_responder_id().empty();
    for (const auto& r : **profiles) {
      // A network's desk as a whole never hands it back to an organisation it was referred from
      // (one in two networks): the loop a referral naming that organisation is refused for.
      const bool in_reach = named ? r.id() == inquiry.target_responder_id()
                            : !inquiry.target_organization_id().empty()
                                ? r.organization_id() == inquiry.target_organization_id()
                                : members.count(r.organization_id()) > 0 &&
                                      !Contains(inquiry.referral_chain(), r.organization_id());
      if (!in_reach || std::find(declined->begin(), declined->end(), r.id()) != declined->end())
        continue;
      const int fit = FitScore(inquiry, r);
      if (fit < 0) continue;
      ranked.push_back({{&r, {}, WorkingNow(r, now), Absent(r, now)}, fit});
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
      return std::make_pair(-a.fit, !a.candidate.working) <
             std::make_pair(-b.fit, !b.candidate.working);
    });
    constexpr size_t kChunk = 32;
    std::vector<Candidate> loaded;
    RouteDecision decision = Decide(inquiry, {}, {config_.pool_size, config_.max_attempts});
    for (size_t from = 0; from < ranked.size();) {
      size_t to = std::min(ranked.size(), from + kChunk);
      // Never split a group of equals: within it, load and round robin decide.
      while (to < ranked.size() && ranked[to].fit == ranked[to - 1].fit &&
             ranked[to].candidate.working == ranked[to - 1].candidate.working)
        ++to;
      std::vector<std::string> ids;
      for (size_t n = from; n < to; ++n) ids.push_back(ranked[n].candidate.responder->id());
      auto loads = store_->Loads(ids);
      if (!loads.ok()) return loads.status();
      for (size_t n = from; n < to; ++n) {
        ranked[n].candidate.load = (*loads)[n - from];
        loaded.push_back(ranked[n].candidate);
      }
      from = to;
      decision = Decide(inquiry, loaded, {config_.pool_size, config_.max_attempts});
      // Enough offered, or escalating regardless: stop. Nobody free yet, or the pool not full: read
      // on.
      if (decision.kind == RouteDecision::Kind::kEscalate ||
          (decision.kind == RouteDecision::Kind::kOffer &&
           static_cast<int>(decision.responder_ids.size()) >= config_.pool_size))
        break;
    }
    if (decision.kind == RouteDecision::Kind::kQueue && inquiry.state() == v1::INQUIRY_STATE_QUEUED)
      return absl::OkStatus();
    if (decision.kind == RouteDecision::Kind::kEscalate)
      decision.suggested_networks = NetworksCovering(inquiry, **profiles, *declined, *directory_);
    int64_t deadline_ms = 0;
    if (decision.kind == RouteDecision::Kind::kOffer) {
      const int seconds = inquiry.urgency() == v1::URGENCY_HIGH  ? config_.accept_s_high
                          : inquiry.urgency() == v1::URGENCY_LOW ? config_.accept_s_low
                                                                 : config_.accept_s_normal;
      const auto& first = *std::find_if(loaded.begin(), loaded.end(), [&](const Candidate& c) {
                             return c.responder->id() == decision.responder_ids.front();
                           })->responder;
      deadline_ms =
          OfferDeadlineMs(first, std::chrono::system_clock::now(), std::chrono::seconds(seconds));
    }
    auto committed = store_->Route(inquiry_id, stored->version, decision, deadline_ms);
    if (!committed.ok()) return committed.status();
    if (committed->has_value()) return absl::OkStatus();
  }
  return absl::AbortedError("inquiry " + inquiry_id + " kept changing while it was routed");
}

// Every queued inquiry, longest waiting first, a page at a time: one far back (of the network
// whose responder just freed) may fit although those in front, of other networks, do not.
absl::Status Dispatcher::DrainQueue() {
  if (auto status = queue_->ClearDrainFlag(); !status.ok()) return status;
  constexpr int kPage = 200;
  IndexCursor after;
  while (true) {
    auto queued = store_->InquiryIds(InquiryIndex::kQueue, "", after, kPage);
    if (!queued.ok()) return queued.status();
    for (const auto& id : queued->ids)
      if (auto status = Route(id); !status.ok()) return status;
    if (!queued->next) return absl::OkStatus();
    after = *queued->next;
  }
}

void Dispatcher::ApplyDeadlines() {
  constexpr int kBatch = 500;
  auto last_drain = std::chrono::steady_clock::now();
  // The first pass runs at once: deadlines that passed while no replica ran are applied before
  // this replica reports ready — all of them, however many passes a backlog takes (a pass applies
  // at most 20 batches, then lets the interval pass).
  do {
    for (int round = 0; round < 20; ++round) {
      auto applied = store_->ApplyDue(kBatch);
      if (!applied.ok()) break;
      if (*applied < kBatch) {
        deadlines_applied_ = true;
        break;
      }
    }
    // Time frees responders too (an absence ends, working hours begin), which no call announces:
    // now and then the queue is drained, by whichever replica asks first.
    if (std::chrono::steady_clock::now() - last_drain >=
        std::chrono::milliseconds(config_.drain_interval_ms)) {
      last_drain = std::chrono::steady_clock::now();
      (void)queue_->RequestDrain();
    }
  } while (Sleep(config_.timer_interval_ms));
}

}  // namespace infrashare::desk
