// `infrashare token create|list|revoke|rotate|whoami` and `infrashare audit export`:
// infrashare.auth.v1.TokenService; `infrashare privacy export|erase`: infrashare.privacy.v1.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <iostream>
#include <memory>

#include "absl/strings/str_join.h"
#include "cli/app.h"

namespace infrashare::cli {
namespace {

// One CSV cell: quoted when it holds a separator, quote or line break; a cell a spreadsheet would
// read as a formula gets a leading apostrophe.
std::string CsvCell(std::string text) {
  if (!text.empty() && std::string("=+-@").find(text[0]) != std::string::npos) text = "'" + text;
  if (text.find_first_of(",;\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void PrintAuditEvent(const auth::v1::AuditEvent& e, const std::string& format) {
  if (format == "jsonl") {
    // The field names of every other JSON output (token_id, not tokenId).
    std::cout << JsonLine(e) << "\n";
    return;
  }
  std::vector<std::string> roles;
  for (int r : e.roles()) roles.push_back(auth::v1::Role_Name(r));
  std::cout << absl::StrJoin(
                   {CsvCell(google::protobuf::util::TimeUtil::ToString(e.time())),
                    CsvCell(e.token_id()), CsvCell(e.organization_id()),
                    CsvCell(absl::StrJoin(roles, " ")), CsvCell(e.method()), CsvCell(e.object_id()),
                    CsvCell(e.peer()), CsvCell(e.status()),
                    CsvCell(absl::StrJoin(e.changed_fields(), " ")), CsvCell(e.request_id())},
                   ",")
            << "\n";
}

}  // namespace

void AddAuditCommands(CLI::App& cli, App& app) {
  using namespace auth::v1;
  using Stub = TokenService::Stub;
  auto* sub = cli.add_subcommand("audit", "the audit trail of calls that changed something");
  sub->require_subcommand(1);
  struct Flags {
    std::string org, since, until, format = "jsonl";
  };
  auto f = std::make_shared<Flags>();
  auto* exporter = sub->add_subcommand("export", "every event, newest first, as JSON lines or CSV");
  exporter->add_option("--org", f->org,
                       "one organisation (organisation admins: their own, the default)");
  exporter->add_option("--since", f->since, "events from then on");
  exporter->add_option("--until", f->until, "events before then");
  exporter->add_option("--format", f->format, "jsonl or csv")
      ->check(OneOf({"jsonl", "csv"}))
      ->capture_default_str();
  exporter->callback([&app, f] {
    ListAuditEventsRequest request;
    request.set_organization_id(f->org);
    request.set_page_size(1000);
    if (!f->since.empty() && !ParseTime(f->since, request.mutable_start_time(), app, "--since"))
      return;
    if (!f->until.empty() && !ParseTime(f->until, request.mutable_end_time(), app, "--until"))
      return;
    if (f->format == "csv")
      std::cout << "time,token_id,organization_id,roles,method,object_id,peer,status,changed_"
                   "fields,request_id\n";
    auto status = app.client().ForEachPage<Stub, ListAuditEventsRequest, ListAuditEventsResponse>(
        app.client().tokens(), &Stub::ListAuditEvents, request,
        [&](const ListAuditEventsResponse& page) {
          for (const auto& e : page.events()) PrintAuditEvent(e, f->format);
        });
    app.Check(status);
  });
}

void AddPrivacyCommands(CLI::App& cli, App& app) {
  using namespace privacy::v1;
  using Stub = PrivacyService::Stub;
  auto* sub = cli.add_subcommand(
      "privacy", "personal data of one person, by e-mail address (platform admins)");
  sub->require_subcommand(1);
  struct Flags {
    std::string email;
    bool texts = false;
  };
  auto f = std::make_shared<Flags>();
  auto* exporter = sub->add_subcommand(
      "export", "everything held about the person, as one JSON object (all pages)");
  exporter->add_option("email", f->email)->required();
  exporter->callback([&app, f] {
    ExportPersonalDataRequest request;
    request.set_email(f->email);
    request.set_page_size(500);
    PersonalData all;
    auto status = app.client().ForEachPage<Stub, ExportPersonalDataRequest, PersonalData>(
        app.client().privacy(), &Stub::ExportPersonalData, request,
        [&](const PersonalData& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    PrintForPrograms(all, app.output == "yaml" ? "yaml" : "json");
  });
  auto* erase = sub->add_subcommand("erase", "remove the person from every place the export lists");
  erase->add_option("email", f->email)->required();
  erase->add_flag("--texts", f->texts,
                  "also blank the person's inquiry texts and feedback comments");
  erase->callback([&app, f] {
    ErasePersonalDataRequest request;
    request.set_email(f->email);
    request.set_erase_texts(f->texts);
    ErasePersonalDataResponse out;
    if (!app.Check(
            app.client().Call(app.client().privacy(), &Stub::ErasePersonalData, request, &out)))
      return;
    if (app.ForPrograms()) return PrintMessage(out, app);
    std::cout << "erased: " << out.inquiries() << " inquiry contacts, " << out.staff_contacts()
              << " staff entries, " << out.organization_contacts() << " organisation contacts, "
              << out.network_coordinators() << " network coordinator entries, "
              << out.event_registrations() << " event registrations, " << out.responders()
              << " desk responder addresses, " << out.booking_contacts() << " booking contacts, "
              << out.emails() << " e-mails waiting, " << out.webhook_deliveries()
              << " webhook deliveries waiting\n";
  });
}

namespace {

using TokenStub = auth::v1::TokenService::Stub;

struct TokenFlags {
  std::string org, description, id;
  std::vector<std::string> roles, networks, services;
  int overlap = 3600;
};

void AddTokenCreate(CLI::App* sub, App& app, const std::shared_ptr<TokenFlags>& f) {
  using namespace auth::v1;
  using Stub = TokenStub;
  auto* create = sub->add_subcommand("create", "make a token; the secret is printed once");
  create->add_option("--org", f->org, "organisation the token acts for")->required();
  AddEnumOption<Role>(create, "--role", f->roles, "what it may do (repeatable)")->required();
  create->add_option("--network", f->networks, "network a coordinator coordinates (repeatable)");
  create->add_option("--description", f->description, "what the token is for");
  create->add_option(
      "--service", f->services,
      "auth, registry, scheduler, desk, privacy, programme, impact or webhook: the token may "
      "call only these "
      "(repeatable; default all)");
  create->callback([&app, f] {
    CreateTokenRequest request;
    request.set_organization_id(f->org);
    request.set_description(f->description);
    AddEnumValues<Role>(f->roles, request.mutable_roles());
    for (const auto& n : f->networks) request.add_network_ids(n);
    for (const auto& service : f->services) request.add_services(service);
    CreateTokenResponse out;
    if (!app.Check(app.client().Call(app.client().tokens(), &Stub::CreateToken, request, &out)))
      return;
    if (app.ForPrograms()) return PrintMessage(out, app);
    std::cout << out.token() << "\n";
    std::cerr << "token " << out.info().id() << " for " << out.info().organization_id()
              << " (store the secret now; it is not shown again)\n";
  });
}

void AddTokenRotate(CLI::App* sub, App& app, const std::shared_ptr<TokenFlags>& f) {
  using namespace auth::v1;
  using Stub = TokenStub;
  auto* rotate = sub->add_subcommand(
      "rotate", "a new secret for a token; the old one ends after --overlap seconds");
  rotate->add_option("id", f->id)->required();
  rotate->add_option("--overlap", f->overlap, "seconds the old secret stays valid (0 = ends now)")
      ->capture_default_str()
      ->check(CLI::Range(0, 604800));
  rotate->callback([&app, f] {
    RotateTokenRequest request;
    request.set_id(f->id);
    request.set_overlap_seconds(f->overlap);
    CreateTokenResponse out;
    if (!app.Check(app.client().Call(app.client().tokens(), &Stub::RotateToken, request, &out)))
      return;
    if (app.ForPrograms()) return PrintMessage(out, app);
    std::cout << out.token() << "\n";
    std::cerr << "token " << out.info().id() << " replaces " << f->id << " (which ends in "
              << f->overlap << " s); store the secret now\n";
  });
}

}  // namespace

void AddTokenCommands(CLI::App& cli, App& app) {
  using namespace auth::v1;
  using Stub = TokenStub;
  auto* sub = cli.add_subcommand("token", "API tokens");
  sub->require_subcommand(1);
  auto f = std::make_shared<TokenFlags>();
  AddTokenCreate(sub, app, f);
  auto* list = sub->add_subcommand("list", "tokens of an organisation (platform admins: all)");
  list->add_option("--org", f->org);
  list->callback([&app, f] {
    ListTokensRequest request;
    request.set_organization_id(f->org);
    ListTokensResponse all;
    auto status = app.client().ForEachPage<Stub, ListTokensRequest, ListTokensResponse>(
        app.client().tokens(), &Stub::ListTokens, request,
        [&](const ListTokensResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    all.clear_next_page_token();
    PrintList(app, all, all.tokens(),
              {"id", "organization_id", "roles", "network_ids", "description", "create_time"});
  });

  auto* revoke = sub->add_subcommand("revoke", "revoke a token by id");
  revoke->add_option("id", f->id)->required();
  revoke->callback([&app, f] {
    RevokeTokenRequest request;
    request.set_id(f->id);
    RevokeTokenResponse out;
    if (app.Check(app.client().Call(app.client().tokens(), &Stub::RevokeToken, request, &out)))
      std::cout << "revoked " << f->id << "\n";
  });

  AddTokenRotate(sub, app, f);
  auto* whoami = sub->add_subcommand("whoami", "the organisation and roles of the current token");
  whoami->callback(
      [&app] { CallAndPrint(app, app.client().tokens(), &Stub::WhoAmI, WhoAmIRequest()); });
}

}  // namespace infrashare::cli
