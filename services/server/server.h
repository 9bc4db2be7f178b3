// infrashare-server as a library: the chosen services on one gRPC server, with health (a status
// per service, NOT_SERVING while Redis is unreachable), reflection, metrics, keepalive, TLS and a
// draining shutdown; the same health statuses also on a plaintext health-only port. main.cc and the
// integration tests both start it through this class.
#pragma once

#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/auth.h"
#include "services/common/business_gauges.h"
#include "services/common/config.h"
#include "services/common/metrics.h"
#include "services/common/redis.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/common/stream_follower.h"
#include "services/common/token_service.h"
#include "services/common/unparsable.h"
#include "services/desk/desk_store.h"
#include "services/http/public_site.h"
#include "services/http/rest_gateway.h"
#include "services/http/routes.h"
#include "services/programme/programme_reader.h"
#include "services/programme/programme_store.h"
#include "services/programme/upcoming_resources.h"
#include "services/registry/follower.h"
#include "services/registry/read_model.h"
#include "services/registry/store.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/calendar_feeds.h"
#include "services/scheduler/rotation_store.h"
#include "services/scheduler/slot_search.h"
#include "services/server/health_port.h"
#include "services/webhook/webhook_store.h"

namespace infrashare {

// Service names accepted by --services.
const std::set<std::string>& KnownServices();
// The full names of every gRPC service of the public API, whichever a process runs.
const std::vector<std::string>& PublicServiceNames();
absl::StatusOr<std::set<std::string>> ParseServices(const std::string& list);

class InfrashareServer {
 public:
  static absl::StatusOr<std::unique_ptr<InfrashareServer>> Start(
      const Config& config, const std::set<std::string>& services);
  ~InfrashareServer();

  int port() const { return port_; }
  int health_port() const {
    return health_port_ ? health_port_->port() : 0;
  }  // 0: health.listen is empty
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }
  int http_port() const { return public_site_ ? public_site_->port() : 0; }  // 0: http.listen off
  const Metrics& metrics() const { return metrics_; }
  // Stops taking calls, lets in-flight calls finish for up to `drain`, then cancels the rest.
  void Shutdown(std::chrono::milliseconds drain);
  void Wait();

 private:
  InfrashareServer() = default;
  // Builds the registry read model and its follower once, then the chosen modules over them.
  void ComposeModules(const std::set<std::string>& services);
  // What the public feeds read of the programme: nothing unless this process runs it.
  http::ProgrammeView PublicProgramme();
  // What the listener serves at a calendar feed's address: nothing unless this process runs the
  // scheduler.
  http::CalendarFeedView PublicCalendarFeeds();
  // Where the public site is, as the scheduler links to it: this process's listener, else
  // http.base_url.
  scheduler::SiteLocator PublicSiteAddress();
  void AddModuleMetrics();
  void WatchHealth();
  void SetServingStatus(const std::string& service, bool serving);

  Config config_;
  std::unique_ptr<RedisPool> redis_;
  Metrics metrics_;
  std::unique_ptr<UnparsableRequests> unparsable_;  // before server_: its interceptors point here
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<RedisTokenStore> token_store_;
  std::unique_ptr<ExternalTokens> oidc_;  // null without auth.oidc_file
  std::unique_ptr<TokenAuthority> tokens_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  std::unique_ptr<AuditLog> audit_;
  // One registry read model for every module, fed by one follower (docs/DECISIONS.md).
  std::unique_ptr<registry::RedisRegistryStore> registry_store_;
  std::unique_ptr<registry::RegistryReadModel> read_model_;
  std::unique_ptr<registry::RegistryFollower> registry_follower_;
  // What blocks resources: read by the registry before a removal, by the desk's slot search
  // when no scheduler runs here, and by the impact report.
  std::unique_ptr<scheduler::RedisBookingStore> booking_ledger_;
  std::unique_ptr<scheduler::SlotSearch> desk_slots_;  // when the desk runs without the scheduler
  // Which resources have upcoming public events, for the registry's search (read-only).
  std::unique_ptr<programme::RedisProgrammeStore> programme_events_;
  std::unique_ptr<programme::UpcomingResources> upcoming_resources_;
  std::unique_ptr<programme::ProgrammeRecords> programme_records_;
  programme::ProgrammeReader* programme_reader_ = nullptr;  // the records, if the programme runs
  impact::ImpactReporter* impact_reporter_ = nullptr;       // the impact module's, if it runs
  scheduler::CalendarFeeds* calendar_feeds_ = nullptr;      // the scheduler module's, if it runs
  // The desk's and the rotations' records as the impact report reads them.
  std::unique_ptr<desk::RedisDeskStore> desk_records_;
  std::unique_ptr<scheduler::RedisRotationStore> rotation_records_;
  std::unique_ptr<RpcGate> gate_;
  // Every Watch*/Stream* call of every module, on a few shared readers (stream_follower.h).
  std::unique_ptr<StreamFollower> streams_;
  std::unique_ptr<TokenServiceImpl> token_service_;
  std::vector<std::unique_ptr<ServiceModule>> modules_;
  // Reads the modules' business gauges: declared after them, so it stops first.
  std::unique_ptr<BusinessGauges> business_gauges_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HealthPort> health_port_;
  // REST on the listener, calling server_ in-process: stops before server_, after public_site_.
  std::unique_ptr<http::RestGateway> rest_gateway_;
  // The open-data listener reads the read model: declared after it, so it stops first.
  std::unique_ptr<http::PublicSite> public_site_;
  // The e-mail preferences the listener's /email/preferences page reads and keeps.
  std::unique_ptr<webhook::WebhookStore> mail_preferences_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};
  std::thread health_thread_;
};

}  // namespace infrashare
