#include "services/common/redis_key_slot.h"

#include <gtest/gtest.h>

#include "services/common/errors.h"
#include "services/common/redis.h"

namespace infrashare {
namespace {

TEST(RedisKeySlot, MatchesTheClusterSpecificationsTestVector) {
  // "123456789" is CRC16-XMODEM's check value (the cluster specification's appendix A).
  EXPECT_EQ(RedisCrc16("123456789"), 0x31C3);
  EXPECT_EQ(RedisKeySlot("123456789"), 12739);
  EXPECT_EQ(RedisKeySlot(""), 0);
}

TEST(RedisKeySlot, HashesOnlyTheFirstNonEmptyHashTag) {
  // The specification's examples: the tag is between the first '{' and the next '}'.
  EXPECT_EQ(RedisKeySlot("{user1000}.following"), RedisKeySlot("user1000"));
  EXPECT_EQ(RedisKeySlot("{user1000}.followers"), RedisKeySlot("user1000"));
  EXPECT_EQ(RedisKeySlot("foo{{bar}}zap"), RedisKeySlot("{bar"));
  EXPECT_EQ(RedisKeySlot("foo{bar}{zap}"), RedisKeySlot("bar"));
  // An empty tag hashes the whole key.
  EXPECT_EQ(RedisKeySlot("foo{}{bar}"), RedisCrc16("foo{}{bar}") % kRedisClusterSlots);
  EXPECT_EQ(RedisKeySlot("a{b"), RedisCrc16("a{b") % kRedisClusterSlots);
  // Our keys: a resource's booking keys share their shard's slot.
  EXPECT_EQ(RedisKeySlot("is:{bk:3}:r:lab-a:act"), RedisKeySlot("is:{bk:3}:b:lab-a.x"));
  EXPECT_NE(RedisKeySlot("is:{bk:3}:"), RedisKeySlot("is:{bk:4}:"));
}

TEST(RoutingKey, IsTheFirstKeyOfTheCommand) {
  using Args = std::vector<std::string>;
  EXPECT_EQ(RoutingKey(Args{"GET", "k"}), "k");
  EXPECT_EQ(RoutingKey(Args{"hgetall", "h"}), "h");
  EXPECT_EQ(RoutingKey(Args{"FCALL", "f", "2", "a", "b", "x"}), "a");
  EXPECT_EQ(RoutingKey(Args{"FCALL_RO", "f", "1", "a"}), "a");
  EXPECT_EQ(RoutingKey(Args{"FCALL", "f", "0", "x"}), std::nullopt);
  EXPECT_EQ(RoutingKey(Args{"XREAD", "COUNT", "5", "BLOCK", "100", "STREAMS", "s", "0-0"}), "s");
  EXPECT_EQ(RoutingKey(Args{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}), "s");
  EXPECT_EQ(RoutingKey(Args{"XINFO", "STREAM", "s"}), "s");
  EXPECT_EQ(RoutingKey(Args{"XGROUP", "CREATE", "s", "g", "0"}), "s");
  EXPECT_EQ(RoutingKey(Args{"PING"}), std::nullopt);
  EXPECT_EQ(RoutingKey(Args{"FUNCTION", "LOAD", "REPLACE", "src"}), std::nullopt);
  EXPECT_EQ(RoutingKey(Args{"CLUSTER", "SHARDS"}), std::nullopt);
  EXPECT_EQ(RoutingKey(Args{}), std::nullopt);
}

// What a Redis error becomes: a condition of the store that passes is UNAVAILABLE (the caller
// tries again, a change being fanned out stays to be read), a function's own refusal keeps its
// code, anything else is INTERNAL.
TEST(RedisErrors, PassingConditionsOfTheStoreAreUnavailable) {
  for (const char* error : {"OOM command not allowed when used memory > 'maxmemory'.",
                            "LOADING Redis is loading the dataset in memory",
                            "READONLY You can't write against a read only replica.",
                            "TRYAGAIN Multiple keys request during rehashing of slot"})
    EXPECT_EQ(StatusFromRedisError(error).code(), absl::StatusCode::kUnavailable) << error;
  EXPECT_EQ(StatusFromRedisError("NOT_FOUND booking b1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusFromRedisError("WRONGTYPE Operation against a key").code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace infrashare
