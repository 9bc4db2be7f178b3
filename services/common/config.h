// Server configuration: one YAML file, every key overridable by an environment variable named
// INFRASHARE_<KEY PATH IN UPPER CASE, dots as underscores>, e.g. redis.url -> INFRASHARE_REDIS_URL.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace infrashare {

struct RedisConfig {
  std::string url = "redis://127.0.0.1:6379";
  int pool_size = 16;
  int connect_timeout_ms = 1000;
  int command_timeout_ms = 2000;
  std::string key_prefix = "is:";
  // Redis Sentinel: "host:port,host:port" (empty: connect to `url`). With Sentinels, the primary
  // of `sentinel_master` is asked of them on every dial; `url` still gives password and db.
  std::string sentinels;
  std::string sentinel_master = "infrashare";
  // After every batch of commands that writes, WAIT until this many replicas have it (0: do not
  // wait); a write not confirmed within wait_timeout_ms is answered UNAVAILABLE.
  int wait_replicas = 0;
  int wait_timeout_ms = 1000;
  // Redis Cluster: "host:port,host:port", any nodes of it to read the slot map from (empty: not a
  // cluster). `url` still gives the password; its db must be 0. The map is read again every
  // cluster_refresh_ms, and at once when a call meets MOVED or a node that does not answer.
  std::string cluster_nodes;
  int cluster_refresh_ms = 1000;
};

struct LogConfig {
  std::string format = "text";  // text | json
  std::string level = "info";   // trace | debug | info | warn | error
};

struct GrpcConfig {
  int max_message_bytes = 4 * 1024 * 1024;
  int keepalive_time_ms = 30000;
  int keepalive_timeout_ms = 10000;
  int drain_timeout_ms = 10000;
  // Connections are closed after about this long (GOAWAY; calls in flight finish), so clients
  // connect and resolve again and new replicas behind a headless Service get calls. 0 = never.
  int max_connection_age_ms = 0;
  // Threads for handlers that wait on Redis (off gRPC's callback threads). 24: the busiest call,
  // CreateBooking, holds none; a replica with 10,000 streams open stays within 64 threads.
  int handler_threads = 24;
};

struct AuthConfig {
  std::string bootstrap_admin_token;  // empty = none; a platform-admin token that needs no Redis
  int cache_ttl_ms = 2000;            // how long a replica trusts a looked-up token
  int create_replay_ttl_s =
      600;  // how long a CreateToken or CreateCalendarFeed retry returns the same secret
  // The OpenID Connect issuers whose access tokens are taken, and their claim rules
  // (docs/oidc.md); empty = none.
  std::string oidc_file;
};

struct RegistryConfig {
  int default_page_size = 50;
  int max_page_size = 500;
  int max_availability_range_days = 366;
  int request_id_ttl_s = 86400;
  int max_import_rows = 1000;
  int events_max_length = 100000;
  std::vector<std::string> white_spot_regions;  // empty = the 12 provinces and 40 COROP areas
};

struct SchedulerConfig {
  int shards = 16;             // hash-tag shards of the booking keys; fixed once data exists
  int hold_ttl_s = 600;        // a hold lapses unless submitted within this time
  int no_show_grace_s = 1800;  // a confirmed booking not checked in by then is released; 0 = off
  int time_step_s = 60;        // booking times are whole multiples of it (60: on the minute)
  int checkin_opens_minutes = 60;  // check-in opens this long before the start
  int max_query_range_days =
      366;                    // longest CheckAvailability / ListBookings range; recurring horizon
  int max_occurrences = 200;  // most occurrences one recurring booking may have
  int default_page_size = 50;
  int max_page_size = 500;
  int request_id_ttl_s = 86400;
  int events_max_length = 100000;       // entries kept per shard's event stream (approximate)
  int sweep_interval_ms = 1000;         // how often a replica applies due expiries and no-shows
  int rotation_max_horizon_days = 366;  // longest PlanRotation horizon
  int rotation_draft_ttl_s = 604800;    // how long a draft rotation plan is kept
  // Transport for pools that do not set their own: road speed and road km per straight-line km.
  double rotation_speed_kmh = 60;
  double rotation_road_factor = 1.3;
  // A booker's e-mail address (CreateBookingRequest.contact_email) is deleted this long after the
  // booking's end.
  int contact_retention_days = 30;
};

