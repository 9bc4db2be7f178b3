// Sending one e-mail through the configured SMTP relay with libcurl (Debian's
// libcurl4-openssl-dev): smtp:// with STARTTLS required (unless the config allows a plaintext
// relay), or smtps://; AUTH when a user name is configured; no proxy from the environment.
#pragma once

#include <atomic>
#include <string>

#include "absl/strings/string_view.h"
#include "services/common/config.h"

namespace infrashare::mail {

struct MailAnswer {
  bool ok = false;
  // Sending it again will not help: the relay refused the message or its recipient for good (a
  // 5xx reply). Otherwise (no connection, 4xx, a timeout) a later try may succeed.
  bool permanent = false;
  int code = 0;       // the relay's last reply code; 0: none
  std::string error;  // short: "connection refused", "SMTP 550", ...
};

class MailSender {
 public:
  virtual ~MailSender() = default;
  // `message`: RFC 5322 (message.h), sent from `from` to `to` (bare addresses).
  virtual MailAnswer Send(absl::string_view from, absl::string_view to,
                          absl::string_view message) = 0;
};

class SmtpSender final : public MailSender {
 public:
  // `stop` (may be null) ends a transfer under way when it turns true (shutdown).
  SmtpSender(EmailConfig config, const std::atomic<bool>* stop = nullptr);
  MailAnswer Send(absl::string_view from, absl::string_view to, absl::string_view message) override;
  const EmailConfig& config() const { return config_; }

 private:
  EmailConfig config_;
  const std::atomic<bool>* stop_;
};

}  // namespace infrashare::mail
