#include "services/common/business_gauges.h"

#include <limits>

#include "services/common/logging.h"

namespace infrashare {

void BusinessGauges::Add(BusinessGauge gauge) {
  auto value = std::make_shared<std::atomic<double>>(std::numeric_limits<double>::quiet_NaN());
  metrics_->AddSampled(gauge.name, "gauge", gauge.help, [value] { return value->load(); });
  readings_.push_back({std::move(gauge), std::move(value)});
}

void BusinessGauges::Start() {
  if (readings_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void BusinessGauges::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BusinessGauges::Run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    ReadAll();
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stop_; });
  }
}

void BusinessGauges::ReadAll() {
  for (Reading& reading : readings_) {
    auto value = reading.gauge.read();
    if (value.ok()) {
      reading.value->store(static_cast<double>(*value));
      if (reading.failing)
        logging::Info("business gauge read again", {{"gauge", reading.gauge.name}});
      reading.failing = false;
      continue;
    }
    // An old number would look current: unknown until it can be read again.
    reading.value->store(std::numeric_limits<double>::quiet_NaN());
    if (!reading.failing)
      logging::Warn(
          "business gauge cannot be read",
          {{"gauge", reading.gauge.name}, {"error", std::string(value.status().message())}});
    reading.failing = true;
  }
}

}  // namespace infrashare