struct DeskConfig {
  int pool_size = 1;     // responders an inquiry is offered to at once; the first to accept wins
  int max_attempts = 3;  // offers before an inquiry escalates to the network's coordinators
  int accept_s_high = 3600;  // acceptance deadline by urgency, in the responder's working seconds
  int accept_s_normal = 14400;
  int accept_s_low = 57600;
  // The desk's hours, "MO-FR 08:00-18:00" (availability.h's WeeklyHours) in `time_zone`, less
  // `closed_days` (YYYY-MM-DD): the clock queue waits and escalations run on. "" = around the
  // clock.
  std::string business_hours;
  std::string time_zone = "Europe/Amsterdam";
  std::vector<std::string> closed_days;
  int queue_wait_s = 14400;  // a queued inquiry escalates after waiting this long (business time)
  int escalation_s = 14400;  // coordinators have this long before it goes to platform admins
  // Platform admins have this long before it goes back to the entry partner (level 3), who then
  // answers the asker itself.
  int level2_escalation_s = 172800;
  int follow_up_s = 1209600;  // after resolution (14 days): ask the asker whether help started
  int contact_retention_days = 365;  // the asker's personal data is deleted after this
  int max_text_bytes = 8000;
  int dispatch_threads = 2;  // dispatch consumers per replica
  int claim_idle_ms = 5000;  // dispatch work a replica left unacknowledged this long is taken over
  int timer_interval_ms = 100;  // how often a replica applies due deadlines
  // How often the queue is drained although no call freed capacity (an absence ended, working
  // hours began).
  int drain_interval_ms = 60000;
  int default_page_size = 50;
  int max_page_size = 500;
  int request_id_ttl_s = 86400;
  int events_max_length = 100000;
  int suggestion_slot_minutes = 120;  // facility-access suggestions: the free slot looked for
  int suggestion_horizon_days = 30;   // how far ahead
  int max_suggestions = 5;
};

// TLS on the gRPC listener (docs/security.md). Without a certificate the server listens in
// plaintext only on a loopback address, or anywhere when `plaintext` says so explicitly.
struct TlsConfig {
  std::string cert_file;              // server certificate chain (PEM); empty = no TLS
  std::string key_file;               // its private key (PEM)
  std::string client_ca_file;         // roots a client certificate must chain to (PEM)
  std::string client_certs = "none";  // none | optional | required
  int refresh_interval_s = 60;        // how often the files are read again for new certificates
  bool plaintext = false;             // true = no TLS on any address (e.g. behind a TLS proxy)
};

// Every time in a request lies in [1 January of earliest_year, 1 January of latest_year + 1).
struct LimitsConfig {
  int earliest_year = 2000;
  int latest_year = 2199;
};

// One group of RPCs' limits (GCRA: a sustained rate and how many calls may come at once).
struct RateLimit {
  double per_token_per_s;
  int token_burst;
  double per_org_per_s;
  int org_burst;
};

// Calls per token and per organisation, shared by every replica (services/common/rate_limit.h).
// The bootstrap admin token is not limited.
struct RateLimitConfig {
  bool enabled = true;
  RateLimit read{200, 400, 1000,
                 2000};  // Get*, List*, Search*, Export*, CheckAvailability, WhoAmI, stream opens
  RateLimit write{100, 200, 500, 1000};  // every other call that changes something
  RateLimit heavy{10, 20, 20, 40};       // imports, reports, rotation planning, slot search
  int max_streams_per_token = 20;        // open Watch*/Stream* calls per token on one replica
};

struct AuditConfig {
  bool enabled = true;
  int retention_days = 365;  // events older than this are trimmed from the trail
};

// The public HTTP listener: open-data feeds without a token (services/http, README "Publishing
// your network's map and open data").
struct HttpConfig {
  std::string listen;  // host:port; empty = no HTTP listener
  int threads = 4;     // worker threads answering requests
  // The REST/JSON API under /v1/ (docs/rest.md): every RPC, with the caller's token. A REST
  // stream holds one of `threads` while it runs; at most half of them serve streams.
  bool rest = true;
  std::string static_dir;  // files served under / (e.g. "web"); empty = none
  // The npm packages the pages load (Leaflet, Chart.js), served under /vendor/; empty = none.
  std::string vendor_dir = "node_modules";
  // The map page's background tiles ({z}/{x}/{y} URL template) and their attribution; empty =
  // no background (the markers and the list still work).
  std::string tile_url;
  std::string tile_attribution;
  int events_per_resource = 5;  // upcoming public events each resource shows in the feeds
  double rate_per_s = 5;        // requests per client address per second, sustained
  int burst = 60;               // requests a client address may make at once
  int max_url_bytes = 2048;     // longer request targets get 414
  int max_age_s = 300;          // Cache-Control max-age of the feeds
  std::string base_url;  // absolute URL of the listener in the catalogue; empty = http://listen
  std::string license = "http://creativecommons.org/publicdomain/zero/1.0/";  // of the feeds
  std::string publisher = "infrashare";  // who publishes the open data (catalogue record)
  std::string publisher_url;             // its web site, if any
  std::string contact_email;             // where users of the data write to, if any
};

