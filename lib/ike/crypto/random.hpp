// Nonces and SPIs from OpenSSL's DRBG (RAND_bytes): public values, but they
// must be unpredictable (RFC 7296 2.10) and unique.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ike/crypto/crypto_error.hpp"
#include "util/expected.hpp"

namespace ipsecgw::ike {

bool randomBytes(std::span<uint8_t> out);

// RFC 7296 2.10 / 3.9: 16 to 256 octets, and at least half the PRF key size;
// 32 covers every PRF here. Other sizes are BadKeyLength.
constexpr size_t kDefaultNonceLen = 32;
Expected<std::vector<uint8_t>, CryptoError> makeNonce(size_t len = kDefaultNonceLen);

// An IKE SA SPI: 8 random octets, never zero (zero means "not yet known", 3.1).
Expected<uint64_t, CryptoError> makeIkeSpi();
// An ESP SPI: random and >= 256; 1-255 are reserved by IANA and 0 is not a
// valid SPI (RFC 4303 2.1). Uniqueness among live SAs is the SAD's job.
Expected<uint32_t, CryptoError> makeEspSpi();

}  // namespace ipsecgw::ike
