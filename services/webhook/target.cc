#include "services/webhook/target.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace infrashare::webhook {
namespace {

struct V4Range {
  uint32_t base;
  int bits;
};

constexpr uint32_t Ip(int a, int b, int c, int d) {
  return (static_cast<uint32_t>(a) << 24) | (static_cast<uint32_t>(b) << 16) |
         (static_cast<uint32_t>(c) << 8) | static_cast<uint32_t>(d);
}

// Not the public Internet (IANA's special-purpose registry): this host, private networks,
// carrier-grade NAT, link-local (where clouds answer metadata requests), protocol assignments,
// documentation, benchmarking, multicast and reserved.
constexpr std::array<V4Range, 15> kNotPublicV4 = {{
    {Ip(0, 0, 0, 0), 8},
    {Ip(10, 0, 0, 0), 8},
    {Ip(100, 64, 0, 0), 10},
    {Ip(127, 0, 0, 0), 8},
    {Ip(169, 254, 0, 0), 16},
    {Ip(172, 16, 0, 0), 12},
    {Ip(192, 0, 0, 0), 24},
    {Ip(192, 0, 2, 0), 24},
    {Ip(192, 88, 99, 0), 24},
    {Ip(192, 168, 0, 0), 16},
    {Ip(198, 18, 0, 0), 15},
    {Ip(198, 51, 100, 0), 24},
    {Ip(203, 0, 113, 0), 24},
    {Ip(224, 0, 0, 0), 4},
    {Ip(240, 0, 0, 0), 4},
}};

bool IsPublicV4(uint32_t ip) {
  for (const auto& range : kNotPublicV4) {
    const uint32_t mask = ~uint32_t{0} << (32 - range.bits);
    if ((ip & mask) == range.base) return false;
  }
  return true;
}

uint32_t V4At(const unsigned char* bytes) {
  return (static_cast<uint32_t>(bytes[0]) << 24) | (static_cast<uint32_t>(bytes[1]) << 16) |
         (static_cast<uint32_t>(bytes[2]) << 8) | static_cast<uint32_t>(bytes[3]);
}

bool StartsWithBits(const unsigned char* a, std::initializer_list<unsigned char> prefix, int bits) {
  int i = 0;
  for (unsigned char byte : prefix) {
    const int take = std::min(8, bits - 8 * i);
    if (take <= 0) break;
    const unsigned char mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((a[i] & mask) != (byte & mask)) return false;
    ++i;
  }
  return true;
}

bool IsPublicV6(const unsigned char* a) {
  // ::/96 (unspecified, loopback, the old IPv4-compatible form), ::ffff:0:0/96 (IPv4-mapped).
  static const unsigned char kZero[10] = {};
  if (std::memcmp(a, kZero, 10) == 0) {
    if (a[10] == 0xff && a[11] == 0xff) return IsPublicV4(V4At(a + 12));
    if (a[10] == 0 && a[11] == 0) return false;
  }
  // ::ffff:0:0:0/96 (IPv4-translated, RFC 2765): the IPv4 address decides.
  if (std::memcmp(a, kZero, 8) == 0 && a[8] == 0xff && a[9] == 0xff && a[10] == 0 && a[11] == 0)
    return IsPublicV4(V4At(a + 12));
  // 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64): the IPv4 address they carry decides.
  if (StartsWithBits(a, {0x00, 0x64, 0xff, 0x9b}, 32)) return IsPublicV4(V4At(a + 12));
  // 2002::/16 (6to4): the IPv4 address in bits 16-47.
  if (a[0] == 0x20 && a[1] == 0x02) return IsPublicV4(V4At(a + 2));
  if (StartsWithBits(a, {0x20, 0x01, 0x00, 0x00}, 32)) return false;  // Teredo
  if (StartsWithBits(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) return false;  // documentation
  if (StartsWithBits(a, {0x01, 0x00}, 16) && std::memcmp(a + 2, kZero, 6) == 0)
    return false;                                           // 100::/64, discard
  if ((a[0] & 0xfe) == 0xfc) return false;                  // fc00::/7, unique local
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return false;  // fe80::/10, link-local
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return false;  // fec0::/10, site-local (old)
  if (a[0] == 0xff) return false;                           // multicast
  return true;
}

absl::Status Refused(absl::string_view field, absl::string_view why) {
  return InvalidField(field, why);
}

// libcurl's URL parser (a hand-written one would disagree with the one that connects).
struct UrlHandle {
  CURLU* url = curl_url();
  ~UrlHandle() { curl_url_cleanup(url); }
  std::string Part(CURLUPart part, unsigned flags = 0) const {
    char* value = nullptr;
    if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) return "";
    std::string out(value);
    curl_free(value);
    return out;
  }
};

// A host that does not resolve and one that resolves inside the network get the same answer: two
// answers would let anyone who may make a subscription probe which internal names exist.
absl::Status NotPublic(absl::string_view field, const TargetRules& rules) {
  if (rules.allow_private) return Refused(field, "must name a host that resolves");
  return Refused(field,
                 "must name a host that resolves, and only to public addresses (not private, "
                 "loopback or link-local ones)");
}

}  // namespace

