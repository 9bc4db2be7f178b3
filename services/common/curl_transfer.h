// What every libcurl transfer of ours shares (webhook POSTs, e-mail through SMTP): the library
// initialised once per process, a transfer that ends when the server shuts down, and the words
// for the failures every protocol has. Header-only, for the libraries that link libcurl (Debian's
// libcurl4-openssl-dev); infrashare_common itself does not.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <mutex>

namespace infrashare {

inline void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

inline int AbortWhenStopped(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* flag = static_cast<const std::atomic<bool>*>(stop);
  return flag != nullptr && flag->load() ? 1 : 0;  // non-zero aborts the transfer
}

// The transfer on `curl` ends as soon as `*stop` turns true (`stop` may be null: never).
inline void EndOnStop(CURL* curl, const std::atomic<bool>* stop) {
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &AbortWhenStopped);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(stop));
}

// Short words for a failure any transfer can have; nullptr for one the protocol names itself.
inline const char* CommonCurlError(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    case CURLE_COULDNT_CONNECT:
      return "connection refused";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return "TLS handshake failed";
    case CURLE_ABORTED_BY_CALLBACK:
      return "server shutting down";
    default:
      return nullptr;
  }
}

}  // namespace infrashare
