#include "services/server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server_builder.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/build_info.h"
#include "services/common/clock.h"
#include "services/common/embedded_lua.h"
#include "services/common/logging.h"
#include "services/common/oidc.h"
#include "services/common/request_limits.h"
#include "services/common/text_fold.h"
#include "services/desk/desk_service.h"
#include "services/http/email_preferences.h"
#include "services/http/inquiry_feedback.h"
#include "services/http/openapi/openapi_json.h"
#include "services/http/routes.h"
#include "services/impact/impact_service.h"
#include "services/privacy/privacy_service.h"
#include "services/programme/programme_service.h"
#include "services/registry/registry_service.h"
#include "services/scheduler/scheduler_service.h"
#include "services/webhook/fan_out.h"
#include "services/webhook/webhook_service.h"

namespace infrashare {
namespace {

constexpr char kTokenServiceName[] = "infrashare.auth.v1.TokenService";
// SERVING while the process runs, whether or not Redis is reachable: what Kubernetes' liveness
// probe asks, since a restart cannot bring Redis back (the overall status "" is for readiness).
constexpr char kLivenessName[] = "liveness";

// The main listener's credentials: TLS from files that gRPC reads again every refresh interval, so
// a renewed certificate is served without a restart; or plaintext (config.cc decides when allowed).
std::shared_ptr<grpc::ServerCredentials> ListenerCredentials(const TlsConfig& tls) {
  if (tls.cert_file.empty()) return grpc::InsecureServerCredentials();
  auto files = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file,
      static_cast<unsigned>(tls.refresh_interval_s));
  grpc::experimental::TlsServerCredentialsOptions options(files);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca_file.empty()) options.watch_root_certs();
  if (tls.client_certs == "required") {
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else if (tls.client_certs == "optional") {
    options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

std::string WithPort(const std::string& listen, int port) {
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
}

}  // namespace

const std::set<std::string>& KnownServices() {
  static const std::set<std::string> kServices = {"registry",  "scheduler", "desk",
                                                  "programme", "impact",    "webhook"};
  return kServices;
}

const std::vector<std::string>& PublicServiceNames() {
  static const std::vector<std::string> kNames = {
      auth::v1::TokenService::service_full_name(),
      registry::v1::RegistryService::service_full_name(),
      scheduler::v1::SchedulerService::service_full_name(),
      desk::v1::DeskService::service_full_name(),
      privacy::v1::PrivacyService::service_full_name(),
      programme::v1::ProgrammeService::service_full_name(),
      impact::v1::ImpactService::service_full_name(),
      webhook::v1::WebhookService::service_full_name()};
  return kNames;
}

absl::StatusOr<std::set<std::string>> ParseServices(const std::string& list) {
  std::set<std::string> services;
  for (auto part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::string name(part);
    if (name == "all") {
      services.insert(KnownServices().begin(), KnownServices().end());
    } else if (KnownServices().count(name)) {
      services.insert(name);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--services: unknown service '", name, "'"));
    }
  }
  if (services.empty()) return absl::InvalidArgumentError("--services: name at least one service");
  return services;
}

absl::StatusOr<std::unique_ptr<InfrashareServer>> InfrashareServer::Start(
    const Config& config, const std::set<std::string>& services) {
  std::unique_ptr<InfrashareServer> s(new InfrashareServer());
  s->config_ = config;
  auto redis = RedisPool::Create(config.redis);
  if (!redis.ok()) return redis.status();
  s->redis_ = std::move(*redis);
  s->redis_->AddFunctionLibrary(std::string(kAuthLua));

  s->token_store_ = std::make_unique<RedisTokenStore>(s->redis_.get());
  if (!config.auth.oidc_file.empty()) {
    auto issuers = LoadOidcIssuers(config.auth.oidc_file);
    if (!issuers.ok()) return issuers.status();
    const size_t count = issuers->size();
    auto verifier = OidcVerifier::Create(std::move(*issuers));
    if (!verifier.ok()) return verifier.status();
    s->oidc_ = std::move(*verifier);
    logging::Info("OpenID Connect access tokens taken",
                  {{"issuers", std::to_string(count)}, {"file", config.auth.oidc_file}});
  }
  s->tokens_ = std::make_unique<TokenAuthority>(s->token_store_.get(), config.auth, s->oidc_.get());
  s->rate_limiter_ = std::make_unique<RateLimiter>(s->redis_.get(), config.rate_limits);
  s->audit_ = std::make_unique<AuditLog>(s->redis_.get(), config.audit);
  s->gate_ =
      std::make_unique<RpcGate>(s->tokens_.get(), &s->metrics_, config.grpc.handler_threads,
                                RequestLimitsFor(config), s->rate_limiter_.get(), s->audit_.get());
  s->streams_ = std::make_unique<StreamFollower>(s->redis_.get(), s->gate_.get());
  s->token_service_ =
      std::make_unique<TokenServiceImpl>(s->tokens_.get(), s->audit_.get(), s->gate_.get());
  s->ComposeModules(services);
  s->AddModuleMetrics();
  // Only the modules of this process: a process runs the gauges of the services it runs.
  s->business_gauges_ = std::make_unique<BusinessGauges>(
      &s->metrics_, std::chrono::seconds(config.metrics.business_interval_s));
  for (auto& m : s->modules_)
    for (auto& gauge : m->business_gauges()) s->business_gauges_->Add(std::move(gauge));

  s->unparsable_ = std::make_unique<UnparsableRequests>(&s->metrics_);
  const BuildInfo& build = BuildInfoOfThisBinary();
  s->metrics_.AddConstant("infrashare_build_info",
                          "The server's version, git commit and CMake build type; always 1.",
                          {{"version", std::string(build.version)},
                           {"commit", std::string(build.commit)},
                           {"build_type", std::string(build.build_type)}},
                          1);
  RedisPool* pool = s->redis_.get();
  s->metrics_.AddSampled("infrashare_redis_pool_size", "gauge",
                         "Redis connections the pool may hold.",
                         [pool] { return pool->Stats().size; });
  s->metrics_.AddSampled("infrashare_redis_pool_in_use", "gauge", "Redis connections in use.",
                         [pool] { return pool->Stats().in_use; });
  s->metrics_.AddSampled("infrashare_redis_errors_total", "counter",
                         "Redis calls that failed (transport or unexpected error replies).",
                         [pool] { return static_cast<double>(pool->Stats().errors); });
  if (pool->cluster()) {
    s->metrics_.AddSampled("infrashare_redis_cluster_moved_total", "counter",
                           "Redis Cluster commands sent again to a slot's new primary (MOVED).",
                           [pool] { return static_cast<double>(pool->Stats().moved); });
    s->metrics_.AddSampled("infrashare_redis_cluster_asked_total", "counter",
                           "Redis Cluster commands sent to a slot's importing node (ASK).",
                           [pool] { return static_cast<double>(pool->Stats().asked); });
    s->metrics_.AddSampled(
        "infrashare_redis_cluster_retries_total", "counter",
        "Redis Cluster commands sent again after TRYAGAIN, CLUSTERDOWN or a node not answering.",
        [pool] { return static_cast<double>(pool->Stats().retried); });
  }
  if (!config.metrics_listen.empty()) {
    s->metrics_server_ = std::make_unique<MetricsServer>(&s->metrics_, config.metrics_listen);
    if (!s->metrics_server_->Start())
      return absl::UnavailableError(
          absl::StrCat("metrics.listen: cannot listen on ", config.metrics_listen));
  }

  // The HTTP listener before the gRPC server: a calendar feed made over gRPC gets its address
  // from the listener's port.
  if (!config.http.listen.empty()) {
    s->public_site_ = std::make_unique<http::PublicSite>(config.http, &s->metrics_);
    http::RegisterRoutes(s->read_model_.get(), s->PublicProgramme(),
                         {s->impact_reporter_, s->tokens_.get(), s->registry_store_.get(),
                          RequestLimitsFor(config), s->rate_limiter_.get()},
                         s->PublicCalendarFeeds(), config.http, s->public_site_.get());
    s->mail_preferences_ = std::make_unique<webhook::RedisWebhookStore>(s->redis_.get());
    webhook::WebhookStore* preferences = s->mail_preferences_.get();
    http::RegisterEmailPreferences(
        {[preferences] { return preferences->MailLinkKey(); },
         [preferences](const std::string& person) { return preferences->MailPreferences(person); },
         [preferences](const std::string& person, const mail::Preferences& wanted) {
           return preferences->SetMailPreferences(person, wanted);
         }},
        s->public_site_.get());
    desk::DeskStore* inquiries = s->desk_records_.get();
    http::RegisterInquiryFeedback(
        webhook::kFeedbackPath,
        {[preferences] { return preferences->MailLinkKey(); },
         [inquiries](const std::string& id) -> absl::StatusOr<std::optional<desk::v1::Inquiry>> {
           auto stored = inquiries->GetInquiry(id, false);
           if (!stored.ok()) return stored.status();
           if (!stored->has_value()) return std::nullopt;
           return std::move((*stored)->inquiry);
         },
         [inquiries, limits = RequestLimitsFor(config)](
             const std::string& id, const desk::v1::Feedback& feedback) -> absl::Status {
           // Held to what a RecordFeedback call is held to: the asker's words reach the
           // partners like any other text (no control characters, no bidirectional overrides).
           desk::v1::RecordFeedbackRequest request;
           request.set_id(id);
           *request.mutable_feedback() = feedback;
           if (auto bounded = CheckRequest(request, limits); !bounded.ok()) return bounded;
           FieldErrors errors;
           desk::Validate(feedback, "feedback", &errors);
           if (!errors.empty()) return errors.ToStatus();
           return inquiries->RecordFeedback(id, "asker", feedback, "").status();
         }},
        s->public_site_.get());
    if (config.http.rest) {
      std::vector<const google::protobuf::ServiceDescriptor*> services;
      for (const auto& name : PublicServiceNames())
        services.push_back(
            google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name));
      auto routes = http::RestRoutes(services);
      if (!routes.ok()) return routes.status();
      // A stream's place is held by the caller's organisation (by the token itself for a token
      // of none, or one that does not resolve: the call is then refused anyway), so more tokens
      // of one organisation, minted or from its identity provider, get no more places.
      auto holder_of = [tokens = s->tokens_.get()](absl::string_view token) {
        auto caller = tokens->Resolve(token);
        if (!caller.ok()) return absl::StrCat("token:", token);
        if (caller->organization_id.empty()) return absl::StrCat("id:", caller->token_id);
        return absl::StrCat("organization:", caller->organization_id);
      };
      s->rest_gateway_ = std::make_unique<http::RestGateway>(
          std::move(*routes), std::max(1, config.http.threads / 2), std::move(holder_of));
      s->public_site_->ApiRoutes("/v1/", static_cast<size_t>(config.grpc.max_message_bytes),
                                 [gateway = s->rest_gateway_.get()](const http::ApiRequest& call) {
                                   return gateway->Handle(call);
                                 });
      // The API's description, made from the protos at build time: public, like the protos.
      s->public_site_->Route("/openapi.json", [](const http::HttpQuery&) {
        return http::HttpReply{200, "application/json", std::string(kOpenApiJson)};
      });
    }
    if (!s->public_site_->Start())
      return absl::UnavailableError(
          absl::StrCat("http.listen: cannot listen on ", config.http.listen));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, ListenerCredentials(config.tls), &s->port_);
  builder.SetMaxReceiveMessageSize(config.grpc.max_message_bytes);
  builder.SetMaxSendMessageSize(config.grpc.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, config.grpc.keepalive_time_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, config.grpc.keepalive_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  // No grace limit: calls in flight, streams too, end on the old connection as they would have.
  if (config.grpc.max_connection_age_ms > 0)
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, config.grpc.max_connection_age_ms);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(s->unparsable_->InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(s->token_service_.get());
  for (auto& m : s->modules_) builder.RegisterService(m->service());
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0)
    return absl::UnavailableError(absl::StrCat("listen: cannot listen on ", config.listen));
  if (s->rest_gateway_) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(config.grpc.max_message_bytes);
    args.SetMaxSendMessageSize(config.grpc.max_message_bytes);
    s->rest_gateway_->Connect(s->server_->InProcessChannel(args));
  }

