// The parts of outgoing webhooks that need no server: Standard Webhooks signatures (against the
// specification's own example), which targets count as public, the URL rules, the back-off and
// the webhook-id.
#include <gtest/gtest.h>

#include "services/common/config.h"
#include "services/webhook/dispatcher.h"
#include "services/webhook/fan_out.h"
#include "services/webhook/signature.h"
#include "services/webhook/target.h"

namespace infrashare::webhook {
namespace {

TEST(WebhookSignature, MatchesTheStandardWebhooksExample) {
  // From the Standard Webhooks specification's reference libraries.
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto signature =
      Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(*signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_TRUE(Verify(secret, "v1,bm9ldHUK " + *signature, "msg_p5jXN8AQM9LWM0D4loKWxJek",
                     1614265330, R"({"test": 2432232314})"));
  EXPECT_FALSE(Verify(secret, *signature, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
                      R"({"test": 2432232314})"));
  EXPECT_FALSE(Verify(secret, *signature, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                      R"({"test": 2432232315})"));
}

TEST(WebhookSignature, NewSecretsAreDistinctAndUsable) {
  const std::string a = NewSecret(), b = NewSecret();
  EXPECT_NE(a, b);
  ASSERT_TRUE(SecretKey(a).ok());
  EXPECT_EQ(SecretKey(a)->size(), 32u);
  EXPECT_FALSE(SecretKey("isc_abc").ok());
  auto header = SignatureHeader({a, b}, "msg_1", 1700000000, "{}");
  ASSERT_TRUE(header.ok());
  EXPECT_TRUE(Verify(a, *header, "msg_1", 1700000000, "{}"));
  EXPECT_TRUE(Verify(b, *header, "msg_1", 1700000000, "{}"));
}

TEST(WebhookTarget, CountsOnlyPublicAddressesAsPublic) {
  for (const char* address : {"10.0.0.1",
                              "10.255.255.255",
                              "172.16.0.1",
                              "172.31.255.254",
                              "192.168.0.1",
                              "127.0.0.1",
                              "127.8.9.10",
                              "169.254.169.254",
                              "0.0.0.0",
                              "100.64.0.1",
                              "224.0.0.1",
                              "255.255.255.255",
                              "192.0.2.7",
                              "::",
                              "::1",
                              "fe80::1",
                              "fd12:3456::1",
                              "fc00::1",
                              "ff02::1",
                              "::ffff:127.0.0.1",
                              "::ffff:0:7f00:1",  // IPv4-translated 127.0.0.1
                              "::ffff:10.0.0.1",
                              "64:ff9b::a00:1",
                              "2002:c0a8:101::1",
                              "2001:db8::1",
                              "not an address"})
    EXPECT_FALSE(IsPublicAddress(address)) << address;
  for (const char* address : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "192.169.0.1",
                              "2a00:1450:4001:80b::200e", "::ffff:93.184.216.34"})
    EXPECT_TRUE(IsPublicAddress(address)) << address;
}

TEST(WebhookTarget, WantsHttpsANameAndNoCredentials) {
  const TargetRules strict;
  EXPECT_TRUE(ParseTarget("https://hooks.example.org/in?x=1", strict, "target_url").ok());
  auto parsed = ParseTarget("https://hooks.example.org:8443/in", strict, "target_url");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->host, "hooks.example.org");
  EXPECT_EQ(parsed->port, 8443);
  EXPECT_EQ(ParseTarget("https://[2a00:1450::1]/x", strict, "f")->host, "2a00:1450::1");
  for (const char* url : {"http://hooks.example.org/", "ftp://example.org/", "https://",
                          "https://u:p@example.org/", "https://user@example.org/", "",
                          "https://localhost/", "https://a.b.localhost/", "https://LOCALHOST./"})
    EXPECT_FALSE(ParseTarget(url, strict, "target_url").ok()) << url;
  TargetRules lenient{.allow_http = true, .allow_private = true};
  EXPECT_TRUE(ParseTarget("http://localhost:9000/", lenient, "target_url").ok());
  // The delivery's address pin names the host as written: forms curl resolves apart from it
  // (a trailing dot, a UTF-8 name) are refused whatever the rules.
  for (const char* url : {"https://hooks.example.org./in",
                          "https://b\xc3\xbc"
                          "cher.example/",
                          "https://xn--bcher-kva.example./"})
    for (const TargetRules& rules : {strict, lenient}) {
      auto refused = ParseTarget(url, rules, "target_url");
      EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << url;
    }
  EXPECT_TRUE(ParseTarget("https://xn--bcher-kva.example/", strict, "target_url").ok());
}

TEST(WebhookTarget, RefusesHostsThatResolveInsideTheNetwork) {
  const TargetRules rules{.allow_http = true, .allow_private = false};
  for (const char* url : {"http://10.1.2.3/", "http://192.168.1.1/", "http://169.254.169.254/",
                          "http://[::1]:8080/", "http://127.0.0.1/", "http://2130706433/"}) {
    auto target = ResolveTarget(url, rules, "target_url");
    EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
  // A name that does not resolve gets the same answer as one that resolves inside the network, so
  // the answer tells nobody which internal names exist.
  auto unknown = ResolveTarget("http://no-such-host.invalid/", rules, "target_url");
  auto loopback = ResolveTarget("http://127.0.0.1/", rules, "target_url");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status(), loopback.status());
  auto allowed = ResolveTarget("http://127.0.0.1:9/", {.allow_http = true, .allow_private = true},
                               "target_url");
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(allowed->addresses, std::vector<std::string>{"127.0.0.1"});
}

TEST(WebhookRetry, DoublesFromTheBaseUpToTheMaximum) {
  WebhookConfig config;
  config.retry_base_ms = 100;
  config.retry_max_ms = 1000;
  EXPECT_EQ(RetryDelayMs(config, 0), 100);
  EXPECT_EQ(RetryDelayMs(config, 1), 200);
  EXPECT_EQ(RetryDelayMs(config, 3), 800);
  EXPECT_EQ(RetryDelayMs(config, 4), 1000);
  EXPECT_EQ(RetryDelayMs(config, 1000), 1000);
}

TEST(WebhookId, IsTheSameForOneChangeAndSubscriptionOnly) {
  EXPECT_EQ(WebhookIdOf("whk_a", "is:{bk:1}:events", "1-0"),
            WebhookIdOf("whk_a", "is:{bk:1}:events", "1-0"));
  EXPECT_NE(WebhookIdOf("whk_a", "is:{bk:1}:events", "1-0"),
            WebhookIdOf("whk_b", "is:{bk:1}:events", "1-0"));
  EXPECT_NE(WebhookIdOf("whk_a", "is:{bk:1}:events", "1-0"),
            WebhookIdOf("whk_a", "is:{bk:2}:events", "1-0"));
  EXPECT_EQ(WebhookIdOf("whk_a", "s", "1-0").rfind("msg_", 0), 0u);
}

}  // namespace
}  // namespace infrashare::webhook
