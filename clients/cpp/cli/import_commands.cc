// `infrashare import FILE` (resources from JSON or CSV, in batches, with a progress bar) and
// `infrashare catalog load FILE` (organisations, networks, resources and availability at once,
// e.g. the demo data; loading it twice changes nothing).
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"

namespace infrashare::cli {
namespace {

using namespace registry::v1;
using Stub = RegistryService::Stub;

void Progress(size_t done, size_t total) {
  constexpr int kWidth = 30;
  int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
  std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] " << done << "/"
            << total << std::flush;
  if (done == total) std::cerr << "\n";
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  cells.push_back(cell);
  return cells;
}

// CSV columns (header row, any order): id, display_name, description, kind, owner_organization_id,
// latitude, longitude, province, corop, municipality, themes (;-separated), tags (;-separated),
// shared_with_network_ids (;-separated), booking_mode, capacity, access_policy, sme_accessible,
// time_zone, url. Each row becomes the JSON of a Resource, so the server validates every field.
bool ReadCsv(const std::string& text, std::vector<Resource>* rows, App& app) {
  std::stringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return true;
  std::vector<std::string> header = SplitCsvLine(line);
  int number = 1;
  auto list = [](const std::string& cell) {
    nlohmann::json array = nlohmann::json::array();
    std::stringstream parts(cell);
    for (std::string p; std::getline(parts, p, ';');)
      if (!p.empty()) array.push_back(p);
    return array;
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    auto cells = SplitCsvLine(line);
    nlohmann::json r = nlohmann::json::object();
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) {
      const std::string& column = header[i];
      const std::string& cell = cells[i];
      if (cell.empty()) continue;
      if (column == "latitude" || column == "longitude") {
        r["location"]["point"][column] = std::atof(cell.c_str());
      } else if (column == "province" || column == "corop" || column == "municipality") {
        r["location"]["region"][column] = cell;
      } else if (column == "themes") {
        nlohmann::json themes = nlohmann::json::array();
        for (const auto& t : list(cell)) {
          int n = ParseEnum(Theme_descriptor(), "THEME_", t.get<std::string>());
          themes.push_back(n < 0 ? t.get<std::string>() : Theme_Name(n));
        }
        r["themes"] = themes;
      } else if (column == "tags" || column == "shared_with_network_ids") {
        r[column] = list(cell);
      } else if (column == "kind") {
        int n = ParseEnum(ResourceKind_descriptor(), "RESOURCE_KIND_", cell);
        r[column] = n < 0 ? cell : ResourceKind_Name(n);
      } else if (column == "booking_mode") {
        int n = ParseEnum(BookingMode_descriptor(), "BOOKING_MODE_", cell);
        r[column] = n < 0 ? cell : BookingMode_Name(n);
      } else if (column == "access_policy") {
        int n = ParseEnum(AccessPolicy_descriptor(), "ACCESS_POLICY_", cell);
        r[column] = n < 0 ? cell : AccessPolicy_Name(n);
      } else if (column == "capacity") {
        r[column] = std::atoi(cell.c_str());
      } else if (column == "sme_accessible") {
        r[column] = cell == "true" || cell == "yes" || cell == "1";
      } else {
        r[column] = cell;
      }
    }
    Resource resource;
    if (!ParseJson(r.dump(), &resource, app)) {
      app.Fail("CSV line " + std::to_string(number) + " could not be read");
      return false;
    }
    rows->push_back(std::move(resource));
  }
  return true;
}

bool ReadResources(const std::string& path, const std::string& format, std::vector<Resource>* rows, App& app) {
  std::ifstream in(path);
  if (!in) {
    app.Fail("cannot read " + path);
    return false;
  }
  std::string text(std::istreambuf_iterator<char>(in), {});
  bool csv = format == "csv" || (format.empty() && path.size() > 4 && path.substr(path.size() - 4) == ".csv");
  if (csv) return ReadCsv(text, rows, app);
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) {
    app.Fail(path + " is not JSON");
    return false;
  }
  if (json.is_object() && json.contains("resources")) json = json["resources"];
  if (!json.is_array()) {
    app.Fail(path + ": expected an array of resources or {\"resources\": [...]}");
    return false;
  }
  for (const auto& item : json) {
    Resource r;
    if (!ParseJson(item.dump(), &r, app)) return false;
    rows->push_back(std::move(r));
  }
  return true;
}

