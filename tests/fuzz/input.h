// A fuzz input read in parts: single bytes, length-prefixed parts, and the rest. Reading past the
// end gives zeros and empty parts, so every input means something.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace infrashare::fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t Byte() { return size_ > 0 ? (--size_, *data_++) : 0; }
  uint16_t Uint16() { return static_cast<uint16_t>(Byte() | (Byte() << 8)); }
  // Two bytes of length, then up to that many bytes.
  std::string Part() { return Take(Uint16()); }
  std::string Rest() { return Take(size_); }
  bool empty() const { return size_ == 0; }

 private:
  std::string Take(size_t n) {
    n = std::min(n, size_);
    std::string out(reinterpret_cast<const char*>(data_), n);
    data_ += n;
    size_ -= n;
    return out;
  }

  const uint8_t* data_;
  size_t size_;
};

}  // namespace infrashare::fuzz
