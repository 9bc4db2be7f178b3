// Moves inquiries along without anyone asking: every replica runs a Dispatcher. It consumes the
// desk's dispatch stream in one consumer group (each piece of work goes to one replica; work a dead
// replica left unacknowledged is claimed by another with XAUTOCLAIM), decides with routing.h and
// commits each decision with one Redis function call that re-checks what it read. A second thread
// applies due deadlines (offer timeouts, queue waits, escalations) through another function, which
// makes it safe for every replica to run one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/common/config.h"
#include "services/desk/desk.h"
#include "services/desk/desk_store.h"
#include "services/desk/dispatch_queue.h"

namespace infrashare::desk {

class Dispatcher {
 public:
  Dispatcher(DispatchQueue* queue, DeskStore* store, Directory* directory, DeskConfig config);
  ~Dispatcher() { Stop(); }
  void Start();
  void Stop();
  // Running: the dispatch consumer group exists (a consumer can read work) and the deadline loop
  // has completed a pass, so deadlines that passed before this replica started are applied.
  bool ready() const { return group_exists_ && deadlines_applied_; }

 private:
  void Consume(const std::string& consumer);
  void ApplyDeadlines();
  absl::Status Process(const std::vector<DispatchItem>& items);
  // Decides and commits one inquiry; retries when what it read changed before the commit.
  absl::Status Route(const std::string& inquiry_id);
  absl::Status DrainQueue();
  absl::StatusOr<std::shared_ptr<const std::vector<v1::Responder>>> Profiles();
  bool WorkingNow(const v1::Responder& responder, SysSeconds now);
  bool Sleep(int ms);

  DispatchQueue* queue_;
  DeskStore* store_;
  Directory* directory_;
  DeskConfig config_;
  std::string consumer_;  // host-pid-random; each consumer thread adds its number
  std::mutex profiles_mutex_;
  std::string profiles_version_;
  std::shared_ptr<const std::vector<v1::Responder>> profiles_;
  struct Calendar {
    SysSeconds from, to;
    std::vector<Interval> windows;
  };
  std::mutex calendar_mutex_;
  std::map<std::string, Calendar> calendars_;  // "<responder id>@<etag>" -> its working windows
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<bool> group_exists_{false};
  std::atomic<bool> deadlines_applied_{false};
  std::vector<std::thread> threads_;
};

}  // namespace infrashare::desk
