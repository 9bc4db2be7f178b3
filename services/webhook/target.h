// Where a webhook may be sent: the target URL's rules and the server-side request forgery guard.
// A target is https (http only where the configuration allows it), names a host and no user
// credentials, and every address its host resolves to is a public one: never loopback, private
// (RFC 1918, unique local), link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
// multicast, reserved or unspecified, and never a "localhost" name — unless the configuration
// allows private targets (tests). The check runs when a subscription is made or changed and again
// before every delivery, whose connection then goes only to the addresses checked (a name that
// resolves to a public address at first and to an internal one later, DNS rebinding, gets
// nothing).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace infrashare::webhook {

struct TargetRules {
  bool allow_http = false;
  bool allow_private = false;
};

// A target URL taken apart, and the addresses to connect to.
struct ResolvedTarget {
  std::string scheme;  // "https" or "http"
  std::string host;    // as the URL names it (an IPv6 literal without brackets)
  int port = 0;
  std::vector<std::string> addresses;  // numeric, each checked
};

// Whether `address` (numeric IPv4 or IPv6) is one a webhook may reach when private targets are not
// allowed. IPv4 inside IPv6 (mapped, NAT64, 6to4) counts as the IPv4 address it carries.
bool IsPublicAddress(absl::string_view address);

// The URL's syntax and scheme; INVALID_ARGUMENT naming `field` otherwise. No name lookup.
absl::StatusOr<ResolvedTarget> ParseTarget(absl::string_view url, const TargetRules& rules,
                                           absl::string_view field);

// ParseTarget, then the host's addresses, each checked; INVALID_ARGUMENT naming `field` when the
// URL or an address is refused or the host does not resolve. The message never repeats the URL.
absl::StatusOr<ResolvedTarget> ResolveTarget(absl::string_view url, const TargetRules& rules,
                                             absl::string_view field);

}  // namespace infrashare::webhook
