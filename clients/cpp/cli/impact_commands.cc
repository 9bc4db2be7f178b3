// `infrashare impact`: the impact report of a network (or, for platform admins, every network) for
// a period beside the period before it; as CSV or JSON for a spreadsheet or a dashboard.
#include <iostream>
#include <memory>
#include <string>

#include "cli/app.h"

namespace infrashare::cli {

void AddImpactCommands(CLI::App& cli, App& app) {
  struct Flags {
    std::string network, from, to, format;
  };
  auto f = std::make_shared<Flags>();
  auto* impact = cli.add_subcommand(
      "impact", "what the network achieved in a period, beside the period before it");
  impact->add_option("--network", f->network, "a network you coordinate; empty: every network");
  impact->add_option("--from", f->from, "RFC 3339, the period's start")->required();
  impact->add_option("--to", f->to, "RFC 3339, the period's end (exclusive)")->required();
  impact->add_option("--format", f->format, "csv or json: the export file instead of the report")
      ->check(CLI::IsMember({"csv", "json"}));
  impact->callback([&app, f] {
    impact::v1::ImpactReportRequest request;
    request.set_network_id(f->network);
    if (!ParseTime(f->from, request.mutable_start_time(), app, "--from") ||
        !ParseTime(f->to, request.mutable_end_time(), app, "--to"))
      return;
    using Stub = impact::v1::ImpactService::Stub;
    if (f->format.empty())
      return CallAndPrint(app, app.client().impact(), &Stub::GetImpactReport, request);
    impact::v1::ExportImpactReportRequest export_request;
    *export_request.mutable_report() = request;
    export_request.set_format(f->format == "csv" ? impact::v1::EXPORT_FORMAT_CSV
                                                 : impact::v1::EXPORT_FORMAT_JSON);
    impact::v1::ExportImpactReportResponse exported;
    if (Call(app, app.client().impact(), &Stub::ExportImpactReport, export_request, &exported))
      std::cout << exported.content();
  });
}

}  // namespace infrashare::cli
