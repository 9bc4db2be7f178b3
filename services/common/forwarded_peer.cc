#include "services/common/forwarded_peer.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace infrashare {
namespace {

constexpr char kHeader[] = "x-infrashare-forwarded-peer";

// 32 random hex digits, made once per process.
const std::string& Secret() {
  static const std::string secret = [] {
    unsigned char bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    char hex[2 * sizeof bytes + 1];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    return std::string(hex);
  }();
  return secret;
}

}  // namespace

void ForwardPeer(grpc::ClientContext* context, const std::string& address) {
  context->AddMetadata(kHeader, absl::StrCat(Secret(), " ", address));
}

std::string PeerOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto found = metadata.find(kHeader);
  if (found != metadata.end()) {
    const std::string value(found->second.data(), found->second.size());
    const std::string prefix = absl::StrCat(Secret(), " ");
    if (absl::StartsWith(value, prefix) && metadata.count(kHeader) == 1)
      return absl::StrCat("rest:", value.substr(prefix.size()));
  }
  return context.peer();
}

}  // namespace infrashare
