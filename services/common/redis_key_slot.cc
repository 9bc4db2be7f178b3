#include "services/common/redis_key_slot.h"

#include <array>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace infrashare {
namespace {

constexpr std::array<uint16_t, 256> Crc16Table() {
  std::array<uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = Crc16Table();

}  // namespace

uint16_t RedisCrc16(absl::string_view bytes) {
  uint16_t crc = 0;
  for (unsigned char c : bytes)
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ c) & 0xff]);
  return crc;
}

int RedisKeySlot(absl::string_view key) {
  if (const size_t open = key.find('{'); open != absl::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != absl::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return RedisCrc16(key) & (kRedisClusterSlots - 1);
}

std::optional<absl::string_view> RoutingKey(const std::vector<std::string>& command) {
  if (command.empty()) return std::nullopt;
  const std::string name = absl::AsciiStrToUpper(command[0]);
  if (name == "FCALL" || name == "FCALL_RO" || name == "EVAL" || name == "EVALSHA" ||
      name == "EVAL_RO" || name == "EVALSHA_RO") {
    int numkeys = 0;
    if (command.size() < 4 || !absl::SimpleAtoi(command[2], &numkeys) || numkeys < 1)
      return std::nullopt;
    return command[3];
  }
  if (name == "XREAD" || name == "XREADGROUP") {
    for (size_t i = 1; i + 1 < command.size(); ++i)
      if (absl::AsciiStrToUpper(command[i]) == "STREAMS") return command[i + 1];
    return std::nullopt;
  }
  if (name == "XGROUP" || name == "XINFO" || name == "OBJECT" || name == "MEMORY") {
    if (command.size() < 3) return std::nullopt;
    return command[2];
  }
  static const std::set<std::string, std::less<>> kWithoutKeys = {
      "ASKING", "AUTH",      "BGSAVE",   "CLIENT",    "CLUSTER",  "COMMAND", "CONFIG",
      "DBSIZE", "ECHO",      "FLUSHALL", "FLUSHDB",   "FUNCTION", "HELLO",   "INFO",
      "PING",   "PUBLISH",   "READONLY", "READWRITE", "ROLE",     "SCAN",    "SCRIPT",
      "SELECT", "SUBSCRIBE", "TIME",     "WAIT"};
  if (kWithoutKeys.count(name) > 0 || command.size() < 2) return std::nullopt;
  return command[1];
}

}  // namespace infrashare
