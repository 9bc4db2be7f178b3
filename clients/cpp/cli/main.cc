// infrashare: the command-line client. `infrashare --help` lists the command groups; every
// command has its own --help.
#include <cstdlib>
#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) {
  infrashare::cli::App app;
  CLI::App cli{"infrashare: the command-line client for the infrashare registry, scheduler and desk"};
  cli.require_subcommand(1);
  if (const char* token = std::getenv("INFRASHARE_TOKEN")) app.options.token = token;
  if (const char* server = std::getenv("INFRASHARE_SERVER")) app.options.server = server;
  cli.add_option("--server", app.options.server, "server address host:port (env INFRASHARE_SERVER)")
      ->capture_default_str();
  cli.add_option("--token", app.options.token, "API token (env INFRASHARE_TOKEN)");
  cli.add_flag("--tls", app.options.tls, "connect with TLS");
  cli.add_option("--ca-file", app.options.ca_file, "TLS: trust these root certificates");
  cli.add_option("--output,-o", app.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  int deadline_s = 30;
  cli.add_option("--deadline", deadline_s, "seconds per call")->capture_default_str();
  cli.parse_complete_callback([&] { app.options.deadline = std::chrono::seconds(deadline_s); });

  infrashare::cli::AddRegistryCommands(cli, app);
  infrashare::cli::AddBookingCommands(cli, app);
  infrashare::cli::AddDeskCommands(cli, app);
  infrashare::cli::AddRotationCommands(cli, app);
  infrashare::cli::AddTokenCommands(cli, app);
  infrashare::cli::AddAuditCommands(cli, app);
  CLI11_PARSE(cli, argc, argv);
  return app.exit_code;
}
