// Server-assigned identifiers and secrets, from libsodium's CSPRNG.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

namespace infrashare {

// Random lowercase base32 text of `length` characters.
std::string RandomBase32(size_t length);
// "<prefix>_<16 base32 chars>", e.g. "res_k3j5d0qz8m2x1abc".
std::string NewId(absl::string_view prefix);
// Hex BLAKE2b-256 of `text`: how secrets are stored.
std::string SecretHash(absl::string_view text);
// Client-chosen ids: 1..64 of [a-z0-9_-], starting with a letter or digit.
bool IsValidId(absl::string_view id);

}  // namespace infrashare
