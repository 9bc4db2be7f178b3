// `infrashare desk ...`: every RPC of infrashare.desk.v1 — responders, asking, answering,
// referring, reporting — and a responder mode that follows the offers as they come.
#include <iostream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cli/app.h"

namespace infrashare::cli {
namespace {

using namespace desk::v1;
using Stub = DeskService::Stub;

const std::vector<std::string> kInquiryColumns = {
    "id", "state", "need_type", "entry_organization_id", "offered_to", "assignee_id", "text"};
const std::vector<std::string> kResponderColumns = {
    "id", "online", "organization_id", "display_name", "skills", "capacity", "open_inquiries"};

struct Flags {
  std::string id, responder, organization, network, name, token_id, time_zone, text, need, region,
      urgency, language, email, phone, asker_org, entry, target_org, target_responder, note,
      outcome, booking, reason, comment, cursor, from, to, file, near, base, target_network, code,
      how, asker_org_id;
  double radius = 0;
  std::vector<std::string> skills, themes, regions, languages, hours, states;
  int capacity = 1;
  int score = 0;
  int limit = 0;
  bool sme = false, recommend = false, again = false, accept = false, offline = false;
  bool escalated = false, follow_up_due = false;
  bool share = false, follow_up = false;  // the asker's consent
  bool started = false, not_started = false;
};

bool Consent(const Flags& f, AskerConsent* consent) {
  consent->set_share_across_networks(f.share);
  consent->set_follow_up(f.follow_up);
  consent->set_how(f.how);
  return f.share || f.follow_up || !f.how.empty();
}

void AddConsentFlags(CLI::App* command, Flags* f) {
  command->add_flag("--share", f->share,
                    "the asker agrees that the question and contact go to another network");
  command->add_flag("--follow-up", f->follow_up,
                    "the asker agrees to be asked later whether the help started");
  command->add_option("--how", f->how, "how the consent was given, e.g. 'web form', 'by phone'");
}
using FlagsPtr = std::shared_ptr<Flags>;

// "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR 09:00 480": an RRULE, a local start time and minutes.
bool ParseHours(const std::string& text, registry::v1::AvailabilityRule* rule, App& app) {
  std::vector<std::string> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  int minutes = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[2], &minutes)) {
    app.FailUsage(
        "--hours: '" + text +
        "' is not 'RRULE HH:MM MINUTES', e.g. 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR 09:00 480'");
    return false;
  }
  rule->set_rrule(parts[0]);
  rule->set_start_time(parts[1]);
  rule->set_duration_minutes(minutes);
  rule->set_valid_from("2020-01-01");
  return true;
}

bool BuildResponder(const Flags& f, Responder* r, App& app) {
  if (!f.base.empty() && !ParsePoint(f.base, r->mutable_base(), app, "--base")) return false;
  r->set_radius_km(f.radius);
  r->set_organization_id(f.organization);
  r->set_display_name(f.name);
  r->set_token_id(f.token_id);
  r->set_email(f.email);
  r->set_capacity(f.capacity);
  r->set_time_zone(f.time_zone);
  r->set_online(!f.offline);
  for (const auto& region : f.regions) r->add_regions(region);
  for (const auto& language : f.languages) r->add_languages(language);
  for (const auto& hours : f.hours)
    if (!ParseHours(hours, r->add_working_hours(), app)) return false;
  AddEnumValues<NeedType>(f.skills, r->mutable_skills());
  AddEnumValues<registry::v1::Theme>(f.themes, r->mutable_themes());
  return true;
}

void PrintInquiries(App& app, const google::protobuf::RepeatedPtrField<Inquiry>& inquiries) {
  std::vector<const google::protobuf::Message*> rows;
  for (const auto& i : inquiries) rows.push_back(&i);
  PrintRows(rows, kInquiryColumns, app);
}

// An inquiry event as people follow it: cursor, what happened, inquiry, its state, its text.
std::string InquiryEventLine(const InquiryEvent& event) {
  return event.cursor() + " " + ShortName(event.type()) + " " + event.inquiry_id() + " " +
         ShortName(event.inquiry().state()) + " " + event.inquiry().text().substr(0, 60);
}

