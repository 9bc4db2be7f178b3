#include "tests/support/smtp_server.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_replace.h"
#include "tests/support/redis_server.h"

namespace infrashare::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

SmtpServer::SmtpServer(Options options) : port_(options.port != 0 ? options.port : FreePort()) {
  char pattern[] = "/tmp/infrashare-smtp-XXXXXX";
  dir_ = mkdtemp(pattern);
  std::filesystem::create_directory(dir_ + "/mail");
  std::vector<std::string> args = {
      "/usr/bin/python3",
      std::string(INFRASHARE_SOURCE_DIR) + "/tests/support/smtp_server.py",
      "--port",
      std::to_string(port_),
      "--dir",
      dir_ + "/mail"};
  if (!options.cert_file.empty())
    args.insert(args.end(), {"--cert", options.cert_file, "--key", options.key_file});
  if (!options.user.empty())
    args.insert(args.end(), {"--user", options.user, "--password", options.password});
  for (const auto& address : options.refuse) args.insert(args.end(), {"--refuse", address});
  // Prepared before fork: the child only makes system calls (this process has threads).
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = dir_ + "/out.log";
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    int sink = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(sink, STDOUT_FILENO);
    dup2(sink, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 400; ++i) {
    if (Slurp(log).find("ready") != std::string::npos) return;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("the SMTP server did not start: " + Slurp(log));
}

SmtpServer::~SmtpServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string SmtpServer::url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

std::vector<SmtpServer::Message> SmtpServer::Messages() const {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/mail"))
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  std::vector<Message> out;
  for (const auto& file : files) {
    const auto j = nlohmann::json::parse(Slurp(file));
    Message m;
    m.mail_from = j.value("mail_from", "");
    m.rcpt_tos = j.value("rcpt_tos", std::vector<std::string>{});
    m.tls = j.value("tls", false);
    m.authenticated = j.value("authenticated", false);
    m.from = j.value("from", "");
    m.to = j.value("to", "");
    m.subject = j.value("subject", "");
    m.message_id = j.value("message_id", "");
    m.content_language = j.value("content_language", "");
    m.auto_submitted = j.value("auto_submitted", "");
    m.content_type = j.value("content_type", "");
    m.charset = j.value("charset", "");
    m.text = absl::StrReplaceAll(j.value("text", ""), {{"\r\n", "\n"}});
    m.raw = j.value("raw", "");
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<SmtpServer::Message> SmtpServer::WaitFor(size_t count, int seconds) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<Message> messages = Messages();
  while (messages.size() < count && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    messages = Messages();
  }
  return messages;
}

}  // namespace infrashare::testing
