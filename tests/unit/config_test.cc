#include "services/common/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "services/common/rate_limit.h"

namespace infrashare {
namespace {

std::string WriteConfig(const std::string& text) {
  char path[] = "/tmp/infrashare-config-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsAreValid) {
  auto config = LoadConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "127.0.0.1:50051");
}

TEST(Config, ReadsYamlAndEnvironmentOverridesIt) {
  std::string path = WriteConfig("redis:\n  url: redis://127.0.0.1:7000\n  pool_size: 4\n");
  setenv("INFRASHARE_REDIS_POOL_SIZE", "9", 1);
  auto config = LoadConfig(path);
  unsetenv("INFRASHARE_REDIS_POOL_SIZE");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->redis.url, "redis://127.0.0.1:7000");
  EXPECT_EQ(config->redis.pool_size, 9);
}

TEST(Config, TheShippedConfigFileIsTheDefaults) {
  auto shipped = LoadConfig(INFRASHARE_SOURCE_DIR "/config/infrashare.yaml");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  const Config defaults;
  EXPECT_EQ(shipped->rate_limits.enabled, defaults.rate_limits.enabled);
  EXPECT_EQ(shipped->rate_limits.write.per_token_per_s, defaults.rate_limits.write.per_token_per_s);
  EXPECT_EQ(shipped->rate_limits.heavy.org_burst, defaults.rate_limits.heavy.org_burst);
  EXPECT_EQ(shipped->rate_limits.max_streams_per_token, defaults.rate_limits.max_streams_per_token);
  EXPECT_EQ(shipped->metrics.business_interval_s, defaults.metrics.business_interval_s);
  EXPECT_EQ(shipped->metrics.holds_lapsing_within_s, defaults.metrics.holds_lapsing_within_s);
}

TEST(Config, BusinessGaugesAreReadEveryFifteenSecondsUnlessConfigured) {
  auto defaults = LoadConfig("");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->metrics.business_interval_s, 15);
  EXPECT_EQ(defaults->metrics.holds_lapsing_within_s, 3600);
  setenv("INFRASHARE_METRICS_BUSINESS_INTERVAL_S", "60", 1);
  auto config = LoadConfig(WriteConfig("metrics:\n  holds_lapsing_within_s: 900\n"));
  unsetenv("INFRASHARE_METRICS_BUSINESS_INTERVAL_S");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics.business_interval_s, 60);
  EXPECT_EQ(config->metrics.holds_lapsing_within_s, 900);
  auto zero = LoadConfig(WriteConfig("metrics:\n  business_interval_s: 0\n"));
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("metrics.business_interval_s"), std::string::npos);
}

TEST(Config, RateLimitsCanBeSwitchedOffAndMustBePositive) {
  setenv("INFRASHARE_RATE_LIMITS_ENABLED", "false", 1);
  auto off = LoadConfig("");
  unsetenv("INFRASHARE_RATE_LIMITS_ENABLED");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->rate_limits.enabled);
  auto zero = LoadConfig(WriteConfig("rate_limits:\n  read:\n    per_token_per_s: 0\n"));
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("rate_limits.read.per_token_per_s"), std::string::npos);
  auto word = LoadConfig(WriteConfig("rate_limits:\n  enabled: maybe\n"));
  EXPECT_FALSE(word.ok());
}

TEST(RateLimits, EveryMethodBelongsToTheGroupItsNameSays) {
  EXPECT_STREQ(RateGroupOf("registry.GetResource"), "read");
  EXPECT_STREQ(RateGroupOf("registry.WatchResources"), "read");
  EXPECT_STREQ(RateGroupOf("auth.WhoAmI"), "read");
  EXPECT_STREQ(RateGroupOf("scheduler.CheckAvailability"), "read");
  EXPECT_STREQ(RateGroupOf("scheduler.CreateBooking"), "write");
  EXPECT_STREQ(RateGroupOf("scheduler.CheckInBooking"), "write");
  EXPECT_STREQ(RateGroupOf("registry.ImportResources"), "heavy");
  EXPECT_STREQ(RateGroupOf("registry.OverlapReport"), "heavy");
  EXPECT_STREQ(RateGroupOf("scheduler.PlanRotation"), "heavy");
  EXPECT_STREQ(RateGroupOf("scheduler.FindSlots"), "heavy");
}

