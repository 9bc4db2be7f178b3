// A real SMTP server for a test (tests/support/smtp_server.py, Debian's python3-aiosmtpd) on a
// free loopback port, killed at the end. What it accepted is read back as a mail reader parses it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace infrashare::testing {

class SmtpServer {
 public:
  struct Options {
    std::string cert_file, key_file;  // STARTTLS offered and required
    std::string user, password;       // AUTH required
    std::vector<std::string> refuse;  // RCPT answered 550
    int port = 0;                     // 0: a free one
  };
  struct Message {
    std::string mail_from;
    std::vector<std::string> rcpt_tos;
    bool tls = false, authenticated = false;
    std::string from, to, subject, message_id, content_language, auto_submitted, content_type,
        charset;
    std::string text;  // decoded, \n line ends
    std::string raw;   // as received
  };

  explicit SmtpServer(Options options);
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  // smtp://127.0.0.1:<port>
  std::string url() const;
  // Every message accepted so far, in order.
  std::vector<Message> Messages() const;
  // Waits up to `seconds` until at least `count` messages arrived; returns them.
  std::vector<Message> WaitFor(size_t count, int seconds = 20) const;
  // Where each accepted message is written, as a .json file (its time: when it arrived).
  std::string MailDir() const { return dir_ + "/mail"; }

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

}  // namespace infrashare::testing