bool IsPublicAddress(absl::string_view address) {
  const std::string text(address);
  unsigned char bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) return IsPublicV4(V4At(bytes));
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) return IsPublicV6(bytes);
  return false;
}

absl::StatusOr<ResolvedTarget> ParseTarget(absl::string_view url, const TargetRules& rules,
                                           absl::string_view field) {
  if (url.empty()) return Refused(field, "is required");
  if (url.size() > 2048) return Refused(field, "at most 2048 bytes");
  UrlHandle handle;
  if (handle.url == nullptr) return absl::ResourceExhaustedError("out of memory");
  const std::string text(url);
  if (curl_url_set(handle.url, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK)
    return Refused(field, "is not a URL");
  ResolvedTarget target;
  target.scheme = absl::AsciiStrToLower(handle.Part(CURLUPART_SCHEME));
  if (target.scheme != "https" && !(target.scheme == "http" && rules.allow_http))
    return Refused(
        field, rules.allow_http ? "must be an https:// or http:// URL" : "must be an https:// URL");
  if (!handle.Part(CURLUPART_USER).empty() || !handle.Part(CURLUPART_PASSWORD).empty())
    return Refused(field,
                   "must not hold a user name or password (put a credential in a header "
                   "your receiver checks, or verify the signature)");
  std::string host = absl::AsciiStrToLower(handle.Part(CURLUPART_HOST));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return Refused(field, "must name a host");
  // The delivery pins the addresses checked here to the host as written (CURLOPT_RESOLVE); curl
  // resolves "example.org." and a UTF-8 name apart from that pin, so neither is taken.
  if (host.back() == '.') return Refused(field, "must name its host without a trailing dot");
  for (unsigned char c : host)
    if (c >= 0x80)
      return Refused(field, "must write an international host name in its ASCII (xn--) form");
  if (!rules.allow_private && (host == "localhost" || absl::EndsWith(host, ".localhost")))
    return Refused(field, "must not be this host (localhost)");
  target.host = host;
  if (!absl::SimpleAtoi(handle.Part(CURLUPART_PORT, CURLU_DEFAULT_PORT), &target.port) ||
      target.port <= 0 || target.port > 65535)
    return Refused(field, "has no valid port");
  return target;
}

absl::StatusOr<ResolvedTarget> ResolveTarget(absl::string_view url, const TargetRules& rules,
                                             absl::string_view field) {
  auto target = ParseTarget(url, rules, field);
  if (!target.ok()) return target.status();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int failed = getaddrinfo(target->host.c_str(), nullptr, &hints, &found);
  if (failed != 0 || found == nullptr) return NotPublic(field, rules);
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
        inet_ntop(a->ai_family, raw, text, sizeof text) == nullptr)
      continue;
    // One address of the host inside the network is enough to refuse it: a connection might go
    // to any of them.
    if (!rules.allow_private && !IsPublicAddress(text)) return NotPublic(field, rules);
    bool seen = false;
    for (const auto& known : target->addresses) seen = seen || known == text;
    if (!seen) target->addresses.push_back(text);
  }
  if (target->addresses.empty()) return NotPublic(field, rules);
  return target;
}

}  // namespace infrashare::webhook
