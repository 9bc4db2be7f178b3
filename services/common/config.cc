#include "services/common/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/common/availability.h"
#include "services/common/recurrence.h"
#include "services/common/text_fold.h"

namespace infrashare {
namespace {

// One configuration key: how to set it from text and how to check the result.
struct Key {
  std::string path;
  std::function<bool(const std::string&)> set_scalar;             // false = bad value
  std::function<bool(const std::vector<std::string>&)> set_list;  // lists only
  std::function<std::string()> check;                             // "" = fine, else why not
};

Key IntKey(std::string path, int* target, int min, int max) {
  return Key{path, [target](const std::string& text) { return absl::SimpleAtoi(text, target); },
             nullptr,
             [target, min, max]() -> std::string {
               if (*target < min || *target > max)
                 return absl::StrCat("must be between ", min, " and ", max);
               return "";
             }};
}

Key DoubleKey(std::string path, double* target, double min, double max) {
  return Key{path, [target](const std::string& text) { return absl::SimpleAtod(text, target); },
             nullptr,
             [target, min, max]() -> std::string {
               if (!(*target >= min && *target <= max))
                 return absl::StrCat("must be between ", min, " and ", max);
               return "";
             }};
}

Key BoolKey(std::string path, bool* target) {
  return Key{path, [target](const std::string& text) { return absl::SimpleAtob(text, target); },
             nullptr, nullptr};
}

Key StringKey(std::string path, std::string* target,
              std::function<std::string(const std::string&)> check = nullptr) {
  return Key{path,
             [target](const std::string& text) {
               *target = text;
               return true;
             },
             nullptr, [target, check]() { return check ? check(*target) : std::string(); }};
}

Key OneOfKey(std::string path, std::string* target, std::set<std::string> allowed) {
  return StringKey(path, target, [allowed](const std::string& v) -> std::string {
    if (allowed.count(v)) return "";
    std::string list;
    for (const auto& a : allowed) absl::StrAppend(&list, list.empty() ? "" : ", ", a);
    return absl::StrCat("must be one of ", list);
  });
}

Key ListKey(std::string path, std::vector<std::string>* target) {
  return Key{path,
             [target](const std::string& text) {
               target->clear();
               for (auto part : absl::StrSplit(text, ',', absl::SkipWhitespace()))
                 target->push_back(std::string(absl::StripAsciiWhitespace(part)));
               return true;
             },
             [target](const std::vector<std::string>& items) {
               *target = items;
               return true;
             },
             nullptr};
}

std::string CheckListen(const std::string& v) {
  auto colon = v.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(v.substr(colon + 1), &port) || port < 0 ||
      port > 65535)
    return "must be host:port";
  return "";
}

std::vector<Key> Keys(Config& c) {
  return {
      StringKey("listen", &c.listen, CheckListen),
      StringKey("metrics.listen", &c.metrics_listen,
                [](const std::string& v) { return v.empty() ? "" : CheckListen(v); }),
      IntKey("metrics.business_interval_s", &c.metrics.business_interval_s, 1, 3600),
      IntKey("metrics.holds_lapsing_within_s", &c.metrics.holds_lapsing_within_s, 1, 30 * 86400),
      StringKey("health.listen", &c.health_listen,
                [](const std::string& v) { return v.empty() ? "" : CheckListen(v); }),
      StringKey("tls.cert_file", &c.tls.cert_file),
      StringKey("tls.key_file", &c.tls.key_file),
      StringKey("tls.client_ca_file", &c.tls.client_ca_file),
      OneOfKey("tls.client_certs", &c.tls.client_certs, {"none", "optional", "required"}),
      IntKey("tls.refresh_interval_s", &c.tls.refresh_interval_s, 1, 86400),
      BoolKey("tls.plaintext", &c.tls.plaintext),
      OneOfKey("log.format", &c.log.format, {"text", "json"}),
      OneOfKey("log.level", &c.log.level, {"trace", "debug", "info", "warn", "error"}),
      StringKey("redis.url", &c.redis.url,
                [](const std::string& v) {
                  auto parsed = ParseRedisUrl(v);
                  return parsed.ok() ? "" : std::string(parsed.status().message());
                }),
      StringKey("redis.sentinels", &c.redis.sentinels,
                [](const std::string& v) {
                  auto parsed = ParseHostPorts(v);
                  return parsed.ok() ? "" : std::string(parsed.status().message());
                }),
      StringKey("redis.sentinel_master", &c.redis.sentinel_master,
                [](const std::string& v) -> std::string {
                  if (v.empty() || v.find_first_of(" \t\n") != std::string::npos)
                    return "must be a name without spaces";
                  return "";
                }),
      StringKey("redis.cluster_nodes", &c.redis.cluster_nodes,
                [](const std::string& v) {
                  auto parsed = ParseHostPorts(v);
                  return parsed.ok() ? "" : std::string(parsed.status().message());
                }),
      IntKey("redis.cluster_refresh_ms", &c.redis.cluster_refresh_ms, 100, 600000),
      IntKey("redis.wait_replicas", &c.redis.wait_replicas, 0, 16),
      IntKey("redis.wait_timeout_ms", &c.redis.wait_timeout_ms, 1, 60000),
      IntKey("redis.pool_size", &c.redis.pool_size, 1, 1024),
      IntKey("redis.connect_timeout_ms", &c.redis.connect_timeout_ms, 10, 60000),
      IntKey("redis.command_timeout_ms", &c.redis.command_timeout_ms, 10, 60000),
      StringKey("redis.key_prefix", &c.redis.key_prefix,
                [](const std::string& v) -> std::string {
                  if (v.find_first_of("{} \t\n") != std::string::npos)
                    return "must not contain braces or spaces";
                  return "";
                }),
      IntKey("grpc.max_message_bytes", &c.grpc.max_message_bytes, 1024, 64 * 1024 * 1024),
      IntKey("grpc.keepalive_time_ms", &c.grpc.keepalive_time_ms, 1000, 3600000),
      IntKey("grpc.keepalive_timeout_ms", &c.grpc.keepalive_timeout_ms, 1000, 3600000),
      IntKey("grpc.drain_timeout_ms", &c.grpc.drain_timeout_ms, 0, 600000),
      IntKey("grpc.max_connection_age_ms", &c.grpc.max_connection_age_ms, 0, 86400000),
      IntKey("grpc.handler_threads", &c.grpc.handler_threads, 1, 1024),
      StringKey("auth.bootstrap_admin_token", &c.auth.bootstrap_admin_token,
                [](const std::string& v) -> std::string {
                  if (!v.empty() && v.size() < 16) return "must be at least 16 characters";
                  return "";
                }),
      IntKey("auth.cache_ttl_ms", &c.auth.cache_ttl_ms, 0, 600000),
      IntKey("auth.create_replay_ttl_s", &c.auth.create_replay_ttl_s, 1, 86400),
      StringKey("auth.oidc_file", &c.auth.oidc_file),
      IntKey("registry.default_page_size", &c.registry.default_page_size, 1, 10000),
      IntKey("registry.max_page_size", &c.registry.max_page_size, 1, 10000),
      IntKey("registry.max_availability_range_days", &c.registry.max_availability_range_days, 1,
             3660),
      IntKey("registry.request_id_ttl_s", &c.registry.request_id_ttl_s, 60, 30 * 86400),
      IntKey("registry.max_import_rows", &c.registry.max_import_rows, 1, 100000),
      IntKey("registry.events_max_length", &c.registry.events_max_length, 100, 100000000),
      ListKey("registry.white_spot_regions", &c.registry.white_spot_regions),
      IntKey("scheduler.shards", &c.scheduler.shards, 1, 1024),
      IntKey("scheduler.hold_ttl_s", &c.scheduler.hold_ttl_s, 1, 7 * 86400),
      IntKey("scheduler.no_show_grace_s", &c.scheduler.no_show_grace_s, 0, 86400),
      IntKey("scheduler.contact_retention_days", &c.scheduler.contact_retention_days, 1, 3660),
      IntKey("scheduler.time_step_s", &c.scheduler.time_step_s, 1, 3600),
      IntKey("scheduler.checkin_opens_minutes", &c.scheduler.checkin_opens_minutes, 0, 24 * 60),
      IntKey("scheduler.max_query_range_days", &c.scheduler.max_query_range_days, 1, 3660),
      IntKey("scheduler.max_occurrences", &c.scheduler.max_occurrences, 1, 10000),
      IntKey("scheduler.default_page_size", &c.scheduler.default_page_size, 1, 10000),
      IntKey("scheduler.max_page_size", &c.scheduler.max_page_size, 1, 10000),
      IntKey("scheduler.request_id_ttl_s", &c.scheduler.request_id_ttl_s, 60, 30 * 86400),
      IntKey("scheduler.events_max_length", &c.scheduler.events_max_length, 100, 100000000),
      IntKey("scheduler.sweep_interval_ms", &c.scheduler.sweep_interval_ms, 10, 600000),
      IntKey("scheduler.rotation_max_horizon_days", &c.scheduler.rotation_max_horizon_days, 1,
             3660),
      IntKey("scheduler.rotation_draft_ttl_s", &c.scheduler.rotation_draft_ttl_s, 60, 365 * 86400),
      DoubleKey("scheduler.rotation_speed_kmh", &c.scheduler.rotation_speed_kmh, 5, 200),
      DoubleKey("scheduler.rotation_road_factor", &c.scheduler.rotation_road_factor, 1, 3),
      IntKey("limits.earliest_year", &c.limits.earliest_year, 1970, 2100),
      IntKey("limits.latest_year", &c.limits.latest_year, 2030, 9999),
      BoolKey("audit.enabled", &c.audit.enabled),
      IntKey("audit.retention_days", &c.audit.retention_days, 1, 3660),
      BoolKey("rate_limits.enabled", &c.rate_limits.enabled),
      DoubleKey("rate_limits.read.per_token_per_s", &c.rate_limits.read.per_token_per_s, 0.01, 1e6),
      IntKey("rate_limits.read.token_burst", &c.rate_limits.read.token_burst, 1, 1000000),
      DoubleKey("rate_limits.read.per_org_per_s", &c.rate_limits.read.per_org_per_s, 0.01, 1e6),
      IntKey("rate_limits.read.org_burst", &c.rate_limits.read.org_burst, 1, 1000000),
      DoubleKey("rate_limits.write.per_token_per_s", &c.rate_limits.write.per_token_per_s, 0.01,
                1e6),
      IntKey("rate_limits.write.token_burst", &c.rate_limits.write.token_burst, 1, 1000000),
      DoubleKey("rate_limits.write.per_org_per_s", &c.rate_limits.write.per_org_per_s, 0.01, 1e6),
      IntKey("rate_limits.write.org_burst", &c.rate_limits.write.org_burst, 1, 1000000),
      DoubleKey("rate_limits.heavy.per_token_per_s", &c.rate_limits.heavy.per_token_per_s, 0.01,
                1e6),
      IntKey("rate_limits.heavy.token_burst", &c.rate_limits.heavy.token_burst, 1, 1000000),
      DoubleKey("rate_limits.heavy.per_org_per_s", &c.rate_limits.heavy.per_org_per_s, 0.01, 1e6),
      IntKey("rate_limits.heavy.org_burst", &c.rate_limits.heavy.org_burst, 1, 1000000),
      IntKey("rate_limits.max_streams_per_token", &c.rate_limits.max_streams_per_token, 1, 100000),
      IntKey("desk.pool_size", &c.desk.pool_size, 1, 10),
      IntKey("desk.max_attempts", &c.desk.max_attempts, 1, 100),
      IntKey("desk.accept_s_high", &c.desk.accept_s_high, 1, 30 * 86400),
      IntKey("desk.accept_s_normal", &c.desk.accept_s_normal, 1, 30 * 86400),
      IntKey("desk.accept_s_low", &c.desk.accept_s_low, 1, 30 * 86400),
      StringKey("desk.business_hours", &c.desk.business_hours,
                [](const std::string& v) -> std::string {
                  if (v.empty() || WeeklyHours(v)) return "";
                  return "must be days and hours, e.g. \"MO-FR 08:00-18:00\" or \"MO,WE "
                         "09:00-17:30\" (or empty: around the clock)";
                }),
      StringKey("desk.time_zone", &c.desk.time_zone,
                [](const std::string& v) -> std::string {
                  return FindTimeZone(v) ? "" : "must be an IANA time zone, e.g. Europe/Amsterdam";
                }),
      ListKey("desk.closed_days", &c.desk.closed_days),
      IntKey("desk.queue_wait_s", &c.desk.queue_wait_s, 1, 30 * 86400),
      IntKey("desk.escalation_s", &c.desk.escalation_s, 1, 30 * 86400),
      IntKey("desk.level2_escalation_s", &c.desk.level2_escalation_s, 1, 30 * 86400),
      IntKey("desk.follow_up_s", &c.desk.follow_up_s, 0, 366 * 86400),
      IntKey("desk.contact_retention_days", &c.desk.contact_retention_days, 1, 3660),
      IntKey("desk.max_text_bytes", &c.desk.max_text_bytes, 100, 1000000),
      IntKey("desk.dispatch_threads", &c.desk.dispatch_threads, 1, 64),
      IntKey("desk.claim_idle_ms", &c.desk.claim_idle_ms, 100, 3600000),
      IntKey("desk.timer_interval_ms", &c.desk.timer_interval_ms, 10, 60000),
      IntKey("desk.drain_interval_ms", &c.desk.drain_interval_ms, 100, 3600000),
      IntKey("desk.default_page_size", &c.desk.default_page_size, 1, 10000),
      IntKey("desk.max_page_size", &c.desk.max_page_size, 1, 10000),
      IntKey("desk.request_id_ttl_s", &c.desk.request_id_ttl_s, 60, 30 * 86400),
      IntKey("desk.events_max_length", &c.desk.events_max_length, 100, 100000000),
      IntKey("desk.suggestion_slot_minutes", &c.desk.suggestion_slot_minutes, 15, 7 * 24 * 60),
      IntKey("desk.suggestion_horizon_days", &c.desk.suggestion_horizon_days, 1, 366),
      IntKey("desk.max_suggestions", &c.desk.max_suggestions, 0, 50),
      StringKey("http.listen", &c.http.listen,
                [](const std::string& v) { return v.empty() ? "" : CheckListen(v); }),
      IntKey("http.threads", &c.http.threads, 1, 256),
      BoolKey("http.rest", &c.http.rest),
      StringKey("http.static_dir", &c.http.static_dir),
      StringKey("http.vendor_dir", &c.http.vendor_dir),
      StringKey("http.tile_url", &c.http.tile_url,
                [](const std::string& v) -> std::string {
                  if (v.empty()) return "";
                  if (!absl::StartsWith(v, "https://") && !absl::StartsWith(v, "http://"))
                    return "must start with https:// or http://";
                  return absl::StrContains(v, "{z}") && absl::StrContains(v, "{x}") &&
                                 absl::StrContains(v, "{y}")
                             ? ""
                             : "must contain {z}, {x} and {y}";
                }),
      StringKey("http.tile_attribution", &c.http.tile_attribution),
      IntKey("http.events_per_resource", &c.http.events_per_resource, 0, 50),
      DoubleKey("http.rate_per_s", &c.http.rate_per_s, 0.001, 1e6),
      IntKey("http.burst", &c.http.burst, 1, 1000000),
      IntKey("http.max_url_bytes", &c.http.max_url_bytes, 64, 8192),
      IntKey("http.max_age_s", &c.http.max_age_s, 0, 86400),
      StringKey("http.base_url", &c.http.base_url,
                [](const std::string& v) -> std::string {
                  if (v.empty() || absl::StartsWith(v, "http://") ||
                      absl::StartsWith(v, "https://"))
                    return absl::EndsWith(v, "/") ? "must not end with /" : "";
                  return "must start with http:// or https://";
                }),
      StringKey("http.license", &c.http.license,
                [](const std::string& v) -> std::string {
                  return absl::StartsWith(v, "http://") || absl::StartsWith(v, "https://")
                             ? ""
                             : "must be the licence's URI";
                }),
      StringKey("http.publisher", &c.http.publisher,
                [](const std::string& v) -> std::string {
                  return v.empty() || v.size() > 200 ? "must be 1 to 200 characters" : "";
                }),
      StringKey("http.publisher_url", &c.http.publisher_url),
      StringKey("http.contact_email", &c.http.contact_email),
      IntKey("webhooks.senders", &c.webhooks.senders, 0, 256),
      IntKey("webhooks.timeout_ms", &c.webhooks.timeout_ms, 100, 120000),
      IntKey("webhooks.retry_base_ms", &c.webhooks.retry_base_ms, 10, 3600000),
      IntKey("webhooks.retry_max_ms", &c.webhooks.retry_max_ms, 10, 86400000),
      IntKey("webhooks.retry_for_s", &c.webhooks.retry_for_s, 1, 30 * 86400),
      IntKey("webhooks.claim_idle_ms", &c.webhooks.claim_idle_ms, 1000, 3600000),
      IntKey("webhooks.poll_interval_ms", &c.webhooks.poll_interval_ms, 5, 60000),
      IntKey("webhooks.delivery_log_length", &c.webhooks.delivery_log_length, 1, 10000),
      IntKey("webhooks.dead_letter_max", &c.webhooks.dead_letter_max, 1, 100000),
      BoolKey("webhooks.allow_http", &c.webhooks.allow_http),
      BoolKey("webhooks.allow_private_targets", &c.webhooks.allow_private_targets),
      StringKey("email.relay_url", &c.email.relay_url,
                [](const std::string& v) -> std::string {
                  if (v.empty() || absl::StartsWith(v, "smtp://") ||
                      absl::StartsWith(v, "smtps://"))
                    return "";
                  return "must be smtp://host[:port] or smtps://host[:port]";
                }),
      StringKey("email.username", &c.email.username),
      StringKey("email.password", &c.email.password),
      StringKey("email.from_address", &c.email.from_address),
      StringKey("email.from_name", &c.email.from_name),
      StringKey("email.ca_file", &c.email.ca_file),
      BoolKey("email.allow_plaintext", &c.email.allow_plaintext),
      IntKey("email.timeout_ms", &c.email.timeout_ms, 100, 600000),
      IntKey("email.handover_lead_s", &c.email.handover_lead_s, 0, 30 * 86400),
      IntKey("email.feedback_after_s", &c.email.feedback_after_s, 0, 30 * 86400),
  };
}

std::string EnvName(const std::string& path) {
  return "INFRASHARE_" + absl::AsciiStrToUpper(absl::StrReplaceAll(path, {{".", "_"}}));
}

// Every leaf path in the YAML document, so unknown keys can be refused.
void CollectPaths(const YAML::Node& node, const std::string& prefix,
                  std::vector<std::string>* out) {
  if (!node.IsMap()) {
    out->push_back(prefix);
    return;
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    CollectPaths(kv.second, prefix.empty() ? key : prefix + "." + key, out);
  }
}

// The TLS keys together: a certificate with its key, a client CA exactly when client certificates
// are asked for, readable files, and no plaintext listener off loopback unless asked for.
absl::Status CheckTls(const Config& c) {
  auto bad = [](const std::string& key, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("config key '", key, "' ", why));
  };
  const TlsConfig& tls = c.tls;
  if (tls.cert_file.empty() != tls.key_file.empty())
    return bad(tls.cert_file.empty() ? "tls.cert_file" : "tls.key_file",
               "must be set together with tls.cert_file and tls.key_file");
  if (tls.client_certs != "none" && tls.client_ca_file.empty())
    return bad("tls.client_ca_file",
               absl::StrCat("must be set when tls.client_certs is ", tls.client_certs));
  if (tls.client_certs == "none" && !tls.client_ca_file.empty())
    return bad("tls.client_ca_file", "is set but tls.client_certs is none");
  if (!tls.client_ca_file.empty() && tls.cert_file.empty())
    return bad("tls.cert_file", "must be set to ask for client certificates");
  if (tls.plaintext && !tls.cert_file.empty())
    return bad("tls.plaintext", "must not be true when tls.cert_file is set");
  if (tls.client_certs == "required" && !c.http.listen.empty() && c.http.rest)
    return bad("http.rest",
               "must be false when tls.client_certs is required: a REST call on the HTTP listener "
               "carries no client certificate");
  if (tls.cert_file.empty() && !tls.plaintext && !IsLoopbackListen(c.listen))
    return bad("tls.cert_file",
               absl::StrCat("is needed to listen on ", c.listen,
                            " (not a loopback address); set tls.plaintext: true to "
                            "serve without TLS"));
  for (const auto& [key, path] :
       {std::pair<const char*, const std::string&>{"tls.cert_file", tls.cert_file},
        {"tls.key_file", tls.key_file},
        {"tls.client_ca_file", tls.client_ca_file}}) {
    if (!path.empty() && !std::ifstream(path).good())
      return bad(key, absl::StrCat("cannot read ", path));
  }
  return absl::OkStatus();
}

