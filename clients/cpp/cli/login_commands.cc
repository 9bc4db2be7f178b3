// `infrashare login`: an OpenID Connect access token through the device authorization grant
// (RFC 8628) against the institution's issuer. The CLI shows a code and an address; the person
// logs in there in a browser (on any device) while the CLI waits, then keeps the access token in a
// file of their own (0600), with the server it was logged in for; later commands to that server
// use it when neither --token nor INFRASHARE_TOKEN is given. `infrashare logout` removes it.
#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "services/common/url_rules.h"

namespace infrashare::cli {
namespace {

using json = nlohmann::json;

struct LoginFlags {
  std::string issuer, client_id, scope = "openid", audience, token_file;
};

size_t Collect(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * count > (1 << 20)) return 0;  // an answer this large is not one
  body->append(data, size * count);
  return size * count;
}

std::string Form(CURL* curl, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    char* escaped = curl_easy_escape(curl, value.c_str(), static_cast<int>(value.size()));
    absl::StrAppend(&out, out.empty() ? "" : "&", name, "=", escaped);
    curl_free(escaped);
  }
  return out;
}

// GET (form empty) or POST a form; the answer's JSON, or an error in words. The answer of a 4xx
// is returned too: the token endpoint says "authorization_pending" that way.
absl::StatusOr<json> Exchange(const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& form = {}) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::UnavailableError("libcurl could not start");
  std::string body, posted;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 15000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  if (!form.empty()) {
    posted = Form(curl.get(), form);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, posted.c_str());
  }
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK)
    return absl::UnavailableError(absl::StrCat(url, ": ", curl_easy_strerror(code)));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  json answer = json::parse(body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object())
    return absl::UnavailableError(absl::StrCat(url, " answered HTTP ", status, " without JSON"));
  if (status >= 500) return absl::UnavailableError(absl::StrCat(url, " answered HTTP ", status));
  return answer;
}

std::string Text(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int Number(const json& object, const char* name, int otherwise) {
  auto it = object.find(name);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : otherwise;
}

// An endpoint must be https, or http to this machine (an issuer under test).
bool Acceptable(const std::string& url) {
  return absl::StartsWith(url, "https://") || IsLoopbackHttpUrl(url);
}

// What an issuer says, fit for a terminal: no control characters (escape sequences), at most 300
// characters.
std::string Printable(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return text.substr(0, 300);
}

// Writes the token, and the server it is for, to `path` so that only its owner may read them: a new
// file (0600) beside it, renamed over it, never written through a link that stands at `path`.
absl::Status Keep(const std::filesystem::path& path, const std::string& token,
                  const std::string& server) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  const std::string temporary = path.string() + ".new";
  ::unlink(temporary.c_str());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  if (fd < 0) return absl::PermissionDeniedError("cannot write " + temporary);
  const std::string text = absl::StrCat(token, "\n", server, "\n");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = ::close(fd) == 0;
  if (!written || !closed || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return absl::PermissionDeniedError("cannot write " + path.string());
  }
  return absl::OkStatus();
}

