// What the server benches share: a call's context with a token, failing loudly, percentiles and
// booking at a paced rate from several threads.
#pragma once

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "tests/support/server_process.h"

namespace infrashare::bench {

inline std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

[[noreturn]] inline void Fail(const std::string& what, const grpc::Status& status) {
  std::cerr << what << ": " << status.error_message() << "\n";
  std::exit(1);
}

inline int64_t MsOf(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// CPU time (user + system) the process has used so far, from /proc/<pid>/stat.
inline double CpuSecondsOf(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

// A school `id` named `name`, made by the test admin.
inline void MakeOrganization(registry::v1::RegistryService::Stub* registry, const std::string& id,
                             const std::string& name) {
  registry::v1::CreateOrganizationRequest org;
  org.set_organization_id(id);
  org.mutable_organization()->set_display_name(name);
  org.mutable_organization()->set_kind(registry::v1::ORGANIZATION_KIND_VOCATIONAL_SCHOOL);
  registry::v1::Organization made;
  auto status = registry->CreateOrganization(As(testing::kAdminToken).get(), org, &made);
  if (!status.ok()) Fail("CreateOrganization", status);
}

// A token of `organization` with `role`, made by the test admin: its secret.
inline std::string MakeToken(auth::v1::TokenService::Stub* tokens, const std::string& organization,
                             auth::v1::Role role) {
  auth::v1::CreateTokenRequest token;
  token.set_organization_id(organization);
  token.add_roles(role);
  auth::v1::CreateTokenResponse created;
  auto status = tokens->CreateToken(As(testing::kAdminToken).get(), token, &created);
  if (!status.ok()) Fail("CreateToken", status);
  return created.token();
}

// Books `count` bookings as `token` from `threads` threads, booking `n` made by `make(n, request)`
// and, once made, handed to `made(n, booking)` when given; when `per_second` > 0, paced to that
// rate overall. A resource the scheduler does not know yet is asked for again.
inline void Book(scheduler::v1::SchedulerService::Stub* scheduler, const std::string& token,
                 int count, int threads, double per_second,
                 const std::function<void(int, scheduler::v1::CreateBookingRequest*)>& make,
                 const std::function<void(int, const scheduler::v1::Booking&)>& made = {}) {
  std::atomic<int> next{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (int n = next++; n < count; n = next++) {
        if (per_second > 0)
          std::this_thread::sleep_until(
              start + std::chrono::microseconds(static_cast<int64_t>(n * 1e6 / per_second)));
        scheduler::v1::CreateBookingRequest request;
        make(n, &request);
        scheduler::v1::Booking booking;
        grpc::Status status;
        for (int attempt = 0; attempt < 100; ++attempt) {
          status = scheduler->CreateBooking(As(token).get(), request, &booking);
          if (status.ok() || status.error_code() != grpc::StatusCode::NOT_FOUND) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (!status.ok()) Fail("CreateBooking", status);
        if (made) made(n, booking);
      }
    });
  for (auto& w : workers) w.join();
}

}  // namespace infrashare::bench
