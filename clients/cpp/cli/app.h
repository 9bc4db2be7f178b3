// Shared state of the `infrashare` CLI: connection options, output format, and helpers the
// command groups use to call, print and fail in one consistent way.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "cli/enum_names.h"
#include "cli/exit_codes.h"
#include "cli/times.h"
#include "infrashare_client/client.h"

namespace infrashare::cli {

struct App {
  client::ClientOptions options;
  std::string output = "table";  // table (for people), json or yaml (for programs)
  // People's times are shown and read in --tz when given; else, for a resource's times, in the
  // resource's own zone; else in TZ's zone, else Europe/Amsterdam (`zone`).
  const date::time_zone* zone = nullptr;
  bool zone_given = false;  // --tz was on the command line
  std::string resource;     // the one resource the command names, if it names one
  int exit_code = 0;

  // JSON or YAML with every field, rather than tables and lines for people.
  bool ForPrograms() const { return output != "table"; }
  client::Client& client() const {
    if (!client_) client_ = std::make_unique<client::Client>(options);
    return *client_;
  }
  // The zone a resource's times are shown and read in (see `zone`); its own is read once, and
  // `zone` stands in when it cannot be read (the call that follows reports why).
  const date::time_zone* ZoneOf(const std::string& resource_id) const;
  // Prints the one-line error and sets the exit code of its status (exit_codes.h); returns
  // status.ok().
  bool Check(const grpc::Status& status);
  // A failure found by the CLI itself (exit code 1).
  void Fail(const std::string& message);
  // A flag value or argument the CLI cannot use, so nothing was sent (exit code 2, as for the
  // command-line errors CLI11 finds).
  void FailUsage(const std::string& message);

