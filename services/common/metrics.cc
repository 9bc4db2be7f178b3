#include "services/common/metrics.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace infrashare {

void Metrics::ObserveRpc(absl::string_view method, absl::string_view code, double seconds) {
  std::lock_guard lock(mutex_);
  Histogram& h = rpcs_[{std::string(method), std::string(code)}];
  h.count++;
  h.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) h.buckets[i]++;
}

void Metrics::AddSampled(std::string name, std::string type, std::string help,
                         std::function<double()> read) {
  std::lock_guard lock(mutex_);
  sampled_.push_back({std::move(name), std::move(type), std::move(help), std::move(read)});
}

std::string Metrics::Render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP infrashare_rpc_total RPCs handled, by method and status code.\n";
  out += "# TYPE infrashare_rpc_total counter\n";
  for (const auto& [key, h] : rpcs_)
    absl::StrAppend(&out, "infrashare_rpc_total{method=\"", key.first, "\",code=\"", key.second,
                    "\"} ", h.count, "\n");
  out += "# HELP infrashare_rpc_duration_seconds RPC latency, by method and status code.\n";
  out += "# TYPE infrashare_rpc_duration_seconds histogram\n";
  for (const auto& [key, h] : rpcs_) {
    std::string labels = absl::StrCat("method=\"", key.first, "\",code=\"", key.second, "\"");
    for (size_t i = 0; i < kBuckets.size(); ++i)
      absl::StrAppend(&out, "infrashare_rpc_duration_seconds_bucket{", labels, ",le=\"",
                      kBuckets[i], "\"} ", h.buckets[i], "\n");
    absl::StrAppend(&out, "infrashare_rpc_duration_seconds_bucket{", labels, ",le=\"+Inf\"} ",
                    h.count, "\n");
    absl::StrAppend(&out, "infrashare_rpc_duration_seconds_sum{", labels, "} ", h.sum, "\n");
    absl::StrAppend(&out, "infrashare_rpc_duration_seconds_count{", labels, "} ", h.count, "\n");
  }
  for (const auto& s : sampled_) {
    absl::StrAppend(&out, "# HELP ", s.name, " ", s.help, "\n# TYPE ", s.name, " ", s.type, "\n",
                    s.name, " ", s.read(), "\n");
  }
  return out;
}

MetricsServer::MetricsServer(Metrics* metrics, std::string listen)
    : metrics_(metrics), listen_(std::move(listen)), server_(std::make_unique<httplib::Server>()) {}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool MetricsServer::Start() {
  // One scraper at a time is the norm: two workers, not httplib's default of eight threads that
  // would sit idle beside the gRPC server's (issue #13 counts every thread of the process).
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_->Render(), "text/plain; version=0.0.4");
  });
  auto colon = listen_.rfind(':');
  std::string host = listen_.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(listen_.substr(colon + 1), &port)) return false;
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) return false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return true;
}

}  // namespace infrashare
