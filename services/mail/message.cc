#include "services/mail/message.h"

#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "services/common/text_fold.h"

namespace infrashare::mail {
namespace {

std::string Base64(absl::string_view bytes) {
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool PlainAscii(absl::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

bool OneLine(absl::string_view text) {
  return !absl::StrContains(text, '\r') && !absl::StrContains(text, '\n');
}

// The length of the UTF-8 character that starts with `lead`.
size_t CharLength(unsigned char lead) {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

}  // namespace

std::string EncodedWords(absl::string_view text) {
  if (PlainAscii(text)) return std::string(text);
  return Encoded(text);
}

std::string Encoded(absl::string_view text) {
  // 45 bytes of UTF-8 make 60 base64 characters, 72 with "=?UTF-8?B?" and "?=": within 75. A
  // character is never split between two words (RFC 2047 section 5).
  std::string out;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = begin;
    while (end < text.size()) {
      const size_t next = end + CharLength(static_cast<unsigned char>(text[end]));
      if (next - begin > 45) break;
      end = std::min(next, text.size());
    }
    if (!out.empty()) out += "\r\n ";
    absl::StrAppend(&out, "=?UTF-8?B?", Base64(text.substr(begin, end - begin)), "?=");
    begin = end;
  }
  return out;
}

absl::StatusOr<std::string> Write(const Email& email, int64_t date_ms) {
  if (!IsSendableAddress(email.from_address))
    return absl::InvalidArgumentError("the sender's address is not an e-mail address");
  if (!IsSendableAddress(email.to))
    return absl::InvalidArgumentError("the recipient's address is not an e-mail address");
  if (!OneLine(email.subject) || !OneLine(email.from_name))
    return absl::InvalidArgumentError("a subject or sender name must be one line");
  if (email.message_id.empty() ||
      email.message_id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789._-") != std::string::npos)
    return absl::InvalidArgumentError("a message id holds letters, digits, '.', '_' and '-' only");
  if (!email.language.empty() && !PlainAscii(email.language))
    return absl::InvalidArgumentError("a language is a code such as nl or en");
  if (!PlainAscii(email.preferences_url) ||
      email.preferences_url.find_first_of(" <>") != std::string::npos ||
      email.preferences_url.size() > 900)
    return absl::InvalidArgumentError("a preferences URL is printable ASCII without spaces or <>");
  const std::string domain = email.from_address.substr(email.from_address.find('@') + 1);
  const std::string date = absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000",
                                            absl::FromUnixMillis(date_ms), absl::UTCTimeZone());
  std::string from = absl::StrCat("<", email.from_address, ">");
  if (!email.from_name.empty()) {
    // A plain name is quoted (it may hold a comma or a dot); any other is encoded.
    const bool plain =
        PlainAscii(email.from_name) && email.from_name.find_first_of("\"\\") == std::string::npos;
    const std::string name =
        plain ? absl::StrCat("\"", email.from_name, "\"") : Encoded(email.from_name);
    // The address on a line of its own when both would make a line longer than 78.
    const size_t newline = name.rfind('\n');
    const size_t last_line = newline == std::string::npos ? name.size() : name.size() - newline - 1;
    from = absl::StrCat(name, 6 + last_line + 1 + from.size() > 78 ? "\r\n " : " ", from);
  }
  std::string out;
  absl::StrAppend(&out, "From: ", from, "\r\n", "To: <", email.to, ">\r\n",
                  "Subject: ", EncodedWords(email.subject), "\r\n", "Date: ", date, "\r\n",
                  "Message-ID: <", email.message_id, "@", domain, ">\r\n", "MIME-Version: 1.0\r\n",
                  "Content-Type: text/plain; charset=UTF-8\r\n",
                  "Content-Transfer-Encoding: base64\r\n");
  if (!email.language.empty()) absl::StrAppend(&out, "Content-Language: ", email.language, "\r\n");
  // RFC 2369 and RFC 8058: one line however long (a URL is not folded; the limit is 998).
  if (!email.preferences_url.empty())
    absl::StrAppend(&out, "List-Unsubscribe: <", email.preferences_url, ">\r\n",
                    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
  // RFC 3834: no out-of-office answers to a message no person wrote.
  absl::StrAppend(&out, "Auto-Submitted: auto-generated\r\n\r\n");
  const std::string crlf =
      absl::StrReplaceAll(absl::StrReplaceAll(email.text, {{"\r\n", "\n"}}), {{"\n", "\r\n"}});
  const std::string body = Base64(crlf);
  for (size_t i = 0; i < body.size(); i += 76) absl::StrAppend(&out, body.substr(i, 76), "\r\n");
  return out;
}

}  // namespace infrashare::mail
