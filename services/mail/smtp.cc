#include "services/mail/smtp.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "services/common/curl_transfer.h"

namespace infrashare::mail {
namespace {

struct Upload {
  absl::string_view rest;
};

size_t Read(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

std::string ErrorOf(CURLcode code) {
  if (const char* common = CommonCurlError(code)) return common;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return "the relay's name does not resolve";
    case CURLE_USE_SSL_FAILED:
      return "the relay offers no STARTTLS";
    case CURLE_LOGIN_DENIED:
      return "the relay refused the login";
    default:
      return absl::StrCat("failed: ", curl_easy_strerror(code));
  }
}

}  // namespace

SmtpSender::SmtpSender(EmailConfig config, const std::atomic<bool>* stop)
    : config_(std::move(config)), stop_(stop) {
  InitCurlOnce();
}

MailAnswer SmtpSender::Send(absl::string_view from, absl::string_view to,
                            absl::string_view message) {
  MailAnswer answer;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    answer.error = "out of memory";
    return answer;
  }
  CURL* c = curl.get();
  const std::string sender = absl::StrCat("<", from, ">");
  const std::string recipient = absl::StrCat("<", to, ">");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
      curl_slist_append(nullptr, recipient.c_str()), &curl_slist_free_all);
  Upload upload{message};
  curl_easy_setopt(c, CURLOPT_URL, config_.relay_url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never a proxy from the environment
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   config_.allow_plaintext ? static_cast<long>(CURLUSESSL_NONE)
                                           : static_cast<long>(CURLUSESSL_ALL));
  if (!config_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, sender.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &Read);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  EndOnStop(c, stop_);
  const CURLcode code = curl_easy_perform(c);
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  answer.code = static_cast<int>(reply);
  if (code == CURLE_OK) {
    answer.ok = true;
    return answer;
  }
  if (reply >= 400) {
    answer.error = absl::StrCat("SMTP ", reply);
    answer.permanent = reply >= 500 && code != CURLE_LOGIN_DENIED;  // a login is the relay's config
  } else {
    answer.error = ErrorOf(code);
  }
  return answer;
}

}  // namespace infrashare::mail
