// The ESP transforms ipsecgw supports and their fixed wire parameters. Anything
// not listed (DES, 3DES, Blowfish, MD5, truncated-ICV GCM) is refused by design.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ipsecgw::esp {

enum class Transform : uint8_t {
  AesGcm128,            // RFC 4106, 16-byte ICV
  AesGcm256,            // RFC 4106, 16-byte ICV
  ChaCha20Poly1305,     // RFC 7634
  AesGmac128,           // RFC 4543 ENCR_NULL_AUTH_AES_GMAC: integrity only
  AesGmac256,           // RFC 4543
  AesCbc128HmacSha256,  // RFC 3602 + RFC 4868 (HMAC-SHA-256-128)
  AesCbc256HmacSha256,  // RFC 3602 + RFC 4868
  NullHmacSha256,       // RFC 2410 NULL encryption + RFC 4868
};

enum class TransformKind : uint8_t {
  Aead,         // AES-GCM, ChaCha20-Poly1305: encrypt + tag over AAD
  GmacOnly,     // AES-GMAC: nothing encrypted, whole ESP packet is AAD
  CbcThenHmac,  // AES-CBC encrypt, then HMAC over ESP header..ciphertext
  HmacOnly,     // NULL cipher, HMAC over ESP header..trailer
};

struct TransformInfo {
  std::string_view name;    // the strongSwan/swanctl proposal keyword
  TransformKind kind;
  uint8_t cipherKeyLen;     // AES/ChaCha key bytes (0 for NULL)
  uint8_t saltLen;          // bytes of KEYMAT after the cipher key used as nonce salt
  uint8_t authKeyLen;       // HMAC key bytes (0 when the AEAD tag authenticates)
  uint8_t ivLen;            // explicit IV carried in each packet
  uint8_t icvLen;           // integrity check value appended to each packet
  uint8_t blockLen;         // padding alignment of payload+trailer (RFC 4303 2.4)
};

// The per-packet geometry a kind fixes for every transform of that kind
// (transform.cpp asserts the table agrees), so that code specialised per kind
// computes offsets from constants.
struct KindGeometry {
  uint8_t ivLen;
  uint8_t icvLen;
  uint8_t blockLen;
};
constexpr KindGeometry kindGeometry(TransformKind k) {
  switch (k) {
    case TransformKind::Aead: return {8, 16, 4};         // RFC 4106 3.1, RFC 7634 2-3
    case TransformKind::GmacOnly: return {8, 16, 4};     // RFC 4543 3.1
    case TransformKind::CbcThenHmac: return {16, 16, 16};  // RFC 3602 2.4, RFC 4868 2.1
    case TransformKind::HmacOnly: return {0, 16, 4};     // RFC 2410, RFC 4868 2.1
  }
  return {0, 0, 0};
}

const TransformInfo& transformInfo(Transform t);
std::optional<Transform> transformFromName(std::string_view name);

}  // namespace ipsecgw::esp
