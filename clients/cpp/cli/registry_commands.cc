// `infrashare org|network|resource|availability|search|watch|coverage|overlap|import|catalog`:
// every RPC of infrashare.registry.v1.
#include <google/protobuf/util/time_util.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"

namespace infrashare::cli {
namespace {

using namespace registry::v1;
using google::protobuf::util::TimeUtil;
using Stub = RegistryService::Stub;
template <typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

// The update mask of a JSON patch: its top-level keys, as proto field names.
google::protobuf::FieldMask MaskFromJson(const std::string& json,
                                         const google::protobuf::Descriptor* d) {
  google::protobuf::FieldMask mask;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_object()) return mask;
  for (const auto& [key, value] : parsed.items()) {
    const google::protobuf::FieldDescriptor* field = d->FindFieldByName(key);
    for (int i = 0; field == nullptr && i < d->field_count(); ++i)
      if (d->field(i)->json_name() == key) field = d->field(i);
    if (field != nullptr && field->name() != "id" && field->name() != "etag")
      mask.add_paths(field->name());
  }
  return mask;
}

std::vector<std::string> Split(const std::string& text, char by) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, by);) parts.push_back(part);
  if (!text.empty() && text.back() == by) parts.push_back("");
  return parts;
}

void Print(App& app, const google::protobuf::Message& m) { PrintMessage(m, app); }

template <typename Item>
void PrintItems(App& app, const google::protobuf::RepeatedPtrField<Item>& items,
                const std::vector<std::string>& columns) {
  std::vector<const google::protobuf::Message*> rows;
  for (const auto& i : items) rows.push_back(&i);
  PrintRows(rows, columns, app);
}

// The commands every kind of registry object has in the same shape: get, update (a JSON patch
// whose keys are the mask) and delete, by id.
template <typename Request, typename Object, typename Flags>
void AddGet(CLI::App* sub, App& app, const std::shared_ptr<Flags>& f, const char* help,
            Method<Request, Object> method) {
  auto* get = sub->add_subcommand("get", help);
  get->add_option("id", f->id)->required();
  get->callback([&app, f, method] {
    Request request;
    request.set_id(f->id);
    CallAndPrint(app, app.client().registry(), method, request);
  });
}

template <typename Request, typename Object, typename Flags>
void AddUpdate(CLI::App* sub, App& app, const std::shared_ptr<Flags>& f, const char* help,
               const char* etag_help, Method<Request, Object> method,
               Object* (Request::*object)()) {
  auto* update = sub->add_subcommand("update", help);
  update->add_option("id", f->id)->required();
  update
      ->add_option("--json", f->json,
                   "the fields to set, as JSON or @file; its keys are the update mask")
      ->required();
  update->add_option("--etag", f->etag, etag_help);
  update->callback([&app, f, method, object] {
    Request request;
    const auto json = ReadJsonArgument(f->json, app);
    if (!json) return;
    Object* patch = (request.*object)();
    if (!ParseJson(*json, patch, app)) return;
    patch->set_id(f->id);
    patch->set_etag(f->etag);
    *request.mutable_update_mask() = MaskFromJson(*json, Object::descriptor());
    CallAndPrint(app, app.client().registry(), method, request);
  });
}

template <typename Request, typename Flags>
void AddDelete(CLI::App* sub, App& app, const std::shared_ptr<Flags>& f, const char* help,
               Method<Request, DeleteResponse> method) {
  auto* del = sub->add_subcommand("delete", help);
  del->add_option("id", f->id)->required();
  del->add_option("--etag", f->etag);
  del->callback([&app, f, method] {
    Request request;
    request.set_id(f->id);
    request.set_etag(f->etag);
    DeleteResponse out;
    if (Call(app, app.client().registry(), method, request, &out))
      std::cout << "deleted " << f->id << "\n";
  });
}

struct OrganizationFlags {
  std::string id, json, name, kind, province, etag, mask;
  bool sme = false;
  int page_size = 0;
};

