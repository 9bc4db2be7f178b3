// Rules about addresses shared by the server and the CLI (header-only: the CLI links none of the
// server's libraries).
#pragma once

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace infrashare {

// Whether `url` is http:// to 127.0.0.1, [::1] or localhost (any port): a server on this machine,
// the one place where plain HTTP is taken for keys and logins. The host is the URL's whole host,
// so "http://127.0.0.1.example.org/" and "http://localhost@evil.example/" are not such URLs.
inline bool IsLoopbackHttpUrl(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "http://")) return false;
  const absl::string_view authority = url.substr(0, url.find_first_of("/?#"));
  if (authority.find('@') != absl::string_view::npos) return false;
  if (absl::StartsWith(authority, "[::1]")) return authority.size() == 5 || authority[5] == ':';
  const absl::string_view host = authority.substr(0, authority.find(':'));
  return host == "127.0.0.1" || host == "localhost";
}

}  // namespace infrashare
