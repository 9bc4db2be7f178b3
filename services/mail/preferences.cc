#include "services/mail/preferences.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/mail/templates.h"

namespace infrashare::mail {

bool Wants(const Preferences& preferences, absl::string_view moment) {
  return !preferences.all_off && preferences.off.count(std::string(moment)) == 0;
}

bool Apply(absl::string_view action, absl::string_view moment, Preferences* preferences) {
  if (action == "off") {
    preferences->off.insert(std::string(moment));
  } else if (action == "on") {
    if (preferences->all_off) {  // only this kind again: every other one stays off
      preferences->all_off = false;
      for (const std::string& other : Moments()) preferences->off.insert(other);
    }
    preferences->off.erase(std::string(moment));
  } else if (action == "off-all") {
    preferences->all_off = true;
  } else if (action == "on-all") {
    preferences->all_off = false;
    preferences->off.clear();
  } else if (action == "lang-nl" || action == "lang-en" || action == "lang-") {
    preferences->language = std::string(action.substr(5));
  } else {
    return false;
  }
  return true;
}

std::string LinkSignature(absl::string_view key, absl::string_view subject,
                          absl::string_view purpose) {
  const std::string message = absl::StrCat(subject, "|", purpose);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[2 * sizeof mac + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

bool ValidLink(absl::string_view key, absl::string_view subject, absl::string_view purpose,
               absl::string_view signature) {
  if (key.empty() || subject.empty() || absl::StrContains(subject, '|') ||
      absl::StrContains(purpose, '|'))
    return false;
  const std::string expected = LinkSignature(key, subject, purpose);
  return signature.size() == expected.size() &&
         sodium_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

}  // namespace infrashare::mail
