#include "services/common/token_service.h"

namespace infrashare {

grpc::ServerUnaryReactor* TokenServiceImpl::CreateToken(grpc::CallbackServerContext* context,
                                                        const auth::v1::CreateTokenRequest* request,
                                                        auth::v1::CreateTokenResponse* response) {
  return gate_->Unary(context, "auth.CreateToken", *request, [&](const Caller& caller) {
    auto created = tokens_->Create(caller, *request);
    if (!created.ok()) return created.status();
    *response = std::move(*created);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TokenServiceImpl::ListTokens(grpc::CallbackServerContext* context,
                                                       const auth::v1::ListTokensRequest* request,
                                                       auth::v1::ListTokensResponse* response) {
  return gate_->Unary(context, "auth.ListTokens", *request, [&](const Caller& caller) {
    auto listed = tokens_->List(caller, *request);
    if (!listed.ok()) return listed.status();
    *response = std::move(*listed);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TokenServiceImpl::RevokeToken(grpc::CallbackServerContext* context,
                                                        const auth::v1::RevokeTokenRequest* request,
                                                        auth::v1::RevokeTokenResponse*) {
  return gate_->Unary(context, "auth.RevokeToken", *request,
                      [&](const Caller& caller) { return tokens_->Revoke(caller, *request); });
}

grpc::ServerUnaryReactor* TokenServiceImpl::WhoAmI(grpc::CallbackServerContext* context,
                                                   const auth::v1::WhoAmIRequest* request,
                                                   auth::v1::TokenInfo* response) {
  return gate_->Unary(context, "auth.WhoAmI", *request, [&](const Caller& caller) {
    response->set_id(caller.token_id);
    response->set_organization_id(caller.organization_id);
    for (Role role : caller.roles) response->add_roles(role);
    for (const auto& n : caller.network_ids) response->add_network_ids(n);
    for (const auto& service : caller.services) response->add_services(service);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TokenServiceImpl::RotateToken(grpc::CallbackServerContext* context,
                                                        const auth::v1::RotateTokenRequest* request,
                                                        auth::v1::CreateTokenResponse* response) {
  return gate_->UnaryOnWorker(
      context, "auth.RotateToken", *request,
      [this, request, response](const Caller& caller) {
        return Respond(tokens_->Rotate(caller, *request), response);
      },
      response);
}

grpc::ServerUnaryReactor* TokenServiceImpl::ListAuditEvents(
    grpc::CallbackServerContext* context, const auth::v1::ListAuditEventsRequest* request,
    auth::v1::ListAuditEventsResponse* response) {
  return gate_->UnaryOnWorker(context, "auth.ListAuditEvents", *request,
                              [this, request, response](const Caller& caller) {
                                return Respond(audit_->List(caller, *request), response);
                              });
}

}  // namespace infrashare
