// Server-assigned identifiers and secrets, from libsodium's CSPRNG.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace google::protobuf {
class Message;
}

namespace infrashare {

// Random lowercase base32 text of `length` characters.
std::string RandomBase32(size_t length);
// "<prefix>_<16 base32 chars>", e.g. "res_k3j5d0qz8m2x1abc".
std::string NewId(absl::string_view prefix);
// Hex BLAKE2b-256 of `text`: how secrets are stored.
std::string SecretHash(absl::string_view text);
// Client-chosen ids: 1..64 of [a-z0-9_-], starting with a letter or digit.
bool IsValidId(absl::string_view id);
// What a mutating call's replay is stored under: "<request_id>#<fingerprint>", the fingerprint a
// hash of the rest of the request (deterministically serialized), so a retry of the same request
// finds its first response and the same request_id with other parameters is refused (prelude.lua).
// Empty when the request has no request_id.
std::string IdempotencyKey(const google::protobuf::Message& request);

}  // namespace infrashare
