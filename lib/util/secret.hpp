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
// where the first difference is.
inline bool constantTimeEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < n; ++i) diff = diff | (a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace ipsecgw
