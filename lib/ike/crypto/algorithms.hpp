// Transform IDs of the IKEv2 registry ("Transform Type Values", RFC 7296 3.3.2
// and IANA) that lib/ike/crypto implements, with the properties the SA needs:
// key, salt, IV and ICV lengths. A peer's proposal carries raw numbers; look
// them up here and an unknown one is an error to answer, never an assert.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ike/crypto/byte_view.hpp"
#include "ike/crypto/crypto_error.hpp"
#include "util/expected.hpp"

namespace ipsecgw::ike {

// Transform type 1. The AEADs are the 16-octet-ICV variants only.
enum class EncrId : uint16_t {
  AesCbc = 12,             // RFC 3602 (IKE: RFC 7296 3.14)
  AesGcm16 = 20,           // RFC 4106 (ESP), RFC 5282 (IKE)
  ChaCha20Poly1305 = 28,   // RFC 7634
};
// Transform type 2.
enum class PrfId : uint16_t { HmacSha2_256 = 5, HmacSha2_384 = 6, HmacSha2_512 = 7 };  // RFC 4868
// Transform type 3.
enum class IntegId : uint16_t {
  HmacSha2_256_128 = 12,  // RFC 4868
  HmacSha2_384_192 = 13,
  HmacSha2_512_256 = 14,
};
// Transform type 4 (Diffie-Hellman group / key exchange method).
enum class KeGroup : uint16_t {
  Modp2048 = 14,    // RFC 3526
  Modp3072 = 15,    // RFC 3526
  Ecp256 = 19,      // RFC 5903
  Ecp384 = 20,      // RFC 5903
  Ecp521 = 21,      // RFC 5903
  Curve25519 = 31,  // RFC 8031
  Curve448 = 32,    // RFC 8031
};
// Transform type 5 (Extended Sequence Numbers, ESP only).
enum class EsnId : uint16_t { NoEsn = 0, Esn = 1 };

struct EncrInfo {
  EncrId id;
  uint16_t keyBits;   // the Key Length attribute as negotiated (0: none, ChaCha20)
  bool aead;
  size_t keyLen;      // cipher key in octets, salt excluded
  size_t saltLen;     // taken from the key material after the key (RFC 5282 7.1, RFC 7634 2)
  size_t ivLen;       // explicit IV carried in each message
  size_t icvLen;      // AEAD tag; 0 for CBC, whose ICV comes from the INTEG transform
  size_t blockSize;   // padding granularity in the SK payload (RFC 7296 3.14, RFC 5282 3)
  // Octets of SK_e* / ESP encryption KEYMAT: key and salt together.
  size_t keyMaterialLen() const { return keyLen + saltLen; }
};

struct PrfInfo {
  PrfId id;
  const char* digest;  // OpenSSL digest name
  size_t outLen;       // also the preferred key length for SK_d, SK_p* (RFC 7296 2.14)
};

struct IntegInfo {
  IntegId id;
  const char* digest;
  size_t keyLen;  // RFC 4868 2.1.1: the full hash output
  size_t icvLen;  // RFC 4868 2.1.2: half of it
};

enum class KeKind { Modp, Ecp, Ecx };

struct KeGroupInfo {
  KeGroup id;
  KeKind kind;
  size_t publicLen;  // KE payload data: p's length; x||y; u (RFC 5903 7, RFC 8031 2)
  size_t sharedLen;  // g^ir: p's length; x only; u
};

// `keyBits` is the Key Length attribute (RFC 7296 3.3.5): required for AES
// (128, 192, 256), absent (0) for ChaCha20-Poly1305 (RFC 7634 2).
Expected<EncrInfo, CryptoError> encrInfo(uint16_t id, uint16_t keyBits);
Expected<PrfInfo, CryptoError> prfInfo(uint16_t id);
Expected<IntegInfo, CryptoError> integInfo(uint16_t id);
Expected<KeGroupInfo, CryptoError> keGroupInfo(uint16_t id);
bool esnSupported(uint16_t id);

// For typed IDs, which are known by construction.
PrfInfo prfInfo(PrfId id);
IntegInfo integInfo(IntegId id);
KeGroupInfo keGroupInfo(KeGroup id);

}  // namespace ipsecgw::ike
