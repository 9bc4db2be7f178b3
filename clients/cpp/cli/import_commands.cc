// `infrashare import FILE` (resources from JSON or CSV, in batches, with a progress bar and a
// report of every refused row by its line or item) and
// `infrashare catalog load FILE` (organisations, networks, resources and availability at once,
// e.g. the demo data; loading it twice changes nothing).
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/resource_csv.h"

namespace infrashare::cli {
namespace {

using namespace registry::v1;
using Stub = RegistryService::Stub;

void Progress(size_t done, size_t total) {
  constexpr int kWidth = 30;
  int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
  std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] "
            << done << "/" << total << std::flush;
  if (done == total) std::cerr << "\n";
}

// A JSON file: an array of resources, or {"resources": [...]}. An item that is no Resource is
// reported by its index and skipped.
bool ReadJson(const std::string& path, const std::string& text, std::vector<ImportRow>* rows,
              int* refused, App& app) {
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
  for (size_t i = 0; i < json.size(); ++i) {
    ImportRow row{{}, "item " + std::to_string(i), {}};
    auto status = google::protobuf::util::JsonStringToMessage(json[i].dump(), &row.resource);
    if (!status.ok()) {
      std::cerr << row.origin << ": not a Resource: " << status.message() << "\n";
      ++*refused;
      continue;
    }
    rows->push_back(std::move(row));
  }
  return true;
}

// The rows of a file; rows refused on reading are reported and counted in *refused. False when the
// file as a whole cannot be read.
bool ReadResources(const std::string& path, const std::string& format, char delimiter,
                   std::vector<ImportRow>* rows, int* refused, App& app) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    app.Fail("cannot read " + path);
    return false;
  }
  std::string text(std::istreambuf_iterator<char>(in), {});
  bool csv = format == "csv" ||
             (format.empty() && path.size() > 4 && path.substr(path.size() - 4) == ".csv");
  if (!csv) return ReadJson(path, text, rows, refused, app);
  ResourceCsv read = ReadResourceCsv(text, delimiter);
  if (!read.note.empty()) std::cerr << path << ": " << read.note << "\n";
  if (!read.refusal.empty()) {
    app.Fail(path + ": " + read.refusal);
    return false;
  }
  for (const auto& error : read.errors) std::cerr << error << "\n";
  *refused = read.refused_rows;
  *rows = std::move(read.rows);
  return true;
}

// The server names rows by their index in the call ("resources[3]"); the person reading knows them
// by where they are in the file. Every "resources[n]" of another row gets that row's origin added.
std::string WithOrigins(const std::string& message, const std::vector<ImportRow>& rows,
                        const std::vector<size_t>& sent, int row) {
  static const std::string kOpen = "resources[";
  std::string out;
  size_t at = 0;
  for (size_t found; (found = message.find(kOpen, at)) != std::string::npos;) {
    const size_t close = message.find(']', found);
    if (close == std::string::npos) break;
    out += message.substr(at, close + 1 - at);
    at = close + 1;
    const std::string digits = message.substr(found + kOpen.size(), close - found - kOpen.size());
    if (digits.empty() || digits.size() > 6 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const int n = std::stoi(digits);
    if (n != row && static_cast<size_t>(n) < sent.size()) out += " (" + rows[sent[n]].origin + ")";
  }
  return out + message.substr(at);
}

// The row a whole-call refusal names ("resources[3].description: ..."), or -1.
int RefusedRow(const grpc::Status& status) {
  const std::string field = client::ErrorField(status);
  if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT ||
      field.rfind("resources[", 0) != 0)
    return -1;
  int n = -1;
  return std::sscanf(field.c_str(), "resources[%d]", &n) == 1 ? n : -1;
}

// Whether the server refused a call for its size (more than grpc.max_message_bytes), not for a
// rate limit (also RESOURCE_EXHAUSTED): gRPC's own words, which carry no reason of ours.
bool TooLarge(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
         status.error_message().find("larger than max") != std::string::npos;
}