void AddOrganizationCreate(CLI::App* sub, App& app, const std::shared_ptr<OrganizationFlags>& f) {
  auto* create =
      sub->add_subcommand("create", "add an organisation (platform admins, network coordinators)");
  create->add_option("--id", f->id, "choose the id (default: server-assigned)");
  create->add_option("--json", f->json, "the Organization as JSON, or @file");
  create->add_option("--name", f->name, "display name");
  AddEnumOption<OrganizationKind>(create, "--kind", f->kind, "what kind of organisation");
  create->add_flag("--sme", f->sme, "a small or medium-sized company");
  create->add_option("--province", f->province, "CBS province code, e.g. PV23");
  create->callback([&app, f] {
    CreateOrganizationRequest request;
    if (!f->json.empty() && !ParseJsonArgument(f->json, request.mutable_organization(), app))
      return;
    auto* org = request.mutable_organization();
    if (!f->name.empty()) org->set_display_name(f->name);
    if (!f->kind.empty()) org->set_kind(EnumValue<OrganizationKind>(f->kind));
    if (f->sme) org->set_sme(true);
    if (!f->province.empty()) org->mutable_location()->mutable_region()->set_province(f->province);
    request.set_organization_id(f->id);
    CallAndPrint(app, app.client().registry(), &Stub::CreateOrganization, request);
  });
}

