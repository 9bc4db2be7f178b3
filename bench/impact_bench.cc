// Impact report benchmark (issue #14), through the real server: 15 networks of 10 organisations
// (half of them SMEs) and 40 shared resources each, 100,000 confirmed bookings (seeded as daily
// recurring bookings, 167 a call), 10,000 desk inquiries (half naming the asker's organisation)
// and 300 events with 3,000 registrations; then GetImpactReport for one network
// and for all networks, one call at a time, p50/p99/max of each. Starts its own Redis and the
// infrashare-server binary on loopback.
//
//   impact_bench SERVER_BINARY [reports=50]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "infrashare_client/client.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"

namespace {

using namespace infrashare;
using Clock = std::chrono::steady_clock;
namespace reg = infrashare::registry::v1;
namespace sch = infrashare::scheduler::v1;
namespace dsk = infrashare::desk::v1;
namespace imp = infrashare::impact::v1;
namespace prg = infrashare::programme::v1;

constexpr int kNetworks = 15;
constexpr int kOrganizations = 10;  // per network
constexpr int kResources = 40;      // per network
constexpr int kBookingsPerResource = 167;
constexpr int kInquiries = 10000;
constexpr int kEventsPerNetwork = 20;
constexpr int kRegistrationsPerEvent = 10;
constexpr int64_t kDay = 86400;

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

std::string Net(int n) { return "bench-net-" + std::to_string(n); }
std::string Org(int n, int o) { return Net(n) + "-org-" + std::to_string(o); }

// Runs `work(i)` for i in [0, count) on `threads` threads; false when any failed.
template <typename Work>
bool Parallel(int count, int threads, Work work) {
  std::atomic<int> next{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = next++; i < count && ok; i = next++)
        if (!work(i)) ok = false;
    });
  for (auto& t : pool) t.join();
  return ok;
}

bool Report(const grpc::Status& status, const char* what) {
  if (!status.ok()) std::cerr << what << ": " << client::DescribeError(status) << "\n";
  return status.ok();
}

bool Seed(const client::ClientOptions& options, int64_t day0) {
  client::Client admin(options);
  for (int n = 0; n < kNetworks; ++n) {
    reg::CreateNetworkRequest network;
    network.set_network_id(Net(n));
    network.mutable_network()->set_display_name("Bench " + Net(n));
    for (int o = 0; o < kOrganizations; ++o) {
      reg::CreateOrganizationRequest org;
      org.set_organization_id(Org(n, o));
      org.mutable_organization()->set_display_name(Org(n, o));
      org.mutable_organization()->set_kind(o < 2 ? reg::ORGANIZATION_KIND_VOCATIONAL_SCHOOL
                                                 : reg::ORGANIZATION_KIND_COMPANY);
      org.mutable_organization()->set_sme(o >= 5);
      reg::Organization out;
      if (!Report(admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateOrganization, org,
                             &out),
                  "organisation"))
        return false;
      network.mutable_network()->add_member_organization_ids(Org(n, o));
    }
    reg::Network created;
    if (!Report(admin.Call(admin.registry(), &reg::RegistryService::Stub::CreateNetwork, network,
                           &created),
                "network"))
      return false;
  }
  std::vector<std::string> resources(kNetworks * kResources);
  if (!Parallel(kNetworks * kResources, 8, [&](int i) {
        client::Client c(options);
        const int n = i / kResources, k = i % kResources;
        reg::CreateResourceRequest request;
        auto* r = request.mutable_resource();
        r->set_display_name("Bench lab " + std::to_string(i));
        r->set_kind(static_cast<reg::ResourceKind>(1 + k % 4));
        r->set_owner_organization_id(Org(n, k % kOrganizations));
        r->add_shared_with_network_ids(Net(n));
        r->mutable_location()->mutable_point()->set_latitude(51.5 + (i % 20) * 0.1);
        r->mutable_location()->mutable_point()->set_longitude(4.5 + (i % 17) * 0.1);
        r->mutable_location()->mutable_region()->set_province("PV" + std::to_string(20 + i % 12));
        r->add_themes(static_cast<reg::Theme>(1 + i % 13));
        r->set_booking_mode(reg::BOOKING_MODE_SHARED_CAPACITY);
        r->set_capacity(1000);
        r->set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
        r->set_sme_accessible(true);
        r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
        if (k % 2 == 0) {
          r->mutable_terms()->set_kind(reg::TERMS_KIND_TARIFF);
          r->mutable_terms()->set_tariff_per_hour_cents(2500);
        } else {
          r->mutable_terms()->set_kind(reg::TERMS_KIND_IN_KIND);
        }
        reg::Resource out;
        if (!Report(
                c.Call(c.registry(), &reg::RegistryService::Stub::CreateResource, request, &out),
                "resource"))
          return false;
        resources[i] = out.id();
        return true;
      }))
    return false;
  // One daily series of 167 bookings per resource, booked by one of the network's organisations.
  std::atomic<long> booked{0};
  if (!Parallel(kNetworks * kResources, 8, [&](int i) {
        client::Client c(options);
        const int n = i / kResources;
        sch::CreateRecurringBookingRequest request;
        request.set_resource_id(resources[i]);
        request.mutable_start_time()->set_seconds(day0 + kDay + 9 * 3600);
        request.mutable_end_time()->set_seconds(day0 + kDay + (11 + i % 3) * 3600);
        request.set_rrule("FREQ=DAILY;COUNT=" + std::to_string(kBookingsPerResource));
        request.set_quantity(1 + i % 4);
        request.set_title("Practicum");
        request.set_organization_id(Org(n, (i * 7 + 3) % kOrganizations));
        sch::CreateRecurringBookingResponse out;
        if (!Report(c.Call(c.scheduler(), &sch::SchedulerService::Stub::CreateRecurringBooking,
                           request, &out),
                    "recurring booking"))
          return false;
        booked += out.booked();
        return true;
      }))
    return false;
  std::atomic<long> asked{0};
  if (!Parallel(kInquiries, 16, [&](int i) {
        client::Client c(options);
        const int n = i % kNetworks;
        dsk::SubmitInquiryRequest request;
        request.set_entry_organization_id(Org(n, i % kOrganizations));
        request.set_need_type(dsk::NEED_TYPE_INNOVATION);
        request.set_text("benchmark question " + std::to_string(i));
        request.set_asker_is_sme(i % 4 != 0);
        if (i % 2 == 0)
          request.set_asker_organization_id(Org((n + 1) % kNetworks, i % kOrganizations));
        dsk::Inquiry out;
        if (!Report(c.Call(c.desk(), &dsk::DeskService::Stub::SubmitInquiry, request, &out),
                    "inquiry"))
          return false;
        ++asked;
        return true;
      }))
    return false;
  // Afternoon events (the bookings take the mornings) with named participants.
  std::atomic<long> registered{0};
  if (!Parallel(kNetworks * kEventsPerNetwork, 8, [&](int i) {
        client::Client c(options);
        const int n = i / kEventsPerNetwork, e = i % kEventsPerNetwork;
        prg::CreateEventRequest request;
        auto* event = request.mutable_event();
        event->set_resource_id(resources[n * kResources + e]);
        event->set_kind(prg::EVENT_KIND_COURSE);
        event->set_title("Cursus " + std::to_string(i));
        event->mutable_start_time()->set_seconds(day0 + (2 + e) * kDay + 14 * 3600);
        event->mutable_end_time()->set_seconds(day0 + (2 + e) * kDay + 16 * 3600);
        event->set_capacity(kRegistrationsPerEvent);
        event->set_registration_open(true);
        event->set_visibility(prg::EVENT_VISIBILITY_PUBLIC);
        prg::Event made;
        if (!Report(
                c.Call(c.programme(), &prg::ProgrammeService::Stub::CreateEvent, request, &made),
                "event"))
          return false;
        for (int r = 0; r < kRegistrationsPerEvent; ++r) {
          prg::RegisterRequest registration;
          registration.set_event_id(made.id());
          registration.set_person_name("Deelnemer " + std::to_string(r));
          registration.set_person_email("deelnemer-" + std::to_string(i) + "-" + std::to_string(r) +
                                        "@bench.example");
          prg::Registration out;
          if (!Report(
                  c.Call(c.programme(), &prg::ProgrammeService::Stub::Register, registration, &out),
                  "registration"))
            return false;
          ++registered;
        }
        return true;
      }))
    return false;
  std::printf(
      "  seeded %d networks, %d resources, %ld bookings, %ld inquiries, %d events, %ld "
      "registrations\n",
      kNetworks, kNetworks * kResources, booked.load(), asked.load(), kNetworks * kEventsPerNetwork,
      registered.load());
  return true;
}