  // Kubernetes' gRPC probes cannot speak TLS: the same health statuses on a plaintext port.
  if (!config.health_listen.empty()) {
    auto health_port = HealthPort::Start(config.health_listen);
    if (!health_port.ok()) return health_port.status();
    s->health_port_ = std::move(*health_port);
  }

  s->registry_follower_->Start();
  for (auto& m : s->modules_) m->Start();
  s->business_gauges_->Start();
  s->SetServingStatus("", false);
  s->SetServingStatus(kLivenessName, true);
  s->health_thread_ = std::thread([raw = s.get()] { raw->WatchHealth(); });
  if (config.tls.cert_file.empty())
    logging::Warn("serving gRPC without TLS",
                  {{"listen", WithPort(config.listen, s->port_)},
                   {"why", config.tls.plaintext ? "tls.plaintext" : "loopback"}});
  logging::Info(
      "infrashare-server started",
      {{"listen", WithPort(config.listen, s->port_)},
       {"tls",
        config.tls.cert_file.empty() ? "off" : "client certificates " + config.tls.client_certs},
       {"health_port", std::to_string(s->health_port())},
       {"metrics_port", std::to_string(s->metrics_port())},
       {"http_port", std::to_string(s->http_port())}});
  return s;
}

void InfrashareServer::ComposeModules(const std::set<std::string>& services) {
  // Every module reads the registry: one read model, fed by one follower, built before them.
  registry_store_ = std::make_unique<registry::RedisRegistryStore>(
      redis_.get(), config_.registry.request_id_ttl_s, config_.registry.events_max_length);
  read_model_ = std::make_unique<registry::RegistryReadModel>(registry_store_.get());
  registry_follower_ = std::make_unique<registry::RegistryFollower>(
      registry_store_.get(), registry_store_.get(), redis_.get(),
      registry::RegistryReadModel::Kinds(), read_model_.get());
  const bool with_registry = services.count("registry") > 0;
  const bool with_scheduler = services.count("scheduler") > 0;
  const bool with_desk = services.count("desk") > 0;
  const bool with_programme = services.count("programme") > 0;
  const bool with_impact = services.count("impact") > 0;
  // The registry asks the booking ledger before it removes a resource, a desk without the
  // scheduler reads it for free slots, the impact report reads bookings from it, and the programme
  // books its events' resources with its functions, so they load its functions too.
  if (with_registry || with_scheduler || with_desk || with_programme || with_impact)
    redis_->AddFunctionLibrary(std::string(kSchedulerLua));
  if (with_registry || (with_desk && !with_scheduler) || with_impact)
    booking_ledger_ =
        std::make_unique<scheduler::RedisBookingStore>(redis_.get(), config_.scheduler);

  // What the registry's search, the public feeds and the impact report read of the programme,
  // whether or not the programme service runs here. Search filters by upcoming public events: a
  // 2 s old answer is fresh enough for a map, and spares every search a scan of the index.
  if (with_registry || with_programme || with_impact) {
    redis_->AddFunctionLibrary(std::string(kProgrammeLua));
    programme_events_ = std::make_unique<programme::RedisProgrammeStore>(
        redis_.get(), config_.scheduler.request_id_ttl_s);
    programme_records_ = std::make_unique<programme::ProgrammeRecords>(programme_events_.get());
    upcoming_resources_ = std::make_unique<programme::UpcomingResources>(programme_events_.get(),
                                                                         std::chrono::seconds(2));
  }
  if (with_registry) {
    redis_->AddFunctionLibrary(std::string(kRegistryLua));
    registry::Dependents dependents;
    const int64_t latest_ms = RequestLimitsFor(config_).latest_time_s * 1000;
    dependents.has_live_bookings = [ledger = booking_ledger_.get(), latest_ms](
                                       const std::string& resource_id) -> absl::StatusOr<bool> {
      auto busy = ledger->Busy(resource_id, NowMs(), latest_ms);
      if (!busy.ok()) return busy.status();
      return !busy->empty();
    };
    dependents.revoke_tokens = [tokens = tokens_.get()](const std::string& organization_id) {
      return tokens->RevokeOrganization(organization_id);
    };
    dependents.resources_with_upcoming_events = [upcoming = upcoming_resources_.get()] {
      return upcoming->Get(NowMs());
    };
    auto registry = std::make_unique<registry::RegistryModule>(
        redis_.get(), gate_.get(), config_.registry, std::move(dependents), read_model_.get(),
        streams_.get());
    // Personal data of one person, across the registry and the desk: beside the registry, whose
    // writes it makes.
    redis_->AddFunctionLibrary(std::string(kDeskLua));
    redis_->AddFunctionLibrary(std::string(kWebhookLua));  // e-mails waiting go with the person
    auto mails = std::make_shared<webhook::RedisWebhookStore>(redis_.get());
    privacy::MailRecords mail_records;
    mail_records.erase =
        [mails](const std::string& address) -> absl::StatusOr<privacy::MailRecords::Erased> {
      auto erased = mails->EraseMail(address);
      if (!erased.ok()) return erased.status();
      return privacy::MailRecords::Erased{erased->emails, erased->deliveries};
    };
    mail_records.preferences = [mails](const std::string& address)
        -> absl::StatusOr<std::optional<privacy::v1::EmailPreferences>> {
      auto kept = mails->MailPreferences(PersonOf(address));
      if (!kept.ok()) return kept.status();
      if (!kept->all_off && kept->off.empty() && kept->language.empty()) return std::nullopt;
      privacy::v1::EmailPreferences out;
      out.set_all_off(kept->all_off);
      for (const auto& moment : kept->off) out.add_moments_off(moment);
      out.set_language(kept->language);
      return out;
    };
    modules_.push_back(std::make_unique<privacy::PrivacyModule>(
        redis_.get(), gate_.get(), registry.get(), config_.desk, booking_ledger_.get(),
        std::move(mail_records)));
    modules_.push_back(std::move(registry));
  }
  SlotFinder* slots = nullptr;
  if (with_scheduler) {
    redis_->AddFunctionLibrary(std::string(kRotationLua));
    redis_->AddFunctionLibrary(std::string(kCalendarFeedLua));
    auto scheduler = std::make_unique<scheduler::SchedulerModule>(
        redis_.get(), gate_.get(), config_, read_model_.get(), streams_.get(), PublicSiteAddress());
    slots = scheduler->slot_finder();
    calendar_feeds_ = scheduler->calendar_feeds();
    modules_.push_back(std::move(scheduler));
  }
  if (with_desk) {
    redis_->AddFunctionLibrary(std::string(kDeskLua));
    if (slots == nullptr) {
      desk_slots_ = std::make_unique<scheduler::SlotSearch>(
          booking_ledger_.get(), read_model_.get(), config_.scheduler, NowMs);
      slots = desk_slots_.get();
    }
    redis_->AddFunctionLibrary(std::string(kWebhookLua));  // an erased asker's feedback request
    auto mails = std::make_shared<webhook::RedisWebhookStore>(redis_.get());
    modules_.push_back(std::make_unique<desk::DeskModule>(
        redis_.get(), gate_.get(), config_, read_model_.get(), slots, streams_.get(),
        token_store_.get(), [mails](const std::string& address, const std::string& inquiry_id) {
          return webhook::DropWaitingMail(mails.get(), "inquiry.feedback", inquiry_id, address);
        }));
  }
  if (with_programme) {
    modules_.push_back(std::make_unique<programme::ProgrammeModule>(redis_.get(), gate_.get(),
                                                                    config_, read_model_.get()));
    programme_reader_ = programme_records_.get();
  }
  if (services.count("webhook") > 0) {
    // Reads every service's change stream and, for what a subscriber may see, their records.
    for (auto library : {kSchedulerLua, kDeskLua, kRotationLua, kProgrammeLua, kWebhookLua})
      redis_->AddFunctionLibrary(std::string(library));
    modules_.push_back(std::make_unique<webhook::WebhookModule>(
        redis_.get(), gate_.get(), config_, read_model_.get(), registry_store_->EventsKey(),
        [this, site = PublicSiteAddress()] {
          // A link must reach the page from the recipient's mail program: the public address
          // configured, else the listener's own only when it is bound to one host (0.0.0.0 or
          // [::] names no address anyone can reach).
          const std::string& listen = config_.http.listen;
          if (config_.http.base_url.empty() &&
              (listen.empty() || absl::StartsWith(listen, "0.0.0.0:") ||
               absl::StartsWith(listen, "[::]:") || absl::StartsWith(listen, ":")))
            return std::string();
          return site().base_url;
        }));
  }
  // The impact report reads the desk's records, and the HTTP listener's feedback form records
  // an asker's feedback, whether or not the desk runs in this process.
  if (with_impact || !config_.http.listen.empty()) {
    redis_->AddFunctionLibrary(std::string(kDeskLua));
    desk_records_ = std::make_unique<desk::RedisDeskStore>(redis_.get(), config_.desk);
  }
  if (with_impact) {
    // Reads only: the rotations' records through their store interface, whether or not the
    // scheduler runs in this process.
    rotation_records_ = std::make_unique<scheduler::RedisRotationStore>(
        redis_.get(), config_.scheduler.request_id_ttl_s, config_.scheduler.rotation_draft_ttl_s);
    auto module = std::make_unique<impact::ImpactModule>(
        gate_.get(), config_, read_model_.get(), booking_ledger_.get(), desk_records_.get(),
        rotation_records_.get(), programme_records_.get());
    impact_reporter_ = module->reporter();
    modules_.push_back(std::move(module));
  }
}