// A responder's profile, as `responder add` and `responder update` take it.
void AddResponderFlags(CLI::App* cmd, const FlagsPtr& f) {
  cmd->add_option("--name", f->name, "display name")->required();
  AddEnumOption<NeedType>(cmd, "--skill", f->skills, "need type it answers (repeatable)")
      ->required();
  AddEnumOption<registry::v1::Theme>(cmd, "--theme", f->themes, "theme (repeatable)");
  cmd->add_option("--region", f->regions, "CBS region served (repeatable): PVxx, CRxx, GMxxxx");
  cmd->add_option("--language", f->languages, "ISO 639-1 language (repeatable), default nl");
  cmd->add_option("--capacity", f->capacity, "most open inquiries at once")->capture_default_str();
  cmd->add_option("--time-zone", f->time_zone,
                  "IANA zone of the working hours (default Europe/Amsterdam)");
  cmd->add_option("--hours", f->hours, "working hours (repeatable): 'RRULE HH:MM MINUTES'");
  cmd->add_option("--token-id", f->token_id, "id of the API token the responder acts with");
  cmd->add_option("--email", f->email, "where offers to the responder are e-mailed");
  cmd->add_option("--base", f->base, "LAT,LON of the area it serves (with --radius)");
  cmd->add_option("--radius", f->radius, "km around --base");
}

// Registering a responder and replacing its profile.
void AddResponderEdits(CLI::App* responder, App& app, const FlagsPtr& f) {
  auto* add = responder->add_subcommand("add", "register a responder of your organisation");
  AddResponderFlags(add, f);
  add->add_option("--org", f->organization, "its organisation (default: yours)");
  add->add_flag("--offline", f->offline, "register it offline (default online)");
  add->callback([&app, f] {
    CreateResponderRequest request;
    if (!BuildResponder(*f, request.mutable_responder(), app)) return;
    CallAndPrint(app, app.client().desk(), &Stub::CreateResponder, request);
  });
  auto* update = responder->add_subcommand("update", "replace a responder's profile");
  update->add_option("id", f->id)->required();
  AddResponderFlags(update, f);
  update->callback([&app, f] {
    GetResponderRequest get;
    get.set_id(f->id);
    Responder current;
    if (!app.Check(app.client().Call(app.client().desk(), &Stub::GetResponder, get, &current)))
      return;
    UpdateResponderRequest request;
    if (!BuildResponder(*f, request.mutable_responder(), app)) return;
    request.mutable_responder()->set_id(f->id);
    request.mutable_responder()->set_etag(current.etag());
    CallAndPrint(app, app.client().desk(), &Stub::UpdateResponder, request);
  });
}

// The inquiry the `ask` flags describe; false (reported) when one is malformed.
bool BuildInquiry(const Flags& f, SubmitInquiryRequest* request, App& app) {
  request->set_need_type(EnumValue<NeedType>(f.need));
  AddEnumValues<registry::v1::Theme>(f.themes, request->mutable_themes());
  if (!f.urgency.empty()) request->set_urgency(EnumValue<Urgency>(f.urgency));
  request->set_text(f.text);
  request->set_region(f.region);
  if (!f.near.empty() && !ParsePoint(f.near, request->mutable_location(), app, "--near"))
    return false;
  request->set_language(f.language);
  request->set_asker_is_sme(f.sme);
  request->mutable_contact()->set_name(f.name);
  request->mutable_contact()->set_email(f.email);
  request->mutable_contact()->set_phone(f.phone);
  request->mutable_contact()->set_organization_name(f.asker_org);
  request->set_asker_organization_id(f.asker_org_id);
  request->set_entry_organization_id(f.entry);
  request->set_network_id(f.network);
  if (!Consent(f, request->mutable_consent())) request->clear_consent();
  return true;
}

