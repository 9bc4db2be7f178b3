// Outgoing webhooks (issue #16) on one replica (the real server binary) with one local receiver:
//
// 1. Deliveries: bookings made at RATE per second for SECONDS, each delivered to one subscription
//    (booking.created); reports deliveries per second and the time from the change (the payload's
//    `timestamp`, when Redis appended it) to its arrival at the receiver: p50, p99, max.
// 2. Reminders: REMINDERS confirmed bookings that start at the same minute, with a subscription of
//    booking-reminder whose lead makes them all due at one moment; reports how long after that
//    moment the last booking.starts_soon arrived, and the p50/p99 of their lateness.
//
//   webhook_bench SERVER_BINARY [rate=500] [seconds=10] [reminders=10000] [senders=8]
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "infrashare/webhook/v1/webhook.grpc.pb.h"
#include "tests/support/redis_server.h"
#include "tests/support/server_process.h"
#include "tests/support/webhook_receiver.h"

using namespace infrashare;
namespace reg = registry::v1;
namespace sch = scheduler::v1;
namespace whk = webhook::v1;
using SystemClock = std::chrono::system_clock;
using bench::As;
using bench::Fail;
using bench::MsOf;
using bench::Percentile;
using testing::WebhookReceiver;

namespace {

struct Setup {
  std::unique_ptr<reg::RegistryService::Stub> registry;
  std::unique_ptr<sch::SchedulerService::Stub> scheduler;
  std::unique_ptr<whk::WebhookService::Stub> webhooks;
  std::string admin;  // the organisation's admin token
};

std::string Resource(Setup& s, const std::string& name, reg::BookingMode mode, int capacity) {
  reg::CreateResourceRequest request;
  reg::Resource* r = request.mutable_resource();
  r->set_display_name(name);
  r->set_kind(reg::RESOURCE_KIND_LAB);
  r->set_owner_organization_id("bench-org");
  r->mutable_location()->mutable_point()->set_latitude(52.5);
  r->mutable_location()->mutable_point()->set_longitude(6.1);
  r->set_booking_mode(mode);
  r->set_capacity(capacity);
  r->set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  r->mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
  reg::Resource made;
  auto status = s.registry->CreateResource(As(testing::kAdminToken).get(), request, &made);
  if (!status.ok()) Fail("CreateResource", status);
  return made.id();
}

whk::WebhookSubscription Subscribe(Setup& s, const std::string& url, whk::WebhookEventType type,
                                   int lead_s) {
  whk::CreateWebhookSubscriptionRequest request;
  request.set_target_url(url);
  request.add_event_types(type);
  request.set_reminder_lead_seconds(lead_s);
  whk::WebhookSubscription sub;
  auto status = s.webhooks->CreateWebhookSubscription(As(s.admin).get(), request, &sub);
  if (!status.ok()) Fail("CreateWebhookSubscription", status);
  return sub;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: webhook_bench SERVER_BINARY [rate] [seconds] [reminders] [senders]\n";
    return 2;
  }
  const double rate = argc > 2 ? std::atof(argv[2]) : 500;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  const int reminders = argc > 4 ? std::atoi(argv[4]) : 10000;
  const std::string senders = argc > 5 ? argv[5] : "8";

  testing::RedisServer redis;
  WebhookReceiver receiver;
  testing::ServerProcess server(argv[1], redis.url(),
                                {{"INFRASHARE_WEBHOOKS_ALLOW_HTTP", "true"},
                                 {"INFRASHARE_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true"},
                                 {"INFRASHARE_WEBHOOKS_SENDERS", senders},
                                 {"INFRASHARE_WEBHOOKS_POLL_INTERVAL_MS", "20"},
                                 {"INFRASHARE_RATE_LIMITS_ENABLED", "false"}});
  if (!server.WaitUntilServing()) {
    std::cerr << "the server did not start\n";
    return 1;
  }
  Setup s;
  s.registry = reg::RegistryService::NewStub(server.channel());
  s.scheduler = sch::SchedulerService::NewStub(server.channel());
  s.webhooks = whk::WebhookService::NewStub(server.channel());
  auto tokens = auth::v1::TokenService::NewStub(server.channel());
  bench::MakeOrganization(s.registry.get(), "bench-org", "ROC Bench");
  s.admin = bench::MakeToken(tokens.get(), "bench-org", auth::v1::ROLE_ORGANIZATION_ADMIN);
  const int64_t day_ms = 86400000;
  const int64_t tomorrow_s = (MsOf(SystemClock::now()) / day_ms + 1) * 86400;

