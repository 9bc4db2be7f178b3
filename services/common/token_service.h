// infrashare.auth.v1.TokenService: create, list and revoke API tokens.
#pragma once

#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/rpc_gate.h"

namespace infrashare {

class TokenServiceImpl final : public auth::v1::TokenService::CallbackService {
 public:
  TokenServiceImpl(TokenAuthority* tokens, AuditLog* audit, RpcGate* gate)
      : tokens_(tokens), audit_(audit), gate_(gate) {}

  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* context,
                                        const auth::v1::CreateTokenRequest* request,
                                        auth::v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* context,
                                       const auth::v1::ListTokensRequest* request,
                                       auth::v1::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context,
                                        const auth::v1::RevokeTokenRequest* request,
                                        auth::v1::RevokeTokenResponse* response) override;
  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext* context,
                                   const auth::v1::WhoAmIRequest* request,
                                   auth::v1::TokenInfo* response) override;
  grpc::ServerUnaryReactor* RotateToken(grpc::CallbackServerContext* context,
                                        const auth::v1::RotateTokenRequest* request,
                                        auth::v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* context,
                                            const auth::v1::ListAuditEventsRequest* request,
                                            auth::v1::ListAuditEventsResponse* response) override;

 private:
  TokenAuthority* tokens_;
  AuditLog* audit_;
  RpcGate* gate_;
};

}  // namespace infrashare
