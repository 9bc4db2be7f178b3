// `infrashare booking ...`: every RPC of infrashare.scheduler.v1 a person needs.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include "cli/app.h"

namespace infrashare::cli {
namespace {

using namespace scheduler::v1;
using Stub = SchedulerService::Stub;
using google::protobuf::Timestamp;

const std::vector<std::string> kBookingColumns = {
    "id", "state", "start_time", "end_time", "quantity", "organization_id", "title"};

struct Flags {
  std::string id, resource, organization, start, end, title, notes, reason, cursor, rrule, file,
      description, email;
  std::vector<std::string> states;
  int quantity = 1;
  int limit = 0;
  int max_results = 0;
  int duration = 0;
  bool hold = false;
  bool skip_conflicts = false;
  bool each = false;  // find: each resource's earliest slot only
  bool revoke = false;
};
using FlagsPtr = std::shared_ptr<Flags>;

// The window --start/--end (or --from/--to) name, into the request's start_time and end_time; an
// empty end is left unset when `optional`. False (reported) when one is not a time.
template <typename Request>
bool ParseWindow(const Flags& f, Request* request, App& app, const std::string& start_flag,
                 const std::string& end_flag, bool optional = false) {
  if (!(optional && f.start.empty()) &&
      !ParseTime(f.start, request->mutable_start_time(), app, start_flag))
    return false;
  return (optional && f.end.empty()) ||
         ParseTime(f.end, request->mutable_end_time(), app, end_flag);
}

void AddCreate(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* create =
      sub->add_subcommand("create", "book a slot (or --hold it for a few minutes first)");
  create->add_option("--resource", f->resource, "the resource id")->required();
  create
      ->add_option("--start", f->start,
                   "start, e.g. 2027-03-01T09:00 (in --tz) or 2027-03-01T09:00:00+01:00")
      ->required();
  create->add_option("--end", f->end, "end")->required();
  create->add_option("--quantity", f->quantity, "seats or units (shared-capacity resources)")
      ->capture_default_str();
  create->add_flag("--hold", f->hold, "place a tentative hold; confirm it with `booking submit`");
  create->add_option("--title", f->title, "what it is for");
  create->add_option("--notes", f->notes, "anything the owner should know");
  create->add_option("--for", f->organization, "platform admins: the organisation to book for");
  create->add_option("--email", f->email,
                     "your address: e-mails when it is confirmed, rejected or released");
  create->callback([&app, f] {
    CreateBookingRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    if (!ParseWindow(*f, &request, app, "--start", "--end")) return;
    request.set_quantity(f->quantity);
    request.set_hold(f->hold);
    request.set_title(f->title);
    request.set_notes(f->notes);
    request.set_organization_id(f->organization);
    request.set_contact_email(f->email);
    CallAndPrint(app, app.client().scheduler(), &Stub::CreateBooking, request);
  });
}

void AddRecur(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* recur =
      sub->add_subcommand("recur", "book a recurring slot (RRULE in the resource's time zone)");
  recur->add_option("--resource", f->resource, "the resource id")->required();
  recur->add_option("--start", f->start, "start of the first occurrence")->required();
  recur->add_option("--end", f->end, "end of the first occurrence")->required();
  recur->add_option("--rrule", f->rrule, "e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10")->required();
  recur->add_flag("--skip-conflicts", f->skip_conflicts,
                  "book the occurrences that fit (default: all or nothing)");
  recur->add_option("--quantity", f->quantity, "seats or units")->capture_default_str();
  recur->add_option("--title", f->title, "what it is for");
  recur->add_option("--for", f->organization, "platform admins: the organisation to book for");
  recur->callback([&app, f] {
    CreateRecurringBookingRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    if (!ParseWindow(*f, &request, app, "--start", "--end")) return;
    request.set_rrule(f->rrule);
    request.set_mode(f->skip_conflicts ? RECURRENCE_MODE_SKIP_CONFLICTS
                                       : RECURRENCE_MODE_ALL_OR_NOTHING);
    request.set_quantity(f->quantity);
    request.set_title(f->title);
    request.set_organization_id(f->organization);
    CreateRecurringBookingResponse out;
    if (!Call(app, app.client().scheduler(), &Stub::CreateRecurringBooking, request, &out)) return;
    PrintList(app, out, out.occurrences(),
              {"booking.id", "booking.state", "start_time", "end_time", "reason"});
    if (app.ForPrograms()) return;
    std::cout << out.booked() << " of " << out.occurrences_size() << " occurrences booked (series "
              << out.series_id() << ")\n";
    if (out.booked() == 0) app.exit_code = kExitFailure;
  });
}

// One transition: the booking id (and, with `reason`, why) to `method`, the booking printed.
template <typename Request>
void AddTransition(CLI::App* sub, App& app, const FlagsPtr& f, const char* name, const char* help,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Booking*),
                   bool reason = false) {
  auto* cmd = sub->add_subcommand(name, help);
  cmd->add_option("id", f->id)->required();
  if (reason) cmd->add_option("--reason", f->reason, "why (shown to the other side)")->required();
  cmd->callback([&app, f, method] {
    Request r;
    r.set_id(f->id);
    if constexpr (requires { r.set_reason(f->reason); }) r.set_reason(f->reason);
    CallAndPrint(app, app.client().scheduler(), method, r);
  });
}

void AddTransitions(CLI::App* sub, App& app, const FlagsPtr& f) {
  AddTransition(sub, app, f, "submit",
                "turn a hold into a request (confirmed, or pending the owner's approval)",
                &Stub::SubmitBooking);
  AddTransition(sub, app, f, "approve", "approve a pending request on your resource",
                &Stub::ApproveBooking);
  AddTransition(sub, app, f, "reject", "reject a pending request on your resource",
                &Stub::RejectBooking, true);
  AddTransition(sub, app, f, "cancel",
                "cancel a hold, request or booking (the booker or the owner)", &Stub::CancelBooking,
                true);
  AddTransition(sub, app, f, "check-in", "record that the booker arrived", &Stub::CheckInBooking);
}

// The list request the `list` flags describe; false (reported) when one is malformed.
bool BuildList(const Flags& f, ListBookingsRequest* request, App& app) {
  request->set_resource_id(f.resource);
  app.resource = f.resource;
  request->set_organization_id(f.organization);
  if (!ParseWindow(f, request, app, "--from", "--to", true)) return false;
  for (const auto& state : f.states) request->add_states(EnumValue<BookingState>(state));
  return true;
}

void AddList(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* list =
      sub->add_subcommand("list", "bookings of a resource or of your organisation, by start");
  auto* by_resource = list->add_option("--resource", f->resource, "bookings of this resource");
  list->add_option("--org", f->organization, "bookings of this organisation")
      ->excludes(by_resource);
  list->add_option("--from", f->start, "starting at or after");
  list->add_option("--to", f->end, "starting before");
  AddEnumOption<BookingState>(list, "--state", f->states, "only these states (repeatable)");
  list->callback([&app, f] {
    ListBookingsRequest request;
    if (!BuildList(*f, &request, app)) return;
    ListBookingsResponse all;
    auto status = app.client().ForEachPage<Stub, ListBookingsRequest, ListBookingsResponse>(
        app.client().scheduler(), &Stub::ListBookings, request,
        [&](const ListBookingsResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    PrintList(app, all, all.bookings(), kBookingColumns);
  });
}

void AddWaitlistCommands(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* wait = sub->add_subcommand(
      "wait", "join the waitlist for a taken slot; you get a hold when it frees");
  wait->add_option("--resource", f->resource, "the resource id")->required();
  wait->add_option("--start", f->start, "start")->required();
  wait->add_option("--end", f->end, "end")->required();
  wait->add_option("--quantity", f->quantity, "seats or units")->capture_default_str();
  wait->add_option("--title", f->title, "what it is for");
  wait->add_option("--for", f->organization, "platform admins: the organisation to wait for");
  wait->add_option("--email", f->email, "your address: an e-mail when the slot frees for you");
  wait->callback([&app, f] {
    JoinWaitlistRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    if (!ParseWindow(*f, &request, app, "--start", "--end")) return;
    request.set_quantity(f->quantity);
    request.set_title(f->title);
    request.set_organization_id(f->organization);
    request.set_contact_email(f->email);
    CallAndPrint(app, app.client().scheduler(), &Stub::JoinWaitlist, request);
  });
  auto* leave =
      sub->add_subcommand("leave-waitlist", "stop waiting (the entry id from `booking wait`)");
  leave->add_option("id", f->id)->required();
  leave->callback([&app, f] {
    LeaveWaitlistRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().scheduler(), &Stub::LeaveWaitlist, request);
  });
  auto* waitlist =
      sub->add_subcommand("waitlist", "who is waiting for a resource, first come first");
  waitlist->add_option("resource", f->resource)->required();
  waitlist->callback([&app, f] {
    ListWaitlistRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    ListWaitlistResponse out;
    if (Call(app, app.client().scheduler(), &Stub::ListWaitlist, request, &out))
      PrintList(app, out, out.entries(),
                {"id", "state", "start_time", "end_time", "quantity", "organization_id"});
  });
}

void AddFind(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto search = std::make_shared<SearchFlags>();
  auto* find = sub->add_subcommand(
      "find", "the earliest free slots of a duration across matching resources");
  AddSearchFlags(find, *search);
  find->add_option("--duration", f->duration, "minutes")->required();
  find->add_option("--from", f->start, "start of the window")->required();
  find->add_option("--to", f->end, "end of the window")->required();
  find->add_option("--quantity", f->quantity, "seats or units")->capture_default_str();
  find->add_option("--max", f->max_results, "how many slots (default 10)");
  find->add_flag("--each", f->each, "only each resource's earliest slot (to compare places)");
  find->callback([&app, f, search] {
    FindSlotsRequest request;
    if (!BuildSearch(*search, request.mutable_search(), app)) return;
    if (!ParseWindow(*f, &request, app, "--from", "--to")) return;
    request.set_duration_minutes(f->duration);
    request.set_quantity(f->quantity);
    request.set_max_results(f->max_results);
    request.set_earliest_per_resource(f->each);
    FindSlotsResponse out;
    if (!Call(app, app.client().scheduler(), &Stub::FindSlots, request, &out)) return;
    std::vector<std::string> columns = {"start_time", "end_time", "resource_id", "display_name",
                                        "remaining_capacity"};
    if (request.search().has_within()) columns.push_back("distance_km");
    if (app.ForPrograms() || out.slots_size() > 0) PrintList(app, out, out.slots(), columns);
    if (app.ForPrograms()) return;
    // Never an empty table without a reason: what matched, and why each gave no slot.
    if (out.slots_size() == 0)
      std::printf("No free slot. %s matched, %d bookable by you.\n",
                  Counted(out.resources_matched(), "resource").c_str(), out.resources_considered());
    // A matched resource neither shown nor passed over has slots only after the last one shown.
    std::set<std::string> accounted;
    for (const auto& slot : out.slots()) accounted.insert(slot.resource_id());
    for (const auto& passed : out.passed_over()) accounted.insert(passed.resource_id());
    if (const int later = out.resources_matched() - static_cast<int>(accounted.size()); later > 0)
      std::printf("%s %s free only after the last slot shown: raise --max%s.\n",
                  Counted(later, "resource").c_str(), later == 1 ? "is" : "are",
                  f->each ? "" : ", or --each for each resource's earliest slot");
    if (out.passed_over_size() == 0) return;
    std::printf("\nPassed over:\n");
    PrintList(app, out, out.passed_over(), {"resource_id", "display_name", "reason", "detail"});
  });
}

void PrintUsage(App& app, const UsageReportResponse& out) {
  PrintList(app, out, out.resources(),
            {"resource_id", "display_name", "available_hours", "booked_hours", "utilisation",
             "tariff_revenue_cents", "in_kind_hours"});
  if (app.ForPrograms()) return;
  std::printf("total: %.1f of %.1f unit-hours booked (%.0f%%), revenue EUR %.2f, in kind %.1f h\n",
              out.booked_hours(), out.available_hours(), 100 * out.utilisation(),
              static_cast<double>(out.tariff_revenue_cents()) / 100, out.in_kind_hours());
  for (const auto& k : out.by_booker_kind())
    std::printf("  %-10s %.1f h\n", k.booker_kind().c_str(), k.hours());
}

void AddUsage(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* usage = sub->add_subcommand(
      "usage", "utilisation, booker kinds, revenue and in-kind hours for a period");
  auto* usage_org =
      usage->add_option("--org", f->organization, "the resources this organisation owns");
  usage->add_option("--network", f->id, "the resources shared with this network")
      ->excludes(usage_org);
  usage->add_option("--from", f->start, "a time (see --tz)")->required();
  usage->add_option("--to", f->end, "a time (see --tz)")->required();
  usage->callback([&app, f] {
    UsageReportRequest request;
    request.set_organization_id(f->organization);
    request.set_network_id(f->id);
    if (!ParseWindow(*f, &request, app, "--from", "--to")) return;
    UsageReportResponse out;
    if (Call(app, app.client().scheduler(), &Stub::UsageReport, request, &out))
      PrintUsage(app, out);
  });
}

void AddCalendar(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* calendar = sub->add_subcommand("calendar", "write an iCalendar (.ics) file of bookings");
  auto* cal_resource = calendar->add_option("--resource", f->resource, "bookings of this resource");
  calendar->add_option("--org", f->organization, "bookings of this organisation")
      ->excludes(cal_resource);
  calendar->add_option("--from", f->start, "bookings starting at or after");
  calendar->add_option("--to", f->end, "bookings starting before");
  calendar->add_option("--file", f->file, "where to write it (default: standard output)");
  calendar->callback([&app, f] {
    ExportCalendarRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    request.set_organization_id(f->organization);
    if (!ParseWindow(*f, &request, app, "--from", "--to", true)) return;
    ExportCalendarResponse out;
    if (!Call(app, app.client().scheduler(), &Stub::ExportCalendar, request, &out)) return;
    if (f->file.empty()) {
      std::cout << out.ical();
      return;
    }
    std::ofstream file(f->file, std::ios::binary);
    file << out.ical();
    if (!file) return app.Fail("--file: cannot write " + f->file);
    std::cerr << Counted(out.events(), "booking") << " written to " << f->file << "\n";
  });
}

// `booking calendar-feed create|list|revoke`: addresses calendar programs subscribe to.
void AddCalendarFeed(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* feed = sub->add_subcommand(
      "calendar-feed", "secret addresses calendar programs subscribe to (Outlook, Google, Apple)");
  feed->require_subcommand(1);
  auto* create = feed->add_subcommand(
      "create", "a new address serving your organisation's or a resource's bookings");
  auto* by_resource = create->add_option("--resource", f->resource, "bookings of this resource");
  create->add_option("--org", f->organization, "bookings of this organisation")
      ->excludes(by_resource);
  create->add_option("--description", f->description, "what or whom it is for");
  create->callback([&app, f] {
    CreateCalendarFeedRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    request.set_organization_id(f->organization);
    request.set_description(f->description);
    CalendarFeed out;
    if (!Call(app, app.client().scheduler(), &Stub::CreateCalendarFeed, request, &out)) return;
    if (app.ForPrograms()) return PrintMessage(out, app);
    std::cout << out.url() << "\n";
    std::cerr << "Subscribe to this address in a calendar program. Anyone who has it reads the "
                 "calendar, and it is not shown again; revoke it with `infrashare booking "
                 "calendar-feed revoke "
              << out.id() << "`.\n";
  });
  auto* list = feed->add_subcommand(
      "list", "your organisation's feeds (of its bookings and of its resources), oldest first");
  list->add_option("--org", f->organization, "platform admins: another organisation's");
  list->callback([&app, f] {
    ListCalendarFeedsRequest request;
    request.set_organization_id(f->organization);
    ListCalendarFeedsResponse out;
    if (Call(app, app.client().scheduler(), &Stub::ListCalendarFeeds, request, &out))
      PrintList(
          app, out, out.feeds(),
          {"id", "organization_id", "resource_id", "description", "created_by", "create_time"});
  });
  auto* revoke = feed->add_subcommand("revoke", "the address answers 404 from now on");
  revoke->add_option("id", f->id)->required();
  revoke->callback([&app, f] {
    RevokeCalendarFeedRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().scheduler(), &Stub::RevokeCalendarFeed, request);
  });
}

void AddTrainingAndFree(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* train =
      sub->add_subcommand("train", "record that an organisation is trained on your resource");
  train->add_option("resource", f->resource)->required();
  train->add_option("--org", f->organization, "the trained organisation")->required();
  train->add_flag("--revoke", f->revoke, "take it off the list instead");
  train->callback([&app, f] {
    RecordTrainingRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    request.set_organization_id(f->organization);
    request.set_revoke(f->revoke);
    CallAndPrint(app, app.client().scheduler(), &Stub::RecordTraining, request);
  });
  auto* free = sub->add_subcommand("free", "when a resource is open and not fully booked");
  free->add_option("resource", f->resource)->required();
  free->add_option("--from", f->start, "a time (see --tz)")->required();
  free->add_option("--to", f->end, "a time (see --tz)")->required();
  free->callback([&app, f] {
    CheckAvailabilityRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    if (!ParseWindow(*f, &request, app, "--from", "--to")) return;
    CheckAvailabilityResponse out;
    if (Call(app, app.client().scheduler(), &Stub::CheckAvailability, request, &out))
      PrintList(app, out, out.free(), {"start_time", "end_time", "remaining_capacity"});
  });
}

void AddWatch(CLI::App* sub, App& app, const FlagsPtr& f) {
  auto* watch =
      sub->add_subcommand("watch", "follow booking changes as they happen (Ctrl-C to stop)");
  watch->add_option("--resource", f->resource, "only this resource");
  watch->add_option("--cursor", f->cursor, "resume after this cursor (printed with every event)");
  watch->add_option("--limit", f->limit, "stop after this many events");
  watch->callback([&app, f] {
    WatchBookingsRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    request.set_cursor(f->cursor);
    Follow(app, app.client().scheduler(), &Stub::WatchBookings, request, f->limit,
           [](const BookingEvent& event) {
             return event.cursor() + " " + ShortName(event.type()) + " " + event.booking().id() +
                    " " + ShortName(event.booking().state());
           });
  });
}

}  // namespace

void AddBookingCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand("booking", "book labs and equipment; approve, cancel, check in");
  sub->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  AddCreate(sub, app, f);
  AddRecur(sub, app, f);
  auto* get = sub->add_subcommand("get", "show one booking");
  get->add_option("id", f->id)->required();
  get->callback([&app, f] {
    GetBookingRequest request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().scheduler(), &Stub::GetBooking, request);
  });
  AddTransitions(sub, app, f);
  AddList(sub, app, f);
  AddWaitlistCommands(sub, app, f);
  AddFind(sub, app, f);
  AddUsage(sub, app, f);
  AddCalendar(sub, app, f);
  AddCalendarFeed(sub, app, f);
  AddTrainingAndFree(sub, app, f);
  AddWatch(sub, app, f);
}

}  // namespace infrashare::cli
