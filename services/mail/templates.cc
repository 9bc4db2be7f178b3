#include "services/mail/templates.h"

#include <kainjow/mustache.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace infrashare::mail {
namespace {

struct Template {
  const char* moment;
  const char* language;
  const char* subject;
  const char* text;
};

// inquiry.*: {{name}}, {{reference}}, {{question}}, {{desk}}: the asker's name (may be empty), the
// inquiry's id, its text, the entry partner's name; inquiry.resolved also {{by}} (the partner who
// handled it, may be empty) and one of {{#answered}}, {{#outside}}, {{#facility}}, {{#training}},
// {{#internship}}, {{#no_match}}, {{#withdrawn}} (the outcome) set; inquiry.feedback the same as
// inquiry.resolved and {{link}} (the one-time feedback form).
// booking.approval_needed (to the resource's facility managers): {{resource}}, {{organization}}
// (who booked), {{start}}, {{end}} (LocalTime), {{title}}, {{reference}} (the booking's id).
// booking.confirmed, .rejected, .cancelled, .promoted, .released (to the address the booker
// gave): the same, {{reason}} (why it was rejected or cancelled) and {{until}} (when a promoted
// hold lapses; LocalTime).
// inquiry.escalated (to the network's coordinators): {{network}}, {{reference}}, {{level}},
// {{cause}}, {{question}}, {{entry}} (the entry partner's name).
// webhook.disabled (to the contacts of the subscription's organisation): {{organization}},
// {{subscription}} (its id), {{url}} (its target), {{why}} (the last error), {{when}}.
// offer.waiting (to the responder offered a question): {{name}} (the responder's), {{responder}}
// (its id), {{reference}}, {{question}}, {{desk}} (the entry partner's name), {{deadline}}
// (LocalTime in the responder's zone; empty when the offer has none).
// handover.due (to the contacts of both sides): {{organization}} (the recipient's), {{unit}},
// {{from}}, {{to}} (the organisations' names), {{time}}, {{deadline}} (LocalTime in the unit's
// zone; the deadline may be empty), {{checklist}} ("- item" lines), {{reference}} (its id).
constexpr Template kTemplates[] = {
    {"booking.confirmed", "nl", "Boeking bevestigd: {{resource}}",
     R"(Beste boeker,

Uw boeking van {{resource}} voor {{organization}} is bevestigd.

Van: {{start}}
Tot: {{end}}
{{#title}}Titel: {{title}}
{{/title}}Kenmerk: {{reference}}

Meld u bij aankomst aan (infrashare booking check-in {{reference}}); wie zich niet op tijd
aanmeldt, kan de plek verliezen. Kunt u niet komen, annuleer dan met
infrashare booking cancel {{reference}}

Met vriendelijke groet,
infrashare
)"},
    {"booking.confirmed", "en", "Booking confirmed: {{resource}}",
     R"(Dear booker,

Your booking of {{resource}} for {{organization}} has been confirmed.

From: {{start}}
To: {{end}}
{{#title}}Title: {{title}}
{{/title}}Reference: {{reference}}

Please check in when you arrive (infrashare booking check-in {{reference}}); a booking not
checked in on time may be released. If you cannot come, cancel it with
infrashare booking cancel {{reference}}

Kind regards,
infrashare
)"},
    {"booking.rejected", "nl", "Boeking afgewezen: {{resource}}",
     R"(Beste boeker,

De beheerder van {{resource}} heeft uw aanvraag voor {{organization}} afgewezen.

Van: {{start}}
Tot: {{end}}
{{#title}}Titel: {{title}}
{{/title}}{{#reason}}Reden: {{reason}}
{{/reason}}Kenmerk: {{reference}}

Zoek een ander moment of een andere faciliteit in uw planningssysteem of met
infrashare booking free --resource ...

Met vriendelijke groet,
infrashare
)"},
    {"booking.rejected", "en", "Booking rejected: {{resource}}",
     R"(Dear booker,

The manager of {{resource}} has rejected your request for {{organization}}.

From: {{start}}
To: {{end}}
{{#title}}Title: {{title}}
{{/title}}{{#reason}}Reason: {{reason}}
{{/reason}}Reference: {{reference}}

Look for another time or another facility in your planning system or with
infrashare booking free --resource ...

Kind regards,
infrashare
)"},
    {"booking.cancelled", "nl", "Boeking geannuleerd: {{resource}}",
     R"(Beste boeker,

Uw boeking van {{resource}} voor {{organization}} is geannuleerd.

Van: {{start}}
Tot: {{end}}
{{#title}}Titel: {{title}}
{{/title}}{{#reason}}Reden: {{reason}}
{{/reason}}Kenmerk: {{reference}}

Hebt u de boeking niet zelf geannuleerd, neem dan contact op met de beheerder van {{resource}}.

Met vriendelijke groet,
infrashare
)"},
    {"booking.cancelled", "en", "Booking cancelled: {{resource}}",
     R"(Dear booker,

Your booking of {{resource}} for {{organization}} has been cancelled.

From: {{start}}
To: {{end}}
{{#title}}Title: {{title}}
{{/title}}{{#reason}}Reason: {{reason}}
{{/reason}}Reference: {{reference}}

If you did not cancel it yourself, please contact the manager of {{resource}}.

Kind regards,
infrashare
)"},
    {"booking.promoted", "nl", "Plek vrijgekomen: {{resource}}",
     R"(Beste boeker,

Er is een plek vrijgekomen voor {{organization}} op de wachtlijst van {{resource}}.
Hij wordt voor u vastgehouden{{#until}} tot {{until}}{{/until}}; bevestig hem voor die tijd, anders
gaat hij naar de volgende op de lijst.

Van: {{start}}
Tot: {{end}}
{{#title}}Titel: {{title}}
{{/title}}Kenmerk: {{reference}}

Bevestigen: infrashare booking submit {{reference}}

Met vriendelijke groet,
infrashare
)"},
    {"booking.promoted", "en", "A place has come free: {{resource}}",
     R"(Dear booker,

A place has come free for {{organization}} on the waiting list of {{resource}}.
It is held for you{{#until}} until {{until}}{{/until}}; confirm it before then, or it goes to the
next on the list.

From: {{start}}
To: {{end}}
{{#title}}Title: {{title}}
{{/title}}Reference: {{reference}}

To confirm: infrashare booking submit {{reference}}

Kind regards,
infrashare
)"},
    {"booking.released", "nl", "Boeking vrijgegeven: {{resource}}",
     R"(Beste boeker,

Uw boeking van {{resource}} voor {{organization}} is vrijgegeven, omdat niemand zich op tijd
heeft aangemeld. De plek is weer vrij voor anderen.

Van: {{start}}
Tot: {{end}}
{{#title}}Titel: {{title}}
{{/title}}Kenmerk: {{reference}}

Bent u er toch, boek dan opnieuw als de plek nog vrij is.

Met vriendelijke groet,
infrashare
)"},
    {"booking.released", "en", "Booking released: {{resource}}",
     R"(Dear booker,

Your booking of {{resource}} for {{organization}} has been released because nobody checked in
on time. The place is free for others again.

From: {{start}}
To: {{end}}
{{#title}}Title: {{title}}
{{/title}}Reference: {{reference}}

If you are there after all, book again while the place is still free.

Kind regards,
infrashare
)"},
    {"booking.approval_needed", "nl", "Boeking wacht op uw goedkeuring: {{resource}}",
     R"(Beste beheerder,

{{organization}} wil {{resource}} boeken en die boeking wacht op uw goedkeuring.

Van: {{start}}
Tot: {{end}}
{{#title}}Titel: {{title}}
{{/title}}Kenmerk: {{reference}}

Keur de boeking goed of wijs hem af in uw planningssysteem of met
infrashare booking approve {{reference}}  /  infrashare booking reject {{reference}}

Met vriendelijke groet,
infrashare

U ontvangt dit bericht omdat u als beheerder van {{resource}} staat vermeld.
)"},
    {"booking.approval_needed", "en", "A booking awaits your approval: {{resource}}",
     R"(Dear manager,

{{organization}} would like to book {{resource}}, and the booking awaits your approval.

From: {{start}}
To: {{end}}
{{#title}}Title: {{title}}
{{/title}}Reference: {{reference}}

Approve or reject it in your planning system or with
infrashare booking approve {{reference}}  /  infrashare booking reject {{reference}}

Kind regards,
infrashare

You receive this message because you are listed as the manager of {{resource}}.
)"},
    {"inquiry.escalated", "nl", "Vraag zonder partner bij {{network}} ({{reference}})",
     R"(Beste coördinator,

Een vraag bij {{network}} heeft geen partner gevonden en is naar u geëscaleerd (niveau
{{level}}).
{{#cause}}Reden: {{cause}}
{{/cause}}Binnengekomen via: {{entry}}
Kenmerk: {{reference}}

De vraag:
{{question}}

Wijs de vraag toe, verwijs hem door of handel hem af; de contactgegevens van de vraagsteller
vindt u bij de vraag zelf.

Met vriendelijke groet,
infrashare

U ontvangt dit bericht omdat u als coördinator van {{network}} staat vermeld.
)"},
    {"inquiry.escalated", "en", "A question without a partner at {{network}} ({{reference}})",
     R"(Dear coordinator,

A question at {{network}} found no partner and has been escalated to you (level {{level}}).
{{#cause}}Why: {{cause}}
{{/cause}}Came in through: {{entry}}
Reference: {{reference}}

The question:
{{question}}

Assign it, refer it or resolve it; the asker's contact details are with the question itself.

Kind regards,
infrashare

You receive this message because you are listed as a coordinator of {{network}}.
)"},
    {"inquiry.received", "nl", "Uw vraag is ontvangen ({{reference}})",
     R"({{#name}}Beste {{name}},{{/name}}{{^name}}Beste vraagsteller,{{/name}}

Uw vraag aan {{desk}} is ontvangen. We leggen hem voor aan de partner die hem het
best kan beantwoorden; u hoort van die partner zodra de vraag is opgepakt.

Uw vraag:
{{question}}

Kenmerk: {{reference}}
Noem dit kenmerk als u contact met ons opneemt.

Met vriendelijke groet,
{{desk}}

U ontvangt dit bericht omdat u een vraag stelde en uw e-mailadres opgaf. Uw
contactgegevens bewaren we niet langer dan nodig is om uw vraag te beantwoorden.
)"},
    {"inquiry.received", "en", "We have received your question ({{reference}})",
     R"({{#name}}Dear {{name}},{{/name}}{{^name}}Dear sir or madam,{{/name}}

Your question to {{desk}} has been received. We are putting it to the partner best
placed to answer it; that partner will contact you once they have taken it up.

Your question:
{{question}}

Reference: {{reference}}
Please quote this reference if you contact us.

Kind regards,
{{desk}}

You receive this message because you asked a question and gave your e-mail address.
We keep your contact details no longer than we need them to answer your question.
)"},
    {"inquiry.resolved", "nl", "Uw vraag is afgehandeld ({{reference}})",
     R"({{#name}}Beste {{name}},{{/name}}{{^name}}Beste vraagsteller,{{/name}}

{{#by}}{{by}} heeft uw vraag aan {{desk}} met kenmerk {{reference}} afgehandeld.{{/by}}{{^by}}Uw vraag aan {{desk}} met kenmerk {{reference}} is afgehandeld.{{/by}}
{{#answered}}U hebt antwoord op uw vraag gekregen.
{{/answered}}{{#outside}}Uw vraag is doorverwezen naar een organisatie buiten ons netwerk.
{{/outside}}{{#facility}}Er is een faciliteit voor u geboekt.
{{/facility}}{{#training}}U bent ingeschreven voor een opleiding.
{{/training}}{{#internship}}Er is een stageplaats voor u geregeld.
{{/internship}}{{#no_match}}Helaas hebben we geen partner gevonden die u hiermee kon helpen.
{{/no_match}}{{#withdrawn}}U hebt uw vraag ingetrokken.
{{/withdrawn}}
Uw vraag:
{{question}}

Hebt u nog vragen, noem dan het kenmerk {{reference}}.

Met vriendelijke groet,
{{desk}}
)"},
    {"inquiry.resolved", "en", "Your question has been dealt with ({{reference}})",
     R"({{#name}}Dear {{name}},{{/name}}{{^name}}Dear sir or madam,{{/name}}

{{#by}}{{by}} has dealt with your question to {{desk}} with reference {{reference}}.{{/by}}{{^by}}Your question to {{desk}} with reference {{reference}} has been dealt with.{{/by}}
{{#answered}}Your question has been answered.
{{/answered}}{{#outside}}Your question has been referred to an organisation outside our network.
{{/outside}}{{#facility}}A facility has been booked for you.
{{/facility}}{{#training}}You have been enrolled in a course.
{{/training}}{{#internship}}An internship has been arranged for you.
{{/internship}}{{#no_match}}We are sorry: we found no partner who could help you with this.
{{/no_match}}{{#withdrawn}}You withdrew your question.
{{/withdrawn}}
Your question:
{{question}}

If you have any further questions, please quote the reference {{reference}}.

Kind regards,
{{desk}}
)"},
    {"inquiry.feedback", "nl", "Hoe hebben we u geholpen? ({{reference}})",
     R"({{#name}}Beste {{name}},{{/name}}{{^name}}Beste vraagsteller,{{/name}}

{{#by}}{{by}} heeft uw vraag aan {{desk}} met kenmerk {{reference}} afgehandeld.{{/by}}{{^by}}Uw vraag aan {{desk}} met kenmerk {{reference}} is afgehandeld.{{/by}}
Wilt u ons laten weten hoe dat ging? Het kost een minuut: een cijfer van 1 tot 5,
twee vragen en ruimte voor een opmerking.

{{link}}

De link is alleen voor u en werkt één keer.

Uw vraag:
{{question}}

Met vriendelijke groet,
{{desk}}
)"},
    {"inquiry.feedback", "en", "How did we help you? ({{reference}})",
     R"({{#name}}Dear {{name}},{{/name}}{{^name}}Dear sir or madam,{{/name}}

{{#by}}{{by}} has dealt with your question to {{desk}} with reference {{reference}}.{{/by}}{{^by}}Your question to {{desk}} with reference {{reference}} has been dealt with.{{/by}}
Would you tell us how it went? It takes a minute: a score from 1 to 5, two questions
and room for a remark.

{{link}}

The link is yours alone and works once.

Your question:
{{question}}

Kind regards,
{{desk}}
)"},
    {"offer.waiting", "nl", "Er wacht een vraag op u ({{reference}})",
     R"(Beste {{name}},

Via {{desk}} is een vraag binnengekomen die bij u past. Hij wacht op uw antwoord{{#deadline}}
tot {{deadline}}; daarna gaat hij naar een andere partner{{/deadline}}.

De vraag:
{{question}}

Kenmerk: {{reference}}

Neem de vraag aan of wijs hem af in uw systeem of met
infrashare desk accept {{reference}} --as {{responder}}
infrashare desk decline {{reference}} --as {{responder}} --reason "..."

Met vriendelijke groet,
infrashare

U ontvangt dit bericht omdat uw e-mailadres bij {{name}} op de netwerkbalie staat.
)"},
    {"offer.waiting", "en", "A question is waiting for you ({{reference}})",
     R"(Dear {{name}},

Through {{desk}}, a question came in that fits you. It waits for your answer{{#deadline}}
until {{deadline}}; after that it goes to another partner{{/deadline}}.

The question:
{{question}}

Reference: {{reference}}

Accept or decline it in your system or with
infrashare desk accept {{reference}} --as {{responder}}
infrashare desk decline {{reference}} --as {{responder}} --reason "..."

Kind regards,
infrashare

You receive this message because your address is given for {{name}} on the network desk.
)"},
    {"webhook.disabled", "nl", "Webhook van {{organization}} uitgeschakeld",
     R"(Beste contactpersoon van {{organization}},

infrashare kon wijzigingen niet afleveren bij uw webhook en heeft het na de laatste poging
uitgeschakeld ({{when}}). Zolang het uit staat, worden wijzigingen niet bewaard om later te
sturen.

Abonnement: {{subscription}}
Adres: {{url}}
Laatste fout: {{why}}

Herstel de ontvanger en zet het abonnement weer aan; de wijzigingen die niet aankwamen,
stuurt u daarna opnieuw:
infrashare webhook update {{subscription}} --enabled true
infrashare webhook redeliver {{subscription}}

Met vriendelijke groet,
infrashare

U ontvangt dit bericht omdat u als contactpersoon van {{organization}} staat vermeld.
)"},
    {"webhook.disabled", "en", "Webhook of {{organization}} disabled",
     R"(Dear contact of {{organization}},

infrashare could not deliver changes to your webhook and disabled it after the last attempt
({{when}}). While it is off, changes are not kept to be sent later.

Subscription: {{subscription}}
Target: {{url}}
Last error: {{why}}

Repair the receiver and enable the subscription again; then send the changes that did not
arrive once more:
infrashare webhook update {{subscription}} --enabled true
infrashare webhook redeliver {{subscription}}

Kind regards,
infrashare

You receive this message because you are listed as a contact of {{organization}}.
)"},
    {"handover.due", "nl", "Overdracht van {{unit}}: {{time}}",
     R"(Beste contactpersoon van {{organization}},

{{unit}} gaat over van {{from}} naar {{to}}.

Moment: {{time}}
{{#deadline}}Bevestigen uiterlijk: {{deadline}}
{{/deadline}}Kenmerk: {{reference}}
{{#checklist}}
Controleer bij de overdracht:
{{checklist}}{{/checklist}}
Beide partijen bevestigen de overdracht, met de staat waarin het apparaat is:
infrashare rotation confirm {{reference}} --condition "..."

Met vriendelijke groet,
infrashare

U ontvangt dit bericht omdat u als contactpersoon van {{organization}} staat vermeld.
)"},
    {"handover.due", "en", "Hand-over of {{unit}}: {{time}}",
     R"(Dear contact of {{organization}},

{{unit}} passes from {{from}} to {{to}}.

When: {{time}}
{{#deadline}}Confirm by: {{deadline}}
{{/deadline}}Reference: {{reference}}
{{#checklist}}
Check at the hand-over:
{{checklist}}{{/checklist}}
Both sides confirm the hand-over, with the state the unit is in:
infrashare rotation confirm {{reference}} --condition "..."

Kind regards,
infrashare

You receive this message because you are listed as a contact of {{organization}}.
)"},
};

absl::StatusOr<std::string> Fill(const char* text, const Values& values) {
  kainjow::mustache::mustache view{std::string(text)};
  if (!view.is_valid())
    return absl::InternalError(
        absl::StrCat("an e-mail template is broken: ", view.error_message()));
  view.set_custom_escape([](const std::string& s) { return s; });  // plain text
  kainjow::mustache::data data;
  // An empty value is left out: a {{#section}} of it is skipped, its {{^inverse}} shown.
  for (const auto& [name, value] : values)
    if (!value.empty()) data.set(name, value);
  return view.render(data);
}

}  // namespace

std::string LocalTime(int64_t unix_ms, const std::string& zone) {
  absl::TimeZone tz = absl::UTCTimeZone();
  if (!absl::LoadTimeZone(zone, &tz)) tz = absl::UTCTimeZone();
  const absl::Time t = absl::FromUnixMillis(unix_ms);
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M (%Ez", t, tz), ", ", tz.name(), ")");
}

std::string LanguageFor(absl::string_view language) {
  return absl::AsciiStrToLower(language) == "nl" || language.empty() ? "nl" : "en";
}

std::vector<std::string> Moments() {
  std::vector<std::string> out;
  for (const Template& t : kTemplates)
    if (out.empty() || out.back() != t.moment) out.push_back(t.moment);
  return out;
}

absl::StatusOr<Rendered> Render(absl::string_view moment, absl::string_view language,
                                const Values& values) {
  const std::string wanted = LanguageFor(language);
  for (const Template& t : kTemplates) {
    if (t.moment != moment || t.language != wanted) continue;
    auto subject = Fill(t.subject, values);
    if (!subject.ok()) return subject.status();
    auto text = Fill(t.text, values);
    if (!text.ok()) return text.status();
    Rendered out{std::move(*subject), std::move(*text), wanted};
    // Every e-mail ends with the recipient's preferences link when there is one.
    if (auto link = values.find("preferences"); link != values.end() && !link->second.empty())
      absl::StrAppend(
          &out.text,
          wanted == "nl"
              ? "\n-- \nMinder of geen e-mails van infrashare, of liever in het Engels:\n"
              : "\n-- \nFewer or no e-mails from infrashare, or rather in Dutch:\n",
          link->second, "\n");
    // A subject is one line whatever a value held.
    for (char& c : out.subject)
      if (c == '\r' || c == '\n') c = ' ';
    return out;
  }
  return absl::InternalError(absl::StrCat("no e-mail template for ", moment, " in ", wanted));
}

}  // namespace infrashare::mail