void AddOrganizationList(CLI::App* sub, App& app, const std::shared_ptr<OrganizationFlags>& f) {
  auto* list = sub->add_subcommand("list", "list organisations (every page)");
  AddEnumOption<OrganizationKind>(list, "--kind", f->kind, "only this kind");
  list->callback([&app, f] {
    ListOrganizationsRequest request;
    if (!f->kind.empty()) request.set_kind(EnumValue<OrganizationKind>(f->kind));
    ListOrganizationsResponse all;
    auto status =
        app.client().ForEachPage<Stub, ListOrganizationsRequest, ListOrganizationsResponse>(
            app.client().registry(), &Stub::ListOrganizations, request,
            [&](const ListOrganizationsResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    PrintList(app, all, all.organizations(),
              {"id", "display_name", "kind", "sme", "location.region.province"});
  });
}

void AddOrganizationCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand("org", "organisations: schools, companies, governments");
  sub->require_subcommand(1);
  auto f = std::make_shared<OrganizationFlags>();
  AddOrganizationCreate(sub, app, f);
  AddGet(sub, app, f, "show one organisation", &Stub::GetOrganization);
  AddUpdate(sub, app, f, "change fields of an organisation (its admins)",
            "fail with ABORTED unless the organisation still has this etag",
            &Stub::UpdateOrganization, &UpdateOrganizationRequest::mutable_organization);
  AddDelete(sub, app, f, "remove an organisation (platform admins)", &Stub::DeleteOrganization);
  AddOrganizationList(sub, app, f);
}

struct NetworkFlags {
  std::string id, json, name, etag;
  std::vector<std::string> members;
};

void AddNetworkCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand("network", "regional public-private networks (HIPs)");
  sub->require_subcommand(1);
  auto f = std::make_shared<NetworkFlags>();
  auto* create = sub->add_subcommand("create", "add a network (platform admins)");
  create->add_option("--id", f->id, "choose the id (default: server-assigned)");
  create->add_option("--json", f->json, "the Network as JSON, or @file");
  create->add_option("--name", f->name, "display name");
  create->add_option("--member", f->members, "member organisation id (repeatable)");
  create->callback([&app, f] {
    CreateNetworkRequest request;
    if (!f->json.empty() && !ParseJsonArgument(f->json, request.mutable_network(), app)) return;
    if (!f->name.empty()) request.mutable_network()->set_display_name(f->name);
    for (const auto& m : f->members) request.mutable_network()->add_member_organization_ids(m);
    request.set_network_id(f->id);
    CallAndPrint(app, app.client().registry(), &Stub::CreateNetwork, request);
  });
  AddGet(sub, app, f, "show one network", &Stub::GetNetwork);
  AddUpdate(sub, app, f, "change fields of a network (its coordinators)", "", &Stub::UpdateNetwork,
            &UpdateNetworkRequest::mutable_network);
  AddDelete(sub, app, f, "remove a network (platform admins)", &Stub::DeleteNetwork);
  auto* list = sub->add_subcommand("list", "list networks (every page)");
  list->callback([&app] {
    ListNetworksResponse all;
    auto status = app.client().ForEachPage<Stub, ListNetworksRequest, ListNetworksResponse>(
        app.client().registry(), &Stub::ListNetworks, {},
        [&](const ListNetworksResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    PrintList(app, all, all.networks(),
              {"id", "display_name", "themes", "member_organization_ids"});
  });
}

const std::vector<std::string> kResourceColumns = {
    "id",    "lifecycle.state",       "display_name",
    "kind",  "owner_organization_id", "location.region.province",
    "themes"};

struct ResourceFlags {
  std::string id, json, name, kind, owner, province, etag;
  std::vector<std::string> themes, networks;
  double lat = 0, lon = 0;
};

// The resource `resource create`'s flags describe (over --json); false (reported) when one is bad.
bool BuildResource(const ResourceFlags& f, const CLI::App* create, Resource* r, App& app) {
  if (!f.json.empty() && !ParseJsonArgument(f.json, r, app)) return false;
  if (!f.name.empty()) r->set_display_name(f.name);
  if (!f.owner.empty()) r->set_owner_organization_id(f.owner);
  if (!f.kind.empty()) r->set_kind(EnumValue<ResourceKind>(f.kind));
  AddEnumValues<Theme>(f.themes, r->mutable_themes());
  for (const auto& n : f.networks) r->add_shared_with_network_ids(n);
  if (create->count("--lat") || create->count("--lon")) {
    if (LooksSwapped(f.lat, f.lon)) {
      const std::string lat = create->get_option("--lat")->as<std::string>();
      const std::string lon = create->get_option("--lon")->as<std::string>();
      std::cerr << "infrashare: warning: --lat " << lat << " --lon " << lon
                << " lies outside the Netherlands; did you mean --lat " << lon << " --lon " << lat
                << "?\n";
    }
    r->mutable_location()->mutable_point()->set_latitude(f.lat);
    r->mutable_location()->mutable_point()->set_longitude(f.lon);
  }
  if (!f.province.empty()) r->mutable_location()->mutable_region()->set_province(f.province);
  return true;
}

void AddResourceCreate(CLI::App* sub, App& app, const std::shared_ptr<ResourceFlags>& f) {
  auto* create = sub->add_subcommand("create", "add a resource (the owner's admins and members)");
  create->add_option("--id", f->id, "choose the id (default: server-assigned)");
  create->add_option("--json", f->json, "the Resource as JSON, or @file");
  create->add_option("--name", f->name, "display name");
  AddEnumOption<ResourceKind>(create, "--kind", f->kind, "what kind of resource");
  create->add_option("--owner", f->owner, "owner organisation id");
  AddEnumOption<Theme>(create, "--theme", f->themes, "theme (repeatable)");
  create->add_option("--network", f->networks, "share with this network (repeatable)");
  create->add_option("--lat", f->lat, "latitude");
  create->add_option("--lon", f->lon, "longitude");
  create->add_option("--province", f->province, "CBS province code, e.g. PV23");
  create->callback([&app, f, create] {
    CreateResourceRequest request;
    if (!BuildResource(*f, create, request.mutable_resource(), app)) return;
    request.set_resource_id(f->id);
    CallAndPrint(app, app.client().registry(), &Stub::CreateResource, request);
  });
}

void AddResourceCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand(
      "resource", "labs, campuses, hubs, mobile labs, equipment, digital facilities");
  sub->require_subcommand(1);
  auto f = std::make_shared<ResourceFlags>();
  AddResourceCreate(sub, app, f);
  AddGet(sub, app, f, "show one resource", &Stub::GetResource);
  AddUpdate(sub, app, f, "change fields of a resource (the owner)", "", &Stub::UpdateResource,
            &UpdateResourceRequest::mutable_resource);
  AddDelete(sub, app, f, "remove a resource (the owner)", &Stub::DeleteResource);
  auto* list = sub->add_subcommand("list", "list resources (every page)");
  list->add_option("--owner", f->owner, "only this owner's");
  list->callback([&app, f] {
    ListResourcesRequest request;
    request.set_owner_organization_id(f->owner);
    request.set_page_size(500);
    ListResourcesResponse all;
    auto status = app.client().ForEachPage<Stub, ListResourcesRequest, ListResourcesResponse>(
        app.client().registry(), &Stub::ListResources, request,
        [&](const ListResourcesResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    PrintList(app, all, all.resources(), kResourceColumns);
  });
}

struct AvailabilityFlags {
  std::string resource, etag, from, to, json;
  std::vector<std::string> rules, closures;
};

// The availability `availability publish`'s flags describe (over --json); false (reported) when
// one is malformed.
bool BuildAvailability(const AvailabilityFlags& f, PublishAvailabilityRequest* request, App& app) {
  if (!f.json.empty() && !ParseJsonArgument(f.json, request, app)) return false;
  request->set_resource_id(f.resource);
  if (!f.etag.empty()) request->set_etag(f.etag);
  for (const auto& text : f.rules) {
    auto parts = Split(text, '|');
    if (parts.size() < 4) {
      app.FailUsage("--rule: expected RRULE|HH:MM|MINUTES|FROM[|UNTIL], got '" + text + "'");
      return false;
    }
    auto* rule = request->add_rules();
    rule->set_rrule(parts[0]);
    rule->set_start_time(parts[1]);
    rule->set_duration_minutes(std::atoi(parts[2].c_str()));
    rule->set_valid_from(parts[3]);
    if (parts.size() > 4) rule->set_valid_until(parts[4]);
  }
  for (const auto& text : f.closures) {
    auto parts = Split(text, '|');
    if (parts.size() < 2) {
      app.FailUsage("--closure: expected START|END[|REASON], got '" + text + "'");
      return false;
    }
    auto* closure = request->add_closures();
    if (!ParseTime(parts[0], closure->mutable_start_time(), app, "--closure") ||
        !ParseTime(parts[1], closure->mutable_end_time(), app, "--closure"))
      return false;
    closure->set_kind(CLOSURE_KIND_CLOSED);
    if (parts.size() > 2) closure->set_reason(parts[2]);
  }
  return true;
}

void AddAvailabilityCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand("availability", "opening windows and closures of a resource");
  sub->require_subcommand(1);
  auto f = std::make_shared<AvailabilityFlags>();
  auto* publish = sub->add_subcommand("publish", "replace a resource's availability (the owner)");
  publish->add_option("resource", f->resource)->required();
  publish->add_option("--rule", f->rules,
                      "RRULE|HH:MM|MINUTES|FROM[|UNTIL], e.g. "
                      "'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR|08:30|480|2026-01-01' (repeatable)");
  publish->add_option("--closure", f->closures,
                      "START|END|REASON, e.g. "
                      "'2026-12-24T00:00:00Z|2026-12-27T00:00:00Z|Christmas' (repeatable)");
  publish->add_option("--json", f->json, "the whole PublishAvailabilityRequest as JSON, or @file");
  publish->add_option("--etag", f->etag, "etag of the availability being replaced");
  publish->callback([&app, f] {
    PublishAvailabilityRequest request;
    if (BuildAvailability(*f, &request, app))
      CallAndPrint(app, app.client().registry(), &Stub::PublishAvailability, request);
  });
  auto* get = sub->add_subcommand("get", "open windows of a resource in a time range");
  get->add_option("resource", f->resource)->required();
  get->add_option("--from", f->from, "start")->required();
  get->add_option("--to", f->to, "end")->required();
  get->callback([&app, f] {
    GetAvailabilityRequest request;
    request.set_resource_id(f->resource);
    app.resource = f->resource;
    if (!ParseTime(f->from, request.mutable_start_time(), app, "--from") ||
        !ParseTime(f->to, request.mutable_end_time(), app, "--to"))
      return;
    GetAvailabilityResponse out;
    if (!Call(app, app.client().registry(), &Stub::GetAvailability, request, &out)) return;
    if (app.ForPrograms()) return Print(app, out);
    std::cout << "the resource's time zone: " << out.time_zone() << "\n";
    if (!out.has_availability())
      // Nothing published: the scheduler books it at any time (only bookings stand in the way).
      std::cout << "no opening hours published: open at any time\n";
    else if (out.windows().empty())
      std::cout << "no open window in this period\n";
    else
      PrintItems(app, out.windows(), {"start_time", "end_time"});
    // The closures in the period: why a window one expects is missing.
    google::protobuf::RepeatedPtrField<Closure> closures;
    for (const auto& closure : out.availability().closures())
      if (closure.end_time() > request.start_time() && closure.start_time() < request.end_time())
        *closures.Add() = closure;
    if (closures.empty()) return;
    std::cout << "\nclosed:\n";
    PrintItems(app, closures, {"start_time", "end_time", "kind", "reason"});
  });
}

}  // namespace

void AddSearchFlags(CLI::App* command, SearchFlags& f) {
  AddEnumOption<ResourceKind>(command, "--kind", f.kinds, "resource kind (repeatable)");
  AddEnumOption<Theme>(command, "--theme", f.themes, "theme (repeatable)");
  command->add_option("--region", f.regions, "CBS code PVxx, CRxx or GMxxxx (repeatable)");
  command->add_option("--network", f.networks, "shared with this network (repeatable)");
  AddEnumOption<TermsKind>(command, "--terms", f.terms, "terms of use (repeatable)");
  AddEnumOption<LifecycleState>(command, "--state", f.states, "lifecycle state (repeatable)");
  command->add_option("--sme", f.sme, "yes: only SME-accessible; no: only not")
      ->check(OneOf({"yes", "no"}));
  command->add_option("--owner", f.owner, "owner organisation id");
  command->add_option("--text", f.text, "word prefixes in name, description or tags");
  command->add_option("--near", f.near, "LAT,LON: search within --radius km of this point");
  command->add_option("--radius", f.radius, "km around --near")->capture_default_str();
}

bool BuildSearch(const SearchFlags& f, SearchResourcesRequest* request, App& app) {
  AddEnumValues<ResourceKind>(f.kinds, request->mutable_kinds());
  AddEnumValues<Theme>(f.themes, request->mutable_themes());
  AddEnumValues<TermsKind>(f.terms, request->mutable_terms_kinds());
  AddEnumValues<LifecycleState>(f.states, request->mutable_lifecycle_states());
  for (const auto& r : f.regions) request->add_region_codes(r);
  for (const auto& n : f.networks) request->add_network_ids(n);
  if (!f.sme.empty()) request->set_sme_accessible(f.sme == "yes");
  request->set_owner_organization_id(f.owner);
  request->set_text_prefix(f.text);
  if (!f.near.empty()) {
    if (!ParsePoint(f.near, request->mutable_within()->mutable_center(), app, "--near"))
      return false;
    request->mutable_within()->set_radius_km(f.radius);
  }
  return true;
}

namespace {

void AddSearchCommand(CLI::App& cli, App& app) {
  struct Flags : SearchFlags {
    std::string order, page_token;
    int page_size = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* search = cli.add_subcommand("search", "find resources by facets, place and text");
  AddSearchFlags(search, *f);
  search->add_option("--order", f->order, "name or distance")->check(OneOf({"name", "distance"}));
  search->add_option("--page-size", f->page_size);
  search->add_option("--page-token", f->page_token);
  search->callback([&app, f] {
    SearchResourcesRequest request;
    if (!BuildSearch(*f, &request, app)) return;
    if (f->order == "distance") request.set_order_by(SEARCH_ORDER_DISTANCE);
    if (f->order == "name") request.set_order_by(SEARCH_ORDER_NAME);
    request.set_page_size(f->page_size);
    request.set_page_token(f->page_token);
    SearchResourcesResponse out;
    if (!app.Check(
            app.client().Call(app.client().registry(), &Stub::SearchResources, request, &out)))
      return;
    if (app.ForPrograms()) return Print(app, out);
    std::vector<std::string> columns = {
        "resource.id",   "resource.lifecycle.state",          "resource.display_name",
        "resource.kind", "resource.location.region.province", "resource.themes"};
    if (request.has_within()) columns.push_back("distance_km");
    PrintItems(app, out.hits(), columns);
    std::cout << out.total_size() << " found";
    for (const auto& facet : out.facets()) {
      std::cout << "\n  " << facet.field() << ":";
      for (const auto& v : facet.values()) {
        // Enum facets (kind, themes, ...) come as the API's names: shown as the CLI's short ones.
        const auto* named = google::protobuf::DescriptorPool::generated_pool()->FindEnumValueByName(
            "infrashare.registry.v1." + v.value());
        std::cout << " "
                  << (facet.field() == "province" ? RegionForPeople(v.value())
                      : named != nullptr          ? ShortName(named)
                                                  : v.value())
                  << " (" << v.count() << ")";
      }
    }
    std::cout << "\n";
    if (!out.next_page_token().empty())
      std::cout << "more: --page-token " << out.next_page_token() << "\n";
  });
}

void AddWatchCommand(CLI::App& cli, App& app) {
  struct Flags {
    std::string cursor;
    int limit = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* watch =
      cli.add_subcommand("watch", "follow resource changes as they happen (Ctrl-C to stop)");
  watch->add_option("--cursor", f->cursor, "resume after this cursor (printed with every change)");
  watch->add_option("--limit", f->limit, "stop after this many changes");
  watch->callback([&app, f] {
    WatchResourcesRequest request;
    request.set_cursor(f->cursor);
    Follow(app, app.client().registry(), &Stub::WatchResources, request, f->limit,
           [](const ResourceChange& change) {
             return change.cursor() + " " + ShortName(change.type()) + " " + change.resource_id() +
                    " " + change.resource().display_name();
           });
  });
}

void AddReportCommands(CLI::App& cli, App& app) {
  struct Flags {
    std::string level = "province";
    std::vector<std::string> themes;
    double within_km = 25;
  };
  auto f = std::make_shared<Flags>();
  auto* coverage =
      cli.add_subcommand("coverage", "active resources by region and theme, and the white spots");
  coverage->add_option("--level", f->level, "province or corop")
      ->check(OneOf({"province", "corop"}));
  AddEnumOption<Theme>(coverage, "--theme", f->themes, "only these themes (repeatable)");
  coverage->callback([&app, f] {
    CoverageReportRequest request;
    request.set_level(f->level == "corop" ? REGION_LEVEL_COROP : REGION_LEVEL_PROVINCE);
    AddEnumValues<Theme>(f->themes, request.mutable_themes());
    CoverageReportResponse out;
    if (!app.Check(
            app.client().Call(app.client().registry(), &Stub::CoverageReport, request, &out)))
      return;
    if (app.ForPrograms()) return Print(app, out);
    PrintItems(app, out.cells(), {"region_code", "theme", "active_resources"});
    std::cout << "\nwhite spots (" << out.white_spots_size() << "):\n";
    PrintItems(app, out.white_spots(), {"region_code", "theme"});  // the code shows the name
  });

  auto* overlap = cli.add_subcommand(
      "overlap", "candidate duplicate investments: same kind and theme nearby, different owners");
  overlap->add_option("--within-km", f->within_km)->capture_default_str();
  overlap->callback([&app, f] {
    OverlapReportRequest request;
    request.set_within_km(f->within_km);
    OverlapReportResponse out;
    if (app.Check(app.client().Call(app.client().registry(), &Stub::OverlapReport, request, &out)))
      PrintList(app, out, out.candidates(),
                {"resource_id_a", "resource_id_b", "kind", "theme", "distance_km"});
  });
}

}  // namespace

// Defined in import_commands.cc.
void AddImportCommands(CLI::App& cli, App& app);

void AddRegistryCommands(CLI::App& cli, App& app) {
  AddOrganizationCommands(cli, app);
  AddNetworkCommands(cli, app);
  AddResourceCommands(cli, app);
  AddAvailabilityCommands(cli, app);
  AddSearchCommand(cli, app);
  AddWatchCommand(cli, app);
  AddReportCommands(cli, app);
  AddImportCommands(cli, app);
}

}  // namespace infrashare::cli
