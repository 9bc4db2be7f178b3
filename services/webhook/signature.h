// Standard Webhooks signatures (https://www.standardwebhooks.com): a secret is "whsec_" and the
// base64 of random bytes, which are the HMAC-SHA256 key; a delivery's signature is
// "v1,<base64 of HMAC-SHA256(key, '<webhook-id>.<webhook-timestamp>.<body>')>", and the header
// carries one such signature per valid secret, separated by spaces.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace infrashare::webhook {

inline constexpr absl::string_view kSecretPrefix = "whsec_";

// A new secret: kSecretPrefix and the base64 of 32 random bytes (libsodium's CSPRNG).
std::string NewSecret();
// The key bytes of a secret; INVALID_ARGUMENT when it is not one.
absl::StatusOr<std::string> SecretKey(absl::string_view secret);
// "v1,<base64 signature>" of one delivery with one secret.
absl::StatusOr<std::string> Sign(absl::string_view secret, absl::string_view webhook_id,
                                 int64_t timestamp_s, absl::string_view body);
// The webhook-signature header: the signatures of every secret, space-separated.
absl::StatusOr<std::string> SignatureHeader(const std::vector<std::string>& secrets,
                                            absl::string_view webhook_id, int64_t timestamp_s,
                                            absl::string_view body);
// Whether `header` holds a v1 signature of the delivery by `secret` (what a receiver checks; the
// tests' receiver uses it). Compared in constant time.
bool Verify(absl::string_view secret, absl::string_view header, absl::string_view webhook_id,
            int64_t timestamp_s, absl::string_view body);

}  // namespace infrashare::webhook
