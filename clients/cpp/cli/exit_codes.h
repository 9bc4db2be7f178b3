// How a command of the `infrashare` CLI ends: each gRPC status a script may act on has its own
// exit code, listed once here for the code, `infrashare --help` and the README.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

namespace infrashare::cli {

inline constexpr int kExitFailure = 1;  // anything without a code of its own
inline constexpr int kExitUsage = 2;    // the command line is wrong; nothing was sent

// The exit code of a call that ended with `code` (kExitFailure for a status without its own).
int ExitCode(grpc::StatusCode code);

// The table of exit codes, for the footer of `infrashare --help`.
std::string ExitCodeHelp();

}  // namespace infrashare::cli
