// `infrashare programme ...`: events of the programme (infrashare.programme.v1) as a person runs
// them: create, list, register, cancel, and the iCalendar feed.
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/app.h"

namespace infrashare::cli {
namespace {

using namespace programme::v1;
using Stub = ProgrammeService::Stub;

const std::vector<std::string> kEventColumns = {"id",       "state", "kind",       "start_time",
                                                "end_time", "title", "registered", "capacity"};

struct Flags {
  std::string id, resource, network, kind, title, description, start, end, language, visibility,
      name, email, reason, file, audience;
  std::vector<std::string> audiences;
  int capacity = 0;
  int places = 1;
  long long price_cents = 0;
  bool closed = false;
};
using FlagsPtr = std::shared_ptr<Flags>;

void AddCreate(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* create =
      sub->add_subcommand("create", "plan an event at a resource (booking it) or for a network");
  create->add_option("--resource", f->resource, "where: books this resource");
  create->add_option("--network", f->network,
                     "the network it is for (required without --resource)");
  AddEnumOption<EventKind>(create, "--kind", f->kind, "what kind of event")->required();
  create->add_option("--title", f->title, "the title")->required();
  create->add_option("--description", f->description, "what happens");
  create
      ->add_option("--start", f->start,
                   "start, e.g. 2027-03-12T14:00 (in --tz) or 2027-03-12T14:00:00+01:00")
      ->required();
  create->add_option("--end", f->end, "end")->required();
  create->add_option("--capacity", f->capacity, "places")->required();
  create->add_option("--price-cents", f->price_cents, "price per place in euro cents (0 = free)");
  create->add_option("--language", f->language, "e.g. nl, en (default nl)");
  AddEnumOption<Audience>(create, "--audience", f->audiences, "for whom (repeatable)");
  AddEnumOption<EventVisibility>(create, "--visibility", f->visibility, "default network");
  create->add_flag("--closed", f->closed, "registration closed for now");
  create->callback([&app, f] {
    CreateEventRequest request;
    Event* e = request.mutable_event();
    e->set_resource_id(f->resource);
    app.resource = f->resource;
    e->set_network_id(f->network);
    e->set_kind(EnumValue<EventKind>(f->kind));
    e->set_title(f->title);
    e->set_description(f->description);
    if (!ParseTime(f->start, e->mutable_start_time(), app, "--start") ||
        !ParseTime(f->end, e->mutable_end_time(), app, "--end"))
      return;
    e->set_capacity(f->capacity);
    e->set_price_cents(f->price_cents);
    e->set_language(f->language);
    AddEnumValues<Audience>(f->audiences, e->mutable_audiences());
    if (!f->visibility.empty()) e->set_visibility(EnumValue<EventVisibility>(f->visibility));
    e->set_registration_open(!f->closed);
    CallAndPrint(app, app.client().programme(), &Stub::CreateEvent, request);
  });
}

void AddList(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* list = sub->add_subcommand("list", "events by start (those you may see)");
  list->add_option("--resource", f->resource, "at this resource");
  list->add_option("--network", f->network, "of this network");
  list->add_option("--from", f->start, "ending after");
  list->add_option("--to", f->end, "starting before");
  AddEnumOption<EventKind>(list, "--kind", f->kind, "only this kind");
  AddEnumOption<Audience>(list, "--audience", f->audience, "only for this audience");
  list->callback([&app, f] {
    ListEventsRequest request;
    request.set_resource_id(f->resource);
    request.set_network_id(f->network);
    if (!f->start.empty() && !ParseTime(f->start, request.mutable_from_time(), app, "--from"))
      return;
    if (!f->end.empty() && !ParseTime(f->end, request.mutable_to_time(), app, "--to")) return;
    if (!f->kind.empty()) request.set_kind(EnumValue<EventKind>(f->kind));
    if (!f->audience.empty()) request.set_audience(EnumValue<Audience>(f->audience));
    request.set_page_size(500);
    // Every page: one may be short (even empty) while more follow.
    ListEventsResponse all;
    auto status = app.client().ForEachPage<Stub, ListEventsRequest, ListEventsResponse>(
        app.client().programme(), &Stub::ListEvents, request,
        [&](const ListEventsResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    PrintList(app, all, all.events(), kEventColumns);
  });
}

void AddRegister(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* reg = sub->add_subcommand("register",
                                  "register your organisation, or a named person, for an event");
  reg->add_option("event", f->id)->required();
  auto* name = reg->add_option("--name", f->name, "a person's name (personal data)");
  reg->add_option("--email", f->email, "their e-mail address")->needs(name);
  reg->add_option("--places", f->places, "places")->capture_default_str();
  reg->callback([&app, f] {
    RegisterRequest request;
    request.set_event_id(f->id);
    request.set_person_name(f->name);
    request.set_person_email(f->email);
    request.set_places(f->places);
    CallAndPrint(app, app.client().programme(), &Stub::Register, request);
  });
}

void AddCancel(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* cancel = sub->add_subcommand("cancel", "cancel an event (frees its resource)");
  cancel->add_option("event", f->id)->required();
  cancel->add_option("--reason", f->reason, "why (registrants see it)")->required();
  cancel->callback([&app, f] {
    CancelEventRequest request;
    request.set_id(f->id);
    request.set_reason(f->reason);
    CallAndPrint(app, app.client().programme(), &Stub::CancelEvent, request);
  });
}

void AddCalendar(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* ical =
      sub->add_subcommand("ical", "write the iCalendar (.ics) feed of a resource or network");
  auto* resource = ical->add_option("--resource", f->resource, "events at this resource");
  ical->add_option("--network", f->network, "events of this network")->excludes(resource);
  ical->add_option("--from", f->start, "from (default now)");
  ical->add_option("--to", f->end, "to (default a year later)");
  ical->add_option("--file", f->file, "where to write it (default: standard output)");
  ical->callback([&app, f] {
    ExportProgrammeCalendarRequest request;
    request.set_resource_id(f->resource);
    request.set_network_id(f->network);
    if (!f->start.empty() && !ParseTime(f->start, request.mutable_from_time(), app, "--from"))
      return;
    if (!f->end.empty() && !ParseTime(f->end, request.mutable_to_time(), app, "--to")) return;
    ExportProgrammeCalendarResponse out;
    if (!Call(app, app.client().programme(), &Stub::ExportProgrammeCalendar, request, &out)) return;
    if (f->file.empty()) {
      std::cout << out.calendar();
      return;
    }
    std::ofstream file(f->file, std::ios::binary);
    file << out.calendar();
    if (!file) return app.Fail("--file: cannot write " + f->file);
    // As `booking calendar` says it: on standard error, the file is the output.
    size_t events = 0;
    for (size_t at = out.calendar().find("BEGIN:VEVENT"); at != std::string::npos;
         at = out.calendar().find("BEGIN:VEVENT", at + 1))
      ++events;
    std::cerr << Counted(static_cast<long long>(events), "event") << " written to " << f->file
              << "\n";
  });
}

}  // namespace

void AddProgrammeCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand("programme", "events: open days, courses, masterclasses, ...");
  sub->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  AddCreate(sub, app, f);
  AddList(sub, app, f);
  AddRegister(sub, app, f);
  AddCancel(sub, app, f);
  AddCalendar(sub, app, f);
}

}  // namespace infrashare::cli