 private:
  mutable std::unique_ptr<client::Client> client_;
  mutable std::map<std::string, const date::time_zone*> resource_zones_;
};

void AddRegistryCommands(CLI::App& cli, App& app);

// The facets, place and text of a registry search, as `search` and `booking find` take them.
struct SearchFlags {
  std::vector<std::string> kinds, themes, regions, networks, terms, states;
  std::string text, near, sme, owner;
  double radius = 25;
};
void AddSearchFlags(CLI::App* command, SearchFlags& flags);
bool BuildSearch(const SearchFlags& flags, registry::v1::SearchResourcesRequest* request, App& app);
void AddTokenCommands(CLI::App& cli, App& app);
// `login` (OpenID Connect device authorization) and `logout`.
void AddLoginCommands(CLI::App& cli, App& app);
// Where `login` keeps the access token: INFRASHARE_TOKEN_FILE, else
// $XDG_CONFIG_HOME/infrashare/token, else ~/.config/infrashare/token. Commands use it when neither
// --token nor INFRASHARE_TOKEN is given.
std::string DefaultTokenFile();
void AddAuditCommands(CLI::App& cli, App& app);
void AddPrivacyCommands(CLI::App& cli, App& app);
void AddBookingCommands(CLI::App& cli, App& app);
void AddDeskCommands(CLI::App& cli, App& app);
void AddRotationCommands(CLI::App& cli, App& app);
void AddProgrammeCommands(CLI::App& cli, App& app);
void AddImpactCommands(CLI::App& cli, App& app);
void AddWebhookCommands(CLI::App& cli, App& app);

// A time as ParseInstant (times.h) reads it in the zone of the command's resource (App::ZoneOf);
// on failure reports it against `flag` and returns false.
bool ParseTime(const std::string& text, google::protobuf::Timestamp* out, App& app,
               const std::string& flag);
// Whether a point lies in the Netherlands only with latitude and longitude swapped (a latitude
// outside 50.5-53.7 whose swap is inside): worth a warning, as it is a valid place elsewhere.
bool LooksSwapped(double latitude, double longitude);
// "52.51,6.09" as a point (warning when LooksSwapped); on failure reports it against `flag` and
// returns false.
bool ParsePoint(const std::string& text, registry::v1::GeoPoint* point, App& app,
                const std::string& flag);
// JSON text, or the contents of a file when it starts with '@' ('@-' = standard input).
// The JSON an argument holds, or the file it names with @PATH (@- standard input); nullopt after
// app.Fail when the file cannot be read.
std::optional<std::string> ReadJsonArgument(const std::string& argument, App& app);
bool ParseJson(const std::string& json, google::protobuf::Message* message, App& app);
// ReadJsonArgument, then ParseJson.
bool ParseJsonArgument(const std::string& argument, google::protobuf::Message* message, App& app);

// Output: one object, or rows of objects with chosen columns (JSON field names, dotted paths).
// For programs (-o json|yaml) every field of the object or the rows; for people key-value lines
// or a table.
// "1 booking", "3 bookings": a count with its noun (plural by adding "s").
std::string Counted(long long count, const std::string& noun);
void PrintMessage(const google::protobuf::Message& message, const App& app);
// A table for people; for programs a command prints the whole answer instead (PrintList), so
// that every list is one object with its items under a named key.
void PrintRows(const std::vector<const google::protobuf::Message*>& rows,
               const std::vector<std::string>& columns, const App& app);
// A CBS region code with the region's name ("PV23 Overijssel"); an unknown code as it is.
std::string RegionForPeople(const std::string& code);
// One event of a stream for programs: a line of JSON (JSON Lines) or a YAML document; flushed,
// so a reader sees it at once.
void PrintEvent(const google::protobuf::Message& event, const App& app);
// The message with every field as `format` ("json" or "yaml"), whatever -o says.
void PrintForPrograms(const google::protobuf::Message& message, const std::string& format);
// The message as one line of JSON, in the shape of every JSON output (field names as in the proto,
// zeros included).
std::string JsonLine(const google::protobuf::Message& message);
// Columns aligned under an upper-cased header, as PrintRows prints them.
void PrintTable(std::vector<std::string> header,
                const std::vector<std::vector<std::string>>& cells);

// Calls `method` and returns whether it answered; the error is printed (App::Check) when not.
template <typename Stub, typename Request, typename Response>
bool Call(App& app, Stub& stub,
          grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
          const Request& request, Response* response) {
  return app.Check(app.client().Call(stub, method, request, response));
}

// Calls `method` and prints its answer as one object (the common command).
template <typename Stub, typename Request, typename Response>
void CallAndPrint(App& app, Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& request) {
  Response out;
  if (Call(app, stub, method, request, &out)) PrintMessage(out, app);
}

// A list answer: the whole message for programs, or one row per item with these columns.
template <typename Items>
void PrintList(App& app, const google::protobuf::Message& answer, const Items& items,
               const std::vector<std::string>& columns) {
  if (app.ForPrograms()) return PrintMessage(answer, app);
  std::vector<const google::protobuf::Message*> rows;
  for (const auto& item : items) rows.push_back(&item);
  PrintRows(rows, columns, app);
}

// Follows a server stream until it ends, `limit` events came (0: no limit) or the user stops it.
// Each event is printed as it comes: for programs by PrintEvent, for people as the line
// `for_people` makes; `on_event` then sees it (e.g. to act on it).
template <typename Stub, typename Request, typename Event>
void Follow(App& app, Stub& stub,
            std::unique_ptr<grpc::ClientReader<Event>> (Stub::*open)(grpc::ClientContext*,
                                                                     const Request&),
            const Request& request, int limit,
            const std::type_identity_t<std::function<std::string(const Event&)>>& for_people,
            const std::type_identity_t<std::function<void(const Event&)>>& on_event = nullptr) {
  grpc::ClientContext context;
  if (!app.options.token.empty())
    context.AddMetadata("authorization", "Bearer " + app.options.token);
  auto reader = (stub.*open)(&context, request);
  Event event;
  int seen = 0;
  while (reader->Read(&event)) {
    if (app.ForPrograms())
      PrintEvent(event, app);
    else
      std::cout << for_people(event) << std::endl;
    if (on_event) on_event(event);
    if (limit > 0 && ++seen >= limit) {
      context.TryCancel();
      break;
    }
  }
  auto status = reader->Finish();
  if (status.error_code() != grpc::StatusCode::CANCELLED) app.Check(status);
}

}  // namespace infrashare::cli
