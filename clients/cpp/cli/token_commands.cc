// `infrashare token create|list|revoke|whoami`: infrashare.auth.v1.TokenService.
#include <iostream>

#include "cli/app.h"

namespace infrashare::cli {

void AddTokenCommands(CLI::App& cli, App& app) {
  using namespace auth::v1;
  using Stub = TokenService::Stub;
  auto* sub = cli.add_subcommand("token", "API tokens");
  sub->require_subcommand(1);
  struct Flags {
    std::string org, description, id;
    std::vector<std::string> roles, networks;
  };
  auto f = std::make_shared<Flags>();

  auto* create = sub->add_subcommand("create", "make a token; the secret is printed once");
  create->add_option("--org", f->org, "organisation the token acts for")->required();
  create->add_option("--role", f->roles,
                     "platform-admin, network-coordinator, organization-admin, member, desk-responder, read-only-integrator (repeatable)")
      ->required();
  create->add_option("--network", f->networks, "network a coordinator coordinates (repeatable)");
  create->add_option("--description", f->description, "what the token is for");
  create->callback([&app, f] {
    CreateTokenRequest request;
    request.set_organization_id(f->org);
    request.set_description(f->description);
    for (const auto& r : f->roles) {
      int role = ParseEnum(Role_descriptor(), "ROLE_", r);
      if (role < 0) return app.Fail("--role: unknown role '" + r + "'");
      request.add_roles(static_cast<Role>(role));
    }
    for (const auto& n : f->networks) request.add_network_ids(n);
    CreateTokenResponse out;
    if (!app.Check(app.client().Call(app.client().tokens(), &Stub::CreateToken, request, &out))) return;
    if (app.output == "json") return PrintMessage(out, "json");
    std::cout << out.token() << "\n";
    std::cerr << "token " << out.info().id() << " for " << out.info().organization_id()
              << " (store the secret now; it is not shown again)\n";
  });

  auto* list = sub->add_subcommand("list", "tokens of an organisation (platform admins: all)");
  list->add_option("--org", f->org);
  list->callback([&app, f] {
    ListTokensRequest request;
    request.set_organization_id(f->org);
    ListTokensResponse all;
    auto status = app.client().ForEachPage<Stub, ListTokensRequest, ListTokensResponse>(
        app.client().tokens(), &Stub::ListTokens, request, [&](const ListTokensResponse& page) { all.MergeFrom(page); });
    if (!app.Check(status)) return;
    std::vector<const google::protobuf::Message*> rows;
    for (const auto& t : all.tokens()) rows.push_back(&t);
    PrintRows(rows, {"id", "organization_id", "roles", "network_ids", "description", "create_time"}, app.output);
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

  auto* whoami = sub->add_subcommand("whoami", "the organisation and roles of the current token");
  whoami->callback([&app] {
    TokenInfo out;
    if (app.Check(app.client().Call(app.client().tokens(), &Stub::WhoAmI, WhoAmIRequest(), &out)))
      PrintMessage(out, app.output);
  });
}

}  // namespace infrashare::cli