TEST(Config, RefusesUnknownKeysNamingThem) {
  auto config = LoadConfig(WriteConfig("redis:\n  urll: x\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("redis.urll"), std::string::npos);
}

TEST(Config, RefusesBadValuesNamingTheKey) {
  auto config = LoadConfig(WriteConfig("redis:\n  pool_size: lots\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("redis.pool_size"), std::string::npos);
  setenv("INFRASHARE_LISTEN", "nowhere", 1);
  config = LoadConfig("");
  unsetenv("INFRASHARE_LISTEN");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("'listen'"), std::string::npos);
  config = LoadConfig(WriteConfig("log:\n  format: xml\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("log.format"), std::string::npos);
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"desk:\n  business_hours: weekdays\n", "desk.business_hours"},
           {"desk:\n  time_zone: Europe/Zwolle\n", "desk.time_zone"},
           {"desk:\n  closed_days: [2026-12-25, 26-12-2026]\n", "desk.closed_days"},
           // An hour a week holds 50 hours in the year looked ahead; 48 business hours fit.
           {"desk:\n  business_hours: SA 10:00-11:00\n  escalation_s: 180001\n",
            "desk.escalation_s"}}) {
    config = LoadConfig(WriteConfig(yaml));
    ASSERT_FALSE(config.ok()) << yaml;
    EXPECT_NE(config.status().message().find(key), std::string::npos) << config.status();
  }
  config =
      LoadConfig(WriteConfig("desk:\n  business_hours: SA 10:00-11:00\n  escalation_s: "
                             "180000\n  level2_escalation_s: 172800\n"));
  EXPECT_TRUE(config.ok()) << config.status();
  config = LoadConfig(WriteConfig(
      "desk:\n  business_hours: MO-FR 08:30-17:00\n  closed_days: [2026-12-25, 2026-12-26]\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->desk.closed_days, (std::vector<std::string>{"2026-12-25", "2026-12-26"}));
}

TEST(Config, ReadsDecimalKeysWithinTheirRange) {
  setenv("INFRASHARE_SCHEDULER_ROTATION_SPEED_KMH", "45.5", 1);
  auto config = LoadConfig(WriteConfig("scheduler:\n  rotation_road_factor: 1.4\n"));
  unsetenv("INFRASHARE_SCHEDULER_ROTATION_SPEED_KMH");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_DOUBLE_EQ(config->scheduler.rotation_speed_kmh, 45.5);
  EXPECT_DOUBLE_EQ(config->scheduler.rotation_road_factor, 1.4);
  config = LoadConfig(WriteConfig("scheduler:\n  rotation_road_factor: 0.5\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("scheduler.rotation_road_factor"), std::string::npos);
  config = LoadConfig(WriteConfig("scheduler:\n  rotation_speed_kmh: fast\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("scheduler.rotation_speed_kmh"), std::string::npos);
}

// The message of LoadConfig's error, "" when the config is valid.
std::string ConfigError(const std::string& yaml) {
  auto config = LoadConfig(WriteConfig(yaml));
  return config.ok() ? "" : std::string(config.status().message());
}

TEST(Config, ConnectionsLiveForeverUnlessAMaximumAgeIsSet) {
  auto shipped = LoadConfig(INFRASHARE_SOURCE_DIR "/config/infrashare.yaml");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(shipped->grpc.max_connection_age_ms, 0);
  setenv("INFRASHARE_GRPC_MAX_CONNECTION_AGE_MS", "120000", 1);
  auto config = LoadConfig("");
  unsetenv("INFRASHARE_GRPC_MAX_CONNECTION_AGE_MS");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->grpc.max_connection_age_ms, 120000);
  EXPECT_NE(ConfigError("grpc:\n  max_connection_age_ms: -1\n").find("grpc.max_connection_age_ms"),
            std::string::npos);
}

TEST(Config, EmailNeedsASenderAddressAndAnSmtpRelay) {
  auto shipped = LoadConfig(INFRASHARE_SOURCE_DIR "/config/infrashare.yaml");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_TRUE(shipped->email.relay_url.empty());  // no e-mail unless configured
  EXPECT_EQ(shipped->email.from_name, Config().email.from_name);
  EXPECT_EQ(shipped->email.timeout_ms, Config().email.timeout_ms);
  EXPECT_NE(ConfigError("email:\n  relay_url: smtp://127.0.0.1:25\n").find("email.from_address"),
            std::string::npos);
  EXPECT_NE(ConfigError("email:\n  relay_url: smtp://127.0.0.1:25\n"
                        "  from_address: \"<loket@example.nl>\"\n")
                .find("email.from_address"),
            std::string::npos);
  EXPECT_NE(ConfigError("email:\n  relay_url: http://127.0.0.1:25\n").find("email.relay_url"),
            std::string::npos);
  EXPECT_EQ(ConfigError("email:\n  relay_url: smtps://smtp.example.nl:465\n"
                        "  from_address: loket@example.nl\n"),
            "");
  // An attempt must end well before its message may be taken over by another sender.
  EXPECT_NE(ConfigError("email:\n  relay_url: smtps://smtp.example.nl:465\n"
                        "  from_address: loket@example.nl\n  timeout_ms: 16000\n")
                .find("email.timeout_ms"),
            std::string::npos);
  EXPECT_EQ(ConfigError("email:\n  relay_url: smtps://smtp.example.nl:465\n"
                        "  from_address: loket@example.nl\n  timeout_ms: 16000\n"
                        "webhooks:\n  claim_idle_ms: 32000\n"),
            "");
  setenv("INFRASHARE_EMAIL_PASSWORD", "geheim", 1);
  auto config = LoadConfig("");
  unsetenv("INFRASHARE_EMAIL_PASSWORD");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->email.password, "geheim");
  EXPECT_EQ(shipped->email.feedback_after_s, Config().email.feedback_after_s);
  EXPECT_NE(ConfigError("email:\n  feedback_after_s: -1\n").find("email.feedback_after_s"),
            std::string::npos);
}

TEST(Config, ListensInPlaintextOnLoopbackOnlyUnlessToldTo) {
  auto config = LoadConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tls.cert_file.empty());
  EXPECT_FALSE(config->tls.plaintext);
  EXPECT_EQ(config->health_listen, "127.0.0.1:50052");
  EXPECT_EQ(ConfigError("listen: localhost:50051\n"), "");
  EXPECT_EQ(ConfigError("listen: \"[::1]:50051\"\n"), "");
  EXPECT_NE(ConfigError("listen: 0.0.0.0:50051\n").find("'tls.cert_file'"), std::string::npos);
  EXPECT_NE(ConfigError("listen: 10.1.2.3:50051\n").find("tls.plaintext"), std::string::npos);
  EXPECT_EQ(ConfigError("listen: 0.0.0.0:50051\ntls:\n  plaintext: true\n"), "");
  setenv("INFRASHARE_LISTEN", "0.0.0.0:50051", 1);
  setenv("INFRASHARE_TLS_PLAINTEXT", "true", 1);
  config = LoadConfig("");
  unsetenv("INFRASHARE_TLS_PLAINTEXT");
  unsetenv("INFRASHARE_LISTEN");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tls.plaintext);
}

TEST(Config, TlsKeysAreCheckedTogetherNamingTheKey) {
  const std::string cert = WriteConfig("certificate");
  const std::string key = WriteConfig("key");
  const std::string ca = WriteConfig("ca");
  const std::string files = "tls:\n  cert_file: " + cert + "\n  key_file: " + key + "\n";
  auto config =
      LoadConfig(WriteConfig("listen: 0.0.0.0:50051\n" + files + "  client_certs: required\n" +
                             "  client_ca_file: " + ca + "\n  refresh_interval_s: 5\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls.cert_file, cert);
  EXPECT_EQ(config->tls.client_certs, "required");
  EXPECT_EQ(config->tls.refresh_interval_s, 5);

  EXPECT_NE(ConfigError("tls:\n  cert_file: " + cert + "\n").find("'tls.key_file'"),
            std::string::npos);
  EXPECT_NE(ConfigError("tls:\n  key_file: " + key + "\n").find("'tls.cert_file'"),
            std::string::npos);
  EXPECT_NE(ConfigError(files + "  client_certs: optional\n").find("'tls.client_ca_file'"),
            std::string::npos);
  EXPECT_NE(ConfigError(files + "  client_ca_file: " + ca + "\n").find("'tls.client_ca_file'"),
            std::string::npos);
  EXPECT_NE(ConfigError(files + "  client_certs: sometimes\n").find("'tls.client_certs'"),
            std::string::npos);
  EXPECT_NE(ConfigError(files + "  plaintext: true\n").find("'tls.plaintext'"), std::string::npos);
  EXPECT_NE(ConfigError(files + "  refresh_interval_s: 0\n").find("'tls.refresh_interval_s'"),
            std::string::npos);
  EXPECT_NE(ConfigError("tls:\n  plaintext: maybe\n").find("'tls.plaintext'"), std::string::npos);
  EXPECT_NE(ConfigError("tls:\n  cert_file: /nonexistent/server.pem\n  key_file: " + key + "\n")
                .find("'tls.cert_file' cannot read /nonexistent/server.pem"),
            std::string::npos);
  EXPECT_NE(ConfigError("health:\n  listen: nowhere\n").find("'health.listen'"), std::string::npos);
  EXPECT_EQ(ConfigError("health:\n  listen: \"\"\n"), "");
}

TEST(Config, ParsesRedisUrls) {
  auto a = ParseRedisUrl("redis://:secret@db.local:6380/2");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "db.local");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->password, "secret");
  EXPECT_EQ(a->db, 2);
  EXPECT_FALSE(ParseRedisUrl("http://x").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://host:99999").ok());
}

TEST(Config, ParsesSentinelAddresses) {
  auto none = ParseHostPorts("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto three = ParseHostPorts("10.0.0.1:26379, sentinel-1.redis:26379,s3:5000");
  ASSERT_TRUE(three.ok()) << three.status();
  ASSERT_EQ(three->size(), 3u);
  EXPECT_EQ((*three)[1].first, "sentinel-1.redis");
  EXPECT_EQ((*three)[2].second, 5000);
  EXPECT_FALSE(ParseHostPorts("10.0.0.1").ok());
  EXPECT_FALSE(ParseHostPorts("10.0.0.1:0").ok());
  EXPECT_FALSE(ParseHostPorts(":26379").ok());
  EXPECT_NE(ConfigError("redis:\n  sentinels: nowhere\n").find("'redis.sentinels'"),
            std::string::npos);
  EXPECT_NE(ConfigError("redis:\n  wait_replicas: -1\n").find("'redis.wait_replicas'"),
            std::string::npos);
  EXPECT_EQ(ConfigError("redis:\n  sentinels: 127.0.0.1:26379\n  wait_replicas: 1\n"), "");
}

TEST(Config, ClusterNodesAreAddressesWithoutSentinelsOrADatabase) {
  EXPECT_EQ(ConfigError("redis:\n  cluster_nodes: 10.0.0.1:6379,10.0.0.2:6379\n"), "");
  EXPECT_NE(ConfigError("redis:\n  cluster_nodes: nowhere\n").find("'redis.cluster_nodes'"),
            std::string::npos);
  EXPECT_NE(ConfigError("redis:\n  cluster_nodes: 10.0.0.1:6379\n  sentinels: 10.0.0.1:26379\n")
                .find("'redis.cluster_nodes'"),
            std::string::npos);
  EXPECT_NE(ConfigError("redis:\n  url: redis://10.0.0.1:6379/2\n  cluster_nodes: 10.0.0.1:6379\n")
                .find("'redis.url'"),
            std::string::npos);
  EXPECT_NE(ConfigError("redis:\n  cluster_refresh_ms: 5\n").find("'redis.cluster_refresh_ms'"),
            std::string::npos);
}

}  // namespace
}  // namespace infrashare
