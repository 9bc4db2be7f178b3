// The page behind the link at the foot of every e-mail (docs/email.md, "Preferences"): one person
// turns e-mails of one kind, or all, off and on again and picks their language. The link names the
// person by a hash of their address and is signed for (person, moment), so it changes only its
// recipient's preferences and no other address can be guessed from it.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/http/public_site.h"
#include "services/mail/preferences.h"

namespace infrashare::http {

struct EmailPreferencesView {
  std::function<absl::StatusOr<std::string>()> link_key;  // what links are signed with
  std::function<absl::StatusOr<mail::Preferences>(const std::string& person)> get;
  std::function<absl::Status(const std::string& person, const mail::Preferences&)> set;
};

// /email/preferences?a=<person>&m=<moment>&s=<signature>: GET shows the person's preferences
// with buttons; POST with do=<action> (mail::Apply) changes them; POST with
// List-Unsubscribe=One-Click (RFC 8058, a mail program's unsubscribe button) turns the moment off.
// A link infrashare did not sign is 404.
void RegisterEmailPreferences(EmailPreferencesView view, PublicSite* site);

}  // namespace infrashare::http