// The rows from `start` on that go in one call: at most `batch`, and no more bytes than the
// server takes by default (4 MiB; rows of a thousand tags each are valid and large). A row
// larger than that goes alone.
std::vector<size_t> NextBatch(const std::vector<ImportRow>& rows, size_t start, size_t batch) {
  constexpr size_t kBatchBytes = 3 * 1024 * 1024;
  std::vector<size_t> out;
  size_t bytes = 0;
  for (size_t i = start; i < rows.size() && out.size() < batch; ++i) {
    const size_t row = rows[i].resource.ByteSizeLong() + rows[i].fields.ByteSizeLong() + 16;
    if (!out.empty() && bytes + row > kBatchBytes) break;
    out.push_back(i);
    bytes += row;
  }
  return out;
}

// Sends rows in batches; returns the number of failed rows (-1 when a call failed). `refused` rows
// were refused before sending and count as failed. A call the server refuses whole because of one
// row (a cell over the API's bounds) reports that row with its line and sends the rest again; one
// it refuses for its size (a server with a lower grpc.max_message_bytes) is sent again in halves,
// and a row too large on its own is reported as failed.
int ImportInBatches(App& app, const std::vector<ImportRow>& rows, size_t batch, bool quiet,
                    int refused = 0) {
  int failed = refused, created = 0, updated = 0, unchanged = 0;
  auto report = [&](size_t at, const std::string& message, const std::string& field) {
    std::cerr << (quiet ? "" : "\n") << rows[at].origin << ": " << message;
    if (!field.empty()) std::cerr << " [field: " << field << "]";
    std::cerr << "\n";
  };
  std::vector<std::vector<size_t>> halves;  // what a call refused for its size left to send
  for (size_t next = 0; next < rows.size() || !halves.empty();) {
    std::vector<size_t> sent;
    if (!halves.empty()) {
      sent = std::move(halves.back());
      halves.pop_back();
    } else {
      sent = NextBatch(rows, next, batch);
      next += sent.size();
    }
    ImportResourcesResponse response;
    while (!sent.empty()) {
      ImportResourcesRequest request;
      for (size_t i : sent) {
        *request.add_resources() = rows[i].resource;
        *request.add_row_fields() = rows[i].fields;
      }
      const grpc::Status status =
          app.client().Call(app.client().registry(), &Stub::ImportResources, request, &response);
      if (status.ok()) break;
      if (TooLarge(status) && sent.size() == 1) {
        report(sent[0],
               "the row alone is larger than the server takes in one call (" +
                   std::to_string(request.ByteSizeLong()) + " bytes)",
               "");
        ++failed;
        sent.clear();
      } else if (TooLarge(status)) {
        halves.emplace_back(sent.begin() + static_cast<std::ptrdiff_t>(sent.size() / 2),
                            sent.end());
        sent.resize(sent.size() / 2);
      } else if (const int n = RefusedRow(status); n >= 0 && static_cast<size_t>(n) < sent.size()) {
        report(sent[n], WithOrigins(status.error_message(), rows, sent, n),
               client::ErrorField(status));
        ++failed;
        sent.erase(sent.begin() + n);
      } else {
        app.Check(status);
        return -1;
      }
      response.Clear();
    }
    created += response.created();
    updated += response.updated();
    unchanged += response.unchanged();
    failed += response.failed();
    for (const auto& row : response.rows())
      if (!row.ok() && static_cast<size_t>(row.row()) < sent.size())
        report(sent[row.row()], WithOrigins(row.error(), rows, sent, row.row()), row.field());
    if (!quiet && halves.empty()) Progress(next, rows.size());
  }
  std::cout << "created " << created << ", updated " << updated << ", unchanged " << unchanged
            << ", failed " << failed << "\n";
  return failed;
}

struct ImportFlags {
  std::string path, format, delimiter;
  int batch = 500;
  bool quiet = false;
};