void Measure(const client::ClientOptions& options, const std::string& network, int64_t from,
             int reports) {
  client::Client c(options);
  imp::ImpactReportRequest request;
  request.set_network_id(network);
  request.mutable_start_time()->set_seconds(from);
  request.mutable_end_time()->set_seconds(from + 200 * kDay);
  std::vector<double> ms;
  imp::ImpactReport report;
  for (int i = 0; i < reports; ++i) {
    const auto begin = Clock::now();
    if (!Report(c.Call(c.impact(), &imp::ImpactService::Stub::GetImpactReport, request, &report),
                "report"))
      return;
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
  }
  std::printf(
      "  %s: %d reports (%ld bookings, %ld inquiries, %ld events, %ld organisations reached in "
      "the period): p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
      network.empty() ? "all networks" : "one network", reports,
      static_cast<long>(report.current().shared_use().bookings()),
      static_cast<long>(report.current().desk().inquiries()),
      static_cast<long>(report.current().programme().events()),
      static_cast<long>(report.current().reach().organizations()), Percentile(ms, 0.5),
      Percentile(ms, 0.99), Percentile(ms, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: impact_bench SERVER_BINARY [reports]\n";
    return 2;
  }
  const int reports = argc > 2 ? std::atoi(argv[2]) : 50;
  testing::RedisServer redis;
  testing::ServerProcess server(argv[1], redis.url(),
                                {{"INFRASHARE_LOG_FORMAT", "json"},
                                 {"INFRASHARE_RATE_LIMITS_ENABLED", "false"},
                                 {"INFRASHARE_DESK_ESCALATION_S", "86400"}});
  if (!server.WaitUntilServing()) {
    std::cerr << "the server did not start\n";
    return 1;
  }
  client::ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(server.port());
  options.token = testing::kAdminToken;
  options.deadline = std::chrono::seconds(120);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t day0 = now / kDay * kDay;
  const auto begin = Clock::now();
  if (!Seed(options, day0)) return 1;
  std::printf("  seeding took %.0f s\n",
              std::chrono::duration<double>(Clock::now() - begin).count());
  // The period holds every booking and inquiry; the previous one of equal length is read too.
  Measure(options, Net(0), now - 3600, reports);
  Measure(options, "", now - 3600, std::max(1, reports / 5));
  return 0;
}