// Sends rows in batches; returns the number of failed rows (-1 when a call failed).
int ImportInBatches(App& app, const std::vector<Resource>& rows, size_t batch, bool quiet) {
  int failed = 0, created = 0, updated = 0;
  for (size_t start = 0; start < rows.size(); start += batch) {
    ImportResourcesRequest request;
    for (size_t i = start; i < std::min(rows.size(), start + batch); ++i) *request.add_resources() = rows[i];
    ImportResourcesResponse response;
    if (!app.Check(app.client().Call(app.client().registry(), &Stub::ImportResources, request, &response)))
      return -1;
    created += response.created();
    updated += response.updated();
    failed += response.failed();
    for (const auto& row : response.rows())
      if (!row.ok()) {
        std::cerr << (quiet ? "" : "\n") << "row " << (start + row.row()) << ": " << row.error();
        if (!row.field().empty()) std::cerr << " [field: " << row.field() << "]";
        std::cerr << "\n";
      }
    if (!quiet) Progress(std::min(rows.size(), start + batch), rows.size());
  }
  std::cout << "created " << created << ", updated " << updated << ", failed " << failed << "\n";
  return failed;
}

}  // namespace

void AddImportCommands(CLI::App& cli, App& app) {
  struct Flags {
    std::string path, format;
    int batch = 500;
    bool quiet = false;
  };
  auto f = std::make_shared<Flags>();
  auto* import = cli.add_subcommand("import", "bulk upsert resources from a JSON or CSV file");
  import->add_option("file", f->path, "a .json array of resources, or a .csv with a header row")->required();
  import->add_option("--format", f->format, "json or csv (default: from the file name)")
      ->check(CLI::IsMember({"json", "csv"}));
  import->add_option("--batch", f->batch, "rows per call")->capture_default_str()->check(CLI::Range(1, 100000));
  import->add_flag("--quiet", f->quiet, "no progress bar");
  import->callback([&app, f] {
    std::vector<Resource> rows;
    if (!ReadResources(f->path, f->format, &rows, app)) return;
    int failed = ImportInBatches(app, rows, static_cast<size_t>(f->batch), f->quiet);
    if (failed != 0) app.exit_code = 1;
  });

  auto* catalog = cli.add_subcommand("catalog", "load a whole catalogue (organisations, networks, resources)");
  catalog->require_subcommand(1);
  auto* load = catalog->add_subcommand("load", "create what is missing from a catalogue file; existing objects are kept");
  load->add_option("file", f->path, "Catalog JSON (see config/demo/catalog.json)")->required();
  load->callback([&app, f] {
    std::ifstream in(f->path);
    if (!in) return app.Fail("cannot read " + f->path);
    Catalog catalog;
    if (!ParseJson(std::string(std::istreambuf_iterator<char>(in), {}), &catalog, app)) return;
    int created = 0;
    for (const auto& org : catalog.organizations()) {
      CreateOrganizationRequest request;
      *request.mutable_organization() = org;
      request.set_organization_id(org.id());
      Organization out;
      auto status = app.client().Call(app.client().registry(), &Stub::CreateOrganization, request, &out);
      if (status.ok()) ++created;
      else if (status.error_code() != grpc::StatusCode::ALREADY_EXISTS && !app.Check(status)) return;
    }
    for (const auto& network : catalog.networks()) {
      CreateNetworkRequest request;
      *request.mutable_network() = network;
      request.set_network_id(network.id());
      Network out;
      auto status = app.client().Call(app.client().registry(), &Stub::CreateNetwork, request, &out);
      if (status.ok()) ++created;
      else if (status.error_code() != grpc::StatusCode::ALREADY_EXISTS && !app.Check(status)) return;
    }
    std::cout << "organisations and networks: " << created << " created\n";
    std::vector<Resource> resources(catalog.resources().begin(), catalog.resources().end());
    if (ImportInBatches(app, resources, 500, true) != 0) {
      app.exit_code = 1;
      return;
    }
    for (const auto& availability : catalog.availability()) {
      PublishAvailabilityRequest request;
      request.set_resource_id(availability.resource_id());
      *request.mutable_rules() = availability.rules();
      *request.mutable_closures() = availability.closures();
      Availability out;
      if (!app.Check(app.client().Call(app.client().registry(), &Stub::PublishAvailability, request, &out))) return;
    }
    std::cout << "availability published for " << catalog.availability_size() << " resources\n";
  });
}

}  // namespace infrashare::cli
