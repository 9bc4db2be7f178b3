// `infrashare impact`: the impact report of a network (or, for platform admins, every network) for
// a period beside the period before it; as CSV or JSON for a spreadsheet or a dashboard.
#include <google/protobuf/util/time_util.h>

#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/app.h"

namespace infrashare::cli {
namespace {

// `text` with every registry enum name in it (cells[PV23/THEME_DIGITALISATION]) as the CLI's
// short name (cells[PV23/digitalisation]).
std::string ShortEnumNames(std::string text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] >= 'A' && text[i] <= 'Z') {
      size_t end = i;
      while (end < text.size() && ((text[end] >= 'A' && text[end] <= 'Z') || text[end] == '_' ||
                                   (text[end] >= '0' && text[end] <= '9')))
        ++end;
      const auto* named = google::protobuf::DescriptorPool::generated_pool()->FindEnumValueByName(
          "infrashare.registry.v1." + text.substr(i, end - i));
      out += named != nullptr ? ShortName(named) : text.substr(i, end - i);
      i = end;
    } else {
      out += text[i++];
    }
  }
  return out;
}

// The export's CSV (RFC 4180, CRLF, quotes only where needed) as rows of cells.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        cell += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
    } else if (c == '\n') {
      row.push_back(std::move(cell));
      cell.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  if (!cell.empty() || !row.empty()) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

// A cell of the export for the table: a time in the --tz zone, anything else as it is.
std::string ValueForPeople(const std::string& cell, const App& app) {
  google::protobuf::Timestamp time;
  return google::protobuf::util::TimeUtil::FromString(cell, &time) ? TimeForPeople(time, app.zone)
                                                                   : cell;
}

}  // namespace

void AddImpactCommands(CLI::App& cli, App& app) {
  struct Flags {
    std::string network, from, to, format;
  };
  auto f = std::make_shared<Flags>();
  auto* impact = cli.add_subcommand(
      "impact", "what the network achieved in a period, beside the period before it");
  impact->add_option("--network", f->network, "a network you coordinate; empty: every network");
  impact->add_option("--from", f->from, "the period's start")->required();
  impact->add_option("--to", f->to, "the period's end (exclusive)")->required();
  impact->add_option("--format", f->format, "csv or json: the export file instead of the report")
      ->check(OneOf({"csv", "json"}));
  impact->callback([&app, f] {
    impact::v1::ImpactReportRequest request;
    request.set_network_id(f->network);
    if (!ParseTime(f->from, request.mutable_start_time(), app, "--from") ||
        !ParseTime(f->to, request.mutable_end_time(), app, "--to"))
      return;
    using Stub = impact::v1::ImpactService::Stub;
    if (f->format.empty() && app.ForPrograms())
      return CallAndPrint(app, app.client().impact(), &Stub::GetImpactReport, request);
    // The table is the CSV export's rows: the same measures, named as in the spreadsheet.
    impact::v1::ExportImpactReportRequest export_request;
    *export_request.mutable_report() = request;
    export_request.set_format(f->format == "json" ? impact::v1::EXPORT_FORMAT_JSON
                                                  : impact::v1::EXPORT_FORMAT_CSV);
    impact::v1::ExportImpactReportResponse exported;
    if (!Call(app, app.client().impact(), &Stub::ExportImpactReport, export_request, &exported))
      return;
    if (!f->format.empty()) {
      std::cout << exported.content();
      return;
    }
    std::vector<std::vector<std::string>> cells;
    // Every white spot is several rows of the export (hundreds for a country): the table counts
    // them; --format csv or -o json lists them.
    std::set<std::string> white_spots;
    for (auto& row : ParseCsv(exported.content())) {
      if (row.size() != 4 || (cells.empty() && row[0] == "section")) continue;
      // "period" holds the period's own fields (its start and end), named without a section.
      std::string measure = row[0] == "period" ? row[1] : row[0] + "." + row[1];
      if (const size_t at = measure.find(".white_spots."); at != std::string::npos) {
        const size_t name_end = measure.find('.', at + 13);
        white_spots.insert(measure.substr(0, name_end));
        continue;
      }
      cells.push_back({ShortEnumNames(std::move(measure)),
                       ShortEnumNames(ValueForPeople(row[2], app)),
                       ShortEnumNames(ValueForPeople(row[3], app))});
    }
    cells.push_back({"resources.coverage.white_spots (see --format csv)",
                     std::to_string(white_spots.size()), ""});
    PrintTable({"measure", "current", "previous"}, cells);
  });
}

}  // namespace infrashare::cli
