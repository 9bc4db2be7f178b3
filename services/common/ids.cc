#include "services/common/ids.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <sodium.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "services/common/request_limits.h"

namespace infrashare {
namespace {

void EnsureSodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) std::abort();  // no usable randomness: refuse to hand out ids
    return true;
  }();
  (void)ready;
}

}  // namespace

std::string RandomBase32(size_t length) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  EnsureSodium();
  // One call for all the bytes: each randombytes call may be a getrandom(2) system call.
  std::string out(length, 'a');
  std::vector<unsigned char> bytes(length);
  randombytes_buf(bytes.data(), bytes.size());
  for (size_t i = 0; i < length; ++i) out[i] = kAlphabet[bytes[i] & 31];  // 256 = 8 x 32: unbiased
  return out;
}

std::string NewId(absl::string_view prefix) {
  std::string id(prefix);
  id += '_';
  id += RandomBase32(16);
  return id;
}

std::string SecretHash(absl::string_view text) {
  EnsureSodium();
  unsigned char hash[crypto_generichash_BYTES];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return std::string(hex);
}

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-'))) return false;
  }
  return true;
}

std::string IdempotencyKey(const google::protobuf::Message& request) {
  const std::string request_id = RequestIdOf(request);
  if (request_id.empty()) return "";
  std::unique_ptr<google::protobuf::Message> rest(request.New());
  rest->CopyFrom(request);
  rest->GetReflection()->ClearField(rest.get(),
                                    rest->GetDescriptor()->FindFieldByName("request_id"));
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    rest->SerializeToCodedStream(&coded);
  }
  // The request's type is part of what is compared: CheckInBooking and SubmitBooking (both an id
  // alone), or JoinWaitlist and CreateBooking, can have the same bytes.
  return request_id + "#" +
         SecretHash(rest->GetDescriptor()->full_name() + '\n' + bytes).substr(0, 32);
}

}  // namespace infrashare
