#include "ike/crypto/cookie.hpp"

#include "ike/crypto/random.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::ike {

bool CookieSecrets::rotateIfDue(uint64_t nowMs) {
  if (!current_.key.empty() && nowMs - rotatedAtMs_ < rotateEveryMs_) return true;
  // After two periods without use the previous secret is too old as well.
  const bool stale = current_.key.empty() || nowMs - rotatedAtMs_ >= 2 * rotateEveryMs_;
  Secret fresh;
  fresh.key = SecretBytes(32);
  if (!randomBytes(fresh.key.mutableView())) return false;
  fresh.version = nextVersion_++;
  previous_ = stale ? Secret{} : std::move(current_);
  current_ = std::move(fresh);
  rotatedAtMs_ = nowMs;
  return true;
}

bool CookieSecrets::mac(const Secret& s, ByteView ni, ByteView ipi, uint64_t spiI, uint8_t* out) {
  if (!hmac_.ok() || hmac_.outLen() != kCookieLen - 4) return false;
  uint8_t spi[8];
  storeBe64(spi, spiI);
  return hmac_.compute(s.key.view(), {ni, ipi, ByteView(spi, sizeof spi)}, out);
}

std::vector<uint8_t> CookieSecrets::make(ByteView ni, ByteView ipi, uint64_t spiI, uint64_t nowMs) {
  if (!rotateIfDue(nowMs)) return {};
  std::vector<uint8_t> cookie(kCookieLen);
  storeBe32(cookie.data(), current_.version);
  if (!mac(current_, ni, ipi, spiI, cookie.data() + 4)) return {};
  return cookie;
}

bool CookieSecrets::verify(ByteView cookie, ByteView ni, ByteView ipi, uint64_t spiI, uint64_t nowMs) {
  if (cookie.size() != kCookieLen || !rotateIfDue(nowMs)) return false;
  const uint32_t version = loadBe32(cookie.data());
  const Secret* s = version == current_.version ? &current_
                    : !previous_.key.empty() && version == previous_.version ? &previous_
                                                                              : nullptr;
  if (!s) return false;
  uint8_t expected[kCookieLen - 4];
  if (!mac(*s, ni, ipi, spiI, expected)) return false;
  return constantTimeEqual(expected, cookie.data() + 4, sizeof expected);
}

}  // namespace ipsecgw::ike
