#include "services/registry/follower.h"

#include <algorithm>
#include <chrono>

namespace infrashare::registry {

namespace {
std::atomic<int> running{0};
}  // namespace

int RegistryFollower::Running() { return running; }

RegistryFollower::RegistryFollower(RegistryStore* store, ChangeLog* changes, const RedisPool* redis,
                                   std::vector<absl::string_view> kinds, RegistryListener* listener)
    : store_(store),
      changes_(changes),
      redis_(redis),
      kinds_(std::move(kinds)),
      listener_(listener) {}

RegistryFollower::~RegistryFollower() { Stop(); }

void RegistryFollower::Start() {
  ++running;
  thread_ = std::thread([this] { Run(); });
}

void RegistryFollower::Stop() {
  stop_ = true;
  if (!thread_.joinable()) return;
  thread_.join();
  --running;
}

bool RegistryFollower::Wanted(absl::string_view kind) const {
  return std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end();
}

absl::Status RegistryFollower::Load(std::string* cursor) {
  auto latest = changes_->LatestCursor();
  if (!latest.ok()) return latest.status();
  for (absl::string_view kind : kinds_) {
    std::string after;
    do {
      auto page = store_->List(kind, "", after, 1000);
      if (!page.ok()) return page.status();
      for (const auto& data : page->records) listener_->Upsert(kind, data);
      after = page->next_after;
    } while (!after.empty() && !stop_);
  }
  *cursor = *latest;
  return absl::OkStatus();
}

void RegistryFollower::Run() {
  std::string cursor;
  while (!stop_ && !ready_) {
    if (Load(&cursor).ok()) {
      ready_ = true;
      listener_->Loaded();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  ChangeFeed feed(*redis_, changes_->EventsKey());
  while (!stop_) {
    auto changes = feed.Read(cursor, 500, 1000);
    if (!changes.ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (const auto& change : *changes) {
      cursor = change.cursor;
      if (!Wanted(change.kind)) continue;
      if (change.op == "deleted") {
        listener_->Remove(change.kind, change.id);
      } else {
        listener_->Upsert(change.kind, change.data);
      }
    }
  }
}

}  // namespace infrashare::registry
