#include "services/webhook/signature.h"

#include <sodium.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace infrashare::webhook {
namespace {

constexpr size_t kKeyBytes = 32;

std::string Base64(const unsigned char* bytes, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string Mac(const std::string& key, absl::string_view webhook_id, int64_t timestamp_s,
                absl::string_view body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  const std::string head = absl::StrCat(webhook_id, ".", timestamp_s, ".");
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(head.data()),
                                head.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

}  // namespace

std::string NewSecret() {
  static const bool ready = sodium_init() >= 0;  // idempotent; ids.cc aborts when it fails
  (void)ready;
  unsigned char key[kKeyBytes];
  randombytes_buf(key, sizeof key);
  return absl::StrCat(kSecretPrefix, Base64(key, sizeof key));
}

absl::StatusOr<std::string> SecretKey(absl::string_view secret) {
  if (!absl::StartsWith(secret, kSecretPrefix))
    return absl::InvalidArgumentError("not a webhook secret");
  const absl::string_view text = secret.substr(kSecretPrefix.size());
  std::string key(text.size(), '\0');
  size_t size = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), text.data(),
                        text.size(), nullptr, &size, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      size == 0)
    return absl::InvalidArgumentError("not a webhook secret");
  key.resize(size);
  return key;
}

absl::StatusOr<std::string> Sign(absl::string_view secret, absl::string_view webhook_id,
                                 int64_t timestamp_s, absl::string_view body) {
  auto key = SecretKey(secret);
  if (!key.ok()) return key.status();
  const std::string mac = Mac(*key, webhook_id, timestamp_s, body);
  return absl::StrCat("v1,",
                      Base64(reinterpret_cast<const unsigned char*>(mac.data()), mac.size()));
}

absl::StatusOr<std::string> SignatureHeader(const std::vector<std::string>& secrets,
                                            absl::string_view webhook_id, int64_t timestamp_s,
                                            absl::string_view body) {
  std::string header;
  for (const auto& secret : secrets) {
    auto signature = Sign(secret, webhook_id, timestamp_s, body);
    if (!signature.ok()) return signature.status();
    absl::StrAppend(&header, header.empty() ? "" : " ", *signature);
  }
  return header;
}

bool Verify(absl::string_view secret, absl::string_view header, absl::string_view webhook_id,
            int64_t timestamp_s, absl::string_view body) {
  auto expected = Sign(secret, webhook_id, timestamp_s, body);
  if (!expected.ok()) return false;
  bool found = false;
  for (absl::string_view candidate : absl::StrSplit(header, ' ', absl::SkipEmpty())) {
    if (candidate.size() == expected->size() &&
        sodium_memcmp(candidate.data(), expected->data(), candidate.size()) == 0)
      found = true;
  }
  return found;
}

}  // namespace infrashare::webhook
