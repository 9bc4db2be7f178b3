// A webhook receiver for tests: a cpp-httplib server on 127.0.0.1 (a free port) that records every
// POST with its Standard Webhooks headers and answers each path with the status it is told
// (204 unless told otherwise).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace infrashare::testing {

class WebhookReceiver {
 public:
  struct Delivery {
    std::string path, id, timestamp, signature, body;
    int answered = 0;  // the status it was answered with
    std::chrono::system_clock::time_point arrived;
  };

  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  // http://127.0.0.1:<port><path>
  std::string Url(const std::string& path) const;
  void Answer(const std::string& path, int status);
  // Every request waits this long before it is answered (a slow receiver).
  void Delay(std::chrono::milliseconds delay);
  std::vector<Delivery> Received(const std::string& path) const;
  // The most requests it had under way at one time.
  int MostAtOnce() const;
  // Waits until `done` holds for what `path` received, checking every 20 ms, for up to `limit`;
  // returns whether it held.
  bool WaitFor(const std::string& path,
               const std::function<bool(const std::vector<Delivery>&)>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(30)) const;

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, int> answers_;
  std::chrono::milliseconds delay_{0};
  int under_way_ = 0, most_at_once_ = 0;
  std::vector<Delivery> received_;
};

}  // namespace infrashare::testing
