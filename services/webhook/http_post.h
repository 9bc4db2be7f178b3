// One HTTP POST of a webhook delivery, through libcurl (Debian's libcurl4-openssl-dev): the
// connection goes only to the addresses the target check approved (CURLOPT_RESOLVE pins them, so
// a second name lookup cannot lead elsewhere), redirects are not followed, proxies from the
// environment are not used, and only http(s) is spoken.
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

namespace infrashare::webhook {

struct HttpPost {
  std::string url;
  std::string host;  // as the URL names it
  int port = 0;
  std::vector<std::string> addresses;  // numeric; the only ones connected to
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int timeout_ms = 10000;
};

struct HttpAnswer {
  int status_code = 0;  // 0: no HTTP answer
  std::string error;    // why there was none, short ("timeout", "connection refused", ...)
};

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  virtual HttpAnswer Post(const HttpPost& post) = 0;
};

class CurlPoster final : public HttpPoster {
 public:
  // `stop` (may be null) ends a transfer under way when it turns true (shutdown).
  explicit CurlPoster(const std::atomic<bool>* stop = nullptr);
  HttpAnswer Post(const HttpPost& post) override;

 private:
  const std::atomic<bool>* stop_;
};

}  // namespace infrashare::webhook
