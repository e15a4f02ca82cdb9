#include "ike/crypto/random.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstring>

namespace ipsecgw::ike {

bool randomBytes(std::span<uint8_t> out) {
  if (out.empty()) return true;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) == 1) return true;
  ERR_clear_error();
  return false;
}

Expected<std::vector<uint8_t>, CryptoError> makeNonce(size_t len) {
  if (len < 16 || len > 256) return unexpected(CryptoError::BadKeyLength);
  std::vector<uint8_t> nonce(len);
  if (!randomBytes(nonce)) return unexpected(CryptoError::RandomFailure);
  return nonce;
}

namespace {
// Draws until `accept` holds; a DRBG failure is reported, never looped on.
template <typename T, typename Accept>
Expected<T, CryptoError> draw(Accept accept) {
  for (;;) {
    uint8_t bytes[sizeof(T)];
    if (!randomBytes(bytes)) return unexpected(CryptoError::RandomFailure);
    T v;
    std::memcpy(&v, bytes, sizeof v);
    if (accept(v)) return v;
  }
}
}  // namespace

Expected<uint64_t, CryptoError> makeIkeSpi() {
  return draw<uint64_t>([](uint64_t v) { return v != 0; });
}

Expected<uint32_t, CryptoError> makeEspSpi() {
  return draw<uint32_t>([](uint32_t v) { return v >= 256; });
}

}  // namespace ipsecgw::ike
