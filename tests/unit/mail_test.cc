// The parts of e-mail that need no relay: which addresses are written to, the message as RFC 5322
// and MIME say (encoded words, base64 lines, no header a value could add), and the templates in
// both languages.
#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "services/common/text_fold.h"
#include "services/mail/message.h"
#include "services/mail/preferences.h"
#include "services/mail/templates.h"

namespace infrashare::mail {
namespace {

std::string FromBase64(absl::string_view text) {
  std::string out(text.size(), '\0');
  size_t length = 0;
  EXPECT_EQ(
      sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL),
      0)
      << text;
  out.resize(length);
  return out;
}

bool ValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

// The words of an encoded header value, decoded and joined.
std::string DecodeWords(absl::string_view value, std::vector<std::string>* words = nullptr) {
  std::string out;
  for (absl::string_view word : absl::StrSplit(value, "\r\n ")) {
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_TRUE(absl::StartsWith(word, "=?UTF-8?B?") && absl::EndsWith(word, "?=")) << word;
    const std::string bytes = FromBase64(word.substr(10, word.size() - 12));
    EXPECT_TRUE(ValidUtf8(bytes)) << "a character split between words: " << word;
    if (words) words->push_back(bytes);
    out += bytes;
  }
  return out;
}

Email Sample() {
  Email email;
  email.from_name = "Techniek Zwolle";
  email.from_address = "loket@techniekzwolle.nl";
  email.to = "jan.devries@example.nl";
  email.subject = "Uw vraag is ontvangen (inq_1)";
  email.text = "Beste Jan,\n\nRegel twee.\n";
  email.language = "nl";
  email.message_id = "msg_0123abcd";
  return email;
}

TEST(MailAddress, OnlyPlainAddressesAreWrittenTo) {
  for (const char* ok : {"jan.devries@example.nl", "müller@bäcker.de", "a+tag@sub.example.org"})
    EXPECT_TRUE(IsSendableAddress(ok)) << ok;
  for (const char* bad : {"a@b", "\"x\"@b.nl", "<a@b.nl>", "a@b.nl,c@d.nl", "a@b.nl;c@d.nl",
                          "a@@b.nl", "a@b..nl", "a@.b.nl", "a b@c.nl", "a@b.nl\r\nBcc: c@d.nl",
                          "a(c)@b.nl", "a\\b@c.nl", "@b.nl", "a@b.nl.", "a:b@c.nl"})
    EXPECT_FALSE(IsSendableAddress(bad)) << bad;
  EXPECT_FALSE(IsSendableAddress(std::string(65, 'a') + "@b.nl"));
  EXPECT_TRUE(IsSendableAddress(std::string(64, 'a') + "@b.nl"));
}

TEST(MailMessage, PlainAsciiStaysAndAnyOtherTextIsEncodedInWholeCharacters) {
  EXPECT_EQ(EncodedWords("Uw vraag (inq_1)"), "Uw vraag (inq_1)");
  const std::string dutch = "Één loket voor Ĳsselmuiden – café ‘De Wâld’ 😀 ± €250; 3,5 uur";
  std::string long_text;
  for (int i = 0; i < 6; ++i) long_text += dutch;
  std::vector<std::string> words;
  EXPECT_EQ(DecodeWords(EncodedWords(long_text), &words), long_text);
  EXPECT_GT(words.size(), 3u);
  // A control character is never sent as it is either.
  EXPECT_EQ(DecodeWords(EncodedWords("a\tb")), "a\tb");
}

TEST(MailMessage, IsWrittenAsRfc5322WithBase64Text) {
  Email email = Sample();
  email.from_name = "Techniek Zwolle – loket";
  email.text = "Beste Jan,\n\n" + std::string(300, 'x') + "\nÉén regel.\n";
  auto written = Write(email, 1796284800000);  // 2026-12-03 08:00 UTC
  ASSERT_TRUE(written.ok()) << written.status();
  const std::string& m = *written;
  const size_t split = m.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  const std::string head = m.substr(0, split + 2);
  EXPECT_TRUE(absl::StrContains(head, "To: <jan.devries@example.nl>\r\n"));
  EXPECT_TRUE(absl::StrContains(head, "Subject: Uw vraag is ontvangen (inq_1)\r\n"));
  EXPECT_TRUE(absl::StrContains(head, "Date: Thu, 03 Dec 2026 08:00:00 +0000\r\n")) << head;
  EXPECT_TRUE(absl::StrContains(head, "Message-ID: <msg_0123abcd@techniekzwolle.nl>\r\n"));
  EXPECT_TRUE(absl::StrContains(head, "Content-Type: text/plain; charset=UTF-8\r\n"));
  EXPECT_TRUE(absl::StrContains(head, "Content-Transfer-Encoding: base64\r\n"));
  EXPECT_TRUE(absl::StrContains(head, "Content-Language: nl\r\n"));
  EXPECT_TRUE(absl::StrContains(head, "Auto-Submitted: auto-generated\r\n"));
  const size_t from = head.find("From: ") + 6;
  const std::string from_value = head.substr(from, head.find("\r\n <loket@", from) - from);
  EXPECT_EQ(DecodeWords(from_value), "Techniek Zwolle – loket");
  std::string body;
  for (absl::string_view line : absl::StrSplit(m.substr(split + 4), "\r\n", absl::SkipEmpty())) {
    EXPECT_LE(line.size(), 76u);
    body += std::string(line);
  }
  EXPECT_EQ(FromBase64(body), "Beste Jan,\r\n\r\n" + std::string(300, 'x') + "\r\nÉén regel.\r\n");
  for (absl::string_view line : absl::StrSplit(m, "\r\n")) EXPECT_LE(line.size(), 78u) << line;
}

TEST(MailMessage, NothingAValueHoldsCanAddAHeaderOrARecipient) {
  Email email = Sample();
  email.subject = "Vraag\r\nBcc: spion@example.com";
  EXPECT_FALSE(Write(email, 0).ok());
  email = Sample();
  email.from_name = "Loket\nBcc: spion@example.com";
  EXPECT_FALSE(Write(email, 0).ok());
  email = Sample();
  email.to = "jan@example.nl>\r\nBcc: <spion@example.com";
  EXPECT_FALSE(Write(email, 0).ok());
  email = Sample();
  email.message_id = "msg_1>\r\nBcc: x";
  EXPECT_FALSE(Write(email, 0).ok());
  // A name with a quote is encoded, not quoted.
  email = Sample();
  email.from_name = "Het \"loket\"";
  auto written = Write(email, 0);
  ASSERT_TRUE(written.ok());
  EXPECT_TRUE(absl::StrContains(*written, "From: =?UTF-8?B?")) << *written;
  // A text holding what looks like headers stays in the base64 body.
  email = Sample();
  email.text = "\r\n\r\nBcc: spion@example.com\r\n.\r\n";
  written = Write(email, 0);
  ASSERT_TRUE(written.ok());
  EXPECT_FALSE(absl::StrContains(*written, "spion")) << *written;
}

TEST(MailTemplates, EveryMomentSpeaksDutchAndEnglish) {
  ASSERT_FALSE(Moments().empty());
  // Every placeholder of every template (templates.cc lists them); an organisation's name where
  // one goes.
  const std::string org = "Bouwbedrijf Ĳssel & Zn.";
  const Values values = {{"name", "Jan de Vries-Ünal"},
                         {"reference", "inq_123"},
                         {"question", "Wie heeft een lasrobot? <b>&amp;</b> {{desk}}"},
                         {"desk", org},
                         {"by", org},
                         {"organization", org},
                         {"network", org},
                         {"entry", org},
                         {"resource", "Cleanroom"},
                         {"start", "2027-03-04 09:00 (+01:00, Europe/Amsterdam)"},
                         {"end", "2027-03-04 11:00 (+01:00, Europe/Amsterdam)"},
                         {"title", "Practicum"},
                         {"level", "1"},
                         {"cause", "nobody covers it"},
                         {"responder", "rsp_1"},
                         {"deadline", "2027-03-04 13:00 (+00:00, Europe/London)"},
                         {"subscription", "whs_1"},
                         {"url", "https://ontvanger.example.nl/hook"},
                         {"why", "HTTP 503"},
                         {"when", "2027-03-04 09:00 (+01:00, Europe/Amsterdam)"}};
  for (const std::string& moment : Moments()) {
    for (const char* language : {"nl", "en"}) {
      auto rendered = Render(moment, language, values);
      ASSERT_TRUE(rendered.ok()) << moment << " " << language << ": " << rendered.status();
      EXPECT_EQ(rendered->language, language);
      EXPECT_FALSE(rendered->subject.empty());
      EXPECT_FALSE(absl::StrContains(rendered->subject, "\n"));
      // Every placeholder filled: the only braces left are the question's own.
      std::string text = rendered->text;
      if (const size_t at = text.find(values.at("question")); at != std::string::npos)
        text.erase(at, values.at("question").size());
      EXPECT_FALSE(absl::StrContains(text, "{{") || absl::StrContains(rendered->subject, "{{"))
          << "a placeholder left: " << rendered->text;
      // Values go in as they are: plain text, not HTML; a value is never a template itself.
      EXPECT_TRUE(absl::StrContains(rendered->text, "Bouwbedrijf Ĳssel & Zn.")) << rendered->text;
    }
  }
  auto nl = Render("inquiry.received", "nl", values);
  ASSERT_TRUE(nl.ok());
  EXPECT_EQ(nl->subject, "Uw vraag is ontvangen (inq_123)");
  EXPECT_TRUE(absl::StartsWith(nl->text, "Beste Jan de Vries-Ünal,\n")) << nl->text;
  EXPECT_TRUE(absl::StrContains(nl->text, "<b>&amp;</b> {{desk}}")) << nl->text;
  auto anonymous = Render("inquiry.received", "en", {{"reference", "inq_9"}, {"name", ""}});
  ASSERT_TRUE(anonymous.ok());
  EXPECT_TRUE(absl::StartsWith(anonymous->text, "Dear sir or madam,\n")) << anonymous->text;
  // A subject stays one line whatever a value holds.
  auto broken = Render("inquiry.received", "nl", {{"reference", "inq_1\r\nBcc: x@y.nl"}});
  ASSERT_TRUE(broken.ok());
  EXPECT_FALSE(absl::StrContains(broken->subject, "\n"));
  EXPECT_FALSE(Render("no.such.moment", "nl", values).ok());
}

TEST(MailTemplates, AResolvedQuestionSaysHowItEnded) {
  auto nl = Render("inquiry.resolved", "nl",
                   {{"reference", "inq_7"}, {"by", "Kamper Techniek B.V."}, {"internship", "1"}});
  ASSERT_TRUE(nl.ok()) << nl.status();
  EXPECT_EQ(nl->subject, "Uw vraag is afgehandeld (inq_7)");
  EXPECT_TRUE(absl::StrContains(nl->text, "Kamper Techniek B.V. heeft uw vraag aan")) << nl->text;
  EXPECT_TRUE(absl::StrContains(nl->text, "Er is een stageplaats voor u geregeld.")) << nl->text;
  EXPECT_FALSE(absl::StrContains(nl->text, "ingetrokken")) << nl->text;
  auto en = Render("inquiry.resolved", "en", {{"reference", "inq_7"}, {"no_match", "1"}});
  ASSERT_TRUE(en.ok()) << en.status();
  EXPECT_TRUE(absl::StrContains(en->text, "has been dealt with.\n")) << en->text;
  EXPECT_TRUE(absl::StrContains(en->text, "we found no partner")) << en->text;
}

TEST(MailTemplates, DutchForDutchAndEnglishForEveryOtherLanguage) {
  EXPECT_EQ(LanguageFor("nl"), "nl");
  EXPECT_EQ(LanguageFor("NL"), "nl");
  EXPECT_EQ(LanguageFor(""), "nl");
  EXPECT_EQ(LanguageFor("en"), "en");
  EXPECT_EQ(LanguageFor("de"), "en");
  EXPECT_EQ(LanguageFor("tr"), "en");
}

TEST(MailPreferences, ActionsTurnMomentsOffAndOnAndSetTheLanguage) {
  Preferences p;
  EXPECT_TRUE(Wants(p, "inquiry.received"));
  ASSERT_TRUE(Apply("off", "inquiry.received", &p));
  EXPECT_FALSE(Wants(p, "inquiry.received"));
  EXPECT_TRUE(Wants(p, "inquiry.resolved"));
  ASSERT_TRUE(Apply("off-all", "inquiry.received", &p));
  EXPECT_FALSE(Wants(p, "inquiry.resolved"));
  ASSERT_TRUE(Apply("on", "inquiry.resolved", &p));  // this one again, the rest stays off
  EXPECT_TRUE(Wants(p, "inquiry.resolved"));
  EXPECT_FALSE(Wants(p, "inquiry.received"));
  EXPECT_FALSE(Wants(p, "offer.waiting"));
  ASSERT_TRUE(Apply("on-all", "x", &p));
  EXPECT_TRUE(Wants(p, "inquiry.received"));
  ASSERT_TRUE(Apply("lang-en", "x", &p));
  EXPECT_EQ(p.language, "en");
  ASSERT_TRUE(Apply("lang-", "x", &p));
  EXPECT_EQ(p.language, "");
  EXPECT_FALSE(Apply("lang-de", "x", &p));
  EXPECT_FALSE(Apply("", "x", &p));
}

TEST(MailPreferences, ALinkIsValidOnlyForItsPersonMomentAndKey) {
  const std::string person(64, 'a'), other(64, 'b');
  const std::string signature = LinkSignature("key-1", person, "offer.waiting");
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(ValidLink("key-1", person, "offer.waiting", signature));
  EXPECT_FALSE(ValidLink("key-2", person, "offer.waiting", signature));
  EXPECT_FALSE(ValidLink("key-1", other, "offer.waiting", signature));
  EXPECT_FALSE(ValidLink("key-1", person, "inquiry.received", signature));
  EXPECT_FALSE(ValidLink("key-1", person, "offer.waiting", signature.substr(1)));
  EXPECT_FALSE(ValidLink("", person, "offer.waiting", LinkSignature("", person, "offer.waiting")));
  // The message cannot be read two ways.
  EXPECT_FALSE(ValidLink("key-1", person + "|offer", "waiting",
                         LinkSignature("key-1", person, "offer|waiting")));
}

TEST(MailPreferences, AFeedbackLinkOpensItsInquirysFormOnly) {
  const std::string signature = LinkSignature("key-1", "inq_7Kx2", "/desk/feedback");
  EXPECT_TRUE(ValidLink("key-1", "inq_7Kx2", "/desk/feedback", signature));
  EXPECT_FALSE(ValidLink("key-1", "inq_7Kx3", "/desk/feedback", signature));
  EXPECT_FALSE(ValidLink("key-1", "inq_7Kx2", "inquiry.feedback", signature));
  EXPECT_FALSE(
      ValidLink("key-1", "", "/desk/feedback", LinkSignature("key-1", "", "/desk/feedback")));
}

TEST(MailTemplates, TheFeedbackRequestCarriesItsLinkInBothLanguages) {
  const Values values = {{"name", "Anouk"},
                         {"reference", "inq_7"},
                         {"desk", "Houtbewerking Hattem"},
                         {"question", "Wie heeft een CNC-frees?"},
                         {"link", "https://infrashare.example.nl/desk/feedback?i=inq_7&s=ab"}};
  auto nl = Render("inquiry.feedback", "nl", values);
  ASSERT_TRUE(nl.ok()) << nl.status();
  EXPECT_EQ(nl->subject, "Hoe hebben we u geholpen? (inq_7)");
  EXPECT_TRUE(
      absl::StrContains(nl->text, "\nhttps://infrashare.example.nl/desk/feedback?i=inq_7&s=ab\n"))
      << nl->text;
  auto en = Render("inquiry.feedback", "en", values);
  ASSERT_TRUE(en.ok()) << en.status();
  EXPECT_EQ(en->subject, "How did we help you? (inq_7)");
  EXPECT_TRUE(absl::StrContains(en->text, "feedback?i=inq_7&s=ab\n")) << en->text;
  EXPECT_TRUE(absl::StrContains(en->text, "Your question to Houtbewerking Hattem")) << en->text;
}

TEST(MailMessage, APreferencesLinkIsAOneClickListUnsubscribe) {
  Email email = Sample();
  email.preferences_url = "https://infrashare.example.nl/email/preferences?a=ab&m=x.y&s=cd";
  auto written = Write(email, 0);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_TRUE(absl::StrContains(
      *written,
      "\r\nList-Unsubscribe: <https://infrashare.example.nl/email/preferences?a=ab&m=x.y&s=cd>\r\n"
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
      << *written;
  for (const char* bad : {"https://x.nl/a b", "https://x.nl/>\r\nBcc: y@z.nl", "https://x.nl/é"}) {
    email.preferences_url = bad;
    EXPECT_FALSE(Write(email, 0).ok()) << bad;
  }
  email.preferences_url = "";
  written = Write(email, 0);
  ASSERT_TRUE(written.ok());
  EXPECT_FALSE(absl::StrContains(*written, "List-Unsubscribe"));
  // The text ends with the link in the e-mail's language.
  auto nl =
      Render("inquiry.received", "nl", {{"reference", "inq_1"}, {"preferences", "https://p"}});
  ASSERT_TRUE(nl.ok());
  EXPECT_TRUE(absl::EndsWith(
      nl->text,
      "\n-- \nMinder of geen e-mails van infrashare, of liever in het Engels:\nhttps://p\n"))
      << nl->text;
  auto en = Render("inquiry.received", "en", {{"reference", "inq_1"}});
  ASSERT_TRUE(en.ok());
  EXPECT_FALSE(absl::StrContains(en->text, "\n-- \n"));
}

}  // namespace
}  // namespace infrashare::mail
