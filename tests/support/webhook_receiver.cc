#include "tests/support/webhook_receiver.h"

#include <httplib.h>

#include <algorithm>
#include <stdexcept>

namespace infrashare::testing {

WebhookReceiver::WebhookReceiver() : server_(std::make_unique<httplib::Server>()) {
  server_->Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
    const auto arrived = std::chrono::system_clock::now();
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mutex_);
      delay = delay_;
      most_at_once_ = std::max(most_at_once_, ++under_way_);
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    Delivery d;
    d.arrived = arrived;
    d.path = request.path;
    d.id = request.get_header_value("webhook-id");
    d.timestamp = request.get_header_value("webhook-timestamp");
    d.signature = request.get_header_value("webhook-signature");
    d.body = request.body;
    std::lock_guard lock(mutex_);
    auto it = answers_.find(request.path);
    d.answered = it == answers_.end() ? 204 : it->second;
    response.status = d.answered;
    --under_way_;
    received_.push_back(std::move(d));
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("the webhook receiver cannot listen");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

WebhookReceiver::~WebhookReceiver() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string WebhookReceiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::Answer(const std::string& path, int status) {
  std::lock_guard lock(mutex_);
  answers_[path] = status;
}

void WebhookReceiver::Delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  delay_ = delay;
}

int WebhookReceiver::MostAtOnce() const {
  std::lock_guard lock(mutex_);
  return most_at_once_;
}

std::vector<WebhookReceiver::Delivery> WebhookReceiver::Received(const std::string& path) const {
  std::lock_guard lock(mutex_);
  std::vector<Delivery> out;
  for (const auto& d : received_)
    if (d.path == path) out.push_back(d);
  return out;
}

bool WebhookReceiver::WaitFor(const std::string& path,
                              const std::function<bool(const std::vector<Delivery>&)>& done,
                              std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (done(Received(path))) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace infrashare::testing
