#include "cli/exit_codes.h"

#include <iostream>

#include "absl/status/status.h"
#include "cli/app.h"

namespace infrashare::cli {
namespace {

struct StatusExit {
  grpc::StatusCode status;
  int exit_code;
};

// Every gRPC status but OK, each its own exit code (a status a server answered, mapped here).
constexpr StatusExit kStatusExits[] = {
    {grpc::StatusCode::INVALID_ARGUMENT, 3}, {grpc::StatusCode::NOT_FOUND, 4},
    {grpc::StatusCode::ALREADY_EXISTS, 5},   {grpc::StatusCode::PERMISSION_DENIED, 6},
    {grpc::StatusCode::UNAUTHENTICATED, 7},  {grpc::StatusCode::FAILED_PRECONDITION, 8},
    {grpc::StatusCode::ABORTED, 9},          {grpc::StatusCode::RESOURCE_EXHAUSTED, 10},
    {grpc::StatusCode::UNAVAILABLE, 11},     {grpc::StatusCode::DEADLINE_EXCEEDED, 12},
    {grpc::StatusCode::CANCELLED, 13},       {grpc::StatusCode::UNKNOWN, 14},
    {grpc::StatusCode::OUT_OF_RANGE, 15},    {grpc::StatusCode::UNIMPLEMENTED, 16},
    {grpc::StatusCode::INTERNAL, 17},        {grpc::StatusCode::DATA_LOSS, 18},
};

// What a person at the command line can do about it; the client library says nothing of flags.
const char* Hint(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return " (pass --token or set INFRASHARE_TOKEN, or run infrashare login)";
    case grpc::StatusCode::UNAVAILABLE:
      return " (is the server running at --server?)";
    case grpc::StatusCode::ABORTED:
      return " (read it again and retry with the new etag)";
    default:
      return "";
  }
}

std::string StatusName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace

int ExitCode(grpc::StatusCode code) {
  for (const auto& row : kStatusExits)
    if (row.status == code) return row.exit_code;
  return kExitFailure;
}

std::string ExitCodeHelp() {
  std::string text =
      "Exit codes:\n"
      "  0   done\n"
      "  1   failed otherwise (a file that cannot be read or written, rows of an import "
      "refused)\n"
      "  2   the command line is wrong: an unknown command or flag, a value the CLI cannot read "
      "(nothing was sent)\n";
  for (const auto& row : kStatusExits) {
    const std::string code = std::to_string(row.exit_code);
    text += "  " + code + std::string(4 - code.size(), ' ') + StatusName(row.status) + "\n";
  }
  return text;
}

bool App::Check(const grpc::Status& status) {
  if (status.ok()) return true;
  std::string line = client::DescribeError(status);
  if (std::string field = client::ErrorField(status); !field.empty())
    line += " [field: " + field + "]";
  line += Hint(status.error_code());
  std::cerr << "infrashare: " << line << "\n";
  exit_code = ExitCode(status.error_code());
  return false;
}

void App::Fail(const std::string& message) {
  std::cerr << "infrashare: " << message << "\n";
  exit_code = kExitFailure;
}

void App::FailUsage(const std::string& message) {
  std::cerr << "infrashare: " << message << "\n";
  exit_code = kExitUsage;
}

}  // namespace infrashare::cli
