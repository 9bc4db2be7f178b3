// An e-mail as infrashare writes it (RFC 5322 with MIME, RFC 2045-2047): plain UTF-8 text to one
// recipient. A subject or sender name that is not ASCII goes as RFC 2047 encoded-words and the text
// as base64 in lines of 76, so no line is too long for a relay and nothing a user typed (a name, a
// question) can end a header or start another.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace infrashare::mail {

struct Email {
  std::string from_name;     // display name, may be empty
  std::string from_address;  // IsSendableAddress (services/common/text_fold.h)
  std::string to;            // IsSendableAddress
  std::string subject;       // one line
  std::string text;          // UTF-8; lines end in \n (or \r\n)
  std::string language;      // Content-Language: "nl", "en"
  std::string message_id;    // unique, [A-Za-z0-9._-]; "@<the sender's domain>" is added
  // The recipient's preferences link (mail/preferences.h), empty for none: sent as
  // List-Unsubscribe with RFC 8058's one-click List-Unsubscribe-Post, so a mail program's
  // "unsubscribe" button turns this kind of e-mail off. Printable ASCII without spaces or <>.
  std::string preferences_url;
};

// The message as handed to the relay, its Date `date_ms`. INVALID_ARGUMENT for an address that is
// not one (IsSendableAddress), a subject or name with a line break, a message id with other
// characters, a preferences URL that is not plain.
absl::StatusOr<std::string> Write(const Email& email, int64_t date_ms);

// `text` as RFC 2047 encoded-words (UTF-8, base64) when it is not plain printable ASCII, folded
// so that no word is longer than 75 characters; as it is otherwise.
std::string EncodedWords(absl::string_view text);
// The same, encoded whatever `text` holds.
std::string Encoded(absl::string_view text);

}  // namespace infrashare::mail