// Responders: desk staff and experts.
void AddResponderCommands(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* responder =
      sub->add_subcommand("responder", "desk staff and experts: register, list, go online");
  responder->require_subcommand(1);
  AddResponderEdits(responder, app, f);
  auto* get_responder = responder->add_subcommand("get", "show one responder");
  get_responder->add_option("id", f->id)->required();
  get_responder->callback([&app, f] {
    GetResponderRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().desk(), &Stub::GetResponder, request);
  });
  auto* list_responders = responder->add_subcommand("list", "responders of an organisation");
  list_responders->add_option("--org", f->organization, "default: yours");
  list_responders->callback([&app, f] {
    ListRespondersRequest request;
    request.set_organization_id(f->organization);
    ListRespondersResponse all;
    auto status = app.client().ForEachPage<Stub, ListRespondersRequest, ListRespondersResponse>(
        app.client().desk(), &Stub::ListResponders, request,
        [&](const ListRespondersResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    PrintList(app, all, all.responders(), kResponderColumns);
  });
  for (bool online : {true, false}) {
    auto* cmd =
        responder->add_subcommand(online ? "online" : "offline",
                                  online ? "ready to take inquiries" : "take no new inquiries");
    cmd->add_option("id", f->id)->required();
    cmd->callback([&app, f, online] {
      SetResponderOnlineRequest request;
      request.set_id(f->id);
      request.set_online(online);
      CallAndPrint(app, app.client().desk(), &Stub::SetResponderOnline, request);
    });
  }
  auto* remove = responder->add_subcommand("delete", "remove a responder with no open inquiries");
  remove->add_option("id", f->id)->required();
  remove->callback([&app, f] {
    DeleteResponderRequest request;
    request.set_id(f->id);
    DeleteResponderResponse out;
    if (app.Check(app.client().Call(app.client().desk(), &Stub::DeleteResponder, request, &out)))
      std::cout << "deleted " << f->id << "\n";
  });
}

// Asking: an inquiry through an entry point.
void AddAsk(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* ask =
      sub->add_subcommand("ask", "submit an inquiry through your organisation's entry point");
  AddEnumOption<NeedType>(ask, "--need", f->need, "what the asker needs")->required();
  ask->add_option("--text", f->text, "the question")->required();
  AddEnumOption<registry::v1::Theme>(ask, "--theme", f->themes, "theme (repeatable)");
  ask->add_option("--region", f->region, "CBS region code of the asker");
  ask->add_option("--near", f->near, "LAT,LON of the asker");
  AddEnumOption<Urgency>(ask, "--urgency", f->urgency, "default normal");
  ask->add_option("--language", f->language, "ISO 639-1, default nl");
  ask->add_flag("--sme", f->sme, "the asker is a small or medium-sized business");
  ask->add_option("--name", f->name, "the asker's name (personal data)");
  ask->add_option("--email", f->email, "the asker's e-mail (personal data)");
  ask->add_option("--phone", f->phone, "the asker's phone (personal data)");
  ask->add_option("--asker-org", f->asker_org, "the asker's organisation name");
  ask->add_option("--asker-org-id", f->asker_org_id,
                  "the asker's organisation when it is registered (its id): counted as reached, "
                  "its bookings close a facility question");
  ask->add_option("--entry", f->entry, "the entry partner (default: your organisation)");
  ask->add_option("--network", f->network, "the network (default: the entry partner's only one)");
  AddConsentFlags(ask, f.get());
  ask->callback([&app, f] {
    SubmitInquiryRequest request;
    if (!BuildInquiry(*f, &request, app)) return;
    CallAndPrint(app, app.client().desk(), &Stub::SubmitInquiry, request);
  });
}

// One inquiry, or a list of them.
void AddInquiryQueries(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* get = sub->add_subcommand("get", "show one inquiry with its history");
  get->add_option("id", f->id)->required();
  get->callback([&app, f] {
    GetInquiryRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().desk(), &Stub::GetInquiry, request);
  });

  auto* list = sub->add_subcommand(
      "list", "inquiries of a network, an entry partner or a responder, or all escalated ones");
  auto* by_network = list->add_option("--network", f->network, "a network you coordinate");
  auto* by_entry = list->add_option("--entry", f->entry, "an entry partner (your organisation)")
                       ->excludes(by_network);
  auto* by_responder =
      list->add_option("--responder", f->responder, "offered to or assigned to this responder")
          ->excludes(by_network)
          ->excludes(by_entry);
  list->add_flag("--escalated", f->escalated,
                 "every inquiry escalated now, across networks (platform admins)")
      ->excludes(by_network)
      ->excludes(by_entry)
      ->excludes(by_responder);
  AddEnumOption<InquiryState>(list, "--state", f->states, "only these states (repeatable)");
  list->add_flag("--follow-up-due", f->follow_up_due,
                 "with --entry: only inquiries whose asker should be asked now if help started");
  list->callback([&app, f] {
    ListInquiriesRequest request;
    request.set_network_id(f->network);
    request.set_entry_organization_id(f->entry);
    request.set_responder_id(f->responder);
    request.set_escalated(f->escalated);
    request.set_follow_up_due(f->follow_up_due);
    AddEnumValues<InquiryState>(f->states, request.mutable_states());
    ListInquiriesResponse all;
    auto status = app.client().ForEachPage<Stub, ListInquiriesRequest, ListInquiriesResponse>(
        app.client().desk(), &Stub::ListInquiries, request,
        [&](const ListInquiriesResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    if (app.ForPrograms()) return PrintMessage(all, app);
    PrintInquiries(app, all.inquiries());
  });
}

// What a responder is offered: see it, accept it, decline it.
void AddOfferCommands(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* assignments =
      sub->add_subcommand("assignments", "what is offered to and assigned to a responder now");
  assignments->add_option("responder", f->responder)->required();
  assignments->callback([&app, f] {
    ListAssignmentsRequest request;
    request.set_responder_id(f->responder);
    ListAssignmentsResponse out;
    if (!app.Check(app.client().Call(app.client().desk(), &Stub::ListAssignments, request, &out)))
      return;
    if (app.ForPrograms()) return PrintMessage(out, app);
    std::cout << "offered:\n";
    PrintInquiries(app, out.offered());
    std::cout << "assigned:\n";
    PrintInquiries(app, out.assigned());
  });

  auto* accept = sub->add_subcommand("accept", "accept an inquiry offered to you");
  accept->add_option("id", f->id)->required();
  accept->add_option("--as", f->responder, "the responder id")->required();
  accept->callback([&app, f] {
    AcceptInquiryRequest request;
    request.set_id(f->id);
    request.set_responder_id(f->responder);
    CallAndPrint(app, app.client().desk(), &Stub::AcceptInquiry, request);
  });

  auto* decline = sub->add_subcommand(
      "decline", "decline an inquiry offered to you; it goes to the next partner");
  decline->add_option("id", f->id)->required();
  decline->add_option("--as", f->responder, "the responder id")->required();
  decline->add_option("--reason", f->reason, "why")->required();
  AddEnumOption<DeclineReason>(decline, "--code", f->code, "the kind of reason (default other)");
  decline->callback([&app, f] {
    DeclineInquiryRequest request;
    request.set_id(f->id);
    request.set_responder_id(f->responder);
    request.set_reason(f->reason);
    if (!f->code.empty()) request.set_reason_code(EnumValue<DeclineReason>(f->code));
    CallAndPrint(app, app.client().desk(), &Stub::DeclineInquiry, request);
  });
}

// Passing an inquiry on, or closing it.
void AddReferResolve(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* refer =
      sub->add_subcommand("refer", "refer an inquiry to a partner or a responder, with a note");
  refer->add_option("id", f->id)->required();
  refer->add_option("--as", f->responder, "the assignee (omit when referring as a coordinator)");
  auto* to_org = refer->add_option("--to-org", f->target_org, "the organisation to refer to");
  refer->add_option("--to-responder", f->target_responder, "the responder to refer to")
      ->excludes(to_org);
  refer->add_option("--to-network", f->target_network,
                    "another network: alone for its desk, or the network of --to-org (needs the "
                    "asker's consent: infrashare desk consent ID --share)");
  refer->add_option("--note", f->note, "what the next partner should know")->required();
  refer->callback([&app, f] {
    ReferInquiryRequest request;
    request.set_id(f->id);
    request.set_responder_id(f->responder);
    request.set_target_organization_id(f->target_org);
    request.set_target_responder_id(f->target_responder);
    request.set_target_network_id(f->target_network);
    request.set_note(f->note);
    CallAndPrint(app, app.client().desk(), &Stub::ReferInquiry, request);
  });

  auto* resolve = sub->add_subcommand("resolve", "close an inquiry with its outcome");
  resolve->add_option("id", f->id)->required();
  resolve->add_option("--as", f->responder, "the assignee (omit as a coordinator or to withdraw)");
  AddEnumOption<Outcome>(resolve, "--outcome", f->outcome, "how it ended")->required();
  resolve->add_option("--booking", f->booking, "the booking id (facility-booked)");
  resolve->add_option("--note", f->note, "what was done");
  resolve->callback([&app, f] {
    ResolveInquiryRequest request;
    request.set_id(f->id);
    request.set_responder_id(f->responder);
    request.set_outcome(EnumValue<Outcome>(f->outcome));
    request.set_booking_id(f->booking);
    request.set_note(f->note);
    CallAndPrint(app, app.client().desk(), &Stub::ResolveInquiry, request);
  });
}

// After the answer: feedback, erasure, the report.
void AddAftercare(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* feedback =
      sub->add_subcommand("feedback", "record the asker's feedback on a resolved inquiry");
  feedback->add_option("id", f->id)->required();
  feedback->add_option("--score", f->score, "1 to 5")->required();
  feedback->add_flag("--recommend", f->recommend, "would recommend the network");
  feedback->add_flag("--again", f->again, "would work with the network again");
  feedback->add_option("--comment", f->comment, "in the asker's words");
  feedback->callback([&app, f] {
    RecordFeedbackRequest request;
    request.set_id(f->id);
    request.mutable_feedback()->set_score(f->score);
    request.mutable_feedback()->set_would_recommend(f->recommend);
    request.mutable_feedback()->set_would_work_again(f->again);
    request.mutable_feedback()->set_comment(f->comment);
    CallAndPrint(app, app.client().desk(), &Stub::RecordFeedback, request);
  });

  auto* consent = sub->add_subcommand(
      "consent", "record what the asker agreed to (replaces an earlier record; none = withdrawn)");
  consent->add_option("id", f->id)->required();
  AddConsentFlags(consent, f.get());
  consent->callback([&app, f] {
    RecordConsentRequest request;
    request.set_id(f->id);
    Consent(*f, request.mutable_consent());
    CallAndPrint(app, app.client().desk(), &Stub::RecordConsent, request);
  });

  auto* follow_up =
      sub->add_subcommand("follow-up", "record the asker's answer: did the help actually start?");
  follow_up->add_option("id", f->id)->required();
  auto* started = follow_up->add_flag("--started", f->started, "the help started");
  follow_up->add_flag("--not-started", f->not_started, "it did not")->excludes(started);
  follow_up->add_option("--note", f->note, "in the asker's words");
  follow_up->callback([&app, f] {
    if (f->started == f->not_started) return app.FailUsage("give --started or --not-started");
    RecordFollowUpRequest request;
    request.set_id(f->id);
    request.set_help_started(f->started);
    request.set_note(f->note);
    CallAndPrint(app, app.client().desk(), &Stub::RecordFollowUp, request);
  });

  auto* erase = sub->add_subcommand("erase", "erase the asker's personal data (statistics stay)");
  erase->add_option("id", f->id)->required();
  erase->callback([&app, f] {
    EraseAskerRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().desk(), &Stub::EraseAsker, request);
  });

  auto* report = sub->add_subcommand("report", "what the desk achieved for a network in a period");
  report->add_option("--network", f->network, "a network you coordinate")->required();
  report->add_option("--from", f->from, "a time (see --tz)")->required();
  report->add_option("--to", f->to, "a time (see --tz)")->required();
  report->callback([&app, f] {
    DeskReportRequest request;
    request.set_network_id(f->network);
    if (!ParseTime(f->from, request.mutable_start_time(), app, "--from") ||
        !ParseTime(f->to, request.mutable_end_time(), app, "--to"))
      return;
    CallAndPrint(app, app.client().desk(), &Stub::GetDeskReport, request);
  });
}

// Following an inquiry, or a responder's offers, as they come.
void AddFollowCommands(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* watch = sub->add_subcommand("watch", "follow one inquiry's changes (Ctrl-C to stop)");
  watch->add_option("id", f->id)->required();
  watch->add_option("--cursor", f->cursor, "resume after this cursor");
  watch->add_option("--limit", f->limit, "stop after this many events");
  watch->callback([&app, f] {
    WatchInquiryRequest request;
    request.set_id(f->id);
    request.set_cursor(f->cursor);
    Follow(app, app.client().desk(), &Stub::WatchInquiry, request, f->limit, InquiryEventLine);
  });

  auto* follow = sub->add_subcommand(
      "follow", "responder mode: follow your offers and assignments as they come");
  follow->add_option("responder", f->responder)->required();
  follow->add_option("--cursor", f->cursor, "resume after this cursor");
  follow->add_option("--limit", f->limit, "stop after this many events");
  follow->add_flag("--accept", f->accept, "accept every offer as it arrives");
  follow->callback([&app, f] {
    StreamAssignmentsRequest request;
    request.set_responder_id(f->responder);
    request.set_cursor(f->cursor);
    auto accept_offers = [&app, f](const InquiryEvent& event) {
      if (!f->accept || event.type() != INQUIRY_EVENT_TYPE_OFFERED) return;
      AcceptInquiryRequest accept;
      accept.set_id(event.inquiry_id());
      accept.set_responder_id(f->responder);
      Inquiry out;
      // Programs see the acceptance as the stream's next event (assigned).
      if (app.Check(app.client().Call(app.client().desk(), &Stub::AcceptInquiry, accept, &out)) &&
          !app.ForPrograms())
        std::cout << "accepted " << out.id() << std::endl;
    };
    Follow(app, app.client().desk(), &Stub::StreamAssignments, request, f->limit, InquiryEventLine,
           accept_offers);
  });
}

}  // namespace

void AddDeskCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand("desk", "the network desk: ask, route, answer, refer, report");
  sub->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  AddResponderCommands(sub, app, f);
  AddAsk(sub, app, f);
  AddInquiryQueries(sub, app, f);
  AddOfferCommands(sub, app, f);
  AddReferResolve(sub, app, f);
  AddAftercare(sub, app, f);
  AddFollowCommands(sub, app, f);
}

}  // namespace infrashare::cli
