// Builds the SkCipher (lib/ike/sk_cipher.hpp) of one direction of an IKE SA
// from the negotiated transforms and that direction's keys.
#pragma once

#include "ike/crypto/key_derivation.hpp"
#include "ike/sk_cipher.hpp"

namespace ipsecgw::ike {

enum class Role { Initiator, Responder };

// `encrKey` is SK_e* (key | salt for the AEADs), `integKey` SK_a* (empty with
// an AEAD). The cipher becomes the keys' only owner.
Expected<SkCipherPtr, CryptoError> makeSkCipher(const ProtectionSuite& suite, SecretBytes&& encrKey,
                                                SecretBytes&& integKey);

struct SkCipherPair {
  SkCipherPtr outbound;  // seals what we send
  SkCipherPtr inbound;   // opens what we receive
};

// RFC 7296 2.14: SK_ei/SK_ai protect initiator-to-responder messages, SK_er/SK_ar
// the other way. Moves those four keys out of `keys` (SK_d and SK_p* stay);
// on failure `keys` may have lost them.
Expected<SkCipherPair, CryptoError> makeSkCipherPair(const ProtectionSuite& suite, IkeSaKeys& keys, Role role);

}  // namespace ipsecgw::ike