// The business gauges (docs/metrics.md): numbers about the data, read from Redis by each process
// for the services it runs. (metrics.listen is Config::metrics_listen.)
struct MetricsConfig {
  int business_interval_s = 15;       // how often they are read
  int holds_lapsing_within_s = 3600;  // a hold counts as lapsing when it expires within this
};

// Outgoing webhooks (docs/webhooks.md): delivery, retries and what targets may be.
struct WebhookConfig {
  // Delivery threads per replica; 0: this replica serves the subscription RPCs but delivers
  // nothing (nor reads the change streams for webhooks).
  int senders = 4;
  int timeout_ms = 10000;  // one attempt: connecting, sending and the receiver's answer
  // A failed change is tried again after retry_base_ms, then twice as long each time (at most
  // retry_max_ms between tries), for retry_for_s after its first attempt; then it is a dead letter
  // and the subscription is disabled.
  int retry_base_ms = 5000;
  int retry_max_ms = 3600000;
  int retry_for_s = 259200;
  // Work a replica left unfinished this long (it died) is taken over by another; longer than an
  // attempt may take.
  int claim_idle_ms = 30000;
  int poll_interval_ms = 100;     // how often an idle replica looks at the change streams again
  int delivery_log_length = 100;  // attempts kept per subscription (ListWebhookDeliveries)
  int dead_letter_max = 1000;     // dead letters kept per subscription; the oldest go first
  bool allow_http = false;        // targets may be http:// (tests, a receiver on the same host)
  // Targets may resolve to private, loopback, link-local and other non-public addresses (tests).
  bool allow_private_targets = false;
};

// E-mail through an SMTP relay (docs/email.md). Sent by the webhook senders (webhooks.senders),
// queued and retried like webhooks (webhooks.retry_*).
struct EmailConfig {
  // smtp://host[:port] (STARTTLS required unless allow_plaintext) or smtps://host[:port]; empty:
  // no e-mail is written or sent.
  std::string relay_url;
  std::string username;      // AUTH with this user when set
  std::string password;      // best from the environment: INFRASHARE_EMAIL_PASSWORD
  std::string from_address;  // required with relay_url, e.g. noreply@techniekzwolle.nl
  std::string from_name = "infrashare";
  std::string ca_file;  // the relay's certificate is checked against these roots (PEM); empty:
                        // the system's
  bool allow_plaintext = false;  // smtp:// without STARTTLS (a relay on the same host only)
  int timeout_ms = 15000;        // one attempt; at most half webhooks.claim_idle_ms
  // How long before a planned hand-over its two sides are e-mailed (handover.due); a hand-over
  // planned later than that is e-mailed at once.
  int handover_lead_s = 86400;
  // How long after a question was resolved its asker is asked for feedback (inquiry.feedback, a
  // one-time form; needs http.base_url or an HTTP listener on one host); 0: with the resolution.
  int feedback_after_s = 86400;
};

struct Config {
  std::string listen = "127.0.0.1:50051";
  std::string metrics_listen = "127.0.0.1:9464";  // empty disables the metrics endpoint
  MetricsConfig metrics;
  std::string health_listen = "127.0.0.1:50052";  // plaintext, grpc.health.v1 only; empty = off
  TlsConfig tls;
  LogConfig log;
  RedisConfig redis;
  GrpcConfig grpc;
  AuthConfig auth;
  RegistryConfig registry;
  SchedulerConfig scheduler;
  DeskConfig desk;
  LimitsConfig limits;
  RateLimitConfig rate_limits;
  AuditConfig audit;
  HttpConfig http;
  WebhookConfig webhooks;
  EmailConfig email;
};

// Reads `path` (empty = defaults only), applies environment overrides, validates. The error message
// names the offending key.
absl::StatusOr<Config> LoadConfig(const std::string& path);

// True for 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach.
bool IsLoopbackListen(const std::string& host_port);

struct RedisAddress {
  std::string host;
  int port = 6379;
  std::string password;
  int db = 0;
};
absl::StatusOr<RedisAddress> ParseRedisUrl(const std::string& url);
// "host:port,host:port" (Sentinel or cluster node addresses); an error names what is wrong.
absl::StatusOr<std::vector<std::pair<std::string, int>>> ParseHostPorts(const std::string& list);

}  // namespace infrashare
