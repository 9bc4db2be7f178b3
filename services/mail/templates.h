// The e-mails infrashare sends, in Dutch and English: one Mustache template (kainjow::mustache,
// Debian's libkainjow-mustache-dev) for the subject and one for the text of each moment. Plain
// text: values go in as they are (no HTML escaping), and a value cannot add a header (the subject
// is encoded by message.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace infrashare::mail {

using Values = std::map<std::string, std::string>;

struct Rendered {
  std::string subject;
  std::string text;
  std::string language;  // the one used: "nl" or "en"
};

// "nl" for Dutch, "en" for any other language (a question asked in German is answered in English
// rather than Dutch).
std::string LanguageFor(absl::string_view language);

// A moment as people read it in an e-mail, in the IANA `zone` (UTC when unknown): "2026-12-03
// 09:00 (+01:00, Europe/Amsterdam)". Numbers only, so it reads the same in Dutch and English.
std::string LocalTime(int64_t unix_ms, const std::string& zone);

// The moments there are templates for, e.g. "inquiry.received".
std::vector<std::string> Moments();

// The e-mail of `moment` in LanguageFor(`language`), its {{placeholders}} from `values` (a missing
// or empty one is empty, and false for a {{#section}}); with a "preferences" value (the
// recipient's preferences link) a footer says where to change which e-mails come and in which
// language. INTERNAL for a moment without templates.
absl::StatusOr<Rendered> Render(absl::string_view moment, absl::string_view language,
                                const Values& values);

}  // namespace infrashare::mail
