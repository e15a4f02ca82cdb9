#include "ike/crypto/algorithms.hpp"

#include <cassert>

namespace ipsecgw::ike {

namespace {

constexpr PrfInfo kPrfs[] = {
    {PrfId::HmacSha2_256, "SHA256", 32},
    {PrfId::HmacSha2_384, "SHA384", 48},
    {PrfId::HmacSha2_512, "SHA512", 64},
};

constexpr IntegInfo kIntegs[] = {
    {IntegId::HmacSha2_256_128, "SHA256", 32, 16},
    {IntegId::HmacSha2_384_192, "SHA384", 48, 24},
    {IntegId::HmacSha2_512_256, "SHA512", 64, 32},
};

constexpr KeGroupInfo kGroups[] = {
    {KeGroup::Modp2048, KeKind::Modp, 256, 256},  {KeGroup::Modp3072, KeKind::Modp, 384, 384},
    {KeGroup::Ecp256, KeKind::Ecp, 64, 32},       {KeGroup::Ecp384, KeKind::Ecp, 96, 48},
    {KeGroup::Ecp521, KeKind::Ecp, 132, 66},      {KeGroup::Curve25519, KeKind::Ecx, 32, 32},
    {KeGroup::Curve448, KeKind::Ecx, 56, 56},
};

template <typename Info, size_t N>
const Info* find(const Info (&table)[N], uint16_t id) {
  for (const Info& i : table)
    if (static_cast<uint16_t>(i.id) == id) return &i;
  return nullptr;
}

}  // namespace

Expected<EncrInfo, CryptoError> encrInfo(uint16_t id, uint16_t keyBits) {
  switch (static_cast<EncrId>(id)) {
    case EncrId::AesCbc:
    case EncrId::AesGcm16: {
      if (keyBits != 128 && keyBits != 192 && keyBits != 256) return unexpected(CryptoError::UnknownAlgorithm);
      const bool gcm = static_cast<EncrId>(id) == EncrId::AesGcm16;
      // GCM: 4-octet salt, 8-octet IV, 16-octet ICV, no block alignment
      // (RFC 5282 3, 7.1); CBC: 16-octet random IV and blocks (RFC 3602 3).
      return EncrInfo{static_cast<EncrId>(id), keyBits, gcm, size_t{keyBits} / 8u,
                      gcm ? 4u : 0u,           gcm ? 8u : 16u,  gcm ? 16u : 0u, gcm ? 1u : 16u};
    }
    case EncrId::ChaCha20Poly1305:
      // RFC 7634 2: fixed 256-bit key, the Key Length attribute MUST NOT be sent.
      if (keyBits != 0) return unexpected(CryptoError::UnknownAlgorithm);
      return EncrInfo{EncrId::ChaCha20Poly1305, 0, true, 32, 4, 8, 16, 1};
  }
  return unexpected(CryptoError::UnknownAlgorithm);
}

Expected<PrfInfo, CryptoError> prfInfo(uint16_t id) {
  if (const PrfInfo* i = find(kPrfs, id)) return *i;
  return unexpected(CryptoError::UnknownAlgorithm);
}
Expected<IntegInfo, CryptoError> integInfo(uint16_t id) {
  if (const IntegInfo* i = find(kIntegs, id)) return *i;
  return unexpected(CryptoError::UnknownAlgorithm);
}
Expected<KeGroupInfo, CryptoError> keGroupInfo(uint16_t id) {
  if (const KeGroupInfo* i = find(kGroups, id)) return *i;
  return unexpected(CryptoError::UnknownAlgorithm);
}
bool esnSupported(uint16_t id) { return id == 0 || id == 1; }

PrfInfo prfInfo(PrfId id) {
  const PrfInfo* i = find(kPrfs, static_cast<uint16_t>(id));
  assert(i != nullptr);
  return *i;
}
IntegInfo integInfo(IntegId id) {
  const IntegInfo* i = find(kIntegs, static_cast<uint16_t>(id));
  assert(i != nullptr);
  return *i;
}
KeGroupInfo keGroupInfo(KeGroup id) {
  const KeGroupInfo* i = find(kGroups, static_cast<uint16_t>(id));
  assert(i != nullptr);
  return *i;
}

}  // namespace ipsecgw::ike
