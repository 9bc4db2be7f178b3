// Prometheus metrics in the text exposition format. Debian ships no Prometheus client for C++, so
// this is a small hand-written registry: RPC counts and latency histograms per method and status,
// failed RPCs per method, status and ErrorInfo reason, gauges read from callbacks (Redis pool
// usage, Redis errors) at scrape time, and constant series such as the build's. docs/metrics.md
// lists every metric the server exports.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace httplib {
class Server;
}

namespace infrashare {

class Metrics {
 public:
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  // One finished RPC: `code` is the gRPC status name ("OK", "FAILED_PRECONDITION"), `reason` the
  // google.rpc.ErrorInfo reason of a failed call ("" when it carries none). A call that failed
  // counts in infrashare_rpc_errors_total too.
  void ObserveRpc(absl::string_view method, absl::string_view code, double seconds,
                  absl::string_view reason = "");
  // A value sampled at scrape time, e.g. pool usage. `type` is "gauge" or "counter".
  void AddSampled(std::string name, std::string type, std::string help,
                  std::function<double()> read);
  // A series whose value never changes, e.g. infrashare_build_info{version="0.1.0",...} 1.
  void AddConstant(std::string name, std::string help,
                   std::vector<std::pair<std::string, std::string>> labels, double value);
  // One observation of a histogram of seconds (the RPC buckets) other than the RPCs', e.g. a
  // webhook delivery's latency; the first observation's `help` describes it.
  void Observe(absl::string_view name, absl::string_view help, double seconds);
  std::string Render() const;

  // Reasons come from our own code, but a label must stay bounded whatever a status carries: one
  // that is not an upper-case identifier of at most 64 characters counts as "OTHER".
  static std::string ReasonLabel(absl::string_view reason);

 private:
  struct Histogram {
    std::array<long long, kBuckets.size()> buckets{};
    long long count = 0;
    double sum = 0;
  };
  struct Sampled {
    std::string name, type, help;
    std::string labels;  // rendered, without braces; empty = none
    std::function<double()> read;
  };
  struct ErrorKey {
    std::string method, code, reason;
    auto operator<=>(const ErrorKey&) const = default;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Histogram> rpcs_;
  std::map<ErrorKey, long long> errors_;
  std::map<std::string, std::pair<std::string, Histogram>, std::less<>> histograms_;  // name: help
  std::vector<Sampled> sampled_;
};

// Serves GET /metrics on its own port (cpp-httplib).
class MetricsServer {
 public:
  MetricsServer(Metrics* metrics, std::string listen);
  ~MetricsServer();
  bool Start();  // false when the port cannot be bound
  int port() const { return port_; }

 private:
  Metrics* metrics_;
  std::string listen_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace infrashare
