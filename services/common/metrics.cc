#include "services/common/metrics.h"

#include <httplib.h>

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace infrashare {
namespace {

// A label value as the text format quotes it: backslash, double quote and newline escaped.
std::string LabelValue(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// A sample value: whole numbers without an exponent (a count of a million is "1000000", not
// "1e+06"), and NaN for a value not known (yet).
std::string SampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0)
    return absl::StrCat(static_cast<long long>(value));
  return absl::StrCat(value);
}

}  // namespace

std::string Metrics::ReasonLabel(absl::string_view reason) {
  constexpr size_t kMaxReason = 64;
  if (reason.size() > kMaxReason) return "OTHER";
  for (char c : reason)
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c) && c != '_') return "OTHER";
  return std::string(reason);
}

void Metrics::ObserveRpc(absl::string_view method, absl::string_view code, double seconds,
                         absl::string_view reason) {
  std::string reason_label = code == "OK" ? std::string() : ReasonLabel(reason);
  std::lock_guard lock(mutex_);
  Histogram& h = rpcs_[{std::string(method), std::string(code)}];
  h.count++;
  h.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) h.buckets[i]++;
  if (code != "OK") errors_[{std::string(method), std::string(code), std::move(reason_label)}]++;
}

void Metrics::Observe(absl::string_view name, absl::string_view help, double seconds) {
  std::lock_guard lock(mutex_);
  auto it = histograms_.find(name);
  if (it == histograms_.end())
    it = histograms_.emplace(std::string(name), std::make_pair(std::string(help), Histogram()))
             .first;
  Histogram& h = it->second.second;
  h.count++;
  h.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) h.buckets[i]++;
}

void Metrics::AddSampled(std::string name, std::string type, std::string help,
                         std::function<double()> read) {
  std::lock_guard lock(mutex_);
  sampled_.push_back({std::move(name), std::move(type), std::move(help), "", std::move(read)});
}

void Metrics::AddConstant(std::string name, std::string help,
                          std::vector<std::pair<std::string, std::string>> labels, double value) {
  std::string rendered;
  for (const auto& [label, label_value] : labels)
    absl::StrAppend(&rendered, rendered.empty() ? "" : ",", label, "=\"", LabelValue(label_value),
                    "\"");
  std::lock_guard lock(mutex_);
  sampled_.push_back(
      {std::move(name), "gauge", std::move(help), std::move(rendered), [value] { return value; }});
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
  out +=
      "# HELP infrashare_rpc_errors_total RPCs that ended in an error, by method, status code and "
      "the google.rpc.ErrorInfo reason of the status (empty when it carries none).\n";
  out += "# TYPE infrashare_rpc_errors_total counter\n";
  for (const auto& [key, count] : errors_)
    absl::StrAppend(&out, "infrashare_rpc_errors_total{method=\"", key.method, "\",code=\"",
                    key.code, "\",reason=\"", key.reason, "\"} ", count, "\n");
  for (const auto& [name, described] : histograms_) {
    const auto& [help, h] = described;
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " histogram\n");
    for (size_t i = 0; i < kBuckets.size(); ++i)
      absl::StrAppend(&out, name, "_bucket{le=\"", kBuckets[i], "\"} ", h.buckets[i], "\n");
    absl::StrAppend(&out, name, "_bucket{le=\"+Inf\"} ", h.count, "\n", name, "_sum ", h.sum, "\n",
                    name, "_count ", h.count, "\n");
  }
  for (const auto& s : sampled_) {
    absl::StrAppend(&out, "# HELP ", s.name, " ", s.help, "\n# TYPE ", s.name, " ", s.type, "\n",
                    s.name, s.labels.empty() ? "" : "{", s.labels, s.labels.empty() ? "" : "}", " ",
                    SampleValue(s.read()), "\n");
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
