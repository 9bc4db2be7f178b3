#include "services/http/inquiry_feedback.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/text_fold.h"
#include "services/mail/preferences.h"

namespace infrashare::http {
namespace {

constexpr char kHead[] =
    "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width\">"
    "<title>Uw mening / Your opinion</title></head><body>\n";

// After feedback was given: 200 when this POST gave it or a GET finds it given, 409 when a POST
// came after it.
HttpReply Thanks(const std::string& reference, int status) {
  return {status, "text/html; charset=utf-8",
          absl::StrCat(kHead,
                       "<h1>Bedankt / Thank you</h1>\n<p id=\"given\">Uw reactie op vraag <code>",
                       HtmlEscape(reference), "</code> ",
                       status == 200 ? "is ontvangen. / Your feedback has been received."
                                     : "was al ontvangen. / Your feedback had been received "
                                       "already.",
                       "</p>\n</body></html>\n")};
}

std::string Checkbox(const HttpQuery& given, const char* name, const char* label) {
  return absl::StrCat("<p><label><input type=\"checkbox\" name=\"", name, "\" value=\"1\"",
                      FieldOf(given, name) == "1" ? " checked" : "", "> ", label, "</label></p>\n");
}

// The form, filled in with what was `given` when it comes back with a `problem`.
HttpReply Form(const std::string& id, const std::string& signature, const HttpQuery& given,
               const std::string& problem) {
  std::string scores;
  for (int score = 1; score <= 5; ++score)
    absl::StrAppend(&scores, "<label><input type=\"radio\" name=\"score\" value=\"", score, "\"",
                    FieldOf(given, "score") == absl::StrCat(score) ? " checked" : "", " required> ",
                    score, "</label>\n");
  return {
      problem.empty() ? 200 : 400, "text/html; charset=utf-8",
      absl::StrCat(
          kHead, "<h1>Hoe hebben we u geholpen? / How did we help you?</h1>\n",
          problem.empty() ? "" : absl::StrCat("<p id=\"problem\">", HtmlEscape(problem), "</p>\n"),
          "<p>Vraag / question <code id=\"reference\">", HtmlEscape(id), "</code></p>\n",
          // Multipart: a remark of 4,000 characters in any script fits (an urlencoded body
          // is capped at 8 KiB by cpp-httplib).
          "<form method=\"post\" enctype=\"multipart/form-data\">"
          "<input type=\"hidden\" name=\"i\" value=\"",
          HtmlEscape(id), "\"><input type=\"hidden\" name=\"s\" value=\"", HtmlEscape(signature),
          "\">\n",
          "<p>Uw cijfer, 1 (slecht) tot 5 (uitstekend) / your score, 1 (poor) to 5 "
          "(excellent):</p>\n<p>",
          scores, "</p>\n",
          Checkbox(given, "recommend",
                   "Ik zou het netwerk aanbevelen / I would recommend the network"),
          Checkbox(given, "again",
                   "Ik zou weer met deze partner werken / I would work with this partner "
                   "again"),
          "<p><label>Opmerking / remark<br><textarea name=\"comment\" rows=\"6\" "
          "cols=\"60\" maxlength=\"4000\">",
          HtmlEscape(FieldOf(given, "comment")), "</textarea></label></p>\n",
          "<p><button>Versturen / Send</button></p>\n</form>\n",
          "<p>Uw antwoord gaat naar de partner die uw vraag behandelde en telt mee in de "
          "cijfers van het netwerk. U kunt het één keer geven.</p>\n"
          "<p lang=\"en\">Your answer goes to the partner who handled your question and "
          "counts in the network's figures. It can be given once.</p>\n</body></html>\n")};
}

}  // namespace

void RegisterInquiryFeedback(const std::string& path, InquiryFeedbackView view, PublicSite* site) {
  site->FormRoute(
      path, [path, view = std::move(view)](const HttpQuery& fields, bool post) -> HttpReply {
        const std::string id = FieldOf(fields, "i"), signature = FieldOf(fields, "s");
        auto key = view.link_key();
        if (!key.ok()) {
          logging::Warn("feedback form: the link key cannot be read",
                        {{"error", std::string(key.status().message())}});
          return Problem(503, "the form cannot be shown now; try again later");
        }
        if (id.empty() || id.size() > 64 || !mail::ValidLink(*key, id, path, signature))
          return Problem(404, "this is not a link infrashare sent");
        auto inquiry = view.get(id);
        if (!inquiry.ok()) return Problem(503, "the form cannot be shown now; try again later");
        if (!inquiry->has_value() || (*inquiry)->state() != desk::v1::INQUIRY_STATE_RESOLVED)
          return Problem(404, "this is not a link infrashare sent");
        if ((*inquiry)->has_feedback()) return Thanks(id, post ? 409 : 200);
        // The link is the asker's while their address is held: once it is erased or has expired, no
        // new words of theirs are taken.
        if (!(*inquiry)->has_contact())
          return Problem(410,
                         "this link no longer works: the asker's data was erased or has expired");
        if (!post) return Form(id, signature, {}, "");
        desk::v1::Feedback feedback;
        int score = 0;
        if (!absl::SimpleAtoi(FieldOf(fields, "score"), &score) || score < 1 || score > 5)
          return Form(id, signature, fields,
                      "Kies een cijfer van 1 tot 5. / Choose a score from 1 to 5.");
        if (!IsValidUtf8(FieldOf(fields, "comment")))
          return Form(id, signature, {},
                      "De opmerking is geen UTF-8-tekst. / The remark is not UTF-8 text.");
        feedback.set_score(score);
        feedback.set_would_recommend(FieldOf(fields, "recommend") == "1");
        feedback.set_would_work_again(FieldOf(fields, "again") == "1");
        feedback.set_comment(FieldOf(fields, "comment"));
        absl::Status recorded = view.record(id, feedback);
        if (recorded.code() == absl::StatusCode::kFailedPrecondition) return Thanks(id, 409);
        if (recorded.code() == absl::StatusCode::kInvalidArgument)
          return Form(id, signature, fields, std::string(recorded.message()));
        if (!recorded.ok()) return Problem(503, "the feedback cannot be kept now; try again later");
        return Thanks(id, 200);
      });
}

}  // namespace infrashare::http