YAML::Node Lookup(const YAML::Node& root, const std::string& path) {
  YAML::Node node = YAML::Clone(root);
  for (auto part : absl::StrSplit(path, '.')) {
    if (!node.IsMap()) return YAML::Node();
    node = node[std::string(part)];
    if (!node.IsDefined()) return YAML::Node();
  }
  return node;
}

}  // namespace

bool IsLoopbackListen(const std::string& host_port) {
  std::string host = host_port.substr(0, host_port.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<RedisAddress> ParseRedisUrl(const std::string& url) {
  constexpr absl::string_view kScheme = "redis://";
  if (url.rfind(std::string(kScheme), 0) != 0)
    return absl::InvalidArgumentError("must start with redis://");
  std::string rest = url.substr(kScheme.size());
  RedisAddress address;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    if (auto colon = auth.find(':'); colon != std::string::npos) auth = auth.substr(colon + 1);
    address.password = auth;
    rest = rest.substr(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    if (!absl::SimpleAtoi(rest.substr(slash + 1), &address.db) || address.db < 0)
      return absl::InvalidArgumentError("database number after '/' must be a number");
    rest = rest.substr(0, slash);
  }
  auto colon = rest.rfind(':');
  address.host = rest.substr(0, colon);
  if (colon != std::string::npos && (!absl::SimpleAtoi(rest.substr(colon + 1), &address.port) ||
                                     address.port <= 0 || address.port > 65535))
    return absl::InvalidArgumentError("port must be 1..65535");
  if (address.host.empty()) return absl::InvalidArgumentError("host is missing");
  return address;
}

absl::StatusOr<std::vector<std::pair<std::string, int>>> ParseHostPorts(const std::string& list) {
  std::vector<std::pair<std::string, int>> out;
  if (list.empty()) return out;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const size_t colon = item.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(item.substr(colon + 1), &port) || port <= 0 || port > 65535)
      return absl::InvalidArgumentError(
          absl::StrCat("'", item, "' is not host:port (port 1..65535)"));
    out.emplace_back(std::string(item.substr(0, colon)), port);
  }
  return out;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  Config config;
  std::vector<Key> keys = Keys(config);
  YAML::Node root;
  if (!path.empty()) {
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("config ", path, ": ", e.what()));
    }
    std::vector<std::string> present;
    if (root.IsDefined() && !root.IsNull()) CollectPaths(root, "", &present);
    for (const auto& p : present) {
      bool known = false;
      for (const auto& k : keys) known = known || k.path == p;
      if (!known)
        return absl::InvalidArgumentError(absl::StrCat("config key '", p, "' is unknown"));
    }
  }
  for (const auto& key : keys) {
    YAML::Node node = root.IsDefined() && !root.IsNull() ? Lookup(root, key.path) : YAML::Node();
    bool ok = true;
    if (node.IsDefined() && !node.IsNull()) {
      if (node.IsSequence() && key.set_list) {
        std::vector<std::string> items;
        for (const auto& item : node) items.push_back(item.as<std::string>());
        ok = key.set_list(items);
      } else if (node.IsScalar()) {
        ok = key.set_scalar(node.as<std::string>());
      } else {
        ok = false;
      }
    }
    if (!ok)
      return absl::InvalidArgumentError(
          absl::StrCat("config key '", key.path, "' has a bad value"));
    if (const char* env = std::getenv(EnvName(key.path).c_str()); env != nullptr) {
      if (!key.set_scalar(env))
        return absl::InvalidArgumentError(
            absl::StrCat("config key '", key.path, "' (", EnvName(key.path), ") has a bad value"));
    }
    if (key.check) {
      if (std::string why = key.check(); !why.empty())
        return absl::InvalidArgumentError(absl::StrCat("config key '", key.path, "' ", why));
    }
  }
  if (config.scheduler.default_page_size > config.scheduler.max_page_size)
    return absl::InvalidArgumentError(
        "config key 'scheduler.default_page_size' must not exceed scheduler.max_page_size");
  // Business time is looked for up to a year ahead (the responders' working-time arithmetic):
  // each desk clock must fit in 50 weeks of the hours, closed days aside.
  if (auto hours = WeeklyHours(config.desk.business_hours)) {
    const int64_t days = 1 + std::count(hours->rrule().begin(), hours->rrule().end(), ',');
    const int64_t year_s = 50 * days * hours->duration_minutes() * int64_t{60};
    for (const auto& [key, seconds] :
         {std::pair<const char*, int>{"desk.queue_wait_s", config.desk.queue_wait_s},
          {"desk.escalation_s", config.desk.escalation_s},
          {"desk.level2_escalation_s", config.desk.level2_escalation_s}})
      if (seconds > year_s)
        return absl::InvalidArgumentError(absl::StrCat("config key '", key,
                                                       "' is more business time (", seconds,
                                                       " s) than 50 weeks of "
                                                       "desk.business_hours hold (",
                                                       year_s, " s)"));
  }
  for (const auto& day : config.desk.closed_days)
    if (!ParseDate(day))
      return absl::InvalidArgumentError(absl::StrCat(
          "config key 'desk.closed_days' must list dates YYYY-MM-DD; '", day, "' is not one"));
  if (config.desk.default_page_size > config.desk.max_page_size)
    return absl::InvalidArgumentError(
        "config key 'desk.default_page_size' must not exceed desk.max_page_size");
  if (config.registry.default_page_size > config.registry.max_page_size)
    return absl::InvalidArgumentError(
        "config key 'registry.default_page_size' must not exceed registry.max_page_size");
  if (config.webhooks.claim_idle_ms < 2 * config.webhooks.timeout_ms)
    return absl::InvalidArgumentError(
        "config key 'webhooks.claim_idle_ms' must be at least twice webhooks.timeout_ms (a "
        "replica still sending must not have its work taken over)");
  // E-mails are sent by the webhook senders from the same queue: a relay that is slow to answer
  // must not have its message taken over and sent a second time either.
  if (!config.email.relay_url.empty() &&
      config.webhooks.claim_idle_ms < 2 * config.email.timeout_ms)
    return absl::InvalidArgumentError(
        "config key 'webhooks.claim_idle_ms' must be at least twice email.timeout_ms (an e-mail "
        "still being sent must not be taken over and sent twice)");
  if (!config.email.relay_url.empty() && !IsSendableAddress(config.email.from_address))
    return absl::InvalidArgumentError(
        "config key 'email.from_address' must be an e-mail address when email.relay_url is set");
  if (!config.redis.cluster_nodes.empty()) {
    if (!config.redis.sentinels.empty())
      return absl::InvalidArgumentError(
          "config key 'redis.cluster_nodes' must not be set together with redis.sentinels (a "
          "cluster fails over by itself)");
    if (auto url = ParseRedisUrl(config.redis.url); url.ok() && url->db != 0)
      return absl::InvalidArgumentError(
          "config key 'redis.url' must name database 0 when redis.cluster_nodes is set (a cluster "
          "has only database 0)");
  }
  if (absl::Status tls = CheckTls(config); !tls.ok()) return tls;
  return config;
}

}  // namespace infrashare