void Login(App& app, const LoginFlags& f) {
  // The issuer exactly as it names itself (some end in "/"); its configuration under it.
  const std::string& issuer = f.issuer;
  std::string base = issuer;
  while (absl::EndsWith(base, "/")) base.pop_back();
  if (!Acceptable(issuer))
    return app.FailUsage("--issuer must be an https:// address (http:// only to this machine)");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto discovery = Exchange(base + "/.well-known/openid-configuration");
  if (!discovery.ok())
    return app.Fail(
        absl::StrCat("cannot read the issuer's configuration: ", discovery.status().message()));
  const std::string device_endpoint = Text(*discovery, "device_authorization_endpoint");
  const std::string token_endpoint = Text(*discovery, "token_endpoint");
  if (Text(*discovery, "issuer") != issuer)
    return app.Fail("the issuer's configuration names another issuer (" +
                    Printable(Text(*discovery, "issuer")) + ")");
  if (device_endpoint.empty() || token_endpoint.empty())
    return app.Fail("the issuer does not offer the device authorization grant");
  // Endpoints as safe as the issuer: https, or http to this machine only for an issuer there.
  const bool local = IsLoopbackHttpUrl(issuer);
  for (const std::string& endpoint : {device_endpoint, token_endpoint})
    if (!absl::StartsWith(endpoint, "https://") && !(local && IsLoopbackHttpUrl(endpoint)))
      return app.Fail("the issuer's endpoints are not https://");

  std::vector<std::pair<std::string, std::string>> ask = {{"client_id", f.client_id},
                                                          {"scope", f.scope}};
  if (!f.audience.empty()) ask.emplace_back("audience", f.audience);
  auto device = Exchange(device_endpoint, ask);
  if (!device.ok()) return app.Fail(std::string(device.status().message()));
  if (!Text(*device, "error").empty())
    return app.Fail(absl::StrCat("the issuer refused: ", Printable(Text(*device, "error")), " ",
                                 Printable(Text(*device, "error_description"))));
  const std::string device_code = Text(*device, "device_code");
  const std::string user_code = Text(*device, "user_code");
  const std::string verify = Text(*device, "verification_uri");
  if (device_code.empty() || user_code.empty() || verify.empty())
    return app.Fail("the issuer's answer lacks device_code, user_code or verification_uri");
  const std::string complete = Text(*device, "verification_uri_complete");
  std::cerr << "Open " << Printable(verify) << " and enter the code " << Printable(user_code);
  if (!complete.empty()) std::cerr << " (or open " << Printable(complete) << ")";
  std::cerr << "\nWaiting for you to log in ...\n";

  int interval = std::clamp(Number(*device, "interval", 5), 1, 60);
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::seconds(std::clamp(Number(*device, "expires_in", 600), 1, 3600));
  while (std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::seconds(interval));
    auto answer =
        Exchange(token_endpoint, {{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                                  {"device_code", device_code},
                                  {"client_id", f.client_id}});
    if (!answer.ok()) return app.Fail(std::string(answer.status().message()));
    const std::string error = Text(*answer, "error");
    if (error == "authorization_pending") continue;
    if (error == "slow_down") {
      interval = std::min(interval + 5, 60);
      continue;
    }
    if (error == "access_denied") return app.Fail("the login was refused at the issuer");
    if (error == "expired_token") return app.Fail("the code expired before the login; try again");
    if (!error.empty())
      return app.Fail(absl::StrCat("the issuer refused: ", Printable(error), " ",
                                   Printable(Text(*answer, "error_description"))));
    const std::string token = Text(*answer, "access_token");
    if (token.empty() || !client::CleanToken(token))
      return app.Fail("the issuer's answer holds no usable access_token");
    const std::filesystem::path path = f.token_file.empty() ? DefaultTokenFile() : f.token_file;
    // Kept with the server it is for: other servers never get it unasked.
    if (auto kept = Keep(path, token, app.options.server); !kept.ok())
      return app.Fail(std::string(kept.message()));
    const int lifetime = Number(*answer, "expires_in", 0);
    std::cerr << "Logged in to " << app.options.server << "; the access token is in "
              << path.string();
    if (lifetime > 0) std::cerr << " for " << lifetime / 60 << " minutes";
    std::cerr << ".\n";
    return;
  }
  app.Fail("the code expired before the login; try again");
}

}  // namespace

std::string DefaultTokenFile() {
  if (const char* file = std::getenv("INFRASHARE_TOKEN_FILE"); file != nullptr && *file != '\0')
    return file;
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config != nullptr && *config != '\0')
    return std::string(config) + "/infrashare/token";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/infrashare/token";
}

void AddLoginCommands(CLI::App& cli, App& app) {
  auto f = std::make_shared<LoginFlags>();
  auto* login = cli.add_subcommand(
      "login", "log in with your institution's account (OpenID Connect device authorization)");
  login
      ->add_option("--issuer", f->issuer,
                   "the issuer's address, e.g. https://connect.surfconext.nl")
      ->required();
  login->add_option("--client-id", f->client_id, "this CLI's client id at the issuer")->required();
  login->add_option("--scope", f->scope, "scopes to ask for")->capture_default_str();
  login->add_option("--audience", f->audience, "the API's audience, if the issuer asks for one");
  login->add_option("--token-file", f->token_file,
                    "where to keep the access token (default: " + DefaultTokenFile() + ")");
  login->callback([&app, f] { Login(app, *f); });

  auto* logout = cli.add_subcommand("logout", "forget the access token `login` kept");
  logout->add_option("--token-file", f->token_file, "the file `login` wrote");
  logout->callback([&app, f] {
    const std::string path = f->token_file.empty() ? DefaultTokenFile() : f->token_file;
    std::error_code error;
    if (std::filesystem::remove(path, error))
      std::cerr << "removed " << path << "\n";
    else if (error)
      app.Fail("cannot remove " + path + ": " + error.message());
    else
      std::cerr << "no token kept in " << path << "\n";
  });
}

}  // namespace infrashare::cli