http::ProgrammeView InfrashareServer::PublicProgramme() {
  if (programme_reader_ == nullptr) return {};
  return {programme_reader_,
          [upcoming = upcoming_resources_.get()](int64_t now_ms) { return upcoming->Get(now_ms); }};
}

scheduler::SiteLocator InfrashareServer::PublicSiteAddress() {
  // Read when a feed is made or a calendar exported, after Start() has bound the listener.
  return [this] {
    scheduler::SiteAddress site;
    if (public_site_) {
      site.base_url = public_site_->BaseUrl();
      site.serves_map = !config_.http.base_url.empty() || !config_.http.static_dir.empty();
    } else {
      // The public site runs elsewhere (another Deployment): http.base_url says where.
      site.base_url = config_.http.base_url;
      site.serves_map = !site.base_url.empty();
    }
    while (!site.base_url.empty() && site.base_url.back() == '/') site.base_url.pop_back();
    return site;
  };
}

http::CalendarFeedView InfrashareServer::PublicCalendarFeeds() {
  if (calendar_feeds_ == nullptr) return {};
  return {[feeds = calendar_feeds_](const std::string& secret) { return feeds->Calendar(secret); }};
}

void InfrashareServer::AddModuleMetrics() {
  metrics_.AddSampled("infrashare_registry_followers", "gauge",
                      "Followers of the registry change log running in this process.",
                      [] { return registry::RegistryFollower::Running(); });
  metrics_.AddSampled("infrashare_registry_search_indexes", "gauge",
                      "In-memory registry search indexes held by this process.",
                      [] { return registry::SearchIndex::Instances(); });
  metrics_.AddSampled("infrashare_registry_read_model_resources", "gauge",
                      "Resources in this process's registry read model.",
                      [model = read_model_.get()] { return static_cast<double>(model->size()); });
}