void AddImport(CLI::App& cli, App& app, const std::shared_ptr<ImportFlags>& f) {
  auto* import = cli.add_subcommand("import", "bulk upsert resources from a JSON or CSV file");
  import->add_option("file", f->path, "a .json array of resources, or a .csv with a header row")
      ->required();
  import->add_option("--format", f->format, "json or csv (default: from the file name)")
      ->check(OneOf({"json", "csv"}));
  import
      ->add_option("--delimiter", f->delimiter,
                   "';' or ',' between CSV cells (default: from the header line)")
      ->check(OneOf({";", ","}));
  import
      ->add_option(
          "--batch", f->batch,
          "rows per call (the server takes at most registry.max_import_rows, 1,000 by default)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  import->add_flag("--quiet", f->quiet, "no progress bar (none either when stderr is no terminal)");
  import->footer(kCsvColumnsHelp);
  import->callback([&app, f] {
    std::vector<ImportRow> rows;
  int refused = 0;
  const char delimiter = f->delimiter.empty() ? 0 : f->delimiter[0];
  if (!ReadResources(f->path, f->format, delimiter, &rows, &refused, app)) return;
  // A bar redrawn with \r is for a person at a terminal; a log file gets the problems only.
  const bool quiet = f->quiet || !isatty(STDERR_FILENO);
  int failed = ImportInBatches(app, rows, static_cast<size_t>(f->batch), quiet, refused);
  if (failed != 0) app.exit_code = kExitFailure;
});
}  // namespace

// Creates each object with `method`, counting those created; one that exists already is kept.
// False (reported) when a call fails otherwise.
template <typename Request, typename Object, typename Items, typename Fill>
bool CreateMissing(App& app, const Items& items,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Object*),
                   Fill fill, int* created) {
  for (const auto& item : items) {
    Request request;
    fill(item, &request);
    Object out;
    auto status = app.client().Call(app.client().registry(), method, request, &out);
    if (status.ok())
      ++*created;
    else if (status.error_code() != grpc::StatusCode::ALREADY_EXISTS && !app.Check(status))
      return false;
  }
  return true;
}

// `catalog load`: organisations and networks created when missing, resources upserted,
// availability published.
void LoadCatalog(App& app, const Catalog& catalog) {
  int created = 0;
  if (!CreateMissing(
          app, catalog.organizations(), &Stub::CreateOrganization,
          [](const Organization& org, CreateOrganizationRequest* request) {
            *request->mutable_organization() = org;
            request->set_organization_id(org.id());
          },
          &created) ||
      !CreateMissing(
          app, catalog.networks(), &Stub::CreateNetwork,
          [](const Network& network, CreateNetworkRequest* request) {
            *request->mutable_network() = network;
            request->set_network_id(network.id());
          },
          &created))
    return;
  std::cout << "organisations and networks: " << created << " created\n";
  std::vector<ImportRow> resources;
  for (int i = 0; i < catalog.resources_size(); ++i)
    resources.push_back({catalog.resources(i), "resources item " + std::to_string(i), {}});
  if (ImportInBatches(app, resources, 500, true) != 0) {
    app.exit_code = kExitFailure;
    return;
  }
  for (const auto& availability : catalog.availability()) {
    PublishAvailabilityRequest request;
    request.set_resource_id(availability.resource_id());
    *request.mutable_rules() = availability.rules();
    *request.mutable_closures() = availability.closures();
    Availability out;
    if (!Call(app, app.client().registry(), &Stub::PublishAvailability, request, &out)) return;
  }
  std::cout << "availability published for " << catalog.availability_size() << " resources\n";
}

void AddCatalog(CLI::App& cli, App& app, const std::shared_ptr<ImportFlags>& f) {
  auto* catalog =
      cli.add_subcommand("catalog", "load a whole catalogue (organisations, networks, resources)");
  catalog->require_subcommand(1);
  auto* load = catalog->add_subcommand(
      "load", "create what is missing from a catalogue file; existing objects are kept");
  load->add_option("file", f->path, "Catalog JSON (see config/demo/catalog.json)")->required();
  load->callback([&app, f] {
    std::ifstream in(f->path);
    if (!in) return app.Fail("cannot read " + f->path);
    Catalog catalog;
    if (!ParseJson(std::string(std::istreambuf_iterator<char>(in), {}), &catalog, app)) return;
    LoadCatalog(app, catalog);
  });
}

}  // namespace infrashare::cli

void AddImportCommands(CLI::App& cli, App& app) {
  auto f = std::make_shared<ImportFlags>();
  AddImport(cli, app, f);
  AddCatalog(cli, app, f);
}

}  // namespace infrashare::cli
