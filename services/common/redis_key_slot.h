// Which Redis Cluster hash slot a key, and a command, belongs to (the cluster specification's
// "Keys distribution model"). Written by hand: hiredis has no cluster support and no Redis Cluster
// client library is packaged in Debian 12 (docs/DECISIONS.md, "Our own Redis Cluster client").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace infrashare {

inline constexpr int kRedisClusterSlots = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum Redis Cluster uses.
uint16_t RedisCrc16(absl::string_view bytes);

// The slot of a key: CRC16 of the key modulo 16384, or of its hash tag — what lies between the
// first '{' and the first '}' after it — when that is not empty.
int RedisKeySlot(absl::string_view key);

// The key a command is routed by: its first key (for FCALL and EVAL the first of the numkeys keys,
// for XREAD and XREADGROUP the first stream), or nothing for a command without keys, which any
// primary may answer. Covers the commands this code sends; any other takes its first argument.
std::optional<absl::string_view> RoutingKey(const std::vector<std::string>& command);

}  // namespace infrashare
