// A TEST DOUBLE for SkCipher (not cryptography): a position-keyed XOR
// keystream and an 8-byte FNV-1a checksum as "ICV" over everything before it,
// i.e. the encrypt-then-MAC layout of RFC 7296 3.14. It behaves like a real
// cipher at the boundary: fresh IV per seal, ICV checked before decrypting,
// lengths refused when the ciphertext is not a multiple of the block size.
#pragma once

#include <cstring>

#include "ike/sk_cipher.hpp"

namespace ipsecgw::ike::test {

class XorSkCipher final : public SkCipher {
 public:
  explicit XorSkCipher(size_t ivLen = 8, size_t icvLen = 8, size_t block = 16, uint8_t key = 0x5a)
      : ivLen_(ivLen), icvLen_(icvLen), block_(block), key_(key) {}

  size_t ivLength() const override { return ivLen_; }
  size_t icvLength() const override { return icvLen_; }
  size_t blockSize() const override { return block_; }

  bool seal(std::span<uint8_t> m, size_t ivOffset) override {
    if (!fits(m, ivOffset)) return false;
    ++counter_;
    for (size_t i = 0; i < ivLen_; ++i) m[ivOffset + i] = static_cast<uint8_t>(counter_ >> (8 * (i % 8)));
    crypt(m, ivOffset);
    writeIcv(m, m.data() + m.size() - icvLen_);
    return true;
  }

  bool open(std::span<uint8_t> m, size_t ivOffset) override {
    if (!fits(m, ivOffset)) return false;
    uint8_t want[64];
    writeIcv(m, want);
    if (std::memcmp(want, m.data() + m.size() - icvLen_, icvLen_) != 0) return false;
    crypt(m, ivOffset);
    return true;
  }

 private:
  bool fits(std::span<uint8_t> m, size_t ivOffset) const {
    if (icvLen_ > 64 || ivOffset > m.size() || m.size() - ivOffset < ivLen_ + icvLen_) return false;
    const size_t ct = m.size() - ivOffset - ivLen_ - icvLen_;
    return ct > 0 && ct % block_ == 0;
  }
  uint8_t ivByte(std::span<const uint8_t> m, size_t ivOffset, size_t i) const {
    return ivLen_ ? m[ivOffset + i % ivLen_] : 0;
  }
  void crypt(std::span<uint8_t> m, size_t ivOffset) const {
    const size_t start = ivOffset + ivLen_, end = m.size() - icvLen_;
    for (size_t i = start; i < end; ++i)
      m[i] ^= static_cast<uint8_t>(key_ + 31 * (i - start) + ivByte(m, ivOffset, i - start));
  }
  void writeIcv(std::span<const uint8_t> m, uint8_t* out) const {
    uint64_t h = 1469598103934665603ull ^ key_;
    for (size_t i = 0; i < m.size() - icvLen_; ++i) h = (h ^ m[i]) * 1099511628211ull;
    for (size_t i = 0; i < icvLen_; ++i) out[i] = static_cast<uint8_t>(h >> (8 * (i % 8)) ^ i);
  }

  size_t ivLen_, icvLen_, block_;
  uint8_t key_;
  uint64_t counter_ = 0;
};

}  // namespace ipsecgw::ike::test