  // 1. Deliveries at `rate` per second.
  const int count = static_cast<int>(rate * seconds);
  std::vector<std::string> labs;
  for (int i = 0; i < 50; ++i)
    labs.push_back(Resource(s, "Lab " + std::to_string(i), reg::BOOKING_MODE_EXCLUSIVE, 1));
  Subscribe(s, receiver.Url("/planning"), whk::WEBHOOK_EVENT_TYPE_BOOKING, 0);
  const auto began = SystemClock::now();
  bench::Book(s.scheduler.get(), s.admin, count, 8, rate,
              [&](int n, sch::CreateBookingRequest* request) {
                request->set_resource_id(labs[n % labs.size()]);
                const int64_t start = tomorrow_s + (n / static_cast<int>(labs.size())) * 3600;
                request->mutable_start_time()->set_seconds(start);
                request->mutable_end_time()->set_seconds(start + 3600);
                request->set_title("Praktijkles " + std::to_string(n));
              });
  const auto booked = SystemClock::now();
  if (!receiver.WaitFor(
          "/planning",
          [&](const std::vector<WebhookReceiver::Delivery>& d) {
            return static_cast<int>(d.size()) >= count;
          },
          std::chrono::seconds(120))) {
    std::cerr << "only " << receiver.Received("/planning").size() << " of " << count
              << " deliveries arrived within 2 minutes\n";
    return 1;
  }
  std::vector<double> lag_ms;
  SystemClock::time_point last = began;
  for (const auto& d : receiver.Received("/planning")) {
    whk::WebhookPayload payload;
    if (!google::protobuf::util::JsonStringToMessage(d.body, &payload).ok()) continue;
    const int64_t changed =
        payload.timestamp().seconds() * 1000 + payload.timestamp().nanos() / 1000000;
    lag_ms.push_back(static_cast<double>(MsOf(d.arrived) - changed));
    last = std::max(last, d.arrived);
  }
  const double span_s = std::chrono::duration<double>(last - began).count();
  std::printf(
      "deliveries: %d bookings at %.0f/s (%.1f s to book), %zu delivered in %.1f s = %.0f/s; "
      "change to arrival p50 %.0f ms, p99 %.0f ms, max %.0f ms (%s senders)\n",
      count, rate, std::chrono::duration<double>(booked - began).count(), lag_ms.size(), span_s,
      lag_ms.size() / span_s, Percentile(lag_ms, 0.5), Percentile(lag_ms, 0.99),
      Percentile(lag_ms, 1.0), senders.c_str());

  // 2. `reminders` bookings starting the same minute, every reminder due at one moment.
  if (reminders <= 0) return 0;
  const int per_room = 1000;
  std::vector<std::string> halls;
  for (int i = 0; i * per_room < reminders; ++i)
    halls.push_back(
        Resource(s, "Hal " + std::to_string(i), reg::BOOKING_MODE_SHARED_CAPACITY, per_room));
  constexpr int kLeadS = 60;
  Subscribe(s, receiver.Url("/reminders"), whk::WEBHOOK_EVENT_TYPE_BOOKING_REMINDER, kLeadS);
  // Far enough ahead to book them all before they are due, on a whole minute.
  const int64_t start_s = (MsOf(SystemClock::now()) / 1000 + kLeadS + 90) / 60 * 60 + 60;
  const auto booking_began = SystemClock::now();
  bench::Book(s.scheduler.get(), s.admin, reminders, 8, 0,
              [&](int n, sch::CreateBookingRequest* request) {
                request->set_resource_id(halls[n / per_room]);
                request->mutable_start_time()->set_seconds(start_s);
                request->mutable_end_time()->set_seconds(start_s + 3600);
                request->set_title("Examen " + std::to_string(n));
              });
  const int64_t due_ms = (start_s - kLeadS) * 1000;
  std::printf("reminders: %d bookings made in %.1f s; all due %.1f s after the last was made\n",
              reminders, std::chrono::duration<double>(SystemClock::now() - booking_began).count(),
              (due_ms - MsOf(SystemClock::now())) / 1000.0);
  if (!receiver.WaitFor(
          "/reminders",
          [&](const std::vector<WebhookReceiver::Delivery>& d) {
            return static_cast<int>(d.size()) >= reminders;
          },
          std::chrono::seconds(kLeadS + 90 + 180))) {
    std::cerr << "only " << receiver.Received("/reminders").size() << " of " << reminders
              << " reminders arrived\n";
    return 1;
  }
  std::vector<double> late_ms;
  for (const auto& d : receiver.Received("/reminders"))
    late_ms.push_back(static_cast<double>(MsOf(d.arrived) - due_ms));
  std::printf(
      "reminders: %zu booking.starts_soon due at one moment, all sent %.1f s after it "
      "(lateness p50 %.1f s, p99 %.1f s)\n",
      late_ms.size(), Percentile(late_ms, 1.0) / 1000, Percentile(late_ms, 0.5) / 1000,
      Percentile(late_ms, 0.99) / 1000);
  return 0;
}
