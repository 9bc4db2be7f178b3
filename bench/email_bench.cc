// E-mail (issue #16) on one replica (the real server binary) through a local SMTP relay
// (tests/support/smtp_server.py, Debian's python3-aiosmtpd) that requires STARTTLS and AUTH, as a
// school board's relay would: COUNT bookings that need approval are made at RATE per second, each
// an e-mail to the resource's facility manager (booking.approval_needed). Reports e-mails per
// second accepted by the relay and the time from a booking's answer to its e-mail's arrival at
// the relay (the file the relay wrote): p50, p99, max. The relay is Python: at high rates it may
// be what limits.
//
//   email_bench SERVER_BINARY [count=2000] [rate=200] [senders=8]
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/smtp_server.h"

using namespace infrashare;
namespace reg = registry::v1;
namespace sch = scheduler::v1;
using bench::As;
using bench::Fail;
using bench::Percentile;

namespace {

constexpr char kUser[] = "bench";
constexpr char kPassword[] = "relay-secret";

size_t Arrived(const std::string& folder) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.path().extension() == ".json") ++n;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: email_bench SERVER_BINARY [count] [rate] [senders]\n";
    return 2;
  }
  const int count = argc > 2 ? std::atoi(argv[2]) : 2000;
  const double rate = argc > 3 ? std::atof(argv[3]) : 200;
  const std::string senders = argc > 4 ? argv[4] : "8";

  char pattern[] = "/tmp/infrashare-email-bench-XXXXXX";
  const std::string certs = mkdtemp(pattern);
  if (std::system(
          (std::string(INFRASHARE_SOURCE_DIR) + "/scripts/make-certs " + certs + " >/dev/null")
              .c_str()) != 0) {
    std::cerr << "scripts/make-certs failed\n";
    return 1;
  }
  testing::SmtpServer::Options options;
  options.cert_file = certs + "/server.pem";
  options.key_file = certs + "/server.key";
  options.user = kUser;
  options.password = kPassword;
  testing::SmtpServer relay(options);
  testing::RedisServer redis;
  testing::ServerProcess server(argv[1], redis.url(),
                                {{"INFRASHARE_EMAIL_RELAY_URL", relay.url()},
                                 {"INFRASHARE_EMAIL_USERNAME", kUser},
                                 {"INFRASHARE_EMAIL_PASSWORD", kPassword},
                                 {"INFRASHARE_EMAIL_FROM_ADDRESS", "loket@bench.example.nl"},
                                 {"INFRASHARE_EMAIL_CA_FILE", certs + "/ca.pem"},
                                 {"INFRASHARE_WEBHOOKS_SENDERS", senders},
                                 {"INFRASHARE_WEBHOOKS_POLL_INTERVAL_MS", "20"},
                                 {"INFRASHARE_RATE_LIMITS_ENABLED", "false"}});
  if (!server.WaitUntilServing()) {
    std::cerr << "the server did not start\n";
    return 1;
  }
  auto registry = reg::RegistryService::NewStub(server.channel());
  auto scheduler = sch::SchedulerService::NewStub(server.channel());
  auto tokens = auth::v1::TokenService::NewStub(server.channel());
  // A school books the labs of another, whose facility managers approve each request.
  bench::MakeOrganization(registry.get(), "bench-org", "ROC Bench");
  bench::MakeOrganization(registry.get(), "lab-owner", "Lab B.V.");
  const std::string booker = bench::MakeToken(tokens.get(), "bench-org", auth::v1::ROLE_MEMBER);
  // Labs whose requests wait for their facility manager's approval.
  std::vector<std::string> labs;
  for (int i = 0; i < 50; ++i) {
    reg::CreateResourceRequest request;
    reg::Resource* r = request.mutable_resource();
    r->set_display_name("Lab " + std::to_string(i));
    r->set_kind(reg::RESOURCE_KIND_LAB);
    r->set_owner_organization_id("lab-owner");
    r->set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    r->mutable_location()->mutable_point()->set_latitude(52.5);
    r->mutable_location()->mutable_point()->set_longitude(6.1);
    r->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r->set_capacity(1);
    r->set_approval_required(true);
    r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    auto* manager = r->add_staff();
    manager->set_name("Beheerder");
    manager->set_role(reg::STAFF_ROLE_FACILITY_MANAGER);
    manager->set_email("beheer" + std::to_string(i) + "@bench.example.nl");
    reg::Resource made;
    auto status = registry->CreateResource(As(testing::kAdminToken).get(), request, &made);
    if (!status.ok()) Fail("CreateResource", status);
    labs.push_back(made.id());
  }

  const int64_t tomorrow_s = (bench::MsOf(std::chrono::system_clock::now()) / 86400000 + 1) * 86400;
  std::mutex mutex;
  std::map<std::string, std::filesystem::file_time_type> answered;  // booking id -> its answer
  const auto began = std::chrono::steady_clock::now();
  bench::Book(
      scheduler.get(), booker, count, 8, rate,
      [&](int n, sch::CreateBookingRequest* request) {
        request->set_resource_id(labs[n % labs.size()]);
        const int64_t start = tomorrow_s + (n / static_cast<int>(labs.size())) * 3600;
        request->mutable_start_time()->set_seconds(start);
        request->mutable_end_time()->set_seconds(start + 3600);
        request->set_title("Praktijkles " + std::to_string(n));
      },
      [&](int, const sch::Booking& booking) {
        const auto now = std::filesystem::file_time_type::clock::now();
        std::lock_guard<std::mutex> lock(mutex);
        answered[booking.id()] = now;
      });
  const double booking_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  const std::string folder = relay.MailDir();
  for (int i = 0; i < 3000 && Arrived(folder) < static_cast<size_t>(count); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (Arrived(folder) < static_cast<size_t>(count)) {
    std::cerr << "only " << Arrived(folder) << " of " << count << " e-mails arrived in 5 minutes\n";
    return 1;
  }
  std::vector<double> lag_ms;
  auto first = std::filesystem::file_time_type::max(),
       last = std::filesystem::file_time_type::min();
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string body = nlohmann::json::parse(text.str()).value("text", "");
    const size_t at = body.find("Kenmerk: ");
    if (at == std::string::npos) continue;
    const std::string id = body.substr(at + 9, body.find_first_of("\r\n", at) - at - 9);
    const auto arrived = std::filesystem::last_write_time(entry.path());
    first = std::min(first, arrived);
    last = std::max(last, arrived);
    auto booked = answered.find(id);
    if (booked == answered.end()) continue;
    lag_ms.push_back(std::chrono::duration<double, std::milli>(arrived - booked->second).count());
  }
  const double span_s = std::chrono::duration<double>(last - first).count();
  std::printf(
      "e-mails: %d bookings awaiting approval at %.0f/s (%.1f s to book); %zu e-mails through a "
      "STARTTLS+AUTH relay, first to last in %.1f s = %.0f/s; booking answered to e-mail at the "
      "relay p50 %.0f ms, p99 %.0f ms, max %.0f ms (%s senders)\n",
      count, rate, booking_s, lag_ms.size(), span_s, span_s > 0 ? lag_ms.size() / span_s : 0.0,
      Percentile(lag_ms, 0.5), Percentile(lag_ms, 0.99), Percentile(lag_ms, 1.0), senders.c_str());
  std::filesystem::remove_all(certs);
  return 0;
}
