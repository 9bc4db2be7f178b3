// Numbers about the data that operators watch (bookings waiting for their owner's approval, holds
// about to lapse, inquiries queued at the desk). Reading them costs Redis work, so they are not
// read at every scrape: one thread per process reads them every `metrics.business_interval_s`,
// and a scrape shows the last reading (NaN before the first, and while Redis cannot be read).
// Each service module names its own (ServiceModule::business_gauges), so a process reports the
// gauges of the services it runs; every replica reads the same totals (docs/metrics.md).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/metrics.h"

namespace infrashare {

struct BusinessGauge {
  std::string name;  // infrashare_...
  std::string help;  // what exactly is counted
  std::function<absl::StatusOr<int64_t>()> read;
};

class BusinessGauges {
 public:
  BusinessGauges(Metrics* metrics, std::chrono::seconds interval)
      : metrics_(metrics), interval_(interval) {}
  ~BusinessGauges() { Stop(); }
  BusinessGauges(const BusinessGauges&) = delete;
  BusinessGauges& operator=(const BusinessGauges&) = delete;

  // Before Start().
  void Add(BusinessGauge gauge);
  // Reads every gauge now, then every interval, on a thread of its own (none without gauges).
  void Start();
  void Stop();

 private:
  struct Reading {
    BusinessGauge gauge;
    std::shared_ptr<std::atomic<double>> value;  // shared with the scrape's callback
    bool failing = false;
  };
  void Run();
  void ReadAll();

  Metrics* metrics_;
  std::chrono::seconds interval_;
  std::vector<Reading> readings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace infrashare
