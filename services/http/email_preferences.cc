#include "services/http/email_preferences.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/logging.h"

namespace infrashare::http {
namespace {

std::string Button(const std::string& hidden, const char* action, const char* label) {
  return absl::StrCat("<form method=\"post\">", hidden, "<button name=\"do\" value=\"", action,
                      "\">", label, "</button></form>\n");
}

HttpReply Page(const std::string& person, const std::string& moment, const std::string& signature,
               const mail::Preferences& preferences, bool changed) {
  const std::string hidden =
      absl::StrCat("<input type=\"hidden\" name=\"a\" value=\"", HtmlEscape(person),
                   "\"><input type=\"hidden\" name=\"m\" value=\"", HtmlEscape(moment),
                   "\"><input type=\"hidden\" name=\"s\" value=\"", HtmlEscape(signature), "\">");
  const bool wanted = mail::Wants(preferences, moment);
  const std::string language = preferences.language.empty() ? "-" : preferences.language;
  std::string body = absl::StrCat(
      "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\">"
      "<title>E-mails van infrashare / from infrashare</title></head><body>\n"
      "<h1>E-mails van infrashare</h1>\n",
      changed ? "<p id=\"changed\">Opgeslagen. / Saved.</p>\n" : "",
      "<p>E-mails over <code id=\"moment\">", HtmlEscape(moment), "</code>: <strong id=\"state\">",
      wanted ? "aan / on" : "uit / off",
      "</strong>. Alle e-mails / all e-mails: <strong id=\"all\">",
      preferences.all_off ? "uit / off" : "aan / on",
      "</strong>. Taal / language: <strong id=\"lang\">", HtmlEscape(language), "</strong>.</p>\n",
      Button(hidden, wanted ? "off" : "on",
             wanted ? "Geen e-mails meer van deze soort / No more e-mails of this kind"
                    : "Deze e-mails weer ontvangen / Receive these e-mails again"),
      Button(hidden, preferences.all_off ? "on-all" : "off-all",
             preferences.all_off ? "Alle e-mails weer ontvangen / Receive all e-mails again"
                                 : "Geen enkele e-mail meer / No e-mails at all"),
      Button(hidden, "lang-nl", "In het Nederlands"), Button(hidden, "lang-en", "In English"),
      "<p lang=\"en\">E-mails from infrashare tell you of questions, bookings and changes you "
      "take part in. Turning them off does not change what happens; you can look it up in "
      "your organisation's system.</p>\n</body></html>\n");
  return {200, "text/html; charset=utf-8", std::move(body)};
}

}  // namespace

void RegisterEmailPreferences(EmailPreferencesView view, PublicSite* site) {
  site->FormRoute("/email/preferences",
                  [view = std::move(view)](const HttpQuery& fields, bool post) -> HttpReply {
                    const std::string person = FieldOf(fields, "a"), moment = FieldOf(fields, "m"),
                                      signature = FieldOf(fields, "s");
                    auto key = view.link_key();
                    if (!key.ok()) {
                      logging::Warn("e-mail preferences: the link key cannot be read",
                                    {{"error", std::string(key.status().message())}});
                      return Problem(503, "the preferences cannot be read now; try again later");
                    }
                    // A person is the hex hash of an address.
                    if (moment.empty() || moment.size() > 64 || person.empty() ||
                        person.find_first_not_of("0123456789abcdef") != std::string::npos ||
                        !mail::ValidLink(*key, person, moment, signature))
                      return Problem(404, "this is not a link infrashare sent");
                    auto preferences = view.get(person);
                    if (!preferences.ok())
                      return Problem(503, "the preferences cannot be read now; try again later");
                    if (post) {
                      // RFC 8058: a mail program's unsubscribe button posts
                      // List-Unsubscribe=One-Click.
                      const std::string action = FieldOf(fields, "List-Unsubscribe") == "One-Click"
                                                     ? "off"
                                                     : FieldOf(fields, "do");
                      if (!mail::Apply(action, moment, &*preferences))
                        return Problem(400, "not an action this page offers", "do");
                      if (auto kept = view.set(person, *preferences); !kept.ok())
                        return Problem(503, "the preferences cannot be kept now; try again later");
                    }
                    return Page(person, moment, signature, *preferences, post);
                  });
}

}  // namespace infrashare::http
