// The client address of a call the HTTP listener makes on a REST client's behalf (services/http's
// REST gateway calls the server through its in-process channel, whose own peer says nothing). The
// address travels in a header that only this process can fill: it carries a secret made at start.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <string>

namespace infrashare {

// Marks a call made for the client at `address` ("ipv4:192.0.2.1:50123").
void ForwardPeer(grpc::ClientContext* context, const std::string& address);

// The call's peer: the forwarded address when the call carries this process's secret, else
// gRPC's own.
std::string PeerOf(const grpc::ServerContextBase& context);

}  // namespace infrashare
