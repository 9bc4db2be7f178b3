// What one person wants of infrashare's e-mails (docs/email.md, "Preferences"): none at all, not
// of some moments, and in which language. Kept per address hash (no address is stored), changed
// through the signed link at the foot of every e-mail: whoever holds an e-mail may change the
// preferences of its recipient for that moment, and nobody else.
#pragma once

#include <set>
#include <string>

#include "absl/strings/string_view.h"

namespace infrashare::mail {

struct Preferences {
  bool all_off = false;       // no e-mail at all
  std::set<std::string> off;  // moments not wanted, e.g. "offer.waiting"
  std::string language;       // "nl", "en"; empty: each e-mail's own
};

// Whether the person wants an e-mail of `moment`.
bool Wants(const Preferences& preferences, absl::string_view moment);

// What a link's action does: "off" (this moment), "on" (this moment again; after "off-all" only
// this one), "off-all", "on-all" (every moment again), "lang-nl", "lang-en", "lang-" (each
// e-mail's own). False for any other.
bool Apply(absl::string_view action, absl::string_view moment, Preferences* preferences);

// The signature of a link an e-mail carries, for (subject, purpose) under `key`: HMAC-SHA-256,
// hex. A preferences link signs (the person's address hash, the moment); the feedback form's
// (the inquiry's id, its path "/desk/feedback"): a path is never a moment's name, so neither
// link opens the other's page.
std::string LinkSignature(absl::string_view key, absl::string_view subject,
                          absl::string_view purpose);
// Whether `signature` is that signature (compared in constant time). False for an empty key or
// subject, and for a subject or purpose with a '|' (the signed message is read one way only).
bool ValidLink(absl::string_view key, absl::string_view subject, absl::string_view purpose,
               absl::string_view signature);

}  // namespace infrashare::mail