void InfrashareServer::SetServingStatus(const std::string& service, bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(service, serving);
  if (health_port_) health_port_->health()->SetServingStatus(service, serving);
}

void InfrashareServer::WatchHealth() {
  // Modules are asked every 100 ms, so a replica that becomes ready (a desk whose dispatcher and
  // deadlines run) is SERVING at once; Redis is pinged once a second as before (the pool's dial
  // back-off, up to 2 s, bounds how soon a return is noticed anyway). Statuses are set only on a
  // change: each set is a message to every client watching health.
  constexpr auto kRound = std::chrono::milliseconds(100);
  constexpr int kRoundsPerPing = 10;
  std::map<std::string, bool> published;
  auto publish = [&](const std::string& service, bool serving) {
    auto [it, added] = published.try_emplace(service, serving);
    if (!added && it->second == serving) return;
    it->second = serving;
    SetServingStatus(service, serving);
  };
  bool redis_ok = false;
  bool first = true;
  for (int round = 0; !stopping_; round = (round + 1) % kRoundsPerPing) {
    if (round == 0) {
      const bool was_ok = redis_ok;
      redis_ok = redis_->CheckHealth();
      if (first || redis_ok != was_ok) {
        if (redis_ok) {
          logging::Info("redis reachable");
        } else {
          logging::Warn("redis unreachable; services NOT_SERVING until it is back");
        }
      }
      first = false;
    }
    bool all = redis_ok;
    publish(kTokenServiceName, redis_ok);
    for (auto& m : modules_) {
      const bool serving = redis_ok && m->ready();
      all = all && serving;
      publish(m->name(), serving);
    }
    publish("", all);
    std::this_thread::sleep_for(kRound);
  }
}

void InfrashareServer::Shutdown(std::chrono::milliseconds drain) {
  if (shut_down_.exchange(true)) return;
  stopping_ = true;
  if (health_thread_.joinable()) health_thread_.join();
  // A start that failed half-way has no server yet.
  if (server_) server_->GetHealthCheckService()->Shutdown();
  // The health port stays up while calls drain, so probes see NOT_SERVING rather than a refusal.
  if (health_port_) health_port_->health()->Shutdown();
  if (rest_gateway_) rest_gateway_->Stop();
  if (public_site_) public_site_->Stop();
  if (streams_) streams_->Stop();
  if (business_gauges_) business_gauges_->Stop();  // it reads the modules' stores
  for (auto& m : modules_) m->Stop();
  if (registry_follower_) registry_follower_->Stop();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + drain);
  if (health_port_) health_port_->Shutdown();
  logging::Info("infrashare-server stopped");
}

void InfrashareServer::Wait() { server_->Wait(); }

InfrashareServer::~InfrashareServer() { Shutdown(std::chrono::milliseconds(0)); }

}  // namespace infrashare
