// infrashare: the command-line client. `infrashare --help` lists the command groups; every
// command has its own --help.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "cli/app.h"
#include "services/common/build_info.h"

namespace {

// After a command-line error, the first word out of place: a word where a command was expected
// ("command") or an unknown --flag ("flag"), with the nearest command of that name or flag of the
// command (or of the commands it is under); nullopt when no word is out of place or none is near.
struct Misplaced {
  std::string word, closest;  // closest: "" when none is near
  bool flag;
  std::vector<std::string> commands;  // the commands expected where `word` stands
};
std::optional<Misplaced> FindMisplaced(const CLI::App& cli) {
  std::vector<const CLI::App*> path = {&cli};
  while (!path.back()->get_subcommands().empty())
    path.push_back(path.back()->get_subcommands().front());
  std::vector<std::string> names, flags;
  for (const CLI::App* command : path.back()->get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(command->get_name());
  for (const CLI::App* command : path)
    for (const CLI::Option* option : command->get_options())
      for (const std::string& name : option->get_lnames()) flags.push_back("--" + name);
  for (const std::string& word : cli.remaining(true)) {
    const bool flag = word.rfind("--", 0) == 0;
    // A value of an unknown flag, or a word after a command that takes no more commands.
    if (word.empty() || (word[0] == '-' && !flag) || (!flag && names.empty())) continue;
    const std::string typed = flag ? word.substr(0, word.find('=')) : word;
    const std::string closest = infrashare::cli::Closest(typed, flag ? flags : names);
    if (closest.empty() && flag) return std::nullopt;
    return Misplaced{typed, closest, flag, names};
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  infrashare::cli::App app;
  CLI::App cli{
      "infrashare: the command-line client for the infrashare registry, scheduler, desk and "
      "programme"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", infrashare::VersionLine("infrashare"),
                       "print the version and git commit, and exit");
  if (const char* token = std::getenv("INFRASHARE_TOKEN")) app.options.token = token;
  if (const char* server = std::getenv("INFRASHARE_SERVER")) app.options.server = server;
  cli.add_option("--server", app.options.server, "server address host:port (env INFRASHARE_SERVER)")
      ->capture_default_str();
  cli.add_option("--token", app.options.token,
                 "API token or OpenID Connect access token (env INFRASHARE_TOKEN; default: the "
                 "one `infrashare login` kept)");
  for (auto [name, target] :
       {std::pair<const char*, std::string*>{"INFRASHARE_CA_FILE", &app.options.ca_file},
        {"INFRASHARE_CERT_FILE", &app.options.cert_file},
        {"INFRASHARE_KEY_FILE", &app.options.key_file}})
    if (const char* value = std::getenv(name)) *target = value;
  if (const char* tls = std::getenv("INFRASHARE_TLS")) app.options.tls = std::string(tls) == "1";
  cli.add_flag("--tls", app.options.tls,
               "connect with TLS (env INFRASHARE_TLS=1; implied by the files below)");
  cli.add_option("--ca-file", app.options.ca_file,
                 "TLS: trust these root certificates (env INFRASHARE_CA_FILE)")
      ->check(CLI::ExistingFile);
  auto* cert = cli.add_option("--cert-file", app.options.cert_file,
                              "mutual TLS: this client certificate (env INFRASHARE_CERT_FILE)")
                   ->check(CLI::ExistingFile);
  auto* key = cli.add_option("--key-file", app.options.key_file,
                             "mutual TLS: its private key (env INFRASHARE_KEY_FILE)")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  cli.add_option("--output,-o", app.output,
                 "table (for people), json or yaml (every field, for programs)")
      ->check(infrashare::cli::OneOf({"table", "json", "yaml"}))
      ->capture_default_str();
  std::string zone = infrashare::cli::DefaultZoneName();
  auto* tz =
      cli.add_option("--tz", zone,
                     "IANA time zone in which tables show times and times without an offset are "
                     "read (default: "
                     "a resource's own zone for its times, else env TZ, else Europe/Amsterdam)")
          ->check([](const std::string& name) {
            return infrashare::cli::FindZone(name) ? "" : infrashare::cli::UnknownZone(name);
          });
  int deadline_s = 30;
  cli.add_option("--deadline", deadline_s, "whole seconds per call")
      ->check(CLI::Range(0, 24 * 3600))
      ->capture_default_str();
  cli.parse_complete_callback([&] {
    if (app.options.token.empty() && std::getenv("INFRASHARE_TOKEN") == nullptr) {
      // The access token `infrashare login` kept, for the server it was kept for only; one that
      // is damaged is left out, with a word.
      std::ifstream kept(infrashare::cli::DefaultTokenFile());
      std::string token, server;
      if (std::getline(kept, token) && std::getline(kept, server) && server == app.options.server) {
        if (infrashare::client::CleanToken(token))
          app.options.token = token;
        else
          std::cerr << "infrashare: the token kept in " << infrashare::cli::DefaultTokenFile()
                    << " is damaged; run infrashare login again\n";
      }
    }
    if (!app.options.token.empty()) {
      auto token = infrashare::client::CleanToken(app.options.token);
      if (!token)
        throw CLI::ValidationError(
            "--token", "the token holds a space or a control character; paste it again");
      app.options.token = *token;
    }
    app.options.deadline = std::chrono::seconds(deadline_s);
    app.zone = infrashare::cli::FindZone(zone);
    app.zone_given = tz->count() > 0;
    app.options.tls =
        app.options.tls || !app.options.ca_file.empty() || !app.options.cert_file.empty();
  });

  // The options above also after a command (`infrashare booking list -o json`); the commands,
  // added below, inherit this.
  cli.fallthrough();
  infrashare::cli::AddRegistryCommands(cli, app);
  infrashare::cli::AddBookingCommands(cli, app);
  infrashare::cli::AddDeskCommands(cli, app);
  infrashare::cli::AddRotationCommands(cli, app);
  infrashare::cli::AddProgrammeCommands(cli, app);
  infrashare::cli::AddImpactCommands(cli, app);
  infrashare::cli::AddWebhookCommands(cli, app);
  infrashare::cli::AddTokenCommands(cli, app);
  infrashare::cli::AddLoginCommands(cli, app);
  infrashare::cli::AddAuditCommands(cli, app);
  infrashare::cli::AddPrivacyCommands(cli, app);
  cli.footer(infrashare::cli::ExitCodeHelp());  // after the commands: theirs stay without it
  // A wrong command line is said like every other error of the CLI.
  cli.failure_message([](const CLI::App*, const CLI::Error& error) {
    return "infrashare: " + std::string(error.what()) + "\nRun with --help for more information.\n";
  });
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 prints the help or the error; a wrong command line is exit code 2, whichever it was.
    const auto misplaced = error.get_exit_code() == 0 ? std::nullopt : FindMisplaced(cli);
    if (misplaced && !misplaced->flag) {
      // A mistyped command: said instead of CLI11's "A subcommand is required".
      std::cerr << "infrashare: unknown command '" << misplaced->word << "'; ";
      if (!misplaced->closest.empty())
        std::cerr << "did you mean '" << misplaced->closest << "'?";
      else
        std::cerr << "one of: " << absl::StrJoin(misplaced->commands, ", ");
      std::cerr << "\nRun with --help for more information.\n";
      return infrashare::cli::kExitUsage;
    }
    if (cli.exit(error) == 0) return 0;
    if (misplaced) std::cerr << "infrashare: did you mean '" << misplaced->closest << "'?\n";
    return infrashare::cli::kExitUsage;
  }
  return app.exit_code;
}
