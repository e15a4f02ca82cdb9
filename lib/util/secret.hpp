// Key material has one owner and dies wiped. SecretBytes is move-only, wipes
// itself on destruction and on move-from, and deliberately has no formatter or
// stream operator so it cannot reach a log by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string.h>  // explicit_bzero (glibc): not optimised away like memset
#include <vector>

namespace ipsecgw {

inline void secureWipe(void* p, size_t n) {
  if (n != 0) explicit_bzero(p, n);
}

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::span<const uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  explicit SecretBytes(size_t n) : bytes_(n) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  // An explicit copy, so that every duplicate of a key is visible in review.
  SecretBytes clone() const { return SecretBytes(view()); }

  std::span<const uint8_t> view() const { return bytes_; }
  std::span<uint8_t> mutableView() { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  void wipe() {
    secureWipe(bytes_.data(), bytes_.size());
    bytes_.clear();
  }

 private:
  std::vector<uint8_t> bytes_;
};

// Constant-time equality for MACs and ICVs: the time taken does not depend on
// where, or whether, the bytes differ. Whole 64-bit words are OR-ed together
// with no branch on the data; the empty asm keeps the compiler from turning
// the accumulation into an early exit.
inline bool constantTimeEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  uint64_t diff = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    diff |= x ^ y;
    asm volatile("" : "+r"(diff));
  }
  for (; i < n; ++i) {
    diff |= static_cast<uint64_t>(a[i] ^ b[i]);
    asm volatile("" : "+r"(diff));
  }
  return diff == 0;
}

}  // namespace ipsecgw
