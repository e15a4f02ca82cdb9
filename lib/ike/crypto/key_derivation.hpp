// Key derivation for the IKE SA and its CHILD_SAs (RFC 7296 2.14, 2.17, 2.18).
//
//   SKEYSEED = prf(Ni | Nr, g^ir)                                     (2.14)
//   SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)   IKE SA rekey   (2.18)
//   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
//            = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)                  (2.14)
//   KEYMAT   = prf+(SK_d, [g^ir (new) |] Ni | Nr)                      (2.17)
//
// Lengths: SK_d and SK_p* are the PRF's output length (2.13: its preferred
// key size); SK_a* the INTEG key (RFC 4868: the hash length), absent with an
// AEAD; SK_e* the cipher key followed by its 4-octet salt for AES-GCM
// (RFC 5282 7.1) and ChaCha20-Poly1305 (RFC 7634 4). CHILD_SA keys use the
// ESP lengths of RFC 4106 8.1, RFC 7634 2 and RFC 4868 2.1.1.
#pragma once

#include <cstdint>
#include <optional>

#include "ike/crypto/algorithms.hpp"
#include "ike/crypto/byte_view.hpp"
#include "util/secret.hpp"

namespace ipsecgw::ike {

// The negotiated protection of an SA (IKE or ESP): ENCR with its Key Length
// attribute, and INTEG, which must be absent exactly when ENCR is an AEAD
// (RFC 5282 8, RFC 7634 2).
struct ProtectionSuite {
  EncrId encr;
  uint16_t encrKeyBits = 0;  // Key Length attribute; 0 when absent (ChaCha20)
  std::optional<IntegId> integ;
};

// The suite's ENCR properties, or BadSuite/UnknownAlgorithm if it cannot be used.
Expected<EncrInfo, CryptoError> checkSuite(const ProtectionSuite& suite);

struct IkeSaKeys {
  SecretBytes skD, skAi, skAr, skEi, skEr, skPi, skPr;
};

// Encryption key (salt included) then integrity key (empty with an AEAD),
// for each direction, in KEYMAT order: initiator-to-responder first (2.17).
struct ChildSaKeys {
  SecretBytes encrI2R, integI2R, encrR2I, integR2I;
};

Expected<SecretBytes, CryptoError> skeyseed(PrfId prf, ByteView ni, ByteView nr, ByteView gir);

// `prf` is the PRF of the IKE SA being rekeyed (whose SK_d is given); the new
// SA's PRF then drives deriveIkeSaKeys.
Expected<SecretBytes, CryptoError> rekeySkeyseed(PrfId prf, ByteView skDOld, ByteView gir, ByteView ni, ByteView nr);

// SPIs as the numbers carried in the IKE header; they enter prf+ in network order.
Expected<IkeSaKeys, CryptoError> deriveIkeSaKeys(PrfId prf, const ProtectionSuite& suite, ByteView skeyseed,
                                                 ByteView ni, ByteView nr, uint64_t spiI, uint64_t spiR);

// `gir` is the new shared secret of a CREATE_CHILD_SA with KE (PFS), or empty.
Expected<ChildSaKeys, CryptoError> deriveChildSaKeys(PrfId prf, ByteView skD, const ProtectionSuite& espSuite,
                                                     ByteView gir, ByteView ni, ByteView nr);

}  // namespace ipsecgw::ike
