// infrashare.auth.v1.TokenService: create, list and revoke API tokens.
#pragma once

#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/rpc_gate.h"

namespace infrashare {

class TokenServiceImpl final : public auth::v1::TokenService::Service {
 public:
  TokenServiceImpl(TokenStore* tokens, RpcGate* gate) : tokens_(tokens), gate_(gate) {}

  grpc::Status CreateToken(grpc::ServerContext* context, const auth::v1::CreateTokenRequest* request,
                           auth::v1::CreateTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context, const auth::v1::ListTokensRequest* request,
                          auth::v1::ListTokensResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context, const auth::v1::RevokeTokenRequest* request,
                           auth::v1::RevokeTokenResponse* response) override;
  grpc::Status WhoAmI(grpc::ServerContext* context, const auth::v1::WhoAmIRequest* request,
                      auth::v1::TokenInfo* response) override;

 private:
  TokenStore* tokens_;
  RpcGate* gate_;
};

}  // namespace infrashare
