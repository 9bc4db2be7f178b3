#include "services/webhook/http_post.h"

#include <arpa/inet.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/curl_transfer.h"

namespace infrashare::webhook {
namespace {

// Read and dropped: receivers answer with anything, and nothing of it is kept.
size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

// An address written out in the URL: connected to as it is, no name lookup to pin.
bool IsNumericHost(const std::string& host) {
  unsigned char bytes[16];
  return inet_pton(AF_INET, host.c_str(), bytes) == 1 ||
         inet_pton(AF_INET6, host.c_str(), bytes) == 1;
}

std::string ErrorOf(CURLcode code) {
  if (const char* common = CommonCurlError(code)) return common;
  switch (code) {
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return "connection closed";
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "not an HTTP answer";
    case CURLE_OUT_OF_MEMORY:  // what libcurl says of a header too large to keep
      return "answer too large";
    default:
      return absl::StrCat("failed: ", curl_easy_strerror(code));
  }
}

}  // namespace

CurlPoster::CurlPoster(const std::atomic<bool>* stop) : stop_(stop) { InitCurlOnce(); }

HttpAnswer CurlPoster::Post(const HttpPost& post) {
  HttpAnswer answer;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    answer.error = "out of memory";
    return answer;
  }
  CURL* c = curl.get();
  std::vector<std::string> pinned;
  for (const auto& address : post.addresses)
    pinned.push_back(address.find(':') != std::string::npos ? absl::StrCat("[", address, "]")
                                                            : address);
  const std::string resolve_entry =
      absl::StrCat(post.host, ":", post.port, ":", absl::StrJoin(pinned, ","));
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> resolve(
      IsNumericHost(post.host) ? nullptr : curl_slist_append(nullptr, resolve_entry.c_str()),
      &curl_slist_free_all);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                      &curl_slist_free_all);
  for (const auto& [name, value] : post.headers)
    headers.reset(curl_slist_append(headers.release(), absl::StrCat(name, ": ", value).c_str()));
  headers.reset(curl_slist_append(headers.release(), "Expect:"));  // no 100-continue round trip

  curl_easy_setopt(c, CURLOPT_URL, post.url.c_str());
  if (resolve) curl_easy_setopt(c, CURLOPT_RESOLVE, resolve.get());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never a proxy from the environment
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(post.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(post.timeout_ms));
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "infrashare-webhooks/1");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Discard);
  EndOnStop(c, stop_);
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    answer.error = ErrorOf(code);
    return answer;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  answer.status_code = static_cast<int>(status);
  if (status < 200 || status > 299) answer.error = absl::StrCat("HTTP ", status);
  return answer;
}

}  // namespace infrashare::webhook
